/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

#include "thread.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* struct sched_attr of sched_setattr(2), which glibc does not declare (before 2.41). */
struct thread_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime;
	uint64_t sched_deadline;
	uint64_t sched_period;
};

/* This thread: SCHED_OTHER at its nice value, with slice_ns (0: the kernel's default). */
static int set_slice(uint64_t slice_ns)
{
	struct thread_sched_attr attr = { .size = sizeof attr,
					  .sched_policy = 0, /* SCHED_OTHER */
					  .sched_nice = 0,
					  .sched_runtime = slice_ns };

	errno = 0;
	attr.sched_nice = getpriority(PRIO_PROCESS, 0); /* keep the nice value */
	if (errno != 0)
		return -errno;
	return syscall(SYS_sched_setattr, 0, &attr, 0) < 0 ? -errno : 0;
}

int thread_request_short_slice(void)
{
	return set_slice(THREAD_SHORT_SLICE_NS);
}

int thread_default_slice(void)
{
	return set_slice(0);
}
