// SPDX-License-Identifier: GPL-2.0-or-later
/* The userspace backend: wireguard-go and boringtun answer on a UNIX socket per interface. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "backend.h"
#include "key.h"
#include "uapi.h"
#include "wgset.h"

/*
 * What a read takes at most: about what the daemon's socket buffer holds, so that a 10,000-peer
 * answer (3.5 MB) is some 20 reads, not 55.
 */
#define USERSPACE_READ_BUF (256 * 1024)

/* A name that can be both an interface and a file in the socket directory. */
static bool iface_name_ok(const char *iface)
{
	size_t len = strlen(iface);

	return len && len < IFNAMSIZ && !strchr(iface, '/') && strcmp(iface, ".") && strcmp(iface, "..");
}

static int sock_path(struct sockaddr_un *addr, const char *iface)
{
	int n;

	if (!iface_name_ok(iface))
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.sock", USERSPACE_SOCK_DIR, iface);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int userspace_list_devices(struct strlist *names)
{
	DIR *dir;
	struct dirent *ent;
	int ret = 0;

	dir = opendir(USERSPACE_SOCK_DIR);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	for (;;) {
		char iface[IFNAMSIZ];
		struct stat st;
		size_t len;

		errno = 0;
		ent = readdir(dir);
		if (!ent) {
			ret = -errno;
			goto out;
		}
		len = strlen(ent->d_name);
		if (len <= 5 || len - 5 >= IFNAMSIZ || strcmp(ent->d_name + len - 5, ".sock"))
			continue;
		memcpy(iface, ent->d_name, len - 5);
		iface[len - 5] = '\0';
		if (!iface_name_ok(iface))
			continue;
		if (fstatat(dirfd(dir), ent->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		/* The directory is shared by every namespace: keep only our own interfaces. */
		if (!if_nametoindex(iface))
			continue;
		ret = strlist_add(names, iface);
		if (ret < 0)
			goto out;
	}
out:
	closedir(dir);
	return ret;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until the deadline; 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };

	for (;;) {
		int64_t left = deadline - now_ms();
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/*
 * A connected, non-blocking socket for iface, or -errno. A UNIX connect blocks
 * only while the listener's backlog is full, and SO_SNDTIMEO bounds that wait.
 */
static int sock_connect(const char *iface, int64_t deadline)
{
	struct sockaddr_un addr;
	struct timeval tv;
	int64_t left;
	int fd, flags, ret;

	ret = sock_path(&addr, iface);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	left = deadline - now_ms();
	if (left <= 0) {
		ret = -ETIMEDOUT;
		goto out;
	}
	tv.tv_sec = left / 1000;
	tv.tv_usec = (left % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0) {
		ret = -errno;
		goto out;
	}
	while (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		if (errno == EINTR)
			continue;
		ret = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		goto out;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		ret = -errno;
		goto out;
	}
	ret = fd;
out:
	if (ret < 0)
		close(fd);
	return ret;
}

bool userspace_has_interface(const char *iface)
{
	struct sockaddr_un addr;
	struct stat st;
	int fd;

	if (sock_path(&addr, iface) < 0)
		return false;
	/* A socket directory closed to this user may hold it: let get_device say what is needed. */
	if (stat(addr.sun_path, &st) < 0)
		return (errno == EACCES || errno == EPERM) && if_nametoindex(iface);
	if (!S_ISSOCK(st.st_mode))
		return false;
	if (!if_nametoindex(iface))
		return false;
	/* Stale sockets are left alone: this tool only reads. */
	fd = sock_connect(iface, now_ms() + BACKEND_TIMEOUT_MS);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	/* Ours, but not for this user: let get_device say so rather than asking the kernel. */
	return fd == -EACCES || fd == -EPERM;
}

static int send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		int ret;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			ret = wait_fd(fd, POLLOUT, deadline);
			if (ret < 0)
				return ret;
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The reply, parsed as it comes. The daemon has BACKEND_TIMEOUT_MS to say something at each
 * wait: the bound is on its silence, as the kernel's (kernel.c), not on a whole reply, which
 * a process slowed by load (or a debugger) may take longer over than the daemon takes to write.
 * UAPI_MAX_REPLY bounds how much may come.
 */
static int read_reply(int fd, struct uapi_parser *p)
{
	char *buf = malloc(USERSPACE_READ_BUF);
	int64_t deadline = now_ms() + BACKEND_TIMEOUT_MS;
	size_t total = 0;
	int ret;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf, USERSPACE_READ_BUF);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN) {
				ret = -errno;
				goto out;
			}
			ret = wait_fd(fd, POLLIN, deadline);
			if (ret < 0)
				goto out;
			continue;
		}
		if (!n)
			break;
		total += (size_t)n;
		if (total > UAPI_MAX_REPLY) {
			ret = -E2BIG;
			goto out;
		}
		ret = uapi_parser_feed(p, buf, (size_t)n);
		if (ret < 0)
			goto out;
		if (ret == 1)
			break;
		deadline = now_ms() + BACKEND_TIMEOUT_MS;
	}
	ret = uapi_parser_finish(p);
out:
	/* The reply carries the private key. */
	key_wipe(buf, USERSPACE_READ_BUF);
	free(buf);
	return ret;
}

/*
 * One request on iface's socket and its whole reply, parsed into a device of its own: a get
 * fills it, a set's reply is only errno=N. 0 with *out set (when out is given), or -errno;
 * the daemon's errno=N comes back as -N.
 */
static int uapi_exchange(const char *iface, unsigned int ifindex, const char *req, uint32_t peers_hint,
			 const struct backend_read *r, struct wg_device **out)
{
	int64_t deadline = now_ms() + BACKEND_TIMEOUT_MS;
	struct uapi_parser *p = NULL;
	struct wg_device *d = NULL;
	int fd, ret, sent;

	fd = sock_connect(iface, deadline);
	if (fd < 0)
		return fd == -ENOENT ? -ENODEV : fd;
	/*
	 * wireguard-go answers an error in the middle of a request at once and then hangs up,
	 * which the rest of a long request runs into: its answer says more than EPIPE does.
	 */
	sent = send_all(fd, req, strlen(req), deadline);
	if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET) {
		ret = sent;
		goto out;
	}
	d = wg_device_new(iface);
	/* Zeroed: the way out clears it (uapi_parser_clear), also before init. */
	p = calloc(1, sizeof(*p));
	if (!d || !p) {
		ret = -ENOMEM;
		goto out;
	}
	/* Only a hint: without the room, the array grows as the answer comes. */
	(void)wg_device_reserve(d, peers_hint);
	d->ifindex = ifindex;
	d->backend = WG_BACKEND_USERSPACE;
	uapi_parser_init(p, d);
	p->scope_to_index = if_nametoindex;
	if (r && r->keep_sums)
		uapi_parser_keep_sums(p, r->earlier, peers_hint);
	ret = read_reply(fd, p);
	/* After a failed send, only a whole answer naming an error says more than the send's own. */
	if (sent < 0 && !(p->state == UAPI_DONE && p->remote_errno))
		ret = sent;
	if (ret == 0 && out) {
		*out = d;
		d = NULL;
	}
out:
	if (p) {
		uapi_parser_clear(p);
		/* A get's reply carries the private key. */
		key_wipe(p, sizeof(*p));
		free(p);
	}
	wg_device_free(d);
	close(fd);
	return ret;
}

int userspace_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint,
			 const struct backend_read *r)
{
	unsigned int ifindex;

	*dev = NULL;
	if (!iface_name_ok(iface))
		return -EINVAL;
	/* A socket whose interface lives in another namespace is not ours to read. */
	ifindex = if_nametoindex(iface);
	if (!ifindex)
		return -ENODEV;
	return uapi_exchange(iface, ifindex, UAPI_GET_REQUEST, peers_hint, r, dev);
}

int userspace_set_peers(const char *iface, const struct wg_peer_change *c, size_t n)
{
	unsigned int ifindex;
	char *req;
	int ret;

	/* A name that cannot be a link, or a socket whose interface lives in another namespace. */
	if (!iface || !iface_name_ok(iface) || !(ifindex = if_nametoindex(iface)))
		return -ENODEV;
	req = wgset_uapi_request(c, n);
	if (!req)
		return -errno;
	ret = uapi_exchange(iface, ifindex, req, 0, NULL, NULL);
	wgset_uapi_free(req);
	return ret;
}
