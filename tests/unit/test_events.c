// SPDX-License-Identifier: GPL-2.0-or-later
/* Events between two snapshots, the ledger's deltas and periods, and their JSON. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <json-c/json.h>
#include "events.h"
#include "ledger.h"

#define T0 1700000000

static struct wg_peer *peer(struct wg_device *dev, uint8_t k, const char *name, int64_t hs, uint64_t rx,
			    const char *ep, uint16_t port)
{
	uint8_t key[WG_KEY_LEN] = { k };
	struct wg_peer *p = wg_device_get_peer(dev, key, NULL);

	if (name)
		wg_peer_set_name(p, name);
	p->last_handshake_sec = hs;
	p->rx_bytes = rx;
	p->tx_bytes = rx / 2;
	if (ep) {
		p->endpoint.addr4.sin_family = AF_INET;
		p->endpoint.addr4.sin_port = htons(port);
		inet_pton(AF_INET, ep, &p->endpoint.addr4.sin_addr);
	}
	return p;
}

static struct wg_snapshot *snap_at(int64_t t)
{
	struct wg_snapshot *s = wg_snapshot_new();

	s->wall.tv_sec = t;
	return s;
}

static size_t count(const struct event_list *l, enum event_type t)
{
	size_t n = 0;

	for (size_t i = 0; i < l->n; ++i)
		n += l->v[i].type == t;
	return n;
}

static const struct event *find(const struct event_list *l, enum event_type t)
{
	for (size_t i = 0; i < l->n; ++i)
		if (l->v[i].type == t)
			return &l->v[i];
	return NULL;
}

static void test_diff(void **state)
{
	struct wg_snapshot *a = snap_at(T0), *b = snap_at(T0 + 10), *c = snap_at(T0 + 300);
	struct wg_device *da = wg_device_new("wg0"), *db = wg_device_new("wg0"), *dc = wg_device_new("wg0");
	struct fwd_state on = { 1, 1 }, off = { 0, 1 };
	struct events_state st = { 0 };
	struct event_list out = { 0 };
	const struct event *e;

	/* a: alice online, bob never, carol stale */
	peer(da, 1, "alice", T0 - 5, 1000, "192.0.2.2", 51820);
	peer(da, 2, "bob", 0, 0, NULL, 0);
	peer(da, 3, "carol", T0 - 600, 50, "192.0.2.4", 51820);
	wg_snapshot_add_device(a, da);
	/* b: alice roamed and her counters went down; bob's first handshake; carol gone; dave new; erin new and online */
	peer(db, 1, "alice", T0 + 8, 10, "192.0.2.2", 40001);
	peer(db, 2, "bob", T0 + 9, 100, "192.0.2.3", 51820);
	peer(db, 4, NULL, 0, 0, NULL, 0);
	peer(db, 5, "erin", T0 + 9, 300, "192.0.2.5", 51820);
	wg_snapshot_add_device(b, db);
	/* the first sample says nothing */
	assert_int_equal(events_diff(NULL, NULL, a, &on, &st, &out), 0);
	assert_int_equal(out.n, 0);
	assert_int_equal(events_diff(a, &on, b, &off, &st, &out), 0);
	/* bob, and erin: added and handshaken between the samples */
	assert_int_equal(count(&out, EV_PEER_ONLINE), 2);
	assert_string_equal(find(&out, EV_PEER_ONLINE)->name, "bob");
	assert_string_equal(find(&out, EV_PEER_ONLINE)->endpoint, "192.0.2.3:51820");
	e = find(&out, EV_ENDPOINT_CHANGED);
	assert_non_null(e);
	assert_string_equal(e->old_endpoint, "192.0.2.2:51820");
	assert_string_equal(e->endpoint, "192.0.2.2:40001");
	assert_int_equal(count(&out, EV_COUNTERS_RESET), 1);
	assert_string_equal(find(&out, EV_PEER_REMOVED)->name, "carol");
	assert_int_equal(count(&out, EV_PEER_ADDED), 2);
	assert_true(find(&out, EV_PEER_ADDED)->has_key);
	assert_int_equal(find(&out, EV_PEER_ADDED)->key[0], 4);
	assert_int_equal(count(&out, EV_FORWARDING_CHANGED), 1);
	assert_non_null(strstr(find(&out, EV_FORWARDING_CHANGED)->summary, "IPv4 off"));
	assert_int_equal(count(&out, EV_PEER_OFFLINE), 0);
	event_list_free(&out);
	/* c: 290 s later, with no handshake since: alice and bob go stale, once; the interface is wg1 now */
	peer(dc, 1, "alice", T0 + 8, 10, "192.0.2.2", 40001);
	peer(dc, 2, "bob", T0 + 9, 100, "192.0.2.3", 51820);
	wg_snapshot_add_device(c, dc);
	assert_int_equal(events_diff(b, &off, c, &off, &st, &out), 0);
	assert_int_equal(count(&out, EV_PEER_OFFLINE), 2);
	/* dave and erin */
	assert_int_equal(count(&out, EV_PEER_REMOVED), 2);
	event_list_free(&out);
	assert_int_equal(events_diff(c, &off, c, &off, &st, &out), 0);
	assert_int_equal(out.n, 0);
	/* an interface gone and back */
	{
		struct wg_snapshot *none = snap_at(T0 + 310);

		assert_int_equal(events_diff(c, &off, none, &off, &st, &out), 0);
		assert_int_equal(count(&out, EV_INTERFACE_DOWN), 1);
		assert_int_equal(events_diff(none, &off, c, &off, &st, &out), 0);
		assert_int_equal(count(&out, EV_INTERFACE_UP), 1);
		wg_snapshot_free(none);
	}
	event_list_free(&out);
	events_state_free(&st);
	wg_snapshot_free(a);
	wg_snapshot_free(b);
	wg_snapshot_free(c);
}

static void test_refused_rate_limited(void **state)
{
	struct wg_snapshot *s = snap_at(T0);
	struct wg_device *d = wg_device_new("wg0");
	struct wg_policy *pol = calloc(1, sizeof(*pol));
	struct events_state st = { 0 };
	struct event_list out = { 0 };

	peer(d, 1, "alice", 0, 0, NULL, 0);
	peer(d, 2, "bob", 0, 0, NULL, 0);
	pol->in_force = true;
	pol->refused = calloc(2, sizeof(*pol->refused));
	pol->n_refused = 2;
	pol->refused[0] = (struct wg_refused){ 0, 1, 3, 252 };
	pol->refused[1] = (struct wg_refused){ 1, WG_REFUSED_HUB, 1, 60 };
	d->policy = pol;
	wg_snapshot_add_device(s, d);
	assert_int_equal(events_diff(NULL, NULL, s, NULL, &st, &out), 0);
	assert_int_equal(count(&out, EV_TRAFFIC_REFUSED), 2);
	assert_non_null(strstr(out.v[0].summary, "alice -> bob (3 packets lately)"));
	assert_non_null(strstr(out.v[1].summary, "bob -> the hub"));
	event_list_free(&out);
	/* more refused a minute later: not said again before EVENTS_REFUSED_EVERY */
	pol->refused[0].packets = 9;
	s->wall.tv_sec = T0 + 60;
	assert_int_equal(events_diff(s, NULL, s, NULL, &st, &out), 0);
	assert_int_equal(count(&out, EV_TRAFFIC_REFUSED), 0);
	s->wall.tv_sec = T0 + EVENTS_REFUSED_EVERY;
	assert_int_equal(events_diff(s, NULL, s, NULL, &st, &out), 0);
	assert_int_equal(count(&out, EV_TRAFFIC_REFUSED), 1);
	event_list_free(&out);
	events_state_free(&st);
	wg_snapshot_free(s);
}

static void test_ledger(void **state)
{
	struct ledger_counts last = { .rx = 100, .tx = 50, .has_fwd = true, .fwd = { 1, 84, 1, 84 } };
	struct ledger_counts now = { .rx = 150, .tx = 20, .has_fwd = true, .fwd = { 3, 252, 2, 168 } }, d;

	ledger_delta(&last, &now, &d);
	assert_true(d.rx == 50);
	/* tx went down: reset, the new value counts from zero */
	assert_true(d.tx == 20);
	assert_true(d.has_fwd && d.fwd[LEDGER_FROM_BYTES] == 168 && d.fwd[LEDGER_TO_PACKETS] == 1);
	/* forwarded counters newly known count from there on */
	last.has_fwd = false;
	ledger_delta(&last, &now, &d);
	assert_false(d.has_fwd);
	assert_false(ledger_zero(&d));
	ledger_delta(&now, &now, &d);
	assert_true(ledger_zero(&d));
	/* periods in UTC: 2023-11-14 22:13:20 */
	assert_int_equal(ledger_period_start(LEDGER_HOUR, T0), 1699999200);
	assert_int_equal(ledger_period_start(LEDGER_DAY, T0), 1699920000);
	assert_int_equal(ledger_period_start(LEDGER_MONTH, T0), 1698796800);
	assert_int_equal(ledger_period_start(LEDGER_MONTH, 1709251199), 1706745600);	/* 2024-02-29 23:59:59 */
	assert_int_equal(ledger_period_start(LEDGER_MONTH, 1709251200), 1709251200);	/* 2024-03-01 */
}

static void test_json(void **state)
{
	struct event e;
	struct ledger_peer *p = calloc(1, sizeof(*p));
	struct ledger_counts c = { .rx = 5, .tx = 6 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	struct json_object *root, *ev;

	event_action(&e, EV_FIREWALL_APPLIED, T0, "wg0", "root (ssh 192.0.2.9)", "firewall change \"applied\"");
	f = open_memstream(&buf, &len);
	assert_int_equal(events_json(f, &e, 1), 0);
	fclose(f);
	root = json_tokener_parse(buf);
	assert_non_null(root);
	ev = json_object_array_get_idx(json_object_object_get(root, "events"), 0);
	assert_string_equal(json_object_get_string(json_object_object_get(ev, "event")), "firewall_applied");
	assert_string_equal(json_object_get_string(json_object_object_get(ev, "by")), "root (ssh 192.0.2.9)");
	assert_string_equal(json_object_get_string(json_object_object_get(ev, "summary")), "firewall change \"applied\"");
	assert_null(json_object_object_get(ev, "public_key"));
	assert_null(json_object_object_get(ev, "endpoint"));
	json_object_put(root);
	free(buf);
	/* usage: totals and periods, forwarded null when not counted */
	p->key[0] = 1;
	strcpy(p->name, "alice");
	p->total = c;
	assert_int_equal(ledger_peer_add_period(p, T0, &c), 0);
	buf = NULL;
	f = open_memstream(&buf, &len);
	assert_int_equal(ledger_json(f, p, 1), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\"name\":\"alice\",\"interface\":null,\"rx_bytes\":5,\"tx_bytes\":6,\"forwarded\":null,"
				    "\"periods\":[{\"start\":1700000000,\"rx_bytes\":5,\"tx_bytes\":6,\"forwarded\":null}]"));
	free(buf);
	ledger_peers_free(p, 1);
	assert_int_equal(event_type_parse("peer_online"), EV_PEER_ONLINE);
	assert_int_equal(event_type_parse("nonsense"), -1);
	for (int t = 0; t < N_EVENT_TYPES; ++t) {
		assert_int_equal(strlen(event_message_id((enum event_type)t)), 32);
		for (int u = 0; u < t; ++u)
			assert_string_not_equal(event_message_id((enum event_type)t), event_message_id((enum event_type)u));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_refused_rate_limited),
		cmocka_unit_test(test_ledger),
		cmocka_unit_test(test_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
