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
#include "text.h"

#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

static const char *backend_name(enum wg_backend b)
{
	return b == WG_BACKEND_KERNEL ? "kernel" : b == WG_BACKEND_USERSPACE ? "userspace" : "none";
}

/*
 * The JSON writer. Strings that can hold anything (names, interface names) are escaped by
 * json-c; the rest is ASCII whose form we control (base64 keys, addresses, integers) and
 * is written as it is. Peers go out one at a time, so a hub with 10,000 peers never sits
 * in memory as one document, and no object tree is built per peer.
 */
/* v in decimal, at the end of buf (NUL-terminated); where it starts. */
static char *u64_digits(char buf[24], uint64_t v)
{
	char *p = buf + 23;

	*p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return p;
}

static void put_u64(FILE *out, uint64_t v)
{
	char buf[24];

	fputs(u64_digits(buf, v), out);
}

static void put_i64(FILE *out, int64_t v)
{
	if (v < 0) {
		fputc('-', out);
		put_u64(out, (uint64_t)0 - (uint64_t)v);
		return;
	}
	put_u64(out, (uint64_t)v);
}

/*
 * s as a JSON string, escaped by json-c, held by *o until json_object_put; NULL when out of
 * memory. JSON is UTF-8: an interface name's stray bytes become U+FFFD, as in the metrics.
 */
static const char *quoted(const char *s, struct json_object **o)
{
	char *fixed = NULL;

	if (!text_utf8_valid(s) && !(s = fixed = text_utf8_fix(s)))
		return NULL;
	*o = json_object_new_string(s);
	free(fixed);
	return *o ? json_object_to_json_string_ext(*o, JSON_FLAGS) : NULL;
}

/*
 * The peers' objects are put together here and given to stdio 2 KiB at a time: some thirty
 * stdio calls a peer (a strlen and a copy through stdio's buffer each) cost 10,000 peers more
 * than formatting them.
 */
struct jbuf {
	FILE *out;
	char *p;
	char b[2048];
};

static void jb_flush(struct jbuf *j)
{
	fwrite(j->b, 1, (size_t)(j->p - j->b), j->out);
	j->p = j->b;
}

static void jb_put_slow(struct jbuf *j, const char *s, size_t n)
{
	jb_flush(j);
	/* Longer than the buffer (a name, say): straight through. */
	if (n > sizeof(j->b)) {
		fwrite(s, 1, n, j->out);
		return;
	}
	memcpy(j->p, s, n);
	j->p += n;
}

/* Inline: some thirty a peer, most of them literals whose copy the compiler then unrolls. */
static inline __attribute__((always_inline)) void jb_put(struct jbuf *j, const char *s, size_t n)
{
	if (n > sizeof(j->b) - (size_t)(j->p - j->b)) {
		jb_put_slow(j, s, n);
		return;
	}
	memcpy(j->p, s, n);
	j->p += n;
}

#define JB_LIT(j, lit) jb_put((j), (lit), sizeof(lit) - 1)

static void jb_str(struct jbuf *j, const char *s)
{
	jb_put(j, s, strlen(s));
}

static void jb_u64(struct jbuf *j, uint64_t v)
{
	char buf[24], *p = u64_digits(buf, v);

	jb_put(j, p, (size_t)(buf + 23 - p));
}

static void jb_i64(struct jbuf *j, int64_t v)
{
	if (v < 0) {
		JB_LIT(j, "-");
		jb_u64(j, (uint64_t)0 - (uint64_t)v);
		return;
	}
	jb_u64(j, (uint64_t)v);
}

/* A string that can hold anything, as report_put_string puts it. */
static int jb_string(struct jbuf *j, const char *s)
{
	struct json_object *o = NULL;
	const char *q;

	if (!s) {
		JB_LIT(j, "null");
		return 0;
	}
	/* Printable ASCII without a quote or backslash is what json-c would write, quoted. */
	for (q = s; (unsigned char)*q >= 0x20 && (unsigned char)*q < 0x7f && *q != '"' && *q != '\\'; ++q)
		;
	if (!*q) {
		JB_LIT(j, "\"");
		jb_put(j, s, (size_t)(q - s));
		JB_LIT(j, "\"");
		return 0;
	}
	if (!(q = quoted(s, &o))) {
		json_object_put(o);
		return -ENOMEM;
	}
	jb_str(j, q);
	json_object_put(o);
	return 0;
}

int report_put_string(FILE *out, const char *s)
{
	struct jbuf j = { .out = out };
	int ret;

	j.p = j.b;
	ret = jb_string(&j, s);
	jb_flush(&j);
	return ret;
}

static void put_key(FILE *out, const uint8_t key[WG_KEY_LEN])
{
	char b64[WG_KEY_B64_LEN];

	key_to_base64(b64, key);
	fputc('"', out);
	fputs(b64, out);
	fputc('"', out);
}

static const char *json_tristate(int v)
{
	return v < 0 ? "null" : v ? "true" : "false";
}

static int json_peer(struct jbuf *j, const struct wg_device *dev, const struct wg_peer *p, int64_t now)
{
	char buf[FORMAT_BUF];
	char b64[WG_KEY_B64_LEN];
	int ret;

	JB_LIT(j, "{\"name\":");
	if ((ret = jb_string(j, p->name)) < 0)
		return ret;
	key_to_base64(b64, p->public_key);
	JB_LIT(j, ",\"public_key\":\"");
	jb_str(j, b64);
	if (p->has_preshared_key)
		JB_LIT(j, "\",\"preshared_key\":true,\"endpoint\":");
	else
		JB_LIT(j, "\",\"preshared_key\":false,\"endpoint\":");
	format_endpoint(buf, sizeof(buf), &p->endpoint);
	/* An IPv6 scope may name an interface, which can hold any character. */
	if (buf[0] && (ret = jb_string(j, buf)) < 0)
		return ret;
	if (!buf[0])
		JB_LIT(j, "null");
	JB_LIT(j, ",\"allowed_ips\":[");
	for (uint32_t i = 0; i < p->n_allowedips; ++i) {
		if (i)
			JB_LIT(j, ",\"");
		else
			JB_LIT(j, "\"");
		jb_str(j, format_allowedip(buf, sizeof(buf), &p->allowedips[i]));
		JB_LIT(j, "\"");
	}
	JB_LIT(j, "],\"latest_handshake\":");
	jb_i64(j, p->last_handshake_sec);
	JB_LIT(j, ",\"rx_bytes\":");
	jb_u64(j, p->rx_bytes);
	JB_LIT(j, ",\"tx_bytes\":");
	jb_u64(j, p->tx_bytes);
	JB_LIT(j, ",\"persistent_keepalive\":");
	jb_u64(j, p->persistent_keepalive);
	/* Group names are letters, digits and "_.-": no escaping to do. */
	JB_LIT(j, ",\"groups\":[");
	for (const char *g = p->groups; g && *g;) {
		size_t n = strcspn(g, ",");

		if (g != p->groups)
			JB_LIT(j, ",");
		JB_LIT(j, "\"");
		jb_put(j, g, n);
		JB_LIT(j, "\"");
		g += n;
		g += strspn(g, ", ");
	}
	JB_LIT(j, "],\"state\":\"");
	jb_str(j, peer_state_name(peer_state(p->last_handshake_sec, now)));
	/* null says "not counted" (wgstar's counting table is absent), not zero. */
	if (!dev->has_flows) {
		JB_LIT(j, "\",\"forwarded\":null}");
		return 0;
	}
	JB_LIT(j, "\",\"forwarded\":{\"from_packets\":");
	jb_u64(j, p->forwarded.from_packets);
	JB_LIT(j, ",\"from_bytes\":");
	jb_u64(j, p->forwarded.from_bytes);
	JB_LIT(j, ",\"to_packets\":");
	jb_u64(j, p->forwarded.to_packets);
	JB_LIT(j, ",\"to_bytes\":");
	jb_u64(j, p->forwarded.to_bytes);
	JB_LIT(j, "}}");
	return 0;
}

/* "policy": what the hub policy refused and what each rule counted; null without one. */
static int json_policy(FILE *out, const struct wg_device *dev)
{
	const struct wg_policy *p = dev->policy;
	int ret;

	fputs(",\"policy\":", out);
	if (!p) {
		fputs("null", out);
		return 0;
	}
	fprintf(out, "{\"default\":\"%s\",\"in_force\":%s,\"denied\":", p->default_allow ? "allow" : "deny",
		p->in_force ? "true" : "false");
	/* null says "not counted": the table in force is not this policy. */
	if (!p->in_force) {
		fputs("null,\"rules\":[", out);
	} else {
		fputc('[', out);
		for (uint32_t i = 0, n = 0; i < p->n_refused; ++i) {
			const struct wg_refused *r = &p->refused[i];

			if (r->from >= dev->n_peers || (r->to != WG_REFUSED_HUB && r->to >= dev->n_peers))
				continue;
			fputs(n++ ? ",{\"from\":" : "{\"from\":", out);
			put_key(out, dev->peers[r->from].public_key);
			fputs(",\"to\":", out);
			if (r->to == WG_REFUSED_HUB)
				fputs("\"hub\"", out);
			else
				put_key(out, dev->peers[r->to].public_key);
			fputs(",\"packets\":", out);
			put_u64(out, r->packets);
			fputs(",\"bytes\":", out);
			put_u64(out, r->bytes);
			fputc('}', out);
		}
		fputs("],\"rules\":[", out);
	}
	for (uint32_t i = 0; i < p->n_rules; ++i) {
		const struct wg_policy_rule *r = &p->rules[i];

		fprintf(out, "%s{\"line\":%u,\"action\":\"%s\",\"rule\":", i ? "," : "", r->line,
			r->allow ? "allow" : "deny");
		if ((ret = report_put_string(out, r->text)) < 0)
			return ret;
		if (p->in_force) {
			fputs(",\"packets\":", out);
			put_u64(out, r->packets);
			fputs(",\"bytes\":", out);
			put_u64(out, r->bytes);
			fputc('}', out);
		} else {
			fputs(",\"packets\":null,\"bytes\":null}", out);
		}
	}
	fputs("]}", out);
	return 0;
}

static int json_device(FILE *out, const struct wg_device *dev, const struct fwd_state *fwd, int64_t now)
{
	int ret;

	fputs("{\"name\":", out);
	if ((ret = report_put_string(out, dev->name)) < 0)
		return ret;
	fputs(",\"backend\":\"", out);
	fputs(backend_name(dev->backend), out);
	fputs("\",\"public_key\":", out);
	if (dev->has_public_key)
		put_key(out, dev->public_key);
	else
		fputs("null", out);
	fputs(",\"listen_port\":", out);
	put_u64(out, dev->listen_port);
	fputs(",\"fwmark\":", out);
	put_u64(out, dev->fwmark);
	fprintf(out, ",\"forwarding\":{\"ipv4\":%s,\"ipv6\":%s},\"peers\":[",
		json_tristate(fwd->ipv4), json_tristate(fwd->ipv6));
	{
		struct jbuf j = { .out = out };

		j.p = j.b;
		for (uint32_t i = 0; i < dev->n_peers; ++i) {
			if (i)
				JB_LIT(&j, ",");
			if ((ret = json_peer(&j, dev, &dev->peers[i], now)) < 0)
				return ret;
		}
		jb_flush(&j);
	}
	fputc(']', out);
	if ((ret = json_policy(out, dev)) < 0)
		return ret;
	fputs(",\"flows\":", out);
	if (!dev->has_flows) {
		fputs("null}", out);
		return 0;
	}
	fputc('[', out);
	for (uint32_t i = 0, n = 0; i < dev->n_flows; ++i) {
		const struct wg_flow *f = &dev->flows[i];

		if (f->from >= dev->n_peers || f->to >= dev->n_peers)
			continue;
		fputs(n++ ? ",{\"from\":" : "{\"from\":", out);
		put_key(out, dev->peers[f->from].public_key);
		fputs(",\"to\":", out);
		put_key(out, dev->peers[f->to].public_key);
		fputs(",\"packets\":", out);
		put_u64(out, f->packets);
		fputs(",\"bytes\":", out);
		put_u64(out, f->bytes);
		fputc('}', out);
	}
	fputs("]}", out);
	return 0;
}

int report_json(FILE *out, const struct wg_snapshot *snap, const struct fwd_state *fwd)
{
	int ret = 0;

	fprintf(out, "{\"version\":%d,\"time\":", REPORT_JSON_VERSION);
	put_i64(out, snap->wall.tv_sec);
	fputs(",\"interfaces\":[", out);
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
	char *text;			/* the row's cells one after another, each ending in a NUL */
	uint32_t off[N_COLS];		/* where each cell starts in text */
	int width[N_COLS];		/* of each cell on the screen, measured once */
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

/* A row being written: grows as it must, and is reused from row to row. */
struct row_buf {
	char *v;
	size_t n, cap;
};

/* n bytes of s added to the cell being written: 0, or -ENOMEM. */
static int row_put(struct row_buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *v;

		while (cap < b->n + n + 1)
			cap *= 2;
		if (!(v = realloc(b->v, cap)))
			return -ENOMEM;
		b->v = v;
		b->cap = cap;
	}
	memcpy(b->v + b->n, s, n);
	b->n += n;
	return 0;
}

/* The cell being written ended, and cell next begun (none past the last): 0, -ENOMEM or -EOVERFLOW. */
static int row_cell_end(struct row_buf *b, struct text_row *row, int next)
{
	int ret = row_put(b, "", 1);

	/* A row of 4 GiB: some 95 million allowed IPs on one peer. */
	if (b->n > UINT32_MAX)
		return -EOVERFLOW;
	if (next < N_COLS)
		row->off[next] = (uint32_t)b->n;
	return ret;
}

/* A peer's allowed IPs, comma-separated, or "-". */
static int row_put_allowedips(struct row_buf *b, const struct wg_peer *p)
{
	char buf[FORMAT_BUF];
	int ret = 0;

	if (!p->n_allowedips)
		return row_put(b, "-", 1);
	for (uint32_t i = 0; i < p->n_allowedips && !ret; ++i) {
		if (i && (ret = row_put(b, ", ", 2)) < 0)
			break;
		format_allowedip(buf, sizeof(buf), &p->allowedips[i]);
		ret = row_put(b, buf, strlen(buf));
	}
	return ret;
}

/*
 * Peer p's row, its cells one after another in one allocation, not one a cell: seven mallocs
 * and frees a row were a tenth of the table beside 100,000 peers. 0, -ENOMEM or -EOVERFLOW.
 */
static int row_make(struct row_buf *b, struct text_row *row, const struct wg_peer *p, const char *handshake,
		    const char *state, bool utf8)
{
	char buf[FORMAT_BUF], *name = NULL;
	const char *cell;
	int ret;

	b->n = 0;
	if (p->name && !(name = text_escape_dup(p->name)))
		return -ENOMEM;
	cell = name ? name : format_key_short(buf, sizeof(buf), p->public_key, utf8);
	ret = row_put(b, cell, strlen(cell));
	free(name);
	if (ret < 0 || (ret = row_cell_end(b, row, COL_IPS)) < 0 || (ret = row_put_allowedips(b, p)) < 0 ||
	    (ret = row_cell_end(b, row, COL_ENDPOINT)) < 0)
		return ret;
	for (int c = COL_ENDPOINT; c < N_COLS; ++c) {
		switch (c) {
		case COL_ENDPOINT:
			cell = format_endpoint(buf, sizeof(buf), &p->endpoint);
			if (!cell[0])
				cell = "-";
			break;
		case COL_HANDSHAKE:
			cell = handshake;
			break;
		case COL_STATE:
			cell = state;
			break;
		case COL_RX:
			cell = format_bytes(buf, sizeof(buf), p->rx_bytes);
			break;
		default:
			cell = format_bytes(buf, sizeof(buf), p->tx_bytes);
			break;
		}
		if ((ret = row_put(b, cell, strlen(cell))) < 0 || (ret = row_cell_end(b, row, c + 1)) < 0)
			return ret;
	}
	if (!(row->text = malloc(b->n)))
		return -ENOMEM;
	memcpy(row->text, b->v, b->n);
	return 0;
}

static void put_spaces(FILE *out, int n)
{
	static const char spaces[] = "                                                                ";

	for (; n > 0; n -= (int)sizeof(spaces) - 1)
		fwrite(spaces, 1, n < (int)sizeof(spaces) - 1 ? (size_t)n : sizeof(spaces) - 1, out);
}

/* s, which takes w columns, in a column width wide. */
static void print_cell(FILE *out, const char *s, int w, int width, bool last, bool right)
{
	if (right)
		put_spaces(out, width - w);
	fputs(s, out);
	if (!last && !right)
		put_spaces(out, width - w);
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
	int width[N_COLS], title_width[N_COLS];
	char b64[WG_KEY_B64_LEN], buf[FORMAT_BUF], ifname[TEXT_IFNAME_LEN];
	/* Looked up once, not for each of 100,000 rows. */
	const char *states[3] = { [PEER_ONLINE] = state_label(PEER_ONLINE), [PEER_STALE] = state_label(PEER_STALE),
				  [PEER_NEVER] = state_label(PEER_NEVER) };
	const char *never = format_age(buf, sizeof(buf), -1);
	char *never_copy = strdup(never);
	struct row_buf rb = { 0 };
	int ret = 0;

	if (!rows || !never_copy) {
		free(rows);
		free(never_copy);
		return -ENOMEM;
	}
	never = never_copy;
	for (int c = 0; c < N_COLS; ++c)
		title_width[c] = width[c] = format_width(titles[c]);
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *p = &dev->peers[i];
		enum peer_state st = peer_state(p->last_handshake_sec, now);
		int64_t age = peer_handshake_age(p->last_handshake_sec, now);
		struct text_row *row = &rows[i];

		counts[st]++;
		if ((ret = row_make(&rb, row, p, age < 0 ? never : format_age(buf, sizeof(buf), age), states[st],
				    utf8)) < 0)
			goto out;
		for (int c = 0; c < N_COLS; ++c) {
			int w = row->width[c] = format_width(row->text + row->off[c]);

			if (w > width[c])
				width[c] = w;
		}
	}

	fprintf(out, _("interface %s (%s)\n"), text_safe(ifname, sizeof(ifname), dev->name),
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
		print_cell(out, titles[c], title_width[c], width[c], c == N_COLS - 1, right[c]);
	fputc('\n', out);
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		for (int c = 0; c < N_COLS; ++c)
			print_cell(out, rows[i].text + rows[i].off[c], rows[i].width[c], width[c], c == N_COLS - 1,
				   right[c]);
		fputc('\n', out);
	}
out:
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		free(rows[i].text);
	free(rows);
	free(rb.v);
	free(never_copy);
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
