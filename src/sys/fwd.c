// SPDX-License-Identifier: GPL-2.0-or-later
/* The forwarding switch: IPv4 and IPv6 forwarding of this network namespace, optionally persisted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomic.h"
#include "fwd.h"
#include "sysctl.h"

static void proc_path(char *buf, size_t len, const char *key)
{
	size_t o = (size_t)snprintf(buf, len, "/proc/sys/");

	for (const char *k = key; *k && o + 1 < len; ++k)
		buf[o++] = *k == '.' ? '/' : *k;
	buf[o] = '\0';
}

int fwd_read(const char *key)
{
	char path[128];

	proc_path(path, sizeof(path), key);
	return sysctl_read_bool(path);
}

int fwd_write(const char *key, int value)
{
	char path[128], buf[4];
	int fd, ret = 0;

	proc_path(path, sizeof(path), key);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(buf, sizeof(buf), "%d\n", value ? 1 : 0);
	if (write(fd, buf, 2) != 2)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	return ret;
}

int fwd_persisted(const char *dir, char **text)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, FWD_CONF_NAME);
	return atomic_read_state(path, text, NULL, NULL);
}

int fwd_persist(const char *dir, const struct fwd_setting *set, size_t n)
{
	char *old = NULL, *text;
	int ret;

	ret = fwd_persisted(dir, &old);
	if (ret == -ENOENT) {
		old = strdup("# Written by wgstar-top forward --persist; other lines are kept.\n");
		ret = old ? 0 : -ENOMEM;
	}
	if (ret < 0)
		return ret;
	text = fwd_conf_update(old, set, n);
	free(old);
	if (!text)
		return -ENOMEM;
	ret = atomic_write(dir, FWD_CONF_NAME, text, strlen(text), 0644);
	free(text);
	return ret;
}
