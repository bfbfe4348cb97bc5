/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rollback guard: a firewall change taken back unless it is confirmed in time, the way
 * `commit confirmed` works on routers. The change is recorded in the run directory before it
 * goes live; the guard is a process of its own (`wgstar-top firewall guard`), started by exec,
 * that outlives its caller and the caller's terminal. A guard that died leaves the record
 * behind, so the change is never silently kept: status shows it UNGUARDED, and confirm or
 * rollback finish it.
 */
#ifndef WGSTAR_GUARD_H
#define WGSTAR_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include "errmsg.h"
#include "firewall.h"

#define GUARD_RUN_DIR "/run/wgstar"
#define GUARD_DEFAULT_TIMEOUT 30

enum guard_cmd { GUARD_CONFIRM, GUARD_ROLLBACK };

/*
 * The run directory is created 0700 when create is set and absent; it must be a directory (not
 * a link), owned by this user, writable by nobody else. 0, or -errno with err saying why.
 */
int guard_dir_check(const char *dir, bool create, struct errmsg *err);

/*
 * Serialises firewall changes from the check for a pending one until its guard has taken over.
 * The lock's fd, or -EWOULDBLOCK (another process holds it: *holder is its pid, or 0), -errno.
 */
int guard_lock(const char *dir, bool wait, int *holder);
void guard_unlock(int fd);

/* The change waiting for confirmation: 0, -ENOENT for none, -errno. Free with firewall_pending_free. */
int guard_read(const char *dir, struct firewall_pending *p);
/* Whether its guard still runs. */
bool guard_alive(const struct firewall_pending *p);

/*
 * Commits the plan (validated before, for the generation of its preview) under a guard, with
 * the lock held and nothing pending: the record first, then the batch, then the guard started
 * and waited for. If the guard cannot be started the change is rolled back at once (-ECHILD).
 * On a refused batch, what (len bytes) names the command the kernel refused; -ERESTART: the ruleset changed
 * since the preview beyond wgstar's own set elements.
 */
int guard_commit(const char *dir, struct firewall_plan *plan, const struct wg_snapshot *snap,
		 unsigned int timeout, const char *by, char *what, size_t len);

/*
 * Confirms or rolls back the pending change: through its guard while it runs, by this process
 * when it has died. 0 with *result (malloc'd) as guard_result gives it; -ENOENT for nothing
 * pending; -ETIMEDOUT when a live guard did not finish in time.
 */
int guard_finish(const char *dir, enum guard_cmd cmd, char **result);

/* What the last guard said: "OUTCOME WHY\nmessage\n", OUTCOME one of confirmed, same, differs, failed. */
int guard_result(const char *dir, char **out);

/* Where the events of a change's end go (wgstar's database; NULL: the default), and its guard's. */
void guard_set_db(const char *db);

/* The guard process itself: waits, then confirms or rolls back. Its exit status. */
int guard_main(const char *dir);

/* What is pending, for the console's header: 0 nothing, 1 guarded, -1 UNGUARDED; *left in seconds. */
int guard_state(const char *dir, double *left);

#endif
