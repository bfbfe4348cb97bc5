/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One snapshot in the Prometheus text exposition format (version 0.0.4). */
#ifndef WGSTAR_PROM_H
#define WGSTAR_PROM_H

#include <stdio.h>
#include "model.h"

/* What node_exporter's textfile collector reads: any name ending in ".prom". */
#define PROM_TEXTFILE_NAME "wgstar.prom"

struct prom_source {
	const struct wg_snapshot *snap;		/* NULL: reading failed, say only that */
	const struct fwd_state *fwd;
};

/* 0, or -errno (-ENOMEM, or -EIO when writing failed). */
int prom_write(FILE *out, const struct prom_source *src);

#endif
