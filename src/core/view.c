// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's screens, rendered from the app state into a canvas: no curses, no I/O. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "i18n.h"
#include "view.h"
#include "view_int.h"

/*
 * Layout, top to bottom:
 *   a title bar (host, interface, port, key, clock) and a line of figures (forwarding, peers
 *   online, total rates); one more line when a sample failed or forwarding is off while peers
 *   need it;
 *   the star diagram, when the body has at least STAR_MIN_BODY rows and the window is at
 *   least STAR_MIN_W wide: at most 55% of the body, 4n+3 rows so that the hub sits in the
 *   middle with peers on every other row and a clear row above and below (11 rows at 80x24,
 *   19 at 120x40); smaller windows (40x12) show the table only, which always lists every
 *   peer;
 *   the peer table in the rest;
 *   the status line with the most useful keys.
 */
#define STAR_MIN_BODY 16
#define STAR_MIN_W 60
#define STAR_MIN_H 7
#define STAR_MAX_H 23

#define SEG_PARTS 4
#define SEG_MAX 12

/* A piece of a header or status line that is shown whole or not at all. */
struct seg {
	int prio;		/* lower is more important */
	int n;
	char text[SEG_PARTS][FORMAT_BUF];
	uint8_t style[SEG_PARTS];
};

struct seg_line {
	struct seg segs[SEG_MAX];
	int n;
};

static struct seg *seg_new(struct seg_line *l, int prio)
{
	struct seg *s;

	if (l->n == SEG_MAX)
		return NULL;
	s = &l->segs[l->n++];
	s->prio = prio;
	s->n = 0;
	return s;
}

__attribute__((format(printf, 3, 4)))
static void seg_add(struct seg *s, uint8_t style, const char *fmt, ...)
{
	va_list ap;

	if (!s || s->n == SEG_PARTS)
		return;
	va_start(ap, fmt);
	vsnprintf(s->text[s->n], sizeof(s->text[s->n]), fmt, ap);
	va_end(ap);
	s->style[s->n++] = style;
}

static int seg_width(const struct canvas *c, const struct seg *s)
{
	int w = 0;

	for (int i = 0; i < s->n; ++i)
		w += canvas_text_width(c, s->text[i]);
	return w;
}

static int seg_total(const struct canvas *c, const struct seg_line *l, int gap)
{
	int w = 0;

	for (int i = 0; i < l->n; ++i)
		w += seg_width(c, &l->segs[i]) + (i ? gap : 0);
	return w;
}

/*
 * Draws the segments that fit in w columns, the most important first, in their order, gap
 * columns apart, starting at x or, with right set, ending at x. Returns the columns used.
 */
static int seg_draw(struct canvas *c, const struct seg_line *l, int x, int y, int w, int gap, bool right)
{
	bool shown[SEG_MAX] = { false };
	int used = 0, col;

	for (int prio = 0; prio < 16; ++prio)
		for (int i = 0; i < l->n; ++i) {
			int sw = seg_width(c, &l->segs[i]);

			if (l->segs[i].prio != prio || !sw)
				continue;
			if (used + (used ? gap : 0) + sw > w)
				continue;
			used += (used ? gap : 0) + sw;
			shown[i] = true;
		}
	col = right ? x - used : x;
	for (int i = 0, first = 1; i < l->n; ++i) {
		if (!shown[i])
			continue;
		if (!first)
			col += gap;
		first = 0;
		for (int p = 0; p < l->segs[i].n; ++p)
			col += canvas_text(c, col, y, -1, l->segs[i].style[p], l->segs[i].text[p], false);
	}
	return used;
}

const char *view_row_name(const struct view_ctx *v, const struct app_row *row, char *buf, size_t len)
{
	const char *name = app_row_name(v->app, row);

	if (name && name[0])
		return name;
	return format_key_short(buf, len, v->d->tracks[row->track].key, v->c->utf8);
}

uint8_t view_state_style(enum peer_state s)
{
	return s == PEER_ONLINE ? STYLE_ONLINE : s == PEER_STALE ? STYLE_STALE : STYLE_NEVER;
}

const char *view_state_text(enum peer_state s)
{
	return s == PEER_ONLINE ? _("online") : s == PEER_STALE ? _("stale") : _("never");
}

/* A recorder quiet for this long is taken as stopped (its interval is 10 s by default). */
#define VIEW_RECORDER_QUIET 120

const char *view_history_note(const struct view_ctx *v, char *buf, size_t len)
{
	const struct wg_history *h = v->dev ? v->dev->history : NULL;
	char age[FORMAT_BUF];

	if (!h)
		return NULL;
	if (h->status) {
		snprintf(buf, len, "%s", h->note);
		return buf;
	}
	if (!h->last_write || v->now - h->last_write <= VIEW_RECORDER_QUIET)
		return NULL;
	snprintf(buf, len, _("recorded until %s ago: is the recorder (wgstar-top record) running?"),
		 format_age(age, sizeof(age), v->now - h->last_write));
	return buf;
}

uint8_t view_event_style(const struct wg_history_event *e)
{
	if (!strcmp(e->type, "traffic_refused") || !strcmp(e->type, "guard_lost") ||
	    !strcmp(e->type, "firewall_rolled_back"))
		return STYLE_ERROR;
	if (!strcmp(e->type, "peer_offline") || !strcmp(e->type, "interface_down") || !strcmp(e->type, "counters_reset"))
		return STYLE_WARN;
	if (!strcmp(e->type, "peer_online") || !strcmp(e->type, "interface_up"))
		return STYLE_ONLINE;
	return STYLE_NORMAL;
}

static void center_text(struct canvas *c, int y, uint8_t style, const char *s)
{
	int w = canvas_text_width(c, s);

	canvas_text(c, w < c->w ? (c->w - w) / 2 : 0, y, -1, style, s, true);
}

static void render_too_small(struct canvas *c)
{
	char line[FORMAT_BUF];

	snprintf(line, sizeof(line), _("window too small (need at least %dx%d)"), VIEW_MIN_W, VIEW_MIN_H);
	if (canvas_text_width(c, line) <= c->w) {
		center_text(c, c->h / 2, STYLE_WARN, line);
		return;
	}
	/* Narrower than the sentence: say it in two lines. */
	center_text(c, c->h / 2 - 1, STYLE_WARN, _("window too small"));
	snprintf(line, sizeof(line), _("need at least %dx%d"), VIEW_MIN_W, VIEW_MIN_H);
	center_text(c, c->h / 2, STYLE_WARN, line);
}

static const char *fwd_word(int v)
{
	return v > 0 ? _("on") : v == 0 ? _("off") : "?";
}

/* Returns the rows the header took. */
static int render_header(struct view_ctx *v)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	const struct wg_device *dev = v->dev;
	struct seg_line left = { .n = 0 }, right = { .n = 0 }, figures = { .n = 0 };
	const struct app_drift *dr;
	struct seg *s;
	char buf[FORMAT_BUF], buf2[FORMAT_BUF];
	bool warn4 = false, warn6 = false;
	uint32_t online = 0;
	int rw, gap, y = 2;

	canvas_fill(c, 0, 0, c->w, 1, ' ', STYLE_TITLE);
	if (app->hostname[0])
		seg_add(seg_new(&left, 1), STYLE_TITLE, "%s", app->hostname);
	if (dev) {
		s = seg_new(&left, 0);
		seg_add(s, STYLE_TITLE, "%s", dev->name);
		if (app->n_devs > 1)
			seg_add(s, STYLE_TITLE, " [%zu/%zu]", app->cur + 1, app->n_devs);
		if (dev->listen_port)
			seg_add(seg_new(&left, 2), STYLE_TITLE, _("port %u"), dev->listen_port);
		if (dev->has_public_key)
			seg_add(seg_new(&left, 3), STYLE_TITLE, _("key %s"),
				format_key_short(buf, sizeof(buf), dev->public_key, c->utf8));
	}
	if (app->paused)
		seg_add(seg_new(&right, 1), STYLE_WARN, "%s", _("PAUSED"));
	if (app->clock[0])
		seg_add(seg_new(&right, 0), STYLE_TITLE, "%s", app->clock);
	rw = seg_draw(c, &right, c->w - 1, 0, c->w / 3, 2, true);
	seg_draw(c, &left, 1, 0, c->w - 2 - (rw ? rw + 2 : 0), 2, false);

	if (dev) {
		bool any6 = v->d->any6;

		online = v->d->online;
		warn4 = app->fwd.ipv4 == 0 && dev->n_peers;
		warn6 = app->fwd.ipv6 == 0 && any6;

		s = seg_new(&figures, 1);
		seg_add(s, STYLE_LABEL, "%s ", _("fwd"));
		seg_add(s, warn4 ? STYLE_WARN : app->fwd.ipv4 < 0 ? STYLE_DIM : STYLE_NORMAL,
			"IPv4 %s", fwd_word(app->fwd.ipv4));
		seg_add(s, warn6 ? STYLE_WARN : app->fwd.ipv6 < 0 ? STYLE_DIM : STYLE_NORMAL,
			" IPv6 %s", fwd_word(app->fwd.ipv6));
		s = seg_new(&figures, 0);
		seg_add(s, STYLE_LABEL, "%s ", _("online"));
		seg_add(s, STYLE_NORMAL, "%u/%u", online, dev->n_peers);
		/* The live interface and its file disagree: as important as forwarding. */
		if ((dr = app_drift(app)) && dr->n) {
			s = seg_new(&figures, 1);
			if (dr->n_live && dr->n_file)
				seg_add(s, STYLE_WARN, _("drift: %u live only, %u file only"), dr->n_live, dr->n_file);
			else if (dr->n_live)
				seg_add(s, STYLE_WARN, _("drift: %u live only"), dr->n_live);
			else
				seg_add(s, STYLE_WARN, _("drift: %u file only"), dr->n_file);
			seg_add(s, STYLE_WARN, " (%s)", "d");
		}
		/* Whose file it is: another tool's changes win, and wgstar changes none of it. */
		if (dev->managed_by) {
			s = seg_new(&figures, 1);
			seg_add(s, STYLE_WARN, _("file kept by %s"), dev->managed_by);
		} else if (dev->save_config) {
			s = seg_new(&figures, 3);
			seg_add(s, STYLE_DIM, "%s", _("SaveConfig: names in the name store"));
		}
		s = seg_new(&figures, 2);
		if (v->d && v->d->rates_known) {
			seg_add(s, STYLE_LABEL, "%s ", _("rx"));
			seg_add(s, STYLE_NORMAL, "%s", format_rate(buf, sizeof(buf), v->d->rx_rate, true));
			seg_add(s, STYLE_LABEL, "  %s ", _("tx"));
			seg_add(s, STYLE_NORMAL, "%s", format_rate(buf2, sizeof(buf2), v->d->tx_rate, true));
		} else {
			seg_add(s, STYLE_LABEL, "%s ", _("rx/tx"));
			seg_add(s, STYLE_DIM, "%s", _("no rate yet"));
		}
		/* What the hub forwards between peers, or that nothing counts it yet. */
		s = seg_new(&figures, 3);
		if (v->d && v->d->counting) {
			seg_add(s, STYLE_LABEL, "%s ", _("forwarded"));
			seg_add(s, STYLE_NORMAL, "%s", format_rate(buf, sizeof(buf), v->d->fwd_rate, v->d->rates_known));
		} else if (dev->n_peers) {
			seg_add(s, STYLE_DIM, "%s", _("fwd counters off"));
			if (!app->read_only)
				seg_add(s, STYLE_DIM, " %s", _("(F to install)"));
		}
		/* The hint how to install the table is the first to go. */
		if (s->n == 2 && seg_total(c, &figures, 2) > c->w - 2)
			s->n = 1;
		/* Roomy when the main figures fit, tighter rather than losing one; the last may go. */
		figures.n--;
		gap = seg_total(c, &figures, 3) <= c->w - 2 ? 3 : 2;
		figures.n++;
		seg_draw(c, &figures, 1, 1, c->w - 2, gap, false);
	}

	/* A change nothing will roll back, whoever applied it: said before anything else. */
	if (app->fw_pending < 0) {
		canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_ERROR);
		canvas_text(c, 1, y, c->w - 2, STYLE_ERROR,
			    _("! firewall change UNGUARDED: its rollback guard is gone; c keeps it, u undoes it"), true);
		y++;
	}
	if (app->error[0]) {
		canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_ERROR);
		snprintf(buf, sizeof(buf), "%s", _("sample failed:"));
		canvas_text(c, 1, y, -1, STYLE_ERROR, buf, false);
		canvas_text(c, 2 + canvas_text_width(c, buf), y, c->w - 3 - canvas_text_width(c, buf),
			    STYLE_ERROR, app->error, true);
		y++;
	} else if (warn4 || warn6) {
		const char *what = warn4 && warn6 ? _("IPv4 and IPv6 forwarding are off") :
				   warn4 ? _("IPv4 forwarding is off") : _("IPv6 forwarding is off");

		canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_WARN);
		snprintf(buf, sizeof(buf), _("! %s: peers cannot reach each other"), what);
		canvas_text(c, 1, y, c->w - 2, STYLE_WARN, buf, true);
		y++;
	}
	return y;
}

struct status_key {
	int key;
	const char *what;	/* N_() */
	int prio;
};

static const struct status_key main_keys[] = {
	{ '?', N_("help"), 0 },
	{ AK_ENTER, N_("detail"), 2 },
	{ '/', N_("filter"), 3 },
	{ 's', N_("sort"), 4 },
	{ ' ', N_("pause"), 5 },
	{ AK_TAB, N_("interface"), 6 },
	{ 'F', N_("firewall"), 7 },
	{ 'x', N_("check"), 8 },
	{ 'w', N_("forwarding"), 9 },
	{ 'n', N_("new peer"), 10 },
	{ 'q', N_("quit"), 1 },
};

static const struct status_key detail_keys[] = {
	{ AK_ESC, N_("back"), 0 },
	{ '?', N_("help"), 2 },
	{ 'q', N_("quit"), 1 },
};

static const struct status_key help_keys[] = {
	{ 'q', N_("quit"), 2 },
};

static void status_keys(struct view_ctx *v, struct seg_line *l, const struct status_key *keys, size_t n)
{
	for (size_t i = 0; i < n; ++i) {
		const struct app_binding *b = app_binding_of(keys[i].key);
		const char *what = _(keys[i].what);
		struct seg *s;

		if (!b)
			continue;
		if (keys[i].key == AK_TAB && v->app->n_devs < 2)
			continue;
		if (b->changes && v->app->read_only)
			continue;
		if (keys[i].key == ' ' && v->app->paused)
			what = _("resume");
		s = seg_new(l, keys[i].prio);
		seg_add(s, STYLE_KEY, "%s", b->label);
		seg_add(s, STYLE_STATUS, " %s", what);
	}
}

static void render_status(struct view_ctx *v, int y)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	struct seg_line keys = { .n = 0 }, right = { .n = 0 };
	char countdown[APP_TEXT_MAX];
	struct seg *s;
	int rw, x0 = 1;

	canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_STATUS);
	/* An unconfirmed firewall change is rolled back soon: nothing hides that. */
	if (app_countdown_text(app, countdown, sizeof(countdown))) {
		canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_COUNTDOWN);
		x0 += canvas_text(c, 1, y, c->w - 2, STYLE_COUNTDOWN, countdown, true) + 2;
		if (x0 >= c->w - 2)
			return;
	}
	if (app_modal_top(app) != MODAL_NONE) {
		/* A dialog's keys are on its own frame; here only what happened. */
		canvas_text(c, x0, y, c->w - 1 - x0, STYLE_STATUS, app->message, true);
		return;
	}
	if (app->filter_editing) {
		int x = 1;

		x += canvas_text(c, x, y, -1, STYLE_KEY, _("filter:"), false);
		x += 1;
		x += canvas_text(c, x, y, c->w - x - 2, STYLE_STATUS, app->filter, true);
		canvas_set(c, x, y, '_', STYLE_STATUS);
		s = seg_new(&right, 0);
		seg_add(s, STYLE_KEY, "%s", "Enter");
		seg_add(s, STYLE_STATUS, " %s  ", _("done"));
		seg_add(s, STYLE_KEY, "%s", "Esc");
		seg_add(s, STYLE_STATUS, " %s", _("clear"));
		seg_draw(c, &right, c->w - 1, y, c->w - x - 3, 2, true);
		return;
	}
	if (app->view == VIEW_MAIN || app->view == VIEW_TIMELINE) {
		if (app->filter[0]) {
			s = seg_new(&right, 0);
			seg_add(s, STYLE_KEY, "%s", _("filter:"));
			seg_add(s, STYLE_KEY, " %.40s", app->filter);
		}
		if (app->view == VIEW_MAIN && app->n_rows && v->selected >= 0)
			seg_add(seg_new(&right, 1), STYLE_STATUS, "%lld/%u",
				(long long)v->selected + 1, app->n_rows);
	}
	rw = seg_draw(c, &right, c->w - 1, y, c->w / 2 - x0, 2, true);
	if (app->message[0]) {
		canvas_text(c, x0, y, c->w - 1 - x0 - (rw ? rw + 2 : 0), STYLE_STATUS, app->message, true);
		return;
	}
	if (app->view == VIEW_HELP || app->view == VIEW_POLICY || app->view == VIEW_TIMELINE) {
		if (app->help_page > 0 && v->help_rows > app->help_page) {
			s = seg_new(&keys, 1);
			seg_add(s, STYLE_KEY, "%s", "Up Down PgUp PgDn");
			seg_add(s, STYLE_STATUS, " %s", _("scroll"));
		}
		if (app->view == VIEW_TIMELINE) {
			s = seg_new(&keys, 0);
			seg_add(s, STYLE_KEY, "%s", "/");
			seg_add(s, STYLE_STATUS, " %s", _("filter"));
		}
		s = seg_new(&keys, 0);
		seg_add(s, STYLE_KEY, "%s", _("any key"));
		seg_add(s, STYLE_STATUS, " %s", _("back"));
		status_keys(v, &keys, help_keys, sizeof(help_keys) / sizeof(help_keys[0]));
	} else if (app->view == VIEW_DETAIL) {
		status_keys(v, &keys, detail_keys, sizeof(detail_keys) / sizeof(detail_keys[0]));
	} else {
		status_keys(v, &keys, main_keys, sizeof(main_keys) / sizeof(main_keys[0]));
	}
	seg_draw(c, &keys, x0, y, c->w - 1 - x0 - (rw ? rw + 2 : 0), 2, false);
}

struct legend {
	enum glyph glyph;
	uint8_t style;
	const char *word;	/* N_() */
	const char *what;	/* N_() */
};

static const struct legend legend[] = {
	{ G_BULLET, STYLE_ONLINE, N_("online"), N_("handshake within 3 min") },
	{ G_BULLET, STYLE_STALE, N_("stale"), N_("no handshake for 3 min") },
	{ G_BULLET, STYLE_NEVER, N_("never"), N_("no handshake yet") },
	{ G_HLINE, STYLE_FLOW, N_("traffic"), N_("bytes moving on the edge") },
	{ N_GLYPHS, STYLE_NEW, N_("new"), N_("just appeared") },
	{ N_GLYPHS, STYLE_GONE, N_("gone"), N_("just vanished") },
	{ N_GLYPHS, STYLE_WARN, N_("drift"), N_("live, not in the config file") },
};

/*
 * Every key the console knows, from the tables that dispatch them, and what colours mean,
 * drawn from row 0 of c (as tall as it needs); returns the rows it took.
 */
static int help_draw(struct canvas *c, int w, bool read_only)
{
	int lw = 0, ww = 0, y = 0, cols, colw, rows;
	size_t n_legend = sizeof(legend) / sizeof(legend[0]);

	for (size_t i = 0; i < app_n_bindings; ++i) {
		int lab = canvas_text_width(c, app_bindings[i].label);

		lw = lab > lw ? lab : lw;
	}
	for (size_t i = 0; i < app_n_dialog_keys; ++i) {
		int lab = canvas_text_width(c, app_dialog_keys[i].label);

		lw = lab > lw ? lab : lw;
	}
	for (size_t i = 0; i < n_legend; ++i) {
		int ew = canvas_text_width(c, _(legend[i].word));

		ww = ew > ww ? ew : ww;
	}
	canvas_text(c, 1, y++, w - 2, STYLE_LABEL, _("Keys"), true);
	for (size_t i = 0; i < app_n_bindings; ++i, ++y) {
		/* What --read-only turns off is there, dimmed: the operator learns it exists. */
		bool off = read_only && app_bindings[i].changes;

		canvas_text(c, 3, y, lw, off ? STYLE_DIM : STYLE_KEY, app_bindings[i].label, true);
		canvas_text(c, 5 + lw, y, w - 6 - lw, off ? STYLE_DIM : STYLE_NORMAL, _(app_bindings[i].help), true);
	}
	y++;
	canvas_text(c, 1, y++, w - 2, STYLE_LABEL, _("In previews, lists and dialogs"), true);
	for (size_t i = 0; i < app_n_dialog_keys; ++i, ++y) {
		canvas_text(c, 3, y, lw, STYLE_KEY, app_dialog_keys[i].label, true);
		canvas_text(c, 5 + lw, y, w - 6 - lw, STYLE_NORMAL, _(app_dialog_keys[i].help), true);
	}
	y++;
	canvas_text(c, 1, y++, w - 2, STYLE_LABEL, _("States and marks"), true);
	colw = 0;
	for (size_t i = 0; i < n_legend; ++i) {
		int ew = 4 + ww + 2 + canvas_text_width(c, _(legend[i].what)) + 2;

		colw = ew > colw ? ew : colw;
	}
	cols = (w - 2) / colw;
	if (cols < 1)
		cols = 1;
	if (cols > 3)
		cols = 3;
	rows = ((int)n_legend + cols - 1) / cols;
	for (size_t i = 0; i < n_legend; ++i) {
		int x = 1 + (int)(i % (size_t)cols) * colw, ly = y + (int)(i / (size_t)cols);
		const char *mark = legend[i].style == STYLE_NEW ? "+" : legend[i].style == STYLE_WARN ? "!" : "-";

		if (legend[i].glyph == N_GLYPHS)
			canvas_text(c, x + 2, ly, 1, legend[i].style, mark, false);
		else
			canvas_set(c, x + 2, ly, canvas_glyph(c, legend[i].glyph), legend[i].style);
		canvas_text(c, x + 4, ly, ww, legend[i].style, _(legend[i].word), true);
		canvas_text(c, x + 6 + ww, ly, colw - 7 - ww, STYLE_DIM, _(legend[i].what), true);
	}
	return y + rows;
}

/* The help screen, scrolled to app->help_top: it is longer than a small window. */
static void render_help(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c, all = { 0 };
	struct app *app = v->app;
	int rows, top;

	if (canvas_init(&all, w, (int)(app_n_bindings + app_n_dialog_keys) + 16, c->utf8) < 0)
		return;
	rows = help_draw(&all, w, app->read_only);
	top = (int)app->help_top;
	if (top > rows - h)
		top = rows - h > 0 ? rows - h : 0;
	app->help_top = (uint32_t)top;
	app->help_page = h;
	v->help_rows = rows;
	for (int y = 0; y < h && top + y < rows; ++y)
		for (int x = 0; x < w; ++x)
			*canvas_at(c, x0 + x, y0 + y) = *canvas_at(&all, x, top + y);
	/* What is above and below, as less shows it. */
	if (top > 0)
		canvas_set(c, x0 + w - 1, y0, canvas_glyph(c, G_ARROW_UP), STYLE_DIM);
	if (top + h < rows)
		canvas_set(c, x0 + w - 1, y0 + h - 1, canvas_glyph(c, G_ARROW_DOWN), STYLE_DIM);
	canvas_free(&all);
}

/* --- dialogs --- */

/* The bytes of the UTF-8 character at s (at least 1). */
static size_t char_len(const char *s)
{
	size_t n = 1;

	while (s[n] && ((unsigned char)s[n] & 0xc0) == 0x80)
		n++;
	return n;
}

/* Columns the first len bytes of s take. */
static int text_width_n(const struct canvas *c, const char *s, size_t len)
{
	char buf[APP_LONG_TEXT_MAX + 1024];

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return canvas_text_width(c, buf);
}

/* The bytes of s that fill the next row of width columns, broken after a space where one is. */
static size_t wrap_row(const struct canvas *c, const char *s, int width)
{
	size_t i = 0, space = 0;
	int col = 0;

	while (s[i]) {
		size_t n = char_len(s + i);
		int cw = text_width_n(c, s + i, n);

		if (col + cw > width)
			break;
		col += cw;
		i += n;
		if (s[i - 1] == ' ')
			space = i;
	}
	if (!s[i])
		return i;
	if (space)
		return space;
	return i ? i : char_len(s);
}

/* Draws the first len bytes of s. */
static int text_n(struct canvas *c, int x, int y, int maxw, uint8_t style, const char *s, size_t len, bool ellipsis)
{
	char buf[APP_LONG_TEXT_MAX + 1024];

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return canvas_text(c, x, y, maxw, style, buf, ellipsis);
}

/* Rows s takes wrapped to width; with indent, rows after the first are that much narrower. */
static int wrapped_rows(const struct canvas *c, const char *s, int width, int indent)
{
	int rows = 0;

	do {
		s += wrap_row(c, s, rows ? width - indent : width);
		rows++;
	} while (*s);
	return rows;
}

/* Draws s wrapped into at most max_rows rows; returns the rows drawn. */
static int wrapped_draw(struct canvas *c, int x, int y, int width, int max_rows, int indent, uint8_t style,
			const char *s)
{
	int rows = 0;

	do {
		int w = rows ? width - indent : width;
		size_t n = wrap_row(c, s, w);

		text_n(c, x + (rows ? indent : 0), y + rows, w, style, s, n, false);
		s += n;
		rows++;
	} while (*s && rows < max_rows);
	return rows;
}

/* A framed box, cleared, with a title on its top edge, leaving right columns of it free. */
static void box(struct canvas *c, int x, int y, int w, int h, const char *title, int right)
{
	canvas_fill(c, x, y, w, h, ' ', STYLE_NORMAL);
	for (int i = x + 1; i < x + w - 1; ++i) {
		canvas_set(c, i, y, canvas_glyph(c, G_HLINE), STYLE_LABEL);
		canvas_set(c, i, y + h - 1, canvas_glyph(c, G_HLINE), STYLE_LABEL);
	}
	for (int j = y + 1; j < y + h - 1; ++j) {
		canvas_set(c, x, j, canvas_glyph(c, G_VLINE), STYLE_LABEL);
		canvas_set(c, x + w - 1, j, canvas_glyph(c, G_VLINE), STYLE_LABEL);
	}
	canvas_set(c, x, y, canvas_glyph(c, G_TL), STYLE_LABEL);
	canvas_set(c, x + w - 1, y, canvas_glyph(c, G_TR), STYLE_LABEL);
	canvas_set(c, x, y + h - 1, canvas_glyph(c, G_BL), STYLE_LABEL);
	canvas_set(c, x + w - 1, y + h - 1, canvas_glyph(c, G_BR), STYLE_LABEL);
	if (title && title[0] && w > 6) {
		int tw = canvas_text(c, x + 2, y, w - 4, STYLE_LABEL, " ", false);

		tw += canvas_text(c, x + 2 + tw, y, w - 5 - tw - right, STYLE_KEY, title, true);
		canvas_text(c, x + 2 + tw, y, 1, STYLE_LABEL, " ", false);
	}
}

/* The keys of a dialog on its bottom edge: key and what it does, pairs, most important first. */
static void box_keys(struct canvas *c, int x, int y, int w, const char *const *pairs, size_t n)
{
	struct seg_line l = { .n = 0 };

	for (size_t i = 0; i + 1 < n; i += 2) {
		struct seg *s;

		if (!pairs[i])
			continue;
		s = seg_new(&l, (int)(i / 2));
		seg_add(s, STYLE_KEY, " %s", pairs[i]);
		seg_add(s, STYLE_NORMAL, " %s ", pairs[i + 1]);
	}
	seg_draw(c, &l, x + 2, y, w - 4, 1, false);
}

/* Where dialogs go: the body, or below the title bar when the body is short. */
static void dialog_area(const struct canvas *c, int top, int *y0, int *h)
{
	*y0 = top;
	*h = c->h - 1 - top;
	if (*h < 12) {
		*y0 = 1;
		*h = c->h - 2;
	}
}

static uint8_t line_style(const struct app *app, const struct app_line *l)
{
	if (l->kind == APP_LINE_NOTE)
		return STYLE_DIM;
	if (l->kind == APP_LINE_WARN)
		return STYLE_WARN;
	if (l->kind != APP_LINE_DIFF || !app->color)
		return STYLE_NORMAL;
	if (!strncmp(l->text, "+++ ", 4) || !strncmp(l->text, "--- ", 4))
		return STYLE_KEY;
	if (l->text[0] == '+')
		return STYLE_DIFF_ADD;
	if (l->text[0] == '-')
		return STYLE_DIFF_DEL;
	if (!strncmp(l->text, "@@", 2))
		return STYLE_DIFF_HUNK;
	return STYLE_NORMAL;
}

static void render_pager(struct view_ctx *v, int top_row)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	struct app_pager *p = &app->pager;
	const char *keys[10];
	size_t nk = 0, last;
	int y0, h, rows, iw, y;
	char pos[64];

	dialog_area(c, top_row, &y0, &h);
	iw = c->w - 4;
	/* A list is as tall as it needs; text takes the whole area. */
	if (p->select) {
		int need = 0;

		for (size_t i = 0; i < p->n && need < h; ++i)
			need += p->wrap ? wrapped_rows(c, p->lines[i].text, iw, 2) : 1;
		if (need < 3)
			need = 3;
		if (need + 2 < h)
			h = need + 2;
	}
	rows = h - 2;
	if (rows < 1)
		return;
	snprintf(pos, sizeof(pos), " %zu-%zu/%zu ", p->n, p->n, p->n);
	box(c, 0, y0, c->w, h, p->title, p->n > (size_t)rows ? canvas_text_width(c, pos) + 1 : 0);
	/* With a list, the chosen line stays in sight; the rows each line takes decide. */
	if (p->select && p->n) {
		int used = 0;

		if (p->cursor >= p->n)
			p->cursor = p->n - 1;
		if (p->cursor < p->top)
			p->top = p->cursor;
		for (;;) {
			used = 0;
			for (size_t i = p->top; i <= p->cursor; ++i)
				used += p->wrap ? wrapped_rows(c, p->lines[i].text, iw, 2) : 1;
			if (used <= rows || p->top == p->cursor)
				break;
			p->top++;
		}
	} else if (!p->wrap) {
		if (p->top + (size_t)rows > p->n)
			p->top = p->n > (size_t)rows ? p->n - (size_t)rows : 0;
	} else if (p->top >= p->n) {
		p->top = p->n ? p->n - 1 : 0;
	}
	y = y0 + 1;
	last = p->top;
	for (size_t i = p->top; i < p->n && y < y0 + 1 + rows; ++i) {
		const struct app_line *l = &p->lines[i];
		bool chosen = p->select && i == p->cursor;
		uint8_t style = chosen ? STYLE_SELECTED : line_style(app, l);
		int used;

		if (p->wrap) {
			int need = wrapped_rows(c, l->text, iw, 2);

			/* A line that does not fit whole waits for the next page, unless it is alone. */
			if (need > y0 + 1 + rows - y && i > p->top)
				break;
			if (chosen)
				canvas_fill(c, 1, y, c->w - 2, need < y0 + 1 + rows - y ? need : y0 + 1 + rows - y, ' ',
					    STYLE_SELECTED);
			used = wrapped_draw(c, 2, y, iw, y0 + 1 + rows - y, 2, style, l->text);
		} else {
			if (chosen)
				canvas_fill(c, 1, y, c->w - 2, 1, ' ', STYLE_SELECTED);
			canvas_text(c, 2, y, iw, style, l->text, true);
			used = 1;
		}
		y += used;
		last = i + 1;
	}
	p->page = (int)(last - p->top) > 0 ? (int)(last - p->top) : 1;
	/* Where in the text, when it is longer than the box. */
	pos[0] = '\0';
	if (p->top > 0 || last < p->n)
		snprintf(pos, sizeof(pos), " %zu-%zu/%zu ", p->top + 1, last, p->n);
	if (pos[0]) {
		canvas_text_right(c, c->w - 2, y0, c->w / 3, STYLE_LABEL, pos);
		if (p->top > 0)
			canvas_set(c, c->w - 1, y0 + 1, canvas_glyph(c, G_ARROW_UP), STYLE_DIM);
		if (last < p->n)
			canvas_set(c, c->w - 1, y0 + h - 2, canvas_glyph(c, G_ARROW_DOWN), STYLE_DIM);
	}
	if (p->apply) {
		keys[nk++] = "a";
		keys[nk++] = _("apply");
		keys[nk++] = "Esc";
		keys[nk++] = _("cancel");
	} else if (p->select) {
		const struct app_line *l = p->cursor < p->n ? &p->lines[p->cursor] : NULL;

		keys[nk++] = l && l->action ? "Enter" : NULL;
		keys[nk++] = l && l->action == APP_STEP_FIX ? _("fix") : _("choose");
		keys[nk++] = "Esc";
		keys[nk++] = _("close");
	} else {
		keys[nk++] = "Esc";
		keys[nk++] = _("close");
	}
	if (!p->select && (p->top > 0 || last < p->n)) {
		keys[nk++] = "Up Down";
		keys[nk++] = _("scroll");
	}
	box_keys(c, 0, y0 + h - 1, c->w, keys, nk);
}

static void render_confirm(struct view_ctx *v, int top_row)
{
	struct canvas *c = v->c;
	const struct app_confirm *q = &v->app->confirm;
	const char *keys[6];
	int y0, ah, w, iw, rows, h, x, y;
	size_t nk = 0;

	dialog_area(c, top_row, &y0, &ah);
	w = c->w < 60 ? c->w : 64;
	iw = w - 4;
	rows = wrapped_rows(c, q->question, iw, 0);
	h = rows + 4;
	if (h > ah) {
		h = ah;
		rows = h - 4 > 0 ? h - 4 : 1;
	}
	x = (c->w - w) / 2;
	y = y0 + (ah - h) / 2;
	box(c, x, y, w, h, q->title, 0);
	wrapped_draw(c, x + 2, y + 1 + (h > rows + 3), iw, rows, 0, STYLE_NORMAL, q->question);
	keys[nk++] = "y";
	keys[nk++] = q->yes;
	keys[nk++] = q->no_step ? "n" : "n Esc";
	keys[nk++] = q->no;
	if (q->no_step) {
		keys[nk++] = "Esc";
		keys[nk++] = _("cancel");
	}
	box_keys(c, x, y + h - 1, w, keys, nk);
}

/* One field: its text scrolled to keep the cursor in sight, or its choice between arrows. */
static void render_field(struct canvas *c, int x, int y, int w, struct app_field *fl, bool focus)
{
	uint8_t style = focus ? STYLE_FIELD_FOCUS : STYLE_FIELD;
	int col;

	canvas_fill(c, x, y, w, 1, ' ', style);
	if (fl->choices) {
		char buf[APP_FIELD_MAX + 8];

		snprintf(buf, sizeof(buf), "< %s >", fl->buf);
		canvas_text(c, x, y, w, style, buf, true);
		return;
	}
	if (!fl->buf[0] && fl->hint[0])
		canvas_text(c, x, y, w, STYLE_FIELD_HINT, fl->hint, true);
	if (!focus) {
		canvas_text(c, x, y, w, style, fl->buf, true);
		return;
	}
	if (fl->cursor > strlen(fl->buf))
		fl->cursor = strlen(fl->buf);
	if (fl->scroll > fl->cursor)
		fl->scroll = fl->cursor;
	while (fl->scroll < fl->cursor && text_width_n(c, fl->buf + fl->scroll, fl->cursor - fl->scroll) > w - 1)
		fl->scroll += char_len(fl->buf + fl->scroll);
	canvas_text(c, x, y, w, style, fl->buf + fl->scroll, false);
	col = text_width_n(c, fl->buf + fl->scroll, fl->cursor - fl->scroll);
	if (col < w) {
		struct cell *cell = canvas_at(c, x + col, y);

		if (cell)
			cell->style = STYLE_CURSOR;
		/* A wide character under the cursor: both halves. */
		if ((cell = canvas_at(c, x + col + 1, y)) && cell->cp == 0)
			cell->style = STYLE_CURSOR;
	}
}

static void render_form(struct view_ctx *v, int top_row)
{
	struct canvas *c = v->c;
	struct app_form *f = &v->app->form;
	const char *keys[] = { "Enter", _("submit"), "Esc", _("cancel"), "Tab", _("next field") };
	int y0, ah, w, lw = 0, fw, h, x, y, gap, vis, err_rows;

	dialog_area(c, top_row, &y0, &ah);
	/* On a narrow window every column counts; on a wide one the form stays compact. */
	w = c->w < 60 ? c->w : c->w - 8 < 72 ? c->w - 8 : 72;
	for (size_t i = 0; i < f->n; ++i) {
		int l = canvas_text_width(c, f->fields[i].label);

		lw = l > lw ? l : lw;
	}
	/* Labels give way to the fields on a narrow window. */
	if (lw > (w - 4) / 3)
		lw = (w - 4) / 3;
	fw = w - 4 - lw - 1;
	/* Fields, a row between them when there is room, and the error line. */
	/* What the dry run says may be long (a path, a peer): up to three rows of it. */
	err_rows = f->error[0] ? wrapped_rows(c, f->error, w - 4, 0) : 1;
	if (err_rows > 3)
		err_rows = 3;
	gap = (int)f->n * 2 + 2 + err_rows <= ah ? 1 : 0;
	h = (int)f->n * (1 + gap) + 2 + err_rows;
	if (h > ah)
		h = ah;
	x = (c->w - w) / 2;
	y = y0 + (ah - h) / 2;
	box(c, x, y, w, h, f->title, 0);
	/* Fields that do not all fit scroll, keeping the focus in sight. */
	vis = (h - 2 - err_rows) / (1 + gap);
	if (vis < 1)
		vis = 1;
	if (f->focus < f->top)
		f->top = f->focus;
	if (f->focus >= f->top + (size_t)vis)
		f->top = f->focus + 1 - (size_t)vis;
	if (f->top + (size_t)vis > f->n)
		f->top = f->n > (size_t)vis ? f->n - (size_t)vis : 0;
	for (size_t i = f->top; i < f->n && i < f->top + (size_t)vis; ++i) {
		int fy = y + 1 + gap + (int)(i - f->top) * (1 + gap);

		canvas_text_right(c, x + 2 + lw, fy, lw, i == f->focus ? STYLE_KEY : STYLE_LABEL, f->fields[i].label);
		render_field(c, x + 3 + lw, fy, fw, &f->fields[i], i == f->focus);
	}
	if (f->top > 0)
		canvas_set(c, x + w - 1, y + 1 + gap, canvas_glyph(c, G_ARROW_UP), STYLE_DIM);
	if (f->top + (size_t)vis < f->n)
		canvas_set(c, x + w - 1, y + 1 + gap + (vis - 1) * (1 + gap), canvas_glyph(c, G_ARROW_DOWN), STYLE_DIM);
	if (f->error[0])
		wrapped_draw(c, x + 2, y + h - 1 - err_rows, w - 4, err_rows, 0, STYLE_WARN, f->error);
	box_keys(c, x, y + h - 1, w, keys, sizeof(keys) / sizeof(keys[0]));
}

#define CLIENT_LINES 64

/*
 * A new peer's client config over the whole screen but the status line: the QR code where
 * it fits whole, with the text beside it when the window is wide enough, else below it; a
 * code that does not fit is not drawn cut (no scanner reads it) but says how large the
 * window must be.
 */
static void render_client(struct view_ctx *v)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	struct app_client *cl = &app->client;
	const struct qr_art *art = &cl->art[c->utf8 ? 0 : 1];
	const char *line[CLIENT_LINES], *keys[8];
	size_t len[CLIENT_LINES], n = 0, nk = 0;
	int h = c->h - 1, iw = c->w - 4, ih = h - 2, tw = 0, tx = 2, ty = 1, tcols = iw, trows = ih;
	int qw = (int)art->width, qh = (int)art->n;
	char buf[APP_TEXT_MAX];

	for (const char *p = cl->text ? cl->text : ""; *p && n < CLIENT_LINES; ++n) {
		size_t l = strcspn(p, "\n");
		int lw = text_width_n(c, p, l);

		line[n] = p;
		len[n] = l;
		tw = lw > tw ? lw : tw;
		p += l + (p[l] == '\n');
	}
	box(c, 0, 0, c->w, h, cl->title, 0);
	if (ih < 1)
		return;
	if (!cl->text_only && !qh) {
		snprintf(buf, sizeof(buf), "%s", cl->qr_error == -EMSGSIZE ? _("too long for a QR code: the text only") :
					   _("no QR code: the text only"));
		ty += wrapped_draw(c, tx, ty, iw, ih, 0, STYLE_WARN, buf) + 1;
	} else if (!cl->text_only && (qw > iw || qh > ih)) {
		snprintf(buf, sizeof(buf), _("enlarge the terminal to at least %dx%d to scan the QR code"), qw + 4, qh + 3);
		ty += wrapped_draw(c, tx, ty, iw, ih, 0, STYLE_WARN, buf) + 1;
	} else if (!cl->text_only) {
		uint8_t style = app->color ? STYLE_QR : STYLE_NORMAL;

		for (int i = 0; i < qh; ++i)
			canvas_text(c, 2, 1 + i, qw, style, art->lines[i], false);
		if (iw - qw - 2 >= tw) {
			tx = 2 + qw + 2;
			tcols = iw - qw - 2;
		} else {
			ty = 1 + qh + 1;
		}
	}
	trows = 1 + ih - ty;
	if (trows < 0)
		trows = 0;
	if ((size_t)trows >= n)
		cl->top = 0;
	else if (cl->top > n - (size_t)trows)
		cl->top = n - (size_t)trows;
	for (int r = 0; r < trows && cl->top + (size_t)r < n; ++r)
		text_n(c, tx, ty + r, tcols, STYLE_NORMAL, line[cl->top + r], len[cl->top + r], true);
	cl->more = cl->top + (size_t)trows < n;
	if (cl->top > 0 && trows > 0)
		canvas_set(c, c->w - 1, ty, canvas_glyph(c, G_ARROW_UP), STYLE_DIM);
	if (cl->more && trows > 0)
		canvas_set(c, c->w - 1, ty + trows - 1, canvas_glyph(c, G_ARROW_DOWN), STYLE_DIM);
	keys[nk++] = "Esc";
	keys[nk++] = _("close");
	keys[nk++] = "s";
	keys[nk++] = _("save to a file");
	keys[nk++] = "t";
	keys[nk++] = cl->text_only ? _("QR code") : _("text only");
	if (cl->top > 0 || cl->more) {
		keys[nk++] = "Up Down";
		keys[nk++] = _("scroll");
	}
	box_keys(c, 0, h - 1, c->w, keys, nk);
}

/* Dialogs bottom up: a question over the pager it asks about. */
static void render_modals(struct view_ctx *v, int top_row)
{
	for (size_t i = 0; i < v->app->n_modals; ++i) {
		switch (v->app->modals[i]) {
		case MODAL_PAGER:
			render_pager(v, top_row);
			break;
		case MODAL_CONFIRM:
			render_confirm(v, top_row);
			break;
		case MODAL_FORM:
			render_form(v, top_row);
			break;
		case MODAL_CLIENT:
			render_client(v);
			break;
		case MODAL_NONE:
		default:
			break;
		}
	}
}

static void render_main(struct view_ctx *v, int y0, int h)
{
	struct canvas *c = v->c;
	int star_h = 0;

	if (!v->dev) {
		center_text(c, y0 + h / 2, v->app->snap ? STYLE_WARN : STYLE_DIM,
			    v->app->snap ? _("no WireGuard interface") : _("waiting for the first sample..."));
		return;
	}
	if (h >= STAR_MIN_BODY && c->w >= STAR_MIN_W) {
		star_h = h * 11 / 20;
		if (star_h > STAR_MAX_H)
			star_h = STAR_MAX_H;
		star_h -= (star_h - 3) % 4;
		if (star_h < STAR_MIN_H)
			star_h = STAR_MIN_H;
		view_star_render(v, 0, y0, c->w, star_h);
	}
	view_table_render(v, 0, y0 + star_h, c->w, h - star_h);
}

void view_render(struct canvas *c, struct app *app)
{
	struct view_ctx v = {
		.c = c,
		.app = app,
		.dev = app_device(app),
		.d = app_dev_state(app),
		.now = app->snap ? app->snap->wall.tv_sec : 0,
		.selected = -1,
	};
	int top;

	/* On ENOMEM the table is empty (n_rows 0) until the next refresh. */
	app_rows_settle(app);
	canvas_clear(c);
	if (c->w < VIEW_MIN_W || c->h < VIEW_MIN_H) {
		render_too_small(c);
		return;
	}
	if (!v.d)
		v.dev = NULL;
	if (v.dev)
		v.selected = app_selected_row(app);
	top = render_header(&v);
	switch (app->view) {
	case VIEW_HELP:
		render_help(&v, 0, top, c->w, c->h - 1 - top);
		break;
	case VIEW_POLICY:
		view_policy_render(&v, 0, top, c->w, c->h - 1 - top);
		break;
	case VIEW_TIMELINE:
		view_timeline_render(&v, 0, top, c->w, c->h - 1 - top);
		break;
	case VIEW_DETAIL:
		if (v.dev) {
			view_detail_render(&v, 0, top, c->w, c->h - 1 - top);
			break;
		}
		/* fall through */
	case VIEW_MAIN:
	default:
		render_main(&v, top, c->h - 1 - top);
		break;
	}
	render_modals(&v, top);
	render_status(&v, c->h - 1);
}
