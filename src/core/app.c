// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's state: made, freed, and what it holds. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "app_int.h"
#include "clientconf.h"
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "prefix.h"
#include "text.h"

void app_init(struct app *app, double interval)
{
	memset(app, 0, sizeof(*app));
	app->interval = interval;
	app->sort = APP_COL_NAME;
	app->color = true;
	app->page_rows = 10;
}

void app_track_free(struct peer_track *t)
{
	free(t->gone_name);
	free(t->hist);
	free(t->endpoints);
}

void app_dev_state_free(struct dev_state *d)
{
	free(d->flows);
	for (uint32_t i = 0; i < d->n_tracks; ++i)
		app_track_free(&d->tracks[i]);
	free(d->tracks);
	keyidx_free(&d->index);
	free(d->name_rank);
}

void app_pager_clear(struct app_pager *p)
{
	for (size_t i = 0; i < p->n; ++i)
		free(p->lines[i].text);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

/* The client config and its QR code hold a private key: wiped, not only freed. */
void app_client_clear(struct app_client *cl)
{
	for (size_t s = 0; s < 2; ++s)
		qr_art_free(&cl->art[s]);
	if (cl->text) {
		key_wipe(cl->text, strlen(cl->text));
		free(cl->text);
	}
	memset(cl, 0, sizeof(*cl));
}

void app_free(struct app *app)
{
	app_client_clear(&app->client);
	free(app->drift.v);
	app_pager_clear(&app->pager);
	free(app->pick_keys);
	for (size_t i = 0; i < app->n_devs; ++i)
		app_dev_state_free(&app->devs[i]);
	free(app->devs);
	free(app->rows);
	free(app->order);
	free(app->gathered.rows);
	wg_snapshot_free(app->snap);
	wg_snapshot_free(app->prev);
	wg_snapshot_free(app->spent);
	free(app->view_cache.star);
	memset(app, 0, sizeof(*app));
}

const struct wg_device *app_device(const struct app *app)
{
	if (!app->snap || app->cur >= app->n_devs || app->cur >= app->snap->n_devices)
		return NULL;
	return app->snap->devices[app->cur];
}

struct dev_state *app_dev_state(const struct app *app)
{
	return app->cur < app->n_devs ? &app->devs[app->cur] : NULL;
}


void app_set_error(struct app *app, const char *msg)
{
	snprintf(app->error, sizeof(app->error), "%s", msg ? msg : "");
}


void app_set_countdown(struct app *app, double deadline)
{
	app->countdown = deadline;
}

const char *app_countdown_text(const struct app *app, char *buf, size_t len)
{
	double left = app->countdown - app->mono_now;

	if (app->fw_pending < 0) {
		snprintf(buf, len, "%s", _("firewall change UNGUARDED: press c to keep it, u to undo it"));
		return buf;
	}
	if (app->countdown <= 0 && app->fw_pending > 0) {
		/* Applied elsewhere (another console, the command line): still ours to keep or undo. */
		snprintf(buf, len, _("a firewall change is rolled back in %d s: press c to keep, u to undo"),
			 app->fw_left > 0 ? (int)(app->fw_left + 0.999) : 0);
		return buf;
	}
	if (app->countdown <= 0)
		return NULL;
	snprintf(buf, len, _("confirm within %d s: press c to keep, u to undo"), left > 0 ? (int)(left + 0.999) : 0);
	return buf;
}

/* What a dialog does next; returns app_flags. */
