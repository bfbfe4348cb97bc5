// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "counters_io.h"
#include "nft.h"

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return counters_parse_elems(nlh, data);
}

int counters_read(struct nft_sock *s, struct counters_reading *r)
{
	char buf[COUNTERS_REQUEST_LEN];
	struct nlmsghdr *nlh;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; (ret = counters_dump_request(buf, i, &nlh)) != 0; ++i) {
		if (ret < 0)
			goto out;
		ret = nft_dump(s, nlh, elems_cb, r);
		if (ret == -ENOENT && i == 0) {
			counters_reading_free(r);
			return 0;
		}
		if (ret < 0)
			goto out;
	}
	r->present = true;
out:
	if (ret)
		counters_reading_free(r);
	return ret;
}

int counters_update(struct wg_snapshot *snap, bool sync)
{
	struct counters_reading r = { 0 };
	struct counters_plan plan = { 0 };
	struct nft_sock s;
	int ret, tries = 0;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	do
		ret = counters_read(&s, &r);
	while (ret == -EINTR && ++tries < 5);
	if (ret < 0)
		goto out;
	/* Without the table there is nothing to match the peers against: no plan to build. */
	if (r.present && (ret = counters_plan_build(&plan, snap)) < 0)
		goto out;
	if (r.present && sync) {
		struct nft_batch b;
		struct nft_error err;

		if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0)
			goto out;
		ret = counters_build_sync(&b, &plan, &r);
		if (ret > 0 && !(ret = nft_batch_end(&b, true))) {
			s.seq = b.seq_next;
			ret = nft_send(&s, &b, NULL, NULL, &err);
		}
		nft_batch_free(&b);
		/* Counting goes on with what the sets hold; the next tick tries again. */
		if (ret < 0 && ret != -ENOMEM)
			ret = 0;
		if (ret < 0)
			goto out;
	}
	ret = counters_apply(snap, &plan, &r);
out:
	counters_reading_free(&r);
	counters_plan_free(&plan);
	nft_close(&s);
	return ret;
}
