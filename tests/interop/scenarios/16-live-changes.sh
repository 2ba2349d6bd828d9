#!/bin/bash
# Why this exists: live changes (daemon/core/live.c) must reach the Linux host the way nvmet's do. With
# verified fio running on namespace 1, SIGHUP applies a rewritten configuration: a namespace added
# appears as a block device by itself (Namespace Attribute Changed notice, log 04h, rescan), one
# removed goes away, fio never sees an error; a port added is listed by discovery and accepts a
# connection, and goes away again; a bad file changes nothing.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:live
PORT2=4421
RUNTIME=${RUNTIME:-30}

# conf NSIDS [PORT2]: the configuration with ram namespaces NSIDS (64 MiB each), port 2 if asked.
conf() {
    local ns="" n p2=""
    for n in $1; do
        ns+="${ns:+, }{ \"nsid\": $n, \"device\": { \"backend\": \"ram\", \"size\": \"64M\" } }"
    done
    [[ -n "${2:-}" ]] && p2=", { \"portid\": 2, \"addr\": { \"trtype\": \"tcp\", \"adrfam\": \"ipv4\",
        \"traddr\": \"$ADDR\", \"trsvcid\": \"$2\" }, \"subsystems\": [ \"$NQN\" ] }"
    cat <<JSON
{
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN" ] }$p2
  ],
  "subsystems": [ { "nqn": "$NQN", "attr": { "allow_any_host": "1" }, "namespaces": [ $ns ] } ]
}
JSON
}

katod_config < <(conf 1)

# hup NSIDS [PORT2]: rewrite the file, SIGHUP, wait for katod's verdict.
hup() {
    local mark; mark=$(klog_mark)
    conf "$@" >"$KATOD_CONF"
    kill -HUP "$KPID"
    wait_for 20 "katod's reload line" eval "klog_since $mark | grep -q 'SIGHUP: reload'" || return 1
    klog_since "$mark" | grep -E 'SIGHUP|live change'
    klog_since "$mark" | grep -q 'SIGHUP: reloaded'
}

# The head block devices of the subsystem's namespaces, as NSIDs ("1 2").
host_nsids() {
    local s d out=()
    for s in /sys/class/nvme-subsystem/*; do
        [[ "$(cat "$s/subsysnqn" 2>/dev/null)" == "$NQN" ]] || continue
        for d in "$s"/nvme*n*; do
            d=$(basename "$d")
            [[ $d =~ ^nvme[0-9]+n([0-9]+)$ ]] && out+=("${BASH_REMATCH[1]}")
        done
    done
    echo "${out[*]}"
}
has_nsids() { [[ "$(host_nsids)" == "$1" ]]; }

t_katod_up() { katod_start; }
t_connect() {
    connect $NQN || return 1
    run nvme id-ctrl "/dev/$CTRL" | grep -E '^oaes'
}

t_fio_start() {
    fio --name=live --direct=1 --ioengine=libaio --verify_state_save=0 --filename="$NSDEV" \
        --rw=randwrite --bs=4k --size=32M --iodepth=8 --verify=crc32c --time_based \
        --runtime="$RUNTIME" >"$RES/fio-live.txt" 2>&1 &
    FIO=$!
    sleep 2
    kill -0 $FIO
}

t_ns_add() {
    hup "1 2" || return 1
    wait_for 30 "namespace 2 on the host" has_nsids "1 2" || { echo "host has: $(host_nsids)"; return 1; }
    echo "host namespaces: $(host_nsids)"
    local dev; dev=$(cd /sys/class/nvme-subsystem && ls -d */nvme*n2 | head -1); dev=/dev/${dev#*/}
    fio_run ns2 --filename="$dev" --rw=randwrite --bs=4k --size=8M --iodepth=4 --verify=crc32c
}

t_ns_remove() {
    hup "1" || return 1
    wait_for 30 "namespace 2 gone from the host" has_nsids "1" || { echo "host has: $(host_nsids)"; return 1; }
    echo "host namespaces: $(host_nsids)"
}

t_port_add() {
    hup "1" $PORT2 || return 1
    run nvme discover -t tcp -a $ADDR -s $PORT >"$RES/discover-live.txt" || return 1
    cat "$RES/discover-live.txt"
    expect "$RES/discover-live.txt" "trsvcid:[[:space:]]+$PORT2" "a log entry on port $PORT2" || return 1
    run nvme discover -t tcp -a $ADDR -s $PORT2 >/dev/null
}

t_port_remove() {
    hup "1" || return 1
    ! run nvme discover -t tcp -a $ADDR -s $PORT2 >/dev/null 2>&1
}

t_bad_file() {
    local mark; mark=$(klog_mark)
    echo '{ "ports": 1 }' >"$KATOD_CONF"
    kill -HUP "$KPID"
    wait_for 20 "katod's reload line" eval "klog_since $mark | grep -q 'SIGHUP: reload'" || return 1
    klog_since "$mark" | grep 'SIGHUP'
    klog_since "$mark" | grep -q 'SIGHUP: reload of .* failed, nothing changed: ports' || return 1
    has_nsids "1"
}

t_fio_end() {
    wait $FIO; local st=$?
    grep -E 'err=|IOPS|verify' "$RES/fio-live.txt" | head
    [[ $st -eq 0 ]] || return 1
    refute "$RES/fio-live.txt" "err= *[1-9]" "a fio error" || return 1
    expect "$RES/fio-live.txt" "err= *0" "fio err=0"
}

t_disconnect() { disconnect $NQN; }
t_stop() { katod_stop; }

begin
step katod-start t_katod_up
step connect t_connect
step fio-start t_fio_start
step namespace-added t_ns_add
step namespace-removed t_ns_remove
step port-added t_port_add
step port-removed t_port_remove
step bad-file-changes-nothing t_bad_file
step fio-verified t_fio_end
step disconnect t_disconnect
step katod-sigterm t_stop
finish
