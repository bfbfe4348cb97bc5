/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One file in a directory, replaced atomically on every write: node_exporter's textfile collector. */
#ifndef WGSTAR_TEXTFILE_H
#define WGSTAR_TEXTFILE_H

#include <stdio.h>

struct textfile {
	int dirfd;
	const char *name;
};

/* Opens the directory dir for the file name; 0 or -errno (-ENOENT, -ENOTDIR, -EACCES...). */
int textfile_open(struct textfile *tf, const char *dir, const char *name);
/*
 * Writes the file anew through fill, which returns 0 or -errno: a temporary file in the same
 * directory, flushed to disk, then renamed over the old one, so a reader sees the old file or
 * the new one and never half of one. 0 or -errno.
 */
int textfile_replace(struct textfile *tf, int (*fill)(FILE *out, void *ctx), void *ctx);
/* Removes the file: the numbers in it stop being true when the writer stops. */
int textfile_remove(struct textfile *tf);
void textfile_close(struct textfile *tf);

#endif
