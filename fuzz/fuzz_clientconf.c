// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: a new peer's client config, whose name, DNS and endpoint come from the
 * operator and the settings file and end up in a file wg-quick runs on the device. The first
 * byte's bits leave out the private key, the preshared key, the name, the DNS and the endpoint;
 * then come the name, the DNS and the endpoint, each up to a NUL. An endpoint accepted has no
 * blank, control character or '#'; a config rendered has exactly its own lines and parses.
 */
#include <errno.h>
#include "clientconf.h"
#include "fuzz.h"
#include "key.h"
#include "prefix.h"
#include "wgconf.h"

static void check_endpoint(const char *endpoint)
{
	if (clientconf_check_endpoint(endpoint))
		return;
	for (const char *c = endpoint; *c; ++c)
		if ((unsigned char)*c <= ' ' || *c == 0x7f || *c == '#')
			abort();
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; ++s)
		n += *s == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t priv[WG_KEY_LEN] = { 1 }, psk[WG_KEY_LEN] = { 2 }, hub[WG_KEY_LEN] = { 3 };
	uint8_t leave_out = fuzz_byte(&data, &size);
	char *name = fuzz_string(&data, &size), *dns = fuzz_string(&data, &size);
	char *endpoint = fuzz_string(&data, &size), *out;
	struct wg_allowedip address, allowed;
	struct clientconf c = {
		.address = &address, .n_address = 1, .hub_public_key = hub, .allowed = &allowed, .n_allowed = 1,
		.keepalive = 25,
	};
	struct wgconf_error err;
	struct wgconf *conf;
	size_t lines = 9;

	if (!name || !dns || !endpoint || prefix_parse(&address, "10.172.16.5/24") ||
	    prefix_parse(&allowed, "10.172.16.0/24"))
		abort();
	check_endpoint(endpoint);
	c.private_key = leave_out & 1 ? NULL : priv;
	c.preshared_key = leave_out & 2 ? NULL : psk;
	c.name = leave_out & 4 ? NULL : name;
	c.dns = leave_out & 8 ? NULL : dns;
	c.endpoint = leave_out & 16 ? NULL : endpoint;
	out = clientconf_render(&c);
	if (!out) {
		if (errno != EINVAL)
			abort();
	} else {
		lines += (c.name && *c.name) + (c.dns && *c.dns) + !!c.preshared_key;
		if (count_lines(out) != lines || wgconf_parse(&conf, out, strlen(out), &err))
			abort();
		wgconf_free(conf);
		key_wipe(out, strlen(out));
		free(out);
	}
	free(name);
	free(dns);
	free(endpoint);
	return 0;
}
