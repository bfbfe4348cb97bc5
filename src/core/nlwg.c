// SPDX-License-Identifier: GPL-2.0-or-later
/* Builds and parses the messages of WireGuard's generic netlink family, without any socket. */
#include <errno.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>
#include "key.h"
#include "nlwalk.h"
#include "nlwg.h"


struct family_ctx {
	uint32_t seq;
	uint32_t portid;
	uint16_t id;
	bool named;
};

struct peer_ctx {
	struct wg_device *dev;
	struct wg_peer *peer;
	const uint8_t *key;
};

struct allowedip_ctx {
	const struct nlattr *addr;
	uint16_t family;
	uint8_t cidr;
	bool has_family;
	bool has_cidr;
};

static bool msg_is_ours(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid)
{
	return nlh->nlmsg_seq == seq && (!portid || nlh->nlmsg_pid == portid);
}

/* Walks the attributes of a generic netlink message of command cmd; 1 when it is another command. */
static int genl_attrs(const struct nlmsghdr *nlh, uint8_t cmd, int (*cb)(const struct nlattr *attr, void *data), void *data)
{
	const struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
	size_t len = mnl_nlmsg_get_payload_len(nlh);

	if (len < GENL_HDRLEN)
		return -EBADMSG;
	if (genl->cmd != cmd)
		return 1;
	return nlwalk_attrs((const char *)genl + GENL_HDRLEN, len - GENL_HDRLEN, cb, data);
}

/* The error of NLMSG_ERROR, or of NLMSG_DONE where an empty payload means success. */
static struct nlmsghdr *put_genl_header(void *buf, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd,
					 uint8_t version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

int nlwg_build_family_request(void *buf, size_t len, uint32_t seq)
{
	struct nlmsghdr *nlh;

	if (len < NLWG_REQUEST_LEN)
		return -ENOSPC;
	nlh = put_genl_header(buf, GENL_ID_CTRL, NLM_F_REQUEST, seq, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	return (int)nlh->nlmsg_len;
}

int nlwg_build_get_device(void *buf, size_t len, uint16_t family, const char *ifname, uint32_t seq)
{
	struct nlmsghdr *nlh;
	size_t name_len;

	if (len < NLWG_REQUEST_LEN)
		return -ENOSPC;
	name_len = ifname ? strnlen(ifname, IFNAMSIZ) : 0;
	if (!name_len || name_len >= IFNAMSIZ || family < NLMSG_MIN_TYPE)
		return -EINVAL;
	nlh = put_genl_header(buf, family, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP, seq, WG_CMD_GET_DEVICE,
			      WG_GENL_VERSION);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return (int)nlh->nlmsg_len;
}

static int family_attr(const struct nlattr *attr, void *data)
{
	struct family_ctx *ctx = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
			return -EBADMSG;
		ctx->id = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_FAMILY_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		ctx->named = !strcmp(mnl_attr_get_str(attr), WG_GENL_NAME);
		break;
	}
	return 0;
}

static int family_msg(const struct nlmsghdr *nlh, void *data)
{
	struct family_ctx *ctx = data;
	int ret;

	if (!msg_is_ours(nlh, ctx->seq, ctx->portid))
		return NLWG_MORE;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		ret = nlwalk_msg_error(nlh);
		return ret < 0 ? ret : NLWG_MORE;
	case GENL_ID_CTRL:
		break;
	default:
		return NLWG_MORE;
	}
	ctx->id = 0;
	ctx->named = false;
	ret = genl_attrs(nlh, CTRL_CMD_NEWFAMILY, family_attr, ctx);
	if (ret)
		return ret < 0 ? ret : NLWG_MORE;
	if (!ctx->named || ctx->id <= GENL_ID_CTRL)
		return -EBADMSG;
	return NLWG_DONE;
}

int nlwg_parse_family_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, uint16_t *family)
{
	struct family_ctx ctx = { .seq = seq, .portid = portid };
	int ret;

	ret = nlwalk_msgs(buf, len, family_msg, &ctx);
	if (ret == NLWG_DONE)
		*family = ctx.id;
	return ret;
}

static int get_u16(const struct nlattr *attr, uint16_t *v)
{
	return nlwalk_get(attr, v, sizeof(*v)) ? 0 : -EBADMSG;
}

static int get_u32(const struct nlattr *attr, uint32_t *v)
{
	return nlwalk_get(attr, v, sizeof(*v)) ? 0 : -EBADMSG;
}

static int get_u64(const struct nlattr *attr, uint64_t *v)
{
	return nlwalk_get(attr, v, sizeof(*v)) ? 0 : -EBADMSG;
}

static const uint8_t *get_key(const struct nlattr *attr)
{
	return nlwalk_payload_len(attr) == WG_KEY_LEN ? nlwalk_payload(attr) : NULL;
}

static int get_endpoint(const struct nlattr *attr, union wg_endpoint *endpoint)
{
	const void *payload = nlwalk_payload(attr);
	size_t len = nlwalk_payload_len(attr);
	sa_family_t family;

	if (len < sizeof(family))
		return -EBADMSG;
	memcpy(&family, payload, sizeof(family));
	if (family == AF_INET && len == sizeof(endpoint->addr4)) {
		memset(endpoint, 0, sizeof(*endpoint));
		memcpy(&endpoint->addr4, payload, len);
	} else if (family == AF_INET6 && len == sizeof(endpoint->addr6)) {
		memset(endpoint, 0, sizeof(*endpoint));
		memcpy(&endpoint->addr6, payload, len);
	} else {
		return -EBADMSG;
	}
	return 0;
}

static int get_handshake(const struct nlattr *attr, struct wg_peer *peer)
{
	struct __kernel_timespec ts;

	if (!nlwalk_get(attr, &ts, sizeof(ts)))
		return -EBADMSG;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EBADMSG;
	peer->last_handshake_sec = ts.tv_sec;
	peer->last_handshake_nsec = ts.tv_nsec;
	return 0;
}

/*
 * nlwalk_nested, inlined with its callback: each of a peer's attributes, and each of its
 * allowed IPs', is a call through a pointer there, millions in a dump of 100,000 peers.
 */
static inline __attribute__((always_inline)) int walk_nested(const struct nlattr *nest,
							     int (*cb)(const struct nlattr *attr, void *data),
							     void *data)
{
	struct nlwalk_iter it;
	const struct nlattr *attr;
	int ret;

	if ((ret = nlwalk_iter_nested(&it, nest)) < 0)
		return ret;
	while ((ret = nlwalk_next(&it, &attr)) == 0)
		if ((ret = cb(attr, data)) < 0)
			return ret;
	return ret < 0 ? ret : 0;
}

static int allowedip_attr(const struct nlattr *attr, void *data)
{
	struct allowedip_ctx *ctx = data;

	switch (nlwalk_type(attr)) {
	case WGALLOWEDIP_A_FAMILY:
		ctx->has_family = true;
		return get_u16(attr, &ctx->family);
	case WGALLOWEDIP_A_IPADDR:
		ctx->addr = attr;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		if (!nlwalk_get(attr, &ctx->cidr, sizeof(ctx->cidr)))
			return -EBADMSG;
		ctx->has_cidr = true;
		break;
	}
	return 0;
}

static int allowedip_entry(const struct nlattr *attr, void *data)
{
	struct peer_ctx *pc = data;
	struct allowedip_ctx ctx = { 0 };
	struct wg_allowedip aip = { 0 };
	size_t addr_len;
	int ret;

	ret = walk_nested(attr, allowedip_attr, &ctx);
	if (ret < 0)
		goto out;
	ret = -EBADMSG;
	if (!ctx.has_family || !ctx.has_cidr || !ctx.addr)
		goto out;
	addr_len = nlwalk_payload_len(ctx.addr);
	if (ctx.family == AF_INET && addr_len == sizeof(aip.ip4) && ctx.cidr <= 32)
		memcpy(&aip.ip4, nlwalk_payload(ctx.addr), sizeof(aip.ip4));
	else if (ctx.family == AF_INET6 && addr_len == sizeof(aip.ip6) && ctx.cidr <= 128)
		memcpy(&aip.ip6, nlwalk_payload(ctx.addr), sizeof(aip.ip6));
	else
		goto out;
	aip.family = ctx.family;
	aip.cidr = ctx.cidr;
	ret = wg_device_add_allowedip(pc->dev, pc->peer, &aip);
out:
	return ret;
}

static int peer_key_attr(const struct nlattr *attr, void *data)
{
	struct peer_ctx *ctx = data;

	if (nlwalk_type(attr) != WGPEER_A_PUBLIC_KEY)
		return 0;
	ctx->key = get_key(attr);
	return ctx->key ? 0 : -EBADMSG;
}

static int peer_attr(const struct nlattr *attr, void *data)
{
	struct peer_ctx *ctx = data;
	struct wg_peer *peer = ctx->peer;
	const uint8_t *psk;

	switch (nlwalk_type(attr)) {
	case WGPEER_A_PRESHARED_KEY:
		/* Only whether there is one: the kernel sends zeros for none. */
		psk = get_key(attr);
		if (!psk)
			return -EBADMSG;
		peer->has_preshared_key = !key_is_zero(psk);
		break;
	case WGPEER_A_ENDPOINT:
		return get_endpoint(attr, &peer->endpoint);
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		return get_u16(attr, &peer->persistent_keepalive);
	case WGPEER_A_LAST_HANDSHAKE_TIME:
		return get_handshake(attr, peer);
	case WGPEER_A_RX_BYTES:
		return get_u64(attr, &peer->rx_bytes);
	case WGPEER_A_TX_BYTES:
		return get_u64(attr, &peer->tx_bytes);
	case WGPEER_A_ALLOWEDIPS:
		return walk_nested(attr, allowedip_entry, ctx);
	}
	return 0;
}

/*
 * The key comes first so that a peer continued from the previous message (repeating only its
 * key and more allowed IPs) is merged into the one already received: the kernel continues the
 * peer it stopped in, the last one. Any other peer is new, appended without a lookup; the
 * device is indexed once the dump is done (dump_msg), where a key given twice is refused.
 */
static int peer_entry(const struct nlattr *attr, void *data)
{
	struct peer_ctx ctx = { .dev = data };
	struct wg_device *dev = ctx.dev;
	int ret;

	ret = walk_nested(attr, peer_key_attr, &ctx);
	if (ret < 0)
		goto out;
	ret = -EBADMSG;
	if (!ctx.key)
		goto out;
	ret = -ENOMEM;
	if (dev->n_peers && !memcmp(dev->peers[dev->n_peers - 1].public_key, ctx.key, WG_KEY_LEN))
		ctx.peer = &dev->peers[dev->n_peers - 1];
	else
		ctx.peer = wg_device_append_peer(dev, ctx.key);
	if (!ctx.peer)
		goto out;
	ret = walk_nested(attr, peer_attr, &ctx);
out:
	return ret;
}

static int get_ifname(const struct nlattr *attr, char name[IFNAMSIZ])
{
	const char *s;

	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 || mnl_attr_get_payload_len(attr) > IFNAMSIZ)
		return -EBADMSG;
	s = mnl_attr_get_str(attr);
	if (!*s)
		return -EBADMSG;
	memcpy(name, s, strlen(s) + 1);
	return 0;
}

static int device_attr(const struct nlattr *attr, void *data)
{
	struct wg_device *dev = data;
	const uint8_t *key;

	switch (nlwalk_type(attr)) {
	case WGDEVICE_A_IFINDEX:
		return get_u32(attr, &dev->ifindex);
	case WGDEVICE_A_IFNAME:
		return get_ifname(attr, dev->name);
	case WGDEVICE_A_PRIVATE_KEY:
		/* Never looked at: every copy of it would be one more place for it to leak from. */
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		key = get_key(attr);
		if (!key)
			return -EBADMSG;
		memcpy(dev->public_key, key, WG_KEY_LEN);
		dev->has_public_key = true;
		break;
	case WGDEVICE_A_LISTEN_PORT:
		return get_u16(attr, &dev->listen_port);
	case WGDEVICE_A_FWMARK:
		return get_u32(attr, &dev->fwmark);
	case WGDEVICE_A_PEERS:
		return nlwalk_nested(attr, peer_entry, dev);
	}
	return 0;
}

static int dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct nlwg_dump *dump = data;
	int ret;

	if (!msg_is_ours(nlh, dump->seq, dump->portid))
		return NLWG_MORE;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		dump->interrupted = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		ret = nlwalk_msg_error(nlh);
		/* The kernel never acknowledges a dump it started; an ack ends nothing here. */
		return ret < 0 ? ret : NLWG_MORE;
	case NLMSG_DONE:
		ret = nlwalk_msg_error(nlh);
		if (ret < 0)
			return ret;
		if (dump->interrupted)
			return -EINTR;
		/* A peer twice, apart, is no dump the kernel gives: refused, not merged. */
		if ((ret = wg_device_index(dump->dev)) < 0)
			return ret == -EEXIST ? -EBADMSG : ret;
		return NLWG_DONE;
	}
	/* Once interrupted the content is thrown away, so it is not worth parsing. */
	if (nlh->nlmsg_type != dump->family || dump->interrupted)
		return NLWG_MORE;
	ret = genl_attrs(nlh, WG_CMD_GET_DEVICE, device_attr, dump->dev);
	return ret < 0 ? ret : NLWG_MORE;
}

int nlwg_dump_init(struct nlwg_dump *dump, const char *ifname, uint16_t family, uint32_t seq, uint32_t portid)
{
	int ret = 0;

	memset(dump, 0, sizeof(*dump));
	dump->family = family;
	dump->seq = seq;
	dump->portid = portid;
	dump->status = NLWG_MORE;
	if (family < NLMSG_MIN_TYPE) {
		ret = -EINVAL;
		goto out;
	}
	dump->dev = wg_device_new(ifname);
	if (!dump->dev) {
		ret = -ENOMEM;
		goto out;
	}
	dump->dev->backend = WG_BACKEND_KERNEL;
out:
	if (ret < 0)
		dump->status = ret;
	return ret;
}

/* NLWG_DONE at a message that ends the dump as dump_msg takes it; NLWG_MORE otherwise. */
static int end_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct nlwg_dump *dump = data;

	if (!msg_is_ours(nlh, dump->seq, dump->portid))
		return NLWG_MORE;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return NLWG_DONE;
	return nlh->nlmsg_type == NLMSG_ERROR && nlwalk_msg_error(nlh) < 0 ? NLWG_DONE : NLWG_MORE;
}

bool nlwg_dump_ends(const struct nlwg_dump *dump, const void *buf, size_t len)
{
	return nlwalk_msgs(buf, len, end_msg, (void *)dump) != NLWG_MORE;
}

int nlwg_dump_feed(struct nlwg_dump *dump, const void *buf, size_t len)
{
	if (dump->status != NLWG_MORE)
		return -EINVAL;
	dump->status = nlwalk_msgs(buf, len, dump_msg, dump);
	return dump->status;
}

struct wg_device *nlwg_dump_take(struct nlwg_dump *dump)
{
	struct wg_device *dev = NULL;

	if (dump->status == NLWG_DONE) {
		dev = dump->dev;
		dump->dev = NULL;
	}
	return dev;
}

void nlwg_dump_free(struct nlwg_dump *dump)
{
	if (!dump)
		return;
	wg_device_free(dump->dev);
	dump->dev = NULL;
}
