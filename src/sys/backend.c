// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The facade over both WireGuard backends, for reads and writes. As in wg(8), an interface
 * whose UAPI socket answers is a userspace one; every other name is asked of the kernel.
 */
#include <errno.h>
#include "backend.h"

int backend_list_devices(struct strlist *names)
{
	int ret_kernel, ret_user;

	ret_kernel = kernel_list_devices(names);
	ret_user = userspace_list_devices(names);
	strlist_sort_unique(names);
	/*
	 * One backend failing must not hide the interfaces of the other, but a socket directory
	 * this user may not read (wg-quick makes it 0700) means interfaces may be missing: say so.
	 */
	if (ret_user == -EACCES || ret_user == -EPERM)
		return ret_user;
	if (ret_kernel < 0 && ret_user < 0)
		return ret_kernel;
	if (ret_kernel < 0 && !names->n)
		return ret_kernel;
	if (ret_user < 0 && !names->n)
		return ret_user;
	return 0;
}

int backend_read_device(struct wg_device **dev, const char *iface, uint32_t peers_hint, const struct backend_read *r)
{
	*dev = NULL;
	if (userspace_has_interface(iface))
		return userspace_get_device(dev, iface, peers_hint, r);
	return kernel_get_device(dev, iface, peers_hint);
}

int backend_get_device(struct wg_device **dev, const char *iface, uint32_t peers_hint)
{
	return backend_read_device(dev, iface, peers_hint, NULL);
}

int backend_set_peers(const char *iface, const struct wg_peer_change *c, size_t n)
{
	if (!iface)
		return -ENODEV;
	if (userspace_has_interface(iface))
		return userspace_set_peers(iface, c, n);
	return kernel_set_peers(iface, c, n);
}
