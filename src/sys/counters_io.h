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
 * The same, with the sets dumped after the snapshot was read and folded into it as they are
 * parsed (struct counters_fold): a reading of a big hub is never held whole, which a reader
 * that lives on (the console) wants more than the dump's overlap with the snapshot's read.
 */
int counters_update_folded(struct wg_snapshot *snap, bool sync);
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
 * and on a hub of 10,000 dual-stack peers each takes about as long as the other. A thread of its
 * own dumps the sets one at a time, on a socket of its own, taking the next set from a counter it
 * shares with the caller; once the snapshot is taken, the caller takes sets from that counter
 * too. Behind a userspace daemon, whose answer is slow, the thread has dumped them all by then
 * and the caller waits for nothing (a second thread from the start only contended with the
 * daemon and the caller for two cores: 1.04-1.08x the wall time of `wg show dump` instead of
 * 0.95-1.00x at 10,000 peers); from the kernel, whose answer is quick, the sets still left are
 * dumped on two cores. Start, take the snapshot, then finish with counters_update_prefetched
 * (which also stops the thread when the snapshot failed: pass snap NULL).
 */
struct counters_prefetch {
	pthread_t thread;
	bool running;
	atomic_uint next;		/* the next set to dump, in counters_dump_request's order */
	atomic_int seen;		/* set once the table's first set was found (1) or not (-1) */
	int64_t cpu_ns;			/* what the thread's reads cost, in CPU time */
	int ret[2];			/* the thread's reading and the caller's: 0, 1 to read again, -errno */
	struct counters_reading part[2];
	struct counters_reading r;	/* the two, joined */
	size_t *counted;		/* the caller's counts of ranges, or NULL */
};

/*
 * The sets dumped in a thread while the caller reads WireGuard. counted (or NULL): the ranges
 * of each direction the last reading held, which size this one's arrays; a reading updates
 * them.
 */
void counters_prefetch_start(struct counters_prefetch *p, size_t counted[2]);
int counters_update_prefetched(struct wg_snapshot *snap, bool sync, struct counters_prefetch *p);

#endif
