/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The neutral data model every backend fills and every front end reads. */
#ifndef WGSTAR_MODEL_H
#define WGSTAR_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "keyidx.h"

#define WG_KEY_LEN 32

enum wg_backend {
	WG_BACKEND_NONE = 0,
	WG_BACKEND_KERNEL,
	WG_BACKEND_USERSPACE,
};

struct wg_allowedip {
	uint16_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	union {
		struct in_addr ip4;
		struct in6_addr ip6;
	};
};

union wg_endpoint {
	struct sockaddr addr;		/* sa_family == AF_UNSPEC when none */
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
};

/* Forwarded through the hub, as wgstar's nftables table counts it. */
/*
 * Whether these were counted (the counting table was there) and when the sets were read are the
 * same for every peer of a device: its has_flows and flows_at say them, once a device, not a peer.
 */
struct wg_forwarded {
	uint64_t from_packets;		/* came in from this peer and were forwarded */
	uint64_t from_bytes;
	uint64_t to_packets;		/* were forwarded out to this peer */
	uint64_t to_bytes;
};

/* Traffic from one peer to another through the hub; indices into the device's peers. */
struct wg_flow {
	uint32_t from;
	uint32_t to;
	uint64_t packets;
	uint64_t bytes;
};

/* A peer's usage in the current UTC day and month, as the recorder's ledger has it. */
struct wg_usage {
	bool known;			/* the ledger has the peer */
	uint64_t day_rx, day_tx;
	uint64_t month_rx, month_tx;
};

/* In an order without holes: a big hub's console holds two arrays of 10,000 and more. */
struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	union wg_endpoint endpoint;
	uint16_t persistent_keepalive;	/* seconds; 0 when off */
	bool has_preshared_key;
	bool file_disabled;		/* live, though its config file holds it disabled (PiVPN) */
	int64_t last_handshake_sec;	/* unix time; 0 when never */
	int64_t last_handshake_nsec;
	uint64_t rx_bytes;
	uint64_t tx_bytes;
	struct wg_allowedip *allowedips;	/* its own allocation, or in its device's blocks: cap 0 */
	uint32_t n_allowedips;
	uint32_t cap_allowedips;
	char *name;			/* NULL when unnamed; owned unless name_shared */
	struct wg_forwarded forwarded;
	char *groups;			/* the hub policy's groups it is in, "a, b"; NULL for none */
	struct wg_usage usage;		/* what the ledger says it used */
	bool name_shared;		/* name is a name map's, kept by the device's name_holds */
	bool groups_shared;		/* groups is a policy memo's, kept by the device's groups_hold */
};

/* A peer that is live but not in the interface's config file, or in the file but not live. */
struct peer_drift {
	uint8_t key[WG_KEY_LEN];
	bool live;			/* live only; else in the file only */
	char name[64];
};

/* Refused by the hub policy, from a peer to another (indices into the device's peers) or to the hub. */
#define WG_REFUSED_HUB UINT32_MAX
struct wg_refused {
	uint32_t from;
	uint32_t to;			/* WG_REFUSED_HUB for the hub itself */
	uint64_t packets;
	uint64_t bytes;
};

/* A rule of the hub policy (or its Default, line 0 when implicit) with what its counter says. */
struct wg_policy_rule {
	unsigned int line;
	bool is_default;
	bool allow;
	char text[160];			/* "Allow = laptops -> servers tcp/22" */
	uint64_t packets;		/* new connections it accepted, or packets it refused */
	uint64_t bytes;
};

/* What the hub policy does on one interface, when it has a section there. */
struct wg_policy {
	bool in_force;			/* the policy table holds this policy: the counters are its own */
	bool default_allow;
	struct wg_policy_rule *rules;	/* the Default first */
	uint32_t n_rules;
	struct wg_refused *refused;	/* pairs refused in the last two minutes */
	uint32_t n_refused;
	struct wg_strings *groups;	/* "laptops: alice, bob", one per group, as the policy writes */
					/* them; NULL for none. Shared with the report's memo */
};

struct wg_aip_block;

/*
 * What one peer's lines in a UAPI answer came to: a hash of their bytes and their length, 0 when
 * not known. A reader of the next answer takes a peer whose lines are the same from the earlier
 * device instead of parsing them again (most of a big hub's peers are idle between two reads).
 */
struct wg_lines_sum {
	uint32_t len;
	uint32_t hash[2];		/* 12 bytes, not 16: a big hub's console holds two or three arrays */
};

struct wg_device {
	char name[IFNAMSIZ];
	uint32_t ifindex;
	enum wg_backend backend;
	bool has_public_key;
	uint8_t public_key[WG_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;		/* 0 when off */
	struct wg_peer *peers;
	uint32_t n_peers;
	uint32_t cap_peers;
	struct keyidx index;		/* peers by public key */
	struct wg_aip_block *aip_blocks;	/* where wg_device_add_allowedip keeps allowed IPs, newest first */
	bool has_flows;			/* false while the counting table is absent: no peer's forwarded counted */
	/*
	 * CLOCK_MONOTONIC when the counting sets were read. A big hub's console reads them less
	 * often than WireGuard: snapshots between two readings carry the last one, and rates
	 * divide by the time between readings, not between snapshots.
	 */
	struct timespec flows_at;
	struct wg_flow *flows;
	uint32_t n_flows;
	/* Drift against its config file, when the sample looked for it (sample_opts.drift). */
	bool has_drift;
	struct peer_drift *drift;	/* live only first, then file only */
	size_t n_drift;
	char *drift_error;		/* why drift is unknown (the file is unreadable or malformed) */
	struct wg_policy *policy;	/* NULL: no hub policy for this interface (or not looked at) */
	struct wg_strings *name_holds[2];	/* what peers' shared names belong to */
	struct wg_strings *groups_hold;	/* and their shared groups */
	struct wg_history *history;	/* what the recorder's database says; NULL when not looked at */
	const char *managed_by;		/* the tool that rewrites its config file (a static string), or NULL */
	bool save_config;		/* its config file says SaveConfig = true */
	/* Each peer's lines, in peers' order, when its reader kept them (uapi.h); else NULL. */
	struct wg_lines_sum *lines_sums;
	int refs;			/* owners: wg_device_new gives one, wg_device_ref one more */
};

void wg_policy_free(struct wg_policy *p);

/* An event as the console lists it: from the recorder's database, newest last. */
struct wg_history_event {
	int64_t time;
	char when[24];			/* local time, as the loop formatted it */
	char type[24];			/* "peer_online", as the journal's WGSTAR_EVENT */
	char iface[IFNAMSIZ];		/* "" for the hub as a whole */
	bool has_key;
	uint8_t key[WG_KEY_LEN];
	char name[64];
	char summary[256];
};

/*
 * Strings several owners share, freed with the last reference: a name map's names, which the
 * peers of every snapshot read from it point at instead of copying (10,000 copies a second, each
 * a cache miss on a string, were a tenth of a big hub's console); a policy memo's groups and
 * groups' lines likewise.
 */
struct wg_strings {
	int refs;
	char **v;			/* each freed with the last reference */
	size_t n;
	uint64_t serial;		/* a name map's: never the same twice in a process, so that */
					/* (serial, pointer) says which string, unchanging, without reading it */
	struct wg_strings *base;	/* strings of an earlier map this one's map shares: */
					/* one reference, let go with the last of this one */
};

/*
 * Where peer arrays of WG_PEERS_MAPPED bytes and more come from, when set (once, before any
 * device exists): lengths are page multiples, get's memory need not be zeroed, resize moves
 * like mremap, put takes the array back. From 128 KiB, glibc's first mmap threshold: a heap
 * array freed on its way to the allocator is then never one of glibc's own mappings, whose free
 * would raise that threshold for every later allocation.
 */
#define WG_PEERS_MAPPED ((size_t)128 << 10)
struct wg_peers_alloc {
	size_t page;
	void *(*get)(size_t len);
	void *(*resize)(void *p, size_t old_len, size_t len);
	void (*put)(void *p, size_t len);
	/* Optional: the pages of [p, p + len) made present at once, ahead of their first writes. */
	void (*populate)(void *p, size_t len);
};

void wg_peers_alloc_set(const struct wg_peers_alloc *a);

struct wg_strings *wg_strings_ref(struct wg_strings *s);
void wg_strings_unref(struct wg_strings *s);

/*
 * The recorder's database as the console reads it: the same for every interface of a sample,
 * shared between snapshots (counted references: the sampler and the screen hold it at once).
 */
struct wg_history {
	int refs;
	int status;			/* 0: read; -ENOENT: no database; else it could not be read */
	char note[256];			/* when status is not 0: why there is no history, and where it would come from */
	int64_t last_write;		/* when the recorder last wrote; 0 when unknown */
	struct wg_history_event *events;	/* the latest, every interface's, oldest first */
	size_t n_events;
};

struct wg_history *wg_history_ref(struct wg_history *h);
void wg_history_unref(struct wg_history *h);

/* IPv4 and IPv6 forwarding of the network namespace the snapshot was taken in. */
struct fwd_state {
	int ipv4;	/* 1 on, 0 off, -1 unknown */
	int ipv6;
};

struct wg_snapshot {
	struct timespec mono;		/* CLOCK_MONOTONIC when taken */
	struct timespec wall;		/* CLOCK_REALTIME when taken */
	struct wg_device **devices;
	size_t n_devices;
};

struct wg_device *wg_device_new(const char *name);
/*
 * One more owner, on any thread: a reader that keeps the device it read last, to read the next
 * answer against, while the console shows it. Only what its reader filled in is read then.
 */
struct wg_device *wg_device_ref(struct wg_device *dev);
/* Lets one owner go; the last one frees it. */
void wg_device_free(struct wg_device *dev);

/*
 * Whether two public keys are the same, in four words: inline where a loop over every peer of
 * two reads checks each against the entry where it was last time, which nearly always hits.
 */
static inline bool wg_key_equal(const uint8_t *a, const uint8_t *b)
{
	uint64_t x[4], y[4];

	memcpy(x, a, sizeof(x));
	memcpy(y, b, sizeof(y));
	return !((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3]));
}

/* Returns the peer with this public key, or NULL. O(1) on average. */
struct wg_peer *wg_device_find_peer(const struct wg_device *dev, const uint8_t key[WG_KEY_LEN]);
/* The same for a loop over another read of the device: see keyidx_find_near. Start *cursor at 0. */
struct wg_peer *wg_device_find_peer_near(const struct wg_device *dev, const uint8_t key[WG_KEY_LEN],
					 uint32_t *cursor);

/*
 * Returns the peer with this public key, appending a zeroed one when absent,
 * so a peer repeated across several dump messages is merged. NULL on ENOMEM.
 * Pointers to peers are invalidated by the next call that appends.
 */
struct wg_peer *wg_device_get_peer(struct wg_device *dev, const uint8_t key[WG_KEY_LEN], bool *created);
/*
 * A peer at the end without looking for its key, for a reader that gets each peer once
 * (a UAPI answer, a kernel dump): the device is not indexed until wg_device_index, and no
 * lookup works before. NULL without memory.
 */
struct wg_peer *wg_device_append_peer(struct wg_device *dev, const uint8_t key[WG_KEY_LEN]);
/* Indexes the peers appended: 0, -EEXIST when two have the same key, or -ENOMEM. */
int wg_device_index(struct wg_device *dev);

/* Gives back what growing the peer array left unused, once a read is complete. */
void wg_device_trim(struct wg_device *dev);
/*
 * Room for n peers and their index, as a read that expects about that many (the last read of
 * the same interface had them) makes before it parses: no array copied and no index rebuilt
 * as the peers come in, a dozen times each at 10,000. 0 or -ENOMEM.
 */
int wg_device_reserve(struct wg_device *dev, uint32_t n);

int wg_peer_add_allowedip(struct wg_peer *peer, const struct wg_allowedip *aip);
/*
 * The same for a reader that fills the peers one after another (a dump): a peer's allowed
 * IPs go into blocks the device holds, one after the other, not into an allocation of its
 * own; one that gets more after another peer's is given one then. 100,000 peers read took
 * 100,000 mallocs and as many frees. 0 or -ENOMEM.
 */
int wg_device_add_allowedip(struct wg_device *dev, struct wg_peer *peer, const struct wg_allowedip *aip);
/* The same for n at once (a peer taken from an earlier read of the device). */
int wg_device_add_allowedips(struct wg_device *dev, struct wg_peer *peer, const struct wg_allowedip *v, uint32_t n);
int wg_peer_set_name(struct wg_peer *peer, const char *name);

/* Compare two allowed IPs the way `wg show` lists them: v4 before v6, then address, then prefix. */
int wg_allowedip_cmp(const struct wg_allowedip *a, const struct wg_allowedip *b);

struct wg_snapshot *wg_snapshot_new(void);
int wg_snapshot_add_device(struct wg_snapshot *snap, struct wg_device *dev);
struct wg_device *wg_snapshot_find_device(const struct wg_snapshot *snap, const char *name);
void wg_snapshot_free(struct wg_snapshot *snap);
/* A deep copy (without drift), for what must outlive the next sample. NULL on ENOMEM. */
struct wg_snapshot *wg_snapshot_dup(const struct wg_snapshot *src);

#endif
