/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the libFuzzer harnesses share: the entry point, and cutting an input into its parts. */
#ifndef WGSTAR_FUZZ_H
#define WGSTAR_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Requests in the netlink harnesses and their seeds: this sequence number, this genl family. */
#define FUZZ_SEQ 1
#define FUZZ_FAMILY 0x15
/* Our netlink port, where a harness ignores messages from others. */
#define FUZZ_PORTID 0x4242

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first byte, consumed; 0 once the input is used up. */
static inline uint8_t fuzz_byte(const uint8_t **data, size_t *size)
{
	uint8_t b;

	if (!*size)
		return 0;
	b = **data;
	++*data;
	--*size;
	return b;
}

/*
 * The next part as a string of its own allocation, so that reading past it is caught: up to
 * the next NUL byte (consumed), or the rest of the input. NULL on ENOMEM.
 */
static inline char *fuzz_string(const uint8_t **data, size_t *size)
{
	const uint8_t *nul = memchr(*data, '\0', *size);
	size_t len = nul ? (size_t)(nul - *data) : *size;
	char *s = malloc(len + 1);

	if (!s)
		return NULL;
	memcpy(s, *data, len);
	s[len] = '\0';
	*data += len + (nul ? 1 : 0);
	*size -= len + (nul ? 1 : 0);
	return s;
}

/*
 * The next receive buffer: a little-endian 16-bit length and that many bytes, copied to its
 * own allocation. NULL at the end of the input or on ENOMEM.
 */
static inline void *fuzz_buffer(const uint8_t **data, size_t *size, size_t *len)
{
	void *buf;

	if (*size < 2)
		return NULL;
	*len = (size_t)(*data)[0] | (size_t)(*data)[1] << 8;
	*data += 2;
	*size -= 2;
	if (*len > *size)
		*len = *size;
	buf = malloc(*len ? *len : 1);
	if (!buf)
		return NULL;
	memcpy(buf, *data, *len);
	*data += *len;
	*size -= *len;
	return buf;
}

#endif
