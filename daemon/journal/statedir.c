/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "statedir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdio.h"

#define STATEDIR_SNAPSHOT_MAX_BYTES (UINT64_C(4) << 30)
#define STATEDIR_QUARANTINE_TRIES 100

int statedir_resolve(const struct config *config, char *path, size_t size, char *why,
		     size_t why_size)
{
	const char *from_env = getenv("STATE_DIRECTORY");
	size_t len;

	if (from_env && from_env[0]) {
		len = strcspn(from_env, ":");
		if (from_env[0] != '/' || len >= size) {
			snprintf(why, why_size,
				 "STATE_DIRECTORY=%s: not an absolute path of at most %zu bytes",
				 from_env, size - 1);
			return -EINVAL;
		}
		memcpy(path, from_env, len);
		path[len] = '\0';
		return 0;
	}
	if (strlen(config->journal.state_directory) >= size) {
		snprintf(why, why_size, "journal.state_directory is too long");
		return -EINVAL;
	}
	snprintf(path, size, "%s", config->journal.state_directory);
	return 0;
}

/* mkdir that accepts an existing directory. */
static int make_directory(int at_fd, const char *name)
{
	if (mkdirat(at_fd, name, 0700) == 0 || errno == EEXIST)
		return 0;
	return -errno;
}

static int open_directory(int at_fd, const char *name)
{
	int fd = openat(at_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* DIR/journal, created if missing: its fd, or -errno with the reason in why. */
static int open_journal(const struct statedir *dir, char *why, size_t why_size)
{
	int rc;

	if ((rc = make_directory(dir->fd, "journal")) < 0 ||
	    (rc = open_directory(dir->fd, "journal")) < 0)
		snprintf(why, why_size, "cannot create %s/journal: %s", dir->path, strerror(-rc));
	return rc;
}

/* Take DIR/lock without waiting: another cadmond on the same directory makes this fail. */
static int take_lock(struct statedir *dir, char *why, size_t why_size)
{
	dir->lock_fd = openat(dir->fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (dir->lock_fd < 0) {
		int rc = -errno;

		snprintf(why, why_size, "cannot open %s/lock: %s", dir->path, strerror(-rc));
		return rc;
	}
	if (flock(dir->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno == EWOULDBLOCK) {
		snprintf(why, why_size,
			 "state directory %s is in use by another cadmond (%s/lock is locked)",
			 dir->path, dir->path);
		return -EWOULDBLOCK;
	}
	snprintf(why, why_size, "cannot lock %s/lock: %s", dir->path, strerror(errno));
	return -errno;
}

static int sync_directory(int dir_fd)
{
	return fsync(dir_fd) < 0 ? -errno : 0;
}

/* fsync the directory that holds path's last component (a parent that cannot be opened, say
 * not readable, is left: best effort). 0 or -errno. */
static int sync_parent(const char *path)
{
	char parent[STATEDIR_PATH_MAX];
	char *slash;
	int fd, rc;

	snprintf(parent, sizeof parent, "%s", path);
	slash = strrchr(parent, '/');
	if (!slash)
		snprintf(parent, sizeof parent, ".");
	else
		slash[slash == parent] = '\0'; /* "/x": "/" */
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	rc = sync_directory(fd);
	close(fd);
	return rc;
}

int statedir_open(struct statedir *dir, const char *path, char *why, size_t why_size)
{
	int rc;

	memset(dir, 0, sizeof *dir);
	dir->fd = dir->journal_fd = dir->lock_fd = -1;
	snprintf(dir->path, sizeof dir->path, "%s", path);
	if ((rc = make_directory(AT_FDCWD, path)) < 0 ||
	    (rc = open_directory(AT_FDCWD, path)) < 0) {
		snprintf(why, why_size, "cannot create state directory %s: %s", path,
			 strerror(-rc));
		return rc;
	}
	dir->fd = rc;
	if ((rc = take_lock(dir, why, why_size)) < 0 || (rc = open_journal(dir, why, why_size)) < 0)
		goto fail;
	dir->journal_fd = rc;
	/* the entries made (or found) durable before anything is written: the journal's in the
	 * state directory, the state directory's in its parent; else a power loss could take a
	 * directory made at the first start, or made again (statedir_reopen), with everything
	 * acknowledged in it (rev16b M1) */
	if ((rc = sync_directory(dir->fd)) < 0 || (rc = sync_parent(path)) < 0) {
		snprintf(why, why_size, "cannot fsync state directory %s: %s", path, strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	statedir_close(dir);
	return rc;
}

/* Whether the directory open on fd still has a name, and at_fd/name is that name. */
static bool still_named(int fd, int at_fd, const char *name)
{
	struct stat held, named;

	return fstat(fd, &held) == 0 && held.st_nlink > 0 && fstatat(at_fd, name, &named, 0) == 0 &&
	       held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

enum statedir_place statedir_where(const struct statedir *dir)
{
	if (!still_named(dir->fd, AT_FDCWD, dir->path))
		return STATEDIR_GONE;
	if (!still_named(dir->journal_fd, dir->fd, "journal"))
		return STATEDIR_JOURNAL_GONE;
	return STATEDIR_IN_PLACE;
}

/* 1 when dir holds a segment or a snapshot, 0 when none, or -errno. */
static int holds_state(const struct statedir *dir)
{
	struct statedir_files files;
	int rc = statedir_list(dir, &files);

	if (rc == 0) {
		rc = files.segment_count > 0 || files.snapshot_count > 0;
		statedir_files_free(&files);
	}
	return rc;
}

int statedir_reopen(struct statedir *dir, enum statedir_place place, char *why, size_t why_size)
{
	struct statedir fresh;
	int rc;

	if (place == STATEDIR_JOURNAL_GONE) {
		if ((rc = open_journal(dir, why, why_size)) < 0)
			return rc;
		int synced = sync_directory(dir->fd); /* the new journal's entry */
		if (synced < 0) {
			snprintf(why, why_size, "cannot fsync state directory %s: %s", dir->path,
				 strerror(-synced));
			close(rc);
			return synced;
		}
		close(dir->journal_fd);
		dir->journal_fd = rc;
		return 0;
	}
	if ((rc = statedir_open(&fresh, dir->path, why, why_size)) < 0)
		return rc;
	if ((rc = holds_state(&fresh)) != 0) {
		if (rc > 0)
			snprintf(why, why_size,
				 "state directory %s holds another's journal or snapshots now "
				 "(made again by another process?): not written; move them away",
				 dir->path);
		else
			snprintf(why, why_size, "cannot list state directory %s: %s", dir->path,
				 strerror(-rc));
		statedir_close(&fresh);
		return rc > 0 ? -EEXIST : rc;
	}
	statedir_close(dir); /* the old one's lock too: no file of it is written any more */
	*dir = fresh;
	return 0;
}

void statedir_close(struct statedir *dir)
{
	if (dir->journal_fd >= 0)
		close(dir->journal_fd);
	if (dir->lock_fd >= 0)
		close(dir->lock_fd); /* releases the flock */
	if (dir->fd >= 0)
		close(dir->fd);
	dir->fd = dir->journal_fd = dir->lock_fd = -1;
}

void statedir_segment_name(uint64_t first_index, char name[STATEDIR_NAME_MAX])
{
	snprintf(name, STATEDIR_NAME_MAX, "%016" PRIx64 ".seg", first_index);
}

void statedir_snapshot_name(uint64_t index, char name[STATEDIR_NAME_MAX])
{
	snprintf(name, STATEDIR_NAME_MAX, "snapshot-%016" PRIx64 ".snap", index);
}

/* The 16 hex digits of name between prefix and suffix, exactly; false if it is not such a name. */
static bool parse_indexed_name(const char *name, const char *prefix, const char *suffix,
			       uint64_t *index)
{
	size_t prefix_len = strlen(prefix);
	uint64_t value = 0;

	if (strlen(name) != prefix_len + 16 + strlen(suffix) ||
	    strncmp(name, prefix, prefix_len) != 0 || strcmp(name + prefix_len + 16, suffix) != 0)
		return false;
	for (size_t i = prefix_len; i < prefix_len + 16; i++) {
		char c = name[i];
		unsigned digit;

		if (c >= '0' && c <= '9')
			digit = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			digit = (unsigned)(c - 'a' + 10);
		else
			return false;
		value = value << 4 | digit;
	}
	*index = value;
	return true;
}

static bool ends_with(const char *name, const char *suffix)
{
	size_t len = strlen(name), suffix_len = strlen(suffix);

	return len >= suffix_len && strcmp(name + len - suffix_len, suffix) == 0;
}

static int push_index(uint64_t **list, size_t *count, uint64_t index)
{
	uint64_t *grown = realloc(*list, (*count + 1) * sizeof **list);

	if (!grown)
		return -ENOMEM;
	grown[(*count)++] = index;
	*list = grown;
	return 0;
}

static int compare_index(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Collect the names of one directory that match prefix/suffix; remove *.tmp leftovers. */
static int list_directory(int dir_fd, const char *prefix, const char *suffix, uint64_t **list,
			  size_t *count)
{
	int fd = dup(dir_fd);
	DIR *stream;
	struct dirent *entry;
	int rc = 0;

	if (fd < 0 || !(stream = fdopendir(fd))) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	rewinddir(stream);
	while (rc == 0 && (entry = readdir(stream))) {
		uint64_t index;

		if (ends_with(entry->d_name, ".tmp"))
			unlinkat(dir_fd, entry->d_name, 0);
		else if (parse_indexed_name(entry->d_name, prefix, suffix, &index))
			rc = push_index(list, count, index);
	}
	closedir(stream);
	if (rc == 0 && *count > 1)
		qsort(*list, *count, sizeof **list, compare_index);
	return rc;
}

int statedir_list(const struct statedir *dir, struct statedir_files *files)
{
	int rc;

	memset(files, 0, sizeof *files);
	rc = list_directory(dir->journal_fd, "", ".seg", &files->segments, &files->segment_count);
	if (rc == 0)
		rc = list_directory(dir->fd, "snapshot-", ".snap", &files->snapshots,
				    &files->snapshot_count);
	if (rc < 0)
		statedir_files_free(files);
	return rc;
}

void statedir_files_free(struct statedir_files *files)
{
	free(files->segments);
	free(files->snapshots);
	memset(files, 0, sizeof *files);
}

bool statedir_unlinked(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_nlink == 0;
}


/* Write data to a new file at_fd/name and fsync it. */
struct whole_buffer {
	const void *data;
	size_t len;
};

static int write_whole_buffer(void *ctx, int fd)
{
	const struct whole_buffer *buffer = ctx;

	return fdio_write_all(fd, buffer->data, buffer->len);
}

static int write_new_file(int at_fd, const char *name, statedir_fill_fn *fill, void *ctx)
{
	int fd = openat(at_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc;

	if (fd < 0)
		return -errno;
	rc = fill(ctx, fd);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	/* Durable: its pages leave the page cache now (a rotation's snapshot: in its child, off the
	 * loop) rather than when retention deletes the file, a snapshot later, in the loop (an
	 * unlink frees the cached pages: about 1 ms of CPU per 16 MiB; bench/README.md, "branch
	 * stall3"). Recovery reads it from the disk. */
	if (rc == 0)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int statedir_write_snapshot(const struct statedir *dir, uint64_t index, const void *data,
			    size_t len)
{
	struct whole_buffer buffer = { .data = data, .len = len };

	return statedir_fill_snapshot(dir, index, write_whole_buffer, &buffer);
}

/* "snapshot-<index>.snap" and its "<name>.tmp". */
static void snapshot_names(uint64_t index, char name[STATEDIR_NAME_MAX],
			   char tmp[STATEDIR_NAME_MAX + 4])
{
	statedir_snapshot_name(index, name);
	snprintf(tmp, STATEDIR_NAME_MAX + 4, "%s.tmp", name);
}

int statedir_fill_snapshot_tmp(const struct statedir *dir, uint64_t index,
			       statedir_fill_fn *fill, void *ctx)
{
	char name[STATEDIR_NAME_MAX], tmp[STATEDIR_NAME_MAX + 4];
	int rc;

	snapshot_names(index, name, tmp);
	if ((rc = write_new_file(dir->fd, tmp, fill, ctx)) < 0)
		unlinkat(dir->fd, tmp, 0);
	return rc;
}

int statedir_publish_snapshot(int dir_fd, uint64_t index)
{
	char name[STATEDIR_NAME_MAX], tmp[STATEDIR_NAME_MAX + 4];

	snapshot_names(index, name, tmp);
	if (renameat(dir_fd, tmp, dir_fd, name) < 0)
		return -errno;
	return sync_directory(dir_fd);
}

void statedir_discard_snapshot_tmp(const struct statedir *dir, uint64_t index)
{
	char name[STATEDIR_NAME_MAX], tmp[STATEDIR_NAME_MAX + 4];

	snapshot_names(index, name, tmp);
	unlinkat(dir->fd, tmp, 0);
}

int statedir_fill_snapshot(const struct statedir *dir, uint64_t index, statedir_fill_fn *fill,
			   void *ctx)
{
	int rc = statedir_fill_snapshot_tmp(dir, index, fill, ctx);

	if (rc == 0 && (rc = statedir_publish_snapshot(dir->fd, index)) < 0)
		statedir_discard_snapshot_tmp(dir, index);
	return rc;
}

/* Read all of an open file of known size into a malloc'd buffer. */
static int read_whole(int fd, size_t size, unsigned char **data)
{
	unsigned char *buffer = malloc(size ? size : 1);
	size_t have = 0;

	if (!buffer)
		return -ENOMEM;
	while (have < size) {
		ssize_t got = read(fd, buffer + have, size - have);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			free(buffer);
			return got < 0 ? -errno : -EIO;
		}
		have += (size_t)got;
	}
	*data = buffer;
	return 0;
}

/*
 * Open at_fd/name (flags plus close-on-exec), refusing anything but a regular file: a FIFO
 * under a state file's name would block a plain open for ever (hence O_NONBLOCK, which a
 * regular file ignores), and a directory, device or symbolic link is no journal file.
 * The fd, or -errno (-STATEDIR_ENOTREG: not a regular file; see statedir_strerror).
 */
static int open_regular(int at_fd, const char *name, int flags)
{
	struct stat st;
	int fd = openat(at_fd, name, flags | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP || errno == ENXIO ? -STATEDIR_ENOTREG : -errno;
	int rc = fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -STATEDIR_ENOTREG;

	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

const char *statedir_strerror(int rc)
{
	return rc == -STATEDIR_ENOTREG ? "not a regular file" : strerror(-rc);
}

int statedir_read_snapshot(const struct statedir *dir, uint64_t index, unsigned char **data,
			   size_t *len)
{
	char name[STATEDIR_NAME_MAX];
	struct stat st;
	int fd, rc;

	statedir_snapshot_name(index, name);
	fd = open_regular(dir->fd, name, O_RDONLY);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0)
		rc = -errno;
	else if ((uint64_t)st.st_size > STATEDIR_SNAPSHOT_MAX_BYTES)
		rc = -EFBIG;
	else
		rc = read_whole(fd, (size_t)st.st_size, data);
	if (rc == 0)
		*len = (size_t)st.st_size;
	close(fd);
	return rc;
}

int statedir_new_segment(const struct statedir *dir, uint64_t first_index)
{
	char name[STATEDIR_NAME_MAX];
	struct stat st;
	int fd;

	statedir_segment_name(first_index, name);
	fd = openat(dir->journal_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
		    0600);
	if (fd < 0 && errno == EEXIST) {
		fd = open_regular(dir->journal_fd, name, O_WRONLY | O_APPEND);
		if (fd < 0)
			return fd;
		if (fstat(fd, &st) < 0 || st.st_size != 0) {
			close(fd);
			return -EEXIST;
		}
	}
	return fd < 0 ? -errno : fd;
}

int statedir_create_segment(const struct statedir *dir, uint64_t first_index)
{
	int fd = statedir_new_segment(dir, first_index), rc;

	if (fd < 0)
		return fd;
	if ((rc = sync_directory(dir->journal_fd)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

int statedir_open_segment(const struct statedir *dir, uint64_t first_index, bool write)
{
	char name[STATEDIR_NAME_MAX];
	int flags = write ? O_WRONLY | O_APPEND : O_RDONLY;

	statedir_segment_name(first_index, name);
	return open_regular(dir->journal_fd, name, flags);
}

/* Rename at_fd/name to name.corrupt, or name.corrupt-N when that exists. */
static int quarantine(int at_fd, const char *name)
{
	char target[STATEDIR_NAME_MAX + 32];
	struct stat st;

	for (int attempt = 1; attempt <= STATEDIR_QUARANTINE_TRIES; attempt++) {
		if (attempt == 1)
			snprintf(target, sizeof target, "%s.corrupt", name);
		else
			snprintf(target, sizeof target, "%s.corrupt-%d", name, attempt);
		if (fstatat(at_fd, target, &st, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		if (renameat(at_fd, name, at_fd, target) < 0)
			return -errno;
		return sync_directory(at_fd);
	}
	return -EEXIST;
}

int statedir_quarantine_segment(const struct statedir *dir, uint64_t first_index)
{
	char name[STATEDIR_NAME_MAX];

	statedir_segment_name(first_index, name);
	return quarantine(dir->journal_fd, name);
}

int statedir_quarantine_snapshot(const struct statedir *dir, uint64_t index)
{
	char name[STATEDIR_NAME_MAX];

	statedir_snapshot_name(index, name);
	return quarantine(dir->fd, name);
}

static int remove_file(int at_fd, const char *name)
{
	if (unlinkat(at_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return sync_directory(at_fd);
}

int statedir_remove_segment(const struct statedir *dir, uint64_t first_index)
{
	char name[STATEDIR_NAME_MAX];

	statedir_segment_name(first_index, name);
	return remove_file(dir->journal_fd, name);
}

int statedir_remove_snapshot(const struct statedir *dir, uint64_t index)
{
	char name[STATEDIR_NAME_MAX];

	statedir_snapshot_name(index, name);
	return remove_file(dir->fd, name);
}
