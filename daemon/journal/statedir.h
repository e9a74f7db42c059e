/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_STATEDIR_H
#define CADMOND_STATEDIR_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The state directory and its files:
 *
 *   DIR/lock                              flock()ed while a cadmond uses DIR
 *   DIR/journal/<16 hex digits>.seg       a journal segment, named by its first record index
 *   DIR/snapshot-<16 hex digits>.snap     an engine snapshot, named by the last record index
 *                                         it includes
 *   *.corrupt                             a damaged file set aside (never read, never deleted)
 *   *.tmp                                 a snapshot being written, or written and not
 *                                         renamed into place yet; removed at start
 *
 * Snapshots are written to a .tmp file, fsynced, renamed into place and the directory
 * fsynced, so a snapshot file is always complete. Nothing here logs: functions return 0 or
 * -errno, with a message in why where a caller shows one.
 */

#define STATEDIR_PATH_MAX 4096
#define STATEDIR_NAME_MAX 64 /* any file name used here, with its NUL */

struct statedir {
	char path[STATEDIR_PATH_MAX];
	int fd;         /* DIR */
	int journal_fd; /* DIR/journal */
	int lock_fd;    /* DIR/lock, flock()ed */
};

/* What a state directory holds, each list ascending. */
struct statedir_files {
	uint64_t *segments;  /* first record index of each segment */
	size_t segment_count;
	uint64_t *snapshots; /* last record index of each snapshot */
	size_t snapshot_count;
};

/**
 * The state directory to use: the first path of $STATE_DIRECTORY (systemd's StateDirectory=,
 * colon-separated when it lists several) when set and not empty, else
 * journal.state_directory. 0, or -EINVAL with the reason in why.
 */
int statedir_resolve(const struct config *config, char *path, size_t size, char *why,
		     size_t why_size);

/**
 * Create path (mode 0700; its parent must exist) and path/journal if missing, and lock it.
 * Fails with -EWOULDBLOCK and "state directory PATH is in use by another cadmond (PATH/lock
 * is locked)" when another process holds it.
 */
int statedir_open(struct statedir *dir, const char *path, char *why, size_t why_size);

/* Whether the directories held are still where dir->path says. */
enum statedir_place {
	STATEDIR_IN_PLACE,
	STATEDIR_JOURNAL_GONE, /* DIR/journal deleted or renamed away (DIR is in place) */
	STATEDIR_GONE,	       /* DIR deleted or renamed away (another may be there now) */
};

/**
 * Whether dir->path still names the directory held (same device and inode, not deleted), and
 * DIR/journal the journal directory held. Only stats: nothing is changed.
 */
enum statedir_place statedir_where(const struct statedir *dir);

/**
 * After statedir_where() said place (not STATEDIR_IN_PLACE): make dir whole again at its path.
 * STATEDIR_JOURNAL_GONE: DIR/journal created again. STATEDIR_GONE: dir->path opened as
 * statedir_open() does (created with mode 0700, DIR/lock taken without waiting, DIR/journal
 * created), then the old directory closed (its lock released) and the new one held instead.
 * 0; or -errno with the reason in why and dir unchanged: -EWOULDBLOCK when another process
 * holds the new DIR/lock (never two writers); -EEXIST when it holds a segment or snapshot
 * already (another's, say a cadmond that started there and stopped: a restart could recover
 * its state rather than ours, so nothing is written there).
 */
int statedir_reopen(struct statedir *dir, enum statedir_place place, char *why, size_t why_size);

/** Unlock and close. Safe after any statedir_open(), failed or not, and twice. */
void statedir_close(struct statedir *dir);

/** List segments and snapshots; removes leftover *.tmp files. 0 or -errno. */
int statedir_list(const struct statedir *dir, struct statedir_files *files);
void statedir_files_free(struct statedir_files *files);

/** "0000000000000001.seg" (in DIR/journal), "snapshot-0000000000000001.snap" (in DIR) */
void statedir_segment_name(uint64_t first_index, char name[STATEDIR_NAME_MAX]);
void statedir_snapshot_name(uint64_t index, char name[STATEDIR_NAME_MAX]);

/* Writes a file's content to fd: 0 or -errno. */
typedef int statedir_fill_fn(void *ctx, int fd);

/** statedir_write_snapshot with the content written by fill, as it is produced (streamed). */
int statedir_fill_snapshot(const struct statedir *dir, uint64_t index, statedir_fill_fn *fill,
			   void *ctx);

/**
 * statedir_fill_snapshot's first half: the content in "<name>.tmp", fsynced (removed again
 * when that fails). 0 or -errno.
 */
int statedir_fill_snapshot_tmp(const struct statedir *dir, uint64_t index,
			       statedir_fill_fn *fill, void *ctx);

/**
 * Its second half: rename snapshot index's "<name>.tmp" in dir_fd (the state directory, DIR)
 * into place and fsync dir_fd. Only descriptors and names: safe on a thread of its own. 0 or
 * -errno (the rename failed: the tmp is still there; the fsync failed: the snapshot is in
 * place, its name perhaps not durable).
 */
int statedir_publish_snapshot(int dir_fd, uint64_t index);

/** Remove snapshot index's "<name>.tmp" if there is one. */
void statedir_discard_snapshot_tmp(const struct statedir *dir, uint64_t index);

/** Write a snapshot file atomically and durably (tmp, fsync, rename, fsync DIR). */
int statedir_write_snapshot(const struct statedir *dir, uint64_t index, const void *data,
			    size_t len);

/** Read a whole snapshot file into a malloc'd buffer. */
int statedir_read_snapshot(const struct statedir *dir, uint64_t index, unsigned char **data,
			   size_t *len);

/**
 * Create segment first_index for writing (O_APPEND) and make its name durable. An empty file
 * of that name (a crash right after creating it) is reused. The new fd, or -errno.
 */
int statedir_create_segment(const struct statedir *dir, uint64_t first_index);

/**
 * statedir_create_segment without making the name durable: the caller fsyncs dir->journal_fd
 * (a rotation's, on the sync thread) before it counts on anything written to the file.
 */
int statedir_new_segment(const struct statedir *dir, uint64_t first_index);

/**
 * Whether the file open on fd has lost its last name: the segment, or the whole state
 * directory, deleted while cadmond writes it. What is written and synced there is gone at the
 * next start, so it must not be acknowledged. (An fd fstat cannot read: false.) Only a
 * descriptor: safe on a thread of its own.
 */
bool statedir_unlinked(int fd);

/** Open a segment: read-only, or for appending (write = true). The fd, or -errno. */
int statedir_open_segment(const struct statedir *dir, uint64_t first_index, bool write);

/* What statedir's opens return for a name that is not a regular file (a FIFO, directory,
 * device or symbolic link): EMEDIUMTYPE, which no open of a regular file gives. */
#define STATEDIR_ENOTREG EMEDIUMTYPE

/** strerror(-rc), or "not a regular file" for -STATEDIR_ENOTREG. */
const char *statedir_strerror(int rc);

/** Rename a segment or snapshot to NAME.corrupt (NAME.corrupt-2, ... if taken). */
int statedir_quarantine_segment(const struct statedir *dir, uint64_t first_index);
int statedir_quarantine_snapshot(const struct statedir *dir, uint64_t index);

/** Delete a segment or a snapshot (and fsync the directory). */
int statedir_remove_segment(const struct statedir *dir, uint64_t first_index);
int statedir_remove_snapshot(const struct statedir *dir, uint64_t index);


#endif
