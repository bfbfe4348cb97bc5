// SPDX-License-Identifier: GPL-2.0-or-later
/* The ssh connection found from /proc/net/tcp lines, as the kernel prints them. */
#include "cmocka_common.h"
#include <string.h>
#include "session.h"

static void test_tcp4(void **state)
{
	/* 192.0.2.1:22 from 198.51.100.7:40000, as a little-endian host prints them. */
	const char *line = "   3: 010200C0:0016 076433C6:9C40 01 00000000:00000000 02:000A3B1F 00000000     0        0 "
			   "424242 2 0000000000000000 20 4 29 10 -1\n";
	struct session s = { 0 };

	assert_int_equal(session_parse_tcp_line(line, 424241, &s), 0);
	assert_false(s.ssh);
	assert_int_equal(session_parse_tcp_line(line, 424242, &s), 1);
	assert_true(s.ssh);
	assert_int_equal(s.server_port, 22);
	assert_int_equal(s.family, AF_INET);
	assert_string_equal(s.client, "198.51.100.7");
}

static void test_tcp6(void **state)
{
	/* [2001:db8::1]:2222 from [2001:db8::7]:50000, and a v4-mapped client. */
	const char *line = "   0: B80D0120000000000000000001000000:08AE B80D0120000000000000000007000000:C350 01 "
			   "00000000:00000000 00:00000000 00000000     0        0 77 1 0000000000000000 20 4 0 10 -1\n";
	const char *mapped = "   1: 0000000000000000FFFF00000100A8C0:0016 0000000000000000FFFF00000700A8C0:C350 01 "
			     "00000000:00000000 00:00000000 00000000     0        0 78 1 0000000000000000 20 4 0 10 -1\n";
	struct session s = { 0 };

	assert_int_equal(session_parse_tcp_line(line, 77, &s), 1);
	assert_int_equal(s.server_port, 2222);
	assert_int_equal(s.family, AF_INET6);
	assert_string_equal(s.client, "2001:db8::7");
	memset(&s, 0, sizeof(s));
	assert_int_equal(session_parse_tcp_line(mapped, 78, &s), 1);
	assert_int_equal(s.family, AF_INET);
	assert_string_equal(s.client, "192.168.0.7");
}

static void test_garbage(void **state)
{
	struct session s = { 0 };

	assert_int_equal(session_parse_tcp_line("  sl  local_address rem_address   st tx_queue\n", 0, &s), 0);
	assert_int_equal(session_parse_tcp_line("", 0, &s), 0);
	assert_int_equal(session_parse_tcp_line("   0: 01:0016 02:0001 01 0:0 0:0 0 0 0 5", 5, &s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp4),
		cmocka_unit_test(test_tcp6),
		cmocka_unit_test(test_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
