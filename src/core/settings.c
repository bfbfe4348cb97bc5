// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub settings file's text: "[IFACE]" sections of "Key = Value" lines, read and edited. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "settings.h"

static bool line_section(const char *s, const char *e, const char *iface)
{
	size_t n = strlen(iface);

	while (s < e && (*s == ' ' || *s == '\t'))
		++s;
	if (s >= e || *s != '[')
		return false;
	return (size_t)(e - s) > n + 1 && !strncmp(s + 1, iface, n) && s[n + 1] == ']';
}

static bool line_is_section(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		++s;
	return s < e && *s == '[';
}

/* The value of "key = value" on this line, or NULL. */
static const char *line_value(const char *s, const char *e, const char *key, const char **vend)
{
	size_t n = strlen(key);

	while (s < e && (*s == ' ' || *s == '\t'))
		++s;
	if ((size_t)(e - s) <= n || strncasecmp(s, key, n))
		return NULL;
	s += n;
	while (s < e && (*s == ' ' || *s == '\t'))
		++s;
	if (s >= e || *s != '=')
		return NULL;
	++s;
	while (s < e && (*s == ' ' || *s == '\t'))
		++s;
	while (e > s && strchr(" \t\r\n", e[-1]))
		--e;
	*vend = e;
	return s;
}

char *settings_lookup(const char *text, size_t len, const char *iface, const char *key)
{
	char *val = NULL;
	bool in = false;

	for (const char *p = text, *end = text + len; p < end && !val;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *v, *ve;

		if (line_is_section(p, e))
			in = line_section(p, e, iface);
		else if (in && (v = line_value(p, e, key, &ve)) && ve > v)
			val = strndup(v, (size_t)(ve - v));
		p = nl ? nl + 1 : end;
	}
	return val;
}

/* Whether [s, e) holds more than blanks. */
static bool says_something(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t' || *s == '\r'))
		++s;
	return s < e;
}

char *settings_update(const char *text, size_t len, const char *iface, const char *key, const char *value,
		      size_t *out_len)
{
	char *out, line[512];
	size_t off = 0, ins = 0, n;
	bool in = false, done = false, have_section = false;

	n = (size_t)snprintf(line, sizeof(line), "%s = %s\n", key, value);
	if (n >= sizeof(line) || strpbrk(value, "\r\n") || strpbrk(iface, "[]\r\n"))
		return NULL;
	/* The last line may gain a line end, a new section a blank line and its header. */
	out = malloc(len + strlen(iface) + n + 8);
	if (!out)
		return NULL;
	for (const char *p = text, *end = text + (text ? len : 0); p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end, *ve;

		if (line_is_section(p, e)) {
			if (in && !done) {
				/* After the section's last line that says something, not after its blank lines. */
				memmove(out + ins + n, out + ins, off - ins);
				memcpy(out + ins, line, n);
				off += n;
				done = true;
			}
			in = line_section(p, e, iface);
			have_section = have_section || in;
		} else if (in && !done && line_value(p, e, key, &ve)) {
			memcpy(out + off, line, n);
			off += n;
			done = true;
			p = nl ? nl + 1 : end;
			continue;
		}
		memcpy(out + off, p, (size_t)(e - p));
		off += (size_t)(e - p);
		out[off++] = '\n';
		if (in && says_something(p, e))
			ins = off;
		p = nl ? nl + 1 : end;
	}
	if (!done && have_section && in) {
		memmove(out + ins + n, out + ins, off - ins);
		memcpy(out + ins, line, n);
		off += n;
	} else if (!done) {
		off += (size_t)sprintf(out + off, "%s[%s]\n%s", off ? "\n" : "", iface, line);
	}
	*out_len = off;
	return out;
}
