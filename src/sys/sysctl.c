// SPDX-License-Identifier: GPL-2.0-or-later
/* The forwarding sysctls of the network namespace this process runs in. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include "sysctl.h"

int sysctl_read_bool(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		ret = -errno;
		goto out;
	}
	buf[n] = '\0';
	if (n == 0 || buf[0] < '0' || buf[0] > '9') {
		ret = -EINVAL;
		goto out;
	}
	ret = atoi(buf) != 0;
out:
	close(fd);
	return ret;
}

void sysctl_forwarding(struct fwd_state *out)
{
	int v4 = sysctl_read_bool("/proc/sys/net/ipv4/ip_forward");
	int v6 = sysctl_read_bool("/proc/sys/net/ipv6/conf/all/forwarding");

	out->ipv4 = v4 < 0 ? -1 : v4;
	out->ipv6 = v6 < 0 ? -1 : v6;
}
