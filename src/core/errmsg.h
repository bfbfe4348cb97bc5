/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What went wrong, the one way it travels to the user: an errno, and where that says too
 * little, one translated line. Functions that can say why take a struct errmsg and fill it.
 */
#ifndef WGSTAR_ERRMSG_H
#define WGSTAR_ERRMSG_H

#define ERRMSG_LEN 512

struct errmsg {
	int code;			/* -errno, 0 when all went well */
	char text[ERRMSG_LEN];		/* "" when the errno says it all */
};

/* Sets both; returns code, so that `return errmsg_set(e, -EINVAL, ...)` reads as it does. */
__attribute__((format(printf, 3, 4))) int errmsg_set(struct errmsg *e, int code, const char *fmt, ...);
void errmsg_clear(struct errmsg *e);
/* The line to show: the text when there is one, else what the errno means (text_strerror). */
const char *errmsg_text(const struct errmsg *e);
/* The same for a failure that returned code (-errno) and may have left a text in e. */
const char *errmsg_or(const struct errmsg *e, int code);

#endif
