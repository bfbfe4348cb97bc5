// SPDX-License-Identifier: GPL-2.0-or-later
/* The operator's own session: the ssh connection this process runs in, if any. */
#include <stdio.h>
#include <stdlib.h>
#include "session.h"

/* SSH_CONNECTION is "client port server port": the server port is the one to keep open. */
unsigned int session_ssh_port(void)
{
	const char *s = getenv("SSH_CONNECTION");
	unsigned int port = 0;
	char a[64], b[64];
	unsigned int p1;

	if (s && sscanf(s, "%63s %u %63s %u", a, &p1, b, &port) != 4)
		port = 0;
	return port;
}
