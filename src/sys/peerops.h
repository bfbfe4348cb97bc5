/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Peer onboarding and removal: one change made live, in the interface's config file, in the
 * name store and in the counting set, as one step that either happens whole or not at all.
 *
 * The order is chosen so that every step can be taken back with what is at hand:
 *  - add: live first (nothing to lose), then the file; a failed file write removes the peer again;
 *  - remove: the file first (its old bytes are kept), then live; a failed live removal puts the
 *    old file back. A preshared key is not readable back from the kernel's dump in our model,
 *    so undoing a live removal could not restore it; undoing a file write can.
 *  - allowed IPs: live (update-only, replacing), then the file; undone with the old list.
 * The file is written only if it still holds what was read (compared by content), so an edit
 * made by hand or by `wg-quick save` in between is never overwritten.
 */
#ifndef WGSTAR_PEEROPS_H
#define WGSTAR_PEEROPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "drift.h"
#include "errmsg.h"
#include "model.h"

#define PEEROPS_KEEPALIVE_CLIENT 25
/* Fixed like /etc/wireguard, whatever the installation prefix. */
#define PEEROPS_SETTINGS_PATH "/etc/wgstar/wgstar.conf"

struct peerops_ctx {
	const char *iface;
	const char *config_path;	/* NULL: /etc/wireguard/IFACE.conf */
	const char *names_path;		/* wgstar's name store; NULL: do not keep names there */
	const char *settings_path;	/* hub settings (Endpoint, DNS); NULL: none */
	const char *policy_path;	/* the hub policy, followed on add, remove, rename; NULL: the default */
	struct errmsg err;		/* why it failed, or what went wrong on the side */
	char policy_note[512];		/* what happened to the policy file and table; "" for nothing */
	bool force;			/* change a file that another tool rewrites from its own database */
	/*
	 * The caller exits once a change is made: what the change read is not freed but left for
	 * the exit, its secrets wiped first.
	 */
	bool leave_to_exit;
	void *kept;			/* what peerops_resolve read, for the change that follows it */
};

struct peer_add_req {
	const char *name;		/* NULL only in a dry run, which then does not check it */
	const char *public_key;		/* base64; NULL: generate a keypair here */
	bool preshared_key;		/* generate one */
	const char *address;		/* "10.0.0.9/32, fd00::9/128"; NULL: the next free in each subnet */
	uint16_t keepalive;		/* on the hub's side; 0: none */
	const char *endpoint;		/* the hub's public endpoint for the client; NULL: settings */
	const char *dns;		/* for the client; NULL: settings */
	bool dry_run;			/* check and fill in the result, change nothing */
	const char *groups;		/* "a,b": groups of the hub policy the peer joins; NULL: none */
};

struct peer_add_result {
	uint8_t public_key[WG_KEY_LEN];
	char address[256];		/* the peer's allowed IPs as written */
	char *client_config;		/* may hold a private key: peerops_result_free wipes it */
	bool counted;			/* added to the counting set too */
	bool named;			/* the name store was updated */
};

/*
 * Adds the peer: live, to the file, to the name store and the counting set. 0 with res filled
 * in (ctx->err may still say what went wrong on the side, e.g. the name store), or -errno
 * with ctx->err saying why and nothing changed. -EDESTADDRREQ: no endpoint is known for the
 * client config (ask for one); res->address is filled in all the same.
 */
int peerops_add(struct peerops_ctx *ctx, const struct peer_add_req *req, struct peer_add_result *res);
void peerops_result_free(struct peer_add_result *res);

/*
 * A peer by name (config file or store), full base64 public key, or a unique start of one.
 * -ENOENT: none; -EEXIST: the name is ambiguous. ctx->err says so.
 */
int peerops_resolve(struct peerops_ctx *ctx, const char *spec, uint8_t key[WG_KEY_LEN], char *name, size_t len);
/*
 * What peerops_resolve read (the interface and the file) is kept for the change that follows
 * it, which then does not read them again: at 65,536 peers each read is a quarter of a second.
 * The file is still checked unchanged before it is replaced. A caller that waits between the
 * two (a question to the operator) forgets it first, and so does one that makes no change.
 */
void peerops_forget(struct peerops_ctx *ctx);

int peerops_remove(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN]);
int peerops_rename(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN], const char *name);
/* allowed: comma-separated prefixes; overlap with another peer or the hub's address refused. */
int peerops_set_allowedips(struct peerops_ctx *ctx, const uint8_t key[WG_KEY_LEN], const char *allowed);

/* Peers that are live but not in the file, or in the file but not live. */
int peerops_drift(struct peerops_ctx *ctx, struct peer_drift **out, size_t *n);


/*
 * The change that would reconcile them, for a preview: a unified diff of the file (to file)
 * or one line per live change (to live). *out is malloc'd; "" when nothing drifts.
 */
int peerops_reconcile_preview(struct peerops_ctx *ctx, enum drift_direction dir, char **out);
int peerops_reconcile(struct peerops_ctx *ctx, enum drift_direction dir);

/* The settings file's value of key for iface ("Endpoint", "DNS"), malloc'd; NULL when none. */
char *peerops_setting(const char *settings_path, const char *iface, const char *key);
/* Stores it there (atomic; the file is created with mode 0644 when absent). 0 or -errno. */
int peerops_save_setting(const char *settings_path, const char *iface, const char *key, const char *value);

#endif
