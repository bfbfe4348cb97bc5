// SPDX-License-Identifier: GPL-2.0-or-later
/* WireGuard keys: base64 and hex forms, and the public half of a private key. */
#include <errno.h>
#include <string.h>
#include <sodium.h>
#include "key.h"
#include "text.h"

static const char b64_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	unsigned int i, o = 0;

	for (i = 0; i + 3 <= WG_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	/* 32 = 30 + 2: two bytes left, one '=' of padding. */
	{
		uint32_t v = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;

		out[o++] = b64_alphabet[v >> 18 & 63];
		out[o++] = b64_alphabet[v >> 12 & 63];
		out[o++] = b64_alphabet[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

/*
 * Each base64 character's value plus one; 0 for a byte that is none. A table: keys are decoded
 * by the ten thousand on every read of a big hub's config file.
 */
static const uint8_t b64_plus1[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6, ['G'] = 7, ['H'] = 8, ['I'] = 9,
	['J'] = 10, ['K'] = 11, ['L'] = 12, ['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22, ['W'] = 23, ['X'] = 24, ['Y'] = 25,
	['Z'] = 26, ['a'] = 27, ['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32, ['g'] = 33,
	['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37, ['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41,
	['p'] = 42, ['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47, ['v'] = 48, ['w'] = 49,
	['x'] = 50, ['y'] = 51, ['z'] = 52, ['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62, ['+'] = 63, ['/'] = 64,
};

/*
 * Four characters to three bytes at a time, the validity of all of them checked once at the
 * end: a character that is none has value 0 - 1, whose high bits stay in bad. A peer add at
 * 65,536 peers decoded 325,000 keys, at 650 instructions each one character at a time.
 * Straight into key, which is wiped when the text was no key: a copy to wipe on success
 * cost a third of the decoding again, in three calls.
 */
bool key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64)
{
	const unsigned char *s = (const unsigned char *)b64;
	unsigned int o = 0, bad = 0;

	if (!b64 || strlen(b64) != WG_KEY_B64_LEN - 1 || b64[43] != '=')
		return false;
	for (unsigned int i = 0; i < 40; i += 4) {
		unsigned int a = b64_plus1[s[i]] - 1u, b = b64_plus1[s[i + 1]] - 1u, c = b64_plus1[s[i + 2]] - 1u,
			     d = b64_plus1[s[i + 3]] - 1u;
		uint32_t v = a << 18 | b << 12 | c << 6 | d;

		bad |= a | b | c | d;
		key[o++] = (uint8_t)(v >> 16);
		key[o++] = (uint8_t)(v >> 8);
		key[o++] = (uint8_t)v;
	}
	{
		unsigned int a = b64_plus1[s[40]] - 1u, b = b64_plus1[s[41]] - 1u, c = b64_plus1[s[42]] - 1u;

		bad |= a | b | c;
		/* The last character carries 6 bits of which only 4 belong to the key: the rest must be 0. */
		bad |= (c & 3) << 6;
		key[o++] = (uint8_t)(a << 2 | b >> 4);
		key[o++] = (uint8_t)(b << 4 | c >> 2);
	}
	if (bad & ~63u) {
		key_wipe(key, WG_KEY_LEN);
		return false;
	}
	return true;
}

void key_to_hex(char out[WG_KEY_HEX_LEN], const uint8_t key[WG_KEY_LEN])
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < WG_KEY_LEN; ++i) {
		out[2 * i] = digits[key[i] >> 4];
		out[2 * i + 1] = digits[key[i] & 15];
	}
	out[2 * WG_KEY_LEN] = '\0';
}

/*
 * As key_from_base64: straight into key, wiped when the text was no key, and the digits'
 * validity checked once at the end (a digit that is none has value -1, which sets bad's high
 * bits). The console decodes every peer's key of wireguard-go's answer each second, a
 * twentieth of its time at 10,000 peers; a copy wiped through libsodium on every success
 * added to that.
 */
bool key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex, size_t len)
{
	const unsigned char *s = (const unsigned char *)hex;
	unsigned int bad = 0;

	if (len != 2 * WG_KEY_LEN)
		return false;
	for (unsigned int i = 0; i < WG_KEY_LEN; ++i) {
		unsigned int hi = (unsigned int)text_hex_value((char)s[2 * i]),
			     lo = (unsigned int)text_hex_value((char)s[2 * i + 1]);

		bad |= hi | lo;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	if (bad & ~15u) {
		key_wipe(key, WG_KEY_LEN);
		return false;
	}
	return true;
}

bool key_is_zero(const uint8_t key[WG_KEY_LEN])
{
	uint8_t acc = 0;

	for (unsigned int i = 0; i < WG_KEY_LEN; ++i)
		acc |= key[i];
	return acc == 0;
}

int key_public_from_private(uint8_t public_key[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN])
{
	if (sodium_init() < 0)
		return -ENOSYS;
	/* libsodium clamps the scalar itself, as WireGuard does. */
	if (crypto_scalarmult_curve25519_base(public_key, private_key) != 0)
		return -EINVAL;
	return 0;
}

void key_wipe(void *p, size_t len)
{
	sodium_memzero(p, len);
}
