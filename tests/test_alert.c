/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert.h"

#define T0 INT64_C(1795939200000) /* 2026-11-29T08:00:00Z */

static void assert_encodes_to(const struct alert *alert, const char *expected)
{
	size_t len = 0;
	char *json = alert_encode_json(alert, &len);

	assert_non_null(json);
	assert_string_equal(json, expected);
	assert_int_equal(len, strlen(expected));
	free(json);
}

static void test_full_alert(void **state)
{
	const struct alert_callback callbacks[] = {
		{ .call_id = "c1",
		  .ani = "5045550101",
		  .start_ms = T0,
		  .talk_ms = 5000,
		  .called_back = true },
		{ .call_id = "c2", .ani = "", .start_ms = T0 + 60000, .talk_ms = 12500 },
		{ .call_id = "c3",
		  .ani = "+1 504 555 0199",
		  .start_ms = T0 + 120250,
		  .talk_ms = 19999 },
	};
	const struct alert alert = { .kind = "firing",
				     .alert_id = "00112233aabbccdd",
				     .seq = 1,
				     .ts_ms = T0 + 270000,
				     .agency = "NOPD",
				     .operator_id = "op-7",
				     .position = "P3",
				     .rule = "burst",
				     .severity = "critical",
				     .window_seconds = 600,
				     .calls = 4,
				     .premature = 3,
				     .called_back = 1,
				     .ratio = 0.75,
				     .center_ratio = 0.08125,
				     .p_value = 0.00231,
				     .callbacks = callbacks,
				     .callback_count = 3 };
	(void)state;

	assert_encodes_to(
		&alert,
		"{\"alert\":\"firing\",\"alert_id\":\"00112233aabbccdd\",\"seq\":1,"
		"\"ts\":\"2026-11-29T08:04:30.000Z\",\"type\":\"operator\",\"agency\":\"NOPD\","
		"\"operator\":\"op-7\",\"position\":\"P3\",\"rule\":\"burst\",\"severity\":"
		"\"critical\","
		"\"window_seconds\":600,\"calls\":4,\"premature\":3,\"called_back\":1,\"ratio\":0."
		"75,"
		"\"center_ratio\":0.0813,\"p_value\":0.0023,\"callbacks\":["
		"{\"call_id\":\"c1\",\"ani\":\"5045550101\",\"ts\":\"2026-11-29T08:00:00.000Z\","
		"\"talk_seconds\":5,"
		"\"called_back\":true},"
		"{\"call_id\":\"c2\",\"ts\":\"2026-11-29T08:01:00.000Z\",\"talk_seconds\":12.5,"
		"\"called_back\":false},"
		"{\"call_id\":\"c3\",\"ani\":\"+1 504 555 "
		"0199\",\"ts\":\"2026-11-29T08:02:00.250Z\","
		"\"talk_seconds\":19.999,\"called_back\":false}]}");
}

static void test_optional_fields_omitted_and_rounding(void **state)
{
	const struct alert alert = { .kind = "resolved",
				     .alert_id = "ffffffffffffffff",
				     .seq = 18446744073709551615u,
				     .ts_ms = T0,
				     .agency = "",
				     .operator_id = "o",
				     .position = "",
				     .rule = "shift",
				     .severity = "warning",
				     .window_seconds = 28800,
				     .calls = 3,
				     .premature = 1,
				     .ratio = 1.0 / 3.0,
				     .center_ratio = 0.1,
				     .p_value = 2.5e-9,
				     .has_cusum = true,
				     .cusum = 5.4321,
				     .callbacks = NULL,
				     .callback_count = 0 };
	(void)state;

	assert_encodes_to(
		&alert,
		"{\"alert\":\"resolved\",\"alert_id\":\"ffffffffffffffff\",\"seq\":"
		"18446744073709551615,"
		"\"ts\":\"2026-11-29T08:00:00.000Z\",\"type\":\"operator\",\"operator\":\"o\","
		"\"rule\":\"shift\",\"severity\":\"warning\","
		"\"window_seconds\":28800,\"calls\":3,\"premature\":1,\"called_back\":0,\"ratio\":"
		"0.3333,"
		"\"center_ratio\":0.1,\"p_value\":2.50e-09,\"cusum\":5.432,\"callbacks\":[]}");
}

/* A sequential rule's evidence: expected count, log-likelihood ratio, threshold, own factor and
 * the explanation, after the window figures. */
static void test_sequential_evidence_fields(void **state)
{
	const struct alert alert = { .kind = "firing",
				     .alert_id = "00000000000000aa",
				     .seq = 7,
				     .ts_ms = T0,
				     .agency = "NOPD",
				     .operator_id = "op-7",
				     .position = "P3",
				     .rule = "sequential",
				     .severity = "warning",
				     .window_seconds = 28800,
				     .calls = 31,
				     .premature = 9,
				     .called_back = 2,
				     .ratio = 9.0 / 31.0,
				     .center_ratio = 0.0935,
				     .p_value = 0.00012,
				     .has_evidence = true,
				     .expected = 2.8989,
				     .evidence = 8.40449,
				     .threshold = 8.00637,
				     .own_factor = 1.0,
				     .why = "op-7 ended 9 of 31 calls early",
				     .callbacks = NULL,
				     .callback_count = 0 };
	(void)state;

	assert_encodes_to(
		&alert,
		"{\"alert\":\"firing\",\"alert_id\":\"00000000000000aa\",\"seq\":7,"
		"\"ts\":\"2026-11-29T08:00:00.000Z\",\"type\":\"operator\",\"agency\":\"NOPD\","
		"\"operator\":\"op-7\",\"position\":\"P3\",\"rule\":\"sequential\",\"severity\":"
		"\"warning\","
		"\"window_seconds\":28800,\"calls\":31,\"premature\":9,\"called_back\":2,\"ratio\":"
		"0.2903,"
		"\"center_ratio\":0.0935,\"p_value\":1.20e-04,\"expected\":2.9,\"evidence\":8.4,"
		"\"threshold\":8.01,\"own_factor\":1,\"why\":\"op-7 ended 9 of 31 calls "
		"early\",\"callbacks\":[]}");
}

static void test_strings_are_escaped(void **state)
{
	const struct alert alert = { .kind = "firing",
				     .alert_id = "0000000000000001",
				     .seq = 2,
				     .ts_ms = T0,
				     .agency = "A/B",
				     .operator_id = "o\"brien\\\n",
				     .position = "",
				     .rule = "r",
				     .severity = "info",
				     .window_seconds = 1,
				     .calls = 1,
				     .premature = 1,
				     .ratio = 1,
				     .center_ratio = 0,
				     .p_value = 1,
				     .callbacks = NULL,
				     .callback_count = 0 };
	(void)state;

	assert_encodes_to(
		&alert,
		"{\"alert\":\"firing\",\"alert_id\":\"0000000000000001\",\"seq\":2,"
		"\"ts\":\"2026-11-29T08:00:00.000Z\",\"type\":\"operator\",\"agency\":\"A/B\","
		"\"operator\":\"o\\\"brien\\\\\\n\",\"rule\":\"r\",\"severity\":\"info\",\"window_"
		"seconds\":1,"
		"\"calls\":1,\"premature\":1,\"called_back\":0,\"ratio\":1,\"center_ratio\":0,\"p_"
		"value\":1,"
		"\"callbacks\":[]}");
}

static void test_derived_id(void **state)
{
	char id[ALERT_ID_LENGTH + 1];
	(void)state;

	/* FNV-1a 64 of "NOPD\x1fop-7\x1fburst\x1f1795939470000\x1fc4". */
	alert_derive_id("NOPD", "op-7", "burst", T0 + 270000, "c4", id);
	assert_string_equal(id, "6033274aee8baf5c");
	alert_derive_id("NOPD", "op-7", "burst", T0 + 270000, "c5", id);
	assert_string_not_equal(id, "6033274aee8baf5c");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_alert),
		cmocka_unit_test(test_optional_fields_omitted_and_rounding),
		cmocka_unit_test(test_sequential_evidence_fields),
		cmocka_unit_test(test_strings_are_escaped),
		cmocka_unit_test(test_derived_id),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
