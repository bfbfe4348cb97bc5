// SPDX-License-Identifier: GPL-2.0-or-later
/* Firewall changes wgstar proposes: previewed as a diff, validated, applied atomically, guarded. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <nftables/libnftables.h>
#include "atomic.h"
#include "counters.h"
#include "firewall.h"
#include "i18n.h"
#include "nft.h"

#define GUARD_STATE "pending"
#define GUARD_BEFORE "before.nft"
#define GUARD_RESULT "result"

static const struct {
	uint8_t family;
	const char *name;
} families[] = {
	{ NFPROTO_IPV4, "ip" }, { NFPROTO_IPV6, "ip6" }, { NFPROTO_INET, "inet" },
	{ NFPROTO_ARP, "arp" }, { NFPROTO_BRIDGE, "bridge" }, { NFPROTO_NETDEV, "netdev" },
};

const char *firewall_family_name(uint8_t family)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); ++i)
		if (families[i].family == family)
			return families[i].name;
	return "?";
}

static int family_parse(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); ++i)
		if (strlen(families[i].name) == len && !strncmp(families[i].name, s, len))
			return families[i].family;
	return -1;
}

/* --- the listing, line by line --- */

/* "table FAMILY NAME {" at the start of a line: the family, and the name copied out. */
static int parse_table_line(const char *line, size_t len, char name[FIREWALL_NAME_LEN])
{
	const char *sp, *end = line + len;
	int family;
	size_t n;

	if (len < 9 || strncmp(line, "table ", 6) || line[len - 1] != '{' || line[len - 2] != ' ')
		return -1;
	line += 6;
	sp = memchr(line, ' ', (size_t)(end - line));
	if (!sp || (family = family_parse(line, (size_t)(sp - line))) < 0)
		return -1;
	n = (size_t)(end - 2 - (sp + 1));
	if (!n || n >= FIREWALL_NAME_LEN)
		return -1;
	memcpy(name, sp + 1, n);
	name[n] = '\0';
	return family;
}

static bool parse_chain_line(const char *line, size_t len, char name[FIREWALL_NAME_LEN])
{
	size_t n;

	if (len < 10 || strncmp(line, "\tchain ", 7) || strncmp(line + len - 2, " {", 2))
		return false;
	n = len - 9;
	if (!n || n >= FIREWALL_NAME_LEN)
		return false;
	memcpy(name, line + 7, n);
	name[n] = '\0';
	return true;
}

static bool has(const char *line, size_t len, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; i + n <= len; ++i)
		if (!memcmp(line + i, needle, n))
			return true;
	return false;
}

static bool ends_with(const char *line, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && !memcmp(line + len - n, suffix, n);
}

/* Walks the listing; cb sees every rule line of every base chain with its hook. */
struct walk {
	int family;
	char table[FIREWALL_NAME_LEN];
	char chain[FIREWALL_NAME_LEN];
	char hook[16];
	bool in_chain;
	bool policy_drop;
	const char *chain_start;	/* the "\tchain" line */
	const char *chain_end;		/* the closing "\t}" line */
};

static int walk_listing(const char *text, int (*cb)(struct walk *w, const char *line, size_t len, void *data),
			void *data)
{
	struct walk w = { .family = -1 };
	const char *p = text;
	int ret;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		int fam;

		/* A chain left open when its table ends is no chain. */
		if ((fam = parse_table_line(p, len, w.table)) >= 0) {
			w.family = fam;
			w.in_chain = false;
		} else if (len == 1 && p[0] == '}') {
			w.family = -1;
			w.in_chain = false;
		} else if (w.family >= 0 && parse_chain_line(p, len, w.chain)) {
			w.in_chain = true;
			w.hook[0] = '\0';
			w.policy_drop = false;
			w.chain_start = p;
		} else if (w.in_chain && len == 2 && p[0] == '\t' && p[1] == '}') {
			w.chain_end = p;
			if ((ret = cb(&w, NULL, 0, data)) < 0)
				return ret;
			w.in_chain = false;
		} else if (w.in_chain && len > 2 && !strncmp(p, "\t\ttype ", 7) && has(p, len, " hook ")) {
			const char *h = strstr(p, " hook ") + 6;
			/* A word of this line: the next line's text must not join it. */
			size_t n = strcspn(h, " \n");

			if (n >= sizeof(w.hook))
				n = 0;
			memcpy(w.hook, h, n);
			w.hook[n] = '\0';
			w.policy_drop = has(p, len, "policy drop;");
		} else if (w.in_chain && w.hook[0] && len > 2 && !strncmp(p, "\t\t", 2)) {
			if ((ret = cb(&w, p + 2, len - 2, data)) < 0)
				return ret;
		}
		p += len + (nl ? 1 : 0);
	}
	return 0;
}

struct chains_ctx {
	const char *const *ifaces;
	size_t n_ifaces;
	struct firewall_chain *v;
	size_t n;
	struct firewall_chain cur;
	const char *cur_start;		/* the chain cur is of; NULL when none */
};

static bool is_star_accept(const char *line, size_t len, const char *iface)
{
	char want[64];

	snprintf(want, sizeof(want), "iifname \"%s\" oifname \"%s\" accept", iface, iface);
	return (len == strlen(want) || (len > strlen(want) && line[strlen(want)] == ' ')) &&
	       !strncmp(line, want, strlen(want));
}

static int chains_cb(struct walk *w, const char *line, size_t len, void *data)
{
	struct chains_ctx *c = data;
	struct firewall_chain *v;

	if (strcmp(w->hook, "forward"))
		return 0;
	/* Keyed by the chain's line: one left open must not lend its rules to the next. */
	if (c->cur_start != w->chain_start) {
		memset(&c->cur, 0, sizeof(c->cur));
		c->cur.family = (uint8_t)w->family;
		strcpy(c->cur.table, w->table);
		strcpy(c->cur.chain, w->chain);
		c->cur.policy_drop = w->policy_drop;
		/* iptables-nft keeps its chains in upper case in its own tables. */
		c->cur.xtables = (w->family == NFPROTO_IPV4 || w->family == NFPROTO_IPV6) &&
				 !strcmp(w->chain, "FORWARD");
		c->cur_start = w->chain_start;
	}
	if (line) {
		for (size_t i = 0; i < c->n_ifaces && i < 8; ++i)
			if (is_star_accept(line, len, c->ifaces[i]))
				c->cur.accepts_star[i] = true;
		if (ends_with(line, len, " drop") || !strncmp(line, "drop", len) || has(line, len, "reject"))
			c->cur.drops = true;
		return 0;
	}
	v = realloc(c->v, (c->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->v = v;
	c->v[c->n++] = c->cur;
	c->cur_start = NULL;
	return 0;
}

int firewall_forward_chains(const char *ruleset, const char *const *ifaces, size_t n_ifaces,
			    struct firewall_chain **out, size_t *n)
{
	struct chains_ctx c = { .ifaces = ifaces, .n_ifaces = n_ifaces };
	int ret = walk_listing(ruleset, chains_cb, &c);

	if (ret < 0) {
		free(c.v);
		return ret;
	}
	*out = c.v;
	*n = c.n;
	return 0;
}

struct find_ctx {
	int family;
	const char *table;
	const char *chain;
	const char *end;
};

static int find_cb(struct walk *w, const char *line, size_t len, void *data)
{
	struct find_ctx *f = data;

	if (!line && w->family == f->family && !strcmp(w->table, f->table) && !strcmp(w->chain, f->chain))
		f->end = w->chain_end;
	return 0;
}

char *firewall_text_add_rule(const char *ruleset, uint8_t family, const char *table, const char *chain,
			     const char *rule)
{
	struct find_ctx f = { .family = family, .table = table, .chain = chain };
	size_t head, len;
	char *out;

	walk_listing(ruleset, find_cb, &f);
	if (!f.end)
		return NULL;
	head = (size_t)(f.end - ruleset);
	len = strlen(ruleset) + strlen(rule) + 4;
	out = malloc(len);
	if (!out)
		return NULL;
	snprintf(out, len, "%.*s\t\t%s\n%s", (int)head, ruleset, rule, ruleset + head);
	return out;
}

char *firewall_text_remove_table(const char *ruleset, uint8_t family, const char *table)
{
	const char *p = ruleset, *start = NULL;
	char name[FIREWALL_NAME_LEN];
	char *out;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!start && parse_table_line(p, len, name) == family && !strcmp(name, table)) {
			start = p;
		} else if (start && len == 1 && p[0] == '}') {
			size_t head = (size_t)(start - ruleset);
			const char *rest = p + len + (nl ? 1 : 0);

			out = malloc(head + strlen(rest) + 1);
			if (!out)
				return NULL;
			memcpy(out, ruleset, head);
			strcpy(out + head, rest);
			return out;
		}
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

struct port_ctx {
	const char *proto;
	unsigned int port;
	bool chain_drops;
	bool allowed;
	bool shut;
};

static bool line_lets_port(const char *line, size_t len, const char *proto, unsigned int port)
{
	char num[16];
	const char *d;

	if (!has(line, len, "accept"))
		return false;
	if (!strcmp(proto, "tcp") && has(line, len, "ct state") && has(line, len, "established"))
		return true;
	snprintf(num, sizeof(num), "%u", port);
	if (!has(line, len, "dport"))
		/* A bare accept (or one on an interface) lets everything in. */
		return !has(line, len, "saddr") && !has(line, len, "daddr") && !has(line, len, "ct ") &&
		       !has(line, len, "meta l4proto") && !has(line, len, "iifname \"lo\"");
	d = line;
	while ((d = memmem(d, len - (size_t)(d - line), num, strlen(num)))) {
		bool left = d == line || !(d[-1] >= '0' && d[-1] <= '9');
		bool right = (size_t)(d - line) + strlen(num) == len ||
			     !(d[strlen(num)] >= '0' && d[strlen(num)] <= '9');

		if (left && right && (has(line, len, proto) || has(line, len, "th dport")))
			return true;
		d += strlen(num);
	}
	return false;
}

static int port_cb(struct walk *w, const char *line, size_t len, void *data)
{
	struct port_ctx *c = data;

	if (strcmp(w->hook, "input") || !w->policy_drop)
		return 0;
	if (line) {
		c->allowed = c->allowed || line_lets_port(line, len, c->proto, c->port);
		return 0;
	}
	if (!c->allowed)
		c->shut = true;
	c->allowed = false;
	return 0;
}

bool firewall_port_shut(const char *ruleset, const char *proto, unsigned int port)
{
	struct port_ctx c = { .proto = proto, .port = port };

	walk_listing(ruleset, port_cb, &c);
	return c.shut;
}

/* SSH_CONNECTION is "client port server port": the server port is the one to keep open. */
static unsigned int ssh_port(void)
{
	const char *s = getenv("SSH_CONNECTION");
	unsigned int port = 0;
	char a[64], b[64];
	unsigned int p1;

	if (s && sscanf(s, "%63s %u %63s %u", a, &p1, b, &port) != 4)
		port = 0;
	return port;
}

__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*o >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	if (n > 0)
		*o += (size_t)n < len - *o ? (size_t)n : len - *o - 1;
}

int firewall_lockout_warnings(const struct firewall_plan *plan, const struct wg_snapshot *snap, char *buf, size_t len)
{
	unsigned int port = ssh_port();
	size_t o = 0;
	int n = 0;

	if (len)
		buf[0] = '\0';
	if (port && firewall_port_shut(plan->after, "tcp", port) && !firewall_port_shut(plan->before, "tcp", port)) {
		append(buf, len, &o, _("warning: the new ruleset would drop your ssh connection (TCP port %u)\n"), port);
		n++;
	}
	for (size_t i = 0; i < snap->n_devices; ++i) {
		port = snap->devices[i]->listen_port;
		if (port && firewall_port_shut(plan->after, "udp", port) &&
		    !firewall_port_shut(plan->before, "udp", port)) {
			append(buf, len, &o, _("warning: the new ruleset would drop WireGuard on %s (UDP port %u)\n"),
			       snap->devices[i]->name, port);
			n++;
		}
	}
	return n;
}

const char *firewall_change_describe(char *buf, size_t len, const struct firewall_change *c)
{
	switch (c->kind) {
	case FIREWALL_INSTALL_COUNTING:
		snprintf(buf, len, _("add table inet %s (counts forwarded traffic per peer; decides nothing)"),
			 COUNTERS_TABLE);
		break;
	case FIREWALL_REMOVE_COUNTING:
		snprintf(buf, len, "delete table inet %s", COUNTERS_TABLE);
		break;
	case FIREWALL_ACCEPT_STAR:
		snprintf(buf, len, "add rule %s %s %s iifname \"%s\" oifname \"%s\" accept",
			 firewall_family_name(c->family), c->table, c->chain, c->iface, c->iface);
		break;
	}
	return buf;
}

/* --- the kernel --- */

static int list_once(char **out)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	const char *text;
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		ret = -ENOMEM;
		goto out;
	}
	if (nft_run_cmd_from_buffer(ctx, "list ruleset")) {
		text = nft_ctx_get_error_buffer(ctx);
		ret = text && strstr(text, "Operation not permitted") ? -EPERM : -EIO;
		goto out;
	}
	text = nft_ctx_get_output_buffer(ctx);
	*out = strdup(text ? text : "");
	if (!*out)
		ret = -ENOMEM;
out:
	nft_ctx_free(ctx);
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
		if ((ret = nft_get_genid(&s, &g1)) < 0 || (ret = list_once(out)) < 0 ||
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

static int build_accept_rule(struct nft_batch *b, const struct firewall_change *c, uint16_t flags)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char name[IFNAMSIZ] = { 0 }, label[512];
	struct nlmsghdr *nlh;
	struct nftnl_expr *e;
	int ret = -ENOMEM;

	if (!r)
		return -ENOMEM;
	memcpy(name, c->iface, strnlen(c->iface, IFNAMSIZ - 1));
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, c->family);
	for (int i = 0; i < 2; ++i) {
		if (!(e = nftnl_expr_alloc("meta")))
			goto out;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, i ? NFT_META_OIFNAME : NFT_META_IIFNAME);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		nftnl_rule_add_expr(r, e);
		if (!(e = nftnl_expr_alloc("cmp")))
			goto out;
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, name, IFNAMSIZ);
		nftnl_rule_add_expr(r, e);
	}
	if (!(e = nftnl_expr_alloc("immediate")))
		goto out;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	nftnl_rule_add_expr(r, e);
	nlh = nft_batch_add(b, NFT_MSG_NEWRULE, c->family, flags, firewall_change_describe(label, sizeof(label), c));
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = 0;
out:
	nftnl_rule_free(r);
	return ret;
}

static int build_delete_rule(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
			     uint64_t handle)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	char label[600];
	int ret = 0;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	snprintf(label, sizeof(label), "delete rule %s %s %s handle %llu", firewall_family_name(family), table,
		 chain, (unsigned long long)handle);
	nlh = nft_batch_add(b, NFT_MSG_DELRULE, family, 0, label);
	if (!nlh)
		ret = -ENOMEM;
	else
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return ret;
}

/* The changes of a plan into a batch: forward, or undone. */
static int build_changes(struct nft_batch *b, const struct firewall_plan *plan, const struct wg_snapshot *snap,
			 bool undo, bool echo)
{
	struct counters_plan cp = { 0 };
	int ret = 0;

	for (size_t i = 0; i < plan->n && !ret; ++i) {
		const struct firewall_change *c = &plan->v[undo ? plan->n - 1 - i : i];
		enum firewall_kind k = c->kind;

		if (undo && k == FIREWALL_INSTALL_COUNTING)
			k = FIREWALL_REMOVE_COUNTING;
		else if (undo && k == FIREWALL_REMOVE_COUNTING)
			k = FIREWALL_INSTALL_COUNTING;
		switch (k) {
		case FIREWALL_INSTALL_COUNTING:
			if (!(ret = counters_plan_build(&cp, snap)))
				ret = counters_build_install(b, &cp);
			counters_plan_free(&cp);
			break;
		case FIREWALL_REMOVE_COUNTING:
			ret = counters_build_remove(b);
			break;
		case FIREWALL_ACCEPT_STAR:
			if (!undo)
				ret = build_accept_rule(b, c, NLM_F_CREATE | NLM_F_APPEND | (echo ? NLM_F_ECHO : 0));
			else if (c->handle)
				ret = build_delete_rule(b, c->family, c->table, c->chain, c->handle);
			break;
		}
	}
	return ret;
}

/* The counting table as nft prints it, made in a network namespace of its own that dies with it. */
/* A pipe and a child process: 0 in the child, the child's pid in the parent, or -errno. */
static pid_t fork_piped(int fds[2])
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

static int render_install(const struct wg_snapshot *snap, char **out)
{
	struct firewall_plan one = { .n = 1 };
	struct firewall_change c = { .kind = FIREWALL_INSTALL_COUNTING };
	size_t cap = 4096, n = 0;
	int fds[2], status, ret = 0;
	char *buf;
	pid_t pid;

	one.v = &c;
	pid = fork_piped(fds);
	if (pid < 0)
		return (int)pid;
	if (!pid) {
		struct nft_batch b;
		struct nft_error err;
		struct nft_sock s;
		char *text = NULL;
		uint32_t genid;

		close(fds[0]);
		if (unshare(CLONE_NEWNET) < 0 || nft_open(&s) < 0 || nft_batch_init(&b, 1, false, 0) < 0 ||
		    build_changes(&b, &one, snap, false, false) < 0 || nft_batch_end(&b, true) < 0 ||
		    nft_send(&s, &b, NULL, NULL, &err) < 0 || firewall_list(&text, &genid) < 0)
			_exit(1);
		for (size_t off = 0, len = strlen(text); off < len;) {
			ssize_t w = write(fds[1], text + off, len - off);

			if (w <= 0)
				_exit(1);
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
	if (!ret && (!WIFEXITED(status) || WEXITSTATUS(status)))
		ret = -EPERM;
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}

static int plan_add(struct firewall_plan *plan, const struct firewall_change *c)
{
	struct firewall_change *v = realloc(plan->v, (plan->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	plan->v = v;
	plan->v[plan->n++] = *c;
	return 0;
}

static bool counting_present(const char *ruleset)
{
	const char *p = ruleset;

	while ((p = strstr(p, "table inet " COUNTERS_TABLE " {\n")))
		if (p == ruleset || p[-1] == '\n')
			return true;
		else
			p++;
	return false;
}

int firewall_propose(struct firewall_plan *plan, const struct wg_snapshot *snap, bool remove)
{
	const char *ifaces[8];
	struct firewall_chain *chains = NULL;
	size_t n_chains = 0, n_ifaces = 0;
	char *next;
	int ret;

	memset(plan, 0, sizeof(*plan));
	if ((ret = firewall_list(&plan->before, &plan->genid)) < 0)
		return ret;
	plan->after = strdup(plan->before);
	if (!plan->after) {
		ret = -ENOMEM;
		goto out;
	}
	if (remove && counting_present(plan->before)) {
		struct firewall_change c = { .kind = FIREWALL_REMOVE_COUNTING, .family = NFPROTO_INET };

		strcpy(c.table, COUNTERS_TABLE);
		next = firewall_text_remove_table(plan->after, NFPROTO_INET, COUNTERS_TABLE);
		if (!next || (ret = plan_add(plan, &c)) < 0) {
			ret = ret ? ret : -ENOMEM;
			free(next);
			goto out;
		}
		free(plan->after);
		plan->after = next;
	}
	if (!remove && !counting_present(plan->before)) {
		struct firewall_change c = { .kind = FIREWALL_INSTALL_COUNTING, .family = NFPROTO_INET };
		char *table = NULL;
		size_t len;

		strcpy(c.table, COUNTERS_TABLE);
		if ((ret = render_install(snap, &table)) < 0)
			goto out;
		len = strlen(plan->after) + strlen(table) + 1;
		next = malloc(len);
		if (!next || (ret = plan_add(plan, &c)) < 0) {
			ret = ret ? ret : -ENOMEM;
			free(next);
			free(table);
			goto out;
		}
		snprintf(next, len, "%s%s", plan->after, table);
		free(table);
		free(plan->after);
		plan->after = next;
	}
	for (size_t d = 0; d < snap->n_devices && n_ifaces < 8; ++d)
		ifaces[n_ifaces++] = snap->devices[d]->name;
	if (remove)
		n_ifaces = 0;
	if ((ret = firewall_forward_chains(plan->before, ifaces, n_ifaces, &chains, &n_chains)) < 0)
		goto out;
	for (size_t i = 0; i < n_chains; ++i) {
		const struct firewall_chain *ch = &chains[i];

		/* A chain iptables-nft owns is changed with iptables; check says how. */
		if (!ch->policy_drop || ch->xtables)
			continue;
		for (size_t k = 0; k < n_ifaces; ++k) {
			struct firewall_change c = { .kind = FIREWALL_ACCEPT_STAR, .family = ch->family };
			char rule[96];

			if (ch->accepts_star[k])
				continue;
			strcpy(c.table, ch->table);
			strcpy(c.chain, ch->chain);
			memcpy(c.iface, ifaces[k], strnlen(ifaces[k], IFNAMSIZ - 1));
			snprintf(rule, sizeof(rule), "iifname \"%s\" oifname \"%s\" accept", c.iface, c.iface);
			next = firewall_text_add_rule(plan->after, c.family, c.table, c.chain, rule);
			if (!next || (ret = plan_add(plan, &c)) < 0) {
				ret = ret ? ret : -ENOMEM;
				free(next);
				goto out;
			}
			free(plan->after);
			plan->after = next;
		}
	}
out:
	free(chains);
	if (ret)
		firewall_plan_free(plan);
	return ret;
}

void firewall_plan_free(struct firewall_plan *plan)
{
	free(plan->v);
	free(plan->before);
	free(plan->after);
	memset(plan, 0, sizeof(*plan));
}

static int echo_cb(const struct nlmsghdr *nlh, void *data)
{
	struct firewall_plan *plan = data;
	struct nftnl_rule *r;
	const char *table, *chain;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || !(r = nftnl_rule_alloc()))
		return 0;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	for (size_t i = 0; table && chain && i < plan->n; ++i) {
		struct firewall_change *c = &plan->v[i];

		if (c->kind == FIREWALL_ACCEPT_STAR && !c->handle && c->family == nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) &&
		    !strcmp(c->table, table) && !strcmp(c->chain, chain)) {
			c->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			break;
		}
	}
out:
	nftnl_rule_free(r);
	return 0;
}

int firewall_send(struct firewall_plan *plan, const struct wg_snapshot *snap, bool commit, const char **what)
{
	struct nft_batch b = { 0 };
	struct nft_error err = { 0 };
	struct nft_sock s;
	int ret;

	*what = NULL;
	if ((ret = nft_open(&s)) < 0)
		return ret;
	if ((ret = nft_batch_init(&b, ++s.seq, true, plan->genid)) < 0 ||
	    (ret = build_changes(&b, plan, snap, false, commit)) < 0 || (ret = nft_batch_end(&b, commit)) < 0)
		goto out;
	s.seq = b.seq_next;
	ret = nft_send(&s, &b, echo_cb, plan, &err);
	if (ret && err.label) {
		static char label[512];

		snprintf(label, sizeof(label), "%s", err.label);
		*what = label;
	}
out:
	nft_batch_free(&b);
	nft_close(&s);
	return ret;
}

/* --- the guard --- */

const char *firewall_run_dir(void)
{
	const char *dir = getenv("WGSTAR_RUN_DIR");

	return dir && dir[0] ? dir : FIREWALL_RUN_DIR;
}

static char *run_path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", firewall_run_dir(), name);
	return buf;
}

/* Field 22 of /proc/PID/stat: with the pid, names one process even when pids are reused. */
static unsigned long long proc_start(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long start = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || p[2] == 'Z')
		return 0;
	for (int field = 2; p && field < 22; ++field)
		p = strchr(p + 1, ' ');
	if (p)
		start = strtoull(p + 1, NULL, 10);
	return start;
}

static int read_state(pid_t *pid, unsigned long long *start)
{
	char path[4096], *text;
	long long p;
	int ret;

	if ((ret = atomic_read(run_path(path, sizeof(path), GUARD_STATE), &text, NULL)) < 0)
		return ret;
	ret = sscanf(text, "%lld %llu", &p, start) == 2 && p > 1 ? 0 : -EBADMSG;
	*pid = (pid_t)p;
	free(text);
	return ret;
}

bool firewall_pending(void)
{
	unsigned long long start;
	pid_t pid;

	return !read_state(&pid, &start) && proc_start(pid) == start;
}

/* The result file: "OUTCOME WHY" on the first line (for the commands), then the log's words. */
static void guard_result(const char *outcome, const char *why, const char *text)
{
	char buf[640];

	snprintf(buf, sizeof(buf), "%s %s\n%s\n", outcome, why, text);
	atomic_write(firewall_run_dir(), GUARD_RESULT, buf, strlen(buf), 0600);
}

static void guard_rollback(struct firewall_plan *plan, const struct wg_snapshot *snap, const char *why)
{
	struct nft_batch b = { 0 };
	struct nft_error err = { 0 };
	struct nft_sock s;
	uint32_t genid;
	char *now = NULL, msg[512];
	bool same;
	int ret;

	if ((ret = nft_open(&s)) < 0)
		goto out;
	/* No generation here: the change must go whatever else happened meanwhile. */
	if ((ret = nft_batch_init(&b, ++s.seq, false, 0)) < 0 || (ret = build_changes(&b, plan, snap, true, false)) < 0 ||
	    (ret = nft_batch_end(&b, true)) < 0)
		goto out;
	s.seq = b.seq_next;
	ret = nft_send(&s, &b, NULL, NULL, &err);
out:
	nft_batch_free(&b);
	if (s.nl)
		nft_close(&s);
	if (ret < 0) {
		snprintf(msg, sizeof(msg), "firewall rollback (%s) failed: %s%s%s", why, strerror(-ret),
			 err.label ? ": " : "", err.label ? err.label : "");
		syslog(LOG_ERR, "%s", msg);
		guard_result("failed", why, msg);
		return;
	}
	same = !firewall_list(&now, &genid) && !strcmp(now, plan->before);
	free(now);
	snprintf(msg, sizeof(msg), same ? "firewall change rolled back (%s): the ruleset is as it was before" :
		 "firewall change rolled back (%s), but the ruleset differs from the one saved before it: "
		 "it was changed meanwhile", why);
	syslog(LOG_WARNING, "%s", msg);
	guard_result(same ? "same" : "differs", why, msg);
}

void firewall_undo(struct firewall_plan *plan, const struct wg_snapshot *snap)
{
	guard_rollback(plan, snap, "noguard");
}

static void guard_main(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout, int ready)
{
	struct timespec deadline, now, left;
	char path[4096], state[128];
	sigset_t set;
	int fd, sig;

	/* Nothing of the caller's is held open: a pipe it reads must see its end. */
	if (ready != 3 && dup2(ready, 3) == 3) {
		close(ready);
		ready = 3;
	}
	close_range(4, ~0U, 0);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 3)
			close(fd);
	}
	if (chdir("/") < 0)
		_exit(1);
	openlog("wgstar-top", LOG_PID, LOG_DAEMON);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	snprintf(state, sizeof(state), "%d %llu %lld\n", (int)getpid(), proc_start(getpid()),
		 (long long)time(NULL) + timeout);
	unlink(run_path(path, sizeof(path), GUARD_RESULT));
	if (atomic_write(firewall_run_dir(), GUARD_STATE, state, strlen(state), 0600) < 0) {
		guard_rollback(plan, snap, "its state could not be saved");
		_exit(1);
	}
	if (write(ready, "1", 1) != 1)
		syslog(LOG_WARNING, "the caller did not wait for the guard");
	close(ready);
	syslog(LOG_NOTICE, "firewall change applied; rolled back in %u s unless confirmed (wgstar-top firewall confirm)",
	       timeout);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		left.tv_sec = deadline.tv_sec - now.tv_sec;
		left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_sec--;
			left.tv_nsec += 1000000000L;
		}
		if (left.tv_sec < 0) {
			sig = 0;
			break;
		}
		sig = sigtimedwait(&set, NULL, &left);
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig < 0)
			sig = 0;
		break;
	}
	if (sig == SIGUSR1) {
		syslog(LOG_NOTICE, "firewall change confirmed");
		guard_result("confirmed", "-", "firewall change confirmed");
	} else {
		guard_rollback(plan, snap, sig == SIGUSR2 ? "asked" : sig ? "stopped" : "timeout");
	}
	unlink(run_path(path, sizeof(path), GUARD_STATE));
	_exit(0);
}

int firewall_save(const struct firewall_plan *plan)
{
	const char *dir = firewall_run_dir();

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return -errno;
	return atomic_write(dir, GUARD_BEFORE, plan->before, strlen(plan->before), 0600);
}

int firewall_guard_start(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout)
{
	int fds[2], status;
	char ok = 0;
	pid_t pid;

	pid = fork_piped(fds);
	if (pid < 0)
		return (int)pid;
	if (!pid) {
		/* Twice forked, in a session of its own: neither the caller's end nor its terminal's ends it. */
		close(fds[0]);
		setsid();
		pid = fork();
		if (pid < 0)
			_exit(1);
		if (pid)
			_exit(0);
		guard_main(plan, snap, timeout, fds[1]);
	}
	close(fds[1]);
	waitpid(pid, &status, 0);
	while (read(fds[0], &ok, 1) < 0 && errno == EINTR)
		;
	close(fds[0]);
	return ok == '1' ? 0 : -ECHILD;
}

int firewall_guard_signal(enum firewall_guard_cmd cmd, unsigned int wait_seconds)
{
	unsigned long long start;
	pid_t pid;
	int ret;

	ret = read_state(&pid, &start);
	if (ret == -ENOENT || (!ret && proc_start(pid) != start))
		return -ENOENT;
	if (ret < 0)
		return ret;
	if (kill(pid, cmd == FIREWALL_CONFIRM ? SIGUSR1 : SIGUSR2) < 0)
		return -errno;
	for (unsigned int i = 0; i < wait_seconds * 20; ++i) {
		if (proc_start(pid) != start)
			return 0;
		poll(NULL, 0, 50);
	}
	return -ETIMEDOUT;
}

int firewall_guard_result(char **out)
{
	char path[4096];

	return atomic_read(run_path(path, sizeof(path), GUARD_RESULT), out, NULL);
}
