/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "alertmanager.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_out.h"
#include "text.h"

#define AM_ID_MAX 16
#define AM_TEXT_MAX 512
#define AM_FIELD_MAX 64

struct am_callback {
	char call_id[AM_FIELD_MAX + 1];
	char ani[AM_FIELD_MAX + 1];
	bool called_back;
};

/* One open alert as last posted. */
struct am_alert {
	char alert_id[AM_ID_MAX + 1];
	char starts_at[AM_FIELD_MAX];
	struct json_object *labels;
	char summary[AM_TEXT_MAX];
	char acknowledged[AM_TEXT_MAX];
	struct am_callback callbacks[AM_MAX_CALLBACKS]; /* newest first */
	uint32_t callback_count;
	uint64_t callbacks_not_kept;
};

struct am_alerts {
	struct am_alert *open;
	uint32_t count, capacity;
	uint64_t not_kept;
};

struct am_alerts *am_alerts_new(uint32_t capacity)
{
	struct am_alerts *alerts = calloc(1, sizeof(*alerts));

	if (!alerts || !(alerts->open = calloc(capacity ? capacity : 1, sizeof(*alerts->open)))) {
		free(alerts);
		return NULL;
	}
	alerts->capacity = capacity;
	return alerts;
}

void am_alerts_free(struct am_alerts *alerts)
{
	if (!alerts)
		return;
	for (uint32_t i = 0; i < alerts->count; i++)
		json_object_put(alerts->open[i].labels);
	free(alerts->open);
	free(alerts);
}

uint32_t am_alerts_open_count(const struct am_alerts *alerts)
{
	return alerts->count;
}

uint64_t am_alerts_not_kept(const struct am_alerts *alerts)
{
	return alerts->not_kept;
}

/* ---- reading a notice --------------------------------------------------------------- */

static const char *field(struct json_object *notice, const char *key)
{
	struct json_object *value;

	if (!json_object_object_get_ex(notice, key, &value) ||
	    json_object_is_type(value, json_type_null))
		return NULL;
	return json_object_get_string(value);
}

static const char *field_or(struct json_object *notice, const char *key, const char *fallback)
{
	const char *value = field(notice, key);

	return value ? value : fallback;
}

static struct am_alert *find(struct am_alerts *alerts, const char *alert_id)
{
	for (uint32_t i = 0; i < alerts->count; i++)
		if (strcmp(alerts->open[i].alert_id, alert_id) == 0)
			return &alerts->open[i];
	return NULL;
}

static bool add_label(struct json_object *labels, const char *key, const char *value)
{
	struct json_object *string;

	if (!value || !value[0])
		return true; /* Alertmanager: an empty label is no label */
	string = json_object_new_string(value);
	if (string && json_object_object_add(labels, key, string) == 0)
		return true;
	json_object_put(string);
	return false;
}

/* "feed_silent" -> "CadmonFeedSilent". */
static void system_alertname(const char *system, char *out, size_t size)
{
	size_t len = (size_t)snprintf(out, size, "Cadmon");
	bool upper = true;

	for (const char *c = system; *c && len + 1 < size; c++) {
		if (*c == '_') {
			upper = true;
			continue;
		}
		out[len++] = upper && *c >= 'a' && *c <= 'z' ? (char)(*c - 'a' + 'A') : *c;
		upper = false;
	}
	out[len] = '\0';
}

static struct json_object *labels_of(struct json_object *notice, bool system)
{
	struct json_object *labels = json_object_new_object();
	char alertname[AM_FIELD_MAX];
	bool ok;

	if (!labels)
		return NULL;
	if (system) {
		system_alertname(field_or(notice, "system", "unknown"), alertname,
				 sizeof(alertname));
		ok = add_label(labels, "alertname", alertname) &&
		     add_label(labels, "system", field(notice, "system")) &&
		     add_label(labels, "severity", field(notice, "severity")) &&
		     add_label(labels, "source", field(notice, "source")) &&
		     add_label(labels, "limit", field(notice, "limit")) &&
		     add_label(labels, "receiver", field(notice, "receiver"));
	} else {
		ok = add_label(labels, "alertname", "CadmonPrematureHangups") &&
		     add_label(labels, "agency", field(notice, "agency")) &&
		     add_label(labels, "operator", field(notice, "operator")) &&
		     add_label(labels, "rule", field(notice, "rule")) &&
		     add_label(labels, "severity", field(notice, "severity"));
	}
	if (!ok) {
		json_object_put(labels);
		return NULL;
	}
	return labels;
}

static void summary_of(struct json_object *notice, bool system, char *out, size_t size)
{
	const char *position = field(notice, "position");

	if (system) {
		snprintf(out, size, "%s", field_or(notice, "message", ""));
		return;
	}
	snprintf(out, size,
		 "call-taker %s%s%s%s%s: %s premature hangups in %s calls (ratio %s, rest of the "
		 "center %s) "
		 "within %s s, rule %s",
		 field_or(notice, "operator", "?"), field(notice, "agency") ? " of " : "",
		 field_or(notice, "agency", ""), position ? " at position " : "",
		 position ? position : "", field_or(notice, "premature", "?"),
		 field_or(notice, "calls", "?"), field_or(notice, "ratio", "?"),
		 field_or(notice, "center_ratio", "?"), field_or(notice, "window_seconds", "?"),
		 field_or(notice, "rule", "?"));
}

/* The notice's callbacks into the alert: a known call_id updated, a new one first. */
static void gather_callbacks(struct am_alert *alert, struct json_object *notice)
{
	struct json_object *callbacks;
	size_t count;

	if (!json_object_object_get_ex(notice, "callbacks", &callbacks) ||
	    !json_object_is_type(callbacks, json_type_array))
		return;
	count = json_object_array_length(callbacks);
	for (size_t i = count; i-- > 0;) { /* oldest first, so the newest ends up first */
		struct json_object *entry = json_object_array_get_idx(callbacks, i), *flag;
		const char *call_id = field_or(entry, "call_id", "");
		bool called_back = json_object_object_get_ex(entry, "called_back", &flag) &&
				   json_object_get_boolean(flag);
		struct am_callback *kept = NULL;

		for (uint32_t k = 0; k < alert->callback_count && !kept; k++)
			if (strcmp(alert->callbacks[k].call_id, call_id) == 0)
				kept = &alert->callbacks[k];
		if (kept) {
			kept->called_back = kept->called_back || called_back;
			continue;
		}
		if (alert->callback_count == AM_MAX_CALLBACKS) {
			alert->callback_count--;
			alert->callbacks_not_kept++;
		}
		memmove(&alert->callbacks[1], &alert->callbacks[0],
			alert->callback_count * sizeof(alert->callbacks[0]));
		alert->callback_count++;
		text_copy(alert->callbacks[0].call_id, call_id,
			  sizeof(alert->callbacks[0].call_id));
		text_copy(alert->callbacks[0].ani, field_or(entry, "ani", ""),
			  sizeof(alert->callbacks[0].ani));
		alert->callbacks[0].called_back = called_back;
	}
}

/* "5045550104, 5045550101, call c2 (no number)", not called back first. */
static void callbacks_text(const struct am_alert *alert, bool called_back, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < alert->callback_count && len < size; i++) {
		const struct am_callback *callback = &alert->callbacks[i];
		if (callback->called_back != called_back)
			continue;
		int n = callback->ani[0] ? snprintf(out + len, size - len, "%s%s", len ? ", " : "",
						    callback->ani)
					 : snprintf(out + len, size - len, "%scall %s (no number)",
						    len ? ", " : "", callback->call_id);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

static struct json_object *annotations_of(const struct am_alert *alert)
{
	struct json_object *annotations = json_object_new_object();
	char waiting[AM_TEXT_MAX], called_back[AM_TEXT_MAX];
	bool ok;

	if (!annotations)
		return NULL;
	callbacks_text(alert, false, waiting, sizeof(waiting));
	callbacks_text(alert, true, called_back, sizeof(called_back));
	ok = json_out_add_string(annotations, "summary", alert->summary) &&
	     json_out_add_string(annotations, "alert_id", alert->alert_id) &&
	     (alert->callback_count == 0 ||
	      json_out_add_string(annotations, "callbacks", waiting)) &&
	     (!called_back[0] || json_out_add_string(annotations, "called_back", called_back)) &&
	     (!alert->acknowledged[0] ||
	      json_out_add_string(annotations, "acknowledged", alert->acknowledged));
	if (!ok) {
		json_object_put(annotations);
		return NULL;
	}
	return annotations;
}

/* {"labels":..,"annotations":..,"startsAt":..[,"endsAt":..]} appended to array. */
static bool post_alert(struct json_object *array, const struct am_alert *alert,
		       struct json_object *labels, const char *ends_at)
{
	struct json_object *object = json_object_new_object();
	struct json_object *annotations = annotations_of(alert);

	if (!object || !annotations ||
	    json_object_object_add(object, "labels", json_object_get(labels)) != 0 ||
	    json_object_object_add(object, "annotations", annotations) != 0) {
		json_object_put(object);
		json_object_put(annotations);
		return false;
	}
	if (!json_out_add_string(object, "startsAt", alert->starts_at) ||
	    (ends_at && !json_out_add_string(object, "endsAt", ends_at)) ||
	    json_object_array_add(array, object) != 0) {
		json_object_put(object);
		return false;
	}
	return true;
}

static char *body_of(struct json_object *array, size_t *body_len)
{
	size_t len = 0;
	const char *text = json_object_to_json_string_length(
		array, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *body = text ? malloc(len + 1) : NULL;

	if (body) {
		memcpy(body, text, len + 1);
		*body_len = len;
	}
	return body;
}

static void forget(struct am_alerts *alerts, struct am_alert *alert)
{
	json_object_put(alert->labels);
	*alert = alerts->open[--alerts->count];
}

/* firing or open: a new alert kept (or, the table full, one made up only for this post). */
static struct am_alert *open_alert(struct am_alerts *alerts, struct json_object *notice,
				   const char *alert_id, struct am_alert *scratch)
{
	struct am_alert *alert = find(alerts, alert_id);
	const char *starts_at =
		field(notice, "opened_ts") ? field(notice, "opened_ts") : field(notice, "ts");

	if (alert)
		return alert;
	if (alerts->count < alerts->capacity) {
		alert = &alerts->open[alerts->count++];
	} else {
		alerts->not_kept++;
		alert = scratch;
	}
	memset(alert, 0, sizeof(*alert));
	text_copy(alert->alert_id, alert_id, sizeof(alert->alert_id));
	text_copy(alert->starts_at, starts_at ? starts_at : "", sizeof(alert->starts_at));
	return alert;
}

static void set_acknowledged(struct am_alert *alert, struct json_object *ack)
{
	snprintf(alert->acknowledged, sizeof(alert->acknowledged), "by %s at %s%s%s",
		 field_or(ack, "by", "?"), field_or(ack, "ts", "?"),
		 field(ack, "note") && field(ack, "note")[0] ? ": " : "",
		 field_or(ack, "note", ""));
}

/* The posts a notice makes, into array. */
static bool apply_notice(struct am_alerts *alerts, struct json_object *notice,
			 struct json_object *array)
{
	const char *kind = field_or(notice, "alert", ""),
		   *alert_id = field_or(notice, "alert_id", "");
	bool system = strcmp(field_or(notice, "type", ""), "system") == 0;
	struct am_alert scratch = {.labels = NULL}, *alert = find(alerts, alert_id);
	struct json_object *labels, *ack;
	bool ok = true;

	if (strcmp(kind, "firing") == 0 || strcmp(kind, "open") == 0) {
		alert = open_alert(alerts, notice, alert_id, &scratch);
	} else if (!alert) {
		return false; /* an alert not kept (opened before a full table): nothing to say */
	}
	if (strcmp(kind, "acknowledged") == 0) {
		set_acknowledged(alert, notice);
		return post_alert(array, alert, alert->labels, NULL);
	}
	if (strcmp(kind, "resolved") == 0) {
		ok = post_alert(array, alert, alert->labels, field_or(notice, "ts", ""));
		forget(alerts, alert);
		return ok;
	}
	if (strcmp(kind, "firing") != 0 && strcmp(kind, "open") != 0 &&
	    strcmp(kind, "update") != 0 && strcmp(kind, "escalated") != 0)
		return false;
	if (!(labels = labels_of(notice, system)))
		return false;
	if (alert->labels && !json_object_equal(alert->labels, labels)) {
		/* escalated to another rule or severity: a new label set for Alertmanager */
		ok = post_alert(array, alert, alert->labels, field_or(notice, "ts", ""));
		text_copy(alert->starts_at, field_or(notice, "ts", ""), sizeof(alert->starts_at));
	}
	if (strcmp(kind, "update") != 0 || !alert->summary[0])
		summary_of(notice, system, alert->summary, sizeof(alert->summary));
	if (json_object_object_get_ex(notice, "acknowledged", &ack))
		set_acknowledged(alert, ack);
	gather_callbacks(alert, notice);
	json_object_put(alert->labels);
	alert->labels = labels;
	ok = post_alert(array, alert, alert->labels, NULL) && ok;
	if (alert == &scratch)
		json_object_put(scratch.labels);
	return ok;
}

char *am_alerts_notice(struct am_alerts *alerts, const char *json, size_t len, size_t *body_len)
{
	struct json_tokener *tokener = json_tokener_new();
	struct json_object *notice =
		tokener ? json_tokener_parse_ex(tokener, json, (int)len) : NULL;
	struct json_object *array = json_object_new_array();
	char *body = NULL;

	if (notice && array && json_object_is_type(notice, json_type_object) &&
	    json_object_object_get_ex(notice, "alert", NULL) &&
	    apply_notice(alerts, notice, array) && json_object_array_length(array) > 0)
		body = body_of(array, body_len);
	json_object_put(array);
	json_object_put(notice);
	if (tokener)
		json_tokener_free(tokener);
	return body;
}

char *am_alerts_resend(const struct am_alerts *alerts, size_t *body_len)
{
	struct json_object *array;
	char *body = NULL;
	bool ok = true;

	if (alerts->count == 0 || !(array = json_object_new_array()))
		return NULL;
	for (uint32_t i = 0; i < alerts->count && ok; i++)
		ok = post_alert(array, &alerts->open[i], alerts->open[i].labels, NULL);
	if (ok)
		body = body_of(array, body_len);
	json_object_put(array);
	return body;
}
