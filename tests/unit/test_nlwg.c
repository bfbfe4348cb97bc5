// SPDX-License-Identifier: GPL-2.0-or-later
/* The WireGuard generic netlink parser against dumps built here the way the kernel writes them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <cmocka.h>
#include "nlbuild.h"
#include "nlwg.h"

#define FAMILY 0x1b
#define SEQ 0x5eed
#define PORTID 4242
#define BUF_LEN (1024 * 1024)
#define MAX_ENDS 4096

struct sample {
	struct wg_device *dev;
	uint8_t private_key[WG_KEY_LEN];
	uint8_t psk0[WG_KEY_LEN];
	uint8_t psk2[WG_KEY_LEN];
	const uint8_t *psks[3];
};

static struct wg_peer *add_peer(struct wg_device *dev, unsigned int seed)
{
	uint8_t key[WG_KEY_LEN];
	bool created;
	struct wg_peer *peer;

	nlb_key(key, seed);
	peer = wg_device_get_peer(dev, key, &created);
	assert_non_null(peer);
	assert_true(created);
	return peer;
}

static void add_aip(struct wg_peer *peer, int family, const char *addr, uint8_t cidr)
{
	struct wg_allowedip aip = nlb_aip(family, addr, cidr);

	assert_int_equal(wg_peer_add_allowedip(peer, &aip), 0);
}

/* wg0 with three peers: v4 endpoint and a psk, v6 endpoint and none, no endpoint and no allowed IPs. */
static void sample_init(struct sample *s)
{
	struct wg_peer *p;

	memset(s, 0, sizeof(*s));
	s->dev = wg_device_new("wg0");
	assert_non_null(s->dev);
	s->dev->ifindex = 7;
	s->dev->listen_port = 51820;
	s->dev->fwmark = 0x42;
	s->dev->has_public_key = true;
	nlb_key(s->dev->public_key, 1);
	memset(s->private_key, 0xa5, sizeof(s->private_key));
	s->private_key[0] = 0x5a;
	nlb_key(s->psk0, 200);
	nlb_key(s->psk2, 202);
	s->psks[0] = s->psk0;
	s->psks[2] = s->psk2;

	p = add_peer(s->dev, 10);
	nlb_endpoint(&p->endpoint, AF_INET, "192.0.2.10", 51820);
	p->last_handshake_sec = 1700000000;
	p->last_handshake_nsec = 123456789;
	p->rx_bytes = 123456789012ULL;
	p->tx_bytes = 987654321ULL;
	p->persistent_keepalive = 25;
	p->has_preshared_key = true;
	add_aip(p, AF_INET, "10.172.16.2", 32);
	add_aip(p, AF_INET6, "fd00:172:16::2", 128);

	p = add_peer(s->dev, 11);
	nlb_endpoint(&p->endpoint, AF_INET6, "2001:db8::11", 4500);
	p->tx_bytes = 148;
	add_aip(p, AF_INET, "10.172.16.3", 32);

	p = add_peer(s->dev, 12);
	p->has_preshared_key = true;
	p->rx_bytes = UINT64_MAX;
}

static void assert_device_equal(const struct wg_device *want, const struct wg_device *got)
{
	assert_string_equal(got->name, want->name);
	assert_int_equal(got->ifindex, want->ifindex);
	assert_int_equal(got->has_public_key, want->has_public_key);
	assert_memory_equal(got->public_key, want->public_key, WG_KEY_LEN);
	assert_int_equal(got->listen_port, want->listen_port);
	assert_int_equal(got->fwmark, want->fwmark);
	assert_int_equal(got->n_peers, want->n_peers);
	for (uint32_t i = 0; i < want->n_peers; ++i) {
		const struct wg_peer *w = &want->peers[i], *g = &got->peers[i];

		assert_memory_equal(g->public_key, w->public_key, WG_KEY_LEN);
		assert_int_equal(g->has_preshared_key, w->has_preshared_key);
		assert_int_equal(g->endpoint.addr.sa_family, w->endpoint.addr.sa_family);
		if (w->endpoint.addr.sa_family == AF_INET)
			assert_memory_equal(&g->endpoint.addr4, &w->endpoint.addr4, sizeof(w->endpoint.addr4));
		else if (w->endpoint.addr.sa_family == AF_INET6)
			assert_memory_equal(&g->endpoint.addr6, &w->endpoint.addr6, sizeof(w->endpoint.addr6));
		assert_int_equal(g->last_handshake_sec, w->last_handshake_sec);
		assert_int_equal(g->last_handshake_nsec, w->last_handshake_nsec);
		assert_int_equal(g->rx_bytes, w->rx_bytes);
		assert_int_equal(g->tx_bytes, w->tx_bytes);
		assert_int_equal(g->persistent_keepalive, w->persistent_keepalive);
		assert_int_equal(g->n_allowedips, w->n_allowedips);
		for (uint32_t j = 0; j < w->n_allowedips; ++j) {
			assert_int_equal(g->allowedips[j].family, w->allowedips[j].family);
			assert_int_equal(g->allowedips[j].cidr, w->allowedips[j].cidr);
			assert_int_equal(wg_allowedip_cmp(&g->allowedips[j], &w->allowedips[j]), 0);
		}
		assert_ptr_equal(wg_device_find_peer(got, w->public_key), g);
	}
}

static bool contains(const void *hay, size_t len, const uint8_t *needle, size_t n)
{
	return len >= n && memmem(hay, len, needle, n);
}

/* Looks for any 8 bytes of the secret in everything the device owns. */
static void assert_secret_absent(const struct wg_device *dev, const uint8_t secret[WG_KEY_LEN])
{
	for (size_t off = 0; off + 8 <= WG_KEY_LEN; ++off) {
		const uint8_t *s = secret + off;

		assert_false(contains(dev, sizeof(*dev), s, 8));
		assert_false(contains(dev->peers, dev->cap_peers * sizeof(*dev->peers), s, 8));
		assert_false(contains(dev->index.slots, dev->index.cap * sizeof(*dev->index.slots), s, 8));
		for (uint32_t i = 0; i < dev->n_peers; ++i)
			assert_false(contains(dev->peers[i].allowedips,
					      dev->peers[i].cap_allowedips * sizeof(struct wg_allowedip), s, 8));
	}
}

static struct nlb new_buf(void)
{
	struct nlb b;

	assert_int_equal(nlb_init(&b, BUF_LEN), 0);
	return b;
}

static void init_dump(struct nlwg_dump *dump)
{
	assert_int_equal(nlwg_dump_init(dump, "wg0", FAMILY, SEQ, PORTID), 0);
}

/* Feeds the buffers of a dump one by one: each but the last must ask for more. */
static int feed_buffers(struct nlwg_dump *dump, const struct nlb *b, const size_t *ends, size_t n_ends)
{
	size_t start = 0;
	int ret = NLWG_MORE;

	for (size_t i = 0; i < n_ends; ++i) {
		ret = nlwg_dump_feed(dump, b->buf + start, ends[i] - start);
		if (i + 1 < n_ends)
			assert_int_equal(ret, NLWG_MORE);
		start = ends[i];
	}
	return ret;
}

static void test_family_request(void **state)
{
	char buf[NLWG_REQUEST_LEN];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *genl;
	const struct nlattr *attr;
	int len;

	assert_int_equal(nlwg_build_family_request(buf, sizeof(buf) - 1, 1), -ENOSPC);
	len = nlwg_build_family_request(buf, sizeof(buf), 77);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, GENL_ID_CTRL);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST);
	assert_int_equal(nlh->nlmsg_seq, 77);
	genl = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(genl->cmd, CTRL_CMD_GETFAMILY);
	attr = mnl_nlmsg_get_payload_offset(nlh, sizeof(*genl));
	assert_int_equal(mnl_attr_get_type(attr), CTRL_ATTR_FAMILY_NAME);
	assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(attr), "wireguard");
	assert_int_equal(len, MNL_NLMSG_HDRLEN + sizeof(*genl) + MNL_ALIGN(MNL_ATTR_HDRLEN + sizeof("wireguard")));
}

static void put_family_reply(struct nlb *b, uint32_t seq, const char *name, bool short_id)
{
	struct nlmsghdr *nlh = nlb_genl(b, GENL_ID_CTRL, 0, seq, PORTID, CTRL_CMD_NEWFAMILY);
	struct nlattr *ops, *op;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	if (short_id)
		mnl_attr_put_u8(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	else
		mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	mnl_attr_put_u32(nlh, CTRL_ATTR_HDRSIZE, 0);
	mnl_attr_put_u32(nlh, CTRL_ATTR_MAXATTR, WGDEVICE_A_MAX);
	ops = mnl_attr_nest_start(nlh, CTRL_ATTR_OPS);
	op = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u32(nlh, CTRL_ATTR_OP_ID, WG_CMD_GET_DEVICE);
	mnl_attr_put_u32(nlh, CTRL_ATTR_OP_FLAGS, 0x1c);
	mnl_attr_nest_end(nlh, op);
	mnl_attr_nest_end(nlh, ops);
	nlb_end(b);
}

static void test_family_reply(void **state)
{
	struct nlb b = new_buf();
	uint16_t family = 0;

	put_family_reply(&b, SEQ, "wireguard", false);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID, &family), NLWG_DONE);
	assert_int_equal(family, FAMILY);

	/* Any portid is accepted when the caller does not know its own. */
	family = 0;
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, 0, &family), NLWG_DONE);
	assert_int_equal(family, FAMILY);

	/* Another request's answer, or another socket's, is not this one's. */
	family = 0;
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ + 1, PORTID, &family), NLWG_MORE);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID + 1, &family), NLWG_MORE);
	assert_int_equal(family, 0);

	/* Preceded by a stale reply and an ack, both skipped. */
	nlb_reset(&b);
	put_family_reply(&b, SEQ - 1, "wireguard", false);
	nlb_error(&b, SEQ, PORTID, 0);
	put_family_reply(&b, SEQ, "wireguard", false);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID, &family), NLWG_DONE);
	assert_int_equal(family, FAMILY);

	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, -ENOENT);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID, &family), -ENOENT);

	nlb_reset(&b);
	put_family_reply(&b, SEQ, "wireguarx", false);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID, &family), -EBADMSG);

	nlb_reset(&b);
	put_family_reply(&b, SEQ, "wireguard", true);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len, SEQ, PORTID, &family), -EBADMSG);

	nlb_reset(&b);
	put_family_reply(&b, SEQ, "wireguard", false);
	assert_int_equal(nlwg_parse_family_reply(b.buf, b.len - 4, SEQ, PORTID, &family), -EBADMSG);
	nlb_free(&b);
}

static void test_get_device_request(void **state)
{
	char buf[NLWG_REQUEST_LEN];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct genlmsghdr *genl;
	const struct nlattr *attr;
	int len;

	len = nlwg_build_get_device(buf, sizeof(buf), FAMILY, "wg-hub0", 9);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, FAMILY);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 9);
	genl = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(genl->cmd, WG_CMD_GET_DEVICE);
	assert_int_equal(genl->version, WG_GENL_VERSION);
	attr = mnl_nlmsg_get_payload_offset(nlh, sizeof(*genl));
	assert_int_equal(mnl_attr_get_type(attr), WGDEVICE_A_IFNAME);
	assert_int_equal(mnl_attr_validate(attr, MNL_TYPE_NUL_STRING), 0);
	assert_string_equal(mnl_attr_get_str(attr), "wg-hub0");
	assert_int_equal((char *)mnl_attr_next(attr) - buf, len);

	assert_int_equal(nlwg_build_get_device(buf, sizeof(buf), FAMILY, "0123456789abcdef", 1), -EINVAL);
	assert_int_equal(nlwg_build_get_device(buf, sizeof(buf), FAMILY, "", 1), -EINVAL);
	assert_int_equal(nlwg_build_get_device(buf, sizeof(buf), FAMILY, NULL, 1), -EINVAL);
	assert_int_equal(nlwg_build_get_device(buf, sizeof(buf), NLMSG_DONE, "wg0", 1), -EINVAL);
	assert_int_equal(nlwg_build_get_device(buf, 16, FAMILY, "wg0", 1), -ENOSPC);
	assert_true(nlwg_build_get_device(buf, sizeof(buf), FAMILY, "0123456789abcde", 1) > 0);
}

static void test_full_dump(void **state)
{
	struct sample s;
	struct nlb b = new_buf();
	struct nlwg_dump dump;
	struct wg_device *dev;
	const struct wg_peer *p;
	size_t ends[MAX_ENDS], n_ends;
	char text[INET6_ADDRSTRLEN];
	uint8_t key[WG_KEY_LEN];

	sample_init(&s);
	assert_true(nlb_wg_dump(&b, s.dev, s.private_key, s.psks, FAMILY, SEQ, PORTID, 32768, ends, MAX_ENDS, &n_ends));
	/* One message, and NLMSG_DONE in the same buffer. */
	assert_int_equal(n_ends, 1);
	init_dump(&dump);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_DONE);
	dev = nlwg_dump_take(&dump);
	assert_non_null(dev);
	assert_null(nlwg_dump_take(&dump));
	nlwg_dump_free(&dump);

	assert_string_equal(dev->name, "wg0");
	assert_int_equal(dev->backend, WG_BACKEND_KERNEL);
	assert_int_equal(dev->ifindex, 7);
	assert_true(dev->has_public_key);
	nlb_key(key, 1);
	assert_memory_equal(dev->public_key, key, WG_KEY_LEN);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->fwmark, 0x42);
	assert_int_equal(dev->n_peers, 3);

	p = &dev->peers[0];
	nlb_key(key, 10);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_true(p->has_preshared_key);
	assert_int_equal(p->endpoint.addr.sa_family, AF_INET);
	assert_string_equal(inet_ntop(AF_INET, &p->endpoint.addr4.sin_addr, text, sizeof(text)), "192.0.2.10");
	assert_int_equal(ntohs(p->endpoint.addr4.sin_port), 51820);
	assert_int_equal(p->last_handshake_sec, 1700000000);
	assert_int_equal(p->last_handshake_nsec, 123456789);
	assert_int_equal(p->rx_bytes, 123456789012ULL);
	assert_int_equal(p->tx_bytes, 987654321ULL);
	assert_int_equal(p->persistent_keepalive, 25);
	assert_int_equal(p->n_allowedips, 2);
	assert_int_equal(p->allowedips[0].family, AF_INET);
	assert_int_equal(p->allowedips[0].cidr, 32);
	assert_string_equal(inet_ntop(AF_INET, &p->allowedips[0].ip4, text, sizeof(text)), "10.172.16.2");
	assert_int_equal(p->allowedips[1].family, AF_INET6);
	assert_int_equal(p->allowedips[1].cidr, 128);
	assert_string_equal(inet_ntop(AF_INET6, &p->allowedips[1].ip6, text, sizeof(text)), "fd00:172:16::2");
	assert_null(p->name);

	p = &dev->peers[1];
	nlb_key(key, 11);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_false(p->has_preshared_key);
	assert_int_equal(p->endpoint.addr.sa_family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &p->endpoint.addr6.sin6_addr, text, sizeof(text)), "2001:db8::11");
	assert_int_equal(ntohs(p->endpoint.addr6.sin6_port), 4500);
	assert_int_equal(p->last_handshake_sec, 0);
	assert_int_equal(p->last_handshake_nsec, 0);
	assert_int_equal(p->rx_bytes, 0);
	assert_int_equal(p->tx_bytes, 148);
	assert_int_equal(p->persistent_keepalive, 0);
	assert_int_equal(p->n_allowedips, 1);
	assert_string_equal(inet_ntop(AF_INET, &p->allowedips[0].ip4, text, sizeof(text)), "10.172.16.3");

	p = &dev->peers[2];
	nlb_key(key, 12);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_true(p->has_preshared_key);
	assert_int_equal(p->endpoint.addr.sa_family, AF_UNSPEC);
	assert_int_equal(p->rx_bytes, UINT64_MAX);
	assert_int_equal(p->n_allowedips, 0);

	assert_device_equal(s.dev, dev);
	/* The private key was in the message, and must be nowhere in what the parser built. */
	assert_true(contains(b.buf, b.len, s.private_key, WG_KEY_LEN));
	assert_secret_absent(dev, s.private_key);
	assert_secret_absent(dev, s.psk0);
	assert_secret_absent(dev, s.psk2);

	wg_device_free(dev);
	wg_device_free(s.dev);
	nlb_free(&b);
}

static void put_peer_head(struct nlmsghdr *nlh, unsigned int seed, uint64_t rx)
{
	struct wg_peer p = { .rx_bytes = rx, .tx_bytes = rx / 2, .persistent_keepalive = 25,
			     .last_handshake_sec = 1700000000 + seed };
	uint8_t key[WG_KEY_LEN];

	nlb_key(key, seed);
	nlb_endpoint(&p.endpoint, AF_INET, "198.51.100.7", (uint16_t)(40000 + seed));
	assert_true(mnl_attr_put_check(nlh, BUF_LEN, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key));
	assert_true(nlb_put_peer_head(nlh, BUF_LEN, &p, NULL));
}

static void put_aips(struct nlmsghdr *nlh, unsigned int from, unsigned int to)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);

	for (unsigned int i = from; i <= to; ++i) {
		struct wg_allowedip aip = { .family = AF_INET, .cidr = 32 };

		aip.ip4.s_addr = htonl(0x0aac1000 + i);
		assert_true(nlb_put_allowedip(nlh, BUF_LEN, &aip));
	}
	mnl_attr_nest_end(nlh, nest);
}

static void put_device_head(struct nlmsghdr *nlh)
{
	struct wg_device d = { .ifindex = 3, .listen_port = 51821, .fwmark = 0, .has_public_key = true };
	uint8_t priv[WG_KEY_LEN];

	strcpy(d.name, "wg0");
	nlb_key(d.public_key, 2);
	nlb_key(priv, 3);
	assert_true(nlb_put_device_head(nlh, BUF_LEN, &d, priv));
}

static void assert_aips(const struct wg_peer *p, unsigned int from, unsigned int to)
{
	assert_int_equal(p->n_allowedips, to - from + 1);
	for (unsigned int i = from; i <= to; ++i) {
		assert_int_equal(p->allowedips[i - from].family, AF_INET);
		assert_int_equal(p->allowedips[i - from].cidr, 32);
		assert_int_equal(ntohl(p->allowedips[i - from].ip4.s_addr), 0x0aac1000 + i);
	}
}

/*
 * Three buffers: A whole and the start of B; the rest of B (key and allowed IPs only) and C;
 * NLMSG_DONE. B must come out once, with all five allowed IPs and the counters of its start.
 */
static void test_split_peer(void **state)
{
	struct nlb b1 = new_buf(), b2 = new_buf(), b3 = new_buf();
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer;
	struct nlwg_dump dump;
	struct wg_device *dev;
	uint8_t key[WG_KEY_LEN];

	nlh = nlb_genl(&b1, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	put_device_head(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	put_peer_head(nlh, 20, 1000);
	put_aips(nlh, 1, 2);
	mnl_attr_nest_end(nlh, peer);
	peer = mnl_attr_nest_start(nlh, 0);
	put_peer_head(nlh, 21, 2000);
	put_aips(nlh, 10, 12);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(&b1);

	nlh = nlb_genl(&b2, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	nlb_key(key, 21);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	put_aips(nlh, 13, 14);
	mnl_attr_nest_end(nlh, peer);
	peer = mnl_attr_nest_start(nlh, 0);
	put_peer_head(nlh, 22, 3000);
	put_aips(nlh, 20, 20);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(&b2);

	nlb_done(&b3, SEQ, PORTID, 0, 0);

	init_dump(&dump);
	assert_int_equal(nlwg_dump_feed(&dump, b1.buf, b1.len), NLWG_MORE);
	assert_null(nlwg_dump_take(&dump));
	assert_int_equal(nlwg_dump_feed(&dump, b2.buf, b2.len), NLWG_MORE);
	assert_int_equal(nlwg_dump_feed(&dump, b3.buf, b3.len), NLWG_DONE);
	dev = nlwg_dump_take(&dump);
	nlwg_dump_free(&dump);
	assert_non_null(dev);

	assert_int_equal(dev->ifindex, 3);
	assert_int_equal(dev->listen_port, 51821);
	assert_int_equal(dev->n_peers, 3);
	nlb_key(key, 20);
	assert_memory_equal(dev->peers[0].public_key, key, WG_KEY_LEN);
	assert_aips(&dev->peers[0], 1, 2);
	nlb_key(key, 21);
	assert_memory_equal(dev->peers[1].public_key, key, WG_KEY_LEN);
	assert_ptr_equal(wg_device_find_peer(dev, key), &dev->peers[1]);
	assert_aips(&dev->peers[1], 10, 14);
	/* The continuation carries no counters, and must not have wiped those of the start. */
	assert_int_equal(dev->peers[1].rx_bytes, 2000);
	assert_int_equal(dev->peers[1].tx_bytes, 1000);
	assert_int_equal(dev->peers[1].persistent_keepalive, 25);
	assert_int_equal(dev->peers[1].last_handshake_sec, 1700000021);
	assert_int_equal(dev->peers[1].endpoint.addr.sa_family, AF_INET);
	assert_int_equal(ntohs(dev->peers[1].endpoint.addr4.sin_port), 40021);
	nlb_key(key, 22);
	assert_memory_equal(dev->peers[2].public_key, key, WG_KEY_LEN);
	assert_aips(&dev->peers[2], 20, 20);
	assert_int_equal(dev->peers[2].rx_bytes, 3000);

	wg_device_free(dev);
	nlb_free(&b1);
	nlb_free(&b2);
	nlb_free(&b3);
}

/*
 * A peer that comes again after another is not a continuation: the kernel gives each peer
 * once, continuing only the one it stopped in. Refused when the dump ends, as a UAPI answer
 * with a peer twice is, not merged; and every peer of a good dump is found by its key.
 */
static void test_peer_twice_refused(void **state)
{
	struct nlb b = new_buf(), d = new_buf();
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer;
	struct nlwg_dump dump;
	struct wg_device *dev;
	uint8_t key[WG_KEY_LEN];

	(void)state;
	for (int twice = 0; twice <= 1; ++twice) {
		unsigned int seeds[] = { 30, 31, twice ? 30 : 32 };

		b.len = 0;
		nlh = nlb_genl(&b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
		put_device_head(nlh);
		peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
		for (unsigned int i = 0; i < 3; ++i) {
			peer = mnl_attr_nest_start(nlh, 0);
			put_peer_head(nlh, seeds[i], 100 * i);
			put_aips(nlh, 40 + i, 40 + i);
			mnl_attr_nest_end(nlh, peer);
		}
		mnl_attr_nest_end(nlh, peers);
		nlb_end(&b);
		d.len = 0;
		nlb_done(&d, SEQ, PORTID, 0, 0);

		init_dump(&dump);
		assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_MORE);
		assert_int_equal(nlwg_dump_feed(&dump, d.buf, d.len), twice ? -EBADMSG : NLWG_DONE);
		dev = nlwg_dump_take(&dump);
		nlwg_dump_free(&dump);
		if (twice) {
			assert_null(dev);
			continue;
		}
		assert_non_null(dev);
		assert_int_equal(dev->n_peers, 3);
		for (unsigned int i = 0; i < 3; ++i) {
			nlb_key(key, seeds[i]);
			assert_ptr_equal(wg_device_find_peer(dev, key), &dev->peers[i]);
		}
		nlb_key(key, 33);
		assert_null(wg_device_find_peer(dev, key));
		wg_device_free(dev);
	}
	nlb_free(&b);
	nlb_free(&d);
}

/*
 * When not even the first peer completes in the first message, the kernel has no cursor and
 * writes the device attributes again in the second one.
 */
static void test_split_first_peer_repeats_device(void **state)
{
	struct nlb b = new_buf();
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer;
	struct nlwg_dump dump;
	struct wg_device *dev;
	uint8_t key[WG_KEY_LEN];

	nlh = nlb_genl(&b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	put_device_head(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	put_peer_head(nlh, 30, 77);
	put_aips(nlh, 1, 3);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(&b);

	nlh = nlb_genl(&b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	put_device_head(nlh);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	nlb_key(key, 30);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	put_aips(nlh, 4, 6);
	mnl_attr_nest_end(nlh, peer);
	peer = mnl_attr_nest_start(nlh, 0);
	put_peer_head(nlh, 31, 88);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);

	init_dump(&dump);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_DONE);
	dev = nlwg_dump_take(&dump);
	nlwg_dump_free(&dump);
	assert_non_null(dev);
	assert_int_equal(dev->ifindex, 3);
	assert_int_equal(dev->n_peers, 2);
	assert_aips(&dev->peers[0], 1, 6);
	assert_int_equal(dev->peers[0].rx_bytes, 77);
	assert_int_equal(dev->peers[1].n_allowedips, 0);
	assert_int_equal(dev->peers[1].rx_bytes, 88);
	wg_device_free(dev);
	nlb_free(&b);
}

static unsigned int count_in(const struct nlb *b, const uint8_t *needle, size_t n)
{
	unsigned int count = 0;
	const char *p = b->buf, *end = b->buf + b->len;

	while ((p = memmem(p, (size_t)(end - p), needle, n))) {
		++count;
		++p;
	}
	return count;
}

static unsigned int repeated_peers(const struct wg_device *dev, const struct nlb *b)
{
	unsigned int repeated = 0;

	for (uint32_t i = 0; i < dev->n_peers; ++i)
		repeated += count_in(b, dev->peers[i].public_key, WG_KEY_LEN) > 1;
	return repeated;
}

/* A larger device written by the kernel's algorithm at many message sizes always parses back whole. */
static void test_emulated_dump_sizes(void **state)
{
	static const size_t sizes[] = { 256, 300, 413, 512, 777, 1024, 2000, 4096, 32768 };
	struct wg_device *src = wg_device_new("wg-big");
	struct nlb b = new_buf();
	size_t *ends = calloc(MAX_ENDS, sizeof(*ends)), n_ends;
	uint8_t priv[WG_KEY_LEN];

	assert_non_null(src);
	assert_non_null(ends);
	src->ifindex = 12;
	src->listen_port = 1;
	nlb_key(priv, 5);
	for (unsigned int i = 0; i < 40; ++i) {
		struct wg_peer *p = add_peer(src, 100 + i);

		p->rx_bytes = i * 1000003ULL;
		p->tx_bytes = i * 7ULL;
		p->last_handshake_sec = i ? 1700000000 + i : 0;
		nlb_endpoint(&p->endpoint, i % 3 ? AF_INET : AF_INET6, i % 3 ? "203.0.113.5" : "2001:db8::5",
			     (uint16_t)(1000 + i));
		for (unsigned int j = 0; j < (i * 7) % 31; ++j) {
			struct wg_allowedip aip = { .family = j % 2 ? AF_INET6 : AF_INET, .cidr = (uint8_t)(j % 2 ? 128 : 32) };

			if (j % 2) {
				aip.ip6.s6_addr[0] = 0xfd;
				aip.ip6.s6_addr[14] = (uint8_t)i;
				aip.ip6.s6_addr[15] = (uint8_t)j;
			} else {
				aip.ip4.s_addr = htonl(0x0aac0000 + (i << 8) + j);
			}
			assert_int_equal(wg_peer_add_allowedip(p, &aip), 0);
		}
	}

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); ++k) {
		struct nlwg_dump dump;
		struct wg_device *dev;

		nlb_reset(&b);
		assert_true(nlb_wg_dump(&b, src, priv, NULL, FAMILY, SEQ, PORTID, sizes[k], ends, MAX_ENDS, &n_ends));
		if (sizes[k] < 1024) {
			assert_true(n_ends > 10);
			/* Small messages must have made the kernel repeat some peer to continue it. */
			assert_true(repeated_peers(src, &b) > 0);
		}

		/* One recv at a time, as the socket delivers them. */
		init_dump(&dump);
		assert_int_equal(feed_buffers(&dump, &b, ends, n_ends), NLWG_DONE);
		dev = nlwg_dump_take(&dump);
		nlwg_dump_free(&dump);
		assert_non_null(dev);
		assert_device_equal(src, dev);
		assert_secret_absent(dev, priv);
		wg_device_free(dev);

		/* And all of it in one buffer. */
		init_dump(&dump);
		assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_DONE);
		dev = nlwg_dump_take(&dump);
		nlwg_dump_free(&dump);
		assert_device_equal(src, dev);
		wg_device_free(dev);
	}
	free(ends);
	wg_device_free(src);
	nlb_free(&b);
}

static void test_many_peers(void **state)
{
	struct wg_device *src = wg_device_new("wg0");
	struct nlb b;
	size_t *ends = calloc(MAX_ENDS, sizeof(*ends)), n_ends;
	struct nlwg_dump dump;
	struct wg_device *dev;
	uint8_t priv[WG_KEY_LEN];

	assert_int_equal(nlb_init(&b, 4 * 1024 * 1024), 0);
	nlb_key(priv, 6);
	for (unsigned int i = 0; i < 3000; ++i) {
		struct wg_peer *p = add_peer(src, 1000 + i);
		struct wg_allowedip aip = { .family = AF_INET, .cidr = 32 };

		aip.ip4.s_addr = htonl(0x0aac0000 + i);
		assert_int_equal(wg_peer_add_allowedip(p, &aip), 0);
		p->rx_bytes = i;
	}
	assert_true(nlb_wg_dump(&b, src, priv, NULL, FAMILY, SEQ, PORTID, 32768, ends, MAX_ENDS, &n_ends));
	init_dump(&dump);
	assert_int_equal(feed_buffers(&dump, &b, ends, n_ends), NLWG_DONE);
	dev = nlwg_dump_take(&dump);
	nlwg_dump_free(&dump);
	assert_device_equal(src, dev);
	wg_device_free(dev);
	wg_device_free(src);
	free(ends);
	nlb_free(&b);
}

static void put_simple_device(struct nlb *b, uint32_t seq, uint32_t portid, unsigned int seed, uint16_t flags)
{
	struct nlmsghdr *nlh = nlb_genl(b, FAMILY, NLM_F_MULTI | flags, seq, portid, WG_CMD_GET_DEVICE);
	struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);

	put_peer_head(nlh, seed, seed);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(b);
}

static int run_dump(const struct nlb *b, struct wg_device **dev)
{
	struct nlwg_dump dump;
	int ret;

	init_dump(&dump);
	ret = nlwg_dump_feed(&dump, b->buf, b->len);
	if (dev)
		*dev = nlwg_dump_take(&dump);
	nlwg_dump_free(&dump);
	return ret;
}

static void test_done_error(void **state)
{
	struct nlb b = new_buf();
	struct nlwg_dump dump;

	put_simple_device(&b, SEQ, PORTID, 1, 0);
	nlb_done(&b, SEQ, PORTID, -ENODEV, 0);
	init_dump(&dump);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), -ENODEV);
	assert_null(nlwg_dump_take(&dump));
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), -EINVAL);
	nlwg_dump_free(&dump);

	/* An error after an interruption says more than the interruption. */
	nlb_reset(&b);
	put_simple_device(&b, SEQ, PORTID, 1, NLM_F_DUMP_INTR);
	nlb_done(&b, SEQ, PORTID, -ENOBUFS, 0);
	assert_int_equal(run_dump(&b, NULL), -ENOBUFS);

	/* An old kernel's DONE without the error int is a success. */
	nlb_reset(&b);
	put_simple_device(&b, SEQ, PORTID, 1, 0);
	nlb_msg(&b, NLMSG_DONE, NLM_F_MULTI, SEQ, PORTID);
	nlb_end(&b);
	assert_int_equal(run_dump(&b, NULL), NLWG_DONE);
	nlb_free(&b);
}

static void test_nlmsg_error(void **state)
{
	struct nlb b = new_buf();
	struct wg_device *dev;

	nlb_error(&b, SEQ, PORTID, -EPERM);
	assert_int_equal(run_dump(&b, &dev), -EPERM);
	assert_null(dev);

	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, -EOPNOTSUPP);
	assert_int_equal(run_dump(&b, NULL), -EOPNOTSUPP);

	/* An ack does not end a dump: the peer after it still counts. */
	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, 0);
	put_simple_device(&b, SEQ, PORTID, 4, 0);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run_dump(&b, &dev), NLWG_DONE);
	assert_int_equal(dev->n_peers, 1);
	wg_device_free(dev);
	nlb_free(&b);
}

static void test_dump_intr(void **state)
{
	struct nlb b = new_buf();
	struct nlwg_dump dump;

	put_simple_device(&b, SEQ, PORTID, 1, 0);
	put_simple_device(&b, SEQ, PORTID, 2, NLM_F_DUMP_INTR);
	init_dump(&dump);
	/* Drained up to DONE before saying so, so the socket is clean for the next dump. */
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_MORE);
	nlb_reset(&b);
	put_simple_device(&b, SEQ, PORTID, 3, 0);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), -EINTR);
	assert_null(nlwg_dump_take(&dump));
	nlwg_dump_free(&dump);

	nlb_reset(&b);
	put_simple_device(&b, SEQ, PORTID, 1, 0);
	nlb_done(&b, SEQ, PORTID, 0, NLM_F_DUMP_INTR);
	assert_int_equal(run_dump(&b, NULL), -EINTR);
	nlb_free(&b);
}

static void test_wrong_seq_ignored(void **state)
{
	struct nlb b = new_buf();
	struct wg_device *dev;
	uint8_t key[WG_KEY_LEN];

	put_simple_device(&b, SEQ + 1, PORTID, 50, 0);
	put_simple_device(&b, SEQ, PORTID + 1, 51, 0);
	nlb_error(&b, SEQ - 1, PORTID, -EPERM);
	put_simple_device(&b, SEQ, PORTID, 52, 0);
	nlb_done(&b, SEQ + 1, PORTID, -EIO, NLM_F_DUMP_INTR);
	put_simple_device(&b, SEQ - 1, PORTID, 53, NLM_F_DUMP_INTR);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run_dump(&b, &dev), NLWG_DONE);
	assert_non_null(dev);
	assert_int_equal(dev->n_peers, 1);
	nlb_key(key, 52);
	assert_memory_equal(dev->peers[0].public_key, key, WG_KEY_LEN);
	wg_device_free(dev);
	nlb_free(&b);
}

/* ends (nlwg_dump_ends) for the buffer in b, and a fresh dump's feed of it says the same. */
static void expect_ends(struct nlb *b, bool ends)
{
	struct nlwg_dump dump;
	int ret;

	init_dump(&dump);
	assert_int_equal(nlwg_dump_ends(&dump, b->buf, b->len), ends);
	ret = nlwg_dump_feed(&dump, b->buf, b->len);
	if ((ret == NLWG_MORE) == ends)
		fail_msg("nlwg_dump_ends says %s, the feed returned %d", ends ? "ends" : "goes on", ret);
	nlwg_dump_free(&dump);
	nlb_reset(b);
}

/*
 * A receiver that hands buffers to another thread stops at the one nlwg_dump_ends names: the
 * buffer the feed ends the dump with, whichever way, and no other.
 */
static void test_dump_ends(void **state)
{
	struct nlb b = new_buf();

	put_simple_device(&b, SEQ, PORTID, 1, 0);
	expect_ends(&b, false);
	put_simple_device(&b, SEQ, PORTID, 1, 0);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	expect_ends(&b, true);
	nlb_done(&b, SEQ, PORTID, -ENODEV, 0);
	expect_ends(&b, true);
	put_simple_device(&b, SEQ, PORTID, 1, NLM_F_DUMP_INTR);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	expect_ends(&b, true);
	nlb_error(&b, SEQ, PORTID, -EPERM);
	expect_ends(&b, true);
	/* An ack ends nothing; another request's end, or another sender's, is not this one's. */
	nlb_error(&b, SEQ, PORTID, 0);
	put_simple_device(&b, SEQ, PORTID, 4, 0);
	expect_ends(&b, false);
	nlb_done(&b, SEQ + 1, PORTID, 0, 0);
	nlb_error(&b, SEQ, PORTID + 1, -EPERM);
	put_simple_device(&b, SEQ, PORTID, 5, 0);
	expect_ends(&b, false);
	/* A length past the buffer: malformed, which the feed refuses. */
	put_simple_device(&b, SEQ, PORTID, 6, 0);
	((struct nlmsghdr *)b.buf)->nlmsg_len = (uint32_t)b.len + 64;
	expect_ends(&b, true);
	nlb_free(&b);
}

static void test_unknown_attrs_skipped(void **state)
{
	struct nlb b = new_buf();
	struct nlmsghdr *nlh;
	struct nlattr *peers, *peer, *aips, *aip, *unknown;
	struct wg_device *dev;
	uint8_t key[WG_KEY_LEN];
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	/* Messages nobody asked about: a no-op, a type from nowhere, another command of the family. */
	nlb_msg(&b, NLMSG_NOOP, 0, SEQ, PORTID);
	nlb_end(&b);
	nlh = nlb_msg(&b, 0x77, 0, SEQ, PORTID);
	mnl_attr_put_u32(nlh, 1, 1);
	nlb_end(&b);
	nlh = nlb_genl(&b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_SET_DEVICE);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 9);
	nlb_end(&b);

	nlh = nlb_genl(&b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	mnl_attr_put_u32(nlh, 99, 0xdeadbeef);
	mnl_attr_put_u32(nlh, WGDEVICE_A_FLAGS, 1);
	mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, 443);
	unknown = mnl_attr_nest_start(nlh, 100);
	mnl_attr_put_u8(nlh, 1, 1);
	mnl_attr_nest_end(nlh, unknown);
	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	/* Nests written without NLA_F_NESTED, as kernels before 5.2 did. */
	peer->nla_type = 0;
	mnl_attr_put_u32(nlh, WGPEER_A_UNSPEC, 0);
	mnl_attr_put(nlh, 50, 7, "unknown");
	mnl_attr_put_u32(nlh, WGPEER_A_FLAGS, 0);
	mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
	nlb_key(key, 60);
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	mnl_attr_put_u64(nlh, WGPEER_A_RX_BYTES, 5);
	aips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	aip = mnl_attr_nest_start(nlh, 0);
	mnl_attr_put_u32(nlh, 7, 7);
	mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET6);
	inet_pton(AF_INET6, "fd00::1", &a6);
	mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, sizeof(a6), &a6);
	mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 64);
	mnl_attr_put(nlh, 8, 0, NULL);
	mnl_attr_nest_end(nlh, aip);
	mnl_attr_nest_end(nlh, aips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	nlb_end(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);

	assert_int_equal(run_dump(&b, &dev), NLWG_DONE);
	assert_non_null(dev);
	assert_int_equal(dev->listen_port, 443);
	assert_int_equal(dev->n_peers, 1);
	assert_memory_equal(dev->peers[0].public_key, key, WG_KEY_LEN);
	assert_int_equal(dev->peers[0].rx_bytes, 5);
	assert_int_equal(dev->peers[0].n_allowedips, 1);
	assert_int_equal(dev->peers[0].allowedips[0].family, AF_INET6);
	assert_int_equal(dev->peers[0].allowedips[0].cidr, 64);
	assert_string_equal(inet_ntop(AF_INET6, &dev->peers[0].allowedips[0].ip6, text, sizeof(text)), "fd00::1");
	wg_device_free(dev);
	nlb_free(&b);
}

enum bad {
	BAD_DEV_PUBKEY_SHORT,
	BAD_DEV_PUBKEY_LONG,
	BAD_PORT_U32,
	BAD_FWMARK_U16,
	BAD_IFINDEX_U64,
	BAD_IFNAME_NO_NUL,
	BAD_IFNAME_LONG,
	BAD_IFNAME_EMPTY,
	BAD_PEERS_SHORT,
	BAD_PEER_NO_KEY,
	BAD_PEER_KEY_SHORT,
	BAD_PEER_KEY_LONG,
	BAD_PSK_SHORT,
	BAD_ENDPOINT_V4_LEN6,
	BAD_ENDPOINT_V6_LEN4,
	BAD_ENDPOINT_FAMILY,
	BAD_ENDPOINT_TINY,
	BAD_HANDSHAKE_SHORT,
	BAD_HANDSHAKE_LONG,
	BAD_HANDSHAKE_NSEC,
	BAD_RX_U32,
	BAD_TX_LONG,
	BAD_KEEPALIVE_U8,
	BAD_AIP_V4_LEN16,
	BAD_AIP_V6_LEN4,
	BAD_AIP_V4_CIDR,
	BAD_AIP_V6_CIDR,
	BAD_AIP_FAMILY,
	BAD_AIP_NO_FAMILY,
	BAD_AIP_NO_CIDR,
	BAD_AIP_NO_ADDR,
	BAD_AIP_CIDR_U16,
	BAD_ATTR_OVERRUNS_NEST,
	BAD_ATTR_LEN_TINY,
	BAD_NEST_TRAILING,
	BAD_GENL_HEADER_MISSING,
	BAD_MSG_TRUNCATED,
	BAD_MSG_LEN_HUGE,
	BAD_MSG_LEN_TINY,
	BAD_TRAILING_BYTES,
	BAD_DONE_SHORT,
	BAD_DONE_POSITIVE,
	BAD_ERROR_HUGE,
	BAD_ERROR_SHORT,
	BAD_COUNT
};

/* One peer, well formed except for the one thing the case breaks. */
static void build_bad(struct nlb *b, enum bad which)
{
	struct nlmsghdr *nlh = nlb_genl(b, FAMILY, NLM_F_MULTI, SEQ, PORTID, WG_CMD_GET_DEVICE);
	struct nlattr *peers, *peer, *aips, *aip, *attr;
	uint8_t key[WG_KEY_LEN + 8] = { 1 };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct __kernel_timespec ts = { .tv_sec = 1, .tv_nsec = 1000000000 };
	uint8_t addr[16] = { 10 };
	bool truncate = false;

	switch (which) {
	case BAD_DEV_PUBKEY_SHORT:
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN - 1, key);
		break;
	case BAD_DEV_PUBKEY_LONG:
		mnl_attr_put(nlh, WGDEVICE_A_PUBLIC_KEY, WG_KEY_LEN + 1, key);
		break;
	case BAD_PORT_U32:
		mnl_attr_put_u32(nlh, WGDEVICE_A_LISTEN_PORT, 51820);
		break;
	case BAD_FWMARK_U16:
		mnl_attr_put_u16(nlh, WGDEVICE_A_FWMARK, 1);
		break;
	case BAD_IFINDEX_U64:
		mnl_attr_put_u64(nlh, WGDEVICE_A_IFINDEX, 1);
		break;
	case BAD_IFNAME_NO_NUL:
		mnl_attr_put(nlh, WGDEVICE_A_IFNAME, 3, "wg0");
		break;
	case BAD_IFNAME_LONG:
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "0123456789abcdef");
		break;
	case BAD_IFNAME_EMPTY:
		mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "");
		break;
	case BAD_PEERS_SHORT:
		mnl_attr_put(nlh, WGDEVICE_A_PEERS, 2, key);
		break;
	case BAD_GENL_HEADER_MISSING:
		nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
		break;
	default:
		break;
	}
	if (which == BAD_GENL_HEADER_MISSING) {
		nlb_end(b);
		goto done;
	}

	peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(nlh, 0);
	nlb_key(key, 70);
	if (which == BAD_PEER_KEY_SHORT)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN - 1, key);
	else if (which == BAD_PEER_KEY_LONG)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN + 4, key);
	else if (which != BAD_PEER_NO_KEY)
		mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, WG_KEY_LEN, key);
	switch (which) {
	case BAD_PSK_SHORT:
		mnl_attr_put(nlh, WGPEER_A_PRESHARED_KEY, 16, key);
		break;
	case BAD_ENDPOINT_V4_LEN6:
		sin6.sin6_family = AF_INET;
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
		break;
	case BAD_ENDPOINT_V6_LEN4:
		sin.sin_family = AF_INET6;
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
		break;
	case BAD_ENDPOINT_FAMILY:
		sin.sin_family = AF_UNIX;
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
		break;
	case BAD_ENDPOINT_TINY:
		mnl_attr_put(nlh, WGPEER_A_ENDPOINT, 1, &sin);
		break;
	case BAD_HANDSHAKE_SHORT:
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, 8, &ts);
		break;
	case BAD_HANDSHAKE_LONG:
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts) + 8, key);
		break;
	case BAD_HANDSHAKE_NSEC:
		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
		break;
	case BAD_RX_U32:
		mnl_attr_put_u32(nlh, WGPEER_A_RX_BYTES, 1);
		break;
	case BAD_TX_LONG:
		mnl_attr_put(nlh, WGPEER_A_TX_BYTES, 12, key);
		break;
	case BAD_KEEPALIVE_U8:
		mnl_attr_put_u8(nlh, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, 25);
		break;
	case BAD_ATTR_OVERRUNS_NEST:
		attr = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		attr->nla_len = 64;
		break;
	case BAD_ATTR_LEN_TINY:
		attr = mnl_nlmsg_get_payload_tail(nlh);
		mnl_attr_put_u32(nlh, WGPEER_A_PROTOCOL_VERSION, 1);
		attr->nla_len = 2;
		break;
	default:
		break;
	}

	aips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	aip = mnl_attr_nest_start(nlh, 0);
	if (which != BAD_AIP_NO_CIDR) {
		if (which == BAD_AIP_CIDR_U16)
			mnl_attr_put_u16(nlh, WGALLOWEDIP_A_CIDR_MASK, 8);
		else
			mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK,
					which == BAD_AIP_V4_CIDR ? 33 : which == BAD_AIP_V6_CIDR ? 129 : 8);
	}
	if (which != BAD_AIP_NO_FAMILY)
		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY,
				 which == BAD_AIP_V6_LEN4 || which == BAD_AIP_V6_CIDR ? AF_INET6 :
				 which == BAD_AIP_FAMILY ? AF_UNIX : AF_INET);
	if (which != BAD_AIP_NO_ADDR)
		mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR,
			     which == BAD_AIP_V4_LEN16 || which == BAD_AIP_V6_CIDR ? 16 : 4, addr);
	mnl_attr_nest_end(nlh, aip);
	mnl_attr_nest_end(nlh, aips);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, peers);
	if (which == BAD_NEST_TRAILING) {
		/* Two bytes inside the peers nest that are no attribute. */
		memset((char *)mnl_nlmsg_get_payload_tail(nlh), 0, 4);
		peers->nla_len += 2;
		nlh->nlmsg_len += 4;
	}
	nlb_end(b);

	switch (which) {
	case BAD_MSG_TRUNCATED:
		truncate = true;
		break;
	case BAD_MSG_LEN_HUGE:
		nlh->nlmsg_len = 0x80000010u;
		break;
	case BAD_MSG_LEN_TINY:
		nlh->nlmsg_len = 8;
		break;
	default:
		break;
	}
done:
	switch (which) {
	case BAD_TRAILING_BYTES:
		/* Less than a message header after the last message. */
		memset(b->buf + b->len, 0xff, 8);
		b->len += 8;
		return;
	case BAD_DONE_SHORT:
		nlh = nlb_msg(b, NLMSG_DONE, NLM_F_MULTI, SEQ, PORTID);
		nlh->nlmsg_len += 2;
		nlb_end(b);
		return;
	case BAD_DONE_POSITIVE:
		nlb_done(b, SEQ, PORTID, 5, 0);
		return;
	case BAD_ERROR_HUGE:
		nlb_error(b, SEQ, PORTID, -100000);
		return;
	case BAD_ERROR_SHORT:
		nlh = nlb_msg(b, NLMSG_ERROR, 0, SEQ, PORTID);
		nlh->nlmsg_len += 3;
		nlb_end(b);
		return;
	default:
		break;
	}
	nlb_done(b, SEQ, PORTID, 0, 0);
	if (truncate)
		b->len = nlh->nlmsg_len - 4;
}

static void test_malformed_rejected(void **state)
{
	struct nlb b = new_buf();

	for (int which = 0; which < BAD_COUNT; ++which) {
		struct wg_device *dev = (void *)&b;
		int ret;

		nlb_reset(&b);
		build_bad(&b, (enum bad)which);
		ret = run_dump(&b, &dev);
		if (ret != -EBADMSG)
			fail_msg("case %d: got %d, want -EBADMSG", which, ret);
		assert_null(dev);
	}
	nlb_free(&b);
}

/* The case builder must produce a valid dump when it breaks nothing, or the cases prove little. */
static void test_malformed_baseline(void **state)
{
	struct nlb b = new_buf();
	struct wg_device *dev;

	build_bad(&b, BAD_COUNT);
	assert_int_equal(run_dump(&b, &dev), NLWG_DONE);
	assert_non_null(dev);
	assert_int_equal(dev->n_peers, 1);
	assert_int_equal(dev->peers[0].n_allowedips, 1);
	assert_int_equal(dev->peers[0].allowedips[0].cidr, 8);
	wg_device_free(dev);
	nlb_free(&b);
}

static void test_lifecycle(void **state)
{
	struct nlwg_dump dump = { 0 };
	struct nlb b = new_buf();

	nlwg_dump_free(&dump);
	nlwg_dump_free(NULL);
	assert_int_equal(nlwg_dump_init(&dump, "wg0", NLMSG_DONE, SEQ, PORTID), -EINVAL);
	assert_int_equal(nlwg_dump_feed(&dump, "", 0), -EINVAL);
	nlwg_dump_free(&dump);

	init_dump(&dump);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, 0), NLWG_MORE);
	assert_null(nlwg_dump_take(&dump));
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), NLWG_DONE);
	assert_int_equal(nlwg_dump_feed(&dump, b.buf, b.len), -EINVAL);
	nlwg_dump_free(&dump);
	nlwg_dump_free(&dump);
	nlb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_request),
		cmocka_unit_test(test_family_reply),
		cmocka_unit_test(test_get_device_request),
		cmocka_unit_test(test_full_dump),
		cmocka_unit_test(test_split_peer),
		cmocka_unit_test(test_split_first_peer_repeats_device),
		cmocka_unit_test(test_peer_twice_refused),
		cmocka_unit_test(test_emulated_dump_sizes),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_done_error),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_dump_intr),
		cmocka_unit_test(test_wrong_seq_ignored),
		cmocka_unit_test(test_dump_ends),
		cmocka_unit_test(test_unknown_attrs_skipped),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_malformed_baseline),
		cmocka_unit_test(test_lifecycle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
