// SPDX-License-Identifier: GPL-2.0-or-later
/* wg-quick config files as the lines they are made of, edited without disturbing the rest. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "i18n.h"
#include "key.h"
#include "keyidx.h"
#include "names.h"
#include "prefix.h"
#include "text.h"
#include "wgconf.h"

/*
 * Line and section numbers, and offsets in the text, are 32 bits: a file has at most
 * WGCONF_MAX_LEN bytes. NO_LINE: none. Locals hold them as size_t, NO_LINE included.
 */
#define NO_LINE UINT32_MAX
_Static_assert(WGCONF_MAX_LEN < UINT32_MAX, "line offsets and numbers are 32 bits");

enum line_kind { L_BLANK, L_COMMENT, L_SECTION, L_KEY };
enum line_mark { M_NONE, M_BEGIN, M_END };
enum sec_type { S_INTERFACE, S_PEER, S_OTHER };

/*
 * One a line: 40 bytes, not 80, as offsets in a file of at most WGCONF_MAX_LEN bytes fit 32
 * bits. A peer add parses 500,000 lines at 100,000 peers, and faulting fresh pages in is the
 * largest cost of reading the file.
 */
struct wline {
	uint32_t sec;			/* the section it is in; NO_LINE before the first header */
	uint32_t value;			/* L_KEY: where its value is in the pool, NUL-terminated */
	uint32_t off;			/* first byte in the text */
	uint32_t len;			/* bytes without the line end */
	/* L_KEY, offsets from off: the key, the '=' and the value without a trailing comment */
	uint32_t key_off, key_len, eq, val_off, val_end;
	uint8_t eol;			/* bytes of line end: 0 (last line), 1 ("\n") or 2 ("\r\n") */
	uint8_t kind;
	uint8_t mark;			/* a PiVPN marker comment */
};
_Static_assert(sizeof(struct wline) == 40, "a line takes 40 bytes");

/* One a section: 128 bytes, not 208, for the same reason. */
struct wsec {
	uint8_t type;
	uint8_t convention;		/* S_PEER: whose way its name is written (enum names_convention) */
	bool has_psk;			/* psk is all zero without */
	uint16_t keepalive;
	uint32_t header;		/* line of its [Section] header */
	uint32_t end;			/* one past its last line: the next header, or the end */
	/* S_PEER */
	uint8_t key[WG_KEY_LEN];
	uint8_t psk[WG_KEY_LEN];
	uint32_t key_line;
	uint32_t endpoint;		/* 1 + where its Endpoint is in the pool; 0: none */
	/* Its allowed IPs: n_aips of them from aip_first on in the model's peer_aips. */
	uint32_t aip_first, n_aips;
	uint32_t begin_mark, end_mark;	/* PiVPN markers that enclose this peer alone */
	uint32_t name_line;		/* where names.c reads its name: a "# Name" inside, */
	uint32_t above_line;		/* one directly above the header, */
	uint32_t pivpn_line;		/* or the PiVPN begin marker open at the header */
	uint32_t tool_line;		/* another tool's name line, when that names it */
	uint32_t tool_v, tool_ve;	/* the name's bytes in that line */
};
_Static_assert(sizeof(struct wsec) == 128, "a section takes 128 bytes");

struct wgconf {
	char *text;
	size_t len;
	size_t text_size;		/* bytes allocated at text: an add appends in place what they hold */
	struct wline *lines;
	size_t n_lines;
	struct wsec *secs;
	size_t n_secs;
	char *pool;			/* the values of every Key = Value line */
	size_t pool_len;
	struct wg_allowedip *addrs;
	size_t n_addrs, cap_addrs;
	/*
	 * Every peer's allowed IPs, one after the other: one array, not one a peer (130,000
	 * allocations and frees for a peer add at 65,536 peers).
	 */
	struct wg_allowedip *peer_aips;
	size_t n_peer_aips, cap_peer_aips;
	struct name_map names;		/* names.c's reading of the text (conf_names) */
	size_t conventions[N_NAMES_CONVENTIONS];	/* names each convention gives, from the same scan */
	/*
	 * Where that scan took its last mark (names.h), and what it had found by then: a
	 * continued parse reads the names on from there, not over the whole text again.
	 */
	struct names_mark mark;
	size_t mark_conventions[N_NAMES_CONVENTIONS];
	size_t mark_order;		/* names.added at the mark */
	/* Set by parse_continued: its first same_secs sections, names and all, are its base's. */
	size_t same_secs;
	/*
	 * A model parse_continued made shares the lines, sections, values and allowed IPs of the
	 * one it continues, its base, grown: base_secs holds the base's sections from same_secs
	 * on and base_last its last line as they were, until continue_keep or continue_undo
	 * parts the two. Neither may be freed before.
	 */
	bool shared;
	struct wsec *base_secs;
	size_t n_base_secs;
	struct wline base_last;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct wgconf_error *err, size_t line, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = (unsigned int)line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Room left in a parsed model's arrays for a peer added later: parse_continued grows them by
 * the peer's few lines, and a realloc that has the room keeps each block where it is. Without
 * it, a peer add beside 100,000 peers moved its lines, sections, values and allowed IPs (40 MB)
 * to new blocks.
 */
enum { ROOM_LINES = 32, ROOM_SECS = 4, ROOM_POOL = 2048, ROOM_AIPS = 16 };

static const char *line_text(const struct wgconf *c, size_t i)
{
	return c->text + c->lines[i].off;
}

/*
 * Offsets, not pointers, into the pool and peer_aips: a peer add's model grows the arrays of
 * the one it continues, wherever realloc moves them (parse_continued).
 */
static const char *line_value(const struct wgconf *c, size_t i)
{
	return c->pool + c->lines[i].value;
}

static const char *sec_endpoint(const struct wgconf *c, const struct wsec *sec)
{
	return sec->endpoint ? c->pool + sec->endpoint - 1 : NULL;
}

static const struct wg_allowedip *sec_aips(const struct wgconf *c, const struct wsec *sec)
{
	return sec->n_aips ? c->peer_aips + sec->aip_first : NULL;
}

/* The line without its line end and the white space around it. */
static void line_trimmed(const struct wgconf *c, size_t i, const char **s, const char **e)
{
	*s = line_text(c, i);
	*e = *s + c->lines[i].len;
	names_trim(s, e);
}

/*
 * Inlined, so that the length of the word each caller names is a constant and a key of
 * another length costs one comparison: five keys tried on each of a big hub's 300,000 lines
 * were 28 million instructions, half of them strlen.
 */
static inline __attribute__((always_inline)) bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && !strncasecmp(s, word, len);
}

static inline __attribute__((always_inline)) bool key_is(const struct wgconf *c, size_t i, const char *key)
{
	const struct wline *l = &c->lines[i];

	return l->kind == L_KEY && word_is(line_text(c, i) + l->key_off, l->key_len, key);
}

static bool plain_comment(const struct wgconf *c, size_t i)
{
	return c->lines[i].kind == L_COMMENT && c->lines[i].mark == M_NONE;
}

/* --- reading --- */

/* The lines of the text from byte p on, into c->lines from index i on (zeroed there). */
static void split_from(struct wgconf *c, size_t i, const char *p)
{
	const char *end = c->text + c->len;

	for (; p < end; ++i) {
		const char *nl = text_find_nl(p, end);
		struct wline *l = &c->lines[i];

		/* Every field set here: the array is not zeroed first, which faulted its pages in twice. */
		*l = (struct wline){ .off = (uint32_t)(p - c->text), .sec = NO_LINE };
		if (!nl) {
			l->len = (uint32_t)(end - p);
			p = end;
		} else if (nl > p && nl[-1] == '\r') {
			l->len = (uint32_t)(nl - 1 - p);
			l->eol = 2;
			p = nl + 1;
		} else {
			l->len = (uint32_t)(nl - p);
			l->eol = 1;
			p = nl + 1;
		}
	}
}

/* How many lines the text has from p on. */
static size_t count_lines(const char *p, const char *end)
{
	size_t n = 0;

	for (; p < end; ++n) {
		const char *nl = text_find_nl(p, end);

		p = nl ? nl + 1 : end;
	}
	return n;
}

static int split_lines(struct wgconf *c, struct wgconf_error *err)
{
	const char *end = c->text + c->len, *nul = memchr(c->text, '\0', c->len);
	size_t n = 0;

	if (nul) {
		for (const char *q = c->text; q < end; ++n) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));

			if (nul < (nl ? nl + 1 : end))
				break;
			q = nl ? nl + 1 : end;
		}
		return fail(err, n + 1, _("the file holds a NUL byte"));
	}
	n = count_lines(c->text, end);
	c->lines = malloc((n + ROOM_LINES) * sizeof(*c->lines));
	if (!c->lines)
		return -ENOMEM;
	split_from(c, 0, c->text);
	c->n_lines = n;
	return 0;
}

/* wg-quick drops everything from a '#' on, wherever it is; wg(8) does too. */
static int classify(struct wgconf *c, size_t i, struct wgconf_error *err)
{
	struct wline *l = &c->lines[i];
	const char *base = line_text(c, i), *s, *e, *v, *ve, *hash, *eq, *k, *ke;

	line_trimmed(c, i, &s, &e);
	if (s == e) {
		l->kind = L_BLANK;
		return 0;
	}
	if (*s == '#' || *s == ';') {
		l->kind = L_COMMENT;
		if (names_pivpn_marker(s, e, "begin", &v, &ve))
			l->mark = M_BEGIN;
		else if (names_pivpn_marker(s, e, "end", &v, &ve))
			l->mark = M_END;
		return 0;
	}
	hash = memchr(s, '#', (size_t)(e - s));
	if (hash) {
		e = hash;
		names_trim(&s, &e);
	}
	if (*s == '[') {
		if (e - s < 2 || e[-1] != ']')
			return fail(err, i + 1, _("a section header must look like [Peer]"));
		l->kind = L_SECTION;
		return 0;
	}
	eq = memchr(s, '=', (size_t)(e - s));
	k = s;
	ke = eq;
	if (eq)
		names_trim(&k, &ke);
	if (!eq || k == ke)
		return fail(err, i + 1, _("this line is neither a comment, a [Section] nor Key = Value"));
	v = eq + 1;
	ve = e;
	names_trim(&v, &ve);
	l->kind = L_KEY;
	l->key_off = (uint32_t)(k - base);
	l->key_len = (uint32_t)(ke - k);
	l->eq = (uint32_t)(eq - base);
	l->val_off = (uint32_t)(v - base);
	l->val_end = (uint32_t)(ve - base);
	return 0;
}

static uint8_t section_type(const struct wgconf *c, size_t i)
{
	const char *s, *e, *hash;

	line_trimmed(c, i, &s, &e);
	if ((hash = memchr(s, '#', (size_t)(e - s))))
		e = hash;
	names_trim(&s, &e);
	/* "[ Peer ]" is a peer to wg(8), which drops every space. */
	++s;
	--e;
	names_trim(&s, &e);
	if (word_is(s, (size_t)(e - s), "Interface"))
		return S_INTERFACE;
	if (word_is(s, (size_t)(e - s), "Peer"))
		return S_PEER;
	return S_OTHER;
}

/*
 * The values of lines from on into the pool, after the pool_len bytes it holds already (kept
 * from a model whose text this one continues; NULL and 0 otherwise).
 */
static int fill_pool_from(struct wgconf *c, size_t from)
{
	size_t need = 0, o = c->pool_len, size;
	char *pool;

	for (size_t i = from; i < c->n_lines; ++i)
		if (c->lines[i].kind == L_KEY)
			need += c->lines[i].val_end - c->lines[i].val_off + 1;
	/* A model's first values with room for more; a continued model's go into that room. */
	size = o + need + (from ? 0 : ROOM_POOL);
	pool = realloc(c->pool, size ? size : 1);
	if (!pool)
		return -ENOMEM;
	c->pool = pool;
	c->pool_len = o + need;
	for (size_t i = from; i < c->n_lines; ++i) {
		struct wline *l = &c->lines[i];
		size_t n = l->val_end - l->val_off;

		if (l->kind != L_KEY)
			continue;
		memcpy(c->pool + o, line_text(c, i) + l->val_off, n);
		c->pool[o + n] = '\0';
		l->value = (uint32_t)o;
		o += n + 1;
	}
	return 0;
}

static int fill_pool(struct wgconf *c)
{
	return fill_pool_from(c, 0);
}

static int push_aip(struct wg_allowedip **v, size_t *n, size_t *cap, const struct wg_allowedip *a)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 4;
		struct wg_allowedip *nv = realloc(*v, nc * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = nc;
	}
	(*v)[(*n)++] = *a;
	return 0;
}

/*
 * AllowedIPs as wg(8) splits them: at commas, no entry empty, though the whole value may be
 * (it then sets none). Address as wg-quick splits it: at commas and spaces.
 */
static int parse_prefix_list(struct wgconf *c, size_t i, bool is_address, struct wg_allowedip **v,
			     size_t *n, size_t *cap, struct wgconf_error *err)
{
	const char *p = line_value(c, i), *end = p + strlen(p);
	struct wg_allowedip a;
	int ret;

	if (p == end)
		return 0;
	while (p <= end) {
		const char *q = p, *s = p, *e;

		if (!is_address) {
			/* AllowedIPs part at commas alone: found at once, not tried byte by byte. */
			if (!(q = memchr(p, ',', (size_t)(end - p))))
				q = end;
		} else {
			while (q < end && *q != ',' && !names_is_space(*q))
				++q;
		}
		e = q;
		names_trim(&s, &e);
		if (s == e && is_address) {
			p = q + 1;
			continue;
		}
		/* "ADDR" or "ADDR/CIDR"; the host bits may be set, as wg(8) and ip(8) take them. */
		if (prefix_parse_span(&a, s, (size_t)(e - s)) < 0) {
			if (is_address)
				return fail(err, i + 1, _("Address \"%.*s\" is not an address or a prefix"),
					    (int)((e - s) > 60 ? 60 : e - s), s);
			return fail(err, i + 1, _("AllowedIPs \"%.*s\" is not an address or a prefix"),
				    (int)((e - s) > 60 ? 60 : e - s), s);
		}
		if ((ret = push_aip(v, n, cap, &a)) < 0)
			return ret;
		p = q + 1;
	}
	return 0;
}

static bool parse_key(uint8_t key[WG_KEY_LEN], const char *value)
{
	return strlen(value) == WG_KEY_B64_LEN - 1 && key_from_base64(key, value);
}

static int peer_key(struct wgconf *c, struct wsec *sec, size_t i, struct wgconf_error *err)
{
	const char *v = line_value(c, i);
	uint8_t key[WG_KEY_LEN];

	if (key_is(c, i, "PublicKey")) {
		if (sec->key_line != NO_LINE)
			return fail(err, i + 1, _("a second PublicKey in one [Peer]"));
		if (!parse_key(sec->key, v))
			return fail(err, i + 1, _("PublicKey is not a base64 key of 32 bytes"));
		sec->key_line = i;
	} else if (key_is(c, i, "PresharedKey")) {
		if (!parse_key(key, v))
			return fail(err, i + 1, _("PresharedKey is not a base64 key of 32 bytes"));
		/* An all-zero key is how wg(8) says "none". */
		sec->has_psk = !key_is_zero(key);
		memcpy(sec->psk, key, WG_KEY_LEN);
		key_wipe(key, sizeof(key));
	} else if (key_is(c, i, "AllowedIPs")) {
		/* A section's lines come one after another, so its allowed IPs are together too. */
		size_t before = c->n_peer_aips;
		int ret = parse_prefix_list(c, i, false, &c->peer_aips, &c->n_peer_aips, &c->cap_peer_aips, err);

		sec->n_aips += c->n_peer_aips - before;
		return ret;
	} else if (key_is(c, i, "Endpoint")) {
		sec->endpoint = c->lines[i].value + 1;
	} else if (key_is(c, i, "PersistentKeepalive")) {
		unsigned long ka = 0;
		size_t n = strlen(v);

		if (!strcasecmp(v, "off")) {
			sec->keepalive = 0;
			return 0;
		}
		if (!n || n > 5 || strspn(v, "0123456789") != n || (ka = strtoul(v, NULL, 10)) > 65535)
			return fail(err, i + 1, _("PersistentKeepalive must be off or a number from 0 to 65535"));
		sec->keepalive = (uint16_t)ka;
	}
	return 0;
}

static int close_section(struct wgconf *c, size_t k, struct wgconf_error *err)
{
	const struct wsec *sec = &c->secs[k];

	if (sec->type == S_PEER && sec->key_line == NO_LINE)
		return fail(err, sec->header + 1, _("this [Peer] has no PublicKey"));
	return 0;
}

/*
 * The sections of lines from on, cur the section open before them (NO_LINE: none), into c->secs
 * (room for every header made). Then each section's end and allowed IPs, all of them.
 */
static int walk_sections(struct wgconf *c, size_t from, size_t cur, struct wgconf_error *err)
{
	int ret;

	for (size_t i = from; i < c->n_lines; ++i) {
		struct wline *l = &c->lines[i];

		if (l->kind == L_SECTION) {
			struct wsec *sec = &c->secs[c->n_secs];

			if (cur != NO_LINE && (ret = close_section(c, cur, err)) < 0)
				return ret;
			memset(sec, 0, sizeof(*sec));
			cur = c->n_secs++;
			sec->type = section_type(c, i);
			sec->header = i;
			sec->aip_first = c->n_peer_aips;
			sec->key_line = sec->begin_mark = sec->end_mark = NO_LINE;
			sec->name_line = sec->above_line = sec->pivpn_line = sec->tool_line = NO_LINE;
		}
		l->sec = cur;
		if (l->kind != L_KEY)
			continue;
		if (cur == NO_LINE)
			return fail(err, i + 1, _("\"%.*s\" comes before any [Interface] or [Peer] section"),
				    (int)(l->key_len > 40 ? 40 : l->key_len), line_text(c, i) + l->key_off);
		if (c->secs[cur].type == S_PEER)
			ret = peer_key(c, &c->secs[cur], i, err);
		else if (c->secs[cur].type == S_INTERFACE && key_is(c, i, "Address"))
			ret = parse_prefix_list(c, i, true, &c->addrs, &c->n_addrs, &c->cap_addrs, err);
		else
			ret = 0;
		if (ret < 0)
			return ret;
	}
	if (cur != NO_LINE && (ret = close_section(c, cur, err)) < 0)
		return ret;
	/* No more growth but a peer's: the array is trimmed, and each section points into it. */
	if (c->n_peer_aips + ROOM_AIPS < c->cap_peer_aips) {
		struct wg_allowedip *v = realloc(c->peer_aips, (c->n_peer_aips + ROOM_AIPS) * sizeof(*v));

		if (v) {
			c->peer_aips = v;
			c->cap_peer_aips = c->n_peer_aips + ROOM_AIPS;
		}
	}
	for (size_t k = 0; k < c->n_secs; ++k)
		c->secs[k].end = k + 1 < c->n_secs ? c->secs[k + 1].header : c->n_lines;
	return 0;
}

static size_t count_headers(const struct wgconf *c, size_t from)
{
	size_t n = 0;

	for (size_t i = from; i < c->n_lines; ++i)
		n += c->lines[i].kind == L_SECTION;
	return n;
}

static int build_sections(struct wgconf *c, struct wgconf_error *err)
{
	size_t n = count_headers(c, 0);

	/* walk_sections sets each section whole. */
	c->secs = malloc((n + ROOM_SECS) * sizeof(*c->secs));
	if (!c->secs)
		return -ENOMEM;
	return walk_sections(c, 0, NO_LINE, err);
}

/*
 * wg(8) would merge two [Peer]s with one key into one peer: that is a mistake in the file.
 * Said of the first repeat in the file (the lowest line), naming the [Peer] it repeats. A hash
 * index, not a sort: a file of 65,536 peers is parsed three times by an edit. Made in one go,
 * with one probe a key (looking each key up before adding it, in a table that grew, was a
 * twentieth of a big file's parse); only when a key repeats are the keys taken again one by
 * one, to say which.
 */
static int check_duplicates(struct wgconf *c, struct wgconf_error *err)
{
	struct peer_key {
		uint8_t key[WG_KEY_LEN];
		size_t sec;
	} *v;
	struct keyidx ix = KEYIDX_INIT(struct peer_key, key);
	uint32_t n = 0;
	int ret = 0;

	if (c->n_secs > UINT32_MAX / 4)
		return -ENOMEM;
	/* The peers' keys in an array of their own: the index holds entries 0..n-1 of one array. */
	if (!(v = malloc((c->n_secs ? c->n_secs : 1) * sizeof(*v))))
		return -ENOMEM;
	for (size_t k = 0; k < c->n_secs; ++k) {
		if (c->secs[k].type != S_PEER)
			continue;
		memcpy(v[n].key, c->secs[k].key, WG_KEY_LEN);
		v[n++].sec = k;
	}
	if ((ret = keyidx_rebuild_unique(&ix, v, n)) == -EEXIST) {
		ret = 0;
		for (uint32_t i = 0; i < n && !ret; ++i) {
			int64_t was = keyidx_find(&ix, v, v[i].key);

			if (was >= 0)
				ret = fail(err, c->secs[v[i].sec].key_line + 1,
					   _("this PublicKey is the one of the [Peer] at line %zu already"),
					   (size_t)c->secs[v[was].sec].header + 1);
			else
				ret = keyidx_add(&ix, v, i + 1, i);
		}
	}
	keyidx_free(&ix);
	free(v);
	return ret;
}

/* PiVPN's markers belong to a peer when they enclose it and nothing else. */
static void find_markers_from(struct wgconf *c, size_t k0)
{
	for (size_t k = k0; k < c->n_secs; ++k) {
		struct wsec *sec = &c->secs[k];
		size_t j = sec->header, b = NO_LINE, e = NO_LINE;

		sec->begin_mark = sec->end_mark = NO_LINE;
		if (sec->type != S_PEER)
			continue;
		while (j > 0 && plain_comment(c, j - 1))
			--j;
		if (j > 0 && c->lines[j - 1].mark == M_BEGIN)
			b = j - 1;
		for (size_t i = sec->header + 1; i < sec->end; ++i) {
			if (c->lines[i].mark == M_END)
				e = i;
			if (c->lines[i].mark != M_NONE)
				break;
		}
		if (b != NO_LINE && e != NO_LINE) {
			sec->begin_mark = b;
			sec->end_mark = e;
		}
	}
}

static void find_markers(struct wgconf *c)
{
	find_markers_from(c, 0);
}

/* A line names.c gives (NAMES_NO_LINE: none) as a section keeps it. */
static uint32_t line32(size_t line)
{
	return line == NAMES_NO_LINE ? NO_LINE : (uint32_t)line;
}

/* Where names.c reads a peer's name: what the section keeps of it, until the sections are made. */
struct site {
	uint32_t header, name_line, above_line, pivpn_line, tool_line;
	uint32_t name, name_end;	/* the name's bytes in the text, when tool_named */
	uint8_t convention;
	bool tool_named;
};

/*
 * One reading of the names in a text, names.c's scan: the names (conf_names), what each
 * convention gives, the scan's last mark, and the site of every [Peer]'s name. A model takes
 * it over whole (take_naming); wgconf_naming_read makes one apart from the model.
 */
struct wgconf_naming {
	const char *text;
	struct name_map names;
	size_t conventions[N_NAMES_CONVENTIONS];
	struct names_mark mark;
	size_t mark_conventions[N_NAMES_CONVENTIONS];
	size_t mark_order;		/* names.added at the mark */
	struct site *sites;
	size_t n_sites, cap_sites;
};

/* The one scan of the file decides, for both the names and where the edits find them. */
static int note_site(const struct names_site *st, void *ctx)
{
	struct wgconf_naming *r = ctx;
	int ret;

	if ((ret = names_site_add(&r->names, st)) < 0)
		return ret;
	/* As names_file_convention counts: the edits write new names the file's way. */
	if (st->name && (unsigned int)st->convention < N_NAMES_CONVENTIONS)
		r->conventions[st->convention]++;
	if (r->n_sites == r->cap_sites) {
		size_t cap = r->cap_sites ? 2 * r->cap_sites : 64;
		struct site *v = realloc(r->sites, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		r->sites = v;
		r->cap_sites = cap;
	}
	r->sites[r->n_sites++] = (struct site){
		.header = line32(st->header),
		.name_line = line32(st->name_line),
		.above_line = line32(st->above_line),
		.pivpn_line = line32(st->pivpn_line),
		.tool_line = line32(st->tool_line),
		.name = st->name ? (uint32_t)(st->name - r->text) : 0,
		.name_end = st->name ? (uint32_t)(st->name_end - r->text) : 0,
		.convention = (uint8_t)st->convention,
		.tool_named = st->tool_line != NAMES_NO_LINE && st->name,
	};
	return 0;
}

static void note_mark(void *ctx)
{
	struct wgconf_naming *r = ctx;

	memcpy(r->mark_conventions, r->conventions, sizeof(r->conventions));
	r->mark_order = r->names.added;
}

/*
 * The reading r holds, taken on over len bytes of text from the mark from (NULL: the start);
 * from the start, with the text's facts too when facts is not NULL.
 */
static int naming_scan(struct wgconf_naming *r, const char *text, size_t len, const struct names_mark *from,
		       struct names_facts *facts)
{
	int ret;

	r->text = text;
	if (facts && !from)
		ret = names_scan_facts(text, len, &r->mark, note_site, note_mark, r, facts);
	else
		ret = names_scan_from(text, len, from, &r->mark, note_site, note_mark, r);
	return ret < 0 ? ret : 0;
}

/* r's names into c, which holds none, and each site into the section it names. r is left empty. */
static void take_naming(struct wgconf *c, struct wgconf_naming *r)
{
	c->names = r->names;
	memcpy(c->conventions, r->conventions, sizeof(c->conventions));
	c->mark = r->mark;
	memcpy(c->mark_conventions, r->mark_conventions, sizeof(c->mark_conventions));
	c->mark_order = r->mark_order;
	for (size_t i = 0; i < r->n_sites; ++i) {
		const struct site *st = &r->sites[i];
		struct wsec *sec;

		if (st->header >= c->n_lines || c->lines[st->header].kind != L_SECTION)
			continue;
		sec = &c->secs[c->lines[st->header].sec];
		if (sec->type != S_PEER || sec->header != st->header)
			continue;
		sec->name_line = st->name_line;
		sec->above_line = st->above_line;
		sec->pivpn_line = st->pivpn_line;
		sec->convention = st->convention;
		sec->tool_line = st->tool_line;
		if (st->tool_named && st->tool_line < c->n_lines) {
			sec->tool_v = st->name - c->lines[st->tool_line].off;
			sec->tool_ve = st->name_end - c->lines[st->tool_line].off;
		}
	}
	free(r->sites);
	memset(r, 0, sizeof(*r));
}

/*
 * Where each peer's name is written, and the names themselves, in the same pass, from the mark
 * from on (NULL: from the start), after the names and conventions c holds already.
 */
static int find_names(struct wgconf *c, const struct names_mark *from)
{
	struct wgconf_naming r = { .names = c->names };
	int ret;

	memcpy(r.conventions, c->conventions, sizeof(r.conventions));
	memset(&c->names, 0, sizeof(c->names));
	ret = naming_scan(&r, c->text, c->len, from, NULL);
	/* Taken whatever happened: the model frees the names it holds. */
	take_naming(c, &r);
	return ret;
}

int wgconf_naming_read(struct wgconf_naming **out, const char *text, size_t len, struct names_facts *facts)
{
	struct wgconf_naming *r = calloc(1, sizeof(*r));
	int ret;

	*out = NULL;
	if (!r)
		return -ENOMEM;
	if ((ret = naming_scan(r, text, len, NULL, facts)) < 0) {
		wgconf_naming_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

struct name_map *wgconf_naming_names(struct wgconf_naming *r)
{
	return &r->names;
}

void wgconf_naming_free(struct wgconf_naming *r)
{
	if (!r)
		return;
	names_clear(&r->names);
	free(r->sites);
	free(r);
}

/* Where a parse gets its names from, when not from a scan of its own. */
struct naming_src {
	struct wgconf_naming *(*wait)(void *ctx);
	void *ctx;
};

/* The reading src waits for, not taken: called before the text it reads is freed. */
static void naming_drop(const struct naming_src *src)
{
	if (src)
		wgconf_naming_free(src->wait(src->ctx));
}

/*
 * The names names.c reads in the model's text, read by find_names with the rest: a peer add
 * asked for them four times (the peers of the file, then both texts' names in verify), a scan
 * of 65,536 peers each. The model is never edited in place (commit swaps in a new one), so they
 * stay true. Not const only because names_lookup is not.
 */
static struct name_map *conf_names(const struct wgconf *c)
{
	return (struct name_map *)&c->names;
}

/*
 * The model of text, len bytes NUL-terminated in size allocated, which it takes: freed (wiped)
 * with the model, or here when it cannot be made.
 */
static int parse_taking(struct wgconf **out, char *text, size_t len, size_t size, const struct naming_src *src,
			struct wgconf_error *err)
{
	struct wgconf_naming *naming;
	struct wgconf *c;
	int ret;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > WGCONF_MAX_LEN) {
		naming_drop(src);
		wgconf_free_text(text, len);
		fail(err, 0, _("the file is larger than %u MiB"), WGCONF_MAX_LEN >> 20);
		return -EFBIG;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		naming_drop(src);
		wgconf_free_text(text, len);
		return -ENOMEM;
	}
	c->text = text;
	c->len = len;
	c->text_size = size;
	if ((ret = split_lines(c, err)) < 0)
		goto fail;
	for (size_t i = 0; i < c->n_lines; ++i)
		if ((ret = classify(c, i, err)) < 0)
			goto fail;
	if ((ret = fill_pool(c)) < 0 || (ret = build_sections(c, err)) < 0 ||
	    (ret = check_duplicates(c, err)) < 0)
		goto fail;
	find_markers(c);
	if (src) {
		naming = src->wait(src->ctx);
		src = NULL;
		if (!naming) {
			ret = -ENOMEM;
			goto fail;
		}
		take_naming(c, naming);
		wgconf_naming_free(naming);
	} else if ((ret = find_names(c, NULL)) < 0) {
		goto fail;
	}
	*out = c;
	return 0;
fail:
	naming_drop(src);
	wgconf_free(c);
	return ret;
}

/* A copy of n elements of size sz (NULL for none); false when memory ran out. */
static bool copy_array(void *dst, const void *src, size_t n, size_t sz)
{
	void **d = dst;

	*d = NULL;
	if (!n)
		return true;
	if (!(*d = malloc(n * sz)))
		return false;
	memcpy(*d, src, n * sz);
	return true;
}

/* c's arrays where n, which shares them, now has them: growing them may have moved them. */
static void continue_follow(struct wgconf *c, const struct wgconf *n)
{
	if (n->lines)
		c->lines = n->lines;
	if (n->secs)
		c->secs = n->secs;
	if (n->pool)
		c->pool = n->pool;
	if (n->peer_aips) {
		c->peer_aips = n->peer_aips;
		c->cap_peer_aips = n->cap_peer_aips;
	}
}

/* m no longer holds the arrays it shared. */
static void continue_drop(struct wgconf *m)
{
	m->lines = NULL;
	m->n_lines = 0;
	m->secs = NULL;
	m->n_secs = 0;
	m->pool = NULL;
	m->pool_len = 0;
	m->peer_aips = NULL;
	m->n_peer_aips = m->cap_peer_aips = 0;
}

static void secs_wipe(struct wsec *v, size_t n)
{
	for (size_t k = 0; v && k < n; ++k)
		if (v[k].has_psk)
			key_wipe(v[k].psk, WG_KEY_LEN);
}

/* Sections freed, their preshared keys wiped first. */
static void secs_free(struct wsec *v, size_t n)
{
	secs_wipe(v, n);
	free(v);
}

/* n, which continued c, keeps the arrays; c, about to go, lets them go. */
static void continue_keep(struct wgconf *c, struct wgconf *n)
{
	continue_drop(c);
	secs_free(n->base_secs, n->n_base_secs);
	n->base_secs = NULL;
	n->n_base_secs = 0;
	n->shared = false;
}

/*
 * c as it was before n continued it, and n freed (its text too, if n took it): the rest of the
 * arrays is c's again, and what only n held is wiped (the added values and sections may hold
 * a preshared key).
 */
static void continue_undo(struct wgconf *c, struct wgconf *n)
{
	continue_follow(c, n);
	if (c->n_lines)
		c->lines[c->n_lines - 1] = n->base_last;
	if (n->base_secs)
		memcpy(c->secs + n->same_secs, n->base_secs, (c->n_secs - n->same_secs) * sizeof(*c->secs));
	if (n->pool && n->pool_len > c->pool_len)
		key_wipe(c->pool + c->pool_len, n->pool_len - c->pool_len);
	for (size_t k = c->n_secs; n->secs && k < n->n_secs; ++k)
		key_wipe(n->secs[k].psk, WG_KEY_LEN);
	continue_drop(n);
	wgconf_free(n);
}

/*
 * The model of text (len bytes, NUL-terminated in size allocated), which begins with c's text
 * and goes on, made by reading only the lines that follow c's: a peer add beside 100,000 peers
 * parsed 13 MB a second time. text may be c's own, written on past its end (commit_add). What
 * a line decides alone is kept. What spans lines is done again from c's last section on (its
 * end, its PiVPN markers, a repeated key) and the names from c's last mark on, as names.c
 * reads them. The result is parse_taking's, field for field: the unit tests hold the two side
 * by side. 1 when text is not c's and more (c's last line, open at its end, must stay the line
 * it was): then only parse_taking will do. Takes text on 0 only.
 *
 * The new model does not copy c's arrays of lines, sections, values and allowed IPs: it grows
 * them and shares them with c (n->shared), which sees them as before with its own counts: 55 MB
 * fewer to fault in and copy beside 100,000 peers. c's last line and the sections read again
 * are kept as they were for verify. On failure, and until continue_keep or continue_undo, c
 * and the new model go together.
 */
static int parse_continued(struct wgconf *c, char *text, size_t len, size_t size, struct wgconf **out)
{
	size_t old = c->n_lines, first, total, cur, named = 0;
	bool open_end = old && !c->lines[old - 1].eol;
	struct wgconf *n;
	struct wline *lines;
	int ret = -ENOMEM;

	*out = NULL;
	if (len > WGCONF_MAX_LEN || len < c->len || (text != c->text && memcmp(text, c->text, c->len)) ||
	    memchr(text + c->len, '\0', len - c->len))
		return 1;
	/* An open last line is split again with what follows it, and must come out the same. */
	first = open_end ? old - 1 : old;
	if (!(n = calloc(1, sizeof(*n))))
		return -ENOMEM;
	n->text = text;
	n->len = len;
	n->text_size = size;
	n->shared = true;
	cur = old ? c->lines[old - 1].sec : NO_LINE;
	/* Named for good: the sections above the mark. The same: those above the section walked again. */
	while (named < c->n_secs && c->mark.set && c->secs[named].header < c->mark.line)
		++named;
	n->same_secs = cur == NO_LINE || named < cur ? named : cur;
	/* What the last line and the sections from there on were: verify holds the new ones against them. */
	if (old)
		n->base_last = c->lines[old - 1];
	if (c->n_secs > n->same_secs &&
	    !copy_array(&n->base_secs, c->secs + n->same_secs, c->n_secs - n->same_secs, sizeof(*c->secs)))
		goto fail;
	n->n_base_secs = n->base_secs ? c->n_secs - n->same_secs : 0;
	total = first + count_lines(text + (open_end ? c->lines[old - 1].off : c->len), text + len);
	if (!(lines = realloc(c->lines, (total ? total : 1) * sizeof(*lines))))
		goto fail;
	c->lines = n->lines = lines;
	n->n_lines = total;
	split_from(n, first, text + (open_end ? n->base_last.off : c->len));
	if (open_end) {
		uint8_t eol = n->lines[old - 1].eol;

		if (total < old || n->lines[old - 1].len != n->base_last.len) {
			ret = 1;
			goto fail;
		}
		n->lines[old - 1] = n->base_last;
		n->lines[old - 1].eol = eol;
	}
	for (size_t i = old; i < total; ++i)
		if (classify(n, i, NULL) < 0) {
			ret = -ENOTSUP;
			goto fail;
		}
	/* The old values where they are in c's pool, then the new lines'. */
	n->pool = c->pool;
	n->pool_len = c->pool_len;
	if ((ret = fill_pool_from(n, old)) < 0)
		goto fail;
	c->pool = n->pool;
	ret = -ENOMEM;
	{
		struct wsec *secs = realloc(c->secs, (c->n_secs + count_headers(n, old) + 1) * sizeof(*secs));

		if (!secs)
			goto fail;
		c->secs = n->secs = secs;
		n->n_secs = c->n_secs;
	}
	if (!copy_array(&n->addrs, c->addrs, c->n_addrs, sizeof(*n->addrs)))
		goto fail;
	n->n_addrs = n->cap_addrs = c->n_addrs;
	/* Room for an added peer's allowed IPs, at once. */
	if (c->cap_peer_aips < c->n_peer_aips + ROOM_AIPS) {
		struct wg_allowedip *v = realloc(c->peer_aips, (c->n_peer_aips + ROOM_AIPS) * sizeof(*v));

		if (!v)
			goto fail;
		c->peer_aips = v;
		c->cap_peer_aips = c->n_peer_aips + ROOM_AIPS;
	}
	n->peer_aips = c->peer_aips;
	n->n_peer_aips = c->n_peer_aips;
	n->cap_peer_aips = c->cap_peer_aips;
	ret = walk_sections(n, old, cur, NULL);
	continue_follow(c, n);
	if (ret < 0) {
		ret = ret == -ENOMEM ? ret : -ENOTSUP;
		goto fail;
	}
	/* A new [Peer] with the key of one before it, as check_duplicates would find it. */
	for (size_t k = c->n_secs; k < n->n_secs; ++k)
		for (size_t j = 0; j < k && n->secs[k].type == S_PEER; ++j)
			if (n->secs[j].type == S_PEER && !memcmp(n->secs[j].key, n->secs[k].key, WG_KEY_LEN)) {
				ret = -ENOTSUP;
				goto fail;
			}
	find_markers_from(n, c->n_secs ? c->n_secs - 1 : 0);
	/*
	 * The names are read on from c's last mark, the start of its last section: a line added
	 * below a peer may name it, but nothing after a header names a section above it. The
	 * names found before it are c's, and the sections above it are final. Every [Peer] from
	 * there is seen again and its sites set anew, but for the bytes of another tool's name,
	 * which are set only when that name counts.
	 */
	ret = -ENOMEM;
	if (c->mark.set && names_copy_before(&n->names, &c->names, c->mark_order) < 0)
		goto fail;
	if (c->mark.set)
		memcpy(n->conventions, c->mark_conventions, sizeof(n->conventions));
	for (size_t k = named; k < n->n_secs; ++k)
		n->secs[k].tool_v = n->secs[k].tool_ve = 0;
	if ((ret = find_names(n, c->mark.set ? &c->mark : NULL)) < 0)
		goto fail;
	*out = n;
	return 0;
fail:
	n->text = NULL;
	continue_undo(c, n);
	return ret;
}

int wgconf_parse(struct wgconf **out, const char *text, size_t len, struct wgconf_error *err)
{
	char *copy;

	/* Too large: parse_taking says so, before any copy. */
	if (len > WGCONF_MAX_LEN)
		return parse_taking(out, NULL, len, 0, NULL, err);
	if (!(copy = malloc(len + 1))) {
		*out = NULL;
		if (err)
			memset(err, 0, sizeof(*err));
		return -ENOMEM;
	}
	if (len)
		memcpy(copy, text, len);
	copy[len] = '\0';
	return parse_taking(out, copy, len, len + 1, NULL, err);
}

int wgconf_parse_taking(struct wgconf **out, char *text, size_t len, size_t size, struct wgconf_error *err)
{
	return wgconf_parse_taking_named(out, text, len, size, NULL, NULL, err);
}

int wgconf_parse_taking_named(struct wgconf **out, char *text, size_t len, size_t size,
			      struct wgconf_naming *(*wait)(void *ctx), void *ctx, struct wgconf_error *err)
{
	struct naming_src src = { wait, ctx };

	if (size <= len) {
		*out = NULL;
		if (err)
			memset(err, 0, sizeof(*err));
		naming_drop(wait ? &src : NULL);
		wgconf_free_text(text, len);
		return -EINVAL;
	}
	return parse_taking(out, text, len, size, wait ? &src : NULL, err);
}

void wgconf_wipe(struct wgconf *c)
{
	if (!c)
		return;
	/* The text holds the PrivateKey, the pool its value, the sections their preshared keys. */
	if (c->text)
		key_wipe(c->text, c->len);
	if (c->pool)
		key_wipe(c->pool, c->pool_len);
	secs_wipe(c->secs, c->n_secs);
	secs_wipe(c->base_secs, c->n_base_secs);
}

void wgconf_free(struct wgconf *c)
{
	if (!c)
		return;
	wgconf_wipe(c);
	free(c->text);
	free(c->pool);
	free(c->lines);
	free(c->peer_aips);
	free(c->secs);
	free(c->addrs);
	free(c->base_secs);
	names_clear(&c->names);
	free(c);
}

char *wgconf_render(const struct wgconf *c, size_t *len)
{
	char *out = malloc(c->len + 1);

	if (!out)
		return NULL;
	memcpy(out, c->text, c->len + 1);
	if (len)
		*len = c->len;
	return out;
}

const char *wgconf_text(const struct wgconf *c, size_t *len)
{
	*len = c->len;
	return c->text;
}

struct name_map *wgconf_names(const struct wgconf *c)
{
	return conf_names(c);
}

/* --- queries --- */

int wgconf_interface_addresses(const struct wgconf *c, struct wg_allowedip **out, size_t *n)
{
	*out = malloc((c->n_addrs ? c->n_addrs : 1) * sizeof(**out));
	*n = 0;
	if (!*out)
		return -ENOMEM;
	if (c->n_addrs)
		memcpy(*out, c->addrs, c->n_addrs * sizeof(**out));
	*n = c->n_addrs;
	return 0;
}

static const char *interface_value(const struct wgconf *c, const char *key)
{
	for (size_t i = 0; i < c->n_lines; ++i) {
		const struct wline *l = &c->lines[i];

		if (l->kind == L_KEY && c->secs[l->sec].type == S_INTERFACE && key_is(c, i, key))
			return line_value(c, i);
	}
	return NULL;
}

const char *wgconf_interface_value(const struct wgconf *c, const char *key)
{
	if (!strcasecmp(key, "PrivateKey"))
		return NULL;
	return interface_value(c, key);
}

bool wgconf_has_private_key(const struct wgconf *c)
{
	const char *v = interface_value(c, "PrivateKey");

	return v && *v;
}

static size_t find_peer(const struct wgconf *c, const uint8_t key[WG_KEY_LEN])
{
	for (size_t k = 0; k < c->n_secs; ++k)
		if (c->secs[k].type == S_PEER && !memcmp(c->secs[k].key, key, WG_KEY_LEN))
			return k;
	return NO_LINE;
}

bool wgconf_has_peer(const struct wgconf *c, const uint8_t key[WG_KEY_LEN])
{
	return find_peer(c, key) != NO_LINE;
}

void wgconf_peers_free(struct wgconf_peer_info *v, size_t n)
{
	free(v);
}

int wgconf_peers(const struct wgconf *c, struct wgconf_peer_info **out, size_t *n)
{
	/* The names are names.c's by construction: the console shows those. */
	struct name_map *names = conf_names(c);
	struct wgconf_peer_info *v;
	size_t m = 0;

	*out = NULL;
	*n = 0;
	for (size_t k = 0; k < c->n_secs; ++k)
		m += c->secs[k].type == S_PEER;
	if (!(v = malloc((m ? m : 1) * sizeof(*v))))
		return -ENOMEM;
	m = 0;
	for (size_t k = 0; k < c->n_secs; ++k) {
		const struct wsec *sec = &c->secs[k];
		struct wgconf_peer_info *p = &v[m];

		if (sec->type != S_PEER)
			continue;
		++m;
		memcpy(p->public_key, sec->key, WG_KEY_LEN);
		p->name = names_lookup(names, sec->key);
		p->allowedips = sec->n_aips ? sec_aips(c, sec) : NULL;
		p->n_allowedips = sec->n_aips;
		p->preshared_key = sec->has_psk ? sec->psk : NULL;
		p->endpoint = sec_endpoint(c, sec);
		p->persistent_keepalive = sec->keepalive;
		p->line = (unsigned int)sec->header + 1;
	}
	*out = v;
	*n = m;
	return 0;
}

/* --- edits --- */

/* The new text of the file; the old text may hold a private key, so no copy is left behind. */
struct sbuf {
	char *p;
	size_t len, cap;
	/*
	 * The room to take at the first byte: a copy of the whole file gives its size. Doubling
	 * from nothing copied (and wiped) a 9 MB file's bytes nearly twice more, on fresh pages.
	 */
	size_t hint;
	bool oom;
};

static void sb_put(struct sbuf *b, const void *s, size_t n)
{
	if (b->oom || !n)
		return;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : b->hint > 256 ? b->hint : 256;
		char *p;

		while (cap - b->len < n) {
			if (cap > SIZE_MAX / 2) {
				b->oom = true;
				return;
			}
			cap *= 2;
		}
		p = malloc(cap);
		if (!p) {
			b->oom = true;
			return;
		}
		if (b->p) {
			memcpy(p, b->p, b->len);
			key_wipe(b->p, b->cap);
			free(b->p);
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_free(struct sbuf *b)
{
	if (b->p)
		key_wipe(b->p, b->cap);
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static const char *eol_text(uint8_t eol)
{
	return eol == 2 ? "\r\n" : eol == 1 ? "\n" : "";
}

static void sb_line(struct sbuf *b, const struct wgconf *c, size_t i)
{
	sb_put(b, line_text(c, i), c->lines[i].len + c->lines[i].eol);
}

/* The line end the file uses where it ends: that of its last terminated line. */
static const char *file_eol(const struct wgconf *c)
{
	for (size_t i = c->n_lines; i-- > 0;)
		if (c->lines[i].eol)
			return eol_text(c->lines[i].eol);
	return "\n";
}

/*
 * Line i, then a new line after it. When line i was the last and had no line end, it gets one
 * and the new line goes without, so a file without a final newline stays so.
 */
static void sb_line_then(struct sbuf *b, const struct wgconf *c, size_t i, const char *text, size_t len)
{
	const struct wline *l = &c->lines[i];

	sb_line(b, c, i);
	if (l->eol) {
		sb_put(b, text, len);
		sb_str(b, eol_text(l->eol));
	} else {
		sb_str(b, file_eol(c));
		sb_put(b, text, len);
	}
}

/* Line i with [v, ve) (offsets in the line) replaced by val; an empty value gets its spaces. */
static void sb_replaced(struct sbuf *b, const struct wgconf *c, size_t i, size_t v, size_t ve,
			const char *val, size_t vlen)
{
	const char *s = line_text(c, i);
	size_t len = c->lines[i].len;

	sb_put(b, s, v);
	if (v == ve && v > 0 && s[v - 1] != ' ' && s[v - 1] != '\t')
		sb_str(b, " ");
	sb_put(b, val, vlen);
	if (v == ve && ve < len && s[ve] != ' ' && s[ve] != '\t')
		sb_str(b, " ");
	sb_put(b, s + ve, len - ve);
	sb_str(b, eol_text(c->lines[i].eol));
}

static bool aip_valid(const struct wg_allowedip *a)
{
	return (a->family == AF_INET && a->cidr <= 32) || (a->family == AF_INET6 && a->cidr <= 128);
}

/* wg(8)'s way: "10.0.0.5/32, fd00::5/128". */
static void sb_aips(struct sbuf *b, const struct wg_allowedip *v, size_t n)
{
	char addr[INET6_ADDRSTRLEN], cidr[8];

	for (size_t i = 0; i < n; ++i) {
		const void *ip = v[i].family == AF_INET ? (const void *)&v[i].ip4 : (const void *)&v[i].ip6;

		if (!inet_ntop(v[i].family, ip, addr, sizeof(addr))) {
			b->oom = true;
			return;
		}
		snprintf(cidr, sizeof(cidr), "/%u", v[i].cidr);
		if (i)
			sb_str(b, ", ");
		sb_str(b, addr);
		sb_str(b, cidr);
	}
}

/* A name that reads back as itself through names.c, in a "# Name =" comment and in markers alike. */
static bool name_valid(const char *name)
{
	return text_name_check(name) == TEXT_NAME_OK;
}

enum edit_op { OP_ADD, OP_REMOVE, OP_ALLOWEDIPS, OP_NAME };

/* What an edit means to do; the result is read again and held against it. */
struct expect {
	enum edit_op op;
	const uint8_t *key;
	const char *name;
	const struct wg_allowedip *v;
	size_t n;
	const uint8_t *psk;
	uint16_t keepalive;
};

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static bool same_aips(const struct wg_allowedip *a, size_t na, const struct wg_allowedip *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; ++i)
		if (a[i].family != b[i].family || wg_allowedip_cmp(&a[i], &b[i]))
			return false;
	return true;
}

/* A peer of the old file (in model ca) against one of the new (in cb), as wgconf_peers would give them. */
static bool same_sec(const struct wgconf *ca, const struct wsec *a, const char *name_a, const struct wgconf *cb,
		     const struct wsec *b, const char *name_b, bool name, bool aips)
{
	return !memcmp(a->key, b->key, WG_KEY_LEN) && a->has_psk == b->has_psk &&
	       (!a->has_psk || !memcmp(a->psk, b->psk, WG_KEY_LEN)) && a->keepalive == b->keepalive &&
	       same_str(sec_endpoint(ca, a), sec_endpoint(cb, b)) && (!name || same_str(name_a, name_b)) &&
	       (!aips || same_aips(sec_aips(ca, a), a->n_aips, sec_aips(cb, b), b->n_aips));
}

/* The next [Peer] of c from section *k on, or NULL. */
static const struct wsec *next_peer(const struct wgconf *c, size_t *k)
{
	while (*k < c->n_secs)
		if (c->secs[(*k)++].type == S_PEER)
			return &c->secs[*k - 1];
	return NULL;
}

/* The same of was, as it was before now continued it, if it did (base_secs). */
static const struct wsec *next_base_peer(const struct wgconf *was, const struct wgconf *now, size_t *k)
{
	while (*k < was->n_secs) {
		const struct wsec *sec = now->base_secs && *k >= now->same_secs ? &now->base_secs[*k - now->same_secs] :
										&was->secs[*k];

		++*k;
		if (sec->type == S_PEER)
			return sec;
	}
	return NULL;
}

/*
 * The names read after now's first same sections (order from on in its map) leave the names
 * of the peers among them as they were in was.
 */
static bool names_stay(const struct wgconf *was, const struct wgconf *now, size_t same, size_t order)
{
	struct name_map *na = conf_names(was), *nb = conf_names(now);

	/* Sorted and without a key twice: a name that lost to an earlier one names nobody. */
	names_sort(nb);
	for (size_t i = 0; i < nb->n; ++i) {
		if (nb->v[i].order < order)
			continue;
		for (size_t k = 0; k < same; ++k)
			if (now->secs[k].type == S_PEER && !memcmp(now->secs[k].key, nb->v[i].key, WG_KEY_LEN) &&
			    !same_str(names_lookup(na, nb->v[i].key), nb->v[i].name))
				return false;
	}
	return true;
}

/*
 * Every peer of the old file is in the new one, in the same order and the same but for the
 * edit, and nothing else is: read from the sections as they are (wgconf_peers would copy
 * every peer, three times over for a 65,536-peer file). The first same sections of now were
 * copied from was's by parse_continued, with their names: only a name added below for one of
 * them could differ (names_stay), and the rest is compared.
 */
static int verify(const struct wgconf *was, const struct wgconf *now, size_t same, const struct expect *x)
{
	struct name_map *na = conf_names(was), *nb = conf_names(now);
	const struct wsec *q;
	size_t i = same, j = same;
	int ret = -ENOTSUP;

	if (!same_aips(was->addrs, was->n_addrs, now->addrs, now->n_addrs) ||
	    wgconf_has_private_key(was) != wgconf_has_private_key(now))
		goto out;
	if (same && (same > was->n_secs || same > now->n_secs || !names_stay(was, now, same, was->mark_order)))
		goto out;
	for (const struct wsec *a; (a = next_base_peer(was, now, &i));) {
		bool target = x->key && !memcmp(a->key, x->key, WG_KEY_LEN);
		const char *name_q;

		if (target && x->op == OP_REMOVE)
			continue;
		if (!(q = next_peer(now, &j)))
			goto out;
		name_q = names_lookup(nb, q->key);
		if (!same_sec(was, a, names_lookup(na, a->key), now, q, name_q, !(target && x->op == OP_NAME),
			      !(target && x->op == OP_ALLOWEDIPS)))
			goto out;
		if (target && x->op == OP_NAME && !same_str(name_q, x->name))
			goto out;
		if (target && x->op == OP_ALLOWEDIPS && !same_aips(sec_aips(now, q), q->n_aips, x->v, x->n))
			goto out;
	}
	/* wgconf_test_kept: peers added, which it does not say. */
	if (x->op == OP_ADD && !x->key) {
		ret = 0;
		goto out;
	}
	if (x->op == OP_ADD) {
		if (!(q = next_peer(now, &j)) || memcmp(q->key, x->key, WG_KEY_LEN) ||
		    !same_str(names_lookup(nb, q->key), x->name) || !same_aips(sec_aips(now, q), q->n_aips, x->v, x->n) ||
		    q->has_psk != !!x->psk || (x->psk && memcmp(q->psk, x->psk, WG_KEY_LEN)) ||
		    q->keepalive != x->keepalive || q->endpoint)
			goto out;
	}
	if (!next_peer(now, &j))
		ret = 0;
out:
	return ret;
}

void (*wgconf_test_edit)(char *text, size_t len);

/* c's text as it was, after an add wrote on past its end in place: what was added wiped. */
static void unappend(struct wgconf *c, size_t len)
{
	key_wipe(c->text + c->len, len - c->len);
	c->text[c->len] = '\0';
}

/*
 * Parses the new text (len bytes NUL-terminated, size allocated; taken, or c's own text
 * written on past its end), holds it against what was meant, and only then takes it.
 */
static int commit_text(struct wgconf *c, char *text, size_t len, size_t size, const struct expect *x)
{
	bool in_place = text == c->text;
	struct wgconf *n, tmp;
	int ret;

	if (wgconf_test_edit)
		wgconf_test_edit(text, len);
	/* An added peer only adds lines: the old ones need no second reading. */
	ret = x->op == OP_ADD ? parse_continued(c, text, len, size, &n) : 1;
	if (ret > 0 && in_place) {
		/* Read whole after all: from a copy of its own, and c's text is c's again. */
		char *copy = malloc(len + 1);

		if (copy)
			memcpy(copy, text, len + 1);
		unappend(c, len);
		if (!copy)
			return -ENOMEM;
		text = copy;
		size = len + 1;
		in_place = false;
	}
	if (ret > 0)
		ret = parse_taking(&n, text, len, size, NULL, NULL);
	else if (ret < 0 && in_place)
		unappend(c, len);
	else if (ret < 0)
		wgconf_free_text(text, len);
	if (ret < 0)
		return ret == -ENOMEM ? ret : -ENOTSUP;
	if ((ret = verify(c, n, n->same_secs, x)) < 0) {
		if (in_place)
			n->text = NULL;
		if (n->shared)
			continue_undo(c, n);
		else
			wgconf_free(n);
		if (in_place)
			unappend(c, len);
		return ret;
	}
	if (n->shared)
		continue_keep(c, n);
	/* Only verify may take the sections as read: they are the old model's, which goes. */
	n->same_secs = 0;
	tmp = *c;
	*c = *n;
	*n = tmp;
	/* Written in place, the text is the new model's alone now. */
	if (in_place)
		n->text = NULL;
	wgconf_free(n);
	return 0;
}

/* commit_text of the whole new text in b, which it takes: the model's, without a copy. */
static int commit(struct wgconf *c, struct sbuf *b, const struct expect *x)
{
	char *text;
	size_t len, size;

	sb_put(b, "", 1);
	if (b->oom)
		return -ENOMEM;
	text = b->p;
	len = --b->len;
	size = b->cap;
	memset(b, 0, sizeof(*b));
	return commit_text(c, text, len, size, x);
}

/*
 * commit of an add, whose lines in tail follow c's text: written on past its end when its
 * allocation holds them (peerops reads a file with room to spare), not copied with it into a
 * new one, 13 MB at 100,000 peers, and wiped again on refusal.
 */
static int commit_add(struct wgconf *c, const struct sbuf *tail, const struct expect *x)
{
	size_t len = c->len + tail->len;
	struct sbuf b = { .hint = len + 1024 };
	int ret;

	if (tail->oom)
		return -ENOMEM;
	if (c->text && len < c->text_size) {
		memcpy(c->text + c->len, tail->p, tail->len);
		c->text[len] = '\0';
		return commit_text(c, c->text, len, c->text_size, x);
	}
	sb_put(&b, c->text, c->len);
	sb_put(&b, tail->p, tail->len);
	ret = commit(c, &b, x);
	sb_free(&b);
	return ret;
}

/* The first line of what belongs to section k: its header, or the comments and marker above. */
/*
 * Line i closes a Nyr or wireguard-manager block (it belongs to the peer above it), or is a
 * line of a peer PiVPN holds disabled ("#[disabled] ", markers included): either way not the
 * next peer's comment.
 */
static bool closes_block(const struct wgconf *c, size_t i)
{
	const char *s, *e, *v, *ve;
	bool open;

	line_trimmed(c, i, &s, &e);
	if (e - s >= 11 && !strncmp(s, "#[disabled]", 11))
		return true;
	return names_block_marker(s, e, &open, &v, &ve) != NAMES_NONE && !open;
}

static size_t sec_head(const struct wgconf *c, size_t k)
{
	const struct wsec *sec = &c->secs[k];
	size_t j = sec->header;

	while (j > 0 && plain_comment(c, j - 1) && !closes_block(c, j - 1))
		--j;
	if (sec->begin_mark != NO_LINE && j > 0 && j - 1 == sec->begin_mark) {
		--j;
		while (j > 0 && plain_comment(c, j - 1) && !closes_block(c, j - 1))
			--j;
	}
	return j;
}

/*
 * The last line of section k: the last one before the next section's head that is not blank,
 * not after its own PiVPN end marker, and not a marker it does not own (PiVPN markers around
 * several peers stay with the others).
 */
static size_t sec_body_end(const struct wgconf *c, size_t k)
{
	const struct wsec *sec = &c->secs[k];
	size_t stop = k + 1 < c->n_secs ? sec_head(c, k + 1) : c->n_lines, last = sec->header;

	for (size_t j = stop; j-- > sec->header + 1;) {
		const struct wline *l = &c->lines[j];

		if (l->kind == L_BLANK || plain_comment(c, j))
			continue;
		if (l->mark != M_NONE && j != sec->end_mark) {
			stop = j;
			continue;
		}
		if (j == sec->end_mark)
			stop = j + 1;
		break;
	}
	for (size_t j = sec->header; j < stop; ++j)
		if (c->lines[j].kind != L_BLANK)
			last = j;
	return last;
}

/* wireguard-manager appends its blocks with no blank line between, after "# NAME end". */
static bool last_is_block_end(const struct wgconf *c)
{
	const char *s, *e, *v, *ve;
	bool open;

	if (!c->n_lines)
		return false;
	line_trimmed(c, c->n_lines - 1, &s, &e);
	return names_block_marker(s, e, &open, &v, &ve) == NAMES_WG_MANAGER && !open;
}

static bool uses_pivpn(const struct wgconf *c)
{
	for (size_t k = 0; k < c->n_secs; ++k)
		if (c->secs[k].begin_mark != NO_LINE)
			return true;
	return false;
}

static void sb_peer_line(struct sbuf *b, const char *eol, bool *first, const char *a, const char *z)
{
	if (!*first)
		sb_str(b, eol);
	*first = false;
	sb_str(b, a);
	if (z)
		sb_str(b, z);
}

/*
 * Appends the peer, named the file's way: conv is the convention (PiVPN's markers around it,
 * angristan's "### Client" above, Nyr's and wireguard-manager's markers around, Algo's bare
 * first comment, the exporter's and WGDashboard's comments inside), else "# Name =".
 */
static int add_peer(struct wgconf *c, const struct wgconf_new_peer *p, enum names_convention conv, bool sep)
{
	bool pivpn = conv == NAMES_PIVPN;
	struct expect x = { .op = OP_ADD, .key = p->public_key, .name = p->name, .v = p->allowedips,
			    .n = p->n_allowedips, .keepalive = p->persistent_keepalive };
	struct sbuf b = { .hint = 512 };	/* the lines added */
	const char *eol = file_eol(c);
	char b64[WG_KEY_B64_LEN], num[8];
	bool open_end = c->n_lines && !c->lines[c->n_lines - 1].eol, first = true;
	int ret;

	/* An all-zero key is no key, to wg(8) and to the parser. */
	if (p->preshared_key && !key_is_zero(p->preshared_key))
		x.psk = p->preshared_key;
	if (open_end) {
		const struct wline *l = &c->lines[c->n_lines - 1];

		/* A last line ending in a lone CR must not become CRLF and lose its CR later. */
		sb_str(&b, l->len && line_text(c, c->n_lines - 1)[l->len - 1] == '\r' ? "\r\n" : eol);
	}
	if (sep)
		sb_str(&b, eol);
	if (p->name) {
		switch (conv) {
		case NAMES_PIVPN:
			sb_peer_line(&b, eol, &first, "### begin ", p->name);
			sb_str(&b, " ###");
			break;
		case NAMES_ANGRISTAN:
			sb_peer_line(&b, eol, &first, "### Client ", p->name);
			break;
		case NAMES_NYR:
			sb_peer_line(&b, eol, &first, "# BEGIN_PEER ", p->name);
			break;
		case NAMES_WG_MANAGER:
			sb_peer_line(&b, eol, &first, "# ", p->name);
			sb_str(&b, " start");
			break;
		default:
			break;
		}
	}
	sb_peer_line(&b, eol, &first, "[Peer]", NULL);
	if (p->name) {
		switch (conv) {
		case NAMES_PIVPN:
		case NAMES_ANGRISTAN:
		case NAMES_NYR:
		case NAMES_WG_MANAGER:
			break;
		case NAMES_FIRST_COMMENT:
			sb_peer_line(&b, eol, &first, "# ", p->name);
			break;
		case NAMES_FRIENDLY:
			sb_peer_line(&b, eol, &first, "# friendly_name = ", p->name);
			break;
		case NAMES_WGDASHBOARD:
			sb_peer_line(&b, eol, &first, "#Name# = ", p->name);
			break;
		default:
			sb_peer_line(&b, eol, &first, "# Name = ", p->name);
			break;
		}
	}
	key_to_base64(b64, p->public_key);
	sb_peer_line(&b, eol, &first, "PublicKey = ", b64);
	if (p->preshared_key) {
		key_to_base64(b64, p->preshared_key);
		sb_peer_line(&b, eol, &first, "PresharedKey = ", b64);
		key_wipe(b64, sizeof(b64));
	}
	if (p->n_allowedips) {
		sb_peer_line(&b, eol, &first, "AllowedIPs = ", NULL);
		sb_aips(&b, p->allowedips, p->n_allowedips);
	}
	if (p->persistent_keepalive) {
		snprintf(num, sizeof(num), "%u", p->persistent_keepalive);
		sb_peer_line(&b, eol, &first, "PersistentKeepalive = ", num);
	}
	if (p->name && pivpn) {
		sb_peer_line(&b, eol, &first, "### end ", p->name);
		sb_str(&b, " ###");
	} else if (p->name && conv == NAMES_NYR) {
		sb_peer_line(&b, eol, &first, "# END_PEER ", p->name);
	} else if (p->name && conv == NAMES_WG_MANAGER) {
		sb_peer_line(&b, eol, &first, "# ", p->name);
		sb_str(&b, " end");
	}
	if (!open_end)
		sb_str(&b, eol);
	ret = commit_add(c, &b, &x);
	sb_free(&b);
	return ret;
}

int wgconf_add_peer(struct wgconf *c, const struct wgconf_new_peer *p)
{
	enum names_convention conv = names_convention_of(c->conventions);
	bool pivpn, sep;
	int ret;

	/* PiVPN's markers in a PiVPN file, even one whose peers have no name yet. */
	if (conv == NAMES_NONE && uses_pivpn(c))
		conv = NAMES_PIVPN;
	pivpn = conv == NAMES_PIVPN;

	if (!p->public_key || (p->name && !name_valid(p->name)) || (p->n_allowedips && !p->allowedips))
		return -EINVAL;
	for (size_t i = 0; i < p->n_allowedips; ++i)
		if (!aip_valid(&p->allowedips[i]))
			return -EINVAL;
	if (wgconf_has_peer(c, p->public_key))
		return -EEXIST;
	/* PiVPN appends its blocks with no blank line between: so do we in its files. */
	sep = c->n_lines && !(pivpn && c->lines[c->n_lines - 1].mark == M_END) &&
	      !(conv == NAMES_WG_MANAGER && last_is_block_end(c));
	ret = add_peer(c, p, conv, sep);
	/* A stray "# Name" just above would name the new peer: a blank line keeps it off. */
	if (ret == -ENOTSUP && !sep && c->n_lines)
		ret = add_peer(c, p, conv, true);
	/* A name the tool's way cannot carry ("# a=b" is no bare comment): wgstar's own way. */
	if (ret == -ENOTSUP && conv != NAMES_NATIVE && conv != NAMES_PIVPN && conv != NAMES_NONE)
		ret = add_peer(c, p, NAMES_NATIVE, c->n_lines != 0);
	return ret;
}

/* Writes the file without lines [first, last] and the line blank (NO_LINE: none). */
static void sb_without(struct sbuf *b, const struct wgconf *c, size_t first, size_t last, size_t blank)
{
	size_t kept = NO_LINE;

	for (size_t i = 0; i < c->n_lines; ++i) {
		if ((i >= first && i <= last) || i == blank)
			continue;
		sb_line(b, c, i);
		kept = i;
	}
	/*
	 * The file ended without a line end and its last line is gone: the line now last loses
	 * its line end, so the file keeps its style (and an add undone gives the old bytes back).
	 */
	if (kept != NO_LINE && !c->lines[c->n_lines - 1].eol && kept < c->n_lines - 1)
		b->len -= c->lines[kept].eol;
}

int wgconf_remove_peer(struct wgconf *c, const uint8_t key[WG_KEY_LEN])
{
	struct expect x = { .op = OP_REMOVE, .key = key };
	size_t k = find_peer(c, key), first, last, blanks[3], n = 0;
	int ret = -ENOTSUP;

	if (k == NO_LINE)
		return -ENOENT;
	first = sec_head(c, k);
	last = sec_body_end(c, k);
	/*
	 * One blank line that set it apart goes with it: the one above, or else the one below.
	 * Unless that joins a "# Name" comment to the [Peer] below it, which would rename that
	 * peer: then the next choice, down to keeping every blank line.
	 */
	if (first > 0 && c->lines[first - 1].kind == L_BLANK)
		blanks[n++] = first - 1;
	if (last + 1 < c->n_lines && c->lines[last + 1].kind == L_BLANK)
		blanks[n++] = last + 1;
	blanks[n++] = NO_LINE;
	for (size_t i = 0; i < n && ret == -ENOTSUP; ++i) {
		struct sbuf b = { .hint = c->len + 1024 };

		sb_without(&b, c, first, last, blanks[i]);
		ret = commit(c, &b, &x);
		sb_free(&b);
	}
	return ret;
}

int wgconf_set_allowedips(struct wgconf *c, const uint8_t key[WG_KEY_LEN], const struct wg_allowedip *v,
			  size_t n)
{
	struct expect x = { .op = OP_ALLOWEDIPS, .key = key, .v = v, .n = n };
	struct sbuf b = { .hint = c->len + 1024 }, val = { 0 }, line = { 0 };
	size_t k = find_peer(c, key), first = NO_LINE, kept = NO_LINE;
	const struct wsec *sec;
	int ret;

	if (k == NO_LINE)
		return -ENOENT;
	if (n && !v)
		return -EINVAL;
	for (size_t i = 0; i < n; ++i)
		if (!aip_valid(&v[i]))
			return -EINVAL;
	sec = &c->secs[k];
	sb_aips(&val, v, n);
	for (size_t i = sec->header + 1; i < sec->end && first == NO_LINE; ++i)
		if (key_is(c, i, "AllowedIPs"))
			first = i;
	if (first == NO_LINE && n) {
		const char *s = line_text(c, sec->key_line);
		size_t indent = 0;

		/* None yet: one after the PublicKey, indented as it is. */
		while (indent < c->lines[sec->key_line].len && (s[indent] == ' ' || s[indent] == '\t'))
			++indent;
		sb_put(&line, s, indent);
		sb_str(&line, "AllowedIPs = ");
		sb_put(&line, val.p, val.len);
	}
	for (size_t i = 0; i < c->n_lines; ++i) {
		const struct wline *l = &c->lines[i];

		if (i > sec->header && i < sec->end && key_is(c, i, "AllowedIPs")) {
			if (i != first || !n)
				continue;
			sb_replaced(&b, c, i, l->val_off, l->val_end, val.p, val.len);
		} else if (i == sec->key_line && line.len) {
			sb_line_then(&b, c, i, line.p, line.len);
		} else {
			sb_line(&b, c, i);
		}
		kept = i;
	}
	/* The last line, without a line end, is gone: the new last line goes without too. */
	if (kept != NO_LINE && kept < c->n_lines - 1 && !c->lines[c->n_lines - 1].eol)
		b.len -= c->lines[kept].eol;
	b.oom |= val.oom || line.oom;
	ret = commit(c, &b, &x);
	sb_free(&line);
	sb_free(&val);
	sb_free(&b);
	return ret;
}

/* Writes the file with the lines marked in del left out and line rep's [v, ve) set to name. */
static void sb_edit(struct sbuf *b, const struct wgconf *c, const bool *del, const size_t rep[2],
		    const size_t v[2], const size_t ve[2], const char *name)
{
	size_t kept = NO_LINE;

	for (size_t i = 0; i < c->n_lines; ++i) {
		if (del && del[i])
			continue;
		if (i == rep[0] || i == rep[1])
			sb_replaced(b, c, i, v[i == rep[0] ? 0 : 1], ve[i == rep[0] ? 0 : 1], name, strlen(name));
		else
			sb_line(b, c, i);
		kept = i;
	}
	if (del && kept != NO_LINE && !c->lines[c->n_lines - 1].eol && kept < c->n_lines - 1)
		b->len -= c->lines[kept].eol;
}

/* Where the value sits in a "# Name =" line or a PiVPN marker, as offsets in the line. */
static bool name_span(const struct wgconf *c, size_t i, size_t *v, size_t *ve)
{
	const char *s, *e, *a = NULL, *z = NULL;

	line_trimmed(c, i, &s, &e);
	/* A line of a peer PiVPN holds disabled, read as names.c reads it: after the mark. */
	if (e - s >= 11 && !strncmp(s, "#[disabled]", 11))
		for (s += 11; s < e && (*s == ' ' || *s == '\t');)
			s++;
	if (!names_pivpn_marker(s, e, "begin", &a, &z) && !names_pivpn_marker(s, e, "end", &a, &z) &&
	    !names_name_comment(s, e, &a, &z))
		return false;
	*v = (size_t)(a - line_text(c, i));
	*ve = (size_t)(z - line_text(c, i));
	return true;
}

/*
 * The end marker that closes peer k's Nyr or wireguard-manager block, with the name's bytes in
 * it; NO_LINE when there is none.
 */
static size_t block_end(const struct wgconf *c, size_t k, size_t *v, size_t *ve)
{
	const struct wsec *sec = &c->secs[k];
	const char *name = line_text(c, sec->tool_line) + sec->tool_v;
	size_t n = sec->tool_ve - sec->tool_v;

	for (size_t i = sec->header + 1; i < c->n_lines && i < sec->end; ++i) {
		const char *s, *e, *a, *z;
		bool open;

		line_trimmed(c, i, &s, &e);
		if (names_block_marker(s, e, &open, &a, &z) == sec->convention && !open && (size_t)(z - a) == n &&
		    !memcmp(a, name, n)) {
			*v = (size_t)(a - line_text(c, i));
			*ve = (size_t)(z - line_text(c, i));
			return i;
		}
	}
	return NO_LINE;
}

static int unset_name(struct wgconf *c, size_t k, const struct expect *x)
{
	const struct wsec *sec = &c->secs[k];
	size_t first = sec_head(c, k), last = sec_body_end(c, k), none[2] = { NO_LINE, NO_LINE };
	struct sbuf b = { .hint = c->len + 1 };
	bool *del = calloc(c->n_lines ? c->n_lines : 1, sizeof(*del));
	int ret;

	if (!del)
		return -ENOMEM;
	/* Every "# Name" the peer has, and markers around it alone: none may name it after. */
	for (size_t i = first; i <= last; ++i) {
		const char *s, *e, *v, *ve;

		line_trimmed(c, i, &s, &e);
		del[i] = (c->lines[i].kind == L_COMMENT && names_name_comment(s, e, &v, &ve)) ||
			 i == sec->begin_mark || i == sec->end_mark;
	}
	sb_edit(&b, c, del, none, none, none, "");
	ret = commit(c, &b, x);
	sb_free(&b);
	free(del);
	return ret;
}

int wgconf_set_name(struct wgconf *c, const uint8_t key[WG_KEY_LEN], const char *name)
{
	struct expect x = { .op = OP_NAME, .key = key, .name = name };
	size_t k = find_peer(c, key), rep[2] = { NO_LINE, NO_LINE }, v[2] = { 0 }, ve[2] = { 0 };
	const struct wsec *sec;
	struct sbuf b = { .hint = c->len + 1024 };
	int ret = -ENOTSUP;

	if (k == NO_LINE)
		return -ENOENT;
	if (!name)
		return unset_name(c, k, &x);
	if (!name_valid(name))
		return -EINVAL;
	sec = &c->secs[k];
	/* In place, where names.c reads it now. */
	if (sec->name_line != NO_LINE) {
		rep[0] = sec->name_line;
	} else if (sec->above_line != NO_LINE) {
		rep[0] = sec->above_line;
	} else if (sec->tool_line != NO_LINE) {
		/* Another tool's line, its own shape kept: only the name's bytes change. (names.c
		 * reports one only when it is the name that counts, so it outranks PiVPN's.) */
		rep[0] = sec->tool_line;
		v[0] = sec->tool_v;
		ve[0] = sec->tool_ve;
		if (sec->convention == NAMES_NYR || sec->convention == NAMES_WG_MANAGER)
			rep[1] = block_end(c, k, &v[1], &ve[1]);
	} else if (sec->pivpn_line != NO_LINE && sec->pivpn_line == sec->begin_mark) {
		rep[0] = sec->begin_mark;
		rep[1] = sec->end_mark;
	}
	/* A line that does not hold the name where names.c found one is not edited in place. */
	if (rep[0] != NO_LINE && sec->tool_line != rep[0] &&
	    (!name_span(c, rep[0], &v[0], &ve[0]) || (rep[1] != NO_LINE && !name_span(c, rep[1], &v[1], &ve[1]))))
		rep[0] = NO_LINE;
	if (rep[0] != NO_LINE) {
		sb_edit(&b, c, NULL, rep, v, ve, name);
		ret = commit(c, &b, &x);
		sb_free(&b);
	}
	/* Else, or if that did not read back: a name comment of its own right after [Peer]. */
	if (ret == -ENOTSUP) {
		struct sbuf line = { 0 };

		sb_str(&line, "# Name = ");
		sb_str(&line, name);
		for (size_t i = 0; i < c->n_lines; ++i) {
			if (i == sec->header)
				sb_line_then(&b, c, i, line.p, line.len);
			else
				sb_line(&b, c, i);
		}
		b.oom |= line.oom;
		sb_free(&line);
		ret = commit(c, &b, &x);
		sb_free(&b);
	}
	return ret;
}

/* Whether [s, e) holds KEY (any case) then optional blanks and '='; where the value starts. */
static const char *secret_value(const char *s, const char *e, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = s; p + n <= e; ++p) {
		const char *q;

		if (strncasecmp(p, key, n) || (p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '_')))
			continue;
		q = p + n;
		while (q < e && names_is_space(*q))
			++q;
		if (q < e && *q == '=')
			return q + 1;
	}
	return NULL;
}

char *wgconf_hide_keys(const char *text, size_t len)
{
	static const char hidden[] = " (hidden)";
	size_t lines = 1, o = 0;
	char *out;

	for (size_t i = 0; i < len; ++i)
		lines += text[i] == '\n';
	out = malloc(len + lines * sizeof(hidden) + 1);
	if (!out)
		return NULL;
	for (const char *p = text, *end = text + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *v;

		v = secret_value(p, e, "PrivateKey");
		if (!v)
			v = secret_value(p, e, "PresharedKey");
		if (v) {
			/* Keep what the line ends with (CR), so that nothing else looks changed. */
			const char *tail = e > p && e[-1] == '\r' ? e - 1 : e;

			memcpy(out + o, p, (size_t)(v - p));
			o += (size_t)(v - p);
			memcpy(out + o, hidden, sizeof(hidden) - 1);
			o += sizeof(hidden) - 1;
			memcpy(out + o, tail, (size_t)(e - tail));
			o += (size_t)(e - tail);
		} else {
			memcpy(out + o, p, (size_t)(e - p));
			o += (size_t)(e - p);
		}
		if (nl)
			out[o++] = '\n';
		p = nl ? nl + 1 : end;
	}
	out[o] = '\0';
	return out;
}

void wgconf_free_text(char *text, size_t len)
{
	if (!text)
		return;
	key_wipe(text, len == SIZE_MAX ? strlen(text) : len);
	free(text);
}

int wgconf_test_continue(const struct wgconf *c, const char *text, size_t len, struct wgconf **out, int *kept)
{
	char *copy = malloc(len + 1);
	struct wgconf *base;
	int ret;

	*out = NULL;
	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	copy[len] = '\0';
	/*
	 * The continued model takes its base's arrays: the base is a model of c's text as c is
	 * (its names sorted if c's are), and c stays the same for the tests to compare against.
	 */
	if ((ret = wgconf_parse(&base, c->text, c->len, NULL)) < 0) {
		free(copy);
		return ret;
	}
	if (c->names.sorted)
		names_sort(&base->names);
	if ((ret = parse_continued(base, copy, len, len + 1, out)) != 0) {
		free(copy);
	} else {
		/* Checked as commit checks it, while the two share their arrays. */
		struct expect x = { .op = OP_ADD };

		if (kept)
			*kept = verify(base, *out, (*out)->same_secs, &x);
		continue_keep(base, *out);
	}
	wgconf_free(base);
	return ret;
}

static bool same_value(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool same_held(const struct names_held *a, const struct names_held *b)
{
	return a->set == b->set && (!a->set || (a->v == b->v && a->ve == b->ve && a->line == b->line && a->conv == b->conv));
}

static bool same_mark(const struct names_mark *a, const struct names_mark *b)
{
	return a->set == b->set &&
	       (!a->set || (a->off == b->off && a->line == b->line && a->block_peers == b->block_peers &&
			    same_held(&a->pending, &b->pending) && same_held(&a->pivpn, &b->pivpn) &&
			    same_held(&a->up, &b->up) && same_held(&a->block, &b->block)));
}

int wgconf_test_kept(const struct wgconf *was, const struct wgconf *now)
{
	struct expect x = { .op = OP_ADD };

	return verify(was, now, now->same_secs, &x);
}

const char *wgconf_test_differ(const struct wgconf *a, const struct wgconf *b)
{
	if (a->len != b->len || memcmp(a->text, b->text, a->len))
		return "text";
	if (a->n_lines != b->n_lines)
		return "number of lines";
	for (size_t i = 0; i < a->n_lines; ++i) {
		const struct wline *x = &a->lines[i], *y = &b->lines[i];

		if (x->sec != y->sec || x->off != y->off || x->len != y->len || x->key_off != y->key_off ||
		    x->key_len != y->key_len || x->eq != y->eq || x->val_off != y->val_off ||
		    x->val_end != y->val_end || x->eol != y->eol || x->kind != y->kind || x->mark != y->mark ||
		    (x->kind == L_KEY && (x->value >= a->pool_len || y->value >= b->pool_len ||
					       strcmp(line_value(a, i), line_value(b, i)))))
			return "a line";
	}
	if (a->n_secs != b->n_secs)
		return "number of sections";
	for (size_t k = 0; k < a->n_secs; ++k) {
		const struct wsec *x = &a->secs[k], *y = &b->secs[k];

		if (x->type != y->type || x->header != y->header || x->end != y->end || x->key_line != y->key_line ||
		    memcmp(x->key, y->key, WG_KEY_LEN) || x->has_psk != y->has_psk ||
		    memcmp(x->psk, y->psk, WG_KEY_LEN) || x->keepalive != y->keepalive)
			return "a section";
		if ((x->endpoint && x->endpoint > a->pool_len) || (y->endpoint && y->endpoint > b->pool_len) ||
		    !same_value(sec_endpoint(a, x), sec_endpoint(b, y)))
			return "a section's endpoint";
		if (x->aip_first != y->aip_first || x->aip_first + x->n_aips > a->n_peer_aips ||
		    y->aip_first + y->n_aips > b->n_peer_aips ||
		    !same_aips(sec_aips(a, x), x->n_aips, sec_aips(b, y), y->n_aips))
			return "a section's allowed IPs";
		if (x->begin_mark != y->begin_mark || x->end_mark != y->end_mark)
			return "a section's markers";
		if (x->name_line != y->name_line || x->above_line != y->above_line || x->pivpn_line != y->pivpn_line ||
		    x->convention != y->convention || x->tool_line != y->tool_line || x->tool_v != y->tool_v ||
		    x->tool_ve != y->tool_ve)
			return "where a section's name is";
		if (x->type == S_PEER && !same_value(names_lookup(conf_names(a), x->key), names_lookup(conf_names(b), y->key)))
			return "a peer's name";
	}
	if (!same_aips(a->addrs, a->n_addrs, b->addrs, b->n_addrs) ||
	    !same_aips(a->peer_aips, a->n_peer_aips, b->peer_aips, b->n_peer_aips))
		return "the addresses";
	names_sort(conf_names(a));
	names_sort(conf_names(b));
	if (a->names.n != b->names.n || a->names.added != b->names.added)
		return "the number of names";
	for (size_t i = 0; i < a->names.n; ++i)
		if (memcmp(a->names.v[i].key, b->names.v[i].key, WG_KEY_LEN) ||
		    strcmp(a->names.v[i].name, b->names.v[i].name) || a->names.v[i].order != b->names.v[i].order)
			return "a name";
	if (memcmp(a->conventions, b->conventions, sizeof(a->conventions)))
		return "the conventions' counts";
	if (!same_mark(&a->mark, &b->mark) || a->mark_order != b->mark_order ||
	    memcmp(a->mark_conventions, b->mark_conventions, sizeof(a->mark_conventions)))
		return "the names' mark";
	return NULL;
}
