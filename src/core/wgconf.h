/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A wg-quick config file (/etc/wireguard/IFACE.conf) as the lines it is made of, so that peers
 * can be added, removed and edited while every byte wgstar did not mean to change stays as it
 * was: comments, blank lines, order, PostUp/PostDown, unknown keys and sections, CRLF line ends
 * and a missing final newline. Rendering a file that was parsed and not edited gives back the
 * very same bytes.
 *
 * The file is read as wg-quick and wg(8) read it: keys match in any case, '#' starts a comment
 * anywhere on a line ("AllowedIPs = 10.0.0.2/32 # laptop" is the value 10.0.0.2/32), a line
 * starting with ';' is a comment too. Peer names are read exactly as names.c reads them (a
 * "# Name = X" comment inside or directly above the [Peer] header, or PiVPN's
 * "### begin X ###" / "### end X ###" markers around the section).
 *
 * What belongs to a peer, for removal: its [Peer] header and every line up to the next
 * section, less the blank lines at the end; the PiVPN markers around it when they enclose it
 * alone; and the block of comment lines directly above its header (no blank line between). Such
 * a block describes the peer below it, the same way names.c takes a "# Name" comment there as
 * the peer's name, so it goes with that peer. One blank line that separated the peer from its
 * neighbours goes too: the one above it, or else the one below (or none, when taking it would
 * join a "# Name" comment to the next [Peer] and so rename that peer).
 *
 * Every edit re-reads its own result and checks that it says what was meant, and nothing else
 * changed (other peers' keys, addresses and names); if not, the edit fails and the file model
 * stays as it was.
 */
#ifndef WGSTAR_WGCONF_H
#define WGSTAR_WGCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

struct wgconf;

/*
 * What the file says about one [Peer]. But for the key, it points into the model, as
 * everything of c does until its next edit or wgconf_free: at 100,000 peers a copy of the
 * names, allowed IPs and preshared keys cost a peer add 10 MB of fresh memory.
 */
struct wgconf_peer_info {
	uint8_t public_key[WG_KEY_LEN];
	const char *name;		/* as names_parse_config reads it; NULL if none */
	const struct wg_allowedip *allowedips;
	size_t n_allowedips;
	const uint8_t *preshared_key;	/* WG_KEY_LEN bytes, or NULL when it has none */
	const char *endpoint;		/* the last Endpoint value, or NULL */
	uint16_t persistent_keepalive;
	unsigned int line;		/* 1-based line of its [Peer] header */
};

/* Why a file was refused. msg is one line of English (translated when a catalog has it). */
struct wgconf_error {
	unsigned int line;		/* 1-based; 0 when not about one line */
	char msg[160];
};

/*
 * Parses len bytes of text (which need not be NUL-terminated). -EINVAL with err filled for: a
 * Key = Value line before any section; a [Peer] without PublicKey or with two; a PublicKey or
 * PresharedKey that is not base64 of 32 bytes; an AllowedIPs or Address entry that is not a
 * prefix (host bits may be set, as wg allows); a PersistentKeepalive that is neither "off" nor
 * 0..65535; two [Peer]s with the same PublicKey; a line that is neither blank, a comment (# or
 * ;), a [Section] nor Key = Value; a NUL byte. -EFBIG for more than WGCONF_MAX_LEN bytes,
 * -ENOMEM. Unknown keys and sections are kept and ignored. err may be NULL.
 */
#define WGCONF_MAX_LEN (16u << 20)
int wgconf_parse(struct wgconf **out, const char *text, size_t len, struct wgconf_error *err);
/*
 * The same, taking text (malloc'd, len bytes and a NUL, in size bytes allocated) instead of
 * copying it: the model frees it, or this call when it fails, wiped either way. A peer add
 * beside 100,000 peers then reads its 13 MB once, not twice; and with room past the NUL, an
 * added peer is written there, not into a copy of the whole file.
 */
int wgconf_parse_taking(struct wgconf **out, char *text, size_t len, size_t size, struct wgconf_error *err);
/*
 * Where a text names its peers (names.c's reading, which the model holds), read apart from the
 * rest of it: a peer add beside 100,000 peers reads them on a thread of their own while the rest
 * is parsed (wgconf_parse_taking_named). With facts (NULL: none), what the text says of itself
 * too, from the same scan (names_scan_facts; names_facts_clear them). 0 or -ENOMEM; text must
 * outlive the reading.
 */
struct wgconf_naming;
struct names_facts;
int wgconf_naming_read(struct wgconf_naming **out, const char *text, size_t len, struct names_facts *facts);
/* Its names (names_sort them there, before the model takes them). */
struct name_map *wgconf_naming_names(struct wgconf_naming *r);
void wgconf_naming_free(struct wgconf_naming *r);
/*
 * wgconf_parse_taking, with the names of wait(ctx): a reading of the same text, or NULL when it
 * failed (the parse then fails with -ENOMEM). wait is called once whatever happens, and before
 * the text is freed: a reading on another thread may go on until then.
 */
int wgconf_parse_taking_named(struct wgconf **out, char *text, size_t len, size_t size,
			      struct wgconf_naming *(*wait)(void *ctx), void *ctx, struct wgconf_error *err);
void wgconf_free(struct wgconf *c);
/* Every secret the model holds wiped (keys, preshared keys), nothing freed: c is still freed. */
void wgconf_wipe(struct wgconf *c);
/* The file's bytes, malloc'd and NUL-terminated (len without the NUL); NULL on ENOMEM. */
char *wgconf_render(const struct wgconf *c, size_t *len);
/*
 * The model's text itself, without a copy: valid until the model changes or is freed. A
 * config file holds the private key: never print it.
 */
const char *wgconf_text(const struct wgconf *c, size_t *len);
/*
 * The names names.c reads in the text (names_parse_config's map), read with the model and
 * freed with it: a sample of the same moment names its peers from it. Holds taken on its
 * names (names_apply) outlive the model.
 */
struct name_map *wgconf_names(const struct wgconf *c);

/* [Interface]. Pointers into c stay valid until the next edit or wgconf_free. */

/* Every Address entry of the [Interface] sections, in order; *out is malloc'd. 0 or -ENOMEM. */
int wgconf_interface_addresses(const struct wgconf *c, struct wg_allowedip **out, size_t *n);
/*
 * The first value of key (e.g. "ListenPort", "DNS", "SaveConfig") in the [Interface] sections,
 * or NULL. Never the PrivateKey: a private key is not shown unasked.
 */
const char *wgconf_interface_value(const struct wgconf *c, const char *key);
bool wgconf_has_private_key(const struct wgconf *c);

/* Peers, in file order; *out is malloc'd (wgconf_peers_free). 0 or -ENOMEM. */
int wgconf_peers(const struct wgconf *c, struct wgconf_peer_info **out, size_t *n);
void wgconf_peers_free(struct wgconf_peer_info *v, size_t n);
bool wgconf_has_peer(const struct wgconf *c, const uint8_t key[WG_KEY_LEN]);

/*
 * Edits; each changes only the lines it must. 0 or -errno: -ENOENT no such peer, -EEXIST the
 * peer is there already, -EINVAL bad arguments (a name must be 1..NAMES_MAX_LEN bytes of
 * printable UTF-8 without '#' nor a space at either end), -ENOTSUP when the file's layout would
 * not read back what was written (names.c would not see the name, say), -ENOMEM. On failure c
 * is unchanged.
 */
struct wgconf_new_peer {
	const uint8_t *public_key;		/* 32 bytes */
	const char *name;			/* NULL: none */
	const uint8_t *preshared_key;		/* 32 bytes or NULL */
	const struct wg_allowedip *allowedips;
	size_t n_allowedips;
	uint16_t persistent_keepalive;		/* 0: no line */
};

/*
 * Appends a [Peer] section: the text before stays byte for byte, and only what follows it is
 * new (a peer add writes the file's bytes as read before it adds). The file gets a line end
 * first if its last line has none (the file's own: CRLF in a CRLF file) and the new section
 * then ends without one, so the file keeps its style. A blank line separates it, except after
 * a PiVPN "### end" marker or a wireguard-manager "# NAME end", as those scripts append. Its
 * name goes the file's way (the convention most of its named peers use, names.h): PiVPN's,
 * Nyr's or wireguard-manager's markers around it, angristan's "### Client NAME" above, Algo's
 * bare first comment, the exporter's or WGDashboard's comment inside; otherwise, or when the
 * name cannot be written that way, "# Name = X" as the first line of the section.
 */
int wgconf_add_peer(struct wgconf *c, const struct wgconf_new_peer *p);
/* Removes the peer's lines (see above); removing what add_peer added gives the old bytes back. */
int wgconf_remove_peer(struct wgconf *c, const uint8_t key[WG_KEY_LEN]);
/*
 * Rewrites the value of the section's first AllowedIPs line in place (its indentation, the
 * key's spelling and a trailing comment stay) and deletes its other AllowedIPs lines; adds the
 * line after PublicKey when there is none. n == 0 deletes every AllowedIPs line.
 */
int wgconf_set_allowedips(struct wgconf *c, const uint8_t key[WG_KEY_LEN], const struct wg_allowedip *v,
			  size_t n);
/*
 * Rewrites the name where names.c reads it (the "# Name" comment, both PiVPN markers when
 * they enclose this peer alone, another tool's line with only the name's bytes changed, both
 * markers of a Nyr or wireguard-manager block), or inserts "# Name = X" after the [Peer]
 * header. name NULL removes wgstar's name comment or PiVPN's markers.
 */
int wgconf_set_name(struct wgconf *c, const uint8_t key[WG_KEY_LEN], const char *name);

/*
 * A copy of a config file's text for people to read: the value of every PrivateKey and
 * PresharedKey line (also one commented out, as PiVPN disables peers) replaced by "(hidden)",
 * as `wg show` does unless asked. malloc'd; NULL on ENOMEM.
 */
char *wgconf_hide_keys(const char *text, size_t len);

/* Wipes and frees text that held a private or preshared key (len bytes; strlen when SIZE_MAX). */
void wgconf_free_text(char *text, size_t len);

/*
 * For tests of the check every edit passes only: called with the edited text before it is read
 * again and held against what the edit meant (bytes may be changed in place, as a faulty edit
 * would change them; when an add wrote on past the model's own text, only the added ones). NULL
 * in the program.
 */
extern void (*wgconf_test_edit)(char *text, size_t len);
/*
 * For tests only. The model of text (len bytes), which is c's text and more, made as a peer add
 * makes it, without reading c's lines again: 0, 1 when it cannot be made that way (a whole
 * parse is then needed), or -errno; and in kept (if not NULL, on 0) what the check of a peer
 * add says of it, as wgconf_test_kept below. And whether two models are the same field for
 * field: NULL, or what differs first.
 */
int wgconf_test_continue(const struct wgconf *c, const char *text, size_t len, struct wgconf **out, int *kept);
const char *wgconf_test_differ(const struct wgconf *a, const struct wgconf *b);
/*
 * For tests only: whether now keeps every peer of was as a peer add must (0, or -ENOTSUP),
 * checked as a peer add checks it: without the sections a model from wgconf_test_continue
 * copied from was.
 */
int wgconf_test_kept(const struct wgconf *was, const struct wgconf *now);

#endif
