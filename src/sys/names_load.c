// SPDX-License-Identifier: GPL-2.0-or-later
/* Name files read from disk and handed to their parser. */
#include <errno.h>
#include <stdlib.h>
#include "atomic.h"
#include "key.h"
#include "names_load.h"

int names_load(struct name_map *map, const char *path, int (*parse)(struct name_map *, const char *, size_t))
{
	/* The store is wgstar's own: never read through a link. A config file may be one. */
	bool state = parse == names_parse_store;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	ret = state ? atomic_read_state(path, &buf, &len, NULL) : atomic_read(path, &buf, &len);
	if (ret == -ENOENT || ret == -ENOTDIR)
		return 0;
	if (ret < 0)
		return ret;
	ret = parse(map, buf, len);
	/* A config file holds the interface's private key. */
	key_wipe(buf, len);
	free(buf);
	return ret;
}
