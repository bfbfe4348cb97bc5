/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The keys the console knows: a printable key is its own code point, the others lie beyond Unicode. */
#ifndef WGSTAR_KEYS_H
#define WGSTAR_KEYS_H

enum app_key {
	AK_UP = 0x110000, AK_DOWN, AK_PGUP, AK_PGDN, AK_HOME, AK_END,
	AK_ENTER, AK_ESC, AK_TAB, AK_BACKSPACE, AK_F1, AK_F10,
	AK_LEFT, AK_RIGHT, AK_BTAB, AK_DELETE, AK_KILL_LINE,	/* Shift-Tab; Ctrl-U */
};

#endif
