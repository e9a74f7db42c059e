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

#include <pthread.h>

#include <nats/nats.h>

#include "fdio.h"

#define WATCH_NATS_URL_MAX_BYTES 1024
#define WATCH_NATS_MAX_SERVERS 16
#define WATCH_NATS_SEQUENCES 65536 /* lines in the pipe whose sequence is kept; more wait */

struct watch_nats {
	natsOptions *options;
	natsConnection *connection;
	jsCtx *js;
	natsSubscription *subscription;
	int pipe[2]; /* [0] polled by the console, [1] written by cnats' thread */
	pthread_mutex_t lock;   /* guards what follows */
	pthread_cond_t room;
	uint64_t *sequences;    /* of the lines in the pipe, oldest first (a ring) */
	size_t head, count;
	uint64_t last_taken;
	bool closing;
};

/* All of len bytes to fd (blocking: a console that does not read holds cnats' delivery). */
static bool write_all(int fd, const char *data, size_t len)
{
	return fdio_write_all(fd, data, len) == 0; /* else the read end closed: it is stopping */
}

/* The stream sequence of the line about to be written, kept until the console takes it;
 * false when closing. */
static bool keep_sequence(struct watch_nats *nats, natsMsg *msg)
{
	jsMsgMetaData *meta = NULL;
	uint64_t sequence = 0;
	bool going_on;

	if (natsMsg_GetMetaData(&meta, msg) == NATS_OK && meta) {
		sequence = meta->Sequence.Stream;
		jsMsgMetaData_Destroy(meta);
	}
	pthread_mutex_lock(&nats->lock);
	while (!nats->closing && nats->count == WATCH_NATS_SEQUENCES)
		pthread_cond_wait(&nats->room, &nats->lock);
	going_on = !nats->closing;
	if (going_on)
		nats->sequences[(nats->head + nats->count++) % WATCH_NATS_SEQUENCES] = sequence;
	pthread_mutex_unlock(&nats->lock);
	return going_on;
}

static void on_message(natsConnection *connection, natsSubscription *subscription, natsMsg *msg,
		       void *closure)
{
	struct watch_nats *nats = closure;
	int len = natsMsg_GetDataLength(msg);

	(void)connection;
	(void)subscription;
	if (len > 0 && keep_sequence(nats, msg) &&
	    write_all(nats->pipe[1], natsMsg_GetData(msg), (size_t)len))
		write_all(nats->pipe[1], "\n", 1);
	natsMsg_Destroy(msg);
}

void watch_nats_line_taken(struct watch_nats *nats)
{
	pthread_mutex_lock(&nats->lock);
	if (nats->count > 0) {
		nats->last_taken = nats->sequences[nats->head];
		nats->head = (nats->head + 1) % WATCH_NATS_SEQUENCES;
		nats->count--;
		pthread_cond_signal(&nats->room);
	}
	pthread_mutex_unlock(&nats->lock);
}

uint64_t watch_nats_last_taken(struct watch_nats *nats)
{
	pthread_mutex_lock(&nats->lock);
	uint64_t last = nats->last_taken;
	pthread_mutex_unlock(&nats->lock);
	return last;
}

/* TLS and credentials, as cadmond's nats: section sets them. */
static natsStatus set_security(natsOptions *options, const struct watch_nats_settings *settings)
{
	natsStatus status = NATS_OK;

	if (settings->credentials)
		status = natsOptions_SetUserCredentialsFromFiles(options, settings->credentials,
								 NULL);
	if (status == NATS_OK && settings->token)
		status = natsOptions_SetToken(options, settings->token);
	if (status == NATS_OK && settings->user)
		status = natsOptions_SetUserInfo(options, settings->user, settings->password);
	if (status == NATS_OK && settings->ca)
		status = natsOptions_LoadCATrustedCertificates(options, settings->ca);
	if (status == NATS_OK && settings->certificate)
		status = natsOptions_LoadCertificatesChain(options, settings->certificate,
							   settings->key);
	if (status == NATS_OK && (settings->ca || settings->certificate))
		status = natsOptions_SetSecure(options, true);
	return status;
}

static natsStatus subscribe(struct watch_nats *nats, const struct watch_nats_settings *settings,
			    jsErrCode *jerr)
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
		status = count > 0 ? natsOptions_SetServers(nats->options, (const char **)servers,
							    count)
				   : NATS_INVALID_ARG;
	if (status == NATS_OK)
		status = natsOptions_SetTimeout(nats->options,
						(int64_t)(settings->timeout_seconds * 1000));
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
		status = js_Subscribe(&nats->subscription, nats->js, settings->subject, on_message,
				      nats, NULL, &sub_options, jerr);
	}
	return status;
}

struct watch_nats *watch_nats_open(const struct watch_nats_settings *settings, char *why,
				   size_t why_size)
{
	const char *url = settings->url;
	struct watch_nats *nats = calloc(1, sizeof *nats);
	jsErrCode jerr = 0;
	natsStatus status;

	if (!nats || !(nats->sequences = calloc(WATCH_NATS_SEQUENCES, sizeof *nats->sequences)) ||
	    pipe(nats->pipe) != 0) {
		snprintf(why, why_size, "cannot follow %s: %s", url,
			 strerror(errno ? errno : ENOMEM));
		if (nats)
			free(nats->sequences);
		free(nats);
		return NULL;
	}
	pthread_mutex_init(&nats->lock, NULL);
	pthread_cond_init(&nats->room, NULL);
	fcntl(nats->pipe[0], F_SETFD, FD_CLOEXEC);
	fcntl(nats->pipe[1], F_SETFD, FD_CLOEXEC);
	fcntl(nats->pipe[0], F_SETFL, fcntl(nats->pipe[0], F_GETFL) | O_NONBLOCK);
	if ((status = subscribe(nats, settings, &jerr)) != NATS_OK) {
		const char *detail = nats_GetLastError(NULL);
		snprintf(why, why_size, "cannot follow %s on %s: %s%s%s%s", settings->subject, url,
			 natsStatus_GetText(status), detail && detail[0] ? " (" : "",
			 detail && detail[0] ? detail : "", detail && detail[0] ? ")" : "");
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
	pthread_mutex_lock(&nats->lock);
	nats->closing = true; /* a callback waiting for room returns */
	pthread_cond_broadcast(&nats->room);
	pthread_mutex_unlock(&nats->lock);
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
	pthread_cond_destroy(&nats->room);
	pthread_mutex_destroy(&nats->lock);
	free(nats->sequences);
	free(nats);
}
