// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table as nf_tables messages: built into batches, and its set dumps parsed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "counters.h"
#include "nft_batch.h"

/* nft's datatype numbers, so that `nft list ruleset` prints our sets as it prints its own. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_BITS 6
#define NFT_BYTEORDER_HOST 1

/* Elements per message: a message stays far below NFT_BATCH_MSG_ROOM. */
#define ELEMS_PER_MSG 256

/*
 * Single addresses (the /32 and /128 allowed IPs of nearly every peer) go into hash sets, whose
 * lookup costs the same for ten peers or ten thousand. Wider prefixes go into interval sets,
 * whose lookup (pipapo, for a concatenation with ranges) grows with their element count: they
 * hold only the prefixes.
 */
enum set_id {
	SET_IFACES = 1,
	SET_NETIFS,		/* the interfaces with prefixes: the interval sets are looked up only for them */
	SET_FROM4,
	SET_TO4,
	SET_FROM6,
	SET_TO6,
	SET_FROM4NET,
	SET_TO4NET,
	SET_FROM6NET,
	SET_TO6NET,
	SET_PAIRS4,
	SET_PAIRS6,
	SET_LAST = SET_PAIRS6,
};

static const struct {
	const char *name;
	uint8_t family;
	int dir;		/* enum counters_dir; -1 for the others */
	bool net;
} sets[] = {
	[SET_IFACES] = { "ifaces", 0, -1, false },
	[SET_NETIFS] = { "netifs", 0, -1, false },
	[SET_FROM4] = { "from4", AF_INET, COUNTERS_FROM, false },
	[SET_TO4] = { "to4", AF_INET, COUNTERS_TO, false },
	[SET_FROM6] = { "from6", AF_INET6, COUNTERS_FROM, false },
	[SET_TO6] = { "to6", AF_INET6, COUNTERS_TO, false },
	[SET_FROM4NET] = { "from4net", AF_INET, COUNTERS_FROM, true },
	[SET_TO4NET] = { "to4net", AF_INET, COUNTERS_TO, true },
	[SET_FROM6NET] = { "from6net", AF_INET6, COUNTERS_FROM, true },
	[SET_TO6NET] = { "to6net", AF_INET6, COUNTERS_TO, true },
	[SET_PAIRS4] = { "pairs4", AF_INET, -1, false },
	[SET_PAIRS6] = { "pairs6", AF_INET6, -1, false },
};
/* --- building the table --- */

static struct nftnl_expr *expr_meta(uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *expr_nfproto(uint8_t proto)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &proto, sizeof(proto));
	}
	return e;
}

static struct nftnl_expr *expr_payload(uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *expr_lookup(enum set_id set, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, sets[set].name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, set);
	}
	return e;
}

static struct nftnl_expr *expr_dynset(enum set_id set)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, sets[set].name);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SET_ID, set);
	}
	return e;
}

static int put_table(struct nft_batch *b, uint16_t type, uint16_t flags, const char *label)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;
	int ret = 0;

	if (!t)
		return -ENOMEM;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, COUNTERS_TABLE);
	nlh = nft_batch_add(b, type, NFPROTO_INET, flags, label);
	if (!nlh)
		ret = -ENOMEM;
	else
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
	return ret;
}

static int put_chain(struct nft_batch *b)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	int ret = 0;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, COUNTERS_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, "forward");
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, COUNTERS_PRIORITY);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nft_batch_add(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL,
			    "add chain inet " COUNTERS_TABLE " forward");
	if (!nlh)
		ret = -ENOMEM;
	else
		nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
	return ret;
}

static int put_set(struct nft_batch *b, enum set_id id)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *udata;
	struct nftnl_expr *counter;
	uint8_t fields[2];
	uint32_t flags = 0, key_type, key_len;
	struct nlmsghdr *nlh;
	char label[64];
	int ret = 0;

	if (!s)
		return -ENOMEM;
	switch (id) {
	case SET_IFACES:
	case SET_NETIFS:
		key_type = NFT_TYPE_IFNAME;
		key_len = IFNAMSIZ;
		break;
	case SET_PAIRS4:
	case SET_PAIRS6: {
		uint32_t t = id == SET_PAIRS4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR;

		key_type = t << NFT_TYPE_BITS | t;
		fields[0] = fields[1] = id == SET_PAIRS4 ? 4 : 16;
		key_len = fields[0] + fields[1];
		flags = NFT_SET_EVAL | NFT_SET_TIMEOUT | NFT_SET_CONCAT;
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, COUNTERS_PAIRS_SIZE);
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, COUNTERS_PAIRS_TIMEOUT_MS);
		break;
	}
	default: {
		bool v4 = sets[id].family == AF_INET;

		key_type = NFT_TYPE_IFNAME << NFT_TYPE_BITS | (v4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR);
		fields[0] = IFNAMSIZ;
		fields[1] = v4 ? 4 : 16;
		key_len = fields[0] + fields[1];
		flags = sets[id].net ? NFT_SET_INTERVAL | NFT_SET_CONCAT : NFT_SET_CONCAT;
		break;
	}
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, COUNTERS_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sets[id].name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	/* nft reads the byte order of the key from here to print it: host order for a name. */
	udata = nftnl_udata_buf_alloc(64);
	if (!udata) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_udata_put_u32(udata, NFTNL_UDATA_SET_KEYBYTEORDER, id == SET_IFACES || id == SET_NETIFS ?
			       NFT_BYTEORDER_HOST : 0);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(udata), nftnl_udata_buf_len(udata));
	nftnl_udata_buf_free(udata);
	if (id != SET_IFACES && id != SET_NETIFS) {
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
		/* Every element gets a counter of its own, also those the kernel adds. */
		counter = nftnl_expr_alloc("counter");
		if (!counter) {
			ret = -ENOMEM;
			goto out;
		}
		nftnl_set_add_expr(s, counter);
	}
	snprintf(label, sizeof(label), "add set inet %s %s", COUNTERS_TABLE, sets[id].name);
	nlh = nft_batch_add(b, NFT_MSG_NEWSET, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL, label);
	if (!nlh) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_set_nlmsg_build_payload(nlh, s);
out:
	nftnl_set_free(s);
	return ret;
}

/* One rule of the forward chain; exprs are taken over whatever happens. */
static int put_rule(struct nft_batch *b, const char *label, struct nftnl_expr **exprs, size_t n)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	int ret = 0;

	for (size_t i = 0; i < n; ++i) {
		if (!exprs[i] || !r) {
			ret = -ENOMEM;
			continue;
		}
		nftnl_rule_add_expr(r, exprs[i]);
		exprs[i] = NULL;
	}
	for (size_t i = 0; i < n; ++i)
		if (exprs[i])
			nftnl_expr_free(exprs[i]);
	if (ret)
		goto out;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, COUNTERS_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "forward");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	nlh = nft_batch_add(b, NFT_MSG_NEWRULE, NFPROTO_INET, NLM_F_CREATE | NLM_F_APPEND, label);
	if (!nlh) {
		ret = -ENOMEM;
		goto out;
	}
	nftnl_rule_nlmsg_build_payload(nlh, r);
out:
	if (r)
		nftnl_rule_free(r);
	return ret;
}

/*
 * iifname . ip saddr @from4, and the like; for the interval sets, only on interfaces in
 * @netifs: an interval lookup costs even when the set is empty, a hash lookup hardly.
 */
static int put_count_rule(struct nft_batch *b, enum set_id set)
{
	bool v4 = sets[set].family == AF_INET, from = sets[set].dir == COUNTERS_FROM, net = sets[set].net;
	uint32_t ifkey = from ? NFT_META_IIFNAME : NFT_META_OIFNAME;
	struct nftnl_expr *e[] = {
		expr_meta(NFT_META_NFPROTO, NFT_REG_1),
		expr_nfproto(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6),
		expr_meta(ifkey, NFT_REG_1),
		net ? expr_lookup(SET_NETIFS, NFT_REG_1) : NULL,
		net ? expr_meta(ifkey, NFT_REG_1) : NULL,
		v4 ? expr_payload(from ? 12 : 16, 4, NFT_REG_2) : expr_payload(from ? 8 : 24, 16, NFT_REG_2),
		expr_lookup(set, NFT_REG_1),
	};
	struct nftnl_expr *v[sizeof(e) / sizeof(e[0])];
	size_t n = 0;
	char label[128];

	for (size_t i = 0; i < sizeof(e) / sizeof(e[0]); ++i)
		if (e[i] || (i != 3 && i != 4) || net)
			v[n++] = e[i];
	snprintf(label, sizeof(label), "add rule inet %s forward %s%s . %s %s @%s", COUNTERS_TABLE,
		 net ? (from ? "iifname @netifs " : "oifname @netifs ") : "", from ? "iifname" : "oifname",
		 v4 ? "ip" : "ip6", from ? "saddr" : "daddr", sets[set].name);
	return put_rule(b, label, v, n);
}

/* iifname @ifaces oifname @ifaces update @pairs4 { ip saddr . ip daddr } */
static int put_pair_rule(struct nft_batch *b, enum set_id set)
{
	bool v4 = set == SET_PAIRS4;
	/* The family first: a packet of the other one costs two expressions, not two lookups more. */
	struct nftnl_expr *e[] = {
		expr_meta(NFT_META_NFPROTO, NFT_REG_1),
		expr_nfproto(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6),
		expr_meta(NFT_META_IIFNAME, NFT_REG_1),
		expr_lookup(SET_IFACES, NFT_REG_1),
		expr_meta(NFT_META_OIFNAME, NFT_REG_1),
		expr_lookup(SET_IFACES, NFT_REG_1),
		v4 ? expr_payload(12, 4, NFT_REG_1) : expr_payload(8, 16, NFT_REG_1),
		v4 ? expr_payload(16, 4, NFT_REG32_01) : expr_payload(24, 16, NFT_REG_2),
		expr_dynset(set),
	};
	char label[96];

	snprintf(label, sizeof(label), "add rule inet %s forward ... update @%s", COUNTERS_TABLE, sets[set].name);
	return put_rule(b, label, e, sizeof(e) / sizeof(e[0]));
}

static void range_key(uint8_t *key, const char *ifname, const uint8_t *addr, size_t alen)
{
	memset(key, 0, IFNAMSIZ);
	memcpy(key, ifname, strnlen(ifname, IFNAMSIZ - 1));
	memcpy(key + IFNAMSIZ, addr, alen);
}

/* Elements to one set, ELEMS_PER_MSG to a message. keys: n keys of klen, ends likewise or NULL. */
static int put_elems(struct nft_batch *b, uint16_t type, enum set_id id, const uint8_t *keys,
		     const uint8_t *ends, size_t klen, size_t n)
{
	for (size_t i = 0; i < n; i += ELEMS_PER_MSG) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		char label[96];

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, COUNTERS_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, sets[id].name);
		nftnl_set_set_u32(s, NFTNL_SET_ID, id);
		for (size_t j = i; j < n && j < i + ELEMS_PER_MSG; ++j) {
			struct nftnl_set_elem *e = nftnl_set_elem_alloc();

			if (!e) {
				nftnl_set_free(s);
				return -ENOMEM;
			}
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys + j * klen, (uint32_t)klen);
			if (ends)
				nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, ends + j * klen, (uint32_t)klen);
			nftnl_set_elem_add(s, e);
		}
		snprintf(label, sizeof(label), "%s element inet %s %s (%zu elements)",
			 type == NFT_MSG_NEWSETELEM ? "add" : "delete", COUNTERS_TABLE, sets[id].name,
			 n - i < ELEMS_PER_MSG ? n - i : ELEMS_PER_MSG);
		nlh = nft_batch_add(b, type, NFPROTO_INET,
				    type == NFT_MSG_NEWSETELEM ? NLM_F_CREATE | NLM_F_EXCL : 0, label);
		if (!nlh) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	}
	return 0;
}

static bool range_single(const struct counters_range *r)
{
	return !memcmp(r->start, r->end, sizeof(r->start));
}

/* The ranges of one family (from a plan or a reading) as keys and ends, into one set. */
static int put_ranges(struct nft_batch *b, uint16_t type, enum set_id id, uint8_t family,
		      const struct counters_range *const *v, size_t n)
{
	size_t alen = counters_addr_len(family), klen = IFNAMSIZ + alen;
	uint8_t *keys, *ends;
	int ret;

	if (!n)
		return 0;
	keys = calloc(n, klen);
	ends = calloc(n, klen);
	if (!keys || !ends) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; ++i) {
		range_key(keys + i * klen, v[i]->ifname, v[i]->start, alen);
		range_key(ends + i * klen, v[i]->ifname, v[i]->end, alen);
	}
	ret = put_elems(b, type, id, keys, sets[id].net ? ends : NULL, klen, n);
out:
	free(keys);
	free(ends);
	return ret;
}

static int put_names(struct nft_batch *b, uint16_t type, enum set_id id, char (*names)[IFNAMSIZ], size_t n)
{
	return n ? put_elems(b, type, id, (const uint8_t *)names, NULL, IFNAMSIZ, n) : 0;
}

static bool name_in(const char *name, char (*v)[IFNAMSIZ], size_t n)
{
	for (size_t i = 0; i < n; ++i)
		if (!strncmp(name, v[i], IFNAMSIZ))
			return true;
	return false;
}

/* The interfaces of the plan that have prefixes wider than one address. */
static int plan_netifs(const struct counters_plan *plan, char (**out)[IFNAMSIZ], size_t *n)
{
	char (*v)[IFNAMSIZ] = calloc(plan->n_ifaces + 1, IFNAMSIZ);

	if (!v)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < plan->n; ++i)
		if (!range_single(&plan->v[i]) && !name_in(plan->v[i].ifname, v, *n))
			memcpy(v[(*n)++], plan->v[i].ifname, IFNAMSIZ);
	*out = v;
	return 0;
}

/* The ranges of a plan or reading that belong in one set, as pointers. */
static int ranges_for(const struct counters_range *all, size_t n_all, enum set_id id,
		      const struct counters_range ***out, size_t *n)
{
	const struct counters_range **v = calloc(n_all ? n_all : 1, sizeof(*v));

	if (!v)
		return -ENOMEM;
	*n = 0;
	for (size_t i = 0; i < n_all; ++i)
		if (all[i].family == sets[id].family && range_single(&all[i]) != sets[id].net)
			v[(*n)++] = &all[i];
	*out = v;
	return 0;
}

int counters_build_install(struct nft_batch *b, const struct counters_plan *plan)
{
	static const enum set_id count_sets[] = { SET_FROM4, SET_FROM4NET, SET_FROM6, SET_FROM6NET,
						  SET_TO4, SET_TO4NET, SET_TO6, SET_TO6NET };
	const struct counters_range **v = NULL;
	char (*netifs)[IFNAMSIZ];
	size_t n;
	int ret;

	if ((ret = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "add table inet " COUNTERS_TABLE)) < 0 ||
	    (ret = put_chain(b)) < 0)
		return ret;
	for (enum set_id id = SET_IFACES; id <= SET_LAST; ++id)
		if ((ret = put_set(b, id)) < 0)
			return ret;
	for (size_t i = 0; i < sizeof(count_sets) / sizeof(count_sets[0]); ++i)
		if ((ret = put_count_rule(b, count_sets[i])) < 0)
			return ret;
	if ((ret = put_pair_rule(b, SET_PAIRS4)) < 0 || (ret = put_pair_rule(b, SET_PAIRS6)) < 0)
		return ret;
	if ((ret = put_names(b, NFT_MSG_NEWSETELEM, SET_IFACES, plan->ifaces, plan->n_ifaces)) < 0)
		return ret;
	if ((ret = plan_netifs(plan, &netifs, &n)) < 0)
		return ret;
	ret = put_names(b, NFT_MSG_NEWSETELEM, SET_NETIFS, netifs, n);
	free(netifs);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < sizeof(count_sets) / sizeof(count_sets[0]); ++i) {
		enum set_id id = count_sets[i];

		if ((ret = ranges_for(plan->v, plan->n, id, &v, &n)) < 0)
			return ret;
		ret = put_ranges(b, NFT_MSG_NEWSETELEM, id, sets[id].family, v, n);
		free(v);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int counters_build_remove(struct nft_batch *b)
{
	return put_table(b, NFT_MSG_DELTABLE, 0, "delete table inet " COUNTERS_TABLE);
}

static int range_ptr_cmp(const void *a, const void *b)
{
	return counters_range_cmp(*(const struct counters_range *const *)a, *(const struct counters_range *const *)b);
}

static bool range_same(const struct counters_range *a, const struct counters_range *b)
{
	return !counters_range_cmp(a, b) && !memcmp(a->end, b->end, sizeof(a->end));
}

/* Elements of one set to delete (in have, not in want) and to add (the other way round). */
static int sync_set(struct nft_batch *b, enum set_id id, uint8_t family, const struct counters_range **want,
		    size_t n_want, const struct counters_range **have, size_t n_have)
{
	const struct counters_range **del = calloc(n_have + 1, sizeof(*del)), **add = calloc(n_want + 1, sizeof(*add));
	size_t i = 0, j = 0, n_del = 0, n_add = 0;
	int ret;

	if (!del || !add) {
		ret = -ENOMEM;
		goto out;
	}
	qsort(have, n_have, sizeof(*have), range_ptr_cmp);
	while (i < n_want || j < n_have) {
		int c = i == n_want ? 1 : j == n_have ? -1 : counters_range_cmp(want[i], have[j]);

		if (!c && range_same(want[i], have[j])) {
			i++;
			j++;
		} else if (!c) {
			del[n_del++] = have[j++];
			add[n_add++] = want[i++];
		} else if (c < 0) {
			add[n_add++] = want[i++];
		} else {
			del[n_del++] = have[j++];
		}
	}
	/* Deleted first: a range that changed its end is deleted and added again. */
	ret = put_ranges(b, NFT_MSG_DELSETELEM, id, family, del, n_del);
	if (!ret)
		ret = put_ranges(b, NFT_MSG_NEWSETELEM, id, family, add, n_add);
	if (!ret)
		ret = (n_del ? 1 : 0) + (n_add ? 1 : 0);
out:
	free(del);
	free(add);
	return ret;
}

static size_t compact(const struct counters_range **v, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; ++i)
		if (v[i])
			v[k++] = v[i];
	return k;
}

/*
 * Interfaces are added to ifaces, never removed: one not read this time (-i) may well exist.
 * netifs follows the prefixes of the interfaces read.
 */
static int sync_ifaces(struct nft_batch *b, const struct counters_plan *plan, const struct counters_reading *r)
{
	char (*add)[IFNAMSIZ] = calloc(plan->n_ifaces + 1, IFNAMSIZ);
	char (*del)[IFNAMSIZ] = calloc(r->n_netifs + 1, IFNAMSIZ);
	char (*netifs)[IFNAMSIZ] = NULL;
	size_t n_add = 0, n_del = 0, n_net = 0, total = 0;
	int ret;

	if (!add || !del || (ret = plan_netifs(plan, &netifs, &n_net)) < 0) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < plan->n_ifaces; ++i)
		if (!name_in(plan->ifaces[i], r->ifaces, r->n_ifaces))
			memcpy(add[n_add++], plan->ifaces[i], IFNAMSIZ);
	if ((ret = put_names(b, NFT_MSG_NEWSETELEM, SET_IFACES, add, n_add)) < 0)
		goto out;
	total += n_add ? 1 : 0;
	n_add = 0;
	for (size_t i = 0; i < n_net; ++i)
		if (!name_in(netifs[i], r->netifs, r->n_netifs))
			memcpy(add[n_add++], netifs[i], IFNAMSIZ);
	for (size_t i = 0; i < r->n_netifs; ++i)
		if (name_in(r->netifs[i], plan->ifaces, plan->n_ifaces) && !name_in(r->netifs[i], netifs, n_net))
			memcpy(del[n_del++], r->netifs[i], IFNAMSIZ);
	if ((ret = put_names(b, NFT_MSG_DELSETELEM, SET_NETIFS, del, n_del)) < 0 ||
	    (ret = put_names(b, NFT_MSG_NEWSETELEM, SET_NETIFS, add, n_add)) < 0)
		goto out;
	ret = (int)total + (n_add ? 1 : 0) + (n_del ? 1 : 0);
out:
	free(add);
	free(del);
	free(netifs);
	return ret;
}

int counters_build_sync(struct nft_batch *b, const struct counters_plan *plan, const struct counters_reading *r)
{
	int total = 0, ret;

	if ((ret = sync_ifaces(b, plan, r)) < 0)
		return ret;
	total += ret;
	for (enum set_id id = SET_IFACES; id <= SET_LAST; ++id) {
		const struct counters_range **want = NULL, **have = NULL;
		size_t n_want, n_have;
		int d = sets[id].dir;

		if (d < 0)
			continue;
		if ((ret = ranges_for(plan->v, plan->n, id, &want, &n_want)) < 0 ||
		    (ret = ranges_for(r->ranges[d], r->n_ranges[d], id, &have, &n_have)) < 0) {
			free(want);
			return ret;
		}
		/* Interfaces this snapshot did not read (-i) keep their elements. */
		for (size_t i = 0, k = n_have; i < k; ++i)
			if (!name_in(have[i]->ifname, plan->ifaces, plan->n_ifaces))
				have[i] = NULL;
		n_have = compact(have, n_have);
		ret = sync_set(b, id, sets[id].family, want, n_want, have, n_have);
		free(want);
		free(have);
		if (ret < 0)
			return ret;
		total += ret;
	}
	return total;
}

/* --- reading the sets --- */

struct elem_ctx {
	struct counters_reading *r;
	enum set_id id;
	int ret;
};

static int elem_counter(struct nftnl_expr *e, void *data)
{
	struct counters_range *out = data;
	const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name && !strcmp(name, "counter")) {
		out->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		out->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static void *grow(void *v, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : 64;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

static int elem_one(struct nftnl_set_elem *e, void *data)
{
	struct elem_ctx *c = data;
	struct counters_reading *r = c->r;
	struct counters_range tmp = { 0 };
	const uint8_t *key, *end;
	uint32_t klen = 0, elen = 0;
	size_t alen;

	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
	if (!key)
		return 0;
	switch (c->id) {
	case SET_IFACES:
	case SET_NETIFS: {
		char (**names)[IFNAMSIZ] = c->id == SET_IFACES ? &r->ifaces : &r->netifs;
		size_t *n = c->id == SET_IFACES ? &r->n_ifaces : &r->n_netifs;
		char (*v)[IFNAMSIZ];

		if (klen != IFNAMSIZ)
			goto bad;
		v = realloc(*names, (*n + 1) * IFNAMSIZ);
		if (!v)
			goto nomem;
		*names = v;
		memcpy(v[*n], key, IFNAMSIZ);
		v[(*n)++][IFNAMSIZ - 1] = '\0';
		return 0;
	}
	case SET_PAIRS4:
	case SET_PAIRS6: {
		struct counters_pair *p;

		alen = c->id == SET_PAIRS4 ? 4 : 16;
		if (klen != 2 * alen)
			goto bad;
		p = grow(r->pairs, &r->cap_pairs, r->n_pairs, sizeof(*p));
		if (!p)
			goto nomem;
		r->pairs = p;
		p = &r->pairs[r->n_pairs++];
		memset(p, 0, sizeof(*p));
		p->family = c->id == SET_PAIRS4 ? AF_INET : AF_INET6;
		memcpy(p->saddr, key, alen);
		memcpy(p->daddr, key + alen, alen);
		nftnl_set_elem_expr_foreach(e, elem_counter, &tmp);
		p->packets = tmp.packets;
		p->bytes = tmp.bytes;
		return 0;
	}
	default: {
		int d = sets[c->id].dir;
		struct counters_range *v;

		tmp.family = sets[c->id].family;
		alen = counters_addr_len(tmp.family);
		end = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &elen);
		if (klen != IFNAMSIZ + alen || (end && elen != klen))
			goto bad;
		memcpy(tmp.ifname, key, IFNAMSIZ - 1);
		memcpy(tmp.start, key + IFNAMSIZ, alen);
		memcpy(tmp.end, end ? end + IFNAMSIZ : key + IFNAMSIZ, alen);
		nftnl_set_elem_expr_foreach(e, elem_counter, &tmp);
		v = grow(r->ranges[d], &r->cap_ranges[d], r->n_ranges[d], sizeof(*v));
		if (!v)
			goto nomem;
		r->ranges[d] = v;
		v[r->n_ranges[d]++] = tmp;
		return 0;
	}
	}
bad:
	c->ret = -EBADMSG;
	return -1;
nomem:
	c->ret = -ENOMEM;
	return -1;
}

int counters_parse_elems(const struct nlmsghdr *nlh, struct counters_reading *r)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct elem_ctx c = { .r = r };
	const char *table, *name;
	int ret = 0;

	if (!s)
		return -ENOMEM;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		ret = -EBADMSG;
		goto out;
	}
	table = nftnl_set_get_str(s, NFTNL_SET_TABLE);
	name = nftnl_set_get_str(s, NFTNL_SET_NAME);
	if (!table || !name || strcmp(table, COUNTERS_TABLE))
		goto out;
	for (c.id = SET_IFACES; c.id <= SET_LAST; ++c.id)
		if (!strcmp(name, sets[c.id].name))
			break;
	if (c.id > SET_LAST)
		goto out;
	nftnl_set_elem_foreach(s, elem_one, &c);
	ret = c.ret;
out:
	nftnl_set_free(s);
	return ret;
}

void counters_reading_free(struct counters_reading *r)
{
	free(r->ranges[0]);
	free(r->ranges[1]);
	free(r->pairs);
	free(r->ifaces);
	free(r->netifs);
	memset(r, 0, sizeof(*r));
}

int counters_dump_request(void *buf, unsigned int i, struct nlmsghdr **out)
{
	enum set_id id = (enum set_id)(SET_IFACES + i);
	struct nftnl_set *set;

	if (id > SET_LAST)
		return 0;
	if (!(set = nftnl_set_alloc()))
		return -ENOMEM;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, COUNTERS_TABLE);
	nftnl_set_set_str(set, NFTNL_SET_NAME, sets[id].name);
	*out = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 0);
	nftnl_set_elems_nlmsg_build_payload(*out, set);
	nftnl_set_free(set);
	return 1;
}
