// SPDX-License-Identifier: GPL-2.0-or-later
/* The live console's loop: samples in a thread of their own, keys and drawing in the main one. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "app.h"
#include "canvas.h"
#include "console.h"
#include "counters.h"
#include "i18n.h"
#include "sysctl.h"
#include "term.h"
#include "view.h"

/* How long quitting waits for a sample in flight; a hung daemon is left to the exit. */
#define CONSOLE_JOIN_MS 200
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

	bool stop;
	bool now;			/* sample at once */
	bool paused;
	double interval;

	bool ready;			/* the slot holds a result */
	int ret;
	struct wg_snapshot *snap;
	struct sample_error err;
	struct fwd_state fwd;
};

struct console {
	const struct console_opts *opts;
	struct app app;
	struct term term;
	struct canvas canvas;
	struct sampler *sampler;
	bool sampled;			/* a result has come in */
	bool dirty;			/* the screen is out of date */
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

static bool timespec_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
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
		int ret;

		while (!s->stop && (s->paused || !s->now)) {
			clock_gettime(CLOCK_MONOTONIC, &start);
			if (!s->paused && !timespec_before(&start, &due))
				break;
			if (s->paused)
				pthread_cond_wait(&s->cond, &s->lock);
			else
				pthread_cond_timedwait(&s->cond, &s->lock, &due);
		}
		if (s->stop)
			break;
		s->now = false;
		pthread_mutex_unlock(&s->lock);

		clock_gettime(CLOCK_MONOTONIC, &start);
		ret = sample_take(&snap, &s->opts, &err);
		if (!ret) {
			/* No counting table only means no forwarded figures. */
			counters_update(snap, s->sync_counters);
			sysctl_forwarding(&fwd);
		}

		pthread_mutex_lock(&s->lock);
		if (s->ready) {
			wg_snapshot_free(s->snap);
			sample_error_clear(&s->err);
		}
		s->ready = true;
		s->ret = ret;
		s->snap = snap;
		s->err = err;
		s->fwd = fwd;
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
	sample_cache_clear(&s->cache);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	if (s->efd >= 0)
		close(s->efd);
	free(s);
}

static int sampler_start(struct sampler **out, const struct sample_opts *opts, double interval,
			 bool sync_counters)
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
	s->sync_counters = sync_counters;
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

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	clock_gettime(CLOCK_REALTIME, &deadline);
	timespec_add_ms(&deadline, CONSOLE_JOIN_MS);
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

/* Errors that no later sample will cure: the console gives up on them at the start. */
static bool sample_error_fatal(const struct sample_error *err)
{
	if (err->failure != SAMPLE_READ_FAILED)
		return true;
	return err->code == -EPERM || err->code == -EACCES;
}

static void describe_error(const struct console *con, const struct sample_error *err, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	char *nl;

	buf[0] = '\0';
	if (!f)
		return;
	con->opts->describe(f, err);
	fclose(f);
	buf[len - 1] = '\0';
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
}

/* Takes what the sampler left in the slot; 0, or -errno with msg set when the console must end. */
static int take_result(struct console *con, char *msg, size_t len)
{
	struct sampler *s = con->sampler;
	struct wg_snapshot *snap;
	struct sample_error err;
	struct fwd_state fwd;
	char text[APP_TEXT_MAX];
	eventfd_t count;
	bool ready;
	int ret;

	if (eventfd_read(s->efd, &count) < 0 && errno != EAGAIN) {
		ret = -errno;
		snprintf(msg, len, _("waiting for input failed: %s"), strerror(-ret));
		return ret;
	}
	pthread_mutex_lock(&s->lock);
	ready = s->ready;
	ret = s->ret;
	snap = s->snap;
	err = s->err;
	fwd = s->fwd;
	s->ready = false;
	s->snap = NULL;
	memset(&s->err, 0, sizeof(s->err));
	pthread_mutex_unlock(&s->lock);
	if (!ready)
		return 0;

	if (ret < 0) {
		if (!con->sampled && sample_error_fatal(&err)) {
			describe_error(con, &err, msg, len);
			goto out;
		}
		describe_error(con, &err, text, sizeof(text));
		app_set_error(&con->app, text);
		ret = 0;
		goto out;
	}
	con->app.fwd = fwd;
	/* Paused: the screen holds still; the thread takes no more until it goes on. */
	if (con->app.paused) {
		wg_snapshot_free(snap);
		goto out;
	}
	ret = app_update(&con->app, snap);
	if (ret < 0)
		snprintf(msg, len, _("keeping the console's state failed: %s"), strerror(-ret));
out:
	sample_error_clear(&err);
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

static int handle_key(struct console *con, int key)
{
	struct app *app = &con->app;
	bool paused = app->paused;
	double interval = app->interval;
	int flags = app_key(app, key);

	if (flags & APP_QUIT)
		return 1;
	if (flags & APP_REDRAW)
		con->dirty = true;
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

/*
 * Until q, a signal or a hangup: 0 on q, the signal's number, or -errno with msg set.
 * Signals are blocked but inside ppoll(), so a handler can only run while the loop waits.
 */
static int console_loop(struct console *con, const sigset_t *waitmask, char *msg, size_t len)
{
	struct pollfd pfd[2] = {
		{ .fd = con->term.in_fd, .events = POLLIN },
		{ .fd = con->sampler->efd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		struct timespec timeout = { 0 };

		if (console_signal)
			return console_signal;
		if (clock_tick(&con->app))
			con->dirty = true;
		if (con->dirty) {
			view_render(&con->canvas, &con->app);
			ret = term_draw(&con->term, &con->canvas);
			if (ret < 0) {
				snprintf(msg, len, _("drawing the screen failed: %s"), strerror(-ret));
				return ret;
			}
			con->dirty = false;
		}
		timespec_add_ms(&timeout, ms_to_next_second());
		ret = ppoll(pfd, 2, &timeout, waitmask);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			snprintf(msg, len, _("waiting for input failed: %s"), strerror(-ret));
			return ret;
		}
		if (ret < 0) {
			/* A resize arrives as a signal that curses turns into a key. */
			pfd[0].revents = POLLIN;
			pfd[1].revents = 0;
		}
		if (pfd[1].revents & POLLIN) {
			ret = take_result(con, msg, len);
			if (ret < 0)
				return ret;
		}
		if (pfd[0].revents & (POLLHUP | POLLERR | POLLNVAL))
			return SIGHUP;
		if (pfd[0].revents & POLLIN) {
			ret = handle_input(con);
			if (ret < 0)
				snprintf(msg, len, _("drawing the screen failed: %s"), strerror(-ret));
			if (ret)
				return ret < 0 ? ret : 0;
		}
	}
}

static const int console_signals[] = { SIGINT, SIGTERM, SIGHUP };

int console_run(const struct console_opts *opts, char *msg, size_t len)
{
	struct console con = { .opts = opts };
	struct sigaction sa = { .sa_handler = on_signal }, old_sa[3];
	sigset_t block, old_mask;
	const char *term;
	int ret;

	msg[0] = '\0';
	tzset();
	app_init(&con.app, opts->interval);
	con.app.read_only = opts->read_only;
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
	ret = term_open(&con.term, opts->color);
	if (ret == -ENOTTY) {
		snprintf(msg, len, "%s", _("the console needs a terminal; --once prints a snapshot without one"));
		goto out;
	} else if (ret < 0 && (!term || !term[0])) {
		snprintf(msg, len, "%s", _("TERM is not set: the console needs to know the terminal type"));
		goto out;
	} else if (ret == -EINVAL) {
		snprintf(msg, len, _("the terminal type '%s' cannot place the cursor; --once prints a snapshot instead"),
			 term);
		goto out;
	} else if (ret < 0) {
		snprintf(msg, len, _("cannot use the terminal type '%s' (see TERM)"), term);
		goto out;
	}
	con.app.color = con.term.color;
	ret = canvas_init(&con.canvas, con.term.w, con.term.h, con.term.utf8);
	if (ret < 0) {
		snprintf(msg, len, "%s", strerror(-ret));
		goto out;
	}
	ret = sampler_start(&con.sampler, &opts->sample, opts->interval, !opts->read_only);
	if (ret < 0) {
		snprintf(msg, len, _("starting the sampler failed: %s"), strerror(-ret));
		goto out;
	}
	ret = console_loop(&con, &old_mask, msg, len);
out:
	if (ret == SIGHUP)
		alarm(CONSOLE_HANGUP_GRACE_S);
	term_close(&con.term);
	alarm(0);
	sampler_stop(con.sampler);
	canvas_free(&con.canvas);
	app_free(&con.app);
	pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	for (size_t i = 0; i < 3; ++i)
		sigaction(console_signals[i], &old_sa[i], NULL);
	return ret;
}
