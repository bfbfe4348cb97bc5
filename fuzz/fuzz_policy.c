// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the hub policy, from its text to its table. Input: bytes of points to
 * judge, a NUL, the policy text. Against a fixed interface of peers (names, single addresses,
 * nested subnets, both families): what parses and resolves compiles; the compiled maps judge
 * every point as policy_verdict does, line and all; the table builds; a peer renamed or
 * removed in the text leaves a text that parses.
 */
#include <stdio.h>
#include "fuzz.h"
#include "nft_batch.h"
#include "policy.h"
#include "policy_compile.h"
#include "policy_nft.h"
#include "prefix.h"

static const struct {
	const char *name;
	const char *ips;
} people[] = {
	{ "alice", "10.9.0.2/32, fd09::2/128" }, { "bob", "10.9.0.3/32" },	{ "carol", "10.9.0.16/28" },
	{ "dave", "10.9.0.20/32, fd09::14/128" }, { "erin", "fd09::100/120" }, { "alice", "10.9.0.99/32" },
	{ NULL, "10.9.1.0/24, 10.9.1.7/32" },
};

static struct wg_snapshot *snapshot(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");

	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); ++i) {
		uint8_t key[WG_KEY_LEN] = { (uint8_t)(i + 1), 9 };
		struct wg_peer *p = wg_device_get_peer(dev, key, NULL);
		struct wg_allowedip *v = NULL;
		size_t n = 0;

		if (people[i].name)
			wg_peer_set_name(p, people[i].name);
		if (prefix_parse_list(&v, &n, people[i].ips) < 0)
			abort();
		for (size_t k = 0; k < n; ++k)
			wg_peer_add_allowedip(p, &v[k]);
		free(v);
	}
	wg_snapshot_add_device(snap, dev);
	return snap;
}

/* A point from two input bytes: the hub, or an address of 10.9.0.0/23 or fd09::/119. */
static struct policy_point point(uint8_t a, uint8_t b, bool may_hub)
{
	struct policy_point p = { 0 };
	char text[64];

	if (may_hub && a == 0xff) {
		p.hub = true;
		return p;
	}
	if (a & 1)
		snprintf(text, sizeof(text), "fd09::%x/128", (unsigned)((a >> 1 & 1) << 8 | b));
	else
		snprintf(text, sizeof(text), "10.9.%u.%u/32", a >> 1 & 1, b);
	if (prefix_parse(&p.addr, text) < 0)
		abort();
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct wg_snapshot *snap;
	static const uint8_t protos[] = { POLICY_TCP, POLICY_UDP, POLICY_ICMP, 47 };
	char *points = fuzz_string(&data, &size), *text = fuzz_string(&data, &size), *out = NULL;
	size_t n_points = points ? strlen(points) : 0, out_len = 0;
	struct policy_error err;
	struct policy_compiled c;
	struct policy p, q;

	if (!points || !text)
		abort();
	if (!snap)
		snap = snapshot();
	if (policy_parse(&p, text, strlen(text), &err) < 0)
		goto out;
	/* Edits keep a parsing text parsing. */
	if (policy_edit_peer(text, strlen(text), "wg0", "bob", "robert", NULL, &out, &out_len, &err) == 0) {
		if (policy_parse(&q, out, out_len, &err) < 0)
			abort();
		policy_free(&q);
		free(out);
		out = NULL;
	}
	if (policy_edit_peer(text, strlen(text), "wg0", "alice", NULL, NULL, &out, &out_len, &err) == 0) {
		if (policy_parse(&q, out, out_len, &err) < 0)
			abort();
		policy_free(&q);
	}
	if (policy_resolve(&p, snap, true, &err) < 0 || policy_compile(&c, &p, snap, &err) < 0) {
		policy_free(&p);
		goto out;
	}
	for (size_t i = 0; i < c.n; ++i) {
		const struct wg_device *dev = wg_snapshot_find_device(snap, c.v[i].name);
		struct nft_batch b;

		policy_run_tests(c.v[i].pi, dev, &err);
		for (size_t k = 0; k + 5 <= n_points; k += 5) {
			const uint8_t *u = (const uint8_t *)points + k;
			struct policy_point s = point(u[0], u[1], false), d = point(u[2], u[3], true);
			unsigned int l1 = 1, l2 = 2;
			uint8_t proto = protos[u[4] & 3];
			uint16_t port = (uint16_t)(u[4] >> 2);

			if (s.addr.family != d.addr.family && !d.hub)
				continue;
			if (d.hub && s.addr.family == 0)
				continue;
			if (policy_verdict(c.v[i].pi, dev, &s, &d, proto, port, &l1) !=
				    policy_compiled_eval(&c.v[i], &s, &d, proto, port, &l2) ||
			    l1 != l2)
				abort();
		}
		if (nft_batch_init(&b, 1, false, 0) < 0)
			abort();
		if (policy_nft_build(&b, &c, NULL) < 0)
			abort();
		nft_batch_free(&b);
	}
	policy_compiled_free(&c);
	policy_free(&p);
out:
	free(out);
	free(points);
	free(text);
	return 0;
}
