/*
 * test_framing.c - the control socket's framing (daemon/control/framing.c)
 * byte by byte: a request split across feeds, several in one feed,
 * whitespace between and around them, a number or literal ended by the
 * next feed's first byte, the JSON text null, garbage (a parse
 * error that ends the stream) and a request past the size limit (refused).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <json-c/json.h>

#include "daemon/control/control.h"
#include "daemon/control/framing.h"

/* The value as compact JSON text, in a static buffer. */
static const char *text_of(struct json_object *o)
{
	static char buf[256];
	snprintf(buf, sizeof(buf), "%s", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	return buf;
}

/* Feeds s one byte at a time: MORE for every byte before the last, whose
 * feed completes the value; returns it. */
static struct json_object *byte_by_byte(struct kt_framing *f, const char *s)
{
	size_t n = strlen(s);
	struct json_object *v = NULL;
	for (size_t i = 0; i < n; i++) {
		const char *p = s + i;
		size_t len = 1;
		enum kt_frame r = kt_framing_next(f, &p, &len, &v);
		if (i + 1 < n) {
			assert_int_equal(r, KT_FRAME_MORE);
			assert_null(v);
		} else {
			assert_int_equal(r, KT_FRAME_VALUE);
		}
		assert_int_equal(len, 0);
		assert_ptr_equal(p, s + i + 1);
	}
	return v;
}

static void split_across_feeds(void **state)
{
	(void)state;
	struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	assert_non_null(f);
	struct json_object *v = byte_by_byte(f, "{\"jsonrpc\": \"2.0\", \"method\": \"version\", \"id\": 1}");
	assert_string_equal(text_of(v), "{\"jsonrpc\":\"2.0\",\"method\":\"version\",\"id\":1}");
	json_object_put(v);
	/* the framer is ready for the next one; a batch is one value */
	v = byte_by_byte(f, "\n[{\"a\": [1, 2]}, {\"b\": \"x y\"}]");
	assert_string_equal(text_of(v), "[{\"a\":[1,2]},{\"b\":\"x y\"}]");
	json_object_put(v);
	/* split in the middle of a string, a literal and a number */
	const char *parts[] = { "{\"k\": \"ab", "c\", \"t\": tr", "ue, \"n\": 12", "34}" };
	for (size_t i = 0; i < 4; i++) {
		const char *p = parts[i];
		size_t len = strlen(p);
		enum kt_frame r = kt_framing_next(f, &p, &len, &v);
		assert_int_equal(r, i < 3 ? KT_FRAME_MORE : KT_FRAME_VALUE);
		assert_int_equal(len, 0);
	}
	assert_string_equal(text_of(v), "{\"k\":\"abc\",\"t\":true,\"n\":1234}");
	json_object_put(v);
	assert_string_equal(kt_framing_error(f), "");
	kt_framing_free(f);
}

static void values_in_one_feed(void **state)
{
	(void)state;
	struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	const char *s = "  {\"a\":1}{\"b\":2}\r\n\t[3] null \"s\"\n";
	const char *p = s;
	size_t len = strlen(s);
	struct json_object *v;
	/* json-c takes the whitespace right after a value with it */
	static const struct {
		size_t end;       /* where p is after the call */
		const char *text; /* the value; NULL: the text null */
	} want[] = {
		{ 9, "{\"a\":1}" }, { 19, "{\"b\":2}" }, { 23, "[3]" }, { 28, NULL }, { 32, "\"s\"" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
		assert_int_equal(p - s, want[i].end);
		assert_int_equal(len, strlen(s) - want[i].end);
		if (want[i].text)
			assert_string_equal(text_of(v), want[i].text);
		else
			assert_null(v);
		json_object_put(v);
	}
	/* nothing is left */
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	assert_int_equal(len, 0);
	assert_ptr_equal(p, s + strlen(s));
	assert_null(v);
	/* whitespace alone, and nothing at all */
	p = " \n\r\t ";
	len = 5;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	assert_int_equal(len, 0);
	len = 0;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	kt_framing_free(f);
}

/* Whitespace split from its value: a number ends at the whitespace that
 * follows it, in the next feed, which is taken. */
static void number_ends_in_next_feed(void **state)
{
	(void)state;
	struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	const char *p = "[1] 42";
	size_t len = 6;
	struct json_object *v;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	json_object_put(v);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE); /* 42 could go on */
	const char *s2 = "\n{}";
	p = s2;
	len = 3;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	assert_string_equal(text_of(v), "42");
	assert_ptr_equal(p, s2 + 1);
	json_object_put(v);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	assert_string_equal(text_of(v), "{}");
	json_object_put(v);
	kt_framing_free(f);
}

/* A number or a literal ends at the first byte after it; when that byte
 * starts the next feed it belongs to the next value, as in one feed. */
static void scalar_ends_at_next_feeds_first_byte(void **state)
{
	(void)state;
	struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	const char *p = "-12";
	size_t len = 3;
	struct json_object *v;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	const char *s2 = "{\"id\":1}";
	p = s2;
	len = strlen(s2);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	assert_string_equal(text_of(v), "-12");
	assert_ptr_equal(p, s2); /* nothing of this feed taken */
	json_object_put(v);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	assert_string_equal(text_of(v), "{\"id\":1}");
	json_object_put(v);
	/* a literal, then garbage: a parse error, as "truex" in one feed */
	p = "true";
	len = 4;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	p = "x";
	len = 1;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	assert_true(json_object_get_boolean(v));
	json_object_put(v);
	assert_int_equal(len, 1);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_PARSE_ERROR);
	kt_framing_free(f);
}

static void garbage_is_a_parse_error(void **state)
{
	(void)state;
	static const char *const bad[] = { "x", "{\"a\" 1}", "{}}", "[1,]x", "\"abc\"\x01", "{\"a\":\0}" };
	static const size_t badlen[] = { 1, 7, 3, 5, 6, 7 };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
		const char *p = bad[i];
		size_t len = badlen[i];
		struct json_object *v;
		enum kt_frame r;
		while ((r = kt_framing_next(f, &p, &len, &v)) == KT_FRAME_VALUE)
			json_object_put(v);
		assert_int_equal(r, KT_FRAME_PARSE_ERROR);
		assert_null(v);
		assert_int_equal(len, 0);
		assert_true(strlen(kt_framing_error(f)) > 0);
		/* the stream is over: a good request after it is not looked at */
		p = "{}";
		len = 2;
		assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_PARSE_ERROR);
		assert_null(v);
		assert_int_equal(len, 0);
		kt_framing_free(f);
	}
	/* the value before the garbage still comes out, in one feed or two */
	struct kt_framing *f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	const char *p = "{\"id\":1} ?";
	size_t len = strlen(p);
	struct json_object *v;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
	json_object_put(v);
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_PARSE_ERROR);
	assert_string_equal(kt_framing_error(f), json_tokener_error_desc(json_tokener_error_parse_unexpected));
	kt_framing_free(f);
}

static void oversize_is_refused(void **state)
{
	(void)state;
	/* a small limit: refused once an unfinished value has been fed more */
	struct kt_framing *f = kt_framing_new(8);
	const char *s = "{\"abcdefgh\": 1}";
	struct json_object *v;
	size_t i;
	for (i = 0; i < strlen(s); i++) {
		const char *p = s + i;
		size_t len = 1;
		enum kt_frame r = kt_framing_next(f, &p, &len, &v);
		assert_null(v);
		assert_int_equal(len, 0);
		if (r == KT_FRAME_TOO_LARGE)
			break;
		assert_int_equal(r, KT_FRAME_MORE);
	}
	assert_int_equal(i, 8); /* the 9th byte */
	const char *p = "{}";
	size_t len = 2;
	assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_TOO_LARGE);
	assert_int_equal(len, 0);
	kt_framing_free(f);
	/* the limit counts one value: many small ones add up to nothing */
	f = kt_framing_new(8);
	for (i = 0; i < 100; i++) {
		p = "[1,2,3] ";
		len = 8;
		assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_VALUE);
		json_object_put(v);
		assert_int_equal(kt_framing_next(f, &p, &len, &v), KT_FRAME_MORE);
	}
	kt_framing_free(f);

	/* the control socket's limit, 1 MiB, fed as a socket would: 16 KiB at a time */
	size_t big = KT_CONTROL_MAX_REQUEST + 64 * 1024;
	char *buf = malloc(big);
	assert_non_null(buf);
	memset(buf, 'a', big);
	memcpy(buf, "{\"s\": \"", 7);
	f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	size_t fed = 0;
	enum kt_frame r = KT_FRAME_MORE;
	while (fed < big && r == KT_FRAME_MORE) {
		p = buf + fed;
		len = 16384;
		r = kt_framing_next(f, &p, &len, &v);
		fed += 16384;
	}
	assert_int_equal(r, KT_FRAME_TOO_LARGE);
	assert_true(fed > KT_CONTROL_MAX_REQUEST && fed <= KT_CONTROL_MAX_REQUEST + 16384);
	kt_framing_free(f);
	/* just under it: accepted */
	size_t ok = KT_CONTROL_MAX_REQUEST - 16;
	memcpy(buf + ok - 2, "\"}", 2);
	f = kt_framing_new(KT_CONTROL_MAX_REQUEST);
	fed = 0;
	while (fed < ok) {
		size_t chunk = ok - fed < 16384 ? ok - fed : 16384;
		p = buf + fed;
		len = chunk;
		r = kt_framing_next(f, &p, &len, &v);
		fed += chunk;
		if (fed < ok)
			assert_int_equal(r, KT_FRAME_MORE);
	}
	assert_int_equal(r, KT_FRAME_VALUE);
	assert_true(json_object_is_type(v, json_type_object));
	json_object_put(v);
	kt_framing_free(f);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(split_across_feeds),
		cmocka_unit_test(values_in_one_feed),
		cmocka_unit_test(number_ends_in_next_feed),
		cmocka_unit_test(scalar_ends_at_next_feeds_first_byte),
		cmocka_unit_test(garbage_is_a_parse_error),
		cmocka_unit_test(oversize_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
