// SPDX-License-Identifier: GPL-2.0-or-later
/* What `check` judges, gathered from this network namespace: sysctls, the ruleset, routes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include "check_gather.h"
#include "firewall_nft.h"
#include "sysctl.h"

/* The interface the kernel would send to addr through, as `ip route get` says. */
static int route_oif(void *ctx, uint8_t family, const void *addr)
{
	struct mnl_socket *nl = ctx;
	char buf[8192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm;
	struct nlattr *attr;
	uint32_t seq = (uint32_t)time(NULL);
	int oif = -ENETUNREACH;
	ssize_t n;

	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family;
	rtm->rtm_dst_len = family == AF_INET ? 32 : 128;
	mnl_attr_put(nlh, RTA_DST, family == AF_INET ? 4 : 16, addr);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0)
		return -errno;
	nlh = (struct nlmsghdr *)buf;
	if (!mnl_nlmsg_ok(nlh, (int)n))
		return -EBADMSG;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		return e->error ? e->error : -ENETUNREACH;
	}
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_type != RTN_UNICAST && rtm->rtm_type != RTN_LOCAL)
		return -ENETUNREACH;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
		if (mnl_attr_get_type(attr) == RTA_OIF && !mnl_attr_validate(attr, MNL_TYPE_U32))
			oif = (int)mnl_attr_get_u32(attr);
	return oif;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The kernel uses the larger of conf/all and conf/IFACE. */
static int rp_filter(const char *iface)
{
	char path[128];
	int all = read_int("/proc/sys/net/ipv4/conf/all/rp_filter"), one;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", iface);
	one = read_int(path);
	return all > one ? all : one;
}

void check_gather(struct check_input *in, struct check_env *env, const struct wg_snapshot *snap, int64_t now)
{
	uint32_t genid;

	memset(env, 0, sizeof(*env));
	in->snap = snap;
	in->now = now;
	sysctl_forwarding(&in->fwd);
	in->ruleset = firewall_list(&env->ruleset, &genid) == 0 ? env->ruleset : NULL;
	for (size_t d = 0; d < CHECK_MAX_DEVICES; ++d)
		in->rp_filter[d] = d < snap->n_devices ? rp_filter(snap->devices[d]->name) : -1;
	env->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (env->nl && mnl_socket_bind(env->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		mnl_socket_close(env->nl);
		env->nl = NULL;
	}
	if (env->nl) {
		in->route_oif = route_oif;
		in->route_ctx = env->nl;
	}
}

void check_env_free(struct check_env *env)
{
	free(env->ruleset);
	if (env->nl)
		mnl_socket_close(env->nl);
	memset(env, 0, sizeof(*env));
}
