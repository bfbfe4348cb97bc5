// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wgstar-top record, log and usage: the recorder that remembers the star (events to the
 * journal and the database, the usage ledger), and what it remembered.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "counters_io.h"
#include "db.h"
#include "events.h"
#include "guard.h"
#include "i18n.h"
#include "journal.h"
#include "keyidx.h"
#include "ledger.h"
#include "names.h"
#include "policy_io.h"
#include "prom.h"
#include "sample.h"
#include "sysctl.h"
#include "text.h"
#include "textfile.h"

static const char *db_path(const struct cmd_args *a)
{
	return a->opt[OPT_DB] ? a->opt[OPT_DB] : DB_PATH;
}

/* --- the recorder --- */

/* The usage ledger is written this often by default, as vnstat saves: deltas gather in memory. */
#define RECORD_WRITE_EVERY 60

/* A peer as the recorder keeps it: its row, and what it used since the row was last written. */
struct rpeer {
	struct db_peer p;
	struct ledger_counts pending;
	bool dirty;			/* the row differs from the database's */
	bool inserted;			/* its row got its id in the transaction open now */
};

/* What the recorder keeps from one sample to the next. */
struct recorder {
	const struct cmd_args *a;
	struct db *db;
	struct rpeer *peers;		/* every peer the ledger knows */
	size_t n_peers, cap_peers;
	struct keyidx index;		/* peers by key: a daemon may list them in another order each time */
	size_t counted[2];		/* the ranges the last counting read held, to size the next */
	size_t n_dirty;
	int64_t pending_when;		/* the sample the pending usage was last added at: its hour gets it */
	int64_t written;		/* when the ledger was last written */
	int write_every;
	struct wg_snapshot *prev;
	struct fwd_state prev_fwd;
	struct events_state events;
	struct sample_cache cache;
	struct policy_cache policy;
	bool first;			/* the first sample: peers already running count from here */
	int guard;			/* guard_state() at the last sample */
	int64_t pruned;			/* when old rows went last */
	struct textfile tf;
	bool textfile;
};

static int64_t peer_find(struct recorder *r, const uint8_t key[WG_KEY_LEN])
{
	return keyidx_find(&r->index, r->peers, key);
}

static int recorder_open(struct recorder *r, struct errmsg *err)
{
	struct db_peer *v = NULL;
	size_t n = 0;
	int ret;

	if ((ret = db_open(&r->db, db_path(r->a), true, err)) < 0)
		return ret;
	free(r->peers);
	r->peers = NULL;
	r->n_peers = r->cap_peers = r->n_dirty = 0;
	if ((ret = db_peers_load(r->db, &v, &n)) < 0)
		return errmsg_set(err, ret, _("reading the ledger of %s failed"), db_path(r->a));
	if (n && !(r->peers = calloc(n, sizeof(*r->peers)))) {
		free(v);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; ++i)
		r->peers[i].p = v[i];
	r->n_peers = r->cap_peers = n;
	free(v);
	return keyidx_rebuild(&r->index, r->peers, (uint32_t)n);
}

/*
 * The peers' rows and usage gathered since the last write, in the transaction open now; the
 * usage goes to the hour of r->pending_when. Marked clean by ledger_written() once committed.
 */
static int ledger_write(struct recorder *r)
{
	int ret;

	for (size_t i = 0; i < r->n_peers; ++i) {
		struct rpeer *rp = &r->peers[i];

		if (!rp->dirty)
			continue;
		/* The row first: a new peer gets the id its usage rows need. */
		rp->inserted = !rp->p.id;
		if ((ret = db_peer_save(r->db, &rp->p)) < 0)
			return ret;
		if (!ledger_zero(&rp->pending) && (ret = db_usage_add(r->db, rp->p.id, r->pending_when, &rp->pending)) < 0)
			return ret;
	}
	return 0;
}

static void ledger_written(struct recorder *r, int64_t now)
{
	for (size_t i = 0; i < r->n_peers; ++i) {
		r->peers[i].inserted = false;
		if (r->peers[i].dirty) {
			r->peers[i].dirty = false;
			memset(&r->peers[i].pending, 0, sizeof(r->peers[i].pending));
		}
	}
	r->n_dirty = 0;
	r->written = now;
}

/*
 * The transaction was rolled back: rows it inserted are not there, so their peers have no id
 * yet (an UPDATE of a missing row changes nothing and says nothing). What was pending stays.
 */
static void ledger_unwind(struct recorder *r)
{
	db_rollback(r->db);
	for (size_t i = 0; i < r->n_peers; ++i)
		if (r->peers[i].inserted) {
			r->peers[i].inserted = false;
			r->peers[i].p.id = 0;
		}
}

/* What is pending written in a transaction of its own: the hour turned, or the recorder ends. */
static int ledger_flush(struct recorder *r, int64_t now)
{
	int ret;

	if (!r->n_dirty)
		return 0;
	if ((ret = db_begin(r->db)) < 0)
		return ret;
	if ((ret = ledger_write(r)) < 0 || (ret = db_commit(r->db)) < 0) {
		ledger_unwind(r);
		return ret;
	}
	ledger_written(r, now);
	return 0;
}

/* The ledger of one peer for this sample: its delta, its last counters, its row. */
static int account(struct recorder *r, const struct wg_device *dev, const struct wg_peer *p, int64_t now, size_t *hint)
{
	struct ledger_counts cur, delta = { 0 };
	struct rpeer *rp = NULL;
	struct db_peer *dp;
	bool changed = false;

	ledger_counts_of(dev, p, &cur);
	/* Peers come in the same order sample after sample: the one after the last found, first. */
	if (*hint < r->n_peers && !memcmp(r->peers[*hint].p.key, p->public_key, WG_KEY_LEN)) {
		rp = &r->peers[*hint];
	} else {
		int64_t i = peer_find(r, p->public_key);

		rp = i < 0 ? NULL : &r->peers[i];
	}
	if (!rp) {
		if (r->n_peers == r->cap_peers) {
			size_t cap = r->cap_peers ? r->cap_peers * 2 : 256;
			struct rpeer *v = realloc(r->peers, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			r->peers = v;
			r->cap_peers = cap;
		}
		rp = &r->peers[r->n_peers++];
		memset(rp, 0, sizeof(*rp));
		memcpy(rp->p.key, p->public_key, WG_KEY_LEN);
		if (keyidx_add(&r->index, r->peers, (uint32_t)r->n_peers, (uint32_t)(r->n_peers - 1)) < 0) {
			r->n_peers--;
			return -ENOMEM;
		}
		dp = &rp->p;
		memcpy(dp->key, p->public_key, WG_KEY_LEN);
		dp->first_seen = now;
		/*
		 * A peer there when recording begins counts from this sample; one that came
		 * between two samples, from zero.
		 */
		if (!r->first)
			delta = cur;
		changed = true;
	} else if ((dp = &rp->p)->has_last) {
		ledger_delta(&dp->last, &cur, &delta);
	}
	*hint = (size_t)(rp - r->peers) + 1;
	if (!dp->has_last || !ledger_equal(&dp->last, &cur))
		changed = true;
	if (strcmp(dp->name, p->name ? p->name : "") || strncmp(dp->iface, dev->name, IFNAMSIZ)) {
		snprintf(dp->name, sizeof(dp->name), "%s", p->name ? p->name : "");
		memcpy(dp->iface, dev->name, sizeof(dp->iface));
		changed = true;
	}
	if (!changed)
		return 0;
	dp->last = cur;
	dp->has_last = true;
	dp->last_seen = now;
	ledger_add(&dp->total, &delta);
	ledger_add(&rp->pending, &delta);
	/* Its hour: set here, so usage never waits with no time to go to. */
	r->pending_when = now;
	if (!rp->dirty) {
		rp->dirty = true;
		r->n_dirty++;
	}
	return 0;
}

static int prom_fill(FILE *out, void *src)
{
	return prom_write(out, src);
}

static int recorder_tick(struct recorder *r, bool *read_ok)
{
	struct sample_opts so = { .iface = r->a->opt[OPT_IFACE], .config_path = r->a->opt[OPT_CONFIG],
				  .names_path = r->a->opt[OPT_NAMES] ? r->a->opt[OPT_NAMES] : NAMES_STORE_PATH,
				  .cache = &r->cache };
	struct event_list evs = { 0 };
	struct wg_snapshot *snap = NULL;
	struct sample_error serr;
	struct counters_prefetch cp;
	struct fwd_state fwd = { -1, -1 };
	int64_t now;
	size_t hint = 0;
	bool write;
	int ret;

	counters_prefetch_start(&cp, r->counted);
	*read_ok = sample_take(&snap, &so, &serr) == 0;
	counters_update_prefetched(*read_ok ? snap : NULL, !r->a->opt[OPT_READ_ONLY], &cp);
	if (!*read_ok) {
		/* An interface gone for good reads as none: that is interface_down, not a failure. */
		if (serr.failure == SAMPLE_NO_SUCH_IFACE)
			snap = wg_snapshot_new();
		sample_error_clear(&serr);
		if (!snap)
			return 0;
		clock_gettime(CLOCK_REALTIME, &snap->wall);
	} else {
		policy_cache_attach(&r->policy, r->a->opt[OPT_POLICY], snap);
	}
	sysctl_forwarding(&fwd);
	now = snap->wall.tv_sec;
	if ((ret = events_diff(r->prev, &r->prev_fwd, snap, &fwd, &r->events, &evs)) < 0)
		goto out;
	/* A firewall change whose guard died: nothing will roll it back; said once. */
	{
		double left;
		int g = guard_state(cmd_run_dir(r->a), &left);

		if (g < 0 && r->guard >= 0) {
			struct event e;

			event_action(&e, EV_GUARD_LOST, now, NULL, NULL,
				     "the guard of a pending firewall change is gone: nothing will roll it back; confirm or "
				     "roll back with wgstar-top firewall");
			if ((ret = event_list_add(&evs, &e)) < 0)
				goto out;
		}
		r->guard = g;
	}
	/* Usage of an hour gone by goes to that hour, before this sample's is added. */
	if (r->n_dirty && ledger_period_start(LEDGER_HOUR, now) != ledger_period_start(LEDGER_HOUR, r->pending_when) &&
	    (ret = ledger_flush(r, now)) < 0)
		goto out;
	for (size_t d = 0; d < snap->n_devices && !ret; ++d)
		for (uint32_t i = 0; i < snap->devices[d]->n_peers && !ret; ++i)
			ret = account(r, snap->devices[d], &snap->devices[d]->peers[i], now, &hint);
	if (ret)
		goto out;
	/*
	 * One transaction a sample: its events, and every write_every seconds the ledger, whole
	 * or not at all. What is not written yet stays pending: a failed write is tried again.
	 */
	if ((ret = db_begin(r->db)) < 0)
		goto out;
	write = r->n_dirty && now - r->written >= r->write_every;
	if (write)
		ret = ledger_write(r);
	for (size_t i = 0; i < evs.n && !ret; ++i)
		ret = db_event_add(r->db, &evs.v[i]);
	if (!ret)
		ret = db_mark_written(r->db, now);
	if (!ret && now - r->pruned >= 3600) {
		ret = db_prune(r->db, now, (int)(r->a->opt[OPT_KEEP_HOURLY] ? r->a->num[OPT_KEEP_HOURLY] : LEDGER_KEEP_HOURS_DAYS),
			       (int)(r->a->opt[OPT_KEEP_DAILY] ? r->a->num[OPT_KEEP_DAILY] : LEDGER_KEEP_DAYS_DAYS));
		r->pruned = now;
	}
	/* A failed commit may leave the transaction open: roll it back, or no later one begins. */
	if (ret || (ret = db_commit(r->db)) < 0) {
		ledger_unwind(r);
		goto out;
	}
	if (write)
		ledger_written(r, now);
	for (size_t i = 0; i < evs.n; ++i)
		journal_event(&evs.v[i]);
	if (r->textfile)
		textfile_replace(&r->tf, prom_fill, &(struct prom_source){ .snap = *read_ok ? snap : NULL, .fwd = &fwd });
	r->first = false;
	wg_snapshot_free(r->prev);
	r->prev = snap;
	r->prev_fwd = fwd;
	snap = NULL;
out:
	event_list_free(&evs);
	wg_snapshot_free(snap);
	return ret;
}

static void recorder_free(struct recorder *r)
{
	db_close(r->db);
	free(r->peers);
	keyidx_free(&r->index);
	wg_snapshot_free(r->prev);
	events_state_free(&r->events);
	sample_cache_clear(&r->cache);
	policy_cache_clear(&r->policy);
	if (r->textfile)
		textfile_close(&r->tf);
}

static int record(const struct cmd_args *a)
{
	struct recorder r = { .a = a, .first = true, .prev_fwd = { -1, -1 }, .index = KEYIDX_INIT(struct rpeer, p.key),
			      .write_every = a->opt[OPT_WRITE_EVERY] ? (int)a->num[OPT_WRITE_EVERY] : RECORD_WRITE_EVERY };
	double delay = a->opt[OPT_DELAY] ? a->delay : 10;
	struct timespec due;
	struct errmsg err;
	char shown[1024];
	bool read_ok;
	sigset_t set;
	int ret, sig;

	/*
	 * One malloc arena, as in the console: the threads that dump the counting sets each took
	 * one of their own and kept what a reading freed (a recorder of 10,000 peers sat at 25.7 MB
	 * instead of 18.0 MB after a minute).
	 */
	mallopt(M_ARENA_MAX, 1);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if ((ret = recorder_open(&r, &err)) < 0) {
		recorder_free(&r);
		return cmd_error("%s", errmsg_or(&err, ret));
	}
	if (a->opt[OPT_TEXTFILE]) {
		if ((ret = textfile_open(&r.tf, a->opt[OPT_TEXTFILE], PROM_TEXTFILE_NAME)) < 0) {
			recorder_free(&r);
			return cmd_error(_("cannot write %s/%s: %s"), text_safe(shown, sizeof(shown), a->opt[OPT_TEXTFILE]),
					 PROM_TEXTFILE_NAME, text_strerror(-ret));
		}
		r.textfile = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &due);
	for (;;) {
		if ((ret = recorder_tick(&r, &read_ok)) < 0)
			cmd_note(_("writing %s failed: %s; the next sample tries again"),
				 text_safe(shown, sizeof(shown), db_path(a)), text_strerror(-ret));
		sig = cmd_wait_tick(&set, &due, (int64_t)(delay * 1e9));
		if (sig && (ret = ledger_flush(&r, time(NULL))) < 0)
			cmd_note(_("writing %s failed: %s"), text_safe(shown, sizeof(shown), db_path(a)), text_strerror(-ret));
		if (sig == SIGHUP) {
			/* The database moved or was rotated away: open it (or a new one) anew. */
			db_close(r.db);
			r.db = NULL;
			if ((ret = recorder_open(&r, &err)) < 0) {
				cmd_error("%s", errmsg_or(&err, ret));
				break;
			}
			continue;
		}
		if (sig)
			break;
	}
	if (r.textfile)
		textfile_remove(&r.tf);
	recorder_free(&r);
	return ret < 0 && sig == SIGHUP ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --- what it remembered --- */

/* "@1700000000", "-2h", "-30m", "-7d", "today", "yesterday", "YYYY-MM-DD [HH:MM[:SS]]" (local time). */
static int parse_since(const char *s, int64_t *out)
{
	time_t now = time(NULL);
	struct tm tm;
	char *end;

	if (s[0] == '@') {
		long long v = strtoll(s + 1, &end, 10);

		if (end == s + 1 || *end)
			return -EINVAL;
		*out = v;
		return 0;
	}
	if (s[0] == '-') {
		long long v = strtoll(s + 1, &end, 10);
		int64_t unit = 0;

		if (end == s + 1 || v < 0)
			return -EINVAL;
		unit = !strcmp(end, "s") ? 1 : !strcmp(end, "m") || !strcmp(end, "min") ? 60 :
		       !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;
		if (!unit)
			return -EINVAL;
		*out = (int64_t)now - (int64_t)v * unit;
		return 0;
	}
	localtime_r(&now, &tm);
	if (!strcmp(s, "today") || !strcmp(s, "yesterday")) {
		tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		tm.tm_mday -= !strcmp(s, "yesterday");
		tm.tm_isdst = -1;
		*out = mktime(&tm);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && *end == ' ')
		end = strptime(end + 1, strchr(end + 1, ':') && strchr(strchr(end + 1, ':') + 1, ':') ? "%H:%M:%S" : "%H:%M", &tm);
	if (!end || *end)
		return -EINVAL;
	tm.tm_isdst = -1;
	*out = mktime(&tm);
	return 0;
}

static void print_event(const struct event *e)
{
	char when[32], shown[EVENT_TEXT_MAX * 4];
	time_t t = (time_t)e->time;
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("%s  %-20s %s", when, event_type_name(e->type), text_safe(shown, sizeof(shown), e->summary));
	if (e->by[0])
		printf(" (%s)", text_safe(shown, sizeof(shown), e->by));
	putchar('\n');
}

static int log_cmd(const struct cmd_args *a)
{
	struct event_list evs;
	struct errmsg err;
	int64_t since = 0;
	struct db *db;
	int ret;

	if (a->opt[OPT_SINCE] && parse_since(a->opt[OPT_SINCE], &since) < 0)
		return cmd_usage_error(_("--since wants @UNIX-SECONDS, -30m, -2h, -7d, today, yesterday or "
					 "YYYY-MM-DD [HH:MM[:SS]], not '%s'"), a->opt[OPT_SINCE]);
	if ((ret = db_open(&db, db_path(a), false, &err)) < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	ret = db_events_query(db, a->n_pos ? a->pos[0] : NULL, since, 0, &evs);
	db_close(db);
	if (ret < 0)
		return cmd_error(_("reading the events failed: %s"), text_strerror(-ret));
	if (a->opt[OPT_JSON])
		ret = events_json(stdout, evs.v, evs.n);
	else
		for (size_t i = 0; i < evs.n; ++i)
			print_event(&evs.v[i]);
	event_list_free(&evs);
	return ret < 0 ? cmd_error("%s", text_strerror(-ret)) : EXIT_SUCCESS;
}

static int usage_cmd(const struct cmd_args *a)
{
	enum ledger_grain g = a->opt[OPT_HOURLY] ? LEDGER_HOUR : a->opt[OPT_MONTHLY] ? LEDGER_MONTH : LEDGER_DAY;
	struct ledger_peer *v = NULL;
	struct errmsg err;
	int64_t since = 0;
	struct db *db;
	size_t n = 0;
	int ret;

	if ((a->opt[OPT_HOURLY] != NULL) + (a->opt[OPT_DAILY] != NULL) + (a->opt[OPT_MONTHLY] != NULL) > 1)
		return cmd_usage_error(_("--hourly, --daily and --monthly exclude each other"));
	if (a->opt[OPT_SINCE] && parse_since(a->opt[OPT_SINCE], &since) < 0)
		return cmd_usage_error(_("--since wants @UNIX-SECONDS, -30m, -2h, -7d, today, yesterday or "
					 "YYYY-MM-DD [HH:MM[:SS]], not '%s'"), a->opt[OPT_SINCE]);
	if ((ret = db_open(&db, db_path(a), false, &err)) < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	ret = db_usage_query(db, a->n_pos ? a->pos[0] : NULL, g, since, &v, &n);
	db_close(db);
	if (ret < 0)
		return cmd_error(_("reading the ledger failed: %s"), text_strerror(-ret));
	if (a->n_pos && !n) {
		char shown[256];

		ledger_peers_free(v, n);
		return cmd_error(_("the ledger knows no peer %s"), text_safe(shown, sizeof(shown), a->pos[0]));
	}
	ret = a->opt[OPT_JSON] ? ledger_json(stdout, v, n) : ledger_text(stdout, v, n, g);
	ledger_peers_free(v, n);
	return ret < 0 ? cmd_error("%s", text_strerror(-ret)) : EXIT_SUCCESS;
}

int cmd_record(const struct cmd *c, const struct cmd_args *a)
{
	if (!strcmp(c->name, "log"))
		return log_cmd(a);
	if (!strcmp(c->name, "usage"))
		return usage_cmd(a);
	if (a->opt[OPT_CONFIG] && !a->opt[OPT_IFACE])
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	return record(a);
}
