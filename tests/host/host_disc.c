/*
 * host_disc.c - the test initiator's discovery helpers (see host.h): the
 * whole discovery log page read as a host reads it (header for the record
 * count, then header and records, again if the generation counter moved
 * between the two), and the page's space-padded string fields as C
 * strings. Discovery tests and tools share them instead of each reading
 * the page its own way.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/host/host.h"

#define DISC_HDR ((uint32_t)sizeof(struct nvmf_discovery_log)) /* 1024 */
#define DISC_MAX_RECORDS 1024u /* more is a broken page, not a big one */
#define DISC_TRIES 3

void kh_disc_str(char *out, const char *field, size_t n)
{
	memcpy(out, field, n);
	out[n] = 0;
	while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == 0))
		out[--n] = 0;
}

int kh_disc_log(struct kh_host *h, struct nvmf_discovery_log **out, uint64_t *numrec)
{
	struct nvmf_discovery_log *log = NULL;
	int rc = -EAGAIN;

	*out = NULL;
	for (int i = 0; i < DISC_TRIES; i++) {
		struct nvmf_discovery_log hdr;
		uint64_t n;
		uint32_t len;
		void *p;

		rc = kh_get_log(h, NVME_LOG_LID_DISCOVER, 0, 0, 0, &hdr, DISC_HDR);
		if (rc)
			break;
		n = le64toh(hdr.numrec);
		if (n > DISC_MAX_RECORDS) {
			rc = -EPROTO;
			break;
		}
		len = DISC_HDR + (uint32_t)n * (uint32_t)sizeof(struct nvmf_disc_log_entry);
		p = realloc(log, len);
		if (!p) {
			rc = -ENOMEM;
			break;
		}
		log = p;
		rc = kh_get_log(h, NVME_LOG_LID_DISCOVER, 0, 0, 0, log, len);
		if (rc)
			break;
		if (log->genctr == hdr.genctr && le64toh(log->numrec) == n) {
			*out = log;
			*numrec = n;
			return 0;
		}
		rc = -EAGAIN; /* the page changed between the reads */
	}
	free(log);
	return rc;
}
