// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The command line: one table of commands and one of options; arguments are parsed from them
 * and every usage text is printed from them, so the two never disagree.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "fwd.h"
#include "guard.h"
#include "i18n.h"
#include "names.h"
#include "peerops.h"
#include "db.h"
#include "events.h"
#include "journal.h"
#include "policy.h"
#include "session.h"
#include "sample.h"
#include "text.h"

const char *cmd_prog = "wgstar-top";

enum opt_kind { FLAG, STRING, INTEGER, SECONDS };

struct opt_def {
	const char *name;
	char short_name;
	enum opt_kind kind;
	const char *arg;		/* the argument's name in usage */
	const char *help;		/* N_(); a %s in it is the default, from dflt */
	const char *dflt;
	long min, max;			/* INTEGER */
};

static const struct opt_def opts[OPT_COUNT] = {
	[OPT_IFACE] = { "interface", 'i', STRING, "IFACE", N_("only this WireGuard interface") },
	[OPT_CONFIG] = { "config", 'c', STRING, "FILE",
			 N_("the interface's config file (default /etc/wireguard/IFACE.conf)") },
	[OPT_NAMES] = { "names", 0, STRING, "FILE", N_("wgstar's own name store (default %s)"), NAMES_STORE_PATH },
	[OPT_SETTINGS] = { "settings", 0, STRING, "FILE",
			   N_("the hub's Endpoint and DNS for new peers' client configs (default %s)"),
			   PEEROPS_SETTINGS_PATH },
	[OPT_RUN_DIR] = { "run-dir", 0, STRING, "DIR",
			  N_("where a firewall change waiting for confirmation is kept (default %s)"),
			  GUARD_RUN_DIR },
	[OPT_SYSCTL_DIR] = { "sysctl-dir", 0, STRING, "DIR", N_("where --persist writes its file (default %s)"),
			     FWD_SYSCTL_DIR },
	[OPT_DELAY] = { "delay", 'd', SECONDS, "SECONDS", N_("seconds between samples (default 1)") },
	[OPT_ONCE] = { "once", 0, FLAG, NULL, N_("print one snapshot and exit") },
	[OPT_JSON] = { "json", 0, FLAG, NULL, N_("with --once, print JSON (schema in wgstar-top(8))") },
	[OPT_PROMETHEUS] = { "prometheus", 0, FLAG, NULL,
			     N_("with --once, print Prometheus metrics (listed in wgstar-top(8))") },
	[OPT_TEXTFILE] = { "textfile", 0, STRING, "DIR",
			   N_("rewrite DIR/wgstar.prom every -d seconds for node_exporter, until SIGTERM") },
	[OPT_READ_ONLY] = { "read-only", 0, FLAG, NULL, N_("disable every action") },
	[OPT_NO_COLOR] = { "no-color", 0, FLAG, NULL, N_("no colours") },
	[OPT_CONFIRM_TIMEOUT] = { "confirm-timeout", 0, INTEGER, "SECONDS",
				  N_("undo a firewall change unless confirmed within SECONDS (default 30)"), NULL,
				  1, 3600 },
	[OPT_YES] = { "yes", 0, FLAG, NULL, N_("answer yes to the question, for scripts") },
	[OPT_IPV6] = { "ipv6", 0, FLAG, NULL, N_("IPv6 forwarding too") },
	[OPT_PERSIST] = { "persist", 0, FLAG, NULL, N_("keep the setting at boot, in a sysctl.d file") },
	[OPT_REMOVE_COUNTING] = { "remove-counting", 0, FLAG, NULL, N_("propose removing the counting table") },
	[OPT_PUBLIC_KEY] = { "public-key", 0, STRING, "KEY", N_("the device's public key (its private key stays there)") },
	[OPT_GENERATE] = { "generate", 0, FLAG, NULL, N_("make the keypair here (the default)") },
	[OPT_PSK] = { "psk", 0, FLAG, NULL, N_("add a preshared key") },
	[OPT_ADDRESS] = { "address", 0, STRING, "ADDR", N_("its addresses (default: the next free in each subnet)") },
	[OPT_KEEPALIVE] = { "keepalive", 0, INTEGER, "SECONDS", N_("persistent keepalive on the hub's side"), NULL,
			    0, 65535 },
	[OPT_ENDPOINT] = { "endpoint", 0, STRING, "HOST:PORT", N_("the hub's public endpoint for the client config") },
	[OPT_DNS] = { "dns", 0, STRING, "LIST", N_("DNS servers for the client config") },
	[OPT_CLIENT_CONFIG] = { "client-config", 0, STRING, "FILE",
				N_("write the client config to FILE (mode 0600) instead of printing it") },
	[OPT_QR] = { "qr", 0, FLAG, NULL, N_("print the client config as a QR code too") },
	[OPT_POLICY] = { "policy", 0, STRING, "FILE", N_("the hub policy (default %s)"), POLICY_PATH },
	[OPT_FIX] = { "fix", 0, FLAG, NULL, N_("preview the change that fixes what was found, and apply it under the guard") },
	[OPT_GROUP] = { "group", 0, STRING, "G[,G...]", N_("put the new peer in these groups of the hub policy") },
	[OPT_DB] = { "db", 0, STRING, "FILE", N_("wgstar's database of events and usage (default %s)"), DB_PATH },
	[OPT_SINCE] = { "since", 0, STRING, "WHEN",
			N_("from WHEN on: @UNIX-SECONDS, -30m, -2h, -7d, today, yesterday or YYYY-MM-DD [HH:MM[:SS]]") },
	[OPT_HOURLY] = { "hourly", 0, FLAG, NULL, N_("by UTC hour (kept 90 days)") },
	[OPT_DAILY] = { "daily", 0, FLAG, NULL, N_("by UTC day (kept 2 years; the default)") },
	[OPT_MONTHLY] = { "monthly", 0, FLAG, NULL, N_("by UTC month (kept for ever)") },
	[OPT_KEEP_HOURLY] = { "keep-hourly", 0, INTEGER, "DAYS", N_("keep hourly usage this many days (default 90)"),
			      NULL, 1, 36500 },
	[OPT_KEEP_DAILY] = { "keep-daily", 0, INTEGER, "DAYS", N_("keep daily usage this many days (default 730)"), NULL,
			     1, 36500 },
	[OPT_WRITE_EVERY] = { "write-every", 0, INTEGER, "SECONDS",
			      N_("write the usage ledger every SECONDS, 0 at every sample (default 60)"), NULL, 0, 3600 },
	[OPT_FORCE] = { "force", 0, FLAG, NULL,
			N_("change a config file that another tool rewrites from its own database") },
	[OPT_HELP] = { "help", 'h', FLAG, NULL, N_("show this help and exit") },
	[OPT_VERSION] = { "version", 'V', FLAG, NULL, N_("show the version and exit") },
};

#define O(...) ((const enum opt_id[]){ __VA_ARGS__, OPT_END })

static const struct cmd commands[] = {
	{ "", "", N_("A live console for the hub of a WireGuard star network."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_POLICY, OPT_DB, OPT_RUN_DIR, OPT_SYSCTL_DIR, OPT_DELAY,
	    OPT_READ_ONLY, OPT_NO_COLOR, OPT_CONFIRM_TIMEOUT, OPT_ONCE, OPT_JSON, OPT_PROMETHEUS, OPT_TEXTFILE,
	    OPT_VERSION),
	  0, 0, cmd_console },
	{ "forward", "[status|on|off]", N_("Show or switch IPv4 and IPv6 forwarding of this network namespace."),
	  O(OPT_IPV6, OPT_PERSIST, OPT_YES, OPT_READ_ONLY, OPT_SYSCTL_DIR, OPT_DB), 0, 1, cmd_forward },
	{ "firewall", "[diff|apply|confirm|rollback|status]",
	  N_("Preview what wgstar would change in the ruleset, apply it under a guard that rolls it back "
	     "unless confirmed, confirm or roll back, or show what waits."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_POLICY, OPT_CONFIRM_TIMEOUT, OPT_YES, OPT_READ_ONLY, OPT_NO_COLOR,
	    OPT_REMOVE_COUNTING, OPT_RUN_DIR, OPT_DB),
	  0, 1, cmd_firewall },
	{ "firewall guard", "", N_("The rollback guard of a pending firewall change (started by apply)."),
	  O(OPT_RUN_DIR, OPT_DB), 0, 0, cmd_firewall, true },
	{ "check", "[PEER [PEER]]", N_("Why peers cannot reach each other through the hub, with the fixes."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY, OPT_FIX, OPT_CONFIRM_TIMEOUT, OPT_YES, OPT_READ_ONLY,
	    OPT_NO_COLOR, OPT_RUN_DIR, OPT_DB),
	  0, 2, cmd_check },
	{ "policy show", "", N_("The hub policy: groups and members, rules with their counters, the default."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY), 0, 0, cmd_policy },
	{ "policy check", "[FILE]", N_("Check a policy file against the interfaces and peers, and run its tests."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY), 0, 1, cmd_policy },
	{ "policy test", "SRC DST [SERVICE]",
	  N_("What the policy does with a new connection: the verdict and the line that decides. SRC and DST are a "
	     "peer's name or key, an address, or hub; SERVICE is tcp/N, udp/N or icmp."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY), 2, 3, cmd_policy },
	{ "policy edit", "", N_("Edit the policy the way visudo edits sudoers: checked on save, then previewed and "
				 "applied under the guard."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY, OPT_CONFIRM_TIMEOUT, OPT_YES, OPT_NO_COLOR, OPT_RUN_DIR,
	    OPT_DB, OPT_READ_ONLY),
	  0, 0, cmd_policy },
	{ "record", "", N_("Record the star: events to the journal and the database, and the usage ledger of every "
			  "peer, sample after sample, until SIGTERM (SIGHUP reopens the database)."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_POLICY, OPT_DB, OPT_DELAY, OPT_TEXTFILE, OPT_KEEP_HOURLY,
	    OPT_KEEP_DAILY, OPT_WRITE_EVERY, OPT_RUN_DIR, OPT_READ_ONLY),
	  0, 0, cmd_record },
	{ "log", "[PEER]", N_("The events the recorder and wgstar's commands wrote, oldest first."),
	  O(OPT_DB, OPT_SINCE, OPT_JSON), 0, 1, cmd_record },
	{ "usage", "[PEER]", N_("What every peer (or one) used: totals since recording began, and per period."),
	  O(OPT_DB, OPT_HOURLY, OPT_DAILY, OPT_MONTHLY, OPT_SINCE, OPT_JSON), 0, 1, cmd_record },
	{ "peer add", "NAME", N_("Add a peer: live, to the config file, with its client config."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_PUBLIC_KEY, OPT_GENERATE, OPT_PSK, OPT_ADDRESS,
	    OPT_KEEPALIVE, OPT_ENDPOINT, OPT_DNS, OPT_CLIENT_CONFIG, OPT_QR, OPT_GROUP, OPT_POLICY, OPT_DB,
	    OPT_FORCE, OPT_READ_ONLY),
	  1, 1, cmd_peer },
	{ "peer remove", "NAME|PUBLIC-KEY", N_("Remove a peer, live and from the config file, after asking."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_POLICY, OPT_DB, OPT_YES, OPT_FORCE, OPT_READ_ONLY), 1, 1,
	  cmd_peer },
	{ "peer rename", "PEER NEW-NAME", N_("Give a peer another name, in the config file and the name store."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_POLICY, OPT_DB, OPT_FORCE, OPT_READ_ONLY), 2, 2, cmd_peer },
	{ "peer allowed-ips", "PEER PREFIX[,PREFIX...]", N_("Set a peer's allowed IPs, live and in the config file."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_FORCE, OPT_READ_ONLY), 2, 2, cmd_peer },
	{ "peer drift", "", N_("List peers that are live only, or in the config file only."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_READ_ONLY), 0, 0, cmd_peer },
	{ "peer reconcile", "to-file|to-live",
	  N_("Make the config file follow the live interface, or the other way round, after a preview."),
	  O(OPT_IFACE, OPT_CONFIG, OPT_NAMES, OPT_SETTINGS, OPT_YES, OPT_FORCE, OPT_READ_ONLY), 1, 1, cmd_peer },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void vsay(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cmd_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cmd_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	fprintf(stderr, _("Try '%s --help' for more information.\n"), cmd_prog);
	return CMD_EXIT_USAGE;
}

int cmd_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	return EXIT_FAILURE;
}

void cmd_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* --- usage --- */

static bool takes(const struct cmd *c, enum opt_id id)
{
	for (const enum opt_id *o = c->opts; *o != OPT_END; ++o)
		if (*o == id)
			return true;
	return id == OPT_HELP;
}

/* "wgstar-top peer add NAME [-i IFACE] [--psk] ..." wrapped at 80 columns. */
static void synopsis(FILE *out, const struct cmd *c, const char *lead)
{
	int col = fprintf(out, "%s%s%s%s", lead, cmd_prog, c->name[0] ? " " : "", c->name);
	int indent = (int)strlen(lead) + (int)strlen(cmd_prog) + 1;

	if (c->args[0])
		col += fprintf(out, " %s", c->args);
	for (const enum opt_id *o = c->opts; *o != OPT_END; ++o) {
		const struct opt_def *d = &opts[*o];
		char word[64];
		int n;

		if (*o == OPT_VERSION)
			continue;
		if (d->short_name)
			n = snprintf(word, sizeof(word), d->arg ? "[-%c %s]" : "[-%c]", d->short_name, d->arg);
		else
			n = snprintf(word, sizeof(word), d->arg ? "[--%s %s]" : "[--%s]", d->name, d->arg);
		if (col + 1 + n > 79)
			col = fprintf(out, "\n%*s", indent, "") - 1;
		col += fprintf(out, " %s", word);
	}
	fputc('\n', out);
}

/* text from column col on, wrapped at 79 columns onto lines indented by indent. */
static void wrap(FILE *out, int col, int indent, const char *text)
{
	while (*text) {
		size_t word = strcspn(text, " ");

		if (col > indent && col + 1 + (int)word > 79) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', out);
			col++;
		}
		col += fprintf(out, "%.*s", (int)word, text);
		text += word;
		text += strspn(text, " ");
	}
	fputc('\n', out);
}

/* An option's help with its default where the text says %s. */
static void fill_default(char *out, size_t len, const char *help, const char *dflt)
{
	const char *at = strstr(help, "%s");

	if (at && dflt)
		snprintf(out, len, "%.*s%s%s", (int)(at - help), help, dflt, at + 2);
	else
		snprintf(out, len, "%s", help);
}

static void option_help(FILE *out, enum opt_id id)
{
	const struct opt_def *d = &opts[id];
	char left[64], help[256];
	int n;

	if (d->short_name)
		n = snprintf(left, sizeof(left), "  -%c, --%s%s%s", d->short_name, d->name, d->arg ? " " : "",
			     d->arg ? d->arg : "");
	else
		n = snprintf(left, sizeof(left), "      --%s%s%s", d->name, d->arg ? " " : "", d->arg ? d->arg : "");
	fill_default(help, sizeof(help), _(d->help), d->dflt);
	if (n > 26)
		fprintf(out, "%s\n%28s", left, "");
	else
		fprintf(out, "%-28s", left);
	wrap(out, 28, 28, help);
}

static void usage_of(FILE *out, const struct cmd *c)
{
	synopsis(out, c, _("Usage: "));
	fputc('\n', out);
	wrap(out, 0, 0, _(c->summary));
	fprintf(out, "\n%s\n", _("Options:"));
	for (const enum opt_id *o = c->opts; *o != OPT_END; ++o)
		option_help(out, *o);
	option_help(out, OPT_HELP);
}

void cmd_usage(FILE *out, const struct cmd *c)
{
	if (c && c->name[0]) {
		usage_of(out, c);
		return;
	}
	usage_of(out, &commands[0]);
	fprintf(out, "\n%s\n", _("Commands (each says more with --help; see wgstar-top(8)):"));
	for (size_t i = 1; i < N_COMMANDS; ++i)
		if (!commands[i].hidden)
			synopsis(out, &commands[i], "  ");
}

/* The commands whose name starts with these words, for "peer --help". */
static void usage_group(FILE *out, const char *group)
{
	size_t n = strlen(group);
	bool first = true;

	for (size_t i = 1; i < N_COMMANDS; ++i) {
		if (commands[i].hidden || strncmp(commands[i].name, group, n) || commands[i].name[n] != ' ')
			continue;
		if (!first)
			fputc('\n', out);
		usage_of(out, &commands[i]);
		first = false;
	}
}

/* --- parsing --- */

static int parse_value(struct cmd_args *a, enum opt_id id, const char *arg)
{
	const struct opt_def *d = &opts[id];
	char *end;

	a->opt[id] = d->kind == FLAG ? "" : arg;
	if (d->kind == INTEGER) {
		long v;

		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || end == arg || *end || v < d->min || v > d->max)
			return cmd_usage_error(_("--%s wants a whole number from %ld to %ld, not '%s'"), d->name, d->min,
					       d->max, arg);
		a->num[id] = v;
	} else if (d->kind == SECONDS) {
		errno = 0;
		a->delay = strtod(arg, &end);
		if (errno || end == arg || *end || !(a->delay >= 0.1 && a->delay <= 3600))
			return cmd_usage_error(_("--%s wants a number of seconds from 0.1 to 3600, not '%s'"), d->name,
					       arg);
	} else if (id == OPT_IFACE && (!arg[0] || strlen(arg) >= IFNAMSIZ || strchr(arg, '/'))) {
		char shown[TEXT_IFNAME_LEN * 2];

		return cmd_usage_error(_("'%s' is not a valid interface name"), text_safe(shown, sizeof(shown), arg));
	}
	return 0;
}

/* Parses argv (argv[0] is the first word after the command's name) into a. 0 or an exit status. */
static int parse(const struct cmd *c, int argc, char *argv[], struct cmd_args *a)
{
	struct option longopts[OPT_COUNT + 1];
	enum opt_id ids[OPT_COUNT + 1];
	char shorts[2 * OPT_COUNT + 3] = ":";
	size_t n = 0, s = 1;
	int ch, ret;

	memset(longopts, 0, sizeof(longopts));
	for (int id = 0; id < OPT_COUNT; ++id) {
		if (!takes(c, (enum opt_id)id))
			continue;
		longopts[n] = (struct option){ opts[id].name, opts[id].kind == FLAG ? no_argument : required_argument,
					       NULL, 256 + id };
		ids[n++] = (enum opt_id)id;
		if (opts[id].short_name) {
			shorts[s++] = opts[id].short_name;
			if (opts[id].kind != FLAG)
				shorts[s++] = ':';
		}
	}
	shorts[s] = '\0';
	a->delay = 1.0;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, shorts, longopts, NULL)) != -1) {
		enum opt_id id = OPT_COUNT;
		char shown[128];

		if (ch >= 256) {
			id = (enum opt_id)(ch - 256);
		} else if (ch != '?' && ch != ':') {
			for (size_t k = 0; k < n; ++k)
				if (opts[ids[k]].short_name == ch)
					id = ids[k];
		}
		if (ch == ':')
			return cmd_usage_error(_("option '%s' needs an argument"),
					       text_safe(shown, sizeof(shown), argv[optind - 1]));
		if (id == OPT_COUNT)
			return cmd_usage_error(_("unknown option '%s'"), text_safe(shown, sizeof(shown), argv[optind - 1]));
		if ((ret = parse_value(a, id, optarg)))
			return ret;
	}
	a->pos = argv + optind;
	a->n_pos = argc - optind;
	if (a->opt[OPT_HELP] || a->opt[OPT_VERSION])
		return 0;
	if (a->n_pos > c->max_pos) {
		char shown[128];

		return cmd_usage_error(_("unexpected argument '%s'"), text_safe(shown, sizeof(shown), a->pos[c->max_pos]));
	}
	if (a->n_pos < c->min_pos)
		return cmd_usage_error(_("%s %s wants %s; see --help"), cmd_prog, c->name, c->args);
	return 0;
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; ++i)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* The index in argv of the first word that is no option nor an option's argument, or argc. */
static int first_word(int argc, char *argv[], int from)
{
	for (int i = from; i < argc; ++i) {
		const char *w = argv[i];

		if (!strcmp(w, "--"))
			return i + 1 < argc ? i + 1 : argc;
		if (w[0] != '-' || !w[1])
			return i;
		/* An option that takes its argument in the next word skips it. */
		for (int id = 0; id < OPT_COUNT; ++id) {
			bool long_match = w[1] == '-' && !strcmp(w + 2, opts[id].name);
			bool short_match = w[1] != '-' && !w[2] && w[1] == opts[id].short_name;

			if ((long_match || short_match) && opts[id].kind != FLAG) {
				++i;
				break;
			}
		}
	}
	return argc;
}

int cmd_main(int argc, char *argv[])
{
	struct cmd_args a = { 0 };
	const struct cmd *c = &commands[0];
	char name[64], shown[128];
	int skip = 0, ret;

	/* A subcommand is the first word; a verb (peer add, firewall guard) the next. */
	if (argc > 1 && argv[1][0] != '-') {
		int w = first_word(argc, argv, 2);

		c = NULL;
		if (w < argc) {
			snprintf(name, sizeof(name), "%s %s", argv[1], argv[w]);
			if ((c = find(name))) {
				/* The verb leaves argv; what remains is the command's own. */
				memmove(argv + w, argv + w + 1, (size_t)(argc - w - 1) * sizeof(*argv));
				argv[--argc] = NULL;
			}
		}
		if (!c)
			c = find(argv[1]);
		if (!c) {
			snprintf(name, sizeof(name), "%s ", argv[1]);
			for (size_t i = 1; i < N_COMMANDS; ++i)
				if (!strncmp(commands[i].name, name, strlen(name))) {
					bool help = false;

					for (int k = 2; k < argc; ++k)
						help = help || !strcmp(argv[k], "--help") || !strcmp(argv[k], "-h");
					if (help) {
						usage_group(stdout, argv[1]);
						return EXIT_SUCCESS;
					}
					return cmd_usage_error(w < argc ? _("%s has no verb '%s'; see '%s %s --help'") :
								 _("%s wants a verb; see '%s %s --help'"),
							       argv[1], w < argc ? text_safe(shown, sizeof(shown), argv[w]) :
									   cmd_prog,
							       w < argc ? cmd_prog : argv[1], argv[1]);
				}
			return cmd_usage_error(_("unknown command '%s'"), text_safe(shown, sizeof(shown), argv[1]));
		}
		skip = 1;
	}
	if ((ret = parse(c, argc - skip, argv + skip, &a)))
		return ret;
	if (a.opt[OPT_HELP]) {
		cmd_usage(stdout, c);
		return EXIT_SUCCESS;
	}
	if (a.opt[OPT_VERSION]) {
		printf("%s %s\n", cmd_prog, PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	/* The end of a firewall change is an event; its guard writes it where this command would. */
	guard_set_db(a.opt[OPT_DB]);
	return c->run(c, &a);
}

/* --- what the subcommands share --- */

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

bool cmd_color(const struct cmd_args *a)
{
	const char *env = getenv("NO_COLOR");

	return !a->opt[OPT_NO_COLOR] && !(env && env[0]) && isatty(STDOUT_FILENO);
}

int cmd_snapshot(struct wg_snapshot **snap, const struct cmd_args *a)
{
	struct sample_opts so = { .iface = a->opt[OPT_IFACE], .config_path = a->opt[OPT_CONFIG],
				  .names_path = a->opt[OPT_NAMES] ? a->opt[OPT_NAMES] : NAMES_STORE_PATH };
	struct sample_error err;
	char msg[1024];
	int ret;

	if (so.config_path && !so.iface)
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	ret = sample_take(snap, &so, &err);
	if (ret < 0) {
		sample_error_describe(msg, sizeof(msg), &err);
		sample_error_clear(&err);
		return cmd_error("%s", msg);
	}
	return 0;
}

const char *cmd_run_dir(const struct cmd_args *a)
{
	return a->opt[OPT_RUN_DIR] ? a->opt[OPT_RUN_DIR] : GUARD_RUN_DIR;
}

void cmd_event(const struct cmd_args *a, struct event *e)
{
	char who[256];

	if (!e->by[0])
		snprintf(e->by, sizeof(e->by), "%s", session_who(who, sizeof(who)));
	eventlog_action(e, a->opt[OPT_DB]);
}

const char *cmd_sysctl_dir(const struct cmd_args *a)
{
	return a->opt[OPT_SYSCTL_DIR] ? a->opt[OPT_SYSCTL_DIR] : FWD_SYSCTL_DIR;
}

int cmd_wait_tick(const sigset_t *set, struct timespec *due, int64_t step_ns)
{
	struct timespec now, timeout;
	int64_t left;
	int sig;

	clock_gettime(CLOCK_MONOTONIC, &now);
	do {
		due->tv_nsec += step_ns;
		due->tv_sec += due->tv_nsec / 1000000000;
		due->tv_nsec %= 1000000000;
		left = (int64_t)(due->tv_sec - now.tv_sec) * 1000000000 + (due->tv_nsec - now.tv_nsec);
	} while (left <= 0);
	for (;;) {
		timeout.tv_sec = left / 1000000000;
		timeout.tv_nsec = left % 1000000000;
		if ((sig = sigtimedwait(set, NULL, &timeout)) > 0)
			return sig;
		if (errno != EINTR)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int64_t)(due->tv_sec - now.tv_sec) * 1000000000 + (due->tv_nsec - now.tv_nsec);
		if (left <= 0)
			return 0;
	}
}
