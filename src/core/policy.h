/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hub policy: who may reach whom through the hub. One section per interface, in
 * wg-quick's syntax:
 *
 *   [wg0]
 *   Default = deny
 *   Group = laptops: alice, bob
 *   Allow = laptops -> servers tcp/22 tcp/443 icmp
 *   Allow = alice <-> bob
 *   Deny = guests -> hub tcp/22
 *   Test = alice -> nas tcp/22 allow
 *
 * Rules are read in order and the first one that matches decides; A -> B judges new
 * connections from A to B (their replies pass), A <-> B both ways. A side is a group, a peer
 * (name or public key), a prefix, * (every peer) or hub (the hub's own addresses on the
 * interface, as a destination). Services: tcp/N, tcp/N-M, udp/..., tcp or udp alone (every
 * port), icmp (ICMPv4 and ICMPv6 echo); none means all traffic. Default judges peer-to-peer
 * traffic no rule matches (allow when absent); traffic to the hub no rule matches is left to
 * the host's firewall. Parsing checks the syntax; resolving checks every name against the
 * interface's peers. No I/O.
 */
#ifndef WGSTAR_POLICY_H
#define WGSTAR_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

#define POLICY_PATH "/etc/wgstar/policy.conf"
#define POLICY_NAME_MAX 64
#define POLICY_MAX_LEN (16u << 20)

/* Why a policy is refused: the line, and one translated sentence. */
struct policy_error {
	unsigned int line;		/* 1-based; 0 when not about one line */
	char msg[256];
};

enum policy_proto {
	POLICY_ANY = 0,			/* every protocol (a rule without services) */
	POLICY_TCP = 6,
	POLICY_UDP = 17,
	POLICY_ICMP = 1,		/* echo requests, IPv4 and IPv6 alike */
};

struct policy_service {
	uint8_t proto;			/* enum policy_proto */
	uint16_t lo, hi;		/* ports, tcp and udp: 0..65535 for every one */
};

enum policy_ref_kind {
	POLICY_REF_ANY,			/* * */
	POLICY_REF_HUB,			/* the hub itself */
	POLICY_REF_GROUP,
	POLICY_REF_PEER,
	POLICY_REF_PREFIX,
};

/* One side of a rule, or a member of a group: as written, and once resolved. */
#define POLICY_REF_MAX (POLICY_NAME_MAX + 48)	/* the longest side or member, with its NUL */
struct policy_ref {
	const char *text;		/* unquoted; in the policy's text pool */
	enum policy_ref_kind kind;	/* known after resolving (ANY, HUB and PREFIX at once) */
	uint32_t group;			/* GROUP: its index */
	uint8_t key[WG_KEY_LEN];	/* PEER */
	struct wg_allowedip prefix;	/* PREFIX */
};

struct policy_group {
	char name[POLICY_NAME_MAX + 1];
	unsigned int line;
	struct policy_ref *members;
	size_t n_members;
};

struct policy_rule {
	unsigned int line;
	bool allow;
	bool both;			/* <-> */
	struct policy_ref from, to;
	struct policy_service *services;	/* none: all traffic */
	size_t n_services;
};

struct policy_test {
	unsigned int line;
	struct policy_ref from, to;
	bool has_service;
	struct policy_service service;	/* a single port */
	bool expect_allow;
};

struct policy_iface {
	char name[IFNAMSIZ];
	unsigned int line;
	bool default_allow;
	unsigned int default_line;	/* 0 when absent (allow) */
	struct policy_group *groups;
	size_t n_groups;
	struct policy_rule *rules;
	size_t n_rules;
	struct policy_test *tests;
	size_t n_tests;
	bool resolved;
};

/*
 * A big hub's policy names thousands of peers: their texts sit in blocks the policy owns
 * rather than in a fixed buffer each (a group of 10,000 peers was 1.8 MB).
 */
struct policy_text_block;

struct policy {
	struct policy_iface *v;
	size_t n;
	struct policy_text_block *texts;
};

/* 0, or -EINVAL with err filled (the first problem of the text), -ENOMEM, -EFBIG. */
int policy_parse(struct policy *p, const char *text, size_t len, struct policy_error *err);
void policy_free(struct policy *p);
struct policy_iface *policy_find(const struct policy *p, const char *iface);

/*
 * Checks every section against the snapshot: the interface exists, every peer named (by name
 * or key) is one of its peers, named once. 0 or -EINVAL with err. A section whose interface is
 * missing is an error unless ignore_missing (the console, a recorder).
 */
int policy_resolve(struct policy *p, const struct wg_snapshot *snap, bool ignore_missing, struct policy_error *err);

/* A point to judge: an address of the interface's subnet (or the hub), a protocol and a port. */
struct policy_point {
	bool hub;			/* the hub itself (a destination only) */
	struct wg_allowedip addr;	/* a host address (cidr 32 or 128) otherwise */
};

enum policy_verdict {
	POLICY_UNTOUCHED = 0,		/* no rule for traffic to the hub: the host's firewall decides */
	POLICY_ALLOWED,
	POLICY_DENIED,
};

/*
 * The verdict for a new connection from src to dst with proto (enum policy_proto, or any IP
 * protocol number) and port; *line is the rule that decided, or the Default's line (0 when
 * the default is implicit). Sides outside every peer's allowed IPs match only * and prefixes.
 */
enum policy_verdict policy_verdict(const struct policy_iface *pi, const struct wg_device *dev,
				   const struct policy_point *src, const struct policy_point *dst, uint8_t proto,
				   uint16_t port, unsigned int *line);

/* Parses "tcp/22", "udp/53-55", "icmp", "tcp"; false when it is none. */
bool policy_parse_service(struct policy_service *s, const char *text);
/* Whether a connection of proto (an IP protocol number, or POLICY_ICMP for echo) and port is of s. */
bool policy_service_match(const struct policy_service *s, uint8_t proto, uint16_t port);

/*
 * A point from what the operator typed: "hub", a peer's name or key (its first address of
 * family, AF_UNSPEC for either), or an address. 0, -ENOENT, -EEXIST for a name two peers carry.
 */
int policy_point_parse(struct policy_point *pt, const struct wg_device *dev, const char *text, int family);

/* The peer whose allowed IPs hold addr (the longest prefix), or NULL. */
const struct wg_peer *policy_owner(const struct wg_device *dev, const struct wg_allowedip *addr);

/*
 * Runs the section's Test lines: 0 when all pass, or -EINVAL with err naming the first that
 * fails (its line, what it expected and what the rules give). Needs a resolved section.
 */
int policy_run_tests(const struct policy_iface *pi, const struct wg_device *dev, struct policy_error *err);

/* The groups a peer is in (by key or by one of its addresses), as "a, b" into buf; "" for none. */
const char *policy_groups_of(const struct policy_iface *pi, const struct wg_peer *peer, char *buf, size_t len);

/*
 * The policy text with one peer's references edited, every other byte as it was, in the
 * section of iface: where old (a name or key, as the file writes it) is a group member, a rule
 * side or a test side, it becomes new_name; with new_name NULL, the peer leaves its groups and
 * the rules and tests naming it become comments. join ("a,b"; may be NULL) are groups the peer
 * (new_name, else old) joins. 0 with *out malloc'd, -EINVAL (err: a group that is not there),
 * -ENOMEM.
 */
int policy_edit_peer(const char *text, size_t len, const char *iface, const char *old, const char *new_name,
		     const char *join, char **out, size_t *out_len, struct policy_error *err);

#endif
