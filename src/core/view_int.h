/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the console's view files share: the parts of a screen and the words for a peer. */
#ifndef WGSTAR_VIEW_INT_H
#define WGSTAR_VIEW_INT_H

#include <stddef.h>
#include "app.h"
#include "canvas.h"

/* The current interface with its state, gathered once per render. */
struct view_ctx {
	struct canvas *c;
	struct app *app;
	const struct wg_device *dev;	/* NULL before the first sample or without interfaces */
	struct dev_state *d;
	int64_t now;			/* wall seconds of the snapshot */
	int64_t selected;		/* row of the selected peer, or -1 */
	int help_rows;			/* rows the whole help screen takes */
};

/* The star diagram in the given area; returns the peers it could not place. */
uint32_t view_star_render(struct view_ctx *v, int x, int y, int w, int h);
/* The peer table; keeps the selected row in sight and sets app->page_rows. */
void view_table_render(struct view_ctx *v, int x, int y, int w, int h);
void view_detail_render(struct view_ctx *v, int x, int y, int w, int h);
/* The hub policy of the interface, scrolled to app->help_top; sets help_rows. */
void view_policy_render(struct view_ctx *v, int x, int y, int w, int h);

/* Name of a row's peer, or its short key: into buf when it has to be made. */
const char *view_row_name(const struct view_ctx *v, const struct app_row *row, char *buf, size_t len);
/* A peer's state as the views show it: the style and the translated word. */
uint8_t view_state_style(enum peer_state s);
const char *view_state_text(enum peer_state s);
/*
 * Whether the history shown may mislead: no database (and where one would come from), or a
 * recorder that has not written for a while. The note into buf, or NULL when all is well.
 */
const char *view_history_note(const struct view_ctx *v, char *buf, size_t len);
/* How an event is styled: refusals and lost guards stand out, comings and goings are plain. */
uint8_t view_event_style(const struct wg_history_event *e);
/* The timeline (L): the interface's events, newest first, filtered; scrolled to app->help_top. */
void view_timeline_render(struct view_ctx *v, int x, int y, int w, int h);
/* rx + tx of a track in bytes/s; false while there is no rate yet. Inline: the star asks for every row. */
static inline bool view_track_rate(const struct peer_track *t, double *sum)
{
	*sum = 0;
	if (t->rate.status != RATE_OK)
		return false;
	if (t->rate.moved)
		*sum = t->rate.rx_per_sec + t->rate.tx_per_sec;
	return true;
}

#endif
