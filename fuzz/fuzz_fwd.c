// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the sysctl.d file of the forwarding switch, read and rewritten. The first
 * byte chooses which keys are set (a bit each), the second their values; the rest up to a NUL
 * is the file. After the update every key reads back as set, each line of a key is rewritten in
 * place with its '-' kept, every other line is kept byte for byte, and missing keys are appended.
 */
#include <stdio.h>
#include "fuzz.h"
#include "fwd_conf.h"

static const char *const keys[] = {
	FWD_KEY_IPV4,
	FWD_KEY_IPV6,
	"net.ipv4.conf.all.forwarding",
	"net.ipv6.conf.wg-hub.forwarding",
	"net.ipv4.conf.a-rather-long-interface.forwarding",
};
#define N_KEYS (sizeof(keys) / sizeof(keys[0]))

/* The line at *p as a string of its own; *p moves past it. NULL at the end. */
static char *next_line(const char **p)
{
	const char *nl = strchr(*p, '\n');
	size_t len = nl ? (size_t)(nl - *p) : strlen(*p);
	char *line;

	if (!**p)
		return NULL;
	line = strndup(*p, len);
	if (!line)
		abort();
	*p += len + (nl ? 1 : 0);
	return line;
}

/* Which of the settings a line sets, as fwd_conf_value sees it; n when none. */
static size_t line_setting(const char *line, const struct fwd_setting *set, size_t n)
{
	size_t k;

	for (k = 0; k < n; ++k)
		if (fwd_conf_value(line, set[k].key) >= 0)
			break;
	return k;
}

static void check_lines(const char *old, const char *out, const struct fwd_setting *set, size_t n)
{
	bool done[N_KEYS] = { false };
	const char *p = old, *q = out;
	char *line, *got, want[128];

	while ((line = next_line(&p))) {
		size_t k = line_setting(line, set, n);

		got = next_line(&q);
		if (!got)
			abort();
		if (k < n) {
			bool dash = line[strspn(line, " \t")] == '-';

			snprintf(want, sizeof(want), "%s%s = %d", dash ? "-" : "", set[k].key, set[k].value);
			done[k] = true;
		}
		if (strcmp(got, k < n ? want : line))
			abort();
		free(got);
		free(line);
	}
	for (size_t k = 0; k < n; ++k) {
		if (done[k])
			continue;
		got = next_line(&q);
		snprintf(want, sizeof(want), "%s = %d", set[k].key, set[k].value);
		if (!got || strcmp(got, want))
			abort();
		free(got);
	}
	if (*q || q == out || q[-1] != '\n')
		abort();
}

/* The value a text gives a key is the one its last line of that key gives. */
static void check_value(const char *text, const char *key)
{
	const char *p = text;
	char *line;
	int last = -1;

	while ((line = next_line(&p))) {
		int v = fwd_conf_value(line, key);

		if (v >= 0)
			last = v;
		free(line);
	}
	if (fwd_conf_value(text, key) != last)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t which = fuzz_byte(&data, &size), values = fuzz_byte(&data, &size);
	char *old = fuzz_string(&data, &size), *out;
	struct fwd_setting set[N_KEYS];
	size_t n = 0;

	if (!old)
		return 0;
	for (size_t k = 0; k < N_KEYS; ++k) {
		if (!(which & 1U << k))
			continue;
		set[n].key = keys[k];
		set[n++].value = values >> k & 1;
	}
	for (size_t k = 0; k < N_KEYS; ++k)
		check_value(old, keys[k]);
	out = fwd_conf_update(old, set, n);
	if (!out)
		abort();
	for (size_t k = 0; k < n; ++k)
		if (fwd_conf_value(out, set[k].key) != set[k].value)
			abort();
	if (n || *old)
		check_lines(old, out, set, n);
	free(out);
	free(old);
	return 0;
}
