/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * cadmon-sim: simulate a 911 center's shift and write it as feed protocol v1 (NDJSON), to
 * stdout or straight to a cadmond feed port, as fast as possible or paced in event time.
 *
 * The whole shift is generated first (calls per operator, then callers' numbers), then its
 * events are sorted by ts and written. Memory is proportional to the shift (about 160 bytes a
 * call) and capped at SIM_MAX_CALLS calls. The output depends only on the options: the PRNG
 * (xoshiro256** seeded by splitmix64), the samplers and even log/exp are implemented here with
 * IEEE-exact arithmetic, so a seed gives the same bytes on every platform.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netdb.h>
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

#include "timestamp.h"

#define SIM_MAX_OPERATORS 999
#define SIM_MAX_HOURS 168.0
#define SIM_MAX_CALLS_PER_HOUR 120.0
#define SIM_MAX_CALLS 1000000u          /* memory bound: ~160 bytes a call, 160 MB at most */
#define SIM_MAX_MISCONDUCT 16           /* misbehaving operators a scenario can hold */
#define SIM_AGENCY_MAX 32
#define SIM_ANI_DIGITS 10
#define SIM_POCKET_RING 8               /* recent pocket-dial numbers that may dial again */
#define SIM_LINE_MAX 512                /* longest feed line we write, with room to spare */
#define SIM_OUTPUT_BUFFER_BYTES 65536
#define SIM_CONNECT_SECONDS 5
#define SIM_DRAIN_SECONDS 2             /* wait for the daemon to close after our EOF */
#define SIM_EXIT_USAGE 2

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS_PER_SECOND 1000.0
#define MS_PER_HOUR 3600000.0
#define SIM_LN2 0.6931471805599453
#define SIM_LN2_HIGH 6.93147180369123816490e-01 /* ln 2 split so that k * high is exact */
#define SIM_LN2_LOW 1.90821492927058770002e-10
#define SIM_SQRT_HALF 0.7071067811865476

/* ---- the model --------------------------------------------------------------------------- */

/* An operator who, from onset on, hangs up early on a share of real calls. */
struct sim_misconduct {
	unsigned operator_index; /* 0-based: operator_index 4 is "op-05" */
	double onset_hours;      /* from the start of the shift */
	double hangup_share;     /* of real calls after onset */
	double min_talk_seconds; /* how long the caller gets before being cut off */
	double max_talk_seconds;
};

/* Every parameter of a simulated shift. Options fill it; generation only reads it. */
struct sim_scenario {
	uint64_t seed;
	char agency[SIM_AGENCY_MAX + 1];
	unsigned operator_count;
	int64_t start_ms;
	double shift_hours;
	double calls_per_hour;          /* per operator: Poisson arrivals, queued while busy */
	double wrapup_min_seconds;      /* after-call work before the next call is answered */
	double wrapup_max_seconds;
	struct {
		double median_seconds;  /* real calls: lognormal talk time */
		double sigma;           /* of ln(talk time) */
		double min_seconds;
		double max_seconds;
		double incident_share;
		double transfer_share;
		double caller_release_share;
		double system_release_share; /* the rest are released by the operator */
	} real;
	struct {
		double share;           /* pocket dials and silent lines */
		double min_seconds;
		double max_seconds;
		double repeat_share;    /* comes again from a recent pocket dialer's number */
	} pocket;
	struct {
		double share;           /* caller hangs up within seconds */
		double min_seconds;
		double max_seconds;
	} abandoned;
	double ani_missing_share;       /* calls that arrive without a callback number */
	struct sim_misconduct misconduct[SIM_MAX_MISCONDUCT];
	size_t misconduct_count;
};

/* ---- deterministic randomness ------------------------------------------------------------ */

/* xoshiro256** state; one independent stream per purpose so streams do not perturb each other. */
struct sim_rng {
	uint64_t s[4];
};

enum {
	SIM_STREAM_OPERATOR = 0,        /* + operator index: arrivals and call outcomes */
	SIM_STREAM_MISCONDUCT = 1 << 20, /* + operator index: which calls get cut off */
	SIM_STREAM_CALLERS = 1 << 21,   /* callers' numbers */
};

static uint64_t splitmix64_next(uint64_t *state)
{
	uint64_t z = (*state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* Seed stream number `stream` of `seed`: distinct streams of one seed get distinct states. */
static void rng_seed(struct sim_rng *rng, uint64_t seed, uint64_t stream)
{
	uint64_t stream_state = stream;
	uint64_t state = seed ^ splitmix64_next(&stream_state);

	for (size_t i = 0; i < 4; i++)
		rng->s[i] = splitmix64_next(&state);
}

static uint64_t rotl64(uint64_t x, int bits)
{
	return (x << bits) | (x >> (64 - bits));
}

static uint64_t rng_next(struct sim_rng *rng)
{
	uint64_t *s = rng->s;
	const uint64_t result = rotl64(s[1] * 5, 7) * 9;
	const uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return result;
}

/* Uniform in [0, 1), 53 random bits. */
static double rng_uniform(struct sim_rng *rng)
{
	return (double)(rng_next(rng) >> 11) * 0x1.0p-53;
}

static double rng_between(struct sim_rng *rng, double low, double high)
{
	return low + (high - low) * rng_uniform(rng);
}

static bool rng_chance(struct sim_rng *rng, double probability)
{
	return rng_uniform(rng) < probability;
}

/* Uniform integer in [0, count); count is small, the modulo bias negligible. */
static unsigned rng_index(struct sim_rng *rng, unsigned count)
{
	return (unsigned)(rng_next(rng) % count);
}

/*
 * Natural logarithm of x > 0 with + - * / only: libm's log may differ by an ulp between
 * platforms, this does not. x = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh(s).
 */
static double sim_log(double x)
{
	int exponent;
	double mantissa = frexp(x, &exponent);

	if (mantissa < SIM_SQRT_HALF) {
		mantissa *= 2;
		exponent--;
	}
	double s = (mantissa - 1) / (mantissa + 1); /* |s| <= 0.172 */
	double s2 = s * s;
	double series = 0;
	for (int k = 29; k >= 1; k -= 2) /* terms beyond s^29 are below 1e-20 */
		series = series * s2 + 1.0 / k;
	return 2 * s * series + exponent * SIM_LN2;
}

/* e^x with + - * / only (see sim_log): x = k ln 2 + r, |r| <= ln2 / 2, Taylor series of e^r. */
static double sim_exp(double x)
{
	if (x > 700)
		x = 700;
	if (x < -700)
		x = -700;
	double k = floor(x / SIM_LN2 + 0.5);
	double r = (x - k * SIM_LN2_HIGH) - k * SIM_LN2_LOW;
	double series = 1;
	for (int n = 18; n >= 1; n--) /* r^18 / 18! is below 1e-23 */
		series = 1 + series * r / n;
	return ldexp(series, (int)k);
}

/* Exponential with the given mean. */
static double rng_exponential(struct sim_rng *rng, double mean)
{
	return -mean * sim_log(1.0 - rng_uniform(rng));
}

/* Standard normal, Marsaglia's polar method (sqrt is exactly rounded everywhere). */
static double rng_normal(struct sim_rng *rng)
{
	double u, v, s;

	do {
		u = 2 * rng_uniform(rng) - 1;
		v = 2 * rng_uniform(rng) - 1;
		s = u * u + v * v;
	} while (s >= 1 || s == 0);
	return u * sqrt(-2 * sim_log(s) / s);
}

static double rng_lognormal(struct sim_rng *rng, double median, double sigma)
{
	return median * sim_exp(sigma * rng_normal(rng));
}

/* Milliseconds from seconds, rounded half up (non-negative input). */
static int64_t ms_from_seconds(double seconds)
{
	return (int64_t)(seconds * MS_PER_SECOND + 0.5);
}

/* ---- generating the shift ---------------------------------------------------------------- */

enum sim_call_kind {
	SIM_CALL_REAL,
	SIM_CALL_POCKET,
	SIM_CALL_ABANDONED,
	SIM_CALL_CUT_OFF, /* a real call the misbehaving operator hung up on */
};

enum sim_release {
	SIM_RELEASED_BY_OPERATOR,
	SIM_RELEASED_BY_CALLER,
	SIM_RELEASED_BY_SYSTEM,
};

static const char *const release_names[] = { "operator", "caller", "system" };
static const char *const transfer_targets[] = { "EMS", "FIRE", "EMS", "LAW" };
static const char *const area_codes[] = { "504", "985", "225", "337", "318" };

struct sim_call {
	int64_t start_ms;
	int64_t end_ms;
	int64_t incident_ms; /* -1: no incident */
	int64_t transfer_ms; /* -1: no transfer */
	uint32_t operator_index;
	uint32_t number;          /* 1.. in order of start: the call_id */
	uint32_t incident_number; /* 1.. in order of start, when incident_ms >= 0 */
	uint8_t kind;             /* enum sim_call_kind */
	uint8_t released_by;      /* enum sim_release */
	uint8_t transfer_target;  /* index into transfer_targets */
	char ani[SIM_ANI_DIGITS + 1]; /* "" when the number was not delivered */
};

struct sim_calls {
	struct sim_call *items;
	size_t count;
	size_t capacity;
};

static int calls_append(struct sim_calls *calls, const struct sim_call *call)
{
	if (calls->count == calls->capacity) {
		if (calls->capacity >= SIM_MAX_CALLS) {
			fprintf(stderr, "cadmon-sim: scenario too large: more than %u calls\n",
				SIM_MAX_CALLS);
			return -1;
		}
		size_t capacity = calls->capacity ? calls->capacity * 2 : 1024;
		if (capacity > SIM_MAX_CALLS)
			capacity = SIM_MAX_CALLS;
		struct sim_call *items = realloc(calls->items, capacity * sizeof(*items));
		if (!items) {
			fprintf(stderr, "cadmon-sim: out of memory\n");
			return -1;
		}
		calls->items = items;
		calls->capacity = capacity;
	}
	calls->items[calls->count++] = *call;
	return 0;
}

static const struct sim_misconduct *misconduct_of(const struct sim_scenario *scenario,
						   unsigned operator_index)
{
	for (size_t i = 0; i < scenario->misconduct_count; i++)
		if (scenario->misconduct[i].operator_index == operator_index)
			return &scenario->misconduct[i];
	return NULL;
}

static int64_t shift_end_ms(const struct sim_scenario *scenario)
{
	return scenario->start_ms + (int64_t)(scenario->shift_hours * MS_PER_HOUR + 0.5);
}

static int64_t onset_ms(const struct sim_scenario *scenario, const struct sim_misconduct *m)
{
	return scenario->start_ms + (int64_t)(m->onset_hours * MS_PER_HOUR + 0.5);
}

static enum sim_release draw_real_release(const struct sim_scenario *scenario, struct sim_rng *rng)
{
	double u = rng_uniform(rng);

	if (u < scenario->real.caller_release_share)
		return SIM_RELEASED_BY_CALLER;
	if (u < scenario->real.caller_release_share + scenario->real.system_release_share)
		return SIM_RELEASED_BY_SYSTEM;
	return SIM_RELEASED_BY_OPERATOR;
}

/* A real emergency: lognormal talk time, maybe an incident (early) and a transfer (late). */
static void draw_real_call(const struct sim_scenario *scenario, struct sim_rng *rng,
			   struct sim_call *call)
{
	double talk_seconds = rng_lognormal(rng, scenario->real.median_seconds, scenario->real.sigma);

	if (talk_seconds < scenario->real.min_seconds)
		talk_seconds = scenario->real.min_seconds;
	if (talk_seconds > scenario->real.max_seconds)
		talk_seconds = scenario->real.max_seconds;
	int64_t talk_ms = ms_from_seconds(talk_seconds);
	double incident_at = rng_between(rng, 0.10, 0.60);
	double transfer_at = rng_between(rng, 0.65, 0.95);

	call->kind = SIM_CALL_REAL;
	call->end_ms = call->start_ms + talk_ms;
	if (rng_chance(rng, scenario->real.incident_share))
		call->incident_ms = call->start_ms + (int64_t)(incident_at * (double)talk_ms);
	call->transfer_target = (uint8_t)rng_index(rng, ARRAY_SIZE(transfer_targets));
	if (rng_chance(rng, scenario->real.transfer_share))
		call->transfer_ms = call->start_ms + (int64_t)(transfer_at * (double)talk_ms);
	call->released_by = (uint8_t)draw_real_release(scenario, rng);
}

/* Draw one answered call's kind and outcome; call->start_ms and operator_index are set. */
static void draw_call(const struct sim_scenario *scenario, struct sim_rng *rng,
		      struct sim_call *call)
{
	double kind = rng_uniform(rng);

	call->incident_ms = -1;
	call->transfer_ms = -1;
	if (kind < scenario->pocket.share) {
		call->kind = SIM_CALL_POCKET;
		call->end_ms = call->start_ms + ms_from_seconds(rng_between(rng,
			scenario->pocket.min_seconds, scenario->pocket.max_seconds));
		call->released_by = SIM_RELEASED_BY_OPERATOR;
	} else if (kind < scenario->pocket.share + scenario->abandoned.share) {
		call->kind = SIM_CALL_ABANDONED;
		call->end_ms = call->start_ms + ms_from_seconds(rng_between(rng,
			scenario->abandoned.min_seconds, scenario->abandoned.max_seconds));
		call->released_by = SIM_RELEASED_BY_CALLER;
	} else {
		draw_real_call(scenario, rng, call);
	}
}

/* The misbehaving operator cuts a real call off: short, released by them, nothing done. */
static void cut_off_call(const struct sim_misconduct *m, struct sim_rng *rng, struct sim_call *call)
{
	call->kind = SIM_CALL_CUT_OFF;
	call->end_ms = call->start_ms + ms_from_seconds(rng_between(rng, m->min_talk_seconds,
								   m->max_talk_seconds));
	call->incident_ms = -1;
	call->transfer_ms = -1;
	call->released_by = SIM_RELEASED_BY_OPERATOR;
}

/*
 * One operator's shift. Calls arrive as a Poisson process; one that arrives while the
 * operator is on a call or in wrap-up waits (so the answered rate stays calls_per_hour).
 * Misconduct draws from its own stream, so the operator's other calls are the same with or
 * without it.
 */
static int generate_operator_calls(const struct sim_scenario *scenario, unsigned operator_index,
				   struct sim_calls *calls)
{
	const struct sim_misconduct *misconduct = misconduct_of(scenario, operator_index);
	const double mean_gap_ms = MS_PER_HOUR / scenario->calls_per_hour;
	const int64_t end_ms = shift_end_ms(scenario);
	struct sim_rng rng, misconduct_rng;
	int64_t arrival_ms = scenario->start_ms;
	int64_t available_ms = scenario->start_ms;

	rng_seed(&rng, scenario->seed, SIM_STREAM_OPERATOR + operator_index);
	rng_seed(&misconduct_rng, scenario->seed, SIM_STREAM_MISCONDUCT + operator_index);
	for (;;) {
		arrival_ms += (int64_t)(rng_exponential(&rng, mean_gap_ms) + 0.5);
		struct sim_call call = {
			.start_ms = arrival_ms > available_ms ? arrival_ms : available_ms,
			.operator_index = operator_index,
		};
		if (call.start_ms >= end_ms)
			return 0;
		draw_call(scenario, &rng, &call);
		if (misconduct && call.kind == SIM_CALL_REAL &&
		    call.start_ms >= onset_ms(scenario, misconduct) &&
		    rng_chance(&misconduct_rng, misconduct->hangup_share))
			cut_off_call(misconduct, &misconduct_rng, &call);
		if (calls_append(calls, &call) != 0)
			return -1;
		available_ms = call.end_ms + ms_from_seconds(rng_between(&rng,
			scenario->wrapup_min_seconds, scenario->wrapup_max_seconds));
	}
}

static int compare_calls_by_start(const void *a, const void *b)
{
	const struct sim_call *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	return (x->operator_index > y->operator_index) - (x->operator_index < y->operator_index);
}

static void draw_new_ani(struct sim_rng *rng, char ani[SIM_ANI_DIGITS + 1])
{
	const char *area = area_codes[rng_index(rng, ARRAY_SIZE(area_codes))];

	snprintf(ani, SIM_ANI_DIGITS + 1, "%s555%04u", area, rng_index(rng, 10000));
}

/*
 * Give calls, in start order, their numbers and callers: a fresh number from the pool
 * (area code + 555 + 4 digits), none for a few, and for some pocket dials the number of a
 * recent pocket dial again.
 */
static void assign_callers(const struct sim_scenario *scenario, struct sim_calls *calls)
{
	char recent_pocket[SIM_POCKET_RING][SIM_ANI_DIGITS + 1];
	unsigned recent_count = 0, incident_count = 0;
	struct sim_rng rng;

	rng_seed(&rng, scenario->seed, SIM_STREAM_CALLERS);
	for (size_t i = 0; i < calls->count; i++) {
		struct sim_call *call = &calls->items[i];
		bool pocket = call->kind == SIM_CALL_POCKET;

		call->number = (uint32_t)(i + 1);
		if (call->incident_ms >= 0)
			call->incident_number = ++incident_count;
		if (rng_chance(&rng, scenario->ani_missing_share)) {
			call->ani[0] = '\0';
			continue;
		}
		if (pocket && recent_count > 0 && rng_chance(&rng, scenario->pocket.repeat_share)) {
			unsigned pick = rng_index(&rng, recent_count < SIM_POCKET_RING ? recent_count : SIM_POCKET_RING);
			memcpy(call->ani, recent_pocket[pick], sizeof(call->ani));
			continue;
		}
		draw_new_ani(&rng, call->ani);
		if (pocket)
			memcpy(recent_pocket[recent_count++ % SIM_POCKET_RING], call->ani, sizeof(call->ani));
	}
}

/* The whole shift, calls sorted by start. */
static int generate_shift(const struct sim_scenario *scenario, struct sim_calls *calls)
{
	for (unsigned op = 0; op < scenario->operator_count; op++)
		if (generate_operator_calls(scenario, op, calls) != 0)
			return -1;
	if (calls->count > 0)
		qsort(calls->items, calls->count, sizeof(calls->items[0]), compare_calls_by_start);
	assign_callers(scenario, calls);
	return 0;
}

/* ---- events ------------------------------------------------------------------------------ */

enum sim_event_type {
	SIM_EVENT_CALL_START,
	SIM_EVENT_INCIDENT,
	SIM_EVENT_TRANSFER,
	SIM_EVENT_CALL_END,
};

struct sim_event {
	int64_t ts_ms;
	uint32_t call_index;
	uint32_t seq; /* creation order: breaks ties, so the sort is stable */
	uint8_t type; /* enum sim_event_type */
};

struct sim_events {
	struct sim_event *items;
	size_t count;
};

static int compare_events(const void *a, const void *b)
{
	const struct sim_event *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void events_push(struct sim_events *events, int64_t ts_ms, size_t call_index,
			enum sim_event_type type)
{
	struct sim_event *event = &events->items[events->count];

	event->ts_ms = ts_ms;
	event->call_index = (uint32_t)call_index;
	event->seq = (uint32_t)events->count;
	event->type = (uint8_t)type;
	events->count++;
}

/* Every call's events, all operators together, in ts order (stable). */
static int build_events(const struct sim_calls *calls, struct sim_events *events)
{
	events->count = 0;
	events->items = calloc(calls->count * 4 + 1, sizeof(events->items[0]));
	if (!events->items) {
		fprintf(stderr, "cadmon-sim: out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < calls->count; i++) {
		const struct sim_call *call = &calls->items[i];

		events_push(events, call->start_ms, i, SIM_EVENT_CALL_START);
		if (call->incident_ms >= 0)
			events_push(events, call->incident_ms, i, SIM_EVENT_INCIDENT);
		if (call->transfer_ms >= 0)
			events_push(events, call->transfer_ms, i, SIM_EVENT_TRANSFER);
		events_push(events, call->end_ms, i, SIM_EVENT_CALL_END);
	}
	qsort(events->items, events->count, sizeof(events->items[0]), compare_events);
	return 0;
}

static void format_call_start(const struct sim_scenario *scenario, const struct sim_call *call,
			      const char *head, char *line, size_t size)
{
	unsigned operator_number = call->operator_index + 1;

	char ani[sizeof(call->ani) + 16] = "";

	if (call->ani[0])
		snprintf(ani, sizeof(ani), ",\"ani\":\"%s\"", call->ani);
	snprintf(line, size, "%s,\"operator\":\"op-%02u\",\"agency\":\"%s\",\"position\":\"P%02u\"%s}\n",
		 head, operator_number, scenario->agency, operator_number, ani);
}

/* One protocol v1 line with its "\n"; returns its length. */
static size_t format_event(const struct sim_scenario *scenario, const struct sim_calls *calls,
			   const struct sim_event *event, char line[SIM_LINE_MAX])
{
	static const char *const type_names[] = { "call_start", "incident", "transfer", "call_end" };
	const struct sim_call *call = &calls->items[event->call_index];
	char ts[TIMESTAMP_TEXT_MAX];
	char head[160];

	timestamp_format(event->ts_ms, ts);
	snprintf(head, sizeof(head), "{\"type\":\"%s\",\"call_id\":\"%s-%06" PRIu32 "\",\"ts\":\"%s\"",
		 type_names[event->type], scenario->agency, call->number, ts);
	switch ((enum sim_event_type)event->type) {
	case SIM_EVENT_CALL_START:
		format_call_start(scenario, call, head, line, SIM_LINE_MAX);
		break;
	case SIM_EVENT_INCIDENT:
		snprintf(line, SIM_LINE_MAX, "%s,\"incident_id\":\"INC-%06" PRIu32 "\"}\n", head,
			 call->incident_number);
		break;
	case SIM_EVENT_TRANSFER:
		snprintf(line, SIM_LINE_MAX, "%s,\"to\":\"%s\"}\n", head,
			 transfer_targets[call->transfer_target]);
		break;
	case SIM_EVENT_CALL_END:
		snprintf(line, SIM_LINE_MAX, "%s,\"released_by\":\"%s\"}\n", head,
			 release_names[call->released_by]);
		break;
	}
	return strlen(line);
}

/* ---- output: stdout or a feed socket, buffered, optionally paced ------------------------- */

struct sim_output {
	int fd;
	bool is_socket;
	const char *name; /* for messages: "stdout" or "HOST:PORT" */
	size_t used;
	char buffer[SIM_OUTPUT_BUFFER_BYTES];
};

static int output_flush(struct sim_output *out)
{
	size_t done = 0;

	while (done < out->used) {
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

static int output_append(struct sim_output *out, const char *data, size_t len)
{
	if (out->used + len > sizeof(out->buffer) && output_flush(out) != 0)
		return -1;
	memcpy(out->buffer + out->used, data, len);
	out->used += len;
	return 0;
}

/* Wall-clock pacing: event time advances `speed` seconds per wall second from the shift start. */
struct sim_pace {
	double speed; /* 0: as fast as possible */
	int64_t origin_ms;
	struct timespec wall_origin;
};

static double seconds_since(const struct timespec *origin)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - origin->tv_sec) + (double)(now.tv_nsec - origin->tv_nsec) / 1e9;
}

/* Sleep until the event at ts_ms is due, flushing what is buffered first. */
static int pace_until(const struct sim_pace *pace, int64_t ts_ms, struct sim_output *out)
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

static int emit_events(const struct sim_scenario *scenario, const struct sim_calls *calls,
		       const struct sim_events *events, double speed, struct sim_output *out)
{
	struct sim_pace pace = { .speed = speed, .origin_ms = scenario->start_ms };
	char line[SIM_LINE_MAX];

	clock_gettime(CLOCK_MONOTONIC, &pace.wall_origin);
	for (size_t i = 0; i < events->count; i++) {
		if (pace_until(&pace, events->items[i].ts_ms, out) != 0)
			return -1;
		size_t len = format_event(scenario, calls, &events->items[i], line);
		if (output_append(out, line, len) != 0)
			return -1;
	}
	return output_flush(out);
}

/* ---- connecting to a feed port ----------------------------------------------------------- */

/* Split "HOST:PORT" or "[V6]:PORT" into host and port. */
static int split_host_port(const char *address, char *host, size_t host_size, char *port,
			   size_t port_size)
{
	const char *colon = strrchr(address, ':');
	const char *host_start = address, *host_end = colon;

	if (!colon || colon[1] == '\0')
		return -1;
	if (address[0] == '[') {
		host_start = address + 1;
		host_end = colon - 1;
		if (host_end < host_start || *host_end != ']')
			return -1;
	}
	size_t host_len = (size_t)(host_end - host_start);
	if (host_len == 0 || host_len >= host_size || strlen(colon + 1) >= port_size)
		return -1;
	memcpy(host, host_start, host_len);
	host[host_len] = '\0';
	strcpy(port, colon + 1);
	return 0;
}

/* One attempt on every address of host:port; a connected fd, or -1 with errno set. */
static int connect_once(const char *host, const char *port, int *gai_error)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *list;
	int fd = -1, saved_errno = ECONNREFUSED;

	*gai_error = getaddrinfo(host, port, &hints, &list);
	if (*gai_error != 0)
		return -1;
	for (struct addrinfo *ai = list; ai && fd < 0; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
		if (fd < 0) {
			saved_errno = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
			saved_errno = errno;
			close(fd);
			fd = -1;
		}
	}
	freeaddrinfo(list);
	errno = saved_errno;
	return fd;
}

/* Connect to HOST:PORT, retrying for up to SIM_CONNECT_SECONDS while it refuses. */
static int connect_feed(const char *address)
{
	char host[256], port[32];
	struct timespec started;
	int gai_error;

	if (split_host_port(address, host, sizeof(host), port, sizeof(port)) != 0) {
		fprintf(stderr, "cadmon-sim: --connect: expected HOST:PORT, got \"%s\"\n", address);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	for (;;) {
		int fd = connect_once(host, port, &gai_error);
		if (fd >= 0)
			return fd;
		if (gai_error != 0) {
			fprintf(stderr, "cadmon-sim: %s: %s\n", address, gai_strerror(gai_error));
			return -1;
		}
		if (seconds_since(&started) >= SIM_CONNECT_SECONDS) {
			fprintf(stderr, "cadmon-sim: cannot connect to %s for %d s: %s\n", address,
				SIM_CONNECT_SECONDS, strerror(errno));
			return -1;
		}
		struct timespec pause = { .tv_sec = 0, .tv_nsec = 100 * 1000 * 1000 };
		nanosleep(&pause, NULL);
	}
}

/* After our last line: send EOF, then give the daemon a moment to read it all and close. */
static void finish_feed(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	char discard[512];

	shutdown(fd, SHUT_WR);
	while (poll(&pfd, 1, SIM_DRAIN_SECONDS * 1000) > 0 && read(fd, discard, sizeof(discard)) > 0)
		;
}

/* ---- ground truth ------------------------------------------------------------------------ */

struct sim_operator_counts {
	unsigned calls;
	unsigned pocket_dials;
	unsigned abandoned_calls;
	unsigned cut_off_calls;
};

static void count_operator_calls(const struct sim_calls *calls, unsigned operator_index,
				 struct sim_operator_counts *counts)
{
	memset(counts, 0, sizeof(*counts));
	for (size_t i = 0; i < calls->count; i++) {
		const struct sim_call *call = &calls->items[i];
		if (call->operator_index != operator_index)
			continue;
		counts->calls++;
		counts->pocket_dials += call->kind == SIM_CALL_POCKET;
		counts->abandoned_calls += call->kind == SIM_CALL_ABANDONED;
		counts->cut_off_calls += call->kind == SIM_CALL_CUT_OFF;
	}
}

static void write_truth_operator(FILE *file, const struct sim_scenario *scenario,
				 const struct sim_calls *calls, unsigned operator_index)
{
	const struct sim_misconduct *misconduct = misconduct_of(scenario, operator_index);
	struct sim_operator_counts counts;
	char onset[TIMESTAMP_TEXT_MAX];

	count_operator_calls(calls, operator_index, &counts);
	fprintf(file, "{\"operator\":\"op-%02u\",\"agency\":\"%s\",\"misbehaving\":%s",
		operator_index + 1, scenario->agency, misconduct ? "true" : "false");
	if (misconduct) {
		timestamp_format(onset_ms(scenario, misconduct), onset);
		fprintf(file, ",\"onset\":\"%s\",\"hangup_share\":%g", onset, misconduct->hangup_share);
	}
	fprintf(file, ",\"calls\":%u,\"pocket_dials\":%u,\"abandoned_calls\":%u,\"cut_off_calls\":%u}\n",
		counts.calls, counts.pocket_dials, counts.abandoned_calls, counts.cut_off_calls);
}

/* The scenario on one line, then one line per operator. */
static int write_truth(const char *path, const struct sim_scenario *scenario,
		       const struct sim_calls *calls, const struct sim_events *events)
{
	char start[TIMESTAMP_TEXT_MAX];
	FILE *file = fopen(path, "w");

	if (!file) {
		fprintf(stderr, "cadmon-sim: --truth %s: %s\n", path, strerror(errno));
		return -1;
	}
	timestamp_format(scenario->start_ms, start);
	fprintf(file, "{\"scenario\":\"shift\",\"seed\":%" PRIu64 ",\"agency\":\"%s\",\"start\":\"%s\","
		"\"hours\":%g,\"operators\":%u,\"calls_per_hour\":%g,\"pocket_share\":%g,"
		"\"calls\":%zu,\"lines\":%zu}\n",
		scenario->seed, scenario->agency, start, scenario->shift_hours,
		scenario->operator_count, scenario->calls_per_hour, scenario->pocket.share,
		calls->count, events->count);
	for (unsigned op = 0; op < scenario->operator_count; op++)
		write_truth_operator(file, scenario, calls, op);
	if (ferror(file) | (fclose(file) != 0)) {
		fprintf(stderr, "cadmon-sim: --truth %s: write failed\n", path);
		return -1;
	}
	return 0;
}

/* ---- options ----------------------------------------------------------------------------- */

struct sim_options {
	struct sim_scenario scenario;
	long bad_operator;      /* operator number 1.., or -1 for none */
	bool bad_operator_given;
	double onset_hours;
	double hangup_share;
	double speed;           /* 0: as fast as possible */
	const char *connect;    /* NULL: stdout */
	const char *truth_path; /* NULL: none */
};

static void set_default_scenario(struct sim_scenario *scenario)
{
	*scenario = (struct sim_scenario){
		.seed = 1,
		.agency = "DEMO",
		.operator_count = 12,
		.start_ms = INT64_C(1795932000000), /* 2026-11-29T06:00:00Z */
		.shift_hours = 8,
		.calls_per_hour = 10,
		.wrapup_min_seconds = 10,
		.wrapup_max_seconds = 45,
		.real = { .median_seconds = 100, .sigma = 0.6, .min_seconds = 25,
			  .max_seconds = 1800, .incident_share = 0.65, .transfer_share = 0.10,
			  .caller_release_share = 0.60, .system_release_share = 0.01 },
		.pocket = { .share = 0.10, .min_seconds = 2, .max_seconds = 15, .repeat_share = 0.25 },
		.abandoned = { .share = 0.03, .min_seconds = 1, .max_seconds = 8 },
		.ani_missing_share = 0.02,
	};
}

static void set_default_options(struct sim_options *options)
{
	*options = (struct sim_options){
		.bad_operator = 5,
		.onset_hours = 3.0,
		.hangup_share = 0.33,
	};
	set_default_scenario(&options->scenario);
}

static void print_usage(FILE *out)
{
	fputs("usage: cadmon-sim [OPTION...]\n"
	      "Simulate a 911 center's shift and write it as cadmon feed protocol v1 (NDJSON).\n"
	      "\n"
	      "  --seed N              PRNG seed; same seed, same output everywhere (1)\n"
	      "  --operators N         call-takers op-01..op-N (12)\n"
	      "  --hours H             shift length (8)\n"
	      "  --start RFC3339       shift start (2026-11-29T06:00:00Z)\n"
	      "  --calls-per-hour R    answered calls per operator per hour, Poisson (10)\n"
	      "  --pocket-share P      share of pocket dials / silent lines, 2-15 s (0.10)\n"
	      "  --agency NAME         agency of every call (DEMO)\n"
	      "  --bad-operator N      operator op-N misbehaves; -1 for none (5)\n"
	      "  --onset-hours T       the misbehaviour starts T hours into the shift (3.0)\n"
	      "  --hangup-share S      share of real calls then cut off after 3-18 s (0.33)\n"
	      "  --truth FILE          write the ground truth (NDJSON) to FILE\n"
	      "  --connect HOST:PORT   send to a cadmond feed port instead of stdout\n"
	      "  --speed X             pace output: X event seconds per wall second\n"
	      "                        (default: as fast as possible)\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "Real calls: talk lognormal (median 100 s, 25 s..30 min), 65% incident, 10% transfer,\n"
	      "released by caller 60%, system 1%, operator 39%. 3% abandoned (caller, 1-8 s).\n"
	      "Exit status: 0 done, 1 I/O error, 2 bad usage.\n",
	      out);
}

/* Print "cadmon-sim: MESSAGE" and a hint; returns the usage exit status. */
__attribute__((format(printf, 1, 2)))
static int usage_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	fputs("cadmon-sim: ", stderr);
	vfprintf(stderr, format, args);
	fputs("\nTry 'cadmon-sim -h' for help.\n", stderr);
	va_end(args);
	return SIM_EXIT_USAGE;
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
		return usage_error("--%s: expected a number %s %g and at most %g, got \"%s\"", option,
				   low_open ? "above" : "of at least", low, high, text);
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
		return usage_error("--%s: expected an integer from %ld to %ld, got \"%s\"", option, low,
				   high, text);
	*out = value;
	return 0;
}

static int parse_seed(const char *text, uint64_t *seed)
{
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);

	if (errno != 0 || end == text || *end != '\0' || text[0] < '0' || text[0] > '9')
		return usage_error("--seed: expected an unsigned 64-bit integer, got \"%s\"", text);
	*seed = (uint64_t)value;
	return 0;
}

static int parse_start(const char *text, int64_t *start_ms)
{
	const char *why = NULL;

	if (timestamp_parse_rfc3339(text, strlen(text), start_ms, &why) != 0)
		return usage_error("--start: %s: \"%s\"", why ? why : "invalid timestamp", text);
	return 0;
}

/* Agency names go into JSON unescaped, so keep them to a safe alphabet. */
static int parse_agency(const char *text, char agency[SIM_AGENCY_MAX + 1])
{
	size_t len = strlen(text);

	if (len == 0 || len > SIM_AGENCY_MAX || strspn(text,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len)
		return usage_error("--agency: expected 1 to %d letters, digits, '_', '.' or '-', got \"%s\"",
				   SIM_AGENCY_MAX, text);
	memcpy(agency, text, len + 1);
	return 0;
}

enum {
	OPT_SEED = 256, OPT_OPERATORS, OPT_HOURS, OPT_START, OPT_CALLS_PER_HOUR, OPT_POCKET_SHARE,
	OPT_AGENCY, OPT_BAD_OPERATOR, OPT_ONSET_HOURS, OPT_HANGUP_SHARE, OPT_TRUTH, OPT_CONNECT,
	OPT_SPEED,
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
	{ "speed", required_argument, NULL, OPT_SPEED },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* Apply one option with its value; 0 or SIM_EXIT_USAGE. */
static int apply_option(struct sim_options *options, int option, const char *value)
{
	struct sim_scenario *scenario = &options->scenario;
	long number;
	int rc;

	switch (option) {
	case OPT_SEED:
		return parse_seed(value, &scenario->seed);
	case OPT_OPERATORS:
		rc = parse_integer("operators", value, 1, SIM_MAX_OPERATORS, &number);
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
	case OPT_AGENCY:
		return parse_agency(value, scenario->agency);
	case OPT_BAD_OPERATOR:
		options->bad_operator_given = true;
		return parse_integer("bad-operator", value, -1, SIM_MAX_OPERATORS, &options->bad_operator);
	case OPT_ONSET_HOURS:
		return parse_number("onset-hours", value, 0, SIM_MAX_HOURS, false, &options->onset_hours);
	case OPT_HANGUP_SHARE:
		return parse_number("hangup-share", value, 0, 1, false, &options->hangup_share);
	case OPT_TRUTH:
		options->truth_path = value;
		return 0;
	case OPT_CONNECT:
		options->connect = value;
		return 0;
	case OPT_SPEED:
		return parse_number("speed", value, 0, 1e9, true, &options->speed);
	default:
		return SIM_EXIT_USAGE;
	}
}

/* Cross-option checks, then the misbehaving operator into the scenario. */
static int finish_options(struct sim_options *options)
{
	struct sim_scenario *scenario = &options->scenario;
	double expected_calls =
		scenario->operator_count * scenario->shift_hours * scenario->calls_per_hour;
	bool bad_operator_exists = options->bad_operator == -1 ||
		(options->bad_operator >= 1 && (unsigned long)options->bad_operator <= scenario->operator_count);

	if (!bad_operator_exists && options->bad_operator_given)
		return usage_error("--bad-operator: expected an operator number from 1 to %u, "
				   "or -1 for none, got %ld", scenario->operator_count,
				   options->bad_operator);
	if (!bad_operator_exists)
		return usage_error("--bad-operator: the default, op-%02ld, is beyond --operators %u; "
				   "give --bad-operator N or -1", options->bad_operator,
				   scenario->operator_count);
	if (options->bad_operator > 0 && options->onset_hours > scenario->shift_hours)
		return usage_error("--onset-hours: %g is after the end of the %g-hour shift",
				   options->onset_hours, scenario->shift_hours);
	if (expected_calls > SIM_MAX_CALLS * 0.8)
		return usage_error("scenario too large: about %.0f calls, at most %.0f; "
				   "use fewer --operators or --hours", expected_calls,
				   SIM_MAX_CALLS * 0.8);
	if (options->bad_operator > 0) {
		scenario->misconduct[0] = (struct sim_misconduct){
			.operator_index = (unsigned)(options->bad_operator - 1),
			.onset_hours = options->onset_hours,
			.hangup_share = options->hangup_share,
			.min_talk_seconds = 3,
			.max_talk_seconds = 18,
		};
		scenario->misconduct_count = 1;
	}
	return 0;
}

/* Fill *options from argv; -1 to go on, or an exit status (0 after -h, 2 on bad usage). */
static int parse_options(int argc, char **argv, struct sim_options *options)
{
	int option;

	set_default_options(options);
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
	return finish_options(options) == 0 ? -1 : SIM_EXIT_USAGE;
}

/* ---- main -------------------------------------------------------------------------------- */

/* Write the events to stdout or the feed port; 0 or 1. */
static int send_shift(const struct sim_options *options, const struct sim_calls *calls,
		      const struct sim_events *events)
{
	static struct sim_output out;
	int rc;

	out = (struct sim_output){ .fd = STDOUT_FILENO, .name = "stdout" };
	if (options->connect) {
		out.fd = connect_feed(options->connect);
		if (out.fd < 0)
			return 1;
		out.is_socket = true;
		out.name = options->connect;
	}
	rc = emit_events(&options->scenario, calls, events, options->speed, &out);
	if (out.is_socket) {
		if (rc == 0)
			finish_feed(out.fd);
		close(out.fd);
	}
	return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sim_options options;
	struct sim_calls calls = { 0 };
	struct sim_events events = { 0 };
	int status = parse_options(argc, argv, &options);

	if (status >= 0)
		return status;
	status = 1;
	if (generate_shift(&options.scenario, &calls) == 0 && build_events(&calls, &events) == 0 &&
	    (!options.truth_path ||
	     write_truth(options.truth_path, &options.scenario, &calls, &events) == 0))
		status = send_shift(&options, &calls, &events);
	free(events.items);
	free(calls.items);
	return status;
}
