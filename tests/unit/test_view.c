// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests of the console's views: canvases compared with golden text, and what must hold
 * whatever the layout. WGSTAR_UPDATE_GOLDEN=1 writes the golden files instead of comparing.
 */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "app.h"
#include "canvas.h"
#include "view.h"

#define NOW 1700000000

static const char *const words[] = {
	"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
	"mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe",
};

/* What peer i of n looks like at time t: names, states, addresses and traffic from its index. */
static void fill_peer(struct wg_peer *p, int i, int n, int64_t t)
{
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 };
	uint64_t rx_rate = 0, tx_rate = 0;
	char name[32];

	if (n <= 30) {
		if (i % 7 != 6) {
			snprintf(name, sizeof(name), "%s%s", words[i % 20], i >= 20 ? "-2" : "");
			wg_peer_set_name(p, name);
		}
	} else {
		snprintf(name, sizeof(name), "p%05d", i);
		wg_peer_set_name(p, name);
	}
	switch (i % 5) {
	case 3:
		p->last_handshake_sec = 0;
		break;
	case 4:
		p->last_handshake_sec = NOW + t - 400 - i;
		break;
	default:
		p->last_handshake_sec = NOW + t - (i * 17) % 120;
		rx_rate = (uint64_t)(((i + 1) * 7919) % 10007) * 13;
		tx_rate = (uint64_t)(((i + 1) * 104729) % 10009) * 3;
		if (i % 5 == 2)
			rx_rate = tx_rate = 0;
	}
	p->rx_bytes = (uint64_t)i * 1000003 + (uint64_t)t * rx_rate;
	p->tx_bytes = (uint64_t)i * 700001 + (uint64_t)t * tx_rate;
	if (p->last_handshake_sec) {
		p->endpoint.addr4.sin_family = AF_INET;
		p->endpoint.addr4.sin_port = htons((uint16_t)(40000 + i % 20000));
		p->endpoint.addr4.sin_addr.s_addr = htonl(0xc6336400 | (uint32_t)(10 + i % 200));	/* 198.51.100.x */
	}
	p->persistent_keepalive = i % 2 ? 25 : 0;
	p->has_preshared_key = i % 3 == 0;
	a.ip4.s_addr = htonl(0x0aac1000 + (uint32_t)(i / 250) * 256 + (uint32_t)(i % 250) + 2);	/* 10.172.16.2... */
	wg_peer_add_allowedip(p, &a);
	if (i % 9 == 2) {
		struct wg_allowedip b = { .family = AF_INET6, .cidr = 128 };

		inet_pton(AF_INET6, "fd00:ac::", &b.ip6);
		b.ip6.s6_addr[15] = (uint8_t)(i + 2);
		wg_peer_add_allowedip(p, &b);
	}
}

static struct wg_device *make_device(const char *ifname, int n, int64_t t)
{
	struct wg_device *dev = wg_device_new(ifname);

	dev->ifindex = 5;
	dev->backend = WG_BACKEND_KERNEL;
	dev->has_public_key = true;
	memset(dev->public_key, 0x11, WG_KEY_LEN);
	dev->listen_port = 51820;
	for (int i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN];

		for (int b = 0; b < WG_KEY_LEN; ++b)
			key[b] = (uint8_t)(i * 37 + b * 11);
		key[1] = (uint8_t)((i >> 8) * 59 + 7);
		fill_peer(wg_device_get_peer(dev, key, NULL), i, n, t);
	}
	return dev;
}

static struct wg_snapshot *make_snap(int n, int64_t t)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	wg_snapshot_add_device(snap, make_device("wg0", n, t));
	snap->mono.tv_sec = 1000 + t;
	snap->wall.tv_sec = NOW + t;
	return snap;
}

/* An app that has seen two samples of n peers, two seconds apart: rates are known. */
static void make_app(struct app *app, int n)
{
	app_init(app, 1);
	assert_int_equal(app_update(app, make_snap(n, 0)), 0);
	assert_int_equal(app_update(app, make_snap(n, 2)), 0);
	snprintf(app->hostname, sizeof(app->hostname), "hub1");
	snprintf(app->clock, sizeof(app->clock), "14:13:22");
	app->fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = 1 };
}

static char *render(struct app *app, int w, int h, bool utf8, struct canvas *keep)
{
	struct canvas c = { 0 };
	char *text;

	assert_int_equal(canvas_init(&c, w, h, utf8), 0);
	view_render(&c, app);
	text = canvas_to_text(&c);
	assert_non_null(text);
	if (keep)
		*keep = c;
	else
		canvas_free(&c);
	return text;
}

static void golden(const char *name, const char *text)
{
	const char *dir = getenv("GOLDEN_DIR");
	char path[512], *want;
	FILE *f;
	long len;

	snprintf(path, sizeof(path), "%s/%s.txt", dir ? dir : "tests/unit/golden", name);
	if (getenv("WGSTAR_UPDATE_GOLDEN")) {
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(text, f);
		assert_int_equal(fclose(f), 0);
		return;
	}
	f = fopen(path, "r");
	if (!f)
		fail_msg("%s: %s (WGSTAR_UPDATE_GOLDEN=1 writes it)", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	want = calloc(1, (size_t)len + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	if (strcmp(want, text)) {
		fprintf(stderr, "%s differs; rendered:\n%s", path, text);
		free(want);
		fail_msg("%s differs from the rendered canvas", name);
	}
	free(want);
}

static void check_main(int n, int w, int h)
{
	struct app app;
	char name[64], *text;

	make_app(&app, n);
	text = render(&app, w, h, true, NULL);
	snprintf(name, sizeof(name), "main_%dx%d_%d", w, h, n);
	golden(name, text);
	free(text);
	app_free(&app);
}

static void test_main_80x24(void **state)
{
	static const int counts[] = { 0, 1, 5, 30, 10000 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); ++i)
		check_main(counts[i], 80, 24);
}

static void test_main_120x40(void **state)
{
	static const int counts[] = { 0, 1, 5, 30, 10000 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); ++i)
		check_main(counts[i], 120, 40);
}

static void test_main_40x12(void **state)
{
	static const int counts[] = { 0, 1, 5, 30, 10000 };

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); ++i)
		check_main(counts[i], 40, 12);
}

static void test_main_ascii(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 5);
	app_key(&app, AK_DOWN);
	text = render(&app, 80, 24, false, NULL);
	golden("main_80x24_5_ascii", text);
	for (const char *p = text; *p; ++p)
		assert_true((unsigned char)*p < 0x80);
	free(text);
	app_free(&app);
}

static void test_first_sample(void **state)
{
	struct app app;
	char *text;

	app_init(&app, 1);
	app_update(&app, make_snap(5, 0));
	snprintf(app.clock, sizeof(app.clock), "14:13:20");
	app.fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = -1 };
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_5_first", text);
	assert_non_null(strstr(text, "no rate yet"));
	free(text);
	app_free(&app);

	/* before any sample */
	app_init(&app, 1);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "waiting for the first sample"));
	free(text);
	app_free(&app);
}

/* Forwarding off while peers need it, and a failed sample over the last good data. */
static void test_warnings(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 30);
	app.fwd = (struct fwd_state){ .ipv4 = 0, .ipv6 = 0 };
	app.paused = true;
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_30_fwd_off", text);
	assert_non_null(strstr(text, "IPv4 and IPv6 forwarding are off"));
	free(text);

	app.fwd.ipv6 = 1;
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "IPv4 forwarding is off"));
	free(text);

	app_set_error(&app, "reading wg0: Operation not permitted");
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_30_error", text);
	assert_non_null(strstr(text, "Operation not permitted"));
	assert_non_null(strstr(text, "alice"));	/* the last good data stays */
	free(text);
	app_free(&app);

	/* forwarding off with no peer: nothing to warn about */
	make_app(&app, 0);
	app.fwd = (struct fwd_state){ .ipv4 = 0, .ipv6 = 0 };
	text = render(&app, 80, 24, true, NULL);
	assert_null(strstr(text, "forwarding is off"));
	assert_null(strstr(text, "forwarding are off"));
	free(text);
	app_free(&app);
}

static void test_detail(void **state)
{
	struct app app;
	char *text;

	uint64_t rx = 0;

	app_init(&app, 1);
	/* a minute and a half of samples with waves of traffic, and one roaming */
	for (int64_t t = 0; t < 90; ++t) {
		struct wg_snapshot *snap = make_snap(5, 0);
		struct wg_peer *p = &snap->devices[0]->peers[0];

		rx += (uint64_t)(1000 + (t % 30) * (t % 30) * 60);
		p->rx_bytes = rx;
		p->tx_bytes = (uint64_t)(t * 1000);
		p->last_handshake_sec = NOW + t - 20;
		if (t >= 60)
			p->endpoint.addr4.sin_port = htons(40999);
		/* a site behind alice: more addresses than a line holds */
		for (int i = 0; i < 12; ++i) {
			struct wg_allowedip a = { .family = AF_INET, .cidr = 24 };

			a.ip4.s_addr = htonl(0xc0a80000 | (uint32_t)(i * 4) << 8);	/* 192.168.x.0 */
			wg_peer_add_allowedip(p, &a);
		}
		snap->mono.tv_sec = 1000 + t;
		snap->wall.tv_sec = NOW + t;
		assert_int_equal(app_update(&app, snap), 0);
	}
	snprintf(app.clock, sizeof(app.clock), "14:14:50");
	app.fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = 1 };
	assert_string_equal(app_row_name(&app, &app.rows[0]), "alice");
	assert_int_equal(app_key(&app, AK_ENTER), APP_REDRAW);
	assert_int_equal(app.view, VIEW_DETAIL);
	text = render(&app, 80, 24, true, NULL);
	golden("detail_80x24", text);
	assert_non_null(strstr(text, "198.51.100.10:40999"));
	free(text);
	text = render(&app, 80, 24, false, NULL);
	golden("detail_80x24_ascii", text);
	free(text);
	text = render(&app, 40, 12, true, NULL);
	golden("detail_40x12", text);
	free(text);
	app_free(&app);
}

/* The counting table exists: forwarded counters grow between the samples, alice talks to bob. */
static struct wg_snapshot *make_counted_snap(int64_t t)
{
	struct wg_snapshot *snap = make_snap(5, t);
	struct wg_device *dev = snap->devices[0];

	for (uint32_t i = 0; i < dev->n_peers; ++i)
		dev->peers[i].forwarded = (struct wg_forwarded){ 0 };
	dev->peers[0].forwarded.from_bytes = (uint64_t)t * 15360;	/* 15 KiB/s */
	dev->peers[0].forwarded.from_packets = (uint64_t)t * 30;
	dev->peers[1].forwarded.to_bytes = (uint64_t)t * 15360;
	dev->peers[1].forwarded.to_packets = (uint64_t)t * 30;
	dev->has_flows = true;
	dev->flows = calloc(1, sizeof(*dev->flows));
	assert_non_null(dev->flows);
	dev->flows[0] = (struct wg_flow){ .from = 0, .to = 1, .packets = (uint64_t)t * 30,
					  .bytes = (uint64_t)t * 15360 };
	dev->n_flows = 1;
	return snap;
}

static void test_forwarding_counted(void **state)
{
	const struct app_flow *flows[4];
	struct app app;
	char *text;

	app_init(&app, 1);
	assert_int_equal(app_update(&app, make_counted_snap(0)), 0);
	assert_int_equal(app_update(&app, make_counted_snap(2)), 0);
	snprintf(app.hostname, sizeof(app.hostname), "hub1");
	snprintf(app.clock, sizeof(app.clock), "14:13:22");
	app.fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = 1 };
	assert_true(app_dev_state(&app)->counting);
	/* from alice plus to bob: 30 KiB/s forwarded in all */
	assert_true(app_dev_state(&app)->fwd_rate > 30719 && app_dev_state(&app)->fwd_rate < 30721);
	assert_int_equal(app_active_flows(app_dev_state(&app), flows, 4), 1);
	assert_true(flows[0]->rate > 15359 && flows[0]->rate < 15361);

	text = render(&app, 120, 40, true, NULL);
	assert_non_null(strstr(text, "FWD/s"));
	assert_non_null(strstr(text, "flows: alice -> bob 15.00 KiB/s"));
	assert_null(strstr(text, "fwd counters off"));
	golden("main_120x40_5_counted", text);
	free(text);
	app_key(&app, AK_ENTER);	/* alice */
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "-> bob 15.00 KiB/s"));
	golden("detail_80x24_counted", text);
	free(text);
	app_free(&app);
}

static void test_help(void **state)
{
	struct app app;
	char *text, *end;

	make_app(&app, 5);
	app_key(&app, '?');
	assert_int_equal(app.view, VIEW_HELP);
	text = render(&app, 80, 24, true, NULL);
	golden("help_80x24", text);
	app_key(&app, AK_END);
	end = render(&app, 80, 24, true, NULL);
	golden("help_80x24_end", end);
	/* every binding is listed, with its help, on one of the pages */
	{
		char *all = calloc(1, 1), *page;
		size_t len = 0;

		app_key(&app, AK_HOME);
		for (uint32_t top = UINT32_MAX; top != app.help_top; app_key(&app, AK_PGDN)) {
			top = app.help_top;
			page = render(&app, 80, 24, true, NULL);
			all = realloc(all, len + strlen(page) + 1);
			assert_non_null(all);
			memcpy(all + len, page, strlen(page) + 1);
			len += strlen(page);
			free(page);
		}
		for (size_t i = 0; i < app_n_bindings; ++i) {
			assert_non_null(strstr(all, app_bindings[i].label));
			assert_non_null(strstr(all, app_bindings[i].help));
		}
		for (size_t i = 0; i < app_n_dialog_keys; ++i)
			assert_non_null(strstr(all, app_dialog_keys[i].help));
		free(all);
	}
	free(text);
	free(end);
	app_free(&app);
}

static void test_too_small(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 5);
	text = render(&app, 39, 24, true, NULL);
	golden("too_small_39x24", text);
	assert_non_null(strstr(text, "window too small"));
	assert_null(strstr(text, "alice"));
	free(text);
	text = render(&app, 30, 9, true, NULL);
	golden("too_small_30x9", text);
	free(text);
	/* the minimum itself is enough */
	text = render(&app, VIEW_MIN_W, VIEW_MIN_H, true, NULL);
	assert_null(strstr(text, "window too small"));
	assert_non_null(strstr(text, "alice"));
	free(text);
	/* and nothing breaks on nothing */
	text = render(&app, 0, 0, true, NULL);
	assert_string_equal(text, "");
	free(text);
	app_free(&app);
}

/* The row of the canvas that shows text, or -1. */
static int find_row(const struct canvas *c, const char *text)
{
	char *all = canvas_to_text(c), *hit = strstr(all, text);
	int row = -1;

	if (hit) {
		row = 0;
		for (char *p = all; p < hit; ++p)
			row += *p == '\n';
	}
	free(all);
	return row;
}

static void test_selection_visible_at_10000(void **state)
{
	struct app app;
	struct canvas c;
	char *text, want[32];
	int y;

	make_app(&app, 10000);
	app_key(&app, AK_END);
	assert_int_equal(app_selected_row(&app), 9999);
	text = render(&app, 80, 24, true, &c);
	snprintf(want, sizeof(want), "%s", app_row_name(&app, &app.rows[9999]));
	y = find_row(&c, want);
	assert_true(y > 0);
	assert_int_equal(canvas_at(&c, 5, y)->style, STYLE_SELECTED);
	assert_true(app.page_rows > 5);
	assert_int_equal(app_dev_state(&app)->scroll, 10000 - app.page_rows);
	assert_non_null(strstr(text, "10000/10000"));
	free(text);
	canvas_free(&c);

	/* back to the top, then a page down: still in sight */
	app_key(&app, AK_HOME);
	app_key(&app, AK_PGDN);
	text = render(&app, 80, 24, true, &c);
	y = find_row(&c, app_row_name(&app, &app.rows[app_selected_row(&app)]));
	assert_true(y > 0);
	assert_int_equal(canvas_at(&c, 5, y)->style, STYLE_SELECTED);
	free(text);
	canvas_free(&c);
	app_free(&app);
}

static void test_sort_marker(void **state)
{
	struct app app;
	struct canvas c;
	int y, x;
	char *text;

	make_app(&app, 5);
	text = render(&app, 120, 40, true, &c);
	y = find_row(&c, "NAME");
	assert_true(y > 0);
	/* sorted by name, A to Z */
	x = 1 + (int)strlen("NAME");
	assert_int_equal(canvas_at(&c, 1, y)->style, STYLE_COLUMN_SORTED);
	assert_int_equal(canvas_at(&c, x, y)->cp, 0x2191);
	free(text);
	canvas_free(&c);

	while (app.sort != APP_COL_RX_RATE)
		app_key(&app, '>');
	text = render(&app, 120, 40, true, &c);
	assert_non_null(strstr(text, "RX/s\u2193"));	/* busiest first */
	assert_int_equal(canvas_at(&c, 1, y)->style, STYLE_COLUMN);
	free(text);
	canvas_free(&c);
	app_key(&app, 'r');
	text = render(&app, 120, 40, true, &c);
	assert_non_null(strstr(text, "RX/s\u2191"));
	free(text);
	canvas_free(&c);
	app_free(&app);
}

static void test_more_count(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 30);
	/* eleven rows of diagram at 80x24: five rows of peers, two a row */
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "+20 more"));
	free(text);
	text = render(&app, 40, 12, true, NULL);
	assert_null(strstr(text, "more"));	/* no diagram, no count */
	free(text);
	app_free(&app);

	make_app(&app, 10000);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "+9990 more"));
	free(text);
	/* a filter narrows the diagram too */
	app_key(&app, '/');
	app_key(&app, 'p');
	app_key(&app, '0');
	app_key(&app, '0');
	app_key(&app, '0');
	app_key(&app, '1');
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_10000_filter", text);
	assert_non_null(strstr(text, "filter: p0001_"));
	free(text);
	app_key(&app, AK_ENTER);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "filter: p0001  1/10"));
	free(text);
	app_free(&app);
}

/*
 * The main view keeps what it found among all rows (the star's busiest peers, the header's
 * counts) while the rows stay the same: a view rendered after every step must equal one that
 * only renders at the end. The steps change the sample (the busiest peers go quiet), the
 * filter, the terminal's size, the interface and the order.
 */
static void type_text(struct app *app, const char *s)
{
	for (; *s; ++s)
		app_key(app, (unsigned char)*s);
}

static void star_step(struct app *app, int step)
{
	struct wg_snapshot *snap;

	switch (step) {
	case 0:
		make_app(app, 30);
		break;
	case 1:
		/*
		 * A sample in which the peers that were busiest send nothing more and a few others
		 * go quiet for good, and a second hub.
		 */
		snap = make_snap(30, 4);
		for (int i = 0; i < 15; ++i) {
			struct wg_peer *p = &snap->devices[0]->peers[i];

			p->rx_bytes = (uint64_t)i * 1000003 + 2 * ((uint64_t)(((i + 1) * 7919) % 10007) * 13);
			p->tx_bytes = (uint64_t)i * 700001 + 2 * ((uint64_t)(((i + 1) * 104729) % 10009) * 3);
		}
		for (int i = 25; i < 30; ++i)
			snap->devices[0]->peers[i].last_handshake_sec = NOW - 3600;
		wg_snapshot_add_device(snap, make_device("wg1", 30, 4));
		assert_int_equal(app_update(app, snap), 0);
		break;
	case 2:
		break;	/* the terminal's size alone */
	case 3:
		type_text(app, "/bob");
		app_key(app, AK_ENTER);
		break;
	case 4:
		/* as many rows, other peers */
		app_key(app, AK_ESC);
		type_text(app, "/dave");
		app_key(app, AK_ENTER);
		break;
	case 5:
		app_key(app, 's');
		app_key(app, AK_DOWN);
		break;
	case 6:
	case 7:
		app_key(app, 'i');	/* to wg1, as many rows, and back */
		break;
	default:
		app_key(app, AK_ESC);
		break;
	}
}

static void test_star_kept_while_rows_are(void **state)
{
	static const int size[][2] = { { 120, 40 }, { 120, 40 }, { 80, 24 }, { 80, 24 }, { 80, 24 },
				       { 80, 24 }, { 80, 24 }, { 80, 24 }, { 80, 24 } };
	struct app live;
	char *before = NULL;

	for (int step = 0; step < 9; ++step) {
		struct app fresh;
		char *a, *b;

		star_step(&live, step);
		a = render(&live, size[step][0], size[step][1], true, NULL);
		for (int s = 0; s <= step; ++s)
			star_step(&fresh, s);
		b = render(&fresh, size[step][0], size[step][1], true, NULL);
		if (strcmp(a, b))
			fail_msg("step %d: rendered after each step\n%s\nrendered once\n%s", step, a, b);
		if (step == 1)
			assert_string_not_equal(a, before);	/* the diagram shows other peers */
		free(before);
		before = a;
		free(b);
		app_free(&fresh);
	}
	free(before);
	app_free(&live);
}

static void test_new_gone_and_interfaces(void **state)
{
	struct wg_snapshot *snap;
	struct app app;
	char *text;

	make_app(&app, 5);
	/* peer 1 (bob) leaves, a sixth one arrives */
	snap = make_snap(6, 4);
	{
		struct wg_device *dev = snap->devices[0];

		free(dev->peers[1].allowedips);
		free(dev->peers[1].name);
		memmove(&dev->peers[1], &dev->peers[2], (dev->n_peers - 2) * sizeof(dev->peers[0]));
		dev->n_peers--;
		keyidx_rebuild(&dev->index, dev->peers, dev->n_peers);
	}
	wg_snapshot_add_device(snap, make_device("wg1", 2, 4));
	assert_int_equal(app_update(&app, snap), 0);
	snprintf(app.clock, sizeof(app.clock), "14:13:24");
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_new_gone", text);
	assert_non_null(strstr(text, "wg0 [1/2]"));
	assert_non_null(strstr(text, "gone"));
	assert_non_null(strstr(text, "+frank"));
	free(text);
	/* the vanished peer in detail */
	app_key(&app, AK_END);
	app_key(&app, AK_ENTER);
	text = render(&app, 80, 24, true, NULL);
	golden("detail_80x24_gone", text);
	assert_non_null(strstr(text, "no longer on the interface"));
	free(text);
	app_free(&app);
}

/* Long, wide and missing names: cut with an ellipsis, never over one another. */
static void test_names(void **state)
{
	static const char *const names[] = {
		"a-peer-name-far-longer-than-any-column", "\u6771\u4eac\u30aa\u30d5\u30a3\u30b9", NULL, "x",
		"bad\x01name", "\u00e9tienne-laptop", "zz",
	};
	struct wg_snapshot *snap[2];
	struct app app;
	struct canvas c;
	char *text;
	int flow = 0;

	for (int s = 0; s < 2; ++s) {
		snap[s] = make_snap(7, 2 * s);
		for (int i = 0; i < 7; ++i) {
			struct wg_peer *p = &snap[s]->devices[0]->peers[i];

			free(p->name);
			p->name = NULL;
			if (names[i])
				wg_peer_set_name(p, names[i]);
		}
	}
	app_init(&app, 1);
	app_update(&app, snap[0]);
	app_update(&app, snap[1]);
	app.tick = 7;
	app.fwd = (struct fwd_state){ .ipv4 = 1, .ipv6 = 0 };
	text = render(&app, 80, 24, true, &c);
	golden("main_80x24_names", text);
	/* the IPv6 address of peer 2 needs IPv6 forwarding */
	assert_non_null(strstr(text, "IPv6 forwarding is off"));
	/* traffic shows on the edges */
	for (int i = 0; i < c.w * c.h; ++i)
		flow += c.cells[i].style == STYLE_FLOW;
	assert_true(flow > 0);
	free(text);
	canvas_free(&c);
	app_free(&app);
}

static void test_no_interface(void **state)
{
	struct app app;
	char *text;

	app_init(&app, 1);
	assert_int_equal(app_update(&app, wg_snapshot_new()), 0);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "no WireGuard interface"));
	free(text);
	app_key(&app, AK_ENTER);
	app_key(&app, '?');
	text = render(&app, 40, 10, true, NULL);
	assert_non_null(strstr(text, "Keys"));
	free(text);
	app_free(&app);
}

/* --- dialogs --- */

/* Each cell's style as a letter, rows as lines: for the goldens of colours. */
static char *style_map(const struct canvas *c)
{
	static const char letters[N_STYLES + 1] = ".dTLcCSosnHfNGWEkt+-@iI_!hQ";
	char *out = malloc((size_t)(c->w + 1) * (size_t)c->h + 1), *p = out;

	assert_non_null(out);
	assert_int_equal(strlen(letters), N_STYLES);
	for (int y = 0; y < c->h; ++y) {
		for (int x = 0; x < c->w; ++x)
			*p++ = letters[canvas_at((struct canvas *)c, x, y)->style];
		*p++ = '\n';
	}
	*p = '\0';
	return out;
}

/* The column (of cells) and row where text starts. */
static int find_col(const struct canvas *c, const char *text, int *row)
{
	for (int y = 0; y < c->h; ++y)
		for (int x = 0; x < c->w; ++x) {
			const char *p = text;
			int cx = x;

			while (*p && cx < c->w) {
				uint32_t cp;
				int n = 1;

				if ((unsigned char)*p < 0x80) {
					cp = (unsigned char)*p;
				} else if ((*p & 0xe0) == 0xc0) {
					cp = (uint32_t)(*p & 0x1f) << 6 | (p[1] & 0x3f);
					n = 2;
				} else {
					cp = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
					n = 3;
				}
				if (canvas_at((struct canvas *)c, cx, y)->cp != cp)
					break;
				p += n;
				cx += cp >= 0x1100 ? 2 : 1;
			}
			if (!*p) {
				*row = y;
				return x;
			}
		}
	fail_msg("'%s' is not on the canvas", text);
	return -1;
}

/* The style of the first cell of the row that shows text, from its first character. */
static uint8_t style_of(const struct canvas *c, const char *text)
{
	char *all = canvas_to_text(c), *hit = strstr(all, text), *line;
	int row = 0, col;

	assert_non_null(hit);
	for (line = all; line + strcspn(line, "\n") < hit; line += strcspn(line, "\n") + 1)
		row++;
	col = (int)(hit - line);
	free(all);
	return canvas_at((struct canvas *)c, col, row)->style;
}

static const char sample_notes[] =
	"# add table inet wgstar (counts forwarded traffic per peer; decides nothing)\n"
	"# add rule inet filter forward iifname \"wg0\" oifname \"wg0\" accept\n";

static const char sample_diff[] =
	"--- ruleset now\n"
	"+++ ruleset after the change\n"
	"@@ -1,7 +1,26 @@\n"
	" table inet filter {\n"
	" \tchain forward {\n"
	" \t\ttype filter hook forward priority filter; policy drop;\n"
	" \t\tct state established,related accept\n"
	"-\t\tiifname \"eth0\" drop\n"
	"+\t\tiifname \"wg0\" oifname \"wg0\" accept\n"
	" \t}\n"
	" }\n"
	"+table inet wgstar {\n"
	"+\tset from4 {\n"
	"+\t\ttype ifname . ipv4_addr\n"
	"+\t\tflags dynamic\n"
	"+\t\tcounter\n"
	"+\t\telements = { \"wg0\" . 10.172.16.2 counter packets 0 bytes 0,\n"
	"+\t\t\t     \"wg0\" . 10.172.16.3 counter packets 0 bytes 0 }\n"
	"+\t}\n"
	"+\n"
	"+\tchain forward {\n"
	"+\t\ttype filter hook forward priority 1000000; policy accept;\n"
	"+\t\tiifname . ip saddr @from4\n"
	"+\t\toifname . ip daddr @to4\n"
	"+\t}\n"
	"+}\n";

static void test_pager_diff(void **state)
{
	struct app app;
	struct canvas c;
	char *text, *styles;

	make_app(&app, 5);
	assert_int_equal(app_show_diff(&app, "Firewall: what wgstar would change", sample_notes, sample_diff, ""), 0);
	text = render(&app, 80, 24, true, &c);
	golden("pager_diff_80x24", text);
	assert_non_null(strstr(text, "+table inet wgstar {"));
	assert_non_null(strstr(text, "a apply"));
	assert_non_null(strstr(text, "Esc cancel"));
	/* coloured as git diff colours it */
	assert_int_equal(style_of(&c, "+table inet wgstar {"), STYLE_DIFF_ADD);
	assert_int_equal(style_of(&c, "-        iifname \"eth0\" drop"), STYLE_DIFF_DEL);
	assert_int_equal(style_of(&c, "@@ -1,7 +1,26 @@"), STYLE_DIFF_HUNK);
	assert_int_equal(style_of(&c, " table inet filter {"), STYLE_NORMAL);
	assert_int_equal(style_of(&c, "# add table inet wgstar"), STYLE_DIM);
	styles = style_map(&c);
	golden("pager_diff_80x24_styles", styles);
	free(styles);
	free(text);
	canvas_free(&c);

	/* without colour the + and - say it alone */
	app.color = false;
	text = render(&app, 80, 24, true, &c);
	golden("pager_diff_80x24", text);
	assert_int_equal(style_of(&c, "+table inet wgstar {"), STYLE_NORMAL);
	assert_int_equal(style_of(&c, "-        iifname \"eth0\" drop"), STYLE_NORMAL);
	assert_int_equal(style_of(&c, "@@ -1,7 +1,26 @@"), STYLE_NORMAL);
	styles = style_map(&c);
	golden("pager_diff_80x24_nocolor_styles", styles);
	free(styles);
	free(text);
	canvas_free(&c);
	app.color = true;

	/* scrolled to the end, it says where it is */
	app_key(&app, AK_END);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "+}"));
	assert_non_null(strstr(text, "/28 "));
	free(text);
	app_key(&app, AK_HOME);

	/* small: still the diff, the keys and where it is */
	text = render(&app, 40, 12, true, NULL);
	golden("pager_diff_40x12", text);
	assert_non_null(strstr(text, "a apply"));
	assert_non_null(strstr(text, "1-8/28"));
	free(text);
	app_key(&app, AK_PGDN);
	text = render(&app, 40, 12, false, NULL);
	golden("pager_diff_40x12_ascii", text);
	free(text);
	app_free(&app);
}

static void test_confirm_dialog(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 5);
	snprintf(app.sysctl_file, sizeof(app.sysctl_file), "/etc/sysctl.d/99-wgstar.conf");
	app_key(&app, 'w');
	text = render(&app, 80, 24, true, NULL);
	golden("forward_list_80x24", text);
	assert_non_null(strstr(text, "IPv4 forwarding: on; Enter turns it off"));
	free(text);
	app_key(&app, AK_ENTER);
	text = render(&app, 80, 24, true, NULL);
	golden("confirm_80x24", text);
	assert_non_null(strstr(text, "Turn IPv4 forwarding off in this network namespace?"));
	assert_non_null(strstr(text, "y turn off"));
	assert_non_null(strstr(text, "n Esc cancel"));
	free(text);
	app_key(&app, 'y');
	text = render(&app, 40, 12, true, NULL);
	golden("confirm_40x12", text);
	/* the whole question, wrapped */
	assert_non_null(strstr(text, "99-wgstar.conf?"));
	assert_non_null(strstr(text, "y now and at boot"));
	free(text);
	app_free(&app);
}

static const char *const key_choices[] = { "generate", "paste" };

static bool never_valid(const struct app_form *f, char *err, size_t len, size_t *field)
{
	snprintf(err, len, "10.172.16.3/32 is bob's already");
	*field = 3;
	return false;
}

static void test_form(void **state)
{
	static const int typed[] = { 'z', 'o', 0xeb, ' ', 0x6771, 0x4eac };
	struct app app;
	struct canvas c;
	char *text;
	int x, y;

	make_app(&app, 5);
	app_form_open(&app, "Add a peer", 1, never_valid);
	app_form_add(&app, "Name", 64, NULL);
	app_form_add_choice(&app, "Key", key_choices, 2, 0);
	app_form_add(&app, "Public key", 44, "");
	app_form_add(&app, "Address", 43, "10.172.16.3/32");
	app_form_add(&app, "Keepalive", 5, "25");
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); ++i)
		app_key(&app, typed[i]);
	app_key(&app, AK_LEFT);
	text = render(&app, 80, 24, true, &c);
	golden("form_80x24", text);
	/* the cursor on 京, both halves of it; the field keys go to stands out */
	x = find_col(&c, "\u4eac", &y);
	assert_int_equal(canvas_at(&c, x, y)->style, STYLE_CURSOR);
	assert_int_equal(canvas_at(&c, x + 1, y)->style, STYLE_CURSOR);
	assert_int_equal(canvas_at(&c, x - 1, y)->style, STYLE_FIELD_FOCUS);
	x = find_col(&c, "< generate >", &y);
	assert_int_equal(canvas_at(&c, x, y)->style, STYLE_FIELD);
	canvas_free(&c);
	assert_non_null(strstr(text, "Name"));
	assert_non_null(strstr(text, "zo\u00eb \u6771\u4eac"));
	assert_non_null(strstr(text, "< generate >"));
	free(text);
	/* validation's word under the fields */
	app_key(&app, AK_ENTER);
	text = render(&app, 80, 24, true, NULL);
	golden("form_80x24_error", text);
	assert_non_null(strstr(text, "10.172.16.3/32 is bob's already"));
	free(text);
	text = render(&app, 40, 12, true, NULL);
	golden("form_40x12", text);
	assert_non_null(strstr(text, "Keepalive"));
	assert_non_null(strstr(text, "bob's"));
	free(text);
	/* text longer than the field scrolls to keep the cursor in sight */
	for (int i = 0; i < 40; ++i)
		app_key(&app, '0' + i % 10);
	text = render(&app, 40, 12, true, NULL);
	assert_non_null(strstr(text, "789"));
	assert_null(strstr(text, "10.172"));
	free(text);
	app_free(&app);
}

static void test_check_findings(void **state)
{
	struct check_finding findings[] = {
		{ "IPv4 forwarding is off in this network namespace: the hub forwards nothing between peers",
		  "wgstar-top forward on", CHECK_FIX_FORWARD_IPV4 },
		{ "chain ip filter FORWARD (iptables-nft) drops forwarded packets by policy and accepts no wg0 \u2192 wg0",
		  "iptables -A FORWARD -i wg0 -o wg0 -j ACCEPT", CHECK_FIX_NONE },
		{ "carol never completed a handshake with the hub on wg0", "", CHECK_FIX_NONE },
	};
	struct check_result r = { .v = findings, .n = 3 };
	struct app app;
	char *text;

	make_app(&app, 5);
	assert_int_equal(app_show_check(&app, "Check: alice and bob", &r), 0);
	text = render(&app, 80, 24, true, NULL);
	golden("check_80x24", text);
	assert_non_null(strstr(text, "Enter fix"));
	free(text);
	app_key(&app, AK_DOWN);
	text = render(&app, 40, 12, true, NULL);
	golden("check_40x12", text);
	assert_null(strstr(text, "Enter fix"));
	free(text);
	/* an empty list draws its frame and nothing else */
	app_pager_open(&app, "Nothing", true, true);
	text = render(&app, 40, 12, true, NULL);
	assert_non_null(strstr(text, "Esc close"));
	free(text);
	app_free(&app);
}

static void test_countdown_and_hint(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 5);
	/* nothing counts yet: the header says how to change that */
	text = render(&app, 120, 40, true, NULL);
	assert_non_null(strstr(text, "fwd counters off (F to install)"));
	free(text);
	app.read_only = true;
	text = render(&app, 120, 40, true, NULL);
	assert_non_null(strstr(text, "fwd counters off"));
	assert_null(strstr(text, "F to install"));
	free(text);
	app.read_only = false;
	app.mono_now = 1000;
	app_set_countdown(&app, 1027);
	snprintf(app.message, sizeof(app.message), "applied");
	text = render(&app, 80, 24, true, NULL);
	golden("main_80x24_5_countdown", text);
	assert_non_null(strstr(text, "confirm within 27 s: press c to keep, u to undo  applied"));
	free(text);
	text = render(&app, 40, 12, true, NULL);
	assert_non_null(strstr(text, "confirm within 27 s"));
	free(text);
	app_free(&app);
}

static void test_help_scrolled(void **state)
{
	struct app app;
	char *text;

	make_app(&app, 5);
	app_key(&app, '?');
	text = render(&app, 40, 12, true, NULL);
	golden("help_40x12", text);
	assert_non_null(strstr(text, "Up Down PgUp PgDn scroll"));
	free(text);
	app_key(&app, AK_END);
	text = render(&app, 40, 12, true, NULL);
	golden("help_40x12_end", text);
	assert_non_null(strstr(text, "just vanished"));
	free(text);
	app_free(&app);
}

/* --- onboarding --- */

static void test_add_form(void **state)
{
	struct app app;
	struct canvas c;
	char *text;
	int x, y;

	make_app(&app, 5);
	app_peer_add_form(&app, NULL, "10.172.16.1", "10.172.16.7/32, fd00:ac::7/128");
	type_text(&app, "phone");
	text = render(&app, 80, 24, true, &c);
	golden("add_form_80x24", text);
	assert_non_null(strstr(text, "New peer on wg0"));
	assert_non_null(strstr(text, "< generate here >"));
	assert_non_null(strstr(text, "next free: 10.172.16.7/32, fd00:ac::7/128"));
	assert_non_null(strstr(text, "the hub's public HOST:PORT (needed)"));
	/* a hint is dimmed, and only while its field is empty */
	x = find_col(&c, "next free:", &y);
	assert_int_equal(canvas_at(&c, x, y)->style, STYLE_FIELD_HINT);
	assert_non_null(strstr(text, "empty: none; else the hub pings every N s"));
	canvas_free(&c);
	free(text);
	/* the endpoint is asked for, under the fields */
	app_key(&app, AK_ENTER);
	text = render(&app, 80, 24, true, NULL);
	assert_non_null(strstr(text, "the client config needs the hub's public endpoint, HOST:PORT"));
	free(text);
	/* what the dry run says may take more than a row: it wraps, whole */
	app_form_fail(&app, "/etc/wireguard/wg0.conf changed on disk since it was read; nothing changed: "
		      "look at it and try again", APP_ADD_NAME);
	text = render(&app, 80, 24, true, NULL);
	golden("add_form_80x24_error", text);
	assert_non_null(strstr(text, "/etc/wireguard/wg0.conf changed on disk"));
	assert_non_null(strstr(text, "look at it and try again"));
	assert_non_null(strstr(text, "Name phone"));
	assert_non_null(strstr(text, "DNS 10.172.16.1"));
	free(text);
	/* small: the fields scroll, the focused one in sight */
	app.form.focus = APP_ADD_NAME;
	app.form.error[0] = '\0';
	text = render(&app, 40, 12, true, NULL);
	golden("add_form_40x12", text);
	assert_non_null(strstr(text, "phone"));
	assert_null(strstr(text, "DNS"));
	free(text);
	while (app.form.focus != APP_ADD_GROUPS)
		app_key(&app, AK_TAB);
	text = render(&app, 40, 12, true, NULL);
	golden("add_form_40x12_end", text);
	assert_non_null(strstr(text, "DNS"));
	assert_non_null(strstr(text, "10.172.16.1"));
	assert_null(strstr(text, "phone"));
	free(text);
	app_free(&app);
}

/* A client config as peerops writes one, with documentation keys: the golden does not change. */
static const char client_conf[] =
	"[Interface]\n"
	"# Name = phone\n"
	"Address = 10.172.16.4/24, fd00:172:16::4/64\n"
	"PrivateKey = yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=\n"
	"DNS = 10.172.16.1\n"
	"\n"
	"[Peer]\n"
	"PublicKey = xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=\n"
	"PresharedKey = 4hq9Wn9SHt1bHbgKG9tyx6kVSwrdSSqFNbNtQD5DRIg=\n"
	"Endpoint = vpn.example.net:51820\n"
	"AllowedIPs = 10.172.16.0/24, fd00:172:16::/64\n"
	"PersistentKeepalive = 25\n";

/* Every cell of the QR code (its rows and columns) has style; the rest has none of it. */
static void check_qr_style(const struct canvas *c, const struct qr_art *art, uint8_t style)
{
	for (int y = 0; y < c->h; ++y)
		for (int x = 0; x < c->w; ++x) {
			bool in = x >= 2 && x < 2 + (int)art->width && y >= 1 && y < 1 + (int)art->n;
			uint8_t st = canvas_at((struct canvas *)c, x, y)->style;

			if (in)
				assert_int_equal(st, style);
			else if (style == STYLE_QR)
				assert_int_not_equal(st, STYLE_QR);
		}
}

static void test_client_view(void **state)
{
	struct app app;
	struct canvas c;
	char *text, *styles, want[128];

	make_app(&app, 5);
	assert_int_equal(app_show_client(&app, "Client config of phone", "phone", client_conf), 0);
	/* 120x50: the code whole, the text below it, scrolled */
	text = render(&app, 120, 50, true, &c);
	golden("client_120x50", text);
	assert_non_null(strstr(text, "Client config of phone"));
	assert_non_null(strstr(text, "[Interface]"));
	assert_non_null(strstr(text, app.client.art[0].lines[0]));
	assert_non_null(strstr(text, "Up Down scroll"));
	check_qr_style(&c, &app.client.art[0], STYLE_QR);
	styles = style_map(&c);
	golden("client_120x50_styles", styles);
	free(styles);
	free(text);
	canvas_free(&c);
	/* without colour: plain, as qrencode -t UTF8 prints it */
	app.color = false;
	text = render(&app, 120, 50, true, &c);
	golden("client_120x50", text);
	check_qr_style(&c, &app.client.art[0], STYLE_NORMAL);
	styles = style_map(&c);
	golden("client_120x50_nocolor_styles", styles);
	free(styles);
	free(text);
	canvas_free(&c);
	app.color = true;
	/* scrolled: the last lines of the config below the code */
	app_key(&app, AK_DOWN);
	app_key(&app, AK_DOWN);
	app_key(&app, AK_DOWN);
	app_key(&app, AK_DOWN);
	text = render(&app, 120, 50, true, NULL);
	assert_non_null(strstr(text, "PersistentKeepalive = 25"));
	free(text);
	app_key(&app, AK_HOME);
	/* wide: the text beside the code, all of it */
	text = render(&app, 160, 50, true, NULL);
	golden("client_160x50", text);
	assert_non_null(strstr(text, "[Interface]"));
	assert_non_null(strstr(text, "PersistentKeepalive = 25"));
	assert_null(strstr(text, "scroll"));
	free(text);
	/* too small: no cut code, but how large the window must be */
	snprintf(want, sizeof(want), "enlarge the terminal to at least %ux%zu to scan the QR code",
		 app.client.art[0].width + 4, app.client.art[0].n + 3);
	text = render(&app, 80, 24, true, NULL);
	golden("client_80x24_small", text);
	assert_non_null(strstr(text, want));
	assert_null(strstr(text, "\u2588\u2588\u2588"));
	assert_non_null(strstr(text, "PrivateKey = "));
	free(text);
	/* an ASCII terminal draws ## modules, twice as wide */
	snprintf(want, sizeof(want), "enlarge the terminal to at least %ux%zu to scan the QR code",
		 app.client.art[1].width + 4, app.client.art[1].n + 3);
	text = render(&app, 120, 50, false, NULL);
	assert_non_null(strstr(text, want));
	free(text);
	/* t: the text alone */
	app_key(&app, 't');
	text = render(&app, 80, 24, true, NULL);
	assert_null(strstr(text, "enlarge"));
	assert_non_null(strstr(text, "t QR code"));
	assert_non_null(strstr(text, "PersistentKeepalive = 25"));
	free(text);
	app_free(&app);
}

static void test_drift_marks(void **state)
{
	struct peer_drift d[3] = { { .live = true }, { .live = false, .name = "old-laptop" },
				   { .live = false, .name = "tablet" } };
	const struct wg_device *dev;
	struct app app;
	struct canvas c;
	char *text;
	int x, y;

	make_app(&app, 5);
	dev = app_device(&app);
	/* bob is live only; two peers are in the file only */
	memcpy(d[0].key, dev->peers[1].public_key, WG_KEY_LEN);
	snprintf(d[0].name, sizeof(d[0].name), "bob");
	memset(d[1].key, 0xa1, WG_KEY_LEN);
	memset(d[2].key, 0xa2, WG_KEY_LEN);
	assert_int_equal(app_set_drift(&app, "wg0", d, 3, NULL), 0);
	text = render(&app, 80, 24, true, &c);
	golden("main_80x24_drift", text);
	assert_non_null(strstr(text, "drift: 1 live only, 2 file only (d)"));
	assert_non_null(strstr(text, "\n!bob "));
	x = find_col(&c, "!bob", &y);
	assert_int_equal(canvas_at(&c, x, y)->style, STYLE_WARN);
	assert_int_equal(canvas_at(&c, x + 1, y)->style, STYLE_WARN);
	canvas_free(&c);
	free(text);
	/* at 40 columns the mark stays */
	text = render(&app, 40, 12, true, NULL);
	assert_non_null(strstr(text, "\n!bob "));
	free(text);
	/* only one side */
	assert_int_equal(app_set_drift(&app, "wg0", d, 1, NULL), 0);
	text = render(&app, 120, 40, true, NULL);
	assert_non_null(strstr(text, "drift: 1 live only (d)"));
	free(text);
	assert_int_equal(app_set_drift(&app, "wg0", d + 1, 1, NULL), 0);
	text = render(&app, 120, 40, true, NULL);
	assert_non_null(strstr(text, "drift: 1 file only (d)"));
	assert_null(strstr(text, "!bob"));
	free(text);
	/* d: the list with the two directions */
	app_set_drift(&app, "wg0", d, 3, NULL);
	app_key(&app, 'd');
	text = render(&app, 80, 24, true, NULL);
	golden("drift_list_80x24", text);
	assert_non_null(strstr(text, "to live: make the live interface follow the config file (preview)"));
	assert_non_null(strstr(text, "Enter choose"));
	free(text);
	app_free(&app);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_80x24),
		cmocka_unit_test(test_main_120x40),
		cmocka_unit_test(test_main_40x12),
		cmocka_unit_test(test_forwarding_counted),
		cmocka_unit_test(test_main_ascii),
		cmocka_unit_test(test_first_sample),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_detail),
		cmocka_unit_test(test_help),
		cmocka_unit_test(test_too_small),
		cmocka_unit_test(test_selection_visible_at_10000),
		cmocka_unit_test(test_sort_marker),
		cmocka_unit_test(test_more_count),
		cmocka_unit_test(test_star_kept_while_rows_are),
		cmocka_unit_test(test_new_gone_and_interfaces),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_interface),
		cmocka_unit_test(test_pager_diff),
		cmocka_unit_test(test_confirm_dialog),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_check_findings),
		cmocka_unit_test(test_countdown_and_hint),
		cmocka_unit_test(test_help_scrolled),
		cmocka_unit_test(test_add_form),
		cmocka_unit_test(test_client_view),
		cmocka_unit_test(test_drift_marks),
	};

	if (!setlocale(LC_ALL, "C.UTF-8")) {
		fprintf(stderr, "the C.UTF-8 locale is missing\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
