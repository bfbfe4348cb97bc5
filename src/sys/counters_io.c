// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "counters_io.h"
#include "nft.h"
#include "thread.h"

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return counters_parse_elems(nlh, data);
}

/*
 * The i-th set in counters_dump_request's order dumped into r: 0, 1 when there is no i-th set
 * (all were dumped), -ENOENT when the set is not there, or -errno.
 */
static int dump_set(struct nft_sock *s, struct counters_reading *r, unsigned int i)
{
	char buf[COUNTERS_REQUEST_LEN] = { 0 };	/* the padding between attributes is sent as it is */
	struct nlmsghdr *nlh;
	int ret, alt;

	if ((ret = counters_dump_request(buf, i, false, &nlh)) <= 0)
		return ret < 0 ? ret : 1;
	ret = nft_dump(s, nlh, elems_cb, r);
	/* No such shard: an earlier version's table has the hash set whole, in the first one's place. */
	if (ret == -ENOENT && i > 0) {
		alt = counters_dump_request(buf, i, true, &nlh);
		ret = alt == 1 ? nft_dump(s, nlh, elems_cb, r) : alt == 2 ? 0 : alt < 0 ? alt : -ENOENT;
		if (alt == 1 && !ret)
			r->legacy = true;
	}
	return ret;
}

/* The first max sets. An absent first set is an absent table: a reading with !present. */
static int read_sets(struct nft_sock *s, struct counters_reading *r, unsigned int max)
{
	size_t expect[2] = { r->expect[0], r->expect[1] };
	int ret = 0;

	memset(r, 0, sizeof(*r));
	memcpy(r->expect, expect, sizeof(expect));
	for (unsigned int i = 0; i < max && (ret = dump_set(s, r, i)) != 1; ++i) {
		if (ret == -ENOENT && i == 0) {
			counters_reading_free(r);
			return 0;
		}
		if (ret < 0) {
			counters_reading_free(r);
			return ret;
		}
	}
	r->present = true;
	return 0;
}

int counters_read(struct nft_sock *s, struct counters_reading *r)
{
	return read_sets(s, r, UINT_MAX);
}

static int dump_cb(void *ctx, struct counters_reading *r, unsigned int i)
{
	return dump_set(ctx, r, i);
}

/* A dump that raced a change of the set (EINTR), or sets of two generations: read again. */
static int read_fresh(struct nft_sock *s, struct counters_reading *r)
{
	int ret = counters_read_all(dump_cb, s, NULL, NULL, NULL, r);

	if (!ret)
		clock_gettime(CLOCK_MONOTONIC, &r->at);
	return ret;
}

/* Past every set: what the dump request of counters_dump_request takes for "none left". */
#define CLAIM_STOP (1U << 30)

/*
 * Sets taken one at a time from p->next and dumped into r, until none is left: 0, 1 when the
 * reading is to be taken again in one go (a change of a set overtook its dump), or -errno.
 */
static int read_claimed(struct counters_prefetch *p, struct nft_sock *s, struct counters_reading *r)
{
	for (bool any = false;; any = true) {
		unsigned int i = atomic_fetch_add(&p->next, 1);
		int ret = i >= CLAIM_STOP ? 1 : dump_set(s, r, i);

		if (ret == 1) {
			/* When this part was read: the reading's time is the later part's. */
			if (any)
				clock_gettime(CLOCK_MONOTONIC, &r->at);
			return 0;
		}
		/* No first set, no table: nothing for anyone to dump. */
		if (ret == -ENOENT && i == 0) {
			atomic_store(&p->seen, -1);
			atomic_store(&p->next, CLAIM_STOP);
			return 0;
		}
		if (ret < 0) {
			atomic_store(&p->next, CLAIM_STOP);
			return ret == -EINTR ? 1 : ret;
		}
		if (i == 0)
			atomic_store(&p->seen, 1);
	}
}

static void *prefetch_main(void *arg)
{
	struct counters_prefetch *p = arg;
	struct timespec t0, t1;
	struct nft_sock s;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	if ((p->ret[0] = nft_open(&s)) >= 0) {
		p->ret[0] = read_claimed(p, &s, &p->part[0]);
		nft_close(&s);
	}
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	p->cpu_ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
	return NULL;
}

/* The caller's counts of the last reading: kept to update, and the size of this one's arrays. */
static void prefetch_counted(struct counters_prefetch *p, size_t counted[2])
{
	p->counted = counted;
	for (int d = 0; counted && d < 2; ++d)
		p->r.expect[d] = p->part[0].expect[d] = p->part[1].expect[d] = counted[d];
}

/* The same without a thread (none could be made): counters_update_prefetched reads in one go. */
static void prefetch_none(struct counters_prefetch *p, size_t counted[2])
{
	memset(p, 0, sizeof(*p));
	prefetch_counted(p, counted);
	atomic_init(&p->seen, 0);
	/* The caller reads in one go when it finishes. */
	p->ret[0] = 1;
	atomic_init(&p->next, CLAIM_STOP);
}

void counters_prefetch_start(struct counters_prefetch *p, size_t counted[2])
{
	memset(p, 0, sizeof(*p));
	atomic_init(&p->next, 0);
	atomic_init(&p->seen, 0);
	prefetch_counted(p, counted);
	p->running = thread_start_quiet(&p->thread, prefetch_main, p);
	if (!p->running)
		prefetch_none(p, counted);
}

/*
 * The caller's share of the sets left, the thread waited for, and the two readings joined into
 * p->r: 0, 1 when the reading is to be taken now in one go (no thread, a set changed under its
 * dump, the table came or went, or the sets were answered in different generations of the
 * ruleset), or -errno. help false stops the thread after its set instead.
 */
static int prefetch_finish(struct counters_prefetch *p, bool help)
{
	struct nft_sock s;
	int ret;

	if (!help)
		atomic_store(&p->next, CLAIM_STOP);
	/* Until the thread found the table (the first set, a few names), there is nothing to share. */
	else if (atomic_load(&p->seen) > 0 && (p->ret[1] = nft_open(&s)) >= 0) {
		p->ret[1] = read_claimed(p, &s, &p->part[1]);
		nft_close(&s);
	}
	if (p->running) {
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	/* An error over a read again, a read again over a reading. */
	ret = p->ret[0] < 0 ? p->ret[0] : p->ret[1] < 0 ? p->ret[1] : p->ret[0] ? p->ret[0] : p->ret[1];
	if (!ret && atomic_load(&p->seen) > 0) {
		p->part[0].present = true;
		ret = counters_reading_merge(&p->part[0], &p->part[1]);
		if (!ret && p->part[0].gen_mixed)
			ret = 1;
	} else if (!ret && atomic_load(&p->seen) == 0) {
		ret = 1;
	}
	if (!ret) {
		p->r = p->part[0];
		memset(&p->part[0], 0, sizeof(p->part[0]));
	}
	counters_reading_free(&p->part[0]);
	counters_reading_free(&p->part[1]);
	return ret;
}

/* The sets brought in step with the plan (sync), and the reading given to the snapshot's peers. */
static int sync_apply(struct wg_snapshot *snap, const struct counters_plan *plan, const struct counters_reading *r,
		      bool sync)
{
	struct nft_batch b;
	struct nft_error err;
	struct nft_sock s;
	int ret;

	if (r->present && sync) {
		if ((ret = nft_open(&s)) < 0)
			return ret;
		if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0) {
			nft_close(&s);
			return ret;
		}
		ret = counters_build_sync(&b, plan, r);
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
			return ret;
	}
	return counters_apply(snap, plan, r);
}

int counters_update_prefetched(struct wg_snapshot *snap, bool sync, struct counters_prefetch *p)
{
	struct counters_plan plan = { 0 };
	struct counters_reading *r = &p->r;
	bool planned = false;
	struct nft_sock s;
	int ret;

	/*
	 * While the sets are still being dumped, and the table is there: the plan is built
	 * meanwhile (it needs only the snapshot), not after.
	 */
	if (snap && atomic_load(&p->seen) > 0) {
		if ((ret = counters_plan_build(&plan, snap)) < 0) {
			prefetch_finish(p, false);
			goto out;
		}
		planned = true;
	}
	ret = prefetch_finish(p, snap != NULL);
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
	if (r->present && !planned && (ret = counters_plan_build(&plan, snap)) < 0)
		goto out;
	ret = sync_apply(snap, &plan, r, sync);
out:
	if (p->counted)
		memcpy(p->counted, r->n_ranges, sizeof(r->n_ranges));
	counters_reading_free(r);
	counters_plan_free(&plan);
	return ret;
}

int counters_update_folded(struct wg_snapshot *snap, bool sync)
{
	struct counters_plan plan = { 0 };
	struct counters_fold fold = { 0 };
	struct counters_reading r = { 0 };
	struct nft_sock s;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	ret = counters_read_all(dump_cb, &s, snap, &plan, &fold, &r);
	nft_close(&s);
	clock_gettime(CLOCK_MONOTONIC, &r.at);
	if (!ret)
		ret = sync_apply(snap, &plan, &r, sync);
	/* No figures rather than a part of them. */
	if (ret < 0 && fold.plan)
		counters_fold_reset(&fold);
	counters_reading_free(&r);
	counters_fold_free(&fold);
	counters_plan_free(&plan);
	return ret;
}

int counters_table_present(void)
{
	struct counters_reading r;
	struct nft_sock s;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	/* The first set, ifaces: a few names. */
	if ((ret = read_sets(&s, &r, 1)) == 0)
		ret = r.present;
	counters_reading_free(&r);
	nft_close(&s);
	return ret;
}

int counters_peer_elems(const struct wg_device *dev, const struct wg_allowedip *ips, size_t n, bool remove)
{
	struct counters_reading r;
	struct nft_error err;
	struct nft_batch b;
	struct nft_sock s;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	/* The set ifaces alone: the first set. */
	if ((ret = read_sets(&s, &r, 1)) < 0)
		goto out;
	/* No table: no sync either, which would read the whole interface again to find that out. */
	if (!r.present) {
		ret = -ENOENT;
		goto out_reading;
	}
	if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0)
		goto out_reading;
	ret = counters_build_peer_elems(&b, &r, dev, ips, n, remove);
	if (!ret && !(ret = nft_batch_end(&b, true))) {
		s.seq = b.seq_next;
		ret = nft_send(&s, &b, NULL, NULL, &err);
	}
	nft_batch_free(&b);
	/* Not the easy case, or an element there already or missing (no sync since): a full sync. */
	ret = ret < 0 ? (ret == -ENOMEM ? ret : 0) : 1;
out_reading:
	counters_reading_free(&r);
out:
	nft_close(&s);
	return ret;
}

int counters_update(struct wg_snapshot *snap, bool sync)
{
	struct counters_prefetch p = { .ret = { 1 }, .next = CLAIM_STOP };

	return counters_update_prefetched(snap, sync, &p);
}
