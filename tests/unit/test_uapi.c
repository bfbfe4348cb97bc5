// SPDX-License-Identifier: GPL-2.0-or-later
/* The UAPI "get=1" reply parser, fed transcripts whole, byte by byte and in random pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "key.h"
#include "model.h"
#include "uapi.h"

/* RFC 7748, section 6.1: Alice's private key and its public key. */
#define PRIV_HEX "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
#define PUB_HEX "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
/* Bob's public key from the same section, and two synthetic peer keys. */
#define PEER1_HEX "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
#define PEER2_HEX "0202020202020202020202020202020202020202020202020202020202020202"
#define PEER3_HEX "0303030303030303030303030303030303030303030303030303030303030303"
#define PSK_HEX "5a17e3c90b4d6a28f1e0c7b35d9a4e6108f2b7c4a3d5e9f1c0b8a7d6e5f4c3b2"
#define ZERO_HEX "0000000000000000000000000000000000000000000000000000000000000000"

#define DEVICE_PART \
	"private_key=" PRIV_HEX "\n" \
	"listen_port=51820\n" \
	"fwmark=4660\n"

#define PEER1_PART \
	"public_key=" PEER1_HEX "\n" \
	"preshared_key=" ZERO_HEX "\n" \
	"protocol_version=1\n" \
	"endpoint=192.0.2.10:51821\n" \
	"last_handshake_time_sec=1700000000\n" \
	"last_handshake_time_nsec=123456789\n" \
	"tx_bytes=1000\n" \
	"rx_bytes=18446744073709551615\n" \
	"persistent_keepalive_interval=25\n" \
	"allowed_ip=10.172.16.2/32\n" \
	"allowed_ip=fd00:172:16::2/128\n"

/* Peer 2 as it is, and with tx_bytes changed (a reply that leans on an earlier one). */
#define PEER2_WITH_TX(tx) \
	"public_key=" PEER2_HEX "\n" \
	"preshared_key=" PSK_HEX "\n" \
	"protocol_version=1\n" \
	"endpoint=[2001:db8::1]:65535\n" \
	"last_handshake_time_sec=0\n" \
	"last_handshake_time_nsec=0\n" \
	"tx_bytes=" tx "\n" \
	"rx_bytes=0\n" \
	"persistent_keepalive_interval=0\n" \
	"allowed_ip=10.172.16.3/32\n" \
	"allowed_ip=10.172.16.130/25\n"

#define PEER2_PART PEER2_WITH_TX("0")

#define PEER3_PART \
	"public_key=" PEER3_HEX "\n" \
	"preshared_key=" ZERO_HEX "\n" \
	"protocol_version=1\n" \
	"endpoint=[fe80::1%7]:0\n" \
	"last_handshake_time_sec=9223372036854775807\n" \
	"last_handshake_time_nsec=999999999\n" \
	"tx_bytes=00042\n" \
	"rx_bytes=7\n" \
	"persistent_keepalive_interval=65535\n"

#define END_PART "errno=0\n\n"

static const char priv_hex[] = PRIV_HEX, psk_hex[] = PSK_HEX;
static const char good_reply[] = DEVICE_PART PEER1_PART PEER2_PART PEER3_PART END_PART;

static void hex_key(uint8_t key[WG_KEY_LEN], const char *hex)
{
	assert_true(key_from_hex(key, hex, strlen(hex)));
}

static struct wg_device *parse_whole(const char *reply, size_t len, int *ret)
{
	struct wg_device *dev = wg_device_new("wgtest0");

	assert_non_null(dev);
	*ret = uapi_parse(dev, reply, len);
	return dev;
}

static int parse_ret(const char *reply)
{
	int ret;

	wg_device_free(parse_whole(reply, strlen(reply), &ret));
	return ret;
}

/*
 * Feeds reply in pieces whose lengths come from sizes (cycled). Bytes after the
 * end are refused, so finish returning 0 also means feed said 1 at the last byte.
 */
static struct wg_device *parse_pieces(const char *reply, size_t len, const size_t *sizes, size_t n_sizes, int *ret)
{
	struct wg_device *dev = wg_device_new("wgtest0");
	struct uapi_parser p;
	size_t off = 0, i = 0;
	int r = 0;

	assert_non_null(dev);
	uapi_parser_init(&p, dev);
	while (off < len) {
		size_t n = sizes[i++ % n_sizes];

		if (n > len - off)
			n = len - off;
		r = uapi_parser_feed(&p, reply + off, n);
		off += n;
		if (r < 0)
			break;
		if (off < len)
			assert_int_equal(r, 0);
	}
	*ret = r < 0 ? r : uapi_parser_finish(&p);
	return dev;
}

static void check_v4(const union wg_endpoint *ep, const char *addr, uint16_t port)
{
	char buf[INET_ADDRSTRLEN];

	assert_int_equal(ep->addr.sa_family, AF_INET);
	assert_non_null(inet_ntop(AF_INET, &ep->addr4.sin_addr, buf, sizeof(buf)));
	assert_string_equal(buf, addr);
	assert_int_equal(ntohs(ep->addr4.sin_port), port);
}

static void check_v6(const union wg_endpoint *ep, const char *addr, uint16_t port, uint32_t scope)
{
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(ep->addr.sa_family, AF_INET6);
	assert_non_null(inet_ntop(AF_INET6, &ep->addr6.sin6_addr, buf, sizeof(buf)));
	assert_string_equal(buf, addr);
	assert_int_equal(ntohs(ep->addr6.sin6_port), port);
	assert_int_equal(ep->addr6.sin6_scope_id, scope);
}

static void check_aip(const struct wg_allowedip *aip, int family, const char *addr, unsigned int cidr)
{
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(aip->family, family);
	assert_non_null(inet_ntop(family, family == AF_INET ? (const void *)&aip->ip4 : (const void *)&aip->ip6,
				  buf, sizeof(buf)));
	assert_string_equal(buf, addr);
	assert_int_equal(aip->cidr, cidr);
}

static void check_good_device(const struct wg_device *dev)
{
	uint8_t key[WG_KEY_LEN];
	const struct wg_peer *p;

	assert_string_equal(dev->name, "wgtest0");
	assert_true(dev->has_public_key);
	hex_key(key, PUB_HEX);
	assert_memory_equal(dev->public_key, key, WG_KEY_LEN);
	assert_int_equal(dev->listen_port, 51820);
	assert_int_equal(dev->fwmark, 4660);
	assert_int_equal(dev->n_peers, 3);

	p = &dev->peers[0];
	hex_key(key, PEER1_HEX);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_ptr_equal(wg_device_find_peer(dev, key), p);
	assert_false(p->has_preshared_key);
	check_v4(&p->endpoint, "192.0.2.10", 51821);
	assert_int_equal(p->last_handshake_sec, 1700000000);
	assert_int_equal(p->last_handshake_nsec, 123456789);
	assert_int_equal(p->tx_bytes, 1000);
	assert_true(p->rx_bytes == UINT64_MAX);
	assert_int_equal(p->persistent_keepalive, 25);
	assert_int_equal(p->n_allowedips, 2);
	check_aip(&p->allowedips[0], AF_INET, "10.172.16.2", 32);
	check_aip(&p->allowedips[1], AF_INET6, "fd00:172:16::2", 128);
	assert_null(p->name);

	p = &dev->peers[1];
	hex_key(key, PEER2_HEX);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_true(p->has_preshared_key);
	check_v6(&p->endpoint, "2001:db8::1", 65535, 0);
	assert_int_equal(p->last_handshake_sec, 0);
	assert_int_equal(p->last_handshake_nsec, 0);
	assert_int_equal(p->tx_bytes, 0);
	assert_int_equal(p->rx_bytes, 0);
	assert_int_equal(p->persistent_keepalive, 0);
	assert_int_equal(p->n_allowedips, 2);
	check_aip(&p->allowedips[0], AF_INET, "10.172.16.3", 32);
	check_aip(&p->allowedips[1], AF_INET, "10.172.16.130", 25);

	p = &dev->peers[2];
	hex_key(key, PEER3_HEX);
	assert_memory_equal(p->public_key, key, WG_KEY_LEN);
	assert_false(p->has_preshared_key);
	check_v6(&p->endpoint, "fe80::1", 0, 7);
	assert_true(p->last_handshake_sec == INT64_MAX);
	assert_int_equal(p->last_handshake_nsec, 999999999);
	assert_int_equal(p->tx_bytes, 42);
	assert_int_equal(p->rx_bytes, 7);
	assert_int_equal(p->persistent_keepalive, 65535);
	assert_int_equal(p->n_allowedips, 0);
}

/* Field by field: padding inside the structs is not compared. */
static void check_same_device(const struct wg_device *a, const struct wg_device *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->has_public_key, b->has_public_key);
	assert_memory_equal(a->public_key, b->public_key, WG_KEY_LEN);
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->fwmark, b->fwmark);
	assert_int_equal(a->n_peers, b->n_peers);
	for (uint32_t i = 0; i < a->n_peers; ++i) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		assert_memory_equal(p->public_key, q->public_key, WG_KEY_LEN);
		assert_int_equal(p->has_preshared_key, q->has_preshared_key);
		assert_memory_equal(&p->endpoint, &q->endpoint, sizeof(p->endpoint));
		assert_true(p->last_handshake_sec == q->last_handshake_sec);
		assert_true(p->last_handshake_nsec == q->last_handshake_nsec);
		assert_true(p->rx_bytes == q->rx_bytes);
		assert_true(p->tx_bytes == q->tx_bytes);
		assert_int_equal(p->persistent_keepalive, q->persistent_keepalive);
		assert_int_equal(p->n_allowedips, q->n_allowedips);
		for (uint32_t j = 0; j < p->n_allowedips; ++j)
			assert_int_equal(wg_allowedip_cmp(&p->allowedips[j], &q->allowedips[j]), 0);
	}
}

static void test_good_reply(void **state)
{
	struct wg_device *dev;
	int ret;

	dev = parse_whole(good_reply, strlen(good_reply), &ret);
	assert_int_equal(ret, 0);
	check_good_device(dev);
	wg_device_free(dev);
}

static void test_one_byte_chunks(void **state)
{
	static const size_t one[] = { 1 };
	struct wg_device *whole, *dev;
	int ret;

	whole = parse_whole(good_reply, strlen(good_reply), &ret);
	assert_int_equal(ret, 0);
	dev = parse_pieces(good_reply, strlen(good_reply), one, 1, &ret);
	assert_int_equal(ret, 0);
	check_good_device(dev);
	check_same_device(whole, dev);
	wg_device_free(dev);
	wg_device_free(whole);
}

static void test_random_chunks(void **state)
{
	struct wg_device *whole, *dev;
	size_t sizes[64];
	unsigned int seed = 0x5eed;
	int ret;

	whole = parse_whole(good_reply, strlen(good_reply), &ret);
	assert_int_equal(ret, 0);
	for (int round = 0; round < 300; ++round) {
		for (size_t i = 0; i < 64; ++i) {
			seed = seed * 1103515245u + 12345u;
			/* Mostly short pieces, now and then one spanning several lines. */
			sizes[i] = 1 + (seed >> 16) % (round % 3 ? 17 : 400);
		}
		dev = parse_pieces(good_reply, strlen(good_reply), sizes, 64, &ret);
		assert_int_equal(ret, 0);
		check_same_device(whole, dev);
		wg_device_free(dev);
	}
	wg_device_free(whole);
}

static bool contains(const void *hay, size_t hay_len, const void *needle, size_t len)
{
	return hay && memmem(hay, hay_len, needle, len);
}

static void assert_no_secret(const struct wg_device *dev, const void *secret, size_t len)
{
	assert_false(contains(dev, sizeof(*dev), secret, len));
	assert_false(contains(dev->peers, dev->n_peers * sizeof(*dev->peers), secret, len));
	assert_false(contains(dev->index.slots, dev->index.cap * sizeof(*dev->index.slots), secret, len));
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		assert_false(contains(dev->peers[i].allowedips,
				      dev->peers[i].n_allowedips * sizeof(*dev->peers[i].allowedips), secret, len));
}

static void test_private_key_not_kept(void **state)
{
	static const size_t sizes[] = { 3, 7, 50, 1, 130 };
	uint8_t priv[WG_KEY_LEN], psk[WG_KEY_LEN];
	struct wg_device *dev;
	struct uapi_parser p;
	size_t len = strlen(good_reply);
	char *copy;
	int ret;

	hex_key(priv, PRIV_HEX);
	hex_key(psk, PSK_HEX);

	dev = parse_whole(good_reply, len, &ret);
	assert_int_equal(ret, 0);
	assert_true(dev->has_public_key);
	assert_no_secret(dev, priv, sizeof(priv));
	assert_no_secret(dev, PRIV_HEX, strlen(PRIV_HEX));
	assert_no_secret(dev, psk, sizeof(psk));
	assert_no_secret(dev, PSK_HEX, strlen(PSK_HEX));
	wg_device_free(dev);

	/* Split so that both keys straddle chunks and pass through the parser's own line buffer. */
	dev = parse_pieces(good_reply, len, sizes, 5, &ret);
	assert_int_equal(ret, 0);
	assert_no_secret(dev, priv, sizeof(priv));
	assert_no_secret(dev, psk, sizeof(psk));
	wg_device_free(dev);

	dev = wg_device_new("wgtest0");
	assert_non_null(dev);
	uapi_parser_init(&p, dev);
	copy = strdup(good_reply);
	assert_non_null(copy);
	for (size_t off = 0; off < len; off += 5)
		assert_true(uapi_parser_feed(&p, copy + off, len - off < 5 ? len - off : 5) >= 0);
	assert_false(contains(&p, sizeof(p), priv_hex + 5, 40));
	assert_false(contains(&p, sizeof(p), psk_hex + 5, 40));
	assert_int_equal(uapi_parser_finish(&p), 0);
	assert_false(contains(&p, sizeof(p), priv, sizeof(priv)));
	free(copy);
	wg_device_free(dev);

	/* The line buffer is wiped as soon as a key line split across chunks is parsed... */
	dev = wg_device_new("wgtest0");
	assert_non_null(dev);
	uapi_parser_init(&p, dev);
	copy = strdup("private_key=" PRIV_HEX "\npublic_key=" PEER1_HEX "\npreshared_key=" PSK_HEX "\n");
	assert_non_null(copy);
	len = strlen("private_key=" PRIV_HEX "\n");
	assert_int_equal(uapi_parser_feed(&p, copy, 20), 0);
	assert_int_equal(uapi_parser_feed(&p, copy + 20, len - 20), 0);
	assert_false(contains(&p, sizeof(p), priv_hex + 10, 40));
	assert_int_equal(uapi_parser_feed(&p, copy + len, strlen(copy) - len - 3), 0);
	assert_int_equal(uapi_parser_feed(&p, copy + strlen(copy) - 3, 3), 0);
	assert_false(contains(&p, sizeof(p), psk_hex + 10, 40));
	assert_true(dev->peers[0].has_preshared_key);
	free(copy);

	/* ...and a partial one at EOF by finish. */
	uapi_parser_init(&p, dev);
	assert_int_equal(uapi_parser_feed(&p, "private_key=" PRIV_HEX, strlen("private_key=" PRIV_HEX)), 0);
	assert_true(contains(&p, sizeof(p), priv_hex + 10, 40));
	assert_int_equal(uapi_parser_finish(&p), -EPROTO);
	assert_false(contains(&p, sizeof(p), priv_hex + 10, 40));
	wg_device_free(dev);
}

static void test_remote_errno(void **state)
{
	assert_int_equal(parse_ret("errno=0\n\n"), 0);
	assert_int_equal(parse_ret("errno=22\n\n"), -EINVAL);
	/* wireguard-go writes its codes negative. */
	assert_int_equal(parse_ret("errno=-5\n\n"), -EIO);
	assert_int_equal(parse_ret(DEVICE_PART PEER1_PART "errno=98\n\n"), -EADDRINUSE);
	assert_int_equal(parse_ret("errno=4096\n\n"), -EBADMSG);
	assert_int_equal(parse_ret("errno=\n\n"), -EBADMSG);
	assert_int_equal(parse_ret("errno=-\n\n"), -EBADMSG);
	assert_int_equal(parse_ret("errno=x\n\n"), -EBADMSG);
	assert_int_equal(parse_ret("errno=0\nlisten_port=1\n\n"), -EBADMSG);
}

static void test_truncated(void **state)
{
	static const size_t one[] = { 1 };
	struct wg_device *dev;
	int ret;

	assert_int_equal(parse_ret(""), -EPROTO);
	assert_int_equal(parse_ret(DEVICE_PART "listen_po"), -EPROTO);
	assert_int_equal(parse_ret(DEVICE_PART PEER1_PART), -EPROTO);
	assert_int_equal(parse_ret(DEVICE_PART PEER1_PART "errno=0"), -EPROTO);
	assert_int_equal(parse_ret(DEVICE_PART PEER1_PART "errno=0\n"), -EPROTO);

	/* Every proper prefix of the good reply is truncated, not garbage. */
	for (size_t n = 0; n < strlen(good_reply); ++n) {
		dev = parse_whole(good_reply, n, &ret);
		assert_int_equal(ret, -EPROTO);
		wg_device_free(dev);
	}
	dev = parse_pieces(good_reply, strlen(good_reply) - 1, one, 1, &ret);
	assert_int_equal(ret, -EPROTO);
	wg_device_free(dev);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"\x01\x02\xff\xfe\n",
		"hello\n",
		"=value\n",
		"\n",
		"listen_port=1\r\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/\n",
		"public_key=" PEER1_HEX "\nallowed_ip=/32\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.256/32\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/33\n",
		"public_key=" PEER1_HEX "\nallowed_ip=fd00::1/129\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/-1\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/ 24\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/24/1\n",
		"public_key=" PEER1_HEX "\nallowed_ip=fd00::1%eth0/64\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1:65536\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1:\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1\n",
		"public_key=" PEER1_HEX "\nendpoint=:51820\n",
		"public_key=" PEER1_HEX "\nendpoint=\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1:-1\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1:0x10\n",
		"public_key=" PEER1_HEX "\nendpoint=2001:db8::1:51820\n",
		"public_key=" PEER1_HEX "\nendpoint=[2001:db8::1]51820\n",
		"public_key=" PEER1_HEX "\nendpoint=[2001:db8::1:51820\n",
		"public_key=" PEER1_HEX "\nendpoint=[2001:db8::1]:\n",
		"public_key=" PEER1_HEX "\nendpoint=[192.0.2.1]:1\n",
		"public_key=" PEER1_HEX "\nendpoint=[fe80::1%]:1\n",
		"public_key=" PEER1_HEX "\nendpoint=[fe80::1%a b]:1\n",
		"public_key=" PEER1_HEX "\nendpoint=[fe80::1%abcdefghijklmnop]:1\n",
		"public_key=" PEER1_HEX "\nendpoint=example.com:51820\n",
		"public_key=" PEER1_HEX "\nendpoint=localhost:51820\n",
		"public_key=" PEER1_HEX "\npreshared_key=" PEER1_HEX "00\n",
		"public_key=" PEER1_HEX "\npreshared_key=\n",
		"public_key=" PEER1_HEX "\nrx_bytes=\n",
		"public_key=" PEER1_HEX "\nrx_bytes=-1\n",
		"public_key=" PEER1_HEX "\nrx_bytes=+1\n",
		"public_key=" PEER1_HEX "\nrx_bytes= 1\n",
		"public_key=" PEER1_HEX "\nrx_bytes=1 \n",
		"public_key=" PEER1_HEX "\ntx_bytes=1e3\n",
		"public_key=" PEER1_HEX "\nlast_handshake_time_nsec=1000000000\n",
		"public_key=" "zz02020202020202020202020202020202020202020202020202020202020202" "\n",
		"public_key=0202020202020202020202020202020202020202020202020202020202020\n",
		"public_key=020202020202020202020202020202020202020202020202020202020202020202\n",
		"public_key=\n",
		"private_key=" PRIV_HEX "ab\n",
		"private_key=" "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2g" "\n",
		"listen_port=abc\n",
		/* A peer key without a peer, and a device key inside a peer. */
		"endpoint=192.0.2.1:1\n",
		"public_key=" PEER1_HEX "\nlisten_port=1\n",
		"public_key=" PEER1_HEX "\nprivate_key=" PRIV_HEX "\n",
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
		snprintf(buf, sizeof(buf), "%s%s", bad[i], END_PART);
		if (parse_ret(buf) != -EBADMSG)
			fail_msg("accepted garbage #%zu: %s", i, bad[i]);
	}
}

static void test_nul_bytes(void **state)
{
	static const char nul_line[] = "listen_port=1\0\n" END_PART;
	static const char nul_tail[] = "listen_po\0rt";
	static const size_t one[] = { 1 };
	struct wg_device *dev;
	int ret;

	dev = parse_whole(nul_line, sizeof(nul_line) - 1, &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
	dev = parse_pieces(nul_line, sizeof(nul_line) - 1, one, 1, &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
	/* Refused on sight, not mistaken for a mere truncation at EOF. */
	dev = parse_whole(nul_tail, sizeof(nul_tail) - 1, &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
}

static void test_huge_values(void **state)
{
	static const char *const bad[] = {
		"listen_port=65536\n",
		"listen_port=99999999999999999999999999\n",
		"fwmark=4294967296\n",
		"public_key=" PEER1_HEX "\nrx_bytes=18446744073709551616\n",
		"public_key=" PEER1_HEX "\ntx_bytes=18446744073709551620\n",
		"public_key=" PEER1_HEX "\ntx_bytes=100000000000000000000\n",
		"public_key=" PEER1_HEX "\npersistent_keepalive_interval=65536\n",
		"public_key=" PEER1_HEX "\npersistent_keepalive_interval=4294967297\n",
		"public_key=" PEER1_HEX "\nlast_handshake_time_sec=9223372036854775808\n",
		"public_key=" PEER1_HEX "\nlast_handshake_time_sec=18446744073709551615\n",
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/4294967328\n",
		"public_key=" PEER1_HEX "\nendpoint=192.0.2.1:4294967297\n",
	};
	char buf[512];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i) {
		snprintf(buf, sizeof(buf), "%s%s", bad[i], END_PART);
		if (parse_ret(buf) != -EBADMSG)
			fail_msg("accepted huge value #%zu: %s", i, bad[i]);
	}
	assert_int_equal(parse_ret("listen_port=65535\nfwmark=4294967295\n" END_PART), 0);
	assert_int_equal(parse_ret("public_key=" PEER1_HEX "\ntx_bytes=18446744073709551615\n" END_PART), 0);
}

static void test_protocol_version(void **state)
{
	assert_int_equal(parse_ret("public_key=" PEER1_HEX "\nprotocol_version=1\n" END_PART), 0);
	assert_int_equal(parse_ret("public_key=" PEER1_HEX "\nprotocol_version=2\n" END_PART), -EPROTONOSUPPORT);
	assert_int_equal(parse_ret("public_key=" PEER1_HEX "\nprotocol_version=one\n" END_PART), -EBADMSG);
}

static void test_unknown_keys(void **state)
{
	static const char reply[] =
		"future_device_thing=whatever it is\n"
		DEVICE_PART
		"jc=4\n"
		"x=\n"
		PEER1_PART
		"shiny_new_peer_field=1\n"
		PEER2_PART
		"another=a=b=c\n"
		PEER3_PART
		"last_words=\n"
		END_PART;
	struct wg_device *a, *b;
	int ret;

	a = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, 0);
	check_good_device(a);
	b = parse_whole(good_reply, strlen(good_reply), &ret);
	assert_int_equal(ret, 0);
	check_same_device(a, b);
	wg_device_free(a);
	wg_device_free(b);
}

static void test_scope_names(void **state)
{
	static const char reply[] = "public_key=" PEER1_HEX "\nendpoint=[fe80::1%eth0]:51820\n" END_PART;
	struct wg_device *dev;
	int ret;

	dev = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, 0);
	check_v6(&dev->peers[0].endpoint, "fe80::1", 51820, 0);
	wg_device_free(dev);
}

static unsigned int fake_if_nametoindex(const char *name)
{
	return strcmp(name, "eth0") ? 0 : 42;
}

static void test_scope_resolver(void **state)
{
	static const char reply[] = "public_key=" PEER1_HEX "\nendpoint=[fe80::1%eth0]:51820\n" END_PART;
	struct wg_device *dev = wg_device_new("wgtest0");
	struct uapi_parser p;

	assert_non_null(dev);
	uapi_parser_init(&p, dev);
	p.scope_to_index = fake_if_nametoindex;
	assert_int_equal(uapi_parser_feed(&p, reply, strlen(reply)), 1);
	assert_int_equal(uapi_parser_finish(&p), 0);
	check_v6(&dev->peers[0].endpoint, "fe80::1", 51820, 42);
	wg_device_free(dev);
}

static void test_overlong_line(void **state)
{
	static const size_t pieces[] = { 1000 };
	size_t len = UAPI_LINE_MAX + 100;
	char *reply = malloc(len + sizeof(END_PART));
	struct wg_device *dev;
	int ret;

	assert_non_null(reply);
	/* The longest line accepted: UAPI_LINE_MAX bytes with its newline. */
	memset(reply, 'a', UAPI_LINE_MAX - 1);
	reply[1] = '=';
	reply[UAPI_LINE_MAX - 1] = '\n';
	strcpy(reply + UAPI_LINE_MAX, END_PART);
	dev = parse_pieces(reply, strlen(reply), pieces, 1, &ret);
	assert_int_equal(ret, 0);
	wg_device_free(dev);
	dev = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, 0);
	wg_device_free(dev);

	/* One byte more is refused, whole or in pieces, and before any newline arrives. */
	memset(reply, 'a', UAPI_LINE_MAX);
	reply[1] = '=';
	reply[UAPI_LINE_MAX] = '\n';
	strcpy(reply + UAPI_LINE_MAX + 1, END_PART);
	dev = parse_pieces(reply, strlen(reply), pieces, 1, &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
	dev = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
	dev = parse_whole(reply, UAPI_LINE_MAX, &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
	free(reply);
}

static void test_after_end(void **state)
{
	static const char reply[] = "listen_port=1\n" END_PART "listen_port=2\n";
	struct wg_device *dev = wg_device_new("wgtest0");
	struct uapi_parser p;

	assert_non_null(dev);
	assert_int_equal(parse_ret("listen_port=1\n" END_PART "x"), -EBADMSG);
	assert_int_equal(parse_ret("listen_port=1\n" END_PART "\n"), -EBADMSG);

	uapi_parser_init(&p, dev);
	assert_int_equal(uapi_parser_feed(&p, reply, strlen("listen_port=1\n" END_PART)), 1);
	assert_int_equal(uapi_parser_feed(&p, reply + strlen("listen_port=1\n" END_PART), 1), -EBADMSG);
	/* Sticky. */
	assert_int_equal(uapi_parser_feed(&p, "", 0), -EBADMSG);
	assert_int_equal(uapi_parser_finish(&p), -EBADMSG);
	assert_int_equal(dev->listen_port, 1);
	wg_device_free(dev);
}

static void test_misplaced_device_key_changes_nothing(void **state)
{
	static const char reply[] = "listen_port=7\npublic_key=" PEER1_HEX "\nlisten_port=8\n" END_PART;
	struct wg_device *dev;
	int ret;

	dev = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, -EBADMSG);
	assert_int_equal(dev->listen_port, 7);
	wg_device_free(dev);
}

static void test_no_private_key(void **state)
{
	struct wg_device *dev;
	int ret;
	static const char zero[] = "private_key=" ZERO_HEX "\n" END_PART;

	dev = parse_whole(END_PART, strlen(END_PART), &ret);
	assert_int_equal(ret, 0);
	assert_false(dev->has_public_key);
	assert_int_equal(dev->n_peers, 0);
	wg_device_free(dev);
	dev = parse_whole(zero, strlen(zero), &ret);
	assert_int_equal(ret, 0);
	assert_false(dev->has_public_key);
	wg_device_free(dev);
}

/*
 * wireguard-go keeps its peers by key and lists each once: an answer naming a peer twice is
 * refused, as a line it cannot parse is, not merged into one peer behind the operator's back.
 */
static void test_repeated_peer_refused(void **state)
{
	static const char reply[] =
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.1/32\n"
		"public_key=" PEER2_HEX "\n"
		"public_key=" PEER1_HEX "\nallowed_ip=10.0.0.2/32\n" END_PART;
	struct wg_device *dev;
	int ret;

	dev = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, -EBADMSG);
	wg_device_free(dev);
}

static void test_many_peers(void **state)
{
	const uint32_t n = 10000;
	size_t cap = (size_t)n * 400 + 64, len = 0;
	char *reply = malloc(cap), hex[WG_KEY_HEX_LEN];
	uint8_t key[WG_KEY_LEN] = { 0 };
	struct wg_device *dev;
	int ret;

	assert_non_null(reply);
	len += (size_t)sprintf(reply + len, "%s", DEVICE_PART);
	for (uint32_t i = 0; i < n; ++i) {
		memcpy(key, &i, sizeof(i));
		key[31] = 0x77;
		key_to_hex(hex, key);
		len += (size_t)sprintf(reply + len,
				       "public_key=%s\npreshared_key=" ZERO_HEX "\nprotocol_version=1\n"
				       "endpoint=203.0.113.%u:%u\nlast_handshake_time_sec=0\n"
				       "last_handshake_time_nsec=0\ntx_bytes=%u\nrx_bytes=0\n"
				       "persistent_keepalive_interval=0\nallowed_ip=10.%u.%u.%u/32\n",
				       hex, i % 256, 1024 + i, i, i >> 16 & 255, i >> 8 & 255, i & 255);
	}
	len += (size_t)sprintf(reply + len, "%s", END_PART);
	dev = parse_whole(reply, len, &ret);
	assert_int_equal(ret, 0);
	assert_int_equal(dev->n_peers, n);
	assert_int_equal(dev->peers[n - 1].tx_bytes, n - 1);
	check_v4(&dev->peers[4321].endpoint, "203.0.113.225", 1024 + 4321);
	/* Indexed once the answer is whole: every peer is found by its key. */
	for (uint32_t i = 0; i < n; ++i) {
		memcpy(key, &i, sizeof(i));
		assert_ptr_equal(wg_device_find_peer(dev, key), &dev->peers[i]);
	}
	wg_device_free(dev);
	free(reply);
}

/*
 * reply parsed with its peers' lines summed, leaning on earlier (may be NULL), in pieces as
 * parse_pieces cuts them (sizes NULL: whole); *taken says how many peers came from earlier.
 */
static struct wg_device *parse_summed(const char *reply, const struct wg_device *earlier, const size_t *sizes,
				      size_t n_sizes, uint32_t *taken)
{
	struct wg_device *dev = wg_device_new("wgtest0");
	struct uapi_parser p;
	size_t len = strlen(reply), off = 0, i = 0;
	int r = 0;

	assert_non_null(dev);
	uapi_parser_init(&p, dev);
	uapi_parser_keep_sums(&p, earlier, earlier ? earlier->n_peers : 0);
	while (off < len && r == 0) {
		size_t n = sizes ? sizes[i++ % n_sizes] : len;

		if (n > len - off)
			n = len - off;
		r = uapi_parser_feed(&p, reply + off, n);
		off += n;
	}
	assert_int_equal(r, 1);
	assert_int_equal(uapi_parser_finish(&p), 0);
	*taken = p.taken;
	uapi_parser_clear(&p);
	return dev;
}

/* reply as a plain parse gives it, and as one leaning on earlier: the same device. */
static uint32_t check_summed(const char *reply, const struct wg_device *earlier)
{
	struct wg_device *plain, *summed;
	uint32_t taken;
	int ret;

	plain = parse_whole(reply, strlen(reply), &ret);
	assert_int_equal(ret, 0);
	summed = parse_summed(reply, earlier, NULL, 0, &taken);
	check_same_device(plain, summed);
	wg_device_free(summed);
	wg_device_free(plain);
	return taken;
}

#define PEER2_CHANGED_PART PEER2_WITH_TX("1")

static void test_unchanged_peers_taken(void **state)
{
	/* Another order, as wireguard-go's map gives it; peer 2's tx_bytes changed. */
	static const char next[] = DEVICE_PART PEER3_PART PEER1_PART PEER2_CHANGED_PART END_PART;
	/* Peer 1 with one more allowed IP after the lines it had, or one fewer. */
	static const char more[] = DEVICE_PART PEER1_PART "allowed_ip=10.9.9.9/32\n" END_PART;
	static const char fewer[] = DEVICE_PART "public_key=" PEER1_HEX "\npreshared_key=" ZERO_HEX "\n"
				    "protocol_version=1\nendpoint=192.0.2.10:51821\n" PEER3_PART END_PART;
	struct wg_device *earlier;
	uint32_t taken;

	earlier = parse_summed(good_reply, NULL, NULL, 0, &taken);
	assert_int_equal(taken, 0);
	assert_non_null(earlier->lines_sums);
	assert_int_equal(earlier->lines_sums[0].len, strlen(PEER1_PART));
	assert_int_equal(earlier->lines_sums[1].len, strlen(PEER2_PART));
	/* The last peer's lines end at errno=. */
	assert_int_equal(earlier->lines_sums[2].len, strlen(PEER3_PART));

	assert_int_equal(check_summed(next, earlier), 2);
	assert_int_equal(check_summed(good_reply, earlier), 3);
	assert_int_equal(check_summed(more, earlier), 0);
	assert_int_equal(check_summed(fewer, earlier), 1);
	/* The device's own lines are never taken: another key is another device. */
	assert_int_equal(check_summed("private_key=" ZERO_HEX "\n" PEER1_PART END_PART, earlier), 1);
	wg_device_free(earlier);
}

/* Cut anywhere, a reply leaning on an earlier one is the reply; a peer cut is parsed, not taken. */
static void test_summed_random_chunks(void **state)
{
	static const char next[] = DEVICE_PART PEER3_PART PEER1_PART PEER2_CHANGED_PART END_PART;
	struct wg_device *earlier, *plain, *dev, *again;
	unsigned int seed = 0x5eed5;
	uint32_t taken, most = 0;
	size_t sizes[16];
	int ret;

	earlier = parse_summed(good_reply, NULL, NULL, 0, &taken);
	plain = parse_whole(next, strlen(next), &ret);
	assert_int_equal(ret, 0);
	for (int round = 0; round < 500; ++round) {
		uint32_t taken_again, summed;

		for (size_t i = 0; i < 16; ++i) {
			seed = seed * 1103515245u + 12345u;
			sizes[i] = 1 + (seed >> 16) % (round % 3 == 0 ? 40 : round % 3 == 1 ? 700 : 1500);
		}
		dev = parse_summed(next, earlier, sizes, 16, &taken);
		check_same_device(plain, dev);
		assert_true(taken <= 2);
		if (taken > most)
			most = taken;
		/* What it summed, the next read of the same answer takes. */
		again = parse_summed(next, dev, NULL, 0, &taken_again);
		check_same_device(plain, again);
		summed = 0;
		for (uint32_t i = 0; i < dev->n_peers; ++i)
			if (dev->lines_sums[i].len) {
				assert_int_equal(dev->lines_sums[i].len, again->lines_sums[i].len);
				summed++;
			}
		assert_int_equal(taken_again, summed);
		wg_device_free(again);
		wg_device_free(dev);
	}
	assert_int_equal(most, 2);
	wg_device_free(plain);
	wg_device_free(earlier);
}

/* A zone by name may be another interface next time: such a peer is parsed every time. */
static void test_named_zone_not_summed(void **state)
{
	static const char reply[] = "public_key=" PEER1_HEX "\nendpoint=[fe80::1%eth0]:51820\n" PEER2_PART END_PART;
	struct wg_device *earlier;
	uint32_t taken;

	earlier = parse_summed(reply, NULL, NULL, 0, &taken);
	assert_int_equal(earlier->lines_sums[0].len, 0);
	assert_int_equal(earlier->lines_sums[1].len, strlen(PEER2_PART));
	assert_int_equal(check_summed(reply, earlier), 1);
	wg_device_free(earlier);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_reply),
		cmocka_unit_test(test_one_byte_chunks),
		cmocka_unit_test(test_random_chunks),
		cmocka_unit_test(test_private_key_not_kept),
		cmocka_unit_test(test_remote_errno),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_huge_values),
		cmocka_unit_test(test_protocol_version),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_scope_names),
		cmocka_unit_test(test_scope_resolver),
		cmocka_unit_test(test_overlong_line),
		cmocka_unit_test(test_after_end),
		cmocka_unit_test(test_misplaced_device_key_changes_nothing),
		cmocka_unit_test(test_no_private_key),
		cmocka_unit_test(test_repeated_peer_refused),
		cmocka_unit_test(test_many_peers),
		cmocka_unit_test(test_unchanged_peers_taken),
		cmocka_unit_test(test_summed_random_chunks),
		cmocka_unit_test(test_named_zone_not_summed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
