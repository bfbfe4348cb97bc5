// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's screens, rendered from the app state into a canvas: no curses, no I/O. */
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

bool view_track_rate(const struct peer_track *t, double *sum)
{
	*sum = 0;
	if (t->rate.status != RATE_OK)
		return false;
	*sum = t->rate.rx_per_sec + t->rate.tx_per_sec;
	return true;
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
		bool any6 = false;

		for (uint32_t i = 0; i < dev->n_peers; ++i) {
			const struct wg_peer *p = &dev->peers[i];

			if (peer_state(p->last_handshake_sec, v->now) == PEER_ONLINE)
				online++;
			for (uint32_t a = 0; a < p->n_allowedips && !any6; ++a)
				any6 = p->allowedips[a].family == AF_INET6;
		}
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
		}
		/* Roomy when the main figures fit, tighter rather than losing one; the last may go. */
		figures.n--;
		gap = seg_total(c, &figures, 3) <= c->w - 2 ? 3 : 2;
		figures.n++;
		seg_draw(c, &figures, 1, 1, c->w - 2, gap, false);
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
	{ 'q', N_("quit"), 1 },
};

static const struct status_key detail_keys[] = {
	{ AK_ESC, N_("back"), 0 },
	{ '?', N_("help"), 2 },
	{ 'q', N_("quit"), 1 },
};

static const struct status_key help_keys[] = {
	{ 'q', N_("quit"), 1 },
};

static const struct app_binding *binding_of(int key)
{
	for (size_t i = 0; i < app_n_bindings; ++i)
		for (size_t k = 0; k < 3 && app_bindings[i].keys[k]; ++k)
			if (app_bindings[i].keys[k] == key)
				return &app_bindings[i];
	return NULL;
}

static void status_keys(struct view_ctx *v, struct seg_line *l, const struct status_key *keys, size_t n)
{
	for (size_t i = 0; i < n; ++i) {
		const struct app_binding *b = binding_of(keys[i].key);
		const char *what = _(keys[i].what);
		struct seg *s;

		if (!b)
			continue;
		if (keys[i].key == AK_TAB && v->app->n_devs < 2)
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
	struct seg *s;
	int rw;

	canvas_fill(c, 0, y, c->w, 1, ' ', STYLE_STATUS);
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
	if (app->view == VIEW_MAIN) {
		if (app->filter[0]) {
			s = seg_new(&right, 0);
			seg_add(s, STYLE_KEY, "%s", _("filter:"));
			seg_add(s, STYLE_KEY, " %.40s", app->filter);
		}
		if (app->n_rows && v->selected >= 0)
			seg_add(seg_new(&right, 1), STYLE_STATUS, "%lld/%u",
				(long long)v->selected + 1, app->n_rows);
	}
	rw = seg_draw(c, &right, c->w - 1, y, c->w / 2, 2, true);
	if (app->message[0]) {
		canvas_text(c, 1, y, c->w - 2 - (rw ? rw + 2 : 0), STYLE_STATUS, app->message, true);
		return;
	}
	if (app->view == VIEW_HELP) {
		s = seg_new(&keys, 0);
		seg_add(s, STYLE_KEY, "%s", _("any key"));
		seg_add(s, STYLE_STATUS, " %s", _("back"));
		status_keys(v, &keys, help_keys, sizeof(help_keys) / sizeof(help_keys[0]));
	} else if (app->view == VIEW_DETAIL) {
		status_keys(v, &keys, detail_keys, sizeof(detail_keys) / sizeof(detail_keys[0]));
	} else {
		status_keys(v, &keys, main_keys, sizeof(main_keys) / sizeof(main_keys[0]));
	}
	seg_draw(c, &keys, 1, y, c->w - 2 - (rw ? rw + 2 : 0), 2, false);
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
};

/* Every key the console knows, from the table that dispatches them, and what colours mean. */
static void render_help(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c;
	int lw = 0, ww = 0, y = y0, cols, colw;
	size_t n_legend = sizeof(legend) / sizeof(legend[0]);

	for (size_t i = 0; i < app_n_bindings; ++i) {
		int lab = canvas_text_width(c, app_bindings[i].label);

		lw = lab > lw ? lab : lw;
	}
	for (size_t i = 0; i < n_legend; ++i) {
		int ew = canvas_text_width(c, _(legend[i].word));

		ww = ew > ww ? ew : ww;
	}
	canvas_text(c, x0 + 1, y++, w - 2, STYLE_LABEL, _("Keys"), true);
	for (size_t i = 0; i < app_n_bindings && y < y0 + h; ++i, ++y) {
		canvas_text(c, x0 + 3, y, lw, STYLE_KEY, app_bindings[i].label, true);
		canvas_text(c, x0 + 5 + lw, y, w - 6 - lw, STYLE_NORMAL, _(app_bindings[i].help), true);
	}
	if (y + 2 > y0 + h)
		return;
	y++;
	canvas_text(c, x0 + 1, y++, w - 2, STYLE_LABEL, _("States and marks"), true);
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
	for (size_t i = 0; i < n_legend; ++i) {
		int x = x0 + 1 + (int)(i % (size_t)cols) * colw, ly = y + (int)(i / (size_t)cols);
		const char *mark = legend[i].style == STYLE_NEW ? "+" : "-";

		if (ly >= y0 + h)
			break;
		if (legend[i].glyph == N_GLYPHS)
			canvas_text(c, x + 2, ly, 1, legend[i].style, mark, false);
		else
			canvas_set(c, x + 2, ly, canvas_glyph(c, legend[i].glyph), legend[i].style);
		canvas_text(c, x + 4, ly, ww, legend[i].style, _(legend[i].word), true);
		canvas_text(c, x + 6 + ww, ly, colw - 7 - ww, STYLE_DIM, _(legend[i].what), true);
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
	render_status(&v, c->h - 1);
}
