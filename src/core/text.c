// SPDX-License-Identifier: GPL-2.0-or-later
/* Outside strings made safe: strict UTF-8, and nothing a terminal would act on. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "i18n.h"
#include "text.h"

size_t text_utf8_next(const char *str, size_t avail, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;
	uint32_t c;

	if (!avail)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; ++i) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and what lies past U+10FFFF are no characters. */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

size_t text_utf8_put(uint32_t cp, char out[4])
{
	if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Unicode's general categories Cf, Zl and Zp (Unicode 15), first and last of each run. */
static const uint32_t format_chars[][2] = {
	{ 0x00ad, 0x00ad }, { 0x0600, 0x0605 }, { 0x061c, 0x061c }, { 0x06dd, 0x06dd },
	{ 0x070f, 0x070f }, { 0x0890, 0x0891 }, { 0x08e2, 0x08e2 }, { 0x180e, 0x180e },
	{ 0x200b, 0x200f }, { 0x2028, 0x202e }, { 0x2060, 0x2064 }, { 0x2066, 0x206f },
	{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
	{ 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
	{ 0xe0020, 0xe007f },
};

bool text_printable(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(format_chars) / sizeof(format_chars[0]);

	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp > 0x10ffff)
		return false;
	if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) == 0xfffe)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < format_chars[mid][0])
			hi = mid;
		else if (cp > format_chars[mid][1])
			lo = mid + 1;
		else
			return false;
	}
	return true;
}

/* Output cut at a whole piece: once one does not fit, nothing more is written, all is counted. */
struct sbuf {
	char *out;
	size_t len;
	size_t o;
	bool full;
};

static void sb_init(struct sbuf *b, char *out, size_t len)
{
	*b = (struct sbuf){ .out = out, .len = len, .full = !len };
	if (len)
		out[0] = '\0';
}

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (!b->full && b->o + n < b->len) {
		memcpy(b->out + b->o, s, n);
		b->out[b->o + n] = '\0';
	} else {
		b->full = true;
	}
	b->o += n;
}

/*
 * The character at in (n bytes left) as it is shown: its own bytes when printable, else its
 * escape written into esc. Sets *len to the shown length and *used to the bytes it stands for.
 */
static const char *shown_piece(const char *in, size_t n, char esc[16], size_t *len, size_t *used)
{
	uint32_t cp = 0;
	size_t k = text_utf8_next(in, n, &cp);

	*used = k ? k : 1;
	if (k && text_printable(cp)) {
		*len = k;
		return in;
	}
	if (!k)
		snprintf(esc, 16, "\\x%02x", (unsigned char)in[0]);
	else if (cp < 0x80)
		snprintf(esc, 16, "\\x%02x", (unsigned)cp);
	else
		snprintf(esc, 16, cp > 0xffff ? "\\U%08x" : "\\u%04x", (unsigned)cp);
	*len = strlen(esc);
	return esc;
}

size_t text_escape(char *out, size_t len, const char *in, size_t n)
{
	struct sbuf b;

	sb_init(&b, out, len);
	for (size_t i = 0, used, plen; i < n; i += used) {
		char esc[16];
		const char *p = shown_piece(in + i, n - i, esc, &plen, &used);

		sb_put(&b, p, plen);
	}
	return b.o;
}

void text_escape_put(FILE *out, const char *in, size_t n)
{
	for (size_t i = 0, used, plen; i < n; i += used) {
		char esc[16];
		const char *p = shown_piece(in + i, n - i, esc, &plen, &used);

		fwrite(p, 1, plen, out);
	}
}

char *text_escape_dup(const char *in)
{
	size_t n = strlen(in), need = text_escape(NULL, 0, in, n);
	char *out = malloc(need + 1);

	if (out)
		text_escape(out, need + 1, in, n);
	return out;
}

bool text_is_safe(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);

		if (!k || !text_printable(cp))
			return false;
		i += k;
	}
	return true;
}

const char *text_safe(char *buf, size_t len, const char *s)
{
	text_escape(buf, len, s, strlen(s));
	return buf;
}

static bool shell_plain(const char *s)
{
	if (!*s)
		return false;
	for (; *s; ++s)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *s))
			return false;
	return true;
}

size_t text_shell_quote(char *out, size_t len, const char *s)
{
	size_t n = strlen(s);
	bool ansi = false;
	struct sbuf b;

	sb_init(&b, out, len);
	if (shell_plain(s)) {
		sb_put(&b, s, n);
		return b.o;
	}
	for (size_t i = 0, k; i < n && !ansi; i += k) {
		uint32_t cp;

		k = text_utf8_next(s + i, n - i, &cp);
		ansi = !k || !text_printable(cp);
	}
	sb_put(&b, ansi ? "$'" : "'", ansi ? 2 : 1);
	for (size_t i = 0; i < n;) {
		uint32_t cp = 0;
		size_t k = text_utf8_next(s + i, n - i, &cp);
		char esc[8];

		if (!ansi) {
			if (s[i] == '\'')
				sb_put(&b, "'\\''", 4);
			else
				sb_put(&b, s + i, k);
		} else if (!k || !text_printable(cp)) {
			/* Every byte of what cannot be shown, so the shell gets the very bytes back. */
			k = k ? k : 1;
			for (size_t j = 0; j < k; ++j) {
				snprintf(esc, sizeof(esc), "\\x%02x", (unsigned char)s[i + j]);
				sb_put(&b, esc, 4);
			}
		} else if (s[i] == '\'' || s[i] == '\\') {
			esc[0] = '\\';
			esc[1] = s[i];
			sb_put(&b, esc, 2);
		} else {
			sb_put(&b, s + i, k);
		}
		i += k;
	}
	sb_put(&b, "'", 1);
	return b.o;
}

bool text_utf8_valid(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, k; i < n; i += k) {
		uint32_t cp;

		if (!(k = text_utf8_next(s + i, n - i, &cp)))
			return false;
	}
	return true;
}

char *text_utf8_fix(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n * 3 + 1);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);

		if (!k) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
			i += 1;
			continue;
		}
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

const char *text_strerror(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return _("permission denied: this needs root or the CAP_NET_ADMIN capability");
	case EFBIG:
		return _("the file is larger than wgstar reads (64 MiB)");
	case ELOOP:
		return _("it is a symbolic link, which wgstar does not follow for its own files");
	default:
		return strerror(err);
	}
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

enum text_name_error text_name_check(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len)
		return TEXT_NAME_EMPTY;
	if (len > TEXT_NAME_MAX)
		return TEXT_NAME_LONG;
	if (is_space(name[0]) || is_space(name[len - 1]))
		return TEXT_NAME_SPACE;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t k = text_utf8_next(name + i, len - i, &cp);

		if (!k || cp == '#' || !text_printable(cp))
			return TEXT_NAME_CHAR;
		i += k;
	}
	return TEXT_NAME_OK;
}

const char *text_name_error_text(enum text_name_error e)
{
	switch (e) {
	case TEXT_NAME_OK:
		return "";
	case TEXT_NAME_EMPTY:
		return _("a peer needs a name");
	case TEXT_NAME_LONG:
		return _("a name may be at most 64 bytes long");
	case TEXT_NAME_SPACE:
		return _("a name may not begin or end with a space");
	case TEXT_NAME_CHAR:
	default:
		return _("a name may hold printable UTF-8 only, and no '#'");
	}
}

const int8_t text_hex_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};
