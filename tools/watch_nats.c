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

/* TLS and credentials, as cadmond's nats: section sets them. */
static natsStatus set_security(natsOptions *options, const struct watch_nats_settings *settings)
{
	natsStatus status = NATS_OK;

	if (settings->credentials)
		status = natsOptions_SetUserCredentialsFromFiles(options, settings->credentials, NULL);
	if (status == NATS_OK && settings->token)
		status = natsOptions_SetToken(options, settings->token);
	if (status == NATS_OK && settings->user)
		status = natsOptions_SetUserInfo(options, settings->user, settings->password);
	if (status == NATS_OK && settings->ca)
		status = natsOptions_LoadCATrustedCertificates(options, settings->ca);
	if (status == NATS_OK && settings->certificate)
		status = natsOptions_LoadCertificatesChain(options, settings->certificate, settings->key);
	if (status == NATS_OK && (settings->ca || settings->certificate))
		status = natsOptions_SetSecure(options, true);
	return status;
}

static natsStatus subscribe(struct watch_nats *nats, const struct watch_nats_settings *settings, jsErrCode *jerr)
{
	jsSubOptions sub_options;
	char list[WATCH_NATS_URL_MAX_BYTES + 1], *servers[WATCH_NATS_MAX_SERVERS], *save = NULL;
	int count = 0;
	natsStatus status = natsOptions_Create(&nats->options);

	snprintf(list, sizeof list, "%s", settings->url); /* comma-separated: several servers */
	for (char *server = strtok_r(list, ",", &save); server && count < WATCH_NATS_MAX_SERVERS;
	     server = strtok_r(NULL, ",", &save))
		servers[count++] = server;
	if (status == NATS_OK)
		status = count > 0 ? natsOptions_SetServers(nats->options, (const char **)servers, count) : NATS_INVALID_ARG;
	if (status == NATS_OK)
		status = natsOptions_SetTimeout(nats->options, (int64_t)(settings->timeout_seconds * 1000));
	if (status == NATS_OK)
		status = natsOptions_SetMaxReconnect(nats->options, -1); /* keep following */
	if (status == NATS_OK)
		status = set_security(nats->options, settings);
	if (status == NATS_OK)
		status = natsConnection_Connect(&nats->connection, nats->options);
	if (status == NATS_OK)
		status = natsConnection_JetStream(&nats->js, nats->connection, NULL);
	if (status == NATS_OK)
		status = jsSubOptions_Init(&sub_options);
	if (status == NATS_OK) {
		sub_options.Ordered = true;
		if (settings->start_sequence > 0) {
			sub_options.Config.DeliverPolicy = js_DeliverByStartSequence;
			sub_options.Config.OptStartSeq = settings->start_sequence;
		}
		status = js_Subscribe(&nats->subscription, nats->js, settings->subject, on_message, nats, NULL,
				      &sub_options, jerr);
	}
	return status;
}

struct watch_nats *watch_nats_open(const struct watch_nats_settings *settings, char *why, size_t why_size)
{
	const char *url = settings->url;
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
	if ((status = subscribe(nats, settings, &jerr)) != NATS_OK) {
		const char *detail = nats_GetLastError(NULL);
		snprintf(why, why_size, "cannot follow %s on %s: %s%s%s%s", settings->subject, url,
			 natsStatus_GetText(status), detail && detail[0] ? " (" : "", detail && detail[0] ? detail : "",
			 detail && detail[0] ? ")" : "");
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
