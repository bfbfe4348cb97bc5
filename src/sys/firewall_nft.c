// SPDX-License-Identifier: GPL-2.0-or-later
/* Firewall changes in the kernel: the ruleset listed with its generation, a plan proposed, validated, committed. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <nftables/libnftables.h>
#include "counters.h"
#include "dynlib.h"
#include "firewall_nft.h"
#include "nft.h"
#include "policy_nft.h"

/*
 * libnftables is loaded when a ruleset is first listed or a script run, not when the program
 * starts: it and the three libraries it needs (libxtables, libjansson, libgmp) cost every start
 * some 2 ms (ten times that under an emulated CPU), for `--once`, the console and the peer
 * commands, which read counters through libnftnl and list nothing.
 */
#define LIBNFTABLES_SONAME "libnftables.so.1"

#define NFTABLES_FUNCTIONS(X) \
	X(ctx_new) X(ctx_free) X(ctx_buffer_output) X(ctx_buffer_error) X(ctx_get_output_buffer) \
	X(ctx_get_error_buffer) X(ctx_output_get_flags) X(ctx_output_set_flags) X(run_cmd_from_buffer)

static struct {
#define X(f) __typeof__(nft_##f) *f;
	NFTABLES_FUNCTIONS(X)
#undef X
	bool ok;
} nftables;
static pthread_once_t nftables_once = PTHREAD_ONCE_INIT;

static void nftables_load(void)
{
	static const struct dynlib_fn fns[] = {
#define X(f) { "nft_" #f, (void **)&nftables.f },
		NFTABLES_FUNCTIONS(X)
#undef X
	};

	nftables.ok = dynlib_load(LIBNFTABLES_SONAME, fns, sizeof(fns) / sizeof(fns[0]), NULL, 0);
}

int firewall_scripts_ready(void)
{
	pthread_once(&nftables_once, nftables_load);
	return nftables.ok ? 0 : -ELIBACC;
}

/*
 * A libnftables context with its output and errors buffered: -ELIBACC without the library
 * (strerror: "Can not access a needed shared library"), -ENOMEM.
 */
static int nftables_ctx(struct nft_ctx **ctx)
{
	int ret = firewall_scripts_ready();

	if (ret < 0)
		return ret;
	*ctx = nftables.ctx_new(NFT_CTX_DEFAULT);
	if (!*ctx)
		return -ENOMEM;
	if (nftables.ctx_buffer_output(*ctx) || nftables.ctx_buffer_error(*ctx)) {
		nftables.ctx_free(*ctx);
		return -ENOMEM;
	}
	return 0;
}

/*
 * One listing through libnftables: cmd ("list ruleset", "list table inet x"), terse (named
 * sets without their elements: ten thousand peers' addresses say nothing in a diff, and take
 * most of the time) or whole.
 */
static int list_once(const char *cmd, bool terse, char **out)
{
	struct nft_ctx *ctx;
	const char *text;
	int ret;

	if ((ret = nftables_ctx(&ctx)) < 0)
		return ret;
	if (terse)
		nftables.ctx_output_set_flags(ctx, nftables.ctx_output_get_flags(ctx) | NFT_CTX_OUTPUT_TERSE);
	if (nftables.run_cmd_from_buffer(ctx, cmd)) {
		text = nftables.ctx_get_error_buffer(ctx);
		ret = text && strstr(text, "Operation not permitted") ? -EPERM : -EIO;
		goto out;
	}
	text = nftables.ctx_get_output_buffer(ctx);
	*out = strdup(text ? text : "");
	if (!*out)
		ret = -ENOMEM;
out:
	nftables.ctx_free(ctx);
	return ret;
}

/*
 * Each line of cmds by list_once, the outputs one after another. One by one: nft 1.0.6 fills its
 * cache for the last of several "list map" commands only and fails the others.
 */
static int list_lines(const char *cmds, char **out)
{
	size_t n = 0;
	int ret = 0;

	*out = strdup("");
	for (const char *p = cmds; *out && *p && !ret;) {
		size_t len = strcspn(p, "\n"), m;
		char *cmd = strndup(p, len), *text = NULL, *grown;

		p += len + (p[len] == '\n');
		ret = cmd ? list_once(cmd, false, &text) : -ENOMEM;
		free(cmd);
		if (ret < 0)
			break;
		m = strlen(text);
		grown = realloc(*out, n + m + 1);
		if (grown) {
			memcpy(grown + n, text, m + 1);
			n += m;
		} else {
			free(*out);
		}
		*out = grown;
		free(text);
	}
	if (!ret && !*out)
		ret = -ENOMEM;
	if (ret) {
		free(*out);
		*out = NULL;
	}
	return ret;
}

int firewall_list(char **out, uint32_t *genid)
{
	struct nft_sock s;
	uint32_t g1, g2;
	int ret, tries = 0;

	*out = NULL;
	if ((ret = nft_open(&s)) < 0)
		return ret;
	do {
		free(*out);
		*out = NULL;
		if ((ret = nft_get_genid(&s, &g1)) < 0 || (ret = list_once("list ruleset", true, out)) < 0 ||
		    (ret = nft_get_genid(&s, &g2)) < 0)
			goto out;
	} while (g1 != g2 && ++tries < 10);
	if (g1 != g2)
		ret = -EAGAIN;
	*genid = g1;
out:
	nft_close(&s);
	if (ret) {
		free(*out);
		*out = NULL;
	}
	return ret;
}

/* A pipe and a child process: 0 in the child, the child's pid in the parent, or -errno. */
pid_t firewall_fork_piped(int fds[2])
{
	pid_t pid;
	int err;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(fds[0]);
		close(fds[1]);
		return -err;
	}
	return pid;
}

/*
 * What one change puts in, as nft prints it: made in a network namespace of its own that dies
 * with the child doing it, so that the preview is the kernel's and nft's own word.
 */
static int render(const struct firewall_plan *one, const struct wg_snapshot *snap, const char *list, char **out)
{
	size_t cap = 65536, n = 0;
	int fds[2], status, ret = 0;
	char *buf;
	pid_t pid;

	pid = firewall_fork_piped(fds);
	if (pid < 0)
		return (int)pid;
	if (!pid) {
		struct nft_batch b;
		struct nft_error err;
		struct nft_sock s;
		char *text = NULL;
		uint32_t genid;

		close(fds[0]);
		/* What failed goes back as the exit status: its errno (all of them are below 256). */
		if (unshare(CLONE_NEWNET) < 0)
			_exit(errno);
		if ((ret = nft_open(&s)) < 0 || (ret = nft_batch_init(&b, 1, false, 0)) < 0 ||
		    (ret = firewall_build_changes(&b, one, snap, false, false)) < 0 ||
		    (ret = nft_batch_end(&b, true)) < 0 || (ret = nft_send(&s, &b, NULL, NULL, &err)) < 0 ||
		    (ret = list ? list_lines(list, &text) : firewall_list(&text, &genid)) < 0)
			_exit(-ret < 256 ? -ret : EIO);
		for (size_t off = 0, len = strlen(text); off < len;) {
			ssize_t w = write(fds[1], text + off, len - off);

			if (w <= 0)
				_exit(EIO);
			off += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	buf = malloc(cap);
	for (;;) {
		ssize_t r;

		if (!buf) {
			ret = -ENOMEM;
			break;
		}
		if (cap - n < 4096) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fds[0], buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (!ret && !WIFEXITED(status))
		ret = -EIO;
	else if (!ret && WEXITSTATUS(status))
		ret = -WEXITSTATUS(status);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

/* The change into the plan, and what it puts in appended to the listing after it. */
static int add_table(struct firewall_plan *plan, const struct firewall_change *c, const struct wg_snapshot *snap)
{
	struct firewall_plan one = { .n = 1, .policy = plan->policy };
	struct firewall_change alone = *c;
	char *table = NULL, *next;
	size_t len;
	int ret;

	/* The scratch namespace starts empty: what replaces a table there is simply added. */
	if (alone.kind == FIREWALL_POLICY_REPLACE)
		alone.kind = FIREWALL_POLICY_INSTALL;
	one.v = &alone;
	/* The policy table without its maps' elements, each map with their count instead. */
	one.preview = alone.kind == FIREWALL_POLICY_INSTALL;
	if ((ret = render(&one, snap, NULL, &table)) < 0)
		return ret;
	if (one.preview) {
		struct firewall_map_size *sizes = NULL;
		struct nft_batch scratch;
		size_t n_sizes = 0;
		char *noted;

		if ((ret = nft_batch_init(&scratch, 1, false, 0)) < 0) {
			free(table);
			return ret;
		}
		ret = policy_nft_build_preview(&scratch, plan->policy, &sizes, &n_sizes);
		nft_batch_free(&scratch);
		noted = ret < 0 ? NULL : firewall_text_note_sizes(table, POLICY_TABLE, sizes, n_sizes);
		free(sizes);
		free(table);
		if (!noted)
			return ret < 0 ? ret : -ENOMEM;
		table = noted;
	}
	len = strlen(plan->after) + strlen(table) + 1;
	next = malloc(len);
	if (!next || (ret = firewall_plan_add(plan, c)) < 0) {
		free(next);
		free(table);
		return ret ? ret : -ENOMEM;
	}
	snprintf(next, len, "%s%s", plan->after, table);
	free(table);
	free(plan->after);
	plan->after = next;
	return 0;
}

static int drop_table(struct firewall_plan *plan, const struct firewall_change *c, const char *name)
{
	char *next = firewall_text_remove_table(plan->after, NFPROTO_INET, name);
	int ret;

	if (!next)
		return -ENOMEM;
	if ((ret = firewall_plan_add(plan, c)) < 0) {
		free(next);
		return ret;
	}
	free(plan->after);
	plan->after = next;
	return 0;
}

/* The policy table as policy compiles, or none: installed, replaced, removed, or left. */
static int propose_policy(struct firewall_plan *plan, const struct wg_snapshot *snap)
{
	struct firewall_change c = { .family = NFPROTO_INET };
	char have[20], want[POLICY_FP_LEN + 1] = "";
	bool present = firewall_policy_present(plan->before, have);
	int ret;

	strcpy(c.table, POLICY_TABLE);
	if (plan->policy && plan->policy->n && (ret = policy_nft_fingerprint(plan->policy, want)) < 0)
		return ret;
	if (!want[0]) {
		if (!present)
			return 0;
		if ((ret = list_once("list table inet " POLICY_TABLE, false, &plan->policy_before)) < 0)
			return ret;
		c.kind = FIREWALL_POLICY_REMOVE;
		return drop_table(plan, &c, POLICY_TABLE);
	}
	if (present && !strcmp(have, want))
		return 0;
	/* What the guard puts back should the change not be confirmed: the table whole. */
	if (present && (ret = list_once("list table inet " POLICY_TABLE, false, &plan->policy_before)) < 0)
		return ret;
	memcpy(c.fp, want, sizeof(want));
	if (present) {
		char *next = firewall_text_remove_table(plan->after, NFPROTO_INET, POLICY_TABLE);

		if (!next)
			return -ENOMEM;
		free(plan->after);
		plan->after = next;
		c.kind = FIREWALL_POLICY_REPLACE;
	} else {
		c.kind = FIREWALL_POLICY_INSTALL;
	}
	return add_table(plan, &c, snap);
}

/* An accept for IFACE -> IFACE in every forward chain that would drop it and has none. */
static int propose_accept(struct firewall_plan *plan, const struct wg_snapshot *snap)
{
	const char *ifaces[8];
	struct firewall_chain *chains = NULL;
	size_t n_chains = 0, n_ifaces = 0;
	int ret;

	for (size_t d = 0; d < snap->n_devices && n_ifaces < 8; ++d)
		ifaces[n_ifaces++] = snap->devices[d]->name;
	if ((ret = firewall_forward_chains(plan->before, ifaces, n_ifaces, &chains, &n_chains)) < 0)
		return ret;
	for (size_t i = 0; i < n_chains && !ret; ++i) {
		const struct firewall_chain *ch = &chains[i];

		if (!ch->policy_drop)
			continue;
		for (size_t k = 0; k < n_ifaces && !ret; ++k) {
			struct firewall_change c = { .kind = FIREWALL_ACCEPT_STAR, .family = ch->family, .xtables = ch->xtables };
			char rule[128], *next;

			if (ch->accepts_star[k])
				continue;
			strcpy(c.table, ch->table);
			strcpy(c.chain, ch->chain);
			memcpy(c.iface, ifaces[k], strnlen(ifaces[k], IFNAMSIZ - 1));
			snprintf(rule, sizeof(rule), "iifname \"%s\" oifname \"%s\" %saccept", c.iface, c.iface,
				 c.xtables ? "counter packets 0 bytes 0 " : "");
			next = firewall_text_add_rule(plan->after, c.family, c.table, c.chain, rule);
			if (!next || (ret = firewall_plan_add(plan, &c)) < 0) {
				ret = ret ? ret : -ENOMEM;
				free(next);
				break;
			}
			free(plan->after);
			plan->after = next;
		}
	}
	free(chains);
	return ret;
}

/*
 * Whether the counting table there is not the one this wgstar installs: an earlier version's
 * layout (whose rules count the same: unsharded sets are slow to read on a big hub, the layout
 * before cost more per packet), or one changed by hand.
 * Its sets, maps, chains and rules are compared with the table as built in a scratch namespace:
 * the sets without their elements (they follow the peers), the maps with theirs (they send each
 * packet to its shard's chain; an emptied one leaves the table counting nothing).
 */
static int counting_stale(const struct firewall_plan *plan, bool *stale)
{
	struct firewall_change c = { .kind = FIREWALL_INSTALL_COUNTING, .family = NFPROTO_INET };
	struct firewall_plan one = { .n = 1, .v = &c };
	struct wg_snapshot *none = wg_snapshot_new();
	char *fresh = NULL, *want = NULL, *have = NULL, *maps = NULL, *want_maps = NULL, *have_maps = NULL;
	int ret;

	if (!none)
		return -ENOMEM;
	strcpy(c.table, COUNTERS_TABLE);
	ret = render(&one, none, NULL, &fresh);
	if (ret < 0)
		goto out;
	want = firewall_text_table(fresh, NFPROTO_INET, COUNTERS_TABLE);
	have = firewall_text_table(plan->before, NFPROTO_INET, COUNTERS_TABLE);
	if (!want || !have) {
		ret = -ENOMEM;
		goto out;
	}
	*stale = !firewall_same_ruleset(have, want);
	if (*stale)
		goto out;
	/* The same maps by name: their elements, as nft lists them, there and as built. */
	if (!(maps = firewall_text_maps_cmd(want, NFPROTO_INET, COUNTERS_TABLE))) {
		ret = -ENOMEM;
		goto out;
	}
	if (!*maps || (ret = render(&one, none, maps, &want_maps)) < 0)
		goto out;
	ret = list_lines(maps, &have_maps);
	if (ret == -EIO) {
		ret = 0;	/* changed since the listing: not as built, whatever it is now */
		*stale = true;
	} else if (!ret) {
		*stale = strcmp(have_maps, want_maps) != 0;
	}
out:
	wg_snapshot_free(none);
	free(fresh);
	free(want);
	free(have);
	free(maps);
	free(want_maps);
	free(have_maps);
	return ret;
}

int firewall_propose(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int wants,
		     const struct policy_compiled *policy)
{
	bool counting, stale = false;
	int ret;

	memset(plan, 0, sizeof(*plan));
	plan->wants = wants;
	plan->policy = policy;
	if ((ret = firewall_list(&plan->before, &plan->genid)) < 0)
		return ret;
	plan->after = strdup(plan->before);
	if (!plan->after) {
		ret = -ENOMEM;
		goto out;
	}
	counting = firewall_counting_present(plan->before);
	if ((wants & FIREWALL_WANT_COUNTING) && !(wants & FIREWALL_WANT_REMOVE) && counting &&
	    (ret = counting_stale(plan, &stale)) < 0)
		goto out;
	if (counting && ((wants & FIREWALL_WANT_REMOVE) || stale)) {
		struct firewall_change c = { .kind = FIREWALL_REMOVE_COUNTING, .family = NFPROTO_INET, .renew = stale };

		strcpy(c.table, COUNTERS_TABLE);
		/* What the guard puts back should the replacement not be confirmed: the table whole. */
		if (stale && (ret = list_once("list table inet " COUNTERS_TABLE, false, &plan->counting_before)) < 0)
			goto out;
		if ((ret = drop_table(plan, &c, COUNTERS_TABLE)) < 0)
			goto out;
	}
	if ((wants & FIREWALL_WANT_COUNTING) && (!counting || stale)) {
		struct firewall_change c = { .kind = FIREWALL_INSTALL_COUNTING, .family = NFPROTO_INET };

		strcpy(c.table, COUNTERS_TABLE);
		if ((ret = add_table(plan, &c, snap)) < 0)
			goto out;
	}
	if ((wants & FIREWALL_WANT_POLICY) && (ret = propose_policy(plan, snap)) < 0)
		goto out;
	if ((wants & FIREWALL_WANT_ACCEPT) && (ret = propose_accept(plan, snap)) < 0)
		goto out;
out:
	if (ret) {
		firewall_plan_free(plan);
		plan->wants = wants;
		plan->policy = policy;
	}
	return ret;
}

int firewall_run_script(const char *script, char *err, size_t len)
{
	struct nft_ctx *ctx;
	int ret;

	if (len)
		err[0] = '\0';
	if ((ret = nftables_ctx(&ctx)) < 0)
		return ret;
	if (nftables.run_cmd_from_buffer(ctx, script)) {
		const char *text = nftables.ctx_get_error_buffer(ctx);

		if (len)
			snprintf(err, len, "%s", text ? text : "");
		ret = -EIO;
	}
	nftables.ctx_free(ctx);
	return ret;
}

int firewall_send(struct firewall_plan *plan, const struct wg_snapshot *snap, bool commit, char *what, size_t len)
{
	struct nft_batch b = { 0 };
	struct nft_error err = { 0 };
	struct nft_sock s;
	int ret;

	if (len)
		what[0] = '\0';
	if ((ret = nft_open(&s)) < 0)
		return ret;
	if ((ret = nft_batch_init(&b, ++s.seq, true, plan->genid)) < 0 ||
	    (ret = firewall_build_changes(&b, plan, snap, false, commit)) < 0 || (ret = nft_batch_end(&b, commit)) < 0)
		goto out;
	s.seq = b.seq_next;
	ret = nft_send(&s, &b, firewall_echo_handles, plan, &err);
	if (ret && err.label && len)
		snprintf(what, len, "%s", err.label);
out:
	nft_batch_free(&b);
	nft_close(&s);
	return ret;
}

static bool same_changes(const struct firewall_plan *a, const struct firewall_plan *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; ++i)
		if (a->v[i].kind != b->v[i].kind || a->v[i].family != b->v[i].family ||
		    strcmp(a->v[i].table, b->v[i].table) || strcmp(a->v[i].chain, b->v[i].chain) ||
		    strcmp(a->v[i].iface, b->v[i].iface) || strcmp(a->v[i].fp, b->v[i].fp))
			return false;
	return true;
}

int firewall_commit(struct firewall_plan *plan, const struct wg_snapshot *snap, char *what, size_t len)
{
	int ret, tries = 0;

	/*
	 * wgstar itself keeps its sets in step with the peers (a console, a recorder): a preview
	 * overtaken only by that, or by traffic on counters, still says what the change does.
	 */
	while ((ret = firewall_send(plan, snap, true, what, len)) == -ERESTART && ++tries < 4) {
		struct firewall_plan fresh;

		if (firewall_propose(&fresh, snap, plan->wants, plan->policy) < 0)
			break;
		if (!firewall_same_ruleset(plan->before, fresh.before) || !same_changes(plan, &fresh)) {
			firewall_plan_free(&fresh);
			break;
		}
		firewall_plan_free(plan);
		*plan = fresh;
	}
	return ret;
}
