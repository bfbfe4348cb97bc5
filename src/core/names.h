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
