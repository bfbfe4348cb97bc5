// SPDX-License-Identifier: GPL-2.0-or-later
/* nf_tables over a netlink socket: a batch sent in one go with every ack drained, dumps, the generation. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nft.h"

#define NFT_RECV_LEN (256 * 1024)
#define NFT_TIMEOUT_MS 5000

int nft_open(struct nft_sock *s)
{
	int one = 1, ret = 0;

	memset(s, 0, sizeof(*s));
	s->buf = malloc(NFT_RECV_LEN);
	if (!s->buf) {
		ret = -ENOMEM;
		goto out;
	}
	s->nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
	if (!s->nl) {
		ret = -errno;
		goto out;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = -errno;
		goto out;
	}
	mnl_socket_setsockopt(s->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	s->portid = mnl_socket_get_portid(s->nl);
	s->seq = (uint32_t)time(NULL);
out:
	if (ret)
		nft_close(s);
	return ret;
}

void nft_close(struct nft_sock *s)
{
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s->buf);
	memset(s, 0, sizeof(*s));
}

static ssize_t recv_now(struct nft_sock *s, int flags)
{
	struct sockaddr_nl addr;
	struct iovec iov = { .iov_base = s->buf, .iov_len = NFT_RECV_LEN };
	struct msghdr msg = { .msg_name = &addr, .msg_namelen = sizeof(addr), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(mnl_socket_get_fd(s->nl), &msg, flags);

	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOSPC;
	if (msg.msg_namelen != sizeof(addr))
		return -EINVAL;
	return n;
}

/*
 * The next answer. A dump's next part is made while the last one is read, so it is nearly
 * always there: it is taken at once, and only a socket with nothing yet is waited on (a poll
 * before every read was a quarter of the console's system calls at 10,000 peers).
 */
static ssize_t sock_recv(struct nft_sock *s)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(s->nl), .events = POLLIN };
	ssize_t n = recv_now(s, MSG_DONTWAIT);
	int r;

	if (n != -EAGAIN)
		return n;
	r = poll(&pfd, 1, NFT_TIMEOUT_MS);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	return recv_now(s, 0);
}

int nft_send(struct nft_sock *s, struct nft_batch *b, nft_echo_cb cb, void *data, struct nft_error *err)
{
	int fd = mnl_socket_get_fd(s->nl), want, got = 0, r;
	int size = (int)b->len + 4096;
	ssize_t n;

	memset(err, 0, sizeof(*err));
	nft_batch_close_pending(b);
	/* The whole batch goes in one message; the socket buffer must hold it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	/*
	 * The kernel answers every message of the batch before we read a byte, and what does not fit
	 * in the receive buffer is dropped (ENOBUFS): the buffer must hold every answer. A kilobyte
	 * each, as nft reckons (its mnl_batch_talk): a counting table with a 200-rule policy at
	 * 10,000 dual-stack peers is thousands of messages, and 1 MiB was not enough.
	 */
	size = NFT_RECV_LEN * 4;
	if (b->n_acks > (uint32_t)size / 1024)
		size = b->n_acks > INT_MAX / 1024 ? INT_MAX : (int)b->n_acks * 1024;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_sendto(s->nl, b->buf, b->len) < 0) {
		err->code = -errno;
		return err->code;
	}
	want = (int)b->n_acks;
	while (got < want) {
		n = sock_recv(s);
		if (n < 0) {
			if (!err->code)
				err->code = (int)n;
			break;
		}
		r = nft_parse_acks(s->buf, (size_t)n, b, s->portid, err, cb, data);
		if (r < 0) {
			if (!err->code)
				err->code = r;
			break;
		}
		got += r;
	}
	return err->code;
}

static int genid_cb(const struct nlmsghdr *nlh, void *data)
{
	return nft_parse_genid(nlh, data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nft_get_genid(struct nft_sock *s, uint32_t *genid)
{
	char buf[256];
	struct nlmsghdr *nlh;
	uint32_t seq = ++s->seq;
	ssize_t n;
	int ret;

	nlh = nft_genid_request(buf, seq);
	if (mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		n = sock_recv(s);
		if (n < 0)
			return (int)n;
		ret = mnl_cb_run(s->buf, (size_t)n, seq, s->portid, genid_cb, genid);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

struct dump_ctx {
	int (*cb)(const struct nlmsghdr *nlh, void *data);
	void *data;
	bool interrupted;
};

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;

	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->interrupted = true;
	return d->cb(nlh, d->data) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int nft_dump(struct nft_sock *s, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *nlh, void *data),
	     void *data)
{
	struct dump_ctx d = { .cb = cb, .data = data };
	ssize_t n;
	int ret;

	req->nlmsg_seq = ++s->seq;
	req->nlmsg_flags |= NLM_F_DUMP | NLM_F_REQUEST;
	if (mnl_socket_sendto(s->nl, req, req->nlmsg_len) < 0)
		return -errno;
	do {
		n = sock_recv(s);
		if (n < 0)
			return (int)n;
		errno = 0;
		ret = mnl_cb_run(s->buf, (size_t)n, req->nlmsg_seq, s->portid, dump_cb, &d);
	} while (ret > 0);
	if (ret < 0)
		return errno ? -errno : -EBADMSG;
	return d.interrupted ? -EINTR : 0;
}
