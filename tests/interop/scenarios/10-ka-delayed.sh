#!/bin/bash
# Why this exists: a target whose Keep Alive completions come back later than the host's KATO (or
# never: 11-ka-dropped.sh runs this with KA_MODE=drop; or with an error: 18-ka-failed.sh, fail; or
# a target that expires the controller early: 19-ka-early-expiry.sh, early) must make the Linux
# host give up on that controller and recover by itself: reconnect to a new controller, resume the
# I/O it had in flight, and find its data intact. katod's keep-alive policy misbehaves for the
# first controller only (cntlid 10 of the subsystem's two, 10 and 11), so the reconnect is healthy.
# TBKAS is off so that the host sends Keep Alive even while I/O flows. For delay and drop,
# controller 10 never expires on katod's side ("expire": "never"): the Linux host's own Keep Alive
# timeout (the command times out after KATO; the host sends the next Keep Alive only once one
# completes, so no later Keep Alive would re-arm katod's timer either) must be what ends the
# association. Without "never" both sides hit the same deadline and race (seen: katod's expiry 8 ms
# first). fail and early are set live (katoctl) once the controller is connected and written to:
# a failed Keep Alive stops the Linux host's keep-alive work, and katod's own expiry ends it.
# Each run records, for the host-behaviour table (tests/interop/host-table): when the host first
# reacted after the fault, when it started its recovery, how long it took from the old association's
# end to the new controller's Connect, and whether I/O resumed with no error.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:ka-misbehave
KA_MODE=${KA_MODE:-delay}
KATO=${KATO:-5}
RDELAY=2
BAD_CNTLID=10
KATOCTL=${KATOCTL:-${KATO_BUILD:-/kato/build}/katoctl}
SOCK=/run/katod-interop.sock
LIVE_RULE=()
case $KA_MODE in
    delay) RULE=", \"expire\": \"never\", \"delay_ms\": $((KATO * 1000 * 3))" ;;
    drop) RULE=', "expire": "never", "drop": true' ;;
    # Internal Error, not DNR: the host may retry what it likes.
    fail) RULE="" LIVE_RULE=(--status 6) ;;
    # A quarter of KATO: the host, sending every KATO/2, is always too late.
    early) RULE="" LIVE_RULE=(--expire 0.25) ;;
    *) echo "unknown KA_MODE $KA_MODE"; exit 2 ;;
esac
TRACE="$RES/trace.jsonl"
POLICY=""
[[ -n "$RULE" ]] && POLICY=", \"policy\": [ { \"cntlid\": $BAD_CNTLID$RULE } ]"
katod_config_one "$NQN" '{ "backend": "ram", "size": "64M" }' \
    "{ \"control_socket\": \"$SOCK\", \"keepalive\": { \"tbkas\": false, \"trace\": \"$TRACE\"$POLICY } }" \
    "\"cntlid_min\": \"$BAD_CNTLID\", \"cntlid_max\": \"11\""

FIO_PID=""
KMARK=0
DMARK=0
T_CONN=""

t_katod_up() { katod_start; }

t_connect() {
    # katod hands out the subsystem's ids 10 and 11 in turn: connect until the host has 10.
    for _ in 1 2 3; do
        connect $NQN --keep-alive-tmo $KATO --ctrl-loss-tmo 60 --reconnect-delay $RDELAY || return 1
        [[ "$(ctrl_attr cntlid)" == "$BAD_CNTLID" ]] && break
        echo "cntlid $(ctrl_attr cntlid), not $BAD_CNTLID: again"
        disconnect $NQN || return 1
    done
    [[ "$(ctrl_attr cntlid)" == "$BAD_CNTLID" ]] ||
        { echo "the host never got cntlid $BAD_CNTLID"; return 1; }
    KMARK=$(klog_mark); DMARK=$(dmesg_mark)
    T_CONN=$EPOCHREALTIME
    # A known pattern in the first 16 MiB, to read back after the recovery (it may be caught by
    # the recovery itself: the multipath head requeues it).
    dd if=/dev/urandom of=/tmp/base bs=1M count=16 status=none
    run dd if=/tmp/base of="$NSDEV" bs=1M oflag=direct status=none || return 1
    if [[ ${#LIVE_RULE[@]} -gt 0 ]]; then
        run "$KATOCTL" -s "$SOCK" keepalive policy set --cntlid $BAD_CNTLID "${LIVE_RULE[@]}" || return 1
    fi
}

host_noticed() { find_ctrl $NQN && [[ "$(ctrl_state)" != live || "$(ctrl_attr cntlid)" != "$BAD_CNTLID" ]]; }
new_ctrl_live() { is_live $NQN ns && [[ "$(ctrl_attr cntlid)" != "$BAD_CNTLID" ]]; }

# Verified writes run while the host's Keep Alive goes unanswered (within KATO), it times out,
# tears the association down and reconnects to a healthy controller.
t_recover() {
    fio_run ka-$KA_MODE --filename="$NSDEV" --rw=randwrite --bs=4k --offset=16M --size=32M --iodepth=16 \
        --time_based --runtime=45 --verify=crc32c --verify_backlog=512 >"$RES/fio-ka.out" 2>&1 &
    FIO_PID=$!
    wait_for 90 "the host leaving controller $BAD_CNTLID" host_noticed || return 1
    echo "host left controller $BAD_CNTLID ($(ctrl_state)) $(since "$T_CONN") s after connect"
    wait_for 120 "a new live controller" new_ctrl_live || return 1
    find_ctrl $NQN
    echo "host live again on $CTRL cntlid $(ctrl_attr cntlid) $(since "$T_CONN") s after connect"
    dmesg_since "$DMARK" | grep -iE 'keep|timeout|recovery|reconnect' | tee "$RES/recover.dmesg"
    expect "$RES/recover.dmesg" "[Ss]uccessfully reconnected" "the host's reconnect message" || return 1
    grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep -E '"event":"(policy|expiry|teardown)"' | head -8
    case $KA_MODE in
    delay|drop)
        # 6.1: "queue 0: timeout request 0x.. type 4"; 6.12 and later: "I/O tag N (..) type 4
        # opcode 0x18 (Admin Cmd) QID 0 timeout".
        expect "$RES/recover.dmesg" "queue 0: timeout request|opcode 0x18 \\(Admin Cmd\\) QID 0 timeout" \
            "the host's admin-queue (Keep Alive) timeout" || return 1
        grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep '"event":"policy"' | grep -q "\"action\":\"$KA_MODE" ||
            { echo "no policy $KA_MODE event for cntlid $BAD_CNTLID in the trace"; return 1; }
        # The host, not katod, ended the association.
        if grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep -q '"event":"expiry"'; then
            echo "katod expired controller $BAD_CNTLID despite \"expire\": \"never\""; return 1
        fi ;;
    fail)
        grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep '"event":"policy"' | grep -q '"action":"status' ||
            { echo "no failed Keep Alive (policy status) for cntlid $BAD_CNTLID in the trace"; return 1; } ;;
    early)
        grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep -q '"event":"expiry"' ||
            { echo "katod never expired controller $BAD_CNTLID early"; return 1; } ;;
    esac
    klog_since "$KMARK" | grep -v ' debug: ' | grep -iE "keep|ctrl $BAD_CNTLID" | head -10
    measure_recovery
}

# The host-behaviour figures of this fault, from the trace (katod's clock) and dmesg (calibrated):
# fault = the first faulted Keep Alive (policy event) or, for early, katod's expiry; detect = the
# host's first nvme message after it; reset = its first error-recovery or reset message; reconnect =
# from the old association's end (katod's teardown of controller 10) to the next admin Connect.
measure_recovery() {
    local b="\"cntlid\":$BAD_CNTLID," t_fault t_end t_conn d r
    case $KA_MODE in
        early) t_fault=$(trace_first "$TRACE" "$b" '"event":"expiry"') ;;
        fail) t_fault=$(trace_first "$TRACE" "$b" '"event":"policy"' '"action":"status"') ;;
        *) t_fault=$(trace_first "$TRACE" "$b" '"event":"policy"' "\"action\":\"$KA_MODE\"") ;;
    esac
    # The host's messages are looked for from 0.1 s before the fault: katod stamps its event after
    # sending the completion, and the two clocks agree only to ~10 ms (kclock_calibrate).
    local nb; nb=$(awk -v t="${t_fault:-0}" 'BEGIN { printf "%.3f", t - 0.1 }')
    t_end=$(trace_first "$TRACE" "$b" '"event":"teardown"')
    t_conn=$(grep '"event":"connect"' "$TRACE" | grep -v "$b" |
             awk -v e="$t_end" '{ t = $0; sub(/.*"mono_us":/, "", t); sub(/[^0-9].*/, "", t); t /= 1e6
                                  if (e != "" && t > e) { printf "%.3f\n", t; exit } }')
    d=$(dmesg_first "$DMARK" 'nvme nvme[0-9]+: ' "$nb")
    r=$(dmesg_first "$DMARK" 'nvme nvme[0-9]+: .*([Rr]ecovery|[Rr]esetting|reset)' "$nb")
    local t_det="" msg="" t_reset=""
    [[ -n "$d" ]] && { t_det=${d%%$'\t'*}; msg=${d#*$'\t'}; }
    [[ -n "$r" ]] && t_reset=${r%%$'\t'*}
    measure fault_mode "$KA_MODE"
    measure kato_s "$KATO"
    measure detect_s "$(secs_between "$t_fault" "$t_det")"
    measure detect_msg "${msg#nvme nvme[0-9]*: }"
    measure reset_s "$(secs_between "$t_fault" "$t_reset")"
    measure reconnect_s "$(secs_between "$t_end" "$t_conn")"
    measure reconnect_delay_opt "$RDELAY"
}

t_data() {
    [[ -n "$FIO_PID" ]] || { echo "fio never started"; return 1; }
    local st=0; wait "$FIO_PID" || st=$?
    FIO_PID=""
    cat "$RES/fio-ka.out"
    # fio_run's status already says fio ended with err=0 in every job.
    if [[ $st -eq 0 ]]; then
        measure io_resumed yes
    else
        measure io_resumed "no (fio status $st)"
    fi
    [[ $st -eq 0 ]] || return 1
    dd if="$NSDEV" of=/tmp/base.read bs=1M count=16 iflag=direct status=none || return 1
    cmp /tmp/base /tmp/base.read || { echo "the first 16 MiB differ after the recovery"; return 1; }
    echo "the 16 MiB written before the recovery read back intact"
    # The late (or never sent) completions of the dead controller harmed nobody: katod still
    # serves, and the new controller gets its Keep Alives answered.
    sleep $((KATO + 1))
    find_ctrl $NQN
    local c; c=$(ctrl_attr cntlid)
    grep "\"cntlid\":$c," "$TRACE" | grep '"event":"keep_alive"' | tail -2
    grep "\"cntlid\":$c," "$TRACE" | grep -q '"event":"keep_alive"' ||
        { echo "no Keep Alive traced for the new controller $c"; return 1; }
    [[ "$(ctrl_state)" == live ]] || { echo "controller $CTRL is $(ctrl_state)"; return 1; }
    disconnect $NQN
}

begin
step katod-start t_katod_up
step connect-kato-$KATO t_connect
if [[ -n "$NSDEV" ]]; then
    step ka-$KA_MODE-host-recovers t_recover
    step io-resumes-data-intact t_data
fi
finish
