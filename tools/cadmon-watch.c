/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch: the supervisor's console. Connects to one or more cadmond alert ports (an
 * active/active pair), keeps the open-alert board (watch_board.c) and shows it: on a
 * terminal as a screen with the open alerts pinned at the top and the newest notices below
 * (watch_screen.c), acknowledging from the keyboard (watch_prompt.c); otherwise one line per
 * notice. It keeps trying while cadmond is down and resumes with {"since":N} per instance.
 * `--nats URL` follows the alerts stream of a NATS JetStream cluster instead (watch_nats.c).
 * `--ack ID --by NAME` acknowledges one alert and exits.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "net.h"
#include "watch_ack.h"
#include "watch_board.h"
#include "watch_json.h"
#include "watch_nats.h"
#include "watch_prompt.h"
#include "watch_reader.h"
#include "watch_screen.h"
#include "watch_text.h"

#define WATCH_DEFAULT_ADDRESS "127.0.0.1:7401"
#define WATCH_DEFAULT_CONNECT_SECONDS 5.0
#define WATCH_RETRY_SECONDS 0.1         /* between connection attempts while cadmond is down */
#define WATCH_REFUSED_RETRY_SECONDS 1.0 /* after a connection closed before cadmond's hello */
#define WATCH_POLL_MAX_MS 1000
#define WATCH_ID_HEX_DIGITS 16
#define WATCH_BY_MAX_BYTES 64
#define WATCH_NOTE_MAX_BYTES 256
#define WATCH_ALL_ROWS 100000 /* line mode prints the whole board */
#define WATCH_EXIT_USAGE 2
#define WATCH_TOKEN_MAX_BYTES 512 /* the first line of --token-file */
#define WATCH_NATS_DEFAULT_SUBJECT "cadmon.alerts.>"

struct watch_options {
	const char *addresses[WATCH_BOARD_MAX_INSTANCES];
	size_t address_count;
	bool raw;
	bool line_mode;                /* one line per notice even on a terminal */
	long count;                    /* exit after this many notices; 0: never */
	double idle_exit_seconds;      /* exit after this long without a line; 0: never */
	double connect_timeout_seconds;
	long long since;               /* first connection: ask for alerts after this seq; -1: no */
	bool reconnect;                /* keep trying and resume (always on a terminal) */
	bool utc;
	bool bell;
	const char *ack_id;            /* --ack: acknowledge this alert and exit */
	const char *ack_by;
	const char *ack_note;
	struct net_tls_options tls;    /* --ca, --cert, --key */
	char token[WATCH_TOKEN_MAX_BYTES + 1]; /* --token-file's first line; "": none */
	const char *nats_url;          /* --nats: the alerts stream instead of alert ports */
	const char *nats_subject;      /* --nats-subject */
	const char *nats_credentials;  /* --nats-creds */
	const char *nats_user;         /* --nats-user, with --nats-password-file */
	char nats_password[WATCH_TOKEN_MAX_BYTES + 1]; /* its first line; "": none */
	unsigned long long nats_start; /* --nats-start: the first stream sequence; 0: the first */
};

/* ---- small helpers ----------------------------------------------------------------------- */

__attribute__((format(printf, 1, 2)))
static void warn(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("cadmon-watch: warning: ", stderr);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
	va_end(args);
}

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

/* ---- one cadmond instance ---------------------------------------------------------------- */

enum watch_link {
	WATCH_LINK_DOWN,       /* retry at retry_at */
	WATCH_LINK_CONNECTING, /* waiting for POLLOUT */
	WATCH_LINK_UP,
	WATCH_LINK_FINISHED,   /* the stream ended and it is not resumed */
};

struct watch_instance {
	const char *address;
	int fd;
	struct net_tls_link *tls; /* over fd, with --ca */
	enum watch_link link;
	double retry_at;
	struct watch_reader reader;
	struct watch_nats *nats; /* --nats: fd is its pipe; nothing is written to it */
	uint64_t nats_last;      /* --nats: the stream sequence of the last line taken */
	int64_t last_seq;     /* highest notice or board seq seen; 0 before the first */
	bool failed;          /* finished because of an error */
	bool outage_reported; /* the status line of this outage was shown */
	bool greeted;         /* this connection's hello came */
	char refusal[NET_WHY_MAX]; /* this connection's {"error":...} (cadmond closes it next) */
	bool refused_last;    /* the last connection was refused: its next hello is not news */
	unsigned attempts;    /* failed attempts in this outage */
	char why[NET_WHY_MAX];
};

/* The whole console. */
struct watch_session {
	const struct watch_options *options;
	struct net_tls *tls; /* --ca: every connection is TLS; NULL: plain TCP */
	json_tokener *tokener;
	struct watch_board *board;
	struct watch_instance instances[WATCH_BOARD_MAX_INSTANCES];
	size_t instance_count;
	bool screen_mode;
	bool keep_trying; /* reconnect forever: --reconnect, or on a terminal */
	bool stderr_tty;  /* line mode: the status line is rewritten in place */
	bool status_line_open; /* that line is on stderr without its newline yet */
	struct watch_screen screen;
	struct watch_prompt prompt;
	bool dirty;
	long notices;
	double started_at;
	double last_line_at;
	bool done;
};

static volatile sig_atomic_t quit_requested;
static volatile sig_atomic_t resize_requested;

static void on_quit_signal(int signal_number)
{
	(void)signal_number;
	quit_requested = 1;
}

static void on_resize_signal(int signal_number)
{
	(void)signal_number;
	resize_requested = 1;
}

/* A message of the console's own: on the screen among the notices, else on stderr. */
__attribute__((format(printf, 2, 3)))
static void status(struct watch_session *session, const char *format, ...)
{
	char text[WATCH_ROW_BYTES];
	va_list args;

	va_start(args, format);
	vsnprintf(text, sizeof(text), format, args);
	va_end(args);
	if (session->screen_mode) {
		watch_board_note(session->board, text);
		session->dirty = true;
		return;
	}
	if (session->status_line_open)
		fputc('\n', stderr);
	session->status_line_open = false;
	fprintf(stderr, "cadmon-watch: %s\n", text);
}

/* Line mode on a terminal: the one status line of an outage, rewritten at each attempt. */
static void rewrite_status_line(struct watch_session *session,
				const struct watch_instance *instance)
{
	fprintf(stderr, "\rcadmon-watch: %s; trying again every %g s (attempt %u)\033[K",
		instance->why, WATCH_RETRY_SECONDS, instance->attempts);
	session->status_line_open = true;
}

static void bell(struct watch_session *session)
{
	if (!session->options->bell)
		return;
	if (session->screen_mode)
		watch_screen_bell(&session->screen);
	else if (isatty(STDERR_FILENO))
		fputc('\a', stderr);
}

/* ---- handling lines ---------------------------------------------------------------------- */

/* The daemon's greeting: {"hello":"cadmond","version":"0.2.0","protocol":2}. */
static void handle_hello(struct watch_session *session, struct watch_instance *instance,
			 json_object *object)
{
	const char *version = watch_json_string(object, "version");
	int64_t protocol = 0;

	instance->greeted = true;
	/* A refusal's status line is shown once an outage; while cadmond refuses this console
	 * after each hello, the hellos are not told either (the stream's first line ends that). */
	if (!instance->refused_last) {
		instance->outage_reported = false;
		status(session, "connected to %s %s at %s", watch_json_string(object, "hello"),
		       version ? version : "(unknown version)", instance->address);
	}
	if (watch_json_integer(object, "protocol", &protocol) && protocol != 1 && protocol != 2)
		status(session,
		       "warning: %s speaks alert protocol %" PRId64
		       ", this console knows 1 and 2; reading on",
		       instance->address, protocol);
}

static void print_raw_with_warning(const char *line, const char *why)
{
	warn("line not understood (%s), shown as received:", why);
	printf("%s\n", line);
}

static void print_row(void *context, const char *row)
{
	(void)context;
	printf("%s\n", row);
}

/* Line mode: a notice as its row, then its callbacks. */
static void print_notice(struct watch_session *session, json_object *object, const char *row)
{
	json_object *callbacks = watch_json_array(object, "callbacks");
	char callback_row[WATCH_ROW_BYTES];

	printf("%s\n", row);
	for (size_t i = 0; callbacks && i < json_object_array_length(callbacks); i++) {
		watch_board_callback_row(session->board, json_object_array_get_idx(callbacks, i),
					 callback_row);
		printf("%s\n", callback_row);
	}
}

/* Line mode: the whole board, after each {"board":"end"}. */
static void print_board(struct watch_session *session, const struct watch_instance *instance,
			int64_t seq)
{
	printf("open alerts from %s as of #%" PRId64 ": %zu\n", instance->address, seq,
	       watch_board_open_count(session->board));
	watch_board_render(session->board, WATCH_ALL_ROWS, print_row, NULL);
}

/* What the board made of a line, shown in line mode (the screen shows the board). */
static void show_outcome(struct watch_session *session, const struct watch_instance *instance,
			 json_object *object, const char *line,
			 const struct watch_board_outcome *outcome)
{
	if (session->screen_mode && outcome->event == WATCH_BOARD_INVALID)
		status(session, "a line from %s not understood (%s)", instance->address,
		       outcome->row);
	if (session->options->raw || session->screen_mode)
		return;
	switch (outcome->event) {
	case WATCH_BOARD_NOTICE:
		print_notice(session, object, outcome->row);
		break;
	case WATCH_BOARD_MESSAGE:
		printf("%s\n", outcome->row);
		break;
	case WATCH_BOARD_SNAPSHOT:
		if (outcome->board_complete)
			print_board(session, instance, outcome->seq);
		break;
	case WATCH_BOARD_INVALID:
		print_raw_with_warning(line, outcome->row);
		break;
	case WATCH_BOARD_IGNORED:
	case WATCH_BOARD_DUPLICATE:
		break;
	}
}

/* One line from an instance. */
static void handle_line(struct watch_session *session, struct watch_instance *instance,
			const char *line, size_t len)
{
	struct watch_board_outcome outcome;
	const char *why = NULL;
	json_object *object = watch_json_parse_line(session->tokener, line, len, &why);
	const char *first = object ? watch_json_first_key(object) : NULL;

	session->dirty = true;
	if (session->options->raw)
		printf("%s\n", line);
	if (!object || !first) {
		char reason[160];
		snprintf(reason, sizeof(reason), object ? "not a JSON object" : "invalid JSON: %s",
			 why);
		if (session->screen_mode)
			status(session, "a line from %s not understood (%s)", instance->address,
			       reason);
		else if (!session->options->raw)
			print_raw_with_warning(line, reason);
		json_object_put(object);
		return;
	}
	if (strcmp(first, "error") != 0 && strcmp(first, "hello") != 0)
		instance->refused_last = false; /* served */
	if (strcmp(first, "hello") == 0)
		handle_hello(session, instance, object);
	else if (strcmp(first, "authenticated") == 0)
		status(session, "authenticated at %s as %s (%s)", instance->address,
		       watch_json_string(object, "name") ? watch_json_string(object, "name") : "?",
		       watch_json_string(object, "authenticated"));
	else if (strcmp(first, "error") == 0 && watch_json_string(object, "error"))
		snprintf(instance->refusal, sizeof(instance->refusal), "%s: cadmond: %s",
			 instance->address, watch_json_string(object, "error"));
	watch_board_apply(session->board, (unsigned)(instance - session->instances), object,
			  &outcome);
	if (outcome.has_seq && outcome.seq > instance->last_seq)
		instance->last_seq = outcome.seq;
	show_outcome(session, instance, object, line, &outcome);
	if (outcome.event == WATCH_BOARD_NOTICE) {
		session->notices++;
		if (outcome.bell)
			bell(session);
	}
	fflush(stdout);
	json_object_put(object);
	if (session->options->count > 0 && session->notices >= session->options->count)
		session->done = true;
}

/* ---- connections ------------------------------------------------------------------------- */

static struct net_stream stream_of(const struct watch_instance *instance)
{
	return (struct net_stream){ .fd = instance->fd, .tls = instance->tls };
}

/* Ask for the notices after seq: the first line a subscriber sends (docs/protocol.md). */
static bool send_since(const struct watch_instance *instance, long long seq)
{
	struct net_stream stream = stream_of(instance);
	char line[64];
	int len = snprintf(line, sizeof(line), "{\"since\":%lld}\n", seq);

	return net_stream_write(&stream, line, (size_t)len) == 0;
}

/* With --token-file, the first line is the token line, with since when it asks (< 0: not). */
static bool send_first_line(const struct watch_session *session,
			    const struct watch_instance *instance, long long since)
{
	struct net_stream stream = stream_of(instance);
	char *line;
	bool sent;

	if (!session->options->token[0])
		return since < 0 || send_since(instance, since);
	line = watch_token_line(session->options->token, since);
	sent = line && net_stream_write(&stream, line, strlen(line)) == 0;
	free(line);
	return sent;
}

static void close_link(struct watch_instance *instance)
{
	struct net_stream stream = stream_of(instance);

	if (instance->nats) {
		instance->nats_last = watch_nats_last_taken(instance->nats);
		watch_nats_close(instance->nats);
		instance->nats = NULL;
		instance->fd = -1;
		return;
	}
	net_stream_close(&stream);
	instance->tls = NULL;
	instance->fd = -1;
}

/* "Connection refused" of "cannot connect to 127.0.0.1:7401: Connection refused". */
static const char *reason_of(const char *why)
{
	const char *colon = strrchr(why, ':');

	return colon && colon[1] == ' ' ? colon + 2 : why;
}

/* Connecting failed: try again soon, or (line mode, no --reconnect) give up after --timeout. */
static void connect_failed(struct watch_session *session, struct watch_instance *instance)
{
	double now = monotonic_seconds();

	close_link(instance);
	instance->link = WATCH_LINK_DOWN;
	instance->retry_at = now + WATCH_RETRY_SECONDS;
	instance->attempts++;
	if (!session->keep_trying &&
	    now - session->started_at >= session->options->connect_timeout_seconds) {
		fprintf(stderr, "cadmon-watch: cannot connect to %s for %g s: %s\n",
			instance->address, session->options->connect_timeout_seconds,
			reason_of(instance->why));
		instance->link = WATCH_LINK_FINISHED;
		instance->failed = true;
		return;
	}
	if (session->keep_trying && !session->screen_mode && session->stderr_tty)
		rewrite_status_line(session, instance);
	else if (session->keep_trying && !instance->outage_reported)
		status(session, "%s; trying again every %g s", instance->why, WATCH_RETRY_SECONDS);
	instance->outage_reported = session->keep_trying;
	session->dirty = true;
}

static void start_connect(struct watch_session *session, struct watch_instance *instance)
{
	instance->fd = net_connect_start(instance->address, instance->why, sizeof(instance->why));
	if (instance->fd < 0)
		return connect_failed(session, instance);
	instance->link = WATCH_LINK_CONNECTING;
}

/* The connection is up: ask to resume where the last one stopped (or at --since). */
static void connected(struct watch_session *session, struct watch_instance *instance)
{
	long long since = instance->last_seq > 0 ? instance->last_seq : session->options->since;

	struct net_stream stream = { .fd = instance->fd };

	if (net_connect_finish(instance->fd, instance->address, instance->why,
			       sizeof(instance->why)) != 0 ||
	    net_stream_start_tls(&stream, session->tls, instance->address,
				 session->options->connect_timeout_seconds, instance->why,
				 sizeof(instance->why)) != 0)
		return connect_failed(session, instance);
	instance->tls = stream.tls;
	if (!send_first_line(session, instance, since)) {
		snprintf(instance->why, sizeof(instance->why), "write to %s: %s", instance->address,
			 strerror(errno));
		return connect_failed(session, instance);
	}
	instance->link = WATCH_LINK_UP;
	instance->greeted = false;
	instance->refusal[0] = '\0';
	instance->attempts = 0;
	watch_reader_reset(&instance->reader);
	session->dirty = true;
}

/* The stream ended (eof) or broke: resume it, or this instance is finished. Closed before
 * cadmond's hello, the connection was refused (a slot limit); after an {"error":...} line, the
 * console was (a slot limit when it would be taken, its token, a deadline): an error, tried
 * again only after a pause (at once, a refused console would reconnect thousands of times a
 * second). */
static void stream_ended(struct watch_session *session, struct watch_instance *instance, bool eof)
{
	bool refused = eof && (!instance->greeted || instance->refusal[0]);

	if (refused && instance->refusal[0])
		snprintf(instance->why, sizeof(instance->why), "%s", instance->refusal);
	else if (refused)
		snprintf(instance->why, sizeof(instance->why),
			 "%s closed the connection before its hello: refused (a connection limit, "
			 "e.g. alerts.max_subscribers)",
			 instance->address);
	else if (!eof)
		snprintf(instance->why, sizeof(instance->why), "read from %s: %s",
			 instance->address,
			 errno == EPROTO && instance->tls ? net_tls_error(instance->tls)
							  : strerror(errno));
	else
		snprintf(instance->why, sizeof(instance->why), "%s closed the stream",
			 instance->address);
	close_link(instance);
	instance->refused_last = refused;
	if (!session->keep_trying) {
		if (!eof || refused)
			fprintf(stderr, "cadmon-watch: %s\n", instance->why);
		instance->link = WATCH_LINK_FINISHED;
		instance->failed = !eof || refused;
		return;
	}
	instance->link = WATCH_LINK_DOWN;
	if (refused) {
		if (!instance->outage_reported)
			status(session, "%s; trying again every %g s", instance->why,
			       WATCH_REFUSED_RETRY_SECONDS);
		instance->retry_at = monotonic_seconds() + WATCH_REFUSED_RETRY_SECONDS;
	} else {
		status(session, "stream ended; reconnecting to resume after alert %" PRId64,
		       instance->last_seq);
		instance->retry_at = monotonic_seconds();
	}
	instance->outage_reported = true;
	session->dirty = true;
}

/* Read and handle what an instance sent. */
static void read_instance(struct watch_session *session, struct watch_instance *instance)
{
	struct watch_reader *reader = &instance->reader;
	unsigned long long_lines = reader->long_lines;
	struct net_stream stream = stream_of(instance);
	enum watch_reader_fill fill = watch_reader_fill(reader, &stream);
	char *line;
	size_t len;

	if (reader->long_lines != long_lines)
		status(session, "warning: a line from %s longer than %d bytes skipped",
		       instance->address, WATCH_READER_LINE_MAX_BYTES);
	if (fill == WATCH_READER_AGAIN)
		return;
	if (fill == WATCH_READER_READ)
		while (!session->done && (line = watch_reader_next_line(reader, &len))) {
			if (instance->nats)
				watch_nats_line_taken(instance->nats);
			handle_line(session, instance, line, len);
			session->last_line_at = monotonic_seconds();
		}
	if (fill == WATCH_READER_READ || session->done)
		return;
	if (fill == WATCH_READER_EOF && (line = watch_reader_rest(reader, &len))) {
		status(session, "warning: %s closed the connection in the middle of a line",
		       instance->address);
		if (instance->nats)
			watch_nats_line_taken(instance->nats);
		handle_line(session, instance, line, len);
	}
	stream_ended(session, instance, fill == WATCH_READER_EOF);
}

/* ---- acknowledging from the keyboard ----------------------------------------------------- */

/* Send the acknowledgement typed at the prompt to every instance that is up. */
static void send_prompt_ack(struct watch_session *session)
{
	const struct watch_prompt *prompt = &session->prompt;
	char *line = watch_ack_line(prompt->alert_id, prompt->by, prompt->note);
	size_t sent = 0;

	for (size_t i = 0; line && i < session->instance_count; i++) {
		struct watch_instance *instance = &session->instances[i];
		size_t len = strlen(line);
		struct net_stream stream = stream_of(instance);
		if (instance->link == WATCH_LINK_UP && !instance->nats &&
		    net_stream_write(&stream, line, len) == 0)
			sent++;
	}
	free(line);
	status(session, "ack of alert %s (%s) by %s sent to %zu of %zu cadmond", prompt->number,
	       prompt->alert_id, prompt->by, sent, session->instance_count);
}

/* The number typed stands for this alert (as the board is now). */
static void pick_alert(struct watch_session *session)
{
	struct watch_prompt *prompt = &session->prompt;
	const char *alert_id =
		watch_board_alert_id(session->board, strtoul(prompt->number, NULL, 10));

	if (!watch_prompt_pick(prompt, alert_id))
		status(session, "no alert numbered %s on the board; nothing sent", prompt->number);
}

static void read_keys(struct watch_session *session)
{
	unsigned char keys[64];
	ssize_t n = read(STDIN_FILENO, keys, sizeof(keys));

	if (n == 0)
		session->screen.keyboard = false; /* stdin closed: no more keys */
	for (ssize_t i = 0; i < n && !session->done; i++) {
		switch (watch_prompt_key(&session->prompt, keys[i])) {
		case WATCH_PROMPT_QUIT:
			session->done = true;
			break;
		case WATCH_PROMPT_PICK:
			pick_alert(session);
			session->dirty = true;
			break;
		case WATCH_PROMPT_ACK:
			send_prompt_ack(session);
			watch_prompt_done(&session->prompt);
			session->dirty = true;
			break;
		case WATCH_PROMPT_REDRAW:
			session->dirty = true;
			break;
		case WATCH_PROMPT_NONE:
			break;
		}
	}
}

/* ---- the screen -------------------------------------------------------------------------- */

/* "cadmon-watch  1 open  127.0.0.1:7401 live  times UTC". */
static void header_row(const struct watch_session *session, char row[WATCH_ROW_BYTES])
{
	struct watch_text text = watch_text_init(row, WATCH_ROW_BYTES);

	watch_text_appendf(&text, "cadmon-watch  %zu open ",
			   watch_board_open_count(session->board));
	for (size_t i = 0; i < session->instance_count; i++) {
		const struct watch_instance *instance = &session->instances[i];
		watch_text_appendf(&text, " %s ", instance->address);
		if (instance->link == WATCH_LINK_UP)
			watch_text_appendf(&text, "live");
		else if (instance->link == WATCH_LINK_DOWN && instance->attempts > 0)
			watch_text_appendf(&text, "DOWN (%s), attempt %u", reason_of(instance->why),
					   instance->attempts);
		else
			watch_text_appendf(&text, "connecting");
	}
	watch_text_appendf(&text, "  times %s", session->options->utc ? "UTC" : "local");
}

static void redraw(struct watch_session *session)
{
	char header[WATCH_ROW_BYTES], prompt[WATCH_ROW_BYTES];

	if (!session->screen_mode || !session->dirty)
		return;
	header_row(session, header);
	watch_prompt_row(&session->prompt, prompt, sizeof(prompt));
	watch_screen_draw(&session->screen, session->board, header, prompt);
	session->dirty = false;
}

/* ---- the loop ---------------------------------------------------------------------------- */

static bool all_finished(const struct watch_session *session)
{
	for (size_t i = 0; i < session->instance_count; i++)
		if (session->instances[i].link != WATCH_LINK_FINISHED)
			return false;
	return true;
}

/* Start the connections that are due; the ms until the next one is (at most max_ms). */
static int start_due_connections(struct watch_session *session, int max_ms)
{
	double now = monotonic_seconds();

	for (size_t i = 0; i < session->instance_count; i++) {
		struct watch_instance *instance = &session->instances[i];
		if (instance->link != WATCH_LINK_DOWN)
			continue;
		if (instance->retry_at <= now)
			start_connect(session, instance);
		if (instance->link == WATCH_LINK_DOWN) {
			int ms = (int)ceil((instance->retry_at - now) * 1000);
			max_ms = ms < max_ms ? (ms > 0 ? ms : 0) : max_ms;
		}
	}
	return max_ms;
}

/* Whether --idle-exit is due; else lowers *timeout_ms to it. */
static bool idle_due(const struct watch_session *session, int *timeout_ms)
{
	double idle = session->options->idle_exit_seconds;

	if (idle <= 0)
		return false;
	double left = session->last_line_at + idle - monotonic_seconds();
	if (left <= 0)
		return true;
	int ms = (int)ceil(left * 1000);
	*timeout_ms = ms < *timeout_ms ? ms : *timeout_ms;
	return false;
}

/* One round: connect what is due, wait, read. */
static void watch_round(struct watch_session *session)
{
	struct pollfd fds[WATCH_BOARD_MAX_INSTANCES + 1];
	struct watch_instance *owners[WATCH_BOARD_MAX_INSTANCES + 1];
	nfds_t count = 0;
	int timeout_ms = start_due_connections(session, WATCH_POLL_MAX_MS);

	if (all_finished(session) || idle_due(session, &timeout_ms)) {
		session->done = true;
		return;
	}
	for (size_t i = 0; i < session->instance_count; i++) {
		struct watch_instance *instance = &session->instances[i];
		if (instance->link != WATCH_LINK_UP && instance->link != WATCH_LINK_CONNECTING)
			continue;
		owners[count] = instance;
		fds[count++] =
			(struct pollfd){ .fd = instance->fd,
					 .events = instance->link == WATCH_LINK_UP ? POLLIN
										   : POLLOUT };
	}
	if (session->screen_mode && session->screen.keyboard) {
		owners[count] = NULL;
		fds[count++] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
	}
	redraw(session);
	if (poll(fds, count, timeout_ms) < 0)
		return; /* EINTR: a signal; the caller looks at the flags */
	for (nfds_t i = 0; i < count && !session->done; i++) {
		if (!fds[i].revents)
			continue;
		if (!owners[i])
			read_keys(session);
		else if (owners[i]->link == WATCH_LINK_CONNECTING)
			connected(session, owners[i]);
		else
			read_instance(session, owners[i]);
		/* TLS may hold decrypted bytes poll() cannot see */
		while (owners[i] && owners[i]->link == WATCH_LINK_UP && owners[i]->tls &&
		       net_tls_pending(owners[i]->tls) && !session->done)
			read_instance(session, owners[i]);
	}
}

/* Watch until --count, --idle-exit, `q`, a signal, or the end of every stream. */
static int watch_until_done(struct watch_session *session)
{
	int status = 0;

	session->started_at = session->last_line_at = monotonic_seconds();
	while (!session->done && !quit_requested) {
		if (resize_requested) {
			resize_requested = 0;
			watch_screen_resize(&session->screen);
			session->dirty = true;
		}
		watch_round(session);
	}
	if (session->status_line_open)
		fputc('\n', stderr);
	for (size_t i = 0; i < session->instance_count; i++) {
		close_link(&session->instances[i]);
		if (session->instances[i].failed)
			status = 1;
	}
	return status;
}

/* ---- options ----------------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cadmon-watch [--connect HOST:PORT]... [--raw] [--lines] [--utc] [--no-bell]\n"
	      "                    [--count N] [--idle-exit SECONDS] [--timeout SECONDS]\n"
	      "                    [--since SEQ] [--reconnect]\n"
	      "                    [--ca FILE [--cert FILE --key FILE]] [--token-file FILE]\n"
	      "       cadmon-watch --nats URL [--nats-subject SUBJECT] [--nats-start SEQ]\n"
	      "                    [--ca FILE [--cert FILE --key FILE]] [--token-file FILE |\n"
	      "                    --nats-creds FILE | --nats-user NAME --nats-password-file "
	      "FILE]\n"
	      "                    [--raw] [--lines] [--utc]\n"
	      "                    [--no-bell] [--count N] [--idle-exit SECONDS] [--timeout "
	      "SECONDS]\n"
	      "       cadmon-watch --ack ALERT_ID --by NAME [--note TEXT] [--connect "
	      "HOST:PORT]...\n"
	      "Show cadmond's open alerts and notices as a supervisor's console.\n"
	      "\n"
	      "  --connect HOST:PORT  the alert port (" WATCH_DEFAULT_ADDRESS
	      "); give it up to 8 times\n"
	      "                       for an active/active pair: each notice is shown once\n"
	      "  --raw                print the lines exactly as received\n"
	      "  --lines              one line per notice even on a terminal\n"
	      "  --utc                times in UTC (\"08:04:30Z\"); local time by default\n"
	      "  --no-bell            do not ring the bell on firing and escalated alerts\n"
	      "  --count N            exit after N notices\n"
	      "  --idle-exit SECONDS  exit after SECONDS without a line\n"
	      "  --timeout SECONDS    without --reconnect (and for --ack): keep trying to connect\n"
	      "                       this long (5)\n"
	      "  --since SEQ          first ask for every journaled notice after SEQ (0: all)\n"
	      "  --reconnect          keep trying to connect, and when a stream ends reconnect "
	      "and\n"
	      "                       resume after the last notice seen (always on a terminal)\n"
	      "  --ack ALERT_ID       acknowledge that alert (16 hex digits) --by NAME (1 to 64\n"
	      "                       bytes) with an optional --note TEXT (up to 256 bytes), "
	      "print\n"
	      "                       cadmond's answer and exit\n"
	      "  --ca FILE            connect over TLS, trusting the CAs in FILE (PEM); the "
	      "server's\n"
	      "                       certificate must name the HOST of --connect\n"
	      "  --cert FILE          with --ca: present this client certificate (PEM)...\n"
	      "  --key FILE           ...and its private key (PEM)\n"
	      "  --nats URL           follow the alerts stream of this NATS JetStream cluster\n"
	      "                       (nats://HOST:PORT, several comma-separated) instead of "
	      "alert\n"
	      "                       ports: every notice it holds, then the new ones "
	      "(acknowledging\n"
	      "                       needs --connect)\n"
	      "  --nats-subject SUBJ  with --nats: the notices' subjects "
	      "(" WATCH_NATS_DEFAULT_SUBJECT ")\n"
	      "  --nats-start SEQ     with --nats: start at this stream sequence (resume after "
	      "the\n"
	      "                       last one seen) instead of the stream's first message\n"
	      "  --nats-creds FILE    with --nats: a .creds file (JWT and NKey seed)\n"
	      "  --nats-user NAME     with --nats: user name, its password on the first line of\n"
	      "  --nats-password-file FILE  (keep it chmod 600)\n"
	      "                       With --nats, --ca/--cert/--key are the cluster's TLS and\n"
	      "                       --token-file its token, as cadmond's nats: section has them\n"
	      "  --token-file FILE    when cadmond requires tokens: send the token on the first\n"
	      "                       line of FILE (keep it chmod 600) first, as {\"token\":...}\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "On a terminal the open alerts stay pinned at the top, newest notices below; press "
	      "a\n"
	      "to acknowledge an alert by its number, q to quit.\n"
	      "\n"
	      "Exit status: 0 at end of stream, after --count notices, when idle or on q; 1 when "
	      "a\n"
	      "connection fails or an --ack was not acknowledged; 2 on bad usage.\n",
	      out);
}

/* Seconds: a number in [low, 1e6]; 0 or WATCH_EXIT_USAGE. */
static int parse_seconds(const char *option, const char *text, double low, bool low_open,
			 double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);

	if (errno != 0 || end == text || *end != '\0' || !isfinite(value) ||
	    (low_open ? value <= low : value < low) || value > 1e6)
		return cli_usage_error(
			"--%s: expected seconds %s %g and at most 1000000, got \"%s\"", option,
			low_open ? "above" : "of at least", low, text);
	*out = value;
	return 0;
}

static int parse_count(const char *text, long *count)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || value < 1)
		return cli_usage_error("--count: expected a positive integer, got \"%s\"", text);
	*count = value;
	return 0;
}

/* --since: an alert seq, 0 or more. */
static int parse_since(const char *text, long long *since)
{
	char *end;

	errno = 0;
	*since = strtoll(text, &end, 10);
	if (errno || end == text || *end || *since < 0)
		return cli_usage_error("--since needs an alert seq, 0 or more, not \"%s\"", text);
	return 0;
}

static int parse_connect(struct watch_options *options, const char *text)
{
	char host[NET_HOST_MAX], port[NET_PORT_MAX];

	if (net_split_host_port(text, host, sizeof(host), port, sizeof(port)) != 0)
		return cli_usage_error("--connect: expected HOST:PORT (or [V6]:PORT), PORT from 1 "
				       "to 65535, got \"%s\"",
				       text);
	if (options->address_count == WATCH_BOARD_MAX_INSTANCES)
		return cli_usage_error("--connect: at most %d addresses",
				       WATCH_BOARD_MAX_INSTANCES);
	options->addresses[options->address_count++] = text;
	return 0;
}

/* --ack: an alert_id, 16 hex digits. */
static int parse_ack_id(struct watch_options *options, const char *text)
{
	size_t len = strlen(text);

	if (len != WATCH_ID_HEX_DIGITS || strspn(text, "0123456789abcdef") != len)
		return cli_usage_error("--ack needs an alert_id of 16 hex digits, not \"%s\"",
				       text);
	options->ack_id = text;
	return 0;
}

enum {
	OPT_CONNECT = 256,
	OPT_RAW,
	OPT_COUNT,
	OPT_IDLE_EXIT,
	OPT_TIMEOUT,
	OPT_SINCE,
	OPT_RECONNECT,
	OPT_UTC,
	OPT_NO_BELL,
	OPT_LINES,
	OPT_ACK,
	OPT_BY,
	OPT_NOTE,
	OPT_TOKEN_FILE,
	OPT_NATS,
	OPT_NATS_SUBJECT,
	OPT_NATS_START,
	OPT_NATS_CREDS,
	OPT_NATS_USER,
	OPT_NATS_PASSWORD_FILE,
};

static const struct option long_options[] = {
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "idle-exit", required_argument, NULL, OPT_IDLE_EXIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "utc", no_argument, NULL, OPT_UTC },
	{ "no-bell", no_argument, NULL, OPT_NO_BELL },
	{ "lines", no_argument, NULL, OPT_LINES },
	{ "ack", required_argument, NULL, OPT_ACK },
	{ "by", required_argument, NULL, OPT_BY },
	{ "note", required_argument, NULL, OPT_NOTE },
	{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
	{ "nats", required_argument, NULL, OPT_NATS },
	{ "nats-subject", required_argument, NULL, OPT_NATS_SUBJECT },
	{ "nats-start", required_argument, NULL, OPT_NATS_START },
	{ "nats-creds", required_argument, NULL, OPT_NATS_CREDS },
	{ "nats-user", required_argument, NULL, OPT_NATS_USER },
	{ "nats-password-file", required_argument, NULL, OPT_NATS_PASSWORD_FILE },
	NET_TLS_LONG_OPTIONS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int apply_flag(struct watch_options *options, int option)
{
	switch (option) {
	case OPT_RAW:
		options->raw = true;
		return 0;
	case OPT_RECONNECT:
		options->reconnect = true;
		return 0;
	case OPT_UTC:
		options->utc = true;
		return 0;
	case OPT_NO_BELL:
		options->bell = false;
		return 0;
	case OPT_LINES:
		options->line_mode = true;
		return 0;
	default:
		return WATCH_EXIT_USAGE;
	}
}

/* The first line of path, trimmed, into token (option: whose file); a file others may read
 * is warned about. */
static int read_token_file(const char *option, const char *path, char *token, size_t size)
{
	FILE *file = fopen(path, "r");
	struct stat st;
	size_t len;

	if (!file)
		return cli_usage_error("--%s: cannot read %s: %s", option, path, strerror(errno));
	if (fstat(fileno(file), &st) == 0 && (st.st_mode & 077))
		warn("%s can be read by other users (mode %03o): chmod 600 it", path,
		     (unsigned)(st.st_mode & 0777));
	if (!fgets(token, (int)size, file))
		token[0] = '\0';
	fclose(file);
	len = strcspn(token, "\r\n");
	while (len > 0 && (token[len - 1] == ' ' || token[len - 1] == '\t'))
		len--;
	token[len] = '\0';
	len = strspn(token, " \t");
	memmove(token, token + len, strlen(token + len) + 1);
	if (!token[0])
		return cli_usage_error("--%s: nothing on the first line of %s", option, path);
	return 0;
}

/* --nats-start: a stream sequence from 1. */
static int parse_nats_start(const char *text, unsigned long long *start)
{
	char *end;

	errno = 0;
	*start = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || text[0] == '-' || *start == 0)
		return cli_usage_error(
			"--nats-start: expected a stream sequence from 1, got \"%s\"", text);
	return 0;
}

static int apply_option(struct watch_options *options, int option, const char *value)
{
	switch (option) {
	case OPT_CONNECT:
		return parse_connect(options, value);
	case OPT_COUNT:
		return parse_count(value, &options->count);
	case OPT_IDLE_EXIT:
		return parse_seconds("idle-exit", value, 0, true, &options->idle_exit_seconds);
	case OPT_TIMEOUT:
		return parse_seconds("timeout", value, 0, false, &options->connect_timeout_seconds);
	case OPT_SINCE:
		return parse_since(value, &options->since);
	case OPT_ACK:
		return parse_ack_id(options, value);
	case OPT_BY:
		options->ack_by = value;
		return 0;
	case OPT_NOTE:
		options->ack_note = value;
		return 0;
	case OPT_TOKEN_FILE:
		return read_token_file("token-file", value, options->token, sizeof options->token);
	case OPT_NATS_PASSWORD_FILE:
		return read_token_file("nats-password-file", value, options->nats_password,
				       sizeof options->nats_password);
	case OPT_NATS_CREDS:
		options->nats_credentials = value;
		return 0;
	case OPT_NATS_USER:
		options->nats_user = value;
		return 0;
	case OPT_NATS_START:
		return parse_nats_start(value, &options->nats_start);
	case OPT_NATS:
		options->nats_url = value;
		return 0;
	case OPT_NATS_SUBJECT:
		options->nats_subject = value;
		return 0;
	default:
		if (net_tls_take_option(&options->tls, option, value))
			return 0;
		return apply_flag(options, option);
	}
}

/* --nats and its own options: which go together. */
static int check_nats_options(const struct watch_options *options)
{
	int credentials = (options->token[0] != '\0') + (options->nats_credentials != NULL) +
			  (options->nats_user != NULL || options->nats_password[0] != '\0');

	if (!options->nats_url &&
	    (options->nats_subject || options->nats_start || options->nats_credentials ||
	     options->nats_user || options->nats_password[0]))
		return cli_usage_error(
			"--nats-subject, --nats-start, --nats-creds, --nats-user and "
			"--nats-password-file go with --nats");
	if (!options->nats_url)
		return 0;
	if (options->address_count > 0 || options->ack_id || options->since >= 0)
		return cli_usage_error(
			"--nats goes without --connect, --ack and --since (--nats-start resumes)");
	if ((options->nats_user != NULL) != (options->nats_password[0] != '\0'))
		return cli_usage_error("--nats-user and --nats-password-file go together");
	if (credentials > 1)
		return cli_usage_error(
			"--nats takes one of --token-file, --nats-creds, --nats-user");
	return 0;
}

/* --ack, --by and --note go together, within the protocol's sizes. */
static int check_ack_options(const struct watch_options *options)
{
	if (!options->ack_id && (options->ack_by || options->ack_note))
		return cli_usage_error("--by and --note go with --ack");
	if (!options->ack_id)
		return 0;
	if (!options->ack_by || options->ack_by[0] == '\0' ||
	    strlen(options->ack_by) > WATCH_BY_MAX_BYTES)
		return cli_usage_error("--ack needs --by NAME of 1 to %d bytes",
				       WATCH_BY_MAX_BYTES);
	if (options->ack_note && strlen(options->ack_note) > WATCH_NOTE_MAX_BYTES)
		return cli_usage_error("--note: at most %d bytes", WATCH_NOTE_MAX_BYTES);
	return 0;
}

/* Fill *options from argv; -1 to go on, or an exit status (0 after -h, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct watch_options *options)
{
	int option;

	*options = (struct watch_options){
		.connect_timeout_seconds = WATCH_DEFAULT_CONNECT_SECONDS,
		.since = -1,
		.bell = true,
	};
	opterr = 0;
	while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (option == 'h') {
			print_usage(stdout);
			return 0;
		}
		if (option == ':' || option == '?')
			return cli_option_error(option, argv);
		int rc = apply_option(options, option, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return cli_usage_error("unexpected argument \"%s\"", argv[optind]);
	if (check_nats_options(options) != 0)
		return WATCH_EXIT_USAGE;
	if (options->nats_url) {
		options->addresses[options->address_count++] = options->nats_url;
		if (!options->nats_subject)
			options->nats_subject = WATCH_NATS_DEFAULT_SUBJECT;
	}
	if (options->address_count == 0)
		options->addresses[options->address_count++] = WATCH_DEFAULT_ADDRESS;
	if (net_tls_options_problem(&options->tls))
		return cli_usage_error("%s", net_tls_options_problem(&options->tls));
	return check_ack_options(options) != 0 ? WATCH_EXIT_USAGE : -1;
}

/* ---- main -------------------------------------------------------------------------------- */

static void install_signals(bool screen_mode)
{
	struct sigaction action = { .sa_handler = on_quit_signal };

	signal(SIGPIPE, SIG_IGN);
	if (!screen_mode)
		return;
	sigemptyset(&action.sa_mask);
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	action.sa_handler = on_resize_signal;
	sigaction(SIGWINCH, &action, NULL);
}

/* Set the session up; 0, or -1 when out of memory. */
static int session_init(struct watch_session *session, const struct watch_options *options)
{
	*session = (struct watch_session){
		.options = options,
		.tokener = json_tokener_new(),
		.board = watch_board_new(options->utc),
		.screen_mode = !options->raw && !options->line_mode && isatty(STDOUT_FILENO),
	};
	session->keep_trying = options->reconnect || session->screen_mode;
	session->stderr_tty = isatty(STDERR_FILENO);
	session->instance_count = options->address_count;
	for (size_t i = 0; i < session->instance_count; i++) {
		struct watch_instance *instance = &session->instances[i];
		*instance = (struct watch_instance){ .address = options->addresses[i], .fd = -1 };
		if (watch_reader_init(&instance->reader) != 0)
			return -1;
	}
	return session->tokener && session->board ? 0 : -1;
}

/* --nats, at the end: where to resume, on stderr. */
static void say_nats_resume(const struct watch_session *session)
{
	const struct watch_instance *instance = &session->instances[0];
	uint64_t last =
		instance->nats ? watch_nats_last_taken(instance->nats) : instance->nats_last;

	if (session->options->nats_url && last > 0)
		fprintf(stderr,
			"cadmon-watch: last notice at stream sequence %" PRIu64
			"; --nats-start %" PRIu64 " resumes after it\n",
			last, last + 1);
}

/* --nats: the one instance follows the alerts stream (up from the start); 0, or -1 (said). */
static int session_follow_nats(struct watch_session *session)
{
	struct watch_instance *instance = &session->instances[0];

	const struct watch_options *options = session->options;
	const struct watch_nats_settings settings = {
		.url = options->nats_url,
		.subject = options->nats_subject,
		.timeout_seconds = options->connect_timeout_seconds,
		.ca = options->tls.ca,
		.certificate = options->tls.certificate,
		.key = options->tls.key,
		.credentials = options->nats_credentials,
		.token = options->token[0] ? options->token : NULL,
		.user = options->nats_user,
		.password = options->nats_user ? options->nats_password : NULL,
		.start_sequence = options->nats_start,
	};

	instance->nats = watch_nats_open(&settings, instance->why, sizeof(instance->why));
	if (!instance->nats) {
		fprintf(stderr, "cadmon-watch: %s\n", instance->why);
		return -1;
	}
	instance->fd = watch_nats_fd(instance->nats);
	instance->link = WATCH_LINK_UP;
	return 0;
}

static void session_free(struct watch_session *session)
{
	for (size_t i = 0; i < session->instance_count; i++)
		watch_reader_free(&session->instances[i].reader);
	if (session->tokener)
		json_tokener_free(session->tokener);
	watch_board_free(session->board);
}

int main(int argc, char **argv)
{
	struct watch_options options;
	struct watch_session session;
	int status;

	cli_set_program("cadmon-watch");
	status = parse_options(argc, argv, &options);
	if (status >= 0)
		return status;
	char why[NET_WHY_MAX];
	struct net_tls *tls = options.tls.ca ? net_tls_new(&options.tls, why, sizeof(why)) : NULL;
	if (options.tls.ca && !tls) {
		fprintf(stderr, "cadmon-watch: %s\n", why);
		return 1;
	}
	tzset(); /* local times of day, from TZ */
	if (options.ack_id) {
		struct watch_ack_request request = {
			.addresses = options.addresses,
			.address_count = options.address_count,
			.alert_id = options.ack_id,
			.by = options.ack_by,
			.note = options.ack_note,
			.timeout_seconds = options.connect_timeout_seconds,
			.utc = options.utc,
			.tls = tls,
			.token = options.token[0] ? options.token : NULL,
		};
		signal(SIGPIPE, SIG_IGN);
		status = watch_ack_run(&request);
		net_tls_free(tls);
		return status;
	}
	if (session_init(&session, &options) != 0) {
		fprintf(stderr, "cadmon-watch: out of memory\n");
		session_free(&session);
		net_tls_free(tls);
		return 1;
	}
	session.tls = tls;
	if (options.nats_url && session_follow_nats(&session) != 0) {
		session_free(&session);
		net_tls_free(tls);
		return 1;
	}
	install_signals(session.screen_mode);
	if (session.screen_mode)
		watch_screen_open(&session.screen, STDOUT_FILENO);
	status = watch_until_done(&session);
	if (session.screen_mode)
		watch_screen_close(&session.screen);
	say_nats_resume(&session);
	session_free(&session);
	net_tls_free(tls);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cadmon-watch: write to stdout: %s\n", strerror(errno));
		status = 1;
	}
	return status;
}
