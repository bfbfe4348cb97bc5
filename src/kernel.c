// SPDX-License-Identifier: GPL-2.0-or-later
/* Placeholder until the kernel backend lands. */
#include <errno.h>
#include "backend.h"
int kernel_list_devices(struct strlist *names) { return 0; }
int kernel_get_device(struct wg_device **dev, const char *iface) { return -ENODEV; }
int kernel_family_present(void) { return -ENOENT; }
