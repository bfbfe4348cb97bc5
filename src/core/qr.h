/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A QR code drawn with text, for a phone to scan a client configuration off the terminal. */
#ifndef WGSTAR_QR_H
#define WGSTAR_QR_H

#include <stddef.h>

/* Quiet zone around the symbol, in modules: less than the standard 4, as terminals are small. */
#define QR_QUIET_ZONE 2

struct qr_art {
	char **lines;		/* n NUL-terminated lines, UTF-8 or ASCII */
	size_t n;
	unsigned int width;	/* terminal columns each line occupies */
};

/*
 * Both styles draw light modules as ink and dark modules as blank, as `qrencode -t UTF8`
 * does: on the usual light-on-dark terminal the symbol then reads dark-on-light, as a
 * scanner expects. On a dark-on-light terminal it comes out inverted, which many phone
 * scanners read but not all: where colours are available, draw it light-on-dark.
 */
enum qr_style {
	/*
	 * Two module rows per line, one column per module: U+2588 (both light), U+2580
	 * (upper light), U+2584 (lower light) or a space. An odd last row is paired with a
	 * light one, as qrencode does. width = modules + 4, n = (modules + 5) / 2.
	 */
	QR_UTF8_HALF,
	/* One line per module row, "##" for a light module, "  " for a dark one. width = 2 * (modules + 4). */
	QR_ASCII,
};

/*
 * Encodes text in byte mode at error correction level L, the smallest symbol, in the
 * smallest version it fits: a dual-stack client configuration with a preshared key (~400
 * bytes) takes version 13, 69 modules, 73 columns and 37 lines in QR_UTF8_HALF.
 * 0, -EINVAL, -EMSGSIZE when text is too long for any version, -ENOMEM. On success free
 * *out with qr_art_free().
 */
int qr_render(struct qr_art *out, const char *text, enum qr_style style);
void qr_art_free(struct qr_art *a);

#endif
