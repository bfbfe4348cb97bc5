// SPDX-License-Identifier: GPL-2.0-or-later
/* One snapshot printed for people (an aligned table) or for programs (JSON, a stable schema). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "rates.h"
#include "report.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *backend_name(enum wg_backend b)
{
	return b == WG_BACKEND_KERNEL ? "kernel" : b == WG_BACKEND_USERSPACE ? "userspace" : "none";
}

static struct json_object *json_tristate(int v)
{
	return v < 0 ? NULL : json_object_new_boolean(v);
}

static struct json_object *json_peer(const struct wg_peer *p, int64_t now)
{
	struct json_object *o = json_object_new_object(), *ips = json_object_new_array();
	char buf[FORMAT_BUF], b64[WG_KEY_B64_LEN];

	if (!o || !ips) {
		json_object_put(o);
		json_object_put(ips);
		return NULL;
	}
	key_to_base64(b64, p->public_key);
	json_object_object_add(o, "name", p->name ? json_object_new_string(p->name) : NULL);
	json_object_object_add(o, "public_key", json_object_new_string(b64));
	json_object_object_add(o, "preshared_key", json_object_new_boolean(p->has_preshared_key));
	format_endpoint(buf, sizeof(buf), &p->endpoint);
	json_object_object_add(o, "endpoint", buf[0] ? json_object_new_string(buf) : NULL);
	for (uint32_t i = 0; i < p->n_allowedips; ++i)
		json_object_array_add(ips, json_object_new_string(
			format_allowedip(buf, sizeof(buf), &p->allowedips[i])));
	json_object_object_add(o, "allowed_ips", ips);
	json_object_object_add(o, "latest_handshake", json_object_new_int64(p->last_handshake_sec));
	json_object_object_add(o, "rx_bytes", json_object_new_uint64(p->rx_bytes));
	json_object_object_add(o, "tx_bytes", json_object_new_uint64(p->tx_bytes));
	json_object_object_add(o, "persistent_keepalive", json_object_new_int(p->persistent_keepalive));
	json_object_object_add(o, "state",
			       json_object_new_string(peer_state_name(peer_state(p->last_handshake_sec, now))));
	/* Filled once wgstar's counting table exists; null says "not counted", not zero. */
	json_object_object_add(o, "forwarded", NULL);
	return o;
}

/*
 * Peers are serialized one at a time and freed at once, so a hub with 10,000 peers never
 * holds the whole document in memory: json-c escapes, we only frame the arrays.
 */
static int json_device(FILE *out, const struct wg_device *dev, const struct fwd_state *fwd, int64_t now)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object();
	char b64[WG_KEY_B64_LEN];
	const char *head;
	size_t head_len;
	int ret = 0;

	if (!o || !f) {
		json_object_put(o);
		json_object_put(f);
		return -ENOMEM;
	}
	json_object_object_add(o, "name", json_object_new_string(dev->name));
	json_object_object_add(o, "backend", json_object_new_string(backend_name(dev->backend)));
	if (dev->has_public_key) {
		key_to_base64(b64, dev->public_key);
		json_object_object_add(o, "public_key", json_object_new_string(b64));
	} else {
		json_object_object_add(o, "public_key", NULL);
	}
	json_object_object_add(o, "listen_port", json_object_new_int(dev->listen_port));
	json_object_object_add(o, "fwmark", json_object_new_int64(dev->fwmark));
	json_object_object_add(f, "ipv4", json_tristate(fwd->ipv4));
	json_object_object_add(f, "ipv6", json_tristate(fwd->ipv6));
	json_object_object_add(o, "forwarding", f);

	head = json_object_to_json_string_length(o, JSON_FLAGS, &head_len);
	if (!head || head_len < 2) {
		ret = -ENOMEM;
		goto out;
	}
	/* Reopen the object: everything but its closing brace, then the peers. */
	fwrite(head, 1, head_len - 1, out);
	fputs(head_len > 2 ? ",\"peers\":[" : "\"peers\":[", out);
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		struct json_object *p = json_peer(&dev->peers[i], now);

		if (!p) {
			ret = -ENOMEM;
			goto out;
		}
		if (i)
			fputc(',', out);
		fputs(json_object_to_json_string_ext(p, JSON_FLAGS), out);
		json_object_put(p);
	}
	fputs("]}", out);
out:
	json_object_put(o);
	return ret;
}

int report_json(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd)
{
	int ret = 0;

	fprintf(out, "{\"version\":%d,\"time\":%lld,\"interfaces\":[", REPORT_JSON_VERSION,
		(long long)snap->wall.tv_sec);
	for (size_t i = 0; i < snap->n_devices; ++i) {
		if (i)
			fputc(',', out);
		if ((ret = json_device(out, snap->devices[i], fwd, snap->wall.tv_sec)) < 0)
			return ret;
	}
	fputs("]}\n", out);
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}

enum { COL_NAME, COL_IPS, COL_ENDPOINT, COL_HANDSHAKE, COL_STATE, COL_RX, COL_TX, N_COLS };

struct text_row {
	char *cell[N_COLS];
};

static const char *state_label(enum peer_state s)
{
	switch (s) {
	case PEER_ONLINE:
		return _("online");
	case PEER_STALE:
		return _("stale");
	case PEER_NEVER:
	default:
		return _("never");
	}
}

static char *join_allowedips(const struct wg_peer *p)
{
	size_t len = 1, o = 0;
	char buf[FORMAT_BUF], *s;

	for (uint32_t i = 0; i < p->n_allowedips; ++i)
		len += strlen(format_allowedip(buf, sizeof(buf), &p->allowedips[i])) + 2;
	if (!(s = malloc(len)))
		return NULL;
	s[0] = '\0';
	for (uint32_t i = 0; i < p->n_allowedips; ++i) {
		size_t n = strlen(format_allowedip(buf, sizeof(buf), &p->allowedips[i]));

		if (i) {
			memcpy(s + o, ", ", 2);
			o += 2;
		}
		memcpy(s + o, buf, n + 1);
		o += n;
	}
	return s;
}

static void print_cell(FILE *out, const char *s, int width, bool last, bool right)
{
	int pad = width - format_width(s);

	if (right)
		fprintf(out, "%*s", pad > 0 ? pad : 0, "");
	fputs(s, out);
	if (!last && !right)
		fprintf(out, "%*s", pad > 0 ? pad : 0, "");
	if (!last)
		fputs("  ", out);
}

static int text_device(FILE *out, const struct wg_device *dev, const struct fwd_state *fwd,
		       int64_t now, bool utf8)
{
	const char *titles[N_COLS] = {
		_("NAME"), _("ALLOWED IPS"), _("ENDPOINT"), _("HANDSHAKE"), _("STATE"), _("RX"), _("TX"),
	};
	const bool right[N_COLS] = { [COL_RX] = true, [COL_TX] = true };
	struct text_row *rows = calloc(dev->n_peers ? dev->n_peers : 1, sizeof(*rows));
	unsigned int counts[3] = { 0 };
	int width[N_COLS];
	char b64[WG_KEY_B64_LEN], buf[FORMAT_BUF];
	int ret = 0;

	if (!rows)
		return -ENOMEM;
	for (int c = 0; c < N_COLS; ++c)
		width[c] = format_width(titles[c]);
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		enum peer_state st = peer_state(p->last_handshake_sec, now);
		char **cell = rows[i].cell;

		counts[st]++;
		cell[COL_NAME] = strdup(p->name ? p->name : format_key_short(buf, sizeof(buf), p->public_key, utf8));
		cell[COL_IPS] = p->n_allowedips ? join_allowedips(p) : strdup("-");
		format_endpoint(buf, sizeof(buf), &p->endpoint);
		cell[COL_ENDPOINT] = strdup(buf[0] ? buf : "-");
		cell[COL_HANDSHAKE] = strdup(format_age(buf, sizeof(buf),
							peer_handshake_age(p->last_handshake_sec, now)));
		cell[COL_STATE] = strdup(state_label(st));
		cell[COL_RX] = strdup(format_bytes(buf, sizeof(buf), p->rx_bytes));
		cell[COL_TX] = strdup(format_bytes(buf, sizeof(buf), p->tx_bytes));
		for (int c = 0; c < N_COLS; ++c) {
			int w;

			if (!cell[c]) {
				ret = -ENOMEM;
				goto out;
			}
			w = format_width(cell[c]);
			if (w > width[c])
				width[c] = w;
		}
	}

	fprintf(out, _("interface %s (%s)\n"), dev->name,
		dev->backend == WG_BACKEND_KERNEL ? _("kernel") : _("userspace"));
	if (dev->has_public_key) {
		key_to_base64(b64, dev->public_key);
		fprintf(out, _("  public key: %s\n"), b64);
	}
	if (dev->listen_port)
		fprintf(out, _("  listening port: %u\n"), dev->listen_port);
	if (dev->fwmark)
		fprintf(out, _("  fwmark: 0x%x\n"), dev->fwmark);
	fprintf(out, _("  forwarding: IPv4 %s, IPv6 %s\n"),
		fwd->ipv4 < 0 ? _("unknown") : fwd->ipv4 ? _("on") : _("off"),
		fwd->ipv6 < 0 ? _("unknown") : fwd->ipv6 ? _("on") : _("off"));
	fprintf(out, _("  peers: %u online, %u stale, %u never, %u in all\n"),
		counts[PEER_ONLINE], counts[PEER_STALE], counts[PEER_NEVER], dev->n_peers);
	if (!dev->n_peers)
		goto out;
	fputc('\n', out);
	for (int c = 0; c < N_COLS; ++c)
		print_cell(out, titles[c], width[c], c == N_COLS - 1, right[c]);
	fputc('\n', out);
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		for (int c = 0; c < N_COLS; ++c)
			print_cell(out, rows[i].cell[c], width[c], c == N_COLS - 1, right[c]);
		fputc('\n', out);
	}
out:
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		for (int c = 0; c < N_COLS; ++c)
			free(rows[i].cell[c]);
	free(rows);
	return ret;
}

int report_text(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd, bool utf8)
{
	int ret;

	for (size_t i = 0; i < snap->n_devices; ++i) {
		if (i)
			fputc('\n', out);
		if ((ret = text_device(out, snap->devices[i], fwd, snap->wall.tv_sec, utf8)) < 0)
			return ret;
	}
	if (fflush(out) == EOF || ferror(out))
		return -EIO;
	return 0;
}
