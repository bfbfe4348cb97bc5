// SPDX-License-Identifier: GPL-2.0-or-later
/* A hash index by public key over an array the caller owns. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "hashmix.h"
#include "keyidx.h"
#include "model.h"

static const uint8_t *key_of(const struct keyidx *ix, const void *base, uint32_t i)
{
	return (const uint8_t *)base + (size_t)i * ix->stride + ix->offset;
}

/*
 * Public keys are random, but a pasted key is chosen by someone: every byte must count, not
 * just the first few. Four 64-bit words, each multiplied by its own odd constant, then the
 * murmur3 finalizer spreads the high bits down; 4 multiplies where a bytewise FNV-1a took 32,
 * and this runs several times per peer per refresh.
 */
static uint32_t key_hash(const uint8_t *key)
{
	uint64_t w[4], h;

	memcpy(w, key, sizeof(w));
	h = w[0] * 0x9e3779b97f4a7c15ULL ^ w[1] * 0xc2b2ae3d27d4eb4fULL ^
	    w[2] * 0x165667b19e3779f9ULL ^ w[3] * 0x27d4eb2f165667c5ULL;
	return (uint32_t)hashmix64(h);
}

/*
 * A slot holds entry number + 1 in the bits below the table's size and the key's hash in the
 * bits above: a probe compares those before it reads the key, from an array of entries of
 * hundreds of bytes (a cache miss each; looking up a new key read two or three of them).
 */
static void insert(uint32_t *slots, uint32_t cap, const uint8_t *key, uint32_t i)
{
	uint32_t h = key_hash(key), mask = cap - 1, slot = h & mask;

	while (slots[slot])
		slot = (slot + 1) & mask;
	slots[slot] = (h & ~mask) | (i + 1);
}

static int resize(struct keyidx *ix, const void *base, uint32_t n, uint32_t cap)
{
	uint32_t *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; ++i)
		insert(slots, cap, key_of(ix, base, i), i);
	free(ix->slots);
	ix->slots = slots;
	ix->cap = cap;
	return 0;
}

/* The table for n entries: the smallest power of two at least twice n (from 16). 0 or -ENOMEM. */
static int cap_for(uint32_t n, uint32_t *out)
{
	uint64_t cap = 16;

	while ((uint64_t)n * 2 > cap)
		cap *= 2;
	if (cap > UINT32_MAX / 2 + 1)
		return -ENOMEM;
	*out = (uint32_t)cap;
	return 0;
}

int keyidx_add(struct keyidx *ix, const void *base, uint32_t n, uint32_t i)
{
	uint32_t cap;

	/* Keep the table at most half full; growing re-inserts every entry, i among them. */
	if ((uint64_t)n * 2 > ix->cap) {
		if (cap_for(n, &cap) < 0)
			return -ENOMEM;
		return resize(ix, base, n, cap);
	}
	insert(ix->slots, ix->cap, key_of(ix, base, i), i);
	return 0;
}

int keyidx_reserve(struct keyidx *ix, const void *base, uint32_t n, uint32_t expected)
{
	uint32_t cap;

	/* Room for fewer than it holds would be a table too small for what resize puts back. */
	if (expected < n)
		expected = n;
	/* A table not made yet is made at the first add, 16 slots at least. */
	if ((uint64_t)expected * 2 <= (ix->cap ? ix->cap : 16))
		return 0;
	if (cap_for(expected, &cap) < 0)
		return -ENOMEM;
	return resize(ix, base, n, cap);
}

int64_t keyidx_find(const struct keyidx *ix, const void *base, const uint8_t *key)
{
	uint32_t h, mask, slot, v;

	if (!ix->cap)
		return -1;
	h = key_hash(key);
	mask = ix->cap - 1;
	for (slot = h & mask; (v = ix->slots[slot]); slot = (slot + 1) & mask) {
		uint32_t i = (v & mask) - 1;

		if ((v & ~mask) == (h & ~mask) && !memcmp(key_of(ix, base, i), key, WG_KEY_LEN))
			return i;
	}
	return -1;
}

/*
 * wireguard-go lists its peers from a random point of each of its map's buckets: two thirds come
 * in sequence, nearly all the others within 10 places of where the sequence would be.
 */
#define NEAR_WINDOW 10

static bool key_at(const struct keyidx *ix, const void *base, uint32_t i, const uint8_t *key, uint64_t first)
{
	const uint8_t *k = key_of(ix, base, i);
	uint64_t w;

	memcpy(&w, k, sizeof(w));
	return w == first && !memcmp(k, key, WG_KEY_LEN);
}

int64_t keyidx_find_near(const struct keyidx *ix, const void *base, uint32_t n, const uint8_t *key,
			 uint32_t *cursor)
{
	uint32_t c = *cursor;
	uint64_t first;
	int64_t i = -1;

	memcpy(&first, key, sizeof(first));
	if (c < n && key_at(ix, base, c, key, first)) {
		i = c;
	} else {
		for (uint32_t d = 1; d <= NEAR_WINDOW && i < 0; ++d) {
			if (c + d < n && key_at(ix, base, c + d, key, first))
				i = c + d;
			else if (d <= c && c - d < n && key_at(ix, base, c - d, key, first))
				i = c - d;
		}
		if (i < 0 && (i = keyidx_find(ix, base, key)) < 0)
			return -1;
	}
	*cursor = (uint32_t)i + 1;
	return i;
}

int keyidx_rebuild(struct keyidx *ix, const void *base, uint32_t n)
{
	uint32_t cap;

	if (cap_for(n, &cap) < 0)
		return -ENOMEM;
	return resize(ix, base, n, cap);
}

int keyidx_rebuild_unique(struct keyidx *ix, const void *base, uint32_t n)
{
	uint32_t cap;

	if (cap_for(n, &cap) < 0)
		return -ENOMEM;
	/* A table reserved for these entries is used as it is. */
	if (ix->cap == cap) {
		memset(ix->slots, 0, (size_t)cap * sizeof(*ix->slots));
	} else {
		uint32_t *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		free(ix->slots);
		ix->slots = slots;
		ix->cap = cap;
	}
	/*
	 * Entries 0..i-1 are in: a key among them is one given twice. One probe an entry, which
	 * either meets the key or ends at the free slot it takes, not a lookup and then another
	 * probe to insert.
	 */
	for (uint32_t i = 0; i < n; ++i) {
		const uint8_t *key = key_of(ix, base, i);
		uint32_t h = key_hash(key), mask = cap - 1, slot, v;

		for (slot = h & mask; (v = ix->slots[slot]); slot = (slot + 1) & mask)
			if ((v & ~mask) == (h & ~mask) && !memcmp(key_of(ix, base, (v & mask) - 1), key, WG_KEY_LEN)) {
				keyidx_free(ix);
				return -EEXIST;
			}
		ix->slots[slot] = (h & ~mask) | (i + 1);
	}
	return 0;
}

void keyidx_free(struct keyidx *ix)
{
	free(ix->slots);
	ix->slots = NULL;
	ix->cap = 0;
}
