/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#ifndef WGSTAR_COUNTERS_IO_H
#define WGSTAR_COUNTERS_IO_H

#include <pthread.h>
#include <stdatomic.h>
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
 * The elements of a peer just added to dev (live before the add; remove false) or just removed
 * from it (live before the removal; remove true), ips its allowed IPs, without reading the sets:
 * 1 when done, 0 when it takes counters_update's full sync (a prefix, an address in a peer's
 * prefix, an interface the table does not count yet, an element already there or missing),
 * -ENOENT when there is no counting table (nothing to keep in step), or -errno.
 */
/* Whether wgstar's counting table is there: 1, 0, or -errno. Reads one small set. */
int counters_table_present(void);
int counters_peer_elems(const struct wg_device *dev, const struct wg_allowedip *ips, size_t n, bool remove);

/*
 * The dump of the sets read while the caller reads WireGuard: the two reads are independent,
 * and on a hub of 10,000 dual-stack peers each takes about as long as the other. The sets are
 * dumped by two threads (one the sets counting from the peers, the other those counting to
 * them), each on a socket of its own: while the caller waits for a userspace daemon's answer,
 * and after it, the kernel's walk of the sets is what the reading waits for, and a second core
 * halves it. The first part's thread then waits for the others and joins their readings into
 * one, which the caller would otherwise do after its snapshot, on the path it waits on. Start,
 * take the snapshot, then finish with counters_update_prefetched (which also joins the threads
 * when the snapshot failed: pass snap NULL).
 */
#define COUNTERS_PARTS 2

struct counters_prefetch;

struct counters_prefetch_part {
	struct counters_prefetch *owner;	/* the first part's thread joins the others */
	pthread_t thread;
	bool running;
	unsigned int first, step;	/* its sets: the first-th, and every step-th after */
	atomic_int *seen;		/* set once the table's first set was found (1) or not (-1) */
	int ret;
	int64_t cpu_ns;
	struct counters_reading r;
};

struct counters_prefetch {
	struct counters_prefetch_part parts[COUNTERS_PARTS];
	atomic_int seen;
	int64_t cpu_ns;			/* what the threads' reads cost, in CPU time */
	int ret;			/* the parts joined: 0, 1 to read again at once, or -errno */
	struct counters_reading r;	/* the parts, joined */
};

void counters_prefetch_start(struct counters_prefetch *p);
int counters_update_prefetched(struct wg_snapshot *snap, bool sync, struct counters_prefetch *p);

#endif
