// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's database in SQLite: the schema and its migrations, the ledger, the events. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "db.h"
#include "dynlib.h"
#include "i18n.h"
#include "key.h"
#include "text.h"

/*
 * libsqlite3 is loaded by the first db_open, not when the program starts: only the recorder,
 * `usage`, `log`, the console's history and the events of commands use the database, and
 * loading it cost every start of `--once` and the peer commands (most of a millisecond here,
 * several under an emulated CPU). Its functions are called through sq.
 */
#define LIBSQLITE3_SONAME "libsqlite3.so.0"
#define SQLITE3_FUNCTIONS(X) \
	X(bind_blob) X(bind_int) X(bind_int64) X(bind_null) X(bind_text) X(busy_timeout) \
	X(clear_bindings) X(close) X(column_blob) X(column_bytes) X(column_int) X(column_int64) \
	X(column_text) X(errcode) X(errmsg) X(exec) X(finalize) X(last_insert_rowid) X(open_v2) \
	X(prepare_v2) X(prepare_v3) X(reset) X(step)

static struct {
#define X(f) __typeof__(sqlite3_##f) *f;
	SQLITE3_FUNCTIONS(X)
#undef X
	bool ok;
	char why[256];
} sq;
static pthread_once_t sq_once = PTHREAD_ONCE_INIT;

static void sq_load(void)
{
	static const struct dynlib_fn fns[] = {
#define X(f) { "sqlite3_" #f, (void **)&sq.f },
		SQLITE3_FUNCTIONS(X)
#undef X
	};

	sq.ok = dynlib_load(LIBSQLITE3_SONAME, fns, sizeof(fns) / sizeof(fns[0]), sq.why, sizeof(sq.why));
}

struct db {
	sqlite3 *h;
	bool write;
	sqlite3_stmt *peer_insert, *peer_update, *usage_add, *event_add;
};

static const char *const schema_v1[] = {
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
	"CREATE TABLE peers (id INTEGER PRIMARY KEY, key BLOB NOT NULL UNIQUE, name TEXT, iface TEXT,"
	" first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, has_last INTEGER NOT NULL,"
	" last_rx INTEGER NOT NULL, last_tx INTEGER NOT NULL, last_fwd INTEGER NOT NULL,"
	" last_ffp INTEGER NOT NULL, last_ffb INTEGER NOT NULL, last_ftp INTEGER NOT NULL, last_ftb INTEGER NOT NULL,"
	" rx INTEGER NOT NULL, tx INTEGER NOT NULL, fwd INTEGER NOT NULL,"
	" ffp INTEGER NOT NULL, ffb INTEGER NOT NULL, ftp INTEGER NOT NULL, ftb INTEGER NOT NULL)",
	/* grain: 0 hour, 1 day, 2 month; start: the period's first second, UTC */
	"CREATE TABLE usage (peer INTEGER NOT NULL, grain INTEGER NOT NULL, start INTEGER NOT NULL,"
	" rx INTEGER NOT NULL, tx INTEGER NOT NULL, fwd INTEGER NOT NULL,"
	" ffp INTEGER NOT NULL, ffb INTEGER NOT NULL, ftp INTEGER NOT NULL, ftb INTEGER NOT NULL,"
	" PRIMARY KEY (peer, grain, start)) WITHOUT ROWID",
	"CREATE INDEX usage_grain ON usage (grain, start)",
	"CREATE TABLE events (id INTEGER PRIMARY KEY, time INTEGER NOT NULL, event TEXT NOT NULL, iface TEXT,"
	" key BLOB, name TEXT, endpoint TEXT, old_endpoint TEXT, by TEXT, summary TEXT)",
	"CREATE INDEX events_time ON events (time)",
	"CREATE INDEX events_key ON events (key, time)",
	"INSERT INTO meta VALUES ('schema', '1')",
};

/*
 * 2: hourly rows, most of the database, leave the (grain, start) index: a peer's are found by
 * the primary key, and pruned through it peer by peer. About a quarter smaller.
 */
static const char *const schema_v2[] = {
	"DROP INDEX usage_grain",
	"CREATE INDEX usage_grain ON usage (grain, start) WHERE grain > 0",
	"UPDATE meta SET value = '2' WHERE key = 'schema'",
};

static const struct {
	const char *const *sql;
	size_t n;
} migrations[] = {
	{ schema_v1, sizeof(schema_v1) / sizeof(schema_v1[0]) },
	{ schema_v2, sizeof(schema_v2) / sizeof(schema_v2[0]) },
};

static int fail(struct errmsg *err, struct db *db, const char *what)
{
	int code = db && db->h ? sq.errcode(db->h) : SQLITE_ERROR;
	int e = code == SQLITE_CANTOPEN ? -EACCES : code == SQLITE_NOMEM ? -ENOMEM : code == SQLITE_BUSY ? -EBUSY :
		code == SQLITE_READONLY ? -EROFS : -EIO;

	if (err)
		errmsg_set(err, e, "%s: %s", what, db && db->h ? sq.errmsg(db->h) : "?");
	return e;
}

static int exec(struct db *db, const char *sql)
{
	return sq.exec(db->h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}

static int schema_version(struct db *db)
{
	sqlite3_stmt *st;
	int v = 0;

	if (sq.prepare_v2(db->h, "SELECT value FROM meta WHERE key = 'schema'", -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sq.step(st) == SQLITE_ROW)
		v = atoi((const char *)sq.column_text(st, 0));
	sq.finalize(st);
	return v;
}

/* Whether the database holds no table at all (a file the recorder made, its schema not yet in). */
static bool no_tables(struct db *db)
{
	sqlite3_stmt *st;
	bool none = false;

	if (sq.prepare_v2(db->h, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
		return false;
	if (sq.step(st) == SQLITE_ROW)
		none = sq.column_int(st, 0) == 0;
	sq.finalize(st);
	return none;
}

/* The schema made, or brought up to DB_SCHEMA_VERSION, in one transaction. */
static int migrate(struct db *db, struct errmsg *err)
{
	int v;

	if (exec(db, "BEGIN IMMEDIATE"))
		return fail(err, db, _("starting a transaction failed"));
	v = schema_version(db);
	if (v > DB_SCHEMA_VERSION) {
		exec(db, "ROLLBACK");
		return errmsg_set(err, -EPROTO, _("the database has schema %d, newer than this wgstar-top's %d"), v,
				  DB_SCHEMA_VERSION);
	}
	/* Each step from v to v + 1, the meta row updated by the step. */
	for (; v < DB_SCHEMA_VERSION; ++v)
		for (size_t i = 0; i < migrations[v].n; ++i)
			if (exec(db, migrations[v].sql[i])) {
				int ret = fail(err, db, _("making the database's schema failed"));

				exec(db, "ROLLBACK");
				return ret;
			}
	if (exec(db, "COMMIT"))
		return fail(err, db, _("writing the database's schema failed"));
	return 0;
}

static int prepare(struct db *db, sqlite3_stmt **st, const char *sql)
{
	return sq.prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? 0 : -EIO;
}

/* The directory of path, made 0700 where it is missing (the parents as they come). */
static int make_dir(const char *path)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; ++p)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

int db_open(struct db **out, const char *path, bool write, struct errmsg *err)
{
	struct db *db = calloc(1, sizeof(*db));
	int ret, fd;

	*out = NULL;
	errmsg_clear(err);
	if (!db)
		return -ENOMEM;
	pthread_once(&sq_once, sq_load);
	if (!sq.ok) {
		free(db);
		return errmsg_set(err, -ELIBACC, _("the database needs SQLite: %s"), sq.why);
	}
	db->write = write;
	if (!write && access(path, F_OK) < 0) {
		ret = -errno;
		free(db);
		return errmsg_set(err, ret, _("there is no database %s: run 'wgstar-top record' (wgstar-record.service)"),
				  path);
	}
	if (write) {
		if ((ret = make_dir(path)) < 0) {
			free(db);
			return errmsg_set(err, ret, _("making the directory of %s failed: %s"), path, text_strerror(-ret));
		}
		/* Created 0600 before SQLite opens it: usage is nobody else's business. */
		fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0) {
			ret = -errno;
			free(db);
			return errmsg_set(err, ret, _("opening %s failed: %s"), path, text_strerror(-ret));
		}
		close(fd);
	}
	if (sq.open_v2(path, &db->h, write ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		ret = fail(err, db, path);
		db_close(db);
		return ret;
	}
	sq.busy_timeout(db->h, 5000);
	if (write && (exec(db, "PRAGMA journal_mode = WAL") || exec(db, "PRAGMA synchronous = NORMAL"))) {
		ret = fail(err, db, path);
		db_close(db);
		return ret;
	}
	if (write && (ret = migrate(db, err)) < 0) {
		db_close(db);
		return ret;
	}
	if (!write && schema_version(db) == 0 && no_tables(db)) {
		/*
		 * Made by a recorder stopped before its schema was in (killed at its first start):
		 * nothing is recorded there yet, and that is what a reader sees, from an empty
		 * ledger in memory.
		 */
		sq.close(db->h);
		db->h = NULL;
		if (sq.open_v2(":memory:", &db->h, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
			ret = fail(err, db, path);
			db_close(db);
			return ret;
		}
		if ((ret = migrate(db, err)) < 0) {
			db_close(db);
			return ret;
		}
	}
	if (!write && schema_version(db) != DB_SCHEMA_VERSION) {
		ret = errmsg_set(err, -EPROTO, _("%s is no wgstar database of schema %d"), path, DB_SCHEMA_VERSION);
		db_close(db);
		return ret;
	}
	if (write && (prepare(db, &db->peer_insert,
			      "INSERT INTO peers (key, name, iface, first_seen, last_seen, has_last, last_rx, last_tx, last_fwd,"
			      " last_ffp, last_ffb, last_ftp, last_ftb, rx, tx, fwd, ffp, ffb, ftp, ftb)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)") ||
		      prepare(db, &db->peer_update,
			      "UPDATE peers SET name = ?2, iface = ?3, last_seen = ?5, has_last = ?6, last_rx = ?7, last_tx = ?8,"
			      " last_fwd = ?9, last_ffp = ?10, last_ffb = ?11, last_ftp = ?12, last_ftb = ?13, rx = ?14, tx = ?15,"
			      " fwd = ?16, ffp = ?17, ffb = ?18, ftp = ?19, ftb = ?20 WHERE id = ?21") ||
		      prepare(db, &db->usage_add,
			      "INSERT INTO usage VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) ON CONFLICT (peer, grain, start)"
			      " DO UPDATE SET rx = rx + ?4, tx = tx + ?5, fwd = fwd | ?6, ffp = ffp + ?7, ffb = ffb + ?8,"
			      " ftp = ftp + ?9, ftb = ftb + ?10") ||
		      prepare(db, &db->event_add,
			      "INSERT INTO events (time, event, iface, key, name, endpoint, old_endpoint, by, summary)"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"))) {
		ret = fail(err, db, path);
		db_close(db);
		return ret;
	}
	*out = db;
	return 0;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	sq.finalize(db->peer_insert);
	sq.finalize(db->peer_update);
	sq.finalize(db->usage_add);
	sq.finalize(db->event_add);
	sq.close(db->h);
	free(db);
}

int db_begin(struct db *db)
{
	return exec(db, "BEGIN IMMEDIATE");
}

int db_commit(struct db *db)
{
	return exec(db, "COMMIT");
}

int db_rollback(struct db *db)
{
	return exec(db, "ROLLBACK");
}

static int64_t s64(uint64_t v)
{
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static void counts_of(sqlite3_stmt *st, int col, struct ledger_counts *c)
{
	c->rx = (uint64_t)sq.column_int64(st, col);
	c->tx = (uint64_t)sq.column_int64(st, col + 1);
	c->has_fwd = sq.column_int(st, col + 2) != 0;
	for (int i = 0; i < N_LEDGER_FWD; ++i)
		c->fwd[i] = (uint64_t)sq.column_int64(st, col + 3 + i);
}

static void bind_counts(sqlite3_stmt *st, int col, const struct ledger_counts *c)
{
	sq.bind_int64(st, col, s64(c->rx));
	sq.bind_int64(st, col + 1, s64(c->tx));
	sq.bind_int(st, col + 2, c->has_fwd);
	for (int i = 0; i < N_LEDGER_FWD; ++i)
		sq.bind_int64(st, col + 3 + i, s64(c->has_fwd ? c->fwd[i] : 0));
}

static void column_text(sqlite3_stmt *st, int col, char *out, size_t len)
{
	const unsigned char *t = sq.column_text(st, col);

	snprintf(out, len, "%s", t ? (const char *)t : "");
}

int db_peers_load(struct db *db, struct db_peer **v, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int rc;

	*v = NULL;
	*n = 0;
	if (sq.prepare_v2(db->h,
			       "SELECT id, key, name, iface, first_seen, last_seen, has_last, last_rx, last_tx, last_fwd,"
			       " last_ffp, last_ffb, last_ftp, last_ftb, rx, tx, fwd, ffp, ffb, ftp, ftb FROM peers ORDER BY id",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while ((rc = sq.step(st)) == SQLITE_ROW) {
		struct db_peer *p;

		if (sq.column_bytes(st, 1) != WG_KEY_LEN)
			continue;
		if (*n == cap) {
			struct db_peer *nv;

			cap = cap ? cap * 2 : 256;
			if (!(nv = realloc(*v, cap * sizeof(*nv)))) {
				sq.finalize(st);
				return -ENOMEM;
			}
			*v = nv;
		}
		p = &(*v)[(*n)++];
		memset(p, 0, sizeof(*p));
		p->id = sq.column_int64(st, 0);
		memcpy(p->key, sq.column_blob(st, 1), WG_KEY_LEN);
		column_text(st, 2, p->name, sizeof(p->name));
		column_text(st, 3, p->iface, sizeof(p->iface));
		p->first_seen = sq.column_int64(st, 4);
		p->last_seen = sq.column_int64(st, 5);
		p->has_last = sq.column_int(st, 6) != 0;
		counts_of(st, 7, &p->last);
		counts_of(st, 14, &p->total);
	}
	sq.finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int db_peer_save(struct db *db, struct db_peer *p)
{
	sqlite3_stmt *st = p->id ? db->peer_update : db->peer_insert;
	int rc;

	sq.reset(st);
	sq.clear_bindings(st);
	sq.bind_blob(st, 1, p->key, WG_KEY_LEN, SQLITE_STATIC);
	if (p->name[0])
		sq.bind_text(st, 2, p->name, -1, SQLITE_STATIC);
	sq.bind_text(st, 3, p->iface, -1, SQLITE_STATIC);
	sq.bind_int64(st, 4, p->first_seen);
	sq.bind_int64(st, 5, p->last_seen);
	sq.bind_int(st, 6, p->has_last);
	bind_counts(st, 7, &p->last);
	bind_counts(st, 14, &p->total);
	if (p->id)
		sq.bind_int64(st, 21, p->id);
	rc = sq.step(st);
	sq.reset(st);
	if (rc != SQLITE_DONE)
		return -EIO;
	if (!p->id)
		p->id = sq.last_insert_rowid(db->h);
	return 0;
}

int db_usage_add(struct db *db, int64_t peer_id, int64_t when, const struct ledger_counts *delta)
{
	for (int g = 0; g < N_LEDGER_GRAINS; ++g) {
		sqlite3_stmt *st = db->usage_add;
		int rc;

		sq.reset(st);
		sq.bind_int64(st, 1, peer_id);
		sq.bind_int(st, 2, g);
		sq.bind_int64(st, 3, ledger_period_start((enum ledger_grain)g, when));
		bind_counts(st, 4, delta);
		rc = sq.step(st);
		sq.reset(st);
		if (rc != SQLITE_DONE)
			return -EIO;
	}
	return 0;
}

int db_prune(struct db *db, int64_t now, int hourly_days, int daily_days)
{
	char sql[160];
	int ret;

	/* Hours peer by peer through the primary key; days through the index. */
	snprintf(sql, sizeof(sql), "DELETE FROM usage WHERE peer IN (SELECT id FROM peers) AND grain = 0 AND start < %lld",
		 (long long)(now - (int64_t)hourly_days * 86400));
	if ((ret = exec(db, sql)) < 0)
		return ret;
	snprintf(sql, sizeof(sql), "DELETE FROM usage WHERE grain > 0 AND grain = 1 AND start < %lld",
		 (long long)(now - (int64_t)daily_days * 86400));
	if ((ret = exec(db, sql)) < 0)
		return ret;
	/* Events as long as daily usage: the audit trail of two years, not for ever. */
	snprintf(sql, sizeof(sql), "DELETE FROM events WHERE time < %lld", (long long)(now - (int64_t)daily_days * 86400));
	return exec(db, sql);
}

static void bind_opt_text(sqlite3_stmt *st, int col, const char *s)
{
	if (s && s[0])
		sq.bind_text(st, col, s, -1, SQLITE_STATIC);
	else
		sq.bind_null(st, col);
}

int db_event_add(struct db *db, const struct event *e)
{
	sqlite3_stmt *st = db->event_add;
	int rc;

	sq.reset(st);
	sq.clear_bindings(st);
	sq.bind_int64(st, 1, e->time);
	sq.bind_text(st, 2, event_type_name(e->type), -1, SQLITE_STATIC);
	bind_opt_text(st, 3, e->iface);
	if (e->has_key)
		sq.bind_blob(st, 4, e->key, WG_KEY_LEN, SQLITE_STATIC);
	bind_opt_text(st, 5, e->name);
	bind_opt_text(st, 6, e->endpoint);
	bind_opt_text(st, 7, e->old_endpoint);
	bind_opt_text(st, 8, e->by);
	bind_opt_text(st, 9, e->summary);
	rc = sq.step(st);
	sq.reset(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

/* Whether a peer is the one filter names: its name, its key, or its key's start (4 at least). */
static bool matches(const char *filter, const uint8_t key[WG_KEY_LEN], const char *name)
{
	char b64[WG_KEY_B64_LEN];
	size_t n = strlen(filter);

	if (!strcmp(filter, name))
		return true;
	key_to_base64(b64, key);
	return n >= 4 && !strncmp(b64, filter, n);
}

int db_usage_query(struct db *db, const char *filter, enum ledger_grain grain, int64_t since,
		   struct ledger_peer **v, size_t *n)
{
	struct db_peer *peers = NULL;
	size_t n_peers = 0;
	int64_t *slot = NULL, *ids = NULL, max_id = 0;
	sqlite3_stmt *st = NULL;
	int ret, rc = SQLITE_DONE;
	bool few;

	*v = NULL;
	*n = 0;
	if ((ret = db_peers_load(db, &peers, &n_peers)) < 0)
		return ret;
	for (size_t i = 0; i < n_peers; ++i)
		max_id = peers[i].id > max_id ? peers[i].id : max_id;
	/* peer id -> index in *v, -1 for a peer left out */
	slot = malloc(((size_t)max_id + 1) * sizeof(*slot));
	ids = malloc((n_peers + 1) * sizeof(*ids));
	*v = calloc(n_peers + 1, sizeof(**v));
	if (!slot || !ids || !*v) {
		ret = -ENOMEM;
		goto out;
	}
	for (int64_t i = 0; i <= max_id; ++i)
		slot[i] = -1;
	for (size_t i = 0; i < n_peers; ++i) {
		struct ledger_peer *lp = &(*v)[*n];

		if (filter && !matches(filter, peers[i].key, peers[i].name))
			continue;
		memcpy(lp->key, peers[i].key, WG_KEY_LEN);
		memcpy(lp->name, peers[i].name, sizeof(lp->name));
		memcpy(lp->iface, peers[i].iface, sizeof(lp->iface));
		lp->total = peers[i].total;
		ids[*n] = peers[i].id;
		slot[peers[i].id] = (int64_t)(*n)++;
	}
	/*
	 * A few peers asked for: each one's rows through the primary key. Else one pass over
	 * the grain's rows, however many peers: days and months by their index, hours by the
	 * table in its order.
	 */
	few = filter && *n <= 64;
	if (sq.prepare_v2(db->h,
			       few ? "SELECT peer, start, rx, tx, fwd, ffp, ffb, ftp, ftb FROM usage"
				     " WHERE peer = ?3 AND grain = ?1 AND start >= ?2 ORDER BY start" :
			       grain > 0 ? "SELECT peer, start, rx, tx, fwd, ffp, ffb, ftp, ftb FROM usage"
					   " WHERE grain > 0 AND grain = ?1 AND start >= ?2 ORDER BY peer, start" :
			       "SELECT peer, start, rx, tx, fwd, ffp, ffb, ftp, ftb FROM usage"
			       " WHERE grain = ?1 AND start >= ?2 ORDER BY peer, grain, start",
			       -1, &st, NULL) != SQLITE_OK) {
		ret = -EIO;
		goto out;
	}
	sq.bind_int(st, 1, grain);
	sq.bind_int64(st, 2, since);
	for (size_t k = 0; k < (few ? *n : 1); ++k) {
		if (few) {
			sq.reset(st);
			sq.bind_int64(st, 3, ids[k]);
		}
		while ((rc = sq.step(st)) == SQLITE_ROW) {
			int64_t id = sq.column_int64(st, 0);
			struct ledger_counts c;

			if (id < 0 || id > max_id || slot[id] < 0)
				continue;
			counts_of(st, 2, &c);
			if ((ret = ledger_peer_add_period(&(*v)[slot[id]], sq.column_int64(st, 1), &c)) < 0)
				goto out;
		}
		if (rc != SQLITE_DONE)
			break;
	}
	ret = rc == SQLITE_DONE ? 0 : -EIO;
out:
	sq.finalize(st);
	free(ids);
	free(slot);
	free(peers);
	if (ret) {
		ledger_peers_free(*v, *n);
		*v = NULL;
		*n = 0;
	}
	return ret;
}

int db_events_query(struct db *db, const char *filter, int64_t since, size_t limit, struct event_list *out)
{
	struct db_peer *peers = NULL;
	size_t n_peers = 0;
	sqlite3_stmt *st = NULL;
	int ret = 0, rc;

	memset(out, 0, sizeof(*out));
	if (filter && (ret = db_peers_load(db, &peers, &n_peers)) < 0)
		return ret;
	/* Without a filter the newest limit are picked by the index, not by reading them all. */
	if (sq.prepare_v2(db->h,
			       filter || !limit ?
			       "SELECT time, event, iface, key, name, endpoint, old_endpoint, by, summary FROM events"
			       " WHERE time >= ?1 ORDER BY time, id" :
			       "SELECT * FROM (SELECT time, event, iface, key, name, endpoint, old_endpoint, by, summary, id"
			       " FROM events WHERE time >= ?1 ORDER BY time DESC, id DESC LIMIT ?2) ORDER BY time, id",
			       -1, &st, NULL) != SQLITE_OK) {
		free(peers);
		return -EIO;
	}
	sq.bind_int64(st, 1, since);
	if (!filter && limit)
		sq.bind_int64(st, 2, limit > INT64_MAX ? INT64_MAX : (int64_t)limit);
	while ((rc = sq.step(st)) == SQLITE_ROW) {
		struct event e = { 0 };
		const char *type = (const char *)sq.column_text(st, 1);
		int t = type ? event_type_parse(type) : -1;

		if (t < 0)
			continue;
		e.time = sq.column_int64(st, 0);
		e.type = (enum event_type)t;
		column_text(st, 2, e.iface, sizeof(e.iface));
		if (sq.column_bytes(st, 3) == WG_KEY_LEN) {
			e.has_key = true;
			memcpy(e.key, sq.column_blob(st, 3), WG_KEY_LEN);
		}
		column_text(st, 4, e.name, sizeof(e.name));
		column_text(st, 5, e.endpoint, sizeof(e.endpoint));
		column_text(st, 6, e.old_endpoint, sizeof(e.old_endpoint));
		column_text(st, 7, e.by, sizeof(e.by));
		column_text(st, 8, e.summary, sizeof(e.summary));
		if (filter) {
			bool hit = e.has_key && matches(filter, e.key, e.name);

			/* A peer named now that was nameless then, by its key. */
			for (size_t i = 0; i < n_peers && !hit && e.has_key; ++i)
				hit = !memcmp(peers[i].key, e.key, WG_KEY_LEN) && matches(filter, peers[i].key, peers[i].name);
			if (!hit)
				continue;
		}
		if ((ret = event_list_add(out, &e)) < 0)
			break;
	}
	if (!ret && rc != SQLITE_DONE)
		ret = -EIO;
	sq.finalize(st);
	free(peers);
	/* The newest limit of them, still oldest first. */
	if (!ret && limit && out->n > limit) {
		memmove(out->v, out->v + (out->n - limit), limit * sizeof(*out->v));
		out->n = limit;
	}
	if (ret)
		event_list_free(out);
	return ret;
}

int db_usage_now(struct db *db, const uint8_t key[WG_KEY_LEN], int64_t now, struct ledger_counts *today,
		 struct ledger_counts *month)
{
	sqlite3_stmt *st;
	int rc;

	memset(today, 0, sizeof(*today));
	memset(month, 0, sizeof(*month));
	if (sq.prepare_v2(db->h,
			       "SELECT u.grain, u.rx, u.tx, u.fwd, u.ffp, u.ffb, u.ftp, u.ftb FROM usage u JOIN peers p ON p.id = u.peer"
			       " WHERE p.key = ?1 AND ((u.grain = 1 AND u.start = ?2) OR (u.grain = 2 AND u.start = ?3))",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sq.bind_blob(st, 1, key, WG_KEY_LEN, SQLITE_STATIC);
	sq.bind_int64(st, 2, ledger_period_start(LEDGER_DAY, now));
	sq.bind_int64(st, 3, ledger_period_start(LEDGER_MONTH, now));
	while ((rc = sq.step(st)) == SQLITE_ROW)
		counts_of(st, 1, sq.column_int(st, 0) == 1 ? today : month);
	sq.finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int db_usage_current(struct db *db, int64_t now,
		     int (*each)(void *ctx, const uint8_t key[WG_KEY_LEN], const struct ledger_counts *today,
				 const struct ledger_counts *month),
		     void *ctx)
{
	sqlite3_stmt *st;
	struct ledger_counts today, month;
	uint8_t key[WG_KEY_LEN];
	bool have = false;
	int rc, ret = 0;

	/* Both periods of every peer through the (grain, start) index, a peer's rows together. */
	if (sq.prepare_v2(db->h,
			       "SELECT p.key, u.grain, u.rx, u.tx, u.fwd, u.ffp, u.ffb, u.ftp, u.ftb, u.peer FROM usage u"
			       " JOIN peers p ON p.id = u.peer WHERE u.grain > 0 AND u.grain = 1 AND u.start = ?1"
			       " UNION ALL"
			       " SELECT p.key, u.grain, u.rx, u.tx, u.fwd, u.ffp, u.ffb, u.ftp, u.ftb, u.peer FROM usage u"
			       " JOIN peers p ON p.id = u.peer WHERE u.grain > 0 AND u.grain = 2 AND u.start = ?2"
			       " ORDER BY 10",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sq.bind_int64(st, 1, ledger_period_start(LEDGER_DAY, now));
	sq.bind_int64(st, 2, ledger_period_start(LEDGER_MONTH, now));
	while (!ret && (rc = sq.step(st)) == SQLITE_ROW) {
		if (sq.column_bytes(st, 0) != WG_KEY_LEN)
			continue;
		if (have && memcmp(key, sq.column_blob(st, 0), WG_KEY_LEN)) {
			ret = each(ctx, key, &today, &month);
			have = false;
		}
		if (!have) {
			memcpy(key, sq.column_blob(st, 0), WG_KEY_LEN);
			memset(&today, 0, sizeof(today));
			memset(&month, 0, sizeof(month));
			have = true;
		}
		counts_of(st, 2, sq.column_int(st, 1) == 1 ? &today : &month);
	}
	if (!ret && have)
		ret = each(ctx, key, &today, &month);
	if (!ret && rc != SQLITE_DONE && rc != SQLITE_ROW)
		ret = -EIO;
	sq.finalize(st);
	return ret;
}

int db_mark_written(struct db *db, int64_t now)
{
	sqlite3_stmt *st;
	int rc;

	if (sq.prepare_v2(db->h, "INSERT OR REPLACE INTO meta VALUES ('written', ?1)", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sq.bind_int64(st, 1, now);
	rc = sq.step(st);
	sq.finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int db_state(struct db *db, int64_t *version, int64_t *written)
{
	sqlite3_stmt *st;
	int ok;

	*written = 0;
	if (sq.prepare_v2(db->h, "PRAGMA data_version", -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	ok = sq.step(st) == SQLITE_ROW;
	*version = ok ? sq.column_int64(st, 0) : 0;
	sq.finalize(st);
	if (!ok)
		return -EIO;
	if (sq.prepare_v2(db->h, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'written'", -1, &st, NULL) !=
	    SQLITE_OK)
		return -EIO;
	if (sq.step(st) == SQLITE_ROW)
		*written = sq.column_int64(st, 0);
	sq.finalize(st);
	return 0;
}
