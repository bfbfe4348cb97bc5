// SPDX-License-Identifier: GPL-2.0-or-later
/* The peer-changing requests: netlink messages parsed back with libmnl, UAPI text compared whole. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "key.h"
#include "nlbuild.h"
#include "nlwg.h"
#include "wgset.h"

#define FAMILY 0x1b
#define SEQ 0x5eed
#define PORTID 4242
#define IFNAME "wgst0-hub"
#define MAX_PEERS 512
#define MAX_AIPS 8192

#define PEER_HEX "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define PEER2_HEX "0202020202020202020202020202020202020202020202020202020202020202"
#define PSK_HEX "5a17e3c90b4d6a28f1e0c7b35d9a4e6108f2b7c4a3d5e9f1c0b8a7d6e5f4c3b2"
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"

struct got_aip {
	uint16_t family;
	uint8_t cidr;
	uint8_t addr[16];
	size_t addr_len;
	unsigned int seen;		/* bit per attribute type */
};

struct got_peer {
	unsigned int seen;		/* bit per attribute type */
	uint8_t key[WG_KEY_LEN];
	uint32_t flags;
	uint8_t psk[WG_KEY_LEN];
	uint8_t endpoint[sizeof(struct sockaddr_in6)];
	size_t endpoint_len;
	uint16_t keepalive;
	struct got_aip *aips;
	size_t n_aips;
	int empty_aip_nests;
};

struct got_msg {
	uint16_t type;
	uint16_t flags;
	uint32_t seq;
	uint8_t cmd;
	uint8_t version;
	unsigned int seen;		/* bit per device attribute type */
	char ifname[IFNAMSIZ];
	struct got_peer peers[MAX_PEERS];
	size_t n_peers;
};

static struct got_msg *got_new(void)
{
	struct got_msg *m = calloc(1, sizeof(*m));

	assert_non_null(m);
	return m;
}

static void got_free(struct got_msg *m)
{
	for (size_t i = 0; i < m->n_peers; ++i)
		free(m->peers[i].aips);
	free(m);
}

static int aip_attr(const struct nlattr *attr, void *data)
{
	struct got_aip *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	assert_true(type <= WGALLOWEDIP_A_MAX && type != WGALLOWEDIP_A_UNSPEC);
	assert_false(a->seen & (1u << type));
	a->seen |= 1u << type;
	switch (type) {
	case WGALLOWEDIP_A_FAMILY:
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U16), 0);
		a->family = mnl_attr_get_u16(attr);
		break;
	case WGALLOWEDIP_A_IPADDR:
		a->addr_len = mnl_attr_get_payload_len(attr);
		assert_true(a->addr_len == 4 || a->addr_len == 16);
		memcpy(a->addr, mnl_attr_get_payload(attr), a->addr_len);
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U8), 0);
		a->cidr = mnl_attr_get_u8(attr);
		break;
	}
	return MNL_CB_OK;
}

static int aip_entry(const struct nlattr *attr, void *data)
{
	struct got_peer *p = data;

	assert_true(p->n_aips < MAX_AIPS);
	assert_int_equal(mnl_attr_get_type(attr), 0);
	assert_int_equal(mnl_attr_parse_nested(attr, aip_attr, &p->aips[p->n_aips]), MNL_CB_OK);
	p->n_aips++;
	return MNL_CB_OK;
}

static int peer_attr(const struct nlattr *attr, void *data)
{
	struct got_peer *p = data;
	uint16_t type = mnl_attr_get_type(attr);

	assert_true(type <= WGPEER_A_MAX && type != WGPEER_A_UNSPEC);
	assert_false(p->seen & (1u << type));
	p->seen |= 1u << type;
	switch (type) {
	case WGPEER_A_PUBLIC_KEY:
		assert_int_equal(mnl_attr_validate2(attr, MNL_TYPE_BINARY, WG_KEY_LEN), 0);
		memcpy(p->key, mnl_attr_get_payload(attr), WG_KEY_LEN);
		break;
	case WGPEER_A_FLAGS:
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U32), 0);
		p->flags = mnl_attr_get_u32(attr);
		break;
	case WGPEER_A_PRESHARED_KEY:
		assert_int_equal(mnl_attr_validate2(attr, MNL_TYPE_BINARY, WG_KEY_LEN), 0);
		memcpy(p->psk, mnl_attr_get_payload(attr), WG_KEY_LEN);
		break;
	case WGPEER_A_ENDPOINT:
		p->endpoint_len = mnl_attr_get_payload_len(attr);
		assert_true(p->endpoint_len <= sizeof(p->endpoint));
		memcpy(p->endpoint, mnl_attr_get_payload(attr), p->endpoint_len);
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_U16), 0);
		p->keepalive = mnl_attr_get_u16(attr);
		break;
	case WGPEER_A_ALLOWEDIPS:
		if (!mnl_attr_get_payload_len(attr))
			p->empty_aip_nests++;
		assert_int_equal(mnl_attr_parse_nested(attr, aip_entry, p), MNL_CB_OK);
		break;
	default:
		fail_msg("a peer attribute a request has no business sending: %u", type);
	}
	return MNL_CB_OK;
}

static int peer_entry(const struct nlattr *attr, void *data)
{
	struct got_msg *m = data;
	struct got_peer *p;

	assert_true(m->n_peers < MAX_PEERS);
	assert_int_equal(mnl_attr_get_type(attr), 0);
	p = &m->peers[m->n_peers++];
	p->aips = calloc(MAX_AIPS, sizeof(*p->aips));
	assert_non_null(p->aips);
	assert_int_equal(mnl_attr_parse_nested(attr, peer_attr, p), MNL_CB_OK);
	return MNL_CB_OK;
}

static int device_attr(const struct nlattr *attr, void *data)
{
	struct got_msg *m = data;
	uint16_t type = mnl_attr_get_type(attr);

	assert_true(type <= WGDEVICE_A_MAX);
	assert_false(m->seen & (1u << type));
	m->seen |= 1u << type;
	switch (type) {
	case WGDEVICE_A_IFNAME:
		assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_NUL_STRING), 0);
		assert_true(strlen(mnl_attr_get_str(attr)) < IFNAMSIZ);
		strcpy(m->ifname, mnl_attr_get_str(attr));
		break;
	case WGDEVICE_A_PEERS:
		assert_int_equal(mnl_attr_parse_nested(attr, peer_entry, m), MNL_CB_OK);
		break;
	default:
		fail_msg("a device attribute a peer change has no business sending: %u", type);
	}
	return MNL_CB_OK;
}

/* Parses one whole message of len bytes, checking every length on the way. */
static struct got_msg *parse_msg(const void *buf, int len)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *genl;
	struct got_msg *m = got_new();

	assert_true(len > 0);
	assert_true(mnl_nlmsg_ok(nlh, len));
	assert_int_equal(nlh->nlmsg_len, len);
	m->type = nlh->nlmsg_type;
	m->flags = nlh->nlmsg_flags;
	m->seq = nlh->nlmsg_seq;
	assert_int_equal(nlh->nlmsg_pid, 0);
	assert_true(mnl_nlmsg_get_payload_len(nlh) >= GENL_HDRLEN);
	genl = mnl_nlmsg_get_payload(nlh);
	m->cmd = genl->cmd;
	m->version = genl->version;
	assert_int_equal(genl->reserved, 0);
	assert_int_equal(mnl_attr_parse(nlh, GENL_HDRLEN, device_attr, m), MNL_CB_OK);
	return m;
}

static void assert_header(const struct got_msg *m, uint32_t seq)
{
	assert_int_equal(m->type, FAMILY);
	assert_int_equal(m->flags, NLM_F_REQUEST | NLM_F_ACK);
	assert_int_equal(m->seq, seq);
	assert_int_equal(m->cmd, WG_CMD_SET_DEVICE);
	assert_int_equal(m->version, WG_GENL_VERSION);
	assert_string_equal(m->ifname, IFNAME);
}

static void assert_aip(const struct got_aip *got, const struct wg_allowedip *want)
{
	assert_int_equal(got->seen, (1u << WGALLOWEDIP_A_FAMILY) | (1u << WGALLOWEDIP_A_IPADDR) |
					    (1u << WGALLOWEDIP_A_CIDR_MASK));
	assert_int_equal(got->family, want->family);
	assert_int_equal(got->cidr, want->cidr);
	if (want->family == AF_INET) {
		assert_int_equal(got->addr_len, 4);
		assert_memory_equal(got->addr, &want->ip4, 4);
	} else {
		assert_int_equal(got->addr_len, 16);
		assert_memory_equal(got->addr, &want->ip6, 16);
	}
}

static void hex_key(uint8_t key[WG_KEY_LEN], const char *hex)
{
	assert_true(key_from_hex(key, hex, strlen(hex)));
}

#define BIT(t) (1u << (t))

static void fill_two_aips(struct wg_allowedip aips[2])
{
	aips[0] = nlb_aip(AF_INET, "10.172.16.9", 32);
	aips[1] = nlb_aip(AF_INET6, "fd00:172:16::9", 128);
}

/* A new peer with everything set: psk, endpoint, keepalive, two allowed IPs, replacing. */
static void full_change(struct wg_peer_change *c, struct wg_allowedip aips[2], union wg_endpoint *ep)
{
	memset(c, 0, sizeof(*c));
	hex_key(c->public_key, PEER_HEX);
	c->set_preshared_key = true;
	hex_key(c->preshared_key, PSK_HEX);
	c->set_keepalive = true;
	c->keepalive = 25;
	c->replace_allowedips = true;
	fill_two_aips(aips);
	c->allowedips = aips;
	c->n_allowedips = 2;
	nlb_endpoint(ep, AF_INET, "192.0.2.10", 51820);
	c->endpoint = ep;
}

/* Builds every message of a request into bufs (each len bytes); their number. */
static size_t build_all(struct wgset_nl_iter *it, char **bufs, int *lens, size_t max, size_t len)
{
	size_t n = 0;
	int ret;

	for (;;) {
		assert_true(n < max);
		bufs[n] = calloc(1, len);
		assert_non_null(bufs[n]);
		ret = wgset_nl_next(it, bufs[n], len, SEQ + (uint32_t)n);
		assert_true(ret >= 0);
		if (!ret) {
			free(bufs[n]);
			bufs[n] = NULL;
			break;
		}
		assert_true((size_t)ret <= len);
		lens[n++] = ret;
	}
	/* Finished stays finished. */
	assert_int_equal(wgset_nl_next(it, bufs[0], len, SEQ), 0);
	return n;
}

static void free_all(char **bufs, size_t n)
{
	for (size_t i = 0; i < n; ++i)
		free(bufs[i]);
}

static void test_nl_add(void **state)
{
	struct wg_peer_change c;
	struct wg_allowedip aips[2];
	union wg_endpoint ep;
	struct wgset_nl_iter it;
	char buf[4096];
	struct got_msg *m;
	const struct got_peer *p;
	int len;

	(void)state;
	full_change(&c, aips, &ep);
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	len = wgset_nl_next(&it, buf, sizeof(buf), SEQ);
	m = parse_msg(buf, len);
	assert_header(m, SEQ);
	assert_int_equal(m->seen, BIT(WGDEVICE_A_IFNAME) | BIT(WGDEVICE_A_PEERS));
	assert_int_equal(m->n_peers, 1);
	p = &m->peers[0];
	assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS) | BIT(WGPEER_A_PRESHARED_KEY) |
					  BIT(WGPEER_A_ENDPOINT) | BIT(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL) |
					  BIT(WGPEER_A_ALLOWEDIPS));
	assert_memory_equal(p->key, c.public_key, WG_KEY_LEN);
	assert_int_equal(p->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
	assert_memory_equal(p->psk, c.preshared_key, WG_KEY_LEN);
	assert_int_equal(p->endpoint_len, sizeof(struct sockaddr_in));
	assert_memory_equal(p->endpoint, &ep.addr4, sizeof(ep.addr4));
	assert_int_equal(p->keepalive, 25);
	assert_int_equal(p->n_aips, 2);
	assert_aip(&p->aips[0], &aips[0]);
	assert_aip(&p->aips[1], &aips[1]);
	got_free(m);
	assert_int_equal(wgset_nl_next(&it, buf, sizeof(buf), SEQ + 1), 0);
}

/* What is not asked for is not sent: no psk, keepalive or replace unless set; an IPv6 endpoint whole. */
static void test_nl_update_only(void **state)
{
	struct wg_peer_change c = { 0 };
	struct wg_allowedip aip = nlb_aip(AF_INET6, "fd00:172:16::20", 127);
	union wg_endpoint ep;
	struct wgset_nl_iter it;
	char buf[WGSET_NL_MIN_LEN];
	struct got_msg *m;
	const struct got_peer *p;

	(void)state;
	hex_key(c.public_key, PEER2_HEX);
	c.update_only = true;
	c.allowedips = &aip;
	c.n_allowedips = 1;
	nlb_endpoint(&ep, AF_INET6, "2001:db8::1", 4500);
	ep.addr6.sin6_scope_id = 7;
	c.endpoint = &ep;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	assert_header(m, SEQ);
	assert_int_equal(m->n_peers, 1);
	p = &m->peers[0];
	assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS) | BIT(WGPEER_A_ENDPOINT) |
					  BIT(WGPEER_A_ALLOWEDIPS));
	assert_int_equal(p->flags, WGPEER_F_UPDATE_ONLY);
	assert_int_equal(p->endpoint_len, sizeof(struct sockaddr_in6));
	assert_memory_equal(p->endpoint, &ep.addr6, sizeof(ep.addr6));
	assert_int_equal(p->n_aips, 1);
	assert_aip(&p->aips[0], &aip);
	got_free(m);

	/* Only a keepalive change: key, keepalive 0 (turned off), no flags at all. */
	memset(&c, 0, sizeof(c));
	hex_key(c.public_key, PEER2_HEX);
	c.set_keepalive = true;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	p = &m->peers[0];
	assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL));
	assert_int_equal(p->keepalive, 0);
	got_free(m);

	/* Replacing with an empty list clears the allowed IPs: the flag, and no empty nest. */
	memset(&c, 0, sizeof(c));
	hex_key(c.public_key, PEER2_HEX);
	c.replace_allowedips = true;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	p = &m->peers[0];
	assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS));
	assert_int_equal(p->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
	got_free(m);
}

/* A removal carries the key and the flag, whatever else the change holds. */
static void test_nl_remove(void **state)
{
	struct wg_peer_change c;
	struct wg_allowedip aips[2];
	union wg_endpoint ep;
	struct wgset_nl_iter it;
	char buf[4096];
	struct got_msg *m;

	(void)state;
	full_change(&c, aips, &ep);
	c.remove = true;
	c.update_only = true;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	assert_header(m, SEQ);
	assert_int_equal(m->n_peers, 1);
	assert_int_equal(m->peers[0].seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS));
	assert_memory_equal(m->peers[0].key, c.public_key, WG_KEY_LEN);
	assert_int_equal(m->peers[0].flags, WGPEER_F_REMOVE_ME);
	got_free(m);
}

static void test_nl_psk_clear(void **state)
{
	static const uint8_t zero[WG_KEY_LEN];
	struct wg_peer_change c = { 0 };
	struct wgset_nl_iter it;
	char buf[1024];
	struct got_msg *m;

	(void)state;
	hex_key(c.public_key, PEER_HEX);
	c.update_only = true;
	c.set_preshared_key = true;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	assert_int_equal(m->peers[0].seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS) | BIT(WGPEER_A_PRESHARED_KEY));
	assert_int_equal(m->peers[0].flags, WGPEER_F_UPDATE_ONLY);
	assert_memory_equal(m->peers[0].psk, zero, WG_KEY_LEN);
	got_free(m);
}

/* No changes: one message naming the interface (the kernel says whether it exists), no peers. */
static void test_nl_empty(void **state)
{
	struct wgset_nl_iter it;
	char buf[WGSET_NL_MIN_LEN];
	struct got_msg *m;

	(void)state;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, NULL, 0), 0);
	m = parse_msg(buf, wgset_nl_next(&it, buf, sizeof(buf), SEQ));
	assert_header(m, SEQ);
	assert_int_equal(m->seen, BIT(WGDEVICE_A_IFNAME));
	got_free(m);
	assert_int_equal(wgset_nl_next(&it, buf, sizeof(buf), SEQ + 1), 0);
}

static struct wg_allowedip *many_aips(size_t n)
{
	struct wg_allowedip *aips = calloc(n, sizeof(*aips));
	char addr[64];

	assert_non_null(aips);
	for (size_t i = 0; i < n; ++i) {
		if (i % 5 == 4) {
			snprintf(addr, sizeof(addr), "fd00:182::%zx", i);
			aips[i] = nlb_aip(AF_INET6, addr, (uint8_t)(128 - i % 3));
		} else {
			snprintf(addr, sizeof(addr), "10.182.%zu.%zu", i / 256, i % 256);
			aips[i] = nlb_aip(AF_INET, addr, (uint8_t)(32 - i % 2));
		}
	}
	return aips;
}

/*
 * A peer with more allowed IPs than one message holds: the first part carries everything, the
 * later ones the key, UPDATE_ONLY and the allowed IPs still to come; each of them exactly once, in
 * order, and no message longer than the buffer. Checked at several buffer sizes, up to one so big
 * that only the 16-bit attribute length bounds the messages.
 */
static void check_split(size_t n_aips, size_t len)
{
	struct wg_peer_change c;
	struct wg_allowedip two[2], *aips = many_aips(n_aips);
	union wg_endpoint ep;
	struct wgset_nl_iter it;
	char *bufs[256];
	int lens[256];
	size_t n_msgs, next = 0;

	full_change(&c, two, &ep);
	c.allowedips = aips;
	c.n_allowedips = n_aips;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	n_msgs = build_all(&it, bufs, lens, 256, len);
	assert_true(n_msgs > 1);
	for (size_t i = 0; i < n_msgs; ++i) {
		struct got_msg *m = parse_msg(bufs[i], lens[i]);
		const struct got_peer *p = &m->peers[0];

		assert_true((size_t)lens[i] <= len && lens[i] <= 65535);
		assert_header(m, SEQ + (uint32_t)i);
		assert_int_equal(m->n_peers, 1);
		assert_memory_equal(p->key, c.public_key, WG_KEY_LEN);
		assert_true(p->n_aips > 0);
		assert_int_equal(p->empty_aip_nests, 0);
		if (!i) {
			assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS) |
							  BIT(WGPEER_A_PRESHARED_KEY) | BIT(WGPEER_A_ENDPOINT) |
							  BIT(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL) |
							  BIT(WGPEER_A_ALLOWEDIPS));
			assert_int_equal(p->flags, WGPEER_F_REPLACE_ALLOWEDIPS);
			assert_memory_equal(p->psk, c.preshared_key, WG_KEY_LEN);
			assert_int_equal(p->keepalive, 25);
		} else {
			assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS) |
							  BIT(WGPEER_A_ALLOWEDIPS));
			assert_int_equal(p->flags, WGPEER_F_UPDATE_ONLY);
		}
		/* Filled up: what is left does not start with an allowed IP that would have fit. */
		if (i + 1 < n_msgs)
			assert_true((size_t)lens[i] + 40 > (len < 65535 ? len : 65535));
		for (size_t j = 0; j < p->n_aips; ++j)
			assert_aip(&p->aips[j], &aips[next++]);
		got_free(m);
	}
	assert_int_equal(next, n_aips);
	free_all(bufs, n_msgs);
	free(aips);
}

static void test_nl_split(void **state)
{
	(void)state;
	check_split(2000, 4096);
	check_split(2000, 8192);
	check_split(2000, WGSET_NL_MIN_LEN);
	check_split(6000, 1024 * 1024);
}

/* Many small peers over several messages: each one whole, in order, exactly once. */
static void test_nl_many_peers(void **state)
{
	enum { N = 300 };
	struct wg_peer_change *c = calloc(N, sizeof(*c));
	struct wg_allowedip *aips = many_aips(N);
	struct wgset_nl_iter it;
	char *bufs[64];
	int lens[64];
	size_t n_msgs, next = 0;

	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < N; ++i) {
		nlb_key(c[i].public_key, (unsigned int)i + 1000);
		c[i].set_preshared_key = true;
		nlb_key(c[i].preshared_key, (unsigned int)i + 5000);
		c[i].allowedips = &aips[i];
		c[i].n_allowedips = 1;
		c[i].remove = i % 7 == 3;
	}
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, c, N), 0);
	n_msgs = build_all(&it, bufs, lens, 64, 4096);
	assert_true(n_msgs > 1);
	for (size_t i = 0; i < n_msgs; ++i) {
		struct got_msg *m = parse_msg(bufs[i], lens[i]);

		assert_header(m, SEQ + (uint32_t)i);
		for (size_t k = 0; k < m->n_peers; ++k, ++next) {
			const struct got_peer *p = &m->peers[k];

			assert_true(next < N);
			assert_memory_equal(p->key, c[next].public_key, WG_KEY_LEN);
			if (c[next].remove) {
				assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_FLAGS));
				assert_int_equal(p->flags, WGPEER_F_REMOVE_ME);
				continue;
			}
			assert_int_equal(p->seen, BIT(WGPEER_A_PUBLIC_KEY) | BIT(WGPEER_A_PRESHARED_KEY) |
							  BIT(WGPEER_A_ALLOWEDIPS));
			assert_memory_equal(p->psk, c[next].preshared_key, WG_KEY_LEN);
			assert_int_equal(p->n_aips, 1);
			assert_aip(&p->aips[0], &aips[next]);
		}
		got_free(m);
	}
	assert_int_equal(next, N);
	free_all(bufs, n_msgs);
	free(aips);
	free(c);
}

/* A peer that fits a message of its own is moved there whole rather than split. */
static void test_nl_no_needless_split(void **state)
{
	struct wg_peer_change c[2] = { 0 };
	struct wg_allowedip *aips = many_aips(100);
	struct wgset_nl_iter it;
	char *bufs[8];
	int lens[8];
	size_t n_msgs;

	(void)state;
	for (size_t i = 0; i < 2; ++i) {
		nlb_key(c[i].public_key, (unsigned int)i + 1);
		c[i].replace_allowedips = true;
		c[i].allowedips = &aips[i * 50];
		c[i].n_allowedips = 50;
	}
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, c, 2), 0);
	n_msgs = build_all(&it, bufs, lens, 8, 2048);
	assert_int_equal(n_msgs, 2);
	for (size_t i = 0; i < 2; ++i) {
		struct got_msg *m = parse_msg(bufs[i], lens[i]);

		assert_int_equal(m->n_peers, 1);
		assert_memory_equal(m->peers[0].key, c[i].public_key, WG_KEY_LEN);
		assert_int_equal(m->peers[0].flags, WGPEER_F_REPLACE_ALLOWEDIPS);
		assert_int_equal(m->peers[0].n_aips, 50);
		for (size_t j = 0; j < 50; ++j)
			assert_aip(&m->peers[0].aips[j], &aips[i * 50 + j]);
		got_free(m);
	}
	free_all(bufs, n_msgs);
	free(aips);
}

static void test_nl_refused(void **state)
{
	struct wg_peer_change c = { 0 };
	struct wg_allowedip aip = nlb_aip(AF_INET, "10.0.0.1", 33);
	union wg_endpoint ep;
	struct wgset_nl_iter it;
	char buf[WGSET_NL_MIN_LEN];

	(void)state;
	assert_int_equal(wgset_nl_init(&it, "", FAMILY, NULL, 0), -EINVAL);
	assert_int_equal(wgset_nl_init(&it, NULL, FAMILY, NULL, 0), -EINVAL);
	assert_int_equal(wgset_nl_init(&it, "sixteen-chars-xx", FAMILY, NULL, 0), -EINVAL);
	assert_int_equal(wgset_nl_init(&it, IFNAME, NLMSG_MIN_TYPE - 1, NULL, 0), -EINVAL);
	/* Nothing is sent after a refusal. */
	assert_int_equal(wgset_nl_next(&it, buf, sizeof(buf), SEQ), 0);

	c.allowedips = &aip;
	c.n_allowedips = 1;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), -EINVAL);
	aip = nlb_aip(AF_INET6, "fd00::1", 129);
	assert_int_equal(wgset_validate(&c, 1), -EINVAL);
	aip.family = AF_UNIX;
	aip.cidr = 0;
	assert_int_equal(wgset_validate(&c, 1), -EINVAL);
	c.allowedips = NULL;
	assert_int_equal(wgset_validate(&c, 1), -EINVAL);
	c.n_allowedips = 0;
	assert_int_equal(wgset_validate(&c, 1), 0);
	nlb_endpoint(&ep, AF_UNSPEC, NULL, 0);
	c.endpoint = &ep;
	assert_int_equal(wgset_validate(&c, 1), -EINVAL);
	/* A removal ignores the rest, so the rest cannot make it wrong. */
	c.remove = true;
	assert_int_equal(wgset_validate(&c, 1), 0);
	assert_int_equal(wgset_validate(NULL, 1), -EINVAL);

	c.remove = false;
	c.endpoint = NULL;
	assert_int_equal(wgset_nl_init(&it, IFNAME, FAMILY, &c, 1), 0);
	assert_int_equal(wgset_nl_next(&it, buf, sizeof(buf) - 1, SEQ), -ENOSPC);
}

static void test_nl_ack(void **state)
{
	struct nlb b;

	(void)state;
	assert_int_equal(nlb_init(&b, 4096), 0);
	nlb_error(&b, SEQ, PORTID, 0);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, PORTID), 0);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, 0), 0);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ + 1, PORTID), NLWG_MORE);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, PORTID + 1), NLWG_MORE);

	/* Another request's answer first, then ours with the kernel's error. */
	nlb_reset(&b);
	nlb_error(&b, SEQ - 1, PORTID, -ENOENT);
	nlb_error(&b, SEQ, PORTID, -EPERM);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, PORTID), -EPERM);
	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, -ENODEV);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, PORTID), -ENODEV);

	/* Not an errno, and a length that overruns the buffer. */
	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, 5);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len, SEQ, PORTID), -EBADMSG);
	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, 0);
	assert_int_equal(wgset_nl_parse_ack(b.buf, b.len - 4, SEQ, PORTID), -EBADMSG);
	nlb_free(&b);
}

static void assert_request(const struct wg_peer_change *c, size_t n, const char *want)
{
	char *got = wgset_uapi_request(c, n);

	assert_non_null(got);
	assert_string_equal(got, want);
	wgset_uapi_free(got);
}

static void test_uapi_add(void **state)
{
	struct wg_peer_change c;
	struct wg_allowedip aips[2];
	union wg_endpoint ep;

	(void)state;
	full_change(&c, aips, &ep);
	assert_request(&c, 1,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "preshared_key=" PSK_HEX "\n"
		       "endpoint=192.0.2.10:51820\n"
		       "persistent_keepalive_interval=25\n"
		       "replace_allowed_ips=true\n"
		       "allowed_ip=10.172.16.9/32\n"
		       "allowed_ip=fd00:172:16::9/128\n"
		       "\n");

	/* IPv6 endpoints in brackets, with a numeric zone when scoped; no replace, no psk. */
	c.set_preshared_key = false;
	c.replace_allowedips = false;
	c.n_allowedips = 1;
	nlb_endpoint(&ep, AF_INET6, "2001:db8::1", 65535);
	assert_request(&c, 1,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "endpoint=[2001:db8::1]:65535\n"
		       "persistent_keepalive_interval=25\n"
		       "allowed_ip=10.172.16.9/32\n"
		       "\n");
	nlb_endpoint(&ep, AF_INET6, "fe80::1", 51820);
	ep.addr6.sin6_scope_id = 7;
	c.set_keepalive = false;
	c.n_allowedips = 0;
	assert_request(&c, 1,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "endpoint=[fe80::1%7]:51820\n"
		       "\n");
}

static void test_uapi_remove(void **state)
{
	struct wg_peer_change c[2];
	struct wg_allowedip aips[2];
	union wg_endpoint ep;

	(void)state;
	full_change(&c[0], aips, &ep);
	c[0].remove = true;
	assert_request(c, 1,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "remove=true\n"
		       "\n");

	/* Several changes in one request, each starting with its key. */
	memset(&c[1], 0, sizeof(c[1]));
	hex_key(c[1].public_key, PEER2_HEX);
	c[1].set_keepalive = true;
	c[1].keepalive = 65535;
	assert_request(c, 2,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "remove=true\n"
		       "public_key=" PEER2_HEX "\n"
		       "persistent_keepalive_interval=65535\n"
		       "\n");
}

static void test_uapi_update_only(void **state)
{
	struct wg_peer_change c = { 0 };
	struct wg_allowedip aips[2];

	(void)state;
	hex_key(c.public_key, PEER2_HEX);
	c.update_only = true;
	c.replace_allowedips = true;
	fill_two_aips(aips);
	c.allowedips = aips;
	c.n_allowedips = 2;
	assert_request(&c, 1,
		       "set=1\n"
		       "public_key=" PEER2_HEX "\n"
		       "update_only=true\n"
		       "replace_allowed_ips=true\n"
		       "allowed_ip=10.172.16.9/32\n"
		       "allowed_ip=fd00:172:16::9/128\n"
		       "\n");
}

static void test_uapi_psk_clear(void **state)
{
	struct wg_peer_change c = { 0 };

	(void)state;
	hex_key(c.public_key, PEER_HEX);
	c.update_only = true;
	c.set_preshared_key = true;
	assert_request(&c, 1,
		       "set=1\n"
		       "public_key=" PEER_HEX "\n"
		       "update_only=true\n"
		       "preshared_key=" ZERO_HEX "\n"
		       "\n");
}

static void test_uapi_edges(void **state)
{
	struct wg_peer_change c = { 0 };
	struct wg_allowedip aip = nlb_aip(AF_INET, "10.0.0.1", 33);
	struct wg_allowedip *aips = many_aips(2000);
	char *req;
	size_t lines = 0;

	(void)state;
	assert_request(NULL, 0, "set=1\n\n");

	hex_key(c.public_key, PEER_HEX);
	c.allowedips = &aip;
	c.n_allowedips = 1;
	errno = 0;
	assert_null(wgset_uapi_request(&c, 1));
	assert_int_equal(errno, EINVAL);

	/* The longest text of every kind fits the bound computed beforehand. */
	c.allowedips = aips;
	c.n_allowedips = 2000;
	for (size_t i = 0; i < 2000; ++i) {
		aips[i].family = AF_INET6;
		memset(&aips[i].ip6, 0xff, sizeof(aips[i].ip6));
		aips[i].ip6.s6_addr[0] = 0x20;
		aips[i].cidr = 128;
	}
	req = wgset_uapi_request(&c, 1);
	assert_non_null(req);
	for (const char *s = req; (s = strstr(s, "allowed_ip=")); ++s)
		++lines;
	assert_int_equal(lines, 2000);
	assert_non_null(strstr(req, "allowed_ip=20ff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128\n\n"));
	wgset_uapi_free(req);
	free(aips);
	wgset_uapi_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nl_add),
		cmocka_unit_test(test_nl_update_only),
		cmocka_unit_test(test_nl_remove),
		cmocka_unit_test(test_nl_psk_clear),
		cmocka_unit_test(test_nl_empty),
		cmocka_unit_test(test_nl_split),
		cmocka_unit_test(test_nl_many_peers),
		cmocka_unit_test(test_nl_no_needless_split),
		cmocka_unit_test(test_nl_refused),
		cmocka_unit_test(test_nl_ack),
		cmocka_unit_test(test_uapi_add),
		cmocka_unit_test(test_uapi_remove),
		cmocka_unit_test(test_uapi_update_only),
		cmocka_unit_test(test_uapi_psk_clear),
		cmocka_unit_test(test_uapi_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
