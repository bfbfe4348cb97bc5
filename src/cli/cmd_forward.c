// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top forward: show and switch IPv4 and IPv6 forwarding of this network namespace. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "events.h"
#include "fwd.h"
#include "i18n.h"
#include "text.h"

static const char *state_word(int v)
{
	return v < 0 ? _("unknown") : v ? _("on") : _("off");
}

static int status(const char *dir)
{
	char *text = NULL, path[4096], shown[512];
	int v4 = fwd_read(FWD_KEY_IPV4), v6 = fwd_read(FWD_KEY_IPV6);

	printf(_("IPv4 forwarding: %s\n"), state_word(v4));
	printf(_("IPv6 forwarding: %s\n"), state_word(v6));
	if (!fwd_persisted(dir, &text)) {
		snprintf(path, sizeof(path), "%s/%s", dir, FWD_CONF_NAME);
		printf(_("at boot (%s): IPv4 %s, IPv6 %s\n"), text_safe(shown, sizeof(shown), path),
		       state_word(fwd_conf_value(text, FWD_KEY_IPV4)), state_word(fwd_conf_value(text, FWD_KEY_IPV6)));
		free(text);
	}
	return v4 < 0 ? cmd_error(_("reading %s failed: %s"), FWD_KEY_IPV4, text_strerror(-v4)) : EXIT_SUCCESS;
}

int cmd_forward(const struct cmd *c, const struct cmd_args *a)
{
	const char *action = a->n_pos ? a->pos[0] : "status", *dir = cmd_sysctl_dir(a);
	bool persist = a->opt[OPT_PERSIST], ipv6 = a->opt[OPT_IPV6];
	struct fwd_setting set[2];
	char question[512], path[4096], buf[512];
	const char *shown;
	bool changes = false;
	size_t n = 0;
	int ret, value;

	if (strcmp(action, "status") && strcmp(action, "on") && strcmp(action, "off"))
		return cmd_usage_error(_("forward wants status, on or off, not '%s'"), text_safe(buf, sizeof(buf), action));
	if (!strcmp(action, "status") && persist)
		return cmd_usage_error(_("%s works only with on or off"), "--persist");
	if (!strcmp(action, "status"))
		return status(dir);
	if (a->opt[OPT_READ_ONLY])
		return cmd_error(_("--read-only: not switching forwarding"));
	value = !strcmp(action, "on");
	set[n++] = (struct fwd_setting){ FWD_KEY_IPV4, value };
	if (ipv6)
		set[n++] = (struct fwd_setting){ FWD_KEY_IPV6, value };
	for (size_t i = 0; i < n; ++i)
		changes = changes || fwd_read(set[i].key) != value;
	if (!changes && !persist) {
		printf(value ? _("forwarding is on already\n") : _("forwarding is off already\n"));
		return EXIT_SUCCESS;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, FWD_CONF_NAME);
	shown = text_safe(buf, sizeof(buf), path);
	snprintf(question, sizeof(question),
		 value ? _("Turn %s forwarding on in this network namespace%s%s?") :
			 _("Turn %s forwarding off in this network namespace%s%s?"),
		 ipv6 ? _("IPv4 and IPv6") : "IPv4", persist ? _(", and at boot through ") : "", persist ? shown : "");
	ret = cmd_confirm(question, a->opt[OPT_YES]);
	if (ret == -ENOTTY)
		return cmd_error(_("not switching without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("forwarding not switched"));
	for (size_t i = 0; i < n; ++i)
		if ((ret = fwd_write(set[i].key, value)) < 0)
			return cmd_error(_("writing %s failed: %s"), set[i].key,
					 text_strerror(ret == -EROFS ? EPERM : -ret));
	if (persist && (ret = fwd_persist(dir, set, n)) < 0)
		return cmd_error(_("forwarding is switched, but saving it in %s failed: %s"), shown, text_strerror(-ret));
	printf(value ? _("forwarding on: %s\n") : _("forwarding off: %s\n"), ipv6 ? _("IPv4 and IPv6") : "IPv4");
	{
		struct event e;
		char summary[128];

		snprintf(summary, sizeof(summary), "%s forwarding switched %s%s", ipv6 ? "IPv4 and IPv6" : "IPv4",
			 value ? "on" : "off", persist ? ", now and at boot" : "");
		event_action(&e, EV_FORWARDING_SWITCHED, time(NULL), NULL, NULL, summary);
		cmd_event(a, &e);
	}
	return EXIT_SUCCESS;
}
