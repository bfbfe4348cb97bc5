/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The terminal: canvases in, keys out. The only module that speaks curses. */
#ifndef WGSTAR_TERM_H
#define WGSTAR_TERM_H

#include <stdbool.h>
#include "canvas.h"

enum term_event {
	TERM_NONE = 0,		/* no input waiting */
	TERM_KEY,		/* a key, as an app key or a code point */
	TERM_RESIZE,		/* the window has a new size: resize the canvas and draw */
	TERM_REDRAW,		/* Ctrl-L: the screen may be garbled; the next draw repaints it all */
};

struct term {
	int in_fd;		/* for poll(2) */
	int w, h;
	bool utf8;		/* the locale's character set is UTF-8 */
	bool color;		/* drawing in colour; otherwise with attributes only */
	bool repaint;		/* the next draw clears the terminal and writes every cell */
	struct canvas shown;	/* what the screen holds: a draw writes only cells that differ */
	struct screen *screen;	/* curses' SCREEN */
};

/*
 * Takes over the terminal on standard input and output: 0, -ENOTTY when either is not a
 * terminal, -ENOENT when the terminal type is unknown, -EINVAL when it cannot place the
 * cursor.
 * Colour only when want_color and the terminal has it.
 */
int term_open(struct term *t, bool want_color);
/* Gives the terminal back as it was; safe to call when not open or twice. */
void term_close(struct term *t);
/* Copies the canvas to the screen, sending only what changed. 0 or -ENOMEM. */
int term_draw(struct term *t, const struct canvas *c);
/* The next pending input; call until TERM_NONE. */
enum term_event term_read(struct term *t, int *key);

#endif
