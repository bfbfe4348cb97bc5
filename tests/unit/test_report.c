// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the --once output: the JSON schema read back field by field, and golden text. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "key.h"
#include "report.h"

#define NOW 1700000000

static struct wg_snapshot *make_snapshot(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 }, b = { .family = AF_INET6, .cidr = 128 };
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *p;

	dev->backend = WG_BACKEND_USERSPACE;
	dev->has_public_key = true;
	memset(dev->public_key, 0x11, WG_KEY_LEN);
	dev->listen_port = 51820;
	dev->fwmark = 0x42;

	memset(key, 1, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	wg_peer_set_name(p, "alice \"the\" <admin>\\");
	p->has_preshared_key = true;
	p->endpoint.addr4.sin_family = AF_INET;
	p->endpoint.addr4.sin_port = htons(40000);
	inet_pton(AF_INET, "192.0.2.2", &p->endpoint.addr4.sin_addr);
	p->last_handshake_sec = NOW - 12;
	p->rx_bytes = 18446744073709551615ULL;
	p->tx_bytes = 4096;
	p->persistent_keepalive = 25;
	inet_pton(AF_INET, "10.172.16.2", &a.ip4);
	wg_peer_add_allowedip(p, &a);
	inet_pton(AF_INET6, "fd00::2", &b.ip6);
	wg_peer_add_allowedip(p, &b);

	memset(key, 2, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	p->last_handshake_sec = NOW - 181;

	memset(key, 3, sizeof(key));
	wg_device_get_peer(dev, key, NULL);

	wg_snapshot_add_device(snap, dev);
	snap->wall.tv_sec = NOW;
	return snap;
}

static char *capture(int (*fn)(FILE *, const struct wg_snapshot *, const struct fwd_state *),
		     const struct wg_snapshot *snap, const struct fwd_state *fwd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(fn(f, snap, fwd), 0);
	fclose(f);
	return buf;
}

static struct json_object *get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, k, &v));
	return v;
}

/* A string as json-c writes it: every ASCII byte, alone and amid others, and UTF-8. */
static void test_put_string_as_json_c(void **state)
{
	static const char *const more[] = { "", "a/b", "bulk-31336", "M\xc3\xbcller \"x\"", "\xe6\x9d\xb1", "~\x7f" };
	char s[4], *got = NULL;
	size_t len = 0;

	for (unsigned int c = 1; c < 0x80 + sizeof(more) / sizeof(more[0]); ++c) {
		const char *in = s;
		struct json_object *o;
		FILE *f = open_memstream(&got, &len);

		if (c < 0x80) {
			s[0] = 'a';
			s[1] = (char)c;
			s[2] = 'z';
			s[3] = '\0';
		} else {
			in = more[c - 0x80];
		}
		assert_non_null(f);
		assert_int_equal(report_put_string(f, in), 0);
		fclose(f);
		o = json_object_new_string(in);
		assert_string_equal(got, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
									JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
		free(got);
		got = NULL;
	}
}

static void test_json_schema(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = -1 };
	struct wg_policy *pol = calloc(1, sizeof(*pol));
	char *text;
	struct json_object *root, *ifs, *dev, *peers, *p, *ips;

	snap->devices[0]->peers[0].groups = strdup("laptops, admins");
	pol->in_force = true;
	pol->rules = calloc(2, sizeof(*pol->rules));
	pol->n_rules = 2;
	pol->rules[0] = (struct wg_policy_rule){ .line = 2, .is_default = true, .text = "Default = deny", .packets = 9 };
	pol->rules[1] = (struct wg_policy_rule){ .line = 5, .allow = true, .text = "Allow = laptops -> servers tcp/22" };
	pol->refused = calloc(2, sizeof(*pol->refused));
	pol->n_refused = 2;
	pol->refused[0] = (struct wg_refused){ 0, 1, 3, 180 };
	pol->refused[1] = (struct wg_refused){ 0, WG_REFUSED_HUB, 10, 600 };
	snap->devices[0]->policy = pol;
	text = capture(report_json, snap, &fwd);
	root = json_tokener_parse(text);
	char b64[WG_KEY_B64_LEN];

	assert_non_null(root);
	assert_int_equal(json_object_get_int(get(root, "version")), REPORT_JSON_VERSION);
	assert_int_equal(json_object_get_int64(get(root, "time")), NOW);
	ifs = get(root, "interfaces");
	assert_int_equal(json_object_array_length(ifs), 1);
	dev = json_object_array_get_idx(ifs, 0);
	assert_string_equal(json_object_get_string(get(dev, "name")), "wg0");
	assert_string_equal(json_object_get_string(get(dev, "backend")), "userspace");
	memset(b64, 0, sizeof(b64));
	{
		uint8_t k[WG_KEY_LEN];

		memset(k, 0x11, sizeof(k));
		key_to_base64(b64, k);
	}
	assert_string_equal(json_object_get_string(get(dev, "public_key")), b64);
	assert_int_equal(json_object_get_int(get(dev, "listen_port")), 51820);
	assert_int_equal(json_object_get_int(get(dev, "fwmark")), 0x42);
	assert_true(json_object_get_boolean(get(get(dev, "forwarding"), "ipv4")));
	assert_null(get(get(dev, "forwarding"), "ipv6"));

	peers = get(dev, "peers");
	assert_int_equal(json_object_array_length(peers), 3);
	p = json_object_array_get_idx(peers, 0);
	assert_string_equal(json_object_get_string(get(p, "name")), "alice \"the\" <admin>\\");
	assert_string_equal(json_object_get_string(get(p, "public_key")),
			    "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
	assert_true(json_object_get_boolean(get(p, "preshared_key")));
	assert_string_equal(json_object_get_string(get(p, "endpoint")), "192.0.2.2:40000");
	ips = get(p, "allowed_ips");
	assert_int_equal(json_object_array_length(ips), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ips, 0)), "10.172.16.2/32");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(ips, 1)), "fd00::2/128");
	assert_int_equal(json_object_get_int64(get(p, "latest_handshake")), NOW - 12);
	assert_true(json_object_get_uint64(get(p, "rx_bytes")) == 18446744073709551615ULL);
	assert_int_equal(json_object_get_int64(get(p, "tx_bytes")), 4096);
	assert_int_equal(json_object_get_int(get(p, "persistent_keepalive")), 25);
	assert_string_equal(json_object_get_string(get(p, "state")), "online");
	assert_null(get(p, "forwarded"));
	assert_int_equal(json_object_array_length(get(p, "groups")), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(get(p, "groups"), 1)), "admins");
	/* the policy: what it refused, to a peer and to the hub, and each rule's counter */
	{
		struct json_object *jp = get(dev, "policy"), *d, *r;

		assert_string_equal(json_object_get_string(get(jp, "default")), "deny");
		assert_true(json_object_get_boolean(get(jp, "in_force")));
		d = get(jp, "denied");
		assert_int_equal(json_object_array_length(d), 2);
		assert_string_equal(json_object_get_string(get(json_object_array_get_idx(d, 0), "to")),
				    "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
		assert_int_equal(json_object_get_int64(get(json_object_array_get_idx(d, 0), "packets")), 3);
		assert_string_equal(json_object_get_string(get(json_object_array_get_idx(d, 1), "to")), "hub");
		assert_int_equal(json_object_get_int64(get(json_object_array_get_idx(d, 1), "bytes")), 600);
		r = get(jp, "rules");
		assert_int_equal(json_object_array_length(r), 2);
		assert_string_equal(json_object_get_string(get(json_object_array_get_idx(r, 1), "rule")),
				    "Allow = laptops -> servers tcp/22");
		assert_int_equal(json_object_get_int(get(json_object_array_get_idx(r, 1), "line")), 5);
	}

	p = json_object_array_get_idx(peers, 1);
	assert_int_equal(json_object_array_length(get(p, "groups")), 0);
	assert_null(get(p, "name"));
	assert_null(get(p, "endpoint"));
	assert_false(json_object_get_boolean(get(p, "preshared_key")));
	assert_int_equal(json_object_array_length(get(p, "allowed_ips")), 0);
	assert_string_equal(json_object_get_string(get(p, "state")), "stale");
	p = json_object_array_get_idx(peers, 2);
	assert_string_equal(json_object_get_string(get(p, "state")), "never");
	assert_int_equal(json_object_get_int64(get(p, "latest_handshake")), 0);

	json_object_put(root);
	free(text);
	wg_snapshot_free(snap);
}

static void test_json_empty(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct fwd_state fwd = { .ipv4 = 0, .ipv6 = 0 };
	char *text;

	snap->wall.tv_sec = NOW;
	text = capture(report_json, snap, &fwd);
	assert_string_equal(text, "{\"version\":1,\"time\":1700000000,\"interfaces\":[]}\n");
	free(text);
	wg_snapshot_add_device(snap, wg_device_new("wg1"));
	text = capture(report_json, snap, &fwd);
	assert_non_null(strstr(text, "\"peers\":[],\"policy\":null,\"flows\":null}"));
	assert_non_null(strstr(text, "\"public_key\":null"));
	free(text);
	wg_snapshot_free(snap);
}

static int text_ascii(FILE *f, const struct wg_snapshot *snap, const struct fwd_state *fwd)
{
	return report_text(f, snap, fwd, false);
}

static void test_text_golden(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	char *text = capture(text_ascii, snap, &fwd);
	const char *want =
		"interface wg0 (userspace)\n"
		"  public key: ERERERERERERERERERERERERERERERERERERERERERE=\n"
		"  listening port: 51820\n"
		"  fwmark: 0x42\n"
		"  forwarding: IPv4 on, IPv6 off\n"
		"  peers: 1 online, 1 stale, 1 never, 3 in all\n"
		"\n"
		"NAME                  ALLOWED IPS                  ENDPOINT         HANDSHAKE  STATE          RX        TX\n"
		"alice \"the\" <admin>\\  10.172.16.2/32, fd00::2/128  192.0.2.2:40000  12s        online  16.00 EiB  4.00 KiB\n"
		"AgICAgIC...           -                            -                3m01s      stale         0 B       0 B\n"
		"AwMDAwMD...           -                            -                never      never         0 B       0 B\n";

	assert_string_equal(text, want);
	free(text);
	wg_snapshot_free(snap);
}

static int text_utf8(FILE *f, const struct wg_snapshot *snap, const struct fwd_state *fwd)
{
	return report_text(f, snap, fwd, true);
}

/* Columns lined up by what a terminal shows, not by bytes: wide characters take two columns. */
static void test_text_wide(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *p;
	char *text;
	const char *want =
		"interface wg0 (userspace)\n"
		"  forwarding: IPv4 on, IPv6 off\n"
		"  peers: 1 online, 0 stale, 1 never, 2 in all\n"
		"\n"
		"NAME       ALLOWED IPS  ENDPOINT  HANDSHAKE  STATE    RX      TX\n"
		"Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac   10.0.0.1/32  -         5s         online  0 B  1023 B\n"
		"AgICAgIC\u2026  -            -         never      never   0 B     0 B\n";

	(void)state;
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		skip();
	dev->backend = WG_BACKEND_USERSPACE;
	memset(key, 1, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	wg_peer_set_name(p, "Zo\xc3\xab \xe6\x97\xa5\xe6\x9c\xac");
	p->last_handshake_sec = NOW - 5;
	p->tx_bytes = 1023;
	inet_pton(AF_INET, "10.0.0.1", &a.ip4);
	wg_peer_add_allowedip(p, &a);
	memset(key, 2, sizeof(key));
	wg_device_get_peer(dev, key, NULL);
	wg_snapshot_add_device(snap, dev);
	snap->wall.tv_sec = NOW;
	text = capture(text_utf8, snap, &fwd);
	assert_string_equal(text, want);
	free(text);
	wg_snapshot_free(snap);
	setlocale(LC_CTYPE, "C");
}

/* A row longer than the buffer it is written in at first: whole, and the next row after it. */
static void test_text_long_row(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 1 };
	char list[40 * 20] = "", *text, *first, *row;
	uint8_t key[WG_KEY_LEN];
	size_t at;
	struct wg_peer *p;

	(void)state;
	memset(key, 1, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	for (uint32_t k = 0; k < 40; ++k) {
		struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };
		char one[24];

		a.ip4.s_addr = htonl(0x0a010000 | k);
		wg_peer_add_allowedip(p, &a);
		snprintf(one, sizeof(one), "%s10.1.0.%u/32", k ? ", " : "", k);
		strcat(list, one);
	}
	memset(key, 2, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	wg_peer_set_name(p, "bob");
	wg_snapshot_add_device(snap, dev);
	snap->wall.tv_sec = NOW;
	text = capture(text_ascii, snap, &fwd);
	assert_true(strlen(list) > 256);
	/* Each row's endpoint ("-") past the names (11 columns), the list and the gaps. */
	at = 11 + 2 + strlen(list) + 2;
	assert_non_null(first = strstr(text, "\nAQEBAQEB...  "));
	++first;
	assert_memory_equal(first + 13, list, strlen(list));
	assert_memory_equal(first + at - 2, "  - ", 4);
	assert_non_null(row = strstr(first, "\nbob "));
	++row;
	assert_memory_equal(row + at - 2, "  - ", 4);
	free(text);
	wg_snapshot_free(snap);
}

/*
 * The peers are written through a buffer of their own: names longer than it, peers that end
 * past its end and many peers in a row come out whole and in order.
 */
static void test_json_buffered(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 1 };
	struct json_object *root, *peers;
	char *text, *longname = malloc(5001);
	const uint32_t n = 300;

	(void)state;
	assert_non_null(longname);
	for (size_t i = 0; i < 5000; ++i)
		longname[i] = i % 100 == 99 ? '"' : (char)('a' + i % 26);
	longname[5000] = '\0';
	for (uint32_t i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN] = { 0 };
		struct wg_peer *p;

		memcpy(key, &i, sizeof(i));
		assert_non_null(p = wg_device_get_peer(dev, key, NULL));
		p->rx_bytes = (uint64_t)i * 1000003;
		p->last_handshake_sec = i % 2 ? -(int64_t)i : (int64_t)i;
		if (i % 7 == 0)
			wg_peer_set_name(p, longname);
		/* 40 allowed IPs: more than a buffer's worth for some peers with a long name. */
		for (uint32_t k = 0; i % 11 == 0 && k < 40; ++k) {
			struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };

			a.ip4.s_addr = htonl(0x0a000000 | i << 8 | k);
			wg_peer_add_allowedip(p, &a);
		}
	}
	dev->has_flows = true;
	wg_snapshot_add_device(snap, dev);
	snap->wall.tv_sec = NOW;
	text = capture(report_json, snap, &fwd);
	assert_non_null(root = json_tokener_parse(text));
	peers = get(json_object_array_get_idx(get(root, "interfaces"), 0), "peers");
	assert_int_equal(json_object_array_length(peers), n);
	for (uint32_t i = 0; i < n; ++i) {
		struct json_object *p = json_object_array_get_idx(peers, i), *name = get(p, "name");
		char b64[WG_KEY_B64_LEN];
		uint8_t key[WG_KEY_LEN] = { 0 };

		memcpy(key, &i, sizeof(i));
		key_to_base64(b64, key);
		assert_string_equal(json_object_get_string(get(p, "public_key")), b64);
		assert_int_equal(json_object_get_int64(get(p, "rx_bytes")), (int64_t)i * 1000003);
		assert_int_equal(json_object_get_int64(get(p, "latest_handshake")), i % 2 ? -(int64_t)i : (int64_t)i);
		if (i % 7 == 0)
			assert_string_equal(json_object_get_string(name), longname);
		else
			assert_true(json_object_is_type(name, json_type_null));
		assert_int_equal(json_object_array_length(get(p, "allowed_ips")), i % 11 == 0 ? 40 : 0);
		if (i % 11 == 0) {
			char want[32];

			snprintf(want, sizeof(want), "10.%u.%u.39/32", i >> 8, i & 0xff);
			assert_string_equal(json_object_get_string(json_object_array_get_idx(get(p, "allowed_ips"), 39)),
					    want);
		}
		assert_int_equal(json_object_get_int64(get(get(p, "forwarded"), "to_bytes")), 0);
	}
	json_object_put(root);
	free(text);
	free(longname);
	wg_snapshot_free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_string_as_json_c),
		cmocka_unit_test(test_json_schema),
		cmocka_unit_test(test_json_empty),
		cmocka_unit_test(test_json_buffered),
		cmocka_unit_test(test_text_golden),
		cmocka_unit_test(test_text_wide),
		cmocka_unit_test(test_text_long_row),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
