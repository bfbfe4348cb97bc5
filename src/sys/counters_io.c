// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#include <errno.h>
#include <signal.h>
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

/* A dump that raced a change of the set is read again (the kernel says so with EINTR). */
static int read_fresh(struct nft_sock *s, struct counters_reading *r)
{
	int ret, tries = 0;

	do
		ret = counters_read(s, r);
	while (ret == -EINTR && ++tries < 5);
	if (!ret)
		clock_gettime(CLOCK_MONOTONIC, &r->at);
	return ret;
}

static void *prefetch_main(void *arg)
{
	struct counters_prefetch *p = arg;
	struct timespec t0, t1;
	struct nft_sock s;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	if ((p->ret = nft_open(&s)) < 0)
		return NULL;
	p->ret = read_fresh(&s, &p->r);
	nft_close(&s);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	p->cpu_ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
	return NULL;
}

void counters_prefetch_start(struct counters_prefetch *p)
{
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	/* Signals stay with the threads that wait for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	p->running = pthread_create(&p->thread, NULL, prefetch_main, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	/* Without a thread the reading is taken when it is needed. */
	if (!p->running)
		p->ret = 1;
}

static int prefetch_finish(struct counters_prefetch *p)
{
	if (p->running) {
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	return p->ret;
}

int counters_update_prefetched(struct wg_snapshot *snap, bool sync, struct counters_prefetch *p)
{
	struct counters_plan plan = { 0 };
	struct counters_reading *r = &p->r;
	struct nft_sock s;
	int ret = prefetch_finish(p);

	/* No snapshot to apply it to: the reading goes. */
	if (!snap) {
		counters_reading_free(r);
		return 0;
	}
	if (ret > 0) {
		if ((ret = nft_open(&s)) < 0)
			goto out;
		ret = read_fresh(&s, r);
		nft_close(&s);
	}
	if (ret < 0)
		goto out;
	/* Without the table there is nothing to match the peers against: no plan to build. */
	if (r->present && (ret = counters_plan_build(&plan, snap)) < 0)
		goto out;
	if (r->present && sync) {
		struct nft_batch b;
		struct nft_error err;

		if ((ret = nft_open(&s)) < 0)
			goto out;
		if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0) {
			nft_close(&s);
			goto out;
		}
		ret = counters_build_sync(&b, &plan, r);
		if (ret > 0 && !(ret = nft_batch_end(&b, true))) {
			s.seq = b.seq_next;
			ret = nft_send(&s, &b, NULL, NULL, &err);
		}
		nft_batch_free(&b);
		nft_close(&s);
		/* Counting goes on with what the sets hold; the next tick tries again. */
		if (ret < 0 && ret != -ENOMEM)
			ret = 0;
		if (ret < 0)
			goto out;
	}
	ret = counters_apply(snap, &plan, r);
out:
	counters_reading_free(r);
	counters_plan_free(&plan);
	return ret;
}

int counters_update(struct wg_snapshot *snap, bool sync)
{
	struct counters_prefetch p = { .ret = 1 };

	return counters_update_prefetched(snap, sync, &p);
}
