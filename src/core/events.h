/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What happened on the hub, as events: derived from two consecutive snapshots (a peer comes
 * online, goes stale, roams, appears, vanishes, has its counters reset; an interface comes or
 * goes; forwarding is switched; the policy refuses a pair), or written by the command that
 * acted (a firewall change applied, confirmed, rolled back; a peer onboarded...). No I/O.
 */
#ifndef WGSTAR_EVENTS_H
#define WGSTAR_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "model.h"

enum event_type {
	EV_PEER_ONLINE,			/* a handshake after none, or after being stale */
	EV_PEER_OFFLINE,		/* no handshake for PEER_ONLINE_SECONDS: stale, said once */
	EV_ENDPOINT_CHANGED,
	EV_PEER_ADDED,			/* seen live that was not */
	EV_PEER_REMOVED,
	EV_COUNTERS_RESET,		/* rx or tx went down: the peer was re-added, or the interface made anew */
	EV_INTERFACE_UP,
	EV_INTERFACE_DOWN,
	EV_FORWARDING_CHANGED,
	EV_TRAFFIC_REFUSED,		/* the hub policy refused a pair, at most once in EVENTS_REFUSED_EVERY */
	/* What a wgstar command did, with who did it. */
	EV_FIREWALL_APPLIED,
	EV_FIREWALL_CONFIRMED,
	EV_FIREWALL_ROLLED_BACK,
	EV_GUARD_LOST,
	EV_PEER_ONBOARDED,
	EV_PEER_OFFBOARDED,
	EV_PEER_RENAMED,
	EV_FORWARDING_SWITCHED,
	N_EVENT_TYPES,
};

/* A refused pair is said again at most this often (seconds). */
#define EVENTS_REFUSED_EVERY 600
#define EVENT_TEXT_MAX 256

struct event {
	int64_t time;			/* unix seconds */
	enum event_type type;
	char iface[IFNAMSIZ];		/* "" when not about one */
	bool has_key;
	uint8_t key[WG_KEY_LEN];
	char name[64];			/* the peer's, "" when none */
	char endpoint[64];		/* the new one; "" when it does not apply */
	char old_endpoint[64];
	char by[192];			/* who acted: user, sudo user, ssh client; "" for what was seen */
	char summary[EVENT_TEXT_MAX];	/* one line, for people (untranslated: the journal's) */
};

struct event_list {
	struct event *v;
	size_t n, cap;
};

/* "peer_online", ...: stable, as the journal's WGSTAR_EVENT and the JSON have it. */
const char *event_type_name(enum event_type t);
/* The type of a name, or -1. */
int event_type_parse(const char *name);
/* The journal's MESSAGE_ID of a type: 32 hex digits, one per type, never changed. */
const char *event_message_id(enum event_type t);
/* The journal's PRIORITY (syslog level) of a type. */
int event_priority(enum event_type t);

/* What the diff remembers between samples besides the snapshot: refusals said lately. */
struct events_refused {
	char iface[IFNAMSIZ];
	uint8_t from[WG_KEY_LEN];
	uint8_t to[WG_KEY_LEN];		/* zeroes for the hub */
	bool to_hub;
	uint64_t packets;		/* the count last seen */
	int64_t said;			/* when an event was last written for the pair */
};

struct events_state {
	struct events_refused *refused;
	size_t n_refused, cap_refused;
};

/*
 * The events between prev (NULL for the first sample: only refusals are said) and cur, taken
 * at cur->wall; forwarding states alike (-1 unknown). Appended to out. 0 or -ENOMEM.
 */
int events_diff(const struct wg_snapshot *prev, const struct fwd_state *prev_fwd, const struct wg_snapshot *cur,
		const struct fwd_state *cur_fwd, struct events_state *st, struct event_list *out);
void events_state_free(struct events_state *st);

int event_list_add(struct event_list *l, const struct event *e);
void event_list_free(struct event_list *l);

/* An event of what a command did: time, type, the rest filled by the caller. */
void event_action(struct event *e, enum event_type t, int64_t now, const char *iface, const char *by,
		  const char *summary);

/* The list as `log --json` prints it: {"events": [...]}, fields as event has them, null where empty. */
int events_json(FILE *out, const struct event *v, size_t n);

#endif
