/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * wgstar's database (SQLite, WAL): the usage ledger per peer and period, the last counters
 * seen (so totals survive a restart), and the events. One writer at a time (the recorder,
 * and briefly a command that acted); readers never block it.
 */
#ifndef WGSTAR_DB_H
#define WGSTAR_DB_H

#include <stdbool.h>
#include <stdint.h>
#include "errmsg.h"
#include "events.h"
#include "ledger.h"

#define DB_PATH "/var/lib/wgstar/wgstar.db"
#define DB_SCHEMA_VERSION 2

struct db;

/*
 * Opens path: for writing (created with its directory, 0600 in 0700, the schema made or
 * migrated) or read-only (never created: -ENOENT). 0 or -errno with err saying why.
 */
int db_open(struct db **out, const char *path, bool write, struct errmsg *err);
void db_close(struct db *db);

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);

/* A peer as the ledger keeps it between samples. */
struct db_peer {
	int64_t id;
	uint8_t key[WG_KEY_LEN];
	char name[64];
	char iface[IFNAMSIZ];
	bool has_last;
	struct ledger_counts last;	/* the counters last seen */
	struct ledger_counts total;	/* used since recording began */
	int64_t first_seen, last_seen;
};

/* Every peer the ledger knows, for the recorder to start from. *v malloc'd. */
int db_peers_load(struct db *db, struct db_peer **v, size_t *n);
/* A peer's state written (id 0: a new one, which gets its id). */
int db_peer_save(struct db *db, struct db_peer *p);
/* What a peer used in a period: added to the hour's, the day's and the month's rows of when. */
int db_usage_add(struct db *db, int64_t peer_id, int64_t when, const struct ledger_counts *delta);
/* Hourly and daily rows older than their retention go; events as old as the daily rows kept. */
int db_prune(struct db *db, int64_t now, int hourly_days, int daily_days);
int db_event_add(struct db *db, const struct event *e);

/*
 * What `usage` reads: the peers (matching filter, a name, key or key's start; NULL for all)
 * with their totals and the periods of grain since since (0: all), oldest first.
 */
int db_usage_query(struct db *db, const char *filter, enum ledger_grain grain, int64_t since,
		   struct ledger_peer **v, size_t *n);
/* Events since since (0: all), about peers matching filter (NULL: all), at most limit (0: all), oldest first. */
int db_events_query(struct db *db, const char *filter, int64_t since, size_t limit, struct event_list *out);

/* A peer's usage from its hour, day and month rows, for the console: the period holding now. */
int db_usage_now(struct db *db, const uint8_t key[WG_KEY_LEN], int64_t now, struct ledger_counts *today,
		 struct ledger_counts *month);

/*
 * Every peer's usage in the day and the month holding now: each called once a peer the ledger
 * has rows of (zeroes for a period without one); stops at its first non-zero return.
 */
int db_usage_current(struct db *db, int64_t now,
		     int (*each)(void *ctx, const uint8_t key[WG_KEY_LEN], const struct ledger_counts *today,
				 const struct ledger_counts *month),
		     void *ctx);

/* The recorder's mark, in each sample's transaction: when it last wrote. */
int db_mark_written(struct db *db, int64_t now);
/*
 * What a reader polls: SQLite's data_version (it changes when another connection wrote) and
 * when the recorder last wrote (0: never).
 */
int db_state(struct db *db, int64_t *version, int64_t *written);

#endif
