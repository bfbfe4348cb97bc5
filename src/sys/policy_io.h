/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hub policy from its file, and the policy table's counters from the kernel. */
#ifndef WGSTAR_POLICY_IO_H
#define WGSTAR_POLICY_IO_H

#include <stdbool.h>
#include "atomic.h"
#include "errmsg.h"
#include "policy_compile.h"
#include "policy_report.h"
#include "policy_nft.h"

/*
 * Reads and prepares (policy_prepare) the policy file: path, or POLICY_PATH when NULL. No
 * file at the default path is no policy (0, ps->present false); at a path given, -ENOENT.
 * A bad policy: -EINVAL with err saying "FILE:LINE: why".
 */
int policy_load(struct policy_set *ps, const char *path, const struct wg_snapshot *snap, unsigned int flags,
		struct errmsg *err);

/* The same for text in hand, named path in messages. */
int policy_load_text(struct policy_set *ps, const char *path, const char *text, size_t len,
		     const struct wg_snapshot *snap, unsigned int flags, struct errmsg *err);

/*
 * Puts the policy into the snapshot: each interface's wg_device.policy (its rules with their
 * counters, when the table in force is this policy, and the pairs refused) and every peer's
 * groups. Nothing without a policy. 0, or -errno reading the table (the rest is filled in).
 */
int policy_attach(struct wg_snapshot *snap, const struct policy_set *ps);

/* The policy kept from one sample to the next: read again when its file or the peers change. */
struct policy_cache {
	bool loaded;
	struct file_stamp stamp;
	uint64_t peers;			/* a hash of every interface's peers: keys, names, allowed IPs */
	struct policy_set ps;
	int ret;			/* of the last load: 0, or the error in err */
	struct errmsg err;
	/*
	 * Set by the console: the policy table's counters are read at most as often as keeps
	 * that under 0.4 % of a core with the counting sets', and the last reading is used in
	 * between; fresh makes the next attach read them (after a change the operator made).
	 */
	bool paced, fresh;
	bool have_kept;
	int kept_ret;
	struct policy_reading kept;
	struct timespec read_at;
	int64_t every_ms;
	int sharing;			/* 2 while the counting sets are read at the same pace */
	struct policy_memo memo;	/* the peers' groups, while the policy and the peers stay */
};

/* policy_attach with the cached policy of path (NULL: the default). 0, or why the policy is not used. */
int policy_cache_attach(struct policy_cache *c, const char *path, struct wg_snapshot *snap);
void policy_cache_clear(struct policy_cache *c);

/* policy_lockout_warning for the ssh session this process runs in, if any: 1 when it warns. */
int policy_session_warning(const struct policy_set *ps, const struct wg_snapshot *snap, char *buf, size_t len);

/* What the policy table holds now: its fingerprint, rule counters, refused pairs. r->present false without it. */
int policy_read(struct policy_reading *r);

#endif
