/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Firewall changes wgstar proposes: previewed as a diff, validated, applied atomically, guarded. */
#ifndef WGSTAR_FIREWALL_H
#define WGSTAR_FIREWALL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

#define FIREWALL_DEFAULT_TIMEOUT 30
#define FIREWALL_NAME_LEN 256

enum firewall_kind {
	FIREWALL_INSTALL_COUNTING,	/* add wgstar's counting table */
	FIREWALL_REMOVE_COUNTING,	/* delete it */
	FIREWALL_ACCEPT_STAR,		/* iifname IF oifname IF accept, appended to a forward chain */
	FIREWALL_POLICY_INSTALL,	/* add wgstar's policy table */
	FIREWALL_POLICY_REPLACE,	/* put another policy in its place, in the same batch */
	FIREWALL_POLICY_REMOVE,		/* delete it */
};

struct firewall_change {
	enum firewall_kind kind;
	uint8_t family;			/* NFPROTO_* of the table */
	char table[FIREWALL_NAME_LEN];
	char chain[FIREWALL_NAME_LEN];
	char iface[IFNAMSIZ];
	uint64_t handle;		/* of the rule, once added */
	bool xtables;			/* ACCEPT_STAR: into an iptables-nft chain, as iptables writes it */
	char fp[20];			/* POLICY_*: the fingerprint of the policy put in */
	bool renew;			/* REMOVE_COUNTING: a table not as this wgstar installs it, added again */
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

struct policy_compiled;

/* What a plan is to bring about: it is proposed again, from these, when the ruleset moved. */
enum firewall_want {
	FIREWALL_WANT_COUNTING = 1,	/* the counting table, when absent */
	FIREWALL_WANT_ACCEPT = 2,	/* IFACE -> IFACE accepted by host forward chains that would drop it */
	FIREWALL_WANT_POLICY = 4,	/* the policy table as the plan's policy compiles (none: no table) */
	FIREWALL_WANT_REMOVE = 8,	/* the counting table taken out */
};

struct firewall_plan {
	struct firewall_change *v;
	size_t n;
	unsigned int wants;		/* enum firewall_want */
	const struct policy_compiled *policy;	/* what POLICY_INSTALL and _REPLACE put in; not kept */
	uint32_t genid;			/* of the ruleset the preview was made from */
	char *before;			/* `nft --terse list ruleset` now: every named set without its elements */
	char *after;			/* and once the changes are in (the policy table's maps say their size) */
	bool preview;			/* build the policy table without its maps' elements */
	char *policy_before;		/* the policy table as it is, listed whole, when the plan changes it */
	char *counting_before;		/* the counting table, listed whole, when the plan replaces it */
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
 * What the plan would shut that is open now: the ssh connection this process runs in (its
 * server port, 0 when none) and the listen port of every WireGuard interface of snap.
 * One translated "warning: ...\n" line each into buf; returns how many.
 */
int firewall_lockout_warnings(const struct firewall_plan *plan, const struct wg_snapshot *snap,
			      unsigned int ssh_port, char *buf, size_t len);

/* The one-line description of a change, for people. buf of 512 bytes. */
const char *firewall_change_describe(char *buf, size_t len, const struct firewall_change *c);

/*
 * Whether two listings hold the same ruleset but for counter values and the elements of
 * wgstar's own sets: what wgstar and traffic change without anyone deciding anything.
 */
bool firewall_same_ruleset(const char *a, const char *b);
/* Whether they are the same but for counter values, which move with traffic (iptables-nft counts every rule). */
bool firewall_same_rules(const char *a, const char *b);

/* --- the plan --- */

int firewall_plan_add(struct firewall_plan *plan, const struct firewall_change *c);
void firewall_plan_free(struct firewall_plan *plan);
/* Whether the listing holds wgstar's counting table. */
bool firewall_counting_present(const char *ruleset);
/* What stands for a map's elements in a preview: a listing of 100,000 of them says nothing. */
#define FIREWALL_ELIDED_FMT "\t\t# elements not shown: %zu"

struct firewall_map_size {
	char name[48];
	size_t n;
};

/* The listing with each map of table inet TABLE that sizes names given its count, the same way. */
char *firewall_text_note_sizes(const char *text, const char *table, const struct firewall_map_size *sizes,
			       size_t n_sizes);

/* The block of one table in a listing ("table inet x {\n...}\n"), malloc'd; NULL when absent or ENOMEM. */
char *firewall_text_table(const char *ruleset, uint8_t family, const char *table);
/*
 * The nft commands that list every map of a table in a listing, one "list map inet TABLE NAME"
 * a line, malloc'd ("" when it has none); NULL on ENOMEM.
 */
char *firewall_text_maps_cmd(const char *ruleset, uint8_t family, const char *table);
/*
 * Whether the listing holds wgstar's policy table; its fingerprint into fp ("" when its
 * comment is none of wgstar's).
 */
bool firewall_policy_present(const char *ruleset, char fp[20]);
/*
 * The nft script that puts back what the plan replaced or removed, as libnftables runs it (one
 * transaction), after the batch undid the rest: the counting table as it was listed before a
 * replacement (counting_before; the batch took the new one out), and the policy table
 * (policy_before: a replacement taken out first). NULL when the plan needs none (an install is
 * undone by the batch) or nothing was saved, or on ENOMEM (*enomem set).
 */
char *firewall_undo_script(const struct firewall_plan *plan, bool *enomem);

/* --- a change waiting for confirmation, as the run directory keeps it --- */

struct firewall_pending {
	int64_t created;		/* unix seconds */
	int64_t deadline;		/* rolled back then unless confirmed */
	unsigned int timeout;		/* seconds */
	char by[192];			/* who applied it, for people */
	int32_t guard_pid;		/* the guard; 0 until it has taken over */
	uint64_t guard_start;		/* its start time (field 22 of /proc/PID/stat) */
	struct firewall_plan plan;	/* the changes with their handles, and the generation */
};

/* One line a field, every byte outside printable ASCII (and '%') as %HH; malloc'd. */
char *firewall_pending_format(const struct firewall_pending *p);
/* 0, or -EBADMSG for what firewall_pending_format did not write; -ENOMEM. */
int firewall_pending_parse(struct firewall_pending *p, const char *text);
void firewall_pending_free(struct firewall_pending *p);

/*
 * What a guard's result ("OUTCOME WHY\n...") says, in one translated line into buf. Returns
 * 0, or 1 when the rollback failed (or the result cannot be read), which is the caller's error.
 */
int firewall_result_text(const char *result, char *buf, size_t len);

/* --- as nf_tables messages --- */

struct nft_batch;
struct nlmsghdr;

/* The plan's changes into a batch: forward, or undone (the reverse, last first). */
int firewall_build_changes(struct nft_batch *b, const struct firewall_plan *plan, const struct wg_snapshot *snap,
			   bool undo, bool echo);
/* An echoed NEWRULE of a committed batch: the handle of the plan's (data) rule it added. */
int firewall_echo_handles(const struct nlmsghdr *nlh, void *data);

#endif
