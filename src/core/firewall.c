// SPDX-License-Identifier: GPL-2.0-or-later
/* The firewall model: the ruleset text read and edited for previews, and the changes wgstar plans. */
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

		if ((fam = parse_table_line(p, len, w.table)) >= 0) {
			w.family = fam;
		} else if (len == 1 && p[0] == '}') {
			w.family = -1;
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
			size_t n = strcspn(h, " ");

			if (n < sizeof(w.hook)) {
				memcpy(w.hook, h, n);
				w.hook[n] = '\0';
			}
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
	bool cur_open;
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
	if (!c->cur_open) {
		memset(&c->cur, 0, sizeof(c->cur));
		c->cur.family = (uint8_t)w->family;
		strcpy(c->cur.table, w->table);
		strcpy(c->cur.chain, w->chain);
		c->cur.policy_drop = w->policy_drop;
		/* iptables-nft keeps its chains in upper case in its own tables. */
		c->cur.xtables = (w->family == NFPROTO_IPV4 || w->family == NFPROTO_IPV6) &&
				 !strcmp(w->chain, "FORWARD");
		c->cur_open = true;
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
	c->cur_open = false;
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
	memset(plan, 0, sizeof(*plan));
}
