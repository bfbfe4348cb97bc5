/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A hash index by public key over an array the caller owns: entry i's key at base + i * stride + offset. */
#ifndef WGSTAR_KEYIDX_H
#define WGSTAR_KEYIDX_H

#include <stddef.h>
#include <stdint.h>

struct keyidx {
	uint32_t *slots;	/* entry number + 1, and hash bits above cap - 1; 0 = empty */
	uint32_t cap;		/* power of two, or 0 */
	size_t stride;
	size_t offset;
};

#define KEYIDX_INIT(type, member) { .stride = sizeof(type), .offset = offsetof(type, member) }

/* Entry i of base (of n entries now) was appended: index it, growing the table. 0 or -ENOMEM. */
int keyidx_add(struct keyidx *ix, const void *base, uint32_t n, uint32_t i);
/* Room for expected entries without growing (base holds n now). 0 or -ENOMEM. */
int keyidx_reserve(struct keyidx *ix, const void *base, uint32_t n, uint32_t expected);
/* Entry number, or -1. */
int64_t keyidx_find(const struct keyidx *ix, const void *base, const uint8_t *key);
/*
 * The same, trying entry *cursor (of n) and its neighbours first; a hit moves *cursor past the
 * entry found. For a
 * loop over a list in nearly base's order, as two reads of one device are: an entry read in
 * sequence where a probe is two cache misses, and at 10,000 peers these were a quarter of the
 * console's time.
 */
int64_t keyidx_find_near(const struct keyidx *ix, const void *base, uint32_t n, const uint8_t *key,
			 uint32_t *cursor);
/* After entries moved (removal, compaction): index entries 0..n-1 anew. */
int keyidx_rebuild(struct keyidx *ix, const void *base, uint32_t n);
/*
 * The same, for entries appended without a lookup: -EEXIST when a key is there twice (the
 * index is then empty). All inserts in one run keep the table in cache, where a
 * lookup per entry amid other work missed it every time.
 */
int keyidx_rebuild_unique(struct keyidx *ix, const void *base, uint32_t n);
void keyidx_free(struct keyidx *ix);

#endif
