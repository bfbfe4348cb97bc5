// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the data model: the peer index, merging, allowed IPs, snapshots. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model.h"

static void make_key(uint8_t key[WG_KEY_LEN], uint32_t n)
{
	/* Distinct keys that share most bytes, the worst case for a weak hash. */
	memset(key, 0xab, WG_KEY_LEN);
	memcpy(key + WG_KEY_LEN - sizeof(n), &n, sizeof(n));
}

static void test_get_peer_creates_then_finds(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t k1[WG_KEY_LEN], k2[WG_KEY_LEN];
	struct wg_peer *p;
	bool created;

	make_key(k1, 1);
	make_key(k2, 2);
	assert_string_equal(dev->name, "wg0");
	assert_null(wg_device_find_peer(dev, k1));
	p = wg_device_get_peer(dev, k1, &created);
	assert_non_null(p);
	assert_true(created);
	assert_int_equal(p->endpoint.addr.sa_family, AF_UNSPEC);
	p->rx_bytes = 7;
	p = wg_device_get_peer(dev, k2, &created);
	assert_true(created);
	p = wg_device_get_peer(dev, k1, &created);
	assert_false(created);
	assert_int_equal(p->rx_bytes, 7);
	assert_int_equal(dev->n_peers, 2);
	assert_ptr_equal(wg_device_find_peer(dev, k2), &dev->peers[1]);
	wg_device_free(dev);
}

static void test_ten_thousand_peers(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];

	for (uint32_t i = 0; i < 10000; ++i) {
		struct wg_peer *p;

		make_key(key, i);
		p = wg_device_get_peer(dev, key, NULL);
		assert_non_null(p);
		p->tx_bytes = i;
	}
	assert_int_equal(dev->n_peers, 10000);
	assert_true(dev->index.cap >= 2 * dev->n_peers);
	for (uint32_t i = 0; i < 10000; ++i) {
		struct wg_peer *p;

		make_key(key, i);
		p = wg_device_find_peer(dev, key);
		assert_non_null(p);
		assert_int_equal(p->tx_bytes, i);
	}
	make_key(key, 10000);
	assert_null(wg_device_find_peer(dev, key));
	wg_device_free(dev);
}

/*
 * Keys one byte apart, at every position: each is found as itself, and a key one byte away from
 * all of them is not (a lookup compares hash bits kept in the index before the key).
 */
static void test_keys_one_byte_apart(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t base[WG_KEY_LEN], key[WG_KEY_LEN];

	(void)state;
	make_key(base, 77);
	for (uint32_t pos = 0; pos < WG_KEY_LEN; ++pos)
		for (uint32_t v = 0; v < 64; ++v) {
			memcpy(key, base, sizeof(key));
			key[pos] ^= (uint8_t)(v * 4 + 1);
			assert_non_null(wg_device_get_peer(dev, key, NULL));
		}
	assert_int_equal(dev->n_peers, WG_KEY_LEN * 64);
	for (uint32_t pos = 0; pos < WG_KEY_LEN; ++pos)
		for (uint32_t v = 0; v < 64; ++v) {
			struct wg_peer *p;

			memcpy(key, base, sizeof(key));
			key[pos] ^= (uint8_t)(v * 4 + 1);
			p = wg_device_find_peer(dev, key);
			assert_ptr_equal(p, &dev->peers[pos * 64 + v]);
			/* Two bytes changed: never one of them. */
			key[(pos + 1) % WG_KEY_LEN] ^= 0x80;
			assert_null(wg_device_find_peer(dev, key));
		}
	assert_null(wg_device_find_peer(dev, base));
	wg_device_free(dev);
}

/* Room made first: the peers come in without the array moving, and are found as without it. */
static void test_reserve(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *peers;
	uint32_t cap;

	(void)state;
	make_key(key, 0);
	assert_non_null(wg_device_get_peer(dev, key, NULL));
	assert_int_equal(wg_device_reserve(dev, 3000), 0);
	peers = dev->peers;
	cap = dev->index.cap;
	assert_true(cap >= 6000);
	for (uint32_t i = 1; i < 3000; ++i) {
		make_key(key, i);
		assert_non_null(wg_device_get_peer(dev, key, NULL));
	}
	assert_ptr_equal(dev->peers, peers);
	assert_int_equal(dev->index.cap, cap);
	for (uint32_t i = 0; i < 3000; ++i) {
		make_key(key, i);
		assert_ptr_equal(wg_device_find_peer(dev, key), &dev->peers[i]);
	}
	/* Room for one (an interface read with one peer last time), then more peers: it grows. */
	{
		struct wg_device *small = wg_device_new("wg1");

		assert_int_equal(wg_device_reserve(small, 1), 0);
		for (uint32_t i = 0; i < 20; ++i) {
			make_key(key, i);
			assert_non_null(wg_device_get_peer(small, key, NULL));
		}
		assert_int_equal(small->n_peers, 20);
		wg_device_trim(small);
		make_key(key, 20);
		assert_non_null(wg_device_get_peer(small, key, NULL));
		make_key(key, 7);
		assert_ptr_equal(wg_device_find_peer(small, key), &small->peers[7]);
		wg_device_free(small);
	}
	/* Past the room it grows as before; less room than it has changes nothing. */
	make_key(key, 3000);
	assert_non_null(wg_device_get_peer(dev, key, NULL));
	assert_int_equal(wg_device_reserve(dev, 10), 0);
	assert_int_equal(dev->n_peers, 3001);
	assert_ptr_equal(wg_device_find_peer(dev, key), &dev->peers[3000]);
	wg_device_free(dev);
}

static void expect_peers(const struct wg_device *dev, uint32_t n)
{
	uint8_t key[WG_KEY_LEN];

	assert_int_equal(dev->n_peers, n);
	for (uint32_t i = 0; i < n; ++i) {
		const struct wg_peer *p;

		make_key(key, i);
		p = wg_device_find_peer(dev, key);
		assert_non_null(p);
		assert_int_equal(p->rx_bytes, i);
		assert_int_equal(p->n_allowedips, 1);
		assert_int_equal(p->allowedips[0].ip4.s_addr, i);
	}
}

static void add_peers(struct wg_device *dev, uint32_t from, uint32_t to)
{
	uint8_t key[WG_KEY_LEN];

	for (uint32_t i = from; i < to; ++i) {
		struct wg_peer *p;
		struct wg_allowedip ip = { .family = AF_INET, .cidr = 32, .ip4.s_addr = i };

		make_key(key, i);
		assert_non_null(p = wg_device_get_peer(dev, key, NULL));
		p->rx_bytes = i;
		assert_int_equal(wg_peer_add_allowedip(p, &ip), 0);
	}
}

/* A stand-in for the edge's mappings (src/sys/peermap.c): get, resize and put must agree on lengths. */
#define MOCK_PAGE 4096
static struct {
	void *p;
	size_t len;
} mock_maps[16];
static int mock_gets, mock_resizes, mock_puts;

static size_t mock_find(void *p, size_t len)
{
	size_t i = 0;

	while (i < sizeof(mock_maps) / sizeof(mock_maps[0]) && !(p && mock_maps[i].p == p))
		++i;
	assert_true(i < sizeof(mock_maps) / sizeof(mock_maps[0]));
	assert_int_equal(mock_maps[i].len, len);
	return i;
}

static void *mock_get(size_t len)
{
	assert_int_equal(len % MOCK_PAGE, 0);
	assert_true(len >= WG_PEERS_MAPPED);
	for (size_t i = 0; i < sizeof(mock_maps) / sizeof(mock_maps[0]); ++i)
		if (!mock_maps[i].p) {
			mock_maps[i].p = malloc(len);
			mock_maps[i].len = len;
			mock_gets++;
			return mock_maps[i].p;
		}
	fail_msg("too many mappings");
	return NULL;
}

static void *mock_resize(void *p, size_t old_len, size_t len)
{
	size_t i = mock_find(p, old_len);
	void *q;

	assert_int_equal(len % MOCK_PAGE, 0);
	assert_non_null(q = realloc(p, len));
	mock_maps[i].p = q;
	mock_maps[i].len = len;
	mock_resizes++;
	return q;
}

static void mock_put(void *p, size_t len)
{
	mock_maps[mock_find(p, len)].p = NULL;
	free(p);
	mock_puts++;
}

/*
 * Arrays of WG_PEERS_MAPPED bytes and more come from the allocator set: grown into it from the
 * heap, grown in it, trimmed back to the heap, copied, freed, each time with the length it gave.
 */
static void test_big_arrays(void **state)
{
	static const struct wg_peers_alloc mock = { MOCK_PAGE, mock_get, mock_resize, mock_put };
	struct wg_device *dev, *copy;
	struct wg_snapshot *snap, *dup;

	(void)state;
	wg_peers_alloc_set(&mock);
	dev = wg_device_new("wg0");
	snap = wg_snapshot_new();
	add_peers(dev, 0, 12000);		/* 8, 12, 18 ... past 546 peers of 240 bytes */
	expect_peers(dev, 12000);
	assert_int_equal(mock_gets, 1);
	assert_true(mock_resizes > 0);
	assert_int_equal(wg_device_reserve(dev, 30000), 0);
	add_peers(dev, 12000, 12500);
	expect_peers(dev, 12500);
	assert_int_equal(wg_snapshot_add_device(snap, dev), 0);
	assert_non_null(dup = wg_snapshot_dup(snap));
	copy = dup->devices[0];
	expect_peers(copy, 12500);
	wg_snapshot_free(dup);

	/* A big room with few peers, trimmed to the heap, then grown again. */
	dev = wg_device_new("wg1");
	assert_int_equal(wg_device_reserve(dev, 20000), 0);
	add_peers(dev, 0, 3);
	wg_device_trim(dev);
	assert_int_equal(dev->cap_peers, 3);
	expect_peers(dev, 3);
	add_peers(dev, 3, 6000);
	expect_peers(dev, 6000);
	wg_device_trim(dev);
	expect_peers(dev, 6000);
	wg_device_free(dev);
	wg_snapshot_free(snap);
	/* Every mapping given back; small arrays never asked for one. */
	assert_int_equal(mock_gets, mock_puts);
	dev = wg_device_new("wg2");
	add_peers(dev, 0, 500);
	wg_device_free(dev);
	assert_int_equal(mock_gets, mock_puts);
	wg_peers_alloc_set(NULL);
}

/* What the populate hook was asked for, page by page of the one mapping: 32 MB at most. */
static uint8_t populated[(32u << 20) / MOCK_PAGE];
static size_t populate_calls;

static void mock_populate(void *p, size_t len)
{
	size_t i = 0, off;

	/* Inside a mapping the allocator gave, and never past its end. */
	while (i < sizeof(mock_maps) / sizeof(mock_maps[0]) &&
	       !(mock_maps[i].p && (char *)p >= (char *)mock_maps[i].p &&
		 (char *)p < (char *)mock_maps[i].p + mock_maps[i].len))
		++i;
	assert_true(i < sizeof(mock_maps) / sizeof(mock_maps[0]));
	off = (size_t)((char *)p - (char *)mock_maps[i].p);
	assert_true(len > 0 && off + len <= mock_maps[i].len);
	for (size_t pg = off / MOCK_PAGE; pg * MOCK_PAGE < off + len && pg < sizeof(populated); ++pg)
		populated[pg] = 1;
	populate_calls++;
}

/*
 * A mapped array filled peer by peer has its pages made present ahead of the peers, in a call
 * for many pages: every page a peer is written to, from the first one written in the mapping
 * on, was asked for before (or as) that peer came.
 */
static void test_populate_ahead(void **state)
{
	static const struct wg_peers_alloc mock = { MOCK_PAGE, mock_get, mock_resize, mock_put, mock_populate };
	/* Past 16,384 peers of 240 bytes: a stretch of 256 KiB then begins exactly where a peer does. */
	const uint32_t n = 20000;
	size_t sz = sizeof(struct wg_peer), first = 0;
	struct wg_device *dev;

	(void)state;
	memset(populated, 0, sizeof(populated));
	populate_calls = 0;
	assert_true((size_t)n * sz < sizeof(populated) * MOCK_PAGE);
	wg_peers_alloc_set(&mock);
	dev = wg_device_new("wg0");
	for (uint32_t k = 0; k < n; ++k) {
		bool mapped;

		/* Room made half way, in the middle of a stretch the old end had cut short. */
		if (k == 7000)
			assert_int_equal(wg_device_reserve(dev, 15000), 0);
		add_peers(dev, k, k + 1);
		mapped = dev->cap_peers * sz >= WG_PEERS_MAPPED;
		if (!mapped) {
			first = k + 1;
			continue;
		}
		/* The new peer's pages, each asked for: none left to a fault of its own. */
		for (size_t pg = k * sz / MOCK_PAGE; pg <= (((size_t)k + 1) * sz - 1) / MOCK_PAGE; ++pg)
			if (!populated[pg])
				fail_msg("peer %u (of %u mapped from peer %zu) is on page %zu, never populated", k, n, first, pg);
	}
	expect_peers(dev, n);
	/* A call a stretch, not a call a page or a peer. */
	assert_true(populate_calls >= 2);
	assert_true(populate_calls <= (size_t)n * sz / (128u << 10) + 2);
	wg_device_free(dev);
	assert_int_equal(mock_gets, mock_puts);
	wg_peers_alloc_set(NULL);
}

/*
 * A second read in another order (wireguard-go starts its listing anywhere): the near lookup finds
 * what the hash finds, for keys in sequence, out of it, and absent, and the cursor follows hits.
 */
static void test_find_near_any_order(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];
	uint32_t near = 0, hits_in_sequence = 0;

	(void)state;
	for (uint32_t i = 0; i < 1000; ++i) {
		make_key(key, i);
		assert_non_null(wg_device_get_peer(dev, key, NULL));
	}
	wg_device_trim(dev);
	assert_int_equal(dev->cap_peers, 1000);
	/* 700..999, then 0..699 with every tenth swapped for an absent key. */
	for (uint32_t k = 0; k < 1000; ++k) {
		uint32_t i = (k + 700) % 1000, before = near;
		bool absent = i < 700 && i % 10 == 5;
		struct wg_peer *p;

		make_key(key, absent ? 5000 + i : i);
		p = wg_device_find_peer_near(dev, key, &near);
		if (absent) {
			assert_null(p);
			assert_int_equal(near, before);
			continue;
		}
		assert_ptr_equal(p, wg_device_find_peer(dev, key));
		assert_ptr_equal(p, &dev->peers[i]);
		assert_int_equal(near, i + 1);
		hits_in_sequence += before == i;
	}
	/* All but the start of each run came from the cursor (checked by where it stood). */
	assert_true(hits_in_sequence > 800);
	/* Blocks of 8 each started at its fourth entry, as a Go map lists its buckets. */
	near = 0;
	for (uint32_t k = 0; k < 1000; ++k) {
		uint32_t i = k / 8 * 8 + (k % 8 + 3) % 8;

		make_key(key, i);
		assert_ptr_equal(wg_device_find_peer_near(dev, key, &near), &dev->peers[i]);
		assert_int_equal(near, i + 1);
	}
	near = 5000;
	make_key(key, 3);
	assert_ptr_equal(wg_device_find_peer_near(dev, key, &near), &dev->peers[3]);
	assert_int_equal(near, 4);
	wg_device_free(dev);
}

static void test_allowedips_and_name(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };
	struct wg_peer *p;

	make_key(key, 9);
	p = wg_device_get_peer(dev, key, NULL);
	for (unsigned int i = 0; i < 1000; ++i) {
		a.ip4.s_addr = htonl(0x0aac1000 + i);
		assert_int_equal(wg_peer_add_allowedip(p, &a), 0);
	}
	assert_int_equal(p->n_allowedips, 1000);
	assert_int_equal(ntohl(p->allowedips[999].ip4.s_addr), 0x0aac1000 + 999);
	assert_int_equal(wg_peer_set_name(p, "alice"), 0);
	assert_int_equal(wg_peer_set_name(p, "bob"), 0);
	assert_string_equal(p->name, "bob");
	assert_int_equal(wg_peer_set_name(p, NULL), 0);
	assert_null(p->name);
	wg_device_free(dev);
	wg_device_free(NULL);
}

static void test_allowedip_order(void **state)
{
	struct wg_allowedip v4a = { .family = AF_INET, .cidr = 24 }, v4b = { .family = AF_INET, .cidr = 32 };
	struct wg_allowedip v6 = { .family = AF_INET6, .cidr = 64 };

	inet_pton(AF_INET, "10.0.0.0", &v4a.ip4);
	inet_pton(AF_INET, "10.0.0.0", &v4b.ip4);
	inet_pton(AF_INET6, "fd00::", &v6.ip6);
	assert_true(wg_allowedip_cmp(&v4a, &v4b) < 0);
	assert_true(wg_allowedip_cmp(&v4b, &v6) < 0);
	assert_true(wg_allowedip_cmp(&v6, &v4a) > 0);
	assert_int_equal(wg_allowedip_cmp(&v6, &v6), 0);
}

static void test_snapshot(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	assert_int_equal(wg_snapshot_add_device(snap, wg_device_new("wg0")), 0);
	assert_int_equal(wg_snapshot_add_device(snap, wg_device_new("wg1")), 0);
	assert_string_equal(wg_snapshot_find_device(snap, "wg1")->name, "wg1");
	assert_null(wg_snapshot_find_device(snap, "wg2"));
	wg_snapshot_free(snap);
	wg_snapshot_free(NULL);
}

static void test_long_name_truncated(void **state)
{
	struct wg_device *dev = wg_device_new("a-name-longer-than-ifnamsiz");

	assert_int_equal(strlen(dev->name), IFNAMSIZ - 1);
	wg_device_free(dev);
}

static void test_snapshot_dup(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new(), *copy;
	struct wg_device *dev = wg_device_new("wg0");
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };
	struct wg_flow f = { .from = 0, .to = 1, .packets = 3, .bytes = 300 };
	uint8_t k1[WG_KEY_LEN] = { 1 }, k2[WG_KEY_LEN] = { 2 };
	struct wg_peer *p;

	p = wg_device_get_peer(dev, k1, NULL);
	assert_int_equal(wg_peer_set_name(p, "alice"), 0);
	a.ip4.s_addr = htonl(0x0aac1002);
	assert_int_equal(wg_peer_add_allowedip(p, &a), 0);
	p->rx_bytes = 42;
	wg_device_get_peer(dev, k2, NULL);
	dev->flows = malloc(sizeof(f));
	dev->flows[0] = f;
	dev->n_flows = 1;
	dev->has_flows = true;
	dev->listen_port = 51820;
	assert_int_equal(wg_snapshot_add_device(snap, dev), 0);
	snap->wall.tv_sec = 1700000000;

	copy = wg_snapshot_dup(snap);
	assert_non_null(copy);
	wg_snapshot_free(snap);
	/* Everything is the copy's own: the original is gone. */
	assert_int_equal(copy->n_devices, 1);
	assert_int_equal(copy->wall.tv_sec, 1700000000);
	dev = copy->devices[0];
	assert_string_equal(dev->name, "wg0");
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->n_peers, 2);
	p = wg_device_find_peer(dev, k1);
	assert_non_null(p);
	assert_string_equal(p->name, "alice");
	assert_int_equal(p->n_allowedips, 1);
	assert_int_equal(p->allowedips[0].ip4.s_addr, htonl(0x0aac1002));
	assert_int_equal(p->rx_bytes, 42);
	assert_non_null(wg_device_find_peer(dev, k2));
	assert_true(dev->has_flows);
	assert_int_equal(dev->n_flows, 1);
	assert_int_equal(dev->flows[0].bytes, 300);
	wg_snapshot_free(copy);
}

static struct wg_allowedip aip_n(uint32_t n)
{
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };

	a.ip4.s_addr = htonl(0x0a000000u + n);
	return a;
}

static void assert_aips(const struct wg_peer *p, uint32_t first, uint32_t n)
{
	assert_int_equal(p->n_allowedips, n);
	for (uint32_t j = 0; j < n; ++j)
		if (p->allowedips[j].ip4.s_addr != htonl(0x0a000000u + first + j))
			fail_msg("allowed IP %u of the peer is not the one added", j);
}

/* strdup that fails on demand (the test is linked with --wrap=strdup): after strdup_ok calls. */
static int strdup_ok = -1;		/* -1: never fails */
char *__real_strdup(const char *s);
char *__wrap_strdup(const char *s);
char *__wrap_strdup(const char *s)
{
	if (strdup_ok == 0) {
		strdup_ok = -1;
		errno = ENOMEM;
		return NULL;
	}
	if (strdup_ok > 0)
		strdup_ok--;
	return __real_strdup(s);
}

/* A copy that runs out of memory half way frees all it took: LeakSanitizer looks at the end. */
static void test_snapshot_dup_fails(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new(), *dup;
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN] = { 0 };
	char name[16];

	(void)state;
	assert_non_null(snap);
	assert_non_null(dev);
	for (uint32_t i = 0; i < 3; ++i) {
		struct wg_allowedip a = aip_n(2 * i), b = aip_n(2 * i + 1);
		struct wg_peer *p;

		memcpy(key, &i, sizeof(i));
		assert_non_null(p = wg_device_append_peer(dev, key));
		assert_int_equal(wg_device_add_allowedip(dev, p, &a), 0);
		assert_int_equal(wg_device_add_allowedip(dev, p, &b), 0);
		snprintf(name, sizeof(name), "peer%u", i);
		assert_int_equal(wg_peer_set_name(p, name), 0);
	}
	assert_int_equal(wg_snapshot_add_device(snap, dev), 0);
	/* The name of the first, second and third peer fails; each after its allowed IPs were copied. */
	for (int ok = 0; ok < 3; ++ok) {
		strdup_ok = ok;
		assert_null(wg_snapshot_dup(snap));
		assert_int_equal(strdup_ok, -1);
	}
	assert_non_null(dup = wg_snapshot_dup(snap));
	assert_int_equal(dup->devices[0]->n_peers, 3);
	assert_string_equal(dup->devices[0]->peers[2].name, "peer2");
	assert_int_equal(dup->devices[0]->peers[2].n_allowedips, 2);
	wg_snapshot_free(dup);
	wg_snapshot_free(snap);
}

/*
 * Allowed IPs a dump gives peer after peer go into the device's blocks, across their ends; a
 * peer given more after another's, a wide one, and one added to the old way all end up right.
 */
static void test_allowedip_blocks(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new(), *dup;
	struct wg_device *dev = wg_device_new("wg0"), *copy;
	uint8_t key[WG_KEY_LEN] = { 0 };
	uint32_t next = 0;
	struct wg_peer *p;

	(void)state;
	assert_non_null(dev);
	assert_non_null(snap);
	/* 3,000 dual-stack peers: more than one block. */
	for (uint32_t i = 0; i < 3000; ++i) {
		struct wg_allowedip a = aip_n(next++), b = aip_n(next++);

		memcpy(key, &i, sizeof(i));
		assert_non_null(p = wg_device_append_peer(dev, key));
		assert_int_equal(wg_device_add_allowedip(dev, p, &a), 0);
		assert_int_equal(wg_device_add_allowedip(dev, p, &b), 0);
	}
	/* More for a peer before the last, both ways, while the newest block has room. */
	{
		struct wg_allowedip a = aip_n(next), b = aip_n(next + 1);

		assert_int_equal(wg_device_add_allowedip(dev, &dev->peers[10], &a), 0);
		assert_int_equal(wg_peer_add_allowedip(&dev->peers[11], &b), 0);
	}
	/* A wide peer past a block's end. */
	key[0] = 0xee;
	assert_non_null(p = wg_device_append_peer(dev, key));
	for (uint32_t j = 0; j < 9000; ++j) {
		struct wg_allowedip a = aip_n(100000 + j);

		assert_int_equal(wg_device_add_allowedip(dev, p, &a), 0);
	}
	for (uint32_t i = 0; i < 3000; ++i) {
		if (i == 10 || i == 11) {
			assert_int_equal(dev->peers[i].n_allowedips, 3);
			assert_int_equal(dev->peers[i].allowedips[2].ip4.s_addr, htonl(0x0a000000u + next + (i - 10)));
			dev->peers[i].n_allowedips = 2;
		}
		assert_aips(&dev->peers[i], 2 * i, 2);
		if (i == 10 || i == 11)
			dev->peers[i].n_allowedips = 3;
	}
	assert_aips(&dev->peers[3000], 100000, 9000);
	/* A copy has its own, freed with it (the sanitizers see a double free or a leak). */
	assert_int_equal(wg_device_index(dev), 0);
	assert_int_equal(wg_snapshot_add_device(snap, dev), 0);
	assert_non_null(dup = wg_snapshot_dup(snap));
	copy = wg_snapshot_find_device(dup, "wg0");
	assert_non_null(copy);
	assert_aips(&copy->peers[1234], 2468, 2);
	assert_aips(&copy->peers[3000], 100000, 9000);
	wg_snapshot_free(snap);
	assert_aips(&copy->peers[2999], 5998, 2);
	wg_snapshot_free(dup);
}

/* Several at once into the blocks, or one by one where they do not fit; and a device's owners. */
static void test_allowedips_at_once_and_refs(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");
	struct wg_allowedip v[3000];
	uint8_t key[WG_KEY_LEN] = { 0 };
	struct wg_peer *p;

	(void)state;
	assert_non_null(dev);
	for (uint32_t i = 0; i < 3000; ++i)
		v[i] = aip_n(i);
	/* 1,000 peers of two, then one of 3,000: past the blocks' room, its own allocation. */
	for (uint32_t i = 0; i < 1000; ++i) {
		memcpy(key, &i, sizeof(i));
		assert_non_null(p = wg_device_append_peer(dev, key));
		assert_int_equal(wg_device_add_allowedips(dev, p, &v[2 * i], 2), 0);
		assert_int_equal(p->cap_allowedips, 0);
	}
	key[0] = 0xee;
	assert_non_null(p = wg_device_append_peer(dev, key));
	assert_int_equal(wg_device_add_allowedips(dev, p, v, 0), 0);
	assert_int_equal(p->n_allowedips, 0);
	assert_int_equal(wg_device_add_allowedips(dev, p, v, 3000), 0);
	for (uint32_t i = 0; i < 1000; ++i)
		assert_aips(&dev->peers[i], 2 * i, 2);
	assert_aips(&dev->peers[1000], 0, 3000);
	/* A second owner keeps it after the first lets go (the sanitizers see a leak or a reuse). */
	assert_ptr_equal(wg_device_ref(dev), dev);
	wg_device_free(dev);
	assert_aips(&dev->peers[999], 1998, 2);
	wg_device_free(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_peer_creates_then_finds),
		cmocka_unit_test(test_keys_one_byte_apart),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_big_arrays),
		cmocka_unit_test(test_populate_ahead),
		cmocka_unit_test(test_ten_thousand_peers),
		cmocka_unit_test(test_find_near_any_order),
		cmocka_unit_test(test_allowedips_and_name),
		cmocka_unit_test(test_allowedip_order),
		cmocka_unit_test(test_snapshot),
		cmocka_unit_test(test_long_name_truncated),
		cmocka_unit_test(test_snapshot_dup),
		cmocka_unit_test(test_allowedip_blocks),
		cmocka_unit_test(test_snapshot_dup_fails),
		cmocka_unit_test(test_allowedips_at_once_and_refs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
