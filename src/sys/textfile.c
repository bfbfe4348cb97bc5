// SPDX-License-Identifier: GPL-2.0-or-later
/* One file in a directory, replaced atomically on every write: node_exporter's textfile collector. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"
#include "textfile.h"

#define TEXTFILE_MODE 0644	/* node_exporter runs as its own user and must read it */

/* A leading dot and no ".prom" at the end: the collector never reads a file half-written. */
static void temp_name(char tmp[NAME_MAX + 1], const char *name)
{
	snprintf(tmp, NAME_MAX + 1, ".%s.tmp", name);
}

static int open_temp(struct textfile *tf, const char *tmp)
{
	const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(tf->dirfd, tmp, flags, 0600);

	/* Left behind by a writer that died mid-write; never followed, should it be a link. */
	if (fd < 0 && errno == EEXIST) {
		if (unlinkat(tf->dirfd, tmp, 0) < 0 && errno != ENOENT)
			return -errno;
		fd = openat(tf->dirfd, tmp, flags, 0600);
	}
	return fd < 0 ? -errno : fd;
}

int textfile_open(struct textfile *tf, const char *dir, const char *name)
{
	char tmp[NAME_MAX + 1];
	int fd;

	tf->dirfd = -1;
	tf->name = name;
	if (!name[0] || strchr(name, '/') || strlen(name) + sizeof(".tmp") + 1 > NAME_MAX)
		return -EINVAL;
	tf->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tf->dirfd < 0)
		return -errno;
	/* Whether we may write here is known only by trying; better now than at the first tick. */
	temp_name(tmp, name);
	fd = open_temp(tf, tmp);
	if (fd < 0) {
		textfile_close(tf);
		return fd;
	}
	close(fd);
	unlinkat(tf->dirfd, tmp, 0);
	return 0;
}

int textfile_replace(struct textfile *tf, int (*fill)(FILE *out, void *ctx), void *ctx)
{
	char tmp[NAME_MAX + 1];
	mode_t mode = TEXTFILE_MODE;
	struct stat st;
	FILE *f;
	int fd, ret;

	temp_name(tmp, tf->name);
	if (!fstatat(tf->dirfd, tf->name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
		mode = st.st_mode & ATOMIC_MODE_MASK;
	fd = ret = open_temp(tf, tmp);
	if (ret < 0)
		return ret;
	if (fchmod(fd, mode) < 0 || !(f = fdopen(fd, "w"))) {
		ret = -errno;
		close(fd);
		goto out;
	}
	ret = fill(f, ctx);
	if (!ret && fflush(f) == EOF)
		ret = -errno;
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	if (fclose(f) == EOF && !ret)
		ret = -errno;
	if (!ret && renameat(tf->dirfd, tmp, tf->dirfd, tf->name) < 0)
		ret = -errno;
out:
	if (ret < 0)
		unlinkat(tf->dirfd, tmp, 0);
	return ret;
}

int textfile_remove(struct textfile *tf)
{
	if (unlinkat(tf->dirfd, tf->name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void textfile_close(struct textfile *tf)
{
	if (tf->dirfd >= 0)
		close(tf->dirfd);
	tf->dirfd = -1;
}
