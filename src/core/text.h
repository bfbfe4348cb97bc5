/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Outside strings made safe: UTF-8 decoded strictly, and what must never reach a terminal
 * (control characters, bidi and other format characters, invalid bytes) escaped. Interface
 * names are any bytes but '/' and NUL; peer names come from files anyone with write access to
 * /etc/wireguard may edit. Everything wgstar prints of them goes through here.
 */
#ifndef WGSTAR_TEXT_H
#define WGSTAR_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TEXT_REPLACEMENT 0xfffd

/*
 * The well-formed UTF-8 sequence at s (avail bytes): its length, with the code point in *cp;
 * 0 when none starts there (then the byte is to be taken alone).
 */
size_t text_utf8_next(const char *s, size_t avail, uint32_t *cp);
/* cp as UTF-8 into out (4 bytes); its length, 0 for no scalar value. */
size_t text_utf8_put(uint32_t cp, char out[4]);

/*
 * Whether cp may be shown as itself: not a control character (C0, DEL, C1), not a format
 * character (Unicode Cf: bidi controls, zero-width ones, ...), not a line or paragraph
 * separator (Zl, Zp), not a noncharacter.
 */
bool text_printable(uint32_t cp);

/*
 * in (n bytes) for a terminal, NUL-terminated into out (len bytes, cut at a character):
 * printable characters as they are, an invalid byte and a control byte as \xHH, other
 * unprintable characters as \uHHHH or \UHHHHHHHH. A backslash stays as it is: names read
 * better so, and an escape only ever stands where something unprintable was. Returns the length
 * the whole would take (as snprintf).
 */
size_t text_escape(char *out, size_t len, const char *in, size_t n);
/* The same, malloc'd; NULL on ENOMEM. */
char *text_escape_dup(const char *in);
/* The same, written to out whole. */
void text_escape_put(FILE *out, const char *in, size_t n);
/* Whether s needs no escaping (text_escape would give it back unchanged). */
bool text_is_safe(const char *s);
/* s escaped into buf (len bytes, cut at a whole piece), and buf: for one argument of a message. */
const char *text_safe(char *buf, size_t len, const char *s);
/* Room for an interface name escaped: each of its 15 bytes as \xHH. */
#define TEXT_IFNAME_LEN (15 * 4 + 1)

/*
 * s as one word for a shell: unchanged when it is made of safe characters only, in single
 * quotes otherwise, and as $'...' with \xHH escapes when it holds anything unprintable.
 * Returns the length the whole would take.
 */
size_t text_shell_quote(char *out, size_t len, const char *s);

/* s with every invalid UTF-8 byte replaced by U+FFFD, malloc'd (JSON and metrics must be UTF-8). */
char *text_utf8_fix(const char *s);
/* Whether s is well-formed UTF-8 throughout. */
bool text_utf8_valid(const char *s);

/*
 * The one line saying what an errno means: strerror(3), except that a refusal for lack of
 * privilege (EPERM, EACCES) says that root or CAP_NET_ADMIN is needed.
 */
const char *text_strerror(int err);

enum text_name_error {
	TEXT_NAME_OK = 0,
	TEXT_NAME_EMPTY,
	TEXT_NAME_LONG,			/* over TEXT_NAME_MAX bytes */
	TEXT_NAME_CHAR,			/* an unprintable character, invalid UTF-8, or '#' */
	TEXT_NAME_SPACE,		/* a space at either end */
};

#define TEXT_NAME_MAX 64

/*
 * A peer name wgstar writes: 1..TEXT_NAME_MAX bytes of printable UTF-8, no '#' (it would end
 * the name in a marker comment), no white space at either end (readers trim it). The one rule
 * for the command line, the console and the config file model alike.
 */
enum text_name_error text_name_check(const char *name);
/* Why, in one translated line. */
const char *text_name_error_text(enum text_name_error e);

/* A hex digit's value plus one, 0 for any other byte (text.c). */
extern const int8_t text_hex_plus1[256];

/*
 * The first '\n' in [p, end), or NULL: memchr's answer, eight bytes at a time and inline.
 * Config lines are short, and a call of memchr for each of the 500,000 lines of a big hub's
 * file cost more than the search: under emulation (the VM) glibc's AVX2 memchr split a 9 MB
 * file in 19 ms, this in 7.
 */
static inline const char *text_find_nl(const char *p, const char *end)
{
	const uint64_t ones = 0x0101010101010101ULL, low7 = 0x7f7f7f7f7f7f7f7fULL;

	while (end - p >= 8) {
		uint64_t w, zero;

		memcpy(&w, p, 8);
		w ^= ones * '\n';
		/* The high bit of each byte that is 0 now, and of no other (no borrow runs on). */
		zero = ~(((w & low7) + low7) | w | low7);
		if (zero) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(zero) >> 3);
#else
			return p + (__builtin_clzll(zero) >> 3);
#endif
		}
		p += 8;
	}
	for (; p < end; ++p)
		if (*p == '\n')
			return p;
	return NULL;
}

/* The value of hex digit c, or -1. A table: keys and addresses are read by the ten thousand. */
static inline int text_hex_value(char c)
{
	return text_hex_plus1[(unsigned char)c] - 1;
}

#endif
