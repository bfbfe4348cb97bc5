// SPDX-License-Identifier: GPL-2.0-or-later
/* One peer in full: every field, its recent rate as a graph, the endpoints it came from. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "view_int.h"

#define GRAPH_MAX_H 6

struct field_ctx {
	struct view_ctx *v;
	int x, y, w, bottom;
	int lw;		/* the label column */
};

static const char *const field_labels[] = {
	N_("public key"), N_("preshared key"), N_("endpoint"), N_("allowed IPs"),
	N_("latest handshake"), N_("transfer"), N_("rate"), N_("keepalive"), N_("state"),
	N_("forwarded"), N_("talks to"), N_("groups"), N_("refused"), N_("today"), N_("this month"), N_("history"),
	N_("config file"),
};

/* Recent events of the peer the detail lists, at most. */
#define DETAIL_EVENTS 5

/* What the hub policy refused the peer, and whom: "-> nas 3 packets, <- guest1 1 packets". */
static void refused_of(const struct view_ctx *v, uint32_t peer, char *out, size_t len)
{
	const struct wg_policy *pol = v->dev->policy;
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; pol && i < pol->n_refused && o + 1 < len; ++i) {
		const struct wg_refused *r = &pol->refused[i];
		bool from = r->from == peer;
		uint32_t other = from ? r->to : r->from;
		char name[FORMAT_BUF];
		int n;

		if (!from && r->to != peer)
			continue;
		if (other == WG_REFUSED_HUB)
			snprintf(name, sizeof(name), "%s", _("the hub"));
		else if (other < v->dev->n_peers && v->dev->peers[other].name)
			snprintf(name, sizeof(name), "%s", v->dev->peers[other].name);
		else if (other < v->dev->n_peers)
			format_key_short(name, sizeof(name), v->dev->peers[other].public_key, v->c->utf8);
		else
			continue;
		n = snprintf(out + o, len - o, _("%s%s %s %llu packets"), o ? ", " : "", from ? "->" : "<-", name,
			     (unsigned long long)r->packets);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
}

/* Whom the peer talks to through the hub, busiest first: "-> bob 1.20 KiB/s, <- carol ...". */
static void talks_to(const struct view_ctx *v, const uint8_t key[WG_KEY_LEN], char *out, size_t len)
{
	const struct app_flow *flows[64];
	uint32_t n = app_active_flows(v->d, flows, sizeof(flows) / sizeof(flows[0]));
	size_t o = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < n && o + 1 < len; ++i) {
		bool from = !memcmp(flows[i]->from, key, WG_KEY_LEN);
		const uint8_t *other = from ? flows[i]->to : flows[i]->from;
		const struct wg_peer *p = wg_device_find_peer(v->dev, other);
		char name[FORMAT_BUF], rate[FORMAT_BUF];
		int r;

		if (!from && memcmp(flows[i]->to, key, WG_KEY_LEN))
			continue;
		if (p && p->name)
			snprintf(name, sizeof(name), "%s", p->name);
		else
			format_key_short(name, sizeof(name), other, v->c->utf8);
		r = snprintf(out + o, len - o, "%s%s %s %s", o ? ", " : "", from ? "->" : "<-", name,
			     format_rate(rate, sizeof(rate), flows[i]->rate, true));
		if (r < 0 || (size_t)r >= len - o)
			break;
		o += (size_t)r;
	}
}

/* A labelled line; returns the column where the value starts, or -1 when out of room. */
static int field(struct field_ctx *f, const char *label)
{
	if (f->y >= f->bottom)
		return -1;
	canvas_text(f->v->c, f->x + 1, f->y, f->lw, STYLE_LABEL, _(label), true);
	return f->x + 1 + f->lw + 2;
}

static void field_text(struct field_ctx *f, const char *label, uint8_t style, const char *value)
{
	int x = field(f, label);

	if (x < 0)
		return;
	canvas_text(f->v->c, x, f->y++, f->x + f->w - x - 1, style, value, true);
}

/* "rx 1.00 KiB     tx 2.00 KiB": aligned when there is room, on two lines when there is little. */
static void field_pair(struct field_ctx *f, const char *label, const char *rx, const char *tx, uint8_t style)
{
	struct canvas *c = f->v->c;
	int x = field(f, label), end = f->x + f->w - 1, rxw, txw, tab;

	if (x < 0)
		return;
	rxw = canvas_text_width(c, _("rx")) + 1 + canvas_text_width(c, rx);
	txw = canvas_text_width(c, _("tx")) + 1 + canvas_text_width(c, tx);
	tab = rxw + 2 > 18 ? rxw + 2 : 18;
	canvas_text(c, x, f->y, end - x, STYLE_DIM, _("rx"), false);
	canvas_text(c, x + canvas_text_width(c, _("rx")) + 1, f->y, end - x, style, rx, true);
	if (x + tab + txw > end) {
		if (f->y + 1 >= f->bottom)
			return;
		f->y++;
		tab = 0;
	}
	canvas_text(c, x + tab, f->y, end - x - tab, STYLE_DIM, _("tx"), false);
	canvas_text(c, x + tab + canvas_text_width(c, _("tx")) + 1, f->y++, end - x - tab, style, tx, true);
}

static void field_allowed_ips(struct field_ctx *f, const struct wg_peer *p)
{
	struct canvas *c = f->v->c;
	int x = field(f, N_("allowed IPs")), col, lines = 1, end = f->x + f->w - 1;
	/* Every address, as long as the four fields below and two lines of graph keep their room. */
	int max_lines = f->bottom - f->y - 8;
	char one[FORMAT_BUF], more[32];

	if (x < 0)
		return;
	if (max_lines < 1)
		max_lines = 1;
	if (!p->n_allowedips) {
		canvas_text(c, x, f->y++, end - x, STYLE_DIM, _("none"), true);
		return;
	}
	col = x;
	for (uint32_t i = 0; i < p->n_allowedips; ++i) {
		int aw = (int)strlen(format_allowedip(one, sizeof(one), &p->allowedips[i]));
		int sep = i + 1 < p->n_allowedips ? 1 : 0;

		if (col > x && col + aw + sep > end) {
			if (lines >= max_lines || f->y + 1 >= f->bottom) {
				snprintf(more, sizeof(more), _("+%u more"), p->n_allowedips - i);
				if (canvas_text_width(c, more) > end - col)
					snprintf(more, sizeof(more), "+%u", p->n_allowedips - i);
				canvas_text(c, col, f->y, end - col, STYLE_DIM, more, true);
				break;
			}
			lines++;
			f->y++;
			col = x;
		}
		col += canvas_text(c, col, f->y, end - col, STYLE_NORMAL, one, true);
		if (sep)
			col += canvas_text(c, col, f->y, end - col, STYLE_DIM, ",", false) + 1;
	}
	f->y++;
}

static const char *const spark_ascii = " .:-=+*##";

/* Bars of the rate history, newest on the right, scaled to the peak. */
static void graph(struct canvas *c, int x, int y, int w, int h, const float *hist, uint32_t n, double peak)
{
	int levels = h * 8;

	for (uint32_t i = 0; i < n; ++i) {
		int col = x + w - (int)n + (int)i;
		int lv = peak > 0 ? (int)ceil(hist[i] / peak * levels) : 0;

		if (hist[i] > 0 && lv < 1)
			lv = 1;
		if (lv > levels)
			lv = levels;
		for (int r = 0; r < h && lv > 0; ++r, lv -= 8) {
			int part = lv >= 8 ? 8 : lv;
			uint32_t cp = c->utf8 ? 0x2580 + (uint32_t)part : (uint32_t)spark_ascii[part];

			canvas_set(c, col, y + h - 1 - r, cp, STYLE_FLOW);
		}
	}
}

void view_detail_render(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	const struct app_row *row;
	const struct peer_track *t;
	const struct wg_peer *p;
	struct field_ctx f = { .v = v, .x = x0, .y = y0, .w = w, .bottom = y0 + h };
	char buf[FORMAT_BUF * 2], b1[FORMAT_BUF], b2[FORMAT_BUF], name_buf[FORMAT_BUF];
	float hist[APP_HISTORY];
	uint32_t n_hist;
	double peak = 0;
	int x, gh, gw, rest;
	size_t ev[DETAIL_EVENTS], n_ev = 0;
	enum peer_state st;

	if (v->selected < 0) {
		canvas_text(c, x0 + 1, y0 + 1, w - 2, STYLE_DIM, _("no peer selected"), true);
		return;
	}
	row = &app->rows[v->selected];
	t = &v->d->tracks[row->track];
	p = row->peer >= 0 ? &v->dev->peers[row->peer] : NULL;
	st = p ? peer_state(p->last_handshake_sec, v->now) : PEER_NEVER;

	for (size_t i = 0; i < sizeof(field_labels) / sizeof(field_labels[0]); ++i) {
		int lw = canvas_text_width(c, _(field_labels[i]));

		f.lw = lw > f.lw ? lw : f.lw;
	}

	canvas_fill(c, x0, f.y, w, 1, ' ', STYLE_COLUMN);
	x = x0 + 1 + canvas_text(c, x0 + 1, f.y, w / 2, STYLE_COLUMN, _("peer"), false) + 1;
	x += canvas_text(c, x, f.y, x0 + w - x - 10, STYLE_COLUMN, view_row_name(v, row, name_buf, sizeof(name_buf)), true);
	canvas_text(c, x + 2, f.y, x0 + w - x - 3, p ? view_state_style(st) : STYLE_GONE,
		    p ? view_state_text(st) : _("gone"), false);
	f.y += 2;

	key_to_base64(b1, t->key);
	field_text(&f, N_("public key"), STYLE_NORMAL, b1);
	if (!p) {
		field_text(&f, N_("state"), STYLE_GONE, _("no longer on the interface"));
	} else {
		field_text(&f, N_("preshared key"), STYLE_NORMAL, p->has_preshared_key ? _("yes") : _("no"));
		format_endpoint(buf, sizeof(buf), &p->endpoint);
		field_text(&f, N_("endpoint"), buf[0] ? STYLE_NORMAL : STYLE_DIM, buf[0] ? buf : _("none"));
		field_allowed_ips(&f, p);
		if (p->last_handshake_sec > 0)
			snprintf(buf, sizeof(buf), _("%s ago (%lld)"),
				 format_age(b1, sizeof(b1), peer_handshake_age(p->last_handshake_sec, v->now)),
				 (long long)p->last_handshake_sec);
		else
			snprintf(buf, sizeof(buf), "%s", _("never"));
		field_text(&f, N_("latest handshake"), view_state_style(st), buf);
		field_pair(&f, N_("transfer"), format_bytes(b1, sizeof(b1), p->rx_bytes),
			   format_bytes(b2, sizeof(b2), p->tx_bytes), STYLE_NORMAL);
		field_pair(&f, N_("rate"), format_rate(b1, sizeof(b1), t->rate.rx_per_sec, t->rate.status == RATE_OK),
			   format_rate(b2, sizeof(b2), t->rate.tx_per_sec, t->rate.status == RATE_OK),
			   t->rate.status == RATE_OK ? STYLE_NORMAL : STYLE_DIM);
		if (p->persistent_keepalive)
			snprintf(buf, sizeof(buf), _("every %u s"), p->persistent_keepalive);
		else
			snprintf(buf, sizeof(buf), "%s", _("off"));
		field_text(&f, N_("keepalive"), STYLE_NORMAL, buf);
		if (p->file_disabled)
			field_text(&f, N_("config file"), STYLE_WARN,
				   _("holds it disabled (#[disabled], as `pivpn off` leaves it), yet it is live"));
		if (v->d->counting) {
			snprintf(buf, sizeof(buf), _("from %s (%llu packets), to %s (%llu packets)"),
				 format_bytes(b1, sizeof(b1), p->forwarded.from_bytes),
				 (unsigned long long)p->forwarded.from_packets,
				 format_bytes(b2, sizeof(b2), p->forwarded.to_bytes),
				 (unsigned long long)p->forwarded.to_packets);
			field_text(&f, N_("forwarded"), STYLE_NORMAL, buf);
			talks_to(v, t->key, buf, sizeof(buf));
			field_text(&f, N_("talks to"), buf[0] ? STYLE_FLOW : STYLE_DIM, buf[0] ? buf : _("nobody just now"));
		}
		/* The recorder's ledger: what the peer used today and this month (UTC), rx and tx. */
		if (v->dev->history && !v->dev->history->status && p->usage.known) {
			field_pair(&f, N_("today"), format_bytes(b1, sizeof(b1), p->usage.day_rx),
				   format_bytes(b2, sizeof(b2), p->usage.day_tx), STYLE_NORMAL);
			field_pair(&f, N_("this month"), format_bytes(b1, sizeof(b1), p->usage.month_rx),
				   format_bytes(b2, sizeof(b2), p->usage.month_tx), STYLE_NORMAL);
		} else if (v->dev->history && !v->dev->history->status) {
			field_text(&f, N_("history"), STYLE_DIM, _("the recorder has not seen this peer yet"));
		}
		if (view_history_note(v, buf, sizeof(buf)))
			field_text(&f, N_("history"), STYLE_WARN, buf);
		/* The hub policy: the peer's groups, and what it refused the peer or others the peer. */
		if (v->dev->policy) {
			field_text(&f, N_("groups"), p->groups ? STYLE_NORMAL : STYLE_DIM, p->groups ? p->groups : _("none"));
			if (v->dev->policy->in_force) {
				refused_of(v, (uint32_t)row->peer, buf, sizeof(buf));
				field_text(&f, N_("refused"), buf[0] ? STYLE_ERROR : STYLE_DIM,
					   buf[0] ? buf : _("nothing in the last 2 minutes"));
			} else {
				field_text(&f, N_("refused"), STYLE_DIM, _("not counted: the policy in force is another"));
			}
		}
	}

	/* The peer's latest events, newest first: their indices into the history. */
	if (v->dev->history)
		for (size_t i = v->dev->history->n_events; i-- > 0 && n_ev < DETAIL_EVENTS;) {
			const struct wg_history_event *e = &v->dev->history->events[i];

			if (e->has_key && !memcmp(e->key, t->key, WG_KEY_LEN) && !strcmp(e->iface, v->dev->name))
				ev[n_ev++] = i;
		}

	/* Two lines of graph first, then up to three endpoints and the events, then the graph grows. */
	rest = f.bottom - f.y - 2;
	gh = rest - (t->n_endpoints ? 2 + (int)(t->n_endpoints < 3 ? t->n_endpoints : 3) : 0) -
	     (n_ev ? 2 + (int)(n_ev < 3 ? n_ev : 3) : 0);
	if (gh < 2)
		gh = rest < 2 ? rest : 2;
	if (gh > GRAPH_MAX_H)
		gh = GRAPH_MAX_H;
	gw = w - 4 < APP_HISTORY ? w - 4 : APP_HISTORY;
	if (gh > 0) {
		f.y++;
		n_hist = app_history(t, hist, (uint32_t)gw);
		for (uint32_t i = 0; i < n_hist; ++i)
			peak = hist[i] > peak ? hist[i] : peak;
		if (n_hist)
			snprintf(buf, sizeof(buf), _("rate, rx+tx: last %s, peak %s"),
				 format_age(b1, sizeof(b1), (int64_t)lround(n_hist * app->interval)),
				 format_rate(b2, sizeof(b2), peak, true));
		else
			snprintf(buf, sizeof(buf), _("rate, rx+tx: no rate yet"));
		canvas_text(c, x0 + 1, f.y++, w - 2, STYLE_LABEL, buf, true);
		if (f.y + gh > f.bottom)
			gh = f.bottom - f.y;
		graph(c, x0 + 2, f.y, gw, gh, hist, n_hist, peak);
		f.y += gh;
	}

	if (t->n_endpoints && f.y + 2 < f.bottom) {
		f.y++;
		canvas_text(c, x0 + 1, f.y++, w - 2, STYLE_LABEL, _("endpoints seen, newest first"), true);
		for (uint32_t i = t->n_endpoints; i-- > 0 && f.y < f.bottom; ++f.y) {
			const struct endpoint_change *e = &t->endpoints[i];

			snprintf(b2, sizeof(b2), _("%s ago"), format_age(b1, sizeof(b1), v->now - e->when));
			snprintf(buf, sizeof(buf), "%lld", (long long)e->when);
			x = x0 + 3;
			x += canvas_text(c, x, f.y, w - 4, STYLE_DIM, buf, false) + 2;
			x += canvas_text(c, x, f.y, 12, STYLE_DIM, b2, true);
			x = x < x0 + 3 + 24 ? x0 + 3 + 24 : x + 2;
			canvas_text(c, x, f.y, x0 + w - x - 1, STYLE_NORMAL,
				    format_endpoint(buf, sizeof(buf), &e->endpoint), true);
		}
	}

	if (n_ev && f.y + 2 < f.bottom) {
		f.y++;
		canvas_text(c, x0 + 1, f.y++, w - 2, STYLE_LABEL, _("recent events, newest first (L: the timeline)"), true);
		for (size_t i = 0; i < n_ev && f.y < f.bottom; ++i, ++f.y) {
			const struct wg_history_event *e = &v->dev->history->events[ev[i]];

			x = x0 + 3;
			x += canvas_text(c, x, f.y, w - 4, STYLE_DIM, e->when, false) + 2;
			canvas_text(c, x, f.y, x0 + w - x - 1, view_event_style(e), e->summary, true);
		}
	}
}
