/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "shiftgen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OPERATORS 16
#define POLICE_OPERATORS 10        /* op-01..op-10 are POLICE, the rest MEDICAL */
#define START_MS 1796000000000LL   /* 2026-11-29T... an arbitrary fixed start */
#define MS 1000.0
#define STORM_START_HOURS 3.5
#define STORM_HOURS 1.5
#define STORM_VOLUME 2.5
#define STORM_SHORT_SHARE 0.35
#define LINE_MAX_BYTES 256
#define TWO_PI 6.283185307179586

struct rng {
	uint64_t state;
};

static uint64_t next_u64(struct rng *rng)
{
	uint64_t z = (rng->state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double uniform(struct rng *rng)
{
	return (double)(next_u64(rng) >> 11) / 9007199254740992.0;
}

static double between(struct rng *rng, double low, double high)
{
	return low + (high - low) * uniform(rng);
}

static double exponential(struct rng *rng, double mean)
{
	return -mean * log(1.0 - uniform(rng));
}

static double weibull(struct rng *rng, double shape, double scale)
{
	return scale * pow(-log(1.0 - uniform(rng)), 1.0 / shape);
}

struct gen {
	const struct shiftgen_params *params;
	struct rng rng;
	struct gencall_list list;
	double pocket_share[OPERATORS];
	int64_t begin_ms; /* the first call: START_MS minus the history */
	int64_t end_ms;
	int64_t storm_offset_ms; /* the storm's shift's start after START_MS */
};

static struct gencall *new_call(struct gen *gen)
{
	return gencall_new(&gen->list, 1024);
}

static void random_ani(struct gen *gen, char ani[11])
{
	snprintf(ani, 11, "%010" PRIu64,
		 (uint64_t)(2000000000u + next_u64(&gen->rng) % 7000000000u));
}

static bool in_storm(const struct gen *gen, int64_t t_ms)
{
	double hours = (double)(t_ms - START_MS - gen->storm_offset_ms) / 3600000.0;
	return gen->params->storm && hours >= STORM_START_HOURS &&
	       hours < STORM_START_HOURS + STORM_HOURS;
}

/* Several shifts: is t_ms between two of them (the team logged off)? */
static bool off_duty(const struct gen *gen, int64_t t_ms)
{
	return gen->params->shifts > 1 && t_ms >= START_MS &&
	       (t_ms - START_MS) % SHIFTGEN_SHIFT_PERIOD_MS >=
		       (int64_t)(gen->params->hours * 3600000.0);
}

/* The rogue cuts off this real call? (After onset, and in bursts only the first hour of three.) */
static bool cuts_off(struct gen *gen, int64_t onset_ms, int64_t t_ms)
{
	if (t_ms < onset_ms)
		return false;
	if (gen->params->bursts && ((t_ms - onset_ms) / 3600000) % 3 != 0)
		return false;
	return uniform(&gen->rng) < gen->params->cut_share;
}

/* A real call: Weibull talk time, mostly ended by the caller, often an incident. */
static void real_call(struct gen *gen, struct gencall *call)
{
	double talk_s = 6.0 + weibull(&gen->rng, 1.4, 160.0);
	double r = uniform(&gen->rng);
	call->end_ms = call->start_ms + (int64_t)(talk_s * MS);
	call->release = r < 0.70   ? GENCALL_BY_CALLER
			: r < 0.93 ? GENCALL_BY_OPERATOR
				   : GENCALL_BY_SYSTEM;
	if (uniform(&gen->rng) < 0.55)
		call->incident_ms =
			call->start_ms + (int64_t)(talk_s * MS * between(&gen->rng, 0.3, 0.9));
}

static void short_call(struct gen *gen, struct gencall *call, double low_s, double high_s,
		       double by_operator)
{
	call->end_ms = call->start_ms + (int64_t)(between(&gen->rng, low_s, high_s) * MS);
	call->release = uniform(&gen->rng) < by_operator ? GENCALL_BY_OPERATOR : GENCALL_BY_CALLER;
}

/* A later call from the same number, to a random operator of the same agency. */
static int follow_up(struct gen *gen, size_t from, double delay_s, bool real)
{
	unsigned op = gen->list.calls[from].op;
	unsigned first = op < POLICE_OPERATORS ? 0 : POLICE_OPERATORS;
	unsigned span = op < POLICE_OPERATORS ? POLICE_OPERATORS : OPERATORS - POLICE_OPERATORS;
	int64_t start_ms = gen->list.calls[from].end_ms + (int64_t)(delay_s * MS);
	if (start_ms >= gen->end_ms || off_duty(gen, start_ms))
		return 0;
	char ani[11];
	memcpy(ani, gen->list.calls[from].ani, sizeof(ani));
	struct gencall *call = new_call(gen);
	if (!call)
		return -1;
	call->op = first + (unsigned)(next_u64(&gen->rng) % span);
	call->start_ms = start_ms;
	memcpy(call->ani, ani, sizeof(ani));
	if (real) {
		real_call(gen, call);
		call->incident_ms = call->start_ms + 20000;
		if (call->end_ms < call->incident_ms + 5000)
			call->end_ms = call->incident_ms + 5000;
	} else {
		short_call(gen, call, 2.0, 14.0, 0.85);
	}
	return 0;
}

/* One operator's calls: a volume rising and falling through the shift, queued while busy. */
static int operator_calls(struct gen *gen, unsigned op, int64_t onset_ms, double phase)
{
	const struct shiftgen_params *params = gen->params;
	double rate_max =
		params->calls_per_hour * 1.35 * STORM_VOLUME; /* thinning bound, per hour */
	int64_t t_ms = gen->begin_ms, free_ms = gen->begin_ms;

	for (;;) {
		t_ms += (int64_t)(exponential(&gen->rng, 3600.0 / rate_max) * MS);
		if (t_ms >= gen->end_ms)
			return 0;
		if (off_duty(gen, t_ms)) { /* arrivals go on from the next logon */
			t_ms = START_MS + ((t_ms - START_MS) / SHIFTGEN_SHIFT_PERIOD_MS + 1) *
						  SHIFTGEN_SHIFT_PERIOD_MS;
			continue;
		}
		double hours = (double)(t_ms - START_MS) / 3600000.0;
		double rate =
			params->calls_per_hour * (1.0 + 0.35 * sin(TWO_PI * hours / 8.0 + phase));
		bool storm = in_storm(gen, t_ms);
		if (storm && params->storm_kind != GENCALL_STORM_FLAT)
			rate *= STORM_VOLUME;
		if (uniform(&gen->rng) * rate_max >= rate)
			continue;
		struct gencall *call = new_call(gen);
		if (!call)
			return -1;
		size_t index = gen->list.count - 1;
		call->op = op;
		call->offered_ms = t_ms;
		call->start_ms = t_ms > free_ms ? t_ms : free_ms;
		random_ani(gen, call->ani);
		double kind = uniform(&gen->rng);
		bool pocket = false;
		bool storm_short = storm && params->storm_kind != GENCALL_STORM_SURGE;
		if (storm_short && kind < STORM_SHORT_SHARE) {
			short_call(gen, call, 3.0, 16.0, 1.0);
		} else if ((kind = uniform(&gen->rng)) < gen->pocket_share[op]) {
			short_call(gen, call, 1.5, 15.0, 0.85);
			pocket = true;
		} else if (kind < gen->pocket_share[op] + 0.04) {
			short_call(gen, call, 0.5, 5.0, 0.0); /* abandoned: the caller hangs up */
		} else if (cuts_off(gen, onset_ms, call->start_ms)) {
			short_call(gen, call, 4.0, 18.0, 1.0);
			free_ms = call->end_ms + (int64_t)(between(&gen->rng, 5.0, 40.0) * MS);
			if (uniform(&gen->rng) < params->redial_share &&
			    follow_up(gen, index, 15.0 + exponential(&gen->rng, 120.0), true) != 0)
				return -1;
			continue;
		} else {
			real_call(gen, call);
		}
		call = &gen->list.calls[index];
		free_ms = call->end_ms + (int64_t)(between(&gen->rng, 5.0, 40.0) * MS);
		if (pocket && uniform(&gen->rng) < 0.25 &&
		    follow_up(gen, index, between(&gen->rng, 60, 600), false))
			return -1;
		if (pocket && uniform(&gen->rng) < 0.02 &&
		    follow_up(gen, index, between(&gen->rng, 30, 280), true))
			return -1;
	}
}

/* A call_offered line; with flood (and in the storm's hours), two more under other call_ids. */
static int write_offered(struct shiftgen_shift *shift, uint32_t number, int64_t ts_ms,
			 const char *agency, bool flood)
{
	int copies = flood && ts_ms >= shift->storm_start_ms && ts_ms < shift->storm_end_ms ? 3
											      : 1;
	int rc = 0;

	for (int k = 0; k < copies && rc == 0; k++) {
		char line[LINE_MAX_BYTES];
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"call_offered\",\"call_id\":\"g%" PRIu32
				   "%s%.0d\",\"ts\":%" PRId64 ",\"agency\":\"%s\"}\n",
				   number, k ? "-f" : "", k, ts_ms, agency);
		rc = gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
				    (size_t)len);
	}
	return rc;
}

/* One feed line of a call: POLICE operators op-01..op-10, the rest MEDICAL. */
static int write_event(struct shiftgen_shift *shift, const struct gencall *call, uint32_t number,
		       const struct gencall_event *event, bool offered_flood)
{
	bool flood = offered_flood && call->op < POLICE_OPERATORS;
	static const char *const releases[] = { "operator", "caller", "system" };
	const char *agency = call->op < POLICE_OPERATORS ? "POLICE" : "MEDICAL";
	char line[LINE_MAX_BYTES];
	int len;

	if (event->type == GENCALL_OFFERED)
		return write_offered(shift, number, event->ts_ms, agency, flood);
	if (event->type == GENCALL_START)
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_start\",\"call_id\":\"g%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"operator\":\"op-%02u\",\"agency\":\"%s\","
						    "\"position\":\"P%02u\",\"ani\":\"%s\"}\n",
			       number, event->ts_ms, call->op + 1, agency, call->op + 1, call->ani);
	else if (event->type == GENCALL_INCIDENT)
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"incident\",\"call_id\":\"g%" PRIu32 "\",\"ts\":%" PRId64
			       ",\"incident_id\":\"i%" PRIu32 "\"}\n",
			       number, event->ts_ms, number);
	else
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"g%" PRIu32 "\",\"ts\":%" PRId64
			       ",\"released_by\":\"%s\"}\n",
			       number, event->ts_ms, releases[call->release]);
	return gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
			      (size_t)len);
}

/* POLICE's clock is exact; MEDICAL's runs *ctx ms ahead (one skew per shift). */
static int64_t call_skew(const struct gencall *call, const void *ctx)
{
	return call->op < POLICE_OPERATORS ? 0 : *(const int64_t *)ctx;
}

/* The logons' and logoffs' time (before write_logons(k) is due). */
static int64_t logons_ms(unsigned k, int64_t hours_ms)
{
	int64_t shift_ms = START_MS + (int64_t)(k / 2) * SHIFTGEN_SHIFT_PERIOD_MS;

	return k % 2 ? shift_ms + hours_ms + 3600000 : shift_ms - 60000;
}

/* Several shifts: every operator's logon (a minute before shift k) or logoff (an hour after
 * it ends), k counting logons and logoffs alternately from 0. */
static int write_logons(struct shiftgen_shift *shift, unsigned k, int64_t skew_ms,
			int64_t hours_ms)
{
	int64_t ts_ms = logons_ms(k, hours_ms);
	int rc = 0;

	for (unsigned op = 0; op < OPERATORS && rc == 0; op++) {
		char line[LINE_MAX_BYTES];
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"operator_state\",\"ts\":%" PRId64
				   ",\"operator\":\"op-%02u\",\"agency\":\"%s\",\"position\":"
				   "\"P%02u\",\"state\":\"%s\"}\n",
				   ts_ms + (op < POLICE_OPERATORS ? 0 : skew_ms), op + 1,
				   op < POLICE_OPERATORS ? "POLICE" : "MEDICAL", op + 1,
				   k % 2 ? "logged_off" : "logged_on");
		rc = gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
				    (size_t)len);
	}
	return rc;
}

static int write_shift(struct gen *gen, struct shiftgen_shift *shift, int64_t skew_ms)
{
	size_t n;
	struct gencall_event *events = gencall_events(&gen->list, call_skew, &skew_ms,
						      gen->params->offered, &n);
	unsigned logons = gen->params->shifts > 1 ? 2 * gen->params->shifts : 0, k = 0;
	int64_t hours_ms = (int64_t)(gen->params->hours * 3600000.0);
	int rc = 0;

	if (!events)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		for (; k < logons && rc == 0 && logons_ms(k, hours_ms) <= events[i].ts_ms; k++)
			rc = write_logons(shift, k, skew_ms, hours_ms);
		if (rc == 0)
			rc = write_event(shift, &gen->list.calls[events[i].call],
					 events[i].call + 1, &events[i],
					 gen->params->offered_flood);
	}
	for (; k < logons && rc == 0; k++)
		rc = write_logons(shift, k, skew_ms, hours_ms);
	free(events);
	return rc;
}

int shiftgen_generate(const struct shiftgen_params *params, struct shiftgen_shift *shift)
{
	struct gen gen = { .params = params,
			   .rng = { params->seed * 0x2545F4914F6CDD1DULL + 12345 } };
	unsigned rogue = (unsigned)(next_u64(&gen.rng) % POLICE_OPERATORS);
	unsigned pocketer = (rogue + 1 + (unsigned)(next_u64(&gen.rng) % (POLICE_OPERATORS - 1))) %
			    POLICE_OPERATORS;
	double phase = between(&gen.rng, 0, TWO_PI);
	int64_t skew_ms = (int64_t)between(&gen.rng, 0, 4000);
	int rc = 0;

	gen.begin_ms = START_MS - (int64_t)(params->history_hours * 3600000.0);
	gen.end_ms = START_MS + (int64_t)(params->hours * 3600000.0);
	if (params->shifts > 1)
		gen.end_ms += (int64_t)(params->shifts - 1) * SHIFTGEN_SHIFT_PERIOD_MS;
	gen.storm_offset_ms = (int64_t)params->storm_shift * SHIFTGEN_SHIFT_PERIOD_MS;
	shift->text_len = 0;
	shift->operator_count = OPERATORS;
	shift->start_ms = START_MS;
	shift->storm_start_ms =
		START_MS + gen.storm_offset_ms + (int64_t)(STORM_START_HOURS * 3600000.0);
	shift->storm_end_ms = shift->storm_start_ms + (int64_t)(STORM_HOURS * 3600000.0);
	shift->high_pocket_operator = params->high_pocket ? (int)pocketer : -1;
	for (unsigned op = 0; op < OPERATORS; op++) {
		gen.pocket_share[op] = op < POLICE_OPERATORS ? 0.06 : 0.13;
		shift->onset_ms[op] = INT64_MAX;
	}
	if (params->high_pocket)
		gen.pocket_share[pocketer] *= 3.0;
	for (unsigned op = 0; op < OPERATORS; op++)
		shift->pocket_factor[op] =
			gen.pocket_share[op] / (op < POLICE_OPERATORS ? 0.06 : 0.13);
	if (params->rogue)
		shift->onset_ms[rogue] =
			START_MS + (int64_t)(between(&gen.rng, 1.0, 4.5) * 3600000.0);
	for (unsigned op = 0; op < OPERATORS && rc == 0; op++)
		rc = operator_calls(&gen, op, shift->onset_ms[op],
				    phase + between(&gen.rng, -0.3, 0.3));
	if (rc == 0)
		rc = write_shift(&gen, shift, skew_ms);
	if (rc == 0)
		rc = gencall_keep(&gen.list, &shift->calls, &shift->call_count,
				  &shift->call_capacity);
	free(gen.list.calls);
	return rc;
}

void shiftgen_free(struct shiftgen_shift *shift)
{
	free(shift->text);
	free(shift->calls);
	memset(shift, 0, sizeof(*shift));
}
