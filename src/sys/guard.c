// SPDX-License-Identifier: GPL-2.0-or-later
/* The rollback guard: a firewall change taken back unless it is confirmed in time. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "atomic.h"
#include "firewall_nft.h"
#include "guard.h"
#include "nft.h"

#define GUARD_STATE "pending"
#define GUARD_BEFORE "before.nft"
#define GUARD_RESULT "result"

const char *firewall_run_dir(void)
{
	const char *dir = getenv("WGSTAR_RUN_DIR");

	return dir && dir[0] ? dir : FIREWALL_RUN_DIR;
}

static char *run_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", firewall_run_dir(), name);
	return buf;
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
	if (!p || p[2] == 'Z')
		return 0;
	for (int field = 2; p && field < 22; ++field)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static int read_state(pid_t *pid, unsigned long long *start)
{
	char path[4096], *text;
	long long p;
	int ret;

	if ((ret = atomic_read(run_path(path, sizeof(path), GUARD_STATE), &text, NULL)) < 0)
		return ret;
	ret = sscanf(text, "%lld %llu", &p, start) == 2 && p > 1 ? 0 : -EBADMSG;
	*pid = (pid_t)p;
	free(text);
	return ret;
}

bool firewall_pending(void)
{
	unsigned long long start;
	pid_t pid;

	return !read_state(&pid, &start) && proc_start(pid) == start;
}

/* The result file: "OUTCOME WHY" on the first line (for the commands), then the log's words. */
static void guard_result(const char *outcome, const char *why, const char *text)
{
	char buf[640];

	snprintf(buf, sizeof(buf), "%s %s\n%s\n", outcome, why, text);
	atomic_write(firewall_run_dir(), GUARD_RESULT, buf, strlen(buf), 0600);
}

static void guard_rollback(struct firewall_plan *plan, const struct wg_snapshot *snap, const char *why)
{
	struct nft_batch b = { 0 };
	struct nft_error err = { 0 };
	struct nft_sock s;
	uint32_t genid;
	char *now = NULL, msg[512];
	bool same;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		goto out;
	/* No generation here: the change must go whatever else happened meanwhile. */
	if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0 || (ret = firewall_build_changes(&b, plan, snap, true, false)) < 0 ||
	    (ret = nft_batch_end(&b, true)) < 0)
		goto out;
	s.seq = b.seq_next;
	ret = nft_send(&s, &b, NULL, NULL, &err);
out:
	nft_batch_free(&b);
	if (s.nl)
		nft_close(&s);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "firewall rollback (%s) failed: %s%s%s", why, strerror(-ret),
			 err.label ? ": " : "", err.label ? err.label : "");
		syslog(LOG_ERR, "%s", msg);
		guard_result("failed", why, msg);
		return;
	}
	same = !firewall_list(&now, &genid) && !strcmp(now, plan->before);
	free(now);
	snprintf(msg, sizeof(msg), same ? "firewall change rolled back (%s): the ruleset is as it was before" :
		 "firewall change rolled back (%s), but the ruleset differs from the one saved before it: "
		 "it was changed meanwhile", why);
	syslog(LOG_WARNING, "%s", msg);
	guard_result(same ? "same" : "differs", why, msg);
}

void firewall_undo(struct firewall_plan *plan, const struct wg_snapshot *snap)
{
	guard_rollback(plan, snap, "noguard");
}

static void guard_main(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout, int ready)
{
	struct timespec deadline, now, left;
	char path[4096], state[128];
	sigset_t set;
	int fd, sig;

	/* Nothing of the caller's is held open: a pipe it reads must see its end. */
	if (ready != 3 && dup2(ready, 3) == 3) {
		close(ready);
		ready = 3;
	}
	close_range(4, ~0U, 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 3)
			close(fd);
	}
	if (chdir("/") < 0)
		_exit(1);
	openlog("wgstar-top", LOG_PID, LOG_DAEMON);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	snprintf(state, sizeof(state), "%d %llu %lld\n", (int)getpid(), proc_start(getpid()),
		 (long long)time(NULL) + timeout);
	unlink(run_path(path, sizeof(path), GUARD_RESULT));
	if (atomic_write(firewall_run_dir(), GUARD_STATE, state, strlen(state), 0600) < 0) {
		guard_rollback(plan, snap, "its state could not be saved");
		_exit(1);
	}
	if (write(ready, "1", 1) != 1)
		syslog(LOG_WARNING, "the caller did not wait for the guard");
	close(ready);
	syslog(LOG_NOTICE, "firewall change applied; rolled back in %u s unless confirmed (wgstar-top firewall confirm)",
	       timeout);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			sig = 0;
			break;
		}
		sig = sigtimedwait(&set, NULL, &left);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig < 0)
			sig = 0;
		break;
	}
	if (sig == SIGUSR1) {
		syslog(LOG_NOTICE, "firewall change confirmed");
		guard_result("confirmed", "-", "firewall change confirmed");
	} else {
		guard_rollback(plan, snap, sig == SIGUSR2 ? "asked" : sig ? "stopped" : "timeout");
	}
	unlink(run_path(path, sizeof(path), GUARD_STATE));
	_exit(0);
}

int firewall_save(const struct firewall_plan *plan)
{
	const char *dir = firewall_run_dir();

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return atomic_write(dir, GUARD_BEFORE, plan->before, strlen(plan->before), 0600);
}

int firewall_guard_start(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout)
{
	int fds[2], status;
	char ok = 0;
	pid_t pid;

	pid = firewall_fork_piped(fds);
	if (pid < 0)
		return (int)pid;
	if (!pid) {
		/* Twice forked, in a session of its own: neither the caller's end nor its terminal's ends it. */
		close(fds[0]);
		setsid();
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid)
			_exit(0);
		guard_main(plan, snap, timeout, fds[1]);
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	while (read(fds[0], &ok, 1) < 0 && errno == EINTR)
		;
	close(fds[0]);
	return ok == '1' ? 0 : -ECHILD;
}

int firewall_guard_signal(enum firewall_guard_cmd cmd, unsigned int wait_seconds)
{
	unsigned long long start;
	pid_t pid;
	int ret;

	ret = read_state(&pid, &start);
	if (ret == -ENOENT || (!ret && proc_start(pid) != start))
		return -ENOENT;
	if (ret < 0)
		return ret;
	if (kill(pid, cmd == FIREWALL_CONFIRM ? SIGUSR1 : SIGUSR2) < 0)
		return -errno;
	for (unsigned int i = 0; i < wait_seconds * 20; ++i) {
		if (proc_start(pid) != start)
			return 0;
		poll(NULL, 0, 50);
	}
	return -ETIMEDOUT;
}

int firewall_guard_result(char **out)
{
	char path[4096];

	return atomic_read(run_path(path, sizeof(path), GUARD_RESULT), out, NULL);
}
