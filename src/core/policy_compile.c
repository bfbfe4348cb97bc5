// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy compiled into maps: address classes, decisions, and a walk through them. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "counters.h"
#include "i18n.h"
#include "policy_compile.h"
#include "policy_nft.h"
#include "prefix.h"

/* --- addresses as 16 bytes, network byte order --- */

static size_t alen_of(uint8_t family)
{
	return family == AF_INET ? 4 : 16;
}

static bool addr_inc(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (++a[i])
			return true;
	return false;
}

static void addr_dec(uint8_t *a, size_t len)
{
	for (size_t i = len; i-- > 0;)
		if (a[i]--)
			return;
}

/* The first and last address of a prefix. */
static void prefix_bounds(const struct wg_allowedip *p, uint8_t *start, uint8_t *end)
{
	size_t len = alen_of((uint8_t)p->family);

	memset(start, 0, 16);
	memset(end, 0, 16);
	memcpy(start, p->family == AF_INET ? (const void *)&p->ip4 : (const void *)&p->ip6, len);
	for (size_t i = 0; i < len; ++i) {
		int bits = (int)p->cidr - (int)i * 8;
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));

		start[i] &= mask;
		end[i] = start[i] | (uint8_t)~mask;
	}
}

static void point_addr(const struct wg_allowedip *a, uint8_t *out)
{
	memset(out, 0, 16);
	memcpy(out, a->family == AF_INET ? (const void *)&a->ip4 : (const void *)&a->ip6, alen_of((uint8_t)a->family));
}

/* --- bit sets --- */

static bool bit(const uint64_t *v, size_t i)
{
	return v[i / 64] >> (i % 64) & 1;
}

static void bit_set(uint64_t *v, size_t i)
{
	v[i / 64] |= (uint64_t)1 << (i % 64);
}

static const uint8_t families[] = { AF_INET, AF_INET6 };

/* --- what the compiler keeps while it works on one interface --- */

struct seg {
	uint8_t start[16];
	uint8_t end[16];
	int64_t owner;			/* peer index, -1 for none */
	uint32_t cls;
};

struct pfx {
	uint8_t family;
	uint8_t start[16];
	uint8_t end[16];
};

/* Signatures interned: class ids by a hash of their bits. */
struct sigtab {
	uint64_t *bits;			/* n * words */
	size_t n, cap, words;
	uint32_t *slots;		/* class id + 1, 0 for empty */
	size_t n_slots;
};

struct hitlist {
	uint32_t *rules;
	size_t n;
	uint8_t terminal;		/* POLICY_T_DEFAULT or POLICY_T_RETURN */
};

/* Decisions interned by the rules that make them. */
struct dectab {
	struct hitlist *v;
	size_t n, cap;
	uint32_t *slots;
	size_t n_slots;
};

struct work {
	const struct policy_iface *pi;
	const struct wg_device *dev;
	size_t n_rules, gwords, swords;
	uint64_t *peer_groups;		/* n_peers * gwords */
	struct pfx *gpfx;		/* group members that are prefixes, */
	size_t *gpfx_group;		/* and their groups */
	size_t n_gpfx;
	int64_t *ref_peer;		/* by rule side (2r, 2r+1): the peer of a PEER side */
	struct pfx *ref_pfx;		/* by rule side: the prefix of a PREFIX side */
	struct policy_stretch *segs[2];	/* by family: IPv4, IPv6 */
	size_t n_segs[2];
	struct sigtab sig;
	struct dectab dec;
	size_t elements;
};

static uint64_t hash_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 1469598103934665603ull;

	for (size_t i = 0; i < n; ++i) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static int slots_grow(uint32_t **slots, size_t *n_slots, size_t n_items)
{
	if (n_items * 2 < *n_slots)
		return 0;
	free(*slots);
	*n_slots = *n_slots ? *n_slots * 2 : 64;
	while (*n_slots <= n_items * 2)
		*n_slots *= 2;
	*slots = calloc(*n_slots, sizeof(**slots));
	return *slots ? 0 : -ENOMEM;
}

/* The class of a signature, interned: 0 is the empty one, entered first. */
static int sig_intern(struct sigtab *t, const uint64_t *bits, uint32_t *cls)
{
	size_t bytes = t->words * sizeof(uint64_t);
	uint64_t h;
	size_t i;

	if (t->n_slots && t->n * 2 < t->n_slots) {
		h = hash_bytes(bits, bytes);
		for (i = h & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
			if (!memcmp(&t->bits[(size_t)(t->slots[i] - 1) * t->words], bits, bytes)) {
				*cls = t->slots[i] - 1;
				return 0;
			}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		uint64_t *v = realloc(t->bits, cap * bytes);

		if (!v)
			return -ENOMEM;
		t->bits = v;
		t->cap = cap;
	}
	memcpy(&t->bits[t->n * t->words], bits, bytes);
	*cls = (uint32_t)t->n++;
	if (t->n * 2 >= t->n_slots) {
		if (slots_grow(&t->slots, &t->n_slots, t->n) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < t->n; ++k) {
			h = hash_bytes(&t->bits[k * t->words], bytes);
			for (i = h & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
				;
			t->slots[i] = (uint32_t)k + 1;
		}
		return 0;
	}
	h = hash_bytes(bits, bytes);
	for (i = h & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
		;
	t->slots[i] = *cls + 1;
	return 0;
}

static uint64_t hit_hash(const struct hitlist *l)
{
	return hash_bytes(l->rules, l->n * sizeof(*l->rules)) ^ l->terminal;
}

static bool hit_same(const struct hitlist *a, const struct hitlist *b)
{
	return a->n == b->n && a->terminal == b->terminal && !memcmp(a->rules, b->rules, a->n * sizeof(*a->rules));
}

static int dec_intern(struct dectab *t, const struct hitlist *l, uint32_t *id)
{
	size_t i;

	if (t->n_slots)
		for (i = hit_hash(l) & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
			if (hit_same(&t->v[t->slots[i] - 1], l)) {
				*id = t->slots[i] - 1;
				return 0;
			}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct hitlist *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n] = *l;
	t->v[t->n].rules = malloc((l->n ? l->n : 1) * sizeof(*l->rules));
	if (!t->v[t->n].rules)
		return -ENOMEM;
	memcpy(t->v[t->n].rules, l->rules, l->n * sizeof(*l->rules));
	*id = (uint32_t)t->n++;
	if (t->n * 2 >= t->n_slots) {
		if (slots_grow(&t->slots, &t->n_slots, t->n) < 0)
			return -ENOMEM;
		for (size_t k = 0; k < t->n; ++k) {
			for (i = hit_hash(&t->v[k]) & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
				;
			t->slots[i] = (uint32_t)k + 1;
		}
		return 0;
	}
	for (i = hit_hash(l) & (t->n_slots - 1); t->slots[i]; i = (i + 1) & (t->n_slots - 1))
		;
	t->slots[i] = *id + 1;
	return 0;
}

/* --- classes of addresses --- */

static bool pfx_has(const struct pfx *p, uint8_t family, const uint8_t *a)
{
	size_t len = alen_of(family);

	return p->family == family && memcmp(p->start, a, len) <= 0 && memcmp(a, p->end, len) <= 0;
}

/* Whether a rule side names an address with this owner and these groups. */
static bool side_has(const struct work *w, size_t side, const uint64_t *groups, int64_t owner, uint8_t family,
		     const uint8_t *a)
{
	const struct policy_rule *r = &w->pi->rules[side / 2];
	const struct policy_ref *ref = side % 2 ? &r->to : &r->from;

	switch (ref->kind) {
	case POLICY_REF_ANY:
		return owner >= 0;
	case POLICY_REF_GROUP:
		return bit(groups, ref->group);
	case POLICY_REF_PEER:
		return owner >= 0 && owner == w->ref_peer[side];
	case POLICY_REF_PREFIX:
		return pfx_has(&w->ref_pfx[side], family, a);
	default:
		return false;
	}
}

static int cmp16(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

/*
 * The stretches of one family: cut wherever an owned range or a prefix named by the policy
 * starts or ends, each with its owner and class. Those of class 0 are left out.
 */
static int segment(struct work *w, const struct counters_plan *plan, uint8_t family)
{
	size_t len = alen_of(family), n_pts = 0, cap = 0, fi = family == AF_INET ? 0 : 1, ri = 0;
	uint8_t (*pts)[16] = NULL;
	uint64_t *groups = NULL, *sigbits = NULL;
	const struct counters_range **own = NULL;
	size_t n_own = 0;
	struct policy_stretch *segs = NULL;
	size_t n_segs = 0;
	int ret = -ENOMEM;

	for (size_t i = 0; i < plan->n; ++i)
		if (plan->v[i].family == family && !strncmp(plan->v[i].ifname, w->dev->name, IFNAMSIZ))
			++n_own;
	own = calloc(n_own + 1, sizeof(*own));
	cap = 2 * (n_own + w->n_gpfx + 2 * w->n_rules) + 2;
	pts = calloc(cap, sizeof(*pts));
	groups = calloc(w->gwords + 1, sizeof(*groups));
	sigbits = calloc(w->swords + 1, sizeof(*sigbits));
	if (!own || !pts || !groups || !sigbits)
		goto out;
	n_own = 0;
	for (size_t i = 0; i < plan->n; ++i)
		if (plan->v[i].family == family && !strncmp(plan->v[i].ifname, w->dev->name, IFNAMSIZ))
			own[n_own++] = &plan->v[i];
#define ADD_BOUNDS(s, e)                                                                                          \
	do {                                                                                                         \
		memset(pts[n_pts], 0, 16);                                                                           \
		memcpy(pts[n_pts++], (s), len);                                                                      \
		memset(pts[n_pts], 0, 16);                                                                           \
		memcpy(pts[n_pts], (e), len);                                                                        \
		if (addr_inc(pts[n_pts], len))                                                                       \
			++n_pts;                                                                                     \
	} while (0)
	for (size_t i = 0; i < n_own; ++i)
		ADD_BOUNDS(own[i]->start, own[i]->end);
	for (size_t i = 0; i < w->n_gpfx; ++i)
		if (w->gpfx[i].family == family)
			ADD_BOUNDS(w->gpfx[i].start, w->gpfx[i].end);
	for (size_t s = 0; s < 2 * w->n_rules; ++s)
		if (w->ref_pfx[s].family == family)
			ADD_BOUNDS(w->ref_pfx[s].start, w->ref_pfx[s].end);
#undef ADD_BOUNDS
	qsort(pts, n_pts, sizeof(*pts), cmp16);
	/* Written before read: calloc would touch room for every point, twice the stretches. */
	segs = malloc((n_pts + 1) * sizeof(*segs));
	if (!segs)
		goto out;
	for (size_t i = 0; i < n_pts; ++i) {
		struct seg sg = { .owner = -1 };
		bool any = false;

		if (i + 1 < n_pts && !memcmp(pts[i], pts[i + 1], 16))
			continue;
		memcpy(sg.start, pts[i], 16);
		if (i + 1 < n_pts) {
			memcpy(sg.end, pts[i + 1], 16);
			addr_dec(sg.end, len);
		} else {
			memset(sg.end, 0xff, len);
		}
		while (ri < n_own && memcmp(own[ri]->end, sg.start, len) < 0)
			++ri;
		if (ri < n_own && memcmp(own[ri]->start, sg.start, len) <= 0)
			sg.owner = own[ri]->peer;
		memset(groups, 0, w->gwords * sizeof(*groups));
		if (sg.owner >= 0)
			memcpy(groups, &w->peer_groups[(size_t)sg.owner * w->gwords], w->gwords * sizeof(*groups));
		for (size_t g = 0; g < w->n_gpfx; ++g)
			if (pfx_has(&w->gpfx[g], family, sg.start))
				bit_set(groups, w->gpfx_group[g]);
		memset(sigbits, 0, w->swords * sizeof(*sigbits));
		for (size_t s = 0; s < 2 * w->n_rules; ++s)
			if (side_has(w, s, groups, sg.owner, family, sg.start)) {
				bit_set(sigbits, s);
				any = true;
			}
		if (!any)
			continue;
		if ((ret = sig_intern(&w->sig, sigbits, &sg.cls)) < 0)
			goto out;
		ret = -ENOMEM;
		/* Neighbours of one class are one stretch. */
		if (n_segs && segs[n_segs - 1].cls == sg.cls) {
			uint8_t next[16];

			memcpy(next, segs[n_segs - 1].end, 16);
			if (addr_inc(next, len) && !memcmp(next, sg.start, len)) {
				memcpy(segs[n_segs - 1].end, sg.end, 16);
				continue;
			}
		}
		segs[n_segs] = (struct policy_stretch){ .cls = sg.cls };
		memcpy(segs[n_segs].start, sg.start, 16);
		memcpy(segs[n_segs++].end, sg.end, 16);
	}
	/* They outlive the compile, in its result: room for twice as many points goes back. */
	w->segs[fi] = n_segs ? realloc(segs, n_segs * sizeof(*segs)) : segs;
	if (!w->segs[fi])
		w->segs[fi] = segs;
	w->n_segs[fi] = n_segs;
	segs = NULL;
	ret = 0;
out:
	free(segs);
	free(pts);
	free(own);
	free(groups);
	free(sigbits);
	return ret;
}

/* --- what a pair of classes gets --- */

static const uint64_t *sig_of(const struct work *w, uint32_t cls)
{
	return &w->sig.bits[(size_t)cls * w->sig.words];
}

/* The rules a source class can meet, in order: its side is the source of one direction. */
static size_t active_rules(const struct work *w, uint32_t cls, uint32_t *out)
{
	const uint64_t *s = sig_of(w, cls);
	size_t n = 0;

	for (size_t r = 0; r < w->n_rules; ++r)
		if (bit(s, 2 * r) || (w->pi->rules[r].both && bit(s, 2 * r + 1)))
			out[n++] = (uint32_t)r;
	return n;
}

/* Whether the rule's hub side takes the place of a destination ("A -> hub", "hub <-> A"). */
static bool hub_side(const struct policy_ref *r)
{
	return r->kind == POLICY_REF_HUB;
}

/* The target of source class k towards destination class l (UINT32_MAX: the hub). */
static int pair_target(struct work *w, uint32_t k, uint32_t l, const uint32_t *active, size_t n_active,
		       uint32_t *buf, struct policy_target *t)
{
	const uint64_t *ks = sig_of(w, k), *ls = l == UINT32_MAX ? NULL : sig_of(w, l);
	struct hitlist h = { .rules = buf, .terminal = l == UINT32_MAX ? POLICY_T_RETURN : POLICY_T_DEFAULT };
	uint32_t id;
	int ret;

	for (size_t i = 0; i < n_active; ++i) {
		uint32_t r = active[i];
		const struct policy_rule *rule = &w->pi->rules[r];
		bool hit;

		if (ls)
			hit = (bit(ks, 2 * r) && bit(ls, 2 * r + 1)) || (rule->both && bit(ks, 2 * r + 1) && bit(ls, 2 * r));
		else
			hit = (bit(ks, 2 * r) && hub_side(&rule->to)) || (rule->both && bit(ks, 2 * r + 1) &&
									  hub_side(&rule->from));
		if (!hit)
			continue;
		buf[h.n++] = r;
		if (!rule->n_services)
			break;
	}
	if (!h.n) {
		*t = (struct policy_target){ .kind = h.terminal };
		return 0;
	}
	if (h.n == 1 && !w->pi->rules[buf[0]].n_services) {
		*t = (struct policy_target){ .kind = POLICY_T_RULE, .index = buf[0] };
		return 0;
	}
	if ((ret = dec_intern(&w->dec, &h, &id)) < 0)
		return ret;
	*t = (struct policy_target){ .kind = POLICY_T_DECISION, .index = id };
	return 0;
}

static bool target_eq(struct policy_target a, struct policy_target b)
{
	return a.kind == b.kind && a.index == b.index;
}

/*
 * The last element of a map being made: a stretch joins it when it touches it and goes to the
 * same place, as the kernel's map would hold them.
 */
struct span_tail {
	bool any;
	uint8_t family;
	uint8_t end[16];
	struct policy_target to;
};

/* Whether a stretch of family going to `to` starts an element of its own; the tail moves past it. */
static bool span_next(struct span_tail *t, uint8_t family, const struct policy_stretch *st, struct policy_target to)
{
	size_t len = alen_of(family);
	bool joins = false;

	if (t->any) {
		uint8_t next[16];

		memcpy(next, t->end, 16);
		joins = t->family == family && target_eq(t->to, to) && addr_inc(next, len) && !memcmp(next, st->start, len);
	}
	if (!joins)
		*t = (struct span_tail){ .any = true, .family = family, .to = to };
	memcpy(t->end, st->end, 16);
	return !joins;
}

static const struct policy_hop *hop_find(const struct policy_map *m, uint32_t cls)
{
	size_t lo = 0, hi = m->n_hops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->hops[mid].cls < cls)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < m->n_hops && m->hops[lo].cls == cls ? &m->hops[lo] : NULL;
}

/*
 * Builds a map from where each class goes (row, for the classes marked done): a hop for each
 * class that does not go to m->fallback, sorted, and the count of elements. The stretches that
 * do not go to fallback are counted against POLICY_MAX_ELEMENTS in w->elements. 0, -ENOMEM,
 * -E2BIG.
 */
static int map_make(struct policy_map *m, struct work *w, const struct policy_cface *cf, const struct policy_target *row,
		    const bool *done)
{
	struct span_tail tail = { 0 };
	size_t n = 0;

	m->hops = NULL;
	m->n_hops = m->n_spans = 0;
	for (uint32_t c = 0; c < w->sig.n; ++c)
		n += done[c] && !target_eq(row[c], m->fallback);
	for (size_t f = 0; f < 2; ++f)
		for (size_t i = 0; i < cf->n_stretches[f]; ++i) {
			const struct policy_stretch *st = &cf->stretches[f][i];

			if (target_eq(row[st->cls], m->fallback))
				continue;
			if (++w->elements > POLICY_MAX_ELEMENTS)
				return -E2BIG;
			m->n_spans += span_next(&tail, families[f], st, row[st->cls]);
		}
	if (!n)
		return 0;
	if (!(m->hops = malloc(n * sizeof(*m->hops))))
		return -ENOMEM;
	for (uint32_t c = 0; c < w->sig.n; ++c)
		if (done[c] && !target_eq(row[c], m->fallback))
			m->hops[m->n_hops++] = (struct policy_hop){ .cls = c, .to = row[c] };
	return 0;
}

int policy_map_spans(const struct policy_cface *cf, const struct policy_map *m, struct policy_span **out, size_t *n)
{
	struct span_tail tail = { 0 };
	struct policy_span *v;

	*out = NULL;
	*n = 0;
	if (!m->n_spans)
		return 0;
	if (!(v = malloc(m->n_spans * sizeof(*v))))
		return -ENOMEM;
	for (size_t f = 0; f < 2; ++f)
		for (size_t i = 0; i < cf->n_stretches[f]; ++i) {
			const struct policy_stretch *st = &cf->stretches[f][i];
			const struct policy_hop *h = hop_find(m, st->cls);

			if (!h)
				continue;
			if (span_next(&tail, families[f], st, h->to)) {
				/* More than counted: the map does not belong to cf. */
				if (*n == m->n_spans) {
					free(v);
					*n = 0;
					return -EINVAL;
				}
				v[*n] = (struct policy_span){ .family = families[f], .to = h->to };
				memcpy(v[*n].start, st->start, 16);
				++*n;
			}
			memcpy(v[*n - 1].end, st->end, 16);
		}
	*out = v;
	return 0;
}

/* --- decisions: a list of rules as a function of protocol and port --- */

static struct policy_target rule_target(uint32_t r)
{
	return (struct policy_target){ .kind = POLICY_T_RULE, .index = r };
}

static bool rule_covers(const struct policy_rule *r, uint8_t proto, uint16_t port)
{
	if (!r->n_services)
		return true;
	for (size_t i = 0; i < r->n_services; ++i)
		if (policy_service_match(&r->services[i], proto, port))
			return true;
	return false;
}

static struct policy_target first_covering(const struct policy_iface *pi, const struct hitlist *h, uint8_t proto,
					   uint16_t port)
{
	for (size_t i = 0; i < h->n; ++i)
		if (rule_covers(&pi->rules[h->rules[i]], proto, port))
			return rule_target(h->rules[i]);
	return (struct policy_target){ .kind = h->terminal };
}

static int cmp_port(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int build_decision(const struct policy_iface *pi, const struct hitlist *h, struct policy_decision *d)
{
	static const uint8_t protos[] = { POLICY_TCP, POLICY_UDP };
	size_t cap = 0;

	memset(d, 0, sizeof(*d));
	/* Other protocols meet only the rules without services. */
	d->other = first_covering(pi, h, 0, 0);
	d->icmp = first_covering(pi, h, POLICY_ICMP, 0);
	for (size_t p = 0; p < 2; ++p) {
		uint32_t *pts;
		size_t n = 0, max = 2;

		for (size_t i = 0; i < h->n; ++i)
			max += 2 * pi->rules[h->rules[i]].n_services;
		pts = malloc(max * sizeof(*pts));
		if (!pts)
			return -ENOMEM;
		pts[n++] = 0;
		for (size_t i = 0; i < h->n; ++i) {
			const struct policy_rule *r = &pi->rules[h->rules[i]];

			for (size_t s = 0; s < r->n_services; ++s)
				if (r->services[s].proto == protos[p]) {
					pts[n++] = r->services[s].lo;
					pts[n++] = (uint32_t)r->services[s].hi + 1;
				}
		}
		qsort(pts, n, sizeof(*pts), cmp_port);
		for (size_t i = 0; i < n; ++i) {
			uint32_t lo = pts[i], hi;
			struct policy_target t;

			if (lo > 65535 || (i + 1 < n && pts[i + 1] == lo))
				continue;
			hi = i + 1 < n && pts[i + 1] <= 65536 ? pts[i + 1] - 1 : 65535;
			t = first_covering(pi, h, protos[p], (uint16_t)lo);
			if (target_eq(t, d->other))
				continue;
			if (d->n_ports && d->ports[d->n_ports - 1].proto == protos[p] &&
			    target_eq(d->ports[d->n_ports - 1].to, t) && d->ports[d->n_ports - 1].hi + 1u == lo) {
				d->ports[d->n_ports - 1].hi = (uint16_t)hi;
				continue;
			}
			if (d->n_ports == cap) {
				size_t c = cap ? cap * 2 : 4;
				struct policy_ports *nv = realloc(d->ports, c * sizeof(*nv));

				if (!nv) {
					free(pts);
					return -ENOMEM;
				}
				d->ports = nv;
				cap = c;
			}
			d->ports[d->n_ports++] = (struct policy_ports){ .proto = protos[p], .lo = (uint16_t)lo,
									.hi = (uint16_t)hi, .to = t };
		}
		free(pts);
	}
	return 0;
}

/* --- one interface --- */

static void work_free(struct work *w)
{
	free(w->peer_groups);
	free(w->gpfx);
	free(w->gpfx_group);
	free(w->ref_peer);
	free(w->ref_pfx);
	for (size_t f = 0; f < 2; ++f)
		free(w->segs[f]);
	free(w->sig.bits);
	free(w->sig.slots);
	for (size_t i = 0; i < w->dec.n; ++i)
		free(w->dec.v[i].rules);
	free(w->dec.v);
	free(w->dec.slots);
	memset(w, 0, sizeof(*w));
}

static int work_init(struct work *w, const struct policy_iface *pi, const struct wg_device *dev)
{
	size_t n_gpfx = 0;
	uint64_t *zero;
	uint32_t cls;
	int ret;

	memset(w, 0, sizeof(*w));
	w->pi = pi;
	w->dev = dev;
	w->n_rules = pi->n_rules;
	w->gwords = pi->n_groups / 64 + 1;
	w->swords = 2 * pi->n_rules / 64 + 1;
	w->sig.words = w->swords;
	for (size_t g = 0; g < pi->n_groups; ++g)
		n_gpfx += pi->groups[g].n_members;
	w->peer_groups = calloc((size_t)dev->n_peers * w->gwords + 1, sizeof(uint64_t));
	w->gpfx = calloc(n_gpfx + 1, sizeof(*w->gpfx));
	w->gpfx_group = calloc(n_gpfx + 1, sizeof(*w->gpfx_group));
	w->ref_peer = calloc(2 * pi->n_rules + 1, sizeof(*w->ref_peer));
	w->ref_pfx = calloc(2 * pi->n_rules + 1, sizeof(*w->ref_pfx));
	zero = calloc(w->swords, sizeof(*zero));
	if (!w->peer_groups || !w->gpfx || !w->gpfx_group || !w->ref_peer || !w->ref_pfx || !zero) {
		free(zero);
		return -ENOMEM;
	}
	for (size_t g = 0; g < pi->n_groups; ++g)
		for (size_t m = 0; m < pi->groups[g].n_members; ++m) {
			const struct policy_ref *r = &pi->groups[g].members[m];

			if (r->kind == POLICY_REF_PEER) {
				const struct wg_peer *peer = wg_device_find_peer(dev, r->key);

				if (peer)
					bit_set(&w->peer_groups[(size_t)(peer - dev->peers) * w->gwords], g);
			} else if (r->kind == POLICY_REF_PREFIX) {
				w->gpfx[w->n_gpfx].family = (uint8_t)r->prefix.family;
				prefix_bounds(&r->prefix, w->gpfx[w->n_gpfx].start, w->gpfx[w->n_gpfx].end);
				w->gpfx_group[w->n_gpfx++] = g;
			}
		}
	for (size_t s = 0; s < 2 * pi->n_rules; ++s) {
		const struct policy_ref *r = s % 2 ? &pi->rules[s / 2].to : &pi->rules[s / 2].from;

		w->ref_peer[s] = -1;
		if (r->kind == POLICY_REF_PEER) {
			const struct wg_peer *peer = wg_device_find_peer(dev, r->key);

			w->ref_peer[s] = peer ? peer - dev->peers : -2;
		} else if (r->kind == POLICY_REF_PREFIX) {
			w->ref_pfx[s].family = (uint8_t)r->prefix.family;
			prefix_bounds(&r->prefix, w->ref_pfx[s].start, w->ref_pfx[s].end);
		}
	}
	ret = sig_intern(&w->sig, zero, &cls);
	free(zero);
	return ret;
}

static int compile_iface(struct policy_cface *cf, struct work *wp, struct policy_error *err)
{
	const struct policy_iface *pi = wp->pi;
	struct work w = *wp;
	uint32_t *active = NULL, *buf = NULL, *class_of = NULL;
	struct policy_target *row = NULL, *fallback = NULL;
	bool *row_done = NULL;
	int ret;

	memset(cf, 0, sizeof(*cf));
	memcpy(cf->name, pi->name, IFNAMSIZ);
	cf->pi = pi;
	cf->n_atoms = w.n_segs[0] + w.n_segs[1];
	/* The stretches are the maps' keys: the result's from here on. */
	for (size_t f = 0; f < 2; ++f) {
		cf->stretches[f] = w.segs[f];
		cf->n_stretches[f] = w.n_segs[f];
		w.segs[f] = NULL;
	}
	for (size_t r = 0; r < pi->n_rules; ++r)
		if (pi->rules[r].from.kind == POLICY_REF_HUB || pi->rules[r].to.kind == POLICY_REF_HUB)
			cf->hub = true;
	ret = -ENOMEM;
	active = calloc(w.n_rules + 1, sizeof(*active));
	buf = calloc(w.n_rules + 1, sizeof(*buf));
	row = calloc(w.sig.n, sizeof(*row));
	row_done = calloc(w.sig.n, sizeof(*row_done));
	class_of = calloc(w.sig.n, sizeof(*class_of));
	fallback = calloc(w.sig.n, sizeof(*fallback));
	if (!active || !buf || !row || !row_done || !class_of || !fallback)
		goto out;
	cf->n_signatures = w.sig.n;
	/* Each source class: where its destinations go; a class chain only when they differ. */
	for (uint32_t k = 0; k < w.sig.n; ++k) {
		size_t n_active = active_rules(&w, k, active);
		struct policy_map cl = { 0 };

		memset(row_done, 0, w.sig.n * sizeof(*row_done));
		if ((ret = pair_target(&w, k, 0, active, n_active, buf, &cl.fallback)) < 0)
			goto out;
		row[0] = cl.fallback;
		row_done[0] = true;
		for (size_t f = 0; f < 2; ++f)
			for (size_t i = 0; i < cf->n_stretches[f]; ++i) {
				uint32_t c = cf->stretches[f][i].cls;

				if (!row_done[c]) {
					if ((ret = pair_target(&w, k, c, active, n_active, buf, &row[c])) < 0)
						goto out;
					row_done[c] = true;
				}
			}
		fallback[k] = cl.fallback;
		if ((ret = map_make(&cl, &w, cf, row, row_done)) < 0)
			goto fail;
		if (!cl.n_spans) {
			free(cl.hops);
			class_of[k] = UINT32_MAX;
			continue;
		}
		if (cf->n_classes % 16 == 0) {
			struct policy_map *nv = realloc(cf->classes, (cf->n_classes + 16) * sizeof(*nv));

			if (!nv) {
				free(cl.hops);
				ret = -ENOMEM;
				goto out;
			}
			cf->classes = nv;
		}
		class_of[k] = (uint32_t)cf->n_classes;
		cf->classes[cf->n_classes++] = cl;
	}
	/* Sources: to their class chain, or straight to where all their traffic goes. */
	cf->from.fallback = class_of[0] == UINT32_MAX ? fallback[0] :
			    (struct policy_target){ .kind = POLICY_T_CLASS, .index = class_of[0] };
	memset(row_done, 0, w.sig.n * sizeof(*row_done));
	for (size_t f = 0; f < 2; ++f)
		for (size_t i = 0; i < cf->n_stretches[f]; ++i) {
			uint32_t c = cf->stretches[f][i].cls;

			row[c] = class_of[c] == UINT32_MAX ? fallback[c] :
				 (struct policy_target){ .kind = POLICY_T_CLASS, .index = class_of[c] };
			row_done[c] = true;
		}
	if ((ret = map_make(&cf->from, &w, cf, row, row_done)) < 0)
		goto fail;
	/* Traffic to the hub: by source alone. */
	cf->in.fallback = (struct policy_target){ .kind = POLICY_T_RETURN };
	if (cf->hub) {
		size_t n_active = active_rules(&w, 0, active);

		memset(row_done, 0, w.sig.n * sizeof(*row_done));
		if ((ret = pair_target(&w, 0, UINT32_MAX, active, n_active, buf, &cf->in.fallback)) < 0)
			goto out;
		for (size_t f = 0; f < 2; ++f)
			for (size_t i = 0; i < cf->n_stretches[f]; ++i) {
				uint32_t c = cf->stretches[f][i].cls;

				if (!row_done[c]) {
					n_active = active_rules(&w, c, active);
					if ((ret = pair_target(&w, c, UINT32_MAX, active, n_active, buf, &row[c])) < 0)
						goto out;
					row_done[c] = true;
				}
			}
		if ((ret = map_make(&cf->in, &w, cf, row, row_done)) < 0)
			goto fail;
	}
	cf->decisions = calloc(w.dec.n + 1, sizeof(*cf->decisions));
	if (!cf->decisions) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < w.dec.n; ++i) {
		if ((ret = build_decision(pi, &w.dec.v[i], &cf->decisions[i])) < 0)
			goto out;
		cf->n_decisions = i + 1;
	}
	ret = 0;
	goto out;
fail:
	if (ret != -E2BIG)
		goto out;
	ret = -E2BIG;
	if (err) {
		err->line = pi->line;
		snprintf(err->msg, sizeof(err->msg), _("the policy for %s needs more than %u map elements: name fewer single peers in rules, more groups"),
			 pi->name, POLICY_MAX_ELEMENTS);
	}
out:
	free(active);
	free(buf);
	free(row);
	free(row_done);
	free(class_of);
	free(fallback);
	/* Its tables grew: the caller frees them. */
	*wp = w;
	return ret;
}

int policy_compile(struct policy_compiled *c, const struct policy *p, const struct wg_snapshot *snap,
		   struct policy_error *err)
{
	struct counters_plan plan = { 0 };
	struct work *w = NULL;
	int ret;

	memset(c, 0, sizeof(*c));
	c->v = calloc(p->n + 1, sizeof(*c->v));
	w = calloc(p->n + 1, sizeof(*w));
	if (!c->v || !w) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < p->n; ++i) {
		const struct wg_device *dev = wg_snapshot_find_device(snap, p->v[i].name);

		if (dev && p->v[i].resolved && (ret = work_init(&w[i], &p->v[i], dev)) < 0)
			goto out;
	}
	/*
	 * Every interface cut into segments first, a family at a time: the plan (80 bytes a range,
	 * a range for each single address) is gone before the maps are built, and holds one
	 * family's ranges at most.
	 */
	for (size_t f = 0; f < 2; ++f) {
		if ((ret = counters_plan_build_family(&plan, snap, families[f])) < 0)
			goto out;
		for (size_t i = 0; i < p->n; ++i)
			if (w[i].pi && (ret = segment(&w[i], &plan, families[f])) < 0)
				goto out;
		counters_plan_free(&plan);
	}
	for (size_t i = 0; i < p->n; ++i) {
		if (!w[i].pi)
			continue;
		ret = compile_iface(&c->v[c->n++], &w[i], err);
		work_free(&w[i]);
		if (ret < 0)
			goto out;
	}
out:
	counters_plan_free(&plan);
	for (size_t i = 0; w && i < p->n; ++i)
		work_free(&w[i]);
	free(w);
	if (ret)
		policy_compiled_free(c);
	return ret;
}

void policy_compiled_strip(struct policy_compiled *c)
{
	for (size_t i = 0; i < c->n; ++i) {
		struct policy_cface *cf = &c->v[i];

		for (size_t f = 0; f < 2; ++f) {
			free(cf->stretches[f]);
			cf->stretches[f] = NULL;
			cf->n_stretches[f] = 0;
		}
		free(cf->from.hops);
		free(cf->in.hops);
		for (size_t k = 0; k < cf->n_classes; ++k)
			free(cf->classes[k].hops);
		free(cf->classes);
		for (size_t d = 0; d < cf->n_decisions; ++d)
			free(cf->decisions[d].ports);
		free(cf->decisions);
		cf->from.hops = cf->in.hops = NULL;
		cf->from.n_hops = cf->in.n_hops = cf->from.n_spans = cf->in.n_spans = 0;
		cf->classes = NULL;
		cf->decisions = NULL;
		cf->n_classes = cf->n_decisions = 0;
	}
}

void policy_compiled_free(struct policy_compiled *c)
{
	policy_compiled_strip(c);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* --- the walk --- */

/* Where address a of family goes by map m: the hop of the class of its stretch, or m's fallback. */
static struct policy_target map_target(const struct policy_cface *cf, const struct policy_map *m, uint8_t family,
				       const uint8_t *a)
{
	size_t fi = family == AF_INET ? 0 : 1, lo = 0, hi = cf->n_stretches[fi], len = alen_of(family);
	const struct policy_stretch *v = cf->stretches[fi];
	const struct policy_hop *h;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(v[mid].end, a, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < cf->n_stretches[fi] && memcmp(v[lo].start, a, len) <= 0 && (h = hop_find(m, v[lo].cls)))
		return h->to;
	return m->fallback;
}

static enum policy_verdict target_verdict(const struct policy_cface *cf, struct policy_target t, unsigned int *line)
{
	switch (t.kind) {
	case POLICY_T_DEFAULT:
		*line = cf->pi->default_line;
		return cf->pi->default_allow ? POLICY_ALLOWED : POLICY_DENIED;
	case POLICY_T_RULE:
		*line = cf->pi->rules[t.index].line;
		return cf->pi->rules[t.index].allow ? POLICY_ALLOWED : POLICY_DENIED;
	default:
		*line = 0;
		return POLICY_UNTOUCHED;
	}
}

enum policy_verdict policy_walk(const struct policy_cface *cf, struct policy_target t, policy_lookup_fn lookup,
				const void *ctx, const struct policy_point *dst, uint8_t proto, uint16_t port,
				unsigned int *line)
{
	for (int hops = 0; hops < 4; ++hops) {
		switch (t.kind) {
		case POLICY_T_RETURN:
		case POLICY_T_DEFAULT:
		case POLICY_T_RULE:
			return target_verdict(cf, t, line);
		case POLICY_T_CLASS:
			t = dst->hub ? cf->classes[t.index].fallback : lookup(ctx, cf, &cf->classes[t.index], &dst->addr);
			break;
		case POLICY_T_DECISION: {
			const struct policy_decision *d = &cf->decisions[t.index];
			struct policy_target next = d->other;

			if (proto == POLICY_ICMP)
				next = d->icmp;
			for (size_t i = 0; i < d->n_ports; ++i)
				if (d->ports[i].proto == proto && port >= d->ports[i].lo && port <= d->ports[i].hi)
					next = d->ports[i].to;
			t = next;
			break;
		}
		}
	}
	*line = 0;
	return POLICY_UNTOUCHED;
}

static struct policy_target compiled_lookup(const void *ctx, const struct policy_cface *cf, const struct policy_map *m,
					    const struct wg_allowedip *addr)
{
	uint8_t a[16];

	(void)ctx;
	point_addr(addr, a);
	return map_target(cf, m, (uint8_t)addr->family, a);
}

enum policy_verdict policy_compiled_eval(const struct policy_cface *cf, const struct policy_point *src,
					 const struct policy_point *dst, uint8_t proto, uint16_t port,
					 unsigned int *line)
{
	struct policy_target t = compiled_lookup(NULL, cf, dst->hub ? &cf->in : &cf->from, &src->addr);

	return policy_walk(cf, t, compiled_lookup, NULL, dst, proto, port, line);
}

/* --- a policy made ready --- */

int policy_prepare(struct policy_set *ps, const char *text, size_t len, const struct wg_snapshot *snap,
		   unsigned int flags, struct policy_error *err)
{
	int ret;

	memset(ps, 0, sizeof(*ps));
	if ((ret = policy_parse(&ps->p, text, len, err)) < 0)
		return ret;
	if ((ret = policy_resolve(&ps->p, snap, flags & POLICY_PREPARE_IGNORE_MISSING, err)) < 0)
		goto fail;
	for (size_t i = 0; i < ps->p.n; ++i) {
		const struct wg_device *dev = wg_snapshot_find_device(snap, ps->p.v[i].name);

		if (dev && ps->p.v[i].resolved && (ret = policy_run_tests(&ps->p.v[i], dev, err)) < 0)
			goto fail;
	}
	if (!(flags & POLICY_PREPARE_NO_COMPILE)) {
		if ((ret = policy_compile(&ps->c, &ps->p, snap, err)) < 0)
			goto fail;
		if ((ret = policy_nft_fingerprint(&ps->c, ps->fp)) < 0) {
			policy_compiled_free(&ps->c);
			goto fail;
		}
	}
	ps->present = true;
	return 0;
fail:
	policy_free(&ps->p);
	return ret;
}

void policy_set_free(struct policy_set *ps)
{
	policy_compiled_free(&ps->c);
	policy_free(&ps->p);
	ps->present = false;
}

int policy_lockout_warning(const struct policy_set *ps, const struct wg_snapshot *snap,
			   const struct wg_allowedip *client, unsigned int port, char *buf, size_t len)
{
	struct policy_point src = { .addr = *client }, hub = { .hub = true };
	char addr[64];

	if (!ps->present)
		return 0;
	for (size_t i = 0; i < ps->c.n; ++i) {
		const struct policy_cface *cf = &ps->c.v[i];
		const struct wg_device *dev = wg_snapshot_find_device(snap, cf->name);
		unsigned int line;

		if (!dev || !policy_owner(dev, client))
			continue;
		if (policy_compiled_eval(cf, &src, &hub, POLICY_TCP, (uint16_t)port, &line) != POLICY_DENIED)
			continue;
		prefix_format(client, addr, sizeof(addr));
		addr[strcspn(addr, "/")] = '\0';
		snprintf(buf, len, _("warning: the policy refuses your own ssh session (from %s through %s to TCP port %u): line %u\n"),
			 addr, cf->name, port, line);
		return 1;
	}
	return 0;
}

/* --- for people --- */

const char *policy_rule_format(const struct policy_rule *r, char *buf, size_t len)
{
	size_t o;

	o = (size_t)snprintf(buf, len, "%s = %s %s %s", r->allow ? "Allow" : "Deny", r->from.text,
			     r->both ? "<->" : "->", r->to.text);
	for (size_t i = 0; i < r->n_services && o < len; ++i) {
		const struct policy_service *s = &r->services[i];
		const char *p = s->proto == POLICY_TCP ? "tcp" : s->proto == POLICY_UDP ? "udp" : "icmp";

		if (s->proto == POLICY_ICMP || (s->lo == 0 && s->hi == 65535))
			o += (size_t)snprintf(buf + o, len - o, " %s", p);
		else if (s->lo == s->hi)
			o += (size_t)snprintf(buf + o, len - o, " %s/%u", p, s->lo);
		else
			o += (size_t)snprintf(buf + o, len - o, " %s/%u-%u", p, s->lo, s->hi);
	}
	return buf;
}
