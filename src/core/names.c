// SPDX-License-Identifier: GPL-2.0-or-later
/* Peer names from the config file's comments and from wgstar's own name store. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "key.h"
#include "names.h"
#include "text.h"

bool names_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void names_trim(const char **s, const char **e)
{
	while (*s < *e && names_is_space(**s))
		++*s;
	while (*e > *s && names_is_space((*e)[-1]))
		--*e;
}

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
	char *out = malloc(NAMES_MAX_LEN + 1);
	size_t o = 0;

	if (!out)
		return NULL;
	while (s < e) {
		uint32_t cp;
		size_t n = text_utf8_next(s, (size_t)(e - s), &cp);
		bool ok = n && text_printable(cp);
		size_t len = ok ? n : 1;

		if (o + len > NAMES_MAX_LEN)
			break;
		if (ok)
			memcpy(out + o, s, n);
		else
			out[o] = '?';
		o += len;
		s += n ? n : 1;
	}
	while (o && out[o - 1] == ' ')
		--o;
	out[o] = '\0';
	if (!o) {
		free(out);
		return NULL;
	}
	return out;
}

static int map_add(struct name_map *map, const uint8_t key[WG_KEY_LEN], const char *s, const char *e)
{
	char *name = name_copy(s, e);

	if (!name)
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
	map->v[map->n].order = map->n;
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

struct pending {
	const char *v, *ve;
	size_t line;
};

/* The section being read: a [Peer] collects what the scan reports of it. */
struct section {
	bool is_peer;
	struct names_site site;
	struct pending inside, above, pivpn;
};

static void section_start(struct section *sec, bool peer, size_t header, const struct pending *above,
			  const struct pending *pivpn)
{
	memset(sec, 0, sizeof(*sec));
	sec->is_peer = peer;
	sec->site.header = header;
	sec->inside.line = sec->above.line = sec->pivpn.line = NAMES_NO_LINE;
	if (peer) {
		sec->above = *above;
		sec->pivpn = *pivpn;
	}
}

/* A name comment waiting at the end of a section's stretch: it is the section's own. */
static void take_inside(struct section *sec, struct pending *pending)
{
	if (pending->v && sec->is_peer && !sec->inside.v)
		sec->inside = *pending;
	*pending = (struct pending){ .line = NAMES_NO_LINE };
}

static int section_close(struct section *sec, int (*cb)(const struct names_site *s, void *ctx), void *ctx)
{
	struct names_site *st = &sec->site;
	const struct pending *chosen = sec->inside.v ? &sec->inside : sec->above.v ? &sec->above :
				       sec->pivpn.v ? &sec->pivpn : NULL;
	int ret = 0;

	if (sec->is_peer) {
		st->name_line = sec->inside.line;
		st->above_line = sec->above.line;
		st->pivpn_line = sec->pivpn.line;
		st->name = chosen ? chosen->v : NULL;
		st->name_end = chosen ? chosen->ve : NULL;
		ret = cb(st, ctx);
	}
	section_start(sec, false, NAMES_NO_LINE, NULL, NULL);
	return ret;
}

int names_scan(const char *text, size_t len, int (*cb)(const struct names_site *s, void *ctx), void *ctx)
{
	const struct pending none = { .line = NAMES_NO_LINE };
	struct pending pending = none;		/* a Name comment not yet placed */
	struct pending pivpn = none;		/* the open PiVPN block */
	const char *p = text, *end = text + len;
	struct section sec;
	size_t line = 0;
	int ret = 0;

	section_start(&sec, false, NAMES_NO_LINE, NULL, NULL);
	for (; p < end; ++line) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end, *v, *ve;

		p = nl ? nl + 1 : end;
		names_trim(&s, &e);
		if (s == e) {
			/* A blank line separates a comment from the header below it. */
			take_inside(&sec, &pending);
			continue;
		}
		if (names_pivpn_marker(s, e, "begin", &v, &ve)) {
			pivpn = (struct pending){ v, ve, line };
			continue;
		}
		if (names_pivpn_marker(s, e, "end", &v, &ve)) {
			if ((ret = section_close(&sec, cb, ctx)) < 0)
				goto out;
			pivpn = none;
			continue;
		}
		if (names_name_comment(s, e, &v, &ve)) {
			/* Belongs to the section it is in, unless a [Peer] header follows directly. */
			take_inside(&sec, &pending);
			pending = (struct pending){ v, ve, line };
			continue;
		}
		if (*s == '#' || *s == ';')
			continue;
		/* wg-quick drops everything after '#': "PublicKey = K # laptop" is the key K. */
		{
			const char *hash = memchr(s, '#', (size_t)(e - s));

			if (hash) {
				e = hash;
				names_trim(&s, &e);
			}
		}
		if (*s == '[') {
			if ((ret = section_close(&sec, cb, ctx)) < 0)
				goto out;
			section_start(&sec, e - s == 6 && !strncasecmp(s, "[Peer]", 6), line, &pending, &pivpn);
			pending = none;
			continue;
		}
		take_inside(&sec, &pending);
		if (sec.is_peer && e - s > 9 && !strncasecmp(s, "PublicKey", 9)) {
			const char *k = s + 9, *ke = e;
			char b64[WG_KEY_B64_LEN];

			names_trim(&k, &ke);
			if (k == ke || *k != '=')
				continue;
			++k;
			names_trim(&k, &ke);
			if (ke - k != WG_KEY_B64_LEN - 1)
				continue;
			memcpy(b64, k, WG_KEY_B64_LEN - 1);
			b64[WG_KEY_B64_LEN - 1] = '\0';
			sec.site.has_key = key_from_base64(sec.site.key, b64);
		}
	}
	take_inside(&sec, &pending);
	ret = section_close(&sec, cb, ctx);
out:
	return ret;
}

static int add_site(const struct names_site *s, void *ctx)
{
	return s->has_key && s->name ? map_add(ctx, s->key, s->name, s->name_end) : 0;
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
		const char *nl = memchr(p, '\n', (size_t)(end - p));
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

static int cmp_key(const void *a, const void *b)
{
	return memcmp(((const struct name_entry *)a)->key, ((const struct name_entry *)b)->key, WG_KEY_LEN);
}

/* Sorts by key and keeps the first name given for each, as wg(8) keeps the first [Peer]. */
static void map_sort(struct name_map *map)
{
	size_t o = 0;

	qsort(map->v, map->n, sizeof(*map->v), cmp_entry);
	for (size_t i = 0; i < map->n; ++i) {
		if (o && !memcmp(map->v[o - 1].key, map->v[i].key, WG_KEY_LEN)) {
			free(map->v[i].name);
			continue;
		}
		map->v[o++] = map->v[i];
	}
	map->n = o;
	map->sorted = true;
}

const char *names_lookup(struct name_map *map, const uint8_t key[WG_KEY_LEN])
{
	struct name_entry probe, *hit;

	if (!map || !map->n)
		return NULL;
	if (!map->sorted)
		map_sort(map);
	memcpy(probe.key, key, WG_KEY_LEN);
	hit = bsearch(&probe, map->v, map->n, sizeof(*map->v), cmp_key);
	return hit ? hit->name : NULL;
}

int names_apply(struct wg_device *dev, struct name_map *config, struct name_map *store)
{
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		struct wg_peer *peer = &dev->peers[i];
		const char *name = names_lookup(config, peer->public_key);
		int ret;

		if (!name)
			name = names_lookup(store, peer->public_key);
		if (name && (ret = wg_peer_set_name(peer, name)) < 0)
			return ret;
	}
	return 0;
}

void names_clear(struct name_map *map)
{
	for (size_t i = 0; i < map->n; ++i)
		free(map->v[i].name);
	free(map->v);
	memset(map, 0, sizeof(*map));
}
