/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_SEQUENTIAL_H
#define CADMON_SEQUENTIAL_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The arithmetic of the sequential rule (docs/detection.md, "The sequential rule"), kept apart
 * from the detector's tables so it can be checked value by value.
 *
 * A rate is a pair of exponentially decayed sums (calls, premature hangups) in event time:
 * advanced to t, both are multiplied by 2^(-(t - at) / half_life). Time never runs back: a
 * call older than the sums is added at their time, undecayed. A call is counted from the next
 * millisecond on: the rate at t is that of the calls that ended before t.
 *
 * Each call's expectation p0 is the rest of the baseline's rate at the call,
 *   p_rest = (P - p_own + prior_calls * prior_ratio) / (C - c_own + prior_calls),
 * times the operator's own factor (their long-run premature count over what the rest of the
 * baseline expected of them, shrunk toward 1 and kept within [1, max_own_factor]). Under H1
 * the odds of a premature hangup are odds_ratio times p0's; each call adds its log-likelihood
 * ratio to a CUSUM floored at 0, a callback adds ln(called_back_weight).
 */

struct codec_writer;
struct codec_reader;

struct sequential_rate {
	double calls;     /* decayed count of calls that ended before at_ms */
	double premature; /* decayed count of premature hangups among them */
	int64_t at_ms;    /* the time they are decayed to */
	double pending_calls;     /* calls added at at_ms itself: counted once time moves on, */
	double pending_premature; /* so calls ending in the same millisecond never see each other
				   * (the result does not depend on their order) */
};

/** Decay *rate to now_ms (no change when now_ms is not later than rate->at_ms). */
void sequential_rate_advance(struct sequential_rate *rate, int64_t now_ms,
			     double half_life_seconds);

/**
 * The operator's worked clock: of the time since *rate's last call (rate->at_ms) up to now_ms,
 * only max_gap_ms counts (max_gap_ms <= 0: all of it). The rest (the call-taker was away,
 * logged off between shifts) neither decays the calls nor counts as observed: rate->at_ms and
 * *first_ms, the clock's start, move on by it. Call before advancing to now_ms.
 */
static inline void sequential_rate_skip_gap(struct sequential_rate *rate, int64_t *first_ms,
					    int64_t now_ms, int64_t max_gap_ms)
{
	if (max_gap_ms <= 0 || rate->at_ms == INT64_MIN || now_ms - rate->at_ms <= max_gap_ms)
		return;
	int64_t skipped_ms = now_ms - rate->at_ms - max_gap_ms;

	rate->at_ms += skipped_ms;
	*first_ms += skipped_ms;
}

/*
 * The decay factors of gaps below SEQUENTIAL_DECAY_MEMO_MS milliseconds at one half-life, kept
 * once computed: an agency's baseline advances by a gap of under a second at nearly every call
 * of a busy center, and the same few thousand gaps repeat. Each is exp2 of exactly what
 * sequential_rate_advance divides, so a rate advanced with or without it is the same bit for bit.
 */
#define SEQUENTIAL_DECAY_MEMO_MS 2048
struct sequential_decay_memo {
	double half_life_seconds;                 /* of the factors kept; 0: none kept yet */
	double factor[SEQUENTIAL_DECAY_MEMO_MS]; /* by gap in ms; 0: not computed yet */
};

/** sequential_rate_advance_memo's every case (what it calls when the factor is not kept). */
void sequential_rate_advance_memo_any(struct sequential_rate *rate, int64_t now_ms,
				      double half_life_seconds, struct sequential_decay_memo *memo);

/** sequential_rate_advance, taking the factor of a short gap from *memo (filled as it goes;
 * emptied when half_life_seconds is not the one it holds). Inline when the factor is kept: a
 * baseline's four rates advance at every call, nearly always by a gap already seen. */
static inline void sequential_rate_advance_memo(struct sequential_rate *rate, int64_t now_ms,
						double half_life_seconds,
						struct sequential_decay_memo *memo)
{
	if (now_ms <= rate->at_ms)
		return;
	bool memoized = rate->at_ms != INT64_MIN &&
			now_ms - rate->at_ms < SEQUENTIAL_DECAY_MEMO_MS &&
			memo->half_life_seconds == half_life_seconds;
	double factor = memoized ? memo->factor[now_ms - rate->at_ms] : 0.0;
	if (factor == 0.0) { /* not kept (or an underflow, computed again: the same 0) */
		sequential_rate_advance_memo_any(rate, now_ms, half_life_seconds, memo);
		return;
	}
	rate->calls = (rate->calls + rate->pending_calls) * factor;
	rate->premature = (rate->premature + rate->pending_premature) * factor;
	rate->pending_calls = rate->pending_premature = 0.0;
	rate->at_ms = now_ms;
}

/** Add one call to a rate already advanced to the call's time (what sequential_rate_add does
 * after its advance, which then changes nothing). */
static inline void sequential_rate_count(struct sequential_rate *rate, bool premature)
{
	rate->pending_calls += 1.0;
	rate->pending_premature += premature;
}

/** Advance to now_ms and add one call. */
void sequential_rate_add(struct sequential_rate *rate, int64_t now_ms, double half_life_seconds,
			 bool premature);

/**
 * The rest of the baseline's premature probability: whole minus own (both advanced to the same
 * time by the caller), with prior_calls pseudo-calls at prior_ratio.
 */
double sequential_rest_ratio(const struct sequential_rate *whole, const struct sequential_rate *own,
			     double prior_calls, double prior_ratio);

/**
 * sequential_rest_ratio with own_kept (0 to 1) of the operator's own calls left in the rest:
 * whole minus (1 - own_kept) times own. own_kept 0 is sequential_rest_ratio, bit for bit.
 */
double sequential_rest_ratio_keeping(const struct sequential_rate *whole,
				     const struct sequential_rate *own, double own_kept,
				     double prior_calls, double prior_ratio);

/**
 * The Wilson upper bound, at z standard errors, of sequential_rest_ratio_keeping's rate: its
 * calls (the rest's weighted calls plus prior_calls) as the sample size. Few calls: a wide
 * bound (up to 1); z 0: the rate itself.
 */
double sequential_rest_upper(const struct sequential_rate *whole,
			     const struct sequential_rate *own, double own_kept,
			     double prior_calls, double prior_ratio, double z);

/**
 * A baseline's volume surge: its calls per hour at the fast half-life over its calls per hour
 * at the usual (longer) one, both from sequential_calls_per_hour over observed_seconds (the
 * baseline's worked clock since its first call). -1 (not known) until observed_seconds reaches
 * usual_half_life_seconds or while the usual rate is 0.
 */
double sequential_volume_surge(const struct sequential_rate *fast, double fast_half_life_seconds,
			       const struct sequential_rate *usual, double usual_half_life_seconds,
			       double observed_seconds);

/**
 * sequential_volume_surge where it may reach floor (> 0); -1 where it is certainly below floor,
 * found without the usual rate's expm1: that rate is at least its calls over its whole exposure
 * (half-life / ln 2). The same value as sequential_volume_surge whenever that is >= floor, for
 * a normal floor (>= DBL_MIN; a subnormal one may give -1 at a surge equal to it, where the
 * weight is 0 either way). floor <= 0: sequential_volume_surge.
 */
double sequential_volume_surge_over(const struct sequential_rate *fast,
				    double fast_half_life_seconds,
				    const struct sequential_rate *usual,
				    double usual_half_life_seconds, double observed_seconds,
				    double floor);

/**
 * How much of a storm treatment a surge calls for: 0 below factor (or when factor <= 0: off),
 * rising linearly to 1 at factor + ramp (ramp <= 0: a step at factor).
 */
double sequential_surge_weight(double surge, double factor, double ramp);

/**
 * The operator's own factor: (observed + prior) / (expected + prior), kept within
 * [1, max_own_factor]. observed: their long-run premature hangups; expected: the sum of the
 * rest of the baseline's ratio over the same calls; prior: pseudo-hangups pulling toward 1.
 */
double sequential_own_factor(double observed, double expected, double prior, double max_own_factor);

/**
 * The log-likelihood ratio of one call whose expectation is p0 (kept within [0.001, 0.95]),
 * H1 being that the operator also ends early cut_share of the calls that would not have been:
 * p1 = p0 + cut_share (1 - p0). ln(p1 / p0) when premature, ln((1 - p1) / (1 - p0)) if not.
 */
double sequential_llr(double p0, double cut_share, bool premature);

/*
 * From this cut_share on, the log-likelihood ratio of a call that is not premature is below 0
 * for every p0 by far more than log1p's rounding (p1 - p is at least 5e-8, each log1p within an
 * ulp of 4.6 at most): a CUSUM at 0 stays at 0 without it being computed.
 */
#define SEQUENTIAL_SURE_CUT_SHARE 1e-6

/**
 * The CUSUM threshold h for at least false_alarm_calls calls between false alarms: ln of it.
 * Under H0 the likelihood ratio of any stretch of calls is a martingale of mean 1, whatever
 * each call's expectation, so a CUSUM of log-likelihood ratios reaches h after e^h calls or
 * more on average (Lorden 1971); docs/detection.md gives the true figures (Brook-Evans).
 * Negative when false_alarm_calls <= 1.
 */
double sequential_threshold(double false_alarm_calls);

/**
 * An operator's calls per hour from rate (its calls, decayed at half_life_seconds, advanced to
 * now) over observed_seconds since its first call: the decayed count over the decayed exposure,
 * calls / (half_life / ln 2 * (1 - 2^(-observed / half_life))) per second, times 3600. -1 (not
 * known) while observed_seconds is below half_life_seconds: too few calls to judge by.
 */
double sequential_calls_per_hour(const struct sequential_rate *rate, double observed_seconds,
				 double half_life_seconds);

/**
 * The threshold for an operator taking calls_per_hour (-1: not known): at least
 * false_alarm_hours hours between false alarms rather than false_alarm_calls calls, that is
 * ln(false_alarm_hours * calls_per_hour), calls_per_hour taken as at least 1 and, when
 * max_calls_per_hour > 0, at most max_calls_per_hour (a feed that invents calls for one
 * operator cannot raise the threshold past ln(false_alarm_hours * max_calls_per_hour)).
 * Unless raises, never above h_calls (the per-call threshold): only an operator with few
 * calls an hour gets a lower one; with raises, a busy hour (a storm) also gets a higher one.
 * h_calls when false_alarm_hours is 0 or the rate is not known.
 */
double sequential_hourly_threshold(double h_calls, double false_alarm_hours, double calls_per_hour,
				   double max_calls_per_hour, bool raises);

/*
 * An operator's long-run history for the own factor: premature hangups observed and what the
 * rest of the baseline expected of the same calls, decayed with a half-life (a week). A call
 * enters as "settling" and is moved into the settled sums with settle_seconds as half-life:
 * the settled sums hold the calls of earlier shifts (a position that honestly gets many pocket
 * dials) and little of the last hours (a change of behaviour: a rogue's); see
 * sequential_history_factor. settle_seconds 0: every call is settled at once.
 */
struct sequential_history {
	double observed;          /* settled premature hangups, decayed */
	double expected;          /* settled expectation of the same calls */
	double settling_observed; /* not settled yet */
	double settling_expected;
	int64_t at_ms;            /* the time they are decayed to; INT64_MIN: empty */
};

/**
 * The operator's own factor from their history: the larger of the factor of every call in it
 * (settled or not) with history_prior, and, once the settled calls hold at least
 * settled_min_expected expected hangups (the long-run rate is known), the factor of the settled
 * calls alone with settled_prior (0: not used). The first damps an honest call-taker's unlucky
 * run at once; the second learns a position's own rate from earlier shifts with little
 * shrinkage, while the last hours' calls (a rogue's first cut-offs) have not settled into it.
 * Both within [1, max_own_factor].
 */
double sequential_history_factor(const struct sequential_history *history, double history_prior,
				 double settled_prior, double settled_min_expected,
				 double max_own_factor);

/** Decay *history to now_ms with half_life_seconds, and settle what settle_seconds moves. */
void sequential_history_advance(struct sequential_history *history, int64_t now_ms,
				double half_life_seconds, double settle_seconds);

/** Add one call (premature or not, with its expectation), settling at once when settle_seconds is
 * 0. */
void sequential_history_add(struct sequential_history *history, bool premature, double expected,
			    double settle_seconds);

/** Write *history into a snapshot (observed, expected, at_ms, then the settling sums). */
void sequential_history_save(const struct sequential_history *history, struct codec_writer *writer);

/** Read what sequential_history_save wrote. */
void sequential_history_load(struct sequential_history *history, struct codec_reader *reader);

#endif
