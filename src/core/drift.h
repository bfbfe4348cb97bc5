/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drift: peers that are live but not in the interface's config file, or in the file but not live. */
#ifndef WGSTAR_DRIFT_H
#define WGSTAR_DRIFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "wgconf.h"

struct peer_drift {
	uint8_t key[WG_KEY_LEN];
	bool live;			/* live only; else in the file only */
	char name[64];
};

enum drift_direction {
	DRIFT_TO_FILE,			/* the file follows the live interface */
	DRIFT_TO_LIVE,			/* the live interface follows the file */
};

/*
 * Live-only peers of dev (in its order) then file-only peers of the file (in theirs), in a
 * malloc'd array. 0 or -ENOMEM.
 */
int drift_compute(const struct wg_device *dev, const struct wgconf_peer_info *file, size_t n_file,
		  struct peer_drift **out, size_t *n);

#endif
