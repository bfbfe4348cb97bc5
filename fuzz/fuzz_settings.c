// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the hub settings file (/etc/wgstar/wgstar.conf), "[IFACE]" sections of
 * "Key = Value" lines. The input up to its first NUL is the file, handed over without a NUL so
 * that reading past its end is caught. A value found is a trimmed piece of one line; a section
 * put before the text, or after it when the text does not name it, is found whatever the text.
 */
#include <stdio.h>
#include "fuzz.h"
#include "settings.h"

static const char *const queries[][2] = {
	{ "wg0", "Endpoint" }, { "wg0", "DNS" }, { "wg1", "endpoint" }, { "", "" }, { "wg0", "Endpoint =" },
};

static void check_value(const char *text, size_t len, const char *value)
{
	size_t n;

	if (!value)
		return;
	n = strlen(value);
	if (!n || strchr(value, '\n') || strchr(" \t", value[0]) || strchr(" \t\r", value[n - 1]))
		abort();
	if (!memmem(text, len, value, n))
		abort();
}

/* The text with a section for wgfuzz around it; the value given there must be the one found. */
static void check_found(const char *head, const char *text, size_t len, const char *tail, const char *key,
			const char *want)
{
	size_t hl = strlen(head), tl = strlen(tail);
	char *all = malloc(hl + len + tl), *got;

	if (!all)
		abort();
	memcpy(all, head, hl);
	memcpy(all + hl, text, len);
	memcpy(all + hl + len, tail, tl);
	got = settings_lookup(all, hl + len + tl, "wgfuzz", key);
	if (!got || strcmp(got, want))
		abort();
	free(got);
	free(all);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t len = nul ? (size_t)(nul - data) : size;
	char *text = malloc(len ? len : 1);

	if (!text)
		abort();
	memcpy(text, data, len);
	for (size_t i = 0; i < sizeof(queries) / sizeof(queries[0]); ++i) {
		char *v = settings_lookup(text, len, queries[i][0], queries[i][1]);

		check_value(text, len, v);
		free(v);
	}
	check_found("[wgfuzz]\nEndpoint = 192.0.2.1:51820 \n", text, len, "", "endpoint", "192.0.2.1:51820");
	if (!memmem(text, len, "wgfuzz", 6))
		check_found("", text, len, "\n[wgfuzz]\n\tDNS\t=\t10.172.16.1, fd00::1\r\n", "DNS",
			    "10.172.16.1, fd00::1");
	/* Set, then read back: the value; every other section's Endpoint as it was. */
	{
		size_t out_len;
		char *out = settings_update(text, len, "wgfuzz", "Endpoint", "203.0.113.9:51820", &out_len), *got, *was, *now;

		if (!out)
			abort();
		got = settings_lookup(out, out_len, "wgfuzz", "endpoint");
		if (!got || strcmp(got, "203.0.113.9:51820"))
			abort();
		was = settings_lookup(text, len, "wg0", "Endpoint");
		now = settings_lookup(out, out_len, "wg0", "Endpoint");
		if (!!was != !!now || (was && strcmp(was, now)))
			abort();
		free(was);
		free(now);
		free(got);
		free(out);
	}
	free(text);
	return 0;
}
