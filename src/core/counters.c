// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table, planned: the ranges its sets should hold, and readings mapped back to peers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "counters.h"
#include "hashmix.h"

size_t counters_addr_len(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* a + 1 in place; false when it wrapped around. */
static bool addr_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i])
			return true;
	return false;
}

static void addr_dec(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (a[i]--)
			return;
}

int counters_range_cmp(const struct counters_range *a, const struct counters_range *b)
{
	int r;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	/* Names are zero-padded, in the plan as in the kernel's keys. */
	r = memcmp(a->ifname, b->ifname, IFNAMSIZ);
	if (r)
		return r;
	return memcmp(a->start, b->start, sizeof(a->start));
}

struct block {
	uint8_t start[16];
	uint8_t end[16];
	uint8_t cidr;
	uint32_t peer;
};

static int block_cmp(const void *pa, const void *pb)
{
	const struct block *a = pa, *b = pb;
	int r = memcmp(a->start, b->start, sizeof(a->start));

	if (r)
		return r;
	return a->cidr < b->cidr ? -1 : a->cidr > b->cidr;
}

/*
 * block_cmp's order by radix: stable passes over the cidr and then the address's bytes from
 * the last, skipping the bytes every block has alike (most of them: an IPv4 hub's addresses
 * differ in two or three). qsort's calls of block_cmp were most of a plan's build.
 */
static int sort_blocks(struct block *b, size_t n, size_t alen)
{
	size_t (*count)[256];
	struct block *tmp, *from = b, *to;

	if (n < 64) {
		if (n)
			qsort(b, n, sizeof(*b), block_cmp);
		return 0;
	}
	count = calloc(alen + 1, sizeof(*count));
	tmp = malloc(n * sizeof(*tmp));
	if (!count || !tmp) {
		free(count);
		free(tmp);
		return -ENOMEM;
	}
	/* count[alen] is the cidr's, count[i] the address's i-th byte's. */
	for (size_t i = 0; i < n; ++i) {
		for (size_t k = 0; k < alen; ++k)
			count[k][b[i].start[k]]++;
		count[alen][b[i].cidr]++;
	}
	to = tmp;
	for (size_t k = alen + 1; k-- > 0;) {
		size_t pos = 0;
		uint8_t first = k == alen ? b[0].cidr : b[0].start[k];

		if (count[k][first] == n)
			continue;
		for (size_t v = 0; v < 256; ++v) {
			size_t c = count[k][v];

			count[k][v] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; ++i) {
			uint8_t v = k == alen ? from[i].cidr : from[i].start[k];

			to[count[k][v]++] = from[i];
		}
		to = from;
		from = from == b ? tmp : b;
	}
	if (from != b)
		memcpy(b, from, n * sizeof(*b));
	free(tmp);
	free(count);
	return 0;
}

static int plan_push(struct counters_plan *plan, const char *ifname, uint8_t family, const uint8_t *start,
		     const uint8_t *end, uint32_t dev, uint32_t peer, size_t first)
{
	size_t alen = counters_addr_len(family);
	struct counters_range *r;

	/* Ranges of one peer that touch are one element. */
	if (plan->n > first) {
		uint8_t next[16];

		r = &plan->v[plan->n - 1];
		memcpy(next, r->end, sizeof(next));
		if (r->peer == peer && addr_inc(next, alen) && !memcmp(next, start, alen)) {
			memcpy(r->end, end, alen);
			return 0;
		}
	}
	if (plan->n == plan->cap) {
		size_t cap = plan->cap ? plan->cap * 2 : 64;

		r = realloc(plan->v, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		plan->v = r;
		plan->cap = cap;
	}
	r = &plan->v[plan->n++];
	memset(r, 0, sizeof(*r));
	memcpy(r->ifname, ifname, IFNAMSIZ);
	r->family = family;
	memcpy(r->start, start, alen);
	memcpy(r->end, end, alen);
	r->dev = dev;
	r->peer = peer;
	return 0;
}

/*
 * Prefixes nest or are disjoint; sorted by start and then widest first, a stack of the
 * prefixes that contain the current address gives the longest match for every stretch.
 */
static int flatten(struct counters_plan *plan, struct block *b, size_t n, const char *ifname,
		   uint8_t family, uint32_t dev)
{
	size_t alen = counters_addr_len(family), sp = 0, first = plan->n;
	struct block *stack[130];
	uint8_t pos[16] = { 0 }, before[16];
	bool done = false;
	int ret;

	if ((ret = sort_blocks(b, n, alen)) < 0)
		return ret;
	for (size_t i = 0; i < n; ++i) {
		if (sp && !memcmp(stack[sp - 1]->start, b[i].start, alen) && stack[sp - 1]->cidr == b[i].cidr)
			continue;
		while (sp && memcmp(stack[sp - 1]->end, b[i].start, alen) < 0) {
			struct block *top = stack[--sp];

			if (memcmp(pos, top->end, alen) <= 0 &&
			    (ret = plan_push(plan, ifname, family, pos, top->end, dev, top->peer, first)) < 0)
				return ret;
			memcpy(pos, top->end, alen);
			addr_inc(pos, alen);
		}
		if (sp && memcmp(pos, b[i].start, alen) < 0) {
			memcpy(before, b[i].start, alen);
			addr_dec(before, alen);
			if ((ret = plan_push(plan, ifname, family, pos, before, dev, stack[sp - 1]->peer, first)) < 0)
				return ret;
		}
		memcpy(pos, b[i].start, alen);
		stack[sp++] = &b[i];
	}
	while (sp) {
		struct block *top = stack[--sp];

		if (!done && memcmp(pos, top->end, alen) <= 0 &&
		    (ret = plan_push(plan, ifname, family, pos, top->end, dev, top->peer, first)) < 0)
			return ret;
		memcpy(pos, top->end, alen);
		done = done || !addr_inc(pos, alen);
	}
	return 0;
}

static void prefix_block(struct block *b, const struct wg_allowedip *aip)
{
	size_t alen = aip->family == AF_INET ? 4 : 16;
	const uint8_t *a = aip->family == AF_INET ? (const uint8_t *)&aip->ip4 : aip->ip6.s6_addr;
	unsigned int cidr = aip->cidr > alen * 8 ? (unsigned int)alen * 8 : aip->cidr;

	memset(b, 0, sizeof(*b));
	for (size_t i = 0; i < alen; ++i) {
		unsigned int bits = cidr > i * 8 ? cidr - (unsigned int)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		b->start[i] = a[i] & mask;
		b->end[i] = a[i] | (uint8_t)~mask;
	}
	b->cidr = (uint8_t)cidr;
}

static int index_build(struct counters_plan *plan);

static int dev_name_cmp(const void *pa, const void *pb)
{
	const struct wg_device *a = *(const struct wg_device *const *)pa, *b = *(const struct wg_device *const *)pb;

	return strncmp(a->name, b->name, IFNAMSIZ - 1);
}

/*
 * By family, then by interface name: flatten gives each interface's ranges in address order,
 * so the plan comes out sorted without sorting it (a sort of 40,000 ranges cost a read at
 * 10,000 dual-stack peers more than the kernel's dump of them).
 */
static int plan_build(struct counters_plan *plan, const struct wg_snapshot *snap, const uint8_t *families,
		      size_t n_families, bool index)
{
	const struct wg_device **devs = NULL;
	struct block *blocks = NULL;
	size_t cap = 0, total = 0;
	int ret = 0;

	memset(plan, 0, sizeof(*plan));
	/*
	 * Sized once, for the most a flattening can give (two ranges a prefix): grown by
	 * doubling, each copy of a big hub's plan left the one before it in the heap, touched.
	 */
	for (size_t d = 0; d < snap->n_devices; ++d) {
		size_t most = 0;

		for (uint32_t p = 0; p < snap->devices[d]->n_peers; ++p)
			for (uint32_t a = 0; a < snap->devices[d]->peers[p].n_allowedips; ++a)
				for (size_t f = 0; f < n_families; ++f)
					most += snap->devices[d]->peers[p].allowedips[a].family == families[f];
		total += 2 * most + n_families;
		cap = most > cap ? most : cap;
	}
	plan->v = malloc((total ? total : 1) * sizeof(*plan->v));
	plan->cap = total;
	blocks = malloc((cap ? cap : 1) * sizeof(*blocks));
	plan->ifaces = calloc(snap->n_devices ? snap->n_devices : 1, sizeof(*plan->ifaces));
	devs = calloc(snap->n_devices ? snap->n_devices : 1, sizeof(*devs));
	if (!plan->v || !blocks || !plan->ifaces || !devs) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t d = 0; d < snap->n_devices; ++d)
		devs[d] = snap->devices[d];
	if (snap->n_devices)
		qsort(devs, snap->n_devices, sizeof(*devs), dev_name_cmp);
	for (size_t d = 0; d < snap->n_devices; ++d) {
		char ifname[IFNAMSIZ] = { 0 };

		memcpy(ifname, snap->devices[d]->name, strnlen(snap->devices[d]->name, IFNAMSIZ - 1));
		memcpy(plan->ifaces[plan->n_ifaces++], ifname, IFNAMSIZ);
	}
	for (size_t f = 0; f < n_families; ++f) {
		for (size_t k = 0; k < snap->n_devices; ++k) {
			const struct wg_device *dev = devs[k];
			char ifname[IFNAMSIZ] = { 0 };
			uint32_t d = 0;
			size_t n = 0;

			while (snap->devices[d] != dev)
				d++;
			memcpy(ifname, dev->name, strnlen(dev->name, IFNAMSIZ - 1));
			for (uint32_t p = 0; p < dev->n_peers; ++p) {
				const struct wg_peer *peer = &dev->peers[p];

				for (uint32_t a = 0; a < peer->n_allowedips; ++a) {
					if (peer->allowedips[a].family != families[f])
						continue;
					prefix_block(&blocks[n], &peer->allowedips[a]);
					blocks[n++].peer = p;
				}
			}
			if ((ret = flatten(plan, blocks, n, ifname, families[f], d)) < 0)
				goto out;
		}
	}
	if (index)
		ret = index_build(plan);
out:
	free(blocks);
	free(devs);
	if (ret)
		counters_plan_free(plan);
	return ret;
}

int counters_plan_build(struct counters_plan *plan, const struct wg_snapshot *snap)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };

	return plan_build(plan, snap, families, sizeof(families), true);
}

int counters_plan_build_family(struct counters_plan *plan, const struct wg_snapshot *snap, uint8_t family)
{
	return plan_build(plan, snap, &family, 1, false);
}

void counters_plan_free(struct counters_plan *plan)
{
	free(plan->v);
	free(plan->ifaces);
	free(plan->slot);
	memset(plan, 0, sizeof(*plan));
}

static const struct counters_range *find_on(const struct counters_plan *plan, const char *ifname,
					    uint8_t family, const uint8_t *addr)
{
	struct counters_range key = { .family = family };
	size_t lo = 0, hi = plan->n, alen = counters_addr_len(family);
	const struct counters_range *r;

	memcpy(key.ifname, ifname, strnlen(ifname, IFNAMSIZ - 1));
	memcpy(key.start, addr, alen);
	/* The last range starting at or before addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (counters_range_cmp(&plan->v[mid], &key) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	r = &plan->v[lo - 1];
	if (r->family != family || strncmp(r->ifname, key.ifname, IFNAMSIZ) || memcmp(r->end, addr, alen) < 0)
		return NULL;
	return r;
}

const struct counters_range *counters_plan_find(const struct counters_plan *plan, const char *ifname,
						uint8_t family, const uint8_t *addr)
{
	const struct counters_range *r;

	if (ifname)
		return find_on(plan, ifname, family, addr);
	for (size_t i = 0; i < plan->n_ifaces; ++i)
		if ((r = find_on(plan, plan->ifaces[i], family, addr)))
			return r;
	return NULL;
}

static int add_flow(struct wg_device *dev, uint32_t from, uint32_t to, uint64_t packets, uint64_t bytes)
{
	struct wg_flow *f;

	for (uint32_t i = 0; i < dev->n_flows; ++i) {
		f = &dev->flows[i];
		if (f->from == from && f->to == to) {
			f->packets += packets;
			f->bytes += bytes;
			return 0;
		}
	}
	f = realloc(dev->flows, (size_t)(dev->n_flows + 1) * sizeof(*f));
	if (!f)
		return -ENOMEM;
	dev->flows = f;
	dev->flows[dev->n_flows++] = (struct wg_flow){ .from = from, .to = to, .packets = packets, .bytes = bytes };
	return 0;
}

/* The plan's ranges by interface, family and start: every element read is found in O(1). */
static size_t range_hash(const struct counters_range *r)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ r->family, w;

	for (size_t i = 0; i < IFNAMSIZ; i += 8) {
		memcpy(&w, r->ifname + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (size_t i = 0; i < sizeof(r->start); i += 8) {
		memcpy(&w, r->start + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
		h ^= h >> 31;
	}
	return (size_t)hashmix64(h);
}

static int index_build(struct counters_plan *plan)
{
	size_t size = 16;

	while (size < plan->n * 2)
		size *= 2;
	plan->slot = calloc(size, sizeof(*plan->slot));
	if (!plan->slot)
		return -ENOMEM;
	plan->mask = size - 1;
	for (size_t i = 0; i < plan->n; ++i) {
		size_t k = range_hash(&plan->v[i]) & plan->mask;

		while (plan->slot[k])
			k = (k + 1) & plan->mask;
		plan->slot[k] = (uint32_t)i + 1;
	}
	return 0;
}

/* counters_range_cmp's == 0, in words: asked once for every element read (by a fold, or a sync and an apply). */
static bool range_key_same(const struct counters_range *a, const struct counters_range *b)
{
	uint64_t x[4], y[4];

	_Static_assert(sizeof(a->ifname) == 16 && sizeof(a->start) == 16, "two words each");

	if (a->family != b->family)
		return false;
	memcpy(x, a->ifname, 16);
	memcpy(y, b->ifname, 16);
	memcpy(x + 2, a->start, 16);
	memcpy(y + 2, b->start, 16);
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]));
}

const struct counters_range *counters_plan_lookup(const struct counters_plan *plan, const struct counters_range *key)
{
	if (!plan->slot)
		return NULL;
	for (size_t k = range_hash(key) & plan->mask; plan->slot[k]; k = (k + 1) & plan->mask) {
		const struct counters_range *r = &plan->v[plan->slot[k] - 1];

		if (range_key_same(r, key))
			return r;
	}
	return NULL;
}

/* Who an element or an address of a pair belongs to: 1 found, 0 nobody, -1 ask the plan. */
typedef int (*owner_fn)(const void *ctx, const struct wg_snapshot *snap, const struct counters_range *e,
			uint8_t family, const uint8_t *addr, uint32_t *dev, uint32_t *peer);

/* The plan's owner: of the range that starts where the element does, or holds the address. */
static int plan_owner(const void *ctx, const struct wg_snapshot *snap, const struct counters_range *e,
		      uint8_t family, const uint8_t *addr, uint32_t *dev, uint32_t *peer)
{
	const struct counters_plan *plan = ctx;
	const struct counters_range *r = e ? counters_plan_lookup(plan, e) : counters_plan_find(plan, NULL, family, addr);

	if (!r || r->dev >= snap->n_devices || r->peer >= snap->devices[r->dev]->n_peers)
		return 0;
	*dev = r->dev;
	*peer = r->peer;
	return 1;
}

static void forwarded_add(struct wg_forwarded *fw, int dir, const struct counters_range *e)
{
	if (dir == COUNTERS_FROM) {
		fw->from_packets += e->packets;
		fw->from_bytes += e->bytes;
	} else {
		fw->to_packets += e->packets;
		fw->to_bytes += e->bytes;
	}
}

static void forwarded_zero(struct wg_snapshot *snap)
{
	for (size_t d = 0; d < snap->n_devices; ++d)
		for (uint32_t p = 0; p < snap->devices[d]->n_peers; ++p)
			snap->devices[d]->peers[p].forwarded = (struct wg_forwarded){ 0 };
}

static int apply_with(struct wg_snapshot *snap, const struct counters_reading *r, owner_fn owner, const void *ctx)
{
	uint32_t dev, peer, sdev, speer, ddev, dpeer;
	int ret;

	for (size_t d = 0; d < snap->n_devices; ++d) {
		struct wg_device *wd = snap->devices[d];

		free(wd->flows);
		wd->flows = NULL;
		wd->n_flows = 0;
		wd->has_flows = r->present;
		wd->flows_at = r->at;
	}
	/* What a fold gave stays; it saw no element of a reading without the table. */
	if (!r->fold || !r->present)
		forwarded_zero(snap);
	if (!r->present)
		return 0;
	for (int dir = 0; dir < 2; ++dir) {
		for (size_t i = 0; i < r->n_ranges[dir]; ++i) {
			const struct counters_range *e = &r->ranges[dir][i];

			if ((ret = owner(ctx, snap, e, e->family, e->start, &dev, &peer)) <= 0) {
				if (ret < 0)
					return 1;
				continue;
			}
			forwarded_add(&snap->devices[dev]->peers[peer].forwarded, dir, e);
		}
	}
	for (size_t i = 0; i < r->n_pairs; ++i) {
		const struct counters_pair *p = &r->pairs[i];
		int a = owner(ctx, snap, NULL, p->family, p->saddr, &sdev, &speer);
		int b = owner(ctx, snap, NULL, p->family, p->daddr, &ddev, &dpeer);

		if (a < 0 || b < 0)
			return 1;
		if (!a || !b || sdev != ddev || speer == dpeer)
			continue;
		if ((ret = add_flow(snap->devices[sdev], speer, dpeer, p->packets, p->bytes)) < 0)
			return ret;
	}
	return 0;
}

int counters_apply(struct wg_snapshot *snap, const struct counters_plan *plan, const struct counters_reading *r)
{
	/* A fold's counters are in its own snapshot. */
	if (r->fold && r->fold->snap != snap)
		return -EINVAL;
	return apply_with(snap, r, plan_owner, plan);
}

int counters_fold_init(struct counters_fold *f, const struct counters_plan *plan, struct wg_snapshot *snap)
{
	memset(f, 0, sizeof(*f));
	f->plan = plan;
	f->snap = snap;
	for (int dir = 0; dir < 2; ++dir)
		if (!(f->seen[dir] = calloc(plan->n ? plan->n : 1, sizeof(*f->seen[dir])))) {
			counters_fold_free(f);
			return -ENOMEM;
		}
	forwarded_zero(snap);
	return 0;
}

void counters_fold_reset(struct counters_fold *f)
{
	for (int dir = 0; dir < 2; ++dir)
		memset(f->seen[dir], 0, f->plan->n * sizeof(*f->seen[dir]));
	forwarded_zero(f->snap);
}

bool counters_fold_take(struct counters_fold *f, int dir, const struct counters_range *e)
{
	const struct counters_range *want = counters_plan_lookup(f->plan, e);
	size_t i;

	/* Not the plan's range (its end moved), or twice in the sets: kept, for the sync to delete. */
	if (!want || memcmp(want->end, e->end, sizeof(e->end)))
		return false;
	i = (size_t)(want - f->plan->v);
	if (f->seen[dir][i])
		return false;
	f->seen[dir][i] = true;
	if (want->dev < f->snap->n_devices && want->peer < f->snap->devices[want->dev]->n_peers)
		forwarded_add(&f->snap->devices[want->dev]->peers[want->peer].forwarded, dir, e);
	return true;
}

void counters_fold_free(struct counters_fold *f)
{
	free(f->seen[0]);
	free(f->seen[1]);
	memset(f, 0, sizeof(*f));
}

/* One reading: the first set, then the plan and the fold (snap) when the table is there, then the rest. */
static int read_once(counters_dump_fn dump, void *ctx, struct wg_snapshot *snap, struct counters_plan *plan,
		     struct counters_fold *fold, struct counters_reading *r)
{
	size_t expect[2] = { r->expect[0], r->expect[1] };
	int ret;

	memset(r, 0, sizeof(*r));
	memcpy(r->expect, expect, sizeof(expect));
	if ((ret = dump(ctx, r, 0)) == -ENOENT)
		return 0;
	if (ret < 0)
		goto fail;
	if (snap && !fold->plan) {
		if ((ret = counters_plan_build(plan, snap)) < 0 || (ret = counters_fold_init(fold, plan, snap)) < 0)
			goto fail;
	} else if (snap) {
		counters_fold_reset(fold);
	}
	r->fold = snap ? fold : NULL;
	for (unsigned int i = 1; (ret = dump(ctx, r, i)) != 1; ++i)
		if (ret < 0)
			goto fail;
	r->present = true;
	return 0;
fail:
	counters_reading_free(r);
	return ret;
}

int counters_read_all(counters_dump_fn dump, void *ctx, struct wg_snapshot *snap, struct counters_plan *plan,
		      struct counters_fold *fold, struct counters_reading *r)
{
	int ret, tries = 0, mixed = 0;

	/*
	 * Twice at most for generations: any commit moves the generation, also of other tables, and
	 * a ruleset that other tools change all the time must not keep the counters from being read.
	 */
	for (;;) {
		ret = read_once(dump, ctx, snap, plan, fold, r);
		if (ret == -EINTR && ++tries < 5)
			continue;
		if (!ret && r->gen_mixed && ++mixed <= 2) {
			counters_reading_free(r);
			continue;
		}
		break;
	}
	/* No figures rather than a part of them. */
	if (ret < 0 && snap && fold->plan)
		counters_fold_reset(fold);
	return ret;
}

/*
 * The peers' own single addresses (their /32 and /128 allowed IPs) by interface and address:
 * on a hub where every counted address is one, they say whose each element is without a plan
 * (whose build sorts every allowed IP, and cost the console more than applying).
 */
static size_t exact_hash(uint32_t dev, uint8_t family, const uint8_t *addr)
{
	uint64_t w[2], h;

	memcpy(w, addr, sizeof(w));
	h = w[0] * 0x9e3779b97f4a7c15ULL ^ w[1] * 0xc2b2ae3d27d4eb4fULL ^ ((uint64_t)dev << 8 | family);
	return (size_t)hashmix64(h);
}

/* Room for n addresses, the slots at most half full. */
static int exact_alloc(struct counters_exact *x, size_t n)
{
	size_t size = 16;

	memset(x, 0, sizeof(*x));
	while (size < n * 2)
		size *= 2;
	x->v = calloc(n ? n : 1, sizeof(*x->v));
	x->slot = calloc(size, sizeof(*x->slot));
	if (!x->v || !x->slot)
		return -ENOMEM;
	x->mask = size - 1;
	return 0;
}

int counters_exact_build(struct counters_exact *x, const struct wg_snapshot *snap)
{
	size_t n = 0;

	for (size_t d = 0; d < snap->n_devices; ++d)
		for (uint32_t p = 0; p < snap->devices[d]->n_peers; ++p)
			n += snap->devices[d]->peers[p].n_allowedips;
	if (exact_alloc(x, n) < 0)
		return -ENOMEM;
	for (size_t d = 0; d < snap->n_devices; ++d) {
		const struct wg_device *dev = snap->devices[d];

		for (uint32_t p = 0; p < dev->n_peers; ++p) {
			for (uint32_t a = 0; a < dev->peers[p].n_allowedips; ++a) {
				const struct wg_allowedip *aip = &dev->peers[p].allowedips[a];
				struct counters_exact_addr *e = &x->v[x->n];
				size_t k;

				if (aip->cidr != (aip->family == AF_INET ? 32 : 128))
					continue;
				e->dev = (uint32_t)d;
				e->peer = p;
				e->family = (uint8_t)aip->family;
				memcpy(e->addr, aip->family == AF_INET ? (const void *)&aip->ip4 : aip->ip6.s6_addr,
				       counters_addr_len(e->family));
				for (k = exact_hash(e->dev, e->family, e->addr) & x->mask; x->slot[k]; k = (k + 1) & x->mask)
					;
				x->slot[k] = (uint32_t)++x->n;
			}
		}
	}
	return 0;
}

#define EXACT_NONE UINT32_MAX

static struct counters_exact_addr *exact_find(const struct counters_exact *x, uint32_t dev, uint8_t family,
					      const uint8_t *addr);

int counters_exact_build_some(struct counters_exact *x, const struct wg_snapshot *snap, uint32_t dev,
			      const struct counters_exact_addr *want, size_t n)
{
	const struct wg_device *d = snap->devices[dev];

	if (exact_alloc(x, n) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < n; ++i) {
		struct counters_exact_addr *e = &x->v[x->n];
		size_t k;

		if (exact_find(x, dev, want[i].family, want[i].addr))
			continue;
		*e = (struct counters_exact_addr){ .dev = dev, .peer = EXACT_NONE, .family = want[i].family };
		memcpy(e->addr, want[i].addr, counters_addr_len(e->family));
		for (k = exact_hash(dev, e->family, e->addr) & x->mask; x->slot[k]; k = (k + 1) & x->mask)
			;
		x->slot[k] = (uint32_t)++x->n;
	}
	/* The first peer with the address as its own, as counters_exact_build finds it. */
	for (uint32_t p = 0; p < d->n_peers; ++p)
		for (uint32_t a = 0; a < d->peers[p].n_allowedips; ++a) {
			const struct wg_allowedip *aip = &d->peers[p].allowedips[a];
			struct counters_exact_addr *e;

			if (aip->cidr != (aip->family == AF_INET ? 32 : 128))
				continue;
			e = exact_find(x, dev, (uint8_t)aip->family,
				       aip->family == AF_INET ? (const uint8_t *)&aip->ip4 : aip->ip6.s6_addr);
			if (e && e->peer == EXACT_NONE)
				e->peer = p;
		}
	return 0;
}

void counters_exact_free(struct counters_exact *x)
{
	free(x->v);
	free(x->slot);
	memset(x, 0, sizeof(*x));
}

static struct counters_exact_addr *exact_find(const struct counters_exact *x, uint32_t dev, uint8_t family,
					      const uint8_t *addr)
{
	uint8_t key[16] = { 0 };

	memcpy(key, addr, counters_addr_len(family));
	for (size_t k = exact_hash(dev, family, key) & x->mask; x->slot[k]; k = (k + 1) & x->mask) {
		struct counters_exact_addr *e = &x->v[x->slot[k] - 1];

		if (e->dev == dev && e->family == family && !memcmp(e->addr, key, sizeof(key)))
			return e;
	}
	return NULL;
}

int64_t counters_exact_peer(const struct counters_exact *x, uint32_t dev, uint8_t family, const uint8_t *addr)
{
	const struct counters_exact_addr *e = x->slot ? exact_find(x, dev, family, addr) : NULL;

	return e && e->peer != EXACT_NONE ? (int64_t)e->peer : -1;
}

/* --- carrying a reading's outcome to later snapshots --- */

static void carry_dev_free(struct counters_carry_dev *d)
{
	free(d->peers);
	free(d->flows);
	keyidx_free(&d->index);
}

void counters_carry_free(struct counters_carry *c)
{
	for (size_t i = 0; i < c->n_devs; ++i)
		carry_dev_free(&c->devs[i]);
	free(c->devs);
	memset(c, 0, sizeof(*c));
}

static int carry_dev(struct counters_carry_dev *cd, const struct wg_device *dev)
{
	snprintf(cd->name, sizeof(cd->name), "%s", dev->name);
	cd->has_flows = dev->has_flows;
	cd->flows_at = dev->flows_at;
	cd->index = (struct keyidx)KEYIDX_INIT(struct counters_carry_peer, key);
	cd->peers = malloc((dev->n_peers ? dev->n_peers : 1) * sizeof(*cd->peers));
	cd->flows = malloc((dev->n_flows ? dev->n_flows : 1) * sizeof(*cd->flows));
	if (!cd->peers || !cd->flows)
		return -ENOMEM;
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		memcpy(cd->peers[i].key, dev->peers[i].public_key, WG_KEY_LEN);
		cd->peers[i].fw = dev->peers[i].forwarded;
	}
	cd->n_peers = dev->n_peers;
	for (uint32_t i = 0; i < dev->n_flows; ++i) {
		const struct wg_flow *f = &dev->flows[i];

		if (f->from >= dev->n_peers || f->to >= dev->n_peers)
			continue;
		memcpy(cd->flows[cd->n_flows].from, dev->peers[f->from].public_key, WG_KEY_LEN);
		memcpy(cd->flows[cd->n_flows].to, dev->peers[f->to].public_key, WG_KEY_LEN);
		cd->flows[cd->n_flows].packets = f->packets;
		cd->flows[cd->n_flows].bytes = f->bytes;
		cd->n_flows++;
	}
	return keyidx_rebuild(&cd->index, cd->peers, cd->n_peers);
}

int counters_carry_take(struct counters_carry *c, const struct wg_snapshot *snap)
{
	counters_carry_free(c);
	c->devs = calloc(snap->n_devices ? snap->n_devices : 1, sizeof(*c->devs));
	if (!c->devs)
		return -ENOMEM;
	for (size_t d = 0; d < snap->n_devices; ++d) {
		c->n_devs++;
		if (carry_dev(&c->devs[d], snap->devices[d]) < 0) {
			counters_carry_free(c);
			return -ENOMEM;
		}
	}
	return 0;
}

static int carry_to(const struct counters_carry_dev *cd, struct wg_device *wd)
{
	uint32_t near = 0;

	free(wd->flows);
	wd->flows = NULL;
	wd->n_flows = 0;
	wd->has_flows = cd && cd->has_flows;
	wd->flows_at = cd ? cd->flows_at : (struct timespec){ 0 };
	for (uint32_t p = 0; p < wd->n_peers; ++p) {
		int64_t i = cd ? keyidx_find_near(&cd->index, cd->peers, cd->n_peers, wd->peers[p].public_key,
						  &near) : -1;

		wd->peers[p].forwarded = i >= 0 ? cd->peers[i].fw : (struct wg_forwarded){ 0 };
	}
	if (!cd || !cd->n_flows)
		return 0;
	if (!(wd->flows = malloc(cd->n_flows * sizeof(*wd->flows))))
		return -ENOMEM;
	for (uint32_t i = 0; i < cd->n_flows; ++i) {
		const struct counters_carry_flow *f = &cd->flows[i];
		int64_t from = keyidx_find(&wd->index, wd->peers, f->from);
		int64_t to = keyidx_find(&wd->index, wd->peers, f->to);

		if (from >= 0 && to >= 0)
			wd->flows[wd->n_flows++] = (struct wg_flow){ .from = (uint32_t)from, .to = (uint32_t)to,
								    .packets = f->packets, .bytes = f->bytes };
	}
	return 0;
}

int counters_carry_apply(const struct counters_carry *c, struct wg_snapshot *snap)
{
	for (size_t d = 0; d < snap->n_devices; ++d) {
		struct wg_device *wd = snap->devices[d];
		const struct counters_carry_dev *cd = NULL;

		for (size_t k = 0; k < c->n_devs && !cd; ++k)
			if (!strcmp(c->devs[k].name, wd->name))
				cd = &c->devs[k];
		if (carry_to(cd, wd) < 0)
			return -ENOMEM;
	}
	return 0;
}
