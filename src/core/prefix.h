/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IP prefixes as AllowedIPs and Address carry them, and the next free address in a subnet. */
#ifndef WGSTAR_PREFIX_H
#define WGSTAR_PREFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <arpa/inet.h>
#include "model.h"

/* An IPv6 address, a slash and up to three digits, and the NUL. */
#define PREFIX_STRLEN (INET6_ADDRSTRLEN + 4)

/*
 * "10.0.0.2/32", "10.0.0.2" (= /32), "fd00::2/128", "fd00::2" (= /128), with spaces
 * around allowed. Host bits are kept as typed, as wg(8) keeps them. 0 or -EINVAL.
 */
int prefix_parse(struct wg_allowedip *p, const char *s);
/* The same for len bytes at s, which need not be NUL-terminated. */
int prefix_parse_span(struct wg_allowedip *p, const char *s, size_t len);
/*
 * A dotted quad of len bytes (no NUL needed) into *out, taking exactly what inet_pton(AF_INET)
 * takes: four decimal octets of at most 255, no leading zeros. Without its copy and call: a
 * read of a big hub's allowed IPs makes hundreds of thousands.
 */
bool prefix_ip4_parse(struct in_addr *out, const char *s, size_t len);
/* The same for an IPv6 address as inet_pton(AF_INET6) takes it: "::", a dotted quad at the end. */
bool prefix_ip6_parse(struct in6_addr *out, const char *s, size_t len);
/*
 * A comma-separated list as AllowedIPs and Address hold it. On success *out is a
 * malloc'd array of *n entries; on failure *out and *n are left alone. -EINVAL when
 * any entry is bad or the list is empty, -ENOMEM.
 */
int prefix_parse_list(struct wg_allowedip **out, size_t *n, const char *s);
/* "10.0.0.2/32", "fd00::2/128" (canonical IPv6 form); len should be at least PREFIX_STRLEN. */
char *prefix_format(const struct wg_allowedip *p, char *buf, size_t len);
/* Zeroes the host bits: 10.0.0.5/24 becomes 10.0.0.0/24. */
void prefix_network(struct wg_allowedip *p);
/* Whether every address of inner lies in outer (same family, outer no longer than inner). */
bool prefix_contains(const struct wg_allowedip *outer, const struct wg_allowedip *inner);
/* Whether the two share an address: same family and one contains the other. */
bool prefix_overlap(const struct wg_allowedip *a, const struct wg_allowedip *b);
/*
 * The lowest free host address of subnet, as a /32 or /128 in *out. Not free are the
 * network address (and the IPv6 subnet-router anycast address it also is), the IPv4
 * broadcast address of prefixes shorter than /31 (RFC 3021), the hub's own address
 * (hub_addr, may be NULL) and every address covered by taken[] (the allowed IPs of
 * the other peers, of either family; ranges are fine). O(n) in n_taken when the first
 * n_taken + 2 addresses hold a free one (always, when the ranges are single addresses);
 * O(n log n) otherwise.
 * 0, -EINVAL for a subnet that is no prefix, -ENOSPC when every address is used,
 * -ENOMEM.
 */
int prefix_next_free(const struct wg_allowedip *subnet, const struct wg_allowedip *hub_addr,
		     const struct wg_allowedip *taken, size_t n_taken, struct wg_allowedip *out);
/* For tests only: prefix_next_free sorts every range, as it does when its window is full. */
extern bool prefix_test_sorted_only;

#endif
