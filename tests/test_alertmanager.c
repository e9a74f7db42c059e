/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * daemon/alertmanager.c without sockets: the exact Alertmanager API v2 bodies for each kind of
 * notice (docs/receivers.md), the re-post of open alerts, the bound; and daemon/webhook.c's
 * signature against RFC 4231's HMAC-SHA256 test vector.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "alertmanager.h"
#include "webhook.h"

#define FIRING                                                                                     \
	"{\"alert\":\"firing\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":1,\"ts\":\"2026-11-"      \
	"29T08:04:30.000Z\","                                                                      \
	"\"type\":\"operator\",\"agency\":\"NOPD\",\"operator\":\"op-7\",\"position\":\"P3\","     \
	"\"rule\":\"burst\","                                                                      \
	"\"severity\":\"critical\",\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_"   \
	"back\":0,"                                                                                \
	"\"ratio\":0.75,\"center_ratio\":0,\"p_value\":4.81e-04,\"callbacks\":["                   \
	"{\"call_id\":\"c4\",\"ani\":\"5045550104\",\"ts\":\"2026-11-29T08:04:20.000Z\",\"talk_"   \
	"seconds\":10,"                                                                            \
	"\"called_back\":false},"                                                                  \
	"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,\"called_"  \
	"back\":false},"                                                                           \
	"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\",\"talk_"   \
	"seconds\":5,"                                                                             \
	"\"called_back\":false}]}"

#define LABELS(severity)                                                                           \
	"\"labels\":{\"alertname\":\"CadmonPrematureHangups\",\"agency\":\"NOPD\",\"operator\":"   \
	"\"op-7\","                                                                                \
	"\"rule\":\"burst\",\"severity\":\"" severity "\"}"
#define SUMMARY(premature, calls, ratio)                                                           \
	"\"summary\":\"call-taker op-7 of NOPD at position P3: " premature                         \
	" premature hangups in " calls " calls (ratio " ratio                                      \
	", rest of the center 0) within 600 s, rule burst\",\"alert_id\":\"6033274aee8baf5c\""

static char *notice(struct am_alerts *alerts, const char *line)
{
	size_t len = 0;
	char *body = am_alerts_notice(alerts, line, strlen(line), &len);

	if (body)
		assert_int_equal(strlen(body), len);
	return body;
}

static void expect_body(char *body, const char *expected)
{
	assert_non_null(body);
	assert_string_equal(body, expected);
	free(body);
}

/* An operator alert's life: firing, update, acknowledged, re-post, escalated, resolved. */
static void test_operator_alert_lifecycle(void **state)
{
	struct am_alerts *alerts = am_alerts_new(8);
	size_t len = 0;
	(void)state;

	assert_non_null(alerts);
	assert_null(am_alerts_resend(alerts, &len));
	expect_body(notice(alerts, FIRING),
		    "[{" LABELS("critical") ",\"annotations\":{" SUMMARY("3", "4", "0.75")
		    ",\"callbacks\":\"5045550104, call c2 (no number), 5045550101\"},"
		    "\"startsAt\":\"2026-11-29T08:04:30.000Z\"}]");
	assert_int_equal(am_alerts_open_count(alerts), 1);

	expect_body(notice(alerts,
			   "{\"alert\":\"update\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":2,"
			   "\"ts\":\"2026-11-29T08:05:40.000Z\",\"type\":\"operator\",\"agency\":"
			   "\"NOPD\","
			   "\"operator\":\"op-7\",\"position\":\"P3\",\"rule\":\"burst\","
			   "\"severity\":\"critical\","
			   "\"window_seconds\":600,\"calls\":5,\"premature\":4,\"called_back\":1,"
			   "\"ratio\":0.8,"
			   "\"center_ratio\":0,\"p_value\":3e-05,\"callbacks\":["
			   "{\"call_id\":\"c5\",\"ani\":\"5045550105\",\"ts\":\"2026-11-29T08:05:"
			   "30.000Z\","
			   "\"talk_seconds\":4,\"called_back\":false},"
			   "{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:"
			   "00.000Z\","
			   "\"talk_seconds\":5,\"called_back\":true}]}"),
		    "[{" LABELS("critical") ",\"annotations\":{" SUMMARY(
			    "3", "4", "0.75") ",\"callbacks\":\"5045550105, 5045550104, call c2 "
					      "(no number)\",\"called_back\":\"5045550101\"},"
					      "\"startsAt\":\"2026-11-29T08:04:30.000Z\"}]");

	const char *acked = "[{" LABELS("critical") ",\"annotations\":{" SUMMARY(
		"3", "4",
		"0.75") ",\"callbacks\":\"5045550105, 5045550104, call c2 (no "
			"number)\",\"called_back\":\"5045550101\","
			"\"acknowledged\":\"by sup-1 at 2026-11-29T08:06:00.000Z: calling back\"},"
			"\"startsAt\":\"2026-11-29T08:04:30.000Z\"}]";
	expect_body(
		notice(alerts,
		       "{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":3,"
		       "\"ts\":\"2026-11-29T08:06:00.000Z\",\"type\":\"operator\",\"agency\":"
		       "\"NOPD\","
		       "\"operator\":\"op-7\",\"by\":\"sup-1\",\"note\":\"calling back\"}"),
		acked);
	expect_body(am_alerts_resend(alerts, &len), acked);

	/* a graver rule: the old label set ends, the new one starts */
	expect_body(
		notice(alerts,
		       "{\"alert\":\"escalated\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":4,"
		       "\"ts\":\"2026-11-29T08:07:00.000Z\",\"type\":\"operator\",\"agency\":"
		       "\"NOPD\","
		       "\"operator\":\"op-7\",\"position\":\"P3\",\"rule\":\"burst\",\"severity\":"
		       "\"warning\","
		       "\"window_seconds\":600,\"calls\":6,\"premature\":5,\"called_back\":1,"
		       "\"ratio\":0.8333,"
		       "\"center_ratio\":0,\"p_value\":1e-06,\"callbacks\":[]}"),
		"[{" LABELS("critical") ",\"annotations\":{" SUMMARY(
			"3", "4",
			"0.75") ",\"callbacks\":\"5045550105, 5045550104, call c2 (no "
				"number)\",\"called_back\":\"5045550101\","
				"\"acknowledged\":\"by sup-1 at 2026-11-29T08:06:00.000Z: calling "
				"back\"},"
				"\"startsAt\":\"2026-11-29T08:04:30.000Z\",\"endsAt\":\"2026-11-"
				"29T08:07:00.000Z\"},"
				"{" LABELS("warning") ",\"annotations\":{" SUMMARY(
					"5", "6",
					"0.8333") ",\"callbacks\":\"5045550105, 5045550104, call "
						  "c2 (no number)\",\"called_back\":\"5045550101\","
						  "\"acknowledged\":\"by sup-1 at "
						  "2026-11-29T08:06:00.000Z: calling back\"},"
						  "\"startsAt\":\"2026-11-29T08:07:00.000Z\"}]");

	expect_body(notice(alerts,
			   "{\"alert\":\"resolved\",\"alert_id\":\"6033274aee8baf5c\",\"seq\":5,"
			   "\"ts\":\"2026-11-29T09:07:00.000Z\",\"type\":\"operator\",\"agency\":"
			   "\"NOPD\","
			   "\"operator\":\"op-7\",\"rule\":\"burst\",\"severity\":\"warning\","
			   "\"callbacks\":[]}"),
		    "[{" LABELS("warning") ",\"annotations\":{" SUMMARY(
			    "5", "6", "0.8333") ",\"callbacks\":\"5045550105, 5045550104, call c2 "
						"(no number)\",\"called_back\":\"5045550101\","
						"\"acknowledged\":\"by sup-1 at "
						"2026-11-29T08:06:00.000Z: calling back\"},"
						"\"startsAt\":\"2026-11-29T08:07:00.000Z\","
						"\"endsAt\":\"2026-11-29T09:07:00.000Z\"}]");
	assert_int_equal(am_alerts_open_count(alerts), 0);
	assert_null(am_alerts_resend(alerts, &len));
	/* gone: its later notices, and lines that are not notices, post nothing */
	assert_null(notice(
		alerts,
		"{\"alert\":\"acknowledged\",\"alert_id\":\"6033274aee8baf5c\",\"by\":\"x\"}"));
	assert_null(notice(alerts, "{\"board\":\"begin\",\"seq\":3,\"open\":1}"));
	assert_null(notice(alerts, "not json"));
	am_alerts_free(alerts);
}

/* System alerts: alertname from the system, its key as a label, the message as summary; a
 * board's open line starts at opened_ts; a full table posts without keeping. */
static void test_system_alert_and_bound(void **state)
{
	struct am_alerts *alerts = am_alerts_new(1);
	size_t len = 0;
	(void)state;

	expect_body(
		notice(alerts, "{\"alert\":\"open\",\"alert_id\":\"1111222233334444\",\"seq\":7,"
			       "\"ts\":\"2026-11-29T08:10:00.000Z\",\"type\":\"system\",\"opened_"
			       "ts\":\"2026-11-29T08:00:00.000Z\","
			       "\"system\":\"receiver_down\",\"severity\":\"warning\",\"receiver\":"
			       "\"hook\","
			       "\"message\":\"receiver hook delivers again\"}"),
		"[{\"labels\":{\"alertname\":\"CadmonReceiverDown\",\"system\":\"receiver_down\","
		"\"severity\":\"warning\","
		"\"receiver\":\"hook\"},\"annotations\":{\"summary\":\"receiver hook delivers "
		"again\","
		"\"alert_id\":\"1111222233334444\"},\"startsAt\":\"2026-11-29T08:00:00.000Z\"}]");
	expect_body(notice(alerts,
			   "{\"alert\":\"firing\",\"alert_id\":\"dd23538329d4ffca\",\"seq\":13,"
			   "\"ts\":\"2026-11-29T08:03:00.000Z\",\"type\":\"system\",\"system\":"
			   "\"limit\","
			   "\"severity\":\"warning\",\"limit\":\"tracker.max_operators\","
			   "\"evicted\":1,\"message\":\"m\"}"),
		    "[{\"labels\":{\"alertname\":\"CadmonLimit\",\"system\":\"limit\",\"severity\":"
		    "\"warning\","
		    "\"limit\":\"tracker.max_operators\"},\"annotations\":{\"summary\":\"m\","
		    "\"alert_id\":\"dd23538329d4ffca\"},"
		    "\"startsAt\":\"2026-11-29T08:03:00.000Z\"}]");
	assert_int_equal(am_alerts_open_count(alerts), 1);
	assert_int_equal(am_alerts_not_kept(alerts), 1);
	expect_body(
		am_alerts_resend(alerts, &len),
		"[{\"labels\":{\"alertname\":\"CadmonReceiverDown\",\"system\":\"receiver_down\","
		"\"severity\":\"warning\","
		"\"receiver\":\"hook\"},\"annotations\":{\"summary\":\"receiver hook delivers "
		"again\","
		"\"alert_id\":\"1111222233334444\"},\"startsAt\":\"2026-11-29T08:00:00.000Z\"}]");
	am_alerts_free(alerts);
}

/* RFC 4231, test case 2; and a secret file's trailing newline is not part of the key. */
static void test_webhook_signature(void **state)
{
	char signature[WEBHOOK_SIGNATURE_SIZE], path[] = "/tmp/cadmon-secret-XXXXXX",
						secret[WEBHOOK_SECRET_MAX + 1];
	size_t len = 0;
	int fd = mkstemp(path);
	(void)state;

	assert_int_equal(webhook_sign("Jefe", 4, "what do ya want for nothing?", 28, signature), 0);
	assert_string_equal(
		signature,
		"sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "Jefe\n", 5), 5);
	close(fd);
	assert_int_equal(webhook_read_secret(path, secret, &len), 0);
	assert_int_equal(len, 4);
	assert_memory_equal(secret, "Jefe", 4);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	assert_int_equal(webhook_read_secret(path, secret, &len), -EINVAL);
	unlink(path);
	assert_int_equal(webhook_read_secret(path, secret, &len), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_operator_alert_lifecycle),
		cmocka_unit_test(test_system_alert_and_bound),
		cmocka_unit_test(test_webhook_signature),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
