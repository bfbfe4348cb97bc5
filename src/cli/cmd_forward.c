// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top forward: show and switch IPv4 and IPv6 forwarding of this network namespace. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "atomic.h"
#include "cmd.h"
#include "fwd.h"
#include "i18n.h"

struct fwd_opts {
	const char *action;
	bool ipv6;
	bool persist;
	bool yes;
	bool read_only;
};

static int parse(struct fwd_opts *o, int argc, char *argv[])
{
	enum { OPT_IPV6 = 256, OPT_PERSIST, OPT_YES, OPT_READ_ONLY };
	static const struct option longopts[] = {
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "persist", no_argument, NULL, OPT_PERSIST },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->action = "status";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IPV6:
			o->ipv6 = true;
			break;
		case OPT_PERSIST:
			o->persist = true;
			break;
		case OPT_YES:
			o->yes = true;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		default:
			return cmd_usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		o->action = argv[optind++];
	if (optind < argc)
		return cmd_usage_error(_("unexpected argument '%s'"), argv[optind]);
	if (strcmp(o->action, "status") && strcmp(o->action, "on") && strcmp(o->action, "off"))
		return cmd_usage_error(_("forward wants status, on or off, not '%s'"), o->action);
	if (!strcmp(o->action, "status") && o->persist)
		return cmd_usage_error(_("%s works only with on or off"), "--persist");
	return 0;
}

static const char *state_word(int v)
{
	return v < 0 ? _("unknown") : v ? _("on") : _("off");
}

static int status(void)
{
	char path[4096], *text = NULL;
	int v4 = fwd_read(FWD_KEY_IPV4), v6 = fwd_read(FWD_KEY_IPV6);

	printf(_("IPv4 forwarding: %s\n"), state_word(v4));
	printf(_("IPv6 forwarding: %s\n"), state_word(v6));
	snprintf(path, sizeof(path), "%s/%s", fwd_sysctl_dir(), FWD_CONF_NAME);
	if (!atomic_read(path, &text, NULL)) {
		printf(_("at boot (%s): IPv4 %s, IPv6 %s\n"), path, state_word(fwd_conf_value(text, FWD_KEY_IPV4)),
		       state_word(fwd_conf_value(text, FWD_KEY_IPV6)));
		free(text);
	}
	return v4 < 0 ? cmd_error(_("reading %s failed: %s"), FWD_KEY_IPV4, strerror(-v4)) : EXIT_SUCCESS;
}

int cmd_forward(int argc, char *argv[])
{
	struct fwd_opts o = { 0 };
	struct fwd_setting set[2];
	char question[512], path[4096];
	bool changes = false;
	size_t n = 0;
	int ret, value;

	if ((ret = parse(&o, argc, argv)))
		return ret;
	if (!strcmp(o.action, "status"))
		return status();
	if (o.read_only)
		return cmd_error(_("--read-only: not switching forwarding"));
	value = !strcmp(o.action, "on");
	set[n++] = (struct fwd_setting){ FWD_KEY_IPV4, value };
	if (o.ipv6)
		set[n++] = (struct fwd_setting){ FWD_KEY_IPV6, value };
	for (size_t i = 0; i < n; ++i)
		changes = changes || fwd_read(set[i].key) != value;
	if (!changes && !o.persist) {
		printf(value ? _("forwarding is on already\n") : _("forwarding is off already\n"));
		return EXIT_SUCCESS;
	}
	snprintf(path, sizeof(path), "%s/%s", fwd_sysctl_dir(), FWD_CONF_NAME);
	snprintf(question, sizeof(question),
		 value ? _("Turn %s forwarding on in this network namespace%s%s?") :
			 _("Turn %s forwarding off in this network namespace%s%s?"),
		 o.ipv6 ? _("IPv4 and IPv6") : "IPv4", o.persist ? _(", and at boot through ") : "",
		 o.persist ? path : "");
	ret = cmd_confirm(question, o.yes);
	if (ret == -ENOTTY)
		return cmd_error(_("not switching without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("forwarding not switched"));
	for (size_t i = 0; i < n; ++i)
		if ((ret = fwd_write(set[i].key, value)) < 0)
			return cmd_error(_("writing %s failed: %s"), set[i].key,
					 ret == -EACCES || ret == -EROFS ? cmd_strerror(EPERM) : strerror(-ret));
	if (o.persist && (ret = fwd_persist(set, n)) < 0)
		return cmd_error(_("forwarding is switched, but saving it in %s failed: %s"), path, strerror(-ret));
	printf(value ? _("forwarding on: %s\n") : _("forwarding off: %s\n"), o.ipv6 ? _("IPv4 and IPv6") : "IPv4");
	return EXIT_SUCCESS;
}
