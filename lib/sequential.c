/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "sequential.h"

#include <math.h>
#include <string.h>

#include "codec.h"


#define P_MIN 0.001  /* expectations are kept inside (P_MIN, P_MAX) so every LLR is finite */
#define P_MAX 0.95
#define P1_MAX 0.99 /* and H1 below certainty */
#define LN2 0.69314718055994530942
/* Below the floor by more than rounding can move a quotient (a few units in 1e-16). */
#define SURGE_FLOOR_MARGIN (1.0 - 1e-9)
/* expm1 of anything below this is -1.0 exactly (sequential_calls_per_hour). */
#define EXPM1_MINUS_ONE_BELOW (-40.0)

void sequential_rate_advance(struct sequential_rate *rate, int64_t now_ms, double half_life_seconds)
{
	if (now_ms <= rate->at_ms)
		return;
	if (rate->at_ms == INT64_MIN) { /* nothing seen yet: nothing to decay */
		rate->at_ms = now_ms;
		return;
	}
	double factor = exp2(-(double)(now_ms - rate->at_ms) / (half_life_seconds * 1000.0));
	rate->calls = (rate->calls + rate->pending_calls) * factor;
	rate->premature = (rate->premature + rate->pending_premature) * factor;
	rate->pending_calls = rate->pending_premature = 0.0;
	rate->at_ms = now_ms;
}

void sequential_rate_advance_memo_any(struct sequential_rate *rate, int64_t now_ms,
				      double half_life_seconds, struct sequential_decay_memo *memo)
{
	if (now_ms <= rate->at_ms)
		return;
	if (rate->at_ms == INT64_MIN) {
		rate->at_ms = now_ms;
		return;
	}
	int64_t gap_ms = now_ms - rate->at_ms;
	if (gap_ms >= SEQUENTIAL_DECAY_MEMO_MS) {
		sequential_rate_advance(rate, now_ms, half_life_seconds);
		return;
	}
	if (memo->half_life_seconds != half_life_seconds) {
		memset(memo->factor, 0, sizeof(memo->factor));
		memo->half_life_seconds = half_life_seconds;
	}
	double factor = memo->factor[gap_ms];
	if (factor == 0.0) /* not computed yet (or an underflow, computed again: the same 0) */
		factor = memo->factor[gap_ms] =
			exp2(-(double)gap_ms / (half_life_seconds * 1000.0));
	rate->calls = (rate->calls + rate->pending_calls) * factor;
	rate->premature = (rate->premature + rate->pending_premature) * factor;
	rate->pending_calls = rate->pending_premature = 0.0;
	rate->at_ms = now_ms;
}

void sequential_rate_add(struct sequential_rate *rate, int64_t now_ms, double half_life_seconds,
			 bool premature)
{
	sequential_rate_advance(rate, now_ms, half_life_seconds);
	rate->pending_calls += 1.0;
	rate->pending_premature += premature;
}

double sequential_rest_ratio(const struct sequential_rate *whole, const struct sequential_rate *own,
			     double prior_calls, double prior_ratio)
{
	return sequential_rest_ratio_keeping(whole, own, 0.0, prior_calls, prior_ratio);
}

/* The rest's calls and premature hangups (whole minus the share of own taken out), with the
 * prior's pseudo-calls. */
static void rest_counts(const struct sequential_rate *whole, const struct sequential_rate *own,
			double own_kept, double prior_calls, double prior_ratio, double *calls_out,
			double *premature_out)
{
	double out = 1.0 - own_kept;
	double calls = whole->calls - out * own->calls;
	double premature = whole->premature - out * own->premature;

	if (calls < 0.0)
		calls = 0.0;
	if (premature < 0.0)
		premature = 0.0;
	if (premature > calls)
		premature = calls;
	*calls_out = calls + prior_calls;
	*premature_out = premature + prior_calls * prior_ratio;
}

double sequential_rest_ratio_keeping(const struct sequential_rate *whole,
				     const struct sequential_rate *own, double own_kept,
				     double prior_calls, double prior_ratio)
{
	double calls, premature;

	rest_counts(whole, own, own_kept, prior_calls, prior_ratio, &calls, &premature);
	return premature / calls;
}

double sequential_rest_upper(const struct sequential_rate *whole,
			     const struct sequential_rate *own, double own_kept,
			     double prior_calls, double prior_ratio, double z)
{
	double n, premature;

	rest_counts(whole, own, own_kept, prior_calls, prior_ratio, &n, &premature);
	double p = premature / n;
	double z2 = z * z;
	double spread = z * sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n));
	double upper = (p + z2 / (2.0 * n) + spread) / (1.0 + z2 / n);

	return upper < p ? p : upper > 1.0 ? 1.0 : upper;
}

double sequential_own_factor(double observed, double expected, double prior, double max_own_factor)
{
	double factor = expected + prior > 0.0 ? (observed + prior) / (expected + prior) : 1.0;

	if (factor > max_own_factor)
		factor = max_own_factor;
	return factor > 1.0 ? factor : 1.0;
}

double sequential_llr(double p0, double cut_share, bool premature)
{
	double p = p0 < P_MIN ? P_MIN : p0 > P_MAX ? P_MAX : p0;
	double p1 = p + cut_share * (1.0 - p);

	if (p1 > P1_MAX)
		p1 = P1_MAX;

	return premature ? log(p1 / p) : log1p(-p1) - log1p(-p);
}

double sequential_threshold(double false_alarm_calls)
{
	return false_alarm_calls > 1.0 ? log(false_alarm_calls) : -1.0;
}

double sequential_calls_per_hour(const struct sequential_rate *rate, double observed_seconds,
				 double half_life_seconds)
{
	if (!(half_life_seconds > 0.0) || observed_seconds < half_life_seconds)
		return -1.0;
	double x = -LN2 * observed_seconds / half_life_seconds;
	/* Below -56 ln2 (over 56 half-lives observed) expm1 is -1 exactly: e^x is under a quarter
	 * of the ulp of 1 just below it, and glibc returns -1 there without computing. Skipped. */
	double exposure = half_life_seconds / LN2 * -(x < EXPM1_MINUS_ONE_BELOW ? -1.0 : expm1(x));

	return (rate->calls + rate->pending_calls) / exposure * 3600.0;
}

double sequential_volume_surge(const struct sequential_rate *fast, double fast_half_life_seconds,
			       const struct sequential_rate *usual, double usual_half_life_seconds,
			       double observed_seconds)
{
	return sequential_volume_surge_over(fast, fast_half_life_seconds, usual,
					    usual_half_life_seconds, observed_seconds, 0.0);
}

double sequential_volume_surge_over(const struct sequential_rate *fast,
				    double fast_half_life_seconds,
				    const struct sequential_rate *usual,
				    double usual_half_life_seconds, double observed_seconds,
				    double floor)
{
	double fast_per_hour =
		sequential_calls_per_hour(fast, observed_seconds, fast_half_life_seconds);

	if (fast_per_hour < 0.0)
		return -1.0;
	if (floor > 0.0 && usual_half_life_seconds > 0.0) {
		/* the usual exposure is at most half-life / ln 2, so its rate at least this */
		double usual_least = (usual->calls + usual->pending_calls) /
				     (usual_half_life_seconds / LN2) * 3600.0;
		if (fast_per_hour < floor * usual_least * SURGE_FLOOR_MARGIN)
			return -1.0;
	}
	double usual_per_hour =
		sequential_calls_per_hour(usual, observed_seconds, usual_half_life_seconds);

	if (!(usual_per_hour > 0.0))
		return -1.0;
	return fast_per_hour / usual_per_hour;
}

double sequential_surge_weight(double surge, double factor, double ramp)
{
	if (!(factor > 0.0) || surge < factor)
		return 0.0;
	if (!(ramp > 0.0) || surge >= factor + ramp)
		return 1.0;
	return (surge - factor) / ramp;
}

double sequential_hourly_threshold(double h_calls, double false_alarm_hours, double calls_per_hour,
				   double max_calls_per_hour, bool raises)
{
	if (!(false_alarm_hours > 0.0) || calls_per_hour < 0.0)
		return h_calls;
	double rate = max_calls_per_hour > 0.0 && calls_per_hour > max_calls_per_hour
			      ? max_calls_per_hour
			      : calls_per_hour;
	double h = log(false_alarm_hours * (rate > 1.0 ? rate : 1.0));

	return h < h_calls || raises ? h : h_calls;
}

double sequential_history_factor(const struct sequential_history *history, double history_prior,
				 double settled_prior, double settled_min_expected,
				 double max_own_factor)
{
	double all = sequential_own_factor(history->observed + history->settling_observed,
					   history->expected + history->settling_expected,
					   history_prior, max_own_factor);

	if (!(settled_prior > 0.0) || history->expected < settled_min_expected)
		return all;
	double settled = sequential_own_factor(history->observed, history->expected, settled_prior,
					       max_own_factor);

	return settled > all ? settled : all;
}

void sequential_history_advance(struct sequential_history *history, int64_t now_ms,
				double half_life_seconds, double settle_seconds)
{
	if (now_ms <= history->at_ms)
		return;
	if (history->at_ms == INT64_MIN) {
		*history = (struct sequential_history){ .at_ms = now_ms };
		return;
	}
	double seconds = (double)(now_ms - history->at_ms) / 1000.0;
	double factor = exp2(-seconds / half_life_seconds);
	double stay = settle_seconds > 0.0 ? exp2(-seconds / settle_seconds) : 0.0;

	history->observed =
		(history->observed + (1.0 - stay) * history->settling_observed) * factor;
	history->expected =
		(history->expected + (1.0 - stay) * history->settling_expected) * factor;
	history->settling_observed *= stay * factor;
	history->settling_expected *= stay * factor;
	history->at_ms = now_ms;
}

void sequential_history_add(struct sequential_history *history, bool premature, double expected,
			    double settle_seconds)
{
	if (settle_seconds > 0.0) {
		history->settling_observed += premature;
		history->settling_expected += expected;
	} else {
		history->observed += premature;
		history->expected += expected;
	}
}

void sequential_history_save(const struct sequential_history *history, struct codec_writer *writer)
{
	codec_put_f64(writer, history->observed);
	codec_put_f64(writer, history->expected);
	codec_put_i64(writer, history->at_ms);
	codec_put_f64(writer, history->settling_observed);
	codec_put_f64(writer, history->settling_expected);
}

void sequential_history_load(struct sequential_history *history, struct codec_reader *reader)
{
	history->observed = codec_get_f64(reader);
	history->expected = codec_get_f64(reader);
	history->at_ms = codec_get_i64(reader);
	history->settling_observed = codec_get_f64(reader);
	history->settling_expected = codec_get_f64(reader);
}
