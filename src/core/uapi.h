/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A streaming parser, without I/O, of the reply to the cross-platform UAPI "get=1" request. */
#ifndef WGSTAR_UAPI_H
#define WGSTAR_UAPI_H

#include <stdbool.h>
#include <stddef.h>
#include "model.h"

/* The longest line accepted, newline included; the longest real one is far shorter. */
#define UAPI_LINE_MAX 4096
/* Limits of what a reply may hold: beyond them it is refused (-E2BIG), not read on. */
#define UAPI_MAX_PEERS (1u << 20)
#define UAPI_MAX_REPLY ((size_t)1 << 30)

/* The request that asks for the whole device, as written to the socket. */
#define UAPI_GET_REQUEST "get=1\n\n"

enum uapi_state {
	UAPI_BODY,		/* key=value lines, until errno= */
	UAPI_AFTER_ERRNO,	/* only the closing blank line may follow */
	UAPI_DONE,		/* the reply is complete */
	UAPI_FAILED,		/* error holds why; every later call returns it */
};

/*
 * The caller owns it (it may live on the stack) and clears it (uapi_parser_clear) after
 * finish; dev, and earlier (uapi_parser_keep_sums), are borrowed until then.
 * An IPv6 endpoint's zone names an interface: scope_to_index, when set,
 * turns the name into an index (if_nametoindex); without it named zones
 * give scope id 0 and numeric zones are taken as they are.
 */
struct uapi_parser {
	struct wg_device *dev;
	struct wg_peer *peer;		/* the peer the last public_key started, or NULL */
	unsigned int (*scope_to_index)(const char *name);
	/* Set by uapi_parser_keep_sums. */
	bool keep_sums;
	const struct wg_device *earlier;
	struct wg_lines_sum *sums;	/* each peer's so far; handed to dev by finish */
	uint32_t cap_sums;
	bool lines_open;		/* the last peer's lines are still coming */
	const char *lines;		/* where they began, when in the chunk being fed; else NULL */
	uint32_t near;			/* the cursor of lookups in earlier */
	/* The open lines' first probe_len bytes (0: none) hash to probe_hash: checked, not taken. */
	uint32_t probe_len;
	uint64_t probe_hash;
	uint32_t taken;			/* peers taken from earlier, not parsed */
	enum uapi_state state;
	int error;			/* -errno when FAILED */
	int remote_errno;		/* the errno= the daemon sent, as a positive number */
	size_t len;			/* bytes of a partial line held in line */
	char line[UAPI_LINE_MAX];
};

void uapi_parser_init(struct uapi_parser *p, struct wg_device *dev);

/*
 * After init, before the first feed: each peer's lines are summed (a 64-bit hash and their
 * length, into dev->lines_sums by finish; room is made for expected peers first, 0 when
 * unknown), and a peer whose lines are byte for byte those summed in earlier (a device this
 * parser's kind filled before, with its sums; NULL for none) is taken from earlier, not
 * parsed: at 10,000 idle peers a second, parsing them was a third of the console's time. A
 * peer's lines that a chunk cuts, or whose endpoint names a zone (an interface, which may be
 * renamed), are not summed. The hash is not a cryptographic one: the answer comes from the
 * local daemon, and a change hashing the same by chance (2^-64) would show a peer's figures
 * of the last read until its next change.
 */
void uapi_parser_keep_sums(struct uapi_parser *p, const struct wg_device *earlier, uint32_t expected);

/*
 * Feeds the next len bytes of the reply, split anywhere. Returns 0 when more is
 * wanted, 1 once the reply is complete (stop reading then), or -errno when it is
 * malformed: -EBADMSG for anything that is not a well-formed reply, including a
 * line longer than UAPI_LINE_MAX, a NUL byte, a device key after the first
 * public_key or a peer key before it, and any byte after the closing blank
 * line; -ENOMEM; -EPROTONOSUPPORT for a protocol_version other than 1.
 * Errors are sticky. The caller should wipe buf afterwards: it may hold the
 * private key, which is never copied into dev.
 */
int uapi_parser_feed(struct uapi_parser *p, const void *buf, size_t len);

/*
 * Ends the reply (at EOF, or after feed returned 1) and wipes the parser's line
 * buffer. Returns 0 for a complete reply with errno=0, -N for errno=N, -EPROTO
 * when the reply stopped before its closing blank line, or the sticky error.
 */
int uapi_parser_finish(struct uapi_parser *p);

/* Frees what finish did not hand over (the sums of a reply that failed); idempotent. */
void uapi_parser_clear(struct uapi_parser *p);

/* One call for a whole reply in memory: init, feed, finish. */
int uapi_parse(struct wg_device *dev, const void *buf, size_t len);

#endif
