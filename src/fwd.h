/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The forwarding switch: IPv4 and IPv6 forwarding of this network namespace, optionally persisted. */
#ifndef WGSTAR_FWD_H
#define WGSTAR_FWD_H

#include <stdbool.h>
#include <stddef.h>

#define FWD_SYSCTL_DIR "/etc/sysctl.d"
#define FWD_CONF_NAME "99-wgstar.conf"
#define FWD_KEY_IPV4 "net.ipv4.ip_forward"
#define FWD_KEY_IPV6 "net.ipv6.conf.all.forwarding"

struct fwd_setting {
	const char *key;	/* dotted, as sysctl(8) writes it */
	int value;
};

/*
 * A sysctl.d file's text with each key set to its value: every line of such a key rewritten in
 * place (a leading '-' kept), every other line kept byte for byte, a key not there appended.
 * NULL on ENOMEM.
 */
char *fwd_conf_update(const char *old, const struct fwd_setting *set, size_t n);

/* The value a sysctl.d text gives key (the last line wins), or -1. */
int fwd_conf_value(const char *text, const char *key);

/* The directory for the file: WGSTAR_SYSCTL_DIR, else FWD_SYSCTL_DIR. */
const char *fwd_sysctl_dir(void);

/* Reads or writes key under /proc/sys for this network namespace: 0/1 or -errno. */
int fwd_read(const char *key);
int fwd_write(const char *key, int value);

/* Writes the settings into fwd_sysctl_dir()/FWD_CONF_NAME atomically. 0 or -errno. */
int fwd_persist(const struct fwd_setting *set, size_t n);

#endif
