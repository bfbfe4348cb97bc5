/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command line: one table of commands and one of options, from which arguments are
 * parsed and every usage text is printed, and what the subcommands share.
 */
#ifndef WGSTAR_CMD_H
#define WGSTAR_CMD_H

#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include "model.h"

#define CMD_EXIT_USAGE 2

enum opt_id {
	OPT_IFACE,
	OPT_CONFIG,
	OPT_NAMES,
	OPT_SETTINGS,
	OPT_RUN_DIR,
	OPT_SYSCTL_DIR,
	OPT_DELAY,
	OPT_ONCE,
	OPT_JSON,
	OPT_PROMETHEUS,
	OPT_TEXTFILE,
	OPT_READ_ONLY,
	OPT_NO_COLOR,
	OPT_CONFIRM_TIMEOUT,
	OPT_YES,
	OPT_IPV6,
	OPT_PERSIST,
	OPT_REMOVE_COUNTING,
	OPT_PUBLIC_KEY,
	OPT_GENERATE,
	OPT_PSK,
	OPT_ADDRESS,
	OPT_KEEPALIVE,
	OPT_ENDPOINT,
	OPT_DNS,
	OPT_CLIENT_CONFIG,
	OPT_QR,
	OPT_POLICY,
	OPT_FIX,
	OPT_GROUP,
	OPT_DB,
	OPT_SINCE,
	OPT_HOURLY,
	OPT_DAILY,
	OPT_MONTHLY,
	OPT_KEEP_HOURLY,
	OPT_KEEP_DAILY,
	OPT_WRITE_EVERY,
	OPT_FORCE,
	OPT_HELP,
	OPT_VERSION,
	OPT_COUNT,
	OPT_END = OPT_COUNT,
};

/* What one command line said: each option's value ("" for a flag), NULL when not given. */
struct cmd_args {
	const char *opt[OPT_COUNT];
	long num[OPT_COUNT];		/* integer options, checked against their range */
	double delay;			/* -d */
	char **pos;			/* the positional arguments, after the command's words */
	int n_pos;
};

struct cmd;
typedef int (*cmd_fn)(const struct cmd *c, const struct cmd_args *a);

struct cmd {
	const char *name;		/* as typed: "firewall", "peer add"; "" for the console */
	const char *args;		/* the positional arguments' synopsis */
	const char *summary;		/* one line, N_() */
	const enum opt_id *opts;	/* OPT_END-terminated; -h is implied */
	int min_pos, max_pos;
	cmd_fn run;
	bool hidden;			/* not listed: internal (the guard) */
};

extern const char *cmd_prog;

/* Parses argv and runs the command it names: the exit status. */
int cmd_main(int argc, char *argv[]);

/* The usage of c (of every command when c is NULL) on out. */
void cmd_usage(FILE *out, const struct cmd *c);

/* "PROG: what went wrong" and the hint to --help: exit status 2. */
__attribute__((format(printf, 1, 2))) int cmd_usage_error(const char *fmt, ...);
/* "PROG: what went wrong": exit status 1. */
__attribute__((format(printf, 1, 2))) int cmd_error(const char *fmt, ...);
/* "PROG: " and the message, for a line that does not end the command. */
__attribute__((format(printf, 1, 2))) void cmd_note(const char *fmt, ...);

/* 1 yes, 0 no, -ENOTTY without a terminal to ask on (and no --yes). */
int cmd_confirm(const char *question, bool yes);
bool cmd_color(const struct cmd_args *a);

/* -i, or every interface; names from -c and --names. 0, or an exit status after saying why. */
int cmd_snapshot(struct wg_snapshot **snap, const struct cmd_args *a);

/* The state directories, from --run-dir and --sysctl-dir or their defaults. */
/*
 * Sleeps until the next tick after *due (advanced by step_ns, past ticks skipped: a steady
 * cadence): 0 then, or the first signal of set that came instead (blocked by the caller).
 */
int cmd_wait_tick(const sigset_t *set, struct timespec *due, int64_t step_ns);
const char *cmd_run_dir(const struct cmd_args *a);
const char *cmd_sysctl_dir(const struct cmd_args *a);

/* The subcommands. */
int cmd_console(const struct cmd *c, const struct cmd_args *a);
int cmd_forward(const struct cmd *c, const struct cmd_args *a);
int cmd_firewall(const struct cmd *c, const struct cmd_args *a);
int cmd_check(const struct cmd *c, const struct cmd_args *a);
int cmd_peer(const struct cmd *c, const struct cmd_args *a);
int cmd_policy(const struct cmd *c, const struct cmd_args *a);
int cmd_record(const struct cmd *c, const struct cmd_args *a);

/* What a command did, to the journal and the database (--db, or the default when it exists). */
struct event;
void cmd_event(const struct cmd_args *a, struct event *e);

struct policy_set;
/*
 * What wgstar would change in the ruleset for wants (enum firewall_want), with the policy
 * ps (NULL: none), previewed; unless diff_only, applied under the guard after asking. An
 * exit status.
 */
int cmd_firewall_change(const struct cmd_args *a, struct wg_snapshot *snap, unsigned int wants,
			const struct policy_set *ps, bool diff_only);
/* The policy file for the snapshot (--policy or the default), ready; 0 or an exit status after saying why. */
int cmd_policy_load(const struct cmd_args *a, const struct wg_snapshot *snap, struct policy_set *ps);

#endif
