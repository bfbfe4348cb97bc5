// SPDX-License-Identifier: GPL-2.0-or-later
/* Drift: peers that are live but not in the interface's config file, or in the file but not live. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drift.h"
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
