/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firewall changes wgstar proposes: previewed as a diff, validated, applied atomically, guarded. */
#ifndef WGSTAR_FIREWALL_H
#define WGSTAR_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

#define FIREWALL_RUN_DIR "/run/wgstar"
#define FIREWALL_DEFAULT_TIMEOUT 30
#define FIREWALL_NAME_LEN 256

enum firewall_kind {
	FIREWALL_INSTALL_COUNTING,	/* add wgstar's counting table */
	FIREWALL_REMOVE_COUNTING,	/* delete it */
	FIREWALL_ACCEPT_STAR,		/* iifname IF oifname IF accept, appended to a forward chain */
};

struct firewall_change {
	enum firewall_kind kind;
	uint8_t family;			/* NFPROTO_* of the table */
	char table[FIREWALL_NAME_LEN];
	char chain[FIREWALL_NAME_LEN];
	char iface[IFNAMSIZ];
	uint64_t handle;		/* of the rule, once added */
};

/* A base chain on the forward hook, as `nft list ruleset` shows it. */
struct firewall_chain {
	uint8_t family;
	char table[FIREWALL_NAME_LEN];
	char chain[FIREWALL_NAME_LEN];
	bool policy_drop;
	bool xtables;			/* iptables-nft's: changed only through iptables */
	bool accepts_star[8];		/* per interface asked about: has iifname X oifname X accept */
	bool drops;			/* holds a rule ending in drop or reject */
};

struct firewall_plan {
	struct firewall_change *v;
	size_t n;
	uint32_t genid;			/* of the ruleset the preview was made from */
	char *before;			/* `nft list ruleset` now */
	char *after;			/* and once the changes are in */
};

/* --- pure: the ruleset text --- */

const char *firewall_family_name(uint8_t family);

/* The base chains of the forward hook in a listing; ifaces asked about: at most 8. */
int firewall_forward_chains(const char *ruleset, const char *const *ifaces, size_t n_ifaces,
			    struct firewall_chain **out, size_t *n);

/* The listing with one rule line appended to a chain, or with a table taken out. NULL on ENOMEM or not found. */
char *firewall_text_add_rule(const char *ruleset, uint8_t family, const char *table, const char *chain,
			     const char *rule);
char *firewall_text_remove_table(const char *ruleset, uint8_t family, const char *table);

/*
 * Whether an input-hook chain of the listing drops by policy without a rule that lets this
 * TCP port (ssh) or UDP port (WireGuard) in, or established connections. A heuristic, for a
 * warning: true when the port looks shut.
 */
bool firewall_port_shut(const char *ruleset, const char *proto, unsigned int port);

/*
 * What the plan would shut that is open now: the ssh connection this process runs in (the
 * server port of SSH_CONNECTION) and the listen port of every WireGuard interface of snap.
 * One translated "warning: ...\n" line each into buf; returns how many.
 */
int firewall_lockout_warnings(const struct firewall_plan *plan, const struct wg_snapshot *snap, char *buf,
			      size_t len);

/* The one-line description of a change, for people. buf of 512 bytes. */
const char *firewall_change_describe(char *buf, size_t len, const struct firewall_change *c);

/* --- edges --- */

/* `nft list ruleset` through libnftables, with the generation it was taken at. */
int firewall_list(char **out, uint32_t *genid);

/*
 * What wgstar would change now for the snapshot: the counting table (installed, or removed
 * when remove is set) and the star's accept rule in forward chains that drop by policy.
 * Fills plan->before and plan->after. EOPNOTSUPP-free: an empty plan means nothing to do.
 */
int firewall_propose(struct firewall_plan *plan, const struct wg_snapshot *snap, bool remove);
void firewall_plan_free(struct firewall_plan *plan);

/*
 * Sends the plan's changes as one batch for the generation of the preview: validated only,
 * or committed. On failure, *what names the command the kernel refused (may be NULL).
 * -ERESTART: the ruleset changed since the preview.
 */
int firewall_send(struct firewall_plan *plan, const struct wg_snapshot *snap, bool commit, const char **what);

/* The guard: started after a commit; rolls back after timeout seconds unless confirmed. */
const char *firewall_run_dir(void);
/* Saves the ruleset before the change (run dir/before.nft), before anything is changed. */
int firewall_save(const struct firewall_plan *plan);
int firewall_guard_start(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout);

/* Takes the plan's committed changes back at once, as the guard would; the result as the guard's. */
void firewall_undo(struct firewall_plan *plan, const struct wg_snapshot *snap);

enum firewall_guard_cmd { FIREWALL_CONFIRM, FIREWALL_ROLLBACK };

/* 0 when done; -ENOENT when no change waits for confirmation. */
int firewall_guard_signal(enum firewall_guard_cmd cmd, unsigned int wait_seconds);
bool firewall_pending(void);
/* What the guard said last: confirmed, or how the rollback went. 0 or -errno. */
int firewall_guard_result(char **out);

#endif
