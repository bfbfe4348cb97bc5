// SPDX-License-Identifier: GPL-2.0-or-later
/* Peer names from the config file's comments and from wgstar's own name store. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "key.h"
#include "names.h"
#include "text.h"

/*
 * Length in bytes of the UTF-8 sequence at s: positive when printable, negative for a
 * control character (which would reach the terminal as part of an escape sequence), 0
 * when the byte starts no valid sequence.
 */
/*
 * Names come from files anyone with write access to /etc/wireguard may edit and end up on
 * an operator's terminal: keep printable UTF-8 only (anything else becomes '?'), at most
 * NAMES_MAX_LEN bytes. Output escapes them again (text.h); this keeps the model clean too.
 */
static char *name_copy(const char *s, const char *e)
{
	char buf[NAMES_MAX_LEN + 1], *out;
	size_t o = 0;

	while (s < e) {
		uint32_t cp;
		size_t n;
		bool ok;

		/* Printable ASCII, most names whole, without the lookups below. */
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f) {
			if (o + 1 > NAMES_MAX_LEN)
				break;
			buf[o++] = *s++;
			continue;
		}
		n = text_utf8_next(s, (size_t)(e - s), &cp);
		ok = n && text_printable(cp);
		if (o + (ok ? n : 1) > NAMES_MAX_LEN)
			break;
		if (ok)
			memcpy(buf + o, s, n);
		else
			buf[o] = '?';
		o += ok ? n : 1;
		s += n ? n : 1;
	}
	while (o && buf[o - 1] == ' ')
		--o;
	/* Its own size: a map of 100,000 names held 65 bytes for each. */
	if (!o || !(out = malloc(o + 1)))
		return NULL;
	memcpy(out, buf, o);
	out[o] = '\0';
	return out;
}

/* Whether e's name is the map's base's, shared, not the map's own. */
static bool borrowed(const struct name_map *map, const struct name_entry *e)
{
	return map->base && e->order < map->base_order;
}

static int map_add(struct name_map *map, const uint8_t key[WG_KEY_LEN], const char *s, const char *e)
{
	char *name;

	/* Its names are shared: a name more would be the map's alone, and sorting could free one. */
	if (map->hold)
		return -EBUSY;
	if (!(name = name_copy(s, e)))
		return 0;
	if (map->n == map->cap) {
		size_t cap = map->cap ? map->cap * 2 : 16;
		struct name_entry *v = realloc(map->v, cap * sizeof(*v));

		if (!v) {
			free(name);
			return -ENOMEM;
		}
		map->v = v;
		map->cap = cap;
	}
	memcpy(map->v[map->n].key, key, WG_KEY_LEN);
	map->v[map->n].name = name;
	map->v[map->n].order = map->added++;
	map->n++;
	map->sorted = false;
	return 0;
}

/* If [s, e) is "# Name = value" (any case, any spacing), points v/ve at the value. */
bool names_name_comment(const char *s, const char *e, const char **v, const char **ve)
{
	if (s == e || *s != '#')
		return false;
	++s;
	names_trim(&s, &e);
	if (e - s < 4 || strncasecmp(s, "name", 4))
		return false;
	s += 4;
	names_trim(&s, &e);
	if (s == e || *s != '=')
		return false;
	++s;
	names_trim(&s, &e);
	*v = s;
	*ve = e;
	return true;
}

/* PiVPN: "### begin NAME ###" and "### end NAME ###". */
bool names_pivpn_marker(const char *s, const char *e, const char *word, const char **v, const char **ve)
{
	size_t wl = strlen(word);

	if (e - s < 3 || strncmp(s, "###", 3))
		return false;
	s += 3;
	names_trim(&s, &e);
	if ((size_t)(e - s) < wl || strncasecmp(s, word, wl) || (e - s > (ptrdiff_t)wl && !names_is_space(s[wl])))
		return false;
	s += wl;
	while (e - s >= 1 && e[-1] == '#')
		--e;
	names_trim(&s, &e);
	*v = s;
	*ve = e;
	return true;
}

const char *names_convention_tool(enum names_convention c)
{
	static const char *const tools[N_NAMES_CONVENTIONS] = {
		[NAMES_NONE] = "",
		[NAMES_NATIVE] = "wgstar",
		[NAMES_FRIENDLY] = "wg-portal or prometheus_wireguard_exporter",
		[NAMES_WG_PORTAL] = "wg-portal",
		[NAMES_WGDASHBOARD] = "WGDashboard",
		[NAMES_WG_EASY] = "wg-easy",
		[NAMES_WIREGUARD_UI] = "wireguard-ui",
		[NAMES_WG_GEN_WEB] = "wg-gen-web",
		[NAMES_ANGRISTAN] = "angristan/wireguard-install",
		[NAMES_PIVPN] = "PiVPN",
		[NAMES_NYR] = "Nyr/hwdsl2 wireguard-install",
		[NAMES_WG_MANAGER] = "wireguard-manager",
		[NAMES_FIRST_COMMENT] = "Algo or linuxserver",
	};

	return (unsigned int)c < N_NAMES_CONVENTIONS ? tools[c] : "";
}

/* The first n bytes of needle in [s, e), or NULL. */
static const char *strstr_bounded(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);

	for (; (size_t)(e - s) >= n; ++s)
		if (!memcmp(s, needle, n))
			return s;
	return NULL;
}

/* [s, e) starts with word (any case) and then a space or its end: true, with *s past it. */
static bool word_at(const char **s, const char *e, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(e - *s) < n || strncasecmp(*s, word, n) || (e - *s > (ptrdiff_t)n && !names_is_space((*s)[n])))
		return false;
	*s += n;
	names_trim(s, &e);
	return true;
}

/* The text of a comment with one '#' (and not "##"): [b, be), trimmed. */
static bool plain_comment(const char *s, const char *e, const char **b, const char **be)
{
	if (e - s < 2 || s[0] != '#' || s[1] == '#')
		return false;
	*b = s + 1;
	*be = e;
	names_trim(b, be);
	return *b < *be;
}

/* "label" then sep, any spacing: the value after it, trimmed and not empty. */
static bool labelled(const char *s, const char *e, const char *label, char sep, const char **v, const char **ve)
{
	size_t n = strlen(label);

	if ((size_t)(e - s) < n || strncasecmp(s, label, n))
		return false;
	s += n;
	names_trim(&s, &e);
	if (s == e || *s != sep)
		return false;
	++s;
	names_trim(&s, &e);
	*v = s;
	*ve = e;
	return s < e;
}

/* A trimmed line as wg-quick reads it: from a '#' on, nothing; then trimmed again. */
static void cut_comment(const char **s, const char **e)
{
	const char *hash = memchr(*s, '#', (size_t)(*e - *s));

	if (hash) {
		*e = hash;
		names_trim(s, e);
	}
}

/* Another tool's name comment that names the section it is in. */
static enum names_convention tool_inside(const char *s, const char *e, const char **v, const char **ve)
{
	const char *b, *be;

	/* WGDashboard: "#Name# = NAME" */
	if (e - s > 6 && !strncasecmp(s, "#Name#", 6) && labelled(s + 6, e, "", '=', v, ve))
		return NAMES_WGDASHBOARD;
	if (!plain_comment(s, e, &b, &be))
		return NAMES_NONE;
	if (labelled(b, be, "friendly_name", '=', v, ve))
		return NAMES_FRIENDLY;
	if (labelled(b, be, "-WGP- Display name", ':', v, ve))
		return NAMES_WG_PORTAL;
	return NAMES_NONE;
}

/* Another tool's name comment that names the [Peer] below it. */
static enum names_convention tool_above(const char *s, const char *e, const char **v, const char **ve)
{
	const char *b, *be, *slash;

	/* angristan: "### Client NAME" */
	if (e - s > 3 && !strncmp(s, "###", 3) && s[3] != '#') {
		b = s + 3;
		names_trim(&b, &e);
		if (word_at(&b, e, "Client") && b < e) {
			*v = b;
			*ve = e;
			return NAMES_ANGRISTAN;
		}
		return NAMES_NONE;
	}
	if (!plain_comment(s, e, &b, &be))
		return NAMES_NONE;
	/* wg-easy: "# Client: NAME (ID)", the ID in parentheses at the end */
	if (labelled(b, be, "Client", ':', v, ve)) {
		if (*ve > *v && (*ve)[-1] == ')') {
			const char *open = *ve - 1;

			while (open > *v && *open != '(')
				--open;
			if (*open == '(' && open > *v) {
				*ve = open;
				names_trim(v, ve);
			}
		}
		return *v < *ve ? NAMES_WG_EASY : NAMES_NONE;
	}
	/* wireguard-ui: "# Name:         NAME" (a colon: wgstar's own has '=') */
	if (labelled(b, be, "Name", ':', v, ve))
		return NAMES_WIREGUARD_UI;
	/* wg-gen-web: "# NAME / EMAIL / Updated: ... / Created: ..." */
	if ((slash = strstr_bounded(b, be, " / ")) && strstr_bounded(b, be, " / Updated: ") &&
	    strstr_bounded(b, be, " / Created: ")) {
		*v = b;
		*ve = slash;
		names_trim(v, ve);
		return *v < *ve ? NAMES_WG_GEN_WEB : NAMES_NONE;
	}
	return NAMES_NONE;
}

/*
 * Block markers around a section other than PiVPN's: Nyr's "# BEGIN_PEER NAME" and
 * "# END_PEER NAME", wireguard-manager's "# NAME start" and "# NAME end". open tells which.
 */
enum names_convention names_block_marker(const char *s, const char *e, bool *open, const char **v, const char **ve)
{
	const char *b, *be, *last;

	if (!plain_comment(s, e, &b, &be))
		return NAMES_NONE;
	if ((*open = word_at(&b, be, "BEGIN_PEER")) || word_at(&b, be, "END_PEER")) {
		*v = b;
		*ve = be;
		return b < be ? NAMES_NYR : NAMES_NONE;
	}
	/* One word, then "start" or "end": a name of the script's own alphabet, no spaces. */
	last = be;
	while (last > b && !names_is_space(last[-1]))
		--last;
	if (last == b)
		return NAMES_NONE;
	*v = b;
	*ve = last;
	names_trim(v, ve);
	for (const char *c = *v; c < *ve; ++c)
		if (names_is_space(*c))
			return NAMES_NONE;
	if ((size_t)(be - last) == 5 && !strncmp(last, "start", 5))
		*open = true;
	else if ((size_t)(be - last) == 3 && !strncmp(last, "end", 3))
		*open = false;
	else
		return NAMES_NONE;
	return NAMES_WG_MANAGER;
}

/*
 * Algo's "# NAME", linuxserver's "# peer_NAME": a bare comment of one word as the section's
 * first line ("# TODO rotate key" is a note, not a name).
 */
static bool first_comment(const char *s, const char *e, const char **v, const char **ve)
{
	if (!plain_comment(s, e, v, ve) || !strncmp(s, "#[", 2))
		return false;
	for (const char *c = *v; c < *ve; ++c)
		if (*c == '=' || *c == ':' || names_is_space(*c))
			return false;
	return true;
}

struct pending {
	const char *v, *ve;
	size_t line;
	enum names_convention conv;
};

/* The headers of files a tool writes anew from its own database, and the tool. */
static const struct {
	const char *line;
	const char *tool;
} managed_headers[] = {
	{ "# Note: Do not edit this file directly.", "wg-easy" },
	{ "# This file was generated using wireguard-ui", "wireguard-ui" },
	{ "# AUTOGENERATED FILE - DO NOT EDIT", "wg-portal" },
};

/* The tool whose header [s, end) starts with, or NULL. */
static const char *managed_header(const char *s, const char *end)
{
	for (size_t i = 0; i < sizeof(managed_headers) / sizeof(managed_headers[0]); ++i) {
		const char *h = managed_headers[i].line;
		size_t hl = strlen(h);

		if ((size_t)(end - s) >= hl && !memcmp(s, h, hl))
			return managed_headers[i].tool;
	}
	return NULL;
}

/* A SaveConfig line of an [Interface], as wg-quick reads it: the last one counts. */
static void note_save_config(struct names_facts *f, const char *s, const char *e)
{
	const char *v, *ve;

	cut_comment(&s, &e);
	if (!labelled(s, e, "SaveConfig", '=', &v, &ve))
		return;
	/* wg-quick takes nothing else; it would refuse to start, and this keeps what was. */
	if (ve - v == 4 && !strncasecmp(v, "true", 4))
		f->save_config = true;
	else if (ve - v == 5 && !strncasecmp(v, "false", 5))
		f->save_config = false;
}

/* What a closed [Peer] adds to the facts: its key when disabled, its name's convention. */
static int note_site_facts(struct names_facts *f, const struct names_site *st)
{
	if (st->name && st->convention == NAMES_WG_GEN_WEB)
		f->wg_gen_web++;
	if (!st->disabled || !st->has_key)
		return 0;
	if (f->n_disabled == f->cap_disabled) {
		size_t cap = f->cap_disabled ? 2 * f->cap_disabled : 8;
		uint8_t (*keys)[WG_KEY_LEN] = realloc(f->disabled, cap * sizeof(*keys));

		if (!keys)
			return -ENOMEM;
		f->disabled = keys;
		f->cap_disabled = cap;
	}
	memcpy(f->disabled[f->n_disabled++], st->key, WG_KEY_LEN);
	return 0;
}

/* The section being read: a [Peer] collects what the scan reports of it. */
struct section {
	bool is_peer;
	size_t lines;			/* non-blank lines after its header */
	struct names_site site;
	const char *key_text;		/* its PublicKey's 43 characters and '=', not decoded yet */
	struct pending inside, above, pivpn, tool_in, tool_up, block, first;
};

static const struct pending none_pending = { .line = NAMES_NO_LINE };

static void section_start(struct section *sec, bool peer, size_t header, const struct pending *above,
			  const struct pending *pivpn, const struct pending *tool_up)
{
	memset(sec, 0, sizeof(*sec));
	sec->is_peer = peer;
	sec->site.header = header;
	sec->inside = sec->above = sec->pivpn = sec->tool_in = sec->tool_up = sec->block = sec->first = none_pending;
	if (peer) {
		sec->above = *above;
		sec->pivpn = *pivpn;
		sec->tool_up = *tool_up;
	}
}

/* A name comment waiting at the end of a section's stretch: it is the section's own. */
static void take_inside(struct section *sec, struct pending *pending)
{
	if (pending->v && sec->is_peer && !sec->inside.v)
		sec->inside = *pending;
	*pending = (struct pending){ .line = NAMES_NO_LINE };
}

static int section_close(struct section *sec, int (*cb)(const struct names_site *s, void *ctx), void *ctx,
			 struct names_facts *facts)
{
	struct names_site *st = &sec->site;
	const struct pending *order[] = { &sec->inside, &sec->above, &sec->tool_in, &sec->tool_up,
					  &sec->pivpn, &sec->block, &sec->first };
	const struct pending *chosen = NULL;
	int ret = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]) && !chosen; ++i)
		if (order[i]->v)
			chosen = order[i];
	/*
	 * Only a named or disabled peer's key is read: no reader of a site uses another's, and a
	 * big hub's unnamed peers are most of its file.
	 */
	if (sec->is_peer && sec->key_text && (chosen || st->disabled)) {
		char b64[WG_KEY_B64_LEN];

		memcpy(b64, sec->key_text, WG_KEY_B64_LEN - 1);
		b64[WG_KEY_B64_LEN - 1] = '\0';
		st->has_key = key_from_base64(st->key, b64);
	}
	if (sec->is_peer) {
		st->name_line = sec->inside.line;
		st->above_line = sec->above.line;
		st->pivpn_line = sec->pivpn.line;
		st->name = chosen ? chosen->v : NULL;
		st->name_end = chosen ? chosen->ve : NULL;
		st->convention = chosen ? chosen->conv : NAMES_NONE;
		st->tool_line = chosen && chosen->conv != NAMES_NATIVE && chosen->conv != NAMES_PIVPN ? chosen->line :
			NAMES_NO_LINE;
		ret = cb(st, ctx);
		if (ret >= 0 && facts) {
			int r = note_site_facts(facts, st);

			ret = r < 0 ? r : ret;
		}
	}
	section_start(sec, false, NAMES_NO_LINE, NULL, NULL, NULL);
	return ret;
}

static struct names_held held(const struct pending *p, const char *text)
{
	if (!p->v)
		return (struct names_held){ .line = NAMES_NO_LINE };
	return (struct names_held){ true, (size_t)(p->v - text), (size_t)(p->ve - text), p->line, p->conv };
}

static struct pending unheld(const struct names_held *h, const char *text)
{
	if (!h->set)
		return none_pending;
	return (struct pending){ text + h->v, text + h->ve, h->line, h->conv };
}

int names_scan(const char *text, size_t len, int (*cb)(const struct names_site *s, void *ctx), void *ctx)
{
	return names_scan_from(text, len, NULL, NULL, cb, NULL, ctx);
}

static int scan(const char *text, size_t len, const struct names_mark *from, struct names_mark *mark,
		int (*cb)(const struct names_site *s, void *ctx), void (*at_mark)(void *ctx), void *ctx,
		struct names_facts *facts)
{
	const struct pending none = none_pending;
	struct pending pending = none;		/* a Name comment not yet placed */
	struct pending pivpn = none;		/* the open PiVPN block */
	struct pending up = none;		/* another tool's name for the [Peer] below */
	struct pending block = none;		/* an open Nyr or wireguard-manager block */
	size_t block_peers = 0;			/* [Peer] sections since it opened */
	const char *p = text, *end = text + len;
	struct section sec;
	size_t line = 0;
	bool interface = false;			/* in an [Interface], for facts */
	int ret = 0;

	if (mark)
		*mark = (struct names_mark){ .set = false };
	if (from && from->set) {
		const struct names_held *h[] = { &from->pending, &from->pivpn, &from->up, &from->block };

		if (from->off > len)
			return -EINVAL;
		for (size_t i = 0; i < sizeof(h) / sizeof(h[0]); ++i)
			if (h[i]->set && (h[i]->v > h[i]->ve || h[i]->ve > len))
				return -EINVAL;
		p = text + from->off;
		line = from->line;
		block_peers = from->block_peers;
		pending = unheld(&from->pending, text);
		pivpn = unheld(&from->pivpn, text);
		up = unheld(&from->up, text);
		block = unheld(&from->block, text);
	}
	section_start(&sec, false, NAMES_NO_LINE, NULL, NULL, NULL);
	for (; p < end; ++line) {
		const char *nl = text_find_nl(p, end);
		const char *s = p, *e = nl ? nl : end, *v, *ve, *start = p;
		enum names_convention conv;
		bool open, disabled = false;

		p = nl ? nl + 1 : end;
		names_trim(&s, &e);
		/* A header of a tool's: first in the file counts, on a line of its own, spaces aside. */
		if (facts && !facts->header_tool && s < e && *s == '#')
			facts->header_tool = managed_header(s, e);
		/* PiVPN disables a peer by putting "#[disabled] " before every line of its block. */
		if (e - s >= 11 && !strncmp(s, "#[disabled]", 11)) {
			s += 11;
			names_trim(&s, &e);
			disabled = true;
		}
		if (s == e) {
			/* A blank line separates a comment from the header below it. */
			take_inside(&sec, &pending);
			up = none;
			continue;
		}
		/*
		 * Every marker and name comment below starts with '#': a setting or a header (all
		 * but a few lines of a big hub's file) skips them.
		 */
		if (*s != '#') {
			if (sec.is_peer)
				sec.lines++;
			goto setting;
		}
		/* The section's first line: Algo's and linuxserver's name, if nothing else names it. */
		if (sec.is_peer && !sec.lines++ && first_comment(s, e, &v, &ve))
			sec.first = (struct pending){ v, ve, line, NAMES_FIRST_COMMENT };
		if (names_pivpn_marker(s, e, "begin", &v, &ve)) {
			pivpn = (struct pending){ v, ve, line, NAMES_PIVPN };
			continue;
		}
		if (names_pivpn_marker(s, e, "end", &v, &ve)) {
			if ((ret = section_close(&sec, cb, ctx, facts)) < 0)
				goto out;
			pivpn = none;
			continue;
		}
		if (names_name_comment(s, e, &v, &ve)) {
			/* Belongs to the section it is in, unless a [Peer] header follows directly. */
			take_inside(&sec, &pending);
			pending = (struct pending){ v, ve, line, NAMES_NATIVE };
			continue;
		}
		if ((conv = names_block_marker(s, e, &open, &v, &ve))) {
			if (open) {
				block = (struct pending){ v, ve, line, conv };
				block_peers = 0;
				continue;
			}
			/*
			 * A block's name counts once its end marker, with the same name, closes it
			 * around one peer alone ("# laptops start" ... "# laptops end" around three
			 * names none of them).
			 */
			if (block.v && block.conv == conv && ve - v == block.ve - block.v &&
			    !memcmp(v, block.v, (size_t)(ve - v))) {
				if (sec.is_peer && sec.site.header > block.line && block_peers == 1)
					sec.block = block;
				take_inside(&sec, &pending);
				if ((ret = section_close(&sec, cb, ctx, facts)) < 0)
					goto out;
				block = none;
			}
			continue;
		}
		if ((conv = tool_inside(s, e, &v, &ve))) {
			if (sec.is_peer && !sec.tool_in.v)
				sec.tool_in = (struct pending){ v, ve, line, conv };
			continue;
		}
		if ((conv = tool_above(s, e, &v, &ve))) {
			up = (struct pending){ v, ve, line, conv };
			continue;
		}
		if (*s == '#')
			continue;
setting:
		if (*s == ';')
			continue;
		/*
		 * wg-quick drops everything after '#': "PublicKey = K # laptop" is the key K. Only
		 * a header and a PublicKey are read further, and only those are cut there: an
		 * emulated CPU spent more on looking for '#' in every other line than on the rest.
		 */
		if (*s == '[' || ((*s | 0x20) == 'p' && e - s > 9 && (s[1] | 0x20) == 'u'))
			cut_comment(&s, &e);
		if (*s == '[') {
			if ((ret = section_close(&sec, cb, ctx, facts)) < 0)
				goto out;
			/*
			 * A scan from here reads this line again from its start: nothing in it before
			 * this point changed what is held, and the section it closed is reported.
			 */
			if (mark) {
				*mark = (struct names_mark){ true, (size_t)(start - text), line, block_peers,
							     held(&pending, text), held(&pivpn, text), held(&up, text),
							     held(&block, text) };
				if (at_mark)
					at_mark(ctx);
			}
			/* wg-quick reads no disabled line: to it, the section above goes on. */
			if (!disabled)
				interface = e - s == 11 && !strncasecmp(s, "[Interface]", 11);
			section_start(&sec, e - s == 6 && !strncasecmp(s, "[Peer]", 6), line, &pending, &pivpn, &up);
			sec.site.disabled = disabled && sec.is_peer;
			block_peers += sec.is_peer;
			pending = none;
			up = none;
			continue;
		}
		take_inside(&sec, &pending);
		up = none;
		if (facts && interface && !disabled)
			note_save_config(facts, s, e);
		/* A disabled section's key is its own only on its disabled lines, and the other way round. */
		if (sec.is_peer && disabled == sec.site.disabled && e - s > 9 && (s[1] | 0x20) == 'u' &&
		    !strncasecmp(s, "PublicKey", 9)) {
			const char *k = s + 9, *ke = e;

			names_trim(&k, &ke);
			if (k == ke || *k != '=')
				continue;
			++k;
			names_trim(&k, &ke);
			if (ke - k != WG_KEY_B64_LEN - 1)
				continue;
			/* Decoded when the section closes, if a name or PiVPN's marker needs it. */
			sec.key_text = k;
		}
	}
	take_inside(&sec, &pending);
	ret = section_close(&sec, cb, ctx, facts);
out:
	return ret;
}

int names_scan_from(const char *text, size_t len, const struct names_mark *from, struct names_mark *mark,
		    int (*cb)(const struct names_site *s, void *ctx), void (*at_mark)(void *ctx), void *ctx)
{
	return scan(text, len, from, mark, cb, at_mark, ctx, NULL);
}

int names_scan_facts(const char *text, size_t len, struct names_mark *mark,
		     int (*cb)(const struct names_site *s, void *ctx), void (*at_mark)(void *ctx), void *ctx,
		     struct names_facts *facts)
{
	int ret;

	memset(facts, 0, sizeof(*facts));
	if ((ret = scan(text, len, NULL, mark, cb, at_mark, ctx, facts)) < 0)
		names_facts_clear(facts);
	return ret;
}

const char *names_facts_managed_by(const struct names_facts *f)
{
	return f->header_tool ? f->header_tool : f->wg_gen_web ? "wg-gen-web" : NULL;
}

void names_facts_clear(struct names_facts *f)
{
	free(f->disabled);
	memset(f, 0, sizeof(*f));
}

int names_site_add(struct name_map *map, const struct names_site *s)
{
	return s->has_key && s->name ? map_add(map, s->key, s->name, s->name_end) : 0;
}

int names_copy_before(struct name_map *dst, const struct name_map *src, size_t order)
{
	size_t n = 0;

	memset(dst, 0, sizeof(*dst));
	if (src->n && !(dst->v = malloc(src->n * sizeof(*dst->v))))
		return -ENOMEM;
	dst->cap = src->n;
	/*
	 * Names that already have a hold are shared, not copied: a peer add beside 100,000 peers
	 * copied 50,000 names and freed the old ones, most of the model's add.
	 */
	if (src->hold) {
		dst->base = wg_strings_ref(src->hold);
		dst->base_order = order;
	} else if (src->base) {
		dst->base = wg_strings_ref(src->base);
		/* Those src lent from its own base stay lent; a name it owned is copied. */
		dst->base_order = src->base_order < order ? src->base_order : order;
	}
	for (size_t i = 0; i < src->n; ++i) {
		const struct name_entry *x = &src->v[i];

		if (x->order >= order)
			continue;
		dst->v[n] = *x;
		if (!borrowed(dst, x) && !(dst->v[n].name = strdup(x->name))) {
			dst->n = n;
			names_clear(dst);
			return -ENOMEM;
		}
		++n;
	}
	dst->n = n;
	dst->added = order;
	/* What was sorted stays sorted, without the names it leaves out. */
	dst->n_sorted = src->sorted ? n : 0;
	return 0;
}

static int add_site(const struct names_site *s, void *ctx)
{
	return names_site_add(ctx, s);
}

int names_parse_config(struct name_map *map, const char *text, size_t len)
{
	return names_scan(text, len, add_site, map);
}

int names_parse_store(struct name_map *map, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int ret = 0;

	while (p < end) {
		const char *nl = text_find_nl(p, end);
		const char *s = p, *e = nl ? nl : end, *k;
		char b64[WG_KEY_B64_LEN];
		uint8_t key[WG_KEY_LEN];

		p = nl ? nl + 1 : end;
		names_trim(&s, &e);
		if (s == e || *s == '#')
			continue;
		k = s;
		while (s < e && !names_is_space(*s))
			++s;
		if (s - k != WG_KEY_B64_LEN - 1)
			continue;
		memcpy(b64, k, WG_KEY_B64_LEN - 1);
		b64[WG_KEY_B64_LEN - 1] = '\0';
		if (!key_from_base64(key, b64))
			continue;
		names_trim(&s, &e);
		if ((ret = map_add(map, key, s, e)) < 0)
			break;
	}
	return ret;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct name_entry *x = a, *y = b;
	int r = memcmp(x->key, y->key, WG_KEY_LEN);

	if (r)
		return r;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * v sorted as cmp_entry sorts, in place. A big map by its keys' first 16 bits first, with a
 * counting sort that keeps equal ones in order, then each bucket on its own: keys are
 * uniformly random, so a bucket holds one or two. 50,000 names took qsort 40 million
 * instructions, this 8. A bucket that is not small (a file written to make it so) gets qsort.
 */
static void sort_entries(struct name_entry *v, size_t n)
{
	enum { BUCKETS = 1 << 16, SMALL = 16 };
	struct name_entry *tmp;
	uint32_t *at;

	if (n < 4096 || n > UINT32_MAX || !(tmp = malloc(n * sizeof(*tmp)))) {
		qsort(v, n, sizeof(*v), cmp_entry);
		return;
	}
	if (!(at = calloc(BUCKETS + 1, sizeof(*at)))) {
		free(tmp);
		qsort(v, n, sizeof(*v), cmp_entry);
		return;
	}
	for (size_t i = 0; i < n; ++i)
		++at[(v[i].key[0] << 8 | v[i].key[1]) + 1];
	for (size_t b = 1; b <= BUCKETS; ++b)
		at[b] += at[b - 1];
	for (size_t i = 0; i < n; ++i)
		tmp[at[v[i].key[0] << 8 | v[i].key[1]]++] = v[i];
	/* at[b] is now where bucket b ends; bucket 0 starts at 0. */
	for (size_t b = 0, start = 0; b < BUCKETS; start = at[b++]) {
		size_t len = at[b] - start;
		struct name_entry *w = tmp + start;

		if (len > SMALL) {
			qsort(w, len, sizeof(*w), cmp_entry);
			continue;
		}
		for (size_t i = 1; i < len; ++i) {
			struct name_entry x = w[i];
			size_t j = i;

			for (; j > 0 && cmp_entry(&w[j - 1], &x) > 0; --j)
				w[j] = w[j - 1];
			w[j] = x;
		}
	}
	memcpy(v, tmp, n * sizeof(*v));
	free(tmp);
	free(at);
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(((const struct name_entry *)a)->key, ((const struct name_entry *)b)->key, WG_KEY_LEN);
}

/*
 * The entries after the first n_sorted sorted, then merged with those: a peer add's map is the
 * old file's, sorted, and the few names read after its mark.
 */
static bool merge_sorted(struct name_map *map)
{
	size_t a = 0, b = map->n_sorted, o = 0;
	struct name_entry *v;

	if (map->n_sorted == map->n)
		return map->n > 0;
	if (!map->n_sorted || !(v = malloc(map->n * sizeof(*v))))
		return false;
	sort_entries(map->v + b, map->n - b);
	while (a < map->n_sorted && b < map->n)
		v[o++] = cmp_entry(&map->v[a], &map->v[b]) <= 0 ? map->v[a++] : map->v[b++];
	while (a < map->n_sorted)
		v[o++] = map->v[a++];
	while (b < map->n)
		v[o++] = map->v[b++];
	free(map->v);
	map->v = v;
	map->cap = map->n;
	return true;
}

/* Sorts by key and keeps the first name given for each, as wg(8) keeps the first [Peer]. */
static void map_sort(struct name_map *map)
{
	size_t o = 0;

	if (!merge_sorted(map))
		sort_entries(map->v, map->n);
	for (size_t i = 0; i < map->n; ++i) {
		if (o && !memcmp(map->v[o - 1].key, map->v[i].key, WG_KEY_LEN)) {
			if (!borrowed(map, &map->v[i]))
				free(map->v[i].name);
			continue;
		}
		map->v[o++] = map->v[i];
	}
	map->n = map->n_sorted = o;
	map->sorted = true;
	map->index.stride = sizeof(struct name_entry);
	map->index.offset = offsetof(struct name_entry, key);
	/* Without memory for the index, lookups fall back to bsearch. */
	if (map->n > UINT32_MAX || keyidx_rebuild(&map->index, map->v, (uint32_t)map->n) < 0)
		keyidx_free(&map->index);
}

void names_sort(struct name_map *map)
{
	if (!map->sorted && map->n)
		map_sort(map);
}

const char *names_lookup(struct name_map *map, const uint8_t key[WG_KEY_LEN])
{
	struct name_entry probe, *hit;

	if (!map || !map->n)
		return NULL;
	if (!map->sorted)
		map_sort(map);
	if (map->index.cap) {
		int64_t i = keyidx_find(&map->index, map->v, key);

		return i < 0 ? NULL : map->v[i].name;
	}
	memcpy(probe.key, key, WG_KEY_LEN);
	hit = bsearch(&probe, map->v, map->n, sizeof(*map->v), cmp_key);
	return hit ? hit->name : NULL;
}

/* The map's names handed to a hold that owns them from now on; NULL without memory. */
static struct wg_strings *map_hold(struct name_map *map)
{
	static uint64_t serial;
	struct wg_strings *h;

	if (map->hold)
		return map->hold;
	/* Sorted first: sorting frees a key's later names, which the hold would keep and free again. */
	if (!map->sorted && map->n)
		map_sort(map);
	if (!(h = calloc(1, sizeof(*h))) || !(h->v = malloc((map->n ? map->n : 1) * sizeof(*h->v)))) {
		free(h);
		return NULL;
	}
	/* The names the map shares stay its base's: the hold keeps that alive instead. */
	for (size_t i = 0; i < map->n; ++i)
		if (!borrowed(map, &map->v[i]))
			h->v[h->n++] = map->v[i].name;
	h->base = wg_strings_ref(map->base);
	h->refs = 1;
	h->serial = __atomic_add_fetch(&serial, 1, __ATOMIC_RELAXED);
	map->hold = h;
	return h;
}

/* Points the peer at a map's name, the device holding the map's names; a copy when it cannot. */
static int share_name(struct wg_device *dev, int which, struct name_map *map, struct wg_peer *peer, const char *name)
{
	struct wg_strings *h = map_hold(map);

	if (h && !dev->name_holds[which])
		dev->name_holds[which] = wg_strings_ref(h);
	if (!h || dev->name_holds[which] != h)
		return wg_peer_set_name(peer, name);
	if (!peer->name_shared)
		free(peer->name);
	peer->name = (char *)name;
	peer->name_shared = true;
	return 0;
}

/* A peer's name: the config file's first, then the store's; *which says whose (-1: none). */
static const char *lookup_both(struct name_map *maps[2], const uint8_t key[WG_KEY_LEN], int *which)
{
	const char *name;

	for (*which = 0; *which < 2; ++*which)
		if ((name = names_lookup(maps[*which], key)))
			return name;
	*which = -1;
	return NULL;
}

int names_apply(struct wg_device *dev, struct name_map *config, struct name_map *store)
{
	struct name_map *maps[2] = { config, store };

	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		struct wg_peer *peer = &dev->peers[i];
		int which, ret;
		const char *name = lookup_both(maps, peer->public_key, &which);

		if (name && (ret = share_name(dev, which, maps[which], peer, name)) < 0)
			return ret;
	}
	return 0;
}

void names_memo_clear(struct names_memo *memo)
{
	free(memo->v);
	free(memo->which);
	keyidx_free(&memo->index);
	memset(memo, 0, sizeof(*memo));
}

/* A map's hold made now, so that a map read anew never passes for the last one: its serial is new. */
static uint64_t map_serial(struct name_map *map)
{
	struct wg_strings *h;

	if (!map)
		return 0;
	h = map_hold(map);
	return h ? h->serial : 0;
}

/* The memo made again from dev, which[i] saying which of maps named peer i (-1: none). */
static int memo_make(struct names_memo *memo, const struct wg_device *dev, const int8_t *which,
		     struct name_map *maps[2])
{
	struct names_memo_entry *v = NULL;

	if (dev->n_peers && !(v = malloc(dev->n_peers * sizeof(*v))))
		return -ENOMEM;
	free(memo->v);
	memo->v = v;
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		memcpy(v[i].key, dev->peers[i].public_key, WG_KEY_LEN);
		v[i].which = which[i];
		/* The map's own string: a peer that could not share holds a copy that goes with it. */
		if (which[i] < 0)
			v[i].name = NULL;
		else if (dev->peers[i].name_shared)
			v[i].name = dev->peers[i].name;
		else
			v[i].name = names_lookup(maps[which[i]], dev->peers[i].public_key);
	}
	memo->n = dev->n_peers;
	memo->index.stride = sizeof(*v);
	memo->index.offset = offsetof(struct names_memo_entry, key);
	return keyidx_rebuild(&memo->index, memo->v, memo->n);
}

int names_apply_memo(struct wg_device *dev, struct name_map *config, struct name_map *store, struct names_memo *memo)
{
	uint64_t serial[2] = { map_serial(config), map_serial(store) };
	struct name_map *maps[2] = { config, store };
	bool valid, exact;
	uint32_t near = 0;
	int ret;

	/* Without a hold a map cannot share its names: the plain way copies them. */
	if (!serial[0] || !serial[1]) {
		names_memo_clear(memo);
		return names_apply(dev, config, store);
	}
	valid = memo->index.cap && memo->serial[0] == serial[0] && memo->serial[1] == serial[1];
	exact = valid && memo->n == dev->n_peers;
	if (dev->n_peers > memo->cap_which) {
		int8_t *w = realloc(memo->which, dev->n_peers);

		if (!w) {
			names_memo_clear(memo);
			return names_apply(dev, config, store);
		}
		memo->which = w;
		memo->cap_which = dev->n_peers;
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		struct wg_peer *peer = &dev->peers[i];
		int64_t k = valid ? keyidx_find_near(&memo->index, memo->v, memo->n, peer->public_key, &near) : -1;
		const char *name;
		int which;

		if (k >= 0) {
			which = memo->v[k].which;
			name = memo->v[k].name;
		} else {
			exact = false;
			name = lookup_both(maps, peer->public_key, &which);
		}
		memo->which[i] = (int8_t)which;
		if (which >= 0 && (ret = share_name(dev, which, maps[which], peer, name)) < 0)
			return ret;
	}
	/* Every peer found and none more: the memo stands (an order a little different is what it is for). */
	if (exact)
		return 0;
	memo->serial[0] = serial[0];
	memo->serial[1] = serial[1];
	if (memo_make(memo, dev, memo->which, maps) < 0)
		names_memo_clear(memo);
	return 0;
}

void names_clear(struct name_map *map)
{
	/* Shared: the hold frees them with its last reference, the base those it lent. */
	for (size_t i = 0; i < map->n && !map->hold; ++i)
		if (!borrowed(map, &map->v[i]))
			free(map->v[i].name);
	wg_strings_unref(map->hold);
	wg_strings_unref(map->base);
	free(map->v);
	keyidx_free(&map->index);
	memset(map, 0, sizeof(*map));
}

static int count_convention(const struct names_site *s, void *ctx)
{
	size_t *counts = ctx;

	if (s->name && (unsigned int)s->convention < N_NAMES_CONVENTIONS)
		counts[s->convention]++;
	return 0;
}

/* Whether only spaces come before p on its line. */
static bool line_starts_at(const char *text, const char *p)
{
	while (p > text && p[-1] != '\n' && names_is_space(p[-1]))
		--p;
	return p == text || p[-1] == '\n';
}

/* The next '#' from p on that begins s, or NULL: comments are few of a big hub's lines. */
static const char *next_comment(const char *p, const char *end, const char *s, size_t sl)
{
	for (; p < end && (p = memchr(p, '#', (size_t)(end - p))); ++p)
		if ((size_t)(end - p) >= sl && !memcmp(p, s, sl))
			return p;
	return NULL;
}

const char *names_managed_by(const char *text, size_t len)
{
	const char *end = text + len, *tool = NULL;
	size_t counts[N_NAMES_CONVENTIONS] = { 0 };

	/*
	 * The first line that starts with a header, spaces aside. Every header is a comment: only
	 * where a '#' is are they compared, in one pass, not read line by line (a tenth of a peer
	 * add's parse at 100,000 peers) nor searched for header by header (three passes).
	 */
	for (const char *p = text; p < end && (p = memchr(p, '#', (size_t)(end - p))) && !tool; ++p)
		if ((tool = managed_header(p, end)) && !line_starts_at(text, p))
			tool = NULL;
	if (tool)
		return tool;
	/*
	 * wg-gen-web writes no header: its peers' comments give it away. The whole scan (every key
	 * decoded) only where such a comment can be: it cost a peer add at 65,536 peers 10 %.
	 */
	if (!memmem(text, len, " / Updated: ", 12))
		return NULL;
	names_scan(text, len, count_convention, counts);
	return counts[NAMES_WG_GEN_WEB] ? "wg-gen-web" : NULL;
}

enum names_convention names_convention_of(const size_t counts[N_NAMES_CONVENTIONS])
{
	enum names_convention best = NAMES_NONE;

	for (int c = NAMES_NONE + 1; c < N_NAMES_CONVENTIONS; ++c)
		if (counts[c] > counts[best])
			best = (enum names_convention)c;
	return best;
}

enum names_convention names_file_convention(const char *text, size_t len)
{
	size_t counts[N_NAMES_CONVENTIONS] = { 0 };

	names_scan(text, len, count_convention, counts);
	return names_convention_of(counts);
}

/* The first '[' from p on that begins its line, spaces aside: a header; end when none. */
static const char *next_header(const char *text, const char *p, const char *end)
{
	while (p < end && (p = memchr(p, '[', (size_t)(end - p)))) {
		if (line_starts_at(text, p))
			return p;
		++p;
	}
	return end;
}

bool names_save_config(const char *text, size_t len)
{
	const char *end = text + len, *h = next_header(text, text, end);
	struct names_facts f = { 0 };

	/*
	 * Only the [Interface] sections are read line by line: the rest is passed over from one
	 * header to the next, as a big hub's file is nearly all [Peer]s. As wg-quick reads it,
	 * comments cut and the last SaveConfig counting.
	 */
	while (h < end) {
		const char *nl = text_find_nl(h, end), *s = h, *e = nl ? nl : end, *p = nl ? nl + 1 : end, *next;
		bool interface;

		names_trim(&s, &e);
		cut_comment(&s, &e);
		interface = e - s == 11 && !strncasecmp(s, "[Interface]", 11);
		next = next_header(text, p, end);
		while (interface && p < next) {
			const char *lnl = text_find_nl(p, next), *ls = p, *le = lnl ? lnl : next;

			p = lnl ? lnl + 1 : next;
			names_trim(&ls, &le);
			note_save_config(&f, ls, le);
		}
		h = next;
	}
	return f.save_config;
}

static int no_site(const struct names_site *s, void *ctx)
{
	(void)s;
	(void)ctx;
	return 0;
}

int names_disabled(const char *text, size_t len, uint8_t (**keys)[WG_KEY_LEN], size_t *n)
{
	struct names_facts f;
	int ret;

	/* Only PiVPN's marker disables: without one there is nothing to scan for. */
	*keys = NULL;
	*n = 0;
	if (!next_comment(text, text + len, "#[disabled]", 11))
		return 0;
	if ((ret = names_scan_facts(text, len, NULL, no_site, NULL, NULL, &f)) < 0)
		return ret;
	*keys = f.disabled;
	*n = f.n_disabled;
	return 0;
}
