// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top check: why can't peer A reach peer B through the hub. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check_gather.h"
#include "cmd.h"
#include "firewall.h"
#include "i18n.h"
#include "policy_io.h"
#include "text.h"

int cmd_check(const struct cmd *c, const struct cmd_args *a)
{
	struct check_input in = { 0 };
	struct check_result r = { 0 };
	struct check_env env;
	struct wg_snapshot *snap = NULL;
	struct policy_set ps = { 0 };
	struct errmsg err;
	char sa[256], sb[256];
	bool fixable = false;
	int ret;

	if (a->opt[OPT_FIX] && a->opt[OPT_READ_ONLY])
		return cmd_error(_("--read-only: not changing the firewall"));
	in.peer_a = a->n_pos > 0 ? a->pos[0] : NULL;
	in.peer_b = a->n_pos > 1 ? a->pos[1] : NULL;
	if ((ret = cmd_snapshot(&snap, a)))
		return ret;
	/* A policy that does not check out is a finding of its own, not the end of the check. */
	ret = policy_load(&ps, a->opt[OPT_POLICY], snap, POLICY_PREPARE_IGNORE_MISSING | POLICY_PREPARE_NO_COMPILE, &err);
	if (ret < 0)
		printf(_("the hub policy is not used: %s\n"), errmsg_or(&err, ret));
	in.policy = &ps;
	check_gather(&in, &env, snap, time(NULL));
	ret = check_run(&in, &r);
	if (ret == -ENOENT) {
		ret = cmd_error(_("no peer named %s here (a name, a public key or its start, or an address)"),
				text_safe(sa, sizeof(sa), r.unknown));
	} else if (ret < 0) {
		ret = cmd_error("%s", text_strerror(-ret));
	} else if (!check_causes(&r)) {
		for (size_t i = 0; i < r.n; ++i)
			printf("%s\n", r.v[i].text);
		if (in.peer_b)
			printf(_("nothing found that keeps %s and %s apart\n"), text_safe(sa, sizeof(sa), in.peer_a),
			       text_safe(sb, sizeof(sb), in.peer_b));
		else if (in.peer_a)
			printf(_("nothing found that keeps %s from the other peers\n"), text_safe(sa, sizeof(sa), in.peer_a));
		else
			printf(_("nothing found that keeps peers apart\n"));
		ret = EXIT_SUCCESS;
	} else {
		/* The findings quote names and interfaces escaped already (check.c). */
		for (size_t i = 0; i < r.n; ++i) {
			if (r.v[i].fix[0])
				printf(_("%s; fix: %s\n"), r.v[i].text, r.v[i].fix);
			else
				printf("%s\n", r.v[i].text);
			fixable |= r.v[i].kind == CHECK_FIX_FIREWALL;
		}
		ret = EXIT_FAILURE;
		if (a->opt[OPT_FIX] && fixable) {
			fflush(stdout);
			ret = cmd_firewall_change(a, snap, FIREWALL_WANT_ACCEPT, NULL, false);
		} else if (a->opt[OPT_FIX]) {
			printf(_("nothing here that --fix can change\n"));
		}
	}
	check_env_free(&env);
	check_result_free(&r);
	policy_set_free(&ps);
	wg_snapshot_free(snap);
	return ret;
}
