// SPDX-License-Identifier: GPL-2.0-or-later
/* The RTM_GETLINK dump parser that picks out the WireGuard links, against dumps built here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <cmocka.h>
#include "nlbuild.h"
#include "rtnl.h"

#define SEQ 0x600d
#define PORTID 777
#define BUF_LEN (64 * 1024)

static struct nlb new_buf(void)
{
	struct nlb b;

	assert_int_equal(nlb_init(&b, BUF_LEN), 0);
	return b;
}

/* Runs a dump over one buffer and leaves the names found in dump->names. */
static int run(struct rtnl_dump *dump, const struct nlb *b)
{
	rtnl_dump_init(dump, SEQ, PORTID);
	return rtnl_dump_feed(dump, b->buf, b->len);
}

static void test_request(void **state)
{
	char buf[RTNL_REQUEST_LEN];
	const struct nlmsghdr *nlh = (const void *)buf;
	const struct ifinfomsg *ifi;
	const struct nlattr *info, *kind;
	int len;

	assert_int_equal(rtnl_build_getlink_dump(buf, sizeof(buf) - 1, 1), -ENOSPC);
	len = rtnl_build_getlink_dump(buf, sizeof(buf), 31);
	assert_true(len > 0);
	assert_int_equal(nlh->nlmsg_len, len);
	assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_seq, 31);
	ifi = mnl_nlmsg_get_payload(nlh);
	assert_int_equal(ifi->ifi_family, AF_UNSPEC);
	assert_int_equal(ifi->ifi_index, 0);
	info = mnl_nlmsg_get_payload_offset(nlh, sizeof(*ifi));
	assert_int_equal(mnl_attr_get_type(info), IFLA_LINKINFO);
	kind = mnl_attr_get_payload(info);
	assert_int_equal(mnl_attr_get_type(kind), IFLA_INFO_KIND);
	assert_string_equal(mnl_attr_get_str(kind), "wireguard");
	assert_int_equal((char *)mnl_attr_next(info) - buf, len);
}

/* Loopback, a tun, a veth, a bridge and two WireGuard links, over two buffers. */
static void test_mixed_kinds(void **state)
{
	struct nlb b1 = new_buf(), b2 = new_buf();
	struct rtnl_dump dump;

	nlb_link(&b1, SEQ, PORTID, 1, "lo", NULL);
	nlb_link(&b1, SEQ, PORTID, 2, "wg0", "wireguard");
	nlb_link(&b1, SEQ, PORTID, 3, "tun0", "tun");
	nlb_link(&b2, SEQ, PORTID, 4, "veth-a", "veth");
	nlb_link(&b2, SEQ, PORTID, 5, "wg-hub", "wireguard");
	nlb_link(&b2, SEQ, PORTID, 6, "br0", "bridge");
	/* Names that only look like it. */
	nlb_link(&b2, SEQ, PORTID, 7, "wireguard", "wireguardx");
	nlb_link(&b2, SEQ, PORTID, 8, "wg9", "wireguar");
	nlb_done(&b2, SEQ, PORTID, 0, 0);

	rtnl_dump_init(&dump, SEQ, PORTID);
	assert_int_equal(rtnl_dump_feed(&dump, b1.buf, b1.len), RTNL_MORE);
	assert_int_equal(dump.names.n, 1);
	assert_int_equal(rtnl_dump_feed(&dump, b2.buf, b2.len), RTNL_DONE);
	assert_int_equal(dump.names.n, 2);
	assert_string_equal(dump.names.v[0], "wg0");
	assert_string_equal(dump.names.v[1], "wg-hub");
	assert_int_equal(rtnl_dump_feed(&dump, b2.buf, b2.len), -EINVAL);
	rtnl_dump_free(&dump);
	rtnl_dump_free(&dump);
	nlb_free(&b1);
	nlb_free(&b2);
}

static void test_no_wireguard(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;

	nlb_link(&b, SEQ, PORTID, 1, "lo", NULL);
	nlb_link(&b, SEQ, PORTID, 2, "tun0", "tun");
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run(&dump, &b), RTNL_DONE);
	assert_int_equal(dump.names.n, 0);
	rtnl_dump_free(&dump);

	nlb_reset(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run(&dump, &b), RTNL_DONE);
	assert_int_equal(dump.names.n, 0);
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

/* The kind the kernel writes with its NUL, or a sender that leaves it out, both count. */
static void test_kind_without_nul(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;
	struct nlmsghdr *nlh;
	struct nlattr *info;

	nlh = nlb_msg(&b, RTM_NEWLINK, NLM_F_MULTI, SEQ, PORTID);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_KIND, strlen("wireguard"), "wireguard");
	mnl_attr_put_u32(nlh, IFLA_INFO_DATA, 0);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "wg7");
	nlb_end(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run(&dump, &b), RTNL_DONE);
	assert_int_equal(dump.names.n, 1);
	assert_string_equal(dump.names.v[0], "wg7");
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

static void test_errors(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;

	nlb_link(&b, SEQ, PORTID, 2, "wg0", "wireguard");
	nlb_done(&b, SEQ, PORTID, -ENOBUFS, 0);
	assert_int_equal(run(&dump, &b), -ENOBUFS);
	rtnl_dump_free(&dump);

	nlb_reset(&b);
	nlb_error(&b, SEQ, PORTID, -EPERM);
	assert_int_equal(run(&dump, &b), -EPERM);
	rtnl_dump_free(&dump);

	nlb_reset(&b);
	nlb_link(&b, SEQ, PORTID, 2, "wg0", "wireguard");
	nlb_link(&b, SEQ, PORTID, 3, "wg1", "wireguard");
	/* The first message flagged: the dump goes on to DONE, then asks for a restart. */
	((struct nlmsghdr *)b.buf)->nlmsg_flags |= NLM_F_DUMP_INTR;
	assert_int_equal(run(&dump, &b), RTNL_MORE);
	nlb_reset(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(rtnl_dump_feed(&dump, b.buf, b.len), -EINTR);
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

static void test_wrong_seq_ignored(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;

	nlb_link(&b, SEQ + 1, PORTID, 2, "wg-old", "wireguard");
	nlb_link(&b, SEQ, PORTID + 1, 3, "wg-other", "wireguard");
	nlb_error(&b, SEQ - 1, PORTID, -EPERM);
	nlb_done(&b, SEQ + 1, PORTID, 0, NLM_F_DUMP_INTR);
	nlb_link(&b, SEQ, PORTID, 4, "wg0", "wireguard");
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(run(&dump, &b), RTNL_DONE);
	assert_int_equal(dump.names.n, 1);
	assert_string_equal(dump.names.v[0], "wg0");
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

enum bad {
	BAD_IFINFO_SHORT,
	BAD_IFNAME_NO_NUL,
	BAD_IFNAME_LONG,
	BAD_IFNAME_EMPTY,
	BAD_NO_IFNAME,
	BAD_KIND_EMPTY,
	BAD_LINKINFO_SHORT,
	BAD_ATTR_OVERRUN,
	BAD_MSG_TRUNCATED,
	BAD_MSG_LEN_HUGE,
	BAD_TRAILING,
	BAD_COUNT
};

static void build_bad(struct nlb *b, enum bad which)
{
	struct nlmsghdr *nlh = nlb_msg(b, RTM_NEWLINK, NLM_F_MULTI, SEQ, PORTID);
	struct nlattr *info, *attr;

	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	if (which == BAD_IFINFO_SHORT) {
		nlh->nlmsg_len -= 4;
		nlb_end(b);
		goto done;
	}
	switch (which) {
	case BAD_IFNAME_NO_NUL:
		mnl_attr_put(nlh, IFLA_IFNAME, 3, "wg0");
		break;
	case BAD_IFNAME_LONG:
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "0123456789abcdef");
		break;
	case BAD_IFNAME_EMPTY:
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "");
		break;
	case BAD_NO_IFNAME:
		break;
	default:
		mnl_attr_put_strz(nlh, IFLA_IFNAME, "wg0");
		break;
	}
	if (which == BAD_LINKINFO_SHORT) {
		mnl_attr_put(nlh, IFLA_LINKINFO, 2, "wg");
	} else {
		info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
		attr = mnl_nlmsg_get_payload_tail(nlh);
		if (which == BAD_KIND_EMPTY)
			mnl_attr_put(nlh, IFLA_INFO_KIND, 0, NULL);
		else
			mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "wireguard");
		if (which == BAD_ATTR_OVERRUN)
			attr->nla_len = 40;
		mnl_attr_nest_end(nlh, info);
	}
	nlb_end(b);
	if (which == BAD_MSG_LEN_HUGE)
		nlh->nlmsg_len = 0xfffffff0u;
done:
	if (which == BAD_TRAILING) {
		memset(b->buf + b->len, 0xff, 4);
		b->len += 4;
		return;
	}
	nlb_done(b, SEQ, PORTID, 0, 0);
	if (which == BAD_MSG_TRUNCATED)
		b->len = nlh->nlmsg_len - 2;
}

static void test_malformed_rejected(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;

	for (int which = 0; which < BAD_COUNT; ++which) {
		int ret;

		nlb_reset(&b);
		build_bad(&b, (enum bad)which);
		ret = run(&dump, &b);
		if (ret != -EBADMSG)
			fail_msg("case %d: got %d, want -EBADMSG", which, ret);
		rtnl_dump_free(&dump);
	}

	nlb_reset(&b);
	build_bad(&b, BAD_COUNT);
	assert_int_equal(run(&dump, &b), RTNL_DONE);
	assert_int_equal(dump.names.n, 1);
	assert_string_equal(dump.names.v[0], "wg0");
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

/* Some nine hundred links, one recv per message as a dump hands them out. */
static void test_many_links(void **state)
{
	struct nlb b = new_buf();
	struct rtnl_dump dump;
	char name[IFNAMSIZ];
	size_t wg = 0;

	rtnl_dump_init(&dump, SEQ, PORTID);
	for (int i = 0; i < 900; ++i) {
		nlb_reset(&b);
		snprintf(name, sizeof(name), "if%d", i);
		nlb_link(&b, SEQ, PORTID, i + 1, name, i % 3 ? "veth" : "wireguard");
		wg += !(i % 3);
		assert_int_equal(rtnl_dump_feed(&dump, b.buf, b.len), RTNL_MORE);
	}
	nlb_reset(&b);
	nlb_done(&b, SEQ, PORTID, 0, 0);
	assert_int_equal(rtnl_dump_feed(&dump, b.buf, b.len), RTNL_DONE);
	assert_int_equal(dump.names.n, wg);
	assert_string_equal(dump.names.v[0], "if0");
	assert_string_equal(dump.names.v[wg - 1], "if897");
	rtnl_dump_free(&dump);
	nlb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_mixed_kinds),
		cmocka_unit_test(test_no_wireguard),
		cmocka_unit_test(test_kind_without_nul),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_wrong_seq_ignored),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_many_links),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
