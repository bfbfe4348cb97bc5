/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drift: peers that are live but not in the interface's config file, or in the file but not live. */
#ifndef WGSTAR_DRIFT_H
#define WGSTAR_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keyidx.h"
#include "model.h"

/* A peer as its config file has it, for drift: the key and the name. */
struct drift_peer {
	uint8_t key[WG_KEY_LEN];
	const char *name;		/* NULL when unnamed */
	bool disabled;			/* the file holds it disabled (PiVPN): live or not, no drift */
};

enum drift_direction {
	DRIFT_TO_FILE,			/* the file follows the live interface */
	DRIFT_TO_LIVE,			/* the live interface follows the file */
};

/*
 * Live-only peers of dev (in its order) then file-only peers of the file (in theirs), in a
 * malloc'd array (NULL when none). file_index: the file's peers by key (KEYIDX_INIT(struct
 * drift_peer, key)), kept by a caller that computes drift against one file again and again;
 * NULL to build one here. 0 or -ENOMEM.
 */
int drift_compute(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
		  const struct keyidx *file_index, struct peer_drift **out, size_t *n);

/*
 * The last drift of one device against one file, kept by the set of the device's keys: the same
 * keys (in any order, as wireguard-go lists them) against the same file give the same drift,
 * and a sample of a big hub need not look every peer up in the file again. Its owner clears
 * it when the file changes.
 */
struct drift_memo {
	bool known;
	char dev[IFNAMSIZ];
	uint32_t n_peers;
	uint64_t keys;			/* the keys' hashes, added */
	struct peer_drift *v;
	size_t n;
};

/* drift_compute through the memo; a live-only peer's name is the device's own, not the memo's. */
int drift_compute_memo(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
		       const struct keyidx *file_index, struct drift_memo *memo, struct peer_drift **out,
		       size_t *n);
void drift_memo_clear(struct drift_memo *memo);

#endif
