// SPDX-License-Identifier: GPL-2.0-or-later
/* The usage ledger: deltas with resets, UTC periods, and what `usage` prints. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "ledger.h"
#include "report.h"

void ledger_counts_of(const struct wg_device *dev, const struct wg_peer *p, struct ledger_counts *out)
{
	memset(out, 0, sizeof(*out));
	out->rx = p->rx_bytes;
	out->tx = p->tx_bytes;
	out->has_fwd = dev->has_flows;
	if (out->has_fwd) {
		out->fwd[LEDGER_FROM_PACKETS] = p->forwarded.from_packets;
		out->fwd[LEDGER_FROM_BYTES] = p->forwarded.from_bytes;
		out->fwd[LEDGER_TO_PACKETS] = p->forwarded.to_packets;
		out->fwd[LEDGER_TO_BYTES] = p->forwarded.to_bytes;
	}
}

static uint64_t since(uint64_t last, uint64_t now)
{
	return now >= last ? now - last : now;
}

void ledger_delta(const struct ledger_counts *last, const struct ledger_counts *now, struct ledger_counts *delta)
{
	memset(delta, 0, sizeof(*delta));
	delta->rx = since(last->rx, now->rx);
	delta->tx = since(last->tx, now->tx);
	/* Forwarded counters newly known count from when they were first seen, not from zero. */
	if (last->has_fwd && now->has_fwd) {
		delta->has_fwd = true;
		for (int i = 0; i < N_LEDGER_FWD; ++i)
			delta->fwd[i] = since(last->fwd[i], now->fwd[i]);
	}
}

bool ledger_zero(const struct ledger_counts *c)
{
	if (c->rx || c->tx)
		return false;
	for (int i = 0; c->has_fwd && i < N_LEDGER_FWD; ++i)
		if (c->fwd[i])
			return false;
	return true;
}

bool ledger_equal(const struct ledger_counts *a, const struct ledger_counts *b)
{
	if (a->rx != b->rx || a->tx != b->tx || a->has_fwd != b->has_fwd)
		return false;
	for (int i = 0; a->has_fwd && i < N_LEDGER_FWD; ++i)
		if (a->fwd[i] != b->fwd[i])
			return false;
	return true;
}

void ledger_add(struct ledger_counts *sum, const struct ledger_counts *c)
{
	sum->rx += c->rx;
	sum->tx += c->tx;
	if (c->has_fwd) {
		sum->has_fwd = true;
		for (int i = 0; i < N_LEDGER_FWD; ++i)
			sum->fwd[i] += c->fwd[i];
	}
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), as Howard Hinnant's days_from_civil. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t ledger_period_start(enum ledger_grain g, int64_t t)
{
	int64_t day = (t >= 0 ? t : t - 86399) / 86400;
	struct tm tm;
	time_t tt;

	switch (g) {
	case LEDGER_HOUR:
		return (t >= 0 ? t : t - 3599) / 3600 * 3600;
	case LEDGER_DAY:
		return day * 86400;
	default:
		tt = (time_t)t;
		if (!gmtime_r(&tt, &tm))
			return day * 86400;
		return days_from_civil(tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, 1) * 86400;
	}
}

const char *ledger_grain_name(enum ledger_grain g)
{
	return g == LEDGER_HOUR ? "hourly" : g == LEDGER_DAY ? "daily" : "monthly";
}

int ledger_peer_add_period(struct ledger_peer *p, int64_t start, const struct ledger_counts *c)
{
	if (p->n_periods == p->cap_periods) {
		size_t cap = p->cap_periods ? p->cap_periods * 2 : 8;
		struct ledger_period *v = realloc(p->periods, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->periods = v;
		p->cap_periods = cap;
	}
	p->periods[p->n_periods].start = start;
	p->periods[p->n_periods++].c = *c;
	return 0;
}

void ledger_peers_free(struct ledger_peer *v, size_t n)
{
	for (size_t i = 0; i < n; ++i)
		free(v[i].periods);
	free(v);
}

static void put_counts(FILE *out, const struct ledger_counts *c)
{
	fprintf(out, "\"rx_bytes\":%llu,\"tx_bytes\":%llu,\"forwarded\":", (unsigned long long)c->rx,
		(unsigned long long)c->tx);
	if (!c->has_fwd) {
		fputs("null", out);
		return;
	}
	fprintf(out, "{\"from_packets\":%llu,\"from_bytes\":%llu,\"to_packets\":%llu,\"to_bytes\":%llu}",
		(unsigned long long)c->fwd[LEDGER_FROM_PACKETS], (unsigned long long)c->fwd[LEDGER_FROM_BYTES],
		(unsigned long long)c->fwd[LEDGER_TO_PACKETS], (unsigned long long)c->fwd[LEDGER_TO_BYTES]);
}

int ledger_json(FILE *out, const struct ledger_peer *v, size_t n)
{
	int ret;

	fputs("{\"peers\":[", out);
	for (size_t i = 0; i < n; ++i) {
		char b64[WG_KEY_B64_LEN];

		key_to_base64(b64, v[i].key);
		fprintf(out, "%s{\"public_key\":\"%s\",\"name\":", i ? "," : "", b64);
		if ((ret = report_put_string(out, v[i].name[0] ? v[i].name : NULL)) < 0)
			return ret;
		fputs(",\"interface\":", out);
		if ((ret = report_put_string(out, v[i].iface[0] ? v[i].iface : NULL)) < 0)
			return ret;
		fputc(',', out);
		put_counts(out, &v[i].total);
		fputs(",\"periods\":[", out);
		for (size_t k = 0; k < v[i].n_periods; ++k) {
			fprintf(out, "%s{\"start\":%lld,", k ? "," : "", (long long)v[i].periods[k].start);
			put_counts(out, &v[i].periods[k].c);
			fputc('}', out);
		}
		fputs("]}", out);
	}
	fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}

static const char *when(enum ledger_grain g, int64_t start, char *buf, size_t len)
{
	time_t t = (time_t)start;
	struct tm tm;

	if (!gmtime_r(&t, &tm))
		return "?";
	strftime(buf, len, g == LEDGER_HOUR ? "%Y-%m-%d %H:00" : g == LEDGER_DAY ? "%Y-%m-%d" : "%Y-%m", &tm);
	return buf;
}

int ledger_text(FILE *out, const struct ledger_peer *v, size_t n, enum ledger_grain g)
{
	for (size_t i = 0; i < n; ++i) {
		char b64[WG_KEY_B64_LEN], a[FORMAT_BUF], b[FORMAT_BUF], d[32];

		key_to_base64(b64, v[i].key);
		fprintf(out, "%s%s  %s  %s\n", i ? "\n" : "", v[i].name[0] ? v[i].name : "-", b64, v[i].iface);
		fprintf(out, _("  total      rx %s  tx %s"), format_bytes(a, sizeof(a), v[i].total.rx),
			format_bytes(b, sizeof(b), v[i].total.tx));
		if (v[i].total.has_fwd)
			fprintf(out, _("  forwarded from %s, to %s"), format_bytes(a, sizeof(a), v[i].total.fwd[LEDGER_FROM_BYTES]),
				format_bytes(b, sizeof(b), v[i].total.fwd[LEDGER_TO_BYTES]));
		fputc('\n', out);
		for (size_t k = 0; k < v[i].n_periods; ++k) {
			const struct ledger_period *p = &v[i].periods[k];

			fprintf(out, "  %-16s rx %s  tx %s", when(g, p->start, d, sizeof(d)), format_bytes(a, sizeof(a), p->c.rx),
				format_bytes(b, sizeof(b), p->c.tx));
			if (p->c.has_fwd)
				fprintf(out, _("  forwarded from %s, to %s"), format_bytes(a, sizeof(a), p->c.fwd[LEDGER_FROM_BYTES]),
					format_bytes(b, sizeof(b), p->c.fwd[LEDGER_TO_BYTES]));
			fputc('\n', out);
		}
	}
	return ferror(out) ? -EIO : 0;
}
