/*
 * jread.c - typed reads of json-c values with JSON-path error messages (see
 * jread.h). Nothing here knows what a port or a namespace is.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config/jread.h"

void kcj_init(struct kcj *c, char *err, size_t errlen)
{
	c->err = err;
	c->errlen = errlen;
	c->path[0] = '\0';
	c->len = 0;
	if (err && errlen)
		err[0] = '\0';
}

static size_t push(struct kcj *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static size_t push(struct kcj *c, const char *fmt, ...)
{
	size_t old = c->len;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		c->len += (size_t)n;
	if (c->len >= sizeof(c->path))
		c->len = sizeof(c->path) - 1; /* truncated: keep what fits */
	return old;
}

size_t kcj_key(struct kcj *c, const char *key)
{
	return c->len ? push(c, ".%s", key) : push(c, "%s", key);
}

size_t kcj_idx(struct kcj *c, size_t i)
{
	return push(c, "[%zu]", i);
}

void kcj_pop(struct kcj *c, size_t len)
{
	c->len = len;
	c->path[len] = '\0';
}

int kcj_fail(struct kcj *c, const char *fmt, ...)
{
	if (!c->err || !c->errlen)
		return -EINVAL;
	int n = snprintf(c->err, c->errlen, "%s: ", c->len ? c->path : "top level");
	if (n >= 0 && (size_t)n < c->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

const char *kcj_repr(struct json_object *v, char *buf, size_t n)
{
	const char *s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t len = strlen(s);
	if (len > 64 && n > 68)
		snprintf(buf, n, "%.61s...", s);
	else
		snprintf(buf, n, "%s", s);
	return buf;
}

const char *kcj_type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null: return "null";
	case json_type_boolean: return "a boolean";
	case json_type_double: return "a number";
	case json_type_int: return "an integer";
	case json_type_object: return "an object";
	case json_type_array: return "an array";
	case json_type_string: return "a string";
	}
	return "a value";
}

int kcj_want_object(struct kcj *c, struct json_object *v)
{
	if (json_object_is_type(v, json_type_object))
		return 0;
	return kcj_fail(c, "expected an object, got %s", kcj_type_name(v));
}

int kcj_want_array(struct kcj *c, struct json_object *v)
{
	if (json_object_is_type(v, json_type_array))
		return 0;
	return kcj_fail(c, "expected an array, got %s", kcj_type_name(v));
}

int kcj_get_string(struct kcj *c, struct json_object *v, const char **out)
{
	if (!json_object_is_type(v, json_type_string))
		return kcj_fail(c, "expected a string, got %s", kcj_type_name(v));
	const char *s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return kcj_fail(c, "string contains a NUL character");
	*out = s;
	return 0;
}

bool kcj_parse_i64(const char *s, int64_t *out)
{
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (!*s)
		return false;
	uint64_t v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_C(1) << 62)) /* far beyond any range we check */
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

int kcj_get_int(struct kcj *c, struct json_object *v, int64_t lo, int64_t hi, int64_t *out)
{
	char rb[80];
	int64_t x;
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
		/* json-c keeps integers above INT64_MAX as uint64 and clamps
		 * beyond; its text would not be what the file says */
		if (x == INT64_MIN || (x == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX))
			return kcj_fail(c, "integer is out of range (%lld..%lld)", (long long)lo, (long long)hi);
	} else if (json_object_is_type(v, json_type_string)) {
		if (!kcj_parse_i64(json_object_get_string(v), &x) ||
		    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
			return kcj_fail(c, "%s is not an integer", kcj_repr(v, rb, sizeof(rb)));
	} else {
		return kcj_fail(c, "expected an integer, got %s", kcj_type_name(v));
	}
	if (x < lo || x > hi)
		return kcj_fail(c, "%s is out of range (%lld..%lld)", kcj_repr(v, rb, sizeof(rb)),
				(long long)lo, (long long)hi);
	*out = x;
	return 0;
}

int kcj_get_bool(struct kcj *c, struct json_object *v, bool *out)
{
	char rb[80];
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		int64_t x = json_object_get_int64(v);
		if (x == 0 || x == 1) {
			*out = x == 1;
			return 0;
		}
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);
		if (!strcmp(s, "0") || !strcmp(s, "false")) {
			*out = false;
			return 0;
		}
		if (!strcmp(s, "1") || !strcmp(s, "true")) {
			*out = true;
			return 0;
		}
	} else {
		return kcj_fail(c, "expected a boolean, got %s", kcj_type_name(v));
	}
	return kcj_fail(c, "%s is not a boolean (0 or 1)", kcj_repr(v, rb, sizeof(rb)));
}

int kcj_only_keys(struct kcj *c, struct json_object *obj, const char *const *known)
{
	json_object_object_foreach(obj, key, val) {
		(void)val;
		bool ok = false;
		for (const char *const *k = known; *k; k++)
			if (!strcmp(*k, key)) {
				ok = true;
				break;
			}
		if (!ok) {
			kcj_key(c, key);
			return kcj_fail(c, "unknown key");
		}
	}
	return 0;
}
