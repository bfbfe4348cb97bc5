// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * setdump: what the kernel's dump of some nf_tables sets costs, as bench/setdump.sh weighs set
 * layouts. Dumps every SET of TABLE (family inet) with NFT_MSG_GETSETELEM, ROUNDS times over,
 * without parsing the elements, and prints one line: the median wall and CPU time (user and
 * system: the kernel writes the dump in the caller's recvmsg) of a round, its bytes and its
 * messages.
 *
 * Usage: setdump ROUNDS TABLE SET...
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <libmnl/libmnl.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

static double mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double cpu_ms(void)
{
	struct rusage u;

	getrusage(RUSAGE_SELF, &u);
	return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 +
	       (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One set's elements, dumped and thrown away: bytes and messages added up. */
static int dump_set(struct mnl_socket *nl, const char *table, const char *name, long *bytes, long *msgs)
{
	static char buf[1 << 16];
	struct nftnl_set *s = nftnl_set_alloc();
	struct nlmsghdr *nlh;
	unsigned int portid = mnl_socket_get_portid(nl);
	int ret;

	if (!s)
		return -ENOMEM;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET, NLM_F_DUMP | NLM_F_ACK, 1);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));

		if (n < 0)
			return -errno;
		*bytes += n;
		++*msgs;
		ret = mnl_cb_run(buf, (size_t)n, 1, portid, NULL, NULL);
	} while (ret > 0);
	return ret < 0 ? -errno : 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 3 ? atoi(argv[1]) : 0, ret;
	double *wall, *cpu;
	long bytes = 0, msgs = 0;
	struct mnl_socket *nl;

	if (rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: setdump ROUNDS TABLE SET...\n");
		return 2;
	}
	wall = calloc((size_t)rounds, sizeof(*wall));
	cpu = calloc((size_t)rounds, sizeof(*cpu));
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!wall || !cpu || !nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("setdump");
		return 1;
	}
	for (int r = 0; r < rounds; ++r) {
		double w0 = mono_ms(), c0 = cpu_ms();

		bytes = msgs = 0;
		for (int i = 3; i < argc; ++i)
			if ((ret = dump_set(nl, argv[2], argv[i], &bytes, &msgs)) < 0) {
				fprintf(stderr, "setdump: %s %s: %s\n", argv[2], argv[i], strerror(-ret));
				return 1;
			}
		wall[r] = mono_ms() - w0;
		cpu[r] = cpu_ms() - c0;
	}
	printf("%.2f %.2f %ld %ld\n", median(wall, rounds), median(cpu, rounds), bytes, msgs);
	mnl_socket_close(nl);
	free(wall);
	free(cpu);
	return 0;
}
