/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forwarding switch: IPv4 and IPv6 forwarding of this network namespace, optionally persisted. */
#ifndef WGSTAR_FWD_H
#define WGSTAR_FWD_H

#include "fwd_conf.h"

/* The directory for the file: WGSTAR_SYSCTL_DIR, else FWD_SYSCTL_DIR. */
const char *fwd_sysctl_dir(void);

/* Reads or writes key under /proc/sys for this network namespace: 0/1 or -errno. */
int fwd_read(const char *key);
int fwd_write(const char *key, int value);

/* Writes the settings into fwd_sysctl_dir()/FWD_CONF_NAME atomically. 0 or -errno. */
int fwd_persist(const struct fwd_setting *set, size_t n);

#endif
