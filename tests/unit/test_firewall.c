// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the firewall preview: the unified diff, the ruleset text edits, the sysctl.d file. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include "firewall.h"
#include "fwd_conf.h"
#include "textdiff.h"

static const char ruleset[] =
	"table inet filter {\n"
	"\tchain input {\n"
	"\t\ttype filter hook input priority filter; policy drop;\n"
	"\t\ttcp dport 22 accept\n"
	"\t}\n"
	"\n"
	"\tchain forward {\n"
	"\t\ttype filter hook forward priority filter; policy drop;\n"
	"\t\tct state established accept\n"
	"\t}\n"
	"}\n"
	"table ip filter {\n"
	"\tchain FORWARD {\n"
	"\t\ttype filter hook forward priority filter; policy drop;\n"
	"\t\tiifname \"wg0\" oifname \"wg0\" accept\n"
	"\t}\n"
	"}\n"
	"table ip nat {\n"
	"\tchain post {\n"
	"\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
	"\t}\n"
	"}\n";

static char *diff(const char *a, const char *b, int *ret)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret = textdiff_unified(f, a, b, "a", "b", false);
	fclose(f);
	return buf;
}

static void test_diff(void **state)
{
	int ret;
	char *out;

	out = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n", "1\n2\n3\n4\n5\nfive\n6\n7\n8\n9\n10\n", &ret);
	assert_int_equal(ret, 1);
	assert_string_equal(out, "--- a\n+++ b\n@@ -3,6 +3,7 @@\n 3\n 4\n 5\n+five\n 6\n 7\n 8\n");
	free(out);

	out = diff("same\n", "same\n", &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(out, "");
	free(out);

	/* Removed at the end, and added to an empty text. */
	out = diff("a\nb\n", "a\n", &ret);
	assert_string_equal(out, "--- a\n+++ b\n@@ -1,2 +1 @@\n a\n-b\n");
	free(out);
	out = diff("", "x\n", &ret);
	assert_string_equal(out, "--- a\n+++ b\n@@ -0,0 +1 @@\n+x\n");
	free(out);

	/* Two changes far apart are two hunks. */
	out = diff("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "x\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ny\n", &ret);
	assert_string_equal(out, "--- a\n+++ b\n@@ -1,4 +1,4 @@\n-1\n+x\n 2\n 3\n 4\n"
				 "@@ -9,4 +9,4 @@\n 9\n 10\n 11\n-12\n+y\n");
	free(out);
}

static void test_diff_color(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_int_equal(textdiff_unified(f, "a\n", "b\n", "x", "y", true), 1);
	fclose(f);
	assert_non_null(strstr(buf, "\033[31m-a\033[0m\n"));
	assert_non_null(strstr(buf, "\033[32m+b\033[0m\n"));
	free(buf);
}

static void test_forward_chains(void **state)
{
	const char *ifaces[] = { "wg0", "wg1" };
	struct firewall_chain *v;
	size_t n;

	assert_int_equal(firewall_forward_chains(ruleset, ifaces, 2, &v, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[0].family, NFPROTO_INET);
	assert_string_equal(v[0].table, "filter");
	assert_string_equal(v[0].chain, "forward");
	assert_true(v[0].policy_drop);
	assert_false(v[0].xtables);
	assert_false(v[0].accepts_star[0]);
	assert_int_equal(v[1].family, NFPROTO_IPV4);
	assert_true(v[1].xtables);
	assert_true(v[1].accepts_star[0]);
	assert_false(v[1].accepts_star[1]);
	free(v);
}

static void test_text_edits(void **state)
{
	char *added = firewall_text_add_rule(ruleset, NFPROTO_INET, "filter", "forward",
					     "iifname \"wg0\" oifname \"wg0\" accept");
	char *removed;

	assert_non_null(added);
	assert_non_null(strstr(added, "\t\tct state established accept\n\t\tiifname \"wg0\" oifname \"wg0\" accept\n\t}\n}\n"
				      "table ip filter {\n"));
	assert_int_equal(strlen(added), strlen(ruleset) + strlen("\t\tiifname \"wg0\" oifname \"wg0\" accept\n"));
	assert_null(firewall_text_add_rule(ruleset, NFPROTO_INET, "filter", "nosuch", "accept"));

	removed = firewall_text_remove_table(added, NFPROTO_IPV4, "nat");
	assert_non_null(removed);
	assert_null(strstr(removed, "table ip nat"));
	assert_non_null(strstr(removed, "table ip filter"));
	assert_int_equal(removed[strlen(removed) - 1], '\n');
	free(added);
	free(removed);
}

static void test_port_shut(void **state)
{
	static const char shut[] = "table inet f {\n\tchain input {\n"
				   "\t\ttype filter hook input priority filter; policy drop;\n"
				   "\t\ttcp dport 2222 accept\n\t}\n}\n";
	static const char est[] = "table inet f {\n\tchain input {\n"
				  "\t\ttype filter hook input priority filter; policy drop;\n"
				  "\t\tct state established,related accept\n\t}\n}\n";

	assert_false(firewall_port_shut(ruleset, "tcp", 22));
	assert_true(firewall_port_shut(ruleset, "udp", 51820));
	assert_true(firewall_port_shut(shut, "tcp", 22));
	assert_false(firewall_port_shut(shut, "tcp", 2222));
	/* An established ssh connection survives; WireGuard's port needs its own rule. */
	assert_false(firewall_port_shut(est, "tcp", 22));
	assert_true(firewall_port_shut(est, "udp", 51820));
	assert_false(firewall_port_shut("", "tcp", 22));
}

static void test_sysctl_conf(void **state)
{
	const struct fwd_setting set[] = { { FWD_KEY_IPV4, 1 }, { FWD_KEY_IPV6, 1 } };
	char *out = fwd_conf_update("# mine\nnet/ipv4/ip_forward=0\n  -net.ipv4.ip_forward = 0\nkernel.x = 1", set, 2);

	assert_string_equal(out, "# mine\nnet.ipv4.ip_forward = 1\n-net.ipv4.ip_forward = 1\nkernel.x = 1\n"
				 "net.ipv6.conf.all.forwarding = 1\n");
	assert_int_equal(fwd_conf_value(out, FWD_KEY_IPV4), 1);
	assert_int_equal(fwd_conf_value(out, FWD_KEY_IPV6), 1);
	assert_int_equal(fwd_conf_value(out, "net.ipv4.ip_forward_x"), -1);
	free(out);
	/* A key that only starts like ours is not ours. */
	out = fwd_conf_update("net.ipv4.ip_forward_update_priority = 1\n", set, 1);
	assert_string_equal(out, "net.ipv4.ip_forward_update_priority = 1\nnet.ipv4.ip_forward = 1\n");
	free(out);
}

static void test_same_ruleset(void **state)
{
	static const char a[] =
		"table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t\tcounter packets 10 bytes 1000 accept\n\t}\n}\n"
		"table inet wgstar {\n\tset from4 {\n\t\ttype ifname . ipv4_addr\n\t\tcounter\n"
		"\t\telements = { \"wg0\" . 10.172.16.2 counter packets 3 bytes 300,\n"
		"\t\t\t     \"wg0\" . 10.172.16.3 counter packets 0 bytes 0 }\n\t}\n}\n";
	static const char b[] =
		"table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
		"\t\tcounter packets 99 bytes 9900 accept\n\t}\n}\n"
		"table inet wgstar {\n\tset from4 {\n\t\ttype ifname . ipv4_addr\n\t\tcounter\n"
		"\t\telements = { \"wg0\" . 10.172.16.4 counter packets 0 bytes 0 }\n\t}\n}\n";
	static const char c[] =
		"table inet filter {\n\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n"
		"\t\tcounter packets 99 bytes 9900 accept\n\t}\n}\n"
		"table inet wgstar {\n\tset from4 {\n\t\ttype ifname . ipv4_addr\n\t\tcounter\n"
		"\t\telements = { \"wg0\" . 10.172.16.4 counter packets 0 bytes 0 }\n\t}\n}\n";
	/* Another table's elements are decisions, not wgstar's counting. */
	static const char d[] = "table inet other {\n\tset s {\n\t\telements = { 1.2.3.4 }\n\t}\n}\n";
	static const char e[] = "table inet other {\n\tset s {\n\t\telements = { 1.2.3.5 }\n\t}\n}\n";
	/* A table's maps, for listing them with their elements (the terse listings leave those out). */
	static const char f[] = "table inet wgstar {\n\tmap from4_shards {\n\t\ttype ipv4_addr : verdict\n"
				"\t\telements = { 0.0.0.0 : goto from4_0,\n\t\t\t     0.0.0.1 : goto from4_1 }\n\t}\n"
				"\tset from4_0 {\n\t\telements = { \"wg0\" . 10.0.0.16 }\n\t}\n}\n";

	assert_true(firewall_same_ruleset(a, a));
	assert_true(firewall_same_ruleset(a, b));
	assert_false(firewall_same_ruleset(a, c));
	assert_false(firewall_same_ruleset(d, e));
	char *cmd = firewall_text_maps_cmd(f, NFPROTO_INET, "wgstar");

	assert_string_equal(cmd, "list map inet wgstar from4_shards\n");
	free(cmd);
	cmd = firewall_text_maps_cmd(d, NFPROTO_INET, "other");
	assert_string_equal(cmd, "");
	free(cmd);
	cmd = firewall_text_maps_cmd(f, NFPROTO_INET, "other");
	assert_string_equal(cmd, "");
	free(cmd);
	assert_false(firewall_same_ruleset(a, ""));
	assert_true(firewall_same_ruleset("", ""));
}

static void test_pending(void **state)
{
	struct firewall_pending p = { .created = 1700000000, .deadline = 1700000030, .timeout = 30,
				      .guard_pid = 4242, .guard_start = 987654321 };
	struct firewall_change c1 = { .kind = FIREWALL_INSTALL_COUNTING, .family = NFPROTO_INET };
	struct firewall_change c2 = { .kind = FIREWALL_ACCEPT_STAR, .family = NFPROTO_IPV4, .handle = 17 };
	struct firewall_pending q;
	char *text;

	snprintf(p.by, sizeof(p.by), "root (sudo from ann), ssh from 192.0.2.9");
	strcpy(c1.table, "wgstar");
	strcpy(c2.table, "filter");
	strcpy(c2.chain, "my chain%");
	strcpy(c2.iface, "wg\x1b-x");
	p.plan.genid = 77;
	assert_int_equal(firewall_plan_add(&p.plan, &c1), 0);
	assert_int_equal(firewall_plan_add(&p.plan, &c2), 0);
	text = firewall_pending_format(&p);
	assert_non_null(text);
	/* One line a field, nothing unprintable in it. */
	for (const char *s = text; *s; ++s)
		assert_true(*s == '\n' || (*s >= 0x20 && *s < 0x7f));
	assert_int_equal(firewall_pending_parse(&q, text), 0);
	assert_int_equal(q.created, p.created);
	assert_int_equal(q.deadline, p.deadline);
	assert_int_equal(q.timeout, 30);
	assert_int_equal(q.guard_pid, 4242);
	assert_int_equal(q.guard_start, 987654321);
	assert_string_equal(q.by, p.by);
	assert_int_equal(q.plan.genid, 77);
	assert_int_equal(q.plan.n, 2);
	assert_int_equal(q.plan.v[0].kind, FIREWALL_INSTALL_COUNTING);
	assert_string_equal(q.plan.v[0].table, "wgstar");
	assert_string_equal(q.plan.v[0].chain, "");
	assert_int_equal(q.plan.v[1].kind, FIREWALL_ACCEPT_STAR);
	assert_int_equal(q.plan.v[1].family, NFPROTO_IPV4);
	assert_string_equal(q.plan.v[1].chain, "my chain%");
	assert_string_equal(q.plan.v[1].iface, "wg\x1b-x");
	assert_int_equal(q.plan.v[1].handle, 17);
	firewall_pending_free(&q);
	free(text);
	/* What it did not write is refused. */
	assert_int_equal(firewall_pending_parse(&q, ""), -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\n"), -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\ndeadline 2\nchange bogus 1 - - - 0\n"),
			 -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\ndeadline 2\nby a%0\n"), -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\ndeadline 2\nby a%g1\n"), -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\ndeadline 2\nextra\n"), -EBADMSG);
	assert_int_equal(firewall_pending_parse(&q, "wgstar-pending 1\ncreated 1\ndeadline 2\nby -\n"), 0);
	assert_string_equal(q.by, "");
	firewall_pending_free(&q);
	firewall_plan_free(&p.plan);
}

static void test_result_text(void **state)
{
	char line[512];

	assert_int_equal(firewall_result_text("confirmed -\nok\n", line, sizeof(line)), 0);
	assert_string_equal(line, "confirmed: the firewall change stays");
	assert_int_equal(firewall_result_text("same timeout\n", line, sizeof(line)), 0);
	assert_string_equal(line, "rolled back (not confirmed in time): the ruleset is as it was before the change");
	assert_int_equal(firewall_result_text("same unguarded\n", line, sizeof(line)), 0);
	assert_non_null(strstr(line, "its guard had died"));
	assert_int_equal(firewall_result_text("failed asked\nno\n", line, sizeof(line)), 1);
	assert_int_equal(firewall_result_text(NULL, line, sizeof(line)), 1);
}

static void test_describe_escapes(void **state)
{
	struct firewall_change c = { .kind = FIREWALL_ACCEPT_STAR, .family = NFPROTO_IPV4 };
	char buf[512];

	strcpy(c.table, "filter");
	strcpy(c.chain, "FORWARD");
	strcpy(c.iface, "wg\x1b[2J");
	firewall_change_describe(buf, sizeof(buf), &c);
	assert_string_equal(buf, "add rule ip filter FORWARD iifname \"wg\\x1b[2J\" oifname \"wg\\x1b[2J\" accept");
}

static void test_diff_escapes(void **state)
{
	int ret;
	char *d = diff("a\n\tkeep\n", "a\n\tiifname \"wg\x1b\xff\" accept\n", &ret);

	assert_int_equal(ret, 1);
	assert_non_null(strstr(d, "+\tiifname \"wg\\x1b\\xff\" accept\n"));
	assert_null(strchr(d, '\x1b'));
	free(d);
}

/* The policy table in a preview: each map with its size; undone from the table as it was. */
static void test_policy_text(void **state)
{
	const char *listing = "table inet wgstar_policy {\n\tcomment \"wgstar policy 0123456789abcdef\"\n"
			      "\tmap i0_from4 {\n\t\ttype ifname . ipv4_addr : verdict\n\t}\n\n"
			      "\tset denied4 {\n\t\ttype ipv4_addr . ipv4_addr\n\t}\n}\n"
			      "table inet other {\n\tmap i0_from4 {\n\t\ttype ifname . ipv4_addr : verdict\n\t}\n}\n";
	struct firewall_map_size sizes[] = { { "i0_from4", 3 }, { "i0_from4", 2 }, { "nowhere", 9 } };
	struct firewall_change c = { .kind = FIREWALL_POLICY_REPLACE };
	struct firewall_plan plan = { .v = &c, .n = 1 };
	char fp[20], *noted, *script;
	bool enomem;

	noted = firewall_text_note_sizes(listing, "wgstar_policy", sizes, 3);
	assert_non_null(noted);
	/* the two element runs of one map add up; denied4 and the other table's map get nothing */
	assert_non_null(strstr(noted, "\tmap i0_from4 {\n\t\ttype ifname . ipv4_addr : verdict\n"
				      "\t\t# elements not shown: 5\n\t}\n\n\tset denied4 {\n\t\ttype ipv4_addr . ipv4_addr\n\t}\n"));
	assert_non_null(strstr(noted, "table inet other {\n\tmap i0_from4 {\n\t\ttype ifname . ipv4_addr : verdict\n\t}\n"));
	free(noted);
	assert_true(firewall_policy_present(listing, fp));
	assert_string_equal(fp, "0123456789abcdef");
	assert_false(firewall_policy_present("table inet other {\n}\n", fp));
	/* a replaced table goes and the old one comes back, in one script */
	char policy_old[] = "table inet wgstar_policy {\n}\n", counting_old[] =
		"table inet wgstar {\n\tset from4 {\n\t\ttype ifname . ipv4_addr\n\t\tcounter\n"
		"\t\telements = { \"wg0\" . 10.0.0.2 counter packets 3 bytes 252,\n"
		"\t\t\t     \"wg0\" . 10.0.0.3 counter packets 12 bytes 1008 }\n\t}\n"
		"\tchain forward {\n\t\tcounter packets 7 bytes 70 comment \"counter packets x\"\n\t}\n}\n";

	plan.policy_before = policy_old;
	script = firewall_undo_script(&plan, &enomem);
	assert_string_equal(script, "delete table inet wgstar_policy\ntable inet wgstar_policy {\n}\n");
	free(script);
	c.kind = FIREWALL_POLICY_REMOVE;
	script = firewall_undo_script(&plan, &enomem);
	assert_string_equal(script, "table inet wgstar_policy {\n}\n");
	free(script);
	/* an install is undone by the batch: no script */
	c.kind = FIREWALL_POLICY_INSTALL;
	assert_null(firewall_undo_script(&plan, &enomem));
	assert_false(enomem);
	/* a replaced counting table comes back as listed (the batch took the new one out), first */
	struct firewall_change two[2] = { { .kind = FIREWALL_REMOVE_COUNTING, .renew = true },
					   { .kind = FIREWALL_POLICY_REPLACE } };
	plan.v = two;
	plan.n = 2;
	plan.counting_before = counting_old;
	script = firewall_undo_script(&plan, &enomem);
	/*
	 * In one transaction with the rest: the new table out (added first, so its absence is no
	 * error), the earlier one in with every counter from zero (the ledger counted them once).
	 */
	assert_string_equal(script, "add table inet wgstar\ndelete table inet wgstar\n"
		"table inet wgstar {\n\tset from4 {\n\t\ttype ifname . ipv4_addr\n\t\tcounter\n"
		"\t\telements = { \"wg0\" . 10.0.0.2 counter packets 0 bytes 0,\n"
		"\t\t\t     \"wg0\" . 10.0.0.3 counter packets 0 bytes 0 }\n\t}\n"
		"\tchain forward {\n\t\tcounter packets 0 bytes 0 comment \"counter packets x\"\n\t}\n}\n"
		"delete table inet wgstar_policy\ntable inet wgstar_policy {\n}\n");
	free(script);
	/* nothing saved: the batch does it all */
	plan.n = 1;
	plan.counting_before = NULL;
	assert_null(firewall_undo_script(&plan, &enomem));
	assert_false(enomem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_diff_color),
		cmocka_unit_test(test_forward_chains),
		cmocka_unit_test(test_text_edits),
		cmocka_unit_test(test_port_shut),
		cmocka_unit_test(test_sysctl_conf),
		cmocka_unit_test(test_same_ruleset),
		cmocka_unit_test(test_pending),
		cmocka_unit_test(test_result_text),
		cmocka_unit_test(test_describe_escapes),
		cmocka_unit_test(test_diff_escapes),
		cmocka_unit_test(test_policy_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
