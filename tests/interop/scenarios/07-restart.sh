#!/bin/bash
# Why this exists: katod restarts (upgrades, crashes, an operator) must cost the host a reconnect,
# never data. katod is stopped with SIGTERM while the Linux host writes to a file-backed namespace
# and started again; the host must reconnect within its --reconnect-delay, finish its writes, and
# every acknowledged write must read back, also after a second, clean restart.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:restart
IMG=/tmp/kato-restart.img
RDELAY=${RDELAY:-3}
# Bound on the reconnect, measured from katod listening again: the host's next attempt comes
# within RDELAY; the rest is slack for a slow emulated CPU.
SLACK=10
rm -f "$IMG"; truncate -s 128M "$IMG"
katod_config <<JSON
{
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "path": "$IMG" } } ] }
  ]
}
JSON

# Sequential 64 KiB writes, two jobs of 48 MiB each, every block verified at the end; the rate
# limit (writes only) makes the writes last about 8 s, so that the restart comes in the middle of them.
FIO_JOB=(--filename=/dev/null --rw=write --bs=64k --numjobs=2 --size=48M --offset_increment=64M
         --iodepth=32 --verify=crc32c --group_reporting)
FIO_RATE=('--rate=,6m')
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
    local t0=$EPOCHREALTIME
    echo "katod listening again"
    wait_live $NQN $((RDELAY + SLACK)) || return 1
    local took; took=$(since "$t0")
    echo "host live again ${took} s after katod was back (reconnect delay ${RDELAY} s)"
    klog_since "$k" | grep -F "I/O controller for $NQN"
    dmesg_since "$m" | grep -iE 'reconnect|recovery'
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

begin
step katod-start t_katod_up
step connect t_connect
if [[ -n "$NSDEV" ]]; then
    step sigterm-and-restart-under-io t_restart_under_io
    step io-completes-verified t_io_completes
    step clean-restart-data-persists t_clean_restart_verify
fi
finish
