// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the record of a firewall change waiting for confirmation, as the run
 * directory keeps it, and the comparison of listings a preview is revalidated with. What
 * parses, formats to plain printable lines and parses back to the same; a listing is the same
 * ruleset as itself.
 */
#include "firewall.h"
#include "fuzz.h"

static void check_same(const struct firewall_pending *a, const struct firewall_pending *b)
{
	if (a->created != b->created || a->deadline != b->deadline || a->timeout != b->timeout ||
	    a->guard_pid != b->guard_pid || a->guard_start != b->guard_start || strcmp(a->by, b->by) ||
	    a->plan.genid != b->plan.genid || a->plan.n != b->plan.n)
		abort();
	for (size_t i = 0; i < a->plan.n; ++i) {
		const struct firewall_change *x = &a->plan.v[i], *y = &b->plan.v[i];

		if (x->kind != y->kind || x->family != y->family || strcmp(x->table, y->table) ||
		    strcmp(x->chain, y->chain) || strcmp(x->iface, y->iface) || x->handle != y->handle)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(&data, &size), *other = fuzz_string(&data, &size), *again;
	struct firewall_pending p, q;

	if (!text || !other)
		abort();
	if (firewall_pending_parse(&p, text) == 0) {
		again = firewall_pending_format(&p);
		if (!again)
			abort();
		for (const char *s = again; *s; ++s)
			if (*s != '\n' && (*s < 0x20 || *s > 0x7e))
				abort();
		if (firewall_pending_parse(&q, again) != 0)
			abort();
		check_same(&p, &q);
		firewall_pending_free(&q);
		free(again);
		firewall_pending_free(&p);
	}
	if (!firewall_same_ruleset(text, text) || firewall_same_ruleset(text, other) != firewall_same_ruleset(other, text))
		abort();
	free(other);
	free(text);
	return 0;
}
