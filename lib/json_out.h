/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_JSON_OUT_H
#define CADMON_JSON_OUT_H

#include <json-c/json.h>
#include <stdbool.h>

/*
 * Building JSON objects with json-c: the one way cadmon adds a member, for the alert
 * encoder, control lines and the daemon's Alertmanager bodies.
 */

/* Add key: value to object, taking ownership of value (NULL: an allocation failed before);
 * false when value is NULL or the member could not be added (value then freed). */
static inline bool json_out_add(struct json_object *object, const char *key,
				struct json_object *value)
{
	if (!value)
		return false;
	if (json_object_object_add(object, key, value) != 0) {
		json_object_put(value);
		return false;
	}
	return true;
}

/* Add key: a copy of the string value; false on allocation failure. */
static inline bool json_out_add_string(struct json_object *object, const char *key,
				       const char *value)
{
	return json_out_add(object, key, json_object_new_string(value));
}

#endif
