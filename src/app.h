/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The console's state: snapshots and what they mean over time (rates, history, new and
 * vanished peers), and what the operator chose to see (interface, sort, filter, selection,
 * view). Keys change it through one table that also writes the help screen. No I/O.
 */
#ifndef WGSTAR_APP_H
#define WGSTAR_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "keyidx.h"
#include "model.h"
#include "rates.h"
#include "sysctl.h"

#define APP_HISTORY 120		/* rate samples kept per peer: two minutes at the default interval */
#define APP_MARK_TICKS 5	/* refreshes a new or vanished peer stays marked */
#define APP_ENDPOINTS 8		/* endpoint changes remembered per peer */
#define APP_FILTER_MAX 64
#define APP_TEXT_MAX 160

/* Keys beyond Unicode; a printable key is its own code point. */
enum app_key {
	AK_UP = 0x110000, AK_DOWN, AK_PGUP, AK_PGDN, AK_HOME, AK_END,
	AK_ENTER, AK_ESC, AK_TAB, AK_BACKSPACE, AK_F1, AK_F10,
};

/* What a key handler asks of the loop; handlers never draw. */
enum app_flags {
	APP_REDRAW = 1 << 0,
	APP_QUIT = 1 << 1,
	APP_RESAMPLE = 1 << 2,	/* the interface or interval changed: sample now */
};

enum app_view {
	VIEW_MAIN = 0,
	VIEW_DETAIL,
	VIEW_HELP,
};

enum app_column {
	APP_COL_NAME = 0,
	APP_COL_ALLOWED_IPS,
	APP_COL_ENDPOINT,
	APP_COL_HANDSHAKE,
	APP_COL_STATE,
	APP_COL_RX_RATE,
	APP_COL_TX_RATE,
	APP_COL_RX,
	APP_COL_TX,
	APP_COL_FWD_RATE,		/* shown while wgstar's counting table exists */
	N_APP_COLUMNS,
};

struct endpoint_change {
	union wg_endpoint endpoint;
	int64_t when;			/* wall seconds it was first seen */
};

/* What the console remembers of one peer across snapshots, matched by public key. */
struct peer_track {
	uint8_t key[WG_KEY_LEN];
	bool present;			/* in the latest snapshot */
	uint64_t seen_tick;		/* the latest snapshot that had it */
	uint64_t first_tick;		/* when it appeared; 0 when it was there from the start */
	uint64_t gone_tick;		/* when it vanished, while present is false */
	char *gone_name;		/* its name, kept for the "gone" row */
	struct rate rate;
	struct rate fwd;		/* forwarded through the hub: rx = from the peer, tx = to it */
	float rx_hist[APP_HISTORY];	/* bytes/s, oldest first from hist_head */
	float tx_hist[APP_HISTORY];
	uint32_t hist_len;
	uint32_t hist_head;
	struct endpoint_change endpoints[APP_ENDPOINTS];	/* oldest first */
	uint32_t n_endpoints;
};

/* Traffic from one peer to another through the hub, as the counting table saw it. */
struct app_flow {
	uint8_t from[WG_KEY_LEN];
	uint8_t to[WG_KEY_LEN];
	uint64_t bytes;
	double rate;			/* bytes/s since the previous sample; 0 when unknown */
};

struct dev_state {
	char name[IFNAMSIZ];
	uint32_t ifindex;
	struct peer_track *tracks;
	uint32_t n_tracks;
	uint32_t cap_tracks;
	struct keyidx index;		/* tracks by key */
	double rx_rate, tx_rate;	/* sums over the peers */
	bool rates_known;
	bool counting;			/* wgstar's counting table exists */
	double fwd_rate;		/* forwarded bytes/s, from and to peers, summed */
	struct app_flow *flows;		/* sorted by (from, to) */
	uint32_t n_flows;
	bool selected_valid;
	uint8_t selected[WG_KEY_LEN];	/* the selection follows the peer, not the row */
	uint32_t selected_row;		/* where it was: the neighbour takes over when it goes */
	uint32_t scroll;		/* first table row shown */
};

/* One table row: a present peer, or a vanished one still marked. */
struct app_row {
	int32_t peer;			/* index into the device's peers, -1 when gone */
	uint32_t track;			/* index into the dev_state's tracks */
};

struct app {
	struct wg_snapshot *snap;	/* owned; NULL before the first sample */
	struct wg_snapshot *prev;	/* owned */
	uint64_t tick;			/* snapshots taken in */
	struct dev_state *devs;
	size_t n_devs;
	size_t cur;			/* the interface shown: index into devs */

	struct app_row *rows;		/* filtered and sorted, for the current interface */
	uint32_t n_rows;
	uint32_t cap_rows;
	int page_rows;			/* table rows the last render showed (for PgUp/PgDn) */

	enum app_column sort;
	bool sort_reverse;
	char filter[APP_FILTER_MAX];
	bool filter_editing;
	enum app_view view;
	bool paused;
	double interval;		/* seconds between samples */
	bool read_only;
	bool color;

	struct fwd_state fwd;
	char hostname[64];
	char clock[16];			/* wall clock to show, formatted by the caller */
	char error[APP_TEXT_MAX];	/* why the latest sample failed; "" when it did not */
	char message[APP_TEXT_MAX];	/* a passing note in the status line */
};

struct app_binding {
	int keys[3];			/* 0-terminated when shorter */
	const char *label;		/* as shown: "q F10" */
	const char *help;		/* N_() text */
	int (*action)(struct app *app, int key);
};

extern const struct app_binding app_bindings[];
extern const size_t app_n_bindings;

void app_init(struct app *app, double interval);
void app_free(struct app *app);

/* Takes snap (owned from now on): tracks, rates, history, marks and rows follow. 0 or -ENOMEM. */
int app_update(struct app *app, struct wg_snapshot *snap);
/* A failed sample: the last good snapshot stays on screen, with msg in the header. */
void app_set_error(struct app *app, const char *msg);

/* Handles one key; returns app_flags. Keys go to the filter while it is being edited. */
int app_key(struct app *app, int key);

/* The interface shown and its state; NULL when there is none. */
const struct wg_device *app_device(const struct app *app);
struct dev_state *app_dev_state(const struct app *app);
/* The row of the selected peer, or -1. */
int64_t app_selected_row(const struct app *app);
/* Rebuilds rows after a change of filter, sort or interface. */
int app_rows_refresh(struct app *app);

/* Helpers for views. */
const char *app_column_title(enum app_column col);	/* translated */
/* The last n history samples of rx + tx, oldest first, into out; returns how many. */
uint32_t app_history(const struct peer_track *t, float *out, uint32_t n);
/* Name of a row's peer, or NULL when unnamed (views show a short key). */
const char *app_row_name(const struct app *app, const struct app_row *row);
bool app_track_is_new(const struct app *app, const struct peer_track *t);
/* The flows with a rate, busiest first, into out (at most n); returns how many. */
uint32_t app_active_flows(const struct dev_state *d, const struct app_flow **out, uint32_t n);

#endif
