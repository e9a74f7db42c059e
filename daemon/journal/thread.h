/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_THREAD_H
#define CADMOND_THREAD_H

#include <pthread.h>

/* Start run(arg) on a thread of its own with every signal blocked (the thread keeps that mask):
 * signals stay the main thread's, whose event loop handles them. 0, or -errno of
 * pthread_create. The journal's threads: the sync thread (syncer.c), recovery's reader. */
int thread_start_masked(pthread_t *thread, void *(*run)(void *), void *arg);

#endif
