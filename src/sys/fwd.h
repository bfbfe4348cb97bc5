/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forwarding switch: IPv4 and IPv6 forwarding of this network namespace, optionally persisted. */
#ifndef WGSTAR_FWD_H
#define WGSTAR_FWD_H

#include "fwd_conf.h"

/* Reads or writes key under /proc/sys for this network namespace: 0/1 or -errno. */
int fwd_read(const char *key);
int fwd_write(const char *key, int value);

/* The text of dir/FWD_CONF_NAME (dir is FWD_SYSCTL_DIR but in tests): 0, -ENOENT, -errno. */
int fwd_persisted(const char *dir, char **text);
/* Writes the settings into dir/FWD_CONF_NAME atomically, every other line kept. 0 or -errno. */
int fwd_persist(const char *dir, const struct fwd_setting *set, size_t n);

#endif
