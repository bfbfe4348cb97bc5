// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top firewall: the changes wgstar proposes, previewed, applied under a guard, confirmed or rolled back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cmd.h"
#include "firewall_nft.h"
#include "events.h"
#include "guard.h"
#include "i18n.h"
#include "policy_io.h"
#include "prefix.h"
#include "session.h"
#include "text.h"
#include "textdiff.h"

static void print_changes(FILE *out, const struct firewall_plan *plan, const char *lead)
{
	char buf[1024];

	for (size_t i = 0; i < plan->n; ++i)
		fprintf(out, "%s%s\n", lead, firewall_change_describe(buf, sizeof(buf), &plan->v[i]));
}

static int send_error(int ret, const char *what)
{
	char shown[1024];

	if (ret == -ERESTART)
		return cmd_error(_("ruleset changed since the preview; run diff again"));
	if (what[0])
		return cmd_error(_("the kernel refused \"%s\": %s"), text_safe(shown, sizeof(shown), what),
				 text_strerror(-ret));
	return cmd_error(_("changing the ruleset failed: %s"), text_strerror(-ret));
}

/* What preview() says when there is nothing to change: no exit status is negative. */
#define NOTHING_TO_DO (-1)

/*
 * The plan, previewed and validated by the kernel without committing. 0, NOTHING_TO_DO, or an
 * exit status. An apply with --yes asks nothing: its commit, a transaction of its own, is the
 * kernel's validation, and half the time of a big policy is not spent twice.
 */
static int preview(const struct cmd_args *a, struct firewall_plan *plan, struct wg_snapshot *snap, unsigned int wants,
		   const struct policy_set *ps, bool validate)
{
	char what[512];
	int ret;

	ret = firewall_propose(plan, snap, wants, ps && ps->present ? &ps->c : NULL);
	if (ret < 0)
		return cmd_error(_("reading the ruleset failed: %s"), text_strerror(-ret));
	if (!plan->n) {
		printf(_("nothing to change: the ruleset already has what wgstar proposes\n"));
		return NOTHING_TO_DO;
	}
	if (validate && (ret = firewall_send(plan, snap, false, what, sizeof(what))) < 0)
		return send_error(ret, what);
	print_changes(stdout, plan, "# ");
	ret = textdiff_unified(stdout, plan->before, plan->after, _("ruleset now"), _("ruleset after the change"),
			       cmd_color(a));
	if (ret < 0)
		return cmd_error("%s", text_strerror(-ret));
	fflush(stdout);
	return 0;
}

/* What the guard's result says, for people: 0, or 1 when the rollback failed. */
static int print_result(const char *result)
{
	char line[512];

	if (firewall_result_text(result, line, sizeof(line)))
		return cmd_error("%s", line);
	printf("%s\n", line);
	return 0;
}

/* The run directory, checked; 0 or an exit status after saying why. */
static int run_dir(const char *dir, bool create)
{
	struct errmsg err;
	int ret = guard_dir_check(dir, create, &err);

	if (ret == -ENOENT)
		return cmd_error(_("no firewall change is waiting for confirmation"));
	if (ret < 0)
		return cmd_error("%s", errmsg_text(&err));
	return 0;
}

static void describe_pending(FILE *out, const struct firewall_pending *p)
{
	char who[256];

	fprintf(out, _("a firewall change applied by %s waits for confirmation; it is rolled back in %lld s\n"),
		p->by[0] ? text_safe(who, sizeof(who), p->by) : "?", (long long)(p->deadline - time(NULL)));
	print_changes(out, &p->plan, "  ");
}

static int apply(const struct cmd_args *a, struct firewall_plan *plan, struct wg_snapshot *snap, unsigned int wants,
		 const struct policy_set *ps)
{
	const char *dir = cmd_run_dir(a);
	unsigned int timeout = a->opt[OPT_CONFIRM_TIMEOUT] ? (unsigned int)a->num[OPT_CONFIRM_TIMEOUT] :
							      GUARD_DEFAULT_TIMEOUT;
	struct firewall_pending p;
	char warn[1024], who[256], what[512];
	int lock = -1, holder, ret;

	if ((ret = run_dir(dir, true)))
		return ret;
	/* A change that waits is said before the preview, and looked for again under the lock. */
	if (!guard_read(dir, &p)) {
		describe_pending(stderr, &p);
		firewall_pending_free(&p);
		return cmd_error(_("not applying another change: run 'firewall confirm' or 'firewall rollback' first"));
	}
	if ((ret = preview(a, plan, snap, wants, ps, !a->opt[OPT_YES])))
		return ret == NOTHING_TO_DO ? EXIT_SUCCESS : ret;
	if (firewall_lockout_warnings(plan, snap, session_ssh_port(), warn, sizeof(warn)))
		fputs(warn, stderr);
	if (policy_session_warning(ps, snap, warn, sizeof(warn)))
		fputs(warn, stderr);
	ret = cmd_confirm(_("Apply this change? It is rolled back unless confirmed."), a->opt[OPT_YES]);
	if (ret <= 0)
		return cmd_error(ret == -ENOTTY ? _("not applying without a terminal to ask on; use --yes") :
						  _("not applied"));
	/*
	 * From the look for a pending change until its guard has taken over: one apply at a time.
	 * Not while asking: an operator thinking holds no one up. Whatever changed meanwhile, the
	 * generation of the preview catches.
	 */
	lock = guard_lock(dir, false, &holder);
	if (lock == -EWOULDBLOCK)
		return cmd_error(_("another firewall change is being applied now (process %d); try again when it is done"),
				 holder);
	if (lock < 0)
		return cmd_error(_("locking %s failed: %s"), dir, text_strerror(-lock));
	if (!guard_read(dir, &p)) {
		describe_pending(stderr, &p);
		firewall_pending_free(&p);
		ret = cmd_error(_("not applying another change: run 'firewall confirm' or 'firewall rollback' first"));
		goto out;
	}
	ret = guard_commit(dir, plan, snap, timeout, session_who(who, sizeof(who)), what, sizeof(what));
	if (ret == -ECHILD) {
		char *result = NULL;

		/* Without a guard the change must not stay: nothing would take it back. */
		cmd_note(_("starting the rollback guard failed; the change is rolled back"));
		if (!guard_result(dir, &result))
			print_result(result);
		free(result);
		ret = EXIT_FAILURE;
		goto out;
	}
	if (ret < 0) {
		ret = send_error(ret, what);
		goto out;
	}
	printf(_("applied; rolled back in %u s unless you run: %s firewall confirm\n"), timeout, cmd_prog);
	{
		struct event e;
		char summary[EVENT_TEXT_MAX], buf[512];
		size_t o;

		o = (size_t)snprintf(summary, sizeof(summary), "firewall change applied, rolled back in %u s unless confirmed:",
				     timeout);
		for (size_t i = 0; i < plan->n && o < sizeof(summary); ++i)
			o += (size_t)snprintf(summary + o, sizeof(summary) - o, "%s %s", i ? ";" : "",
					      firewall_change_describe(buf, sizeof(buf), &plan->v[i]));
		event_action(&e, EV_FIREWALL_APPLIED, time(NULL), a->opt[OPT_IFACE], NULL, summary);
		cmd_event(a, &e);
	}
	ret = EXIT_SUCCESS;
out:
	guard_unlock(lock);
	return ret;
}

static int finish(const struct cmd_args *a, enum guard_cmd cmd)
{
	const char *dir = cmd_run_dir(a);
	char *result = NULL;
	int ret;

	if ((ret = run_dir(dir, false)))
		return ret;
	ret = guard_finish(dir, cmd, &result);
	if (ret == -ENOENT)
		return cmd_error(_("no firewall change is waiting for confirmation"));
	if (ret == -ETIMEDOUT)
		return cmd_error(_("the rollback guard did not answer in time; see 'firewall status'"));
	if (ret < 0)
		return cmd_error(_("the rollback guard did not answer: %s"), text_strerror(-ret));
	ret = print_result(result) ? EXIT_FAILURE : EXIT_SUCCESS;
	free(result);
	return ret;
}

static int status(const struct cmd_args *a)
{
	const char *dir = cmd_run_dir(a);
	struct firewall_pending p;
	char *result = NULL, line[512];
	struct errmsg err;
	int ret = guard_dir_check(dir, false, &err);

	if (ret < 0 && ret != -ENOENT)
		return cmd_error("%s", errmsg_text(&err));
	if (!ret)
		ret = guard_read(dir, &p);
	if (ret == -ENOENT) {
		printf(_("no firewall change is waiting for confirmation\n"));
		if (!guard_result(dir, &result)) {
			firewall_result_text(result, line, sizeof(line));
			printf(_("the last one: %s\n"), line);
			free(result);
		}
		return EXIT_SUCCESS;
	}
	if (ret < 0)
		return cmd_error(_("reading the pending change in %s failed: %s"), dir, text_strerror(-ret));
	describe_pending(stdout, &p);
	if (guard_alive(&p))
		printf(_("its guard runs (process %d)\n"), (int)p.guard_pid);
	else if (p.guard_pid)
		printf(_("UNGUARDED: its guard (process %d) is gone; nothing will roll it back: run '%s firewall "
			 "confirm' to keep it or '%s firewall rollback' to undo it\n"), (int)p.guard_pid, cmd_prog, cmd_prog);
	else
		printf(_("UNGUARDED: no guard has taken it over; run '%s firewall confirm' to keep it or '%s "
			 "firewall rollback' to undo it\n"), cmd_prog, cmd_prog);
	firewall_pending_free(&p);
	return EXIT_SUCCESS;
}

int cmd_firewall_change(const struct cmd_args *a, struct wg_snapshot *snap, unsigned int wants,
			const struct policy_set *ps, bool diff_only)
{
	struct firewall_plan plan = { 0 };
	int ret;

	if (diff_only) {
		ret = preview(a, &plan, snap, wants, ps, true);
		ret = ret == NOTHING_TO_DO ? EXIT_SUCCESS : ret;
	} else {
		ret = apply(a, &plan, snap, wants, ps);
	}
	firewall_plan_free(&plan);
	return ret;
}

int cmd_policy_load(const struct cmd_args *a, const struct wg_snapshot *snap, struct policy_set *ps)
{
	struct errmsg err;
	int ret = policy_load(ps, a->opt[OPT_POLICY], snap, 0, &err);

	if (ret < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	return 0;
}

int cmd_firewall(const struct cmd *c, const struct cmd_args *a)
{
	const char *action = a->n_pos ? a->pos[0] : "diff";
	struct wg_snapshot *snap = NULL;
	struct policy_set ps = { 0 };
	unsigned int wants;
	char shown[128];
	int ret;

	if (!strcmp(c->name, "firewall guard"))
		return guard_main(cmd_run_dir(a));
	if (strcmp(action, "diff") && strcmp(action, "apply") && strcmp(action, "confirm") &&
	    strcmp(action, "rollback") && strcmp(action, "status"))
		return cmd_usage_error(_("firewall wants diff, apply, confirm, rollback or status, not '%s'"),
				       text_safe(shown, sizeof(shown), action));
	if (a->opt[OPT_READ_ONLY] && strcmp(action, "diff") && strcmp(action, "status"))
		return cmd_error(_("--read-only: not changing the firewall"));
	if (!strcmp(action, "status"))
		return status(a);
	if (!strcmp(action, "confirm"))
		return finish(a, GUARD_CONFIRM);
	if (!strcmp(action, "rollback"))
		return finish(a, GUARD_ROLLBACK);
	if ((ret = cmd_snapshot(&snap, a)))
		return ret;
	/* A policy that does not check out changes nothing at all. */
	if (a->opt[OPT_REMOVE_COUNTING]) {
		wants = FIREWALL_WANT_REMOVE;
	} else if (!(ret = cmd_policy_load(a, snap, &ps))) {
		wants = FIREWALL_WANT_COUNTING | FIREWALL_WANT_ACCEPT | FIREWALL_WANT_POLICY;
	} else {
		wg_snapshot_free(snap);
		return ret;
	}
	ret = cmd_firewall_change(a, snap, wants, &ps, !strcmp(action, "diff"));
	policy_set_free(&ps);
	wg_snapshot_free(snap);
	return ret;
}
