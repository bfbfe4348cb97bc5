// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of loading a library on first use: all its functions, or none and why. */
#include "cmocka_common.h"
#include <string.h>
#include "dynlib.h"

static void test_all_found(void **state)
{
	size_t (*len_fn)(const char *) = NULL;
	int (*cmp_fn)(const char *, const char *) = NULL;
	const struct dynlib_fn fns[] = { { "strlen", (void **)&len_fn }, { "strcmp", (void **)&cmp_fn } };
	char why[128] = "untouched";

	assert_true(dynlib_load("libc.so.6", fns, 2, why, sizeof(why)));
	assert_non_null(len_fn);
	assert_non_null(cmp_fn);
	assert_int_equal(len_fn("wgstar"), 6);
	assert_int_equal(cmp_fn("a", "a"), 0);
	assert_string_equal(why, "untouched");
}

static void test_one_missing(void **state)
{
	size_t (*len_fn)(const char *) = NULL;
	void (*none_fn)(void) = NULL;
	const struct dynlib_fn fns[] = { { "strlen", (void **)&len_fn },
					 { "wgstar_no_such_function", (void **)&none_fn } };
	char why[256] = "";

	assert_false(dynlib_load("libc.so.6", fns, 2, why, sizeof(why)));
	/* None usable, not the ones found before the missing one. */
	assert_null(len_fn);
	assert_null(none_fn);
	assert_non_null(strstr(why, "wgstar_no_such_function"));
}

static void test_no_library(void **state)
{
	size_t (*len_fn)(const char *) = (size_t (*)(const char *))strlen;
	const struct dynlib_fn fns[] = { { "strlen", (void **)&len_fn } };
	char why[256] = "";

	assert_false(dynlib_load("libwgstar-no-such.so.9", fns, 1, why, sizeof(why)));
	assert_null(len_fn);
	assert_non_null(strstr(why, "libwgstar-no-such.so.9"));
	/* No room for the reason is fine. */
	assert_false(dynlib_load("libwgstar-no-such.so.9", fns, 1, NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_found),
		cmocka_unit_test(test_one_missing),
		cmocka_unit_test(test_no_library),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
