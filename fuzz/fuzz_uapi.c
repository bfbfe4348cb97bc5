// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the UAPI reply parser, fed whole and in pieces that must agree. An input of
 * two replies (the second after the first's closing blank line) is a console's two reads: the
 * second, in pieces, leans on the first's peers (uapi_parser_keep_sums) and must be what a plain
 * parse of it is; a reply alone leans on its own whole parse.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fuzz.h"
#include "model.h"
#include "uapi.h"

/* Pure, so the harness never touches the system: "lo" is 1, digits are not names. */
static unsigned int fake_scope(const char *name)
{
	return strcmp(name, "lo") ? 0 : 1;
}

static uint32_t input_hash(const uint8_t *data, size_t size)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < size; ++i)
		h = (h ^ data[i]) * 16777619u;
	return h;
}

/* indexed: the parse succeeded, so every peer is found by its key (a failed one is not indexed). */
static void check_sane(const struct wg_device *dev, bool indexed)
{
	if (dev->n_peers > dev->cap_peers)
		abort();
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		int fam = p->endpoint.addr.sa_family;

		if (indexed && wg_device_find_peer(dev, p->public_key) != p)
			abort();
		if (fam != AF_UNSPEC && fam != AF_INET && fam != AF_INET6)
			abort();
		if (p->last_handshake_sec < 0 || p->last_handshake_nsec < 0 || p->last_handshake_nsec > 999999999)
			abort();
		for (uint32_t j = 0; j < p->n_allowedips; ++j) {
			const struct wg_allowedip *a = &p->allowedips[j];

			if (a->family == AF_INET ? a->cidr > 32 : a->family == AF_INET6 ? a->cidr > 128 : 1)
				abort();
		}
	}
}

static void check_same(const struct wg_device *a, const struct wg_device *b)
{
	if (a->has_public_key != b->has_public_key || memcmp(a->public_key, b->public_key, WG_KEY_LEN) ||
	    a->listen_port != b->listen_port || a->fwmark != b->fwmark || a->n_peers != b->n_peers)
		abort();
	for (uint32_t i = 0; i < a->n_peers; ++i) {
		const struct wg_peer *p = &a->peers[i], *q = &b->peers[i];

		if (memcmp(p->public_key, q->public_key, WG_KEY_LEN) ||
		    p->has_preshared_key != q->has_preshared_key ||
		    memcmp(&p->endpoint, &q->endpoint, sizeof(p->endpoint)) ||
		    p->last_handshake_sec != q->last_handshake_sec ||
		    p->last_handshake_nsec != q->last_handshake_nsec ||
		    p->rx_bytes != q->rx_bytes || p->tx_bytes != q->tx_bytes ||
		    p->persistent_keepalive != q->persistent_keepalive ||
		    p->n_allowedips != q->n_allowedips)
			abort();
		for (uint32_t j = 0; j < p->n_allowedips; ++j)
			if (wg_allowedip_cmp(&p->allowedips[j], &q->allowedips[j]))
				abort();
	}
}

/* Piece lengths come from a generator seeded by the input, so every mutation moves the cuts. */
static int parse_in_pieces(struct wg_device *dev, const uint8_t *data, size_t size, const struct wg_device *earlier)
{
	static const uint32_t spans[] = { 1, 2, 7, 64, 700, 5000 };
	struct uapi_parser p;
	uint32_t h = input_hash(data, size), span = spans[h % 6];
	size_t off = 0;
	int ret = 0;

	uapi_parser_init(&p, dev);
	p.scope_to_index = fake_scope;
	uapi_parser_keep_sums(&p, earlier, 0);
	while (off < size) {
		size_t n;

		h ^= h << 13;
		h ^= h >> 17;
		h ^= h << 5;
		n = 1 + h % span;
		if (n > size - off)
			n = size - off;
		ret = uapi_parser_feed(&p, data + off, n);
		off += n;
		if (ret < 0)
			break;
		/* Complete means the input ends here, or the next byte is refused. */
		if (ret == 1 && off < size && uapi_parser_feed(&p, data + off, 1) != -EBADMSG)
			abort();
		if (ret == 1)
			break;
	}
	if (ret >= 0)
		ret = uapi_parser_finish(&p);
	else if (uapi_parser_finish(&p) != ret)
		abort();
	if (ret == 0 && dev->n_peers && !dev->lines_sums)
		abort();
	uapi_parser_clear(&p);
	return ret;
}

/* Where a first reply ends (after "errno=N\n\n") with more after it, or 0. */
static size_t first_reply_end(const uint8_t *data, size_t size)
{
	const uint8_t *e = memmem(data, size, "\nerrno=", 7), *end;

	if (!e)
		return 0;
	end = memmem(e + 1, size - (size_t)(e + 1 - data), "\n\n", 2);
	if (!end || (size_t)(end + 2 - data) >= size)
		return 0;
	return (size_t)(end + 2 - data);
}

/* A parse of the whole input at once, its peers summed, leaning on earlier (may be NULL). */
static struct wg_device *parse_summed(const uint8_t *data, size_t size, const struct wg_device *earlier, int *ret)
{
	struct wg_device *dev = wg_device_new("wgfuzz0");
	struct uapi_parser p;

	if (!dev)
		abort();
	uapi_parser_init(&p, dev);
	p.scope_to_index = fake_scope;
	uapi_parser_keep_sums(&p, earlier, 0);
	*ret = uapi_parser_feed(&p, data, size);
	if (*ret >= 0)
		*ret = uapi_parser_finish(&p);
	uapi_parser_clear(&p);
	return dev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device *whole, *leaning, *pieces = wg_device_new("wgfuzz0"), *first = NULL;
	const struct wg_device *earlier;
	size_t split = first_reply_end(data, size);
	int ret_whole, ret_leaning, ret_pieces, ret_first = -1;

	if (!pieces)
		abort();
	if (split) {
		first = parse_summed(data, split, NULL, &ret_first);
		data += split;
		size -= split;
	}
	whole = parse_summed(data, size, NULL, &ret_whole);
	earlier = ret_first == 0 ? first : ret_whole == 0 ? whole : NULL;
	leaning = parse_summed(data, size, earlier, &ret_leaning);
	ret_pieces = parse_in_pieces(pieces, data, size, earlier);

	if (ret_whole > 0 || ret_pieces > 0 || ret_whole < -4095)
		abort();
	/* Where the cuts fall, and which peers came from the earlier reply, must change nothing. */
	if (ret_whole != ret_pieces || ret_whole != ret_leaning)
		abort();
	check_sane(whole, ret_whole == 0);
	check_same(whole, pieces);
	check_same(whole, leaning);
	wg_device_free(whole);
	wg_device_free(leaning);
	wg_device_free(pieces);
	wg_device_free(first);
	return 0;
}
