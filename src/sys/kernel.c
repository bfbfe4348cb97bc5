// SPDX-License-Identifier: GPL-2.0-or-later
/* The kernel backend: netlink sockets around the socket-free builders and parsers of nlwg and rtnl. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include "backend.h"
#include "key.h"
#include "nlwg.h"
#include "rtnl.h"
#include "thread.h"
#include "wgset.h"

/* The kernel fills each dump message up to 32 KiB; a smaller buffer would see them truncated. */
#define KERNEL_BUF_LEN (64 * 1024)
/*
 * Interrupted this often in a row, the device changes faster than it can be read. wg(8)
 * retries without end; the call's overall deadline bounds us long before this does, so the
 * number only has to be large enough not to give up on a merely busy device.
 */
#define KERNEL_DUMP_TRIES 50
/*
 * The longest WG_CMD_SET_DEVICE message sent. wg(8) sends at most a page; staying near that
 * keeps each message, applied under the kernel's RTNL lock, short, and far below the socket's
 * send buffer. A few peers always fit one message.
 */
#define KERNEL_SET_MSG_LEN 8192

struct kernel_conn {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	struct timespec deadline;
	void *buf;
};

/*
 * The kernel has BACKEND_TIMEOUT_MS from now to answer. Set again at each wait for a message:
 * the bound is on the kernel's silence, not on a whole dump, which beside 100,000 peers took
 * over 5 s on an emulated CPU under load while its messages kept coming, nor on the time this
 * process takes over the messages it has (armed at each message received, a peer add read
 * under valgrind in the VM timed out with the next message waiting, its threads slowed).
 */
static void conn_arm(struct kernel_conn *conn)
{
	clock_gettime(CLOCK_MONOTONIC, &conn->deadline);
	conn->deadline.tv_sec += BACKEND_TIMEOUT_MS / 1000;
	conn->deadline.tv_nsec += (BACKEND_TIMEOUT_MS % 1000) * 1000000L;
	if (conn->deadline.tv_nsec >= 1000000000L) {
		conn->deadline.tv_sec++;
		conn->deadline.tv_nsec -= 1000000000L;
	}
}

static int conn_open(struct kernel_conn *conn, int bus)
{
	int one = 1;
	int ret = 0;

	memset(conn, 0, sizeof(*conn));
	conn_arm(conn);
	/* Zeroed: libmnl leaves the padding after a request's headers as it finds it, and it is sent. */
	conn->buf = calloc(1, KERNEL_BUF_LEN);
	if (!conn->buf) {
		ret = -ENOMEM;
		goto out;
	}
	conn->nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!conn->nl) {
		ret = -errno;
		goto out;
	}
	if (mnl_socket_bind(conn->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	/* Only saves the kernel echoing the request back in an error; older kernels lack it. */
	mnl_socket_setsockopt(conn->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	conn->portid = mnl_socket_get_portid(conn->nl);
	conn->seq = (uint32_t)time(NULL);
out:
	return ret;
}

static void conn_close(struct kernel_conn *conn)
{
	if (conn->nl)
		mnl_socket_close(conn->nl);
	/* A GET_DEVICE reply in it carries the interface's private key, a request a peer's psk. */
	if (conn->buf)
		key_wipe(conn->buf, KERNEL_BUF_LEN);
	free(conn->buf);
	memset(conn, 0, sizeof(*conn));
}

/* Bounds the next send or receive by what is left until the deadline. */
static int conn_timeout(struct kernel_conn *conn, int opt)
{
	struct timespec now;
	struct timeval tv;
	int64_t left;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (int64_t)(conn->deadline.tv_sec - now.tv_sec) * 1000000 +
	       (conn->deadline.tv_nsec - now.tv_nsec) / 1000;
	if (left <= 0)
		return -ETIMEDOUT;
	tv.tv_sec = left / 1000000;
	tv.tv_usec = left % 1000000;
	if (setsockopt(mnl_socket_get_fd(conn->nl), SOL_SOCKET, opt, &tv, sizeof(tv)) < 0)
		return -errno;
	return 0;
}

static int conn_send(struct kernel_conn *conn, size_t len)
{
	ssize_t n;
	int ret;

	ret = conn_timeout(conn, SO_SNDTIMEO);
	if (ret < 0)
		goto out;
	n = mnl_socket_sendto(conn->nl, conn->buf, len);
	if (n < 0)
		ret = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
	else if ((size_t)n != len)
		ret = -EIO;
out:
	return ret;
}

/* Receives one datagram from the kernel into buf (KERNEL_BUF_LEN bytes); its length or -errno. */
static int conn_recv_into(struct kernel_conn *conn, void *buf)
{
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = buf, .iov_len = KERNEL_BUF_LEN };
	struct msghdr msg = { .msg_name = &addr, .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int ret;

	conn_arm(conn);
	for (;;) {
		ret = conn_timeout(conn, SO_RCVTIMEO);
		if (ret < 0)
			goto out;
		msg.msg_namelen = sizeof(addr);
		n = recvmsg(mnl_socket_get_fd(conn->nl), &msg, 0);
		if (n < 0) {
			/* A signal (a terminal resize) cuts a timed receive short even with SA_RESTART. */
			if (errno == EINTR)
				continue;
			ret = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			ret = -EMSGSIZE;
			goto out;
		}
		/* Another process may send to this port too; only the kernel answers. */
		if (msg.msg_namelen != sizeof(addr) || addr.nl_family != AF_NETLINK || addr.nl_pid)
			continue;
		ret = (int)n;
		goto out;
	}
out:
	return ret;
}

static int conn_recv(struct kernel_conn *conn)
{
	return conn_recv_into(conn, conn->buf);
}

/* What to do with one received buffer of replies: NLWG_MORE (== RTNL_MORE) while more are due. */
typedef int (*reply_feed)(void *ctx, const void *buf, size_t len);

/*
 * Sends the len bytes of conn->buf (a negative len is the error of the builder that made them),
 * then feeds every reply to feed until it asks for no more: its last result, or -errno.
 */
static int exchange(struct kernel_conn *conn, int len, reply_feed feed, void *ctx)
{
	int ret = len < 0 ? len : conn_send(conn, (size_t)len);

	while (ret >= 0) {
		ret = conn_recv(conn);
		if (ret >= 0)
			ret = feed(ctx, conn->buf, (size_t)ret);
		if (ret != NLWG_MORE)
			break;
	}
	return ret;
}

/* A reply that answers one request: its sequence number, and where the answer goes. */
struct answer {
	uint32_t seq;
	uint32_t portid;
	uint16_t *family;
};

static int feed_family(void *ctx, const void *buf, size_t len)
{
	const struct answer *a = ctx;

	return nlwg_parse_family_reply(buf, len, a->seq, a->portid, a->family);
}

static int feed_ack(void *ctx, const void *buf, size_t len)
{
	const struct answer *a = ctx;

	return wgset_nl_parse_ack(buf, len, a->seq, a->portid);
}

static int feed_links(void *ctx, const void *buf, size_t len)
{
	return rtnl_dump_feed(ctx, buf, len);
}

static int resolve_family(struct kernel_conn *conn, uint16_t *family)
{
	struct answer a = { .seq = ++conn->seq, .portid = conn->portid, .family = family };

	return exchange(conn, nlwg_build_family_request(conn->buf, KERNEL_BUF_LEN, a.seq), feed_family, &a);
}

/*
 * A big dump read on two threads: this one receives, a helper parses. The kernel builds each
 * message while recvmsg waits, so one thread did the kernel's work and then its own, in turn:
 * beside 100,000 peers on an emulated CPU, 0.7 s of the first and 0.2 s of the second, while
 * the other CPU was idle once a peer add's file was read. The messages of a dump too small to
 * fill DUMP_PIPE_AFTER buffers are parsed as they come, with no thread.
 */
#define DUMP_PIPE_AFTER 2
#define DUMP_PIPE_BUFS 4

struct dump_pipe {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct nlwg_dump *dump;
	void *buf[DUMP_PIPE_BUFS];
	size_t len[DUMP_PIPE_BUFS];
	unsigned int head, count;	/* buffers received, not yet parsed: from head on, count of them */
	bool closed;			/* no more will come */
	int status;			/* what the last feed returned: NLWG_MORE until the dump is over */
};

static void *dump_parser(void *arg)
{
	struct dump_pipe *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		unsigned int i;
		int status;

		while (!p->count && !p->closed)
			pthread_cond_wait(&p->cond, &p->lock);
		if (!p->count)
			break;
		i = p->head;
		pthread_mutex_unlock(&p->lock);
		/* After the end or a failure the rest only goes: the receiver stops soon. */
		status = p->status == NLWG_MORE ? nlwg_dump_feed(p->dump, p->buf[i], p->len[i]) : p->status;
		pthread_mutex_lock(&p->lock);
		p->status = status;
		p->head = (p->head + 1) % DUMP_PIPE_BUFS;
		p->count--;
		pthread_cond_broadcast(&p->cond);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/*
 * The rest of a dump, received here and parsed by a helper: NLWG_DONE, or -errno as
 * nlwg_dump_feed gives it; NLWG_MORE when no helper could be had, to go on without one.
 */
static int dump_piped(struct kernel_conn *conn, struct nlwg_dump *dump)
{
	struct dump_pipe p = { .dump = dump, .status = NLWG_MORE };
	pthread_t parser;
	int ret = 0;

	/* Without the buffers, or a thread, the dump goes on here as a small one does. */
	for (unsigned int i = 0; i < DUMP_PIPE_BUFS; ++i)
		if (!(p.buf[i] = malloc(KERNEL_BUF_LEN))) {
			ret = NLWG_MORE;
			goto out;
		}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.cond, NULL);
	if (!thread_start_quiet(&parser, dump_parser, &p)) {
		ret = NLWG_MORE;
		goto done;
	}
	pthread_mutex_lock(&p.lock);
	while (p.status == NLWG_MORE) {
		unsigned int slot;
		bool ends;
		int n;

		while (p.count == DUMP_PIPE_BUFS && p.status == NLWG_MORE)
			pthread_cond_wait(&p.cond, &p.lock);
		if (p.status != NLWG_MORE)
			break;
		slot = (p.head + p.count) % DUMP_PIPE_BUFS;
		pthread_mutex_unlock(&p.lock);
		n = conn_recv_into(conn, p.buf[slot]);
		ends = n < 0 || nlwg_dump_ends(dump, p.buf[slot], (size_t)n);
		pthread_mutex_lock(&p.lock);
		if (n < 0) {
			ret = n;
			break;
		}
		p.len[slot] = (size_t)n;
		p.count++;
		pthread_cond_broadcast(&p.cond);
		if (ends)
			break;
	}
	p.closed = true;
	pthread_cond_broadcast(&p.cond);
	pthread_mutex_unlock(&p.lock);
	pthread_join(parser, NULL);
done:
	pthread_cond_destroy(&p.cond);
	pthread_mutex_destroy(&p.lock);
	/*
	 * Received to its end (nlwg_dump_ends), the dump must be over: else it is malformed. A
	 * parser that failed says why, whatever the receiving met after.
	 */
	if (p.status < 0)
		ret = p.status;
	else if (!ret)
		ret = p.status == NLWG_MORE ? -EBADMSG : p.status;
out:
	/* Peers' preshared keys came in them. */
	for (unsigned int i = 0; i < DUMP_PIPE_BUFS; ++i) {
		if (p.buf[i])
			key_wipe(p.buf[i], KERNEL_BUF_LEN);
		free(p.buf[i]);
	}
	return ret;
}

static int dump_device(struct kernel_conn *conn, struct nlwg_dump *dump, uint16_t family, const char *iface,
		       uint32_t peers_hint)
{
	uint32_t seq = ++conn->seq;
	int len, ret;

	nlwg_dump_free(dump);
	ret = nlwg_dump_init(dump, iface, family, seq, conn->portid);
	if (ret < 0)
		return ret;
	/* Only a hint: without the room, the array grows as the dump comes. */
	(void)wg_device_reserve(dump->dev, peers_hint);
	len = nlwg_build_get_device(conn->buf, KERNEL_BUF_LEN, family, iface, seq);
	ret = len < 0 ? len : conn_send(conn, (size_t)len);
	for (unsigned int k = 0; ret >= 0; ++k) {
		if (k == DUMP_PIPE_AFTER && (ret = dump_piped(conn, dump)) != NLWG_MORE)
			break;
		ret = conn_recv(conn);
		if (ret >= 0)
			ret = nlwg_dump_feed(dump, conn->buf, (size_t)ret);
		if (ret != NLWG_MORE)
			break;
	}
	return ret;
}

static int dump_links(struct kernel_conn *conn, struct rtnl_dump *dump)
{
	uint32_t seq = ++conn->seq;

	rtnl_dump_free(dump);
	rtnl_dump_init(dump, seq, conn->portid);
	return exchange(conn, rtnl_build_getlink_dump(conn->buf, KERNEL_BUF_LEN, seq), feed_links, dump);
}

int kernel_list_devices(struct strlist *names)
{
	struct kernel_conn conn;
	struct rtnl_dump dump = { 0 };
	int ret, tries = 0;

	ret = conn_open(&conn, NETLINK_ROUTE);
	if (ret < 0)
		goto out;
	while ((ret = dump_links(&conn, &dump)) == -EINTR) {
		if (++tries == KERNEL_DUMP_TRIES) {
			ret = -EAGAIN;
			goto out;
		}
	}
	if (ret < 0)
		goto out;
	for (size_t i = 0; i < dump.names.n; ++i) {
		ret = strlist_add(names, dump.names.v[i]);
		if (ret < 0)
			goto out;
	}
	ret = 0;
out:
	rtnl_dump_free(&dump);
	conn_close(&conn);
	return ret;
}

int kernel_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint)
{
	struct kernel_conn conn;
	struct nlwg_dump dump = { 0 };
	uint16_t family;
	int ret, tries = 0;

	*dev = NULL;
	memset(&conn, 0, sizeof(conn));
	/* A name the kernel could never have given a link. */
	ret = -ENODEV;
	if (!iface || !*iface || strnlen(iface, IFNAMSIZ) >= IFNAMSIZ)
		goto out;
	ret = conn_open(&conn, NETLINK_GENERIC);
	if (ret < 0)
		goto out;
	ret = resolve_family(&conn, &family);
	if (ret < 0)
		goto out;
	while ((ret = dump_device(&conn, &dump, family, iface, peers_hint)) == -EINTR) {
		if (++tries == KERNEL_DUMP_TRIES) {
			ret = -EAGAIN;
			goto out;
		}
	}
	if (ret < 0)
		goto out;
	*dev = nlwg_dump_take(&dump);
	ret = 0;
out:
	nlwg_dump_free(&dump);
	conn_close(&conn);
	return ret;
}

int kernel_family_present(void)
{
	struct kernel_conn conn;
	uint16_t family;
	int ret;

	ret = conn_open(&conn, NETLINK_GENERIC);
	if (ret < 0)
		goto out;
	ret = resolve_family(&conn, &family);
out:
	conn_close(&conn);
	return ret;
}

/* Sends the requests one by one, each acknowledged before the next: the first error stops it. */
static int set_device(struct kernel_conn *conn, struct wgset_nl_iter *it)
{
	for (;;) {
		struct answer a = { .seq = ++conn->seq, .portid = conn->portid };
		int len = wgset_nl_next(it, conn->buf, KERNEL_SET_MSG_LEN, a.seq), ret;

		if (len <= 0)
			return len;
		ret = exchange(conn, len, feed_ack, &a);
		/* The request held preshared keys, and an error's ack echoes it: the kernel has its copy. */
		key_wipe(conn->buf, KERNEL_BUF_LEN);
		if (ret < 0)
			return ret;
	}
}

int kernel_set_peers(const char *iface, const struct wg_peer_change *c, size_t n)
{
	struct kernel_conn conn;
	struct wgset_nl_iter it;
	uint16_t family;
	int ret;

	memset(&conn, 0, sizeof(conn));
	/* A name the kernel could never have given a link. */
	ret = -ENODEV;
	if (!iface || !*iface || strnlen(iface, IFNAMSIZ) >= IFNAMSIZ)
		goto out;
	/* Refused before anything is sent, so that no part of a bad list is applied. */
	ret = wgset_validate(c, n);
	if (ret < 0)
		goto out;
	ret = conn_open(&conn, NETLINK_GENERIC);
	if (ret < 0)
		goto out;
	ret = resolve_family(&conn, &family);
	/* Without the module there is no kernel WireGuard interface of that name, nor of any. */
	if (ret == -ENOENT)
		ret = -ENODEV;
	if (ret < 0)
		goto out;
	ret = wgset_nl_init(&it, iface, family, c, n);
	if (ret < 0)
		goto out;
	ret = set_device(&conn, &it);
out:
	/* Without NETLINK_CAP_ACK an error echoes the whole request, keys and all: wiped on close. */
	conn_close(&conn);
	return ret;
}
