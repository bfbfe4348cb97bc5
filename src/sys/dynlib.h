/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A shared library loaded when first needed, not linked: what every start would load for nothing. */
#ifndef WGSTAR_DYNLIB_H
#define WGSTAR_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* A function of the library by name, and where its address goes. */
struct dynlib_fn {
	const char *name;
	void **fn;
};

/*
 * Opens soname and looks up every function of fns. All of them, or none: on failure each fn is
 * NULL, the library is closed again, and why (len bytes, may be NULL) says what was missing.
 * Callers load once (pthread_once) and keep the answer.
 */
bool dynlib_load(const char *soname, const struct dynlib_fn *fns, size_t n, char *why, size_t len);

#endif
