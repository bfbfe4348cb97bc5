// SPDX-License-Identifier: GPL-2.0-or-later
/* What the console remembers of every peer across snapshots: tracks, rates, history, flows. */
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

static struct peer_track *track_get(struct dev_state *d, const uint8_t key[WG_KEY_LEN], bool *created,
				     uint32_t *near)
{
	struct peer_track *t;
	int64_t i;

	*created = false;
	/* Where the last peer's track was, one on: the next peer of a read in the same order. */
	if (*near < d->n_tracks && wg_key_equal(d->tracks[*near].key, key))
		return &d->tracks[(*near)++];
	if ((i = keyidx_find_near(&d->index, d->tracks, d->n_tracks, key, near)) >= 0)
		return &d->tracks[i];
	if (d->n_tracks == d->cap_tracks) {
		uint32_t cap = d->cap_tracks ? d->cap_tracks + d->cap_tracks / 2 : 16;
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
	d->tracks_gen++;
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
	} else if (t->n_endpoints == t->cap_endpoints) {
		/* One for a peer that stays where it is, which most do; room for all at its first move. */
		uint16_t cap = t->cap_endpoints ? APP_ENDPOINTS : 1;
		struct endpoint_change *v = realloc(t->endpoints, cap * sizeof(*v));

		if (!v)
			return;
		t->endpoints = v;
		t->cap_endpoints = cap;
	}
	t->endpoints[t->n_endpoints].endpoint = *ep;
	t->endpoints[t->n_endpoints].when = now;
	t->n_endpoints++;
}

static void track_history(struct peer_track *t)
{
	float v;

	/* "No rate yet" is not zero traffic: a gap is better than a false dip. */
	if (t->rate.status == RATE_INIT)
		return;
	v = t->rate.moved ? (float)(t->rate.rx_per_sec + t->rate.tx_per_sec) : 0;
	if (t->rate.moved && !t->hist)
		t->hist = calloc(APP_HISTORY, sizeof(*t->hist));	/* without memory, zeros it is */
	if (t->hist)
		t->hist[(t->hist_head + t->hist_len) % APP_HISTORY] = v;
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
			app_track_free(t);
			continue;
		}
		if (o != i)
			d->tracks[o] = *t;
		o++;
	}
	if (o == d->n_tracks)
		return 0;
	d->n_tracks = o;
	d->tracks_gen++;
	return keyidx_rebuild(&d->index, d->tracks, o);
}

static int cmp_flow(const void *va, const void *vb)
{
	const struct app_flow *a = va, *b = vb;
	int r = memcmp(a->from, b->from, WG_KEY_LEN);

	return r ? r : memcmp(a->to, b->to, WG_KEY_LEN);
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* When counters were read: the reading's own time, or the snapshot's where none was given. */
static const struct timespec *read_at(const struct timespec *at, const struct timespec *mono)
{
	return at->tv_sec || at->tv_nsec ? at : mono;
}

/*
 * The device's flows by key, with rates from the same flows of the previous reading of the
 * counting sets: dt is the time between the two, 0 when this snapshot carries the same reading
 * as the last one (the rates found then stay).
 */
static int flows_update(struct dev_state *d, const struct wg_device *dev, double dt, bool same)
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
		for (uint32_t i = 0; i < n && same; ++i) {
			const struct app_flow *old = d->n_flows ?
				bsearch(&flows[i], d->flows, d->n_flows, sizeof(*flows), cmp_flow) : NULL;

			if (old)
				flows[i].rate = old->rate;
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
	/* When both readings of the counting sets were taken: the same for every peer. */
	const struct timespec *fwd_a = NULL, *fwd_b = NULL;
	const struct timespec *prev_mono = app->prev ? &app->prev->mono : NULL;
	bool recreated = rates_recreated(prev_dev, dev);
	bool timed = prev_mono && !recreated && rate_interval_ok(prev_mono, &snap->mono);
	int ret = 0;

	/*
	 * Room for every peer at once: growing a track at a time copies megabytes at 10,000. And
	 * an eighth more, for the peers an operator adds: the first of them grew a full array to
	 * twice its size, a copy of it and the old one left in the heap (1.5 MB at 10,000).
	 */
	if (!d->n_tracks && d->cap_tracks < dev->n_peers) {
		uint32_t cap = dev->n_peers + dev->n_peers / 8 + 16;
		struct peer_track *tracks = realloc(d->tracks, (size_t)cap * sizeof(*tracks));

		if (!tracks)
			return -ENOMEM;
		d->tracks = tracks;
		d->cap_tracks = cap;
	}
	d->ifindex = dev->ifindex;
	d->keys_changed = false;
	d->online = 0;
	d->any6 = false;
	d->rx_rate = d->tx_rate = 0;
	d->rates_known = false;
	d->counting = dev->has_flows;
	d->ledger = dev->history && !dev->history->status;
	d->fwd_rate = 0;
	if (prev_dev && app->prev) {
		const struct timespec *a = read_at(&prev_dev->flows_at, &app->prev->mono);
		const struct timespec *b = read_at(&dev->flows_at, &snap->mono);

		if (prev_dev->has_flows && dev->has_flows) {
			fwd_a = a;
			fwd_b = b;
		}
		ret = flows_update(d, dev, timespec_diff(a, b), same_time(a, b));
	} else {
		ret = flows_update(d, dev, 0, false);
	}
	if (ret < 0)
		return ret;
	for (uint32_t i = 0, near = 0, near_old = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		/* Once a peer: its rate and its forwarded rate both come from it. */
		const struct wg_peer *old = NULL;
		struct rate kept, rate;
		bool created;
		struct peer_track *t = track_get(d, p->public_key, &created, &near);

		if (!t)
			return -ENOMEM;
		if (prev_dev && near_old < prev_dev->n_peers && wg_key_equal(prev_dev->peers[near_old].public_key, p->public_key))
			old = &prev_dev->peers[near_old++];
		else if (prev_dev)
			old = wg_device_find_peer_near(prev_dev, p->public_key, &near_old);
		if (created) {
			t->first_tick = prev_dev ? app->tick : 0;
			d->keys_changed = true;
		}
		if (!t->present && !created) {
			/* Back before its mark ran out: it is the same peer again. */
			free(t->gone_name);
			t->gone_name = NULL;
			d->keys_changed = true;
			d->tracks_gen++;
		}
		t->present = true;
		t->peer = i;
		/* The header's figures, counted here where every peer passes anyway. */
		if (peer_state(p->last_handshake_sec, snap->wall.tv_sec) == PEER_ONLINE)
			d->online++;
		for (uint32_t a = 0; a < p->n_allowedips && !d->any6; ++a)
			d->any6 = p->allowedips[a].family == AF_INET6;
		t->seen_tick = app->tick;
		/* An idle peer's, as rate_for_peer would give it, without a call per peer. */
		if (old && timed && p->rx_bytes == old->rx_bytes && p->tx_bytes == old->tx_bytes)
			rate = (struct rate){ .status = RATE_OK };
		else
			rate_for_peer(&rate, old, prev_mono, p, &snap->mono, recreated);
		t->rate = rate;
		kept = t->fwd;
		t->fwd = (struct rate){ .status = RATE_INIT };
		if (fwd_a && old) {
			/* Between two readings of the counting sets a snapshot carries the last one. */
			if (same_time(fwd_a, fwd_b) && !created)
				t->fwd = kept;
			else
				rate_compute(&t->fwd, old->forwarded.from_bytes, old->forwarded.to_bytes, fwd_a,
					     p->forwarded.from_bytes, p->forwarded.to_bytes, fwd_b);
		}
		if (t->fwd.moved)
			d->fwd_rate += t->fwd.rx_per_sec + t->fwd.tx_per_sec;
		track_history(t);
		track_endpoint(t, &p->endpoint, snap->wall.tv_sec);
		if (rate.moved) {
			d->rx_rate += rate.rx_per_sec;
			d->tx_rate += rate.tx_per_sec;
		}
		if (rate.status == RATE_OK)
			d->rates_known = true;
	}
	for (uint32_t i = 0; i < d->n_tracks; ++i) {
		struct peer_track *t = &d->tracks[i];

		if (t->present && t->seen_tick != app->tick) {
			const struct wg_peer *old = prev_dev ? wg_device_find_peer(prev_dev, t->key) : NULL;

			t->present = false;
			t->gone_tick = app->tick;
			d->keys_changed = true;
			d->tracks_gen++;
			t->rate = (struct rate){ .status = RATE_INIT };
			if (old && old->name && !t->gone_name)
				t->gone_name = strdup(old->name);
		}
	}
	return tracks_compact(app, d);
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
		app_dev_state_free(&app->devs[i]);
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
	/*
	 * What the rates, flows and gone peers needed of the last snapshot is in the tracks now:
	 * between samples the console holds one snapshot, not two (a third of its memory at
	 * 10,000 peers, with the one the sampler is taking).
	 */
	if (app->hand_back && !app->spent)
		app->spent = app->prev;
	else
		wg_snapshot_free(app->prev);
	app->prev = NULL;
	app_drift_take(app);
	return app_rows_refresh(app);
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

void app_drift_take(struct app *app)
{
	const struct wg_device *dev = app_device(app);

	/* Drift the sampler found with the snapshot, for the interface shown. */
	if (dev && dev->has_drift &&
	    app_set_drift(app, dev->name, dev->drift, dev->n_drift, dev->drift_error) < 0)
		snprintf(app->message, sizeof(app->message), "%s", strerror(ENOMEM));
}

bool app_track_is_new(const struct app *app, const struct peer_track *t)
{
	return t->present && t->first_tick && app->tick - t->first_tick < APP_MARK_TICKS;
}

/* Case-insensitive substring search; the needle is short. */

uint32_t app_history(const struct peer_track *t, float *out, uint32_t n)
{
	uint32_t have = t->hist_len < n ? t->hist_len : n;
	uint32_t start = t->hist_len - have;

	for (uint32_t i = 0; i < have; ++i) {
		uint32_t slot = (t->hist_head + start + i) % APP_HISTORY;

		out[i] = t->hist ? t->hist[slot] : 0;
	}
	return have;
}
