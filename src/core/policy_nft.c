// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar's policy table as nf_tables messages, built from the compiled policy; its counters parsed. */
#include <errno.h>
#include <stdio.h>
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
#include <linux/netfilter/nf_conntrack_common.h>
#include "nft_batch.h"
#include "policy_nft.h"

/* nft's datatype numbers, so that `nft list ruleset` prints the maps as it prints its own. */
#define NFT_TYPE_IPADDR 7
#define NFT_TYPE_IP6ADDR 8
#define NFT_TYPE_INET_PROTOCOL 12
#define NFT_TYPE_INET_SERVICE 13
#define NFT_TYPE_IFNAME 41
#define NFT_TYPE_BITS 6
#define NFT_BYTEORDER_HOST 1

#define ELEMS_PER_MSG 256
#define NAME_LEN 48
/* The first set id of this table's batches: apart from the counting table's. */
#define FIRST_SET_ID 1000

struct builder {
	struct nft_batch *b;
	uint32_t set_id;
	int ret;			/* the first error; later calls do nothing */
	bool no_elements;		/* a preview: everything but the maps' elements */
	struct firewall_map_size *sizes;	/* elements per map, recorded when not NULL */
	size_t n_sizes, cap_sizes;
};

/* --- expressions --- */

static struct nftnl_expr *ex_meta(uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *ex_cmp(uint32_t op, uint32_t sreg, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *ex_u8(uint8_t v)
{
	return ex_cmp(NFT_CMP_EQ, NFT_REG_1, &v, 1);
}

static struct nftnl_expr *ex_payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return e;
}

/* A verdict map lookup: the verdict register gets the element's verdict. */
static struct nftnl_expr *ex_vmap(const char *set, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	}
	return e;
}

static struct nftnl_expr *ex_counter(void)
{
	return nftnl_expr_alloc("counter");
}

static struct nftnl_expr *ex_ct_state(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, NFT_CT_STATE);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *ex_bitwise_mask(uint32_t mask)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t zero = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	return e;
}

/* meta l4proto in host order, as nft converts it before a concatenation. */
static struct nftnl_expr *ex_hton_l4proto(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("byteorder");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_LEN, 1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BYTEORDER_SIZE, 2);
	}
	return e;
}

static struct nftnl_expr *ex_dynset_update(const char *set)
{
	struct nftnl_expr *e = nftnl_expr_alloc("dynset");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_UPDATE);
		nftnl_expr_set_str(e, NFTNL_EXPR_DYNSET_SET_NAME, set);
	}
	return e;
}

/* --- objects --- */

/* What nft accepts inside a quoted comment: printable ASCII but the quote and the backslash. */
static void comment_clean(char *out, size_t len, const char *in)
{
	size_t o = 0;

	for (; *in && o + 1 < len; ++in)
		out[o++] = *in >= 0x20 && *in < 0x7f && *in != '"' && *in != '\\' ? *in : '?';
	out[o] = '\0';
}

static struct nlmsghdr *add_msg(struct builder *bd, uint16_t type, uint16_t flags, const char *label)
{
	struct nlmsghdr *nlh;

	if (bd->ret)
		return NULL;
	nlh = nft_batch_add(bd->b, type, NFPROTO_INET, flags, label);
	if (!nlh)
		bd->ret = -ENOMEM;
	return nlh;
}

static void put_table(struct builder *bd, uint16_t type, const char *comment)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nlmsghdr *nlh;

	if (!t) {
		bd->ret = bd->ret ? bd->ret : -ENOMEM;
		return;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, POLICY_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if (comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);

		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_TABLE_COMMENT, comment)) {
			nftnl_udata_buf_free(u);
			nftnl_table_free(t);
			bd->ret = bd->ret ? bd->ret : -ENOMEM;
			return;
		}
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	nlh = add_msg(bd, type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE | NLM_F_EXCL : 0,
		      type == NFT_MSG_NEWTABLE ? "add table inet " POLICY_TABLE : "delete table inet " POLICY_TABLE);
	if (nlh)
		nftnl_table_nlmsg_build_payload(nlh, t);
	nftnl_table_free(t);
}

/* A chain; a base chain when hook >= 0. comment may be NULL. */
static void put_chain(struct builder *bd, const char *name, int hook, const char *comment)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	struct nlmsghdr *nlh;
	char label[128];

	if (!c) {
		bd->ret = bd->ret ? bd->ret : -ENOMEM;
		return;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, POLICY_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	if (hook >= 0) {
		nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
		nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, (uint32_t)hook);
		nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, POLICY_PRIORITY);
		nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	}
	if (comment) {
		struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
		char clean[128];

		comment_clean(clean, sizeof(clean), comment);
		if (!u || !nftnl_udata_put_strz(u, NFTNL_UDATA_CHAIN_COMMENT, clean)) {
			nftnl_udata_buf_free(u);
			nftnl_chain_free(c);
			bd->ret = bd->ret ? bd->ret : -ENOMEM;
			return;
		}
		nftnl_chain_set_data(c, NFTNL_CHAIN_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
		nftnl_udata_buf_free(u);
	}
	snprintf(label, sizeof(label), "add chain inet %s %s", POLICY_TABLE, name);
	nlh = add_msg(bd, NFT_MSG_NEWCHAIN, NLM_F_CREATE | NLM_F_EXCL, label);
	if (nlh)
		nftnl_chain_nlmsg_build_payload(nlh, c);
	nftnl_chain_free(c);
}

enum set_kind {
	SK_IFACES,			/* ifname : verdict */
	SK_ADDR4,			/* ifname . ipv4_addr : verdict */
	SK_ADDR4NET,			/* the same, by ranges */
	SK_ADDR6,
	SK_ADDR6NET,
	SK_PORTS,			/* inet_proto . inet_service : verdict, by ranges */
	SK_DENIED4,			/* ipv4_addr . ipv4_addr, updated from the packet path, counted */
	SK_DENIED6,
};

static uint32_t key_len_of(enum set_kind k)
{
	static const uint32_t len[] = { IFNAMSIZ, IFNAMSIZ + 4, IFNAMSIZ + 4, IFNAMSIZ + 16, IFNAMSIZ + 16, 8, 8, 32 };

	return len[k];
}

static void put_set(struct builder *bd, const char *name, enum set_kind kind)
{
	struct nftnl_set *s = nftnl_set_alloc();
	struct nftnl_udata_buf *u = nftnl_udata_buf_alloc(64);
	uint8_t fields[2] = { IFNAMSIZ, 4 };
	uint32_t key_type = 0, flags = NFT_SET_MAP;
	struct nlmsghdr *nlh;
	char label[128];

	if (!s || !u) {
		bd->ret = bd->ret ? bd->ret : -ENOMEM;
		goto out;
	}
	switch (kind) {
	case SK_IFACES:
		key_type = NFT_TYPE_IFNAME;
		break;
	case SK_ADDR4:
	case SK_ADDR4NET:
		key_type = NFT_TYPE_IFNAME << NFT_TYPE_BITS | NFT_TYPE_IPADDR;
		break;
	case SK_ADDR6:
	case SK_ADDR6NET:
		key_type = NFT_TYPE_IFNAME << NFT_TYPE_BITS | NFT_TYPE_IP6ADDR;
		fields[1] = 16;
		break;
	case SK_PORTS:
		key_type = NFT_TYPE_INET_PROTOCOL << NFT_TYPE_BITS | NFT_TYPE_INET_SERVICE;
		fields[0] = 1;
		fields[1] = 2;
		break;
	case SK_DENIED4:
	case SK_DENIED6:
		key_type = kind == SK_DENIED4 ? NFT_TYPE_IPADDR << NFT_TYPE_BITS | NFT_TYPE_IPADDR :
						NFT_TYPE_IP6ADDR << NFT_TYPE_BITS | NFT_TYPE_IP6ADDR;
		fields[0] = fields[1] = kind == SK_DENIED4 ? 4 : 16;
		flags = NFT_SET_EVAL | NFT_SET_TIMEOUT | NFT_SET_CONCAT;
		nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, POLICY_DENIED_SIZE);
		nftnl_set_set_u64(s, NFTNL_SET_TIMEOUT, POLICY_DENIED_TIMEOUT_MS);
		break;
	}
	if (kind == SK_ADDR4NET || kind == SK_ADDR6NET || kind == SK_PORTS)
		flags |= NFT_SET_INTERVAL;
	if (kind != SK_IFACES)
		flags |= NFT_SET_CONCAT;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, POLICY_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, bd->set_id++);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len_of(kind));
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, NFT_DATA_VERDICT);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, 0);
	}
	nftnl_udata_put_u32(u, NFTNL_UDATA_SET_KEYBYTEORDER, kind == SK_IFACES ? NFT_BYTEORDER_HOST : 0);
	nftnl_set_set_data(s, NFTNL_SET_USERDATA, nftnl_udata_buf_data(u), nftnl_udata_buf_len(u));
	if (kind != SK_IFACES)
		nftnl_set_set_data(s, NFTNL_SET_DESC_CONCAT, fields, sizeof(fields));
	if (kind == SK_DENIED4 || kind == SK_DENIED6) {
		struct nftnl_expr *counter = ex_counter();

		if (!counter) {
			bd->ret = bd->ret ? bd->ret : -ENOMEM;
			goto out;
		}
		nftnl_set_add_expr(s, counter);
	}
	snprintf(label, sizeof(label), "add %s inet %s %s", flags & NFT_SET_MAP ? "map" : "set", POLICY_TABLE, name);
	nlh = add_msg(bd, NFT_MSG_NEWSET, NLM_F_CREATE | NLM_F_EXCL, label);
	if (nlh)
		nftnl_set_nlmsg_build_payload(nlh, s);
out:
	nftnl_udata_buf_free(u);
	if (s)
		nftnl_set_free(s);
}

/* One rule appended to a chain; exprs are taken over whatever happens. */
static void put_rule(struct builder *bd, const char *chain, struct nftnl_expr **exprs, size_t n)
{
	struct nftnl_rule *r = bd->ret ? NULL : nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	bool fail = !r;
	char label[128];

	for (size_t i = 0; i < n; ++i) {
		if (!exprs[i] || fail) {
			fail = true;
			if (exprs[i])
				nftnl_expr_free(exprs[i]);
			continue;
		}
		nftnl_rule_add_expr(r, exprs[i]);
	}
	if (fail) {
		bd->ret = bd->ret ? bd->ret : -ENOMEM;
		goto out;
	}
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, POLICY_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	snprintf(label, sizeof(label), "add rule inet %s %s ...", POLICY_TABLE, chain);
	nlh = add_msg(bd, NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, label);
	if (nlh)
		nftnl_rule_nlmsg_build_payload(nlh, r);
out:
	if (r)
		nftnl_rule_free(r);
}

#define RULE(bd, chain, ...)                                                                                    \
	do {                                                                                                     \
		struct nftnl_expr *e_[] = { __VA_ARGS__ };                                                       \
		put_rule((bd), (chain), e_, sizeof(e_) / sizeof(e_[0]));                                         \
	} while (0)

struct elem {
	uint8_t key[IFNAMSIZ + 16];
	uint8_t end[IFNAMSIZ + 16];
	int verdict;
	char chain[NAME_LEN];
};

/* A map of n elements, for a preview that says how big each map is. */
static void put_elems_size(struct builder *bd, const char *set, size_t n)
{
	if (bd->sizes || bd->cap_sizes) {
		if (bd->n_sizes == bd->cap_sizes) {
			size_t cap = bd->cap_sizes ? bd->cap_sizes * 2 : 32;
			struct firewall_map_size *nv = realloc(bd->sizes, cap * sizeof(*nv));

			if (!nv) {
				bd->ret = bd->ret ? bd->ret : -ENOMEM;
				return;
			}
			bd->sizes = nv;
			bd->cap_sizes = cap;
		}
		snprintf(bd->sizes[bd->n_sizes].name, sizeof(bd->sizes->name), "%s", set);
		bd->sizes[bd->n_sizes++].n = n;
	}
}

/* The messages that add n elements, ELEMS_PER_MSG in each. */
static void put_elems_msgs(struct builder *bd, const char *set, const struct elem *v, size_t n, uint32_t klen,
			   bool ranges)
{
	for (size_t i = 0; i < n && !bd->ret; i += ELEMS_PER_MSG) {
		struct nftnl_set *s = nftnl_set_alloc();
		struct nlmsghdr *nlh;
		char label[128];

		if (!s) {
			bd->ret = -ENOMEM;
			return;
		}
		nftnl_set_set_str(s, NFTNL_SET_TABLE, POLICY_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		for (size_t j = i; j < n && j < i + ELEMS_PER_MSG; ++j) {
			struct nftnl_set_elem *e = nftnl_set_elem_alloc();

			if (!e) {
				nftnl_set_free(s);
				bd->ret = -ENOMEM;
				return;
			}
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, v[j].key, klen);
			if (ranges)
				nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, v[j].end, klen);
			nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_VERDICT, (uint32_t)v[j].verdict);
			if (v[j].verdict == NFT_GOTO)
				nftnl_set_elem_set_str(e, NFTNL_SET_ELEM_CHAIN, v[j].chain);
			nftnl_set_elem_add(s, e);
		}
		snprintf(label, sizeof(label), "add element inet %s %s (%zu elements)", POLICY_TABLE, set,
			 n - i < ELEMS_PER_MSG ? n - i : ELEMS_PER_MSG);
		nlh = add_msg(bd, NFT_MSG_NEWSETELEM, NLM_F_CREATE | NLM_F_EXCL, label);
		if (nlh)
			nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
	}
}

static void put_elems(struct builder *bd, const char *set, const struct elem *v, size_t n, uint32_t klen, bool ranges)
{
	put_elems_size(bd, set, n);
	if (!bd->no_elements)
		put_elems_msgs(bd, set, v, n, klen, ranges);
}

/* --- the table from the compiled policy --- */

static void target_verdict(size_t iface, struct policy_target t, const struct policy_cface *cf, int *verdict,
			   char *chain)
{
	*verdict = NFT_GOTO;
	switch (t.kind) {
	case POLICY_T_RETURN:
		*verdict = NFT_RETURN;
		chain[0] = '\0';
		break;
	case POLICY_T_DEFAULT:
		snprintf(chain, NAME_LEN, "i%zu_default", iface);
		break;
	case POLICY_T_RULE:
		snprintf(chain, NAME_LEN, "line%u", cf->pi->rules[t.index].line);
		break;
	case POLICY_T_DECISION:
		snprintf(chain, NAME_LEN, "i%zu_d%u", iface, t.index);
		break;
	case POLICY_T_CLASS:
		snprintf(chain, NAME_LEN, "i%zu_c%u", iface, t.index);
		break;
	}
}

static struct nftnl_expr *ex_target(size_t iface, struct policy_target t, const struct policy_cface *cf)
{
	char chain[NAME_LEN];
	int verdict;

	target_verdict(iface, t, cf, &verdict, chain);
	return nft_expr_verdict(verdict, verdict == NFT_GOTO ? chain : NULL);
}

/* The verdict chain of a rule or a Default: counted; denied pairs remembered, then dropped. */
static void put_verdict_chain(struct builder *bd, const char *chain, bool allow)
{
	if (!allow) {
		RULE(bd, chain, ex_meta(NFT_META_NFPROTO, NFT_REG_1), ex_u8(NFPROTO_IPV4),
		     ex_payload(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, NFT_REG_1),
		     ex_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG32_01), ex_dynset_update("denied4"));
		RULE(bd, chain, ex_meta(NFT_META_NFPROTO, NFT_REG_1), ex_u8(NFPROTO_IPV6),
		     ex_payload(NFT_PAYLOAD_NETWORK_HEADER, 8, 16, NFT_REG_1),
		     ex_payload(NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_2), ex_dynset_update("denied6"));
	}
	RULE(bd, chain, ex_counter(), nft_expr_verdict(allow ? NF_ACCEPT : NF_DROP, NULL));
}

static bool span_in_map(const struct policy_span *v, uint8_t family, bool ranges)
{
	return v->family == family && !memcmp(v->start, v->end, family == AF_INET ? 4 : 16) != ranges;
}

/*
 * The spans of one of a pair of maps (single addresses, ranges) keyed by ifname . address, n of
 * them, added ELEMS_PER_MSG at a time: the elements of a map of 20,000 spans were 2.6 MB at once.
 */
static void put_span_elems(struct builder *bd, const char *set, size_t iface, const struct policy_cface *cf,
			   const struct policy_span *v, size_t n_spans, uint8_t family, bool ranges, size_t n,
			   uint32_t klen)
{
	size_t alen = family == AF_INET ? 4 : 16, k = 0;
	struct elem *e;

	put_elems_size(bd, set, n);
	if (bd->no_elements)
		return;
	if (!(e = malloc(ELEMS_PER_MSG * sizeof(*e)))) {
		bd->ret = -ENOMEM;
		return;
	}
	for (size_t i = 0; i < n_spans && !bd->ret; ++i) {
		if (!span_in_map(&v[i], family, ranges))
			continue;
		memset(&e[k], 0, sizeof(e[k]));
		memcpy(e[k].key, cf->name, strnlen(cf->name, IFNAMSIZ - 1));
		memcpy(e[k].key + IFNAMSIZ, v[i].start, alen);
		memcpy(e[k].end, cf->name, strnlen(cf->name, IFNAMSIZ - 1));
		memcpy(e[k].end + IFNAMSIZ, v[i].end, alen);
		target_verdict(iface, v[i].to, cf, &e[k].verdict, e[k].chain);
		if (++k == ELEMS_PER_MSG) {
			put_elems_msgs(bd, set, e, k, klen, ranges);
			k = 0;
		}
	}
	if (k && !bd->ret)
		put_elems_msgs(bd, set, e, k, klen, ranges);
	free(e);
}

/*
 * Four maps by address (IPv4, IPv4 ranges, IPv6, IPv6 ranges) named PREFIX4, PREFIX4net, ...,
 * and a rule in chain for each that holds elements; by the source (iifname) or destination.
 */
static void put_addr_maps(struct builder *bd, size_t iface, const struct policy_cface *cf, const char *chain,
			  const char *prefix, const struct policy_map *map, bool source)
{
	static const struct {
		uint8_t family;
		bool ranges;
		const char *suffix;
		enum set_kind kind;
	} maps[] = {
		{ AF_INET, false, "4", SK_ADDR4 },
		{ AF_INET, true, "4net", SK_ADDR4NET },
		{ AF_INET6, false, "6", SK_ADDR6 },
		{ AF_INET6, true, "6net", SK_ADDR6NET },
	};
	struct policy_span *v;
	size_t n;
	int ret;

	/* A map's elements, made from its hops for as long as its messages take. */
	if ((ret = policy_map_spans(cf, map, &v, &n)) < 0) {
		bd->ret = bd->ret ? bd->ret : ret;
		return;
	}
	for (size_t m = 0; m < 4 && !bd->ret; ++m) {
		bool v4 = maps[m].family == AF_INET;
		char name[NAME_LEN];
		size_t k = 0;

		for (size_t i = 0; i < n; ++i)
			k += span_in_map(&v[i], maps[m].family, maps[m].ranges);
		if (k) {
			snprintf(name, sizeof(name), "%s%s", prefix, maps[m].suffix);
			put_set(bd, name, maps[m].kind);
			put_span_elems(bd, name, iface, cf, v, n, maps[m].family, maps[m].ranges, k,
				       key_len_of(maps[m].kind));
			RULE(bd, chain, ex_meta(NFT_META_NFPROTO, NFT_REG_1), ex_u8(v4 ? NFPROTO_IPV4 : NFPROTO_IPV6),
			     ex_meta(source ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_REG_1),
			     ex_payload(NFT_PAYLOAD_NETWORK_HEADER, v4 ? (source ? 12 : 16) : (source ? 8 : 24), v4 ? 4 : 16,
					NFT_REG_2),
			     ex_vmap(name, NFT_REG_1));
		}
	}
	free(v);
}

static void put_decision(struct builder *bd, size_t iface, const struct policy_cface *cf, size_t d)
{
	const struct policy_decision *dc = &cf->decisions[d];
	char chain[NAME_LEN], name[NAME_LEN + 8];

	snprintf(chain, sizeof(chain), "i%zu_d%zu", iface, d);
	if (dc->n_ports) {
		struct elem *e = calloc(dc->n_ports, sizeof(*e));

		if (!e) {
			bd->ret = bd->ret ? bd->ret : -ENOMEM;
			return;
		}
		for (size_t i = 0; i < dc->n_ports; ++i) {
			uint16_t lo = htons(dc->ports[i].lo), hi = htons(dc->ports[i].hi);

			e[i].key[0] = e[i].end[0] = dc->ports[i].proto;
			memcpy(e[i].key + 4, &lo, 2);
			memcpy(e[i].end + 4, &hi, 2);
			target_verdict(iface, dc->ports[i].to, cf, &e[i].verdict, e[i].chain);
		}
		snprintf(name, sizeof(name), "%s_ports", chain);
		put_set(bd, name, SK_PORTS);
		put_elems(bd, name, e, dc->n_ports, key_len_of(SK_PORTS), true);
		free(e);
		RULE(bd, chain, ex_meta(NFT_META_L4PROTO, NFT_REG_1), ex_hton_l4proto(),
		     ex_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01), ex_vmap(name, NFT_REG_1));
	}
	if (dc->icmp.kind != dc->other.kind || dc->icmp.index != dc->other.index) {
		RULE(bd, chain, ex_meta(NFT_META_NFPROTO, NFT_REG_1), ex_u8(NFPROTO_IPV4),
		     ex_meta(NFT_META_L4PROTO, NFT_REG_1), ex_u8(IPPROTO_ICMP),
		     ex_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1), ex_u8(8), ex_target(iface, dc->icmp, cf));
		RULE(bd, chain, ex_meta(NFT_META_NFPROTO, NFT_REG_1), ex_u8(NFPROTO_IPV6),
		     ex_meta(NFT_META_L4PROTO, NFT_REG_1), ex_u8(IPPROTO_ICMPV6),
		     ex_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1), ex_u8(128),
		     ex_target(iface, dc->icmp, cf));
	}
	RULE(bd, chain, ex_target(iface, dc->other, cf));
}

/* ct state established,related return */
static void put_known_return(struct builder *bd, const char *chain)
{
	uint32_t zero = 0;

	RULE(bd, chain, ex_ct_state(), ex_bitwise_mask(NF_CT_STATE_BIT(IP_CT_ESTABLISHED) | NF_CT_STATE_BIT(IP_CT_RELATED)),
	     ex_cmp(NFT_CMP_NEQ, NFT_REG_1, &zero, sizeof(zero)), nft_expr_verdict(NFT_RETURN, NULL));
}

static void put_iface(struct builder *bd, size_t i, const struct policy_cface *cf)
{
	const struct policy_iface *pi = cf->pi;
	char chain[NAME_LEN], prefix[NAME_LEN], ifname[IFNAMSIZ] = { 0 };
	char text[160], comment[200];

	memcpy(ifname, cf->name, strnlen(cf->name, IFNAMSIZ - 1));
	/* Chains first: map elements and rules name them. */
	snprintf(chain, sizeof(chain), "i%zu", i);
	snprintf(comment, sizeof(comment), "%s: peer to peer", cf->name);
	put_chain(bd, chain, -1, comment);
	if (cf->hub) {
		snprintf(chain, sizeof(chain), "i%zu_in", i);
		snprintf(comment, sizeof(comment), "%s: to the hub", cf->name);
		put_chain(bd, chain, -1, comment);
	}
	for (size_t k = 0; k < cf->n_classes; ++k) {
		snprintf(chain, sizeof(chain), "i%zu_c%zu", i, k);
		put_chain(bd, chain, -1, NULL);
	}
	for (size_t d = 0; d < cf->n_decisions; ++d) {
		snprintf(chain, sizeof(chain), "i%zu_d%zu", i, d);
		put_chain(bd, chain, -1, NULL);
	}
	snprintf(chain, sizeof(chain), "i%zu_default", i);
	if (pi->default_line)
		snprintf(comment, sizeof(comment), "%s: Default = %s (line %u)", cf->name,
			 pi->default_allow ? "allow" : "deny", pi->default_line);
	else
		snprintf(comment, sizeof(comment), "%s: Default = allow", cf->name);
	put_chain(bd, chain, -1, comment);
	for (size_t r = 0; r < pi->n_rules; ++r) {
		snprintf(chain, sizeof(chain), "line%u", pi->rules[r].line);
		snprintf(comment, sizeof(comment), "%s (line %u)", policy_rule_format(&pi->rules[r], text, sizeof(text)),
			 pi->rules[r].line);
		put_chain(bd, chain, -1, comment);
	}
	/* Then what decides, from the last link of the chain of gotos to the first. */
	snprintf(chain, sizeof(chain), "i%zu_default", i);
	put_verdict_chain(bd, chain, pi->default_allow);
	for (size_t r = 0; r < pi->n_rules; ++r) {
		snprintf(chain, sizeof(chain), "line%u", pi->rules[r].line);
		put_verdict_chain(bd, chain, pi->rules[r].allow);
	}
	for (size_t d = 0; d < cf->n_decisions; ++d)
		put_decision(bd, i, cf, d);
	for (size_t k = 0; k < cf->n_classes; ++k) {
		snprintf(chain, sizeof(chain), "i%zu_c%zu", i, k);
		snprintf(prefix, sizeof(prefix), "i%zu_c%zu_to", i, k);
		put_addr_maps(bd, i, cf, chain, prefix, &cf->classes[k], false);
		RULE(bd, chain, ex_target(i, cf->classes[k].fallback, cf));
	}
	/* Peer to peer: in and out through the interface, a new connection. */
	snprintf(chain, sizeof(chain), "i%zu", i);
	RULE(bd, chain, ex_meta(NFT_META_OIFNAME, NFT_REG_1), ex_cmp(NFT_CMP_NEQ, NFT_REG_1, ifname, IFNAMSIZ),
	     nft_expr_verdict(NFT_RETURN, NULL));
	snprintf(prefix, sizeof(prefix), "i%zu_from", i);
	put_addr_maps(bd, i, cf, chain, prefix, &cf->from, true);
	RULE(bd, chain, ex_target(i, cf->from.fallback, cf));
	if (cf->hub) {
		snprintf(chain, sizeof(chain), "i%zu_in", i);
		snprintf(prefix, sizeof(prefix), "i%zu_in", i);
		put_addr_maps(bd, i, cf, chain, prefix, &cf->in, true);
		if (cf->in.fallback.kind != POLICY_T_RETURN)
			RULE(bd, chain, ex_target(i, cf->in.fallback, cf));
	}
}

static void build(struct builder *bd, const struct policy_compiled *c, const char *comment)
{
	struct elem *fwd = calloc(c->n + 1, sizeof(*fwd)), *in = calloc(c->n + 1, sizeof(*in));
	size_t n_in = 0;

	if (!fwd || !in) {
		bd->ret = -ENOMEM;
		goto out;
	}
	put_table(bd, NFT_MSG_NEWTABLE, comment);
	put_set(bd, "denied4", SK_DENIED4);
	put_set(bd, "denied6", SK_DENIED6);
	for (size_t i = 0; i < c->n; ++i)
		put_iface(bd, i, &c->v[i]);
	/* The base chains last, ready to jump into what is there. */
	put_chain(bd, "forward", NF_INET_FORWARD, NULL);
	put_chain(bd, "input", NF_INET_LOCAL_IN, NULL);
	put_set(bd, "ifaces", SK_IFACES);
	put_set(bd, "ifaces_in", SK_IFACES);
	for (size_t i = 0; i < c->n; ++i) {
		memcpy(fwd[i].key, c->v[i].name, strnlen(c->v[i].name, IFNAMSIZ - 1));
		fwd[i].verdict = NFT_GOTO;
		snprintf(fwd[i].chain, sizeof(fwd[i].chain), "i%zu", i);
		if (c->v[i].hub) {
			memcpy(in[n_in].key, c->v[i].name, strnlen(c->v[i].name, IFNAMSIZ - 1));
			in[n_in].verdict = NFT_GOTO;
			snprintf(in[n_in++].chain, sizeof(in->chain), "i%zu_in", i);
		}
	}
	put_elems(bd, "ifaces", fwd, c->n, IFNAMSIZ, false);
	put_elems(bd, "ifaces_in", in, n_in, IFNAMSIZ, false);
	/* A known connection first: nearly every packet, and the cheapest test, ends here. */
	put_known_return(bd, "forward");
	RULE(bd, "forward", ex_meta(NFT_META_IIFNAME, NFT_REG_1), ex_vmap("ifaces", NFT_REG_1));
	put_known_return(bd, "input");
	RULE(bd, "input", ex_meta(NFT_META_IIFNAME, NFT_REG_1), ex_vmap("ifaces_in", NFT_REG_1));
out:
	free(fwd);
	free(in);
}

static void hex16(uint64_t h, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (int i = POLICY_FP_LEN - 1; i >= 0; --i, h >>= 4)
		out[i] = digits[h & 15];
	out[POLICY_FP_LEN] = '\0';
}

static void fp_message(const struct nlmsghdr *nlh, void *ctx)
{
	const uint8_t *p = (const uint8_t *)nlh + sizeof(*nlh);
	uint64_t *h = ctx;

	if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END)
		return;
	for (size_t i = 0; i < 2; ++i)
		*h = (*h ^ ((const uint8_t *)&nlh->nlmsg_type)[i]) * 1099511628211ull;
	for (size_t i = 0; i < nlh->nlmsg_len - sizeof(*nlh); ++i)
		*h = (*h ^ p[i]) * 1099511628211ull;
}

int policy_nft_fingerprint(const struct policy_compiled *c, char fp[POLICY_FP_LEN + 1])
{
	struct nft_batch tmp;
	struct builder bd = { .b = &tmp, .set_id = FIRST_SET_ID };
	uint64_t h = 1469598103934665603ull;
	int ret;

	fp[0] = '\0';
	if (!c->n)
		return 0;
	/* Every message but the framing, built with the comment's fingerprint left out, one at a time. */
	if ((ret = nft_batch_init(&tmp, 1, false, 0)) < 0)
		return ret;
	nft_batch_drain(&tmp, fp_message, &h);
	build(&bd, c, POLICY_COMMENT);
	/* As it always was: the complete messages (the last one, still being built, is not). */
	for (const struct nlmsghdr *nlh = nft_batch_next(&tmp, NULL); nlh; nlh = nft_batch_next(&tmp, nlh))
		fp_message(nlh, &h);
	ret = bd.ret;
	nft_batch_free(&tmp);
	if (!ret)
		hex16(h, fp);
	return ret;
}

int policy_nft_build(struct nft_batch *b, const struct policy_compiled *c, char *fp)
{
	struct builder bd = { .b = b, .set_id = FIRST_SET_ID };
	char comment[sizeof(POLICY_COMMENT) + POLICY_FP_LEN], sum[POLICY_FP_LEN + 1];
	int ret;

	if (fp)
		fp[0] = '\0';
	if (!c->n)
		return 0;
	if ((ret = policy_nft_fingerprint(c, sum)) < 0)
		return ret;
	snprintf(comment, sizeof(comment), "%s%s", POLICY_COMMENT, sum);
	build(&bd, c, comment);
	if (!bd.ret && fp)
		memcpy(fp, sum, sizeof(sum));
	return bd.ret;
}

int policy_nft_build_preview(struct nft_batch *b, const struct policy_compiled *c, struct firewall_map_size **sizes,
			     size_t *n_sizes)
{
	struct builder bd = { .b = b, .set_id = FIRST_SET_ID, .no_elements = true, .cap_sizes = 0 };
	char comment[sizeof(POLICY_COMMENT) + POLICY_FP_LEN], sum[POLICY_FP_LEN + 1];
	int ret;

	*sizes = NULL;
	*n_sizes = 0;
	if (!c->n)
		return 0;
	if ((ret = policy_nft_fingerprint(c, sum)) < 0)
		return ret;
	snprintf(comment, sizeof(comment), "%s%s", POLICY_COMMENT, sum);
	/* Sizes recorded from the first map on: a non-NULL array marks the wish. */
	bd.sizes = malloc(32 * sizeof(*bd.sizes));
	if (!bd.sizes)
		return -ENOMEM;
	bd.cap_sizes = 32;
	build(&bd, c, comment);
	if (bd.ret) {
		free(bd.sizes);
		return bd.ret;
	}
	*sizes = bd.sizes;
	*n_sizes = bd.n_sizes;
	return 0;
}

int policy_nft_build_remove(struct nft_batch *b)
{
	struct builder bd = { .b = b };

	put_table(&bd, NFT_MSG_DELTABLE, NULL);
	return bd.ret;
}

bool policy_nft_comment_fingerprint(const char *comment, char out[POLICY_FP_LEN + 1])
{
	size_t n = strlen(POLICY_COMMENT);

	if (!comment || strncmp(comment, POLICY_COMMENT, n) || strlen(comment + n) != POLICY_FP_LEN ||
	    strspn(comment + n, "0123456789abcdef") != POLICY_FP_LEN)
		return false;
	memcpy(out, comment + n, POLICY_FP_LEN + 1);
	return true;
}

unsigned int policy_nft_chain_line(const char *chain)
{
	unsigned long v;
	char *end;

	if (strncmp(chain, "line", 4) || chain[4] < '1' || chain[4] > '9')
		return 0;
	v = strtoul(chain + 4, &end, 10);
	return *end || v > 0xffffffu ? 0 : (unsigned int)v;
}

int policy_nft_default_index(const char *chain)
{
	unsigned long v;
	char *end;

	if (chain[0] != 'i' || chain[1] < '0' || chain[1] > '9')
		return -1;
	v = strtoul(chain + 1, &end, 10);
	return strcmp(end, "_default") || v > 4096 ? -1 : (int)v;
}

/* --- reading back --- */

int policy_nft_request(void *buf, unsigned int i, struct nlmsghdr **out)
{
	switch (i) {
	case 0: {
		struct nftnl_table *t = nftnl_table_alloc();

		if (!t)
			return -ENOMEM;
		nftnl_table_set_str(t, NFTNL_TABLE_NAME, POLICY_TABLE);
		*out = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 0);
		nftnl_table_nlmsg_build_payload(*out, t);
		nftnl_table_free(t);
		return 1;
	}
	case 1: {
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r)
			return -ENOMEM;
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, POLICY_TABLE);
		*out = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 0);
		nftnl_rule_nlmsg_build_payload(*out, r);
		nftnl_rule_free(r);
		return 1;
	}
	case 2:
	case 3: {
		struct nftnl_set *s = nftnl_set_alloc();

		if (!s)
			return -ENOMEM;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, POLICY_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, i == 2 ? "denied4" : "denied6");
		*out = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 0);
		nftnl_set_elems_nlmsg_build_payload(*out, s);
		nftnl_set_free(s);
		return 1;
	}
	default:
		return 0;
	}
}

static int table_udata_cb(const struct nftnl_udata *attr, void *data)
{
	if (nftnl_udata_type(attr) == NFTNL_UDATA_TABLE_COMMENT)
		*(const struct nftnl_udata **)data = attr;
	return 0;
}

static int parse_table(const struct nlmsghdr *nlh, struct policy_reading *r)
{
	struct nftnl_table *t = nftnl_table_alloc();
	const struct nftnl_udata *cattr = NULL;
	const void *ud;
	uint32_t len;

	if (!t)
		return -ENOMEM;
	if (nftnl_table_nlmsg_parse(nlh, t) < 0) {
		nftnl_table_free(t);
		return -EBADMSG;
	}
	/* A dump of tables holds every table of the family. */
	if (nftnl_table_get_u32(t, NFTNL_TABLE_FAMILY) != NFPROTO_INET ||
	    !nftnl_table_get_str(t, NFTNL_TABLE_NAME) || strcmp(nftnl_table_get_str(t, NFTNL_TABLE_NAME), POLICY_TABLE)) {
		nftnl_table_free(t);
		return 0;
	}
	r->present = true;
	ud = nftnl_table_get_data(t, NFTNL_TABLE_USERDATA, &len);
	if (ud && nftnl_udata_parse(ud, len, table_udata_cb, &cattr) >= 0 && cattr) {
		char comment[128];
		size_t n = nftnl_udata_len(cattr);

		if (n >= sizeof(comment))
			n = sizeof(comment) - 1;
		memcpy(comment, nftnl_udata_get(cattr), n);
		comment[n] = '\0';
		if (!policy_nft_comment_fingerprint(comment, r->fp))
			r->fp[0] = '\0';
	}
	nftnl_table_free(t);
	return 0;
}

static int parse_rule(const struct nlmsghdr *nlh, struct policy_reading *r)
{
	struct nftnl_rule *rule = nftnl_rule_alloc();
	struct nftnl_expr_iter *it;
	struct nftnl_expr *e;
	const char *chain;
	int ret = 0;

	if (!rule)
		return -ENOMEM;
	if (nftnl_rule_nlmsg_parse(nlh, rule) < 0) {
		ret = -EBADMSG;
		goto out;
	}
	chain = nftnl_rule_get_str(rule, NFTNL_RULE_CHAIN);
	if (!chain || (!policy_nft_chain_line(chain) && policy_nft_default_index(chain) < 0) ||
	    strlen(chain) >= sizeof(r->hits->chain))
		goto out;
	if (!(it = nftnl_expr_iter_create(rule))) {
		ret = -ENOMEM;
		goto out;
	}
	while ((e = nftnl_expr_iter_next(it))) {
		const char *name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
		struct policy_hits *h;

		if (!name || strcmp(name, "counter"))
			continue;
		if (r->n_hits == r->cap_hits) {
			size_t cap = r->cap_hits ? r->cap_hits * 2 : 32;
			struct policy_hits *v = realloc(r->hits, cap * sizeof(*v));

			if (!v) {
				ret = -ENOMEM;
				break;
			}
			r->hits = v;
			r->cap_hits = cap;
		}
		h = &r->hits[r->n_hits++];
		memset(h, 0, sizeof(*h));
		strcpy(h->chain, chain);
		h->line = policy_nft_chain_line(chain);
		h->packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		h->bytes = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
		break;
	}
	nftnl_expr_iter_destroy(it);
out:
	nftnl_rule_free(rule);
	return ret;
}

struct elem_ctx {
	struct policy_reading *r;
	uint8_t family;
	int ret;
};

static int denied_one(struct nftnl_set_elem *e, void *data)
{
	struct elem_ctx *c = data;
	struct policy_reading *r = c->r;
	size_t alen = c->family == AF_INET ? 4 : 16;
	const struct nftnl_expr *ex;
	struct policy_denied *d;
	const uint8_t *key;
	uint32_t len = 0;

	key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len);
	if (!key || len != 2 * alen)
		return 0;
	if (r->n_denied == r->cap_denied) {
		size_t cap = r->cap_denied ? r->cap_denied * 2 : 64;
		struct policy_denied *v = realloc(r->denied, cap * sizeof(*v));

		if (!v) {
			c->ret = -ENOMEM;
			return -1;
		}
		r->denied = v;
		r->cap_denied = cap;
	}
	d = &r->denied[r->n_denied++];
	memset(d, 0, sizeof(*d));
	d->family = c->family;
	memcpy(d->saddr, key, alen);
	memcpy(d->daddr, key + alen, alen);
	ex = nftnl_set_elem_get(e, NFTNL_SET_ELEM_EXPR, NULL);
	if (ex) {
		d->packets = nftnl_expr_get_u64(ex, NFTNL_EXPR_CTR_PACKETS);
		d->bytes = nftnl_expr_get_u64(ex, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static int parse_elems(const struct nlmsghdr *nlh, struct policy_reading *r)
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
	if (!table || !name || strcmp(table, POLICY_TABLE))
		goto out;
	if (!strcmp(name, "denied4"))
		c.family = AF_INET;
	else if (!strcmp(name, "denied6"))
		c.family = AF_INET6;
	else
		goto out;
	nftnl_set_elem_foreach(s, denied_one, &c);
	ret = c.ret;
out:
	nftnl_set_free(s);
	return ret;
}

int policy_nft_parse(const struct nlmsghdr *nlh, struct policy_reading *r)
{
	switch (nlh->nlmsg_type & 0xff) {
	case NFT_MSG_NEWTABLE:
		return parse_table(nlh, r);
	case NFT_MSG_NEWRULE:
		return parse_rule(nlh, r);
	case NFT_MSG_NEWSETELEM:
		return parse_elems(nlh, r);
	default:
		return 0;
	}
}

void policy_reading_free(struct policy_reading *r)
{
	free(r->denied);
	free(r->hits);
	memset(r, 0, sizeof(*r));
}
