/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The facade over both WireGuard backends, for reads and writes, chosen per interface as
 * wg(8) does: an interface with a live UAPI socket is userspace, any other is the kernel's.
 * Every call returns 0 or -errno and is bounded in time.
 */
#ifndef WGSTAR_BACKEND_H
#define WGSTAR_BACKEND_H

#include "model.h"
#include "strlist.h"
#include "wgset.h"

/*
 * How long one request to a backend may take before it fails with -ETIMEDOUT; for the kernel,
 * how long it may stay silent between two messages of its answer.
 */
#define BACKEND_TIMEOUT_MS 5000

/*
 * A read that leans on the last one of the same interface: the userspace backend takes a peer
 * whose lines in the answer did not change from earlier instead of parsing them again
 * (uapi_parser_keep_sums). The kernel's reads ignore it.
 */
struct backend_read {
	const struct wg_device *earlier;	/* the last read of the interface, or NULL */
	bool keep_sums;				/* sum this read's peers, for the next one */
};

/* Kernel: rtnetlink for the list (link kind "wireguard"), generic netlink for the device. */
int kernel_list_devices(struct strlist *names);
int kernel_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint);
/* 0 when the generic netlink family "wireguard" resolves, -ENOENT when the module is absent. */
int kernel_family_present(void);
/*
 * Applies the changes with WG_CMD_SET_DEVICE, split over several messages when they do not
 * fit one (see wgset.h). -ENODEV when there is no such WireGuard interface (also when the
 * module is absent), -EINVAL for a change wgset_validate refuses, else the kernel's error.
 */
int kernel_set_peers(const char *iface, const struct wg_peer_change *c, size_t n);

/* Userspace: UAPI sockets in the run directory, only those naming a link in this namespace. */
#define USERSPACE_SOCK_DIR "/var/run/wireguard"
int userspace_list_devices(struct strlist *names);
int userspace_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint,
			 const struct backend_read *r);
bool userspace_has_interface(const char *iface);
/* One UAPI "set=1" request; -ENODEV without a socket here, the daemon's errno=N as -N. */
int userspace_set_peers(const char *iface, const struct wg_peer_change *c, size_t n);

/* Both merged, sorted, unique. */
int backend_list_devices(struct strlist *names);
/* peers_hint: about as many peers as expected (room made for them first); 0 when unknown. */
int backend_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint);
/* The same, leaning on an earlier read as r says (r may be NULL). */
int backend_read_device(struct wg_device **dev, const char *iface, uint32_t peers_hint, const struct backend_read *r);
/*
 * Adds, changes or removes peers live on whichever backend runs iface. 0 or -errno: -ENODEV
 * for no such interface, -EPERM or -EACCES, -EINVAL for a change refused before anything is
 * sent, or the backend's own error. Removing a peer that is not there, or updating one with
 * update_only, succeeds and changes nothing, on both backends.
 */
int backend_set_peers(const char *iface, const struct wg_peer_change *c, size_t n);

#endif
