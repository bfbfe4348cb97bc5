// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the wg-quick config file model: byte-exact round trips, edits, refusals. */
#include "cmocka_common.h"
#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include "atomic.h"
#include "drift.h"
#include "key.h"
#include "names.h"
#include "wgconf.h"

/* Every style of file the fixtures hold, and the names names.c must find in each, in order. */
static const struct fixture {
	const char *file;
	const char *names[4];
	size_t n_peers;
} fixtures[] = {
	{ "wgquick.conf", { "alice-laptop", "bob-phone", "build server" }, 3 },
	{ "saveconfig.conf", { NULL, NULL }, 2 },
	{ "dualstack.conf", { "nas", "ipv6-only" }, 2 },
	{ "comments.conf", { NULL, "printer", "monitor" }, 3 },
	{ "pivpn.conf", { "laptop", "phone" }, 2 },
	{ "crlf.conf", { "windows-desktop", "surface" }, 2 },
	{ "nofinalnl.conf", { "kiosk" }, 1 },
	{ "semicolon.conf", { "tablet" }, 1 },
	/* Written as other tools write them (tools/): each names its peers its own way. */
	{ "tools/wg-easy.conf", { "alice", "bob (laptop)" }, 2 },
	{ "tools/wireguard-ui.conf", { "alice", "bob" }, 2 },
	{ "tools/wg-portal.conf", { "alice", "bob" }, 2 },
	{ "tools/wg-gen-web.conf", { "alice", "bob" }, 2 },
	{ "tools/wgdashboard.conf", { "alice", "bob" }, 2 },
	{ "tools/exporter.conf", { "alice", "bob" }, 2 },
	{ "tools/angristan.conf", { "alice", "bob" }, 2 },
	{ "tools/nyr.conf", { "alice", "bob" }, 2 },
	{ "tools/wireguard-manager.conf", { "alice", "bob" }, 2 },
	{ "tools/algo.conf", { "alice", "bob" }, 2 },
	{ "tools/linuxserver.conf", { "peer_alice", "peer2" }, 2 },
	{ "tools/pivpn-disabled.conf", { "phone" }, 1 },
};

/* Which tool each file of tools/ shows: whose names, and whether it rewrites the file. */
static const struct {
	const char *file;
	enum names_convention convention;
	const char *managed_by;
} tool_files[] = {
	{ "tools/wg-easy.conf", NAMES_WG_EASY, "wg-easy" },
	{ "tools/wireguard-ui.conf", NAMES_WIREGUARD_UI, "wireguard-ui" },
	{ "tools/wg-portal.conf", NAMES_WG_PORTAL, "wg-portal" },
	{ "tools/wg-gen-web.conf", NAMES_WG_GEN_WEB, "wg-gen-web" },
	{ "tools/wgdashboard.conf", NAMES_WGDASHBOARD, NULL },
	{ "tools/exporter.conf", NAMES_FRIENDLY, NULL },
	{ "tools/angristan.conf", NAMES_ANGRISTAN, NULL },
	{ "tools/nyr.conf", NAMES_NYR, NULL },
	{ "tools/wireguard-manager.conf", NAMES_WG_MANAGER, NULL },
	{ "tools/algo.conf", NAMES_FIRST_COMMENT, NULL },
	{ "tools/linuxserver.conf", NAMES_FIRST_COMMENT, NULL },
	{ "pivpn.conf", NAMES_PIVPN, NULL },
	{ "wgquick.conf", NAMES_NATIVE, NULL },
};

static char *load(const char *name, size_t *len)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[4096], *text;

	snprintf(path, sizeof(path), "%s/tests/unit/conf/%s", top ? top : ".", name);
	if (atomic_read(path, &text, len) < 0)
		fail_msg("cannot read %s", path);
	return text;
}

static struct wgconf *parse_ok(const char *text, size_t len)
{
	struct wgconf_error err;
	struct wgconf *c;
	int ret = wgconf_parse(&c, text, len, &err);

	if (ret < 0)
		fail_msg("refused (%d) at line %u: %s", ret, err.line, err.msg);
	return c;
}

/* The model of a copy of text with room bytes to spare past its NUL, zeroed, as peerops reads a file. */
static struct wgconf *parse_room(const char *text, size_t len, size_t room)
{
	struct wgconf_error err;
	struct wgconf *c;
	char *copy = calloc(1, len + 1 + room);

	assert_non_null(copy);
	memcpy(copy, text, len);
	if (wgconf_parse_taking(&c, copy, len, len + 1 + room, &err) < 0)
		fail_msg("refused at line %u: %s", err.line, err.msg);
	return c;
}

static void assert_render(const struct wgconf *c, const char *text, size_t len)
{
	size_t n;
	char *out = wgconf_render(c, &n);

	assert_non_null(out);
	assert_int_equal(n, len);
	assert_memory_equal(out, text, len);
	assert_int_equal(out[n], '\0');
	free(out);
}

/* c renders text, and is the model a parse of text makes, field for field. */
static void assert_model(const struct wgconf *c, const char *text, size_t len)
{
	struct wgconf *fresh;
	const char *why;

	assert_render(c, text, len);
	assert_int_equal(wgconf_parse(&fresh, text, len, NULL), 0);
	if ((why = wgconf_test_differ(c, fresh)))
		fail_msg("the model differs from a parse of its text in %s", why);
	wgconf_free(fresh);
}

static void random_key(uint8_t key[WG_KEY_LEN])
{
	uint8_t private_key[WG_KEY_LEN];

	randombytes_buf(private_key, sizeof(private_key));
	assert_int_equal(key_public_from_private(key, private_key), 0);
	key_wipe(private_key, sizeof(private_key));
}

static struct wg_allowedip prefix(const char *addr, uint8_t cidr)
{
	struct wg_allowedip a = { .cidr = cidr };

	if (strchr(addr, ':')) {
		a.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, addr, &a.ip6), 1);
	} else {
		a.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, addr, &a.ip4), 1);
	}
	return a;
}

static void key_of(uint8_t key[WG_KEY_LEN], const char *b64)
{
	assert_true(key_from_base64(key, b64));
}

static void test_round_trip(void **state)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(*fixtures); ++f) {
		size_t len;
		char *text = load(fixtures[f].file, &len);
		struct wgconf *c = parse_ok(text, len), *taken;
		const char *why;

		assert_render(c, text, len);
		/* The text a file read gives, taken instead of copied: the same model. */
		assert_int_equal(wgconf_parse_taking(&taken, text, len, len + 1, NULL), 0);
		if ((why = wgconf_test_differ(c, taken)))
			fail_msg("%s: the model of the taken text differs in %s", fixtures[f].file, why);
		assert_ptr_equal(wgconf_text(taken, &len), text);
		wgconf_free(taken);
		wgconf_free(c);
	}
}

/* A reading of the names made apart, handed to the parse when it waits for it. */
struct naming_hand {
	struct wgconf_naming *naming;
	const char *text, *expect;	/* the text the parse took, and what it must still hold */
	size_t len;
	int waits;
};

static struct wgconf_naming *hand_naming(void *ctx)
{
	struct naming_hand *h = ctx;
	struct wgconf_naming *r = h->naming;

	/* A reading on another thread may read the text until now: it is still there, whole. */
	assert_memory_equal(h->text, h->expect, h->len);
	h->naming = NULL;
	h->waits++;
	return r;
}

/* The names read apart, as a peer add reads them on a thread: the model a parse makes. */
static void test_parse_named(void **state)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(*fixtures); ++f) {
		for (int sorted = 0; sorted < 2; ++sorted) {
			size_t len;
			char *text = load(fixtures[f].file, &len), *copy = malloc(len + 1);
			struct wgconf *c = parse_ok(text, len), *named;
			struct naming_hand h = { .expect = text, .len = len };
			const char *why;

			assert_non_null(copy);
			memcpy(copy, text, len + 1);
			h.text = copy;
			assert_int_equal(wgconf_naming_read(&h.naming, copy, len, NULL), 0);
			/* Sorted by the reader, as peerops sorts them: the whole parse's sorted too. */
			if (sorted) {
				names_sort(wgconf_naming_names(h.naming));
				names_sort(wgconf_names(c));
			}
			assert_int_equal(wgconf_parse_taking_named(&named, copy, len, len + 1, hand_naming, &h, NULL), 0);
			assert_int_equal(h.waits, 1);
			if ((why = wgconf_test_differ(c, named)))
				fail_msg("%s: the model with names read apart differs in %s", fixtures[f].file, why);
			assert_ptr_equal(wgconf_text(named, &len), copy);
			wgconf_free(named);
			wgconf_free(c);
			free(text);
		}
	}
}

/* Whatever becomes of the parse, it waits for the reading once, before the text goes. */
static void test_parse_named_refused(void **state)
{
	static const char bad[] = "[Interface]\nListenPort = 51820\n\n[Peer]\nPublicKey = not a key\n",
			  good[] = "[Interface]\nListenPort = 51820\n";
	size_t len = sizeof(bad) - 1;
	struct wgconf_error err;
	struct wgconf *c = (struct wgconf *)1;
	struct naming_hand h = { .expect = bad, .len = len };
	char *copy = strdup(bad);

	/* Refused at its line: the reading, taken, is freed with the rest (LeakSanitizer says). */
	assert_non_null(copy);
	h.text = copy;
	assert_int_equal(wgconf_naming_read(&h.naming, copy, len, NULL), 0);
	assert_int_equal(wgconf_parse_taking_named(&c, copy, len, len + 1, hand_naming, &h, &err), -EINVAL);
	assert_null(c);
	assert_int_equal(h.waits, 1);
	assert_int_equal(err.line, 5);

	/* No room for the NUL: refused before anything is read. */
	assert_non_null(copy = strdup(bad));
	h.text = copy;
	h.waits = 0;
	assert_int_equal(wgconf_naming_read(&h.naming, copy, len, NULL), 0);
	assert_int_equal(wgconf_parse_taking_named(&c, copy, len, len, hand_naming, &h, &err), -EINVAL);
	assert_int_equal(h.waits, 1);

	/* The reading failed (there is none to hand over): so does the parse, of a good text. */
	len = sizeof(good) - 1;
	assert_non_null(copy = strdup(good));
	h = (struct naming_hand){ .text = copy, .expect = good, .len = len };
	assert_int_equal(wgconf_parse_taking_named(&c, copy, len, len + 1, hand_naming, &h, &err), -ENOMEM);
	assert_null(c);
	assert_int_equal(h.waits, 1);
}

/* The names the model reports are the ones names.c reads, and they are the expected ones. */
static void test_names_agree(void **state)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(*fixtures); ++f) {
		struct name_map map = { 0 };
		struct wgconf_peer_info *v;
		size_t len, n;
		char *text = load(fixtures[f].file, &len);
		struct wgconf *c = parse_ok(text, len);

		assert_int_equal(names_parse_config(&map, text, len), 0);
		assert_int_equal(wgconf_peers(c, &v, &n), 0);
		assert_int_equal(n, fixtures[f].n_peers);
		for (size_t i = 0; i < n; ++i) {
			const char *want = fixtures[f].names[i], *nc = names_lookup(&map, v[i].public_key);

			if (want) {
				assert_non_null(v[i].name);
				assert_string_equal(v[i].name, want);
				assert_non_null(nc);
				assert_string_equal(nc, want);
			} else {
				assert_null(v[i].name);
				assert_null(nc);
			}
			assert_true(wgconf_has_peer(c, v[i].public_key));
		}
		wgconf_peers_free(v, n);
		names_clear(&map);
		wgconf_free(c);
		free(text);
	}
}

/*
 * Adds a peer, checks only lines were appended, removes it, checks the old bytes are back. With
 * room past the text, the add writes there (the model keeps its text) and must come out the same.
 */
static void add_remove(const struct fixture *fx, const char *name, bool psk, uint16_t keepalive, size_t room)
{
	struct wg_allowedip aips[2] = { prefix("10.172.16.99", 32), prefix("fd00::99", 128) };
	uint8_t key[WG_KEY_LEN], psk_key[WG_KEY_LEN];
	struct wgconf_new_peer np = { .public_key = key, .name = name, .preshared_key = psk ? psk_key : NULL,
				      .allowedips = aips, .n_allowedips = 2, .persistent_keepalive = keepalive };
	struct wgconf_peer_info *v;
	struct name_map map = { 0 };
	size_t len, n, olen, pre;
	char *text = load(fx->file, &len), *out;
	struct wgconf *c = room ? parse_room(text, len, room) : parse_ok(text, len);
	bool crlf = strstr(text, "\r\n") != NULL;
	bool open_end = len && text[len - 1] != '\n';
	const char *before = wgconf_text(c, &n);

	random_key(key);
	randombytes_buf(psk_key, sizeof(psk_key));
	print_message("%s: add %s%s\n", fx->file, name ? name : "(no name)", room ? ", in place" : "");
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	assert_int_equal(wgconf_add_peer(c, &np), -EEXIST);
	out = wgconf_render(c, &olen);
	assert_non_null(out);
	assert_model(c, out, olen);
	if (room)
		assert_ptr_equal(wgconf_text(c, &n), before);
	else
		assert_ptr_not_equal(wgconf_text(c, &n), before);
	/* The old bytes, a line end if they had none, then only new lines. */
	assert_true(olen > len);
	assert_memory_equal(out, text, len);
	pre = len;
	if (open_end) {
		assert_memory_equal(out + len, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
		pre += crlf ? 2 : 1;
	}
	assert_non_null(strstr(out + pre, "[Peer]"));
	assert_non_null(strstr(out + pre, "AllowedIPs = 10.172.16.99/32, fd00::99/128"));
	assert_true((open_end && out[olen - 1] != '\n') || (!open_end && out[olen - 1] == '\n'));
	if (crlf)
		for (size_t i = pre; i < olen; ++i)
			if (out[i] == '\n')
				assert_int_equal(out[i - 1], '\r');
	/* names.c reads the new name from the new text. */
	assert_int_equal(names_parse_config(&map, out, olen), 0);
	if (name)
		assert_string_equal(names_lookup(&map, key), name);
	else
		assert_null(names_lookup(&map, key));
	names_clear(&map);
	assert_int_equal(wgconf_peers(c, &v, &n), 0);
	assert_int_equal(n, fx->n_peers + 1);
	assert_memory_equal(v[n - 1].public_key, key, WG_KEY_LEN);
	assert_int_equal(v[n - 1].preshared_key != NULL, psk);
	if (psk)
		assert_memory_equal(v[n - 1].preshared_key, psk_key, WG_KEY_LEN);
	assert_int_equal(v[n - 1].persistent_keepalive, keepalive);
	assert_int_equal(v[n - 1].n_allowedips, 2);
	wgconf_peers_free(v, n);
	free(out);

	assert_int_equal(wgconf_remove_peer(c, key), 0);
	assert_int_equal(wgconf_remove_peer(c, key), -ENOENT);
	assert_render(c, text, len);
	wgconf_free(c);
	free(text);
}

/* Room for the added lines and their NUL exactly: written in place. A byte less: copied. */
static void test_add_in_place_room(void **state)
{
	static const uint8_t key[WG_KEY_LEN] = { 5, 5, 5 };
	struct wg_allowedip a = prefix("10.172.16.99", 32);
	struct wgconf_new_peer np = { .public_key = key, .name = "edge", .allowedips = &a, .n_allowedips = 1 };
	size_t len, olen, l;
	char *text = load("wgquick.conf", &len), *out;
	struct wgconf *c = parse_ok(text, len);

	(void)state;
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	out = wgconf_render(c, &olen);
	assert_non_null(out);
	wgconf_free(c);
	for (size_t room = olen - len - 1; room <= olen - len; ++room) {
		const char *before;

		c = parse_room(text, len, room);
		before = wgconf_text(c, &l);
		assert_int_equal(wgconf_add_peer(c, &np), 0);
		assert_render(c, out, olen);
		if (room == olen - len)
			assert_ptr_equal(wgconf_text(c, &l), before);
		else
			assert_ptr_not_equal(wgconf_text(c, &l), before);
		wgconf_free(c);
	}
	free(out);
	free(text);
}

static void test_add_then_remove(void **state)
{
	for (size_t f = 0; f < sizeof(fixtures) / sizeof(*fixtures); ++f) {
		add_remove(&fixtures[f], "new peer", true, 25, 0);
		add_remove(&fixtures[f], NULL, false, 0, 0);
		add_remove(&fixtures[f], "new peer", true, 25, 4096);
		add_remove(&fixtures[f], NULL, false, 0, 4096);
	}
}

static void test_tool_conventions(void **state)
{
	for (size_t f = 0; f < sizeof(tool_files) / sizeof(*tool_files); ++f) {
		size_t len;
		char *text = load(tool_files[f].file, &len);
		const char *by = names_managed_by(text, len);

		print_message("%s\n", tool_files[f].file);
		assert_int_equal(names_file_convention(text, len), tool_files[f].convention);
		/* WGDashboard keeps its file with wg-quick save; wireguard-manager says false. */
		assert_int_equal(names_save_config(text, len), strstr(tool_files[f].file, "wgdashboard") != NULL);
		if (tool_files[f].managed_by) {
			assert_non_null(by);
			assert_string_equal(by, tool_files[f].managed_by);
		} else {
			assert_null(by);
		}
		free(text);
	}
}

/* A header counts at the start of a line, spaces aside, anywhere in the file; the first one wins. */
static void test_managed_by_lines(void **state)
{
	static const struct {
		const char *text;
		const char *tool;
	} cases[] = {
		{ "# Note: Do not edit this file directly.\n[Interface]\n", "wg-easy" },
		{ "[Interface]\n \t# AUTOGENERATED FILE - DO NOT EDIT\n", "wg-portal" },
		{ "\r\n\f# This file was generated using wireguard-ui", "wireguard-ui" },
		{ "[Interface] # Note: Do not edit this file directly.\n", NULL },
		{ "x# AUTOGENERATED FILE - DO NOT EDIT\n# Note: Do not edit this file directly.\n", "wg-easy" },
		{ "# AUTOGENERATED FILE - DO NOT EDIT\n# Note: Do not edit this file directly.\n", "wg-portal" },
		{ "# Note: Do not edit this file", NULL },
		{ "", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); ++i) {
		const char *by = names_managed_by(cases[i].text, strlen(cases[i].text));

		print_message("%zu\n", i);
		if (cases[i].tool)
			assert_string_equal(by ? by : "(none)", cases[i].tool);
		else
			assert_null(by);
	}
}

/*
 * A peer add reads only the lines it added (wgconf_test_continue): after every file style, any
 * of these tails must give the model a whole parse gives, or fail where that fails. Some change
 * what the old lines mean: a name comment joins the last peer, a marker closes its block, a key
 * line joins its section, a repeated key or a broken line makes the file wrong.
 */
static void test_continued_parse(void **state)
{
	static const char *const tails[] = {
		"\n[Peer]\nPublicKey = @\nAllowedIPs = 10.9.9.9/32\n",
		"[Peer]\n# Name = x\nPublicKey = @\n",
		"# Name = stray\n",
		"# stray\n\n",
		"### begin new ###\n[Peer]\nPublicKey = @\n### end new ###\n",
		"### end phone ###\n",
		"### end kiosk ###\n[Peer]\nPublicKey = @\n",
		"# BEGIN_PEER z\n[Peer]\nPublicKey = @\n# END_PEER z\n",
		"# END_PEER bob\n",
		"# z start\n[Peer]\nPublicKey = @\n# z end\n",
		"\n### Client c\n[Peer]\nPublicKey = @\n",
		"Endpoint = 192.0.2.9:51820\n",
		"AllowedIPs = 10.1.1.1/32\n",
		"PersistentKeepalive = 7",
		"PublicKey = @\n",
		"[Peer]\nPublicKey = =\n",
		"[Peer]\n",
		"[Interface]\nAddress = 10.0.0.1/24\n",
		"garbage line\n",
		",10.2.2.2/32\n",
		" # trailing\n",
		"\r\n[Peer]\r\nPublicKey = @\r\n",
		"#[disabled] [Peer]\n#[disabled] PublicKey = @\n",
		"\n[Peer]\n#friendly_name = f\nPublicKey = @\nAllowedIPs = fd00::1/128, 10.0.0.9/32\n"
		"PersistentKeepalive = 25\nPresharedKey = @\nEndpoint = [2001:db8::1]:51820\n",
		"\n[Peer]\nPublicKey = @\n\n[Peer]\nPublicKey = @\n",
		/* A disabled peer with the first peer's key: its name would be the first peer's. */
		"### begin sneaky ###\n#[disabled] [Peer]\n#[disabled] PublicKey = =\n### end sneaky ###\n",
		"",
	};
	/* Besides the fixtures: a PiVPN block still open at the end, with and without a line end. */
	static const char *const bases[] = {
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n### begin a ###\n[Peer]\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n",
		"### begin a ###\n[Peer]\nPublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		/*
		 * A disabled peer last: lines added join the [Peer] above it for wg-quick, whose name
		 * (Algo's way) was read before the disabled one's.
		 */
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n[Peer]\n# alpha\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n### begin d ###\n#[disabled] [Peer]\n"
		"#[disabled] PublicKey = AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n### end d ###\n",
		/* ... that names a peer above: the name stays the same when peers are added. */
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n[Peer]\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\n[Peer]\n"
		"PublicKey = AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n\n### begin d ###\n#[disabled] [Peer]\n"
		"#[disabled] PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n### end d ###\n",
	};
	const size_t n_files = sizeof(fixtures) / sizeof(*fixtures);
	size_t continued = 0, refused = 0, kept = 0, changed = 0;

	(void)state;
	for (size_t f = 0; f < n_files + sizeof(bases) / sizeof(*bases); ++f) {
		size_t len = f < n_files ? 0 : strlen(bases[f - n_files]);
		char *text = f < n_files ? load(fixtures[f].file, &len) : strdup(bases[f - n_files]);
		const char *file = f < n_files ? fixtures[f].file : "(base)";
		struct wgconf *c = parse_ok(text, len);
		const char *first_key = strstr(text, "PublicKey = ");

		for (size_t t = 0; t < sizeof(tails) / sizeof(*tails); ++t) {
			/* "@" is a new key each time, "=" the file's first peer's. */
			char *all = malloc(len + strlen(tails[t]) * 44 + 1), *o;
			struct wgconf *whole = NULL, *cont = NULL;
			struct wgconf_error err;
			int rw, rc, rk, kc = 0;

			assert_non_null(all);
			memcpy(all, text, len);
			o = all + len;
			for (const char *p = tails[t]; *p; ++p) {
				uint8_t k[WG_KEY_LEN];

				if (*p == '@') {
					random_key(k);
					key_to_base64(o, k);
					o += WG_KEY_B64_LEN - 1;
				} else if (*p == '=' && p > tails[t] && p[-1] == ' ' && p[1] == '\n' && first_key) {
					memcpy(o, first_key + 12, WG_KEY_B64_LEN - 1);
					o += WG_KEY_B64_LEN - 1;
				} else {
					*o++ = *p;
				}
			}
			*o = '\0';
			print_message("%s + tail %zu\n", file, t);
			rw = wgconf_parse(&whole, all, (size_t)(o - all), &err);
			rc = wgconf_test_continue(c, all, (size_t)(o - all), &cont, &kc);
			if (rc == 1) {
				/* Only where the old last line was open and the tail goes on with it. */
				assert_true(len && text[len - 1] != '\n');
				++refused;
			} else {
				assert_int_equal(rc == 0, rw == 0);
				if (rc == 0) {
					const char *why = wgconf_test_differ(cont, whole);

					if (why)
						fail_msg("%s + tail %zu: the models differ in %s", file, t, why);
					++continued;
					/* The check of an add skips what was copied, and comes out the same. */
					rk = wgconf_test_kept(c, whole);
					if (kc != rk || wgconf_test_kept(c, cont) != rk)
						fail_msg("%s + tail %zu: the check says %d and %d, not %d", file, t,
							 kc, wgconf_test_kept(c, cont), rk);
					++*(rk == 0 ? &kept : &changed);
				}
			}
			wgconf_free(whole);
			wgconf_free(cont);
			free(all);
		}
		wgconf_free(c);
		free(text);
	}
	print_message("%zu continued, %zu refused; %zu kept the peers, %zu changed one\n", continued, refused, kept,
		      changed);
	assert_true(continued > 300);
	assert_true(refused > 0);
	assert_true(kept > 100 && changed > 10);
}

/* When several ways name one peer, wgstar's own wins, then one inside the section, then above. */
static void test_convention_order(void **state)
{
	static const char text[] =
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n"
		"### Client above\n# BEGIN_PEER block\n[Peer]\n# first\n# friendly_name = inside\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n# END_PEER block\n\n"
		"# BEGIN_PEER block2\n[Peer]\n# first2\nPublicKey = AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n# END_PEER block2\n\n"
		"[Peer]\n# first3\nPublicKey = AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n# END_PEER nothing-open\n\n"
		"# Name = own\n### Client other\n[Peer]\nPublicKey = BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=\n";
	struct name_map map = { 0 };
	uint8_t k[WG_KEY_LEN];

	assert_int_equal(names_parse_config(&map, text, sizeof(text) - 1), 0);
	key_of(k, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
	assert_string_equal(names_lookup(&map, k), "inside");
	key_of(k, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
	assert_string_equal(names_lookup(&map, k), "block2");
	/* An end marker with nothing open names nothing: the first comment does. */
	key_of(k, "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=");
	assert_string_equal(names_lookup(&map, k), "first3");
	key_of(k, "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ=");
	assert_string_equal(names_lookup(&map, k), "own");
	names_clear(&map);
}

/*
 * The scripts that keep these files: how each lists its peers (an ERE whose group 1 is the
 * name, on each line) and revokes one (a sed range, from the first pattern to the second, with
 * NAME put in), as their own code does it.
 */
static const struct {
	const char *file;
	const char *list;
	const char *from, *to;		/* NULL: no script removes peers */
	const char *marker;		/* a line the new peer must have, NAME put in */
} scripts[] = {
	{ "tools/angristan.conf", "^### Client ([^ ]+)$", "^### Client NAME$", "^$", "### Client NAME" },
	{ "tools/nyr.conf", "^# BEGIN_PEER ([^ ]+)$", "^# BEGIN_PEER NAME$", "^# END_PEER NAME$", "# END_PEER NAME" },
	{ "tools/wireguard-manager.conf", "^# ([^ ]+) start$", "# NAME start", "# NAME end", "# NAME end" },
	{ "pivpn.conf", "^### begin ([^ ]+) ###$", "### begin NAME ###", "### end NAME ###", "### end NAME ###" },
	{ "tools/algo.conf", "^# ([^ =:]+)$", NULL, NULL, "# NAME" },
	{ "tools/exporter.conf", "^# friendly_name = (.+)$", NULL, NULL, "# friendly_name = NAME" },
	{ "tools/wgdashboard.conf", "^#Name# = (.+)$", NULL, NULL, "#Name# = NAME" },
};

static char *with_name(const char *pattern, const char *name)
{
	static char out[256];
	const char *at = strstr(pattern, "NAME");

	if (!at)
		snprintf(out, sizeof(out), "%s", pattern);
	else
		snprintf(out, sizeof(out), "%.*s%s%s", (int)(at - pattern), pattern, name, at + 4);
	return out;
}

/* Whether the script's listing finds name in text. */
static bool script_lists(const char *re_text, const char *text, const char *name)
{
	regex_t re;
	regmatch_t m[2];
	bool found = false;
	char *copy = strdup(text), *save = NULL;

	assert_int_equal(regcomp(&re, re_text, REG_EXTENDED), 0);
	for (char *l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
		if (!regexec(&re, l, 2, m, 0) && m[1].rm_so >= 0)
			found = (size_t)(m[1].rm_eo - m[1].rm_so) == strlen(name) && !strncmp(l + m[1].rm_so, name, strlen(name));
	regfree(&re);
	free(copy);
	return found;
}

/* sed -e "/FROM/,/TO/d" on text, as the script revokes; malloc'd. */
static char *script_revokes(const char *text, const char *from, const char *to)
{
	regex_t rf, rt;
	size_t cap = strlen(text) + 1, o = 0;
	char *out = malloc(cap);
	const char *p = text;
	bool in = false;

	assert_int_equal(regcomp(&rf, from, REG_EXTENDED | REG_NOSUB), 0);
	assert_int_equal(regcomp(&rt, to, REG_EXTENDED | REG_NOSUB), 0);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		char line[512];

		snprintf(line, sizeof(line), "%.*s", (int)(nl ? n - 1 : n), p);
		if (!in && !regexec(&rf, line, 0, NULL, 0)) {
			in = true;
		} else if (in && !regexec(&rt, line, 0, NULL, 0)) {
			in = false;
		} else if (!in) {
			memcpy(out + o, p, n);
			o += n;
		}
		p += n;
	}
	out[o] = '\0';
	regfree(&rf);
	regfree(&rt);
	return out;
}

/* A peer added, renamed and removed in the file's own way: the script finds, renames and revokes it. */
static void test_script_conventions(void **state)
{
	for (size_t f = 0; f < sizeof(scripts) / sizeof(*scripts); ++f) {
		struct wg_allowedip aips[2] = { prefix("10.172.16.99", 32), prefix("fd00::99", 128) };
		uint8_t key[WG_KEY_LEN];
		struct wgconf_new_peer np = { .public_key = key, .name = "carol", .allowedips = aips, .n_allowedips = 2 };
		char b64[WG_KEY_B64_LEN], *out, *revoked;
		struct name_map map = { 0 };
		size_t len, olen;
		char *text = load(scripts[f].file, &len);
		struct wgconf *c = parse_ok(text, len);

		print_message("%s\n", scripts[f].file);
		random_key(key);
		key_to_base64(b64, key);
		assert_int_equal(wgconf_add_peer(c, &np), 0);
		out = wgconf_render(c, &olen);
		/* Only appended: a peer add has written the bytes before it already (peerops.c). */
		assert_true(olen > len);
		assert_memory_equal(out, text, len);
		assert_non_null(strstr(out, with_name(scripts[f].marker, "carol")));
		assert_true(script_lists(scripts[f].list, out, "carol"));
		if (scripts[f].from) {
			/* The script's own revoke takes the peer and nothing of the others. */
			char from[128];

			snprintf(from, sizeof(from), "%s", with_name(scripts[f].from, "carol"));
			revoked = script_revokes(out, from, with_name(scripts[f].to, "carol"));
			assert_null(strstr(revoked, b64));
			assert_memory_equal(revoked, text, len);
			for (size_t i = len; revoked[i]; ++i)
				assert_int_equal(revoked[i], '\n');
			free(revoked);
		}
		free(out);
		/* Renamed: every marker follows, the others stay. */
		assert_int_equal(wgconf_set_name(c, key, "dave"), 0);
		out = wgconf_render(c, &olen);
		assert_non_null(strstr(out, with_name(scripts[f].marker, "dave")));
		assert_null(strstr(out, "carol"));
		assert_true(script_lists(scripts[f].list, out, "dave"));
		assert_int_equal(names_parse_config(&map, out, olen), 0);
		assert_string_equal(names_lookup(&map, key), "dave");
		names_clear(&map);
		free(out);
		/* Removed: the file as it was, byte for byte. */
		assert_int_equal(wgconf_remove_peer(c, key), 0);
		assert_render(c, text, len);
		wgconf_free(c);
		free(text);
	}
}

/* Keys "aaaa...", "bbbb...", ... in k; the first returned. */
static const uint8_t *letter_keys(uint8_t k[5][WG_KEY_LEN])
{
	for (int i = 0; i < 5; ++i)
		memset(k[i], 'a' + i, WG_KEY_LEN);
	return k[0];
}

/* drift_compute finds exactly one peer: key, live or in the file only. */
static void expect_one_drift(const struct wg_device *dev, const struct drift_peer *file, size_t n_file,
			     const struct keyidx *ix, const uint8_t *key, bool live)
{
	struct peer_drift *v;
	size_t nv;

	assert_int_equal(drift_compute(dev, file, n_file, ix, &v, &nv), 0);
	assert_int_equal(nv, 1);
	assert_int_equal(v[0].live, live);
	assert_memory_equal(v[0].key, key, WG_KEY_LEN);
	free(v);
}

/*
 * Drift both ways at once, a file that names a key twice, and the walk over the file skipped only
 * when every enabled entry was found live: the same answers as comparing each side with the other.
 */
static void test_drift_both_ways(void **state)
{
	struct drift_peer file[4] = { 0 };
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t k[5][WG_KEY_LEN];
	const uint8_t *a = letter_keys(k), *b = k[1], *c = k[2], *d = k[3];
	struct peer_drift *v;
	size_t nv;

	(void)state;
	memcpy(file[0].key, a, WG_KEY_LEN);
	memcpy(file[1].key, b, WG_KEY_LEN);
	memcpy(file[2].key, c, WG_KEY_LEN);
	file[0].name = "a";
	file[1].name = "b";
	file[2].name = "c";
	assert_non_null(wg_device_get_peer(dev, a, NULL));
	assert_non_null(wg_device_get_peer(dev, b, NULL));
	assert_non_null(wg_device_get_peer(dev, d, NULL));
	/* d live only, c in the file only. */
	assert_int_equal(drift_compute(dev, file, 3, NULL, &v, &nv), 0);
	assert_int_equal(nv, 2);
	assert_true(v[0].live);
	assert_memory_equal(v[0].key, d, WG_KEY_LEN);
	assert_false(v[1].live);
	assert_memory_equal(v[1].key, c, WG_KEY_LEN);
	free(v);
	/* a twice in the file, both live: no drift; one of them disabled, the same. */
	memcpy(file[2].key, a, WG_KEY_LEN);
	expect_one_drift(dev, file, 3, NULL, d, true);
	file[0].disabled = true;
	expect_one_drift(dev, file, 3, NULL, d, true);
	/* Everything in step: nothing. */
	memcpy(file[3].key, d, WG_KEY_LEN);
	file[3].name = "d";
	assert_int_equal(drift_compute(dev, file, 4, NULL, &v, &nv), 0);
	assert_int_equal(nv, 0);
	assert_null(v);
	/* b not live, a named twice and live: b is missing, a is not. */
	wg_device_free(dev);
	dev = wg_device_new("wg0");
	assert_non_null(wg_device_get_peer(dev, a, NULL));
	assert_non_null(wg_device_get_peer(dev, d, NULL));
	file[0].disabled = false;
	expect_one_drift(dev, file, 4, NULL, b, false);
	wg_device_free(dev);
}

/*
 * The memo: the same keys in another order give what the first computation gave (the file is
 * changed behind its back to show that nothing was looked up), with live-only names as the
 * device has them now; a key more and the drift is computed anew.
 */
static void test_drift_memo(void **state)
{
	struct drift_peer file[3] = { 0 };
	struct drift_memo memo = { 0 };
	struct wg_device *dev = wg_device_new("wg0"), *again = wg_device_new("wg0");
	uint8_t k[5][WG_KEY_LEN];
	const uint8_t *a = letter_keys(k), *c = k[2], *d = k[3], *e = k[4];
	struct peer_drift *v;
	size_t nv;

	(void)state;
	memcpy(file[0].key, a, WG_KEY_LEN);
	memcpy(file[1].key, c, WG_KEY_LEN);
	file[1].name = "c";
	assert_non_null(wg_device_get_peer(dev, a, NULL));
	assert_int_equal(wg_peer_set_name(wg_device_get_peer(dev, d, NULL), "dee"), 0);
	assert_int_equal(drift_compute_memo(dev, file, 2, NULL, &memo, &v, &nv), 0);
	assert_int_equal(nv, 2);
	assert_true(v[0].live);
	assert_string_equal(v[0].name, "dee");
	assert_memory_equal(v[1].key, c, WG_KEY_LEN);
	free(v);
	/* Same keys, other order and another name; the file now has d (not looked at). */
	assert_int_equal(wg_peer_set_name(wg_device_get_peer(again, d, NULL), "renamed"), 0);
	assert_non_null(wg_device_get_peer(again, a, NULL));
	memcpy(file[2].key, d, WG_KEY_LEN);
	assert_int_equal(drift_compute_memo(again, file, 3, NULL, &memo, &v, &nv), 0);
	assert_int_equal(nv, 2);
	assert_memory_equal(v[0].key, d, WG_KEY_LEN);
	assert_string_equal(v[0].name, "renamed");
	free(v);
	/* A peer more: computed against the file as it is. */
	assert_non_null(wg_device_get_peer(again, e, NULL));
	assert_int_equal(drift_compute_memo(again, file, 3, NULL, &memo, &v, &nv), 0);
	assert_int_equal(nv, 2);
	assert_memory_equal(v[0].key, e, WG_KEY_LEN);
	assert_memory_equal(v[1].key, c, WG_KEY_LEN);
	free(v);
	drift_memo_clear(&memo);
	wg_device_free(dev);
	wg_device_free(again);
}

/* PiVPN's "pivpn off": the block stays, every line "#[disabled] ": held disabled, still named. */
static void test_pivpn_disabled(void **state)
{
	size_t len, n;
	char *text = load("tools/pivpn-disabled.conf", &len);
	uint8_t(*keys)[WG_KEY_LEN], k1[WG_KEY_LEN], k2[WG_KEY_LEN];
	struct name_map map = { 0 };
	struct drift_peer file[2];
	struct peer_drift *v;
	struct wg_device *dev = wg_device_new("wg0");
	size_t nv;

	key_of(k1, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
	key_of(k2, "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=");
	assert_int_equal(names_disabled(text, len, &keys, &n), 0);
	assert_int_equal(n, 1);
	assert_memory_equal(keys[0], k1, WG_KEY_LEN);
	free(keys);
	assert_int_equal(names_parse_config(&map, text, len), 0);
	assert_string_equal(names_lookup(&map, k1), "laptop");
	assert_string_equal(names_lookup(&map, k2), "phone");
	names_clear(&map);
	/* Live or not, a disabled peer is no drift; phone in the file but not live is. */
	memcpy(file[0].key, k2, WG_KEY_LEN);
	file[0].name = "phone";
	file[0].disabled = false;
	memcpy(file[1].key, k1, WG_KEY_LEN);
	file[1].name = "laptop";
	file[1].disabled = true;
	expect_one_drift(dev, file, 2, NULL, k2, false);
	assert_non_null(wg_device_get_peer(dev, k1, NULL));
	expect_one_drift(dev, file, 2, NULL, k2, false);
	/* With the file's index kept by the caller, the same; phone live too: no drift at all. */
	{
		struct keyidx ix = KEYIDX_INIT(struct drift_peer, key);

		assert_int_equal(keyidx_rebuild(&ix, file, 2), 0);
		expect_one_drift(dev, file, 2, &ix, k2, false);
		assert_non_null(wg_device_get_peer(dev, k2, NULL));
		assert_int_equal(drift_compute(dev, file, 2, &ix, &v, &nv), 0);
		assert_int_equal(nv, 0);
		assert_null(v);
		keyidx_free(&ix);
	}
	wg_device_free(dev);
	/* Removing phone, right below laptop's disabled block, leaves that block alone. */
	{
		struct wgconf *c = parse_ok(text, len);
		const char *begin = strstr(text, "### begin phone ###"), *end = strstr(text, "### end phone ###\n");
		size_t out_len;
		char *out;

		assert_non_null(begin);
		assert_non_null(end);
		end += strlen("### end phone ###\n");
		assert_int_equal(wgconf_remove_peer(c, k2), 0);
		out = wgconf_render(c, &out_len);
		assert_int_equal(out_len, len - (size_t)(end - begin));
		assert_memory_equal(out, text, (size_t)(begin - text));
		assert_memory_equal(out + (begin - text), end, len - (size_t)(end - text));
		free(out);
		wgconf_free(c);
	}
	free(text);
}

/* Comments that look like a way of naming but are not one. */
static void test_not_names(void **state)
{
	static const char text[] =
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n"
		"# laptops start\n[Peer]\nPublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n"
		"[Peer]\nPublicKey = AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=\n# laptops end\n\n"
		"[Peer]\n# TODO rotate key\nPublicKey = AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=\n";
	struct name_map map = { 0 };

	assert_int_equal(names_parse_config(&map, text, sizeof(text) - 1), 0);
	assert_int_equal(map.n, 0);
	names_clear(&map);
}

/* The file after peer AQEB...'s rename to name, as rendered (the caller frees it). */
static char *renamed(const char *text, size_t len, const char *name)
{
	struct wgconf *c = parse_ok(text, len);
	uint8_t k[WG_KEY_LEN];
	size_t n;
	char *out;

	key_of(k, "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=");
	assert_int_equal(wgconf_set_name(c, k, name), 0);
	out = wgconf_render(c, &n);
	assert_non_null(out);
	wgconf_free(c);
	return out;
}

/* A PiVPN peer another tool names too: the tool's name counts, and a rename changes that one. */
static void test_rename_where_read(void **state)
{
	static const char text[] =
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n"
		"### begin laptop ###\n[Peer]\n# friendly_name = work laptop\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n### end laptop ###\n";
	char *out = renamed(text, sizeof(text) - 1, "old laptop");

	assert_non_null(strstr(out, "# friendly_name = old laptop\n"));
	assert_non_null(strstr(out, "### begin laptop ###"));
	assert_null(strstr(out, "# Name ="));
	free(out);
}

/*
 * A "# Name" line behind PiVPN's disabled mark in a peer that is not disabled: names.c reads
 * the name after the mark, and a rename edits it there (the fuzzer found the rename reading
 * the line without the mark, and writing from a wild offset).
 */
static void test_rename_behind_disabled_mark(void **state)
{
	static const char text[] =
		"[Interface]\nPrivateKey = yMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMg=\n\n"
		"[Peer]\n#[disabled]# Name = nas\n"
		"PublicKey = AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\nAllowedIPs = 10.6.0.2/32\n";
	char *out = renamed(text, sizeof(text) - 1, "backup");

	assert_non_null(strstr(out, "[Peer]\n#[disabled]# Name = backup\nPublicKey"));
	free(out);
}

static void test_add_exact(void **state)
{
	static const uint8_t key[WG_KEY_LEN] = { 7, 7, 7 };
	struct wg_allowedip a = prefix("10.6.0.4", 32);
	struct wgconf_new_peer np = { .public_key = key, .name = "tablet", .allowedips = &a, .n_allowedips = 1 };
	char b64[WG_KEY_B64_LEN], want[2048];
	size_t len, olen;
	char *text, *out;
	struct wgconf *c;

	key_to_base64(b64, key);
	/* PiVPN's file: wrapped in its markers, no blank line, as PiVPN appends. */
	text = load("pivpn.conf", &len);
	c = parse_ok(text, len);
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	out = wgconf_render(c, &olen);
	snprintf(want, sizeof(want), "%s### begin tablet ###\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.6.0.4/32\n"
		 "### end tablet ###\n", text, b64);
	assert_string_equal(out, want);
	free(out);
	wgconf_free(c);
	free(text);

	/* No final newline: one is added before, and the new last line goes without. */
	text = load("nofinalnl.conf", &len);
	c = parse_ok(text, len);
	np.persistent_keepalive = 25;
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	out = wgconf_render(c, &olen);
	snprintf(want, sizeof(want), "%s\n\n[Peer]\n# Name = tablet\nPublicKey = %s\nAllowedIPs = 10.6.0.4/32\n"
		 "PersistentKeepalive = 25", text, b64);
	assert_string_equal(out, want);
	free(out);
	wgconf_free(c);
	free(text);

	/* An empty file gets the section alone. */
	c = parse_ok("", 0);
	np.name = NULL;
	np.persistent_keepalive = 0;
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	out = wgconf_render(c, &olen);
	snprintf(want, sizeof(want), "[Peer]\nPublicKey = %s\nAllowedIPs = 10.6.0.4/32\n", b64);
	assert_string_equal(out, want);
	free(out);
	wgconf_free(c);
}

static void remove_expect(const char *file, const char *b64, const char *expected_file)
{
	uint8_t key[WG_KEY_LEN];
	size_t len, elen;
	char *text = load(file, &len), *want = load(expected_file, &elen);
	struct wgconf *c = parse_ok(text, len);

	key_of(key, b64);
	assert_int_equal(wgconf_remove_peer(c, key), 0);
	assert_render(c, want, elen);
	assert_false(wgconf_has_peer(c, key));
	wgconf_free(c);
	free(want);
	free(text);
}

static void test_remove_exact(void **state)
{
	remove_expect("wgquick.conf", "uZxg6fxIBtPb9dNBKu4Q4shMMrP5EtPwcDORJv1KTnA=",
		      "wgquick.without-bob-phone.conf");
	/* The comment block above the [Peer] goes with it; the note at the end of the one before stays. */
	remove_expect("comments.conf", "6VJgxduGjlBYONTFj5larBEsK9/oT+qEOh4BzKGaRQ0=",
		      "comments.without-printer.conf");
	remove_expect("pivpn.conf", "KESjiny9pcv3bM2UNBnil8CVJS9czwzsSjoYPnzJPyQ=", "pivpn.without-laptop.conf");
	remove_expect("crlf.conf", "d31In+WA3foJ+BDB2lC29vM9wgYJH95Nm1aHgWXHuEo=",
		      "crlf.without-windows-desktop.conf");
	remove_expect("nofinalnl.conf", "yZ36fppb9lfaZaqaUFBzgNA0ha9O53AfAsGpJjIdV1U=",
		      "nofinalnl.without-kiosk.conf");
}

static void test_queries(void **state)
{
	struct wgconf_peer_info *v;
	struct wg_allowedip *a;
	size_t len, n;
	char buf[INET6_ADDRSTRLEN];
	char *text = load("dualstack.conf", &len);
	struct wgconf *c = parse_ok(text, len);

	assert_int_equal(wgconf_interface_addresses(c, &a, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(a[0].family, AF_INET);
	assert_int_equal(a[0].cidr, 24);
	assert_int_equal(a[1].family, AF_INET6);
	assert_string_equal(inet_ntop(AF_INET6, &a[1].ip6, buf, sizeof(buf)), "fd00:172:16::1");
	assert_string_equal(inet_ntop(AF_INET6, &a[2].ip6, buf, sizeof(buf)), "2001:db8:16::1");
	free(a);
	assert_string_equal(wgconf_interface_value(c, "ListenPort"), "51820");
	assert_string_equal(wgconf_interface_value(c, "dns"), "10.172.16.1");
	assert_null(wgconf_interface_value(c, "SaveConfig"));
	/* Never shown unasked. */
	assert_null(wgconf_interface_value(c, "PrivateKey"));
	assert_true(wgconf_has_private_key(c));
	assert_int_equal(wgconf_peers(c, &v, &n), 0);
	assert_int_equal(n, 2);
	/* Several AllowedIPs lines add up. */
	assert_int_equal(v[0].n_allowedips, 4);
	assert_string_equal(inet_ntop(AF_INET, &v[0].allowedips[2].ip4, buf, sizeof(buf)), "192.0.2.0");
	assert_int_equal(v[0].allowedips[3].cidr, 128);
	assert_int_equal(v[0].line, 8);
	assert_int_equal(v[1].line, 15);
	assert_null(v[0].preshared_key);
	assert_null(v[0].endpoint);
	wgconf_peers_free(v, n);
	wgconf_free(c);
	free(text);

	text = load("wgquick.conf", &len);
	c = parse_ok(text, len);
	assert_string_equal(wgconf_interface_value(c, "SaveConfig"), "false");
	assert_string_equal(wgconf_interface_value(c, "PostUp"),
			    "iptables -A FORWARD -i %i -o %i -j ACCEPT; sysctl -q -w net.ipv4.ip_forward=1");
	assert_int_equal(wgconf_peers(c, &v, &n), 0);
	assert_int_equal(v[0].persistent_keepalive, 25);
	assert_non_null(v[1].preshared_key);
	assert_string_equal(v[2].endpoint, "198.51.100.7:51820");
	assert_int_equal(v[2].n_allowedips, 2);
	wgconf_peers_free(v, n);
	wgconf_free(c);
	free(text);

	/* A comment after a value is no part of it, as wg-quick reads it. */
	text = load("comments.conf", &len);
	c = parse_ok(text, len);
	assert_string_equal(wgconf_interface_value(c, "ListenPort"), "51820");
	assert_string_equal(wgconf_interface_value(c, "UnknownKey"), "kept as it is");
	assert_null(wgconf_interface_value(c, "MTU"));
	assert_null(wgconf_interface_value(c, "Comment"));
	assert_int_equal(wgconf_peers(c, &v, &n), 0);
	assert_int_equal(v[0].n_allowedips, 1);
	assert_int_equal(v[1].n_allowedips, 1);
	assert_string_equal(v[2].endpoint, "203.0.113.5:51820");
	wgconf_peers_free(v, n);
	wgconf_free(c);
	free(text);

	/* Keys in any case, tabs around '=', "off". */
	text = load("semicolon.conf", &len);
	c = parse_ok(text, len);
	assert_string_equal(wgconf_interface_value(c, "ListenPort"), "51820");
	assert_int_equal(wgconf_interface_addresses(c, &a, &n), 0);
	assert_int_equal(n, 1);
	free(a);
	assert_int_equal(wgconf_peers(c, &v, &n), 0);
	assert_int_equal(v[0].n_allowedips, 1);
	assert_int_equal(v[0].persistent_keepalive, 0);
	wgconf_peers_free(v, n);
	wgconf_free(c);
	free(text);
}

/* Runs an edit on a fixture and checks the whole resulting text. */
static void edit_expect(const char *file, const char *from, const char *to, int (*edit)(struct wgconf *))
{
	size_t len, olen;
	char *text = load(file, &len), *want, *out, *at;
	struct wgconf *c = parse_ok(text, len);

	at = strstr(text, from);
	assert_non_null(at);
	want = malloc(len + strlen(to) + 1);
	memcpy(want, text, (size_t)(at - text));
	strcpy(want + (at - text), to);
	strcat(want, at + strlen(from));
	assert_int_equal(edit(c), 0);
	out = wgconf_render(c, &olen);
	assert_string_equal(out, want);
	free(out);
	free(want);
	wgconf_free(c);
	free(text);
}

#define KEY_P8 "fQLLCoWze8IOFw8FlJoPgPxqnp2CAfvhocHLiy1ubxE="
#define KEY_NAS "l4fUG2G4YKHvkYVi7b85lmQp8/VQJ/hND3MvIH7bICQ="
#define KEY_TABLET "/jh6gsC3/MN9pybfM9+Q21Av2RwyweO/sdW1WBJYxH4="
#define KEY_ALICE "x84F3/EyGeY5ZmlZgliQ4IKJTLV4yqnjZewXeWvbfG4="
#define KEY_BUILD "jnhvQrwwwFACM52GCCUGsOLRTliOBoawjK2k0ccuMmc="
#define KEY_SAVE1 "jylvHaQPqvorgsBydV1lLvRiNnjM9ogYuhLbApxhmjg="
#define KEY_PHONE "VCPCZvA81M+kQtSfaYlpiYVf3l03JNOw7MnGz6GpXho="
#define KEY_CRLF "pYX0kmG1/zAOOKr9vXSZAdHEHGjVW8ICxc0k9O1rkks="

static int aips_two(struct wgconf *c, const char *b64)
{
	struct wg_allowedip v[2] = { prefix("10.172.16.5", 32), prefix("fd00::5", 128) };
	uint8_t key[WG_KEY_LEN];

	key_of(key, b64);
	return wgconf_set_allowedips(c, key, v, 2);
}

static int aips_p8(struct wgconf *c)
{
	return aips_two(c, KEY_P8);
}

static int aips_nas(struct wgconf *c)
{
	return aips_two(c, KEY_NAS);
}

static int aips_tablet(struct wgconf *c)
{
	return aips_two(c, KEY_TABLET);
}

static int aips_none_nas(struct wgconf *c)
{
	uint8_t key[WG_KEY_LEN];

	key_of(key, KEY_NAS);
	return wgconf_set_allowedips(c, key, NULL, 0);
}

static int aips_add_to_bare(struct wgconf *c)
{
	uint8_t key[WG_KEY_LEN];

	key_of(key, KEY_NAS);
	assert_int_equal(wgconf_set_allowedips(c, key, NULL, 0), 0);
	return aips_nas(c);
}

static void test_set_allowedips(void **state)
{
	/* In place: the trailing comment stays. */
	edit_expect("comments.conf", "AllowedIPs = 10.172.16.2/32 # laptop",
		    "AllowedIPs = 10.172.16.5/32, fd00::5/128 # laptop", aips_p8);
	/* The first line rewritten, the others gone. */
	edit_expect("dualstack.conf",
		    "AllowedIPs = 10.172.16.10/32, fd00:172:16::10/128\nAllowedIPs = 192.0.2.0/24\n"
		    "AllowedIPs = 2001:db8:16::10/128\n",
		    "AllowedIPs = 10.172.16.5/32, fd00::5/128\n", aips_nas);
	/* The key's spelling and the tabs stay. */
	edit_expect("semicolon.conf", "allowedips\t=\t10.172.16.40/32", "allowedips\t=\t10.172.16.5/32, fd00::5/128",
		    aips_tablet);
	edit_expect("dualstack.conf",
		    "AllowedIPs = 10.172.16.10/32, fd00:172:16::10/128\nAllowedIPs = 192.0.2.0/24\n"
		    "AllowedIPs = 2001:db8:16::10/128\n", "", aips_none_nas);
	/* None there: a line after PublicKey. */
	edit_expect("dualstack.conf",
		    "PublicKey = " KEY_NAS "\nAllowedIPs = 10.172.16.10/32, fd00:172:16::10/128\n"
		    "AllowedIPs = 192.0.2.0/24\nAllowedIPs = 2001:db8:16::10/128\n",
		    "PublicKey = " KEY_NAS "\nAllowedIPs = 10.172.16.5/32, fd00::5/128\n", aips_add_to_bare);
}

static int name_set(struct wgconf *c, const char *b64, const char *name)
{
	uint8_t key[WG_KEY_LEN];

	key_of(key, b64);
	return wgconf_set_name(c, key, name);
}

static int name_alice(struct wgconf *c)
{
	return name_set(c, KEY_ALICE, "alice's new laptop");
}

static int name_build(struct wgconf *c)
{
	return name_set(c, KEY_BUILD, "ci");
}

static int name_unnamed(struct wgconf *c)
{
	return name_set(c, KEY_SAVE1, "gateway \xc3\xa9t\xc3\xa9");
}

static int name_pivpn(struct wgconf *c)
{
	return name_set(c, KEY_PHONE, "old-phone");
}

static int name_crlf(struct wgconf *c)
{
	return name_set(c, KEY_CRLF, "tablet");
}

static int name_remove(struct wgconf *c)
{
	return name_set(c, KEY_ALICE, NULL);
}

static int name_remove_pivpn(struct wgconf *c)
{
	return name_set(c, KEY_PHONE, NULL);
}

#define PHONE_BODY "[Peer]\nPublicKey = " KEY_PHONE "\n" \
	"PresharedKey = GMuccfOsVWo37O4YkIWQVzKZp2eO9KG0RqeNuo/bgkE=\n" \
	"AllowedIPs = 10.6.0.3/32,fd11:5ee:bad:c0de::3/128\n"

static void test_set_name(void **state)
{
	struct wgconf *c;
	size_t len;
	char *text;

	edit_expect("wgquick.conf", "# Name = alice-laptop", "# Name = alice's new laptop", name_alice);
	/* The comment above the header, where names.c reads it. */
	edit_expect("wgquick.conf", "# Name = build server", "# Name = ci", name_build);
	edit_expect("saveconfig.conf", "[Peer]\nPublicKey = " KEY_SAVE1,
		    "[Peer]\n# Name = gateway \xc3\xa9t\xc3\xa9\nPublicKey = " KEY_SAVE1, name_unnamed);
	/* Both PiVPN markers. */
	edit_expect("pivpn.conf", "### begin phone ###\n" PHONE_BODY "### end phone ###\n",
		    "### begin old-phone ###\n" PHONE_BODY "### end old-phone ###\n", name_pivpn);
	edit_expect("pivpn.conf", "### begin phone ###\n" PHONE_BODY "### end phone ###\n", PHONE_BODY,
		    name_remove_pivpn);
	edit_expect("crlf.conf", "# Name = surface\r\n", "# Name = tablet\r\n", name_crlf);
	edit_expect("wgquick.conf", "# Name = alice-laptop\n", "", name_remove);

	text = load("wgquick.conf", &len);
	c = parse_ok(text, len);
	{
		static const char *const bad[] = { "", "a#b", "two\nlines", " lead", "trail ", "tab\there",
						   "\x7f", "\xc3", "\xc2\x85", "### end x ###",
						   /* NAMES_MAX_LEN + 1 bytes */
						   "0123456789012345678901234567890123456789"
						   "012345678901234567890123x" };

		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); ++i)
			assert_int_equal(name_set(c, KEY_ALICE, bad[i]), -EINVAL);
	}
	assert_int_equal(name_set(c, KEY_PHONE, "x"), -ENOENT);
	assert_render(c, text, len);
	wgconf_free(c);
	free(text);
}

/* A faulty edit, for the check every edit passes: the first of fault_from becomes fault_to. */
static const char *fault_from, *fault_to;

static void fault(char *text, size_t len)
{
	char *at = memmem(text, len, fault_from, strlen(fault_from));

	assert_int_equal(strlen(fault_from), strlen(fault_to));
	if (at)
		memcpy(at, fault_to, strlen(fault_to));
}

/*
 * An add to file whose new text a faulty edit changes (from becomes to, in the added lines): it
 * is refused, and the model, whose arrays the add grew, is the file's again, field for field,
 * and takes the add after.
 */
static void add_refused(const char *file, const struct wgconf_new_peer *np, const char *from, const char *to)
{
	size_t len, l;
	char *text = load(file, &len);

	for (size_t room = 0; room <= 4096; room += 4096) {
		struct wgconf *c = room ? parse_room(text, len, room) : parse_ok(text, len);
		const char *t;

		print_message("%s: %s%s\n", file, to, room ? ", in place" : "");
		fault_from = from;
		fault_to = to;
		wgconf_test_edit = fault;
		assert_int_equal(wgconf_add_peer(c, np), -ENOTSUP);
		wgconf_test_edit = NULL;
		assert_model(c, text, len);
		/* Written in place and refused: nothing of it is left past the text (a preshared key). */
		t = wgconf_text(c, &l);
		for (size_t i = l; room && i < l + 1 + room; ++i)
			if (t[i])
				fail_msg("byte %zu past the text is left after a refused add", i - l);
		assert_int_equal(wgconf_add_peer(c, np), 0);
		wgconf_free(c);
	}
	free(text);
}

/*
 * An edit whose result changes more than it meant is refused and leaves the file as it was:
 * another peer's name, endpoint, key or keepalive, or the edited peer's name other than asked.
 */
static void test_edit_checked(void **state)
{
	static const struct {
		const char *from, *to;
	} faults[] = {
		{ "# Name = build server", "# Name = build serves" },
		{ "198.51.100.7:51820", "198.51.100.7:51821" },
		{ "PublicKey = jnhvQ", "PublicKey = jnhvR" },
		{ "PersistentKeepalive = 25", "PersistentKeepalive = 26" },
		{ "AllowedIPs = 10.172.16.4/32", "AllowedIPs = 10.172.16.5/32" },
	};
	uint8_t bob[WG_KEY_LEN], key[WG_KEY_LEN] = { 9, 9 };
	struct wg_allowedip aip = prefix("10.99.0.1", 32);
	struct wgconf_new_peer np = { .public_key = key, .name = "new", .allowedips = &aip, .n_allowedips = 1 };
	struct wgconf_new_peer anon = { .public_key = key, .allowedips = &aip, .n_allowedips = 1 };
	struct wgconf *c;
	size_t len;
	char *text;

	(void)state;
	text = load("wgquick.conf", &len);
	key_of(bob, "uZxg6fxIBtPb9dNBKu4Q4shMMrP5EtPwcDORJv1KTnA=");
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); ++i) {
		c = parse_ok(text, len);
		fault_from = faults[i].from;
		fault_to = faults[i].to;
		wgconf_test_edit = fault;
		assert_int_equal(wgconf_remove_peer(c, bob), -ENOTSUP);
		/* An add reads only its own lines again, unless the old ones are not the same. */
		assert_int_equal(wgconf_add_peer(c, &np), -ENOTSUP);
		/* The name asked for, and only that, is checked too. */
		if (i == 0)
			assert_int_equal(name_set(c, KEY_ALICE, "alice-laptoq"), -ENOTSUP);
		wgconf_test_edit = NULL;
		assert_render(c, text, len);
		assert_int_equal(wgconf_remove_peer(c, bob), 0);
		wgconf_free(c);
	}
	/* Added, but not as asked: the lines it added are read again and checked. */
	add_refused("wgquick.conf", &np, "AllowedIPs = 10.99.0.1/32", "AllowedIPs = 10.99.0.2/32");
	/* Added lines that join the last peer instead (its name, its allowed IPs), or break it (a second key). */
	add_refused("wgquick.conf", &np, "[Peer]\n# Name = new\nPublicKey", "#Peer]\n# Name = new\n#ublicKey");
	add_refused("wgquick.conf", &np, "[Peer]\n# Name = new\nPublicKey", "#Peer]\n# Name = new\nPublicKey");
	/* ... with no name: the allowed IPs alone change the last peer. */
	add_refused("wgquick.conf", &anon, "[Peer]\nPublicKey = CQkA", "#Peer]\n#ublicKey = CQkA");
	/* A last line without its line end, which the add splits again. */
	add_refused("nofinalnl.conf", &anon, "AllowedIPs = 10.99.0.1/32", "AllowedIPs = 10.99.0.2/32");
	/* ... and whose line end goes missing: the old last line changes, and is read whole. */
	add_refused("nofinalnl.conf", &anon, "\n\n[Peer]\nPublicKey = CQkA", "5\n[Peer]\nPublicKey = CQkA");
	/* A line before the new [Peer] that joins the last one: the old peer changed, the new one is right. */
	add_refused("pivpn.conf", &np, "### begin new ###", "Endpoint = x:1234");
	/* Renamed, but not to what was asked. */
	c = parse_ok(text, len);
	fault_from = "# Name = alice-laptoq";
	fault_to = "# Name = alice-laptox";
	wgconf_test_edit = fault;
	assert_int_equal(name_set(c, KEY_ALICE, "alice-laptoq"), -ENOTSUP);
	wgconf_test_edit = NULL;
	assert_render(c, text, len);
	wgconf_free(c);
	free(text);
}

/* What wg-quick would refuse, refused here too, at the right line. */
static void test_malformed(void **state)
{
#define PK "PublicKey = " KEY_ALICE "\n"
	static const struct {
		const char *text;
		unsigned int line;
	} cases[] = {
		{ "ListenPort = 51820\n[Interface]\n", 1 },
		{ "# comment\n\nPrivateKey = x\n", 3 },
		{ "[Interface]\n\n[Peer]\nAllowedIPs = 10.0.0.2/32\n\n[Peer]\n" PK, 3 },
		{ "[Peer]\n" PK PK, 3 },
		{ "[Peer]\nPublicKey = not-a-key\n", 2 },
		{ "[Peer]\nPublicKey = x84F3/EyGeY5ZmlZgliQ4IKJTLV4yqnjZewXeWvbfG5=\n", 2 },
		{ "[Peer]\nPublicKey = x84F3/EyGeY5ZmlZgliQ4IKJTLV4yqnjZewXeWvbfG4\n", 2 },
		{ "[Peer]\n" PK "PresharedKey = short=\n", 3 },
		{ "[Peer]\n" PK "AllowedIPs = 10.0.0.2/33\n", 3 },
		{ "[Peer]\n" PK "AllowedIPs = 10.0.0.2/32,\n", 3 },
		{ "[Peer]\n" PK "AllowedIPs = 10.0.0.256/32\n", 3 },
		{ "[Peer]\n" PK "AllowedIPs = fd00::1/129\n", 3 },
		{ "[Peer]\n" PK "AllowedIPs = 10.0.0.0/8, fd00::/8\nAllowedIPs = example.com\n", 4 },
		{ "[Interface]\nAddress = 10.0.0.1/24, 10.0.0.x/24\n", 2 },
		{ "[Peer]\n" PK "PersistentKeepalive = 65536\n", 3 },
		{ "[Peer]\n" PK "\n[Peer]\n" PK, 5 },
		{ "[Interface]\nthis is not a line\n", 2 },
		{ "[Interface]\n = value without key\n", 2 },
		{ "[Interface\n", 1 },
		{ "[Interface]\nListenPort = 1\0\n", 2 },
		{ "[Interface]\r\nPrivateKey = a\r\n\r\n[Peer]\r\n" PK "Oops\r\n", 6 },
	};
	static const size_t lens[] = { [19] = sizeof("[Interface]\nListenPort = 1\0\n") - 1 };
#undef PK

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); ++i) {
		struct wgconf_error err;
		struct wgconf *c = (struct wgconf *)1;
		size_t len = i < sizeof(lens) / sizeof(*lens) && lens[i] ? lens[i] : strlen(cases[i].text);

		char *copy = malloc(len + 1);

		assert_int_equal(wgconf_parse(&c, cases[i].text, len, &err), -EINVAL);
		assert_null(c);
		if (err.line != cases[i].line)
			fail_msg("case %zu: line %u, want %u (%s)", i, err.line, cases[i].line, err.msg);
		assert_true(err.msg[0]);
		assert_null(strchr(err.msg, '\n'));
		/* Refused text that was taken is freed with the refusal (the leak check sees it). */
		assert_non_null(copy);
		memcpy(copy, cases[i].text, len);
		copy[len] = '\0';
		c = (struct wgconf *)1;
		assert_int_equal(wgconf_parse_taking(&c, copy, len, len + 1, &err), -EINVAL);
		assert_null(c);
		assert_int_equal(err.line, cases[i].line);
	}
	{
		/* Too large, taken: refused and freed before it is looked at. */
		size_t big = WGCONF_MAX_LEN + 1;
		char *text = malloc(big + 1);
		struct wgconf_error err;
		struct wgconf *c;

		assert_non_null(text);
		memset(text, '\n', big);
		text[big] = '\0';
		assert_int_equal(wgconf_parse_taking(&c, text, big, big + 1, &err), -EFBIG);
		assert_null(c);
	}
	/* Two keys each twice: the first repeat in the file is named, with the [Peer] it repeats. */
	{
		static const char text[] = "[Peer]\nPublicKey = " KEY_ALICE "\n\n[Peer]\nPublicKey = " KEY_NAS
					   "\n\n[Peer]\nPublicKey = " KEY_NAS "\n\n[Peer]\nPublicKey = " KEY_ALICE "\n";
		/* The same after an [Interface]: sections that are not peers are not in the index. */
		static const char after[] = "[Interface]\nListenPort = 1\n\n[Peer]\nPublicKey = " KEY_ALICE
					    "\n\n[Peer]\nPublicKey = " KEY_ALICE "\n";
		struct wgconf_error err;
		struct wgconf *c;

		assert_int_equal(wgconf_parse(&c, text, sizeof(text) - 1, &err), -EINVAL);
		assert_int_equal(err.line, 8);
		assert_non_null(strstr(err.msg, "line 4 "));
		assert_int_equal(wgconf_parse(&c, after, sizeof(after) - 1, &err), -EINVAL);
		assert_int_equal(err.line, 8);
		assert_non_null(strstr(err.msg, "line 4 "));
	}
}

/* What wg(8) and wg-quick accept, accepted. */
static void test_accepted(void **state)
{
	static const char *const ok[] = {
		"",
		"\n\n",
		"# only a comment",
		"[Interface]\n",
		"[Interface]\nAddress = 10.0.0.1/24 10.0.0.2/24 , fd00::1/64\n",
		"[Peer]\nPublicKey = " KEY_ALICE "\nAllowedIPs =\n",
		"[Peer]\nPublicKey = " KEY_ALICE "\nAllowedIPs = 10.0.0.1, 0.0.0.0/0, ::/0\n",
		"[Peer]\nPublicKey = " KEY_ALICE " # keys may have a comment too\n",
		"[Peer]\nPublicKey = " KEY_ALICE "\nPersistentKeepalive = OFF\nNewKey = kept\n",
		"[Peer]  # comment after a header\nPublicKey = " KEY_ALICE "\n",
		"[Unknown]\nAnything = goes\n[Interface]\n",
		"\t[Peer]\n\tPublicKey\t=\t" KEY_ALICE "\t\n",
		"[Interface]\r\nListenPort = 1\r",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); ++i) {
		struct wgconf *c = parse_ok(ok[i], strlen(ok[i]));
		uint8_t key[WG_KEY_LEN];
		struct wgconf_new_peer np = { .public_key = key, .name = "x" };

		assert_render(c, ok[i], strlen(ok[i]));
		/* Even files this odd take a peer and give it back. */
		random_key(key);
		assert_int_equal(wgconf_add_peer(c, &np), 0);
		assert_int_equal(wgconf_remove_peer(c, key), 0);
		assert_render(c, ok[i], strlen(ok[i]));
		wgconf_free(c);
	}
}

static void test_bad_arguments(void **state)
{
	struct wg_allowedip bad = prefix("10.0.0.1", 32);
	uint8_t key[WG_KEY_LEN];
	struct wgconf_new_peer np = { .public_key = key, .allowedips = &bad, .n_allowedips = 1 };
	size_t len;
	char *text = load("wgquick.conf", &len);
	struct wgconf *c = parse_ok(text, len);

	key_of(key, KEY_ALICE);
	assert_int_equal(wgconf_add_peer(c, &np), -EEXIST);
	random_key(key);
	bad.cidr = 33;
	assert_int_equal(wgconf_add_peer(c, &np), -EINVAL);
	bad.cidr = 32;
	bad.family = AF_UNIX;
	assert_int_equal(wgconf_add_peer(c, &np), -EINVAL);
	np.n_allowedips = 0;
	np.name = "bad\nname";
	assert_int_equal(wgconf_add_peer(c, &np), -EINVAL);
	np.public_key = NULL;
	np.name = NULL;
	assert_int_equal(wgconf_add_peer(c, &np), -EINVAL);
	assert_int_equal(wgconf_remove_peer(c, key), -ENOENT);
	assert_int_equal(wgconf_set_allowedips(c, key, NULL, 0), -ENOENT);
	key_of(key, KEY_ALICE);
	assert_int_equal(wgconf_set_allowedips(c, key, &bad, 1), -EINVAL);
	assert_render(c, text, len);
	wgconf_free(c);
	free(text);
}

/*
 * A peer added to a model whose names a device holds, as a peer add names the interface from
 * the file it read: the model that continues it shares those names rather than copying them.
 * They outlive the old model and the device; a second add shares the shared on. The model
 * still equals a whole parse of its text; AddressSanitizer's leak and use-after-free checks
 * are the other half of this test.
 */
static void add_named(struct wgconf *c, const uint8_t *key, const char *name, int host)
{
	struct wg_allowedip ip = { .family = AF_INET, .cidr = 32 };
	struct wgconf_new_peer np = { .public_key = key, .name = name, .allowedips = &ip, .n_allowedips = 1 };
	struct wgconf *whole;
	struct wgconf_error err;
	const char *text;
	size_t len;

	ip.ip4.s_addr = htonl(0x0a000000u | (uint32_t)host);
	assert_int_equal(wgconf_add_peer(c, &np), 0);
	text = wgconf_text(c, &len);
	assert_int_equal(wgconf_parse(&whole, text, len, &err), 0);
	assert_null(wgconf_test_differ(c, whole));
	wgconf_free(whole);
}

static void test_add_shares_held_names(void **state)
{
	static const char *const names[] = { "alice", "bob", "carol", "dave", "erin" };
	uint8_t k[5][WG_KEY_LEN];
	char b64[3][WG_KEY_B64_LEN], text[1024];
	struct name_map store = { 0 }, *map;
	struct wgconf *c;
	struct wgconf_error err;
	struct wg_device *dev;

	(void)state;
	letter_keys(k);
	for (int i = 0; i < 3; ++i)
		key_to_base64(b64[i], k[i]);
	snprintf(text, sizeof(text),
		 "[Interface]\nListenPort = 51820\n\n# Name = alice\n[Peer]\nPublicKey = %s\nAllowedIPs = 10.0.0.2/32\n\n"
		 "[Peer]\n# Name = bob\nPublicKey = %s\nAllowedIPs = 10.0.0.3/32\n\n"
		 "[Peer]\nPublicKey = %s\n# Name = carol\nAllowedIPs = 10.0.0.4/32\n",
		 b64[0], b64[1], b64[2]);
	assert_int_equal(wgconf_parse(&c, text, strlen(text), &err), 0);
	for (int round = 0; round < 2; ++round) {
		const char *held;

		dev = wg_device_new("wg0");
		for (int i = 0; i < 3 + round; ++i)
			assert_non_null(wg_device_get_peer(dev, k[i], NULL));
		assert_int_equal(names_apply(dev, wgconf_names(c), &store), 0);
		held = wg_device_find_peer(dev, k[0])->name;
		assert_string_equal(held, "alice");
		add_named(c, k[3 + round], names[3 + round], 5 + round);
		map = wgconf_names(c);
		/* The very string the device holds: shared, not copied. */
		assert_ptr_equal(names_lookup(map, k[0]), held);
		wg_device_free(dev);
		for (int i = 0; i < 4 + round; ++i)
			assert_string_equal(names_lookup(map, k[i]), names[i]);
	}
	/* Added to again with no device between: its own names copied, the lent ones lent on. */
	{
		uint8_t f[WG_KEY_LEN];
		const char *lent = names_lookup(wgconf_names(c), k[0]);

		memset(f, 'f', sizeof(f));
		add_named(c, f, "frank", 7);
		map = wgconf_names(c);
		assert_ptr_equal(names_lookup(map, k[0]), lent);
		assert_string_equal(names_lookup(map, k[4]), "erin");
		assert_string_equal(names_lookup(map, f), "frank");
	}
	wgconf_free(c);
	names_clear(&store);
}

static void test_hide_keys(void **state)
{
	static const char in[] =
		"[Interface]\r\nPrivateKey = cHJpdmF0ZWtleXByaXZhdGVrZXlwcml2YXRla2V5eHg=\r\n"
		"ListenPort = 51820\n"
		"[Peer]\nPublicKey = cHVibGljMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=\n"
		"presharedkey=c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0eHg=\n"
		"#[disabled] PresharedKey = ZGlzYWJsZWRkaXNhYmxlZGRpc2FibGVkZGlzYWJsZWQ=\n"
		"# a PrivateKeyring = is no key\n"
		"PresharedKey \r\r\v= Y3JjcmNyY3JjcmNyY3JjcmNyY3JjcmNyY3JjcmNyY3I=\n"
		"AllowedIPs = 10.0.0.2/32";
	char *out = wgconf_hide_keys(in, strlen(in));

	assert_non_null(out);
	assert_string_equal(out,
			    "[Interface]\r\nPrivateKey = (hidden)\r\n"
			    "ListenPort = 51820\n"
			    "[Peer]\nPublicKey = cHVibGljMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=\n"
			    "presharedkey= (hidden)\n"
			    "#[disabled] PresharedKey = (hidden)\n"
			    "# a PrivateKeyring = is no key\n"
			    "PresharedKey \r\r\v= (hidden)\n"
			    "AllowedIPs = 10.0.0.2/32");
	free(out);
}

/* The facts one scan reads beside the names are what each pass of its own reads. */
static void assert_facts_as_passes(const char *text, size_t len, const char *what)
{
	struct wgconf_naming *naming = NULL;
	struct names_facts f;
	uint8_t (*keys)[WG_KEY_LEN] = NULL;
	size_t n = 0;
	const char *a, *b;

	assert_int_equal(wgconf_naming_read(&naming, text, len, &f), 0);
	assert_int_equal(names_disabled(text, len, &keys, &n), 0);
	a = names_facts_managed_by(&f);
	b = names_managed_by(text, len);
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
		fail_msg("%s: managed by %s in the scan, %s alone", what, a ? a : "none", b ? b : "none");
	if (f.save_config != names_save_config(text, len))
		fail_msg("%s: SaveConfig %d in the scan", what, f.save_config);
	assert_int_equal(f.n_disabled, n);
	if (n)
		assert_memory_equal(f.disabled, keys, n * sizeof(*keys));
	free(keys);
	names_facts_clear(&f);
	wgconf_naming_free(naming);
}

static void test_naming_facts(void **state)
{
#define PK "PublicKey = " KEY_ALICE "\n"
	static const struct {
		const char *text;
		const char *managed_by;
		bool save_config;
		size_t n_disabled;
	} cases[] = {
		{ "  # Note: Do not edit this file directly.\n[Interface]\nSaveConfig = true\n", "wg-easy", true, 0 },
		/* Not a header on a line of its own; a SaveConfig outside an [Interface]. */
		{ "#[disabled] # Note: Do not edit this file directly.\n[Peer]\n" PK "SaveConfig = true\n", NULL, false, 0 },
		/* wg-quick skips a disabled header: the [Interface] goes on below it. */
		{ "[Interface]\nSaveConfig = true\n#[disabled] [Peer]\n#[disabled] " PK "SaveConfig = false # x\n", NULL,
		  false, 1 },
		{ "[Interface]\nSaveConfig = true # x\n#[disabled] SaveConfig = false\n[Peer]\nSaveConfig = false\n", NULL,
		  true, 0 },
		{ "[Interface]\n\n# alice / a@example.com / Updated: 2024-01-01 / Created: 2024-01-01\n[Peer]\n" PK,
		  "wg-gen-web", false, 0 },
		{ "[Interface]\nSaveConfig = TRUE\n# AUTOGENERATED FILE - DO NOT EDIT\n", "wg-portal", true, 0 },
	};
#undef PK

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
		struct wgconf_naming *naming = NULL;
		struct names_facts f;
		const char *by;

		assert_int_equal(wgconf_naming_read(&naming, cases[i].text, strlen(cases[i].text), &f), 0);
		by = names_facts_managed_by(&f);
		if ((by == NULL) != (cases[i].managed_by == NULL) || (by && strcmp(by, cases[i].managed_by)))
			fail_msg("case %zu: managed by %s", i, by ? by : "none");
		assert_int_equal(f.save_config, cases[i].save_config);
		assert_int_equal(f.n_disabled, cases[i].n_disabled);
		names_facts_clear(&f);
		wgconf_naming_free(naming);
		assert_facts_as_passes(cases[i].text, strlen(cases[i].text), "case");
	}
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); ++i) {
		size_t len;
		char *text = load(fixtures[i].file, &len);

		assert_facts_as_passes(text, len, fixtures[i].file);
		free(text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_parse_named),
		cmocka_unit_test(test_parse_named_refused),
		cmocka_unit_test(test_names_agree),
		cmocka_unit_test(test_add_then_remove),
		cmocka_unit_test(test_add_in_place_room),
		cmocka_unit_test(test_tool_conventions),
		cmocka_unit_test(test_naming_facts),
		cmocka_unit_test(test_managed_by_lines),
		cmocka_unit_test(test_continued_parse),
		cmocka_unit_test(test_convention_order),
		cmocka_unit_test(test_script_conventions),
		cmocka_unit_test(test_drift_both_ways),
		cmocka_unit_test(test_drift_memo),
		cmocka_unit_test(test_pivpn_disabled),
		cmocka_unit_test(test_not_names),
		cmocka_unit_test(test_rename_where_read),
		cmocka_unit_test(test_rename_behind_disabled_mark),
		cmocka_unit_test(test_add_exact),
		cmocka_unit_test(test_remove_exact),
		cmocka_unit_test(test_queries),
		cmocka_unit_test(test_set_allowedips),
		cmocka_unit_test(test_set_name),
		cmocka_unit_test(test_edit_checked),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_hide_keys),
		cmocka_unit_test(test_add_shares_held_names),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
