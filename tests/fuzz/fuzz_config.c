/*
 * fuzz_config.c - libFuzzer harness for the configuration loader
 * (config/config.h). It exists to show that no text, however hostile, makes
 * kt_config_load_string read or write out of bounds, leak, or fail without
 * saying why, and that what the writer makes of a loaded configuration
 * loads again to the same thing.
 *
 * Input: the configuration text (seeds in tests/fuzz/corpus/fuzz_config/:
 * small nvmetcli and katod files). A NUL byte ends the text there, as a C
 * string does (the file loader refuses such files before parsing).
 *
 * For every input that loads, kt_config_to_json (katod --print-config) must
 * write a text that loads too, and writing that again must give the same
 * bytes. Nothing here touches a file: the loader reads the text only, and
 * namespace paths are not opened.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config/config.h"

/* The loader's promise on failure: a message, NUL-terminated inside err. */
static void check_refusal(const char *err, size_t errlen, const struct kt_config *cfg)
{
	if (cfg || !memchr(err, '\0', errlen) || !err[0])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	char *text = malloc(len + 1);
	if (!text)
		return 0;
	memcpy(text, in, len);
	text[len] = '\0';

	struct kt_config *cfg = (struct kt_config *)1; /* the loader must set it */
	char err[512];
	int r = kt_config_load_string(text, &cfg, err, sizeof(err));
	free(text);
	if (r) {
		check_refusal(err, sizeof(err), cfg);
		return 0;
	}
	if (!cfg)
		abort();

	/* the writer's text loads, and writes again to the same bytes */
	char *out = NULL, *again = NULL;
	struct kt_config *cfg2 = NULL;
	if (kt_config_to_json(cfg, &out) == 0) {
		if (kt_config_load_string(out, &cfg2, err, sizeof(err))) {
			fprintf(stderr, "fuzz_config: the writer's text does not load: %s\n%s", err, out);
			abort();
		}
		if (kt_config_to_json(cfg2, &again) == 0 && strcmp(out, again)) {
			fprintf(stderr, "fuzz_config: written twice, two texts:\n%s---\n%s", out, again);
			abort();
		}
	}
	free(again);
	free(out);
	kt_config_free(cfg2);
	kt_config_free(cfg);
	return 0;
}
