// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top check: why can't peer A reach peer B through the hub. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check_gather.h"
#include "cmd.h"
#include "i18n.h"
#include "text.h"

int cmd_check(const struct cmd *c, const struct cmd_args *a)
{
	struct check_input in = { 0 };
	struct check_result r = { 0 };
	struct check_env env;
	struct wg_snapshot *snap = NULL;
	char sa[256], sb[256];
	int ret;

	in.peer_a = a->n_pos > 0 ? a->pos[0] : NULL;
	in.peer_b = a->n_pos > 1 ? a->pos[1] : NULL;
	if ((ret = cmd_snapshot(&snap, a)))
		return ret;
	check_gather(&in, &env, snap, time(NULL));
	ret = check_run(&in, &r);
	if (ret == -ENOENT) {
		ret = cmd_error(_("no peer named %s here (a name, a public key or its start, or an address)"),
				text_safe(sa, sizeof(sa), r.unknown));
	} else if (ret < 0) {
		ret = cmd_error("%s", text_strerror(-ret));
	} else if (!r.n) {
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
		for (size_t i = 0; i < r.n; ++i)
			if (r.v[i].fix[0])
				printf(_("%s; fix: %s\n"), r.v[i].text, r.v[i].fix);
			else
				printf("%s\n", r.v[i].text);
		ret = EXIT_FAILURE;
	}
	check_env_free(&env);
	check_result_free(&r);
	wg_snapshot_free(snap);
	return ret;
}
