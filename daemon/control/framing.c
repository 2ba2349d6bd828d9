/*
 * framing.c - the control socket's framing (see framing.h): one json-c
 * tokener per stream, fed the bytes as they come, whitespace between
 * values skipped, a size limit on the value being read. The control
 * socket's transport (control.c) runs each value; this file only cuts them.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "daemon/control/framing.h"

struct kt_framing {
	struct json_tokener *tok;
	size_t max;           /* bytes an unfinished value may have been fed */
	size_t pending;       /* bytes fed to the unfinished value so far */
	bool in_value;        /* the tokener holds part of a value */
	enum kt_frame over;   /* KT_FRAME_MORE while the stream is good, else how it ended */
	const char *why;      /* KT_FRAME_PARSE_ERROR: json-c's description */
};

struct kt_framing *kt_framing_new(size_t max)
{
	struct kt_framing *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->tok = json_tokener_new();
	if (!f->tok) {
		free(f);
		return NULL;
	}
	f->max = max;
	f->over = KT_FRAME_MORE;
	f->why = "";
	return f;
}

void kt_framing_free(struct kt_framing *f)
{
	if (!f)
		return;
	json_tokener_free(f->tok);
	free(f);
}

const char *kt_framing_error(const struct kt_framing *f)
{
	return f->why;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

enum kt_frame kt_framing_next(struct kt_framing *f, const char **pp, size_t *plen, struct json_object **value)
{
	const char *p = *pp;
	size_t len = *plen;
	*value = NULL;
	if (f->over != KT_FRAME_MORE) {
		*pp = p + len;
		*plen = 0;
		return f->over;
	}
	while (len) {
		if (!f->in_value) {
			while (len && is_space(*p)) {
				p++;
				len--;
			}
			if (!len)
				break;
		}
		/* json-c takes an int length: larger feeds go in pieces */
		size_t n = len > INT_MAX ? INT_MAX : len;
		bool fresh = !f->in_value;
		struct json_object *obj = json_tokener_parse_ex(f->tok, p, (int)n);
		enum json_tokener_error e = json_tokener_get_error(f->tok);
		if (e == json_tokener_continue) { /* all n bytes taken, the value goes on */
			f->in_value = true;
			f->pending += n;
			p += n;
			len -= n;
			if (f->pending > f->max) {
				f->over = KT_FRAME_TOO_LARGE;
				break;
			}
			continue;
		}
		if (e != json_tokener_success) {
			json_object_put(obj);
			f->why = json_tokener_error_desc(e);
			f->over = KT_FRAME_PARSE_ERROR;
			break;
		}
		/* json-c ends a number or a literal at the byte after it without
		 * taking that byte: when the byte starts this feed, the value was
		 * all in earlier feeds and takes nothing of this one. A value
		 * started in this feed takes a byte at least. */
		size_t used = json_tokener_get_parse_end(f->tok);
		if (used > n)
			used = n;
		if (used == 0 && fresh) { /* no progress: never seen, but never loop on it */
			json_object_put(obj);
			f->why = "a value of no bytes";
			f->over = KT_FRAME_PARSE_ERROR;
			break;
		}
		json_tokener_reset(f->tok);
		f->in_value = false;
		f->pending = 0;
		*pp = p + used;
		*plen = len - used;
		*value = obj;
		return KT_FRAME_VALUE;
	}
	*pp = p + len;
	*plen = 0;
	return f->over;
}
