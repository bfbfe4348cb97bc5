// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the heap laid out for a one-shot read: big blocks from it, huge pages asked for. */
#include "cmocka_common.h"
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "heap.h"

/*
 * Of the mapping holding addr in /proc/self/smaps: whether VmFlags has the flag (two letters),
 * and its resident kilobytes.
 */
static bool vma_flag(uintptr_t addr, const char *flag, long *rss_kb)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	bool in = false, found = false;
	char line[512];

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		/* A mapping's first line, "lo-hi perms ...": no field's name reads as that. */
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			in = addr >= lo && addr < hi;
			continue;
		}
		if (in && rss_kb && !strncmp(line, "Rss:", 4))
			*rss_kb = strtol(line + 4, NULL, 10);
		if (in && !strncmp(line, "VmFlags:", 8)) {
			char want[5];

			snprintf(want, sizeof(want), " %s", flag);
			found = strstr(line + 8, want) != NULL;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_burst_heap(void **state)
{
	const size_t bytes = 8 << 20;
	uintptr_t top, last;
	long rss = -1;
	char *p;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	/* The sanitizer's allocator is not glibc's: mallopt and the heap are not its. */
	skip();
#endif
	heap_prepare_burst(bytes);
	top = (uintptr_t)sbrk(0);
	/*
	 * The part marked for huge pages has not a page in yet: a 2 MiB range that had one before
	 * the advice would stay in small pages (malloc writes a header where its top begins).
	 */
	last = (top & ~(((uintptr_t)2 << 20) - 1)) - 4096;
	assert_true(vma_flag(last, "hg", &rss));
	assert_int_equal(rss, 0);
	/* A block far above malloc's usual 128 KiB threshold comes from the heap, below its end... */
	assert_non_null(p = malloc(4 << 20));
	assert_true((uintptr_t)p < top);
	memset(p, 1, 4 << 20);
	/* ...without moving that end: the heap was grown ahead, by about twice bytes. */
	assert_int_equal((uintptr_t)sbrk(0), top);
	/* Still marked for huge pages where it was (where the block lies depends on the room the heap had). */
	assert_true(vma_flag(last, "hg", NULL));
	free(p);
	/* Freed, it stays: the next block takes the same place instead of faulting in new pages. */
	assert_non_null(p = malloc(4 << 20));
	assert_true((uintptr_t)p < top);
	assert_int_equal((uintptr_t)sbrk(0), top);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_heap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
