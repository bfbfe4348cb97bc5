/* SPDX-License-Identifier: GPL-2.0-or-later */
/* wgstar's counting table: per-peer forwarded packets and bytes, and who talks to whom. */
#ifndef WGSTAR_COUNTERS_H
#define WGSTAR_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keyidx.h"
#include "model.h"

struct nft_batch;
struct nlmsghdr;

#define COUNTERS_TABLE "wgstar"
/*
 * The forward chain runs after every usual filter chain (filter is 0, firewalld's and
 * iptables-nft's are near it), so it counts what the others let through. At any priority it
 * cannot change a packet's fate: it has no verdict but continue, and its policy accept does
 * not skip the other base chains of the hook.
 */
#define COUNTERS_PRIORITY 1000000
#define COUNTERS_PAIRS_SIZE 4096
#define COUNTERS_PAIRS_TIMEOUT_MS (120 * 1000)
/* Each hash set of single addresses in this many, by the address's last bits: a power of two. */
#define COUNTERS_SHARDS 16

enum counters_dir { COUNTERS_FROM, COUNTERS_TO };

/* One element of a counting set: an inclusive address range on one interface. */
struct counters_range {
	char ifname[IFNAMSIZ];
	uint8_t family;			/* AF_INET or AF_INET6 */
	uint8_t start[16];		/* network byte order; IPv4 in the first 4 bytes */
	uint8_t end[16];
	uint32_t dev;			/* the owner in the snapshot, for a plan */
	uint32_t peer;
	uint64_t packets;		/* for a reading */
	uint64_t bytes;
};

/*
 * The ranges the sets should hold for a snapshot: every allowed IP of every peer, split where
 * prefixes nest so each address belongs to the peer WireGuard would route it to (the longest
 * prefix), sorted by family, interface and start.
 */
struct counters_plan {
	struct counters_range *v;
	size_t n;
	size_t cap;
	char (*ifaces)[IFNAMSIZ];
	size_t n_ifaces;
	uint32_t *slot;			/* hash index by family, interface and start: plan index + 1, 0 empty */
	size_t mask;
};

struct counters_pair {
	uint8_t family;
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint64_t packets;
	uint64_t bytes;
};

/*
 * A reading folded into a snapshot as it is parsed: an element that is a range of the plan
 * gives its counters to that range's peer at once and is only marked as there; the reading keeps
 * the others (what a sync deletes). A big hub's reading, two elements of 80 bytes for every
 * address of every peer, is then never in memory whole.
 */
struct counters_fold {
	const struct counters_plan *plan;
	struct wg_snapshot *snap;	/* the plan's */
	bool *seen[2];			/* by enum counters_dir: the plan's ranges an element matched */
};

/* What the kernel's sets hold now (of a folded reading: what the fold did not take). */
struct counters_reading {
	bool present;			/* the table exists */
	/*
	 * The ruleset's generation each dump message was answered in (nfgenmsg.res_id, its low 16
	 * bits): one dump overtaken by a change is flagged by the kernel, but the sets are dumped
	 * one by one, by --once in two threads; a table deleted and made again between two of them
	 * leaves a reading of two tables. gen_mixed says the messages came from more than one.
	 */
	uint16_t gen;
	bool has_gen;
	bool gen_mixed;
	struct timespec at;		/* CLOCK_MONOTONIC when read; given to the devices' counters */
	struct counters_range *ranges[2];	/* by enum counters_dir */
	size_t n_ranges[2];
	size_t cap_ranges[2];
	/*
	 * How many ranges of each direction the first allocation holds: the count of the last
	 * reading, so that a big hub's reading is not grown by doubling (each step a copy, and
	 * in a reader thread's arena the old arrays stay in memory until trimmed).
	 */
	size_t expect[2];
	struct counters_pair *pairs;
	size_t n_pairs;
	size_t cap_pairs;
	char (*ifaces)[IFNAMSIZ];
	size_t n_ifaces;
	char (*netifs)[IFNAMSIZ];
	size_t n_netifs;
	bool legacy;			/* an earlier version's table: a hash set for all addresses, no shards */
	struct counters_fold *fold;	/* set: the elements it takes are not kept */
};

int counters_plan_build(struct counters_plan *plan, const struct wg_snapshot *snap);
/* The ranges of one family alone, without the index by start (no counters_plan_lookup). */
int counters_plan_build_family(struct counters_plan *plan, const struct wg_snapshot *snap, uint8_t family);
void counters_plan_free(struct counters_plan *plan);

/* The range of the plan with the family, interface and start of key; NULL when none. */
const struct counters_range *counters_plan_lookup(const struct counters_plan *plan,
						  const struct counters_range *key);
/* The range holding addr on ifname (any interface when NULL), or NULL. */
const struct counters_range *counters_plan_find(const struct counters_plan *plan, const char *ifname,
						uint8_t family, const uint8_t *addr);

/* Adds the table, its chain, sets and rules, and the plan's elements, to a batch. */
int counters_build_install(struct nft_batch *b, const struct counters_plan *plan);
int counters_build_remove(struct nft_batch *b);

/*
 * The elements of a peer just added to dev (remove false; dev as it was before) or about to
 * leave it (remove true), without reading the sets again (a full read of a 65,536-peer table
 * costs the kernel half a second): when r, a reading of the set ifaces alone, has dev's
 * interface, and the peer's allowed IPs ips are single addresses that none of dev's peers'
 * prefixes holds, what a sync would add or delete for it. -EAGAIN when it takes a full sync.
 */
int counters_build_peer_elems(struct nft_batch *b, const struct counters_reading *r, const struct wg_device *dev,
			      const struct wg_allowedip *ips, size_t n, bool remove);
/*
 * Adds what brings the sets from the reading to the plan: elements deleted and added, others
 * left alone so their counters go on; so are the elements of interfaces the plan does not
 * know. Returns how many commands were added, or -errno.
 */
int counters_build_sync(struct nft_batch *b, const struct counters_plan *plan,
			const struct counters_reading *r);

/* One NFT_MSG_NEWSETELEM message of a dump of wgstar's sets, added to the reading. */
int counters_parse_elems(const struct nlmsghdr *nlh, struct counters_reading *r);
void counters_reading_free(struct counters_reading *r);
/*
 * src's elements after dst's (a reading taken in parts: each part other sets); src is emptied.
 * The later of the two times is the reading's. -ENOMEM leaves dst with what could be joined.
 */
int counters_reading_merge(struct counters_reading *dst, struct counters_reading *src);

/* Every peer's counters at zero and no range matched; 0 or -ENOMEM. */
int counters_fold_init(struct counters_fold *f, const struct counters_plan *plan, struct wg_snapshot *snap);
/* The same again, for a reading taken anew. */
void counters_fold_reset(struct counters_fold *f);
/* Whether e, an element of a set of direction dir, was taken: a range of the plan, not seen before. */
bool counters_fold_take(struct counters_fold *f, int dir, const struct counters_range *e);
void counters_fold_free(struct counters_fold *f);

/*
 * The i-th set in counters_dump_request's order dumped into r: 0, 1 when there is no i-th set,
 * -ENOENT when it is not there, -EINTR when a change of the set overtook its dump, or -errno.
 */
typedef int (*counters_dump_fn)(void *ctx, struct counters_reading *r, unsigned int i);
/*
 * Every set read through dump: the first says whether the table is there (r->present false when
 * not). With snap, the plan is built (once) and the rest folded into snap against it; without,
 * r holds them all (plan and fold unused; r->expect sizes it). A dump overtaken by a change is
 * read again, up to five times, and so are sets answered in more than one generation of the
 * ruleset, twice, each time from nothing. 0, or -errno (and every peer's counters at zero). plan,
 * fold and r are the caller's to free.
 */
int counters_read_all(counters_dump_fn dump, void *ctx, struct wg_snapshot *snap, struct counters_plan *plan,
		      struct counters_fold *fold, struct counters_reading *r);

/*
 * Fills every peer's forwarded counters and every device's flows from a reading. Of a folded
 * reading (r->fold), adds the elements it kept to what the fold gave; -EINVAL when the fold was
 * into another snapshot.
 */
int counters_apply(struct wg_snapshot *snap, const struct counters_plan *plan,
		   const struct counters_reading *r);
/*
 * What a full reading gave each peer, kept by public key for the snapshots taken before the next
 * one (the console reads the sets less often than WireGuard on a big hub). A peer's figures are
 * a key and four numbers, found by key in the order the peers were read; the reading holds four
 * elements of a dual-stack peer, and applying it again means finding every element's owner.
 */
struct counters_carry_peer {
	uint8_t key[WG_KEY_LEN];
	struct wg_forwarded fw;
};

struct counters_carry_flow {
	uint8_t from[WG_KEY_LEN];
	uint8_t to[WG_KEY_LEN];
	uint64_t packets;
	uint64_t bytes;
};

struct counters_carry_dev {
	char name[IFNAMSIZ];
	bool has_flows;			/* the table was there */
	struct timespec flows_at;
	struct counters_carry_peer *peers;
	uint32_t n_peers;
	struct keyidx index;
	struct counters_carry_flow *flows;
	uint32_t n_flows;
};

struct counters_carry {
	struct counters_carry_dev *devs;
	size_t n_devs;
};

/* Keeps what snap's peers got from a reading (replacing what c held); 0 or -ENOMEM (c empty). */
int counters_carry_take(struct counters_carry *c, const struct wg_snapshot *snap);
/*
 * Gives snap's peers what the same peers had when taken. A peer that was not there counts from
 * zero until the next reading (its elements are added at that reading's sync); an interface that
 * was not there has no figures. 0 or -ENOMEM.
 */
int counters_carry_apply(const struct counters_carry *c, struct wg_snapshot *snap);
void counters_carry_free(struct counters_carry *c);

/* The peers' own single addresses (their /32 and /128 allowed IPs), by interface and address. */
struct counters_exact_addr {
	uint32_t dev, peer;		/* indices in the snapshot */
	uint8_t family;
	uint8_t addr[16];
};

struct counters_exact {
	struct counters_exact_addr *v;
	size_t n;
	uint32_t *slot;			/* v index + 1; 0 when empty */
	size_t mask;
};

int counters_exact_build(struct counters_exact *x, const struct wg_snapshot *snap);
/*
 * The same for a few addresses of device dev only (want: their family and addr; dev and peer
 * unused): an index of those, filled in one pass over the device's allowed IPs, instead of one
 * of every allowed IP. Addresses no peer has as its own are in it with no peer.
 */
int counters_exact_build_some(struct counters_exact *x, const struct wg_snapshot *snap, uint32_t dev,
			      const struct counters_exact_addr *want, size_t n);
/*
 * The peer of device dev that has addr as its own /32 or /128, or -1. That peer is the one
 * WireGuard routes addr to (no prefix is longer); -1 says only the plan can tell.
 */
int64_t counters_exact_peer(const struct counters_exact *x, uint32_t dev, uint8_t family, const uint8_t *addr);
void counters_exact_free(struct counters_exact *x);

/*
 * The dump request for the i-th of the table's sets, built into buf: 1, 0 past the last, -ENOMEM.
 * instead: the i-th set is not there (ENOENT). When it is a shard, the table may be an earlier
 * version's, with one hash set where this one has shards: the first shard's request is then
 * for that set (1), the others' for nothing (2); 0 for any other set.
 */
#define COUNTERS_REQUEST_LEN 512
int counters_dump_request(void *buf, unsigned int i, bool instead, struct nlmsghdr **out);

/* Shared by the plan and the messages: an address's length, and the order of ranges. */
size_t counters_addr_len(uint8_t family);
int counters_range_cmp(const struct counters_range *a, const struct counters_range *b);

#endif
