// SPDX-License-Identifier: GPL-2.0-or-later
/* The wg-quick configuration file of a new peer of the star, for the device itself. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clientconf.h"
#include "key.h"
#include "prefix.h"

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int check_port(const char *s)
{
	unsigned long port = 0;
	size_t len = strlen(s);

	/* No sign, no leading zero, at most five digits: the port as wg(8) prints it. */
	if (len == 0 || len > 5 || s[0] == '0')
		return -EINVAL;
	for (size_t i = 0; i < len; ++i) {
		if (!is_digit(s[i]))
			return -EINVAL;
		port = port * 10 + (unsigned long)(s[i] - '0');
	}
	return port <= 65535 ? 0 : -EINVAL;
}

static int check_v6_host(const char *s, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	struct in6_addr a;
	const char *pct = memchr(s, '%', len);

	/* A link-local hub needs its scope; inet_pton() does not take one, so check it apart. */
	if (pct) {
		if (pct + 1 == s + len)
			return -EINVAL;
		/* An interface's name: nothing that would end the value or the line in the file. */
		for (const char *c = pct + 1; c < s + len; ++c)
			if (*c == '%' || *c == '[' || *c == ']' || *c == ':' || *c == '#' || (unsigned char)*c <= ' ' ||
			    *c == 0x7f)
				return -EINVAL;
		len = (size_t)(pct - s);
	}
	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	return inet_pton(AF_INET6, addr, &a) == 1 ? 0 : -EINVAL;
}

static int check_name_host(const char *s, size_t len)
{
	char addr[INET_ADDRSTRLEN];
	struct in_addr a;
	bool numeric = true;

	if (len == 0 || len > 253)
		return -EINVAL;
	for (size_t i = 0; i < len; ++i) {
		char c = s[i];

		if (!is_digit(c) && c != '.')
			numeric = false;
		/* What a DNS name holds; '#' or '=' would also confuse the config parser. */
		if (!is_digit(c) && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    c != '-' && c != '.' && c != '_')
			return -EINVAL;
	}
	if (!numeric)
		return 0;
	/*
	 * All digits and dots is an IPv4 address or a mistake: getaddrinfo() would take
	 * "10.1" or "167772161" as 10.0.0.1-style shorthands nobody means here.
	 */
	if (len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, len);
	addr[len] = '\0';
	return inet_pton(AF_INET, addr, &a) == 1 ? 0 : -EINVAL;
}

int clientconf_check_endpoint(const char *endpoint)
{
	const char *colon;

	if (!endpoint)
		return -EINVAL;
	if (endpoint[0] == '[') {
		const char *close = strchr(endpoint, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		if (check_v6_host(endpoint + 1, (size_t)(close - endpoint - 1)) < 0)
			return -EINVAL;
		return check_port(close + 2);
	}
	colon = strrchr(endpoint, ':');
	if (!colon)
		return -EINVAL;
	/* A bare IPv6 address is ambiguous with its port: wg(8) wants the brackets too. */
	if (memchr(endpoint, ':', (size_t)(colon - endpoint)))
		return -EINVAL;
	if (check_name_host(endpoint, (size_t)(colon - endpoint)) < 0)
		return -EINVAL;
	return check_port(colon + 1);
}

/*
 * Text that goes into a value: no control characters, so nothing can start a new line
 * (and with it a new key or section) inside the file.
 */
static bool value_ok(const char *s)
{
	for (; *s; ++s)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/*
 * The text is written twice: once to measure it, once into a buffer of exactly that
 * size, so no reallocation leaves a copy of the private key behind in freed memory.
 */
struct out {
	char *buf;		/* NULL while measuring */
	size_t len;
	size_t cap;
};

__attribute__((format(printf, 2, 3)))
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_prefixes(struct out *o, const char *key, const struct wg_allowedip *p, size_t n)
{
	char buf[PREFIX_STRLEN];

	put(o, "%s = ", key);
	for (size_t i = 0; i < n; ++i)
		put(o, "%s%s", i ? ", " : "", prefix_format(&p[i], buf, sizeof(buf)));
	put(o, "\n");
}

static void put_key(struct out *o, const char *key, const uint8_t k[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN];

	key_to_base64(b64, k);
	put(o, "%s = %s\n", key, b64);
	key_wipe(b64, sizeof(b64));
}

static void render(struct out *o, const struct clientconf *c)
{
	put(o, "[Interface]\n");
	if (c->name && c->name[0])
		put(o, "# Name = %s\n", c->name);
	put_prefixes(o, "Address", c->address, c->n_address);
	if (c->private_key)
		put_key(o, "PrivateKey", c->private_key);
	else
		put(o, "# PrivateKey = (this device's own private key)\n");
	if (c->dns && c->dns[0])
		put(o, "DNS = %s\n", c->dns);
	put(o, "\n[Peer]\n");
	put_key(o, "PublicKey", c->hub_public_key);
	if (c->preshared_key)
		put_key(o, "PresharedKey", c->preshared_key);
	if (c->endpoint)
		put(o, "Endpoint = %s\n", c->endpoint);
	else
		put(o, "# Endpoint = (the hub's public address and port)\n");
	put_prefixes(o, "AllowedIPs", c->allowed, c->n_allowed);
	if (c->keepalive)
		put(o, "PersistentKeepalive = %u\n", c->keepalive);
}

static bool prefixes_ok(const struct wg_allowedip *p, size_t n)
{
	if (!p || n == 0)
		return false;
	for (size_t i = 0; i < n; ++i) {
		unsigned int bits = p[i].family == AF_INET ? 32 : p[i].family == AF_INET6 ? 128 : 0;

		if (!bits || p[i].cidr > bits)
			return false;
	}
	return true;
}

char *clientconf_render(const struct clientconf *c)
{
	struct out o = { NULL, 0, 0 };

	if (!c || !c->hub_public_key || !prefixes_ok(c->address, c->n_address) ||
	    !prefixes_ok(c->allowed, c->n_allowed) ||
	    (c->name && !value_ok(c->name)) || (c->dns && !value_ok(c->dns)) ||
	    (c->endpoint && clientconf_check_endpoint(c->endpoint) < 0)) {
		errno = EINVAL;
		return NULL;
	}
	render(&o, c);
	o.cap = o.len + 1;
	o.buf = malloc(o.cap);
	if (!o.buf) {
		errno = ENOMEM;
		return NULL;
	}
	o.len = 0;
	o.buf[0] = '\0';
	render(&o, c);
	return o.buf;
}
