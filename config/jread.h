/*
 * jread.h - typed reads of json-c values that name the JSON path of whatever
 * is wrong. Internal to config/: the loader walks the document pushing keys
 * and indexes onto a path, and every failure becomes one message
 * "<path>: <reason>" (e.g. `ports[0].addr.trsvcid: "abc" is not a port
 * number`). Kept apart from config.c so the loader reads as the list of rules
 * it enforces, not as json-c plumbing.
 */
#ifndef KATO_CONFIG_JREAD_H
#define KATO_CONFIG_JREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

struct kcj {
	char *err;          /* caller's buffer for the one error message */
	size_t errlen;
	char path[512];     /* current JSON path, "" at the top level */
	size_t len;
};

void kcj_init(struct kcj *c, char *err, size_t errlen);

/* Push ".key" (or "key" at the top) / "[i]"; both return the previous
 * length, which kcj_pop() restores. */
size_t kcj_key(struct kcj *c, const char *key);
size_t kcj_idx(struct kcj *c, size_t i);
void kcj_pop(struct kcj *c, size_t len);

/* Writes "<path>: <reason>" into the error buffer and returns -EINVAL. At the
 * top level the path reads "top level". */
int kcj_fail(struct kcj *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The JSON text of v ("abc" with its quotes, 12, true), cut at about 64
 * characters, for quoting a bad value in a message. */
const char *kcj_repr(struct json_object *v, char *buf, size_t n);
/* "an object", "an array", "a string", "an integer", "a number", "a boolean",
 * "null". */
const char *kcj_type_name(struct json_object *v);

/* Type checks on v at the current path. */
int kcj_want_object(struct kcj *c, struct json_object *v);
int kcj_want_array(struct kcj *c, struct json_object *v);
/* A JSON string without embedded NULs. */
int kcj_get_string(struct kcj *c, struct json_object *v, const char **out);
/* A JSON integer, or a string of decimal digits (nvmetcli writes attribute
 * values as strings), within lo..hi. */
int kcj_get_int(struct kcj *c, struct json_object *v, int64_t lo, int64_t hi, int64_t *out);
/* true/false, 0/1, "0"/"1", "true"/"false". */
int kcj_get_bool(struct kcj *c, struct json_object *v, bool *out);

/* Refuses the first key of obj that is not in known (NULL-terminated):
 * "<path>.<key>: unknown key". */
int kcj_only_keys(struct kcj *c, struct json_object *obj, const char *const *known);

/* Parses an integer string: optional '-' then decimal digits only. */
bool kcj_parse_i64(const char *s, int64_t *out);

#endif
