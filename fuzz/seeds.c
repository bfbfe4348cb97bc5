// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the binary seed inputs of the netlink harnesses (see each one's header for its format)
 * into CORPUS/HARNESS/, from a build configured with --enable-fuzzing:
 *   build/fuzz/seeds fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include "fuzz.h"
#include "nlbuild.h"

#define MAX_ENDS 256

static const char *corpus;

static FILE *seed_open(const char *harness, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", corpus, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, harness, name);
	return fopen(path, "wb");
}

static int seed_close(FILE *f)
{
	int ret = ferror(f) ? -EIO : 0;

	if (fclose(f))
		ret = -errno;
	return ret;
}

/* The selector byte, then each receive buffer b->buf[ends[i - 1], ends[i]) with its length. */
static int write_seed(const char *harness, const char *name, uint8_t selector, const struct nlb *b,
		      const size_t *ends, size_t n_ends)
{
	FILE *f = seed_open(harness, name);
	size_t start = 0;

	if (!f)
		return -errno;
	fputc(selector, f);
	for (size_t i = 0; i < n_ends; ++i) {
		size_t len = ends[i] - start;

		fputc((int)(len & 0xff), f);
		fputc((int)(len >> 8), f);
		fwrite(b->buf + start, 1, len, f);
		start = ends[i];
	}
	return seed_close(f);
}

/* The whole buffer as one receive. */
static int write_one(const char *harness, const char *name, uint8_t selector, const struct nlb *b)
{
	return write_seed(harness, name, selector, b, &b->len, 1);
}

static struct wg_device *sample(unsigned int peers, unsigned int aips)
{
	struct wg_device *dev = wg_device_new("wg0");
	uint8_t key[WG_KEY_LEN];

	dev->ifindex = 4;
	dev->listen_port = 51820;
	dev->has_public_key = true;
	nlb_key(dev->public_key, 1);
	for (unsigned int i = 0; i < peers; ++i) {
		struct wg_peer *p;

		nlb_key(key, 10 + i);
		p = wg_device_get_peer(dev, key, NULL);
		nlb_endpoint(&p->endpoint, i % 2 ? AF_INET6 : AF_INET, i % 2 ? "2001:db8::1" : "192.0.2.1",
			     (uint16_t)(51820 + i));
		p->last_handshake_sec = i ? 1700000000 : 0;
		p->rx_bytes = 1000 * i;
		p->tx_bytes = 77 * i;
		p->persistent_keepalive = i % 2 ? 25 : 0;
		for (unsigned int j = 0; j < aips; ++j) {
			struct wg_allowedip aip = nlb_aip(j % 2 ? AF_INET6 : AF_INET, j % 2 ? "fd00::" : "10.172.16.0",
							  (uint8_t)(j % 2 ? 120 : 24));

			if (j % 2)
				aip.ip6.s6_addr[15] = (uint8_t)j;
			else
				aip.ip4.s_addr = htonl(0x0aac1000 + j);
			wg_peer_add_allowedip(p, &aip);
		}
	}
	return dev;
}

/* A device dump of a sample device, cut into messages of at most msg_len bytes. */
static int write_dump(struct nlb *b, const char *name, unsigned int peers, unsigned int aips, size_t msg_len)
{
	static const uint8_t priv[WG_KEY_LEN] = { 0x5a };
	struct wg_device *dev = sample(peers, aips);
	size_t ends[MAX_ENDS], n_ends;
	int ret = 0;

	nlb_reset(b);
	if (!nlb_wg_dump(b, dev, priv, NULL, FUZZ_FAMILY, FUZZ_SEQ, 0, msg_len, ends, MAX_ENDS, &n_ends))
		ret = 1;
	ret |= write_seed("fuzz_nlwg", name, 0, b, ends, n_ends);
	wg_device_free(dev);
	return ret;
}

static int seeds_nlwg(struct nlb *b)
{
	const char *h = "fuzz_nlwg";
	struct nlmsghdr *nlh;
	int ret = 0;

	ret |= write_dump(b, "device-whole", 3, 2, 32768);
	ret |= write_dump(b, "device-split", 4, 9, 400);
	ret |= write_dump(b, "device-no-peers", 0, 0, 32768);

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ, 0, -EPERM);
	ret |= write_one(h, "device-eperm", 0, b);

	nlb_reset(b);
	nlb_genl(b, FUZZ_FAMILY, NLM_F_MULTI | NLM_F_DUMP_INTR, FUZZ_SEQ, 0, WG_CMD_GET_DEVICE);
	nlb_end(b);
	nlb_done(b, FUZZ_SEQ, 0, -ENODEV, 0);
	ret |= write_one(h, "device-intr-error", 0, b);

	nlb_reset(b);
	nlb_link(b, FUZZ_SEQ, 0, 1, "lo", NULL);
	nlb_link(b, FUZZ_SEQ, 0, 2, "wg0", "wireguard");
	nlb_link(b, FUZZ_SEQ, 0, 3, "tun0", "tun");
	nlb_done(b, FUZZ_SEQ, 0, 0, 0);
	ret |= write_one(h, "links-mixed", 1, b);

	nlb_reset(b);
	nlh = nlb_genl(b, GENL_ID_CTRL, 0, FUZZ_SEQ, 0, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FUZZ_FAMILY);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, WG_GENL_VERSION);
	nlb_end(b);
	ret |= write_one(h, "family-reply", 2, b);

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ, 0, -ENOENT);
	ret |= write_one(h, "family-enoent", 2, b);
	return ret;
}

/* fuzz_wgset: the ack of request FUZZ_SEQ, alone or after other traffic. */
static int seeds_wgset(struct nlb *b)
{
	const char *h = "fuzz_wgset";
	size_t ends[2];
	int ret = 0;

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ, 0, 0);
	ret |= write_one(h, "ack", 0, b);

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ + 1, FUZZ_PORTID, 0);
	nlb_error(b, FUZZ_SEQ, FUZZ_PORTID + 1, 0);
	nlb_error(b, FUZZ_SEQ, FUZZ_PORTID, -ENODEV);
	ret |= write_one(h, "enodev-after-others", 1, b);

	nlb_reset(b);
	nlb_genl(b, FUZZ_FAMILY, 0, FUZZ_SEQ, 0, WG_CMD_SET_DEVICE);
	nlb_end(b);
	ends[0] = b->len;
	nlb_done(b, FUZZ_SEQ, 0, 0, 0);
	ends[1] = b->len;
	ret |= write_seed(h, "done-in-second-buffer", 0, b, ends, 2);
	return ret;
}

/* An nf_tables message: the generic header, then attributes. */
static struct nlmsghdr *nft_msg(struct nlb *b, uint8_t type, uint8_t family, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *nlh = nlb_msg(b, (uint16_t)(NFNL_SUBSYS_NFTABLES << 8 | type), flags, seq, 0);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(7);
	return nlh;
}

static void nft_newgen(struct nlb *b, uint32_t seq, uint32_t genid)
{
	struct nlmsghdr *nlh = nft_msg(b, NFT_MSG_NEWGEN, AF_UNSPEC, 0, seq);

	mnl_attr_put_u32(nlh, NFTA_GEN_ID, htonl(genid));
	mnl_attr_put_u32(nlh, NFTA_GEN_PROC_PID, htonl(4242));
	mnl_attr_put_strz(nlh, NFTA_GEN_PROC_NAME, "nft");
	nlb_end(b);
}

/*
 * fuzz_nft: the first byte as its header says (3 commands, with the generation, committed:
 * 0x36); the begin message has FUZZ_SEQ, the commands the numbers after it.
 */
static int seeds_nft(struct nlb *b)
{
	const char *h = "fuzz_nft";
	size_t ends[2];
	int ret = 0;

	nlb_reset(b);
	for (uint32_t i = 1; i <= 3; ++i)
		nlb_error(b, FUZZ_SEQ + i, 0, 0);
	ret |= write_one(h, "acks", 0x36, b);

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ + 1, 0, 0);
	ends[0] = b->len;
	nlb_error(b, FUZZ_SEQ + 2, 0, -ENOENT);
	nlb_error(b, FUZZ_SEQ + 3, 0, 0);
	ends[1] = b->len;
	ret |= write_seed(h, "acks-error-split", 0x36, b, ends, 2);

	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ, FUZZ_PORTID, -ERESTART);
	ret |= write_one(h, "acks-restart", 0x76, b);

	nlb_reset(b);
	nft_newgen(b, FUZZ_SEQ + 1, 41);
	nlb_error(b, FUZZ_SEQ + 1, 0, 0);
	ret |= write_one(h, "acks-echo", 0x22, b);

	nlb_reset(b);
	nft_newgen(b, FUZZ_SEQ, 42);
	nlb_done(b, FUZZ_SEQ, 0, 0, 0);
	ret |= write_one(h, "genid", 0x01, b);

	/* Once read past the buffer: a length above INT_MAX, an error that is no errno. */
	nlb_reset(b);
	nlb_msg(b, NLMSG_ERROR, 0, FUZZ_SEQ + 1, 0)->nlmsg_len = 0x80000010;
	ends[0] = sizeof(struct nlmsghdr);
	ret |= write_seed(h, "regress-huge-len", 0x36, b, ends, 1);
	nlb_reset(b);
	nlb_error(b, FUZZ_SEQ + 1, 0, INT32_MIN);
	ret |= write_one(h, "regress-not-errno", 0x36, b);
	return ret;
}

/* fuzz_counters: messages and elements as its header says, written one after another. */
struct records {
	uint8_t buf[1024];
	size_t len;
};

static void rec_put(struct records *r, const void *p, size_t n)
{
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void rec_msg(struct records *r, uint8_t set, uint8_t n_elems, bool last)
{
	uint8_t head[2] = { set, (uint8_t)(n_elems | (last ? 8 : 0)) };

	rec_put(r, head, sizeof(head));
}

static void rec_elem(struct records *r, const uint8_t *key, const uint8_t *end, size_t klen, uint64_t packets)
{
	uint8_t shape = (uint8_t)(klen | (end ? 0x40 : 0) | 0x80);
	uint64_t bytes = packets * 84;

	rec_put(r, &shape, 1);
	rec_put(r, key, klen);
	if (end)
		rec_put(r, end, klen);
	rec_put(r, &packets, sizeof(packets));
	rec_put(r, &bytes, sizeof(bytes));
}

/* An interface and an address, as the sets' concatenated keys hold them; the key's length. */
static size_t range_key(uint8_t *key, const char *ifname, int family, const char *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;

	memset(key, 0, IFNAMSIZ + alen);
	strcpy((char *)key, ifname);
	inet_pton(family, addr, key + IFNAMSIZ);
	return IFNAMSIZ + alen;
}

static int write_records(const char *name, const struct records *r)
{
	FILE *f = seed_open("fuzz_counters", name);

	if (!f)
		return -errno;
	fwrite(r->buf, 1, r->len, f);
	return seed_close(f);
}

/* The set numbers are positions in fuzz_counters.c's set_names. */
static int seeds_counters(void)
{
	uint8_t key[IFNAMSIZ + 16], end[IFNAMSIZ + 16], pair[8];
	struct records r = { .len = 1 };
	size_t klen;
	int ret = 0;

	rec_msg(&r, 0, 2, false);
	memset(key, 0, sizeof(key));
	strcpy((char *)key, "wg0");
	rec_elem(&r, key, NULL, IFNAMSIZ, 0);
	strcpy((char *)key, "wg1");
	rec_elem(&r, key, NULL, IFNAMSIZ, 0);
	rec_msg(&r, 2, 2, false);
	klen = range_key(key, "wg0", AF_INET, "10.0.0.5");
	rec_elem(&r, key, NULL, klen, 12);
	range_key(key, "wg1", AF_INET, "192.0.2.1");
	rec_elem(&r, key, NULL, klen, 3);
	rec_msg(&r, 6, 1, false);
	range_key(key, "wg0", AF_INET, "10.0.0.0");
	range_key(end, "wg0", AF_INET, "10.0.0.4");
	rec_elem(&r, key, end, klen, 10);
	rec_msg(&r, 9, 1, false);
	klen = range_key(key, "wg1", AF_INET6, "2001:db8::");
	range_key(end, "wg1", AF_INET6, "2001:db8:0:ffff:ffff:ffff:ffff:ffff");
	rec_elem(&r, key, end, klen, 5);
	rec_msg(&r, 10, 2, true);
	inet_pton(AF_INET, "10.0.0.5", pair);
	inet_pton(AF_INET, "10.0.0.7", pair + 4);
	rec_elem(&r, pair, NULL, sizeof(pair), 3);
	inet_pton(AF_INET, "10.0.0.9", pair);
	inet_pton(AF_INET, "10.0.0.5", pair + 4);
	rec_elem(&r, pair, NULL, sizeof(pair), 4);
	ret |= write_records("all-sets", &r);

	r.len = 1;
	r.buf[0] = 1;
	rec_msg(&r, 7, 1, true);
	klen = range_key(key, "wg0", AF_INET, "10.1.0.0");
	range_key(end, "wg0", AF_INET, "10.1.0.255");
	rec_elem(&r, key, end, klen, 1);
	ret |= write_records("absent", &r);
	return ret;
}

int main(int argc, char *argv[])
{
	struct nlb b;
	int ret = 0;

	if (argc != 2 || nlb_init(&b, 1 << 20) < 0) {
		fprintf(stderr, "usage: %s CORPUS\n", argv[0]);
		return 2;
	}
	corpus = argv[1];
	ret |= seeds_nlwg(&b);
	ret |= seeds_wgset(&b);
	ret |= seeds_nft(&b);
	ret |= seeds_counters();
	nlb_free(&b);
	if (ret)
		fprintf(stderr, "%s: cannot write the seeds\n", argv[0]);
	return ret ? 1 : 0;
}
