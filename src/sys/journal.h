/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Events to the systemd journal, with fields of their own; to syslog where no journal runs. */
#ifndef WGSTAR_JOURNAL_H
#define WGSTAR_JOURNAL_H

#include "events.h"

#define JOURNAL_IDENTIFIER "wgstar"

/*
 * The event with MESSAGE (its summary), MESSAGE_ID, PRIORITY, SYSLOG_IDENTIFIER=wgstar and
 * WGSTAR_EVENT, WGSTAR_IFACE, WGSTAR_PEER_KEY, WGSTAR_PEER_NAME, WGSTAR_ENDPOINT,
 * WGSTAR_OLD_ENDPOINT, WGSTAR_BY where they apply. 0, or -errno when neither took it.
 */
int journal_event(const struct event *e);

/*
 * What a command did, said everywhere it is heard: the journal (or syslog) and, when it
 * exists, the database at db (NULL: the default), which only the recorder creates.
 */
void eventlog_action(const struct event *e, const char *db);

#endif
