// SPDX-License-Identifier: GPL-2.0-or-later
/* Drift: peers that are live but not in the interface's config file, or in the file but not live. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drift.h"
#include "hashmix.h"
#include "keyidx.h"

static int push(struct peer_drift **v, size_t *n, size_t *cap, const uint8_t key[WG_KEY_LEN], const char *name)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct peer_drift *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = c;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	memcpy((*v)[*n].key, key, WG_KEY_LEN);
	snprintf((*v)[*n].name, sizeof((*v)[*n].name), "%s", name ? name : "");
	++*n;
	return 0;
}

int drift_compute(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
		  const struct keyidx *file_index, struct peer_drift **out, size_t *n)
{
	struct keyidx own = KEYIDX_INIT(struct drift_peer, key);
	const struct keyidx *in_file = file_index ? file_index : &own;
	struct peer_drift *v = NULL;
	size_t k = 0, cap = 0, enabled = 0, live_enabled = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (n_file > UINT32_MAX)
		return -E2BIG;
	if (!file_index && (ret = keyidx_rebuild(&own, file, (uint32_t)n_file)) < 0)
		return ret;
	/*
	 * Grown as found: a snapshot carries its drift, nearly always none, and an array for every
	 * peer twice over was one of the console's largest blocks on a big hub.
	 */
	for (uint32_t i = 0, near = 0; i < dev->n_peers && !ret; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		int64_t f = keyidx_find_near(in_file, file, (uint32_t)n_file, p->public_key, &near);

		if (f >= 0) {
			live_enabled += !file[f].disabled;
			continue;
		}
		if (!(ret = push(&v, &k, &cap, p->public_key, p->name)))
			v[k - 1].live = true;
	}
	/*
	 * As many enabled entries of the file found live as it has (live keys are unique, so each
	 * counted once): none of them is missing, and the walk over the file is not needed.
	 */
	for (size_t i = 0; i < n_file; ++i)
		enabled += !file[i].disabled;
	for (uint32_t i = 0, near = 0; i < n_file && live_enabled < enabled && !ret; ++i) {
		if (file[i].disabled || wg_device_find_peer_near(dev, file[i].key, &near))
			continue;
		ret = push(&v, &k, &cap, file[i].key, file[i].name);
	}
	if (ret) {
		free(v);
		v = NULL;
		k = 0;
	}
	keyidx_free(&own);
	*out = v;
	*n = k;
	return ret;
}

/* Order does not matter (each key hashed alone, the hashes added); every byte of a key does. */
static uint64_t keys_sum(const struct wg_device *dev)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		uint64_t w[4];

		memcpy(w, dev->peers[i].public_key, sizeof(w));
		sum += hashmix64(w[0] * 0x9e3779b97f4a7c15ULL ^ w[1] * 0xc2b2ae3d27d4eb4fULL ^
				 w[2] * 0x165667b19e3779f9ULL ^ w[3] * 0x27d4eb2f165667c5ULL);
	}
	return sum;
}

static struct peer_drift *copy_of(const struct peer_drift *v, size_t n)
{
	struct peer_drift *c;

	if (!n)
		return NULL;
	if ((c = malloc(n * sizeof(*c))))
		memcpy(c, v, n * sizeof(*c));
	return c;
}

int drift_compute_memo(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
		       const struct keyidx *file_index, struct drift_memo *memo, struct peer_drift **out,
		       size_t *n)
{
	uint64_t keys = keys_sum(dev);
	int ret;

	*out = NULL;
	*n = 0;
	if (memo->known && memo->n_peers == dev->n_peers && memo->keys == keys &&
	    !strncmp(memo->dev, dev->name, IFNAMSIZ)) {
		if (memo->n && !(*out = copy_of(memo->v, memo->n)))
			return -ENOMEM;
		*n = memo->n;
		/* Names come from the name files, which may have changed since: the device's are current. */
		for (size_t i = 0; i < *n && (*out)[i].live; ++i) {
			const struct wg_peer *p = wg_device_find_peer(dev, (*out)[i].key);

			snprintf((*out)[i].name, sizeof((*out)[i].name), "%s", p && p->name ? p->name : "");
		}
		return 0;
	}
	if ((ret = drift_compute(dev, file, n_file, file_index, out, n)) < 0)
		return ret;
	drift_memo_clear(memo);
	/* Not kept without memory: computed again next time, which is all. */
	if (*n && !(memo->v = copy_of(*out, *n)))
		return 0;
	memo->n = *n;
	memo->known = true;
	memo->n_peers = dev->n_peers;
	memo->keys = keys;
	snprintf(memo->dev, sizeof(memo->dev), "%s", dev->name);
	return 0;
}

void drift_memo_clear(struct drift_memo *memo)
{
	free(memo->v);
	memset(memo, 0, sizeof(*memo));
}
