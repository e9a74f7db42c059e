/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * LD_PRELOADed into cadmond by test_durability to stand for a power loss: before each
 * fsync/fdatasync of a journal segment (a "*.seg" file) its size is taken, and once the call
 * has succeeded "NAME SIZE\n" is appended to $CADMON_SYNC_LOG. The last size logged for a
 * segment is what a power loss would keep of it: what was written before a successful sync.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fsync(int fd);
int fdatasync(int fd);

/* The size of fd if it is a journal segment, else -1; its file name in name. */
static off_t segment_size(int fd, char *name, size_t size)
{
	char link[64], path[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t len;

	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	len = readlink(link, path, sizeof path - 1);
	if (len < 5 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -1;
	path[len] = '\0';
	if (strcmp(path + len - 4, ".seg") != 0)
		return -1;
	base = strrchr(path, '/');
	snprintf(name, size, "%s", base ? base + 1 : path);
	return st.st_size;
}

static void log_synced(const char *name, off_t size)
{
	const char *log_path = getenv("CADMON_SYNC_LOG");
	char line[PATH_MAX + 32];
	int fd, len;

	if (!log_path)
		return;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	len = snprintf(line, sizeof line, "%s %lld\n", name, (long long)size);
	if (write(fd, line, (size_t)len) != len)
		abort(); /* the test would read a wrong size */
	close(fd);
}

/* The real call, its size logged when it is a segment's and succeeded. */
static int sync_and_log(int (*real)(int), int fd)
{
	char name[PATH_MAX];
	off_t size = segment_size(fd, name, sizeof name);
	int rc = real(fd);

	if (rc == 0 && size >= 0)
		log_synced(name, size);
	return rc;
}

int fsync(int fd)
{
	static int (*real)(int);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fsync");
	return sync_and_log(real, fd);
}

int fdatasync(int fd)
{
	static int (*real)(int);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "fdatasync");
	return sync_and_log(real, fd);
}
