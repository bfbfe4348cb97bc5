// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top without a subcommand: the live console, one snapshot (--once), or the metrics file. */
#include <errno.h>
#include <langinfo.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cmd.h"
#include "console.h"
#include "counters_io.h"
#include "heap.h"
#include "i18n.h"
#include "names.h"
#include "peerops.h"
#include "prom.h"
#include "report.h"
#include "sample.h"
#include "sysctl.h"
#include "text.h"
#include "textfile.h"
#include "policy_io.h"

static struct sample_opts sample_opts(const struct cmd_args *a)
{
	return (struct sample_opts){
		.iface = a->opt[OPT_IFACE],
		.config_path = a->opt[OPT_CONFIG],
		.names_path = a->opt[OPT_NAMES] ? a->opt[OPT_NAMES] : NAMES_STORE_PATH,
	};
}

static char out_buf[64 * 1024];	/* glibc takes the size only with a buffer */

static int run_once(const struct cmd_args *a)
{
	struct sample_opts so = sample_opts(a);
	struct sample_error err;
	struct wg_snapshot *snap = NULL;
	struct counters_prefetch cp;
	struct fwd_state fwd;
	char msg[1024];
	int ret;

	/*
	 * One snapshot, then exit: its arrays from a heap laid out for that, the peers' too (their
	 * mappings of their own serve a console that reads again and again).
	 */
	heap_prepare_burst(64 << 20);
	wg_peers_alloc_set(NULL);
	counters_prefetch_start(&cp, NULL);
	ret = sample_take(&snap, &so, &err);
	if (ret < 0) {
		counters_update_prefetched(NULL, false, &cp);
		sample_error_describe(msg, sizeof(msg), &err);
		sample_error_clear(&err);
		return cmd_error("%s", msg);
	}
	sysctl_forwarding(&fwd);
	/* Without the counting table, or without the right to read it, forwarded stays null. */
	counters_update_prefetched(snap, !a->opt[OPT_READ_ONLY], &cp);
	/* A policy that does not check out leaves "policy" null, and says why. */
	{
		struct policy_cache pc = { 0 };

		if (policy_cache_attach(&pc, a->opt[OPT_POLICY], snap) < 0 && pc.ret < 0)
			cmd_note(_("the hub policy is not used: %s"), errmsg_or(&pc.err, pc.ret));
		policy_cache_clear(&pc);
	}
	/* One writer: stdio's lock per call cost a 10,000-peer report more than its formatting. */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	/*
	 * Into a pipe or a file, stdio wrote 4 KiB at a time: 843 writes for the JSON of 10,000
	 * dual-stack peers, each a wake-up of the reader at the other end of a pipe.
	 */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, out_buf, _IOFBF, sizeof(out_buf));
	if (a->opt[OPT_PROMETHEUS])
		ret = prom_write(stdout, &(struct prom_source){ .snap = snap, .fwd = &fwd });
	else if (a->opt[OPT_JSON])
		ret = report_json(stdout, snap, &fwd);
	else if (!snap->n_devices)
		ret = printf(_("no WireGuard interfaces\n")) < 0 ? -EIO : 0;
	else
		ret = report_text(stdout, snap, &fwd, !strcmp(nl_langinfo(CODESET), "UTF-8"));
	wg_snapshot_free(snap);
	if (ret < 0)
		return cmd_error(_("writing the snapshot failed: %s"), text_strerror(-ret));
	return EXIT_SUCCESS;
}

static int textfile_fill(FILE *out, void *src)
{
	return prom_write(out, src);
}

/* A failure that lasts is said once, not every interval; said holds what was said last. */
static void say_once(char *said, size_t len, const struct sample_error *err)
{
	char text[1024];

	if (!err) {
		said[0] = '\0';
		return;
	}
	sample_error_describe(text, sizeof(text), err);
	if (strcmp(said, text))
		cmd_note("%s", text);
	snprintf(said, len, "%s", text);
}

/* One snapshot into the textfile; a failed read is written too, as wgstar_read_success 0. */
static int textfile_tick(const struct cmd_args *a, struct sample_cache *cache, struct policy_cache *pc,
			 size_t counted[2], struct textfile *tf, char *said, size_t said_len, bool *read_ok)
{
	struct sample_opts so = sample_opts(a);
	struct wg_snapshot *snap = NULL;
	struct counters_prefetch cp;
	struct sample_error err;
	struct fwd_state fwd;
	int ret;

	/* The name files are parsed again only when they change. */
	so.cache = cache;
	counters_prefetch_start(&cp, counted);
	*read_ok = sample_take(&snap, &so, &err) == 0;
	counters_update_prefetched(*read_ok ? snap : NULL, !a->opt[OPT_READ_ONLY], &cp);
	say_once(said, said_len, *read_ok ? NULL : &err);
	if (*read_ok) {
		policy_cache_attach(pc, a->opt[OPT_POLICY], snap);
	} else {
		sample_error_clear(&err);
	}
	sysctl_forwarding(&fwd);
	ret = textfile_replace(tf, textfile_fill, &(struct prom_source){ .snap = snap, .fwd = &fwd });
	wg_snapshot_free(snap);
	return ret;
}

/*
 * DIR/wgstar.prom, rewritten every interval until SIGTERM or SIGINT and then removed: numbers
 * left behind by a writer that stopped would go on saying that peers are online.
 */
static int run_textfile(const struct cmd_args *a)
{
	const char *dir = a->opt[OPT_TEXTFILE];
	struct sample_cache cache = { 0 };
	struct policy_cache pc = { 0 };
	size_t counted[2] = { 0 };	/* the ranges the last reading held, to size the next */
	int status = EXIT_FAILURE, ret, last = 0;
	char said[1024] = "", buf[512];
	const char *shown;
	struct timespec due;
	struct textfile tf;
	bool read_ok;
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	clock_gettime(CLOCK_MONOTONIC, &due);
	shown = text_safe(buf, sizeof(buf), dir);
	/* A directory that cannot be written is a mistake to say and end on; later failures may pass. */
	ret = textfile_open(&tf, dir, PROM_TEXTFILE_NAME);
	if (!ret)
		ret = textfile_tick(a, &cache, &pc, counted, &tf, said, sizeof(said), &read_ok);
	if (ret < 0) {
		cmd_error(_("cannot write %s/%s: %s"), shown, PROM_TEXTFILE_NAME, text_strerror(-ret));
		goto out;
	}
	if (a->opt[OPT_ONCE]) {
		status = read_ok ? EXIT_SUCCESS : EXIT_FAILURE;
		goto out;
	}
	while (!cmd_wait_tick(&stop, &due, (int64_t)(a->delay * 1e9))) {
		ret = textfile_tick(a, &cache, &pc, counted, &tf, said, sizeof(said), &read_ok);
		if (ret < 0 && ret != last)
			cmd_note(_("cannot write %s/%s: %s"), shown, PROM_TEXTFILE_NAME, text_strerror(-ret));
		last = ret;
	}
	textfile_remove(&tf);
	status = EXIT_SUCCESS;
out:
	sample_cache_clear(&cache);
	policy_cache_clear(&pc);
	textfile_close(&tf);
	return status;
}

static int run_console(const struct cmd_args *a)
{
	const char *no_color = getenv("NO_COLOR");
	struct console_opts co = {
		.sample = sample_opts(a),
		.interval = a->delay,
		.read_only = a->opt[OPT_READ_ONLY] != NULL,
		.confirm_timeout = a->opt[OPT_CONFIRM_TIMEOUT] ? (unsigned int)a->num[OPT_CONFIRM_TIMEOUT] : 0,
		.settings_path = a->opt[OPT_SETTINGS] ? a->opt[OPT_SETTINGS] : PEEROPS_SETTINGS_PATH,
		.run_dir = cmd_run_dir(a),
		.sysctl_dir = cmd_sysctl_dir(a),
		.policy_path = a->opt[OPT_POLICY],
		.db_path = a->opt[OPT_DB],
		.color = !a->opt[OPT_NO_COLOR] && !(no_color && no_color[0]),
	};
	struct errmsg err;
	int ret;

	ret = console_run(&co, &err);
	if (ret < 0)
		return cmd_error("%s", errmsg_text(&err));
	if (ret > 0) {
		/* Ended by a signal, with the terminal restored: end as the signal meant. */
		signal(ret, SIG_DFL);
		raise(ret);
		return 128 + ret;
	}
	return EXIT_SUCCESS;
}

int cmd_console(const struct cmd *c, const struct cmd_args *a)
{
	bool once = a->opt[OPT_ONCE], json = a->opt[OPT_JSON], prom = a->opt[OPT_PROMETHEUS];
	bool textfile = a->opt[OPT_TEXTFILE];

	if (json && !once)
		return cmd_usage_error(_("%s works only with --once"), "--json");
	if (prom && !once)
		return cmd_usage_error(_("%s works only with --once"), "--prometheus");
	if (json && (prom || textfile))
		return cmd_usage_error(_("%s and %s exclude each other"), "--json", prom ? "--prometheus" : "--textfile");
	if (prom && textfile)
		return cmd_usage_error(_("%s and %s exclude each other"), "--prometheus", "--textfile");
	if (a->opt[OPT_CONFIG] && !a->opt[OPT_IFACE])
		return cmd_usage_error(_("%s needs -i: a config file belongs to one interface"), "-c");
	if (textfile)
		return run_textfile(a);
	if (once)
		return run_once(a);
	return run_console(a);
}
