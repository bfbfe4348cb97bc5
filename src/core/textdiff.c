// SPDX-License-Identifier: GPL-2.0-or-later
/* A unified diff of two texts, line by line, as diff -u prints it; optionally coloured. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "text.h"
#include "textdiff.h"

/* Past this many cells, the changed middle is not matched line by line. */
#define TEXTDIFF_LCS_CELLS (4u * 1024 * 1024)

#define COLOR_DEL "\033[31m"
#define COLOR_ADD "\033[32m"
#define COLOR_HUNK "\033[36m"
#define COLOR_HEAD "\033[1m"
#define COLOR_OFF "\033[0m"

struct lines {
	const char **v;
	size_t *len;
	size_t n;
};

enum op { OP_EQ, OP_DEL, OP_ADD };

struct edit {
	enum op *v;
	size_t n;
};

static int split(struct lines *l, const char *s)
{
	size_t n = 0;

	for (const char *p = s; *p; ++p)
		n += *p == '\n';
	if (*s && s[strlen(s) - 1] != '\n')
		n++;
	l->v = calloc(n + 1, sizeof(*l->v));
	l->len = calloc(n + 1, sizeof(*l->len));
	if (!l->v || !l->len)
		return -ENOMEM;
	l->n = 0;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		l->v[l->n] = s;
		l->len[l->n++] = len;
		s += len + (nl ? 1 : 0);
	}
	return 0;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->v[i], b->v[j], a->len[i]);
}

static void push(struct edit *e, enum op op)
{
	e->v[e->n++] = op;
}

/* The middle, between the common head and tail: longest common subsequence when small enough. */
static int middle(struct edit *e, const struct lines *a, size_t a0, size_t a1, const struct lines *b,
		  size_t b0, size_t b1)
{
	size_t n = a1 - a0, m = b1 - b0, i = 0, j = 0;
	uint32_t *t;

	if (!n || !m || (n + 1) * (m + 1) > TEXTDIFF_LCS_CELLS) {
		for (size_t k = 0; k < n; ++k)
			push(e, OP_DEL);
		for (size_t k = 0; k < m; ++k)
			push(e, OP_ADD);
		return 0;
	}
	t = calloc((n + 1) * (m + 1), sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (size_t x = n; x-- > 0;)
		for (size_t y = m; y-- > 0;) {
			uint32_t *c = &t[x * (m + 1) + y];

			if (line_eq(a, a0 + x, b, b0 + y))
				*c = t[(x + 1) * (m + 1) + y + 1] + 1;
			else
				*c = t[(x + 1) * (m + 1) + y] > t[x * (m + 1) + y + 1] ?
					     t[(x + 1) * (m + 1) + y] : t[x * (m + 1) + y + 1];
		}
	while (i < n || j < m) {
		if (i < n && j < m && line_eq(a, a0 + i, b, b0 + j)) {
			push(e, OP_EQ);
			i++;
			j++;
		} else if (i < n && (j == m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) {
			/* Removed lines before added ones, as diff -u has them. */
			push(e, OP_DEL);
			i++;
		} else {
			push(e, OP_ADD);
			j++;
		}
	}
	free(t);
	return 0;
}

/*
 * A line of a text that may quote anything (a ruleset names interfaces, a config file holds
 * whatever was typed), escaped for the terminal; its tabs are layout and stay tabs.
 */
static void put_text(FILE *out, const char *s, size_t len)
{
	while (len) {
		size_t run = strcspn(s, "\t");

		if (run > len)
			run = len;
		text_escape_put(out, s, run);
		s += run;
		len -= run;
		if (len) {
			fputc('\t', out);
			s++;
			len--;
		}
	}
}

static void put_line(FILE *out, char mark, const char *s, size_t len, const char *color)
{
	if (color)
		fputs(color, out);
	fputc(mark, out);
	put_text(out, s, len);
	if (color)
		fputs(COLOR_OFF, out);
	fputc('\n', out);
}

static void hunk_range(FILE *out, char sign, size_t start, size_t count)
{
	/* diff -u: an empty side names the line before it. */
	if (count == 1)
		fprintf(out, "%c%zu", sign, start + 1);
	else
		fprintf(out, "%c%zu,%zu", sign, count ? start + 1 : start, count);
}

static void print(FILE *out, const struct edit *e, const struct lines *a, const struct lines *b, bool color)
{
	size_t k = 0;

	while (k < e->n) {
		size_t start, end, ai = 0, bi = 0, an = 0, bn = 0, gap;

		while (k < e->n && e->v[k] == OP_EQ)
			k++;
		if (k == e->n)
			break;
		/* The hunk: from CONTEXT before the change to CONTEXT after the last change that is close. */
		start = k > TEXTDIFF_CONTEXT ? k - TEXTDIFF_CONTEXT : 0;
		end = k;
		for (;;) {
			while (end < e->n && e->v[end] != OP_EQ)
				end++;
			gap = 0;
			while (end + gap < e->n && e->v[end + gap] == OP_EQ)
				gap++;
			if (end + gap == e->n || gap > 2 * TEXTDIFF_CONTEXT) {
				end += gap < TEXTDIFF_CONTEXT ? gap : TEXTDIFF_CONTEXT;
				break;
			}
			end += gap;
		}
		for (size_t x = 0; x < start; ++x) {
			ai += e->v[x] != OP_ADD;
			bi += e->v[x] != OP_DEL;
		}
		for (size_t x = start; x < end; ++x) {
			an += e->v[x] != OP_ADD;
			bn += e->v[x] != OP_DEL;
		}
		if (color)
			fputs(COLOR_HUNK, out);
		fputs("@@ ", out);
		hunk_range(out, '-', ai, an);
		fputc(' ', out);
		hunk_range(out, '+', bi, bn);
		fputs(" @@", out);
		if (color)
			fputs(COLOR_OFF, out);
		fputc('\n', out);
		for (size_t x = start; x < end; ++x) {
			switch (e->v[x]) {
			case OP_EQ:
				put_line(out, ' ', a->v[ai], a->len[ai], NULL);
				ai++;
				bi++;
				break;
			case OP_DEL:
				put_line(out, '-', a->v[ai], a->len[ai], color ? COLOR_DEL : NULL);
				ai++;
				break;
			case OP_ADD:
				put_line(out, '+', b->v[bi], b->len[bi], color ? COLOR_ADD : NULL);
				bi++;
				break;
			}
		}
		k = end;
	}
}

int textdiff_unified(FILE *out, const char *a, const char *b, const char *label_a, const char *label_b,
		     bool color)
{
	struct lines la = { 0 }, lb = { 0 };
	struct edit e = { 0 };
	size_t head = 0, tail = 0;
	int ret;

	if ((ret = split(&la, a)) < 0 || (ret = split(&lb, b)) < 0)
		goto out;
	while (head < la.n && head < lb.n && line_eq(&la, head, &lb, head))
		head++;
	while (tail < la.n - head && tail < lb.n - head && line_eq(&la, la.n - 1 - tail, &lb, lb.n - 1 - tail))
		tail++;
	if (head == la.n && head == lb.n) {
		ret = 0;
		goto out;
	}
	e.v = calloc(la.n + lb.n + 1, sizeof(*e.v));
	if (!e.v) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < head; ++i)
		push(&e, OP_EQ);
	if ((ret = middle(&e, &la, head, la.n - tail, &lb, head, lb.n - tail)) < 0)
		goto out;
	for (size_t i = 0; i < tail; ++i)
		push(&e, OP_EQ);
	fprintf(out, "%s--- ", color ? COLOR_HEAD : "");
	put_text(out, label_a, strlen(label_a));
	fprintf(out, "%s\n%s+++ ", color ? COLOR_OFF : "", color ? COLOR_HEAD : "");
	put_text(out, label_b, strlen(label_b));
	fprintf(out, "%s\n", color ? COLOR_OFF : "");
	print(out, &e, &la, &lb, color);
	ret = 1;
out:
	free(la.v);
	free(la.len);
	free(lb.v);
	free(lb.len);
	free(e.v);
	return ret;
}
