#!/bin/bash
# Why this exists: how often does the Linux host send Keep Alive to katod on an idle controller,
# with and without Traffic Based Keep Alive advertised? katod's keep-alive trace timestamps every
# Keep Alive it receives; the intervals between them are the host's period. The spec leaves the
# period to the host (it must beat KATO); Linux uses KATO/2, and, since "nvme: double KA polling
# frequency to avoid KATO with TBKAS on", KATO/4 when TBKAS is on (a skipped Keep Alive may then
# postpone the next by two periods). The step asserts the period the running kernel should use and
# prints every interval measured.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:ka-interval
KATO=${KATO:-8}
IDLE=${IDLE:-40}
TRACE="$RES/trace.jsonl"

config() { # config true|false
    katod_config_one "$NQN" '{ "backend": "null", "size": "64M" }' "{ \"keepalive\": { \"tbkas\": $1, \"trace\": \"$TRACE\" } }"
}

# ka_intervals CNTLID: the intervals (ms) between the traced Keep Alives of that controller.
ka_intervals() {
    grep '"event":"keep_alive"' "$TRACE" | grep "\"cntlid\":$1," |
        sed 's/.*"mono_us":\([0-9]*\).*/\1/' |
        awk 'NR > 1 { printf "%d\n", ($1 - p) / 1000 } { p = $1 }'
}

# t_idle TBKAS EXPECTED_FRACTION_OF_KATO
t_idle() {
    local tbkas=$1 frac=$2
    : >"$TRACE"
    config "$tbkas"
    katod_start || return 1
    connect $NQN --keep-alive-tmo $KATO || return 1
    local cntlid; cntlid=$(ctrl_attr cntlid)
    grep '"event":"connect"' "$TRACE" | grep "\"cntlid\":$cntlid,"
    grep '"event":"connect"' "$TRACE" | grep "\"cntlid\":$cntlid," | grep -q "\"tbkas\":$tbkas" ||
        { echo "katod's connect event does not say tbkas $tbkas"; return 1; }
    echo "idle for $IDLE s (KATO $KATO s, TBKAS $tbkas)"
    sleep "$IDLE"
    local iv; iv=$(ka_intervals "$cntlid")
    echo "intervals between Keep Alives (ms): $(echo $iv)"
    echo "$iv" >"$RES/intervals-tbkas-$tbkas.txt"
    local n med; n=$(echo "$iv" | grep -c .)
    med=$(echo "$iv" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "$n intervals, median $med ms = $(awk -v m="$med" -v k="$KATO" 'BEGIN { printf "KATO/%.2f", k * 1000 / m }')"
    [[ $n -ge 4 ]] || { echo "too few Keep Alives"; return 1; }
    measure "interval_tbkas_${tbkas}_ms" "$med"
    measure kato_s "$KATO"
    local want; want=$(awk -v k="$KATO" -v f="$frac" 'BEGIN { printf "%d", k * 1000 * f }')
    # Every interval within 15 % of the expected period (timer slack of an emulated CPU).
    echo "$iv" | awk -v w="$want" '$1 < w * 0.85 || $1 > w * 1.15 { bad++ } END { exit bad > 0 }' ||
        { echo "intervals stray more than 15 % from $want ms"; return 1; }
    grep -q '"event":"expiry"' "$TRACE" && { echo "katod expired a controller"; return 1; }
    [[ "$(ctrl_state)" == live ]] || { echo "controller $CTRL is $(ctrl_state)"; return 1; }
    disconnect $NQN || return 1
    katod_stop
}

begin
step tbkas-on-idle t_idle true "${TBKAS_FRACTION:-0.25}"
cleanup_host
step tbkas-off-idle t_idle false 0.5
finish
