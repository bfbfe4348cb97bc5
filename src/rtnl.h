/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_RTNL_H
#define WGSTAR_RTNL_H
#endif
