// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy: parsed, checked against the interface's peers, and judged. No I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "i18n.h"
#include "key.h"
#include "policy.h"
#include "prefix.h"
#include "text.h"

__attribute__((format(printf, 3, 4)))
static int fail(struct policy_error *err, unsigned int line, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		++*s;
	while (*e > *s && is_blank((*e)[-1]))
		--*e;
}

/* The end of the line's content: a '#' outside double quotes starts a comment, as in wg-quick. */
static const char *content_end(const char *s, const char *e)
{
	bool quoted = false;

	for (const char *p = s; p < e; ++p) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted)
			return p;
	}
	return e;
}

struct policy_text_block {
	struct policy_text_block *next;
	size_t used;
	size_t size;
	char data[];
};

#define POLICY_TEXT_BLOCK 16384

/* A copy of [s, s + n) with a NUL, kept until the policy is freed; NULL without memory. */
static const char *pool_text(struct policy *p, const char *s, size_t n)
{
	struct policy_text_block *b = p->texts;
	char *out;

	if (!b || b->size - b->used < n + 1) {
		size_t size = n + 1 > POLICY_TEXT_BLOCK ? n + 1 : POLICY_TEXT_BLOCK;

		if (!(b = malloc(sizeof(*b) + size)))
			return NULL;
		b->used = 0;
		b->size = size;
		b->next = p->texts;
		p->texts = b;
	}
	out = b->data + b->used;
	memcpy(out, s, n);
	out[n] = '\0';
	b->used += n + 1;
	return out;
}

/* One side or member as written: unquoted, trimmed; false when malformed or too long. */
static bool unquote_ref(const char **s, const char **e)
{
	size_t n;

	trim(s, e);
	if (*e - *s >= 2 && **s == '"' && (*e)[-1] == '"') {
		++*s;
		--*e;
	} else if (memchr(*s, '"', (size_t)(*e - *s))) {
		return false;
	}
	n = (size_t)(*e - *s);
	return n && n < POLICY_REF_MAX && !memchr(*s, '\0', n);
}

/* One side or member into the policy's texts: 1, 0 when it is malformed, -ENOMEM. */
static int copy_ref(struct policy *p, const char **out, const char *s, const char *e)
{
	if (!unquote_ref(&s, &e))
		return 0;
	return (*out = pool_text(p, s, (size_t)(e - s))) ? 1 : -ENOMEM;
}

static bool group_name_ok(const char *s, size_t n)
{
	if (!n || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; ++i)
		if (!isalnum((unsigned char)s[i]) && !strchr("_.-", s[i]))
			return false;
	return !(n == 3 && !strncasecmp(s, "hub", 3));
}

bool policy_parse_service(struct policy_service *sv, const char *t)
{
	unsigned long lo, hi;
	char *end;
	bool tcp = !strncasecmp(t, "tcp", 3), udp = !strncasecmp(t, "udp", 3);

	memset(sv, 0, sizeof(*sv));
	if (!strcasecmp(t, "icmp")) {
		sv->proto = POLICY_ICMP;
		return true;
	}
	if (!tcp && !udp)
		return false;
	sv->proto = tcp ? POLICY_TCP : POLICY_UDP;
	t += 3;
	if (!*t) {
		sv->hi = 65535;
		return true;
	}
	if (*t++ != '/' || !isdigit((unsigned char)*t))
		return false;
	lo = strtoul(t, &end, 10);
	hi = lo;
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			return false;
		hi = strtoul(end + 1, &end, 10);
	}
	if (*end || lo > 65535 || hi > 65535 || lo > hi)
		return false;
	sv->lo = (uint16_t)lo;
	sv->hi = (uint16_t)hi;
	return true;
}

bool policy_service_match(const struct policy_service *s, uint8_t proto, uint16_t port)
{
	if (s->proto == POLICY_ANY)
		return true;
	if (s->proto != proto)
		return false;
	return proto == POLICY_ICMP || (port >= s->lo && port <= s->hi);
}

/* The next word of [*s, e): a "quoted" one or one up to a blank. false at the end. */
static bool next_word(const char **s, const char *e, const char **w, const char **we)
{
	const char *p = *s;

	while (p < e && is_blank(*p))
		++p;
	if (p == e)
		return false;
	*w = p;
	if (*p == '"') {
		const char *q = memchr(p + 1, '"', (size_t)(e - p - 1));

		p = q ? q + 1 : e;
	} else {
		while (p < e && !is_blank(*p))
			++p;
	}
	*we = p;
	*s = p;
	return true;
}

/* "A -> B words..." or "A <-> B words...": the sides, the arrow, and where the words start. */
static bool split_arrow(const char *s, const char *e, const char **a, const char **ae, bool *both,
			const char **rest)
{
	bool quoted = false;

	for (const char *p = s; p < e; ++p) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (quoted || *p != '-' || p + 1 >= e || p[1] != '>')
			continue;
		*both = p > s && p[-1] == '<';
		*a = s;
		*ae = *both ? p - 1 : p;
		*rest = p + 2;
		return true;
	}
	return false;
}

static int parse_sides(struct policy *p, struct policy_ref *from, struct policy_ref *to, bool *both,
		       const char *s, const char *e, const char **rest, unsigned int line, struct policy_error *err)
{
	const char *a, *ae, *w, *we;
	int ret;

	if (!split_arrow(s, e, &a, &ae, both, rest))
		return fail(err, line, "%s", _("a rule looks like A -> B or A <-> B, then its services"));
	if ((ret = copy_ref(p, &from->text, a, ae)) <= 0)
		return ret < 0 ? ret : fail(err, line, "%s", _("the side before the arrow is empty or malformed"));
	s = *rest;
	if (!next_word(&s, e, &w, &we))
		return fail(err, line, "%s", _("the side after the arrow is empty or malformed"));
	if ((ret = copy_ref(p, &to->text, w, we)) <= 0)
		return ret < 0 ? ret : fail(err, line, "%s", _("the side after the arrow is empty or malformed"));
	*rest = s;
	return 0;
}

static void *grow(void *v, size_t n, size_t size)
{
	return realloc(v, (n + 1) * size);
}

static int parse_rule(struct policy *p, struct policy_iface *pi, bool allow, const char *s, const char *e,
		      unsigned int line, struct policy_error *err)
{
	struct policy_rule r = { .line = line, .allow = allow }, *v;
	const char *rest, *w, *we;
	int ret;

	if ((ret = parse_sides(p, &r.from, &r.to, &r.both, s, e, &rest, line, err)) < 0)
		return ret;
	while (next_word(&rest, e, &w, &we)) {
		size_t n = (size_t)(we - w);
		struct policy_service *sv;
		char word[32];

		if (n >= sizeof(word)) {
			free(r.services);
			return fail(err, line, _("%.*s is no service"), (int)n, w);
		}
		memcpy(word, w, n);
		word[n] = '\0';
		if (!(sv = grow(r.services, r.n_services, sizeof(*sv)))) {
			free(r.services);
			return -ENOMEM;
		}
		r.services = sv;
		if (!policy_parse_service(&r.services[r.n_services], word)) {
			free(r.services);
			return fail(err, line, _("%s is no service: tcp/N, tcp/N-M, udp/N, udp/N-M, tcp, udp or icmp"),
				    word);
		}
		r.n_services++;
	}
	if (!(v = grow(pi->rules, pi->n_rules, sizeof(*v)))) {
		free(r.services);
		return -ENOMEM;
	}
	pi->rules = v;
	pi->rules[pi->n_rules++] = r;
	return 0;
}

static int parse_test(struct policy *p, struct policy_iface *pi, const char *s, const char *e, unsigned int line,
		      struct policy_error *err)
{
	struct policy_test t = { .line = line }, *v;
	const char *rest, *w[3], *we[3];
	size_t n = 0;
	bool both;
	int ret;

	if ((ret = parse_sides(p, &t.from, &t.to, &both, s, e, &rest, line, err)) < 0)
		return ret;
	if (both)
		return fail(err, line, "%s", _("a test judges one direction: A -> B"));
	while (n < 3 && next_word(&rest, e, &w[n], &we[n]))
		++n;
	if (!n || n > 2 || next_word(&rest, e, &w[0], &we[0]))
		return fail(err, line, "%s", _("a test looks like A -> B [SERVICE] allow or deny"));
	if (we[n - 1] - w[n - 1] == 5 && !strncasecmp(w[n - 1], "allow", 5))
		t.expect_allow = true;
	else if (!(we[n - 1] - w[n - 1] == 4 && !strncasecmp(w[n - 1], "deny", 4)))
		return fail(err, line, "%s", _("a test ends with what it expects: allow or deny"));
	if (n == 2) {
		char word[32];

		if (we[0] - w[0] >= (ptrdiff_t)sizeof(word))
			return fail(err, line, _("%.*s is no service"), (int)(we[0] - w[0]), w[0]);
		memcpy(word, w[0], (size_t)(we[0] - w[0]));
		word[we[0] - w[0]] = '\0';
		if (!policy_parse_service(&t.service, word) || t.service.lo != t.service.hi)
			return fail(err, line, _("%s is no single service: tcp/N, udp/N or icmp"), word);
		t.has_service = true;
	}
	if (!(v = grow(pi->tests, pi->n_tests, sizeof(*v))))
		return -ENOMEM;
	pi->tests = v;
	pi->tests[pi->n_tests++] = t;
	return 0;
}

static int parse_group(struct policy *p, struct policy_iface *pi, const char *s, const char *e, unsigned int line,
		       struct policy_error *err)
{
	const char *colon = memchr(s, ':', (size_t)(e - s)), *ns = s, *ne;
	struct policy_group g = { .line = line }, *v;
	size_t room = 1;
	int ret;

	if (!colon)
		return fail(err, line, "%s", _("a group looks like Group = NAME: member, member"));
	ne = colon;
	trim(&ns, &ne);
	if (!group_name_ok(ns, (size_t)(ne - ns)))
		return fail(err, line, _("a group's name is letters, digits, '_', '.' and '-', at most %d, and not hub"),
			    POLICY_NAME_MAX);
	memcpy(g.name, ns, (size_t)(ne - ns));
	g.name[ne - ns] = '\0';
	for (size_t i = 0; i < pi->n_groups; ++i)
		if (!strcmp(pi->groups[i].name, g.name))
			return fail(err, line, _("group %s is defined at line %u already"), g.name, pi->groups[i].line);
	/* As many members as commas and one: allocated once, not grown member by member. */
	for (const char *c = colon; (c = memchr(c + 1, ',', (size_t)(e - c - 1)));)
		++room;
	if (!(g.members = calloc(room, sizeof(*g.members))))
		return -ENOMEM;
	for (const char *q = colon + 1; q <= e;) {
		const char *comma = memchr(q, ',', (size_t)(e - q)), *me = comma ? comma : e, *ms = q;

		trim(&ms, &me);
		if (ms == me) {
			if (comma || g.n_members)
				goto bad;
			break;
		}
		if ((ret = copy_ref(p, &g.members[g.n_members].text, ms, me)) <= 0) {
			if (ret < 0) {
				free(g.members);
				return ret;
			}
			goto bad;
		}
		g.n_members++;
		if (!comma)
			break;
		q = comma + 1;
	}
	if (!(v = grow(pi->groups, pi->n_groups, sizeof(*v)))) {
		free(g.members);
		return -ENOMEM;
	}
	pi->groups = v;
	pi->groups[pi->n_groups++] = g;
	return 0;
bad:
	free(g.members);
	return fail(err, line, "%s", _("a group's members are names, public keys or prefixes, separated by commas"));
}

static int parse_line(struct policy *p, const char *s, const char *e, unsigned int line, struct policy_error *err)
{
	struct policy_iface *pi = p->n ? &p->v[p->n - 1] : NULL;
	const char *eq, *k, *ke, *v, *ve;

	e = content_end(s, e);
	trim(&s, &e);
	if (s == e || *s == ';')
		return 0;
	if (*s == '[') {
		struct policy_iface *nv;

		if (e[-1] != ']' || e - s < 3 || e - s - 2 >= IFNAMSIZ || memchr(s + 1, '/', (size_t)(e - s - 2)))
			return fail(err, line, "%s", _("a section names an interface: [wg0]"));
		for (size_t i = 0; i < p->n; ++i)
			if (strlen(p->v[i].name) == (size_t)(e - s - 2) && !strncmp(p->v[i].name, s + 1, (size_t)(e - s - 2)))
				return fail(err, line, _("interface %s has a section at line %u already"), p->v[i].name,
					    p->v[i].line);
		if (!(nv = grow(p->v, p->n, sizeof(*nv))))
			return -ENOMEM;
		p->v = nv;
		pi = &p->v[p->n++];
		memset(pi, 0, sizeof(*pi));
		memcpy(pi->name, s + 1, (size_t)(e - s - 2));
		pi->line = line;
		pi->default_allow = true;
		return 0;
	}
	if (!(eq = memchr(s, '=', (size_t)(e - s))))
		return fail(err, line, "%s", _("this line is neither a comment, a [section] nor Key = Value"));
	k = s;
	ke = eq;
	v = eq + 1;
	ve = e;
	trim(&k, &ke);
	trim(&v, &ve);
	if (!pi)
		return fail(err, line, "%s", _("a rule comes before any [interface] section"));
	if (ke - k == 7 && !strncasecmp(k, "Default", 7)) {
		if (pi->default_line)
			return fail(err, line, _("Default is set at line %u already"), pi->default_line);
		if (ve - v == 5 && !strncasecmp(v, "allow", 5))
			pi->default_allow = true;
		else if (ve - v == 4 && !strncasecmp(v, "deny", 4))
			pi->default_allow = false;
		else
			return fail(err, line, "%s", _("Default is allow or deny"));
		pi->default_line = line;
		return 0;
	}
	if (ke - k == 5 && !strncasecmp(k, "Group", 5))
		return parse_group(p, pi, v, ve, line, err);
	if (ke - k == 5 && !strncasecmp(k, "Allow", 5))
		return parse_rule(p, pi, true, v, ve, line, err);
	if (ke - k == 4 && !strncasecmp(k, "Deny", 4))
		return parse_rule(p, pi, false, v, ve, line, err);
	if (ke - k == 4 && !strncasecmp(k, "Test", 4))
		return parse_test(p, pi, v, ve, line, err);
	return fail(err, line, _("unknown key %.*s: Default, Group, Allow, Deny or Test"), (int)(ke - k), k);
}

int policy_parse(struct policy *p, const char *text, size_t len, struct policy_error *err)
{
	unsigned int line = 1;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (err)
		memset(err, 0, sizeof(*err));
	if (len > POLICY_MAX_LEN)
		return -EFBIG;
	if (memchr(text, '\0', len))
		return fail(err, 0, "%s", _("the file holds a NUL byte"));
	for (const char *s = text, *end = text + len; s < end && !ret; ++line) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;

		ret = parse_line(p, s, e, line, err);
		s = nl ? nl + 1 : end;
	}
	if (ret)
		policy_free(p);
	return ret;
}

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->n; ++i) {
		struct policy_iface *pi = &p->v[i];

		for (size_t g = 0; g < pi->n_groups; ++g)
			free(pi->groups[g].members);
		for (size_t r = 0; r < pi->n_rules; ++r)
			free(pi->rules[r].services);
		free(pi->groups);
		free(pi->rules);
		free(pi->tests);
	}
	free(p->v);
	while (p->texts) {
		struct policy_text_block *next = p->texts->next;

		free(p->texts);
		p->texts = next;
	}
	memset(p, 0, sizeof(*p));
}

struct policy_iface *policy_find(const struct policy *p, const char *iface)
{
	for (size_t i = 0; i < p->n; ++i)
		if (!strcmp(p->v[i].name, iface))
			return &p->v[i];
	return NULL;
}

/* --- resolving --- */

static bool is_key_text(const char *t)
{
	return strlen(t) == WG_KEY_B64_LEN - 1 && t[WG_KEY_B64_LEN - 2] == '=';
}

/* A peer by name or key; a name two peers carry is ambiguous. */
static int find_peer(const struct wg_device *dev, const char *t, uint8_t key[WG_KEY_LEN])
{
	const struct wg_peer *found = NULL;

	if (is_key_text(t)) {
		if (!key_from_base64(key, t) || !wg_device_find_peer(dev, key))
			return -ENOENT;
		return 0;
	}
	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *peer = &dev->peers[i];

		if (!peer->name || strcmp(peer->name, t))
			continue;
		if (found)
			return -EEXIST;
		found = peer;
	}
	if (!found)
		return -ENOENT;
	memcpy(key, found->public_key, WG_KEY_LEN);
	return 0;
}

/* The device's peers by name, for resolving thousands of names without a scan each. */
struct name_index {
	const struct wg_peer **v;	/* named peers, by name */
	size_t n;
};

static int peer_name_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct wg_peer *const *)a)->name, (*(const struct wg_peer *const *)b)->name);
}

static int name_index_build(struct name_index *ix, const struct wg_device *dev)
{
	ix->n = 0;
	ix->v = malloc(((size_t)dev->n_peers + 1) * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (uint32_t i = 0; i < dev->n_peers; ++i)
		if (dev->peers[i].name)
			ix->v[ix->n++] = &dev->peers[i];
	qsort(ix->v, ix->n, sizeof(*ix->v), peer_name_cmp);
	return 0;
}

/* As find_peer, through the index. */
static int find_peer_indexed(const struct name_index *ix, const struct wg_device *dev, const char *t,
			     uint8_t key[WG_KEY_LEN])
{
	size_t lo = 0, hi = ix->n;

	if (is_key_text(t))
		return find_peer(dev, t, key);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(ix->v[mid]->name, t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->n || strcmp(ix->v[lo]->name, t))
		return -ENOENT;
	if (lo + 1 < ix->n && !strcmp(ix->v[lo + 1]->name, t))
		return -EEXIST;
	memcpy(key, ix->v[lo]->public_key, WG_KEY_LEN);
	return 0;
}

static int resolve_ref(struct policy_ref *r, const struct policy_iface *pi, const struct wg_device *dev,
		       const struct name_index *ix, bool member, unsigned int line, struct policy_error *err)
{
	char shown[POLICY_REF_MAX * 4];
	int ret;

	text_safe(shown, sizeof(shown), r->text);
	if (!strcmp(r->text, "*") || !strcasecmp(r->text, "hub")) {
		if (member)
			return fail(err, line, _("%s cannot be a member of a group"), shown);
		r->kind = strcmp(r->text, "*") ? POLICY_REF_HUB : POLICY_REF_ANY;
		return 0;
	}
	for (size_t g = 0; g < pi->n_groups; ++g)
		if (!strcmp(pi->groups[g].name, r->text)) {
			if (member)
				return fail(err, line, _("groups do not nest: %s is a group"), shown);
			r->kind = POLICY_REF_GROUP;
			r->group = g;
			return 0;
		}
	if (strpbrk(r->text, ".:") && prefix_parse(&r->prefix, r->text) == 0) {
		r->kind = POLICY_REF_PREFIX;
		return 0;
	}
	ret = find_peer_indexed(ix, dev, r->text, r->key);
	if (ret == -EEXIST)
		return fail(err, line, _("two peers of %s are named %s: name one by its public key"), pi->name, shown);
	if (ret < 0)
		return fail(err, line, is_key_text(r->text) ? _("no peer of %s has the public key %s") :
				      _("%s is no group, peer, prefix, * nor hub of %s"),
			    is_key_text(r->text) ? pi->name : shown, is_key_text(r->text) ? shown : pi->name);
	r->kind = POLICY_REF_PEER;
	return 0;
}

static int resolve_refs(struct policy_iface *pi, const struct wg_device *dev, const struct name_index *ix,
			struct policy_error *err)
{
	int ret;

	for (size_t g = 0; g < pi->n_groups; ++g)
		for (size_t m = 0; m < pi->groups[g].n_members; ++m)
			if ((ret = resolve_ref(&pi->groups[g].members[m], pi, dev, ix, true, pi->groups[g].line, err)) < 0)
				return ret;
	for (size_t i = 0; i < pi->n_rules; ++i) {
		struct policy_rule *r = &pi->rules[i];

		if ((ret = resolve_ref(&r->from, pi, dev, ix, false, r->line, err)) < 0 ||
		    (ret = resolve_ref(&r->to, pi, dev, ix, false, r->line, err)) < 0)
			return ret;
		if (r->from.kind == POLICY_REF_HUB && (!r->both || r->to.kind == POLICY_REF_HUB))
			return fail(err, r->line, _("hub is no source: traffic from the hub does not enter through %s"),
				    pi->name);
	}
	for (size_t i = 0; i < pi->n_tests; ++i) {
		struct policy_test *t = &pi->tests[i];

		if ((ret = resolve_ref(&t->from, pi, dev, ix, false, t->line, err)) < 0 ||
		    (ret = resolve_ref(&t->to, pi, dev, ix, false, t->line, err)) < 0)
			return ret;
		if (t->from.kind == POLICY_REF_HUB || t->from.kind == POLICY_REF_GROUP || t->from.kind == POLICY_REF_ANY ||
		    t->to.kind == POLICY_REF_GROUP || t->to.kind == POLICY_REF_ANY)
			return fail(err, t->line, "%s", _("a test names one peer or address on each side (or hub after the arrow)"));
	}
	pi->resolved = true;
	return 0;
}

static int resolve_iface(struct policy_iface *pi, const struct wg_device *dev, struct policy_error *err)
{
	struct name_index ix;
	int ret;

	if ((ret = name_index_build(&ix, dev)) < 0)
		return ret;
	ret = resolve_refs(pi, dev, &ix, err);
	free(ix.v);
	return ret;
}

int policy_resolve(struct policy *p, const struct wg_snapshot *snap, bool ignore_missing, struct policy_error *err)
{
	int ret;

	for (size_t i = 0; i < p->n; ++i) {
		const struct wg_device *dev = wg_snapshot_find_device(snap, p->v[i].name);

		if (!dev) {
			if (ignore_missing)
				continue;
			return fail(err, p->v[i].line, _("%s is no WireGuard interface here"), p->v[i].name);
		}
		if ((ret = resolve_iface(&p->v[i], dev, err)) < 0)
			return ret;
	}
	return 0;
}

/* --- judging --- */

const struct wg_peer *policy_owner(const struct wg_device *dev, const struct wg_allowedip *addr)
{
	const struct wg_peer *best = NULL;
	int best_cidr = -1;

	for (uint32_t i = 0; i < dev->n_peers; ++i) {
		const struct wg_peer *peer = &dev->peers[i];

		for (uint32_t a = 0; a < peer->n_allowedips; ++a)
			if (peer->allowedips[a].cidr > best_cidr && prefix_contains(&peer->allowedips[a], addr)) {
				best = peer;
				best_cidr = peer->allowedips[a].cidr;
			}
	}
	return best;
}

static bool match_member(const struct policy_ref *m, const struct policy_point *pt, const struct wg_peer *owner)
{
	switch (m->kind) {
	case POLICY_REF_PEER:
		return owner && !memcmp(owner->public_key, m->key, WG_KEY_LEN);
	case POLICY_REF_PREFIX:
		return !pt->hub && prefix_contains(&m->prefix, &pt->addr);
	default:
		return false;
	}
}

static bool match(const struct policy_iface *pi, const struct policy_ref *r, const struct policy_point *pt,
		  const struct wg_peer *owner)
{
	switch (r->kind) {
	case POLICY_REF_ANY:
		return !pt->hub && owner;
	case POLICY_REF_HUB:
		return pt->hub;
	case POLICY_REF_GROUP:
		for (size_t m = 0; m < pi->groups[r->group].n_members; ++m)
			if (match_member(&pi->groups[r->group].members[m], pt, owner))
				return true;
		return false;
	default:
		return match_member(r, pt, owner);
	}
}

static bool services_match(const struct policy_rule *r, uint8_t proto, uint16_t port)
{
	if (!r->n_services)
		return true;
	for (size_t i = 0; i < r->n_services; ++i)
		if (policy_service_match(&r->services[i], proto, port))
			return true;
	return false;
}

enum policy_verdict policy_verdict(const struct policy_iface *pi, const struct wg_device *dev,
				   const struct policy_point *src, const struct policy_point *dst, uint8_t proto,
				   uint16_t port, unsigned int *line)
{
	const struct wg_peer *so = src->hub ? NULL : policy_owner(dev, &src->addr);
	const struct wg_peer *dso = dst->hub ? NULL : policy_owner(dev, &dst->addr);

	for (size_t i = 0; i < pi->n_rules; ++i) {
		const struct policy_rule *r = &pi->rules[i];
		bool hit = match(pi, &r->from, src, so) && match(pi, &r->to, dst, dso);

		if (!hit && r->both)
			hit = match(pi, &r->to, src, so) && match(pi, &r->from, dst, dso);
		if (hit && services_match(r, proto, port)) {
			*line = r->line;
			return r->allow ? POLICY_ALLOWED : POLICY_DENIED;
		}
	}
	if (dst->hub) {
		*line = 0;
		return POLICY_UNTOUCHED;
	}
	*line = pi->default_line;
	return pi->default_allow ? POLICY_ALLOWED : POLICY_DENIED;
}

static bool first_addr(const struct wg_peer *peer, int family, struct wg_allowedip *out)
{
	for (uint32_t a = 0; a < peer->n_allowedips; ++a) {
		const struct wg_allowedip *aip = &peer->allowedips[a];

		if (family != AF_UNSPEC && aip->family != family)
			continue;
		*out = *aip;
		out->cidr = aip->family == AF_INET ? 32 : 128;
		return true;
	}
	return false;
}

int policy_point_parse(struct policy_point *pt, const struct wg_device *dev, const char *text, int family)
{
	uint8_t key[WG_KEY_LEN];
	int ret;

	memset(pt, 0, sizeof(*pt));
	if (!strcasecmp(text, "hub")) {
		pt->hub = true;
		return 0;
	}
	if (strpbrk(text, ".:") && prefix_parse(&pt->addr, text) == 0) {
		if (pt->addr.cidr != (pt->addr.family == AF_INET ? 32 : 128))
			return -EINVAL;
		return family == AF_UNSPEC || pt->addr.family == family ? 0 : -EAFNOSUPPORT;
	}
	if ((ret = find_peer(dev, text, key)) < 0)
		return ret;
	return first_addr(wg_device_find_peer(dev, key), family, &pt->addr) ? 0 : -EAFNOSUPPORT;
}

static int ref_point(const struct policy_ref *r, const struct wg_device *dev, int family, struct policy_point *pt)
{
	memset(pt, 0, sizeof(*pt));
	if (r->kind == POLICY_REF_HUB) {
		pt->hub = true;
		return 0;
	}
	if (r->kind == POLICY_REF_PREFIX) {
		if (r->prefix.family != family)
			return -EAFNOSUPPORT;
		pt->addr = r->prefix;
		pt->addr.cidr = family == AF_INET ? 32 : 128;
		return 0;
	}
	return first_addr(wg_device_find_peer(dev, r->key), family, &pt->addr) ? 0 : -EAFNOSUPPORT;
}

int policy_run_tests(const struct policy_iface *pi, const struct wg_device *dev, struct policy_error *err)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (size_t i = 0; i < pi->n_tests; ++i) {
		const struct policy_test *t = &pi->tests[i];
		uint8_t proto = t->has_service ? t->service.proto : POLICY_ANY;
		uint16_t port = t->has_service ? t->service.lo : 0;
		bool judged = false;

		for (size_t f = 0; f < 2; ++f) {
			struct policy_point src, dst;
			enum policy_verdict v;
			unsigned int line;
			bool allowed;

			if (ref_point(&t->from, dev, families[f], &src) < 0 || ref_point(&t->to, dev, families[f], &dst) < 0)
				continue;
			judged = true;
			v = policy_verdict(pi, dev, &src, &dst, proto, port, &line);
			allowed = v != POLICY_DENIED;
			if (allowed == t->expect_allow)
				continue;
			if (line)
				return fail(err, t->line, _("test fails: it expects %s, but line %u %s (%s)"),
					    t->expect_allow ? "allow" : "deny", line, allowed ? _("allows") : _("denies"),
					    families[f] == AF_INET ? "IPv4" : "IPv6");
			return fail(err, t->line, _("test fails: it expects %s, but no rule matches and the default %s (%s)"),
				    t->expect_allow ? "allow" : "deny", allowed ? _("allows") : _("denies"),
				    families[f] == AF_INET ? "IPv4" : "IPv6");
		}
		if (!judged)
			return fail(err, t->line, "%s", _("test judges nothing: its two sides share no address family"));
	}
	return 0;
}

const char *policy_groups_of(const struct policy_iface *pi, const struct wg_peer *peer, char *buf, size_t len)
{
	size_t o = 0;

	if (len)
		buf[0] = '\0';
	for (size_t g = 0; g < pi->n_groups; ++g) {
		bool in = false;

		for (size_t m = 0; m < pi->groups[g].n_members && !in; ++m) {
			const struct policy_ref *r = &pi->groups[g].members[m];

			if (r->kind == POLICY_REF_PEER)
				in = !memcmp(r->key, peer->public_key, WG_KEY_LEN);
			else if (r->kind == POLICY_REF_PREFIX)
				for (uint32_t a = 0; a < peer->n_allowedips && !in; ++a)
					in = prefix_overlap(&r->prefix, &peer->allowedips[a]);
		}
		if (in && o < len)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", pi->groups[g].name);
	}
	return buf;
}

/* --- edits that keep every other byte of the file --- */

struct span {
	size_t start, end;		/* bytes of a member or side, quotes included */
};

/* Whether [s, e) (a member or side as written, maybe quoted) names the peer `name`. */
static bool names(const char *s, const char *e, const char *name)
{
	return unquote_ref(&s, &e) && strlen(name) == (size_t)(e - s) && !memcmp(s, name, (size_t)(e - s));
}

struct editbuf {
	char *v;
	size_t n, cap;
	int ret;
};

static void put(struct editbuf *b, const char *s, size_t n)
{
	if (b->ret)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *v = realloc(b->v, cap);

		if (!v) {
			b->ret = -ENOMEM;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	memcpy(b->v + b->n, s, n);
	b->n += n;
	b->v[b->n] = '\0';
}

/* The members of a Group line's value [s, e): their spans, trimmed. */
static size_t member_spans(const char *base, const char *s, const char *e, struct span *v, size_t max)
{
	const char *colon = memchr(s, ':', (size_t)(e - s));
	size_t n = 0;

	if (!colon)
		return 0;
	for (const char *p = colon + 1; p <= e && n < max;) {
		const char *comma = memchr(p, ',', (size_t)(e - p)), *me = comma ? comma : e, *ms = p;

		trim(&ms, &me);
		if (ms < me)
			v[n++] = (struct span){ (size_t)(ms - base), (size_t)(me - base) };
		if (!comma)
			break;
		p = comma + 1;
	}
	return n;
}

/* The group name of a Group line's value, trimmed. */
static bool group_name_is(const char *s, const char *e, const char *name)
{
	const char *colon = memchr(s, ':', (size_t)(e - s)), *ne = colon;

	if (!colon)
		return false;
	trim(&s, &ne);
	return (size_t)(ne - s) == strlen(name) && !strncmp(s, name, (size_t)(ne - s));
}

int policy_edit_peer(const char *text, size_t len, const char *iface, const char *old, const char *new_name,
		     const char *join, char **out, size_t *out_len, struct policy_error *err)
{
	struct editbuf b = { 0 };
	char want[IFNAMSIZ + 2];
	bool in = false, seen = false;
	char groups[16][POLICY_NAME_MAX + 1];
	bool joined[16] = { false };
	size_t n_groups = 0;
	unsigned int line = 1;

	if (err)
		memset(err, 0, sizeof(*err));
	/* The groups to join, checked for their names. */
	for (const char *g = join; g && *g;) {
		size_t n = strcspn(g, ", ");

		if (n) {
			if (n_groups == 16 || !group_name_ok(g, n))
				return fail(err, 0, _("%.*s is no group name"), (int)n, g);
			memcpy(groups[n_groups], g, n);
			groups[n_groups++][n] = '\0';
		}
		g += n;
		g += strspn(g, ", ");
	}
	snprintf(want, sizeof(want), "%s", iface);
	for (const char *s = text, *end = text + len; s < end; ++line) {
		const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end, *cs = s, *ce = content_end(s, e);
		const char *eq, *k, *ke, *v, *ve;

		trim(&cs, &ce);
		if (cs < ce && *cs == '[') {
			in = ce[-1] == ']' && (size_t)(ce - cs - 2) == strlen(want) && !strncmp(cs + 1, want, (size_t)(ce - cs - 2));
			seen |= in;
		}
		eq = in && cs < ce && *cs != '[' ? memchr(cs, '=', (size_t)(ce - cs)) : NULL;
		if (!eq) {
			put(&b, s, (size_t)(e - s) + (nl ? 1 : 0));
			s = e + (nl ? 1 : 0);
			continue;
		}
		k = cs;
		ke = eq;
		v = eq + 1;
		ve = ce;
		trim(&k, &ke);
		trim(&v, &ve);
		if (ke - k == 5 && !strncasecmp(k, "Group", 5)) {
			struct span m[256];
			size_t n = member_spans(text, v, ve, m, 256), from = (size_t)(s - text);
			bool join_here = false, kept = false;	/* kept: a member before this one stays */
			size_t stay = 0;			/* members after this one that stay */

			for (size_t g = 0; g < n_groups; ++g)
				if (group_name_is(v, ve, groups[g]) && !joined[g]) {
					joined[g] = join_here = true;
				}
			for (size_t i = 0; i < n && old; ++i)
				stay += !names(text + m[i].start, text + m[i].end, old);
			for (size_t i = 0; i < n && old; ++i) {
				if (!names(text + m[i].start, text + m[i].end, old)) {
					kept = true;
					--stay;
					continue;
				}
				if (new_name) {
					put(&b, text + from, m[i].start - from);
					put(&b, new_name, strlen(new_name));
					from = m[i].end;
				} else {
					/*
					 * Out with the comma before it, or after it when none before stays
					 * (the peer may be written twice: "a, a, b" leaves "b").
					 */
					size_t cut_from = kept ? m[i - 1].end : m[i].start, cut_to = m[i].end;
					const char *colon = memchr(v, ':', (size_t)(ve - v));

					if (!kept && stay)
						cut_to = m[i + 1].start;
					/* No member stays: the blanks after the colon go too. */
					if (!kept && !stay && colon)
						cut_from = (size_t)(colon + 1 - text);
					if (cut_from < from)
						cut_from = from;
					put(&b, text + from, cut_from - from);
					from = cut_to;
				}
			}
			if (join_here) {
				/* After the last member (or the colon), before any comment. */
				const char *at = ve;

				put(&b, text + from, (size_t)(at - text) - from);
				put(&b, n ? ", " : " ", n ? 2 : 1);
				put(&b, new_name ? new_name : old, strlen(new_name ? new_name : old));
				from = (size_t)(at - text);
			}
			put(&b, text + from, (size_t)(e - text) - from + (nl ? 1 : 0));
		} else if (old && ((ke - k == 5 && (!strncasecmp(k, "Allow", 5))) || (ke - k == 4 && !strncasecmp(k, "Deny", 4)) ||
				   (ke - k == 4 && !strncasecmp(k, "Test", 4)))) {
			const char *a, *ae, *rest, *w, *we, *r2;
			bool both, hit = false;
			size_t from = (size_t)(s - text);

			if (!split_arrow(v, ve, &a, &ae, &both, &rest)) {
				put(&b, s, (size_t)(e - s) + (nl ? 1 : 0));
				s = e + (nl ? 1 : 0);
				continue;
			}
			trim(&a, &ae);
			r2 = rest;
			if (!next_word(&r2, ve, &w, &we))
				w = we = rest;
			hit = names(a, ae, old) || (w < we && names(w, we, old));
			if (hit && !new_name) {
				/* A rule about a peer that is gone would not resolve: kept, as a comment. */
				put(&b, "# ", 2);
				put(&b, _("(peer removed) "), strlen(_("(peer removed) ")));
				put(&b, s, (size_t)(e - s) + (nl ? 1 : 0));
			} else if (hit) {
				if (names(a, ae, old)) {
					put(&b, text + from, (size_t)(a - text) - from);
					put(&b, new_name, strlen(new_name));
					from = (size_t)(ae - text);
				}
				if (w < we && names(w, we, old)) {
					put(&b, text + from, (size_t)(w - text) - from);
					put(&b, new_name, strlen(new_name));
					from = (size_t)(we - text);
				}
				put(&b, text + from, (size_t)(e - text) - from + (nl ? 1 : 0));
			} else {
				put(&b, s, (size_t)(e - s) + (nl ? 1 : 0));
			}
		} else {
			put(&b, s, (size_t)(e - s) + (nl ? 1 : 0));
		}
		s = e + (nl ? 1 : 0);
	}
	if (!b.ret && !b.v)
		put(&b, "", 0);
	if (b.ret) {
		free(b.v);
		return b.ret;
	}
	for (size_t g = 0; g < n_groups; ++g)
		if (!joined[g]) {
			free(b.v);
			return seen ? fail(err, 0, _("the policy has no group %s for %s"), groups[g], iface) :
				      fail(err, 0, _("the policy has no section [%s] to hold group %s"), iface, groups[g]);
		}
	*out = b.v;
	*out_len = b.n;
	return 0;
}
