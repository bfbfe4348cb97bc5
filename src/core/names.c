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

struct section {
	bool is_peer;
	bool has_key;
	uint8_t key[WG_KEY_LEN];
	const char *name, *name_end;		/* from inside the section */
	const char *above, *above_end;		/* from the comment directly above its header */
	const char *pivpn, *pivpn_end;		/* from an enclosing PiVPN block */
};

static int section_close(struct name_map *map, struct section *sec)
{
	int ret = 0;

	if (sec->is_peer && sec->has_key) {
		if (sec->name)
			ret = map_add(map, sec->key, sec->name, sec->name_end);
		else if (sec->above)
			ret = map_add(map, sec->key, sec->above, sec->above_end);
		else if (sec->pivpn)
			ret = map_add(map, sec->key, sec->pivpn, sec->pivpn_end);
	}
	memset(sec, 0, sizeof(*sec));
	return ret;
}

int names_parse_config(struct name_map *map, const char *text, size_t len)
{
	struct section sec = { 0 };
	const char *p = text, *end = text + len;
	const char *pending = NULL, *pending_end = NULL;	/* a Name comment not yet placed */
	const char *pivpn = NULL, *pivpn_end = NULL;
	int ret = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end, *v, *ve;

		p = nl ? nl + 1 : end;
		names_trim(&s, &e);
		if (s == e) {
			/* A blank line separates a comment from the header below it. */
			if (pending && sec.is_peer && !sec.name) {
				sec.name = pending;
				sec.name_end = pending_end;
			}
			pending = NULL;
			continue;
		}
		if (names_pivpn_marker(s, e, "begin", &v, &ve)) {
			pivpn = v;
			pivpn_end = ve;
			continue;
		}
		if (names_pivpn_marker(s, e, "end", &v, &ve)) {
			if ((ret = section_close(map, &sec)) < 0)
				goto out;
			pivpn = NULL;
			continue;
		}
		if (names_name_comment(s, e, &v, &ve)) {
			/* Belongs to the section it is in, unless a [Peer] header follows directly. */
			if (pending && sec.is_peer && !sec.name) {
				sec.name = pending;
				sec.name_end = pending_end;
			}
			pending = v;
			pending_end = ve;
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
			bool peer = e - s == 6 && !strncasecmp(s, "[Peer]", 6);

			if ((ret = section_close(map, &sec)) < 0)
				goto out;
			sec.is_peer = peer;
			if (peer) {
				sec.above = pending;
				sec.above_end = pending_end;
				sec.pivpn = pivpn;
				sec.pivpn_end = pivpn_end;
			}
			pending = NULL;
			continue;
		}
		if (pending && sec.is_peer && !sec.name) {
			sec.name = pending;
			sec.name_end = pending_end;
		}
		pending = NULL;
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
			sec.has_key = key_from_base64(sec.key, b64);
		}
	}
	if (pending && sec.is_peer && !sec.name) {
		sec.name = pending;
		sec.name_end = pending_end;
	}
	ret = section_close(map, &sec);
out:
	return ret;
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
