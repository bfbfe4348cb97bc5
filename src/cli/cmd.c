// SPDX-License-Identifier: GPL-2.0-or-later
/* The subcommands of wgstar-top: forward, firewall, check, peer; and what they share. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cmd.h"
#include "i18n.h"
#include "sample.h"

const char *cmd_prog = "wgstar-top";

static const struct {
	const char *name;
	int (*fn)(int argc, char *argv[]);
} commands[] = {
	{ "forward", cmd_forward },
	{ "firewall", cmd_firewall },
	{ "check", cmd_check },
	{ "peer", cmd_peer },
};

int cmd_dispatch(int argc, char *argv[])
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); ++i)
		if (!strcmp(argv[0], commands[i].name))
			return commands[i].fn(argc, argv);
	return -1;
}

int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nTry '%s --help' for more information.\n"), cmd_prog);
	return CMD_EXIT_USAGE;
}

int cmd_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cmd_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

int cmd_confirm(const char *question, bool yes)
{
	char line[64];

	if (yes)
		return 1;
	if (!isatty(STDIN_FILENO))
		return -ENOTTY;
	printf("%s [y/N] ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 0;
	line[strcspn(line, "\n")] = '\0';
	/* The translated "yes" and its first letter, and the English ones. */
	return !strcasecmp(line, "y") || !strcasecmp(line, "yes") || !strcasecmp(line, _("yes")) ||
	       (line[0] && !line[1] && !strncasecmp(line, _("yes"), 1));
}

bool cmd_color(bool no_color)
{
	const char *env = getenv("NO_COLOR");

	return !no_color && !(env && env[0]) && isatty(STDOUT_FILENO);
}

int cmd_snapshot(struct wg_snapshot **snap, const char *iface, const char *config)
{
	struct sample_opts so = { .iface = iface, .config_path = config };
	struct sample_error err;
	int ret;

	if (config && !iface)
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	ret = sample_take(snap, &so, &err);
	if (ret < 0) {
		if (err.failure == SAMPLE_NO_SUCH_IFACE || err.failure == SAMPLE_NOT_WIREGUARD)
			cmd_error(_("%s is not a WireGuard interface here"), err.iface);
		else if (err.failure == SAMPLE_NO_WIREGUARD)
			cmd_error(_("there is no WireGuard interface in this network namespace"));
		else
			cmd_error(_("reading the WireGuard interfaces failed: %s"), cmd_strerror(-err.code));
		sample_error_clear(&err);
		return EXIT_FAILURE;
	}
	return 0;
}

const char *cmd_strerror(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return _("permission denied: this needs root or the CAP_NET_ADMIN capability");
	default:
		return strerror(err);
	}
}
