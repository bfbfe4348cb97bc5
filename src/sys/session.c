// SPDX-License-Identifier: GPL-2.0-or-later
/* The operator's own session: the ssh connection this process runs in, if any, and who is at the keyboard. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "session.h"

/* How far up the process tree an sshd is looked for: a shell, sudo, su, tmux... */
#define SESSION_MAX_DEPTH 16

static bool from_env(struct session *s)
{
	const char *env = getenv("SSH_CONNECTION");
	char client[64], server[64];
	unsigned int cport, sport;

	if (!env || sscanf(env, "%63s %u %63s %u", client, &cport, server, &sport) != 4 || !sport || sport > 65535)
		return false;
	if (inet_pton(AF_INET, client, &s->client4) == 1)
		s->family = AF_INET;
	else if (inet_pton(AF_INET6, client, &s->client6) == 1)
		s->family = AF_INET6;
	else
		return false;
	/* An IPv4 client of a dual-stack sshd may come as ::ffff:a.b.c.d: it is an IPv4 one. */
	if (s->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s->client6)) {
		struct in_addr v4;

		memcpy(&v4, &s->client6.s6_addr[12], 4);
		s->client4 = v4;
		s->family = AF_INET;
	}
	inet_ntop(s->family, &s->client4, s->client, sizeof(s->client));
	s->server_port = sport;
	s->ssh = true;
	return true;
}

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) < 0 || !(p = strrchr(buf, ')')) || sscanf(p + 1, " %*c %d", &ppid) != 1)
		return 0;
	return ppid;
}

static bool is_sshd(pid_t pid)
{
	char path[64], comm[64];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_small(path, comm, sizeof(comm)) < 0)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	/* OpenSSH 9.8 runs each connection as sshd-session. */
	return !strcmp(comm, "sshd") || !strcmp(comm, "sshd-session");
}

static unsigned long hex_word(const char *s, size_t n)
{
	char buf[9];

	memcpy(buf, s, n);
	buf[n] = '\0';
	return strtoul(buf, NULL, 16);
}

int session_parse_tcp_line(const char *line, unsigned long inode, struct session *s)
{
	char local[40], remote[40];
	unsigned int lport, rport, state;
	unsigned long ino;
	size_t n;

	if (sscanf(line, " %*u: %39[0-9A-Fa-f]:%x %39[0-9A-Fa-f]:%x %x %*s %*s %*s %*s %*s %lu", local, &lport, remote,
		   &rport, &state, &ino) != 6 || ino != inode)
		return 0;
	n = strlen(remote);
	/* Words of the kernel's in-memory addresses, printed as host-order hex. */
	if (n == 8) {
		s->family = AF_INET;
		s->client4.s_addr = (uint32_t)hex_word(remote, 8);
	} else if (n == 32) {
		s->family = AF_INET6;
		for (int i = 0; i < 4; ++i) {
			uint32_t w = (uint32_t)hex_word(remote + 8 * i, 8);

			memcpy(&s->client6.s6_addr[4 * i], &w, 4);
		}
		if (IN6_IS_ADDR_V4MAPPED(&s->client6)) {
			struct in_addr v4;

			memcpy(&v4, &s->client6.s6_addr[12], 4);
			s->client4 = v4;
			s->family = AF_INET;
		}
	} else {
		return 0;
	}
	inet_ntop(s->family, &s->client4, s->client, sizeof(s->client));
	s->server_port = lport;
	s->ssh = true;
	return 1;
}

/* The connection whose socket inode this is, from this network namespace's TCP tables. */
static bool find_socket(unsigned long inode, struct session *s)
{
	static const char *const tables[] = { "/proc/net/tcp", "/proc/net/tcp6" };

	for (size_t t = 0; t < 2; ++t) {
		FILE *f = fopen(tables[t], "re");
		char line[512];
		bool found = false;

		if (!f)
			continue;
		while (!found && fgets(line, sizeof(line), f))
			found = session_parse_tcp_line(line, inode, s) == 1;
		fclose(f);
		if (found)
			return true;
	}
	return false;
}

/* The TCP connection an sshd process holds. */
static bool sshd_socket(pid_t pid, struct session *s)
{
	char path[64], link[128];
	struct dirent *e;
	bool found = false;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if (!(d = opendir(path)))
		return false;
	while (!found && (e = readdir(d))) {
		unsigned long inode;
		ssize_t n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);

		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &inode) == 1)
			found = find_socket(inode, s);
	}
	closedir(d);
	return found;
}

void session_find(struct session *s)
{
	pid_t pid = getppid();

	memset(s, 0, sizeof(*s));
	if (from_env(s))
		return;
	for (int depth = 0; pid > 1 && depth < SESSION_MAX_DEPTH; ++depth, pid = parent_of(pid))
		if (is_sshd(pid) && sshd_socket(pid, s))
			return;
	memset(s, 0, sizeof(*s));
}

unsigned int session_ssh_port(void)
{
	struct session s;

	session_find(&s);
	return s.ssh ? s.server_port : 0;
}

const char *session_who(char *buf, size_t len)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(getuid());
	struct session s;
	size_t o;

	o = (size_t)snprintf(buf, len, "%s", pw ? pw->pw_name : "?");
	if (sudo && sudo[0] && o < len)
		o += (size_t)snprintf(buf + o, len - o, " (sudo from %.64s)", sudo);
	session_find(&s);
	if (s.ssh && o < len)
		snprintf(buf + o, len - o, ", ssh from %s", s.client);
	return buf;
}
