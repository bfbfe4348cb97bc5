/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recorder's database as the console reads it, read-only: every peer's usage today and
 * this month, and the latest events, read again only when the recorder wrote (SQLite's
 * data_version) or the day turned. Attached to each sample, as the hub policy is.
 */
#ifndef WGSTAR_HISTORY_H
#define WGSTAR_HISTORY_H

#include <stdint.h>
#include "model.h"

/* Events the console keeps: the timeline's length. */
#define HISTORY_EVENTS 500

struct db;
struct history_usage;

struct history_cache {
	struct db *db;
	int64_t version;		/* data_version at the last read */
	int64_t day;			/* the day that read was for */
	struct history_usage *usage;	/* sorted by key */
	size_t n_usage, cap_usage;
	struct wg_history *h;		/* what was read: shared with the snapshots */
};

/*
 * Sets snap's devices' history and their peers' usage from the database at path (NULL: the
 * default), opened read-only while it exists. Without one, or when it cannot be read, the
 * history says why and where it would come from. 0 or -ENOMEM.
 */
int history_attach(struct history_cache *c, const char *path, struct wg_snapshot *snap);
void history_cache_clear(struct history_cache *c);

#endif
