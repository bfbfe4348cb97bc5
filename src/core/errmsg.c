// SPDX-License-Identifier: GPL-2.0-or-later
/* What went wrong, the one way it travels to the user. */
#include <stdarg.h>
#include <stdio.h>
#include "errmsg.h"
#include "text.h"

int errmsg_set(struct errmsg *e, int code, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
	return code;
}

void errmsg_clear(struct errmsg *e)
{
	e->code = 0;
	e->text[0] = '\0';
}

const char *errmsg_text(const struct errmsg *e)
{
	return e->text[0] ? e->text : text_strerror(e->code < 0 ? -e->code : e->code);
}

const char *errmsg_or(const struct errmsg *e, int code)
{
	return e->text[0] ? e->text : text_strerror(code < 0 ? -code : code);
}
