// SPDX-License-Identifier: GPL-2.0-or-later
/* Why can't peer A reach peer B through the hub: every cause found, one line each, with its fix. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netfilter.h>
#include "check.h"
#include "firewall.h"
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "policy_compile.h"
#include "rates.h"
#include "text.h"

#define CHECK_MAX_OVERLAPS 10

struct sel {
	size_t dev;
	uint32_t peer;
};

__attribute__((format(printf, 3, 4)))
static int add(struct check_result *r, const char *fix, const char *fmt, ...)
{
	struct check_finding *v = realloc(r->v, (r->n + 1) * sizeof(*v));
	char text[sizeof(v->text)];
	va_list ap;

	if (!v)
		return -ENOMEM;
	r->v = v;
	v = &r->v[r->n++];
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* Findings quote names, interface and chain names: nothing of theirs reaches a terminal raw. */
	text_escape(v->text, sizeof(v->text), text, strlen(text));
	snprintf(v->fix, sizeof(v->fix), "%s", fix ? fix : "");
	v->kind = CHECK_FIX_NONE;
	v->info = false;
	return 0;
}

static const char *peer_label(char *buf, size_t len, const struct wg_peer *p)
{
	char b64[WG_KEY_B64_LEN];

	if (p->name)
		return p->name;
	key_to_base64(b64, p->public_key);
	snprintf(buf, len, "%.8s…", b64);
	return buf;
}

/* A peer by name, public key, the start of one (4 characters at least), or one of its addresses. */
static bool find_peer(const struct wg_snapshot *snap, const char *what, struct sel *out)
{
	char b64[WG_KEY_B64_LEN], buf[64];
	size_t wlen = strlen(what);

	for (size_t d = 0; d < snap->n_devices; ++d) {
		const struct wg_device *dev = snap->devices[d];

		for (uint32_t p = 0; p < dev->n_peers; ++p) {
			const struct wg_peer *peer = &dev->peers[p];
			bool hit = peer->name && !strcmp(peer->name, what);

			key_to_base64(b64, peer->public_key);
			hit = hit || (wlen >= 4 && !strncmp(b64, what, wlen));
			for (uint32_t a = 0; !hit && a < peer->n_allowedips; ++a) {
				format_allowedip(buf, sizeof(buf), &peer->allowedips[a]);
				hit = !strcmp(buf, what) || (strchr(buf, '/') && !strncmp(buf, what, wlen) &&
							     buf[wlen] == '/');
			}
			if (hit) {
				out->dev = d;
				out->peer = p;
				return true;
			}
		}
	}
	return false;
}

static bool selected(const struct sel *s, size_t n, size_t dev, uint32_t peer)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; ++i)
		if (s[i].dev == dev && s[i].peer == peer)
			return true;
	return false;
}

static int check_forwarding(const struct check_input *in, struct check_result *r)
{
	bool v6 = false;
	int ret = 0;

	for (size_t d = 0; d < in->snap->n_devices; ++d)
		for (uint32_t p = 0; p < in->snap->devices[d]->n_peers; ++p)
			for (uint32_t a = 0; a < in->snap->devices[d]->peers[p].n_allowedips; ++a)
				v6 = v6 || in->snap->devices[d]->peers[p].allowedips[a].family == AF_INET6;
	if (in->fwd.ipv4 == 0 &&
	    !(ret = add(r, "wgstar-top forward on",
			_("IPv4 forwarding is off in this network namespace: the hub forwards nothing between peers"))))
		r->v[r->n - 1].kind = CHECK_FIX_FORWARD_IPV4;
	if (!ret && v6 && in->fwd.ipv6 == 0 &&
	    !(ret = add(r, "wgstar-top forward on --ipv6",
			_("IPv6 forwarding is off in this network namespace: the hub forwards no IPv6 between peers"))))
		r->v[r->n - 1].kind = CHECK_FIX_FORWARD_IPV6;
	return ret;
}

static int check_firewall(const struct check_input *in, struct check_result *r)
{
	const char *ifaces[CHECK_MAX_DEVICES];
	struct firewall_chain *chains = NULL;
	size_t n_ifaces = 0, n_chains = 0;
	char fix[FIREWALL_NAME_LEN * 4 + 2 * TEXT_IFNAME_LEN + 128];
	int ret;

	if (!in->ruleset)
		return add(r, NULL, _("the ruleset could not be read; the firewall was not checked"));
	for (size_t d = 0; d < in->snap->n_devices && n_ifaces < CHECK_MAX_DEVICES; ++d)
		ifaces[n_ifaces++] = in->snap->devices[d]->name;
	if ((ret = firewall_forward_chains(in->ruleset, ifaces, n_ifaces, &chains, &n_chains)) < 0)
		return ret;
	for (size_t c = 0; c < n_chains && !ret; ++c) {
		const struct firewall_chain *ch = &chains[c];

		for (size_t i = 0; i < n_ifaces && !ret; ++i) {
			if (ch->accepts_star[i])
				continue;
			if (ch->policy_drop && ch->xtables) {
				char chain[FIREWALL_NAME_LEN * 4], iface[TEXT_IFNAME_LEN + 3];

				text_shell_quote(chain, sizeof(chain), ch->chain);
				text_shell_quote(iface, sizeof(iface), ifaces[i]);
				snprintf(fix, sizeof(fix), "wgstar-top check --fix (%s -A %s -i %s -o %s -j ACCEPT, shown first)",
					 ch->family == NFPROTO_IPV6 ? "ip6tables" : "iptables", chain, iface, iface);
			} else {
				snprintf(fix, sizeof(fix), "wgstar-top check --fix (shows the change first)");
			}
			if (ch->policy_drop) {
				ret = add(r, fix, _("chain %s %s %s (%s) drops forwarded packets by policy and accepts no %s → %s"),
					  firewall_family_name(ch->family), ch->table, ch->chain,
					  ch->xtables ? "iptables-nft" : "nftables", ifaces[i], ifaces[i]);
				/* What firewall_propose() adds, in iptables-nft's chains as iptables writes it. */
				if (!ret)
					r->v[r->n - 1].kind = CHECK_FIX_FIREWALL;
			} else if (ch->drops)
				ret = add(r, NULL, _("chain %s %s %s has rules that drop or reject forwarded packets; "
						     "%s → %s may be among them"),
					  firewall_family_name(ch->family), ch->table, ch->chain, ifaces[i], ifaces[i]);
		}
	}
	free(chains);
	return ret;
}

struct block {
	uint8_t start[16];
	uint8_t end[16];
	uint8_t family;
	uint8_t cidr;
	uint32_t peer;
	uint32_t aip;
};

static int block_cmp(const void *pa, const void *pb)
{
	const struct block *a = pa, *b = pb;
	int c;

	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	if ((c = memcmp(a->start, b->start, 16)))
		return c;
	return a->cidr < b->cidr ? -1 : a->cidr > b->cidr;
}

static void to_block(struct block *b, const struct wg_allowedip *aip)
{
	size_t alen = aip->family == AF_INET ? 4 : 16;
	const uint8_t *a = aip->family == AF_INET ? (const uint8_t *)&aip->ip4 : aip->ip6.s6_addr;

	memset(b, 0, sizeof(*b));
	b->family = (uint8_t)aip->family;
	b->cidr = aip->cidr;
	for (size_t i = 0; i < alen; ++i) {
		unsigned int bits = aip->cidr > i * 8 ? aip->cidr - (unsigned int)i * 8 : 0;
		uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff << (8 - bits));

		b->start[i] = a[i] & mask;
		b->end[i] = a[i] | (uint8_t)~mask;
	}
}

/* Prefixes nest or are disjoint: sorted, each one lies in the widest open one before it, if any. */
static int check_overlaps(const struct check_input *in, const struct sel *s, size_t n_sel, struct check_result *r)
{
	size_t shown = 0, more = 0;
	int ret = 0;

	for (size_t d = 0; d < in->snap->n_devices && !ret; ++d) {
		const struct wg_device *dev = in->snap->devices[d];
		struct block *b;
		size_t n = 0, open = SIZE_MAX;

		for (uint32_t p = 0; p < dev->n_peers; ++p)
			n += dev->peers[p].n_allowedips;
		b = calloc(n ? n : 1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		n = 0;
		for (uint32_t p = 0; p < dev->n_peers; ++p)
			for (uint32_t a = 0; a < dev->peers[p].n_allowedips; ++a) {
				to_block(&b[n], &dev->peers[p].allowedips[a]);
				b[n].peer = p;
				b[n++].aip = a;
			}
		qsort(b, n, sizeof(*b), block_cmp);
		for (size_t i = 0; i < n && !ret; ++i) {
			char l1[64], l2[64], a1[64], a2[64];
			const char *outer, *inner;
			const struct block *o;

			if (open == SIZE_MAX || b[open].family != b[i].family || memcmp(b[i].start, b[open].end, 16) > 0) {
				open = i;
				continue;
			}
			o = &b[open];
			if (o->peer == b[i].peer ||
			    (!selected(s, n_sel, d, o->peer) && !selected(s, n_sel, d, b[i].peer)))
				continue;
			if (shown++ >= CHECK_MAX_OVERLAPS) {
				more++;
				continue;
			}
			format_allowedip(a1, sizeof(a1), &dev->peers[o->peer].allowedips[o->aip]);
			format_allowedip(a2, sizeof(a2), &dev->peers[b[i].peer].allowedips[b[i].aip]);
			outer = peer_label(l1, sizeof(l1), &dev->peers[o->peer]);
			inner = peer_label(l2, sizeof(l2), &dev->peers[b[i].peer]);
			ret = add(r, NULL, _("allowed IPs overlap on %s: %s of %s contains %s of %s, which WireGuard "
					     "routes to %s only"), dev->name, a1, outer, a2, inner, inner);
		}
		free(b);
	}
	if (!ret && more)
		ret = add(r, NULL, _("... and %zu more overlapping allowed IPs"), more);
	return ret;
}

static int check_peers(const struct check_input *in, const struct sel *s, size_t n_sel, struct check_result *r)
{
	int ret = 0;

	for (size_t d = 0; d < in->snap->n_devices && !ret; ++d) {
		const struct wg_device *dev = in->snap->devices[d];

		for (uint32_t p = 0; p < dev->n_peers && !ret; ++p) {
			const struct wg_peer *peer = &dev->peers[p];
			int64_t age = peer_handshake_age(peer->last_handshake_sec, in->now);
			char buf[64], when[32];
			const char *l;

			if (!selected(s, n_sel, d, p))
				continue;
			l = peer_label(buf, sizeof(buf), peer);
			if (!peer->last_handshake_sec) {
				ret = add(r, NULL, _("%s never completed a handshake with the hub on %s: nothing of it reached "
						     "UDP port %u (check its endpoint, its keys, and the path to the hub)"),
					  l, dev->name, dev->listen_port);
				continue;
			}
			if (age <= PEER_ONLINE_SECONDS)
				continue;
			format_age(when, sizeof(when), age);
			if (peer->persistent_keepalive && age > PEER_ONLINE_SECONDS + peer->persistent_keepalive)
				ret = add(r, NULL, _("%s: last handshake %s ago, although the hub keeps it alive every %u s: "
						     "it does not answer (offline, or its address changed)"),
					  l, when, peer->persistent_keepalive);
			else if (n_sel)
				ret = add(r, NULL, _("%s: last handshake %s ago and no keepalive: idle or gone; the hub "
						     "reaches it again only once it sends"), l, when);
		}
	}
	return ret;
}

/* Reverse-path filtering: strict wants the route back through the interface, loose any route. */
static int check_rp_filter(const struct check_input *in, const struct sel *s, size_t n_sel, struct check_result *r)
{
	int ret = 0;

	if (!in->route_oif)
		return 0;
	for (size_t d = 0; d < in->snap->n_devices && d < CHECK_MAX_DEVICES && !ret; ++d) {
		const struct wg_device *dev = in->snap->devices[d];
		int rp = in->rp_filter[d];

		if (rp != 1 && rp != 2)
			continue;
		for (uint32_t p = 0; p < dev->n_peers && !ret; ++p) {
			const struct wg_peer *peer = &dev->peers[p];

			if (!selected(s, n_sel, d, p))
				continue;
			for (uint32_t a = 0; a < peer->n_allowedips && !ret; ++a) {
				const struct wg_allowedip *aip = &peer->allowedips[a];
				char l[64], ip[64], fix[160], iface[TEXT_IFNAME_LEN + 3];
				int oif;

				if (aip->family != AF_INET)
					continue;
				oif = in->route_oif(in->route_ctx, AF_INET, &aip->ip4);
				if (oif >= 0 && (rp == 2 || (uint32_t)oif == dev->ifindex))
					continue;
				format_allowedip(ip, sizeof(ip), aip);
				text_shell_quote(iface, sizeof(iface), dev->name);
				snprintf(fix, sizeof(fix), "ip route add %s dev %s", ip, iface);
				ret = add(r, fix, rp == 1 ?
					  _("strict reverse-path filtering (rp_filter=1) on %s drops what %s sends from %s: "
					    "the route back to it does not leave through %s") :
					  _("reverse-path filtering (rp_filter=2) on %s drops what %s sends from %s: "
					    "there is no route back to it%s"),
					  dev->name, peer_label(l, sizeof(l), peer), ip, rp == 1 ? dev->name : "");
			}
		}
	}
	return ret;
}

/* What the hub policy does with a ping between the two peers asked about, both ways, when it refuses it. */
static int check_policy(const struct check_input *in, const struct sel *s, size_t n_sel, struct check_result *r)
{
	const struct wg_device *dev;
	const struct policy_iface *pi;
	char la[128], lb[128], rule[512];
	int ret = 0;

	if (!in->policy || !in->policy->present || n_sel != 2 || s[0].dev != s[1].dev)
		return 0;
	dev = in->snap->devices[s[0].dev];
	pi = policy_find(&in->policy->p, dev->name);
	if (!pi || !pi->resolved)
		return 0;
	for (int k = 0; k < 2 && !ret; ++k) {
		const struct wg_peer *a = &dev->peers[s[k].peer], *b = &dev->peers[s[1 - k].peer];
		struct policy_point pa = { 0 }, pb = { 0 };
		enum policy_verdict v;
		unsigned int line;
		bool found = false;

		/* The first family both have an address of. */
		for (uint32_t i = 0; i < a->n_allowedips && !found; ++i)
			for (uint32_t j = 0; j < b->n_allowedips && !found; ++j)
				if (a->allowedips[i].family == b->allowedips[j].family) {
					pa.addr = a->allowedips[i];
					pb.addr = b->allowedips[j];
					pa.addr.cidr = pb.addr.cidr = pa.addr.family == AF_INET ? 32 : 128;
					found = true;
				}
		if (!found)
			continue;
		v = policy_verdict(pi, dev, &pa, &pb, POLICY_ICMP, 0, &line);
		rule[0] = '\0';
		for (size_t i = 0; i < pi->n_rules; ++i)
			if (pi->rules[i].line == line)
				policy_rule_format(&pi->rules[i], rule, sizeof(rule));
		if (!rule[0])
			snprintf(rule, sizeof(rule), "Default = %s", v == POLICY_DENIED ? "deny" : "allow");
		if (v == POLICY_DENIED) {
			ret = add(r, "wgstar-top policy edit", _("the hub policy refuses %s → %s (a ping): line %u: %s"),
				  peer_label(la, sizeof(la), a), peer_label(lb, sizeof(lb), b), line, rule);
		} else {
			ret = add(r, NULL, _("the hub policy lets %s → %s through (a ping): line %u: %s"),
				  peer_label(la, sizeof(la), a), peer_label(lb, sizeof(lb), b), line, rule);
			if (!ret)
				r->v[r->n - 1].info = true;
		}
	}
	return ret;
}

int check_run(const struct check_input *in, struct check_result *out)
{
	struct sel s[2];
	size_t n_sel = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < 2; ++i) {
		const char *what = i ? in->peer_b : in->peer_a;

		if (!what)
			continue;
		if (!find_peer(in->snap, what, &s[n_sel])) {
			snprintf(out->unknown, sizeof(out->unknown), "%s", what);
			return -ENOENT;
		}
		n_sel++;
	}
	if ((ret = check_forwarding(in, out)) < 0 || (ret = check_firewall(in, out)) < 0 ||
	    (ret = check_policy(in, s, n_sel, out)) < 0 ||
	    (ret = check_overlaps(in, s, n_sel, out)) < 0 || (ret = check_peers(in, s, n_sel, out)) < 0 ||
	    (ret = check_rp_filter(in, s, n_sel, out)) < 0)
		check_result_free(out);
	return ret;
}

size_t check_causes(const struct check_result *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; ++i)
		n += !r->v[i].info;
	return n;
}

void check_result_free(struct check_result *r)
{
	free(r->v);
	r->v = NULL;
	r->n = 0;
}
