// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top peer: add, remove, rename, allowed-ips, drift, reconcile. */
#include <errno.h>
#include <langinfo.h>
#include <limits.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "atomic.h"
#include "backend.h"
#include "cmd.h"
#include "heap.h"
#include "events.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "peerops.h"
#include "qr.h"
#include "sample.h"
#include "strlist.h"
#include "text.h"
#include "wgconf.h"

struct peer_opts {
	const char *action;
	const char *const *args;
	const char *iface;
	const char *shown_iface;	/* escaped for messages */
	char iface_buf[TEXT_IFNAME_LEN];
	const struct cmd_args *a;
};

/* -i, or the only WireGuard interface there is. */
static int pick_iface(struct peer_opts *o)
{
	struct strlist names = { 0 };
	int ret;

	if (o->iface)
		return 0;
	if ((ret = backend_list_devices(&names)) < 0)
		return cmd_error(_("reading the WireGuard interfaces failed: %s"), text_strerror(-ret));
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
	if (o->a->opt[OPT_CONFIG] && !o->iface)
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	return 0;
}

/*
 * One change, then exit: the device, its config file and their models are read whole, and page
 * faults were a third of a peer add at 65,536 peers. The config file's two models (the one read
 * and the one checked before writing) take about fifteen times its size: 170 MB of heap for
 * its 8.5 MB there, beyond the 64 MiB grown in huge pages before. Only what is touched is
 * resident.
 */
static size_t burst_size(const char *config, const char *iface)
{
	char path[PATH_MAX];
	struct stat st;
	size_t bytes = (size_t)64 << 20;

	if (iface) {
		sample_config_path(path, sizeof(path), config, iface);
		config = path;
	}
	if (config && !stat(config, &st) && st.st_size > 0 && (uint64_t)st.st_size <= WGCONF_MAX_LEN)
		bytes += (size_t)st.st_size * 16;
	return bytes;
}

static int fail(const struct peerops_ctx *ctx, int ret)
{
	return cmd_error("%s", errmsg_or(&ctx->err, ret));
}

static void print_qr(FILE *out, const char *text)
{
	bool utf8 = !strcmp(nl_langinfo(CODESET), "UTF-8");
	struct qr_art art;
	int ret = qr_render(&art, text, utf8 ? QR_UTF8_HALF : QR_ASCII);

	if (ret < 0) {
		cmd_note(_("drawing the QR code failed: %s"), text_strerror(-ret));
		return;
	}
	for (size_t i = 0; i < art.n; ++i)
		fprintf(out, "%s\n", art.lines[i]);
	qr_art_free(&art);
}

static int ask_endpoint(char *buf, size_t len)
{
	if (!isatty(STDIN_FILENO))
		return -ENOTTY;
	fprintf(stderr, _("The hub's public endpoint for the client config (HOST:PORT): "));
	if (!fgets(buf, (int)len, stdin))
		return -EINVAL;
	buf[strcspn(buf, "\r\n")] = '\0';
	return buf[0] ? 0 : -EINVAL;
}

/* What was done to a peer, as an event with who did it. */
static void peer_event(struct peer_opts *o, enum event_type t, const uint8_t key[WG_KEY_LEN], const char *name,
		       const char *summary)
{
	struct event e;

	event_action(&e, t, time(NULL), o->iface, NULL, summary);
	e.has_key = true;
	memcpy(e.key, key, WG_KEY_LEN);
	snprintf(e.name, sizeof(e.name), "%s", name ? name : "");
	cmd_event(o->a, &e);
}

static int add(struct peer_opts *o, struct peerops_ctx *ctx)
{
	const struct cmd_args *a = o->a;
	const char *client_config = a->opt[OPT_CLIENT_CONFIG], *settings = ctx->settings_path;
	struct peer_add_req req = {
		.name = o->args[0],
		.public_key = a->opt[OPT_PUBLIC_KEY],
		.preshared_key = a->opt[OPT_PSK],
		.address = a->opt[OPT_ADDRESS],
		.keepalive = a->opt[OPT_KEEPALIVE] ? (uint16_t)a->num[OPT_KEEPALIVE] : 0,
		.endpoint = a->opt[OPT_ENDPOINT],
		.dns = a->opt[OPT_DNS],
		.groups = a->opt[OPT_GROUP],
	};
	struct peer_add_result res;
	char b64[WG_KEY_B64_LEN], endpoint[256], name[256], file[512];
	int ret;

	if (req.public_key && a->opt[OPT_GENERATE])
		return cmd_usage_error(_("--public-key and --generate exclude each other"));
	if (client_config && access(client_config, F_OK) == 0)
		return cmd_error(_("%s exists already; not overwriting it"), text_safe(file, sizeof(file), client_config));
	ret = peerops_add(ctx, &req, &res);
	if (ret == -EDESTADDRREQ && ask_endpoint(endpoint, sizeof(endpoint)) == 0) {
		req.endpoint = endpoint;
		ret = peerops_add(ctx, &req, &res);
		/* Asked once, remembered: the next peer gets the same hub. */
		if (ret == 0 && settings && peerops_save_setting(settings, o->iface, "Endpoint", endpoint) == 0)
			cmd_note(_("the hub's endpoint is kept in %s"), text_safe(file, sizeof(file), settings));
	}
	if (ret < 0)
		return fail(ctx, ret);
	key_to_base64(b64, res.public_key);
	cmd_note(_("added %s to %s: %s, allowed IPs %s"), text_safe(name, sizeof(name), req.name), o->shown_iface, b64,
		 res.address);
	{
		char summary[512];

		snprintf(summary, sizeof(summary), "peer %s added to %s with allowed IPs %s", req.name, o->iface, res.address);
		peer_event(o, EV_PEER_ONBOARDED, res.public_key, req.name, summary);
	}
	if (ctx->err.text[0])
		cmd_note("%s", ctx->err.text);
	if (ctx->policy_note[0])
		cmd_note("%s", ctx->policy_note);
	if (client_config) {
		/* A new file, mode 0600 from the start: it holds a private key. */
		if ((ret = atomic_create(client_config, res.client_config, strlen(res.client_config), 0600)) < 0) {
			/* The peer is in; the config can be made again only with a new key. */
			cmd_note(_("writing %s failed: %s; the client config follows instead"),
				 text_safe(file, sizeof(file), client_config), text_strerror(-ret));
			fputs(res.client_config, stdout);
		} else {
			cmd_note(_("client config written to %s (mode 0600)"), text_safe(file, sizeof(file), client_config));
		}
	} else {
		fputs(res.client_config, stdout);
	}
	if (a->opt[OPT_QR])
		print_qr(stdout, res.client_config);
	fflush(stdout);
	peerops_result_free(&res);
	return EXIT_SUCCESS;
}

static int remove_peer(struct peer_opts *o, struct peerops_ctx *ctx)
{
	uint8_t key[WG_KEY_LEN];
	char name[128], shown[256], b64[WG_KEY_B64_LEN], question[512];
	int ret;

	if ((ret = peerops_resolve(ctx, o->args[0], key, name, sizeof(name))) < 0)
		return fail(ctx, ret);
	key_to_base64(b64, key);
	snprintf(question, sizeof(question), _("Remove peer %s (%s) from %s, live and from its config file?"),
		 text_safe(shown, sizeof(shown), name), b64, o->shown_iface);
	/* A question can take any time: the change reads the interface and the file again. */
	if (!o->a->opt[OPT_YES])
		peerops_forget(ctx);
	ret = cmd_confirm(question, o->a->opt[OPT_YES]);
	if (ret == -ENOTTY)
		return cmd_error(_("not removing without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("peer %s not removed"), shown);
	if ((ret = peerops_remove(ctx, key)) < 0)
		return fail(ctx, ret);
	if (ctx->err.text[0])
		cmd_note("%s", ctx->err.text);
	printf(_("removed %s (%s) from %s\n"), text_safe(shown, sizeof(shown), name), b64, o->shown_iface);
	{
		char summary[256];

		snprintf(summary, sizeof(summary), "peer %s removed from %s", name[0] ? name : b64, o->iface);
		peer_event(o, EV_PEER_OFFBOARDED, key, name, summary);
	}
	if (ctx->policy_note[0])
		cmd_note("%s", ctx->policy_note);
	return EXIT_SUCCESS;
}

static int drift(struct peerops_ctx *ctx)
{
	struct peer_drift *v;
	char b64[WG_KEY_B64_LEN], shown[256];
	size_t n;
	int ret;

	if ((ret = peerops_drift(ctx, &v, &n)) < 0)
		return fail(ctx, ret);
	for (size_t i = 0; i < n; ++i) {
		key_to_base64(b64, v[i].key);
		printf(v[i].live ? _("live only:    %s %s\n") : _("in file only: %s %s\n"), b64,
		       text_safe(shown, sizeof(shown), v[i].name));
	}
	if (!n)
		printf(_("the live interface and its config file agree\n"));
	free(v);
	return n ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int reconcile(struct peer_opts *o, struct peerops_ctx *ctx)
{
	enum drift_direction dir;
	char *preview = NULL, shown[128];
	int ret;

	if (!strcmp(o->args[0], "to-file"))
		dir = DRIFT_TO_FILE;
	else if (!strcmp(o->args[0], "to-live"))
		dir = DRIFT_TO_LIVE;
	else
		return cmd_usage_error(_("reconcile wants to-file or to-live, not '%s'"),
				       text_safe(shown, sizeof(shown), o->args[0]));
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
						  _("Make these changes to the live interface?"), o->a->opt[OPT_YES]);
	if (ret == -ENOTTY)
		return cmd_error(_("not changing anything without a terminal to ask on; use --yes"));
	if (!ret)
		return cmd_error(_("nothing changed"));
	if ((ret = peerops_reconcile(ctx, dir)) < 0)
		return fail(ctx, ret);
	printf(_("reconciled\n"));
	return EXIT_SUCCESS;
}

/* rename and allowed-ips: a peer resolved, then changed. */
static int change_peer(struct peer_opts *o, struct peerops_ctx *ctx)
{
	uint8_t key[WG_KEY_LEN];
	char name[128], shown[256], prefixes[512];
	int ret;

	if ((ret = peerops_resolve(ctx, o->args[0], key, name, sizeof(name))) < 0)
		return fail(ctx, ret);
	if (!strcmp(o->action, "rename"))
		ret = peerops_rename(ctx, key, o->args[1]);
	else
		ret = peerops_set_allowedips(ctx, key, o->args[1]);
	if (ret < 0)
		return fail(ctx, ret);
	if (!strcmp(o->action, "rename")) {
		char summary[256];

		printf(_("renamed %s to %s\n"), text_safe(shown, sizeof(shown), name),
		       text_safe(prefixes, sizeof(prefixes), o->args[1]));
		snprintf(summary, sizeof(summary), "peer %s renamed %s on %s", name, o->args[1], o->iface);
		peer_event(o, EV_PEER_RENAMED, key, o->args[1], summary);
	}
	else
		printf(_("%s now has allowed IPs %s\n"), text_safe(shown, sizeof(shown), name),
		       text_safe(prefixes, sizeof(prefixes), o->args[1]));
	if (ctx->policy_note[0])
		cmd_note("%s", ctx->policy_note);
	return EXIT_SUCCESS;
}

int cmd_peer(const struct cmd *c, const struct cmd_args *a)
{
	struct peer_opts o = { .action = c->name + strlen("peer "), .args = (const char *const *)a->pos, .a = a,
			       .iface = a->opt[OPT_IFACE] };
	struct peerops_ctx ctx = { 0 };
	int ret;

	if (a->opt[OPT_READ_ONLY] && strcmp(o.action, "drift"))
		return cmd_error(_("--read-only: not changing any peer"));
	if ((ret = pick_iface(&o)))
		return ret;
	heap_prepare_burst(burst_size(a->opt[OPT_CONFIG], o.iface));
	o.shown_iface = text_safe(o.iface_buf, sizeof(o.iface_buf), o.iface);
	ctx.iface = o.iface;
	ctx.config_path = a->opt[OPT_CONFIG];
	ctx.names_path = a->opt[OPT_NAMES] ? a->opt[OPT_NAMES] : NAMES_STORE_PATH;
	ctx.settings_path = a->opt[OPT_SETTINGS] ? a->opt[OPT_SETTINGS] : PEEROPS_SETTINGS_PATH;
	ctx.policy_path = a->opt[OPT_POLICY];
	ctx.force = a->opt[OPT_FORCE] != NULL;
	ctx.leave_to_exit = true;

	if (!strcmp(o.action, "add"))
		ret = add(&o, &ctx);
	else if (!strcmp(o.action, "remove"))
		ret = remove_peer(&o, &ctx);
	else if (!strcmp(o.action, "drift"))
		ret = drift(&ctx);
	else if (!strcmp(o.action, "reconcile"))
		ret = reconcile(&o, &ctx);
	else
		ret = change_peer(&o, &ctx);
	peerops_forget(&ctx);
	return ret;
}
