// SPDX-License-Identifier: GPL-2.0-or-later
/* The star diagram: the hub in the middle, the most active peers around it, one edge each. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "format.h"
#include "i18n.h"
#include "view_int.h"

#define STAR_SLOT_ROWS 64	/* more rows than any diagram the layout asks for */
#define NAME_W 16		/* a label's name is cut beyond this */
#define RATE_W 12		/* "999.99 KiB/s" */

/* > 0 when a is busier than b: by rate, then by latest handshake; the key settles ties. */
static int activity_cmp(const struct app_star_peer *a, const struct app_star_peer *b)
{
	if (a->rate != b->rate)
		return a->rate > b->rate ? 1 : -1;
	if (a->handshake != b->handshake)
		return a->handshake > b->handshake ? 1 : -1;
	return memcmp(b->key, a->key, WG_KEY_LEN);
}

/* The heap keeps the k busiest seen so far, the least busy of them at the root. */
static void heap_down(struct app_star_peer *h, uint32_t n, uint32_t i)
{
	for (;;) {
		uint32_t l = 2 * i + 1, r = l + 1, m = i;
		struct app_star_peer tmp;

		if (l < n && activity_cmp(&h[l], &h[m]) < 0)
			m = l;
		if (r < n && activity_cmp(&h[r], &h[m]) < 0)
			m = r;
		if (m == i)
			return;
		tmp = h[i];
		h[i] = h[m];
		h[m] = tmp;
		i = m;
	}
}

static void heap_up(struct app_star_peer *h, uint32_t i)
{
	while (i) {
		uint32_t p = (i - 1) / 2;
		struct app_star_peer tmp;

		if (activity_cmp(&h[i], &h[p]) >= 0)
			return;
		tmp = h[i];
		h[i] = h[p];
		h[p] = tmp;
		i = p;
	}
}

/* Places on the ring go by name, then key, so peers keep their place from one refresh to the next. */
static int place_cmp(const void *va, const void *vb)
{
	const struct app_star_peer *a = va, *b = vb;
	int r;

	if (!a->name != !b->name)
		return a->name ? -1 : 1;
	if (a->name && (r = strcasecmp(a->name, b->name)))
		return r;
	return memcmp(a->key, b->key, WG_KEY_LEN);
}

/* Restyles every fourth cell of the edge canvas_line draws, shifted by the tick: traffic moving. */
/* Whether the hub policy refused something of this peer's lately. */
static bool refused_from(const struct wg_device *dev, uint32_t peer)
{
	for (uint32_t i = 0; dev->policy && dev->policy->in_force && i < dev->policy->n_refused; ++i)
		if (dev->policy->refused[i].from == peer)
			return true;
	return false;
}

static void peer_short(const struct canvas *c, const struct wg_peer *p, char *buf, size_t len)
{
	if (p->name)
		snprintf(buf, len, "%s", p->name);
	else
		format_key_short(buf, len, p->public_key, c->utf8);
}

static void edge_flow(struct canvas *c, int x0, int y0, int x1, int y1, uint64_t tick, bool outward)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
	int err = dx + dy, phase = (int)(tick % 4);

	for (int i = 0; x0 != x1 || y0 != y1; ++i) {
		int e2 = 2 * err;
		int k = outward ? i + 4 - phase : i + phase;

		if (k % 4 == 0)
			canvas_restyle(c, x0, y0, 1, STYLE_FLOW);
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

static bool is_selected(const struct view_ctx *v, const struct app_star_peer *sp)
{
	return v->selected >= 0 && v->app->rows[v->selected].track == sp->row.track;
}

static void draw_label(struct view_ctx *v, const struct app_star_peer *sp, bool right, int x0, int x1,
		       uint8_t state_style)
{
	struct canvas *c = v->c;
	const struct app_row *row = &sp->row;
	char name_buf[FORMAT_BUF], rate[FORMAT_BUF];
	const char *name = view_row_name(v, row, name_buf, sizeof(name_buf));
	const struct peer_track *t = &v->d->tracks[row->track];
	int room = right ? x1 - (sp->px + 2) : sp->px - 1 - x0;
	int full = canvas_text_width(c, name), nw = full, rw, x;
	bool selected = is_selected(v, sp);

	format_rate(rate, sizeof(rate), t->rate.rx_per_sec + t->rate.tx_per_sec, sp->rate >= 0);
	rw = canvas_text_width(c, rate);
	if (nw > NAME_W)
		nw = NAME_W;
	if (nw > room - rw - 1)
		nw = room - rw - 1;
	if (nw < (full < 3 ? full : 3)) {
		/* No room for both: the name alone. */
		rw = 0;
		nw = room < full ? room : full;
	}
	if (nw <= 0)
		return;
	x = right ? sp->px + 2 : sp->px - 1 - nw - (rw ? rw + 1 : 0);
	canvas_text(c, x, sp->py, nw, state_style, name, true);
	if (rw)
		canvas_text(c, x + nw + 1, sp->py, rw, sp->rate >= 0 ? STYLE_NORMAL : STYLE_DIM, rate, false);
	if (selected)
		canvas_restyle(c, x, sp->py, nw + (rw ? rw + 1 : 0), STYLE_SELECTED);
}

/*
 * The k busiest peers among the rows, into the view cache, unless it holds them for these
 * rows already. false on ENOMEM.
 */
static bool busiest(struct app *app, const struct dev_state *d, const struct wg_device *dev, uint32_t k)
{
	struct app_view_cache *vc = &app->view_cache;
	struct app_star_peer *shown;
	uint32_t n = 0, present = 0;

	if (vc->star_valid && vc->star_tick == app->tick && vc->star_cur == app->cur && vc->star_k == k &&
	    vc->star_rows == app->n_rows && !strcmp(vc->star_filter, app->filter))
		return true;
	vc->star_valid = false;
	shown = realloc(vc->star, k * sizeof(*shown));
	if (!shown)
		return false;
	vc->star = shown;
	for (uint32_t i = 0; i < app->n_rows; ++i) {
		const struct app_row *row = &app->rows[i];
		const struct peer_track *t = &d->tracks[row->track];
		const struct wg_peer *p;
		struct app_star_peer sp;
		double sum;

		if (row->peer < 0)
			continue;
		present++;
		p = &dev->peers[row->peer];
		sp = (struct app_star_peer){
			.row = *row,
			.rate = view_track_rate(t, &sum) ? sum : -1,
			.handshake = p->last_handshake_sec,
			.key = t->key,
			.name = p->name,
		};
		if (n < k) {
			shown[n] = sp;
			heap_up(shown, n++);
		} else if (activity_cmp(&sp, &shown[0]) > 0) {
			shown[0] = sp;
			heap_down(shown, n, 0);
		}
	}
	vc->n_star = n;
	vc->star_present = present;
	vc->star_valid = true;
	vc->star_tick = app->tick;
	vc->star_cur = app->cur;
	vc->star_k = k;
	vc->star_rows = app->n_rows;
	snprintf(vc->star_filter, sizeof(vc->star_filter), "%s", app->filter);
	return true;
}

uint32_t view_star_render(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	const struct wg_device *dev = v->dev;
	struct app_star_peer *shown;
	bool taken[2][STAR_SLOT_ROWS] = { { false } };
	uint32_t present = 0, k, n = 0, more;
	int h2 = (h - 1) / 2, cx = x0 + w / 2, cy = y0 + h2, slots, half, hub_w, hx0, hx1, lw, rx, fx = x0 + 1;
	char hub[IFNAMSIZ + 4], buf[FORMAT_BUF];

	if (h < 3 || h > STAR_SLOT_ROWS)
		return 0;
	/*
	 * Peers sit on every other row, left and right of the hub, so that edges do not run
	 * along each other; the top row stays clear and the bottom one says how many are missing.
	 */
	slots = h2 & 1 ? h2 : h2 - 1;
	if (slots < 1)
		slots = 1;
	half = slots / 2;
	k = 2 * (uint32_t)slots;
	if (!busiest(app, v->d, dev, k))
		return 0;
	n = app->view_cache.n_star;
	present = app->view_cache.star_present;
	shown = malloc((n ? n : 1) * sizeof(*shown));
	if (!shown)
		return present;
	memcpy(shown, app->view_cache.star, n * sizeof(*shown));
	more = present - n;
	qsort(shown, n, sizeof(*shown), place_cmp);

	snprintf(hub, sizeof(hub), "[%s]", dev->name);
	hub_w = canvas_text_width(c, hub);
	hx0 = cx - hub_w / 2;
	hx1 = hx0 + hub_w - 1;

	/* The label room sets the ellipse: widest on the hub's row, where the label is farthest out. */
	lw = 0;
	for (uint32_t i = 0; i < n; ++i) {
		int nw = shown[i].name ? canvas_text_width(c, shown[i].name) : 9;

		if (nw > NAME_W)
			nw = NAME_W;
		if (nw + 1 + RATE_W > lw)
			lw = nw + 1 + RATE_W;
	}
	if (lw > (w - hub_w) / 2 - 8)
		lw = (w - hub_w) / 2 - 8;
	rx = w / 2 - lw - 2;
	/* Not much flatter than a circle (a cell is twice as high as wide): short edges read better. */
	if (rx > 12 * (half + 1))
		rx = 12 * (half + 1);
	if (rx < hub_w / 2 + 4)
		rx = hub_w / 2 + 4;

	/*
	 * Evenly around the ellipse, in name order, clockwise from the right; a place already
	 * taken passes the peer to the nearest free one along the ring. Ring positions 0 .. slots-1
	 * run down the right side, the rest up the left.
	 */
	for (uint32_t i = 0; i < n; ++i) {
		int ring = 2 * slots, pos, j, right, dy;
		double th = 2 * M_PI * i / n + (n % 4 == 0 ? M_PI / n : 0), ry = half + 1, ox;

		j = half + (int)lround(sin(th) * half);
		right = cos(th) >= -1e-9;
		pos = right ? j : ring - 1 - j;
		for (int d = 0; d < ring; ++d) {
			int p = ((pos + (d & 1 ? -(d + 1) / 2 : d / 2)) % ring + ring) % ring;

			right = p < slots;
			j = right ? p : ring - 1 - p;
			if (!taken[right][j]) {
				taken[right][j] = true;
				break;
			}
		}
		dy = j - half;
		ox = rx * sqrt(1 - (dy / ry) * (dy / ry));
		shown[i].py = cy + 2 * dy;
		shown[i].px = right ? cx + (int)lround(ox) : cx - (int)lround(ox);
	}

	/* Edges leave from a small ellipse around the hub, each at its own angle. */
	for (uint32_t i = 0; i < n; ++i) {
		const struct app_star_peer *sp = &shown[i];
		const struct wg_peer *p = &dev->peers[sp->row.peer];
		const struct peer_track *t = &v->d->tracks[sp->row.track];
		uint8_t style = view_state_style(peer_state(p->last_handshake_sec, v->now));
		bool right = sp->px > cx;
		int sx = right ? hx1 + 1 : hx0 - 1, sy = sp->py;

		if (sp->py != cy) {
			double a = atan2((sp->py - cy) / 2.0 / (half + 1), (double)(sp->px - cx) / rx);

			sx = cx + (int)lround((hub_w / 2.0 + 1.5) * cos(a));
			sy = sp->py < cy ? cy - 1 : cy + 1;
		}
		canvas_line(c, sx, sy, sp->px, sp->py, style);
		if (sp->rate > 0)
			edge_flow(c, sx, sy, sp->px, sp->py, app->tick, t->rate.tx_per_sec > t->rate.rx_per_sec);
		/* Refused by the hub policy: a cross on its edge, next to the hub. */
		if (refused_from(dev, (uint32_t)sp->row.peer))
			canvas_set(c, sx + (sp->px > sx ? 1 : sp->px < sx ? -1 : 0), sy, canvas_glyph(c, G_CROSS), STYLE_ERROR);
	}
	for (uint32_t i = 0; i < n; ++i) {
		const struct app_star_peer *sp = &shown[i];
		const struct wg_peer *p = &dev->peers[sp->row.peer];
		uint8_t style = view_state_style(peer_state(p->last_handshake_sec, v->now));

		canvas_set(c, sp->px, sp->py, canvas_glyph(c, G_BULLET),
			   is_selected(v, sp) ? STYLE_SELECTED : style);
		draw_label(v, sp, sp->px > cx, x0, x0 + w, style);
	}
	canvas_text(c, hx0, cy, hub_w, STYLE_HUB, hub, false);

	/* Peer-to-peer traffic through the hub, busiest first, on the row kept clear for it. */
	if (v->d->counting) {
		const struct app_flow *flows[8];
		uint32_t nf = app_active_flows(v->d, flows, sizeof(flows) / sizeof(flows[0]));
		int x = fx;

		if (nf)
			x += canvas_text(c, x, y0, w - 2, STYLE_LABEL, _("flows:"), false) + 1;
		for (uint32_t i = 0; i < nf && x < x0 + w - 1; ++i) {
			const struct wg_peer *a = wg_device_find_peer(dev, flows[i]->from);
			const struct wg_peer *b = wg_device_find_peer(dev, flows[i]->to);
			char na[FORMAT_BUF], nb[FORMAT_BUF], rate[FORMAT_BUF], item[4 * FORMAT_BUF];

			if (a && a->name)
				snprintf(na, sizeof(na), "%s", a->name);
			else
				format_key_short(na, sizeof(na), flows[i]->from, c->utf8);
			if (b && b->name)
				snprintf(nb, sizeof(nb), "%s", b->name);
			else
				format_key_short(nb, sizeof(nb), flows[i]->to, c->utf8);
			snprintf(item, sizeof(item), "%s%s -> %s %s", i ? ", " : "", na, nb,
				 format_rate(rate, sizeof(rate), flows[i]->rate, true));
			x += canvas_text(c, x, y0, x0 + w - 1 - x, STYLE_FLOW, item, true);
		}
		fx = nf ? x + 2 : fx;
	}

	/* What the hub policy refused, after the flows it let through, in the colour of an error. */
	if (dev->policy && dev->policy->in_force && dev->policy->n_refused) {
		int x = fx, row = y0;

		x += canvas_text(c, x, row, x0 + w - 1 - x, STYLE_LABEL, _("refused:"), false) + 1;
		for (uint32_t i = 0; i < dev->policy->n_refused && x < x0 + w - 1; ++i) {
			const struct wg_refused *r = &dev->policy->refused[i];
			char na[FORMAT_BUF], nb[FORMAT_BUF], item[3 * FORMAT_BUF];

			if (r->from >= dev->n_peers || (r->to != WG_REFUSED_HUB && r->to >= dev->n_peers))
				continue;
			peer_short(c, &dev->peers[r->from], na, sizeof(na));
			if (r->to == WG_REFUSED_HUB)
				snprintf(nb, sizeof(nb), "%s", _("hub"));
			else
				peer_short(c, &dev->peers[r->to], nb, sizeof(nb));
			snprintf(item, sizeof(item), _("%s%s %s %s %llu pkts"), i ? ", " : "", na, c->utf8 ? "\u2717" : "x", nb,
				 (unsigned long long)r->packets);
			x += canvas_text(c, x, row, x0 + w - 1 - x, STYLE_ERROR, item, true);
		}
	}

	if (more) {
		int mw;

		snprintf(buf, sizeof(buf), _("+%u more"), more);
		mw = canvas_text_width(c, buf);
		canvas_text(c, cx - mw / 2, y0 + h - 1, w, STYLE_DIM, buf, true);
	}
	free(shown);
	return more;
}
