// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the unified diff of the previews. The first byte's low bit asks for colour;
 * then come text A and text B, each up to a NUL. Texts are compared line by line. The hunks,
 * applied to A's lines, give B's lines, each escaped as the diff shows it (text.h: nothing
 * unprintable reaches a terminal, tabs stay); coloured, every line still starts as diff -u has it.
 */
#include <stdio.h>
#include "fuzz.h"
#include "text.h"
#include "textdiff.h"

struct lines {
	char **v;
	size_t n;
};

/* Lines as textdiff has them: a last line without '\n' is a line, "" has none. */
static struct lines split(const char *s)
{
	struct lines l = { 0 };

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char **v = realloc(l.v, (l.n + 1) * sizeof(*v));

		if (!v || !(v[l.n] = strndup(s, len)))
			abort();
		l.v = v;
		l.n++;
		s += len + (nl ? 1 : 0);
	}
	return l;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; ++i)
		free(l->v[i]);
	free(l->v);
}

/* Each line as the diff prints it: escaped, its tabs kept. */
static void escape_lines(struct lines *l)
{
	for (size_t i = 0; i < l->n; ++i) {
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);
		const char *s = l->v[i];

		if (!f)
			abort();
		for (;;) {
			size_t run = strcspn(s, "\t");

			text_escape_put(f, s, run);
			if (!s[run])
				break;
			fputc('\t', f);
			s += run + 1;
		}
		if (fclose(f))
			abort();
		free(l->v[i]);
		l->v[i] = out;
	}
}

static bool lines_equal(const struct lines *a, const struct lines *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; ++i)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* "-START[,COUNT]" or "+START[,COUNT]": where the side's lines begin (0-based), and how many. */
static const char *range(const char *p, char sign, size_t *start, size_t *count)
{
	char *end;

	if (*p++ != sign)
		abort();
	*start = strtoul(p, &end, 10);
	*count = 1;
	if (*end == ',')
		*count = strtoul(end + 1, &end, 10);
	if (end == p)
		abort();
	/* An empty side names the line before it. */
	if (*count) {
		if (!*start)
			abort();
		--*start;
	}
	return end;
}

static void apply(const struct lines *a, const struct lines *b, const struct lines *diff)
{
	struct lines out = { 0 };
	size_t cur = 0, i = 2;

	out.v = calloc(a->n + b->n + 1, sizeof(*out.v));
	if (diff->n < 3 || strcmp(diff->v[0], "--- a") || strcmp(diff->v[1], "+++ b") || !out.v)
		abort();
	while (i < diff->n) {
		size_t as, ac, bs, bc, seen_a = 0, seen_b = 0;
		const char *p = diff->v[i++];

		if (strncmp(p, "@@ ", 3))
			abort();
		p = range(p + 3, '-', &as, &ac);
		if (*p++ != ' ')
			abort();
		p = range(p, '+', &bs, &bc);
		if (strcmp(p, " @@") || as < cur || as > a->n || bs != out.n + (as - cur))
			abort();
		while (cur < as)
			out.v[out.n++] = a->v[cur++];
		for (; i < diff->n && diff->v[i][0] != '@'; ++i) {
			const char *line = diff->v[i];

			if (line[0] == '+') {
				out.v[out.n++] = (char *)line + 1;
				seen_b++;
				continue;
			}
			if ((line[0] != ' ' && line[0] != '-') || cur >= a->n || strcmp(a->v[cur], line + 1))
				abort();
			if (line[0] == ' ') {
				out.v[out.n++] = a->v[cur];
				seen_b++;
			}
			cur++;
			seen_a++;
		}
		if (seen_a != ac || seen_b != bc)
			abort();
	}
	while (cur < a->n)
		out.v[out.n++] = a->v[cur++];
	if (!lines_equal(&out, b))
		abort();
	free(out.v);
}

static void check_colored(const struct lines *diff)
{
	static const char *const starts[] = {
		"\033[1m--- ", "\033[1m+++ ", "\033[36m@@ ", "\033[31m-", "\033[32m+", " ",
	};

	for (size_t i = 0; i < diff->n; ++i) {
		size_t k;

		for (k = 0; k < sizeof(starts) / sizeof(starts[0]); ++k)
			if (!strncmp(diff->v[i], starts[k], strlen(starts[k])))
				break;
		if (k == sizeof(starts) / sizeof(starts[0]))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool color = fuzz_byte(&data, &size) & 1;
	char *a = fuzz_string(&data, &size), *b = fuzz_string(&data, &size), *text = NULL;
	struct lines la, lb, ld;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int ret;

	if (!a || !b || !f)
		abort();
	ret = textdiff_unified(f, a, b, "a", "b", color);
	if (fclose(f))
		abort();
	la = split(a);
	lb = split(b);
	ld = split(text);
	if (ret != !lines_equal(&la, &lb) || (!ret && len))
		abort();
	if (ret && color)
		check_colored(&ld);
	else if (ret) {
		escape_lines(&la);
		escape_lines(&lb);
		apply(&la, &lb, &ld);
	}
	lines_free(&la);
	lines_free(&lb);
	lines_free(&ld);
	free(text);
	free(a);
	free(b);
	return 0;
}
