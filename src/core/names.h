/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer names: from the interface's config file, in wgstar's own way (a "# Name = ..." comment
 * inside or directly above a [Peer] section) or in the way of the tool that wrote the file
 * (PiVPN's "### begin NAME ###" markers, wg-easy's "# Client: NAME (ID)", ...: enum
 * names_convention), and from wgstar's own name store, which survives "wg-quick save"
 * dropping every comment.
 */
#ifndef WGSTAR_NAMES_H
#define WGSTAR_NAMES_H

#include <stddef.h>
#include <stdint.h>
#include "keyidx.h"
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
	size_t added;			/* names ever added: the next one's order */
	size_t n_sorted;		/* the first ones, sorted as map_sort sorts (names_copy_before) */
	bool sorted;
	struct keyidx index;		/* by key, once sorted: a lookup per peer and tick */
	/*
	 * Once names_apply gave peers its names: what owns them from then on (the map holds one
	 * reference, each device naming peers from it another). The map takes no names after.
	 */
	struct wg_strings *hold;
	/*
	 * The names of order below base_order, when set, are shared with the map they were copied
	 * from (names_copy_before), not this map's to free: base owns them, one reference held.
	 */
	struct wg_strings *base;
	size_t base_order;
};

#define NAMES_NO_LINE ((size_t)-1)

/*
 * Where a name sits, by the tool that puts it there. When several name one peer, the first in
 * this order wins: wgstar's own inside the section, then above it; another tool's inside, then
 * above; block markers around the section; a bare comment as its first line.
 */
enum names_convention {
	NAMES_NONE = 0,
	NAMES_NATIVE,			/* "# Name = NAME", inside or directly above (wgstar) */
	NAMES_FRIENDLY,			/* "# friendly_name = NAME" inside (wg-portal, prometheus_wireguard_exporter) */
	NAMES_WG_PORTAL,		/* "# -WGP- Display name: NAME" inside (wg-portal) */
	NAMES_WGDASHBOARD,		/* "#Name# = NAME" inside (WGDashboard) */
	NAMES_WG_EASY,			/* "# Client: NAME (ID)" above (wg-easy) */
	NAMES_WIREGUARD_UI,		/* "# Name:   NAME" in the block above (wireguard-ui) */
	NAMES_WG_GEN_WEB,		/* "# NAME / EMAIL / Updated: ... / Created: ..." above (wg-gen-web) */
	NAMES_ANGRISTAN,		/* "### Client NAME" above (angristan/wireguard-install) */
	NAMES_PIVPN,			/* "### begin NAME ###" ... "### end NAME ###" (PiVPN) */
	NAMES_NYR,			/* "# BEGIN_PEER NAME" ... "# END_PEER NAME" (Nyr, hwdsl2 wireguard-install) */
	NAMES_WG_MANAGER,		/* "# NAME start" ... "# NAME end" (wireguard-manager) */
	NAMES_FIRST_COMMENT,		/* "# NAME" as the section's first line (Algo, linuxserver) */
	N_NAMES_CONVENTIONS,
};

/* "wg-easy", "PiVPN", ...: the tool, for people. "" for NAMES_NONE. */
const char *names_convention_tool(enum names_convention c);

/*
 * Where one [Peer] section's name sits. Line numbers count from 0, split at '\n' as the
 * config file model (wgconf.c) splits them, so that both agree on every line.
 */
struct names_site {
	size_t header;			/* its [Peer] header */
	bool has_key;			/* key read: only for a named or disabled peer */
	uint8_t key[WG_KEY_LEN];
	size_t name_line;		/* a "# Name =" comment inside it, or NAMES_NO_LINE */
	size_t above_line;		/* one directly above the header */
	size_t pivpn_line;		/* the PiVPN "### begin" marker open at the header */
	const char *name, *name_end;	/* the name that counts, or NULL */
	enum names_convention convention;	/* whose way the name that counts is written */
	size_t tool_line;		/* where another tool's name sits, when that one counts */
	bool disabled;			/* PiVPN's "#[disabled]" peer: its lines are comments */
};

/*
 * The one reading of where names sit in a wg-quick style config: cb sees every [Peer]
 * section in file order. It stops at the first negative return of cb, which it returns.
 */
int names_scan(const char *text, size_t len, int (*cb)(const struct names_site *s, void *ctx), void *ctx);

/* A name comment, marker or tool's name names_scan holds for a section still to come. */
struct names_held {
	bool set;
	size_t v, ve;			/* the name's bytes, as offsets into the text */
	size_t line;
	enum names_convention conv;
};

/*
 * Where names_scan stood at the start of the last section header it read, in offsets: enough
 * to read on from there over a text that begins with the same bytes, as the file a peer add
 * writes does. Everything reported before a header is final; the section it opens and what
 * follows may still change with what is added below.
 */
struct names_mark {
	bool set;			/* false: no header read, so a reading starts over */
	size_t off, line;		/* the header line's first byte and its number */
	size_t block_peers;
	struct names_held pending, pivpn, up, block;
};

/*
 * names_scan, from a mark that an earlier scan of the text's first bytes left (NULL: from the
 * start). mark, if not NULL, is set to this scan's last mark, and at_mark(ctx) is called
 * each time one is taken, after every section before that header was reported. -EINVAL when
 * from lies beyond the text.
 */
int names_scan_from(const char *text, size_t len, const struct names_mark *from, struct names_mark *mark,
		    int (*cb)(const struct names_site *s, void *ctx), void (*at_mark)(void *ctx), void *ctx);
/*
 * What a config file says of itself beside its names, read in the same scan: what
 * names_managed_by (names_facts_managed_by), names_save_config and names_disabled each read
 * in a pass of their own.
 */
struct names_facts {
	const char *header_tool;	/* the tool whose header the file has first, or NULL */
	size_t wg_gen_web;		/* names written wg-gen-web's way */
	bool save_config;
	uint8_t (*disabled)[WG_KEY_LEN];	/* PiVPN's disabled peers, in file order */
	size_t n_disabled, cap_disabled;
};

/*
 * names_scan_from from the start, with the facts (cleared first; freed on failure, else with
 * names_facts_clear).
 */
int names_scan_facts(const char *text, size_t len, struct names_mark *mark,
		     int (*cb)(const struct names_site *s, void *ctx), void (*at_mark)(void *ctx), void *ctx,
		     struct names_facts *facts);
const char *names_facts_managed_by(const struct names_facts *f);
void names_facts_clear(struct names_facts *f);

/*
 * Parse a wg-quick style config; names found are added to map. 0 or -errno. A map whose names
 * peers already point at (names_apply shares them) takes no more, here or from
 * names_parse_store: -EBUSY; names_clear it first.
 */
int names_parse_config(struct name_map *map, const char *text, size_t len);
/* The name of one site names_scan saw, added to map as names_parse_config adds it. 0 or -errno. */
int names_site_add(struct name_map *map, const struct names_site *s);
/*
 * Into an empty dst, copies of the names src was given before its order'th (as names.added
 * counted), as if dst had been given those alone: a text read on from a mark keeps the names
 * from before it. 0 or -ENOMEM (dst then empty).
 */
int names_copy_before(struct name_map *dst, const struct name_map *src, size_t order);
/* Parse the name store: "PUBLIC-KEY NAME" per line, '#' comments. 0 or -errno. */
int names_parse_store(struct name_map *map, const char *text, size_t len);
const char *names_lookup(struct name_map *map, const uint8_t key[WG_KEY_LEN]);
/* Sorts map by key, as a lookup does first, keeping the first name given for each key. */
void names_sort(struct name_map *map);
/*
 * The tool that regenerates this file from a database of its own (wg-easy, wireguard-ui,
 * wg-portal, wg-gen-web), by its header or its comments: a change made to the file is lost at
 * its next save. NULL when none does.
 */
const char *names_managed_by(const char *text, size_t len);
/*
 * The keys of the peers the file holds disabled (PiVPN's "#[disabled] " before each line of a
 * peer's block), into a malloc'd *keys (NULL when none). 0 or -ENOMEM.
 */
int names_disabled(const char *text, size_t len, uint8_t (**keys)[WG_KEY_LEN], size_t *n);
/*
 * Whether the [Interface] says SaveConfig = true, as wg-quick reads it (comments cut, the last
 * one counts): `wg-quick down` then rewrites the file without comments.
 */
bool names_save_config(const char *text, size_t len);
/* The convention most of the file's named peers use; NAMES_NONE when none is named. */
enum names_convention names_file_convention(const char *text, size_t len);
/*
 * The same choice from counts[c], how many names each convention c gives (as a scan's sites
 * say): for a caller that has scanned the text already.
 */
enum names_convention names_convention_of(const size_t counts[N_NAMES_CONVENTIONS]);

/*
 * Names every peer of dev: the config file first, then the store. The peers point at the maps'
 * names (wg_peer.name_shared), which stay as long as dev does, whatever becomes of the maps.
 */
int names_apply(struct wg_device *dev, struct name_map *config, struct name_map *store);

/*
 * What names_apply found for one interface's peers, in the order of that read. The daemon lists
 * its peers in nearly the same order every time, so the next read finds each peer here by
 * reading on (keyidx_find_near), where the maps' index costs a probe and a cache miss a peer.
 * It holds for the maps it was made with (their holds' serials), and is made again when a
 * peer is not in it or the maps changed.
 */
struct names_memo {
	struct names_memo_entry {
		uint8_t key[WG_KEY_LEN];
		const char *name;	/* a hold's string, or NULL */
		int which;		/* 0 the config file's map, 1 the store's */
	} *v;
	uint32_t n;
	struct keyidx index;
	uint64_t serial[2];	/* of the maps' holds it was made with */
	int8_t *which;		/* the last read's, peer by peer: what a new memo is made from */
	uint32_t cap_which;
};

/* names_apply through a memo kept from one read of the interface to the next. */
int names_apply_memo(struct wg_device *dev, struct name_map *config, struct name_map *store, struct names_memo *memo);
void names_memo_clear(struct names_memo *memo);
void names_clear(struct name_map *map);

/*
 * The line recognisers, shared with the config file model (wgconf.c), which must find a name on
 * exactly the lines where these do, or an edit would write a name nobody reads.
 */
static inline bool names_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Inline: a read of a 65,536-peer file trims 1.5 million times. */
static inline void names_trim(const char **s, const char **e)
{
	while (*s < *e && names_is_space(**s))
		++*s;
	while (*e > *s && names_is_space((*e)[-1]))
		--*e;
}
/* If [s, e) is "# Name = value" (any case, any spacing), points v/ve at the value. */
bool names_name_comment(const char *s, const char *e, const char **v, const char **ve);
/*
 * Nyr's "# BEGIN_PEER NAME" / "# END_PEER NAME" or wireguard-manager's "# NAME start" /
 * "# NAME end" (a trimmed line): the convention, whether it opens, and the name; else NONE.
 */
enum names_convention names_block_marker(const char *s, const char *e, bool *open, const char **v, const char **ve);
/* PiVPN's "### begin NAME ###" or "### end NAME ###" (word is "begin" or "end"). */
bool names_pivpn_marker(const char *s, const char *e, const char *word, const char **v, const char **ve);

#endif
