// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top firewall: the changes wgstar proposes, previewed, applied safely, confirmed or rolled back. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "firewall_nft.h"
#include "guard.h"
#include "session.h"
#include "i18n.h"
#include "textdiff.h"

struct fw_opts {
	const char *action;
	const char *iface;
	const char *config;
	unsigned int timeout;
	bool yes;
	bool read_only;
	bool no_color;
	bool remove;
};

static int parse(struct fw_opts *o, int argc, char *argv[])
{
	enum { OPT_TIMEOUT = 256, OPT_YES, OPT_READ_ONLY, OPT_NO_COLOR, OPT_REMOVE };
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "confirm-timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "remove-counting", no_argument, NULL, OPT_REMOVE },
		{ NULL, 0, NULL, 0 },
	};
	char *end;
	long v;
	int c;

	o->timeout = FIREWALL_DEFAULT_TIMEOUT;
	o->action = "diff";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->iface = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case OPT_TIMEOUT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 3600)
				return cmd_usage_error(_("the confirm timeout must be 1 to 3600 seconds, not '%s'"), optarg);
			o->timeout = (unsigned int)v;
			break;
		case OPT_YES:
			o->yes = true;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_REMOVE:
			o->remove = true;
			break;
		case ':':
			return cmd_usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
		default:
			return cmd_usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->action = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(_("unexpected argument '%s'"), argv[optind]);
	if (strcmp(o->action, "diff") && strcmp(o->action, "apply") && strcmp(o->action, "confirm") &&
	    strcmp(o->action, "rollback"))
		return cmd_usage_error(_("firewall wants diff, apply, confirm or rollback, not '%s'"), o->action);
	return 0;
}

static void print_changes(const struct firewall_plan *plan)
{
	char buf[512];

	for (size_t i = 0; i < plan->n; ++i)
		printf("# %s\n", firewall_change_describe(buf, sizeof(buf), &plan->v[i]));
}

static int send_error(int ret, const char *what)
{
	if (ret == -ERESTART)
		return cmd_error(_("ruleset changed since the preview; run diff again"));
	if (what)
		return cmd_error(_("the kernel refused \"%s\": %s"), what, cmd_strerror(-ret));
	return cmd_error(_("changing the ruleset failed: %s"), cmd_strerror(-ret));
}

/* Warnings for what the change shuts that was open. */
static void lockout_warnings(const struct firewall_plan *plan, const struct wg_snapshot *snap)
{
	char buf[1024];

	if (firewall_lockout_warnings(plan, snap, session_ssh_port(), buf, sizeof(buf)))
		fputs(buf, stderr);
}

/* The plan, previewed and validated by the kernel without committing. 0, 1 for nothing to do, or exit status. */
static int preview(const struct fw_opts *o, struct firewall_plan *plan, struct wg_snapshot *snap)
{
	const char *what;
	int ret;

	ret = firewall_propose(plan, snap, o->remove);
	if (ret < 0)
		return cmd_error(_("reading the ruleset failed: %s"), cmd_strerror(-ret));
	if (!plan->n) {
		printf(_("nothing to change: the ruleset already has what wgstar proposes\n"));
		return 1;
	}
	ret = firewall_send(plan, snap, false, &what);
	if (ret < 0)
		return send_error(ret, what);
	print_changes(plan);
	ret = textdiff_unified(stdout, plan->before, plan->after, _("ruleset now"), _("ruleset after the change"),
			       cmd_color(o->no_color));
	if (ret < 0)
		return cmd_error("%s", strerror(-ret));
	fflush(stdout);
	return 0;
}

/* What the guard's result file says, for people; 0, or 1 when the rollback failed. */
static int print_result(const char *result)
{
	char outcome[16] = "", why[16] = "", reason[128];

	if (sscanf(result, "%15s %15s", outcome, why) != 2)
		return 1;
	snprintf(reason, sizeof(reason), "%s",
		 !strcmp(why, "timeout") ? _("not confirmed in time") :
		 !strcmp(why, "asked") ? _("asked for") :
		 !strcmp(why, "noguard") ? _("no guard could be started") : _("the guard was stopped"));
	if (!strcmp(outcome, "confirmed"))
		printf(_("confirmed: the change stays\n"));
	else if (!strcmp(outcome, "same"))
		printf(_("rolled back (%s): the ruleset is as it was before the change\n"), reason);
	else if (!strcmp(outcome, "differs"))
		printf(_("rolled back (%s), but the ruleset differs from the one saved before the change: "
			 "someone changed it meanwhile\n"), reason);
	else
		return cmd_error(_("the rollback (%s) failed; see the system log: %s"), reason,
				 strchr(result, '\n') ? strchr(result, '\n') + 1 : "");
	return 0;
}

static int apply(const struct fw_opts *o, struct firewall_plan *plan, struct wg_snapshot *snap)
{
	const char *what;
	char *result = NULL;
	int ret;

	if (firewall_pending())
		return cmd_error(_("a change is waiting for confirmation; run 'firewall confirm' or 'firewall rollback' first"));
	if ((ret = preview(o, plan, snap)))
		return ret == 1 ? EXIT_SUCCESS : ret;
	lockout_warnings(plan, snap);
	ret = cmd_confirm(_("Apply this change? It is rolled back unless confirmed."), o->yes);
	if (ret == -ENOTTY)
		return cmd_error(_("not applying without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("not applied"));
	ret = firewall_save(plan);
	if (ret < 0)
		return cmd_error(_("saving the ruleset in %s failed: %s"), firewall_run_dir(), strerror(-ret));
	ret = firewall_send(plan, snap, true, &what);
	if (ret < 0)
		return send_error(ret, what);
	ret = firewall_guard_start(plan, snap, o->timeout);
	if (ret < 0) {
		/* Without a guard the change must not stay: nothing would take it back. */
		cmd_error(_("starting the rollback guard failed (%s); rolling back now"), strerror(-ret));
		firewall_undo(plan, snap);
		if (!firewall_guard_result(&result))
			print_result(result);
		free(result);
		return EXIT_FAILURE;
	}
	printf(_("applied; rolled back in %u s unless you run: %s firewall confirm\n"), o->timeout, cmd_prog);
	return EXIT_SUCCESS;
}

static int guard_cmd(enum firewall_guard_cmd cmd)
{
	char *result = NULL;
	int ret = firewall_guard_signal(cmd, 15);

	if (ret == -ENOENT)
		return cmd_error(_("no firewall change is waiting for confirmation"));
	if (ret < 0)
		return cmd_error(_("the rollback guard did not answer: %s"), strerror(-ret));
	if (firewall_guard_result(&result) < 0)
		return cmd_error(_("the rollback guard ended without a word; see the system log"));
	ret = print_result(result) ? EXIT_FAILURE : EXIT_SUCCESS;
	free(result);
	return ret;
}

int cmd_firewall(int argc, char *argv[])
{
	struct fw_opts o = { 0 };
	struct firewall_plan plan = { 0 };
	struct wg_snapshot *snap = NULL;
	int ret;

	if ((ret = parse(&o, argc, argv)))
		return ret;
	if (o.read_only && strcmp(o.action, "diff"))
		return cmd_error(_("--read-only: not changing the firewall"));
	if (!strcmp(o.action, "confirm"))
		return guard_cmd(FIREWALL_CONFIRM);
	if (!strcmp(o.action, "rollback"))
		return guard_cmd(FIREWALL_ROLLBACK);
	if ((ret = cmd_snapshot(&snap, o.iface, o.config)))
		return ret;
	if (!strcmp(o.action, "diff")) {
		ret = preview(&o, &plan, snap);
		ret = ret == 1 ? EXIT_SUCCESS : ret;
	} else {
		ret = apply(&o, &plan, snap);
	}
	firewall_plan_free(&plan);
	wg_snapshot_free(snap);
	return ret;
}
