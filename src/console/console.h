/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The live console's loop: samples in a thread of their own, keys and drawing in the main one. */
#ifndef WGSTAR_CONSOLE_H
#define WGSTAR_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "errmsg.h"
#include "sample.h"

struct console_opts {
	struct sample_opts sample;
	double interval;		/* seconds between samples */
	bool read_only;
	bool color;			/* false for --no-color or NO_COLOR */
	unsigned int confirm_timeout;	/* seconds to confirm a firewall change; 0 for the default */
	const char *settings_path;	/* the hub's Endpoint and DNS for client configs */
	const char *run_dir;		/* where a firewall change waiting for confirmation is kept */
	const char *sysctl_dir;		/* where the forwarding switch persists */
	const char *policy_path;	/* the hub policy; NULL for the default */
	const char *db_path;		/* wgstar's database; NULL for the default */
};

/*
 * Runs the console until the operator quits or the terminal goes away: 0, a signal that
 * ended it, or -errno with err saying why, to print once the terminal is restored.
 */
int console_run(const struct console_opts *opts, struct errmsg *err);

#endif
