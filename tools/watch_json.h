/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_TOOLS_WATCH_JSON_H
#define CADMON_TOOLS_WATCH_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * watch_json: reading the fields of the alert port's lines for cadmon-watch. A field that is
 * absent or of another type reads as absent; a line that is not one JSON value is refused.
 */

/** The string at key, or NULL when absent or not a string. Points into object. */
const char *watch_json_string(json_object *object, const char *key);

/** Whether key holds an integer; stores it in *out. */
bool watch_json_integer(json_object *object, const char *key, int64_t *out);

/** Whether key holds a number (integer or not); stores it in *out. */
bool watch_json_number(json_object *object, const char *key, double *out);

/** Whether key holds the boolean true. */
bool watch_json_true(json_object *object, const char *key);

/** The array at key, or NULL when absent or not an array. */
json_object *watch_json_array(json_object *object, const char *key);

/** The object at key, or NULL when absent or not an object. */
json_object *watch_json_object(json_object *object, const char *key);

/** The first key of an object ("alert", "board", "hello", "notice", ...), or NULL. */
const char *watch_json_first_key(json_object *object);

/**
 * Parse one whole line as exactly one JSON value with tokener. The value (the caller puts
 * it), or NULL with a static reason in *why.
 */
json_object *watch_json_parse_line(json_tokener *tokener, const char *line, size_t len,
				   const char **why);

#endif
