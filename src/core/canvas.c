// SPDX-License-Identifier: GPL-2.0-or-later
/* A grid of styled cells that views draw into; the terminal layer copies it to the screen. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include "canvas.h"
#include "text.h"

static const uint32_t glyphs_utf8[N_GLYPHS] = {
	[G_HLINE] = 0x2500, [G_VLINE] = 0x2502, [G_TL] = 0x250c, [G_TR] = 0x2510,
	[G_BL] = 0x2514, [G_BR] = 0x2518, [G_DIAG_UP] = 0x2571, [G_DIAG_DOWN] = 0x2572,
	[G_BULLET] = 0x25cf, [G_ARROW_UP] = 0x2191, [G_ARROW_DOWN] = 0x2193, [G_ELLIPSIS] = 0x2026,
	[G_TEE_DOWN] = 0x252c, [G_TEE_UP] = 0x2534, [G_CROSS] = 0x2717,
};

static const uint32_t glyphs_ascii[N_GLYPHS] = {
	[G_HLINE] = '-', [G_VLINE] = '|', [G_TL] = '+', [G_TR] = '+',
	[G_BL] = '+', [G_BR] = '+', [G_DIAG_UP] = '/', [G_DIAG_DOWN] = '\\',
	[G_BULLET] = 'o', [G_ARROW_UP] = '^', [G_ARROW_DOWN] = 'v', [G_ELLIPSIS] = '~',
	[G_TEE_DOWN] = '+', [G_TEE_UP] = '+', [G_CROSS] = 'x',
};

int canvas_init(struct canvas *c, int w, int h, bool utf8)
{
	struct cell *cells;

	if (w < 0)
		w = 0;
	if (h < 0)
		h = 0;
	cells = calloc((size_t)w * (size_t)h + 1, sizeof(*cells));
	if (!cells)
		return -ENOMEM;
	free(c->cells);
	c->cells = cells;
	c->w = w;
	c->h = h;
	c->utf8 = utf8;
	canvas_clear(c);
	return 0;
}

void canvas_free(struct canvas *c)
{
	free(c->cells);
	c->cells = NULL;
	c->w = c->h = 0;
}

void canvas_clear(struct canvas *c)
{
	for (size_t i = 0; i < (size_t)c->w * (size_t)c->h; ++i)
		c->cells[i] = (struct cell){ .cp = ' ', .style = STYLE_NORMAL };
}

uint32_t canvas_glyph(const struct canvas *c, enum glyph g)
{
	return c->utf8 ? glyphs_utf8[g] : glyphs_ascii[g];
}

struct cell *canvas_at(struct canvas *c, int x, int y)
{
	if (x < 0 || y < 0 || x >= c->w || y >= c->h)
		return NULL;
	return &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
}

void canvas_set(struct canvas *c, int x, int y, uint32_t cp, uint8_t style)
{
	struct cell *cell = canvas_at(c, x, y);

	if (!cell)
		return;
	/* Overwriting half of a wide character blanks the other half. */
	if (cell->cp == 0 && x > 0)
		canvas_at(c, x - 1, y)->cp = ' ';
	else if (x + 1 < c->w && canvas_at(c, x + 1, y)->cp == 0)
		canvas_at(c, x + 1, y)->cp = ' ';
	cell->cp = cp;
	cell->style = style;
}

/* Decodes one UTF-8 sequence; invalid bytes decode to U+FFFD one at a time. */
static uint32_t next_cp(const char **ps)
{
	uint32_t cp;
	size_t n = text_utf8_next(*ps, strnlen(*ps, 4), &cp);

	*ps += n ? n : 1;
	return n ? cp : TEXT_REPLACEMENT;
}

/* What is drawn for cp, and in how many columns. */
static uint32_t drawable(const struct canvas *c, uint32_t cp, int *width)
{
	int w;

	/* Nothing that moves the cursor, changes the terminal or reorders the line is drawn. */
	if (!text_printable(cp)) {
		*width = 1;
		return '?';
	}
	if (cp < 0x80) {
		*width = 1;
		return cp;
	}
	if (!c->utf8) {
		*width = 1;
		return '?';
	}
	w = wcwidth((wchar_t)cp);
	if (w < 0) {
		*width = 1;
		return '?';
	}
	*width = w;
	return cp;
}

int canvas_text_width(const struct canvas *c, const char *s)
{
	int total = 0, w;

	while (*s) {
		drawable(c, next_cp(&s), &w);
		total += w;
	}
	return total;
}

int canvas_text(struct canvas *c, int x, int y, int maxw, uint8_t style, const char *s, bool ellipsis)
{
	int col = 0, full = canvas_text_width(c, s), limit;

	if (maxw < 0 || x + maxw > c->w)
		maxw = c->w - x;
	if (maxw <= 0 || y < 0 || y >= c->h)
		return 0;
	limit = maxw;
	/* Leave room for the ellipsis when the text will not fit. */
	if (ellipsis && full > maxw)
		limit = maxw - 1;
	while (*s) {
		int w;
		uint32_t cp = drawable(c, next_cp(&s), &w);

		if (w == 0)
			continue;	/* combining marks: dropped, the base character stands alone */
		if (col + w > limit)
			break;
		canvas_set(c, x + col, y, cp, style);
		/* Cut at the left edge, a right half would stand alone: a blank instead. */
		if (w == 2)
			canvas_set(c, x + col + 1, y, x + col < 0 ? ' ' : 0, style);
		col += w;
	}
	if (ellipsis && full > maxw) {
		canvas_set(c, x + col, y, canvas_glyph(c, G_ELLIPSIS), style);
		col++;
	}
	return col;
}

int canvas_text_right(struct canvas *c, int x_end, int y, int maxw, uint8_t style, const char *s)
{
	int w = canvas_text_width(c, s);

	if (w > maxw)
		w = maxw;
	return canvas_text(c, x_end - w, y, maxw, style, s, true);
}

void canvas_fill(struct canvas *c, int x, int y, int w, int h, uint32_t cp, uint8_t style)
{
	for (int j = y; j < y + h; ++j)
		for (int i = x; i < x + w; ++i)
			canvas_set(c, i, j, cp, style);
}

void canvas_restyle(struct canvas *c, int x, int y, int w, uint8_t style)
{
	for (int i = x; i < x + w; ++i) {
		struct cell *cell = canvas_at(c, i, y);

		if (cell)
			cell->style = style;
	}
}

void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1, uint8_t style)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy;
	/* On screen, y grows downwards: a line going right and up is '/'. */
	uint32_t diag = canvas_glyph(c, (sx > 0) == (sy < 0) ? G_DIAG_UP : G_DIAG_DOWN);

	for (;;) {
		int e2 = 2 * err;
		bool step_x = e2 >= dy, step_y = e2 <= dx;
		uint32_t g;

		if (x0 == x1 && y0 == y1)
			break;
		/* The glyph says where the line goes from this cell. */
		if (step_x && step_y)
			g = diag;
		else if (step_x)
			g = canvas_glyph(c, G_HLINE);
		else
			g = canvas_glyph(c, G_VLINE);
		canvas_set(c, x0, y0, g, style);
		if (step_x) {
			err += dy;
			x0 += sx;
		}
		if (step_y) {
			err += dx;
			y0 += sy;
		}
	}
}

char *canvas_to_text(const struct canvas *c)
{
	size_t cap = (size_t)c->h * ((size_t)c->w * 4 + 1) + 1, o = 0;
	char *out = malloc(cap);

	if (!out)
		return NULL;
	for (int y = 0; y < c->h; ++y) {
		size_t last = o;

		for (int x = 0; x < c->w; ++x) {
			uint32_t cp = c->cells[(size_t)y * (size_t)c->w + (size_t)x].cp;

			if (cp == 0)
				continue;
			if (cp < 0x80) {
				out[o++] = (char)cp;
			} else if (cp < 0x800) {
				out[o++] = (char)(0xc0 | cp >> 6);
				out[o++] = (char)(0x80 | (cp & 0x3f));
			} else if (cp < 0x10000) {
				out[o++] = (char)(0xe0 | cp >> 12);
				out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			} else {
				out[o++] = (char)(0xf0 | cp >> 18);
				out[o++] = (char)(0x80 | (cp >> 12 & 0x3f));
				out[o++] = (char)(0x80 | (cp >> 6 & 0x3f));
				out[o++] = (char)(0x80 | (cp & 0x3f));
			}
			if (cp != ' ')
				last = o;
		}
		o = last;
		out[o++] = '\n';
	}
	out[o] = '\0';
	return out;
}
