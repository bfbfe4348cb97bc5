/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The subcommands of wgstar-top: forward, firewall, check; and what they share. */
#ifndef WGSTAR_CMD_H
#define WGSTAR_CMD_H

#include <stdbool.h>
#include "model.h"

#define CMD_EXIT_USAGE 2

/* argv[0] is the subcommand. The exit status, or -1 when argv[0] names no subcommand. */
int cmd_dispatch(int argc, char *argv[]);

int cmd_forward(int argc, char *argv[]);
int cmd_firewall(int argc, char *argv[]);
int cmd_check(int argc, char *argv[]);
int cmd_peer(int argc, char *argv[]);

/* --- shared --- */
extern const char *cmd_prog;

__attribute__((format(printf, 1, 2))) int cmd_usage_error(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) int cmd_error(const char *fmt, ...);

/* 1 yes, 0 no, -ENOTTY without a terminal to ask on (and no --yes). */
int cmd_confirm(const char *question, bool yes);
bool cmd_color(bool no_color);

/* Every WireGuard interface (or iface), named from config; prints why not. 0 or exit status. */
int cmd_snapshot(struct wg_snapshot **snap, const char *iface, const char *config);

/* The one line saying why an nftables or sysctl change failed. */
const char *cmd_strerror(int err);

#endif
