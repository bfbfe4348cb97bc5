// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * wgdump IFACE: the kernel's dump of a WireGuard interface, received and dropped unread; prints
 * "MS ms, N reads, BYTES bytes". The floor under anything that reads every peer of it (a peer
 * add checks the live peers' addresses): the huge_hub test times it beside `peer add`. The
 * same buffer as wgstar-top's reads, 64 KiB; the generic netlink family is looked up first,
 * not timed.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

static char buf[1 << 16];

static int family_id(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID && mnl_attr_get_payload_len(a) == sizeof(uint16_t))
			*(uint16_t *)data = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static struct nlmsghdr *request(uint16_t type, uint16_t flags, unsigned int seq, uint8_t cmd, uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* Every answer to seq until the end: > 0 for reads, -1 on an error, which is printed. */
static long receive(struct mnl_socket *nl, unsigned int seq, mnl_cb_t cb, void *data, size_t *bytes)
{
	unsigned int portid = mnl_socket_get_portid(nl);
	long reads = 0;
	ssize_t n;
	int ret;

	do {
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof(buf))) <= 0) {
			perror("wgdump: recv");
			return -1;
		}
		++reads;
		*bytes += (size_t)n;
		ret = mnl_cb_run(buf, (size_t)n, seq, portid, cb, data);
	} while (ret > 0);
	if (ret < 0) {
		perror("wgdump");
		return -1;
	}
	return reads;
}

int main(int argc, char **argv)
{
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct timespec t0, t1;
	uint16_t family = 0;
	size_t bytes = 0;
	long reads;

	if (argc != 2 || strlen(argv[1]) >= 16) {
		fprintf(stderr, "usage: wgdump IFACE\n");
		return 2;
	}
	if (!(nl = mnl_socket_open(NETLINK_GENERIC)) || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("wgdump: netlink");
		return 1;
	}
	nlh = request(GENL_ID_CTRL, 0, 1, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 || receive(nl, 1, family_id, &family, &bytes) < 0 ||
	    !family) {
		fprintf(stderr, "wgdump: no %s generic netlink family\n", WG_GENL_NAME);
		return 1;
	}
	bytes = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	nlh = request(family, NLM_F_DUMP, 2, WG_CMD_GET_DEVICE, WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, argv[1]);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0 || (reads = receive(nl, 2, NULL, NULL, &bytes)) < 0)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.0f ms, %ld reads, %zu bytes\n",
	       (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6, reads, bytes);
	mnl_socket_close(nl);
	return 0;
}
