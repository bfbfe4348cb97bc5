// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of rates, handshake age and peer state. */
#include "cmocka_common.h"
#include <string.h>
#include "rates.h"

static void test_state_boundaries(void **state)
{
	const int64_t now = 1700000000;

	assert_int_equal(peer_state(0, now), PEER_NEVER);
	assert_int_equal(peer_state(now, now), PEER_ONLINE);
	assert_int_equal(peer_state(now - 180, now), PEER_ONLINE);
	assert_int_equal(peer_state(now - 181, now), PEER_STALE);
	/* a handshake slightly in the future (clock stepped back) is fresh, not stale */
	assert_int_equal(peer_state(now + 5, now), PEER_ONLINE);
	assert_string_equal(peer_state_name(PEER_STALE), "stale");
	assert_string_equal(peer_state_name(PEER_NEVER), "never");
	assert_string_equal(peer_state_name(PEER_ONLINE), "online");
}

static void test_handshake_age(void **state)
{
	assert_int_equal(peer_handshake_age(0, 100), -1);
	assert_int_equal(peer_handshake_age(90, 100), 10);
	assert_int_equal(peer_handshake_age(110, 100), 0);
}

static void test_first_sample_has_no_rate(void **state)
{
	struct timespec t = { 10, 0 };
	struct rate r;

	rate_compute(&r, 0, 0, NULL, 5000, 7000, &t);
	assert_int_equal(r.status, RATE_INIT);
	assert_true(r.rx_per_sec == 0 && r.tx_per_sec == 0);
}

static void test_rate_by_monotonic_time(void **state)
{
	struct timespec t0 = { 10, 500000000 }, t1 = { 12, 500000000 };
	struct rate r;

	rate_compute(&r, 1000, 2000, &t0, 3000, 2000 + 4096, &t1);
	assert_int_equal(r.status, RATE_OK);
	assert_true(r.moved);
	assert_true(r.rx_per_sec > 999.99 && r.rx_per_sec < 1000.01);
	assert_true(r.tx_per_sec > 2047.99 && r.tx_per_sec < 2048.01);
	/* One counter moving is a rate; the other's is zero. */
	rate_compute(&r, 1000, 2000, &t0, 1000, 2300, &t1);
	assert_true(r.status == RATE_OK && r.moved);
	assert_true(r.rx_per_sec == 0 && r.tx_per_sec > 149.99 && r.tx_per_sec < 150.01);
}

/* An idle peer has a known rate of zero, and says it did not move. */
static void test_idle_rate_is_zero(void **state)
{
	struct timespec t0 = { 10, 999000000 }, t1 = { 11, 0 }, t2 = { 10, 999500000 };
	struct rate r = { .moved = true, .rx_per_sec = 5, .tx_per_sec = 5 };

	rate_compute(&r, 1000, 2000, &t0, 1000, 2000, &t1);
	assert_int_equal(r.status, RATE_OK);
	assert_false(r.moved);
	assert_true(r.rx_per_sec == 0 && r.tx_per_sec == 0);
	/* A millisecond apart is the least that gives a rate, across a second's boundary too. */
	rate_compute(&r, 1000, 2000, &t0, 2000, 2000, &t1);
	assert_true(r.status == RATE_OK && r.moved);
	assert_true(r.rx_per_sec > 999999.9 && r.rx_per_sec < 1000000.1);
	rate_compute(&r, 1000, 2000, &t0, 2000, 2000, &t2);
	assert_int_equal(r.status, RATE_INIT);
	assert_false(r.moved);
}

static void test_counter_backwards_is_reset(void **state)
{
	struct timespec t0 = { 10, 0 }, t1 = { 11, 0 };
	struct rate r;

	rate_compute(&r, 1000000, 5, &t0, 10, 10, &t1);
	assert_int_equal(r.status, RATE_RESET);
	assert_true(r.rx_per_sec == 0 && r.tx_per_sec == 0);
	rate_compute(&r, 5, 1000000, &t0, 10, 10, &t1);
	assert_int_equal(r.status, RATE_RESET);
}

static void test_no_time_no_rate(void **state)
{
	struct timespec t0 = { 10, 0 }, t1 = { 10, 0 }, t2 = { 9, 0 };
	struct rate r;

	rate_compute(&r, 0, 0, &t0, 100, 100, &t1);
	assert_int_equal(r.status, RATE_INIT);
	rate_compute(&r, 0, 0, &t0, 100, 100, &t2);
	assert_int_equal(r.status, RATE_INIT);
}

static void test_sample_hold(void **state)
{
	double cost = HOLD_COST_MS;

	/* No key lately: taken in at once. */
	assert_int_equal(sample_hold_ms(100.0, 0, 100.0, cost), 0);
	assert_int_equal(sample_hold_ms(100.0, 100.0 - HOLD_AFTER_KEY, 100.0, cost), 0);
	/* A key 0.1 s ago: held until HOLD_AFTER_KEY after it. */
	assert_in_range(sample_hold_ms(100.0, 99.9, 100.0, cost), HOLD_AFTER_KEY * 1000 - 100,
			HOLD_AFTER_KEY * 1000 - 99);
	/* Keys all the while: taken in a second after it came, whatever comes. */
	assert_in_range(sample_hold_ms(100.9, 100.85, 100.0, cost), 100, 101);
	assert_int_equal(sample_hold_ms(101.0, 100.99, 100.0, cost), 0);
	assert_int_equal(sample_hold_ms(103.0, 102.99, 100.0, cost), 0);
	/* A sample that costs little is never held. */
	assert_int_equal(sample_hold_ms(100.0, 99.9, 100.0, HOLD_COST_MS - 1), 0);
	assert_int_equal(sample_hold_ms(100.0, 99.9, 100.0, 0), 0);
}

static void test_rates_match_by_key(void **state)
{
	struct wg_device *a = wg_device_new("wg0"), *b = wg_device_new("wg0");
	struct timespec t0 = { 1, 0 }, t1 = { 3, 0 };
	uint8_t k1[WG_KEY_LEN], k2[WG_KEY_LEN], k3[WG_KEY_LEN];
	struct rate r[3];

	memset(k1, 1, sizeof(k1));
	memset(k2, 2, sizeof(k2));
	memset(k3, 3, sizeof(k3));
	wg_device_get_peer(a, k1, NULL)->rx_bytes = 100;
	wg_device_get_peer(a, k2, NULL)->rx_bytes = 500;
	/* reordered, and one new peer */
	wg_device_get_peer(b, k3, NULL)->rx_bytes = 900;
	wg_device_get_peer(b, k2, NULL)->rx_bytes = 700;
	wg_device_get_peer(b, k1, NULL)->rx_bytes = 300;
	rates_for_device(r, a, &t0, b, &t1);
	assert_int_equal(r[0].status, RATE_INIT);
	assert_int_equal(r[1].status, RATE_OK);
	assert_true(r[1].rx_per_sec > 99.9 && r[1].rx_per_sec < 100.1);
	assert_int_equal(r[2].status, RATE_OK);
	assert_true(r[2].rx_per_sec > 99.9 && r[2].rx_per_sec < 100.1);

	/* the same name, another interface: counters start over */
	a->ifindex = 4;
	b->ifindex = 9;
	rates_for_device(r, a, &t0, b, &t1);
	assert_int_equal(r[1].status, RATE_RESET);
	rates_for_device(r, NULL, NULL, b, &t1);
	assert_int_equal(r[1].status, RATE_INIT);
	wg_device_free(a);
	wg_device_free(b);
}

/*
 * Reads paced to 0.4 % of a core: 40 ms of CPU every 10 s, every 20 s when two kinds of read
 * share it; a cheap one every tick; 30 s at most.
 */
static void test_pace_interval(void **state)
{
	assert_int_equal(pace_interval_ms(40, 1), 10000);
	assert_int_equal(pace_interval_ms(40, 2), 20000);
	assert_int_equal(pace_interval_ms(40, 0), 10000);
	assert_int_equal(pace_interval_ms(0.5, 1), 125);
	assert_int_equal(pace_interval_ms(0, 2), 0);
	assert_int_equal(pace_interval_ms(-1, 1), 0);
	assert_int_equal(pace_interval_ms(500, 1), PACE_MAX_MS);
	assert_int_equal(pace_interval_ms(100, 2), PACE_MAX_MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_interval),
		cmocka_unit_test(test_state_boundaries),
		cmocka_unit_test(test_handshake_age),
		cmocka_unit_test(test_first_sample_has_no_rate),
		cmocka_unit_test(test_rate_by_monotonic_time),
		cmocka_unit_test(test_idle_rate_is_zero),
		cmocka_unit_test(test_counter_backwards_is_reset),
		cmocka_unit_test(test_no_time_no_rate),
		cmocka_unit_test(test_sample_hold),
		cmocka_unit_test(test_rates_match_by_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
