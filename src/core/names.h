/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer names: from the interface's config file (a "# Name = ..." comment inside or directly
 * above a [Peer] section, or PiVPN's "### begin NAME ###" markers) and from wgstar's own
 * name store, which survives "wg-quick save" dropping every comment.
 */
#ifndef WGSTAR_NAMES_H
#define WGSTAR_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "text.h"

#define NAMES_MAX_LEN TEXT_NAME_MAX
/* Fixed like /etc/wireguard: operators look for state in /var/lib whatever the prefix. */
#define NAMES_STORE_PATH "/var/lib/wgstar/names"

struct name_entry {
	uint8_t key[WG_KEY_LEN];
	char *name;
	size_t order;
};

struct name_map {
	struct name_entry *v;
	size_t n;
	size_t cap;
	bool sorted;
};

#define NAMES_NO_LINE ((size_t)-1)

/*
 * Where one [Peer] section's name sits. Line numbers count from 0, split at '\n' as the
 * config file model (wgconf.c) splits them, so that both agree on every line.
 */
struct names_site {
	size_t header;			/* its [Peer] header */
	bool has_key;
	uint8_t key[WG_KEY_LEN];
	size_t name_line;		/* a "# Name =" comment inside it, or NAMES_NO_LINE */
	size_t above_line;		/* one directly above the header */
	size_t pivpn_line;		/* the PiVPN "### begin" marker open at the header */
	const char *name, *name_end;	/* the name that counts (inside, above, PiVPN), or NULL */
};

/*
 * The one reading of where names sit in a wg-quick style config: cb sees every [Peer]
 * section in file order. It stops at the first negative return of cb, which it returns.
 */
int names_scan(const char *text, size_t len, int (*cb)(const struct names_site *s, void *ctx), void *ctx);
/* Parse a wg-quick style config; names found are added to map. 0 or -errno. */
int names_parse_config(struct name_map *map, const char *text, size_t len);
/* Parse the name store: "PUBLIC-KEY NAME" per line, '#' comments. 0 or -errno. */
int names_parse_store(struct name_map *map, const char *text, size_t len);
const char *names_lookup(struct name_map *map, const uint8_t key[WG_KEY_LEN]);
/* Names every peer of dev: the config file first, then the store. */
int names_apply(struct wg_device *dev, struct name_map *config, struct name_map *store);
void names_clear(struct name_map *map);

/*
 * The line recognisers, shared with the config file model (wgconf.c), which must find a name on
 * exactly the lines where these do, or an edit would write a name nobody reads.
 */
bool names_is_space(char c);
void names_trim(const char **s, const char **e);
/* If [s, e) is "# Name = value" (any case, any spacing), points v/ve at the value. */
bool names_name_comment(const char *s, const char *e, const char **v, const char **ve);
/* PiVPN's "### begin NAME ###" or "### end NAME ###" (word is "begin" or "end"). */
bool names_pivpn_marker(const char *s, const char *e, const char *word, const char **v, const char **ve);

#endif
