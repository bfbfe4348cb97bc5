// SPDX-License-Identifier: GPL-2.0-or-later
/* nf_tables messages: batches framed with the ruleset generation, and the kernel's answers parsed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "nft_batch.h"

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

void nft_batch_close_pending(struct nft_batch *b)
{
	struct nlmsghdr *nlh;

	if (b->pending == SIZE_MAX)
		return;
	nlh = (struct nlmsghdr *)(void *)(b->buf + b->pending);
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

void nft_batch_drain(struct nft_batch *b, void (*fn)(const struct nlmsghdr *nlh, void *ctx), void *ctx)
{
	b->drain = fn;
	b->drain_ctx = ctx;
}

/* Every message complete (none is pending): handed over, and the buffer emptied. */
static void drain_complete(struct nft_batch *b)
{
	const struct nlmsghdr *nlh;

	if (!b->drain || b->pending != SIZE_MAX)
		return;
	for (nlh = nft_batch_next(b, NULL); nlh; nlh = nft_batch_next(b, nlh))
		b->drain(nlh, b->drain_ctx);
	/* Zeroed, as a buffer grows: a message's padding is read as zeros (by fingerprints too). */
	memset(b->buf, 0, b->len);
	b->len = 0;
}

struct nlmsghdr *nft_batch_add(struct nft_batch *b, uint16_t type, uint16_t family, uint16_t flags,
			       const char *label)
{
	struct nlmsghdr *nlh;

	if (b->ended)
		return NULL;
	nft_batch_close_pending(b);
	drain_complete(b);
	if (batch_room(b) < 0 || (!b->drain && batch_label(b, b->seq_next, label) < 0))
		return NULL;
	nlh = nftnl_nlmsg_build_hdr(b->buf + b->len, type, family, flags | NLM_F_ACK, b->seq_next++);
	b->pending = b->len;
	b->n_acks++;
	return nlh;
}

int nft_batch_end(struct nft_batch *b, bool commit)
{
	struct nlmsghdr *nlh;

	nft_batch_close_pending(b);
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
	return (const struct nlmsghdr *)(const void *)p;
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

struct nlmsghdr *nft_genid_request(void *buf, uint32_t seq)
{
	return nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
}

struct nftnl_expr *nft_expr_verdict(int verdict, const char *chain)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)verdict);
		if (chain)
			nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
	}
	return e;
}
