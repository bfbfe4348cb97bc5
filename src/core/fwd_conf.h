/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A sysctl.d file's text: the value it gives a key, and the text with keys set, every other line kept. */
#ifndef WGSTAR_FWD_CONF_H
#define WGSTAR_FWD_CONF_H

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

#endif
