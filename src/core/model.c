// SPDX-License-Identifier: GPL-2.0-or-later
/* The neutral data model every backend fills and every front end reads. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

/*
 * A big hub's peer array is megabytes, and a new one is built for every snapshot while the
 * shown one still lives. Taken from malloc's heap, each freed array left a hole that smaller
 * allocations split, so the next went on top: a 10,000-peer console's heap kept 3-4 MB it did
 * not use. With an allocator set (the program sets one at start: src/sys/peermap.c), arrays of
 * WG_PEERS_MAPPED bytes or more come from it; smaller ones, and all without it, from malloc.
 * Whether an array is the allocator's follows from its capacity, which every resize keeps.
 */
static const struct wg_peers_alloc *peers_alloc;

void wg_peers_alloc_set(const struct wg_peers_alloc *a)
{
	peers_alloc = a;
}

static bool peers_mapped(size_t n)
{
	return peers_alloc && n * sizeof(struct wg_peer) >= WG_PEERS_MAPPED;
}

static size_t map_len(size_t n)
{
	size_t page = peers_alloc->page;

	return (n * sizeof(struct wg_peer) + page - 1) / page * page;
}

/* old (of old_n peers' room) resized to n peers' room, like realloc. */
static struct wg_peer *peers_resize(struct wg_peer *old, size_t old_n, size_t n)
{
	bool was_mapped = old && peers_mapped(old_n);
	size_t bytes = n * sizeof(*old);
	void *p;

	if (!peers_mapped(n)) {
		if (!was_mapped)
			return realloc(old, bytes ? bytes : 1);
		if ((p = malloc(bytes ? bytes : 1)))
			memcpy(p, old, bytes);
	} else if (was_mapped) {
		return peers_alloc->resize(old, map_len(old_n), map_len(n));
	} else {
		if (!(p = peers_alloc->get(map_len(n))))
			return NULL;
		if (old)
			memcpy(p, old, old_n * sizeof(*old));
	}
	if (p && old) {
		if (was_mapped)
			peers_alloc->put(old, map_len(old_n));
		else
			free(old);
	}
	return p;
}

static void peers_free(struct wg_peer *peers, size_t n)
{
	if (peers && peers_mapped(n))
		peers_alloc->put(peers, map_len(n));
	else
		free(peers);
}

struct wg_device *wg_device_new(const char *name)
{
	struct wg_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return NULL;
	dev->index = (struct keyidx)KEYIDX_INIT(struct wg_peer, public_key);
	dev->refs = 1;
	if (name) {
		strncpy(dev->name, name, IFNAMSIZ - 1);
		dev->name[IFNAMSIZ - 1] = '\0';
	}
	return dev;
}

/* Allowed IPs of the peers that fill a device one after another, a block at a time. */
struct wg_aip_block {
	struct wg_aip_block *next;
	uint32_t used, cap;
	struct wg_allowedip v[];
};

#define AIP_BLOCK 4096u

struct wg_device *wg_device_ref(struct wg_device *dev)
{
	if (dev)
		__atomic_add_fetch(&dev->refs, 1, __ATOMIC_RELAXED);
	return dev;
}

void wg_device_free(struct wg_device *dev)
{
	if (!dev || __atomic_sub_fetch(&dev->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (struct wg_aip_block *b = dev->aip_blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		/* Without a capacity, they are in the blocks. */
		if (dev->peers[i].cap_allowedips)
			free(dev->peers[i].allowedips);
		if (!dev->peers[i].name_shared)
			free(dev->peers[i].name);
		if (!dev->peers[i].groups_shared)
			free(dev->peers[i].groups);
	}
	wg_strings_unref(dev->name_holds[0]);
	wg_strings_unref(dev->name_holds[1]);
	wg_strings_unref(dev->groups_hold);
	peers_free(dev->peers, dev->cap_peers);
	free(dev->flows);
	free(dev->drift);
	free(dev->drift_error);
	wg_policy_free(dev->policy);
	wg_history_unref(dev->history);
	keyidx_free(&dev->index);
	free(dev->lines_sums);
	free(dev);
}

struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	int64_t i = keyidx_find(&dev->index, dev->peers, key);

	return i < 0 ? NULL : &dev->peers[i];
}

struct wg_peer *wg_device_find_peer_near(const struct wg_device *dev, const uint8_t key[WG_KEY_LEN],
					 uint32_t *cursor)
{
	int64_t i = keyidx_find_near(&dev->index, dev->peers, dev->n_peers, key, cursor);

	return i < 0 ? NULL : &dev->peers[i];
}

/*
 * A mapped array filled peer by peer (a dump of 100,000 peers, 25 MB) took a page fault for
 * every 4 KiB it reached; on an emulated CPU those faults were a quarter of the dump's parse.
 * The pages are made present a stretch of POPULATE_STEP bytes at a time instead: the same
 * pages, written soon after as they would have been, in a call a stretch.
 */
#define POPULATE_STEP ((size_t)256 << 10)

static bool populating(const struct wg_device *dev)
{
	return peers_alloc && peers_alloc->populate && peers_mapped(dev->cap_peers);
}

/* From the page holding byte at to the end of the stretch holding byte last, within the mapping. */
static void populate_range(struct wg_device *dev, size_t at, size_t last)
{
	size_t page = peers_alloc->page, mapped = map_len(dev->cap_peers);
	size_t from = at / page * page, to = (last / POPULATE_STEP + 1) * POPULATE_STEP;

	if (to > mapped)
		to = mapped;
	if (to > from)
		peers_alloc->populate((char *)dev->peers + from, to - from);
}

/*
 * Before peer n is written: in a new or grown mapping from its page on (a stretch cut short
 * by the old end goes on past it now), else when it reaches into the next stretch.
 */
static void populate_ahead(struct wg_device *dev, bool grown)
{
	size_t at = (size_t)dev->n_peers * sizeof(struct wg_peer), last = at + sizeof(struct wg_peer) - 1;

	if (grown || !dev->n_peers)
		populate_range(dev, at, last);
	else if ((at - 1) / POPULATE_STEP != last / POPULATE_STEP)
		populate_range(dev, last / POPULATE_STEP * POPULATE_STEP, last);
}

/* A new peer at the end, zeroed but for its key; NULL without memory. Not indexed. */
static struct wg_peer *append_peer(struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer *peer;
	bool grown;

	if (dev->n_peers == UINT32_MAX - 1)
		return NULL;
	if ((grown = dev->n_peers == dev->cap_peers)) {
		/* From a small room (reserved or trimmed to one peer), half of it more would be none. */
		uint32_t cap = dev->cap_peers >= 8 ? dev->cap_peers + dev->cap_peers / 2 : 8;
		struct wg_peer *peers;

		if (cap < dev->cap_peers)
			cap = UINT32_MAX - 1;
		peers = peers_resize(dev->peers, dev->cap_peers, cap);
		if (!peers)
			return NULL;
		dev->peers = peers;
		dev->cap_peers = cap;
	}
	peer = &dev->peers[dev->n_peers];
	if (populating(dev))
		populate_ahead(dev, grown);
	memset(peer, 0, sizeof(*peer));
	memcpy(peer->public_key, key, WG_KEY_LEN);
	peer->endpoint.addr.sa_family = AF_UNSPEC;
	return peer;
}

struct wg_peer *wg_device_get_peer(struct wg_device *dev, const uint8_t key[WG_KEY_LEN], bool *created)
{
	struct wg_peer *peer;

	if (created)
		*created = false;
	/* The peer being continued is nearly always the last one: check it before hashing. */
	if (dev->n_peers && !memcmp(dev->peers[dev->n_peers - 1].public_key, key, WG_KEY_LEN))
		return &dev->peers[dev->n_peers - 1];
	peer = wg_device_find_peer(dev, key);
	if (peer)
		return peer;
	if (!(peer = append_peer(dev, key)))
		return NULL;
	if (keyidx_add(&dev->index, dev->peers, dev->n_peers + 1, dev->n_peers) < 0)
		return NULL;
	dev->n_peers++;
	if (created)
		*created = true;
	return peer;
}

struct wg_peer *wg_device_append_peer(struct wg_device *dev, const uint8_t key[WG_KEY_LEN])
{
	struct wg_peer *peer = append_peer(dev, key);

	if (peer)
		dev->n_peers++;
	return peer;
}

int wg_device_index(struct wg_device *dev)
{
	return keyidx_rebuild_unique(&dev->index, dev->peers, dev->n_peers);
}

int wg_device_reserve(struct wg_device *dev, uint32_t n)
{
	struct wg_peer *peers;

	if (n <= dev->cap_peers || n == UINT32_MAX)
		return 0;
	peers = peers_resize(dev->peers, dev->cap_peers, n);
	if (!peers)
		return -ENOMEM;
	dev->peers = peers;
	dev->cap_peers = n;
	if (populating(dev))
		populate_ahead(dev, true);
	return keyidx_reserve(&dev->index, dev->peers, dev->n_peers, n);
}

void wg_device_trim(struct wg_device *dev)
{
	struct wg_peer *peers;

	if (dev->cap_peers <= dev->n_peers || !dev->n_peers)
		return;
	peers = peers_resize(dev->peers, dev->cap_peers, dev->n_peers);
	if (peers) {
		dev->peers = peers;
		dev->cap_peers = dev->n_peers;
	}
}

int wg_device_add_allowedip(struct wg_device *dev, struct wg_peer *peer, const struct wg_allowedip *aip)
{
	struct wg_aip_block *b = dev->aip_blocks;

	if (peer->cap_allowedips)
		return wg_peer_add_allowedip(peer, aip);
	/* The newest block's last ones, or none yet: on there. */
	if (b && b->used < b->cap && (!peer->n_allowedips || peer->allowedips + peer->n_allowedips == b->v + b->used)) {
		if (!peer->n_allowedips)
			peer->allowedips = b->v + b->used;
		b->used++;
		peer->allowedips[peer->n_allowedips++] = *aip;
		return 0;
	}
	/* A block full, or more for a peer before the last: a peer's own allocation from here on. */
	if (peer->n_allowedips)
		return wg_peer_add_allowedip(peer, aip);
	if (!(b = malloc(sizeof(*b) + AIP_BLOCK * sizeof(b->v[0]))))
		return -ENOMEM;
	b->next = dev->aip_blocks;
	b->used = 0;
	b->cap = AIP_BLOCK;
	dev->aip_blocks = b;
	return wg_device_add_allowedip(dev, peer, aip);
}

int wg_device_add_allowedips(struct wg_device *dev, struct wg_peer *peer, const struct wg_allowedip *v, uint32_t n)
{
	struct wg_aip_block *b = dev->aip_blocks;
	int ret = 0;

	if (!n)
		return 0;
	/* A peer without any yet, and room for all in the newest block: one copy. */
	if (!peer->n_allowedips && !peer->cap_allowedips && b && b->cap - b->used >= n) {
		peer->allowedips = b->v + b->used;
		memcpy(peer->allowedips, v, n * sizeof(*v));
		peer->n_allowedips = n;
		b->used += n;
		return 0;
	}
	for (uint32_t i = 0; i < n && !ret; ++i)
		ret = wg_device_add_allowedip(dev, peer, &v[i]);
	return ret;
}

int wg_peer_add_allowedip(struct wg_peer *peer, const struct wg_allowedip *aip)
{
	/* In its device's blocks: moved to an allocation of its own first. */
	if (!peer->cap_allowedips && peer->n_allowedips) {
		struct wg_allowedip *v = malloc((size_t)peer->n_allowedips * 2 * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memcpy(v, peer->allowedips, peer->n_allowedips * sizeof(*v));
		peer->allowedips = v;
		peer->cap_allowedips = peer->n_allowedips * 2;
	}
	if (peer->n_allowedips == peer->cap_allowedips) {
		/* Room for two from the start: a dual-stack peer (most, on a hub) has an IPv4 and an IPv6 one. */
		uint32_t cap = peer->cap_allowedips ? peer->cap_allowedips * 2 : 2;
		struct wg_allowedip *a;

		if (cap < peer->cap_allowedips)
			return -ENOMEM;
		a = realloc(peer->allowedips, (size_t)cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		peer->allowedips = a;
		peer->cap_allowedips = cap;
	}
	peer->allowedips[peer->n_allowedips++] = *aip;
	return 0;
}

int wg_peer_set_name(struct wg_peer *peer, const char *name)
{
	char *copy = NULL;

	if (name && !(copy = strdup(name)))
		return -ENOMEM;
	if (!peer->name_shared)
		free(peer->name);
	peer->name = copy;
	peer->name_shared = false;
	return 0;
}

int wg_allowedip_cmp(const struct wg_allowedip *a, const struct wg_allowedip *b)
{
	int r;

	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if (a->family == AF_INET)
		r = memcmp(&a->ip4, &b->ip4, sizeof(a->ip4));
	else
		r = memcmp(&a->ip6, &b->ip6, sizeof(a->ip6));
	if (r)
		return r;
	return (int)a->cidr - (int)b->cidr;
}

struct wg_snapshot *wg_snapshot_new(void)
{
	return calloc(1, sizeof(struct wg_snapshot));
}

int wg_snapshot_add_device(struct wg_snapshot *snap, struct wg_device *dev)
{
	struct wg_device **devices = realloc(snap->devices, (snap->n_devices + 1) * sizeof(*devices));

	if (!devices)
		return -ENOMEM;
	devices[snap->n_devices++] = dev;
	snap->devices = devices;
	return 0;
}

struct wg_device *wg_snapshot_find_device(const struct wg_snapshot *snap, const char *name)
{
	for (size_t i = 0; i < snap->n_devices; ++i)
		if (!strcmp(snap->devices[i]->name, name))
			return snap->devices[i];
	return NULL;
}

void wg_snapshot_free(struct wg_snapshot *snap)
{
	if (!snap)
		return;
	for (size_t i = 0; i < snap->n_devices; ++i)
		wg_device_free(snap->devices[i]);
	free(snap->devices);
	free(snap);
}

void wg_policy_free(struct wg_policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p->refused);
	wg_strings_unref(p->groups);
	free(p);
}

struct wg_strings *wg_strings_ref(struct wg_strings *s)
{
	if (s)
		__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void wg_strings_unref(struct wg_strings *s)
{
	/* A loop, not a recursion: each peer added in a console may lengthen the chain by one. */
	while (s && !__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL)) {
		struct wg_strings *base = s->base;

		for (size_t i = 0; i < s->n; ++i)
			free(s->v[i]);
		free(s->v);
		free(s);
		s = base;
	}
}

struct wg_history *wg_history_ref(struct wg_history *h)
{
	if (h)
		__atomic_add_fetch(&h->refs, 1, __ATOMIC_RELAXED);
	return h;
}

void wg_history_unref(struct wg_history *h)
{
	if (!h || __atomic_sub_fetch(&h->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(h->events);
	free(h);
}

static struct wg_device *device_dup(const struct wg_device *src)
{
	struct wg_device *dev = wg_device_new(NULL);

	if (!dev)
		return NULL;
	memcpy(dev->name, src->name, sizeof(dev->name));
	dev->ifindex = src->ifindex;
	dev->backend = src->backend;
	dev->has_public_key = src->has_public_key;
	memcpy(dev->public_key, src->public_key, WG_KEY_LEN);
	dev->listen_port = src->listen_port;
	dev->fwmark = src->fwmark;
	dev->has_flows = src->has_flows;
	dev->flows_at = src->flows_at;
	dev->managed_by = src->managed_by;
	dev->save_config = src->save_config;
	dev->has_drift = false;
	if (src->n_peers && !(dev->peers = peers_resize(NULL, 0, src->n_peers)))
		goto fail;
	dev->cap_peers = src->n_peers;
	for (uint32_t i = 0; i < src->n_peers; ++i) {
		const struct wg_peer *p = &src->peers[i];
		struct wg_peer *q = &dev->peers[i];

		*q = *p;
		q->allowedips = NULL;
		q->name = NULL;
		q->name_shared = false;
		q->groups = NULL;
		q->groups_shared = false;
		q->cap_allowedips = q->n_allowedips = 0;
		dev->n_peers = i + 1;
		if (p->n_allowedips) {
			if (!(q->allowedips = malloc(p->n_allowedips * sizeof(*q->allowedips))))
				goto fail;
			/* A capacity at once: without one, wg_device_free takes them for the blocks'. */
			q->n_allowedips = q->cap_allowedips = p->n_allowedips;
			memcpy(q->allowedips, p->allowedips, p->n_allowedips * sizeof(*q->allowedips));
		}
		if (p->name && !(q->name = strdup(p->name)))
			goto fail;
	}
	if (keyidx_rebuild(&dev->index, dev->peers, dev->n_peers) < 0)
		goto fail;
	if (src->n_flows) {
		if (!(dev->flows = malloc(src->n_flows * sizeof(*dev->flows))))
			goto fail;
		memcpy(dev->flows, src->flows, src->n_flows * sizeof(*dev->flows));
		dev->n_flows = src->n_flows;
	}
	return dev;
fail:
	wg_device_free(dev);
	return NULL;
}

struct wg_snapshot *wg_snapshot_dup(const struct wg_snapshot *src)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	if (!snap)
		return NULL;
	snap->mono = src->mono;
	snap->wall = src->wall;
	for (size_t i = 0; i < src->n_devices; ++i) {
		struct wg_device *dev = device_dup(src->devices[i]);

		if (!dev || wg_snapshot_add_device(snap, dev) < 0) {
			wg_device_free(dev);
			wg_snapshot_free(snap);
			return NULL;
		}
	}
	return snap;
}
