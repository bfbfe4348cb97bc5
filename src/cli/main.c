// SPDX-License-Identifier: GPL-2.0-or-later
/* wgstar-top: the program; the only place that decides to exit. */
#include <locale.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include "cmd.h"
#include "format.h"
#include "i18n.h"
#include "peermap.h"

/*
 * The process holds private keys (new peers', the interface's in the kernel's reply): no core
 * file is written of it, and no other user may read its memory through /proc or ptrace.
 */
static void no_core_dumps(void)
{
	const struct rlimit zero = { 0, 0 };

	setrlimit(RLIMIT_CORE, &zero);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

int main(int argc, char *argv[])
{
	no_core_dumps();
	peermap_install();
	format_scope_name = if_indextoname;
	setlocale(LC_ALL, "");
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
	return cmd_main(argc, argv);
}
