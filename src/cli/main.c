// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top: the command line; the only place that decides to exit. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "backend.h"
#include "cmd.h"
#include "console.h"
#include "counters_io.h"
#include "format.h"
#include "i18n.h"
#include "prom.h"
#include "peerops.h"
#include "report.h"
#include "sample.h"
#include "sysctl.h"
#include "textfile.h"

#define EXIT_USAGE 2

static const char *prog = "wgstar-top";

struct options {
	const char *iface;
	const char *config;
	const char *names;
	double delay;
	bool once;
	bool json;
	bool prometheus;
	const char *textfile;
	bool read_only;
	bool no_color;
	unsigned int confirm_timeout;
	const char *settings;
};

static void usage(FILE *out)
{
	fprintf(out, _("Usage: %s [-i IFACE] [-c CONFIG] [-d SECONDS] [--read-only] [--no-color]\n"
		       "       %s --once [--json] [-i IFACE] [-c CONFIG]\n"), prog, prog);
	fprintf(out, _("       %s --once --prometheus [-i IFACE] [-c CONFIG]\n"
		       "       %s --textfile DIR [-d SECONDS] [-i IFACE] [-c CONFIG]\n"), prog, prog);
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
		"      --confirm-timeout SECONDS\n"
		"                         undo a firewall change the console applied unless it is\n"
		"                         kept within SECONDS (default 30)\n"
		"      --settings FILE    the hub's Endpoint and DNS for new peers' client configs\n"
		"                         (default /etc/wgstar/wgstar.conf)\n"
		"      --once             print one snapshot and exit\n"
		"      --json             with --once, print JSON (schema in wgstar-top(8))\n"
		"  -h, --help             show this help and exit\n"
		"  -V, --version          show the version and exit\n"), NAMES_STORE_PATH);
	fprintf(out, _("\n"
		"Prometheus metrics (listed in wgstar-top(8)):\n"
		"      --prometheus       with --once, print them in the text exposition format\n"
		"      --textfile DIR     rewrite DIR/%s every -d SECONDS for node_exporter's\n"
		"                         textfile collector, until SIGTERM or SIGINT\n"), PROM_TEXTFILE_NAME);
	fprintf(out, _("\n"
		"Commands (see wgstar-top(8)):\n"
		"  %s forward [status|on|off] [--ipv6] [--persist] [--yes]\n"
		"  %s firewall [diff|apply|confirm|rollback] [--confirm-timeout SECONDS] [--yes]\n"
		"                       [--remove-counting] [-i IFACE]\n"
		"  %s check [PEER [PEER]] [-i IFACE] [-c CONFIG]\n"), prog, prog, prog);
	fprintf(out, _("  %s peer add NAME [--public-key KEY | --generate] [--psk] [--address ADDR]\n"
		"                [--keepalive SECONDS] [--endpoint HOST:PORT] [--dns LIST]\n"
		"                [--client-config FILE] [--qr]\n"
		"  %s peer remove NAME|PUBLIC-KEY [--yes]\n"
		"  %s peer rename PEER NEW-NAME\n"
		"  %s peer allowed-ips PEER PREFIX[,PREFIX...]\n"
		"  %s peer drift\n"
		"  %s peer reconcile to-file|to-live [--yes]\n"
		"      peer commands also take -i IFACE, -c CONFIG, --names FILE and\n"
		"      --settings FILE (the hub's Endpoint and DNS; default %s)\n"),
		prog, prog, prog, prog, prog, prog, PEEROPS_SETTINGS_PATH);
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
	enum { OPT_ONCE = 256, OPT_JSON, OPT_READ_ONLY, OPT_NO_COLOR, OPT_NAMES, OPT_PROMETHEUS, OPT_TEXTFILE,
	       OPT_CONFIRM_TIMEOUT, OPT_SETTINGS };
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "delay", required_argument, NULL, 'd' },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "once", no_argument, NULL, OPT_ONCE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ "textfile", required_argument, NULL, OPT_TEXTFILE },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ "no-color", no_argument, NULL, OPT_NO_COLOR },
		{ "confirm-timeout", required_argument, NULL, OPT_CONFIRM_TIMEOUT },
		{ "settings", required_argument, NULL, OPT_SETTINGS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->delay = 1.0;
	o->names = NAMES_STORE_PATH;
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
		case OPT_PROMETHEUS:
			o->prometheus = true;
			break;
		case OPT_TEXTFILE:
			o->textfile = optarg;
			break;
		case OPT_READ_ONLY:
			o->read_only = true;
			break;
		case OPT_NO_COLOR:
			o->no_color = true;
			break;
		case OPT_CONFIRM_TIMEOUT: {
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > 3600)
				return usage_error(_("the confirm timeout must be 1 to 3600 seconds, not '%s'"), optarg);
			o->confirm_timeout = (unsigned int)v;
			break;
		}
		case OPT_SETTINGS:
			o->settings = optarg;
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
	if (o->prometheus && !o->once)
		return usage_error(_("%s works only with --once"), "--prometheus");
	if (o->json && (o->prometheus || o->textfile))
		return usage_error(_("%s and %s exclude each other"), "--json",
				   o->prometheus ? "--prometheus" : "--textfile");
	if (o->prometheus && o->textfile)
		return usage_error(_("%s and %s exclude each other"), "--prometheus", "--textfile");
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
static void print_missing(FILE *out, const struct sample_error *err)
{
	char *list = available_list(&err->available);
	bool exists = err->failure == SAMPLE_NOT_WIREGUARD;

	if (!list || !list[0])
		fprintf(out, exists ?
			_("%s: %s is not a WireGuard interface, and there is none in this network namespace\n") :
			_("%s: there is no interface named %s, and no WireGuard interface in this network namespace\n"),
			prog, err->iface);
	else
		fprintf(out, exists ?
			_("%s: %s is not a WireGuard interface; WireGuard interfaces here: %s\n") :
			_("%s: there is no interface named %s; WireGuard interfaces here: %s\n"),
			prog, err->iface, list);
	free(list);
}

static void print_read_error(FILE *out, const struct sample_error *err)
{
	const char *backend = userspace_has_interface(err->iface) ? _("userspace") : _("kernel");

	switch (-err->code) {
	case EPERM:
	case EACCES:
		fprintf(out, _("%s: reading %s needs root or the CAP_NET_ADMIN capability\n"),
			prog, err->iface);
		break;
	case ETIMEDOUT:
		fprintf(out, _("%s: %s: the %s backend did not answer within %d seconds\n"),
			prog, err->iface, backend, BACKEND_TIMEOUT_MS / 1000);
		break;
	case ECONNREFUSED:
		fprintf(out, _("%s: %s: nothing answers on %s/%s.sock (is wireguard-go still running?)\n"),
			prog, err->iface, USERSPACE_SOCK_DIR, err->iface);
		break;
	case EPROTO:
		fprintf(out, _("%s: %s: the %s backend's reply ended early\n"), prog, err->iface, backend);
		break;
	case EBADMSG:
		fprintf(out, _("%s: %s: the %s backend sent a malformed reply\n"), prog, err->iface, backend);
		break;
	default:
		fprintf(out, _("%s: %s: reading the interface failed: %s\n"),
			prog, err->iface, strerror(-err->code));
		break;
	}
}

static void print_sample_error(FILE *out, const struct sample_error *err)
{
	switch (err->failure) {
	case SAMPLE_NO_WIREGUARD:
		fprintf(out, _("%s: WireGuard is not available here: the kernel has no wireguard module "
				  "loaded and no userspace implementation (wireguard-go, boringtun) runs an "
				  "interface in this network namespace\n"), prog);
		break;
	case SAMPLE_NO_SUCH_IFACE:
	case SAMPLE_NOT_WIREGUARD:
		print_missing(out, err);
		break;
	case SAMPLE_LIST_FAILED:
		fprintf(out, _("%s: listing the WireGuard interfaces failed: %s\n"), prog, cmd_strerror(-err->code));
		break;
	case SAMPLE_NAMES_FAILED:
		fprintf(out, _("%s: reading peer names from %s failed: %s\n"), prog,
			err->path ? err->path : err->iface, strerror(-err->code));
		break;
	case SAMPLE_READ_FAILED:
	default:
		print_read_error(out, err);
		break;
	}
}

/* For the console's header: the same messages, without the program's name in front. */
static void describe_sample_error(FILE *out, const struct sample_error *err)
{
	size_t len = 0, skip = strlen(prog);
	char *text = NULL;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return;
	print_sample_error(f, err);
	if (!fclose(f) && text) {
		if (strncmp(text, prog, skip) || strncmp(text + skip, ": ", 2))
			skip = 0;
		else
			skip += 2;
		fputs(text + skip, out);
	}
	free(text);
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
		print_sample_error(stderr, &err);
		sample_error_clear(&err);
		return EXIT_FAILURE;
	}
	sysctl_forwarding(&fwd);
	/* Without the counting table, or without the right to read it, forwarded stays null. */
	counters_update(snap, !o->read_only);
	if (o->prometheus)
		ret = prom_write(stdout, &(struct prom_source){ .snap = snap, .fwd = &fwd });
	else if (o->json)
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

static int textfile_fill(FILE *out, void *src)
{
	return prom_write(out, src);
}

/* A failure that lasts is said once, not every interval; *said is what was said last. */
static void say_once(char **said, const struct sample_error *err)
{
	size_t len = 0;
	char *text = NULL;
	FILE *f;

	if (!err || !(f = open_memstream(&text, &len))) {
		free(*said);
		*said = NULL;
		return;
	}
	print_sample_error(f, err);
	if (fclose(f) || !text) {
		free(text);
		return;
	}
	if (!*said || strcmp(*said, text))
		fputs(text, stderr);
	free(*said);
	*said = text;
}

/* One snapshot into the textfile; a failed read is written too, as wgstar_read_success 0. */
static int textfile_tick(const struct options *o, struct textfile *tf, char **said, bool *read_ok)
{
	/* The name files are parsed again only when they change. */
	static struct sample_cache cache;
	struct sample_opts so = { .iface = o->iface, .config_path = o->config, .names_path = o->names,
				  .cache = &cache };
	struct wg_snapshot *snap = NULL;
	struct sample_error err;
	struct fwd_state fwd;
	int ret;

	*read_ok = sample_take(&snap, &so, &err) == 0;
	say_once(said, *read_ok ? NULL : &err);
	if (*read_ok)
		counters_update(snap, !o->read_only);
	else
		sample_error_clear(&err);
	sysctl_forwarding(&fwd);
	ret = textfile_replace(tf, textfile_fill, &(struct prom_source){ .snap = snap, .fwd = &fwd });
	wg_snapshot_free(snap);
	return ret;
}

/* Sleeps until the next tick after *due; true when SIGTERM or SIGINT came instead. */
static bool wait_for_stop(const sigset_t *stop, struct timespec *due, int64_t step_ns)
{
	struct timespec now, timeout;
	int64_t left;

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
		if (sigtimedwait(stop, NULL, &timeout) > 0)
			return true;
		if (errno != EINTR)
			return false;
		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (int64_t)(due->tv_sec - now.tv_sec) * 1000000000 + (due->tv_nsec - now.tv_nsec);
		if (left <= 0)
			return false;
	}
}

/*
 * DIR/wgstar.prom, rewritten every interval until SIGTERM or SIGINT and then removed: numbers
 * left behind by a writer that stopped would go on saying that peers are online.
 */
static int run_textfile(const struct options *o)
{
	int status = EXIT_FAILURE, ret, last = 0;
	struct timespec due;
	struct textfile tf;
	char *said = NULL;
	bool read_ok;
	sigset_t stop;

	if (o->config && !o->iface)
		return usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	clock_gettime(CLOCK_MONOTONIC, &due);
	/* A directory that cannot be written is a mistake to say and end on; later failures may pass. */
	ret = textfile_open(&tf, o->textfile, PROM_TEXTFILE_NAME);
	if (!ret)
		ret = textfile_tick(o, &tf, &said, &read_ok);
	if (ret < 0) {
		fprintf(stderr, _("%s: cannot write %s/%s: %s\n"), prog, o->textfile, PROM_TEXTFILE_NAME,
			strerror(-ret));
		goto out;
	}
	if (o->once) {
		status = read_ok ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	while (!wait_for_stop(&stop, &due, (int64_t)(o->delay * 1e9))) {
		ret = textfile_tick(o, &tf, &said, &read_ok);
		if (ret < 0 && ret != last)
			fprintf(stderr, _("%s: cannot write %s/%s: %s\n"), prog, o->textfile,
				PROM_TEXTFILE_NAME, strerror(-ret));
		last = ret;
	}
	textfile_remove(&tf);
	status = EXIT_SUCCESS;
out:
	free(said);
	textfile_close(&tf);
	return status;
}

static int run_console(const struct options *o)
{
	const char *no_color = getenv("NO_COLOR");
	struct console_opts co = {
		.sample = { .iface = o->iface, .config_path = o->config, .names_path = o->names },
		.interval = o->delay,
		.read_only = o->read_only,
		.confirm_timeout = o->confirm_timeout,
		.settings_path = o->settings ? o->settings : PEEROPS_SETTINGS_PATH,
		.color = !o->no_color && !(no_color && no_color[0]),
		.describe = describe_sample_error,
	};
	char msg[256];
	int ret;

	if (o->config && !o->iface)
		return usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	ret = console_run(&co, msg, sizeof(msg));
	if (ret < 0) {
		fprintf(stderr, "%s: %s\n", prog, msg);
		return EXIT_FAILURE;
	}
	if (ret > 0) {
		/* Ended by a signal, with the terminal restored: end as the signal meant. */
		signal(ret, SIG_DFL);
		raise(ret);
		return 128 + ret;
	}
	return EXIT_SUCCESS;
}

int main(int argc, char *argv[])
{
	struct options o = { 0 };
	int ret;

	format_scope_name = if_indextoname;
	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);

	if (argc > 1 && (ret = cmd_dispatch(argc - 1, argv + 1)) >= 0)
		return ret;
	ret = parse_options(&o, argc, argv);
	if (ret)
		return ret;
	if (o.textfile)
		return run_textfile(&o);
	if (o.once)
		return run_once(&o);
	return run_console(&o);
}
