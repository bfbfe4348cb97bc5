// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ledger_sim: the recorder's database after DAYS simulated days of PEERS peers, written as the
 * recorder writes it (one transaction a sample, the peer's row and its hour, day and month,
 * the events of it, pruned once an hour), one sample a simulated hour: the rows are per hour,
 * so the database ends as one sampled every 10 s would, in a fraction of the time.
 *
 * Usage: ledger_sim DB PEERS DAYS ACTIVE_PERCENT EVENTS_PER_PEER_DAY
 * Prints: the seconds it took and the median time of one sample's transaction with every
 * peer changed (the recorder's write cost a tick at most).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "db.h"
#include "events.h"
#include "ledger.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct db *db;
	struct errmsg err;
	struct db_peer *peers;
	long n, days, active, ev_per_day;
	int64_t t0, end;
	double start, *full = NULL;
	size_t n_full = 0;
	unsigned int seed = 7;

	if (argc != 6) {
		fprintf(stderr, "usage: ledger_sim DB PEERS DAYS ACTIVE_PERCENT EVENTS_PER_PEER_DAY\n");
		return 2;
	}
	n = atol(argv[2]);
	days = atol(argv[3]);
	active = atol(argv[4]);
	ev_per_day = atol(argv[5]);
	if (n <= 0 || days <= 0 || active < 0 || active > 100 || ev_per_day < 0)
		return 2;
	if (db_open(&db, argv[1], true, &err) < 0) {
		fprintf(stderr, "ledger_sim: %s\n", errmsg_or(&err, err.code));
		return 1;
	}
	if (!(peers = calloc((size_t)n, sizeof(*peers))) || !(full = calloc((size_t)days * 24, sizeof(*full))))
		return 1;
	end = (int64_t)time(NULL);
	t0 = end - days * 86400;
	for (long i = 0; i < n; ++i) {
		struct db_peer *p = &peers[i];

		for (int k = 0; k < WG_KEY_LEN; ++k)
			p->key[k] = (uint8_t)rand_r(&seed);
		snprintf(p->name, sizeof(p->name), "peer%ld", i);
		snprintf(p->iface, sizeof(p->iface), "wg0");
		p->first_seen = t0;
	}
	start = now_s();
	for (int64_t t = t0; t < end; t += 3600) {
		double t1 = now_s();
		bool all = true;

		if (db_begin(db) < 0)
			return 1;
		for (long i = 0; i < n; ++i) {
			struct db_peer *p = &peers[i];
			struct ledger_counts d = { 0 };

			if ((long)(rand_r(&seed) % 100) >= active) {
				all = false;
				continue;
			}
			/* Like a hub's peers: a few KiB to a few MiB an hour, forwarded a share of it. */
			d.rx = 4096 + rand_r(&seed) % (4u << 20);
			d.tx = 4096 + rand_r(&seed) % (4u << 20);
			d.has_fwd = true;
			d.fwd[LEDGER_FROM_BYTES] = d.rx / 4;
			d.fwd[LEDGER_FROM_PACKETS] = d.rx / 4 / 1200 + 1;
			d.fwd[LEDGER_TO_BYTES] = d.tx / 4;
			d.fwd[LEDGER_TO_PACKETS] = d.tx / 4 / 1200 + 1;
			ledger_add(&p->last, &d);
			ledger_add(&p->total, &d);
			p->has_last = true;
			p->last_seen = t;
			if (db_peer_save(db, p) < 0 || db_usage_add(db, p->id, t, &d) < 0)
				return 1;
			/* Events at the rate asked, spread over the day's hours. */
			if (ev_per_day && (long)(rand_r(&seed) % 24) < ev_per_day) {
				struct event e = { .time = t, .type = (rand_r(&seed) & 1) ? EV_PEER_ONLINE : EV_PEER_OFFLINE,
						   .has_key = true };

				memcpy(e.key, p->key, WG_KEY_LEN);
				snprintf(e.iface, sizeof(e.iface), "wg0");
				snprintf(e.name, sizeof(e.name), "%s", p->name);
				snprintf(e.endpoint, sizeof(e.endpoint), "198.51.100.%u:51820", rand_r(&seed) % 250);
				snprintf(e.summary, sizeof(e.summary), "peer %s %s on wg0", p->name,
					 e.type == EV_PEER_ONLINE ? "online" : "offline");
				if (db_event_add(db, &e) < 0)
					return 1;
			}
		}
		if (db_mark_written(db, t) < 0 || db_prune(db, t, LEDGER_KEEP_HOURS_DAYS, LEDGER_KEEP_DAYS_DAYS) < 0 ||
		    db_commit(db) < 0)
			return 1;
		if (all)
			full[n_full++] = now_s() - t1;
	}
	printf("simulated %ld days of %ld peers (%ld%% active each hour, %ld events a peer a day) in %.1f s\n", days, n,
	       active, ev_per_day, now_s() - start);
	if (n_full) {
		qsort(full, n_full, sizeof(*full), cmp_double);
		printf("sample_write_ms %.1f\n", full[n_full / 2] * 1000);
	}
	db_close(db);
	free(full);
	free(peers);
	return 0;
}
