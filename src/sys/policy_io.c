// SPDX-License-Identifier: GPL-2.0-or-later
/* The hub policy read from its file and made ready; the policy table's counters read back. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include "atomic.h"
#include "hashmix.h"
#include "i18n.h"
#include "nft.h"
#include "policy_io.h"
#include "policy_report.h"
#include "rates.h"
#include "session.h"
#include "text.h"

int policy_load_text(struct policy_set *ps, const char *path, const char *text, size_t len,
		     const struct wg_snapshot *snap, unsigned int flags, struct errmsg *err)
{
	struct policy_error perr = { 0 };
	char shown[1024];
	int ret;

	errmsg_clear(err);
	ret = policy_prepare(ps, text, len, snap, flags, &perr);
	if (ret == -EINVAL || ret == -E2BIG) {
		text_safe(shown, sizeof(shown), path);
		if (perr.line)
			return errmsg_set(err, ret, "%s:%u: %s", shown, perr.line, perr.msg);
		return errmsg_set(err, ret, "%s: %s", shown, perr.msg);
	}
	if (ret == -EFBIG)
		return errmsg_set(err, ret, _("%s: bigger than a policy can be"), text_safe(shown, sizeof(shown), path));
	return ret;
}

int policy_load(struct policy_set *ps, const char *path, const struct wg_snapshot *snap, unsigned int flags,
		struct errmsg *err)
{
	const char *p = path ? path : POLICY_PATH;
	char *text = NULL, shown[1024];
	size_t len = 0;
	int ret;

	memset(ps, 0, sizeof(*ps));
	errmsg_clear(err);
	ret = atomic_read(p, &text, &len);
	if (ret == -ENOENT && !path)
		return 0;
	if (ret < 0)
		return errmsg_set(err, ret, _("reading %s failed: %s"), text_safe(shown, sizeof(shown), p),
				  text_strerror(-ret));
	ret = policy_load_text(ps, p, text, len, snap, flags, err);
	free(text);
	return ret;
}

static int parse_cb(const struct nlmsghdr *nlh, void *data)
{
	return policy_nft_parse(nlh, data);
}

static int read_once(struct nft_sock *s, struct policy_reading *r)
{
	char buf[POLICY_REQUEST_LEN];
	struct nlmsghdr *nlh;
	int ret;

	memset(r, 0, sizeof(*r));
	for (unsigned int i = 0; (ret = policy_nft_request(buf, i, &nlh)) != 0; ++i) {
		if (ret < 0)
			break;
		ret = nft_dump(s, nlh, parse_cb, r);
		/* Deleted between two dumps: gone. */
		if (ret == -ENOENT) {
			policy_reading_free(r);
			return 0;
		}
		if (ret < 0)
			break;
		if (i == 0 && !r->present)
			return 0;
	}
	if (ret < 0)
		policy_reading_free(r);
	return ret;
}

int policy_read(struct policy_reading *r)
{
	struct nft_sock s;
	int ret, tries = 0;

	if ((ret = nft_open(&s)) < 0)
		return ret;
	do
		ret = read_once(&s, r);
	while (ret == -EINTR && ++tries < 5);
	nft_close(&s);
	return ret;
}

/* The policy's report from a reading (read_ret: how reading it went). */
static int attach_reading(struct wg_snapshot *snap, const struct policy_set *ps, const struct policy_reading *rd,
			  int read_ret, struct policy_memo *memo)
{
	const struct policy_reading r = *rd;
	struct policy_owners owners;
	bool in_force;
	int ret;

	in_force = !read_ret && r.present && ps->fp[0] && !strcmp(r.fp, ps->fp);
	policy_owners_init(&owners, snap);
	ret = 0;
	for (size_t i = 0, k = 0; i < ps->p.n && !ret; ++i) {
		const struct policy_iface *pi = &ps->p.v[i];
		struct wg_device *dev = wg_snapshot_find_device(snap, pi->name);

		if (!dev || !pi->resolved)
			continue;
		/* The Default's chain goes by the interface's place among those compiled. */
		while (k < ps->c.n && strcmp(ps->c.v[k].name, pi->name))
			++k;
		ret = policy_device_report_memo(dev, pi, k, &r, in_force, &owners, memo);
		k = 0;
	}
	policy_owners_free(&owners);
	return ret ? ret : read_ret;
}

int policy_attach(struct wg_snapshot *snap, const struct policy_set *ps)
{
	struct policy_reading r = { 0 };
	int ret;

	if (!ps || !ps->present)
		return 0;
	ret = attach_reading(snap, ps, &r, policy_read(&r), NULL);
	policy_reading_free(&r);
	return ret;
}

/* The console's pace: a full read of the table when due, else the kept one. */
static int attach_paced(struct policy_cache *c, struct wg_snapshot *snap)
{
	struct timespec now, t0, t1;

	if (!c->ps.present)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (c->fresh || !c->have_kept || timespec_diff(&c->read_at, &now) * 1000 >= (double)c->every_ms) {
		policy_reading_free(&c->kept);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
		c->kept_ret = policy_read(&c->kept);
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
		c->every_ms = pace_interval_ms(timespec_diff(&t0, &t1) * 1000, c->sharing);
		c->read_at = now;
		c->have_kept = true;
		c->fresh = false;
	}
	return attach_reading(snap, &c->ps, &c->kept, c->kept_ret, &c->memo);
}

/*
 * The peers a policy resolves against, as one number. The same peers in another order give
 * the same number (wireguard-go lists them in another order on every read): each peer is
 * hashed on its own and the hashes are added.
 */
static uint64_t peers_hash(const struct wg_snapshot *snap)
{
	uint64_t h = 0, hp;

	/* Eight bytes a step: this runs over every peer's key and addresses each tick. */
#define MIX(p, n)                                                                                                  \
	do {                                                                                                       \
		const uint8_t *b_ = (const uint8_t *)(p);                                                          \
		size_t n_ = (n), k_ = 0;                                                                           \
		uint64_t w_;                                                                                       \
		for (; k_ + 8 <= n_; k_ += 8) {                                                                    \
			memcpy(&w_, b_ + k_, 8);                                                                   \
			hp = (hp ^ w_) * 0x9e3779b97f4a7c15ULL;                                                    \
			hp ^= hp >> 29;                                                                            \
		}                                                                                                  \
		for (; k_ < n_; ++k_)                                                                              \
			hp = (hp ^ b_[k_]) * 1099511628211ull;                                                     \
	} while (0)
	for (size_t d = 0; d < snap->n_devices; ++d) {
		const struct wg_device *dev = snap->devices[d];
		uint64_t hd;

		hp = 1469598103934665603ull;
		MIX(dev->name, strnlen(dev->name, IFNAMSIZ) + 1);
		for (int w = 0; w < 2; ++w) {
			uint64_t serial = dev->name_holds[w] ? dev->name_holds[w]->serial : 0;

			MIX(&serial, sizeof(serial));
		}
		hd = hp;
		h += hashmix64(hd ^ dev->n_peers);
		for (uint32_t i = 0; i < dev->n_peers; ++i) {
			const struct wg_peer *p = &dev->peers[i];

			hp = hd;
			MIX(p->public_key, WG_KEY_LEN);
			/*
			 * A name shared with a map is one of its holds' strings, which never change:
			 * its address says which, and reading each (a cache miss a peer) is spared.
			 */
			if (p->name && p->name_shared)
				MIX(&p->name, sizeof(p->name));
			else if (p->name)
				MIX(p->name, strlen(p->name) + 1);
			MIX(&p->n_allowedips, sizeof(p->n_allowedips));
			MIX(p->allowedips, p->n_allowedips * sizeof(*p->allowedips));
			h += hashmix64(hp);
		}
	}
#undef MIX
	return h;
}

int policy_cache_attach(struct policy_cache *c, const char *path, struct wg_snapshot *snap)
{
	const char *p = path ? path : POLICY_PATH;
	/* Peers matter to a policy that is there (or failed): without one, only the file is watched. */
	uint64_t h = !c->loaded || c->ps.present || c->ret < 0 ? peers_hash(snap) : c->peers;
	char *text = NULL, shown[1024];
	size_t len = 0;
	int ret;

	if (!c->loaded || h != c->peers || atomic_changed_quick(p, &c->stamp) != 0) {
		policy_set_free(&c->ps);
		policy_memo_clear(&c->memo);
		errmsg_clear(&c->err);
		/* What others freed (a full sort, a reading) goes back before a compile comes on top. */
		malloc_trim(0);
		c->loaded = true;
		/* Another policy, or other peers: its counters are read anew. */
		c->fresh = true;
		c->peers = h;
		ret = atomic_read_stamped(p, &text, &len, &c->stamp);
		if (ret == -ENOENT && !path)
			c->ret = 0;
		else if (ret < 0)
			c->ret = errmsg_set(&c->err, ret, _("reading %s failed: %s"), text_safe(shown, sizeof(shown), p),
					    text_strerror(-ret));
		else
			c->ret = policy_load_text(&c->ps, p, text, len, snap, POLICY_PREPARE_IGNORE_MISSING, &c->err);
		free(text);
		/*
		 * Loading compiles the policy, and builds the batch that would install it for its
		 * fingerprint (whether the table holds it). Reading the table's counters needs only
		 * the fingerprint and the interfaces' order: the maps go (10 MB for 200 rules over
		 * 10,000 dual-stack peers).
		 */
		policy_compiled_strip(&c->ps.c);
		/* And its own megabytes: a console compiles again whenever a peer comes or goes. */
		malloc_trim(0);
	}
	if (c->ret < 0)
		return c->ret;
	return c->paced ? attach_paced(c, snap) : policy_attach(snap, &c->ps);
}

void policy_cache_clear(struct policy_cache *c)
{
	policy_reading_free(&c->kept);
	policy_set_free(&c->ps);
	policy_memo_clear(&c->memo);
	memset(c, 0, sizeof(*c));
}

int policy_session_warning(const struct policy_set *ps, const struct wg_snapshot *snap, char *buf, size_t len)
{
	struct wg_allowedip client = { 0 };
	struct session s;

	if (len)
		buf[0] = '\0';
	if (!ps || !ps->present)
		return 0;
	session_find(&s);
	if (!s.ssh)
		return 0;
	client.family = (uint16_t)s.family;
	client.cidr = s.family == AF_INET ? 32 : 128;
	if (s.family == AF_INET)
		client.ip4 = s.client4;
	else
		client.ip6 = s.client6;
	return policy_lockout_warning(ps, snap, &client, s.server_port, buf, len);
}
