/*
 * fuzz_control_framing.c - libFuzzer harness for the control socket's
 * framing (daemon/control/framing.c). It exists to show that no byte stream
 * makes kt_framing_next read out of bounds, leak, stop making progress or
 * take more bytes than it was given, and that how the stream is split into
 * feeds does not change what comes out of it.
 *
 * Input: the byte stream a client sends (seeds in
 * tests/fuzz/corpus/fuzz_control_framing/: requests as katoctl and scripts
 * write them). It is fed three ways with no size limit - in one feed, in
 * feeds as small as can be, and in feeds of 1 to 64 bytes chosen from the
 * input's hash - and the three must give the same values (compared as
 * JSON text) and end the same way (input used up, parse error). A fourth
 * run, split as the second with a 64-byte limit, must give what that run
 * gives, or a prefix of it and then refuse the value that grew past the
 * limit. Every feed but the whole one is a malloc'd copy of exactly its
 * length, so AddressSanitizer catches a read past it.
 *
 * Where json-c (0.16) itself reads a stream differently when it is split,
 * the harness does not split it, so what it finds is the framing's:
 *   - a number split between feeds: resuming one, json-c takes a '-' it
 *     would refuse in one feed ("[1-2]" in one feed is an error, fed a
 *     byte at a time it is [1]) and reads "-1i" as the start of
 *     "-Infinity"; so a feed ends after one of "0123456789+-.eE" only
 *     when the next byte is whitespace or one of ,:[]{}" (the number's
 *     end);
 *   - comments: json-c reads whitespace and comments after a value
 *     together with it ("{} /x" in one feed is a parse error as a whole,
 *     fed "{}" then " /x" the value comes first); so a stream with a '/'
 *     is fed all three ways but not compared.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "daemon/control/framing.h"

/* What a run gave: a hash per value (of its JSON text), and how it ended. */
struct outcome {
	uint64_t *h;
	size_t n;
	enum kt_frame end;  /* MORE (input exhausted), PARSE_ERROR or TOO_LARGE */
};

static uint64_t fnv(const void *p, size_t n, uint64_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

enum split { WHOLE, BYTES, CHUNKS };

/* May a feed end between a and b? (See above.) */
static int may_split(uint8_t a, uint8_t b)
{
	if (!((a >= '0' && a <= '9') || a == '+' || a == '-' || a == '.' || a == 'e' || a == 'E'))
		return 1;
	return b && strchr(" \t\r\n,:[]{}\"", b) != NULL;
}

static void run(const uint8_t *in, size_t len, enum split how, size_t max, struct outcome *o)
{
	struct kt_framing *f = kt_framing_new(max);
	if (!f)
		abort();
	o->n = 0;
	o->end = KT_FRAME_MORE;
	uint64_t seed = fnv(in, len, 0xcbf29ce484222325ull) | 1;
	size_t off = 0;
	while (off < len || (how == WHOLE && off == 0 && len == 0)) {
		size_t n = len - off;
		if (how == BYTES)
			n = 1;
		else if (how == CHUNKS) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			n = 1 + (size_t)(seed % 64);
		}
		if (n > len - off)
			n = len - off;
		while (off + n < len && !may_split(in[off + n - 1], in[off + n]))
			n++;
		char *copy = NULL;
		const char *p = (const char *)in + off;
		if (how != WHOLE) {
			copy = malloc(n ? n : 1);
			if (!copy)
				abort();
			memcpy(copy, in + off, n);
			p = copy;
		}
		const char *start = p, *stop = p + n;
		size_t left = n;
		for (;;) {
			struct json_object *v = (struct json_object *)1;
			const char *before = p;
			size_t left_before = left;
			enum kt_frame r = kt_framing_next(f, &p, &left, &v);
			/* within what it was given, and it moves on */
			if (p < before || p + left != stop || left > left_before || p < start)
				abort();
			if (r != KT_FRAME_VALUE) {
				if (v || left)
					abort();
				if (r != KT_FRAME_MORE)
					o->end = r;
				break;
			}
			const char *t = v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null";
			if (o->n >= len) /* every value takes a byte of its own at least */
				abort();
			o->h[o->n++] = fnv(t, strlen(t), 0xcbf29ce484222325ull);
			json_object_put(v);
		}
		free(copy);
		off += n;
		if (o->end != KT_FRAME_MORE || how == WHOLE)
			break;
	}
	if (o->end == KT_FRAME_PARSE_ERROR && !kt_framing_error(f)[0])
		abort();
	kt_framing_free(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct outcome o[4];
	for (int i = 0; i < 4; i++) {
		o[i].h = malloc((len + 2) * sizeof(*o[i].h));
		if (!o[i].h)
			abort();
	}
	run(in, len, WHOLE, SIZE_MAX, &o[0]);
	run(in, len, BYTES, SIZE_MAX, &o[1]);
	run(in, len, CHUNKS, SIZE_MAX, &o[2]);
	run(in, len, BYTES, 64, &o[3]);
	for (int i = 1; i < 3 && !memchr(in, '/', len); i++) {
		if (o[i].n != o[0].n || o[i].end != o[0].end || memcmp(o[i].h, o[0].h, o[0].n * sizeof(*o[0].h))) {
			fprintf(stderr, "fuzz_control_framing: split %d: %zu values, end %d; in one feed: %zu values, end %d\n",
				i, o[i].n, o[i].end, o[0].n, o[0].end);
			abort();
		}
	}
	/* the limit refuses, or changes nothing */
	if (o[3].n > o[1].n || memcmp(o[3].h, o[1].h, o[3].n * sizeof(*o[1].h)) ||
	    (o[3].end != KT_FRAME_TOO_LARGE && (o[3].end != o[1].end || o[3].n != o[1].n))) {
		fprintf(stderr, "fuzz_control_framing: limited: %zu values, end %d; unlimited: %zu values, end %d\n",
			o[3].n, o[3].end, o[1].n, o[1].end);
		abort();
	}
	for (int i = 0; i < 4; i++)
		free(o[i].h);
	return 0;
}
