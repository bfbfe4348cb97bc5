/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds and parses the messages of WireGuard's generic netlink family, without any socket. */
#ifndef WGSTAR_NLWG_H
#define WGSTAR_NLWG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* Return values of the parsers besides -errno. */
#define NLWG_DONE 0
#define NLWG_MORE 1

/* Enough for any request built here. */
#define NLWG_REQUEST_LEN 256

/*
 * The builders write one request into buf (len bytes, at least NLWG_REQUEST_LEN) and return its
 * length, or -ENOSPC, or -EINVAL for an interface name that cannot exist or a family id that
 * is no family's.
 */
int nlwg_build_family_request(void *buf, size_t len, uint32_t seq);
int nlwg_build_get_device(void *buf, size_t len, uint16_t family, const char *ifname, uint32_t seq);

/*
 * Looks for the answer to nlwg_build_family_request in one receive buffer: NLWG_DONE with
 * *family set, NLWG_MORE when the buffer held nothing for this request, or the -errno the
 * kernel sent (-ENOENT when the family is not registered), -EBADMSG when malformed.
 * Messages with another seq or portid are ignored; portid 0 accepts any.
 */
int nlwg_parse_family_reply(const void *buf, size_t len, uint32_t seq, uint32_t portid, uint16_t *family);

/* One WG_CMD_GET_DEVICE dump being received. */
struct nlwg_dump {
	struct wg_device *dev;
	uint16_t family;
	uint32_t seq;
	uint32_t portid;
	bool interrupted;
	int status;			/* NLWG_MORE while receiving, then what feed returned */
};

/*
 * 0, -EINVAL for a family id that is no family's, or -ENOMEM. The device starts out named
 * ifname and marked as a kernel one; messages with another seq or portid are ignored, and
 * portid 0 accepts any.
 */
int nlwg_dump_init(struct nlwg_dump *dump, const char *ifname, uint16_t family, uint32_t seq, uint32_t portid);
/*
 * Feeds one receive buffer of whole netlink messages. Returns NLWG_MORE until NLMSG_DONE,
 * then NLWG_DONE; or the -errno from NLMSG_ERROR or from the error inside NLMSG_DONE;
 * -EINTR once the dump is over when any message was flagged NLM_F_DUMP_INTR (start a new
 * dump); -EBADMSG on anything malformed; -ENOMEM. After anything but NLWG_MORE the dump
 * is over and later calls return -EINVAL.
 */
int nlwg_dump_feed(struct nlwg_dump *dump, const void *buf, size_t len);
/*
 * Whether buf, one receive buffer of the dump, is its last: it holds the NLMSG_DONE or an
 * error that nlwg_dump_feed ends the dump with, or is malformed (which feed refuses). Reads
 * only the message headers: a receiver that hands the buffers to another thread to feed
 * knows when to stop receiving.
 */
bool nlwg_dump_ends(const struct nlwg_dump *dump, const void *buf, size_t len);
/* Hands the device over to the caller (NULL unless the dump finished with NLWG_DONE). */
struct wg_device *nlwg_dump_take(struct nlwg_dump *dump);
void nlwg_dump_free(struct nlwg_dump *dump);

#endif
