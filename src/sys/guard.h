/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The rollback guard: a firewall change taken back unless it is confirmed in time. */
#ifndef WGSTAR_GUARD_H
#define WGSTAR_GUARD_H

#include <stdbool.h>
#include "firewall.h"

#define FIREWALL_RUN_DIR "/run/wgstar"

/* The guard: started after a commit; rolls back after timeout seconds unless confirmed. */
const char *firewall_run_dir(void);
/* Saves the ruleset before the change (run dir/before.nft), before anything is changed. */
int firewall_save(const struct firewall_plan *plan);
int firewall_guard_start(struct firewall_plan *plan, const struct wg_snapshot *snap, unsigned int timeout);

/* Takes the plan's committed changes back at once, as the guard would; the result as the guard's. */
void firewall_undo(struct firewall_plan *plan, const struct wg_snapshot *snap);

enum firewall_guard_cmd { FIREWALL_CONFIRM, FIREWALL_ROLLBACK };

/* 0 when done; -ENOENT when no change waits for confirmation. */
int firewall_guard_signal(enum firewall_guard_cmd cmd, unsigned int wait_seconds);
bool firewall_pending(void);
/* What the guard said last: confirmed, or how the rollback went. 0 or -errno. */
int firewall_guard_result(char **out);

#endif
