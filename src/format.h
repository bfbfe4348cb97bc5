/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_FORMAT_H
#define WGSTAR_FORMAT_H
#endif
