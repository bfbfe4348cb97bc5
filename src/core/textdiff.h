/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A unified diff of two texts, line by line, as diff -u prints it; optionally coloured. */
#ifndef WGSTAR_TEXTDIFF_H
#define WGSTAR_TEXTDIFF_H

#include <stdbool.h>
#include <stdio.h>

#define TEXTDIFF_CONTEXT 3

/*
 * Writes the diff from a to b under the two labels; nothing when they are equal. Returns 1
 * when they differ, 0 when equal, -ENOMEM. Large changed stretches are shown as removed and
 * added whole rather than matched line by line.
 */
int textdiff_unified(FILE *out, const char *a, const char *b, const char *label_a, const char *label_b,
		     bool color);

#endif
