/* SPDX-License-Identifier: GPL-2.0-or-later */
/* nf_tables over a netlink socket: a batch sent in one go with every ack drained, dumps, the generation. */
#ifndef WGSTAR_NFT_H
#define WGSTAR_NFT_H

#include "nft_batch.h"

struct mnl_socket;


struct nft_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	void *buf;
};

int nft_open(struct nft_sock *s);
void nft_close(struct nft_sock *s);

/*
 * Sends the batch in one go and drains every ack. 0 when the kernel took every command;
 * otherwise err->code, with err naming the command.
 */
int nft_send(struct nft_sock *s, struct nft_batch *b, nft_echo_cb cb, void *data, struct nft_error *err);

int nft_get_genid(struct nft_sock *s, uint32_t *genid);

/*
 * A dump: req is a request header built by the caller (its seq is set here); cb sees every
 * message. -EINTR when the ruleset changed during the dump (read again), -ENOENT when the
 * object does not exist.
 */
int nft_dump(struct nft_sock *s, struct nlmsghdr *req, int (*cb)(const struct nlmsghdr *nlh, void *data),
	     void *data);

#endif
