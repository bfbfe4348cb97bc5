/* SPDX-License-Identifier: GPL-2.0-or-later */
/* gettext shorthands for every string a user reads. */
#ifndef WGSTAR_I18N_H
#define WGSTAR_I18N_H

#include <libintl.h>
#include <locale.h>

#define _(s) gettext(s)
#define N_(s) (s)

#endif
