// SPDX-License-Identifier: GPL-2.0-or-later
/* Events to the journal (libsystemd), or syslog; what a command did, to the database too. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include "db.h"
#include "dynlib.h"
#include "journal.h"
#include "key.h"

#define MAX_FIELDS 12

/*
 * libsystemd is loaded when the first event is sent, not when the program starts: it and the
 * six libraries it needs cost every start of wgstar-top some 2 ms (ten times that under an
 * emulated CPU), for `--once` and every peer command, of which only a few send an event.
 */
#define LIBSYSTEMD_SONAME "libsystemd.so.0"

static pthread_once_t sendv_once = PTHREAD_ONCE_INIT;
static __typeof__(sd_journal_sendv) *sendv_fn;

static void sendv_load(void)
{
	static const struct dynlib_fn fns[] = { { "sd_journal_sendv", (void **)&sendv_fn } };

	dynlib_load(LIBSYSTEMD_SONAME, fns, 1, NULL, 0);
}

/* sd_journal_sendv(3), or -ENOSYS without libsystemd (then syslog has the event). */
static int journal_sendv(const struct iovec *iov, int n)
{
	pthread_once(&sendv_once, sendv_load);
	return sendv_fn ? sendv_fn(iov, n) : -ENOSYS;
}

static void field(struct iovec *iov, size_t *n, char *buf, size_t len, const char *name, const char *value)
{
	int w;

	if (!value || !value[0] || *n == MAX_FIELDS)
		return;
	w = snprintf(buf, len, "%s=%s", name, value);
	if (w < 0)
		return;
	iov[*n].iov_base = buf;
	iov[*n].iov_len = (size_t)w < len ? (size_t)w : len - 1;
	++*n;
}

int journal_event(const struct event *e)
{
	char bufs[MAX_FIELDS][EVENT_TEXT_MAX + 64], prio[4], b64[WG_KEY_B64_LEN] = "";
	struct iovec iov[MAX_FIELDS];
	size_t n = 0, b = 0;
	int ret;

	snprintf(prio, sizeof(prio), "%d", event_priority(e->type));
	if (e->has_key)
		key_to_base64(b64, e->key);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "MESSAGE", e->summary[0] ? e->summary : event_type_name(e->type));
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "MESSAGE_ID", event_message_id(e->type));
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "PRIORITY", prio);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "SYSLOG_IDENTIFIER", JOURNAL_IDENTIFIER);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_EVENT", event_type_name(e->type));
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_IFACE", e->iface);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_PEER_KEY", b64);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_PEER_NAME", e->name);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_ENDPOINT", e->endpoint);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_OLD_ENDPOINT", e->old_endpoint);
	field(iov, &n, bufs[b++], sizeof(bufs[0]), "WGSTAR_BY", e->by);
	/* Without a journal to take it (no systemd, a container), syslog has the summary. */
	ret = access("/run/systemd/journal/socket", F_OK) == 0 ? journal_sendv(iov, (int)n) : -ENOENT;
	if (ret < 0) {
		openlog(JOURNAL_IDENTIFIER, LOG_PID, LOG_DAEMON);
		syslog(event_priority(e->type), "%s: %s", event_type_name(e->type), e->summary);
		closelog();
	}
	return 0;
}

void eventlog_action(const struct event *e, const char *path)
{
	const char *p = path ? path : DB_PATH;
	struct errmsg err;
	struct db *db;

	journal_event(e);
	if (access(p, F_OK) < 0 || db_open(&db, p, true, &err) < 0)
		return;
	db_event_add(db, e);
	db_close(db);
}
