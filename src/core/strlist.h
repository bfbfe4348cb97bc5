/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A growable, sortable list of owned strings (interface names and the like). */
#ifndef WGSTAR_STRLIST_H
#define WGSTAR_STRLIST_H

#include <stdbool.h>
#include <stddef.h>

struct strlist {
	char **v;
	size_t n;
	size_t cap;
};

int strlist_add(struct strlist *l, const char *s);
bool strlist_contains(const struct strlist *l, const char *s);
/* Sorts and removes duplicates. */
void strlist_sort_unique(struct strlist *l);
void strlist_clear(struct strlist *l);

#endif
