/*
 * framing.h - the control socket's framing: cutting a byte stream into
 * JSON texts (daemon/control/control.h). Pure: bytes in, complete JSON values
 * out, no sockets and no event loop, so it can be tested byte by byte and
 * fuzzed (tests/unit/test_framing.c, tests/fuzz/fuzz_control_framing.c).
 *
 * The stream is a sequence of JSON texts with any whitespace (space, tab,
 * CR, LF) around them; each complete value is one request. Bytes that are
 * not JSON end the stream (it cannot be resynchronised), and so does a
 * value that grows past the limit: the bytes fed to a value that is still
 * unfinished are counted, and once they exceed the limit it is refused
 * (the feed that completes a value is not counted against it).
 *
 * How the stream is split into feeds does not change the values, but for
 * two ways of json-c's (0.16): a number split between feeds is checked
 * less ("[1-2]" in one feed is an error; split after the 1 it is [1]),
 * and comments are read with the value before them ("{} /x" in one feed
 * is a parse error; split after the "}" the value comes out first).
 */
#ifndef KATO_DAEMON_CONTROL_FRAMING_H
#define KATO_DAEMON_CONTROL_FRAMING_H

#include <stddef.h>

struct json_object;
struct kt_framing;

enum kt_frame {
	KT_FRAME_MORE,        /* every byte given was taken: no complete value in them yet */
	KT_FRAME_VALUE,       /* one complete value; the bytes after it are left for the next call */
	KT_FRAME_PARSE_ERROR, /* the bytes are not JSON (kt_framing_error says why): the stream is over */
	KT_FRAME_TOO_LARGE,   /* a value grew past the limit: the stream is over */
};

/* A framer for one stream, refusing values past max bytes; NULL when out
 * of memory. */
struct kt_framing *kt_framing_new(size_t max);
void kt_framing_free(struct kt_framing *f);

/* Takes bytes from *p (*len of them) up to the end of the next complete
 * value and advances *p and *len past what it took. Returns:
 *   KT_FRAME_VALUE with *value, a new reference, or NULL when the value is
 *     the JSON text null; call again with what is left (*len may be 0);
 *   KT_FRAME_MORE when it took all *len bytes (*len is 0) and needs more;
 *   KT_FRAME_PARSE_ERROR or KT_FRAME_TOO_LARGE: the stream is over; the
 *     rest of the bytes are not looked at (*len is 0), and every later
 *     call returns the same.
 * *value is NULL unless KT_FRAME_VALUE. */
enum kt_frame kt_framing_next(struct kt_framing *f, const char **p, size_t *len, struct json_object **value);

/* After KT_FRAME_PARSE_ERROR, what is wrong (json-c's words, e.g.
 * "unexpected character"); "" before. */
const char *kt_framing_error(const struct kt_framing *f);

#endif
