/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_NLWG_H
#define WGSTAR_NLWG_H
#endif
