// SPDX-License-Identifier: GPL-2.0-or-later
/* The firewall changes of a plan as nf_tables messages, forward or undone, and the handles echoed back. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "counters.h"
#include "firewall.h"
#include "nft_batch.h"
#include "policy_nft.h"

static int build_accept_rule(struct nft_batch *b, const struct firewall_change *c, uint16_t flags)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	char name[IFNAMSIZ] = { 0 }, label[512];
	struct nlmsghdr *nlh;
	struct nftnl_expr *e;
	int ret = -ENOMEM;

	if (!r)
		return -ENOMEM;
	memcpy(name, c->iface, strnlen(c->iface, IFNAMSIZ - 1));
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, c->table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, c->chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, c->family);
	/*
	 * iptables-nft writes -i/-o as the name and its NUL (no wildcard), and a counter in every
	 * rule: only a rule it would have written itself lets `iptables -S` list it, and lets
	 * iptables-nft go on changing the chain.
	 */
	for (int i = 0; i < 2; ++i) {
		if (!(e = nftnl_expr_alloc("meta")))
			goto out;
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, i ? NFT_META_OIFNAME : NFT_META_IIFNAME);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
		nftnl_rule_add_expr(r, e);
		if (!(e = nftnl_expr_alloc("cmp")))
			goto out;
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, name, c->xtables ? (uint32_t)strlen(name) + 1 : IFNAMSIZ);
		nftnl_rule_add_expr(r, e);
	}
	if (c->xtables) {
		if (!(e = nftnl_expr_alloc("counter")))
			goto out;
		nftnl_rule_add_expr(r, e);
	}
	if (!(e = nftnl_expr_alloc("immediate")))
		goto out;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
	nftnl_rule_add_expr(r, e);
	nlh = nft_batch_add(b, NFT_MSG_NEWRULE, c->family, flags, firewall_change_describe(label, sizeof(label), c));
	if (!nlh)
		goto out;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	ret = 0;
out:
	nftnl_rule_free(r);
	return ret;
}

static int build_delete_rule(struct nft_batch *b, uint8_t family, const char *table, const char *chain,
			     uint64_t handle)
{
	struct nftnl_rule *r = nftnl_rule_alloc();
	struct nlmsghdr *nlh;
	char label[600];
	int ret = 0;

	if (!r)
		return -ENOMEM;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	snprintf(label, sizeof(label), "delete rule %s %s %s handle %llu", firewall_family_name(family), table,
		 chain, (unsigned long long)handle);
	nlh = nft_batch_add(b, NFT_MSG_DELRULE, family, 0, label);
	if (!nlh)
		ret = -ENOMEM;
	else
		nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	return ret;
}

/* The changes of a plan into a batch: forward, or undone. */
int firewall_build_changes(struct nft_batch *b, const struct firewall_plan *plan, const struct wg_snapshot *snap,
			   bool undo, bool echo)
{
	struct counters_plan cp = { 0 };
	int ret = 0;

	for (size_t i = 0; i < plan->n && !ret; ++i) {
		const struct firewall_change *c = &plan->v[undo ? plan->n - 1 - i : i];
		enum firewall_kind k = c->kind;

		/*
		 * A replaced counting table is taken out and put back as it was by
		 * firewall_undo_script, in one transaction of its own.
		 */
		if (undo && (k == FIREWALL_INSTALL_COUNTING || k == FIREWALL_REMOVE_COUNTING) && plan->counting_before)
			continue;
		if (undo && k == FIREWALL_INSTALL_COUNTING)
			k = FIREWALL_REMOVE_COUNTING;
		else if (undo && k == FIREWALL_REMOVE_COUNTING)
			k = FIREWALL_INSTALL_COUNTING;
		switch (k) {
		case FIREWALL_INSTALL_COUNTING:
			if (!(ret = counters_plan_build(&cp, snap)))
				ret = counters_build_install(b, &cp);
			counters_plan_free(&cp);
			break;
		case FIREWALL_REMOVE_COUNTING:
			ret = counters_build_remove(b);
			break;
		case FIREWALL_ACCEPT_STAR:
			if (!undo)
				ret = build_accept_rule(b, c, NLM_F_CREATE | NLM_F_APPEND | (echo ? NLM_F_ECHO : 0));
			else if (c->handle)
				ret = build_delete_rule(b, c->family, c->table, c->chain, c->handle);
			break;
		case FIREWALL_POLICY_INSTALL:
		case FIREWALL_POLICY_REPLACE:
			/* Undone by the script of firewall_policy_undo_script, but for an install. */
			if (undo) {
				if (k == FIREWALL_POLICY_INSTALL)
					ret = policy_nft_build_remove(b);
				break;
			}
			if (!plan->policy) {
				ret = -EINVAL;
				break;
			}
			if (k == FIREWALL_POLICY_REPLACE && (ret = policy_nft_build_remove(b)) < 0)
				break;
			if (plan->preview) {
				struct firewall_map_size *sizes;
				size_t n_sizes;

				ret = policy_nft_build_preview(b, plan->policy, &sizes, &n_sizes);
				free(sizes);
				break;
			}
			ret = policy_nft_build(b, plan->policy, NULL);
			break;
		case FIREWALL_POLICY_REMOVE:
			if (!undo)
				ret = policy_nft_build_remove(b);
			break;
		}
	}
	return ret;
}

int firewall_echo_handles(const struct nlmsghdr *nlh, void *data)
{
	struct firewall_plan *plan = data;
	struct nftnl_rule *r;
	const char *table, *chain;

	if ((nlh->nlmsg_type & 0xff) != NFT_MSG_NEWRULE || !(r = nftnl_rule_alloc()))
		return 0;
	if (nftnl_rule_nlmsg_parse(nlh, r) < 0)
		goto out;
	table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
	chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
	for (size_t i = 0; table && chain && i < plan->n; ++i) {
		struct firewall_change *c = &plan->v[i];

		if (c->kind == FIREWALL_ACCEPT_STAR && !c->handle && c->family == nftnl_rule_get_u32(r, NFTNL_RULE_FAMILY) &&
		    !strcmp(c->table, table) && !strcmp(c->chain, chain)) {
			c->handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
			break;
		}
	}
out:
	nftnl_rule_free(r);
	return 0;
}
