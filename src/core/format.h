/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Numbers, times, addresses and keys as people read them, into buffers the caller owns. */
#ifndef WGSTAR_FORMAT_H
#define WGSTAR_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model.h"

/* Large enough for any of the results below. */
#define FORMAT_BUF 96

/* IEC units as wg(8) prints them: "512 B", "1.21 KiB", "3.40 GiB". */
char *format_bytes(char *buf, size_t len, uint64_t bytes);
/* "0 B/s", "12.3 KiB/s"; "-" for a rate not known yet. */
char *format_rate(char *buf, size_t len, double bytes_per_sec, bool known);
/* Compact age: "5s", "2m05s", "3h02m", "4d03h"; age < 0 gives the translated "never". */
char *format_age(char *buf, size_t len, int64_t age);
/* "192.0.2.1:51820", "[2001:db8::1]:51820", "[fe80::1%eth0]:51820"; "" when there is none. */
char *format_endpoint(char *buf, size_t len, const union wg_endpoint *ep);
/*
 * Names an IPv6 endpoint's scope as if_indextoname(3) does (name holds IF_NAMESIZE bytes), or
 * returns NULL; set by the program, since the core does no I/O. NULL: scopes go by number.
 */
extern char *(*format_scope_name)(unsigned int index, char *name);
char *format_allowedip(char *buf, size_t len, const struct wg_allowedip *aip);
/* The first characters of the base64 key and an ellipsis, for peers without a name. */
char *format_key_short(char *buf, size_t len, const uint8_t key[WG_KEY_LEN], bool utf8);
/* Display width of a UTF-8 string in terminal columns. */
int format_width(const char *s);

#endif
