/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Helper threads of the program's own, which leave every signal to the threads that started them. */
#ifndef WGSTAR_THREAD_H
#define WGSTAR_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/*
 * A thread for fn(arg) with every signal blocked: a terminal resize or a ^C goes to the
 * thread that waits for it, never to a helper. false when none could be started.
 */
bool thread_start_quiet(pthread_t *thread, void *(*fn)(void *), void *arg);

#endif
