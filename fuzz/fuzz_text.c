// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the sanitizer every outside string passes (text.c). Whatever the bytes,
 * the escaped text is valid UTF-8 with nothing unprintable in it, agrees with its length and
 * with the streamed form, is cut only between whole pieces; a shell word decodes to the very
 * bytes; the UTF-8 fix leaves valid UTF-8; a name text_name_check takes is safe to show as it is.
 */
#include <stdio.h>
#include "fuzz.h"
#include "text.h"

static void check_clean(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i < n;) {
		uint32_t cp;
		size_t k = text_utf8_next(s + i, n - i, &cp);

		if (!k || !text_printable(cp))
			abort();
		i += k;
	}
}

/* $'...' and '...' as a shell reads them, back into bytes; NULL when it is not one word. */
static char *shell_decode(const char *w, size_t *len)
{
	size_t n = strlen(w), o = 0;
	char *out = malloc(n + 1);

	if (!out)
		abort();
	if (!strncmp(w, "$'", 2) && n >= 3 && w[n - 1] == '\'') {
		for (size_t i = 2; i < n - 1; ++i) {
			unsigned int byte;

			if (w[i] != '\\') {
				if (w[i] == '\'')
					abort();
				out[o++] = w[i];
				continue;
			}
			if (w[i + 1] == 'x' && sscanf(w + i + 2, "%2x", &byte) == 1) {
				out[o++] = (char)byte;
				i += 3;
			} else if (w[i + 1] == '\\' || w[i + 1] == '\'') {
				out[o++] = w[++i];
			} else {
				abort();
			}
		}
	} else if (w[0] == '\'') {
		for (size_t i = 1; i < n; ++i) {
			if (!strncmp(w + i, "'\\''", 4)) {
				out[o++] = '\'';
				i += 3;
			} else if (w[i] == '\'') {
				if (i != n - 1)
					abort();
			} else {
				out[o++] = w[i];
			}
		}
	} else {
		memcpy(out, w, n);
		o = n;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = fuzz_string(&data, &size), *esc, *stream = NULL, small[17], *word, *back, *fixed;
	size_t n, need, slen = 0, wlen, blen;
	FILE *f;

	if (!in)
		abort();
	n = strlen(in);
	/* Escaped whole: the length it said, clean, and the same as written to a stream. */
	need = text_escape(NULL, 0, in, n);
	esc = malloc(need + 1);
	if (!esc || text_escape(esc, need + 1, in, n) != need || strlen(esc) != need)
		abort();
	check_clean(esc);
	if (text_is_safe(in) != !strcmp(esc, in))
		abort();
	f = open_memstream(&stream, &slen);
	if (!f)
		abort();
	text_escape_put(f, in, n);
	if (fclose(f) || slen != need || memcmp(stream, esc, need))
		abort();
	/* Cut short: a prefix of the whole, never half a piece, still clean. */
	text_escape(small, sizeof(small), in, n);
	if (strncmp(small, esc, strlen(small)))
		abort();
	check_clean(small);
	/* As one shell word: printable, and exactly the bytes again. */
	need = text_shell_quote(NULL, 0, in);
	word = malloc(need + 1);
	if (!word || text_shell_quote(word, need + 1, in) != need)
		abort();
	check_clean(word);
	back = shell_decode(word, &blen);
	if (blen != n || memcmp(back, in, n))
		abort();
	/* Strict UTF-8 after the fix, unchanged when it was already. */
	fixed = text_utf8_fix(in);
	if (!fixed || !text_utf8_valid(fixed) || (text_utf8_valid(in) && strcmp(fixed, in)))
		abort();
	if (text_name_check(in) == TEXT_NAME_OK && (!text_is_safe(in) || strchr(in, '#') || n > TEXT_NAME_MAX))
		abort();
	(void)wlen;
	free(fixed);
	free(back);
	free(word);
	free(stream);
	free(esc);
	free(in);
	return 0;
}
