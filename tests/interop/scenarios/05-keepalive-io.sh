#!/bin/bash
# Why this exists: keep-alive must never fire while a healthy host is busy. The Linux host connects
# with --keep-alive-tmo 1 and then 5 and runs 60 s of verified random writes; neither side may time
# out, and the controller must be the same one, live throughout, at the end.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:keepalive
RUNTIME=${RUNTIME:-60}
katod_config_one "$NQN" '{ "backend": "ram", "size": "64M" }'

t_katod_up() { katod_start; }

t_kato_io() { # KATO in seconds
    local kato=$1
    local k; k=$(klog_mark)
    local m; m=$(dmesg_mark)
    connect $NQN --keep-alive-tmo "$kato" || return 1
    [[ "$(ctrl_attr kato)" == "$kato" ]] || { echo "the host's KATO is $(ctrl_attr kato), not $kato"; return 1; }
    klog_since "$k" | grep -F "I/O controller for $NQN" | tee "$RES/kato$kato.klog-connect"
    expect "$RES/kato$kato.klog-connect" "KATO $((kato * 1000)) ms" "katod's controller with KATO $((kato * 1000)) ms" || return 1
    local ctrl=$CTRL cntlid; cntlid=$(ctrl_attr cntlid)
    # Sample the controller's state every second while fio runs.
    ( while sleep 1; do echo "$(cut -d' ' -f1 /proc/uptime) $(cat /sys/class/nvme/"$ctrl"/state 2>&1)"; done ) \
        >"$RES/kato$kato.states" &
    local sampler=$!
    fio_run "kato$kato" --filename="$NSDEV" --rw=randwrite --bs=4k --numjobs=2 --size=32M \
        --offset_increment=32M --iodepth=16 --time_based --runtime="$RUNTIME" \
        --verify=crc32c --verify_backlog=1024 --group_reporting; local st=$?
    kill "$sampler"; wait "$sampler" 2>/dev/null
    [[ $st -eq 0 ]] || return 1
    echo "controller states sampled: $(sort -k2 "$RES/kato$kato.states" | cut -d' ' -f2 | uniq -c | tr '\n' ' ')"
    refute "$RES/kato$kato.states" " (connecting|resetting|deleting|dead|new)" "the controller left the live state" || return 1
    find_ctrl $NQN || { echo "the controller is gone"; return 1; }
    [[ "$CTRL" == "$ctrl" && "$(ctrl_attr cntlid)" == "$cntlid" && "$(ctrl_state)" == live ]] ||
        { echo "now $CTRL cntlid $(ctrl_attr cntlid) $(ctrl_state), was $ctrl cntlid $cntlid"; return 1; }
    klog_since "$k" | grep -v ' debug: ' >"$RES/kato$kato.klog"
    refute "$RES/kato$kato.klog" "keep-alive timeout" "katod's keep-alive expired" || return 1
    refute "$RES/kato$kato.klog" "closed" "a queue closed" || return 1
    dmesg_since "$m" >"$RES/kato$kato.dmesg"
    refute "$RES/kato$kato.dmesg" "[Kk]eep [Aa]live|error recovery|[Rr]econnect|timeout" "host-side keep-alive trouble" || return 1
    echo "KATO ${kato} s: ${RUNTIME} s of I/O, controller $CTRL (cntlid $cntlid) live throughout, no timeout on either side"
    disconnect $NQN
}

begin
step katod-start t_katod_up
step kato-1s-under-io t_kato_io 1
cleanup_host
step kato-5s-under-io t_kato_io 5
finish
