/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firewall changes in the kernel: the ruleset listed with its generation, a plan proposed, validated, committed. */
#ifndef WGSTAR_FIREWALL_NFT_H
#define WGSTAR_FIREWALL_NFT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "firewall.h"

/* `nft list ruleset` through libnftables, with the generation it was taken at. */
int firewall_list(char **out, uint32_t *genid);

/*
 * What wgstar would change now for the snapshot, for wants (enum firewall_want): the counting
 * table installed or removed, the star's accept rule in forward chains that drop it (in an
 * iptables-nft chain, as iptables writes it), and the policy table brought in line with
 * policy (compiled for snap; NULL or empty: no table). Fills plan->before and plan->after;
 * an empty plan means nothing to do.
 */
int firewall_propose(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int wants,
		     const struct policy_compiled *policy);

/* Runs an nft script (one transaction) through libnftables; its error text into err. */
int firewall_run_script(const char *script, char *err, size_t len);
/* 0 when scripts can run (libnftables loads), -ELIBACC otherwise: asked before a change begins. */
int firewall_scripts_ready(void);

/*
 * Sends the plan's changes as one batch for the generation of the preview: validated only,
 * or committed. On failure, what (len bytes) names the command the kernel refused, if one.
 * -ERESTART: the ruleset changed since the preview.
 */
int firewall_send(struct firewall_plan *plan, const struct wg_snapshot *snap, bool commit, char *what, size_t len);

/*
 * Commits the plan, for the generation of its preview. Should the ruleset have changed since
 * only in counter values and the elements of wgstar's own sets, the plan is proposed again and
 * committed when its changes are the same. -ERESTART when anything else changed.
 */
int firewall_commit(struct firewall_plan *plan, const struct wg_snapshot *snap, char *what, size_t len);

/* A pipe and a child process: 0 in the child, the child's pid in the parent, or -errno. */
pid_t firewall_fork_piped(int fds[2]);

#endif
