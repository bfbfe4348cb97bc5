// SPDX-License-Identifier: GPL-2.0-or-later
/* Helper threads of the program's own, which leave every signal to the threads that started them. */
#include <signal.h>
#include "thread.h"

bool thread_start_quiet(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	bool started;

	/* The new thread inherits the mask in force while it is created. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	started = pthread_create(thread, NULL, fn, arg) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}
