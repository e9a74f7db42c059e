/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "syncer.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "statedir.h"
#include "thread.h"

/* A thread's share: the one that runs the syncs in turn, or the one beside it (urgent syncs). */
struct syncer_lane {
	struct syncer *syncer;
	bool beside;
};

struct syncer {
	/* the loop's side */
	struct event *woken; /* the eventfd readable: a sync returned */
	syncer_done_fn done;
	void *ctx;
	/* shared with the thread, under lock */
	pthread_mutex_t lock;
	pthread_cond_t requested; /* the thread waits: a sync to run, or quit */
	pthread_cond_t finished;  /* syncer_wait waits: the running sync returned */
	bool running;             /* a sync handed to the thread and not returned */
	struct journal_sync_point run;
	bool run_publish;         /* the running one is a publication (point: dir_fd, index) */
	bool has_next;            /* to run when the running one returns */
	struct journal_sync_point next;
	bool has_publish;         /* a publication to run before the next: never dropped */
	struct journal_sync_point publish;
	struct syncer_result results[SYNCER_RESULTS_MAX]; /* oldest first */
	size_t result_count;
	bool failed;              /* a sync failed: none runs until syncer_clear_failure */
	bool quit;
	/* an urgent sync beside the running one (syncer_start_urgent), on the second thread */
	pthread_cond_t beside_requested;
	bool beside_running;      /* handed to the second thread and not returned */
	struct journal_sync_point beside;
	bool pair_open;           /* a sync ran beside the running one: their results wait */
	unsigned pair_returned;   /* how many of the pair returned (0-2) */
	struct syncer_result pair[2]; /* the running one's result, the urgent one's */
	/* fixed */
	syncer_sync_fn sync;
	int eventfd;
	struct syncer_lane lanes[2]; /* the threads' arguments */
	pthread_t thread;
	pthread_t beside_thread;
	bool thread_started;
	bool beside_started;
};

static uint64_t monotonic_us(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

/* Under lock: nothing runs and a result's room is free: a publication waiting runs now, else
 * the next sync unless a sync failed. True when one was started. */
static bool start_waiting(struct syncer *syncer)
{
	if (syncer->running || syncer->pair_open || syncer->result_count >= SYNCER_RESULTS_MAX)
		return false;
	if (syncer->has_publish) {
		syncer->run = syncer->publish;
		syncer->run_publish = true;
		syncer->has_publish = false;
	} else if (syncer->has_next && !syncer->failed) {
		syncer->run = syncer->next;
		syncer->run_publish = false;
		syncer->has_next = false;
	} else {
		return false;
	}
	syncer->running = true;
	return true;
}

/* Under lock: one of a pair returned (which: 0 the running one, 1 the urgent one beside it).
 * When both have, their results go to the loop in the order they started, and a failure of
 * either is both's: on one descriptor Linux reports a writeback error to the first fdatasync
 * that looks, so the other's 0 proves nothing. */
static void finish_pair(struct syncer *syncer, unsigned which, const struct syncer_result *done)
{
	int failure;

	syncer->pair[which] = *done;
	if (++syncer->pair_returned < 2)
		return;
	failure = syncer->pair[0].result < 0 ? syncer->pair[0].result : syncer->pair[1].result;
	for (unsigned i = 0; i < 2; i++) {
		if (failure < 0)
			syncer->pair[i].result = failure;
		syncer->results[syncer->result_count++] = syncer->pair[i];
	}
	syncer->pair_open = false;
	syncer->pair_returned = 0;
	if (failure < 0)
		syncer->failed = true;
	/* No next starts here: the pair's two results fill SYNCER_RESULTS_MAX until the loop
	 * takes them (syncer_start then starts it: syncer.h) */
	pthread_cond_broadcast(&syncer->finished);
}

/* Under lock: the job that returned is the newest result (one of a pair waits for the other:
 * finish_pair); one waiting runs now (start_waiting). A failed sync sticks: no sync runs after
 * it (not even a point handed before the loop has taken the failed result) until it is
 * cleared; a failed publication changes nothing here. */
static void finish_run(struct syncer *syncer, const struct syncer_result *done)
{
	syncer->running = false;
	if (syncer->pair_open) {
		finish_pair(syncer, 0, done);
		return;
	}
	syncer->results[syncer->result_count++] = *done;
	if (done->result < 0 && !done->publish)
		syncer->failed = true;
	start_waiting(syncer);
	pthread_cond_broadcast(&syncer->finished);
}

/* The job: a sync (the segment's fdatasync, -ENOENT if the segment has lost its name, then a
 * rotation's directory fsync) or a publication. 0 or -errno. */
static int run_job(struct syncer *syncer, const struct journal_sync_point *point,
		   bool publish)
{
	if (publish)
		return statedir_publish_snapshot(point->dir_fd, point->index);
	if (syncer->sync(point->fd) < 0)
		return -errno;
	if (statedir_unlinked(point->fd))
		return -ENOENT;
	if (point->sync_dir && fsync(point->dir_fd) < 0)
		return -errno;
	return 0;
}

/* Under lock: the job handed to lane's thread, if there is one. */
static bool lane_job(const struct syncer_lane *lane, struct syncer_result *job)
{
	const struct syncer *syncer = lane->syncer;

	if (lane->beside) {
		job->point = syncer->beside;
		job->publish = false;
		return syncer->beside_running;
	}
	job->point = syncer->run;
	job->publish = syncer->run_publish;
	return syncer->running;
}

/* Wait for a job of the lane's (a sync or a publication; beside, an urgent sync), run it,
 * publish its result, wake the loop; until told to quit. */
static void *syncer_thread(void *arg)
{
	const struct syncer_lane *lane = arg;
	struct syncer *syncer = lane->syncer;
	pthread_cond_t *requested = lane->beside ? &syncer->beside_requested : &syncer->requested;
	const uint64_t one = 1;

	pthread_mutex_lock(&syncer->lock);
	for (;;) {
		struct syncer_result done = { .result = 0 };
		uint64_t start_us;

		while (!syncer->quit && !lane_job(lane, &done))
			pthread_cond_wait(requested, &syncer->lock);
		if (!lane_job(lane, &done))
			break;
		pthread_mutex_unlock(&syncer->lock);
		start_us = monotonic_us();
		done.result = run_job(syncer, &done.point, done.publish);
		done.took_us = monotonic_us() - start_us;
		pthread_mutex_lock(&syncer->lock);
		if (lane->beside) {
			syncer->beside_running = false;
			finish_pair(syncer, 1, &done);
		} else {
			finish_run(syncer, &done);
		}
		pthread_mutex_unlock(&syncer->lock);
		while (write(syncer->eventfd, &one, sizeof one) < 0 && errno == EINTR)
			;
		pthread_mutex_lock(&syncer->lock);
	}
	pthread_mutex_unlock(&syncer->lock);
	return NULL;
}

/* Under lock: the oldest result, removed; false when there is none. */
static bool pop_result(struct syncer *syncer, struct syncer_result *result)
{
	if (syncer->result_count == 0)
		return false;
	*result = syncer->results[0];
	syncer->result_count--;
	for (size_t i = 0; i < syncer->result_count; i++)
		syncer->results[i] = syncer->results[i + 1];
	return true;
}

/* The loop's side of a wake-up: each result to done, oldest first; then a job left waiting
 * (the results were full, or a sync handed while only results waited) runs (start_waiting). */
static void on_woken(evutil_socket_t fd, short what, void *ctx)
{
	struct syncer *syncer = ctx;
	struct syncer_result result;
	uint64_t count;
	bool taken;

	(void)what;
	while (read(fd, &count, sizeof count) < 0 && errno == EINTR)
		;
	/* A wake-up whose results syncer_wait took already finds none. */
	for (;;) {
		pthread_mutex_lock(&syncer->lock);
		taken = pop_result(syncer, &result);
		pthread_mutex_unlock(&syncer->lock);
		if (!taken)
			break;
		syncer->done(syncer->ctx, &result);
	}
	pthread_mutex_lock(&syncer->lock);
	if (syncer->result_count == 0 && start_waiting(syncer))
		pthread_cond_signal(&syncer->requested);
	pthread_mutex_unlock(&syncer->lock);
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
	pthread_mutex_init(&syncer->lock, NULL);
	pthread_cond_init(&syncer->requested, NULL);
	pthread_cond_init(&syncer->finished, NULL);
	pthread_cond_init(&syncer->beside_requested, NULL);
	if ((syncer->eventfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0)
		goto failed;
	syncer->woken = event_new(base, syncer->eventfd, EV_READ | EV_PERSIST, on_woken, syncer);
	if (!syncer->woken || event_add(syncer->woken, NULL) < 0) {
		errno = ENOMEM;
		goto failed;
	}
	syncer->lanes[0] = (struct syncer_lane){ .syncer = syncer, .beside = false };
	syncer->lanes[1] = (struct syncer_lane){ .syncer = syncer, .beside = true };
	if ((rc = thread_start_masked(&syncer->thread, syncer_thread, &syncer->lanes[0])) < 0) {
		errno = -rc;
		goto failed;
	}
	syncer->thread_started = true;
	rc = thread_start_masked(&syncer->beside_thread, syncer_thread, &syncer->lanes[1]);
	if (rc < 0) {
		errno = -rc;
		goto failed;
	}
	syncer->beside_started = true;
	return syncer;
failed:
	rc = errno;
	syncer_free(syncer);
	errno = rc;
	return NULL;
}

bool syncer_busy(struct syncer *syncer)
{
	bool busy;

	pthread_mutex_lock(&syncer->lock);
	busy = syncer->running || syncer->pair_open || syncer->has_next ||
	       syncer->has_publish || syncer->result_count > 0;
	pthread_mutex_unlock(&syncer->lock);
	return busy;
}

void syncer_start(struct syncer *syncer, const struct journal_sync_point *point)
{
	pthread_mutex_lock(&syncer->lock);
	if (syncer->failed) {
		syncer->has_next = false; /* nothing runs until the failure is cleared */
	} else {
		/* it replaces a next one not started; runs now if the thread is free for it */
		syncer->next = *point;
		syncer->has_next = true;
		if (start_waiting(syncer))
			pthread_cond_signal(&syncer->requested);
	}
	pthread_mutex_unlock(&syncer->lock);
}

void syncer_start_urgent(struct syncer *syncer, const struct journal_sync_point *point)
{
	pthread_mutex_lock(&syncer->lock);
	if (syncer->running && !syncer->run_publish && !syncer->pair_open && !syncer->failed &&
	    !syncer->has_publish && syncer->result_count == 0) {
		syncer->has_next = false; /* this one covers more */
		syncer->beside = *point;
		syncer->beside_running = true;
		syncer->pair_open = true;
		pthread_cond_signal(&syncer->beside_requested);
		pthread_mutex_unlock(&syncer->lock);
		return;
	}
	pthread_mutex_unlock(&syncer->lock);
	syncer_start(syncer, point);
}

void syncer_publish(struct syncer *syncer, int dir_fd, uint64_t snapshot_index)
{
	pthread_mutex_lock(&syncer->lock);
	syncer->publish = (struct journal_sync_point){ .fd = -1, .dir_fd = dir_fd,
						       .index = snapshot_index };
	syncer->has_publish = true;
	if (start_waiting(syncer))
		pthread_cond_signal(&syncer->requested);
	pthread_mutex_unlock(&syncer->lock);
}

void syncer_clear_failure(struct syncer *syncer)
{
	pthread_mutex_lock(&syncer->lock);
	syncer->failed = false;
	syncer->has_next = false;
	pthread_mutex_unlock(&syncer->lock);
}

void syncer_withdraw(struct syncer *syncer)
{
	pthread_mutex_lock(&syncer->lock);
	syncer->has_next = false;
	pthread_mutex_unlock(&syncer->lock);
}

bool syncer_wait(struct syncer *syncer, struct syncer_result *result)
{
	bool taken;

	pthread_mutex_lock(&syncer->lock);
	syncer->has_next = false;
	for (;;) {
		if (start_waiting(syncer)) /* a publication waiting for a result's room */
			pthread_cond_signal(&syncer->requested);
		if (!syncer->running && !syncer->pair_open)
			break;
		pthread_cond_wait(&syncer->finished, &syncer->lock);
	}
	taken = pop_result(syncer, result);
	pthread_mutex_unlock(&syncer->lock);
	return taken;
}

void syncer_free(struct syncer *syncer)
{
	struct syncer_result result;

	if (!syncer)
		return;
	if (syncer->thread_started) {
		while (syncer_wait(syncer, &result))
			;
		pthread_mutex_lock(&syncer->lock);
		syncer->quit = true;
		pthread_cond_signal(&syncer->requested);
		pthread_cond_signal(&syncer->beside_requested);
		pthread_mutex_unlock(&syncer->lock);
		pthread_join(syncer->thread, NULL);
		if (syncer->beside_started)
			pthread_join(syncer->beside_thread, NULL);
	}
	if (syncer->woken)
		event_free(syncer->woken);
	if (syncer->eventfd >= 0)
		close(syncer->eventfd);
	pthread_cond_destroy(&syncer->beside_requested);
	pthread_cond_destroy(&syncer->finished);
	pthread_cond_destroy(&syncer->requested);
	pthread_mutex_destroy(&syncer->lock);
	free(syncer);
}
