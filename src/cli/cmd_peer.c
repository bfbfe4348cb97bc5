// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top peer: add, remove, rename, allowed-ips, drift, reconcile. */
#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "atomic.h"
#include "backend.h"
#include "cmd.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "peerops.h"
#include "qr.h"
#include "strlist.h"

struct peer_opts {
	const char *action;
	const char *args[2];
	int n_args;
	const char *iface;
	const char *config;
	const char *names;
	const char *settings;
	const char *public_key;
	bool generate;
	bool psk;
	const char *address;
	long keepalive;
	const char *endpoint;
	const char *dns;
	const char *client_config;
	bool qr;
	bool yes;
	bool read_only;
};

static const struct {
	const char *name;
	int min_args, max_args;
} actions[] = {
	{ "add", 1, 1 },
	{ "remove", 1, 1 },
	{ "rename", 2, 2 },
	{ "allowed-ips", 2, 2 },
	{ "drift", 0, 0 },
	{ "reconcile", 1, 1 },
};

static int parse(struct peer_opts *o, int argc, char *argv[])
{
	enum {
		OPT_NAMES = 256, OPT_SETTINGS, OPT_PUBLIC_KEY, OPT_GENERATE, OPT_PSK, OPT_ADDRESS,
		OPT_KEEPALIVE, OPT_ENDPOINT, OPT_DNS, OPT_CLIENT_CONFIG, OPT_QR, OPT_YES, OPT_READ_ONLY,
	};
	static const struct option longopts[] = {
		{ "interface", required_argument, NULL, 'i' },
		{ "config", required_argument, NULL, 'c' },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "settings", required_argument, NULL, OPT_SETTINGS },
		{ "public-key", required_argument, NULL, OPT_PUBLIC_KEY },
		{ "generate", no_argument, NULL, OPT_GENERATE },
		{ "psk", no_argument, NULL, OPT_PSK },
		{ "address", required_argument, NULL, OPT_ADDRESS },
		{ "keepalive", required_argument, NULL, OPT_KEEPALIVE },
		{ "endpoint", required_argument, NULL, OPT_ENDPOINT },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "client-config", required_argument, NULL, OPT_CLIENT_CONFIG },
		{ "qr", no_argument, NULL, OPT_QR },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "read-only", no_argument, NULL, OPT_READ_ONLY },
		{ NULL, 0, NULL, 0 },
	};
	size_t a;
	char *end;
	int c;

	o->names = NAMES_STORE_PATH;
	o->settings = PEEROPS_SETTINGS_PATH;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":i:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'i': o->iface = optarg; break;
		case 'c': o->config = optarg; break;
		case OPT_NAMES: o->names = optarg; break;
		case OPT_SETTINGS: o->settings = optarg; break;
		case OPT_PUBLIC_KEY: o->public_key = optarg; break;
		case OPT_GENERATE: o->generate = true; break;
		case OPT_PSK: o->psk = true; break;
		case OPT_ADDRESS: o->address = optarg; break;
		case OPT_KEEPALIVE:
			errno = 0;
			o->keepalive = strtol(optarg, &end, 10);
			if (errno || end == optarg || *end || o->keepalive < 0 || o->keepalive > 65535)
				return cmd_usage_error(_("--keepalive wants seconds from 0 to 65535, not '%s'"), optarg);
			break;
		case OPT_ENDPOINT: o->endpoint = optarg; break;
		case OPT_DNS: o->dns = optarg; break;
		case OPT_CLIENT_CONFIG: o->client_config = optarg; break;
		case OPT_QR: o->qr = true; break;
		case OPT_YES: o->yes = true; break;
		case OPT_READ_ONLY: o->read_only = true; break;
		case ':':
			return cmd_usage_error(_("option '%s' needs a value"), argv[optind - 1]);
		default:
			return cmd_usage_error(_("unknown option '%s'"), argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cmd_usage_error(_("peer wants add, remove, rename, allowed-ips, drift or reconcile"));
	o->action = argv[optind++];
	for (a = 0; a < sizeof(actions) / sizeof(actions[0]); ++a)
		if (!strcmp(o->action, actions[a].name))
			break;
	if (a == sizeof(actions) / sizeof(actions[0]))
		return cmd_usage_error(_("peer wants add, remove, rename, allowed-ips, drift or reconcile, not '%s'"),
				       o->action);
	while (optind < argc) {
		if (o->n_args == actions[a].max_args)
			return cmd_usage_error(_("unexpected argument '%s'"), argv[optind]);
		o->args[o->n_args++] = argv[optind++];
	}
	if (o->n_args < actions[a].min_args)
		return cmd_usage_error(_("peer %s wants more arguments; see --help"), o->action);
	if (o->public_key && o->generate)
		return cmd_usage_error(_("--public-key and --generate exclude each other"));
	return 0;
}

/* -i, or the only WireGuard interface there is. */
static int pick_iface(struct peer_opts *o)
{
	struct strlist names = { 0 };
	int ret;

	if (o->iface)
		return 0;
	if ((ret = backend_list_devices(&names)) < 0)
		return cmd_error(_("reading the WireGuard interfaces failed: %s"), cmd_strerror(-ret));
	if (names.n == 1) {
		static char only[IFNAMSIZ];

		snprintf(only, sizeof(only), "%s", names.v[0]);
		o->iface = only;
	}
	ret = names.n;
	strlist_clear(&names);
	if (ret == 0)
		return cmd_error(_("there is no WireGuard interface in this network namespace"));
	if (ret > 1)
		return cmd_usage_error(_("there are several WireGuard interfaces here; choose one with -i"));
	if (o->config && !o->iface)
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	return 0;
}

static int fail(const struct peerops_ctx *ctx, int ret)
{
	return cmd_error("%s", ctx->msg[0] ? ctx->msg : strerror(-ret));
}

static void print_qr(FILE *out, const char *text)
{
	bool utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	struct qr_art art;
	int ret = qr_render(&art, text, utf8 ? QR_UTF8_HALF : QR_ASCII);

	if (ret < 0) {
		fprintf(stderr, _("%s: drawing the QR code failed: %s\n"), cmd_prog, strerror(-ret));
		return;
	}
	for (size_t i = 0; i < art.n; ++i)
		fprintf(out, "%s\n", art.lines[i]);
	qr_art_free(&art);
}

static int ask_endpoint(struct peer_opts *o, char *buf, size_t len)
{
	if (!isatty(STDIN_FILENO))
		return -ENOTTY;
	fprintf(stderr, _("The hub's public endpoint for the client config (HOST:PORT): "));
	if (!fgets(buf, (int)len, stdin))
		return -EINVAL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 0 : -EINVAL;
}

static int add(struct peer_opts *o, struct peerops_ctx *ctx)
{
	struct peer_add_req req = {
		.name = o->args[0],
		.public_key = o->public_key,
		.preshared_key = o->psk,
		.address = o->address,
		.keepalive = (uint16_t)o->keepalive,
		.endpoint = o->endpoint,
		.dns = o->dns,
	};
	struct peer_add_result res;
	char b64[WG_KEY_B64_LEN], endpoint[256];
	int ret;

	if (o->client_config && access(o->client_config, F_OK) == 0)
		return cmd_error(_("%s exists already; not overwriting it"), o->client_config);
	ret = peerops_add(ctx, &req, &res);
	if (ret == -EDESTADDRREQ && ask_endpoint(o, endpoint, sizeof(endpoint)) == 0) {
		req.endpoint = endpoint;
		ret = peerops_add(ctx, &req, &res);
		/* Asked once, remembered: the next peer gets the same hub. */
		if (ret == 0 && o->settings && peerops_save_setting(o->settings, o->iface, "Endpoint", endpoint) == 0)
			fprintf(stderr, _("%s: the hub's endpoint is kept in %s\n"), cmd_prog, o->settings);
	}
	if (ret < 0)
		return fail(ctx, ret);
	key_to_base64(b64, res.public_key);
	fprintf(stderr, _("%s: added %s to %s: %s, allowed IPs %s\n"), cmd_prog, req.name, o->iface, b64, res.address);
	if (ctx->msg[0])
		fprintf(stderr, "%s: %s\n", cmd_prog, ctx->msg);
	if (o->client_config) {
		/* A new file, mode 0600 from the start: it holds a private key. */
		if ((ret = atomic_create(o->client_config, res.client_config, strlen(res.client_config), 0600)) < 0) {
			/* The peer is in; the config can be made again only with a new key. */
			fprintf(stderr, _("%s: writing %s failed: %s; the client config follows instead\n"), cmd_prog,
				o->client_config, strerror(-ret));
			fputs(res.client_config, stdout);
		} else {
			fprintf(stderr, _("%s: client config written to %s (mode 0600)\n"), cmd_prog, o->client_config);
		}
	} else {
		fputs(res.client_config, stdout);
	}
	if (o->qr)
		print_qr(stdout, res.client_config);
	fflush(stdout);
	peerops_result_free(&res);
	return EXIT_SUCCESS;
}

static int remove_peer(struct peer_opts *o, struct peerops_ctx *ctx)
{
	uint8_t key[WG_KEY_LEN];
	char name[128], b64[WG_KEY_B64_LEN], question[512];
	int ret;

	if ((ret = peerops_resolve(ctx, o->args[0], key, name, sizeof(name))) < 0)
		return fail(ctx, ret);
	key_to_base64(b64, key);
	snprintf(question, sizeof(question), _("Remove peer %s (%s) from %s, live and from its config file?"), name,
		 b64, o->iface);
	ret = cmd_confirm(question, o->yes);
	if (ret == -ENOTTY)
		return cmd_error(_("not removing without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("peer %s not removed"), name);
	if ((ret = peerops_remove(ctx, key)) < 0)
		return fail(ctx, ret);
	if (ctx->msg[0])
		fprintf(stderr, "%s: %s\n", cmd_prog, ctx->msg);
	printf(_("removed %s (%s) from %s\n"), name, b64, o->iface);
	return EXIT_SUCCESS;
}

static int drift(struct peerops_ctx *ctx)
{
	struct peer_drift *v;
	char b64[WG_KEY_B64_LEN];
	size_t n;
	int ret;

	if ((ret = peerops_drift(ctx, &v, &n)) < 0)
		return fail(ctx, ret);
	for (size_t i = 0; i < n; ++i) {
		key_to_base64(b64, v[i].key);
		printf(v[i].live ? _("live only:    %s %s\n") : _("in file only: %s %s\n"), b64, v[i].name);
	}
	if (!n)
		printf(_("the live interface and its config file agree\n"));
	free(v);
	return n ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int reconcile(struct peer_opts *o, struct peerops_ctx *ctx)
{
	enum drift_direction dir;
	char *preview = NULL;
	int ret;

	if (!strcmp(o->args[0], "to-file"))
		dir = DRIFT_TO_FILE;
	else if (!strcmp(o->args[0], "to-live"))
		dir = DRIFT_TO_LIVE;
	else
		return cmd_usage_error(_("reconcile wants to-file or to-live, not '%s'"), o->args[0]);
	if ((ret = peerops_reconcile_preview(ctx, dir, &preview)) < 0)
		return fail(ctx, ret);
	if (!preview[0]) {
		free(preview);
		printf(_("the live interface and its config file agree\n"));
		return EXIT_SUCCESS;
	}
	fputs(preview, stdout);
	free(preview);
	ret = cmd_confirm(dir == DRIFT_TO_FILE ? _("Write this to the config file?") :
						  _("Make these changes to the live interface?"), o->yes);
	if (ret == -ENOTTY)
		return cmd_error(_("not changing anything without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("nothing changed"));
	if ((ret = peerops_reconcile(ctx, dir)) < 0)
		return fail(ctx, ret);
	printf(_("reconciled\n"));
	return EXIT_SUCCESS;
}

int cmd_peer(int argc, char *argv[])
{
	struct peer_opts o = { 0 };
	struct peerops_ctx ctx = { 0 };
	uint8_t key[WG_KEY_LEN];
	char name[128];
	int ret;

	if ((ret = parse(&o, argc, argv)))
		return ret;
	if (o.read_only && strcmp(o.action, "drift"))
		return cmd_error(_("--read-only: not changing any peer"));
	if ((ret = pick_iface(&o)))
		return ret;
	ctx.iface = o.iface;
	ctx.config_path = o.config;
	ctx.names_path = o.names;
	ctx.settings_path = o.settings;

	if (!strcmp(o.action, "add"))
		return add(&o, &ctx);
	if (!strcmp(o.action, "remove"))
		return remove_peer(&o, &ctx);
	if (!strcmp(o.action, "drift"))
		return drift(&ctx);
	if (!strcmp(o.action, "reconcile"))
		return reconcile(&o, &ctx);
	if ((ret = peerops_resolve(&ctx, o.args[0], key, name, sizeof(name))) < 0)
		return fail(&ctx, ret);
	if (!strcmp(o.action, "rename"))
		ret = peerops_rename(&ctx, key, o.args[1]);
	else
		ret = peerops_set_allowedips(&ctx, key, o.args[1]);
	if (ret < 0)
		return fail(&ctx, ret);
	if (!strcmp(o.action, "rename"))
		printf(_("renamed %s to %s\n"), name, o.args[1]);
	else
		printf(_("%s now has allowed IPs %s\n"), name, o.args[1]);
	return EXIT_SUCCESS;
}
