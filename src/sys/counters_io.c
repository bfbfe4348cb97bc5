// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table, read and kept in step with the peers over an nf_tables socket. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include "counters_io.h"
#include "nft.h"

static int elems_cb(const struct nlmsghdr *nlh, void *data)
{
	return counters_parse_elems(nlh, data);
}

/*
 * The sets from the first-th on, every step-th, at most max of them: part of a reading. An
 * absent first set means an absent table (a reading with !present); the caller says whether
 * that was the table's first.
 */
static int read_sets(struct nft_sock *s, struct counters_reading *r, unsigned int first, unsigned int step,
		     unsigned int max, atomic_int *seen)
{
	char buf[COUNTERS_REQUEST_LEN];
	struct nlmsghdr *nlh;
	unsigned int i = first;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	for (unsigned int n = 0; n < max && (ret = counters_dump_request(buf, i, false, &nlh)) != 0; ++n, i += step) {
		if (ret < 0)
			goto out;
		ret = nft_dump(s, nlh, elems_cb, r);
		if (ret == -ENOENT && i == first) {
			counters_reading_free(r);
			if (seen)
				atomic_store(seen, -1);
			return 0;
		}
		/* No such shard: an earlier version's table has the hash set whole, in the first one's place. */
		if (ret == -ENOENT) {
			int alt = counters_dump_request(buf, i, true, &nlh);

			ret = alt == 1 ? nft_dump(s, nlh, elems_cb, r) : alt == 2 ? 0 : alt < 0 ? alt : -ENOENT;
			if (alt == 1 && !ret)
				r->legacy = true;
		}
		if (ret < 0)
			goto out;
		if (seen && i == first)
			atomic_store(seen, 1);
	}
	r->present = true;
out:
	if (ret)
		counters_reading_free(r);
	return ret;
}

int counters_read(struct nft_sock *s, struct counters_reading *r)
{
	return read_sets(s, r, 0, 1, UINT_MAX, NULL);
}

/*
 * A dump that raced a change of the set is read again (the kernel says so with EINTR), and so
 * are sets dumped in different generations of the ruleset (a change between two dumps), but
 * twice at most: any commit moves the generation, also of other tables, and a ruleset that
 * other tools change all the time must not keep the counters from being read.
 */
static int read_fresh(struct nft_sock *s, struct counters_reading *r, unsigned int first, unsigned int step,
		      atomic_int *seen)
{
	int ret, tries = 0, mixed = 0;

	for (;;) {
		ret = read_sets(s, r, first, step, UINT_MAX, seen);
		if (ret == -EINTR && ++tries < 5)
			continue;
		if (!ret && r->gen_mixed && ++mixed <= 2) {
			counters_reading_free(r);
			continue;
		}
		break;
	}
	if (!ret)
		clock_gettime(CLOCK_MONOTONIC, &r->at);
	return ret;
}

static int collect(struct counters_prefetch *p);

static void *part_main(void *arg)
{
	struct counters_prefetch_part *part = arg;
	struct timespec t0, t1;
	struct nft_sock s;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	if ((part->ret = nft_open(&s)) >= 0) {
		part->ret = read_fresh(&s, &part->r, part->first, part->step, part->seen);
		nft_close(&s);
	}
	/* The caller is still reading WireGuard, as a rule: the parts are joined meanwhile. */
	if (part->owner)
		part->owner->ret = collect(part->owner);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	part->cpu_ns = (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
	return NULL;
}

void counters_prefetch_start(struct counters_prefetch *p)
{
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	atomic_init(&p->seen, 0);
	/* Signals stay with the threads that wait for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	/* The first part last: its thread joins the others' threads, which must have been started. */
	for (unsigned int i = COUNTERS_PARTS; i-- > 0;) {
		struct counters_prefetch_part *part = &p->parts[i];

		part->first = i;
		part->step = COUNTERS_PARTS;
		part->seen = i ? NULL : &p->seen;
		part->owner = i ? NULL : p;
		part->running = pthread_create(&part->thread, NULL, part_main, part) == 0;
		if (!part->running)
			part->ret = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * The parts other than the first waited for, and all joined into one reading in p->r: 0, 1 when
 * it is to be taken now (a thread could not be started, or the table came, went or changed
 * between the parts), or an error. Run by the first part's thread, or by the caller when that
 * thread could not be started.
 */
static int collect(struct counters_prefetch *p)
{
	int ret = p->parts[0].ret;

	for (unsigned int i = 1; i < COUNTERS_PARTS; ++i) {
		struct counters_prefetch_part *part = &p->parts[i];

		if (part->running) {
			pthread_join(part->thread, NULL);
			part->running = false;
		}
		p->cpu_ns += part->cpu_ns;
		if (part->ret < 0 || (ret >= 0 && part->ret > 0))
			ret = part->ret;
	}
	for (unsigned int i = 1; !ret && i < COUNTERS_PARTS; ++i)
		if (p->parts[i].r.present != p->parts[0].r.present)
			ret = 1;
	for (unsigned int i = 1; !ret && i < COUNTERS_PARTS; ++i)
		ret = counters_reading_merge(&p->parts[0].r, &p->parts[i].r);
	/* The parts were answered in different generations of the ruleset: read again, in one go. */
	if (!ret && p->parts[0].r.gen_mixed)
		ret = 1;
	if (!ret) {
		p->r = p->parts[0].r;
		memset(&p->parts[0].r, 0, sizeof(p->parts[0].r));
	}
	for (unsigned int i = 0; i < COUNTERS_PARTS; ++i)
		counters_reading_free(&p->parts[i].r);
	return ret;
}

static int prefetch_finish(struct counters_prefetch *p)
{
	struct counters_prefetch_part *first = &p->parts[0];

	if (first->running) {
		pthread_join(first->thread, NULL);
		first->running = false;
		p->cpu_ns += first->cpu_ns;
		return p->ret;
	}
	return collect(p);
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
			prefetch_finish(p);
			goto out;
		}
		planned = true;
	}
	ret = prefetch_finish(p);
	/* No snapshot to apply it to: the reading goes. */
	if (!snap) {
		counters_reading_free(r);
		return 0;
	}
	if (ret > 0) {
		if ((ret = nft_open(&s)) < 0)
			goto out;
		ret = read_fresh(&s, r, 0, 1, NULL);
		nft_close(&s);
	}
	if (ret < 0)
		goto out;
	/* Without the table there is nothing to match the peers against: no plan to build. */
	if (r->present && !planned && (ret = counters_plan_build(&plan, snap)) < 0)
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

int counters_table_present(void)
{
	struct counters_reading r;
	struct nft_sock s;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	/* The first set, ifaces: a few names. */
	if ((ret = read_sets(&s, &r, 0, 1, 1, NULL)) == 0)
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
	if ((ret = read_sets(&s, &r, 0, 1, 1, NULL)) < 0)
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
	struct counters_prefetch p = { .parts[0].ret = 1 };

	return counters_update_prefetched(snap, sync, &p);
}
