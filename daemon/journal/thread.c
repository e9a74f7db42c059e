/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

#include "thread.h"

#include <signal.h>

int thread_start_masked(pthread_t *thread, void *(*run)(void *), void *arg)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(thread, NULL, run, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -rc;
}
