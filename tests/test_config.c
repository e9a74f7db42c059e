/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */

/* Unit tests for lib/config.c: defaults, every key, and every error with its exact text. */

#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "array.h"
#include "config.h"
#include "event.h"

static int parse_text(const char *text, struct config *config, struct config_errors *errors)
{
	return config_parse(text, strlen(text), "cadmon.yaml", config, errors);
}

/* Parse text that must be valid; returns the config. */
static struct config parse_ok(const char *text)
{
	struct config config;
	struct config_errors errors;
	int rc;

	config_set_defaults(&config);
	rc = parse_text(text, &config, &errors);
	for (size_t i = 0; i < errors.count; i++)
		print_message("unexpected: %s\n", errors.message[i]);
	assert_int_equal(rc, 0);
	assert_int_equal(errors.count, 0);
	assert_int_equal(errors.dropped, 0);
	return config;
}

/*
 * Parse text that must fail with exactly the expected messages, in order (NULL-terminated),
 * and check that the config passed in was left byte for byte as it was.
 */
static void check_errors(const char *text, const char *const *expected)
{
	struct config config, before;
	struct config_errors errors;
	size_t expected_count = 0;
	int rc;

	memset(&config, 0xA5, sizeof config);
	before = config;
	rc = parse_text(text, &config, &errors);
	while (expected[expected_count])
		expected_count++;
	for (size_t i = 0; errors.count != expected_count && i < errors.count; i++)
		print_message("got: %s\n", errors.message[i]);
	assert_int_equal(rc, -EINVAL);
	assert_int_equal(errors.count, expected_count);
	assert_int_equal(errors.dropped, 0);
	for (size_t i = 0; i < expected_count; i++)
		assert_string_equal(errors.message[i], expected[i]);
	assert_memory_equal(&config, &before, sizeof config);
}

#define EXPECT_ERRORS(text, ...) check_errors(text, (const char *const[]){ __VA_ARGS__, NULL })

/* A difference config_diff found, named by its key's path. */
static void print_change(void *ctx, const char *path, const char *before, const char *after)
{
	(void)ctx;
	print_message("%s: %s -> %s\n", path, before ? before : "absent", after ? after : "absent");
}

/*
 * Equal by the schema: no key differs (config_diff names each one that does), and the dumps,
 * which write every key of the key tables in order, are the same text.
 */
static void assert_config_equal(const struct config *a, const struct config *b)
{
	char *dump_a = config_dump(a, NULL);
	char *dump_b = config_dump(b, NULL);

	assert_int_equal(config_diff(a, b, print_change, NULL), 0);
	assert_non_null(dump_a);
	assert_non_null(dump_b);
	assert_string_equal(dump_a, dump_b);
	free(dump_a);
	free(dump_b);
}

static struct config defaults(void)
{
	struct config config;

	config_set_defaults(&config);
	return config;
}

/* ---- defaults and valid files ------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct config config = defaults();
	const struct config_rule *rule = &config.detector.rules[0];

	(void)state;
	assert_int_equal(config.feed.listen.count, 1);
	assert_string_equal(config.feed.listen.address[0], "127.0.0.1:7400");
	assert_int_equal(config.feed.max_line_bytes, 65536);
	assert_int_equal(config.feed.max_connections, 64);
	assert_int_equal(config.feed.max_sources, 1024);
	assert_int_equal(config.feed.keepalive_seconds, 60);
	assert_int_equal(config.feed.idle_timeout_seconds, 0);
	assert_int_equal(config.feed.silence_seconds, 300);
	assert_int_equal(config.detector.max_alert_callbacks, 256);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[0], 0);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[1], 1800);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[2], 600);
	assert_int_equal(config.feed.max_future_seconds, 300);
	assert_int_equal(config.feed.max_seq_jump, 1000000);
	assert_int_equal(config.feed.source_idle_seconds, 2);
	assert_int_equal(config.feed.max_pending_connections, 16);
	assert_int_equal(config.feed.max_connections_per_address, 8);
	assert_int_equal(config.feed.handshake_timeout_seconds, 5);
	assert_int_equal(config.feed.line_timeout_seconds, 10);
	assert_int_equal(config.feed.snapshot_iteration_budget_us, 1000);
	assert_int_equal(config.alerts.max_pending_connections, 16);
	assert_int_equal(config.alerts.max_connections_per_address, 16);
	assert_int_equal(config.alerts.handshake_timeout_seconds, 5);
	assert_int_equal(config.alerts.line_timeout_seconds, 10);
	assert_int_equal(config.http.max_connections, 256);
	assert_int_equal(config.http.max_connections_per_address, 32);
	assert_string_equal(config.journal.state_directory, "/var/lib/cadmon");
	assert_int_equal(config.journal.fsync, CONFIG_FSYNC_BATCH);
	assert_int_equal(config.journal.fsync_interval_ms, 200);
	assert_int_equal(config.journal.segment_max_bytes, 67108864);
	assert_int_equal(config.journal.segment_max_seconds, 3600);
	assert_int_equal(config.journal.retention_seconds, 86400);
	assert_int_equal(config.alerts.listen.count, 1);
	assert_string_equal(config.alerts.listen.address[0], "127.0.0.1:7401");
	assert_int_equal(config.alerts.max_subscribers, 64);
	assert_int_equal(config.alerts.max_queue_bytes, 1048576);
	assert_int_equal(config.http.listen.count, 1);
	assert_string_equal(config.http.listen.address[0], "127.0.0.1:7402");
	assert_int_equal(config.http.max_header_bytes, 8192);
	assert_int_equal(config.http.max_body_bytes, 4096);
	assert_int_equal(config.http.max_alerts_bytes, 1048576);
	assert_int_equal(config.http.timeout_seconds, 30);
	assert_int_equal(config.http.max_streams, 64);
	assert_int_equal(config.http.max_stream_queue_bytes, 1048576);
	assert_int_equal(config.http.stream_keepalive_seconds, 15);
	assert_false(config.feed.tls);
	assert_true(config.feed.require_client_certificate);
	assert_int_equal(config.feed.source_binding, CONFIG_SOURCE_BINDING_CERTIFICATE);
	assert_false(config.alerts.tls);
	assert_false(config.alerts.require_client_certificate);
	assert_false(config.http.tls);
	assert_string_equal(config.tls.certificate, "");
	assert_string_equal(config.tls.key, "");
	assert_string_equal(config.tls.client_ca, "");
	assert_int_equal(config.tls.min_version, CONFIG_TLS_1_2);
	assert_string_equal(config_tls_version_name(config.tls.min_version), "1.2");
	assert_string_equal(config.tls.ciphers, "ECDHE+AESGCM:ECDHE+CHACHA20");
	assert_int_equal(config.tracker.max_open_calls, 10000);
	assert_int_equal(config.tracker.max_call_seconds, 14400);
	assert_int_equal(config.tracker.max_operators, 1000);
	assert_int_equal(config.tracker.max_window_calls, 512);
	assert_true(config.detector.max_talk_seconds == 20.0);
	assert_int_equal(config.detector.released_by_mask, RELEASED_BY_OPERATOR);
	assert_int_equal(config.tracker.max_center_calls, 1000000);
	assert_int_equal(config.tracker.allowed_lateness_seconds, 600);
	assert_int_equal(config.tracker.max_dedupe_events, 200000);
	assert_int_equal(config.tracker.max_recent_callers, 100000);
	assert_int_equal(config.tracker.max_source_lag_seconds, 900);
	assert_int_equal(config.tracker.max_reorder_events, 50000);
	assert_int_equal(config.detector.repeat_window_seconds, 300);
	assert_true(config.detector.callback_min_talk_seconds == 20.0);
	assert_int_equal(config.detector.resolve_after_seconds, 3600);
	assert_int_equal(config.detector.rule_count, 1);
	assert_string_equal(rule->name, "sequential");
	assert_int_equal(rule->type, CONFIG_RULE_SEQUENTIAL);
	assert_int_equal(rule->window_seconds, 28800);
	assert_true(rule->cut_share == 0.25);
	assert_true(rule->called_back_weight == 4.0);
	assert_int_equal(rule->false_alarm_calls, 10000);
	assert_true(rule->history_prior == 20.0);
	assert_true(rule->max_own_factor == 2.5);
	assert_int_equal(rule->false_alarm_hours, 1000);
	assert_true(rule->hourly_raises);
	assert_int_equal(rule->rate_half_life_seconds, 3600);
	assert_int_equal(rule->rate_max_gap_seconds, 3600);
	assert_int_equal(rule->max_calls_per_hour, 60);
	assert_true(rule->history_settled_prior == 2.0);
	assert_true(rule->history_settled_min_expected == 10.0);
	assert_false(rule->own_factor_lag);
	assert_string_equal(rule->severity, "warning");
	assert_int_equal(config.detector.baseline.scope, CONFIG_BASELINE_AGENCY);
	assert_true(config.detector.baseline.half_life_seconds == 1200.0);
	assert_true(config.detector.baseline.fast_half_life_seconds == 300.0);
	assert_true(config.detector.baseline.prior_calls == 20.0);
	assert_true(config.detector.baseline.prior_ratio == 0.10);
	assert_true(config.detector.baseline.history_half_life_seconds == 604800.0);
	assert_true(config.detector.baseline.history_settle_seconds == 28800.0);
	assert_true(config.detector.baseline.storm_volume_factor == 2.0);
	assert_true(config.detector.baseline.storm_usual_half_life_seconds == 7200.0);
	assert_false(config.detector.baseline.per_source);
	assert_true(config.detector.baseline.source_cap_z == 0.0);
	assert_true(config.detector.baseline.source_depart_z == 4.0);
	assert_true(config.detector.baseline.storm_offered_factor == 1.3);
	assert_int_equal(config.log.rate_limit_seconds, 10);
	assert_int_equal(config_longest_window_seconds(&config), 28800);
	assert_int_equal(config.nats.server_count, 1);
	assert_string_equal(config.nats.servers[0], "nats://127.0.0.1:4222");
	assert_int_equal(config.nats.subject_count, 0);
	assert_int_equal(config.receiver_count, 0);
	assert_true(rule->min_ratio == 0.0 && rule->p0 == 0.0 && rule->min_called_back == 0);
	assert_true(rule->odds_ratio == 4.0 && rule->threshold == 5.0 &&
		    rule->min_center_ratio == 0.05);
	assert_true(rule->max_p_value == 1.0 && rule->min_calls == 1 && rule->min_premature == 1);
}

/* Nothing to read is all defaults. */
/* storm_usual_half_life_seconds is bounded at 30 days (the detector turns it into int64
 * milliseconds): 2592000 is taken, more is a config error. */
static void test_storm_usual_half_life_bound(void **state)
{
	(void)state;
	struct config config =
		parse_ok("detector: {baseline: {storm_usual_half_life_seconds: 2592000}}\n");
	assert_true(config.detector.baseline.storm_usual_half_life_seconds == 2592000.0);
	EXPECT_ERRORS("detector: {baseline: {storm_usual_half_life_seconds: 1e300}}\n",
		      "cadmon.yaml:1:54: detector.baseline.storm_usual_half_life_seconds: must be "
		      "a number greater than 0 and at most 2592000 (30 days)");
	EXPECT_ERRORS("detector: {baseline: {storm_usual_half_life_seconds: 0}}\n",
		      "cadmon.yaml:1:54: detector.baseline.storm_usual_half_life_seconds: must be "
		      "a number greater than 0 and at most 2592000 (30 days)");
}

static void test_empty_documents(void **state)
{
	static const char *const texts[] = {
		"", "\n\n", "# only a comment\n  # and another\n", "---\n", "--- ~\n", "---\n...\n",
	};
	struct config expected = defaults();
	struct config config;
	struct config_errors errors;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(texts); i++) {
		config = parse_ok(texts[i]);
		assert_config_equal(&config, &expected);
	}
	memset(&config, 0, sizeof config);
	assert_int_equal(config_parse(NULL, 0, "cadmon.yaml", &config, &errors), 0);
	assert_config_equal(&config, &expected);
}

static void test_full_file(void **state)
{
	struct config config = parse_ok("feed:\n"
					"  listen: [\"0.0.0.0:9000\", \"[::1]:9001\"]\n"
					"  max_line_bytes: 4096\n"
					"  max_connections: 8\n"
					"alerts:\n"
					"  listen:\n"
					"    - \"[::]:0\"\n"
					"    - 10.1.2.3:65535\n"
					"  max_subscribers: 3\n"
					"  max_queue_bytes: 8192\n"
					"tracker:\n"
					"  max_open_calls: 500\n"
					"  max_call_seconds: 600\n"
					"  max_operators: 40\n"
					"  max_window_calls: 200\n"
					"detector:\n"
					"  premature:\n"
					"    max_talk_seconds: 12.5\n"
					"    released_by: [operator, system]\n"
					"  rules:\n"
					"    - name: short-burst_1\n"
					"      window_seconds: 1800\n"
					"      min_calls: 6\n"
					"      min_premature: 4\n"
					"      min_ratio: 0.5\n"
					"      severity: critical\n"
					"    - name: slow\n"
					"      window_seconds: 86400\n"
					"journal:\n"
					"  retention_seconds: 172800\n"
					"log:\n"
					"  rate_limit_seconds: 60\n");
	const struct config_rule *rules = config.detector.rules;

	(void)state;
	assert_int_equal(config.feed.listen.count, 2);
	assert_string_equal(config.feed.listen.address[0], "0.0.0.0:9000");
	assert_string_equal(config.feed.listen.address[1], "[::1]:9001");
	assert_int_equal(config.feed.max_line_bytes, 4096);
	assert_int_equal(config.feed.max_connections, 8);
	assert_int_equal(config.alerts.listen.count, 2);
	assert_string_equal(config.alerts.listen.address[0], "[::]:0");
	assert_string_equal(config.alerts.listen.address[1], "10.1.2.3:65535");
	assert_int_equal(config.alerts.max_subscribers, 3);
	assert_int_equal(config.alerts.max_queue_bytes, 8192);
	assert_int_equal(config.tracker.max_open_calls, 500);
	assert_int_equal(config.tracker.max_call_seconds, 600);
	assert_int_equal(config.tracker.max_operators, 40);
	assert_int_equal(config.tracker.max_window_calls, 200);
	assert_true(config.detector.max_talk_seconds == 12.5);
	assert_int_equal(config.detector.released_by_mask,
			 RELEASED_BY_OPERATOR | RELEASED_BY_SYSTEM);
	assert_int_equal(config.detector.rule_count, 2);
	assert_string_equal(rules[0].name, "short-burst_1");
	assert_int_equal(rules[0].window_seconds, 1800);
	assert_int_equal(rules[0].min_calls, 6);
	assert_int_equal(rules[0].min_premature, 4);
	assert_true(rules[0].min_ratio == 0.5);
	assert_string_equal(rules[0].severity, "critical");
	/* Optional rule keys not given take the rule defaults, not the default rule's values. */
	assert_string_equal(rules[1].name, "slow");
	assert_int_equal(rules[1].window_seconds, 86400);
	assert_int_equal(rules[1].min_calls, 1);
	assert_int_equal(rules[1].min_premature, 1);
	assert_true(rules[1].min_ratio == 0.0);
	assert_string_equal(rules[1].severity, "warning");
	assert_int_equal(config.log.rate_limit_seconds, 60);
	assert_int_equal(config_longest_window_seconds(&config), 86400);
}

static void test_keys_not_given_keep_defaults(void **state)
{
	struct config config = parse_ok("feed:\n  max_connections: 9\n");
	struct config expected = defaults();

	(void)state;
	expected.feed.max_connections = 9;
	assert_config_equal(&config, &expected);
}

/* `feed:` with nothing under it is an empty section, as after commenting out its keys. */
static void test_null_sections_keep_defaults(void **state)
{
	struct config config = parse_ok("feed:\nalerts: ~\ntracker: null\n"
					"detector:\n  premature:\n  # rules: []\nlog:\n");
	struct config expected = defaults();

	(void)state;
	assert_config_equal(&config, &expected);
}

static void test_rules_replace_defaults(void **state)
{
	struct config config = parse_ok("detector:\n"
					"  rules:\n"
					"    - {name: quick, window_seconds: 600, min_calls: 4,"
					" min_premature: 4, min_ratio: 1, severity: info}\n");
	/* Keys not given take the documented per-rule defaults. */
	const struct config_rule quick = {
		.name = "quick",
		.type = CONFIG_RULE_WINDOW,
		.window_seconds = 600,
		.min_calls = 4,
		.min_premature = 4,
		.min_ratio = 1.0,
		.called_back_weight = 1.0,
		.max_p_value = 1.0,
		.min_center_ratio = 0.05,
		.odds_ratio = 3.0,
		.threshold = 5.0,
		.severity = "info",
		.history_prior = 20.0,
		.max_own_factor = 2.5,
		.cut_share = 0.25,
		.rate_half_life_seconds = 3600,
		.rate_max_gap_seconds = 3600,
		.max_calls_per_hour = 60,
		.history_settled_prior = 2.0,
		.history_settled_min_expected = 10.0,
	};
	struct config expected = defaults();

	(void)state;
	assert_int_equal(config.detector.rule_count, 1);
	expected.detector.rules[0] = quick;
	expected.detector.rule_count = 1;
	assert_config_equal(&config, &expected);
	assert_int_equal(config_longest_window_seconds(&config), 600);
}

static void test_cusum_rule_and_new_keys(void **state)
{
	struct config config =
		parse_ok("tracker: {allowed_lateness_seconds: 0, max_dedupe_events: 1000,"
			 " max_recent_callers: 100, max_center_calls: 1000}\n"
			 "detector:\n"
			 "  repeat_window_seconds: 120\n"
			 "  resolve_after_seconds: 0\n"
			 "  rules:\n"
			 "    - {name: seq, type: cusum, window_seconds: 3600, p0: 0.08,"
			 " odds_ratio: 4, threshold: 6.5, min_center_ratio: 0}\n"
			 "    - {name: redials, window_seconds: 3600, min_called_back: 2,"
			 " called_back_weight: 2.5, max_p_value: 0.05}\n");
	const struct config_rule *seq = &config.detector.rules[0],
				 *redials = &config.detector.rules[1];

	(void)state;
	assert_int_equal(config.tracker.allowed_lateness_seconds, 0);
	assert_int_equal(config.tracker.max_dedupe_events, 1000);
	assert_int_equal(config.tracker.max_recent_callers, 100);
	assert_int_equal(config.tracker.max_center_calls, 1000);
	assert_int_equal(config.detector.repeat_window_seconds, 120);
	assert_int_equal(config.detector.resolve_after_seconds, 0);
	assert_int_equal(seq->type, CONFIG_RULE_CUSUM);
	assert_true(seq->p0 == 0.08);
	assert_true(seq->odds_ratio == 4.0);
	assert_true(seq->threshold == 6.5);
	assert_true(seq->min_center_ratio == 0.0);
	assert_int_equal(redials->type, CONFIG_RULE_WINDOW);
	assert_int_equal(redials->min_called_back, 2);
	assert_true(redials->called_back_weight == 2.5);
	assert_true(redials->max_p_value == 0.05);
}

static void test_rule_number_bounds(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: a\n"
		      "      window_seconds: 60\n"
		      "      type: sliding\n"
		      "      called_back_weight: 0.5\n"
		      "      max_p_value: 0\n"
		      "      min_center_ratio: 1\n"
		      "      p0: 1\n"
		      "      odds_ratio: 1\n"
		      "      threshold: -2\n",
		      "cadmon.yaml:5:13: detector.rules[0] (name: a): type: must be one of window, "
		      "cusum, sequential",
		      "cadmon.yaml:6:27: detector.rules[0] (name: a): called_back_weight: must be "
		      "a number of at least 1",
		      "cadmon.yaml:7:20: detector.rules[0] (name: a): max_p_value: must be a "
		      "number greater than 0, at most 1",
		      "cadmon.yaml:8:25: detector.rules[0] (name: a): min_center_ratio: must be a "
		      "number from 0 to less than 1",
		      "cadmon.yaml:9:11: detector.rules[0] (name: a): p0: must be a number from 0 "
		      "to less than 1",
		      "cadmon.yaml:10:19: detector.rules[0] (name: a): odds_ratio: must be a "
		      "number greater than 1",
		      "cadmon.yaml:11:18: detector.rules[0] (name: a): threshold: must be a number "
		      "greater than 0");
}

#define URL_ERROR(line, column, index)                                                             \
	"cadmon.yaml:" #line ":" #column ": receivers[" #index "].url: must be "                   \
	"http://host[:port][/path]: a host, and a port from 1 to 65535 (no user@, no ? or # "      \
	"before the path)"

/* receivers: none by default; each with its defaults; the errors located. */
static char *assert_dump_round_trips(const struct config *config);
static void test_receivers(void **state)
{
	struct config config = parse_ok(
		"receivers:\n"
		"  - name: pager\n"
		"    type: alertmanager\n"
		"    url: \"http://127.0.0.1:9093\"\n"
		"  - {name: hook, type: webhook, url: \"http://h:8/x\", max_queue: 3,"
		" timeout_ms: 100, max_retries: 0, backoff_base_ms: 10, backoff_max_ms: 20,"
		" resend_seconds: 1, down_after_failures: 2, down_after_seconds: 7, "
		"hmac_secret_file: /s}\n");

	(void)state;
	assert_int_equal(defaults().receiver_count, 0);
	assert_int_equal(config.receiver_count, 2);
	assert_string_equal(config.receivers[0].name, "pager");
	assert_int_equal(config.receivers[0].type, CONFIG_RECEIVER_ALERTMANAGER);
	assert_string_equal(config.receivers[0].url, "http://127.0.0.1:9093");
	assert_int_equal(config.receivers[0].max_queue, 1024);
	assert_int_equal(config.receivers[0].timeout_ms, 5000);
	assert_int_equal(config.receivers[0].max_retries, 10);
	assert_int_equal(config.receivers[0].backoff_base_ms, 500);
	assert_int_equal(config.receivers[0].backoff_max_ms, 60000);
	assert_int_equal(config.receivers[0].resend_seconds, 60);
	assert_int_equal(config.receivers[0].down_after_failures, 5);
	assert_int_equal(config.receivers[0].down_after_seconds, 60);
	assert_string_equal(config.receivers[0].hmac_secret_file, "");
	assert_int_equal(config.receivers[1].type, CONFIG_RECEIVER_WEBHOOK);
	assert_int_equal(config.receivers[1].max_queue, 3);
	assert_int_equal(config.receivers[1].down_after_failures, 2);
	assert_int_equal(config.receivers[1].down_after_seconds, 7);
	assert_string_equal(config.receivers[1].hmac_secret_file, "/s");
	free(assert_dump_round_trips(&config));
	EXPECT_ERRORS(
		"receivers:\n"
		"  - name: a\n"
		"    type: pager\n"
		"    url: \"https://x\"\n"
		"  - {name: a, type: webhook, url: \"http://x\", backoff_base_ms: 30, "
		"backoff_max_ms: 20,"
		" max_queue: 0}\n"
		"  - {type: webhook}\n",
		"cadmon.yaml:3:11: receivers[0].type: must be one of alertmanager, webhook",
		"cadmon.yaml:4:10: receivers[0].url: must be an http:// URL of at most 255 bytes "
		"(https is not supported yet)",
		"cadmon.yaml:5:12: receivers[1].name: duplicate receiver name, already used by "
		"receivers[0]",
		"cadmon.yaml:5:64: receivers[1].backoff_base_ms: must be at most backoff_max_ms "
		"(20)",
		"cadmon.yaml:5:99: receivers[1].max_queue: must be an integer from 1 to 1000000",
		"cadmon.yaml:6:5: receivers[2].name: required key missing",
		"cadmon.yaml:6:5: receivers[2].url: required key missing");
	EXPECT_ERRORS("receivers: 3\n", "cadmon.yaml:1:12: receivers: must be a sequence");
	/* what receivers.c could not connect to is refused here, so -n says it (it said OK) */
	EXPECT_ERRORS("receivers:\n"
		      "  - {name: a, type: webhook, url: \"http://127.0.0.1:99999/x\"}\n"
		      "  - {name: b, type: webhook, url: \"http://:80/\"}\n"
		      "  - {name: c, type: webhook, url: \"http://u:p@127.0.0.1:9/\"}\n"
		      "  - {name: d, type: webhook, url: \"http://127.0.0.1:9?x=1\"}\n"
		      "  - {name: e, type: webhook, url: \"http://[::1]x/\"}\n",
		      URL_ERROR(2, 35, 0), URL_ERROR(3, 35, 1), URL_ERROR(4, 35, 2),
		      URL_ERROR(5, 35, 3), URL_ERROR(6, 35, 4));
	config = parse_ok("receivers:\n"
			  "  - {name: a, type: webhook, url: \"http://[::1]:8080/x?y=1\"}\n"
			  "  - {name: b, type: alertmanager, url: \"http://am.example\"}\n");
	assert_string_equal(config.receivers[0].url, "http://[::1]:8080/x?y=1");
	assert_string_equal(config.receivers[1].url, "http://am.example");
}

/* mappings: none by default; each key's default, every key given, the dump, the diff, and
 * every error where it was made. */
static void test_mappings(void **state)
{
	struct config config =
		parse_ok("mappings:\n"
			 "  - name: cdr\n"
			 "    format: csv\n"
			 "    fields: {call_id: CallID, operator: AgentID, answer_time: AnswerTime,"
			 " release_time: ReleaseTime}\n"
			 "  - name: js\n"
			 "    format: json\n"
			 "    header: false\n"
			 "    delimiter: \";\"\n"
			 "    fields: {call_id: id, agency: a.b, operator: op, position: pos, ani: "
			 "\"caller number\","
			 " answer_time: t0, release_time: t1, released_by: who, incident_id: inc}\n"
			 "    agency: \"KC PD\"\n"
			 "    time_format: \"%d.%m.%Y %H:%M:%S%f\"\n"
			 "    time_zone: America/Chicago\n"
			 "    ambiguous_time: later\n"
			 "    released_by_values: {A: operator, \"1\": caller, \"\": system}\n"
			 "    released_by_default: caller\n");
	const struct config_mapping *cdr = &config.mappings[0], *js = &config.mappings[1];
	char *text;

	(void)state;
	assert_int_equal(defaults().mapping_count, 0);
	assert_string_equal(defaults().feed.mapping, "");
	assert_int_equal(config.mapping_count, 2);
	assert_string_equal(cdr->name, "cdr");
	assert_int_equal(cdr->format, CONFIG_MAPPING_CSV);
	assert_true(cdr->header);
	assert_string_equal(cdr->delimiter, ",");
	assert_string_equal(cdr->fields.call_id, "CallID");
	assert_string_equal(cdr->fields.agency, "");
	assert_string_equal(cdr->fields.released_by, "");
	assert_string_equal(cdr->agency, "");
	assert_string_equal(cdr->time_format, "iso8601");
	assert_string_equal(cdr->time_zone, "UTC");
	assert_int_equal(cdr->ambiguous_time, CONFIG_AMBIGUOUS_EARLIER);
	assert_int_equal(cdr->released_by_value_count, 0);
	assert_int_equal(cdr->released_by_default, RELEASED_BY_UNKNOWN);
	assert_int_equal(js->format, CONFIG_MAPPING_JSON);
	assert_false(js->header);
	assert_string_equal(js->delimiter, ";");
	assert_string_equal(js->fields.ani, "caller number");
	assert_string_equal(js->fields.incident_id, "inc");
	assert_string_equal(js->agency, "KC PD");
	assert_string_equal(js->time_format, "%d.%m.%Y %H:%M:%S%f");
	assert_string_equal(js->time_zone, "America/Chicago");
	assert_int_equal(js->ambiguous_time, CONFIG_AMBIGUOUS_LATER);
	assert_int_equal(js->released_by_value_count, 3);
	assert_string_equal(js->released_by_values[1].from, "1");
	assert_int_equal(js->released_by_values[1].released_by, RELEASED_BY_CALLER);
	assert_string_equal(js->released_by_values[2].from, "");
	assert_int_equal(js->released_by_values[2].released_by, RELEASED_BY_SYSTEM);
	assert_int_equal(js->released_by_default, RELEASED_BY_CALLER);
	struct config fed =
		parse_ok("feed:\n  mapping: cdr\n"
			 "mappings:\n  - {name: cdr, format: csv, fields: {call_id: c, operator: o,"
			 " answer_time: t0, release_time: t1}}\n");
	assert_string_equal(fed.feed.mapping, "cdr");
	free(assert_dump_round_trips(&fed));
	text = assert_dump_round_trips(&config);
	assert_non_null(strstr(text,
			       "mappings:\n  - name: cdr\n    format: csv\n    header: true\n"
			       "    delimiter: \",\"\n    fields:\n      call_id: \"CallID\"\n"));
	assert_non_null(strstr(
		text, "    released_by_values: {\"A\": operator, \"1\": caller, \"\": system}\n"
		      "    released_by_default: caller\n"));
	free(text);
}

static void test_mapping_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"mappings:\n"
		"  - name: a\n"
		"    format: xml\n"
		"    fields: {call_id: c, operator: o, answer_time: t0, release_time: \"\\x01\"}\n"
		"    time_format: \"%Y-%m-%d\"\n"
		"    time_zone: ../etc/passwd\n"
		"    delimiter: \"\\\"\"\n"
		"    ambiguous_time: first\n"
		"    released_by_values: {A: agent, B: caller, B: system}\n"
		"    released_by_default: nobody\n"
		"  - {name: a, format: csv, header: false, fields: {call_id: \"1\", operator: "
		"Agent,"
		" answer_time: \"65\", release_time: \"4\"}}\n"
		"  - {name: b, format: csv}\n",
		"cadmon.yaml:3:13: mappings[0].format: must be one of csv, json",
		"cadmon.yaml:4:70: mappings[0].fields.release_time: must be a string of at most 63 "
		"bytes without control characters",
		"cadmon.yaml:5:18: mappings[0].time_format: a pattern needs %Y, %m, %d, %M and "
		"either %H or both %I and %p",
		"cadmon.yaml:6:16: mappings[0].time_zone: must be UTC, an offset +hh:mm or -hh:mm, "
		"or an IANA zone name (America/Chicago)",
		"cadmon.yaml:7:16: mappings[0].delimiter: must be one printable character other "
		"than a double quote",
		"cadmon.yaml:8:21: mappings[0].ambiguous_time: must be one of earlier, later",
		"cadmon.yaml:9:29: mappings[0].released_by_values.A: must be one of operator, "
		"caller, system, unknown",
		"cadmon.yaml:9:47: mappings[0].released_by_values.B: duplicate key",
		"cadmon.yaml:10:26: mappings[0].released_by_default: must be one of operator, "
		"caller, system, unknown",
		"cadmon.yaml:11:12: mappings[1].name: duplicate mapping name, already used by "
		"mappings[0]",
		"cadmon.yaml:11:76: mappings[1].fields.operator: must be a column number from 1 to "
		"64 (header: false)",
		"cadmon.yaml:11:96: mappings[1].fields.answer_time: must be a column number from 1 "
		"to 64 (header: false)",
		"cadmon.yaml:12:5: mappings[2].fields: required key missing");
	EXPECT_ERRORS("mappings: {}\n", "cadmon.yaml:1:11: mappings: must be a sequence");
	EXPECT_ERRORS("feed:\n  mapping: cdr\n",
		      "cadmon.yaml:2:12: feed.mapping: no mapping named \"cdr\" in mappings");
	EXPECT_ERRORS("feed:\n  mapping: Big\n", "cadmon.yaml:2:12: feed.mapping: must be 1 to 31 "
						 "characters from a-z, 0-9, _ and -");
}

static char *assert_dump_round_trips(const struct config *config);

/* skip_when_empty (parts of fields) and listen (a mapping's own feed addresses): parsed,
 * dumped and read back; none by default. */
static void test_mapping_skip_and_listen(void **state)
{
	struct config config =
		parse_ok("mappings:\n"
			 "  - name: cdr\n"
			 "    format: csv\n"
			 "    fields: {call_id: CallID, operator: AgentID, answer_time: AnswerTime,"
			 " release_time: ReleaseTime}\n"
			 "    skip_when_empty: [answer_time, operator]\n"
			 "    listen: [\"127.0.0.1:7411\", \"[::1]:7411\"]\n"
			 "  - {name: plain, format: json, fields: {call_id: id, operator: op,"
			 " answer_time: a, release_time: r}, listen: \"127.0.0.1:0\"}\n"
			 "  - {name: quiet, format: json, fields: {call_id: id, operator: op,"
			 " answer_time: a, release_time: r}, listen: ~, skip_when_empty: ~}\n");

	(void)state;
	assert_int_equal(config.mapping_count, 3);
	assert_int_equal(config.mappings[0].skip_when_empty,
			 CONFIG_MAPPING_PART(2) | CONFIG_MAPPING_PART(5));
	assert_int_equal(config.mappings[0].listen.count, 2);
	assert_string_equal(config.mappings[0].listen.address[0], "127.0.0.1:7411");
	assert_string_equal(config.mappings[0].listen.address[1], "[::1]:7411");
	assert_int_equal(config.mappings[1].skip_when_empty, 0);
	assert_int_equal(config.mappings[1].listen.count, 1);
	assert_string_equal(config.mappings[1].listen.address[0], "127.0.0.1:0");
	assert_int_equal(config.mappings[2].listen.count, 0);
	assert_int_equal(config.mappings[2].skip_when_empty, 0);
	char *text = assert_dump_round_trips(&config);
	assert_non_null(strstr(text, "    skip_when_empty: [operator, answer_time]\n"
				     "    listen: [\"127.0.0.1:7411\", \"[::1]:7411\"]\n"));
	free(text);
}

/* skip_when_empty names parts the record has, once each; a mapping's listen addresses are
 * its own (port 0 apart). */
static void test_mapping_skip_and_listen_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"mappings:\n"
		"  - name: a\n"
		"    format: json\n"
		"    fields: {call_id: c, operator: o, answer_time: t0, release_time: t1}\n"
		"    skip_when_empty: [operator, agent, operator]\n"
		"  - {name: b, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, skip_when_empty: [ani]}\n"
		"  - {name: c, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, skip_when_empty: operator}\n",
		"cadmon.yaml:5:33: mappings[0].skip_when_empty[1]: must be one of call_id, agency, "
		"operator, position, ani, answer_time, release_time, released_by, incident_id",
		"cadmon.yaml:5:40: mappings[0].skip_when_empty[2]: duplicate entry",
		"cadmon.yaml:6:116: mappings[1].skip_when_empty: ani is not in the record "
		"(fields.ani "
		"is empty): every record would be skipped",
		"cadmon.yaml:7:116: mappings[2].skip_when_empty: must be a sequence");
	EXPECT_ERRORS(
		"feed:\n"
		"  listen: [\"127.0.0.1:7400\", \"127.0.0.1:0\"]\n"
		"mappings:\n"
		"  - {name: a, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, listen: [\"127.0.0.1:7400\", \"127.0.0.1:0\", "
		"\"127.0.0.1:7411\"]}\n"
		"  - {name: b, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, listen: [\"127.0.0.1:7412\", \"127.0.0.1:7411\", "
		"\"127.0.0.1:7412\"]}\n"
		"  - {name: c, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, listen: []}\n"
		"  - {name: d, format: json, fields: {call_id: c, operator: o, answer_time: t0,"
		" release_time: t1}, listen: \"7411\"}\n",
		"cadmon.yaml:4:107: mappings[0].listen: 127.0.0.1:7400 is already used by "
		"feed.listen",
		"cadmon.yaml:5:107: mappings[1].listen: 127.0.0.1:7411 is already used by "
		"mappings[0].listen",
		"cadmon.yaml:5:107: mappings[1].listen: 127.0.0.1:7412 is already used by this "
		"list",
		"cadmon.yaml:6:107: mappings[2].listen: must not be empty",
		"cadmon.yaml:7:107: mappings[3].listen: must be ipv4:port or [ipv6]:port");
}

/* SHA-256 of "0123456789abcdef" and of "test". */
#define TOKEN_16_SHA256 "9f9f5111f7b27a781f1f1ddde5ebc2dd2b796bfc7365c9c28b548e564176929f"
#define AB_SHA256 "abababababababababababababababababababababababababababababababab"
#define TEST_SHA256 "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

/* Tokens: a digest given (any case, kept lowercase) or a token hashed on parsing; only
 * the digest is dumped, so the dump holds no secret and reads back the same. */
static void test_auth_tokens(void **state)
{
	struct config config =
		parse_ok("auth:\n"
			 "  tokens:\n"
			 "    - {name: wall-east, role: viewer, sha256: "
			 "\"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08\"}\n"
			 "    - {name: floor, role: supervisor, token: \"0123456789abcdef\"}\n"
			 "    - {name: it, role: admin, sha256: \"" AB_SHA256 "\", }\n"
			 "  tokens_file: /etc/cadmon/tokens\n"
			 "  max_failures_per_minute: 3\n"
			 "  failure_window_seconds: 2\n"
			 "  max_tracked_addresses: 16\n"
			 "  redact_ani: {viewer: all, supervisor: last4}\n"
			 "alerts:\n  handshake_timeout_seconds: 1\n"
			 "receivers:\n  - {name: hook, type: webhook, url: \"http://h/\", "
			 "redact_ani: last4}\n");
	struct config defaults_config = defaults();

	(void)state;
	assert_int_equal(defaults_config.auth.token_count, 0);
	assert_int_equal(defaults_config.alerts.handshake_timeout_seconds, 5);
	assert_int_equal(defaults_config.auth.max_failures_per_minute, 10);
	assert_int_equal(defaults_config.auth.failure_window_seconds, 60);
	assert_int_equal(defaults_config.auth.max_tracked_addresses, 4096);
	assert_int_equal(defaults_config.auth.redact_ani[CONFIG_ROLE_VIEWER], REDACT_LAST4);
	assert_int_equal(defaults_config.auth.redact_ani[CONFIG_ROLE_SUPERVISOR], REDACT_NONE);
	assert_int_equal(defaults_config.auth.redact_ani[CONFIG_ROLE_ADMIN], REDACT_NONE);
	assert_int_equal(config.auth.token_count, 3);
	assert_string_equal(config.auth.tokens[0].name, "wall-east");
	assert_int_equal(config.auth.tokens[0].role, CONFIG_ROLE_VIEWER);
	assert_string_equal(config.auth.tokens[0].sha256, TEST_SHA256);
	assert_int_equal(config.auth.tokens[1].role, CONFIG_ROLE_SUPERVISOR);
	assert_string_equal(config.auth.tokens[1].sha256, TOKEN_16_SHA256);
	assert_int_equal(config.auth.tokens[2].role, CONFIG_ROLE_ADMIN);
	assert_string_equal(config.auth.tokens_file, "/etc/cadmon/tokens");
	assert_int_equal(config.auth.max_failures_per_minute, 3);
	assert_int_equal(config.auth.failure_window_seconds, 2);
	assert_int_equal(config.auth.max_tracked_addresses, 16);
	assert_int_equal(config.auth.redact_ani[CONFIG_ROLE_VIEWER], REDACT_ALL);
	assert_int_equal(config.auth.redact_ani[CONFIG_ROLE_SUPERVISOR], REDACT_LAST4);
	assert_int_equal(config.auth.redact_ani[CONFIG_ROLE_ADMIN], REDACT_NONE);
	assert_int_equal(config.alerts.handshake_timeout_seconds, 1);
	assert_int_equal(config.receivers[0].redact_ani, REDACT_LAST4);
	char *text = assert_dump_round_trips(&config);
	assert_non_null(strstr(text, "auth:\n  tokens:\n    - name: wall-east\n      role: viewer\n"
				     "      sha256: " TEST_SHA256
				     "\n    - name: floor\n      role: supervisor\n"
				     "      sha256: " TOKEN_16_SHA256 "\n"));
	assert_null(strstr(text, "0123456789abcdef"));
	assert_non_null(strstr(
		text, "  redact_ani:\n    viewer: all\n    supervisor: last4\n    admin: none\n"));
	free(text);
	EXPECT_ERRORS(
		"auth:\n"
		"  tokens:\n"
		"    - {name: a, role: boss, sha256: \"abc\"}\n"
		"    - {name: a, role: viewer, token: short}\n"
		"    - {name: b, role: viewer}\n"
		"    - {name: c, role: viewer, sha256: \"" TOKEN_16_SHA256
		"\", token: \"0123456789abcdef\"}\n"
		"    - {name: d, role: admin, token: \"0123456789abcdef\"}\n"
		"    - {role: admin}\n"
		"  redact_ani: {viewer: some}\n"
		"receivers:\n  - {name: hook, type: webhook, url: \"http://h/\", redact_ani: 4}\n",
		"cadmon.yaml:3:23: auth.tokens[0].role: must be one of viewer, supervisor, admin, "
		"feed",
		"cadmon.yaml:3:37: auth.tokens[0].sha256: must be 64 hex digits (a SHA-256)",
		"cadmon.yaml:4:14: auth.tokens[1].name: duplicate token name, already used by "
		"auth.tokens[0]",
		"cadmon.yaml:4:38: auth.tokens[1].token: must be at least 16 bytes",
		"cadmon.yaml:5:14: auth.tokens[2]: needs sha256 or token",
		"cadmon.yaml:6:114: auth.tokens[3].token: give sha256 or token, not both",
		"cadmon.yaml:7:37: auth.tokens[4].token: the same token as auth.tokens[3]",
		"cadmon.yaml:8:7: auth.tokens[5].name: required key missing",
		"cadmon.yaml:9:24: auth.redact_ani.viewer: must be one of none, last4, all",
		"cadmon.yaml:11:63: receivers[0].redact_ani: must be one of none, last4, all");
}

/* TLS: every key, the dump, and what a TLS listener needs, each error where it was given. */
/* nats: off by default with the documented names; every key set; dumped; errors located. */
static void test_nats_keys(void **state)
{
	struct config config = defaults();

	(void)state;
	assert_false(config.nats.enabled);
	assert_int_equal(config.nats.server_count, 1);
	assert_string_equal(config.nats.servers[0], "nats://127.0.0.1:4222");
	assert_string_equal(config.nats.events_stream, "CADMON_EVENTS");
	assert_string_equal(config.nats.events_subject_prefix, "cadmon.events");
	assert_int_equal(config.nats.subject_count, 0);
	assert_string_equal(config.nats.consumer, "cadmond");
	assert_int_equal(config.nats.fetch_batch, 256);
	assert_int_equal(config.nats.max_in_flight, 4096);
	assert_int_equal(config.nats.ack_wait_seconds, 30);
	assert_true(config.nats.publish_alerts);
	assert_string_equal(config.nats.alerts_stream, "CADMON_ALERTS");
	assert_string_equal(config.nats.alerts_subject_prefix, "cadmon.alerts");
	assert_int_equal(config.nats.max_alert_queue, 10000);
	assert_int_equal(config.nats.connect_timeout_ms, 2000);
	assert_int_equal(config.nats.reconnect_wait_ms, 1000);
	assert_int_equal(config.nats.max_reconnect_attempts, 0);
	assert_string_equal(config.nats.mapping, "");

	config = parse_ok("nats:\n"
			  "  enabled: true\n"
			  "  servers: [\"nats://10.0.0.1:4222\", \"tls://nats-2.example:4222\"]\n"
			  "  credentials: /etc/cadmon/nats.creds\n"
			  "  tls_ca: /etc/cadmon/nats-ca.pem\n"
			  "  tls_certificate: /etc/cadmon/nats.pem\n"
			  "  tls_key: /etc/cadmon/nats.key\n"
			  "  events_stream: EVENTS-LA\n"
			  "  events_subject_prefix: la.events\n"
			  "  subjects: [la.events.NOPD, \"la.events.*\"]\n"
			  "  consumer: cadmond_east\n"
			  "  fetch_batch: 10000\n"
			  "  max_in_flight: 1\n"
			  "  ack_wait_seconds: 3600\n"
			  "  publish_alerts: false\n"
			  "  alerts_stream: ALERTS\n"
			  "  alerts_subject_prefix: la.alerts\n"
			  "  max_alert_queue: 1000000\n"
			  "  connect_timeout_ms: 100\n"
			  "  reconnect_wait_ms: 10\n"
			  "  max_reconnect_attempts: 1000000\n");
	assert_true(config.nats.enabled);
	assert_int_equal(config.nats.server_count, 2);
	assert_string_equal(config.nats.servers[1], "tls://nats-2.example:4222");
	assert_string_equal(config.nats.credentials, "/etc/cadmon/nats.creds");
	assert_string_equal(config.nats.tls_key, "/etc/cadmon/nats.key");
	assert_string_equal(config.nats.events_stream, "EVENTS-LA");
	assert_int_equal(config.nats.subject_count, 2);
	assert_string_equal(config.nats.subjects[1], "la.events.*");
	assert_string_equal(config.nats.consumer, "cadmond_east");
	assert_int_equal(config.nats.fetch_batch, 10000);
	assert_int_equal(config.nats.max_in_flight, 1);
	assert_false(config.nats.publish_alerts);
	assert_int_equal(config.nats.max_reconnect_attempts, 1000000);
	char *text = assert_dump_round_trips(&config);
	assert_non_null(
		strstr(text, "nats:\n  enabled: true\n  servers: [\"nats://10.0.0.1:4222\", "
			     "\"tls://nats-2.example:4222\"]\n"));
	assert_non_null(strstr(text, "  subjects: [\"la.events.NOPD\", \"la.events.*\"]\n  "
				     "consumer: \"cadmond_east\"\n"));
	free(text);
	config = parse_ok("mappings:\n"
			  "  - {name: cdr, format: json, fields: {call_id: id, operator: agent, "
			  "answer_time: answered,\n"
			  "     release_time: released}, time_format: iso8601, time_zone: UTC}\n"
			  "nats: {mapping: cdr}\n");
	assert_string_equal(config.nats.mapping, "cdr");
	free(assert_dump_round_trips(&config));
	EXPECT_ERRORS("nats: {mapping: cdr}\n",
		      "cadmon.yaml:1:17: nats.mapping: no mapping named \"cdr\" in mappings");
	EXPECT_ERRORS("mappings:\n"
		      "  - {name: rows, format: csv, header: true, fields: {call_id: A, operator: "
		      "B, answer_time: C,\n"
		      "     release_time: D}, time_format: iso8601, time_zone: UTC}\n"
		      "nats: {mapping: rows}\n",
		      "cadmon.yaml:4:17: nats.mapping: mapping rows is CSV with header: true; each "
		      "NATS message is one record "
		      "with no header: use header: false or a json mapping");
	config = parse_ok("nats: {subjects: ~, token_file: /run/nats.token}\n");
	assert_int_equal(config.nats.subject_count, 0);
	assert_string_equal(config.nats.token_file, "/run/nats.token");
	free(assert_dump_round_trips(&config));

	EXPECT_ERRORS("nats:\n"
		      "  servers: [\"http://x:1\", \"nats://user:pw@x:4222\"]\n"
		      "  events_stream: \"a.b\"\n"
		      "  events_subject_prefix: \"cadmon.*\"\n"
		      "  subjects: [\"a..b\", \"a.>.c\"]\n"
		      "  consumer: \"\"\n"
		      "  fetch_batch: 0\n"
		      "  max_in_flight: 1000001\n"
		      "  alerts_subject_prefix: \"x y\"\n"
		      "  tls_certificate: /c.pem\n"
		      "  credentials: /n.creds\n"
		      "  token_file: /t\n",
		      "cadmon.yaml:2:13: nats.servers[0]: must be a nats:// or tls:// URL of at "
		      "most 255 bytes, without user or password",
		      "cadmon.yaml:2:27: nats.servers[1]: must be a nats:// or tls:// URL of at "
		      "most 255 bytes, without user or password",
		      "cadmon.yaml:3:18: nats.events_stream: must be 1 to 63 characters from A-Z, "
		      "a-z, 0-9, _ and -",
		      "cadmon.yaml:4:26: nats.events_subject_prefix: must be a NATS subject of at "
		      "most 127 bytes: dot-separated tokens without spaces, * or >",
		      "cadmon.yaml:5:14: nats.subjects[0]: must be a NATS subject filter of at "
		      "most 127 bytes (tokens, * or a last >)",
		      "cadmon.yaml:5:22: nats.subjects[1]: must be a NATS subject filter of at "
		      "most 127 bytes (tokens, * or a last >)",
		      "cadmon.yaml:6:13: nats.consumer: must be 1 to 63 characters from A-Z, a-z, "
		      "0-9, _ and -",
		      "cadmon.yaml:7:16: nats.fetch_batch: must be an integer from 1 to 10000",
		      "cadmon.yaml:8:18: nats.max_in_flight: must be an integer from 1 to 1000000",
		      "cadmon.yaml:9:26: nats.alerts_subject_prefix: must be a NATS subject of at "
		      "most 127 bytes: dot-separated tokens without spaces, * or >",
		      "cadmon.yaml:10:20: nats.tls_certificate: needs nats.tls_key too",
		      "cadmon.yaml:12:15: nats.token_file: give nats.credentials or "
		      "nats.token_file, not both");
}

static void test_tls_keys(void **state)
{
	struct config config = parse_ok(
		"feed: {tls: true, require_client_certificate: true, source_binding: certificate}\n"
		"alerts: {tls: true, require_client_certificate: true}\n"
		"http: {tls: true}\n"
		"tls:\n"
		"  certificate: /etc/cadmon/server.pem\n"
		"  key: /etc/cadmon/server.key\n"
		"  client_ca: /etc/cadmon/cads.pem\n"
		"  min_version: \"1.3\"\n"
		"  ciphers: \"ECDHE+AESGCM:!aNULL\"\n");

	(void)state;
	assert_true(config.feed.tls);
	assert_true(config.feed.require_client_certificate);
	assert_int_equal(config.feed.source_binding, CONFIG_SOURCE_BINDING_CERTIFICATE);
	assert_true(config.alerts.tls);
	assert_true(config.alerts.require_client_certificate);
	assert_true(config.http.tls);
	assert_string_equal(config.tls.certificate, "/etc/cadmon/server.pem");
	assert_string_equal(config.tls.key, "/etc/cadmon/server.key");
	assert_string_equal(config.tls.client_ca, "/etc/cadmon/cads.pem");
	assert_int_equal(config.tls.min_version, CONFIG_TLS_1_3);
	assert_string_equal(config.tls.ciphers, "ECDHE+AESGCM:!aNULL");
	char *text = assert_dump_round_trips(&config);
	assert_non_null(strstr(text, "  tls: true\n  require_client_certificate: true\n  "
				     "source_binding: certificate\n"));
	assert_non_null(strstr(text,
			       "tls:\n  certificate: \"/etc/cadmon/server.pem\"\n  key: "
			       "\"/etc/cadmon/server.key\"\n"
			       "  client_ca: \"/etc/cadmon/cads.pem\"\n  min_version: \"1.3\"\n"
			       "  ciphers: \"ECDHE+AESGCM:!aNULL\"\n"));
	free(text);

	/* Without TLS on the feed, neither the client CA nor the binding is needed; without
	 * client certificates the binding must be none. */
	config = parse_ok("feed: {source_binding: none, require_client_certificate: false}\n");
	assert_int_equal(config.feed.source_binding, CONFIG_SOURCE_BINDING_NONE);
	assert_false(config.feed.require_client_certificate);
	config = parse_ok(
		"feed: {tls: true, require_client_certificate: false, source_binding: none}\n"
		"tls: {certificate: /c, key: /k}\n");
	assert_true(config.feed.tls);
	free(assert_dump_round_trips(&config));

	EXPECT_ERRORS(
		"feed: {tls: yes, source_binding: cn}\n"
		"tls: {certificate: c.pem, min_version: 1.1, ciphers: \"ECDHE;rm\"}\n",
		"cadmon.yaml:1:13: feed.tls: must be true or false",
		"cadmon.yaml:1:34: feed.source_binding: must be one of certificate, none",
		"cadmon.yaml:2:20: tls.certificate: must be an absolute path of at most 255 bytes",
		"cadmon.yaml:2:40: tls.min_version: must be \"1.2\" or \"1.3\"",
		"cadmon.yaml:2:54: tls.ciphers: must be 1 to 255 characters of an OpenSSL cipher "
		"list "
		"(letters, digits, :+-!@=,._ and space)");
	EXPECT_ERRORS("feed:\n  tls: true\nalerts:\n  tls: true\nhttp:\n  tls: true\n",
		      "cadmon.yaml:2:8: feed.tls: needs tls.certificate and tls.key",
		      "cadmon.yaml:2:8: feed.tls: needs tls.client_ca "
		      "(feed.require_client_certificate is true by default)",
		      "cadmon.yaml:4:8: alerts.tls: needs tls.certificate and tls.key",
		      "cadmon.yaml:6:8: http.tls: needs tls.certificate and tls.key");
	EXPECT_ERRORS("feed: {tls: true, require_client_certificate: true}\n"
		      "alerts: {tls: true, require_client_certificate: true}\n"
		      "tls: {key: /k}\n",
		      "cadmon.yaml:1:13: feed.tls: needs tls.certificate",
		      "cadmon.yaml:1:47: feed.require_client_certificate: needs tls.client_ca "
		      "(with feed.tls)",
		      "cadmon.yaml:2:15: alerts.tls: needs tls.certificate",
		      "cadmon.yaml:2:49: alerts.require_client_certificate: needs tls.client_ca "
		      "(with alerts.tls)");
	EXPECT_ERRORS(
		"feed: {tls: true, require_client_certificate: false}\ntls: {certificate: /c}\n",
		"cadmon.yaml:1:13: feed.tls: needs tls.key",
		"cadmon.yaml:1:47: feed.require_client_certificate: false needs "
		"feed.source_binding: none "
		"(the binding checks the client certificate)");
	EXPECT_ERRORS("feed: {tls: true, require_client_certificate: false, source_binding: "
		      "certificate}\n"
		      "tls: {certificate: /c, key: /k}\n",
		      "cadmon.yaml:1:70: feed.source_binding: certificate needs "
		      "feed.require_client_certificate: true "
		      "(or set source_binding: none)");
}

/* Issue 11 item 7: what each source may say, and the binding keys. */
static void test_source_keys(void **state)
{
	struct config config =
		parse_ok("sources:\n"
			 "  - name: cad-east\n"
			 "    agencies: [NOPD, NOFD]\n"
			 "  - {name: \"cad west\", agencies: [\"\"]}\n"
			 "  - {name: backup}\n"
			 "unlisted_sources: reject\n"
			 "tracker: {bind_calls_to_source: false, bind_operators_to_source: false,"
			 " max_new_operators_per_source_per_hour: 0}\n");

	(void)state;
	assert_int_equal(defaults().source_count, 0);
	assert_int_equal(defaults().unlisted_sources, CONFIG_UNLISTED_ACCEPT);
	assert_true(defaults().tracker.bind_calls_to_source);
	assert_true(defaults().tracker.bind_operators_to_source);
	assert_int_equal(defaults().tracker.max_new_operators_per_source_per_hour, 1000);
	assert_int_equal(config.source_count, 3);
	assert_string_equal(config.sources[0].name, "cad-east");
	assert_int_equal(config.sources[0].agency_count, 2);
	assert_string_equal(config.sources[0].agencies[0], "NOPD");
	assert_string_equal(config.sources[0].agencies[1], "NOFD");
	assert_string_equal(config.sources[1].name, "cad west");
	assert_int_equal(config.sources[1].agency_count, 1);
	assert_string_equal(config.sources[1].agencies[0], "");
	assert_int_equal(config.sources[2].agency_count, 0);
	assert_true(config_lists_source(&config, "cad west"));
	assert_true(config_lists_source(&config, "backup"));
	assert_false(config_lists_source(&config, "cad-west"));
	assert_false(config_lists_source(&config, ""));
	assert_int_equal(config.unlisted_sources, CONFIG_UNLISTED_REJECT);
	assert_false(config.tracker.bind_calls_to_source);
	assert_false(config.tracker.bind_operators_to_source);
	assert_int_equal(config.tracker.max_new_operators_per_source_per_hour, 0);
	free(assert_dump_round_trips(&config));
	EXPECT_ERRORS(
		"sources:\n"
		"  - {name: a, agencies: NOPD}\n"
		"  - {name: a, agencies: []}\n"
		"  - {name: \"\"}\n"
		"  - {agencies: [\"\\u0001\"]}\n"
		"unlisted_sources: maybe\n"
		"tracker: {bind_calls_to_source: yes, max_new_operators_per_source_per_hour: "
		"10000001}\n",
		"cadmon.yaml:2:25: sources[0].agencies: must be a sequence",
		"cadmon.yaml:3:12: sources[1].name: duplicate source name, already used by "
		"sources[0]",
		"cadmon.yaml:3:25: sources[1].agencies: must not be empty",
		"cadmon.yaml:4:12: sources[2].name: must be 1 to 64 bytes, no control characters",
		"cadmon.yaml:5:5: sources[3].name: required key missing",
		"cadmon.yaml:5:17: sources[3].agencies[0]: must be at most 64 bytes, no control "
		"characters",
		"cadmon.yaml:6:19: unlisted_sources: must be one of accept, reject",
		"cadmon.yaml:7:33: tracker.bind_calls_to_source: must be true or false",
		"cadmon.yaml:7:77: tracker.max_new_operators_per_source_per_hour: must be an "
		"integer from 0 to 10000000");
	EXPECT_ERRORS("unlisted_sources: reject\n",
		      "cadmon.yaml:1:19: unlisted_sources: reject needs a sources list");
	EXPECT_ERRORS("sources: {name: a}\n", "cadmon.yaml:1:10: sources: must be a sequence");
}

/* sources[].name is judged by event_source_check, as a hello's source: 64 bytes is a name,
 * 65 bytes or a DEL is not (cadmon-sim --source and an i3 elementId, alike). */
static void test_source_name_is_a_hello_source(void **state)
{
	static const char name64[] =
		"01234567890123456789012345678901" "23456789012345678901234567890123";
	char text[160];
	struct config config;

	(void)state;
	snprintf(text, sizeof text, "sources:\n  - {name: %s}\n", name64);
	config = parse_ok(text);
	assert_int_equal(strlen(name64), EVENT_ID_MAX);
	assert_int_equal(event_source_check(name64, strlen(name64), NULL, 0), EVENT_OK);
	assert_string_equal(config.sources[0].name, name64);
	EXPECT_ERRORS("sources:\n"
		      "  - {name: \"cad\\x7Feast\"}\n"
		      "  - {name: 0123456789012345678901234567890123"
		      "4567890123456789012345678901234}\n"
		      "  - {name: \"cad \\\"west\\\\\"}\n",
		      "cadmon.yaml:2:12: sources[0].name: must be 1 to 64 bytes, no control "
		      "characters",
		      "cadmon.yaml:3:12: sources[1].name: must be 1 to 64 bytes, no control "
		      "characters");
}

static void test_i3_keys(void **state)
{
	struct config config = parse_ok("i3:\n"
					"  enabled: true\n"
					"  max_body_bytes: 2048\n"
					"  public_keys:\n"
					"    - {kid: chfe-1, file: /etc/cadmon/chfe-1.pem}\n"
					"    - {kid: \"urn:key 2\", file: /k2.pem,\n"
					"       elements: [chfe.psap1.example, \"cad b\"]}\n"
					"  max_calls: 16\n"
					"  max_pending_requests: 1\n"
					"  bye_outgoing_released_by: unknown\n"
					"  bye_incoming_released_by: system\n");
	char *text;

	(void)state;
	assert_false(defaults().i3.enabled);
	assert_int_equal(defaults().i3.max_body_bytes, 65536);
	assert_true(defaults().i3.require_signature);
	assert_int_equal(defaults().i3.public_key_count, 0);
	assert_int_equal(defaults().i3.max_calls, 10000);
	assert_int_equal(defaults().i3.max_pending_requests, 256);
	assert_int_equal(defaults().i3.bye_outgoing_released_by, RELEASED_BY_OPERATOR);
	assert_int_equal(defaults().i3.bye_incoming_released_by, RELEASED_BY_CALLER);
	assert_true(config.i3.enabled);
	assert_int_equal(config.i3.max_body_bytes, 2048);
	assert_int_equal(config.i3.public_key_count, 2);
	assert_string_equal(config.i3.public_keys[0].kid, "chfe-1");
	assert_string_equal(config.i3.public_keys[0].file, "/etc/cadmon/chfe-1.pem");
	assert_string_equal(config.i3.public_keys[1].kid, "urn:key 2");
	assert_int_equal(config.i3.public_keys[0].element_count, 0);
	assert_int_equal(config.i3.public_keys[1].element_count, 2);
	assert_string_equal(config.i3.public_keys[1].elements[0], "chfe.psap1.example");
	assert_string_equal(config.i3.public_keys[1].elements[1], "cad b");
	assert_int_equal(config.i3.max_calls, 16);
	assert_int_equal(config.i3.max_pending_requests, 1);
	assert_int_equal(config.i3.bye_outgoing_released_by, RELEASED_BY_UNKNOWN);
	assert_int_equal(config.i3.bye_incoming_released_by, RELEASED_BY_SYSTEM);
	text = assert_dump_round_trips(&config);
	assert_non_null(
		strstr(text, "  public_keys: [{kid: \"chfe-1\", file: \"/etc/cadmon/chfe-1.pem\"}, "
			     "{kid: \"urn:key 2\", file: \"/k2.pem\", "
			     "elements: [\"chfe.psap1.example\", \"cad b\"]}]\n"));
	free(text);
	EXPECT_ERRORS("i3: {enabled: true}\n", "cadmon.yaml:1:15: i3.enabled: i3.require_signature "
					       "needs at least one entry in i3.public_keys");
	EXPECT_ERRORS(
		"i3:\n"
		"  public_keys:\n"
		"    - {kid: a, file: /a}\n"
		"    - {kid: a, file: b}\n"
		"    - {kid: \"\"}\n"
		"  max_calls: 15\n"
		"  max_pending_requests: 0\n"
		"  max_body_bytes: 1023\n"
		"  bye_outgoing_released_by: agent\n",
		"cadmon.yaml:4:13: i3.public_keys[1].kid: duplicate kid, already used by "
		"i3.public_keys[0]",
		"cadmon.yaml:4:22: i3.public_keys[1].file: must be an absolute path of at most 255 "
		"bytes",
		"cadmon.yaml:5:7: i3.public_keys[2].file: required key missing",
		"cadmon.yaml:5:13: i3.public_keys[2].kid: must not be empty",
		"cadmon.yaml:6:14: i3.max_calls: must be an integer from 16 to 10000000",
		"cadmon.yaml:7:25: i3.max_pending_requests: must be an integer from 1 to 65535",
		"cadmon.yaml:8:19: i3.max_body_bytes: must be an integer from 1024 to 16777216",
		"cadmon.yaml:9:29: i3.bye_outgoing_released_by: must be one of operator, caller, "
		"system, unknown");
	EXPECT_ERRORS("i3:\n"
		      "  public_keys:\n"
		      "    - {kid: a, file: /a, elements: e1}\n"
		      "    - {kid: b, file: /b, elements: [\"\", \"e\\u0001\"]}\n"
		      "    - {kid: c, file: /c, elements: [xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		      "xxxxxxxxxxxxxxxxxxxxxxxxx]}\n"
		      "    - {kid: d, file: /d, elements: [e, e, e, e, e, e, e, e, e, e, e, e, "
		      "e, e, e, e, e]}\n",
		      "cadmon.yaml:3:36: i3.public_keys[0].elements: must be a sequence",
		      "cadmon.yaml:4:37: i3.public_keys[1].elements[0]: must be 1 to 64 bytes, no "
		      "control characters",
		      "cadmon.yaml:4:41: i3.public_keys[1].elements[1]: must be 1 to 64 bytes, no "
		      "control characters",
		      "cadmon.yaml:5:37: i3.public_keys[2].elements[0]: must be 1 to 64 bytes, no "
		      "control characters",
		      "cadmon.yaml:6:85: i3.public_keys[3].elements[16]: too many entries "
		      "(at most 16)");
}

static void test_keepalive_bound(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("feed: {keepalive_seconds: 32767}\n").feed.keepalive_seconds,
			 32767);
	EXPECT_ERRORS(
		"feed: {keepalive_seconds: 32768}\n",
		"cadmon.yaml:1:27: feed.keepalive_seconds: must be an integer from 0 to 32767");
}

/* Event time per source: the guard, the seq jump, idleness, the lag bound, the buffer. */
static void test_time_keys(void **state)
{
	struct config config = parse_ok(
		"feed: {max_future_seconds: 60, max_seq_jump: 5000, source_idle_seconds: 10}\n"
		"tracker: {max_source_lag_seconds: 0, max_reorder_events: 16}\n");

	(void)state;
	assert_int_equal(config.feed.max_future_seconds, 60);
	assert_int_equal(config.feed.max_seq_jump, 5000);
	assert_int_equal(config.feed.source_idle_seconds, 10);
	assert_int_equal(config.tracker.max_source_lag_seconds, 0);
	assert_int_equal(config.tracker.max_reorder_events, 16);
	EXPECT_ERRORS(
		"feed: {max_future_seconds: 0, max_seq_jump: 0, source_idle_seconds: 86401}\n"
		"tracker: {max_source_lag_seconds: 86401, max_reorder_events: 15}\n",
		"cadmon.yaml:1:28: feed.max_future_seconds: must be an integer from 1 to 31536000",
		"cadmon.yaml:1:45: feed.max_seq_jump: must be an integer from 1 to 4000000000",
		"cadmon.yaml:1:69: feed.source_idle_seconds: must be an integer from 1 to 86400",
		"cadmon.yaml:2:35: tracker.max_source_lag_seconds: must be an integer from 0 to "
		"86400",
		"cadmon.yaml:2:62: tracker.max_reorder_events: must be an integer from 16 to "
		"10000000");
}

/* Connection slots: pending caps, per-address caps, the handshake and line deadlines. */
static void test_connection_slot_keys(void **state)
{
	struct config config =
		parse_ok("feed: {max_pending_connections: 3, max_connections_per_address: 2,"
			 " handshake_timeout_seconds: 1, line_timeout_seconds: 2}\n"
			 "alerts: {max_pending_connections: 4, max_connections_per_address: 5,"
			 " handshake_timeout_seconds: 6, line_timeout_seconds: 7}\n"
			 "http: {max_connections: 8, max_connections_per_address: 9}\n");

	(void)state;
	assert_int_equal(config.feed.max_pending_connections, 3);
	assert_int_equal(config.feed.max_connections_per_address, 2);
	assert_int_equal(config.feed.handshake_timeout_seconds, 1);
	assert_int_equal(config.feed.line_timeout_seconds, 2);
	assert_int_equal(config.alerts.max_pending_connections, 4);
	assert_int_equal(config.alerts.max_connections_per_address, 5);
	assert_int_equal(config.alerts.handshake_timeout_seconds, 6);
	assert_int_equal(config.alerts.line_timeout_seconds, 7);
	assert_int_equal(config.http.max_connections, 8);
	assert_int_equal(config.http.max_connections_per_address, 9);
	EXPECT_ERRORS(
		"feed: {max_pending_connections: 0, handshake_timeout_seconds: 3601}\n"
		"alerts: {max_connections_per_address: 0, line_timeout_seconds: 0}\n"
		"http: {max_connections: 65536}\n",
		"cadmon.yaml:1:33: feed.max_pending_connections: must be an integer from 1 to "
		"65535",
		"cadmon.yaml:1:63: feed.handshake_timeout_seconds: must be an integer from 1 to "
		"3600",
		"cadmon.yaml:2:39: alerts.max_connections_per_address: must be an integer from 1 "
		"to 65535",
		"cadmon.yaml:2:64: alerts.line_timeout_seconds: must be an integer from 1 to 3600",
		"cadmon.yaml:3:25: http.max_connections: must be an integer from 1 to 65535");
}

static void test_journal_keys(void **state)
{
	struct config config = parse_ok("journal:\n"
					"  state_directory: /srv/cadmon/state\n"
					"  fsync: interval\n"
					"  fsync_interval_ms: 50\n"
					"  segment_max_bytes: 1048576\n"
					"  segment_max_seconds: 600\n"
					"  retention_seconds: 29400\n");

	(void)state;
	assert_string_equal(config.journal.state_directory, "/srv/cadmon/state");
	assert_int_equal(config.journal.fsync, CONFIG_FSYNC_INTERVAL);
	assert_string_equal(config_fsync_name(config.journal.fsync), "interval");
	assert_string_equal(config_fsync_name(CONFIG_FSYNC_NONE), "none");
	assert_int_equal(config.journal.fsync_interval_ms, 50);
	assert_int_equal(config.journal.segment_max_bytes, 1048576);
	assert_int_equal(config.journal.segment_max_seconds, 600);
	assert_int_equal(config.journal.retention_seconds, 29400);
	EXPECT_ERRORS("journal:\n"
		      "  state_directory: relative/path\n"
		      "  fsync: always\n"
		      "  retention_seconds: 29399\n",
		      "cadmon.yaml:2:20: journal.state_directory: must be an absolute path of at "
		      "most 255 bytes",
		      "cadmon.yaml:3:10: journal.fsync: must be one of batch, interval, none",
		      "cadmon.yaml:4:22: journal.retention_seconds: must be at least the longest "
		      "rule window plus "
		      "tracker.allowed_lateness_seconds (29400)");
	/* A longer window with the default retention is caught too, at the top of the file. */
	EXPECT_ERRORS("detector:\n"
		      "  rules: [{name: month, window_seconds: 2592000}]\n",
		      "cadmon.yaml:1:1: journal.retention_seconds: the default must be at least "
		      "the longest "
		      "rule window plus tracker.allowed_lateness_seconds (2592600)");
}

static void test_scalar_listen(void **state)
{
	struct config config = parse_ok("feed:\n  listen: 192.168.10.5:7400\n");

	(void)state;
	assert_int_equal(config.feed.listen.count, 1);
	assert_string_equal(config.feed.listen.address[0], "192.168.10.5:7400");
}

static void test_ipv6_listen(void **state)
{
	struct config config = parse_ok("alerts:\n"
					"  listen: [\"[::1]:7401\", \"[fe80::1:2]:1\","
					" \"[::ffff:192.0.2.1]:65535\", \"[::]:0\"]\n");

	(void)state;
	assert_int_equal(config.alerts.listen.count, 4);
	assert_string_equal(config.alerts.listen.address[0], "[::1]:7401");
	assert_string_equal(config.alerts.listen.address[1], "[fe80::1:2]:1");
	assert_string_equal(config.alerts.listen.address[2], "[::ffff:192.0.2.1]:65535");
	assert_string_equal(config.alerts.listen.address[3], "[::]:0");
}

static void test_listen_at_most_max(void **state)
{
	struct config config = parse_ok("feed:\n  listen: [\"127.0.0.1:1\", \"127.0.0.1:2\","
					" \"127.0.0.1:3\", \"127.0.0.1:4\", \"127.0.0.1:5\","
					" \"127.0.0.1:6\", \"127.0.0.1:7\", \"127.0.0.1:8\"]\n");

	(void)state;
	assert_int_equal(config.feed.listen.count, CONFIG_MAX_LISTEN);
	assert_string_equal(config.feed.listen.address[7], "127.0.0.1:8");
}

/* Integers at both ends of their ranges are accepted; quoting does not change a value. */
static void test_integer_bounds_accepted(void **state)
{
	struct config low = parse_ok("feed: {max_line_bytes: 256, max_connections: 1}\n"
				     "alerts: {max_subscribers: 1, max_queue_bytes: 4096}\n"
				     "tracker: {max_open_calls: 1, max_operators: 1,"
				     " max_window_calls: 16}\n"
				     "log: {rate_limit_seconds: 1}\n");
	struct config high = parse_ok("feed: {max_line_bytes: 16777216, max_connections: 65535}\n"
				      "alerts: {max_subscribers: \"65535\","
				      " max_queue_bytes: 1073741824}\n"
				      "tracker: {max_open_calls: 10000000, max_operators: 1000000,"
				      " max_window_calls: 1000000}\n"
				      "detector: {rules: [{name: x, window_seconds: 2592000,"
				      " min_calls: 1000000, min_premature: 1000000}]}\n"
				      "journal: {retention_seconds: 31536000}\n"
				      "log: {rate_limit_seconds: 86400}\n");

	(void)state;
	assert_int_equal(low.feed.max_line_bytes, 256);
	assert_int_equal(low.feed.max_connections, 1);
	assert_int_equal(low.alerts.max_subscribers, 1);
	assert_int_equal(low.alerts.max_queue_bytes, 4096);
	assert_int_equal(low.tracker.max_open_calls, 1);
	assert_int_equal(low.tracker.max_operators, 1);
	assert_int_equal(low.tracker.max_window_calls, 16);
	assert_int_equal(low.log.rate_limit_seconds, 1);
	assert_int_equal(high.feed.max_line_bytes, 16777216);
	assert_int_equal(high.feed.max_connections, 65535);
	assert_int_equal(high.alerts.max_subscribers, 65535);
	assert_int_equal(high.alerts.max_queue_bytes, 1073741824);
	assert_int_equal(high.tracker.max_open_calls, 10000000);
	assert_int_equal(high.tracker.max_operators, 1000000);
	assert_int_equal(high.tracker.max_window_calls, 1000000);
	assert_int_equal(high.detector.rules[0].window_seconds, 2592000);
	assert_int_equal(high.detector.rules[0].min_calls, 1000000);
	assert_int_equal(high.log.rate_limit_seconds, 86400);
	assert_int_equal(config_longest_window_seconds(&high), 2592000);
}

static void test_numbers_accepted(void **state)
{
	struct config config = parse_ok("detector:\n"
					"  premature: {max_talk_seconds: .5}\n"
					"  rules:\n"
					"    - {name: a, window_seconds: 1, min_ratio: 0}\n"
					"    - {name: b, window_seconds: 1, min_ratio: 1e-1}\n");

	(void)state;
	assert_true(config.detector.max_talk_seconds == 0.5);
	assert_true(config.detector.rules[0].min_ratio == 0.0);
	assert_true(config.detector.rules[1].min_ratio == 0.1);
}

static void test_released_by_all(void **state)
{
	struct config config = parse_ok("detector:\n"
					"  premature:\n"
					"    released_by:\n"
					"      - unknown\n"
					"      - caller\n"
					"      - system\n"
					"      - operator\n");

	(void)state;
	assert_int_equal(config.detector.released_by_mask,
			 RELEASED_BY_OPERATOR | RELEASED_BY_CALLER | RELEASED_BY_SYSTEM |
				 RELEASED_BY_UNKNOWN);
}

/* ---- errors, one kind at a time ----------------------------------------------------- */

static void test_unknown_keys_at_each_level(void **state)
{
	(void)state;
	EXPECT_ERRORS("feeds:\n  listen: x\n",
		      "cadmon.yaml:1:1: feeds: unknown key (did you mean feed?)");
	EXPECT_ERRORS("feed:\n  bogus: 1\n", "cadmon.yaml:2:3: feed.bogus: unknown key");
	EXPECT_ERRORS("alerts:\n  max_queue: 1\n",
		      "cadmon.yaml:2:3: alerts.max_queue: unknown key");
	EXPECT_ERRORS("tracker:\n  Max_open_calls: 1\n",
		      "cadmon.yaml:2:3: tracker.Max_open_calls: unknown key (did you mean "
		      "max_open_calls?)");
	EXPECT_ERRORS("detector:\n  window: 1\n", "cadmon.yaml:2:3: detector.window: unknown key");
	EXPECT_ERRORS("detector:\n  premature:\n    max_talk: 5\n",
		      "cadmon.yaml:3:5: detector.premature.max_talk: unknown key");
	EXPECT_ERRORS(
		"detector:\n  rules:\n    - name: a\n      window_seconds: 9\n      ratio: 1\n",
		"cadmon.yaml:5:7: detector.rules[0] (name: a): ratio: unknown key");
	EXPECT_ERRORS("log:\n  level: debug\n", "cadmon.yaml:2:3: log.level: unknown key");
}

/* An unknown key close to a known one, or the name of a key in another section, gets a
 * suggestion. */
static void test_unknown_key_suggestions(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"tracker:\n  max_operator: 5\n",
		"cadmon.yaml:2:3: tracker.max_operator: unknown key (did you mean max_operators?)");
	EXPECT_ERRORS("tracker:\n  max_sources: 5\n",
		      "cadmon.yaml:2:3: tracker.max_sources: unknown key (did you mean "
		      "feed.max_sources?)");
	EXPECT_ERRORS("detector:\n  max_talk_seconds: 5\n",
		      "cadmon.yaml:2:3: detector.max_talk_seconds: unknown key "
		      "(did you mean detector.premature.max_talk_seconds?)");
	EXPECT_ERRORS(
		"detector:\n  rules:\n    - name: a\n      window_seconds: 9\n      min_call: 1\n",
		"cadmon.yaml:5:7: detector.rules[0] (name: a): min_call: unknown key (did you mean "
		"min_calls?)");
	EXPECT_ERRORS("journal:\n  fsinc: none\n",
		      "cadmon.yaml:2:3: journal.fsinc: unknown key (did you mean fsync?)");
}

/* Unknown keys are shown safely: control characters as '?'. */
static void test_unknown_key_shown_safely(void **state)
{
	(void)state;
	EXPECT_ERRORS("\"ab\\x01\\tc\": 1\n", "cadmon.yaml:1:1: ab??c: unknown key");
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n  max_connections: 1\n  max_connections: 2\n",
		      "cadmon.yaml:3:3: feed.max_connections: duplicate key");
	EXPECT_ERRORS("log: {}\nfeed: {}\nlog: {}\n", "cadmon.yaml:3:1: log: duplicate key");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n\tmax_connections: 3\n",
		      "cadmon.yaml:2:1: syntax error: found character that cannot start any token");
	EXPECT_ERRORS("log:\n  rate_limit_seconds: 5\n bad: 1\n",
		      "cadmon.yaml:3:2: syntax error: did not find expected key");
	/* Invalid UTF-8 is pointed at by its own position. */
	EXPECT_ERRORS("feed:\n  max_connections: \"\xff\"\n",
		      "cadmon.yaml:2:21: syntax error: invalid leading UTF-8 octet");
}

/* Errors before a syntax error are kept, in order. */
static void test_errors_before_syntax_error(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n  max_connections: 0\nalerts:\n  listen: [\"127.0.0.1:1\",\n",
		      "cadmon.yaml:2:20: feed.max_connections: must be an integer from 1 to 65535",
		      "cadmon.yaml:5:1: syntax error: did not find expected node content");
	/* A value of the wrong kind is reported even when the text breaks off inside it. */
	EXPECT_ERRORS("alerts: [\n",
		      "cadmon.yaml:1:9: alerts: must be a mapping",
		      "cadmon.yaml:2:1: syntax error: did not find expected node content");
}

static void test_top_level_not_a_mapping(void **state)
{
	(void)state;
	EXPECT_ERRORS("- feed\n", "cadmon.yaml:1:1: top level: must be a mapping");
	EXPECT_ERRORS("feed\n", "cadmon.yaml:1:1: top level: must be a mapping");
	EXPECT_ERRORS("--- \"\"\n", "cadmon.yaml:1:5: top level: must be a mapping");
}

static void test_one_document_only(void **state)
{
	(void)state;
	EXPECT_ERRORS("log: {rate_limit_seconds: 5}\n---\nlog: {rate_limit_seconds: 6}\n",
		      "cadmon.yaml:2:1: top level: only one document is allowed");
}

static void test_sections_must_be_mappings(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed: 7400\n", "cadmon.yaml:1:7: feed: must be a mapping");
	EXPECT_ERRORS("detector:\n  premature: [operator]\n",
		      "cadmon.yaml:2:14: detector.premature: must be a mapping");
}

static void test_keys_must_be_strings(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n  ? [max_connections]\n  : 5\n",
		      "cadmon.yaml:2:5: feed: key must be a string");
}

static void test_anchors_and_aliases_rejected(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed: &f\n  max_connections: 5\nalerts: *f\n",
		      "cadmon.yaml:1:7: feed: anchors and aliases are not supported",
		      "cadmon.yaml:3:9: alerts: anchors and aliases are not supported");
	EXPECT_ERRORS("feed:\n  listen: [&a \"127.0.0.1:1\", *a]\n",
		      "cadmon.yaml:2:12: feed.listen[0]: anchors and aliases are not supported",
		      "cadmon.yaml:2:30: feed.listen[1]: anchors and aliases are not supported");
	EXPECT_ERRORS("&k log: {}\n",
		      "cadmon.yaml:1:1: top level: anchors and aliases are not supported");
}

static void test_integer_errors(void **state)
{
	static const char *const bad[] = {
		"12abc", "1.5", "-1", "+5", "4294967296", "99999999999999999999", "0x10", "010",
		"1_000", "\"\"", "~", "[1]", "{a: 1}", "1e3",
	};
	char text[128], expected[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		snprintf(text, sizeof text, "tracker:\n  max_operators: %s\n", bad[i]);
		snprintf(expected, sizeof expected,
			 "cadmon.yaml:2:18: tracker.max_operators: must be an integer from 1 to "
			 "1000000");
		check_errors(text, (const char *const[]){ expected, NULL });
	}
}

static void test_console_keys(void **state)
{
	struct config config =
		parse_ok("feed: {silence_seconds: 0}\n"
			 "detector:\n"
			 "  max_alert_callbacks: 32\n"
			 "  escalate_unacked_after_seconds: {info: 60, critical: 0}\n");

	(void)state;
	assert_int_equal(config.feed.silence_seconds, 0);
	assert_int_equal(config.detector.max_alert_callbacks, 32);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[0], 60);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[1], 1800);
	assert_int_equal(config.detector.escalate_unacked_after_seconds[2], 0);
	EXPECT_ERRORS(
		"feed: {silence_seconds: 604801}\n"
		"detector:\n"
		"  max_alert_callbacks: 15\n"
		"  escalate_unacked_after_seconds: {warning: -1, urgent: 5}\n",
		"cadmon.yaml:1:25: feed.silence_seconds: must be an integer from 0 to 604800",
		"cadmon.yaml:3:24: detector.max_alert_callbacks: must be an integer from 16 to "
		"1000000",
		"cadmon.yaml:4:45: detector.escalate_unacked_after_seconds.warning: must be an "
		"integer from 0 to 2592000",
		"cadmon.yaml:4:49: detector.escalate_unacked_after_seconds.urgent: unknown key");
}

static void test_integer_ranges(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"feed:\n  max_line_bytes: 255\n  max_connections: 65536\n",
		"cadmon.yaml:2:19: feed.max_line_bytes: must be an integer from 256 to 16777216",
		"cadmon.yaml:3:20: feed.max_connections: must be an integer from 1 to 65535");
	EXPECT_ERRORS(
		"http: {max_header_bytes: 1023, max_body_bytes: 255, max_alerts_bytes: 67108865}\n",
		"cadmon.yaml:1:26: http.max_header_bytes: must be an integer from 1024 to 1048576",
		"cadmon.yaml:1:48: http.max_body_bytes: must be an integer from 256 to 1048576",
		"cadmon.yaml:1:71: http.max_alerts_bytes: must be an integer from 4096 to "
		"67108864");
	EXPECT_ERRORS("http: {timeout_seconds: 0}\n",
		      "cadmon.yaml:1:25: http.timeout_seconds: must be an integer from 1 to 3600");
	EXPECT_ERRORS("http: {max_streams: 0, max_stream_queue_bytes: 4095, "
		      "stream_keepalive_seconds: 3601}\n",
		      "cadmon.yaml:1:21: http.max_streams: must be an integer from 1 to 65535",
		      "cadmon.yaml:1:48: http.max_stream_queue_bytes: must be an integer from 4096 "
		      "to 1073741824",
		      "cadmon.yaml:1:80: http.stream_keepalive_seconds: must be an integer from 1 "
		      "to 3600");
	EXPECT_ERRORS(
		"alerts: {max_subscribers: 0, max_queue_bytes: 4095}\n",
		"cadmon.yaml:1:27: alerts.max_subscribers: must be an integer from 1 to 65535",
		"cadmon.yaml:1:47: alerts.max_queue_bytes: must be an integer from 4096 to "
		"1073741824");
	EXPECT_ERRORS(
		"tracker: {max_open_calls: 10000001, max_window_calls: 15}\n",
		"cadmon.yaml:1:27: tracker.max_open_calls: must be an integer from 1 to 10000000",
		"cadmon.yaml:1:55: tracker.max_window_calls: must be an integer from 16 to "
		"1000000");
	EXPECT_ERRORS(
		"log: {rate_limit_seconds: 0}\n",
		"cadmon.yaml:1:27: log.rate_limit_seconds: must be an integer from 1 to 86400");
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: a\n"
		      "      window_seconds: 2592001\n"
		      "      min_calls: 4294967296\n"
		      "      min_premature: 0\n",
		      "cadmon.yaml:4:23: detector.rules[0] (name: a): window_seconds: must be an "
		      "integer from 1 to 2592000",
		      "cadmon.yaml:5:18: detector.rules[0] (name: a): min_calls: must be an "
		      "integer from 1 to 4294967295",
		      "cadmon.yaml:6:22: detector.rules[0] (name: a): min_premature: must be an "
		      "integer from 1 to 4294967295");
}

static void test_number_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n  premature:\n    max_talk_seconds: 0\n",
		      "cadmon.yaml:3:23: detector.premature.max_talk_seconds: must be a number "
		      "greater than 0");
	EXPECT_ERRORS("detector: {premature: {max_talk_seconds: -5}}\n",
		      "cadmon.yaml:1:42: detector.premature.max_talk_seconds: must be a number "
		      "greater than 0");
	EXPECT_ERRORS("detector: {premature: {max_talk_seconds: .inf}}\n",
		      "cadmon.yaml:1:42: detector.premature.max_talk_seconds: must be a number "
		      "greater than 0");
	EXPECT_ERRORS("detector: {premature: {max_talk_seconds: 1e999}}\n",
		      "cadmon.yaml:1:42: detector.premature.max_talk_seconds: must be a number "
		      "greater than 0");
	EXPECT_ERRORS("detector: {premature: {max_talk_seconds: 20s}}\n",
		      "cadmon.yaml:1:42: detector.premature.max_talk_seconds: must be a number "
		      "greater than 0");
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - {name: a, window_seconds: 1, min_ratio: 1.01}\n"
		      "    - {name: b, window_seconds: 1, min_ratio: -0.1}\n"
		      "    - {name: c, window_seconds: 1, min_ratio: nan}\n",
		      "cadmon.yaml:3:47: detector.rules[0] (name: a): min_ratio: must be a number "
		      "from 0 to 1",
		      "cadmon.yaml:4:47: detector.rules[1] (name: b): min_ratio: must be a number "
		      "from 0 to 1",
		      "cadmon.yaml:5:47: detector.rules[2] (name: c): min_ratio: must be a number "
		      "from 0 to 1");
}

static void test_bad_ports(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n"
		      "  listen:\n"
		      "    - 127.0.0.1:65536\n"
		      "    - \"127.0.0.1:\"\n"
		      "    - 127.0.0.1:-1\n"
		      "    - 127.0.0.1:08\n"
		      "    - \"[::1]:http\"\n",
		      "cadmon.yaml:3:7: feed.listen[0]: port must be an integer from 0 to 65535",
		      "cadmon.yaml:4:7: feed.listen[1]: port must be an integer from 0 to 65535",
		      "cadmon.yaml:5:7: feed.listen[2]: port must be an integer from 0 to 65535",
		      "cadmon.yaml:6:7: feed.listen[3]: port must be an integer from 0 to 65535",
		      "cadmon.yaml:7:7: feed.listen[4]: port must be an integer from 0 to 65535");
}

/* The longest numeric address, "[ffff:...:255.255.255.255]:65535", is 53 characters; a
 * 64-character entry is refused for its length alone. */
static void too_long_address_test(void)
{
	char text[128];
	char host[CONFIG_ADDRESS_MAX];

	memset(host, '1', sizeof host);
	host[CONFIG_ADDRESS_MAX - 5] = '\0'; /* 59 + ":7400" = 64 characters */
	snprintf(text, sizeof text, "feed:\n  listen: \"%s:7400\"\n", host);
	EXPECT_ERRORS(text, "cadmon.yaml:2:11: feed.listen: must be at most 63 characters");
	host[CONFIG_ADDRESS_MAX - 6] = '\0'; /* 63 characters: short enough, but not an address */
	snprintf(text, sizeof text, "feed:\n  listen: \"%s:7400\"\n", host);
	EXPECT_ERRORS(
		text,
		"cadmon.yaml:2:11: feed.listen: host must be a numeric IPv4 or [IPv6] address");
}

static void test_bad_addresses(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"alerts:\n"
		"  listen:\n"
		"    - 127.0.0.1\n"
		"    - \":7401\"\n"
		"    - \"::1:7401\"\n"
		"    - \"[::1]\"\n"
		"    - localhost:7401\n"
		"    - 127.0.0.256:7401\n"
		"    - \"[127.0.0.1]:7401\"\n"
		"    - \"[::1]7401\"\n",
		"cadmon.yaml:3:7: alerts.listen[0]: must be ipv4:port or [ipv6]:port",
		"cadmon.yaml:4:7: alerts.listen[1]: must be ipv4:port or [ipv6]:port",
		"cadmon.yaml:5:7: alerts.listen[2]: IPv6 addresses must be in brackets, as "
		"[ipv6]:port",
		"cadmon.yaml:6:7: alerts.listen[3]: must be ipv4:port or [ipv6]:port",
		"cadmon.yaml:7:7: alerts.listen[4]: host must be a numeric IPv4 or [IPv6] address",
		"cadmon.yaml:8:7: alerts.listen[5]: host must be a numeric IPv4 or [IPv6] address",
		"cadmon.yaml:9:7: alerts.listen[6]: host must be a numeric IPv4 or [IPv6] address",
		"cadmon.yaml:10:7: alerts.listen[7]: must be ipv4:port or [ipv6]:port");
	too_long_address_test();
	EXPECT_ERRORS("feed:\n  listen: [[\"127.0.0.1:1\"]]\n",
		      "cadmon.yaml:2:12: feed.listen[0]: must be ipv4:port or [ipv6]:port");
}

static void test_listen_counts(void **state)
{
	(void)state;
	EXPECT_ERRORS("feed:\n  listen: []\n", "cadmon.yaml:2:11: feed.listen: must not be empty");
	EXPECT_ERRORS(
		"feed:\n  listen:\n",
		"cadmon.yaml:2:10: feed.listen: must be an address or a sequence of addresses");
	EXPECT_ERRORS(
		"alerts:\n  listen: {a: 1}\n",
		"cadmon.yaml:2:11: alerts.listen: must be an address or a sequence of addresses");
	EXPECT_ERRORS("feed:\n  listen: [\"127.0.0.1:1\", \"127.0.0.1:2\", \"127.0.0.1:3\","
		      " \"127.0.0.1:4\", \"127.0.0.1:5\", \"127.0.0.1:6\", \"127.0.0.1:7\","
		      " \"127.0.0.1:8\", \"127.0.0.1:9\", \"127.0.0.1:10\"]\n",
		      "cadmon.yaml:2:132: feed.listen[8]: too many entries (at most 8)");
}

static void test_released_by_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  premature:\n"
		      "    max_talk_seconds: 20\n"
		      "    released_by:\n"
		      "      - operator\n"
		      "\n"
		      "      - Caller\n"
		      "      - operator\n",
		      "cadmon.yaml:7:9: detector.premature.released_by[1]: must be one of "
		      "operator, caller, system, unknown",
		      "cadmon.yaml:8:9: detector.premature.released_by[2]: duplicate entry");
	EXPECT_ERRORS("detector:\n  premature:\n    released_by: []\n",
		      "cadmon.yaml:3:18: detector.premature.released_by: must not be empty");
	EXPECT_ERRORS("detector:\n  premature:\n    released_by: operator\n",
		      "cadmon.yaml:3:18: detector.premature.released_by: must be a sequence");
	/* An embedded NUL does not make "operator\0x" pass as "operator". */
	EXPECT_ERRORS("detector:\n  premature:\n    released_by: [\"operator\\0x\"]\n",
		      "cadmon.yaml:3:19: detector.premature.released_by[0]: must be one of "
		      "operator, caller, system, unknown");
}

static void test_rule_required_keys(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: a\n"
		      "      window_seconds: 60\n"
		      "    - min_calls: 3\n"
		      "      severity: info\n",
		      "cadmon.yaml:5:7: detector.rules[1].name: required key missing",
		      "cadmon.yaml:5:7: detector.rules[1].window_seconds: required key missing");
	EXPECT_ERRORS("detector: {rules: [{}]}\n",
		      "cadmon.yaml:1:20: detector.rules[0].name: required key missing",
		      "cadmon.yaml:1:20: detector.rules[0].window_seconds: required key missing");
}

static void test_rule_value_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: Burst\n"
		      "      window_seconds: 60\n"
		      "      severity: high\n"
		      "    - name: abcdefghijklmnopqrstuvwxyz012345\n"
		      "      window_seconds: 60\n"
		      "    - name: \"\"\n"
		      "      window_seconds: 60\n"
		      "    - name: [a]\n"
		      "      window_seconds: 60\n",
		      "cadmon.yaml:3:13: detector.rules[0].name: must be 1 to 31 characters from "
		      "a-z, 0-9, _ and -",
		      "cadmon.yaml:5:17: detector.rules[0].severity: must be one of info, warning, "
		      "critical",
		      "cadmon.yaml:6:13: detector.rules[1].name: must be 1 to 31 characters from "
		      "a-z, 0-9, _ and -",
		      "cadmon.yaml:8:13: detector.rules[2].name: must be 1 to 31 characters from "
		      "a-z, 0-9, _ and -",
		      "cadmon.yaml:10:13: detector.rules[3].name: must be 1 to 31 characters from "
		      "a-z, 0-9, _ and -");
}

static void test_rule_longest_name_accepted(void **state)
{
	struct config config = parse_ok("detector: {rules: [{name: abcdefghijklmnopqrstuvwxyz-_012,"
					" window_seconds: 5}]}\n");

	(void)state;
	assert_string_equal(config.detector.rules[0].name, "abcdefghijklmnopqrstuvwxyz-_012");
}

static void test_rules_list_errors(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n  rules: []\n",
		      "cadmon.yaml:2:10: detector.rules: must not be empty");
	EXPECT_ERRORS("detector:\n  rules:\n",
		      "cadmon.yaml:2:9: detector.rules: must be a sequence");
	EXPECT_ERRORS("detector:\n  rules: [burst]\n",
		      "cadmon.yaml:2:11: detector.rules[0]: must be a mapping");
}

static void test_too_many_rules(void **state)
{
	char text[2048] = "detector:\n  rules:\n";

	(void)state;
	for (int i = 0; i < CONFIG_MAX_RULES + 2; i++) {
		char line[64];

		snprintf(line, sizeof line, "    - {name: r%d, window_seconds: 60}\n", i);
		strcat(text, line);
	}
	EXPECT_ERRORS(text, "cadmon.yaml:19:7: detector.rules[16]: too many entries (at most 16)");
}

static void test_min_premature_above_min_calls(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: a\n"
		      "      window_seconds: 60\n"
		      "      min_premature: 4\n"
		      "      min_calls: 3\n",
		      "cadmon.yaml:5:22: detector.rules[0] (name: a): min_premature: must be at "
		      "most min_calls (3)");
	/* min_calls defaults to 1 */
	EXPECT_ERRORS("detector: {rules: [{name: a, window_seconds: 60, min_premature: 2}]}\n",
		      "cadmon.yaml:1:65: detector.rules[0] (name: a): min_premature: must be at "
		      "most min_calls (1)");
	/* A bad min_calls is reported once, not again through the comparison. */
	EXPECT_ERRORS("detector: {rules: [{name: a, window_seconds: 60, min_premature: 2, "
		      "min_calls: 0}]}\n",
		      "cadmon.yaml:1:79: detector.rules[0] (name: a): min_calls: must be an "
		      "integer from 1 to 4294967295");
}

/* A rule needing more calls than the tracker keeps per call-taker could never fire. */
static void test_min_calls_above_window_calls(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - {name: a, window_seconds: 60, min_calls: 513}\n",
		      "cadmon.yaml:3:48: detector.rules[0] (name: a): min_calls: must be at most "
		      "tracker.max_window_calls (512)");
	/* The tracker section may come after the rules; the message keeps document order. */
	EXPECT_ERRORS(
		"detector:\n"
		"  rules:\n"
		"    - {name: a, window_seconds: 60, min_calls: 20}\n"
		"tracker:\n"
		"  max_window_calls: 19\n"
		"  max_operators: 0\n",
		"cadmon.yaml:3:48: detector.rules[0] (name: a): min_calls: must be at most "
		"tracker.max_window_calls (19)",
		"cadmon.yaml:6:18: tracker.max_operators: must be an integer from 1 to 1000000");
	/* A bad max_window_calls is reported once. */
	EXPECT_ERRORS("detector: {rules: [{name: a, window_seconds: 60, min_calls: 2000}]}\n"
		      "tracker: {max_window_calls: 1}\n",
		      "cadmon.yaml:2:29: tracker.max_window_calls: must be an integer from 16 to "
		      "1000000");
}

static void test_duplicate_rule_names(void **state)
{
	(void)state;
	EXPECT_ERRORS("detector:\n"
		      "  rules:\n"
		      "    - name: burst\n"
		      "      window_seconds: 60\n"
		      "    - name: slow\n"
		      "      window_seconds: 600\n"
		      "    - name: burst\n"
		      "      window_seconds: 6000\n",
		      "cadmon.yaml:7:13: detector.rules[2] (name: burst): name: duplicate rule "
		      "name, already used by detector.rules[0]");
}

/* Every error in one file, cross-field ones included, in document order. */
static void test_several_errors_in_order(void **state)
{
	(void)state;
	EXPECT_ERRORS(
		"feed:\n"
		"  listen: 127.0.0.1\n"
		"  max_line_bytes: 12abc\n"
		"  colour: blue\n"
		"detector:\n"
		"  rules:\n"
		"    - name: a\n"
		"      window_seconds: 60\n"
		"      min_calls: 3\n"
		"      min_premature: 5\n"
		"      severity: loud\n"
		"    - window_seconds: 0\n"
		"feed:\n"
		"  max_connections: 0\n",
		"cadmon.yaml:2:11: feed.listen: must be ipv4:port or [ipv6]:port",
		"cadmon.yaml:3:19: feed.max_line_bytes: must be an integer from 256 to 16777216",
		"cadmon.yaml:4:3: feed.colour: unknown key",
		"cadmon.yaml:10:22: detector.rules[0] (name: a): min_premature: must be at most "
		"min_calls (3)",
		"cadmon.yaml:11:17: detector.rules[0] (name: a): severity: must be one of info, "
		"warning, critical",
		"cadmon.yaml:12:7: detector.rules[1].name: required key missing",
		"cadmon.yaml:12:23: detector.rules[1].window_seconds: must be an integer from 1 to "
		"2592000",
		"cadmon.yaml:13:1: feed: duplicate key");
}

/* The config passed in is untouched on error, whatever it held. */
static void test_config_untouched_on_error(void **state)
{
	struct config config = defaults();
	struct config before;
	struct config_errors errors;
	const char text[] = "feed:\n  max_connections: 5\nlog:\n  rate_limit_seconds: 0\n";

	(void)state;
	config.feed.max_connections = 33;
	before = config;
	assert_int_equal(parse_text(text, &config, &errors), -EINVAL);
	assert_int_equal(errors.count, 1);
	assert_memory_equal(&config, &before, sizeof config);
}

/* Past CONFIG_MAX_ERRORS, messages are counted, not kept. */
static void test_dropped_errors(void **state)
{
	char text[1024] = "";
	struct config config = defaults();
	struct config_errors errors;

	(void)state;
	for (int i = 0; i < CONFIG_MAX_ERRORS + 8; i++) {
		char line[32];

		snprintf(line, sizeof line, "k%d: 1\n", i);
		strcat(text, line);
	}
	assert_int_equal(parse_text(text, &config, &errors), -EINVAL);
	assert_int_equal(errors.count, CONFIG_MAX_ERRORS);
	assert_int_equal(errors.dropped, 8);
	assert_string_equal(errors.message[0], "cadmon.yaml:1:1: k0: unknown key");
	assert_string_equal(errors.message[CONFIG_MAX_ERRORS - 1],
			    "cadmon.yaml:32:1: k31: unknown key");
}

static void test_filename_in_messages(void **state)
{
	struct config config = defaults();
	struct config_errors errors;
	const char text[] = "log: {rate_limit_seconds: 0}\n";

	(void)state;
	assert_int_equal(
		config_parse(text, strlen(text), "/etc/cadmon/cadmon.yaml", &config, &errors),
		-EINVAL);
	assert_string_equal(errors.message[0],
			    "/etc/cadmon/cadmon.yaml:1:27: log.rate_limit_seconds:"
			    " must be an integer from 1 to 86400");
}

/* Only len bytes are read: the text need not be NUL-terminated. */
static void test_reads_only_len_bytes(void **state)
{
	const char text[] = "log: {rate_limit_seconds: 5}\nlog: oops";
	struct config config = defaults();
	struct config_errors errors;

	(void)state;
	assert_int_equal(config_parse(text, strlen("log: {rate_limit_seconds: 5}\n"), "cadmon.yaml",
				      &config, &errors), 0);
	assert_int_equal(config.log.rate_limit_seconds, 5);
}

static void test_longest_window(void **state)
{
	struct config config = defaults();

	(void)state;
	config.detector.rule_count = 3;
	config.detector.rules[0].window_seconds = 600;
	config.detector.rules[1].window_seconds = 60;
	config.detector.rules[2].window_seconds = 9000;
	assert_int_equal(config_longest_window_seconds(&config), 9000);
	config.detector.rule_count = 0;
	assert_int_equal(config_longest_window_seconds(&config), 0);
}

/* ---- the shipped config/cadmon.yaml ------------------------------------------------- */

static char *read_whole_file(const char *path, size_t *len)
{
	FILE *file = fopen(path, "rb");
	char *text = NULL;
	long size;

	if (!file)
		return NULL;
	if (fseek(file, 0, SEEK_END) == 0 && (size = ftell(file)) >= 0 &&
	    fseek(file, 0, SEEK_SET) == 0 && (text = malloc((size_t)size + 1)) &&
	    fread(text, 1, (size_t)size, file) == (size_t)size) {
		text[size] = '\0';
		*len = (size_t)size;
	} else {
		free(text);
		text = NULL;
	}
	fclose(file);
	return text;
}

/* The annotated default file parses cleanly and says exactly what the code does. */
static void test_shipped_file_matches_defaults(void **state)
{
#ifdef CADMON_SOURCE_DIR
	const char *path = CADMON_SOURCE_DIR "/config/cadmon.yaml";
	struct config expected = defaults();
	struct config config;
	struct config_errors errors;
	size_t len = 0;
	char *text = read_whole_file(path, &len);
	int rc;

	(void)state;
	if (!text)
		fail_msg("cannot read %s", path);
	memset(&config, 0, sizeof config);
	rc = config_parse(text, len, "cadmon.yaml", &config, &errors);
	for (size_t i = 0; i < errors.count; i++)
		print_message("%s\n", errors.message[i]);
	free(text);
	assert_int_equal(rc, 0);
	assert_int_equal(errors.count + errors.dropped, 0);
	assert_config_equal(&config, &expected);
#else
	(void)state;
	(void)read_whole_file;
	fail_msg("build with -DCADMON_SOURCE_DIR=\"<source root>\" to check config/cadmon.yaml");
#endif
}

/* config_set_defaults gives, byte for byte, the dump recorded in tests/data/config-defaults.yaml
 * (generated from the hand-written defaults before they moved into the key tables: the listen
 * addresses, released_by, nats.servers and the default rule are now fallbacks too). */
static void test_defaults_dump_fixture(void **state)
{
#ifdef CADMON_SOURCE_DIR
	const char *path = CADMON_SOURCE_DIR "/tests/data/config-defaults.yaml";
	struct config config = defaults();
	size_t len = 0;
	char *expected = read_whole_file(path, &len);
	char *dumped = config_dump(&config, NULL);

	(void)state;
	if (!expected)
		fail_msg("cannot read %s", path);
	assert_non_null(dumped);
	assert_string_equal(dumped, expected);
	free(dumped);
	free(expected);
#else
	(void)state;
	fail_msg("build with -DCADMON_SOURCE_DIR=\"<source root>\" to check the defaults' dump");
#endif
}

/*
 * The first line of the comment just above key path in a cadmon.yaml text: the comment lines
 * at the key's indentation with no blank line between ("# " removed). False when the file has
 * no such key; *has_comment false when the key has no comment of its own.
 */
static bool yaml_key_comment_block(const char *text, const char *want, char *comment, size_t size,
				   bool *has_comment, const char **block_start,
				   const char **key_line)
{
	char names[8][64], path[CONFIG_ERROR_MAX];
	size_t indents[8], depth = 0, block_indent = 0, block_len = 0;
	const char *block = NULL, *block_line = NULL;

	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), indent = 0, name_len = 0;

		while (indent < len && line[indent] == ' ')
			indent++;
		if (indent < len && line[indent] == '#') {
			if (!block || block_indent != indent) {
				block_line = line;
				block = line + indent + 1 +
					(indent + 1 < len && line[indent + 1] == ' ');
				block_len = (size_t)(line + len - block);
				block_indent = indent;
			}
		} else {
			while (indent + name_len < len &&
			       (islower((unsigned char)line[indent + name_len]) ||
				isdigit((unsigned char)line[indent + name_len]) ||
				line[indent + name_len] == '_'))
				name_len++;
			if (name_len > 0 && name_len < sizeof names[0] && indent + name_len < len &&
			    line[indent + name_len] == ':') {
				while (depth > 0 && indents[depth - 1] >= indent)
					depth--;
				assert_true(depth < ARRAY_SIZE(names));
				snprintf(names[depth], sizeof names[depth], "%.*s", (int)name_len,
					 line + indent);
				indents[depth++] = indent;
				path[0] = '\0';
				for (size_t i = 0; i < depth; i++)
					assert_true(snprintf(path + strlen(path),
							     sizeof path - strlen(path), "%s%s",
							     i ? "." : "", names[i]) > 0);
				if (strcmp(path, want) == 0) {
					*has_comment = block && block_indent == indent;
					*block_start = *has_comment ? block_line : line;
					*key_line = line;
					snprintf(comment, size, "%.*s",
						 *has_comment ? (int)block_len : 0,
						 *has_comment ? block : "");
					return true;
				}
			}
			block = NULL;
		}
		line = end ? end + 1 : line + len;
	}
	return false;
}

static bool yaml_key_comment(const char *text, const char *want, char *comment, size_t size,
			     bool *has_comment)
{
	const char *block_start, *key_line;

	return yaml_key_comment_block(text, want, comment, size, has_comment, &block_start,
				      &key_line);
}

struct doc_check {
	const char *text;    /* config/cadmon.yaml */
	size_t keys;         /* keys of the sections, sections included */
	size_t documented;   /* keys with a .doc */
};

static void check_key_doc(void *ctx, const struct config_key_info *key)
{
	struct doc_check *check = ctx;
	char comment[CONFIG_ERROR_MAX];
	bool has_comment = false;
	const char *path = key->path, *doc = key->doc;

	if (key->in_list_entry)
		return;
	check->keys++;

	if (!yaml_key_comment(check->text, path, comment, sizeof comment, &has_comment))
		fail_msg("%s: not in config/cadmon.yaml", path);
	if (!has_comment && doc)
		fail_msg("%s: .doc \"%s\" but no comment in config/cadmon.yaml", path, doc);
	if (has_comment && !doc)
		fail_msg("%s: no .doc; config/cadmon.yaml says \"%s\"", path, comment);
	if (doc) {
		assert_string_equal(doc, comment);
		check->documented++;
	}
}

/* Every section key's .doc is the first line of its comment in config/cadmon.yaml. */
static void test_key_docs_match_shipped_file(void **state)
{
#ifdef CADMON_SOURCE_DIR
	const char *path = CADMON_SOURCE_DIR "/config/cadmon.yaml";
	size_t len = 0;
	char *text = read_whole_file(path, &len);
	struct doc_check check = { .text = text };

	(void)state;
	if (!text)
		fail_msg("cannot read %s", path);
	config_keys(check_key_doc, &check);
	assert_int_equal(check.keys, 146);
	assert_int_equal(check.documented, 137);
	free(text);
#else
	(void)state;
	fail_msg("build with -DCADMON_SOURCE_DIR=\"<source root>\" to check config/cadmon.yaml");
#endif
}

struct changes {
	char text[2048];
};

static void collect_change(void *ctx, const char *path, const char *before, const char *after)
{
	struct changes *changes = ctx;
	size_t used = strlen(changes->text);

	snprintf(changes->text + used, sizeof changes->text - used, "%s: %s -> %s\n", path,
		 before ? before : "(none)", after ? after : "(none)");
}

/* config_diff from before to after names exactly one change, told as text. */
static void assert_one_change(const struct config *before, const struct config *after,
			      const char *text)
{
	struct changes changes = { .text = "" };

	assert_int_equal(config_diff(before, after, collect_change, &changes), 1);
	assert_string_equal(changes.text, text);
}

/* Every key but a section declares its unit and whether a reload applies it (LIVE(unit) or
 * RESTART(unit) in its table entry); the keys a reload keeps are exactly these. */
struct unit_check {
	char restart[2048]; /* the RESTART keys outside list entries, one a line */
	size_t keys, entry_keys;
};

static void check_key_unit(void *ctx, const struct config_key_info *key)
{
	struct unit_check *check = ctx;
	size_t used = strlen(check->restart);

	if (key->section) {
		assert_null(key->unit);
		assert_null(key->reload);
		return;
	}
	if (strcmp(key->unit, "undeclared") == 0 || strcmp(key->reload, "undeclared") == 0)
		fail_msg("%s: no LIVE(unit) or RESTART(unit) in its table entry", key->path);
	check->keys++;
	check->entry_keys += key->in_list_entry;
	if (strcmp(key->reload, "restart") == 0 && !key->in_list_entry)
		snprintf(check->restart + used, sizeof check->restart - used, "%s\n", key->path);
}

static void find_key_info(void *ctx, const struct config_key_info *key)
{
	char *want = ctx; /* "path" in, "path unit reload" out */

	if (strchr(want, ' ') || strcmp(key->path, want) != 0)
		return;
	snprintf(want + strlen(want), 128 - strlen(want), " %s %s", key->unit ? key->unit : "-",
		 key->reload ? key->reload : "-");
}

static const char *key_unit_reload(const char *path)
{
	static char found[128];

	snprintf(found, sizeof found, "%s", path);
	config_keys(find_key_info, found);
	return found;
}

static void test_key_units_and_reload(void **state)
{
	struct unit_check check = { .restart = "" };

	(void)state;
	config_keys(check_key_unit, &check);
	assert_int_equal(check.keys, 200);
	assert_int_equal(check.entry_keys, 69);
	assert_string_equal(
		check.restart,
		"feed.tls\nalerts.tls\nhttp.tls\njournal.state_directory\nreceivers\n"
		"i3.enabled\ni3.max_body_bytes\ni3.require_signature\ni3.public_keys\n"
		"i3.max_calls\ni3.max_pending_requests\ni3.bye_outgoing_released_by\n"
		"i3.bye_incoming_released_by\nnats.enabled\nnats.servers\nnats.credentials\n"
		"nats.token_file\nnats.tls_ca\nnats.tls_certificate\nnats.tls_key\n"
		"nats.events_stream\nnats.events_subject_prefix\nnats.subjects\nnats.consumer\n"
		"nats.max_in_flight\nnats.ack_wait_seconds\n"
		"nats.publish_alerts\nnats.alerts_stream\nnats.alerts_subject_prefix\n"
		"nats.max_alert_queue\nnats.connect_timeout_ms\nnats.reconnect_wait_ms\n"
		"nats.max_reconnect_attempts\nnats.mapping\n");
	assert_string_equal(key_unit_reload("feed.max_line_bytes"),
			    "feed.max_line_bytes bytes live");
	assert_string_equal(key_unit_reload("feed.listen"), "feed.listen address live");
	assert_string_equal(key_unit_reload("feed.tls"), "feed.tls boolean restart");
	assert_string_equal(key_unit_reload("feed"), "feed - -");
	assert_string_equal(key_unit_reload("journal.fsync_interval_ms"),
			    "journal.fsync_interval_ms milliseconds live");
	assert_string_equal(key_unit_reload("feed.snapshot_iteration_budget_us"),
			    "feed.snapshot_iteration_budget_us microseconds live");
	assert_string_equal(key_unit_reload("journal.state_directory"),
			    "journal.state_directory path restart");
	assert_string_equal(key_unit_reload("detector.premature.max_talk_seconds"),
			    "detector.premature.max_talk_seconds seconds live");
	assert_string_equal(key_unit_reload("detector.baseline.prior_ratio"),
			    "detector.baseline.prior_ratio ratio live");
	assert_string_equal(key_unit_reload("detector.rules[].false_alarm_hours"),
			    "detector.rules[].false_alarm_hours hours live");
	assert_string_equal(key_unit_reload("detector.rules[].severity"),
			    "detector.rules[].severity choice live");
	assert_string_equal(key_unit_reload("receivers[].timeout_ms"),
			    "receivers[].timeout_ms milliseconds restart");
	assert_string_equal(key_unit_reload("tracker.max_open_calls"),
			    "tracker.max_open_calls count live");
	assert_string_equal(key_unit_reload("nats.servers"), "nats.servers list restart");
}

/* What a reload cannot apply is put back, each difference named; config_diff then names only
 * what the reload applies. */
static void collect_kept(void *ctx, const char *path, const char *before, const char *after)
{
	collect_change(ctx, path, before, after);
}

static void collect_whole_kept(void *ctx, const char *name, bool is_list)
{
	struct changes *changes = ctx;
	size_t used = strlen(changes->text);

	snprintf(changes->text + used, sizeof changes->text - used, "%s: all kept (%s)\n", name,
		 is_list ? "list" : "section");
}

static void test_reload_keeps_restart_keys(void **state)
{
	static const char receiver[] =
		"receivers:\n  - {name: pager, type: webhook, url: \"http://127.0.0.1:9\", "
		"timeout_ms: %s}\n";
	char running_text[512], next_text[1024];
	struct changes changes = { .text = "" };
	const struct config_restart_report report = { .kept = collect_kept,
						      .whole_kept = collect_whole_kept,
						      .ctx = &changes };

	(void)state;
	snprintf(running_text, sizeof running_text, receiver, "2000");
	snprintf(next_text, sizeof next_text,
		 "feed:\n  tls: true\n  require_client_certificate: false\n  source_binding: none\n"
		 "  max_line_bytes: 1024\n"
		 "tls:\n  certificate: /etc/c.pem\n  key: /etc/k.pem\n"
		 "journal:\n  state_directory: /srv/cadmon\n  fsync: none\n"
		 "i3:\n  max_calls: 20\n"
		 "nats:\n  fetch_batch: 8\n  servers: [\"nats://10.0.0.1:4222\"]\n%s", "");
	snprintf(next_text + strlen(next_text), sizeof next_text - strlen(next_text), receiver,
		 "3000");
	struct config running = parse_ok(running_text);
	struct config next = parse_ok(next_text);

	assert_int_equal(config_keep_restart_keys(&running, &next, &report), 5);
	assert_string_equal(changes.text,
			    "feed.tls: false -> true\n"
			    "journal.state_directory: /var/lib/cadmon -> /srv/cadmon\n"
			    "receivers.pager.timeout_ms: 2000 -> 3000\n"
			    "receivers: all kept (list)\n"
			    "i3.max_calls: 10000 -> 20\n"
			    "i3: all kept (section)\n"
			    "nats.servers: [nats://127.0.0.1:4222] -> [nats://10.0.0.1:4222]\n");
	changes.text[0] = '\0';
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 7);
	assert_string_equal(changes.text, "feed.max_line_bytes: 65536 -> 1024\n"
					  "feed.require_client_certificate: true -> false\n"
					  "feed.source_binding: certificate -> none\n"
					  "tls.certificate:  -> /etc/c.pem\n"
					  "tls.key:  -> /etc/k.pem\n"
					  "journal.fsync: batch -> none\n"
					  "nats.fetch_batch: 256 -> 8\n");
	assert_false(next.feed.tls);
	assert_string_equal(next.journal.state_directory, "/var/lib/cadmon");
	assert_int_equal(next.receivers[0].timeout_ms, 2000);
	assert_int_equal(next.nats.server_count, 1);
	assert_string_equal(next.nats.servers[0], "nats://127.0.0.1:4222");
	changes.text[0] = '\0';
	assert_int_equal(config_keep_restart_keys(&running, &next, &report), 0);
	assert_string_equal(changes.text, "");
}

/*
 * A list of mappings documents its entries' keys as rows of the comment above it, e.g.
 * "#   timeout_ms           per request (100 to 600000, default 5000)": the first line of a
 * row is the entry key's .doc, and every row names a key of the entries.
 */
struct entry_docs {
	const char *text; /* config/cadmon.yaml */
	size_t documented, lists;
};

/* The row of name in the comment block [block, end): its text in row; false when none. */
static bool entry_row(const char *block, const char *end, const char *name, char *row, size_t size)
{
	for (const char *line = block; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line), at = 0,
		       name_len = 0;

		while (at < len && line[at] == ' ')
			at++;
		if (len - at > 4 && memcmp(line + at, "#   ", 4) == 0 &&
		    islower((unsigned char)line[at + 4])) {
			at += 4;
			while (at + name_len < len &&
			       (islower((unsigned char)line[at + name_len]) ||
				isdigit((unsigned char)line[at + name_len]) ||
				line[at + name_len] == '_'))
				name_len++;
			size_t text = at + name_len;
			while (text < len && line[text] == ' ')
				text++;
			if (text > at + name_len && text < len &&
			    (!name || (strlen(name) == name_len &&
				       memcmp(line + at, name, name_len) == 0))) {
				snprintf(row, size, "%.*s", (int)(name ? len - text : name_len),
					 name ? line + text : line + at);
				return true;
			}
		}
		line = eol ? eol + 1 : end;
	}
	return false;
}

/* The comment block above list (a path of the file) and its end. */
static void list_block(const char *text, const char *list, const char **block, const char **end)
{
	char comment[CONFIG_ERROR_MAX];
	bool has_comment = false;

	if (!yaml_key_comment_block(text, list, comment, sizeof comment, &has_comment, block,
				    end) ||
	    !has_comment)
		fail_msg("%s: no comment above it in config/cadmon.yaml", list);
}

static void check_entry_doc(void *ctx, const struct config_key_info *key)
{
	struct entry_docs *check = ctx;
	const char *mark = strstr(key->path, "[]."), *block, *end;
	char list[CONFIG_ERROR_MAX], row[CONFIG_ERROR_MAX];

	if (!key->in_list_entry || !mark)
		return;
	snprintf(list, sizeof list, "%.*s", (int)(mark - key->path), key->path);
	if (strchr(list, '[') ||
	    strchr(mark + 3, '.')) { /* a key of a section in an entry: no row */
		if (key->doc)
			fail_msg("%s: .doc \"%s\" but no row of its own in config/cadmon.yaml",
				 key->path, key->doc);
		return;
	}
	list_block(check->text, list, &block, &end);
	if (!entry_row(block, end, mark + 3, row, sizeof row))
		fail_msg("%s: no row \"#   %s  ...\" above %s in config/cadmon.yaml", key->path,
			 mark + 3, list);
	if (!key->doc)
		fail_msg("%s: no .doc; config/cadmon.yaml says \"%s\"", key->path, row);
	assert_string_equal(key->doc, row);
	check->documented++;
}

/* Each row above a list names one of its entries' keys. */
struct row_owner {
	const char *path;
	bool found;
};

static void find_path(void *ctx, const struct config_key_info *key)
{
	struct row_owner *owner = ctx;

	owner->found = owner->found || strcmp(key->path, owner->path) == 0;
}

static void check_rows_are_keys(const char *text, const char *list)
{
	const char *block, *end;
	char name[64], path[CONFIG_ERROR_MAX];

	list_block(text, list, &block, &end);
	while (entry_row(block, end, NULL, name, sizeof name)) {
		snprintf(path, sizeof path, "%s[].%s", list, name);
		struct row_owner owner = { .path = path };
		config_keys(find_path, &owner);
		if (!owner.found)
			fail_msg("config/cadmon.yaml documents %s, which is no key", path);
		block = strstr(block, name) + strlen(name); /* the next row */
	}
}

static void test_list_entry_docs_match_shipped_file(void **state)
{
	static const char *const lists[] = { "detector.rules", "receivers", "auth.tokens",
					     "sources",	       "mappings",  "i3.public_keys" };
	size_t len = 0;
	char *text = read_whole_file(CADMON_SOURCE_DIR "/config/cadmon.yaml", &len);
	struct entry_docs check = { .text = text };

	(void)state;
	assert_non_null(text);
	config_keys(check_entry_doc, &check);
	assert_int_equal(check.documented, 61);
	for (size_t i = 0; i < ARRAY_SIZE(lists); i++)
		check_rows_are_keys(text, lists[i]);
	free(text);
}

/* Every .fallback is read by its key's own parser without an error, and gives back exactly
 * the value it says: a fallback written "0.10" or one out of range would fail here (when it
 * is applied, by config_set_defaults, its errors are not seen). */
struct fallback_check {
	size_t with_fallback, round_trips;
	char zero_values[512]; /* some keys without a fallback, and the zero value they dump */
};

static void check_fallback(void *ctx, const struct config_key_info *key)
{
	struct fallback_check *check = ctx;
	char unquoted[CONFIG_ERROR_MAX * 2];

	if (key->fallback_error)
		fail_msg("%s: its .fallback \"%s\" does not parse: %s", key->path, key->fallback,
			 key->fallback_error);
	if (key->section)
		return;
	if (!key->fallback) {
		if (strcmp(key->path, "tls.certificate") == 0 ||
		    strcmp(key->path, "receivers[].redact_ani") == 0 ||
		    strcmp(key->path, "nats.subjects") == 0 ||
		    strcmp(key->path, "feed.mapping") == 0)
			snprintf(check->zero_values + strlen(check->zero_values),
				 sizeof check->zero_values - strlen(check->zero_values), "%s: %s\n",
				 key->path, key->value);
		return;
	}
	check->with_fallback++;
	if (!key->value)
		return; /* a list of mappings: detector.rules, checked by test_defaults */
	size_t len = strlen(key->value);
	bool quoted = len >= 2 && key->value[0] == '"' && key->value[len - 1] == '"' &&
		      key->fallback[0] != '[';
	snprintf(unquoted, sizeof unquoted, "%.*s", (int)(quoted ? len - 2 : len),
		 key->value + quoted);
	if (strcmp(unquoted, key->fallback) != 0)
		fail_msg("%s: .fallback \"%s\" gives %s", key->path, key->fallback, key->value);
	check->round_trips++;
}

static void test_every_fallback_parses(void **state)
{
	struct fallback_check check = { .zero_values = "" };

	(void)state;
	config_keys(check_fallback, &check);
	assert_int_equal(check.with_fallback, 154);
	assert_int_equal(check.round_trips, 153);
	assert_string_equal(check.zero_values, "feed.mapping: \"\"\n"
					       "tls.certificate: \"\"\n"
					       "receivers[].redact_ani: none\n"
					       "nats.subjects: ~\n");
}

/*
 * Each key line of config/cadmon.yaml ends with its unit and whether a reload applies it, as
 * the key's table entry says: "  max_line_bytes: 65536  # bytes; reloadable", "  tls: false
 * # boolean; restart to change"; a section's line has none.
 */
struct line_tag {
	const char *path;
	char expected[64]; /* "bytes; reloadable", "" for a section; "?" when no such key */
};

static void expected_tag(void *ctx, const struct config_key_info *key)
{
	struct line_tag *tag = ctx;

	if (strcmp(key->path, tag->path) != 0)
		return;
	if (key->section)
		tag->expected[0] = '\0';
	else
		snprintf(tag->expected, sizeof tag->expected, "%s; %s", key->unit,
			 strcmp(key->reload, "live") == 0 ? "reloadable" : "restart to change");
}

/* The path of the key on line (names and list flags of the lines above in stack), or false. */
struct yaml_path {
	char names[8][64];
	size_t indents[8];
	bool is_list[8];
	size_t depth;
};

static bool yaml_line_path(struct yaml_path *at, const char *line, size_t len, char *path,
			   size_t size, const char **after_colon)
{
	size_t indent = 0, name_len = 0;
	bool item = false;

	while (indent < len && line[indent] == ' ')
		indent++;
	if (indent + 1 < len && line[indent] == '-' && line[indent + 1] == ' ') {
		indent += 2;
		item = true;
	}
	while (indent + name_len < len &&
	       (islower((unsigned char)line[indent + name_len]) ||
		isdigit((unsigned char)line[indent + name_len]) || line[indent + name_len] == '_'))
		name_len++;
	if (name_len == 0 || name_len >= sizeof at->names[0] || indent + name_len >= len ||
	    line[indent + name_len] != ':')
		return false;
	while (at->depth > 0 && at->indents[at->depth - 1] >= indent)
		at->depth--;
	if (item && at->depth > 0)
		at->is_list[at->depth - 1] = true;
	assert_true(at->depth < ARRAY_SIZE(at->names));
	snprintf(at->names[at->depth], sizeof at->names[0], "%.*s", (int)name_len, line + indent);
	at->indents[at->depth] = indent;
	at->is_list[at->depth++] = false;
	path[0] = '\0';
	for (size_t i = 0; i < at->depth; i++)
		snprintf(path + strlen(path), size - strlen(path), "%s%s%s", i ? "." : "",
			 at->names[i], i + 1 < at->depth && at->is_list[i] ? "[]" : "");
	*after_colon = line + indent + name_len + 1;
	return true;
}

/* The last line of name's row in the comment block [block, end) ("[text; reloadable]"). */
static bool entry_row_last_line(const char *block, const char *end, const char *name, char *last,
				size_t size)
{
	char row[CONFIG_ERROR_MAX], first[CONFIG_ERROR_MAX];
	bool in_row = false;

	for (const char *line = block; line < end;) {
		const char *eol = memchr(line, '\n', (size_t)(end - line));
		size_t len = eol ? (size_t)(eol - line) : (size_t)(end - line), at = 0;

		while (at < len && line[at] == ' ')
			at++;
		bool continuation = len - at > 5 && memcmp(line + at, "#     ", 5) == 0;
		snprintf(first, sizeof first, "%.*s", (int)len, line);
		if (entry_row(first, first + strlen(first), name, row, sizeof row)) {
			in_row = true;
			snprintf(last, size, "%s", row);
		} else if (in_row && continuation) {
			const char *text = line + at + 1;
			while (*text == ' ')
				text++;
			snprintf(last, size, "%.*s", (int)(line + len - text), text);
		} else if (in_row) {
			return true;
		}
		line = eol ? eol + 1 : end;
	}
	return in_row;
}

/* A list entry's key documented in a row (all lists but detector.rules, whose keys are lines of
 * the shipped rule): the row ends with "[unit; reload]"; a key of a section in an entry (the
 * fields of a mapping) with its section's row. */
struct entry_tags {
	const char *text; /* config/cadmon.yaml */
	size_t tagged;
};

static void check_entry_tag(void *ctx, const struct config_key_info *key)
{
	struct entry_tags *check = ctx;
	const char *mark = strstr(key->path, "[]."), *block, *end;
	char list[CONFIG_ERROR_MAX], name[64], last[CONFIG_ERROR_MAX], expected[64];

	if (!key->in_list_entry || key->section || !mark ||
	    strncmp(key->path, "detector.rules[]", 16) == 0)
		return;
	snprintf(list, sizeof list, "%.*s", (int)(mark - key->path), key->path);
	snprintf(name, sizeof name, "%.*s", (int)strcspn(mark + 3, "."), mark + 3);
	snprintf(expected, sizeof expected, "[%s; %s]", key->unit,
		 strcmp(key->reload, "live") == 0 ? "reloadable" : "restart to change");
	list_block(check->text, list, &block, &end);
	if (!entry_row_last_line(block, end, name, last, sizeof last))
		fail_msg("%s: no row above %s in config/cadmon.yaml", key->path, list);
	if (strcmp(last, expected) != 0)
		fail_msg("%s: its row in config/cadmon.yaml should end with %s, not \"%s\"",
			 key->path, expected, last);
	check->tagged++;
}

static void test_shipped_file_states_units_and_reload(void **state)
{
	size_t len = 0, tagged = 0;
	char *text = read_whole_file(CADMON_SOURCE_DIR "/config/cadmon.yaml", &len);
	struct yaml_path at = { .depth = 0 };
	char path[CONFIG_ERROR_MAX];
	const char *after_colon;

	(void)state;
	assert_non_null(text);
	for (const char *line = text; *line;) {
		const char *end = strchr(line, '\n');
		size_t line_len = end ? (size_t)(end - line) : strlen(line);
		if (line[0] != '#' &&
		    yaml_line_path(&at, line, line_len, path, sizeof path, &after_colon)) {
			struct line_tag tag = { .path = path, .expected = "?" };
			config_keys(expected_tag, &tag);
			const char *comment = strstr(after_colon, "  # ");
			size_t value_len = (size_t)(line + line_len - after_colon);
			char found[128] = "";
			if (comment && comment < line + line_len)
				snprintf(found, sizeof found, "%.*s",
					 (int)(line + line_len - comment - 4), comment + 4);
			if (strcmp(tag.expected, "?") == 0)
				fail_msg("config/cadmon.yaml: %s is no key of the schema", path);
			if (strcmp(found, tag.expected) != 0)
				fail_msg("config/cadmon.yaml: %s: \"%.*s\" should end with \"  # "
					 "%s\"",
					 path, (int)value_len, after_colon, tag.expected);
			tagged += found[0] != '\0';
		}
		line = end ? end + 1 : line + line_len;
	}
	assert_int_equal(tagged, 157);
	struct entry_tags entries = { .text = text };
	config_keys(check_entry_tag, &entries);
	assert_int_equal(entries.tagged, 43);
	free(text);
}

/* ---- config_dump --------------------------------------------------------------------- */

/* Dump config, parse the text back, and check both the values and a second dump agree. */
static char *assert_dump_round_trips(const struct config *config)
{
	size_t len = 0;
	char *text = config_dump(config, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	struct config again = parse_ok(text);
	assert_config_equal(&again, config);
	char *second = config_dump(&again, NULL);
	assert_non_null(second);
	assert_string_equal(second, text);
	free(second);
	return text;
}

static void test_dump_defaults_round_trip(void **state)
{
	struct config config;

	(void)state;
	config_set_defaults(&config);
	char *text = assert_dump_round_trips(&config);
	assert_non_null(
		strstr(text, "feed:\n  listen: [\"127.0.0.1:7400\"]\n  max_line_bytes: 65536\n"));
	assert_non_null(strstr(
		text, "  premature:\n    max_talk_seconds: 20\n    released_by: [operator]\n"));
	assert_non_null(strstr(text, "  rules:\n    - name: sequential\n      type: sequential\n   "
				     "   window_seconds: 28800\n"));
	assert_non_null(
		strstr(text, "journal:\n  state_directory: \"/var/lib/cadmon\"\n  fsync: batch\n"));
	free(text);
}

static void test_dump_every_value_kind(void **state)
{
	struct config config =
		parse_ok("feed:\n  listen: [\"0.0.0.0:7400\", \"[::1]:7400\"]\n"
			 "detector:\n  premature:\n    max_talk_seconds: 12.5\n    released_by: "
			 "[unknown, operator, system]\n"
			 "  rules:\n"
			 "    - {name: drift, type: cusum, window_seconds: 3600, p0: 0.0123456789, "
			 "odds_ratio: 2.75,"
			 " threshold: 4.125, min_center_ratio: 0.0000001, severity: info}\n"
			 "journal:\n  state_directory: \"/srv/ca\\\"d \\\\mon\"\n  fsync: none\n");

	(void)state;
	char *text = assert_dump_round_trips(&config);
	assert_non_null(strstr(text, "  listen: [\"0.0.0.0:7400\", \"[::1]:7400\"]\n"));
	assert_non_null(strstr(
		text,
		"    max_talk_seconds: 12.5\n    released_by: [operator, system, unknown]\n"));
	assert_non_null(strstr(text, "    - name: drift\n      type: cusum\n"));
	assert_non_null(strstr(
		text, "      min_center_ratio: 1e-07\n      p0: 0.0123456789\n"
		      "      odds_ratio: 2.75\n      threshold: 4.125\n      severity: info\n"));
	assert_non_null(
		strstr(text, "  state_directory: \"/srv/ca\\\"d \\\\mon\"\n  fsync: none\n"));
	free(text);
}

/* The traced dump says where each value came from: the file's line, or the default. */
static void test_dump_traced_names_origins(void **state)
{
	static const char text[] =
		"# a comment\n"
		"feed:\n"
		"  max_connections: 16\n"
		"detector:\n"
		"  rules:\n"
		"    - name: burst\n"
		"      window_seconds: 600\n";
	struct config_errors errors;
	size_t len = 0;

	(void)state;
	char *dumped = config_dump_traced(text, strlen(text), "site.yaml", &len, &errors);
	assert_non_null(dumped);
	assert_int_equal(strlen(dumped), len);
	assert_non_null(strstr(
		dumped,
		"feed:\n  listen: [\"127.0.0.1:7400\"]  # default\n"
		"  max_line_bytes: 65536  # default\n  max_connections: 16  # site.yaml:3\n"));
	assert_non_null(
		strstr(dumped,
		       "  rules:\n    - name: burst  # site.yaml:6\n      type: window  # default\n"
		       "      window_seconds: 600  # site.yaml:7\n"));
	free(dumped);

	/* a digest made from a token in clear names the token's line */
	static const char tokens[] = "auth:\n  tokens:\n"
				     "    - {name: wall, role: viewer, "
				     "token: wall-token-0123456789}\n";
	dumped = config_dump_traced(tokens, strlen(tokens), "site.yaml", &len, &errors);
	assert_non_null(dumped);
	assert_non_null(strstr(dumped, "    - name: wall  # site.yaml:3\n"
				       "      role: viewer  # site.yaml:3\n"
				       "      sha256: f473101bba4ae2a3fb9c8262376d8a30"
				       "cdbd932f49e8708480506bcb5027bb0d"
				       "  # site.yaml:3 (from token:)\n"));
	free(dumped);

	assert_null(config_dump_traced("feed: [1]\n", 10, "bad.yaml", &len, &errors));
	assert_int_equal(errors.count, 1);
	assert_string_equal(errors.message[0], "bad.yaml:1:7: feed: must be a mapping");

	dumped = config_dump_traced(NULL, 0, "none", &len, &errors);
	assert_non_null(dumped);
	assert_null(strstr(dumped, "# none:"));
	assert_non_null(strstr(dumped, "log:\n  rate_limit_seconds: 10  # default\n"));
	free(dumped);
}

/* config/cadmon.yaml sets every key the parser knows (its traced dump has no "# default"),
 * and at its default value (test_shipped_file_matches_defaults): every key is documented
 * there. It cannot hold anything else: the parser refuses unknown keys. */
static void test_shipped_file_sets_every_key(void **state)
{
	const char *path = CADMON_SOURCE_DIR "/config/cadmon.yaml";
	struct config_errors errors;
	size_t len = 0;
	char *text = read_whole_file(path, &len);

	(void)state;
	if (!text)
		fail_msg("cannot read %s", path);
	char *dumped = config_dump_traced(text, len, "cadmon.yaml", NULL, &errors);
	free(text);
	assert_non_null(dumped);
	for (char *line = strtok(dumped, "\n"); line; line = strtok(NULL, "\n"))
		if (strstr(line, "# default"))
			fail_msg("config/cadmon.yaml does not document %s", line);
	free(dumped);
}

/* config_diff walks the schema: every changed key by its full path, rules matched by name. */
static void test_diff_names_every_change(void **state)
{
	struct config running = parse_ok(
		"detector:\n  rules:\n"
		"    - {name: burst, window_seconds: 600, min_calls: 4, severity: warning}\n"
		"    - {name: old, window_seconds: 60}\n");
	struct config next = parse_ok(
		"feed:\n  listen: [\"127.0.0.1:9\", \"[::1]:9\"]\n"
		"tracker:\n  max_operators: 40\n"
		"detector:\n  premature:\n    max_talk_seconds: 12.5\n    released_by: [operator, "
		"caller]\n"
		"  rules:\n"
		"    - {name: new, window_seconds: 60}\n"
		"    - {name: burst, window_seconds: 600, min_calls: 5, severity: critical}\n"
		"journal:\n  fsync: none\n");
	struct changes changes = { .text = "" };

	(void)state;
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 9);
	assert_string_equal(changes.text,
			    "feed.listen: [127.0.0.1:7400] -> [127.0.0.1:9, [::1]:9]\n"
			    "tracker.max_operators: 1000 -> 40\n"
			    "detector.premature.max_talk_seconds: 20 -> 12.5\n"
			    "detector.premature.released_by: [operator] -> [operator, caller]\n"
			    "detector.rules.burst.min_calls: 4 -> 5\n"
			    "detector.rules.burst.severity: warning -> critical\n"
			    "detector.rules.old: present -> (none)\n"
			    "detector.rules.new: (none) -> present\n"
			    "journal.fsync: batch -> none\n");
	changes.text[0] = '\0';
	assert_int_equal(config_diff(&next, &next, collect_change, &changes), 0);
	assert_string_equal(changes.text, "");
}

static void test_mapping_diff(void **state)
{
	struct config running =
		parse_ok("mappings:\n"
			 "  - {name: a, format: csv, fields: {call_id: c, operator: o,"
			 " answer_time: t0, release_time: t1}}\n"
			 "  - {name: gone, format: json, fields: {call_id: c, operator: o,"
			 " answer_time: t0, release_time: t1}}\n");
	struct config next =
		parse_ok("mappings:\n"
			 "  - {name: a, format: csv, time_zone: \"-06:00\", fields: {call_id: id,"
			 " operator: o, answer_time: t0, release_time: t1},"
			 " released_by_values: {A: operator}}\n");
	struct changes changes = { .text = "" };

	(void)state;
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 4);
	assert_string_equal(changes.text,
			    "mappings.a.fields.call_id: c -> id\n"
			    "mappings.a.time_zone: UTC -> -06:00\n"
			    "mappings.a.released_by_values: {} -> {A: operator}\n"
			    "mappings.gone: present -> (none)\n");
}

/* The sequential rule's keys and the baseline section: parsed, range-checked with located
 * errors, and named by config_diff. */
static void test_sequential_rule_and_baseline(void **state)
{
	struct config config = parse_ok(
		"detector:\n"
		"  baseline: {scope: center, half_life_seconds: 600, fast_half_life_seconds: 60,"
		" prior_calls: 5, prior_ratio: 0.2, history_half_life_seconds: 86400,"
		" history_settle_seconds: 14400, per_source: true}\n"
		"  rules:\n"
		"    - {name: seq, type: sequential, window_seconds: 3600, cut_share: 0.3,"
		" false_alarm_calls: 500, history_prior: 4, max_own_factor: 1.5, "
		"called_back_weight: 6,"
		" false_alarm_hours: 80, rate_half_life_seconds: 1800, hourly_raises: true,"
		" max_calls_per_hour: 40, history_settled_prior: 3,"
		" history_settled_min_expected: 7.5}\n");
	const struct config_rule *seq = &config.detector.rules[0];
	struct changes changes = { .text = "" };
	struct config defaults_config;

	(void)state;
	assert_int_equal(config.detector.baseline.scope, CONFIG_BASELINE_CENTER);
	assert_true(config.detector.baseline.half_life_seconds == 600.0);
	assert_true(config.detector.baseline.fast_half_life_seconds == 60.0);
	assert_true(config.detector.baseline.prior_calls == 5.0);
	assert_true(config.detector.baseline.prior_ratio == 0.2);
	assert_true(config.detector.baseline.history_half_life_seconds == 86400.0);
	assert_true(config.detector.baseline.history_settle_seconds == 14400.0);
	assert_true(config.detector.baseline.per_source);
	assert_int_equal(seq->type, CONFIG_RULE_SEQUENTIAL);
	assert_true(seq->cut_share == 0.3);
	assert_int_equal(seq->false_alarm_calls, 500);
	assert_true(seq->history_prior == 4.0);
	assert_true(seq->max_own_factor == 1.5);
	assert_true(seq->called_back_weight == 6.0);
	assert_int_equal(seq->false_alarm_hours, 80);
	assert_int_equal(seq->rate_half_life_seconds, 1800);
	assert_true(seq->hourly_raises);
	assert_int_equal(seq->max_calls_per_hour, 40);
	assert_true(seq->history_settled_prior == 3.0);
	assert_true(seq->history_settled_min_expected == 7.5);
	config_set_defaults(&defaults_config);
	assert_int_equal(config_diff(&defaults_config, &config, collect_change, &changes), 10);
	assert_string_equal(changes.text,
			    "detector.rules.sequential: present -> (none)\n"
			    "detector.rules.seq: (none) -> present\n"
			    "detector.baseline.scope: agency -> center\n"
			    "detector.baseline.half_life_seconds: 1200 -> 600\n"
			    "detector.baseline.fast_half_life_seconds: 300 -> 60\n"
			    "detector.baseline.prior_calls: 20 -> 5\n"
			    "detector.baseline.prior_ratio: 0.1 -> 0.2\n"
			    "detector.baseline.history_half_life_seconds: 604800 -> 86400\n"
			    "detector.baseline.history_settle_seconds: 28800 -> 14400\n"
			    "detector.baseline.per_source: false -> true\n");
	EXPECT_ERRORS("detector:\n"
		      "  baseline: {scope: pooled, prior_ratio: 1, half_life_seconds: 0}\n"
		      "  rules:\n"
		      "    - {name: s, type: sequential, window_seconds: 60, cut_share: 0, "
		      "max_own_factor: 0.5,"
		      " false_alarm_calls: 5, history_prior: 0, false_alarm_hours: -1, "
		      "rate_half_life_seconds: 2592001}\n",
		      "cadmon.yaml:2:21: detector.baseline.scope: must be one of agency, center",
		      "cadmon.yaml:2:42: detector.baseline.prior_ratio: must be a number greater "
		      "than 0 and less than 1",
		      "cadmon.yaml:2:64: detector.baseline.half_life_seconds: must be a number "
		      "greater than 0",
		      "cadmon.yaml:4:66: detector.rules[0] (name: s): cut_share: must be a number "
		      "greater than 0, at most 1 in a sequential rule",
		      "cadmon.yaml:4:85: detector.rules[0] (name: s): max_own_factor: must be a "
		      "number of at least 1 in a sequential rule",
		      "cadmon.yaml:4:109: detector.rules[0] (name: s): false_alarm_calls: must be "
		      "0 or an integer of at least 10",
		      "cadmon.yaml:4:127: detector.rules[0] (name: s): history_prior: must be a "
		      "number greater than 0 in a sequential rule",
		      "cadmon.yaml:4:149: detector.rules[0] (name: s): false_alarm_hours: must be "
		      "an integer from 0 to 1000000000",
		      "cadmon.yaml:4:177: detector.rules[0] (name: s): rate_half_life_seconds: "
		      "must be an integer from 0 to 2592000");
	/* hourly_raises is diffed like every rule key (a reload names it) */
	struct config lowering = defaults_config;
	lowering.detector.rules[0].hourly_raises = false;
	assert_one_change(&defaults_config, &lowering,
			  "detector.rules.sequential.hourly_raises: true -> false\n");
	EXPECT_ERRORS("detector:\n  rules:\n    - {name: s, type: sequential, window_seconds: 60, "
		      "hourly_raises: 1}\n",
		      "cadmon.yaml:3:70: detector.rules[0] (name: s): hourly_raises: must be true "
		      "or false");
	/* max_calls_per_hour: 60 by default, 0 (no cap) to 1000000, diffed */
	assert_int_equal(defaults_config.detector.rules[0].max_calls_per_hour, 60);
	lowering = defaults_config;
	lowering.detector.rules[0].max_calls_per_hour = 30;
	assert_one_change(&defaults_config, &lowering,
			  "detector.rules.sequential.max_calls_per_hour: 60 -> 30\n");
	EXPECT_ERRORS("detector:\n  rules:\n    - {name: s, type: sequential, window_seconds: 60, "
		      "max_calls_per_hour: 1000001}\n",
		      "cadmon.yaml:3:75: detector.rules[0] (name: s): max_calls_per_hour: must be "
		      "an integer from 0 to 1000000");
	/* rate_max_gap_seconds: 3600 by default, 0 (every second counts, as before) to 30 days,
	 * diffed */
	assert_int_equal(defaults_config.detector.rules[0].rate_max_gap_seconds, 3600);
	lowering = defaults_config;
	lowering.detector.rules[0].rate_max_gap_seconds = 0;
	assert_one_change(&defaults_config, &lowering,
			  "detector.rules.sequential.rate_max_gap_seconds: 3600 -> 0\n");
	/* own_factor_lag: false by default, diffed */
	lowering = defaults_config;
	lowering.detector.rules[0].own_factor_lag = true;
	assert_one_change(&defaults_config, &lowering,
			  "detector.rules.sequential.own_factor_lag: false -> true\n");
	EXPECT_ERRORS("detector:\n  rules:\n    - {name: s, type: sequential, window_seconds: 60, "
		      "own_factor_lag: 2}\n",
		      "cadmon.yaml:3:71: detector.rules[0] (name: s): own_factor_lag: must be true "
		      "or false");
	EXPECT_ERRORS("detector:\n  rules:\n    - {name: s, type: sequential, window_seconds: 60, "
		      "rate_max_gap_seconds: 2592001}\n",
		      "cadmon.yaml:3:77: detector.rules[0] (name: s): rate_max_gap_seconds: must "
		      "be an integer from 0 to 2592000");
	EXPECT_ERRORS("detector:\n  baseline: {history_settle_seconds: -1}\n",
		      "cadmon.yaml:2:38: detector.baseline.history_settle_seconds: must be a "
		      "number of at least 0");
}

/* Tokens changed are one change, told by names and roles: a reload never logs a digest. */
static void test_diff_tokens(void **state)
{
	struct config running = parse_ok("auth:\n  tokens:\n    - {name: wall, role: viewer, "
					 "token: \"0123456789abcdef\"}\n");
	struct config next = parse_ok(
		"auth:\n  tokens:\n    - {name: wall, role: viewer, token: \"0123456789abcdeF\"}\n"
		"    - {name: sup, role: supervisor, sha256: \"" AB_SHA256 "\"}\n");
	struct config renewed = parse_ok("auth:\n  tokens:\n    - {name: wall, role: viewer, "
					 "token: \"0123456789abcdeF\"}\n");
	struct changes changes = { .text = "" };

	(void)state;
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 1);
	assert_string_equal(changes.text,
			    "auth.tokens: wall (viewer) -> wall (viewer), sup (supervisor)\n");
	changes.text[0] = '\0';
	assert_int_equal(config_diff(&running, &renewed, collect_change, &changes), 1);
	assert_string_equal(changes.text,
			    "auth.tokens: wall (viewer) -> wall (viewer) (new digests)\n");
	changes.text[0] = '\0';
	next = defaults();
	assert_int_equal(config_diff(&next, &running, collect_change, &changes), 1);
	assert_string_equal(changes.text, "auth.tokens: none -> wall (viewer)\n");
}

/* Receivers are matched by name, as rules are. */
static void test_diff_receivers(void **state)
{
	struct config running =
		parse_ok("receivers:\n"
			 "  - {name: pager, type: alertmanager, url: \"http://a:9093\"}\n"
			 "  - {name: old, type: webhook, url: \"http://b/\"}\n");
	struct config next = parse_ok(
		"receivers:\n"
		"  - {name: new, type: webhook, url: \"http://c/\"}\n"
		"  - {name: pager, type: webhook, url: \"http://a:9094\", max_queue: 5}\n");
	struct changes changes = { .text = "" };

	(void)state;
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 5);
	assert_string_equal(changes.text,
			    "receivers.pager.type: alertmanager -> webhook\n"
			    "receivers.pager.url: http://a:9093 -> http://a:9094\n"
			    "receivers.pager.max_queue: 1024 -> 5\n"
			    "receivers.old: present -> (none)\n"
			    "receivers.new: (none) -> present\n");
}

/* Sources are matched by name, as receivers are. */
static void test_diff_sources(void **state)
{
	struct config running =
		parse_ok("sources:\n  - {name: cad-east, agencies: [NOPD]}\n  - {name: old}\n");
	struct config next = parse_ok(
		"sources:\n  - {name: new}\n  - {name: cad-east, agencies: [NOPD, NOFD]}\n"
		"unlisted_sources: reject\ntracker: {max_new_operators_per_source_per_hour: 50}\n");
	struct changes changes = { .text = "" };

	(void)state;
	assert_int_equal(config_diff(&running, &next, collect_change, &changes), 5);
	assert_string_equal(changes.text,
			    "tracker.max_new_operators_per_source_per_hour: 1000 -> 50\n"
			    "sources.cad-east.agencies: [NOPD] -> [NOPD, NOFD]\n"
			    "sources.old: present -> (none)\n"
			    "sources.new: (none) -> present\n"
			    "unlisted_sources: accept -> reject\n");
}

/* What config_parse would take as every default is no configuration; anything else, broken
 * YAML included, is left to config_parse. */
static void test_holds_nothing(void **state)
{
	static const char *const nothing[] = { "", " \n\n", "# only\n  # comments\n", "---\n",
					       "---\n...\n", "# a\n---\n# b\n...\n",
					       "--- ~\n", "null\n" };
	static const char *const something[] = { "log:\n", "--- {}\n", "---\n...\n---\n",
						 "'~'\n", "[\n", "--- []\n" };
	(void)state;

	for (size_t i = 0; i < sizeof nothing / sizeof nothing[0]; i++)
		assert_true(config_holds_nothing(nothing[i], strlen(nothing[i])));
	for (size_t i = 0; i < sizeof something / sizeof something[0]; i++)
		assert_false(config_holds_nothing(something[i], strlen(something[i])));
	assert_true(config_holds_nothing(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_holds_nothing),
		cmocka_unit_test(test_defaults_dump_fixture),
		cmocka_unit_test(test_storm_usual_half_life_bound),
		cmocka_unit_test(test_key_docs_match_shipped_file),
		cmocka_unit_test(test_key_units_and_reload),
		cmocka_unit_test(test_shipped_file_states_units_and_reload),
		cmocka_unit_test(test_every_fallback_parses),
		cmocka_unit_test(test_list_entry_docs_match_shipped_file),
		cmocka_unit_test(test_reload_keeps_restart_keys),
		cmocka_unit_test(test_empty_documents),
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_keys_not_given_keep_defaults),
		cmocka_unit_test(test_null_sections_keep_defaults),
		cmocka_unit_test(test_rules_replace_defaults),
		cmocka_unit_test(test_cusum_rule_and_new_keys),
		cmocka_unit_test(test_rule_number_bounds),
		cmocka_unit_test(test_tls_keys),
		cmocka_unit_test(test_nats_keys),
		cmocka_unit_test(test_keepalive_bound),
		cmocka_unit_test(test_time_keys),
		cmocka_unit_test(test_connection_slot_keys),
		cmocka_unit_test(test_journal_keys),
		cmocka_unit_test(test_scalar_listen),
		cmocka_unit_test(test_ipv6_listen),
		cmocka_unit_test(test_listen_at_most_max),
		cmocka_unit_test(test_integer_bounds_accepted),
		cmocka_unit_test(test_numbers_accepted),
		cmocka_unit_test(test_released_by_all),
		cmocka_unit_test(test_unknown_keys_at_each_level),
		cmocka_unit_test(test_unknown_key_suggestions),
		cmocka_unit_test(test_unknown_key_shown_safely),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_errors_before_syntax_error),
		cmocka_unit_test(test_top_level_not_a_mapping),
		cmocka_unit_test(test_one_document_only),
		cmocka_unit_test(test_sections_must_be_mappings),
		cmocka_unit_test(test_keys_must_be_strings),
		cmocka_unit_test(test_anchors_and_aliases_rejected),
		cmocka_unit_test(test_integer_errors),
		cmocka_unit_test(test_integer_ranges),
		cmocka_unit_test(test_console_keys),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_bad_ports),
		cmocka_unit_test(test_bad_addresses),
		cmocka_unit_test(test_listen_counts),
		cmocka_unit_test(test_released_by_errors),
		cmocka_unit_test(test_rule_required_keys),
		cmocka_unit_test(test_rule_value_errors),
		cmocka_unit_test(test_rule_longest_name_accepted),
		cmocka_unit_test(test_rules_list_errors),
		cmocka_unit_test(test_too_many_rules),
		cmocka_unit_test(test_min_premature_above_min_calls),
		cmocka_unit_test(test_min_calls_above_window_calls),
		cmocka_unit_test(test_duplicate_rule_names),
		cmocka_unit_test(test_several_errors_in_order),
		cmocka_unit_test(test_config_untouched_on_error),
		cmocka_unit_test(test_dropped_errors),
		cmocka_unit_test(test_filename_in_messages),
		cmocka_unit_test(test_reads_only_len_bytes),
		cmocka_unit_test(test_longest_window),
		cmocka_unit_test(test_shipped_file_matches_defaults),
		cmocka_unit_test(test_dump_defaults_round_trip),
		cmocka_unit_test(test_auth_tokens),
		cmocka_unit_test(test_diff_tokens),
		cmocka_unit_test(test_dump_every_value_kind),
		cmocka_unit_test(test_receivers),
		cmocka_unit_test(test_source_keys),
		cmocka_unit_test(test_source_name_is_a_hello_source),
		cmocka_unit_test(test_i3_keys),
		cmocka_unit_test(test_diff_sources),
		cmocka_unit_test(test_mappings),
		cmocka_unit_test(test_mapping_diff),
		cmocka_unit_test(test_mapping_errors),
		cmocka_unit_test(test_mapping_skip_and_listen),
		cmocka_unit_test(test_mapping_skip_and_listen_errors),
		cmocka_unit_test(test_dump_traced_names_origins),
		cmocka_unit_test(test_diff_names_every_change),
		cmocka_unit_test(test_sequential_rule_and_baseline),
		cmocka_unit_test(test_diff_receivers),
		cmocka_unit_test(test_shipped_file_sets_every_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
