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
 * The caller owns it (it may live on the stack); only dev is borrowed.
 * An IPv6 endpoint's zone names an interface: scope_to_index, when set,
 * turns the name into an index (if_nametoindex); without it named zones
 * give scope id 0 and numeric zones are taken as they are.
 */
struct uapi_parser {
	struct wg_device *dev;
	struct wg_peer *peer;		/* the peer the last public_key started, or NULL */
	unsigned int (*scope_to_index)(const char *name);
	enum uapi_state state;
	int error;			/* -errno when FAILED */
	int remote_errno;		/* the errno= the daemon sent, as a positive number */
	size_t len;			/* bytes of a partial line held in line */
	char line[UAPI_LINE_MAX];
};

void uapi_parser_init(struct uapi_parser *p, struct wg_device *dev);

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

/* One call for a whole reply in memory: init, feed, finish. */
int uapi_parse(struct wg_device *dev, const void *buf, size_t len);

#endif
