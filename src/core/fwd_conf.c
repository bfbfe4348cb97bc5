// SPDX-License-Identifier: GPL-2.0-or-later
/* A sysctl.d file's text: the value it gives a key, and the text with keys set, every other line kept. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fwd_conf.h"

/* Whether a line of a sysctl.d file sets key (dots and slashes alike); its value at *value. */
static bool line_key(const char *line, size_t len, const char *key, const char **value)
{
	size_t i = 0, k = 0, klen = strlen(key);
	const char *eq;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] == '-')
		i++;
	eq = memchr(line + i, '=', len - i);
	if (!eq)
		return false;
	for (; line + i < eq && k < klen; ++i, ++k) {
		char c = line[i] == '/' ? '.' : line[i];

		if (c != key[k])
			return false;
	}
	if (k != klen)
		return false;
	while (line + i < eq && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (line + i != eq)
		return false;
	*value = eq + 1;
	return true;
}

char *fwd_conf_update(const char *old, const struct fwd_setting *set, size_t n)
{
	size_t lines = 1, cap, o = 0;
	bool done[8] = { false };
	const char *p = old;
	char *out;

	for (const char *q = old; *q; ++q)
		lines += *q == '\n';
	/* A rewritten line is at most 64 bytes, however short it was. */
	cap = strlen(old) + (lines + n) * 64 + 2;
	out = malloc(cap);
	if (!out || n > 8) {
		free(out);
		return NULL;
	}
	while (*p) {
		const char *nl = strchr(p, '\n'), *value;
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t k;

		for (k = 0; k < n; ++k)
			if (line_key(p, len, set[k].key, &value))
				break;
		if (k < n) {
			/* Only a leading '-' says to ignore errors; a key may hold one too (wg-hub). */
			bool dash = p[strspn(p, " \t")] == '-';

			o += (size_t)snprintf(out + o, cap - o, "%s%s = %d\n", dash ? "-" : "", set[k].key, set[k].value);
			done[k] = true;
		} else {
			memcpy(out + o, p, len);
			o += len;
			out[o++] = '\n';
		}
		p += len + (nl ? 1 : 0);
	}
	for (size_t k = 0; k < n; ++k)
		if (!done[k])
			o += (size_t)snprintf(out + o, cap - o, "%s = %d\n", set[k].key, set[k].value);
	out[o] = '\0';
	return out;
}

int fwd_conf_value(const char *text, const char *key)
{
	const char *p = text, *value;
	int v = -1;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		/* A number on this line: atoi would skip a newline and read the next line's. */
		if (line_key(p, len, key, &value)) {
			value += strspn(value, " \t");
			v = ((*value >= '0' && *value <= '9') || *value == '+' || *value == '-') && atoi(value) != 0;
		}
		p += len + (nl ? 1 : 0);
	}
	return v;
}
