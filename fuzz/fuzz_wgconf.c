// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the wg-quick config model. What it accepts it must render byte for byte,
 * name peers as names.c does, and take a peer added and removed back to the very same bytes.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "fuzz.h"
#include "key.h"
#include "names.h"
#include "wgconf.h"

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static void check_render(const struct wgconf *c, const uint8_t *data, size_t size)
{
	size_t len;
	char *out = wgconf_render(c, &len);

	if (!out || len != size || memcmp(out, data, size) || out[len])
		abort();
	free(out);
}

/* Peers are sane, and named exactly as names.c names them from the same bytes. */
static void check_peers(const struct wgconf *c)
{
	struct name_map map = { 0 };
	struct wgconf_peer_info *v;
	size_t n, len;
	char *text = wgconf_render(c, &len);

	if (!text || names_parse_config(&map, text, len) < 0 || wgconf_peers(c, &v, &n) < 0)
		abort();
	for (size_t i = 0; i < n; ++i) {
		if (!same_str(v[i].name, names_lookup(&map, v[i].public_key)))
			abort();
		if (!wgconf_has_peer(c, v[i].public_key))
			abort();
		if (v[i].line < 1 || (i && v[i].line <= v[i - 1].line))
			abort();
		for (size_t j = 0; j < v[i].n_allowedips; ++j) {
			const struct wg_allowedip *a = &v[i].allowedips[j];

			if (a->family == AF_INET ? a->cidr > 32 : a->family == AF_INET6 ? a->cidr > 128 : 1)
				abort();
		}
	}
	wgconf_peers_free(v, n);
	names_clear(&map);
	free(text);
}

static void queries(const struct wgconf *c)
{
	struct wg_allowedip *a;
	size_t n;

	if (wgconf_interface_addresses(c, &a, &n) < 0)
		abort();
	free(a);
	if (wgconf_interface_value(c, "PrivateKey"))
		abort();
	(void)wgconf_interface_value(c, "ListenPort");
	(void)wgconf_has_private_key(c);
	check_peers(c);
}

/* Added and removed, with a name and without: the input comes back. */
static void add_remove(struct wgconf *c, const uint8_t *data, size_t size, const char *name)
{
	static const uint8_t psk[WG_KEY_LEN] = { 1, 2, 3 };
	struct wg_allowedip aips[2] = { { .family = AF_INET, .cidr = 32 }, { .family = AF_INET6, .cidr = 128 } };
	uint8_t key[WG_KEY_LEN];
	struct wgconf_new_peer np = { .public_key = key, .name = name, .preshared_key = psk, .allowedips = aips,
				      .n_allowedips = 2, .persistent_keepalive = 25 };
	int ret;

	memset(key, 0xa5, sizeof(key));
	ret = wgconf_add_peer(c, &np);
	if (ret == -EEXIST)
		return;
	/* Unnamed, a peer may fall into a PiVPN block left open at the end and take its name. */
	if (ret == -ENOTSUP && !name)
		return;
	if (ret < 0)
		abort();
	check_peers(c);
	if (wgconf_remove_peer(c, key) < 0)
		abort();
	check_render(c, data, size);
}

static struct wgconf_naming *hand_naming(void *ctx)
{
	return ctx;
}

/*
 * The same add to a model whose text has room to spare, written there in place, and whose
 * names were read apart from the parse, as peerops reads them: the same answer, the same bytes
 * and the same model as the add to a copy; refused, the text as it was.
 */
static void add_in_place(const uint8_t *data, size_t size, const char *name)
{
	static const uint8_t psk[WG_KEY_LEN] = { 1, 2, 3 };
	struct wg_allowedip aips[2] = { { .family = AF_INET, .cidr = 32 }, { .family = AF_INET6, .cidr = 128 } };
	uint8_t key[WG_KEY_LEN];
	struct wgconf_new_peer np = { .public_key = key, .name = name, .preshared_key = psk, .allowedips = aips,
				      .n_allowedips = 2, .persistent_keepalive = 25 };
	char *text = calloc(1, size + 1 + 4096), *ra, *rb;
	struct wgconf_naming *naming;
	struct wgconf *a, *b;
	size_t la, lb;
	int reta, retb;

	if (!text)
		abort();
	memcpy(text, data, size);
	if (wgconf_parse(&a, (const char *)data, size, NULL) < 0 || wgconf_naming_read(&naming, text, size, NULL) < 0 ||
	    wgconf_parse_taking_named(&b, text, size, size + 1 + 4096, hand_naming, naming, NULL) < 0)
		abort();
	memset(key, 0x5a, sizeof(key));
	reta = wgconf_add_peer(a, &np);
	retb = wgconf_add_peer(b, &np);
	ra = wgconf_render(a, &la);
	rb = wgconf_render(b, &lb);
	if (reta != retb || !ra || !rb || la != lb || memcmp(ra, rb, la) || wgconf_test_differ(a, b))
		abort();
	if (retb < 0) {
		const char *t = wgconf_text(b, &lb);

		check_render(b, data, size);
		for (size_t i = lb; i < lb + 1 + 4096; ++i)
			if (t[i])
				abort();
	}
	free(ra);
	free(rb);
	wgconf_free(a);
	wgconf_free(b);
}

enum edit_kind { EDIT_NAME, EDIT_ALLOWEDIPS, EDIT_REMOVE };

static void edit(struct wgconf *c, const uint8_t key[WG_KEY_LEN], enum edit_kind kind, const char *name,
		 const struct wg_allowedip *aips)
{
	size_t blen, alen;
	char *before = wgconf_render(c, &blen), *after;
	int ret;

	if (!before)
		abort();
	if (kind == EDIT_NAME)
		ret = wgconf_set_name(c, key, name);
	else if (kind == EDIT_ALLOWEDIPS)
		ret = wgconf_set_allowedips(c, key, aips, 1);
	else
		ret = wgconf_remove_peer(c, key);
	after = wgconf_render(c, &alen);
	if (!after || (ret < 0 && ret != -ENOTSUP))
		abort();
	if (ret < 0 && (alen != blen || memcmp(before, after, blen)))
		abort();
	if (!ret && kind == EDIT_REMOVE && wgconf_has_peer(c, key))
		abort();
	if (!ret && kind != EDIT_REMOVE && !wgconf_has_peer(c, key))
		abort();
	queries(c);
	free(before);
	free(after);
}

/*
 * The previews' copy of a file: as many lines, hiding twice the same as once, and every
 * PresharedKey the model read gone from its line (it may stand elsewhere too, as text).
 */
static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, k = strlen(needle);

	for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, k)); p += k)
		n++;
	return n;
}

static void check_hidden(const uint8_t *data, size_t size, const struct wgconf_peer_info *v, size_t n)
{
	char *once = wgconf_hide_keys((const char *)data, size), *twice;
	size_t lines_in = 0, lines_out = 0;

	if (!once)
		abort();
	twice = wgconf_hide_keys(once, strlen(once));
	if (!twice || strcmp(once, twice))
		abort();
	for (size_t i = 0; i < size; ++i)
		lines_in += data[i] == '\n';
	for (const char *s = once; *s; ++s)
		lines_out += *s == '\n';
	if (!memchr(data, '\0', size) && lines_in != lines_out)
		abort();
	for (size_t i = 0; i < n; ++i) {
		char b64[WG_KEY_B64_LEN];

		if (!v[i].preshared_key)
			continue;
		key_to_base64(b64, v[i].preshared_key);
		if (count(once, strlen(once), b64) >= count((const char *)data, size, b64))
			abort();
	}
	free(twice);
	free(once);
}

/*
 * A peer add parses only the lines it added. Read as the input's first s bytes and then the
 * rest, the input must give the model a whole parse gives (whole: NULL when that refused it),
 * or be refused too; or be left to a whole parse (1) only where the first part ends inside a
 * line, or the rest holds a NUL. Both keep the first part's peers, or neither.
 */
static void check_continued(const uint8_t *data, size_t size, size_t s, const struct wgconf *whole)
{
	struct wgconf *first, *cont;
	int ret, kept = 0;

	if (wgconf_parse(&first, (const char *)data, s, NULL) < 0)
		return;
	ret = wgconf_test_continue(first, (const char *)data, size, &cont, &kept);
	if (ret == 1 && !(s && data[s - 1] != '\n') && !memchr(data + s, '\0', size - s))
		abort();
	if (ret == 0 && (!whole || wgconf_test_differ(cont, whole)))
		abort();
	/*
	 * The check of a peer add, which skips the sections copied and reads the changed ones as
	 * they were, says what it says of the whole.
	 */
	if (ret == 0 && (kept != wgconf_test_kept(first, whole) || wgconf_test_kept(first, cont) != kept))
		abort();
	if (ret < 0 && ret != -ENOMEM && (whole || ret != -ENOTSUP))
		abort();
	wgconf_free(cont);
	wgconf_free(first);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct wg_allowedip aips[1] = { { .family = AF_INET6, .cidr = 64 } };
	struct wgconf_peer_info *v;
	struct wgconf_error err;
	struct wgconf *c;
	size_t n;
	int ret = wgconf_parse(&c, (const char *)data, size, &err);
	const uint8_t *mid = size ? memchr(data + size / 2, '\n', size - size / 2) : NULL;

	/* Cut after a line near the middle, and in the middle of whatever is there. */
	check_continued(data, size, mid ? (size_t)(mid - data) + 1 : size, ret < 0 ? NULL : c);
	check_continued(data, size, size / 2, ret < 0 ? NULL : c);
	if (ret < 0) {
		if (ret != -EINVAL && ret != -EFBIG && ret != -ENOMEM)
			abort();
		if (ret == -EINVAL && (!err.line || !err.msg[0] || strchr(err.msg, '\n')))
			abort();
		return 0;
	}
	check_render(c, data, size);
	queries(c);
	add_remove(c, data, size, "fuzz peer");
	add_remove(c, data, size, NULL);
	add_in_place(data, size, "fuzz peer");

	/*
	 * Edits of a peer that was there: each one either reads back as meant (the model checks
	 * that itself) or fails with -ENOTSUP and changes nothing, as when deleting a line would
	 * move a "# Name" comment onto another peer.
	 */
	if (wgconf_peers(c, &v, &n) < 0)
		abort();
	check_hidden(data, size, v, n);
	if (n) {
		uint8_t key[WG_KEY_LEN];

		memcpy(key, v[0].public_key, WG_KEY_LEN);
		edit(c, key, EDIT_NAME, "fuzz name", aips);
		edit(c, key, EDIT_ALLOWEDIPS, NULL, aips);
		edit(c, key, EDIT_NAME, NULL, aips);
		edit(c, key, EDIT_REMOVE, NULL, aips);
	}
	wgconf_peers_free(v, n);
	wgconf_free(c);
	return 0;
}
