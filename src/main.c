// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top: the command line; the only place that decides to exit. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "i18n.h"
#include "report.h"
#include "sample.h"
#include "sysctl.h"

#define EXIT_USAGE 2
/* Fixed like /etc/wireguard: operators look for state in /var/lib whatever the prefix. */
#define NAMES_STORE "/var/lib/wgstar/names"

static const char *prog = "wgstar-top";

struct options {
	const char *iface;
	const char *config;
	const char *names;
	double delay;
	bool once;
	bool json;
	bool read_only;
	bool no_color;
};

static void usage(FILE *out)
{
	fprintf(out, _("Usage: %s [-i IFACE] [-c CONFIG] [-d SECONDS] [--read-only] [--no-color]\n"
		       "       %s --once [--json] [-i IFACE] [-c CONFIG]\n"), prog, prog);
	fprintf(out, _("\n"
		"A live console for the hub of a WireGuard star network.\n"
		"\n"
		"Options:\n"
		"  -i, --interface IFACE  show only this WireGuard interface\n"
		"  -c, --config FILE      read peer names from FILE (default /etc/wireguard/IFACE.conf)\n"
		"      --names FILE       wgstar's own name store (default %s)\n"
		"  -d, --delay SECONDS    refresh interval of the console (default 1)\n"
		"      --read-only        disable every action\n"
		"      --no-color         draw without colours\n"
		"      --once             print one snapshot and exit\n"
		"      --json             with --once, print JSON (schema in wgstar-top(8))\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"), NAMES_STORE);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, _("\nTry '%s --help' for more information.\n"), prog);
	return EXIT_USAGE;
}

static int parse_options(struct options *o, int argc, char *argv[])
{
	enum { OPT_ONCE = 256, OPT_JSON, OPT_READ_ONLY, OPT_NO_COLOR, OPT_NAMES };
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "delay", required_argument, NULL, 'd' },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->delay = 1.0;
	o->names = NAMES_STORE;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:d:hV", longopts, NULL)) != -1) {
		char *end;

		switch (c) {
		case 'i':
			if (!optarg[0] || strlen(optarg) >= IFNAMSIZ || strchr(optarg, '/'))
				return usage_error(_("'%s' is not a valid interface name"), optarg);
			o->iface = optarg;
			break;
		case 'c':
			o->config = optarg;
			break;
		case 'd':
			errno = 0;
			o->delay = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->delay >= 0.1 && o->delay <= 3600))
				return usage_error(_("the delay must be a number of seconds from 0.1 to 3600, not '%s'"),
						   optarg);
			break;
		case OPT_NAMES:
			o->names = optarg;
			break;
		case OPT_ONCE:
			o->once = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_SUCCESS);
		case 'V':
			printf("%s %s\n", prog, PACKAGE_VERSION);
			exit(EXIT_SUCCESS);
		case ':':
			return usage_error(_("option '%s' needs an argument"), argv[optind - 1]);
		default:
			return usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error(_("unexpected argument '%s'"), argv[optind]);
	if (o->json && !o->once)
		return usage_error(_("%s works only with --once"), "--json");
	return 0;
}

/* The WireGuard interfaces that do exist, as ", a, b", for one-line messages. */
static char *available_list(const struct strlist *names)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < names->n; ++i)
		len += strlen(names->v[i]) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < names->n; ++i) {
		if (i)
			strcat(s, ", ");
		strcat(s, names->v[i]);
	}
	return s;
}

/* -i named something that is not a WireGuard interface here: say what there is instead. */
static void print_missing(const struct sample_error *err)
{
	char *list = available_list(&err->available);
	bool exists = err->failure == SAMPLE_NOT_WIREGUARD;

	if (!list || !list[0])
		fprintf(stderr, exists ?
			_("%s: %s is not a WireGuard interface, and there is none in this network namespace\n") :
			_("%s: there is no interface named %s, and no WireGuard interface in this network namespace\n"),
			prog, err->iface);
	else
		fprintf(stderr, exists ?
			_("%s: %s is not a WireGuard interface; WireGuard interfaces here: %s\n") :
			_("%s: there is no interface named %s; WireGuard interfaces here: %s\n"),
			prog, err->iface, list);
	free(list);
}

static void print_read_error(const struct sample_error *err)
{
	const char *backend = userspace_has_interface(err->iface) ? _("userspace") : _("kernel");

	switch (-err->code) {
	case EPERM:
	case EACCES:
		fprintf(stderr, _("%s: reading %s needs root or the CAP_NET_ADMIN capability\n"),
			prog, err->iface);
		break;
	case ETIMEDOUT:
		fprintf(stderr, _("%s: %s: the %s backend did not answer within %d seconds\n"),
			prog, err->iface, backend, BACKEND_TIMEOUT_MS / 1000);
		break;
	case ECONNREFUSED:
		fprintf(stderr, _("%s: %s: nothing answers on %s/%s.sock (is wireguard-go still running?)\n"),
			prog, err->iface, USERSPACE_SOCK_DIR, err->iface);
		break;
	case EPROTO:
		fprintf(stderr, _("%s: %s: the %s backend's reply ended early\n"), prog, err->iface, backend);
		break;
	case EBADMSG:
		fprintf(stderr, _("%s: %s: the %s backend sent a malformed reply\n"), prog, err->iface, backend);
		break;
	default:
		fprintf(stderr, _("%s: %s: reading the interface failed: %s\n"),
			prog, err->iface, strerror(-err->code));
		break;
	}
}

static void print_sample_error(const struct sample_error *err)
{
	switch (err->failure) {
	case SAMPLE_NO_WIREGUARD:
		fprintf(stderr, _("%s: WireGuard is not available here: the kernel has no wireguard module "
				  "loaded and no userspace implementation (wireguard-go, boringtun) runs an "
				  "interface in this network namespace\n"), prog);
		break;
	case SAMPLE_NO_SUCH_IFACE:
	case SAMPLE_NOT_WIREGUARD:
		print_missing(err);
		break;
	case SAMPLE_LIST_FAILED:
		fprintf(stderr, _("%s: listing the WireGuard interfaces failed: %s\n"), prog, strerror(-err->code));
		break;
	case SAMPLE_NAMES_FAILED:
		fprintf(stderr, _("%s: reading peer names from %s failed: %s\n"), prog,
			err->path ? err->path : err->iface, strerror(-err->code));
		break;
	case SAMPLE_READ_FAILED:
	default:
		print_read_error(err);
		break;
	}
}

static int run_once(const struct options *o)
{
	struct sample_opts so = { .iface = o->iface, .config_path = o->config, .names_path = o->names };
	struct sample_error err;
	struct wg_snapshot *snap = NULL;
	struct fwd_state fwd;
	int ret;

	if (o->config && !o->iface)
		return usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	ret = sample_take(&snap, &so, &err);
	if (ret < 0) {
		print_sample_error(&err);
		sample_error_clear(&err);
		return EXIT_FAILURE;
	}
	sysctl_forwarding(&fwd);
	if (o->json)
		ret = report_json(stdout, snap, &fwd);
	else if (!snap->n_devices)
		ret = printf(_("no WireGuard interfaces\n")) < 0 ? -EIO : 0;
	else
		ret = report_text(stdout, snap, &fwd, !strcmp(nl_langinfo(CODESET), "UTF-8"));
	wg_snapshot_free(snap);
	if (ret < 0) {
		fprintf(stderr, _("%s: writing the snapshot failed: %s\n"), prog, strerror(-ret));
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
	struct options o = { 0 };
	int ret;

	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);

	ret = parse_options(&o, argc, argv);
	if (ret)
		return ret;
	if (o.once)
		return run_once(&o);
	fprintf(stderr, _("%s: the interactive console is not part of this version yet; use --once\n"), prog);
	return EXIT_FAILURE;
}
