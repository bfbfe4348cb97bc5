// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds the requests that change peers, for the kernel and for the UAPI daemons, without any socket. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include "key.h"
#include "nlwalk.h"
#include "nlwg.h"
#include "wgset.h"

/*
 * A netlink attribute counts its length in 16 bits, and the peers nest spans nearly the
 * whole message: a longer message would wrap that length and be read as garbage.
 */
#define WGSET_NL_MAX_LEN 65535

/*
 * The longest text one change can take besides its allowed IPs, and one allowed IP: every
 * line at its longest (an IPv6 endpoint with a 10-digit zone, a 5-digit port), rounded up.
 */
#define UAPI_CHANGE_MAX 512
#define UAPI_ALLOWEDIP_MAX 64
#define UAPI_FRAME_MAX 16		/* "set=1\n", the closing "\n" and the NUL */

static bool allowedip_ok(const struct wg_allowedip *aip)
{
	return (aip->family == AF_INET && aip->cidr <= 32) || (aip->family == AF_INET6 && aip->cidr <= 128);
}

static bool endpoint_ok(const union wg_endpoint *ep)
{
	return ep->addr.sa_family == AF_INET || ep->addr.sa_family == AF_INET6;
}

int wgset_validate(const struct wg_peer_change *c, size_t n)
{
	if (n && !c)
		return -EINVAL;
	for (size_t i = 0; i < n; ++i) {
		/* A removal says nothing else, so nothing else can be wrong with it. */
		if (c[i].remove)
			continue;
		if (c[i].n_allowedips && !c[i].allowedips)
			return -EINVAL;
		for (size_t j = 0; j < c[i].n_allowedips; ++j)
			if (!allowedip_ok(&c[i].allowedips[j]))
				return -EINVAL;
		if (c[i].endpoint && !endpoint_ok(c[i].endpoint))
			return -EINVAL;
	}
	return 0;
}

int wgset_nl_init(struct wgset_nl_iter *it, const char *ifname, uint16_t family, const struct wg_peer_change *c,
		  size_t n)
{
	size_t name_len = ifname ? strnlen(ifname, IFNAMSIZ) : 0;
	int ret;

	memset(it, 0, sizeof(*it));
	/* Finished from the start, so that a caller ignoring the error sends nothing. */
	it->done = true;
	if (!name_len || name_len >= IFNAMSIZ || family < NLMSG_MIN_TYPE)
		return -EINVAL;
	ret = wgset_validate(c, n);
	if (ret < 0)
		return ret;
	memcpy(it->ifname, ifname, name_len + 1);
	it->family = family;
	it->changes = c;
	it->n = n;
	it->done = false;
	return 0;
}

static bool put_allowedip(struct nlmsghdr *nlh, size_t len, const struct wg_allowedip *aip)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, len, 0);
	const void *addr = aip->family == AF_INET6 ? (const void *)&aip->ip6 : (const void *)&aip->ip4;
	size_t addr_len = aip->family == AF_INET6 ? sizeof(aip->ip6) : sizeof(aip->ip4);

	if (!nest)
		return false;
	if (!mnl_attr_put_u16_check(nlh, len, WGALLOWEDIP_A_FAMILY, aip->family) ||
	    !mnl_attr_put_check(nlh, len, WGALLOWEDIP_A_IPADDR, addr_len, addr) ||
	    !mnl_attr_put_u8_check(nlh, len, WGALLOWEDIP_A_CIDR_MASK, aip->cidr)) {
		mnl_attr_nest_cancel(nlh, nest);
		return false;
	}
	mnl_attr_nest_end(nlh, nest);
	return true;
}

/*
 * The public key and flags, and in a peer's first part what else it sets. A continuation
 * neither replaces the allowed IPs again (that would drop those the first part added) nor
 * may create the peer.
 */
static bool put_peer_head(struct nlmsghdr *nlh, size_t len, const struct wg_peer_change *c, bool continuing)
{
	const union wg_endpoint *ep = c->endpoint;
	uint32_t flags = 0;

	if (c->remove) {
		flags = WGPEER_F_REMOVE_ME;
	} else if (continuing) {
		flags = WGPEER_F_UPDATE_ONLY;
	} else {
		if (c->update_only)
			flags |= WGPEER_F_UPDATE_ONLY;
		if (c->replace_allowedips)
			flags |= WGPEER_F_REPLACE_ALLOWEDIPS;
	}
	if (!mnl_attr_put_check(nlh, len, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, c->public_key))
		return false;
	if (flags && !mnl_attr_put_u32_check(nlh, len, WGPEER_A_FLAGS, flags))
		return false;
	if (c->remove || continuing)
		return true;
	if (c->set_preshared_key &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_PRESHARED_KEY, WG_KEY_LEN, c->preshared_key))
		return false;
	if (ep && ep->addr.sa_family == AF_INET &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT, sizeof(ep->addr4), &ep->addr4))
		return false;
	if (ep && ep->addr.sa_family == AF_INET6 &&
	    !mnl_attr_put_check(nlh, len, WGPEER_A_ENDPOINT, sizeof(ep->addr6), &ep->addr6))
		return false;
	if (c->set_keepalive &&
	    !mnl_attr_put_u16_check(nlh, len, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, c->keepalive))
		return false;
	return true;
}

/* Writes allowed IPs from *next on while they fit; true once the peer has none left. */
static bool put_allowedips(struct nlmsghdr *nlh, size_t len, const struct wg_peer_change *c, size_t *next)
{
	size_t first = *next;
	struct nlattr *nest;

	if (c->remove || *next == c->n_allowedips)
		return true;
	nest = mnl_attr_nest_start_check(nlh, len, WGPEER_A_ALLOWEDIPS);
	if (!nest)
		return false;
	while (*next < c->n_allowedips && put_allowedip(nlh, len, &c->allowedips[*next]))
		++*next;
	if (*next > first)
		mnl_attr_nest_end(nlh, nest);
	else
		mnl_attr_nest_cancel(nlh, nest);
	return *next == c->n_allowedips;
}

int wgset_nl_next(struct wgset_nl_iter *it, void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;
	struct nlattr *peers;
	bool wrote = false;

	if (it->done)
		return 0;
	if (len < WGSET_NL_MIN_LEN)
		return -ENOSPC;
	if (len > WGSET_NL_MAX_LEN)
		len = WGSET_NL_MAX_LEN;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = it->family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = WG_CMD_SET_DEVICE;
	genl->version = WG_GENL_VERSION;
	/* WGSET_NL_MIN_LEN leaves room for these and for any one peer's first part with an allowed IP. */
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, it->ifname);
	if (!it->n) {
		it->done = true;
		return (int)nlh->nlmsg_len;
	}
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	while (it->peer < it->n) {
		const struct wg_peer_change *c = &it->changes[it->peer];
		struct nlattr *nest = mnl_attr_nest_start_check(nlh, len, 0);
		size_t next = it->aip;
		bool complete;

		if (!nest || !put_peer_head(nlh, len, c, it->continuing)) {
			if (nest)
				mnl_attr_nest_cancel(nlh, nest);
			break;
		}
		complete = put_allowedips(nlh, len, c, &next);
		/*
		 * wg(8) splits whatever reaches the end of the buffer. A peer is split here only
		 * when it does not fit a message of its own: moved whole to the next message it
		 * may, and it is then never seen half-configured.
		 */
		if (!complete && wrote) {
			mnl_attr_nest_cancel(nlh, nest);
			break;
		}
		mnl_attr_nest_end(nlh, nest);
		wrote = true;
		if (!complete) {
			it->aip = next;
			it->continuing = true;
			break;
		}
		++it->peer;
		it->aip = 0;
		it->continuing = false;
	}
	/* Not reached with WGSET_NL_MIN_LEN, but an empty message would loop for ever. */
	if (!wrote)
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, peers);
	if (it->peer == it->n)
		it->done = true;
	return (int)nlh->nlmsg_len;
}

struct ack_ctx {
	uint32_t seq;
	uint32_t portid;
};

static int ack_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct ack_ctx *ctx = data;

	if (nlh->nlmsg_seq != ctx->seq || (ctx->portid && nlh->nlmsg_pid != ctx->portid))
		return NLWALK_MORE;
	if (nlh->nlmsg_type != NLMSG_ERROR)
		return NLWALK_MORE;
	return nlwalk_msg_error(nlh);
}

int wgset_nl_parse_ack(const void *buf, size_t len, uint32_t seq, uint32_t portid)
{
	struct ack_ctx ctx = { .seq = seq, .portid = portid };
	int ret;

	ret = nlwalk_msgs(buf, len, ack_msg, &ctx);
	return ret == NLWALK_MORE ? NLWG_MORE : ret;
}

struct text {
	char *buf;
	size_t len;
	size_t cap;
};

/* Appends to a buffer sized beforehand; -EOVERFLOW would mean the bounds above are wrong. */
__attribute__((format(printf, 2, 3)))
static int put_text(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		return -EOVERFLOW;
	t->len += (size_t)n;
	return 0;
}

static int put_hex_line(struct text *t, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char hex[WG_KEY_HEX_LEN];
	int ret;

	key_to_hex(hex, key);
	ret = put_text(t, "%s=%s\n", name, hex);
	key_wipe(hex, sizeof(hex));
	return ret;
}

/* Numeric only, the form the daemons parse: a.b.c.d:port, [v6]:port, [v6%scope]:port. */
static int put_endpoint(struct text *t, const union wg_endpoint *ep)
{
	char host[INET6_ADDRSTRLEN];

	if (ep->addr.sa_family == AF_INET) {
		if (!inet_ntop(AF_INET, &ep->addr4.sin_addr, host, sizeof(host)))
			return -errno;
		return put_text(t, "endpoint=%s:%u\n", host, (unsigned int)ntohs(ep->addr4.sin_port));
	}
	if (!inet_ntop(AF_INET6, &ep->addr6.sin6_addr, host, sizeof(host)))
		return -errno;
	if (ep->addr6.sin6_scope_id)
		return put_text(t, "endpoint=[%s%%%u]:%u\n", host, (unsigned int)ep->addr6.sin6_scope_id,
				(unsigned int)ntohs(ep->addr6.sin6_port));
	return put_text(t, "endpoint=[%s]:%u\n", host, (unsigned int)ntohs(ep->addr6.sin6_port));
}

static int put_allowedip_line(struct text *t, const struct wg_allowedip *aip)
{
	char addr[INET6_ADDRSTRLEN];

	if (!inet_ntop(aip->family, aip->family == AF_INET6 ? (const void *)&aip->ip6 : (const void *)&aip->ip4,
		       addr, sizeof(addr)))
		return -errno;
	return put_text(t, "allowed_ip=%s/%u\n", addr, (unsigned int)aip->cidr);
}

/*
 * One peer in the order the daemons need: update_only directly after public_key, because
 * wireguard-go creates the peer on public_key and takes it back only when update_only comes
 * before anything is set on it; replace_allowed_ips before the allowed IPs it clears.
 */
static int put_change(struct text *t, const struct wg_peer_change *c)
{
	int ret;

	ret = put_hex_line(t, "public_key", c->public_key);
	if (ret < 0)
		return ret;
	if (c->remove)
		return put_text(t, "remove=true\n");
	if (c->update_only) {
		ret = put_text(t, "update_only=true\n");
		if (ret < 0)
			return ret;
	}
	if (c->set_preshared_key) {
		ret = put_hex_line(t, "preshared_key", c->preshared_key);
		if (ret < 0)
			return ret;
	}
	if (c->endpoint) {
		ret = put_endpoint(t, c->endpoint);
		if (ret < 0)
			return ret;
	}
	if (c->set_keepalive) {
		ret = put_text(t, "persistent_keepalive_interval=%u\n", (unsigned int)c->keepalive);
		if (ret < 0)
			return ret;
	}
	if (c->replace_allowedips) {
		ret = put_text(t, "replace_allowed_ips=true\n");
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < c->n_allowedips; ++i) {
		ret = put_allowedip_line(t, &c->allowedips[i]);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The most the request can take, or 0 when that does not fit a size_t. */
static size_t request_bound(const struct wg_peer_change *c, size_t n)
{
	size_t total = UAPI_FRAME_MAX;

	for (size_t i = 0; i < n; ++i) {
		size_t aips = c[i].remove ? 0 : c[i].n_allowedips;

		if (aips > (SIZE_MAX - total - UAPI_CHANGE_MAX) / UAPI_ALLOWEDIP_MAX)
			return 0;
		total += UAPI_CHANGE_MAX + aips * UAPI_ALLOWEDIP_MAX;
	}
	return total;
}

char *wgset_uapi_request(const struct wg_peer_change *c, size_t n)
{
	struct text t = { 0 };
	int ret;

	ret = wgset_validate(c, n);
	if (ret < 0)
		goto out;
	t.cap = request_bound(c, n);
	ret = -ENOMEM;
	if (!t.cap)
		goto out;
	t.buf = malloc(t.cap);
	if (!t.buf)
		goto out;
	ret = put_text(&t, "set=1\n");
	for (size_t i = 0; i < n && !ret; ++i)
		ret = put_change(&t, &c[i]);
	if (!ret)
		ret = put_text(&t, "\n");
out:
	if (ret < 0) {
		if (t.buf) {
			key_wipe(t.buf, t.cap);
			free(t.buf);
		}
		errno = -ret;
		return NULL;
	}
	return t.buf;
}

void wgset_uapi_free(char *req)
{
	if (!req)
		return;
	key_wipe(req, strlen(req));
	free(req);
}
