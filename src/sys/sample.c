// SPDX-License-Identifier: GPL-2.0-or-later
/* One sample of the world: every WireGuard interface read, named and timestamped. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "atomic.h"
#include "backend.h"
#include "drift.h"
#include "key.h"
#include "names_load.h"
#include "i18n.h"
#include "sample.h"
#include "text.h"
#include "wgconf.h"

static int fail(struct sample_error *err, enum sample_failure f, int code, const char *iface)
{
	err->failure = f;
	err->code = code;
	if (iface)
		snprintf(err->iface, sizeof(err->iface), "%s", iface);
	return code < 0 ? code : -EINVAL;
}

static void file_clear(struct sample_names_file *f)
{
	names_clear(&f->map);
	free(f->peers);
	keyidx_free(&f->index);
	drift_memo_clear(&f->drift);
	free(f->why);
	f->peers = NULL;
	f->n_peers = 0;
	f->why = NULL;
	f->has_peers = false;
	f->managed_by = NULL;
	f->save_config = false;
	free(f->disabled);
	f->disabled = NULL;
	f->n_disabled = 0;
}

/* The config file's peers, for drift: the file model's reading, which also says what is wrong with it. */
static int load_peers(struct sample_names_file *f, const char *path, const char *text, size_t len)
{
	struct wgconf_error cerr;
	struct wgconf_peer_info *v = NULL;
	struct wgconf *c = NULL;
	size_t n = 0;
	int ret;

	ret = wgconf_parse(&c, text, len, &cerr);
	if (ret == -EINVAL) {
		char shown[PATH_MAX];

		if (asprintf(&f->why, "%s:%u: %s", text_safe(shown, sizeof(shown), path), cerr.line, cerr.msg) < 0)
			f->why = NULL;
		return f->why ? 0 : -ENOMEM;
	}
	if (ret < 0 || (ret = wgconf_peers(c, &v, &n)) < 0)
		goto out;
	f->peers = calloc(n + f->n_disabled + 1, sizeof(*f->peers));
	if (!f->peers) {
		ret = -ENOMEM;
		goto out;
	}
	/* Names as the map has them: the same reading, kept as long as the entry. */
	for (size_t i = 0; i < n; ++i) {
		memcpy(f->peers[i].key, v[i].public_key, WG_KEY_LEN);
		f->peers[i].name = names_lookup(&f->map, v[i].public_key);
	}
	/* Peers held disabled are in the file too: no drift, live or not. */
	for (size_t i = 0; i < f->n_disabled; ++i) {
		memcpy(f->peers[n + i].key, f->disabled[i], WG_KEY_LEN);
		f->peers[n + i].name = names_lookup(&f->map, f->disabled[i]);
		f->peers[n + i].disabled = true;
	}
	f->n_peers = n + f->n_disabled;
	f->has_peers = true;
	/* Drift looks every peer of every sample up in it: indexed once, not per sample. */
	f->index = (struct keyidx)KEYIDX_INIT(struct drift_peer, key);
	if (f->n_peers <= UINT32_MAX && keyidx_rebuild(&f->index, f->peers, (uint32_t)f->n_peers) < 0)
		keyidx_free(&f->index);
out:
	wgconf_peers_free(v, n);
	wgconf_free(c);
	return ret;
}

/* Reads path into f: its names, and the peers a config file holds when want_peers. */
static int file_load(struct sample_names_file *f, const char *path, bool config, bool want_peers)
{
	char *text = NULL, shown[PATH_MAX];
	size_t len = 0;
	int ret;

	file_clear(f);
	if (!config)
		return names_load(&f->map, path, names_parse_store);
	ret = atomic_read(path, &text, &len);
	if (ret == -ENOENT || ret == -ENOTDIR) {
		/* No file: no names; and for drift, nothing to compare with. */
		if (want_peers && asprintf(&f->why, _("there is no config file %s"), text_safe(shown, sizeof(shown), path)) < 0)
			f->why = NULL;
		return 0;
	}
	if (ret < 0) {
		if (want_peers && asprintf(&f->why, _("reading %s failed: %s"), text_safe(shown, sizeof(shown), path),
					    text_strerror(-ret)) < 0)
			f->why = NULL;
		return ret;
	}
	ret = names_parse_config(&f->map, text, len);
	f->managed_by = names_managed_by(text, len);
	f->save_config = names_save_config(text, len);
	if (!ret)
		ret = names_disabled(text, len, &f->disabled, &f->n_disabled);
	if (!ret && want_peers)
		ret = load_peers(f, path, text, len);
	/* A config file holds the interface's private key. */
	key_wipe(text, len);
	free(text);
	return ret;
}

/*
 * The name file path: from the cache while the file is unchanged (same inode, size and
 * modification time), else read anew. Without a cache, into *tmp (cleared by the caller).
 */
static int file_get(struct sample_cache *cache, const char *path, bool config, bool want_peers,
		    struct sample_names_file *tmp, struct sample_names_file **out)
{
	struct sample_names_file *f = NULL, **files;
	struct stat st;
	int ret;

	*out = tmp;
	if (!cache)
		return file_load(tmp, path, config, want_peers);
	for (size_t i = 0; i < cache->n; ++i)
		if (!strcmp(cache->files[i]->path, path))
			f = cache->files[i];
	if (stat(path, &st) < 0)
		memset(&st, 0, sizeof(st));
	if (f && f->dev == st.st_dev && f->ino == st.st_ino && f->size == st.st_size &&
	    f->mtime.tv_sec == st.st_mtim.tv_sec && f->mtime.tv_nsec == st.st_mtim.tv_nsec &&
	    (!want_peers || f->has_peers || f->why)) {
		*out = f;
		return 0;
	}
	if (!f) {
		/* Each file on its own: a map handed out earlier stays where it is. */
		files = realloc(cache->files, (cache->n + 1) * sizeof(*files));
		if (!files)
			return -ENOMEM;
		cache->files = files;
		f = calloc(1, sizeof(*f));
		if (!f || !(f->path = strdup(path))) {
			free(f);
			return -ENOMEM;
		}
		files[cache->n++] = f;
	}
	/* Stat before reading: a change during the read is seen at the next sample. */
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = st.st_size;
	f->mtime = st.st_mtim;
	ret = file_load(f, path, config, want_peers);
	if (ret < 0) {
		/* Not remembered: the next sample tries again. */
		f->size = -1;
		names_clear(&f->map);
	}
	*out = f;
	return ret;
}

/* What the device and its config file disagree on, into the device. */
static int device_drift(struct wg_device *dev, struct sample_names_file *f)
{
	int ret;

	dev->has_drift = true;
	if (!f->has_peers) {
		dev->drift_error = strdup(f->why ? f->why : "");
		return dev->drift_error ? 0 : -ENOMEM;
	}
	ret = drift_compute_memo(dev, f->peers, f->n_peers, f->index.cap ? &f->index : NULL, &f->drift, &dev->drift,
				 &dev->n_drift);
	return ret;
}

/* What the cache keeps of interface name, or NULL. */
static struct sample_size *size_of(const struct sample_cache *cache, const char *name)
{
	for (size_t i = 0; cache && i < cache->n_sizes; ++i)
		if (!strncmp(cache->sizes[i].name, name, IFNAMSIZ))
			return &cache->sizes[i];
	return NULL;
}

void sample_config_path(char *buf, size_t len, const char *config, const char *iface)
{
	if (config)
		snprintf(buf, len, "%s", config);
	else
		snprintf(buf, len, "%s/%s.conf", SAMPLE_CONFIG_DIR, iface);
}

static int name_device(struct wg_device *dev, const struct sample_opts *opts, struct name_map *store,
		       struct sample_error *err)
{
	struct sample_names_file tmp = { 0 }, *config = NULL;
	const struct sample_config_read *cr = opts->config_wait ? opts->config_wait(opts->config_wait_ctx) : NULL;
	struct sample_config_read from_file;
	struct sample_size *sz;
	char path[PATH_MAX];
	int ret;

	if (!cr || opts->drift) {
		sample_config_path(path, sizeof(path), opts->config_path, dev->name);
		/* An unreadable config file only costs names, never the numbers. */
		file_get(opts->cache, path, true, opts->drift, &tmp, &config);
		from_file = (struct sample_config_read){ .names = &config->map, .managed_by = config->managed_by,
							 .save_config = config->save_config,
							 .disabled = (const uint8_t (*)[WG_KEY_LEN])config->disabled,
							 .n_disabled = config->n_disabled };
		cr = &from_file;
	}
	sz = size_of(opts->cache, dev->name);
	ret = sz ? names_apply_memo(dev, cr->names, store, &sz->names) : names_apply(dev, cr->names, store);
	dev->managed_by = cr->managed_by;
	dev->save_config = cr->save_config;
	for (size_t i = 0; i < cr->n_disabled; ++i) {
		struct wg_peer *fp = wg_device_find_peer(dev, cr->disabled[i]);

		if (fp)
			fp->file_disabled = true;
	}
	if (!ret && opts->drift)
		ret = device_drift(dev, config);
	file_clear(&tmp);
	if (ret < 0)
		return fail(err, SAMPLE_NAMES_FAILED, ret, dev->name);
	return 0;
}

/* Remembered for the next read's hint; an interface more than the array holds is not. */
#define SAMPLE_SIZES_MAX 64

/*
 * The read the next one leans on (backend_read): kept only when it summed its peers, as a
 * userspace one does, for the kernel's would be memory for nothing.
 */
static void last_keep(struct sample_size *sz, struct wg_device *dev)
{
	wg_device_free(sz->last);
	sz->last = dev && dev->lines_sums ? wg_device_ref(dev) : NULL;
}

static void size_clear(struct sample_size *sz)
{
	names_memo_clear(&sz->names);
	last_keep(sz, NULL);
}

static void size_keep(struct sample_cache *cache, struct wg_device *dev)
{
	struct sample_size *v;

	if (!cache)
		return;
	if ((v = size_of(cache, dev->name))) {
		v->n_peers = dev->n_peers;
		last_keep(v, dev);
		return;
	}
	/* Interfaces that come and go (a test host, a lab) would grow the list without end. */
	if (cache->n_sizes >= SAMPLE_SIZES_MAX) {
		size_clear(&cache->sizes[0]);
		memmove(cache->sizes, cache->sizes + 1, --cache->n_sizes * sizeof(*cache->sizes));
	}
	if (!(v = realloc(cache->sizes, (cache->n_sizes + 1) * sizeof(*v))))
		return;
	cache->sizes = v;
	memset(&v[cache->n_sizes], 0, sizeof(*v));
	memcpy(v[cache->n_sizes].name, dev->name, strnlen(dev->name, IFNAMSIZ - 1));
	v[cache->n_sizes].n_peers = dev->n_peers;
	last_keep(&v[cache->n_sizes++], dev);
}

/* An interface gone is read no more: its last read is not held on to. */
static void lasts_drop_gone(struct sample_cache *cache, const struct strlist *names)
{
	for (size_t i = 0; cache && i < cache->n_sizes; ++i)
		if (cache->sizes[i].last && !strlist_contains(names, cache->sizes[i].name))
			last_keep(&cache->sizes[i], NULL);
}

int sample_take(struct wg_snapshot **out, const struct sample_opts *opts, struct sample_error *err)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct sample_names_file store_tmp = { 0 }, *store = &store_tmp;
	struct strlist names = { 0 };
	int ret;

	memset(err, 0, sizeof(*err));
	*out = NULL;
	if (!snap)
		return fail(err, SAMPLE_LIST_FAILED, -ENOMEM, NULL);

	ret = backend_list_devices(&names);
	if (ret < 0) {
		fail(err, SAMPLE_LIST_FAILED, ret, NULL);
		goto out;
	}
	if (opts->config_wait && !opts->iface) {
		ret = fail(err, SAMPLE_LIST_FAILED, -EINVAL, NULL);
		goto out;
	}
	if (opts->iface && !strlist_contains(&names, opts->iface)) {
		lasts_drop_gone(opts->cache, &names);
		err->available = names;
		memset(&names, 0, sizeof(names));
		if (if_nametoindex(opts->iface))
			ret = fail(err, SAMPLE_NOT_WIREGUARD, -EINVAL, opts->iface);
		else
			ret = fail(err, SAMPLE_NO_SUCH_IFACE, -ENODEV, opts->iface);
		goto out;
	}
	if (!names.n && kernel_family_present() == -ENOENT) {
		ret = fail(err, SAMPLE_NO_WIREGUARD, -ENOENT, NULL);
		goto out;
	}
	if (opts->names_path && (ret = file_get(opts->cache, opts->names_path, false, false, &store_tmp, &store)) < 0) {
		err->path = opts->names_path;
		fail(err, SAMPLE_NAMES_FAILED, ret, NULL);
		goto out;
	}

	for (size_t i = 0; i < names.n; ++i) {
		struct wg_device *dev = NULL;
		const struct sample_size *sz;
		struct backend_read r = { .keep_sums = opts->cache != NULL };

		if (opts->iface && strcmp(opts->iface, names.v[i]))
			continue;
		sz = size_of(opts->cache, names.v[i]);
		r.earlier = sz ? sz->last : NULL;
		ret = backend_read_device(&dev, names.v[i], sz ? sz->n_peers : 0, &r);
		/* Gone between the listing and the read: it is simply not there any more. */
		if (ret == -ENODEV && !opts->iface)
			continue;
		if (ret < 0) {
			fail(err, SAMPLE_READ_FAILED, ret, names.v[i]);
			goto out;
		}
		/* The console holds a snapshot and takes the next: each the size of its peers. */
		wg_device_trim(dev);
		size_keep(opts->cache, dev);
		if ((ret = name_device(dev, opts, &store->map, err)) < 0 ||
		    (ret = wg_snapshot_add_device(snap, dev)) < 0) {
			wg_device_free(dev);
			if (!err->failure)
				fail(err, SAMPLE_READ_FAILED, ret, names.v[i]);
			goto out;
		}
	}
	lasts_drop_gone(opts->cache, &names);
	clock_gettime(CLOCK_MONOTONIC, &snap->mono);
	clock_gettime(CLOCK_REALTIME, &snap->wall);
	*out = snap;
	snap = NULL;
	ret = 0;
out:
	wg_snapshot_free(snap);
	file_clear(&store_tmp);
	strlist_clear(&names);
	return ret;
}

void sample_cache_clear(struct sample_cache *cache)
{
	for (size_t i = 0; i < cache->n; ++i) {
		free(cache->files[i]->path);
		file_clear(cache->files[i]);
		free(cache->files[i]);
	}
	free(cache->files);
	for (size_t i = 0; i < cache->n_sizes; ++i)
		size_clear(&cache->sizes[i]);
	free(cache->sizes);
	memset(cache, 0, sizeof(*cache));
}

void sample_error_clear(struct sample_error *err)
{
	strlist_clear(&err->available);
}

/* The WireGuard interfaces that do exist, as "a, b", escaped, for one-line messages. */
static char *available_list(const struct strlist *names)
{
	size_t len = 1;
	char *s;

	for (size_t i = 0; i < names->n; ++i)
		len += text_escape(NULL, 0, names->v[i], strlen(names->v[i])) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0, o = 0; i < names->n; ++i) {
		if (i)
			o += (size_t)sprintf(s + o, ", ");
		o += text_escape(s + o, len - o, names->v[i], strlen(names->v[i]));
	}
	return s;
}

/* -i named something that is not a WireGuard interface here: say what there is instead. */
static void describe_missing(char *buf, size_t len, const struct sample_error *err, const char *iface)
{
	char *list = available_list(&err->available);
	bool exists = err->failure == SAMPLE_NOT_WIREGUARD;

	if (!list || !list[0])
		snprintf(buf, len, exists ?
			 _("%s is not a WireGuard interface, and there is none in this network namespace") :
			 _("there is no interface named %s, and no WireGuard interface in this network namespace"),
			 iface);
	else
		snprintf(buf, len, exists ? _("%s is not a WireGuard interface; WireGuard interfaces here: %s") :
					    _("there is no interface named %s; WireGuard interfaces here: %s"),
			 iface, list);
	free(list);
}

static void describe_read(char *buf, size_t len, const struct sample_error *err, const char *iface)
{
	const char *backend = userspace_has_interface(err->iface) ? _("userspace") : _("kernel");

	switch (-err->code) {
	case EPERM:
	case EACCES:
		snprintf(buf, len, _("reading %s needs root or the CAP_NET_ADMIN capability"), iface);
		break;
	case ETIMEDOUT:
		snprintf(buf, len, _("%s: the %s backend did not answer within %d seconds"), iface, backend,
			 BACKEND_TIMEOUT_MS / 1000);
		break;
	case ECONNREFUSED:
		snprintf(buf, len, _("%s: nothing answers on %s/%s.sock (is wireguard-go still running?)"), iface,
			 USERSPACE_SOCK_DIR, iface);
		break;
	case EPROTO:
		snprintf(buf, len, _("%s: the %s backend's reply ended early"), iface, backend);
		break;
	case EBADMSG:
		snprintf(buf, len, _("%s: the %s backend sent a malformed reply"), iface, backend);
		break;
	case E2BIG:
		snprintf(buf, len, _("%s: the %s backend's reply is larger than wgstar reads"), iface, backend);
		break;
	default:
		snprintf(buf, len, _("%s: reading the interface failed: %s"), iface, text_strerror(-err->code));
		break;
	}
}

void sample_error_describe(char *buf, size_t len, const struct sample_error *err)
{
	char ifbuf[TEXT_IFNAME_LEN], path[512];
	const char *iface = text_safe(ifbuf, sizeof(ifbuf), err->iface);

	switch (err->failure) {
	case SAMPLE_NO_WIREGUARD:
		snprintf(buf, len, "%s", _("WireGuard is not available here: the kernel has no wireguard module "
					   "loaded and no userspace implementation (wireguard-go, boringtun) runs an "
					   "interface in this network namespace"));
		break;
	case SAMPLE_NO_SUCH_IFACE:
	case SAMPLE_NOT_WIREGUARD:
		describe_missing(buf, len, err, iface);
		break;
	case SAMPLE_LIST_FAILED:
		snprintf(buf, len, _("listing the WireGuard interfaces failed: %s"), text_strerror(-err->code));
		break;
	case SAMPLE_NAMES_FAILED:
		snprintf(buf, len, _("reading peer names from %s failed: %s"),
			 err->path ? text_safe(path, sizeof(path), err->path) : iface, text_strerror(-err->code));
		break;
	case SAMPLE_READ_FAILED:
	default:
		describe_read(buf, len, err, iface);
		break;
	}
}
