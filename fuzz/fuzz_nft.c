// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness: the kernel's answers to an nftables batch, and the ruleset generation. The
 * first byte chooses: bit 0 the generation reply rather than acks; bits 1-3 how many commands the
 * batch has, bit 4 whether it carries the generation, bit 5 whether it commits, bit 6 whether
 * messages from another port are to be ignored. The rest is a sequence of receive buffers, each
 * a little-endian 16-bit length and that many bytes, read as nft_send reads them. The batch's
 * begin message has sequence number FUZZ_SEQ and its commands the numbers after it.
 */
#include <errno.h>
#include <stdio.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include "fuzz.h"
#include "nft_batch.h"
#include "nlwalk.h"

/* What the echo callback returns for a message flagged NLM_F_DUMP_FILTERED, to stop the reading. */
#define ECHO_STOP (-EPROTO)

static void check_genid(const struct nlmsghdr *nlh)
{
	uint32_t genid;
	int ret = nft_parse_genid(nlh, &genid);

	if (ret && ret != -EBADMSG)
		abort();
}

static int echo_cb(const struct nlmsghdr *nlh, void *data)
{
	check_genid(nlh);
	return nlh->nlmsg_flags & NLM_F_DUMP_FILTERED ? ECHO_STOP : 0;
}

static void fuzz_acks(uint8_t shape, const uint8_t *data, size_t size)
{
	uint32_t n_cmds = (shape >> 1) & 7, portid = shape & 0x40 ? FUZZ_PORTID : 0;
	struct nft_error err = { 0 };
	struct nft_batch b;
	uint32_t got = 0;
	void *buf;
	size_t len;

	if (nft_batch_init(&b, FUZZ_SEQ, shape & 0x10, 7) < 0)
		abort();
	for (uint32_t i = 0; i < n_cmds; ++i) {
		char label[32];

		snprintf(label, sizeof(label), "command %u", i);
		if (!nft_batch_add(&b, NFT_MSG_NEWTABLE, NFPROTO_INET, 0, label))
			abort();
	}
	if (nft_batch_end(&b, shape & 0x20) < 0 || b.n_acks != n_cmds)
		abort();
	/* Read as nft_send reads: until every ack is in or something went wrong. */
	while (got < b.n_acks && (buf = fuzz_buffer(&data, &size, &len))) {
		int ret = nft_parse_acks(buf, len, &b, portid, &err, echo_cb, NULL);

		free(buf);
		if (ret < 0) {
			if (ret != -EBADMSG && ret != ECHO_STOP)
				abort();
			break;
		}
		got += (uint32_t)ret;
	}
	/* The first error the kernel reported, as -errno, with the command it belongs to. */
	if (err.code > 0 || err.code < -4095)
		abort();
	if (err.code && (err.seq < b.seq_first || err.seq >= b.seq_next ||
			 err.label != nft_batch_label(&b, err.seq)))
		abort();
	nft_batch_free(&b);
}

static int genid_msg(const struct nlmsghdr *nlh, void *data)
{
	check_genid(nlh);
	return NLWALK_MORE;
}

static void fuzz_genid(const uint8_t *data, size_t size)
{
	void *buf;
	size_t len;

	while ((buf = fuzz_buffer(&data, &size, &len))) {
		int ret = nlwalk_msgs(buf, len, genid_msg, NULL);

		if (ret != NLWALK_MORE && ret != -EBADMSG)
			abort();
		free(buf);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t shape = fuzz_byte(&data, &size);

	if (shape & 1)
		fuzz_genid(data, size);
	else
		fuzz_acks(shape, data, size);
	return 0;
}
