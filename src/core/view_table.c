// SPDX-License-Identifier: GPL-2.0-or-later
/* The peer table: every peer of the interface, one row each, only the visible rows formatted. */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "i18n.h"
#include "view_int.h"

#define GAP 1
#define GUTTER 1	/* the column of the new / gone marks */

struct col_spec {
	int prio;	/* columns go, highest first, when the window is narrow */
	int min;
	bool right;	/* numbers are right-aligned */
	bool ascending;	/* the natural order of app.c's sort for this column */
};

static const struct col_spec specs[N_APP_COLUMNS] = {
	[APP_COL_NAME] = { 0, 10, false, true },
	[APP_COL_ALLOWED_IPS] = { 6, 14, false, true },
	[APP_COL_ENDPOINT] = { 5, 15, false, true },
	[APP_COL_HANDSHAKE] = { 2, 6, true, true },
	[APP_COL_STATE] = { 1, 6, false, false },
	[APP_COL_RX_RATE] = { 3, 12, true, false },
	[APP_COL_TX_RATE] = { 3, 12, true, false },
	[APP_COL_RX] = { 7, 10, true, false },
	[APP_COL_TX] = { 7, 10, true, false },
	[APP_COL_FWD_RATE] = { 4, 12, true, false },
	[APP_COL_MONTH] = { 6, 10, true, false },
};

#define MAX_PRIO 7

/* Where the room left after the minimums goes, in this order, up to these widths. */
static const struct {
	enum app_column col;
	int upto;
} grow[] = {
	{ APP_COL_ENDPOINT, 21 },
	{ APP_COL_ALLOWED_IPS, 18 },
	{ APP_COL_NAME, 16 },
	{ APP_COL_NAME, 24 },
	{ APP_COL_ALLOWED_IPS, 1 << 16 },
	{ APP_COL_ENDPOINT, 47 },
	{ APP_COL_NAME, 1 << 16 },
};

struct layout {
	bool shown[N_APP_COLUMNS];
	int x[N_APP_COLUMNS];
	int w[N_APP_COLUMNS];
};

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

static int col_min(const struct canvas *c, enum app_column col)
{
	int w = max_int(specs[col].min, canvas_text_width(c, app_column_title(col)) + 1);

	if (col == APP_COL_STATE) {
		w = max_int(w, canvas_text_width(c, view_state_text(PEER_ONLINE)));
		w = max_int(w, canvas_text_width(c, view_state_text(PEER_STALE)));
		w = max_int(w, canvas_text_width(c, view_state_text(PEER_NEVER)));
		w = max_int(w, canvas_text_width(c, _("gone")));
	} else if (col == APP_COL_HANDSHAKE) {
		w = max_int(w, canvas_text_width(c, _("never")));
	}
	return w;
}

static void layout_columns(const struct canvas *c, int width, struct layout *l, const struct dev_state *d)
{
	int used = GUTTER, x;

	memset(l, 0, sizeof(*l));
	for (int prio = 0; prio <= MAX_PRIO; ++prio) {
		int need = 0;

		for (int col = 0; col < N_APP_COLUMNS; ++col)
			if (specs[col].prio == prio && app_column_available(d, col))
				need += col_min(c, col) + (used + need > GUTTER ? GAP : 0);
		if (used + need > width)
			break;
		for (int col = 0; col < N_APP_COLUMNS; ++col)
			if (specs[col].prio == prio && app_column_available(d, col)) {
				l->shown[col] = true;
				l->w[col] = col_min(c, col);
			}
		used += need;
	}
	for (size_t i = 0; i < sizeof(grow) / sizeof(grow[0]) && used < width; ++i) {
		int col = grow[i].col, add;

		if (!l->shown[col] || l->w[col] >= grow[i].upto)
			continue;
		add = grow[i].upto - l->w[col];
		if (add > width - used)
			add = width - used;
		l->w[col] += add;
		used += add;
	}
	x = GUTTER;
	for (int col = 0; col < N_APP_COLUMNS; ++col) {
		if (!l->shown[col])
			continue;
		if (x > GUTTER)
			x += GAP;
		l->x[col] = x;
		x += l->w[col];
	}
}

/*
 * A cell: left-aligned text is cut with an ellipsis; right-aligned numbers may use the gap
 * on their left rather than lose a digit.
 */
static void cell(struct canvas *c, const struct layout *l, int x0, int y, enum app_column col,
		 uint8_t style, const char *s)
{
	if (!l->shown[col])
		return;
	if (specs[col].right)
		canvas_text_right(c, x0 + l->x[col] + l->w[col], y, l->w[col] + GAP, style, s);
	else
		canvas_text(c, x0 + l->x[col], y, l->w[col], style, s, true);
}

static void render_titles(struct view_ctx *v, const struct layout *l, int x0, int y, int w)
{
	struct canvas *c = v->c;
	struct app *app = v->app;

	canvas_fill(c, x0, y, w, 1, ' ', STYLE_COLUMN);
	for (int col = 0; col < N_APP_COLUMNS; ++col) {
		char buf[FORMAT_BUF];
		bool sorted = (int)app->sort == col;
		uint8_t style = sorted ? STYLE_COLUMN_SORTED : STYLE_COLUMN;
		uint32_t arrow;

		if (!l->shown[col])
			continue;
		if (sorted)
			canvas_fill(c, x0 + l->x[col], y, l->w[col], 1, ' ', style);
		snprintf(buf, sizeof(buf), "%s", app_column_title(col));
		if (specs[col].right) {
			int end = x0 + l->x[col] + l->w[col] - (sorted ? 1 : 0);

			canvas_text_right(c, end, y, l->w[col] - 1, style, buf);
		} else {
			canvas_text(c, x0 + l->x[col], y, l->w[col] - 1, style, buf, true);
		}
		if (!sorted)
			continue;
		arrow = canvas_glyph(c, specs[col].ascending != app->sort_reverse ? G_ARROW_UP : G_ARROW_DOWN);
		if (specs[col].right)
			canvas_set(c, x0 + l->x[col] + l->w[col] - 1, y, arrow, style);
		else
			canvas_set(c, x0 + l->x[col] + canvas_text_width(c, buf), y, arrow, style);
	}
}

/* As many addresses as fit, then how many more there are. */
static void allowed_ips(char *out, size_t len, const struct wg_peer *p, int width)
{
	char one[FORMAT_BUF], more[32];
	size_t o = 0;

	out[0] = '\0';
	if (!p->n_allowedips) {
		snprintf(out, len, "-");
		return;
	}
	for (uint32_t i = 0; i < p->n_allowedips; ++i) {
		size_t n = strlen(format_allowedip(one, sizeof(one), &p->allowedips[i])) + (i ? 2 : 0);
		uint32_t left = p->n_allowedips - i - 1;
		int tail = left ? snprintf(more, sizeof(more), " +%u", left) : 0;

		/* The first address is always shown whole, if need be without the count. */
		if (i && (int)(o + n) + tail > width) {
			if ((int)o + snprintf(more, sizeof(more), " +%u", left + 1) <= width)
				snprintf(out + o, len - o, "%s", more);
			return;
		}
		if (o + n >= len)
			return;
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", one);
	}
}

static void render_row(struct view_ctx *v, const struct layout *l, int x0, int y, int w, uint32_t i)
{
	struct canvas *c = v->c;
	const struct app_row *row = &v->app->rows[i];
	const struct peer_track *t = &v->d->tracks[row->track];
	const struct wg_peer *p = row->peer >= 0 ? &v->dev->peers[row->peer] : NULL;
	char buf[FORMAT_BUF * 4];
	bool is_new = p && app_track_is_new(v->app, t), known;
	bool drift = p && t->live_only;
	uint8_t style = p ? STYLE_NORMAL : STYLE_GONE;

	/* Drift outranks new: a peer set by hand with wg(8) is both, and the file lacks it for good. */
	if (!p)
		canvas_text(c, x0, y, 1, STYLE_GONE, "-", false);
	else if (drift)
		canvas_text(c, x0, y, 1, STYLE_WARN, "!", false);
	else if (is_new)
		canvas_text(c, x0, y, 1, STYLE_NEW, "+", false);
	cell(c, l, x0, y, APP_COL_NAME, drift ? STYLE_WARN : is_new ? STYLE_NEW : style,
	     view_row_name(v, row, buf, sizeof(buf)));
	if (!p) {
		cell(c, l, x0, y, APP_COL_STATE, STYLE_GONE, _("gone"));
		goto out;
	}
	if (l->shown[APP_COL_ALLOWED_IPS]) {
		allowed_ips(buf, sizeof(buf), p, l->w[APP_COL_ALLOWED_IPS]);
		cell(c, l, x0, y, APP_COL_ALLOWED_IPS, p->n_allowedips ? STYLE_NORMAL : STYLE_DIM, buf);
	}
	if (l->shown[APP_COL_ENDPOINT]) {
		format_endpoint(buf, sizeof(buf), &p->endpoint);
		cell(c, l, x0, y, APP_COL_ENDPOINT, buf[0] ? STYLE_NORMAL : STYLE_DIM, buf[0] ? buf : "-");
	}
	{
		int64_t age = peer_handshake_age(p->last_handshake_sec, v->now);
		enum peer_state st = peer_state(p->last_handshake_sec, v->now);

		cell(c, l, x0, y, APP_COL_HANDSHAKE, age < 0 ? STYLE_DIM : STYLE_NORMAL,
		     format_age(buf, sizeof(buf), age));
		cell(c, l, x0, y, APP_COL_STATE, view_state_style(st), view_state_text(st));
	}
	known = t->rate.status == RATE_OK;
	cell(c, l, x0, y, APP_COL_RX_RATE, known ? STYLE_NORMAL : STYLE_DIM,
	     format_rate(buf, sizeof(buf), t->rate.rx_per_sec, known));
	cell(c, l, x0, y, APP_COL_TX_RATE, known ? STYLE_NORMAL : STYLE_DIM,
	     format_rate(buf, sizeof(buf), t->rate.tx_per_sec, known));
	cell(c, l, x0, y, APP_COL_RX, STYLE_NORMAL, format_bytes(buf, sizeof(buf), p->rx_bytes));
	cell(c, l, x0, y, APP_COL_TX, STYLE_NORMAL, format_bytes(buf, sizeof(buf), p->tx_bytes));
	known = t->fwd.status == RATE_OK;
	cell(c, l, x0, y, APP_COL_FWD_RATE, known ? STYLE_NORMAL : STYLE_DIM,
	     format_rate(buf, sizeof(buf), t->fwd.rx_per_sec + t->fwd.tx_per_sec, known));
	if (l->shown[APP_COL_MONTH]) {
		if (p->usage.known)
			format_bytes(buf, sizeof(buf), p->usage.month_rx + p->usage.month_tx);
		cell(c, l, x0, y, APP_COL_MONTH, p->usage.known ? STYLE_NORMAL : STYLE_DIM, p->usage.known ? buf : "-");
	}
out:
	if ((int64_t)i == v->selected)
		canvas_restyle(c, x0, y, w, STYLE_SELECTED);
}

void view_table_render(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	struct dev_state *d = v->d;
	struct layout l;
	int page = h - 1;
	uint32_t first;

	if (h < 1)
		return;
	if (page < 1)
		page = 1;
	app->page_rows = page;
	layout_columns(c, w, &l, d);
	render_titles(v, &l, x0, y0, w);
	if (!app->n_rows) {
		canvas_text(c, x0 + GUTTER, y0 + 1, w - GUTTER, STYLE_DIM,
			    app->filter[0] ? _("no peer matches the filter") : _("no peers on this interface"), true);
		d->scroll = 0;
		return;
	}

	/* Keep the selected row in sight, and the page full when it can be. */
	if (v->selected >= 0) {
		if ((uint64_t)v->selected < d->scroll)
			d->scroll = (uint32_t)v->selected;
		else if ((uint64_t)v->selected >= (uint64_t)d->scroll + (uint64_t)page)
			d->scroll = (uint32_t)(v->selected - page + 1);
	}
	if (app->n_rows <= (uint32_t)page)
		d->scroll = 0;
	else if (d->scroll > app->n_rows - (uint32_t)page)
		d->scroll = app->n_rows - (uint32_t)page;

	first = d->scroll;
	for (int r = 0; r < page && first + (uint32_t)r < app->n_rows; ++r)
		render_row(v, &l, x0, y0 + 1 + r, w, first + (uint32_t)r);
}
