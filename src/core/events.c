// SPDX-License-Identifier: GPL-2.0-or-later
/* Events: what changed between two samples, and what a command did. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include "events.h"
#include "format.h"
#include "key.h"
#include "rates.h"
#include "report.h"

static const struct {
	const char *name;
	const char *id;			/* MESSAGE_ID: never changes, whatever the wording */
	int priority;
} types[N_EVENT_TYPES] = {
	[EV_PEER_ONLINE] = { "peer_online", "d3e523018c494ec093ff80e686e8d6db", LOG_INFO },
	[EV_PEER_OFFLINE] = { "peer_offline", "d2405f1b0eb049659f91f658a38cbab4", LOG_NOTICE },
	[EV_ENDPOINT_CHANGED] = { "endpoint_changed", "2b9e2693b5704aa1a362c9637b59da11", LOG_INFO },
	[EV_PEER_ADDED] = { "peer_added", "e7aa1adc7e144188a2b0bee33a275ff0", LOG_NOTICE },
	[EV_PEER_REMOVED] = { "peer_removed", "c7121b6abecf4aa3808c583e946f179c", LOG_NOTICE },
	[EV_COUNTERS_RESET] = { "counters_reset", "aca9b2f249a64bbca36c3dc4291defbf", LOG_INFO },
	[EV_INTERFACE_UP] = { "interface_up", "af88fd10ae05440d94a007fe3bbee9e0", LOG_NOTICE },
	[EV_INTERFACE_DOWN] = { "interface_down", "10f0cbebd9754cfc94276405c1e63141", LOG_WARNING },
	[EV_FORWARDING_CHANGED] = { "forwarding_changed", "8db622e06c854b6394a56784c5e4ef42", LOG_WARNING },
	[EV_TRAFFIC_REFUSED] = { "traffic_refused", "7e98fcbaf697480bb704b99f29a730a4", LOG_NOTICE },
	[EV_FIREWALL_APPLIED] = { "firewall_applied", "c43baea1b37048ce8ae2c835f45f7f71", LOG_NOTICE },
	[EV_FIREWALL_CONFIRMED] = { "firewall_confirmed", "fb1da639b1184611ad0c7673c8abb5f1", LOG_NOTICE },
	[EV_FIREWALL_ROLLED_BACK] = { "firewall_rolled_back", "c314e16b64dc484794b9204331bb51d4", LOG_WARNING },
	[EV_GUARD_LOST] = { "guard_lost", "af266053b83d4a49b257748d0e351c7a", LOG_ERR },
	[EV_PEER_ONBOARDED] = { "peer_onboarded", "9c288190aac34d048be804fe44539aa6", LOG_NOTICE },
	[EV_PEER_OFFBOARDED] = { "peer_offboarded", "d36cc8c1cf1146afbdc6830a48a5d091", LOG_NOTICE },
	[EV_PEER_RENAMED] = { "peer_renamed", "5c578c97c7874a159709297f7cd534c6", LOG_NOTICE },
	[EV_FORWARDING_SWITCHED] = { "forwarding_switched", "7dcc332402a6495f9dae4339942c9ffe", LOG_NOTICE },
};

const char *event_type_name(enum event_type t)
{
	return t < N_EVENT_TYPES ? types[t].name : "?";
}

int event_type_parse(const char *name)
{
	for (int t = 0; t < N_EVENT_TYPES; ++t)
		if (!strcmp(types[t].name, name))
			return t;
	return -1;
}

const char *event_message_id(enum event_type t)
{
	return t < N_EVENT_TYPES ? types[t].id : "00000000000000000000000000000000";
}

int event_priority(enum event_type t)
{
	return t < N_EVENT_TYPES ? types[t].priority : LOG_INFO;
}

int event_list_add(struct event_list *l, const struct event *e)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct event *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *e;
	return 0;
}

void event_list_free(struct event_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void event_action(struct event *e, enum event_type t, int64_t now, const char *iface, const char *by,
		  const char *summary)
{
	memset(e, 0, sizeof(*e));
	e->time = now;
	e->type = t;
	snprintf(e->iface, sizeof(e->iface), "%s", iface ? iface : "");
	snprintf(e->by, sizeof(e->by), "%s", by ? by : "");
	snprintf(e->summary, sizeof(e->summary), "%s", summary ? summary : "");
}

/* --- what changed between two samples --- */

static void about_peer(struct event *e, enum event_type t, int64_t now, const struct wg_device *dev,
		       const struct wg_peer *p)
{
	memset(e, 0, sizeof(*e));
	e->time = now;
	e->type = t;
	memcpy(e->iface, dev->name, sizeof(e->iface));
	e->has_key = true;
	memcpy(e->key, p->public_key, WG_KEY_LEN);
	if (p->name)
		snprintf(e->name, sizeof(e->name), "%s", p->name);
	format_endpoint(e->endpoint, sizeof(e->endpoint), &p->endpoint);
}

/* The peer as a summary names it: its name, or the start of its key. */
static const char *who(const struct event *e, char *buf, size_t len)
{
	char b64[WG_KEY_B64_LEN];

	if (e->name[0])
		return e->name;
	key_to_base64(b64, e->key);
	snprintf(buf, len, "%.8s...", b64);
	return buf;
}

static int peer_events(const struct wg_device *pd, int64_t pt, const struct wg_device *cd, int64_t ct,
		       struct event_list *out)
{
	struct event e;
	char n[32];
	int ret;

	uint32_t near = 0;

	for (uint32_t i = 0; i < cd->n_peers; ++i) {
		const struct wg_peer *c = &cd->peers[i], *p = wg_device_find_peer_near(pd, c->public_key, &near);
		enum peer_state ps, cs;
		char old_ep[64];

		cs = peer_state(c->last_handshake_sec, ct);
		if (!p) {
			about_peer(&e, EV_PEER_ADDED, ct, cd, c);
			snprintf(e.summary, sizeof(e.summary), "peer %s added to %s", who(&e, n, sizeof(n)), cd->name);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
			/* Added and handshaken between two samples: online too. */
			if (cs != PEER_ONLINE)
				continue;
			about_peer(&e, EV_PEER_ONLINE, ct, cd, c);
			snprintf(e.summary, sizeof(e.summary), "peer %s online on %s%s%s", who(&e, n, sizeof(n)), cd->name,
				 e.endpoint[0] ? " from " : "", e.endpoint);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
			continue;
		}
		ps = peer_state(p->last_handshake_sec, pt);
		if (cs == PEER_ONLINE && ps != PEER_ONLINE) {
			about_peer(&e, EV_PEER_ONLINE, ct, cd, c);
			snprintf(e.summary, sizeof(e.summary), "peer %s online on %s%s%s", who(&e, n, sizeof(n)), cd->name,
				 e.endpoint[0] ? " from " : "", e.endpoint);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
		} else if (ps == PEER_ONLINE && cs != PEER_ONLINE) {
			about_peer(&e, EV_PEER_OFFLINE, ct, cd, c);
			snprintf(e.summary, sizeof(e.summary), "peer %s offline on %s: no handshake for %d s",
				 who(&e, n, sizeof(n)), cd->name, PEER_ONLINE_SECONDS);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
		}
		format_endpoint(old_ep, sizeof(old_ep), &p->endpoint);
		about_peer(&e, EV_ENDPOINT_CHANGED, ct, cd, c);
		if (old_ep[0] && e.endpoint[0] && strcmp(old_ep, e.endpoint)) {
			snprintf(e.old_endpoint, sizeof(e.old_endpoint), "%s", old_ep);
			snprintf(e.summary, sizeof(e.summary), "peer %s on %s moved from %s to %s", who(&e, n, sizeof(n)),
				 cd->name, old_ep, e.endpoint);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
		}
		if (c->rx_bytes < p->rx_bytes || c->tx_bytes < p->tx_bytes) {
			about_peer(&e, EV_COUNTERS_RESET, ct, cd, c);
			snprintf(e.summary, sizeof(e.summary), "counters of peer %s on %s started over", who(&e, n, sizeof(n)),
				 cd->name);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
		}
	}
	near = 0;
	for (uint32_t i = 0; i < pd->n_peers; ++i) {
		const struct wg_peer *p = &pd->peers[i];

		if (wg_device_find_peer_near(cd, p->public_key, &near))
			continue;
		about_peer(&e, EV_PEER_REMOVED, ct, pd, p);
		snprintf(e.summary, sizeof(e.summary), "peer %s removed from %s", who(&e, n, sizeof(n)), pd->name);
		if ((ret = event_list_add(out, &e)) < 0)
			return ret;
	}
	return 0;
}

static struct events_refused *refused_find(struct events_state *st, const char *iface, const uint8_t *from,
					   const uint8_t *to, bool to_hub)
{
	for (size_t i = 0; i < st->n_refused; ++i) {
		struct events_refused *r = &st->refused[i];

		if (!strncmp(r->iface, iface, IFNAMSIZ) && !memcmp(r->from, from, WG_KEY_LEN) && r->to_hub == to_hub &&
		    (to_hub || !memcmp(r->to, to, WG_KEY_LEN)))
			return r;
	}
	if (st->n_refused == st->cap_refused) {
		size_t cap = st->cap_refused ? st->cap_refused * 2 : 16;
		struct events_refused *v = realloc(st->refused, cap * sizeof(*v));

		if (!v)
			return NULL;
		st->refused = v;
		st->cap_refused = cap;
	}
	memset(&st->refused[st->n_refused], 0, sizeof(*st->refused));
	snprintf(st->refused[st->n_refused].iface, IFNAMSIZ, "%s", iface);
	memcpy(st->refused[st->n_refused].from, from, WG_KEY_LEN);
	if (!to_hub)
		memcpy(st->refused[st->n_refused].to, to, WG_KEY_LEN);
	st->refused[st->n_refused].to_hub = to_hub;
	st->refused[st->n_refused].said = INT64_MIN;
	return &st->refused[st->n_refused++];
}

/* A refused pair whose count moved, said at most every EVENTS_REFUSED_EVERY seconds. */
static int refused_events(const struct wg_device *dev, int64_t now, struct events_state *st, struct event_list *out)
{
	const struct wg_policy *pol = dev->policy;
	char n[32], m[32];

	for (uint32_t i = 0; pol && pol->in_force && i < pol->n_refused; ++i) {
		const struct wg_refused *rf = &pol->refused[i];
		bool to_hub = rf->to == WG_REFUSED_HUB;
		const struct wg_peer *from, *to;
		struct events_refused *r;
		struct event e;
		int ret;

		if (rf->from >= dev->n_peers || (!to_hub && rf->to >= dev->n_peers))
			continue;
		from = &dev->peers[rf->from];
		to = to_hub ? NULL : &dev->peers[rf->to];
		if (!(r = refused_find(st, dev->name, from->public_key, to ? to->public_key : NULL, to_hub)))
			return -ENOMEM;
		if (rf->packets == r->packets || (r->said != INT64_MIN && now - r->said < EVENTS_REFUSED_EVERY))
			continue;
		r->packets = rf->packets;
		r->said = now;
		about_peer(&e, EV_TRAFFIC_REFUSED, now, dev, from);
		if (to) {
			struct event t;

			about_peer(&t, EV_TRAFFIC_REFUSED, now, dev, to);
			snprintf(e.summary, sizeof(e.summary), "the hub policy of %s refused %s -> %s (%llu packets lately)",
				 dev->name, who(&e, n, sizeof(n)), who(&t, m, sizeof(m)), (unsigned long long)rf->packets);
		} else {
			snprintf(e.summary, sizeof(e.summary), "the hub policy of %s refused %s -> the hub (%llu packets lately)",
				 dev->name, who(&e, n, sizeof(n)), (unsigned long long)rf->packets);
		}
		if ((ret = event_list_add(out, &e)) < 0)
			return ret;
	}
	return 0;
}

static const char *onoff(int v)
{
	return v ? "on" : "off";
}

int events_diff(const struct wg_snapshot *prev, const struct fwd_state *prev_fwd, const struct wg_snapshot *cur,
		const struct fwd_state *cur_fwd, struct events_state *st, struct event_list *out)
{
	int64_t now = cur->wall.tv_sec;
	struct event e;
	int ret;

	for (size_t d = 0; d < cur->n_devices; ++d)
		if ((ret = refused_events(cur->devices[d], now, st, out)) < 0)
			return ret;
	if (!prev)
		return 0;
	for (size_t d = 0; d < cur->n_devices; ++d) {
		const struct wg_device *cd = cur->devices[d], *pd = wg_snapshot_find_device(prev, cd->name);

		if (!pd) {
			event_action(&e, EV_INTERFACE_UP, now, cd->name, NULL, NULL);
			snprintf(e.summary, sizeof(e.summary), "%s is up with %u peers", cd->name, cd->n_peers);
			if ((ret = event_list_add(out, &e)) < 0)
				return ret;
			continue;
		}
		if ((ret = peer_events(pd, prev->wall.tv_sec, cd, now, out)) < 0)
			return ret;
	}
	for (size_t d = 0; d < prev->n_devices; ++d) {
		if (wg_snapshot_find_device(cur, prev->devices[d]->name))
			continue;
		event_action(&e, EV_INTERFACE_DOWN, now, prev->devices[d]->name, NULL, NULL);
		snprintf(e.summary, sizeof(e.summary), "%s is gone", prev->devices[d]->name);
		if ((ret = event_list_add(out, &e)) < 0)
			return ret;
	}
	if (prev_fwd && cur_fwd && prev_fwd->ipv4 >= 0 && cur_fwd->ipv4 >= 0 && prev_fwd->ipv6 >= 0 &&
	    cur_fwd->ipv6 >= 0 && (prev_fwd->ipv4 != cur_fwd->ipv4 || prev_fwd->ipv6 != cur_fwd->ipv6)) {
		event_action(&e, EV_FORWARDING_CHANGED, now, NULL, NULL, NULL);
		snprintf(e.summary, sizeof(e.summary), "forwarding is now IPv4 %s, IPv6 %s (was IPv4 %s, IPv6 %s)",
			 onoff(cur_fwd->ipv4), onoff(cur_fwd->ipv6), onoff(prev_fwd->ipv4), onoff(prev_fwd->ipv6));
		if ((ret = event_list_add(out, &e)) < 0)
			return ret;
	}
	return 0;
}

void events_state_free(struct events_state *st)
{
	free(st->refused);
	memset(st, 0, sizeof(*st));
}

/* --- as JSON --- */

static int put_field(FILE *out, const char *key, const char *v)
{
	fprintf(out, ",\"%s\":", key);
	return report_put_string(out, v && v[0] ? v : NULL);
}

int events_json(FILE *out, const struct event *v, size_t n)
{
	int ret;

	fputs("{\"events\":[", out);
	for (size_t i = 0; i < n; ++i) {
		const struct event *e = &v[i];
		char b64[WG_KEY_B64_LEN];

		fprintf(out, "%s{\"time\":%lld,\"event\":\"%s\"", i ? "," : "", (long long)e->time, event_type_name(e->type));
		if ((ret = put_field(out, "interface", e->iface)) < 0)
			return ret;
		if (e->has_key) {
			key_to_base64(b64, e->key);
			fprintf(out, ",\"public_key\":\"%s\"", b64);
		} else {
			fputs(",\"public_key\":null", out);
		}
		if ((ret = put_field(out, "name", e->name)) < 0 || (ret = put_field(out, "endpoint", e->endpoint)) < 0 ||
		    (ret = put_field(out, "old_endpoint", e->old_endpoint)) < 0 || (ret = put_field(out, "by", e->by)) < 0 ||
		    (ret = put_field(out, "summary", e->summary)) < 0)
			return ret;
		fputc('}', out);
	}
	fputs("]}\n", out);
	return ferror(out) ? -EIO : 0;
}
