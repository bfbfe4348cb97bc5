// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the human formats: sizes, rates, ages, endpoints, allowed IPs, short keys. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include "format.h"

static void test_bytes(void **state)
{
	char b[FORMAT_BUF];

	assert_string_equal(format_bytes(b, sizeof(b), 0), "0 B");
	assert_string_equal(format_bytes(b, sizeof(b), 1023), "1023 B");
	assert_string_equal(format_bytes(b, sizeof(b), 7), "7 B");
	/* Cut short in a buffer too small, as snprintf cuts. */
	assert_string_equal(format_bytes(b, 4, 1000), "100");
	assert_string_equal(format_bytes(b, sizeof(b), 1024), "1.00 KiB");
	assert_string_equal(format_bytes(b, sizeof(b), 1269760), "1.21 MiB");
	assert_string_equal(format_bytes(b, sizeof(b), UINT64_MAX), "16.00 EiB");
}

static void test_rate(void **state)
{
	char b[FORMAT_BUF];

	assert_string_equal(format_rate(b, sizeof(b), 0, false), "-");
	assert_string_equal(format_rate(b, sizeof(b), 0, true), "0 B/s");
	assert_string_equal(format_rate(b, sizeof(b), 1536, true), "1.50 KiB/s");
	assert_string_equal(format_rate(b, sizeof(b), -5, true), "0 B/s");
	assert_string_equal(format_rate(b, sizeof(b), 0.6, true), "1 B/s");
	assert_string_equal(format_rate(b, sizeof(b), 1023.4, true), "1023 B/s");
}

static void test_age(void **state)
{
	char b[FORMAT_BUF];

	assert_string_equal(format_age(b, sizeof(b), -1), "never");
	assert_string_equal(format_age(b, sizeof(b), 0), "0s");
	assert_string_equal(format_age(b, sizeof(b), 59), "59s");
	assert_string_equal(format_age(b, sizeof(b), 65), "1m05s");
	assert_string_equal(format_age(b, sizeof(b), 3600 * 3 + 120), "3h02m");
	assert_string_equal(format_age(b, sizeof(b), 86400 * 4 + 3600 * 3), "4d03h");
}

static char *fake_scope_name(unsigned int index, char *name)
{
	if (index != 7)
		return NULL;
	strcpy(name, "eth7");
	return name;
}

static void test_endpoint(void **state)
{
	union wg_endpoint ep;
	char b[FORMAT_BUF];

	memset(&ep, 0, sizeof(ep));
	ep.addr.sa_family = AF_UNSPEC;
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "");
	ep.addr4.sin_family = AF_INET;
	ep.addr4.sin_port = htons(51820);
	inet_pton(AF_INET, "192.0.2.7", &ep.addr4.sin_addr);
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "192.0.2.7:51820");
	memset(&ep, 0, sizeof(ep));
	ep.addr6.sin6_family = AF_INET6;
	ep.addr6.sin6_port = htons(1);
	inet_pton(AF_INET6, "2001:db8::1", &ep.addr6.sin6_addr);
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "[2001:db8::1]:1");
	/* a scope with no such interface here is shown by number */
	ep.addr6.sin6_scope_id = 4000000;
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "[2001:db8::1%4000000]:1");
	/* a scope the program can name is shown by name, as wg(8) shows it */
	format_scope_name = fake_scope_name;
	ep.addr6.sin6_scope_id = 7;
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "[2001:db8::1%eth7]:1");
	ep.addr6.sin6_scope_id = 8;
	assert_string_equal(format_endpoint(b, sizeof(b), &ep), "[2001:db8::1%8]:1");
	format_scope_name = NULL;
}

static void test_allowedip(void **state)
{
	struct wg_allowedip a = { .family = AF_INET, .cidr = 24 };
	char b[FORMAT_BUF];

	inet_pton(AF_INET, "10.172.16.0", &a.ip4);
	assert_string_equal(format_allowedip(b, sizeof(b), &a), "10.172.16.0/24");
	a.family = AF_INET6;
	a.cidr = 128;
	inet_pton(AF_INET6, "fd00:172:16::2", &a.ip6);
	assert_string_equal(format_allowedip(b, sizeof(b), &a), "fd00:172:16::2/128");
}

/* format_allowedip and format_endpoint write addresses as inet_ntop does, and as it cuts, snprintf. */
static void test_addresses_as_inet_ntop(void **state)
{
	static const unsigned int values[] = { 1, 0xf, 0x10, 0xab, 0x100, 0xabc, 0x1000, 0xfedc, 0xffff };
	struct wg_allowedip a = { 0 };
	union wg_endpoint ep = { 0 };
	char want[128], addr[INET6_ADDRSTRLEN], b[FORMAT_BUF], small[9];
	unsigned int n = 0;

	/* Every pattern of zero and non-zero groups, so every run "::" can take, and its ties. */
	for (unsigned int zeros = 0; zeros < 256; ++zeros) {
		for (unsigned int k = 0; k < 3; ++k) {
			a.family = AF_INET6;
			a.cidr = (uint8_t)((zeros + k) % 129);
			for (int g = 0; g < 8; ++g) {
				unsigned int v = zeros >> g & 1 ? 0 : values[(zeros + (unsigned int)g * 3 + k) % 9];

				/* ::ffff:a.b.c.d and its neighbours */
				if (k == 2 && g == 5 && v)
					v = 0xffff;
				a.ip6.s6_addr[2 * g] = (uint8_t)(v >> 8);
				a.ip6.s6_addr[2 * g + 1] = (uint8_t)v;
			}
			assert_non_null(inet_ntop(AF_INET6, &a.ip6, addr, sizeof(addr)));
			snprintf(want, sizeof(want), "%s/%u", addr, a.cidr);
			assert_string_equal(format_allowedip(b, sizeof(b), &a), want);
			snprintf(want, sizeof(want), "%s/%u", addr, a.cidr);
			want[sizeof(small) - 1] = '\0';
			assert_string_equal(format_allowedip(small, sizeof(small), &a), want);

			ep.addr6.sin6_family = AF_INET6;
			ep.addr6.sin6_addr = a.ip6;
			ep.addr6.sin6_port = htons((uint16_t)(zeros * 257 + k));
			snprintf(want, sizeof(want), "[%s]:%u", addr, (zeros * 257 + k) & 0xffff);
			assert_string_equal(format_endpoint(b, sizeof(b), &ep), want);
			++n;
		}
	}
	/* Every byte value in every place of an IPv4 address, every prefix length. */
	for (unsigned int v = 0; v < 256; ++v) {
		for (int at = 0; at < 4; ++at) {
			uint8_t *q = (uint8_t *)&a.ip4;

			a.family = AF_INET;
			a.cidr = (uint8_t)(v % 33);
			q[0] = q[1] = q[2] = q[3] = (uint8_t)(255 - v);
			q[at] = (uint8_t)v;
			assert_non_null(inet_ntop(AF_INET, &a.ip4, addr, sizeof(addr)));
			snprintf(want, sizeof(want), "%s/%u", addr, a.cidr);
			assert_string_equal(format_allowedip(b, sizeof(b), &a), want);
			ep.addr4.sin_family = AF_INET;
			ep.addr4.sin_addr = a.ip4;
			ep.addr4.sin_port = htons((uint16_t)(v * 251 + (unsigned int)at));
			snprintf(want, sizeof(want), "%s:%u", addr, v * 251 + (unsigned int)at);
			assert_string_equal(format_endpoint(b, sizeof(b), &ep), want);
			want[sizeof(small) - 1] = '\0';
			assert_string_equal(format_endpoint(small, sizeof(small), &ep), want);
			++n;
		}
	}
	assert_int_equal(n, 256 * 3 + 256 * 4);
	a.family = AF_UNSPEC;
	assert_string_equal(format_allowedip(b, sizeof(b), &a), "");
}

static void test_key_short_and_width(void **state)
{
	uint8_t key[WG_KEY_LEN];
	char b[FORMAT_BUF];

	memset(key, 0, sizeof(key));
	assert_string_equal(format_key_short(b, sizeof(b), key, false), "AAAAAAAA...");
	assert_string_equal(format_key_short(b, sizeof(b), key, true), "AAAAAAAA\u2026");
	assert_string_equal(format_key_short(b, 6, key, false), "AAAAA");
	assert_int_equal(format_width("alice"), 5);
	/* Control bytes take no column; a byte no character begins with takes one. */
	assert_int_equal(format_width("a\tb\x7f"), 2);
	assert_int_equal(format_width("a\xff" "b"), 3);
	if (setlocale(LC_CTYPE, "C.UTF-8")) {
		assert_int_equal(format_width("M\xc3\xbcller"), 6);
		assert_int_equal(format_width("\xe6\x9d\xb1\xe4\xba\xac"), 4);
		assert_int_equal(format_width("AAAAAAAA\u2026"), 9);
		assert_int_equal(format_width("Zo\xc3\xab-\xe6\x97\xa5\xe6\x9c\xac 1"), 10);
		assert_int_equal(format_width("\xe6\x97x"), 3);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_rate),
		cmocka_unit_test(test_age),
		cmocka_unit_test(test_endpoint),
		cmocka_unit_test(test_allowedip),
		cmocka_unit_test(test_addresses_as_inet_ntop),
		cmocka_unit_test(test_key_short_and_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
