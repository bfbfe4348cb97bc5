/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of the console's state share among themselves, and nobody else. */
#ifndef WGSTAR_APP_INT_H
#define WGSTAR_APP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "app.h"

/* app_tracks.c */
void app_track_free(struct peer_track *t);
void app_dev_state_free(struct dev_state *d);
/* The drift the snapshot carries for the interface shown, when the sampler looked for it. */
void app_drift_take(struct app *app);

/* app_rows.c */
/* Selects table row row (clamped), and remembers its peer. */
void app_select_row(struct app *app, int64_t row);

/* app_actions.c */
void app_say(struct app *app, const char *text);
int app_request(struct app *app, enum app_request what);
/* Where a dialog leads: an enum app_step with its argument; returns app_flags. */
int app_step(struct app *app, int what, int arg);
/* A peer's name, or the start of its key, into buf. */
const char *app_pick_name(char *buf, size_t len, const char *name, const uint8_t key[WG_KEY_LEN]);

/* app_dialogs.c */
void app_pager_clear(struct app_pager *p);
void app_client_clear(struct app_client *cl);
/* A typed code point as UTF-8 into enc; its length, or 0 when it is no printable character. */
size_t app_utf8_encode(int key, char enc[4]);
/* The key for the dialog on top; returns app_flags. */
int app_dialog_key(struct app *app, int key);
/* The field i of the form on top shows hint while it is empty. */
void app_field_hint(struct app *app, int i, const char *hint);
/* A form's validation failed on field which, saying msg into err: returns false. */
bool app_form_error(char *err, size_t len, size_t *field, size_t which, const char *msg);
/* The key for the help screen; returns app_flags. */
int app_help_key(struct app *app, int key);

#endif
