// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the console state: selection by identity, marks, filter, sort, keys. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "app.h"

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
	assert_int_equal(app.n_rows, 1);
	assert_string_equal(row_name(&app, 0), "bob");
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, AK_BACKSPACE);
	app_key(&app, 'L');	/* case-insensitive: alice and carol */
	assert_int_equal(app.n_rows, 2);
	app_key(&app, AK_ENTER);
	assert_false(app.filter_editing);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_sorted_by_name_first_sample_no_rate),
		cmocka_unit_test(test_rates_and_history),
		cmocka_unit_test(test_selection_follows_peer),
		cmocka_unit_test(test_vanished_peer_marked_then_dropped),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_sort_by_rate_and_reverse),
		cmocka_unit_test(test_no_peers),
		cmocka_unit_test(test_sort_by_state),
		cmocka_unit_test(test_views_and_keys),
		cmocka_unit_test(test_interfaces),
		cmocka_unit_test(test_ten_thousand_peers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
