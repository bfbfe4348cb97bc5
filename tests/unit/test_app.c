// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the console state: selection by identity, marks, filter, sort, keys; and the
 * dialogs: pager, question, form, the requests they make and read-only's refusals.
 */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "canvas.h"
#include "format.h"
#include "key.h"
#include "names.h"
#include "view.h"

#define NOW 1700000000

struct fake_peer {
	uint8_t id;
	const char *name;
	uint64_t rx, tx;
	int64_t handshake;
	const char *ip;
};

static struct wg_device *make_device(const char *ifname, const struct fake_peer *peers, size_t n)
{
	struct wg_device *dev = wg_device_new(ifname);

	dev->ifindex = 7;
	for (size_t i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN];
		struct wg_peer *p;
		struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };

		memset(key, peers[i].id, sizeof(key));
		p = wg_device_get_peer(dev, key, NULL);
		assert_non_null(p);
		if (peers[i].name)
			wg_peer_set_name(p, peers[i].name);
		p->rx_bytes = peers[i].rx;
		p->tx_bytes = peers[i].tx;
		p->last_handshake_sec = peers[i].handshake;
		if (peers[i].ip) {
			inet_pton(AF_INET, peers[i].ip, &a.ip4);
			wg_peer_add_allowedip(p, &a);
		}
	}
	return dev;
}

static struct wg_snapshot *make_snap(int64_t t, const struct fake_peer *peers, size_t n)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	wg_snapshot_add_device(snap, make_device("wg0", peers, n));
	snap->mono.tv_sec = t;
	snap->wall.tv_sec = NOW + t;
	return snap;
}

static const char *row_name(struct app *app, uint32_t i)
{
	return app_row_name(app, &app->rows[i]);
}

static const struct fake_peer three[] = {
	{ 1, "carol", 100, 100, NOW, "10.172.16.4" },
	{ 2, "alice", 500, 0, NOW, "10.172.16.2" },
	{ 3, "bob", 0, 0, 0, "10.172.16.3" },
};

static void test_rows_sorted_by_name_first_sample_no_rate(void **state)
{
	struct app app;

	app_init(&app, 1);
	assert_null(app_device(&app));
	assert_int_equal(app_update(&app, make_snap(0, three, 3)), 0);
	assert_int_equal(app.n_rows, 3);
	assert_string_equal(row_name(&app, 0), "alice");
	assert_string_equal(row_name(&app, 1), "bob");
	assert_string_equal(row_name(&app, 2), "carol");
	assert_int_equal(app_dev_state(&app)->tracks[0].rate.status, RATE_INIT);
	assert_false(app_dev_state(&app)->rates_known);
	/* peers there from the start are not "new" */
	for (uint32_t i = 0; i < app_dev_state(&app)->n_tracks; ++i)
		assert_false(app_track_is_new(&app, &app_dev_state(&app)->tracks[i]));
	/* the first row is selected */
	assert_int_equal(app_selected_row(&app), 0);
	app_free(&app);
}

static void test_rates_and_history(void **state)
{
	struct fake_peer later[3];
	struct app app;
	float hist[10];

	memcpy(later, three, sizeof(later));
	later[0].rx += 2000;	/* carol: 1000 B/s over 2 s */
	later[1].tx += 4000;	/* alice: 2000 B/s */
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app_update(&app, make_snap(2, later, 3));
	assert_true(app_dev_state(&app)->rates_known);
	assert_true(app_dev_state(&app)->rx_rate > 999 && app_dev_state(&app)->rx_rate < 1001);
	assert_true(app_dev_state(&app)->tx_rate > 1999 && app_dev_state(&app)->tx_rate < 2001);
	/* history: one sample per rated snapshot, rx + tx */
	{
		const struct peer_track *t = &app_dev_state(&app)->tracks[1];	/* alice, second seen */

		assert_int_equal(app_history(t, hist, 10), 1);
		assert_true(hist[0] > 1999 && hist[0] < 2001);
	}
	app_free(&app);
}

/* Handing back, app_update leaves the snapshot it is done with, once rated from, to its caller. */
static void test_spent_snapshot_handed_back(void **state)
{
	struct wg_snapshot *first = make_snap(0, three, 3), *second = make_snap(2, three, 3);
	struct app app;

	app_init(&app, 1);
	app.hand_back = true;
	assert_int_equal(app_update(&app, first), 0);
	assert_null(app.spent);
	assert_int_equal(app_update(&app, second), 0);
	assert_ptr_equal(app.spent, first);
	assert_ptr_equal(app.snap, second);
	/* not taken: the next one is freed as before, and app_free frees the one held */
	assert_int_equal(app_update(&app, make_snap(4, three, 3)), 0);
	assert_ptr_equal(app.spent, first);
	app_free(&app);
}

/* alice's forwarded counters as a reading of the counting sets taken at read_t gives them. */
static struct wg_snapshot *fwd_snap(int64_t t, int64_t read_t, uint64_t from_bytes)
{
	struct wg_snapshot *snap = make_snap(t, three, 3);
	struct wg_device *dev = snap->devices[0];

	dev->has_flows = true;
	dev->flows_at.tv_sec = read_t;
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		dev->peers[i].forwarded = (struct wg_forwarded){ 0 };
	dev->peers[1].forwarded.from_bytes = from_bytes;	/* alice (id 2) is second */
	return snap;
}

/*
 * A big hub's console reads the counting sets every few seconds and carries the last reading
 * in between: the forwarded rate divides by the time between readings and stays as it was
 * while the reading does.
 */
static void test_forwarded_rate_between_readings(void **state)
{
	const struct peer_track *alice;
	struct app app;

	app_init(&app, 1);
	app_update(&app, fwd_snap(10, 10, 1000));
	app_update(&app, fwd_snap(11, 10, 1000));	/* the same reading, carried */
	alice = &app_dev_state(&app)->tracks[1];
	assert_int_equal(alice->fwd.status, RATE_INIT);
	app_update(&app, fwd_snap(12, 12, 5000));	/* 4000 B over the 2 s between readings */
	alice = &app_dev_state(&app)->tracks[1];
	assert_int_equal(alice->fwd.status, RATE_OK);
	assert_true(alice->fwd.rx_per_sec > 1999 && alice->fwd.rx_per_sec < 2001);
	app_update(&app, fwd_snap(13, 12, 5000));	/* carried: the rate stays */
	alice = &app_dev_state(&app)->tracks[1];
	assert_int_equal(alice->fwd.status, RATE_OK);
	assert_true(alice->fwd.rx_per_sec > 1999 && alice->fwd.rx_per_sec < 2001);
	assert_true(app_dev_state(&app)->fwd_rate > 1999 && app_dev_state(&app)->fwd_rate < 2001);
	app_update(&app, fwd_snap(17, 17, 5000));	/* nothing over 5 s */
	alice = &app_dev_state(&app)->tracks[1];
	assert_int_equal(alice->fwd.status, RATE_OK);
	assert_true(alice->fwd.rx_per_sec == 0);
	app_free(&app);
}

static void test_selection_follows_peer(void **state)
{
	struct fake_peer more[4];
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app_key(&app, AK_DOWN);
	app_key(&app, AK_DOWN);
	assert_string_equal(row_name(&app, (uint32_t)app_selected_row(&app)), "carol");
	/* a new peer sorts in above: the selection stays on carol, one row lower */
	memcpy(more, three, sizeof(three));
	more[3] = (struct fake_peer){ 4, "aaron", 0, 0, 0, "10.172.16.5" };
	app_update(&app, make_snap(1, more, 4));
	assert_int_equal(app_selected_row(&app), 3);
	assert_string_equal(row_name(&app, 3), "carol");
	assert_true(app_track_is_new(&app, &app_dev_state(&app)->tracks[3]));
	/* re-sorting keeps it too */
	app_key(&app, 's');
	assert_int_equal(app.sort, APP_COL_ALLOWED_IPS);
	assert_string_equal(row_name(&app, (uint32_t)app_selected_row(&app)), "carol");
	assert_string_equal(row_name(&app, 0), "alice");	/* 10.172.16.2 first */
	app_free(&app);
}

static void test_vanished_peer_marked_then_dropped(void **state)
{
	struct app app;
	int gone_rows = 0;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app_key(&app, AK_END);	/* carol */
	app_update(&app, make_snap(1, three + 1, 2));	/* carol gone */
	assert_int_equal(app.n_rows, 3);
	for (uint32_t i = 0; i < app.n_rows; ++i)
		if (app.rows[i].peer < 0) {
			gone_rows++;
			assert_string_equal(row_name(&app, i), "carol");
			assert_int_equal(i, 2);
		}
	assert_int_equal(gone_rows, 1);
	for (int t = 2; t < 2 + APP_MARK_TICKS; ++t)
		app_update(&app, make_snap(t, three + 1, 2));
	assert_int_equal(app.n_rows, 2);
	/* the selection moved to the neighbour */
	assert_int_equal(app_selected_row(&app), 1);
	app_free(&app);
}

static void test_filter(void **state)
{
	struct app app;
	const char *typed = "16.3";

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	assert_int_equal(app_key(&app, '/') & APP_REDRAW, APP_REDRAW);
	assert_true(app.filter_editing);
	for (const char *p = typed; *p; ++p)
		app_key(&app, *p);
	/* The rows follow once for the keys that came together, not for each of them. */
	assert_true(app.rows_stale);
	assert_int_equal(app.n_rows, 3);
	assert_int_equal(app_rows_settle(&app), 0);
	assert_false(app.rows_stale);
	assert_int_equal(app.n_rows, 1);
	assert_string_equal(row_name(&app, 0), "bob");
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, 'L');	/* case-insensitive: alice and carol */
	app_key(&app, AK_ENTER);
	assert_false(app.filter_editing);
	/* rendering settles them */
	{
		struct canvas c = { 0 };

		assert_int_equal(canvas_init(&c, 120, 40, true), 0);
		view_render(&c, &app);
		canvas_free(&c);
	}
	assert_int_equal(app.n_rows, 2);
	/* 'q' is a key again, not filter text; Esc clears the filter */
	app_key(&app, AK_ESC);
	assert_int_equal(app.n_rows, 3);
	assert_int_equal(app_key(&app, 'q'), APP_QUIT);
	app_free(&app);
}

static void test_sort_by_rate_and_reverse(void **state)
{
	struct fake_peer later[3];
	struct app app;

	memcpy(later, three, sizeof(later));
	later[2].rx += 9000;	/* bob is the busiest */
	later[0].rx += 10;
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app_update(&app, make_snap(1, later, 3));
	while (app.sort != APP_COL_RX_RATE)
		app_key(&app, '>');
	assert_string_equal(row_name(&app, 0), "bob");
	assert_string_equal(row_name(&app, 1), "carol");
	app_key(&app, 'r');
	assert_string_equal(row_name(&app, 2), "bob");
	app_key(&app, '<');
	assert_int_equal(app.sort, APP_COL_STATE);
	app_free(&app);
}

/*
 * The order of the last sort is tried first: it must give way as soon as it no longer sorts,
 * and survive peers coming and going.
 */
static void test_order_follows_the_rates(void **state)
{
	struct fake_peer t1[3], t2[3], t3[4];
	struct app app;

	memcpy(t1, three, sizeof(t1));
	memcpy(t2, three, sizeof(t2));
	memcpy(t3, three, sizeof(three));
	t1[2].rx += 9000;		/* bob busiest, then carol, then alice */
	t1[0].rx += 10;
	t2[2].rx = t1[2].rx + 1;	/* then alice */
	t2[1].rx = t1[1].rx + 50000;
	t2[0].rx = t1[0].rx + 10;
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	while (app.sort != APP_COL_RX_RATE)
		app_key(&app, '>');
	app_update(&app, make_snap(1, t1, 3));
	assert_string_equal(row_name(&app, 0), "bob");
	assert_string_equal(row_name(&app, 1), "carol");
	assert_string_equal(row_name(&app, 2), "alice");
	app_update(&app, make_snap(2, t2, 3));
	assert_string_equal(row_name(&app, 0), "alice");
	assert_string_equal(row_name(&app, 1), "carol");
	assert_string_equal(row_name(&app, 2), "bob");
	/* The same rates again: the order stands. */
	for (int i = 0; i < 3; ++i) {
		t2[i].rx += t2[i].rx - t1[i].rx;
		t1[i] = three[i];
	}
	app_update(&app, make_snap(3, t2, 3));
	assert_string_equal(row_name(&app, 0), "alice");
	assert_string_equal(row_name(&app, 2), "bob");
	/* A fourth peer, the busiest of all, goes first. */
	memcpy(t3, t2, sizeof(t2));
	t3[3] = (struct fake_peer){ 4, "dave", 0, 0, NOW, "10.172.16.5" };
	app_update(&app, make_snap(4, t3, 4));
	assert_int_equal(app.n_rows, 4);
	t3[3].rx = 900000;
	app_update(&app, make_snap(5, t3, 4));
	assert_string_equal(row_name(&app, 0), "dave");
	app_free(&app);
}

static void test_no_peers(void **state)
{
	struct app app;

	app_init(&app, 1);
	assert_int_equal(app_update(&app, make_snap(0, three, 0)), 0);
	assert_int_equal(app.n_rows, 0);
	assert_int_equal(app_selected_row(&app), -1);
	assert_int_equal(app_key(&app, AK_DOWN), APP_REDRAW);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app.view, VIEW_MAIN);
	app_free(&app);
}

/*
 * The sort compares words gathered from each row and leaves ties and values too long for them
 * to the whole order: random hubs full of near-ties (names sharing sixteen bytes or differing in
 * case, unnamed and vanished peers, IPv6 addresses in one /64, equal counters, endpoints on one
 * host) must come out in that whole order, by every column, both ways.
 */
static void random_hub(struct wg_device *dev, unsigned *seed, uint32_t n, uint32_t skip)
{
	/*
	 * Every length a name's words are gathered in pieces of (up to 3, 4 to 7, 8 to 15, 16 and
	 * more), the bytes either side of 'A' and 'Z', and names whose byte past 0x7f must keep the
	 * eight-byte lowering away ("z\xffZ" would carry into its 'Z' there).
	 */
	static const char *const names[] = { "alice", "Alice", "alice-laptop-0001", "alice-laptop-0001b",
					     "alice-laptop-0001a", "ALICE-LAPTOP-0001A", "bob", "", "b", "zz",
					     "bulk-31336", "BULK-3133", "bulk-313\xc3\xa9", "Zo\xc3\xab", "z\xffZ",
					     "alice-la", "ALICE-LAPTOP-00", "ZZ", "a@", "a_", "a[", "az", "A{",
					     "z\xff" "a", "ALICE-LAPTOP-000", "alice-laptop-" };
	const unsigned n_names = sizeof(names) / sizeof(names[0]);

	for (uint32_t i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN];
		struct wg_allowedip a = { 0 };
		struct wg_peer *p;
		char name[64];
		int r = rand_r(seed);

		if (skip && i % skip == 0)
			continue;
		memset(key, 0, sizeof(key));
		memcpy(key, &i, sizeof(i));
		key[31] = (uint8_t)(i * 37);	/* keys alike up to their end but for the index */
		p = wg_device_get_peer(dev, key, NULL);
		assert_non_null(p);
		if (r % 7) {
			snprintf(name, sizeof(name), "%s%s", names[(unsigned)r % n_names],
				 r % 3 ? "" : (r % 2 ? "-x" : "-X"));
			wg_peer_set_name(p, name);
		}
		p->rx_bytes = (uint64_t)(rand_r(seed) % 4) * 1000 + (i % 5 ? 0 : i);
		p->tx_bytes = (uint64_t)(rand_r(seed) % 3) << 40;
		p->last_handshake_sec = rand_r(seed) % 4 ? NOW - rand_r(seed) % 400 : 0;
		switch (rand_r(seed) % 4) {
		case 0:
			break;	/* no allowed IPs */
		case 1:
			a.family = AF_INET;
			a.cidr = (uint8_t)(24 + rand_r(seed) % 9);
			a.ip4.s_addr = htonl(0x0aac1000u + (uint32_t)(rand_r(seed) % 40));
			wg_peer_add_allowedip(p, &a);
			break;
		default:
			a.family = AF_INET6;
			a.cidr = (uint8_t)(120 + rand_r(seed) % 9);
			inet_pton(AF_INET6, "fd00:180::", &a.ip6);
			a.ip6.s6_addr[15] = (uint8_t)(rand_r(seed) % 3);
			a.ip6.s6_addr[8] = (uint8_t)(rand_r(seed) % 2);
			wg_peer_add_allowedip(p, &a);
			break;
		}
		switch (rand_r(seed) % 3) {
		case 0:
			break;
		case 1:
			p->endpoint.addr4.sin_family = AF_INET;
			p->endpoint.addr4.sin_port = htons((uint16_t)(51820 + rand_r(seed) % 3));
			p->endpoint.addr4.sin_addr.s_addr = htonl(0xc0000200u + (uint32_t)(rand_r(seed) % 3));
			break;
		default:
			p->endpoint.addr6.sin6_family = AF_INET6;
			p->endpoint.addr6.sin6_port = htons((uint16_t)(51820 + rand_r(seed) % 2));
			inet_pton(AF_INET6, "2001:db8::1", &p->endpoint.addr6.sin6_addr);
			p->endpoint.addr6.sin6_addr.s6_addr[15] = (uint8_t)(rand_r(seed) % 3);
			break;
		}
	}
}

static void test_sort_words_agree_with_the_whole_order(void **state)
{
	unsigned seed = 42;

	/* The last round is big enough for runs of hundreds that the sort splits byte by byte. */
	for (int round = 0; round < 7; ++round) {
		struct app app;
		struct wg_snapshot *snap;
		uint32_t n = round < 6 ? 60 + (uint32_t)round * 70 : 3000;

		app_init(&app, 1);
		for (int t = 0; t < 3; ++t) {
			snap = wg_snapshot_new();
			wg_snapshot_add_device(snap, wg_device_new("wg0"));
			/* the third sample loses every fifth peer: vanished rows */
			random_hub(snap->devices[0], &seed, n, t == 2 ? 5 : 0);
			snap->mono.tv_sec = t;
			snap->wall.tv_sec = NOW + t;
			assert_int_equal(app_update(&app, snap), 0);
		}
		assert_true(app.n_rows == n);
		for (int col = 0; col < N_APP_COLUMNS; ++col) {
			for (int rev = 0; rev < 2; ++rev) {
				int64_t bad = app_rows_misordered(&app);

				if (bad >= 0)
					fail_msg("round %d, sorted by %s%s: row %lld before %lld", round,
						 app_column_title(app.sort), app.sort_reverse ? " reversed" : "",
						 (long long)bad - 1, (long long)bad);
				assert_int_equal(app.n_rows, n);
				app_key(&app, 'r');
			}
			app_key(&app, 's');
		}
		app_free(&app);
	}
}

/*
 * The device's names as the console's samples have them: shared from a name map (made from
 * the device's own names the first time, then reused while "the file" does not change), so
 * that their holds' serials say which names they are.
 */
static void share_names(struct wg_device *dev, struct name_map *map)
{
	if (!map->n) {
		char *text = NULL, b64[WG_KEY_B64_LEN];
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		for (uint32_t i = 0; i < dev->n_peers; ++i) {
			key_to_base64(b64, dev->peers[i].public_key);
			if (dev->peers[i].name && dev->peers[i].name[0])
				fprintf(f, "%s %s\n", b64, dev->peers[i].name);
		}
		assert_int_equal(fclose(f), 0);
		assert_int_equal(names_parse_store(map, text, len), 0);
		free(text);
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		wg_peer_set_name(&dev->peers[i], NULL);
	assert_int_equal(names_apply(dev, NULL, map), 0);
}

/* random_hub's peers (their keys made from their index), named from map, sampled at NOW + t. */
static struct wg_snapshot *named_hub(unsigned seed, uint32_t n, uint32_t skip, struct name_map *map, int64_t t)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	wg_snapshot_add_device(snap, wg_device_new("wg0"));
	random_hub(snap->devices[0], &seed, n, skip);
	share_names(snap->devices[0], map);
	snap->mono.tv_sec = t;
	snap->wall.tv_sec = NOW + t;
	return snap;
}

static void check_every_order(struct app *app, const char *what)
{
	for (int col = 0; col < N_APP_COLUMNS; ++col) {
		for (int rev = 0; rev < 2; ++rev) {
			int64_t bad = app_rows_misordered(app);

			if (bad >= 0)
				fail_msg("%s, sorted by %s%s: row %lld before %lld", what, app_column_title(app->sort),
					 app->sort_reverse ? " reversed" : "", (long long)bad - 1, (long long)bad);
			app_key(app, 'r');
		}
		app_key(app, 's');
	}
}

/*
 * A sort of every row by name leaves each track's rank, which the sorts by other columns then
 * take for the names, while the tracks and the names are what they were: every order stays
 * row_cmp's, ranks or not; the ranks are taken (a lie in them shows); and they are not taken
 * once a peer vanished or the names changed, until the next sort by name.
 */
static void test_sort_by_name_ranks(void **state)
{
	struct name_map map = { 0 };
	struct wg_snapshot *snap;
	struct dev_state *d;
	struct app app;
	uint64_t used;
	uint32_t n = 3000;
	bool lied = false;

	app_init(&app, 1);
	for (int t = 0; t < 2; ++t)
		assert_int_equal(app_update(&app, snap = named_hub(7, n, 0, &map, t)), 0);
	d = app_dev_state(&app);
	assert_true(d->rank_valid);
	check_every_order(&app, "ranks kept");
	assert_true(d->rank_sorts >= N_APP_COLUMNS);

	/* A lie in the ranks is followed: two named rows that tie in the column change places. */
	used = d->rank_sorts;
	while (app.sort != APP_COL_ENDPOINT)
		app_key(&app, 's');
	for (uint32_t i = 0; i + 1 < app.n_rows; ++i) {
		const struct app_row *a = &app.rows[i], *b = &app.rows[i + 1];
		const struct wg_peer *pa = a->peer >= 0 ? &snap->devices[0]->peers[a->peer] : NULL;
		const struct wg_peer *pb = b->peer >= 0 ? &snap->devices[0]->peers[b->peer] : NULL;
		uint32_t tmp;

		if (!pa || !pb || memcmp(&pa->endpoint, &pb->endpoint, sizeof(pa->endpoint)) || !pa->name ||
		    !pb->name || !strcasecmp(pa->name, pb->name))
			continue;
		tmp = d->name_rank[a->track];
		d->name_rank[a->track] = d->name_rank[b->track];
		d->name_rank[b->track] = tmp;
		app_key(&app, 'r');
		app_key(&app, 'r');
		lied = true;
		break;
	}
	assert_true(lied);
	assert_true(d->rank_sorts > used);
	assert_true(app_rows_misordered(&app) >= 0);

	/* A peer gone: the tracks changed, and the ranks wait for the next sort by name. */
	used = d->rank_sorts;
	assert_int_equal(app_update(&app, named_hub(7, n, 5, &map, 2)), 0);
	d = app_dev_state(&app);
	app_key(&app, 'r');
	assert_int_equal(d->rank_sorts, used);
	assert_true(app_rows_misordered(&app) < 0);
	check_every_order(&app, "a peer gone");

	/* Other names (a file read anew): a new map, whose serial the ranks were not made with. */
	names_clear(&map);
	snap = named_hub(11, n, 5, &map, 3);
	while (app.sort == APP_COL_NAME)
		app_key(&app, 's');
	used = d->rank_sorts;
	assert_int_equal(app_update(&app, snap), 0);
	d = app_dev_state(&app);
	app_key(&app, 'r');
	assert_int_equal(d->rank_sorts, used);
	check_every_order(&app, "names changed");
	assert_true(d->rank_sorts > used);
	app_free(&app);
	names_clear(&map);
}

/* Every row's peer is its track's, in the snapshot shown. */
static void check_rows_peers(const struct app *app)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);

	for (uint32_t i = 0; i < app->n_rows; ++i) {
		const struct app_row *r = &app->rows[i];

		assert_true(r->peer >= 0 && (uint32_t)r->peer < dev->n_peers);
		assert_memory_equal(dev->peers[r->peer].public_key, d->tracks[r->track].key, WG_KEY_LEN);
	}
}

/*
 * The rows of a sample are gathered once (app_rows.c): a key that sorts by another column takes
 * them as they were gathered, and every order is still row_cmp's; a filter, and its end, gather
 * them anew within the same sample; and so does a sample of the same peers listed in another
 * order, where the rows of the last one would point at the wrong peers.
 */
static void test_rows_gathered_once_a_sample(void **state)
{
	struct name_map map = { 0 };
	struct wg_snapshot *snap;
	struct wg_device *dev;
	struct app app;
	uint32_t n = 500;
	uint64_t reused;

	app_init(&app, 1);
	for (int t = 0; t < 2; ++t)
		assert_int_equal(app_update(&app, named_hub(5, n, 0, &map, t)), 0);
	assert_int_equal(app.n_rows, n);
	reused = app.gathered.reused;
	check_every_order(&app, "rows gathered once");
	/* Two keys a column (r, then s), each at least one refresh, none of which gathered. */
	assert_true(app.gathered.reused >= reused + 2 * N_APP_COLUMNS);
	assert_int_equal(app.n_rows, n);
	check_rows_peers(&app);

	app_key(&app, '/');
	for (const char *p = "zqzqzq"; *p; ++p)
		app_key(&app, *p);
	app_key(&app, AK_ENTER);
	assert_int_equal(app_rows_settle(&app), 0);
	assert_int_equal(app.n_rows, 0);
	app_key(&app, 's');
	assert_int_equal(app.n_rows, 0);
	app_key(&app, AK_ESC);
	assert_int_equal(app_rows_settle(&app), 0);
	assert_int_equal(app.n_rows, n);
	check_every_order(&app, "the filter gone");

	/* The same peers, the other way round: the same tracks, but every peer elsewhere. */
	snap = named_hub(5, n, 0, &map, 2);
	dev = snap->devices[0];
	for (uint32_t i = 0; i < n / 2; ++i) {
		struct wg_peer tmp = dev->peers[i];

		dev->peers[i] = dev->peers[n - 1 - i];
		dev->peers[n - 1 - i] = tmp;
	}
	assert_int_equal(wg_device_index(dev), 0);
	reused = app.gathered.reused;
	assert_int_equal(app_update(&app, snap), 0);
	assert_int_equal(app.gathered.reused, reused);
	assert_int_equal(app.n_rows, n);
	check_rows_peers(&app);
	check_every_order(&app, "the same peers in another order");
	app_free(&app);
	names_clear(&map);
}

/*
 * The filter finds a row by any of its texts, case aside: checked against strncasecmp() at each
 * place of the name, the key in base64, each allowed IP and the endpoint, for filters cut from
 * those texts (case flipped at random) and for ones that are in none, on a hub with vanished
 * peers and an endpoint with a scope.
 */
static bool ref_contains(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay; ++hay)
		if (!strncasecmp(hay, needle, n))
			return true;
	return false;
}

static bool ref_matches(const struct wg_peer *p, const char *name, const uint8_t *key, const char *f)
{
	char buf[FORMAT_BUF];

	if (name && ref_contains(name, f))
		return true;
	key_to_base64(buf, key);
	if (ref_contains(buf, f))
		return true;
	if (!p)
		return false;
	for (uint32_t i = 0; i < p->n_allowedips; ++i)
		if (ref_contains(format_allowedip(buf, sizeof(buf), &p->allowedips[i]), f))
			return true;
	return ref_contains(format_endpoint(buf, sizeof(buf), &p->endpoint), f);
}

static void test_filter_agrees_with_every_text(void **state)
{
	static const char *const absent[] = { "-", "zz-", "bob-x", "%", "%3]", "::", "/1", "=", "+", "q" };
	const struct wg_device *dev;
	const struct dev_state *d;
	unsigned seed = 11;
	struct app app;

	app_init(&app, 1);
	for (int t = 0; t < 2; ++t) {
		struct wg_snapshot *snap = wg_snapshot_new();

		wg_snapshot_add_device(snap, wg_device_new("wg0"));
		random_hub(snap->devices[0], &seed, 300, t == 1 ? 5 : 0);
		if (t == 1) {
			struct wg_peer *p = &snap->devices[0]->peers[7];

			memset(&p->endpoint, 0, sizeof(p->endpoint));
			p->endpoint.addr6.sin6_family = AF_INET6;
			inet_pton(AF_INET6, "fe80::1", &p->endpoint.addr6.sin6_addr);
			p->endpoint.addr6.sin6_scope_id = 3;
			p->endpoint.addr6.sin6_port = htons(51820);
		}
		snap->mono.tv_sec = t;
		snap->wall.tv_sec = NOW + t;
		assert_int_equal(app_update(&app, snap), 0);
	}
	dev = app_device(&app);
	d = app_dev_state(&app);
	for (int round = 0; round < 600; ++round) {
		char text[FORMAT_BUF], f[APP_FILTER_MAX];
		const struct wg_peer *p = &dev->peers[(unsigned)rand_r(&seed) % dev->n_peers];
		uint32_t expect = 0;

		switch (round % 5) {
		case 0:
			snprintf(text, sizeof(text), "%s", p->name ? p->name : "");
			break;
		case 1:
			key_to_base64(text, p->public_key);
			break;
		case 2:
			snprintf(text, sizeof(text), "%s", p->n_allowedips ?
				 format_allowedip(text, sizeof(text), &p->allowedips[0]) : "");
			break;
		case 3:
			format_endpoint(text, sizeof(text), round % 2 ? &p->endpoint : &dev->peers[7].endpoint);
			break;
		default:
			snprintf(text, sizeof(text), "%s", absent[(unsigned)rand_r(&seed) % 10]);
			break;
		}
		if (!text[0])
			continue;
		{
			size_t len = strlen(text), at = (unsigned)rand_r(&seed) % len;
			size_t n = 1 + (unsigned)rand_r(&seed) % 6;

			if (n > len - at)
				n = len - at;
			memcpy(f, text + at, n);
			f[n] = '\0';
			for (size_t i = 0; i < n; ++i)
				if (rand_r(&seed) % 2)
					f[i] = (char)(f[i] ^ (f[i] >= 'A' && f[i] <= 'z' && (f[i] | 32) >= 'a' ? 32 : 0));
		}
		snprintf(app.filter, sizeof(app.filter), "%s", f);
		assert_int_equal(app_rows_refresh(&app), 0);
		for (uint32_t i = 0; i < dev->n_peers; ++i)
			expect += ref_matches(&dev->peers[i], dev->peers[i].name, dev->peers[i].public_key, f);
		for (uint32_t i = 0; i < d->n_tracks; ++i)
			if (!d->tracks[i].present)
				expect += ref_matches(NULL, d->tracks[i].gone_name, d->tracks[i].key, f);
		if (app.n_rows != expect)
			fail_msg("filter '%s': %u rows, strncasecmp finds %u", f, app.n_rows, expect);
		for (uint32_t i = 0; i < app.n_rows; ++i) {
			const struct app_row *r = &app.rows[i];
			const struct wg_peer *q = r->peer >= 0 ? &dev->peers[r->peer] : NULL;

			if (!ref_matches(q, app_row_name(&app, r), d->tracks[r->track].key, f))
				fail_msg("filter '%s' shows row %u, which strncasecmp does not find", f, i);
		}
	}
	app_free(&app);
}

/* Events pass the same filter by their type, peer name, summary or key, case aside. */
static void test_filter_events(void **state)
{
	static const char *const filters[] = { "online", "ONLINE", "bob", "Bob-", "-", "handshake", "aqe",
					       "AQEB", "=", "peer_", "zz", "s 3", "/" };
	struct wg_history_event ev[3] = {
		{ .type = "peer_online", .name = "bob-laptop", .summary = "handshake 3 s ago", .has_key = true },
		{ .type = "interface_up", .summary = "wg0 is up" },
		{ .type = "peer_offline", .name = "", .summary = "no handshake for 3 min", .has_key = true },
	};

	memset(ev[0].key, 1, WG_KEY_LEN);
	memset(ev[2].key, 0xfe, WG_KEY_LEN);
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); ++i) {
		struct app_filter f;

		app_filter_init(&f, filters[i]);
		for (size_t k = 0; k < 3; ++k) {
			char b64[WG_KEY_B64_LEN] = "";
			bool want;

			if (ev[k].has_key)
				key_to_base64(b64, ev[k].key);
			want = ref_contains(ev[k].type, filters[i]) || ref_contains(ev[k].name, filters[i]) ||
			       ref_contains(ev[k].summary, filters[i]) || ref_contains(b64, filters[i]);
			if (app_filter_event(&f, &ev[k]) != want)
				fail_msg("filter '%s', event %zu: %d, strncasecmp says %d", filters[i], k,
					 !want, want);
		}
	}
}

static void test_sort_by_state(void **state)
{
	const struct fake_peer mixed[] = {
		{ 1, "never", 0, 0, 0, NULL },
		{ 2, "stale", 0, 0, NOW - 1000, NULL },
		{ 3, "online", 0, 0, NOW, NULL },
	};
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, mixed, 3));
	while (app.sort != APP_COL_STATE)
		app_key(&app, '>');
	assert_string_equal(row_name(&app, 0), "online");
	assert_string_equal(row_name(&app, 1), "stale");
	assert_string_equal(row_name(&app, 2), "never");
	app_free(&app);
}

static void test_views_and_keys(void **state)
{
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app.view, VIEW_DETAIL);
	app_key(&app, AK_ESC);
	assert_int_equal(app.view, VIEW_MAIN);
	app_key(&app, '?');
	assert_int_equal(app.view, VIEW_HELP);
	app_key(&app, 'x');	/* any key leaves help */
	assert_int_equal(app.view, VIEW_MAIN);
	assert_int_equal(app_key(&app, ' ') & APP_REDRAW, APP_REDRAW);
	assert_true(app.paused);
	assert_true(app_key(&app, ' ') & APP_RESAMPLE);
	assert_false(app.paused);
	assert_true(app_key(&app, '+') & APP_RESAMPLE);
	assert_true(app.interval > 1.9 && app.interval < 2.1);
	app_key(&app, '-');
	app_key(&app, '-');
	assert_true(app.interval > 0.49 && app.interval < 0.51);
	for (int i = 0; i < 20; ++i)
		app_key(&app, '-');
	assert_true(app.interval > 0.19 && app.interval < 0.21);
	assert_int_equal(app_key(&app, AK_F10), APP_QUIT);
	assert_int_equal(app_key(&app, 0x2603), 0);	/* an unbound key does nothing */
	/* every binding has a label and a help text */
	for (size_t i = 0; i < app_n_bindings; ++i) {
		assert_true(app_bindings[i].label[0]);
		assert_true(app_bindings[i].help[0]);
	}
	app_free(&app);
}

static void test_interfaces(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct app app;

	wg_snapshot_add_device(snap, make_device("wg0", three, 3));
	wg_snapshot_add_device(snap, make_device("wg1", three, 1));
	snap->wall.tv_sec = NOW;
	app_init(&app, 1);
	app_update(&app, snap);
	assert_string_equal(app_device(&app)->name, "wg0");
	assert_int_equal(app.n_rows, 3);
	app_key(&app, AK_TAB);
	assert_string_equal(app_device(&app)->name, "wg1");
	assert_int_equal(app.n_rows, 1);
	/* wg1 vanishes: say so and show what is there */
	app_update(&app, make_snap(1, three, 3));
	assert_string_equal(app_device(&app)->name, "wg0");
	assert_non_null(strstr(app.message, "wg1"));
	app_set_error(&app, "timed out");
	assert_string_equal(app.error, "timed out");
	app_free(&app);
}

static void test_ten_thousand_peers(void **state)
{
	static struct fake_peer many[10000];
	char names[10000][8];
	struct app app;

	for (int i = 0; i < 10000; ++i) {
		snprintf(names[i], sizeof(names[i]), "p%05d", 9999 - i);
		many[i] = (struct fake_peer){ 0, names[i], (uint64_t)i, 0, NOW, NULL };
	}
	app_init(&app, 1);
	/* keys must differ: build the device by hand */
	{
		struct wg_snapshot *snap = wg_snapshot_new();
		struct wg_device *dev = wg_device_new("wg0");

		for (int i = 0; i < 10000; ++i) {
			uint8_t key[WG_KEY_LEN] = { 0 };
			struct wg_peer *p;

			memcpy(key, &i, sizeof(i));
			p = wg_device_get_peer(dev, key, NULL);
			wg_peer_set_name(p, many[i].name);
		}
		wg_snapshot_add_device(snap, dev);
		snap->wall.tv_sec = NOW;
		assert_int_equal(app_update(&app, snap), 0);
	}
	assert_int_equal(app.n_rows, 10000);
	assert_string_equal(row_name(&app, 0), "p00000");
	assert_string_equal(row_name(&app, 9999), "p09999");
	app_key(&app, AK_END);
	assert_int_equal(app_selected_row(&app), 9999);
	app.page_rows = 20;
	app_key(&app, AK_PGUP);
	assert_int_equal(app_selected_row(&app), 9999 - 19);
	app_free(&app);
}

/* --- dialogs --- */

static void test_pager_scrolling(void **state)
{
	struct app app;
	char line[16];

	app_init(&app, 1);
	app_pager_open(&app, "text", false, false);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	/* several lines at once, split at newlines */
	assert_int_equal(app_pager_add(&app, APP_LINE_TEXT, 0, 0, "one\ntwo\n"), 0);
	assert_int_equal(app.pager.n, 2);
	for (int i = 2; i < 50; ++i) {
		snprintf(line, sizeof(line), "line %d", i);
		app_pager_add(&app, APP_LINE_TEXT, 0, 0, line);
	}
	assert_int_equal(app.pager.n, 50);
	app_pager_add(&app, APP_LINE_TEXT, 0, 0, "a\tb");
	assert_string_equal(app.pager.lines[50].text, "a   b");
	app.pager.n = 50;
	free(app.pager.lines[50].text);
	app.pager.page = 10;	/* as a render of ten rows leaves it */
	assert_int_equal(app_key(&app, AK_DOWN), APP_REDRAW);
	assert_int_equal(app.pager.top, 1);
	app_key(&app, 'k');
	app_key(&app, AK_UP);	/* not above the first line */
	assert_int_equal(app.pager.top, 0);
	app_key(&app, AK_PGDN);	/* a page less one line, as less does */
	assert_int_equal(app.pager.top, 9);
	app_key(&app, AK_END);	/* the last page ends with the last line */
	assert_int_equal(app.pager.top, 40);
	app_key(&app, AK_PGDN);
	assert_int_equal(app.pager.top, 40);
	app_key(&app, AK_PGUP);
	assert_int_equal(app.pager.top, 31);
	app_key(&app, AK_HOME);
	assert_int_equal(app.pager.top, 0);
	/* no apply in a plain pager; q and Esc close it */
	assert_int_equal(app_key(&app, 'a'), 0);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	app_key(&app, 'q');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	/* keys are the main screen's again */
	assert_int_equal(app_key(&app, 'q'), APP_QUIT);
	app_free(&app);
}

static void test_diff_apply_and_warning(void **state)
{
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	assert_int_equal(app_key(&app, 'F'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_PREVIEW);
	/* the loop's answer: the diff, with a warning */
	assert_int_equal(app_show_diff(&app, "Firewall", "# add table inet wgstar",
				       "--- a\n+++ b\n@@ -1 +1,3 @@\n x\n+table inet wgstar {\n+\tchain forward {\n",
				       "warning: the new ruleset would drop your ssh connection (TCP port 22)"), 0);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_int_equal(app.pager.lines[0].kind, APP_LINE_WARN);
	assert_int_equal(app.pager.lines[1].kind, APP_LINE_NOTE);
	assert_int_equal(app.pager.lines[2].kind, APP_LINE_DIFF);
	assert_string_equal(app.pager.lines[6].text, "+table inet wgstar {");
	/* tabs to stops of four columns, counted after a diff's first character */
	assert_string_equal(app.pager.lines[7].text, "+    chain forward {");
	/* a asks first when the change would lock the operator out; Esc goes back to the diff */
	assert_int_equal(app_key(&app, 'a'), APP_REDRAW);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_non_null(strstr(app.confirm.question, "ssh connection"));
	assert_non_null(strstr(app.confirm.question, "Apply anyway?"));
	app_key(&app, AK_ESC);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	app_key(&app, 'a');
	assert_int_equal(app_key(&app, 'n'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	app_key(&app, 'a');
	assert_int_equal(app_key(&app, 'y'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_APPLY);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	/* without a warning a applies at once */
	app_show_diff(&app, "Firewall", NULL, "+x\n", "");
	assert_int_equal(app.pager.n, 1);
	assert_int_equal(app_key(&app, 'a'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_APPLY);
	/* the next key starts without a request */
	app_key(&app, 's');
	assert_int_equal(app.req.what, APP_REQ_NONE);
	app_free(&app);
}

static void test_countdown(void **state)
{
	struct app app;
	char buf[APP_TEXT_MAX];

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	assert_null(app_countdown_text(&app, buf, sizeof(buf)));
	app.mono_now = 100;
	app_set_countdown(&app, 130);
	assert_string_equal(app_countdown_text(&app, buf, sizeof(buf)),
			    "confirm within 30 s: press c to keep, u to undo");
	app.mono_now = 102.5;
	assert_string_equal(app_countdown_text(&app, buf, sizeof(buf)),
			    "confirm within 28 s: press c to keep, u to undo");
	app.mono_now = 131;
	assert_string_equal(app_countdown_text(&app, buf, sizeof(buf)),
			    "confirm within 0 s: press c to keep, u to undo");
	app.mono_now = 103;
	/* no second change while one waits */
	assert_int_equal(app_key(&app, 'F'), APP_REDRAW);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_non_null(strstr(app.message, "c keeps it"));
	/* c keeps, u undoes: both go to the guard */
	assert_int_equal(app_key(&app, 'c'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_CONFIRM);
	assert_int_equal(app_key(&app, 'u'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_ROLLBACK);
	/* quitting while it waits asks first */
	assert_int_equal(app_key(&app, 'q'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_non_null(strstr(app.confirm.question, "rolled back in 27 s"));
	app_key(&app, 'n');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	app_key(&app, 'q');
	assert_int_equal(app_key(&app, 'y'), APP_REDRAW | APP_QUIT);
	app_set_countdown(&app, 0);
	assert_null(app_countdown_text(&app, buf, sizeof(buf)));
	assert_int_equal(app_key(&app, 'q'), APP_QUIT);
	app_free(&app);
}

static void test_forward_switch(void **state)
{
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app.fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = 0 };
	snprintf(app.sysctl_file, sizeof(app.sysctl_file), "/etc/sysctl.d/99-wgstar.conf");
	app_key(&app, 'w');
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_true(app.pager.select);
	assert_int_equal(app.pager.n, 2);
	assert_string_equal(app.pager.lines[0].text, "IPv4 forwarding: on; Enter turns it off");
	assert_string_equal(app.pager.lines[1].text, "IPv6 forwarding: off; Enter turns it on");
	/* IPv4 off, not persisted */
	app_key(&app, AK_ENTER);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_string_equal(app.confirm.question, "Turn IPv4 forwarding off in this network namespace?");
	assert_int_equal(app_key(&app, 'y'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_string_equal(app.confirm.question, "Also turn IPv4 forwarding off at boot, in /etc/sysctl.d/99-wgstar.conf?");
	/* Esc: nothing switched, back at the list */
	app_key(&app, AK_ESC);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	app_key(&app, AK_ENTER);
	app_key(&app, 'y');
	assert_int_equal(app_key(&app, 'n'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FORWARD);
	assert_false(app.req.ipv6);
	assert_int_equal(app.req.value, 0);
	assert_false(app.req.persist);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	/* IPv6 on, persisted */
	app_key(&app, 'w');
	app_key(&app, AK_DOWN);
	app_key(&app, AK_ENTER);
	assert_string_equal(app.confirm.question, "Turn IPv6 forwarding on in this network namespace?");
	app_key(&app, 'y');
	assert_int_equal(app_key(&app, 'y'), APP_REDRAW | APP_REQUEST);
	assert_true(app.req.ipv6);
	assert_int_equal(app.req.value, 1);
	assert_true(app.req.persist);
	/* n on the first question cancels */
	app_key(&app, 'w');
	app_key(&app, AK_ENTER);
	assert_int_equal(app_key(&app, 'n'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	/* an unknown state offers nothing */
	app_key(&app, AK_ESC);
	app.fwd.ipv6 = -1;
	app_key(&app, 'w');
	app_key(&app, AK_END);
	assert_string_equal(app.pager.lines[1].text, "IPv6 forwarding: unknown");
	assert_int_equal(app_key(&app, AK_ENTER), 0);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	app_free(&app);
}

static void test_check_pick_and_fix(void **state)
{
	struct check_finding findings[3] = {
		{ "IPv4 forwarding is off in this network namespace", "wgstar-top forward on", CHECK_FIX_FORWARD_IPV4 },
		{ "alice never completed a handshake", "", CHECK_FIX_NONE },
		{ "chain ip filter FORWARD drops", "iptables -A FORWARD -i wg0 -o wg0 -j ACCEPT", CHECK_FIX_NONE },
	};
	struct check_result r = { .v = findings, .n = 3 };
	uint8_t bob[WG_KEY_LEN];
	struct app app;

	memset(bob, 3, sizeof(bob));
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app.fwd = (struct fwd_state){ .ipv4 = 0, .ipv6 = 1 };
	/* alice is selected: the list offers everyone else, in the table's order */
	assert_string_equal(row_name(&app, (uint32_t)app_selected_row(&app)), "alice");
	app_key(&app, 'x');
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_string_equal(app.pager.title, "Check alice with");
	assert_int_equal(app.pager.n, 3);
	assert_string_equal(app.pager.lines[0].text, "every other peer");
	assert_string_equal(app.pager.lines[1].text, "bob");
	assert_string_equal(app.pager.lines[2].text, "carol");
	app_key(&app, AK_DOWN);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_CHECK);
	assert_true(app.req.with_b);
	assert_memory_equal(app.req.peer_b, bob, WG_KEY_LEN);
	assert_int_equal(app.req.peer_a[0], 2);
	/* every other peer */
	app_key(&app, 'x');
	app_key(&app, AK_ENTER);
	assert_false(app.req.with_b);

	/* the findings, one a line; Enter fixes what wgstar can fix */
	assert_int_equal(app_show_check(&app, "Check: alice and bob", &r), 0);
	assert_int_equal(app.pager.n, 3);
	assert_non_null(strstr(app.pager.lines[0].text, "Enter switches IPv4 forwarding on"));
	assert_string_equal(app.pager.lines[1].text, "alice never completed a handshake");
	assert_string_equal(app.pager.lines[2].text,
			    "chain ip filter FORWARD drops; fix: iptables -A FORWARD -i wg0 -o wg0 -j ACCEPT");
	app_key(&app, AK_END);
	assert_int_equal(app_key(&app, AK_ENTER), 0);	/* a command for people: nothing to do here */
	app_key(&app, AK_HOME);
	app_key(&app, AK_ENTER);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_string_equal(app.confirm.question, "Turn IPv4 forwarding on in this network namespace?");
	app_key(&app, 'y');
	assert_int_equal(app_key(&app, 'n'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FORWARD);
	assert_int_equal(app.req.value, 1);
	/* a firewall fix is the firewall preview */
	findings[0].kind = CHECK_FIX_FIREWALL;
	app_show_check(&app, "Check", &r);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FIREWALL_PREVIEW);
	/* nothing found */
	r.n = 0;
	app_show_check(&app, "Check", &r);
	assert_int_equal(app.pager.n, 1);
	/* without a peer there is nothing to start from */
	app_modal_close_all(&app);
	app_free(&app);
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 0));
	app_key(&app, 'x');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_non_null(strstr(app.message, "select a peer"));
	app_free(&app);
}

static void test_read_only(void **state)
{
	static const int keys[] = { 'F', 'c', 'u', 'w', 'n', 'e', 'D', AK_DELETE };
	struct check_finding fix = { "IPv4 forwarding is off", "wgstar-top forward on", CHECK_FIX_FORWARD_IPV4 };
	struct check_result r = { .v = &fix, .n = 1 };
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app.read_only = true;
	app.fwd = (struct fwd_state){ .ipv4 = 0, .ipv6 = 0 };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); ++i) {
		assert_int_equal(app_key(&app, keys[i]), APP_REDRAW);
		assert_int_equal(app.req.what, APP_REQ_NONE);
		assert_int_equal(app_modal_top(&app), MODAL_NONE);
		assert_string_equal(app.message, "read-only: no changes");
	}
	/* a check only looks: it runs, but its fixes are refused */
	assert_int_equal(app_key(&app, 'x'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	app_show_check(&app, "Check", &r);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_string_equal(app.message, "read-only: no changes");
	/* drift is shown, but offers no way to reconcile it */
	app_modal_close_all(&app);
	{
		struct peer_drift d = { .live = true, .name = "bob" };

		memset(d.key, 3, sizeof(d.key));
		assert_int_equal(app_set_drift(&app, "wg0", &d, 1, NULL), 0);
	}
	assert_int_equal(app_key(&app, 'd'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	for (size_t i = 0; i < app.pager.n; ++i)
		assert_int_equal(app.pager.lines[i].action, 0);
	assert_string_equal(app.pager.lines[app.pager.n - 1].text, "read-only: reconciling is off");
	/* and a reconcile previewed anyway is refused at 'a' */
	app_show_reconcile(&app, "Reconcile", DRIFT_TO_LIVE, "- remove from wg0: bob\n");
	assert_int_equal(app_key(&app, 'a'), APP_REDRAW);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_string_equal(app.message, "read-only: no changes");
	app_free(&app);
}

static bool validate_peer(const struct app_form *f, char *err, size_t len, size_t *field)
{
	if (!f->fields[0].buf[0]) {
		snprintf(err, len, "a name is needed");
		*field = 0;
		return false;
	}
	if (strchr(f->fields[3].buf, 'x')) {
		snprintf(err, len, "the keepalive is a number of seconds");
		*field = 3;
		return false;
	}
	return true;
}

static void type(struct app *app, const int *cps, size_t n)
{
	for (size_t i = 0; i < n; ++i)
		assert_int_equal(app_key(app, cps[i]), APP_REDRAW);
}

static void test_form_editing(void **state)
{
	static const char *const key_choices[] = { "generate", "paste" };
	static const int zoe[] = { 'z', 'o', 0xeb, 0x4e2d };	/* ë (2 bytes), 中 (3 bytes) */
	struct app app;
	struct app_field *name, *addr;

	app_init(&app, 1);
	app_form_open(&app, "Add a peer", 7, validate_peer);
	assert_int_equal(app_form_add(&app, "Name", 16, NULL), 0);
	assert_int_equal(app_form_add_choice(&app, "Key", key_choices, 2, 0), 1);
	assert_int_equal(app_form_add(&app, "Address", 0, "10.172.16.9/32"), 2);
	assert_int_equal(app_form_add(&app, "Keepalive", 5, "25"), 3);
	assert_int_equal(app_form_add(&app, "Endpoint", 0, ""), 4);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	name = &app.form.fields[0];
	addr = &app.form.fields[2];
	assert_int_equal(addr->cursor, strlen("10.172.16.9/32"));

	/* UTF-8 in, a character out per Backspace */
	type(&app, zoe, 4);
	assert_string_equal(name->buf, "zo\u00eb\u4e2d");
	assert_int_equal(name->cursor, 7);
	app_key(&app, AK_BACKSPACE);
	assert_string_equal(name->buf, "zo\u00eb");
	app_key(&app, AK_BACKSPACE);
	assert_string_equal(name->buf, "zo");
	/* Left, Home, End and insertion in the middle */
	type(&app, zoe + 2, 1);
	app_key(&app, AK_LEFT);
	assert_int_equal(name->cursor, 2);
	app_key(&app, 'x');
	assert_string_equal(name->buf, "zox\u00eb");
	app_key(&app, AK_HOME);
	app_key(&app, AK_DELETE);
	assert_string_equal(name->buf, "ox\u00eb");
	app_key(&app, AK_RIGHT);
	app_key(&app, AK_RIGHT);
	assert_int_equal(name->cursor, 2);
	app_key(&app, AK_RIGHT);
	assert_int_equal(name->cursor, 4);
	app_key(&app, AK_RIGHT);	/* not past the end */
	assert_int_equal(name->cursor, 4);
	/* Ctrl-U: up to the cursor */
	app_key(&app, AK_LEFT);
	app_key(&app, AK_KILL_LINE);
	assert_string_equal(name->buf, "\u00eb");
	assert_int_equal(name->cursor, 0);
	app_key(&app, AK_END);
	app_key(&app, AK_KILL_LINE);
	assert_string_equal(name->buf, "");
	/* control characters are not text; the field holds at most max bytes */
	assert_int_equal(app_key(&app, 0x01), 0);
	for (int i = 0; i < 20; ++i)
		app_key(&app, 'a' + i);
	assert_int_equal(strlen(name->buf), 16);
	assert_int_equal(app_key(&app, 0xeb), 0);

	/* Tab, Shift-Tab, Down and Up move between fields, around the ends */
	app_key(&app, AK_TAB);
	assert_int_equal(app.form.focus, 1);
	/* Space steps through a choice, Left goes back; typing does nothing there */
	app_key(&app, ' ');
	assert_string_equal(app.form.fields[1].buf, "paste");
	app_key(&app, ' ');
	assert_string_equal(app.form.fields[1].buf, "generate");
	app_key(&app, AK_LEFT);
	assert_string_equal(app.form.fields[1].buf, "paste");
	assert_int_equal(app.form.fields[1].choice, 1);
	assert_int_equal(app_key(&app, 'q'), 0);
	app_key(&app, AK_BTAB);
	app_key(&app, AK_UP);
	assert_int_equal(app.form.focus, 4);
	app_key(&app, AK_DOWN);
	assert_int_equal(app.form.focus, 0);

	/* Enter validates: the error goes under the form, the focus to the field at fault */
	app_key(&app, AK_TAB);
	app_key(&app, AK_TAB);
	app_key(&app, AK_TAB);
	app_key(&app, 'x');
	assert_string_equal(app.form.fields[3].buf, "25x");
	app_key(&app, AK_HOME);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_string_equal(app.form.error, "the keepalive is a number of seconds");
	assert_int_equal(app.form.focus, 3);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	/* editing clears it; a valid form is a request, and the fields stay for the loop */
	app_key(&app, AK_END);
	app_key(&app, AK_BACKSPACE);
	assert_string_equal(app.form.error, "");
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FORM);
	assert_int_equal(app.req.form, 7);
	/* the form stays until the loop is done with it: it may have more to say */
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_string_equal(app.form.fields[3].buf, "25");
	assert_string_equal(app.form.fields[1].buf, "paste");
	app_form_fail(&app, "10.172.16.9/32 is bob's already", 2);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_string_equal(app.form.error, "10.172.16.9/32 is bob's already");
	assert_int_equal(app.form.focus, 2);
	app_form_close(&app);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);

	/* Esc cancels */
	app_form_open(&app, "Add a peer", 7, validate_peer);
	app_form_add(&app, "Name", 16, "a name far longer than sixteen bytes");
	assert_string_equal(app.form.fields[0].buf, "a name far longe");
	app_key(&app, AK_ESC);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	app_free(&app);
}

static const char client_conf[] =
	"[Interface]\n"
	"# Name = phone\n"
	"Address = 10.172.16.5/24\n"
	"PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
	"\n"
	"[Peer]\n"
	"PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
	"Endpoint = vpn.example.net:51820\n"
	"AllowedIPs = 10.172.16.0/24\n"
	"PersistentKeepalive = 25\n";

static void test_add_peer_form(void **state)
{
	static const int phone[] = { 'p', 'h', 'o', 'n', 'e' };
	const char *key = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=";
	struct app app;
	struct app_form *f = &app.form;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	/* n asks the loop for the settings and the next free address first */
	assert_int_equal(app_key(&app, 'n'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_PEER_ADD_FORM);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	app_peer_add_form(&app, NULL, "10.172.16.1", "10.172.16.5/32");
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_int_equal(f->id, APP_FORM_ADD_PEER);
	assert_int_equal(f->n, APP_ADD_N_FIELDS);
	assert_string_equal(f->title, "New peer on wg0");
	assert_string_equal(f->fields[APP_ADD_NAME].label, "Name");
	assert_string_equal(f->fields[APP_ADD_KEY].buf, "generate here");
	assert_string_equal(f->fields[APP_ADD_PSK].buf, "no");
	assert_string_equal(f->fields[APP_ADD_ADDRESS].buf, "");
	assert_non_null(strstr(f->fields[APP_ADD_ADDRESS].hint, "10.172.16.5/32"));
	assert_string_equal(f->fields[APP_ADD_ENDPOINT].buf, "");
	assert_string_equal(f->fields[APP_ADD_DNS].buf, "10.172.16.1");
	assert_int_equal(f->focus, APP_ADD_NAME);

	/* validation: the name, then the endpoint that is not known yet */
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	assert_string_equal(f->error, "a peer needs a name");
	type(&app, phone, 5);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(f->focus, APP_ADD_ENDPOINT);
	assert_non_null(strstr(f->error, "endpoint"));
	for (const char *p = "vpn.example.net"; *p; ++p)
		app_key(&app, *p);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_string_equal(f->error, "not an endpoint (HOST:PORT)");
	for (const char *p = ":51820"; *p; ++p)
		app_key(&app, *p);

	/* pasting a key: the choice, then the key's shape */
	while (f->focus != APP_ADD_KEY)
		app_key(&app, AK_BTAB);
	app_key(&app, ' ');
	assert_string_equal(f->fields[APP_ADD_KEY].buf, "paste a public key");
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(f->focus, APP_ADD_PUBLIC_KEY);
	assert_non_null(strstr(f->error, "paste the device's public key"));
	for (const char *p = "not-a-key"; *p; ++p)
		app_key(&app, *p);
	app_key(&app, AK_ENTER);
	assert_string_equal(f->error, "not a WireGuard public key (base64 of 32 bytes)");
	app_key(&app, AK_KILL_LINE);
	for (const char *p = key; *p; ++p)
		app_key(&app, *p);
	/* a preshared key, a keepalive that is no number, an address list that is none */
	app_key(&app, AK_TAB);
	app_key(&app, ' ');
	assert_string_equal(f->fields[APP_ADD_PSK].buf, "yes");
	app_key(&app, AK_TAB);
	for (const char *p = "10.172.16.300"; *p; ++p)
		app_key(&app, *p);
	app_key(&app, AK_TAB);
	app_key(&app, 'x');
	app_key(&app, AK_ENTER);
	assert_int_equal(f->focus, APP_ADD_ADDRESS);
	assert_non_null(strstr(f->error, "not a list of addresses"));
	app_key(&app, AK_KILL_LINE);
	app_key(&app, AK_ENTER);
	assert_int_equal(f->focus, APP_ADD_KEEPALIVE);
	assert_string_equal(f->error, "the keepalive is seconds from 0 to 65535");
	app_key(&app, AK_BACKSPACE);
	app_key(&app, '2');
	app_key(&app, '5');

	/* valid: a request for the loop, the form still open for what the dry run finds */
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_FORM);
	assert_int_equal(app.req.form, APP_FORM_ADD_PEER);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_string_equal(f->fields[APP_ADD_PUBLIC_KEY].buf, key);
	assert_string_equal(f->fields[APP_ADD_KEEPALIVE].buf, "25");
	app_form_fail(&app, "that key is a peer of wg0 already: alice", APP_ADD_PUBLIC_KEY);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_int_equal(f->focus, APP_ADD_PUBLIC_KEY);
	assert_string_equal(f->error, "that key is a peer of wg0 already: alice");

	/* added: the client config replaces the form */
	assert_int_equal(app_show_client(&app, "Client config of phone", "phone", client_conf), 0);
	assert_int_equal(app.n_modals, 1);
	assert_int_equal(app_modal_top(&app), MODAL_CLIENT);
	assert_string_equal(app.client.text, client_conf);
	assert_true(app.client.art[0].n > 0);
	assert_true(app.client.art[1].n > 0);
	assert_int_equal(app.client.qr_error, 0);
	/* s asks where to save it; Esc goes back to it */
	assert_int_equal(app_key(&app, 's'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_int_equal(f->id, APP_FORM_SAVE_CLIENT);
	assert_string_equal(f->fields[0].buf, "phone.conf");
	app_key(&app, AK_KILL_LINE);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_string_equal(f->error, "a file name is needed");
	app_key(&app, AK_ESC);
	assert_int_equal(app_modal_top(&app), MODAL_CLIENT);
	/* t: the text alone; Esc closes and wipes the private key, and says it is gone */
	app_key(&app, 't');
	assert_true(app.client.text_only);
	assert_int_equal(app_key(&app, AK_ESC), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_null(app.client.text);
	assert_int_equal(app.client.art[0].n, 0);
	assert_non_null(strstr(app.message, "private key is kept nowhere"));
	/* a saved one goes without the warning */
	app_show_client(&app, "Client config of phone", "phone", client_conf);
	snprintf(app.client.saved, sizeof(app.client.saved), "phone.conf");
	app_key(&app, 'q');
	assert_string_equal(app.message, "");
	/* a config too long for any QR code is shown as text */
	{
		char *big = malloc(4000);

		memset(big, 'x', 3999);
		big[3999] = '\0';
		assert_int_equal(app_show_client(&app, "Client config", "x", big), 0);
		assert_int_equal(app.client.qr_error, -EMSGSIZE);
		assert_int_equal(app.client.art[0].n, 0);
		free(big);
	}
	app_free(&app);
}

static void test_remove_and_edit(void **state)
{
	static const int rename[] = { 'i', 'e' };
	uint8_t bob[WG_KEY_LEN], alice[WG_KEY_LEN];
	struct app app;
	struct app_form *f = &app.form;

	memset(bob, 3, sizeof(bob));
	memset(alice, 2, sizeof(alice));
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	/* D on bob: a question naming him, his key's start and the interface */
	app_key(&app, AK_DOWN);
	assert_string_equal(row_name(&app, (uint32_t)app_selected_row(&app)), "bob");
	assert_int_equal(app_key(&app, 'D'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_string_equal(app.confirm.question,
			    "Remove peer bob (AwMDAwMDAwMDAwMD...) from wg0, live and from its config file?");
	assert_string_equal(app.confirm.yes, "remove");
	/* n keeps him */
	app_key(&app, 'n');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_int_equal(app.req.what, APP_REQ_NONE);
	/* Delete asks the same; y asks the loop to remove that key */
	app_key(&app, AK_DELETE);
	assert_int_equal(app_modal_top(&app), MODAL_CONFIRM);
	assert_int_equal(app_key(&app, 'y'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_PEER_REMOVE);
	assert_memory_equal(app.req.peer_a, bob, WG_KEY_LEN);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);

	/* e on alice: her name and allowed IPs, prefilled */
	app_key(&app, AK_HOME);
	assert_int_equal(app_key(&app, 'e'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_FORM);
	assert_int_equal(f->id, APP_FORM_EDIT_PEER);
	assert_string_equal(f->title, "Edit peer alice");
	assert_string_equal(f->fields[APP_EDIT_NAME].buf, "alice");
	assert_string_equal(f->fields[APP_EDIT_ALLOWED_IPS].buf, "10.172.16.2/32");
	assert_memory_equal(app.target, alice, WG_KEY_LEN);
	assert_string_equal(app.target_name, "alice");
	assert_string_equal(app.target_allowed, "10.172.16.2/32");
	type(&app, rename, 2);
	app_key(&app, AK_TAB);
	app_key(&app, AK_KILL_LINE);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(f->focus, APP_EDIT_ALLOWED_IPS);
	assert_string_equal(f->error, "a peer needs at least one allowed IP");
	for (const char *p = "10.172.16.2/32, 10.172.16.64/27"; *p; ++p)
		app_key(&app, *p);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.form, APP_FORM_EDIT_PEER);
	assert_string_equal(f->fields[APP_EDIT_NAME].buf, "aliceie");
	app_form_close(&app);

	/* a vanished peer cannot be removed or edited */
	app_update(&app, make_snap(1, three, 2));
	app_key(&app, AK_END);
	assert_true(app.rows[app_selected_row(&app)].peer < 0);
	app_key(&app, 'D');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_string_equal(app.message, "select a live peer first");
	app_key(&app, 'e');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	app_free(&app);
}

static void test_drift(void **state)
{
	struct peer_drift d[2] = { { .live = true, .name = "bob" }, { .live = false, .name = "old-laptop" } };
	struct dev_state *ds;
	struct app app;
	int64_t bob;

	memset(d[0].key, 3, sizeof(d[0].key));
	memset(d[1].key, 9, sizeof(d[1].key));
	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	/* the first sample: every key is new, so the loop looks for drift */
	ds = app_dev_state(&app);
	assert_true(ds->keys_changed);
	app_update(&app, make_snap(1, three, 3));
	assert_false(app_dev_state(&app)->keys_changed);
	app_key(&app, 'd');
	assert_string_equal(app.message, "drift is not known yet");

	assert_int_equal(app_set_drift(&app, "wg0", d, 2, NULL), 0);
	assert_non_null(app_drift(&app));
	assert_int_equal(app_drift(&app)->n_live, 1);
	assert_int_equal(app_drift(&app)->n_file, 1);
	ds = app_dev_state(&app);
	bob = keyidx_find(&ds->index, ds->tracks, d[0].key);
	assert_true(bob >= 0);
	assert_true(ds->tracks[bob].live_only);
	for (uint32_t i = 0; i < ds->n_tracks; ++i)
		assert_true(ds->tracks[i].live_only == (i == bob));
	/* the mark survives samples; drift of another interface is not this one's */
	app_update(&app, make_snap(2, three, 3));
	ds = app_dev_state(&app);
	assert_true(ds->tracks[keyidx_find(&ds->index, ds->tracks, d[0].key)].live_only);

	/* d lists both and offers the two directions, the first chosen */
	assert_int_equal(app_key(&app, 'd'), APP_REDRAW);
	assert_int_equal(app_modal_top(&app), MODAL_PAGER);
	assert_true(app.pager.select);
	assert_non_null(strstr(app.pager.lines[0].text, "live only:"));
	assert_non_null(strstr(app.pager.lines[0].text, "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM= bob"));
	assert_non_null(strstr(app.pager.lines[1].text, "in file only:"));
	assert_non_null(strstr(app.pager.lines[1].text, "old-laptop"));
	assert_int_equal(app.pager.lines[app.pager.cursor].action, APP_STEP_DRIFT);
	assert_int_equal(app.pager.lines[app.pager.cursor].arg, DRIFT_TO_FILE);
	app_key(&app, AK_DOWN);
	assert_int_equal(app.pager.lines[app.pager.cursor].arg, DRIFT_TO_LIVE);
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_DRIFT_PREVIEW);
	assert_int_equal(app.req.value, DRIFT_TO_LIVE);
	/* the preview: 'a' applies that direction */
	assert_int_equal(app_show_reconcile(&app, "Reconcile wg0", DRIFT_TO_LIVE,
					    "- remove from wg0: bob (AwMD...)\n+ add to wg0: old-laptop (CQkJ...)\n"), 0);
	assert_int_equal(app.pager.n, 2);
	assert_int_equal(app.pager.lines[0].kind, APP_LINE_DIFF);
	assert_int_equal(app_key(&app, 'a'), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.what, APP_REQ_DRIFT_APPLY);
	assert_int_equal(app.req.value, DRIFT_TO_LIVE);
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	/* and to file likewise */
	app_key(&app, 'd');
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW | APP_REQUEST);
	assert_int_equal(app.req.value, DRIFT_TO_FILE);

	/* agreed again: no marks, and d says so */
	assert_int_equal(app_set_drift(&app, "wg0", NULL, 0, NULL), 0);
	ds = app_dev_state(&app);
	for (uint32_t i = 0; i < ds->n_tracks; ++i)
		assert_false(ds->tracks[i].live_only);
	app_key(&app, 'd');
	assert_int_equal(app_modal_top(&app), MODAL_NONE);
	assert_string_equal(app.message, "the live interface and its config file agree");
	/* unknown, and why */
	app_set_drift(&app, "wg0", NULL, 0, "wg0 has no config file /etc/wireguard/wg0.conf; give its path with -c");
	app_key(&app, 'd');
	assert_non_null(strstr(app.message, "has no config file"));
	/* for another interface: not this one's */
	app_set_drift(&app, "wg1", d, 2, NULL);
	assert_null(app_drift(&app));
	app_free(&app);
}

static void test_help_scrolls(void **state)
{
	struct app app;

	app_init(&app, 1);
	app_update(&app, make_snap(0, three, 3));
	app_key(&app, '?');
	app.help_page = 8;
	app_key(&app, AK_DOWN);
	app_key(&app, 'j');
	assert_int_equal(app.help_top, 2);
	app_key(&app, AK_PGDN);
	assert_int_equal(app.help_top, 9);
	app_key(&app, AK_UP);
	assert_int_equal(app.help_top, 8);
	app_key(&app, AK_HOME);
	assert_int_equal(app.help_top, 0);
	app_key(&app, AK_UP);
	assert_int_equal(app.help_top, 0);
	assert_int_equal(app.view, VIEW_HELP);
	app_key(&app, 's');	/* anything else goes back */
	assert_int_equal(app.view, VIEW_MAIN);
	/* every key of the dialogs is documented */
	for (size_t i = 0; i < app_n_dialog_keys; ++i) {
		assert_true(app_dialog_keys[i].label[0]);
		assert_true(app_dialog_keys[i].help[0]);
	}
	app_free(&app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_sorted_by_name_first_sample_no_rate),
		cmocka_unit_test(test_rates_and_history),
		cmocka_unit_test(test_forwarded_rate_between_readings),
		cmocka_unit_test(test_selection_follows_peer),
		cmocka_unit_test(test_vanished_peer_marked_then_dropped),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_sort_by_rate_and_reverse),
		cmocka_unit_test(test_order_follows_the_rates),
		cmocka_unit_test(test_no_peers),
		cmocka_unit_test(test_sort_by_state),
		cmocka_unit_test(test_sort_words_agree_with_the_whole_order),
		cmocka_unit_test(test_sort_by_name_ranks),
		cmocka_unit_test(test_rows_gathered_once_a_sample),
		cmocka_unit_test(test_filter_agrees_with_every_text),
		cmocka_unit_test(test_filter_events),
		cmocka_unit_test(test_spent_snapshot_handed_back),
		cmocka_unit_test(test_views_and_keys),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_ten_thousand_peers),
		cmocka_unit_test(test_pager_scrolling),
		cmocka_unit_test(test_diff_apply_and_warning),
		cmocka_unit_test(test_countdown),
		cmocka_unit_test(test_forward_switch),
		cmocka_unit_test(test_check_pick_and_fix),
		cmocka_unit_test(test_read_only),
		cmocka_unit_test(test_form_editing),
		cmocka_unit_test(test_help_scrolls),
		cmocka_unit_test(test_add_peer_form),
		cmocka_unit_test(test_remove_and_edit),
		cmocka_unit_test(test_drift),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
