// SPDX-License-Identifier: GPL-2.0-or-later
/* The heap of a command that reads a whole hub once and exits. */
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "heap.h"

#define HUGE_PAGE ((uintptr_t)2 << 20)

/*
 * `--once` at 10,000 dual-stack peers allocates about 12 MB in arrays that grow by doubling:
 * the snapshot, the counting sets' reading and the plan of the sets. In 4 KiB pages that was
 * 3,000 page faults, each first write to a page a trap into the kernel, and on a virtual
 * machine a costly one: 15 us a fault measured on one, a third of the command's CPU time
 * (`wg show dump` takes 730). From a heap grown at once in 2 MiB pages it is 525, and 1.6x the
 * wall time of `wg show dump` became 1.0-1.1x (1.27x became 1.01x at 65,535 peers, with 64 MiB
 * grown at once). Only what is touched is resident: one huge page more at 0 peers.
 */
void heap_prepare_burst(size_t bytes)
{
	const size_t probe = (size_t)256 << 10;
	size_t pad = bytes > INT32_MAX / 4 ? INT32_MAX / 4 : bytes, n = probe;
	uintptr_t start, lo, hi;
	void *p, *end;

	/* The threads that dump the counting sets would each take an arena, mapped apart. */
	mallopt(M_ARENA_MAX, 1);
	/* 32 MiB, the most glibc takes: above it, a block has a mapping of its own. */
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	/* What is freed stays for what comes next, instead of going back and faulting in again. */
	mallopt(M_TRIM_THRESHOLD, (int)(2 * pad));
	/* The heap grows by pad more than a block needs, from here on. */
	mallopt(M_TOP_PAD, (int)pad);
	/* A block the heap has no room for: it grows for it, and by pad more. */
	end = sbrk(0);
	if (!(p = malloc(n)))
		return;
	if (sbrk(0) == end && (uintptr_t)p < (uintptr_t)end) {
		/* There was room: a block bigger than all of it. */
		n = (uintptr_t)end - (uintptr_t)p + probe;
		free(p);
		if (n >= (size_t)16 << 20 || !(p = malloc(n)))
			return;
	}
	/*
	 * Writing the header of the rest just past the block, malloc gave that 2 MiB small pages
	 * before the advice: a huge page goes only where none is yet. The advice starts above.
	 */
	start = (uintptr_t)p;
	lo = (start + n + 2 * sizeof(size_t) + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	free(p);
	end = sbrk(0);
	hi = (uintptr_t)end & ~(HUGE_PAGE - 1);
	/* The block came from a mapping after all (the heap could not grow there): nothing to say. */
	if (end == (void *)-1 || start > (uintptr_t)end || hi <= lo)
		return;
	madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}
