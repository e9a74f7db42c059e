/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMOND_ACTIVATION_H
#define CADMOND_ACTIVATION_H

#include <stddef.h>

#include "config.h"

/*
 * Socket activation: the listening sockets systemd passes (LISTEN_PID, LISTEN_FDS,
 * LISTEN_FDNAMES; see sd_listen_fds(3)), sorted by their FileDescriptorName=. Sockets named
 * "feed" are used instead of binding feed.listen, sockets named "alerts" instead of
 * alerts.listen; a socket with any other name is logged and closed. Each must be a listening
 * TCP socket (IPv4 or IPv6).
 */

#define ACTIVATION_FEED_NAME "feed"
#define ACTIVATION_ALERTS_NAME "alerts"

/* The sockets passed, by role; CONFIG_MAX_LISTEN of each at most. */
struct activation {
	int feed_fds[CONFIG_MAX_LISTEN];
	size_t feed_count;
	int alert_fds[CONFIG_MAX_LISTEN];
	size_t alert_count;
};

/**
 * Take the sockets systemd passed to this process (none when it was not socket-activated)
 * and remove LISTEN_* from the environment. 0, or a negative errno with the reason in why
 * (e.g. "socket \"feed\" from systemd (fd 3) is not a listening TCP socket"); every socket
 * passed is closed then.
 */
int activation_take(struct activation *activation, char *why, size_t why_size);

/** Close the sockets still held (a role's count is set to 0 once a listener owns them). */
void activation_close(struct activation *activation);

#endif
