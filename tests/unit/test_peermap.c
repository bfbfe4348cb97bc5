// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the big peer arrays' mappings: the last one freed serves the next. */
#include "cmocka_common.h"
#include <string.h>
#include "model.h"
#include "peermap.h"

static void add_peers(struct wg_device *dev, uint32_t n)
{
	for (uint32_t i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN] = { 0 };
		struct wg_peer *p;

		memcpy(key, &i, sizeof(i));
		assert_non_null(p = wg_device_get_peer(dev, key, NULL));
		p->rx_bytes = i;
	}
}

static void test_spare_reused(void **state)
{
	struct wg_device *one = wg_device_new("wg0"), *two = wg_device_new("wg0"), *three;
	struct wg_peer *was;

	(void)state;
	assert_int_equal(wg_device_reserve(one, 10000), 0);
	add_peers(one, 10000);
	was = one->peers;
	wg_device_free(one);
	/* the same mapping, shrunk in place; then grown past it, the contents kept */
	assert_int_equal(wg_device_reserve(two, 9000), 0);
	assert_ptr_equal(two->peers, was);
	add_peers(two, 12000);
	for (uint32_t i = 0; i < 12000; ++i)
		assert_int_equal(two->peers[i].rx_bytes, i);
	/* none spare while two holds it: a fresh one */
	three = wg_device_new("wg1");
	assert_int_equal(wg_device_reserve(three, 10000), 0);
	assert_ptr_not_equal(three->peers, two->peers);
	wg_device_free(three);
	wg_device_free(two);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spare_reused),
	};

	peermap_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
