// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nospawn.so: preloaded by the tests into wgstar-top so that starting a process fails, as it
 * does when the process table or memory is exhausted: the paths taken when the firewall guard
 * cannot be started run against the real ruleset.
 */
#include <errno.h>
#include <spawn.h>

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
		char *const argv[], char *const envp[])
{
	(void)pid;
	(void)path;
	(void)fa;
	(void)attr;
	(void)argv;
	(void)envp;
	return EAGAIN;
}
