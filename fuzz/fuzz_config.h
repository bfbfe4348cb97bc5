/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What configure would define, for harnesses built outside the autotools build. */
#define _GNU_SOURCE 1
