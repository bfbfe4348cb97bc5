// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: `nft list ruleset` text as the firewall previews read and edit it. The input
 * up to its first NUL is the listing. The star's accept rule added to every forward chain that
 * drops, as a proposal adds it, must then be found there by the same scan, and change nothing
 * else it reports; a table taken out must take out exactly its lines.
 */
#include <stdio.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "counters.h"
#include "firewall.h"
#include "fuzz.h"

#define MAX_ADDS 8

static const char *const ifaces[] = { "wg0", "wg1" };
#define N_IFACES (sizeof(ifaces) / sizeof(ifaces[0]))

static void check_chain(const struct firewall_chain *c)
{
	if (!strcmp(firewall_family_name(c->family), "?"))
		abort();
	if (!c->table[0] || !c->chain[0] || strnlen(c->table, FIREWALL_NAME_LEN) == FIREWALL_NAME_LEN ||
	    strnlen(c->chain, FIREWALL_NAME_LEN) == FIREWALL_NAME_LEN)
		abort();
}

/* How many lines of the text are exactly this one. */
static size_t count_lines(const char *text, const char *line)
{
	size_t n = 0, len = strlen(line);

	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		n += l == len && !memcmp(p, line, len);
		p += l + (nl ? 1 : 0);
	}
	return n;
}

static bool same_chain(const struct firewall_chain *a, const struct firewall_chain *b)
{
	return a->family == b->family && !strcmp(a->table, b->table) && !strcmp(a->chain, b->chain);
}

/*
 * The rule goes into the last chain of that family, table and name; when its name is on one
 * line of the listing only, that is the forward chain it was asked for.
 */
static bool chain_unique(const char *text, const struct firewall_chain *c)
{
	char line[FIREWALL_NAME_LEN + 16];

	snprintf(line, sizeof(line), "\tchain %s {", c->chain);
	return count_lines(text, line) == 1;
}

static void check_added(const char *after, const struct firewall_chain *v, size_t n, const bool *added)
{
	struct firewall_chain *w;
	size_t m;

	if (firewall_forward_chains(after, ifaces, N_IFACES, &w, &m) < 0)
		abort();
	if (m != n)
		abort();
	for (size_t i = 0; i < n; ++i) {
		if (!same_chain(&v[i], &w[i]) || v[i].policy_drop != w[i].policy_drop || v[i].xtables != w[i].xtables ||
		    v[i].drops != w[i].drops)
			abort();
		for (size_t k = 0; k < N_IFACES; ++k)
			if (v[i].accepts_star[k] && !w[i].accepts_star[k])
				abort();
	}
	for (size_t i = 0; i < n && i < MAX_ADDS; ++i) {
		bool found[N_IFACES] = { false };

		if (!added[i])
			continue;
		for (size_t j = 0; j < n; ++j)
			for (size_t k = 0; k < N_IFACES; ++k)
				found[k] = found[k] || (same_chain(&v[i], &w[j]) && w[j].accepts_star[k]);
		for (size_t k = 0; k < N_IFACES; ++k)
			if (!found[k])
				abort();
	}
	free(w);
}

/* What a proposal does: the accept rule for each interface, in each forward chain that drops. */
static void add_rules(const char *ruleset, const struct firewall_chain *v, size_t n)
{
	bool added[MAX_ADDS] = { false };
	char *after = strdup(ruleset);

	if (!after)
		abort();
	for (size_t i = 0; i < n && i < MAX_ADDS; ++i) {
		if (!v[i].policy_drop || v[i].xtables)
			continue;
		for (size_t k = 0; k < N_IFACES; ++k) {
			char rule[96], *next;

			snprintf(rule, sizeof(rule), "iifname \"%s\" oifname \"%s\" accept", ifaces[k], ifaces[k]);
			next = firewall_text_add_rule(after, v[i].family, v[i].table, v[i].chain, rule);
			if (!next)
				abort();
			free(after);
			after = next;
		}
		added[i] = chain_unique(ruleset, &v[i]);
	}
	check_added(after, v, n, added);
	free(after);
}

/* Out goes the first "table FAMILY NAME {" line up to the next "}" line, both included. */
static void check_removed(const char *ruleset, uint8_t family, const char *table)
{
	char head[FIREWALL_NAME_LEN + 32], *out = firewall_text_remove_table(ruleset, family, table);
	const char *start = NULL, *rest = NULL;

	snprintf(head, sizeof(head), "table %s %s {", firewall_family_name(family), table);
	for (const char *p = ruleset; *p && !rest;) {
		const char *nl = strchr(p, '\n');
		size_t l = nl ? (size_t)(nl - p) : strlen(p);

		if (!start && l == strlen(head) && !memcmp(p, head, l))
			start = p;
		else if (start && l == 1 && *p == '}')
			rest = p + l + (nl ? 1 : 0);
		p += l + (nl ? 1 : 0);
	}
	if (!rest != !out)
		abort();
	if (out && (strncmp(out, ruleset, (size_t)(start - ruleset)) || strcmp(out + (start - ruleset), rest)))
		abort();
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *ruleset = fuzz_string(&data, &size);
	struct firewall_chain *v;
	size_t n;

	if (!ruleset)
		return 0;
	if (firewall_forward_chains(ruleset, ifaces, N_IFACES, &v, &n) < 0)
		abort();
	for (size_t i = 0; i < n; ++i)
		check_chain(&v[i]);
	add_rules(ruleset, v, n);
	for (size_t i = 0; i < n && i < MAX_ADDS; ++i)
		check_removed(ruleset, v[i].family, v[i].table);
	check_removed(ruleset, NFPROTO_INET, COUNTERS_TABLE);

	/* Without an input chain, no port is shut. */
	if (!strstr(ruleset, " hook input") &&
	    (firewall_port_shut(ruleset, "tcp", 22) || firewall_port_shut(ruleset, "udp", 51820)))
		abort();
	(void)firewall_port_shut(ruleset, "udp", 0);
	free(v);
	free(ruleset);
	return 0;
}
