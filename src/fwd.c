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

/* Whether a line of a sysctl.d file sets key (dots and slashes alike); its value at *value. */
static bool line_key(const char *line, size_t len, const char *key, const char **value)
{
	size_t i = 0, k = 0, klen = strlen(key);
	const char *eq;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '-')
		i++;
	eq = memchr(line + i, '=', len - i);
	if (!eq)
		return false;
	for (; line + i < eq && k < klen; ++i, ++k) {
		char c = line[i] == '/' ? '.' : line[i];

		if (c != key[k])
			return false;
	}
	if (k != klen)
		return false;
	while (line + i < eq && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (line + i != eq)
		return false;
	*value = eq + 1;
	return true;
}

char *fwd_conf_update(const char *old, const struct fwd_setting *set, size_t n)
{
	size_t lines = 1, cap, o = 0;
	bool done[8] = { false };
	const char *p = old;
	char *out;

	for (const char *q = old; *q; ++q)
		lines += *q == '\n';
	/* A rewritten line is at most 64 bytes, however short it was. */
	cap = strlen(old) + (lines + n) * 64 + 2;
	out = malloc(cap);
	if (!out || n > 8) {
		free(out);
		return NULL;
	}
	while (*p) {
		const char *nl = strchr(p, '\n'), *value;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t k;

		for (k = 0; k < n; ++k)
			if (line_key(p, len, set[k].key, &value))
				break;
		if (k < n) {
			/* Only a leading '-' says to ignore errors; a key may hold one too (wg-hub). */
			bool dash = p[strspn(p, " \t")] == '-';

			o += (size_t)snprintf(out + o, cap - o, "%s%s = %d\n", dash ? "-" : "", set[k].key, set[k].value);
			done[k] = true;
		} else {
			memcpy(out + o, p, len);
			o += len;
			out[o++] = '\n';
		}
		p += len + (nl ? 1 : 0);
	}
	for (size_t k = 0; k < n; ++k)
		if (!done[k])
			o += (size_t)snprintf(out + o, cap - o, "%s = %d\n", set[k].key, set[k].value);
	out[o] = '\0';
	return out;
}

int fwd_conf_value(const char *text, const char *key)
{
	const char *p = text, *value;
	int v = -1;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		/* A number on this line: atoi would skip a newline and read the next line's. */
		if (line_key(p, len, key, &value)) {
			value += strspn(value, " \t");
			v = ((*value >= '0' && *value <= '9') || *value == '+' || *value == '-') && atoi(value) != 0;
		}
		p += len + (nl ? 1 : 0);
	}
	return v;
}

const char *fwd_sysctl_dir(void)
{
	const char *dir = getenv("WGSTAR_SYSCTL_DIR");

	return dir && dir[0] ? dir : FWD_SYSCTL_DIR;
}

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

int fwd_persist(const struct fwd_setting *set, size_t n)
{
	char path[4096], *old = NULL, *text;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", fwd_sysctl_dir(), FWD_CONF_NAME);
	ret = atomic_read(path, &old, NULL);
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
	ret = atomic_write(fwd_sysctl_dir(), FWD_CONF_NAME, text, strlen(text), 0644);
	free(text);
	return ret;
}
