/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name files read from disk and handed to their parser. */
#ifndef WGSTAR_NAMES_LOAD_H
#define WGSTAR_NAMES_LOAD_H

#include "names.h"

/* Read a file and parse it; a file that does not exist adds nothing and is no error. */
int names_load(struct name_map *map, const char *path,
	       int (*parse)(struct name_map *, const char *, size_t));

#endif
