/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_NAMES_H
#define WGSTAR_NAMES_H
#endif
