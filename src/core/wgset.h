/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The write path to WireGuard, without any socket: the generic netlink WG_CMD_SET_DEVICE
 * requests for the kernel and the UAPI "set=1" text for wireguard-go and its kind, both
 * built from the same list of peer changes. Device settings (private key, port, fwmark,
 * replacing every peer) are deliberately out of reach: the hub's identity is not ours to
 * change from a console.
 */
#ifndef WGSTAR_WGSET_H
#define WGSTAR_WGSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include "model.h"

/* One peer to add, change or remove. */
struct wg_peer_change {
	uint8_t public_key[WG_KEY_LEN];
	/* WGPEER_F_REMOVE_ME / remove=true; every other field is then ignored. */
	bool remove;
	/* WGPEER_F_UPDATE_ONLY / update_only=true: a peer that does not exist is left absent. */
	bool update_only;
	/* An all-zero key clears it. It never appears in a message or log of ours. */
	bool set_preshared_key;
	uint8_t preshared_key[WG_KEY_LEN];
	bool set_keepalive;
	uint16_t keepalive;		/* seconds; 0 turns it off */
	/* WGPEER_F_REPLACE_ALLOWEDIPS / replace_allowed_ips=true: the list below replaces the old one. */
	bool replace_allowedips;
	const struct wg_allowedip *allowedips;	/* added, in this order */
	size_t n_allowedips;
	const union wg_endpoint *endpoint;	/* NULL: left alone */
};

/*
 * 0, or -EINVAL for a change the builders refuse: an allowed IP that is not AF_INET with a
 * prefix of at most 32 or AF_INET6 with at most 128, allowed IPs counted but not given, an
 * endpoint that is neither AF_INET nor AF_INET6.
 */
int wgset_validate(const struct wg_peer_change *c, size_t n);

/* Every buffer given to wgset_nl_next must have room for at least this much. */
#define WGSET_NL_MIN_LEN 512

/*
 * The WG_CMD_SET_DEVICE requests for a list of changes, one message at a time, split the way
 * wg(8) splits them when they do not fit one buffer: a peer that does not fit is carried on in
 * the next message, which repeats its public key with the allowed IPs still to come and
 * nothing else. Unlike wg(8), such a continuation carries WGPEER_F_UPDATE_ONLY: the first part
 * created or updated the peer, so it changes nothing then, but a peer that the first part left
 * absent (update_only) or that someone removed in between is not brought back with only half
 * of its allowed IPs. REPLACE_ALLOWEDIPS, the preshared key, endpoint and keepalive travel only
 * in a peer's first part. No list is ever empty: no changes give one message that names the
 * interface, which the kernel answers with whether it exists.
 *
 * The caller owns the iterator and the changes (which must outlive it). Each message is sent
 * and acknowledged before the next is built; the kernel applies each as it comes, so a failure
 * part-way leaves the earlier parts applied, as with wg(8).
 */
struct wgset_nl_iter {
	const struct wg_peer_change *changes;
	size_t n;
	size_t peer;			/* the change the next message starts with */
	size_t aip;			/* its first allowed IP not yet written */
	bool continuing;		/* its first part has been written already */
	bool done;
	uint16_t family;
	char ifname[IFNAMSIZ];
};

/* 0; -EINVAL for a name no link can have, a family id that is no family's, or what wgset_validate refuses. */
int wgset_nl_init(struct wgset_nl_iter *it, const char *ifname, uint16_t family, const struct wg_peer_change *c,
		  size_t n);
/*
 * Writes the next request (NLM_F_REQUEST | NLM_F_ACK, sequence number seq) into buf, len
 * bytes of which no message will exceed. Returns its length, 0 once every change has been
 * written, -ENOSPC when len < WGSET_NL_MIN_LEN. buf holds preshared keys afterwards: wipe it.
 */
int wgset_nl_next(struct wgset_nl_iter *it, void *buf, size_t len, uint32_t seq);

/*
 * Looks for the acknowledgement of request seq in one receive buffer: 0 for success, the
 * kernel's -errno, 1 (NLWG_MORE) when the buffer held nothing for it, -EBADMSG when malformed.
 * Messages with another seq or portid are ignored; portid 0 accepts any.
 */
int wgset_nl_parse_ack(const void *buf, size_t len, uint32_t seq, uint32_t portid);

/*
 * The UAPI request "set=1\n" ... "\n" for the changes, keys in hex as the cross-platform
 * interface wants them; NULL with errno set (EINVAL as wgset_validate, ENOMEM). It holds
 * preshared keys: release it with wgset_uapi_free, which wipes it.
 */
char *wgset_uapi_request(const struct wg_peer_change *c, size_t n);
void wgset_uapi_free(char *req);

#endif
