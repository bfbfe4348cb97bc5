// SPDX-License-Identifier: GPL-2.0-or-later
/* New WireGuard keys from the system's random number generator, as `wg genkey` and `wg genpsk` make them. */
#include <errno.h>
#include <sodium.h>
#include "keygen.h"

/*
 * libsodium's default generator reads getrandom(2), or /dev/urandom where that is
 * missing: the kernel's CSPRNG, the source wg(8) uses too. sodium_init() sets it up
 * and is cheap once it has run.
 */
static int random_key(uint8_t key[WG_KEY_LEN])
{
	if (sodium_init() < 0)
		return -ENOSYS;
	randombytes_buf(key, WG_KEY_LEN);
	return 0;
}

int keygen_private(uint8_t priv[WG_KEY_LEN])
{
	int err = random_key(priv);

	if (err < 0)
		return err;
	/*
	 * Clamp as RFC 7748 and `wg genkey` do, so the file holds the key WireGuard really
	 * uses: a multiple of the cofactor 8, below 2^255, with bit 254 set.
	 */
	priv[0] &= 248;
	priv[31] &= 127;
	priv[31] |= 64;
	return 0;
}

int keygen_preshared(uint8_t psk[WG_KEY_LEN])
{
	return random_key(psk);
}
