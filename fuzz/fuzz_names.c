// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: peer names from a config file and from the name store, both read from the
 * same bytes. A name is printable UTF-8 of at most NAMES_MAX_LEN bytes, and written back in
 * either format it reads back the same.
 */
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <wchar.h>
#include "fuzz.h"
#include "key.h"
#include "names.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		abort();
	return 0;
}

/* What reaches the terminal: no control character, no broken sequence, no blank at the end. */
static void check_name(const char *name)
{
	size_t len = strlen(name), off = 0;
	mbstate_t st = { 0 };

	if (!len || len > NAMES_MAX_LEN || name[len - 1] == ' ')
		abort();
	while (off < len) {
		wchar_t wc;
		size_t n = mbrtowc(&wc, name + off, len - off, &st);

		if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
			abort();
		if (wc < 0x20 || (wc >= 0x7f && wc < 0xa0))
			abort();
		off += n;
	}
}

/* Looked up once, the map is sorted by key with one entry per key, and finds every name. */
static void check_map(struct name_map *map)
{
	static const uint8_t zero[WG_KEY_LEN];

	(void)names_lookup(map, zero);
	if (map->n && !map->sorted)
		abort();
	for (size_t i = 0; i < map->n; ++i) {
		check_name(map->v[i].name);
		if (i && memcmp(map->v[i - 1].key, map->v[i].key, WG_KEY_LEN) >= 0)
			abort();
		if (names_lookup(map, map->v[i].key) != map->v[i].name)
			abort();
	}
}

/* Written out as the format it came from, or as the other one, the names read back the same. */
static void check_written(struct name_map *map, bool as_store)
{
	struct name_map again = { 0 };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		abort();
	for (size_t i = 0; i < map->n; ++i) {
		char b64[WG_KEY_B64_LEN];

		key_to_base64(b64, map->v[i].key);
		if (as_store)
			fprintf(f, "%s %s\n", b64, map->v[i].name);
		else
			fprintf(f, "[Peer]\n# Name = %s\nPublicKey = %s\n\n", map->v[i].name, b64);
	}
	if (fclose(f))
		abort();
	if ((as_store ? names_parse_store : names_parse_config)(&again, text, len) < 0)
		abort();
	if (again.n != map->n)
		abort();
	for (size_t i = 0; i < map->n; ++i) {
		const char *name = names_lookup(&again, map->v[i].key);

		if (!name || strcmp(name, map->v[i].name))
			abort();
	}
	names_clear(&again);
	free(text);
}

static void fuzz_one(int (*parse)(struct name_map *, const char *, size_t), const char *text, size_t len)
{
	struct name_map map = { 0 };

	if (parse(&map, text, len) < 0)
		abort();
	check_map(&map);
	check_written(&map, true);
	check_written(&map, false);
	names_clear(&map);
}

/* Every site the scan reports: a name inside the text, its convention known, its lines in order. */
static int check_site(const struct names_site *s, void *ctx)
{
	const char *const *bounds = ctx;

	if (s->name && (s->name < bounds[0] || s->name_end > bounds[1] || s->name_end < s->name))
		abort();
	if ((s->name != NULL) != (s->convention != NAMES_NONE) || (unsigned int)s->convention >= N_NAMES_CONVENTIONS)
		abort();
	if (s->tool_line != NAMES_NO_LINE && (s->convention == NAMES_NATIVE || s->convention == NAMES_PIVPN))
		abort();
	return 0;
}

/* names_save_config the plain way, line by line as wg-quick reads a file: the two agree. */
static bool save_config_by_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	bool interface = false, save = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *s = p, *e = nl ? nl : end, *hash;

		p = nl ? nl + 1 : end;
		if ((hash = memchr(s, '#', (size_t)(e - s))))
			e = hash;
		names_trim(&s, &e);
		if (s < e && *s == '[') {
			interface = e - s == 11 && !strncasecmp(s, "[Interface]", 11);
			continue;
		}
		if (!interface || e - s < 10 || strncasecmp(s, "SaveConfig", 10))
			continue;
		s += 10;
		names_trim(&s, &e);
		if (s == e || *s != '=')
			continue;
		++s;
		names_trim(&s, &e);
		if (e - s == 4 && !strncasecmp(s, "true", 4))
			save = true;
		else if (e - s == 5 && !strncasecmp(s, "false", 5))
			save = false;
	}
	return save;
}

static int no_site(const struct names_site *s, void *ctx)
{
	(void)s;
	(void)ctx;
	return 0;
}

/* The facts of the one scan are what each pass of its own reads. */
static void check_facts(const char *text, size_t len, const char *managed_by)
{
	struct names_facts f;
	uint8_t (*keys)[WG_KEY_LEN] = NULL;
	size_t n = 0;
	const char *by;

	if (names_scan_facts(text, len, NULL, no_site, NULL, NULL, &f) < 0 || names_disabled(text, len, &keys, &n) < 0)
		abort();
	by = names_facts_managed_by(&f);
	if ((by == NULL) != (managed_by == NULL) || (by && strcmp(by, managed_by)))
		abort();
	if (f.save_config != names_save_config(text, len))
		abort();
	if (f.n_disabled != n || (n && memcmp(f.disabled, keys, n * sizeof(*keys))))
		abort();
	free(keys);
	names_facts_clear(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *bounds[2] = { (const char *)data, (const char *)data + size };
	const char *by;

	fuzz_one(names_parse_config, (const char *)data, size);
	fuzz_one(names_parse_store, (const char *)data, size);
	/* The other tools' ways: the scan, the tool that regenerates the file, the file's way. */
	if (names_scan((const char *)data, size, check_site, bounds) < 0)
		abort();
	by = names_managed_by((const char *)data, size);
	if (by && !*by)
		abort();
	if ((unsigned int)names_file_convention((const char *)data, size) >= N_NAMES_CONVENTIONS)
		abort();
	if (names_save_config((const char *)data, size) != save_config_by_lines((const char *)data, size))
		abort();
	check_facts((const char *)data, size, by);
	return 0;
}
