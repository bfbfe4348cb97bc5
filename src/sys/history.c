// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's view of the recorder's database: usage now and the latest events, read-only. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "db.h"
#include "events.h"
#include "history.h"
#include "i18n.h"

struct history_usage {
	uint8_t key[WG_KEY_LEN];
	struct wg_usage u;
};

static int cmp_usage(const void *a, const void *b)
{
	return memcmp(((const struct history_usage *)a)->key, ((const struct history_usage *)b)->key, WG_KEY_LEN);
}

static struct wg_history *history_new(int status)
{
	struct wg_history *h = calloc(1, sizeof(*h));

	if (h) {
		h->refs = 1;
		h->status = status;
	}
	return h;
}

/* No database to read: the history says why, and what would keep one. */
static int set_missing(struct history_cache *c, const char *path, int status, const char *why)
{
	struct wg_history *h = history_new(status);

	if (!h)
		return -ENOMEM;
	if (status == -ENOENT)
		snprintf(h->note, sizeof(h->note),
			 _("no history: nothing records this hub; `wgstar-top record` (the wgstar-record service) keeps it in %s"),
			 path);
	else
		snprintf(h->note, sizeof(h->note), _("no history: %s cannot be read: %s"), path, why);
	wg_history_unref(c->h);
	c->h = h;
	c->n_usage = 0;
	return 0;
}

static int usage_add(void *ctx, const uint8_t key[WG_KEY_LEN], const struct ledger_counts *today,
		     const struct ledger_counts *month)
{
	struct history_cache *c = ctx;
	struct history_usage *u;

	if (c->n_usage == c->cap_usage) {
		size_t cap = c->cap_usage ? c->cap_usage * 2 : 256;

		if (!(u = realloc(c->usage, cap * sizeof(*u))))
			return -ENOMEM;
		c->usage = u;
		c->cap_usage = cap;
	}
	u = &c->usage[c->n_usage++];
	memcpy(u->key, key, WG_KEY_LEN);
	u->u = (struct wg_usage){ .known = true, .day_rx = today->rx, .day_tx = today->tx,
				  .month_rx = month->rx, .month_tx = month->tx };
	return 0;
}

/* Usage and events read again; the old history stays with the snapshots that hold it. */
static int reload(struct history_cache *c, int64_t now, int64_t written)
{
	struct event_list evs = { 0 };
	struct wg_history *h;
	int ret;

	c->n_usage = 0;
	if ((ret = db_usage_current(c->db, now, usage_add, c)) < 0)
		return ret;
	qsort(c->usage, c->n_usage, sizeof(*c->usage), cmp_usage);
	if ((ret = db_events_query(c->db, NULL, 0, HISTORY_EVENTS, &evs)) < 0)
		return ret;
	if (!(h = history_new(0)) || (evs.n && !(h->events = calloc(evs.n, sizeof(*h->events))))) {
		wg_history_unref(h);
		event_list_free(&evs);
		return -ENOMEM;
	}
	h->last_write = written;
	for (size_t i = 0; i < evs.n; ++i) {
		const struct event *e = &evs.v[i];
		struct wg_history_event *o = &h->events[i];
		time_t t = (time_t)e->time;
		struct tm tm;

		o->time = e->time;
		if (localtime_r(&t, &tm))
			strftime(o->when, sizeof(o->when), "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(o->type, sizeof(o->type), "%s", event_type_name(e->type));
		memcpy(o->iface, e->iface, sizeof(o->iface));
		o->has_key = e->has_key;
		memcpy(o->key, e->key, WG_KEY_LEN);
		memcpy(o->name, e->name, sizeof(o->name));
		snprintf(o->summary, sizeof(o->summary), "%s", e->summary);
	}
	h->n_events = evs.n;
	event_list_free(&evs);
	wg_history_unref(c->h);
	c->h = h;
	return 0;
}

static int refresh(struct history_cache *c, const char *path, int64_t now)
{
	struct errmsg err;
	int64_t version, written, day = now / 86400;
	int ret;

	if (!c->db) {
		if ((ret = db_open(&c->db, path, false, &err)) < 0) {
			c->db = NULL;
			return set_missing(c, path, ret, errmsg_or(&err, ret));
		}
		c->version = -1;
	}
	if ((ret = db_state(c->db, &version, &written)) == 0 && (version != c->version || day != c->day || !c->h ||
								   c->h->status)) {
		ret = reload(c, now, written);
		if (!ret) {
			c->version = version;
			c->day = day;
		}
	}
	if (ret == -ENOMEM)
		return ret;
	if (ret < 0) {
		/* Opened again next time: a database replaced or repaired is read as it is then. */
		db_close(c->db);
		c->db = NULL;
		return set_missing(c, path, ret, _("a query failed"));
	}
	return 0;
}

int history_attach(struct history_cache *c, const char *path, struct wg_snapshot *snap)
{
	int ret;

	if (!path)
		path = DB_PATH;
	if ((ret = refresh(c, path, snap->wall.tv_sec)) < 0)
		return ret;
	for (size_t d = 0; d < snap->n_devices; ++d) {
		struct wg_device *dev = snap->devices[d];

		wg_history_unref(dev->history);
		dev->history = wg_history_ref(c->h);
		for (size_t i = 0; i < c->n_usage; ++i) {
			struct wg_peer *p = wg_device_find_peer(dev, c->usage[i].key);

			if (p)
				p->usage = c->usage[i].u;
		}
	}
	return 0;
}

void history_cache_clear(struct history_cache *c)
{
	db_close(c->db);
	free(c->usage);
	wg_history_unref(c->h);
	memset(c, 0, sizeof(*c));
}
