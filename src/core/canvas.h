/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A grid of styled cells that views draw into; the terminal layer copies it to the screen. */
#ifndef WGSTAR_CANVAS_H
#define WGSTAR_CANVAS_H

#include <stdbool.h>
#include <stdint.h>

/* What a cell means; the terminal layer maps each to colours or, without colour, to attributes. */
enum style {
	STYLE_NORMAL = 0,
	STYLE_DIM,		/* secondary text: units, separators */
	STYLE_TITLE,		/* the header bar */
	STYLE_LABEL,		/* "port:", "fwd:" ... */
	STYLE_COLUMN,		/* table column titles */
	STYLE_COLUMN_SORTED,	/* the column the table is sorted by */
	STYLE_SELECTED,		/* the selected row */
	STYLE_ONLINE,
	STYLE_STALE,
	STYLE_NEVER,
	STYLE_HUB,
	STYLE_FLOW,		/* traffic moving along an edge */
	STYLE_NEW,		/* a peer that just appeared */
	STYLE_GONE,		/* a peer that just vanished */
	STYLE_WARN,
	STYLE_ERROR,
	STYLE_KEY,		/* a key name in the status line and help */
	STYLE_STATUS,		/* the status line */
	STYLE_DIFF_ADD,		/* a line a diff adds */
	STYLE_DIFF_DEL,		/* a line it removes */
	STYLE_DIFF_HUNK,	/* where a stretch of a diff starts */
	STYLE_FIELD,		/* a form's input field */
	STYLE_FIELD_FOCUS,	/* the field keys go to */
	STYLE_CURSOR,		/* the cursor in that field */
	STYLE_COUNTDOWN,	/* time left to confirm a change */
	STYLE_FIELD_HINT,	/* what an empty field means, in place of its text */
	STYLE_QR,		/* a QR code: light on dark whatever the terminal's colours */
	N_STYLES,
};

struct cell {
	uint32_t cp;		/* a Unicode code point; 0 for the right half of a wide character */
	uint8_t style;
};

struct canvas {
	int w, h;
	bool utf8;		/* may draw non-ASCII; otherwise every glyph has an ASCII form */
	struct cell *cells;
};

/* Line-drawing glyphs, as code points; ASCII forms when the canvas is not UTF-8. */
enum glyph {
	G_HLINE, G_VLINE, G_TL, G_TR, G_BL, G_BR, G_DIAG_UP, G_DIAG_DOWN,
	G_BULLET, G_ARROW_UP, G_ARROW_DOWN, G_ELLIPSIS, G_TEE_DOWN, G_TEE_UP, G_CROSS,
	N_GLYPHS,
};

/* (Re)sizes and clears; 0 or -ENOMEM. A zero-sized canvas is valid and draws nothing. */
int canvas_init(struct canvas *c, int w, int h, bool utf8);
void canvas_free(struct canvas *c);
void canvas_clear(struct canvas *c);
uint32_t canvas_glyph(const struct canvas *c, enum glyph g);
struct cell *canvas_at(struct canvas *c, int x, int y);	/* NULL outside */
void canvas_set(struct canvas *c, int x, int y, uint32_t cp, uint8_t style);
/*
 * Draws UTF-8 text at (x, y), at most maxw columns (maxw < 0: to the right edge), cut with
 * an ellipsis when it does not fit and ellipsis is set. Control characters become '?', and
 * non-ASCII becomes '?' on an ASCII canvas. Returns the columns used.
 */
int canvas_text(struct canvas *c, int x, int y, int maxw, uint8_t style, const char *s, bool ellipsis);
/* Text right-aligned so that it ends at column x_end (exclusive). */
int canvas_text_right(struct canvas *c, int x_end, int y, int maxw, uint8_t style, const char *s);
void canvas_fill(struct canvas *c, int x, int y, int w, int h, uint32_t cp, uint8_t style);
void canvas_restyle(struct canvas *c, int x, int y, int w, uint8_t style);
/* A straight line of line-drawing glyphs; Bresenham for slopes, choosing a glyph per step. */
void canvas_line(struct canvas *c, int x0, int y0, int x1, int y1, uint8_t style);
/* Columns the UTF-8 text takes when drawn. */
int canvas_text_width(const struct canvas *c, const char *s);
/* The canvas as text, rows joined by '\n', trailing blanks cut: for golden tests. Caller frees. */
char *canvas_to_text(const struct canvas *c);

#endif
