#!/bin/bash
# Why this exists: when the network goes quiet for longer than KATO, katod must expire the
# controller (and say so), and the Linux host must recover by itself once the network is back:
# reconnect, resume the I/O it had in flight, and find its data intact. The "network" is the
# guest's loopback; the guest's firewall drops TCP to and from katod's port in between.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:expiry
KATO=${KATO:-2}
RDELAY=2
katod_config_one "$NQN" '{ "backend": "ram", "size": "64M" }'

FIO_PID=""
T_LIFT=""
KMARK=0
DMARK=0

t_katod_up() { katod_start; }

t_connect() {
    connect $NQN --keep-alive-tmo $KATO --ctrl-loss-tmo 60 --reconnect-delay $RDELAY || return 1
    # A known pattern in the first 16 MiB, to read back after the recovery.
    dd if=/dev/urandom of=/tmp/base bs=1M count=16 status=none
    run dd if=/tmp/base of="$NSDEV" bs=1M oflag=direct status=none
}

drop_on() {
    nft -f - <<NFT
table inet kato {
    chain out {
        type filter hook output priority 0;
        tcp dport $PORT counter drop comment "to-katod"
        tcp sport $PORT counter drop comment "from-katod"
    }
}
NFT
}
dropped() { nft list chain inet kato out 2>/dev/null | sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1\".*/\1/p"; }
expired() { klog_since "$KMARK" | grep -q "keep-alive timeout"; }
host_noticed() { find_ctrl $NQN && [[ "$(ctrl_state)" != live ]]; }

# Verified writes in the second 16-48 MiB run across the outage; then the firewall drops every
# packet to and from port $PORT until katod has expired the controller and the host has noticed.
t_drop() {
    fio_run outage --filename="$NSDEV" --rw=randwrite --bs=4k --offset=16M --size=32M --iodepth=16 \
        --time_based --runtime=45 --verify=crc32c --verify_backlog=512 >"$RES/fio-outage.out" 2>&1 &
    FIO_PID=$!
    sleep 3
    kill -0 "$FIO_PID" 2>/dev/null || { echo "fio ended before the outage"; cat "$RES/fio-outage.out"; return 1; }
    KMARK=$(klog_mark); DMARK=$(dmesg_mark)
    drop_on || { echo "nft set-up failed"; return 1; }
    local t0=$EPOCHREALTIME
    echo "dropping TCP port $PORT on lo (KATO ${KATO} s)"
    wait_for 60 "katod's keep-alive timeout" expired || return 1
    echo "katod expired the controller after $(since "$t0") s:"
    klog_since "$KMARK" | grep "keep-alive timeout"
    klog_since "$KMARK" | grep "keep-alive timeout" | grep -q "KATO $((KATO * 1000)) ms" ||
        { echo "the expiry does not name KATO $((KATO * 1000)) ms"; return 1; }
    wait_for 60 "the host leaving the live state" host_noticed || return 1
    echo "host controller $CTRL: $(ctrl_state) after $(since "$t0") s"
    echo "dropped: $(dropped to-katod) packets to katod, $(dropped from-katod) from katod"
    [[ $(dropped to-katod) -gt 0 ]] || { echo "nothing was dropped"; return 1; }
    local held; held=$(since "$t0")
    awk -v h="$held" -v k="$KATO" 'BEGIN { exit !(h > k) }' || { echo "the outage ($held s) was not longer than KATO"; return 1; }
    dmesg_since "$DMARK" | grep -iE 'keep|recovery|timeout' | head -5
    return 0
}

# The firewall lets traffic through again: the host reconnects to a new controller.
t_lift() {
    # Counted over the whole log, not from a mark: the new controller's line must be there however
    # the host's reconnect and the lift interleave (a mark taken here once missed it on 6.1).
    local n0; n0=$(grep -cF "I/O controller for $NQN" "$KLOG")
    nft delete table inet kato || return 1
    T_LIFT=$EPOCHREALTIME
    wait_live $NQN 120 || return 1
    echo "host live again $(since "$T_LIFT") s after the drop was lifted"
    wait_for 10 "katod logging the new controller" \
        eval '[[ $(grep -cF "I/O controller for $NQN" "$KLOG") -gt $n0 ]]' || true
    grep -F "I/O controller for $NQN" "$KLOG" | tail -n +$((n0 + 1)) | tee "$RES/reconnect.klog"
    expect "$RES/reconnect.klog" "I/O controller for $NQN" "a new controller in katod" || return 1
    dmesg_since "$DMARK" | grep -iE 'reconnect|recovery' | tee "$RES/reconnect.dmesg"
    expect "$RES/reconnect.dmesg" "[Ss]uccessfully reconnected" "the host's reconnect message"
}

# fio carried on after the reconnect with every block verified, and the pattern is intact.
t_data() {
    [[ -n "$FIO_PID" ]] || { echo "fio never started"; return 1; }
    local st=0; wait "$FIO_PID" || st=$?
    FIO_PID=""
    cat "$RES/fio-outage.out"
    [[ $st -eq 0 ]] || return 1
    dd if="$NSDEV" of=/tmp/base.read bs=1M count=16 iflag=direct status=none || return 1
    cmp /tmp/base /tmp/base.read || { echo "the first 16 MiB differ after the recovery"; return 1; }
    echo "the 16 MiB written before the outage read back intact"
    disconnect $NQN
}

begin
step katod-start t_katod_up
step connect-kato-$KATO t_connect
if [[ -n "$NSDEV" ]]; then
    step drop-until-expiry t_drop
    step lift-host-reconnects t_lift
    step io-resumes-data-intact t_data
fi
finish
