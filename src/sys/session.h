/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The operator's own session: the ssh connection this process runs in, if any, and who is at
 * the keyboard. Debian's sudo drops SSH_CONNECTION, so the connection is also found the way
 * `ss -p` would: the sshd process among this process's ancestors, and the TCP socket it holds.
 */
#ifndef WGSTAR_SESSION_H
#define WGSTAR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <netinet/in.h>

struct session {
	bool ssh;			/* runs in an ssh connection */
	unsigned int server_port;	/* sshd's local port */
	int family;			/* AF_INET or AF_INET6 of the client */
	union {
		struct in_addr client4;
		struct in6_addr client6;
	};
	char client[64];		/* the client address, as text */
};

/* The ssh connection of this process: from SSH_CONNECTION, or else from the process ancestry. */
void session_find(struct session *s);

/* The server port of the ssh connection this process runs in, or 0 when there is none. */
unsigned int session_ssh_port(void);

/* Who runs this, for the log: the user (and the sudo user) and the ssh client, in buf. */
const char *session_who(char *buf, size_t len);

/* Parses one line of /proc/net/tcp or tcp6 for the socket inode: 1 when it is that socket. */
int session_parse_tcp_line(const char *line, unsigned long inode, struct session *s);

#endif
