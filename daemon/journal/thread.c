/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

#include "thread.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
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

/* This thread's slice set to slice_ns (0: the kernel's default), its nice value kept; a policy
 * other than SCHED_OTHER (an administrator's SCHED_BATCH, SCHED_IDLE or real-time) is left
 * alone. */
static int set_slice(uint64_t slice_ns)
{
	struct thread_sched_attr attr;

	if (syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) < 0)
		return -errno;
	if (attr.sched_policy != 0) /* SCHED_OTHER */
		return 0;
	attr.size = sizeof attr;
	attr.sched_flags &= 0x01; /* SCHED_FLAG_RESET_ON_FORK kept */
	attr.sched_runtime = slice_ns;
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
