// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the recorder's database: its migration, the ledger's periods, pruning, reading. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "db.h"

/* 2026-12-04 10:30 UTC, and the periods around it. */
#define NOW 1796380200LL
#define HOUR 3600LL
#define DAY 86400LL

static char dir[64];
static char path[96];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wgst-db.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/sub/wgstar.db", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static char *sql_text(const char *sql)
{
	sqlite3 *h;
	sqlite3_stmt *st;
	char *out = NULL;

	assert_int_equal(sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		out = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(h);
	return out;
}

static int64_t sql_int(const char *sql)
{
	char *s = sql_text(sql);
	int64_t v = s ? atoll(s) : -1;

	free(s);
	return v;
}

static struct db_peer *add_peer(struct db *db, struct db_peer *p, uint8_t k, const char *name)
{
	memset(p, 0, sizeof(*p));
	memset(p->key, k, WG_KEY_LEN);
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->iface, sizeof(p->iface), "wg0");
	p->first_seen = p->last_seen = NOW - 3 * DAY;
	assert_int_equal(db_peer_save(db, p), 0);
	assert_true(p->id > 0);
	return p;
}

static void use(struct db *db, const struct db_peer *p, int64_t when, uint64_t rx, uint64_t tx)
{
	struct ledger_counts d = { .rx = rx, .tx = tx };

	assert_int_equal(db_usage_add(db, p->id, when, &d), 0);
}

struct seen {
	int n;
	uint8_t key[4];
	struct ledger_counts today[4], month[4];
};

static int each(void *ctx, const uint8_t key[WG_KEY_LEN], const struct ledger_counts *today,
		const struct ledger_counts *month)
{
	struct seen *s = ctx;

	assert_true(s->n < 4);
	s->key[s->n] = key[0];
	s->today[s->n] = *today;
	s->month[s->n] = *month;
	s->n++;
	return 0;
}

/* A database of schema 1 (as the first recorder made it) is brought to the current one, its rows kept. */
static void test_migrates_v1(void **state)
{
	static const char *const v1 =
		"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE peers (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, name TEXT, iface TEXT,"
		" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, has_last INTEGER NOT NULL,"
		" last_rx INTEGER NOT NULL, last_tx INTEGER NOT NULL, last_fwd INTEGER NOT NULL,"
		" last_ffp INTEGER NOT NULL, last_ffb INTEGER NOT NULL, last_ftp INTEGER NOT NULL, last_ftb INTEGER NOT NULL,"
		" rx INTEGER NOT NULL, tx INTEGER NOT NULL, fwd INTEGER NOT NULL,"
		" ffp INTEGER NOT NULL, ffb INTEGER NOT NULL, ftp INTEGER NOT NULL, ftb INTEGER NOT NULL);"
		"CREATE TABLE usage (peer INTEGER NOT NULL, grain INTEGER NOT NULL, start INTEGER NOT NULL,"
		" rx INTEGER NOT NULL, tx INTEGER NOT NULL, fwd INTEGER NOT NULL,"
		" ffp INTEGER NOT NULL, ffb INTEGER NOT NULL, ftp INTEGER NOT NULL, ftb INTEGER NOT NULL,"
		" PRIMARY KEY (peer, grain, start)) WITHOUT ROWID;"
		"CREATE INDEX usage_grain ON usage (grain, start);"
		"CREATE TABLE events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, event TEXT NOT NULL, iface TEXT,"
		" key BLOB, name TEXT, endpoint TEXT, old_endpoint TEXT, by TEXT, summary TEXT);"
		"CREATE INDEX events_time ON events (time);"
		"CREATE INDEX events_key ON events (key, time);"
		"INSERT INTO meta VALUES ('schema', '1');"
		"INSERT INTO peers VALUES (1, x'0101010101010101010101010101010101010101010101010101010101010101', 'alice',"
		" 'wg0', 1, 2, 1, 5, 6, 0, 0, 0, 0, 0, 500, 600, 0, 0, 0, 0, 0);"
		"INSERT INTO usage VALUES (1, 2, 1795996800, 500, 600, 0, 0, 0, 0, 0);";
	char mk[160], *sql;
	struct db *db;
	struct errmsg err;
	sqlite3 *h;

	snprintf(mk, sizeof(mk), "%s/sub", dir);
	assert_int_equal(mkdir(mk, 0700), 0);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	/* read-only: a reader never migrates, and says what it found */
	assert_int_equal(db_open(&db, path, false, &err), -EPROTO);
	assert_int_equal(db_open(&db, path, true, &err), 0);
	db_close(db);
	assert_int_equal(sql_int("SELECT value FROM meta WHERE key = 'schema'"), DB_SCHEMA_VERSION);
	sql = sql_text("SELECT sql FROM sqlite_master WHERE name = 'usage_grain'");
	assert_non_null(sql);
	assert_non_null(strstr(sql, "WHERE grain > 0"));
	free(sql);
	assert_int_equal(sql_int("SELECT rx FROM usage WHERE peer = 1 AND grain = 2"), 500);
	assert_int_equal(sql_int("SELECT tx FROM peers WHERE name = 'alice'"), 600);
	/* and a reader opens it now */
	assert_int_equal(db_open(&db, path, false, &err), 0);
	db_close(db);
}

/*
 * A recorder killed at its first start, after the file and its WAL header, before the schema:
 * a reader finds nothing recorded, not a foreign database; the next recorder makes the schema.
 */
static void test_schema_not_yet_in(void **state)
{
	struct db *db;
	struct errmsg err;
	struct seen s = { 0 };
	char mk[160];
	sqlite3 *h;

	snprintf(mk, sizeof(mk), "%s/sub", dir);
	assert_int_equal(mkdir(mk, 0700), 0);
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "PRAGMA journal_mode = WAL", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(&db, path, false, &err), 0);
	assert_int_equal(db_usage_current(db, NOW, each, &s), 0);
	assert_int_equal(s.n, 0);
	db_close(db);
	/* the reader wrote nothing there */
	assert_int_equal(sql_int("SELECT count(*) FROM sqlite_master"), 0);
	assert_int_equal(db_open(&db, path, true, &err), 0);
	db_close(db);
	assert_int_equal(sql_int("SELECT value FROM meta WHERE key = 'schema'"), DB_SCHEMA_VERSION);
	/* a database of another program is still refused */
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	assert_int_equal(sqlite3_exec(h, "DROP TABLE meta", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(&db, path, false, &err), -EPROTO);
}

/* Today and this month for every peer at once; a peer without rows in them is left out. */
static void test_usage_current_and_prune(void **state)
{
	struct db_peer a, b, c;
	struct db *db;
	struct errmsg err;
	struct seen s = { 0 };
	struct ledger_peer *v;
	size_t n;

	assert_int_equal(db_open(&db, path, false, &err), -ENOENT);
	assert_int_equal(db_open(&db, path, true, &err), 0);
	assert_int_equal(db_begin(db), 0);
	add_peer(db, &a, 1, "alice");
	add_peer(db, &b, 2, "bob");
	add_peer(db, &c, 3, "carol");
	use(db, &a, NOW, 100, 10);		/* today */
	use(db, &a, NOW - HOUR, 50, 5);		/* today, an hour earlier */
	use(db, &a, NOW - 2 * DAY, 1000, 1);	/* this month, two days ago */
	use(db, &b, NOW - 2 * DAY, 7, 7);	/* this month only */
	use(db, &c, NOW - 40 * DAY, 9, 9);	/* last month: neither */
	assert_int_equal(db_commit(db), 0);

	assert_int_equal(db_usage_current(db, NOW, each, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.key[0], 1);
	assert_int_equal(s.today[0].rx, 150);
	assert_int_equal(s.today[0].tx, 15);
	assert_int_equal(s.month[0].rx, 1150);
	assert_int_equal(s.key[1], 2);
	assert_int_equal(s.today[1].rx, 0);
	assert_int_equal(s.month[1].rx, 7);

	/* One peer asked for (through its key), or all: the same hours for alice. */
	assert_int_equal(db_usage_query(db, "alice", LEDGER_HOUR, 0, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].n_periods, 3);
	assert_int_equal(v[0].periods[0].start, NOW - 2 * DAY - (NOW % HOUR));
	ledger_peers_free(v, n);
	assert_int_equal(db_usage_query(db, NULL, LEDGER_HOUR, 0, &v, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(v[0].n_periods, 3);
	assert_int_equal(v[2].n_periods, 1);
	ledger_peers_free(v, n);
	assert_int_equal(db_usage_query(db, NULL, LEDGER_MONTH, 0, &v, &n), 0);
	assert_int_equal(v[2].n_periods, 1);
	ledger_peers_free(v, n);

	/* Events: one inside the daily retention, one older. */
	{
		struct event e = { .time = NOW - 2 * DAY, .type = EV_PEER_ONLINE };
		struct event old = { .time = NOW - 40 * DAY, .type = EV_PEER_OFFLINE };

		assert_int_equal(db_event_add(db, &e), 0);
		assert_int_equal(db_event_add(db, &old), 0);
	}
	/* Hours older than a day go, days older than 30: carol keeps only her month. */
	assert_int_equal(db_prune(db, NOW, 1, 30), 0);
	db_close(db);
	assert_int_equal(sql_int("SELECT count(*) FROM usage WHERE grain = 0"), 2);
	assert_int_equal(sql_int("SELECT count(*) FROM usage WHERE grain = 1"), 3);
	assert_int_equal(sql_int("SELECT count(*) FROM usage WHERE grain = 2 AND peer = 3"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM usage WHERE peer = 3"), 1);
	assert_int_equal(sql_int("SELECT count(*) FROM events"), 1);
	assert_int_equal(sql_int("SELECT time FROM events"), NOW - 2 * DAY);
}

/* The recorder's mark, and data_version: a reader sees that the writer wrote. */
static void test_state(void **state)
{
	struct db *w, *r;
	struct errmsg err;
	int64_t v1, v2, written;

	assert_int_equal(db_open(&w, path, true, &err), 0);
	assert_int_equal(db_open(&r, path, false, &err), 0);
	assert_int_equal(db_state(r, &v1, &written), 0);
	assert_int_equal(written, 0);
	assert_int_equal(db_state(r, &v2, &written), 0);
	assert_int_equal(v1, v2);
	assert_int_equal(db_mark_written(w, NOW), 0);
	assert_int_equal(db_state(r, &v2, &written), 0);
	assert_int_not_equal(v1, v2);
	assert_int_equal(written, NOW);
	db_close(r);
	db_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrates_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_not_yet_in, setup, teardown),
		cmocka_unit_test_setup_teardown(test_usage_current_and_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
