// SPDX-License-Identifier: GPL-2.0-or-later
/* The console's state and what keys do to it. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "format.h"
#include "i18n.h"
#include "key.h"

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

void app_free(struct app *app)
{
	for (size_t i = 0; i < app->n_devs; ++i)
		dev_state_free(&app->devs[i]);
	free(app->devs);
	free(app->rows);
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
		if (created)
			t->first_tick = prev_dev ? app->tick : 0;
		if (!t->present && !created) {
			/* Back before its mark ran out: it is the same peer again. */
			free(t->gone_name);
			t->gone_name = NULL;
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
		qsort_r(items, n, sizeof(*items), row_cmp, &ctx);
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

static int key_quit(struct app *app, int key)
{
	return APP_QUIT;
}

static int key_help(struct app *app, int key)
{
	app->view = app->view == VIEW_HELP ? VIEW_MAIN : VIEW_HELP;
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
};

const size_t app_n_bindings = sizeof(app_bindings) / sizeof(app_bindings[0]);

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
		size_t n;

		if (key < 0x20 || key == 0x7f || key > 0x10ffff || (key >= 0xd800 && key < 0xe000))
			return 0;
		if (key < 0x80) {
			enc[0] = (char)key;
			n = 1;
		} else if (key < 0x800) {
			enc[0] = (char)(0xc0 | key >> 6);
			enc[1] = (char)(0x80 | (key & 0x3f));
			n = 2;
		} else if (key < 0x10000) {
			enc[0] = (char)(0xe0 | key >> 12);
			enc[1] = (char)(0x80 | (key >> 6 & 0x3f));
			enc[2] = (char)(0x80 | (key & 0x3f));
			n = 3;
		} else {
			enc[0] = (char)(0xf0 | key >> 18);
			enc[1] = (char)(0x80 | (key >> 12 & 0x3f));
			enc[2] = (char)(0x80 | (key >> 6 & 0x3f));
			enc[3] = (char)(0x80 | (key & 0x3f));
			n = 4;
		}
		if (len + n >= sizeof(app->filter))
			return 0;
		memcpy(app->filter + len, enc, n);
		app->filter[len + n] = '\0';
		break;
	}
	}
	return app_rows_refresh(app) < 0 ? APP_QUIT : APP_REDRAW;
}

int app_key(struct app *app, int key)
{
	if (app->filter_editing)
		return filter_key(app, key);
	app->message[0] = '\0';
	/* On the help screen any key but quit goes back, as in htop. */
	if (app->view == VIEW_HELP && key != 'q' && key != AK_F10) {
		app->view = VIEW_MAIN;
		return APP_REDRAW;
	}
	for (size_t i = 0; i < app_n_bindings; ++i)
		for (size_t k = 0; k < 3 && app_bindings[i].keys[k]; ++k)
			if (app_bindings[i].keys[k] == key)
				return app_bindings[i].action(app, key);
	return 0;
}
