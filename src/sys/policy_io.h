/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hub policy from its file, and the policy table's counters from the kernel. */
#ifndef WGSTAR_POLICY_IO_H
#define WGSTAR_POLICY_IO_H

#include <stdbool.h>
#include "errmsg.h"
#include "policy_compile.h"
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

/* What the policy table holds now: its fingerprint, rule counters, refused pairs. r->present false without it. */
int policy_read(struct policy_reading *r);

#endif
