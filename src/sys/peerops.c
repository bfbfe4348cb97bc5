// SPDX-License-Identifier: GPL-2.0-or-later
/* Peer onboarding and removal, live and in the config file at once; see peerops.h for the order. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include "atomic.h"
#include "backend.h"
#include "clientconf.h"
#include "counters_io.h"
#include "i18n.h"
#include "key.h"
#include "keygen.h"
#include "names.h"
#include "nft.h"
#include "peerops.h"
#include "policy_io.h"
#include "prefix.h"
#include "sample.h"
#include "settings.h"
#include "text.h"
#include "textdiff.h"
#include "thread.h"
#include "wgconf.h"
#include "wgset.h"

/* Everything one change reads before it decides: the live interface and the file. */
struct op {
	struct wg_snapshot *snap;
	struct wg_device *dev;
	char path[PATH_MAX];
	char *text;			/* the bytes as read, kept by op_drop_checks to put back */
	size_t len;
	struct file_stamp stamp;
	struct wgconf *conf;		/* which holds the bytes as read until it is edited */
	struct wgconf_peer_info *fpeers;
	size_t n_fpeers;
	struct wg_allowedip *hub;	/* the [Interface]'s Address entries */
	size_t n_hub;
	const char *managed_by;		/* the tool that rewrites the file from its own database, or NULL */
	bool save_config;		/* SaveConfig = true */
	uint8_t (*disabled)[WG_KEY_LEN];	/* peers the file holds disabled (PiVPN) */
	size_t n_disabled;
	/*
	 * An add's file as read, written ahead to the temp file that will replace it (the add only
	 * appends: op_write then writes the new lines): beside 100,000 peers, 13 MB written while
	 * the interface is still being read, not after.
	 */
	bool write_ahead;
	struct atomic_pending *pending;
	size_t pending_len;
	/*
	 * An add's next free address in each of the hub's subnets (hub[i]) as far as the file
	 * says, with what the search returned: found on the config thread while the interface is
	 * still being read (guess_addresses). NULL when not looked for.
	 */
	bool want_address;
	struct wg_allowedip *guess;
	int *guess_ret;
};

static void guess_addresses(struct op *op);

/* What op_load is to do besides reading: for a peer add, flags of these. */
enum {
	LOAD_WRITE_AHEAD = 1,		/* op.write_ahead */
	LOAD_FREE_ADDRESS = 2,		/* op.want_address */
};

/* What went wrong, for the caller to show: the text; the errno comes back as the return value. */
/* device.MaxPeers in wireguard-go: 1 << 16. */
#define WIREGUARD_GO_MAX_PEERS 65536u

#define say(ctx, ...) errmsg_set(&(ctx)->err, 0, __VA_ARGS__)


/* What the operator typed, fit for a one-line message: escaped, cut short. */
static const char *shown(const char *s, char *buf, size_t len)
{
	/* Room for "…" (3 bytes) and the NUL after what fits whole. */
	if (text_escape(buf, len - 3, s, strlen(s)) >= len - 3)
		strcat(buf, "…");
	return buf;
}

static void op_free(struct op *op)
{
	atomic_replace_abort(op->pending);
	free(op->guess);
	free(op->guess_ret);
	wgconf_peers_free(op->fpeers, op->n_fpeers);
	free(op->disabled);
	wgconf_free(op->conf);
	wgconf_free_text(op->text, op->len);
	free(op->hub);
	wg_snapshot_free(op->snap);
	memset(op, 0, sizeof(*op));
}

/*
 * What the change of a command that exits next read (leave_to_exit), its secrets wiped, left
 * for the exit to give back: beside 100,000 peers freeing it took an emulated CPU 30-50 ms of
 * a peer add, for memory the process returns whole a moment later. Held from here, so that a
 * leak checker sees it held, as it is. Only a change that was made: one that failed may be
 * tried again (an add that asks for the hub's endpoint), and two would be held at once.
 */
struct left_op {
	struct op op;
	struct left_op *next;
};
static struct left_op *left_for_exit;
static pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;

/* op freed and cleared: at once, or left for the exit after a change made (ret 0, leave_to_exit). */
static void op_release(struct peerops_ctx *ctx, struct op *op, int ret)
{
	struct left_op *b;

	atomic_replace_abort(op->pending);
	op->pending = NULL;
	if (ctx->leave_to_exit && ret >= 0 && (b = malloc(sizeof(*b)))) {
		wgconf_wipe(op->conf);
		if (op->text)
			key_wipe(op->text, op->len);
		b->op = *op;
		pthread_mutex_lock(&left_lock);
		b->next = left_for_exit;
		left_for_exit = b;
		pthread_mutex_unlock(&left_lock);
		memset(op, 0, sizeof(*op));
		return;
	}
	op_free(op);
}

void peerops_forget(struct peerops_ctx *ctx)
{
	if (ctx->kept) {
		op_free(ctx->kept);
		free(ctx->kept);
		ctx->kept = NULL;
	}
}

/*
 * What the file says of its peers' names, read on a thread of its own while the rest of it is
 * parsed: beside 100,000 peers the two took 0.8 s one after the other on an emulated CPU, of
 * which the names were a third. The thread reads only the text, which the parse frees only
 * after names_job_wait.
 */
struct names_job {
	const char *text;
	size_t len;
	struct wgconf_naming *naming;
	int ret;			/* of the naming */
	const char *managed_by;
	bool save_config;
	uint8_t (*disabled)[WG_KEY_LEN];
	size_t n_disabled;
	bool running;
	pthread_t thread;
};

static void *names_job_main(void *arg)
{
	struct names_job *job = arg;
	struct names_facts facts;

	/*
	 * The names, and what the file says of itself (another tool's header, SaveConfig, PiVPN's
	 * disabled peers), in one scan: three passes more were a seventh of this thread's work at
	 * 100,000 peers. When it fails, so does the parse that waits for it (names_job_wait).
	 * Sorted here, not at the first lookup of the file's peers, which waits for the parse.
	 */
	if ((job->ret = wgconf_naming_read(&job->naming, job->text, job->len, &facts)) < 0)
		return NULL;
	names_sort(wgconf_naming_names(job->naming));
	job->managed_by = names_facts_managed_by(&facts);
	job->save_config = facts.save_config;
	job->disabled = facts.disabled;
	job->n_disabled = facts.n_disabled;
	return NULL;
}

/* The names read, handed to the parse; NULL when they could not be (-ENOMEM). */
static struct wgconf_naming *names_job_wait(void *arg)
{
	struct names_job *job = arg;
	struct wgconf_naming *naming;

	if (job->running) {
		pthread_join(job->thread, NULL);
		job->running = false;
	}
	naming = job->naming;
	job->naming = NULL;
	return job->ret < 0 ? NULL : naming;
}

/* The config file read and parsed into op: 0, or -errno with the reason said. */
static int op_read_config(struct peerops_ctx *ctx, struct op *op)
{
	struct wgconf_error cerr = { 0 };
	struct names_job job = { 0 };
	char *read;
	size_t len, size;
	int ret;

	sample_config_path(op->path, sizeof(op->path), ctx->config_path, ctx->iface);
	/* A page to spare: a peer add writes its lines there, not into a copy of the file. */
	ret = atomic_read_stamped_room(op->path, 4096, &read, &len, &size, &op->stamp);
	if (ret == -ENOENT) {
		say(ctx, _("%s has no config file %s; give its path with -c"), ctx->iface, op->path);
		return ret;
	}
	if (ret < 0) {
		say(ctx, _("reading %s failed: %s"), op->path, text_strerror(-ret));
		return ret;
	}
	job.text = read;
	job.len = len;
	/* Without a thread, the names are read first, here. */
	if (!(job.running = thread_start_quiet(&job.thread, names_job_main, &job)))
		names_job_main(&job);
	/* The model takes the bytes read: they are not copied (13 MB at 100,000 peers). */
	ret = wgconf_parse_taking_named(&op->conf, read, len, size, names_job_wait, &job, &cerr);
	op->managed_by = job.managed_by;
	op->save_config = job.save_config;
	op->disabled = job.disabled;
	op->n_disabled = job.n_disabled;
	if (ret < 0) {
		if (ret == -EINVAL)
			say(ctx, _("%s:%u: %s; nothing changed"), op->path, cerr.line, cerr.msg);
		else
			say(ctx, _("reading %s failed: %s"), op->path, text_strerror(-ret));
		return ret;
	}
	if ((ret = wgconf_peers(op->conf, &op->fpeers, &op->n_fpeers)) < 0 ||
	    (ret = wgconf_interface_addresses(op->conf, &op->hub, &op->n_hub)) < 0) {
		say(ctx, "%s", text_strerror(-ret));
		return ret;
	}
	/*
	 * Not for a file another tool rewrites, which the add refuses without --force. Should this
	 * fail, op_write writes the whole file at the end and says why that fails.
	 */
	if (op->write_ahead && (!op->managed_by || ctx->force)) {
		const char *text = wgconf_text(op->conf, &len);

		if (!atomic_replace_begin(&op->pending, op->path, text, len, 0600, NULL))
			op->pending_len = len;
	}
	if (op->want_address)
		guess_addresses(op);
	return 0;
}

/* The config file read on a thread of its own while the interface is read. */
struct config_job {
	struct peerops_ctx *ctx;
	struct op *op;
	int ret;
	bool running;
	pthread_t thread;
	struct sample_config_read cr;
};

static void *config_job_main(void *arg)
{
	struct config_job *job = arg;

	job->ret = op_read_config(job->ctx, job->op);
	return NULL;
}

/* The file as read, once the thread is done: NULL when it could not be had. */
static const struct sample_config_read *config_job_wait(void *arg)
{
	struct config_job *job = arg;
	struct op *op = job->op;

	if (job->running) {
		pthread_join(job->thread, NULL);
		job->running = false;
	}
	if (job->ret < 0)
		return NULL;
	job->cr = (struct sample_config_read){ .names = wgconf_names(op->conf), .managed_by = op->managed_by,
					       .save_config = op->save_config,
					       .disabled = (const uint8_t (*)[WG_KEY_LEN])op->disabled,
					       .n_disabled = op->n_disabled };
	return &job->cr;
}

/*
 * The interface and its config file, read at the same time: beside 100,000 peers each takes
 * over a second on an emulated CPU, and neither needs the other until the peers are named,
 * which waits for the file (the sample takes its names from the model instead of reading the
 * file again). What the file's reading has to say is said first, as when it was read first;
 * when the file cannot be had, a name that is no WireGuard interface still says so.
 */
static int op_load(struct peerops_ctx *ctx, struct op *op, unsigned int flags)
{
	struct config_job job = { .ctx = ctx, .op = op };
	struct sample_opts so = { .iface = ctx->iface, .config_path = ctx->config_path,
				  .names_path = ctx->names_path, .config_wait = config_job_wait,
				  .config_wait_ctx = &job };
	struct sample_error serr;
	int conf_ret, ret;

	/* What the name was resolved against, a moment ago: taken over, not read again. */
	if (ctx->kept) {
		*op = *(struct op *)ctx->kept;
		free(ctx->kept);
		ctx->kept = NULL;
		return 0;
	}
	memset(op, 0, sizeof(*op));
	op->write_ahead = flags & LOAD_WRITE_AHEAD;
	op->want_address = flags & LOAD_FREE_ADDRESS;
	/* Without a thread, the file is read here first. */
	if (!(job.running = thread_start_quiet(&job.thread, config_job_main, &job)))
		job.ret = op_read_config(ctx, op);
	ret = sample_take(&op->snap, &so, &serr);
	config_job_wait(&job);
	conf_ret = job.ret;
	if (ret < 0) {
		if (serr.failure == SAMPLE_NO_SUCH_IFACE || serr.failure == SAMPLE_NOT_WIREGUARD)
			say(ctx, _("%s is not a WireGuard interface here"), ctx->iface);
		else if (serr.failure == SAMPLE_NAMES_FAILED && serr.path)
			say(ctx, _("reading peer names from %s failed: %s"), serr.path, text_strerror(-serr.code));
		else
			say(ctx, _("reading %s failed: %s"), ctx->iface, text_strerror(-serr.code));
		sample_error_clear(&serr);
		return ret;
	}
	op->dev = wg_snapshot_find_device(op->snap, ctx->iface);
	if (!op->dev) {
		say(ctx, _("%s is not a WireGuard interface here"), ctx->iface);
		return -ENODEV;
	}
	return conf_ret;
}

/* Whether the file holds the peer disabled, as PiVPN's "pivpn off" leaves it. */
static bool disabled_peer(const struct op *op, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < op->n_disabled; ++i)
		if (!memcmp(op->disabled[i], key, WG_KEY_LEN))
			return true;
	return false;
}

/*
 * A file that another tool writes anew from its own database (wg-easy, wireguard-ui, ...) is
 * not changed: the tool would drop the change at its next save, silently. what: "add the
 * peer", ... -EROFS, before anything changed, unless ctx->force.
 */
static int refuse_managed(struct peerops_ctx *ctx, const struct op *op, const char *what)
{
	if (!op->managed_by || ctx->force)
		return 0;
	say(ctx, _("%s rewrites %s from its own database and would drop this change: %s in %s (or give --force)"),
	    op->managed_by, op->path, what, op->managed_by);
	return -EROFS;
}

/* Writes the edited file if it still holds what was read. */
static int op_write(struct peerops_ctx *ctx, struct op *op)
{
	size_t len;
	const char *text = wgconf_text(op->conf, &len);
	int ret;

	if (op->pending && len >= op->pending_len) {
		ret = atomic_replace_finish(op->pending, text + op->pending_len, len - op->pending_len, &op->stamp);
		op->pending = NULL;
	} else {
		ret = atomic_replace(op->path, text, len, 0600, &op->stamp);
	}
	if (ret == -ESTALE)
		say(ctx, _("%s changed on disk since it was read; nothing changed: look at it and try again"),
		    op->path);
	else if (ret < 0)
		say(ctx, _("writing %s failed: %s; nothing changed"), op->path, text_strerror(-ret));
	return ret;
}

/*
 * What only the checks before a change needed, the file's peers, freed before the model is
 * edited, whose second reading sets the command's peak (10 MB less at 65,536 peers). A change
 * that may have to put the file back (op_restore) keeps a copy of its bytes as read: the
 * model's own are edited. -ENOMEM.
 */
static int op_drop_checks(struct op *op, bool keep_text)
{
	const char *text;
	size_t len;

	wgconf_peers_free(op->fpeers, op->n_fpeers);
	op->fpeers = NULL;
	op->n_fpeers = 0;
	if (!keep_text)
		return 0;
	text = wgconf_text(op->conf, &len);
	if (!(op->text = malloc(len + 1)))
		return -ENOMEM;
	memcpy(op->text, text, len + 1);
	op->len = len;
	return 0;
}

/* Puts the bytes that were read back, after a later step failed. */
static int op_restore(struct op *op)
{
	return atomic_replace(op->path, op->text, op->len, 0600, NULL);
}

static const struct wgconf_peer_info *file_peer(const struct op *op, const uint8_t key[WG_KEY_LEN])
{
	for (size_t i = 0; i < op->n_fpeers; ++i)
		if (!memcmp(op->fpeers[i].public_key, key, WG_KEY_LEN))
			return &op->fpeers[i];
	return NULL;
}

static const char *peer_label(const struct op *op, const uint8_t key[WG_KEY_LEN], char *buf, size_t len)
{
	const struct wg_peer *p = wg_device_find_peer(op->dev, key);
	const struct wgconf_peer_info *f = file_peer(op, key);
	char b64[WG_KEY_B64_LEN];

	if (p && p->name)
		return p->name;
	if (f && f->name)
		return f->name;
	key_to_base64(b64, key);
	snprintf(buf, len, "%.10s…", b64);
	return buf;
}

/* --- validation --- */

static int check_name(struct peerops_ctx *ctx, const struct op *op, const char *name,
		      const uint8_t *self)
{
	enum text_name_error bad = text_name_check(name);

	if (bad != TEXT_NAME_OK) {
		say(ctx, "%s", text_name_error_text(bad));
		return -EINVAL;
	}
	/* Names must pick one peer for `peer remove NAME`: no two alike. */
	for (uint32_t i = 0; i < op->dev->n_peers; ++i) {
		const struct wg_peer *p = &op->dev->peers[i];

		if (p->name && !strcmp(p->name, name) && (!self || memcmp(p->public_key, self, WG_KEY_LEN))) {
			say(ctx, _("another peer is named %s already"), name);
			return -EEXIST;
		}
	}
	for (size_t i = 0; i < op->n_fpeers; ++i) {
		const struct wgconf_peer_info *f = &op->fpeers[i];

		if (f->name && !strcmp(f->name, name) && (!self || memcmp(f->public_key, self, WG_KEY_LEN))) {
			say(ctx, _("another peer is named %s already"), name);
			return -EEXIST;
		}
	}
	return 0;
}

/* Whether a is one of a live peer's allowed IPs. */
static bool live_holds(const struct wg_peer *p, const struct wg_allowedip *a)
{
	for (uint32_t j = 0; j < p->n_allowedips; ++j) {
		const struct wg_allowedip *h = &p->allowedips[j];
		bool same = false;

		if (h->family != a->family || h->cidr != a->cidr)
			continue;
		/* The same address, as the file and the interface mostly say it: no masks to make. */
		if (a->family == AF_INET)
			same = a->cidr <= 32 && h->ip4.s_addr == a->ip4.s_addr;
		else if (a->family == AF_INET6)
			same = a->cidr <= 128 && !memcmp(&h->ip6, &a->ip6, sizeof(a->ip6));
		if (same || prefix_contains(h, a))
			return true;
	}
	return false;
}

/* The allowed IPs of peers, IPv4 ones from the start of v, the others from its end back. */
struct taken {
	struct wg_allowedip *v;
	size_t cap;
	size_t n[2];			/* IPv4 at v, the others at v + cap - n[1] */
};

static void taken_put(struct taken *t, const struct wg_allowedip *a)
{
	if (a->family == AF_INET)
		t->v[t->n[0]++] = *a;
	else
		t->v[t->cap - ++t->n[1]] = *a;
}

/* Those of a's family: each subnet's search reads only its own (200,000 of a big hub's 400,000). */
static const struct wg_allowedip *taken_of(const struct taken *t, const struct wg_allowedip *a, size_t *n)
{
	*n = t->n[a->family != AF_INET];
	return a->family == AF_INET ? t->v : t->v + t->cap - t->n[1];
}

/*
 * Every allowed IP of every peer in the file, and with live those of the live peers too; once
 * where the file says what the interface holds (a hub of 100,000 peers has 200,000 of them,
 * not 400,000).
 */
static int taken_list(const struct op *op, bool live, struct taken *t)
{
	uint32_t cursor = 0;

	memset(t, 0, sizeof(*t));
	for (uint32_t i = 0; live && i < op->dev->n_peers; ++i)
		t->cap += op->dev->peers[i].n_allowedips;
	for (size_t i = 0; i < op->n_fpeers; ++i)
		t->cap += op->fpeers[i].n_allowedips;
	/* As many as there may be: the pages of those the file repeats are never touched. */
	t->v = malloc((t->cap ? t->cap : 1) * sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	for (uint32_t i = 0; live && i < op->dev->n_peers; ++i) {
		const struct wg_peer *p = &op->dev->peers[i];

		for (uint32_t j = 0; j < p->n_allowedips; ++j)
			taken_put(t, &p->allowedips[j]);
	}
	for (size_t i = 0; i < op->n_fpeers; ++i) {
		const struct wgconf_peer_info *f = &op->fpeers[i];
		/* The kernel keeps the order wg setconf gave it, the file's: most are at the cursor. */
		const struct wg_peer *p = live ? wg_device_find_peer_near(op->dev, f->public_key, &cursor) : NULL;

		for (size_t j = 0; j < f->n_allowedips; ++j)
			if (!p || !live_holds(p, &f->allowedips[j]))
				taken_put(t, &f->allowedips[j]);
	}
	return 0;
}

static void host_of(struct wg_allowedip *out, const struct wg_allowedip *a)
{
	*out = *a;
	out->cidr = a->family == AF_INET ? 32 : 128;
}

/* The next address of the hub's subnet i that none of t holds (nor the hub): 0, -ENOSPC or -errno. */
static int next_free_in(const struct op *op, size_t i, const struct taken *t, struct wg_allowedip *out)
{
	struct wg_allowedip net = op->hub[i], hub;
	const struct wg_allowedip *held;
	size_t n_held;

	prefix_network(&net);
	host_of(&hub, &op->hub[i]);
	held = taken_of(t, &net, &n_held);
	return prefix_next_free(&net, &hub, held, n_held, out);
}

/*
 * The next free addresses as far as the file says, on the config thread: beside 100,000 live
 * peers, gathering both lists and searching them took the add 60-80 ms after the dump (on an
 * emulated CPU). Without memory, nothing is guessed and the add searches as before.
 */
static void guess_addresses(struct op *op)
{
	struct taken t;

	if (!op->n_hub || taken_list(op, false, &t) < 0)
		return;
	op->guess = calloc(op->n_hub, sizeof(*op->guess));
	op->guess_ret = calloc(op->n_hub, sizeof(*op->guess_ret));
	if (!op->guess || !op->guess_ret) {
		free(op->guess);
		free(op->guess_ret);
		op->guess = NULL;
		op->guess_ret = NULL;
	}
	for (size_t i = 0; op->guess && i < op->n_hub; ++i)
		op->guess_ret[i] = next_free_in(op, i, &t, &op->guess[i]);
	free(t.v);
}

/*
 * Whether allowed IP h holds address a: a peer's own address, as nearly every live one is, told
 * by its bytes (prefix_contains' masks for each of 200,000 took an emulated CPU 60 ms).
 */
static bool holds(const struct wg_allowedip *h, const struct wg_allowedip *a)
{
	if (h->family != a->family)
		return false;
	if (h->family == AF_INET && h->cidr == 32)
		return h->ip4.s_addr == a->ip4.s_addr;
	if (h->family == AF_INET6 && h->cidr == 128)
		return !memcmp(&h->ip6, &a->ip6, sizeof(a->ip6));
	return prefix_contains(h, a);
}

/*
 * Whether the file's guesses hold for the interface too: when no live peer's allowed IP holds
 * a guessed address, the lowest address free of the file's peers is the lowest free of both
 * (every one below it is the file's). A subnet the file fills is full whatever is live.
 */
static bool guesses_hold(const struct op *op)
{
	for (size_t i = 0; i < op->n_hub; ++i)
		if (op->guess_ret[i] < 0 && op->guess_ret[i] != -ENOSPC)
			return false;
	for (uint32_t k = 0; k < op->dev->n_peers; ++k) {
		const struct wg_peer *p = &op->dev->peers[k];

		for (uint32_t j = 0; j < p->n_allowedips; ++j)
			for (size_t i = 0; i < op->n_hub; ++i)
				if (!op->guess_ret[i] && holds(&p->allowedips[j], &op->guess[i]))
					return false;
	}
	return true;
}

/* Who holds an allowed IP that overlaps a: the peer's label, or NULL. */
static const char *overlap_owner(const struct op *op, const uint8_t *self, const struct wg_allowedip *a,
				 char *buf, size_t len, struct wg_allowedip *with)
{
	for (uint32_t i = 0; i < op->dev->n_peers; ++i) {
		const struct wg_peer *p = &op->dev->peers[i];

		if (self && !memcmp(p->public_key, self, WG_KEY_LEN))
			continue;
		for (uint32_t j = 0; j < p->n_allowedips; ++j)
			if (prefix_overlap(a, &p->allowedips[j])) {
				*with = p->allowedips[j];
				return peer_label(op, p->public_key, buf, len);
			}
	}
	for (size_t i = 0; i < op->n_fpeers; ++i) {
		const struct wgconf_peer_info *f = &op->fpeers[i];

		if (self && !memcmp(f->public_key, self, WG_KEY_LEN))
			continue;
		for (size_t j = 0; j < f->n_allowedips; ++j)
			if (prefix_overlap(a, &f->allowedips[j])) {
				*with = f->allowedips[j];
				return peer_label(op, f->public_key, buf, len);
			}
	}
	return NULL;
}

/* A typed list of allowed IPs: well-formed, no host bits, clear of the hub and every other peer. */
static int check_allowed(struct peerops_ctx *ctx, const struct op *op, const uint8_t *self, const char *text,
			 struct wg_allowedip **out, size_t *n)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN], label[64], buf[96];
	struct wg_allowedip *v = NULL, with;
	size_t k = 0;
	int ret;

	ret = prefix_parse_list(&v, &k, text);
	if (ret < 0) {
		say(ctx, _("not a list of addresses or prefixes: %s"), shown(text, buf, sizeof(buf)));
		return ret;
	}
	for (size_t i = 0; i < k; ++i) {
		struct wg_allowedip net = v[i];
		const char *who;

		prefix_network(&net);
		if (memcmp(&net, &v[i], sizeof(net))) {
			say(ctx, _("%s has host bits set; a peer's own address is written /%d"),
			    prefix_format(&v[i], a, sizeof(a)), v[i].family == AF_INET ? 32 : 128);
			ret = -EINVAL;
			goto fail;
		}
		for (size_t j = 0; j < k; ++j)
			if (j != i && prefix_overlap(&v[i], &v[j])) {
				say(ctx, _("%s and %s overlap"), prefix_format(&v[i], a, sizeof(a)),
				    prefix_format(&v[j], b, sizeof(b)));
				ret = -EINVAL;
				goto fail;
			}
		for (size_t j = 0; j < op->n_hub; ++j) {
			struct wg_allowedip h;

			host_of(&h, &op->hub[j]);
			if (prefix_contains(&v[i], &h)) {
				say(ctx, _("%s holds the hub's own address %s"), prefix_format(&v[i], a, sizeof(a)),
				    prefix_format(&h, b, sizeof(b)));
				ret = -EADDRINUSE;
				goto fail;
			}
		}
		who = overlap_owner(op, self, &v[i], label, sizeof(label), &with);
		if (who) {
			say(ctx, _("%s overlaps %s, an allowed IP of %s"), prefix_format(&v[i], a, sizeof(a)),
			    prefix_format(&with, b, sizeof(b)), who);
			ret = -EADDRINUSE;
			goto fail;
		}
	}
	*out = v;
	*n = k;
	return 0;
fail:
	free(v);
	return ret;
}

static void format_list(char *buf, size_t len, const struct wg_allowedip *v, size_t n)
{
	char a[PREFIX_STRLEN];
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && off < len; ++i)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? ", " : "",
					prefix_format(&v[i], a, sizeof(a)));
}

/* --- the name store: "PUBLIC-KEY NAME" lines; every other line kept --- */

static int store_set(const char *path, const uint8_t key[WG_KEY_LEN], const char *name)
{
	struct file_stamp st;
	char b64[WG_KEY_B64_LEN], *text = NULL, *out, *dir, *slash;
	size_t len = 0, off = 0;
	int ret;

	ret = atomic_read_state(path, &text, &len, &st);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	if (ret == -ENOENT) {
		/* The first name kept: the store's directory may not exist yet. */
		if (!name)
			return 0;
		if (!(dir = strdup(path)))
			return -ENOMEM;
		if ((slash = strrchr(dir, '/')) && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
				ret = -errno;
				free(dir);
				return ret;
			}
		}
		free(dir);
	}
	key_to_base64(b64, key);
	out = malloc(len + strlen(b64) + (name ? strlen(name) : 0) + 4);
	if (!out) {
		free(text);
		return -ENOMEM;
	}
	for (const char *p = text, *end = text + len; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *e = nl ? nl + 1 : end;

		if (!(strncmp(p, b64, WG_KEY_B64_LEN - 1) == 0 &&
		      (p + WG_KEY_B64_LEN - 1 == e || strchr(" \t\n", p[WG_KEY_B64_LEN - 1])))) {
			memcpy(out + off, p, (size_t)(e - p));
			off += (size_t)(e - p);
			if (!nl)
				out[off++] = '\n';
		}
		p = e;
	}
	if (name)
		off += (size_t)sprintf(out + off, "%s %s\n", b64, name);
	/* Names say who uses the hub: for root's eyes, as the config file is. */
	ret = atomic_replace_state(path, out, off, 0600, ret == -ENOENT ? NULL : &st);
	free(out);
	free(text);
	return ret;
}

/* --- the settings file: "[IFACE]" sections of "Key = Value" lines (settings.c) --- */

char *peerops_setting(const char *settings_path, const char *iface, const char *key)
{
	char *text = NULL, *val;
	size_t len = 0;

	if (!settings_path || atomic_read(settings_path, &text, &len) < 0)
		return NULL;
	val = settings_lookup(text, len, iface, key);
	free(text);
	return val;
}

int peerops_save_setting(const char *settings_path, const char *iface, const char *key, const char *value)
{
	struct file_stamp st;
	char *text = NULL, *out;
	size_t len = 0, out_len;
	int ret = atomic_read_stamped(settings_path, &text, &len, &st);

	if (ret < 0 && ret != -ENOENT)
		return ret;
	out = settings_update(text, len, iface, key, value, &out_len);
	free(text);
	if (!out)
		return strpbrk(value, "\r\n") ? -EINVAL : -ENOMEM;
	ret = atomic_replace(settings_path, out, out_len, 0644, ret == -ENOENT ? NULL : &st);
	free(out);
	return ret;
}

/* Brings the counting set in step with the interface now, when wgstar's table is there. */
static bool sync_counting(struct peerops_ctx *ctx)
{
	struct sample_opts so = { .iface = ctx->iface };
	struct wg_snapshot *snap = NULL;
	struct sample_error serr;
	bool counted = false;

	/* Without the table there is nothing to sync: the interface is not read again for that. */
	if (counters_table_present() == 0)
		return false;
	if (sample_take(&snap, &so, &serr) < 0) {
		sample_error_clear(&serr);
		return false;
	}
	if (counters_update(snap, true) == 0 && snap->n_devices)
		counted = snap->devices[0]->has_flows;
	wg_snapshot_free(snap);
	return counted;
}

/* --- the hub policy follows its peers --- */

struct policy_step {
	bool active;			/* there is a policy file to follow */
	char path[PATH_MAX];
	char *text;
	size_t len;
	struct file_stamp stamp;
	bool in_force;			/* the policy table held this policy before the change */
};

/* A peer as a group member: its name, quoted where it must be; its key where a name cannot be written. */
static const char *member_text(const char *name, const uint8_t key[WG_KEY_LEN], char *buf, size_t len)
{
	if (name && name[0] && !strpbrk(name, "\"\\\t\r\n") && strlen(name) + 3 < len &&
	    name[0] != ' ' && name[strlen(name) - 1] != ' ') {
		if (strpbrk(name, " ,#;=<->*"))
			snprintf(buf, len, "\"%s\"", name);
		else
			snprintf(buf, len, "%s", name);
		return buf;
	}
	key_to_base64(buf, key);
	return buf;
}

static void policy_step_free(struct policy_step *st)
{
	free(st->text);
	memset(st, 0, sizeof(*st));
}

/* Before a change: the policy file as it is, and whether the table in force is its own. */
static int policy_before(struct peerops_ctx *ctx, struct policy_step *st, const struct wg_snapshot *snap,
			 bool need)
{
	struct policy_reading r = { 0 };
	struct policy_set ps = { 0 };
	struct errmsg err;
	int ret;

	memset(st, 0, sizeof(*st));
	snprintf(st->path, sizeof(st->path), "%s", ctx->policy_path ? ctx->policy_path : POLICY_PATH);
	ret = atomic_read_stamped(st->path, &st->text, &st->len, &st->stamp);
	if (ret == -ENOENT && !need)
		return 0;
	if (ret < 0) {
		say(ctx, _("reading the hub policy %s failed: %s"), st->path, text_strerror(-ret));
		return ret;
	}
	st->active = true;
	/* In force: the table's fingerprint is the one this policy compiles to, peers as they are. */
	if (!policy_load_text(&ps, st->path, st->text, st->len, snap, POLICY_PREPARE_IGNORE_MISSING, &err) &&
	    ps.fp[0] && !policy_read(&r) && r.present)
		st->in_force = !strcmp(r.fp, ps.fp);
	policy_reading_free(&r);
	policy_set_free(&ps);
	return 0;
}

/*
 * After a change: the policy file with the peer's references edited (old -> new_name, or out
 * with new_name NULL; joining groups), written when it still checks out against the peers as
 * they are now; and the policy table replaced in step when it held the policy before. A peer
 * joining the sets of its groups is what the operator asked for with the peer, and its
 * addresses were no one's before: no preview. Notes go to ctx->policy_note.
 */
static void policy_after(struct peerops_ctx *ctx, struct policy_step *st, const char *old, const char *old_key,
			 const char *new_name, const char *join)
{
	struct sample_opts so = { .iface = ctx->iface, .config_path = ctx->config_path, .names_path = ctx->names_path };
	struct wg_snapshot *snap = NULL;
	struct sample_error serr;
	struct policy_set ps = { 0 };
	struct policy_error perr;
	struct errmsg err;
	char *out = NULL;
	size_t out_len = 0;
	int ret;

	if (!st->active)
		return;
	ret = policy_edit_peer(st->text, st->len, ctx->iface, old, new_name, join, &out, &out_len, &perr);
	/* A peer gone is gone by its key too. */
	if (!ret && old_key && !new_name) {
		char *again = NULL;
		size_t again_len = 0;

		ret = policy_edit_peer(out, out_len, ctx->iface, old_key, NULL, NULL, &again, &again_len, &perr);
		free(out);
		out = again;
		out_len = again_len;
	}
	if (ret < 0) {
		snprintf(ctx->policy_note, sizeof(ctx->policy_note), _("the hub policy %s is unchanged: %s"), st->path,
			 ret == -EINVAL ? perr.msg : text_strerror(-ret));
		return;
	}
	if (sample_take(&snap, &so, &serr) < 0) {
		sample_error_clear(&serr);
		snprintf(ctx->policy_note, sizeof(ctx->policy_note), _("the hub policy %s is unchanged: the interface "
								       "could not be read"), st->path);
		goto out;
	}
	if (out_len == st->len && !memcmp(out, st->text, out_len))
		goto sync;
	if (policy_load_text(&ps, st->path, out, out_len, snap, POLICY_PREPARE_IGNORE_MISSING, &err) < 0) {
		snprintf(ctx->policy_note, sizeof(ctx->policy_note), _("the hub policy %s is unchanged, as the edit would "
								       "not check out: %s"), st->path, errmsg_text(&err));
		goto out;
	}
	if ((ret = atomic_replace(st->path, out, out_len, 0644, &st->stamp)) < 0) {
		snprintf(ctx->policy_note, sizeof(ctx->policy_note), _("writing the hub policy %s failed: %s"), st->path,
			 text_strerror(-ret));
		goto out;
	}
	snprintf(ctx->policy_note, sizeof(ctx->policy_note), _("%s follows"), st->path);
sync:
	if (!ps.present &&
	    policy_load_text(&ps, st->path, out, out_len, snap, POLICY_PREPARE_IGNORE_MISSING, &err) < 0)
		goto out;
	if (st->in_force) {
		struct nft_batch b = { 0 };
		struct nft_error nerr = { 0 };
		struct nft_sock s;
		size_t l = strlen(ctx->policy_note);

		if ((ret = nft_open(&s)) == 0) {
			if (!(ret = nft_batch_init(&b, ++s.seq, false, 0)) && !(ret = policy_nft_build_remove(&b)) &&
			    (!ps.c.n || !(ret = policy_nft_build(&b, &ps.c, NULL))) && !(ret = nft_batch_end(&b, true))) {
				s.seq = b.seq_next;
				ret = nft_send(&s, &b, NULL, NULL, &nerr);
			}
			nft_batch_free(&b);
			nft_close(&s);
		}
		snprintf(ctx->policy_note + l, sizeof(ctx->policy_note) - l, ret ? _("%sthe policy table could not follow: %s") :
										_("%sthe policy table follows"),
			 l ? "; " : "", text_strerror(-ret));
	}
out:
	free(out);
	policy_set_free(&ps);
	wg_snapshot_free(snap);
}

/* --- add --- */

static int client_config(struct peerops_ctx *ctx, const struct op *op, const struct peer_add_req *req,
			 const uint8_t *priv, const uint8_t *psk, const struct wg_allowedip *addr, size_t n_addr,
			 char **out)
{
	struct wg_allowedip *client = calloc(n_addr ? n_addr : 1, sizeof(*client));
	struct wg_allowedip *nets = calloc(op->n_hub ? op->n_hub : 1, sizeof(*nets));
	char *endpoint = req->endpoint ? strdup(req->endpoint) : peerops_setting(ctx->settings_path, ctx->iface, "Endpoint");
	char *dns = req->dns ? strdup(req->dns) : peerops_setting(ctx->settings_path, ctx->iface, "DNS");
	size_t n_client = 0;
	char buf[96];
	int ret = 0;

	if (!client || !nets) {
		ret = -ENOMEM;
		goto out;
	}
	/* The client routes the VPN subnet through the hub: without it there is no config to give. */
	if (!op->n_hub) {
		say(ctx, _("%s has no Address in [Interface]: wgstar cannot tell the VPN subnet for the client config"),
		    op->path);
		ret = -EINVAL;
		goto out;
	}
	if (dns) {
		for (const unsigned char *c = (const unsigned char *)dns; *c; ++c)
			if (*c < 0x20 || *c == 0x7f || *c == '#' || *c == '=') {
				say(ctx, _("not a DNS list (addresses or search domains, comma-separated): %s"),
				    shown(dns, buf, sizeof(buf)));
				ret = -EINVAL;
				goto out;
			}
	}
	if (!endpoint) {
		say(ctx, _("the hub's public endpoint is unknown: give --endpoint HOST:PORT, or set Endpoint in [%s] of %s"),
		    ctx->iface, ctx->settings_path ? ctx->settings_path : "-");
		ret = -EDESTADDRREQ;
		goto out;
	}
	if (clientconf_check_endpoint(endpoint) < 0) {
		say(ctx, _("not an endpoint (HOST:PORT): %s"), shown(endpoint, buf, sizeof(buf)));
		ret = -EINVAL;
		goto out;
	}
	/* The client's Address is its own address with the subnet's length; AllowedIPs the subnets. */
	for (size_t i = 0; i < op->n_hub; ++i) {
		nets[i] = op->hub[i];
		prefix_network(&nets[i]);
	}
	for (size_t i = 0; i < n_addr; ++i) {
		client[n_client] = addr[i];
		for (size_t j = 0; j < op->n_hub; ++j)
			if (prefix_contains(&nets[j], &addr[i]))
				client[n_client].cidr = nets[j].cidr;
		++n_client;
	}
	struct clientconf cc = {
		.name = req->name,
		.address = client,
		.n_address = n_client,
		.private_key = priv,
		.dns = dns,
		.hub_public_key = op->dev->public_key,
		.preshared_key = psk,
		.endpoint = endpoint,
		.allowed = nets,
		.n_allowed = op->n_hub,
		.keepalive = PEEROPS_KEEPALIVE_CLIENT,
	};
	if (!out)
		goto out;
	*out = clientconf_render(&cc);
	if (!*out)
		ret = -ENOMEM;
out:
	free(client);
	free(nets);
	free(endpoint);
	free(dns);
	return ret;
}

int peerops_add(struct peerops_ctx *ctx, const struct peer_add_req *req, struct peer_add_result *res)
{
	uint8_t priv[WG_KEY_LEN], psk[WG_KEY_LEN];
	struct wg_allowedip *allowed = NULL;
	struct taken taken = { 0 };
	size_t n_allowed = 0;
	bool generated = !req->public_key;
	char label[64], buf[96];
	struct policy_step pst = { 0 };
	struct op op;
	int ret;

	memset(res, 0, sizeof(*res));
	ctx->policy_note[0] = '\0';
	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, &op, (req->dry_run ? 0 : LOAD_WRITE_AHEAD) |
					     (req->address && req->address[0] ? 0 : LOAD_FREE_ADDRESS))) < 0 ||
	    (ret = refuse_managed(ctx, &op, _("add the peer"))) < 0)
		goto out;
	/* A dry run without a name previews the rest: the console's hint of the next free address. */
	if ((req->name || !req->dry_run) && (ret = check_name(ctx, &op, req->name, NULL)) < 0)
		goto out;

	if (generated) {
		if ((ret = keygen_private(priv)) < 0 || (ret = key_public_from_private(res->public_key, priv)) < 0) {
			say(ctx, _("generating a key failed: %s"), text_strerror(-ret));
			goto out;
		}
	} else if (!key_from_base64(res->public_key, req->public_key)) {
		say(ctx, _("not a WireGuard public key (base64 of 32 bytes): %s"),
		    shown(req->public_key, buf, sizeof(buf)));
		ret = -EINVAL;
		goto out;
	}
	if (op.dev->has_public_key && !memcmp(res->public_key, op.dev->public_key, WG_KEY_LEN)) {
		say(ctx, _("that is the hub's own public key"));
		ret = -EINVAL;
		goto out;
	}
	if (wg_device_find_peer(op.dev, res->public_key) || file_peer(&op, res->public_key)) {
		say(ctx, _("that key is a peer of %s already: %s"), ctx->iface,
		    peer_label(&op, res->public_key, label, sizeof(label)));
		ret = -EEXIST;
		goto out;
	}
	if (disabled_peer(&op, res->public_key)) {
		say(ctx, _("%s holds that key disabled (#[disabled]): enable it there (pivpn on) rather than add it twice"),
		    op.path);
		ret = -EEXIST;
		goto out;
	}
	if (req->preshared_key && (ret = keygen_preshared(psk)) < 0) {
		say(ctx, _("generating a key failed: %s"), text_strerror(-ret));
		goto out;
	}

	if (req->address && req->address[0]) {
		if ((ret = check_allowed(ctx, &op, NULL, req->address, &allowed, &n_allowed)) < 0)
			goto out;
	} else {
		if (!op.n_hub) {
			say(ctx, _("%s has no Address in [Interface]: wgstar cannot tell the VPN subnet; give --address"),
			    op.path);
			ret = -EINVAL;
			goto out;
		}
		bool guessed = op.guess && guesses_hold(&op);

		if (!guessed && (ret = taken_list(&op, true, &taken)) < 0)
			goto out;
		allowed = calloc(op.n_hub, sizeof(*allowed));
		if (!allowed) {
			ret = -ENOMEM;
			goto out;
		}
		/* One address from each subnet the hub has: IPv4, IPv6, or both. */
		for (size_t i = 0; i < op.n_hub; ++i) {
			struct wg_allowedip net = op.hub[i];
			char a[PREFIX_STRLEN];

			prefix_network(&net);
			ret = guessed ? op.guess_ret[i] : next_free_in(&op, i, &taken, &allowed[n_allowed]);
			if (guessed && !ret)
				allowed[n_allowed] = op.guess[i];
			if (ret == -ENOSPC && net.cidr == (net.family == AF_INET ? 32 : 128)) {
				/* "Address = 10.13.13.1", as linuxserver writes it: the subnet is not said. */
				char ip[INET6_ADDRSTRLEN] = "";

				inet_ntop(net.family, net.family == AF_INET ? (const void *)&net.ip4 : (const void *)&net.ip6,
					  ip, sizeof(ip));
				say(ctx, _("%s gives the hub's Address %s without the subnet's prefix length, so wgstar "
					   "cannot tell which addresses are free: give the peer's --address, or write "
					   "the length there (Address = %s/%d, say)"),
				    op.path, ip, ip, net.family == AF_INET ? 24 : 64);
				goto out;
			}
			if (ret == -ENOSPC) {
				say(ctx, _("no free address left in %s"), prefix_format(&net, a, sizeof(a)));
				goto out;
			}
			if (ret < 0)
				goto out;
			++n_allowed;
		}
	}
	format_list(res->address, sizeof(res->address), allowed, n_allowed);
	/* The client config is checked before anything changes: an unknown endpoint stops here. */
	if ((ret = client_config(ctx, &op, req, NULL, NULL, allowed, n_allowed, NULL)) < 0)
		goto out;
	/* Groups that are not in the policy stop it here, before anything changed. */
	if ((ret = policy_before(ctx, &pst, op.snap, req->groups && req->groups[0])) < 0)
		goto out;
	if (pst.active && req->groups && req->groups[0]) {
		struct policy_error perr;
		char *tmp = NULL;
		size_t tmp_len;

		ret = policy_edit_peer(pst.text, pst.len, ctx->iface, NULL, "x", req->groups, &tmp, &tmp_len, &perr);
		free(tmp);
		if (ret < 0) {
			say(ctx, "%s: %s", pst.path, ret == -EINVAL ? perr.msg : text_strerror(-ret));
			ret = ret == -EINVAL ? -ESRCH : ret;
			goto out;
		}
	}
	if (req->dry_run)
		goto out;
	free(taken.v);
	taken.v = NULL;
	/* An add never writes the old bytes back: when writing the file fails, the live peer goes. */
	(void)op_drop_checks(&op, false);

	struct wg_peer_change add = {
		.set_preshared_key = req->preshared_key,
		.set_keepalive = req->keepalive != 0,
		.keepalive = req->keepalive,
		.replace_allowedips = true,
		.allowedips = allowed,
		.n_allowedips = n_allowed,
	};
	memcpy(add.public_key, res->public_key, WG_KEY_LEN);
	if (req->preshared_key)
		memcpy(add.preshared_key, psk, WG_KEY_LEN);
	ret = backend_set_peers(ctx->iface, &add, 1);
	key_wipe(add.preshared_key, sizeof(add.preshared_key));
	/*
	 * wireguard-go refuses a peer beyond its MaxPeers with a bare EINVAL. The UAPI does not say
	 * which daemon answers (boringtun's limit, if any, differs): the reason is given when the
	 * refusal comes, not guessed before.
	 */
	if (ret == -EINVAL && op.dev->backend == WG_BACKEND_USERSPACE && op.dev->n_peers >= WIREGUARD_GO_MAX_PEERS) {
		say(ctx, _("%s has %u peers, as many as wireguard-go holds on one interface (%u): remove a peer "
			   "first, or run the hub on the kernel's WireGuard; nothing changed"),
		    ctx->iface, (unsigned int)op.dev->n_peers, (unsigned int)WIREGUARD_GO_MAX_PEERS);
		ret = -ENOSPC;
		goto out;
	}
	if (ret < 0) {
		say(ctx, _("adding the peer to %s failed: %s; nothing changed"), ctx->iface, text_strerror(-ret));
		goto out;
	}

	struct wgconf_new_peer np = {
		.public_key = res->public_key,
		.name = req->name,
		.preshared_key = req->preshared_key ? psk : NULL,
		.allowedips = allowed,
		.n_allowedips = n_allowed,
		.persistent_keepalive = req->keepalive,
	};
	if ((ret = wgconf_add_peer(op.conf, &np)) < 0 || (ret = op_write(ctx, &op)) < 0) {
		struct wg_peer_change undo = { .remove = true };
		int r;

		memcpy(undo.public_key, res->public_key, WG_KEY_LEN);
		if ((r = backend_set_peers(ctx->iface, &undo, 1)) < 0) {
			size_t l = strlen(ctx->err.text);

			snprintf(ctx->err.text + l, sizeof(ctx->err.text) - l,
				 _(" (and removing the peer from %s again failed: %s)"), ctx->iface, text_strerror(-r));
		}
		if (!ctx->err.text[0])
			say(ctx, _("writing %s failed: %s; nothing changed"), op.path, text_strerror(-ret));
		goto out;
	}

	if (ctx->names_path) {
		int r = store_set(ctx->names_path, res->public_key, req->name);

		res->named = r == 0;
		if (r < 0)
			say(ctx, _("the peer is added, but keeping its name in %s failed: %s"), ctx->names_path,
			    text_strerror(-r));
	}
	/* A new peer's single addresses go straight into the sets; anything else takes a full sync. */
	ret = counters_peer_elems(op.dev, allowed, n_allowed, false);
	res->counted = ret > 0 || (ret != -ENOENT && sync_counting(ctx));
	{
		char member[128];

		policy_after(ctx, &pst, NULL, NULL, member_text(req->name, res->public_key, member, sizeof(member)),
			     req->groups);
	}
	ret = client_config(ctx, &op, req, generated ? priv : NULL, req->preshared_key ? psk : NULL,
			    allowed, n_allowed, &res->client_config);
out:
	policy_step_free(&pst);
	key_wipe(priv, sizeof(priv));
	key_wipe(psk, sizeof(psk));
	free(allowed);
	free(taken.v);
	op_release(ctx, &op, ret);
	return ret;
}

void peerops_result_free(struct peer_add_result *res)
{
	if (res->client_config) {
		key_wipe(res->client_config, strlen(res->client_config));
		free(res->client_config);
	}
	memset(res, 0, sizeof(*res));
}

/* --- find, remove, rename, allowed IPs --- */

int peerops_resolve(struct peerops_ctx *ctx, const char *spec, uint8_t key[WG_KEY_LEN], char *name, size_t len)
{
	uint8_t found[WG_KEY_LEN];
	char b64[WG_KEY_B64_LEN], label[64];
	size_t hits = 0, speclen = strlen(spec);
	struct op op;
	int ret;

	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, &op, 0)) < 0)
		goto out;
	/* A name first (live or in the file), then a key or its start. */
	for (int pass = 0; pass < 2 && !hits; ++pass) {
		for (uint32_t i = 0; i < op.dev->n_peers; ++i) {
			const struct wg_peer *p = &op.dev->peers[i];

			key_to_base64(b64, p->public_key);
			if (pass ? !strncmp(b64, spec, speclen) : p->name && !strcmp(p->name, spec)) {
				++hits;
				memcpy(found, p->public_key, WG_KEY_LEN);
			}
		}
		for (size_t i = 0; i < op.n_fpeers; ++i) {
			const struct wgconf_peer_info *f = &op.fpeers[i];

			if (wg_device_find_peer(op.dev, f->public_key))
				continue;
			key_to_base64(b64, f->public_key);
			if (pass ? !strncmp(b64, spec, speclen) : f->name && !strcmp(f->name, spec)) {
				++hits;
				memcpy(found, f->public_key, WG_KEY_LEN);
			}
		}
		/* A key's start must be long enough not to pick one by chance. */
		if (!pass && !hits && speclen < 4)
			break;
	}
	if (!hits) {
		say(ctx, _("%s has no peer named %s, and no peer's key begins with it"), ctx->iface, spec);
		ret = -ENOENT;
	} else if (hits > 1) {
		say(ctx, _("%s matches more than one peer on %s; give the public key"), spec, ctx->iface);
		ret = -EEXIST;
	} else {
		memcpy(key, found, WG_KEY_LEN);
		if (name)
			snprintf(name, len, "%s", peer_label(&op, found, label, sizeof(label)));
		peerops_forget(ctx);
		if ((ctx->kept = malloc(sizeof(op)))) {
			/* All it points to is on the heap: the struct moves whole. */
			memcpy(ctx->kept, &op, sizeof(op));
			return ret;
		}
	}
out:
	op_free(&op);
	return ret;
}

/* The state for a change to one peer, which must be live, in the file, or both. */
static int op_load_peer(struct peerops_ctx *ctx, struct op *op, const uint8_t key[WG_KEY_LEN],
			const struct wg_peer **live, bool *in_file)
{
	const struct wg_peer *p;
	int ret;

	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, op, 0)) < 0 || (ret = refuse_managed(ctx, op, _("change the peer"))) < 0)
		return ret;
	p = wg_device_find_peer(op->dev, key);
	*in_file = wgconf_has_peer(op->conf, key);
	if (live)
		*live = p;
	if (!p && !*in_file) {
		say(ctx, _("that peer is neither live on %s nor in %s"), ctx->iface, op->path);
		return -ENOENT;
	}
	return 0;
}

int peerops_remove(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN])
{
	const struct wg_peer *live;
	struct policy_step pst = { 0 };
	char name[128] = "", b64[WG_KEY_B64_LEN];
	bool in_file;
	struct op op;
	int ret;

	ctx->policy_note[0] = '\0';
	if ((ret = op_load_peer(ctx, &op, key, &live, &in_file)) < 0)
		goto out;
	if (live && live->name)
		snprintf(name, sizeof(name), "%s", live->name);
	if ((ret = policy_before(ctx, &pst, op.snap, false)) < 0)
		goto out;
	if ((ret = op_drop_checks(&op, true)) < 0) {
		say(ctx, "%s", text_strerror(-ret));
		goto out;
	}
	if (in_file && ((ret = wgconf_remove_peer(op.conf, key)) < 0 || (ret = op_write(ctx, &op)) < 0)) {
		if (!ctx->err.text[0])
			say(ctx, _("editing %s failed: %s; nothing changed"), op.path, text_strerror(-ret));
		goto out;
	}
	if (live) {
		struct wg_peer_change rm = { .remove = true };

		memcpy(rm.public_key, key, WG_KEY_LEN);
		if ((ret = backend_set_peers(ctx->iface, &rm, 1)) < 0) {
			int r = in_file ? op_restore(&op) : 0;

			say(ctx, r < 0 ? _("removing the peer from %s failed: %s; and %s could not be put back: %s") :
					 _("removing the peer from %s failed: %s; nothing changed"),
			    ctx->iface, text_strerror(-ret), op.path, text_strerror(-r));
			goto out;
		}
	}
	if (ctx->names_path && (ret = store_set(ctx->names_path, key, NULL)) < 0) {
		say(ctx, _("the peer is removed, but taking its name out of %s failed: %s"), ctx->names_path,
		    text_strerror(-ret));
		ret = 0;
	}
	/* Its single addresses leave the sets at once; anything else takes a full sync. */
	if (!live || ((ret = counters_peer_elems(op.dev, live->allowedips, live->n_allowedips, true)) <= 0 &&
		      ret != -ENOENT))
		sync_counting(ctx);
	ret = 0;
	key_to_base64(b64, key);
	/* The old name as the file's members read once unquoted. */
	policy_after(ctx, &pst, name[0] ? name : b64, name[0] ? b64 : NULL, NULL, NULL);
out:
	policy_step_free(&pst);
	op_release(ctx, &op, ret);
	return ret;
}

int peerops_rename(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN], const char *name)
{
	const struct wg_peer *live;
	struct policy_step pst = { 0 };
	char old[128] = "", m_new[128];
	bool in_file;
	struct op op;
	int ret;

	ctx->policy_note[0] = '\0';
	if ((ret = op_load_peer(ctx, &op, key, &live, &in_file)) < 0)
		goto out;
	if (live && live->name)
		snprintf(old, sizeof(old), "%s", live->name);
	if ((ret = policy_before(ctx, &pst, op.snap, false)) < 0)
		goto out;
	if ((ret = check_name(ctx, &op, name, key)) < 0)
		goto out;
	if (in_file && ((ret = wgconf_set_name(op.conf, key, name)) < 0 || (ret = op_write(ctx, &op)) < 0)) {
		if (!ctx->err.text[0])
			say(ctx, _("editing %s failed: %s; nothing changed"), op.path, text_strerror(-ret));
		goto out;
	}
	if (ctx->names_path && (ret = store_set(ctx->names_path, key, name)) < 0) {
		say(ctx, _("keeping the name in %s failed: %s"), ctx->names_path, text_strerror(-ret));
		if (!in_file)
			goto out;
		ret = 0;
	}
	/* References by the old name follow it; those by key need nothing. */
	if (old[0])
		policy_after(ctx, &pst, old, NULL, member_text(name, key, m_new, sizeof(m_new)), NULL);
out:
	policy_step_free(&pst);
	op_release(ctx, &op, ret);
	return ret;
}

int peerops_set_allowedips(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN], const char *text)
{
	struct wg_allowedip *v = NULL, *old = NULL;
	const struct wg_peer *live;
	size_t n = 0, n_old = 0;
	bool in_file;
	struct op op;
	int ret;

	if ((ret = op_load_peer(ctx, &op, key, &live, &in_file)) < 0)
		goto out;
	if ((ret = check_allowed(ctx, &op, key, text, &v, &n)) < 0)
		goto out;
	if (live) {
		struct wg_peer_change set = { .update_only = true, .replace_allowedips = true,
					      .allowedips = v, .n_allowedips = n };

		n_old = live->n_allowedips;
		old = calloc(n_old ? n_old : 1, sizeof(*old));
		if (!old) {
			ret = -ENOMEM;
			goto out;
		}
		memcpy(old, live->allowedips, n_old * sizeof(*old));
		memcpy(set.public_key, key, WG_KEY_LEN);
		if ((ret = backend_set_peers(ctx->iface, &set, 1)) < 0) {
			say(ctx, _("changing the peer on %s failed: %s; nothing changed"), ctx->iface, text_strerror(-ret));
			goto out;
		}
	}
	if (in_file && ((ret = wgconf_set_allowedips(op.conf, key, v, n)) < 0 || (ret = op_write(ctx, &op)) < 0)) {
		if (live) {
			struct wg_peer_change undo = { .update_only = true, .replace_allowedips = true,
						       .allowedips = old, .n_allowedips = n_old };

			memcpy(undo.public_key, key, WG_KEY_LEN);
			backend_set_peers(ctx->iface, &undo, 1);
		}
		if (!ctx->err.text[0])
			say(ctx, _("editing %s failed: %s; nothing changed"), op.path, text_strerror(-ret));
		goto out;
	}
	sync_counting(ctx);
out:
	free(v);
	free(old);
	op_release(ctx, &op, ret);
	return ret;
}

/* --- drift --- */

int peerops_drift(struct peerops_ctx *ctx, struct peer_drift **out, size_t *n)
{
	struct op op;
	int ret;

	*out = NULL;
	*n = 0;
	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, &op, 0)) == 0) {
		struct drift_peer *fp = calloc(op.n_fpeers + op.n_disabled + 1, sizeof(*fp));

		for (size_t i = 0; fp && i < op.n_fpeers; ++i) {
			memcpy(fp[i].key, op.fpeers[i].public_key, WG_KEY_LEN);
			fp[i].name = op.fpeers[i].name;
		}
		for (size_t i = 0; fp && i < op.n_disabled; ++i) {
			memcpy(fp[op.n_fpeers + i].key, op.disabled[i], WG_KEY_LEN);
			fp[op.n_fpeers + i].disabled = true;
		}
		ret = fp ? drift_compute(op.dev, fp, op.n_fpeers + op.n_disabled, NULL, out, n) : -ENOMEM;
		free(fp);
	}
	op_free(&op);
	return ret;
}

/* The file as it would be once it follows the live interface. */
static int reconcile_file(struct peerops_ctx *ctx, struct op *op)
{
	char label[64];
	int ret;

	for (uint32_t i = 0; i < op->dev->n_peers; ++i) {
		const struct wg_peer *p = &op->dev->peers[i];

		/* Held disabled in the file: not added again beside its disabled block. */
		if (file_peer(op, p->public_key) || disabled_peer(op, p->public_key))
			continue;
		if (p->has_preshared_key) {
			/* A preshared key is not part of what wgstar reads: the file would be wrong. */
			say(ctx, _("%s has a preshared key, which wgstar does not read back: add it to %s by hand"),
			    peer_label(op, p->public_key, label, sizeof(label)), op->path);
			return -EOPNOTSUPP;
		}
		struct wgconf_new_peer np = {
			.public_key = p->public_key,
			.name = p->name,
			.allowedips = p->allowedips,
			.n_allowedips = p->n_allowedips,
			.persistent_keepalive = p->persistent_keepalive,
		};
		if ((ret = wgconf_add_peer(op->conf, &np)) < 0)
			return ret;
	}
	for (size_t i = 0; i < op->n_fpeers; ++i)
		if (!wg_device_find_peer(op->dev, op->fpeers[i].public_key) &&
		    (ret = wgconf_remove_peer(op->conf, op->fpeers[i].public_key)) < 0)
			return ret;
	return 0;
}

/* The live changes that make the interface follow the file. */
static int reconcile_live(struct op *op, struct wg_peer_change **out, size_t *n)
{
	struct wg_peer_change *v = calloc((size_t)op->dev->n_peers + op->n_fpeers + 1, sizeof(*v));
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (uint32_t i = 0; i < op->dev->n_peers; ++i)
		if (!file_peer(op, op->dev->peers[i].public_key)) {
			memcpy(v[k].public_key, op->dev->peers[i].public_key, WG_KEY_LEN);
			v[k++].remove = true;
		}
	for (size_t i = 0; i < op->n_fpeers; ++i) {
		const struct wgconf_peer_info *f = &op->fpeers[i];

		if (wg_device_find_peer(op->dev, f->public_key))
			continue;
		memcpy(v[k].public_key, f->public_key, WG_KEY_LEN);
		v[k].replace_allowedips = true;
		v[k].allowedips = f->allowedips;
		v[k].n_allowedips = f->n_allowedips;
		v[k].set_keepalive = f->persistent_keepalive != 0;
		v[k].keepalive = f->persistent_keepalive;
		if (f->preshared_key) {
			v[k].set_preshared_key = true;
			memcpy(v[k].preshared_key, f->preshared_key, WG_KEY_LEN);
		}
		++k;
	}
	*out = v;
	*n = k;
	return 0;
}

static void changes_wipe(struct wg_peer_change *v, size_t n)
{
	for (size_t i = 0; i < n; ++i)
		key_wipe(v[i].preshared_key, sizeof(v[i].preshared_key));
	free(v);
}

int peerops_reconcile_preview(struct peerops_ctx *ctx, enum drift_direction dir, char **out)
{
	char *buf = NULL, b64[WG_KEY_B64_LEN], label[64];
	size_t size = 0;
	FILE *f;
	struct op op;
	int ret;

	*out = NULL;
	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, &op, 0)) < 0 ||
	    (dir == DRIFT_TO_FILE && (ret = refuse_managed(ctx, &op, _("change the peers"))) < 0))
		goto out;
	if (!(f = open_memstream(&buf, &size))) {
		ret = -errno;
		goto out;
	}
	if (dir == DRIFT_TO_FILE) {
		size_t len;
		/* Both texts with their keys hidden: the preview shows what changes, no secret. */
		const char *before = wgconf_text(op.conf, &len);
		char *after, *shown_before = wgconf_hide_keys(before, len), *shown_after = NULL;

		if ((ret = reconcile_file(ctx, &op)) == 0) {
			after = wgconf_render(op.conf, &len);
			if (after)
				shown_after = wgconf_hide_keys(after, len);
			if (!shown_before || !shown_after ||
			    textdiff_unified(f, shown_before, shown_after, op.path, op.path, false) < 0)
				ret = -ENOMEM;
			wgconf_free_text(after, len);
			free(shown_after);
		}
		free(shown_before);
	} else {
		struct wg_peer_change *v = NULL;
		size_t n = 0;

		if ((ret = reconcile_live(&op, &v, &n)) == 0)
			for (size_t i = 0; i < n; ++i) {
				char list[256];

				key_to_base64(b64, v[i].public_key);
				format_list(list, sizeof(list), v[i].allowedips, v[i].n_allowedips);
				if (v[i].remove)
					fprintf(f, _("- remove from %s: %s (%s)\n"), ctx->iface,
						peer_label(&op, v[i].public_key, label, sizeof(label)), b64);
				else
					fprintf(f, _("+ add to %s: %s (%s) allowed IPs %s\n"), ctx->iface,
						peer_label(&op, v[i].public_key, label, sizeof(label)), b64, list);
			}
		changes_wipe(v, n);
	}
	if (fclose(f) != 0 && !ret)
		ret = -ENOMEM;
	if (ret == 0)
		*out = buf;
	else
		free(buf);
out:
	op_free(&op);
	return ret;
}

int peerops_reconcile(struct peerops_ctx *ctx, enum drift_direction dir)
{
	struct wg_peer_change *v = NULL;
	size_t n = 0;
	struct op op;
	int ret;

	errmsg_clear(&ctx->err);
	if ((ret = op_load(ctx, &op, 0)) < 0 ||
	    (dir == DRIFT_TO_FILE && (ret = refuse_managed(ctx, &op, _("change the peers"))) < 0))
		goto out;
	if (dir == DRIFT_TO_FILE) {
		if ((ret = reconcile_file(ctx, &op)) == 0)
			ret = op_write(ctx, &op);
		goto out;
	}
	if ((ret = reconcile_live(&op, &v, &n)) < 0 || !n)
		goto out;
	if ((ret = backend_set_peers(ctx->iface, v, n)) < 0) {
		size_t after = op.dev->n_peers;

		for (size_t i = 0; i < n; ++i)
			after = v[i].remove ? after - 1 : after + 1;
		/* As for peer add: wireguard-go's MaxPeers is a bare EINVAL; removals went first. */
		if (ret == -EINVAL && op.dev->backend == WG_BACKEND_USERSPACE && after > WIREGUARD_GO_MAX_PEERS) {
			say(ctx, _("%s would have %zu peers, more than wireguard-go holds on one interface (%u): it "
				   "refused the first peer beyond that, and the changes before it were made; remove "
				   "peers from the file, or run the hub on the kernel's WireGuard"),
			    ctx->iface, after, (unsigned int)WIREGUARD_GO_MAX_PEERS);
			ret = -ENOSPC;
			goto out;
		}
		say(ctx, _("changing the peers of %s failed: %s"), ctx->iface, text_strerror(-ret));
		goto out;
	}
	sync_counting(ctx);
out:
	changes_wipe(v, n);
	op_release(ctx, &op, ret);
	return ret;
}
