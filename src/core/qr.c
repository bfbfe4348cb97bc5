// SPDX-License-Identifier: GPL-2.0-or-later
/* A QR code drawn with text, for a phone to scan a client configuration off the terminal. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <qrencode.h>
#include "key.h"
#include "qr.h"

#define UPPER_HALF "\u2580"
#define LOWER_HALF "\u2584"
#define FULL_BLOCK "\u2588"

/* Whether the module at (x, y) of the symbol with its quiet zone around it is light. */
static bool light(const QRcode *qr, int x, int y)
{
	x -= QR_QUIET_ZONE;
	y -= QR_QUIET_ZONE;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return true;
	/* Bit 0 of each module is its colour, 1 for dark; the rest say what it is for. */
	return !(qr->data[y * qr->width + x] & 1);
}

static char *utf8_line(const QRcode *qr, int size, int y)
{
	/* Each of the block elements takes three bytes in UTF-8. */
	char *line = malloc((size_t)size * 3 + 1), *p = line;

	if (!line)
		return NULL;
	for (int x = 0; x < size; ++x) {
		bool up = light(qr, x, y), down = light(qr, x, y + 1);
		const char *s = up && down ? FULL_BLOCK : up ? UPPER_HALF : down ? LOWER_HALF : " ";
		size_t len = strlen(s);

		memcpy(p, s, len);
		p += len;
	}
	*p = '\0';
	return line;
}

static char *ascii_line(const QRcode *qr, int size, int y)
{
	char *line = malloc((size_t)size * 2 + 1);

	if (!line)
		return NULL;
	for (int x = 0; x < size; ++x)
		memset(line + 2 * x, light(qr, x, y) ? '#' : ' ', 2);
	line[2 * size] = '\0';
	return line;
}

/* The encoder's modules spell the text out as much as the text does. */
static void qr_free(QRcode *qr)
{
	key_wipe(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

int qr_render(struct qr_art *out, const char *text, enum qr_style style)
{
	struct qr_art art = { NULL, 0, 0 };
	QRcode *qr;
	int size;

	if (!out || !text || (style != QR_UTF8_HALF && style != QR_ASCII))
		return -EINVAL;
	/*
	 * Byte mode throughout: a configuration is mostly base64 and lower case, which the
	 * denser numeric and alphanumeric modes do not hold, and every scanner reads it.
	 * Level L recovers 7%: enough for a screen, which has no stains or creases, and it
	 * keeps the symbol small enough for an 80-column terminal.
	 */
	errno = 0;
	qr = QRcode_encodeString8bit(text, 0, QR_ECLEVEL_L);
	if (!qr) {
		if (errno == ERANGE)
			return -EMSGSIZE;
		if (errno == ENOMEM)
			return -ENOMEM;
		return -EINVAL;
	}
	size = qr->width + 2 * QR_QUIET_ZONE;
	art.n = style == QR_UTF8_HALF ? (size_t)(size + 1) / 2 : (size_t)size;
	art.width = style == QR_UTF8_HALF ? (unsigned int)size : 2 * (unsigned int)size;
	art.lines = calloc(art.n, sizeof(*art.lines));
	if (!art.lines)
		goto nomem;
	for (size_t i = 0; i < art.n; ++i) {
		if (style == QR_UTF8_HALF)
			art.lines[i] = utf8_line(qr, size, 2 * (int)i);
		else
			art.lines[i] = ascii_line(qr, size, (int)i);
		if (!art.lines[i])
			goto nomem;
	}
	qr_free(qr);
	*out = art;
	return 0;
nomem:
	qr_free(qr);
	qr_art_free(&art);
	return -ENOMEM;
}

void qr_art_free(struct qr_art *a)
{
	if (!a || !a->lines)
		return;
	/* What it draws is a client config: a private key, readable by any scanner. */
	for (size_t i = 0; i < a->n; ++i) {
		if (a->lines[i])
			key_wipe(a->lines[i], strlen(a->lines[i]));
		free(a->lines[i]);
	}
	free(a->lines);
	a->lines = NULL;
	a->n = 0;
	a->width = 0;
}
