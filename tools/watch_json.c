/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "watch_json.h"

const char *watch_json_string(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_string))
		return NULL;
	return json_object_get_string(value);
}

bool watch_json_integer(json_object *object, const char *key, int64_t *out)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_int))
		return false;
	*out = json_object_get_int64(value);
	return true;
}

bool watch_json_number(json_object *object, const char *key, double *out)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !(json_object_is_type(value, json_type_double) ||
	      json_object_is_type(value, json_type_int)))
		return false;
	*out = json_object_get_double(value);
	return true;
}

bool watch_json_true(json_object *object, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(object, key, &value) &&
	       json_object_is_type(value, json_type_boolean) && json_object_get_boolean(value);
}

json_object *watch_json_array(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_array))
		return NULL;
	return value;
}

json_object *watch_json_object(json_object *object, const char *key)
{
	json_object *value;

	if (!json_object_object_get_ex(object, key, &value) ||
	    !json_object_is_type(value, json_type_object))
		return NULL;
	return value;
}

const char *watch_json_first_key(json_object *object)
{
	if (!json_object_is_type(object, json_type_object))
		return NULL;
	json_object_object_foreach(object, key, value) {
		(void)value;
		return key;
	}
	return NULL;
}

json_object *watch_json_parse_line(json_tokener *tokener, const char *line, size_t len,
				   const char **why)
{
	json_object *object;

	json_tokener_reset(tokener);
	object = json_tokener_parse_ex(tokener, line, (int)len);
	if (!object || json_tokener_get_error(tokener) != json_tokener_success) {
		*why = object ? "trailing data"
			      : json_tokener_error_desc(json_tokener_get_error(tokener));
		if (json_tokener_get_error(tokener) == json_tokener_continue)
			*why = "incomplete JSON";
		json_object_put(object);
		return NULL;
	}
	if (json_tokener_get_parse_end(tokener) != len) {
		*why = "trailing data after the JSON value";
		json_object_put(object);
		return NULL;
	}
	return object;
}
