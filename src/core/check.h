/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Why can't peer A reach peer B through the hub: every cause found, one line each, with its fix. */
#ifndef WGSTAR_CHECK_H
#define WGSTAR_CHECK_H

#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define CHECK_MAX_DEVICES 8

struct policy_set;

struct check_input {
	const struct wg_snapshot *snap;
	struct fwd_state fwd;
	const char *ruleset;		/* `nft list ruleset`; NULL when it could not be read */
	int64_t now;			/* unix seconds */
	int rp_filter[CHECK_MAX_DEVICES];	/* effective IPv4 rp_filter per device; -1 unknown */
	/* The interface index the route to addr leaves through, or -errno (-ENETUNREACH). */
	int (*route_oif)(void *ctx, uint8_t family, const void *addr);
	void *route_ctx;
	const char *peer_a;		/* name, public key (or its start), or address; NULL for all */
	const char *peer_b;
	const struct policy_set *policy;	/* the hub policy, or NULL */
};

/* What a fix is, for a caller that can make it rather than print it. */
enum check_fix {
	CHECK_FIX_NONE = 0,		/* none, or a command for people to run (fix) */
	CHECK_FIX_FORWARD_IPV4,		/* switch IPv4 forwarding on */
	CHECK_FIX_FORWARD_IPV6,		/* switch IPv6 forwarding on */
	CHECK_FIX_FIREWALL,		/* the accept firewall_propose() proposes for the star (check --fix) */
};

struct check_finding {
	char text[512];
	char fix[1400];			/* empty when there is none */
	enum check_fix kind;
	bool info;			/* says what is, no cause: the policy's verdict that lets it through */
};

struct check_result {
	struct check_finding *v;
	size_t n;
	char unknown[128];		/* a peer argument that names no peer */
};

/* 0 with the findings in out (free with check_result_free), or -ENOMEM; -ENOENT: see out->unknown. */
int check_run(const struct check_input *in, struct check_result *out);
void check_result_free(struct check_result *r);
/* The findings that are causes (not the policy's verdicts that let traffic through). */
size_t check_causes(const struct check_result *r);

#endif
