/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds netlink messages into a buffer with libmnl, for tests that parse them back. */
#ifndef WGSTAR_NLBUILD_H
#define WGSTAR_NLBUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include "model.h"

/* What one recv may return: whole messages one after another. */
struct nlb {
	char *buf;
	size_t len;
	size_t cap;
	struct nlmsghdr *cur;
};

static inline int nlb_init(struct nlb *b, size_t cap)
{
	b->buf = calloc(1, cap);
	b->len = 0;
	b->cap = cap;
	b->cur = NULL;
	return b->buf ? 0 : -1;
}

static inline void nlb_free(struct nlb *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

static inline void nlb_reset(struct nlb *b)
{
	memset(b->buf, 0, b->cap);
	b->len = 0;
	b->cur = NULL;
}

/* Room left for the message being built, as the *_check helpers of libmnl want it. */
static inline size_t nlb_room(const struct nlb *b)
{
	return b->cap - b->len;
}

static inline struct nlmsghdr *nlb_msg(struct nlb *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t portid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_pid = portid;
	b->cur = nlh;
	return nlh;
}

static inline struct nlmsghdr *nlb_genl(struct nlb *b, uint16_t family, uint16_t flags, uint32_t seq, uint32_t portid,
					uint8_t cmd)
{
	struct nlmsghdr *nlh = nlb_msg(b, family, flags, seq, portid);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));

	genl->cmd = cmd;
	genl->version = 1;
	return nlh;
}

/* Appends the message being built to the buffer. */
static inline void nlb_end(struct nlb *b)
{
	b->len += MNL_ALIGN(b->cur->nlmsg_len);
	b->cur = NULL;
}

static inline void nlb_done(struct nlb *b, uint32_t seq, uint32_t portid, int error, uint16_t flags)
{
	struct nlmsghdr *nlh = nlb_msg(b, NLMSG_DONE, NLM_F_MULTI | flags, seq, portid);
	int *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	*err = error;
	nlb_end(b);
}

static inline void nlb_error(struct nlb *b, uint32_t seq, uint32_t portid, int error)
{
	struct nlmsghdr *nlh = nlb_msg(b, NLMSG_ERROR, 0, seq, portid);
	struct nlmsgerr *e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));

	e->error = error;
	e->msg.nlmsg_len = sizeof(e->msg);
	e->msg.nlmsg_seq = seq;
	e->msg.nlmsg_pid = portid;
	nlb_end(b);
}

/* A key that is a function of seed (xorshift), so no two seeds share a run of bytes. */
static inline void nlb_key(uint8_t key[WG_KEY_LEN], unsigned int seed)
{
	uint32_t x = seed * 0x9e3779b9u + 0x7f4a7c15u;

	if (!x)
		x = 1;
	for (unsigned int i = 0; i < WG_KEY_LEN; ++i) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		key[i] = (uint8_t)(x >> 24);
	}
}

static inline struct wg_allowedip nlb_aip(int family, const char *addr, uint8_t cidr)
{
	struct wg_allowedip aip = { .family = (uint16_t)family, .cidr = cidr };

	inet_pton(family, addr, family == AF_INET6 ? (void *)&aip.ip6 : (void *)&aip.ip4);
	return aip;
}

static inline void nlb_endpoint(union wg_endpoint *ep, int family, const char *addr, uint16_t port)
{
	memset(ep, 0, sizeof(*ep));
	if (family == AF_INET) {
		ep->addr4.sin_family = AF_INET;
		ep->addr4.sin_port = htons(port);
		inet_pton(AF_INET, addr, &ep->addr4.sin_addr);
	} else if (family == AF_INET6) {
		ep->addr6.sin6_family = AF_INET6;
		ep->addr6.sin6_port = htons(port);
		inet_pton(AF_INET6, addr, &ep->addr6.sin6_addr);
	} else {
		ep->addr.sa_family = AF_UNSPEC;
	}
}

/* One allowed IP the way the kernel writes it: mask, family, address. false when out of room. */
static inline bool nlb_put_allowedip(struct nlmsghdr *nlh, size_t room, const struct wg_allowedip *aip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, room, 0);
	size_t alen = aip->family == AF_INET6 ? sizeof(aip->ip6) : sizeof(aip->ip4);

	if (!nest)
		return false;
	if (!mnl_attr_put_u8_check(nlh, room, WGALLOWEDIP_A_CIDR_MASK, aip->cidr) ||
	    !mnl_attr_put_u16_check(nlh, room, WGALLOWEDIP_A_FAMILY, aip->family) ||
	    !mnl_attr_put_check(nlh, room, WGALLOWEDIP_A_IPADDR, alen, &aip->ip6)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/* The attributes of a peer that only its first message carries. false when out of room. */
static inline bool nlb_put_peer_head(struct nlmsghdr *nlh, size_t room, const struct wg_peer *p, const uint8_t *psk)
{
	static const uint8_t zero[WG_KEY_LEN];
	struct __kernel_timespec ts = { .tv_sec = p->last_handshake_sec, .tv_nsec = p->last_handshake_nsec };

	if (!mnl_attr_put_check(nlh, room, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, psk ? psk : zero) ||
	    !mnl_attr_put_check(nlh, room, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts) ||
	    !mnl_attr_put_u16_check(nlh, room, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, p->persistent_keepalive) ||
	    !mnl_attr_put_u64_check(nlh, room, WGPEER_A_TX_BYTES, p->tx_bytes) ||
	    !mnl_attr_put_u64_check(nlh, room, WGPEER_A_RX_BYTES, p->rx_bytes) ||
	    !mnl_attr_put_u32_check(nlh, room, WGPEER_A_PROTOCOL_VERSION, 1))
		return false;
	if (p->endpoint.addr.sa_family == AF_INET)
		return mnl_attr_put_check(nlh, room, WGPEER_A_ENDPOINT, sizeof(p->endpoint.addr4), &p->endpoint.addr4);
	if (p->endpoint.addr.sa_family == AF_INET6)
		return mnl_attr_put_check(nlh, room, WGPEER_A_ENDPOINT, sizeof(p->endpoint.addr6), &p->endpoint.addr6);
	return true;
}

/* The device attributes that only the first message carries. */
static inline bool nlb_put_device_head(struct nlmsghdr *nlh, size_t room, const struct wg_device *dev,
				       const uint8_t *private_key)
{
	if (!mnl_attr_put_u16_check(nlh, room, WGDEVICE_A_LISTEN_PORT, dev->listen_port) ||
	    !mnl_attr_put_u32_check(nlh, room, WGDEVICE_A_FWMARK, dev->fwmark) ||
	    !mnl_attr_put_u32_check(nlh, room, WGDEVICE_A_IFINDEX, dev->ifindex) ||
	    !mnl_attr_put_strz_check(nlh, room, WGDEVICE_A_IFNAME, dev->name))
		return false;
	if (!dev->has_public_key)
		return true;
	return mnl_attr_put_check(nlh, room, WGDEVICE_A_PRIVATE_KEY, WG_KEY_LEN, private_key) &&
	       mnl_attr_put_check(nlh, room, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN, dev->public_key);
}

/*
 * Writes the whole WG_CMD_GET_DEVICE dump of dev into b the way the kernel's dumpit does, no
 * message longer than max_msg: device attributes while no peer has been completed, peers
 * carried on in the next message, a peer whose allowed IPs overflow repeated with only its key
 * and the rest of them. psks[i] is peer i's preshared key or NULL. Then NLMSG_DONE, sharing the
 * last buffer when it fits as netlink_dump() does. ends[] (max_ends entries) receives the end
 * offset of every recv buffer, *n_ends their number. false when something does not fit.
 */
static inline bool nlb_wg_dump(struct nlb *b, const struct wg_device *dev, const uint8_t *private_key,
			       const uint8_t *const *psks, uint16_t family, uint32_t seq, uint32_t portid, size_t max_msg,
			       size_t *ends, size_t max_ends, size_t *n_ends)
{
	uint32_t done_peers = 0, next_aip = 0;
	bool continuing = false, full = true;

	*n_ends = 0;
	while (full) {
		size_t start = b->len, room = nlb_room(b) < max_msg ? nlb_room(b) : max_msg;
		uint32_t was_done = done_peers, was_aip = next_aip;
		bool was_continuing = continuing;
		struct nlmsghdr *nlh;
		struct nlattr *peers;

		full = false;
		if (room < 64 || *n_ends + 2 > max_ends)
			return false;
		nlh = nlb_genl(b, family, NLM_F_MULTI, seq, portid, WG_CMD_GET_DEVICE);
		if (!done_peers && !nlb_put_device_head(nlh, room, dev, private_key))
			return false;
		peers = mnl_attr_nest_start_check(nlh, room, WGDEVICE_A_PEERS);
		if (!peers)
			return false;
		for (uint32_t i = done_peers; i < dev->n_peers && !full; ++i) {
			const struct wg_peer *p = &dev->peers[i];
			struct nlattr *pn = mnl_attr_nest_start_check(nlh, room, 0), *an = NULL;

			if (!pn || !mnl_attr_put_check(nlh, room, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, p->public_key) ||
			    (!continuing && !nlb_put_peer_head(nlh, room, p, psks ? psks[i] : NULL)) ||
			    (next_aip < p->n_allowedips &&
			     !(an = mnl_attr_nest_start_check(nlh, room, WGPEER_A_ALLOWEDIPS)))) {
				if (pn)
					mnl_attr_nest_cancel(nlh, pn);
				full = true;
				break;
			}
			for (; an && next_aip < p->n_allowedips; ++next_aip) {
				if (!nlb_put_allowedip(nlh, room, &p->allowedips[next_aip])) {
					full = true;
					continuing = true;
					break;
				}
			}
			if (an)
				mnl_attr_nest_end(nlh, an);
			mnl_attr_nest_end(nlh, pn);
			if (!full) {
				done_peers = i + 1;
				continuing = false;
				next_aip = 0;
			}
		}
		if (dev->n_peers)
			mnl_attr_nest_end(nlh, peers);
		else
			mnl_attr_nest_cancel(nlh, peers);
		nlb_end(b);
		if (full && done_peers == was_done && next_aip == was_aip && continuing == was_continuing)
			return false;
		if (full || b->len - start + NLMSG_SPACE(sizeof(int)) > max_msg)
			ends[(*n_ends)++] = b->len;
	}
	if (nlb_room(b) < NLMSG_SPACE(sizeof(int)))
		return false;
	nlb_done(b, seq, portid, 0, 0);
	ends[(*n_ends)++] = b->len;
	return true;
}

/* One RTM_NEWLINK as the kernel sends it in a dump; kind NULL for a link without IFLA_LINKINFO. */
static inline void nlb_link(struct nlb *b, uint32_t seq, uint32_t portid, int ifindex, const char *name, const char *kind)
{
	struct nlmsghdr *nlh = nlb_msg(b, RTM_NEWLINK, NLM_F_MULTI, seq, portid);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1420);
	if (kind) {
		struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);

		mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
		mnl_attr_nest_end(nlh, info);
	}
	mnl_attr_put_strz(nlh, IFLA_QDISC, "noqueue");
	nlb_end(b);
}

#endif
