#!/bin/bash
# Why this exists: a persistent discovery controller (`nvme discover -p` with a KATO) lives as long
# as the host wants it, kept alive only by Keep Alive: katod must keep it up for 5 minutes of idle
# (well past its 120 s discovery activity timeout, which applies to KATO 0 only), the host must see
# no timeout, and at the end it must still answer a discover through it.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

WKD=nqn.2014-08.org.nvmexpress.discovery
NQN=nqn.2026-11.io.kato:ka-pdc
KATO=${KATO:-10}
IDLE=${IDLE:-300}
TRACE="$RES/trace.jsonl"
KATOD_PORTS=("$PORT" "$DPORT")
katod_config <<JSON
{
  "katod": { "keepalive": { "trace": "$TRACE" } },
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN" ] },
    { "portid": 2, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$DPORT" },
      "subsystems": [] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "null", "size": "16M" } } ] }
  ]
}
JSON

CNTLID=""

t_katod_up() { katod_start; }

t_discover() {
    run nvme discover -t tcp -a $ADDR -s $DPORT -p -k $KATO >"$RES/discover.txt" 2>&1; local st=$?
    cat "$RES/discover.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/discover.txt" "subnqn: *$NQN" "the subsystem listed" || return 1
    wait_for 30 "a live discovery controller" is_live $WKD || return 1
    grep -H . /sys/class/nvme/"$CTRL"/{cntrltype,subsysnqn,kato,state,cntlid}
    [[ "$(ctrl_attr cntrltype)" == discovery && "$(ctrl_attr kato)" == "$KATO" ]] ||
        { echo "not a discovery controller with KATO $KATO"; return 1; }
    CNTLID=$(ctrl_attr cntlid)
    grep '"event":"connect"' "$TRACE" | grep "\"cntlid\":$CNTLID," | tee "$RES/connect.trace"
    expect "$RES/connect.trace" "\"kato_ms\":$((KATO * 1000))" "katod's connect event with KATO $((KATO * 1000)) ms"
}

t_idle() {
    local k; k=$(klog_mark)
    local m; m=$(dmesg_mark)
    local t=$EPOCHREALTIME
    echo "idle for $IDLE s"
    ( while sleep 5; do echo "$(cut -d' ' -f1 /proc/uptime) $(cat /sys/class/nvme/"$CTRL"/state 2>&1)"; done ) \
        >"$RES/states" &
    local sampler=$!
    sleep "$IDLE"
    kill "$sampler"; wait "$sampler" 2>/dev/null
    echo "states sampled: $(cut -d' ' -f2 "$RES/states" | sort | uniq -c | tr '\n' ' ')"
    refute "$RES/states" " (connecting|resetting|deleting|dead|new|No such)" "the controller left the live state" || return 1
    find_ctrl $WKD || { echo "the persistent discovery controller is gone"; return 1; }
    [[ "$(ctrl_state)" == live && "$(ctrl_attr cntlid)" == "$CNTLID" ]] ||
        { echo "state $(ctrl_state), cntlid $(ctrl_attr cntlid) (was $CNTLID)"; return 1; }
    local n; n=$(grep '"event":"keep_alive"' "$TRACE" | grep -c "\"cntlid\":$CNTLID,")
    local iv; iv=$(grep '"event":"keep_alive"' "$TRACE" | grep "\"cntlid\":$CNTLID," |
        sed 's/.*"mono_us":\([0-9]*\).*/\1/' | awk 'NR > 1 { d = ($1 - p) / 1000; if (d > mx) mx = d } { p = $1 } END { printf "%d\n", mx }')
    echo "$n Keep Alives in $(since "$t") s; longest gap $iv ms (KATO $((KATO * 1000)) ms)"
    [[ $n -ge $((IDLE / KATO)) ]] || { echo "too few Keep Alives"; return 1; }
    [[ $iv -lt $((KATO * 1000)) ]] || { echo "a gap reached KATO"; return 1; }
    grep -E '"event":"(expiry|teardown)"' "$TRACE" | grep "\"cntlid\":$CNTLID," && { echo "katod ended it"; return 1; }
    klog_since "$k" >"$RES/idle.klog"
    refute "$RES/idle.klog" "keep-alive timeout|activity timeout|closed" "katod closed or expired something" || return 1
    dmesg_since "$m" >"$RES/idle.dmesg"
    refute "$RES/idle.dmesg" "[Kk]eep [Aa]live|error recovery|[Rr]econnect|timeout" "host-side keep-alive trouble" || return 1
    return 0
}

t_still_answers() {
    run nvme discover -d "$CTRL" >"$RES/discover-d.txt" 2>&1; local st=$?
    cat "$RES/discover-d.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/discover-d.txt" "subnqn: *$NQN" "the subsystem listed through the persistent controller" || return 1
    run nvme disconnect -d "$CTRL" || return 1
    wait_gone $WKD
}

begin
step katod-start t_katod_up
step discover-persistent-kato-$KATO t_discover
if [[ -n "$CNTLID" ]]; then
    step idle-${IDLE}s t_idle
    step still-answers t_still_answers
fi
finish
