/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What two snapshots say together: transfer rates, handshake age, peer state. */
#ifndef WGSTAR_RATES_H
#define WGSTAR_RATES_H

#include <stdint.h>
#include <time.h>
#include "model.h"

/* WireGuard's REJECT_AFTER_TIME: past it, a session's keys are no longer used. */
#define PEER_ONLINE_SECONDS 180

enum peer_state {
	PEER_NEVER = 0,		/* no handshake since the interface came up */
	PEER_ONLINE,		/* latest handshake at most PEER_ONLINE_SECONDS old */
	PEER_STALE,		/* older than that */
};

enum rate_status {
	RATE_INIT = 0,		/* first sample: no rate yet */
	RATE_OK,
	RATE_RESET,		/* a counter went backwards (interface or peer recreated) */
};

struct rate {
	enum rate_status status;
	/*
	 * RATE_OK and a counter moved: the rates may be above zero. Most peers of a big hub are
	 * idle; this says so without floating point, which an emulated machine pays dearly for.
	 */
	bool moved;
	double rx_per_sec;	/* bytes per second */
	double tx_per_sec;
};

enum peer_state peer_state(int64_t last_handshake_sec, int64_t now_sec);
/* Seconds since the latest handshake, never negative; -1 when there was none. */
int64_t peer_handshake_age(int64_t last_handshake_sec, int64_t now_sec);
const char *peer_state_name(enum peer_state state);	/* stable, untranslated: "online"... */

/* Seconds from a to b on the same clock; may be negative. */
double timespec_diff(const struct timespec *a, const struct timespec *b);

/*
 * The console's pace for the reads that cost much on a big hub (the counting sets, the policy
 * table's counters): given what one read cost (ms of CPU) and how many kinds of such reads
 * share the budget (1 or 2), how long until the next, so that all of them together cost at
 * most 0.4 % of a core; at most 30 s. A small hub's reads are due every tick.
 */
#define PACE_SHARE 0.004
#define PACE_MAX_MS 30000
int64_t pace_interval_ms(double cost_ms, int sharing);

/*
 * How long the console holds a sample that came at arrived (seconds on the monotonic clock)
 * when the operator's last key was at last_key, and taking the last one in cost cost_ms: 0 to
 * take it in now. One that costs HOLD_COST_MS or more (a big hub on a slow machine) waits
 * while keys come, until they pause for HOLD_AFTER_KEY: the next key does not wait for it,
 * nor do the rows move under the operator. Never longer than HOLD_MAX after it came.
 */
#define HOLD_COST_MS 20
#define HOLD_AFTER_KEY 0.5
#define HOLD_MAX 1.0
int64_t sample_hold_ms(double now, double last_key, double arrived, double cost_ms);

/* Whether two samples taken at prev_mono and mono are far enough apart to give a rate. */
bool rate_interval_ok(const struct timespec *prev_mono, const struct timespec *mono);
void rate_compute(struct rate *out,
		  uint64_t prev_rx, uint64_t prev_tx, const struct timespec *prev_mono,
		  uint64_t rx, uint64_t tx, const struct timespec *mono);

/* Whether cur is another interface than prev under the same name (its counters start anew). */
bool rates_recreated(const struct wg_device *prev, const struct wg_device *cur);
/*
 * One peer's rate: p now, old the same peer in an earlier snapshot taken at prev_mono (NULL
 * when it was not there); recreated from rates_recreated.
 */
void rate_for_peer(struct rate *out, const struct wg_peer *old, const struct timespec *prev_mono,
		   const struct wg_peer *p, const struct timespec *mono, bool recreated);

/*
 * Rates for every peer of cur (out[i] belongs to cur->peers[i]) from the same device in an
 * earlier snapshot; prev may be NULL. Peers are matched by public key, not by position.
 */
void rates_for_device(struct rate *out,
		      const struct wg_device *prev, const struct timespec *prev_mono,
		      const struct wg_device *cur, const struct timespec *mono);

#endif
