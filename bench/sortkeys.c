// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sortkeys: what the console does for a key that re-sorts every row, without a terminal: the
 * key handled and the screen drawn on a canvas, as the console's thread does it, on a hub of
 * PEERS dual-stack peers named as the lab names its bulk peers (every other one unnamed).
 * Two samples are taken in first, so that the rates are there to sort by.
 *
 * Usage: sortkeys PEERS ROUNDS [SAMPLES]
 * Each round presses s three times (each a sort by the next column) and < three times.
 * Then SAMPLES more samples (default 0) are taken in and drawn, as the console's thread takes
 * them each second: what a key that lands on a sample waits for.
 * Prints: the median and the largest time of a key, in milliseconds; with SAMPLES, the median
 * and the largest time of a sample.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "app.h"
#include "canvas.h"
#include "key.h"
#include "names.h"
#include "view.h"

#define NOW 1700000000

/*
 * Every other peer named, as the console names them: from a name map that each sample shares
 * (the config file's, read once while it does not change), not a copy per peer.
 */
static struct name_map names;

static struct wg_snapshot *hub(uint32_t n, int64_t t)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	unsigned seed = 7;
	char *store = NULL;
	size_t len = 0;
	FILE *f = names.n ? NULL : open_memstream(&store, &len);

	if (!snap || !dev)
		return NULL;
	dev->ifindex = 7;
	for (uint32_t i = 0; i < n; ++i) {
		struct wg_allowedip a4 = { .family = AF_INET, .cidr = 32 }, a6 = { .family = AF_INET6, .cidr = 128 };
		uint8_t key[WG_KEY_LEN];
		char name[32];
		struct wg_peer *p;

		for (size_t k = 0; k < sizeof(key); ++k)
			key[k] = (uint8_t)rand_r(&seed);
		if (!(p = wg_device_append_peer(dev, key)))
			return NULL;
		if (i % 2 == 0 && f) {
			char b64[WG_KEY_B64_LEN];

			key_to_base64(b64, key);
			snprintf(name, sizeof(name), "bulk-%u", i);
			fprintf(f, "%s %s\n", b64, name);
		}
		/* A few busy peers, as on a hub where most are idle. */
		if (i % 97 == 0) {
			p->rx_bytes = (uint64_t)(t + 1) * 1000 * (i % 13 + 1);
			p->tx_bytes = (uint64_t)(t + 1) * 700 * (i % 7 + 1);
			p->last_handshake_sec = NOW + t - (int64_t)(i % 300);
		}
		a4.ip4.s_addr = htonl(0x0ab40000u + i);
		inet_pton(AF_INET6, "fd00:180::", &a6.ip6);
		for (int b = 0; b < 4; ++b)
			a6.ip6.s6_addr[15 - b] = (uint8_t)(i >> (8 * b));
		if (wg_peer_add_allowedip(p, &a4) < 0 || wg_peer_add_allowedip(p, &a6) < 0)
			return NULL;
		/* Endpoints as tests/lab/lab.sh gives its bulk peers: most have none. */
		if (i % 7 == 0) {
			p->endpoint.addr4.sin_family = AF_INET;
			p->endpoint.addr4.sin_port = htons((uint16_t)(20000 + i % 40000));
			p->endpoint.addr4.sin_addr.s_addr = htonl(0xc6336400u + i % 254 + 1);
		} else if (i % 11 == 0) {
			p->endpoint.addr4.sin_family = AF_INET;
			p->endpoint.addr4.sin_port = htons(51820);
			p->endpoint.addr4.sin_addr.s_addr = htonl(0xcb007100u + i % 254 + 1);
		} else if (i % 97 == 0) {
			p->endpoint.addr6.sin6_family = AF_INET6;
			p->endpoint.addr6.sin6_port = htons(51820);
			inet_pton(AF_INET6, "2001:db8::", &p->endpoint.addr6.sin6_addr);
			for (int b = 0; b < 4; ++b)
				p->endpoint.addr6.sin6_addr.s6_addr[15 - b] = (uint8_t)(i >> (8 * b));
		}
	}
	if (f && (fclose(f) || names_parse_store(&names, store, len) < 0)) {
		free(store);
		return NULL;
	}
	free(store);
	if (wg_device_index(dev) < 0 || names_apply(dev, NULL, &names) < 0)
		return NULL;
	wg_snapshot_add_device(snap, dev);
	snap->mono.tv_sec = t;
	snap->wall.tv_sec = NOW + t;
	return snap;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The keys alone, a function of its own: `valgrind --toggle-collect=sortkeys_run` counts them. */
__attribute__((noinline)) void sortkeys_run(struct app *app, struct canvas *c, double *ms, int rounds);

void sortkeys_run(struct app *app, struct canvas *c, double *ms, int rounds)
{
	static const char keys[] = "sss<<<";

	for (int r = 0; r < rounds; ++r)
		for (size_t k = 0; k < sizeof(keys) - 1; ++k) {
			double t0 = now_ms();

			app_key(app, keys[k]);
			view_render(c, app);
			ms[r * (int)(sizeof(keys) - 1) + (int)k] = now_ms() - t0;
		}
}

/*
 * The samples alone, likewise (`--toggle-collect=samples_run`): each taken in and drawn. The
 * snapshot each leaves behind is freed outside, as the console's sampler thread frees it.
 */
__attribute__((noinline)) int samples_run(struct app *app, struct canvas *c, struct wg_snapshot **snaps,
					  double *ms, int n);

int samples_run(struct app *app, struct canvas *c, struct wg_snapshot **snaps, double *ms, int n)
{
	for (int i = 0; i < n; ++i) {
		double t0 = now_ms();

		if (app_update(app, snaps[i]) < 0)
			return -1;
		view_render(c, app);
		ms[i] = now_ms() - t0;
		snaps[i] = app->spent;
		app->spent = NULL;
	}
	return 0;
}

/* The median and the largest of n times, sorted in place. */
static void print_times(double *ms, int n)
{
	qsort(ms, (size_t)n, sizeof(*ms), cmp_double);
	printf(" %.2f %.2f", ms[n / 2], ms[n - 1]);
}

int main(int argc, char **argv)
{
	struct wg_snapshot *s0, *s1, **snaps = NULL;
	struct canvas c = { 0 };
	struct app app;
	double *ms;
	long peers;
	int rounds, n, samples = 0;

	if ((argc != 3 && argc != 4) || (peers = strtol(argv[1], NULL, 10)) < 1 || peers > 1000000 ||
	    (rounds = atoi(argv[2])) < 1 || rounds > 1000 ||
	    (argc == 4 && ((samples = atoi(argv[3])) < 1 || samples > 1000))) {
		fprintf(stderr, "usage: sortkeys PEERS ROUNDS [SAMPLES]\n");
		return 2;
	}
	n = rounds * 6;
	ms = calloc((size_t)(n > samples ? n : samples), sizeof(*ms));
	s0 = hub((uint32_t)peers, 0);
	s1 = hub((uint32_t)peers, 1);
	if (!ms || !s0 || !s1 || canvas_init(&c, 150, 45, true) < 0) {
		fprintf(stderr, "sortkeys: out of memory\n");
		return 1;
	}
	app_init(&app, 1);
	/* The snapshot a sample is done with comes back, as in the console. */
	app.hand_back = true;
	for (int i = 0; i < 2; ++i) {
		if (app_update(&app, i ? s1 : s0) < 0) {
			fprintf(stderr, "sortkeys: taking the samples in failed\n");
			return 1;
		}
		wg_snapshot_free(app.spent);
		app.spent = NULL;
	}
	view_render(&c, &app);
	sortkeys_run(&app, &c, ms, rounds);
	printf("%ld", peers);
	print_times(ms, n);
	if (samples) {
		/* Made first: building a snapshot is not the console's work. */
		if (!(snaps = calloc((size_t)samples, sizeof(*snaps)))) {
			fprintf(stderr, "sortkeys: out of memory\n");
			return 1;
		}
		for (int i = 0; i < samples; ++i)
			if (!(snaps[i] = hub((uint32_t)peers, 2 + i))) {
				fprintf(stderr, "sortkeys: out of memory\n");
				return 1;
			}
		if (samples_run(&app, &c, snaps, ms, samples) < 0) {
			fprintf(stderr, "sortkeys: taking the samples in failed\n");
			return 1;
		}
		for (int i = 0; i < samples; ++i)
			wg_snapshot_free(snaps[i]);
		free(snaps);
		print_times(ms, samples);
	}
	printf("\n");
	canvas_free(&c);
	app_free(&app);
	names_clear(&names);
	free(ms);
	return 0;
}
