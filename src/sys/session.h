/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's own session: the ssh connection this process runs in, if any. */
#ifndef WGSTAR_SESSION_H
#define WGSTAR_SESSION_H

/* The server port of the ssh connection this process runs in, or 0 when there is none. */
unsigned int session_ssh_port(void);

#endif
