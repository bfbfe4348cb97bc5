/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One sample of the world: every WireGuard interface read, named and timestamped. */
#ifndef WGSTAR_SAMPLE_H
#define WGSTAR_SAMPLE_H

#include <sys/stat.h>
#include "model.h"
#include "drift.h"
#include "keyidx.h"
#include "names.h"
#include "strlist.h"

#define SAMPLE_CONFIG_DIR "/etc/wireguard"

/* The config file of iface into buf: config when given, else SAMPLE_CONFIG_DIR/IFACE.conf. */
void sample_config_path(char *buf, size_t len, const char *config, const char *iface);

/*
 * Name files parsed once and parsed again only when they change on disk: a console reading
 * a 10,000-peer config every second would spend most of its time there.
 */
struct sample_names_file {
	char *path;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	struct name_map map;
	/* A config file's peers as the file model reads it, for drift; or why it cannot be read. */
	bool has_peers;
	struct drift_peer *peers;
	size_t n_peers;
	struct keyidx index;		/* of peers, built once per load (cap 0 without) */
	struct drift_memo drift;	/* the last drift against it, cleared with it */
	char *why;
	const char *managed_by;		/* names_managed_by() of a config file */
	uint8_t (*disabled)[WG_KEY_LEN];	/* peers a config file holds disabled (PiVPN) */
	size_t n_disabled;
	bool save_config;		/* SaveConfig = true: wg-quick drops every comment at down */
};

struct sample_size {
	char name[IFNAMSIZ];
	uint32_t n_peers;
	struct names_memo names;	/* which name each peer had at the last read */
	struct wg_device *last;		/* a reference to the last read, when the next can lean on it */
};

struct sample_cache {
	struct sample_names_file **files;	/* each allocated alone: maps handed out stay put */
	size_t n;
	struct sample_size *sizes;	/* each interface's peers at its last read: the next one's hint */
	size_t n_sizes;
};

/*
 * The config file of the one interface sampled, as the caller read and parsed it a moment
 * before: the sample takes its names from here instead of reading the file again (a peer
 * change reads it anyway, and at 65,536 peers the second reading was a tenth of its time).
 * Not with drift, which wants the file's peers.
 */
struct sample_config_read {
	struct name_map *names;		/* names_parse_config()'s map of the text; the sample holds its names */
	const char *managed_by;		/* names_managed_by() */
	bool save_config;		/* names_save_config() */
	const uint8_t (*disabled)[WG_KEY_LEN];	/* names_disabled() */
	size_t n_disabled;
};

struct sample_opts {
	const char *iface;		/* only this interface; NULL for every one */
	const char *config_path;	/* names for iface; NULL for SAMPLE_CONFIG_DIR/IFACE.conf */
	/*
	 * iface's config file as the caller read it, or is reading it meanwhile (on another thread,
	 * say): called before iface is named, it gives the file read, or NULL to read it here.
	 * NULL: read here. Needs iface.
	 */
	const struct sample_config_read *(*config_wait)(void *ctx);
	void *config_wait_ctx;
	const char *names_path;		/* wgstar's name store */
	struct sample_cache *cache;	/* NULL: read the name files on every sample */
	bool drift;			/* compare each device with its config file (wg_device.drift) */
};

enum sample_failure {
	SAMPLE_OK = 0,
	SAMPLE_NO_WIREGUARD,		/* no kernel module and no userspace interface */
	SAMPLE_NO_SUCH_IFACE,		/* -i names nothing WireGuard here; see available */
	SAMPLE_NOT_WIREGUARD,		/* -i names a link that is not WireGuard */
	SAMPLE_LIST_FAILED,
	SAMPLE_READ_FAILED,		/* reading iface failed with code */
	SAMPLE_NAMES_FAILED,		/* a name file exists but could not be read; path */
};

struct sample_error {
	enum sample_failure failure;
	int code;			/* -errno */
	char iface[IFNAMSIZ];
	const char *path;
	struct strlist available;	/* WireGuard interfaces that do exist */
};

/* 0 with *out set, or -errno with err filled in. Free err with sample_error_clear. */
int sample_take(struct wg_snapshot **out, const struct sample_opts *opts, struct sample_error *err);
void sample_error_clear(struct sample_error *err);
/* Why a sample failed, in one translated line without the program's name; outside names escaped. */
void sample_error_describe(char *buf, size_t len, const struct sample_error *err);
void sample_cache_clear(struct sample_cache *cache);

#endif
