/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "sim.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "timestamp.h"

#define SIM_POCKET_RING 8               /* recent pocket-dial numbers that may dial again */
#define SIM_MAX_EXPECTED_CALLS (SIM_MAX_CALLS * 0.8)

#define MS_PER_SECOND 1000.0
#define MS_PER_HOUR 3600000.0
#define SIM_LN2 0.6931471805599453
#define SIM_LN2_HIGH 6.93147180369123816490e-01 /* ln 2 split so that k * high is exact */
#define SIM_LN2_LOW 1.90821492927058770002e-10
#define SIM_SQRT_HALF 0.7071067811865476

/* ---- deterministic randomness ------------------------------------------------------------ */

/* xoshiro256** state; one independent stream per purpose so streams do not perturb each other. */
struct sim_rng {
	uint64_t s[4];
};

enum {
	SIM_STREAM_OPERATOR = 0,              /* + operator index: arrivals and call outcomes */
	SIM_STREAM_MISCONDUCT = 1 << 20,      /* + operator index: which calls get cut off */
	SIM_STREAM_CALLERS = 2 << 20,         /* callers' numbers */
	SIM_STREAM_STORM_ARRIVALS = 3 << 20,  /* + operator index: the storm's extra calls */
	SIM_STREAM_STORM_SHORT = 4 << 20,     /* + operator index: which storm calls are short */
	SIM_STREAM_REDIALS = 5 << 20,         /* which cut-off callers ring again, and when */
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
static double portable_log(double x)
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

/* e^x with + - * / only (see portable_log): x = k ln 2 + r, |r| <= ln2 / 2, Taylor series of
 * e^r. */
static double portable_exp(double x)
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
	return -mean * portable_log(1.0 - rng_uniform(rng));
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
	return u * sqrt(-2 * portable_log(s) / s);
}

static double rng_lognormal(struct sim_rng *rng, double median, double sigma)
{
	return median * portable_exp(sigma * rng_normal(rng));
}

/* Milliseconds from seconds, rounded half up (non-negative input). */
static int64_t ms_from_seconds(double seconds)
{
	return (int64_t)(seconds * MS_PER_SECOND + 0.5);
}

/* Set why to the formatted message; returns -1 for the caller to pass on. */
__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t why_size, const char *format, ...)
{
	va_list args;

	va_start(args, format);
	vsnprintf(why, why_size, format, args);
	va_end(args);
	return -1;
}

/* ---- scenarios ----------------------------------------------------------------------------- */

/*
 * Presets give cut-off callers a 50% chance to ring again. Houston's 2016 case gives the one
 * public figure: investigators reviewed about 1,000 of the operator's short calls and found
 * 825 where the caller had to ring 911 again within 5 minutes. Those were calls already picked for
 * review, among "thousands" of her short calls over five months, so 0.83 is an upper bound
 * and 825 / 2,000+ (0.4 or less) a lower one; 0.5 sits between, on the cautious side, so the
 * detection benchmark does not lean on called-back evidence more than a center could.
 */
#define PRESET_REDIAL_SHARE 0.5
#define PRESET_STORM_START_HOURS 4.0
#define PRESET_STORM_HOURS 1.0
#define PRESET_LARGE_OPERATORS 60

/* Operator op-NN (1-based) cuts off hangup_share of real calls from onset. */
static struct sim_misconduct misconduct_at(unsigned operator_number, double onset_hours,
					   double hangup_share)
{
	return (struct sim_misconduct){
		.operator_index = operator_number - 1,
		.onset_hours = onset_hours,
		.hangup_share = hangup_share,
		.min_talk_seconds = SIM_CUT_OFF_MIN_SECONDS,
		.max_talk_seconds = SIM_CUT_OFF_MAX_SECONDS,
	};
}

void sim_scenario_defaults(struct sim_scenario *scenario)
{
	*scenario = (struct sim_scenario){
		.name = "shift",
		.seed = 1,
		.agency = "DEMO",
		.operator_count = 12,
		.start_ms = INT64_C(1795932000000), /* 2026-11-29T06:00:00Z */
		.shift_hours = 8,
		.calls_per_hour = 10,
		.wrapup_min_seconds = 10,
		.wrapup_max_seconds = 45,
		.real = { .median_seconds = 100,
			  .sigma = 0.6,
			  .min_seconds = 25,
			  .max_seconds = 1800,
			  .incident_share = 0.65,
			  .transfer_share = 0.10,
			  .caller_release_share = 0.60,
			  .system_release_share = 0.01 },
		.pocket = { .share = 0.10,
			    .min_seconds = 2,
			    .max_seconds = 15,
			    .repeat_share = 0.25 },
		.abandoned = { .share = 0.03, .min_seconds = 1, .max_seconds = 8 },
		.ani_missing_share = 0.02,
		.misconduct = { misconduct_at(5, 3.0, 0.33) },
		.misconduct_count = 1,
		.storm = { .start_hours = 0,
			   .hours = 0,
			   .short_share = 0.35,
			   .volume_factor = 1.5,
			   .min_seconds = 2,
			   .max_seconds = 15 },
		.redial = { .share = 0,
			    .min_seconds = 60,
			    .max_seconds = 300,
			    .incident_share = 0.9 },
	};
}

static void add_preset_storm(struct sim_scenario *scenario)
{
	scenario->storm.start_hours = PRESET_STORM_START_HOURS;
	scenario->storm.hours = PRESET_STORM_HOURS;
}

static void preset_baseline(struct sim_scenario *scenario)
{
	scenario->misconduct_count = 0;
}

static void preset_one_bad(struct sim_scenario *scenario)
{
	(void)scenario;
}

static void preset_storm(struct sim_scenario *scenario)
{
	scenario->misconduct_count = 0;
	add_preset_storm(scenario);
}

static void preset_storm_bad(struct sim_scenario *scenario)
{
	add_preset_storm(scenario);
}

static void preset_several_bad(struct sim_scenario *scenario)
{
	scenario->misconduct[0] = misconduct_at(3, 1.0, 0.20);
	scenario->misconduct[1] = misconduct_at(7, 2.5, 0.33);
	scenario->misconduct[2] = misconduct_at(10, 4.0, 0.50);
	scenario->misconduct_count = 3;
}

static void preset_large(struct sim_scenario *scenario)
{
	scenario->operator_count = PRESET_LARGE_OPERATORS;
}

/* Every preset starts from the classic shift with redials on, then changes what it names. */
static const struct {
	const char *name;
	const char *summary;
	void (*apply)(struct sim_scenario *scenario);
} presets[] = {
	{ "baseline", "12 operators, 8 hours, nobody misbehaves", preset_baseline },
	{ "one-bad", "op-05 cuts off 33% of real calls from 3 h (the classic shift)",
	  preset_one_bad },
	{ "storm", "a storm from 4 h to 5 h (35% short calls, 1.5x volume), nobody misbehaves",
	  preset_storm },
	{ "storm-bad", "one-bad and the storm, an hour after op-05's onset", preset_storm_bad },
	{ "several-bad", "op-03 from 1 h at 20%, op-07 from 2.5 h at 33%, op-10 from 4 h at 50%",
	  preset_several_bad },
	{ "large", "one-bad with 60 operators", preset_large },
};

int sim_scenario_preset(struct sim_scenario *scenario, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(presets); i++) {
		if (strcmp(presets[i].name, name) != 0)
			continue;
		sim_scenario_defaults(scenario);
		snprintf(scenario->name, sizeof(scenario->name), "%s", presets[i].name);
		scenario->redial.share = PRESET_REDIAL_SHARE;
		presets[i].apply(scenario);
		return 0;
	}
	return -1;
}

const char *sim_preset_name(size_t i)
{
	return i < ARRAY_SIZE(presets) ? presets[i].name : NULL;
}

const char *sim_preset_summary(size_t i)
{
	return i < ARRAY_SIZE(presets) ? presets[i].summary : NULL;
}

static bool is_share(double value)
{
	return value >= 0 && value <= 1;
}

static int check_misconduct(const struct sim_scenario *scenario, char *why, size_t why_size)
{
	if (scenario->misconduct_count > SIM_MAX_MISCONDUCT)
		return fail(why, why_size, "at most %d misbehaving operators", SIM_MAX_MISCONDUCT);
	for (size_t i = 0; i < scenario->misconduct_count; i++) {
		const struct sim_misconduct *m = &scenario->misconduct[i];
		unsigned number = m->operator_index + 1;
		if (m->operator_index >= scenario->operator_count)
			return fail(why, why_size,
				    "op-%02u misbehaves but there are only %u operators", number,
				    scenario->operator_count);
		if (sim_misconduct_of(scenario, m->operator_index) != m)
			return fail(why, why_size, "op-%02u misbehaves twice", number);
		if (!(m->onset_hours >= 0 && m->onset_hours <= scenario->shift_hours))
			return fail(why, why_size,
				    "op-%02u: onset %g h is outside the %g-hour shift", number,
				    m->onset_hours, scenario->shift_hours);
		if (!is_share(m->hangup_share) || !(m->min_talk_seconds > 0) ||
		    !(m->min_talk_seconds <= m->max_talk_seconds))
			return fail(why, why_size,
				    "op-%02u: hangup share %g or talk %g-%g s out of range", number,
				    m->hangup_share, m->min_talk_seconds, m->max_talk_seconds);
	}
	return 0;
}

static int check_storm(const struct sim_scenario *scenario, char *why, size_t why_size)
{
	const struct sim_storm *storm = &scenario->storm;

	if (storm->hours == 0)
		return 0;
	if (!(storm->hours > 0) || !(storm->start_hours >= 0) ||
	    !(storm->start_hours + storm->hours <= scenario->shift_hours))
		return fail(why, why_size,
			    "the storm (from %g h for %g h) must lie within the %g-hour shift",
			    storm->start_hours, storm->hours, scenario->shift_hours);
	if (!is_share(storm->short_share) || !(storm->volume_factor >= 1) ||
	    !(storm->volume_factor <= SIM_MAX_STORM_VOLUME) || !(storm->min_seconds > 0) ||
	    !(storm->min_seconds <= storm->max_seconds))
		return fail(why, why_size,
			    "the storm's short share %g, volume %g or talk %g-%g s is out of range",
			    storm->short_share, storm->volume_factor, storm->min_seconds,
			    storm->max_seconds);
	return 0;
}

/* The shift must fit in SIM_MAX_CALLS with room for chance. */
static int check_size(const struct sim_scenario *scenario, char *why, size_t why_size)
{
	double hours = scenario->shift_hours +
		scenario->storm.hours * (scenario->storm.volume_factor - 1);
	double expected_calls = scenario->operator_count * hours * scenario->calls_per_hour;

	if (expected_calls > SIM_MAX_EXPECTED_CALLS)
		return fail(why, why_size,
			    "scenario too large: about %.0f calls, at most %.0f; "
			    "use fewer --operators or --hours",
			    expected_calls, SIM_MAX_EXPECTED_CALLS);
	return 0;
}

int sim_scenario_check(const struct sim_scenario *scenario, char *why, size_t why_size)
{
	if (scenario->operator_count < 1 || scenario->operator_count > SIM_MAX_OPERATORS)
		return fail(why, why_size, "operators: %u is not from 1 to %d",
			    scenario->operator_count, SIM_MAX_OPERATORS);
	if (!(scenario->shift_hours > 0 && scenario->shift_hours <= SIM_MAX_HOURS) ||
	    !(scenario->calls_per_hour > 0 && scenario->calls_per_hour <= SIM_MAX_CALLS_PER_HOUR))
		return fail(why, why_size, "hours %g or calls per hour %g out of range",
			    scenario->shift_hours, scenario->calls_per_hour);
	if (!is_share(scenario->pocket.share) || !is_share(scenario->abandoned.share) ||
	    !(scenario->pocket.share + scenario->abandoned.share <= 1) ||
	    !is_share(scenario->pocket.repeat_share) || !is_share(scenario->ani_missing_share) ||
	    !is_share(scenario->redial.share) || !is_share(scenario->redial.incident_share) ||
	    !(scenario->redial.min_seconds >= 0 &&
	      scenario->redial.min_seconds <= scenario->redial.max_seconds))
		return fail(why, why_size, "a share of calls or the redial delay is out of range");
	if (check_misconduct(scenario, why, why_size) != 0 ||
	    check_storm(scenario, why, why_size) != 0)
		return -1;
	return check_size(scenario, why, why_size);
}

const struct sim_misconduct *sim_misconduct_of(const struct sim_scenario *scenario,
					       unsigned operator_index)
{
	for (size_t i = 0; i < scenario->misconduct_count; i++)
		if (scenario->misconduct[i].operator_index == operator_index)
			return &scenario->misconduct[i];
	return NULL;
}

/* The shift's start plus hours, in ms. */
static int64_t hours_into_shift_ms(const struct sim_scenario *scenario, double hours)
{
	return scenario->start_ms + (int64_t)(hours * MS_PER_HOUR + 0.5);
}

int64_t sim_shift_end_ms(const struct sim_scenario *scenario)
{
	return hours_into_shift_ms(scenario, scenario->shift_hours);
}

int64_t sim_onset_ms(const struct sim_scenario *scenario, const struct sim_misconduct *misconduct)
{
	return hours_into_shift_ms(scenario, misconduct->onset_hours);
}

int64_t sim_storm_start_ms(const struct sim_scenario *scenario)
{
	return hours_into_shift_ms(scenario, scenario->storm.start_hours);
}

int64_t sim_storm_end_ms(const struct sim_scenario *scenario)
{
	return hours_into_shift_ms(scenario, scenario->storm.start_hours + scenario->storm.hours);
}

/* ---- drawing calls ------------------------------------------------------------------------- */

static const char *const release_names[] = { "operator", "caller", "system" };
static const char *const transfer_targets[] = { "EMS", "FIRE", "EMS", "LAW" };
static const char *const area_codes[] = { "504", "985", "225", "337", "318" };

static int calls_append(struct sim_shift *shift, const struct sim_call *call, char *why,
			size_t why_size)
{
	if (shift->call_count == shift->call_capacity) {
		if (shift->call_capacity >= SIM_MAX_CALLS)
			return fail(why, why_size, "scenario too large: more than %u calls",
				    SIM_MAX_CALLS);
		size_t capacity = shift->call_capacity ? shift->call_capacity * 2 : 1024;
		if (capacity > SIM_MAX_CALLS)
			capacity = SIM_MAX_CALLS;
		struct sim_call *calls = realloc(shift->calls, capacity * sizeof(*calls));
		if (!calls)
			return fail(why, why_size, "out of memory");
		shift->calls = calls;
		shift->call_capacity = capacity;
	}
	shift->calls[shift->call_count] = *call;
	shift->calls[shift->call_count].sequence = (uint32_t)shift->call_count;
	shift->call_count++;
	return 0;
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
			   double incident_share, struct sim_call *call)
{
	double talk_seconds =
		rng_lognormal(rng, scenario->real.median_seconds, scenario->real.sigma);

	if (talk_seconds < scenario->real.min_seconds)
		talk_seconds = scenario->real.min_seconds;
	if (talk_seconds > scenario->real.max_seconds)
		talk_seconds = scenario->real.max_seconds;
	int64_t talk_ms = ms_from_seconds(talk_seconds);
	double incident_at = rng_between(rng, 0.10, 0.60);
	double transfer_at = rng_between(rng, 0.65, 0.95);

	call->kind = SIM_CALL_REAL;
	call->end_ms = call->start_ms + talk_ms;
	if (rng_chance(rng, incident_share))
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
		draw_real_call(scenario, rng, scenario->real.incident_share, call);
	}
}

/* The call becomes a short one the operator ends with nothing done: talk in [min, max] s. */
static void make_short(struct sim_call *call, enum sim_call_kind kind, struct sim_rng *rng,
		       double min_seconds, double max_seconds)
{
	call->kind = (uint8_t)kind;
	call->end_ms = call->start_ms + ms_from_seconds(rng_between(rng, min_seconds, max_seconds));
	call->incident_ms = -1;
	call->transfer_ms = -1;
	call->released_by = SIM_RELEASED_BY_OPERATOR;
}

/* ---- one operator's shift ------------------------------------------------------------------ */

/* One operator's shift being generated: its random streams and the times that matter. */
struct operator_run {
	const struct sim_scenario *scenario;
	const struct sim_misconduct *misconduct; /* NULL: honest */
	struct sim_rng rng;             /* arrivals and outcomes of the usual calls */
	struct sim_rng misconduct_rng;  /* which real calls get cut off, and when */
	struct sim_rng storm_rng;       /* the storm's extra arrivals and their outcomes */
	struct sim_rng storm_short_rng; /* which calls in the storm are short ones */
	int64_t onset_ms;
	int64_t storm_start_ms;         /* INT64_MAX: no storm */
	int64_t storm_end_ms;
	int64_t storm_arrival_ms;       /* the next extra storm call; INT64_MAX: none left */
};

/* Draw the next of the storm's extra arrivals (a Poisson process); INT64_MAX after the storm. */
static void next_storm_arrival(struct operator_run *run)
{
	const struct sim_scenario *scenario = run->scenario;
	double extra_per_hour = scenario->calls_per_hour * (scenario->storm.volume_factor - 1);

	if (run->storm_arrival_ms == INT64_MAX)
		return;
	if (!(extra_per_hour > 0)) {
		run->storm_arrival_ms = INT64_MAX;
		return;
	}
	run->storm_arrival_ms +=
		(int64_t)(rng_exponential(&run->storm_rng, MS_PER_HOUR / extra_per_hour) + 0.5);
	if (run->storm_arrival_ms >= run->storm_end_ms)
		run->storm_arrival_ms = INT64_MAX;
}

static void start_operator_run(const struct sim_scenario *scenario, unsigned operator_index,
			       struct operator_run *run)
{
	uint64_t seed = scenario->seed;

	*run = (struct operator_run){
		.scenario = scenario,
		.misconduct = sim_misconduct_of(scenario, operator_index),
		.storm_start_ms = INT64_MAX,
		.storm_end_ms = INT64_MAX,
		.storm_arrival_ms = INT64_MAX,
	};
	rng_seed(&run->rng, seed, SIM_STREAM_OPERATOR + operator_index);
	rng_seed(&run->misconduct_rng, seed, SIM_STREAM_MISCONDUCT + operator_index);
	rng_seed(&run->storm_rng, seed, SIM_STREAM_STORM_ARRIVALS + operator_index);
	rng_seed(&run->storm_short_rng, seed, SIM_STREAM_STORM_SHORT + operator_index);
	if (run->misconduct)
		run->onset_ms = sim_onset_ms(scenario, run->misconduct);
	if (scenario->storm.hours > 0) {
		run->storm_start_ms = sim_storm_start_ms(scenario);
		run->storm_end_ms = sim_storm_end_ms(scenario);
		run->storm_arrival_ms = run->storm_start_ms;
		next_storm_arrival(run);
	}
}

/* In the storm a share of calls, whatever they were, become short calls the operator ends. */
static void shorten_in_storm(struct operator_run *run, struct sim_call *call)
{
	const struct sim_storm *storm = &run->scenario->storm;

	if (call->start_ms < run->storm_start_ms || call->start_ms >= run->storm_end_ms ||
	    !rng_chance(&run->storm_short_rng, storm->short_share))
		return;
	make_short(call, SIM_CALL_STORM, &run->storm_short_rng, storm->min_seconds,
		   storm->max_seconds);
}

/* From onset, the misbehaving operator cuts off a share of real calls. */
static void cut_off_after_onset(struct operator_run *run, struct sim_call *call)
{
	const struct sim_misconduct *m = run->misconduct;

	if (!m || call->kind != SIM_CALL_REAL || call->start_ms < run->onset_ms ||
	    !rng_chance(&run->misconduct_rng, m->hangup_share))
		return;
	make_short(call, SIM_CALL_CUT_OFF, &run->misconduct_rng, m->min_talk_seconds,
		   m->max_talk_seconds);
}

/*
 * One operator's shift. Calls arrive as a Poisson process (plus, in a storm, a second one
 * for the extra volume); one that arrives while the operator is on a call or in wrap-up
 * waits. The usual calls, the storm's extra calls, the storm's short calls and misconduct
 * each draw from their own stream, so the operator's usual calls are the same whether or not
 * the others are on.
 */
static int generate_operator_calls(const struct sim_scenario *scenario, unsigned operator_index,
				   struct sim_shift *shift, char *why, size_t why_size)
{
	const double mean_gap_ms = MS_PER_HOUR / scenario->calls_per_hour;
	const int64_t end_ms = sim_shift_end_ms(scenario);
	struct operator_run run;
	int64_t arrival_ms = scenario->start_ms, available_ms = scenario->start_ms;
	bool arrival_drawn = false;

	start_operator_run(scenario, operator_index, &run);
	for (;;) {
		if (!arrival_drawn)
			arrival_ms += (int64_t)(rng_exponential(&run.rng, mean_gap_ms) + 0.5);
		arrival_drawn = true;
		bool extra = run.storm_arrival_ms < arrival_ms; /* the storm's call comes first */
		struct sim_rng *rng = extra ? &run.storm_rng : &run.rng;
		int64_t arrived_ms = extra ? run.storm_arrival_ms : arrival_ms;
		struct sim_call call = {
			.start_ms = arrived_ms > available_ms ? arrived_ms : available_ms,
			.operator_index = operator_index,
		};
		if (call.start_ms >= end_ms)
			return 0;
		draw_call(scenario, rng, &call);
		shorten_in_storm(&run, &call);
		cut_off_after_onset(&run, &call);
		if (calls_append(shift, &call, why, why_size) != 0)
			return -1;
		available_ms = call.end_ms + ms_from_seconds(rng_between(rng,
			scenario->wrapup_min_seconds, scenario->wrapup_max_seconds));
		if (extra)
			next_storm_arrival(&run);
		else
			arrival_drawn = false;
	}
}

/* ---- the whole center ---------------------------------------------------------------------- */

/* By start, then operator; creation order settles the (rare) rest, so the order is total. */
static int compare_calls_by_start(const void *a, const void *b)
{
	const struct sim_call *x = a, *y = b;

	if (x->start_ms != y->start_ms)
		return x->start_ms < y->start_ms ? -1 : 1;
	if (x->operator_index != y->operator_index)
		return x->operator_index < y->operator_index ? -1 : 1;
	return (x->sequence > y->sequence) - (x->sequence < y->sequence);
}

static void sort_calls(struct sim_shift *shift)
{
	if (shift->call_count > 0)
		qsort(shift->calls, shift->call_count, sizeof(shift->calls[0]),
		      compare_calls_by_start);
}

static void draw_new_ani(struct sim_rng *rng, char ani[SIM_ANI_DIGITS + 1])
{
	const char *area = area_codes[rng_index(rng, ARRAY_SIZE(area_codes))];

	snprintf(ani, SIM_ANI_DIGITS + 1, "%s555%04u", area, rng_index(rng, 10000));
}

/*
 * Give calls, in start order, their callers: a fresh number from the pool (area code + 555 +
 * 4 digits), none for a few, and for some pocket dials the number of a recent pocket dial
 * again.
 */
static void assign_callers(const struct sim_scenario *scenario, struct sim_shift *shift)
{
	char recent_pocket[SIM_POCKET_RING][SIM_ANI_DIGITS + 1];
	unsigned recent_count = 0;
	struct sim_rng rng;

	rng_seed(&rng, scenario->seed, SIM_STREAM_CALLERS);
	for (size_t i = 0; i < shift->call_count; i++) {
		struct sim_call *call = &shift->calls[i];
		bool pocket = call->kind == SIM_CALL_POCKET;

		if (rng_chance(&rng, scenario->ani_missing_share)) {
			call->ani[0] = '\0';
			continue;
		}
		if (pocket && recent_count > 0 && rng_chance(&rng, scenario->pocket.repeat_share)) {
			unsigned pick =
				rng_index(&rng, recent_count < SIM_POCKET_RING ? recent_count
									       : SIM_POCKET_RING);
			memcpy(call->ani, recent_pocket[pick], sizeof(call->ani));
			continue;
		}
		draw_new_ani(&rng, call->ani);
		if (pocket)
			memcpy(recent_pocket[recent_count++ % SIM_POCKET_RING], call->ani,
			       sizeof(call->ani));
	}
}

/* Number the calls (call_id) and their incidents in start order. */
static void number_calls(struct sim_shift *shift)
{
	uint32_t incident_count = 0;

	for (size_t i = 0; i < shift->call_count; i++) {
		struct sim_call *call = &shift->calls[i];
		call->number = (uint32_t)(i + 1);
		if (call->incident_ms >= 0)
			call->incident_number = ++incident_count;
	}
}

/* ---- redials ------------------------------------------------------------------------------- */

/* Who is on a call when: each operator's calls in start order, for a binary search. */
struct roster {
	uint32_t *first;      /* operator_count + 1 offsets into by_operator */
	uint32_t *by_operator; /* call indexes, grouped by operator, in start order */
	uint32_t *candidates; /* scratch: operators free at some moment */
};

static void roster_free(struct roster *roster)
{
	free(roster->first);
	free(roster->by_operator);
	free(roster->candidates);
}

/* Index the shift's calls (sorted by start) by operator. */
static int roster_build(struct roster *roster, const struct sim_scenario *scenario,
			const struct sim_shift *shift)
{
	unsigned operators = scenario->operator_count;

	roster->first = calloc(operators + 1, sizeof(*roster->first));
	roster->by_operator = malloc((shift->call_count + 1) * sizeof(*roster->by_operator));
	roster->candidates = malloc(operators * sizeof(*roster->candidates));
	if (!roster->first || !roster->by_operator || !roster->candidates) {
		roster_free(roster);
		return -1;
	}
	for (size_t i = 0; i < shift->call_count; i++)
		roster->first[shift->calls[i].operator_index + 1]++;
	for (unsigned op = 0; op < operators; op++)
		roster->first[op + 1] += roster->first[op];
	for (unsigned op = 0; op < operators; op++)
		roster->candidates[op] = roster->first[op]; /* next free slot of op */
	for (size_t i = 0; i < shift->call_count; i++)
		roster->by_operator[roster->candidates[shift->calls[i].operator_index]++] =
			(uint32_t)i;
	return 0;
}

/* True when the operator is not on a call at at_ms. */
static bool roster_is_free(const struct roster *roster, const struct sim_shift *shift,
			   unsigned operator_index, int64_t at_ms)
{
	uint32_t low = roster->first[operator_index], high = roster->first[operator_index + 1];

	while (low < high) { /* the first of the operator's calls that starts after at_ms */
		uint32_t middle = low + (high - low) / 2;
		if (shift->calls[roster->by_operator[middle]].start_ms <= at_ms)
			low = middle + 1;
		else
			high = middle;
	}
	return low == roster->first[operator_index] ||
	       shift->calls[roster->by_operator[low - 1]].end_ms <= at_ms;
}

/* Who answers a redial: at random among the operators free at at_ms other than the one who
 * cut the caller off, or among all the others when everyone is busy. */
static unsigned pick_answering_operator(const struct sim_scenario *scenario,
					const struct roster *roster, const struct sim_shift *shift,
					unsigned cut_off_by, int64_t at_ms, struct sim_rng *rng)
{
	unsigned count = 0;

	if (scenario->operator_count == 1)
		return cut_off_by;
	for (unsigned op = 0; op < scenario->operator_count; op++)
		if (op != cut_off_by && roster_is_free(roster, shift, op, at_ms))
			roster->candidates[count++] = op;
	if (count > 0)
		return roster->candidates[rng_index(rng, count)];
	unsigned pick = rng_index(rng, scenario->operator_count - 1);
	return pick >= cut_off_by ? pick + 1 : pick;
}

/* The redial of the cut-off call at index cut_off, 1-5 minutes after it: a real call, from
 * the same number, usually with an incident. False when it would fall after the shift. */
static bool draw_redial(const struct sim_scenario *scenario, const struct roster *roster,
			struct sim_shift *shift, size_t cut_off, struct sim_rng *rng,
			struct sim_call *redial)
{
	const struct sim_call *origin = &shift->calls[cut_off];
	double delay_seconds = rng_between(rng, scenario->redial.min_seconds,
					   scenario->redial.max_seconds);

	*redial = (struct sim_call){ .start_ms = origin->end_ms + ms_from_seconds(delay_seconds),
				     .incident_ms = -1, .transfer_ms = -1 };
	if (redial->start_ms >= sim_shift_end_ms(scenario))
		return false;
	memcpy(redial->ani, origin->ani, sizeof(redial->ani));
	redial->operator_index = pick_answering_operator(
		scenario, roster, shift, origin->operator_index, redial->start_ms, rng);
	draw_real_call(scenario, rng, scenario->redial.incident_share, redial);
	redial->kind = SIM_CALL_REDIAL;
	return true;
}

/*
 * A share of cut-off callers ring 911 again. Each redial is a new call answered by someone
 * free at the time; it is never cut off, and it does not hold up its operator's own queue
 * (so it may overlap that operator's next call: the detector judges calls one by one).
 */
static int add_redials(const struct sim_scenario *scenario, struct sim_shift *shift, char *why,
		       size_t why_size)
{
	size_t original_count = shift->call_count;
	struct roster roster;
	struct sim_rng rng;
	int rc = 0;

	if (scenario->redial.share <= 0)
		return 0;
	if (roster_build(&roster, scenario, shift) != 0)
		return fail(why, why_size, "out of memory");
	rng_seed(&rng, scenario->seed, SIM_STREAM_REDIALS);
	for (size_t i = 0; i < original_count && rc == 0; i++) {
		struct sim_call redial;
		if (shift->calls[i].kind != SIM_CALL_CUT_OFF ||
		    !rng_chance(&rng, scenario->redial.share) ||
		    !draw_redial(scenario, &roster, shift, i, &rng, &redial))
			continue;
		shift->calls[i].redialed = true;
		rc = calls_append(shift, &redial, why, why_size);
	}
	roster_free(&roster);
	return rc;
}

/* ---- events -------------------------------------------------------------------------------- */

static int compare_events(const void *a, const void *b)
{
	const struct sim_event *x = a, *y = b;

	if (x->ts_ms != y->ts_ms)
		return x->ts_ms < y->ts_ms ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static void events_push(struct sim_shift *shift, int64_t ts_ms, size_t call_index,
			enum sim_event_type type)
{
	struct sim_event *event = &shift->events[shift->event_count];

	event->ts_ms = ts_ms;
	event->call_index = (uint32_t)call_index;
	event->seq = (uint32_t)shift->event_count;
	event->type = (uint8_t)type;
	shift->event_count++;
}

/* Room for every call's events: at most four a call. */
static int reserve_events(struct sim_shift *shift, char *why, size_t why_size)
{
	size_t needed = shift->call_count * 4 + 1;

	if (shift->event_capacity >= needed)
		return 0;
	free(shift->events);
	shift->events = malloc(needed * sizeof(shift->events[0]));
	shift->event_capacity = shift->events ? needed : 0;
	return shift->events ? 0 : fail(why, why_size, "out of memory");
}

/* Every call's events, all operators together, in ts order (stable). */
static int build_events(struct sim_shift *shift, char *why, size_t why_size)
{
	shift->event_count = 0;
	if (reserve_events(shift, why, why_size) != 0)
		return -1;
	for (size_t i = 0; i < shift->call_count; i++) {
		const struct sim_call *call = &shift->calls[i];

		events_push(shift, call->start_ms, i, SIM_EVENT_CALL_START);
		if (call->incident_ms >= 0)
			events_push(shift, call->incident_ms, i, SIM_EVENT_INCIDENT);
		if (call->transfer_ms >= 0)
			events_push(shift, call->transfer_ms, i, SIM_EVENT_TRANSFER);
		events_push(shift, call->end_ms, i, SIM_EVENT_CALL_END);
	}
	qsort(shift->events, shift->event_count, sizeof(shift->events[0]), compare_events);
	return 0;
}

int sim_shift_generate(const struct sim_scenario *scenario, struct sim_shift *shift, char *why,
		       size_t why_size)
{
	shift->call_count = 0;
	shift->event_count = 0;
	for (unsigned op = 0; op < scenario->operator_count; op++)
		if (generate_operator_calls(scenario, op, shift, why, why_size) != 0)
			return -1;
	sort_calls(shift);
	assign_callers(scenario, shift);
	size_t without_redials = shift->call_count;
	if (add_redials(scenario, shift, why, why_size) != 0)
		return -1;
	if (shift->call_count != without_redials)
		sort_calls(shift);
	number_calls(shift);
	return build_events(shift, why, why_size);
}

void sim_shift_free(struct sim_shift *shift)
{
	free(shift->calls);
	free(shift->events);
	*shift = (struct sim_shift){ 0 };
}

/* ---- protocol v1 lines --------------------------------------------------------------------- */

static void format_call_start(const struct sim_scenario *scenario, const struct sim_call *call,
			      const char *head, char *line, size_t size)
{
	unsigned operator_number = call->operator_index + 1;
	char ani[sizeof(call->ani) + 16] = "";

	if (call->ani[0])
		snprintf(ani, sizeof(ani), ",\"ani\":\"%s\"", call->ani);
	snprintf(line, size,
		 "%s,\"operator\":\"op-%02u\",\"agency\":\"%s\",\"position\":\"P%02u\"%s}\n", head,
		 operator_number, scenario->agency, operator_number, ani);
}

size_t sim_format_event(const struct sim_scenario *scenario, const struct sim_shift *shift,
			size_t event_index, char line[SIM_LINE_MAX])
{
	static const char *const type_names[] = { "call_start", "incident", "transfer",
						  "call_end" };
	const struct sim_event *event = &shift->events[event_index];
	const struct sim_call *call = &shift->calls[event->call_index];
	char ts[TIMESTAMP_TEXT_MAX];
	char head[160];

	timestamp_format(event->ts_ms, ts);
	snprintf(head, sizeof(head),
		 "{\"type\":\"%s\",\"call_id\":\"%s-%06" PRIu32 "\",\"ts\":\"%s\"",
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

/* ---- ground truth -------------------------------------------------------------------------- */

void sim_count_operators(const struct sim_scenario *scenario, const struct sim_shift *shift,
			 struct sim_operator_counts *counts)
{
	memset(counts, 0, scenario->operator_count * sizeof(*counts));
	for (size_t i = 0; i < shift->call_count; i++) {
		const struct sim_call *call = &shift->calls[i];
		struct sim_operator_counts *c = &counts[call->operator_index];

		c->calls++;
		c->pocket_dials += call->kind == SIM_CALL_POCKET;
		c->abandoned_calls += call->kind == SIM_CALL_ABANDONED;
		c->cut_off_calls += call->kind == SIM_CALL_CUT_OFF;
		c->cut_off_redialed += call->kind == SIM_CALL_CUT_OFF && call->redialed;
		c->storm_calls += call->kind == SIM_CALL_STORM;
		c->redials_answered += call->kind == SIM_CALL_REDIAL;
	}
}

static void write_truth_scenario(FILE *file, const struct sim_scenario *scenario,
				 const struct sim_shift *shift,
				 const struct sim_operator_counts *counts)
{
	char start[TIMESTAMP_TEXT_MAX], storm_start[TIMESTAMP_TEXT_MAX],
		storm_end[TIMESTAMP_TEXT_MAX];
	unsigned cut_off_calls = 0, redials = 0;

	timestamp_format(scenario->start_ms, start);
	fprintf(file,
		"{\"scenario\":\"%s\",\"seed\":%" PRIu64 ",\"agency\":\"%s\",\"start\":\"%s\","
		"\"hours\":%g,\"operators\":%u,\"calls_per_hour\":%g,\"pocket_share\":%g,"
		"\"calls\":%zu,\"lines\":%zu",
		scenario->name, scenario->seed, scenario->agency, start, scenario->shift_hours,
		scenario->operator_count, scenario->calls_per_hour, scenario->pocket.share,
		shift->call_count, shift->event_count);
	if (scenario->storm.hours > 0) {
		timestamp_format(sim_storm_start_ms(scenario), storm_start);
		timestamp_format(sim_storm_end_ms(scenario), storm_end);
		fprintf(file,
			",\"storm\":{\"start\":\"%s\",\"end\":\"%s\",\"short_share\":%g,"
			"\"volume_factor\":%g}",
			storm_start, storm_end, scenario->storm.short_share,
			scenario->storm.volume_factor);
	}
	if (scenario->redial.share > 0) {
		for (unsigned op = 0; op < scenario->operator_count; op++) {
			cut_off_calls += counts[op].cut_off_calls;
			redials += counts[op].redials_answered;
		}
		fprintf(file, ",\"redial_share\":%g,\"cut_off_calls\":%u,\"redials\":%u",
			scenario->redial.share, cut_off_calls, redials);
	}
	fputs("}\n", file);
}

static void write_truth_operator(FILE *file, const struct sim_scenario *scenario,
				 unsigned operator_index, const struct sim_operator_counts *counts)
{
	const struct sim_misconduct *misconduct = sim_misconduct_of(scenario, operator_index);
	char onset[TIMESTAMP_TEXT_MAX];

	fprintf(file, "{\"operator\":\"op-%02u\",\"agency\":\"%s\",\"misbehaving\":%s",
		operator_index + 1, scenario->agency, misconduct ? "true" : "false");
	if (misconduct) {
		timestamp_format(sim_onset_ms(scenario, misconduct), onset);
		fprintf(file, ",\"onset\":\"%s\",\"hangup_share\":%g", onset,
			misconduct->hangup_share);
	}
	fprintf(file,
		",\"calls\":%u,\"pocket_dials\":%u,\"abandoned_calls\":%u,\"cut_off_calls\":%u",
		counts->calls, counts->pocket_dials, counts->abandoned_calls,
		counts->cut_off_calls);
	if (scenario->storm.hours > 0)
		fprintf(file, ",\"storm_calls\":%u", counts->storm_calls);
	if (scenario->redial.share > 0)
		fprintf(file, ",\"cut_off_redialed\":%u,\"redials_answered\":%u",
			counts->cut_off_redialed, counts->redials_answered);
	fputs("}\n", file);
}

int sim_write_truth(FILE *file, const struct sim_scenario *scenario, const struct sim_shift *shift)
{
	struct sim_operator_counts *counts = calloc(scenario->operator_count, sizeof(*counts));

	if (!counts)
		return -1;
	sim_count_operators(scenario, shift, counts);
	write_truth_scenario(file, scenario, shift, counts);
	for (unsigned op = 0; op < scenario->operator_count; op++)
		write_truth_operator(file, scenario, op, &counts[op]);
	free(counts);
	return ferror(file) ? -1 : 0;
}
