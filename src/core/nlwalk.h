/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounds-checked walks over netlink messages and attributes in a buffer, shared by the parsers. */
#ifndef WGSTAR_NLWALK_H
#define WGSTAR_NLWALK_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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

/*
 * The same walk as nlwalk_attrs, for a loop of the caller's own: a parser of a dump of 100,000
 * peers calls a function through a pointer for each of their millions of attributes, which an
 * emulated CPU pays for. nlwalk_iter_init starts it over len bytes of payload (-EBADMSG: too
 * long to be one), nlwalk_iter_nested over a nested attribute's payload.
 */
struct nlwalk_iter {
	const struct nlattr *attr;
	size_t len;
};

static inline int nlwalk_iter_init(struct nlwalk_iter *it, const void *payload, size_t len)
{
	it->attr = payload;
	it->len = len;
	return len > INT32_MAX ? -EBADMSG : 0;
}

/* 0 with *attr the next attribute, 1 past the last, -EBADMSG when one overruns the rest. */
static inline int nlwalk_next(struct nlwalk_iter *it, const struct nlattr **attr)
{
	const struct nlattr *a = it->attr;
	size_t step;

	if (!it->len)
		return 1;
	if (it->len < sizeof(*a) || a->nla_len < sizeof(*a) || a->nla_len > it->len)
		return -EBADMSG;
	*attr = a;
	step = MNL_ALIGN(a->nla_len);
	if (step >= it->len) {
		it->len = 0;
	} else {
		it->len -= step;
		it->attr = (const struct nlattr *)(const void *)((const char *)a + step);
	}
	return 0;
}

/*
 * libmnl's accessors of an attribute nlwalk_attrs passed (its length at least its header's),
 * inline: a dump of 100,000 peers calls them millions of times, each through the PLT, which
 * an emulated CPU pays dearly for (9 % of a peer add in the VM).
 */
static inline uint16_t nlwalk_type(const struct nlattr *attr)
{
	return attr->nla_type & NLA_TYPE_MASK;
}

static inline const void *nlwalk_payload(const struct nlattr *attr)
{
	return (const char *)attr + MNL_ATTR_HDRLEN;
}

static inline size_t nlwalk_payload_len(const struct nlattr *attr)
{
	return attr->nla_len - MNL_ATTR_HDRLEN;
}

/* Its payload, of exactly len bytes (what mnl_attr_validate asks of a fixed-size type), into v. */
static inline bool nlwalk_get(const struct nlattr *attr, void *v, size_t len)
{
	if (nlwalk_payload_len(attr) != len)
		return false;
	memcpy(v, nlwalk_payload(attr), len);
	return true;
}

/* Over a nested attribute's payload: empty, or room for an attribute at least (-EBADMSG). */
static inline int nlwalk_iter_nested(struct nlwalk_iter *it, const struct nlattr *attr)
{
	size_t len = nlwalk_payload_len(attr);

	/* As mnl_attr_validate(MNL_TYPE_NESTED). */
	if (len && len < MNL_ATTR_HDRLEN)
		return -EBADMSG;
	return nlwalk_iter_init(it, nlwalk_payload(attr), len);
}

#endif
