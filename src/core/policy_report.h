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
 * dev->policy from the section pi and, when the table in force is this policy's (in_force),
 * the reading's counters: rule chains by line, the Default by the interface's index among the
 * compiled ones (index); refused pairs mapped to peers through plan.
 */
int policy_device_report(struct wg_device *dev, const struct policy_iface *pi, size_t index,
			 const struct policy_reading *r, bool in_force, const struct counters_plan *plan);

#endif
