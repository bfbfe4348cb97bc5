// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the canvas's UTF-8 decoder and text drawing, on names and messages that
 * come from outside. Six bytes choose the canvas (width, height, UTF-8 or ASCII) and two draws
 * (column, row, width, ellipsis, right-aligned); then come the two texts, each up to a NUL. Text
 * takes no negative width, never more columns than it may, and is drawn inside the canvas only,
 * with the right half of every wide character next to its left half.
 */
#include <locale.h>
#include <wchar.h>
#include "canvas.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		abort();
	return 0;
}

struct draw {
	int x, y, maxw;
	bool ellipsis, right;
};

static struct draw draw_params(uint8_t a, uint8_t b)
{
	return (struct draw){
		.x = (a & 0x3f) - 4,
		.y = (b & 0x07) - 1,
		.maxw = ((b >> 3) & 0x1f) - 2,
		.ellipsis = a & 0x40,
		.right = a & 0x80,
	};
}

/* A wide character's right half follows it, and nothing else is a right half. */
static void check_cells(const struct canvas *c)
{
	if (c->cells[(size_t)c->w * (size_t)c->h].cp || c->cells[(size_t)c->w * (size_t)c->h].style)
		abort();
	for (int y = 0; y < c->h; ++y)
		for (int x = 0; x < c->w; ++x) {
			const struct cell *cell = &c->cells[(size_t)y * (size_t)c->w + (size_t)x];

			if (cell->cp == 0 && (x == 0 || wcwidth((wchar_t)cell[-1].cp) != 2))
				abort();
			if (cell->cp && wcwidth((wchar_t)cell->cp) == 2 && (x + 1 == c->w || cell[1].cp))
				abort();
		}
}

static void draw_text(struct canvas *c, const struct draw *d, const char *s)
{
	int full = canvas_text_width(c, s), room, used;

	if (full < 0 || (size_t)full > 2 * strlen(s))
		abort();
	if (d->right) {
		if (d->maxw < 0)
			return;
		used = canvas_text_right(c, d->x, d->y, d->maxw, STYLE_NORMAL, s);
		if (used < 0 || used > d->maxw)
			abort();
		return;
	}
	used = canvas_text(c, d->x, d->y, d->maxw, STYLE_NORMAL, s, d->ellipsis);
	room = d->maxw < 0 || d->x + d->maxw > c->w ? c->w - d->x : d->maxw;
	if (room <= 0 || d->y < 0 || d->y >= c->h) {
		if (used)
			abort();
		return;
	}
	if (used < 0 || used > room || (full <= room && used != full))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t w = fuzz_byte(&data, &size), h = fuzz_byte(&data, &size);
	struct draw d1, d2;
	struct canvas c = { 0 };
	char *s1, *s2, *text;

	d1 = draw_params(fuzz_byte(&data, &size), fuzz_byte(&data, &size));
	d2 = draw_params(fuzz_byte(&data, &size), fuzz_byte(&data, &size));
	s1 = fuzz_string(&data, &size);
	s2 = fuzz_string(&data, &size);
	if (!s1 || !s2 || canvas_init(&c, w & 0x3f, h & 0x03, w & 0x80) < 0)
		abort();
	draw_text(&c, &d1, s1);
	check_cells(&c);
	draw_text(&c, &d2, s2);
	check_cells(&c);
	text = canvas_to_text(&c);
	if (!text)
		abort();
	free(text);
	canvas_free(&c);
	free(s1);
	free(s2);
	return 0;
}
