/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_tables messages: batches framed with the ruleset generation, and the kernel's answers parsed. */
#ifndef WGSTAR_NFT_BATCH_H
#define WGSTAR_NFT_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;
struct nftnl_expr;

/* Room kept free for the message being built; libnftnl writes without bounds checks. */
#define NFT_BATCH_MSG_ROOM (128 * 1024)

/*
 * One transaction: a begin message (with the generation it is meant for, if any), commands,
 * and an end message unless it is only to be validated. Each command has a label saying what
 * it does, so an error can name the command that caused it.
 */
struct nft_batch {
	char *buf;
	size_t len;
	size_t cap;
	size_t pending;		/* offset of the message being built, or SIZE_MAX */
	uint32_t seq_first;	/* the begin message's */
	uint32_t seq_next;
	char **labels;		/* by seq - seq_first */
	uint32_t n_labels;
	uint32_t n_acks;	/* commands asking for an ack */
	bool ended;
	/* Set by nft_batch_drain: complete messages go here and leave the buffer. */
	void (*drain)(const struct nlmsghdr *nlh, void *ctx);
	void *drain_ctx;
};

/* The first error the kernel reported for a batch, and the command it belongs to. */
struct nft_error {
	int code;		/* -errno, 0 for none */
	uint32_t seq;
	const char *label;	/* into the batch; NULL for the begin message */
};

/* Called for every message that is neither an ack nor an error (echoes of new objects). */
typedef int (*nft_echo_cb)(const struct nlmsghdr *nlh, void *data);

int nft_batch_init(struct nft_batch *b, uint32_t seq, bool check_genid, uint32_t genid);
void nft_batch_free(struct nft_batch *b);

/*
 * Starts a command; its payload is built into the returned header (NFT_BATCH_MSG_ROOM bytes
 * at most). NLM_F_ACK is added. NULL on ENOMEM.
 */
struct nlmsghdr *nft_batch_add(struct nft_batch *b, uint16_t type, uint16_t family, uint16_t flags,
			       const char *label);

/* Finishes the command being built, so the batch's length covers it. */
void nft_batch_close_pending(struct nft_batch *b);

/* Closes the batch; without commit the kernel validates every command, then aborts. */
int nft_batch_end(struct nft_batch *b, bool commit);

/*
 * For a batch that is only read once, in order (a fingerprint): from now on, whenever a message
 * is begun, those complete before it (the begin message first) are handed to fn and dropped,
 * and no labels are kept. The buffer then holds the message being built, where a policy's
 * whole batch is megabytes; nft_batch_next finds no complete message in it.
 */
void nft_batch_drain(struct nft_batch *b, void (*fn)(const struct nlmsghdr *nlh, void *ctx), void *ctx);

/* The command a sequence number belongs to; NULL for the begin and end messages. */
const char *nft_batch_label(const struct nft_batch *b, uint32_t seq);

/* Each message of the batch in turn, for tests and parsers: NULL after the last. */
const struct nlmsghdr *nft_batch_next(const struct nft_batch *b, const struct nlmsghdr *prev);

/*
 * Reads the kernel's answers to a batch from one receive buffer. Returns how many of its acks
 * the buffer held (errors included); the first error goes to err. An error for the begin
 * message (-ERESTART: the generation changed) counts as every ack.
 */
int nft_parse_acks(const void *buf, size_t len, const struct nft_batch *b, uint32_t portid,
		   struct nft_error *err, nft_echo_cb cb, void *data);

/* A request for the ruleset's generation, built into buf (256 bytes). */
struct nlmsghdr *nft_genid_request(void *buf, uint32_t seq);
/* The generation id in an NFT_MSG_NEWGEN message, or -EBADMSG. */
int nft_parse_genid(const struct nlmsghdr *nlh, uint32_t *genid);

/* An immediate verdict (NFT_GOTO, NFT_RETURN, ...; chain for a jump or goto, else NULL), for both tables. */
struct nftnl_expr *nft_expr_verdict(int verdict, const char *chain);

#endif
