// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of atomic file replacement: stamps, stale files, modes, owners, and crashes. */
#include "cmocka_common.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "atomic.h"

#define OLD "[Interface]\nListenPort = 51820\n"
#define NEW "[Interface]\nListenPort = 51821\n\n[Peer]\nPublicKey = x\n"

static char dir[256];

static int setup(void **state)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/wgstar-atomic-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	return rmdir(dir);
}

static const char *path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
	return buf;
}

static void put(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_content(const char *path, const char *want)
{
	char *text;
	size_t len;

	assert_int_equal(atomic_read(path, &text, &len), 0);
	assert_int_equal(len, strlen(want));
	assert_string_equal(text, want);
	free(text);
}

/* Nothing but the files named: no temp file left behind. */
static int count_files(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void remove_temps(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

static void test_read_stamped(void **state)
{
	struct file_stamp st, st2;
	char p[512], *text = (char *)1;
	size_t len = 99;

	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
	assert_true(st.exists);
	assert_int_equal(st.size, strlen(OLD));
	assert_int_equal(len, strlen(OLD));
	assert_string_equal(text, OLD);
	free(text);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st2), 0);
	assert_memory_equal(st.hash, st2.hash, sizeof(st.hash));
	free(text);
	/* With room past the NUL, all of it there to write (the sanitizer sees a byte too far). */
	{
		size_t alloc = 0;

		assert_int_equal(atomic_read_stamped_room(p, 5000, &text, &len, &alloc, &st2), 0);
		assert_int_equal(len, strlen(OLD));
		assert_string_equal(text, OLD);
		assert_true(alloc >= len + 1 + 5000);
		memset(text + len + 1, 'x', alloc - len - 1);
		assert_memory_equal(st.hash, st2.hash, sizeof(st.hash));
		free(text);
	}

	assert_int_equal(atomic_read_stamped(path_of(p, sizeof(p), "missing.conf"), &text, &len, &st), -ENOENT);
	assert_false(st.exists);
	assert_null(text);
	assert_int_equal(len, 0);
	/* A directory is no config file. */
	assert_int_equal(atomic_read_stamped(dir, &text, &len, &st), -EINVAL);
	assert_null(text);
}

/* The stamp's hash is MurmurHash3 x64 128 as published: its vectors for seed 0x9747b28c. */
static void test_stamp_hash_vectors(void **state)
{
	static const struct {
		const char *text, *hex;
	} v[] = {
		{ "", "B3BBAA1D8A202B397A9502E38F60B093" },
		{ "The quick brown fox jumps over the lazy dog", "213163D23B7F8A73E516C07E727345F9" },
		{ "The quick brown fox jumps over the lazy cog", "94618270B057CDB83CF873585B456F55" },
		{ "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG", "6C8AD027E39089788AD2CB67789CA4CF" },
		/* Whole blocks and no tail: not among those published; as this code gave it once. */
		{ "0123456789abcdef0123456789ABCDEF", "0C0FF21351650CE8C89AF83E72DC543F" },
	};
	uint8_t out[16];
	char hex[33];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); ++i) {
		atomic_test_hash(out, v[i].text, strlen(v[i].text), 0x9747b28c);
		for (size_t j = 0; j < 16; ++j)
			snprintf(hex + 2 * j, 3, "%02X", out[j]);
		assert_string_equal(hex, v[i].hex);
	}
}

/* Every bit of the content counts in the stamp, at every length around the hash's blocks of 16. */
static void test_stamp_every_bit(void **state)
{
	char p[512], text[48], *got;
	struct file_stamp st, flipped;
	size_t len;

	(void)state;
	path_of(p, sizeof(p), "bits.conf");
	for (size_t n = 1; n < sizeof(text); ++n) {
		for (size_t i = 0; i < n; ++i)
			text[i] = (char)('a' + (i * 7 + n) % 26);
		text[n] = '\0';
		put(p, text, 0600);
		assert_int_equal(atomic_read_stamped(p, &got, &len, &st), 0);
		free(got);
		for (size_t i = 0; i < n; ++i) {
			text[i] ^= 0x01;
			put(p, text, 0600);
			assert_int_equal(atomic_read_stamped(p, &got, &len, &flipped), 0);
			free(got);
			if (!memcmp(st.hash, flipped.hash, sizeof(st.hash)))
				fail_msg("a bit flipped in byte %zu of %zu leaves the stamp's hash", i, n);
			text[i] ^= 0x01;
		}
		/* A byte less at the end counts. */
		text[n - 1] = '\0';
		put(p, text, 0600);
		assert_int_equal(atomic_read_stamped(p, &got, &len, &flipped), 0);
		free(got);
		assert_memory_not_equal(st.hash, flipped.hash, sizeof(st.hash));
	}
}

static void test_changed(void **state)
{
	struct file_stamp st, none;
	char p[512], q[512], *text;
	size_t len;

	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_changed(p, &st), 0);
	/* Rewritten with the same bytes (a new inode, even): not changed. */
	put(path_of(q, sizeof(q), "other"), OLD, 0600);
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(atomic_changed(p, &st), 0);
	put(p, NEW, 0600);
	assert_int_equal(atomic_changed(p, &st), 1);
	unlink(p);
	assert_int_equal(atomic_changed(p, &st), 1);
	/* Absent when read: changed once it appears. */
	assert_int_equal(atomic_read_stamped(p, &text, &len, &none), -ENOENT);
	assert_int_equal(atomic_changed(p, &none), 0);
	put(p, OLD, 0600);
	assert_int_equal(atomic_changed(p, &none), 1);
}

static void test_changed_quick(void **state)
{
	struct file_stamp st, none;
	struct timespec times[2] = { { 0, UTIME_OMIT }, { 1000000000, 0 } };
	struct stat sb;
	char p[512], *text;
	size_t len;

	put(path_of(p, sizeof(p), "policy"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_changed_quick(p, &st), 0);
	/* Read as it was written: stat cannot vouch for it, the content is read (a wrong hash shows it). */
	st.taken = st.ctime;
	st.hash[0] ^= 1;
	assert_int_equal(atomic_changed_quick(p, &st), 1);
	/* A second after the write: enough on a local filesystem, whose ctime is this kernel's clock; */
	st.local = true;
	st.taken.tv_sec = st.ctime.tv_sec + 1;
	assert_int_equal(atomic_changed_quick(p, &st), 0);
	/* not on another (a network filesystem's server may stamp by its clock, in seconds); */
	st.local = false;
	assert_int_equal(atomic_changed_quick(p, &st), 1);
	/* and a few milliseconds are not enough anywhere. */
	st.local = true;
	st.taken = st.ctime;
	st.taken.tv_nsec += 5000000;
	if (st.taken.tv_nsec >= 1000000000) {
		st.taken.tv_sec++;
		st.taken.tv_nsec -= 1000000000;
	}
	assert_int_equal(atomic_changed_quick(p, &st), 1);
	st.hash[0] ^= 1;
	/* Read long after its last write: stat alone says it is the same, and nothing is read. */
	st.local = false;
	st.taken.tv_sec = st.ctime.tv_sec + 10;
	st.hash[0] ^= 1;
	assert_int_equal(atomic_changed_quick(p, &st), 0);
	st.hash[0] ^= 1;
	/* Any write moves mtime or ctime: then the bytes decide. */
	assert_int_equal(utimensat(AT_FDCWD, p, times, 0), 0);
	assert_int_equal(atomic_changed_quick(p, &st), 0);
	/* The same bytes: the stamp took the new status, so the next call need not read. */
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(st.mtime.tv_sec, sb.st_mtim.tv_sec);
	assert_int_equal(st.ctime.tv_nsec, sb.st_ctim.tv_nsec);
	put(p, NEW, 0600);
	assert_int_equal(atomic_changed_quick(p, &st), 1);
	unlink(p);
	assert_int_equal(atomic_changed_quick(p, &st), 1);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &none), -ENOENT);
	assert_int_equal(atomic_changed_quick(p, &none), 0);
	put(p, OLD, 0600);
	assert_int_equal(atomic_changed_quick(p, &none), 1);
}

static void test_replace(void **state)
{
	struct file_stamp st;
	struct stat sb;
	char p[512], *text;
	size_t len;

	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0644, &st), 0);
	assert_content(p, NEW);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(count_files(), 1);
	/* Without a stamp it writes whatever is there. */
	assert_int_equal(atomic_replace(p, OLD, strlen(OLD), 0644, NULL), 0);
	assert_content(p, OLD);
	/* A relative path works the same. */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(atomic_replace("wg0.conf", NEW, strlen(NEW), 0644, NULL), 0);
	assert_content(p, NEW);
	assert_int_equal(count_files(), 1);
	assert_int_equal(chdir("/"), 0);
}

static void test_new_file(void **state)
{
	struct file_stamp st;
	struct stat sb;
	char p[512], *text;
	size_t len;
	mode_t old = umask(077);

	assert_int_equal(atomic_read_stamped(path_of(p, sizeof(p), "new.conf"), &text, &len, &st), -ENOENT);
	/* mode_if_new exactly, whatever the umask. */
	assert_int_equal(atomic_replace(p, OLD, strlen(OLD), 0640, &st), 0);
	umask(old);
	assert_content(p, OLD);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	/* Expected absent, but someone made it meanwhile. */
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0640, &st), -ESTALE);
	assert_content(p, OLD);
	assert_int_equal(count_files(), 1);
}

static void test_stale(void **state)
{
	struct file_stamp st;
	char p[512], *text;
	size_t len;

	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
	free(text);
	put(p, "edited by hand\n", 0600);
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0600, &st), -ESTALE);
	assert_content(p, "edited by hand\n");
	assert_int_equal(count_files(), 1);
	unlink(p);
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0600, &st), -ESTALE);
	assert_int_equal(count_files(), 0);
}

static char hook_path[512];

static void edit_meanwhile(const char *step)
{
	if (!strcmp(step, "synced"))
		put(hook_path, "edited meanwhile\n", 0600);
}

/* A change between the first check and the rename is caught by the second. */
static void test_stale_late(void **state)
{
	struct file_stamp st;
	char *text;
	size_t len;

	put(path_of(hook_path, sizeof(hook_path), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(hook_path, &text, &len, &st), 0);
	free(text);
	atomic_test_step = edit_meanwhile;
	assert_int_equal(atomic_replace(hook_path, NEW, strlen(NEW), 0600, &st), -ESTALE);
	atomic_test_step = NULL;
	assert_content(hook_path, "edited meanwhile\n");
	assert_int_equal(count_files(), 1);
}

/* Past the tick of the kernel's coarse clock, which sets ctime (10 ms at most; sleeps 20). */
static void next_tick(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void edit_same_size(const char *step)
{
	if (!strcmp(step, "synced")) {
		next_tick();
		put(hook_path, "[Interface]\nListenPort = 51898\n", 0600);
	}
}

/* The file read with a stamp as if long after its last write (its ctime 10 s before the read). */
static void read_long_after(const char *path, struct file_stamp *st)
{
	char *text;
	size_t len;

	assert_int_equal(atomic_read_stamped(path, &text, &len, st), 0);
	free(text);
	st->taken.tv_sec = st->ctime.tv_sec + 10;
}

/*
 * A file read long after its last write (a big hub's config): stat vouches for it before the
 * write, and an edit since is caught all the same, even one of the same size with its mtime
 * put back, before the write or between the check and the rename.
 */
static void test_stale_old_file(void **state)
{
	struct file_stamp st;
	struct timespec times[2];
	struct stat sb;

	put(path_of(hook_path, sizeof(hook_path), "wg0.conf"), OLD, 0600);
	read_long_after(hook_path, &st);
	/* Not read again: a stamp whose hash is wrong passes while stat says the same file. */
	st.hash[0] ^= 1;
	assert_int_equal(atomic_replace(hook_path, OLD, strlen(OLD), 0600, &st), 0);
	assert_content(hook_path, OLD);

	read_long_after(hook_path, &st);
	times[0] = st.mtime;
	times[1] = st.mtime;
	next_tick();
	put(hook_path, "[Interface]\nListenPort = 51899\n", 0600);
	assert_int_equal(utimensat(AT_FDCWD, hook_path, times, 0), 0);
	/* Same inode, size and mtime: only ctime tells, as it must. */
	assert_int_equal(stat(hook_path, &sb), 0);
	assert_int_equal(sb.st_ino, st.ino);
	assert_int_equal(sb.st_size, st.size);
	assert_true(sb.st_ctim.tv_sec != st.ctime.tv_sec || sb.st_ctim.tv_nsec != st.ctime.tv_nsec);
	assert_int_equal(atomic_replace(hook_path, NEW, strlen(NEW), 0600, &st), -ESTALE);
	assert_content(hook_path, "[Interface]\nListenPort = 51899\n");

	read_long_after(hook_path, &st);
	atomic_test_step = edit_same_size;
	assert_int_equal(atomic_replace(hook_path, NEW, strlen(NEW), 0600, &st), -ESTALE);
	atomic_test_step = NULL;
	assert_content(hook_path, "[Interface]\nListenPort = 51898\n");
	assert_int_equal(count_files(), 1);
}

static void test_owner_kept(void **state)
{
	struct stat sb;
	char p[512];

	if (geteuid()) {
		print_message("not root: owner not tested\n");
		skip();
	}
	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0640);
	assert_int_equal(chown(p, 65534, 65534), 0);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0600, NULL), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_uid, 65534);
	assert_int_equal(sb.st_gid, 65534);
	assert_int_equal(sb.st_mode & 07777, 0640);
}

static void test_symlink(void **state)
{
	struct stat sb;
	char p[512], t[512];

	put(path_of(t, sizeof(t), "real.conf"), OLD, 0600);
	assert_int_equal(symlink("real.conf", path_of(p, sizeof(p), "wg0.conf")), 0);
	assert_int_equal(atomic_replace(p, NEW, strlen(NEW), 0644, NULL), 0);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	assert_content(t, NEW);
	assert_int_equal(stat(t, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(count_files(), 2);
}

/* wgstar's own files: never through a link, modes masked, FIFOs and huge files refused. */
static void test_state_files(void **state)
{
	struct stat sb;
	char p[512], t[512], *text = NULL;
	size_t len;

	put(path_of(t, sizeof(t), "target"), OLD, 0644);
	assert_int_equal(symlink("target", path_of(p, sizeof(p), "names")), 0);
	assert_int_equal(atomic_read_state(p, &text, &len, NULL), -ELOOP);
	assert_null(text);
	assert_int_equal(atomic_replace_state(p, NEW, strlen(NEW), 0600, NULL), -ELOOP);
	assert_content(t, OLD);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISLNK(sb.st_mode));
	/* atomic_write replaces the link itself and lends the new file nothing of the target's. */
	assert_int_equal(chmod(t, 04777), 0);
	assert_int_equal(atomic_write(dir, "names", NEW, strlen(NEW), 0600), 0);
	assert_content(t, OLD);
	assert_int_equal(lstat(p, &sb), 0);
	assert_true(S_ISREG(sb.st_mode));
	assert_int_equal(sb.st_mode & 07777, 0600);
	/* A set-id, world-writable file keeps only what is harmless of its mode. */
	put(path_of(p, sizeof(p), "sysctl.conf"), OLD, 0644);
	assert_int_equal(chmod(p, 06777), 0);
	assert_int_equal(atomic_write(dir, "sysctl.conf", NEW, strlen(NEW), 0644), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0664);
	assert_int_equal(chmod(p, 04777), 0);
	assert_int_equal(atomic_replace(p, OLD, strlen(OLD), 0600, NULL), 0);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0664);
	/* A FIFO is refused at once, never waited on; so is a file over the limit. */
	assert_int_equal(mkfifo(path_of(p, sizeof(p), "fifo"), 0600), 0);
	assert_int_equal(atomic_read(p, &text, &len), -EINVAL);
	assert_int_equal(atomic_read_state(p, &text, &len, NULL), -EINVAL);
	assert_int_equal(atomic_read(path_of(p, sizeof(p), "."), &text, &len), -EINVAL);
	put(path_of(p, sizeof(p), "huge"), "x", 0600);
	assert_int_equal(truncate(p, (off_t)ATOMIC_MAX_FILE + 1), 0);
	assert_int_equal(atomic_read(p, &text, &len), -EFBIG);
	assert_null(text);
	assert_int_equal(truncate(p, 1), 0);
	assert_int_equal(atomic_read(p, &text, &len), 0);
	assert_int_equal(len, 1);
	free(text);
}

static void test_failures(void **state)
{
	char p[512];
	pid_t pid;
	int status;

	assert_int_equal(atomic_replace(path_of(p, sizeof(p), "no/such/dir/wg0.conf"), OLD, strlen(OLD), 0600, NULL),
			 -ENOENT);
	assert_int_equal(atomic_replace(dir, OLD, strlen(OLD), 0600, NULL), -EINVAL);
	assert_int_equal(atomic_replace("", OLD, strlen(OLD), 0600, NULL), -EINVAL);
	assert_int_equal(count_files(), 0);

	/* A write that fails half way (root passes permission checks, not a file size limit). */
	put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0600);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct rlimit rl = { 16, 16 };
		static char big[65536];

		memset(big, 'x', sizeof(big));
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(100);
		_exit(-atomic_replace(p, big, sizeof(big), 0600, NULL));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), EFBIG);
	assert_content(p, OLD);
	assert_int_equal(count_files(), 1);
}

static const char *crash_at;

static void die_at(const char *step)
{
	if (!strcmp(step, crash_at))
		kill(getpid(), SIGKILL);
}

/* Killed at each step, the file is the old one or the new one, whole, with its mode and owner. */
static void test_crash(void **state)
{
	static const char *const steps[] = { "written", "synced", "renamed" };
	bool root = !geteuid();

	for (size_t i = 0; i < sizeof(steps) / sizeof(*steps); ++i) {
		struct file_stamp st;
		struct stat sb;
		char p[512], *text;
		size_t len;
		pid_t pid;
		int status;

		put(path_of(p, sizeof(p), "wg0.conf"), OLD, 0640);
		if (root)
			assert_int_equal(chown(p, 65534, 65534), 0);
		assert_int_equal(chmod(p, 0640), 0);
		assert_int_equal(atomic_read_stamped(p, &text, &len, &st), 0);
		free(text);
		crash_at = steps[i];
		pid = fork();
		assert_true(pid >= 0);
		if (!pid) {
			atomic_test_step = die_at;
			atomic_replace(p, NEW, strlen(NEW), 0600, &st);
			_exit(0);
		}
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGKILL);
		assert_content(p, i < 2 ? OLD : NEW);
		assert_int_equal(stat(p, &sb), 0);
		assert_int_equal(sb.st_mode & 07777, 0640);
		if (root) {
			assert_int_equal(sb.st_uid, 65534);
			assert_int_equal(sb.st_gid, 65534);
		}
		/* What a killed writer leaves is a hidden temp file, never the target half written. */
		remove_temps();
		assert_int_equal(count_files(), 1);
		unlink(p);
	}
}

/* Both ways of the temp file: unnamed until the end (O_TMPFILE), and named from the start. */
static void test_crash_named(void **state)
{
	atomic_test_named_temp = true;
	test_crash(state);
	atomic_test_named_temp = false;
}

/* Temp files of this directory, named ".wg0.conf.XXXXXX". */
static int count_temps(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, ".wg0.conf.", 10);
	closedir(d);
	return n;
}

/* Begun with the head, finished with the tail: the file is both, with the old one's mode. */
static void two_steps(bool named, bool no_link)
{
	static const char head[] = "[Interface]\nListenPort = 51820\n", tail[] = "\n[Peer]\nPublicKey = x\n";
	struct atomic_pending *p;
	struct file_stamp st;
	struct stat sb;
	char path[512], *text;
	size_t len;

	atomic_test_named_temp = named;
	atomic_test_no_link = no_link;
	put(path_of(path, sizeof(path), "wg0.conf"), OLD, 0640);
	assert_int_equal(atomic_read_stamped(path, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_replace_begin(&p, path, head, strlen(head), 0600, &st), 0);
	/* Named only at the end where it can be: nothing to see in between. */
	assert_int_equal(count_temps(), named ? 1 : 0);
	assert_content(path, OLD);
	assert_int_equal(atomic_replace_finish(p, tail, strlen(tail), &st), 0);
	assert_content(path, "[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = x\n");
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	assert_int_equal(count_files(), 1);

	/* Dropped: the file as it was, and no temp file. */
	assert_int_equal(atomic_read_stamped(path, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_replace_begin(&p, path, "x", 1, 0600, &st), 0);
	atomic_replace_abort(p);
	assert_int_equal(count_files(), 1);
	assert_content(path, "[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = x\n");

	/* Edited between the steps: refused at the end, the edit kept. */
	assert_int_equal(atomic_replace_begin(&p, path, head, strlen(head), 0600, &st), 0);
	put(path, "edited meanwhile\n", 0640);
	assert_int_equal(atomic_replace_finish(p, tail, strlen(tail), &st), -ESTALE);
	assert_content(path, "edited meanwhile\n");
	assert_int_equal(count_files(), 1);

	/* Already stale when begun, with a stamp to hold it against. */
	assert_int_equal(atomic_replace_begin(&p, path, head, strlen(head), 0600, &st), -ESTALE);
	assert_int_equal(count_files(), 1);
	atomic_test_named_temp = false;
	atomic_test_no_link = false;
}

/* Unnamed and linked in; named from the start; unnamed and, unlinkable, copied to a named one. */
static void test_two_steps(void **state)
{
	two_steps(false, false);
	two_steps(true, false);
	two_steps(false, true);
}

/*
 * What happens to the target between the steps, which a peer add puts seconds apart: a chmod
 * stays (the mode is taken at the end), and a link pointed elsewhere is another file.
 */
static void test_changed_between(void **state)
{
	struct atomic_pending *p;
	struct file_stamp st;
	struct stat sb;
	char path[512], a[512], b[512], *text;
	size_t len;

	put(path_of(path, sizeof(path), "wg0.conf"), OLD, 0600);
	assert_int_equal(atomic_read_stamped(path, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_replace_begin(&p, path, NEW, strlen(NEW), 0600, &st), 0);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(atomic_replace_finish(p, NULL, 0, &st), 0);
	assert_content(path, NEW);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0640);
	unlink(path);

	put(path_of(a, sizeof(a), "a.conf"), OLD, 0600);
	put(path_of(b, sizeof(b), "b.conf"), "the other file\n", 0600);
	assert_int_equal(symlink("a.conf", path), 0);
	assert_int_equal(atomic_read_stamped(path, &text, &len, &st), 0);
	free(text);
	assert_int_equal(atomic_replace_begin(&p, path, NEW, strlen(NEW), 0600, &st), 0);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("b.conf", path), 0);
	assert_int_equal(atomic_replace_finish(p, NULL, 0, &st), -ESTALE);
	assert_content(a, OLD);
	assert_content(b, "the other file\n");
	assert_int_equal(count_files(), 3);
}

/* A writer killed between the steps leaves the file as it was, and no temp file with a name. */
static void test_killed_between(void **state)
{
	char path[512];
	pid_t pid;
	int status, ready[2];

	put(path_of(path, sizeof(path), "wg0.conf"), OLD, 0600);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct atomic_pending *p;

		if (atomic_replace_begin(&p, path, NEW, strlen(NEW), 0600, NULL) < 0)
			_exit(1);
		(void)!write(ready[1], "", 1);
		pause();
		_exit(0);
	}
	close(ready[1]);
	{
		char c;

		assert_int_equal(read(ready[0], &c, 1), 1);
	}
	close(ready[0]);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_content(path, OLD);
	assert_int_equal(count_files(), 1);
}

/* The older helpers keep working: a file larger than the first read buffer. */
static void test_write_read(void **state)
{
	static char big[10000];
	char p[512], *text;
	size_t len;
	struct stat sb;

	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(atomic_write(dir, "big", big, sizeof(big) - 1, 0600), 0);
	assert_int_equal(atomic_read(path_of(p, sizeof(p), "big"), &text, &len), 0);
	assert_int_equal(len, sizeof(big) - 1);
	assert_string_equal(text, big);
	free(text);
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 07777, 0600);
	assert_int_equal(atomic_read(path_of(p, sizeof(p), "missing"), &text, &len), -ENOENT);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_stamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stamp_every_bit, setup, teardown),
		cmocka_unit_test(test_stamp_hash_vectors),
		cmocka_unit_test_setup_teardown(test_changed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_quick, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_late, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_owner_kept, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_named, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_steps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_between, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_between, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_read, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
