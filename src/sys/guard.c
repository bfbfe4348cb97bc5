// SPDX-License-Identifier: GPL-2.0-or-later
/* The rollback guard: a firewall change taken back unless it is confirmed in time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "atomic.h"
#include "firewall_nft.h"
#include "guard.h"
#include "i18n.h"
#include "journal.h"
#include "nft.h"
#include "sample.h"
#include "session.h"
#include "text.h"

#define PENDING "pending"
#define BEFORE "before.nft"
/* The policy table a change replaces or removes, whole, to put it back from. */
#define POLICY_BEFORE "policy-before.nft"
#define COUNTING_BEFORE "counting-before.nft"
#define RESULT "result"
#define LOCK "lock"
/* How long a caller waits for a guard to take over, and for one to finish when asked. */
#define GUARD_START_MS 5000
#define GUARD_FINISH_MS 15000


static char *path_in(char *buf, size_t len, const char *dir, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

int guard_dir_check(const char *dir, bool create, struct errmsg *err)
{
	char shown[512];
	struct stat st;

	text_safe(shown, sizeof(shown), dir);
	if (lstat(dir, &st) < 0 && errno == ENOENT && create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return errmsg_set(err, -errno, "%s: %s", shown, text_strerror(errno));
	if (lstat(dir, &st) < 0)
		return errmsg_set(err, -errno, "%s: %s", shown, text_strerror(errno));
	/* Whoever may write here could make root roll back, or keep, a firewall change. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return errmsg_set(err, -EPERM, _("%s must be a directory owned by %s and writable by nobody else"), shown,
				  geteuid() ? _("this user") : "root");
	return 0;
}

int guard_lock(const char *dir, bool wait, int *holder)
{
	char path[4096], pid[32];
	int fd, n;

	if (holder)
		*holder = 0;
	fd = open(path_in(path, sizeof(path), dir, LOCK), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		int err = errno;

		if (err == EINTR)
			continue;
		if (err == EWOULDBLOCK && holder && (n = (int)pread(fd, pid, sizeof(pid) - 1, 0)) > 0) {
			pid[n] = '\0';
			*holder = atoi(pid);
		}
		close(fd);
		return err == EWOULDBLOCK ? -EWOULDBLOCK : -err;
	}
	/* Who holds it, for the message of whoever is refused. */
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		syslog(LOG_DEBUG, "wgstar: cannot note the lock's holder");
	return fd;
}

void guard_unlock(int fd)
{
	if (fd < 0)
		return;
	if (ftruncate(fd, 0) < 0)
		syslog(LOG_DEBUG, "wgstar: cannot clear the lock's holder");
	close(fd);
}

int guard_read(const char *dir, struct firewall_pending *p)
{
	char path[4096], *text = NULL;
	int ret;

	memset(p, 0, sizeof(*p));
	if ((ret = atomic_read_state(path_in(path, sizeof(path), dir, PENDING), &text, NULL, NULL)) < 0)
		return ret;
	ret = firewall_pending_parse(p, text);
	free(text);
	return ret;
}

static int guard_write(const char *dir, const struct firewall_pending *p)
{
	char *text = firewall_pending_format(p);
	int ret;

	if (!text)
		return -ENOMEM;
	ret = atomic_write(dir, PENDING, text, strlen(text), 0600);
	free(text);
	return ret;
}

/* Field 22 of /proc/PID/stat: with the pid, names one process even when pids are reused. */
static unsigned long long proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* A zombie guard has ended: it guards nothing. */
	if (!p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X')
		return 0;
	for (int field = 2; p && field < 22; ++field)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

bool guard_alive(const struct firewall_pending *p)
{
	return p->guard_pid > 1 && p->guard_start && proc_start(p->guard_pid) == p->guard_start;
}

/* The result file: "OUTCOME WHY" on the first line (for the commands), then the log's words. */
static void write_result(const char *dir, const char *outcome, const char *why, const char *text)
{
	char buf[768];

	snprintf(buf, sizeof(buf), "%s %s\n%s\n", outcome, why, text);
	if (atomic_write(dir, RESULT, buf, strlen(buf), 0600) < 0)
		syslog(LOG_ERR, "wgstar: cannot write %s/%s", dir, RESULT);
}

static void forget(const char *dir)
{
	char path[4096];

	unlink(path_in(path, sizeof(path), dir, PENDING));
	unlink(path_in(path, sizeof(path), dir, BEFORE));
	unlink(path_in(path, sizeof(path), dir, POLICY_BEFORE));
	unlink(path_in(path, sizeof(path), dir, COUNTING_BEFORE));
}

static bool plan_needs_snapshot(const struct firewall_plan *plan)
{
	for (size_t i = 0; i < plan->n; ++i)
		if (plan->v[i].kind == FIREWALL_REMOVE_COUNTING && !plan->counting_before)
			return true;
	return false;
}

/* A table saved at the change into *out, or NULL when none was. */
static int read_saved(const char *dir, const char *name, char **out)
{
	char path[4096];
	int ret;

	free(*out);
	*out = NULL;
	ret = atomic_read_state(path_in(path, sizeof(path), dir, name), out, NULL, NULL);
	return ret == -ENOENT ? 0 : ret;
}

/*
 * Takes the pending change back, whatever else happened to the ruleset meanwhile, and says
 * whether the ruleset is then as it was saved before the change. Forgets the change.
 */
/* wgstar's database, for the events of a change's end (NULL: the default, where it exists). */
static const char *guard_db;

void guard_set_db(const char *db)
{
	guard_db = db;
}

/* Who ends a change: the guard by itself, or whoever runs this (a confirm or rollback that found it dead). */
static const char *guard_by(const char *why)
{
	static char who[256];

	if (!strcmp(why, "unguarded"))
		return session_who(who, sizeof(who));
	return "wgstar-top firewall guard";
}

static void undo(const char *dir, struct firewall_pending *p, const char *why)
{
	struct firewall_plan plan;
	struct event e;
	struct wg_snapshot *snap = NULL;
	struct nft_batch b = { 0 };
	struct nft_error err = { 0 };
	struct nft_sock s = { 0 };
	char path[4096], *before = NULL, *now = NULL, *script = NULL, msg[1024], nft_err[512] = "";
	uint32_t genid;
	bool same, enomem = false;
	int ret;

	/*
	 * Tables replaced or removed come back as they were saved before. The plan is the
	 * caller's (guard_commit's is a copy of its own caller's): what is read here goes into a
	 * copy of it and is freed here.
	 */
	plan = p->plan;
	plan.policy_before = NULL;
	plan.counting_before = NULL;
	if ((ret = read_saved(dir, POLICY_BEFORE, &plan.policy_before)) < 0 ||
	    (ret = read_saved(dir, COUNTING_BEFORE, &plan.counting_before)) < 0)
		goto out;
	/* Putting a removed counting table back needs the peers as they are now. */
	if (plan_needs_snapshot(&plan)) {
		struct sample_opts so = { 0 };
		struct sample_error serr;

		if (sample_take(&snap, &so, &serr) < 0) {
			sample_error_clear(&serr);
			snap = wg_snapshot_new();
		}
	}
	/* What the batch cannot put back goes by a script: that it can run is known first, not half way. */
	script = firewall_undo_script(&plan, &enomem);
	if (!script && enomem) {
		ret = -ENOMEM;
		goto out;
	}
	if (script && (ret = firewall_scripts_ready()) < 0)
		goto out;
	if ((ret = nft_open(&s)) < 0)
		goto out;
	/* No generation here: the change must go whatever else happened meanwhile. */
	if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0 ||
	    (ret = firewall_build_changes(&b, &plan, snap, true, false)) < 0 || (ret = nft_batch_end(&b, true)) < 0)
		goto out;
	s.seq = b.seq_next;
	ret = nft_send(&s, &b, NULL, NULL, &err);
	if (!ret && script)
		ret = firewall_run_script(script, nft_err, sizeof(nft_err));
out:
	free(script);
	nft_batch_free(&b);
	if (s.nl)
		nft_close(&s);
	wg_snapshot_free(snap);
	free(plan.policy_before);
	free(plan.counting_before);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "firewall rollback (%s) failed: %s%s%s%s%s", why, strerror(-ret),
			 err.label ? ": " : "", err.label ? err.label : "", nft_err[0] ? ": " : "", nft_err);
		event_action(&e, EV_FIREWALL_ROLLED_BACK, time(NULL), NULL, guard_by(why), msg);
		eventlog_action(&e, guard_db);
		write_result(dir, "failed", why, msg);
		return;
	}
	same = !atomic_read_state(path_in(path, sizeof(path), dir, BEFORE), &before, NULL, NULL) &&
	       !firewall_list(&now, &genid) && firewall_same_rules(now, before);
	free(now);
	free(before);
	snprintf(msg, sizeof(msg), same ? "firewall change rolled back (%s): the ruleset is as it was before" :
		 "firewall change rolled back (%s), but the ruleset differs from the one saved before it: "
		 "it was changed meanwhile", why);
	event_action(&e, EV_FIREWALL_ROLLED_BACK, time(NULL), NULL, guard_by(why), msg);
	eventlog_action(&e, guard_db);
	write_result(dir, same ? "same" : "differs", why, msg);
	forget(dir);
}

static void confirm(const char *dir, const char *why)
{
	struct event e;
	char summary[128];

	snprintf(summary, sizeof(summary), "firewall change confirmed (%s)", why);
	event_action(&e, EV_FIREWALL_CONFIRMED, time(NULL), NULL, guard_by(why), summary);
	eventlog_action(&e, guard_db);
	write_result(dir, "confirmed", why, "firewall change confirmed");
	forget(dir);
}

static int64_t now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The guard for the change pending in dir, started by exec in a session of its own. */
static int spawn_guard(const char *dir, pid_t *pid)
{
	char prog[] = "wgstar-top", cmd[] = "firewall", verb[] = "guard", opt[] = "--run-dir";
	char path[] = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
	char dbopt[] = "--db";
	char *const argv[] = { prog, cmd, verb, opt, (char *)dir, guard_db ? dbopt : NULL, (char *)guard_db, NULL };
	char *const envp[] = { path, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	int ret;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGUSR1);
	sigaddset(&dfl, SIGUSR2);
	if ((ret = posix_spawn_file_actions_init(&fa)))
		return -ret;
	if ((ret = posix_spawnattr_init(&attr))) {
		posix_spawn_file_actions_destroy(&fa);
		return -ret;
	}
	/* Nothing of the caller's: not its terminal, not its signal mask, not its session. */
	if (!(ret = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0)) &&
	    !(ret = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) &&
	    !(ret = posix_spawn_file_actions_adddup2(&fa, 1, 2)) &&
	    !(ret = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF)) &&
	    !(ret = posix_spawnattr_setsigmask(&attr, &none)) && !(ret = posix_spawnattr_setsigdefault(&attr, &dfl)))
		ret = posix_spawn(pid, "/proc/self/exe", &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -ret;
}

/* Waits until the guard has recorded itself in the pending change, or has died. */
static int await_guard(const char *dir, pid_t pid)
{
	int64_t until = now_ms(CLOCK_MONOTONIC) + GUARD_START_MS;
	struct firewall_pending p;
	int status;

	while (now_ms(CLOCK_MONOTONIC) < until) {
		if (!guard_read(dir, &p)) {
			bool ours = p.guard_pid == pid && guard_alive(&p);

			firewall_pending_free(&p);
			if (ours)
				return 0;
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			return -ECHILD;
		poll(NULL, 0, 10);
	}
	return -ETIMEDOUT;
}

int guard_commit(const char *dir, struct firewall_plan *plan, const struct wg_snapshot *snap,
		 unsigned int timeout, const char *by, char *what, size_t len)
{
	struct firewall_pending p = { 0 };
	char path[4096];
	pid_t pid;
	int ret;

	if ((ret = atomic_write(dir, BEFORE, plan->before, strlen(plan->before), 0600)) < 0)
		return ret;
	unlink(path_in(path, sizeof(path), dir, POLICY_BEFORE));
	unlink(path_in(path, sizeof(path), dir, COUNTING_BEFORE));
	if (plan->policy_before &&
	    (ret = atomic_write(dir, POLICY_BEFORE, plan->policy_before, strlen(plan->policy_before), 0600)) < 0)
		return ret;
	if (plan->counting_before &&
	    (ret = atomic_write(dir, COUNTING_BEFORE, plan->counting_before, strlen(plan->counting_before), 0600)) < 0)
		return ret;
	p.created = now_ms(CLOCK_REALTIME) / 1000;
	p.deadline = p.created + timeout;
	p.timeout = timeout;
	snprintf(p.by, sizeof(p.by), "%s", by ? by : "");
	p.plan = *plan;
	/* Recorded before it is live: from now on the change cannot go unnoticed. */
	if ((ret = guard_write(dir, &p)) < 0) {
		forget(dir);
		return ret;
	}
	ret = firewall_commit(plan, snap, what, len);
	p.plan = *plan;
	if (ret < 0) {
		forget(dir);
		return ret;
	}
	/* The handles the kernel gave, so the change can be taken back rule by rule. */
	if ((ret = guard_write(dir, &p)) < 0 || (ret = spawn_guard(dir, &pid)) < 0 ||
	    (ret = await_guard(dir, pid)) < 0) {
		undo(dir, &p, "noguard");
		return -ECHILD;
	}
	return 0;
}

int guard_result(const char *dir, char **out)
{
	char path[4096];

	return atomic_read_state(path_in(path, sizeof(path), dir, RESULT), out, NULL, NULL);
}

int guard_finish(const char *dir, enum guard_cmd cmd, char **result)
{
	struct firewall_pending p;
	int fd, ret;
	pid_t pid;

	*result = NULL;
	if ((fd = guard_lock(dir, true, NULL)) < 0)
		return fd;
	if ((ret = guard_read(dir, &p)) < 0) {
		guard_unlock(fd);
		return ret;
	}
	if (!guard_alive(&p)) {
		/* Its guard is gone (killed, out of memory): finish the change here, as it would have. */
		if (cmd == GUARD_CONFIRM)
			confirm(dir, "unguarded");
		else
			undo(dir, &p, "unguarded");
		firewall_pending_free(&p);
		guard_unlock(fd);
		return guard_result(dir, result);
	}
	pid = p.guard_pid;
	firewall_pending_free(&p);
	/* The guard takes the lock itself to act. */
	guard_unlock(fd);
	if (kill(pid, cmd == GUARD_CONFIRM ? SIGUSR1 : SIGUSR2) < 0)
		return -errno;
	for (int64_t until = now_ms(CLOCK_MONOTONIC) + GUARD_FINISH_MS; now_ms(CLOCK_MONOTONIC) < until;) {
		ret = guard_read(dir, &p);
		if (ret == -ENOENT)
			return guard_result(dir, result);
		if (!ret) {
			bool same = p.guard_pid == pid;

			firewall_pending_free(&p);
			if (!same)
				return guard_result(dir, result);
		}
		poll(NULL, 0, 20);
	}
	return -ETIMEDOUT;
}

int guard_state(const char *dir, double *left)
{
	struct firewall_pending p;
	int state;

	*left = 0;
	if (guard_read(dir, &p) < 0)
		return 0;
	*left = (double)(p.deadline - now_ms(CLOCK_REALTIME) / 1000);
	state = guard_alive(&p) ? 1 : -1;
	firewall_pending_free(&p);
	return state;
}

static void guard_oom_protect(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	/* The guard is the last thing the kernel should kill to free memory. */
	if (fd < 0 || write(fd, "-1000", 5) != 5)
		syslog(LOG_WARNING, "the firewall guard could not protect itself from the OOM killer");
	if (fd >= 0)
		close(fd);
}

int guard_main(const char *dir)
{
	struct firewall_pending p;
	struct timespec left;
	struct errmsg err;
	int64_t deadline;
	sigset_t set;
	int sig, fd;

	openlog("wgstar-top", LOG_PID, LOG_DAEMON);
	if (chdir("/") < 0 || guard_dir_check(dir, false, &err) < 0 || guard_read(dir, &p) < 0) {
		syslog(LOG_ERR, "firewall guard: no change to guard in %s", dir);
		return 1;
	}
	if (guard_alive(&p)) {
		syslog(LOG_ERR, "firewall guard: the change in %s has a guard already (pid %d)", dir, (int)p.guard_pid);
		firewall_pending_free(&p);
		return 1;
	}
	guard_oom_protect();
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	p.guard_pid = getpid();
	p.guard_start = proc_start(getpid());
	if (guard_write(dir, &p) < 0) {
		syslog(LOG_ERR, "firewall guard: cannot record itself in %s", dir);
		firewall_pending_free(&p);
		return 1;
	}
	syslog(LOG_NOTICE, "firewall change applied; rolled back in %lld s unless confirmed (wgstar-top firewall confirm)",
	       (long long)(p.deadline - now_ms(CLOCK_REALTIME) / 1000));
	/* The deadline is wall-clock time; waiting is on the monotonic clock. */
	deadline = now_ms(CLOCK_MONOTONIC) + (p.deadline * 1000 - now_ms(CLOCK_REALTIME));
	for (;;) {
		int64_t ms = deadline - now_ms(CLOCK_MONOTONIC);

		if (ms <= 0) {
			sig = 0;
			break;
		}
		left.tv_sec = ms / 1000;
		left.tv_nsec = (ms % 1000) * 1000000;
		sig = sigtimedwait(&set, NULL, &left);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig < 0)
			sig = 0;
		break;
	}
	firewall_pending_free(&p);
	if ((fd = guard_lock(dir, true, NULL)) < 0)
		syslog(LOG_WARNING, "firewall guard: acting without the lock: %s", strerror(-fd));
	/* Finished by someone else meanwhile (it took the lock): nothing left to do. */
	if (guard_read(dir, &p) < 0) {
		guard_unlock(fd);
		return 0;
	}
	if (p.guard_pid != getpid()) {
		firewall_pending_free(&p);
		guard_unlock(fd);
		return 0;
	}
	if (sig == SIGUSR1)
		confirm(dir, "-");
	else
		undo(dir, &p, sig == SIGUSR2 ? "asked" : sig ? "stopped" : "timeout");
	firewall_pending_free(&p);
	guard_unlock(fd);
	return 0;
}
