// SPDX-License-Identifier: GPL-2.0-or-later
/* One snapshot in the Prometheus text exposition format (version 0.0.4). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "format.h"
#include "key.h"
#include "prom.h"
#include "text.h"
#include "rates.h"

/*
 * Every sample of a family must follow its HELP and TYPE lines, so the peers are walked
 * once per family; their label sets are escaped once, up front, into one buffer.
 */
struct buf {
	char *s;
	size_t len;
	size_t cap;
};

struct row {
	const struct wg_device *dev;
	const struct wg_peer *peer;
	const struct wg_forwarded *forwarded;	/* NULL when not counted */
	size_t labels;		/* offset in the label buffer: interface="",public_key="",name="" */
	size_t labels_len;
	enum peer_state state;
};

static int buf_reserve(struct buf *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *s;

	if (n > SIZE_MAX - b->len)
		return -ENOMEM;
	if (b->len + n <= b->cap)
		return 0;
	while (cap < b->len + n)
		cap *= 2;
	s = realloc(b->s, cap);
	if (!s)
		return -ENOMEM;
	b->s = s;
	b->cap = cap;
	return 0;
}

static int buf_put(struct buf *b, const char *s, size_t n)
{
	int ret;

	if (!n)
		return 0;
	if ((ret = buf_reserve(b, n)) < 0)
		return ret;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	return 0;
}

/*
 * A label value as the exposition format wants it: backslash, double quote and line feed
 * escaped. Prometheus rejects a whole scrape over one label that is not UTF-8, and interface
 * names are any bytes, so a byte that starts no valid sequence becomes U+FFFD.
 */
static int buf_put_value(struct buf *b, const char *value)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = strlen(value);
	int ret;

	/* Each byte becomes at most three: U+FFFD. */
	if ((ret = buf_reserve(b, n * 3)) < 0)
		return ret;
	while (*s) {
		uint32_t cp;
		size_t len = text_utf8_next((const char *)s, strnlen((const char *)s, 4), &cp);
		char *d = b->s + b->len;

		if (*s == '\\' || *s == '"' || *s == '\n') {
			d[0] = '\\';
			d[1] = *s == '\n' ? 'n' : (char)*s;
			b->len += 2;
		} else if (!len) {
			memcpy(d, "\xef\xbf\xbd", 3);
			b->len += 3;
			len = 1;
		} else {
			memcpy(d, s, len);
			b->len += len;
		}
		s += len;
	}
	return 0;
}

static int buf_put_label(struct buf *b, const char *name, const char *value, bool first)
{
	int ret;

	if ((ret = buf_put(b, ",", !first)) < 0 || (ret = buf_put(b, name, strlen(name))) < 0 ||
	    (ret = buf_put(b, "=\"", 2)) < 0 || (ret = buf_put_value(b, value)) < 0)
		return ret;
	return buf_put(b, "\"", 1);
}

static void put_u64(FILE *out, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite(p, 1, (size_t)(buf + sizeof(buf) - p), out);
}

static void put_family(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{labels[,extra]} v */
static void put_sample(FILE *out, const char *name, const char *labels, size_t labels_len,
		       const char *extra, uint64_t v)
{
	fputs(name, out);
	fputc('{', out);
	fwrite(labels, 1, labels_len, out);
	if (extra)
		fputs(extra, out);
	fputs("} ", out);
	put_u64(out, v);
	fputc('\n', out);
}

enum peer_field {
	F_HANDSHAKE,
	F_RX,
	F_TX,
	F_KEEPALIVE,
	F_FWD_FROM_PACKETS,
	F_FWD_FROM_BYTES,
	F_FWD_TO_PACKETS,
	F_FWD_TO_BYTES,
};

static const struct {
	const char *name;
	const char *type;
	const char *help;
	bool forwarded;
} peer_families[] = {
	[F_HANDSHAKE] = { "wgstar_peer_latest_handshake_timestamp_seconds", "gauge",
			  "Unix time of the latest handshake with the peer, 0 when there was none.", false },
	[F_RX] = { "wgstar_peer_receive_bytes_total", "counter",
		   "Bytes received from the peer since the interface came up.", false },
	[F_TX] = { "wgstar_peer_transmit_bytes_total", "counter",
		   "Bytes sent to the peer since the interface came up.", false },
	[F_KEEPALIVE] = { "wgstar_peer_persistent_keepalive_seconds", "gauge",
			  "Persistent keepalive interval towards the peer, 0 when off.", false },
	[F_FWD_FROM_PACKETS] = { "wgstar_peer_forwarded_from_packets_total", "counter",
				 "Packets from the peer that the hub forwarded.", true },
	[F_FWD_FROM_BYTES] = { "wgstar_peer_forwarded_from_bytes_total", "counter",
			       "Bytes from the peer that the hub forwarded.", true },
	[F_FWD_TO_PACKETS] = { "wgstar_peer_forwarded_to_packets_total", "counter",
			       "Packets the hub forwarded to the peer.", true },
	[F_FWD_TO_BYTES] = { "wgstar_peer_forwarded_to_bytes_total", "counter",
			     "Bytes the hub forwarded to the peer.", true },
};

static uint64_t peer_value(const struct row *r, enum peer_field f)
{
	switch (f) {
	case F_HANDSHAKE:
		return r->peer->last_handshake_sec > 0 ? (uint64_t)r->peer->last_handshake_sec : 0;
	case F_RX:
		return r->peer->rx_bytes;
	case F_TX:
		return r->peer->tx_bytes;
	case F_KEEPALIVE:
		return r->peer->persistent_keepalive;
	case F_FWD_FROM_PACKETS:
		return r->forwarded->from_packets;
	case F_FWD_FROM_BYTES:
		return r->forwarded->from_bytes;
	case F_FWD_TO_PACKETS:
		return r->forwarded->to_packets;
	case F_FWD_TO_BYTES:
	default:
		return r->forwarded->to_bytes;
	}
}

static int peer_labels(struct buf *b, struct row *r)
{
	char b64[WG_KEY_B64_LEN];
	int ret;

	key_to_base64(b64, r->peer->public_key);
	r->labels = b->len;
	if ((ret = buf_put_label(b, "interface", r->dev->name, true)) < 0 ||
	    (ret = buf_put_label(b, "public_key", b64, false)) < 0 ||
	    (ret = buf_put_label(b, "name", r->peer->name ? r->peer->name : "", false)) < 0)
		return ret;
	r->labels_len = b->len - r->labels;
	return 0;
}

/* wgstar_peer_info: the peer's allowed IPs, comma-separated as `wg show dump` lists them. */
static int put_peer_info(FILE *out, struct buf *scratch, const char *labels, const struct row *r)
{
	char ip[FORMAT_BUF];
	int ret;

	scratch->len = 0;
	if ((ret = buf_put(scratch, labels + r->labels, r->labels_len)) < 0 ||
	    (ret = buf_put(scratch, ",allowed_ips=\"", 14)) < 0)
		return ret;
	for (uint32_t i = 0; i < r->peer->n_allowedips; ++i) {
		format_allowedip(ip, sizeof(ip), &r->peer->allowedips[i]);
		if ((ret = buf_put(scratch, ",", i > 0)) < 0 ||
		    (ret = buf_put(scratch, ip, strlen(ip))) < 0)
			return ret;
	}
	if ((ret = buf_put(scratch, "\"", 1)) < 0)
		return ret;
	put_sample(out, "wgstar_peer_info", scratch->s, scratch->len, NULL, 1);
	return 0;
}

static void put_device_families(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd,
				const char *dev_labels, const size_t *dev_off, const uint32_t *online)
{
	static const char *const families[] = { "wgstar_interface_listen_port", "wgstar_interface_peers",
						"wgstar_interface_peers_online" };
	static const char *const helps[] = {
		"UDP port the interface listens on, 0 when none is set.",
		"Peers configured on the interface.",
		"Peers whose latest handshake is at most 180 seconds old.",
	};
	bool any_fwd = fwd && (fwd->ipv4 >= 0 || fwd->ipv6 >= 0);

	for (size_t f = 0; f < 3; ++f) {
		put_family(out, families[f], "gauge", helps[f]);
		for (size_t i = 0; i < snap->n_devices; ++i) {
			const struct wg_device *dev = snap->devices[i];

			put_sample(out, families[f], dev_labels + dev_off[i], dev_off[i + 1] - dev_off[i], NULL,
				   f == 0 ? dev->listen_port : f == 1 ? dev->n_peers : online[i]);
		}
	}
	if (!any_fwd)
		return;
	put_family(out, "wgstar_interface_forwarding", "gauge",
		   "Whether the interface's network namespace forwards packets of the address family "
		   "(net.ipv4.ip_forward, net.ipv6.conf.all.forwarding).");
	for (size_t i = 0; i < snap->n_devices; ++i) {
		if (fwd->ipv4 >= 0)
			put_sample(out, "wgstar_interface_forwarding", dev_labels + dev_off[i],
				   dev_off[i + 1] - dev_off[i], ",family=\"ipv4\"", fwd->ipv4 > 0);
		if (fwd->ipv6 >= 0)
			put_sample(out, "wgstar_interface_forwarding", dev_labels + dev_off[i],
				   dev_off[i + 1] - dev_off[i], ",family=\"ipv6\"", fwd->ipv6 > 0);
	}
}

static int put_interfaces(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd,
			  struct buf *b, const uint32_t *online)
{
	struct buf info = { 0 };
	size_t *off = calloc(snap->n_devices + 1, sizeof(*off));
	char b64[WG_KEY_B64_LEN];
	int ret = 0;

	if (!off)
		return -ENOMEM;
	b->len = 0;
	put_family(out, "wgstar_interface_info", "gauge",
		   "Always 1; labels say the interface's backend and public key.");
	for (size_t i = 0; i < snap->n_devices; ++i) {
		const struct wg_device *dev = snap->devices[i];

		off[i] = b->len;
		if ((ret = buf_put_label(b, "interface", dev->name, true)) < 0)
			goto out;
		if (dev->has_public_key)
			key_to_base64(b64, dev->public_key);
		info.len = 0;
		if ((ret = buf_put(&info, b->s + off[i], b->len - off[i])) < 0 ||
		    (ret = buf_put_label(&info, "backend", dev->backend == WG_BACKEND_KERNEL ? "kernel" :
						   dev->backend == WG_BACKEND_USERSPACE ? "userspace" : "none",
					 false)) < 0 ||
		    (ret = buf_put_label(&info, "public_key", dev->has_public_key ? b64 : "", false)) < 0)
			goto out;
		put_sample(out, "wgstar_interface_info", info.s, info.len, NULL, 1);
	}
	off[snap->n_devices] = b->len;
	put_device_families(out, snap, fwd, b->s, off, online);
out:
	free(info.s);
	free(off);
	return ret;
}

static void put_peer_states(FILE *out, const char *labels, const struct row *rows, size_t n)
{
	static const enum peer_state states[] = { PEER_ONLINE, PEER_STALE, PEER_NEVER };

	put_family(out, "wgstar_peer_state", "gauge",
		   "1 for the peer's state, 0 for the others: online (latest handshake at most 180 "
		   "seconds old), stale (older), never (no handshake).");
	for (size_t i = 0; i < n; ++i) {
		for (size_t s = 0; s < 3; ++s) {
			const char *extra = states[s] == PEER_ONLINE ? ",state=\"online\"" :
					    states[s] == PEER_STALE ? ",state=\"stale\"" : ",state=\"never\"";

			put_sample(out, "wgstar_peer_state", labels + rows[i].labels, rows[i].labels_len,
				   extra, rows[i].state == states[s]);
		}
	}
}

static int put_peers(FILE *out, const struct row *rows, size_t n, const struct buf *labels)
{
	struct buf scratch = { 0 };
	bool any_fwd = false;
	int ret = 0;

	for (size_t i = 0; i < n; ++i)
		any_fwd |= rows[i].forwarded != NULL;
	put_family(out, "wgstar_peer_info", "gauge",
		   "Always 1; the allowed_ips label lists the peer's allowed IPs.");
	for (size_t i = 0; i < n; ++i)
		if ((ret = put_peer_info(out, &scratch, labels->s, &rows[i])) < 0)
			goto out;
	for (size_t f = 0; f < sizeof(peer_families) / sizeof(peer_families[0]); ++f) {
		if (peer_families[f].forwarded && !any_fwd)
			continue;
		put_family(out, peer_families[f].name, peer_families[f].type, peer_families[f].help);
		for (size_t i = 0; i < n; ++i) {
			if (peer_families[f].forwarded && !rows[i].forwarded)
				continue;
			put_sample(out, peer_families[f].name, labels->s + rows[i].labels, rows[i].labels_len,
				   NULL, peer_value(&rows[i], (enum peer_field)f));
		}
		if (f == F_KEEPALIVE)
			put_peer_states(out, labels->s, rows, n);
	}
out:
	free(scratch.s);
	return ret;
}

/* The hub policy: what it refused per pair of peers (or to the hub), what each rule counted. */
static int put_policy(FILE *out, const struct wg_snapshot *snap)
{
	static const char *const refused[] = { "wgstar_policy_refused_packets_total", "wgstar_policy_refused_bytes_total" };
	static const char *const rules[] = { "wgstar_policy_rule_packets_total", "wgstar_policy_rule_bytes_total" };
	struct buf b = { 0 };
	char from[WG_KEY_B64_LEN], to[WG_KEY_B64_LEN], line[16];
	bool any = false;
	int ret = 0;

	for (size_t i = 0; i < snap->n_devices; ++i)
		any |= snap->devices[i]->policy && snap->devices[i]->policy->in_force;
	if (!any)
		return 0;
	for (size_t f = 0; f < 2 && !ret; ++f) {
		put_family(out, refused[f], "counter",
			   f ? "Bytes the hub policy refused from one peer to another (to=\"hub\": to the hub), over "
			       "the pairs refused in the last two minutes." :
			       "Packets the hub policy refused from one peer to another (to=\"hub\": to the hub), over "
			       "the pairs refused in the last two minutes.");
		for (size_t i = 0; i < snap->n_devices && !ret; ++i) {
			const struct wg_device *dev = snap->devices[i];
			const struct wg_policy *p = dev->policy;

			for (uint32_t k = 0; p && p->in_force && k < p->n_refused && !ret; ++k) {
				const struct wg_refused *r = &p->refused[k];

				if (r->from >= dev->n_peers || (r->to != WG_REFUSED_HUB && r->to >= dev->n_peers))
					continue;
				key_to_base64(from, dev->peers[r->from].public_key);
				if (r->to == WG_REFUSED_HUB)
					strcpy(to, "hub");
				else
					key_to_base64(to, dev->peers[r->to].public_key);
				b.len = 0;
				if ((ret = buf_put_label(&b, "interface", dev->name, true)) < 0 ||
				    (ret = buf_put_label(&b, "from", from, false)) < 0 ||
				    (ret = buf_put_label(&b, "to", to, false)) < 0)
					break;
				put_sample(out, refused[f], b.s, b.len, NULL, f ? r->bytes : r->packets);
			}
		}
	}
	for (size_t f = 0; f < 2 && !ret; ++f) {
		put_family(out, rules[f], "counter",
			   f ? "Bytes of the packets each rule of the hub policy decided (line=\"0\": a Default without "
			       "a line): the first of each new connection it allowed, every one it refused." :
			       "Packets each rule of the hub policy decided (line=\"0\": a Default without a line): the "
			       "first of each new connection it allowed, every one it refused.");
		for (size_t i = 0; i < snap->n_devices && !ret; ++i) {
			const struct wg_device *dev = snap->devices[i];
			const struct wg_policy *p = dev->policy;

			for (uint32_t k = 0; p && p->in_force && k < p->n_rules && !ret; ++k) {
				const struct wg_policy_rule *r = &p->rules[k];

				snprintf(line, sizeof(line), "%u", r->line);
				b.len = 0;
				if ((ret = buf_put_label(&b, "interface", dev->name, true)) < 0 ||
				    (ret = buf_put_label(&b, "line", line, false)) < 0 ||
				    (ret = buf_put_label(&b, "action", r->allow ? "allow" : "deny", false)) < 0)
					break;
				put_sample(out, rules[f], b.s, b.len, NULL, f ? r->bytes : r->packets);
			}
		}
	}
	free(b.s);
	return ret;
}

int prom_write(FILE *out, const struct prom_source *src)
{
	const struct wg_snapshot *snap = src->snap;
	struct buf labels = { 0 };
	struct row *rows = NULL;
	uint32_t *online = NULL;
	size_t n = 0;
	int ret = 0;

	put_family(out, "wgstar_read_success", "gauge",
		   "1 when wgstar read every WireGuard interface it watches, 0 when reading failed.");
	fputs(snap ? "wgstar_read_success 1\n" : "wgstar_read_success 0\n", out);
	if (!snap || !snap->n_devices)
		goto out;

	for (size_t i = 0; i < snap->n_devices; ++i)
		n += snap->devices[i]->n_peers;
	rows = calloc(n ? n : 1, sizeof(*rows));
	online = calloc(snap->n_devices, sizeof(*online));
	if (!rows || !online) {
		ret = -ENOMEM;
		goto out;
	}
	n = 0;
	for (size_t i = 0; i < snap->n_devices; ++i) {
		const struct wg_device *dev = snap->devices[i];

		for (uint32_t j = 0; j < dev->n_peers; ++j) {
			struct row *r = &rows[n++];

			r->dev = dev;
			r->peer = &dev->peers[j];
			r->state = peer_state(r->peer->last_handshake_sec, snap->wall.tv_sec);
			/* Without wgstar's counting table these families stay out rather than say 0. */
			r->forwarded = dev->has_flows ? &r->peer->forwarded : NULL;
			online[i] += r->state == PEER_ONLINE;
		}
	}
	if ((ret = put_interfaces(out, snap, src->fwd, &labels, online)) < 0)
		goto out;
	if (!n)
		goto out;
	labels.len = 0;
	for (size_t i = 0; i < n; ++i)
		if ((ret = peer_labels(&labels, &rows[i])) < 0)
			goto out;
	if ((ret = put_peers(out, rows, n, &labels)) < 0)
		goto out;
	ret = put_policy(out, snap);
out:
	free(labels.s);
	free(online);
	free(rows);
	if (!ret && fflush(out) == EOF)
		ret = errno ? -errno : -EIO;
	if (!ret && ferror(out))
		ret = -EIO;
	return ret;
}
