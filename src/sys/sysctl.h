/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forwarding sysctls of the network namespace this process runs in. */
#ifndef WGSTAR_SYSCTL_H
#define WGSTAR_SYSCTL_H

#include "model.h"

/* Reads a sysctl under /proc/sys holding one integer: 0/1, or -errno. */
int sysctl_read_bool(const char *path);
void sysctl_forwarding(struct fwd_state *out);

#endif
