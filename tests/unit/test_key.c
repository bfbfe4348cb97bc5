// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of key encoding and public key derivation. */
#include "cmocka_common.h"
#include <stdlib.h>
#include <string.h>
#include "key.h"

/* RFC 7748, section 6.1: Alice's private and public key. */
static const char alice_priv_hex[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char alice_pub_hex[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

static void test_rfc7748_public_key(void **state)
{
	uint8_t priv[WG_KEY_LEN], pub[WG_KEY_LEN];
	char hex[WG_KEY_HEX_LEN];

	assert_true(key_from_hex(priv, alice_priv_hex, strlen(alice_priv_hex)));
	assert_int_equal(key_public_from_private(pub, priv), 0);
	key_to_hex(hex, pub);
	assert_string_equal(hex, alice_pub_hex);
	key_wipe(priv, sizeof(priv));
	assert_true(key_is_zero(priv));
}

static void test_base64_round_trip(void **state)
{
	uint8_t key[WG_KEY_LEN], back[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];

	for (unsigned int seed = 0; seed < 256; ++seed) {
		for (unsigned int i = 0; i < WG_KEY_LEN; ++i)
			key[i] = (uint8_t)(seed * 31 + i * 17);
		key_to_base64(b64, key);
		assert_int_equal(strlen(b64), 44);
		assert_true(key_from_base64(back, b64));
		assert_memory_equal(key, back, WG_KEY_LEN);
	}
}

static void test_base64_known(void **state)
{
	uint8_t key[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN];

	memset(key, 0, sizeof(key));
	key_to_base64(b64, key);
	assert_string_equal(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
	memset(key, 0xff, sizeof(key));
	key_to_base64(b64, key);
	assert_string_equal(b64, "//////////////////////////////////////////8=");
}

static void test_base64_rejects(void **state)
{
	uint8_t key[WG_KEY_LEN];

	assert_false(key_from_base64(key, NULL));
	assert_false(key_from_base64(key, ""));
	assert_false(key_from_base64(key, "AAAA"));
	/* 44 characters but no padding */
	assert_false(key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
	/* a character outside the alphabet */
	assert_false(key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAA*AAAAAAAAAAAAAA="));
	/* non-zero bits beyond the 32nd byte */
	assert_false(key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB="));
	/* too long */
	assert_false(key_from_base64(key, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="));
}

/* Every byte outside the alphabet, at every place: refused, and nothing of the text left in the key. */
static void test_base64_rejects_each_place(void **state)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	static const uint8_t zero[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN], good[WG_KEY_B64_LEN];
	uint8_t key[WG_KEY_LEN], was[WG_KEY_LEN];

	(void)state;
	memset(was, 0x5a, sizeof(was));
	/* A key with no zero byte: what a refused text would leave shows. */
	key_to_base64(good, was);
	for (int place = 0; place < 43; ++place) {
		for (int c = 1; c < 256; ++c) {
			bool valid = memchr(alphabet, c, sizeof(alphabet) - 1) != NULL;

			memcpy(b64, good, sizeof(b64));
			b64[place] = (char)c;
			memcpy(key, was, sizeof(key));
			/* The last place takes only the characters whose low two bits are zero. */
			if (place == 42 && valid)
				valid = (strchr(alphabet, c) - alphabet) % 4 == 0;
			assert_int_equal(key_from_base64(key, b64), valid);
			if (!valid)
				assert_memory_equal(key, zero, sizeof(key));
		}
	}
}

static void test_hex_rejects(void **state)
{
	uint8_t key[WG_KEY_LEN];

	assert_false(key_from_hex(key, alice_priv_hex, 63));
	assert_false(key_from_hex(key, "zz076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", 64));
	assert_true(key_from_hex(key, "77076D0A7318A57D3C16C17251B26645DF4C2F87EBC0992AB177FBA51DB92C2A", 64));
	assert_int_equal(key[0], 0x77);
}

/* Every place, every byte: only a hex digit (either case) is one; no key is a wiped key. */
static void test_hex_each_place(void **state)
{
	static const uint8_t zero[WG_KEY_LEN];
	char hex[65];
	uint8_t key[WG_KEY_LEN], want[WG_KEY_LEN];

	(void)state;
	for (unsigned int place = 0; place < 64; ++place) {
		for (unsigned int c = 0; c < 256; ++c) {
			bool valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');

			memcpy(hex, alice_priv_hex, sizeof(hex));
			hex[place] = (char)c;
			memset(key, 0xa5, sizeof(key));
			assert_int_equal(key_from_hex(key, hex, 64), valid);
			if (!valid) {
				assert_memory_equal(key, zero, sizeof(key));
				continue;
			}
			for (unsigned int i = 0; i < WG_KEY_LEN; ++i) {
				char byte[3] = { hex[2 * i], hex[2 * i + 1], '\0' };

				want[i] = (uint8_t)strtoul(byte, NULL, 16);
			}
			assert_memory_equal(key, want, sizeof(key));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7748_public_key),
		cmocka_unit_test(test_base64_round_trip),
		cmocka_unit_test(test_base64_known),
		cmocka_unit_test(test_base64_rejects),
		cmocka_unit_test(test_base64_rejects_each_place),
		cmocka_unit_test(test_hex_rejects),
		cmocka_unit_test(test_hex_each_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
