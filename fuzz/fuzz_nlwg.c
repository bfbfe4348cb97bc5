// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the netlink parsers of the kernel backend. The first byte picks the
 * parser: 0 the WireGuard device dump, 1 the link dump, 2 the family reply. The rest is a
 * sequence of receive buffers, each a little-endian 16-bit length and that many bytes, fed in
 * order as the socket would hand them over. Requests use seq FUZZ_SEQ and family FUZZ_FAMILY;
 * portid 0 accepts any sender.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "nlwg.h"
#include "rtnl.h"

/* What the parser promises about anything it accepted. */
static void check_device(const struct wg_device *dev)
{
	if (strnlen(dev->name, IFNAMSIZ) == IFNAMSIZ)
		abort();
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *peer = &dev->peers[i];
		sa_family_t family = peer->endpoint.addr.sa_family;

		if (wg_device_find_peer(dev, peer->public_key) != peer)
			abort();
		if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
			abort();
		if (peer->last_handshake_sec < 0 || peer->last_handshake_nsec < 0 ||
		    peer->last_handshake_nsec >= 1000000000)
			abort();
		for (uint32_t j = 0; j < peer->n_allowedips; ++j) {
			const struct wg_allowedip *aip = &peer->allowedips[j];

			if (!(aip->family == AF_INET && aip->cidr <= 32) && !(aip->family == AF_INET6 && aip->cidr <= 128))
				abort();
		}
	}
}

static void fuzz_device(const uint8_t *data, size_t size)
{
	struct nlwg_dump dump;
	struct wg_device *dev;
	void *buf;
	size_t len;
	int ret = NLWG_MORE;

	if (nlwg_dump_init(&dump, "wg0", FUZZ_FAMILY, FUZZ_SEQ, 0) < 0)
		return;
	while (ret == NLWG_MORE && (buf = fuzz_buffer(&data, &size, &len))) {
		/* A receiver that stops at nlwg_dump_ends stops where the parser does, never before. */
		bool ends = nlwg_dump_ends(&dump, buf, len);

		ret = nlwg_dump_feed(&dump, buf, len);
		free(buf);
		if ((ret == NLWG_MORE && ends) || ((ret == NLWG_DONE || ret == -EINTR) && !ends))
			abort();
	}
	dev = nlwg_dump_take(&dump);
	if (dev)
		check_device(dev);
	wg_device_free(dev);
	nlwg_dump_free(&dump);
}

static void fuzz_links(const uint8_t *data, size_t size)
{
	struct rtnl_dump dump;
	void *buf;
	size_t len;
	int ret = RTNL_MORE;

	rtnl_dump_init(&dump, FUZZ_SEQ, 0);
	while (ret == RTNL_MORE && (buf = fuzz_buffer(&data, &size, &len))) {
		ret = rtnl_dump_feed(&dump, buf, len);
		free(buf);
	}
	for (size_t i = 0; i < dump.names.n; ++i)
		if (!*dump.names.v[i] || strlen(dump.names.v[i]) >= IFNAMSIZ)
			abort();
	rtnl_dump_free(&dump);
}

static void fuzz_family(const uint8_t *data, size_t size)
{
	uint16_t family = 0;
	void *buf;
	size_t len;
	int ret = NLWG_MORE;

	while (ret == NLWG_MORE && (buf = fuzz_buffer(&data, &size, &len))) {
		ret = nlwg_parse_family_reply(buf, len, FUZZ_SEQ, 0, &family);
		free(buf);
	}
	if (ret == NLWG_DONE && family <= 0x10)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_device(data + 1, size - 1);
		break;
	case 1:
		fuzz_links(data + 1, size - 1);
		break;
	default:
		fuzz_family(data + 1, size - 1);
		break;
	}
	return 0;
}
