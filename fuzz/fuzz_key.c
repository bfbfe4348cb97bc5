// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: WireGuard keys as base64 (command line, config files, the name store) and
 * as hex (the userspace protocol). The input up to its first NUL is decoded both ways: a key
 * accepted encodes back to the very text (hex in either case), so no two texts name one key.
 * The input's first bytes as a key encode and decode back to themselves.
 */
#include <strings.h>
#include "fuzz.h"
#include "key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest = data;
	size_t left = size;
	char *s = fuzz_string(&rest, &left), b64[WG_KEY_B64_LEN], hex[WG_KEY_HEX_LEN];
	uint8_t key[WG_KEY_LEN] = { 0 }, again[WG_KEY_LEN];

	if (!s)
		return 0;
	if (key_from_base64(key, s)) {
		key_to_base64(b64, key);
		if (strcmp(b64, s))
			abort();
	}
	if (key_from_hex(key, s, strlen(s))) {
		key_to_hex(hex, key);
		if (strcasecmp(hex, s))
			abort();
	}
	memset(key, 0, sizeof(key));
	memcpy(key, data, size < WG_KEY_LEN ? size : WG_KEY_LEN);
	key_to_base64(b64, key);
	if (!key_from_base64(again, b64) || memcmp(key, again, WG_KEY_LEN))
		abort();
	key_to_hex(hex, key);
	if (!key_from_hex(again, hex, strlen(hex)) || memcmp(key, again, WG_KEY_LEN))
		abort();
	free(s);
	return 0;
}
