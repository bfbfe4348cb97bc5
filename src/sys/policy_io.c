// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy read from its file and made ready; the policy table's counters read back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "atomic.h"
#include "i18n.h"
#include "nft.h"
#include "policy_io.h"
#include "text.h"

int policy_load_text(struct policy_set *ps, const char *path, const char *text, size_t len,
		     const struct wg_snapshot *snap, unsigned int flags, struct errmsg *err)
{
	struct policy_error perr = { 0 };
	char shown[1024];
	int ret;

	errmsg_clear(err);
	ret = policy_prepare(ps, text, len, snap, flags, &perr);
	if (ret == -EINVAL || ret == -E2BIG) {
		text_safe(shown, sizeof(shown), path);
		if (perr.line)
			return errmsg_set(err, ret, "%s:%u: %s", shown, perr.line, perr.msg);
		return errmsg_set(err, ret, "%s: %s", shown, perr.msg);
	}
	if (ret == -EFBIG)
		return errmsg_set(err, ret, _("%s: bigger than a policy can be"), text_safe(shown, sizeof(shown), path));
	return ret;
}

int policy_load(struct policy_set *ps, const char *path, const struct wg_snapshot *snap, unsigned int flags,
		struct errmsg *err)
{
	const char *p = path ? path : POLICY_PATH;
	char *text = NULL, shown[1024];
	size_t len = 0;
	int ret;

	memset(ps, 0, sizeof(*ps));
	errmsg_clear(err);
	ret = atomic_read(p, &text, &len);
	if (ret == -ENOENT && !path)
		return 0;
	if (ret < 0)
		return errmsg_set(err, ret, _("reading %s failed: %s"), text_safe(shown, sizeof(shown), p),
				  text_strerror(-ret));
	ret = policy_load_text(ps, p, text, len, snap, flags, err);
	free(text);
	return ret;
}

static int parse_cb(const struct nlmsghdr *nlh, void *data)
{
	return policy_nft_parse(nlh, data);
}

static int read_once(struct nft_sock *s, struct policy_reading *r)
{
	char buf[POLICY_REQUEST_LEN];
	struct nlmsghdr *nlh;
	int ret;

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; (ret = policy_nft_request(buf, i, &nlh)) != 0; ++i) {
		if (ret < 0)
			break;
		ret = nft_dump(s, nlh, parse_cb, r);
		/* Deleted between two dumps: gone. */
		if (ret == -ENOENT) {
			policy_reading_free(r);
			return 0;
		}
		if (ret < 0)
			break;
		if (i == 0 && !r->present)
			return 0;
	}
	if (ret < 0)
		policy_reading_free(r);
	return ret;
}

int policy_read(struct policy_reading *r)
{
	struct nft_sock s;
	int ret, tries = 0;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	do
		ret = read_once(&s, r);
	while (ret == -EINTR && ++tries < 5);
	nft_close(&s);
	return ret;
}
