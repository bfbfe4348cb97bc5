/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Big peer arrays as mappings of their own, the last one freed kept for the next snapshot. */
#ifndef WGSTAR_PEERMAP_H
#define WGSTAR_PEERMAP_H

/* Gives the model this allocator for its big peer arrays; call before any device exists. */
void peermap_install(void);

#endif
