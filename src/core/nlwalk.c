// SPDX-License-Identifier: GPL-2.0-or-later
/* Bounds-checked walks over netlink messages and attributes in a buffer, shared by the parsers. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "nlwalk.h"

/* The kernel's bound: an error beyond it is not an errno. */
#define MAX_ERRNO 4095

int nlwalk_msgs(const void *buf, size_t len, int (*cb)(const struct nlmsghdr *nlh, void *data), void *data)
{
	const struct nlmsghdr *nlh = buf;
	int ret = NLWALK_MORE;

	while (len) {
		size_t step;

		if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len) {
			ret = -EBADMSG;
			goto out;
		}
		ret = cb(nlh, data);
		if (ret != NLWALK_MORE)
			goto out;
		step = ((size_t)nlh->nlmsg_len + NLMSG_ALIGNTO - 1) & ~(size_t)(NLMSG_ALIGNTO - 1);
		if (step >= len)
			break;
		len -= step;
		nlh = (const struct nlmsghdr *)(const void *)((const char *)nlh + step);
	}
out:
	return ret;
}

int nlwalk_attrs(const void *payload, size_t len, int (*cb)(const struct nlattr *attr, void *data), void *data)
{
	struct nlwalk_iter it;
	const struct nlattr *attr;
	int ret;

	if ((ret = nlwalk_iter_init(&it, payload, len)) < 0)
		return ret;
	while ((ret = nlwalk_next(&it, &attr)) == 0)
		if ((ret = cb(attr, data)) < 0)
			return ret;
	return ret < 0 ? ret : 0;
}

int nlwalk_nested(const struct nlattr *attr, int (*cb)(const struct nlattr *attr, void *data), void *data)
{
	struct nlwalk_iter it;
	int ret = nlwalk_iter_nested(&it, attr);

	return ret < 0 ? ret : nlwalk_attrs(nlwalk_payload(attr), nlwalk_payload_len(attr), cb, data);
}

int nlwalk_msg_error(const struct nlmsghdr *nlh)
{
	size_t len = mnl_nlmsg_get_payload_len(nlh);
	int err;

	if (!len && nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (len < sizeof(err))
		return -EBADMSG;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err > 0 || err < -MAX_ERRNO)
		return -EBADMSG;
	return err;
}
