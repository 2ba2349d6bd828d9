/*
 * fault_names.c - the words of the fault rules (see faults.h): command
 * sets, opcode and fabrics command names, action kinds and named error
 * statuses. Kept apart from the decisions so that the JSON form (config/),
 * the control socket and the trace all read and write the same words, and
 * so that faults.c reads as the rules it applies.
 */
#include <errno.h>
#include <string.h>

#include "proto/faults.h"

static const char *const set_names[] = {
	[KT_FAULT_SET_ADMIN] = "admin",
	[KT_FAULT_SET_IO] = "io",
	[KT_FAULT_SET_FABRICS] = "fabrics",
};

const char *kt_fault_set_name(enum kt_fault_set s)
{
	return (unsigned)s < sizeof(set_names) / sizeof(set_names[0]) ? set_names[s] : NULL;
}

int kt_fault_set_lookup(const char *name, enum kt_fault_set *s)
{
	for (size_t i = 0; i < sizeof(set_names) / sizeof(set_names[0]); i++)
		if (!strcmp(name, set_names[i])) {
			*s = (enum kt_fault_set)i;
			return 0;
		}
	return -ENOENT;
}

/* Every name in exactly one set (kt_fault_opcode_lookup relies on it). */
static const struct opname {
	enum kt_fault_set set;
	uint8_t opcode;
	const char *name;
} opnames[] = {
	{ KT_FAULT_SET_IO, nvme_cmd_flush, "flush" },
	{ KT_FAULT_SET_IO, nvme_cmd_write, "write" },
	{ KT_FAULT_SET_IO, nvme_cmd_read, "read" },
	{ KT_FAULT_SET_IO, nvme_cmd_write_uncor, "write_uncorrectable" },
	{ KT_FAULT_SET_IO, nvme_cmd_compare, "compare" },
	{ KT_FAULT_SET_IO, nvme_cmd_write_zeroes, "write_zeroes" },
	{ KT_FAULT_SET_IO, nvme_cmd_dsm, "dsm" },
	{ KT_FAULT_SET_IO, nvme_cmd_verify, "verify" },
	{ KT_FAULT_SET_IO, nvme_cmd_resv_register, "resv_register" },
	{ KT_FAULT_SET_IO, nvme_cmd_resv_report, "resv_report" },
	{ KT_FAULT_SET_IO, nvme_cmd_resv_acquire, "resv_acquire" },
	{ KT_FAULT_SET_IO, nvme_cmd_resv_release, "resv_release" },
	{ KT_FAULT_SET_IO, nvme_cmd_copy, "copy" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_delete_sq, "delete_sq" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_create_sq, "create_sq" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_get_log_page, "get_log_page" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_delete_cq, "delete_cq" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_create_cq, "create_cq" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_identify, "identify" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_abort_cmd, "abort" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_set_features, "set_features" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_get_features, "get_features" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_async_event, "async_event" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_ns_mgmt, "ns_mgmt" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_fw_commit, "fw_commit" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_fw_download, "fw_download" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_dev_self_test, "dev_self_test" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_ns_attach, "ns_attach" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_keep_alive, "keep_alive" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_directive_send, "directive_send" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_directive_recv, "directive_recv" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_format_nvm, "format_nvm" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_security_send, "security_send" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_security_recv, "security_recv" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_sanitize_nvm, "sanitize" },
	{ KT_FAULT_SET_ADMIN, nvme_admin_get_lba_status, "get_lba_status" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_property_set, "property_set" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_connect, "connect" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_property_get, "property_get" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_auth_send, "auth_send" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_auth_receive, "auth_receive" },
	{ KT_FAULT_SET_FABRICS, nvme_fabrics_type_disconnect, "disconnect" },
};

#define N_OPNAMES (sizeof(opnames) / sizeof(opnames[0]))

const char *kt_fault_opcode_name(enum kt_fault_set s, uint8_t opcode)
{
	for (size_t i = 0; i < N_OPNAMES; i++)
		if (opnames[i].set == s && opnames[i].opcode == opcode)
			return opnames[i].name;
	return NULL;
}

int kt_fault_opcode_lookup(const char *name, enum kt_fault_set *s, uint8_t *opcode)
{
	for (size_t i = 0; i < N_OPNAMES; i++)
		if (!strcmp(opnames[i].name, name)) {
			*s = opnames[i].set;
			*opcode = opnames[i].opcode;
			return 0;
		}
	return -ENOENT;
}

static const char *const kind_names[] = {
	[KT_FAULT_DELAY] = "delay",
	[KT_FAULT_HOLD] = "hold",
	[KT_FAULT_STATUS] = "status",
	[KT_FAULT_CLOSE_BEFORE] = "close_before",
	[KT_FAULT_CLOSE_AFTER] = "close_after",
	[KT_FAULT_STALL_READS] = "stall_reads",
	[KT_FAULT_CORRUPT_DDGST] = "corrupt_data_digest",
};

const char *kt_fault_kind_name(enum kt_fault_kind k)
{
	return (unsigned)k < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[k] : NULL;
}

/* The error statuses a host's error handling tells apart, by the names
 * NVMe Base gives them (CRD, More and DNR are the rule's to add). */
static const struct stname {
	uint16_t status;
	const char *name;
} stnames[] = {
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_OPCODE, false), "invalid_opcode" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_FIELD, false), "invalid_field" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_DATA_XFER_ERROR, false), "data_transfer_error" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_POWER_LOSS, false), "power_loss" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INTERNAL, false), "internal_error" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORT_REQ, false), "abort_requested" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_ABORT_QUEUE, false), "aborted_sq_deletion" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_INVALID_NS, false), "invalid_namespace" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_NS_WRITE_PROTECTED, false), "namespace_write_protected" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CMD_INTERRUPTED, false), "command_interrupted" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_TRAN_TPORT_ERROR, false), "transient_transport_error" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_LBA_RANGE, false), "lba_out_of_range" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_CAP_EXCEEDED, false), "capacity_exceeded" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_NS_NOT_READY, false), "namespace_not_ready" },
	{ KT_STATUS(NVME_SCT_GENERIC, NVME_SC_RESERVATION_CONFLICT, false), "reservation_conflict" },
	{ KT_STATUS(NVME_SCT_MEDIA, NVME_SC_WRITE_FAULT, false), "write_fault" },
	{ KT_STATUS(NVME_SCT_MEDIA, NVME_SC_READ_ERROR, false), "unrecovered_read_error" },
	{ KT_STATUS(NVME_SCT_MEDIA, NVME_SC_COMPARE_FAILED, false), "compare_failure" },
	{ KT_STATUS(NVME_SCT_MEDIA, NVME_SC_ACCESS_DENIED, false), "access_denied" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INTERNAL_PATH_ERROR, false), "internal_path_error" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_PERSISTENT_LOSS, false), "ana_persistent_loss" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_INACCESSIBLE, false), "ana_inaccessible" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_ANA_TRANSITION, false), "ana_transition" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_CTRL_PATH_ERROR, false), "controller_path_error" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_HOST_PATH_ERROR, false), "host_path_error" },
	{ KT_STATUS(NVME_SCT_PATH, NVME_SC_CMD_ABORTED_BY_HOST, false), "aborted_by_host" },
};

#define N_STNAMES (sizeof(stnames) / sizeof(stnames[0]))
#define ST_CODE 0x07ffu /* SCT and SC: what a name stands for */

int kt_fault_status_lookup(const char *name, uint16_t *status)
{
	for (size_t i = 0; i < N_STNAMES; i++)
		if (!strcmp(stnames[i].name, name)) {
			*status = stnames[i].status;
			return 0;
		}
	return -ENOENT;
}

const char *kt_fault_status_name(uint16_t status)
{
	for (size_t i = 0; i < N_STNAMES; i++)
		if (stnames[i].status == (status & ST_CODE))
			return stnames[i].name;
	return NULL;
}
