// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub's settings file (its public endpoint and DNS for client configs), read and kept. */
#include "cmocka_common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "atomic.h"
#include "peerops.h"

static char dir[64];
static char path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/wgstar-peerops-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/wgstar.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	rmdir(dir);
	return 0;
}

static void put(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *get(void)
{
	char *text = NULL;

	assert_int_equal(atomic_read(path, &text, NULL), 0);
	return text;
}

static void test_read(void **state)
{
	char *v;

	put("# the hub\n[wg1]\nEndpoint = other.example:1\n\n[wg0]\n  endpoint\t=  vpn.example.net:51820  \n"
	    "DNS = 10.0.0.1, 2001:db8::1\n[wg2]\n");
	v = peerops_setting(path, "wg0", "Endpoint");
	assert_string_equal(v, "vpn.example.net:51820");
	free(v);
	v = peerops_setting(path, "wg0", "DNS");
	assert_string_equal(v, "10.0.0.1, 2001:db8::1");
	free(v);
	v = peerops_setting(path, "wg1", "Endpoint");
	assert_string_equal(v, "other.example:1");
	free(v);
	assert_null(peerops_setting(path, "wg2", "Endpoint"));
	assert_null(peerops_setting(path, "wg", "Endpoint"));
	assert_null(peerops_setting(path, "wg0", "MTU"));
	assert_null(peerops_setting(NULL, "wg0", "Endpoint"));
	unlink(path);
	assert_null(peerops_setting(path, "wg0", "Endpoint"));
}

static void test_save_new_file(void **state)
{
	struct stat st;
	char *text;

	assert_int_equal(peerops_save_setting(path, "wg0", "Endpoint", "203.0.113.7:51820"), 0);
	text = get();
	assert_string_equal(text, "[wg0]\nEndpoint = 203.0.113.7:51820\n");
	free(text);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

/* A value replaced in place; every other line, comment and section kept as it was. */
static void test_save_keeps_the_rest(void **state)
{
	char *text;

	put("# hubs\n[wg1]\nEndpoint = a.example:1\n\n[wg0]\nDNS = 10.0.0.1\nEndpoint = old.example:2\n# end\n");
	chmod(path, 0600);
	assert_int_equal(peerops_save_setting(path, "wg0", "Endpoint", "new.example:3"), 0);
	text = get();
	assert_string_equal(text, "# hubs\n[wg1]\nEndpoint = a.example:1\n\n[wg0]\nDNS = 10.0.0.1\n"
				  "Endpoint = new.example:3\n# end\n");
	free(text);

	/* A key the section lacks goes at the section's end, before the next one. */
	assert_int_equal(peerops_save_setting(path, "wg1", "DNS", "10.1.0.1"), 0);
	text = get();
	assert_string_equal(text, "# hubs\n[wg1]\nEndpoint = a.example:1\nDNS = 10.1.0.1\n\n[wg0]\nDNS = 10.0.0.1\n"
				  "Endpoint = new.example:3\n# end\n");
	free(text);

	/* A new interface: a section of its own at the end. */
	assert_int_equal(peerops_save_setting(path, "wg9", "Endpoint", "[2001:db8::9]:51820"), 0);
	text = get();
	assert_non_null(strstr(text, "# end\n\n[wg9]\nEndpoint = [2001:db8::9]:51820\n"));
	free(text);
	{
		struct stat st;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0600);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_new_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_keeps_the_rest, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
