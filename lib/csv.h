/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#ifndef CADMON_CSV_H
#define CADMON_CSV_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Splitting one CSV record (RFC 4180) into its fields: fields separated by a delimiter
 * (normally ','), a field in double quotes may hold the delimiter, line breaks and doubled
 * quotes (""), which stand for one quote. The caller cuts records at line ends and joins the
 * lines of a record whose quotes are still open (csv_record_open).
 */

#define CSV_MAX_FIELDS 64 /* fields in one record; more is an error */

/* One record's fields, pointing into the scratch buffer given to csv_split (not terminated). */
struct csv_record {
	size_t count;
	const char *field[CSV_MAX_FIELDS];
	size_t len[CSV_MAX_FIELDS];
};

enum csv_status {
	CSV_OK = 0,
	CSV_OPEN_QUOTE,      /* a quoted field is not closed by the end of the record */
	CSV_TEXT_AFTER_QUOTE, /* "ab"c: a closing quote followed by something but a delimiter */
	CSV_QUOTE_IN_FIELD,  /* ab"c: a quote inside an unquoted field */
	CSV_TOO_MANY_FIELDS, /* more than CSV_MAX_FIELDS */
};

/**
 * Split text (len bytes, without the record's final line ending) at delimiter into *out,
 * unquoting into scratch (at least len bytes, owned by the caller; out points into it).
 * Returns CSV_OK, or the problem with the byte offset where it was found in *error_offset.
 */
enum csv_status csv_split(const char *text, size_t len, char delimiter, char *scratch,
			  struct csv_record *out, size_t *error_offset);

/** True when text ends inside a quoted field: the record goes on after the line break. */
bool csv_record_open(const char *text, size_t len);

/** What a status means, for reject messages ("a quoted field is not closed"). */
const char *csv_status_text(enum csv_status status);

#endif
