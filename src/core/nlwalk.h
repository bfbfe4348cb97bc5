/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounds-checked walks over netlink messages and attributes in a buffer, shared by the parsers. */
#ifndef WGSTAR_NLWALK_H
#define WGSTAR_NLWALK_H

#include <stddef.h>
#include <libmnl/libmnl.h>

/* What a message callback returns to go on to the next message; anything else stops the walk. */
#define NLWALK_MORE 1

/*
 * Calls cb for every message of buf while it returns NLWALK_MORE, and returns what it
 * returned last; -EBADMSG when a length overruns the buffer. libmnl's mnl_nlmsg_ok casts the
 * 32-bit length to int, which lets a huge length through, so the bounds are checked here.
 */
int nlwalk_msgs(const void *buf, size_t len, int (*cb)(const struct nlmsghdr *nlh, void *data), void *data);
/* Calls cb for every attribute until it returns < 0; an attribute overrunning its container is malformed. */
int nlwalk_attrs(const void *payload, size_t len, int (*cb)(const struct nlattr *attr, void *data), void *data);
int nlwalk_nested(const struct nlattr *attr, int (*cb)(const struct nlattr *attr, void *data), void *data);
/* The error an NLMSG_ERROR or NLMSG_DONE carries: 0, -errno, or -EBADMSG when malformed. */
int nlwalk_msg_error(const struct nlmsghdr *nlh);

#endif
