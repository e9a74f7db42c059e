/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "daygen.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_MS 1796050800000LL   /* a fixed afternoon, 14:00 UTC */
#define START_HOUR_OF_DAY 14.0
#define MS 1000.0
#define MS_PER_HOUR 3600000.0
#define AGENCIES 3
#define OPERATORS 14
#define STORM_START_HOURS 2.75
#define STORM_HOURS 0.75
#define STORM_VOLUME 3.0
#define LONG_CALL_S 150.0          /* the long-call rogue cuts off calls that would be longer */
#define LONG_CALL_CUT 0.5
#define FATIGUE_HOURS 5.0
#define FATIGUE_CUT 0.25
#define HIGH_POCKET_FACTOR 2.5
#define MAX_PENDING 8192           /* redials waiting to arrive, per agency */
#define LINE_MAX_BYTES 256

struct rng {
	uint64_t state;
};

/* xorshift64* (shiftgen uses splitmix64, sim.c its own): another stream family. */
static uint64_t next_u64(struct rng *rng)
{
	uint64_t x = rng->state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng->state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static double uniform(struct rng *rng)
{
	return ((double)(next_u64(rng) >> 11) + 0.5) / 9007199254740992.0;
}

static double between(struct rng *rng, double low, double high)
{
	return low + (high - low) * uniform(rng);
}

static double exponential(struct rng *rng, double mean)
{
	return -mean * log(uniform(rng));
}

/* Box-Muller, one value per call (the other discarded: simpler to keep streams aligned). */
static double normal(struct rng *rng)
{
	return sqrt(-2.0 * log(uniform(rng))) * cos(6.283185307179586 * uniform(rng));
}

static double lognormal(struct rng *rng, double median, double sigma)
{
	return median * exp(sigma * normal(rng));
}

struct agency {
	const char *name;
	unsigned first, count;   /* operators first .. first + count - 1 */
	double pocket;           /* base share of pocket dials and misdials */
	bool stormed;            /* takes the storm */
	int64_t skew_ms;
};

struct pending {
	int64_t at_ms;
	char ani[11];
	bool real;
};

struct gen {
	const struct daygen_params *params;
	struct rng rng;
	struct agency agencies[AGENCIES];
	double pocket[OPERATORS];
	int64_t onset_ms[OPERATORS];
	int64_t free_ms[OPERATORS];
	struct gencall_list list;
	struct pending pending[MAX_PENDING];
	size_t pending_count;
	int64_t begin_ms, end_ms, storm_start_ms, storm_end_ms;
	double curve_mean; /* of the day curve over the scored shift */
};

/* Volume by hour of day (1.0 = the day's mean): a trough before dawn, a late-afternoon peak. */
static const double day_curve[24] = {
	0.55, 0.45, 0.38, 0.33, 0.32, 0.38, 0.55, 0.80, 0.95, 1.05, 1.10, 1.15,
	1.20, 1.25, 1.30, 1.38, 1.42, 1.35, 1.22, 1.10, 1.00, 0.90, 0.78, 0.65,
};

static double curve_at(double hour_of_day)
{
	double h = fmod(hour_of_day, 24.0);
	if (h < 0)
		h += 24.0;
	unsigned i = (unsigned)h;
	double f = h - i;
	return day_curve[i] * (1.0 - f) + day_curve[(i + 1) % 24] * f;
}

static double hours_since_start(int64_t t_ms)
{
	return (double)(t_ms - START_MS) / MS_PER_HOUR;
}

/* Several shifts: is t_ms between two of them (the team logged off)? */
static bool off_duty(const struct gen *gen, int64_t t_ms)
{
	return gen->params->shifts > 1 && t_ms >= START_MS &&
	       (t_ms - START_MS) % DAYGEN_SHIFT_PERIOD_MS >=
		       (int64_t)(gen->params->hours * MS_PER_HOUR);
}

static bool in_storm(const struct gen *gen, int64_t t_ms, const struct agency *agency)
{
	return gen->params->storm && agency->stormed && t_ms >= gen->storm_start_ms &&
	       t_ms < gen->storm_end_ms;
}

/* The agency's arrival rate per ms at t. */
static double arrival_rate(const struct gen *gen, const struct agency *agency, int64_t t_ms)
{
	double per_hour = gen->params->calls_per_hour * agency->count *
			  curve_at(START_HOUR_OF_DAY + hours_since_start(t_ms)) / gen->curve_mean;
	if (in_storm(gen, t_ms, agency) && gen->params->storm_kind != GENCALL_STORM_FLAT)
		per_hour *= STORM_VOLUME;
	return per_hour / MS_PER_HOUR;
}

static struct gencall *new_call(struct gen *gen)
{
	return gencall_new(&gen->list, 2048);
}

/* Longest idle free call-taker of the agency at t, else the first to be free (the queue). */
static unsigned pick_operator(const struct gen *gen, const struct agency *agency)
{
	unsigned best = agency->first;

	for (unsigned op = agency->first; op < agency->first + agency->count; op++)
		if (gen->free_ms[op] < gen->free_ms[best])
			best = op;
	return best;
}

static void schedule(struct gen *gen, int64_t at_ms, const char *ani, bool real)
{
	if (gen->pending_count == MAX_PENDING || at_ms >= gen->end_ms || off_duty(gen, at_ms))
		return;
	struct pending *p = &gen->pending[gen->pending_count++];
	p->at_ms = at_ms;
	memcpy(p->ani, ani, sizeof(p->ani));
	p->real = real;
}

static size_t earliest_pending(const struct gen *gen)
{
	size_t best = 0;

	for (size_t i = 1; i < gen->pending_count; i++)
		if (gen->pending[i].at_ms < gen->pending[best].at_ms)
			best = i;
	return best;
}

/* Talk time of a real call: log-normal, with one in twenty from a Pareto tail. */
static double real_talk_s(struct gen *gen)
{
	double talk = uniform(&gen->rng) < 0.05 ? 300.0 * pow(uniform(&gen->rng), -1.0 / 1.5)
						 : lognormal(&gen->rng, 100.0, 0.8);
	return talk > 3600.0 ? 3600.0 : talk < 8.0 ? 8.0 : talk;
}

/* Does the rogue cut off this real call of talk_s seconds? */
static bool cut_off(struct gen *gen, unsigned op, int64_t start_ms, double talk_s)
{
	if (start_ms < gen->onset_ms[op])
		return false;
	if (gen->params->rogue == DAYGEN_LONG_CALLS)
		return talk_s > LONG_CALL_S && uniform(&gen->rng) < LONG_CALL_CUT;
	return uniform(&gen->rng) < FATIGUE_CUT;
}

static void short_call(struct gen *gen, struct gencall *call, double talk_s, double by_operator)
{
	call->end_ms = call->start_ms + (int64_t)(talk_s * MS);
	call->release = uniform(&gen->rng) < by_operator ? GENCALL_BY_OPERATOR : GENCALL_BY_CALLER;
}

/* A real call, or the rogue's cut-off of one (whose caller may ring again). */
static void real_call(struct gen *gen, struct gencall *call, bool redial)
{
	double talk_s = real_talk_s(gen);

	if (!redial && cut_off(gen, call->op, call->start_ms, talk_s)) {
		call->end_ms = call->start_ms + (int64_t)(between(&gen->rng, 5.0, 19.0) * MS);
		call->release = GENCALL_BY_OPERATOR;
		if (uniform(&gen->rng) < gen->params->redial_share)
			schedule(gen,
				 call->end_ms + (int64_t)((20.0 + exponential(&gen->rng, 60.0) +
							   exponential(&gen->rng, 60.0)) *
							  MS),
				 call->ani, true);
		return;
	}
	double r = uniform(&gen->rng);
	call->end_ms = call->start_ms + (int64_t)(talk_s * MS);
	call->release = r < 0.60   ? GENCALL_BY_CALLER
			: r < 0.95 ? GENCALL_BY_OPERATOR
				   : GENCALL_BY_SYSTEM;
	if (redial || uniform(&gen->rng) < 0.60)
		call->incident_ms =
			call->start_ms + (int64_t)(talk_s * MS * between(&gen->rng, 0.2, 0.8));
}

/* Fill one arriving call of the agency: its kind decides its talk and who ends it. */
static void fill_call(struct gen *gen, struct gencall *call, const struct agency *agency,
		      int64_t arrival_ms)
{
	double kind = uniform(&gen->rng);

	if (in_storm(gen, arrival_ms, agency) && gen->params->storm_kind != GENCALL_STORM_SURGE &&
	    kind < 1.0 - 1.0 / STORM_VOLUME) {
		/* a duplicate report of the storm's incident: "we already have units on the way" */
		short_call(gen, call, between(&gen->rng, 5.0, 40.0), 0.85);
		if (uniform(&gen->rng) < 0.2)
			call->incident_ms = call->start_ms + 3000;
		return;
	}
	kind = uniform(&gen->rng);
	if (kind < gen->pocket[call->op]) {
		short_call(gen, call, lognormal(&gen->rng, 7.0, 0.6), 0.80);
		if (uniform(&gen->rng) < 0.25)
			schedule(gen, call->end_ms + (int64_t)between(&gen->rng, 60000, 600000),
				 call->ani, false);
		return;
	}
	if (kind < gen->pocket[call->op] + 0.05) {
		short_call(gen, call, between(&gen->rng, 1.0, 8.0), 0.0); /* the caller gives up */
		return;
	}
	real_call(gen, call, false);
}

static void random_ani(struct gen *gen, char ani[11])
{
	snprintf(ani, 11, "%010" PRIu64,
		 (uint64_t)(3000000000u + next_u64(&gen->rng) % 6000000000u));
}

/* One agency's calls: a thinned Poisson stream merged with the redials it causes. */
static int agency_calls(struct gen *gen, const struct agency *agency)
{
	double rate_max = arrival_rate(gen, agency, gen->begin_ms);
	int64_t next_ms = gen->begin_ms;

	for (int64_t t = gen->begin_ms; t < gen->end_ms; t += 600000) {
		double rate =
			arrival_rate(gen, agency, t) * (gen->params->storm ? STORM_VOLUME : 1.0);
		rate_max = rate > rate_max ? rate : rate_max;
	}
	rate_max *= 1.05;
	gen->pending_count = 0;
	next_ms += (int64_t)exponential(&gen->rng, 1.0 / rate_max);
	for (;;) {
		size_t p = gen->pending_count ? earliest_pending(gen) : 0;
		bool redial = gen->pending_count && gen->pending[p].at_ms < next_ms;
		int64_t arrival_ms = redial ? gen->pending[p].at_ms : next_ms;
		struct pending taken = redial ? gen->pending[p] : (struct pending){ 0 };
		if (arrival_ms >= gen->end_ms)
			return 0;
		if (!redial && off_duty(gen, arrival_ms)) { /* arrivals go on from the next logon */
			int64_t shift = (arrival_ms - START_MS) / DAYGEN_SHIFT_PERIOD_MS;
			next_ms = START_MS + (shift + 1) * DAYGEN_SHIFT_PERIOD_MS;
			continue;
		}
		if (redial) {
			gen->pending[p] = gen->pending[--gen->pending_count];
		} else {
			next_ms += (int64_t)exponential(&gen->rng, 1.0 / rate_max) + 1;
			if (uniform(&gen->rng) * rate_max >= arrival_rate(gen, agency, arrival_ms))
				continue;
		}
		struct gencall *call = new_call(gen);
		if (!call)
			return -1;
		call->op = pick_operator(gen, agency);
		call->offered_ms = arrival_ms;
		call->start_ms =
			gen->free_ms[call->op] > arrival_ms ? gen->free_ms[call->op] : arrival_ms;
		if (redial) {
			memcpy(call->ani, taken.ani, sizeof(call->ani));
			if (taken.real)
				real_call(gen, call, true);
			else
				short_call(gen, call, lognormal(&gen->rng, 7.0, 0.6), 0.80);
		} else {
			random_ani(gen, call->ani);
			fill_call(gen, call, agency, arrival_ms);
		}
		gen->free_ms[call->op] = call->end_ms + (int64_t)between(&gen->rng, 10000, 60000);
	}
}

static const struct agency *agency_of(const struct gen *gen, unsigned op)
{
	for (unsigned a = 0; a < AGENCIES; a++)
		if (op < gen->agencies[a].first + gen->agencies[a].count)
			return &gen->agencies[a];
	return &gen->agencies[AGENCIES - 1];
}

/* A call_offered line; with offered_flood, in the rogue's agency and the storm's hours, two
 * more under other call_ids. */
static int write_offered(const struct gen *gen, struct daygen_shift *shift, uint32_t number,
			 int64_t ts_ms, const struct agency *agency)
{
	bool flood = gen->params->offered_flood &&
		     agency == &gen->agencies[gen->params->rogue_agency % AGENCIES] &&
		     ts_ms >= gen->storm_start_ms && ts_ms < gen->storm_end_ms;
	int rc = 0;

	for (int k = 0; k < (flood ? 3 : 1) && rc == 0; k++) {
		char line[LINE_MAX_BYTES];
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"call_offered\",\"call_id\":\"d-%" PRIu32
				   "%s%.0d\",\"ts\":%" PRId64 ",\"agency\":\"%s\"}\n",
				   number, k ? "-f" : "", k, ts_ms, agency->name);
		rc = gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
				    (size_t)len);
	}
	return rc;
}

static int write_event(const struct gen *gen, struct daygen_shift *shift,
		       const struct gencall *call, uint32_t number,
		       const struct gencall_event *event)
{
	static const char *const releases[] = { "operator", "caller", "system" };
	char line[LINE_MAX_BYTES];
	int len;

	if (event->type == GENCALL_OFFERED)
		return write_offered(gen, shift, number, event->ts_ms, agency_of(gen, call->op));
	if (event->type == GENCALL_START)
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_start\",\"call_id\":\"d-%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"agency\":\"%s\",\"operator\":\"op-%02u\","
						    "\"position\":\"C%u\",\"ani\":\"%s\"}\n",
			       number, event->ts_ms, agency_of(gen, call->op)->name, call->op + 1,
			       100 + call->op, call->ani);
	else if (event->type == GENCALL_INCIDENT)
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"incident\",\"call_id\":\"d-%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"incident_id\":\"D%" PRIu32 "\"}\n",
			       number, event->ts_ms, number);
	else
		len = snprintf(line, sizeof(line),
			       "{\"type\":\"call_end\",\"call_id\":\"d-%" PRIu32
			       "\",\"ts\":%" PRId64 ",\"released_by\":\"%s\"}\n",
			       number, event->ts_ms, releases[call->release]);
	return gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
			      (size_t)len);
}

/* The agency's clock skew (gencall_events). */
static int64_t call_skew(const struct gencall *call, const void *ctx)
{
	return agency_of(ctx, call->op)->skew_ms;
}

/* The logons' and logoffs' time of several shifts, k counting them alternately from 0: a
 * minute before shift k / 2 starts, an hour after it ends. */
static int64_t logons_ms(const struct gen *gen, unsigned k)
{
	int64_t shift_ms = START_MS + (int64_t)(k / 2) * DAYGEN_SHIFT_PERIOD_MS;

	return k % 2 ? shift_ms + (int64_t)(gen->params->hours * MS_PER_HOUR) + 3600000
		     : shift_ms - 60000;
}

/* Every call-taker's logon (k even) or logoff (k odd), on their agency's clock. */
static int write_logons(const struct gen *gen, struct daygen_shift *shift, unsigned k)
{
	int rc = 0;

	for (unsigned op = 0; op < OPERATORS && rc == 0; op++) {
		const struct agency *agency = agency_of(gen, op);
		char line[LINE_MAX_BYTES];
		int len = snprintf(line, sizeof(line),
				   "{\"type\":\"operator_state\",\"ts\":%" PRId64
				   ",\"agency\":\"%s\",\"operator\":\"op-%02u\",\"position\":"
				   "\"C%u\",\"state\":\"%s\"}\n",
				   logons_ms(gen, k) + agency->skew_ms, agency->name, op + 1,
				   100 + op, k % 2 ? "logged_off" : "logged_on");
		rc = gencall_append(&shift->text, &shift->text_len, &shift->text_capacity, line,
				    (size_t)len);
	}
	return rc;
}

static int write_shift(const struct gen *gen, struct daygen_shift *shift)
{
	size_t n;
	struct gencall_event *events =
		gencall_events(&gen->list, call_skew, gen, gen->params->offered, &n);
	unsigned logons = gen->params->shifts > 1 ? 2 * gen->params->shifts : 0, k = 0;
	int rc = 0;

	if (!events)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++) {
		for (; k < logons && rc == 0 && logons_ms(gen, k) <= events[i].ts_ms; k++)
			rc = write_logons(gen, shift, k);
		if (rc == 0)
			rc = write_event(gen, shift, &gen->list.calls[events[i].call],
					 events[i].call + 1, &events[i]);
	}
	for (; k < logons && rc == 0; k++)
		rc = write_logons(gen, shift, k);
	free(events);
	return rc;
}

static void set_agencies(struct gen *gen)
{
	static const struct agency agencies[AGENCIES] = {
		{ "CITY", 0, 6, 0.08, true, 0 },
		{ "COUNTY", 6, 5, 0.05, true, 0 },
		{ "EMS", 11, 3, 0.15, false, 0 },
	};

	memcpy(gen->agencies, agencies, sizeof(agencies));
	for (unsigned a = 1; a < AGENCIES; a++)
		gen->agencies[a].skew_ms = (int64_t)between(&gen->rng, 0.0, 8000.0);
	for (unsigned op = 0; op < OPERATORS; op++)
		gen->pocket[op] = agency_of(gen, op)->pocket * exp(0.2 * normal(&gen->rng));
	double sum = 0.0;
	for (int i = 0; i < 80; i++)
		sum += curve_at(START_HOUR_OF_DAY + gen->params->hours * (i + 0.5) / 80.0);
	gen->curve_mean = sum / 80.0;
}

int daygen_generate(const struct daygen_params *params, struct daygen_shift *shift)
{
	struct gen *gen = calloc(1, sizeof(*gen));
	int rc = 0;

	if (!gen)
		return -1;
	gen->params = params;
	gen->rng.state = (params->seed + 1) * 0x9E3779B97F4A7C15ULL ^ 0xD1B54A32D192ED03ULL;
	set_agencies(gen);
	const struct agency *rogues = &gen->agencies[params->rogue_agency % AGENCIES];
	unsigned rogue = rogues->first + (unsigned)(next_u64(&gen->rng) % rogues->count);
	unsigned pocketer =
		(rogue + 1 + (unsigned)(next_u64(&gen->rng) % (gen->agencies[0].count - 1))) %
		gen->agencies[0].count;
	gen->begin_ms = START_MS - (int64_t)(params->history_hours * MS_PER_HOUR);
	gen->end_ms = START_MS + (int64_t)(params->hours * MS_PER_HOUR);
	if (params->shifts > 1)
		gen->end_ms += (int64_t)(params->shifts - 1) * DAYGEN_SHIFT_PERIOD_MS;
	gen->storm_start_ms = START_MS + (int64_t)params->storm_shift * DAYGEN_SHIFT_PERIOD_MS +
			      (int64_t)(STORM_START_HOURS * MS_PER_HOUR);
	gen->storm_end_ms = gen->storm_start_ms + (int64_t)(STORM_HOURS * MS_PER_HOUR);
	shift->text_len = 0;
	shift->operator_count = OPERATORS;
	shift->start_ms = START_MS;
	shift->storm_start_ms = gen->storm_start_ms;
	shift->storm_end_ms = gen->storm_end_ms;
	shift->high_pocket_operator = params->high_pocket ? (int)pocketer : -1;
	for (unsigned op = 0; op < OPERATORS; op++) {
		gen->onset_ms[op] = shift->onset_ms[op] = INT64_MAX;
		gen->free_ms[op] = gen->begin_ms;
	}
	if (params->high_pocket)
		gen->pocket[pocketer] *= HIGH_POCKET_FACTOR;
	for (unsigned op = 0; op < OPERATORS; op++) {
		shift->pocket_factor[op] = gen->pocket[op] / agency_of(gen, op)->pocket;
		shift->stormed[op] = agency_of(gen, op)->stormed;
	}
	double onset_h = params->rogue == DAYGEN_FATIGUE
				 ? FATIGUE_HOURS + between(&gen->rng, 0.0, 0.5)
				 : between(&gen->rng, 0.5, 3.5);
	if (params->rogue != DAYGEN_HONEST)
		gen->onset_ms[rogue] = shift->onset_ms[rogue] =
			START_MS + (int64_t)(onset_h * MS_PER_HOUR);
	for (unsigned a = 0; a < AGENCIES && rc == 0; a++)
		rc = agency_calls(gen, &gen->agencies[a]);
	if (rc == 0)
		rc = write_shift(gen, shift);
	if (rc == 0)
		rc = gencall_keep(&gen->list, &shift->calls, &shift->call_count,
				  &shift->call_capacity);
	free(gen->list.calls);
	free(gen);
	return rc;
}

void daygen_free(struct daygen_shift *shift)
{
	free(shift->text);
	free(shift->calls);
	memset(shift, 0, sizeof(*shift));
}
