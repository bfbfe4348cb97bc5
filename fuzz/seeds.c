// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the binary seed inputs of the netlink harnesses (see each one's header for its format)
 * into CORPUS/HARNESS/, from a build configured with --enable-fuzzing:
 *   build/fuzz/seeds fuzz/corpus
 */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include "fuzz.h"
#include "nlbuild.h"

#define MAX_ENDS 256

static const char *corpus;

/* The selector byte, then each receive buffer b->buf[ends[i - 1], ends[i]) with its length. */
static int write_seed(const char *harness, const char *name, uint8_t selector, const struct nlb *b,
		      const size_t *ends, size_t n_ends)
{
	char path[4096];
	size_t start = 0;
	FILE *f;
	int ret = 0;

	snprintf(path, sizeof(path), "%s/%s", corpus, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return -errno;
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, harness, name);
	f = fopen(path, "wb");
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
	if (ferror(f))
		ret = -EIO;
	if (fclose(f))
		ret = -errno;
	return ret;
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
	nlb_free(&b);
	if (ret)
		fprintf(stderr, "%s: cannot write the seeds\n", argv[0]);
	return ret ? 1 : 0;
}
