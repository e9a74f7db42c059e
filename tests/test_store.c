/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * The store's commit path with the fsync on the sync thread (daemon/journal/store.h, syncer.h),
 * in-process on an event loop of its own: acks and alerts wait for the fsync that covers their
 * records while the loop goes on writing; the next fsync covers what was written meanwhile; a
 * failed fsync degrades the store as before (no ack, alerts from memory, back after the retry);
 * store_finish waits for the fsync in flight and releases everything; the alert history while
 * degraded; a partial write (RLIMIT_FSIZE) cut back, and a retry that fails again; the segment
 * deleted under the store (its fsync's 0 acknowledges nothing; a new segment after); a commit
 * written while an fsync runs is synced next by the thread itself, as soon as that fsync
 * returns, without the loop (a newer commit replacing it while it waits; nothing after a
 * failed fsync, even for a commit before the loop has heard of the failure); one with an
 * alert gets its own fsync at once beside the running one (released after it; a failure of
 * either fails both). The segment's
 * fdatasync is gated here (store_hooks.sync_file): held until the test releases it, or
 * failing. A rotation's snapshot: written to its *.tmp by the child, renamed into place by the
 * sync thread only after the rotation's sync returned 0 (its rename and directory fsync made
 * to fail or held through this executable's renameat and fsync; kill -9 images recovered).
 * malloc is wrapped (-Wl,--wrap=malloc) to fail once at a size the test names: an alert with no
 * memory to wait for its fsync.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "daemon_harness.h"
#include "engine.h"
#include "fail_malloc.h"
#include "journal.h"
#include "recovery.h"
#include "replay.h"
#include "statedir.h"
#include "store.h"

#define ALERT_JSON "{\"type\":\"operator\",\"seq\":1}"

/* The segment's fdatasync as the test lets it run. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	bool hold;        /* syncs wait until the test releases them */
	int fail_errno;   /* nonzero: a sync fails with it */
	unsigned started;
	unsigned returned; /* syncs that returned */
	unsigned nth;     /* sync number nth (1-based) holds while nth_hold, fails nth_errno */
	bool nth_hold;
	int nth_errno;
} gate = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, 0, 0, 0, 0, false, 0 };

static int gated_sync(int fd)
{
	int fail, rc;
	unsigned n;

	pthread_mutex_lock(&gate.lock);
	n = ++gate.started;
	pthread_cond_broadcast(&gate.changed);
	while (gate.hold || (n == gate.nth && gate.nth_hold))
		pthread_cond_wait(&gate.changed, &gate.lock);
	fail = n == gate.nth && gate.nth_errno ? gate.nth_errno : gate.fail_errno;
	pthread_mutex_unlock(&gate.lock);
	rc = fail ? -1 : fdatasync(fd);
	if (fail)
		errno = fail;
	int saved = errno;
	pthread_mutex_lock(&gate.lock);
	gate.returned++;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
	errno = saved;
	return rc;
}

/* Block until *counter (gate.started or gate.returned) reaches count. */
static void gate_wait(const unsigned *counter, unsigned count)
{
	pthread_mutex_lock(&gate.lock);
	while (*counter < count)
		pthread_cond_wait(&gate.changed, &gate.lock);
	pthread_mutex_unlock(&gate.lock);
}

static void gate_set(bool hold, int fail_errno)
{
	pthread_mutex_lock(&gate.lock);
	gate.hold = hold;
	gate.fail_errno = fail_errno;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
}

/* Sync number n (1-based) held while hold, failing with fail_errno (0: none) when it runs. */
static void gate_nth(unsigned n, bool hold, int fail_errno)
{
	pthread_mutex_lock(&gate.lock);
	gate.nth = n;
	gate.nth_hold = hold;
	gate.nth_errno = fail_errno;
	pthread_cond_broadcast(&gate.changed);
	pthread_mutex_unlock(&gate.lock);
}

static unsigned gate_started(void)
{
	unsigned started;

	pthread_mutex_lock(&gate.lock);
	started = gate.started;
	pthread_mutex_unlock(&gate.lock);
	return started;
}

/* Block until the thread has started `count` syncs in all. */
static void gate_wait_started(unsigned count)
{
	gate_wait(&gate.started, count);
}

/* Wait up to ms for the thread to have started `count` syncs in all; whether it had. */
static bool gate_started_within(unsigned count, int ms)
{
	struct timespec until;
	bool reached;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&gate.lock);
	while (gate.started < count &&
	       pthread_cond_timedwait(&gate.changed, &gate.lock, &until) == 0)
		;
	reached = gate.started >= count;
	pthread_mutex_unlock(&gate.lock);
	return reached;
}


/*
 * The snapshot's steps as this executable sees them (its fdatasync, fsync and renameat go
 * through here), in memory shared with the snapshot's child: the child's syncs of the journal
 * (the ended segment, the journal directory), who renamed a snapshot into place (which process,
 * which thread), and the sync thread's publication of the snapshot made to fail (its rename,
 * or its fsync of the state directory) or held (that fsync, until released).
 */
struct disk_model {
	pid_t parent;
	ino_t segment_ino, journal_dir_ino, state_dir_ino;
	unsigned child_journal_syncs;
	unsigned renames;	    /* of a *.snap.tmp into place */
	pid_t rename_pid;	    /* by the last of them */
	bool rename_on_loop_thread; /* ... on the process's main thread (the loop's) */
	int rename_errno;	    /* the thread's rename fails with it */
	int dir_fsync_errno;	    /* the thread's fsync of the state directory fails with it */
	bool hold_dir_fsync;	    /* ... waits while set */
	bool dir_fsync_held;	    /* ... is waiting */
	int child_policy;	    /* the snapshot's child's scheduling policy at its last fsync */
	unsigned child_fsyncs;
};
static struct disk_model *disk;

struct fixture {
	char path[PATH_MAX];
	struct event_base *base;
	struct store *store;
	struct engine *engine;
	/* what the hooks were given */
	uint64_t acked;       /* the last durable index acknowledged */
	unsigned ack_calls;
	uint64_t delivered;   /* the last alert seq delivered */
	unsigned deliveries;
	unsigned out_of_order; /* deliveries of a seq not above the one before */
	unsigned rotations_begun; /* store_hooks.rotation_begins */
};

static void on_rotation_begins(void *ctx)
{
	((struct fixture *)ctx)->rotations_begun++;
}

static void on_deliver(void *ctx, uint64_t seq, const char *json, size_t len)
{
	struct fixture *f = ctx;

	assert_int_equal(len, strlen(ALERT_JSON));
	assert_memory_equal(json, ALERT_JSON, len);
	f->out_of_order += seq <= f->delivered;
	f->delivered = seq;
	f->deliveries++;
}

static void on_acknowledge(void *ctx, uint64_t durable_index)
{
	struct fixture *f = ctx;

	f->acked = durable_index;
	f->ack_calls++;
}

static void on_alert(const struct alert *alert, const char *json, size_t len, void *ctx)
{
	(void)alert;
	(void)json;
	(void)len;
	(void)ctx;
	fail_msg("no rule fires in these tests");
}

/* A store in a fresh state directory, 64 KiB segments, plus extra_yaml's journal keys. */
static int setup_with(void **state, const char *extra_yaml)
{
	struct fixture *f = calloc(1, sizeof *f);
	const struct store_hooks hooks = { .deliver = on_deliver,
					   .acknowledge = on_acknowledge,
					   .ctx = f,
					   .sync_file = gated_sync,
					   .rotation_begins = on_rotation_begins };
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 128], why[512];
	int len;

	if (!f)
		return -1;
	snprintf(f->path, sizeof f->path, "%s/cadmon-store-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->path))
		return -1;
	unsetenv("STATE_DIRECTORY");
	len = snprintf(yaml, sizeof yaml,
		       "journal:\n  state_directory: %s/state\n  segment_max_bytes: 65536\n%s",
		       f->path, extra_yaml);
	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	gate_set(false, 0);
	gate.started = 0;
	gate.returned = 0;
	if (disk) /* a test's model ends with it (inode numbers are used again) */
		memset(disk, 0, sizeof *disk);
	f->base = event_base_new();
	f->store = store_new(f->base, &config, &hooks, why, sizeof why);
	assert_non_null(f->store);
	f->engine = store_recover(f->store, &config, on_alert, f, why, sizeof why);
	assert_non_null(f->engine);
	f->acked = 0;
	f->ack_calls = 0;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, "");
}

static int setup_aged(void **state)
{
	return setup_with(state, "  segment_max_seconds: 10\n");
}

static int teardown(void **state)
{
	const struct rlimit no_limit = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };
	struct fixture *f = *state;
	int rc;

	setrlimit(RLIMIT_FSIZE, &no_limit);
	signal(SIGXFSZ, SIG_DFL);

	gate_set(false, 0);
	gate_nth(0, false, 0); /* a test that failed holding one */
	engine_free(f->engine);
	store_free(f->store);
	event_base_free(f->base);
	rc = harness_remove_tree(f->path);
	free(f);
	return rc;
}

/* Line n of source (one string per connection, as the feeds' keys are). */
static uint64_t append_line_from(struct fixture *f, const char *source, unsigned n)
{
	struct engine_origin origin = { .source = source, .named = true,
					.received_ms = 1795939200000 };
	char line[128];
	int len = snprintf(line, sizeof line,
			   "{\"type\":\"call_start\",\"call_id\":\"c%u\",\"ts\":1795939200000,"
			   "\"operator\":\"op-1\",\"seq\":%u}",
			   n, n);

	return store_append_line(f->store, &origin, line, (size_t)len);
}

static uint64_t append_line(struct fixture *f, unsigned n)
{
	return append_line_from(f, "cad", n);
}

/* One loop iteration that runs what is active (the commit), without waiting. */
static void run_once(struct fixture *f)
{
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 0);
}

/* Run the loop until cond holds (checked after each iteration), 5 s at most. */
#define RUN_UNTIL(f, cond)                                                                   \
	do {                                                                                 \
		for (int tries_ = 0; !(cond); tries_++) {                                    \
			assert_true(tries_ < 5000);                                          \
			event_base_loop((f)->base, EVLOOP_ONCE);                             \
		}                                                                            \
	} while (0)

static ino_t fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

/* In the daemon's process, on a thread other than the loop's (the sync thread). */
static bool on_the_sync_thread(void)
{
	return disk && getpid() == disk->parent && (pid_t)syscall(SYS_gettid) != getpid();
}

static void count_child_sync(int fd)
{
	ino_t ino;

	if (!disk || disk->parent == 0 || getpid() == disk->parent)
		return;
	ino = fd_ino(fd);
	if (ino == disk->segment_ino || ino == disk->journal_dir_ino)
		disk->child_journal_syncs++;
}

int fdatasync(int fd)
{
	count_child_sync(fd);
	return (int)syscall(SYS_fdatasync, fd);
}

int fsync(int fd)
{
	const struct timespec ms = { .tv_nsec = 1000000 };

	count_child_sync(fd);
	if (disk && disk->parent != 0 && getpid() != disk->parent) {
		disk->child_policy = sched_getscheduler(0);
		disk->child_fsyncs++;
	}
	if (on_the_sync_thread() && fd_ino(fd) == disk->state_dir_ino) {
		while (__atomic_load_n(&disk->hold_dir_fsync, __ATOMIC_SEQ_CST)) {
			__atomic_store_n(&disk->dir_fsync_held, true, __ATOMIC_SEQ_CST);
			nanosleep(&ms, NULL);
		}
		__atomic_store_n(&disk->dir_fsync_held, false, __ATOMIC_SEQ_CST);
		if (disk->dir_fsync_errno) {
			errno = disk->dir_fsync_errno;
			return -1;
		}
	}
	return (int)syscall(SYS_fsync, fd);
}

int renameat(int from_fd, const char *from, int to_fd, const char *to)
{
	size_t len = strlen(to);

	if (disk && len > 5 && strcmp(to + len - 5, ".snap") == 0) {
		disk->renames++;
		disk->rename_pid = getpid();
		disk->rename_on_loop_thread = (pid_t)syscall(SYS_gettid) == getpid();
		if (on_the_sync_thread() && disk->rename_errno) {
			errno = disk->rename_errno;
			return -1;
		}
	}
	return (int)syscall(SYS_renameat, from_fd, from, to_fd, to);
}

static ino_t path_ino(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* The model armed for the fixture's one segment (before its rotation). */
static void disk_watch(struct fixture *f)
{
	char path[PATH_MAX + 64];
	struct dirent *entry;
	struct stat st;
	DIR *dir;

	if (!disk) {
		disk = mmap(NULL, sizeof *disk, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
		assert_true(disk != MAP_FAILED);
	}
	memset(disk, 0, sizeof *disk);
	disk->parent = getpid();
	snprintf(path, sizeof path, "%s/state", f->path);
	disk->state_dir_ino = path_ino(path);
	snprintf(path, sizeof path, "%s/state/journal", f->path);
	disk->journal_dir_ino = path_ino(path);
	assert_non_null(dir = opendir(path));
	while ((entry = readdir(dir)))
		if (strstr(entry->d_name, ".seg")) {
			assert_int_equal(disk->segment_ino, 0); /* one segment */
			assert_int_equal(fstatat(dirfd(dir), entry->d_name, &st, 0), 0);
			disk->segment_ino = st.st_ino;
		}
	closedir(dir);
	assert_int_not_equal(disk->segment_ino, 0);
}

/* The path of snapshot index in the fixture's state directory, with suffix. */
static void snapshot_path(const struct fixture *f, uint64_t index, const char *suffix,
			  char path[PATH_MAX + 64])
{
	snprintf(path, PATH_MAX + 64, "%s/state/snapshot-%016" PRIx64 ".snap%s", f->path, index,
		 suffix);
}

/* Whether path exists (false: exactly ENOENT). */
static bool exists(const char *path)
{
	if (access(path, F_OK) == 0)
		return true;
	assert_int_equal(errno, ENOENT);
	return false;
}

/* The snapshot named by the segment's end at index: whether it is in place, and whether its
 * *.tmp is there. */
static void expect_snapshot_files(const struct fixture *f, uint64_t index, bool in_place,
				  bool tmp_there)
{
	char path[PATH_MAX + 64], tmp[PATH_MAX + 64];

	snapshot_path(f, index, "", path);
	snapshot_path(f, index, ".tmp", tmp);
	assert_int_equal(exists(path), in_place);
	assert_int_equal(exists(tmp), tmp_there);
}

/* Run the loop without blocking until cond holds, 5 s at most: for a cond that may never come
 * (a test that must fail, not hang) or that another thread brings about. */
#define POLL_UNTIL(f, cond)                                                                  \
	do {                                                                                 \
		for (int tries_ = 0; !(cond); tries_++) {                                    \
			assert_true(tries_ < 5000);                                          \
			event_base_loop((f)->base, EVLOOP_NONBLOCK);                         \
			nanosleep(&(const struct timespec){ .tv_nsec = 1000000 }, NULL);     \
		}                                                                            \
	} while (0)

/* An ack and an alert wait for the fsync of their records; the loop goes on writing meanwhile,
 * and the next fsync, started when the first returns, covers what was written since. */
static void test_release_waits_for_the_fsync(void **state)
{
	struct fixture *f = *state;
	uint64_t first, second;

	gate_set(true, 0);
	first = append_line(f, 1);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON)); /* record first + 1 */
	run_once(f);
	gate_wait_started(1);
	second = append_line(f, 2);
	run_once(f); /* written, its fsync left for later */
	assert_int_equal(second, first + 2);
	assert_int_equal(store_stats(f->store)->commits, 2);
	assert_int_equal(gate_started(), 1);
	usleep(20 * 1000);
	run_once(f);
	assert_int_equal(f->ack_calls, 0);
	assert_int_equal(f->deliveries, 0);

	gate_set(false, 0);
	RUN_UNTIL(f, f->acked == second);
	assert_int_equal(f->ack_calls, 2); /* first + 1 (the alert's record), then second */
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(f->delivered, 1);
	assert_int_equal(gate_started(), 2);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 2);
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_false(store_degraded(f->store, NULL));
}

/* A commit without an alert written while an fsync runs is the thread's next sync: it starts
 * as soon as the running one returns, before the loop has run (so before anything is
 * released); each fsync then releases what it covers. (One with an alert starts at once:
 * test_alert_fsync_runs_beside_the_running_one.) */
static void test_next_fsync_starts_without_the_loop(void **state)
{
	struct fixture *f = *state;
	uint64_t first, second;

	gate_set(true, 0);
	first = append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	second = append_line(f, 2);
	run_once(f); /* written, handed to the thread as its next sync */
	assert_int_equal(gate_started(), 1);

	gate_set(false, 0);
	assert_true(gate_started_within(2, 5000)); /* the loop has not run */
	assert_int_equal(f->ack_calls, 0);
	RUN_UNTIL(f, f->acked == second);
	assert_int_equal(f->ack_calls, 2); /* first, then second */
	assert_int_equal(gate_started(), 2);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 2);
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	(void)first;
}

/* A newer commit replaces the next sync not started yet: one fsync covers both. */
static void test_newer_commit_replaces_the_next_fsync(void **state)
{
	struct fixture *f = *state;
	uint64_t first, third;

	gate_set(true, 0);
	first = append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	append_line(f, 2);
	run_once(f);
	third = append_line(f, 3);
	run_once(f);
	assert_int_equal(store_stats(f->store)->commits, 3);
	assert_int_equal(gate_started(), 1);

	gate_set(false, 0);
	RUN_UNTIL(f, f->acked == third);
	assert_int_equal(f->ack_calls, 2); /* first, then third */
	assert_int_equal(gate_started(), 2);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 2);
	(void)first;
}

/* After a failed fsync the thread starts no other (its success would not prove the failed
 * one's pages durable): the store degrades, nothing acknowledged. */
static void test_no_fsync_after_a_failed_one(void **state)
{
	struct fixture *f = *state;

	gate_set(true, EIO);
	append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	append_line(f, 2);
	run_once(f); /* handed to the thread as its next sync */

	gate_set(false, EIO);
	RUN_UNTIL(f, store_degraded(f->store, NULL));
	assert_false(gate_started_within(2, 100));
	assert_int_equal(gate_started(), 1);
	assert_int_equal(f->ack_calls, 0);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 1);
}

/* A commit that lands after an fsync failed but before the loop has heard of it starts no
 * other fsync (Linux reports a writeback error once per descriptor: the next fdatasync would
 * return 0 with the failed one's pages lost) and nothing past the last good fsync is released:
 * the store degrades; once the disk is back, everything is acknowledged and the thread syncs
 * again. */
static void test_no_fsync_after_a_failed_one_before_the_loop_hears(void **state)
{
	struct fixture *f = *state;
	uint64_t first, fourth;
	const char *reason;
	char expected[PATH_MAX + 64];

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(gate_started(), 1);

	gate_set(true, EIO);
	append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	run_once(f);
	gate_wait_started(2);
	gate_set(false, EIO);  /* the fsync fails */
	usleep(50 * 1000);     /* its result waits for the loop */
	gate_set(false, 0);    /* a later fdatasync on the descriptor would return 0 */
	append_line(f, 3);
	run_once(f);           /* the commit: no fsync started */
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
	assert_false(gate_started_within(3, 100));
	assert_int_equal(gate_started(), 2);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, first);
	assert_int_equal(f->deliveries, 1); /* from memory */
	assert_int_equal(store_stats(f->store)->syncs_in_background, 2);

	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(f->deliveries, 1);
	fourth = append_line(f, 4);
	RUN_UNTIL(f, f->acked == fourth);
	assert_int_equal(f->ack_calls, 3);
	assert_int_equal(gate_started(), 3);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 3);
	assert_false(store_degraded(f->store, NULL));
}

/* A failed fsync degrades the store as a failed write does: nothing acknowledged, the alert
 * delivered from memory; 2 s later (STORE_RETRY_SECONDS) the disk takes a snapshot again and
 * everything is acknowledged. */
static void test_failed_fsync_degrades(void **state)
{
	struct fixture *f = *state;
	const char *reason;
	char expected[PATH_MAX + 64];

	gate_set(false, EIO);
	append_line(f, 1);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
	assert_int_equal(f->ack_calls, 0);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(f->delivered, 1);
	assert_int_equal(append_line(f, 2), 0); /* not journaled while degraded */
	assert_int_equal(store_stats(f->store)->lines_not_journaled, 1);

	gate_set(false, 0);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(f->deliveries, 1);
}

/* Lets the gate go after a while, from another thread (store_finish blocks the test's). */
static void *release_later(void *arg)
{
	(void)arg;
	usleep(100 * 1000);
	gate_set(false, 0);
	return NULL;
}

/* At stop, the fsync in flight is waited for and what it covers released, then the rest is
 * written, synced and released: nothing written is left unacknowledged. */
static void test_finish_drains(void **state)
{
	struct fixture *f = *state;
	pthread_t releaser;
	uint64_t first, second;

	gate_set(true, 0);
	first = append_line(f, 1);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	run_once(f);
	gate_wait_started(1);
	second = append_line(f, 2); /* in the batch, not written yet */
	assert_int_equal(pthread_create(&releaser, NULL, release_later, NULL), 0);
	store_finish(f->store);
	pthread_join(releaser, NULL);
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(f->acked, second);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(store_stats(f->store)->sync_waits, 1);
	assert_int_equal(gate_started(), 1); /* the rest was synced in the loop */
	(void)first;
}

/* Lets the gate go once the loop waits at the unsynced bound (its counter is raised before it
 * blocks; read here while the loop thread may write it: a test-only race on one counter).
 * Released earlier, the thread would sync the commits handed to it meanwhile, and the bound
 * might not be reached at all. */
static void *release_at_the_bound(void *arg)
{
	struct fixture *f = arg;

	while (__atomic_load_n(&store_stats(f->store)->unsynced_bound_waits, __ATOMIC_RELAXED) == 0)
		usleep(1000);
	usleep(20 * 1000);
	gate_set(false, 0);
	return NULL;
}

/* A disk slower than the feeds: an fsync held while more than STORE_UNSYNCED_MAX_BYTES is
 * written; a commit past the bound waits for it, counted (and logged, rate-limited). */
static void test_unsynced_bound_is_counted(void **state)
{
	struct fixture *f = *state;
	pthread_t releaser;
	unsigned n;

	gate_set(true, 0);
	append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	assert_int_equal(pthread_create(&releaser, NULL, release_at_the_bound, f), 0);
	for (n = 2; n < 95000; n++) /* about 100 bytes each: past 8 MiB, in early commits */
		append_line(f, n);
	pthread_join(releaser, NULL);
	/* The commit past 8 MiB waits for the held fsync (the next handed to the thread
	 * withdrawn) and starts the next; the loop has not run since (nothing taken from the
	 * thread), so the next early commit past the bound waits for that one. */
	assert_int_equal(store_stats(f->store)->unsynced_bound_waits, 2);
	assert_int_equal(store_stats(f->store)->sync_waits, 2);
	RUN_UNTIL(f, f->acked >= 95000 - 1);
	assert_int_equal(store_stats(f->store)->unsynced_bound_waits, 2);
	store_finish(f->store);
}

/* fsync: none: released at the write, no fsync at all. */
static void test_fsync_none_releases_at_the_write(void **state)
{
	struct fixture *f = *state;
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 64];
	uint64_t first;
	int len;

	len = snprintf(yaml, sizeof yaml, "journal:\n  state_directory: %s/state\n  fsync: none\n",
		       f->path);
	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	store_reconfigure(f->store, &config);
	f->ack_calls = 0;
	gate_set(true, 0); /* a sync would hang the test */
	first = append_line(f, 1);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	run_once(f);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, first + 1);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(gate_started(), 0);
	gate_set(false, 0);
}

/* fsync: none: a full segment (segment_max_bytes 1 MiB here) is fdatasync'd on the sync
 * thread before its end, not in the loop; the rotation is done when that returns. */
static void test_fsync_none_rotation_syncs_on_the_thread(void **state)
{
	struct fixture *f = *state;
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 96];
	uint64_t last = 0;
	int len;

	len = snprintf(yaml, sizeof yaml,
		       "journal:\n  state_directory: %s/state\n  fsync: none\n"
		       "  segment_max_bytes: 1048576\n",
		       f->path);
	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	store_reconfigure(f->store, &config); /* an empty segment: nothing rotated */
	assert_int_equal(store_stats(f->store)->rotations, 0);
	gate_set(true, 0);
	for (unsigned n = 1; n <= 12000; n++) /* over 100 bytes each: over 1 MiB */
		last = append_line(f, n);
	run_once(f); /* written; the rotation due: its fdatasync started on the thread */
	assert_int_equal(store_stats(f->store)->rotations, 0);
	gate_wait_started(1);
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_int_equal(f->acked, last); /* none: released at the write */

	gate_set(false, 0);
	RUN_UNTIL(f, store_stats(f->store)->rotations == 1);
	RUN_UNTIL(f, store_stats(f->store)->syncs_in_background == 2);
	assert_int_equal(gate_started(), 2); /* and the rotation's: the end, the directory */
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_false(store_degraded(f->store, NULL));
	store_finish(f->store);
}

/* The segment fills (segment_max_bytes 65536) while an fsync is in flight: the rotation does
 * not wait for it in the loop; it is done when that fsync returns, before the next starts. */
static void test_rotation_waits_for_the_sync_done(void **state)
{
	struct fixture *f = *state;
	unsigned n;

	gate_set(true, 0);
	append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	for (n = 2; n < 800; n++) /* about 100 bytes each: over 65536 */
		append_line(f, n);
	run_once(f); /* written; the rotation due, the sync in flight: nothing waited for */
	assert_int_equal(store_stats(f->store)->rotations, 0);
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_int_equal(gate_started(), 1);

	gate_set(false, 0);
	RUN_UNTIL(f, store_stats(f->store)->rotations == 1);
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_false(store_degraded(f->store, NULL));
	RUN_UNTIL(f, f->acked >= 799);
	store_finish(f->store); /* the snapshot's child waited for while the engine is here */
}

/* The fixture's configuration again (store_reconfigure: a rotation, after an in-loop sync of
 * what was written, which the gate does not hold). */
static void reconfigure_same(struct fixture *f)
{
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 96];
	int len = snprintf(yaml, sizeof yaml,
			   "journal:\n  state_directory: %s/state\n  segment_max_bytes: 65536\n",
			   f->path);

	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	store_reconfigure(f->store, &config);
}

/* A rotation waits for no fsync in the loop: the segment's end and the next segment's name
 * are synced on the thread (held here), the loop goes on; a line in the next segment is
 * written but released only by a sync after that one; the snapshot's child may be done
 * first, its snapshot trusted (known to the journal) only once the rotation's sync returned. */
static void test_rotation_syncs_on_the_thread(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first, second, snapshots;
	char path[PATH_MAX + 64], tmp[PATH_MAX + 64];

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	assert_int_equal(gate_started(), 1);
	disk_watch(f);
	snapshot_path(f, first + 2, "", path); /* named by the segment's end, after line 2 */
	snapshot_path(f, first + 2, ".tmp", tmp);
	snapshots = journal->snapshots_written;
	gate_set(true, 0);
	append_line(f, 2);
	reconfigure_same(f); /* line 2 synced in the loop, then the rotation */
	assert_int_equal(store_stats(f->store)->rotations, 1);
	assert_true(gate_started_within(2, 5000)); /* the rotation's sync, held */
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_int_equal(journal->segments_created, 2);
	assert_int_equal(f->acked, first + 1);
	assert_int_equal(f->ack_calls, 2);

	second = append_line(f, 3); /* in the next segment */
	assert_int_equal(second, first + 3); /* after line 2 and the segment's end */
	run_once(f);                         /* written; its sync waits for the rotation's */
	RUN_UNTIL(f, !store_snapshot_running(f->store));
	assert_int_equal(journal->snapshots_written, snapshots); /* not trusted yet */
	assert_true(exists(tmp)); /* written, not in place */
	assert_false(exists(path));
	assert_int_equal(disk->renames, 0);
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(gate_started(), 2);

	gate_set(false, 0);
	RUN_UNTIL(f, f->acked == second && journal->snapshots_written == snapshots + 1);
	assert_true(exists(path)); /* renamed by the daemon's sync thread, not its loop */
	assert_false(exists(tmp));
	assert_int_equal(disk->renames, 1);
	assert_int_equal(disk->rename_pid, getpid());
	assert_false(disk->rename_on_loop_thread);
	assert_int_equal(gate_started(), 3);
	assert_int_equal(f->ack_calls, 4); /* the segment's end, then line 3 */
	assert_int_equal(store_stats(f->store)->sync_waits, 0);
	assert_false(store_degraded(f->store, NULL));
	store_finish(f->store);
}

/* The rotation's sync fails (the child's snapshot written meanwhile): the store degrades as
 * for any failed fsync, nothing in the next segment is acknowledged, and the snapshot its child
 * wrote is never renamed into place (its *.tmp removed, unknown to the journal): a next start
 * could not use it. Once the disk works, the degraded period ends with a snapshot of its own
 * and everything is acknowledged. */
static void test_failed_rotation_sync_degrades(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	char expected[PATH_MAX + 64];
	uint64_t first, snapshots;
	const char *reason;

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	snapshots = journal->snapshots_written;
	gate_set(false, EIO);
	reconfigure_same(f); /* line 1's segment ended by record first + 1 */
	assert_int_equal(store_stats(f->store)->rotations, 1);
	assert_int_equal(append_line(f, 2), first + 2);
	RUN_UNTIL(f, store_degraded(f->store, &reason) && !store_snapshot_running(f->store));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
	assert_int_equal(f->acked, first);
	assert_int_equal(f->ack_calls, 2); /* and again by the reload's sync, before the rotation */
	assert_int_equal(journal->snapshots_written, snapshots);
	expect_snapshot_files(f, first + 1, false, false);

	gate_set(false, 0);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(f->ack_calls, 3);
	assert_int_equal(journal->snapshots_written, snapshots + 1);
	assert_int_equal(store_stats(f->store)->degraded_periods, 1);
	store_finish(f->store);
}

/* The snapshot's child writes its *.tmp and nothing of the journal: the segment's end and the
 * next segment's name are synced by the sync thread alone (the rotation's sync). */
static void test_child_syncs_nothing_of_the_journal(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first, snapshots = journal->snapshots_written;
	char path[PATH_MAX + 64];

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	disk_watch(f);
	reconfigure_same(f); /* line 1's segment ended by record first + 1 */
	assert_int_equal(store_stats(f->store)->rotations, 1);
	RUN_UNTIL(f, journal->snapshots_written == snapshots + 1);
	assert_false(store_degraded(f->store, NULL));
	assert_int_equal(disk->child_journal_syncs, 0);
	snapshot_path(f, first + 1, "", path);
	assert_true(exists(path));
	store_finish(f->store);
}

/* The snapshot's child runs SCHED_BATCH (it does not preempt the loop's thread, at its fork or
 * later); the loop's thread is SCHED_OTHER again once it forked. */
static void test_child_runs_batch(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first, snapshots = journal->snapshots_written;

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	disk_watch(f);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	reconfigure_same(f);
	assert_int_equal(store_stats(f->store)->snapshots_forked, 1);
	assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
	RUN_UNTIL(f, journal->snapshots_written == snapshots + 1);
	assert_int_equal(disk->child_fsyncs, 1); /* its *.tmp */
	assert_int_equal(disk->child_policy, SCHED_BATCH);
	store_finish(f->store);
}

/* Line 1 appended and acknowledged (its index), the disk model watching its segment: the
 * caller arms the model, then rotates (the segment ended by record first + 1). */
static uint64_t first_line_durable(struct fixture *f)
{
	uint64_t first = append_line(f, 1);

	RUN_UNTIL(f, f->acked == first);
	disk_watch(f);
	return first;
}

/* The rotation's sync fails after the child has written its *.tmp (the snapshot waiting for
 * that sync): the *.tmp is removed, never renamed into place; the store degraded. */
static void test_rotation_sync_failing_after_the_child_leaves_no_snapshot(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first = first_line_durable(f), snapshots = journal->snapshots_written;
	char expected[PATH_MAX + 64], path[PATH_MAX + 64], tmp[PATH_MAX + 64];
	const char *reason;

	gate_set(true, 0);
	reconfigure_same(f);
	assert_true(gate_started_within(2, 5000)); /* the rotation's sync, held */
	RUN_UNTIL(f, !store_snapshot_running(f->store));
	snapshot_path(f, first + 1, "", path);
	snapshot_path(f, first + 1, ".tmp", tmp);
	assert_true(exists(tmp));
	gate_set(false, EIO);
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
	assert_false(exists(path));
	assert_false(exists(tmp));
	assert_int_equal(disk->renames, 0);
	assert_int_equal(journal->snapshots_written, snapshots);
	assert_int_equal(f->acked, first);
	gate_set(false, 0);
	store_finish(f->store);
}

/* A rotation whose publication on the sync thread fails (*fail: EIO until then): the store
 * degraded as for a failed snapshot. */
static void rotate_with_a_failing_publication(struct fixture *f, int *fail)
{
	char expected[PATH_MAX + 64];
	const char *reason;

	*fail = EIO;
	reconfigure_same(f);
	POLL_UNTIL(f, store_degraded(f->store, &reason));
	*fail = 0;
	snprintf(expected, sizeof expected,
		 "cannot snapshot the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
}

/* The sync thread's rename of the snapshot into place fails: the store degrades as for a
 * failed snapshot, the *.tmp is removed, nothing is in place; the retry writes one. */
static void test_failed_snapshot_rename_degrades(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first = first_line_durable(f), snapshots = journal->snapshots_written;

	rotate_with_a_failing_publication(f, &disk->rename_errno);
	assert_int_equal(disk->renames, 1);
	assert_int_equal(disk->rename_pid, getpid());
	assert_false(disk->rename_on_loop_thread);
	assert_int_equal(journal->snapshots_written, snapshots);
	expect_snapshot_files(f, first + 1, false, false);
	assert_int_equal(f->acked, first + 1); /* the segment's end: its sync returned 0 */

	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(journal->snapshots_written, snapshots + 1);
	assert_int_equal(f->acked, UINT64_MAX);
	store_finish(f->store);
}

/* The sync thread's fsync of the state directory after the rename fails: the store degrades
 * as for a failed snapshot; the snapshot stays in place (complete, after a rotation's sync that
 * returned 0: a next start may use it) but is not trusted: the journal does not list it. */
static void test_failed_snapshot_directory_fsync_degrades(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first = first_line_durable(f), snapshots = journal->snapshots_written;

	rotate_with_a_failing_publication(f, &disk->dir_fsync_errno);
	assert_int_equal(journal->snapshots_written, snapshots);
	expect_snapshot_files(f, first + 1, true, false);
	store_finish(f->store);
}

/* The state directory as a kill -9 leaves it now (copied), recovered: its summary. */
static struct recovery_summary recover_a_copy(struct fixture *f)
{
	struct config_errors errors;
	struct recovery_router router;
	struct recovery recovery;
	struct recovery_summary summary;
	struct statedir dir = { .fd = -1, .journal_fd = -1, .lock_fd = -1 };
	struct journal *journal;
	struct config config;
	char copy[PATH_MAX + 64], command[4 * PATH_MAX + 256], why[256];

	snprintf(copy, sizeof copy, "%s/crashed", f->path);
	snprintf(command, sizeof command, "rm -rf '%s' && cp -R '%s/state' '%s'", copy, f->path,
		 copy);
	assert_int_equal(system(command), 0);
	assert_int_equal(config_parse("", 0, "test.yaml", &config, &errors), 0);
	assert_int_equal(statedir_open(&dir, copy, why, sizeof why), 0);
	assert_non_null(journal = journal_new(&dir));
	recovery_router_init(&router, on_alert, f);
	assert_int_equal(recovery_run(&dir, journal, &config, &router, &recovery, why, sizeof why),
			 0);
	summary = recovery.summary;
	engine_free(recovery.engine);
	recovery_release(&recovery);
	recovery_router_release(&router);
	journal_free(journal);
	statedir_close(&dir);
	return summary;
}

/*
 * A kill -9 at each step of a rotation's snapshot (crash order in store.c, rotate()), the state
 * directory copied there and recovered: (4) the child's *.tmp written, the rotation's sync held:
 * nothing in place, the *.tmp removed at start, recovery from the snapshot before (the
 * fixture's start's, of index 0) replaying both segments; (5) renamed, the state
 * directory's fsync held: recovery from the new snapshot, replaying the next segment only;
 * then, released, the snapshot trusted.
 */
static void test_kill_9_at_each_snapshot_step(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first = first_line_durable(f), snapshots = journal->snapshots_written;
	char tmp[PATH_MAX + 64], copied_tmp[PATH_MAX + 64];
	struct recovery_summary summary;

	gate_set(true, 0);
	reconfigure_same(f);
	assert_true(gate_started_within(2, 5000)); /* the rotation's sync, held */
	append_line(f, 2);
	run_once(f); /* written in the next segment (record first + 2) */
	RUN_UNTIL(f, !store_snapshot_running(f->store));
	snapshot_path(f, first + 1, ".tmp", tmp);
	assert_true(exists(tmp));
	summary = recover_a_copy(f);
	snprintf(copied_tmp, sizeof copied_tmp, "%s/crashed/snapshot-%016" PRIx64 ".snap.tmp",
		 f->path, first + 1);
	assert_false(exists(copied_tmp));
	assert_true(summary.from_snapshot);
	assert_int_equal(summary.snapshot_index, 0); /* the fixture's start's */
	assert_int_equal(summary.segments_replayed, 2);
	assert_int_equal(summary.records_replayed, 2); /* lines 1 and 2 */
	assert_int_equal(summary.last_index, first + 2);

	disk->hold_dir_fsync = true;
	gate_set(false, 0);
	POLL_UNTIL(f, __atomic_load_n(&disk->dir_fsync_held, __ATOMIC_SEQ_CST));
	assert_false(exists(tmp));
	summary = recover_a_copy(f);
	assert_true(summary.from_snapshot);
	assert_int_equal(summary.snapshot_index, first + 1);
	assert_int_equal(summary.records_replayed, 1);
	assert_false(summary.next_segment_missing);
	assert_int_equal(journal->snapshots_written, snapshots); /* not trusted yet */

	__atomic_store_n(&disk->hold_dir_fsync, false, __ATOMIC_SEQ_CST);
	RUN_UNTIL(f, journal->snapshots_written == snapshots + 1);
	assert_false(store_degraded(f->store, NULL));
	store_finish(f->store);
}

/* A commit with an alert written while an fsync runs gets its own fsync at once, beside the
 * running one (syncer_start_urgent), not after it; what either covers is released only once
 * both returned, in the order they started: the running one's line, then the alert's. */
static void test_alert_fsync_runs_beside_the_running_one(void **state)
{
	struct fixture *f = *state;
	uint64_t first, second;

	gate_nth(1, true, 0);
	first = append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	second = append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON)); /* record second + 1 */
	run_once(f); /* written: its fsync starts while sync 1 is held */
	assert_true(gate_started_within(2, 5000));
	/* sync 2 returned (sync 1 held): nothing released before sync 1 */
	gate_wait(&gate.returned, 1);
	for (int i = 0; i < 20; i++) {
		usleep(1000);
		run_once(f);
	}
	assert_int_equal(f->ack_calls, 0);
	assert_int_equal(f->deliveries, 0);

	gate_nth(1, false, 0);
	RUN_UNTIL(f, f->acked == second + 1);
	assert_int_equal(f->ack_calls, 2); /* first, then second + 1 */
	assert_int_equal(f->acked, second + 1);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(gate_started(), 2);
	assert_int_equal(store_stats(f->store)->syncs_in_background, 2);
	assert_false(store_degraded(f->store, NULL));
	gate_nth(0, false, 0);
	(void)first;
}

/* Of two fsyncs run side by side, a failure is both's: the running one returning 0 after the
 * alert's failed acknowledges nothing (on one descriptor the first fdatasync to look takes the
 * writeback error, so the other's 0 proves nothing); the store degrades, no other starts. */
static void test_a_failed_fsync_beside_fails_both(void **state)
{
	struct fixture *f = *state;
	char expected[PATH_MAX + 64];
	const char *reason;

	gate_nth(1, true, 0);
	append_line(f, 1);
	run_once(f);
	gate_wait_started(1);
	gate_set(false, EIO); /* sync 2 fails as it starts; sync 1 stays held */
	append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	run_once(f);
	assert_true(gate_started_within(2, 5000)); /* its result taken as it started: EIO */
	gate_set(false, 0);
	gate_nth(1, false, 0); /* sync 1 returns 0 */
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: Input/output error", f->path);
	assert_string_equal(reason, expected);
	assert_int_equal(f->ack_calls, 0);
	assert_false(gate_started_within(3, 100));
	assert_int_equal(store_stats(f->store)->syncs_in_background, 1);
	gate_nth(0, false, 0);
}

/* The publication queued behind the next segment's first sync (#3, held, to fail with
 * sync_3_errno): rotation; child done; line 2 written (its sync next); the rotation's sync
 * released. The first line's index. */
static uint64_t publication_queued_behind_sync_3(struct fixture *f, int sync_3_errno)
{
	uint64_t first = first_line_durable(f);

	gate_nth(3, true, sync_3_errno);
	gate_set(true, 0);
	reconfigure_same(f);
	assert_true(gate_started_within(2, 5000)); /* the rotation's sync, held */
	RUN_UNTIL(f, !store_snapshot_running(f->store));
	append_line(f, 2);
	run_once(f); /* written; its sync next */
	gate_set(false, 0);
	/* the rotation's sync returned 0: publication handed */
	RUN_UNTIL(f, f->acked == first + 1);
	assert_true(gate_started_within(3, 5000));
	assert_int_equal(disk->renames, 0); /* queued behind sync 3 */
	return first;
}

/* A sync of the next segment that fails does not withdraw the publication queued behind it:
 * what the snapshot follows was synced, so it goes in place; the store degrades, nothing of
 * the next segment is acked (rev10b's probe). */
static void test_publication_runs_after_a_failed_sync(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t snapshots = journal->snapshots_written, first;
	const char *reason;

	first = publication_queued_behind_sync_3(f, EIO);
	gate_nth(3, false, EIO);
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	assert_non_null(strstr(reason, "cannot fsync"));
	assert_int_equal(f->acked, first + 1);
	assert_int_equal(disk->renames, 1);
	expect_snapshot_files(f, first + 1, true, false);
	assert_int_equal(journal->snapshots_written, snapshots + 1);
	gate_nth(0, false, 0);
	store_finish(f->store);
}

static void *release_sync_3_later(void *arg)
{
	(void)arg;
	nanosleep(&(const struct timespec){ .tv_nsec = 200000000 }, NULL);
	gate_nth(3, false, 0);
	return NULL;
}

/* A publication queued when the loop waits for the thread (a reload's flush_now) is not
 * dropped by the wait: it runs, and the snapshot is in place (rev10b's probe). */
static void test_publication_survives_a_wait(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t snapshots = journal->snapshots_written, first;
	pthread_t releaser;

	first = publication_queued_behind_sync_3(f, 0);
	assert_int_equal(pthread_create(&releaser, NULL, release_sync_3_later, NULL), 0);
	reconfigure_same(f); /* flush_now: waits for sync 3 in the loop */
	pthread_join(releaser, NULL);
	assert_int_equal(disk->renames, 1);
	expect_snapshot_files(f, first + 1, true, false);
	assert_int_equal(journal->snapshots_written, snapshots + 1);
	assert_false(store_degraded(f->store, NULL));
	gate_nth(0, false, 0);
	store_finish(f->store);
}

/* The cost of publishing on the sync thread: a line of the next segment committed while the
 * publication's fsync of the state directory is held is not acknowledged until it returns
 * (rev10b's probe; the comment above rotate() says so). */
static void test_held_publication_holds_acks(void **state)
{
	struct fixture *f = *state;
	uint64_t first = first_line_durable(f), third;
	unsigned started;

	gate_set(true, 0);
	reconfigure_same(f);
	assert_true(gate_started_within(2, 5000)); /* the rotation's sync, held */
	RUN_UNTIL(f, !store_snapshot_running(f->store));
	disk->hold_dir_fsync = true;
	gate_set(false, 0);
	POLL_UNTIL(f, __atomic_load_n(&disk->dir_fsync_held, __ATOMIC_SEQ_CST));
	started = gate_started();
	third = append_line(f, 3);
	for (int i = 0; i < 200; i++) { /* 200 ms of loop */
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		nanosleep(&(const struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	assert_int_equal(gate_started(), started);
	assert_int_equal(f->acked, first + 1);
	__atomic_store_n(&disk->hold_dir_fsync, false, __ATOMIC_SEQ_CST);
	RUN_UNTIL(f, f->acked == third);
	store_finish(f->store);
}

/* What a history read emitted. */
struct history_sink {
	unsigned lines;
	size_t bytes;
};

static void history_collect(void *ctx, const char *line, size_t len)
{
	struct history_sink *sink = ctx;

	assert_int_equal(len, strlen(ALERT_JSON));
	assert_memory_equal(line, ALERT_JSON, len);
	sink->lines++;
	sink->bytes += len + 1;
}

/* Read history after `after` (at most max_bytes): the seq of the last alert it emitted. */
static uint64_t history_read(struct fixture *f, uint64_t after, size_t max_bytes,
			     struct history_sink *sink)
{
	const struct replay_history *history = store_history(f->store);

	*sink = (struct history_sink){ 0 };
	return history->read(history->ctx, after, max_bytes, history_collect, sink);
}

/* A console catching up while the store is degraded gets the alerts delivered meanwhile from
 * memory (the backlog): the history's oldest, newest, bytes and reads cover them; once the
 * disk takes them again they are read from the journal, the same. */
static void test_history_while_degraded(void **state)
{
	struct fixture *f = *state;
	const struct replay_history *history = store_history(f->store);
	const size_t line_bytes = strlen(ALERT_JSON) + 1;
	struct history_sink sink;

	gate_set(false, EIO);
	append_line(f, 1);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	RUN_UNTIL(f, store_degraded(f->store, NULL));
	store_on_alert(f->store, 2, ALERT_JSON, strlen(ALERT_JSON)); /* delivered at once */
	assert_int_equal(f->deliveries, 2);
	assert_int_equal(history->newest(history->ctx), 2);
	assert_int_equal(history->oldest(history->ctx), 1);
	assert_int_equal(history->bytes_after(history->ctx, 0), 2 * line_bytes);
	assert_int_equal(history->bytes_after(history->ctx, 1), line_bytes);
	assert_int_equal(history->bytes_after(history->ctx, 2), 0);
	assert_int_equal(history_read(f, 0, 4096, &sink), 2);
	assert_int_equal(sink.lines, 2);
	assert_int_equal(history_read(f, 1, 4096, &sink), 2);
	assert_int_equal(sink.lines, 1);
	assert_int_equal(history_read(f, 0, 1, &sink), 1); /* paced: one line past the budget */
	assert_int_equal(sink.lines, 1);
	assert_int_equal(history_read(f, 2, 4096, &sink), 2);
	assert_int_equal(sink.lines, 0);

	gate_set(false, 0);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(history->oldest(history->ctx), 1);
	assert_int_equal(history->bytes_after(history->ctx, 0), 2 * line_bytes);
	assert_int_equal(history_read(f, 0, 4096, &sink), 2);
	assert_int_equal(sink.lines, 2);
	assert_int_equal(history_read(f, 1, 4096, &sink), 2);
	assert_int_equal(sink.lines, 1);
	assert_int_equal(f->deliveries, 2); /* journaled, not delivered again */
}

/* The size of the fixture's one segment file. */
static off_t segment_bytes(struct fixture *f)
{
	char dir[PATH_MAX + 32], file[PATH_MAX + 32 + NAME_MAX + 2];
	struct dirent *entry;
	struct stat st;
	off_t bytes = -1;
	DIR *listing;

	snprintf(dir, sizeof dir, "%s/state/journal", f->path);
	assert_non_null(listing = opendir(dir));
	while ((entry = readdir(listing)))
		if (strstr(entry->d_name, ".seg")) {
			assert_int_equal(bytes, -1); /* one segment */
			snprintf(file, sizeof file, "%s/%s", dir, entry->d_name);
			assert_int_equal(stat(file, &st), 0);
			bytes = st.st_size;
		}
	closedir(listing);
	return bytes;
}

/* Count the fixture's segment files, deleting them if remove (as `rm` would while the store
 * writes one). */
static int segment_files(struct fixture *f, bool remove)
{
	char dir[PATH_MAX + 32], file[PATH_MAX + 32 + NAME_MAX + 2];
	struct dirent *entry;
	DIR *listing;
	int count = 0;

	snprintf(dir, sizeof dir, "%s/state/journal", f->path);
	assert_non_null(listing = opendir(dir));
	while ((entry = readdir(listing)))
		if (strstr(entry->d_name, ".seg")) {
			snprintf(file, sizeof file, "%s/%s", dir, entry->d_name);
			assert_true(!remove || unlink(file) == 0);
			count++;
		}
	closedir(listing);
	return count;
}

/* The segment deleted while the store writes it (by hand, or `rm -rf` of the state directory):
 * its fdatasync returns 0, but what it covers is gone at the next start, so it acknowledges
 * nothing: the store is degraded ("No such file or directory"). The retry leaves the nameless
 * segment for a new one, behind a snapshot of everything, and acknowledges again. */
static void test_deleted_segment_degrades(void **state)
{
	struct fixture *f = *state;
	const char *reason;
	char expected[PATH_MAX + 64];
	uint64_t first;

	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(segment_files(f, true), 1);
	append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	RUN_UNTIL(f, f->deliveries == 1); /* its record's fsync returned (or it is degraded) */
	assert_true(store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s/state: No such file or directory", f->path);
	assert_string_equal(reason, expected);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, first);

	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(f->acked, UINT64_MAX);
	/* the alert's segment from record 2, the one after the snapshot from record 4 */
	assert_int_equal(segment_files(f, false), 2);
}

static void set_file_limit(rlim_t bytes)
{
	const struct rlimit limit = { .rlim_cur = bytes, .rlim_max = RLIM_INFINITY };

	assert_int_equal(setrlimit(RLIMIT_FSIZE, &limit), 0);
}

/* A disk that takes part of a commit (RLIMIT_FSIZE 100 bytes above the segment: a partial
 * write, then EFBIG): the store is degraded, the segment cut back to what was synced (no torn
 * record left for the next write to follow), nothing acknowledged; a retry while the disk
 * still fails keeps it degraded; once the disk takes writes, everything is acknowledged. */
static void test_partial_write_degrades_and_cuts_back(void **state)
{
	struct fixture *f = *state;
	const char *reason;
	char expected[PATH_MAX + 64];
	off_t synced;
	uint64_t first;

	signal(SIGXFSZ, SIG_IGN); /* teardown restores it, and the limit */
	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	synced = segment_bytes(f);
	set_file_limit((rlim_t)synced + 100);
	for (unsigned n = 2; n < 12; n++) /* about 100 bytes each */
		append_line(f, n);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	run_once(f);
	assert_true(store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected, "cannot write the journal in %s/state: %s", f->path,
		 strerror(EFBIG));
	assert_string_equal(reason, expected);
	assert_int_equal(segment_bytes(f), synced);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->deliveries, 1); /* from memory */
	assert_int_equal(store_stats(f->store)->degraded_periods, 1);

	/* The retry 2 s later: the alert delivered meanwhile is journaled and synced (its record,
	 * 56 bytes, fits under the limit), the segment's end record does not: still degraded,
	 * the segment cut back to the alert, nothing acknowledged. */
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE), 0);
	assert_true(store_degraded(f->store, NULL));
	assert_int_equal(segment_bytes(f), synced + 56);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(store_history(f->store)->oldest(store_history(f->store)->ctx), 1);

	set_file_limit(RLIM_INFINITY);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(store_stats(f->store)->degraded_periods, 1);
}

/* A stop on a disk that no longer takes writes: the last commit fails, what it held is not
 * acknowledged (senders resend it), and the alert waiting for it is delivered anyway. */
static void test_finish_on_a_failing_disk_delivers(void **state)
{
	struct fixture *f = *state;
	uint64_t first;

	signal(SIGXFSZ, SIG_IGN); /* teardown restores it, and the limit */
	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	set_file_limit((rlim_t)segment_bytes(f));
	append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	store_finish(f->store); /* its write fails: EFBIG */
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, first);
	assert_int_equal(f->deliveries, 1);
	assert_int_equal(f->delivered, 1);
	assert_int_equal(append_line(f, 3), 0); /* stopped: nothing is journaled */
}

/* A snapshot the disk does not take (RLIMIT_FSIZE 4096: above the segment, below the
 * snapshot's 9 KiB): the rotation after a reload writes it in a child, which fails; the store
 * is degraded as for a failed write, nothing more is acknowledged (but the segment's end, once
 * the rotation's sync returned); once the disk takes it, the retry writes it and everything is
 * acknowledged. */
static void test_failed_background_snapshot_degrades(void **state)
{
	struct fixture *f = *state;
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 64], expected[PATH_MAX + 64];
	const char *reason;
	uint64_t first, second;
	int len = snprintf(yaml, sizeof yaml,
			   "journal:\n  state_directory: %s/state\n  segment_max_bytes: 65536\n",
			   f->path);

	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	signal(SIGXFSZ, SIG_IGN); /* teardown restores it, and the limit */
	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	set_file_limit(4096);
	second = append_line(f, 2);
	store_reconfigure(f->store, &config); /* commits, then rotates: the child's write fails */
	assert_int_equal(f->acked, second);
	RUN_UNTIL(f, store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected, "cannot snapshot the journal in %s/state: %s", f->path,
		 strerror(EFBIG));
	assert_string_equal(reason, expected);
	/* named by the segment's end; the child's failed *.tmp removed */
	expect_snapshot_files(f, second + 1, false, false);
	assert_int_equal(store_stats(f->store)->rotations, 1);
	assert_int_equal(append_line(f, 3), 0); /* not journaled while degraded */
	assert_int_equal(f->ack_calls, 3);
	assert_int_equal(f->acked, second + 1); /* the segment's end */

	set_file_limit(RLIM_INFINITY);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 4);
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(store_stats(f->store)->degraded_periods, 1);
}

/* The feeds read less (store_read_less) near a rotation: with segment_max_bytes 65536, in the
 * segment's last eighth (8192 bytes), not from its start; and no longer once the rotation is
 * done and its snapshot's child has ended. */
static void test_read_less_near_the_rotation(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	unsigned n = 1;
	bool was_near = false;

	assert_int_equal(journal->bytes_written, 0);
	assert_false(store_read_less(f->store));
	/* Up to the full segment; its rotation then waits for the fsync in flight (hundreds of ms
	 * on a loaded machine), which RUN_UNTIL below waits for, not more lines. */
	for (; store_stats(f->store)->rotations == 0 && journal->bytes_written < 65536; n++) {
		uint64_t rotations = store_stats(f->store)->rotations;

		append_line(f, n);
		run_once(f);
		if (store_stats(f->store)->rotations != rotations ||
		    store_snapshot_running(f->store))
			break;
		assert_int_equal(store_read_less(f->store),
				 journal->bytes_written + 8192 >= 65536);
		was_near |= store_read_less(f->store);
		assert_true(n < 2000);
	}
	assert_true(was_near);
	RUN_UNTIL(f, store_stats(f->store)->rotations == 1 && !store_snapshot_running(f->store));
	assert_int_equal(journal->segments_created, 2);
	assert_int_equal(store_stats(f->store)->snapshots_forked, 1);
	assert_int_equal(f->rotations_begun, 1);
	assert_false(store_read_less(f->store));
	store_finish(f->store);
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* Run the loop for about `seconds` of wall-clock time, whatever fires meanwhile. */
static void run_for(struct fixture *f, int seconds)
{
	const struct timeval span = { .tv_sec = seconds };

	assert_int_equal(event_base_loopexit(f->base, &span), 0);
	assert_int_equal(event_base_dispatch(f->base), 0);
}

/* Run the loop until cond holds, for `seconds` of wall-clock time at most (a degraded store
 * tries the disk again every STORE_RETRY_SECONDS); the caller asserts cond after. */
#define RUN_UNTIL_WITHIN(f, cond, seconds)                                                   \
	do {                                                                                 \
		struct timespec start_;                                                      \
		clock_gettime(CLOCK_MONOTONIC, &start_);                                     \
		while (!(cond) && seconds_since(&start_) < (seconds))                        \
			event_base_loop((f)->base, EVLOOP_ONCE);                             \
	} while (0)

/* Whether another open file description holds path's flock (as a second cadmond would find). */
static bool lock_is_held(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	bool held;

	assert_true(fd >= 0);
	held = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

/* Line 1 acknowledged, then the whole state directory removed (`rm -rf`), then line 2 and an
 * alert: degraded by the segment's lost name, line 1's ack the only one. */
static void remove_state_directory_under_the_store(struct fixture *f, char *dir, size_t size)
{
	const char *reason;
	char expected[PATH_MAX + 64];
	uint64_t first = append_line(f, 1);

	RUN_UNTIL(f, f->acked == first);
	snprintf(dir, size, "%s/state", f->path);
	assert_int_equal(harness_remove_tree(dir), 0);
	append_line(f, 2);
	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON));
	RUN_UNTIL(f, f->deliveries == 1);
	assert_true(store_degraded(f->store, &reason));
	snprintf(expected, sizeof expected,
		 "cannot fsync the journal in %s: No such file or directory", dir);
	assert_string_equal(reason, expected);
	assert_int_equal(f->ack_calls, 1);
}

/* The whole state directory deleted under the store: degraded as for its segment; the retry
 * makes the directory again at its path (mode 0700), takes its lock, journals the alert of
 * the degraded period and writes the snapshot of the state in memory with a new segment, and
 * acknowledges again. A kill -9 then (a copy recovered) starts from that snapshot. */
static void test_deleted_state_directory_is_made_again(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX + 16], lock[PATH_MAX + 32];
	struct recovery_summary summary;
	struct stat st;

	remove_state_directory_under_the_store(f, dir, sizeof dir);
	RUN_UNTIL_WITHIN(f, !store_degraded(f->store, NULL), 10);
	assert_false(store_degraded(f->store, NULL));
	assert_int_equal(f->ack_calls, 2);
	assert_int_equal(f->acked, UINT64_MAX);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	snprintf(lock, sizeof lock, "%s/lock", dir);
	assert_true(lock_is_held(lock));
	/* record 2 the alert (line 2's record was not synced: rolled back), record 3 its
	 * segment's end and the snapshot's name, the next segment from record 4 */
	assert_int_equal(segment_files(f, false), 2);
	summary = recover_a_copy(f);
	assert_true(summary.from_snapshot);
	assert_int_equal(summary.snapshot_index, 3);
	assert_int_equal(summary.last_index, 3);
	assert_false(summary.next_segment_missing);
	assert_int_equal(store_history(f->store)->oldest(store_history(f->store)->ctx), 1);
	store_finish(f->store);
}

/* Deleted while the store is idle, nothing failed yet: the stop makes it again and writes the
 * final snapshot there, not into the deleted directory (rev16b S1: a restart found nothing). */
static void test_deleted_state_directory_at_stop_is_made_again(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX + 16];
	struct recovery_summary summary;
	uint64_t first = append_line(f, 1);

	RUN_UNTIL(f, f->acked == first);
	snprintf(dir, sizeof dir, "%s/state", f->path);
	assert_int_equal(harness_remove_tree(dir), 0);
	assert_false(store_degraded(f->store, NULL));
	store_finish(f->store);
	assert_int_equal(access(dir, F_OK), 0);
	summary = recover_a_copy(f);
	assert_true(summary.from_snapshot);
	assert_int_equal(summary.snapshot_index, first + 1); /* the segment's end: its record */
	assert_int_equal(summary.records_replayed, 0);
}

/* ... but while another process holds the lock of the directory now at that path (a second
 * cadmond started on it), the store stays degraded, with that reason: never two writers.
 * Released, with that process's snapshot left there, still degraded (a restart could take
 * that snapshot for the state); once that is moved away, the next retry takes the directory
 * and the store recovers. */
static void test_state_directory_locked_by_another_stays_degraded(void **state)
{
	struct fixture *f = *state;
	char dir[PATH_MAX + 16], lock[PATH_MAX + 32], expected[3 * PATH_MAX];
	const char *reason = "";
	int lock_fd;

	remove_state_directory_under_the_store(f, dir, sizeof dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(lock, sizeof lock, "%s/lock", dir);
	assert_true((lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) >= 0);
	assert_int_equal(flock(lock_fd, LOCK_EX | LOCK_NB), 0);
	snprintf(expected, sizeof expected,
		 "state directory %s is in use by another cadmond (%s/lock is locked)", dir, dir);
	RUN_UNTIL_WITHIN(f, store_degraded(f->store, &reason) && strcmp(reason, expected) == 0,
			 10);
	assert_true(store_degraded(f->store, &reason));
	assert_string_equal(reason, expected);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(access(dir, F_OK), 0);
	snprintf(expected, sizeof expected, "%s/journal", dir);
	assert_int_equal(access(expected, F_OK), -1); /* nothing written there */

	char other[PATH_MAX + 64];

	snprintf(other, sizeof other, "%s/snapshot-0000000000000009.snap", dir);
	assert_int_equal(harness_write_file(other, "another's"), 0);
	close(lock_fd);
	snprintf(expected, sizeof expected,
		 "state directory %s holds another's journal or snapshots now (made again by "
		 "another process?): not written; move them away",
		 dir);
	RUN_UNTIL_WITHIN(f, store_degraded(f->store, &reason) && strcmp(reason, expected) == 0,
			 10);
	assert_true(store_degraded(f->store, &reason));
	assert_string_equal(reason, expected);
	assert_false(lock_is_held(lock));

	assert_int_equal(unlink(other), 0);
	RUN_UNTIL_WITHIN(f, !store_degraded(f->store, NULL), 10);
	assert_false(store_degraded(f->store, NULL));
	assert_int_equal(f->acked, UINT64_MAX);
	assert_true(lock_is_held(lock));
	assert_int_equal(segment_files(f, false), 2);
	store_finish(f->store);
}

/* segment_max_seconds (10 here): a segment with a line in it is rotated, with a snapshot, once
 * it is that old by the wall clock, however small; the timer is armed again and an empty
 * segment is left as it is when it fires. */
static void test_rotation_by_age(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	struct timespec start;
	double elapsed;

	clock_gettime(CLOCK_MONOTONIC, &start);
	append_line(f, 1);
	run_once(f);
	assert_int_equal(journal->segments_created, 1);
	RUN_UNTIL(f, store_stats(f->store)->rotations == 1 && !store_snapshot_running(f->store));
	elapsed = seconds_since(&start);
	assert_true(elapsed > 9.0);  /* the timer started before `start`, at the store's start */
	assert_true(elapsed < 30.0); /* 10 s, and a slow machine's margin */
	assert_int_equal(journal->segments_created, 2);
	assert_int_equal(store_stats(f->store)->snapshots_forked, 1);
	assert_int_equal(f->rotations_begun, 1);

	run_for(f, 11); /* the timer fires again on the new, empty segment */
	assert_int_equal(store_stats(f->store)->rotations, 1);
	assert_int_equal(journal->segments_created, 2);
	assert_int_equal(f->rotations_begun, 2);
	store_finish(f->store);
}

/* The age timer fires while the disk fails (degraded): the checkpoint that ends the degraded
 * period starts a new segment with a snapshot, and the next commit does not rotate it again. */
static void test_age_rotation_while_degraded_is_the_checkpoint(void **state)
{
	struct fixture *f = *state;
	const struct journal_stats *journal = store_journal_stats(f->store);
	uint64_t first;

	signal(SIGXFSZ, SIG_IGN); /* teardown restores it, and the limit */
	first = append_line(f, 1);
	RUN_UNTIL(f, f->acked == first);
	set_file_limit((rlim_t)segment_bytes(f)); /* no write grows a file any more */
	append_line(f, 2);
	run_once(f);
	assert_true(store_degraded(f->store, NULL));
	run_for(f, 11); /* the 10-s age timer fires; the retries every 2 s fail */
	assert_true(store_degraded(f->store, NULL));
	assert_int_equal(f->rotations_begun, 0); /* not while degraded */

	set_file_limit(RLIM_INFINITY);
	RUN_UNTIL(f, !store_degraded(f->store, NULL));
	assert_int_equal(journal->segments_created, 2); /* the checkpoint's */
	first = append_line(f, 3);
	RUN_UNTIL(f, f->acked == first);
	assert_int_equal(store_stats(f->store)->rotations, 0);
	assert_int_equal(f->rotations_begun, 0);
	assert_int_equal(journal->segments_created, 2);
	store_finish(f->store);
}

/* --- a commit put off by one loop turn: lines of several feeds ------------------------------ */

static const char source_a[] = "cad-a", source_b[] = "cad-b";

/* One loop turn's reads, as the feeds' read events: active before the iteration starts, so run
 * after its timers are made active and before the commit event they make active. */
struct turn_reads {
	struct fixture *f;
	const char *sources[4]; /* a line of each, NULL ending */
	bool alert;             /* and an alert after them */
	uint64_t last;          /* the last line's record index (the alert's: last + 1) */
	unsigned next;          /* the next line's number */
};

static void on_turn_reads(evutil_socket_t fd, short what, void *ctx)
{
	struct turn_reads *reads = ctx;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < 4 && reads->sources[i]; i++)
		reads->last = append_line_from(reads->f, reads->sources[i], ++reads->next);
	if (reads->alert)
		store_on_alert(reads->f->store, reads->next, ALERT_JSON, strlen(ALERT_JSON));
}

/* One iteration of the loop, without waiting (run_once's EVLOOP_NONBLOCK alone goes on while
 * an iteration ran callbacks). */
static void one_turn(struct fixture *f)
{
	assert_int_equal(event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
}

/* One iteration of the loop whose reads are reads' (sources, alert). */
static void run_turn(struct fixture *f, struct turn_reads *reads, const char *a, const char *b,
		     bool alert)
{
	struct event *event = event_new(f->base, -1, 0, on_turn_reads, reads);

	assert_non_null(event);
	reads->f = f;
	reads->sources[0] = a;
	reads->sources[1] = b;
	reads->sources[2] = NULL;
	reads->alert = alert;
	event_active(event, 0, 0);
	one_turn(f);
	event_free(event);
}

/* Lines of two feeds in a turn: the commit comes in the next turn, with that turn's lines,
 * once (not put off again); nothing is acknowledged before its fsync. */
static void test_two_feeds_commit_one_turn_later(void **state)
{
	struct fixture *f = *state;
	struct turn_reads reads = { 0 };

	gate_set(true, 0);
	run_turn(f, &reads, source_a, source_b, false); /* lines 1, 2 */
	assert_int_equal(reads.last, 2);
	assert_int_equal(store_stats(f->store)->commits, 0);
	assert_int_equal(store_stats(f->store)->commits_put_off, 1);
	assert_int_equal(gate_started(), 0);

	run_turn(f, &reads, source_a, source_b, false); /* lines 3, 4 */
	assert_int_equal(reads.last, 4);
	assert_int_equal(store_stats(f->store)->commits, 1); /* the four records */
	assert_int_equal(store_stats(f->store)->commits_put_off, 1);
	gate_wait_started(1);
	one_turn(f);
	one_turn(f);
	assert_int_equal(store_stats(f->store)->commits, 1);
	assert_int_equal(f->ack_calls, 0);

	gate_set(false, 0);
	RUN_UNTIL(f, f->acked == 4);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(gate_started(), 1);

	run_turn(f, &reads, source_a, source_b, false); /* a batch of its own: put off again */
	assert_int_equal(store_stats(f->store)->commits_put_off, 2);
	one_turn(f);
	assert_int_equal(store_stats(f->store)->commits, 2);
	RUN_UNTIL(f, f->acked == 6);
	assert_int_equal(f->ack_calls, 2);
}

/* Lines of two feeds and an alert in a turn: committed in that turn (the alert's latency is
 * one fsync, not a turn of reads more); delivered after the fsync. */
static void test_two_feeds_with_an_alert_commit_at_once(void **state)
{
	struct fixture *f = *state;
	struct turn_reads reads = { 0 };

	gate_set(true, 0);
	run_turn(f, &reads, source_a, source_b, true); /* lines 1, 2, the alert: 3 records */
	assert_int_equal(store_stats(f->store)->commits, 1);
	assert_int_equal(store_stats(f->store)->commits_put_off, 0);
	gate_wait_started(1);
	assert_int_equal(f->deliveries, 0);
	assert_int_equal(f->ack_calls, 0);

	gate_set(false, 0);
	RUN_UNTIL(f, f->acked == 3);
	assert_int_equal(f->deliveries, 1);

	run_turn(f, &reads, source_a, source_b, false); /* the next batch, without an alert */
	assert_int_equal(store_stats(f->store)->commits_put_off, 1);
}

/* A batch written within a turn (here full: STORE_BATCH_MAX_BYTES) counts its sources again:
 * what follows of one source alone is committed at once. */
static void on_reads_past_the_batch_bound(evutil_socket_t fd, short what, void *ctx)
{
	struct fixture *f = ctx;
	unsigned n = 0;

	(void)fd;
	(void)what;
	append_line_from(f, source_b, ++n);
	while (store_stats(f->store)->early_commits == 0)
		append_line_from(f, source_a, ++n);
	append_line_from(f, source_a, ++n);
}

static void test_sources_counted_again_after_an_early_commit(void **state)
{
	struct fixture *f = *state;
	struct event *event = event_new(f->base, -1, 0, on_reads_past_the_batch_bound, f);

	assert_non_null(event);
	event_active(event, 0, 0);
	one_turn(f);
	event_free(event);
	assert_int_equal(store_stats(f->store)->early_commits, 1);
	assert_int_equal(store_stats(f->store)->commits, 2);
	assert_int_equal(store_stats(f->store)->commits_put_off, 0);
}

/* One feed's lines and its alert are committed in their own turn, as are lines of one source
 * (its key in another buffer too, as NATS messages give it) around another's hello (an empty
 * line). */
static void test_one_feed_commits_at_once(void **state)
{
	struct fixture *f = *state;
	struct turn_reads reads = { 0 };
	char same_key[] = "cad-a";
	struct engine_origin hello = { .source = source_b, .named = true,
				       .received_ms = 1795939200000 };

	run_turn(f, &reads, source_a, source_a, true);
	assert_int_equal(store_stats(f->store)->commits, 1);
	RUN_UNTIL(f, f->acked == 3);

	append_line_from(f, source_a, 10);
	store_append_line(f->store, &hello, "", 0);
	append_line_from(f, same_key, 11);
	one_turn(f);
	assert_int_equal(store_stats(f->store)->commits, 2);
	assert_int_equal(store_stats(f->store)->commits_put_off, 0);
	RUN_UNTIL(f, f->acked == 6);
	assert_int_equal(f->deliveries, 1);
}

/* store_finish writes, syncs and releases a batch that was put off; its timer does not run
 * after. */
static void test_finish_commits_what_was_put_off(void **state)
{
	struct fixture *f = *state;
	struct turn_reads reads = { 0 };

	run_turn(f, &reads, source_a, source_b, false);
	assert_int_equal(store_stats(f->store)->commits_put_off, 1);
	assert_int_equal(f->ack_calls, 0);
	store_finish(f->store);
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, 2);
	one_turn(f);
	assert_int_equal(store_stats(f->store)->commits, 0);
	assert_int_equal(f->ack_calls, 1);
}

/* fsync: none: lines of two feeds are acknowledged at the put-off commit's write. */
static void test_fsync_none_two_feeds_ack_at_the_next_turn(void **state)
{
	struct fixture *f = *state;
	struct turn_reads reads = { 0 };
	struct config_errors errors;
	struct config config;
	char yaml[PATH_MAX + 64];
	int len;

	len = snprintf(yaml, sizeof yaml, "journal:\n  state_directory: %s/state\n  fsync: none\n",
		       f->path);
	assert_int_equal(config_parse(yaml, (size_t)len, "test.yaml", &config, &errors), 0);
	store_reconfigure(f->store, &config);
	f->ack_calls = 0;
	gate_set(true, 0); /* a sync would hang the test */
	run_turn(f, &reads, source_a, source_b, false);
	assert_int_equal(f->ack_calls, 0);
	one_turn(f); /* the next turn, no reads */
	assert_int_equal(f->ack_calls, 1);
	assert_int_equal(f->acked, reads.last);
	assert_int_equal(store_stats(f->store)->commits, 1);
	assert_int_equal(store_stats(f->store)->commits_put_off, 1);
	assert_int_equal(gate_started(), 0);
	gate_set(false, 0);
}

/* An alert that finds no memory to wait for its fsync goes out at once, but only after the
 * journal is synced in the loop: durable, and after the alert before it, never ahead of it. */
static void test_alert_without_memory_is_synced_in_the_loop(void **state)
{
	struct fixture *f = *state;
	uint64_t line = append_line(f, 1);
	unsigned syncs;

	store_on_alert(f->store, 1, ALERT_JSON, strlen(ALERT_JSON)); /* record line + 1 */
	run_once(f);
	RUN_UNTIL(f, f->deliveries == 1);
	syncs = gate_started();
	store_on_alert(f->store, 2, ALERT_JSON, strlen(ALERT_JSON)); /* held for its fsync */
	fail_malloc_bytes = strlen(ALERT_JSON) + 1;
	store_on_alert(f->store, 3, ALERT_JSON, strlen(ALERT_JSON)); /* its copy fails */
	assert_int_equal(fail_malloc_bytes, 0);
	assert_int_equal(f->deliveries, 3);
	assert_int_equal(f->delivered, 3);
	assert_int_equal(f->out_of_order, 0);
	assert_int_equal(f->acked, line + 3); /* both alerts' records durable before delivery */
	assert_int_equal(gate_started(), syncs); /* not on the sync thread: in the loop */
	assert_int_equal(store_stats(f->store)->alerts_synced_in_loop, 1);
	assert_false(store_degraded(f->store, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_release_waits_for_the_fsync, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_fsync_starts_without_the_loop, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_newer_commit_replaces_the_next_fsync, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alert_fsync_runs_beside_the_running_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_failed_fsync_beside_fails_both, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_fsync_after_a_failed_one, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_no_fsync_after_a_failed_one_before_the_loop_hears, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_fsync_degrades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history_while_degraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partial_write_degrades_and_cuts_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_deleted_segment_degrades, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_state_directory_at_stop_is_made_again,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_deleted_state_directory_is_made_again, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_state_directory_locked_by_another_stays_degraded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_background_snapshot_degrades, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_finish_on_a_failing_disk_delivers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rotation_syncs_on_the_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rotation_sync_degrades, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_child_runs_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_child_syncs_nothing_of_the_journal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_snapshot_rename_degrades, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_snapshot_directory_fsync_degrades,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_rotation_sync_failing_after_the_child_leaves_no_snapshot, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_kill_9_at_each_snapshot_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_publication_runs_after_a_failed_sync,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_publication_survives_a_wait, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_held_publication_holds_acks, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rotation_waits_for_the_sync_done, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unsynced_bound_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_none_releases_at_the_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fsync_none_rotation_syncs_on_the_thread, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_less_near_the_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_by_age, setup_aged, teardown),
		cmocka_unit_test_setup_teardown(test_age_rotation_while_degraded_is_the_checkpoint,
						setup_aged, teardown),
		cmocka_unit_test_setup_teardown(test_two_feeds_commit_one_turn_later, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_feeds_with_an_alert_commit_at_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sources_counted_again_after_an_early_commit,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_feed_commits_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_commits_what_was_put_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_alert_without_memory_is_synced_in_the_loop,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_fsync_none_two_feeds_ack_at_the_next_turn,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
