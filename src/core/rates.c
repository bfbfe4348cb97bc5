// SPDX-License-Identifier: GPL-2.0-or-later
/* What two snapshots say together: transfer rates, handshake age, peer state. */
#include <stdbool.h>
#include "rates.h"

enum peer_state peer_state(int64_t last_handshake_sec, int64_t now_sec)
{
	if (last_handshake_sec <= 0)
		return PEER_NEVER;
	return peer_handshake_age(last_handshake_sec, now_sec) <= PEER_ONLINE_SECONDS ?
	       PEER_ONLINE : PEER_STALE;
}

int64_t peer_handshake_age(int64_t last_handshake_sec, int64_t now_sec)
{
	if (last_handshake_sec <= 0)
		return -1;
	/* A handshake "in the future" is a clock step on this host: it happened just now. */
	if (now_sec <= last_handshake_sec)
		return 0;
	return now_sec - last_handshake_sec;
}

const char *peer_state_name(enum peer_state state)
{
	switch (state) {
	case PEER_ONLINE:
		return "online";
	case PEER_STALE:
		return "stale";
	case PEER_NEVER:
	default:
		return "never";
	}
}

double timespec_diff(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

int64_t pace_interval_ms(double cost_ms, int sharing)
{
	double ms = cost_ms * (sharing > 1 ? sharing : 1) / PACE_SHARE;

	return ms > PACE_MAX_MS ? PACE_MAX_MS : ms > 0 ? (int64_t)ms : 0;
}

int64_t sample_hold_ms(double now, double last_key, double arrived, double cost_ms)
{
	double until = last_key + HOLD_AFTER_KEY;

	/* Taken in at once, it would not keep a key waiting that anyone notices. */
	if (cost_ms < HOLD_COST_MS)
		return 0;

	if (until > arrived + HOLD_MAX)
		until = arrived + HOLD_MAX;
	/* Rounded up: woken a millisecond early, the loop would poll again for nothing. */
	return until > now ? (int64_t)((until - now) * 1000) + 1 : 0;
}

bool rate_interval_ok(const struct timespec *prev_mono, const struct timespec *mono)
{
	/*
	 * In integers: this runs for every peer of every sample. Two samples within a millisecond
	 * say nothing about a rate.
	 */
	return (int64_t)(mono->tv_sec - prev_mono->tv_sec) * 1000000000 + (mono->tv_nsec - prev_mono->tv_nsec) >=
	       1000000;
}

void rate_compute(struct rate *out,
		  uint64_t prev_rx, uint64_t prev_tx, const struct timespec *prev_mono,
		  uint64_t rx, uint64_t tx, const struct timespec *mono)
{
	double dt;

	out->rx_per_sec = out->tx_per_sec = 0;
	out->moved = false;
	if (!prev_mono || !rate_interval_ok(prev_mono, mono)) {
		out->status = RATE_INIT;
		return;
	}
	if (rx < prev_rx || tx < prev_tx) {
		out->status = RATE_RESET;
		return;
	}
	out->status = RATE_OK;
	/* A counter that did not move (most of a big hub's) needs no division. */
	if (rx == prev_rx && tx == prev_tx)
		return;
	out->moved = true;
	dt = timespec_diff(prev_mono, mono);
	out->rx_per_sec = (double)(rx - prev_rx) / dt;
	out->tx_per_sec = (double)(tx - prev_tx) / dt;
}

bool rates_recreated(const struct wg_device *prev, const struct wg_device *cur)
{
	/* An interface deleted and created again under the same name starts its counters anew. */
	return prev && prev->ifindex && cur->ifindex && prev->ifindex != cur->ifindex;
}

void rate_for_peer(struct rate *out, const struct wg_peer *old, const struct timespec *prev_mono,
		   const struct wg_peer *p, const struct timespec *mono, bool recreated)
{
	if (old && recreated)
		*out = (struct rate){ .status = RATE_RESET };
	else if (!old)
		rate_compute(out, 0, 0, NULL, p->rx_bytes, p->tx_bytes, mono);
	else
		rate_compute(out, old->rx_bytes, old->tx_bytes, prev_mono, p->rx_bytes, p->tx_bytes, mono);
}

void rates_for_device(struct rate *out,
		      const struct wg_device *prev, const struct timespec *prev_mono,
		      const struct wg_device *cur, const struct timespec *mono)
{
	bool recreated = rates_recreated(prev, cur);
	uint32_t near = 0;

	for (uint32_t i = 0; i < cur->n_peers; ++i) {
		const struct wg_peer *p = &cur->peers[i];
		const struct wg_peer *old = prev ? wg_device_find_peer_near(prev, p->public_key, &near) : NULL;

		rate_for_peer(&out[i], old, prev_mono, p, mono, recreated);
	}
}
