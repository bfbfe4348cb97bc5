// SPDX-License-Identifier: GPL-2.0-or-later
/* Drift: peers that are live but not in the interface's config file, or in the file but not live. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "drift.h"
#include "keyidx.h"

int drift_compute(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
		  struct peer_drift **out, size_t *n)
{
	struct keyidx in_file = KEYIDX_INIT(struct drift_peer, key);
	struct peer_drift *v;
	size_t k = 0;
	int ret = 0;

	*out = NULL;
	*n = 0;
	if (n_file > UINT32_MAX)
		return -E2BIG;
	for (uint32_t i = 0; i < n_file && !ret; ++i)
		ret = keyidx_add(&in_file, file, i + 1, i);
	v = ret ? NULL : calloc((size_t)dev->n_peers + n_file + 1, sizeof(*v));
	if (!v) {
		keyidx_free(&in_file);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];

		if (keyidx_find(&in_file, file, p->public_key) >= 0)
			continue;
		memcpy(v[k].key, p->public_key, WG_KEY_LEN);
		v[k].live = true;
		snprintf(v[k].name, sizeof(v[k].name), "%s", p->name ? p->name : "");
		++k;
	}
	for (size_t i = 0; i < n_file; ++i) {
		if (file[i].disabled || wg_device_find_peer(dev, file[i].key))
			continue;
		memcpy(v[k].key, file[i].key, WG_KEY_LEN);
		snprintf(v[k].name, sizeof(v[k].name), "%s", file[i].name ? file[i].name : "");
		++k;
	}
	keyidx_free(&in_file);
	*out = v;
	*n = k;
	return 0;
}
