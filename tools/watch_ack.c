/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_ack.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "net.h"
#include "watch_board.h"
#include "watch_json.h"
#include "watch_reader.h"

enum ack_answer { ACK_WAITING, ACK_DONE, ACK_REFUSED };

/* What reads the answers: one board for the rows, one tokener, one line buffer. */
struct ack_reading {
	const struct watch_ack_request *request;
	struct watch_board *board;
	json_tokener *tokener;
	struct watch_reader reader;
};

/* object as one line with its newline, malloc'd; object is released. */
static char *line_of(json_object *object)
{
	const char *text =
		object ? json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN) : NULL;
	char *line = NULL;

	if (text && (line = malloc(strlen(text) + 2)))
		sprintf(line, "%s\n", text);
	json_object_put(object);
	return line;
}

char *watch_ack_line(const char *alert_id, const char *by, const char *note)
{
	json_object *ack = json_object_new_object();

	if (!ack)
		return NULL;
	json_object_object_add(ack, "ack", json_object_new_string(alert_id));
	json_object_object_add(ack, "by", json_object_new_string(by));
	json_object_object_add(ack, "note", json_object_new_string(note ? note : ""));
	return line_of(ack);
}

char *watch_token_line(const char *token, long long since)
{
	json_object *line = json_object_new_object();

	if (!line)
		return NULL;
	json_object_object_add(line, "token", json_object_new_string(token));
	if (since >= 0)
		json_object_object_add(line, "since", json_object_new_int64(since));
	return line_of(line);
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* What cadmond answered, from one of its lines. */
static enum ack_answer answer_of(struct ack_reading *reading, json_object *object,
				 const char *address)
{
	struct watch_board_outcome outcome;
	const char *kind = watch_json_string(object, "alert");
	const char *notice = watch_json_string(object, "notice");
	const char *alert_id = watch_json_string(object, "alert_id");
	const char *error = watch_json_string(object, "error");

	if (error) {
		fprintf(stderr, "cadmon-watch: %s: cadmond: %s\n", address, error);
		return ACK_REFUSED;
	}
	if (notice && strncmp(notice, "ack:", 4) == 0) {
		fprintf(stderr, "cadmon-watch: %s: cadmond: %s\n", address, notice);
		return ACK_REFUSED;
	}
	if (!kind || strcmp(kind, "acknowledged") != 0 || !alert_id ||
	    strcmp(alert_id, reading->request->alert_id) != 0)
		return ACK_WAITING;
	watch_board_apply(reading->board, 0, object, &outcome);
	printf("%s\n", outcome.row);
	return ACK_DONE;
}

/* Read lines from fd until cadmond answers, the stream ends or the deadline passes. */
static enum ack_answer await_answer(struct ack_reading *reading, const struct net_stream *stream,
				    const char *address, double deadline)
{
	enum ack_answer answer = ACK_WAITING;
	char *text;
	size_t len;

	watch_reader_reset(&reading->reader);
	while (answer == ACK_WAITING) {
		struct pollfd pfd = { .fd = stream->fd, .events = POLLIN };
		double left = deadline - monotonic_seconds();
		bool pending = stream->tls && net_tls_pending(stream->tls);
		if (!pending && (left <= 0 || poll(&pfd, 1, (int)ceil(left * 1000)) == 0)) {
			fprintf(stderr, "cadmon-watch: %s: no answer to the ack within %g s\n",
				address, reading->request->timeout_seconds);
			break;
		}
		enum watch_reader_fill fill = watch_reader_fill(&reading->reader, stream);
		if (fill == WATCH_READER_EOF || fill == WATCH_READER_ERROR) {
			fprintf(stderr,
				"cadmon-watch: %s: the stream ended before an answer to the ack\n",
				address);
			break;
		}
		while (answer == ACK_WAITING &&
		       (text = watch_reader_next_line(&reading->reader, &len))) {
			const char *why;
			json_object *object =
				watch_json_parse_line(reading->tokener, text, len, &why);
			if (object)
				answer = answer_of(reading, object, address);
			json_object_put(object);
		}
	}
	return answer;
}

/* The token line (when there is a token), then line: 0 or -1. */
static int send_lines(struct net_stream *stream, const char *token, const char *line)
{
	char *token_line = token ? watch_token_line(token, -1) : NULL;
	int rc = (token && !token_line) || (token_line && net_stream_write(stream, token_line,
									   strlen(token_line)) != 0)
			 ? -1
			 : net_stream_write(stream, line, strlen(line));

	free(token_line);
	return rc;
}

/* Send the ack to one address and wait for its answer; 0 when acknowledged. */
static int ack_one(struct ack_reading *reading, const char *address)
{
	const struct watch_ack_request *request = reading->request;
	double deadline = monotonic_seconds() + request->timeout_seconds;
	char why[NET_WHY_MAX];
	struct net_stream stream = { .fd = net_connect_retry(address, request->timeout_seconds, why,
							     sizeof(why)) };
	char *line = watch_ack_line(request->alert_id, request->by, request->note);
	enum ack_answer answer = ACK_WAITING;
	bool secured = stream.fd >= 0 &&
		       net_stream_start_tls(&stream, request->tls, address,
					    request->timeout_seconds, why, sizeof(why)) == 0;

	if (!secured || !line || send_lines(&stream, request->token, line) != 0)
		fprintf(stderr, "cadmon-watch: %s\n",
			!secured ? why
			: !line	 ? "out of memory"
				 : strerror(errno));
	else
		answer = await_answer(reading, &stream, address, deadline);
	free(line);
	net_stream_close(&stream);
	return answer == ACK_DONE ? 0 : -1;
}

int watch_ack_run(const struct watch_ack_request *request)
{
	struct ack_reading reading = {
		.request = request,
		.board = watch_board_new(request->utc),
		.tokener = json_tokener_new(),
	};
	size_t acknowledged = 0;

	if (watch_reader_init(&reading.reader) != 0 || !reading.board || !reading.tokener) {
		fprintf(stderr, "cadmon-watch: out of memory\n");
	} else {
		for (size_t i = 0; i < request->address_count; i++)
			acknowledged += ack_one(&reading, request->addresses[i]) == 0;
	}
	fflush(stdout);
	watch_reader_free(&reading.reader);
	watch_board_free(reading.board);
	if (reading.tokener)
		json_tokener_free(reading.tokener);
	return acknowledged > 0 ? 0 : 1;
}
