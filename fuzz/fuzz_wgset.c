// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the kernel's acknowledgement of a WireGuard set request. The first byte's
 * low bit says whether messages from another port are to be ignored; the rest is a sequence of
 * receive buffers, each a little-endian 16-bit length and that many bytes, read until one holds
 * the ack of request FUZZ_SEQ. What is found is success, an errno, or a malformed message.
 */
#include <errno.h>
#include "fuzz.h"
#include "nlwg.h"
#include "wgset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t portid = fuzz_byte(&data, &size) & 1 ? FUZZ_PORTID : 0;
	int ret = NLWG_MORE;
	void *buf;
	size_t len;

	while (ret == NLWG_MORE && (buf = fuzz_buffer(&data, &size, &len))) {
		ret = wgset_nl_parse_ack(buf, len, FUZZ_SEQ, portid);
		free(buf);
		if (ret > NLWG_MORE || ret < -4095)
			abort();
	}
	return 0;
}
