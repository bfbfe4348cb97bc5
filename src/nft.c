// SPDX-License-Identifier: GPL-2.0-or-later
/* nf_tables over netlink: batches framed with the ruleset generation, every ack drained, dumps. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nft.h"

#define NFT_RECV_LEN (256 * 1024)
#define NFT_TIMEOUT_MS 5000

static int batch_room(struct nft_batch *b)
{
	size_t cap;
	char *buf;

	if (b->cap - b->len >= NFT_BATCH_MSG_ROOM)
		return 0;
	cap = b->cap * 2 > b->len + NFT_BATCH_MSG_ROOM ? b->cap * 2 : b->len + NFT_BATCH_MSG_ROOM * 2;
	buf = realloc(b->buf, cap);
	if (!buf)
		return -ENOMEM;
	/* Headers already handed out point into the old buffer; only the pending one may be live. */
	memset(buf + b->len, 0, cap - b->len);
	b->buf = buf;
	b->cap = cap;
	return 0;
}

static void batch_close_pending(struct nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->pending == SIZE_MAX)
		return;
	nlh = (struct nlmsghdr *)(b->buf + b->pending);
	b->len = b->pending + NLMSG_ALIGN(nlh->nlmsg_len);
	b->pending = SIZE_MAX;
}

static struct nlmsghdr *batch_frame(struct nft_batch *b, uint16_t type)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (batch_room(b) < 0)
		return NULL;
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = b->seq_next++;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(NFNL_SUBSYS_NFTABLES);
	return nlh;
}

int nft_batch_init(struct nft_batch *b, uint32_t seq, bool check_genid, uint32_t genid)
{
	struct nlmsghdr *nlh;

	memset(b, 0, sizeof(*b));
	b->pending = SIZE_MAX;
	b->seq_first = seq;
	b->seq_next = seq;
	nlh = batch_frame(b, NFNL_MSG_BATCH_BEGIN);
	if (!nlh)
		return -ENOMEM;
	/* The kernel refuses the whole batch with ERESTART when the ruleset is at another generation. */
	if (check_genid)
		mnl_attr_put_u32(nlh, NFNL_BATCH_GENID, htonl(genid));
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

void nft_batch_free(struct nft_batch *b)
{
	for (uint32_t i = 0; i < b->n_labels; ++i)
		free(b->labels[i]);
	free(b->labels);
	free(b->buf);
	memset(b, 0, sizeof(*b));
	b->pending = SIZE_MAX;
}

static int batch_label(struct nft_batch *b, uint32_t seq, const char *label)
{
	uint32_t i = seq - b->seq_first;
	char **labels;

	if (i >= b->n_labels) {
		labels = realloc(b->labels, (size_t)(i + 1) * sizeof(*labels));
		if (!labels)
			return -ENOMEM;
		memset(labels + b->n_labels, 0, (size_t)(i + 1 - b->n_labels) * sizeof(*labels));
		b->labels = labels;
		b->n_labels = i + 1;
	}
	free(b->labels[i]);
	b->labels[i] = label ? strdup(label) : NULL;
	return label && !b->labels[i] ? -ENOMEM : 0;
}

struct nlmsghdr *nft_batch_add(struct nft_batch *b, uint16_t type, uint16_t family, uint16_t flags,
			       const char *label)
{
	struct nlmsghdr *nlh;

	if (b->ended)
		return NULL;
	batch_close_pending(b);
	if (batch_room(b) < 0 || batch_label(b, b->seq_next, label) < 0)
		return NULL;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags | NLM_F_ACK, b->seq_next++);
	b->pending = b->len;
	b->n_acks++;
	return nlh;
}

int nft_batch_end(struct nft_batch *b, bool commit)
{
	struct nlmsghdr *nlh;

	batch_close_pending(b);
	b->ended = true;
	if (!commit)
		return 0;
	nlh = batch_frame(b, NFNL_MSG_BATCH_END);
	if (!nlh)
		return -ENOMEM;
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	return 0;
}

const char *nft_batch_label(const struct nft_batch *b, uint32_t seq)
{
	uint32_t i = seq - b->seq_first;

	return i < b->n_labels ? b->labels[i] : NULL;
}

const struct nlmsghdr *nft_batch_next(const struct nft_batch *b, const struct nlmsghdr *prev)
{
	const char *p = prev ? (const char *)prev + NLMSG_ALIGN(prev->nlmsg_len) : b->buf;
	size_t end = b->pending == SIZE_MAX ? b->len : b->pending;

	if (p >= b->buf + end)
		return NULL;
	return (const struct nlmsghdr *)p;
}

int nft_parse_acks(const void *buf, size_t len, const struct nft_batch *b, uint32_t portid,
		   struct nft_error *err, nft_echo_cb cb, void *data)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, acks = 0, ret;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		const struct nlmsgerr *e;

		/* mnl_nlmsg_ok casts the length to int, which lets one above INT_MAX through (nlwalk.h). */
		if (nlh->nlmsg_len > (uint32_t)left)
			return -EBADMSG;
		if (portid && nlh->nlmsg_pid && nlh->nlmsg_pid != portid)
			continue;
		if (nlh->nlmsg_seq < b->seq_first || nlh->nlmsg_seq >= b->seq_next)
			continue;
		if (nlh->nlmsg_type != NLMSG_ERROR) {
			if (cb && (ret = cb(nlh, data)) < 0)
				return ret;
			continue;
		}
		if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*e))
			return -EBADMSG;
		e = mnl_nlmsg_get_payload(nlh);
		/* The kernel's errors are below 4096; anything else is no errno to report. */
		if (e->error < -4095 || e->error > 4095)
			return -EBADMSG;
		if (e->error && !err->code) {
			err->code = e->error > 0 ? -e->error : e->error;
			err->seq = nlh->nlmsg_seq;
			err->label = nft_batch_label(b, nlh->nlmsg_seq);
		}
		if (nlh->nlmsg_seq == b->seq_first)
			return (int)b->n_acks;
		acks++;
	}
	return acks;
}

int nft_parse_genid(const struct nlmsghdr *nlh, uint32_t *genid)
{
	struct nlattr *attr;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWGEN || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nfgenmsg))
		return -EBADMSG;
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) != NFTA_GEN_ID)
			continue;
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return -EBADMSG;
		*genid = ntohl(mnl_attr_get_u32(attr));
		return 0;
	}
	return -EBADMSG;
}

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

/* Waits for the next answer: the kernel answers within the send for batches, yet dumps take time. */
static ssize_t sock_recv(struct nft_sock *s)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(s->nl), .events = POLLIN };
	ssize_t n;
	int r;

	r = poll(&pfd, 1, NFT_TIMEOUT_MS);
	if (r < 0)
		return -errno;
	if (!r)
		return -ETIMEDOUT;
	n = mnl_socket_recvfrom(s->nl, s->buf, NFT_RECV_LEN);
	return n < 0 ? -errno : n;
}

int nft_send(struct nft_sock *s, struct nft_batch *b, nft_echo_cb cb, void *data, struct nft_error *err)
{
	int fd = mnl_socket_get_fd(s->nl), want, got = 0, r;
	int size = (int)b->len + 4096;
	ssize_t n;

	memset(err, 0, sizeof(*err));
	batch_close_pending(b);
	/* The whole batch goes in one message; the socket buffer must hold it. */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	size = NFT_RECV_LEN * 4;
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

	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
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
