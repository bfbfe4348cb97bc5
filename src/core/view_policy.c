// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's policy view (P): the interface's groups, its rules with their counters, what it refused. */
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "i18n.h"
#include "view_int.h"

struct lines {
	struct canvas *c;
	int x0, y0, w, h;
	int row;			/* the next row, counting from the first line of the whole view */
	int top;			/* the first row shown */
};

/* One line at the next row, when it is in sight; returns the column after it. */
static int line(struct lines *l, int indent, uint8_t style, const char *text)
{
	int y = l->row++ - l->top, x = l->x0 + 1 + indent;

	if (y < 0 || y >= l->h)
		return 0;
	return x + canvas_text(l->c, x, l->y0 + y, l->w - 2 - indent, style, text, true);
}

/* A count at the right of the row just written. */
static void count_right(struct lines *l, uint8_t style, const char *text)
{
	int y = l->row - 1 - l->top, tw = canvas_text_width(l->c, text);

	if (y >= 0 && y < l->h && l->w > tw + 2)
		canvas_text(l->c, l->x0 + l->w - 1 - tw, l->y0 + y, tw, style, text, false);
}

static const char *peer_name(const struct view_ctx *v, uint32_t i, char *buf, size_t len)
{
	const struct wg_peer *p = &v->dev->peers[i];

	if (p->name)
		return p->name;
	return format_key_short(buf, len, p->public_key, v->c->utf8);
}

static int draw(struct view_ctx *v, struct lines *l)
{
	const struct wg_policy *pol = v->dev ? v->dev->policy : NULL;
	char buf[FORMAT_BUF * 4], a[FORMAT_BUF], b[FORMAT_BUF], n1[FORMAT_BUF];

	if (!v->dev) {
		line(l, 0, STYLE_DIM, _("no interface"));
		return l->row;
	}
	snprintf(buf, sizeof(buf), _("hub policy of %s"), v->dev->name);
	line(l, 0, STYLE_LABEL, buf);
	if (!pol) {
		line(l, 2, STYLE_DIM, _("none: no policy file, or no section for this interface (see wgstar-top(8), HUB POLICY)"));
		return l->row;
	}
	if (pol->in_force)
		line(l, 2, STYLE_ONLINE, _("in force: the counters below are its own"));
	else
		line(l, 2, STYLE_WARN, _("not in force: the policy table holds another, or none (F previews it)"));
	l->row++;
	line(l, 0, STYLE_LABEL, _("groups"));
	if (!pol->groups || !pol->groups->n)
		line(l, 2, STYLE_DIM, _("none"));
	for (size_t i = 0; pol->groups && i < pol->groups->n; ++i)
		line(l, 2, STYLE_NORMAL, pol->groups->v[i]);
	l->row++;
	line(l, 0, STYLE_LABEL, _("rules, first match wins; the default last"));
	for (uint32_t k = 1; k <= pol->n_rules; ++k) {
		/* The Default is rules[0]: it goes last, as it decides last. */
		const struct wg_policy_rule *r = &pol->rules[k % pol->n_rules];

		if (r->line)
			snprintf(buf, sizeof(buf), "%4u  %s", r->line, r->text);
		else
			snprintf(buf, sizeof(buf), "      %s", r->text);
		line(l, 2, r->allow ? STYLE_NORMAL : STYLE_WARN, buf);
		if (pol->in_force) {
			snprintf(buf, sizeof(buf), r->allow ? _("matched %llu") : _("refused %llu"),
				 (unsigned long long)r->packets);
			count_right(l, r->packets ? (r->allow ? STYLE_FLOW : STYLE_ERROR) : STYLE_DIM, buf);
		}
	}
	if (!pol->in_force)
		return l->row;
	l->row++;
	line(l, 0, STYLE_LABEL, _("refused in the last 2 minutes"));
	if (!pol->n_refused)
		line(l, 2, STYLE_DIM, _("nothing"));
	for (uint32_t i = 0; i < pol->n_refused; ++i) {
		const struct wg_refused *r = &pol->refused[i];

		if (r->from >= v->dev->n_peers || (r->to != WG_REFUSED_HUB && r->to >= v->dev->n_peers))
			continue;
		snprintf(buf, sizeof(buf), "%s %s %s", peer_name(v, r->from, a, sizeof(a)), v->c->utf8 ? "\u2717" : "x",
			 r->to == WG_REFUSED_HUB ? _("the hub") : peer_name(v, r->to, b, sizeof(b)));
		line(l, 2, STYLE_ERROR, buf);
		snprintf(buf, sizeof(buf), _("%llu packets, %s"), (unsigned long long)r->packets,
			 format_bytes(n1, sizeof(n1), r->bytes));
		count_right(l, STYLE_NORMAL, buf);
	}
	return l->row;
}

void view_policy_render(struct view_ctx *v, int x0, int y0, int w, int h)
{
	struct app *app = v->app;
	struct lines l = { .c = v->c, .x0 = x0, .y0 = y0, .w = w, .h = h, .top = 0 };
	int rows;

	/* Once to count the rows, once to draw those in sight. */
	l.top = 1 << 30;
	rows = draw(v, &l);
	if ((int)app->help_top > rows - h)
		app->help_top = (uint32_t)(rows - h > 0 ? rows - h : 0);
	l.row = 0;
	l.top = (int)app->help_top;
	draw(v, &l);
	app->help_page = h;
	v->help_rows = rows;
	if (l.top > 0)
		canvas_set(v->c, x0 + w - 1, y0, canvas_glyph(v->c, G_ARROW_UP), STYLE_DIM);
	if (l.top + h < rows)
		canvas_set(v->c, x0 + w - 1, y0 + h - 1, canvas_glyph(v->c, G_ARROW_DOWN), STYLE_DIM);
}
