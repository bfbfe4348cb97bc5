/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The heap of a command that reads a whole hub once and exits. */
#ifndef WGSTAR_HEAP_H
#define WGSTAR_HEAP_H

#include <stddef.h>

/*
 * Lays out malloc for a burst of about bytes of short-lived arrays: one arena for every thread,
 * large blocks from the heap rather than a mapping each, and that heap grown at once and backed
 * by transparent huge pages where the kernel offers them (madvise mode). Call it before any
 * thread starts. A hint only: what fails is left as it was.
 */
void heap_prepare_burst(size_t bytes);

#endif
