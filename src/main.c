// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top: command line and dispatch. */
int main(void) { return 0; }
