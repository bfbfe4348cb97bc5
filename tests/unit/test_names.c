// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests of peer names from config files and from the name store. */
#include "cmocka_common.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "key.h"
#include "names_load.h"

/* Synthetic keys: any 32 bytes are a valid public key for this purpose. */
#define KA "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="
#define KB "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI="
#define KC "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM="
#define KD "BAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQ="

static const char *lookup(struct name_map *m, const char *b64)
{
	uint8_t key[WG_KEY_LEN];

	assert_true(key_from_base64(key, b64));
	return names_lookup(m, key);
}

static int parse(struct name_map *m, const char *text)
{
	return names_parse_config(m, text, strlen(text));
}

static void test_name_inside_and_above(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"[Interface]\n"
		"# Name = not-a-peer\n"
		"PrivateKey = x\n"
		"PostUp = nft add table inet filter\n"
		"\n"
		"# Name = alice\n"
		"[Peer]\n"
		"PublicKey = " KA "\n"
		"AllowedIPs = 10.172.16.2/32\n"
		"\n"
		"[Peer]\n"
		"#name=Bob's phone\n"
		"PublicKey=" KB "\n"
		"\n"
		"[peer]\n"
		"PublicKey = " KC "\n"
		"#   NAME   =   carol  \n"
		"[Peer]\n"
		"PublicKey = " KD "\n";

	assert_int_equal(parse(&m, conf), 0);
	assert_string_equal(lookup(&m, KA), "alice");
	assert_string_equal(lookup(&m, KB), "Bob's phone");
	/* directly above the next header: it names that peer, not this one */
	assert_null(lookup(&m, KC));
	assert_string_equal(lookup(&m, KD), "carol");
	assert_int_equal(m.n, 3);
	names_clear(&m);
}

static void test_comment_at_end_of_section(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"[Peer]\n"
		"PublicKey = " KA "\n"
		"# Name = alice\n"
		"\n"
		"[Peer]\n"
		"PublicKey = " KB "\n"
		"# Name = bob";

	assert_int_equal(parse(&m, conf), 0);
	assert_string_equal(lookup(&m, KA), "alice");
	assert_string_equal(lookup(&m, KB), "bob");
	names_clear(&m);
}

static void test_inside_beats_above(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"# Name = outer\n"
		"[Peer]\n"
		"# Name = inner\n"
		"PublicKey = " KA "\n";

	assert_int_equal(parse(&m, conf), 0);
	assert_string_equal(lookup(&m, KA), "inner");
	names_clear(&m);
}

/* wg-quick ends a value at '#': a key or a header with a comment after it still counts. */
static void test_trailing_comments(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"[Interface] # the hub\n"
		"ListenPort = 51820 # default\n"
		"[Peer] # laptop\n"
		"# Name = alice\n"
		"PublicKey = " KA " # alice's laptop\n"
		"[Peer]\n"
		"# Name = bob\n"
		"PublicKey=" KB "#bob\n";

	assert_int_equal(parse(&m, conf), 0);
	assert_string_equal(lookup(&m, KA), "alice");
	assert_string_equal(lookup(&m, KB), "bob");
	names_clear(&m);
}

static void test_pivpn(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"[Interface]\r\n"
		"PrivateKey = x\r\n"
		"### begin laptop ###\r\n"
		"[Peer]\r\n"
		"PublicKey = " KA "\r\n"
		"PresharedKey = y\r\n"
		"AllowedIPs = 10.6.0.2/32\r\n"
		"### end laptop ###\r\n"
		"### begin phone ###\r\n"
		"[Peer]\r\n"
		"PublicKey = " KB "\r\n"
		"### end phone ###\r\n"
		"[Peer]\r\n"
		"PublicKey = " KC "\r\n";

	assert_int_equal(parse(&m, conf), 0);
	assert_string_equal(lookup(&m, KA), "laptop");
	assert_string_equal(lookup(&m, KB), "phone");
	assert_null(lookup(&m, KC));
	names_clear(&m);
}

static void test_hostile_names(void **state)
{
	struct name_map m = { 0 };
	char conf[512];
	const char *name;

	snprintf(conf, sizeof(conf),
		 "[Peer]\n# Name = evil\x1b[2J\x07\xc2\x9b" "31m\xff end\nPublicKey = %s\n"
		 "[Peer]\n# Name = %s\nPublicKey = %s\n"
		 "[Peer]\n# Name = M\xc3\xbcller \xe2\x98\x8e\nPublicKey = %s\n",
		 KA, "0123456789012345678901234567890123456789012345678901234567890123456789", KB, KC);
	assert_int_equal(parse(&m, conf), 0);
	name = lookup(&m, KA);
	assert_non_null(name);
	for (const char *p = name; *p; ++p)
		assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
	assert_null(strstr(name, "\xc2\x9b"));
	assert_string_equal(name, "evil?[2J??31m? end");
	assert_int_equal(strlen(lookup(&m, KB)), NAMES_MAX_LEN);
	assert_string_equal(lookup(&m, KC), "M\xc3\xbcller \xe2\x98\x8e");
	names_clear(&m);
}

static void test_bad_keys_ignored(void **state)
{
	struct name_map m = { 0 };
	const char *conf =
		"[Peer]\n# Name = a\nPublicKey = notakey\n"
		"[Peer]\n# Name = b\nPublicKey = " KB "x\n"
		"[Interface]\n# Name = c\nPublicKey = " KC "\n";

	assert_int_equal(parse(&m, conf), 0);
	assert_int_equal(m.n, 0);
	names_clear(&m);
}

static void test_store(void **state)
{
	struct name_map m = { 0 };
	const char *store =
		"# wgstar name store\n"
		KA " alice laptop\n"
		"\n"
		KB "\tbob\n"
		"garbage line\n"
		KA " duplicate\n"
		KC "\n";

	assert_int_equal(names_parse_store(&m, store, strlen(store)), 0);
	assert_string_equal(lookup(&m, KA), "alice laptop");
	assert_string_equal(lookup(&m, KB), "bob");
	assert_null(lookup(&m, KC));
	names_clear(&m);
}

static void test_apply_precedence(void **state)
{
	struct name_map conf = { 0 }, store = { 0 };
	struct wg_device *dev = wg_device_new("wg0");
	const char *c = "[Peer]\n# Name = from-config\nPublicKey = " KA "\n";
	const char *s = KA " from-store\n" KB " only-store\n";
	uint8_t key[WG_KEY_LEN];

	assert_int_equal(names_parse_config(&conf, c, strlen(c)), 0);
	assert_int_equal(names_parse_store(&store, s, strlen(s)), 0);
	key_from_base64(key, KA);
	wg_device_get_peer(dev, key, NULL);
	key_from_base64(key, KB);
	wg_device_get_peer(dev, key, NULL);
	key_from_base64(key, KC);
	wg_device_get_peer(dev, key, NULL);
	assert_int_equal(names_apply(dev, &conf, &store), 0);
	assert_string_equal(dev->peers[0].name, "from-config");
	assert_string_equal(dev->peers[1].name, "only-store");
	assert_null(dev->peers[2].name);
	wg_device_free(dev);
	names_clear(&conf);
	names_clear(&store);
}

/*
 * Peers point at the maps' names: the names outlive the maps (a reloaded file clears its map
 * while the console still shows the last snapshot), a copy of the device copies them, a second
 * device shares them too, and renaming one peer touches no other. ASan checks the frees.
 */
static void test_apply_shares_names(void **state)
{
	struct name_map conf = { 0 }, store = { 0 };
	struct wg_device *a = wg_device_new("wg0"), *b = wg_device_new("wg0");
	struct wg_snapshot *snap = wg_snapshot_new(), *copy;
	const char *c = "[Peer]\n# Name = from-config\nPublicKey = " KA "\n";
	const char *s = KB " only-store\n";
	uint8_t key[WG_KEY_LEN];

	(void)state;
	assert_int_equal(names_parse_config(&conf, c, strlen(c)), 0);
	assert_int_equal(names_parse_store(&store, s, strlen(s)), 0);
	for (int d = 0; d < 2; ++d) {
		struct wg_device *dev = d ? b : a;

		key_from_base64(key, KA);
		wg_device_get_peer(dev, key, NULL);
		key_from_base64(key, KB);
		wg_device_get_peer(dev, key, NULL);
		assert_int_equal(names_apply(dev, &conf, &store), 0);
	}
	assert_true(a->peers[0].name_shared && a->peers[1].name_shared);
	assert_ptr_equal(a->peers[0].name, b->peers[0].name);
	assert_ptr_equal(a->peers[1].name, b->peers[1].name);
	/* No name more for a map whose names are out. */
	assert_int_equal(names_parse_store(&store, s, strlen(s)), -EBUSY);
	names_clear(&conf);
	names_clear(&store);
	assert_string_equal(a->peers[0].name, "from-config");
	assert_string_equal(b->peers[1].name, "only-store");
	wg_snapshot_add_device(snap, a);
	copy = wg_snapshot_dup(snap);
	assert_non_null(copy);
	assert_false(copy->devices[0]->peers[0].name_shared);
	assert_string_equal(copy->devices[0]->peers[0].name, "from-config");
	assert_int_equal(wg_peer_set_name(&b->peers[0], "renamed"), 0);
	assert_false(b->peers[0].name_shared);
	assert_string_equal(a->peers[0].name, "from-config");
	wg_snapshot_free(snap);
	assert_string_equal(b->peers[1].name, "only-store");
	wg_device_free(b);
	wg_snapshot_free(copy);
}

/* A device of the peers keys[] (base64), in that order. */
static struct wg_device *device_of(const char *const *keys, size_t n)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];

	for (size_t i = 0; i < n; ++i) {
		key_from_base64(key, keys[i]);
		wg_device_get_peer(dev, key, NULL);
	}
	return dev;
}

static const char *name_of(const struct wg_device *dev, const char *b64)
{
	uint8_t key[WG_KEY_LEN];
	const struct wg_peer *p;

	key_from_base64(key, b64);
	p = wg_device_find_peer(dev, key);
	assert_non_null(p);
	return p->name;
}

/*
 * The memo gives the names the maps give, read after read: in another order, with a peer
 * more, after a map was read anew, and for a device that could only copy a name (whose copy
 * goes with it, while the memo keeps the map's). ASan checks that no freed name is used.
 */
static void test_apply_memo(void **state)
{
	static const char *const first[] = { KA, KB, KC }, *const other[] = { KC, KA, KB },
				 *const more[] = { KB, KD, KA, KC };
	struct name_map conf = { 0 }, store = { 0 }, conf2 = { 0 };
	struct names_memo memo = { 0 };
	struct wg_device *dev;
	const char *c = "[Peer]\n# Name = from-config\nPublicKey = " KA "\n";
	const char *c2 = "[Peer]\n# Name = renamed\nPublicKey = " KA "\n";
	const char *s = KB " only-store\n" KD " d\n";
	struct names_memo_entry *kept;

	(void)state;
	assert_int_equal(names_parse_config(&conf, c, strlen(c)), 0);
	assert_int_equal(names_parse_store(&store, s, strlen(s)), 0);
	dev = device_of(first, 3);
	assert_int_equal(names_apply_memo(dev, &conf, &store, &memo), 0);
	assert_int_equal(memo.n, 3);
	kept = memo.v;
	wg_device_free(dev);
	/* The same peers in another order: the memo answers and stays as it was. */
	dev = device_of(other, 3);
	assert_int_equal(names_apply_memo(dev, &conf, &store, &memo), 0);
	assert_string_equal(name_of(dev, KA), "from-config");
	assert_string_equal(name_of(dev, KB), "only-store");
	assert_null(name_of(dev, KC));
	assert_true(dev->peers[1].name_shared);
	assert_ptr_equal(memo.v, kept);
	wg_device_free(dev);
	/* A peer more: made again. */
	dev = device_of(more, 4);
	assert_int_equal(names_apply_memo(dev, &conf, &store, &memo), 0);
	assert_string_equal(name_of(dev, KD), "d");
	assert_string_equal(name_of(dev, KA), "from-config");
	assert_int_equal(memo.n, 4);
	wg_device_free(dev);
	/* The config file read anew into another map: its names, not the memo's. */
	assert_int_equal(names_parse_config(&conf2, c2, strlen(c2)), 0);
	dev = device_of(more, 4);
	assert_int_equal(names_apply_memo(dev, &conf2, &store, &memo), 0);
	assert_string_equal(name_of(dev, KA), "renamed");
	assert_string_equal(name_of(dev, KB), "only-store");
	wg_device_free(dev);
	/* A device already holding another map's names copies these; the memo must not keep the copy. */
	dev = device_of(more, 4);
	assert_int_equal(names_apply(dev, &conf, &store), 0);
	names_memo_clear(&memo);
	assert_int_equal(names_apply_memo(dev, &conf2, &store, &memo), 0);
	assert_false(dev->peers[2].name_shared);
	assert_string_equal(name_of(dev, KA), "renamed");
	wg_device_free(dev);
	dev = device_of(more, 4);
	assert_int_equal(names_apply_memo(dev, &conf2, &store, &memo), 0);
	assert_string_equal(name_of(dev, KA), "renamed");
	wg_device_free(dev);
	names_memo_clear(&memo);
	names_clear(&conf);
	names_clear(&conf2);
	names_clear(&store);
}

/*
 * A store that names a key twice, as a hand edit can: the memo takes its hold before the first
 * lookup sorts the map, which drops the second name. The hold must not keep that name too (it
 * was freed twice: ASan says so). The first name wins, as wg(8) keeps the first [Peer].
 */
static void test_apply_memo_duplicate_key(void **state)
{
	static const char *const peers[] = { KA, KB };
	struct name_map conf = { 0 }, store = { 0 };
	struct names_memo memo = { 0 };
	struct wg_device *dev;
	const char *s = KA " first\n" KB " bob\n" KA " second\n";

	(void)state;
	assert_int_equal(names_parse_config(&conf, "", 0), 0);
	assert_int_equal(names_parse_store(&store, s, strlen(s)), 0);
	dev = device_of(peers, 2);
	assert_int_equal(names_apply_memo(dev, &conf, &store, &memo), 0);
	assert_string_equal(name_of(dev, KA), "first");
	assert_string_equal(name_of(dev, KB), "bob");
	wg_device_free(dev);
	names_memo_clear(&memo);
	names_clear(&conf);
	names_clear(&store);
}

static void test_load_missing_and_real_file(void **state)
{
	struct name_map m = { 0 };
	char path[] = "/tmp/wgstar-names-XXXXXX";
	const char *text = "[Peer]\n# Name = filed\nPublicKey = " KD "\n";
	int fd;

	assert_int_equal(names_load(&m, "/nonexistent/wg0.conf", names_parse_config), 0);
	assert_int_equal(m.n, 0);
	assert_true(names_load(&m, "/", names_parse_config) < 0);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	assert_int_equal(names_load(&m, path, names_parse_config), 0);
	unlink(path);
	assert_string_equal(lookup(&m, KD), "filed");
	names_clear(&m);
}

/* SaveConfig as wg-quick reads it: in an [Interface] section, comments cut, the last one that says. */
static void test_save_config(void **state)
{
	static const struct {
		const char *text;
		bool want;
	} cases[] = {
		{ "[Interface]\nPrivateKey = x\nSaveConfig = true\n", true },
		{ "  [interface]  \r\n  saveconfig=TRUE \r\n", true },
		{ "[Peer]\nEndpoint = [2001:db8::1]:51820\n[Interface]\nSaveConfig = true", true },
		{ "[Peer]\nSaveConfig = true\n", false },
		{ "SaveConfig = true\n[Interface]\n", false },
		{ "[Interface]\nSaveConfig = false\n[Interface]\nSaveConfig = true\n", true },
		{ "[Interface]\nSaveConfig = true\nSaveConfig = false\n", false },
		{ "[Interface]\nSaveConfig = true\nSaveConfig = yes\n", true },
		{ "[Interface]\nSaveConfig =\n[Interface]\nSaveConfig = true\n", true },
		{ "[Interface]\nAddress = 10.0.0.1/24\n\t[Peer]\nSaveConfig = true\n", false },
		{ "[Interface]\nx = [1]\nSaveConfig = true\n", true },
		{ "[Interface] # hub\nSaveConfig = true\n", true },
		{ "[Interface]\nSaveConfig = true # wg-quick saves it\n", true },
		{ "[Interface]\nSaveConfig = # true\n", false },
		{ "[Peer] # [Interface]\nSaveConfig = true\n", false },
		{ "[Interface]\n#SaveConfig = true\n", false },
		{ "", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i)
		if (names_save_config(cases[i].text, strlen(cases[i].text)) != cases[i].want)
			fail_msg("case %zu: SaveConfig read as %s", i, cases[i].want ? "false" : "true");
}

/*
 * A peer's key is read only where it counts, but it counts for a disabled peer without a
 * name as for a named one: PiVPN's marker alone makes the key one the file holds disabled.
 */
static void test_disabled_unnamed(void **state)
{
	const char *text = "[Interface]\nListenPort = 1\n\n[Peer]\nPublicKey = " KA "\n\n"
			   "#[disabled] [Peer]\n#[disabled] PublicKey = " KB "\n\n"
			   "# Name = cee\n#[disabled] [Peer]\n#[disabled] PublicKey = " KC "\n";
	uint8_t (*keys)[WG_KEY_LEN] = NULL, kb[WG_KEY_LEN], kc[WG_KEY_LEN];
	size_t n = 0;

	(void)state;
	assert_true(key_from_base64(kb, KB));
	assert_true(key_from_base64(kc, KC));
	assert_int_equal(names_disabled(text, strlen(text), &keys, &n), 0);
	assert_int_equal(n, 2);
	assert_memory_equal(keys[0], kb, WG_KEY_LEN);
	assert_memory_equal(keys[1], kc, WG_KEY_LEN);
	free(keys);
}

/*
 * A map big enough to be sorted by buckets: keys spread at random, forty that share their
 * first two bytes (a bucket too big to sort by insertion), and keys named twice, in buckets
 * small and big. Sorted strictly by key, each key with the first name it was given.
 */
static void test_sort_big_map(void **state)
{
	enum { N = 6000, SHARED = 40 };
	uint8_t (*keys)[WG_KEY_LEN] = calloc(N, WG_KEY_LEN);
	size_t *first = calloc(N, sizeof(*first)), cap = (size_t)N * 80, len = 0, distinct = N;
	char *text = malloc(cap), b64[WG_KEY_B64_LEN], name[16];
	struct name_map m = { 0 };
	uint32_t seed = 12345;

	(void)state;
	assert_non_null(keys);
	assert_non_null(first);
	assert_non_null(text);
	for (size_t i = 0; i < N; ++i) {
		for (size_t b = 0; b < WG_KEY_LEN; ++b) {
			seed = seed * 1103515245u + 12345u;
			keys[i][b] = (uint8_t)(seed >> 16);
		}
		first[i] = i;
		if (i < SHARED)
			keys[i][0] = keys[i][1] = 0;
		/* Every 97th key is an earlier one again, every 7th of those in the shared bucket. */
		if (i >= SHARED && i % 97 == 0) {
			size_t was = i % 7 ? i / 3 : i % SHARED;

			memcpy(keys[i], keys[was], WG_KEY_LEN);
			first[i] = first[was];
			--distinct;
		}
		key_to_base64(b64, keys[i]);
		len += (size_t)snprintf(text + len, cap - len, "%s n%zu\n", b64, i);
	}
	assert_int_equal(names_parse_store(&m, text, len), 0);
	names_sort(&m);
	assert_int_equal(m.n, distinct);
	for (size_t i = 1; i < m.n; ++i)
		assert_true(memcmp(m.v[i - 1].key, m.v[i].key, WG_KEY_LEN) < 0);
	for (size_t i = 0; i < N; ++i) {
		snprintf(name, sizeof(name), "n%zu", first[i]);
		assert_string_equal(names_lookup(&m, keys[i]), name);
	}
	names_clear(&m);
	free(text);
	free(first);
	free(keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_inside_and_above),
		cmocka_unit_test(test_comment_at_end_of_section),
		cmocka_unit_test(test_inside_beats_above),
		cmocka_unit_test(test_trailing_comments),
		cmocka_unit_test(test_pivpn),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_bad_keys_ignored),
		cmocka_unit_test(test_store),
		cmocka_unit_test(test_apply_precedence),
		cmocka_unit_test(test_apply_shares_names),
		cmocka_unit_test(test_apply_memo),
		cmocka_unit_test(test_apply_memo_duplicate_key),
		cmocka_unit_test(test_load_missing_and_real_file),
		cmocka_unit_test(test_save_config),
		cmocka_unit_test(test_sort_big_map),
		cmocka_unit_test(test_disabled_unnamed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
