// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's timeline (L): what the recorder saw and did on the interface, newest first. */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "i18n.h"
#include "view_int.h"

/* Whether an event belongs on the interface's timeline: its own, or the hub's as a whole. */
static bool on_interface(const struct view_ctx *v, const struct wg_history_event *e)
{
	return !e->iface[0] || !strcmp(e->iface, v->dev->name);
}

/* The peer's name as the interface knows it now, else as the event had it, else its short key. */
static const char *who(const struct view_ctx *v, const struct wg_history_event *e, char *buf, size_t len)
{
	const struct wg_peer *p;

	if (!e->has_key)
		return "";
	if ((p = wg_device_find_peer(v->dev, e->key)) && p->name)
		return p->name;
	if (e->name[0])
		return e->name;
	return format_key_short(buf, len, e->key, v->c->utf8);
}

void view_timeline_render(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct canvas *c = v->c;
	struct app *app = v->app;
	const struct wg_history *hist = v->dev ? v->dev->history : NULL;
	char buf[FORMAT_BUF * 4], name[FORMAT_BUF];
	size_t shown = 0, total = 0;
	int y = y0, rows, tw = 0, nw = 0, head;
	bool all = !app->filter[0];
	struct app_filter filter;

	if (!all)
		app_filter_init(&filter, app->filter);
	app->help_page = 0;
	v->help_rows = 0;
	if (!v->dev) {
		canvas_text(c, x0 + 1, y, w - 2, STYLE_DIM, _("no interface"), true);
		return;
	}
	/* Column widths from what is listed: the event names and the peers' names. */
	for (size_t i = 0; hist && i < hist->n_events; ++i) {
		const struct wg_history_event *e = &hist->events[i];
		int n;

		if (!on_interface(v, e))
			continue;
		total++;
		if (!all && !app_filter_event(&filter, e))
			continue;
		shown++;
		n = canvas_text_width(c, e->type);
		tw = n > tw ? n : tw;
		n = canvas_text_width(c, who(v, e, name, sizeof(name)));
		nw = n > nw ? n : nw;
	}
	nw = nw > 16 ? 16 : nw;
	if (app->filter[0])
		snprintf(buf, sizeof(buf), _("events of %s, newest first: %zu of the latest %zu match the filter"),
			 v->dev->name, shown, total);
	else
		snprintf(buf, sizeof(buf), _("events of %s, newest first: the latest %zu"), v->dev->name, total);
	canvas_text(c, x0 + 1, y++, w - 2, STYLE_LABEL, buf, true);
	if (view_history_note(v, buf, sizeof(buf)))
		canvas_text(c, x0 + 1, y++, w - 2, hist && hist->status ? STYLE_DIM : STYLE_WARN, buf, true);
	if (hist && !hist->status && !total)
		canvas_text(c, x0 + 1, y++, w - 2, STYLE_DIM, _("nothing recorded on this interface yet"), true);
	y++;
	head = y - y0;
	rows = h - head;
	if (rows <= 0 || !shown)
		return;
	if ((int64_t)app->help_top > (int64_t)shown - rows)
		app->help_top = (uint32_t)((int64_t)shown - rows > 0 ? (int64_t)shown - rows : 0);
	app->help_page = rows;
	v->help_rows = (int)shown;
	/* Newest first: walk back from the end, skipping the rows scrolled past. */
	for (size_t i = hist->n_events, k = 0; i-- > 0 && y < y0 + h;) {
		const struct wg_history_event *e = &hist->events[i];
		int x = x0 + 1;

		if (!on_interface(v, e) || (!all && !app_filter_event(&filter, e)) || k++ < app->help_top)
			continue;
		x += canvas_text(c, x, y, x0 + w - x - 1, STYLE_DIM, e->when, false) + 2;
		canvas_text(c, x, y, tw, view_event_style(e), e->type, true);
		x += tw + 2;
		if (nw) {
			canvas_text(c, x, y, nw, STYLE_NORMAL, who(v, e, name, sizeof(name)), true);
			x += nw + 2;
		}
		if (x < x0 + w - 1)
			canvas_text(c, x, y, x0 + w - x - 1, STYLE_NORMAL, e->summary, true);
		y++;
	}
	if (app->help_top > 0)
		canvas_set(c, x0 + w - 1, y0 + head, canvas_glyph(c, G_ARROW_UP), STYLE_DIM);
	if (app->help_top + (size_t)rows < shown)
		canvas_set(c, x0 + w - 1, y0 + h - 1, canvas_glyph(c, G_ARROW_DOWN), STYLE_DIM);
}
