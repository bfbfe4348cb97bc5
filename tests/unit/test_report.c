// SPDX-License-Identifier: GPL-2.0-or-later
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
static void test_placeholder(void **state) { assert_true(1); }
int main(void) { const struct CMUnitTest t[] = { cmocka_unit_test(test_placeholder) }; return cmocka_run_group_tests(t, NULL, NULL); }
