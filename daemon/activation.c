/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "activation.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "log.h"

/* Close fds first .. first + count - 1. */
static void close_range_of(int first, int count)
{
	for (int fd = first; fd < first + count; fd++)
		close(fd);
}

/* Free the names sd_listen_fds_with_names() returned. */
static void free_names(char **names, int count)
{
	for (int i = 0; names && i < count; i++)
		free(names[i]);
	free(names);
}

/* File one passed socket under its role. 0, or -errno with the reason in why. */
static int activation_sort(struct activation *activation, int fd, const char *name, char *why,
			   size_t why_size)
{
	int *fds = NULL;
	size_t *count = NULL;

	if (strcmp(name, ACTIVATION_FEED_NAME) == 0) {
		fds = activation->feed_fds;
		count = &activation->feed_count;
	} else if (strcmp(name, ACTIVATION_ALERTS_NAME) == 0) {
		fds = activation->alert_fds;
		count = &activation->alert_count;
	} else {
		log_msg(LOG_WARNING,
			"socket \"%s\" from systemd (fd %d) closed: only \"" ACTIVATION_FEED_NAME
			"\" and \"" ACTIVATION_ALERTS_NAME "\" are used (FileDescriptorName=)",
			name, fd);
		close(fd);
		return 0;
	}
	if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0) {
		snprintf(why, why_size,
			 "socket \"%s\" from systemd (fd %d) is not a listening TCP socket", name,
			 fd);
		return -ENOTSOCK;
	}
	if (*count >= CONFIG_MAX_LISTEN) {
		snprintf(why, why_size, "more than %d sockets \"%s\" from systemd",
			 CONFIG_MAX_LISTEN, name);
		return -E2BIG;
	}
	fds[(*count)++] = fd;
	return 0;
}

int activation_take(struct activation *activation, char *why, size_t why_size)
{
	char **names = NULL;
	int count = sd_listen_fds_with_names(1, &names);
	int rc = 0, i;

	memset(activation, 0, sizeof *activation);
	if (count < 0) {
		snprintf(why, why_size, "cannot take the sockets from systemd: %s",
			 strerror(-count));
		return count;
	}
	for (i = 0; i < count && rc == 0; i++)
		rc = activation_sort(activation, SD_LISTEN_FDS_START + i,
				     names && names[i] ? names[i] : "unknown", why, why_size);
	if (rc < 0) {
		activation_close(activation);
		close_range_of(SD_LISTEN_FDS_START + i - 1, count - i + 1);
	}
	free_names(names, count);
	return rc;
}

void activation_close(struct activation *activation)
{
	for (size_t i = 0; i < activation->feed_count; i++)
		close(activation->feed_fds[i]);
	for (size_t i = 0; i < activation->alert_count; i++)
		close(activation->alert_fds[i]);
	activation->feed_count = activation->alert_count = 0;
}
