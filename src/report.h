/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_REPORT_H
#define WGSTAR_REPORT_H
#endif
