// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the Prometheus exposition: golden text, hostile names, the textfile's atomic writes. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "prom.h"
#include "textfile.h"

#define NOW 1700000000
#define KEY1 "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KEY2 "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define KEY3 "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="

static struct wg_peer *add_peer(struct wg_device *dev, uint8_t fill, const char *name)
{
	uint8_t key[WG_KEY_LEN];
	struct wg_peer *p;

	memset(key, fill, sizeof(key));
	p = wg_device_get_peer(dev, key, NULL);
	assert_non_null(p);
	if (name)
		assert_int_equal(wg_peer_set_name(p, name), 0);
	return p;
}

static struct wg_snapshot *make_snapshot(const char *third_name)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct wg_device *dev = wg_device_new("wg0");
	struct wg_allowedip a = { .family = AF_INET, .cidr = 32 }, b = { .family = AF_INET6, .cidr = 128 };
	struct wg_peer *p;

	dev->backend = WG_BACKEND_KERNEL;
	dev->has_public_key = true;
	memset(dev->public_key, 0x11, WG_KEY_LEN);
	dev->listen_port = 51820;

	p = add_peer(dev, 1, "alice");
	p->last_handshake_sec = NOW - 12;
	p->rx_bytes = 18446744073709551615ULL;
	p->tx_bytes = 4096;
	p->persistent_keepalive = 25;
	inet_pton(AF_INET, "10.172.16.2", &a.ip4);
	wg_peer_add_allowedip(p, &a);
	inet_pton(AF_INET6, "fd00::2", &b.ip6);
	wg_peer_add_allowedip(p, &b);

	p = add_peer(dev, 2, NULL);
	p->last_handshake_sec = NOW - 181;
	p->rx_bytes = 148;
	p->tx_bytes = 92;

	add_peer(dev, 3, third_name);

	wg_snapshot_add_device(snap, dev);
	snap->wall.tv_sec = NOW;
	return snap;
}

static char *capture(const struct prom_source *src)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(prom_write(f, src), 0);
	fclose(f);
	return buf;
}

static const char golden[] =
	"# HELP wgstar_read_success 1 when wgstar read every WireGuard interface it watches, 0 when reading failed.\n"
	"# TYPE wgstar_read_success gauge\n"
	"wgstar_read_success 1\n"
	"# HELP wgstar_interface_info Always 1; labels say the interface's backend and public key.\n"
	"# TYPE wgstar_interface_info gauge\n"
	"wgstar_interface_info{interface=\"wg0\",backend=\"kernel\",public_key=\"ERERERERERERERERERERERERERERERERERERERERERE=\"} 1\n"
	"# HELP wgstar_interface_listen_port UDP port the interface listens on, 0 when none is set.\n"
	"# TYPE wgstar_interface_listen_port gauge\n"
	"wgstar_interface_listen_port{interface=\"wg0\"} 51820\n"
	"# HELP wgstar_interface_peers Peers configured on the interface.\n"
	"# TYPE wgstar_interface_peers gauge\n"
	"wgstar_interface_peers{interface=\"wg0\"} 3\n"
	"# HELP wgstar_interface_peers_online Peers whose latest handshake is at most 180 seconds old.\n"
	"# TYPE wgstar_interface_peers_online gauge\n"
	"wgstar_interface_peers_online{interface=\"wg0\"} 1\n"
	"# HELP wgstar_interface_forwarding Whether the interface's network namespace forwards packets "
	"of the address family (net.ipv4.ip_forward, net.ipv6.conf.all.forwarding).\n"
	"# TYPE wgstar_interface_forwarding gauge\n"
	"wgstar_interface_forwarding{interface=\"wg0\",family=\"ipv4\"} 1\n"
	"wgstar_interface_forwarding{interface=\"wg0\",family=\"ipv6\"} 0\n"
	"# HELP wgstar_peer_info Always 1; the allowed_ips label lists the peer's allowed IPs.\n"
	"# TYPE wgstar_peer_info gauge\n"
	"wgstar_peer_info{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\",allowed_ips=\"10.172.16.2/32,fd00::2/128\"} 1\n"
	"wgstar_peer_info{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\",allowed_ips=\"\"} 1\n"
	"wgstar_peer_info{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\",allowed_ips=\"\"} 1\n"
	"# HELP wgstar_peer_latest_handshake_timestamp_seconds Unix time of the latest handshake with the peer, 0 when there was none.\n"
	"# TYPE wgstar_peer_latest_handshake_timestamp_seconds gauge\n"
	"wgstar_peer_latest_handshake_timestamp_seconds{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 1699999988\n"
	"wgstar_peer_latest_handshake_timestamp_seconds{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 1699999819\n"
	"wgstar_peer_latest_handshake_timestamp_seconds{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
	"# HELP wgstar_peer_receive_bytes_total Bytes received from the peer since the interface came up.\n"
	"# TYPE wgstar_peer_receive_bytes_total counter\n"
	"wgstar_peer_receive_bytes_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 18446744073709551615\n"
	"wgstar_peer_receive_bytes_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 148\n"
	"wgstar_peer_receive_bytes_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
	"# HELP wgstar_peer_transmit_bytes_total Bytes sent to the peer since the interface came up.\n"
	"# TYPE wgstar_peer_transmit_bytes_total counter\n"
	"wgstar_peer_transmit_bytes_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 4096\n"
	"wgstar_peer_transmit_bytes_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 92\n"
	"wgstar_peer_transmit_bytes_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
	"# HELP wgstar_peer_persistent_keepalive_seconds Persistent keepalive interval towards the peer, 0 when off.\n"
	"# TYPE wgstar_peer_persistent_keepalive_seconds gauge\n"
	"wgstar_peer_persistent_keepalive_seconds{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 25\n"
	"wgstar_peer_persistent_keepalive_seconds{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 0\n"
	"wgstar_peer_persistent_keepalive_seconds{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
	"# HELP wgstar_peer_state 1 for the peer's state, 0 for the others: online (latest handshake at most "
	"180 seconds old), stale (older), never (no handshake).\n"
	"# TYPE wgstar_peer_state gauge\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\",state=\"online\"} 1\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\",state=\"stale\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\",state=\"never\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\",state=\"online\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\",state=\"stale\"} 1\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\",state=\"never\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\",state=\"online\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\",state=\"stale\"} 0\n"
	"wgstar_peer_state{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\",state=\"never\"} 1\n";

static void test_golden(void **state)
{
	struct wg_snapshot *snap = make_snapshot("carol");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	char *text = capture(&src);

	assert_string_equal(text, golden);
	free(text);
	wg_snapshot_free(snap);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, needle)); p += strlen(needle))
		++n;
	return n;
}

/* name{label="value",...} digits, with the exposition format's three escapes in values. */
static bool sample_line_ok(const char *p, const char *end)
{
	if (strncmp(p, "wgstar_", 7))
		return false;
	while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
		++p;
	if (*p == '{') {
		do {
			++p;
			while (p < end && (*p == '_' || (*p >= 'a' && *p <= 'z')))
				++p;
			if (end - p < 2 || p[0] != '=' || p[1] != '"')
				return false;
			for (p += 2; p < end && *p != '"'; ++p)
				if (*p == '\\' && (++p == end || (*p != '\\' && *p != '"' && *p != 'n')))
					return false;
			if (p++ == end)
				return false;
		} while (p < end && *p == ',');
		if (p == end || *p++ != '}')
			return false;
	}
	if (p == end || *p++ != ' ' || p == end)
		return false;
	while (p < end && *p >= '0' && *p <= '9')
		++p;
	return p == end;
}

/*
 * Names are operator text and interface names any bytes: each must stay inside its quotes,
 * on its line, as valid UTF-8, or Prometheus rejects the whole scrape.
 */
static void test_hostile_names(void **state)
{
	struct wg_snapshot *snap = make_snapshot("a\\b\"c\nd\"} 1\n# x\xff\xc3\xa9\xed\xa0\x80\xf0\x9f\x90\xa7");
	struct fwd_state fwd = { .ipv4 = -1, .ipv6 = -1 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	const char *want_name = "name=\"a\\\\b\\\"c\\nd\\\"} 1\\n# x\xef\xbf\xbd\xc3\xa9"
				"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xf0\x9f\x90\xa7\"";
	char *text;

	assert_int_equal(wg_snapshot_add_device(snap, wg_device_new("wg\"1\\\n\xfe")), 0);
	text = capture(&src);

	/* The name is on eight lines: info, handshake, rx, tx, keepalive and three states. */
	assert_int_equal(count(text, want_name), 8);
	/* Four interface families: forwarding is unknown here. */
	assert_int_equal(count(text, "interface=\"wg\\\"1\\\\\\n\xef\xbf\xbd\""), 4);
	/* Every line is a comment or a sample ending in a value: nothing broke out of its quotes. */
	for (char *line = text, *nl; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		assert_non_null(nl);
		if (line[0] == '#')
			continue;
		assert_true(sample_line_ok(line, nl));
	}
	assert_null(strstr(text, "wgstar_interface_forwarding"));
	free(text);
	wg_snapshot_free(snap);
}

static void test_read_failed(void **state)
{
	struct prom_source src = { 0 };
	char *text = capture(&src);

	assert_string_equal(text,
		"# HELP wgstar_read_success 1 when wgstar read every WireGuard interface it watches, 0 when reading failed.\n"
		"# TYPE wgstar_read_success gauge\n"
		"wgstar_read_success 0\n");
	free(text);
}

static void test_no_interfaces(void **state)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 1 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	char *text = capture(&src);

	assert_string_equal(text,
		"# HELP wgstar_read_success 1 when wgstar read every WireGuard interface it watches, 0 when reading failed.\n"
		"# TYPE wgstar_read_success gauge\n"
		"wgstar_read_success 1\n");
	free(text);

	/* An interface without peers: its own families, none of the peers'. */
	assert_int_equal(wg_snapshot_add_device(snap, wg_device_new("wg1")), 0);
	text = capture(&src);
	assert_non_null(strstr(text, "wgstar_interface_peers{interface=\"wg1\"} 0\n"));
	assert_non_null(strstr(text, "wgstar_interface_info{interface=\"wg1\",backend=\"none\",public_key=\"\"} 1\n"));
	assert_null(strstr(text, "wgstar_peer_"));
	free(text);
	wg_snapshot_free(snap);
}

static void test_forwarding_partly_known(void **state)
{
	struct wg_snapshot *snap = make_snapshot(NULL);
	struct fwd_state fwd = { .ipv4 = 0, .ipv6 = -1 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	char *text = capture(&src);

	assert_non_null(strstr(text, "wgstar_interface_forwarding{interface=\"wg0\",family=\"ipv4\"} 0\n"));
	assert_null(strstr(text, "family=\"ipv6\""));
	free(text);
	wg_snapshot_free(snap);
}

static void test_forwarded(void **state)
{
	struct wg_snapshot *snap = make_snapshot("carol");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	struct wg_forwarded *bob = &snap->devices[0]->peers[1].forwarded;
	char *text;
	const char *want =
		"# HELP wgstar_peer_forwarded_from_packets_total Packets from the peer that the hub forwarded.\n"
		"# TYPE wgstar_peer_forwarded_from_packets_total counter\n"
		"wgstar_peer_forwarded_from_packets_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 0\n"
		"wgstar_peer_forwarded_from_packets_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 10\n"
		"wgstar_peer_forwarded_from_packets_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
		"# HELP wgstar_peer_forwarded_from_bytes_total Bytes from the peer that the hub forwarded.\n"
		"# TYPE wgstar_peer_forwarded_from_bytes_total counter\n"
		"wgstar_peer_forwarded_from_bytes_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 0\n"
		"wgstar_peer_forwarded_from_bytes_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 840\n"
		"wgstar_peer_forwarded_from_bytes_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
		"# HELP wgstar_peer_forwarded_to_packets_total Packets the hub forwarded to the peer.\n"
		"# TYPE wgstar_peer_forwarded_to_packets_total counter\n"
		"wgstar_peer_forwarded_to_packets_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 0\n"
		"wgstar_peer_forwarded_to_packets_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} 7\n"
		"wgstar_peer_forwarded_to_packets_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n"
		"# HELP wgstar_peer_forwarded_to_bytes_total Bytes the hub forwarded to the peer.\n"
		"# TYPE wgstar_peer_forwarded_to_bytes_total counter\n"
		"wgstar_peer_forwarded_to_bytes_total{interface=\"wg0\",public_key=\"" KEY1 "\",name=\"alice\"} 0\n"
		"wgstar_peer_forwarded_to_bytes_total{interface=\"wg0\",public_key=\"" KEY2 "\",name=\"\"} "
		"18446744073709551615\n"
		"wgstar_peer_forwarded_to_bytes_total{interface=\"wg0\",public_key=\"" KEY3 "\",name=\"carol\"} 0\n";

	/* No counting table: the families stay out rather than say zero. */
	text = capture(&src);
	assert_string_equal(text, golden);
	free(text);

	/* Counted: the same exposition, and the four families after it for every peer. */
	snap->devices[0]->has_flows = true;
	*bob = (struct wg_forwarded){ .from_packets = 10, .from_bytes = 840,
				      .to_packets = 7, .to_bytes = 18446744073709551615ULL };
	text = capture(&src);
	assert_int_equal(strncmp(text, golden, strlen(golden)), 0);
	assert_string_equal(text + strlen(golden), want);
	free(text);
	wg_snapshot_free(snap);
}

/* The hub policy: refused pairs (to the hub too) and each rule's counter, only while it is in force. */
static void test_policy(void **state)
{
	struct wg_snapshot *snap = make_snapshot("carol");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	struct wg_policy *p = calloc(1, sizeof(*p));
	char *text;

	p->rules = calloc(2, sizeof(*p->rules));
	p->n_rules = 2;
	p->rules[0] = (struct wg_policy_rule){ .is_default = true, .text = "Default = allow", .allow = true, .packets = 4 };
	p->rules[1] = (struct wg_policy_rule){ .line = 7, .text = "Deny = bob -> hub", .packets = 9, .bytes = 540 };
	p->refused = calloc(2, sizeof(*p->refused));
	p->n_refused = 2;
	p->refused[0] = (struct wg_refused){ 1, 0, 3, 252 };
	p->refused[1] = (struct wg_refused){ 1, WG_REFUSED_HUB, 9, 540 };
	snap->devices[0]->policy = p;
	/* Not in force: nothing of it, the same exposition as without a policy. */
	text = capture(&src);
	assert_string_equal(text, golden);
	free(text);
	p->in_force = true;
	text = capture(&src);
	assert_int_equal(strncmp(text, golden, strlen(golden)), 0);
	assert_non_null(strstr(text, "# TYPE wgstar_policy_refused_packets_total counter\n"
				     "wgstar_policy_refused_packets_total{interface=\"wg0\",from=\"" KEY2 "\",to=\"" KEY1 "\"} 3\n"
				     "wgstar_policy_refused_packets_total{interface=\"wg0\",from=\"" KEY2 "\",to=\"hub\"} 9\n"));
	assert_non_null(strstr(text, "wgstar_policy_refused_bytes_total{interface=\"wg0\",from=\"" KEY2 "\",to=\"hub\"} 540\n"));
	assert_non_null(strstr(text, "wgstar_policy_rule_packets_total{interface=\"wg0\",line=\"0\",action=\"allow\"} 4\n"
				     "wgstar_policy_rule_packets_total{interface=\"wg0\",line=\"7\",action=\"deny\"} 9\n"));
	assert_non_null(strstr(text, "wgstar_policy_rule_bytes_total{interface=\"wg0\",line=\"7\",action=\"deny\"} 540\n"));
	free(text);
	wg_snapshot_free(snap);
}

static void test_write_error(void **state)
{
	struct wg_snapshot *snap = make_snapshot("carol");
	struct fwd_state fwd = { .ipv4 = 1, .ipv6 = 0 };
	struct prom_source src = { .snap = snap, .fwd = &fwd };
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		skip();
	assert_int_equal(prom_write(f, &src), -ENOSPC);
	fclose(f);
	wg_snapshot_free(snap);
}

struct tmpdir {
	char path[64];
	char file[96];
	char temp[96];
};

static void tmpdir_make(struct tmpdir *t)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->path, sizeof(t->path), "%s/wgst-prom.XXXXXX", base && base[0] && strlen(base) < 30 ? base : "/tmp");
	assert_non_null(mkdtemp(t->path));
	snprintf(t->file, sizeof(t->file), "%s/%s", t->path, PROM_TEXTFILE_NAME);
	snprintf(t->temp, sizeof(t->temp), "%s/.%s.tmp", t->path, PROM_TEXTFILE_NAME);
}

static void tmpdir_remove(struct tmpdir *t)
{
	unlink(t->file);
	unlink(t->temp);
	assert_int_equal(rmdir(t->path), 0);
}

static char *slurp(const char *path)
{
	static char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static char first[] = "first\n", second[] = "second\n", fresh[] = "fresh\n", empty[] = "";

static int fill_text(FILE *out, void *ctx)
{
	fputs(ctx, out);
	return 0;
}

static int fill_fails(FILE *out, void *ctx)
{
	fputs("half of it", out);
	return -ENOMEM;
}

static void test_textfile_replace(void **state)
{
	struct textfile tf;
	struct tmpdir t;
	struct stat st;
	mode_t old_umask;

	tmpdir_make(&t);
	assert_int_equal(textfile_open(&tf, t.path, PROM_TEXTFILE_NAME), 0);

	/* Readable by node_exporter's own user whatever our umask. */
	old_umask = umask(077);
	assert_int_equal(textfile_replace(&tf, fill_text, first), 0);
	umask(old_umask);
	assert_string_equal(slurp(t.file), "first\n");
	assert_int_equal(stat(t.file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(access(t.temp, F_OK), -1);

	/* A mode the operator chose is kept. */
	assert_int_equal(chmod(t.file, 0640), 0);
	assert_int_equal(textfile_replace(&tf, fill_text, second), 0);
	assert_string_equal(slurp(t.file), "second\n");
	assert_int_equal(stat(t.file, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);

	/* A failed write leaves the old file whole and no temporary file behind. */
	assert_int_equal(textfile_replace(&tf, fill_fails, NULL), -ENOMEM);
	assert_string_equal(slurp(t.file), "second\n");
	assert_int_equal(access(t.temp, F_OK), -1);

	assert_int_equal(textfile_remove(&tf), 0);
	assert_int_equal(access(t.file, F_OK), -1);
	assert_int_equal(textfile_remove(&tf), 0);
	textfile_close(&tf);
	tmpdir_remove(&t);
}

/* A temporary file left by a writer that died, even a link planted there, is never written through. */
static void test_textfile_stale_temp(void **state)
{
	struct textfile tf;
	struct tmpdir t, other;
	char victim[128];
	FILE *f;

	tmpdir_make(&t);
	tmpdir_make(&other);
	snprintf(victim, sizeof(victim), "%s", other.file);
	f = fopen(victim, "w");
	assert_non_null(f);
	fputs("untouched\n", f);
	fclose(f);
	assert_int_equal(symlink(victim, t.temp), 0);

	assert_int_equal(textfile_open(&tf, t.path, PROM_TEXTFILE_NAME), 0);
	assert_int_equal(textfile_replace(&tf, fill_text, fresh), 0);
	assert_string_equal(slurp(t.file), "fresh\n");
	assert_string_equal(slurp(victim), "untouched\n");
	assert_int_equal(access(t.temp, F_OK), -1);
	textfile_close(&tf);
	tmpdir_remove(&t);
	tmpdir_remove(&other);
}

static void test_textfile_bad_dir(void **state)
{
	struct textfile tf;
	struct tmpdir t;

	tmpdir_make(&t);
	assert_int_equal(textfile_open(&tf, t.file, PROM_TEXTFILE_NAME), -ENOENT);
	textfile_close(&tf);
	assert_int_equal(textfile_replace(&(struct textfile){ .dirfd = -1, .name = "x.prom" }, fill_text, empty),
			 -EBADF);
	fclose(fopen(t.file, "w"));
	assert_int_equal(textfile_open(&tf, t.file, PROM_TEXTFILE_NAME), -ENOTDIR);
	textfile_close(&tf);
	assert_int_equal(textfile_open(&tf, t.path, "a/b.prom"), -EINVAL);
	textfile_close(&tf);
	tmpdir_remove(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),
		cmocka_unit_test(test_policy),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_read_failed),
		cmocka_unit_test(test_no_interfaces),
		cmocka_unit_test(test_forwarding_partly_known),
		cmocka_unit_test(test_forwarded),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_textfile_replace),
		cmocka_unit_test(test_textfile_stale_temp),
		cmocka_unit_test(test_textfile_bad_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
