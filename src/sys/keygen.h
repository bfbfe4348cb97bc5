/* SPDX-License-Identifier: GPL-2.0-or-later */
/* New WireGuard keys from the system's random number generator, as `wg genkey` and `wg genpsk` make them. */
#ifndef WGSTAR_KEYGEN_H
#define WGSTAR_KEYGEN_H

#include <stdint.h>
#include "model.h"

/*
 * A new Curve25519 private key, clamped as `wg genkey` clamps it. Its public half is
 * key_public_from_private(); wipe it with key_wipe(). 0 or -ENOSYS when libsodium
 * cannot start.
 */
int keygen_private(uint8_t priv[WG_KEY_LEN]);
/* A new preshared key: 32 random bytes, as `wg genpsk` makes it. 0 or -ENOSYS. */
int keygen_preshared(uint8_t psk[WG_KEY_LEN]);

#endif
