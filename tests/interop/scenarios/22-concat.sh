#!/bin/bash
# Why this exists: secure channel concatenation (nvme connect --concat) is the Linux host's newest
# authentication path, and only a host of 6.15 or later has it: the admin queue connects without
# TLS and authenticates with DH-HMAC-CHAP asking for a new TLS PSK (SC_C NEWTLSPSK); both ends
# generate the PSK from that transaction; the host puts it in its .nvme keyring, connects the admin
# queue again over TLS with the identity NVMe1G<hh> (tlshd runs the handshake) and its I/O queues
# too. A controller reset revokes that key and does it all again with a new one. This is the judge
# of katod's side of it: SHA-256 with ffdhe2048 and SHA-384 with ffdhe3072 (blktests nvme/063's
# two cases), data through the encrypted queues, a new key after a reset, no key in katod's log.
# The kernel target in the same guest (nvmet with tlshd, as nvme/063 sets it up) is the reference:
# the host goes through the same steps against it, and both must agree.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

skip_on 6.1 -- "the host kernel has neither DH-HMAC-CHAP nor NVMe/TCP TLS"
skip_on 6.12 -- "the host kernel has no secure concatenation (nvme connect --concat: Linux 6.15 and later)"

NQN=nqn.2026-11.io.kato:concat
HOST=nqn.2014-08.org.nvmexpress:uuid:9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d
HOSTID=9a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d
HOST2=nqn.2014-08.org.nvmexpress:uuid:0b2c3d4e-5f6a-4b7c-9d8e-1f2a3b4c5d6e
HOSTID2=0b2c3d4e-5f6a-4b7c-9d8e-1f2a3b4c5d6e
KPORT=4421                    # the kernel target's port (katod is on $PORT)
NVMET=/sys/kernel/config/nvmet
KPORTID=2

KEY=$(nvme gen-dhchap-key --hmac=1 --nqn="$HOST")
KEY2=$(nvme gen-dhchap-key --hmac=2 --nqn="$HOST2")
for k in "$KEY" "$KEY2"; do
    [[ $k == DHHC-1:0[0-3]:*: ]] || { echo "nvme gen-dhchap-key gave '$k'"; exit 2; }
done

# TLS "not required": the first admin queue of a --concat host is plain NVMe/TCP (as blktests'
# _nvmet_target_setup --tls sets up the kernel target for nvme/063).
katod_config <<JSON
{
  "hosts": [ { "nqn": "$HOST", "dhchap": { "key": "$KEY", "hash": "hmac(sha256)", "dhgroup": "ffdhe2048" } },
             { "nqn": "$HOST2", "dhchap": { "key": "$KEY2", "hash": "hmac(sha384)", "dhgroup": "ffdhe3072" } } ],
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT",
                             "treq": "not required", "tsas": "tls1.3" },
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "0" }, "allowed_hosts": [ "$HOST", "$HOST2" ],
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "64M" } } ] }
  ]
}
JSON

# tlshd, which the kernel asks to run each handshake, finds the generated key in .nvme (the guest
# boots no systemd, so it is started here). The host needs no key of its own: --concat makes one.
t_tlshd() {
    grep -qw concat /dev/nvme-fabrics 2>/dev/null || [[ $(nvme connect --help 2>&1) == *concat* ]] ||
        { echo "nvme connect has no --concat"; return 1; }
    tlshd_start
}

t_katod_up() { katod_start; }

# concat_io HOST HOSTID KEY HASH GROUP HH: the host connects with --concat; katod logged the
# authentication with that hash and group and a generated PSK, then one TLS handshake with the
# identity NVMe1G<HH> for the admin queue and for each I/O queue; the host's controller has a
# TLS key; data goes through.
concat_io() {
    local host=$1 hostid=$2 key=$3 hash=$4 group=$5 hh=$6 k n want
    k=$(klog_mark)
    connect "$NQN" --hostnqn="$host" --hostid="$hostid" --dhchap-secret="$key" --concat || return 1
    klog_since "$k" | grep -E "authenticated|PSK generated|TLS 1.3" | head -4
    klog_since "$k" | grep -F "$host" | grep -qF "queue 0: authenticated ($hash, $group)" ||
        { echo "katod logged no $hash/$group authentication of the plain admin queue"; return 1; }
    klog_since "$k" | grep -F "$host" | grep -qF "TLS PSK generated for secure concatenation ($hash, new)" ||
        { echo "katod generated no PSK"; return 1; }
    want=$(( $(io_queues) + 1 ))
    n=$(klog_since "$k" | grep -c "TLS 1.3 .*PSK identity NVMe1G$hh host $host subsystem $NQN")
    echo "katod: $n TLS handshakes with a generated PSK (the controller has $want queues)"
    [[ $n -eq $want ]] || return 1
    echo "host: tls_key $(ctrl_attr tls_key)"
    [[ -n "$(ctrl_attr tls_key)" ]] || { echo "the host's controller has no TLS key"; return 1; }
    blk_roundtrip 16
}

t_sha256() { concat_io "$HOST" "$HOSTID" "$KEY" sha256 ffdhe2048 01; }

# nvme reset: the host revokes its generated key and starts over (plain admin queue, a new PSK)
t_reset() {
    local k old new
    old=$(ctrl_attr tls_key)
    k=$(klog_mark)
    run nvme reset /dev/"$CTRL" || return 1
    wait_live "$NQN" || return 1
    new=$(ctrl_attr tls_key)
    echo "tls_key before the reset: $old, after: $new"
    [[ -n "$new" && "$new" != "$old" ]] || { echo "the TLS key was not renegotiated"; return 1; }
    klog_since "$k" | grep -qF "TLS PSK generated for secure concatenation" ||
        { echo "katod generated no new PSK"; return 1; }
    blk_roundtrip 4 || return 1
    disconnect "$NQN"
}

t_sha384() { concat_io "$HOST2" "$HOSTID2" "$KEY2" sha384 ffdhe3072 02 && disconnect "$NQN"; }

# ---- the reference: the kernel target, same hosts, keys, hashes and groups ----

# nvmet: the same subsystem NQN on $KPORT, TLS 1.3 not required, both hosts with their keys, a
# file namespace (so that data reads back).
t_nvmet_up() {
    run modprobe nvmet || return 1
    run modprobe nvmet-tcp || return 1
    [[ -d $NVMET ]] || mount -t configfs configfs /sys/kernel/config
    [[ -d $NVMET ]] || { echo "no $NVMET (configfs)"; return 1; }
    truncate -s 64M /tmp/nvmet-concat.img
    local s=$NVMET/subsystems/$NQN p=$NVMET/ports/$KPORTID h
    mkdir "$s" && echo 0 >"$s/attr_allow_any_host" || return 1
    mkdir "$s/namespaces/1" && echo /tmp/nvmet-concat.img >"$s/namespaces/1/device_path" &&
        echo 1 >"$s/namespaces/1/enable" || return 1
    mkdir "$NVMET/hosts/$HOST" "$NVMET/hosts/$HOST2" || return 1
    echo "$KEY" >"$NVMET/hosts/$HOST/dhchap_key"; echo "hmac(sha256)" >"$NVMET/hosts/$HOST/dhchap_hash"
    echo ffdhe2048 >"$NVMET/hosts/$HOST/dhchap_dhgroup"
    echo "$KEY2" >"$NVMET/hosts/$HOST2/dhchap_key"; echo "hmac(sha384)" >"$NVMET/hosts/$HOST2/dhchap_hash"
    echo ffdhe3072 >"$NVMET/hosts/$HOST2/dhchap_dhgroup"
    for h in "$HOST" "$HOST2"; do ln -s "$NVMET/hosts/$h" "$s/allowed_hosts/$h" || return 1; done
    mkdir "$p" || return 1
    echo tcp >"$p/addr_trtype"; echo ipv4 >"$p/addr_adrfam"
    echo "$ADDR" >"$p/addr_traddr"; echo "$KPORT" >"$p/addr_trsvcid"
    echo tls1.3 >"$p/addr_tsas" || { echo "the kernel target has no TLS"; return 1; }
    echo "not required" >"$p/addr_treq"
    ln -s "$s" "$p/subsystems/$NQN" || return 1
    wait_for 10 "the kernel target listening on $KPORT" eval "ss -Hltn 'sport = :$KPORT' | grep -q ." || return 1
    grep -H . "$p"/addr_* "$s/attr_allow_any_host"
}

t_nvmet_down() {
    local s=$NVMET/subsystems/$NQN p=$NVMET/ports/$KPORTID h
    rm -f "$p/subsystems/$NQN"
    rmdir "$p" 2>/dev/null
    for h in "$HOST" "$HOST2"; do rm -f "$s/allowed_hosts/$h"; rmdir "$NVMET/hosts/$h" 2>/dev/null; done
    [[ -d "$s/namespaces/1" ]] && { echo 0 >"$s/namespaces/1/enable"; rmdir "$s/namespaces/1"; }
    rmdir "$s" 2>/dev/null
    rm -f /tmp/nvmet-concat.img
    [[ ! -e "$p" && ! -e "$s" ]] || { echo "configfs entries left"; return 1; }
}

# nvmet_case HOST HOSTID KEY [reset]: what the host sees of the kernel target: live over TLS with
# a generated key, data through, and after a reset a new key.
nvmet_case() {
    local host=$1 hostid=$2 key=$3 old new
    run nvme connect -t tcp -a $ADDR -s $KPORT -n "$NQN" --hostnqn="$host" --hostid="$hostid" \
        --dhchap-secret="$key" --concat || return 1
    wait_live "$NQN" || return 1
    old=$(ctrl_attr tls_key)
    echo "host: tls_key $old, $(io_queues) I/O queues"
    [[ -n "$old" ]] || { echo "the host's controller has no TLS key"; return 1; }
    blk_roundtrip 16 || return 1
    if [[ ${4:-} == reset ]]; then
        run nvme reset /dev/"$CTRL" || return 1
        wait_live "$NQN" || return 1
        new=$(ctrl_attr tls_key)
        echo "tls_key after the reset: $new"
        [[ -n "$new" && "$new" != "$old" ]] || { echo "the TLS key was not renegotiated"; return 1; }
        blk_roundtrip 4 || return 1
    fi
    disconnect "$NQN"
}

t_nvmet_sha256() { nvmet_case "$HOST" "$HOSTID" "$KEY" reset; }
t_nvmet_sha384() { nvmet_case "$HOST2" "$HOSTID2" "$KEY2"; }

t_no_secret_logged() { no_key_in_klog concatenation "$KEY" "$KEY2"; }

begin
trap 't_nvmet_down >/dev/null 2>&1; cleanup_host; [[ -n "$KPID" ]] && kill -TERM "$KPID" 2>/dev/null; [[ -n "$TLSHD_PID" ]] && kill "$TLSHD_PID" 2>/dev/null' EXIT
step tlshd t_tlshd
step katod-start t_katod_up
step concat-sha256-ffdhe2048-io t_sha256
step concat-reset-new-key t_reset
cleanup_host
step concat-sha384-ffdhe3072-io t_sha384
cleanup_host
step no-secret-in-katod-log t_no_secret_logged
step reference-nvmet-up t_nvmet_up
step reference-nvmet-sha256-reset t_nvmet_sha256
cleanup_host
step reference-nvmet-sha384 t_nvmet_sha384
cleanup_host
step reference-nvmet-down t_nvmet_down
finish
