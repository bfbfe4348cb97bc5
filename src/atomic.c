// SPDX-License-Identifier: GPL-2.0-or-later
/* Files replaced atomically: temp file in the same directory, fsync, rename, directory fsync. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "atomic.h"

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
	if (!fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) && S_ISREG(st.st_mode))
		mode = st.st_mode & 07777;
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

int atomic_read(const char *path, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap), *nb;
	int fd, ret = 0;

	*out = NULL;
	if (!buf)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r;

		if (cap - n < 2) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				goto out;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			goto out;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*out = buf;
	buf = NULL;
	if (len)
		*len = n;
out:
	if (fd >= 0)
		close(fd);
	free(buf);
	return ret;
}
