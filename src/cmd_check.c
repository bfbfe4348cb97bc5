// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top check: why can't peer A reach peer B through the hub. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include "check.h"
#include "cmd.h"
#include "firewall.h"
#include "i18n.h"

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

int cmd_check(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_input in = { 0 };
	struct check_result r = { 0 };
	struct wg_snapshot *snap = NULL;
	const char *iface = NULL, *config = NULL;
	struct mnl_socket *nl;
	char *ruleset = NULL;
	uint32_t genid;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case ':':
			return cmd_usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
		default:
			return cmd_usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		in.peer_a = argv[optind++];
	if (optind < argc)
		in.peer_b = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(_("unexpected argument '%s'"), argv[optind]);
	if ((ret = cmd_snapshot(&snap, iface, config)))
		return ret;
	in.snap = snap;
	in.now = time(NULL);
	sysctl_forwarding(&in.fwd);
	if (firewall_list(&ruleset, &genid) == 0)
		in.ruleset = ruleset;
	for (size_t d = 0; d < CHECK_MAX_DEVICES; ++d)
		in.rp_filter[d] = d < snap->n_devices ? rp_filter(snap->devices[d]->name) : -1;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl && mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == 0) {
		in.route_oif = route_oif;
		in.route_ctx = nl;
	}
	ret = check_run(&in, &r);
	if (ret == -ENOENT) {
		ret = cmd_error(_("no peer named %s here (a name, a public key or its start, or an address)"), r.unknown);
	} else if (ret < 0) {
		ret = cmd_error("%s", strerror(-ret));
	} else if (!r.n) {
		printf(in.peer_b ? _("nothing found that keeps %s and %s apart\n") :
		       in.peer_a ? _("nothing found that keeps %s from the other peers\n") :
				   _("nothing found that keeps peers apart\n"), in.peer_a, in.peer_b);
		ret = EXIT_SUCCESS;
	} else {
		for (size_t i = 0; i < r.n; ++i)
			if (r.v[i].fix[0])
				printf(_("%s; fix: %s\n"), r.v[i].text, r.v[i].fix);
			else
				printf("%s\n", r.v[i].text);
		ret = EXIT_FAILURE;
	}
	if (nl)
		mnl_socket_close(nl);
	check_result_free(&r);
	free(ruleset);
	wg_snapshot_free(snap);
	return ret;
}
