// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The compiled policy against the policy itself: for random peers (nested prefixes included),
 * random policies and random points, the walk through the compiled maps gives what
 * policy_verdict gives, line and all. And the messages: one table, the comment's fingerprint
 * stable for the same policy and different for another.
 */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include "nft_batch.h"
#include "policy.h"
#include "policy_compile.h"
#include "policy_nft.h"
#include "prefix.h"

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* Peers p0..pN-1 in 10.9.0.0/24 and fd09::/120: single addresses, some subnets, some inside others'. */
static struct wg_snapshot *random_snapshot(size_t n)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");

	for (size_t i = 0; i < n; ++i) {
		uint8_t key[WG_KEY_LEN] = { (uint8_t)(i + 1), 7 };
		struct wg_peer *p = wg_device_get_peer(dev, key, NULL);
		struct wg_allowedip a;
		char name[16], text[64];
		unsigned int cidr = rnd(4) ? 32 : 28 + rnd(4);

		snprintf(name, sizeof(name), "p%zu", i);
		wg_peer_set_name(p, name);
		/* Distinct prefixes: the i-th /32 slot, or a subnet starting at a multiple of its size. */
		snprintf(text, sizeof(text), "10.9.0.%u/%u", cidr == 32 ? (unsigned)(i * 3 + 1) % 256 :
							   (unsigned)(i * 16) % 256 & ~((1u << (32 - cidr)) - 1), cidr);
		prefix_parse(&a, text);
		prefix_network(&a);
		if (!policy_owner(dev, &a) || cidr == 32) {
			bool taken = false;

			for (size_t j = 0; j < dev->n_peers - 1 && !taken; ++j)
				for (uint32_t k = 0; k < dev->peers[j].n_allowedips; ++k)
					taken |= !wg_allowedip_cmp(&dev->peers[j].allowedips[k], &a);
			if (!taken)
				wg_peer_add_allowedip(p, &a);
		}
		if (rnd(3)) {
			snprintf(text, sizeof(text), "fd09::%zx/128", i * 2 + 1);
			prefix_parse(&a, text);
			wg_peer_add_allowedip(p, &a);
		}
	}
	wg_snapshot_add_device(snap, dev);
	return snap;
}

static const char *services[] = { "tcp/22", "tcp/20-23", "udp/53", "tcp", "udp", "icmp", "tcp/443", "udp/1-100" };

static void random_side(char *out, size_t len, size_t n_peers, size_t n_groups, bool hub)
{
	switch (rnd(hub ? 6 : 5)) {
	case 0:
		snprintf(out, len, "*");
		break;
	case 1:
	case 2:
		if (n_groups) {
			snprintf(out, len, "g%u", rnd((uint32_t)n_groups));
			break;
		}
		/* fall through */
	case 3:
		snprintf(out, len, "p%u", rnd((uint32_t)n_peers));
		break;
	case 4:
		if (rnd(2))
			snprintf(out, len, "10.9.0.%u/%u", rnd(4) * 64, 26 + rnd(7));
		else
			snprintf(out, len, "fd09::%x/%u", rnd(16) * 16, 124 + rnd(5));
		break;
	default:
		snprintf(out, len, "hub");
	}
}

static char *random_policy(size_t n_peers)
{
	size_t cap = 65536, o = 0, n_groups = rnd(5), n_rules = 1 + rnd(12);
	char *t = malloc(cap), side[64], side2[64];

	o += (size_t)snprintf(t + o, cap - o, "[wg0]\n");
	if (rnd(3))
		o += (size_t)snprintf(t + o, cap - o, "Default = %s\n", rnd(2) ? "allow" : "deny");
	for (size_t g = 0; g < n_groups; ++g) {
		size_t n = 1 + rnd(4);

		o += (size_t)snprintf(t + o, cap - o, "Group = g%zu: ", g);
		for (size_t m = 0; m < n; ++m) {
			if (rnd(5))
				snprintf(side, sizeof(side), "p%u", rnd((uint32_t)n_peers));
			else
				snprintf(side, sizeof(side), "10.9.0.%u/%u", rnd(16) * 16, 28 + rnd(5));
			o += (size_t)snprintf(t + o, cap - o, "%s%s", m ? ", " : "", side);
		}
		o += (size_t)snprintf(t + o, cap - o, "\n");
	}
	for (size_t r = 0; r < n_rules; ++r) {
		size_t n_sv = rnd(3) ? rnd(3) : 0;
		bool both = !rnd(4);

		random_side(side, sizeof(side), n_peers, n_groups, false);
		random_side(side2, sizeof(side2), n_peers, n_groups, !both);
		o += (size_t)snprintf(t + o, cap - o, "%s = %s %s %s", rnd(2) ? "Allow" : "Deny", side,
				      both ? "<->" : "->", side2);
		for (size_t s = 0; s < n_sv; ++s)
			o += (size_t)snprintf(t + o, cap - o, " %s", services[rnd(sizeof(services) / sizeof(services[0]))]);
		o += (size_t)snprintf(t + o, cap - o, "\n");
	}
	return t;
}

static struct policy_point random_point(bool may_hub, int family)
{
	struct policy_point p = { 0 };
	char text[64];

	if (may_hub && !rnd(6)) {
		p.hub = true;
		return p;
	}
	if (family == AF_INET)
		snprintf(text, sizeof(text), "10.9.%u.%u/32", rnd(20) ? 0 : 1, rnd(256));
	else
		snprintf(text, sizeof(text), rnd(20) ? "fd09::%x/128" : "fd09::1:%x/128", rnd(256));
	assert_int_equal(prefix_parse(&p.addr, text), 0);
	return p;
}

/* Every map of an interface as the elements its messages carry (policy_map_spans). */
struct map_elems {
	struct policy_span *from, *in, **classes;
	size_t n_from, n_in, *n_classes;
};

static void spans_of(const struct policy_cface *cf, const struct policy_map *m, struct policy_span **v, size_t *n)
{
	assert_int_equal(policy_map_spans(cf, m, v, n), 0);
	assert_int_equal(*n, m->n_spans);
	/* In order, apart, and as few as can be: neighbours going alike are one element. */
	for (size_t i = 1; i < *n; ++i) {
		const struct policy_span *a = &(*v)[i - 1], *b = &(*v)[i];
		size_t len = a->family == AF_INET ? 4 : 16;
		uint8_t next[16];

		assert_true(a->family <= b->family);
		if (a->family != b->family)
			continue;
		assert_true(memcmp(a->end, b->start, len) < 0);
		memcpy(next, a->end, 16);
		for (size_t k = len; k-- > 0 && !++next[k];)
			;
		assert_true(memcmp(next, b->start, len) || a->to.kind != b->to.kind || a->to.index != b->to.index);
	}
}

static void elems_make(struct map_elems *e, const struct policy_cface *cf)
{
	memset(e, 0, sizeof(*e));
	spans_of(cf, &cf->from, &e->from, &e->n_from);
	spans_of(cf, &cf->in, &e->in, &e->n_in);
	e->classes = calloc(cf->n_classes + 1, sizeof(*e->classes));
	e->n_classes = calloc(cf->n_classes + 1, sizeof(*e->n_classes));
	assert_non_null(e->classes);
	assert_non_null(e->n_classes);
	for (size_t k = 0; k < cf->n_classes; ++k)
		spans_of(cf, &cf->classes[k], &e->classes[k], &e->n_classes[k]);
}

static void elems_free(struct map_elems *e, const struct policy_cface *cf)
{
	for (size_t k = 0; k < cf->n_classes; ++k)
		free(e->classes[k]);
	free(e->classes);
	free(e->n_classes);
	free(e->from);
	free(e->in);
}

/* The element holding a, or NULL: a walk of the list, as a test may. */
static const struct policy_span *elem_find(const struct policy_span *v, size_t n, const struct wg_allowedip *a)
{
	uint8_t x[16] = { 0 };
	size_t len = a->family == AF_INET ? 4 : 16;

	memcpy(x, a->family == AF_INET ? (const void *)&a->ip4 : (const void *)&a->ip6, len);
	for (size_t i = 0; i < n; ++i)
		if (v[i].family == a->family && memcmp(v[i].start, x, len) <= 0 && memcmp(x, v[i].end, len) <= 0)
			return &v[i];
	return NULL;
}

/* A class map's elements, for the walk: the element holding addr, or the map's fallback. */
static struct policy_target elems_lookup(const void *ctx, const struct policy_cface *cf, const struct policy_map *m,
					 const struct wg_allowedip *addr)
{
	const struct map_elems *e = ctx;
	size_t k = (size_t)(m - cf->classes);
	const struct policy_span *s = elem_find(e->classes[k], e->n_classes[k], addr);

	return s ? s->to : m->fallback;
}

/* A new connection walked through the elements, as the kernel walks the table. */
static enum policy_verdict elems_eval(const struct policy_cface *cf, const struct map_elems *e,
				      const struct policy_point *src, const struct policy_point *dst, uint8_t proto,
				      uint16_t port, unsigned int *line)
{
	const struct policy_span *s = dst->hub ? elem_find(e->in, e->n_in, &src->addr) :
						 elem_find(e->from, e->n_from, &src->addr);
	struct policy_target t = s ? s->to : dst->hub ? cf->in.fallback : cf->from.fallback;

	return policy_walk(cf, t, elems_lookup, e, dst, proto, port, line);
}

static void test_compiled_matches_verdict(void **state)
{
	static const uint8_t protos[] = { POLICY_TCP, POLICY_UDP, POLICY_ICMP, 47 };
	static const uint16_t ports[] = { 0, 1, 19, 20, 22, 23, 24, 53, 100, 101, 443, 65535 };
	size_t compiled = 0, checked = 0;

	for (int round = 0; round < 400; ++round) {
		size_t n_peers = 2 + rnd(40);
		struct wg_snapshot *snap = random_snapshot(n_peers);
		char *text = random_policy(n_peers);
		struct policy p;
		struct policy_error err;
		struct policy_compiled c;

		if (policy_parse(&p, text, strlen(text), &err) < 0) {
			fprintf(stderr, "%s\nline %u: %s\n", text, err.line, err.msg);
			fail();
		}
		if (policy_resolve(&p, snap, false, &err) < 0) {
			/* "hub is no source" and the like: a policy nothing compiles */
			policy_free(&p);
			free(text);
			wg_snapshot_free(snap);
			continue;
		}
		struct map_elems e;

		assert_int_equal(policy_compile(&c, &p, snap, &err), 0);
		assert_int_equal(c.n, 1);
		elems_make(&e, &c.v[0]);
		++compiled;
		for (int i = 0; i < 600; ++i) {
			int family = rnd(2) ? AF_INET : AF_INET6;
			struct policy_point s = random_point(false, family), d = random_point(true, family);
			uint8_t proto = protos[rnd(4)];
			uint16_t port = ports[rnd(sizeof(ports) / sizeof(ports[0]))];
			unsigned int l1 = 99, l2 = 98;
			enum policy_verdict v1 = policy_verdict(&p.v[0], snap->devices[0], &s, &d, proto, port, &l1);
			enum policy_verdict v2 = policy_compiled_eval(&c.v[0], &s, &d, proto, port, &l2);
			unsigned int l3 = 97;
			enum policy_verdict v3 = elems_eval(&c.v[0], &e, &s, &d, proto, port, &l3);

			if (v1 != v2 || l1 != l2 || v3 != v1 || l3 != l1) {
				char a[64], b[64];

				fprintf(stderr, "policy:\n%s\nsrc %s dst %s proto %u port %u: verdict %d line %u, compiled %d line %u\n",
					text, prefix_format(&s.addr, a, sizeof(a)),
					d.hub ? "hub" : prefix_format(&d.addr, b, sizeof(b)), proto, port, v1, l1, v2, l2);
				fprintf(stderr, "the elements: %d line %u\n", v3, l3);
				fail();
			}
			++checked;
		}
		elems_free(&e, &c.v[0]);
		policy_compiled_free(&c);
		policy_free(&p);
		free(text);
		wg_snapshot_free(snap);
	}
	/* The generator must give compilable policies most of the time, or this proves little. */
	assert_true(compiled > 200);
	assert_true(checked > 100000);
}

/*
 * Two interfaces, the second the bigger: 700 dual-stack peers in groups, prefixes over some of
 * them, rules by group, peer, prefix and the hub, with services. Its maps go past one message of
 * elements. The fingerprint hashes every message of the table: it is the one this policy had
 * when each map was kept as the list of its elements, so the messages are the same byte for byte.
 */
static struct wg_snapshot *golden_snapshot(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	for (int d = 0; d < 2; ++d) {
		struct wg_device *dev = wg_device_new(d ? "wg1" : "wg0");
		size_t n = d ? 700 : 5;

		for (size_t i = 0; i < n; ++i) {
			uint8_t key[WG_KEY_LEN] = { (uint8_t)(i + 1), (uint8_t)(i >> 8), (uint8_t)(d + 1) };
			struct wg_peer *p = wg_device_get_peer(dev, key, NULL);
			struct wg_allowedip a;
			char text[64];

			snprintf(text, sizeof(text), "%c%zu", d ? 'q' : 'n', i);
			wg_peer_set_name(p, text);
			snprintf(text, sizeof(text), "10.%d.%zu.%zu/32", 7 + d, i / 200, i % 200 + 1);
			assert_int_equal(prefix_parse(&a, text), 0);
			wg_peer_add_allowedip(p, &a);
			snprintf(text, sizeof(text), "fd0%d::%zx/128", 7 + d, i + 1);
			assert_int_equal(prefix_parse(&a, text), 0);
			wg_peer_add_allowedip(p, &a);
			if (d && i % 97 == 3) {
				snprintf(text, sizeof(text), "10.%d.%zu.0/24", 20 + d, i / 97);
				assert_int_equal(prefix_parse(&a, text), 0);
				wg_peer_add_allowedip(p, &a);
			}
		}
		wg_snapshot_add_device(snap, dev);
	}
	return snap;
}

static void test_golden_fingerprint(void **state)
{
	struct wg_snapshot *snap = golden_snapshot();
	size_t cap = 65536, o = 0;
	char *t = malloc(cap), fp[POLICY_FP_LEN + 1];
	struct policy p;
	struct policy_error err;
	struct policy_compiled c;

	(void)state;
	o += (size_t)snprintf(t + o, cap - o, "[wg0]\nDefault = deny\nAllow = n0 -> n1 tcp/22\nAllow = * -> hub icmp\n");
	o += (size_t)snprintf(t + o, cap - o, "[wg1]\nDefault = deny\nGroup = a: ");
	for (int i = 0; i < 300; ++i)
		o += (size_t)snprintf(t + o, cap - o, "%sq%d", i ? ", " : "", i);
	o += (size_t)snprintf(t + o, cap - o, "\nGroup = b: ");
	for (int i = 300; i < 600; i += 2)
		o += (size_t)snprintf(t + o, cap - o, "%sq%d", i > 300 ? ", " : "", i);
	o += (size_t)snprintf(t + o, cap - o, ", 10.21.0.0/16\n");
	o += (size_t)snprintf(t + o, cap - o,
			      "Allow = a -> b tcp/22 tcp/443\nAllow = b <-> a udp/53\nAllow = a -> hub tcp/22\n"
			      "Deny = q5 -> q6\nAllow = q7 -> 10.21.3.0/25 icmp\nAllow = * -> q650\n"
			      "Allow = b -> * tcp/80-90\n");
	assert_true(o < cap);
	assert_int_equal(policy_parse(&p, t, o, &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	assert_int_equal(policy_compile(&c, &p, snap, &err), 0);
	assert_int_equal(c.n, 2);
	/* More elements in a map than one message holds (256). */
	assert_true(c.v[1].from.n_spans > 256);
	assert_int_equal(policy_nft_fingerprint(&c, fp), 0);
	assert_string_equal(fp, "b087e9f246bc79f9");
	policy_compiled_free(&c);
	policy_free(&p);
	free(t);
	wg_snapshot_free(snap);
}

/* Every message of the batch but the framing, by type. */
static size_t count_type(const struct nft_batch *b, uint16_t type)
{
	size_t n = 0;

	for (const struct nlmsghdr *nlh = nft_batch_next(b, NULL); nlh; nlh = nft_batch_next(b, nlh))
		n += (nlh->nlmsg_type & 0xff) == type && nlh->nlmsg_type >> 8 == NFNL_SUBSYS_NFTABLES;
	return n;
}

static void build(const char *text, struct wg_snapshot *snap, char fp[POLICY_FP_LEN + 1], size_t *n_rules)
{
	struct policy p;
	struct policy_error err;
	struct policy_compiled c;
	struct nft_batch b;

	assert_int_equal(policy_parse(&p, text, strlen(text), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	assert_int_equal(policy_compile(&c, &p, snap, &err), 0);
	assert_int_equal(nft_batch_init(&b, 1, true, 7), 0);
	assert_int_equal(policy_nft_build(&b, &c, fp), 0);
	assert_int_equal(nft_batch_end(&b, true), 0);
	assert_int_equal(count_type(&b, NFT_MSG_NEWTABLE), 1);
	*n_rules = count_type(&b, NFT_MSG_NEWRULE);
	nft_batch_free(&b);
	policy_compiled_free(&c);
	policy_free(&p);
}

static void test_messages_and_fingerprint(void **state)
{
	struct wg_snapshot *snap = random_snapshot(12);
	char fp1[POLICY_FP_LEN + 1], fp2[POLICY_FP_LEN + 1], fp3[POLICY_FP_LEN + 1], got[POLICY_FP_LEN + 1];
	size_t r1, r2, r3;
	char comment[64];

	build("[wg0]\nDefault = deny\nGroup = a: p1, p2\nAllow = a -> p3 tcp/22\n", snap, fp1, &r1);
	build("[wg0]\nDefault = deny\nGroup = a: p1, p2\nAllow = a -> p3 tcp/22\n", snap, fp2, &r2);
	build("[wg0]\nDefault = deny\nGroup = a: p1, p2\nAllow = a -> p3 tcp/23\n", snap, fp3, &r3);
	assert_string_equal(fp1, fp2);
	assert_string_not_equal(fp1, fp3);
	assert_int_equal(strlen(fp1), POLICY_FP_LEN);
	assert_int_equal(r1, r2);
	snprintf(comment, sizeof(comment), "%s%s", POLICY_COMMENT, fp1);
	assert_true(policy_nft_comment_fingerprint(comment, got));
	assert_string_equal(got, fp1);
	assert_false(policy_nft_comment_fingerprint("wgstar policy xyz", got));
	assert_false(policy_nft_comment_fingerprint("something else", got));
	assert_int_equal(policy_nft_chain_line("line12"), 12);
	assert_int_equal(policy_nft_chain_line("line012"), 0);
	assert_int_equal(policy_nft_chain_line("i0_d1"), 0);
	assert_int_equal(policy_nft_default_index("i3_default"), 3);
	assert_int_equal(policy_nft_default_index("i3_d1"), -1);
	wg_snapshot_free(snap);
}

/* The cost of a packet does not grow with the rules: a few chains deep, whatever the policy. */
static void test_shape(void **state)
{
	struct wg_snapshot *snap = random_snapshot(30);
	struct policy p;
	struct policy_error err;
	struct policy_compiled c;
	const char *text = "[wg0]\nDefault = deny\nGroup = a: p1, p2, p3\nGroup = b: p4, p5\n"
			   "Allow = a -> b tcp/22 icmp\nAllow = b -> a\nDeny = p6 -> *\nAllow = * -> hub udp/53\n";

	assert_int_equal(policy_parse(&p, text, strlen(text), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	assert_int_equal(policy_compile(&c, &p, snap, &err), 0);
	assert_true(c.v[0].hub);
	/* a, b and p6 have destinations to tell apart; the other peers go straight to the Default */
	assert_int_equal(c.v[0].n_classes, 3);
	assert_int_equal(c.v[0].n_decisions, 2);
	assert_int_equal(c.v[0].from.fallback.kind, POLICY_T_DEFAULT);
	assert_int_equal(c.v[0].in.fallback.kind, POLICY_T_RETURN);
	policy_compiled_free(&c);
	policy_free(&p);
	wg_snapshot_free(snap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compiled_matches_verdict),
		cmocka_unit_test(test_golden_fingerprint),
		cmocka_unit_test(test_messages_and_fingerprint),
		cmocka_unit_test(test_shape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
