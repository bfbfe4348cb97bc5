// SPDX-License-Identifier: GPL-2.0-or-later
/* A shared library loaded when first needed, not linked: what every start would load for nothing. */
#include <dlfcn.h>
#include <stdio.h>
#include "dynlib.h"

bool dynlib_load(const char *soname, const struct dynlib_fn *fns, size_t n, char *why, size_t len)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *e;
	size_t i = 0;

	if (h) {
		for (; i < n; ++i)
			if (!(*fns[i].fn = dlsym(h, fns[i].name)))
				break;
		if (i == n)
			return true;
	}
	e = dlerror();
	if (why && len)
		snprintf(why, len, "%s", e ? e : soname);
	for (size_t k = 0; k < n; ++k)
		*fns[k].fn = NULL;
	if (h)
		dlclose(h);
	return false;
}
