#!/bin/bash
# Why this exists: a target whose Keep Alive completions come back later than the host's KATO (or
# never: 11-ka-dropped.sh runs this with KA_MODE=drop) must make the Linux host give up on that
# controller and recover by itself: reconnect to a new controller, resume the I/O it had in flight,
# and find its data intact. katod's keep-alive policy delays (drops) the completions of the first
# controller only (cntlid 10 of the subsystem's two, 10 and 11), so the reconnect is healthy.
# TBKAS is off so that the host sends Keep Alive even while I/O flows, and controller 10 never
# expires on katod's side ("expire": "never"): the Linux host's own Keep Alive timeout (the command
# times out after KATO; 6.1 sends the next Keep Alive only once one completes, so no later Keep
# Alive would re-arm katod's timer either) must be what ends the association. Without "never" both
# sides hit the same deadline and race (seen: katod's expiry 8 ms first).
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:ka-misbehave
KA_MODE=${KA_MODE:-delay}
KATO=${KATO:-5}
RDELAY=2
BAD_CNTLID=10
if [[ $KA_MODE == drop ]]; then
    RULE='"drop": true'
else
    RULE="\"delay_ms\": $((KATO * 1000 * 3))"
fi
TRACE="$RES/trace.jsonl"
katod_config_one "$NQN" '{ "backend": "ram", "size": "64M" }' \
    "{ \"keepalive\": { \"tbkas\": false, \"trace\": \"$TRACE\",
                    \"policy\": [ { \"cntlid\": $BAD_CNTLID, \"expire\": \"never\", $RULE } ] } }" \
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
    run dd if=/tmp/base of="$NSDEV" bs=1M oflag=direct status=none
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
    expect "$RES/recover.dmesg" "queue 0: timeout request" "the host's admin-queue (Keep Alive) timeout" || return 1
    grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep -E '"event":"(policy|expiry|teardown)"' | head -8
    grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep '"event":"policy"' | grep -q "\"action\":\"$KA_MODE" ||
        { echo "no policy $KA_MODE event for cntlid $BAD_CNTLID in the trace"; return 1; }
    # The host, not katod, ended the association.
    if grep "\"cntlid\":$BAD_CNTLID," "$TRACE" | grep -q '"event":"expiry"'; then
        echo "katod expired controller $BAD_CNTLID despite \"expire\": \"never\""; return 1
    fi
    klog_since "$KMARK" | grep -v ' debug: ' | grep -iE "keep|ctrl $BAD_CNTLID" | head -10
}

t_data() {
    [[ -n "$FIO_PID" ]] || { echo "fio never started"; return 1; }
    local st=0; wait "$FIO_PID" || st=$?
    FIO_PID=""
    cat "$RES/fio-ka.out"
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
