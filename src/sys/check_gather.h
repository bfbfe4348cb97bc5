/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What `check` judges, gathered from this network namespace: sysctls, the ruleset, routes. */
#ifndef WGSTAR_CHECK_GATHER_H
#define WGSTAR_CHECK_GATHER_H

#include "check.h"

struct mnl_socket;

/*
 * What check_run needs from the network namespace this process runs in, gathered into in for
 * snap: the forwarding sysctls, the ruleset, rp_filter per device, and routes through a
 * netlink socket. Whatever cannot be read is left unknown. Free env with check_env_free.
 */
struct check_env {
	char *ruleset;
	struct mnl_socket *nl;
};

void check_gather(struct check_input *in, struct check_env *env, const struct wg_snapshot *snap, int64_t now);
void check_env_free(struct check_env *env);

#endif
