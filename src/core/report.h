/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One snapshot printed for people (an aligned table) or for programs (JSON, a stable schema). */
#ifndef WGSTAR_REPORT_H
#define WGSTAR_REPORT_H

#include <stdbool.h>
#include <stdio.h>
#include "model.h"

/* Version of the JSON schema; raised only on an incompatible change. */
#define REPORT_JSON_VERSION 1

/* 0, or -errno when writing failed. */
int report_json(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd);
int report_text(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd, bool utf8);

/* s as a JSON string (null for NULL; stray bytes as U+FFFD). 0 or -ENOMEM. */
int report_put_string(FILE *out, const char *s);

#endif
