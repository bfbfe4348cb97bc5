/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#ifndef WGSTAR_COUNTERS_IO_H
#define WGSTAR_COUNTERS_IO_H

#include <pthread.h>
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

/*
 * The dump of the sets read on a thread of its own while the caller reads WireGuard: the
 * two reads are independent, and on a hub of 10,000 dual-stack peers each takes about as
 * long as the other. Start, take the snapshot, then finish with counters_update_prefetched
 * (which also joins the thread when the snapshot failed: pass snap NULL).
 */
struct counters_prefetch {
	pthread_t thread;
	bool running;
	int ret;
	int64_t cpu_ns;			/* what the thread's read cost, in CPU time */
	struct counters_reading r;
};

void counters_prefetch_start(struct counters_prefetch *p);
int counters_update_prefetched(struct wg_snapshot *snap, bool sync, struct counters_prefetch *p);

#endif
