// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of prefix parsing, formatting, containment and address allocation. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prefix.h"

static struct wg_allowedip pfx(const char *s)
{
	struct wg_allowedip p;

	assert_int_equal(prefix_parse(&p, s), 0);
	return p;
}

static void assert_round_trip(const char *in, const char *want)
{
	struct wg_allowedip p;
	char buf[PREFIX_STRLEN];

	assert_int_equal(prefix_parse(&p, in), 0);
	assert_string_equal(prefix_format(&p, buf, sizeof(buf)), want);
	/* And what was printed reads back as the same prefix. */
	{
		struct wg_allowedip q;

		assert_int_equal(prefix_parse(&q, buf), 0);
		assert_int_equal(q.family, p.family);
		assert_int_equal(q.cidr, p.cidr);
		assert_memory_equal(p.family == AF_INET ? (void *)&q.ip4 : (void *)&q.ip6,
				    p.family == AF_INET ? (void *)&p.ip4 : (void *)&p.ip6,
				    p.family == AF_INET ? 4 : 16);
	}
}

static void test_parse_format(void **state)
{
	struct wg_allowedip p;

	assert_round_trip("10.0.0.2/32", "10.0.0.2/32");
	assert_round_trip("10.0.0.2", "10.0.0.2/32");
	assert_round_trip("  10.0.0.2/24\t", "10.0.0.2/24");
	assert_round_trip("0.0.0.0/0", "0.0.0.0/0");
	assert_round_trip("255.255.255.255", "255.255.255.255/32");
	/* Host bits stay as typed: wg(8) accepts them, and Address needs them. */
	assert_round_trip("10.1.2.3/8", "10.1.2.3/8");
	assert_round_trip("fd00::2/128", "fd00::2/128");
	assert_round_trip("fd00::2", "fd00::2/128");
	assert_round_trip(" FD00:0:0:0::2/64 ", "fd00::2/64");
	assert_round_trip("2001:db8:0:0:1:0:0:1/64", "2001:db8::1:0:0:1/64");
	assert_round_trip("::/0", "::/0");
	assert_round_trip("::ffff:10.0.0.1", "::ffff:10.0.0.1/128");
	assert_round_trip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
			  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");

	assert_int_equal(prefix_parse(&p, "10.0.0.7/29"), 0);
	assert_int_equal(p.family, AF_INET);
	assert_int_equal(p.cidr, 29);
	assert_int_equal(ntohl(p.ip4.s_addr), 0x0a000007);
	assert_int_equal(prefix_parse(&p, "fd00::1/8"), 0);
	assert_int_equal(p.family, AF_INET6);
	assert_int_equal(p.cidr, 8);
	assert_int_equal(p.ip6.s6_addr[0], 0xfd);
	assert_int_equal(p.ip6.s6_addr[15], 1);
}

static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
		"", " ", "\t", "/", "/24", "10.0.0.1/", "10.0.0.1/33", "10.0.0.1/-1",
		"10.0.0.1/+8", "10.0.0.1/2a", "10.0.0.1/0032", "10.0.0.1//24", "10.0.0.1/24/8",
		"10.0.0.1 /24", "10.0.0.1/ 24", "10.0.0.256", "10.0.0", "10.1", "10.0.0.1.1",
		"10.0.0.-1", "010.0.0.1", "0x0a.0.0.1", "1.2.3.4 5", "10.0.0.1,10.0.0.2",
		"abc", "localhost", "fd00::1/129", "fd00:::1", "fd00::1::2", "fd00::g",
		"fd00::1%eth0", "[fd00::1]/64", "fd00::1/", "1:2:3:4:5:6:7:8:9", "::ffff:1.2.3.256",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "10.0.0.1/32 x", "#10.0.0.1",
	};
	struct wg_allowedip p, before;

	memset(&before, 0x5a, sizeof(before));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
		p = before;
		if (prefix_parse(&p, bad[i]) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		/* Bad input changes nothing. */
		assert_memory_equal(&p, &before, sizeof(p));
	}
	assert_int_equal(prefix_parse(&p, NULL), -EINVAL);
}

static void test_parse_list(void **state)
{
	struct wg_allowedip *list = NULL;
	char buf[PREFIX_STRLEN];
	size_t n = 0;
	static const char *const bad[] = {
		"", "  ", ",", "10.0.0.1,", ",10.0.0.1", "10.0.0.1,,10.0.0.2", "10.0.0.1, bad",
		"10.0.0.1 10.0.0.2", "10.0.0.1;10.0.0.2",
	};

	assert_int_equal(prefix_parse_list(&list, &n, "10.0.0.5/24, fd00::5/64,192.0.2.1"), 0);
	assert_int_equal(n, 3);
	assert_string_equal(prefix_format(&list[0], buf, sizeof(buf)), "10.0.0.5/24");
	assert_string_equal(prefix_format(&list[1], buf, sizeof(buf)), "fd00::5/64");
	assert_string_equal(prefix_format(&list[2], buf, sizeof(buf)), "192.0.2.1/32");
	free(list);

	assert_int_equal(prefix_parse_list(&list, &n, " 10.0.0.0/24 "), 0);
	assert_int_equal(n, 1);
	free(list);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
		list = NULL;
		n = 77;
		if (prefix_parse_list(&list, &n, bad[i]) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
		assert_null(list);
		assert_int_equal(n, 77);
	}
	assert_int_equal(prefix_parse_list(&list, &n, NULL), -EINVAL);
}

static void test_network(void **state)
{
	static const char *const cases[][2] = {
		{ "10.1.2.3/8", "10.0.0.0/8" },
		{ "10.0.0.5/24", "10.0.0.0/24" },
		{ "10.0.0.5/32", "10.0.0.5/32" },
		{ "10.0.0.5/0", "0.0.0.0/0" },
		{ "192.168.255.255/17", "192.168.128.0/17" },
		{ "fd00::1:2:3/100", "fd00::1:0:0/100" },
		{ "fd00::1:f2:3/104", "fd00::1:0:0/104" },
		{ "fd00::1:ff2:3/104", "fd00::1:f00:0/104" },
		{ "fd00:1:2:3:4:5:6:7/64", "fd00:1:2:3::/64" },
		{ "fd00:1:2:3:ffff:5:6:7/65", "fd00:1:2:3:8000::/65" },
		{ "fd00:1:2:3:4:5:6:7/63", "fd00:1:2:2::/63" },
		{ "fd00::7/128", "fd00::7/128" },
		{ "fd00::7/0", "::/0" },
	};
	char buf[PREFIX_STRLEN];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		struct wg_allowedip p = pfx(cases[i][0]);

		prefix_network(&p);
		assert_string_equal(prefix_format(&p, buf, sizeof(buf)), cases[i][1]);
	}
}

static void test_contains_overlap(void **state)
{
	/* Whether a contains b, b contains a. */
	static const struct {
		const char *a, *b;
		bool a_b, b_a;
	} cases[] = {
		{ "10.0.0.0/24", "10.0.0.5/32", true, false },
		{ "10.0.0.77/24", "10.0.0.5", true, false },	/* host bits of the outer do not matter */
		{ "10.0.0.0/24", "10.0.0.0/24", true, true },
		{ "10.0.0.0/24", "10.0.0.128/25", true, false },
		{ "10.0.0.0/25", "10.0.0.0/24", false, true },
		{ "10.0.0.0/25", "10.0.0.128/25", false, false },
		{ "10.0.0.0/24", "10.0.1.5/32", false, false },
		{ "10.0.0.0/24", "9.255.255.255", false, false },
		{ "0.0.0.0/0", "203.0.113.9", true, false },
		{ "0.0.0.0/0", "::/0", false, false },
		{ "10.0.0.5", "10.0.0.5", true, true },
		{ "10.0.0.5", "10.0.0.4", false, false },
		{ "::/0", "fd00::/8", true, false },
		{ "fd00::/8", "fdff:1::1", true, false },
		{ "fd00::/8", "fe00::1", false, false },
		{ "fd00:0:0:1::/64", "fd00:0:0:1:ffff::1", true, false },
		{ "fd00:0:0:1::/64", "fd00:0:0:2::1", false, false },
		{ "fd00::8000:0:0:0/65", "fd00::8000:0:0:1", true, false },
		{ "fd00::8000:0:0:0/65", "fd00::1", false, false },
		{ "fd00::/127", "fd00::1", true, false },
		{ "fd00::/127", "fd00::2", false, false },
		{ "fd00::/127", "fd00::/126", false, true },
		{ "::a00:0/104", "10.0.0.1", false, false },	/* same bits, other family */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		struct wg_allowedip a = pfx(cases[i].a), b = pfx(cases[i].b);
		bool overlap = cases[i].a_b || cases[i].b_a;

		if (prefix_contains(&a, &b) != cases[i].a_b)
			fail_msg("%s contains %s: want %d", cases[i].a, cases[i].b, cases[i].a_b);
		if (prefix_contains(&b, &a) != cases[i].b_a)
			fail_msg("%s contains %s: want %d", cases[i].b, cases[i].a, cases[i].b_a);
		/* Prefixes nest or are disjoint, so overlap is containment either way. */
		assert_int_equal(prefix_overlap(&a, &b), overlap);
		assert_int_equal(prefix_overlap(&b, &a), overlap);
	}
}

/* "a, b, c" into a malloc'd list; "" for none. */
static struct wg_allowedip *list_of(const char *s, size_t *n)
{
	struct wg_allowedip *l = NULL;

	*n = 0;
	if (!*s)
		return NULL;
	assert_int_equal(prefix_parse_list(&l, n, s), 0);
	return l;
}

/* want NULL for -ENOSPC. */
static void assert_next_free(const char *subnet, const char *hub, const char *taken, const char *want)
{
	struct wg_allowedip s = pfx(subnet), h, out, *t;
	char buf[PREFIX_STRLEN];
	size_t n;
	int err;

	t = list_of(taken, &n);
	memset(&h, 0, sizeof(h));
	if (hub)
		h = pfx(hub);
	memset(&out, 0, sizeof(out));
	err = prefix_next_free(&s, hub ? &h : NULL, t, n, &out);
	/* The same without the window, every range sorted. */
	{
		struct wg_allowedip sorted;
		int err2;

		memset(&sorted, 0, sizeof(sorted));
		prefix_test_sorted_only = true;
		err2 = prefix_next_free(&s, hub ? &h : NULL, t, n, &sorted);
		prefix_test_sorted_only = false;
		if (err2 != err || (!err && memcmp(&sorted, &out, sizeof(out))))
			fail_msg("%s hub %s taken [%s]: the window and the sort differ", subnet, hub, taken);
	}
	free(t);
	if (!want) {
		if (err != -ENOSPC)
			fail_msg("%s hub %s taken [%s]: %d %s, want ENOSPC", subnet, hub, taken, err,
				 prefix_format(&out, buf, sizeof(buf)));
		return;
	}
	if (err != 0)
		fail_msg("%s hub %s taken [%s]: %d, want %s", subnet, hub, taken, err, want);
	prefix_format(&out, buf, sizeof(buf));
	if (strcmp(buf, want) != 0)
		fail_msg("%s hub %s taken [%s]: %s, want %s", subnet, hub, taken, buf, want);
}

static void test_next_free_ipv4(void **state)
{
	assert_next_free("10.0.0.1/24", "10.0.0.1", "", "10.0.0.2/32");
	assert_next_free("10.0.0.1/24", "10.0.0.1", "10.0.0.2/32, 10.0.0.3/32", "10.0.0.4/32");
	assert_next_free("10.0.0.0/24", NULL, "", "10.0.0.1/32");
	/* A hub at the top leaves the bottom free. */
	assert_next_free("10.0.0.254/24", "10.0.0.254", "", "10.0.0.1/32");
	/* Never the broadcast address. */
	assert_next_free("10.0.0.1/24", "10.0.0.1", "10.0.0.0/25, 10.0.0.128/26, 10.0.0.192/27, "
			 "10.0.0.224/28, 10.0.0.240/29, 10.0.0.248/30, 10.0.0.252/31", "10.0.0.254/32");
	assert_next_free("10.0.0.1/24", "10.0.0.1", "10.0.0.0/25, 10.0.0.128/26, 10.0.0.192/27, "
			 "10.0.0.224/28, 10.0.0.240/29, 10.0.0.248/30, 10.0.0.252/31, 10.0.0.254",
			 NULL);
	/* /30: two hosts between network and broadcast. */
	assert_next_free("10.0.0.1/30", "10.0.0.1", "", "10.0.0.2/32");
	assert_next_free("10.0.0.1/30", "10.0.0.1", "10.0.0.2", NULL);
	/* /31 (RFC 3021): both addresses are hosts. */
	assert_next_free("10.0.0.0/31", "10.0.0.0", "", "10.0.0.1/32");
	assert_next_free("10.0.0.1/31", "10.0.0.1", "", "10.0.0.0/32");
	assert_next_free("10.0.0.1/31", "10.0.0.1", "10.0.0.0", NULL);
	/* /32: the hub alone. */
	assert_next_free("10.0.0.1/32", "10.0.0.1", "", NULL);
	assert_next_free("10.0.0.1/32", NULL, "", "10.0.0.1/32");
	/* /29 full. */
	assert_next_free("10.0.0.1/29", "10.0.0.1",
			 "10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5, 10.0.0.6", NULL);
	assert_next_free("10.0.0.1/29", "10.0.0.1", "10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.6",
			 "10.0.0.5/32");
	/* /16 with one hole among ranges of every size. */
	assert_next_free("10.1.0.1/16", "10.1.0.1",
			 "10.1.0.0/22, 10.1.4.0/24, 10.1.5.0/26, 10.1.5.128/25, 10.1.5.64/32",
			 "10.1.5.65/32");
	/* Ranges that cover several others, nest, overlap the hub and run past the subnet. */
	assert_next_free("10.0.0.1/24", "10.0.0.1",
			 "10.0.0.64/26, 10.0.0.70, 10.0.0.2/31, 10.0.0.4/30, 10.0.0.8/29, "
			 "10.0.0.16/28, 10.0.0.32/27, 10.0.0.100/30", "10.0.0.128/32");
	assert_next_free("10.0.0.129/25", "10.0.0.129", "10.0.0.0/24", NULL);
	assert_next_free("10.0.0.129/25", "10.0.0.129", "10.0.0.0/8", NULL);
	assert_next_free("10.0.0.129/25", "10.0.0.129", "0.0.0.0/0", NULL);
	assert_next_free("10.0.0.129/25", "10.0.0.129", "10.0.0.0/25, 10.0.1.0/24", "10.0.0.130/32");
	/* Unsorted, repeated. */
	assert_next_free("10.0.0.1/24", "10.0.0.1",
			 "10.0.0.5, 10.0.0.3, 10.0.0.2, 10.0.0.5, 10.0.0.4, 10.0.0.3, 10.0.0.7, 10.0.0.2",
			 "10.0.0.6/32");
	/* The hub in the middle of the taken addresses. */
	assert_next_free("10.0.0.100/24", "10.0.0.100", "10.0.0.1/32, 10.0.0.2/31, 10.0.0.4/30, "
			 "10.0.0.8/29, 10.0.0.16/28, 10.0.0.32/27, 10.0.0.64/27, 10.0.0.96/30",
			 "10.0.0.101/32");
	/* A hub outside its subnet (odd, but harmless) takes nothing inside it. */
	assert_next_free("10.0.0.1/24", "192.0.2.1", "", "10.0.0.1/32");
	/* The other family is of no concern. */
	assert_next_free("10.0.0.1/24", "fd00::1", "fd00::/8, ::/0", "10.0.0.1/32");
	/* Large subnets skip ranges in one step. */
	assert_next_free("10.0.0.1/8", "10.0.0.1", "10.0.0.0/9", "10.128.0.0/32");
	assert_next_free("10.0.0.1/8", "10.0.0.1", "10.0.0.0/9, 10.128.0.0/10, 10.192.0.0/10", NULL);
	assert_next_free("0.0.0.0/0", NULL, "", "0.0.0.1/32");
	assert_next_free("0.0.0.0/0", NULL, "0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2", NULL);
}

static void test_next_free_ipv6(void **state)
{
	/* The subnet-router anycast address ::0 is skipped. */
	assert_next_free("fd00:1::1/64", "fd00:1::1", "", "fd00:1::2/128");
	assert_next_free("fd00:1::/64", NULL, "", "fd00:1::1/128");
	assert_next_free("fd00:1::1234/64", "fd00:1::1234", "", "fd00:1::1/128");
	assert_next_free("fd00:1::1/64", "fd00:1::1", "fd00:1::2/127, fd00:1::4/128", "fd00:1::5/128");
	/* A taken half of the /64: one step across 2^63 addresses. */
	assert_next_free("fd00:1::1/64", "fd00:1::1", "fd00:1::/65", "fd00:1:0:0:8000::/128");
	assert_next_free("fd00:1::1/64", "fd00:1::1", "fd00:1::/65, fd00:1:0:0:8000::/65", NULL);
	/* /120: no broadcast in IPv6, the last address is a host. */
	assert_next_free("fd00::100/120", "fd00::101", "fd00::100/121", "fd00::180/128");
	assert_next_free("fd00::101/120", "fd00::101",
			 "fd00::100/121, fd00::180/122, fd00::1c0/123, fd00::1e0/124, fd00::1f0/125, "
			 "fd00::1f8/126, fd00::1fc/127, fd00::1fe/128", "fd00::1ff/128");
	assert_next_free("fd00::101/120", "fd00::101", "fd00::/64", NULL);
	assert_next_free("fd00::101/120", "fd00::101", "fd00::102/127, fd00::180/121, 10.0.0.0/8",
			 "fd00::104/128");
	/* /127 (RFC 6164) and /128. */
	assert_next_free("fd00::/127", "fd00::", "", "fd00::1/128");
	assert_next_free("fd00::1/127", "fd00::1", "", "fd00::/128");
	assert_next_free("fd00::1/128", "fd00::1", "", NULL);
	/* The top of the address space, where one more would wrap around. */
	assert_next_free("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", NULL,
			 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
	assert_next_free("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", NULL,
			 "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127", NULL);
	assert_next_free("::/0", NULL, "::/1, 8000::/1", NULL);
	assert_next_free("::/0", NULL, "::/1", "8000::/128");
}

static void test_next_free_rejects(void **state)
{
	struct wg_allowedip s = pfx("10.0.0.1/24"), t = pfx("10.0.0.2"), out, bad;

	memset(&bad, 0, sizeof(bad));
	assert_int_equal(prefix_next_free(&bad, NULL, NULL, 0, &out), -EINVAL);
	bad = s;
	bad.cidr = 33;
	assert_int_equal(prefix_next_free(&bad, NULL, NULL, 0, &out), -EINVAL);
	assert_int_equal(prefix_next_free(&s, NULL, &bad, 1, &out), -EINVAL);
	assert_int_equal(prefix_next_free(&s, NULL, NULL, 1, &out), -EINVAL);
	assert_int_equal(prefix_next_free(&s, NULL, &t, 1, &out), 0);
}

/* A fixed shuffle, so a failure is the same on every run. */
static void shuffle(struct wg_allowedip *a, size_t n)
{
	uint32_t x = 2463534242u;

	for (size_t i = n - 1; i > 0; --i) {
		size_t j;
		struct wg_allowedip t;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		j = x % (i + 1);
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

static void test_next_free_10000(void **state)
{
	enum { N = 10000 };
	struct wg_allowedip *taken = calloc(N + 1, sizeof(*taken));
	struct wg_allowedip subnet = pfx("10.20.0.1/16"), hub = pfx("10.20.0.1"), out;
	char buf[PREFIX_STRLEN];

	assert_non_null(taken);
	/* 10.20.0.2 onwards, one after the other. */
	for (size_t i = 0; i < N; ++i) {
		taken[i].family = AF_INET;
		taken[i].cidr = 32;
		taken[i].ip4.s_addr = htonl(0x0a140000u + 2 + (uint32_t)i);
	}
	shuffle(taken, N);
	assert_int_equal(prefix_next_free(&subnet, &hub, taken, N, &out), 0);
	/* 2 + 10000 = 39 * 256 + 18 */
	assert_string_equal(prefix_format(&out, buf, sizeof(buf)), "10.20.39.18/32");

	/* Free one in the middle (offset 5000 = 19 * 256 + 136), and take the last one twice. */
	for (size_t i = 0; i < N; ++i)
		if (ntohl(taken[i].ip4.s_addr) == 0x0a140000u + 5000)
			taken[i].ip4.s_addr = htonl(0x0a140000u + 2 + N - 1);
	assert_int_equal(prefix_next_free(&subnet, &hub, taken, N, &out), 0);
	assert_string_equal(prefix_format(&out, buf, sizeof(buf)), "10.20.19.136/32");

	/* The same in an IPv6 /64. */
	subnet = pfx("fd00:20::1/64");
	hub = pfx("fd00:20::1");
	for (size_t i = 0; i < N; ++i) {
		char a[PREFIX_STRLEN];

		snprintf(a, sizeof(a), "fd00:20::%zx", i + 2);
		taken[i] = pfx(a);
	}
	shuffle(taken, N);
	assert_int_equal(prefix_next_free(&subnet, &hub, taken, N, &out), 0);
	/* 2 + 10000 = 0x2712 */
	assert_string_equal(prefix_format(&out, buf, sizeof(buf)), "fd00:20::2712/128");
	free(taken);
}

/* The dotted quad parser takes exactly what inet_pton does, on random strings near its grammar. */
static void test_ip4_parse_as_inet_pton(void **state)
{
	static const char alphabet[] = "0123456789.........0012255 x-+";
	char buf[24];
	unsigned int seed = 0x5eed;

	(void)state;
	for (int round = 0; round < 300000; ++round) {
		size_t len = (size_t)rand_r(&seed) % 18;
		struct in_addr a, b;
		int want;

		for (size_t i = 0; i < len; ++i)
			buf[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		/* A third of them made of four octets, the likely ones, to reach the valid side often. */
		if (round % 3 == 0)
			len = (size_t)snprintf(buf, sizeof(buf), "%d.%d.%d.%d", rand_r(&seed) % 300,
					       rand_r(&seed) % 260, rand_r(&seed) % 12, rand_r(&seed) % 256);
		buf[len] = '\0';
		want = inet_pton(AF_INET, buf, &b);
		memset(&a, 0xa5, sizeof(a));
		if (prefix_ip4_parse(&a, buf, len) != (want == 1))
			fail_msg("\"%s\": inet_pton says %d", buf, want);
		if (want == 1)
			assert_memory_equal(&a, &b, sizeof(a));
	}
	/* The length counts, not a NUL. */
	{
		struct in_addr a;

		assert_true(prefix_ip4_parse(&a, "10.0.0.1/32", 8));
		assert_int_equal(ntohl(a.s_addr), 0x0a000001);
		assert_false(prefix_ip4_parse(&a, "10.0.0.1/32", 9));
		assert_false(prefix_ip4_parse(&a, "10.0.0.1", 7));
	}
}

/* An IPv6 address as the parts inet_pton sees: groups, "::", a dotted quad, some noise. */
static size_t random_ip6(char *buf, size_t cap, unsigned int *seed)
{
	static const char hex[] = "0123456789abcdefABCDEF";
	int groups = rand_r(seed) % 10, gap = rand_r(seed) % 12, quad = rand_r(seed) % 4 == 0;
	size_t o = 0;

	for (int g = 0; g < groups && o + 12 < cap; ++g) {
		int digits = rand_r(seed) % 6;

		if (g == gap)
			buf[o++] = ':';
		if (g)
			buf[o++] = ':';
		for (int d = 0; d < digits; ++d)
			buf[o++] = hex[rand_r(seed) % (sizeof(hex) - 1)];
	}
	if (gap >= groups && gap < 11)
		o += (size_t)snprintf(buf + o, cap - o, "::");
	if (quad && o + 20 < cap)
		o += (size_t)snprintf(buf + o, cap - o, "%s%d.%d.%d.%d", o && buf[o - 1] != ':' ? ":" : "",
				      rand_r(seed) % 260, rand_r(seed) % 256, rand_r(seed) % 12, rand_r(seed) % 256);
	/* Now and then a byte changed to something near the grammar. */
	if (o && rand_r(seed) % 5 == 0)
		buf[rand_r(seed) % o] = ":.0fFg x"[rand_r(seed) % 8];
	buf[o] = '\0';
	return o;
}

static void test_ip6_parse_as_inet_pton(void **state)
{
	static const char alphabet[] = "0123456789abcdefABCDEF::::::......g";
	char buf[96];
	unsigned int seed = 0x6eed;
	size_t valid = 0;

	(void)state;
	for (int round = 0; round < 400000; ++round) {
		struct in6_addr a, b;
		size_t len;
		int want;

		if (round % 2) {
			len = random_ip6(buf, sizeof(buf), &seed);
		} else {
			len = (size_t)rand_r(&seed) % 24;
			for (size_t i = 0; i < len; ++i)
				buf[i] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
			buf[len] = '\0';
		}
		want = inet_pton(AF_INET6, buf, &b);
		memset(&a, 0xa5, sizeof(a));
		if (prefix_ip6_parse(&a, buf, len) != (want == 1))
			fail_msg("\"%s\": inet_pton says %d", buf, want);
		if (want == 1) {
			assert_memory_equal(&a, &b, sizeof(a));
			++valid;
		}
	}
	/* Both sides reached often enough to mean something. */
	print_message("%zu of 400000 valid\n", valid);
	assert_true(valid > 20000 && valid < 380000);
	{
		struct in6_addr a;

		assert_true(prefix_ip6_parse(&a, "fd00::1/128", 7));
		assert_false(prefix_ip6_parse(&a, "fd00::1/128", 8));
	}
}

/*
 * The window finds what sorting every range finds: random subnets of both families (some at
 * the top of a 64-bit half), peers' single addresses, wider prefixes that fill the window,
 * ranges outside, the other family, a hub address or none.
 */
static void test_next_free_window(void **state)
{
	static const char *const bases6[] = { "2001:db8::", "2001:db8::ffff:ffff:ffff:ff00", "fd00::ffff:ffff:ffff:fff0" };
	unsigned int seed = 4242;
	size_t windowed = 0, full = 0;

	(void)state;
	for (int round = 0; round < 20000; ++round) {
		bool v6 = rand_r(&seed) % 2;
		unsigned int bits = v6 ? 128 : 32, cidr = bits - 2 - (unsigned int)(rand_r(&seed) % 7);
		struct wg_allowedip subnet = v6 ? pfx(bases6[rand_r(&seed) % 3]) : pfx("10.1.2.0");
		struct wg_allowedip taken[40], hub, a, b;
		const struct wg_allowedip *h;
		size_t n = (size_t)(rand_r(&seed) % 40);
		int ea, eb;

		subnet.cidr = (uint8_t)cidr;
		prefix_network(&subnet);
		for (size_t i = 0; i < n; ++i) {
			struct wg_allowedip *t = &taken[i];
			unsigned int kind = (unsigned int)(rand_r(&seed) % 8);

			*t = subnet;
			/* A host of the subnet (most), a wider prefix in it, one outside, the other family. */
			if (v6)
				t->ip6.s6_addr[15] = (uint8_t)(t->ip6.s6_addr[15] + rand_r(&seed) % (1u << (bits - cidr)));
			else
				t->ip4.s_addr = htonl(ntohl(t->ip4.s_addr) + (uint32_t)(rand_r(&seed) % (1u << (bits - cidr))));
			t->cidr = (uint8_t)bits;
			if (kind == 5)
				t->cidr = (uint8_t)(bits - 1 - rand_r(&seed) % 3);
			else if (kind == 6 && !v6)
				*t = pfx("10.9.0.1");
			else if (kind == 7)
				*t = v6 ? pfx("10.1.2.3") : pfx("2001:db8::3");
			prefix_network(t);
		}
		/* The hub on a taken address, on the network address, or none. */
		hub = taken[0];
		if (!n || rand_r(&seed) % 2) {
			hub = subnet;
			hub.cidr = (uint8_t)bits;
		}
		h = rand_r(&seed) % 4 ? &hub : NULL;
		memset(&a, 0, sizeof(a));
		memset(&b, 0, sizeof(b));
		ea = prefix_next_free(&subnet, h, taken, n, &a);
		prefix_test_sorted_only = true;
		eb = prefix_next_free(&subnet, h, taken, n, &b);
		prefix_test_sorted_only = false;
		if (ea != eb || (!ea && memcmp(&a, &b, sizeof(a)))) {
			char sa[PREFIX_STRLEN], sb[PREFIX_STRLEN], ss[PREFIX_STRLEN];

			fail_msg("round %d, %s with %zu ranges: %d %s, sorted %d %s", round,
				 prefix_format(&subnet, ss, sizeof(ss)), n, ea, ea ? "-" : prefix_format(&a, sa, sizeof(sa)),
				 eb, eb ? "-" : prefix_format(&b, sb, sizeof(sb)));
		}
		++*(ea == -ENOSPC ? &full : &windowed);
	}
	print_message("%zu found, %zu full\n", windowed, full);
	assert_true(windowed > 1000 && full > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_list),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_contains_overlap),
		cmocka_unit_test(test_next_free_ipv4),
		cmocka_unit_test(test_next_free_ipv6),
		cmocka_unit_test(test_next_free_rejects),
		cmocka_unit_test(test_next_free_10000),
		cmocka_unit_test(test_next_free_window),
		cmocka_unit_test(test_ip4_parse_as_inet_pton),
		cmocka_unit_test(test_ip6_parse_as_inet_pton),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
