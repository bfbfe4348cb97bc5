/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The wg-quick configuration file of a new peer of the star, for the device itself. */
#ifndef WGSTAR_CLIENTCONF_H
#define WGSTAR_CLIENTCONF_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

struct clientconf {
	const char *name;			/* NULL or "": no "# Name = " line */
	const struct wg_allowedip *address;	/* the device's addresses with the subnet's length: 10.0.0.5/24 */
	size_t n_address;
	const uint8_t *private_key;		/* NULL when the operator pasted the device's public key */
	const char *dns;			/* NULL or "10.0.0.1, 2001:db8::1" */
	const uint8_t *hub_public_key;
	const uint8_t *preshared_key;		/* NULL or WG_KEY_LEN bytes */
	const char *endpoint;			/* NULL when unknown, "vpn.example.net:51820", "[2001:db8::1]:51820" */
	const struct wg_allowedip *allowed;	/* the whole VPN subnet(s), routed to the hub */
	size_t n_allowed;
	uint16_t keepalive;			/* seconds; 0 for none */
};

/*
 * The configuration in wg-quick's format:
 *
 *	[Interface]
 *	# Name = phone
 *	Address = 10.0.0.5/24
 *	PrivateKey = ...
 *	DNS = 10.0.0.1
 *
 *	[Peer]
 *	PublicKey = ...
 *	PresharedKey = ...
 *	Endpoint = vpn.example.net:51820
 *	AllowedIPs = 10.0.0.0/24
 *	PersistentKeepalive = 25
 *
 * Without a private key (or endpoint) a "# PrivateKey = (...)" comment stands in its
 * place, so the file is plainly incomplete rather than silently broken.
 * Returns a malloc'd string that may hold a private key: key_wipe() it before free().
 * NULL with errno EINVAL for missing or malformed fields (a name or DNS with a line
 * break, a bad endpoint, no address), ENOMEM.
 */
char *clientconf_render(const struct clientconf *c);

/*
 * Whether endpoint is "host:port", "192.0.2.1:port" or "[2001:db8::1]:port" (a scope as in
 * "[fe80::1%eth0]:port" allowed), port 1..65535, the host non-empty and without spaces.
 * 0 or -EINVAL.
 */
int clientconf_check_endpoint(const char *endpoint);

#endif
