/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Files replaced atomically: temp file in the same directory, fsync, rename, directory fsync. */
#ifndef WGSTAR_ATOMIC_H
#define WGSTAR_ATOMIC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Replaces dir/name with len bytes of data. An existing file keeps its mode; a new one gets
 * mode. 0 or -errno; on failure the old file is untouched.
 */
int atomic_write(const char *dir, const char *name, const char *data, size_t len, mode_t mode);

/* The whole of a file, NUL-terminated, in *out. 0 or -errno. */
int atomic_read(const char *path, char **out, size_t *len);

#endif
