// SPDX-License-Identifier: GPL-2.0-or-later
/* IP prefixes as AllowedIPs and Address carry them, and the next free address in a subnet. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "prefix.h"
#include "text.h"

/*
 * Addresses as two 64-bit halves, IPv4 in the low bits of lo: one arithmetic for both
 * families, and no __int128, which 32-bit routers do not have.
 */
struct u128 {
	uint64_t hi;
	uint64_t lo;
};

struct range {
	struct u128 first;
	struct u128 last;
};

static unsigned int family_bits(uint16_t family)
{
	if (family == AF_INET)
		return 32;
	if (family == AF_INET6)
		return 128;
	return 0;
}

static bool prefix_valid(const struct wg_allowedip *p)
{
	unsigned int bits = family_bits(p->family);

	return bits && p->cidr <= bits;
}

static uint64_t be64_load(const uint8_t *b)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; ++i)
		v = v << 8 | b[i];
	return v;
}

static void be64_store(uint8_t *b, uint64_t v)
{
	for (int i = 7; i >= 0; --i) {
		b[i] = (uint8_t)v;
		v >>= 8;
	}
}

static struct u128 addr_load(const struct wg_allowedip *p)
{
	struct u128 a = { 0, 0 };

	if (p->family == AF_INET) {
		a.lo = ntohl(p->ip4.s_addr);
	} else {
		a.hi = be64_load(p->ip6.s6_addr);
		a.lo = be64_load(p->ip6.s6_addr + 8);
	}
	return a;
}

static void addr_store(struct wg_allowedip *p, struct u128 a)
{
	if (p->family == AF_INET) {
		p->ip4.s_addr = htonl((uint32_t)a.lo);
	} else {
		be64_store(p->ip6.s6_addr, a.hi);
		be64_store(p->ip6.s6_addr + 8, a.lo);
	}
}

/* The host part of a prefix of length cidr in an address of bits bits, as ones. */
static struct u128 host_mask(unsigned int bits, unsigned int cidr)
{
	unsigned int h = bits - cidr;
	struct u128 m = { 0, 0 };

	if (h == 0)
		return m;
	if (h < 64) {
		m.lo = (UINT64_C(1) << h) - 1;
		return m;
	}
	m.lo = UINT64_MAX;
	if (h == 128)
		m.hi = UINT64_MAX;
	else if (h > 64)
		m.hi = (UINT64_C(1) << (h - 64)) - 1;
	return m;
}

static struct u128 u128_and_not(struct u128 a, struct u128 m)
{
	return (struct u128){ a.hi & ~m.hi, a.lo & ~m.lo };
}

static struct u128 u128_or(struct u128 a, struct u128 m)
{
	return (struct u128){ a.hi | m.hi, a.lo | m.lo };
}

static int u128_cmp(struct u128 a, struct u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static bool u128_eq(struct u128 a, struct u128 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

static struct u128 u128_inc(struct u128 a)
{
	if (++a.lo == 0)
		++a.hi;
	return a;
}

static struct u128 u128_dec(struct u128 a)
{
	if (a.lo-- == 0)
		--a.hi;
	return a;
}

/* a - b, for a >= b. */
static struct u128 u128_sub(struct u128 a, struct u128 b)
{
	return (struct u128){ a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo };
}

static void prefix_bounds(const struct wg_allowedip *p, struct u128 *first, struct u128 *last)
{
	struct u128 m, a = addr_load(p);

	/* One address, as nearly every peer's are: no mask to make. */
	if (p->cidr == family_bits(p->family)) {
		*first = *last = a;
		return;
	}
	m = host_mask(family_bits(p->family), p->cidr);
	*first = u128_and_not(a, m);
	*last = u128_or(a, m);
}

/* isspace's six, without a call into the locale for each character. */
static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* One prefix from s up to end, which need not be NUL-terminated there. */
static int parse_span(struct wg_allowedip *p, const char *s, const char *end)
{
	const char *slash;
	struct wg_allowedip tmp;
	unsigned int cidr, bits;
	size_t len;
	bool ok;

	while (s < end && is_space(*s))
		++s;
	while (end > s && is_space(end[-1]))
		--end;
	slash = memchr(s, '/', (size_t)(end - s));
	len = (size_t)((slash ? slash : end) - s);
	memset(&tmp, 0, sizeof(tmp));
	tmp.family = memchr(s, ':', len) ? AF_INET6 : AF_INET;
	/* As inet_pton takes them: only dotted quads for IPv4, no "10.1", no octal, no hex. */
	ok = tmp.family == AF_INET ? prefix_ip4_parse(&tmp.ip4, s, len) : prefix_ip6_parse(&tmp.ip6, s, len);
	if (!ok)
		return -EINVAL;
	bits = family_bits(tmp.family);

	cidr = bits;
	if (slash) {
		const char *d = slash + 1;

		/* Three digits hold every valid length; more can only overflow or be junk. */
		if (d == end || end - d > 3)
			return -EINVAL;
		cidr = 0;
		for (; d < end; ++d) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			cidr = cidr * 10 + (unsigned int)(*d - '0');
		}
		if (cidr > bits)
			return -EINVAL;
	}
	tmp.cidr = (uint8_t)cidr;
	*p = tmp;
	return 0;
}

int prefix_parse_span(struct wg_allowedip *p, const char *s, size_t len)
{
	return parse_span(p, s, s + len);
}

bool prefix_ip4_parse(struct in_addr *out, const char *s, size_t len)
{
	const char *p = s, *end = s + len;
	uint32_t addr = 0;

	/*
	 * Octet by octet, not character by character with a state: a big hub's file has 100,000
	 * of these. "0" is an octet; "01" is not, nor is a fourth digit.
	 */
	for (int k = 0; k < 4; ++k) {
		unsigned int octet;

		if (k && (p == end || *p++ != '.'))
			return false;
		if (p == end || (unsigned int)(*p - '0') > 9)
			return false;
		octet = (unsigned int)(*p++ - '0');
		for (int more = 0; octet && more < 2 && p < end && (unsigned int)(*p - '0') <= 9; ++more)
			octet = octet * 10 + (unsigned int)(*p++ - '0');
		if (octet > 255)
			return false;
		addr = addr << 8 | octet;
	}
	if (p != end)
		return false;
	out->s_addr = htonl(addr);
	return true;
}

bool prefix_ip6_parse(struct in6_addr *out, const char *s, size_t len)
{
	uint8_t b[16] = { 0 };
	const char *end = s + len, *group = s;
	size_t o = 0, gap = SIZE_MAX, digits = 0;
	unsigned int v = 0;

	/* A colon may lead only as half of "::". */
	if (s == end || (*s == ':' && (++s == end || *s != ':')))
		return false;
	group = s;
	while (s < end) {
		char c = *s++;
		int h = text_hex_value(c);

		if (h >= 0) {
			if (digits == 4)
				return false;
			v = v << 4 | (unsigned int)h;
			++digits;
		} else if (c == ':') {
			group = s;
			if (!digits) {
				/* The second colon of "::", which may stand once. */
				if (gap != SIZE_MAX)
					return false;
				gap = o;
				continue;
			}
			/* Nothing may end in a single colon. */
			if (s == end || o + 2 > sizeof(b))
				return false;
			b[o++] = (uint8_t)(v >> 8);
			b[o++] = (uint8_t)v;
			v = 0;
			digits = 0;
		} else if (c == '.' && o + 4 <= sizeof(b)) {
			/* A dotted quad ends the address: its group was read as hex so far. */
			struct in_addr a;

			if (!prefix_ip4_parse(&a, group, (size_t)(end - group)))
				return false;
			memcpy(b + o, &a, 4);
			o += 4;
			digits = 0;
			break;
		} else {
			return false;
		}
	}
	if (digits) {
		if (o + 2 > sizeof(b))
			return false;
		b[o++] = (uint8_t)(v >> 8);
		b[o++] = (uint8_t)v;
	}
	if (gap != SIZE_MAX) {
		/* "::" stands for one group at least. */
		if (o == sizeof(b))
			return false;
		memmove(b + sizeof(b) - (o - gap), b + gap, o - gap);
		memset(b + gap, 0, sizeof(b) - o);
		o = sizeof(b);
	}
	if (o != sizeof(b))
		return false;
	memcpy(out, b, sizeof(b));
	return true;
}

int prefix_parse(struct wg_allowedip *p, const char *s)
{
	if (!s)
		return -EINVAL;
	return parse_span(p, s, s + strlen(s));
}

int prefix_parse_list(struct wg_allowedip **out, size_t *n, const char *s)
{
	struct wg_allowedip *list;
	size_t count = 1, i = 0;
	const char *c;

	if (!s)
		return -EINVAL;
	for (c = s; *c; ++c)
		count += *c == ',';
	list = calloc(count, sizeof(*list));
	if (!list)
		return -ENOMEM;
	for (c = s;; ++i) {
		const char *comma = strchr(c, ',');
		const char *end = comma ? comma : c + strlen(c);

		/* An empty entry ("a,,b", a trailing comma, "") is a mistake, not nothing. */
		if (parse_span(&list[i], c, end) < 0) {
			free(list);
			return -EINVAL;
		}
		if (!comma)
			break;
		c = comma + 1;
	}
	*out = list;
	*n = count;
	return 0;
}

char *prefix_format(const struct wg_allowedip *p, char *buf, size_t len)
{
	/* The same text as the console and `wg show` print. */
	return format_allowedip(buf, len, p);
}

void prefix_network(struct wg_allowedip *p)
{
	struct u128 first, last;

	if (!prefix_valid(p))
		return;
	prefix_bounds(p, &first, &last);
	addr_store(p, first);
}

bool prefix_contains(const struct wg_allowedip *outer, const struct wg_allowedip *inner)
{
	struct u128 m;

	if (outer->family != inner->family || !prefix_valid(outer) || !prefix_valid(inner) ||
	    outer->cidr > inner->cidr)
		return false;
	m = host_mask(family_bits(outer->family), outer->cidr);
	return u128_eq(u128_and_not(addr_load(outer), m), u128_and_not(addr_load(inner), m));
}

bool prefix_overlap(const struct wg_allowedip *a, const struct wg_allowedip *b)
{
	/* Prefixes nest or are disjoint: there is no partial overlap to look for. */
	return prefix_contains(a, b) || prefix_contains(b, a);
}

static int range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return u128_cmp(x->first, y->first);
}

/* Adds [first, last] clipped to [lo, hi], when anything of it is left. */
static void range_add(struct range *r, size_t *n, struct u128 first, struct u128 last,
		      struct u128 lo, struct u128 hi)
{
	if (u128_cmp(last, lo) < 0 || u128_cmp(first, hi) > 0)
		return;
	r[*n].first = u128_cmp(first, lo) < 0 ? lo : first;
	r[*n].last = u128_cmp(last, hi) > 0 ? hi : last;
	++*n;
}

/* Whether a lies in the window of w addresses from lo, and where: *at = a - lo. */
static bool in_window(struct u128 a, struct u128 lo, size_t w, size_t *at)
{
	struct u128 d;

	if (u128_cmp(a, lo) < 0)
		return false;
	d = u128_sub(a, lo);
	if (d.hi || d.lo >= w)
		return false;
	*at = (size_t)d.lo;
	return true;
}

/*
 * The first free address among the first w of [lo, hi] (w no more than its size): 1 with *cand
 * set, 0 when all w are taken, -ENOMEM. n single addresses leave one of the first n + 1 free,
 * so on a hub, where peers hold single addresses, the answer is here, in one pass over the
 * ranges and the window, with no sort (a sort of 260,000 ranges was a quarter of a peer add
 * beside 65,000 peers in the hub's subnet). Wider ranges can fill the window.
 */
static int next_free_window(struct u128 lo, size_t w, const struct wg_allowedip *taken, size_t n_taken,
			    const struct wg_allowedip *hub_addr, uint16_t family, struct u128 *cand)
{
	/* How many ranges start at each address of the window, less how many end before it. */
	int32_t *delta = calloc(w + 1, sizeof(*delta));
	struct u128 wend = lo;
	int64_t cover = 0;

	if (!delta)
		return -ENOMEM;
	wend.lo += w - 1;
	wend.hi += wend.lo < lo.lo;
	for (size_t i = 0; i <= n_taken; ++i) {
		struct u128 first, last;
		size_t s, e;

		if (i < n_taken && taken[i].family == family && taken[i].cidr == family_bits(family)) {
			/* A single address, as nearly every peer's: one place in the window, if any. */
			if (in_window(addr_load(&taken[i]), lo, w, &s)) {
				++delta[s];
				--delta[s + 1];
			}
			continue;
		} else if (i < n_taken && taken[i].family == family) {
			prefix_bounds(&taken[i], &first, &last);
		} else if (i == n_taken && hub_addr && hub_addr->family == family) {
			first = last = addr_load(hub_addr);
		} else {
			continue;
		}
		if (u128_cmp(last, lo) < 0 || u128_cmp(first, wend) > 0)
			continue;
		if (!in_window(first, lo, w, &s))
			s = 0;
		if (!in_window(last, lo, w, &e))
			e = w - 1;
		++delta[s];
		--delta[e + 1];
	}
	for (size_t i = 0; i < w; ++i) {
		cover += delta[i];
		if (!cover) {
			free(delta);
			cand->hi = lo.hi + (lo.lo + i < lo.lo);
			cand->lo = lo.lo + i;
			return 1;
		}
	}
	free(delta);
	return 0;
}

/* The first free address of [lo, hi] from every range sorted: 1 with *cand set, 0 when none. */
static int next_free_sorted(struct u128 lo, struct u128 hi, const struct wg_allowedip *taken, size_t n_taken,
			    const struct wg_allowedip *hub_addr, uint16_t family, struct u128 *cand)
{
	struct range *used = malloc((n_taken + 1) * sizeof(*used));
	size_t n_used = 0;
	int ret = 1;

	if (!used)
		return -ENOMEM;
	for (size_t i = 0; i < n_taken; ++i) {
		struct u128 first, last;

		if (taken[i].family != family)
			continue;
		prefix_bounds(&taken[i], &first, &last);
		range_add(used, &n_used, first, last, lo, hi);
	}
	if (hub_addr && hub_addr->family == family) {
		struct u128 a = addr_load(hub_addr);

		range_add(used, &n_used, a, a, lo, hi);
	}
	qsort(used, n_used, sizeof(*used), range_cmp);
	*cand = lo;
	for (size_t i = 0; i < n_used; ++i) {
		if (u128_cmp(used[i].first, *cand) > 0)
			break;
		if (u128_cmp(used[i].last, *cand) < 0)
			continue;
		/* Clipped to hi, so the step past it cannot wrap unless it ends the subnet. */
		if (u128_eq(used[i].last, hi)) {
			ret = 0;
			break;
		}
		*cand = u128_inc(used[i].last);
	}
	free(used);
	return ret;
}

bool prefix_test_sorted_only;

int prefix_next_free(const struct wg_allowedip *subnet, const struct wg_allowedip *hub_addr,
		     const struct wg_allowedip *taken, size_t n_taken, struct wg_allowedip *out)
{
	struct u128 lo, hi, cand, size;
	size_t w = 0;
	int ret = 0;

	if (!prefix_valid(subnet) || (n_taken && !taken))
		return -EINVAL;
	/* A window of as many addresses as there are ranges, and one more; then every range in order. */
	for (size_t i = 0; i < n_taken; ++i) {
		if (taken[i].family != subnet->family)
			continue;
		if (!prefix_valid(&taken[i]))
			return -EINVAL;
		++w;
	}

	prefix_bounds(subnet, &lo, &hi);
	/*
	 * The network address is no host (for IPv6 it is the subnet-router anycast
	 * address), and IPv4 has a broadcast address; point-to-point /31 (RFC 3021) and
	 * /127 (RFC 6164) and single-address prefixes use every address they have.
	 */
	if (subnet->cidr + 1U < family_bits(subnet->family)) {
		lo = u128_inc(lo);
		if (subnet->family == AF_INET)
			hi = u128_dec(hi);
	}

	w += 2;
	size = u128_sub(hi, lo);
	if (!size.hi && size.lo < w - 1)
		w = (size_t)size.lo + 1;
	if (!prefix_test_sorted_only)
		ret = next_free_window(lo, w, taken, n_taken, hub_addr, subnet->family, &cand);
	if (ret == 0)
		ret = next_free_sorted(lo, hi, taken, n_taken, hub_addr, subnet->family, &cand);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -ENOSPC;

	memset(out, 0, sizeof(*out));
	out->family = subnet->family;
	out->cidr = (uint8_t)family_bits(subnet->family);
	addr_store(out, cand);
	return 0;
}
