#!/bin/bash
# Why this exists: katod restarts (upgrades, crashes, an operator) must cost the host a reconnect,
# never data. katod is stopped with SIGTERM while the Linux host writes to a file-backed namespace
# and started again; the host must reconnect within its --reconnect-delay, finish its writes, and
# every acknowledged write must read back, also after a second, clean restart.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:restart
IMG=/tmp/kato-restart.img
RDELAY=${RDELAY:-3}
# Bound on the reconnect, from katod's "ready" to the new controller (both in katod's log, so the
# guest's own polling is not measured): the host's next attempt comes within RDELAY; the rest is
# slack for a slow emulated CPU.
SLACK=5
rm -f "$IMG"; truncate -s 128M "$IMG"
katod_config_one "$NQN" "{ \"path\": \"$IMG\" }"

# Sequential 64 KiB writes, two jobs of 48 MiB each, every block verified at the end; the rate
# limit (writes only) makes the writes last about 16 s, so that the restart (SIGTERM after 3 s, up
# to 5 s of draining, the host's reconnect delay) comes in the middle of them: at 8 s the 7.x host
# once finished its writes before it had reconnected.
FIO_JOB=(--filename=/dev/null --rw=write --bs=64k --numjobs=2 --size=48M --offset_increment=64M
         --iodepth=32 --verify=crc32c --group_reporting)
FIO_RATE=('--rate=,3m')
FIO_PID=""

t_katod_up() { katod_start; }

t_connect() {
    connect $NQN --reconnect-delay "$RDELAY" --ctrl-loss-tmo 120 || return 1
    FIO_JOB[0]=--filename=$NSDEV
}

t_restart_under_io() {
    fio_run restart "${FIO_JOB[@]}" "${FIO_RATE[@]}" --do_verify=1 >"$RES/fio-restart.out" 2>&1 &
    FIO_PID=$!
    sleep 3
    kill -0 "$FIO_PID" 2>/dev/null || { echo "fio ended before the restart"; cat "$RES/fio-restart.out"; return 1; }
    local m; m=$(dmesg_mark)
    echo "stopping katod (SIGTERM) under I/O"
    katod_stop || return 1
    wait_for 30 "the host leaving the live state" eval "find_ctrl $NQN && [[ \$(ctrl_state) != live ]]" || return 1
    echo "host controller $CTRL: $(ctrl_state)"
    sleep 1
    local k; k=$(klog_mark)
    katod_start || return 1
    echo "katod listening again"
    wait_live $NQN $((RDELAY + SLACK + 30)) || return 1
    dmesg_since "$m" | grep -iE 'reconnect|recovery'
    klog_since "$k" | grep -E "I/O controller for $NQN| ready\$" | tee "$RES/restart.klog"
    local ready ctrl took
    ready=$(sed -n 's/^katod\[\([0-9.]*\)\] info: .* ready$/\1/p' "$RES/restart.klog" | head -1)
    ctrl=$(grep -F "I/O controller for $NQN" "$RES/restart.klog" | head -1 | sed -n 's/^katod\[\([0-9.]*\)\].*/\1/p')
    [[ -n "$ready" && -n "$ctrl" ]] || { echo "no ready line or no new controller in katod's log"; return 1; }
    took=$(awk -v a="$ready" -v b="$ctrl" 'BEGIN { printf "%.1f", b - a }')
    echo "the host reconnected ${took} s after katod was ready (reconnect delay ${RDELAY} s, bound $((RDELAY + SLACK)) s)"
    awk -v t="$took" -v m=$((RDELAY + SLACK)) 'BEGIN { exit !(t <= m) }' || { echo "reconnect too late"; return 1; }
    kill -0 "$FIO_PID" 2>/dev/null || { echo "fio had finished before the host reconnected"; return 1; }
    echo "fio still running after the reconnect"
}

t_io_completes() {
    [[ -n "$FIO_PID" ]] || { echo "fio never started"; return 1; }
    local st=0; wait "$FIO_PID" || st=$?
    FIO_PID=""
    cat "$RES/fio-restart.out"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/fio-restart.txt" "WRITE: .*io=96(\.0)?MiB" "96 MiB written" || return 1
    expect "$RES/fio-restart.txt" "READ: .*io=96(\.0)?MiB" "96 MiB read back and verified"
}

# Disconnect, a clean restart, reconnect: fio re-reads every block the first run wrote.
t_clean_restart_verify() {
    disconnect $NQN || return 1
    katod_stop || return 1
    katod_start || return 1
    connect $NQN || return 1
    FIO_JOB[0]=--filename=$NSDEV
    fio_run restart "${FIO_JOB[@]}" --verify_only || return 1
    expect "$RES/fio-restart.txt" "READ: .*io=96(\.0)?MiB" "96 MiB verified" || return 1
    disconnect $NQN
}

# The check above can fail: 4 KiB of the image overwritten behind katod's back (at 1 MiB, inside
# the first job's range) must make the same verification fail.
t_verify_catches_damage() {
    connect $NQN || return 1
    dd if=/dev/urandom of="$IMG" bs=4k seek=256 count=1 conv=notrunc status=none || return 1
    FIO_JOB[0]=--filename=$NSDEV
    if fio_run damaged "${FIO_JOB[@]}" --verify_only; then
        echo "fio verified a damaged image"; return 1
    fi
    expect "$RES/fio-damaged.txt" "verify|bad" "fio reporting the damaged block" || return 1
    echo "fio detected the damaged block, as it must"
    disconnect $NQN
}

begin
step katod-start t_katod_up
step connect t_connect
if [[ -n "$NSDEV" ]]; then
    step sigterm-and-restart-under-io t_restart_under_io
    step io-completes-verified t_io_completes
    step clean-restart-data-persists t_clean_restart_verify
    step verification-catches-damage t_verify_catches_damage
fi
finish
