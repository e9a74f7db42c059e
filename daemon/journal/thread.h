/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_THREAD_H
#define CADMOND_THREAD_H

#include <pthread.h>

/* Start run(arg) on a thread of its own with every signal blocked (the thread keeps that mask):
 * signals stay the main thread's, whose event loop handles them. 0, or -errno of
 * pthread_create. The journal's threads: the sync thread (syncer.c), recovery's reader. */
int thread_start_masked(pthread_t *thread, void *(*run)(void *), void *arg);

/* The calling thread's scheduler slice (Linux 6.12's EEVDF: sched_attr.sched_runtime of a
 * SCHED_OTHER thread), THREAD_SHORT_SLICE_NS, the kernel's shortest: a thread woken with a
 * shorter slice than the one running preempts it at once instead of waiting out that one's
 * slice (up to about 3 ms), while its share of the CPU stays its nice value's. For the threads
 * an alert waits on: the event loop and the sync thread. 0, or -errno (an older kernel ignores
 * it; a seccomp filter without sched_setattr: -EPERM). */
#define THREAD_SHORT_SLICE_NS 100000u
int thread_request_short_slice(void);

/* Back to the kernel's default slice (a snapshot child: long work that no alert waits on).
 * 0, or -errno. */
int thread_default_slice(void);

#endif
