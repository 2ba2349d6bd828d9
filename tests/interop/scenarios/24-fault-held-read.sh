#!/bin/bash
# Why this exists: a command that never completes is how a host's timeout, reset and reconnect
# paths are tested, and hosts differ in what they do (the Linux TCP host sends no Abort: its
# nvme_tcp_timeout starts error recovery, resets the controller and reconnects; the request is
# retried on the new association). katod holds one Read on purpose (a fault rule: fire once), and
# this records what each kernel does and how long each step takes: the host's timeout message,
# error recovery, the new association's Connect, the Read's data. A status rule then answers
# Reads with Namespace Not Ready without DNR and the host must retry them to success (the rule
# fires for the first 3 only), as the spec's retry rules say.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:faults
KATOCTL=${KATOCTL:-${KATO_BUILD:-/kato/build}/katoctl}
SOCK=/run/katod-interop.sock
IO_TIMEOUT=5                  # the host's nvme_core.io_timeout for this test (seconds; default 30)

katod_config_one "$NQN" '{ "backend": "ram", "size": "64M" }' "{ \"control_socket\": \"$SOCK\" }"

kctl() { run "$KATOCTL" -s "$SOCK" "$@"; }

t_up() {
    katod_start || return 1
    echo "$IO_TIMEOUT" >/sys/module/nvme_core/parameters/io_timeout || return 1
    echo "host io_timeout $(cat /sys/module/nvme_core/parameters/io_timeout) s"
    connect "$NQN" --reconnect-delay=1 && blk_roundtrip 4
}

# The first Read of namespace 1 held for ever; the host's Read (dd, O_DIRECT) must still end
# with the data, after the host timed out, recovered and reconnected.
t_held_read() {
    local k d t0 st=0
    kctl faults add '{"name": "hold-one-read", "match": {"set": "io", "opcode": "read", "nsid": 1},
                      "action": {"hold": true}, "fire": {"first": 1}}' || return 1
    k=$(klog_mark); d=$(dmesg_mark)
    t0=$EPOCHREALTIME
    timeout 120 dd if="$NSDEV" of=/tmp/held.read bs=4k count=1 iflag=direct status=none || st=$?
    local took; took=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
    echo "dd: status $st after $took s"
    dmesg_since "$d" | grep -E "nvme|I/O" | head -8
    klog_since "$k" | grep -E "fault|I/O controller|closed" | head -8
    cmp -n 4096 /tmp/held.read /tmp/blk || { echo "the Read's data differs"; return 1; }
    klog_since "$k" | grep -q "hold-one-read" || { echo "katod logged no firing"; return 1; }
    # the times, for the record: the host's timeout message and its reconnect
    local tmo rec
    tmo=$(dmesg_since "$d" | grep -m1 -E "timeout|I/O tag" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
    rec=$(dmesg_since "$d" | grep -m1 -E "Successfully reconnected|reconnect" | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
    printf 'held_read_dd_s\t%s\n' "$took" >>"$RES/measure.tsv"
    [[ -n $tmo && -n $rec ]] && printf 'held_read_timeout_to_reconnect_s\t%s\n' \
        "$(awk -v a="$tmo" -v b="$rec" 'BEGIN { printf "%.1f", b - a }')" >>"$RES/measure.tsv"
    [[ $st -eq 0 ]] && wait_live "$NQN"
}

# Namespace Not Ready (SCT 0, SC 82h) without DNR for the first 3 Reads: retried, then served.
t_status_retried() {
    local k st=0
    kctl faults clear || return 1
    kctl faults add '{"name": "not-ready", "match": {"set": "io", "opcode": "read", "nsid": 1},
                      "action": {"status": {"sct": 0, "sc": 130, "dnr": false}}, "fire": {"first": 3}}' || return 1
    k=$(klog_mark)
    timeout 60 dd if="$NSDEV" of=/tmp/nr.read bs=4k count=1 iflag=direct status=none || st=$?
    echo "dd: status $st"
    kctl faults
    [[ $st -eq 0 ]] && cmp -n 4096 /tmp/nr.read /tmp/blk || return 1
    [[ $(klog_since "$k" | grep -c "not-ready") -ge 1 ]]
}

begin
step katod-start-connect t_up
step held-read-timeout-reset-reconnect t_held_read
step status-not-ready-retried t_status_retried
step disconnect eval 'disconnect "$NQN"'
finish
