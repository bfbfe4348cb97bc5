// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the counting table: ranges from allowed IPs, the batch parsed back, counters to peers. */
#include "cmocka_common.h"
#include <errno.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "counters.h"
#include "nft_batch.h"
#include "prefix.h"

static void add_ip(struct wg_peer *p, const char *cidr)
{
	struct wg_allowedip a = { 0 };
	char buf[64], *slash;

	strcpy(buf, cidr);
	slash = strchr(buf, '/');
	*slash = '\0';
	a.cidr = (uint8_t)atoi(slash + 1);
	if (inet_pton(AF_INET, buf, &a.ip4) == 1)
		a.family = AF_INET;
	else
		assert_int_equal(inet_pton(AF_INET6, buf, &a.ip6), 1), a.family = AF_INET6;
	assert_int_equal(wg_peer_add_allowedip(p, &a), 0);
}

static struct wg_peer *add_peer(struct wg_device *dev, uint8_t k)
{
	uint8_t key[WG_KEY_LEN];

	memset(key, k, sizeof(key));
	return wg_device_get_peer(dev, key, NULL);
}

/* wg0: peer 0 has 10.0.0.0/24 and fd00::/64, peer 1 10.0.0.5/32 inside it, peer 2 two adjacent /25s. */
static struct wg_snapshot *make_snapshot(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");

	add_ip(add_peer(dev, 1), "10.0.0.0/24");
	add_ip(add_peer(dev, 1), "fd00::/64");
	add_ip(add_peer(dev, 2), "10.0.0.5/32");
	add_ip(add_peer(dev, 3), "10.1.0.128/25");
	add_ip(add_peer(dev, 3), "10.1.0.0/25");
	add_ip(add_peer(dev, 4), "255.255.255.255/32");
	wg_snapshot_add_device(snap, dev);
	return snap;
}

/* make_snapshot's wg0 and a bigger wg1 after it: 40 peers, single addresses of both families and a /28. */
static struct wg_snapshot *make_snapshot2(void)
{
	struct wg_snapshot *snap = make_snapshot();
	struct wg_device *dev = wg_device_new("wg1");
	char text[64];

	for (int i = 0; i < 40; ++i) {
		struct wg_peer *p = add_peer(dev, (uint8_t)(100 + i));

		snprintf(text, sizeof(text), "10.5.0.%d/32", i + 1);
		add_ip(p, text);
		snprintf(text, sizeof(text), "fd05::%x/128", i + 1);
		add_ip(p, text);
	}
	add_ip(add_peer(dev, 100), "10.5.0.0/28");
	wg_snapshot_add_device(snap, dev);
	return snap;
}

static void v4(uint8_t *out, const char *s)
{
	assert_int_equal(inet_pton(AF_INET, s, out), 1);
}

static void expect_range(const struct counters_range *r, const char *start, const char *end, uint32_t peer)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };

	v4(a, start);
	v4(b, end);
	assert_int_equal(r->family, AF_INET);
	assert_string_equal(r->ifname, "wg0");
	assert_memory_equal(r->start, a, 4);
	assert_memory_equal(r->end, b, 4);
	assert_int_equal(r->peer, peer);
}

static void test_plan_longest_prefix(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_plan plan;
	uint8_t a[16] = { 0 };

	assert_int_equal(counters_plan_build(&plan, snap), 0);
	/* The /24 is split around the /32; the /25s of one peer are one range. */
	assert_int_equal(plan.n, 6);
	expect_range(&plan.v[0], "10.0.0.0", "10.0.0.4", 0);
	expect_range(&plan.v[1], "10.0.0.5", "10.0.0.5", 1);
	expect_range(&plan.v[2], "10.0.0.6", "10.0.0.255", 0);
	expect_range(&plan.v[3], "10.1.0.0", "10.1.0.255", 2);
	expect_range(&plan.v[4], "255.255.255.255", "255.255.255.255", 3);
	assert_int_equal(plan.v[5].family, AF_INET6);
	assert_int_equal(plan.v[5].peer, 0);
	assert_int_equal(plan.v[5].end[7], 0);
	assert_int_equal(plan.v[5].end[8], 0xff);

	v4(a, "10.0.0.5");
	assert_int_equal(counters_plan_find(&plan, NULL, AF_INET, a)->peer, 1);
	v4(a, "10.0.0.200");
	assert_int_equal(counters_plan_find(&plan, "wg0", AF_INET, a)->peer, 0);
	v4(a, "10.0.1.1");
	assert_null(counters_plan_find(&plan, NULL, AF_INET, a));
	v4(a, "10.0.0.1");
	assert_null(counters_plan_find(&plan, "wg1", AF_INET, a));
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/*
 * One family's plan is the whole plan's ranges of that family, in the same order, with no index;
 * also of two interfaces, the bigger one second (the scratch room is sized for the biggest).
 */
static void plan_family(struct wg_snapshot *snap)
{
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct counters_plan all, one;
	size_t seen = 0;

	assert_int_equal(counters_plan_build(&all, snap), 0);
	for (size_t f = 0; f < 2; ++f) {
		size_t k = 0;

		assert_int_equal(counters_plan_build_family(&one, snap, families[f]), 0);
		assert_null(one.slot);
		assert_true(one.n <= one.cap);
		for (size_t i = 0; i < all.n; ++i) {
			if (all.v[i].family != families[f])
				continue;
			assert_true(k < one.n);
			assert_memory_equal(&one.v[k], &all.v[i], sizeof(all.v[i]));
			k++;
		}
		assert_int_equal(k, one.n);
		seen += one.n;
		counters_plan_free(&one);
	}
	assert_int_equal(seen, all.n);
	counters_plan_free(&all);
	wg_snapshot_free(snap);
}

static void test_plan_family(void **state)
{
	(void)state;
	plan_family(make_snapshot());
	plan_family(make_snapshot2());
}

/* The peer whose prefix holding addr is the longest (WireGuard's choice), or -1: by brute force. */
static int64_t owner_by_hand(const struct wg_device *dev, uint8_t family, const uint8_t *addr)
{
	int64_t best = -1;
	int best_cidr = -1;

	for (uint32_t p = 0; p < dev->n_peers; ++p)
		for (uint32_t i = 0; i < dev->peers[p].n_allowedips; ++i) {
			const struct wg_allowedip *a = &dev->peers[p].allowedips[i];
			const uint8_t *net = family == AF_INET ? (const uint8_t *)&a->ip4 : a->ip6.s6_addr;
			bool in = a->family == family;

			for (int bit = 0; in && bit < a->cidr; ++bit)
				in = ((net[bit / 8] ^ addr[bit / 8]) & (0x80 >> (bit % 8))) == 0;
			if (in && a->cidr > best_cidr) {
				best_cidr = a->cidr;
				best = p;
			}
		}
	return best;
}

/*
 * Hubs of hundreds of peers (the plan's sort of many prefixes takes another path than a few):
 * single addresses spread over six /16s and an IPv6 /48, wider prefixes over them now and then.
 * The plan is in order, its ranges do not overlap, and every address asked for, in a prefix or
 * beside one, belongs to the peer WireGuard would route it to.
 */
static void test_plan_many_prefixes(void **state)
{
	unsigned int seed = 99;

	(void)state;
	for (int round = 0; round < 20; ++round) {
		struct wg_snapshot *snap = wg_snapshot_new();
		struct wg_device *dev = wg_device_new("wg0");
		int n_peers = 100 + rand_r(&seed) % 400;
		struct counters_plan plan;

		for (int p = 0; p < n_peers; ++p) {
			uint8_t key[WG_KEY_LEN] = { 0 };
			struct wg_peer *peer;
			char buf[80];

			key[0] = (uint8_t)p;
			key[1] = (uint8_t)(p >> 8);
			peer = wg_device_get_peer(dev, key, NULL);
			/* Distinct by construction: p in the low bits, a random /16 and middle byte above. */
			snprintf(buf, sizeof(buf), "10.%d.%d.%d/32", rand_r(&seed) % 6, (p >> 8) + 4 * (rand_r(&seed) % 60),
				 p & 0xff);
			add_ip(peer, buf);
			snprintf(buf, sizeof(buf), "fd00:1:%x::%x:%x/128", rand_r(&seed) % 3, rand_r(&seed) % 0x10000, p);
			add_ip(peer, buf);
			/* Each once: the peer's number is in the prefix (WireGuard keeps a prefix once). */
			if (p < 2) {
				snprintf(buf, sizeof(buf), "10.%d.0.0/16", 4 + p);
				add_ip(peer, buf);
			}
			if (rand_r(&seed) % 10 == 0) {
				snprintf(buf, sizeof(buf), "10.%d.%d.0/24", 4 + (p >> 8), p & 0xff);
				add_ip(peer, buf);
				snprintf(buf, sizeof(buf), "fd00:1:%x:%x::/64", p % 3, p);
				add_ip(peer, buf);
			}
		}
		wg_snapshot_add_device(snap, dev);
		assert_int_equal(counters_plan_build(&plan, snap), 0);
		for (size_t i = 1; i < plan.n; ++i) {
			const struct counters_range *a = &plan.v[i - 1], *b = &plan.v[i];

			assert_true(counters_range_cmp(a, b) < 0);
			if (a->family == b->family)
				assert_true(memcmp(a->end, b->start, counters_addr_len(a->family)) < 0);
		}
		for (int probe = 0; probe < 3000; ++probe) {
			const struct wg_peer *p = &dev->peers[rand_r(&seed) % dev->n_peers];
			const struct wg_allowedip *a = &p->allowedips[rand_r(&seed) % p->n_allowedips];
			uint8_t addr[16] = { 0 };
			size_t alen = counters_addr_len(a->family);
			const struct counters_range *r;

			memcpy(addr, a->family == AF_INET ? (const uint8_t *)&a->ip4 : a->ip6.s6_addr, alen);
			/* The address itself, or another in the same /22 or /118: often someone else's, or nobody's. */
			if (probe % 2) {
				addr[alen - 1] = (uint8_t)rand_r(&seed);
				addr[alen - 2] ^= (uint8_t)(rand_r(&seed) % 4);
			}
			r = counters_plan_find(&plan, "wg0", a->family, addr);
			if (owner_by_hand(dev, a->family, addr) < 0)
				assert_null(r);
			else
				assert_int_equal(r ? (int64_t)r->peer : -1, owner_by_hand(dev, a->family, addr));
		}
		counters_plan_free(&plan);
		wg_snapshot_free(snap);
	}
}

struct seen {
	int tables, chains, base_chains, sets, rules, elem_msgs;
	int forward_rules, src4_rules, src6_rules, to_rules, shard_rules;
	int gotos, returns, pair_updates, shard_maps, map_elems, map_gotos;
	int from4_shards;		/* shards of from4 that elements went to */
	size_t from4_elems;
	bool interval_concat, hash_concat, counter_expr, pairs_timeout;
	size_t from4net_elems;
	int32_t prio;
	uint32_t policy, hook;
	int verdict_exprs;
	int netifs_lookups;
};

static int rule_expr(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	/*
	 * A counting chain may decide nothing and change nothing in a packet: its only verdicts
	 * go on to a chain of its own (src4, src6) or return from it.
	 */
	if (!strcmp(name, "immediate")) {
		uint32_t v = nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_VERDICT);
		const char *to = nftnl_expr_is_set(e, NFTNL_EXPR_IMM_CHAIN) ?
				 nftnl_expr_get_str(e, NFTNL_EXPR_IMM_CHAIN) : "";

		if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT && v == (uint32_t)NFT_GOTO &&
		    (!strcmp(to, "src4") || !strcmp(to, "src6") || !strcmp(to, "to4") || !strcmp(to, "to6")))
			s->gotos++;
		else if (nftnl_expr_get_u32(e, NFTNL_EXPR_IMM_DREG) == NFT_REG_VERDICT && v == (uint32_t)NFT_RETURN)
			s->returns++;
		else
			s->verdict_exprs++;
	}
	if (!strcmp(name, "reject") || !strcmp(name, "nat") || !strcmp(name, "queue") || !strcmp(name, "ct") ||
	    (!strcmp(name, "meta") && nftnl_expr_is_set(e, NFTNL_EXPR_META_SREG)))
		s->verdict_exprs++;
	if (!strcmp(name, "dynset") && !strncmp(nftnl_expr_get_str(e, NFTNL_EXPR_DYNSET_SET_NAME), "pairs", 5))
		s->pair_updates++;
	if (!strcmp(name, "lookup") && !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), "netifs"))
		s->netifs_lookups++;
	/* A verdict map only of the shard maps, whose elements go to the shards' chains (below). */
	if (!strcmp(name, "lookup") && nftnl_expr_is_set(e, NFTNL_EXPR_LOOKUP_DREG)) {
		if (nftnl_expr_get_u32(e, NFTNL_EXPR_LOOKUP_DREG) == NFT_REG_VERDICT &&
		    strstr(nftnl_expr_get_str(e, NFTNL_EXPR_LOOKUP_SET), "_shards"))
			s->shard_maps++;
		else
			s->verdict_exprs++;
	}
	return 0;
}

static int set_expr(struct nftnl_expr *e, void *data)
{
	struct seen *s = data;

	s->counter_expr = !strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter");
	return 0;
}

/* Every message of the batch, parsed back with libnftnl's parsers, field by field. */
static void walk_batch(const struct nft_batch *b, struct seen *s)
{
	const struct nlmsghdr *nlh = NULL;

	while ((nlh = nft_batch_next(b, nlh))) {
		uint16_t type = nlh->nlmsg_type & 0xff;

		if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		assert_true(nlh->nlmsg_flags & NLM_F_ACK);
		if (type == NFT_MSG_NEWTABLE) {
			struct nftnl_table *t = nftnl_table_alloc();

			assert_int_equal(nftnl_table_nlmsg_parse(nlh, t), 0);
			assert_string_equal(nftnl_table_get_str(t, NFTNL_TABLE_NAME), COUNTERS_TABLE);
			assert_int_equal(nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY), NFPROTO_INET);
			nftnl_table_free(t);
			s->tables++;
		} else if (type == NFT_MSG_NEWCHAIN) {
			struct nftnl_chain *c = nftnl_chain_alloc();

			assert_int_equal(nftnl_chain_nlmsg_parse(nlh, c), 0);
			/* One base chain, forward; the others only reached by a goto from it. */
			if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
				assert_string_equal(nftnl_chain_get_str(c, NFTNL_CHAIN_NAME), "forward");
				s->prio = nftnl_chain_get_s32(c, NFTNL_CHAIN_PRIO);
				s->policy = nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY);
				s->hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
				s->base_chains++;
			}
			nftnl_chain_free(c);
			s->chains++;
		} else if (type == NFT_MSG_NEWSET) {
			struct nftnl_set *set = nftnl_set_alloc();
			const char *name;

			assert_int_equal(nftnl_set_nlmsg_parse(nlh, set), 0);
			name = nftnl_set_get_str(set, NFTNL_SET_NAME);
			/* Single addresses in a hash, prefixes in an interval set; counters in both. */
			if (!strcmp(name, "from4net")) {
				s->interval_concat = nftnl_set_get_u32(set, NFTNL_SET_FLAGS) ==
						     (NFT_SET_INTERVAL | NFT_SET_CONCAT) &&
						     nftnl_set_get_u32(set, NFTNL_SET_KEY_LEN) == IFNAMSIZ + 4;
				nftnl_set_expr_foreach(set, set_expr, s);
			}
			/* from4 is the earlier version's: only its shards are made */
			assert_string_not_equal(name, "from4");
			if (!strcmp(name, "from4_7"))
				s->hash_concat = nftnl_set_get_u32(set, NFTNL_SET_FLAGS) == NFT_SET_CONCAT &&
						 nftnl_set_get_u32(set, NFTNL_SET_KEY_LEN) == IFNAMSIZ + 4;
			if (!strcmp(name, "pairs6"))
				s->pairs_timeout = nftnl_set_get_u64(set, NFTNL_SET_TIMEOUT) == COUNTERS_PAIRS_TIMEOUT_MS &&
						   nftnl_set_get_u32(set, NFTNL_SET_DESC_SIZE) == COUNTERS_PAIRS_SIZE &&
						   nftnl_set_get_u32(set, NFTNL_SET_KEY_LEN) == 32;
			nftnl_set_free(set);
			s->sets++;
		} else if (type == NFT_MSG_NEWRULE) {
			struct nftnl_rule *r = nftnl_rule_alloc();

			const char *chain;

			assert_int_equal(nftnl_rule_nlmsg_parse(nlh, r), 0);
			chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
			if (!strcmp(chain, "forward"))
				s->forward_rules++;
			else if (!strcmp(chain, "src4"))
				s->src4_rules++;
			else if (!strcmp(chain, "src6"))
				s->src6_rules++;
			else if (!strcmp(chain, "to4") || !strcmp(chain, "to6"))
				s->to_rules++;
			else if (strchr(chain, '_'))
				s->shard_rules++;
			else
				fail_msg("a rule in chain %s", chain);
			nftnl_expr_foreach(r, rule_expr, s);
			nftnl_rule_free(r);
			s->rules++;
		} else if (type == NFT_MSG_NEWSETELEM) {
			/* libnftnl numbers the element nests of a request, which its own parser refuses. */
			const struct nlattr *attr, *elem;
			size_t *count = NULL;

			mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
				const char *set;

				if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET) {
					set = mnl_attr_get_str(attr);
					count = !strncmp(set, "from4_", 6) && !strstr(set, "shards") ? &s->from4_elems :
						!strcmp(set, "from4net") ? &s->from4net_elems : NULL;
					s->from4_shards += count == &s->from4_elems;
					if (strstr(set, "_shards"))
						s->map_elems++;
				}
				if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_ELEMENTS && count)
					mnl_attr_for_each_nested(elem, attr)
						(*count)++;
			}
			s->elem_msgs++;
		} else {
			fail_msg("unexpected message type %u", type);
		}
	}
}

static void test_install_parsed_back(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_plan plan;
	struct nft_batch b;
	struct seen s = { 0 };

	assert_int_equal(counters_plan_build(&plan, snap), 0);
	assert_int_equal(nft_batch_init(&b, 100, true, 7), 0);
	assert_int_equal(counters_build_install(&b, &plan), 0);
	assert_int_equal(nft_batch_end(&b, true), 0);
	walk_batch(&b, &s);
	assert_int_equal(s.tables, 1);
	/* forward, src4, to4, src6, to6; a chain for each shard of from4, to4, from6, to6, and src4_K, src6_K */
	assert_int_equal(s.chains, 5 + 4 * COUNTERS_SHARDS + 2 * COUNTERS_SHARDS);
	assert_int_equal(s.base_chains, 1);
	assert_int_equal(s.hook, NF_INET_FORWARD);
	assert_int_equal(s.policy, NF_ACCEPT);
	assert_int_equal(s.prio, COUNTERS_PRIORITY);
	/* ifaces, netifs, four interval sets, two of pairs, the shards, six shard maps */
	assert_int_equal(s.sets, 8 + 4 * COUNTERS_SHARDS + 6);
	/*
	 * forward: the source's shard map of each family; to4, to6, src4, src6: the destination's.
	 * A source shard's chain: its set, going on to src4 (or src6), the prefixes' likewise, and
	 * a goto to4 (to6) for a packet from elsewhere. A destination shard's chain: its set and
	 * the prefixes'; in src4_K, with the pair's update, the single addresses' rule returning.
	 */
	assert_int_equal(s.forward_rules, 2);
	assert_int_equal(s.src4_rules, 1);
	assert_int_equal(s.src6_rules, 1);
	assert_int_equal(s.to_rules, 2);
	assert_int_equal(s.shard_rules, 2 * COUNTERS_SHARDS * (3 + 2 + 2));
	assert_int_equal(s.rules, 6 + 2 * COUNTERS_SHARDS * 7);
	assert_int_equal(s.shard_maps, 6);
	assert_int_equal(s.gotos, 2 * COUNTERS_SHARDS * 3);
	assert_int_equal(s.returns, 2 * COUNTERS_SHARDS);
	assert_int_equal(s.pair_updates, 2 * COUNTERS_SHARDS * 2);
	assert_int_equal(s.verdict_exprs, 0);
	/* The interval sets are looked up only on an interface with prefixes: 3 rules in each shard. */
	assert_int_equal(s.netifs_lookups, 2 * COUNTERS_SHARDS * 3);
	assert_true(s.interval_concat);
	assert_true(s.hash_concat);
	assert_true(s.counter_expr);
	assert_true(s.pairs_timeout);
	/* 10.0.0.5 and 255.255.255.255, in shards 5 and 15; the two stretches of the /24 and the /25s */
	assert_int_equal(s.from4_elems, 2);
	assert_int_equal(s.from4_shards, 2);
	assert_int_equal(s.from4net_elems, 3);
	/* ifaces, netifs; the six maps; from4 (two shards), from4net, from6net; to4 (two), to4net, to6net */
	assert_int_equal(s.map_elems, 6);
	assert_int_equal(s.elem_msgs, 16);
	assert_string_equal(nft_batch_label(&b, 101), "add table inet wgstar");
	assert_null(nft_batch_label(&b, 100));
	nft_batch_free(&b);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/* The messages of a batch that add or delete elements: "+set:n" or "-set:n" for each, n its elements. */
static void changed_elems(const struct nft_batch *b, char *out, size_t len, const uint8_t *key, size_t klen,
			  int *key_in)
{
	const struct nlmsghdr *nlh = NULL;

	out[0] = '\0';
	*key_in = 0;
	while ((nlh = nft_batch_next(b, nlh))) {
		const struct nlattr *attr, *elem;
		const char *set = "?";
		size_t n = 0;

		bool add = (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM;

		if ((!add && (nlh->nlmsg_type & 0xff) != NFT_MSG_DELSETELEM) || nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ||
		    nlh->nlmsg_type == NFNL_MSG_BATCH_END)
			continue;
		/* An element there already, or missing, fails the batch: then a full sync follows. */
		assert_int_equal(!!(nlh->nlmsg_flags & NLM_F_EXCL), add);
		mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
			if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET)
				set = mnl_attr_get_str(attr);
			if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_ELEMENTS)
				mnl_attr_for_each_nested(elem, attr)
					n++;
		}
		snprintf(out + strlen(out), len - strlen(out), "%s%c%s:%zu", out[0] ? " " : "", add ? '+' : '-', set, n);
		if (memmem(nlh, nlh->nlmsg_len, key, klen))
			(*key_in)++;
	}
}

/*
 * A peer just added, or removed: its single addresses go straight into the four sets or out of
 * them, unless the table does not count its interface, or one of them is a prefix or lies in a
 * peer's prefix (then a full sync, which splits or joins that prefix's range, is needed).
 */
static void test_peer_elems(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	const struct wg_device *dev = snap->devices[0];
	char ifaces[2][IFNAMSIZ] = { "wg9", "wg0" };
	struct counters_reading r = { .present = true, .ifaces = ifaces, .n_ifaces = 2 };
	struct wg_allowedip ips[2];
	uint8_t key[20] = "wg0";
	struct nft_batch b;
	char got[256];
	int key_in;

	(void)state;
	assert_int_equal(prefix_parse(&ips[0], "10.2.0.7/32"), 0);
	assert_int_equal(prefix_parse(&ips[1], "fd01::7/128"), 0);
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, ips, 2, false), 0);
	assert_int_equal(nft_batch_end(&b, true), 0);
	v4(key + 16, "10.2.0.7");
	changed_elems(&b, got, sizeof(got), key, sizeof(key), &key_in);
	/* Into the shard of the address's last bits: 7 */
	assert_string_equal(got, "+from4_7:1 +to4_7:1 +from6_7:1 +to6_7:1");
	assert_int_equal(key_in, 2);	/* interface and address, in from4 and to4 */
	nft_batch_free(&b);
	/* An earlier version's table has no shards: the sets whole. */
	r.legacy = true;
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, ips, 2, false), 0);
	assert_int_equal(nft_batch_end(&b, true), 0);
	changed_elems(&b, got, sizeof(got), key, sizeof(key), &key_in);
	assert_string_equal(got, "+from4:1 +to4:1 +from6:1 +to6:1");
	nft_batch_free(&b);
	r.legacy = false;
	/* Peer 1 (10.0.0.5/32, inside peer 0's /24) leaves: a sync joins the /24 again. */
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, dev->peers[1].allowedips, 1, true), -EAGAIN);
	nft_batch_free(&b);
	/* Peer 3 (255.255.255.255/32) leaves: its two elements go. */
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, dev->peers[3].allowedips, 1, true), 0);
	assert_int_equal(nft_batch_end(&b, true), 0);
	v4(key + 16, "255.255.255.255");
	changed_elems(&b, got, sizeof(got), key, sizeof(key), &key_in);
	assert_string_equal(got, "-from4_15:1 -to4_15:1");
	assert_int_equal(key_in, 2);
	nft_batch_free(&b);

	/* In another peer's prefix (10.0.0.0/24, fd00::/64, 10.1.0.128/25), or a prefix itself. */
	static const char *const hard[] = { "10.0.0.9/32", "fd00::9/128", "10.3.0.0/24", "10.1.0.200/32" };
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); ++i) {
		assert_int_equal(prefix_parse(&ips[0], hard[i]), 0);
		assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
		assert_int_equal(counters_build_peer_elems(&b, &r, dev, ips, 1, false), -EAGAIN);
		nft_batch_free(&b);
	}
	assert_int_equal(prefix_parse(&ips[0], "10.2.0.7/32"), 0);
	r.n_ifaces = 1;
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, ips, 1, false), -EAGAIN);
	nft_batch_free(&b);
	r.n_ifaces = 2;
	r.present = false;
	assert_int_equal(nft_batch_init(&b, 10, false, 0), 0);
	assert_int_equal(counters_build_peer_elems(&b, &r, dev, ips, 1, false), -EAGAIN);
	nft_batch_free(&b);
	wg_snapshot_free(snap);
}

/* The sets as the kernel would dump them: NEWSETELEM messages with counters. */
static void put_dump(char *buf, size_t *len, const char *set, const uint8_t *keys, size_t klen, size_t n,
		     bool with_end, uint64_t packets)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_set_elems_iter *iter;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	for (size_t i = 0; i < n; ++i) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		struct nftnl_expr *c = nftnl_expr_alloc("counter");

		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys + i * klen, (uint32_t)klen);
		if (with_end)
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, keys + i * klen, (uint32_t)klen);
		nftnl_expr_set_u64(c, NFTNL_EXPR_CTR_PACKETS, packets + i);
		nftnl_expr_set_u64(c, NFTNL_EXPR_CTR_BYTES, (packets + i) * 100);
		nftnl_set_elem_add_expr(e, c);
		nftnl_set_elem_add(s, e);
	}
	nlh = nftnl_nlmsg_build_hdr(buf + *len, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_MULTI, 1);
	/* As the kernel dumps them: every element nest is NFTA_LIST_ELEM. */
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, COUNTERS_TABLE);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set);
	nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	iter = nftnl_set_elems_iter_create(s);
	for (struct nftnl_set_elem *e; (e = nftnl_set_elems_iter_next(iter));)
		nftnl_set_elem_nlmsg_build(nlh, e, NFTA_LIST_ELEM);
	nftnl_set_elems_iter_destroy(iter);
	mnl_attr_nest_end(nlh, nest);
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
	nftnl_set_free(s);
}

/* The ruleset generation of the last message put into buf: what the kernel says in res_id. */
static void set_gen(char *buf, size_t len, uint16_t gen)
{
	const struct nlmsghdr *last = NULL;
	int left = (int)len;

	for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		last = nlh;
	assert_non_null(last);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(last))->res_id = htons(gen);
}

/*
 * A reading whose messages were answered in more than one generation of the ruleset (a table
 * made again between two sets' dumps, or between the threads' parts) says so; one generation,
 * in one reading or merged from two, does not.
 */
static void test_reading_generations(void **state)
{
	static char buf[4096];
	uint8_t key[20] = "wg0";
	struct counters_reading a = { 0 }, b = { 0 }, c = { 0 };
	const struct nlmsghdr *from4 = (const struct nlmsghdr *)buf, *to4;
	size_t len = 0;

	(void)state;
	v4(key + 16, "10.0.0.5");
	put_dump(buf, &len, "from4", key, 20, 1, false, 1);
	set_gen(buf, len, 41);
	to4 = (const struct nlmsghdr *)(buf + len);
	put_dump(buf, &len, "to4", key, 20, 1, false, 1);
	set_gen(buf, len, 41);

	/* Two sets of one generation, and a part of the same one merged: one generation. */
	assert_int_equal(counters_parse_elems(from4, &a), 0);
	assert_int_equal(counters_parse_elems(to4, &a), 0);
	assert_true(a.has_gen);
	assert_int_equal(a.gen, 41);
	assert_false(a.gen_mixed);
	assert_int_equal(counters_parse_elems(from4, &b), 0);
	assert_int_equal(counters_reading_merge(&a, &b), 0);
	assert_false(a.gen_mixed);
	assert_int_equal(a.n_ranges[COUNTERS_FROM], 2);

	/* The second set answered after a change: a reading of two generations. */
	set_gen(buf, len, 42);
	assert_int_equal(counters_parse_elems(from4, &b), 0);
	assert_int_equal(counters_parse_elems(to4, &b), 0);
	assert_true(b.gen_mixed);

	/* A part of one later generation merged into a part of the earlier one: two generations. */
	assert_int_equal(counters_parse_elems(to4, &c), 0);
	assert_false(c.gen_mixed);
	assert_int_equal(c.gen, 42);
	assert_int_equal(counters_reading_merge(&a, &c), 0);
	assert_true(a.gen_mixed);
	counters_reading_free(&a);
	counters_reading_free(&b);
	counters_reading_free(&c);
}

/*
 * A reading told how many ranges to expect takes them in one allocation, and two parts so
 * sized are joined in the first one's array: no copy of a big hub's reading while it grows.
 */
static void test_reading_sized(void **state)
{
	static char buf[8192];
	uint8_t keys[3 * 20] = { 0 };
	const char *addrs[] = { "10.0.0.5", "10.0.0.6", "10.0.0.7" };
	struct counters_reading a = { .expect = { 500, 0 } }, b = { .expect = { 500, 0 } }, c = { 0 };
	const struct counters_range *before;
	size_t len = 0;

	(void)state;
	for (size_t i = 0; i < 3; ++i) {
		memcpy(keys + i * 20, "wg0", 3);
		v4(keys + i * 20 + 16, addrs[i]);
	}
	put_dump(buf, &len, "from4", keys, 20, 2, false, 7);
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)buf, &a), 0);
	assert_int_equal(a.n_ranges[COUNTERS_FROM], 2);
	assert_int_equal(a.cap_ranges[COUNTERS_FROM], 500);
	len = 0;
	put_dump(buf, &len, "from4", keys + 2 * 20, 20, 1, false, 9);
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)buf, &b), 0);
	before = a.ranges[COUNTERS_FROM];
	assert_int_equal(counters_reading_merge(&a, &b), 0);
	assert_ptr_equal(a.ranges[COUNTERS_FROM], before);
	assert_int_equal(a.cap_ranges[COUNTERS_FROM], 500);
	assert_int_equal(a.n_ranges[COUNTERS_FROM], 3);
	assert_int_equal(a.ranges[COUNTERS_FROM][2].packets, 9);
	assert_int_equal(a.ranges[COUNTERS_FROM][2].start[3], 7);
	assert_int_equal(a.ranges[COUNTERS_FROM][0].start[3], 5);
	/* Without a count the array grows as it goes, and a join past its room still holds all. */
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)buf, &c), 0);
	assert_int_equal(c.cap_ranges[COUNTERS_FROM], 64);
	a.cap_ranges[COUNTERS_FROM] = a.n_ranges[COUNTERS_FROM];
	assert_int_equal(counters_reading_merge(&a, &c), 0);
	assert_int_equal(a.n_ranges[COUNTERS_FROM], 4);
	assert_true(a.cap_ranges[COUNTERS_FROM] >= 4);
	assert_int_equal(a.ranges[COUNTERS_FROM][3].start[3], 7);
	counters_reading_free(&a);
	counters_reading_free(&b);
	counters_reading_free(&c);
}

/* The name of the set a dump request asks for. */
static const char *request_set(const struct nlmsghdr *nlh)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg))
		if (mnl_attr_get_type(attr) == NFTA_SET_ELEM_LIST_SET)
			return mnl_attr_get_str(attr);
	return "";
}

/*
 * Every set is dumped once, ifaces first (its absence says there is no table), each shard of
 * the hash sets in turn; a shard missing asks, for the first, for an earlier version's set
 * whole, and for the others nothing. A shard's elements read back as their set's.
 */
static void test_dump_requests(void **state)
{
	char buf[COUNTERS_REQUEST_LEN];
	static char dump[4096];
	struct nlmsghdr *nlh;
	uint8_t key[20] = "wg0";
	struct counters_reading r = { 0 };
	unsigned int i, shards = 0;
	size_t len = 0;

	(void)state;
	assert_int_equal(counters_dump_request(buf, 0, false, &nlh), 1);
	assert_string_equal(request_set(nlh), "ifaces");
	assert_int_equal(counters_dump_request(buf, 0, true, &nlh), 0);
	for (i = 0; counters_dump_request(buf, i, false, &nlh) == 1; ++i) {
		const char *name = request_set(nlh);

		assert_int_equal(nlh->nlmsg_flags & NLM_F_DUMP, NLM_F_DUMP);
		assert_int_not_equal(strcmp(name, "from4"), 0);
		shards += strchr(name, '_') != NULL;
		if (!strcmp(name, "to6_0")) {
			assert_int_equal(counters_dump_request(buf, i, true, &nlh), 1);
			assert_string_equal(request_set(nlh), "to6");
		} else if (!strcmp(name, "to6_9")) {
			assert_int_equal(counters_dump_request(buf, i, true, &nlh), 2);
		} else if (!strcmp(name, "pairs4")) {
			assert_int_equal(counters_dump_request(buf, i, true, &nlh), 0);
		}
	}
	/* ifaces, netifs, four interval sets, two of pairs; the shards; the maps hold no counter */
	assert_int_equal(i, 8 + 4 * COUNTERS_SHARDS);
	assert_int_equal(shards, 4 * COUNTERS_SHARDS);
	assert_int_equal(counters_dump_request(buf, i, false, &nlh), 0);

	v4(key + 16, "10.0.0.5");
	put_dump(dump, &len, "to4_5", key, 20, 1, false, 1);
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)dump, &r), 0);
	assert_int_equal(r.n_ranges[COUNTERS_TO], 1);
	assert_int_equal(r.n_ranges[COUNTERS_FROM], 0);
	assert_memory_equal(r.ranges[COUNTERS_TO][0].start, key + 16, 4);
	counters_reading_free(&r);
}

static void test_reading_to_peers(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_reading r = { 0 };
	struct counters_plan plan;
	static char buf[16384];
	uint8_t keys[3][20] = { { 0 } }, pair[2][8];
	size_t len = 0;
	const struct nlmsghdr *nlh;
	int left;
	struct wg_device *dev;

	for (int i = 0; i < 3; ++i)
		strcpy((char *)keys[i], "wg0");
	v4(keys[0] + 16, "10.0.0.0");	/* peer 0 */
	v4(keys[1] + 16, "10.0.0.6");	/* peer 0 again: summed */
	v4(keys[2] + 16, "10.0.0.5");	/* peer 1 */
	put_dump(buf, &len, "from4net", keys[0], 20, 2, true, 10);
	put_dump(buf, &len, "from4", keys[2], 20, 1, false, 12);
	put_dump(buf, &len, "to4", keys[2], 20, 1, true, 4);
	v4(pair[0], "10.0.0.5");
	v4(pair[0] + 4, "10.0.0.7");
	v4(pair[1], "10.0.0.9");
	v4(pair[1] + 4, "10.0.0.5");
	put_dump(buf, &len, "pairs4", pair[0], 8, 2, false, 3);
	put_dump(buf, &len, "ifaces", (const uint8_t *)"wg0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 1, false, 0);

	left = (int)len;
	for (nlh = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
		assert_int_equal(counters_parse_elems(nlh, &r), 0);
	assert_int_equal(r.n_ranges[COUNTERS_FROM], 3);
	assert_int_equal(r.n_pairs, 2);
	assert_int_equal(r.n_ifaces, 1);
	r.present = true;

	assert_int_equal(counters_plan_build(&plan, snap), 0);
	assert_int_equal(counters_apply(snap, &plan, &r), 0);
	dev = snap->devices[0];
	assert_int_equal(dev->peers[0].forwarded.from_packets, 10 + 11);
	assert_int_equal(dev->peers[0].forwarded.from_bytes, 2100);
	assert_int_equal(dev->peers[1].forwarded.from_packets, 12);
	assert_int_equal(dev->peers[1].forwarded.to_packets, 4);
	assert_int_equal(dev->peers[1].forwarded.to_bytes, 400);
	assert_int_equal(dev->peers[3].forwarded.from_packets, 0);
	/* 10.0.0.5 is peer 1, 10.0.0.7 and 10.0.0.9 are peer 0. */
	assert_true(dev->has_flows);
	assert_int_equal(dev->n_flows, 2);
	assert_int_equal(dev->flows[0].from, 1);
	assert_int_equal(dev->flows[0].to, 0);
	assert_int_equal(dev->flows[0].packets, 3);
	assert_int_equal(dev->flows[1].from, 0);
	assert_int_equal(dev->flows[1].to, 1);
	assert_int_equal(dev->flows[1].bytes, 400);

	r.present = false;
	assert_int_equal(counters_apply(snap, &plan, &r), 0);
	assert_false(dev->has_flows);
	assert_int_equal(dev->peers[0].forwarded.from_packets, 0);
	counters_reading_free(&r);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

static void test_sync(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_reading r = { 0 };
	struct counters_plan plan;
	struct nft_batch b;
	const struct nlmsghdr *nlh = NULL;
	int adds = 0, dels = 0;

	assert_int_equal(counters_plan_build(&plan, snap), 0);
	/* The sets already hold the plan, but for one range of peer 0 and one stale range. */
	r.present = true;
	r.n_ranges[COUNTERS_FROM] = r.n_ranges[COUNTERS_TO] = plan.n;
	r.ranges[COUNTERS_FROM] = calloc(plan.n, sizeof(struct counters_range));
	r.ranges[COUNTERS_TO] = calloc(plan.n, sizeof(struct counters_range));
	memcpy(r.ranges[COUNTERS_FROM], plan.v, plan.n * sizeof(*plan.v));
	memcpy(r.ranges[COUNTERS_TO], plan.v, plan.n * sizeof(*plan.v));
	v4(r.ranges[COUNTERS_TO][0].start, "192.0.2.0");
	r.ifaces = calloc(1, IFNAMSIZ);
	strcpy(r.ifaces[0], "wg0");
	r.n_ifaces = 1;
	r.netifs = calloc(1, IFNAMSIZ);
	strcpy(r.netifs[0], "wg0");
	r.n_netifs = 1;

	assert_int_equal(nft_batch_init(&b, 1, false, 0), 0);
	/* to4: one deleted, one added */
	assert_int_equal(counters_build_sync(&b, &plan, &r), 2);
	nft_batch_end(&b, true);
	while ((nlh = nft_batch_next(&b, nlh))) {
		adds += (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWSETELEM;
		dels += (nlh->nlmsg_type & 0xff) == NFT_MSG_DELSETELEM;
	}
	assert_int_equal(adds, 1);
	assert_int_equal(dels, 1);
	nft_batch_free(&b);

	/* In step: nothing to send; another interface's element is not ours to delete. */
	memcpy(r.ranges[COUNTERS_TO], plan.v, plan.n * sizeof(*plan.v));
	strcpy(r.ranges[COUNTERS_FROM][0].ifname, "wg9");
	r.ranges[COUNTERS_FROM][0].start[0] = 172;
	r.ranges[COUNTERS_FROM] = realloc(r.ranges[COUNTERS_FROM], (plan.n + 1) * sizeof(*plan.v));
	r.ranges[COUNTERS_FROM][plan.n] = plan.v[0];
	r.n_ranges[COUNTERS_FROM]++;
	assert_int_equal(nft_batch_init(&b, 1, false, 0), 0);
	assert_int_equal(counters_build_sync(&b, &plan, &r), 0);
	nft_batch_free(&b);
	counters_reading_free(&r);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/* r's ranges of direction dir, one by one as a dump gives them, into the fold; those it leaves into kept. */
static void fold_in(struct counters_fold *f, const struct counters_reading *r, int dir, struct counters_reading *kept)
{
	for (size_t i = 0; i < r->n_ranges[dir]; ++i) {
		struct counters_range *v;

		if (counters_fold_take(f, dir, &r->ranges[dir][i]))
			continue;
		v = realloc(kept->ranges[dir], (kept->n_ranges[dir] + 1) * sizeof(*v));
		assert_non_null(v);
		kept->ranges[dir] = v;
		v[kept->n_ranges[dir]++] = r->ranges[dir][i];
	}
}

static void push_range(struct counters_reading *r, int dir, const struct counters_range *e)
{
	struct counters_range *v = realloc(r->ranges[dir], (r->n_ranges[dir] + 1) * sizeof(*v));

	assert_non_null(v);
	r->ranges[dir] = v;
	v[r->n_ranges[dir]++] = *e;
}

/*
 * A reading folded as it is parsed does what the whole reading does: the same batch to bring
 * the sets in step (an element twice, one of another interface, a stale one, one whose end
 * moved, a range missing), and the same figures for every peer and pair.
 */
static void fold_as_whole(struct wg_snapshot *(*make)(void))
{
	struct wg_snapshot *whole_snap = make(), *fold_snap = make();
	struct counters_reading r = { 0 }, kept = { 0 };
	struct counters_fold fold;
	struct counters_plan plan;
	struct counters_range odd;
	struct nft_batch a, b;
	const struct nlmsghdr *na = NULL, *nb = NULL;
	int ret_a, ret_b, msgs = 0;

	assert_int_equal(counters_plan_build(&plan, whole_snap), 0);
	r.present = kept.present = true;
	for (size_t i = 0; i < plan.n; ++i) {
		struct counters_range e = plan.v[i];

		e.dev = e.peer = 0;
		e.packets = i + 1;
		e.bytes = 100 * (i + 1);
		push_range(&r, COUNTERS_FROM, &e);
		/* to: all but the third */
		e.packets += 50;
		if (i != 2)
			push_range(&r, COUNTERS_TO, &e);
		if (i == 1)
			push_range(&r, COUNTERS_FROM, &e);
	}
	odd = plan.v[0];
	odd.dev = odd.peer = 0;
	odd.packets = 7;
	odd.bytes = 700;
	strcpy(odd.ifname, "wg9");
	push_range(&r, COUNTERS_FROM, &odd);
	/* The range to has not: there with an end that moved. */
	odd = plan.v[2];
	odd.packets = 9;
	v4(odd.end, "10.0.0.200");
	push_range(&r, COUNTERS_TO, &odd);
	v4(odd.start, "192.0.2.0");
	v4(odd.end, "192.0.2.0");
	push_range(&r, COUNTERS_TO, &odd);
	r.pairs = calloc(2, sizeof(*r.pairs));
	r.n_pairs = 2;
	r.pairs[0] = (struct counters_pair){ .family = AF_INET, .packets = 3, .bytes = 300 };
	v4(r.pairs[0].saddr, "10.0.0.5");
	v4(r.pairs[0].daddr, "10.0.0.7");
	r.pairs[1] = r.pairs[0];
	v4(r.pairs[1].saddr, "192.0.2.9");	/* nobody's */
	r.ifaces = calloc(1, IFNAMSIZ);
	strcpy(r.ifaces[0], "wg0");
	r.n_ifaces = 1;

	/* A snapshot's counters from before are not kept. */
	fold_snap->devices[0]->peers[2].forwarded.from_packets = 1000;
	assert_int_equal(counters_fold_init(&fold, &plan, fold_snap), 0);
	fold_in(&fold, &r, COUNTERS_FROM, &kept);
	fold_in(&fold, &r, COUNTERS_TO, &kept);
	/* Kept: the second of the twice-read range, wg9's; the moved end, the stale one. */
	assert_int_equal(kept.n_ranges[COUNTERS_FROM], 2);
	assert_int_equal(kept.n_ranges[COUNTERS_TO], 2);
	kept.fold = &fold;
	kept.pairs = r.pairs;
	kept.n_pairs = r.n_pairs;
	kept.ifaces = r.ifaces;
	kept.n_ifaces = r.n_ifaces;

	assert_int_equal(nft_batch_init(&a, 1, false, 0), 0);
	assert_int_equal(nft_batch_init(&b, 1, false, 0), 0);
	ret_a = counters_build_sync(&a, &plan, &r);
	ret_b = counters_build_sync(&b, &plan, &kept);
	assert_true(ret_a > 0);
	assert_int_equal(ret_b, ret_a);
	nft_batch_end(&a, true);
	nft_batch_end(&b, true);
	for (;;) {
		na = nft_batch_next(&a, na);
		nb = nft_batch_next(&b, nb);
		assert_true(!na == !nb);
		if (!na)
			break;
		assert_int_equal(na->nlmsg_len, nb->nlmsg_len);
		assert_memory_equal(na, nb, na->nlmsg_len);
		msgs++;
	}
	/* begin, the deletes and adds, end */
	assert_true(msgs > 2);
	nft_batch_free(&a);
	nft_batch_free(&b);

	assert_int_equal(counters_apply(whole_snap, &plan, &r), 0);
	assert_int_equal(counters_apply(fold_snap, &plan, &kept), 0);
	for (size_t d = 0; d < whole_snap->n_devices; ++d)
		for (uint32_t p = 0; p < whole_snap->devices[d]->n_peers; ++p)
			assert_memory_equal(&fold_snap->devices[d]->peers[p].forwarded,
					    &whole_snap->devices[d]->peers[p].forwarded, sizeof(struct wg_forwarded));
	assert_int_equal(fold_snap->devices[0]->peers[0].forwarded.to_packets,
			 whole_snap->devices[0]->peers[0].forwarded.to_packets);
	assert_true(whole_snap->devices[0]->peers[1].forwarded.from_packets > 0);
	assert_int_equal(fold_snap->devices[0]->n_flows, whole_snap->devices[0]->n_flows);
	assert_int_equal(fold_snap->devices[0]->n_flows, 1);
	assert_memory_equal(fold_snap->devices[0]->flows, whole_snap->devices[0]->flows, sizeof(struct wg_flow));
	assert_true(fold_snap->devices[0]->has_flows);

	/* Read again: nothing seen, nobody's counters. */
	counters_fold_reset(&fold);
	for (size_t i = 0; i < plan.n; ++i)
		assert_false(fold.seen[COUNTERS_FROM][i] || fold.seen[COUNTERS_TO][i]);
	assert_int_equal(fold_snap->devices[0]->peers[1].forwarded.from_packets, 0);

	kept.pairs = NULL;
	kept.ifaces = NULL;
	counters_reading_free(&kept);
	counters_reading_free(&r);
	counters_fold_free(&fold);
	counters_plan_free(&plan);
	wg_snapshot_free(whole_snap);
	wg_snapshot_free(fold_snap);
}

static void test_fold_as_whole(void **state)
{
	struct wg_snapshot *snap = make_snapshot2();
	struct counters_plan plan;
	struct counters_fold fold;
	struct counters_range e;

	(void)state;
	fold_as_whole(make_snapshot);
	fold_as_whole(make_snapshot2);
	/* wg1's element goes to wg1's peer, not to the peer of the same index on wg0. */
	assert_int_equal(counters_plan_build(&plan, snap), 0);
	assert_int_equal(counters_fold_init(&fold, &plan, snap), 0);
	memset(&e, 0, sizeof(e));
	e.family = AF_INET;
	strcpy(e.ifname, "wg1");
	v4(e.start, "10.5.0.20");
	v4(e.end, "10.5.0.20");
	e.packets = 5;
	assert_true(counters_fold_take(&fold, COUNTERS_TO, &e));
	assert_int_equal(snap->devices[1]->peers[19].forwarded.to_packets, 5);
	for (uint32_t p = 0; p < snap->devices[0]->n_peers; ++p)
		assert_int_equal(snap->devices[0]->peers[p].forwarded.to_packets, 0);
	/* Applied to another snapshot, or synced against another plan: refused. */
	{
		struct wg_snapshot *other = make_snapshot2();
		struct counters_reading r = { .present = true, .fold = &fold };
		struct counters_plan plan2;
		struct nft_batch b;

		assert_int_equal(counters_apply(other, &plan, &r), -EINVAL);
		assert_int_equal(counters_plan_build(&plan2, snap), 0);
		assert_int_equal(nft_batch_init(&b, 1, false, 0), 0);
		assert_int_equal(counters_build_sync(&b, &plan2, &r), -EINVAL);
		nft_batch_free(&b);
		counters_plan_free(&plan2);
		wg_snapshot_free(other);
	}
	counters_fold_free(&fold);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/* The parser hands each element to the fold first: a plan's range is taken, another kept. */
static void test_fold_parsed(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_reading r = { 0 };
	struct counters_fold fold;
	struct counters_plan plan;
	static char buf[4096];
	uint8_t keys[2][20] = { { 0 } };
	size_t len = 0;

	(void)state;
	assert_int_equal(counters_plan_build(&plan, snap), 0);
	assert_int_equal(counters_fold_init(&fold, &plan, snap), 0);
	strcpy((char *)keys[0], "wg0");
	strcpy((char *)keys[1], "wg0");
	v4(keys[0] + 16, "10.0.0.5");	/* peer 1's own range */
	v4(keys[1] + 16, "10.0.0.9");	/* inside peer 0's stretch, not a range of its own */
	put_dump(buf, &len, "from4_5", keys[0], 20, 2, false, 12);
	r.fold = &fold;
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)buf, &r), 0);
	assert_int_equal(r.n_ranges[COUNTERS_FROM], 1);
	assert_memory_equal(r.ranges[COUNTERS_FROM][0].start, keys[1] + 16, 4);
	assert_true(fold.seen[COUNTERS_FROM][1]);
	assert_false(fold.seen[COUNTERS_TO][1]);
	assert_int_equal(snap->devices[0]->peers[1].forwarded.from_packets, 12);
	assert_int_equal(snap->devices[0]->peers[1].forwarded.from_bytes, 1200);
	/* The same element again: read twice, kept for the sync to delete. */
	assert_int_equal(counters_parse_elems((const struct nlmsghdr *)buf, &r), 0);
	assert_int_equal(r.n_ranges[COUNTERS_FROM], 3);
	assert_int_equal(snap->devices[0]->peers[1].forwarded.from_packets, 12);
	counters_reading_free(&r);
	counters_fold_free(&fold);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/* The sets of a table, as a dump answers them: ifaces, then one from4 and one to4 shard. */
struct fake_sets {
	char buf[4096];
	size_t off[3];
	int reads;			/* readings begun (the first set asked) */
	int eintr_read;			/* the reading whose third set a change overtakes; 0 none, -1 every */
	int gone_from;			/* the reading from which on the table is not there; 0 never */
	int mixed_reads;		/* the readings whose last set is of a later generation */
};

static void fake_sets_init(struct fake_sets *f)
{
	uint8_t key[20] = "wg0";
	size_t len = 0;

	memset(f, 0, sizeof(*f));
	v4(key + 16, "10.0.0.5");	/* peer 1's own range */
	put_dump(f->buf, &len, "ifaces", (const uint8_t *)"wg0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, 1, false, 0);
	f->off[1] = len;
	put_dump(f->buf, &len, "from4_5", key, 20, 1, false, 12);
	f->off[2] = len;
	put_dump(f->buf, &len, "to4_5", key, 20, 1, false, 4);
}

static int fake_dump(void *ctx, struct counters_reading *r, unsigned int i)
{
	struct fake_sets *f = ctx;
	struct nlmsghdr *nlh;

	if (i == 0 && (++f->reads >= f->gone_from && f->gone_from))
		return -ENOENT;
	if (i > 2)
		return 1;
	if (i == 2 && (f->eintr_read < 0 || f->eintr_read == f->reads))
		return -EINTR;
	nlh = (struct nlmsghdr *)(f->buf + f->off[i]);
	((struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->res_id = htons(i == 2 && f->reads <= f->mixed_reads ? 42 : 41);
	return counters_parse_elems(nlh, r);
}

/* A reading of the fake sets folded into a new snapshot: its return, and peer 1's figures. */
static int fold_read(struct fake_sets *f, bool *present, uint64_t *from, uint64_t *to)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_plan plan = { 0 };
	struct counters_fold fold = { 0 };
	struct counters_reading r = { 0 };
	int ret;

	snap->devices[0]->peers[1].forwarded.from_packets = 99;
	ret = counters_read_all(fake_dump, f, snap, &plan, &fold, &r);
	*present = r.present;
	if (!ret)
		assert_int_equal(counters_apply(snap, &plan, &r), 0);
	*from = snap->devices[0]->peers[1].forwarded.from_packets;
	*to = snap->devices[0]->peers[1].forwarded.to_packets;
	/* Everything was the plan's: nothing kept. */
	assert_int_equal(r.n_ranges[COUNTERS_FROM] + r.n_ranges[COUNTERS_TO], 0);
	counters_reading_free(&r);
	counters_fold_free(&fold);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
	return ret;
}

/*
 * A reading taken again (a dump overtaken by a change, sets of two generations) starts from
 * nothing: the figures of its first try are not counted twice. A table gone on the second try
 * is no table; a change that overtakes every try is an error, and leaves no figures.
 */
static void test_fold_read_again(void **state)
{
	struct fake_sets f;
	uint64_t from, to;
	bool present;

	(void)state;
	fake_sets_init(&f);
	assert_int_equal(fold_read(&f, &present, &from, &to), 0);
	assert_true(present);
	assert_int_equal(from, 12);
	assert_int_equal(to, 4);
	assert_int_equal(f.reads, 1);

	fake_sets_init(&f);
	f.eintr_read = 1;
	assert_int_equal(fold_read(&f, &present, &from, &to), 0);
	assert_int_equal(f.reads, 2);
	assert_int_equal(from, 12);
	assert_int_equal(to, 4);

	fake_sets_init(&f);
	f.mixed_reads = 2;
	assert_int_equal(fold_read(&f, &present, &from, &to), 0);
	assert_int_equal(f.reads, 3);
	assert_int_equal(from, 12);

	fake_sets_init(&f);
	f.eintr_read = 1;
	f.gone_from = 2;
	assert_int_equal(fold_read(&f, &present, &from, &to), 0);
	assert_false(present);
	assert_int_equal(from, 0);

	fake_sets_init(&f);
	f.eintr_read = -1;
	assert_int_equal(fold_read(&f, &present, &from, &to), -EINTR);
	assert_int_equal(f.reads, 5);
	assert_int_equal(from, 0);
	assert_int_equal(to, 0);

	/* Without a snapshot, a plain reading: every element kept, once. */
	{
		struct counters_reading r = { 0 };

		fake_sets_init(&f);
		f.eintr_read = 1;
		f.mixed_reads = 2;
		assert_int_equal(counters_read_all(fake_dump, &f, NULL, NULL, NULL, &r), 0);
		assert_true(r.present);
		assert_null(r.fold);
		assert_int_equal(r.n_ranges[COUNTERS_FROM], 1);
		assert_int_equal(r.n_ranges[COUNTERS_TO], 1);
		assert_int_equal(r.ranges[COUNTERS_FROM][0].packets, 12);
		assert_false(r.gen_mixed);
		counters_reading_free(&r);
	}
}

/* The kernel's answers: acks by seq, the first error mapped to its command, ERRESTART on begin. */
static void put_ack(char *buf, size_t *len, uint32_t seq, int error)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *len);
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = seq;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void test_acks(void **state)
{
	struct wg_snapshot *snap = make_snapshot();
	struct counters_plan plan;
	struct nft_batch b;
	struct nft_error err = { 0 };
	char buf[4096];
	size_t len = 0;

	assert_int_equal(counters_plan_build(&plan, snap), 0);
	assert_int_equal(nft_batch_init(&b, 50, true, 9), 0);
	assert_int_equal(counters_build_install(&b, &plan), 0);
	nft_batch_end(&b, true);
	put_ack(buf, &len, 51, 0);
	put_ack(buf, &len, 55, -EEXIST);
	put_ack(buf, &len, 56, 0);
	put_ack(buf, &len, 9999, -EINVAL);	/* another request's */
	assert_int_equal(nft_parse_acks(buf, len, &b, 0, &err, NULL, NULL), 3);
	assert_int_equal(err.code, -EEXIST);
	assert_int_equal(err.seq, 55);
	assert_string_equal(err.label, "add chain inet wgstar src6");

	memset(&err, 0, sizeof(err));
	len = 0;
	put_ack(buf, &len, 50, -ERESTART);
	assert_int_equal(nft_parse_acks(buf, len, &b, 0, &err, NULL, NULL), (int)b.n_acks);
	assert_int_equal(err.code, -ERESTART);
	assert_null(err.label);
	nft_batch_free(&b);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
}

/* The begin message carries the generation, big-endian, as NFNL_BATCH_GENID. */
static void test_genid_in_begin(void **state)
{
	struct nft_batch b;
	const struct nlmsghdr *nlh;
	const struct nlattr *attr;
	bool found = false;

	assert_int_equal(nft_batch_init(&b, 1, true, 0x01020304), 0);
	nft_batch_end(&b, false);
	nlh = nft_batch_next(&b, NULL);
	assert_int_equal(nlh->nlmsg_type, NFNL_MSG_BATCH_BEGIN);
	mnl_attr_for_each(attr, nlh, sizeof(struct nfgenmsg)) {
		assert_int_equal(mnl_attr_get_type(attr), NFNL_BATCH_GENID);
		assert_int_equal(ntohl(mnl_attr_get_u32(attr)), 0x01020304);
		found = true;
	}
	assert_true(found);
	/* Validation only: no end message. */
	assert_null(nft_batch_next(&b, nlh));
	nft_batch_free(&b);
}

struct drained {
	char buf[8192];
	size_t len;
};

static void collect(const struct nlmsghdr *nlh, void *ctx)
{
	struct drained *d = ctx;

	assert_true(d->len + NLMSG_ALIGN(nlh->nlmsg_len) <= sizeof(d->buf));
	memcpy(d->buf + d->len, nlh, NLMSG_ALIGN(nlh->nlmsg_len));
	d->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

/* Messages with padding, long ones before short ones: the same bytes through a buffer reused. */
static void fill(struct nft_batch *b)
{
	static const char *const words[] = { "a-long-attribute-value-xyz", "b", "cc", "ddd", "eeeee", "f" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); ++i) {
		struct nlmsghdr *nlh = nft_batch_add(b, NFT_MSG_NEWTABLE, NFPROTO_INET, 0, "label");

		assert_non_null(nlh);
		mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, words[i]);
		mnl_attr_put(nlh, NFTA_TABLE_USERDATA, (uint16_t)(strlen(words[i]) % 3 + 1), words[i]);
	}
}

/*
 * A drained batch hands over every complete message once, in order, byte for byte (padding
 * too) what the same batch holds undrained, and keeps only the one being built.
 */
static void test_drain_as_built(void **state)
{
	struct nft_batch whole, drained;
	struct drained d = { .len = 0 };
	const struct nlmsghdr *nlh;
	size_t whole_len = 0;

	(void)state;
	assert_int_equal(nft_batch_init(&whole, 1, false, 0), 0);
	fill(&whole);
	assert_int_equal(nft_batch_init(&drained, 1, false, 0), 0);
	nft_batch_drain(&drained, collect, &d);
	fill(&drained);
	/* The last message is still being built: neither batch lists it as complete. */
	assert_null(nft_batch_next(&drained, NULL));
	for (nlh = nft_batch_next(&whole, NULL); nlh; nlh = nft_batch_next(&whole, nlh))
		whole_len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_int_equal(d.len, whole_len);
	assert_memory_equal(d.buf, whole.buf, whole_len);
	assert_null(nft_batch_label(&drained, 2));
	assert_string_equal(nft_batch_label(&whole, 2), "label");
	nft_batch_free(&whole);
	nft_batch_free(&drained);
}

/* A random hub: one or two interfaces (sharing addresses), peers with /32s, /128s, and now and then a wider prefix. */
static struct wg_snapshot *random_snapshot(unsigned int *seed, int kind)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	size_t n_devs = 1 + (size_t)(rand_r(seed) % 2);

	for (size_t d = 0; d < n_devs; ++d) {
		struct wg_device *dev = wg_device_new(d ? "wg1" : "wg0");
		int n_peers = 1 + rand_r(seed) % 12;

		for (int p = 0; p < n_peers; ++p) {
			struct wg_peer *peer = add_peer(dev, (uint8_t)(p + 1));
			char buf[64];

			/* Each address once per interface, as WireGuard keeps it. */
			snprintf(buf, sizeof(buf), "10.9.0.%d/32", p + 20 * (int)d);
			add_ip(peer, buf);
			if (rand_r(seed) % 2) {
				snprintf(buf, sizeof(buf), "fd00::%x/128", p + 20 * (int)d);
				add_ip(peer, buf);
			}
			/* Over other peers' addresses: a /31 splits into two single addresses. */
			if (kind == 1 && rand_r(seed) % 4 == 0) {
				snprintf(buf, sizeof(buf), "10.9.0.%d/31", (rand_r(seed) % 8) * 2);
				add_ip(peer, buf);
			}
			if (kind == 2 && rand_r(seed) % 4 == 0) {
				snprintf(buf, sizeof(buf), "10.9.0.%d/30", (rand_r(seed) % 10) * 4);
				add_ip(peer, buf);
			}
		}
		wg_snapshot_add_device(snap, dev);
	}
	return snap;
}

/*
 * What the console carries between two full readings: each peer gets what the same key had when
 * taken, whatever its place in the new snapshot; a peer that was not there counts from zero, a
 * peer gone takes its flows with it, an interface that was not there has no figures. Random hubs,
 * readings of their plan's elements and of pairs between their peers.
 */
static void test_carry_by_key(void **state)
{
	unsigned int seed = 4242;
	int flows_seen = 0, flows_dropped = 0;

	(void)state;
	for (int round = 0; round < 300; ++round) {
		struct wg_snapshot *a = random_snapshot(&seed, round % 3), *b = wg_snapshot_new();
		struct counters_reading r = { .present = true, .at = { .tv_sec = 7 + round } };
		struct counters_carry carry = { 0 };
		struct counters_plan plan;

		assert_int_equal(counters_plan_build(&plan, a), 0);
		for (int dir = 0; dir < 2; ++dir) {
			r.ranges[dir] = calloc(plan.n + 1, sizeof(*r.ranges[dir]));
			for (size_t i = 0; i < plan.n; ++i) {
				r.ranges[dir][i] = plan.v[i];
				r.ranges[dir][i].packets = 1 + (uint64_t)rand_r(&seed) % 100;
				r.ranges[dir][i].bytes = 1 + (uint64_t)rand_r(&seed) % 100000;
			}
			r.n_ranges[dir] = plan.n;
		}
		r.pairs = calloc(8, sizeof(*r.pairs));
		for (int i = 0; i < 8; ++i) {
			struct counters_pair *p = &r.pairs[r.n_pairs++];

			p->family = AF_INET;
			v4(p->saddr, "10.9.0.0");
			v4(p->daddr, "10.9.0.0");
			p->saddr[3] = (uint8_t)(rand_r(&seed) % a->devices[0]->n_peers);
			p->daddr[3] = (uint8_t)(rand_r(&seed) % a->devices[0]->n_peers);
			p->packets = 1 + (uint64_t)i;
			p->bytes = 100 * (1 + (uint64_t)i);
		}
		assert_int_equal(counters_apply(a, &plan, &r), 0);
		assert_int_equal(counters_carry_take(&carry, a), 0);
		/* b: each interface's peers in reverse, the first one gone, a new one, and an interface more. */
		for (size_t d = 0; d <= a->n_devices; ++d) {
			struct wg_device *copy = wg_device_new(d < a->n_devices ? a->devices[d]->name : "wg9");

			for (uint32_t p = d < a->n_devices ? a->devices[d]->n_peers : 0; p-- > 1;)
				assert_non_null(wg_device_get_peer(copy, a->devices[d]->peers[p].public_key, NULL));
			add_peer(copy, 200);
			wg_snapshot_add_device(b, copy);
		}
		assert_int_equal(counters_carry_apply(&carry, b), 0);
		for (size_t d = 0; d < b->n_devices; ++d) {
			const struct wg_device *x = d < a->n_devices ? a->devices[d] : NULL, *y = b->devices[d];
			uint32_t k = 0;

			assert_int_equal(y->has_flows, x != NULL);
			if (x)
				assert_memory_equal(&y->flows_at, &r.at, sizeof(r.at));
			for (uint32_t p = 0; p < y->n_peers; ++p) {
				const struct wg_peer *was = x ? wg_device_find_peer(x, y->peers[p].public_key) : NULL;
				struct wg_forwarded none = { 0 };

				assert_memory_equal(&y->peers[p].forwarded, was ? &was->forwarded : &none, sizeof(none));
			}
			/* The flows in a's order, less those of a's first peer, between the same keys. */
			for (uint32_t f = 0; x && f < x->n_flows; ++f) {
				const struct wg_flow *fa = &x->flows[f];

				flows_seen++;
				if (fa->from == 0 || fa->to == 0) {
					flows_dropped++;
					continue;
				}
				assert_true(k < y->n_flows);
				assert_memory_equal(y->peers[y->flows[k].from].public_key, x->peers[fa->from].public_key,
						    WG_KEY_LEN);
				assert_memory_equal(y->peers[y->flows[k].to].public_key, x->peers[fa->to].public_key,
						    WG_KEY_LEN);
				assert_int_equal(y->flows[k].bytes, fa->bytes);
				assert_int_equal(y->flows[k].packets, fa->packets);
				k++;
			}
			assert_int_equal(k, y->n_flows);
		}
		counters_carry_free(&carry);
		counters_reading_free(&r);
		counters_plan_free(&plan);
		wg_snapshot_free(a);
		wg_snapshot_free(b);
	}
	/* Flows were carried and dropped: the test says something about both. */
	assert_true(flows_seen - flows_dropped > 100);
	assert_true(flows_dropped > 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan_longest_prefix),
		cmocka_unit_test(test_plan_many_prefixes),
		cmocka_unit_test(test_plan_family),
		cmocka_unit_test(test_install_parsed_back),
		cmocka_unit_test(test_reading_generations),
		cmocka_unit_test(test_dump_requests),
		cmocka_unit_test(test_reading_to_peers),
		cmocka_unit_test(test_sync),
		cmocka_unit_test(test_fold_as_whole),
		cmocka_unit_test(test_fold_parsed),
		cmocka_unit_test(test_fold_read_again),
		cmocka_unit_test(test_peer_elems),
		cmocka_unit_test(test_acks),
		cmocka_unit_test(test_genid_in_begin),
		cmocka_unit_test(test_drain_as_built),
		cmocka_unit_test(test_carry_by_key),
		cmocka_unit_test(test_reading_sized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
