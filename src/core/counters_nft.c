// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's counting table as nf_tables messages: built into batches, and its set dumps parsed. */
#include <endian.h>
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
#include <linux/netfilter/nfnetlink.h>
#include "counters.h"
#include "nft_batch.h"
#include "nlwalk.h"
#include "prefix.h"

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
 *
 * The hash sets come in COUNTERS_SHARDS shards, by the last bits of the address: the kernel
 * writes a set's dump 32 KiB at a time and walks the set from its start again for every
 * message, so one set's dump costs the square of its size (65,536 peers: 580 ms for the four
 * sets whole, 170 ms in shards; bench/setdump.sh). A verdict map on those bits sends a packet
 * to the chain of its shard: one more lookup, whatever the number of peers.
 */
#define SHARDS COUNTERS_SHARDS

enum set_id {
	SET_IFACES = 1,
	SET_NETIFS,		/* the interfaces with prefixes: the interval sets are looked up only for them */
	/* The hash sets of an earlier version, unsharded: read and kept in step until replaced. */
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
	/* from4_0 ... from4_15, to4_0 ..., from6_0 ..., to6_0 ... to6_15 */
	SET_SHARD0,
	SET_SHARD_LAST = SET_SHARD0 + 4 * SHARDS - 1,
	/* The verdict maps on the last bits of the address (from4_shards, to4_shards, src4_shards, and 6). */
	SET_MAP0,
	SET_MAP_LAST = SET_MAP0 + 5,
	SET_END,
};

struct set_info {
	const char *name;
	uint8_t family;
	int dir;		/* enum counters_dir; -1 for the others */
	bool net;
	enum set_id kind;	/* a shard's: its hash set's (SET_FROM4 ...); the others' own */
};

#define SH(kind, base, name, fam, dir, k) \
	[SET_SHARD0 + (base) * SHARDS + (k)] = { name "_" #k, fam, dir, false, kind }
#define SH16(kind, base, name, fam, dir) \
	SH(kind, base, name, fam, dir, 0), SH(kind, base, name, fam, dir, 1), SH(kind, base, name, fam, dir, 2), \
	SH(kind, base, name, fam, dir, 3), SH(kind, base, name, fam, dir, 4), SH(kind, base, name, fam, dir, 5), \
	SH(kind, base, name, fam, dir, 6), SH(kind, base, name, fam, dir, 7), SH(kind, base, name, fam, dir, 8), \
	SH(kind, base, name, fam, dir, 9), SH(kind, base, name, fam, dir, 10), SH(kind, base, name, fam, dir, 11), \
	SH(kind, base, name, fam, dir, 12), SH(kind, base, name, fam, dir, 13), SH(kind, base, name, fam, dir, 14), \
	SH(kind, base, name, fam, dir, 15)
/* SH16 spells the shards out: sixteen of them. */
_Static_assert(SHARDS == 16, "SH16 lists COUNTERS_SHARDS shards");

static const struct set_info sets[SET_END] = {
	[SET_IFACES] = { "ifaces", 0, -1, false, SET_IFACES },
	[SET_NETIFS] = { "netifs", 0, -1, false, SET_NETIFS },
	[SET_FROM4] = { "from4", AF_INET, COUNTERS_FROM, false, SET_FROM4 },
	[SET_TO4] = { "to4", AF_INET, COUNTERS_TO, false, SET_TO4 },
	[SET_FROM6] = { "from6", AF_INET6, COUNTERS_FROM, false, SET_FROM6 },
	[SET_TO6] = { "to6", AF_INET6, COUNTERS_TO, false, SET_TO6 },
	[SET_FROM4NET] = { "from4net", AF_INET, COUNTERS_FROM, true, SET_FROM4NET },
	[SET_TO4NET] = { "to4net", AF_INET, COUNTERS_TO, true, SET_TO4NET },
	[SET_FROM6NET] = { "from6net", AF_INET6, COUNTERS_FROM, true, SET_FROM6NET },
	[SET_TO6NET] = { "to6net", AF_INET6, COUNTERS_TO, true, SET_TO6NET },
	[SET_PAIRS4] = { "pairs4", AF_INET, -1, false, SET_PAIRS4 },
	[SET_PAIRS6] = { "pairs6", AF_INET6, -1, false, SET_PAIRS6 },
	SH16(SET_FROM4, 0, "from4", AF_INET, COUNTERS_FROM),
	SH16(SET_TO4, 1, "to4", AF_INET, COUNTERS_TO),
	SH16(SET_FROM6, 2, "from6", AF_INET6, COUNTERS_FROM),
	SH16(SET_TO6, 3, "to6", AF_INET6, COUNTERS_TO),
	[SET_MAP0] = { "from4_shards", AF_INET, -1, false, SET_MAP0 },
	[SET_MAP0 + 1] = { "to4_shards", AF_INET, -1, false, SET_MAP0 + 1 },
	[SET_MAP0 + 2] = { "src4_shards", AF_INET, -1, false, SET_MAP0 + 2 },
	[SET_MAP0 + 3] = { "from6_shards", AF_INET6, -1, false, SET_MAP0 + 3 },
	[SET_MAP0 + 4] = { "to6_shards", AF_INET6, -1, false, SET_MAP0 + 4 },
	[SET_MAP0 + 5] = { "src6_shards", AF_INET6, -1, false, SET_MAP0 + 5 },
};

/* The shard of a hash set (SET_FROM4 ... SET_TO6) an address belongs in. */
static enum set_id shard_of(enum set_id kind, const uint8_t *addr)
{
	size_t alen = counters_addr_len(sets[kind].family);

	return (enum set_id)(SET_SHARD0 + (kind - SET_FROM4) * SHARDS + (addr[alen - 1] & (SHARDS - 1)));
}

static bool is_hash_kind(enum set_id id)
{
	return id >= SET_FROM4 && id <= SET_TO6;
}

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

/* The base chain on the forward hook, or (hook false) a chain only a goto reaches. */
static int put_chain(struct nft_batch *b, const char *name, bool hook)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char label[64];
	int ret = 0;

	if (!c)
		return -ENOMEM;
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, COUNTERS_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, COUNTERS_PRIORITY);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	snprintf(label, sizeof(label), "add chain inet %s %s", COUNTERS_TABLE, name);
	nlh = nft_batch_add(b, NFT_MSG_NEWCHAIN, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL, label);
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

		if (id >= SET_MAP0 && id <= SET_MAP_LAST) {
			key_type = v4 ? NFT_TYPE_IPADDR : NFT_TYPE_IP6ADDR;
			key_len = v4 ? 4 : 16;
			flags = NFT_SET_MAP;
			nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
			nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
			break;
		}
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
	if (id != SET_IFACES && id != SET_NETIFS && !(flags & NFT_SET_MAP)) {
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
		/* Every element gets a counter of its own, also those the kernel adds. */
		counter = nftnl_expr_alloc("counter");
		if (!counter) {
			ret = -ENOMEM;
			goto out;
		}
		nftnl_set_add_expr(s, counter);
	}
	snprintf(label, sizeof(label), "add %s inet %s %s", flags & NFT_SET_MAP ? "map" : "set", COUNTERS_TABLE,
		 sets[id].name);
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

/* One rule of a chain of the table; exprs are taken over whatever happens. */
static int put_rule(struct nft_batch *b, const char *chain, const char *label, struct nftnl_expr **exprs, size_t n)
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
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
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
 * A packet from a peer goes on to the chain of its family, where its destination is looked
 * up: a packet between two peers costs two lookups and the pair's update, one from a peer
 * elsewhere two lookups (and the prefixes' test), and none is looked up in the same set twice.
 */
static const char *src_chain(bool v4)
{
	return v4 ? "src4" : "src6";
}

/* The chains of a hash set's shard: the shard's name (from4_3, to4_3), and src4_3 for to4_3's in src4. */
static const char *shard_chain(char *buf, size_t len, enum set_id shard, bool in_src)
{
	if (!in_src)
		return sets[shard].name;
	snprintf(buf, len, "%s_%u", src_chain(sets[shard].family == AF_INET),
		 (unsigned int)(shard - SET_SHARD0) % SHARDS);
	return buf;
}

/*
 * One rule of a counting set, in chain. From a peer: iifname . ip saddr @from4_3 goto src4.
 * To a peer, from elsewhere: oifname . ip daddr @to4_3; from a peer (in src4_3):
 * oifname . ip daddr @to4_3 update @pairs4 { ip saddr . ip daddr } return. The interval sets
 * are looked up only on interfaces in @netifs: an interval lookup costs even when the set is
 * empty, a hash lookup hardly. No rule decides anything: the verdicts only go to a chain of
 * the table or return from it, and the base chain accepts.
 */
static int put_count_rule(struct nft_batch *b, enum set_id set, const char *chain, bool in_src)
{
	bool v4 = sets[set].family == AF_INET, from = sets[set].dir == COUNTERS_FROM, net = sets[set].net;
	uint32_t ifkey = from ? NFT_META_IIFNAME : NFT_META_OIFNAME;
	struct nftnl_expr *v[16];
	size_t n = 0;
	char label[192];
	int len;

	/* In every chain, where it is known: without it nft lists raw payload offsets. */
	v[n++] = expr_meta(NFT_META_NFPROTO, NFT_REG_1);
	v[n++] = expr_nfproto(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	v[n++] = expr_meta(ifkey, NFT_REG_1);
	if (net) {
		v[n++] = expr_lookup(SET_NETIFS, NFT_REG_1);
		v[n++] = expr_meta(ifkey, NFT_REG_1);
	}
	v[n++] = v4 ? expr_payload(from ? 12 : 16, 4, NFT_REG_2) : expr_payload(from ? 8 : 24, 16, NFT_REG_2);
	v[n++] = expr_lookup(set, NFT_REG_1);
	if (from)
		v[n++] = nft_expr_verdict(NFT_GOTO, src_chain(v4));
	if (in_src) {
		v[n++] = v4 ? expr_payload(12, 4, NFT_REG_1) : expr_payload(8, 16, NFT_REG_1);
		v[n++] = v4 ? expr_payload(16, 4, NFT_REG32_01) : expr_payload(24, 16, NFT_REG_2);
		v[n++] = expr_dynset(v4 ? SET_PAIRS4 : SET_PAIRS6);
		if (!net)
			v[n++] = nft_expr_verdict(NFT_RETURN, NULL);
	}
	len = snprintf(label, sizeof(label), "add rule inet %s %s %s%s . %s %s @%s", COUNTERS_TABLE, chain,
		       net ? (from ? "iifname @netifs " : "oifname @netifs ") : "", from ? "iifname" : "oifname",
		       v4 ? "ip" : "ip6", from ? "saddr" : "daddr", sets[set].name);
	if (from)
		snprintf(label + len, sizeof(label) - (size_t)len, " goto %s", src_chain(v4));
	else if (in_src)
		snprintf(label + len, sizeof(label) - (size_t)len, " update @%s { %s saddr . %s daddr }%s",
			 v4 ? "pairs4" : "pairs6", v4 ? "ip" : "ip6", v4 ? "ip" : "ip6", net ? "" : " return");
	return put_rule(b, chain, label, v, n);
}

/* A rule that is a verdict alone: goto CHAIN. */
static int put_goto_rule(struct nft_batch *b, const char *chain, const char *to)
{
	struct nftnl_expr *v[1] = { nft_expr_verdict(NFT_GOTO, to) };
	char label[128];

	snprintf(label, sizeof(label), "add rule inet %s %s goto %s", COUNTERS_TABLE, chain, to);
	return put_rule(b, chain, label, v, 1);
}

/*
 * The rule that sends a packet to the chain of its address's shard:
 * meta nfproto ipv4 ip saddr & 0.0.0.15 vmap @from4_shards (daddr for to4 and src4).
 */
static int put_shard_rule(struct nft_batch *b, const char *chain, enum set_id map, bool saddr)
{
	bool v4 = sets[map].family == AF_INET;
	uint8_t mask[16] = { 0 }, zero[16] = { 0 };
	uint32_t alen = v4 ? 4 : 16;
	struct nftnl_expr *v[5], *bw = nftnl_expr_alloc("bitwise"), *lk = nftnl_expr_alloc("lookup");
	char label[160];

	mask[alen - 1] = SHARDS - 1;
	if (bw) {
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(bw, NFTNL_EXPR_BITWISE_LEN, alen);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_MASK, mask, alen);
		nftnl_expr_set(bw, NFTNL_EXPR_BITWISE_XOR, zero, alen);
	}
	if (lk) {
		nftnl_expr_set_u32(lk, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(lk, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_str(lk, NFTNL_EXPR_LOOKUP_SET, sets[map].name);
		nftnl_expr_set_u32(lk, NFTNL_EXPR_LOOKUP_SET_ID, map);
	}
	v[0] = expr_meta(NFT_META_NFPROTO, NFT_REG_1);
	v[1] = expr_nfproto(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6);
	v[2] = v4 ? expr_payload(saddr ? 12 : 16, 4, NFT_REG_1) : expr_payload(saddr ? 8 : 24, 16, NFT_REG_1);
	v[3] = bw;
	v[4] = lk;
	snprintf(label, sizeof(label), "add rule inet %s %s %s %s & %s vmap @%s", COUNTERS_TABLE, chain,
		 v4 ? "ip" : "ip6", saddr ? "saddr" : "daddr", v4 ? "0.0.0.15" : "::f", sets[map].name);
	return put_rule(b, chain, label, v, 5);
}

/* A shard map's elements: each value of the address's last bits, and the chain of its shard. */
static int put_map_elems(struct nft_batch *b, enum set_id map, enum set_id kind, bool in_src)
{
	struct nftnl_set *s = nftnl_set_alloc();
	size_t alen = counters_addr_len(sets[map].family);
	struct nlmsghdr *nlh;
	char label[96], chain[32];

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, COUNTERS_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, sets[map].name);
	nftnl_set_set_u32(s, NFTNL_SET_ID, map);
	for (unsigned int k = 0; k < SHARDS; ++k) {
		struct nftnl_set_elem *e = nftnl_set_elem_alloc();
		uint8_t key[16] = { 0 };
		enum set_id shard = (enum set_id)(SET_SHARD0 + (kind - SET_FROM4) * SHARDS + k);

		if (!e) {
			nftnl_set_free(s);
			return -ENOMEM;
		}
		key[alen - 1] = (uint8_t)k;
		nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, (uint32_t)alen);
		nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)NFT_GOTO);
		nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, shard_chain(chain, sizeof(chain), shard, in_src));
		nftnl_set_elem_add(s, e);
	}
	snprintf(label, sizeof(label), "add element inet %s %s (%u elements)", COUNTERS_TABLE, sets[map].name,
		 SHARDS);
	nlh = nft_batch_add(b, NFT_MSG_NEWSETELEM, NFPROTO_INET, NLM_F_CREATE | NLM_F_EXCL, label);
	if (nlh)
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	return nlh ? 0 : -ENOMEM;
}

/*
 * The chains and rules of one family, its sets there already. forward sends a packet by its
 * source's shard to from4_K: from a peer there (or a prefix's), it goes on to src4, which sends
 * it by its destination's shard to src4_K; from anyone else, to to4, which does the same to
 * to4_K. A packet from a peer to another costs two set lookups and the pair's update, as
 * without shards, and two lookups of the shard maps.
 */
static int put_family_rules(struct nft_batch *b, bool v4)
{
	enum set_id from = v4 ? SET_FROM4 : SET_FROM6, to = v4 ? SET_TO4 : SET_TO6;
	enum set_id fromnet = v4 ? SET_FROM4NET : SET_FROM6NET, tonet = v4 ? SET_TO4NET : SET_TO6NET;
	enum set_id maps = (enum set_id)(SET_MAP0 + (v4 ? 0 : 3));
	const char *to_chain = v4 ? "to4" : "to6";
	char chain[32];
	int ret;

	if ((ret = put_shard_rule(b, "forward", maps, true)) < 0 ||
	    (ret = put_shard_rule(b, to_chain, maps + 1, false)) < 0 ||
	    (ret = put_shard_rule(b, src_chain(v4), maps + 2, false)) < 0)
		return ret;
	for (unsigned int k = 0; k < SHARDS; ++k) {
		enum set_id f = (enum set_id)(SET_SHARD0 + (from - SET_FROM4) * SHARDS + k);
		enum set_id t = (enum set_id)(SET_SHARD0 + (to - SET_FROM4) * SHARDS + k);

		if ((ret = put_count_rule(b, f, sets[f].name, false)) < 0 ||
		    (ret = put_count_rule(b, fromnet, sets[f].name, false)) < 0 ||
		    (ret = put_goto_rule(b, sets[f].name, to_chain)) < 0 ||
		    (ret = put_count_rule(b, t, sets[t].name, false)) < 0 ||
		    (ret = put_count_rule(b, tonet, sets[t].name, false)) < 0)
			return ret;
		shard_chain(chain, sizeof(chain), t, true);
		if ((ret = put_count_rule(b, t, chain, true)) < 0 || (ret = put_count_rule(b, tonet, chain, true)) < 0)
			return ret;
	}
	return 0;
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

/*
 * The ranges of one family (from a plan or a reading) as keys and ends, into one set, or a hash
 * set's into the shards of their addresses (legacy: into the set of an earlier version's
 * table, which has none).
 */
static int put_ranges(struct nft_batch *b, uint16_t type, enum set_id id, uint8_t family,
		      const struct counters_range *const *v, size_t n, bool legacy)
{
	size_t alen = counters_addr_len(family), klen = IFNAMSIZ + alen;
	bool sharded = is_hash_kind(id) && !legacy;
	uint8_t *keys, *ends;
	int ret = 0;

	if (!n)
		return 0;
	keys = calloc(n, klen);
	ends = calloc(n, klen);
	if (!keys || !ends) {
		ret = -ENOMEM;
		goto out;
	}
	for (unsigned int k = 0; k < (sharded ? SHARDS : 1) && !ret; ++k) {
		enum set_id to = sharded ? (enum set_id)(SET_SHARD0 + (id - SET_FROM4) * SHARDS + k) : id;
		size_t m = 0;

		for (size_t i = 0; i < n; ++i) {
			if (sharded && shard_of(id, v[i]->start) != to)
				continue;
			range_key(keys + m * klen, v[i]->ifname, v[i]->start, alen);
			range_key(ends + m * klen, v[i]->ifname, v[i]->end, alen);
			m++;
		}
		if (m)
			ret = put_elems(b, type, to, keys, sets[id].net ? ends : NULL, klen, m);
	}
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
		if (!strncmp(name, v[i], IFNAMSIZ - 1))
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
	static const char *const chains[] = { "forward", "src4", "to4", "src6", "to6" };
	const struct counters_range **v = NULL;
	char (*netifs)[IFNAMSIZ], chain[32];
	size_t n;
	int ret;

	if ((ret = put_table(b, NFT_MSG_NEWTABLE, NLM_F_CREATE | NLM_F_EXCL, "add table inet " COUNTERS_TABLE)) < 0)
		return ret;
	/* The chains first: the shard maps' elements name them. */
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); ++i)
		if ((ret = put_chain(b, chains[i], i == 0)) < 0)
			return ret;
	for (enum set_id id = SET_SHARD0; id <= SET_SHARD_LAST; ++id)
		if ((ret = put_chain(b, sets[id].name, false)) < 0 ||
		    (sets[id].dir == COUNTERS_TO && (ret = put_chain(b, shard_chain(chain, sizeof(chain), id, true), false)) < 0))
			return ret;
	for (enum set_id id = SET_IFACES; id < SET_END; ++id)
		if (!is_hash_kind(id) && (ret = put_set(b, id)) < 0)
			return ret;
	for (enum set_id map = SET_MAP0; map <= SET_MAP_LAST; ++map) {
		bool v4 = map < SET_MAP0 + 3;
		int which = (map - SET_MAP0) % 3;	/* from, to, src */

		if ((ret = put_map_elems(b, map, which == 0 ? (v4 ? SET_FROM4 : SET_FROM6) : (v4 ? SET_TO4 : SET_TO6),
					 which == 2)) < 0)
			return ret;
	}
	if ((ret = put_family_rules(b, true)) < 0 || (ret = put_family_rules(b, false)) < 0)
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
		ret = put_ranges(b, NFT_MSG_NEWSETELEM, id, sets[id].family, v, n, false);
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

static void *grow(void *v, size_t *cap, size_t n, size_t size, size_t first);

static bool range_same(const struct counters_range *a, const struct counters_range *b)
{
	return !counters_range_cmp(a, b) && !memcmp(a->end, b->end, sizeof(a->end));
}

/* The counting set a range of a plan or a reading belongs in, for one direction. */
static enum set_id set_of(const struct counters_range *r, int dir)
{
	bool v4 = r->family == AF_INET, net = !range_single(r);

	if (dir == COUNTERS_FROM)
		return v4 ? (net ? SET_FROM4NET : SET_FROM4) : (net ? SET_FROM6NET : SET_FROM6);
	return v4 ? (net ? SET_TO4NET : SET_TO4) : (net ? SET_TO6NET : SET_TO6);
}

int counters_build_peer_elems(struct nft_batch *b, const struct counters_reading *r, const struct wg_device *dev,
			      const struct wg_allowedip *ips, size_t n, bool remove)
{
	struct counters_range v[8];
	const struct counters_range *one[1];
	int ret;

	if (!r->present || !name_in(dev->name, r->ifaces, r->n_ifaces) || !n || n > sizeof(v) / sizeof(v[0]))
		return -EAGAIN;
	for (size_t i = 0; i < n; ++i) {
		size_t alen = ips[i].family == AF_INET ? 4 : 16;

		if ((ips[i].family != AF_INET && ips[i].family != AF_INET6) || ips[i].cidr != alen * 8)
			return -EAGAIN;
		/* Inside a peer's prefix, its interval is split or joined again: a sync does that. */
		for (uint32_t p = 0; p < dev->n_peers; ++p)
			for (uint32_t k = 0; k < dev->peers[p].n_allowedips; ++k) {
				const struct wg_allowedip *a = &dev->peers[p].allowedips[k];

				if (a->family == ips[i].family && a->cidr < alen * 8 && prefix_contains(a, &ips[i]))
					return -EAGAIN;
			}
		memset(&v[i], 0, sizeof(v[i]));
		memcpy(v[i].ifname, dev->name, strnlen(dev->name, sizeof(v[i].ifname) - 1));
		v[i].family = (uint8_t)ips[i].family;
		memcpy(v[i].start, ips[i].family == AF_INET ? (const void *)&ips[i].ip4 : (const void *)&ips[i].ip6, alen);
		memcpy(v[i].end, v[i].start, alen);
	}
	for (size_t i = 0; i < n; ++i)
		for (int dir = 0; dir < 2; ++dir) {
			enum set_id id = set_of(&v[i], dir);

			one[0] = &v[i];
			if ((ret = put_ranges(b, remove ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, id, sets[id].family,
					      one, 1, r->legacy)) < 0)
				return ret;
		}
	return 0;
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

/*
 * Each element read is looked up in the plan's index: one that matches a range exactly
 * stays, any other of an interface the plan covers goes; what the plan has and no element
 * matched is added. Linear in the elements, where sorting them cost more than reading them.
 */
int counters_build_sync(struct nft_batch *b, const struct counters_plan *plan, const struct counters_reading *r)
{
	const struct counters_range **lists[SET_LAST + 1][2] = { { NULL } };	/* [set][0 delete, 1 add] */
	size_t counts[SET_LAST + 1][2] = { { 0 } }, caps[SET_LAST + 1][2] = { { 0 } };
	bool *seen = calloc(plan->n + 1, sizeof(*seen));
	int total = 0, ret;

	if (!seen)
		return -ENOMEM;
	if ((ret = sync_ifaces(b, plan, r)) < 0)
		goto out;
	total += ret;
#define PUSH(id, k, range)                                                                           \
	do {                                                                                         \
		const struct counters_range **nv = grow(lists[id][k], &caps[id][k], counts[id][k],   \
						       sizeof(*nv), 0);                              \
		if (!nv) {                                                                           \
			ret = -ENOMEM;                                                               \
			goto out;                                                                    \
		}                                                                                    \
		lists[id][k] = nv;                                                                   \
		nv[counts[id][k]++] = (range);                                                       \
	} while (0)
	/* A fold against another plan marked other ranges: its reading would add all of these again. */
	if (r->fold && r->fold->plan != plan) {
		ret = -EINVAL;
		goto out;
	}
	for (int dir = 0; dir < 2; ++dir) {
		/* A folded reading kept only what the plan does not have: the rest is marked. */
		if (r->fold)
			memcpy(seen, r->fold->seen[dir], plan->n * sizeof(*seen));
		else
			memset(seen, 0, plan->n * sizeof(*seen));
		for (size_t i = 0; i < r->n_ranges[dir]; ++i) {
			const struct counters_range *have = &r->ranges[dir][i], *want;
			enum set_id id = set_of(have, dir);

			/* Interfaces this snapshot did not read (-i) keep their elements. */
			if (!name_in(have->ifname, plan->ifaces, plan->n_ifaces))
				continue;
			want = counters_plan_lookup(plan, have);
			if (want && range_same(want, have) && !seen[want - plan->v])
				seen[want - plan->v] = true;
			else
				PUSH(id, 0, have);
		}
		for (size_t i = 0; i < plan->n; ++i) {
			enum set_id id = set_of(&plan->v[i], dir);

			if (!seen[i])
				PUSH(id, 1, &plan->v[i]);
		}
	}
	/* Deleted first: a range that changed its end is deleted and added again. */
	for (int k = 0; k < 2; ++k)
		for (enum set_id id = SET_IFACES; id <= SET_LAST; ++id) {
			if (sets[id].dir < 0 || !counts[id][k])
				continue;
			ret = put_ranges(b, k ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM, id, sets[id].family,
					 lists[id][k], counts[id][k], r->legacy);
			if (ret < 0)
				goto out;
			total++;
		}
	ret = total;
#undef PUSH
out:
	for (enum set_id id = SET_IFACES; id <= SET_LAST; ++id) {
		free(lists[id][0]);
		free(lists[id][1]);
	}
	free(seen);
	return ret;
}

/* --- reading the sets --- */

/*
 * A dump of 40,000 elements is parsed here attribute by attribute, in place: libnftnl would
 * allocate a set, an element and an expression object for each, and that cost more than
 * the kernel's own work of writing the dump.
 */
struct raw_elem {
	const uint8_t *key, *end;
	uint16_t klen, elen;
	uint64_t packets, bytes;
};

struct raw_value {
	const uint8_t *v;
	uint16_t len;
};

static int value_cb(const struct nlattr *a, void *data)
{
	struct raw_value *out = data;

	if (mnl_attr_get_type(a) == NFTA_DATA_VALUE) {
		out->v = mnl_attr_get_payload(a);
		out->len = mnl_attr_get_payload_len(a);
	}
	return 0;
}

static int counter_cb(const struct nlattr *a, void *data)
{
	struct raw_elem *e = data;
	uint16_t type = mnl_attr_get_type(a);
	uint64_t v;

	if (type != NFTA_COUNTER_BYTES && type != NFTA_COUNTER_PACKETS)
		return 0;
	if (mnl_attr_get_payload_len(a) != sizeof(v))
		return -EBADMSG;
	memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
	*(type == NFTA_COUNTER_BYTES ? &e->bytes : &e->packets) = be64toh(v);
	return 0;
}

struct raw_expr {
	bool counter;
	const struct nlattr *data;
};

static int expr_attr_cb(const struct nlattr *a, void *data)
{
	struct raw_expr *x = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_EXPR_NAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		x->counter = !strcmp(mnl_attr_get_str(a), "counter");
		break;
	case NFTA_EXPR_DATA:
		x->data = a;
		break;
	}
	return 0;
}

/* One expression (NFTA_SET_ELEM_EXPR, or an item of NFTA_SET_ELEM_EXPRESSIONS): a counter's values. */
static int expr_cb(const struct nlattr *a, void *data)
{
	struct raw_expr x = { 0 };
	int ret = nlwalk_nested(a, expr_attr_cb, &x);

	if (ret < 0)
		return ret;
	return x.counter && x.data ? nlwalk_nested(x.data, counter_cb, data) : 0;
}

static int elem_attr_cb(const struct nlattr *a, void *data)
{
	struct raw_elem *e = data;
	struct raw_value v = { 0 };
	int ret;

	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_KEY:
	case NFTA_SET_ELEM_KEY_END:
		if ((ret = nlwalk_nested(a, value_cb, &v)) < 0)
			return ret;
		if (mnl_attr_get_type(a) == NFTA_SET_ELEM_KEY) {
			e->key = v.v;
			e->klen = v.len;
		} else {
			e->end = v.v;
			e->elen = v.len;
		}
		return 0;
	case NFTA_SET_ELEM_EXPR:
		return expr_cb(a, e);
	case NFTA_SET_ELEM_EXPRESSIONS:
		return nlwalk_nested(a, expr_cb, e);
	}
	return 0;
}

struct elem_ctx {
	struct counters_reading *r;
	enum set_id id;
	const char *table, *set;
	const struct nlattr *elems;
};

/* Room for one more of n; the first allocation holds first (at least 64). */
static void *grow(void *v, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t ncap;
	void *nv;

	if (n < *cap)
		return v;
	ncap = *cap ? *cap * 2 : first > 64 ? first : 64;
	nv = realloc(v, ncap * size);
	if (nv)
		*cap = ncap;
	return nv;
}

/* One element of the dump into the reading. */
static int elem_cb(const struct nlattr *a, void *data)
{
	struct elem_ctx *c = data;
	struct counters_reading *r = c->r;
	struct raw_elem e = { 0 };
	size_t alen;
	int ret;

	if (mnl_attr_get_type(a) != NFTA_LIST_ELEM)
		return 0;
	if ((ret = nlwalk_nested(a, elem_attr_cb, &e)) < 0)
		return ret;
	if (!e.key)
		return 0;
	switch (c->id) {
	case SET_IFACES:
	case SET_NETIFS: {
		char (**names)[IFNAMSIZ] = c->id == SET_IFACES ? &r->ifaces : &r->netifs;
		size_t *n = c->id == SET_IFACES ? &r->n_ifaces : &r->n_netifs;
		char (*v)[IFNAMSIZ];

		if (e.klen != IFNAMSIZ)
			return -EBADMSG;
		v = realloc(*names, (*n + 1) * IFNAMSIZ);
		if (!v)
			return -ENOMEM;
		*names = v;
		memcpy(v[*n], e.key, IFNAMSIZ);
		v[(*n)++][IFNAMSIZ - 1] = '\0';
		return 0;
	}
	case SET_PAIRS4:
	case SET_PAIRS6: {
		struct counters_pair *p;

		alen = c->id == SET_PAIRS4 ? 4 : 16;
		if (e.klen != 2 * alen)
			return -EBADMSG;
		p = grow(r->pairs, &r->cap_pairs, r->n_pairs, sizeof(*p), 0);
		if (!p)
			return -ENOMEM;
		r->pairs = p;
		p = &r->pairs[r->n_pairs++];
		memset(p, 0, sizeof(*p));
		p->family = c->id == SET_PAIRS4 ? AF_INET : AF_INET6;
		memcpy(p->saddr, e.key, alen);
		memcpy(p->daddr, e.key + alen, alen);
		p->packets = e.packets;
		p->bytes = e.bytes;
		return 0;
	}
	default: {
		int d = sets[c->id].dir;
		struct counters_range one, *v;

		alen = counters_addr_len(sets[c->id].family);
		if (e.klen != IFNAMSIZ + alen || (e.end && e.elen != e.klen))
			return -EBADMSG;
		memset(&one, 0, sizeof(one));
		one.family = sets[c->id].family;
		/* Zero-padded after the name, as the plan's: another writer may have left bytes there. */
		memcpy(one.ifname, e.key, strnlen((const char *)e.key, IFNAMSIZ - 1));
		memcpy(one.start, e.key + IFNAMSIZ, alen);
		memcpy(one.end, e.end ? e.end + IFNAMSIZ : e.key + IFNAMSIZ, alen);
		one.packets = e.packets;
		one.bytes = e.bytes;
		if (r->fold && counters_fold_take(r->fold, d, &one))
			return 0;
		v = grow(r->ranges[d], &r->cap_ranges[d], r->n_ranges[d], sizeof(*v), r->expect[d]);
		if (!v)
			return -ENOMEM;
		r->ranges[d] = v;
		v[r->n_ranges[d]++] = one;
		return 0;
	}
	}
}

static int list_attr_cb(const struct nlattr *a, void *data)
{
	struct elem_ctx *c = data;

	switch (mnl_attr_get_type(a)) {
	case NFTA_SET_ELEM_LIST_TABLE:
	case NFTA_SET_ELEM_LIST_SET:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		*(mnl_attr_get_type(a) == NFTA_SET_ELEM_LIST_TABLE ? &c->table : &c->set) = mnl_attr_get_str(a);
		break;
	case NFTA_SET_ELEM_LIST_ELEMENTS:
		c->elems = a;
		break;
	}
	return 0;
}

static void reading_gen(struct counters_reading *r, bool has, uint16_t gen, bool mixed)
{
	if (!has)
		return;
	if (!r->has_gen) {
		r->gen = gen;
		r->has_gen = true;
	}
	if (mixed || r->gen != gen)
		r->gen_mixed = true;
}

int counters_parse_elems(const struct nlmsghdr *nlh, struct counters_reading *r)
{
	struct elem_ctx c = { .r = r };
	size_t hdr = sizeof(struct nfgenmsg);
	const struct nfgenmsg *nfg;
	int ret;

	if (nlh->nlmsg_len < NLMSG_HDRLEN + hdr)
		return -EBADMSG;
	nfg = mnl_nlmsg_get_payload(nlh);
	ret = nlwalk_attrs((const char *)mnl_nlmsg_get_payload(nlh) + hdr, nlh->nlmsg_len - NLMSG_HDRLEN - hdr,
			   list_attr_cb, &c);
	if (ret < 0)
		return ret;
	if (!c.table || !c.set || strcmp(c.table, COUNTERS_TABLE) || !c.elems)
		return 0;
	for (c.id = SET_IFACES; c.id <= SET_SHARD_LAST; ++c.id)
		if (!strcmp(c.set, sets[c.id].name))
			break;
	if (c.id > SET_SHARD_LAST)
		return 0;
	/* A shard's elements are its hash set's. */
	c.id = sets[c.id].kind;
	reading_gen(r, true, ntohs(nfg->res_id), false);
	return nlwalk_nested(c.elems, elem_cb, &c);
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

/* src's n elements after dst's *n; src's array is freed (and dst's kept) either way. */
static int append(void **dst, size_t *n, size_t *cap, void *src, size_t n_src, size_t size)
{
	void *nv;

	if (!n_src) {
		free(src);
		return 0;
	}
	if (!*n) {
		free(*dst);
		*dst = src;
		*n = n_src;
		if (cap)
			*cap = n_src;
		return 0;
	}
	/* Sized for the whole reading (expect): the other part fits behind this one's. */
	if (cap && *cap >= *n + n_src) {
		nv = *dst;
	} else {
		nv = realloc(*dst, (*n + n_src) * size);
		if (!nv) {
			free(src);
			return -ENOMEM;
		}
		if (cap)
			*cap = *n + n_src;
	}
	memcpy((char *)nv + *n * size, src, n_src * size);
	free(src);
	*dst = nv;
	*n += n_src;
	return 0;
}

int counters_reading_merge(struct counters_reading *dst, struct counters_reading *src)
{
	int ret = 0;

	for (int dir = 0; dir < 2; ++dir)
		if (append((void **)&dst->ranges[dir], &dst->n_ranges[dir], &dst->cap_ranges[dir], src->ranges[dir],
			   src->n_ranges[dir], sizeof(*src->ranges[dir])) < 0)
			ret = -ENOMEM;
	if (append((void **)&dst->pairs, &dst->n_pairs, &dst->cap_pairs, src->pairs, src->n_pairs,
		   sizeof(*src->pairs)) < 0 ||
	    append((void **)&dst->ifaces, &dst->n_ifaces, NULL, src->ifaces, src->n_ifaces, sizeof(*src->ifaces)) < 0 ||
	    append((void **)&dst->netifs, &dst->n_netifs, NULL, src->netifs, src->n_netifs, sizeof(*src->netifs)) < 0)
		ret = -ENOMEM;
	if (src->at.tv_sec > dst->at.tv_sec || (src->at.tv_sec == dst->at.tv_sec && src->at.tv_nsec > dst->at.tv_nsec))
		dst->at = src->at;
	reading_gen(dst, src->has_gen, src->gen, src->gen_mixed);
	dst->legacy |= src->legacy;
	memset(src, 0, sizeof(*src));
	return ret;
}

/* The sets in the order they are dumped: ifaces first, whose absence says there is no table. */
static enum set_id dump_order(unsigned int i)
{
	static const enum set_id fixed[] = { SET_IFACES, SET_NETIFS, SET_FROM4NET, SET_TO4NET, SET_FROM6NET,
					     SET_TO6NET, SET_PAIRS4, SET_PAIRS6 };
	size_t n = sizeof(fixed) / sizeof(fixed[0]);

	if (i < n)
		return fixed[i];
	if (i - n <= (unsigned int)(SET_SHARD_LAST - SET_SHARD0))
		return (enum set_id)(SET_SHARD0 + (i - n));
	return SET_END;
}

int counters_dump_request(void *buf, unsigned int i, bool instead, struct nlmsghdr **out)
{
	enum set_id id = dump_order(i);
	struct nftnl_set *set;

	if (id == SET_END)
		return 0;
	if (instead) {
		if (id < SET_SHARD0 || id > SET_SHARD_LAST)
			return 0;
		if ((id - SET_SHARD0) % SHARDS)
			return 2;
		id = sets[id].kind;
	}
	if (!(set = nftnl_set_alloc()))
		return -ENOMEM;
	nftnl_set_set_str(set, NFTNL_SET_TABLE, COUNTERS_TABLE);
	nftnl_set_set_str(set, NFTNL_SET_NAME, sets[id].name);
	*out = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 0);
	nftnl_set_elems_nlmsg_build_payload(*out, set);
	nftnl_set_free(set);
	return 1;
}
