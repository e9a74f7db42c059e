/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-watch: the supervisor's console. Connects to a cadmond alert port, reads the hello
 * line and then one JSON alert per line, and prints each alert as a short readable block with
 * the callers to call back (or, with --raw, the lines exactly as received).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "net.h"
#include "timestamp.h"

#define WATCH_DEFAULT_ADDRESS "127.0.0.1:7401"
#define WATCH_DEFAULT_CONNECT_SECONDS 5.0
#define WATCH_LINE_MAX_BYTES (1024 * 1024) /* longer lines are skipped with a warning */
#define WATCH_READ_BYTES 65536
#define WATCH_KIND_MAX 32
#define WATCH_EXIT_USAGE 2

struct watch_options {
	const char *address;
	bool raw;
	long count;                    /* exit after this many alerts; 0: never */
	double idle_exit_seconds;      /* exit after this long without a line; 0: never */
	double connect_timeout_seconds;
	long long since;               /* first connection: ask for alerts after this seq; -1: no */
	bool reconnect;                /* when the stream ends, reconnect and resume */
};

/* The connection's state as lines arrive. */
struct watch_session {
	const struct watch_options *options;
	json_tokener *tokener;
	unsigned long lines;
	long alerts;
	int64_t last_seq; /* highest alert seq shown; 0 before the first */
};

/* ---- small helpers ----------------------------------------------------------------------- */

static double monotonic_seconds(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

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

/* ---- reading JSON fields ----------------------------------------------------------------- */

/* An alert's fields; strings point into the parsed object. */
struct watch_alert {
	const char *kind;
	int64_t seq;
	const char *ts;
	const char *agency;   /* NULL when absent */
	const char *operator_id;
	const char *position; /* NULL when absent */
	const char *rule;
	const char *severity;
	int64_t window_seconds;
	int64_t calls;
	int64_t premature;
	double ratio;
	bool has_center_ratio;  /* the other operators' ratio in the same window, when sent */
	double center_ratio;
	json_object *callbacks; /* array, or NULL */
};

static const char *get_string(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

static bool get_integer(json_object *object, const char *key, int64_t *out)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return true;
}

static bool is_number(json_object *value)
{
	return json_object_is_type(value, json_type_double) || json_object_is_type(value, json_type_int);
}

static bool get_number(json_object *object, const char *key, double *out)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) || !is_number(value))
		return false;
	*out = json_object_get_double(value);
	return true;
}

/* Fill *alert from a parsed line; NULL, or the name of the first missing or mistyped field. */
static const char *read_alert(json_object *object, struct watch_alert *alert)
{
	json_object *callbacks;

	memset(alert, 0, sizeof(*alert));
	if (!(alert->kind = get_string(object, "alert")))
		return "alert";
	if (!get_integer(object, "seq", &alert->seq))
		return "seq";
	if (!(alert->ts = get_string(object, "ts")))
		return "ts";
	if (!(alert->operator_id = get_string(object, "operator")))
		return "operator";
	if (!(alert->rule = get_string(object, "rule")))
		return "rule";
	if (!(alert->severity = get_string(object, "severity")))
		return "severity";
	if (!get_integer(object, "window_seconds", &alert->window_seconds))
		return "window_seconds";
	if (!get_integer(object, "calls", &alert->calls))
		return "calls";
	if (!get_integer(object, "premature", &alert->premature))
		return "premature";
	if (!get_number(object, "ratio", &alert->ratio))
		return "ratio";
	if (json_object_object_get_ex(object, "callbacks", &callbacks)) {
		if (!json_object_is_type(callbacks, json_type_array))
			return "callbacks";
		alert->callbacks = callbacks;
	}
	alert->agency = get_string(object, "agency");
	alert->position = get_string(object, "position");
	alert->has_center_ratio = get_number(object, "center_ratio", &alert->center_ratio);
	return NULL;
}

/* ---- printing an alert for a supervisor -------------------------------------------------- */

/* "10 min", "8 h", "90 s". */
static void format_window(int64_t seconds, char *out, size_t size)
{
	if (seconds > 0 && seconds % 3600 == 0)
		snprintf(out, size, "%" PRId64 " h", seconds / 3600);
	else if (seconds > 0 && seconds % 60 == 0)
		snprintf(out, size, "%" PRId64 " min", seconds / 60);
	else
		snprintf(out, size, "%" PRId64 " s", seconds);
}

/* "firing" is an ALERT; other kinds ("resolved", "escalated") are shown in capitals. */
static void format_kind(const char *kind, char out[WATCH_KIND_MAX])
{
	size_t i = 0;

	if (strcmp(kind, "firing") == 0) {
		snprintf(out, WATCH_KIND_MAX, "ALERT");
		return;
	}
	for (; kind[i] && i < WATCH_KIND_MAX - 1; i++)
		out[i] = (kind[i] >= 'a' && kind[i] <= 'z') ? (char)(kind[i] - 'a' + 'A') : kind[i];
	out[i] = '\0';
}

/* "08:00:00Z" from an RFC 3339 time; the text as given when it does not parse. */
static void format_time_of_day(const char *ts, char *out, size_t size)
{
	char utc[TIMESTAMP_TEXT_MAX];
	int64_t epoch_ms;

	if (timestamp_parse_rfc3339(ts, strlen(ts), &epoch_ms, NULL) != 0) {
		snprintf(out, size, "%s", ts);
		return;
	}
	timestamp_format(epoch_ms, utc);
	snprintf(out, size, "%.8sZ", utc + 11);
}

/* "5 s", "12.5 s". */
static void format_talk(json_object *value, char *out, size_t size)
{
	double seconds = json_object_get_double(value);

	if (json_object_is_type(value, json_type_int) || seconds == floor(seconds))
		snprintf(out, size, "%.0f s", seconds);
	else
		snprintf(out, size, "%.1f s", seconds);
}

static bool get_true(json_object *object, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(object, key, &value) &&
	       json_object_is_type(value, json_type_boolean) && json_object_get_boolean(value);
}

/* "  call back: 5045550101  call c1 at 08:00:00Z, 5 s", noting a caller who rang again. */
static void print_callback(json_object *callback)
{
	char when[64] = "?", talk[32] = "? s";
	json_object *talk_value;

	if (!json_object_is_type(callback, json_type_object)) {
		printf("  call back: (unreadable entry)\n");
		return;
	}
	const char *ani = get_string(callback, "ani");
	const char *call_id = get_string(callback, "call_id");
	const char *ts = get_string(callback, "ts");
	if (ts)
		format_time_of_day(ts, when, sizeof(when));
	if (json_object_object_get_ex(callback, "talk_seconds", &talk_value) && is_number(talk_value))
		format_talk(talk_value, talk, sizeof(talk));
	printf("  call back: %s  call %s at %s, %s%s\n", ani ? ani : "unknown",
	       call_id ? call_id : "?", when, talk,
	       get_true(callback, "called_back") ? "  (caller rang 911 again)" : "");
}

/* The block a supervisor reads: one summary line, then one line per caller to call back. */
static void print_alert(const struct watch_alert *alert)
{
	char kind[WATCH_KIND_MAX], window[32];

	format_kind(alert->kind, kind);
	format_window(alert->window_seconds, window, sizeof(window));
	printf("%s #%" PRId64 " [%s] %s%s%s", kind, alert->seq, alert->severity,
	       alert->agency ? alert->agency : "", alert->agency ? "/" : "", alert->operator_id);
	if (alert->position)
		printf(" (position %s)", alert->position);
	printf(" rule %s at %s: ", alert->rule, alert->ts);
	if (strcmp(alert->kind, "resolved") == 0)
		printf("cleared; now ");
	printf("%" PRId64 " of %" PRId64 " calls in %s ended early by the call-taker (%.0f%%)",
	       alert->premature, alert->calls, window, alert->ratio * 100);
	if (alert->has_center_ratio)
		printf("; rest of the center %.0f%%", alert->center_ratio * 100);
	printf("\n");
	if (alert->callbacks)
		for (size_t i = 0; i < json_object_array_length(alert->callbacks); i++)
			print_callback(json_object_array_get_idx(alert->callbacks, i));
}

/* ---- handling lines ---------------------------------------------------------------------- */

/* Parse one whole line as JSON; NULL (and *why) when it is not exactly one JSON value. */
static json_object *parse_line(json_tokener *tokener, const char *line, size_t len,
			       const char **why)
{
	json_object *object;

	json_tokener_reset(tokener);
	object = json_tokener_parse_ex(tokener, line, (int)len);
	if (!object || json_tokener_get_error(tokener) != json_tokener_success) {
		*why = object ? "trailing data" : json_tokener_error_desc(json_tokener_get_error(tokener));
		if (json_tokener_get_error(tokener) == json_tokener_continue)
			*why = "incomplete JSON";
		json_object_put(object);
		return NULL;
	}
	if (json_tokener_get_parse_end(tokener) != len) {
		*why = "trailing data after the JSON value";
		json_object_put(object);
		return NULL;
	}
	return object;
}

/* The daemon's greeting: {"hello":"cadmond","version":"0.1.0","protocol":1}. */
static void handle_hello(json_object *object)
{
	const char *server = get_string(object, "hello");
	const char *version = get_string(object, "version");
	int64_t protocol = 0;

	fprintf(stderr, "connected to %s %s\n", server, version ? version : "(unknown version)");
	if (get_integer(object, "protocol", &protocol) && protocol != 1)
		warn("server speaks alert protocol %" PRId64 ", this console knows 1; reading on",
		     protocol);
}

static void print_raw_with_warning(const char *line, const char *why)
{
	warn("line not understood (%s), shown as received:", why);
	printf("%s\n", line);
}

/* One line from the server; counts the alerts. */
static void handle_line(struct watch_session *session, const char *line, size_t len)
{
	struct watch_alert alert;
	const char *why = NULL;
	json_object *object = parse_line(session->tokener, line, len, &why);
	bool is_object = object && json_object_is_type(object, json_type_object);
	bool is_hello = is_object && get_string(object, "hello");
	bool is_alert = is_object && json_object_object_get_ex(object, "alert", NULL);
	const char *bad_field = is_alert ? read_alert(object, &alert) : NULL;

	session->lines++;
	if (is_hello)
		handle_hello(object);
	if (session->options->raw) {
		printf("%s\n", line);
	} else if (!object) {
		char reason[160];
		snprintf(reason, sizeof(reason), "invalid JSON: %s", why);
		print_raw_with_warning(line, reason);
	} else if (is_alert && bad_field) {
		char reason[80];
		snprintf(reason, sizeof(reason), "alert without a valid \"%s\"", bad_field);
		print_raw_with_warning(line, reason);
	} else if (is_alert) {
		print_alert(&alert);
	} else if (!is_hello) {
		print_raw_with_warning(line, "not an alert");
	}
	if (is_alert && !bad_field) {
		if (strcmp(alert.kind, "open") != 0) /* the board restates open alerts: not counted */
			session->alerts++;
		if (alert.seq > session->last_seq)
			session->last_seq = alert.seq;
	}
	fflush(stdout);
	json_object_put(object);
}

/* ---- the read loop ----------------------------------------------------------------------- */

enum watch_stop {
	WATCH_GO_ON,
	WATCH_STOP_OK,    /* enough alerts, or idle */
	WATCH_STOP_EOF,   /* cadmond closed the stream */
	WATCH_STOP_ERROR, /* the connection failed */
};

/* A line buffer with a hard limit; a longer line is skipped up to its newline. */
struct watch_reader {
	char *buffer; /* WATCH_LINE_MAX_BYTES + 1 */
	size_t used;
	bool skipping_long_line;
};

/* Hand every complete line in the buffer to handle_line; keep the incomplete rest. */
static enum watch_stop take_lines(struct watch_session *session, struct watch_reader *reader)
{
	size_t start = 0;
	char *newline;

	while ((newline = memchr(reader->buffer + start, '\n', reader->used - start))) {
		size_t len = (size_t)(newline - (reader->buffer + start));
		if (reader->skipping_long_line) {
			reader->skipping_long_line = false;
		} else {
			if (len > 0 && reader->buffer[start + len - 1] == '\r')
				len--;
			reader->buffer[start + len] = '\0';
			handle_line(session, reader->buffer + start, len);
		}
		start = (size_t)(newline - reader->buffer) + 1;
		if (session->options->count > 0 && session->alerts >= session->options->count)
			return WATCH_STOP_OK;
	}
	memmove(reader->buffer, reader->buffer + start, reader->used - start);
	reader->used -= start;
	if (reader->used == WATCH_LINE_MAX_BYTES) {
		if (!reader->skipping_long_line)
			warn("line longer than %d bytes skipped", WATCH_LINE_MAX_BYTES);
		reader->skipping_long_line = true;
		reader->used = 0;
	}
	return WATCH_GO_ON;
}

/* Wait for data until the idle deadline; 1 readable, 0 idle, -1 error. */
static int wait_readable(int fd, double idle_exit_seconds, double last_line_at)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int timeout_ms = -1;

	if (idle_exit_seconds > 0) {
		double left = last_line_at + idle_exit_seconds - monotonic_seconds();
		if (left <= 0)
			return 0;
		timeout_ms = (int)ceil(left * 1000);
	}
	int ready = poll(&pfd, 1, timeout_ms);
	if (ready < 0 && errno == EINTR)
		return 1; /* read() will tell */
	return ready;
}

/* Read and handle one chunk from the connection. */
static enum watch_stop read_chunk(struct watch_session *session, struct watch_reader *reader,
				  int fd)
{
	size_t room = WATCH_LINE_MAX_BYTES - reader->used;
	ssize_t n = read(fd, reader->buffer + reader->used,
			 room < WATCH_READ_BYTES ? room : WATCH_READ_BYTES);

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return WATCH_GO_ON;
	if (n < 0) {
		fprintf(stderr, "cadmon-watch: read from %s: %s\n", session->options->address,
			strerror(errno));
		return WATCH_STOP_ERROR;
	}
	if (n == 0) {
		if (reader->used > 0 && !reader->skipping_long_line) {
			warn("connection closed in the middle of a line");
			reader->buffer[reader->used] = '\0';
			handle_line(session, reader->buffer, reader->used);
		}
		return WATCH_STOP_EOF;
	}
	reader->used += (size_t)n;
	return take_lines(session, reader);
}

static enum watch_stop watch_connection(struct watch_session *session, int fd)
{
	struct watch_reader reader = { .buffer = malloc(WATCH_LINE_MAX_BYTES + 1) };
	enum watch_stop stop = WATCH_GO_ON;
	double last_line_at = monotonic_seconds();

	if (!reader.buffer) {
		fprintf(stderr, "cadmon-watch: out of memory\n");
		return WATCH_STOP_ERROR;
	}
	while (stop == WATCH_GO_ON) {
		int ready = wait_readable(fd, session->options->idle_exit_seconds, last_line_at);
		if (ready == 0)
			break; /* idle */
		if (ready < 0) {
			fprintf(stderr, "cadmon-watch: poll: %s\n", strerror(errno));
			stop = WATCH_STOP_ERROR;
			break;
		}
		unsigned long lines_before = session->lines;
		stop = read_chunk(session, &reader, fd);
		if (session->lines != lines_before)
			last_line_at = monotonic_seconds();
	}
	free(reader.buffer);
	return stop == WATCH_GO_ON ? WATCH_STOP_OK : stop;
}

/* Ask for the alerts after seq: the first line a subscriber sends (docs/protocol.md). */
static bool send_since(int fd, long long seq)
{
	char line[64];
	int len = snprintf(line, sizeof(line), "{\"since\":%lld}\n", seq);

	return write(fd, line, (size_t)len) == len;
}

/* Connect, ask to resume where the last connection stopped (or at --since), and watch. */
static enum watch_stop watch_once(struct watch_session *session, bool resuming)
{
	const struct watch_options *options = session->options;
	long long since = resuming && session->last_seq > 0 ? session->last_seq : options->since;
	char why[NET_WHY_MAX];
	int fd = net_connect_retry(options->address, options->connect_timeout_seconds, why, sizeof(why));
	enum watch_stop stop;

	if (fd < 0) {
		fprintf(stderr, "cadmon-watch: %s\n", why);
		return WATCH_STOP_ERROR;
	}
	if (since >= 0 && !send_since(fd, since)) {
		fprintf(stderr, "cadmon-watch: write to %s: %s\n", options->address, strerror(errno));
		close(fd);
		return WATCH_STOP_ERROR;
	}
	stop = watch_connection(session, fd);
	close(fd);
	return stop;
}

/* Watch until --count, --idle-exit or the end of the stream; with --reconnect, a stream
 * that ends or breaks is resumed after the last alert shown. Returns the exit status. */
static int watch_until_done(struct watch_session *session)
{
	bool resuming = false;

	for (;;) {
		enum watch_stop stop = watch_once(session, resuming);
		if (stop == WATCH_STOP_OK || (stop == WATCH_STOP_EOF && !session->options->reconnect))
			return 0;
		if (!session->options->reconnect || (stop == WATCH_STOP_ERROR && !resuming && session->lines == 0))
			return stop == WATCH_STOP_EOF ? 0 : 1;
		fprintf(stderr, "cadmon-watch: stream ended; reconnecting to resume after alert %lld\n",
			(long long)session->last_seq);
		resuming = true;
	}
}

/* ---- options and main -------------------------------------------------------------------- */

static void print_usage(FILE *out)
{
	fputs("usage: cadmon-watch [--connect HOST:PORT] [--raw] [--count N] [--idle-exit SECONDS]\n"
	      "                    [--timeout SECONDS] [--since SEQ] [--reconnect]\n"
	      "Show cadmond's alerts as a supervisor's console.\n"
	      "\n"
	      "  --connect HOST:PORT  the alert port (" WATCH_DEFAULT_ADDRESS ")\n"
	      "  --raw                print the lines exactly as received\n"
	      "  --count N            exit after N alert notices (the board's \"open\" lines not counted)\n"
	      "  --idle-exit SECONDS  exit after SECONDS without a line\n"
	      "  --timeout SECONDS    keep trying to connect this long (5)\n"
	      "  --since SEQ          first ask for every journaled alert after SEQ (0: all)\n"
	      "  --reconnect          when the stream ends, reconnect and resume after the last\n"
	      "                       alert shown, so nothing raised meanwhile is missed\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Exit status: 0 at end of stream, after --count alerts or when idle; 1 when the\n"
	      "connection fails; 2 on bad usage.\n",
	      out);
}

__attribute__((format(printf, 1, 2)))
static int usage_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("cadmon-watch: ", stderr);
	vfprintf(stderr, format, args);
	fputs("\nTry 'cadmon-watch -h' for help.\n", stderr);
	va_end(args);
	return WATCH_EXIT_USAGE;
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
		return usage_error("--%s: expected seconds %s %g and at most 1000000, got \"%s\"", option,
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
		return usage_error("--count: expected a positive integer, got \"%s\"", text);
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
		return usage_error("--since needs an alert seq, 0 or more, not \"%s\"", text);
	return 0;
}

static int parse_connect(struct watch_options *options, const char *text)
{
	char host[NET_HOST_MAX], port[NET_PORT_MAX];

	if (net_split_host_port(text, host, sizeof(host), port, sizeof(port)) != 0)
		return usage_error("--connect: expected HOST:PORT or [V6]:PORT, got \"%s\"", text);
	options->address = text;
	return 0;
}

enum { OPT_CONNECT = 256, OPT_RAW, OPT_COUNT, OPT_IDLE_EXIT, OPT_TIMEOUT, OPT_SINCE, OPT_RECONNECT };

static const struct option long_options[] = {
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "idle-exit", required_argument, NULL, OPT_IDLE_EXIT },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "reconnect", no_argument, NULL, OPT_RECONNECT },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int apply_option(struct watch_options *options, int option, const char *value)
{
	switch (option) {
	case OPT_CONNECT:
		return parse_connect(options, value);
	case OPT_RAW:
		options->raw = true;
		return 0;
	case OPT_COUNT:
		return parse_count(value, &options->count);
	case OPT_IDLE_EXIT:
		return parse_seconds("idle-exit", value, 0, true, &options->idle_exit_seconds);
	case OPT_TIMEOUT:
		return parse_seconds("timeout", value, 0, false, &options->connect_timeout_seconds);
	case OPT_SINCE:
		return parse_since(value, &options->since);
	case OPT_RECONNECT:
		options->reconnect = true;
		return 0;
	default:
		return WATCH_EXIT_USAGE;
	}
}

/* Fill *options from argv; -1 to go on, or an exit status (0 after -h, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct watch_options *options)
{
	int option;

	*options = (struct watch_options){
		.address = WATCH_DEFAULT_ADDRESS,
		.connect_timeout_seconds = WATCH_DEFAULT_CONNECT_SECONDS,
		.since = -1,
	};
	opterr = 0;
	while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (option == 'h') {
			print_usage(stdout);
			return 0;
		}
		if (option == ':')
			return usage_error("option \"%s\" needs a value", argv[optind - 1]);
		if (option == '?')
			return usage_error("unknown option \"%s\"", argv[optind - 1]);
		int rc = apply_option(options, option, optarg);
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	return -1;
}

int main(int argc, char **argv)
{
	struct watch_options options;
	int status = parse_options(argc, argv, &options);

	if (status >= 0)
		return status;
	struct watch_session session = { .options = &options, .tokener = json_tokener_new() };
	if (!session.tokener) {
		fprintf(stderr, "cadmon-watch: out of memory\n");
		return 1;
	}
	status = watch_until_done(&session);
	json_tokener_free(session.tokener);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cadmon-watch: write to stdout: %s\n", strerror(errno));
		status = 1;
	}
	return status;
}
