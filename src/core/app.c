// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's state and what keys do to it. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "clientconf.h"
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "prefix.h"
#include "text.h"

static const double intervals[] = { 0.2, 0.5, 1, 2, 3, 5, 10, 30, 60 };

void app_init(struct app *app, double interval)
{
	memset(app, 0, sizeof(*app));
	app->interval = interval;
	app->sort = APP_COL_NAME;
	app->color = true;
	app->page_rows = 10;
}

static void dev_state_free(struct dev_state *d)
{
	free(d->flows);
	for (uint32_t i = 0; i < d->n_tracks; ++i)
		free(d->tracks[i].gone_name);
	free(d->tracks);
	keyidx_free(&d->index);
}

static void pager_clear(struct app_pager *p)
{
	for (size_t i = 0; i < p->n; ++i)
		free(p->lines[i].text);
	free(p->lines);
	memset(p, 0, sizeof(*p));
}

/* The client config and its QR code hold a private key: wiped, not only freed. */
static void client_clear(struct app_client *cl)
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
	client_clear(&app->client);
	free(app->drift.v);
	pager_clear(&app->pager);
	free(app->pick_keys);
	for (size_t i = 0; i < app->n_devs; ++i)
		dev_state_free(&app->devs[i]);
	free(app->devs);
	free(app->rows);
	free(app->order);
	wg_snapshot_free(app->snap);
	wg_snapshot_free(app->prev);
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

static struct peer_track *track_get(struct dev_state *d, const uint8_t key[WG_KEY_LEN], bool *created)
{
	int64_t i = keyidx_find(&d->index, d->tracks, key);
	struct peer_track *t;

	*created = false;
	if (i >= 0)
		return &d->tracks[i];
	if (d->n_tracks == d->cap_tracks) {
		uint32_t cap = d->cap_tracks ? d->cap_tracks * 2 : 16;
		struct peer_track *tracks = realloc(d->tracks, (size_t)cap * sizeof(*tracks));

		if (!tracks)
			return NULL;
		d->tracks = tracks;
		d->cap_tracks = cap;
	}
	t = &d->tracks[d->n_tracks];
	memset(t, 0, sizeof(*t));
	memcpy(t->key, key, WG_KEY_LEN);
	if (keyidx_add(&d->index, d->tracks, d->n_tracks + 1, d->n_tracks) < 0)
		return NULL;
	d->n_tracks++;
	*created = true;
	return t;
}

static bool endpoint_equal(const union wg_endpoint *a, const union wg_endpoint *b)
{
	if (a->addr.sa_family != b->addr.sa_family)
		return false;
	if (a->addr.sa_family == AF_INET)
		return a->addr4.sin_port == b->addr4.sin_port &&
		       a->addr4.sin_addr.s_addr == b->addr4.sin_addr.s_addr;
	if (a->addr.sa_family == AF_INET6)
		return a->addr6.sin6_port == b->addr6.sin6_port &&
		       a->addr6.sin6_scope_id == b->addr6.sin6_scope_id &&
		       !memcmp(&a->addr6.sin6_addr, &b->addr6.sin6_addr, sizeof(a->addr6.sin6_addr));
	return true;
}

static void track_endpoint(struct peer_track *t, const union wg_endpoint *ep, int64_t now)
{
	if (ep->addr.sa_family == AF_UNSPEC)
		return;
	if (t->n_endpoints && endpoint_equal(&t->endpoints[t->n_endpoints - 1].endpoint, ep))
		return;
	if (t->n_endpoints == APP_ENDPOINTS) {
		memmove(t->endpoints, t->endpoints + 1, (APP_ENDPOINTS - 1) * sizeof(t->endpoints[0]));
		t->n_endpoints--;
	}
	t->endpoints[t->n_endpoints].endpoint = *ep;
	t->endpoints[t->n_endpoints].when = now;
	t->n_endpoints++;
}

static void track_history(struct peer_track *t)
{
	uint32_t slot;

	/* "No rate yet" is not zero traffic: a gap is better than a false dip. */
	if (t->rate.status == RATE_INIT)
		return;
	slot = (t->hist_head + t->hist_len) % APP_HISTORY;
	t->rx_hist[slot] = (float)t->rate.rx_per_sec;
	t->tx_hist[slot] = (float)t->rate.tx_per_sec;
	if (t->hist_len < APP_HISTORY)
		t->hist_len++;
	else
		t->hist_head = (t->hist_head + 1) % APP_HISTORY;
}

/* Drops the tracks of peers gone longer than the marking lasts, and re-indexes the rest. */
static int tracks_compact(struct app *app, struct dev_state *d)
{
	uint32_t o = 0;

	for (uint32_t i = 0; i < d->n_tracks; ++i) {
		struct peer_track *t = &d->tracks[i];

		if (!t->present && app->tick - t->gone_tick >= APP_MARK_TICKS) {
			free(t->gone_name);
			continue;
		}
		if (o != i)
			d->tracks[o] = *t;
		o++;
	}
	if (o == d->n_tracks)
		return 0;
	d->n_tracks = o;
	return keyidx_rebuild(&d->index, d->tracks, o);
}

static int cmp_flow(const void *va, const void *vb)
{
	const struct app_flow *a = va, *b = vb;
	int r = memcmp(a->from, b->from, WG_KEY_LEN);

	return r ? r : memcmp(a->to, b->to, WG_KEY_LEN);
}

/* The device's flows by key, with rates from the same flows of the previous sample. */
static int flows_update(struct dev_state *d, const struct wg_device *dev, double dt)
{
	struct app_flow *flows = NULL;
	uint32_t n = 0;

	if (dev->has_flows && dev->n_flows) {
		flows = calloc(dev->n_flows, sizeof(*flows));
		if (!flows)
			return -ENOMEM;
		for (uint32_t i = 0; i < dev->n_flows; ++i) {
			const struct wg_flow *f = &dev->flows[i];

			if (f->from >= dev->n_peers || f->to >= dev->n_peers)
				continue;
			memcpy(flows[n].from, dev->peers[f->from].public_key, WG_KEY_LEN);
			memcpy(flows[n].to, dev->peers[f->to].public_key, WG_KEY_LEN);
			flows[n].bytes = f->bytes;
			n++;
		}
		qsort(flows, n, sizeof(*flows), cmp_flow);
		for (uint32_t i = 0; i < n && dt > 0; ++i) {
			const struct app_flow *old = d->n_flows ?
				bsearch(&flows[i], d->flows, d->n_flows, sizeof(*flows), cmp_flow) : NULL;

			if (old && flows[i].bytes >= old->bytes)
				flows[i].rate = (double)(flows[i].bytes - old->bytes) / dt;
		}
	}
	free(d->flows);
	d->flows = flows;
	d->n_flows = n;
	return 0;
}

static int cmp_flow_rate(const void *va, const void *vb)
{
	const struct app_flow *a = *(const struct app_flow *const *)va, *b = *(const struct app_flow *const *)vb;

	return a->rate < b->rate ? 1 : a->rate > b->rate ? -1 : cmp_flow(a, b);
}

uint32_t app_active_flows(const struct dev_state *d, const struct app_flow **out, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < d->n_flows; ++i)
		if (d->flows[i].rate > 0)
			k++;
	if (!k)
		return 0;
	{
		const struct app_flow **all = malloc(k * sizeof(*all));
		uint32_t j = 0;

		if (!all)
			return 0;
		for (uint32_t i = 0; i < d->n_flows; ++i)
			if (d->flows[i].rate > 0)
				all[j++] = &d->flows[i];
		qsort(all, k, sizeof(*all), cmp_flow_rate);
		if (k > n)
			k = n;
		memcpy(out, all, k * sizeof(*all));
		free(all);
	}
	return k;
}

static int dev_state_update(struct app *app, struct dev_state *d, const struct wg_device *dev,
			    const struct wg_device *prev_dev)
{
	const struct wg_snapshot *snap = app->snap;
	struct rate *rates = NULL;
	int ret = 0;

	if (dev->n_peers && !(rates = calloc(dev->n_peers, sizeof(*rates))))
		return -ENOMEM;
	if (dev->n_peers)
		rates_for_device(rates, prev_dev, app->prev ? &app->prev->mono : NULL, dev, &snap->mono);
	/* Room for every peer at once: growing a track at a time copies megabytes at 10,000. */
	if (!d->n_tracks && d->cap_tracks < dev->n_peers) {
		uint32_t cap = dev->n_peers;
		struct peer_track *tracks = realloc(d->tracks, (size_t)cap * sizeof(*tracks));

		if (!tracks) {
			ret = -ENOMEM;
			goto out;
		}
		d->tracks = tracks;
		d->cap_tracks = cap;
	}
	d->ifindex = dev->ifindex;
	d->keys_changed = false;
	d->rx_rate = d->tx_rate = 0;
	d->rates_known = false;
	d->counting = dev->has_flows;
	d->fwd_rate = 0;
	if ((ret = flows_update(d, dev, prev_dev && app->prev ?
				timespec_diff(&app->prev->mono, &snap->mono) : 0)) < 0)
		goto out;
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		bool created;
		struct peer_track *t = track_get(d, p->public_key, &created);

		if (!t) {
			ret = -ENOMEM;
			goto out;
		}
		if (created) {
			t->first_tick = prev_dev ? app->tick : 0;
			d->keys_changed = true;
		}
		if (!t->present && !created) {
			/* Back before its mark ran out: it is the same peer again. */
			free(t->gone_name);
			t->gone_name = NULL;
			d->keys_changed = true;
		}
		t->present = true;
		t->seen_tick = app->tick;
		t->rate = rates[i];
		t->fwd = (struct rate){ .status = RATE_INIT };
		if (p->forwarded.present && prev_dev) {
			const struct wg_peer *old = wg_device_find_peer(prev_dev, p->public_key);

			if (old && old->forwarded.present && app->prev)
				rate_compute(&t->fwd, old->forwarded.from_bytes, old->forwarded.to_bytes,
					     &app->prev->mono, p->forwarded.from_bytes, p->forwarded.to_bytes,
					     &snap->mono);
		}
		if (t->fwd.status == RATE_OK)
			d->fwd_rate += t->fwd.rx_per_sec + t->fwd.tx_per_sec;
		track_history(t);
		track_endpoint(t, &p->endpoint, snap->wall.tv_sec);
		if (rates[i].status == RATE_OK) {
			d->rx_rate += rates[i].rx_per_sec;
			d->tx_rate += rates[i].tx_per_sec;
			d->rates_known = true;
		}
	}
	for (uint32_t i = 0; i < d->n_tracks; ++i) {
		struct peer_track *t = &d->tracks[i];

		if (t->present && t->seen_tick != app->tick) {
			const struct wg_peer *old = prev_dev ? wg_device_find_peer(prev_dev, t->key) : NULL;

			t->present = false;
			t->gone_tick = app->tick;
			d->keys_changed = true;
			t->rate = (struct rate){ .status = RATE_INIT };
			if (old && old->name && !t->gone_name)
				t->gone_name = strdup(old->name);
		}
	}
	ret = tracks_compact(app, d);
out:
	free(rates);
	return ret;
}

static struct dev_state *dev_state_find(struct dev_state *devs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; ++i)
		if (!strcmp(devs[i].name, name))
			return &devs[i];
	return NULL;
}

int app_update(struct app *app, struct wg_snapshot *snap)
{
	struct dev_state *devs = calloc(snap->n_devices ? snap->n_devices : 1, sizeof(*devs));
	char cur_name[IFNAMSIZ] = "";
	size_t cur = 0;
	int ret = 0;

	if (!devs) {
		wg_snapshot_free(snap);
		return -ENOMEM;
	}
	if (app->cur < app->n_devs)
		memcpy(cur_name, app->devs[app->cur].name, IFNAMSIZ);
	wg_snapshot_free(app->prev);
	app->prev = app->snap;
	app->snap = snap;
	app->tick++;
	app->error[0] = '\0';

	/* Keep the state of interfaces that are still there, in the snapshot's order. */
	for (size_t i = 0; i < snap->n_devices; ++i) {
		const struct wg_device *dev = snap->devices[i];
		struct dev_state *old = dev_state_find(app->devs, app->n_devs, dev->name);

		if (old) {
			devs[i] = *old;
			memset(old, 0, sizeof(*old));
		} else {
			memcpy(devs[i].name, dev->name, IFNAMSIZ);
			devs[i].index = (struct keyidx)KEYIDX_INIT(struct peer_track, key);
		}
		if (!strcmp(dev->name, cur_name))
			cur = i;
	}
	for (size_t i = 0; i < app->n_devs; ++i)
		dev_state_free(&app->devs[i]);
	free(app->devs);
	app->devs = devs;
	app->n_devs = snap->n_devices;
	if (cur_name[0] && snap->n_devices && strcmp(devs[cur].name, cur_name))
		snprintf(app->message, sizeof(app->message), _("%s is gone; showing %s"), cur_name, devs[cur].name);
	app->cur = cur;

	for (size_t i = 0; i < snap->n_devices; ++i) {
		const struct wg_device *prev_dev = app->prev ? wg_snapshot_find_device(app->prev, devs[i].name) : NULL;

		if ((ret = dev_state_update(app, &devs[i], snap->devices[i], prev_dev)) < 0)
			return ret;
	}
	return app_rows_refresh(app);
}

void app_set_error(struct app *app, const char *msg)
{
	snprintf(app->error, sizeof(app->error), "%s", msg ? msg : "");
}

const char *app_row_name(const struct app *app, const struct app_row *row)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);

	if (row->peer >= 0 && dev)
		return dev->peers[row->peer].name;
	return d ? d->tracks[row->track].gone_name : NULL;
}

bool app_track_is_new(const struct app *app, const struct peer_track *t)
{
	return t->present && t->first_tick && app->tick - t->first_tick < APP_MARK_TICKS;
}

/* Case-insensitive substring search; the needle is short. */
static bool contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; ++hay)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

static bool row_matches(const struct app *app, const struct app_row *row)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);
	const char *name = app_row_name(app, row);
	char buf[FORMAT_BUF];

	if (!app->filter[0])
		return true;
	if (name && contains_ci(name, app->filter))
		return true;
	key_to_base64(buf, d->tracks[row->track].key);
	if (contains_ci(buf, app->filter))
		return true;
	if (row->peer < 0)
		return false;
	{
		const struct wg_peer *p = &dev->peers[row->peer];

		for (uint32_t i = 0; i < p->n_allowedips; ++i)
			if (contains_ci(format_allowedip(buf, sizeof(buf), &p->allowedips[i]), app->filter))
				return true;
		return contains_ci(format_endpoint(buf, sizeof(buf), &p->endpoint), app->filter);
	}
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* Online first, then stale, then never. */
static int state_rank(enum peer_state s)
{
	return s == PEER_ONLINE ? 0 : s == PEER_STALE ? 1 : 2;
}

/* What sorting a row looks at, gathered once: 10,000 rows take some 140,000 comparisons. */
struct sort_item {
	struct app_row row;
	const char *name;
	const struct wg_peer *peer;		/* NULL when gone */
	const struct peer_track *track;
};

struct sort_ctx {
	enum app_column sort;
	bool sort_reverse;
	int64_t now;
};

static int row_cmp(const void *va, const void *vb, void *vctx)
{
	const struct sort_ctx *app = vctx;
	const struct sort_item *a = va, *b = vb;
	const struct wg_peer *pa = a->peer, *pb = b->peer;
	const struct peer_track *ta = a->track, *tb = b->track;
	const char *na = a->name, *nb = b->name;
	int64_t now = app->now;
	int r = 0;

	/* Vanished peers sink to the bottom whatever the order. */
	if (!pa != !pb)
		return pa ? -1 : 1;
	if (pa && pb) {
		switch (app->sort) {
		case APP_COL_ALLOWED_IPS:
			if (pa->n_allowedips && pb->n_allowedips)
				r = wg_allowedip_cmp(&pa->allowedips[0], &pb->allowedips[0]);
			else
				r = (int)!pa->n_allowedips - (int)!pb->n_allowedips;
			break;
		case APP_COL_ENDPOINT:
			r = (int)pa->endpoint.addr.sa_family - (int)pb->endpoint.addr.sa_family;
			if (!r)
				r = memcmp(&pa->endpoint, &pb->endpoint, sizeof(pa->endpoint));
			break;
		case APP_COL_HANDSHAKE: {
			/* Most recent first; never last. */
			int64_t ha = peer_handshake_age(pa->last_handshake_sec, now);
			int64_t hb = peer_handshake_age(pb->last_handshake_sec, now);

			r = (ha < 0) - (hb < 0);
			if (!r)
				r = ha < hb ? -1 : ha > hb;
			break;
		}
		case APP_COL_STATE:
			r = state_rank(peer_state(pa->last_handshake_sec, now)) -
			    state_rank(peer_state(pb->last_handshake_sec, now));
			break;
		case APP_COL_RX_RATE:
			r = -cmp_double(ta->rate.rx_per_sec, tb->rate.rx_per_sec);
			break;
		case APP_COL_TX_RATE:
			r = -cmp_double(ta->rate.tx_per_sec, tb->rate.tx_per_sec);
			break;
		case APP_COL_RX:
			r = -cmp_u64(pa->rx_bytes, pb->rx_bytes);
			break;
		case APP_COL_TX:
			r = -cmp_u64(pa->tx_bytes, pb->tx_bytes);
			break;
		case APP_COL_FWD_RATE:
			r = -cmp_double(ta->fwd.rx_per_sec + ta->fwd.tx_per_sec,
					tb->fwd.rx_per_sec + tb->fwd.tx_per_sec);
			break;
		case APP_COL_NAME:
		default:
			break;
		}
		if (app->sort_reverse)
			r = -r;
	}
	if (r)
		return r;
	/* Then by name, named peers before unnamed ones, then by key: a total, stable order. */
	if (!na != !nb)
		return na ? -1 : 1;
	if (na && nb && (r = strcasecmp(na, nb)))
		return app->sort == APP_COL_NAME && app->sort_reverse ? -r : r;
	r = memcmp(ta->key, tb->key, WG_KEY_LEN);
	return app->sort == APP_COL_NAME && app->sort_reverse ? -r : r;
}

/*
 * The rows in the order of the last sort, if that order still sorts them. Between two
 * refreshes little moves: checking takes n - 1 comparisons where sorting 10,000 rows takes
 * some 140,000. The check alone decides, so a stale or shuffled order only costs the check.
 */
static bool reuse_order(const struct app *app, const struct dev_state *d, struct sort_item *items, uint32_t n,
			const struct sort_ctx *ctx)
{
	struct sort_item *tmp = NULL;
	int64_t *pos = NULL;
	bool ok = false;

	if (app->n_order != n)
		return false;
	pos = malloc((size_t)d->n_tracks * sizeof(*pos));
	tmp = malloc((size_t)n * sizeof(*tmp));
	if (!pos || !tmp)
		goto out;
	for (uint32_t t = 0; t < d->n_tracks; ++t)
		pos[t] = -1;
	for (uint32_t i = 0; i < n; ++i)
		pos[items[i].row.track] = i;
	for (uint32_t k = 0; k < n; ++k) {
		uint32_t t = app->order[k];

		if (t >= d->n_tracks || pos[t] < 0)
			goto out;
		tmp[k] = items[pos[t]];
		pos[t] = -1;
		if (k && row_cmp(&tmp[k - 1], &tmp[k], (void *)ctx) > 0)
			goto out;
	}
	memcpy(items, tmp, (size_t)n * sizeof(*items));
	ok = true;
out:
	free(pos);
	free(tmp);
	return ok;
}

static void keep_order(struct app *app, const struct sort_item *items, uint32_t n)
{
	uint32_t *order = realloc(app->order, (size_t)(n ? n : 1) * sizeof(*order));

	if (!order) {
		app->n_order = 0;
		return;
	}
	app->order = order;
	for (uint32_t i = 0; i < n; ++i)
		order[i] = items[i].row.track;
	app->n_order = n;
}

int64_t app_selected_row(const struct app *app)
{
	const struct dev_state *d = app_dev_state(app);

	if (!d || !d->selected_valid)
		return -1;
	for (uint32_t i = 0; i < app->n_rows; ++i)
		if (!memcmp(d->tracks[app->rows[i].track].key, d->selected, WG_KEY_LEN))
			return i;
	return -1;
}

static void select_row(struct app *app, int64_t row)
{
	struct dev_state *d = app_dev_state(app);

	if (!d)
		return;
	if (!app->n_rows) {
		d->selected_valid = false;
		return;
	}
	if (row < 0)
		row = 0;
	if (row >= app->n_rows)
		row = app->n_rows - 1;
	memcpy(d->selected, d->tracks[app->rows[row].track].key, WG_KEY_LEN);
	d->selected_valid = true;
	d->selected_row = (uint32_t)row;
}

int app_rows_refresh(struct app *app)
{
	const struct wg_device *dev = app_device(app);
	struct dev_state *d = app_dev_state(app);
	uint32_t need, n = 0;
	int64_t sel;

	app->n_rows = 0;
	if (!dev || !d)
		return 0;
	need = d->n_tracks;
	if (need > app->cap_rows) {
		struct app_row *rows = realloc(app->rows, (size_t)need * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		app->rows = rows;
		app->cap_rows = need;
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		int64_t t = keyidx_find(&d->index, d->tracks, dev->peers[i].public_key);

		if (t < 0)
			continue;
		app->rows[n] = (struct app_row){ .peer = (int32_t)i, .track = (uint32_t)t };
		if (row_matches(app, &app->rows[n]))
			n++;
	}
	for (uint32_t i = 0; i < d->n_tracks; ++i) {
		if (d->tracks[i].present)
			continue;
		app->rows[n] = (struct app_row){ .peer = -1, .track = i };
		if (row_matches(app, &app->rows[n]))
			n++;
	}
	app->n_rows = n;
	if (n > 1) {
		struct sort_ctx ctx = { .sort = app->sort, .sort_reverse = app->sort_reverse,
					.now = app->snap->wall.tv_sec };
		struct sort_item *items = malloc((size_t)n * sizeof(*items));

		if (!items)
			return -ENOMEM;
		for (uint32_t i = 0; i < n; ++i) {
			const struct app_row *row = &app->rows[i];

			items[i] = (struct sort_item){
				.row = *row,
				.name = app_row_name(app, row),
				.peer = row->peer >= 0 ? &dev->peers[row->peer] : NULL,
				.track = &d->tracks[row->track],
			};
		}
		if (!reuse_order(app, d, items, n, &ctx))
			qsort_r(items, n, sizeof(*items), row_cmp, &ctx);
		keep_order(app, items, n);
		for (uint32_t i = 0; i < n; ++i)
			app->rows[i] = items[i].row;
		free(items);
	}

	sel = app_selected_row(app);
	if (sel >= 0)
		d->selected_row = (uint32_t)sel;
	else
		select_row(app, d->selected_valid ? d->selected_row : 0);
	return 0;
}

uint32_t app_history(const struct peer_track *t, float *out, uint32_t n)
{
	uint32_t have = t->hist_len < n ? t->hist_len : n;
	uint32_t start = t->hist_len - have;

	for (uint32_t i = 0; i < have; ++i) {
		uint32_t slot = (t->hist_head + start + i) % APP_HISTORY;

		out[i] = t->rx_hist[slot] + t->tx_hist[slot];
	}
	return have;
}

const char *app_column_title(enum app_column col)
{
	switch (col) {
	case APP_COL_NAME:
		return _("NAME");
	case APP_COL_ALLOWED_IPS:
		return _("ALLOWED IPS");
	case APP_COL_ENDPOINT:
		return _("ENDPOINT");
	case APP_COL_HANDSHAKE:
		return _("HANDSHAKE");
	case APP_COL_STATE:
		return _("STATE");
	case APP_COL_RX_RATE:
		return _("RX/s");
	case APP_COL_TX_RATE:
		return _("TX/s");
	case APP_COL_RX:
		return _("RX");
	case APP_COL_TX:
		return _("TX");
	case APP_COL_FWD_RATE:
		return _("FWD/s");
	default:
		return "";
	}
}

/* Key handlers: they change the state and say what the loop must do; they never draw. */

static void say(struct app *app, const char *text)
{
	snprintf(app->message, sizeof(app->message), "%s", text);
}

/* A request for the loop: the dialogs that led to it are done. */
static int request(struct app *app, enum app_request what)
{
	app->req.what = what;
	app_modal_close_all(app);
	return APP_REDRAW | APP_REQUEST;
}

static bool refuse_read_only(struct app *app)
{
	if (app->read_only)
		say(app, _("read-only: no changes"));
	return app->read_only;
}

static int key_quit(struct app *app, int key)
{
	char q[APP_LONG_TEXT_MAX], left[32];

	/* Leaving is safe, as the guard rolls back, but the operator may not know that. */
	if (app_countdown_text(app, left, sizeof(left))) {
		snprintf(q, sizeof(q), _("A firewall change waits for confirmation and is rolled back in %d s unless "
					 "kept (c). Quit anyway?"), (int)(app->countdown - app->mono_now + 0.999));
		app_confirm_open(app, _("Quit"), q, _("quit"), _("stay"), APP_STEP_QUIT, APP_STEP_NONE);
		return APP_REDRAW;
	}
	return APP_QUIT;
}

static int key_help(struct app *app, int key)
{
	app->view = app->view == VIEW_HELP ? VIEW_MAIN : VIEW_HELP;
	app->help_top = 0;
	return APP_REDRAW;
}

static int key_move(struct app *app, int key)
{
	int64_t row = app_selected_row(app), page = app->page_rows > 1 ? app->page_rows - 1 : 1;

	if (row < 0)
		row = 0;
	switch (key) {
	case AK_UP:
	case 'k':
		row--;
		break;
	case AK_DOWN:
	case 'j':
		row++;
		break;
	case AK_PGUP:
		row -= page;
		break;
	case AK_PGDN:
		row += page;
		break;
	case AK_HOME:
	case 'g':
		row = 0;
		break;
	case AK_END:
	case 'G':
		row = (int64_t)app->n_rows - 1;
		break;
	default:
		break;
	}
	select_row(app, row);
	return APP_REDRAW;
}

static int key_detail(struct app *app, int key)
{
	if (app->view == VIEW_DETAIL) {
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	if (app_selected_row(app) < 0) {
		snprintf(app->message, sizeof(app->message), "%s", _("no peer selected"));
		return APP_REDRAW;
	}
	app->view = VIEW_DETAIL;
	return APP_REDRAW;
}

static int key_back(struct app *app, int key)
{
	if (app->view != VIEW_MAIN) {
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	if (app->filter[0]) {
		app->filter[0] = '\0';
		return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
	}
	return 0;
}

static int key_filter(struct app *app, int key)
{
	app->view = VIEW_MAIN;
	app->filter_editing = true;
	return APP_REDRAW;
}

static int key_sort(struct app *app, int key)
{
	const struct dev_state *d = app_dev_state(app);

	do {
		if (key == '<')
			app->sort = (app->sort + N_APP_COLUMNS - 1) % N_APP_COLUMNS;
		else
			app->sort = (app->sort + 1) % N_APP_COLUMNS;
		/* No column, no sorting by it: forwarded rates exist only while counted. */
	} while (app->sort == APP_COL_FWD_RATE && !(d && d->counting));
	snprintf(app->message, sizeof(app->message), _("sorted by %s"), app_column_title(app->sort));
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_reverse(struct app *app, int key)
{
	app->sort_reverse = !app->sort_reverse;
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_interface(struct app *app, int key)
{
	if (app->n_devs < 2) {
		snprintf(app->message, sizeof(app->message), "%s", _("there is only one interface"));
		return APP_REDRAW;
	}
	app->cur = (app->cur + 1) % app->n_devs;
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

static int key_pause(struct app *app, int key)
{
	app->paused = !app->paused;
	snprintf(app->message, sizeof(app->message), "%s", app->paused ? _("paused") : _("running"));
	return APP_REDRAW | (app->paused ? 0 : APP_RESAMPLE);
}

static int key_interval(struct app *app, int key)
{
	size_t n = sizeof(intervals) / sizeof(intervals[0]), i;

	if (key == '+') {
		for (i = 0; i < n && intervals[i] <= app->interval + 1e-9; ++i)
			;
		if (i < n)
			app->interval = intervals[i];
	} else {
		for (i = n; i > 0 && intervals[i - 1] >= app->interval - 1e-9; --i)
			;
		if (i > 0)
			app->interval = intervals[i - 1];
	}
	snprintf(app->message, sizeof(app->message), _("refresh every %.1f s"), app->interval);
	return APP_REDRAW | APP_RESAMPLE;
}

static int key_firewall(struct app *app, int key)
{
	if (refuse_read_only(app))
		return APP_REDRAW;
	if (app->countdown > 0) {
		say(app, _("a firewall change waits for confirmation: c keeps it, u undoes it"));
		return APP_REDRAW;
	}
	return request(app, APP_REQ_FIREWALL_PREVIEW);
}

/* c and u go to the guard even without a countdown here: a change applied elsewhere waits too. */
static int key_firewall_guard(struct app *app, int key)
{
	if (refuse_read_only(app))
		return APP_REDRAW;
	return request(app, key == 'c' ? APP_REQ_FIREWALL_CONFIRM : APP_REQ_FIREWALL_ROLLBACK);
}

static int key_forward(struct app *app, int key)
{
	char line[APP_TEXT_MAX];

	if (refuse_read_only(app))
		return APP_REDRAW;
	app_pager_open(app, _("Forwarding in this network namespace"), true, true);
	for (int v6 = 0; v6 < 2; ++v6) {
		int v = v6 ? app->fwd.ipv6 : app->fwd.ipv4;

		if (v < 0)
			snprintf(line, sizeof(line), _("%s forwarding: unknown"), v6 ? "IPv6" : "IPv4");
		else
			snprintf(line, sizeof(line), v ? _("%s forwarding: on; Enter turns it off") :
						       _("%s forwarding: off; Enter turns it on"), v6 ? "IPv6" : "IPv4");
		if (app_pager_add(app, APP_LINE_TEXT, v < 0 ? APP_STEP_NONE : APP_STEP_FORWARD, v6, line) < 0)
			return APP_QUIT;
	}
	return APP_REDRAW;
}

/* The name of a peer for a list: its name, or the start of its public key. */
static const char *pick_name(char *buf, size_t len, const char *name, const uint8_t key[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN];

	if (name && name[0])
		return name;
	key_to_base64(b64, key);
	snprintf(buf, len, "%.8s...", b64);
	return buf;
}

static int key_check(struct app *app, int key)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);
	int64_t sel = app_selected_row(app);
	char title[APP_TEXT_MAX], buf[64];
	const struct app_row *row;
	size_t n = 0;

	if (sel < 0 || !dev || app->rows[sel].peer < 0) {
		say(app, _("select a peer first: the check starts from it"));
		return APP_REDRAW;
	}
	row = &app->rows[sel];
	memcpy(app->req.peer_a, d->tracks[row->track].key, WG_KEY_LEN);
	free(app->pick_keys);
	app->n_pick_keys = 0;
	app->pick_keys = dev->n_peers ? malloc(dev->n_peers * sizeof(*app->pick_keys)) : NULL;
	if (dev->n_peers && !app->pick_keys)
		return APP_QUIT;
	snprintf(title, sizeof(title), _("Check %s with"),
		 pick_name(buf, sizeof(buf), dev->peers[row->peer].name, app->req.peer_a));
	app_pager_open(app, title, true, false);
	if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_CHECK_WITH, -1, _("every other peer")) < 0)
		return APP_QUIT;
	/* In the table's order, which the operator sees. */
	for (uint32_t i = 0; i < app->n_rows; ++i) {
		const struct app_row *r = &app->rows[i];
		const struct wg_peer *p;

		if (r->peer < 0 || i == (uint32_t)sel)
			continue;
		p = &dev->peers[r->peer];
		memcpy(app->pick_keys[n], p->public_key, WG_KEY_LEN);
		if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_CHECK_WITH, (int)n,
				  pick_name(buf, sizeof(buf), p->name, p->public_key)) < 0)
			return APP_QUIT;
		n++;
	}
	app->n_pick_keys = n;
	return APP_REDRAW;
}

/* The selected peer while it is live; else NULL, with why in the status line. */
static const struct wg_peer *selected_peer(struct app *app)
{
	const struct wg_device *dev = app_device(app);
	int64_t sel = app_selected_row(app);

	if (sel < 0 || !dev || app->rows[sel].peer < 0) {
		say(app, _("select a live peer first"));
		return NULL;
	}
	return &dev->peers[app->rows[sel].peer];
}

static void field_hint(struct app *app, int i, const char *hint)
{
	if (i >= 0)
		snprintf(app->form.fields[i].hint, sizeof(app->form.fields[i].hint), "%s", hint);
}

static bool form_error(char *err, size_t len, size_t *field, size_t which, const char *msg)
{
	snprintf(err, len, "%s", msg);
	*field = which;
	return false;
}

static bool list_ok(const char *text)
{
	struct wg_allowedip *v = NULL;
	size_t n = 0;

	if (prefix_parse_list(&v, &n, text) < 0)
		return false;
	free(v);
	return true;
}

/* What is plainly wrong in the add form; what needs the interface and the file the loop's dry run finds. */
static bool validate_add(const struct app_form *f, char *err, size_t len, size_t *field)
{
	const struct app_field *v = f->fields;
	uint8_t key[WG_KEY_LEN];
	const char *ka = v[APP_ADD_KEEPALIVE].buf;

	enum text_name_error bad;

	if (f->n < APP_ADD_N_FIELDS)
		return true;
	if ((bad = text_name_check(v[APP_ADD_NAME].buf)) != TEXT_NAME_OK)
		return form_error(err, len, field, APP_ADD_NAME, text_name_error_text(bad));
	if (v[APP_ADD_KEY].choice == 1 && !v[APP_ADD_PUBLIC_KEY].buf[0])
		return form_error(err, len, field, APP_ADD_PUBLIC_KEY,
				  _("paste the device's public key, or choose to generate one here"));
	if (v[APP_ADD_KEY].choice == 1 && !key_from_base64(key, v[APP_ADD_PUBLIC_KEY].buf))
		return form_error(err, len, field, APP_ADD_PUBLIC_KEY,
				  _("not a WireGuard public key (base64 of 32 bytes)"));
	if (v[APP_ADD_ADDRESS].buf[0] && !list_ok(v[APP_ADD_ADDRESS].buf))
		return form_error(err, len, field, APP_ADD_ADDRESS,
				  _("not a list of addresses or prefixes; empty takes the next free"));
	if (ka[0] && (strspn(ka, "0123456789") != strlen(ka) || strtol(ka, NULL, 10) > 65535))
		return form_error(err, len, field, APP_ADD_KEEPALIVE, _("the keepalive is seconds from 0 to 65535"));
	if (!v[APP_ADD_ENDPOINT].buf[0])
		return form_error(err, len, field, APP_ADD_ENDPOINT,
				  _("the client config needs the hub's public endpoint, HOST:PORT"));
	if (clientconf_check_endpoint(v[APP_ADD_ENDPOINT].buf) < 0)
		return form_error(err, len, field, APP_ADD_ENDPOINT, _("not an endpoint (HOST:PORT)"));
	return true;
}

static const char *add_key_choices[2], *add_psk_choices[2];

void app_peer_add_form(struct app *app, const char *endpoint, const char *dns, const char *address_hint)
{
	const struct wg_device *dev = app_device(app);
	char title[APP_TEXT_MAX], hint[APP_FIELD_MAX];

	/* Translated when the form opens: the fields keep pointers to them. */
	add_key_choices[0] = _("generate here");
	add_key_choices[1] = _("paste a public key");
	add_psk_choices[0] = _("no");
	add_psk_choices[1] = _("yes");
	snprintf(title, sizeof(title), _("New peer on %s"), dev ? dev->name : "?");
	app_form_open(app, title, APP_FORM_ADD_PEER, validate_add);
	app_form_add(app, _("Name"), NAMES_MAX_LEN, NULL);
	app_form_add_choice(app, _("Key"), add_key_choices, 2, 0);
	field_hint(app, app_form_add(app, _("Public key"), WG_KEY_B64_LEN - 1, NULL),
		   _("only when pasting: the device's own key"));
	app_form_add_choice(app, _("Preshared key"), add_psk_choices, 2, 0);
	if (address_hint && address_hint[0])
		snprintf(hint, sizeof(hint), _("next free: %s"), address_hint);
	else
		snprintf(hint, sizeof(hint), "%s", _("empty: the next free in each subnet"));
	field_hint(app, app_form_add(app, _("Address"), 0, NULL), hint);
	field_hint(app, app_form_add(app, _("Keepalive"), 5, NULL), _("empty: none; else the hub pings every N s"));
	field_hint(app, app_form_add(app, _("Endpoint"), 0, endpoint), _("the hub's public HOST:PORT (needed)"));
	field_hint(app, app_form_add(app, _("DNS"), 0, dns), _("none"));
}

static int key_add(struct app *app, int key)
{
	if (refuse_read_only(app))
		return APP_REDRAW;
	if (!app_device(app)) {
		say(app, _("no WireGuard interface to add a peer to"));
		return APP_REDRAW;
	}
	return request(app, APP_REQ_PEER_ADD_FORM);
}

static int key_remove(struct app *app, int key)
{
	const struct wg_device *dev = app_device(app);
	const struct wg_peer *p;
	char q[APP_LONG_TEXT_MAX], b64[WG_KEY_B64_LEN], name[64], shortkey[32];

	if (refuse_read_only(app))
		return APP_REDRAW;
	if (!(p = selected_peer(app)))
		return APP_REDRAW;
	memcpy(app->target, p->public_key, WG_KEY_LEN);
	key_to_base64(b64, p->public_key);
	snprintf(shortkey, sizeof(shortkey), "%.16s...", b64);
	snprintf(q, sizeof(q), _("Remove peer %s (%s) from %s, live and from its config file?"),
		 pick_name(name, sizeof(name), p->name, p->public_key), shortkey, dev->name);
	app_confirm_open(app, _("Remove a peer"), q, _("remove"), _("keep it"), APP_STEP_REMOVE, APP_STEP_NONE);
	return APP_REDRAW;
}

static bool validate_edit(const struct app_form *f, char *err, size_t len, size_t *field)
{
	enum text_name_error bad;

	if (f->n < 2)
		return true;
	if ((bad = text_name_check(f->fields[APP_EDIT_NAME].buf)) != TEXT_NAME_OK)
		return form_error(err, len, field, APP_EDIT_NAME, text_name_error_text(bad));
	if (!f->fields[APP_EDIT_ALLOWED_IPS].buf[0])
		return form_error(err, len, field, APP_EDIT_ALLOWED_IPS, _("a peer needs at least one allowed IP"));
	if (!list_ok(f->fields[APP_EDIT_ALLOWED_IPS].buf))
		return form_error(err, len, field, APP_EDIT_ALLOWED_IPS, _("not a list of addresses or prefixes"));
	return true;
}

static int key_edit(struct app *app, int key)
{
	const struct wg_peer *p;
	char title[APP_TEXT_MAX], name[64], one[FORMAT_BUF];
	size_t off = 0;

	if (refuse_read_only(app))
		return APP_REDRAW;
	if (!(p = selected_peer(app)))
		return APP_REDRAW;
	memcpy(app->target, p->public_key, WG_KEY_LEN);
	snprintf(app->target_name, sizeof(app->target_name), "%s", p->name ? p->name : "");
	app->target_allowed[0] = '\0';
	for (uint32_t i = 0; i < p->n_allowedips && off < sizeof(app->target_allowed); ++i)
		off += (size_t)snprintf(app->target_allowed + off, sizeof(app->target_allowed) - off, "%s%s",
					i ? ", " : "", format_allowedip(one, sizeof(one), &p->allowedips[i]));
	snprintf(title, sizeof(title), _("Edit peer %s"), pick_name(name, sizeof(name), p->name, p->public_key));
	app_form_open(app, title, APP_FORM_EDIT_PEER, validate_edit);
	app_form_add(app, _("Name"), NAMES_MAX_LEN, app->target_name);
	field_hint(app, app_form_add(app, _("Allowed IPs"), 0, app->target_allowed),
		   _("comma-separated, as 10.0.0.5/32, fd00::5/128"));
	return APP_REDRAW;
}

const struct app_drift *app_drift(const struct app *app)
{
	const struct wg_device *dev = app_device(app);

	if (!dev || !app->drift.iface[0] || strcmp(app->drift.iface, dev->name))
		return NULL;
	return &app->drift;
}

static int key_drift(struct app *app, int key)
{
	const struct app_drift *dr = app_drift(app);
	char title[APP_TEXT_MAX], line[APP_TEXT_MAX], b64[WG_KEY_B64_LEN];
	size_t first_action;

	if (!dr) {
		say(app, _("drift is not known yet"));
		return APP_REDRAW;
	}
	if (dr->error[0]) {
		say(app, dr->error);
		return APP_REDRAW;
	}
	if (!dr->n) {
		say(app, _("the live interface and its config file agree"));
		return APP_REDRAW;
	}
	snprintf(title, sizeof(title), _("Drift: %s and its config file disagree"), dr->iface);
	app_pager_open(app, title, true, true);
	for (size_t i = 0; i < dr->n; ++i) {
		key_to_base64(b64, dr->v[i].key);
		snprintf(line, sizeof(line), dr->v[i].live ? _("live only:    %s %s") : _("in file only: %s %s"), b64,
			 dr->v[i].name);
		if (app_pager_add(app, APP_LINE_TEXT, 0, 0, line) < 0)
			return APP_QUIT;
	}
	first_action = app->pager.n + 1;
	if (app_pager_add(app, APP_LINE_TEXT, 0, 0, " ") < 0)
		return APP_QUIT;
	if (app->read_only) {
		if (app_pager_add(app, APP_LINE_NOTE, 0, 0, _("read-only: reconciling is off")) < 0)
			return APP_QUIT;
		return APP_REDRAW;
	}
	if (app_pager_add(app, APP_LINE_TEXT, APP_STEP_DRIFT, DRIFT_TO_FILE,
			  _("to file: make the config file follow the live interface (preview)")) < 0 ||
	    app_pager_add(app, APP_LINE_TEXT, APP_STEP_DRIFT, DRIFT_TO_LIVE,
			  _("to live: make the live interface follow the config file (preview)")) < 0)
		return APP_QUIT;
	app->pager.cursor = first_action;
	return APP_REDRAW;
}

const struct app_binding app_bindings[] = {
	{ { '?', AK_F1, 'h' }, "? F1", N_("help"), key_help },
	{ { 'q', AK_F10 }, "q F10", N_("quit"), key_quit },
	{ { AK_UP, 'k' }, "Up k", N_("select the peer above"), key_move },
	{ { AK_DOWN, 'j' }, "Down j", N_("select the peer below"), key_move },
	{ { AK_PGUP, AK_PGDN }, "PgUp PgDn", N_("move a page up or down"), key_move },
	{ { AK_HOME, 'g' }, "Home g", N_("select the first peer"), key_move },
	{ { AK_END, 'G' }, "End G", N_("select the last peer"), key_move },
	{ { AK_ENTER }, "Enter", N_("peer details, and back"), key_detail },
	{ { '/' }, "/", N_("filter by name, key or address"), key_filter },
	{ { AK_ESC }, "Esc", N_("back; clear the filter"), key_back },
	{ { 's', '>', '<' }, "s > <", N_("sort by the next or previous column"), key_sort },
	{ { 'r', 'I' }, "r I", N_("reverse the sort order"), key_reverse },
	{ { AK_TAB, 'i' }, "Tab i", N_("next interface"), key_interface },
	{ { ' ' }, "Space", N_("pause or resume"), key_pause },
	{ { '+', '-' }, "+ -", N_("refresh more or less often"), key_interval },
	{ { 'F' }, "F", N_("firewall: preview what wgstar would change, then apply"), key_firewall },
	{ { 'c' }, "c", N_("keep the firewall change the countdown would undo"), key_firewall_guard },
	{ { 'u' }, "u", N_("undo that firewall change now"), key_firewall_guard },
	{ { 'w' }, "w", N_("switch IPv4 or IPv6 forwarding"), key_forward },
	{ { 'x' }, "x", N_("check why the selected peer cannot reach others"), key_check },
	{ { 'n' }, "n", N_("new peer: a form, then its client config and QR code"), key_add },
	{ { 'e' }, "e", N_("edit the selected peer's name and allowed IPs"), key_edit },
	{ { 'D', AK_DELETE }, "D Del", N_("remove the selected peer, after asking"), key_remove },
	{ { 'd' }, "d", N_("drift: peers live only or in the config file only; reconcile"), key_drift },
};

const size_t app_n_bindings = sizeof(app_bindings) / sizeof(app_bindings[0]);

/* A typed code point as UTF-8 into enc; its length, or 0 when it is no printable character. */
static size_t utf8_encode(int key, char enc[4])
{
	return key >= 0 && text_printable((uint32_t)key) ? text_utf8_put((uint32_t)key, enc) : 0;
}

static int filter_key(struct app *app, int key)
{
	size_t len = strlen(app->filter);

	switch (key) {
	case AK_ENTER:
		app->filter_editing = false;
		return APP_REDRAW;
	case AK_ESC:
		app->filter_editing = false;
		app->filter[0] = '\0';
		break;
	case AK_BACKSPACE:
		/* Remove a whole UTF-8 character. */
		while (len && ((unsigned char)app->filter[len - 1] & 0xc0) == 0x80)
			--len;
		if (len)
			--len;
		app->filter[len] = '\0';
		break;
	default: {
		char enc[4];
		size_t n = utf8_encode(key, enc);

		if (!n || len + n >= sizeof(app->filter))
			return 0;
		memcpy(app->filter + len, enc, n);
		app->filter[len + n] = '\0';
		break;
	}
	}
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

/* --- dialogs --- */

const struct app_key_doc app_dialog_keys[] = {
	{ "Up Down", N_("scroll, or choose in a list") },
	{ "PgUp PgDn", N_("scroll a page") },
	{ "Home End", N_("to the top or the bottom") },
	{ "Enter", N_("take the chosen line; submit a form") },
	{ "a", N_("apply the previewed change") },
	{ "y n", N_("answer the question") },
	{ "Esc q", N_("close; Esc cancels a question or a form") },
	{ "Tab S-Tab", N_("next or previous field of a form") },
	{ "Left Right", N_("move in a field; step through a choice") },
	{ "Space", N_("next choice of a choice field") },
	{ "Backspace Del", N_("delete before or at the cursor") },
	{ "Ctrl-U", N_("delete to the start of the field") },
	{ "s", N_("save a new peer's client config to a file") },
	{ "t", N_("its config as text only, or with the QR code") },
};

const size_t app_n_dialog_keys = sizeof(app_dialog_keys) / sizeof(app_dialog_keys[0]);

enum app_modal app_modal_top(const struct app *app)
{
	return app->n_modals ? app->modals[app->n_modals - 1] : MODAL_NONE;
}

/* The top dialog goes; a client config goes from memory with it. */
static void modal_pop(struct app *app)
{
	if (!app->n_modals)
		return;
	if (app->modals[--app->n_modals] == MODAL_CLIENT)
		client_clear(&app->client);
}

void app_modal_close_all(struct app *app)
{
	while (app->n_modals)
		modal_pop(app);
}

static void modal_push(struct app *app, enum app_modal m)
{
	/* Dialogs stack two or three deep; a deeper one takes the top's place. */
	if (app->n_modals == APP_MODAL_DEPTH)
		modal_pop(app);
	app->modals[app->n_modals++] = m;
}

void app_pager_open(struct app *app, const char *title, bool select, bool wrap)
{
	app_modal_close_all(app);
	pager_clear(&app->pager);
	snprintf(app->pager.title, sizeof(app->pager.title), "%s", title);
	app->pager.select = select;
	app->pager.wrap = wrap;
	modal_push(app, MODAL_PAGER);
}

/*
 * A line with its tabs as spaces to the next stop of APP_TAB_STOP columns: the ruleset is
 * indented with tabs, which a canvas cannot draw. A diff's stops count after its +, - or
 * space, so that both sides line up as in the listing. NULL on ENOMEM.
 */
#define APP_TAB_STOP 4

static char *expand_tabs(const char *s, size_t len, bool diff)
{
	size_t tabs = 0, o = 0, col = 0;
	char *out;

	for (size_t i = 0; i < len; ++i)
		tabs += s[i] == '\t';
	out = malloc(len + tabs * APP_TAB_STOP + 1);
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; ++i) {
		if (s[i] != '\t') {
			out[o++] = s[i];
			/* Columns of characters, not bytes: tabs lead, so this is rarely wrong. */
			if (((unsigned char)s[i] & 0xc0) != 0x80 && !(diff && i == 0))
				col++;
			continue;
		}
		do {
			out[o++] = ' ';
		} while (++col % APP_TAB_STOP);
	}
	out[o] = '\0';
	return out;
}

int app_pager_add(struct app *app, uint8_t kind, int action, int arg, const char *text)
{
	struct app_pager *p = &app->pager;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		struct app_line *l;

		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 32;
			struct app_line *lines = realloc(p->lines, cap * sizeof(*lines));

			if (!lines)
				return -ENOMEM;
			p->lines = lines;
			p->cap = cap;
		}
		l = &p->lines[p->n];
		l->text = expand_tabs(text, len, kind == APP_LINE_DIFF);
		if (!l->text)
			return -ENOMEM;
		l->kind = kind;
		l->action = action;
		l->arg = arg;
		p->n++;
		text += len + (nl ? 1 : 0);
	}
	return 0;
}

void app_confirm_open(struct app *app, const char *title, const char *question, const char *yes,
		      const char *no, int yes_step, int no_step)
{
	struct app_confirm *c = &app->confirm;

	snprintf(c->title, sizeof(c->title), "%s", title ? title : "");
	snprintf(c->question, sizeof(c->question), "%s", question);
	snprintf(c->yes, sizeof(c->yes), "%s", yes);
	snprintf(c->no, sizeof(c->no), "%s", no);
	c->yes_step = yes_step;
	c->no_step = no_step;
	modal_push(app, MODAL_CONFIRM);
}

void app_form_open(struct app *app, const char *title, int id,
		   bool (*validate)(const struct app_form *form, char *err, size_t len, size_t *field))
{
	struct app_form *f = &app->form;

	memset(f, 0, sizeof(*f));
	snprintf(f->title, sizeof(f->title), "%s", title);
	f->id = id;
	f->validate = validate;
	modal_push(app, MODAL_FORM);
}

/* The length of s cut to at most max bytes, on a character boundary. */
static size_t utf8_cut(const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len <= max)
		return len;
	len = max;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return len;
}

int app_form_add(struct app *app, const char *label, size_t max, const char *initial)
{
	struct app_form *f = &app->form;
	struct app_field *fl;
	size_t len;

	if (f->n == APP_FORM_FIELDS)
		return -1;
	fl = &f->fields[f->n];
	memset(fl, 0, sizeof(*fl));
	snprintf(fl->label, sizeof(fl->label), "%s", label);
	fl->max = max && max < APP_FIELD_MAX ? max : APP_FIELD_MAX - 1;
	len = utf8_cut(initial ? initial : "", fl->max);
	memcpy(fl->buf, initial ? initial : "", len);
	fl->buf[len] = '\0';
	fl->cursor = len;
	return (int)f->n++;
}

int app_form_add_choice(struct app *app, const char *label, const char *const *choices, size_t n, size_t initial)
{
	int i;
	struct app_field *fl;

	if (!n || (i = app_form_add(app, label, 0, NULL)) < 0)
		return -1;
	fl = &app->form.fields[i];
	fl->choices = choices;
	fl->n_choices = n;
	fl->choice = initial < n ? initial : 0;
	snprintf(fl->buf, sizeof(fl->buf), "%s", choices[fl->choice]);
	fl->cursor = 0;
	return i;
}

int app_show_diff(struct app *app, const char *title, const char *notes, const char *diff, const char *warning)
{
	app_pager_open(app, title, false, false);
	app->pager.apply = true;
	app->pager.apply_step = APP_STEP_APPLY;
	snprintf(app->pager.warning, sizeof(app->pager.warning), "%s", warning ? warning : "");
	/* Said before 'a' too, but seen first here, above what causes it. */
	if ((warning && app_pager_add(app, APP_LINE_WARN, 0, 0, warning) < 0) ||
	    (notes && app_pager_add(app, APP_LINE_NOTE, 0, 0, notes) < 0) ||
	    app_pager_add(app, APP_LINE_DIFF, 0, 0, diff) < 0)
		return -ENOMEM;
	return 0;
}

int app_show_reconcile(struct app *app, const char *title, int dir, const char *preview)
{
	app_pager_open(app, title, false, false);
	app->pager.apply = true;
	app->pager.apply_step = APP_STEP_RECONCILE;
	app->pager.apply_arg = dir;
	/* A diff of the file, or "- remove" and "+ add" lines: coloured alike. */
	return app_pager_add(app, APP_LINE_DIFF, 0, 0, preview && preview[0] ? preview : _("nothing to change"));
}

int app_show_client(struct app *app, const char *title, const char *name, const char *text)
{
	struct app_client *cl = &app->client;
	int ret;

	app_modal_close_all(app);
	client_clear(cl);
	cl->text = strdup(text);
	if (!cl->text)
		return -ENOMEM;
	snprintf(cl->title, sizeof(cl->title), "%s", title);
	snprintf(cl->name, sizeof(cl->name), "%s", name ? name : "");
	ret = qr_render(&cl->art[0], text, QR_UTF8_HALF);
	if (!ret)
		ret = qr_render(&cl->art[1], text, QR_ASCII);
	if (ret < 0) {
		if (ret == -ENOMEM) {
			client_clear(cl);
			return ret;
		}
		/* The text alone, then: the dialog says why there is no code. */
		for (size_t s = 0; s < 2; ++s)
			qr_art_free(&cl->art[s]);
		cl->qr_error = ret;
	}
	modal_push(app, MODAL_CLIENT);
	return 0;
}

int app_set_drift(struct app *app, const char *iface, const struct peer_drift *v, size_t n, const char *error)
{
	struct app_drift *dr = &app->drift;
	struct peer_drift *copy = NULL;

	if (n && !(copy = malloc(n * sizeof(*copy))))
		return -ENOMEM;
	if (n)
		memcpy(copy, v, n * sizeof(*copy));
	free(dr->v);
	dr->v = copy;
	dr->n = n;
	dr->n_live = dr->n_file = 0;
	for (size_t i = 0; i < n; ++i) {
		if (v[i].live)
			dr->n_live++;
		else
			dr->n_file++;
	}
	snprintf(dr->iface, sizeof(dr->iface), "%s", iface);
	snprintf(dr->error, sizeof(dr->error), "%s", error ? error : "");
	/* The rows' marks: a peer is looked up once per finding, not per row and render. */
	for (size_t k = 0; k < app->n_devs; ++k) {
		struct dev_state *d = &app->devs[k];

		if (strcmp(d->name, iface))
			continue;
		for (uint32_t i = 0; i < d->n_tracks; ++i)
			d->tracks[i].live_only = false;
		for (size_t i = 0; i < n; ++i) {
			int64_t t = v[i].live ? keyidx_find(&d->index, d->tracks, v[i].key) : -1;

			if (t >= 0)
				d->tracks[t].live_only = true;
		}
	}
	return 0;
}

void app_form_close(struct app *app)
{
	if (app_modal_top(app) == MODAL_FORM)
		modal_pop(app);
}

void app_form_fail(struct app *app, const char *err, size_t field)
{
	struct app_form *f = &app->form;

	if (app_modal_top(app) != MODAL_FORM)
		return;
	snprintf(f->error, sizeof(f->error), "%s", err);
	if (field < f->n)
		f->focus = field;
}

int app_show_check(struct app *app, const char *title, const struct check_result *r)
{
	char line[sizeof(r->v[0].text) + sizeof(r->v[0].fix) + 64];

	app_pager_open(app, title, true, true);
	if (!r->n)
		return app_pager_add(app, APP_LINE_TEXT, 0, 0, _("nothing found that keeps them apart"));
	for (size_t i = 0; i < r->n; ++i) {
		const struct check_finding *f = &r->v[i];
		const char *how = f->kind == CHECK_FIX_FORWARD_IPV4 ? _("Enter switches IPv4 forwarding on") :
				  f->kind == CHECK_FIX_FORWARD_IPV6 ? _("Enter switches IPv6 forwarding on") :
				  f->kind == CHECK_FIX_FIREWALL ? _("Enter previews the firewall change") : NULL;

		if (how)
			snprintf(line, sizeof(line), "%s [%s]", f->text, how);
		else if (f->fix[0])
			snprintf(line, sizeof(line), _("%s; fix: %s"), f->text, f->fix);
		else
			snprintf(line, sizeof(line), "%s", f->text);
		if (app_pager_add(app, APP_LINE_TEXT, how ? APP_STEP_FIX : APP_STEP_NONE, (int)f->kind, line) < 0)
			return -ENOMEM;
	}
	return 0;
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
static int step(struct app *app, int what, int arg)
{
	char q[APP_LONG_TEXT_MAX];
	const char *fam = app->fwd_ipv6 ? "IPv6" : "IPv4";

	switch (what) {
	case APP_STEP_APPLY:
		return request(app, APP_REQ_FIREWALL_APPLY);
	case APP_STEP_FORWARD: {
		int v = arg ? app->fwd.ipv6 : app->fwd.ipv4;

		if (v < 0)
			return 0;
		app->fwd_ipv6 = arg;
		app->fwd_value = !v;
		fam = arg ? "IPv6" : "IPv4";
		snprintf(q, sizeof(q), app->fwd_value ? _("Turn %s forwarding on in this network namespace?") :
							_("Turn %s forwarding off in this network namespace?"), fam);
		app_confirm_open(app, _("Forwarding"), q, app->fwd_value ? _("turn on") : _("turn off"), _("cancel"),
				 APP_STEP_FORWARD_ASK_PERSIST, APP_STEP_NONE);
		return APP_REDRAW;
	}
	case APP_STEP_FORWARD_ASK_PERSIST:
		snprintf(q, sizeof(q), app->fwd_value ? _("Also turn %s forwarding on at boot, in %s?") :
							_("Also turn %s forwarding off at boot, in %s?"),
			 fam, app->sysctl_file[0] ? app->sysctl_file : "/etc/sysctl.d");
		app_confirm_open(app, _("Forwarding"), q, _("now and at boot"), _("only now"),
				 APP_STEP_FORWARD_PERSIST, APP_STEP_FORWARD_NOW);
		return APP_REDRAW;
	case APP_STEP_FORWARD_NOW:
	case APP_STEP_FORWARD_PERSIST:
		app->req.ipv6 = app->fwd_ipv6;
		app->req.value = app->fwd_value;
		app->req.persist = what == APP_STEP_FORWARD_PERSIST;
		return request(app, APP_REQ_FORWARD);
	case APP_STEP_CHECK_WITH:
		if (arg >= 0 && (size_t)arg >= app->n_pick_keys)
			return 0;
		app->req.with_b = arg >= 0;
		if (arg >= 0)
			memcpy(app->req.peer_b, app->pick_keys[arg], WG_KEY_LEN);
		return request(app, APP_REQ_CHECK);
	case APP_STEP_FIX:
		if (refuse_read_only(app))
			return APP_REDRAW;
		if (arg == CHECK_FIX_FIREWALL) {
			if (app->countdown > 0) {
				say(app, _("a firewall change waits for confirmation: c keeps it, u undoes it"));
				return APP_REDRAW;
			}
			return request(app, APP_REQ_FIREWALL_PREVIEW);
		}
		if (arg == CHECK_FIX_FORWARD_IPV4 || arg == CHECK_FIX_FORWARD_IPV6) {
			int v6 = arg == CHECK_FIX_FORWARD_IPV6;

			/* The check is a moment old: switch on only what is still off. */
			if ((v6 ? app->fwd.ipv6 : app->fwd.ipv4) != 0) {
				say(app, v6 ? _("IPv6 forwarding is not off now") : _("IPv4 forwarding is not off now"));
				return APP_REDRAW;
			}
			return step(app, APP_STEP_FORWARD, v6);
		}
		return 0;
	case APP_STEP_QUIT:
		return APP_QUIT;
	case APP_STEP_REMOVE:
		if (refuse_read_only(app))
			return APP_REDRAW;
		memcpy(app->req.peer_a, app->target, WG_KEY_LEN);
		return request(app, APP_REQ_PEER_REMOVE);
	case APP_STEP_DRIFT:
	case APP_STEP_RECONCILE:
		if (refuse_read_only(app))
			return APP_REDRAW;
		app->req.value = arg;
		return request(app, what == APP_STEP_DRIFT ? APP_REQ_DRIFT_PREVIEW : APP_REQ_DRIFT_APPLY);
	case APP_STEP_NONE:
	default:
		return 0;
	}
}

static void pager_move(struct app_pager *p, int64_t by, bool absolute)
{
	int64_t max, pos;

	if (!p->n)
		return;
	if (p->select) {
		pos = absolute ? by : (int64_t)p->cursor + by;
		max = (int64_t)p->n - 1;
	} else {
		/* The view draws past no end: the last page ends with the last line. */
		pos = absolute ? by : (int64_t)p->top + by;
		max = p->page > 0 && p->n > (size_t)p->page ? (int64_t)(p->n - (size_t)p->page) :
		      p->page > 0 ? 0 : (int64_t)p->n - 1;
	}
	if (pos > max)
		pos = max;
	if (pos < 0)
		pos = 0;
	if (p->select)
		p->cursor = (size_t)pos;
	else
		p->top = (size_t)pos;
}

static int pager_key(struct app *app, int key)
{
	struct app_pager *p = &app->pager;
	int64_t page = p->page > 1 ? p->page - 1 : 1;

	switch (key) {
	case AK_UP:
	case 'k':
		pager_move(p, -1, false);
		break;
	case AK_DOWN:
	case 'j':
		pager_move(p, 1, false);
		break;
	case AK_PGUP:
		pager_move(p, -page, false);
		break;
	case AK_PGDN:
		pager_move(p, page, false);
		break;
	case AK_HOME:
	case 'g':
		pager_move(p, 0, true);
		break;
	case AK_END:
	case 'G':
		pager_move(p, INT64_MAX / 2, true);
		break;
	case AK_ENTER:
		if (p->select && p->cursor < p->n && p->lines[p->cursor].action)
			return APP_REDRAW | step(app, p->lines[p->cursor].action, p->lines[p->cursor].arg);
		return 0;
	case 'a':
		if (!p->apply)
			return 0;
		if (p->warning[0]) {
			char q[APP_LONG_TEXT_MAX];

			snprintf(q, sizeof(q), _("%s Apply anyway?"), p->warning);
			app_confirm_open(app, _("Warning"), q, _("apply"), _("cancel"), APP_STEP_APPLY, APP_STEP_NONE);
			return APP_REDRAW;
		}
		return step(app, p->apply_step ? p->apply_step : APP_STEP_APPLY, p->apply_arg);
	case AK_ESC:
	case 'q':
		modal_pop(app);
		break;
	default:
		return 0;
	}
	return APP_REDRAW;
}

static int confirm_key(struct app *app, int key)
{
	const struct app_confirm *c = &app->confirm;
	int yes = c->yes_step, no = c->no_step;

	switch (key) {
	case 'y':
	case 'Y':
		modal_pop(app);
		return APP_REDRAW | step(app, yes, 0);
	case 'n':
	case 'N':
		modal_pop(app);
		return APP_REDRAW | step(app, no, 0);
	case AK_ESC:
		modal_pop(app);
		return APP_REDRAW;
	default:
		return 0;
	}
}

/* The byte offset of the character before or after off in s. */
static size_t utf8_prev(const char *s, size_t off)
{
	if (!off)
		return 0;
	off--;
	while (off && ((unsigned char)s[off] & 0xc0) == 0x80)
		off--;
	return off;
}

static size_t utf8_next(const char *s, size_t off)
{
	if (!s[off])
		return off;
	off++;
	while (s[off] && ((unsigned char)s[off] & 0xc0) == 0x80)
		off++;
	return off;
}

static void field_delete(struct app_field *fl, size_t from, size_t to)
{
	memmove(fl->buf + from, fl->buf + to, strlen(fl->buf + to) + 1);
	fl->cursor = from;
}

static int field_key(struct app_field *fl, int key)
{
	size_t len = strlen(fl->buf);
	char enc[4];
	size_t n;

	if (fl->choices) {
		if (key == ' ' || key == AK_RIGHT)
			fl->choice = (fl->choice + 1) % fl->n_choices;
		else if (key == AK_LEFT)
			fl->choice = (fl->choice + fl->n_choices - 1) % fl->n_choices;
		else
			return 0;
		snprintf(fl->buf, sizeof(fl->buf), "%s", fl->choices[fl->choice]);
		return APP_REDRAW;
	}
	switch (key) {
	case AK_LEFT:
		fl->cursor = utf8_prev(fl->buf, fl->cursor);
		return APP_REDRAW;
	case AK_RIGHT:
		fl->cursor = utf8_next(fl->buf, fl->cursor);
		return APP_REDRAW;
	case AK_HOME:
		fl->cursor = 0;
		return APP_REDRAW;
	case AK_END:
		fl->cursor = len;
		return APP_REDRAW;
	case AK_BACKSPACE:
		field_delete(fl, utf8_prev(fl->buf, fl->cursor), fl->cursor);
		return APP_REDRAW;
	case AK_DELETE:
		field_delete(fl, fl->cursor, utf8_next(fl->buf, fl->cursor));
		return APP_REDRAW;
	case AK_KILL_LINE:
		field_delete(fl, 0, fl->cursor);
		return APP_REDRAW;
	default:
		break;
	}
	n = utf8_encode(key, enc);
	if (!n || len + n > fl->max)
		return 0;
	memmove(fl->buf + fl->cursor + n, fl->buf + fl->cursor, len - fl->cursor + 1);
	memcpy(fl->buf + fl->cursor, enc, n);
	fl->cursor += n;
	return APP_REDRAW;
}

static int form_key(struct app *app, int key)
{
	struct app_form *f = &app->form;
	size_t bad = f->focus;
	int flags;

	if (!f->n) {
		if (key == AK_ESC)
			modal_pop(app);
		return APP_REDRAW;
	}
	switch (key) {
	case AK_TAB:
	case AK_DOWN:
		f->focus = (f->focus + 1) % f->n;
		return APP_REDRAW;
	case AK_BTAB:
	case AK_UP:
		f->focus = (f->focus + f->n - 1) % f->n;
		return APP_REDRAW;
	case AK_ESC:
		modal_pop(app);
		return APP_REDRAW;
	case AK_ENTER:
		f->error[0] = '\0';
		if (f->validate && !f->validate(f, f->error, sizeof(f->error), &bad)) {
			if (!f->error[0])
				say(app, _("the form is not complete"));
			if (bad < f->n)
				f->focus = bad;
			return APP_REDRAW;
		}
		/* The form stays: the loop closes it, or puts what it found wrong under it. */
		app->req.form = f->id;
		app->req.what = APP_REQ_FORM;
		return APP_REDRAW | APP_REQUEST;
	default:
		flags = field_key(&f->fields[f->focus], key);
		/* What validation said is about the text before the change. */
		if (flags)
			f->error[0] = '\0';
		return flags;
	}
}

static bool validate_save(const struct app_form *f, char *err, size_t len, size_t *field)
{
	if (f->n && !f->fields[0].buf[0])
		return form_error(err, len, field, 0, _("a file name is needed"));
	return true;
}

static int client_key(struct app *app, int key)
{
	struct app_client *cl = &app->client;
	char file[APP_FIELD_MAX];

	switch (key) {
	case AK_UP:
	case 'k':
		if (cl->top)
			cl->top--;
		break;
	case AK_DOWN:
	case 'j':
		if (cl->more)
			cl->top++;
		break;
	case AK_HOME:
	case 'g':
		cl->top = 0;
		break;
	case 't':
		cl->text_only = !cl->text_only;
		cl->top = 0;
		break;
	case 's':
		/* A name a shell takes as it is: the peer's, with what a path would split turned into '-'. */
		snprintf(file, sizeof(file), "%s.conf", cl->name[0] ? cl->name : "client");
		for (char *c = file; *c; ++c)
			if (*c == '/' || *c == ' ')
				*c = '-';
		app_form_open(app, _("Save the client config"), APP_FORM_SAVE_CLIENT, validate_save);
		field_hint(app, app_form_add(app, _("File"), 0, file), _("a new file; mode 0600"));
		break;
	case AK_ESC:
	case 'q':
		if (!cl->saved[0] && cl->text && strstr(cl->text, "\nPrivateKey = "))
			say(app, _("client config closed: its private key is kept nowhere"));
		modal_pop(app);
		break;
	default:
		return 0;
	}
	return APP_REDRAW;
}

static int help_key(struct app *app, int key)
{
	int64_t top = app->help_top, page = app->help_page > 1 ? app->help_page - 1 : 1;

	switch (key) {
	case AK_UP:
	case 'k':
		top--;
		break;
	case AK_DOWN:
	case 'j':
		top++;
		break;
	case AK_PGUP:
		top -= page;
		break;
	case AK_PGDN:
		top += page;
		break;
	case AK_HOME:
	case 'g':
		top = 0;
		break;
	case AK_END:
	case 'G':
		top = INT32_MAX;	/* the view stops at the last page */
		break;
	default:
		/* Any other key but quit goes back, as in htop. */
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	app->help_top = top < 0 ? 0 : (uint32_t)top;
	return APP_REDRAW;
}

int app_key(struct app *app, int key)
{
	app->req.what = APP_REQ_NONE;
	switch (app_modal_top(app)) {
	case MODAL_PAGER:
		app->message[0] = '\0';
		return pager_key(app, key);
	case MODAL_CONFIRM:
		app->message[0] = '\0';
		return confirm_key(app, key);
	case MODAL_FORM:
		app->message[0] = '\0';
		return form_key(app, key);
	case MODAL_CLIENT:
		app->message[0] = '\0';
		return client_key(app, key);
	case MODAL_NONE:
	default:
		break;
	}
	if (app->filter_editing)
		return filter_key(app, key);
	app->message[0] = '\0';
	if (app->view == VIEW_HELP && key != 'q' && key != AK_F10)
		return help_key(app, key);
	for (size_t i = 0; i < app_n_bindings; ++i)
		for (size_t k = 0; k < 3 && app_bindings[i].keys[k]; ++k)
			if (app_bindings[i].keys[k] == key)
				return app_bindings[i].action(app, key);
	return 0;
}
