// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: a dump of wgstar's counting sets as counters_parse_elems reads it, applied
 * to a snapshot, and the sets brought in step with it. Whatever the sets hold, flows name two
 * peers of one device and every element read is kept in bounds.
 *
 * The messages are built here from the input, well formed: libnftnl parses them first, and it
 * exits the process on an attribute of an unexpected size ("nf_tables kernel ABI is broken")
 * and follows a NULL name for an expression without one. What the sets hold is the fuzzer's.
 * The first byte's low bit says the table is absent. Then, for each message: a byte choosing
 * the set (set_names), a byte whose low 3 bits count the elements and whose bit 3 ends the
 * dump, and for each element a byte (low 6 bits the key's length, 63 for no key; bit 6 an end
 * of range; bit 7 a counter), the key, the end, and the counter's packets and bytes.
 */
#include <errno.h>
#include <netinet/in.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "counters.h"
#include "fuzz.h"
#include "nft_batch.h"
#include "prefix.h"

static const char *const peers[][3] = {
	{ "wg0", "10.0.0.0/24, fd00::/64" },
	{ "wg0", "10.0.0.5/32" },
	{ "wg0", "10.1.0.0/25, 10.1.0.128/25" },
	{ "wg0", "255.255.255.255/32, fd00::5/128" },
	{ "wg1", "192.0.2.0/30, 2001:db8::/48" },
	{ "wg1", "192.0.2.1/32" },
};

/* Two devices whose allowed IPs nest and touch, as counters_plan_build splits them. */
static struct wg_snapshot *make_snapshot(void)
{
	struct wg_snapshot *snap = wg_snapshot_new();

	if (!snap)
		abort();
	for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); ++i) {
		struct wg_device *dev = wg_snapshot_find_device(snap, peers[i][0]);
		struct wg_allowedip *v;
		uint8_t key[WG_KEY_LEN];
		struct wg_peer *p;
		size_t n;

		if (!dev && (!(dev = wg_device_new(peers[i][0])) || wg_snapshot_add_device(snap, dev) < 0))
			abort();
		memset(key, (int)i + 1, sizeof(key));
		if (!(p = wg_device_get_peer(dev, key, NULL)) || prefix_parse_list(&v, &n, peers[i][1]) < 0)
			abort();
		for (size_t j = 0; j < n; ++j)
			if (wg_peer_add_allowedip(p, &v[j]) < 0)
				abort();
		free(v);
	}
	return snap;
}

/* Every set of the table, one in another table, and one the table does not have. */
static const char *const set_names[][2] = {
	{ COUNTERS_TABLE, "ifaces" }, { COUNTERS_TABLE, "netifs" }, { COUNTERS_TABLE, "from4" },
	{ COUNTERS_TABLE, "to4" }, { COUNTERS_TABLE, "from6" }, { COUNTERS_TABLE, "to6" },
	{ COUNTERS_TABLE, "from4net" }, { COUNTERS_TABLE, "to4net" }, { COUNTERS_TABLE, "from6net" },
	{ COUNTERS_TABLE, "to6net" }, { COUNTERS_TABLE, "pairs4" }, { COUNTERS_TABLE, "pairs6" },
	{ "filter", "from4" }, { COUNTERS_TABLE, "from5" },
};
#define N_SETS (sizeof(set_names) / sizeof(set_names[0]))
#define NO_KEY 63
#define MSG_LEN 8192

/* The next n bytes of the input, zeros where it has run out. */
static void take(const uint8_t **data, size_t *size, void *out, size_t n)
{
	size_t k = n < *size ? n : *size;

	memset(out, 0, n);
	memcpy(out, *data, k);
	*data += k;
	*size -= k;
}

static void put_value(struct nlmsghdr *nlh, uint16_t type, const void *value, size_t len)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, type);

	mnl_attr_put(nlh, NFTA_DATA_VALUE, len, value);
	mnl_attr_nest_end(nlh, nest);
}

/* One element as the kernel dumps it: key, end of range, counter. */
static void put_elem(struct nlmsghdr *nlh, const uint8_t **data, size_t *size)
{
	uint8_t shape = fuzz_byte(data, size), key[NO_KEY], end[NO_KEY];
	size_t klen = shape & NO_KEY;
	uint64_t packets, bytes;
	struct nlattr *elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM), *expr, *counter;

	if (klen != NO_KEY) {
		take(data, size, key, klen);
		put_value(nlh, NFTA_SET_ELEM_KEY, key, klen);
	}
	if (shape & 0x40) {
		take(data, size, end, klen % NO_KEY);
		put_value(nlh, NFTA_SET_ELEM_KEY_END, end, klen % NO_KEY);
	}
	if (shape & 0x80) {
		take(data, size, &packets, sizeof(packets));
		take(data, size, &bytes, sizeof(bytes));
		expr = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_EXPR);
		mnl_attr_put_strz(nlh, NFTA_EXPR_NAME, "counter");
		counter = mnl_attr_nest_start(nlh, NFTA_EXPR_DATA);
		mnl_attr_put_u64(nlh, NFTA_COUNTER_BYTES, bytes);
		mnl_attr_put_u64(nlh, NFTA_COUNTER_PACKETS, packets);
		mnl_attr_nest_end(nlh, counter);
		mnl_attr_nest_end(nlh, expr);
	}
	mnl_attr_nest_end(nlh, elem);
}

/* The next message of the dump into buf; false once the dump has ended. */
static bool next_msg(void *buf, const uint8_t **data, size_t *size)
{
	const char *const *set;
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;
	struct nlattr *list;
	uint8_t shape;

	if (!*size)
		return false;
	set = set_names[fuzz_byte(data, size) % N_SETS];
	shape = fuzz_byte(data, size);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_NEWSETELEM;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nlh->nlmsg_seq = FUZZ_SEQ;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = NFPROTO_INET;
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, set[0]);
	mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, set[1]);
	list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
	for (int i = 0; i < (shape & 7); ++i)
		put_elem(nlh, data, size);
	mnl_attr_nest_end(nlh, list);
	if (shape & 8)
		*size = 0;
	return true;
}

static void check_names(char (*v)[IFNAMSIZ], size_t n)
{
	for (size_t i = 0; i < n; ++i)
		if (strnlen(v[i], IFNAMSIZ) == IFNAMSIZ)
			abort();
}

static void check_reading(const struct counters_reading *r)
{
	for (int d = 0; d < 2; ++d) {
		if (r->n_ranges[d] > r->cap_ranges[d])
			abort();
		for (size_t i = 0; i < r->n_ranges[d]; ++i) {
			const struct counters_range *e = &r->ranges[d][i];

			if ((e->family != AF_INET && e->family != AF_INET6) || strnlen(e->ifname, IFNAMSIZ) == IFNAMSIZ)
				abort();
		}
	}
	if (r->n_pairs > r->cap_pairs)
		abort();
	for (size_t i = 0; i < r->n_pairs; ++i)
		if (r->pairs[i].family != AF_INET && r->pairs[i].family != AF_INET6)
			abort();
	check_names(r->ifaces, r->n_ifaces);
	check_names(r->netifs, r->n_netifs);
}

static void check_applied(const struct wg_snapshot *snap, bool present)
{
	for (size_t d = 0; d < snap->n_devices; ++d) {
		const struct wg_device *dev = snap->devices[d];

		if (dev->has_flows != present || (!present && dev->n_flows))
			abort();
		/* Nothing counted, nothing carried: every peer's forwarded is zero. */
		for (uint32_t p = 0; !present && p < dev->n_peers; ++p)
			if (dev->peers[p].forwarded.from_packets || dev->peers[p].forwarded.to_bytes)
				abort();
		for (uint32_t i = 0; i < dev->n_flows; ++i) {
			const struct wg_flow *f = &dev->flows[i];

			if (f->from >= dev->n_peers || f->to >= dev->n_peers || f->from == f->to)
				abort();
			for (uint32_t j = 0; j < i; ++j)
				if (dev->flows[j].from == f->from && dev->flows[j].to == f->to)
					abort();
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t head = fuzz_byte(&data, &size);
	bool absent = head & 1;
	struct wg_snapshot *snap = make_snapshot();
	struct counters_reading r = { 0 }, part = { 0 }, *to = &r;
	size_t total[2];
	struct counters_plan plan;
	struct nft_batch b;
	static uint64_t msg[MSG_LEN / sizeof(uint64_t)];
	void *buf = msg;

	if (counters_plan_build(&plan, snap) < 0)
		abort();
	/* Sized from a last reading or not, the sets in two parts as two threads read them, joined. */
	r.expect[0] = part.expect[0] = (head >> 1) & 7;
	r.expect[1] = part.expect[1] = (head >> 4) & 7;
	while (next_msg(buf, &data, &size)) {
		int ret;

		to = head & 0x80 && size & 1 ? &part : &r;
		ret = counters_parse_elems(buf, to);
		if (ret && ret != -EBADMSG)
			abort();
		/* A dump stops at the first message it cannot read. */
		if (ret)
			break;
	}
	check_reading(&r);
	check_reading(&part);
	for (int d = 0; d < 2; ++d)
		total[d] = r.n_ranges[d] + part.n_ranges[d];
	if (counters_reading_merge(&r, &part) < 0)
		abort();
	for (int d = 0; d < 2; ++d)
		if (r.n_ranges[d] != total[d])
			abort();
	check_reading(&r);
	r.present = !absent;
	if (counters_apply(snap, &plan, &r) < 0)
		abort();
	check_applied(snap, !absent);
	/* Carried to a later snapshot of the same peers, every peer's figures and the flows stay. */
	{
		struct wg_snapshot *again = make_snapshot();
		struct counters_carry carry = { 0 };

		if (counters_carry_take(&carry, snap) < 0 || counters_carry_apply(&carry, again) < 0)
			abort();
		for (size_t d = 0; d < snap->n_devices; ++d) {
			const struct wg_device *x = snap->devices[d], *y = again->devices[d];

			for (uint32_t p = 0; p < x->n_peers; ++p)
				if (memcmp(&x->peers[p].forwarded, &y->peers[p].forwarded, sizeof(x->peers[p].forwarded)))
					abort();
			if (x->n_flows != y->n_flows ||
			    (x->n_flows && memcmp(x->flows, y->flows, x->n_flows * sizeof(*x->flows))))
				abort();
		}
		counters_carry_free(&carry);
		wg_snapshot_free(again);
	}
	if (nft_batch_init(&b, FUZZ_SEQ, false, 0) < 0 || counters_build_sync(&b, &plan, &r) < 0)
		abort();
	nft_batch_free(&b);
	counters_reading_free(&r);
	counters_plan_free(&plan);
	wg_snapshot_free(snap);
	return 0;
}
