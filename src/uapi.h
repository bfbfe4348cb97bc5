/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef WGSTAR_UAPI_H
#define WGSTAR_UAPI_H
#endif
