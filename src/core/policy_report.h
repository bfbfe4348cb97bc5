/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the hub policy does on an interface, put into the snapshot for reports and the console. No I/O. */
#ifndef WGSTAR_POLICY_REPORT_H
#define WGSTAR_POLICY_REPORT_H

#include "counters.h"
#include "policy_compile.h"
#include "policy_nft.h"

/* Every peer's groups (wg_peer.groups) in the section pi. */
int policy_peer_groups(const struct policy_iface *pi, struct wg_device *dev);

/*
 * Whose the addresses of refused pairs are: a peer's own address (its /32 or /128) at once,
 * anything else by the plan, which is built (sorting every allowed IP) only when needed.
 */
struct policy_owners {
	const struct wg_snapshot *snap;
	struct counters_exact exact;	/* the refused addresses of one device, */
	uint32_t exact_dev;		/* this one */
	struct counters_plan plan;
	bool have_exact, have_plan;
	int ret;			/* -ENOMEM when one could not be built */
};

void policy_owners_init(struct policy_owners *o, const struct wg_snapshot *snap);
void policy_owners_free(struct policy_owners *o);

/*
 * Every peer's groups as a report found them, by key: they follow from the policy and the
 * peers alone, and the console's policy cache keeps them while both stay the same (matching
 * each group's members against every peer cost more each tick than the rest of the report).
 */
struct policy_memo_peer {
	uint8_t key[WG_KEY_LEN];
	const char *groups;		/* one of the device's strs, or NULL */
};

struct policy_memo_dev {
	char name[IFNAMSIZ];
	struct policy_memo_peer *v;
	uint32_t n;
	struct keyidx index;
	struct wg_strings *strs;	/* the peers' groups, each different one once; shared */
					/* with the snapshots' peers, as names are */
	struct wg_strings *lines;	/* each group as "name: a, b" (an snprintf per member to build), */
					/* shared with the reports' struct wg_policy */
};

struct policy_memo {
	struct policy_memo_dev *devs;
	size_t n;
};

void policy_memo_clear(struct policy_memo *m);

/*
 * dev->policy from the section pi and, when the table in force is this policy's (in_force),
 * the reading's counters: rule chains by line, the Default by the interface's index among the
 * compiled ones (index); refused pairs mapped to the snapshot's peers through owners.
 */
int policy_device_report(struct wg_device *dev, const struct policy_iface *pi, size_t index,
			 const struct policy_reading *r, bool in_force, struct policy_owners *owners);
/*
 * The same, the peers' groups taken from memo when it has this interface, else found and put
 * there. The caller clears memo when the policy or the peers change.
 */
int policy_device_report_memo(struct wg_device *dev, const struct policy_iface *pi, size_t index,
			      const struct policy_reading *r, bool in_force, struct policy_owners *owners,
			      struct policy_memo *memo);

#endif
