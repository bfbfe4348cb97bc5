// SPDX-License-Identifier: GPL-2.0-or-later
/* One sample of the world: every WireGuard interface read, named and timestamped. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "backend.h"
#include "names.h"
#include "sample.h"

static int fail(struct sample_error *err, enum sample_failure f, int code, const char *iface)
{
	err->failure = f;
	err->code = code;
	if (iface)
		snprintf(err->iface, sizeof(err->iface), "%s", iface);
	return code < 0 ? code : -EINVAL;
}

static int name_device(struct wg_device *dev, const struct sample_opts *opts, struct name_map *store,
		       struct sample_error *err)
{
	struct name_map config = { 0 };
	char path[PATH_MAX];
	const char *p = opts->config_path;
	int ret;

	if (!p) {
		snprintf(path, sizeof(path), "%s/%s.conf", SAMPLE_CONFIG_DIR, dev->name);
		p = path;
	}
	/* An unreadable config file only costs names, never the numbers. */
	names_load(&config, p, names_parse_config);
	ret = names_apply(dev, &config, store);
	names_clear(&config);
	if (ret < 0)
		return fail(err, SAMPLE_NAMES_FAILED, ret, dev->name);
	return 0;
}

int sample_take(struct wg_snapshot **out, const struct sample_opts *opts, struct sample_error *err)
{
	struct wg_snapshot *snap = wg_snapshot_new();
	struct name_map store = { 0 };
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
	if (opts->iface && !strlist_contains(&names, opts->iface)) {
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
	if (opts->names_path && (ret = names_load(&store, opts->names_path, names_parse_store)) < 0) {
		err->path = opts->names_path;
		fail(err, SAMPLE_NAMES_FAILED, ret, NULL);
		goto out;
	}

	for (size_t i = 0; i < names.n; ++i) {
		struct wg_device *dev = NULL;

		if (opts->iface && strcmp(opts->iface, names.v[i]))
			continue;
		ret = backend_get_device(&dev, names.v[i]);
		/* Gone between the listing and the read: it is simply not there any more. */
		if (ret == -ENODEV && !opts->iface)
			continue;
		if (ret < 0) {
			fail(err, SAMPLE_READ_FAILED, ret, names.v[i]);
			goto out;
		}
		if ((ret = name_device(dev, opts, &store, err)) < 0 ||
		    (ret = wg_snapshot_add_device(snap, dev)) < 0) {
			wg_device_free(dev);
			if (!err->failure)
				fail(err, SAMPLE_READ_FAILED, ret, names.v[i]);
			goto out;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &snap->mono);
	clock_gettime(CLOCK_REALTIME, &snap->wall);
	*out = snap;
	snap = NULL;
	ret = 0;
out:
	wg_snapshot_free(snap);
	names_clear(&store);
	strlist_clear(&names);
	return ret;
}

void sample_error_clear(struct sample_error *err)
{
	strlist_clear(&err->available);
}
