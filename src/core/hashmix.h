/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The finishing step of the hash indexes: every bit of the key reaches the low bits a table uses. */
#ifndef WGSTAR_HASHMIX_H
#define WGSTAR_HASHMIX_H

#include <stdint.h>

/* MurmurHash3's 64-bit finaliser. */
static inline uint64_t hashmix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

#endif
