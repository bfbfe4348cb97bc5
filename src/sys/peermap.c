// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The model's big peer arrays as mappings of their own. A console builds a snapshot every
 * interval while the shown one lives; unmapped and mapped again, an array's pages cost a fault
 * each (2-4 ms a second at 10,000 peers). The console frees the shown snapshot about a second
 * before the next is read, so the last mapping given back is kept in one slot and serves the
 * next array, resized with mremap when it does not fit.
 */
#include <stdatomic.h>
#include <stddef.h>
#include <sys/mman.h>
#include <unistd.h>
#include "model.h"
#include "peermap.h"

struct spare_head {
	size_t len;			/* the mapping's length, kept in its first bytes while spare */
};

static void *_Atomic spare;

static void *map_get(size_t len)
{
	void *p = atomic_exchange(&spare, NULL);

	if (p) {
		size_t had = ((struct spare_head *)p)->len;
		void *q = had == len ? p : mremap(p, had, len, MREMAP_MAYMOVE);

		if (q != MAP_FAILED)
			return q;
		munmap(p, had);
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void *map_resize(void *p, size_t old_len, size_t len)
{
	void *q = mremap(p, old_len, len, MREMAP_MAYMOVE);

	return q == MAP_FAILED ? NULL : q;
}

static void map_put(void *p, size_t len)
{
	((struct spare_head *)p)->len = len;
	if ((p = atomic_exchange(&spare, p)))
		munmap(p, ((struct spare_head *)p)->len);
}

/* Kernels before 5.14 refuse MADV_POPULATE_WRITE: the pages then come with their faults, as before. */
static void map_populate(void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	(void)madvise(p, len, MADV_POPULATE_WRITE);
#else
	(void)p;
	(void)len;
#endif
}

void peermap_install(void)
{
	static struct wg_peers_alloc a = { .get = map_get, .resize = map_resize, .put = map_put,
					   .populate = map_populate };

	a.page = (size_t)sysconf(_SC_PAGESIZE);
	wg_peers_alloc_set(&a);
}
