// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds and parses an RTM_GETLINK dump that finds the WireGuard links, without any socket. */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include "nlwalk.h"
#include "rtnl.h"


struct link_ctx {
	const char *name;
	bool wireguard;
};

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
		return nlwalk_attrs(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), linkinfo_attr, ctx);
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
	ret = nlwalk_attrs((const char *)mnl_nlmsg_get_payload(nlh) + hdrlen, len - hdrlen, link_attr, &ctx);
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
		ret = nlwalk_msg_error(nlh);
		/* The kernel never acknowledges a dump it started; an ack ends nothing here. */
		return ret < 0 ? ret : RTNL_MORE;
	case NLMSG_DONE:
		ret = nlwalk_msg_error(nlh);
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
	dump->status = nlwalk_msgs(buf, len, dump_msg, dump);
	return dump->status;
}

void rtnl_dump_free(struct rtnl_dump *dump)
{
	if (!dump)
		return;
	strlist_clear(&dump->names);
}
