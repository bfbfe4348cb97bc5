/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The read facade over both WireGuard backends, chosen per interface as wg(8) does:
 * an interface with a live UAPI socket is userspace, any other is asked of the kernel.
 * Every call returns 0 or -errno and is bounded in time.
 */
#ifndef WGSTAR_BACKEND_H
#define WGSTAR_BACKEND_H

#include "model.h"
#include "strlist.h"

/* How long one request to a backend may take before it fails with -ETIMEDOUT. */
#define BACKEND_TIMEOUT_MS 5000

/* Kernel: rtnetlink for the list (link kind "wireguard"), generic netlink for the device. */
int kernel_list_devices(struct strlist *names);
int kernel_get_device(struct wg_device **dev, const char *iface);
/* 0 when the generic netlink family "wireguard" resolves, -ENOENT when the module is absent. */
int kernel_family_present(void);

/* Userspace: UAPI sockets in the run directory, only those naming a link in this namespace. */
#define USERSPACE_SOCK_DIR "/var/run/wireguard"
int userspace_list_devices(struct strlist *names);
int userspace_get_device(struct wg_device **dev, const char *iface);
bool userspace_has_interface(const char *iface);

/* Both merged, sorted, unique. */
int backend_list_devices(struct strlist *names);
int backend_get_device(struct wg_device **dev, const char *iface);

#endif
