/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Name files read from disk and handed to their parser. */
#ifndef WGSTAR_NAMES_LOAD_H
#define WGSTAR_NAMES_LOAD_H

#include "names.h"

/*
 * Reads a file and parses it; a file that does not exist adds nothing and is no error. The
 * name store (parse is names_parse_store) is never read through a symbolic link (-ELOOP).
 * Only regular files of at most ATOMIC_MAX_FILE bytes are read (-EINVAL, -EFBIG).
 */
int names_load(struct name_map *map, const char *path,
	       int (*parse)(struct name_map *, const char *, size_t));

#endif
