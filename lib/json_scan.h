/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_JSON_SCAN_H
#define CADMON_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A validating, allocation-free reader for one line holding one flat JSON object (RFC 8259,
 * strict: no comments, no trailing commas, no single quotes, no NaN). It checks the whole
 * line — nested values of keys nobody asked for included, UTF-8 included — and hands back
 * the members the caller named in a field table, strings decoded into the caller's buffers.
 * It replaces building a json-c object tree per feed line, which costs more than the rest
 * of the pipeline; tests/test_json_scan.c checks it against json-c on mutated lines.
 */

#define JSON_SCAN_MAX_DEPTH 32

enum json_kind {
	JSON_ABSENT = 0, /* the key did not appear */
	JSON_NULL,
	JSON_BOOL,
	JSON_INTEGER,    /* a number without fraction or exponent */
	JSON_NUMBER,     /* any other number */
	JSON_STRING,
	JSON_OBJECT,
	JSON_ARRAY,
};

/* A member the caller wants. The last occurrence of a duplicated key wins, as in json-c. */
struct json_field {
	const char *key;
	char *buffer;        /* strings are decoded here, NUL-terminated */
	size_t capacity;     /* bytes of buffer; longer strings are cut and flagged */
	enum json_kind kind;
	size_t length;       /* decoded length of a string (even when cut) */
	bool truncated;      /* the string did not fit */
	bool has_nul;        /* the string contains \u0000 */
	int64_t integer;     /* JSON_INTEGER, when it fits */
	bool overflow;       /* JSON_INTEGER beyond int64 */
};

enum json_scan_result {
	JSON_SCAN_OBJECT = 0, /* a valid object; the fields are filled */
	JSON_SCAN_NOT_OBJECT, /* valid JSON, but not an object */
	JSON_SCAN_SYNTAX,     /* not valid JSON */
	JSON_SCAN_UTF8,       /* invalid UTF-8 */
};

/* A field table's keys indexed by length and first and last byte, for a table scanned many
 * times: built once by json_scan_index_build, it replaces comparing each key of a line with
 * every field's name. */
#define JSON_SCAN_INDEX_FIELDS 64
#define JSON_SCAN_INDEX_SLOTS 64
struct json_scan_index {
	unsigned char head[JSON_SCAN_INDEX_SLOTS];   /* 1 + the first field of a slot; 0: none */
	unsigned char next[JSON_SCAN_INDEX_FIELDS];  /* 1 + the next field of the same slot */
	unsigned char length[JSON_SCAN_INDEX_FIELDS]; /* its key's length, 255 when longer */
	/* The names of 1 to 31 plain ASCII bytes by their first byte, in table order: a line's key
	 * is matched against them where it stands, before its closing quote is searched for. */
	unsigned char first[256];                        /* 1 + the first such field; 0: none */
	unsigned char next_first[JSON_SCAN_INDEX_FIELDS]; /* 1 + the next of the same first byte */
};

/** Index fields[0..count) (count at most JSON_SCAN_INDEX_FIELDS; false when above). The index
 * holds the keys' lengths and positions: build it again when the table's keys change. */
bool json_scan_index_build(struct json_scan_index *index, const struct json_field *fields,
			   size_t count);

/**
 * Scan line[0..len). Fields not present are JSON_ABSENT. On an error, *message is a static
 * description and *offset the byte where it was found.
 */
enum json_scan_result json_scan_object(const char *line, size_t len, struct json_field *fields,
				       size_t field_count, const char **message, size_t *offset);

/** json_scan_object with the keys looked up through an index of the same fields (built by
 * json_scan_index_build): the same results. */
enum json_scan_result json_scan_object_indexed(const char *line, size_t len,
					       struct json_field *fields, size_t field_count,
					       const struct json_scan_index *index,
					       const char **message, size_t *offset);

/** True when text[0..len) is valid UTF-8 by the rules feed lines are read with (no overlong
 * forms, no surrogates, nothing past U+10FFFF): a stricter check than json-c's. */
bool json_scan_utf8_valid(const char *text, size_t len);

#endif
