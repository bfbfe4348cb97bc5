/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_SYSCTL_H
#define WGSTAR_SYSCTL_H
#endif
