// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds and parses an RTM_GETLINK dump that finds the WireGuard links, without any socket. */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include "rtnl.h"

#define MAX_ERRNO 4095

struct link_ctx {
	const char *name;
	bool wireguard;
};

/* libmnl's mnl_nlmsg_ok casts the 32-bit length to int, which lets a huge length through. */
static int walk_msgs(const void *buf, size_t len, int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	const struct nlmsghdr *nlh = buf;
	int ret = RTNL_MORE;

	while (len) {
		size_t step;

		if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len) {
			ret = -EBADMSG;
			goto out;
		}
		ret = cb(nlh, data);
		if (ret != RTNL_MORE)
			goto out;
		step = ((size_t)nlh->nlmsg_len + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
		if (step >= len)
			break;
		len -= step;
		nlh = (const struct nlmsghdr *)((const char *)nlh + step);
	}
out:
	return ret;
}

static int walk_attrs(const void *payload, size_t len, int (*cb)(const struct nlattr *attr, void *data), void *data)
{
	const struct nlattr *attr = payload;
	int ret = 0;

	if (len > INT32_MAX) {
		ret = -EBADMSG;
		goto out;
	}
	while (len) {
		size_t step;

		if (!mnl_attr_ok(attr, (int)len)) {
			ret = -EBADMSG;
			goto out;
		}
		ret = cb(attr, data);
		if (ret < 0)
			goto out;
		step = MNL_ALIGN(attr->nla_len);
		if (step >= len)
			break;
		len -= step;
		attr = mnl_attr_next(attr);
	}
	ret = 0;
out:
	return ret;
}

static int msg_error(const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	int err;

	if (!len && nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (len < sizeof(err))
		return -EBADMSG;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err > 0 || err < -MAX_ERRNO)
		return -EBADMSG;
	return err;
}

int rtnl_build_getlink_dump(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nlattr *nest;

	if (len < RTNL_REQUEST_LEN)
		return -ENOSPC;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	/* Kernels that know the kind filter only send the WireGuard links; the parser checks anyway. */
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, RTNL_WIREGUARD_KIND);
	mnl_attr_nest_end(nlh, nest);
	return (int)nlh->nlmsg_len;
}

static int linkinfo_attr(const struct nlattr *attr, void *data)
{
	struct link_ctx *ctx = data;
	const char *kind;
	size_t len;

	if (mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return 0;
	if (mnl_attr_validate(attr, MNL_TYPE_STRING) < 0)
		return -EBADMSG;
	kind = mnl_attr_get_payload(attr);
	len = mnl_attr_get_payload_len(attr);
	ctx->wireguard = strnlen(kind, len) == strlen(RTNL_WIREGUARD_KIND) &&
			 !memcmp(kind, RTNL_WIREGUARD_KIND, strlen(RTNL_WIREGUARD_KIND));
	return 0;
}

static int link_attr(const struct nlattr *attr, void *data)
{
	struct link_ctx *ctx = data;

	switch (mnl_attr_get_type(attr)) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 || mnl_attr_get_payload_len(attr) > IFNAMSIZ)
			return -EBADMSG;
		ctx->name = mnl_attr_get_str(attr);
		if (!*ctx->name)
			return -EBADMSG;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return -EBADMSG;
		return walk_attrs(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), linkinfo_attr, ctx);
	}
	return 0;
}

static int link_msg(struct rtnl_dump *dump, const struct nlmsghdr *nlh)
{
	struct link_ctx ctx = { 0 };
	size_t hdrlen = MNL_ALIGN(sizeof(struct ifinfomsg));
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	int ret;

	if (len < hdrlen)
		return -EBADMSG;
	ret = walk_attrs((const char *)mnl_nlmsg_get_payload(nlh) + hdrlen, len - hdrlen, link_attr, &ctx);
	if (ret < 0 || !ctx.wireguard)
		return ret;
	if (!ctx.name)
		return -EBADMSG;
	return strlist_add(&dump->names, ctx.name);
}

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct rtnl_dump *dump = data;
	int ret;

	if (nlh->nlmsg_seq != dump->seq || (dump->portid && nlh->nlmsg_pid != dump->portid))
		return RTNL_MORE;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		dump->interrupted = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		ret = msg_error(nlh);
		/* The kernel never acknowledges a dump it started; an ack ends nothing here. */
		return ret < 0 ? ret : RTNL_MORE;
	case NLMSG_DONE:
		ret = msg_error(nlh);
		if (ret < 0)
			return ret;
		return dump->interrupted ? -EINTR : RTNL_DONE;
	case RTM_NEWLINK:
		if (dump->interrupted)
			return RTNL_MORE;
		ret = link_msg(dump, nlh);
		return ret < 0 ? ret : RTNL_MORE;
	}
	return RTNL_MORE;
}

void rtnl_dump_init(struct rtnl_dump *dump, uint32_t seq, uint32_t portid)
{
	memset(dump, 0, sizeof(*dump));
	dump->seq = seq;
	dump->portid = portid;
	dump->status = RTNL_MORE;
}

int rtnl_dump_feed(struct rtnl_dump *dump, const void *buf, size_t len)
{
	if (dump->status != RTNL_MORE)
		return -EINVAL;
	dump->status = walk_msgs(buf, len, dump_msg, dump);
	return dump->status;
}

void rtnl_dump_free(struct rtnl_dump *dump)
{
	if (!dump)
		return;
	strlist_clear(&dump->names);
}
