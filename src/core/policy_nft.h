/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The compiled hub policy as nf_tables messages: wgstar's policy table, next to the counting
 * table and apart from it, so that either changes without the other's counters starting over.
 *
 * table inet wgstar_policy
 *   forward, input    base chains ahead of the host's filter chains: a known connection
 *                     returns (nearly every packet, at the cost of one test); iifname vmap @ifaces
 *   iN, iN_in         per interface: what is not peer to peer returns; then
 *                     iifname . ip saddr vmap @iN_from4 (and from4net, from6, from6net)
 *   iN_cK             a source class: oifname . ip daddr vmap @iN_cK_to4 (...), then its fallback
 *   iN_dK             a decision: meta l4proto . th dport vmap @iN_dK_ports, icmp echo, the rest
 *   lineL, iN_default what a rule or the Default does: count and accept, or remember the pair
 *                     of addresses in @denied4/@denied6 (bounded, with counters) and drop
 *
 * No I/O.
 */
#ifndef WGSTAR_POLICY_NFT_H
#define WGSTAR_POLICY_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "firewall.h"
#include "policy_compile.h"

struct nft_batch;
struct nlmsghdr;

#define POLICY_TABLE "wgstar_policy"
/* Ahead of the host's filter chains (priority filter, 0), so that this table's drop is final. */
#define POLICY_PRIORITY (-5)
#define POLICY_DENIED_SIZE 4096
#define POLICY_DENIED_TIMEOUT_MS (120 * 1000)
/* What the table's comment starts with; the fingerprint of what it holds follows. */
#define POLICY_COMMENT "wgstar policy "
#define POLICY_FP_LEN 16

/*
 * Adds the table with everything in it; nothing when c compiles no interface. The table's
 * comment carries a fingerprint of the rest, into fp (POLICY_FP_LEN + 1 bytes, may be NULL),
 * so that an installed table is told current or stale by its comment alone.
 */
int policy_nft_build(struct nft_batch *b, const struct policy_compiled *c, char *fp);
/* That fingerprint alone ("" when c compiles no interface). */
int policy_nft_fingerprint(const struct policy_compiled *c, char fp[POLICY_FP_LEN + 1]);
int policy_nft_build_remove(struct nft_batch *b);

/*
 * The table without its maps' elements, for a preview that stays readable at ten thousand
 * peers; how many each map would hold into *sizes (malloc'd, *n_sizes of them).
 */
int policy_nft_build_preview(struct nft_batch *b, const struct policy_compiled *c, struct firewall_map_size **sizes,
			     size_t *n_sizes);

/* The fingerprint in a table comment, or false when it is none of ours. */
bool policy_nft_comment_fingerprint(const char *comment, char out[POLICY_FP_LEN + 1]);

/* --- counters read back --- */

struct policy_denied {
	uint8_t family;
	uint8_t saddr[16];
	uint8_t daddr[16];
	uint64_t packets, bytes;
};

/* A rule chain's counter: the policy line it stands for (0 for a Default), its interface. */
struct policy_hits {
	char chain[64];
	unsigned int line;
	uint64_t packets, bytes;
};

struct policy_reading {
	bool present;
	char fp[POLICY_FP_LEN + 1];	/* "" when the comment is none of ours */
	struct policy_denied *denied;
	size_t n_denied, cap_denied;
	struct policy_hits *hits;
	size_t n_hits, cap_hits;
};

/* The dump requests: the table, its rules, the elements of denied4 and denied6. */
#define POLICY_REQUEST_LEN 512
int policy_nft_request(void *buf, unsigned int i, struct nlmsghdr **out);
/* One message of those dumps, into the reading. */
int policy_nft_parse(const struct nlmsghdr *nlh, struct policy_reading *r);
void policy_reading_free(struct policy_reading *r);

/* The policy line a rule chain stands for ("line12" -> 12); 0 for the rest. */
unsigned int policy_nft_chain_line(const char *chain);
/* The interface index of a Default chain ("i2_default" -> 2), or -1. */
int policy_nft_default_index(const char *chain);

#endif
