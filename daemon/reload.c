/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "reload.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event.h"
#include "log.h"

/* Room for a list of values as text: eight listen addresses, or four released_by names. */
#define RELOAD_LIST_TEXT_MAX (CONFIG_MAX_LISTEN * (CONFIG_ADDRESS_MAX + 2) + 3)

enum reload_field_type {
	RELOAD_U32,
	RELOAD_DOUBLE,
};

/* One scalar key: its name and where it lives in a struct config (or a struct config_rule). */
struct reload_field {
	const char *key;
	size_t offset;
	enum reload_field_type type;
};

#define U32_FIELD(type, member) { #member, offsetof(type, member), RELOAD_U32 }
#define DOUBLE_FIELD(type, member) { #member, offsetof(type, member), RELOAD_DOUBLE }
#define U32_NAMED_FIELD(key, type, member) { key, offsetof(type, member), RELOAD_U32 }

/* Every number of the configuration outside the rules. */
static const struct reload_field config_fields[] = {
	U32_FIELD(struct config, feed.max_line_bytes),
	U32_FIELD(struct config, feed.max_connections),
	U32_FIELD(struct config, feed.max_sources),
	U32_FIELD(struct config, feed.keepalive_seconds),
	U32_FIELD(struct config, feed.idle_timeout_seconds),
	U32_FIELD(struct config, feed.silence_seconds),
	U32_FIELD(struct config, alerts.max_subscribers),
	U32_FIELD(struct config, alerts.max_queue_bytes),
	U32_FIELD(struct config, tracker.max_open_calls),
	U32_FIELD(struct config, tracker.max_call_seconds),
	U32_FIELD(struct config, tracker.max_operators),
	U32_FIELD(struct config, tracker.max_window_calls),
	U32_FIELD(struct config, tracker.max_center_calls),
	U32_FIELD(struct config, tracker.allowed_lateness_seconds),
	U32_FIELD(struct config, tracker.max_dedupe_events),
	U32_FIELD(struct config, tracker.max_recent_callers),
	DOUBLE_FIELD(struct config, detector.max_talk_seconds),
	U32_FIELD(struct config, detector.repeat_window_seconds),
	U32_FIELD(struct config, detector.resolve_after_seconds),
	U32_FIELD(struct config, detector.max_alert_callbacks),
	U32_NAMED_FIELD("detector.escalate_unacked_after_seconds.info", struct config,
			detector.escalate_unacked_after_seconds[0]),
	U32_NAMED_FIELD("detector.escalate_unacked_after_seconds.warning", struct config,
			detector.escalate_unacked_after_seconds[1]),
	U32_NAMED_FIELD("detector.escalate_unacked_after_seconds.critical", struct config,
			detector.escalate_unacked_after_seconds[2]),
	U32_FIELD(struct config, journal.fsync_interval_ms),
	U32_FIELD(struct config, journal.segment_max_bytes),
	U32_FIELD(struct config, journal.segment_max_seconds),
	U32_FIELD(struct config, journal.retention_seconds),
	U32_FIELD(struct config, log.rate_limit_seconds),
};

/* Every number of a rule (name, type and severity are compared as text). */
static const struct reload_field rule_fields[] = {
	U32_FIELD(struct config_rule, window_seconds),
	U32_FIELD(struct config_rule, min_calls),
	U32_FIELD(struct config_rule, min_premature),
	DOUBLE_FIELD(struct config_rule, min_ratio),
	U32_FIELD(struct config_rule, min_called_back),
	DOUBLE_FIELD(struct config_rule, called_back_weight),
	DOUBLE_FIELD(struct config_rule, max_p_value),
	DOUBLE_FIELD(struct config_rule, min_center_ratio),
	DOUBLE_FIELD(struct config_rule, p0),
	DOUBLE_FIELD(struct config_rule, odds_ratio),
	DOUBLE_FIELD(struct config_rule, threshold),
};

#define COUNT_OF(array) (sizeof(array) / sizeof((array)[0]))

/* Log "reload: PREFIXKEY: OLD -> NEW" for one field that differs; 1 if it did, else 0. */
static size_t log_field_change(const char *prefix, const struct reload_field *field,
			       const void *running, const void *next)
{
	const char *a = (const char *)running + field->offset;
	const char *b = (const char *)next + field->offset;
	uint32_t a_u32, b_u32;
	double a_double, b_double;

	if (field->type == RELOAD_U32) {
		memcpy(&a_u32, a, sizeof a_u32);
		memcpy(&b_u32, b, sizeof b_u32);
		if (a_u32 == b_u32)
			return 0;
		log_msg(LOG_NOTICE, "reload: %s%s: %" PRIu32 " -> %" PRIu32, prefix, field->key,
			a_u32, b_u32);
		return 1;
	}
	memcpy(&a_double, a, sizeof a_double);
	memcpy(&b_double, b, sizeof b_double);
	if (a_double == b_double)
		return 0;
	log_msg(LOG_NOTICE, "reload: %s%s: %g -> %g", prefix, field->key, a_double, b_double);
	return 1;
}

static size_t log_fields_changes(const char *prefix, const struct reload_field *fields,
				 size_t count, const void *running, const void *next)
{
	size_t changes = 0;

	for (size_t i = 0; i < count; i++)
		changes += log_field_change(prefix, &fields[i], running, next);
	return changes;
}

/* Log "reload: KEY: OLD -> NEW" when two texts differ; 1 if they did, else 0. */
static size_t log_text_change(const char *key, const char *running, const char *next)
{
	if (strcmp(running, next) == 0)
		return 0;
	log_msg(LOG_NOTICE, "reload: %s: %s -> %s", key, running, next);
	return 1;
}

bool reload_listen_changed(const struct config_listen *running, const struct config_listen *next)
{
	if (running->count != next->count)
		return true;
	for (size_t i = 0; i < running->count && i < CONFIG_MAX_LISTEN; i++)
		if (strcmp(running->address[i], next->address[i]) != 0)
			return true;
	return false;
}

/* "[a, b]" from count texts. */
static void format_list(const char *const *items, size_t count, char *out, size_t out_size)
{
	size_t used = (size_t)snprintf(out, out_size, "[");

	for (size_t i = 0; i < count && used < out_size; i++)
		used += (size_t)snprintf(out + used, out_size - used, "%s%s", i ? ", " : "",
					 items[i]);
	if (used < out_size)
		snprintf(out + used, out_size - used, "]");
}

static void format_listen(const struct config_listen *listen, char *out, size_t out_size)
{
	const char *items[CONFIG_MAX_LISTEN];
	size_t count = listen->count < CONFIG_MAX_LISTEN ? listen->count : CONFIG_MAX_LISTEN;

	for (size_t i = 0; i < count; i++)
		items[i] = listen->address[i];
	format_list(items, count, out, out_size);
}

static size_t log_listen_change(const char *key, const struct config_listen *running,
				const struct config_listen *next)
{
	char before[RELOAD_LIST_TEXT_MAX], after[RELOAD_LIST_TEXT_MAX];

	if (!reload_listen_changed(running, next))
		return 0;
	format_listen(running, before, sizeof before);
	format_listen(next, after, sizeof after);
	return log_text_change(key, before, after);
}

/* "[operator, caller]" from a released_by mask. */
static void format_released_by(unsigned mask, char *out, size_t out_size)
{
	static const enum released_by all[] = { RELEASED_BY_OPERATOR, RELEASED_BY_CALLER,
						RELEASED_BY_SYSTEM, RELEASED_BY_UNKNOWN };
	const char *items[COUNT_OF(all)];
	size_t count = 0;

	for (size_t i = 0; i < COUNT_OF(all); i++)
		if (mask & all[i])
			items[count++] = released_by_name(all[i]);
	format_list(items, count, out, out_size);
}

static size_t log_released_by_change(unsigned running, unsigned next)
{
	char before[RELOAD_LIST_TEXT_MAX], after[RELOAD_LIST_TEXT_MAX];

	if (running == next)
		return 0;
	format_released_by(running, before, sizeof before);
	format_released_by(next, after, sizeof after);
	return log_text_change("detector.premature.released_by", before, after);
}

static const char *rule_type_name(enum config_rule_type type)
{
	return type == CONFIG_RULE_CUSUM ? "cusum" : "window";
}

static const struct config_rule *find_rule(const struct config *config, const char *name)
{
	for (size_t i = 0; i < config->detector.rule_count && i < CONFIG_MAX_RULES; i++)
		if (strcmp(config->detector.rules[i].name, name) == 0)
			return &config->detector.rules[i];
	return NULL;
}

/* Log the differences of one rule present in both. */
static size_t log_rule_changes(const struct config_rule *running, const struct config_rule *next)
{
	char prefix[CONFIG_NAME_MAX + 32], key[CONFIG_NAME_MAX + 48];
	size_t changes;

	snprintf(prefix, sizeof prefix, "detector.rules.%s.", running->name);
	snprintf(key, sizeof key, "%stype", prefix);
	changes = log_text_change(key, rule_type_name(running->type), rule_type_name(next->type));
	snprintf(key, sizeof key, "%sseverity", prefix);
	changes += log_text_change(key, running->severity, next->severity);
	return changes + log_fields_changes(prefix, rule_fields, COUNT_OF(rule_fields), running,
					    next);
}

/* Rules matched by name: changed, removed (in running only), added (in next only). */
static size_t log_rules_changes(const struct config *running, const struct config *next)
{
	size_t changes = 0;

	for (size_t i = 0; i < running->detector.rule_count && i < CONFIG_MAX_RULES; i++) {
		const struct config_rule *rule = &running->detector.rules[i];
		const struct config_rule *same = find_rule(next, rule->name);

		if (same) {
			changes += log_rule_changes(rule, same);
		} else {
			log_msg(LOG_NOTICE, "reload: detector.rules.%s: removed", rule->name);
			changes++;
		}
	}
	for (size_t i = 0; i < next->detector.rule_count && i < CONFIG_MAX_RULES; i++) {
		if (find_rule(running, next->detector.rules[i].name))
			continue;
		log_msg(LOG_NOTICE, "reload: detector.rules.%s: added", next->detector.rules[i].name);
		changes++;
	}
	return changes;
}

size_t reload_log_changes(const struct config *running, const struct config *next)
{
	size_t changes = log_listen_change("feed.listen", &running->feed.listen, &next->feed.listen);

	changes += log_listen_change("alerts.listen", &running->alerts.listen, &next->alerts.listen);
	changes += log_fields_changes("", config_fields, COUNT_OF(config_fields), running, next);
	changes += log_released_by_change(running->detector.released_by_mask,
					  next->detector.released_by_mask);
	changes += log_rules_changes(running, next);
	changes += log_text_change("journal.state_directory", running->journal.state_directory,
				   next->journal.state_directory);
	changes += log_text_change("journal.fsync", config_fsync_name(running->journal.fsync),
				   config_fsync_name(next->journal.fsync));
	return changes;
}
