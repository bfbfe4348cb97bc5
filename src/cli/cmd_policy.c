// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top policy: the hub policy shown with its counters, checked, asked about, and edited like sudoers. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include "atomic.h"
#include "cmd.h"
#include "firewall.h"
#include "format.h"
#include "i18n.h"
#include "policy_io.h"
#include "prefix.h"
#include "text.h"

/* What the template of a new policy file says. */
static const char policy_template[] =
	"# wgstar hub policy: who may reach whom through the hub. See wgstar-top(8).\n"
	"#\n"
	"# [wg0]\n"
	"# Default = deny\n"
	"# Group = laptops: alice, bob\n"
	"# Group = servers: nas, 10.172.16.40/32\n"
	"# Allow = laptops -> servers tcp/22 tcp/443 icmp\n"
	"# Allow = alice <-> bob\n"
	"# Deny = * -> hub tcp/22\n"
	"# Test = alice -> nas tcp/22 allow\n";

static const char *policy_path(const struct cmd_args *a)
{
	return a->opt[OPT_POLICY] ? a->opt[OPT_POLICY] : POLICY_PATH;
}

/* A peer as people know it: its name, else the start of its key; an address no peer holds as itself. */
static const char *who(const struct wg_device *dev, uint8_t family, const uint8_t *addr, bool hub_if_none,
		       char *buf, size_t len)
{
	struct wg_allowedip a = { .family = family, .cidr = family == AF_INET ? 32 : 128 };
	const struct wg_peer *peer;

	memcpy(family == AF_INET ? (void *)&a.ip4 : (void *)&a.ip6, addr, family == AF_INET ? 4 : 16);
	peer = dev ? policy_owner(dev, &a) : NULL;
	if (peer && peer->name)
		return text_safe(buf, len, peer->name);
	if (peer)
		return format_key_short(buf, len, peer->public_key, false);
	if (hub_if_none)
		return "hub";
	prefix_format(&a, buf, len);
	buf[strcspn(buf, "/")] = '\0';
	return buf;
}

static const struct policy_hits *hits_of(const struct policy_reading *r, const char *chain)
{
	for (size_t i = 0; i < r->n_hits; ++i)
		if (!strcmp(r->hits[i].chain, chain))
			return &r->hits[i];
	return NULL;
}

static void show_iface(const struct policy_iface *pi, size_t index, const struct wg_device *dev,
		       const struct policy_reading *r, const char *state)
{
	char chain[32], text[512], shown[1024], a[128], b[128];
	const struct policy_hits *h;

	printf("[%s]  %s\n", text_safe(shown, sizeof(shown), pi->name), state);
	snprintf(chain, sizeof(chain), "i%zu_default", index);
	h = r ? hits_of(r, chain) : NULL;
	if (pi->default_line)
		printf(_("Default = %s (line %u)"), pi->default_allow ? "allow" : "deny", pi->default_line);
	else
		printf(_("Default = allow (no Default line)"));
	if (h)
		printf(pi->default_allow ? _(", matched %llu new connections") : _(", refused %llu packets"),
		       (unsigned long long)h->packets);
	putchar('\n');
	if (pi->n_groups)
		printf("%s\n", _("Groups:"));
	for (size_t g = 0; g < pi->n_groups; ++g) {
		const struct policy_group *gr = &pi->groups[g];

		printf("  %s (line %u):", gr->name, gr->line);
		for (size_t m = 0; m < gr->n_members; ++m)
			printf("%s %s", m ? "," : "", text_safe(shown, sizeof(shown), gr->members[m].text));
		putchar('\n');
	}
	if (pi->n_rules)
		printf("%s\n", _("Rules (first match wins):"));
	for (size_t i = 0; i < pi->n_rules; ++i) {
		const struct policy_rule *rule = &pi->rules[i];

		snprintf(chain, sizeof(chain), "line%u", rule->line);
		h = r ? hits_of(r, chain) : NULL;
		printf("  %4u  %-56s", rule->line, text_safe(shown, sizeof(shown), policy_rule_format(rule, text, sizeof(text))));
		if (h)
			printf(rule->allow ? _("  matched %llu") : _("  refused %llu"), (unsigned long long)h->packets);
		putchar('\n');
	}
	if (pi->n_tests)
		printf(_("Tests: %zu, all pass\n"), pi->n_tests);
	if (!r || !dev)
		return;
	for (size_t i = 0, n = 0; i < r->n_denied; ++i) {
		const struct policy_denied *d = &r->denied[i];
		struct wg_allowedip src = { .family = d->family, .cidr = d->family == AF_INET ? 32 : 128 };

		memcpy(d->family == AF_INET ? (void *)&src.ip4 : (void *)&src.ip6, d->saddr, d->family == AF_INET ? 4 : 16);
		if (!policy_owner(dev, &src))
			continue;
		if (!n++)
			printf("%s\n", _("Refused in the last 2 minutes:"));
		printf(_("  %s -> %s: %llu packets, %llu bytes\n"), who(dev, d->family, d->saddr, false, a, sizeof(a)),
		       who(dev, d->family, d->daddr, true, b, sizeof(b)), (unsigned long long)d->packets,
		       (unsigned long long)d->bytes);
	}
}

static int show(const struct cmd_args *a, struct wg_snapshot *snap)
{
	struct policy_reading r = { 0 };
	struct policy_set ps = { 0 };
	struct errmsg err;
	char want[POLICY_FP_LEN + 1] = "", shown[1024];
	const char *state;
	int ret;

	ret = policy_load(&ps, a->opt[OPT_POLICY], snap, POLICY_PREPARE_IGNORE_MISSING, &err);
	if (ret < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	if (!ps.present) {
		printf(_("no hub policy: there is no %s\n"), text_safe(shown, sizeof(shown), policy_path(a)));
		return EXIT_SUCCESS;
	}
	if ((ret = policy_read(&r)) < 0) {
		policy_set_free(&ps);
		return cmd_error(_("reading the policy table failed: %s"), text_strerror(-ret));
	}
	policy_nft_fingerprint(&ps.c, want);
	if (!r.present)
		state = _("not in force: apply it with 'wgstar-top firewall apply'");
	else if (strcmp(r.fp, want))
		state = _("the table in force is another: apply this one with 'wgstar-top firewall apply'");
	else
		state = _("in force");
	for (size_t i = 0, k = 0; i < ps.p.n; ++i) {
		const struct wg_device *dev = wg_snapshot_find_device(snap, ps.p.v[i].name);

		if (i)
			putchar('\n');
		if (!dev) {
			show_iface(&ps.p.v[i], 0, NULL, NULL, _("no such interface here: left out"));
			continue;
		}
		show_iface(&ps.p.v[i], k++, dev, r.present && !strcmp(r.fp, want) ? &r : NULL, state);
	}
	policy_reading_free(&r);
	policy_set_free(&ps);
	return EXIT_SUCCESS;
}

static int check(const struct cmd_args *a, struct wg_snapshot *snap)
{
	const char *path = a->n_pos ? a->pos[0] : policy_path(a);
	struct policy_set ps = { 0 };
	struct errmsg err;
	size_t groups = 0, rules = 0, tests = 0;
	char shown[1024];
	int ret;

	ret = policy_load(&ps, path, snap, 0, &err);
	if (ret < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	for (size_t i = 0; i < ps.p.n; ++i) {
		groups += ps.p.v[i].n_groups;
		rules += ps.p.v[i].n_rules;
		tests += ps.p.v[i].n_tests;
	}
	printf(_("%s: OK (interfaces %zu, groups %zu, rules %zu, tests %zu: all pass)\n"),
	       text_safe(shown, sizeof(shown), path), ps.p.n, groups, rules, tests);
	policy_set_free(&ps);
	return EXIT_SUCCESS;
}

/* An address as people write a host: no /32, no /128. */
static const char *host(const struct wg_allowedip *a, char *buf, size_t len)
{
	prefix_format(a, buf, len);
	if (a->cidr == (a->family == AF_INET ? 32 : 128))
		buf[strcspn(buf, "/")] = '\0';
	return buf;
}

static const char *verdict_word(enum policy_verdict v)
{
	return v == POLICY_ALLOWED ? "allow" : v == POLICY_DENIED ? "deny" : "untouched";
}

static void print_verdict(const struct policy_iface *pi, const struct policy_point *s, const struct policy_point *d,
			  const char *service, enum policy_verdict v, unsigned int line)
{
	char sa[64], da[64], text[512], shown[1024];

	printf("%s %s -> %s %s: %s", s->addr.family == AF_INET ? "IPv4" : "IPv6", host(&s->addr, sa, sizeof(sa)),
	       d->hub ? "hub" : host(&d->addr, da, sizeof(da)), service, verdict_word(v));
	if (v == POLICY_UNTOUCHED) {
		printf(_(" (no rule names it: the host's firewall decides)\n"));
		return;
	}
	for (size_t i = 0; i < pi->n_rules; ++i)
		if (pi->rules[i].line == line) {
			printf(_(", line %u: %s\n"), line,
			       text_safe(shown, sizeof(shown), policy_rule_format(&pi->rules[i], text, sizeof(text))));
			return;
		}
	if (line)
		printf(_(", line %u: Default = %s\n"), line, pi->default_allow ? "allow" : "deny");
	else
		printf(_(", no rule matches and there is no Default line: allow\n"));
}

static int test(const struct cmd_args *a, struct wg_snapshot *snap)
{
	static const int families[] = { AF_INET, AF_INET6 };
	const char *src = a->pos[0], *dst = a->pos[1], *service = a->n_pos > 2 ? a->pos[2] : NULL;
	struct policy_service sv = { 0 };
	struct policy_set ps = { 0 };
	struct errmsg err;
	char shown[1024];
	bool judged = false;
	int ret;

	if (service && (!policy_parse_service(&sv, service) || (sv.proto != POLICY_ICMP && sv.lo != sv.hi)))
		return cmd_usage_error(_("'%s' is no single service: tcp/N, udp/N or icmp"),
				       text_safe(shown, sizeof(shown), service));
	ret = policy_load(&ps, a->opt[OPT_POLICY], snap, POLICY_PREPARE_IGNORE_MISSING | POLICY_PREPARE_NO_COMPILE,
			  &err);
	if (ret < 0)
		return cmd_error("%s", errmsg_or(&err, ret));
	if (!ps.present)
		return cmd_error(_("no hub policy: there is no %s"), text_safe(shown, sizeof(shown), policy_path(a)));
	for (size_t i = 0; i < ps.p.n && !judged; ++i) {
		const struct policy_iface *pi = &ps.p.v[i];
		const struct wg_device *dev = wg_snapshot_find_device(snap, pi->name);

		if (!dev || !pi->resolved || (a->opt[OPT_IFACE] && strcmp(a->opt[OPT_IFACE], pi->name)))
			continue;
		for (size_t f = 0; f < 2; ++f) {
			struct policy_point s, d;
			unsigned int line;
			enum policy_verdict v;

			if (policy_point_parse(&s, dev, src, families[f]) < 0 || s.hub ||
			    policy_point_parse(&d, dev, dst, families[f]) < 0)
				continue;
			v = policy_verdict(pi, dev, &s, &d, service ? sv.proto : 0, sv.lo, &line);
			print_verdict(pi, &s, &d, service ? service : _("(any other protocol)"), v, line);
			judged = true;
		}
	}
	policy_set_free(&ps);
	if (!judged)
		return cmd_error(_("%s and %s are not both peers, addresses or hub of an interface the policy names "
				   "(hub is a destination only)"),
				 text_safe(shown, sizeof(shown), src), dst);
	return EXIT_SUCCESS;
}

/* --- edit, the way visudo does --- */

static int run_editor(const char *file)
{
	const char *editor = getenv("VISUAL");
	int status;
	pid_t pid;

	if (!editor || !editor[0])
		editor = getenv("EDITOR");
	if (!editor || !editor[0])
		editor = "vi";
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		/* As visudo and git do: the editor's words through the shell, the file as its argument. */
		execl("/bin/sh", "sh", "-c", "exec $WGSTAR_EDITOR \"$1\"", "sh", file, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* e: edit again, x: leave without saving. Without a terminal to ask on: x. */
static char ask_again(void)
{
	char line[32];

	if (!isatty(STDIN_FILENO))
		return 'x';
	for (;;) {
		printf("%s", _("What now? (e)dit again, e(x)it without saving: "));
		fflush(stdout);
		if (!fgets(line, sizeof(line), stdin))
			return 'x';
		if (line[0] == 'e' || line[0] == 'x')
			return line[0];
	}
}

static int edit(const struct cmd_args *a, struct wg_snapshot *snap)
{
	const char *path = policy_path(a);
	char *old = NULL, *text = NULL, tmp[4096], shown[1024];
	const char *editor = getenv("VISUAL");
	size_t old_len = 0, len = 0;
	struct file_stamp stamp;
	struct policy_set ps = { 0 };
	struct errmsg err;
	const char *slash;
	int fd, ret;

	ret = atomic_read_stamped(path, &old, &old_len, &stamp);
	if (ret < 0 && ret != -ENOENT)
		return cmd_error(_("reading %s failed: %s"), text_safe(shown, sizeof(shown), path), text_strerror(-ret));
	/* The copy beside the file, private, so that saving it is a rename away. */
	slash = strrchr(path, '/');
	if (slash)
		snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path), path, slash + 1);
	else
		snprintf(tmp, sizeof(tmp), ".%s.XXXXXX", path);
	if (slash && slash != path) {
		char dir[4096];

		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			ret = -errno;
			free(old);
			return cmd_error(_("creating %s failed: %s"), text_safe(shown, sizeof(shown), dir), text_strerror(-ret));
		}
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		free(old);
		return cmd_error(_("creating a copy beside %s failed: %s"), text_safe(shown, sizeof(shown), path),
				 text_strerror(-ret));
	}
	{
		const char *data = old ? old : policy_template;
		size_t n = old ? old_len : strlen(policy_template);

		if (write(fd, data, n) != (ssize_t)n) {
			ret = -errno;
			close(fd);
			unlink(tmp);
			free(old);
			return cmd_error(_("writing %s failed: %s"), tmp, text_strerror(-ret ? -ret : EIO));
		}
	}
	close(fd);
	if (!editor || !editor[0])
		editor = getenv("EDITOR");
	setenv("WGSTAR_EDITOR", editor && editor[0] ? editor : "vi", 1);
	for (;;) {
		if ((ret = run_editor(tmp)) != 0) {
			cmd_note(_("the editor failed (status %d); %s is unchanged"), ret, text_safe(shown, sizeof(shown), path));
			ret = EXIT_FAILURE;
			goto out;
		}
		free(text);
		text = NULL;
		if ((ret = atomic_read(tmp, &text, &len)) < 0) {
			ret = cmd_error(_("reading %s failed: %s"), tmp, text_strerror(-ret));
			goto out;
		}
		if (old && len == old_len && !memcmp(text, old, len)) {
			printf(_("%s unchanged\n"), text_safe(shown, sizeof(shown), path));
			ret = EXIT_SUCCESS;
			goto out;
		}
		ret = policy_load_text(&ps, path, text, len, snap, 0, &err);
		if (!ret)
			break;
		fprintf(stderr, "%s\n", errmsg_or(&err, ret));
		if (ask_again() != 'e') {
			printf(_("%s unchanged\n"), text_safe(shown, sizeof(shown), path));
			ret = EXIT_FAILURE;
			goto out;
		}
	}
	ret = atomic_replace(path, text, len, 0644, &stamp);
	if (ret == -ESTALE) {
		ret = cmd_error(_("%s changed while you edited it; your copy is %s"), text_safe(shown, sizeof(shown), path), tmp);
		policy_set_free(&ps);
		free(old);
		free(text);
		return ret;
	}
	if (ret < 0) {
		ret = cmd_error(_("writing %s failed: %s"), text_safe(shown, sizeof(shown), path), text_strerror(-ret));
		goto out;
	}
	printf(_("%s written\n"), text_safe(shown, sizeof(shown), path));
	fflush(stdout);
	ret = cmd_firewall_change(a, snap, FIREWALL_WANT_POLICY, &ps, false);
out:
	unlink(tmp);
	policy_set_free(&ps);
	free(old);
	free(text);
	return ret;
}

int cmd_policy(const struct cmd *c, const struct cmd_args *a)
{
	struct wg_snapshot *snap = NULL;
	int ret;

	if (!strcmp(c->name, "policy edit") && a->opt[OPT_READ_ONLY])
		return cmd_error(_("--read-only: not editing the policy"));
	if ((ret = cmd_snapshot(&snap, a)))
		return ret;
	if (!strcmp(c->name, "policy show"))
		ret = show(a, snap);
	else if (!strcmp(c->name, "policy check"))
		ret = check(a, snap);
	else if (!strcmp(c->name, "policy test"))
		ret = test(a, snap);
	else
		ret = edit(a, snap);
	wg_snapshot_free(snap);
	return ret;
}
