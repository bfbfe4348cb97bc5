// SPDX-License-Identifier: GPL-2.0-or-later
/* The table's rows: filtered, sorted, and the selection that follows its peer. */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "app.h"
#include "app_int.h"
#include "clientconf.h"
#include "format.h"
#include "i18n.h"
#include "key.h"
#include "names.h"
#include "prefix.h"
#include "text.h"

static const char *row_name(const struct wg_device *dev, const struct dev_state *d, const struct app_row *row)
{
	if (row->peer >= 0 && dev)
		return dev->peers[row->peer].name;
	return d ? d->tracks[row->track].gone_name : NULL;
}

const char *app_row_name(const struct app *app, const struct app_row *row)
{
	return row_name(app_device(app), app_dev_state(app), row);
}

/* Whether every character of the filter, lowered, is one of the set's, lowered. */
static bool filter_within(const struct app_filter *f, const char *set)
{
	bool in[256] = { false };

	for (; *set; ++set)
		in[f->lower[(unsigned char)*set]] = true;
	for (size_t i = 0; i < f->len; ++i)
		if (!in[(unsigned char)f->text[i]])
			return false;
	return true;
}

/* tolower() of each byte, as strcasecmp() and strncasecmp() have it in this locale. */
static void lower_table(uint8_t lower[256])
{
	for (unsigned c = 0; c < 256; ++c)
		lower[c] = (uint8_t)tolower((int)c);
}

void app_filter_init(struct app_filter *f, const char *text)
{
	lower_table(f->lower);
	f->len = strnlen(text, sizeof(f->text) - 1);
	for (size_t i = 0; i < f->len; ++i)
		f->text[i] = (char)f->lower[(unsigned char)text[i]];
	f->text[f->len] = '\0';
	f->in_key = filter_within(f, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=");
	f->in_address = filter_within(f, "0123456789abcdefABCDEF.:/[]");
}

/* Whether the filter (not empty) is in hay, case aside: what strncasecmp() at each place says. */
static bool filter_in(const struct app_filter *f, const char *hay)
{
	const uint8_t *h = (const uint8_t *)hay, *t = (const uint8_t *)f->text;

	for (; *h; ++h) {
		size_t i = 0;

		while (i < f->len && h[i] && f->lower[h[i]] == t[i])
			++i;
		if (i == f->len)
			return true;
	}
	return false;
}

static bool row_matches(const struct app_filter *f, const struct wg_device *dev, const struct dev_state *d,
			const struct app_row *row)
{
	const char *name = row_name(dev, d, row);
	char buf[FORMAT_BUF];

	if (name && filter_in(f, name))
		return true;
	if (f->in_key) {
		key_to_base64(buf, d->tracks[row->track].key);
		if (filter_in(f, buf))
			return true;
	}
	if (row->peer < 0)
		return false;
	{
		const struct wg_peer *p = &dev->peers[row->peer];
		bool scoped = p->endpoint.addr.sa_family == AF_INET6 && p->endpoint.addr6.sin6_scope_id;

		if (f->in_address)
			for (uint32_t i = 0; i < p->n_allowedips; ++i)
				if (filter_in(f, format_allowedip(buf, sizeof(buf), &p->allowedips[i])))
					return true;
		return (f->in_address || scoped) && filter_in(f, format_endpoint(buf, sizeof(buf), &p->endpoint));
	}
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_double(double a, double b)
{
	return a < b ? -1 : a > b;
}

/* Online first, then stale, then never. */
static int state_rank(enum peer_state s)
{
	return s == PEER_ONLINE ? 0 : s == PEER_STALE ? 1 : 2;
}

/* What sorting a row looks at, gathered once: 10,000 rows take some 140,000 comparisons. */
struct sort_item {
	struct app_row row;
	const char *name;
	const struct wg_peer *peer;		/* NULL when gone */
	const struct peer_track *track;
};

static struct sort_item sort_item_of(const struct wg_device *dev, const struct dev_state *d, const struct app_row *row)
{
	return (struct sort_item){
		.row = *row,
		.name = row_name(dev, d, row),
		.peer = row->peer >= 0 ? &dev->peers[row->peer] : NULL,
		.track = &d->tracks[row->track],
	};
}

struct sort_ctx {
	enum app_column sort;
	bool sort_reverse;
	int64_t now;
	const struct sort_item *items;
	uint8_t lower[256];		/* tolower() of each byte, as strcasecmp() has it */
	bool ascii_lower;		/* lower[] of ASCII is 'A'-'Z' to 'a'-'z', the rest as is */
	const uint32_t *rank;		/* dev_state.name_rank while valid, else NULL */
	uint32_t n_rank;		/* its length: every rank is below it */
};

static struct sort_ctx sort_ctx_of(const struct app *app)
{
	return (struct sort_ctx){ .sort = app->sort, .sort_reverse = app->sort_reverse,
				  .now = app->snap->wall.tv_sec };
}

/* The whole order: the reference the sort keys below must agree with. */
static int row_cmp(const struct sort_item *a, const struct sort_item *b, const struct sort_ctx *app)
{
	const struct wg_peer *pa = a->peer, *pb = b->peer;
	const struct peer_track *ta = a->track, *tb = b->track;
	const char *na = a->name, *nb = b->name;
	int64_t now = app->now;
	int r = 0;

	/* Vanished peers sink to the bottom whatever the order. */
	if (!pa != !pb)
		return pa ? -1 : 1;
	if (pa && pb) {
		switch (app->sort) {
		case APP_COL_ALLOWED_IPS:
			if (pa->n_allowedips && pb->n_allowedips)
				r = wg_allowedip_cmp(&pa->allowedips[0], &pb->allowedips[0]);
			else
				r = (int)!pa->n_allowedips - (int)!pb->n_allowedips;
			break;
		case APP_COL_ENDPOINT:
			r = (int)pa->endpoint.addr.sa_family - (int)pb->endpoint.addr.sa_family;
			if (!r)
				r = memcmp(&pa->endpoint, &pb->endpoint, sizeof(pa->endpoint));
			break;
		case APP_COL_HANDSHAKE: {
			/* Most recent first; never last. */
			int64_t ha = peer_handshake_age(pa->last_handshake_sec, now);
			int64_t hb = peer_handshake_age(pb->last_handshake_sec, now);

			r = (ha < 0) - (hb < 0);
			if (!r)
				r = ha < hb ? -1 : ha > hb;
			break;
		}
		case APP_COL_STATE:
			r = state_rank(peer_state(pa->last_handshake_sec, now)) -
			    state_rank(peer_state(pb->last_handshake_sec, now));
			break;
		case APP_COL_RX_RATE:
			r = -cmp_double(ta->rate.rx_per_sec, tb->rate.rx_per_sec);
			break;
		case APP_COL_TX_RATE:
			r = -cmp_double(ta->rate.tx_per_sec, tb->rate.tx_per_sec);
			break;
		case APP_COL_RX:
			r = -cmp_u64(pa->rx_bytes, pb->rx_bytes);
			break;
		case APP_COL_TX:
			r = -cmp_u64(pa->tx_bytes, pb->tx_bytes);
			break;
		case APP_COL_FWD_RATE:
			r = -cmp_double(ta->fwd.rx_per_sec + ta->fwd.tx_per_sec,
					tb->fwd.rx_per_sec + tb->fwd.tx_per_sec);
			break;
		case APP_COL_MONTH:
			r = -cmp_u64(pa->usage.month_rx + pa->usage.month_tx, pb->usage.month_rx + pb->usage.month_tx);
			break;
		case APP_COL_NAME:
		default:
			break;
		}
		if (app->sort_reverse)
			r = -r;
	}
	if (r)
		return r;
	/* Then by name, named peers before unnamed ones, then by key: a total, stable order. */
	if (!na != !nb)
		return na ? -1 : 1;
	if (app->rank) {
		/* Within each of those groups the ranks are in that order already (keep_ranks). */
		uint32_t ra = app->rank[a->row.track], rb = app->rank[b->row.track];

		r = ra < rb ? -1 : ra > rb;
	} else if (!na || !nb || !(r = strcasecmp(na, nb))) {
		r = memcmp(ta->key, tb->key, WG_KEY_LEN);
	}
	return app->sort == APP_COL_NAME && app->sort_reverse ? -r : r;
}

/*
 * A row's place in row_cmp's order as words compared in turn, gathered in one pass: at 65,536
 * rows a sort makes a million comparisons, and row_cmp's walk to each peer, its track and its
 * name missed the cache on most of them. Two words hold the column's value (complemented where
 * the order is descending or reversed), two the first sixteen bytes of the name, or for a peer
 * without one all ones and the first eight bytes of its key. Words that differ decide; equal
 * words, or a value the words could not hold whole, leave the decision to row_cmp.
 */
struct sort_key {
	uint64_t w[4];
	uint32_t item;			/* in sort_ctx.items */
	bool gone;
	/*
	 * How many of the words decide against any other key: 4; 2 where w[0] and w[1] hold part
	 * of the column's value; 3 where w[2] cannot tell this name from no name; 0 for a NaN rate,
	 * which row_cmp alone orders. Two keys trust the fewer of their two counts.
	 */
	uint8_t words;
};

/* An order-keeping map of doubles to words; NaN compares equal to everything in row_cmp. */
static uint64_t double_word(double v, bool *unordered)
{
	uint64_t u;

	if (v != v) {
		*unordered = true;
		return 0;
	}
	if (v == 0)
		v = 0;	/* -0.0 equals 0.0 */
	memcpy(&u, &v, sizeof(u));
	return u >> 63 ? ~u : u | UINT64_C(1) << 63;
}

/* The first n (at most 8) bytes at p as a big-endian word, zero-padded. */
static uint64_t be_word(const uint8_t *p, size_t n)
{
	uint8_t b[8] = { 0 };
	uint64_t w;

	memcpy(b, p, n);
	memcpy(&w, b, sizeof(w));
	return be64toh(w);
}

static const uint8_t endpoint_zeros[sizeof(union wg_endpoint) - 16];

static void column_words(struct sort_key *k, const struct sort_item *it, const struct sort_ctx *ctx)
{
	const struct wg_peer *p = it->peer;
	const struct peer_track *t = it->track;
	bool desc = false, unordered = false;

	switch (ctx->sort) {
	case APP_COL_ALLOWED_IPS:
		if (!p->n_allowedips) {
			/*
			 * Last; only an IPv6 address of all ones but maybe its last bit gives the same
			 * words, and it is inexact.
			 */
			k->w[0] = k->w[1] = UINT64_MAX;
		} else if (p->allowedips[0].family == AF_INET) {
			k->w[0] = be_word((const uint8_t *)&p->allowedips[0].ip4, 4) >> 1;
			k->w[1] = p->allowedips[0].cidr;
		} else {
			uint64_t hi = be_word(p->allowedips[0].ip6.s6_addr, 8);
			uint64_t lo = be_word(p->allowedips[0].ip6.s6_addr + 8, 8);

			k->w[0] = UINT64_C(1) << 63 | hi >> 1;
			k->w[1] = hi << 63 | lo >> 1;
			k->words = 2;	/* the last bit and the prefix length left out */
		}
		break;
	case APP_COL_ENDPOINT: {
		const uint8_t *b = (const uint8_t *)&p->endpoint;

		k->w[0] = (uint64_t)p->endpoint.addr.sa_family << 48 | be_word(b + 2, 6) >> 16;
		k->w[1] = be_word(b + 8, 8);
		/* An IPv6 scope or the address's last 8 bytes are past the words: row_cmp decides. */
		if (memcmp(b + 16, endpoint_zeros, sizeof(p->endpoint) - 16))
			k->words = 2;
		break;
	}
	case APP_COL_HANDSHAKE: {
		int64_t age = peer_handshake_age(p->last_handshake_sec, ctx->now);

		k->w[0] = age < 0;
		k->w[1] = (uint64_t)age ^ UINT64_C(1) << 63;
		break;
	}
	case APP_COL_STATE:
		k->w[0] = (uint64_t)state_rank(peer_state(p->last_handshake_sec, ctx->now));
		break;
	case APP_COL_RX_RATE:
		k->w[0] = double_word(t->rate.rx_per_sec, &unordered);
		desc = true;
		break;
	case APP_COL_TX_RATE:
		k->w[0] = double_word(t->rate.tx_per_sec, &unordered);
		desc = true;
		break;
	case APP_COL_RX:
		k->w[0] = p->rx_bytes;
		desc = true;
		break;
	case APP_COL_TX:
		k->w[0] = p->tx_bytes;
		desc = true;
		break;
	case APP_COL_FWD_RATE:
		k->w[0] = double_word(t->fwd.rx_per_sec + t->fwd.tx_per_sec, &unordered);
		desc = true;
		break;
	case APP_COL_MONTH:
		k->w[0] = p->usage.month_rx + p->usage.month_tx;
		desc = true;
		break;
	case APP_COL_NAME:
	default:
		break;
	}
	if (desc != ctx->sort_reverse) {
		k->w[0] = ~k->w[0];
		k->w[1] = ~k->w[1];
	}
	if (unordered)
		k->words = 0;
}

/* Each byte of x below 0x80 that is 'A' to 'Z' as 'a' to 'z'; eight at a time. */
static uint64_t ascii_lower8(uint64_t x)
{
	const uint64_t ones = UINT64_C(0x0101010101010101);
	/* With no byte at 0x80 or above, no sum carries into the next byte. */
	uint64_t from_a = x + ones * (0x80 - 'A'), past_z = x + ones * (0x7f - 'Z');

	return x | ((from_a & ~past_z & ones * 0x80) >> 2);
}

/*
 * The first sixteen bytes of a name, lowered, as two big-endian words (zero past its end). A
 * byte at a time through the table was a fifth of a key that sorts 100,000 rows; ASCII, in a
 * locale that lowers it plainly, goes eight bytes at a time.
 */
static void name_words(uint64_t w[2], const char *name, const struct sort_ctx *ctx)
{
	uint8_t b[16] = { 0 };
	uint64_t x[2];
	size_t len = strnlen(name, sizeof(b));

	/* Two copies that may overlap, as memcpy itself does it, without its call. */
	if (len >= 8) {
		memcpy(b, name, 8);
		memcpy(b + len - 8, name + len - 8, 8);
	} else if (len >= 4) {
		memcpy(b, name, 4);
		memcpy(b + len - 4, name + len - 4, 4);
	} else {
		for (size_t i = 0; i < len; ++i)
			b[i] = (uint8_t)name[i];
	}
	memcpy(x, b, sizeof(x));
	if (ctx->ascii_lower && !((x[0] | x[1]) & UINT64_C(0x8080808080808080))) {
		w[0] = be64toh(ascii_lower8(x[0]));
		w[1] = be64toh(ascii_lower8(x[1]));
		return;
	}
	w[0] = w[1] = 0;
	for (size_t i = 0; i < len; ++i)
		w[i / 8] |= (uint64_t)ctx->lower[b[i]] << (56 - 8 * (i % 8));
}

/*
 * A row's name and key as one word, from the ranks (ctx->rank, valid): never the same for two
 * rows; named rows before unnamed ones in either direction, as row_cmp has them, then by rank,
 * complemented in a reversed sort by name. sort_key_make, reuse_order and place_by_rank all
 * read this layout.
 */
static uint64_t rank_word(const struct sort_ctx *ctx, uint32_t track, bool named)
{
	uint32_t r = ctx->rank[track];

	return (uint64_t)!named << 32 | (ctx->sort == APP_COL_NAME && ctx->sort_reverse ? ~r : r);
}

static void sort_key_make(struct sort_key *k, uint32_t item, const struct sort_ctx *ctx)
{
	const struct sort_item *it = &ctx->items[item];
	bool reverse = ctx->sort == APP_COL_NAME && ctx->sort_reverse;

	*k = (struct sort_key){ .item = item, .gone = !it->peer, .words = 4 };
	if (it->peer)
		column_words(k, it, ctx);
	if (ctx->rank) {
		k->w[2] = rank_word(ctx, it->row.track, it->name);
		if (k->words > 3)
			k->words = 3;
		return;
	}
	if (!it->name) {
		/* Named peers first, also in a reversed sort by name; then by key. */
		k->w[2] = UINT64_MAX;
		k->w[3] = be_word(it->track->key, 8);
		if (reverse)
			k->w[3] = ~k->w[3];
		return;
	}
	name_words(k->w + 2, it->name, ctx);
	if (reverse) {
		k->w[2] = ~k->w[2];
		k->w[3] = ~k->w[3];
	}
	/* A name whose words say "unnamed": an empty one reversed, or one of eight 0xff bytes. */
	if (k->w[2] == UINT64_MAX && k->words > 3)
		k->words = 3;
}

/*
 * key_cmp within a run, whose keys are all present or all gone and alike in the words before
 * first: 100,000 rows sorted by name end in 10,000 runs of ten, and comparing them from the
 * first word was a fifth of the sort.
 */
static inline int run_cmp(const struct sort_key *a, const struct sort_key *b, unsigned first,
			  const struct sort_ctx *ctx)
{
	unsigned words = a->words < b->words ? a->words : b->words;

	for (unsigned i = first; i < words; ++i)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return row_cmp(&ctx->items[a->item], &ctx->items[b->item], ctx);
}

static int key_cmp(const void *va, const void *vb, void *vctx)
{
	const struct sort_key *a = va, *b = vb;

	if (a->gone != b->gone)
		return a->gone ? 1 : -1;
	return run_cmp(a, b, 0, vctx);
}

/*
 * A row's place in a sort by name while the ranks are valid, as one word: vanished rows last,
 * then rank_word (row_cmp's order).
 */
static uint64_t name_rank_word(const struct wg_device *dev, const struct dev_state *d, const struct app_row *row,
			       const struct sort_ctx *ctx)
{
	return (uint64_t)(row->peer < 0) << 33 | rank_word(ctx, row->track, row_name(dev, d, row));
}

/*
 * The rows put in the order of the last sort, if that order still sorts them: 1, else 0 (the
 * rows as they were), or -ENOMEM. Between two refreshes little moves: checking takes n - 1
 * comparisons where sorting 10,000 rows takes some 140,000, so the check is the refresh's
 * usual path, done with row_cmp alone (gathering the sort's words for every row each second
 * cost more), on each row's items as it comes. The check alone decides, so a stale or
 * shuffled order only costs the check.
 */
static int reuse_order(struct app *app, const struct wg_device *dev, const struct dev_state *d, uint32_t n,
		       const struct sort_ctx *ctx)
{
	/* Sorted by name, the usual case, the ranks alone decide: a word a row, not a row_cmp. */
	bool by_rank = ctx->rank && ctx->sort == APP_COL_NAME;
	struct sort_item prev = { 0 }, cur;
	uint64_t prev_word = 0, word;
	struct app_row *rows = NULL;
	uint32_t *pos = NULL;
	int ret = 0;

	/* Sorted by another column, the rows are seldom in order for this one: a key sorts. */
	if (app->n_order != n || app->order_sort != ctx->sort || app->order_reverse != ctx->sort_reverse)
		return 0;
	pos = malloc((size_t)d->n_tracks * sizeof(*pos));
	rows = malloc((size_t)n * sizeof(*rows));
	if (!pos || !rows) {
		ret = -ENOMEM;
		goto out;
	}
	for (uint32_t t = 0; t < d->n_tracks; ++t)
		pos[t] = UINT32_MAX;
	for (uint32_t i = 0; i < n; ++i)
		pos[app->rows[i].track] = i;
	for (uint32_t k = 0; k < n; ++k) {
		uint32_t t = app->order[k];

		if (t >= d->n_tracks || pos[t] == UINT32_MAX)
			goto out;
		rows[k] = app->rows[pos[t]];
		pos[t] = UINT32_MAX;
		if (by_rank) {
			word = name_rank_word(dev, d, &rows[k], ctx);
			if (k && prev_word > word)
				goto out;
			prev_word = word;
			continue;
		}
		cur = sort_item_of(dev, d, &rows[k]);
		if (k && row_cmp(&prev, &cur, ctx) > 0)
			goto out;
		prev = cur;
	}
	memcpy(app->rows, rows, (size_t)n * sizeof(*rows));
	ret = 1;
out:
	free(pos);
	free(rows);
	return ret;
}

/* Runs this short are sorted by insertion: 256 buckets cost more than they save. */
#define RADIX_MIN 24

static void insertion_sort(struct sort_key *k, uint32_t n, unsigned first, struct sort_ctx *ctx)
{
	for (uint32_t i = 1; i < n; ++i) {
		struct sort_key x = k[i];
		uint32_t j = i;

		for (; j && run_cmp(&k[j - 1], &x, first, ctx) > 0; --j)
			k[j] = k[j - 1];
		k[j] = x;
	}
}

/*
 * A run that only the rank word (w[2], sort_key_make) still orders: each key's place is that
 * word, so the keys are put there in one pass and read out in another, where bytes would take
 * three or four passes (a sort of 100,000 idle rows by a column they all share). The word
 * holds whether the row is unnamed, then the rank, complemented in a reversed sort by name:
 * 2 * n_rank places. false, with nothing moved, for a run too sparse for that (the byte passes
 * cost less) or without memory.
 */
static bool place_by_rank(struct sort_key *src, struct sort_key *dst, uint32_t n, bool to_dst,
			  const struct sort_ctx *ctx)
{
	bool reverse = ctx->sort == APP_COL_NAME && ctx->sort_reverse;
	uint64_t places = 2 * (uint64_t)ctx->n_rank;
	uint32_t *at, j = 0;

	if ((uint64_t)n * 8 < places || !(at = calloc(places, sizeof(*at))))
		return false;
	for (uint32_t i = 0; i < n; ++i) {
		uint32_t low = (uint32_t)src[i].w[2];
		uint64_t r = reverse ? (uint32_t)~low : low;
		uint64_t p = (src[i].w[2] >> 32) * ctx->n_rank + (reverse ? ctx->n_rank - 1 - r : r);

		/* Not a rank word after all (a rank out of range, or one twice): the bytes decide. */
		if (r >= ctx->n_rank || p >= places || at[p]) {
			free(at);
			return false;
		}
		at[p] = i + 1;
	}
	for (uint64_t p = 0; p < places; ++p)
		if (at[p])
			dst[j++] = src[at[p] - 1];
	free(at);
	if (!to_dst)
		memcpy(src, dst, (size_t)n * sizeof(*src));
	return true;
}

/*
 * Most significant byte first, a byte of the words at a time: the first byte in which the keys
 * of a run differ splits it into 256 buckets, whose order is key_cmp's. A run of keys all of one
 * state (present or gone) comes in. A run whose words are all equal, or differ only where some
 * key's words stop deciding, is left to key_cmp; short runs go to an insertion sort by run_cmp.
 * A million comparisons through qsort took most of the time of a key that sorts 100,000 rows;
 * the words settle nearly all of them in a few passes. At most 32 levels deep: each fixes one more byte.
 *
 * The keys are in src, and dst is as long; the sorted run ends up in dst when to_dst, else in
 * src. Each level scatters into the other array, so nothing is copied back but the runs that
 * end on the wrong side.
 */
static void radix_sort(struct sort_key *src, struct sort_key *dst, uint32_t n, bool to_dst, unsigned first,
		       struct sort_ctx *ctx)
{
	uint32_t count[256], at[256];
	uint64_t diff[4] = { 0 };
	unsigned words = 4, w, shift;

	if (n <= RADIX_MIN) {
		insertion_sort(src, n, first, ctx);
		goto done;
	}
	/*
	 * Below the top, the run's keys decide by more words than first (the run was split there),
	 * and nearly always still differ in that word: then it is the only one to look at.
	 */
	if (first) {
		for (uint32_t i = 0; i < n; ++i)
			diff[first] |= src[i].w[first] ^ src[0].w[first];
	}
	if (diff[first]) {
		w = first;
	} else {
		for (uint32_t i = 0; i < n; ++i) {
			if (src[i].words < words)
				words = src[i].words;
			for (w = 0; w < 4; ++w)
				diff[w] |= src[i].w[w] ^ src[0].w[w];
		}
		for (w = first; w < words && !diff[w]; ++w)
			;
	}
	if (w == words) {
		qsort_r(src, n, sizeof(*src), key_cmp, ctx);
		goto done;
	}
	/* Every key here decides by w[2] (words > w): with ranks, that is each one's place. */
	if (w == 2 && ctx->rank && place_by_rank(src, dst, n, to_dst, ctx))
		return;
	shift = 56 - ((unsigned)__builtin_clzll(diff[w]) & ~7u);
	memset(count, 0, sizeof(count));
	for (uint32_t i = 0; i < n; ++i)
		count[src[i].w[w] >> shift & 0xff]++;
	for (uint32_t b = 0, sum = 0; b < 256; ++b) {
		at[b] = sum;
		sum += count[b];
	}
	for (uint32_t i = 0; i < n; ++i)
		dst[at[src[i].w[w] >> shift & 0xff]++] = src[i];
	/* Each bucket is in dst now: sorting it from there, the sides swap. */
	for (uint32_t b = 0, start = 0; b < 256; start += count[b++]) {
		if (count[b] > 1)
			radix_sort(dst + start, src + start, count[b], !to_dst, w, ctx);
		else if (count[b] && !to_dst)
			src[start] = dst[start];
	}
	return;
done:
	if (to_dst)
		memcpy(dst, src, (size_t)n * sizeof(*src));
}

/*
 * The items' rows into rows, sorted by their words, the present before the gone. 0 or -ENOMEM.
 * Straight from the keys: a sorted copy of the items, copied back before their rows were taken,
 * cost 4 % of the instructions of a key that sorts 100,000 rows, and faulted its pages in anew.
 */
static int sort_items(const struct sort_item *items, uint32_t n, struct sort_ctx *ctx, struct app_row *rows)
{
	struct sort_key *keys = malloc((size_t)n * 2 * sizeof(*keys));
	uint32_t present = 0, gone = n;

	if (!keys)
		return -ENOMEM;
	ctx->items = items;
	lower_table(ctx->lower);
	ctx->ascii_lower = true;
	for (unsigned c = 0; c < 0x80; ++c)
		if (ctx->lower[c] != (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c))
			ctx->ascii_lower = false;
	/* The names are all over the heap: asked for a few rows ahead, they come in meanwhile. */
	for (uint32_t i = 0; i < n; ++i) {
		if (!ctx->rank && i + 16 < n && items[i + 16].name)
			__builtin_prefetch(items[i + 16].name);
		sort_key_make(&keys[items[i].peer ? present++ : --gone], i, ctx);
	}
	radix_sort(keys, keys + n, present, false, 0, ctx);
	radix_sort(keys + present, keys + n + present, n - present, false, 0, ctx);
	for (uint32_t i = 0; i < n; ++i)
		rows[i] = items[keys[i].item].row;
	free(keys);
	return 0;
}

/*
 * What the rows' names depend on, into stamp: the tracks (which are there, which vanished,
 * with their names) and the device's name holds, whose serials say which names, unchanging.
 */
static void names_stamp(const struct wg_device *dev, const struct dev_state *d, uint64_t stamp[3])
{
	stamp[0] = d->tracks_gen;
	stamp[1] = dev->name_holds[0] ? dev->name_holds[0]->serial : 0;
	stamp[2] = dev->name_holds[1] ? dev->name_holds[1]->serial : 0;
}

/*
 * Whether every peer's name is a name hold's: a copy of its own is covered by no serial. Once a
 * snapshot (tick): its names stay as they are, and the scan reads every peer, 20 MB beside
 * 100,000 of them, where a key that sorts by name asked twice (ranks_now, keep_ranks).
 */
static bool names_held(const struct wg_device *dev, struct dev_state *d, uint64_t tick)
{
	if (d->held_valid && d->held_tick == tick)
		return d->held;
	d->held = true;
	for (uint32_t i = 0; i < dev->n_peers && d->held; ++i)
		if (dev->peers[i].name && !dev->peers[i].name_shared)
			d->held = false;
	d->held_tick = tick;
	d->held_valid = true;
	return d->held;
}

/*
 * The tracks' ranks by name, when nothing they depend on has changed since a sort of every row
 * by name made them; else NULL. On a big hub most rows are alike in most columns (idle peers,
 * no handshake yet), and such a sort is decided by the names: their words took a key that sorts
 * 100,000 rows through five or more radix passes, a rank through three.
 */
static const uint32_t *ranks_now(const struct wg_device *dev, struct dev_state *d, uint64_t tick)
{
	uint64_t stamp[3];

	if (!d->rank_valid)
		return NULL;
	names_stamp(dev, d, stamp);
	if (memcmp(stamp, d->rank_stamp, sizeof(stamp)) || !names_held(dev, d, tick))
		return NULL;
	return d->name_rank;
}

/*
 * After a sort by name of every track: each track's place in it. Vanished rows come after the
 * rest, and unnamed ones after the named, in either direction: a reversed sort's places are
 * counted from its end, which orders the tracks by name and key within each of those groups.
 * That is all a sort needs of them: it keeps the groups apart itself (sort_key_make).
 */
static void keep_ranks(const struct wg_device *dev, struct dev_state *d, uint64_t tick, const struct app_row *rows,
		       uint32_t n, bool reverse)
{
	uint64_t stamp[3];
	uint32_t *rank;

	if (n != d->n_tracks)
		return;
	/* Kept while what they depend on is: a refresh by name each second costs a comparison. */
	names_stamp(dev, d, stamp);
	if (d->rank_valid && !memcmp(stamp, d->rank_stamp, sizeof(stamp)))
		return;
	d->rank_valid = false;
	if (!names_held(dev, d, tick))
		return;
	if (!(rank = realloc(d->name_rank, (size_t)(n ? n : 1) * sizeof(*rank))))
		return;
	d->name_rank = rank;
	for (uint32_t i = 0; i < n; ++i)
		rank[rows[i].track] = reverse ? n - 1 - i : i;
	memcpy(d->rank_stamp, stamp, sizeof(stamp));
	d->rank_valid = true;
}

static void keep_order(struct app *app, const struct app_row *rows, uint32_t n)
{
	uint32_t *order = realloc(app->order, (size_t)(n ? n : 1) * sizeof(*order));

	if (!order) {
		app->n_order = 0;
		return;
	}
	app->order = order;
	for (uint32_t i = 0; i < n; ++i)
		order[i] = rows[i].track;
	app->n_order = n;
	app->order_sort = app->sort;
	app->order_reverse = app->sort_reverse;
}

int64_t app_rows_misordered(const struct app *app)
{
	const struct wg_device *dev = app_device(app);
	const struct dev_state *d = app_dev_state(app);
	struct sort_item prev = { 0 }, cur;
	struct sort_ctx ctx;

	if (!dev || !d)
		return -1;
	ctx = sort_ctx_of(app);
	for (uint32_t i = 0; i < app->n_rows; ++i) {
		cur = sort_item_of(dev, d, &app->rows[i]);
		if (i && row_cmp(&prev, &cur, &ctx) > 0)
			return i;
		prev = cur;
	}
	return -1;
}

int64_t app_selected_row(const struct app *app)
{
	const struct dev_state *d = app_dev_state(app);
	int64_t t;

	if (!d || !d->selected_valid)
		return -1;
	/* Its track, looked up once: a row is its track's index, not a key to compare. */
	if ((t = keyidx_find(&d->index, d->tracks, d->selected)) < 0)
		return -1;
	for (uint32_t i = 0; i < app->n_rows; ++i)
		if (app->rows[i].track == (uint32_t)t)
			return i;
	return -1;
}

void app_select_row(struct app *app, int64_t row)
{
	struct dev_state *d = app_dev_state(app);

	if (!d)
		return;
	if (!app->n_rows) {
		d->selected_valid = false;
		return;
	}
	if (row < 0)
		row = 0;
	if (row >= app->n_rows)
		row = app->n_rows - 1;
	memcpy(d->selected, d->tracks[app->rows[row].track].key, WG_KEY_LEN);
	d->selected_valid = true;
	d->selected_row = (uint32_t)row;
}

int app_rows_settle(struct app *app)
{
	return app->rows_stale ? app_rows_refresh(app) : 0;
}

int app_rows_refresh(struct app *app)
{
	const struct wg_device *dev = app_device(app);
	struct dev_state *d = app_dev_state(app);
	struct app_gathered *g = &app->gathered;
	bool all = !app->filter[0];
	struct app_filter filter;
	uint64_t stamp[3];
	uint32_t need, n = 0;
	int64_t sel;

	app->rows_stale = false;
	app->n_rows = 0;
	if (!dev || !d) {
		g->valid = false;
		return 0;
	}
	if (!all)
		app_filter_init(&filter, app->filter);
	need = d->n_tracks;
	if (need > app->cap_rows) {
		struct app_row *rows = realloc(app->rows, (size_t)need * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		app->rows = rows;
		app->cap_rows = need;
	}
	/*
	 * Each present track knows its peer's place in the snapshot it was last seen in: no lookup
	 * by key per row, nor a check of the key when that snapshot is this one. The order the rows
	 * are gathered in does not matter: the sort's order is total (but for NaN rates, which no
	 * reading gives). So the rows gathered last time serve again when nothing they were gathered
	 * from has changed: a key that sorts by another column read every track (15 MB beside
	 * 100,000 peers) for the same rows. Kept in the order they were gathered in, the tracks'
	 * own: taken in the last sort's order, the sort's reading of each row's peer and track went
	 * all over memory and took longer than the gathering it spared.
	 */
	names_stamp(dev, d, stamp);
	if (g->valid && g->tick == app->tick && g->cur == app->cur && g->n_tracks == d->n_tracks &&
	    !memcmp(g->stamp, stamp, sizeof(stamp)) && !strcmp(g->filter, app->filter)) {
		n = g->n;
		memcpy(app->rows, g->rows, (size_t)n * sizeof(*app->rows));
		g->reused++;
		goto gathered;
	}
	g->valid = false;
	for (uint32_t i = 0; i < d->n_tracks; ++i) {
		const struct peer_track *t = &d->tracks[i];
		int64_t peer = -1;

		if (t->present) {
			peer = t->peer;
			if (peer >= dev->n_peers ||
			    (t->seen_tick != app->tick && memcmp(dev->peers[peer].public_key, t->key, WG_KEY_LEN))) {
				const struct wg_peer *p = wg_device_find_peer(dev, t->key);

				if (!p)
					continue;
				peer = p - dev->peers;
			}
		}
		app->rows[n] = (struct app_row){ .peer = (int32_t)peer, .track = i };
		if (all || row_matches(&filter, dev, d, &app->rows[n]))
			n++;
	}
	if (n > g->cap) {
		struct app_row *rows = realloc(g->rows, (size_t)n * sizeof(*rows));

		if (rows) {
			g->rows = rows;
			g->cap = n;
		}
	}
	if (n <= g->cap && n) {
		memcpy(g->rows, app->rows, (size_t)n * sizeof(*app->rows));
		g->valid = true;
		g->tick = app->tick;
		g->cur = app->cur;
		g->n_tracks = d->n_tracks;
		g->n = n;
		memcpy(g->stamp, stamp, sizeof(stamp));
		memcpy(g->filter, app->filter, sizeof(g->filter));
	}
gathered:
	app->n_rows = n;
	if (n > 1) {
		struct sort_ctx ctx = sort_ctx_of(app);
		int reused;

		/* The check of the last order compares ranks too, where names decide most pairs. */
		ctx.rank = ranks_now(dev, d, app->tick);
		ctx.n_rank = d->n_tracks;
		if ((reused = reuse_order(app, dev, d, n, &ctx)) < 0)
			return reused;
		if (!reused) {
			struct sort_item *items = malloc((size_t)n * sizeof(*items));

			if (!items)
				return -ENOMEM;
			for (uint32_t i = 0; i < n; ++i)
				items[i] = sort_item_of(dev, d, &app->rows[i]);
			if (ctx.rank)
				d->rank_sorts++;
			if (sort_items(items, n, &ctx, app->rows) < 0) {
				free(items);
				return -ENOMEM;
			}
			free(items);
			keep_order(app, app->rows, n);
		}
		if (app->sort == APP_COL_NAME)
			keep_ranks(dev, d, app->tick, app->rows, n, app->sort_reverse);
	}

	sel = app_selected_row(app);
	if (sel >= 0)
		d->selected_row = (uint32_t)sel;
	else
		app_select_row(app, d->selected_valid ? d->selected_row : 0);
	return 0;
}


const char *app_column_title(enum app_column col)
{
	switch (col) {
	case APP_COL_NAME:
		return _("NAME");
	case APP_COL_ALLOWED_IPS:
		return _("ALLOWED IPS");
	case APP_COL_ENDPOINT:
		return _("ENDPOINT");
	case APP_COL_HANDSHAKE:
		return _("HANDSHAKE");
	case APP_COL_STATE:
		return _("STATE");
	case APP_COL_RX_RATE:
		return _("RX/s");
	case APP_COL_TX_RATE:
		return _("TX/s");
	case APP_COL_RX:
		return _("RX");
	case APP_COL_TX:
		return _("TX");
	case APP_COL_FWD_RATE:
		return _("FWD/s");
	case APP_COL_MONTH:
		/* TRANSLATORS: a column: bytes received and sent this month */
		return _("MONTH");
	default:
		return "";
	}
}

/* Key handlers: they change the state and say what the loop must do; they never draw. */

bool app_column_available(const struct dev_state *d, enum app_column col)
{
	switch (col) {
	case APP_COL_FWD_RATE:
		return d && d->counting;
	case APP_COL_MONTH:
		return d && d->ledger;
	default:
		return true;
	}
}

bool app_filter_event(const struct app_filter *f, const struct wg_history_event *e)
{
	char b64[WG_KEY_B64_LEN];

	if (filter_in(f, e->type) || filter_in(f, e->name) || filter_in(f, e->summary))
		return true;
	if (!e->has_key || !f->in_key)
		return false;
	key_to_base64(b64, e->key);
	return filter_in(f, b64);
}
