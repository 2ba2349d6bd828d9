/*
 * main_nvmf_identify.c - nvmf_identify: connects to an NVMe/TCP subsystem
 * as a given host, enables the controller and prints what Identify says of
 * it and of one namespace, one "key=value" line each, for shell tests that
 * need a real connection (tests/integration/test_configfs.sh: what a tree
 * written through kato-configfs serves).
 *
 *   nvmf_identify -a ADDR -s PORT -n SUBNQN [-q HOSTNQN] [-N NSID]
 *
 * Prints subnqn= and cntlid=, then with -N nsze=, lba_size=, uuid= and
 * nguid= (from the namespace identification descriptors). Exit status: 0,
 * 1 the connection or a command was refused (the reason on stderr), 64
 * usage.
 */
#include <endian.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tests/host/host.h"

static void hex_id(const uint8_t *b, bool uuid)
{
	for (int i = 0; i < 16; i++)
		printf("%s%02x", uuid && (i == 4 || i == 6 || i == 8 || i == 10) ? "-" : "", b[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	struct kh_opts o = { 0 };
	const char *addr = NULL;
	uint16_t port = 4420;
	uint32_t nsid = 0;
	int c;
	while ((c = getopt(argc, argv, "a:s:n:q:N:")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 's': port = (uint16_t)strtoul(optarg, NULL, 10); break;
		case 'n': o.subnqn = optarg; break;
		case 'q': o.hostnqn = optarg; break;
		case 'N': nsid = (uint32_t)strtoul(optarg, NULL, 10); break;
		default: goto usage;
		}
	}
	if (!addr || !o.subnqn || optind != argc)
		goto usage;
	struct kh_host *h = NULL;
	int r = kh_admin_up(&h, addr, port, &o);
	if (r != 0) {
		fprintf(stderr, "nvmf_identify: connect to %s:%u %s: %d %s\n", addr, port, o.subnqn, r,
			h ? kh_errmsg(h) : "");
		if (h)
			kh_close(h);
		return 1;
	}
	struct nvme_id_ctrl id;
	if ((r = kh_identify_ctrl(h, &id)) != 0) {
		fprintf(stderr, "nvmf_identify: Identify Controller: %d\n", r);
		kh_close(h);
		return 1;
	}
	printf("subnqn=%.*s\n", (int)strnlen(id.subnqn, sizeof(id.subnqn)), id.subnqn);
	printf("cntlid=%u\n", kh_cntlid(h));
	if (nsid) {
		struct nvme_id_ns ns;
		static uint8_t desc[4096];
		if ((r = kh_identify_ns(h, nsid, &ns)) != 0 ||
		    (r = kh_identify(h, NVME_IDENTIFY_CNS_NS_DESC_LIST, nsid, 0, desc)) != 0) {
			fprintf(stderr, "nvmf_identify: Identify namespace %u: %d\n", nsid, r);
			kh_close(h);
			return 1;
		}
		printf("nsze=%llu\n", (unsigned long long)le64toh(ns.nsze));
		printf("lba_size=%u\n", kh_id_ns_lba_size(&ns));
		/* descriptors: NIDT, NIDL, 2 reserved, NIDL bytes; NIDT 0 ends */
		for (size_t off = 0; off + 4 <= sizeof(desc) && desc[off];) {
			uint8_t t = desc[off], l = desc[off + 1];
			if (off + 4 + l > sizeof(desc))
				break;
			if ((t == NVME_NIDT_UUID || t == NVME_NIDT_NGUID) && l == 16) {
				printf("%s=", t == NVME_NIDT_UUID ? "uuid" : "nguid");
				hex_id(desc + off + 4, true);
			}
			off += 4 + (size_t)l;
		}
	}
	kh_close(h);
	return 0;
usage:
	fprintf(stderr, "Usage: nvmf_identify -a ADDR -s PORT -n SUBNQN [-q HOSTNQN] [-N NSID]\n");
	return 64;
}
