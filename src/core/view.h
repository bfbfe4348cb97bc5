/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The console's screens, rendered from the app state into a canvas: no curses, no I/O. */
#ifndef WGSTAR_VIEW_H
#define WGSTAR_VIEW_H

#include "app.h"
#include "canvas.h"

/* Below this size the console says the window is too small, and nothing else. */
#define VIEW_MIN_W 40
#define VIEW_MIN_H 10

/* Clears c and draws the current view of app; sets app->page_rows. */
void view_render(struct canvas *c, struct app *app);

#endif
