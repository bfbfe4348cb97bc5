// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top check: why can't peer A reach peer B through the hub. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "check_gather.h"
#include "cmd.h"
#include "i18n.h"

int cmd_check(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_input in = { 0 };
	struct check_result r = { 0 };
	struct check_env env;
	struct wg_snapshot *snap = NULL;
	const char *iface = NULL, *config = NULL;
	int c, ret;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			iface = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case ':':
			return cmd_usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
		default:
			return cmd_usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		in.peer_a = argv[optind++];
	if (optind < argc)
		in.peer_b = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(_("unexpected argument '%s'"), argv[optind]);
	if ((ret = cmd_snapshot(&snap, iface, config)))
		return ret;
	check_gather(&in, &env, snap, time(NULL));
	ret = check_run(&in, &r);
	if (ret == -ENOENT) {
		ret = cmd_error(_("no peer named %s here (a name, a public key or its start, or an address)"), r.unknown);
	} else if (ret < 0) {
		ret = cmd_error("%s", strerror(-ret));
	} else if (!r.n) {
		printf(in.peer_b ? _("nothing found that keeps %s and %s apart\n") :
		       in.peer_a ? _("nothing found that keeps %s from the other peers\n") :
				   _("nothing found that keeps peers apart\n"), in.peer_a, in.peer_b);
		ret = EXIT_SUCCESS;
	} else {
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
