// SPDX-License-Identifier: GPL-2.0-or-later
/* The firewall model: the ruleset text read and edited for previews, and the changes wgstar plans. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "counters.h"
#include "firewall.h"
#include "i18n.h"
#include "policy_nft.h"
#include "text.h"

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

/* iifname "X" oifname "X" [counter packets N bytes N] accept, as nft or iptables-nft wrote it. */
static bool is_star_accept(const char *line, size_t len, const char *iface)
{
	char head[64];
	size_t n = (size_t)snprintf(head, sizeof(head), "iifname \"%s\" oifname \"%s\" ", iface, iface);
	unsigned long long a, b;
	int used = 0;

	if (len < n || strncmp(line, head, n))
		return false;
	line += n;
	len -= n;
	if (len > 8 && !strncmp(line, "counter ", 8) &&
	    sscanf(line, "counter packets %llu bytes %llu %n", &a, &b, &used) == 2 && used && (size_t)used <= len) {
		line += used;
		len -= (size_t)used;
	}
	return len >= 6 && !strncmp(line, "accept", 6) && (len == 6 || line[6] == ' ');
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

/* Where a table's block starts and ends (past its closing line) in a listing; false when absent. */
static bool table_span(const char *ruleset, uint8_t family, const char *table, const char **from, const char **to)
{
	const char *p = ruleset, *start = NULL;
	char name[FIREWALL_NAME_LEN];

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (!start && parse_table_line(p, len, name) == family && !strcmp(name, table)) {
			start = p;
		} else if (start && len == 1 && p[0] == '}') {
			*from = start;
			*to = p + len + (nl ? 1 : 0);
			return true;
		}
		p += len + (nl ? 1 : 0);
	}
	return false;
}

char *firewall_text_table(const char *ruleset, uint8_t family, const char *table)
{
	const char *from, *to;

	if (!table_span(ruleset, family, table, &from, &to))
		return NULL;
	return strndup(from, (size_t)(to - from));
}

bool firewall_policy_present(const char *ruleset, char fp[20])
{
	const char *from, *to, *c;
	char comment[64];
	size_t n;

	fp[0] = '\0';
	if (!table_span(ruleset, NFPROTO_INET, POLICY_TABLE, &from, &to))
		return false;
	/* The table's comment is the line after its head. */
	c = strchr(from, '\n');
	if (!c || strncmp(c + 1, "\tcomment \"", 10))
		return true;
	c += 11;
	n = strcspn(c, "\"\n");
	if (n < sizeof(comment) && c[n] == '"') {
		memcpy(comment, c, n);
		comment[n] = '\0';
		if (!policy_nft_comment_fingerprint(comment, fp))
			fp[0] = '\0';
	}
	return true;
}

/* A growing string for the text edits below. */
struct sbuf {
	char *v;
	size_t n, cap;
	bool failed;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *v = realloc(b->v, cap);

		if (!v) {
			b->failed = true;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	memcpy(b->v + b->n, s, n);
	b->n += n;
	b->v[b->n] = '\0';
}

static char *sb_done(struct sbuf *b)
{
	if (b->failed || !b->v) {
		free(b->v);
		return b->failed ? NULL : strdup("");
	}
	return b->v;
}

static void sb_count(struct sbuf *b, size_t n)
{
	char line[96];

	sb_put(b, line, (size_t)snprintf(line, sizeof(line), FIREWALL_ELIDED_FMT "\n", n));
}

/*
 * A listed table with every counter from zero: "counter packets N bytes M" of rules and of set
 * elements alike. Counters put back with their values would be counted again by whoever reads
 * them as a running total (the usage ledger counts what grew since its last sample).
 */
static void sb_put_zeroed(struct sbuf *b, const char *text)
{
	static const char pk[] = "counter packets ", by[] = " bytes ";
	const char *p = text, *c;

	while ((c = strstr(p, pk))) {
		const char *n = c + sizeof(pk) - 1, *m;

		if (!isdigit((unsigned char)*n)) {
			sb_put(b, p, (size_t)(n - p));
			p = n;
			continue;
		}
		while (isdigit((unsigned char)*n))
			++n;
		if (strncmp(n, by, sizeof(by) - 1) || !isdigit((unsigned char)n[sizeof(by) - 1])) {
			sb_put(b, p, (size_t)(n - p));
			p = n;
			continue;
		}
		m = n + sizeof(by) - 1;
		while (isdigit((unsigned char)*m))
			++m;
		sb_put(b, p, (size_t)(c - p));
		sb_put(b, "counter packets 0 bytes 0", 25);
		p = m;
	}
	sb_put(b, p, strlen(p));
}

char *firewall_text_maps_cmd(const char *ruleset, uint8_t family, const char *table)
{
	struct sbuf b = { 0 };
	const char *from, *to;
	char line[FIREWALL_NAME_LEN * 2 + 64];

	if (table_span(ruleset, family, table, &from, &to))
		for (const char *p = from; p < to;) {
			const char *nl = memchr(p, '\n', (size_t)(to - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(to - p), name = len - 7;

			/* "\tmap NAME {" */
			if (len > 7 && !strncmp(p, "\tmap ", 5) && !strncmp(p + len - 2, " {", 2) && name < FIREWALL_NAME_LEN &&
			    !memchr(p + 5, ' ', name) && !memchr(p + 5, '"', name))
				sb_put(&b, line, (size_t)snprintf(line, sizeof(line), "list map %s %s %.*s\n",
								    firewall_family_name(family), table, (int)name, p + 5));
			p += len + 1;
		}
	return sb_done(&b);
}

char *firewall_undo_script(const struct firewall_plan *plan, bool *enomem)
{
	bool replace = false, remove = false, counting = false;
	const char *policy, *table;
	struct sbuf b = { 0 };

	*enomem = false;
	for (size_t i = 0; i < plan->n; ++i) {
		replace |= plan->v[i].kind == FIREWALL_POLICY_REPLACE;
		remove |= plan->v[i].kind == FIREWALL_POLICY_REMOVE;
		counting |= plan->v[i].kind == FIREWALL_REMOVE_COUNTING;
	}
	policy = (replace || remove) && plan->policy_before ? plan->policy_before : NULL;
	table = counting && plan->counting_before ? plan->counting_before : NULL;
	if (!policy && !table)
		return NULL;
	if (table) {
		/* The replacement out, if it is there at all, and the earlier table back in its place. */
		static const char out[] = "add table inet " COUNTERS_TABLE "\ndelete table inet " COUNTERS_TABLE "\n";

		sb_put(&b, out, sizeof(out) - 1);
		sb_put_zeroed(&b, table);
	}
	if (policy && replace) {
		static const char out[] = "delete table inet " POLICY_TABLE "\n";

		sb_put(&b, out, sizeof(out) - 1);
	}
	if (policy)
		sb_put(&b, policy, strlen(policy));
	if (b.failed) {
		free(b.v);
		*enomem = true;
		return NULL;
	}
	return b.v;
}

char *firewall_text_note_sizes(const char *text, const char *table, const struct firewall_map_size *sizes,
			       size_t n_sizes)
{
	struct sbuf b = { 0 };
	char name[FIREWALL_NAME_LEN];
	bool in = false;
	size_t pending = 0;

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p), body = nl ? len - 1 : len;
		int fam = parse_table_line(p, body, name);

		if (fam >= 0)
			in = fam == NFPROTO_INET && !strcmp(name, table);
		/* "\tmap NAME {" and "\tset NAME {": the size goes before its closing "\t}". */
		if (in && body > 8 && (!strncmp(p, "\tmap ", 5) || !strncmp(p, "\tset ", 5)) && !strncmp(p + body - 2, " {", 2)) {
			pending = 0;
			for (size_t i = 0; i < n_sizes; ++i)
				if (strlen(sizes[i].name) == body - 7 && !strncmp(p + 5, sizes[i].name, body - 7))
					pending += sizes[i].n;
		}
		if (in && pending && body == 2 && !strncmp(p, "\t}", 2)) {
			sb_count(&b, pending);
			pending = 0;
		}
		sb_put(&b, p, len);
		p += len;
	}
	return sb_done(&b);
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

int firewall_lockout_warnings(const struct firewall_plan *plan, const struct wg_snapshot *snap,
			      unsigned int ssh_port, char *buf, size_t len)
{
	unsigned int port = ssh_port;
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
	char raw[1024];

	switch (c->kind) {
	case FIREWALL_INSTALL_COUNTING:
		snprintf(raw, sizeof(raw), _("add table inet %s (counts forwarded traffic per peer; decides nothing)"),
			 COUNTERS_TABLE);
		break;
	case FIREWALL_REMOVE_COUNTING:
		if (c->renew)
			snprintf(raw, sizeof(raw),
				 _("delete table inet %s (not the table this wgstar installs: an earlier version's, or changed by hand; added again below, its counters start over)"),
				 COUNTERS_TABLE);
		else
			snprintf(raw, sizeof(raw), "delete table inet %s", COUNTERS_TABLE);
		break;
	case FIREWALL_ACCEPT_STAR:
		if (c->xtables)
			snprintf(raw, sizeof(raw), "%s -A %s -i %s -o %s -j ACCEPT",
				 c->family == NFPROTO_IPV6 ? "ip6tables" : "iptables", c->chain, c->iface, c->iface);
		else
			snprintf(raw, sizeof(raw), "add rule %s %s %s iifname \"%s\" oifname \"%s\" accept",
				 firewall_family_name(c->family), c->table, c->chain, c->iface, c->iface);
		break;
	case FIREWALL_POLICY_INSTALL:
		snprintf(raw, sizeof(raw), _("add table inet %s (the hub policy: who may reach whom)"), POLICY_TABLE);
		break;
	case FIREWALL_POLICY_REPLACE:
		snprintf(raw, sizeof(raw), _("replace table inet %s (the hub policy changes; its counters start over)"),
			 POLICY_TABLE);
		break;
	case FIREWALL_POLICY_REMOVE:
		snprintf(raw, sizeof(raw), _("delete table inet %s (no hub policy: peers are judged by the host's firewall alone)"),
			 POLICY_TABLE);
		break;
	}
	/* Names from the ruleset and interface names are any bytes: escaped for the terminal. */
	text_escape(buf, len, raw, strlen(raw));
	return buf;
}

int firewall_plan_add(struct firewall_plan *plan, const struct firewall_change *c)
{
	struct firewall_change *v = realloc(plan->v, (plan->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	plan->v = v;
	plan->v[plan->n++] = *c;
	return 0;
}

bool firewall_counting_present(const char *ruleset)
{
	const char *p = ruleset;

	while ((p = strstr(p, "table inet " COUNTERS_TABLE " {\n")))
		if (p == ruleset || p[-1] == '\n')
			return true;
		else
			p++;
	return false;
}

void firewall_plan_free(struct firewall_plan *plan)
{
	free(plan->v);
	free(plan->before);
	free(plan->after);
	free(plan->policy_before);
	free(plan->counting_before);
	memset(plan, 0, sizeof(*plan));
}

/* Where firewall_same_ruleset is in a listing. */
struct same_state {
	bool keep_elements;		/* compare every element too: only counter values may differ */
	bool counting;			/* in wgstar's counting table: its elements follow the peers */
	bool policy;			/* in wgstar's policy table */
	bool denied;			/* in one of its sets of refused pairs: they follow traffic */
	bool elements;			/* in elements that go on over more lines */
};

/* The next line of *p that counts for firewall_same_ruleset, normalised into buf; false at the end. */
static bool next_line(const char **p, struct same_state *st, char *buf, size_t len)
{
	static const char counting[] = "table inet " COUNTERS_TABLE " {";
	static const char policy[] = "table inet " POLICY_TABLE " {";

	while (**p) {
		const char *s = *p, *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s), o = 0;
		bool skip;

		*p = s + n + (nl ? 1 : 0);
		if (!strncmp(s, "table ", 6)) {
			st->counting = n == strlen(counting) && !strncmp(s, counting, n);
			st->policy = n == strlen(policy) && !strncmp(s, policy, n);
			st->denied = false;
		} else if (st->policy && n == 14 && (!strncmp(s, "\tset denied4 {", 14) || !strncmp(s, "\tset denied6 {", 14))) {
			st->denied = true;
		} else if (n == 2 && !strncmp(s, "\t}", 2)) {
			st->denied = false;
		}
		skip = !st->keep_elements && (st->counting || st->denied);
		/* The elements of those sets, one line or many (continued while they end with a comma). */
		if (skip && (st->elements || (n > 13 && !strncmp(s + strspn(s, "\t"), "elements = {", 12)))) {
			st->elements = n && s[n - 1] == ',';
			continue;
		}
		/* Counter values move with traffic; "packets N bytes N" becomes "packets bytes". */
		for (size_t i = 0; i < n && o + 1 < len;) {
			if ((i + 8 <= n && !strncmp(s + i, "packets ", 8)) || (i + 6 <= n && !strncmp(s + i, "bytes ", 6))) {
				size_t w = s[i] == 'p' ? 8 : 6;

				for (size_t k = 0; k < w && o + 1 < len; ++k)
					buf[o++] = s[i + k];
				i += w;
				while (i < n && s[i] >= '0' && s[i] <= '9')
					++i;
				continue;
			}
			buf[o++] = s[i++];
		}
		buf[o] = '\0';
		return true;
	}
	return false;
}

static bool same(const char *a, const char *b, bool keep_elements)
{
	struct same_state sa = { .keep_elements = keep_elements }, sb = { .keep_elements = keep_elements };
	char la[4096], lb[4096];

	for (;;) {
		bool more_a = next_line(&a, &sa, la, sizeof(la));
		bool more_b = next_line(&b, &sb, lb, sizeof(lb));

		if (more_a != more_b)
			return false;
		if (!more_a)
			return true;
		if (strcmp(la, lb))
			return false;
	}
}

bool firewall_same_ruleset(const char *a, const char *b)
{
	return same(a, b, false);
}

bool firewall_same_rules(const char *a, const char *b)
{
	return same(a, b, true);
}

/* --- a change waiting for confirmation --- */

#define PENDING_MAGIC "wgstar-pending 1"

static const char *const kind_names[] = {
	[FIREWALL_INSTALL_COUNTING] = "install-counting",
	[FIREWALL_REMOVE_COUNTING] = "remove-counting",
	[FIREWALL_ACCEPT_STAR] = "accept-star",
	[FIREWALL_POLICY_INSTALL] = "policy-install",
	[FIREWALL_POLICY_REPLACE] = "policy-replace",
	[FIREWALL_POLICY_REMOVE] = "policy-remove",
};

static void put_field(FILE *f, const char *s)
{
	fputc(' ', f);
	if (!*s)
		fputc('-', f);
	for (const unsigned char *u = (const unsigned char *)s; *u; ++u)
		if (*u > 0x20 && *u < 0x7f && *u != '%' && !(u == (const unsigned char *)s && *u == '-'))
			fputc(*u, f);
		else
			fprintf(f, "%%%02x", *u);
}

char *firewall_pending_format(const struct firewall_pending *p)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fprintf(f, PENDING_MAGIC "\ncreated %lld\ndeadline %lld\ntimeout %u\nguard %d %llu\ngenid %u\nby",
		(long long)p->created, (long long)p->deadline, p->timeout, (int)p->guard_pid,
		(unsigned long long)p->guard_start, (unsigned)p->plan.genid);
	put_field(f, p->by);
	fputc('\n', f);
	for (size_t i = 0; i < p->plan.n; ++i) {
		const struct firewall_change *c = &p->plan.v[i];

		fprintf(f, "change %s%s %u", kind_names[c->kind], c->xtables ? "-xtables" : "", c->family);
		put_field(f, c->table);
		put_field(f, c->chain);
		put_field(f, c->iface);
		fprintf(f, " %llu\n", (unsigned long long)c->handle);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

/* The next space-separated field of *p, decoded into out (len bytes). */
static bool get_field(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t o = 0;

	if (*s != ' ')
		return false;
	++s;
	if (*s == '-' && (s[1] == ' ' || s[1] == '\0')) {
		out[0] = '\0';
		*p = s + 1;
		return true;
	}
	while (*s && *s != ' ') {
		unsigned int byte;

		if (o + 1 >= len)
			return false;
		if (*s == '%') {
			if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
			    sscanf(s + 1, "%2x", &byte) != 1 || !byte)
				return false;
			out[o++] = (char)byte;
			s += 3;
		} else {
			out[o++] = *s++;
		}
	}
	if (!o)
		return false;
	out[o] = '\0';
	*p = s;
	return true;
}

static int parse_change(struct firewall_pending *p, const char *s)
{
	struct firewall_change c = { 0 };
	char kind[32] = "", iface[IFNAMSIZ * 3];
	unsigned int family;
	unsigned long long handle;
	int n = 0;
	size_t k;

	if (sscanf(s, "%31s %u%n", kind, &family, &n) != 2 || family > 255)
		return -EBADMSG;
	/* An accept written into an iptables-nft chain, as iptables writes it. */
	if (!strcmp(kind, "accept-star-xtables")) {
		c.xtables = true;
		kind[strlen("accept-star")] = '\0';
	}
	for (k = 0; k < sizeof(kind_names) / sizeof(kind_names[0]); ++k)
		if (kind_names[k] && !strcmp(kind, kind_names[k]))
			break;
	if (k == sizeof(kind_names) / sizeof(kind_names[0]))
		return -EBADMSG;
	s += n;
	if (!get_field(&s, c.table, sizeof(c.table)) || !get_field(&s, c.chain, sizeof(c.chain)) ||
	    !get_field(&s, iface, sizeof(iface)) || strlen(iface) >= IFNAMSIZ ||
	    sscanf(s, " %llu%n", &handle, &n) != 1 || s[n])
		return -EBADMSG;
	c.kind = (enum firewall_kind)k;
	c.family = (uint8_t)family;
	c.handle = handle;
	memcpy(c.iface, iface, strlen(iface));
	return firewall_plan_add(&p->plan, &c);
}

int firewall_pending_parse(struct firewall_pending *p, const char *text)
{
	const char *line = text;
	unsigned int seen = 0;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (strncmp(text, PENDING_MAGIC "\n", sizeof(PENDING_MAGIC)))
		return -EBADMSG;
	line += sizeof(PENDING_MAGIC);
	while (*line && !ret) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[1024];
		long long a, b;
		unsigned int u;
		int n = 0;

		if (len >= sizeof(buf)) {
			ret = -EBADMSG;
			break;
		}
		memcpy(buf, line, len);
		buf[len] = '\0';
		if (sscanf(buf, "created %lld%n", &a, &n) == 1 && !buf[n]) {
			p->created = a;
			seen |= 1;
		} else if (sscanf(buf, "deadline %lld%n", &a, &n) == 1 && !buf[n]) {
			p->deadline = a;
			seen |= 2;
		} else if (sscanf(buf, "timeout %u%n", &u, &n) == 1 && !buf[n]) {
			p->timeout = u;
		} else if (sscanf(buf, "guard %lld %lld%n", &a, &b, &n) == 2 && !buf[n] && a >= 0 &&
			   a <= INT32_MAX && b >= 0) {
			p->guard_pid = (int32_t)a;
			p->guard_start = (uint64_t)b;
		} else if (sscanf(buf, "genid %u%n", &u, &n) == 1 && !buf[n]) {
			p->plan.genid = u;
		} else if (!strncmp(buf, "by", 2)) {
			const char *s = buf + 2;

			if (!strcmp(s, " -"))
				p->by[0] = '\0';
			else if (!get_field(&s, p->by, sizeof(p->by)) || *s)
				ret = -EBADMSG;
		} else if (!strncmp(buf, "change ", 7)) {
			ret = parse_change(p, buf + 7);
		} else {
			ret = -EBADMSG;
		}
		line += len + (nl ? 1 : 0);
	}
	if (!ret && seen != 3)
		ret = -EBADMSG;
	if (ret)
		firewall_pending_free(p);
	return ret;
}

void firewall_pending_free(struct firewall_pending *p)
{
	firewall_plan_free(&p->plan);
}

int firewall_result_text(const char *result, char *buf, size_t len)
{
	char outcome[16] = "", why[16] = "";
	const char *reason;

	if (!result || sscanf(result, "%15s %15s", outcome, why) != 2) {
		snprintf(buf, len, "%s", _("the rollback guard ended without a word; see the system log"));
		return 1;
	}
	reason = !strcmp(why, "timeout") ? _("not confirmed in time") :
		 !strcmp(why, "asked") ? _("asked for") :
		 !strcmp(why, "noguard") ? _("no guard could be started") :
		 !strcmp(why, "unguarded") ? _("its guard had died") : _("the guard was stopped");
	if (!strcmp(outcome, "confirmed") && !strcmp(why, "unguarded"))
		snprintf(buf, len, "%s", _("confirmed: the firewall change stays (its guard had died)"));
	else if (!strcmp(outcome, "confirmed"))
		snprintf(buf, len, "%s", _("confirmed: the firewall change stays"));
	else if (!strcmp(outcome, "same"))
		snprintf(buf, len, _("rolled back (%s): the ruleset is as it was before the change"), reason);
	else if (!strcmp(outcome, "differs"))
		snprintf(buf, len, _("rolled back (%s), but the ruleset differs from the one saved before the change: "
				     "someone changed it meanwhile"), reason);
	else {
		snprintf(buf, len, _("the rollback (%s) failed; see the system log"), reason);
		return 1;
	}
	return 0;
}
