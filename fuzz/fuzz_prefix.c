// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: prefixes and prefix lists as AllowedIPs and Address hold them. The input up
 * to its first NUL is parsed as one prefix and as a list. What is accepted formats and parses
 * back the same; the first prefix of a list is then a subnet, the second the hub's address and
 * the rest taken, and the next free address must be free, and the lowest free in small subnets.
 */
#include <errno.h>
#include <stdio.h>
#include "fuzz.h"
#include "prefix.h"

#define MAX_PAIRS 16

static unsigned int bits_of(const struct wg_allowedip *p)
{
	return p->family == AF_INET ? 32 : 128;
}

static bool same(const struct wg_allowedip *a, const struct wg_allowedip *b)
{
	return a->family == b->family && a->cidr == b->cidr && !wg_allowedip_cmp(a, b);
}

static void check_one(const struct wg_allowedip *p)
{
	char buf[PREFIX_STRLEN];
	struct wg_allowedip again, net = *p;

	if ((p->family != AF_INET && p->family != AF_INET6) || p->cidr > bits_of(p))
		abort();
	if (prefix_parse(&again, prefix_format(p, buf, sizeof(buf))) || !same(p, &again))
		abort();
	prefix_network(&net);
	if (!prefix_contains(&net, p) || !prefix_contains(p, &net) || !prefix_overlap(p, &net))
		abort();
	again = net;
	prefix_network(&again);
	if (!same(&net, &again))
		abort();
}

/* The list formatted again, comma-separated as wg(8) prints it, parses to the same list. */
static void check_list_again(const struct wg_allowedip *v, size_t n)
{
	size_t cap = n * (PREFIX_STRLEN + 2) + 1, off = 0, n2 = 0;
	struct wg_allowedip *v2 = NULL;
	char *text = malloc(cap);

	if (!text)
		abort();
	text[0] = '\0';
	for (size_t i = 0; i < n; ++i) {
		char buf[PREFIX_STRLEN];
		const char *one = prefix_format(&v[i], buf, sizeof(buf));

		off += (size_t)snprintf(text + off, cap - off, "%s%s", i ? ", " : "", one);
	}
	if (prefix_parse_list(&v2, &n2, text) || n2 != n)
		abort();
	for (size_t i = 0; i < n; ++i)
		if (!same(&v[i], &v2[i]))
			abort();
	free(v2);
	free(text);
}

/* The address at offset i of a prefix with at most 8 host bits. */
static struct wg_allowedip host_at(const struct wg_allowedip *subnet, unsigned int i)
{
	struct wg_allowedip a = *subnet;

	prefix_network(&a);
	a.cidr = (uint8_t)bits_of(&a);
	if (a.family == AF_INET)
		a.ip4.s_addr = htonl(ntohl(a.ip4.s_addr) + i);
	else
		a.ip6.s6_addr[15] = (uint8_t)(a.ip6.s6_addr[15] + i);
	return a;
}

static bool is_free(const struct wg_allowedip *a, const struct wg_allowedip *subnet, const struct wg_allowedip *hub,
		    const struct wg_allowedip *taken, size_t n_taken)
{
	unsigned int bits = bits_of(subnet), host = bits - subnet->cidr;
	struct wg_allowedip first = host_at(subnet, 0), h;

	if (!prefix_contains(subnet, a))
		return false;
	if (subnet->cidr + 1U < bits) {
		uint32_t mask = host >= 32 ? UINT32_MAX : (1U << host) - 1;

		if (same(a, &first))
			return false;
		/* The IPv4 broadcast address: every host bit set. */
		if (a->family == AF_INET && (ntohl(a->ip4.s_addr) & mask) == mask)
			return false;
	}
	if (hub && hub->family == a->family) {
		h = *hub;
		h.cidr = (uint8_t)bits;
		if (prefix_contains(&h, a))
			return false;
	}
	for (size_t i = 0; i < n_taken; ++i)
		if (prefix_contains(&taken[i], a))
			return false;
	return true;
}

static void check_next_free(const struct wg_allowedip *v, size_t n)
{
	const struct wg_allowedip *subnet = &v[0], *hub = n > 1 ? &v[1] : NULL;
	const struct wg_allowedip *taken = n > 2 ? &v[2] : NULL;
	size_t n_taken = n > 2 ? n - 2 : 0;
	unsigned int host = bits_of(subnet) - subnet->cidr;
	struct wg_allowedip out;
	int ret = prefix_next_free(subnet, hub, taken, n_taken, &out);

	if (ret && ret != -ENOSPC)
		abort();
	if (!ret && (out.cidr != bits_of(subnet) || !is_free(&out, subnet, hub, taken, n_taken)))
		abort();
	if (host > 8)
		return;
	for (unsigned int i = 0; i < 1U << host; ++i) {
		struct wg_allowedip a = host_at(subnet, i);

		if (!is_free(&a, subnet, hub, taken, n_taken))
			continue;
		/* The lowest free address, and there was one. */
		if (ret || !same(&a, &out))
			abort();
		return;
	}
	if (!ret)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(&data, &size);
	struct wg_allowedip one, *v = NULL;
	size_t n = 0;
	int ret_one, ret_list;

	if (!s)
		return 0;
	ret_one = prefix_parse(&one, s);
	if (ret_one && ret_one != -EINVAL)
		abort();
	if (!ret_one)
		check_one(&one);

	ret_list = prefix_parse_list(&v, &n, s);
	if (ret_list && (ret_list != -EINVAL || v || n))
		abort();
	/* Without a comma, the list is the one prefix. */
	if (!strchr(s, ',') && (!ret_list != !ret_one || (!ret_list && (n != 1 || !same(&v[0], &one)))))
		abort();
	if (!ret_list) {
		for (size_t i = 0; i < n; ++i)
			check_one(&v[i]);
		for (size_t i = 0; i < n && i < MAX_PAIRS; ++i)
			for (size_t j = 0; j < n && j < MAX_PAIRS; ++j)
				if (prefix_overlap(&v[i], &v[j]) != prefix_overlap(&v[j], &v[i]))
					abort();
		check_list_again(v, n);
		check_next_free(v, n);
	}
	free(v);
	free(s);
	return 0;
}
