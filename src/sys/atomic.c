// SPDX-License-Identifier: GPL-2.0-or-later
/* Files replaced atomically: temp file in the same directory, fsync, rename, directory fsync. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <sodium.h>
#include "atomic.h"
#include "hashmix.h"

void (*atomic_test_step)(const char *step);
bool atomic_test_named_temp;

int atomic_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode)
{
	char tmp[NAME_MAX + 1];
	struct stat st;
	int dirfd, fd = -1, ret = 0;

	if (!name[0] || strchr(name, '/') || strlen(name) + 6 > NAME_MAX)
		return -EINVAL;
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	/* A link in its place is replaced, never followed, and lends the new file no mode. */
	if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
		mode = st.st_mode & ATOMIC_MODE_MASK;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	/* One left behind by a writer that died is ours to replace; never followed if a link. */
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	if (fchmod(fd, mode) < 0) {
		ret = -errno;
		goto out;
	}
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		ret = -errno;
		goto out;
	}
	fd = -1;
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		ret = -errno;
		goto out;
	}
	/* The rename itself reaches the disk only with the directory. */
	if (fsync(dirfd) < 0)
		ret = -errno;
out:
	if (fd >= 0)
		close(fd);
	if (ret < 0)
		unlinkat(dirfd, tmp, 0);
	close(dirfd);
	return ret;
}

/*
 * A big buffer's pages made present in one call before read() fills them: reading a 13 MB
 * file took a page fault every 4 KiB inside the kernel's copy, on an emulated CPU over 40 % of
 * the read. Kernels before 5.14 refuse MADV_POPULATE_WRITE: the faults then come as before.
 */
static void populate(char *buf, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE), from = ((uintptr_t)buf + page - 1) / page * page,
		  to = ((uintptr_t)buf + len) / page * page;

	if (len >= ((size_t)1 << 20) && to > from)
		(void)madvise((void *)from, to - from, MADV_POPULATE_WRITE);
#else
	(void)buf;
	(void)len;
#endif
}

/*
 * Reads fd to its end into a NUL-terminated buffer, first sized for size bytes (what fstat said:
 * growing from 4 KiB by doubling, an 8.5 MB config file was copied and wiped twelve times over
 * 32 MB of fresh pages, on every read) and room more; *alloc (if not NULL) is what it has. 0 or
 * -errno.
 */
static int read_all(int fd, size_t size, size_t room, char **out, size_t *len, size_t *alloc)
{
	size_t cap = (size < 4094 ? 4096 : size + 2) + room, n = 0;
	char *buf = malloc(cap), *nb;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	populate(buf, cap);
	for (;;) {
		ssize_t r;

		if (n > ATOMIC_MAX_FILE) {
			/* It grew while being read: the limit holds all the same. */
			sodium_memzero(buf, cap);
			free(buf);
			return -EFBIG;
		}
		if (cap - n < 2) {
			/* Not realloc: what is read may be a private key, and no copy stays behind. */
			nb = cap > SIZE_MAX / 2 ? NULL : malloc(cap * 2);
			if (!nb) {
				sodium_memzero(buf, cap);
				free(buf);
				return -ENOMEM;
			}
			memcpy(nb, buf, n);
			sodium_memzero(buf, cap);
			free(buf);
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			sodium_memzero(buf, cap);
			free(buf);
			return (int)r;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	if (alloc)
		*alloc = cap;
	return 0;
}

static inline uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/*
 * The stamp's hash of the content: MurmurHash3's x64 128-bit function, h1 then h2 in the
 * host's byte order (the published vectors on little-endian hosts), seed 0. Stamps are
 * compared within one process, to tell an edit from the same bytes, not to stand an
 * attacker's collision: a config of 100,000 peers is hashed by every peer add, where BLAKE2b
 * of its 13 MB took much of a second under an emulated CPU, and SipHash still three times
 * the CPU of this.
 */
static void stamp_hash_seeded(uint8_t out[16], const unsigned char *p, size_t n, uint32_t seed)
{
	const uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
	uint64_t h1 = seed, h2 = seed, k1, k2;
	unsigned char tail[16];
	size_t i = 0;

	for (; n - i >= 16; i += 16) {
		memcpy(&k1, p + i, 8);
		memcpy(&k2, p + i + 8, 8);
		h1 ^= rotl64(k1 * c1, 31) * c2;
		h1 = rotl64(h1, 27) + h2;
		h1 = h1 * 5 + 0x52dce729;
		h2 ^= rotl64(k2 * c2, 33) * c1;
		h2 = rotl64(h2, 31) + h1;
		h2 = h2 * 5 + 0x38495ab5;
	}
	if (i < n) {
		memset(tail, 0, sizeof(tail));
		memcpy(tail, p + i, n - i);
		memcpy(&k1, tail, 8);
		memcpy(&k2, tail + 8, 8);
		h2 ^= rotl64(k2 * c2, 33) * c1;
		h1 ^= rotl64(k1 * c1, 31) * c2;
		/* What is read may be a key. */
		sodium_memzero(tail, sizeof(tail));
	}
	h1 ^= n;
	h2 ^= n;
	h1 += h2;
	h2 += h1;
	h1 = hashmix64(h1);
	h2 = hashmix64(h2);
	h1 += h2;
	h2 += h1;
	memcpy(out, &h1, 8);
	memcpy(out + 8, &h2, 8);
}

static void stamp_hash(uint8_t out[16], const unsigned char *p, size_t n)
{
	stamp_hash_seeded(out, p, n, 0);
}

void atomic_test_hash(uint8_t out[16], const void *p, size_t n, uint32_t seed)
{
	stamp_hash_seeded(out, p, n, seed);
}
_Static_assert(sizeof(((struct file_stamp *)0)->hash) == 16, "a stamp holds the hash");

/*
 * Whether fd's file lies on a filesystem of this machine that stamps ctime from the kernel's own
 * clock, at most a tick behind CLOCK_REALTIME: not a network one, whose server's clock it is.
 */
static bool local_fs(int fd)
{
	static const long local[] = { EXT4_SUPER_MAGIC, TMPFS_MAGIC, XFS_SUPER_MAGIC, BTRFS_SUPER_MAGIC,
				      F2FS_SUPER_MAGIC, RAMFS_MAGIC };
	struct statfs fs;

	if (fstatfs(fd, &fs) < 0)
		return false;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); ++i)
		if ((long)fs.f_type == local[i])
			return true;
	return false;
}

/*
 * A regular file read whole: O_NONBLOCK so that a FIFO put there cannot hang the program (it is
 * refused, as devices are), and no more than ATOMIC_MAX_FILE bytes, whatever it claims.
 */
static int read_file(const char *path, int flags, size_t room, char **out, size_t *len, size_t *alloc,
		     struct file_stamp *st)
{
	struct stat sb;
	size_t n = 0;
	int fd, ret;

	if (st) {
		memset(st, 0, sizeof(*st));
		/*
		 * Before the file is opened: a write in the same tick as the ctime it then has, during
		 * a read that takes long, must not look to atomic_changed_quick like one long before.
		 */
		clock_gettime(CLOCK_REALTIME, &st->taken);
	}
	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | flags);
	if (fd < 0)
		return errno == ELOOP && (flags & O_NOFOLLOW) ? -ELOOP : -errno;
	if (fstat(fd, &sb) < 0) {
		ret = -errno;
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = -EINVAL;
		goto out;
	}
	if (st)
		st->local = local_fs(fd);
	if ((uint64_t)sb.st_size > ATOMIC_MAX_FILE) {
		ret = -EFBIG;
		goto out;
	}
	if ((ret = read_all(fd, (size_t)sb.st_size, room, out, &n, alloc)) < 0)
		goto out;
	if (st) {
		st->exists = true;
		st->dev = sb.st_dev;
		st->ino = sb.st_ino;
		st->size = (off_t)n;
		st->mtime = sb.st_mtim;
		st->ctime = sb.st_ctim;
		stamp_hash(st->hash, (const unsigned char *)*out, n);
	}
	if (len)
		*len = n;
out:
	close(fd);
	return ret;
}

int atomic_read(const char *path, char **out, size_t *len)
{
	return read_file(path, 0, 0, out, len, NULL, NULL);
}

int atomic_read_state(const char *path, char **out, size_t *len, struct file_stamp *st)
{
	return read_file(path, O_NOFOLLOW, 0, out, len, NULL, st);
}

int atomic_read_stamped(const char *path, char **out, size_t *len, struct file_stamp *st)
{
	return read_file(path, 0, 0, out, len, NULL, st);
}

int atomic_read_stamped_room(const char *path, size_t room, char **out, size_t *len, size_t *alloc,
			     struct file_stamp *st)
{
	*alloc = 0;
	return read_file(path, 0, room, out, len, alloc, st);
}


/* atomic_changed, with what the file is now in *now (st->exists false when it is gone). */
static int changed_now(const char *path, const struct file_stamp *st, struct file_stamp *now)
{
	char *buf;
	size_t len;
	int ret = atomic_read_stamped(path, &buf, &len, now);

	if (ret == -ENOENT)
		return st->exists ? 1 : 0;
	if (ret < 0)
		return ret;
	sodium_memzero(buf, len);
	free(buf);
	/* The content decides: a file rewritten with the same bytes has not changed. */
	return !st->exists || sodium_memcmp(now->hash, st->hash, sizeof(now->hash)) ? 1 : 0;
}

int atomic_changed(const char *path, const struct file_stamp *st)
{
	struct file_stamp now;

	return changed_now(path, st, &now);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/*
 * A write sets ctime from the kernel's coarse clock, a tick (at most 10 ms) behind the one the
 * read's moment was taken from; a network filesystem sets it from its server's clock, in
 * seconds on some. A write within this much of the read may share the ctime the read saw. On
 * a local filesystem ten ticks: peer adds one after the other (a script, or the console) each
 * read a big hub's file again for every write when it was 2 s (13 MB twice, at 100,000 peers).
 */
#define ATOMIC_CTIME_SLACK_NS INT64_C(3000000000)
#define ATOMIC_CTIME_SLACK_LOCAL_NS INT64_C(100000000)

/* Whether the file's ctime was long enough before the stamp's read to tell every later write. */
static bool long_before(const struct file_stamp *st, const struct timespec *ctime)
{
	int64_t gap = (int64_t)(st->taken.tv_sec - ctime->tv_sec) * 1000000000 + (st->taken.tv_nsec - ctime->tv_nsec);

	return gap > (st->local ? ATOMIC_CTIME_SLACK_LOCAL_NS : ATOMIC_CTIME_SLACK_NS);
}

/*
 * stat(2), but on a network filesystem with the server's attributes, not the client's cache of
 * them (NFS keeps those up to a minute): what open(2) would have revalidated. stat where statx
 * is missing or a container's seccomp filter refuses it (EPERM: older Docker profiles).
 */
static int stat_synced(const char *path, struct stat *sb)
{
	struct statx sx;

	if (statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx) < 0)
		return errno == ENOSYS || errno == EPERM ? stat(path, sb) : -1;
	memset(sb, 0, sizeof(*sb));
	sb->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	sb->st_ino = sx.stx_ino;
	sb->st_mode = sx.stx_mode;
	sb->st_size = (off_t)sx.stx_size;
	sb->st_mtim = (struct timespec){ sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec };
	sb->st_ctim = (struct timespec){ sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec };
	return 0;
}

int atomic_changed_quick(const char *path, struct file_stamp *st)
{
	struct file_stamp now;
	struct stat sb;
	int ret;

	if (stat_synced(path, &sb) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return st->exists ? 1 : 0;
		return -errno;
	}
	if (st->exists && S_ISREG(sb.st_mode) && sb.st_dev == st->dev && sb.st_ino == st->ino &&
	    sb.st_size == st->size && same_time(&sb.st_mtim, &st->mtime) && same_time(&sb.st_ctim, &st->ctime) &&
	    long_before(st, &sb.st_ctim))
		return 0;
	ret = changed_now(path, st, &now);
	/* The same bytes: what stat says now is what they look like. */
	if (!ret && now.exists)
		*st = now;
	return ret;
}

static void step(const char *name)
{
	if (atomic_test_step)
		atomic_test_step(name);
}

static int write_all(int fd, const char *data, size_t len)
{
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		off += (size_t)n;
	}
	return 0;
}

/*
 * -ESTALE when the file is no longer what expect saw. stat decides when it can, as for a watched
 * file: a config of 100,000 peers read and hashed again twice for every write was most of a peer
 * add where hashing is slow (13 MB hashed with BLAKE2b took 1.5 s under an emulated CPU).
 */
static int check_stamp(const char *path, const struct file_stamp *expect)
{
	struct file_stamp st;
	int ret;

	if (!expect)
		return 0;
	st = *expect;
	ret = atomic_changed_quick(path, &st);
	return ret > 0 ? -ESTALE : ret;
}

/* A replacement under way: the temp file written so far, and what it will replace. */
struct atomic_pending {
	const char *path;		/* as the caller gave it: held until the end */
	bool follow;
	char *real;			/* the link's target, when path was a symbolic link */
	char *dir;
	char *tmp;			/* the temp file's path, once it has a name */
	const char *target, *base;
	int dirfd, fd;
	bool exists;			/* a file is there to replace: st says what it is */
	struct stat st;
	mode_t mode;
};

static void pending_free(struct atomic_pending *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->tmp)
		unlink(p->tmp);
	if (p->dirfd >= 0)
		close(p->dirfd);
	free(p->tmp);
	free(p->dir);
	free(p->real);
	free(p);
}

/* For tests only: the unnamed temp file cannot be linked, as without privilege and /proc. */
bool atomic_test_no_link;

/* The temp file's name beside the target, ".NAME.XXXXXX", the X's to fill. */
static int temp_template(struct atomic_pending *p)
{
	if (asprintf(&p->tmp, "%s/.%s.XXXXXX", p->dir, p->base) < 0) {
		p->tmp = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void temp_forget(struct atomic_pending *p)
{
	free(p->tmp);
	p->tmp = NULL;
}

/* A named temp file made, 0600, as the temp file from the start. */
static int temp_named(struct atomic_pending *p)
{
	int ret;

	if ((ret = temp_template(p)) < 0)
		return ret;
	p->fd = mkostemp(p->tmp, O_CLOEXEC);
	if (p->fd < 0) {
		ret = -errno;
		temp_forget(p);
		return ret;
	}
	return 0;
}

/* The unnamed temp file linked in under a name of mkostemp's kind: 0 or -errno. */
static int link_unnamed(struct atomic_pending *p)
{
	int ret;

	if ((ret = temp_template(p)) < 0)
		return ret;
	/* mkostemp's names, made here: a link is not made over what is there. */
	for (int tries = 0; tries < 100; ++tries) {
		static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
		char *x = p->tmp + strlen(p->tmp) - 6, proc[64];
		unsigned char r[6];

		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			break;
		for (int i = 0; i < 6; ++i)
			x[i] = chars[r[i] % (sizeof(chars) - 1)];
		if (atomic_test_no_link) {
			errno = EPERM;
			break;
		}
		/* As root, straight from the descriptor; without that privilege, through /proc. */
		if (!linkat(p->fd, "", AT_FDCWD, p->tmp, AT_EMPTY_PATH))
			return 0;
		if (errno == ENOENT || errno == EPERM) {
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", p->fd);
			if (!linkat(AT_FDCWD, proc, AT_FDCWD, p->tmp, AT_SYMLINK_FOLLOW))
				return 0;
		}
		if (errno != EEXIST)
			break;
	}
	ret = -errno;
	temp_forget(p);
	return ret;
}

/*
 * The unnamed temp file's bytes copied into a named one, which takes its place: for when it
 * cannot be linked (no privilege for AT_EMPTY_PATH and no /proc). 0 or -errno.
 */
static int copy_to_named(struct atomic_pending *p)
{
	int unnamed = p->fd, ret;
	char buf[16384];
	off_t off = 0;

	if ((ret = temp_named(p)) < 0) {
		p->fd = unnamed;
		return ret;
	}
	for (;;) {
		ssize_t n = pread(unnamed, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : 0;
			break;
		}
		if ((ret = write_all(p->fd, buf, (size_t)n)) < 0)
			break;
		off += n;
	}
	/* What may be a private key does not stay on the stack. */
	sodium_memzero(buf, sizeof(buf));
	close(unnamed);
	return ret;
}

/* The temp file's owner and mode those the target has (or mode_if_new), and its bytes synced. */
static int settle(struct atomic_pending *p)
{
	struct stat ts;

	if (fstat(p->fd, &ts) < 0)
		return -errno;
	/* Owner first: chown clears the set-id bits that fchmod then puts back. */
	if (p->exists && (ts.st_uid != p->st.st_uid || ts.st_gid != p->st.st_gid) &&
	    fchown(p->fd, p->st.st_uid, p->st.st_gid) < 0)
		return -errno;
	if (fchmod(p->fd, p->mode) < 0 || fsync(p->fd) < 0)
		return -errno;
	return 0;
}

/*
 * The target looked at again at the end, which an early write puts seconds after the start:
 * a link that points elsewhere now is another file (-ESTALE; -ELOOP where links are refused),
 * and the owner and mode kept are those the file has now (a chmod meanwhile stays).
 */
static int target_again(struct atomic_pending *p)
{
	struct stat lst;
	bool link = !lstat(p->path, &lst) && S_ISLNK(lst.st_mode);

	if (link && !p->follow)
		return -ELOOP;
	if (link != (p->real != NULL))
		return -ESTALE;
	if (link) {
		char *now = realpath(p->path, NULL);
		bool same = now && !strcmp(now, p->real);

		free(now);
		if (!same)
			return -ESTALE;
	}
	p->exists = !fstatat(p->dirfd, p->base, &p->st, AT_SYMLINK_NOFOLLOW);
	if (!p->exists && errno != ENOENT)
		return -errno;
	if (p->exists && !S_ISREG(p->st.st_mode))
		return -EINVAL;
	/* Gone meanwhile, it is made with the mode it had (or mode_if_new, as at the start). */
	if (p->exists)
		p->mode = p->st.st_mode & ATOMIC_MODE_MASK;
	return 0;
}

/*
 * The replacement's first part: the target found, the temp file made and head written to it.
 * The temp file has no name while it can (O_TMPFILE): a writer killed before the end leaves
 * nothing, not a copy of a file that may hold a private key.
 */
static int pending_open(struct atomic_pending **out, const char *path, bool follow, const char *head, size_t len,
			mode_t mode_if_new, const struct file_stamp *expect)
{
	struct atomic_pending *p = calloc(1, sizeof(*p));
	char *slash;
	int ret = 0;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->dirfd = p->fd = -1;
	p->path = p->target = path;
	p->follow = follow;
	/* Replacing a link would cut it: replace what it points to, or refuse for a state file. */
	if (!lstat(path, &p->st) && S_ISLNK(p->st.st_mode)) {
		if (!follow) {
			ret = -ELOOP;
			goto fail;
		}
		p->real = realpath(path, NULL);
		if (!p->real) {
			ret = -errno;
			goto fail;
		}
		p->target = p->real;
	}
	/* Room for "." when the path has no directory part. */
	p->dir = malloc(strlen(p->target) + 2);
	if (!p->dir) {
		ret = -ENOMEM;
		goto fail;
	}
	strcpy(p->dir, p->target);
	slash = strrchr(p->dir, '/');
	if (!slash) {
		p->base = p->target;
		strcpy(p->dir, ".");
	} else {
		p->base = p->target + (slash - p->dir) + 1;
		slash[slash == p->dir ? 1 : 0] = '\0';
	}
	if (!*p->base || !strcmp(p->base, ".") || !strcmp(p->base, "..")) {
		ret = -EINVAL;
		goto fail;
	}
	if (strlen(p->base) + 8 > NAME_MAX) {
		ret = -ENAMETOOLONG;
		goto fail;
	}
	p->dirfd = open(p->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->dirfd < 0) {
		ret = -errno;
		goto fail;
	}
	if ((ret = check_stamp(p->target, expect)) < 0)
		goto fail;
	p->exists = !fstatat(p->dirfd, p->base, &p->st, AT_SYMLINK_NOFOLLOW);
	if (!p->exists && errno != ENOENT) {
		ret = -errno;
		goto fail;
	}
	if (p->exists && !S_ISREG(p->st.st_mode)) {
		ret = -EINVAL;
		goto fail;
	}
	p->mode = p->exists ? p->st.st_mode & ATOMIC_MODE_MASK : mode_if_new & ATOMIC_MODE_MASK;
	/* Created 0600: never readable by others while the key in it is being written. */
	/* Readable too: where it cannot be linked in at the end, it is copied (copy_to_named). */
	p->fd = atomic_test_named_temp ? -1 : openat(p->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	/* A filesystem without unnamed files: a named one, as mkostemp makes them. */
	if (p->fd < 0 && (ret = temp_named(p)) < 0)
		goto fail;
	if ((ret = write_all(p->fd, head, len)) < 0)
		goto fail;
	*out = p;
	return 0;
fail:
	pending_free(p);
	return ret;
}

/* The rest written, and the temp file put in the target's place: see atomic_replace. */
static int pending_close(struct atomic_pending *p, const char *tail, size_t len, const struct file_stamp *expect)
{
	int ret;

	if ((ret = write_all(p->fd, tail, len)) < 0)
		return ret;
	step("written");
	if ((ret = target_again(p)) < 0 || (ret = settle(p)) < 0)
		return ret;
	step("synced");
	/* Named once whole: unlinkable, it is copied to a named file, settled again. */
	if (!p->tmp && (ret = link_unnamed(p)) < 0 && ret != -ENOMEM &&
	    (ret = copy_to_named(p)) == 0)
		ret = settle(p);
	if (ret < 0)
		return ret;
	/* Someone may have written while we did: the window left is the rename. */
	if ((ret = check_stamp(p->target, expect)) < 0)
		return ret;
	ret = close(p->fd);
	p->fd = -1;
	if (ret < 0)
		return -errno;
	if (rename(p->tmp, p->target) < 0)
		return -errno;
	free(p->tmp);
	p->tmp = NULL;
	step("renamed");
	/*
	 * The rename reaches the disk only with the directory. Should this fail the new content
	 * is in place already, but may not survive a crash: the error says so to the caller.
	 */
	if (fsync(p->dirfd) < 0)
		return -errno;
	return 0;
}

static int replace(const char *path, bool follow, const char *data, size_t len, mode_t mode_if_new,
		   const struct file_stamp *expect)
{
	struct atomic_pending *p;
	int ret = pending_open(&p, path, follow, data, len, mode_if_new, expect);

	if (ret < 0)
		return ret;
	ret = pending_close(p, NULL, 0, expect);
	pending_free(p);
	return ret;
}

int atomic_replace_begin(struct atomic_pending **out, const char *path, const char *head, size_t len,
			 mode_t mode_if_new, const struct file_stamp *expect)
{
	int ret = pending_open(out, path, true, head, len, mode_if_new, expect);

	/* The disk starts on the head now: the fsync at the end has that much less to wait for. */
	if (!ret && len)
		(void)sync_file_range((*out)->fd, 0, (off_t)len, SYNC_FILE_RANGE_WRITE);
	return ret;
}

int atomic_replace_finish(struct atomic_pending *p, const char *tail, size_t len, const struct file_stamp *expect)
{
	int ret = pending_close(p, tail, len, expect);

	pending_free(p);
	return ret;
}

void atomic_replace_abort(struct atomic_pending *p)
{
	pending_free(p);
}

int atomic_replace(const char *path, const char *data, size_t len, mode_t mode_if_new,
		   const struct file_stamp *expect)
{
	return replace(path, true, data, len, mode_if_new, expect);
}

int atomic_replace_state(const char *path, const char *data, size_t len, mode_t mode_if_new,
			 const struct file_stamp *expect)
{
	return replace(path, false, data, len, mode_if_new, expect);
}

int atomic_create(const char *path, const char *data, size_t len, mode_t mode)
{
	size_t off = 0;
	/* O_EXCL refuses what exists, a symbolic link too: nothing of anyone else's is overwritten. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	int ret;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);

		if (n < 0) {
			ret = -errno;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0) {
		ret = -errno;
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	/* Half a file with a key in it helps nobody. */
	unlink(path);
	return ret;
}
