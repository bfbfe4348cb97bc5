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

static char *scaled(char *buf, size_t len, double v, const char *suffix)
{
	unsigned int u = 0;

	while (v >= 1024 && u + 1 < sizeof(iec_units) / sizeof(iec_units[0])) {
		v /= 1024;
		++u;
	}
	if (u == 0)
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

char *format_endpoint(char *buf, size_t len, const union wg_endpoint *ep)
{
	char addr[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 12];

	buf[0] = '\0';
	if (ep->addr.sa_family == AF_INET) {
		if (inet_ntop(AF_INET, &ep->addr4.sin_addr, addr, sizeof(addr)))
			snprintf(buf, len, "%s:%u", addr, ntohs(ep->addr4.sin_port));
	} else if (ep->addr.sa_family == AF_INET6) {
		if (!inet_ntop(AF_INET6, &ep->addr6.sin6_addr, addr, sizeof(addr)))
			return buf;
		scope[0] = '\0';
		if (ep->addr6.sin6_scope_id) {
			char ifname[IF_NAMESIZE];

			if (format_scope_name && format_scope_name(ep->addr6.sin6_scope_id, ifname))
				snprintf(scope, sizeof(scope), "%%%s", ifname);
			else
				snprintf(scope, sizeof(scope), "%%%u", ep->addr6.sin6_scope_id);
		}
		snprintf(buf, len, "[%s%s]:%u", addr, scope, ntohs(ep->addr6.sin6_port));
	}
	return buf;
}

static char *put_dec(char *p, unsigned int v)
{
	if (v >= 100)
		*p++ = (char)('0' + v / 100);
	if (v >= 10)
		*p++ = (char)('0' + v / 10 % 10);
	*p++ = (char)('0' + v % 10);
	return p;
}

char *format_allowedip(char *buf, size_t len, const struct wg_allowedip *aip)
{
	char addr[INET6_ADDRSTRLEN];

	buf[0] = '\0';
	/* The hot path of a 10,000-peer snapshot: IPv4 without the generality of snprintf. */
	if (aip->family == AF_INET && len >= sizeof("255.255.255.255/32")) {
		const uint8_t *b = (const uint8_t *)&aip->ip4;
		char *p = buf;

		for (int i = 0; i < 4; ++i) {
			p = put_dec(p, b[i]);
			*p++ = i < 3 ? '.' : '/';
		}
		p = put_dec(p, aip->cidr);
		*p = '\0';
		return buf;
	}
	if (inet_ntop(aip->family, aip->family == AF_INET ? (const void *)&aip->ip4 : (const void *)&aip->ip6,
		      addr, sizeof(addr)))
		snprintf(buf, len, "%s/%u", addr, aip->cidr);
	return buf;
}

char *format_key_short(char *buf, size_t len, const uint8_t key[WG_KEY_LEN], bool utf8)
{
	char b64[WG_KEY_B64_LEN];

	key_to_base64(b64, key);
	snprintf(buf, len, "%.8s%s", b64, utf8 ? "\u2026" : "...");
	return buf;
}

int format_width(const char *s)
{
	mbstate_t st;
	int width = 0;

	memset(&st, 0, sizeof(st));
	while (*s) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, s, MB_CUR_MAX, &st);
		int w;

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
