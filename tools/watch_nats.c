/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_nats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nats/nats.h>

#define WATCH_NATS_URL_MAX_BYTES 1024
#define WATCH_NATS_MAX_SERVERS 16

struct watch_nats {
	natsOptions *options;
	natsConnection *connection;
	jsCtx *js;
	natsSubscription *subscription;
	int pipe[2]; /* [0] polled by the console, [1] written by cnats' thread */
};

/* All of len bytes to fd (blocking: a console that does not read holds cnats' delivery). */
static bool write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t written = write(fd, data, len);
		if (written < 0 && errno == EINTR)
			continue;
		if (written <= 0)
			return false; /* the read end closed: the console is stopping */
		data += written;
		len -= (size_t)written;
	}
	return true;
}

static void on_message(natsConnection *connection, natsSubscription *subscription, natsMsg *msg, void *closure)
{
	struct watch_nats *nats = closure;
	int len = natsMsg_GetDataLength(msg);

	(void)connection;
	(void)subscription;
	if (len > 0 && write_all(nats->pipe[1], natsMsg_GetData(msg), (size_t)len))
		write_all(nats->pipe[1], "\n", 1);
	natsMsg_Destroy(msg);
}

static natsStatus subscribe(struct watch_nats *nats, const char *url, const char *subject, double timeout_seconds,
			    jsErrCode *jerr)
{
	jsSubOptions sub_options;
	char list[WATCH_NATS_URL_MAX_BYTES + 1], *servers[WATCH_NATS_MAX_SERVERS], *save = NULL;
	int count = 0;
	natsStatus status = natsOptions_Create(&nats->options);

	snprintf(list, sizeof list, "%s", url); /* comma-separated: several servers */
	for (char *server = strtok_r(list, ",", &save); server && count < WATCH_NATS_MAX_SERVERS;
	     server = strtok_r(NULL, ",", &save))
		servers[count++] = server;
	if (status == NATS_OK)
		status = count > 0 ? natsOptions_SetServers(nats->options, (const char **)servers, count) : NATS_INVALID_ARG;
	if (status == NATS_OK)
		status = natsOptions_SetTimeout(nats->options, (int64_t)(timeout_seconds * 1000));
	if (status == NATS_OK)
		status = natsOptions_SetMaxReconnect(nats->options, -1); /* keep following */
	if (status == NATS_OK)
		status = natsConnection_Connect(&nats->connection, nats->options);
	if (status == NATS_OK)
		status = natsConnection_JetStream(&nats->js, nats->connection, NULL);
	if (status == NATS_OK)
		status = jsSubOptions_Init(&sub_options);
	if (status == NATS_OK) {
		sub_options.Ordered = true;
		status = js_Subscribe(&nats->subscription, nats->js, subject, on_message, nats, NULL, &sub_options,
				      jerr);
	}
	return status;
}

struct watch_nats *watch_nats_open(const char *url, const char *subject, double timeout_seconds, char *why,
				   size_t why_size)
{
	struct watch_nats *nats = calloc(1, sizeof *nats);
	jsErrCode jerr = 0;
	natsStatus status;

	if (!nats || pipe(nats->pipe) != 0) {
		snprintf(why, why_size, "cannot follow %s: %s", url, strerror(errno ? errno : ENOMEM));
		free(nats);
		return NULL;
	}
	fcntl(nats->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(nats->pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(nats->pipe[0], F_SETFL, fcntl(nats->pipe[0], F_GETFL) | O_NONBLOCK);
	if ((status = subscribe(nats, url, subject, timeout_seconds, &jerr)) != NATS_OK) {
		snprintf(why, why_size, "cannot follow %s on %s: %s%s", subject, url, natsStatus_GetText(status),
			 jerr ? " (JetStream error)" : "");
		watch_nats_close(nats);
		return NULL;
	}
	return nats;
}

int watch_nats_fd(const struct watch_nats *nats)
{
	return nats->pipe[0];
}

void watch_nats_close(struct watch_nats *nats)
{
	if (!nats)
		return;
	close(nats->pipe[0]); /* a callback blocked writing returns (EPIPE) */
	nats->pipe[0] = -1;
	if (nats->subscription) {
		natsSubscription_Unsubscribe(nats->subscription);
		natsSubscription_Destroy(nats->subscription);
	}
	jsCtx_Destroy(nats->js);
	natsConnection_Destroy(nats->connection);
	natsOptions_Destroy(nats->options);
	close(nats->pipe[1]);
	free(nats);
}
