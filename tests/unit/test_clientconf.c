// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of the client configuration and of its QR code, decoded again with zbar. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "clientconf.h"
#include "key.h"
#include "keygen.h"
#include "prefix.h"
#include "qr.h"

static bool strict(void)
{
	const char *s = getenv("WGSTAR_STRICT");

	return s && strcmp(s, "1") == 0;
}

static struct wg_allowedip pfx(const char *s)
{
	struct wg_allowedip p;

	assert_int_equal(prefix_parse(&p, s), 0);
	return p;
}

static char *b64(char out[WG_KEY_B64_LEN], const uint8_t key[WG_KEY_LEN])
{
	key_to_base64(out, key);
	return out;
}

/*
 * What wg-quick reads: section headers, "Key = Value" with a key it knows, comments and
 * blank lines, [Interface] before [Peer], and nothing outside a section.
 */
static void assert_wg_quick_syntax(const char *text)
{
	static const char *const iface_keys[] = { "Address", "PrivateKey", "DNS", NULL };
	static const char *const peer_keys[] = {
		"PublicKey", "PresharedKey", "Endpoint", "AllowedIPs", "PersistentKeepalive", NULL,
	};
	const char *const *keys = NULL;
	int sections = 0;
	char *copy = strdup(text), *save = NULL;

	assert_non_null(copy);
	assert_true(text[0] && text[strlen(text) - 1] == '\n');
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq;
		bool known = false;

		if (line[0] == '#')
			continue;
		if (strcmp(line, "[Interface]") == 0) {
			assert_int_equal(sections++, 0);
			keys = iface_keys;
			continue;
		}
		if (strcmp(line, "[Peer]") == 0) {
			assert_int_equal(sections++, 1);
			keys = peer_keys;
			continue;
		}
		if (!keys)
			fail_msg("line outside a section: \"%s\"", line);
		eq = strstr(line, " = ");
		if (!eq || eq == line || !eq[3])
			fail_msg("not \"Key = Value\": \"%s\"", line);
		*eq = '\0';
		for (const char *const *k = keys; *k; ++k)
			known |= strcmp(*k, line) == 0;
		if (!known)
			fail_msg("unknown key \"%s\"", line);
		*eq = ' ';
	}
	assert_int_equal(sections, 2);
	free(copy);
}

static void test_render_generated(void **state)
{
	uint8_t priv[WG_KEY_LEN], psk[WG_KEY_LEN], hub_priv[WG_KEY_LEN], hub_pub[WG_KEY_LEN];
	char k1[WG_KEY_B64_LEN], k2[WG_KEY_B64_LEN], k3[WG_KEY_B64_LEN], want[1024];
	struct wg_allowedip addr[] = { pfx("10.172.16.5/24"), pfx("fd00:172:16::5/64") };
	struct wg_allowedip allowed[] = { pfx("10.172.16.0/24"), pfx("fd00:172:16::/64") };
	struct clientconf c = {
		.name = "phone",
		.address = addr,
		.n_address = 2,
		.private_key = priv,
		.dns = "10.172.16.1, fd00:172:16::1",
		.hub_public_key = hub_pub,
		.preshared_key = psk,
		.endpoint = "vpn.example.net:51820",
		.allowed = allowed,
		.n_allowed = 2,
		.keepalive = 25,
	};
	char *text;

	assert_int_equal(keygen_private(priv), 0);
	assert_int_equal(keygen_preshared(psk), 0);
	assert_int_equal(keygen_private(hub_priv), 0);
	assert_int_equal(key_public_from_private(hub_pub, hub_priv), 0);
	snprintf(want, sizeof(want),
		 "[Interface]\n"
		 "# Name = phone\n"
		 "Address = 10.172.16.5/24, fd00:172:16::5/64\n"
		 "PrivateKey = %s\n"
		 "DNS = 10.172.16.1, fd00:172:16::1\n"
		 "\n"
		 "[Peer]\n"
		 "PublicKey = %s\n"
		 "PresharedKey = %s\n"
		 "Endpoint = vpn.example.net:51820\n"
		 "AllowedIPs = 10.172.16.0/24, fd00:172:16::/64\n"
		 "PersistentKeepalive = 25\n",
		 b64(k1, priv), b64(k2, hub_pub), b64(k3, psk));
	text = clientconf_render(&c);
	assert_non_null(text);
	assert_string_equal(text, want);
	assert_wg_quick_syntax(text);
	key_wipe(text, strlen(text));
	free(text);
	key_wipe(want, sizeof(want));
	key_wipe(priv, sizeof(priv));
	key_wipe(psk, sizeof(psk));
}

/* RFC 7748's Bob, as the hub. */
static const char hub_pub_hex[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";

static void test_render_pasted(void **state)
{
	uint8_t hub_pub[WG_KEY_LEN];
	struct wg_allowedip addr = pfx("10.172.16.7/24"), allowed = pfx("10.172.16.0/24");
	struct clientconf c = {
		.name = "laptop",
		.address = &addr,
		.n_address = 1,
		.hub_public_key = hub_pub,
		.endpoint = "[2001:db8::1]:51820",
		.allowed = &allowed,
		.n_allowed = 1,
		.keepalive = 25,
	};
	char *text;

	assert_true(key_from_hex(hub_pub, hub_pub_hex, strlen(hub_pub_hex)));
	text = clientconf_render(&c);
	assert_non_null(text);
	assert_string_equal(text,
			    "[Interface]\n"
			    "# Name = laptop\n"
			    "Address = 10.172.16.7/24\n"
			    "# PrivateKey = (this device's own private key)\n"
			    "\n"
			    "[Peer]\n"
			    "PublicKey = 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=\n"
			    "Endpoint = [2001:db8::1]:51820\n"
			    "AllowedIPs = 10.172.16.0/24\n"
			    "PersistentKeepalive = 25\n");
	assert_wg_quick_syntax(text);
	free(text);

	/* No name, no endpoint known, no keepalive. */
	c.name = NULL;
	c.endpoint = NULL;
	c.keepalive = 0;
	text = clientconf_render(&c);
	assert_non_null(text);
	assert_string_equal(text,
			    "[Interface]\n"
			    "Address = 10.172.16.7/24\n"
			    "# PrivateKey = (this device's own private key)\n"
			    "\n"
			    "[Peer]\n"
			    "PublicKey = 3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=\n"
			    "# Endpoint = (the hub's public address and port)\n"
			    "AllowedIPs = 10.172.16.0/24\n");
	assert_wg_quick_syntax(text);
	free(text);
}

static void test_render_rejects(void **state)
{
	uint8_t hub_pub[WG_KEY_LEN] = { 1 };
	struct wg_allowedip addr = pfx("10.172.16.7/24"), allowed = pfx("10.172.16.0/24"), bad;
	const struct clientconf good = {
		.name = "laptop",
		.address = &addr,
		.n_address = 1,
		.hub_public_key = hub_pub,
		.endpoint = "vpn.example.net:51820",
		.allowed = &allowed,
		.n_allowed = 1,
		.keepalive = 25,
	};
	struct clientconf c;
	char *text;

	text = clientconf_render(&good);
	assert_non_null(text);
	free(text);

#define REJECT(field, value)						\
	do {								\
		c = good;						\
		c.field = value;					\
		errno = 0;						\
		assert_null(clientconf_render(&c));			\
		assert_int_equal(errno, EINVAL);			\
	} while (0)
	/* A line break would smuggle a key or a section into the file. */
	REJECT(name, "laptop\nPostUp = rm -rf /");
	REJECT(name, "laptop\r");
	REJECT(dns, "10.0.0.1\n[Peer]");
	REJECT(endpoint, "vpn.example.net");
	REJECT(endpoint, "vpn.example.net:51820\nPostUp = x");
	REJECT(hub_public_key, NULL);
	REJECT(address, NULL);
	REJECT(n_address, 0);
	REJECT(allowed, NULL);
	REJECT(n_allowed, 0);
	bad = addr;
	bad.cidr = 33;
	REJECT(address, &bad);
	bad.family = AF_UNSPEC;
	REJECT(allowed, &bad);
#undef REJECT
	errno = 0;
	assert_null(clientconf_render(NULL));
	assert_int_equal(errno, EINVAL);
}

static void test_check_endpoint(void **state)
{
	static const char *const good[] = {
		"vpn.example.net:51820", "192.0.2.1:51820", "[2001:db8::1]:51820",
		"[fe80::1%eth0]:51820", "[::ffff:192.0.2.1]:1", "localhost:1", "a:65535",
		"my_host.example:443", "xn--bcher-kva.example:51820", "vpn.example.net.:51820",
		"203.0.113.255:65535",
	};
	static const char *const bad[] = {
		"", ":", ":51820", "host", "host:", "host:0", "host:65536", "host:99999",
		"host:051820", "host:+1", "host:-1", "host:5182a", "host:123456",
		"ho st:51820", " host:51820", "host:51820 ", "host :51820", "host:\t1",
		"2001:db8::1:51820", "[2001:db8::1]", "[2001:db8::1]51820", "[2001:db8::1]:",
		"[2001:db8::1:51820", "[]:51820", "[192.0.2.1]:51820", "[fe80::1%]:51820",
		"[host]:51820", "256.0.0.1:51820", "10.1:51820", "12345:1", "host#x:51820",
		"host=x:1", "h\xc3\xb6st:51820", "host\n:1", "host:1\n", "user@host:1",
		"http://host:1",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); ++i)
		if (clientconf_check_endpoint(good[i]) != 0)
			fail_msg("rejected \"%s\"", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i)
		if (clientconf_check_endpoint(bad[i]) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(clientconf_check_endpoint(NULL), -EINVAL);
}

/* Terminal columns of a line: one per code point, as every character here is narrow. */
static unsigned int columns(const char *s)
{
	unsigned int n = 0;

	for (; *s; ++s)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static void assert_art_shape(const struct qr_art *a, enum qr_style style, unsigned int modules)
{
	unsigned int size = modules + 2 * QR_QUIET_ZONE;

	/* A version v symbol has 17 + 4v modules a side. */
	assert_true(modules >= 21 && modules <= 177 && (modules - 17) % 4 == 0);
	if (style == QR_UTF8_HALF) {
		assert_int_equal(a->width, size);
		assert_int_equal(a->n, (size + 1) / 2);
	} else {
		assert_int_equal(a->width, 2 * size);
		assert_int_equal(a->n, size);
	}
	for (size_t i = 0; i < a->n; ++i) {
		const char *l = a->lines[i];

		assert_int_equal(columns(l), a->width);
		if (style == QR_ASCII)
			assert_int_equal(strlen(l), a->width);
		/*
		 * The quiet zone is light, so ink, on every side: no line starts or ends in a
		 * blank a terminal capture could trim, and the symbol's edges are plain to see.
		 */
		assert_true(l[0] != ' ' && l[strlen(l) - 1] != ' ');
	}
}

static unsigned int art_modules(const struct qr_art *a, enum qr_style style)
{
	return (style == QR_UTF8_HALF ? a->width : a->width / 2) - 2 * QR_QUIET_ZONE;
}

static void test_qr_shape(void **state)
{
	struct qr_art a;
	char *big = malloc(3000);

	assert_non_null(big);
	/* Two bytes fit version 1: 21 modules. */
	assert_int_equal(qr_render(&a, "hi", QR_UTF8_HALF), 0);
	assert_int_equal(art_modules(&a, QR_UTF8_HALF), 21);
	assert_art_shape(&a, QR_UTF8_HALF, 21);
	/* The quiet zone: the first line is two light rows, all full blocks. */
	for (const char *p = a.lines[0]; *p; p += 3)
		assert_memory_equal(p, "\u2588", 3);
	qr_art_free(&a);
	assert_null(a.lines);
	assert_int_equal(qr_render(&a, "hi", QR_ASCII), 0);
	assert_art_shape(&a, QR_ASCII, 21);
	assert_int_equal(a.width, 50);
	for (size_t i = 0; i < 2; ++i)
		for (unsigned int x = 0; x < a.width; ++x)
			assert_int_equal(a.lines[i][x], '#');
	qr_art_free(&a);

	/* The most that version 40 at level L holds in byte mode, and one more. */
	memset(big, 'a', 2953);
	big[2953] = '\0';
	assert_int_equal(qr_render(&a, big, QR_UTF8_HALF), 0);
	assert_art_shape(&a, QR_UTF8_HALF, 177);
	qr_art_free(&a);
	big[2953] = 'a';
	big[2954] = '\0';
	assert_int_equal(qr_render(&a, big, QR_UTF8_HALF), -EMSGSIZE);
	assert_int_equal(qr_render(&a, big, QR_ASCII), -EMSGSIZE);
	free(big);

	assert_int_equal(qr_render(&a, NULL, QR_ASCII), -EINVAL);
	assert_int_equal(qr_render(&a, "", QR_ASCII), -EINVAL);
	assert_int_equal(qr_render(&a, "hi", (enum qr_style)7), -EINVAL);
	assert_int_equal(qr_render(NULL, "hi", QR_ASCII), -EINVAL);
	qr_art_free(NULL);
}

/* The same drawing as the qrencode tool's, which set the convention. */
static void test_qr_matches_qrencode(void **state)
{
	static const char text[] = "[Peer]\nEndpoint = vpn.example.net:51820\n";
	char line[1024];
	struct qr_art a;
	size_t i = 0;
	FILE *p;

	if (access("/usr/bin/qrencode", X_OK) != 0)
		skip();
	p = popen("printf '[Peer]\\nEndpoint = vpn.example.net:51820\\n' | "
		  "/usr/bin/qrencode -t UTF8 -8 -l L -m 2 -o -", "r");
	assert_non_null(p);
	assert_int_equal(qr_render(&a, text, QR_UTF8_HALF), 0);
	while (fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		assert_true(i < a.n);
		assert_string_equal(a.lines[i], line);
		++i;
	}
	assert_int_equal(pclose(p), 0);
	assert_int_equal(i, a.n);
	qr_art_free(&a);
}

enum frame { PLAIN, FRAMED };

/*
 * Writes the art to a file as a terminal would show it (FRAMED: inside other text, as a
 * tmux capture holds it), decodes it with
 * tests/tools/qrdecode.py and returns the bytes read back; NULL when zbar is missing.
 */
static char *decode_art(const struct qr_art *a, enum frame frame)
{
	const char *top = getenv("TOP_SRCDIR"), *tmp = getenv("TMPDIR");
	char path[4096], cmd[8300], *out;
	size_t len = 0, cap = 4096;
	int fd, status;
	FILE *f, *p;

	assert_non_null(top);
	snprintf(path, sizeof(path), "%s/test_clientconf-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	if (frame == FRAMED)
		fprintf(f, "Scan this with the WireGuard app:\n# Name = phone\n\n");
	for (size_t i = 0; i < a->n; ++i) {
		if (frame == FRAMED)
			fprintf(f, "\u2502 %s \u2502 peer %zu\n", a->lines[i], i);
		else
			fprintf(f, "%s\n", a->lines[i]);
	}
	if (frame == FRAMED)
		fprintf(f, "\n[q] close   [s] save\n");
	assert_int_equal(fclose(f), 0);

	snprintf(cmd, sizeof(cmd), "python3 '%s/tests/tools/qrdecode.py' '%s'", top, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	out = malloc(cap);
	assert_non_null(out);
	for (size_t n; (n = fread(out + len, 1, cap - len - 1, p)) > 0;) {
		len += n;
		if (cap - len < 2) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
	}
	out[len] = '\0';
	status = pclose(p);
	unlink(path);
	/* 77: zbarimg is missing; 127: python3 is. */
	if (WIFEXITED(status) && (WEXITSTATUS(status) == 77 || WEXITSTATUS(status) == 127)) {
		free(out);
		return NULL;
	}
	if (status != 0)
		fail_msg("qrdecode.py failed (status %d) on style %d", status, frame);
	return out;
}

/* Each style, each way of showing it, decoded back; false when the decoder is missing. */
static bool round_trip(const char *text)
{
	static const struct {
		enum qr_style style;
		enum frame frame;
	} ways[] = {
		{ QR_UTF8_HALF, PLAIN }, { QR_UTF8_HALF, FRAMED },
		{ QR_ASCII, PLAIN }, { QR_ASCII, FRAMED },
	};

	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); ++i) {
		struct qr_art a;
		char *back;

		assert_int_equal(qr_render(&a, text, ways[i].style), 0);
		assert_art_shape(&a, ways[i].style, art_modules(&a, ways[i].style));
		back = decode_art(&a, ways[i].frame);
		qr_art_free(&a);
		if (!back)
			return false;
		/* Byte for byte: the phone imports exactly what was shown as text. */
		assert_int_equal(strlen(back), strlen(text));
		assert_string_equal(back, text);
		key_wipe(back, strlen(back));
		free(back);
	}
	return true;
}

static void skip_without_decoder(void)
{
	if (strict())
		fail_msg("zbarimg or python3 is missing and WGSTAR_STRICT=1");
	skip();
}

static void test_qr_decodes(void **state)
{
	uint8_t priv[WG_KEY_LEN], psk[WG_KEY_LEN], hub[WG_KEY_LEN];
	struct wg_allowedip addr[] = { pfx("10.172.16.5/24"), pfx("fd00:172:16::5/64") };
	struct wg_allowedip allowed[] = { pfx("10.172.16.0/24"), pfx("fd00:172:16::/64") };
	struct clientconf c = {
		.name = "J\xc3\xbcrgens Telefon",	/* UTF-8 must survive the trip */
		.address = addr,
		.n_address = 2,
		.private_key = priv,
		.dns = "10.172.16.1, fd00:172:16::1",
		.hub_public_key = hub,
		.preshared_key = psk,
		.endpoint = "vpn.example.net:51820",
		.allowed = allowed,
		.n_allowed = 2,
		.keepalive = 25,
	};
	struct qr_art a;
	char *text;
	bool ok;

	assert_int_equal(keygen_private(priv), 0);
	assert_int_equal(keygen_preshared(psk), 0);
	assert_int_equal(keygen_private(hub), 0);
	text = clientconf_render(&c);
	assert_non_null(text);
	/*
	 * A full dual-stack configuration is about 400 bytes: version 13 at level L, whose
	 * 69 modules and quiet zone fit an 80-column terminal (level M would need 81).
	 */
	assert_true(strlen(text) > 367 && strlen(text) <= 425);
	assert_int_equal(qr_render(&a, text, QR_UTF8_HALF), 0);
	assert_int_equal(art_modules(&a, QR_UTF8_HALF), 17 + 4 * 13);
	assert_true(a.width <= 80);
	qr_art_free(&a);
	ok = round_trip(text);
	key_wipe(text, strlen(text));
	free(text);
	if (!ok) {
		key_wipe(priv, sizeof(priv));
		key_wipe(psk, sizeof(psk));
		skip_without_decoder();
	}

	/* A pasted key: no private key, so a smaller symbol. */
	c.private_key = NULL;
	c.preshared_key = NULL;
	c.n_address = 1;
	c.n_allowed = 1;
	c.dns = NULL;
	text = clientconf_render(&c);
	assert_non_null(text);
	ok = round_trip(text);
	free(text);
	key_wipe(priv, sizeof(priv));
	key_wipe(psk, sizeof(psk));
	if (!ok)
		skip_without_decoder();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_generated),
		cmocka_unit_test(test_render_pasted),
		cmocka_unit_test(test_render_rejects),
		cmocka_unit_test(test_check_endpoint),
		cmocka_unit_test(test_qr_shape),
		cmocka_unit_test(test_qr_matches_qrencode),
		cmocka_unit_test(test_qr_decodes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
