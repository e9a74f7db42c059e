/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "syncer.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <event2/event.h>

struct syncer {
	/* the loop's side */
	struct event *woken; /* the eventfd readable: a sync returned */
	syncer_done_fn done;
	void *ctx;
	bool in_flight;      /* started, its result not taken yet */
	/* shared with the thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t requested; /* the thread waits: a fd to sync, or quit */
	pthread_cond_t finished;  /* syncer_wait waits: the sync returned */
	int request_fd;           /* -1: nothing to start */
	bool has_result;
	int result;
	bool quit;
	/* fixed */
	syncer_sync_fn sync;
	int eventfd;
	pthread_t thread;
	bool thread_started;
};

/* Wait for a request, run it, publish its result, wake the loop; until told to quit. */
static void *syncer_thread(void *arg)
{
	struct syncer *syncer = arg;
	const uint64_t one = 1;

	pthread_mutex_lock(&syncer->lock);
	for (;;) {
		int fd, result;

		while (!syncer->quit && syncer->request_fd < 0)
			pthread_cond_wait(&syncer->requested, &syncer->lock);
		if (syncer->request_fd < 0)
			break;
		fd = syncer->request_fd;
		syncer->request_fd = -1;
		pthread_mutex_unlock(&syncer->lock);
		result = syncer->sync(fd) < 0 ? -errno : 0;
		pthread_mutex_lock(&syncer->lock);
		syncer->result = result;
		syncer->has_result = true;
		pthread_cond_signal(&syncer->finished);
		pthread_mutex_unlock(&syncer->lock);
		while (write(syncer->eventfd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&syncer->lock);
	}
	pthread_mutex_unlock(&syncer->lock);
	return NULL;
}

/* The result of the sync in flight, if it returned; the flag cleared. */
static bool take_result(struct syncer *syncer, int *result)
{
	bool taken;

	pthread_mutex_lock(&syncer->lock);
	taken = syncer->has_result;
	*result = syncer->result;
	syncer->has_result = false;
	pthread_mutex_unlock(&syncer->lock);
	if (taken)
		syncer->in_flight = false;
	return taken;
}

static void on_woken(evutil_socket_t fd, short what, void *ctx)
{
	struct syncer *syncer = ctx;
	uint64_t count;
	int result;

	(void)what;
	while (read(fd, &count, sizeof count) < 0 && errno == EINTR)
		;
	/* A wake-up whose result syncer_wait took already finds none. */
	if (syncer->in_flight && take_result(syncer, &result))
		syncer->done(syncer->ctx, result);
}

/* The thread, created with every signal blocked (it inherits the mask). */
static int start_thread(struct syncer *syncer)
{
	sigset_t all, old;
	int rc;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&syncer->thread, NULL, syncer_thread, syncer);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	syncer->thread_started = rc == 0;
	return -rc;
}

struct syncer *syncer_new(struct event_base *base, syncer_sync_fn sync, syncer_done_fn done,
			  void *ctx)
{
	struct syncer *syncer = calloc(1, sizeof *syncer);
	int rc;

	if (!syncer)
		return NULL;
	syncer->done = done;
	syncer->ctx = ctx;
	syncer->sync = sync ? sync : fdatasync;
	syncer->request_fd = -1;
	pthread_mutex_init(&syncer->lock, NULL);
	pthread_cond_init(&syncer->requested, NULL);
	pthread_cond_init(&syncer->finished, NULL);
	if ((syncer->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto failed;
	syncer->woken = event_new(base, syncer->eventfd, EV_READ | EV_PERSIST, on_woken, syncer);
	if (!syncer->woken || event_add(syncer->woken, NULL) < 0) {
		errno = ENOMEM;
		goto failed;
	}
	if ((rc = start_thread(syncer)) < 0) {
		errno = -rc;
		goto failed;
	}
	return syncer;
failed:
	rc = errno;
	syncer_free(syncer);
	errno = rc;
	return NULL;
}

bool syncer_busy(const struct syncer *syncer)
{
	return syncer->in_flight;
}

int syncer_start(struct syncer *syncer, int fd)
{
	if (syncer->in_flight)
		return -EBUSY;
	pthread_mutex_lock(&syncer->lock);
	syncer->request_fd = fd;
	pthread_cond_signal(&syncer->requested);
	pthread_mutex_unlock(&syncer->lock);
	syncer->in_flight = true;
	return 0;
}

bool syncer_wait(struct syncer *syncer, int *result)
{
	if (!syncer->in_flight)
		return false;
	pthread_mutex_lock(&syncer->lock);
	while (!syncer->has_result)
		pthread_cond_wait(&syncer->finished, &syncer->lock);
	pthread_mutex_unlock(&syncer->lock);
	return take_result(syncer, result);
}

void syncer_free(struct syncer *syncer)
{
	int result;

	if (!syncer)
		return;
	if (syncer->thread_started) {
		syncer_wait(syncer, &result);
		pthread_mutex_lock(&syncer->lock);
		syncer->quit = true;
		pthread_cond_signal(&syncer->requested);
		pthread_mutex_unlock(&syncer->lock);
		pthread_join(syncer->thread, NULL);
	}
	if (syncer->woken)
		event_free(syncer->woken);
	if (syncer->eventfd >= 0)
		close(syncer->eventfd);
	pthread_cond_destroy(&syncer->finished);
	pthread_cond_destroy(&syncer->requested);
	pthread_mutex_destroy(&syncer->lock);
	free(syncer);
}
