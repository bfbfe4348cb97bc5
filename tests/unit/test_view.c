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
		dev->peers[i].forwarded = (struct wg_forwarded){ .present = true };
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
	char *text;

	make_app(&app, 5);
	app_key(&app, '?');
	assert_int_equal(app.view, VIEW_HELP);
	text = render(&app, 80, 24, true, NULL);
	golden("help_80x24", text);
	/* every binding is listed, with its help */
	for (size_t i = 0; i < app_n_bindings; ++i) {
		assert_non_null(strstr(text, app_bindings[i].label));
		assert_non_null(strstr(text, app_bindings[i].help));
	}
	free(text);
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
		cmocka_unit_test(test_new_gone_and_interfaces),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_no_interface),
	};

	if (!setlocale(LC_ALL, "C.UTF-8")) {
		fprintf(stderr, "the C.UTF-8 locale is missing\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
