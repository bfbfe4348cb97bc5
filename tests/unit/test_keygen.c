// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of key generation, checked against wg(8) where it is installed. */
#include "cmocka_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "key.h"
#include "keygen.h"

#define WG "/usr/bin/wg"
#define N_KEYS 1000

static bool strict(void)
{
	const char *s = getenv("WGSTAR_STRICT");

	return s && strcmp(s, "1") == 0;
}

static void test_private_clamped(void **state)
{
	uint8_t key[WG_KEY_LEN];
	unsigned int ones[WG_KEY_LEN * 8] = { 0 };

	for (int n = 0; n < N_KEYS; ++n) {
		assert_int_equal(keygen_private(key), 0);
		assert_int_equal(key[0] & 7, 0);
		assert_int_equal(key[31] & 0x80, 0);
		assert_int_equal(key[31] & 0x40, 0x40);
		for (int b = 0; b < WG_KEY_LEN * 8; ++b)
			ones[b] += key[b / 8] >> (b % 8) & 1;
	}
	/*
	 * Every bit clamping leaves alone is random: each is set in about half the keys.
	 * The bounds are 10 standard deviations out, so a good generator never fails them.
	 */
	for (int b = 0; b < WG_KEY_LEN * 8; ++b) {
		if (b < 3 || b == 255 || b == 254)
			continue;
		if (ones[b] < N_KEYS / 2 - 160 || ones[b] > N_KEYS / 2 + 160)
			fail_msg("bit %d set in %u of %d keys", b, ones[b], N_KEYS);
	}
	key_wipe(key, sizeof(key));
}

static int key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, WG_KEY_LEN);
}

static void test_keys_differ(void **state)
{
	uint8_t (*keys)[WG_KEY_LEN] = calloc(2 * N_KEYS, WG_KEY_LEN);

	assert_non_null(keys);
	for (int n = 0; n < N_KEYS; ++n) {
		assert_int_equal(keygen_private(keys[n]), 0);
		assert_int_equal(keygen_preshared(keys[N_KEYS + n]), 0);
		assert_false(key_is_zero(keys[n]));
		assert_false(key_is_zero(keys[N_KEYS + n]));
	}
	qsort(keys, 2 * N_KEYS, WG_KEY_LEN, key_cmp);
	for (int n = 1; n < 2 * N_KEYS; ++n)
		assert_memory_not_equal(keys[n - 1], keys[n], WG_KEY_LEN);
	key_wipe(keys, 2 * N_KEYS * WG_KEY_LEN);
	free(keys);
}

static void test_preshared_unclamped(void **state)
{
	uint8_t psk[WG_KEY_LEN];
	bool low = false, high = false;

	/* 32 plain random bytes: over many keys the bits clamping would fix take both values. */
	for (int n = 0; n < N_KEYS && !(low && high); ++n) {
		assert_int_equal(keygen_preshared(psk), 0);
		low |= (psk[0] & 7) != 0;
		high |= (psk[31] & 0x80) != 0;
	}
	assert_true(low);
	assert_true(high);
	key_wipe(psk, sizeof(psk));
}

/* `wg pubkey` of a base64 private key, into out; false when it did not run. */
static bool wg_pubkey(char out[WG_KEY_B64_LEN], const char *priv_b64)
{
	char cmd[64], line[128];
	int fds[2], status;
	ssize_t len;
	FILE *p;

	/*
	 * The key goes in on stdin, as the man page shows it, never on a command line;
	 * the answer comes back through a pipe, so no file ever holds either.
	 */
	assert_int_equal(pipe(fds), 0);
	if (fds[1] > 9)
		fail_msg("pipe on fd %d, beyond what a shell redirection takes", fds[1]);
	snprintf(cmd, sizeof(cmd), WG " pubkey >&%d", fds[1]);
	p = popen(cmd, "w");
	assert_non_null(p);
	fprintf(p, "%s\n", priv_b64);
	status = pclose(p);
	close(fds[1]);
	len = read(fds[0], line, sizeof(line) - 1);
	close(fds[0]);
	if (status != 0 || len <= 0)
		return false;
	line[len] = '\0';
	line[strcspn(line, "\n")] = '\0';
	assert_int_equal(strlen(line), WG_KEY_B64_LEN - 1);
	memcpy(out, line, WG_KEY_B64_LEN);
	return true;
}

static void test_public_matches_wg(void **state)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char priv_b64[WG_KEY_B64_LEN], pub_b64[WG_KEY_B64_LEN], want[WG_KEY_B64_LEN];

	if (access(WG, X_OK) != 0) {
		if (strict())
			fail_msg(WG " is missing and WGSTAR_STRICT=1");
		skip();
	}
	for (int n = 0; n < 20; ++n) {
		assert_int_equal(keygen_private(priv), 0);
		assert_int_equal(key_public_from_private(pub, priv), 0);
		key_to_base64(priv_b64, priv);
		key_to_base64(pub_b64, pub);
		assert_true(wg_pubkey(want, priv_b64));
		assert_string_equal(pub_b64, want);
	}
	key_wipe(priv, sizeof(priv));
	key_wipe(priv_b64, sizeof(priv_b64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_clamped),
		cmocka_unit_test(test_keys_differ),
		cmocka_unit_test(test_preshared_unclamped),
		cmocka_unit_test(test_public_matches_wg),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
