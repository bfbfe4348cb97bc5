/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard keys: base64 and hex forms, and the public half of a private key. */
#ifndef WGSTAR_KEY_H
#define WGSTAR_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define WG_KEY_B64_LEN 45		/* 44 characters and the NUL */
#define WG_KEY_HEX_LEN 65

void key_to_base64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN]);
/* 44 characters of base64, the last '='; false, with nothing of b64 left in key, when it is no key. */
bool key_from_base64(uint8_t key[WG_KEY_LEN], const char *b64);
void key_to_hex(char out[WG_KEY_HEX_LEN], const uint8_t key[WG_KEY_LEN]);
/*
 * Exactly 64 hex digits; len is the length of hex, which need not be NUL-terminated. False,
 * with nothing of hex left in key, when it is no key.
 */
bool key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex, size_t len);
bool key_is_zero(const uint8_t key[WG_KEY_LEN]);
/* Writes the X25519 public key of private_key; 0 or -errno. */
int key_public_from_private(uint8_t public_key[WG_KEY_LEN], const uint8_t private_key[WG_KEY_LEN]);
/* Zeroes memory in a way the compiler may not elide. */
void key_wipe(void *p, size_t len);

#endif
