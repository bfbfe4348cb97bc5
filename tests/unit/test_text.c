// SPDX-License-Identifier: GPL-2.0-or-later
/* Outside strings made safe: strict UTF-8, escapes, shell words, names. */
#include "cmocka_common.h"
#include <stdlib.h>
#include <string.h>
#include "text.h"

static void test_utf8_next(void **state)
{
	uint32_t cp = 0;

	assert_int_equal(text_utf8_next("a", 1, &cp), 1);
	assert_int_equal(cp, 'a');
	assert_int_equal(text_utf8_next("\xc3\xa9", 2, &cp), 2);
	assert_int_equal(cp, 0xe9);
	assert_int_equal(text_utf8_next("\xe2\x80\xae", 3, &cp), 3);
	assert_int_equal(cp, 0x202e);
	assert_int_equal(text_utf8_next("\xf0\x9f\x98\x80", 4, &cp), 4);
	assert_int_equal(cp, 0x1f600);
	/* truncated, overlong, surrogate, past U+10FFFF, lone continuation, 0xff */
	assert_int_equal(text_utf8_next("\xe2\x80", 2, &cp), 0);
	assert_int_equal(text_utf8_next("\xc0\xaf", 2, &cp), 0);
	assert_int_equal(text_utf8_next("\xe0\x80\xaf", 3, &cp), 0);
	assert_int_equal(text_utf8_next("\xed\xa0\x80", 3, &cp), 0);
	assert_int_equal(text_utf8_next("\xf4\x90\x80\x80", 4, &cp), 0);
	assert_int_equal(text_utf8_next("\x80", 1, &cp), 0);
	assert_int_equal(text_utf8_next("\xff", 1, &cp), 0);
	assert_int_equal(text_utf8_next("", 0, &cp), 0);
}

static void test_utf8_put(void **state)
{
	char b[4];
	uint32_t cp;

	for (uint32_t c = 1; c <= 0x10ffff; c += (c < 0x800 ? 1 : 97)) {
		size_t n = text_utf8_put(c, b);

		if (c >= 0xd800 && c <= 0xdfff) {
			assert_int_equal(n, 0);
			continue;
		}
		assert_int_not_equal(n, 0);
		assert_int_equal(text_utf8_next(b, n, &cp), n);
		assert_int_equal(cp, c);
	}
	assert_int_equal(text_utf8_put(0x110000, b), 0);
}

static void test_printable(void **state)
{
	static const uint32_t bad[] = { 0, 7, 0x1b, 0x7f, 0x85, 0x9b, 0xad, 0x061c, 0x200b, 0x200e, 0x200f,
					0x2028, 0x2029, 0x202a, 0x202e, 0x2066, 0x2069, 0xfeff, 0xfffe,
					0xffff, 0xfdd0, 0x1fffe, 0xe0001, 0xe007f, 0x110000 };
	static const uint32_t good[] = { ' ', 'a', '~', 0xa0, 0xe9, 0x05d0, 0x4e2d, 0xfffd, 0x1f600,
					 0x10fffd };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
		assert_false(text_printable(bad[i]));
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i)
		assert_true(text_printable(good[i]));
}

static void check_escape(const char *in, const char *want)
{
	char out[128];

	assert_int_equal(text_escape(out, sizeof(out), in, strlen(in)), strlen(want));
	assert_string_equal(out, want);
}

static void test_escape(void **state)
{
	char small[6];
	char *dup;

	check_escape("wg0", "wg0");
	check_escape("caf\xc3\xa9 \xe4\xb8\xad", "caf\xc3\xa9 \xe4\xb8\xad");
	check_escape("wg\x1b[2J", "wg\\x1b[2J");
	check_escape("a\xffz", "a\\xffz");
	check_escape("al\xe2\x80\xaeice", "al\\u202eice");
	check_escape("x\xc2\x9by", "x\\u009by");
	check_escape("t\te\nn", "t\\x09e\\x0an");
	check_escape("back\\slash", "back\\slash");
	check_escape("\xf3\xa0\x80\x81", "\\U000e0001");
	check_escape("$;`", "$;`");
	/* Cut at a whole piece: never half an escape or half a character. */
	assert_int_equal(text_escape(small, sizeof(small), "abc\x1bxyz", 7), 10);
	assert_string_equal(small, "abc");
	assert_int_equal(text_escape(small, sizeof(small), "ab\xc3\xa9\xc3\xa9\xc3\xa9", 8), 8);
	assert_string_equal(small, "ab\xc3\xa9");
	assert_int_equal(text_escape(NULL, 0, "\x1b", 1), 4);
	dup = text_escape_dup("\x1b]0;owned\x07");
	assert_string_equal(dup, "\\x1b]0;owned\\x07");
	free(dup);
	assert_true(text_is_safe("alice phone"));
	assert_true(text_is_safe("a\\b"));
	assert_false(text_is_safe("a\xe2\x80\xae"));
	assert_false(text_is_safe("\xff"));
}

static void check_quote(const char *in, const char *want)
{
	char out[128];

	assert_int_equal(text_shell_quote(out, sizeof(out), in), strlen(want));
	assert_string_equal(out, want);
}

static void test_shell_quote(void **state)
{
	check_quote("wg0", "wg0");
	check_quote("wg-hub.1", "wg-hub.1");
	check_quote("wg$x", "'wg$x'");
	check_quote("a;b", "'a;b'");
	check_quote("it's", "'it'\\''s'");
	check_quote("", "''");
	check_quote("wg\x1b", "$'wg\\x1b'");
	check_quote("a'\\\xff", "$'a\\'\\\\\\xff'");
	check_quote("x\xe2\x80\xae", "$'x\\xe2\\x80\\xae'");
}

static void test_utf8_fix(void **state)
{
	char *s = text_utf8_fix("ok\xff\xe2\x80\xae\xc3");

	assert_string_equal(s, "ok\xef\xbf\xbd\xe2\x80\xae\xef\xbf\xbd");
	free(s);
}

static void test_name_check(void **state)
{
	char long_name[TEXT_NAME_MAX + 2];

	assert_int_equal(text_name_check("alice"), TEXT_NAME_OK);
	assert_int_equal(text_name_check("Bob's phone \xf0\x9f\x93\xb1"), TEXT_NAME_OK);
	assert_int_equal(text_name_check(""), TEXT_NAME_EMPTY);
	assert_int_equal(text_name_check(NULL), TEXT_NAME_EMPTY);
	assert_int_equal(text_name_check(" alice"), TEXT_NAME_SPACE);
	assert_int_equal(text_name_check("alice\t"), TEXT_NAME_SPACE);
	assert_int_equal(text_name_check("a#b"), TEXT_NAME_CHAR);
	assert_int_equal(text_name_check("a\x1b"), TEXT_NAME_CHAR);
	assert_int_equal(text_name_check("a\xe2\x80\xae" "b"), TEXT_NAME_CHAR);
	assert_int_equal(text_name_check("a\xffz"), TEXT_NAME_CHAR);
	memset(long_name, 'x', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	assert_int_equal(text_name_check(long_name), TEXT_NAME_LONG);
	long_name[TEXT_NAME_MAX] = '\0';
	assert_int_equal(text_name_check(long_name), TEXT_NAME_OK);
	assert_string_not_equal(text_name_error_text(TEXT_NAME_CHAR), "");
}

/*
 * text_find_nl finds what memchr finds: every length up to 40, every start within a word, and
 * bytes of every value, '\n' and its neighbours in the bits (0x0a ^ 0x80, 0x0b, 0x09) often.
 */
static void test_find_nl(void **state)
{
	static const unsigned char near[] = { '\n', 0x8a, 0x0b, 0x09, 0x00, 0xff, 0x0e, 0x1a };
	unsigned char buf[64];
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 200000; ++round) {
		size_t off = (size_t)(rand_r(&seed) % 8), len = (size_t)(rand_r(&seed) % 41);
		const char *p = (const char *)buf + off, *want, *got;

		for (size_t i = 0; i < sizeof(buf); ++i)
			buf[i] = rand_r(&seed) % 3 ? (unsigned char)(rand_r(&seed) % 256) :
						     near[rand_r(&seed) % sizeof(near)];
		/* Mostly without a line end, or with one late: the word loop must not stop early. */
		if (rand_r(&seed) % 2)
			for (size_t i = 0; i < len; ++i)
				if (p[i] == '\n')
					buf[off + i] = ' ';
		if (len && rand_r(&seed) % 4 == 0)
			buf[off + len - 1] = '\n';
		want = memchr(p, '\n', len);
		got = text_find_nl(p, p + len);
		if (want != got)
			fail_msg("round %d: at %td, not %td, in %zu bytes", round, got ? got - p : -1, want ? want - p : -1, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_next),
		cmocka_unit_test(test_utf8_put),
		cmocka_unit_test(test_printable),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_shell_quote),
		cmocka_unit_test(test_utf8_fix),
		cmocka_unit_test(test_name_check),
		cmocka_unit_test(test_find_nl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
