/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What every cmocka test file includes first. */
#ifndef WGSTAR_TEST_COMMON_H
#define WGSTAR_TEST_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#endif
