// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of check: every cause found over a model, one line each, fixes where they exist. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "check.h"

#define NOW 1700000000

static struct wg_peer *peer(struct wg_device *dev, uint8_t k, const char *name, const char *ip, uint8_t cidr)
{
	struct wg_allowedip a = { .family = AF_INET, .cidr = cidr };
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *p;

	memset(key, k, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	if (name)
		wg_peer_set_name(p, name);
	inet_pton(AF_INET, ip, &a.ip4);
	wg_peer_add_allowedip(p, &a);
	p->last_handshake_sec = NOW - 10;
	return p;
}

static struct wg_snapshot *star(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");

	dev->ifindex = 7;
	dev->listen_port = 51820;
	peer(dev, 1, "alice", "10.172.16.2", 32);
	peer(dev, 2, "bob", "10.172.16.3", 32);
	wg_snapshot_add_device(snap, dev);
	return snap;
}

static int route_via_wg0(void *ctx, uint8_t family, const void *addr)
{
	return *(int *)ctx;
}

static void init(struct check_input *in, struct wg_snapshot *snap)
{
	memset(in, 0, sizeof(*in));
	in->snap = snap;
	in->fwd.ipv4 = 1;
	in->fwd.ipv6 = 1;
	in->ruleset = "";
	in->now = NOW;
	for (int i = 0; i < CHECK_MAX_DEVICES; ++i)
		in->rp_filter[i] = 0;
}

static void test_healthy(void **state)
{
	struct wg_snapshot *snap = star();
	struct check_input in;
	struct check_result r;

	init(&in, snap);
	in.peer_a = "alice";
	in.peer_b = "10.172.16.3";
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 0);
	check_result_free(&r);
	in.peer_b = "carol";
	assert_int_equal(check_run(&in, &r), -ENOENT);
	assert_string_equal(r.unknown, "carol");
	wg_snapshot_free(snap);
}

static void test_forwarding_off(void **state)
{
	struct wg_snapshot *snap = star();
	struct check_input in;
	struct check_result r;

	init(&in, snap);
	in.fwd.ipv4 = 0;
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].text, "IPv4 forwarding is off"));
	assert_string_equal(r.v[0].fix, "wgstar-top forward on");
	check_result_free(&r);
	wg_snapshot_free(snap);
}

static void test_firewall_drops(void **state)
{
	struct wg_snapshot *snap = star();
	struct check_input in;
	struct check_result r;

	init(&in, snap);
	in.ruleset = "table inet filter {\n\tchain fwd {\n"
		     "\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n"
		     "table ip filter {\n\tchain FORWARD {\n"
		     "\t\ttype filter hook forward priority filter; policy drop;\n\t}\n}\n"
		     "table inet other {\n\tchain f {\n"
		     "\t\ttype filter hook forward priority filter; policy accept;\n"
		     "\t\tiifname \"wg0\" drop\n\t}\n}\n";
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 3);
	assert_non_null(strstr(r.v[0].text, "chain inet filter fwd (nftables) drops forwarded packets by policy"));
	assert_non_null(strstr(r.v[0].fix, "wgstar-top check --fix"));
	assert_int_equal(r.v[0].kind, CHECK_FIX_FIREWALL);
	assert_non_null(strstr(r.v[1].text, "(iptables-nft)"));
	/* iptables-nft's chain too is changed by --fix, as iptables would change it */
	assert_string_equal(r.v[1].fix, "wgstar-top check --fix (iptables -A FORWARD -i wg0 -o wg0 -j ACCEPT, shown first)");
	assert_int_equal(r.v[1].kind, CHECK_FIX_FIREWALL);
	assert_non_null(strstr(r.v[2].text, "has rules that drop"));
	assert_string_equal(r.v[2].fix, "");
	check_result_free(&r);
	wg_snapshot_free(snap);
}

static void test_peers(void **state)
{
	struct wg_snapshot *snap = star();
	struct wg_device *dev = snap->devices[0];
	struct check_input in;
	struct check_result r;
	struct wg_peer *p;

	p = peer(dev, 3, "carol", "10.172.16.0", 28);
	p->last_handshake_sec = 0;
	p = peer(dev, 4, "dave", "10.172.16.40", 32);
	p->last_handshake_sec = NOW - 600;
	p->persistent_keepalive = 25;
	p = peer(dev, 5, "erin", "10.172.16.41", 32);
	p->last_handshake_sec = NOW - 600;
	init(&in, snap);
	assert_int_equal(check_run(&in, &r), 0);
	/* carol's /28 holds alice and bob; carol never; dave silent despite keepalive; erin is just idle. */
	assert_int_equal(r.n, 4);
	assert_non_null(strstr(r.v[0].text, "10.172.16.0/28 of carol contains 10.172.16.2/32 of alice"));
	assert_non_null(strstr(r.v[1].text, "of bob, which WireGuard routes to bob only"));
	assert_non_null(strstr(r.v[2].text, "carol never completed a handshake"));
	assert_non_null(strstr(r.v[3].text, "dave: last handshake"));
	check_result_free(&r);

	/* Asked about erin: idle is worth a line. */
	in.peer_a = "erin";
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].text, "erin: last handshake"));
	check_result_free(&r);
	wg_snapshot_free(snap);
}

static void test_rp_filter(void **state)
{
	struct wg_snapshot *snap = star();
	struct check_input in;
	struct check_result r;
	int oif = 7;

	init(&in, snap);
	in.route_oif = route_via_wg0;
	in.route_ctx = &oif;
	in.rp_filter[0] = 1;
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 0);
	check_result_free(&r);
	oif = 2;
	in.peer_a = "bob";
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.v[0].text, "strict reverse-path filtering"));
	assert_string_equal(r.v[0].fix, "ip route add 10.172.16.3/32 dev wg0");
	check_result_free(&r);
	/* Loose filtering wants only some route back. */
	in.rp_filter[0] = 2;
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 0);
	check_result_free(&r);
	oif = -ENETUNREACH;
	assert_int_equal(check_run(&in, &r), 0);
	assert_int_equal(r.n, 1);
	check_result_free(&r);
	wg_snapshot_free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_healthy),
		cmocka_unit_test(test_forwarding_off),
		cmocka_unit_test(test_firewall_drops),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_rp_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
