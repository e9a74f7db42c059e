/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-sim: simulate a 911 center's shift and write it as feed protocol v1 (NDJSON), to
 * stdout or straight to a cadmond feed port, as fast as possible or paced in event time.
 *
 * The scenario comes from the options (optionally starting from a --scenario preset); the
 * generator (tools/sim.c) builds the whole shift first, then its events are written in ts
 * order. The output depends only on the options: a seed gives the same bytes everywhere.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "net.h"
#include "sim.h"
#include "timestamp.h"

#define SIM_OUTPUT_BUFFER_BYTES 65536
#define SIM_CONNECT_SECONDS 5
#define SIM_DRAIN_SECONDS 2             /* wait for the daemon to close after our EOF */
#define SIM_EXIT_USAGE 2
#define MS_PER_SECOND 1000.0
#define CLASSIC_ONSET_HOURS 3.0         /* the single form's defaults without a misbehaver */
#define CLASSIC_HANGUP_SHARE 0.33
#define STORM_DEFAULT_HOURS 1.0

/* ---- output: stdout or a feed socket, buffered, optionally paced ------------------------- */

struct output_sink {
	int fd;
	bool is_socket;
	struct net_tls_link *tls; /* --ca: over the socket */
	const char *name; /* for messages: "stdout" or "HOST:PORT" */
	size_t used;
	char buffer[SIM_OUTPUT_BUFFER_BYTES];
};

static int output_flush(struct output_sink *out)
{
	size_t done = 0;

	while (done < out->used) {
		if (out->tls) {
			if (net_tls_write(out->tls, out->buffer, out->used) != 0) {
				fprintf(stderr, "cadmon-sim: write to %s: %s\n", out->name,
					net_tls_error(out->tls));
				return -1;
			}
			break;
		}
		ssize_t n = out->is_socket
			? send(out->fd, out->buffer + done, out->used - done, MSG_NOSIGNAL)
			: write(out->fd, out->buffer + done, out->used - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "cadmon-sim: write to %s: %s\n", out->name,
				n < 0 ? strerror(errno) : "nothing written");
			return -1;
		}
		done += (size_t)n;
	}
	out->used = 0;
	return 0;
}

static int output_append(struct output_sink *out, const char *data, size_t len)
{
	if (out->used + len > sizeof(out->buffer) && output_flush(out) != 0)
		return -1;
	memcpy(out->buffer + out->used, data, len);
	out->used += len;
	return 0;
}

/* Wall-clock pacing: event time advances `speed` seconds per wall second from the shift start. */
struct output_pace {
	double speed; /* 0: as fast as possible */
	int64_t origin_ms;
	struct timespec wall_origin;
};

static double seconds_since(const struct timespec *origin)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - origin->tv_sec) +
	       (double)(now.tv_nsec - origin->tv_nsec) / 1e9;
}

/* Sleep until the event at ts_ms is due, flushing what is buffered first. */
static int pace_until(const struct output_pace *pace, int64_t ts_ms, struct output_sink *out)
{
	if (pace->speed <= 0)
		return 0;
	double due_seconds = (double)(ts_ms - pace->origin_ms) / MS_PER_SECOND / pace->speed;
	double wait_seconds = due_seconds - seconds_since(&pace->wall_origin);
	if (wait_seconds <= 0)
		return 0;
	if (output_flush(out) != 0)
		return -1;
	struct timespec wait = {
		.tv_sec = (time_t)wait_seconds,
		.tv_nsec = (long)((wait_seconds - (double)(time_t)wait_seconds) * 1e9),
	};
	while (nanosleep(&wait, &wait) != 0 && errno == EINTR)
		;
	return 0;
}

/* Every event of the shift as a line, paced when asked. */
static int emit_events(const struct sim_scenario *scenario, const struct sim_shift *shift,
		       double speed, struct output_sink *out)
{
	struct output_pace pace = { .speed = speed, .origin_ms = scenario->start_ms };
	char line[SIM_LINE_MAX];

	clock_gettime(CLOCK_MONOTONIC, &pace.wall_origin);
	for (size_t i = 0; i < shift->event_count; i++) {
		if (pace_until(&pace, shift->events[i].ts_ms, out) != 0)
			return -1;
		size_t len = sim_format_event(scenario, shift, i, line);
		if (output_append(out, line, len) != 0)
			return -1;
	}
	return output_flush(out);
}


/* After our last line: send EOF (TLS: close_notify first), then give the daemon a moment to
 * read it all and close. */
static void finish_feed(struct output_sink *out)
{
	int fd = out->fd;
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char discard[512];

	net_tls_close(out->tls);
	out->tls = NULL;
	shutdown(fd, SHUT_WR);
	while (poll(&pfd, 1, SIM_DRAIN_SECONDS * 1000) > 0 &&
	       read(fd, discard, sizeof(discard)) > 0)
		;
}

/* ---- options ----------------------------------------------------------------------------- */

struct sim_options {
	struct sim_scenario scenario;
	const char *preset;          /* --scenario NAME; NULL: the classic shift */
	bool storm_from_preset;
	/* The single misbehaving operator: --bad-operator, --onset-hours, --hangup-share. */
	long bad_operator;           /* operator number 1.., or -1 for none */
	bool bad_operator_given;
	bool single_form_given;      /* any of the three */
	double onset_hours;
	double hangup_share;
	struct sim_misconduct bad[SIM_MAX_MISCONDUCT]; /* --bad, in order */
	size_t bad_count;
	bool storm_start_given;
	bool storm_detail_given;     /* --storm-hours, --storm-share or --storm-volume */
	double speed;                /* 0: as fast as possible */
	const char *connect;         /* NULL: stdout */
	const char *source;          /* --source: the hello's source; NULL: no hello */
	struct net_tls_options tls;  /* --ca, --cert, --key */
	const char *truth_path;      /* NULL: none */
};

/* The single form's defaults: the scenario's first misbehaving operator, if any. */
static void set_single_form_defaults(struct sim_options *options)
{
	const struct sim_scenario *scenario = &options->scenario;
	const struct sim_misconduct *first =
		scenario->misconduct_count ? &scenario->misconduct[0] : NULL;

	options->bad_operator = first ? (long)first->operator_index + 1 : -1;
	options->onset_hours = first ? first->onset_hours : CLASSIC_ONSET_HOURS;
	options->hangup_share = first ? first->hangup_share : CLASSIC_HANGUP_SHARE;
	options->storm_from_preset = scenario->storm.hours > 0;
}

static void print_presets(FILE *out)
{
	const char *name;

	for (size_t i = 0; (name = sim_preset_name(i)); i++)
		fprintf(out, "  %-12s %s\n", name, sim_preset_summary(i));
}

static void print_usage(FILE *out)
{
	fputs("usage: cadmon-sim [OPTION...]\n"
	      "Simulate a 911 center's shift and write it as cadmon feed protocol v1 (NDJSON).\n"
	      "\n"
	      "  --scenario NAME       start from a preset (below); the other options adjust it\n"
	      "  --seed N              PRNG seed; same seed, same output everywhere (1)\n"
	      "  --operators N         call-takers op-01..op-N (12)\n"
	      "  --hours H             shift length (8)\n"
	      "  --start RFC3339       shift start (2026-11-29T06:00:00Z)\n"
	      "  --calls-per-hour R    answered calls per operator per hour, Poisson (10)\n"
	      "  --pocket-share P      share of pocket dials / silent lines, 2-15 s (0.10)\n"
	      "  --pocket-repeat-share P  share of pocket dials that come again from a recent\n"
	      "                        pocket dialer's number (0.25)\n"
	      "  --agency NAME         agency of every call (DEMO)\n"
	      "Misconduct:\n"
	      "  --bad-operator N      operator op-N misbehaves; -1 for none (5)\n"
	      "  --onset-hours T       the misbehaviour starts T hours into the shift (3.0)\n"
	      "  --hangup-share S      share of real calls then cut off after 3-18 s (0.33)\n"
	      "  --bad N:T:S           op-N cuts off a share S of real calls from T hours in;\n"
	      "                        repeat for several operators (instead of the three above)\n"
	      "  --redial-share R      share of cut-off callers who ring 911 again 1-5 min later\n"
	      "                        from the same number: a new, real call (0; 0.5 in presets)\n"
	      "A storm (every operator gets many short calls; not misconduct):\n"
	      "  --storm-start H       a storm begins H hours into the shift\n"
	      "  --storm-hours D       it lasts D hours (1)\n"
	      "  --storm-share S       share of its calls that are 2-15 s calls the operator\n"
	      "                        ends with nothing to do (0.35)\n"
	      "  --storm-volume F      call volume during it, times the usual (1.5)\n"
	      "Output:\n"
	      "  --truth FILE          write the ground truth (NDJSON) to FILE\n"
	      "  --connect HOST:PORT   send to a cadmond feed port instead of stdout\n"
	      "  --source NAME         start with the hello {\"hello\":\"feed\",\"source\":NAME}\n"
	      "  --ca FILE             with --connect: TLS, trusting the CAs in FILE (PEM); the\n"
	      "                        server's certificate must name the HOST of --connect\n"
	      "  --cert FILE           with --ca: present this client certificate (PEM), whose CN\n"
	      "  --key FILE            or DNS name is the --source; and its private key (PEM)\n"
	      "  --speed X             pace output: X event seconds per wall second\n"
	      "                        (default: as fast as possible)\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Scenarios for --scenario (in each, half the cut-off callers redial):\n",
	      out);
	print_presets(out);
	fputs("Without --scenario: one-bad without redials, the classic shift.\n"
	      "\n"
	      "Real calls: talk lognormal (median 100 s, 25 s..30 min), 65% incident, 10% "
	      "transfer,\n"
	      "released by caller 60%, system 1%, operator 39%. 3% abandoned (caller, 1-8 s).\n"
	      "Redials: real calls, 90% with an incident, answered by an operator free at the "
	      "time.\n"
	      "Exit status: 0 done, 1 I/O error, 2 bad usage.\n",
	      out);
}

/* A decimal number in [low, high] (or (low, high] when low_open); 0 or SIM_EXIT_USAGE. */
static int parse_number(const char *option, const char *text, double low, double high,
			bool low_open, double *out)
{
	char *end;
	errno = 0;
	double value = strtod(text, &end);

	if (errno != 0 || end == text || *end != '\0' || !isfinite(value) ||
	    (low_open ? value <= low : value < low) || value > high)
		return cli_usage_error("--%s: expected a number %s %g and at most %g, got \"%s\"",
				       option, low_open ? "above" : "of at least", low, high, text);
	*out = value;
	return 0;
}

/* A decimal integer in [low, high]; 0 or SIM_EXIT_USAGE. */
static int parse_integer(const char *option, const char *text, long low, long high, long *out)
{
	char *end;
	errno = 0;
	long value = strtol(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || value < low || value > high)
		return cli_usage_error("--%s: expected an integer from %ld to %ld, got \"%s\"",
				       option, low, high, text);
	*out = value;
	return 0;
}

static int parse_seed(const char *text, uint64_t *seed)
{
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || text[0] < '0' || text[0] > '9')
		return cli_usage_error("--seed: expected an unsigned 64-bit integer, got \"%s\"",
				       text);
	*seed = (uint64_t)value;
	return 0;
}

static int parse_start(const char *text, int64_t *start_ms)
{
	const char *why = NULL;

	if (timestamp_parse_rfc3339(text, strlen(text), start_ms, &why) != 0)
		return cli_usage_error("--start: %s: \"%s\"", why ? why : "invalid timestamp",
				       text);
	return 0;
}

/* Agency names go into JSON unescaped, so keep them to a safe alphabet. */
static int parse_agency(const char *text, char agency[SIM_AGENCY_MAX + 1])
{
	size_t len = strlen(text);

	if (len == 0 || len > SIM_AGENCY_MAX || strspn(text,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
		return cli_usage_error(
			"--agency: expected 1 to %d letters, digits, '_', '.' or '-', got \"%s\"",
			SIM_AGENCY_MAX, text);
	memcpy(agency, text, len + 1);
	return 0;
}

/* A number ending at the separator `stop`; *next after it. */
static bool take_number(const char *text, char stop, double *value, const char **next)
{
	char *end;
	errno = 0;
	*value = strtod(text, &end);
	*next = end + (*end == stop && stop != '\0');
	return errno == 0 && end != text && *end == stop && isfinite(*value);
}

/* --bad OPERATOR:ONSET_HOURS:SHARE, e.g. "5:3:0.33". */
static int parse_bad(struct sim_options *options, const char *text)
{
	double number, onset_hours, share;
	const char *rest = text;

	if (!take_number(rest, ':', &number, &rest) ||
	    !take_number(rest, ':', &onset_hours, &rest) ||
	    !take_number(rest, '\0', &share, &rest) || number != floor(number) || number < 1 ||
	    number > SIM_MAX_OPERATORS || onset_hours < 0 || onset_hours > SIM_MAX_HOURS ||
	    share < 0 || share > 1)
		return cli_usage_error(
			"--bad: expected OPERATOR:ONSET_HOURS:SHARE (operator 1 to %d, "
			"share 0 to 1, e.g. 5:3:0.33), got \"%s\"",
			SIM_MAX_OPERATORS, text);
	if (options->bad_count == SIM_MAX_MISCONDUCT)
		return cli_usage_error("--bad: at most %d misbehaving operators",
				       SIM_MAX_MISCONDUCT);
	options->bad[options->bad_count++] = (struct sim_misconduct){
		.operator_index = (unsigned)number - 1,
		.onset_hours = onset_hours,
		.hangup_share = share,
		.min_talk_seconds = SIM_CUT_OFF_MIN_SECONDS,
		.max_talk_seconds = SIM_CUT_OFF_MAX_SECONDS,
	};
	return 0;
}

static int parse_connect(struct sim_options *options, const char *text)
{
	char host[NET_HOST_MAX], port[NET_PORT_MAX];

	if (net_split_host_port(text, host, sizeof(host), port, sizeof(port)) != 0)
		return cli_usage_error("--connect: expected HOST:PORT (or [V6]:PORT), PORT from 1 "
				       "to 65535, got \"%s\"",
				       text);
	options->connect = text;
	return 0;
}

/* --source: a name a hello can carry, by the daemon's own rule (event_source_check: 1 to 64
 * bytes, no control characters); quotes and backslashes are escaped in the hello. */
static int parse_source(struct sim_options *options, const char *text)
{
	if (event_source_check(text, strlen(text), NULL, 0) != EVENT_OK)
		return cli_usage_error("--source: expected 1 to %d bytes without control "
				       "characters, got \"%s\"",
				       EVENT_SOURCE_MAX, text);
	options->source = text;
	return 0;
}

/* --storm-start: a storm from H hours in, an hour long unless --storm-hours says otherwise. */
static int parse_storm_start(struct sim_options *options, const char *text)
{
	struct sim_storm *storm = &options->scenario.storm;

	options->storm_start_given = true;
	if (storm->hours == 0)
		storm->hours = STORM_DEFAULT_HOURS;
	return parse_number("storm-start", text, 0, SIM_MAX_HOURS, false, &storm->start_hours);
}

enum {
	OPT_SEED = 256,
	OPT_OPERATORS,
	OPT_HOURS,
	OPT_START,
	OPT_CALLS_PER_HOUR,
	OPT_POCKET_SHARE,
	OPT_AGENCY,
	OPT_BAD_OPERATOR,
	OPT_ONSET_HOURS,
	OPT_HANGUP_SHARE,
	OPT_TRUTH,
	OPT_CONNECT,
	OPT_SPEED,
	OPT_SCENARIO,
	OPT_BAD,
	OPT_REDIAL_SHARE,
	OPT_POCKET_REPEAT_SHARE,
	OPT_STORM_START,
	OPT_STORM_HOURS,
	OPT_STORM_SHARE,
	OPT_STORM_VOLUME,
	OPT_SOURCE,
};

static const struct option long_options[] = {
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "operators", required_argument, NULL, OPT_OPERATORS },
	{ "hours", required_argument, NULL, OPT_HOURS },
	{ "start", required_argument, NULL, OPT_START },
	{ "calls-per-hour", required_argument, NULL, OPT_CALLS_PER_HOUR },
	{ "pocket-share", required_argument, NULL, OPT_POCKET_SHARE },
	{ "agency", required_argument, NULL, OPT_AGENCY },
	{ "bad-operator", required_argument, NULL, OPT_BAD_OPERATOR },
	{ "onset-hours", required_argument, NULL, OPT_ONSET_HOURS },
	{ "hangup-share", required_argument, NULL, OPT_HANGUP_SHARE },
	{ "truth", required_argument, NULL, OPT_TRUTH },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "source", required_argument, NULL, OPT_SOURCE },
	NET_TLS_LONG_OPTIONS,
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "scenario", required_argument, NULL, OPT_SCENARIO },
	{ "bad", required_argument, NULL, OPT_BAD },
	{ "redial-share", required_argument, NULL, OPT_REDIAL_SHARE },
	{ "pocket-repeat-share", required_argument, NULL, OPT_POCKET_REPEAT_SHARE },
	{ "storm-start", required_argument, NULL, OPT_STORM_START },
	{ "storm-hours", required_argument, NULL, OPT_STORM_HOURS },
	{ "storm-share", required_argument, NULL, OPT_STORM_SHARE },
	{ "storm-volume", required_argument, NULL, OPT_STORM_VOLUME },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Options of the single misbehaving operator and of misconduct; 0 or SIM_EXIT_USAGE. */
static int apply_misconduct_option(struct sim_options *options, int option, const char *value)
{
	switch (option) {
	case OPT_BAD_OPERATOR:
		options->bad_operator_given = options->single_form_given = true;
		return parse_integer("bad-operator", value, -1, SIM_MAX_OPERATORS,
				     &options->bad_operator);
	case OPT_ONSET_HOURS:
		options->single_form_given = true;
		return parse_number("onset-hours", value, 0, SIM_MAX_HOURS, false,
				    &options->onset_hours);
	case OPT_HANGUP_SHARE:
		options->single_form_given = true;
		return parse_number("hangup-share", value, 0, 1, false, &options->hangup_share);
	case OPT_BAD:
		return parse_bad(options, value);
	case OPT_REDIAL_SHARE:
		return parse_number("redial-share", value, 0, 1, false,
				    &options->scenario.redial.share);
	default:
		return SIM_EXIT_USAGE;
	}
}

/* Options of the storm; 0 or SIM_EXIT_USAGE. */
static int apply_storm_option(struct sim_options *options, int option, const char *value)
{
	struct sim_storm *storm = &options->scenario.storm;

	if (option == OPT_STORM_START)
		return parse_storm_start(options, value);
	options->storm_detail_given = true;
	switch (option) {
	case OPT_STORM_HOURS:
		return parse_number("storm-hours", value, 0, SIM_MAX_HOURS, true, &storm->hours);
	case OPT_STORM_SHARE:
		return parse_number("storm-share", value, 0, 1, false, &storm->short_share);
	case OPT_STORM_VOLUME:
		return parse_number("storm-volume", value, 1, SIM_MAX_STORM_VOLUME, false,
				    &storm->volume_factor);
	default:
		return SIM_EXIT_USAGE;
	}
}

/* Apply one option with its value; 0 or SIM_EXIT_USAGE. */
static int apply_option(struct sim_options *options, int option, const char *value)
{
	struct sim_scenario *scenario = &options->scenario;
	long number = 0;
	int rc;

	switch (option) {
	case OPT_SCENARIO:
		return 0; /* applied before every other option */
	case OPT_SEED:
		return parse_seed(value, &scenario->seed);
	case OPT_OPERATORS:
		rc = parse_integer("operators", value, 1, SIM_MAX_OPERATORS, &number);
		if (rc == 0)
			scenario->operator_count = (unsigned)number;
		return rc;
	case OPT_HOURS:
		return parse_number("hours", value, 0, SIM_MAX_HOURS, true, &scenario->shift_hours);
	case OPT_START:
		return parse_start(value, &scenario->start_ms);
	case OPT_CALLS_PER_HOUR:
		return parse_number("calls-per-hour", value, 0, SIM_MAX_CALLS_PER_HOUR, true,
				    &scenario->calls_per_hour);
	case OPT_POCKET_SHARE:
		return parse_number("pocket-share", value, 0, 1 - scenario->abandoned.share, false,
				    &scenario->pocket.share);
	case OPT_POCKET_REPEAT_SHARE:
		return parse_number("pocket-repeat-share", value, 0, 1, false,
				    &scenario->pocket.repeat_share);
	case OPT_AGENCY:
		return parse_agency(value, scenario->agency);
	case OPT_TRUTH:
		options->truth_path = value;
		return 0;
	case OPT_CONNECT:
		return parse_connect(options, value);
	case OPT_SOURCE:
		return parse_source(options, value);
	case NET_TLS_OPT_CA: case NET_TLS_OPT_CERT: case NET_TLS_OPT_KEY:
		net_tls_take_option(&options->tls, option, value);
		return 0;
	case OPT_SPEED:
		return parse_number("speed", value, 0, 1e9, true, &options->speed);
	case OPT_STORM_START: case OPT_STORM_HOURS: case OPT_STORM_SHARE: case OPT_STORM_VOLUME:
		return apply_storm_option(options, option, value);
	default:
		return apply_misconduct_option(options, option, value);
	}
}

/* A preset's misbehaving operators must exist and start within the shift. */
static int check_preset_misconduct(const struct sim_options *options)
{
	const struct sim_scenario *scenario = &options->scenario;

	for (size_t i = 0; i < scenario->misconduct_count; i++) {
		const struct sim_misconduct *m = &scenario->misconduct[i];
		if (m->operator_index >= scenario->operator_count)
			return cli_usage_error("--scenario %s: op-%02u is beyond --operators %u; "
					   "give --bad or --bad-operator -1", options->preset,
					   m->operator_index + 1, scenario->operator_count);
		if (m->onset_hours > scenario->shift_hours)
			return cli_usage_error(
				"--scenario %s: op-%02u's onset %g h is after the end of "
				"the %g-hour shift",
				options->preset, m->operator_index + 1, m->onset_hours,
				scenario->shift_hours);
	}
	return 0;
}

/* --bad-operator, --onset-hours, --hangup-share: one misbehaving operator (or none) in place
 * of the scenario's. Without --scenario they always apply: they are the classic shift's. */
static int apply_single_form(struct sim_options *options)
{
	struct sim_scenario *scenario = &options->scenario;
	bool bad_operator_exists =
		options->bad_operator == -1 ||
		(options->bad_operator >= 1 &&
		 (unsigned long)options->bad_operator <= scenario->operator_count);

	if (options->preset && !options->single_form_given)
		return check_preset_misconduct(options);
	if (!bad_operator_exists && options->bad_operator_given)
		return cli_usage_error("--bad-operator: expected an operator number from 1 to %u, "
				   "or -1 for none, got %ld", scenario->operator_count,
				   options->bad_operator);
	if (!bad_operator_exists)
		return cli_usage_error(
			"--bad-operator: the default, op-%02ld, is beyond --operators %u; "
			"give --bad-operator N or -1",
			options->bad_operator, scenario->operator_count);
	if (options->bad_operator > 0 && options->onset_hours > scenario->shift_hours)
		return cli_usage_error("--onset-hours: %g is after the end of the %g-hour shift",
				   options->onset_hours, scenario->shift_hours);
	scenario->misconduct_count = 0;
	if (options->bad_operator > 0) {
		scenario->misconduct[scenario->misconduct_count++] = (struct sim_misconduct){
			.operator_index = (unsigned)(options->bad_operator - 1),
			.onset_hours = options->onset_hours,
			.hangup_share = options->hangup_share,
			.min_talk_seconds = SIM_CUT_OFF_MIN_SECONDS,
			.max_talk_seconds = SIM_CUT_OFF_MAX_SECONDS,
		};
	}
	return 0;
}

/* --bad, repeated: the scenario's misbehaving operators, in the order given. */
static int apply_bad_list(struct sim_options *options)
{
	struct sim_scenario *scenario = &options->scenario;

	if (options->single_form_given)
		return cli_usage_error(
			"--bad: cannot be combined with --bad-operator, --onset-hours "
			"or --hangup-share");
	for (size_t i = 0; i < options->bad_count; i++) {
		const struct sim_misconduct *m = &options->bad[i];
		unsigned number = m->operator_index + 1;
		if (m->operator_index >= scenario->operator_count)
			return cli_usage_error("--bad: op-%02u is beyond --operators %u", number,
					   scenario->operator_count);
		if (m->onset_hours > scenario->shift_hours)
			return cli_usage_error(
				"--bad: op-%02u's onset %g h is after the end of the "
				"%g-hour shift",
				number, m->onset_hours, scenario->shift_hours);
		for (size_t j = 0; j < i; j++)
			if (options->bad[j].operator_index == m->operator_index)
				return cli_usage_error("--bad: op-%02u is given twice", number);
		scenario->misconduct[i] = *m;
	}
	scenario->misconduct_count = options->bad_count;
	return 0;
}

/* Cross-option checks, then the whole scenario's. */
static int finish_options(struct sim_options *options)
{
	char why[SIM_WHY_MAX];
	int rc = options->bad_count > 0 ? apply_bad_list(options) : apply_single_form(options);

	if (rc != 0)
		return rc;
	if (options->storm_detail_given && !options->storm_start_given &&
	    !options->storm_from_preset)
		return cli_usage_error(
			"--storm-hours, --storm-share and --storm-volume need a storm: "
			"give --storm-start H or a storm --scenario");
	if (sim_scenario_check(&options->scenario, why, sizeof(why)) != 0)
		return cli_usage_error("%s", why);
	if (net_tls_options_problem(&options->tls))
		return cli_usage_error("%s", net_tls_options_problem(&options->tls));
	if (options->tls.ca && !options->connect)
		return cli_usage_error("--ca goes with --connect");
	return 0;
}

/* "baseline, one-bad, ..." into out. */
static void list_presets(char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; sim_preset_name(i) && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "",
					 sim_preset_name(i));
}

/* --scenario goes first, wherever it is: it is what the other options adjust. Everything
 * else, errors included, is left to the second pass. */
static int apply_preset(int argc, char **argv, struct sim_options *options)
{
	char names[256];
	int option;

	while ((option = getopt_long(argc, argv, ":h", long_options, NULL)) != -1) {
		if (option != OPT_SCENARIO)
			continue;
		options->preset = optarg;
		if (sim_scenario_preset(&options->scenario, optarg) != 0) {
			list_presets(names, sizeof(names));
			return cli_usage_error("--scenario: expected one of %s, got \"%s\"", names,
					       optarg);
		}
	}
	return 0;
}

/* Fill *options from argv; -1 to go on, or an exit status (0 after -h, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct sim_options *options)
{
	int option;

	*options = (struct sim_options){ 0 };
	sim_scenario_defaults(&options->scenario);
	opterr = 0;
	if (apply_preset(argc, argv, options) != 0)
		return SIM_EXIT_USAGE;
	set_single_form_defaults(options);
	optind = 0; /* a second pass over argv (glibc and musl: 0 restarts getopt fully) */
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
	return finish_options(options) == 0 ? -1 : SIM_EXIT_USAGE;
}

/* ---- main -------------------------------------------------------------------------------- */

/* The ground truth into --truth FILE; 0 or -1 (reported). */
static int write_truth_file(const char *path, const struct sim_scenario *scenario,
			    const struct sim_shift *shift)
{
	FILE *file = fopen(path, "w");

	if (!file) {
		fprintf(stderr, "cadmon-sim: --truth %s: %s\n", path, strerror(errno));
		return -1;
	}
	int written = sim_write_truth(file, scenario, shift);
	if (fclose(file) != 0 || written != 0) {
		fprintf(stderr, "cadmon-sim: --truth %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* --connect: the feed socket, over TLS with --ca. 0, or -1 with why set. */
static int connect_feed(const struct sim_options *options, struct output_sink *out, char *why,
			size_t why_size)
{
	struct net_tls *tls = NULL;
	struct net_stream stream = { .fd = -1 };

	if (options->tls.ca && !(tls = net_tls_new(&options->tls, why, why_size)))
		return -1;
	stream.fd = net_connect_retry(options->connect, SIM_CONNECT_SECONDS, why, why_size);
	if (stream.fd >= 0 && net_stream_start_tls(&stream, tls, options->connect,
						   SIM_CONNECT_SECONDS, why, why_size) != 0)
		net_stream_close(&stream);
	net_tls_free(tls); /* the link keeps what it needs */
	if (stream.fd < 0)
		return -1;
	out->fd = stream.fd;
	out->tls = stream.tls;
	out->is_socket = true;
	out->name = options->connect;
	return 0;
}

/* --source: the hello line first ('"' and '\\' escaped: the name has no control characters).
 * 0 or -1. */
static int emit_hello(const struct sim_options *options, struct output_sink *out)
{
	static const char head[] = "{\"hello\":\"feed\",\"source\":\"";
	char line[sizeof(head) + 2 * EVENT_SOURCE_MAX + 4];
	size_t len = sizeof(head) - 1;

	if (!options->source)
		return 0;
	memcpy(line, head, len);
	for (const char *c = options->source; *c; c++) {
		if (*c == '"' || *c == '\\')
			line[len++] = '\\';
		line[len++] = *c;
	}
	memcpy(line + len, "\"}\n", 3);
	return output_append(out, line, len + 3);
}

/* Write the events to stdout or the feed port; 0 or 1. */
static int send_shift(const struct sim_options *options, const struct sim_shift *shift)
{
	static struct output_sink out;
	char why[NET_WHY_MAX];
	int rc;

	out = (struct output_sink){ .fd = STDOUT_FILENO, .name = "stdout" };
	if (options->connect && connect_feed(options, &out, why, sizeof(why)) != 0) {
		fprintf(stderr, "cadmon-sim: %s\n", why);
		return 1;
	}
	rc = emit_hello(options, &out);
	if (rc == 0)
		rc = emit_events(&options->scenario, shift, options->speed, &out);
	if (out.is_socket) {
		if (rc == 0)
			finish_feed(&out);
		net_tls_close(out.tls);
		close(out.fd);
	}
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sim_options options;
	struct sim_shift shift = { 0 };
	char why[SIM_WHY_MAX];
	int status;

	cli_set_program("cadmon-sim");
	status = parse_options(argc, argv, &options);
	if (status >= 0)
		return status;
	status = 1;
	if (sim_shift_generate(&options.scenario, &shift, why, sizeof(why)) != 0)
		fprintf(stderr, "cadmon-sim: %s\n", why);
	else if (!options.truth_path ||
		 write_truth_file(options.truth_path, &options.scenario, &shift) == 0)
		status = send_shift(&options, &shift);
	sim_shift_free(&shift);
	return status;
}
