// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy: parsing, resolving against peers, first-match verdicts, the Test lines. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "key.h"
#include "policy.h"
#include "policy_report.h"
#include "prefix.h"

static const struct {
	const char *name;
	const char *v4, *v6;
} people[] = {
	{ "alice", "10.172.16.2/32", "fd00::2/128" }, { "bob", "10.172.16.3/32", "fd00::3/128" },
	{ "carol", "10.172.16.4/32", "fd00::4/128" }, { "nas", "10.172.16.40/32", "fd00::40/128" },
	{ "guest1", "10.172.16.50/32", NULL },        { "site", "10.172.16.64/26", NULL },
};

static struct wg_snapshot *snap;

static int setup(void **state)
{
	struct wg_device *dev = wg_device_new("wg0");

	snap = wg_snapshot_new();
	for (size_t i = 0; i < sizeof(people) / sizeof(people[0]); ++i) {
		uint8_t key[WG_KEY_LEN] = { (uint8_t)(i + 1) };
		struct wg_peer *p = wg_device_get_peer(dev, key, NULL);
		struct wg_allowedip a;

		wg_peer_set_name(p, people[i].name);
		prefix_parse(&a, people[i].v4);
		wg_peer_add_allowedip(p, &a);
		if (people[i].v6) {
			prefix_parse(&a, people[i].v6);
			wg_peer_add_allowedip(p, &a);
		}
	}
	wg_snapshot_add_device(snap, dev);
	return 0;
}

static int teardown(void **state)
{
	wg_snapshot_free(snap);
	return 0;
}

static const char example[] =
	"[wg0]\n"
	"# what peer-to-peer traffic through wg0 gets when no rule matches\n"
	"Default = deny\n"
	"Group = laptops: alice, bob\n"
	"Group = servers: nas, 10.172.16.40/32\n"
	"Group = guests: guest1\n"
	"Allow = laptops -> servers tcp/22 tcp/443 icmp\n"
	"Allow = alice <-> bob   # both ways\n"
	"Deny = guests -> hub tcp/22\n"
	"Allow = * -> hub udp/53\n"
	"Allow = carol -> 10.172.16.64/26 tcp/8000-8100\n"
	"Test = alice -> nas tcp/22 allow\n"
	"Test = nas -> alice tcp/22 deny\n"
	"Test = guest1 -> hub tcp/22 deny\n";

static struct policy_point at(const char *addr)
{
	struct policy_point p = { 0 };

	if (!strcmp(addr, "hub"))
		p.hub = true;
	else
		assert_int_equal(prefix_parse(&p.addr, addr), 0);
	return p;
}

static enum policy_verdict judge(const struct policy_iface *pi, const char *src, const char *dst, uint8_t proto,
				 uint16_t port, unsigned int *line)
{
	struct policy_point s = at(src), d = at(dst);

	return policy_verdict(pi, snap->devices[0], &s, &d, proto, port, line);
}

static void test_example(void **state)
{
	struct policy p;
	struct policy_error err;
	struct policy_iface *pi;
	unsigned int line;

	assert_int_equal(policy_parse(&p, example, strlen(example), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	pi = policy_find(&p, "wg0");
	assert_non_null(pi);
	assert_false(pi->default_allow);
	assert_int_equal(pi->n_groups, 3);
	assert_int_equal(pi->n_rules, 5);
	assert_int_equal(pi->n_tests, 3);
	/* laptops -> servers, services only, both families */
	assert_int_equal(judge(pi, "10.172.16.2", "10.172.16.40", POLICY_TCP, 22, &line), POLICY_ALLOWED);
	assert_int_equal(line, 7);
	assert_int_equal(judge(pi, "fd00::3", "fd00::40", POLICY_TCP, 443, &line), POLICY_ALLOWED);
	assert_int_equal(judge(pi, "10.172.16.3", "10.172.16.40", POLICY_ICMP, 0, &line), POLICY_ALLOWED);
	assert_int_equal(judge(pi, "10.172.16.2", "10.172.16.40", POLICY_TCP, 80, &line), POLICY_DENIED);
	assert_int_equal(line, 3);
	assert_int_equal(judge(pi, "10.172.16.2", "10.172.16.40", POLICY_UDP, 22, &line), POLICY_DENIED);
	/* the reverse is not allowed: A -> B judges new connections from A */
	assert_int_equal(judge(pi, "10.172.16.40", "10.172.16.2", POLICY_TCP, 22, &line), POLICY_DENIED);
	/* <-> both ways, every service */
	assert_int_equal(judge(pi, "10.172.16.2", "10.172.16.3", 47, 0, &line), POLICY_ALLOWED);
	assert_int_equal(line, 8);
	assert_int_equal(judge(pi, "fd00::3", "fd00::2", POLICY_UDP, 9, &line), POLICY_ALLOWED);
	/* hub: a deny rule, an allow rule, and what no rule names is the host's */
	assert_int_equal(judge(pi, "10.172.16.50", "hub", POLICY_TCP, 22, &line), POLICY_DENIED);
	assert_int_equal(line, 9);
	assert_int_equal(judge(pi, "10.172.16.50", "hub", POLICY_UDP, 53, &line), POLICY_ALLOWED);
	assert_int_equal(line, 10);
	assert_int_equal(judge(pi, "10.172.16.2", "hub", POLICY_TCP, 22, &line), POLICY_UNTOUCHED);
	assert_int_equal(line, 0);
	/* a prefix, a port range, an address inside a peer's subnet */
	assert_int_equal(judge(pi, "10.172.16.4", "10.172.16.70", POLICY_TCP, 8050, &line), POLICY_ALLOWED);
	assert_int_equal(judge(pi, "10.172.16.4", "10.172.16.70", POLICY_TCP, 8101, &line), POLICY_DENIED);
	/* the default for what no rule matches */
	assert_int_equal(judge(pi, "10.172.16.4", "10.172.16.2", POLICY_TCP, 22, &line), POLICY_DENIED);
	assert_int_equal(line, 3);
	assert_int_equal(policy_run_tests(pi, snap->devices[0], &err), 0);
	policy_free(&p);
}

static void test_default_allow_and_order(void **state)
{
	const char *text = "[wg0]\nDeny = guest1 -> *\nAllow = guest1 -> nas\n";
	struct policy p;
	struct policy_error err;
	unsigned int line;

	assert_int_equal(policy_parse(&p, text, strlen(text), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	/* first match wins: the later allow never decides */
	assert_int_equal(judge(&p.v[0], "10.172.16.50", "10.172.16.40", POLICY_TCP, 22, &line), POLICY_DENIED);
	assert_int_equal(line, 2);
	assert_int_equal(judge(&p.v[0], "10.172.16.2", "10.172.16.3", POLICY_TCP, 22, &line), POLICY_ALLOWED);
	assert_int_equal(line, 0);
	policy_free(&p);
}

static void expect_error(const char *text, unsigned int want_line, const char *want)
{
	struct policy p;
	struct policy_error err;
	int ret = policy_parse(&p, text, strlen(text), &err);

	if (!ret) {
		ret = policy_resolve(&p, snap, false, &err);
		policy_free(&p);
	}
	assert_int_equal(ret, -EINVAL);
	if (err.line != want_line || !strstr(err.msg, want))
		fail_msg("%s: line %u \"%s\", wanted line %u \"%s\"", text, err.line, err.msg, want_line, want);
}

static void test_errors(void **state)
{
	expect_error("Allow = * -> *\n", 1, "before any [interface]");
	expect_error("[wg0]\nDefault = maybe\n", 2, "allow or deny");
	expect_error("[wg0]\nDefault = deny\nDefault = allow\n", 3, "line 2 already");
	expect_error("[wg0]\nAllow = alice bob\n", 2, "A -> B");
	expect_error("[wg0]\nAllow = alice -> bob tcp/99999\n", 2, "no service");
	expect_error("[wg0]\nAllow = alice -> bob tcp/30-20\n", 2, "no service");
	expect_error("[wg0]\nAllow = alice -> bob http\n", 2, "no service");
	expect_error("[wg0]\nAllow = alice -> mallory\n", 2, "mallory is no group, peer");
	expect_error("[wg0]\nGroup = a: alice\nGroup = a: bob\n", 3, "line 2 already");
	expect_error("[wg0]\nGroup = hub: alice\n", 2, "not hub");
	expect_error("[wg0]\nGroup = a: alice\nGroup = b: a\n", 3, "do not nest");
	expect_error("[wg0]\nGroup = a: *\n", 2, "cannot be a member");
	expect_error("[wg0]\nAllow = hub -> alice\n", 2, "hub is no source");
	expect_error("[wg1]\nAllow = alice -> bob\n", 1, "no WireGuard interface");
	expect_error("[wg0]\n[wg0]\n", 2, "line 1 already");
	expect_error("[wg0]\nPermit = a -> b\n", 2, "unknown key Permit");
	expect_error("[wg0]\nTest = alice -> bob\n", 2, "allow or deny");
	expect_error("[wg0]\nTest = alice <-> bob allow\n", 2, "one direction");
	expect_error("[wg0]\nGroup = g: alice\nTest = g -> bob allow\n", 3, "one peer or address");
	expect_error("[wg0]\nAllow = alice -> BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=\n", 2, "no peer of wg0 has the public key");
	expect_error("[wg0]\njust words\n", 2, "neither a comment");
}

static void test_keys_quotes_prefixes(void **state)
{
	char text[512];
	struct policy p;
	struct policy_error err;
	unsigned int line;
	uint8_t key[WG_KEY_LEN] = { 2 };
	char b64[WG_KEY_B64_LEN];

	key_to_base64(b64, key);
	wg_peer_set_name(wg_device_find_peer(snap->devices[0], key), "Bob's phone");
	snprintf(text, sizeof(text),
		 "[wg0]\nDefault = deny\nGroup = team: \"Bob's phone\", fd00::2/128\n"
		 "Allow = team -> %s udp\nAllow = \"Bob's phone\" -> 10.172.16.4\n", b64);
	assert_int_equal(policy_parse(&p, text, strlen(text), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	assert_int_equal(p.v[0].groups[0].members[0].kind, POLICY_REF_PEER);
	assert_int_equal(p.v[0].groups[0].members[1].kind, POLICY_REF_PREFIX);
	assert_int_equal(p.v[0].rules[0].to.kind, POLICY_REF_PEER);
	/* the prefix member matches alice over IPv6 only */
	assert_int_equal(judge(&p.v[0], "fd00::2", "fd00::3", POLICY_UDP, 1, &line), POLICY_ALLOWED);
	assert_int_equal(judge(&p.v[0], "10.172.16.2", "10.172.16.3", POLICY_UDP, 1, &line), POLICY_DENIED);
	assert_int_equal(judge(&p.v[0], "10.172.16.3", "10.172.16.4", POLICY_TCP, 1, &line), POLICY_ALLOWED);
	assert_int_equal(line, 5);
	policy_free(&p);
	wg_peer_set_name(wg_device_find_peer(snap->devices[0], key), "bob");
}

/* Thousands of members: their texts outgrow a block of the pool and stay as written. */
static void test_many_members(void **state)
{
	enum { N = 3000 };
	size_t cap = 64 + N * 20 + 2 * POLICY_REF_MAX, o;
	char *text = malloc(cap), want[32], longest[POLICY_REF_MAX + 1];
	struct policy p;
	struct policy_error err;

	(void)state;
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "[wg0]\nGroup = many: ");
	for (int i = 0; i < N; ++i)
		o += (size_t)snprintf(text + o, cap - o, "%s10.%d.%d.1/32", i ? ", " : "", i / 250, i % 250);
	memset(longest, 'x', POLICY_REF_MAX - 1);
	longest[POLICY_REF_MAX - 1] = '\0';
	o += (size_t)snprintf(text + o, cap - o, ", \"%s\"\n", longest);
	assert_int_equal(policy_parse(&p, text, o, &err), 0);
	assert_int_equal(p.v[0].groups[0].n_members, N + 1);
	for (int i = 0; i < N; ++i) {
		snprintf(want, sizeof(want), "10.%d.%d.1/32", i / 250, i % 250);
		assert_string_equal(p.v[0].groups[0].members[i].text, want);
	}
	assert_string_equal(p.v[0].groups[0].members[N].text, longest);
	policy_free(&p);
	/* one byte longer is refused, as before */
	snprintf(text, cap, "[wg0]\nGroup = many: a, \"%sx\"\n", longest);
	assert_int_equal(policy_parse(&p, text, strlen(text), &err), -EINVAL);
	assert_int_equal(err.line, 2);
	free(text);
}

static void test_failing_test(void **state)
{
	const char *text = "[wg0]\nDefault = deny\nAllow = alice -> bob\nTest = bob -> alice icmp allow\n";
	struct policy p;
	struct policy_error err;

	assert_int_equal(policy_parse(&p, text, strlen(text), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	assert_int_equal(policy_run_tests(&p.v[0], snap->devices[0], &err), -EINVAL);
	assert_int_equal(err.line, 4);
	assert_non_null(strstr(err.msg, "expects allow"));
	policy_free(&p);
}

static void test_services(void **state)
{
	struct policy_service s;

	assert_true(policy_parse_service(&s, "tcp/22"));
	assert_true(s.proto == POLICY_TCP && s.lo == 22 && s.hi == 22);
	assert_true(policy_parse_service(&s, "UDP/53-55"));
	assert_true(s.proto == POLICY_UDP && s.lo == 53 && s.hi == 55);
	assert_true(policy_parse_service(&s, "tcp"));
	assert_true(s.lo == 0 && s.hi == 65535);
	assert_true(policy_parse_service(&s, "icmp"));
	assert_true(policy_service_match(&s, POLICY_ICMP, 0));
	assert_false(policy_service_match(&s, POLICY_TCP, 0));
	assert_false(policy_parse_service(&s, "tcp/"));
	assert_false(policy_parse_service(&s, "tcp/-1"));
	assert_false(policy_parse_service(&s, "tcp/1-"));
	assert_false(policy_parse_service(&s, "sctp/1"));
	assert_false(policy_parse_service(&s, "tcp/65536"));
}

static void test_points_and_groups(void **state)
{
	struct policy p;
	struct policy_error err;
	struct policy_point pt;
	char buf[128];

	assert_int_equal(policy_point_parse(&pt, snap->devices[0], "hub", AF_UNSPEC), 0);
	assert_true(pt.hub);
	assert_int_equal(policy_point_parse(&pt, snap->devices[0], "alice", AF_INET6), 0);
	assert_int_equal(pt.addr.family, AF_INET6);
	assert_int_equal(pt.addr.cidr, 128);
	assert_int_equal(policy_point_parse(&pt, snap->devices[0], "guest1", AF_INET6), -EAFNOSUPPORT);
	assert_int_equal(policy_point_parse(&pt, snap->devices[0], "mallory", AF_UNSPEC), -ENOENT);
	assert_int_equal(policy_point_parse(&pt, snap->devices[0], "10.172.16.9", AF_UNSPEC), 0);
	assert_int_equal(policy_parse(&p, example, strlen(example), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	policy_groups_of(&p.v[0], &snap->devices[0]->peers[0], buf, sizeof(buf));
	assert_string_equal(buf, "laptops");
	policy_groups_of(&p.v[0], &snap->devices[0]->peers[3], buf, sizeof(buf));
	assert_string_equal(buf, "servers");
	policy_groups_of(&p.v[0], &snap->devices[0]->peers[2], buf, sizeof(buf));
	assert_string_equal(buf, "");
	policy_free(&p);
}

static char *edit(const char *text, const char *old, const char *new_name, const char *join, int want)
{
	struct policy_error err;
	char *out = NULL;
	size_t n = 0;

	assert_int_equal(policy_edit_peer(text, strlen(text), "wg0", old, new_name, join, &out, &n, &err), want);
	if (!want)
		assert_int_equal(strlen(out), n);
	return out;
}

static void test_edits_keep_bytes(void **state)
{
	const char *text = "# top\n[wg0]\nDefault = deny\nGroup = laptops: alice,  bob # two\n"
			   "Group = servers:\t nas\nAllow = laptops -> servers tcp/22\n"
			   "Allow =  bob <-> nas  # note\nTest = bob -> nas tcp/22 allow\n[wg1]\nGroup = laptops: bob\n";
	char *out;

	/* renamed: every reference in wg0, nothing in wg1, spacing and comments kept */
	out = edit(text, "bob", "robert", NULL, 0);
	assert_string_equal(out, "# top\n[wg0]\nDefault = deny\nGroup = laptops: alice,  robert # two\n"
				 "Group = servers:\t nas\nAllow = laptops -> servers tcp/22\n"
				 "Allow =  robert <-> nas  # note\nTest = robert -> nas tcp/22 allow\n[wg1]\nGroup = laptops: bob\n");
	free(out);
	/* removed: out of its groups; the rules and tests naming it become comments */
	out = edit(text, "bob", NULL, NULL, 0);
	assert_string_equal(out, "# top\n[wg0]\nDefault = deny\nGroup = laptops: alice # two\n"
				 "Group = servers:\t nas\nAllow = laptops -> servers tcp/22\n"
				 "# (peer removed) Allow =  bob <-> nas  # note\n# (peer removed) Test = bob -> nas tcp/22 allow\n"
				 "[wg1]\nGroup = laptops: bob\n");
	free(out);
	/* the first member removed, and the only one */
	out = edit(text, "alice", NULL, NULL, 0);
	assert_non_null(strstr(out, "Group = laptops: bob # two\n"));
	free(out);
	out = edit(text, "nas", NULL, NULL, 0);
	assert_non_null(strstr(out, "Group = servers:\n"));
	free(out);
	/* a peer written twice in a group: both go, and no comma is left without a member */
	out = edit("[wg0]\nGroup = laptops: alice, alice, bob\nGroup = pcs: bob, alice, alice\n"
		   "Group = two: alice,alice # x\nGroup = mid: alice, bob, alice, carol\n", "alice", NULL, NULL, 0);
	assert_string_equal(out, "[wg0]\nGroup = laptops: bob\nGroup = pcs: bob\nGroup = two: # x\n"
				 "Group = mid: bob, carol\n");
	free(out);
	/* a new peer joins groups, after their last member, before a comment */
	out = edit(text, NULL, "carol", "laptops,servers", 0);
	assert_non_null(strstr(out, "Group = laptops: alice,  bob, carol # two\n"));
	assert_non_null(strstr(out, "Group = servers:\t nas, carol\n"));
	assert_non_null(strstr(out, "[wg1]\nGroup = laptops: bob\n"));
	free(out);
	/* and the result still parses */
	{
		struct policy p;
		struct policy_error err;

		out = edit(text, NULL, "carol", "servers", 0);
		assert_int_equal(policy_parse(&p, out, strlen(out), &err), 0);
		assert_int_equal(p.v[0].groups[1].n_members, 2);
		assert_string_equal(p.v[0].groups[1].members[1].text, "carol");
		policy_free(&p);
		free(out);
	}
	/* a group that is not there */
	edit(text, NULL, "carol", "printers", -EINVAL);
	edit(text, NULL, "carol", "bad name!", -EINVAL);
}

static const char *groups_of(const struct wg_device *dev, uint8_t k)
{
	uint8_t key[WG_KEY_LEN] = { k };
	const struct wg_peer *p = wg_device_find_peer(dev, key);

	assert_non_null(p);
	return p->groups;
}

static void deny(struct policy_reading *r, const char *from, const char *to, uint64_t packets)
{
	struct policy_denied *d = &r->denied[r->n_denied++];
	struct wg_allowedip a, b;

	assert_int_equal(prefix_parse(&a, from), 0);
	assert_int_equal(prefix_parse(&b, to), 0);
	memset(d, 0, sizeof(*d));
	d->family = (uint8_t)a.family;
	memcpy(d->saddr, a.family == AF_INET ? (const void *)&a.ip4 : a.ip6.s6_addr, a.family == AF_INET ? 4 : 16);
	memcpy(d->daddr, b.family == AF_INET ? (const void *)&b.ip4 : b.ip6.s6_addr, b.family == AF_INET ? 4 : 16);
	d->packets = packets;
	d->bytes = packets * 100;
}

/* The refused pairs, by the peers that own their addresses: as their own, inside a prefix, or none. */
static void test_report_refused(void **state)
{
	struct policy_denied denied[8];
	struct policy_reading r = { .present = true, .denied = denied };
	struct wg_device *dev = snap->devices[0];
	struct policy_owners owners;
	struct policy p;
	struct policy_error err;
	const struct wg_refused *v;

	(void)state;
	deny(&r, "10.172.16.2", "10.172.16.3", 2);	/* alice -> bob */
	deny(&r, "fd00::2", "fd00::3", 3);		/* alice -> bob, IPv6: the same pair */
	deny(&r, "10.172.16.2", "10.172.16.70", 4);	/* alice -> site's /26 */
	deny(&r, "10.172.16.3", "10.172.16.1", 5);	/* bob -> the hub (no peer has it) */
	deny(&r, "192.0.2.9", "10.172.16.2", 6);	/* from no peer: not shown */
	assert_int_equal(policy_parse(&p, example, strlen(example), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	policy_owners_init(&owners, snap);
	assert_int_equal(policy_device_report_memo(dev, &p.v[0], 0, &r, true, &owners, NULL), 0);
	assert_int_equal(dev->policy->n_refused, 3);
	v = dev->policy->refused;
	assert_int_equal(v[0].from, 0);
	assert_int_equal(v[0].to, 1);
	assert_int_equal(v[0].packets, 5);
	assert_int_equal(v[0].bytes, 500);
	assert_int_equal(v[1].from, 0);
	assert_int_equal(v[1].to, 5);
	assert_int_equal(v[2].from, 1);
	assert_int_equal(v[2].to, WG_REFUSED_HUB);
	/* The index holds the 7 refused addresses (each once), not the hub's 9 own ones. */
	assert_int_equal(owners.exact.n, 7);
	policy_owners_free(&owners);
	policy_free(&p);
}

/*
 * The peers' groups in a report, found the first time (a member by name and by prefix counts
 * once) and given from the memo by key to a later read of the peers in another order; the
 * groups' lines likewise.
 */
static void test_report_groups_memo(void **state)
{
	struct policy p;
	struct policy_error err;
	struct policy_memo memo = { 0 };
	struct policy_owners owners;
	struct wg_device *a = snap->devices[0], *b = wg_device_new("wg0");

	(void)state;
	assert_int_equal(policy_parse(&p, example, strlen(example), &err), 0);
	assert_int_equal(policy_resolve(&p, snap, false, &err), 0);
	policy_owners_init(&owners, snap);
	assert_int_equal(policy_device_report_memo(a, &p.v[0], 0, NULL, false, &owners, &memo), 0);
	assert_string_equal(groups_of(a, 1), "laptops");
	assert_string_equal(groups_of(a, 2), "laptops");
	assert_null(groups_of(a, 3));
	assert_string_equal(groups_of(a, 4), "servers");
	assert_string_equal(groups_of(a, 5), "guests");
	assert_int_equal(memo.n, 1);
	assert_int_equal(a->policy->groups->n, 3);
	assert_string_equal(a->policy->groups->v[0], "laptops: alice, bob");
	/* The same peers read again, backwards; the memo is what they get (alice's changed to show it). */
	for (uint32_t i = a->n_peers; i-- > 0;)
		assert_non_null(wg_device_get_peer(b, a->peers[i].public_key, NULL));
	/* Each different group once: alice and bob share "laptops". */
	assert_int_equal(memo.devs[0].strs->n, 3);
	assert_ptr_equal(memo.devs[0].v[0].groups, memo.devs[0].v[1].groups);
	{
		struct wg_strings *strs = memo.devs[0].strs;
		char **v = realloc(strs->v, (strs->n + 1) * sizeof(*v));

		assert_non_null(v);
		strs->v = v;
		assert_non_null(v[strs->n] = strdup("from the memo"));
		memo.devs[0].v[0].groups = v[strs->n++];
	}
	/* The groups' lines too: kept at the first report, given from the memo after. */
	assert_int_equal(memo.devs[0].lines->n, 3);
	assert_string_equal(memo.devs[0].lines->v[0], "laptops: alice, bob");
	/* shared with the report, not copied */
	assert_ptr_equal(memo.devs[0].lines, a->policy->groups);
	assert_int_equal(memo.devs[0].lines->refs, 2);
	free(memo.devs[0].lines->v[2]);
	memo.devs[0].lines->v[2] = strdup("line from the memo");
	assert_int_equal(policy_device_report_memo(b, &p.v[0], 0, NULL, false, &owners, &memo), 0);
	assert_string_equal(groups_of(b, 1), "from the memo");
	assert_string_equal(b->policy->groups->v[0], "laptops: alice, bob");
	assert_string_equal(b->policy->groups->v[2], "line from the memo");
	assert_string_equal(groups_of(b, 2), "laptops");
	assert_null(groups_of(b, 3));
	assert_string_equal(groups_of(b, 4), "servers");
	/* Pointing at the memo's strings, which the device holds. */
	assert_ptr_equal(groups_of(b, 2), memo.devs[0].v[1].groups);
	assert_ptr_equal(b->groups_hold, memo.devs[0].strs);
	/* A peer the memo does not know: found from the policy again. */
	{
		uint8_t key[WG_KEY_LEN] = { 77 };
		struct wg_allowedip ip;

		prefix_parse(&ip, "10.172.16.41/32");
		wg_peer_add_allowedip(wg_device_get_peer(b, key, NULL), &ip);
	}
	assert_int_equal(policy_device_report_memo(b, &p.v[0], 0, NULL, false, &owners, &memo), 0);
	assert_string_equal(groups_of(b, 1), "laptops");
	assert_null(groups_of(b, 77));
	/* A snapshot given the memo's groups outlives the memo (ASan tells). */
	{
		struct wg_device *c = wg_device_new("wg0");

		for (uint32_t i = 0; i < a->n_peers; ++i)
			assert_non_null(wg_device_get_peer(c, a->peers[i].public_key, NULL));
		assert_int_equal(policy_device_report_memo(c, &p.v[0], 0, NULL, false, &owners, &memo), 0);
		policy_memo_clear(&memo);
		assert_string_equal(groups_of(c, 4), "servers");
		assert_string_equal(c->policy->groups->v[0], "laptops: alice, bob");
		wg_device_free(c);
	}
	policy_owners_free(&owners);
	wg_device_free(b);
	policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_default_allow_and_order),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_keys_quotes_prefixes),
		cmocka_unit_test(test_many_members),
		cmocka_unit_test(test_failing_test),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_points_and_groups),
		cmocka_unit_test(test_edits_keep_bytes),
		cmocka_unit_test(test_report_groups_memo),
		cmocka_unit_test(test_report_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
