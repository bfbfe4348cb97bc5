/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The hub settings file's text: "[IFACE]" sections of "Key = Value" lines, read and edited. */
#ifndef WGSTAR_SETTINGS_H
#define WGSTAR_SETTINGS_H

#include <stddef.h>

/* The value of key in iface's section of text (len bytes, no NUL needed), malloc'd; NULL when none. */
char *settings_lookup(const char *text, size_t len, const char *iface, const char *key);

/*
 * The text with key set to value in iface's section: the key's line rewritten in place, or
 * one added after the section's last line that says something, or a new section at the end;
 * every other byte kept. text may be NULL (no file yet). malloc'd, its length in *out_len;
 * NULL when value holds a line break or iface is no section name, or on ENOMEM.
 */
char *settings_update(const char *text, size_t len, const char *iface, const char *key, const char *value,
		      size_t *out_len);

#endif
