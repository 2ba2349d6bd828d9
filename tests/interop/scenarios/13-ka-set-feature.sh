#!/bin/bash
# Why this exists: `nvme set-feature -f 0x0f --value=N` changes the Keep Alive Timer of a live
# association. katod must take the new KATO at once (trace set_kato, Get Features, its expiry
# deadline) and the Linux host should move its Keep Alive period with it (kernel commit
# b58da2d270db, "nvme: update keep alive timer when kato is modified by Set Features Command").
# TBKAS is off, so the idle host's period is KATO/2 and the trace's intervals show it directly.
# Then katod refuses the next Set Features KATO (policy refuse_set_kato, set live): nvme-cli must
# report the error and neither side's KATO may change. Both results go to the host-behaviour table.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:ka-set-feature
KATO1=${KATO1:-4}    # seconds, at connect
KATO2=${KATO2:-10}   # seconds, set live (longer: a host that kept the old period stays safe)
IDLE=${IDLE:-30}
TRACE="$RES/trace.jsonl"
KATOCTL=${KATOCTL:-${KATO_BUILD:-/kato/build}/katoctl}
SOCK=/run/katod-interop.sock
katod_config_one "$NQN" '{ "backend": "null", "size": "64M" }' \
    "{ \"control_socket\": \"$SOCK\", \"keepalive\": { \"tbkas\": false, \"trace\": \"$TRACE\" } }"
DMARK=0

CNTLID=""

# The Keep Alive timestamps (µs) of controller $CNTLID after mono_us $1, as intervals in ms.
ka_intervals_after() {
    grep '"event":"keep_alive"' "$TRACE" | grep "\"cntlid\":$CNTLID," |
        sed 's/.*"mono_us":\([0-9]*\).*/\1/' |
        awk -v t="$1" '$1 > t { if (n++) printf "%d\n", ($1 - p) / 1000; p = $1 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }
last_us() { tail -1 "$TRACE" | sed 's/.*"mono_us":\([0-9]*\).*/\1/'; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a > b * 0.85 && a < b * 1.15) }'; }

t_katod_up() { katod_start; }

t_connect() {
    connect $NQN --keep-alive-tmo $KATO1 || return 1
    CNTLID=$(ctrl_attr cntlid)
    run nvme get-feature "/dev/$CTRL" -f 0x0f -H | tee "$RES/gf1.txt"
    expect "$RES/gf1.txt" "$((KATO1 * 1000))" "Get Features KATO $((KATO1 * 1000)) ms" || return 1
    local t; t=$(last_us)
    sleep "$IDLE"
    local iv; iv=$(ka_intervals_after "$t")
    echo "KATO $KATO1 s: intervals (ms): $(echo $iv); median $(echo "$iv" | median)"
    near "$(echo "$iv" | median)" $((KATO1 * 500)) || { echo "the period is not KATO/2 = $((KATO1 * 500)) ms"; return 1; }
    measure sf_before_ms "$(echo "$iv" | median)"
    measure sf_kato1_s "$KATO1"
}

t_set() {
    local t; t=$(last_us)
    DMARK=$(dmesg_mark)
    run nvme set-feature "/dev/$CTRL" -f 0x0f --value=$((KATO2 * 1000)) | tee "$RES/sf.txt" || return 1
    grep '"event":"set_kato"' "$TRACE" | tail -1 | tee "$RES/set_kato.trace"
    expect "$RES/set_kato.trace" "\"requested_ms\":$((KATO2 * 1000)),\"kato_ms\":$((KATO2 * 1000)),\"status\":0" \
        "katod's set_kato event with $((KATO2 * 1000)) ms" || return 1
    run nvme get-feature "/dev/$CTRL" -f 0x0f -H | tee "$RES/gf2.txt"
    expect "$RES/gf2.txt" "$((KATO2 * 1000))" "Get Features KATO $((KATO2 * 1000)) ms" || return 1
    echo "host sysfs kato: $(ctrl_attr kato)"
    sleep $((IDLE + KATO2))
    local iv; iv=$(ka_intervals_after "$t")
    # The first interval straddles the change; the rest are the host's new period.
    local rest; rest=$(echo "$iv" | tail -n +2)
    echo "after Set Features KATO $KATO2 s: intervals (ms): $(echo $iv); median of all but the first $(echo "$rest" | median)"
    echo "host sysfs kato now: $(ctrl_attr kato)"
    local upd; upd=$(dmesg_since "$DMARK" | grep -m1 'keep alive interval updated' | sed 's/^\[ *[0-9.]*\] *//; s/^nvme nvme[0-9]*: //')
    echo "host: ${upd:-no 'keep alive interval updated' message}"
    measure sf_kato2_s "$KATO2"
    measure sf_after_ms "$(echo "$rest" | median)"
    measure sf_host_kato_s "$(ctrl_attr kato)"
    measure sf_dmesg "${upd:-none}"
    [[ "$(ctrl_state)" == live && "$(ctrl_attr cntlid)" == "$CNTLID" ]] || { echo "controller $CTRL $(ctrl_state)"; return 1; }
    grep -q '"event":"expiry"' "$TRACE" && { echo "katod expired the controller"; return 1; }
    if [[ "${HOST_FOLLOWS:-1}" == 1 ]]; then
        [[ "$(ctrl_attr kato)" == "$KATO2" ]] || { echo "the host's kato stayed $(ctrl_attr kato)"; return 1; }
        near "$(echo "$rest" | median)" $((KATO2 * 500)) || { echo "the host's period is not KATO/2 = $((KATO2 * 500)) ms"; return 1; }
    fi
}

# katod refuses Set Features KATO (Invalid Field in Command) from now on: nvme-cli must fail, and
# neither katod's KATO nor the host's (sysfs, and its period) may move.
t_refused() {
    run "$KATOCTL" -s "$SOCK" keepalive policy set --cntlid "$CNTLID" --refuse-set-kato || return 1
    local t before; t=$(last_us); before=$(ctrl_attr kato)
    DMARK=$(dmesg_mark)
    local st=0
    run nvme set-feature "/dev/$CTRL" -f 0x0f --value=$((KATO1 * 1000)) >"$RES/sf-refused.txt" 2>&1 || st=$?
    cat "$RES/sf-refused.txt"
    [[ $st -ne 0 ]] || { echo "nvme set-feature succeeded although katod refuses it"; return 1; }
    grep '"event":"set_kato"' "$TRACE" | tail -1 | tee "$RES/set_kato-refused.trace"
    refute "$RES/set_kato-refused.trace" '"status":0[,}]' "a successful set_kato" || return 1
    sleep $((KATO2 + 2))
    local iv; iv=$(ka_intervals_after "$t")
    echo "after the refused Set Features: intervals (ms): $(echo $iv); host sysfs kato $(ctrl_attr kato)"
    local upd; upd=$(dmesg_since "$DMARK" | grep -m1 'keep alive interval updated' | sed 's/^\[ *[0-9.]*\] *//; s/^nvme nvme[0-9]*: //')
    # nvme-cli's status line without its explanation: "NVMe status: Invalid Field in Command".
    measure sf_refused_cli "$(grep -m1 '^NVMe status' "$RES/sf-refused.txt" | sed 's/^\(NVMe status: [^:(]*\)[:(].*/\1/')"
    measure sf_refused_host_kato_s "$(ctrl_attr kato)"
    measure sf_refused_after_ms "$(echo "$iv" | median)"
    measure sf_refused_dmesg "${upd:-none}"
    [[ "$(ctrl_attr kato)" == "$before" ]] || { echo "the host's kato moved from $before to $(ctrl_attr kato)"; return 1; }
    [[ "$(ctrl_state)" == live && "$(ctrl_attr cntlid)" == "$CNTLID" ]] || { echo "controller $CTRL $(ctrl_state)"; return 1; }
    grep -q '"event":"expiry"' "$TRACE" && { echo "katod expired the controller"; return 1; }
    disconnect $NQN
}

begin
step katod-start t_katod_up
step connect-kato-$KATO1 t_connect
[[ -n "$CNTLID" ]] && step set-feature-kato-$KATO2 t_set
[[ -n "$CNTLID" ]] && step set-feature-refused t_refused
finish
