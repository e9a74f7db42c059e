/* SPDX-License-Identifier: MIT */
/* Copyright (c) 2026 The cadmon authors */
#include "json_scan.h"

#include <string.h>

/* Keys longer than this less one byte match no field (the scanner's key buffer). */
#define JSON_SCAN_KEY_MAX 32

#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define JSON_SCAN_SSE2 1
#endif

/* Where the scan is, and what went wrong first. */
struct scan {
	const unsigned char *p;
	const unsigned char *start;
	const unsigned char *end;
	enum json_scan_result error;
	const char *message;
	const unsigned char *error_at;
};

/* Where a decoded string goes (NULL buffer: validate only). */
struct sink {
	char *buffer;
	size_t capacity;
	size_t length;
	bool has_nul;
};

static bool fail(struct scan *scan, enum json_scan_result error, const char *message,
		 const unsigned char *at)
{
	if (scan->error == JSON_SCAN_OBJECT) {
		scan->error = error;
		scan->message = message;
		scan->error_at = at;
	}
	return false;
}

static bool syntax(struct scan *scan, const char *message)
{
	if (scan->p >= scan->end)
		return fail(scan, JSON_SCAN_SYNTAX, "unexpected end of line", scan->end);
	return fail(scan, JSON_SCAN_SYNTAX, message, scan->p);
}

/* 1 for the bytes that end a run of plain string content: '"', '\\', control characters
 * (below 0x20) and the bytes of multi-byte UTF-8 (0x80 and up); 0 for the rest of ASCII. */
static const unsigned char string_stop[256] = {
	/* 0x00 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x10 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x20 */ 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x30 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x40 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x50 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	/* 0x60 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x70 */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	/* 0x80 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0x90 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xa0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xb0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xc0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xd0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xe0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	/* 0xf0 */ 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Compact lines have no whitespace: one test of a byte above ' ' settles most calls. */
static void skip_space(struct scan *scan)
{
	while (scan->p < scan->end && *scan->p <= ' ' && is_space(*scan->p))
		scan->p++;
}

static bool expect(struct scan *scan, unsigned char c, const char *message)
{
	skip_space(scan);
	if (scan->p < scan->end && *scan->p == c) {
		scan->p++;
		return true;
	}
	return syntax(scan, message);
}

static void sink_put(struct sink *sink, const unsigned char *bytes, size_t n)
{
	if (sink->buffer && sink->length < sink->capacity - 1) {
		size_t room = sink->capacity - 1 - sink->length;
		memcpy(sink->buffer + sink->length, bytes, n < room ? n : room);
	}
	sink->length += n;
}

/* Encode a code point as UTF-8 into the sink. */
static void sink_put_code_point(struct sink *sink, uint32_t c)
{
	unsigned char bytes[4];
	size_t n;

	if (c < 0x80) {
		bytes[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		bytes[0] = (unsigned char)(0xC0 | c >> 6);
		bytes[1] = (unsigned char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		bytes[0] = (unsigned char)(0xE0 | c >> 12);
		bytes[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		bytes[2] = (unsigned char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		bytes[0] = (unsigned char)(0xF0 | c >> 18);
		bytes[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
		bytes[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		bytes[3] = (unsigned char)(0x80 | (c & 0x3F));
		n = 4;
	}
	if (c == 0)
		sink->has_nul = true;
	sink_put(sink, bytes, n);
}

static int hex_digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits after "\u". */
static bool scan_hex4(struct scan *scan, uint32_t *value)
{
	*value = 0;
	for (int i = 0; i < 4; i++) {
		int digit = scan->p < scan->end ? hex_digit(*scan->p) : -1;
		if (digit < 0)
			return syntax(scan, "invalid \\u escape");
		*value = *value << 4 | (uint32_t)digit;
		scan->p++;
	}
	return true;
}

/* "\uXXXX", with a surrogate pair when it is one; the backslash and u are consumed. */
static bool scan_unicode_escape(struct scan *scan, struct sink *sink)
{
	uint32_t high, low;

	if (!scan_hex4(scan, &high))
		return false;
	if (high >= 0xDC00 && high <= 0xDFFF)
		return syntax(scan, "unpaired UTF-16 surrogate in \\u escape");
	if (high >= 0xD800 && high <= 0xDBFF) {
		if (scan->end - scan->p < 2 || scan->p[0] != '\\' || scan->p[1] != 'u')
			return syntax(scan, "unpaired UTF-16 surrogate in \\u escape");
		scan->p += 2;
		if (!scan_hex4(scan, &low))
			return false;
		if (low < 0xDC00 || low > 0xDFFF)
			return syntax(scan, "unpaired UTF-16 surrogate in \\u escape");
		high = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
	}
	sink_put_code_point(sink, high);
	return true;
}

static bool scan_escape(struct scan *scan, struct sink *sink)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	if (scan->p >= scan->end)
		return syntax(scan, "");
	unsigned char c = *scan->p++;
	if (c == 'u')
		return scan_unicode_escape(scan, sink);
	const char *known = memchr(from, c, sizeof(from) - 1);
	if (!known) {
		scan->p--;
		return syntax(scan, "invalid escape in string");
	}
	unsigned char decoded = (unsigned char)to[known - from];
	sink_put(sink, &decoded, 1);
	return true;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
	size_t n;
	uint32_t c, min;

	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		n = 2, c = p[0] & 0x1F, min = 0x80;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		n = 3, c = p[0] & 0x0F, min = 0x800;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if ((size_t)(end - p) < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	return n;
}

bool json_scan_utf8_valid(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;

	while (p < end) {
		size_t n = *p < 0x80 ? 1 : utf8_sequence(p, end);

		if (n == 0)
			return false;
		p += n;
	}
	return true;
}

#ifdef JSON_SCAN_SSE2
/* The stop bytes of the 16 at p, one mask bit each. */
static unsigned stop_mask(const unsigned char *p)
{
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');
	__m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* Compared as signed bytes, 0x80 and up are below ' ' with the control bytes. */
	__m128i stops = _mm_or_si128(
		_mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
		_mm_cmplt_epi8(bytes, space));

	return (unsigned)_mm_movemask_epi8(stops);
}
#endif

/* The end of the run of printable ASCII other than '"' and '\\' from p, in [start, end), which
 * may all be read. Strings average about ten bytes here: with SSE2 (every x86-64), 16 bytes a
 * step, the first stop byte found by its mask bit, while 16 bytes are left; the last 15 of a
 * text of 16 bytes or more by the 16 that end it (the bytes before p left out of the mask); the
 * rest a byte at a time by table, which beat word-at-a-time tests (tried). */
static inline const unsigned char *plain_run(const unsigned char *start,
					     const unsigned char *p, const unsigned char *end)
{
#ifdef JSON_SCAN_SSE2
	while (end - p >= 16) {
		unsigned mask = stop_mask(p);
		if (mask)
			return p + __builtin_ctz(mask);
		p += 16;
	}
	if (p < end && end - start >= 16) {
		const unsigned char *last = end - 16; /* before p, within [start, end) */
		unsigned mask = stop_mask(last) >> (p - last);
		return mask ? p + __builtin_ctz(mask) : end;
	}
#else
	(void)start;
#endif
	while (end - p >= 4 &&
	       !(string_stop[p[0]] | string_stop[p[1]] | string_stop[p[2]] | string_stop[p[3]]))
		p += 4;
	while (p < end && !string_stop[*p])
		p++;
	return p;
}

/* A string; the opening quote is next. Decoded into the sink. */
static bool scan_string(struct scan *scan, struct sink *sink)
{
	if (!expect(scan, '"', "expected a string"))
		return false;
	for (;;) {
		const unsigned char *run = scan->p;
		scan->p = plain_run(scan->start, scan->p, scan->end);
		sink_put(sink, run, (size_t)(scan->p - run));
		if (scan->p >= scan->end)
			return syntax(scan, "");
		unsigned char c = *scan->p;
		if (c == '"') {
			scan->p++;
			return true;
		}
		if (c == '\\') {
			scan->p++;
			if (!scan_escape(scan, sink))
				return false;
		} else if (c < 0x20) {
			return syntax(scan, "control character in string");
		} else {
			size_t n = utf8_sequence(scan->p, scan->end);
			if (n == 0)
				return fail(scan, JSON_SCAN_UTF8, "invalid UTF-8 in string",
					    scan->p);
			sink_put(sink, scan->p, n);
			scan->p += n;
		}
	}
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static void skip_digits(struct scan *scan)
{
	while (scan->p < scan->end && is_digit(*scan->p))
		scan->p++;
}

/* A number; integers without fraction or exponent are converted with overflow detection. */
static bool scan_number(struct scan *scan, struct json_field *field)
{
	const unsigned char *start = scan->p;
	bool negative = scan->p < scan->end && *scan->p == '-';
	bool integral = true;

	scan->p += negative;
	if (scan->p >= scan->end || !is_digit(*scan->p))
		return fail(scan, JSON_SCAN_SYNTAX, "invalid number", scan->p);
	if (*scan->p == '0' && scan->end - scan->p > 1 && is_digit(scan->p[1]))
		return fail(scan, JSON_SCAN_SYNTAX, "invalid number", scan->p); /* leading zero */
	skip_digits(scan);
	const unsigned char *digits_end = scan->p;
	if (scan->p < scan->end && *scan->p == '.') {
		scan->p++;
		integral = false;
		if (scan->p >= scan->end || !is_digit(*scan->p))
			return fail(scan, JSON_SCAN_SYNTAX, "invalid number", scan->p);
		skip_digits(scan);
	}
	if (scan->p < scan->end && (*scan->p == 'e' || *scan->p == 'E')) {
		scan->p++;
		integral = false;
		if (scan->p < scan->end && (*scan->p == '+' || *scan->p == '-'))
			scan->p++;
		if (scan->p >= scan->end || !is_digit(*scan->p))
			return fail(scan, JSON_SCAN_SYNTAX, "invalid number", scan->p);
		skip_digits(scan);
	}
	if (!field)
		return true;
	field->kind = integral ? JSON_INTEGER : JSON_NUMBER;
	if (integral) {
		uint64_t magnitude = 0;
		uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
		field->overflow = false;
		for (const unsigned char *d = start + negative; d < digits_end; d++) {
			unsigned digit = (unsigned)(*d - '0');
			if (magnitude > (limit - digit) / 10) {
				field->overflow = true;
				break;
			}
			magnitude = magnitude * 10 + digit;
		}
		field->integer = negative ? (int64_t)(0 - magnitude) : (int64_t)magnitude;
	}
	return true;
}

static bool scan_literal(struct scan *scan, const char *word, size_t len)
{
	if ((size_t)(scan->end - scan->p) < len || memcmp(scan->p, word, len) != 0)
		return syntax(scan, "unexpected character");
	scan->p += len;
	return true;
}

static bool scan_value(struct scan *scan, struct json_field *field, unsigned depth);

/* An object or array nobody asked for: validated, not kept. The opener is next. */
static bool scan_container(struct scan *scan, unsigned depth)
{
	bool object = *scan->p == '{';
	unsigned char close = object ? '}' : ']';
	struct sink ignore = {0};

	if (depth >= JSON_SCAN_MAX_DEPTH)
		return syntax(scan, "nested too deeply");
	scan->p++;
	skip_space(scan);
	if (scan->p < scan->end && *scan->p == close) {
		scan->p++;
		return true;
	}
	for (;;) {
		if (object &&
		    (!scan_string(scan, &ignore) || !expect(scan, ':', "expected ':' after a key")))
			return false;
		if (!scan_value(scan, NULL, depth + 1))
			return false;
		skip_space(scan);
		if (scan->p < scan->end && *scan->p == ',') {
			scan->p++;
			continue;
		}
		return expect(scan, close, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* Any value; when field is given, its kind and content are recorded there. */
static bool scan_value(struct scan *scan, struct json_field *field, unsigned depth)
{
	skip_space(scan);
	if (scan->p >= scan->end)
		return syntax(scan, "");
	unsigned char c = *scan->p;
	enum json_kind kind;
	bool ok;

	if (c == '"') {
		struct sink sink = { .buffer = field ? field->buffer : NULL,
				     .capacity = field ? field->capacity : 0 };
		ok = scan_string(scan, &sink);
		if (ok && field) {
			field->length = sink.length;
			field->truncated = sink.length >= sink.capacity;
			field->has_nul = sink.has_nul;
			field->buffer[sink.length < sink.capacity ? sink.length
								  : sink.capacity - 1] = '\0';
		}
		kind = JSON_STRING;
	} else if (c == '{' || c == '[') {
		ok = scan_container(scan, depth);
		kind = c == '{' ? JSON_OBJECT : JSON_ARRAY;
	} else if (c == '-' || is_digit(c)) {
		return scan_number(scan, field);
	} else if (c == 't' || c == 'f') {
		ok = c == 't' ? scan_literal(scan, "true", 4) : scan_literal(scan, "false", 5);
		kind = JSON_BOOL;
	} else if (c == 'n') {
		ok = scan_literal(scan, "null", 4);
		kind = JSON_NULL;
	} else {
		return syntax(scan, "unexpected character");
	}
	if (ok && field)
		field->kind = kind;
	return ok;
}

/* The slot of a key in a json_scan_index: perfect for the event parser's thirteen keys. */
static size_t index_slot(const char *key, size_t len)
{
	if (len == 0)
		return 0;
	return (len + 2 * ((size_t)(unsigned char)key[0] + (unsigned char)key[len - 1])) %
	       JSON_SCAN_INDEX_SLOTS;
}

/* Is name equal to key[0..len)? key holds no NUL (the callers check), so a name equal to it
 * over len bytes is at least len long and name[len] is within it. */
static bool key_is(const char *name, const char *key, size_t len)
{
	size_t j = 0;

	while (j < len && name[j] == key[j])
		j++;
	return j == len && name[len] == '\0';
}

bool json_scan_index_build(struct json_scan_index *index, const struct json_field *fields,
			   size_t count)
{
	if (count > JSON_SCAN_INDEX_FIELDS)
		return false;
	memset(index, 0, sizeof(*index));
	/* Pushed last field first, so that each slot lists its fields in table order and the first
	 * field of a name wins, as in the linear search. */
	for (size_t i = count; i-- > 0;) {
		size_t len = strlen(fields[i].key);
		size_t slot = index_slot(fields[i].key, len);

		index->length[i] = (unsigned char)(len < 255 ? len : 255);
		index->next[i] = index->head[slot];
		index->head[slot] = (unsigned char)(i + 1);
		if (len == 0 || len >= JSON_SCAN_KEY_MAX ||
		    plain_run((const unsigned char *)fields[i].key,
			      (const unsigned char *)fields[i].key,
			      (const unsigned char *)fields[i].key + len) !=
			    (const unsigned char *)fields[i].key + len)
			continue; /* left to the search after the closing quote */
		unsigned char first = (unsigned char)fields[i].key[0];
		index->next_first[i] = index->first[first];
		index->first[first] = (unsigned char)(i + 1);
	}
	return true;
}

static uint64_t load64(const char *p)
{
	uint64_t word;

	memcpy(&word, p, sizeof(word));
	return word;
}

static uint32_t load32(const char *p)
{
	uint32_t word;

	memcpy(&word, p, sizeof(word));
	return word;
}

/* Are a[0..len) and b[0..len) equal? Both are read only within [0, len): words that overlap
 * at the end rather than a tail loop, for keys of a few bytes where a memcmp call costs more
 * than the compare. */
static inline bool same_bytes(const char *a, const char *b, size_t len)
{
	if (len >= 8) {
		for (size_t i = 0; i + 8 < len; i += 8)
			if (load64(a + i) != load64(b + i))
				return false;
		return load64(a + len - 8) == load64(b + len - 8);
	}
	if (len >= 4)
		return load32(a) == load32(b) && load32(a + len - 4) == load32(b + len - 4);
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* The first field named key[0..len) (len below 32, no NUL in key), or NULL. */
static inline struct json_field *find_field(struct json_field *fields, size_t count,
					    const struct json_scan_index *index, const char *key,
					    size_t len)
{
	if (index) {
		for (size_t i = index->head[index_slot(key, len)]; i; i = index->next[i - 1])
			if (index->length[i - 1] == len && same_bytes(fields[i - 1].key, key, len))
				return &fields[i - 1];
		return NULL;
	}
	for (size_t i = 0; i < count; i++)
		if ((len == 0 || fields[i].key[0] == key[0]) && key_is(fields[i].key, key, len))
			return &fields[i];
	return NULL;
}

/* A key that is one of the index's plain names, matched where it stands: a name whose bytes are
 * followed by the closing quote (a name holds no quote, escape, control byte or UTF-8, so that
 * quote is the one plain_run would find). The first such field in table order, as find_field's;
 * false, with nothing consumed, for any other key. The next byte is the opening quote. */
static bool known_key(struct scan *scan, struct json_field *fields,
		      const struct json_scan_index *index, struct json_field **field)
{
	const unsigned char *key = scan->p + 1;

	if (key >= scan->end)
		return false;
	size_t room = (size_t)(scan->end - key);
	for (size_t i = index->first[*key]; i; i = index->next_first[i - 1]) {
		size_t len = index->length[i - 1];
		if (len < room && key[len] == '"' &&
		    same_bytes(fields[i - 1].key, (const char *)key, len)) {
			*field = &fields[i - 1];
			scan->p = key + len + 1;
			return true;
		}
	}
	return false;
}

/* A key made only of plain ASCII (no escape, control character or UTF-8): its bytes are its
 * decoded text, looked up in place without copying. The next byte is the opening quote. Returns
 * false, with nothing consumed, for any other key. */
static bool plain_key(struct scan *scan, struct json_field *fields, size_t count,
		      const struct json_scan_index *index, struct json_field **field,
		      size_t key_capacity)
{
	const unsigned char *key = scan->p + 1;
	const unsigned char *close = plain_run(scan->start, key, scan->end);

	if (close >= scan->end || *close != '"')
		return false;
	size_t len = (size_t)(close - key);
	*field = len < key_capacity ? find_field(fields, count, index, (const char *)key, len)
				    : NULL;
	scan->p = close + 1;
	return true;
}

/* Copy n bytes of a short string: overlapping words instead of a memcpy call, for the values
 * of a few bytes feed lines carry. Reads and writes only [0, n). */
static void copy_short(char *dst, const unsigned char *src, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t head, tail;
		memcpy(&head, src, 8);
		memcpy(&tail, src + n - 8, 8);
		memcpy(dst, &head, 8);
		memcpy(dst + n - 8, &tail, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t head, tail;
		memcpy(&head, src, 4);
		memcpy(&tail, src + n - 4, 4);
		memcpy(dst, &head, 4);
		memcpy(dst + n - 4, &tail, 4);
	} else if (n < 4) {
		for (size_t i = 0; i < n; i++)
			dst[i] = (char)src[i];
	} else if (n <= 32) { /* a timestamp's 24 */
		uint64_t head[2], tail[2];
		memcpy(head, src, 16);
		memcpy(tail, src + n - 16, 16);
		memcpy(dst, head, 16);
		memcpy(dst + n - 16, tail, 16);
	} else {
		memcpy(dst, src, n);
	}
}

/* A string value made only of plain ASCII, copied straight into its field (what scan_value
 * does for it, without the sink's steps). The next byte is the opening quote. Returns false,
 * with nothing consumed, for any other string. */
static bool plain_value(struct scan *scan, struct json_field *field)
{
	const unsigned char *text = scan->p + 1;
	const unsigned char *close = plain_run(scan->start, text, scan->end);

	if (close >= scan->end || *close != '"' || (field && field->capacity == 0))
		return false;
	if (field) {
		size_t len = (size_t)(close - text);
		size_t kept = len < field->capacity ? len : field->capacity - 1;

		copy_short(field->buffer, text, kept);
		field->buffer[kept] = '\0';
		field->kind = JSON_STRING;
		field->length = len;
		field->truncated = len >= field->capacity;
		field->has_nul = false;
	}
	scan->p = close + 1;
	return true;
}

/* The members of the top-level object; the '{' is consumed. */
static bool scan_members(struct scan *scan, struct json_field *fields, size_t count,
			 const struct json_scan_index *index)
{
	char key[JSON_SCAN_KEY_MAX];

	skip_space(scan);
	if (scan->p < scan->end && *scan->p == '}') {
		scan->p++;
		return true;
	}
	for (;;) {
		struct json_field *field;
		if (scan->p < scan->end && *scan->p == '"' &&
		    ((index && known_key(scan, fields, index, &field)) ||
		     plain_key(scan, fields, count, index, &field, sizeof(key)))) {
			if (scan->p < scan->end && *scan->p == ':')
				scan->p++;
			else if (!expect(scan, ':', "expected ':' after a key"))
				return false;
		} else {
			struct sink sink = {.buffer = key, .capacity = sizeof(key)};
			if (!scan_string(scan, &sink) ||
			    !expect(scan, ':', "expected ':' after a key"))
				return false;
			field = sink.length < sizeof(key) && !sink.has_nul
					? find_field(fields, count, index, key, sink.length)
					: NULL;
		}
		if (!(scan->p < scan->end && *scan->p == '"' && plain_value(scan, field)) &&
		    !scan_value(scan, field, 1))
			return false;
		if (scan->p < scan->end && *scan->p == ',') { /* compact: no space to skip */
			scan->p++;
			continue;
		}
		skip_space(scan);
		if (scan->p < scan->end && *scan->p == ',') {
			scan->p++;
			skip_space(scan);
			continue;
		}
		return expect(scan, '}', "expected ',' or '}'");
	}
}

enum json_scan_result json_scan_object(const char *line, size_t len, struct json_field *fields,
				       size_t field_count, const char **message, size_t *offset)
{
	return json_scan_object_indexed(line, len, fields, field_count, NULL, message, offset);
}

enum json_scan_result json_scan_object_indexed(const char *line, size_t len,
					       struct json_field *fields, size_t field_count,
					       const struct json_scan_index *index,
					       const char **message, size_t *offset)
{
	struct scan scan = {.p = (const unsigned char *)line, .start = (const unsigned char *)line,
			    .end = (const unsigned char *)line + len};
	bool object;

	for (size_t i = 0; i < field_count; i++) {
		fields[i].kind = JSON_ABSENT;
		fields[i].length = 0;
		fields[i].buffer[0] = '\0';
	}
	skip_space(&scan);
	object = scan.p < scan.end && *scan.p == '{';
	if (object) {
		scan.p++;
		scan_members(&scan, fields, field_count, index);
	} else {
		scan_value(&scan, NULL, 0);
	}
	skip_space(&scan);
	if (scan.error == JSON_SCAN_OBJECT && scan.p < scan.end)
		syntax(&scan, "unexpected data after the JSON value");
	if (scan.error != JSON_SCAN_OBJECT) {
		*message = scan.message[0] ? scan.message : "unexpected end of line";
		*offset = (size_t)(scan.error_at - scan.start);
		return scan.error;
	}
	return object ? JSON_SCAN_OBJECT : JSON_SCAN_NOT_OBJECT;
}
