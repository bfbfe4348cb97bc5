/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#ifndef WGSTAR_COUNTERS_IO_H
#define WGSTAR_COUNTERS_IO_H

#include <stdbool.h>
#include "counters.h"

struct nft_sock;

/* The edges: one dump per set; -ENOENT-free: an absent table is a reading with !present. */
int counters_read(struct nft_sock *s, struct counters_reading *r);

/*
 * Brings the sets in step with the snapshot (when the table exists) and fills the snapshot's
 * counters. Changes nothing when sync is false.
 */
int counters_update(struct wg_snapshot *snap, bool sync);

#endif
