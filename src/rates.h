/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_RATES_H
#define WGSTAR_RATES_H
#endif
