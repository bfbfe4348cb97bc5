// SPDX-License-Identifier: GPL-2.0-or-later
/* The terminal: canvases in, keys out. The only module that speaks curses. */
#include <errno.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>
#include <curses.h>
#include "keys.h"
#include "term.h"

/* Long enough for an escape sequence over ssh to arrive whole, short enough for Esc to feel instant. */
#define TERM_ESCDELAY_MS 25
/* In a canvas cell, but never a code point: marks a screen cell as unknown. */
#define CP_UNKNOWN UINT32_MAX

struct style_look {
	short fg, bg;		/* -1: the terminal's default */
	attr_t attr;		/* added to the colours */
	attr_t mono;		/* instead of colours */
};

static const struct style_look looks[N_STYLES] = {
	[STYLE_NORMAL] = { -1, -1, A_NORMAL, A_NORMAL },
	[STYLE_DIM] = { -1, -1, A_DIM, A_DIM },
	[STYLE_TITLE] = { COLOR_WHITE, COLOR_BLUE, A_BOLD, A_REVERSE | A_BOLD },
	[STYLE_LABEL] = { COLOR_CYAN, -1, A_NORMAL, A_BOLD },
	[STYLE_COLUMN] = { COLOR_BLACK, COLOR_GREEN, A_NORMAL, A_REVERSE },
	[STYLE_COLUMN_SORTED] = { COLOR_BLACK, COLOR_CYAN, A_BOLD, A_REVERSE | A_BOLD | A_UNDERLINE },
	[STYLE_SELECTED] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[STYLE_ONLINE] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
	[STYLE_STALE] = { COLOR_YELLOW, -1, A_NORMAL, A_NORMAL },
	[STYLE_NEVER] = { -1, -1, A_DIM, A_DIM },
	[STYLE_HUB] = { COLOR_CYAN, -1, A_BOLD, A_BOLD | A_REVERSE },
	[STYLE_FLOW] = { COLOR_MAGENTA, -1, A_BOLD, A_BOLD },
	[STYLE_NEW] = { COLOR_GREEN, -1, A_BOLD | A_UNDERLINE, A_UNDERLINE },
	[STYLE_GONE] = { COLOR_RED, -1, A_DIM, A_DIM | A_UNDERLINE },
	[STYLE_WARN] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD | A_UNDERLINE },
	[STYLE_ERROR] = { COLOR_WHITE, COLOR_RED, A_BOLD, A_REVERSE | A_BOLD },
	[STYLE_KEY] = { -1, -1, A_BOLD, A_BOLD },
	[STYLE_STATUS] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	/* Without colour a diff's + and - carry the meaning, as in git diff --no-color. */
	[STYLE_DIFF_ADD] = { COLOR_GREEN, -1, A_NORMAL, A_NORMAL },
	[STYLE_DIFF_DEL] = { COLOR_RED, -1, A_NORMAL, A_NORMAL },
	[STYLE_DIFF_HUNK] = { COLOR_CYAN, -1, A_NORMAL, A_NORMAL },
	[STYLE_FIELD] = { COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_UNDERLINE },
	[STYLE_FIELD_FOCUS] = { COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE },
	[STYLE_CURSOR] = { COLOR_BLACK, COLOR_YELLOW, A_NORMAL, A_UNDERLINE | A_BOLD },
	[STYLE_COUNTDOWN] = { COLOR_BLACK, COLOR_YELLOW, A_BOLD, A_REVERSE | A_BOLD },
	[STYLE_FIELD_HINT] = { COLOR_BLUE, COLOR_WHITE, A_NORMAL, A_UNDERLINE | A_DIM },
	/*
	 * Set explicitly, not the terminal's default: a scanner wants dark modules on light, and
	 * the symbol is drawn with light modules as ink. Bold makes white bright on 8 colours.
	 * Without colour it is plain, and reads right on the usual light-on-dark terminal.
	 */
	[STYLE_QR] = { COLOR_WHITE, COLOR_BLACK, A_BOLD, A_NORMAL },
};

static void setup_colors(struct term *t, bool want_color)
{
	short dfg = -1, dbg = -1;

	t->color = false;
	if (!want_color || !has_colors() || start_color() == ERR)
		return;
	/* Without default colours, "default" is white on black, as most terminals start. */
	if (use_default_colors() == ERR) {
		dfg = COLOR_WHITE;
		dbg = COLOR_BLACK;
	}
	if (COLOR_PAIRS <= N_STYLES)
		return;
	for (int s = 1; s < N_STYLES; ++s)
		init_pair((short)s, looks[s].fg < 0 ? dfg : looks[s].fg, looks[s].bg < 0 ? dbg : looks[s].bg);
	t->color = true;
}

int term_open(struct term *t, bool want_color)
{
	SCREEN *sp;
	const char *codeset = nl_langinfo(CODESET), *term = getenv("TERM");
	char *cup;

	memset(t, 0, sizeof(*t));
	t->in_fd = STDIN_FILENO;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return -ENOTTY;
	if (!term || !term[0])
		return -ENOENT;
	sp = newterm(NULL, stdout, stdin);
	if (!sp)
		return -ENOENT;
	t->screen = sp;
	/* A terminal that cannot place the cursor (TERM=dumb) would get a scrolling mess. */
	cup = tigetstr("cup");
	if (!cup || cup == (char *)-1) {
		term_close(t);
		return -EINVAL;
	}
	t->utf8 = codeset && !strcmp(codeset, "UTF-8");
	cbreak();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	/* The cursor stays where the last change left it: moving it home costs bytes each frame. */
	leaveok(stdscr, TRUE);
	/*
	 * Curses would stop a frame half-way when a key is waiting; but a draw refreshes only
	 * when a cell changed, so the rest might never follow. A frame takes milliseconds.
	 */
	typeahead(-1);
	curs_set(0);
	set_escdelay(TERM_ESCDELAY_MS);
	/*
	 * Until it has once come back from endwin(), ncurses writes its buffer out at every
	 * cursor move of a refresh: a frame that re-sorts the table went out in 40 to 110 writes,
	 * each a wakeup for sshd and often a packet of its own, and under emulation 15 to 25 ms
	 * before the frame was whole. Coming back once now makes every frame one write. Done
	 * before the colours are set up: coming back with colours on would also reset the
	 * terminal's palette (the "oc" capability), which the operator may have set.
	 */
	endwin();
	refresh();
	setup_colors(t, want_color);
	t->w = COLS;
	t->h = LINES;
	t->repaint = true;
	return 0;
}

void term_close(struct term *t)
{
	if (!t->screen)
		return;
	endwin();
	delscreen(t->screen);
	t->screen = NULL;
	canvas_free(&t->shown);
}

static attr_t cell_attr(const struct term *t, uint8_t style, short *pair)
{
	if (style >= N_STYLES)
		style = STYLE_NORMAL;
	if (!t->color) {
		*pair = 0;
		return looks[style].mono;
	}
	*pair = (short)style;
	return looks[style].attr;
}

static void put_cell(struct term *t, const struct canvas *c, int x, int y)
{
	const struct cell *cell = &c->cells[(size_t)y * (size_t)c->w + (size_t)x];
	wchar_t wc[2] = { (wchar_t)cell->cp, L'\0' };
	cchar_t cc;
	attr_t attr;
	short pair;

	if (!t->utf8 && cell->cp >= 0x80)
		wc[0] = L'?';
	/* A wide character needs its right half free on the canvas; else it would push the row. */
	if (wc[0] >= 0x80 && wcwidth(wc[0]) > 1 &&
	    (x + 1 >= c->w || c->cells[(size_t)y * (size_t)c->w + (size_t)x + 1].cp != 0))
		wc[0] = L' ';
	attr = cell_attr(t, cell->style, &pair);
	setcchar(&cc, wc, attr, pair, NULL);
	/* The bottom right cell reports ERR, as the cursor cannot move past it, yet it is drawn. */
	mvadd_wch(y, x, &cc);
}

int term_draw(struct term *t, const struct canvas *c)
{
	size_t n = (size_t)c->w * (size_t)c->h;
	bool changed = false;
	int ret;

	if (!t->screen)
		return 0;
	if (t->shown.w != c->w || t->shown.h != c->h || !t->shown.cells) {
		ret = canvas_init(&t->shown, c->w, c->h, c->utf8);
		if (ret < 0)
			return ret;
		t->repaint = true;
	}
	if (t->repaint) {
		for (size_t i = 0; i < n; ++i)
			t->shown.cells[i].cp = CP_UNKNOWN;
		erase();
		clearok(curscr, TRUE);
		changed = true;
	}
	for (int y = 0; y < c->h; ++y) {
		for (int x = 0; x < c->w; ++x) {
			size_t i = (size_t)y * (size_t)c->w + (size_t)x;
			const struct cell *now = &c->cells[i];
			struct cell *was = &t->shown.cells[i];

			if (now->cp == was->cp && now->style == was->style)
				continue;
			*was = *now;
			/* The right half of a wide character is drawn with its left half. */
			if (now->cp == 0)
				continue;
			put_cell(t, c, x, y);
			changed = true;
		}
	}
	t->repaint = false;
	if (changed)
		refresh();
	return 0;
}

static int map_function_key(wint_t k)
{
	switch (k) {
	case KEY_UP:
		return AK_UP;
	case KEY_DOWN:
		return AK_DOWN;
	case KEY_PPAGE:
		return AK_PGUP;
	case KEY_NPAGE:
		return AK_PGDN;
	case KEY_HOME:
		return AK_HOME;
	case KEY_END:
		return AK_END;
	case KEY_LEFT:
		return AK_LEFT;
	case KEY_RIGHT:
		return AK_RIGHT;
	case KEY_BTAB:
		return AK_BTAB;
	case KEY_DC:
		return AK_DELETE;
	case KEY_ENTER:
		return AK_ENTER;
	case KEY_BACKSPACE:
		return AK_BACKSPACE;
	case KEY_F(1):
		return AK_F1;
	case KEY_F(10):
		return AK_F10;
	default:
		return 0;
	}
}

static int map_char(wint_t c)
{
	switch (c) {
	case 27:
		return AK_ESC;
	case '\r':
	case '\n':
		return AK_ENTER;
	case '\t':
		return AK_TAB;
	case 127:
	case 8:
		return AK_BACKSPACE;
	case 21:
		return AK_KILL_LINE;	/* Ctrl-U */
	default:
		break;
	}
	if (c < 0x20 || (c >= 0x7f && c < 0xa0) || c > 0x10ffff)
		return 0;
	return (int)c;
}

enum term_event term_read(struct term *t, int *key)
{
	wint_t wc;
	int r;

	if (!t->screen)
		return TERM_NONE;
	for (;;) {
		r = get_wch(&wc);
		if (r == ERR)
			return TERM_NONE;
		if (r == KEY_CODE_YES && wc == KEY_RESIZE) {
			t->w = COLS;
			t->h = LINES;
			t->repaint = true;
			return TERM_RESIZE;
		}
		if (r == OK && wc == 12) {
			t->repaint = true;
			return TERM_REDRAW;
		}
		*key = r == KEY_CODE_YES ? map_function_key(wc) : map_char(wc);
		if (*key)
			return TERM_KEY;
	}
}
