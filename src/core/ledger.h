/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The usage ledger, counted as vnstat counts: deltas between samples, a counter that went down
 * taken as reset (WireGuard's are 64-bit and never wrap: the peer was removed and added again,
 * or the interface made anew), so its new value counts from zero. Periods are UTC hours, days
 * and months. No I/O.
 */
#ifndef WGSTAR_LEDGER_H
#define WGSTAR_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

enum ledger_fwd { LEDGER_FROM_PACKETS, LEDGER_FROM_BYTES, LEDGER_TO_PACKETS, LEDGER_TO_BYTES, N_LEDGER_FWD };

struct ledger_counts {
	uint64_t rx, tx;
	bool has_fwd;			/* forwarded counters known (the counting table is installed) */
	uint64_t fwd[N_LEDGER_FWD];
};

enum ledger_grain { LEDGER_HOUR, LEDGER_DAY, LEDGER_MONTH, N_LEDGER_GRAINS };

/* Keep hourly rows this many days, daily rows this many; monthly ones for ever. */
#define LEDGER_KEEP_HOURS_DAYS 90
#define LEDGER_KEEP_DAYS_DAYS 730

void ledger_counts_of(const struct wg_device *dev, const struct wg_peer *p, struct ledger_counts *out);

/*
 * What was used between last and now: now - last per counter, or now where it went down
 * (reset). Forwarded counters only where both know them.
 */
void ledger_delta(const struct ledger_counts *last, const struct ledger_counts *now, struct ledger_counts *delta);
bool ledger_zero(const struct ledger_counts *c);
bool ledger_equal(const struct ledger_counts *a, const struct ledger_counts *b);
void ledger_add(struct ledger_counts *sum, const struct ledger_counts *c);

/* The start of the UTC hour, day or month t falls in. */
int64_t ledger_period_start(enum ledger_grain g, int64_t t);
const char *ledger_grain_name(enum ledger_grain g);

/* What `usage` prints for one peer: its totals and the chosen periods, oldest first. */
struct ledger_period {
	int64_t start;
	struct ledger_counts c;
};

struct ledger_peer {
	uint8_t key[WG_KEY_LEN];
	char name[64];
	char iface[IFNAMSIZ];
	struct ledger_counts total;
	struct ledger_period *periods;
	size_t n_periods, cap_periods;
};

int ledger_peer_add_period(struct ledger_peer *p, int64_t start, const struct ledger_counts *c);
void ledger_peers_free(struct ledger_peer *v, size_t n);

/* {"peers": [...]} as the man page documents it. */
int ledger_json(FILE *out, const struct ledger_peer *v, size_t n);
/* A table for people: per peer its totals, then its periods (dates in UTC). */
int ledger_text(FILE *out, const struct ledger_peer *v, size_t n, enum ledger_grain g);

#endif
