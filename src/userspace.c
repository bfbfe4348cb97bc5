// SPDX-License-Identifier: GPL-2.0-or-later
/* Placeholder until the userspace backend lands. */
#include <errno.h>
#include "backend.h"
int userspace_list_devices(struct strlist *names) { return 0; }
int userspace_get_device(struct wg_device **dev, const char *iface) { return -ENODEV; }
bool userspace_has_interface(const char *iface) { return false; }
