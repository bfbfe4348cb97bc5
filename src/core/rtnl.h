/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builds and parses an RTM_GETLINK dump that finds the WireGuard links, without any socket. */
#ifndef WGSTAR_RTNL_H
#define WGSTAR_RTNL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strlist.h"

/* Return values of the parser besides -errno. */
#define RTNL_DONE 0
#define RTNL_MORE 1

/* Enough for any request built here. */
#define RTNL_REQUEST_LEN 128

/* The link kind the kernel's WireGuard driver registers. */
#define RTNL_WIREGUARD_KIND "wireguard"

/* Writes the dump request into buf (len bytes, at least RTNL_REQUEST_LEN); its length or -ENOSPC. */
int rtnl_build_getlink_dump(void *buf, size_t len, uint32_t seq);

/* One RTM_GETLINK dump being received; names collects the WireGuard links in dump order. */
struct rtnl_dump {
	struct strlist names;
	uint32_t seq;
	uint32_t portid;		/* 0 accepts any */
	bool interrupted;
	int status;			/* RTNL_MORE while receiving, then what feed returned */
};

void rtnl_dump_init(struct rtnl_dump *dump, uint32_t seq, uint32_t portid);
/*
 * Feeds one receive buffer of whole netlink messages. Returns RTNL_MORE until NLMSG_DONE,
 * then RTNL_DONE; or the -errno from NLMSG_ERROR or from the error inside NLMSG_DONE;
 * -EINTR once the dump is over when any message was flagged NLM_F_DUMP_INTR (start a new
 * dump); -EBADMSG on anything malformed; -ENOMEM. After anything but RTNL_MORE the dump is
 * over and later calls return -EINVAL. Messages with another seq or portid are ignored.
 */
int rtnl_dump_feed(struct rtnl_dump *dump, const void *buf, size_t len);
void rtnl_dump_free(struct rtnl_dump *dump);

#endif
