/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hub policy compiled for one snapshot: what wgstar's policy table holds, as data, before
 * it becomes nf_tables messages. No I/O.
 *
 * Every address of the interface falls in one class: the set of rule sides that name it (its
 * owner, the peer WireGuard routes it to, by its groups, its name or key; prefixes by the
 * address). Class 0 names nothing (addresses no peer holds and no prefix covers). A new
 * connection goes by its source address to its class, there by its destination address to
 * what the pair of classes gets, which is a rule, the Default, or a decision that looks at
 * the protocol and port first. Each lookup is one map, hashed for single addresses: the cost
 * of a packet grows with neither the peers nor the rules.
 *
 * policy_compiled_eval walks these maps the way the kernel walks the table, so that tests can
 * hold the compiled policy against policy_verdict for any point.
 */
#ifndef WGSTAR_POLICY_COMPILE_H
#define WGSTAR_POLICY_COMPILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"
#include "policy.h"

/* More elements than this in one interface's maps: a policy too fine-grained to compile. */
#define POLICY_MAX_ELEMENTS (2u << 20)

enum policy_target_kind {
	POLICY_T_RETURN,		/* not judged: the host's firewall decides (traffic to the hub) */
	POLICY_T_DEFAULT,		/* the interface's Default */
	POLICY_T_RULE,			/* a rule: index into the section's rules */
	POLICY_T_DECISION,		/* by protocol and port: index into decisions */
	POLICY_T_CLASS,			/* a source class's destination maps: index into classes */
};

struct policy_target {
	uint8_t kind;			/* enum policy_target_kind */
	uint32_t index;
};

/* Addresses start..end (inclusive, network byte order) of one family, and where they go. */
struct policy_span {
	uint8_t family;
	uint8_t start[16];
	uint8_t end[16];
	struct policy_target to;
};

/* Addresses start..end of one family that fall in one class. */
struct policy_stretch {
	uint8_t start[16];
	uint8_t end[16];
	uint32_t cls;
};

/* Where an address of class cls goes. */
struct policy_hop {
	uint32_t cls;
	struct policy_target to;
};

/*
 * A map by address, as the classes of the interface's stretches say: the classes that do not
 * go to fallback, by class. Its elements (policy_map_spans) are the stretches of those classes,
 * neighbours that go to one place joined; kept so, a map costs a hop for each class, not an
 * element for each stretch (200 rules over 10,000 dual-stack peers: 146,000 elements).
 */
struct policy_map {
	struct policy_hop *hops;
	size_t n_hops;
	size_t n_spans;			/* its elements */
	struct policy_target fallback;
};

/* Ports lo..hi of tcp or udp, and where they go. */
struct policy_ports {
	uint8_t proto;
	uint16_t lo, hi;
	struct policy_target to;
};

/* What a pair of classes gets when it depends on the service. */
struct policy_decision {
	struct policy_ports *ports;	/* tcp, then udp, by port; only those not going to other */
	size_t n_ports;
	struct policy_target icmp;	/* echo requests, ICMPv4 and ICMPv6 */
	struct policy_target other;
};

struct policy_cface {
	char name[IFNAMSIZ];
	const struct policy_iface *pi;	/* the section it comes from: its rules and default */
	struct policy_stretch *stretches[2];	/* by family (IPv4, IPv6), in order; class 0 left out */
	size_t n_stretches[2];
	struct policy_map from;		/* source address -> class or target, for peer-to-peer traffic */
	bool hub;			/* some rule names the hub: traffic to it is judged */
	struct policy_map in;		/* source address -> target, for traffic to the hub */
	struct policy_map *classes;	/* a source class's destinations, for the ones some source goes to */
	size_t n_classes;
	struct policy_decision *decisions;
	size_t n_decisions;
	size_t n_atoms;			/* distinct stretches of addresses, for figures */
	size_t n_signatures;		/* distinct classes of addresses */
};

struct policy_compiled {
	struct policy_cface *v;
	size_t n;
};

/*
 * Compiles every resolved section whose interface the snapshot has. p must stay alive while c
 * is used. 0, -ENOMEM, or -E2BIG (with err) when an interface's maps would hold more than
 * POLICY_MAX_ELEMENTS elements.
 */
int policy_compile(struct policy_compiled *c, const struct policy *p, const struct wg_snapshot *snap,
		   struct policy_error *err);
void policy_compiled_free(struct policy_compiled *c);
/* Frees the maps, keeping each interface's name and section: for a reader of the table's counters. */
void policy_compiled_strip(struct policy_compiled *c);

/* The elements of one of cf's maps, into *out (n of them, m->n_spans); 0, -ENOMEM, -EINVAL (not cf's map). */
int policy_map_spans(const struct policy_cface *cf, const struct policy_map *m, struct policy_span **out, size_t *n);

/* Where address addr goes by map m of cf. */
typedef struct policy_target (*policy_lookup_fn)(const void *ctx, const struct policy_cface *cf,
						const struct policy_map *m, const struct wg_allowedip *addr);
/*
 * A new connection to dst walked from target t (where its source went) to its verdict, the class
 * maps asked through lookup: the compiled maps, or a test's copy of their elements.
 */
enum policy_verdict policy_walk(const struct policy_cface *cf, struct policy_target t, policy_lookup_fn lookup,
				const void *ctx, const struct policy_point *dst, uint8_t proto, uint16_t port,
				unsigned int *line);

/* What the compiled maps give a new connection, walked as the kernel walks them. */
enum policy_verdict policy_compiled_eval(const struct policy_cface *cf, const struct policy_point *src,
					 const struct policy_point *dst, uint8_t proto, uint16_t port,
					 unsigned int *line);

/* A policy file made ready: parsed, resolved against a snapshot, its tests run, compiled. */
struct policy_set {
	bool present;			/* there is a policy (a file was read) */
	struct policy p;
	struct policy_compiled c;
	char fp[20];			/* of its table (policy_nft_fingerprint); "" when not compiled */
};

enum policy_prepare_flags {
	POLICY_PREPARE_IGNORE_MISSING = 1,	/* sections of interfaces not here are left out (the console) */
	POLICY_PREPARE_NO_COMPILE = 2,		/* checked only */
};

/*
 * Parses, resolves, runs every section's tests and compiles. 0, or -EINVAL (-E2BIG) with err
 * naming the line; -ENOMEM. On failure ps holds nothing.
 */
int policy_prepare(struct policy_set *ps, const char *text, size_t len, const struct wg_snapshot *snap,
		   unsigned int flags, struct policy_error *err);
void policy_set_free(struct policy_set *ps);

/*
 * Whether the policy would refuse a new ssh connection like the operator's own: from client
 * (an address, as a /32 or /128) to the hub's TCP port. One translated "warning: ...\n" line
 * into buf when it would; returns 1 then, else 0.
 */
int policy_lockout_warning(const struct policy_set *ps, const struct wg_snapshot *snap,
			   const struct wg_allowedip *client, unsigned int port, char *buf, size_t len);

/* A rule as one line of text, "Allow = laptops -> servers tcp/22 icmp", into buf. */
const char *policy_rule_format(const struct policy_rule *r, char *buf, size_t len);

#endif
