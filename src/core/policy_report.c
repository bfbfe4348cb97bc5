// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy in the snapshot: every peer's groups, each rule's counter, the pairs refused. No I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hashmix.h"
#include "policy_report.h"
#include "prefix.h"

static int append(char **s, const char *name)
{
	size_t old = *s ? strlen(*s) : 0, add = strlen(name) + (old ? 2 : 0);
	char *n = realloc(*s, old + add + 1);

	if (!n)
		return -ENOMEM;
	snprintf(n + old, add + 1, "%s%s", old ? ", " : "", name);
	*s = n;
	return 0;
}

static void peer_groups_drop(struct wg_peer *p)
{
	if (!p->groups_shared)
		free(p->groups);
	p->groups = NULL;
	p->groups_shared = false;
}

int policy_peer_groups(const struct policy_iface *pi, struct wg_device *dev)
{
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		peer_groups_drop(&dev->peers[i]);
	/* Members by key through the device's index; prefixes against every peer. Once per group. */
	for (size_t g = 0; g < pi->n_groups; ++g) {
		const struct policy_group *gr = &pi->groups[g];

		for (size_t m = 0; m < gr->n_members; ++m) {
			const struct policy_ref *r = &gr->members[m];

			if (r->kind == POLICY_REF_PEER) {
				struct wg_peer *p = wg_device_find_peer(dev, r->key);
				const char *last;

				if (!p)
					continue;
				/* Named twice in one group: once. */
				last = p->groups ? strrchr(p->groups, ' ') : NULL;
				if (p->groups && !strcmp(last ? last + 1 : p->groups, gr->name))
					continue;
				if (append(&p->groups, gr->name) < 0)
					return -ENOMEM;
			} else if (r->kind == POLICY_REF_PREFIX) {
				for (uint32_t i = 0; i < dev->n_peers; ++i) {
					struct wg_peer *p = &dev->peers[i];
					const char *last = p->groups ? strrchr(p->groups, ' ') : NULL;
					bool in = false;

					for (uint32_t a = 0; a < p->n_allowedips && !in; ++a)
						in = prefix_overlap(&r->prefix, &p->allowedips[a]);
					if (!in || (p->groups && !strcmp(last ? last + 1 : p->groups, gr->name)))
						continue;
					if (append(&p->groups, gr->name) < 0)
						return -ENOMEM;
				}
			}
		}
	}
	return 0;
}

static const struct policy_hits *hits_of(const struct policy_reading *r, const char *chain)
{
	for (size_t i = 0; i < r->n_hits; ++i)
		if (!strcmp(r->hits[i].chain, chain))
			return &r->hits[i];
	return NULL;
}

void policy_owners_init(struct policy_owners *o, const struct wg_snapshot *snap)
{
	memset(o, 0, sizeof(*o));
	o->snap = snap;
}

void policy_owners_free(struct policy_owners *o)
{
	counters_exact_free(&o->exact);
	counters_plan_free(&o->plan);
	memset(o, 0, sizeof(*o));
}

static uint32_t device_index(const struct policy_owners *o, const struct wg_device *dev)
{
	uint32_t d = 0;

	while (d < o->snap->n_devices && o->snap->devices[d] != dev)
		d++;
	return d;
}

/*
 * The addresses of the refused pairs, indexed with the peers that have them as their own: a
 * reading refuses a few, and an index of all the hub's allowed IPs (20,000 on a big hub) was
 * built for them every second.
 */
static int owners_want(struct policy_owners *o, const struct wg_device *dev, const struct policy_reading *r)
{
	uint32_t d = device_index(o, dev);
	struct counters_exact_addr *want;
	int ret;

	if ((o->have_exact && o->exact_dev == d) || d == o->snap->n_devices)
		return 0;
	counters_exact_free(&o->exact);
	o->have_exact = false;
	if (!(want = calloc(r->n_denied * 2 + 1, sizeof(*want))))
		return -ENOMEM;
	for (size_t i = 0; i < r->n_denied; ++i) {
		want[2 * i].family = want[2 * i + 1].family = r->denied[i].family;
		memcpy(want[2 * i].addr, r->denied[i].saddr, sizeof(want->addr));
		memcpy(want[2 * i + 1].addr, r->denied[i].daddr, sizeof(want->addr));
	}
	ret = counters_exact_build_some(&o->exact, o->snap, d, want, r->n_denied * 2);
	free(want);
	o->have_exact = !ret;
	o->exact_dev = d;
	return ret;
}

/* The peer of an address on this device, or -1. */
static int64_t owner(struct policy_owners *o, const struct wg_device *dev, uint8_t family, const uint8_t *a)
{
	const struct counters_range *range;
	uint32_t d = device_index(o, dev);
	int64_t peer;

	if (o->have_exact && o->exact_dev == d && (peer = counters_exact_peer(&o->exact, d, family, a)) >= 0)
		return peer;
	if (!o->have_plan && !o->ret) {
		o->ret = counters_plan_build(&o->plan, o->snap);
		o->have_plan = !o->ret;
	}
	range = o->have_plan ? counters_plan_find(&o->plan, dev->name, family, a) : NULL;
	return range ? (int64_t)range->peer : -1;
}

static int add_refused(struct wg_policy *p, uint32_t from, uint32_t to, uint64_t packets, uint64_t bytes)
{
	struct wg_refused *v;

	for (uint32_t i = 0; i < p->n_refused; ++i)
		if (p->refused[i].from == from && p->refused[i].to == to) {
			p->refused[i].packets += packets;
			p->refused[i].bytes += bytes;
			return 0;
		}
	if (!(p->n_refused & (p->n_refused - 1)) || !p->n_refused) {
		v = realloc(p->refused, (p->n_refused ? p->n_refused * 2 : 4) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->refused = v;
	}
	p->refused[p->n_refused++] = (struct wg_refused){ from, to, packets, bytes };
	return 0;
}

void policy_memo_clear(struct policy_memo *m)
{
	for (size_t d = 0; d < m->n; ++d) {
		free(m->devs[d].v);
		wg_strings_unref(m->devs[d].strs);
		keyidx_free(&m->devs[d].index);
		wg_strings_unref(m->devs[d].lines);
	}
	free(m->devs);
	memset(m, 0, sizeof(*m));
}

static struct policy_memo_dev *memo_find(struct policy_memo *m, const char *name)
{
	for (size_t d = 0; d < m->n; ++d)
		if (!strcmp(m->devs[d].name, name))
			return &m->devs[d];
	return NULL;
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ULL;
	return h;
}

/* The peers' different groups, each once: md->strs, and each memo peer pointing at its own. */
static int memo_strings(struct policy_memo_dev *md, const struct wg_device *dev)
{
	size_t size = 16;
	uint32_t *slot;
	struct wg_strings *s;

	while (size < (size_t)dev->n_peers * 2)
		size *= 2;
	if (!(md->strs = s = calloc(1, sizeof(*s))))
		return -ENOMEM;
	s->refs = 1;
	if (!(slot = calloc(size, sizeof(*slot))) || !(s->v = calloc(dev->n_peers + 1, sizeof(*s->v)))) {
		free(slot);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const char *g = dev->peers[i].groups;
		size_t k;

		if (!g)
			continue;
		for (k = hashmix64(str_hash(g)) & (size - 1); slot[k] && strcmp(s->v[slot[k] - 1], g);
		     k = (k + 1) & (size - 1))
			;
		if (!slot[k]) {
			if (!(s->v[s->n] = strdup(g))) {
				free(slot);
				return -ENOMEM;
			}
			slot[k] = (uint32_t)++s->n;
		}
		md->v[i].groups = s->v[slot[k] - 1];
	}
	free(slot);
	return 0;
}

/* The peers' groups into the memo; without memory the memo just does not have the interface. */
static void memo_take(struct policy_memo *m, const struct wg_device *dev)
{
	struct policy_memo_dev *v = realloc(m->devs, (m->n + 1) * sizeof(*v)), *md;

	if (!v)
		return;
	m->devs = v;
	md = &v[m->n];
	memset(md, 0, sizeof(*md));
	md->index = (struct keyidx)KEYIDX_INIT(struct policy_memo_peer, key);
	snprintf(md->name, sizeof(md->name), "%s", dev->name);
	if (!(md->v = calloc(dev->n_peers + 1, sizeof(*md->v))))
		return;
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		memcpy(md->v[i].key, dev->peers[i].public_key, WG_KEY_LEN);
	md->n = dev->n_peers;
	if (memo_strings(md, dev) < 0 || keyidx_rebuild(&md->index, md->v, md->n) < 0) {
		free(md->v);
		keyidx_free(&md->index);
		wg_strings_unref(md->strs);
		return;
	}
	m->n++;
}

/*
 * 0 done, 1 when a peer is not in the memo (the caller finds the groups), -ENOMEM. The peers
 * point at the memo's strings, the device holding them: no copy per peer and snapshot.
 */
static int memo_give(const struct policy_memo_dev *md, struct wg_device *dev)
{
	uint32_t near = 0;

	if (dev->groups_hold != md->strs) {
		wg_strings_unref(dev->groups_hold);
		dev->groups_hold = wg_strings_ref(md->strs);
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		int64_t k = keyidx_find_near(&md->index, md->v, md->n, dev->peers[i].public_key, &near);

		peer_groups_drop(&dev->peers[i]);
		if (k < 0)
			return 1;
		dev->peers[i].groups = (char *)md->v[k].groups;
		dev->peers[i].groups_shared = md->v[k].groups != NULL;
	}
	return 0;
}

int policy_device_report(struct wg_device *dev, const struct policy_iface *pi, size_t index,
			 const struct policy_reading *r, bool in_force, struct policy_owners *owners)
{
	return policy_device_report_memo(dev, pi, index, r, in_force, owners, NULL);
}

/* "name: a, b, c", measured first: a group of 200 members is one allocation, not 200. */
static char *group_line(const struct policy_group *gr)
{
	size_t len = strlen(gr->name) + 1, o;
	char *line;

	for (size_t m = 0; m < gr->n_members; ++m)
		len += 2 + strlen(gr->members[m].text);
	if (!(line = malloc(len)))
		return NULL;
	o = (size_t)snprintf(line, len, "%s", gr->name);
	for (size_t m = 0; m < gr->n_members; ++m)
		o += (size_t)snprintf(line + o, len - o, "%s %s", m ? "," : ":", gr->members[m].text);
	return line;
}

/*
 * The groups' lines into p: the memo's when it has them, else built (and then kept by the
 * memo). Shared, not copied: 50 groups of 200 peers are 300 KB a report.
 */
static int group_lines(struct wg_policy *p, const struct policy_iface *pi, struct policy_memo_dev *md)
{
	struct wg_strings *s;

	if (!pi->n_groups)
		return 0;
	if (md && md->lines && md->lines->n == pi->n_groups) {
		p->groups = wg_strings_ref(md->lines);
		return 0;
	}
	if (!(s = calloc(1, sizeof(*s))) || !(s->v = calloc(pi->n_groups, sizeof(*s->v)))) {
		free(s);
		return -ENOMEM;
	}
	s->refs = 1;
	p->groups = s;
	for (size_t g = 0; g < pi->n_groups; ++g) {
		if (!(s->v[g] = group_line(&pi->groups[g])))
			return -ENOMEM;
		s->n++;
	}
	if (md) {
		wg_strings_unref(md->lines);
		md->lines = wg_strings_ref(s);
	}
	return 0;
}

int policy_device_report_memo(struct wg_device *dev, const struct policy_iface *pi, size_t index,
			      const struct policy_reading *r, bool in_force, struct policy_owners *owners,
			      struct policy_memo *memo)
{
	struct policy_memo_dev *md = memo ? memo_find(memo, dev->name) : NULL;
	struct wg_policy *p = calloc(1, sizeof(*p));
	char chain[32];
	int ret;

	if (!p)
		return -ENOMEM;
	wg_policy_free(dev->policy);
	dev->policy = p;
	p->in_force = in_force;
	p->default_allow = pi->default_allow;
	p->rules = calloc(pi->n_rules + 1, sizeof(*p->rules));
	if (!p->rules)
		return -ENOMEM;
	p->n_rules = (uint32_t)pi->n_rules + 1;
	p->rules[0].is_default = true;
	p->rules[0].allow = pi->default_allow;
	p->rules[0].line = pi->default_line;
	snprintf(p->rules[0].text, sizeof(p->rules[0].text), "Default = %s", pi->default_allow ? "allow" : "deny");
	for (size_t i = 0; i < pi->n_rules; ++i) {
		p->rules[i + 1].line = pi->rules[i].line;
		p->rules[i + 1].allow = pi->rules[i].allow;
		policy_rule_format(&pi->rules[i], p->rules[i + 1].text, sizeof(p->rules[i + 1].text));
	}
	if (!md || (ret = memo_give(md, dev)) > 0) {
		if ((ret = policy_peer_groups(pi, dev)) < 0)
			return ret;
		if (memo && !md)
			memo_take(memo, dev);
	}
	if (ret < 0)
		return ret;
	if ((ret = group_lines(p, pi, md ? md : memo ? memo_find(memo, dev->name) : NULL)) < 0)
		return ret;
	if (!in_force || !r)
		return 0;
	for (uint32_t i = 0; i < p->n_rules; ++i) {
		const struct policy_hits *h;

		if (i)
			snprintf(chain, sizeof(chain), "line%u", p->rules[i].line);
		else
			snprintf(chain, sizeof(chain), "i%zu_default", index);
		if ((h = hits_of(r, chain))) {
			p->rules[i].packets = h->packets;
			p->rules[i].bytes = h->bytes;
		}
	}
	if (r->n_denied && (ret = owners_want(owners, dev, r)) < 0)
		return ret;
	for (size_t i = 0; i < r->n_denied; ++i) {
		const struct policy_denied *d = &r->denied[i];
		int64_t from = owner(owners, dev, d->family, d->saddr), to;

		if (owners->ret < 0)
			return owners->ret;
		if (from < 0)
			continue;
		to = owner(owners, dev, d->family, d->daddr);
		if ((ret = add_refused(p, (uint32_t)from, to < 0 ? WG_REFUSED_HUB : (uint32_t)to, d->packets, d->bytes)) < 0)
			return ret;
	}
	return 0;
}
