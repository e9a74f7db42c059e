/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
/*
 * daemon/health.c's feed silence watch without the daemon: which sources a full watch list
 * (feed.max_sources) keeps, those sources: lists before the others, and what the feed_silent
 * control lines say. Time is the test's (monotonic ms), ticked by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

#define MAX_NOTICES 16
#define NOTICE_MAX (CONTROL_SOURCE_MAX + CONTROL_REASON_MAX + 16)
#define MAX_LISTED 4
#define MAX_OPEN 8

/* The daemon's side: the configuration's sources:, the open feed_silent alerts, the notices. */
struct fixture {
	const char *listed[MAX_LISTED];
	char open[MAX_OPEN][CONTROL_SOURCE_MAX + 1];
	char notices[MAX_NOTICES][NOTICE_MAX];
	size_t notice_count;
	struct health *health;
	struct engine_stats engine_stats;
};

static bool alert_open(const struct fixture *f, const char *source, size_t *at)
{
	for (size_t i = 0; i < MAX_OPEN; i++)
		if (f->open[i][0] && strcmp(f->open[i], source) == 0) {
			*at = i;
			return true;
		}
	return false;
}

/* Journals (here: notes) a feed_silent line and applies it, as cadmond_control does. */
static void control(void *ctx, const struct control *control)
{
	struct fixture *f = ctx;
	size_t at;

	assert_int_equal(control->kind, CONTROL_FEED_SILENT);
	assert_true(f->notice_count < MAX_NOTICES);
	snprintf(f->notices[f->notice_count++], NOTICE_MAX, "%s %s%s%s",
		 control->firing ? "firing" : "resolved", control->source,
		 control->reason[0] ? ": " : "", control->reason);
	if (!control->firing && alert_open(f, control->source, &at))
		f->open[at][0] = '\0';
	for (size_t i = 0; control->firing && i < MAX_OPEN; i++)
		if (!f->open[i][0]) {
			snprintf(f->open[i], sizeof(f->open[i]), "%s", control->source);
			break;
		}
}

static bool is_open(void *ctx, const char *system, const char *key)
{
	size_t at;

	return strcmp(system, "feed_silent") == 0 && alert_open(ctx, key, &at);
}

static bool holds_clock(void *ctx, const char *source)
{
	(void)ctx;
	(void)source;
	return true;
}

static bool lists_source(void *ctx, const char *source)
{
	const struct fixture *f = ctx;

	for (size_t i = 0; i < MAX_LISTED; i++)
		if (f->listed[i] && strcmp(f->listed[i], source) == 0)
			return true;
	return false;
}

static struct health_settings settings_of(uint32_t max_sources)
{
	return (struct health_settings){.silence_seconds = 300, .max_sources = max_sources,
					.log_interval_seconds = 60};
}

static int setup(void **state)
{
	static struct fixture fixture;

	memset(&fixture, 0, sizeof(fixture));
	*state = &fixture;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	health_free(f->health);
	return 0;
}

static void start(struct fixture *f, uint32_t max_sources)
{
	struct health_settings settings = settings_of(max_sources);

	f->health = health_new(&settings, control, is_open, holds_clock, lists_source, f);
	assert_non_null(f->health);
}

/* A line taken from source (a hello's name) at now_ms. */
static void admit(struct fixture *f, const char *source, int64_t now_ms)
{
	health_admitted(f->health, source, "10.0.0.9:4100", now_ms);
}

static void tick(struct fixture *f, int64_t now_ms)
{
	health_tick(f->health, now_ms, false, "", &f->engine_stats);
}

/* feed.max_sources 4, cad-1 listed then quiet; four invented names 10 s later, still sending.
 * The fourth takes the place of evil-0 (the least recent of those not listed), and cad-1's
 * silence fires at 300 s (before: cad-1 was forgotten, and its silence raised nothing). */
static void test_listed_source_keeps_its_watch(void **state)
{
	struct fixture *f = *state;
	char name[16];

	f->listed[0] = "cad-1";
	start(f, 4);
	admit(f, "cad-1", 0);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "evil-%d", i);
		admit(f, name, 10000);
	}
	assert_int_equal(health_stats(f->health)->sources_forgotten, 1);
	for (int64_t now_ms = 1000; now_ms <= 400000; now_ms += 1000) {
		for (int i = 1; i < 4; i++) {
			snprintf(name, sizeof(name), "evil-%d", i);
			admit(f, name, now_ms);
		}
		tick(f, now_ms);
		if (now_ms == 299000)
			assert_int_equal(f->notice_count, 0);
	}
	assert_int_equal(f->notice_count, 1);
	assert_string_equal(f->notices[0], "firing cad-1");
	assert_int_equal(health_stats(f->health)->silences, 1);
	assert_int_equal(health_stats(f->health)->sources, 4);
}

/* feed.max_sources 2, cad-1 and cad-2 listed: an invented name takes neither's place (not
 * watched, counted); a third listed CAD takes the place of the least recent, cad-1. */
static void test_unlisted_source_takes_no_listed_place(void **state)
{
	struct fixture *f = *state;

	f->listed[0] = "cad-1";
	f->listed[1] = "cad-2";
	f->listed[2] = "cad-3";
	start(f, 2);
	admit(f, "cad-1", 0);
	admit(f, "cad-2", 1000);
	admit(f, "evil", 2000);
	assert_int_equal(health_stats(f->health)->sources_unwatched, 1);
	assert_int_equal(health_stats(f->health)->sources_forgotten, 0);
	admit(f, "cad-3", 3000);
	assert_int_equal(health_stats(f->health)->sources_forgotten, 1);
	tick(f, 301000);
	assert_int_equal(f->notice_count, 1);
	assert_string_equal(f->notices[0], "firing cad-2");
	tick(f, 303000);
	assert_int_equal(f->notice_count, 2);
	assert_string_equal(f->notices[1], "firing cad-3");
}

/* feed.max_sources 3 reloaded as 1 with sources: changed from cad-1 to cad-2: cad-2 stays
 * watched, though heard of less recently than evil; cad-1 (silent) and evil go, cad-1's
 * feed_silent resolved, saying why. */
static void test_reload_keeps_the_new_list(void **state)
{
	struct fixture *f = *state;
	struct health_settings settings = settings_of(1);

	f->listed[0] = "cad-1";
	start(f, 3);
	admit(f, "cad-1", 0);
	admit(f, "cad-2", 1000);
	admit(f, "evil", 2000);
	tick(f, 300000);
	assert_int_equal(f->notice_count, 1);
	assert_string_equal(f->notices[0], "firing cad-1");
	f->listed[0] = "cad-2";
	assert_int_equal(health_update(f->health, &settings), 0);
	assert_int_equal(f->notice_count, 2);
	assert_string_equal(f->notices[1], "resolved cad-1: feed.max_sources 1 reached (a reload "
					   "made it smaller)");
	assert_int_equal(health_stats(f->health)->sources, 1);
	assert_int_equal(health_stats(f->health)->sources_forgotten, 2);
	tick(f, 302000);
	assert_int_equal(f->notice_count, 3);
	assert_string_equal(f->notices[2], "firing cad-2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_listed_source_keeps_its_watch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unlisted_source_takes_no_listed_place, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reload_keeps_the_new_list, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
