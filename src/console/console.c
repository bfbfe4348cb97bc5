// SPDX-License-Identifier: GPL-2.0-or-later
/* The live console's loop: samples in a thread of their own, keys and drawing in the main one. */
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <stdarg.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include "app.h"
#include "atomic.h"
#include "canvas.h"
#include "check_gather.h"
#include "console.h"
#include "counters_io.h"
#include "firewall_nft.h"
#include "guard.h"
#include "session.h"
#include "fwd.h"
#include "i18n.h"
#include "key.h"
#include "events.h"
#include "journal.h"
#include "peerops.h"
#include "history.h"
#include "policy_io.h"
#include "sample.h"
#include "sysctl.h"
#include "term.h"
#include "text.h"
#include "textdiff.h"
#include "view.h"

/* How long quitting waits for a sample in flight; a hung daemon is left to the exit. */
#define CONSOLE_JOIN_MS 200
#define CONSOLE_JOIN_MAX_MS 5000
/* Restoring a terminal nobody reads may block in tcsetattr(TCSADRAIN); not for longer. */
#define CONSOLE_HANGUP_GRACE_S 2

/*
 * The sampler thread and the main thread share this; everything below lock is under it.
 * A result waits in the slot until the main thread takes it; a newer one replaces it.
 */
struct sampler {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int efd;			/* eventfd: the slot holds a result */
	struct sample_opts opts;
	struct sample_cache cache;	/* the sampler thread's own */
	bool sync_counters;		/* keep the counting sets in step with the peers */
	const char *run_dir;		/* where a pending firewall change is kept */
	const char *policy_path;	/* the hub policy; NULL for the default */
	struct policy_cache policy;	/* the sampler thread's own */
	int policy_ret;			/* 0, or why the policy is not used (in policy_err) */
	char policy_err[ERRMSG_LEN];
	const char *db_path;		/* the recorder's database; NULL for the default */
	struct history_cache history;	/* the sampler thread's own */
	/*
	 * The sampler thread's own too. The counting sets are read in full at most every
	 * counting_ms: on a big hub their dump costs more than reading WireGuard, and the console
	 * would spend a few per cent of a core on it. In between, each peer's figures from the
	 * last reading are carried to each new snapshot.
	 */
	struct counters_carry kept;
	bool have_kept;
	bool counting_seen;		/* the last full read found the counting table */
	int64_t counting_ms;
	struct timespec counted;	/* when the sets were last read in full */

	bool stop;
	bool now;			/* sample at once */
	bool paused;
	double interval;
	/*
	 * How long the last sample that went well took, and the last such with a full read of
	 * the counting sets: what quitting waits for. A sample that failed (a daemon that hangs)
	 * does not count: q must not wait for it.
	 */
	int64_t ok_ms, full_ms;

	struct wg_snapshot *spent;	/* one the console is done with, for this thread to free */
	bool idle;			/* waiting for its next tick: it frees spent at once */
	bool ready;			/* the slot holds a result */
	bool asked;			/* one asked for (sampler_update's now): the operator waits for it */
	int ret;
	struct wg_snapshot *snap;
	struct sample_error err;
	struct fwd_state fwd;
	int fw_pending;			/* guard_state() */
	double fw_left;
};

struct console {
	const struct console_opts *opts;
	struct app app;
	struct term term;
	struct canvas canvas;
	struct sampler *sampler;
	bool sampled;			/* a result has come in */
	bool dirty;			/* the screen is out of date */
	double last_key;		/* when the operator's last key came, monotonic seconds */
	double take_ms;			/* what taking the last sample in cost (app_update) */
	bool held;			/* a result is in the slot, held while keys come */
	bool held_paused;		/* the console was paused when it came */
	double held_at;			/* when the first result held since the last take came */
	/* The firewall change previewed last, with the snapshot it was proposed for. */
	struct firewall_plan plan;
	struct wg_snapshot *plan_snap;
	struct policy_set plan_policy;	/* the policy the plan puts in, compiled for plan_snap */
	char iface[IFNAMSIZ];		/* the interface a peer change is for */
};

static volatile sig_atomic_t console_signal;

static void on_signal(int sig)
{
	console_signal = sig;
}

static void timespec_add_ms(struct timespec *ts, int64_t ms)
{
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * A full read of the counting sets, timed: the next one is due when reading them has cost at
 * most PACE_SHARE of a core since (half of it with a policy, whose table is read at the same
 * pace), and at the latest after PACE_MAX_MS (pace_interval_ms). A small hub's sets cost next
 * to nothing and are read every tick.
 *
 * The sets are dumped after the snapshot and folded into it, not dumped beside its read into a
 * reading of their own (as --once does): at 10,000 dual-stack peers that reading is 3 MB, on
 * top of the snapshot the console shows and the sampler's new one, and it set the console's
 * peak memory. The wait for the dump is the sampler thread's alone.
 */
static void counting_read(struct sampler *s, struct wg_snapshot *snap, const struct timespec *start)
{
	struct timespec t0, t1;
	double cost_ms;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	/*
	 * What the samples since the last full read freed goes back first: the plan does not come
	 * on top of it (10,000 peers: a peak of 19.6 MB, 19.1 so). Its cost is the read's.
	 */
	if (s->counting_seen)
		malloc_trim(0);
	if (counters_update_folded(snap, s->sync_counters) < 0 || counters_carry_take(&s->kept, snap) < 0) {
		s->have_kept = false;
		return;
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	cost_ms = timespec_diff(&t0, &t1) * 1000;
	s->have_kept = true;
	s->counted = *start;
	s->counting_ms = pace_interval_ms(cost_ms, s->policy.ps.present ? 2 : 1);
}

static bool counting_present(const struct wg_snapshot *snap)
{
	for (size_t i = 0; i < snap->n_devices; ++i)
		if (snap->devices[i]->has_flows)
			return true;
	return false;
}

static void *sampler_main(void *arg)
{
	struct sampler *s = arg;
	struct timespec due, start;

	clock_gettime(CLOCK_MONOTONIC, &due);
	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct wg_snapshot *snap = NULL;
		struct sample_error err;
		struct fwd_state fwd = { -1, -1 };
		double fw_left;
		int ret, fw_pending, policy_ret = 0;
		char policy_err[ERRMSG_LEN] = "";
		bool full, asked;
		int64_t took;

		while (!s->stop && (s->paused || !s->now)) {
			if (s->spent) {
				struct wg_snapshot *spent = s->spent;

				s->spent = NULL;
				pthread_mutex_unlock(&s->lock);
				wg_snapshot_free(spent);
				pthread_mutex_lock(&s->lock);
				continue;
			}
			clock_gettime(CLOCK_MONOTONIC, &start);
			if (!s->paused && !timespec_before(&start, &due))
				break;
			s->idle = true;
			if (s->paused)
				pthread_cond_wait(&s->cond, &s->lock);
			else
				pthread_cond_timedwait(&s->cond, &s->lock, &due);
			s->idle = false;
		}
		if (s->stop)
			break;
		/* Asked for (after a change the operator made): the counting sets are read too. */
		asked = s->now;
		s->now = false;
		pthread_mutex_unlock(&s->lock);

		clock_gettime(CLOCK_MONOTONIC, &start);
		s->policy.fresh = s->policy.fresh || asked;
		full = asked || !s->have_kept || timespec_diff(&s->counted, &start) * 1000 >= (double)s->counting_ms;
		ret = sample_take(&snap, &s->opts, &err);
		/* No counting table only means no forwarded figures. */
		if (full && !ret) {
			counting_read(s, snap, &start);
			s->counting_seen = counting_present(snap);
		} else if (full) {
			s->have_kept = false;
			s->counting_seen = false;
		} else if (!ret && counters_carry_apply(&s->kept, snap) < 0) {
			s->have_kept = false;
		}
		if (!ret) {
			sysctl_forwarding(&fwd);
			s->policy.sharing = counting_present(snap) ? 2 : 1;
			policy_ret = policy_cache_attach(&s->policy, s->policy_path, snap);
			snprintf(policy_err, sizeof(policy_err), "%s",
				 policy_ret < 0 && s->policy.ret < 0 ? errmsg_or(&s->policy.err, s->policy.ret) : "");
			/* Only memory fails it; without the database the history says why. */
			history_attach(&s->history, s->db_path, snap);
		}
		/*
		 * A full reading of a big hub's sets allocates megabytes for a moment; malloc keeps
		 * what they freed (a 10,000-peer console sat at 37 MB with 15 MB in use). Given back
		 * after each, which is every few seconds at most.
		 */
		if (full && s->counting_seen)
			malloc_trim(0);
		/* A change waiting for confirmation, and whether its guard still runs. */
		fw_pending = guard_state(s->run_dir, &fw_left);

		clock_gettime(CLOCK_MONOTONIC, &due);
		pthread_mutex_lock(&s->lock);
		took = (int64_t)(timespec_diff(&start, &due) * 1000);
		if (!ret) {
			s->ok_ms = took;
			if (full)
				s->full_ms = took;
		}
		if (s->ready) {
			wg_snapshot_free(s->snap);
			sample_error_clear(&s->err);
		}
		s->ready = true;
		s->asked = asked;
		s->ret = ret;
		s->snap = snap;
		s->err = err;
		s->fwd = fwd;
		s->fw_pending = fw_pending;
		s->fw_left = fw_left;
		s->policy_ret = policy_ret;
		memcpy(s->policy_err, policy_err, sizeof(policy_err));
		/* Fails only on a full counter, and then a wakeup is pending anyway. */
		eventfd_write(s->efd, 1);
		/* A steady cadence: the time a sample takes does not add to the interval. */
		due = start;
		timespec_add_ms(&due, (int64_t)(s->interval * 1000));
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void sampler_free(struct sampler *s)
{
	if (!s)
		return;
	if (s->ready) {
		wg_snapshot_free(s->snap);
		sample_error_clear(&s->err);
	}
	wg_snapshot_free(s->spent);
	sample_cache_clear(&s->cache);
	counters_carry_free(&s->kept);
	policy_cache_clear(&s->policy);
	history_cache_clear(&s->history);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

static int sampler_start(struct sampler **out, const struct sample_opts *opts, double interval,
			 bool sync_counters, const char *run_dir, const char *policy_path, const char *db_path)
{
	struct sampler *s = calloc(1, sizeof(*s));
	pthread_condattr_t cattr;
	sigset_t all, old;
	int ret;

	*out = NULL;
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	s->opts.cache = &s->cache;
	/* Drift comes with each sample, from the same read: the main thread never reads the device. */
	s->opts.drift = true;
	s->sync_counters = sync_counters;
	s->run_dir = run_dir;
	s->policy_path = policy_path;
	/* The policy table's counters paced as the counting sets are. */
	s->policy.paced = true;
	s->db_path = db_path;
	s->interval = interval;
	s->now = true;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &cattr);
	pthread_condattr_destroy(&cattr);
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->efd < 0) {
		ret = -errno;
		goto out;
	}
	/* Signals are the main thread's: the thread starts with every one blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&s->thread, NULL, sampler_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret < 0)
		goto out;
	*out = s;
	s = NULL;
out:
	sampler_free(s);
	return ret;
}

static void sampler_stop(struct sampler *s)
{
	struct timespec deadline;
	int64_t wait;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	/* A sample of a huge hub takes a while and ends: it is waited for, up to 5 s. */
	wait = CONSOLE_JOIN_MS + 2 * (s->ok_ms > s->full_ms ? s->ok_ms : s->full_ms);
	if (wait > CONSOLE_JOIN_MAX_MS)
		wait = CONSOLE_JOIN_MAX_MS;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	timespec_add_ms(&deadline, wait);
	/* Still waiting for a backend: the thread goes with the process, and keeps what it uses. */
	if (pthread_timedjoin_np(s->thread, NULL, &deadline))
		return;
	sampler_free(s);
}

/* What the operator changed that the sampler must know: pause, interval, a sample now. */
static void sampler_update(struct sampler *s, bool paused, double interval, bool now)
{
	pthread_mutex_lock(&s->lock);
	if (s->paused && !paused)
		now = true;
	s->paused = paused;
	s->interval = interval;
	s->now = s->now || now;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* Whether the result in the slot is one the operator asked for. */
static bool sampler_asked(struct sampler *s)
{
	bool asked;

	pthread_mutex_lock(&s->lock);
	asked = s->ready && s->asked;
	pthread_mutex_unlock(&s->lock);
	return asked;
}

/* Errors that no later sample will cure: the console gives up on them at the start. */
static bool sample_error_fatal(const struct sample_error *err)
{
	if (err->failure != SAMPLE_READ_FAILED)
		return true;
	return err->code == -EPERM || err->code == -EACCES;
}

/*
 * Takes what the sampler left in the slot; 0, or -errno with msg set when the console must end.
 * paused: whether the console was paused when the result came (a key handled since may have
 * paused it: the sample that came with that key is still shown).
 */
static int take_result(struct console *con, bool paused, struct errmsg *err)
{
	struct sampler *s = con->sampler;
	struct wg_snapshot *snap;
	struct sample_error serr;
	struct fwd_state fwd;
	char text[APP_TEXT_MAX];
	eventfd_t count;
	bool ready;
	int ret;

	if (eventfd_read(s->efd, &count) < 0 && errno != EAGAIN) {
		ret = -errno;
		errmsg_set(err, ret, _("waiting for input failed: %s"), text_strerror(-ret));
		return ret;
	}
	pthread_mutex_lock(&s->lock);
	ready = s->ready;
	ret = s->ret;
	snap = s->snap;
	serr = s->err;
	fwd = s->fwd;
	con->app.fw_pending = s->fw_pending;
	con->app.fw_left = s->fw_left;
	s->ready = false;
	s->snap = NULL;
	memset(&s->err, 0, sizeof(s->err));
	pthread_mutex_unlock(&s->lock);
	if (!ready)
		return 0;

	if (ret < 0) {
		if (!con->sampled && sample_error_fatal(&serr)) {
			sample_error_describe(err->text, sizeof(err->text), &serr);
			err->code = ret;
			goto out;
		}
		sample_error_describe(text, sizeof(text), &serr);
		app_set_error(&con->app, text);
		ret = 0;
		goto out;
	}
	con->app.fwd = fwd;
	/* Paused: the screen holds still; the thread takes no more until it goes on. */
	if (paused) {
		wg_snapshot_free(snap);
		goto out;
	}
	{
		double t0 = mono_now();

		ret = app_update(&con->app, snap);
		con->take_ms = (mono_now() - t0) * 1000;
	}
	if (ret < 0)
		errmsg_set(err, ret, _("keeping the console's state failed: %s"), text_strerror(-ret));
	/*
	 * The last snapshot is freed by the sampler thread while this one draws, if it is waiting
	 * for its tick. Busy with a sample (one that takes as long as the interval), it would keep
	 * this one through that sample: a third snapshot in memory. Then it is freed here.
	 */
	if (con->app.spent) {
		pthread_mutex_lock(&s->lock);
		if (s->idle && !s->spent) {
			s->spent = con->app.spent;
			con->app.spent = NULL;
			pthread_cond_signal(&s->cond);
		}
		pthread_mutex_unlock(&s->lock);
		wg_snapshot_free(con->app.spent);
		con->app.spent = NULL;
	}
out:
	sample_error_clear(&serr);
	con->sampled = true;
	con->dirty = true;
	return ret;
}

/* Brings the clock up to date; true when it shows a new second. */
static bool clock_tick(struct app *app)
{
	char now[sizeof(app->clock)];
	time_t t = time(NULL);
	struct tm tm;

	if (!localtime_r(&t, &tm) || !strftime(now, sizeof(now), "%H:%M:%S", &tm))
		return false;
	if (!strcmp(now, app->clock))
		return false;
	memcpy(app->clock, now, sizeof(now));
	return true;
}

/* Milliseconds to the next second of the wall clock, when the clock must change. */
static int ms_to_next_second(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int)(1000 - ts.tv_nsec / 1000000);
}

__attribute__((format(printf, 2, 3)))
static void say(struct console *con, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(con->app.message, sizeof(con->app.message), fmt, ap);
	va_end(ap);
}

/* What the console did, as an event with who did it: to the journal and the database. */
static void console_event(struct console *con, enum event_type t, const char *iface, const uint8_t *key,
			  const char *name, const char *summary)
{
	struct event e;
	char who[256];

	event_action(&e, t, time(NULL), iface, session_who(who, sizeof(who)), summary);
	if (key) {
		e.has_key = true;
		memcpy(e.key, key, WG_KEY_LEN);
	}
	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	eventlog_action(&e, con->opts->db_path);
}

static void plan_drop(struct console *con)
{
	firewall_plan_free(&con->plan);
	wg_snapshot_free(con->plan_snap);
	con->plan_snap = NULL;
	policy_set_free(&con->plan_policy);
}

static void send_error(struct console *con, int ret, const char *what)
{
	if (ret == -ERESTART)
		say(con, "%s", _("ruleset changed since the preview; preview again"));
	else if (what[0])
		say(con, _("the kernel refused \"%s\": %s"), what, text_strerror(-ret));
	else
		say(con, _("changing the ruleset failed: %s"), text_strerror(-ret));
}

/* A snapshot of its own for the plan, a copy of the last sample's: the app's is replaced at every sample. */
static int plan_snapshot(struct console *con)
{
	if (!con->app.snap) {
		say(con, "%s", _("no sample yet"));
		return -EAGAIN;
	}
	con->plan_snap = wg_snapshot_dup(con->app.snap);
	if (!con->plan_snap) {
		say(con, "%s", text_strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

/*
 * What wgstar would change in the firewall, validated by the kernel without committing, as
 * a diff in a pager. With nothing to add, what there is to take away: the counting table.
 */
static void firewall_preview(struct console *con)
{
	struct app *app = &con->app;
	char *notes = NULL, *diff = NULL, warn[APP_LONG_TEXT_MAX], buf[512];
	size_t notes_len = 0, diff_len = 0;
	bool remove = false;
	char what[512];
	FILE *f;
	int ret;

	plan_drop(con);
	if (plan_snapshot(con) < 0)
		return;
	if (app->req.value) {
		ret = firewall_propose(&con->plan, con->plan_snap, FIREWALL_WANT_ACCEPT, NULL);
	} else {
		struct errmsg perr;

		/* A policy that does not check out changes nothing: say why, propose nothing. */
		ret = policy_load(&con->plan_policy, con->opts->policy_path, con->plan_snap, 0, &perr);
		if (ret < 0) {
			say(con, "%s", errmsg_or(&perr, ret));
			return;
		}
		ret = firewall_propose(&con->plan, con->plan_snap,
				       FIREWALL_WANT_COUNTING | FIREWALL_WANT_ACCEPT | FIREWALL_WANT_POLICY,
				       con->plan_policy.present ? &con->plan_policy.c : NULL);
	}
	if (!ret && !con->plan.n && !app->req.value) {
		firewall_plan_free(&con->plan);
		remove = true;
		ret = firewall_propose(&con->plan, con->plan_snap, FIREWALL_WANT_REMOVE, NULL);
	}
	if (ret < 0) {
		say(con, _("reading the ruleset failed: %s"), text_strerror(-ret));
		goto out;
	}
	if (!con->plan.n) {
		say(con, "%s", _("nothing to change: the ruleset already has what wgstar proposes"));
		goto out;
	}
	ret = firewall_send(&con->plan, con->plan_snap, false, what, sizeof(what));
	if (ret < 0) {
		send_error(con, ret, what);
		goto out;
	}
	f = open_memstream(&notes, &notes_len);
	if (!f)
		goto nomem;
	for (size_t i = 0; i < con->plan.n; ++i)
		fprintf(f, "# %s\n", firewall_change_describe(buf, sizeof(buf), &con->plan.v[i]));
	if (fclose(f))
		goto nomem;
	f = open_memstream(&diff, &diff_len);
	if (!f)
		goto nomem;
	/* Plain text: the view colours the lines by their first character. */
	ret = textdiff_unified(f, con->plan.before, con->plan.after, _("ruleset now"),
			       _("ruleset after the change"), false);
	if (fclose(f) || ret < 0)
		goto nomem;
	firewall_lockout_warnings(&con->plan, con->plan_snap, session_ssh_port(), warn, sizeof(warn));
	{
		size_t used = strlen(warn);

		policy_session_warning(&con->plan_policy, con->plan_snap, warn + used, sizeof(warn) - used);
	}
	for (char *p = warn; *p; ++p)
		if (*p == '\n')
			*p = p[1] ? ' ' : '\0';
	if (app_show_diff(app, remove ? _("Firewall: remove wgstar's counting table") :
					_("Firewall: what wgstar would change"), notes, diff, warn) < 0)
		goto nomem;
	free(notes);
	free(diff);
	return;
nomem:
	say(con, "%s", text_strerror(ENOMEM));
	app_modal_close_all(app);
out:
	free(notes);
	free(diff);
	plan_drop(con);
}

/* The previewed plan, committed as one transaction under a guard that rolls it back. */
static void firewall_apply(struct console *con)
{
	struct app *app = &con->app;
	unsigned int timeout = con->opts->confirm_timeout ? con->opts->confirm_timeout : GUARD_DEFAULT_TIMEOUT;
	const char *dir = con->opts->run_dir;
	struct firewall_pending p;
	char what[512], who[256];
	struct errmsg err;
	int lock = -1, holder, ret;

	if (!con->plan_snap || !con->plan.n) {
		say(con, "%s", _("nothing previewed to apply"));
		return;
	}
	if ((ret = guard_dir_check(dir, true, &err)) < 0) {
		say(con, "%s", errmsg_text(&err));
		goto out;
	}
	lock = guard_lock(dir, false, &holder);
	if (lock == -EWOULDBLOCK) {
		say(con, _("another firewall change is being applied now (process %d)"), holder);
		goto out;
	}
	if (lock < 0) {
		say(con, _("locking %s failed: %s"), dir, text_strerror(-lock));
		goto out;
	}
	if (!guard_read(dir, &p)) {
		firewall_pending_free(&p);
		say(con, "%s", _("a firewall change waits for confirmation: c keeps it, u undoes it"));
		goto out;
	}
	ret = guard_commit(dir, &con->plan, con->plan_snap, timeout, session_who(who, sizeof(who)), what,
			   sizeof(what));
	if (ret == -ECHILD) {
		say(con, "%s", _("starting the rollback guard failed; the change is rolled back"));
		goto out;
	}
	if (ret < 0) {
		send_error(con, ret, what);
		goto out;
	}
	app_set_countdown(app, mono_now() + timeout);
	say(con, "%s", _("applied"));
	{
		char summary[EVENT_TEXT_MAX], buf[512];
		size_t o = (size_t)snprintf(summary, sizeof(summary),
					    "firewall change applied from the console, rolled back in %u s unless confirmed:", timeout);

		for (size_t i = 0; i < con->plan.n && o < sizeof(summary); ++i)
			o += (size_t)snprintf(summary + o, sizeof(summary) - o, "%s %s", i ? ";" : "",
					      firewall_change_describe(buf, sizeof(buf), &con->plan.v[i]));
		console_event(con, EV_FIREWALL_APPLIED, NULL, NULL, NULL, summary);
	}
out:
	guard_unlock(lock);
	plan_drop(con);
	sampler_update(con->sampler, app->paused, app->interval, true);
}

/* What the guard's result file says, in one line for the status line. */
static void guard_said(struct console *con)
{
	char *result = NULL;

	guard_result(con->opts->run_dir, &result);
	firewall_result_text(result, con->app.message, sizeof(con->app.message));
	free(result);
}

static void firewall_finish(struct console *con, enum guard_cmd cmd)
{
	struct app *app = &con->app;
	char *result = NULL;
	int ret = guard_finish(con->opts->run_dir, cmd, &result);

	if (ret == -ENOENT)
		say(con, "%s", _("no firewall change is waiting for confirmation"));
	else if (ret < 0)
		say(con, _("the rollback guard did not answer: %s"), text_strerror(-ret));
	else
		firewall_result_text(result, app->message, sizeof(app->message));
	free(result);
	if (ret != -ETIMEDOUT)
		app_set_countdown(app, 0);
	app->fw_pending = 0;
	sampler_update(con->sampler, app->paused, app->interval, true);
}

/* The countdown ran out: the guard has rolled back, or is about to. */
static void countdown_check(struct console *con)
{
	struct app *app = &con->app;
	double left;

	if (app->countdown <= 0 || app->mono_now < app->countdown || guard_state(con->opts->run_dir, &left) > 0)
		return;
	guard_said(con);
	app_set_countdown(app, 0);
	con->dirty = true;
	sampler_update(con->sampler, app->paused, app->interval, true);
}

static void forward_switch(struct console *con)
{
	struct app *app = &con->app;
	const struct app_req *r = &app->req;
	struct fwd_setting set = { r->ipv6 ? FWD_KEY_IPV6 : FWD_KEY_IPV4, r->value };
	const char *fam = r->ipv6 ? "IPv6" : "IPv4";
	int ret = fwd_write(set.key, set.value);

	if (ret < 0)
		say(con, _("writing %s failed: %s"), set.key,
		    ret == -EACCES || ret == -EROFS ? text_strerror(EPERM) : text_strerror(-ret));
	else if (r->persist && (ret = fwd_persist(con->opts->sysctl_dir, &set, 1)) < 0)
		say(con, _("forwarding is switched, but saving it in %s failed: %s"), app->sysctl_file, text_strerror(-ret));
	else if (r->persist)
		say(con, set.value ? _("%s forwarding on, and at boot") : _("%s forwarding off, and at boot"), fam);
	else
		say(con, set.value ? _("%s forwarding on") : _("%s forwarding off"), fam);
	if (ret >= 0) {
		char summary[96];

		snprintf(summary, sizeof(summary), "%s forwarding switched %s from the console%s", fam,
			 set.value ? "on" : "off", r->persist ? ", now and at boot" : "");
		console_event(con, EV_FORWARDING_SWITCHED, NULL, NULL, NULL, summary);
	}
	sysctl_forwarding(&app->fwd);
}

static const char *peer_label(const struct wg_snapshot *snap, const uint8_t key[WG_KEY_LEN], char *buf, size_t len)
{
	char b64[WG_KEY_B64_LEN];

	for (size_t d = 0; snap && d < snap->n_devices; ++d) {
		const struct wg_peer *p = wg_device_find_peer(snap->devices[d], key);

		if (p && p->name)
			return p->name;
	}
	key_to_base64(b64, key);
	snprintf(buf, len, "%.8s...", b64);
	return buf;
}

static void check(struct console *con)
{
	struct app *app = &con->app;
	const struct app_req *r = &app->req;
	struct check_input in = { 0 };
	struct check_result res = { 0 };
	struct check_env env;
	struct policy_set ps = { 0 };
	struct errmsg perr;
	char a[WG_KEY_B64_LEN], b[WG_KEY_B64_LEN], la[64], lb[64], title[APP_TEXT_MAX];
	int ret;

	if (!app->snap)
		return;
	key_to_base64(a, r->peer_a);
	key_to_base64(b, r->peer_b);
	in.peer_a = a;
	in.peer_b = r->with_b ? b : NULL;
	/* The policy's verdict for the pair, from the file as it is now; a bad one is left out. */
	if (policy_load(&ps, con->opts->policy_path, app->snap,
			POLICY_PREPARE_IGNORE_MISSING | POLICY_PREPARE_NO_COMPILE, &perr) == 0)
		in.policy = &ps;
	check_gather(&in, &env, app->snap, time(NULL));
	ret = check_run(&in, &res);
	if (ret == -ENOENT)
		say(con, "%s", _("that peer is gone"));
	else if (ret < 0)
		say(con, "%s", text_strerror(-ret));
	if (ret < 0)
		goto out;
	if (r->with_b)
		snprintf(title, sizeof(title), _("Check: %s and %s"), peer_label(app->snap, r->peer_a, la, sizeof(la)),
			 peer_label(app->snap, r->peer_b, lb, sizeof(lb)));
	else
		snprintf(title, sizeof(title), _("Check: %s and every other peer"),
			 peer_label(app->snap, r->peer_a, la, sizeof(la)));
	if (app_show_check(app, title, &res) < 0)
		say(con, "%s", text_strerror(ENOMEM));
out:
	check_result_free(&res);
	check_env_free(&env);
	policy_set_free(&ps);
}

/* --- peers --- */

/* The peer operations' view of the interface shown; false when there is none. */
static bool peer_ctx(struct console *con, struct peerops_ctx *ctx)
{
	const struct wg_device *dev = app_device(&con->app);

	memset(ctx, 0, sizeof(*ctx));
	if (!dev) {
		say(con, "%s", _("no WireGuard interface"));
		return false;
	}
	snprintf(con->iface, sizeof(con->iface), "%s", dev->name);
	ctx->iface = con->iface;
	/* -c belongs to the one interface -i named; every other has its file where wg-quick keeps it. */
	ctx->config_path = con->opts->sample.iface ? con->opts->sample.config_path : NULL;
	ctx->names_path = con->opts->sample.names_path;
	ctx->settings_path = con->opts->settings_path;
	ctx->policy_path = con->opts->policy_path;
	return true;
}

/* After a change of our own: the sampler shows it at once, drift with it. */
static void changed(struct console *con)
{
	sampler_update(con->sampler, con->app.paused, con->app.interval, true);
}

static void add_form_open(struct console *con)
{
	struct peerops_ctx ctx;
	struct peer_add_req req = { .name = NULL, .dry_run = true };
	struct peer_add_result res;
	char *endpoint, *dns;
	int ret;

	if (!peer_ctx(con, &ctx))
		return;
	endpoint = peerops_setting(ctx.settings_path, ctx.iface, "Endpoint");
	dns = peerops_setting(ctx.settings_path, ctx.iface, "DNS");
	/* The address it would take, as the hint of an empty Address; an unknown endpoint is asked for. */
	req.endpoint = endpoint;
	ret = peerops_add(&ctx, &req, &res);
	app_peer_add_form(&con->app, endpoint, dns,
			  !ret || ret == -EDESTADDRREQ ? res.address : NULL);
	/* What stops every peer (no config file, say) is said at once, not after the typing. */
	if (ret < 0 && ret != -EDESTADDRREQ)
		app_form_fail(&con->app, errmsg_or(&ctx.err, ret), APP_ADD_NAME);
	peerops_result_free(&res);
	free(endpoint);
	free(dns);
}

/* The field a failure of peerops_add is about, where the error tells. */
static size_t add_field_of(int ret, const struct peer_add_req *req)
{
	switch (ret) {
	case -EDESTADDRREQ:
		return APP_ADD_ENDPOINT;
	case -EADDRINUSE:
	case -ENOSPC:
		return APP_ADD_ADDRESS;
	case -ESRCH:
		return APP_ADD_GROUPS;
	case -EEXIST:
		/* A name in use, or a pasted key that is a peer already. */
		return req->public_key ? APP_ADD_PUBLIC_KEY : APP_ADD_NAME;
	default:
		return SIZE_MAX;
	}
}

static void peer_add(struct console *con)
{
	struct app *app = &con->app;
	const struct app_field *f = app->form.fields;
	struct peerops_ctx ctx;
	struct peer_add_req req = { 0 };
	struct peer_add_result res;
	char title[APP_TEXT_MAX], b64[WG_KEY_B64_LEN], *known = NULL, kept[APP_TEXT_MAX] = "";
	int ret;

	if (!peer_ctx(con, &ctx))
		return;
	req.name = f[APP_ADD_NAME].buf;
	req.public_key = f[APP_ADD_KEY].choice == 1 ? f[APP_ADD_PUBLIC_KEY].buf : NULL;
	req.preshared_key = f[APP_ADD_PSK].choice == 1;
	req.address = f[APP_ADD_ADDRESS].buf[0] ? f[APP_ADD_ADDRESS].buf : NULL;
	req.keepalive = (uint16_t)strtoul(f[APP_ADD_KEEPALIVE].buf, NULL, 10);
	req.endpoint = f[APP_ADD_ENDPOINT].buf;
	/* Empty is none, not the settings' DNS: the form showed that and the operator cleared it. */
	req.dns = f[APP_ADD_DNS].buf;
	req.groups = f[APP_ADD_GROUPS].buf[0] ? f[APP_ADD_GROUPS].buf : NULL;
	/* Everything checked first, the form still open: a mistake costs nothing but a correction. */
	req.dry_run = true;
	ret = peerops_add(&ctx, &req, &res);
	peerops_result_free(&res);
	if (!ret) {
		known = peerops_setting(ctx.settings_path, ctx.iface, "Endpoint");
		req.dry_run = false;
		ret = peerops_add(&ctx, &req, &res);
	}
	if (ret < 0) {
		app_form_fail(app, errmsg_or(&ctx.err, ret), add_field_of(ret, &req));
		free(known);
		return;
	}
	/* Asked once, remembered: the next peer gets the same hub, as the command line does it. */
	if (!known && ctx.settings_path) {
		if (peerops_save_setting(ctx.settings_path, ctx.iface, "Endpoint", req.endpoint) == 0)
			snprintf(kept, sizeof(kept), _("; the hub's endpoint is kept in %s"), ctx.settings_path);
		else
			snprintf(kept, sizeof(kept), _("; keeping the hub's endpoint in %s failed"), ctx.settings_path);
	}
	free(known);
	key_to_base64(b64, res.public_key);
	snprintf(title, sizeof(title), _("Client config of %s"), req.name);
	if (app_show_client(app, title, req.name, res.client_config) < 0) {
		/* The only copy of the private key is gone with it: the operator must know. */
		app_modal_close_all(app);
		say(con, _("added %s, but showing its client config failed: %s; remove it and add it again"),
		    req.name, text_strerror(ENOMEM));
	} else if (ctx.err.text[0]) {
		say(con, "%s", ctx.err.text);
	} else if (ctx.policy_note[0]) {
		say(con, _("added %s to %s: %.16s...; %s"), req.name, ctx.iface, b64, ctx.policy_note);
	} else {
		say(con, _("added %s to %s: %.16s..., allowed IPs %s%s"), req.name, ctx.iface, b64, res.address, kept);
	}
	{
		char summary[512];

		snprintf(summary, sizeof(summary), "peer %s added to %s with allowed IPs %s", req.name, ctx.iface, res.address);
		console_event(con, EV_PEER_ONBOARDED, ctx.iface, res.public_key, req.name, summary);
	}
	peerops_result_free(&res);
	changed(con);
}

static void peer_edit(struct console *con)
{
	struct app *app = &con->app;
	const char *name = app->form.fields[APP_EDIT_NAME].buf, *allowed = app->form.fields[APP_EDIT_ALLOWED_IPS].buf;
	bool rename = strcmp(name, app->target_name) != 0, set = strcmp(allowed, app->target_allowed) != 0;
	struct peerops_ctx ctx;
	int ret;

	if (!rename && !set) {
		app_form_close(app);
		say(con, "%s", _("nothing changed"));
		return;
	}
	if (!peer_ctx(con, &ctx))
		return;
	if (rename) {
		if ((ret = peerops_rename(&ctx, app->target, name)) < 0) {
			app_form_fail(app, errmsg_or(&ctx.err, ret), APP_EDIT_NAME);
			return;
		}
		{
			char summary[EVENT_TEXT_MAX];

			snprintf(summary, sizeof(summary), "peer %.64s renamed %.64s on %s", app->target_name, name, ctx.iface);
			console_event(con, EV_PEER_RENAMED, ctx.iface, app->target, name, summary);
		}
		/* Done: a failure of the allowed IPs below must not make the next try rename again. */
		snprintf(app->target_name, sizeof(app->target_name), "%s", name);
		changed(con);
	}
	if (set) {
		if ((ret = peerops_set_allowedips(&ctx, app->target, allowed)) < 0) {
			app_form_fail(app, errmsg_or(&ctx.err, ret), APP_EDIT_ALLOWED_IPS);
			return;
		}
		changed(con);
	}
	app_form_close(app);
	if (ctx.err.text[0])
		say(con, "%s", ctx.err.text);
	else if (rename && set)
		say(con, _("%s now has allowed IPs %s"), name, allowed);
	else if (rename)
		say(con, _("renamed to %s"), name);
	else
		say(con, _("%s now has allowed IPs %s"), name[0] ? name : _("the peer"), allowed);
}

static void client_save(struct console *con)
{
	struct app *app = &con->app;
	const char *path = app->form.fields[0].buf;
	const char *text = app->client.text;
	int ret;

	if (!text) {
		app_form_close(app);
		return;
	}
	ret = atomic_create(path, text, strlen(text), 0600);
	if (ret == -EEXIST) {
		app_form_fail(app, _("that file exists already; not overwriting it"), 0);
		return;
	}
	if (ret < 0) {
		char err[APP_TEXT_MAX];

		/* The path is in the field, right above. */
		snprintf(err, sizeof(err), _("writing the file failed: %s"), text_strerror(-ret));
		app_form_fail(app, err, 0);
		return;
	}
	snprintf(app->client.saved, sizeof(app->client.saved), "%s", path);
	say(con, _("client config written to %s (mode 0600)"), path);
	app_form_close(app);
}

static void form_submitted(struct console *con)
{
	switch (con->app.req.form) {
	case APP_FORM_ADD_PEER:
		peer_add(con);
		break;
	case APP_FORM_EDIT_PEER:
		peer_edit(con);
		break;
	case APP_FORM_SAVE_CLIENT:
		client_save(con);
		break;
	default:
		app_form_close(&con->app);
		break;
	}
}

static void peer_remove(struct console *con)
{
	struct peerops_ctx ctx;
	char name[128], buf[64], b64[WG_KEY_B64_LEN];
	int ret;

	if (!peer_ctx(con, &ctx))
		return;
	key_to_base64(b64, con->app.req.peer_a);
	snprintf(name, sizeof(name), "%s", peer_label(con->app.snap, con->app.req.peer_a, buf, sizeof(buf)));
	ret = peerops_remove(&ctx, con->app.req.peer_a);
	if (ret < 0)
		say(con, "%s", errmsg_or(&ctx.err, ret));
	else if (ctx.err.text[0])
		say(con, "%s", ctx.err.text);
	else
		say(con, _("removed %s (%.16s...) from %s"), name, b64, ctx.iface);
	if (ret >= 0) {
		char summary[256];

		snprintf(summary, sizeof(summary), "peer %s removed from %s", name, ctx.iface);
		console_event(con, EV_PEER_OFFBOARDED, ctx.iface, con->app.req.peer_a, name, summary);
	}
	changed(con);
}

static void drift_preview(struct console *con)
{
	enum drift_direction dir = con->app.req.value ? DRIFT_TO_LIVE : DRIFT_TO_FILE;
	struct peerops_ctx ctx;
	char title[APP_TEXT_MAX], *preview = NULL;
	int ret;

	if (!peer_ctx(con, &ctx))
		return;
	ret = peerops_reconcile_preview(&ctx, dir, &preview);
	if (ret < 0) {
		say(con, "%s", errmsg_or(&ctx.err, ret));
		return;
	}
	snprintf(title, sizeof(title), dir == DRIFT_TO_FILE ? _("Reconcile %s: the file follows the live interface") :
								_("Reconcile %s: the live interface follows the file"),
		 ctx.iface);
	if (app_show_reconcile(&con->app, title, (int)dir, preview) < 0)
		say(con, "%s", text_strerror(ENOMEM));
	free(preview);
}

static void drift_apply(struct console *con)
{
	enum drift_direction dir = con->app.req.value ? DRIFT_TO_LIVE : DRIFT_TO_FILE;
	struct peerops_ctx ctx;
	int ret;

	if (!peer_ctx(con, &ctx))
		return;
	ret = peerops_reconcile(&ctx, dir);
	if (ret < 0)
		say(con, "%s", errmsg_or(&ctx.err, ret));
	else
		say(con, dir == DRIFT_TO_FILE ? _("reconciled: the config file follows %s") :
						  _("reconciled: %s follows its config file"), ctx.iface);
	changed(con);
}

/* The config file's identity and size and time: a stat per sample tells a change. */
/* What a key asked for that needs I/O; the results go back to the app. */
static void perform(struct console *con)
{
	switch (con->app.req.what) {
	case APP_REQ_FIREWALL_PREVIEW:
		firewall_preview(con);
		break;
	case APP_REQ_FIREWALL_APPLY:
		firewall_apply(con);
		break;
	case APP_REQ_FIREWALL_CONFIRM:
		firewall_finish(con, GUARD_CONFIRM);
		break;
	case APP_REQ_FIREWALL_ROLLBACK:
		firewall_finish(con, GUARD_ROLLBACK);
		break;
	case APP_REQ_FORWARD:
		forward_switch(con);
		break;
	case APP_REQ_CHECK:
		check(con);
		break;
	case APP_REQ_FORM:
		form_submitted(con);
		break;
	case APP_REQ_PEER_ADD_FORM:
		add_form_open(con);
		break;
	case APP_REQ_PEER_REMOVE:
		peer_remove(con);
		break;
	case APP_REQ_DRIFT_PREVIEW:
		drift_preview(con);
		break;
	case APP_REQ_DRIFT_APPLY:
		drift_apply(con);
		break;
	case APP_REQ_NONE:
	default:
		break;
	}
	con->app.req.what = APP_REQ_NONE;
	con->dirty = true;
}

static int handle_key(struct console *con, int key)
{
	struct app *app = &con->app;
	bool paused = app->paused;
	double interval = app->interval;
	int flags;

	app->mono_now = mono_now();
	con->last_key = app->mono_now;
	flags = app_key(app, key);
	if (flags & APP_QUIT)
		return 1;
	if (flags & APP_REDRAW)
		con->dirty = true;
	if (flags & APP_REQUEST)
		perform(con);
	if (flags & APP_RESAMPLE || paused != app->paused || interval != app->interval)
		sampler_update(con->sampler, app->paused, app->interval, flags & APP_RESAMPLE);
	return 0;
}

/* Every key and resize that is waiting; 1 when the operator quits, else 0 or -errno. */
static int handle_input(struct console *con)
{
	enum term_event ev;
	int key = 0, ret;

	while ((ev = term_read(&con->term, &key)) != TERM_NONE) {
		switch (ev) {
		case TERM_KEY:
			if (handle_key(con, key))
				return 1;
			break;
		case TERM_RESIZE:
			ret = canvas_init(&con->canvas, con->term.w, con->term.h, con->term.utf8);
			if (ret < 0)
				return ret;
			con->dirty = true;
			break;
		case TERM_REDRAW:
			con->dirty = true;
			break;
		case TERM_NONE:
			break;
		}
	}
	return 0;
}

/* The screen, if anything on it changed: 0, or -errno with msg set. */
static int draw(struct console *con, struct errmsg *err)
{
	int ret;

	if (!con->dirty)
		return 0;
	view_render(&con->canvas, &con->app);
	ret = term_draw(&con->term, &con->canvas);
	if (ret < 0) {
		errmsg_set(err, ret, _("drawing the screen failed: %s"), text_strerror(-ret));
		return ret;
	}
	con->dirty = false;
	return 0;
}

/* Every key waiting: 1 when the operator quits, else 0 or -errno with msg set. */
static int take_input(struct console *con, struct errmsg *err)
{
	int ret = handle_input(con);

	if (ret < 0)
		errmsg_set(err, ret, _("drawing the screen failed: %s"), text_strerror(-ret));
	return ret;
}

/*
 * The sampler's result taken in now; 1 when a key that came meanwhile quits, else 0 or -errno
 * with msg set. paused: as take_result has it.
 */
static int take_now(struct console *con, bool paused, struct errmsg *err)
{
	struct pollfd in = { .fd = con->term.in_fd, .events = POLLIN };
	int ret;

	/*
	 * A key that came with a sample is shown first: taking in a sample of 100,000 peers keeps
	 * the loop busy for a good part of a frame on a slow machine.
	 */
	if ((ret = draw(con, err)) < 0)
		return ret;
	con->held = false;
	if ((ret = take_result(con, paused, err)) < 0)
		return ret;
	/* And a key that came while it was taken in is handled before the sample's frame is drawn. */
	if (poll(&in, 1, 0) > 0 && (in.revents & POLLIN))
		return take_input(con, err);
	return 0;
}

/*
 * Until q, a signal or a hangup: 0 on q, the signal's number, or -errno with msg set.
 * Signals are blocked but inside ppoll(), so a handler can only run while the loop waits.
 */
static int console_loop(struct console *con, const sigset_t *waitmask, struct errmsg *err)
{
	struct pollfd pfd[2] = {
		{ .fd = con->term.in_fd, .events = POLLIN },
		{ .fd = con->sampler->efd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		struct timespec timeout = { 0 };
		int64_t wait, hold;
		bool paused;

		if (console_signal)
			return console_signal;
		if (clock_tick(&con->app))
			con->dirty = true;
		con->app.mono_now = mono_now();
		if (con->app.countdown > 0) {
			countdown_check(con);
			con->dirty = true;
		}
		if ((ret = draw(con, err)) < 0)
			return ret;
		wait = ms_to_next_second();
		if (con->held && (hold = sample_hold_ms(mono_now(), con->last_key, con->held_at, con->take_ms)) < wait)
			wait = hold;
		timespec_add_ms(&timeout, wait);
		ret = ppoll(pfd, 2, &timeout, waitmask);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			errmsg_set(err, ret, _("waiting for input failed: %s"), text_strerror(-ret));
			return ret;
		}
		if (ret < 0) {
			/* A resize arrives as a signal that curses turns into a key. */
			pfd[0].revents = POLLIN;
			pfd[1].revents = 0;
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return SIGHUP;
		paused = con->app.paused;
		if ((pfd[0].revents & POLLIN) && (ret = take_input(con, err)))
			return ret < 0 ? ret : 0;
		if (pfd[1].revents & POLLIN) {
			double now = mono_now(), arrived = con->held ? con->held_at : now;

			/*
			 * Right after a key, a result that is costly to take in waits in the slot
			 * (sample_hold_ms); one the operator asked for does not.
			 */
			if (!sampler_asked(con->sampler) && sample_hold_ms(now, con->last_key, arrived, con->take_ms)) {
				eventfd_t count;

				con->held = true;
				con->held_at = arrived;
				con->held_paused = paused;
				eventfd_read(con->sampler->efd, &count);
				continue;
			}
			ret = take_now(con, paused, err);
		} else if (con->held && !sample_hold_ms(mono_now(), con->last_key, con->held_at, con->take_ms)) {
			/* Paused when it came or meanwhile, the screen holds still: the result is dropped. */
			ret = take_now(con, con->held_paused || con->app.paused, err);
		} else {
			ret = 0;
		}
		if (ret)
			return ret < 0 ? ret : 0;
	}
}

static const int console_signals[] = { SIGINT, SIGTERM, SIGHUP };

int console_run(const struct console_opts *opts, struct errmsg *err)
{
	struct console con = { .opts = opts };
	struct sigaction sa = { .sa_handler = on_signal }, old_sa[3];
	sigset_t block, old_mask;
	char term_shown[128];
	const char *term;
	int ret;

	errmsg_clear(err);
	tzset();
	/*
	 * One malloc arena for all threads: the sampler (and the threads that dumped the counting
	 * sets, before the sampler folded them itself) each got one of their own, kept what a
	 * reading freed, and malloc_trim could not give their megabytes back in between (a
	 * 10,000-peer console sat 5 MB higher). The threads allocate a few times a second; they
	 * do not contend.
	 */
	mallopt(M_ARENA_MAX, 1);
	/*
	 * No fast bins: the sampler thread frees each spent snapshot, a chunk or two per peer, and
	 * fast bins kept those chunks apart until the console's next large malloc merged them all,
	 * 12 million instructions at 100,000 peers on the thread that answers keys. Merged as they
	 * are freed, they cost the sampler instead.
	 */
	mallopt(M_MXFAST, 0);
	app_init(&con.app, opts->interval);
	con.app.hand_back = true;
	con.app.read_only = opts->read_only;
	snprintf(con.app.sysctl_file, sizeof(con.app.sysctl_file), "%s/%s", opts->sysctl_dir, FWD_CONF_NAME);
	if (gethostname(con.app.hostname, sizeof(con.app.hostname)) < 0)
		con.app.hostname[0] = '\0';
	con.app.hostname[sizeof(con.app.hostname) - 1] = '\0';

	/*
	 * Ours before curses starts, so that curses does not install its own. A signal ignored
	 * from the start (nohup, a background job) stays ignored.
	 */
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	for (size_t i = 0; i < 3; ++i) {
		sigaction(console_signals[i], NULL, &old_sa[i]);
		if (old_sa[i].sa_handler != SIG_IGN)
			sigaction(console_signals[i], &sa, NULL);
		sigaddset(&block, console_signals[i]);
	}
	sigaddset(&block, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &block, &old_mask);

	term = getenv("TERM");
	term = term ? text_safe(term_shown, sizeof(term_shown), term) : NULL;
	ret = term_open(&con.term, opts->color);
	if (ret == -ENOTTY) {
		errmsg_set(err, ret, "%s", _("the console needs a terminal; --once prints a snapshot without one"));
		goto out;
	} else if (ret < 0 && (!term || !term[0])) {
		errmsg_set(err, ret, "%s", _("TERM is not set: the console needs to know the terminal type"));
		goto out;
	} else if (ret == -EINVAL) {
		errmsg_set(err, ret, _("the terminal type '%s' cannot place the cursor; --once prints a snapshot instead"),
			 term);
		goto out;
	} else if (ret < 0) {
		errmsg_set(err, ret, _("cannot use the terminal type '%s' (see TERM)"), term);
		goto out;
	}
	con.app.color = con.term.color;
	ret = canvas_init(&con.canvas, con.term.w, con.term.h, con.term.utf8);
	if (ret < 0) {
		errmsg_set(err, ret, "%s", text_strerror(-ret));
		goto out;
	}
	ret = sampler_start(&con.sampler, &opts->sample, opts->interval, !opts->read_only, opts->run_dir,
			    opts->policy_path, opts->db_path);
	if (ret < 0) {
		errmsg_set(err, ret, _("starting the sampler failed: %s"), text_strerror(-ret));
		goto out;
	}
	ret = console_loop(&con, &old_mask, err);
out:
	if (ret == SIGHUP)
		alarm(CONSOLE_HANGUP_GRACE_S);
	term_close(&con.term);
	alarm(0);
	sampler_stop(con.sampler);
	canvas_free(&con.canvas);
	plan_drop(&con);
	app_free(&con.app);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; i < 3; ++i)
		sigaction(console_signals[i], &old_sa[i], NULL);
	return ret;
}
