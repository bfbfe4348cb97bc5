// SPDX-License-Identifier: GPL-2.0-or-later
/* Numbers, times, addresses and keys as people read them, into buffers the caller owns. */
#include <arpa/inet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "format.h"
#include "i18n.h"
#include "key.h"

static const char *const iec_units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };

static char *put_u32(char *p, uint32_t v);

static char *scaled(char *buf, size_t len, double v, const char *suffix)
{
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(iec_units) / sizeof(iec_units[0])) {
		v /= 1024;
		++u;
	}
	if (u == 0 && v >= 0 && v == (double)(unsigned int)v && len >= 16 + strlen(suffix)) {
		/* Whole bytes, as most rows of a big hub show them, without printf. */
		char *p = put_u32(buf, (uint32_t)v);

		*p++ = ' ';
		*p++ = 'B';
		strcpy(p, suffix);
	} else if (u == 0)
		snprintf(buf, len, "%.0f %s%s", v, iec_units[u], suffix);
	else
		snprintf(buf, len, "%.2f %s%s", v, iec_units[u], suffix);
	return buf;
}

char *format_bytes(char *buf, size_t len, uint64_t bytes)
{
	return scaled(buf, len, (double)bytes, "");
}

char *format_rate(char *buf, size_t len, double bytes_per_sec, bool known)
{
	if (!known) {
		snprintf(buf, len, "-");
		return buf;
	}
	return scaled(buf, len, bytes_per_sec < 0 ? 0 : bytes_per_sec, "/s");
}

char *format_age(char *buf, size_t len, int64_t age)
{
	if (age < 0)
		snprintf(buf, len, "%s", _("never"));
	else if (age < 60)
		snprintf(buf, len, "%llds", (long long)age);
	else if (age < 3600)
		snprintf(buf, len, "%lldm%02llds", (long long)(age / 60), (long long)(age % 60));
	else if (age < 86400)
		snprintf(buf, len, "%lldh%02lldm", (long long)(age / 3600), (long long)(age % 3600 / 60));
	else
		snprintf(buf, len, "%lldd%02lldh", (long long)(age / 86400), (long long)(age % 86400 / 3600));
	return buf;
}

char *(*format_scope_name)(unsigned int index, char *name);

static char *put_dec(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

static char *put_u32(char *p, uint32_t v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_ip4(char *p, const uint8_t *b)
{
	for (int i = 0; i < 4; ++i) {
		if (i)
			*p++ = '.';
		p = put_dec(p, b[i]);
	}
	return p;
}

/*
 * An IPv6 address as inet_ntop(3) writes it, and so wg(8): the groups in lowercase hex without
 * leading zeros, the longest run of two or more zero groups (the first of equal ones) as "::",
 * and the last 32 bits as a dotted quad for ::a.b.c.d and ::ffff:a.b.c.d. inet_ntop calls
 * sprintf for every group: for a 10,000-peer hub's allowed IPs that was a third of --once.
 */
static char *put_ip6(char *p, const uint8_t *a)
{
	static const char hex[] = "0123456789abcdef";
	unsigned int w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;

	for (int i = 0; i < 8; ++i) {
		w[i] = (unsigned int)a[2 * i] << 8 | a[2 * i + 1];
		if (w[i]) {
			cur = -1;
			continue;
		}
		if (cur < 0) {
			cur = i;
			cur_len = 0;
		}
		if (++cur_len > best_len) {
			best = cur;
			best_len = cur_len;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; ++i) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i)
			*p++ = ':';
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)))
			return put_ip4(p, a + 12);
		for (int shift = 12; shift >= 0; shift -= 4)
			if (w[i] >> shift || !shift)
				*p++ = hex[w[i] >> shift & 15];
	}
	if (best >= 0 && best + best_len == 8)
		*p++ = ':';
	return p;
}

/* What p..end says, into buf as snprintf would put it (cut to len - 1). */
static char *put_out(char *buf, size_t len, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if (!len)
		return buf;
	if (n >= len)
		n = len - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return buf;
}

char *format_endpoint(char *buf, size_t len, const union wg_endpoint *ep)
{
	char tmp[INET6_ADDRSTRLEN + IF_NAMESIZE + 24], *p = tmp;

	if (ep->addr.sa_family == AF_INET) {
		p = put_ip4(p, (const uint8_t *)&ep->addr4.sin_addr);
		*p++ = ':';
		p = put_u32(p, ntohs(ep->addr4.sin_port));
	} else if (ep->addr.sa_family == AF_INET6) {
		*p++ = '[';
		p = put_ip6(p, ep->addr6.sin6_addr.s6_addr);
		if (ep->addr6.sin6_scope_id) {
			char ifname[IF_NAMESIZE];

			*p++ = '%';
			if (format_scope_name && format_scope_name(ep->addr6.sin6_scope_id, ifname)) {
				size_t n = strnlen(ifname, IF_NAMESIZE - 1);

				memcpy(p, ifname, n);
				p += n;
			} else {
				p = put_u32(p, ep->addr6.sin6_scope_id);
			}
		}
		*p++ = ']';
		*p++ = ':';
		p = put_u32(p, ntohs(ep->addr6.sin6_port));
	}
	return put_out(buf, len, tmp, p);
}

/* The hot path of a big hub's snapshot: no snprintf, no inet_ntop (see put_ip6). */
char *format_allowedip(char *buf, size_t len, const struct wg_allowedip *aip)
{
	char tmp[INET6_ADDRSTRLEN + 8], *p = tmp;

	if (aip->family != AF_INET && aip->family != AF_INET6)
		return put_out(buf, len, tmp, tmp);
	p = aip->family == AF_INET ? put_ip4(p, (const uint8_t *)&aip->ip4) : put_ip6(p, (const uint8_t *)&aip->ip6);
	*p++ = '/';
	p = put_dec(p, aip->cidr);
	return put_out(buf, len, tmp, p);
}

char *format_key_short(char *buf, size_t len, const uint8_t key[WG_KEY_LEN], bool utf8)
{
	const char *more = utf8 ? "\u2026" : "...";
	size_t n = strlen(more);
	char b64[WG_KEY_B64_LEN];

	/* Without snprintf: a table of 100,000 rows has as many. */
	key_to_base64(b64, key);
	memcpy(b64 + 8, more, n);
	return put_out(buf, len, b64, b64 + 8 + n);
}

int format_width(const char *s)
{
	mbstate_t st;
	int width = 0;

	memset(&st, 0, sizeof(st));
	while (*s) {
		wchar_t wc;
		size_t n;
		int w;

		/*
		 * A printable ASCII byte where a character starts is one column in every locale
		 * glibc has, and most of a table is keys, addresses and figures: counted without
		 * mbrtowc and wcwidth, which were half of `--once` at 10,000 peers. Other bytes
		 * (control bytes are letters in a few charsets) are the locale's to judge.
		 */
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
			++width;
			++s;
			continue;
		}
		n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
			/* Not valid in this locale: one column a byte, as the terminal will show it. */
			memset(&st, 0, sizeof(st));
			++width;
			++s;
			continue;
		}
		w = wcwidth(wc);
		width += w > 0 ? w : 0;
		s += n;
	}
	return width;
}
