# Why this exists: what every interop scenario (tests/interop/scenarios/*.sh) needs inside the guest,
# in one place: start and stop katod with a configuration written by the scenario, run named steps
# with their own PASS/FAIL and output files, find the kernel's controller and namespace in sysfs,
# wait for states with generous bounds (TCG is slow), and on failure print dmesg and katod's log.
# Sourced by a scenario; the guest sees the source tree at /kato/src (KATO_SRC).
#
# A scenario: source this, write its configuration with `katod_config`, `step NAME FUNCTION ARGS...`
# for each check, then `finish` (exit status: number of failed steps, 0 if none).

set -u

KATOD=${KATOD:-/kato/run/katod}
RES=${KATO_RESULTS:-/tmp/kato-results}
SCENARIO=${SCENARIO:-$(cat /kato/run/script.name 2>/dev/null || basename "$0")}
SCENARIO=${SCENARIO%.sh}
ADDR=127.0.0.1
PORT=4420
DPORT=8009
# Ports katod must be listening on before it counts as started (set by the scenario if it differs).
KATOD_PORTS=("$PORT")
KATOD_CONF="$RES/katod.json"
KATOD_ARGS=()
# The scenario's own arguments (`guest run SCENARIO ARGS...`) go to every katod start, e.g. -w 1.
KATOD_EXTRA=("$@")
mkdir -p "$RES"
KLOG="$RES/katod.log"
STEPLOG="$RES/steps"
: >"$STEPLOG"
# A results directory is reused by the next run of the same scenario: what a run appends to must
# start empty (a keep-alive trace holding two boots' clocks made the host table wrong once).
rm -f "$RES/measure.tsv" "$RES/trace.jsonl"
: >"$KLOG"
KPID=""
KSTART=0
PASSES=0
FAILS=0
FAILED=()
T0=$EPOCHREALTIME

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# ---- katod -----------------------------------------------------------------------------------

# katod_config < JSON: the configuration katod_start uses (kept in the results directory).
katod_config() {
    cat >"$KATOD_CONF"
    KATOD_ARGS=(-c "$KATOD_CONF")
}

# katod_config_one NQN DEVICE [KATOD] [ATTRS]: the configuration most scenarios use: subsystem NQN
# (any host; ATTRS: more "attr" members) with namespace 1 on DEVICE (a "device" object), on port 1
# at $ADDR:$PORT; KATOD, when given, is the "katod" object.
katod_config_one() {
    local katod="" attrs=""
    [[ -n "${3:-}" ]] && katod="\"katod\": $3,"
    [[ -n "${4:-}" ]] && attrs=", $4"
    katod_config <<JSON
{
  $katod
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$1" ] }
  ],
  "subsystems": [
    { "nqn": "$1", "attr": { "allow_any_host": "1"$attrs },
      "namespaces": [ { "nsid": 1, "device": $2 } ] }
  ]
}
JSON
}

katod_start() {
    KSTART=$((KSTART + 1))
    echo "=== katod start #$KSTART: $KATOD -l debug ${KATOD_ARGS[*]} ${KATOD_EXTRA[*]}" >>"$KLOG"
    "$KATOD" -l debug "${KATOD_ARGS[@]}" "${KATOD_EXTRA[@]}" >>"$KLOG" 2>&1 &
    KPID=$!
    local p up
    for _ in $(seq 1 300); do
        up=1
        for p in "${KATOD_PORTS[@]}"; do
            ss -Hltn "sport = :$p" | grep -q . || { up=0; break; }
        done
        [[ $up -eq 1 ]] && return 0
        kill -0 "$KPID" 2>/dev/null || break
        sleep 0.1
    done
    echo "katod not listening on ${KATOD_PORTS[*]} within 30 s"
    tail -20 "$KLOG"
    return 1
}

# katod_stop: SIGTERM, wait (10 s bound); succeeds if katod exited with status 0.
katod_stop() {
    [[ -n "$KPID" ]] || { echo "katod not running"; return 1; }
    kill -TERM "$KPID"
    for _ in $(seq 1 100); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$KPID" 2>/dev/null; then echo "katod still running 10 s after SIGTERM"; kill -9 "$KPID"; fi
    local st=0; wait "$KPID" || st=$?
    KPID=""
    echo "katod exit status $st"
    [[ $st -eq 0 ]]
}

# If katod died, say how (exit status or signal) and restart it. Returns 1 if it had died.
katod_check() {
    [[ -n "$KPID" ]] || return 0
    if kill -0 "$KPID" 2>/dev/null; then return 0; fi
    local st=0
    wait "$KPID" || st=$?
    if [[ $st -gt 128 ]]; then
        echo "!!! katod (pid $KPID) died from signal $((st - 128)) ($(kill -l $((st - 128)) 2>/dev/null))"
    else
        echo "!!! katod (pid $KPID) exited with status $st"
    fi
    echo "!!! last katod log lines:"; tail -30 "$KLOG" | sed 's/^/    katod| /'
    dmesg | grep -iE 'segfault|traps:|general protection' | tail -5 | sed 's/^/    dmesg| /'
    KPID=""
    katod_start || echo "!!! katod restart failed"
    return 1
}

# katod log lines written since line number $1 (a `klog_mark`).
klog_mark() { wc -l <"$KLOG"; }
klog_since() { tail -n +"$(($1 + 1))" "$KLOG"; }
# The same for dmesg (marks are line counts of `dmesg`).
dmesg_mark() { dmesg | wc -l; }
dmesg_since() { dmesg | tail -n +"$(($1 + 1))"; }

# ---- measurements for the host-behaviour table (tests/interop/host-table) -------------------
# katod's keep-alive trace stamps events with CLOCK_MONOTONIC (mono_us); the kernel stamps dmesg
# with its own clock. kclock_calibrate writes a marker to /dev/kmsg between two readings of
# /proc/uptime (CLOCK_BOOTTIME, which equals CLOCK_MONOTONIC in a guest that never suspends) and
# keeps the offset, so that a host's message and katod's event can be subtracted (to ~10 ms).
KCLOCK_OFF=""
kclock_calibrate() {
    local u1 u2 k _
    read -r u1 _ </proc/uptime
    echo "kato-clock-mark $$" >/dev/kmsg
    read -r u2 _ </proc/uptime
    k=$(dmesg | grep "kato-clock-mark $$" | tail -1 | sed 's/^\[ *\([0-9.]*\)\].*/\1/')
    KCLOCK_OFF=$(awk -v a="$u1" -v b="$u2" -v k="$k" 'BEGIN { printf "%.3f", (a + b) / 2 - k }')
}
# dmesg_first MARK REGEX [NOT_BEFORE]: "SECONDS<TAB>MESSAGE" of the first message since MARK that
# matches REGEX (and is not stamped before NOT_BEFORE), SECONDS on katod's trace clock; status 1 if
# there is none.
dmesg_first() {
    [[ -n "$KCLOCK_OFF" ]] || kclock_calibrate
    dmesg_since "$1" | awk -v re="$2" -v nb="${3:-}" -v o="$KCLOCK_OFF" '
        $0 ~ re { t = $0; sub(/^\[ */, "", t); sub(/\].*/, "", t); t += o
                  if (nb != "" && t < nb) next
                  m = $0; sub(/^\[ *[0-9.]*\] */, "", m); printf "%.3f\t%s\n", t, m; found = 1; exit }
        END { exit !found }'
}
# trace_first TRACE GREP-PATTERN...: seconds (mono) of the first trace line matching every pattern.
trace_first() {
    local f=$1; shift
    local lines; lines=$(cat "$f")
    local p; for p in "$@"; do lines=$(grep -F -- "$p" <<<"$lines"); done
    [[ -n "$lines" ]] || return 1
    head -1 <<<"$lines" | sed 's/.*"mono_us":\([0-9]*\).*/\1/' | awk '{ printf "%.3f\n", $1 / 1e6 }'
}
# secs_between A B: B - A in seconds, one decimal ("?" when either is missing).
secs_between() {
    [[ -n "${1:-}" && -n "${2:-}" ]] || { echo "?"; return; }
    awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; if (d > -0.05 && d < 0.05) d = 0; printf "%.1f", d }'
}
# measure KEY VALUE: one figure for the host-behaviour table, in $RES/measure.tsv.
measure() {
    printf '%s\t%s\n' "$1" "$2" >>"$RES/measure.tsv"
    echo "measured $1: $2"
}

# ---- steps -----------------------------------------------------------------------------------

diagnose() {
    echo "--- dmesg | tail -60"
    dmesg | tail -60 | sed 's/^/    dmesg| /'
    echo "--- katod log | tail -60 ($KLOG)"
    tail -60 "$KLOG" | sed 's/^/    katod| /'
}

# step NAME FUNCTION [ARGS...]: runs the function with output captured; its status (and katod
# staying alive) decides PASS/FAIL. A failure prints the tails of dmesg and of katod's log.
step() {
    local name=$1; shift
    local out
    out="$RES/step-$(printf '%02d' $((PASSES + FAILS + 1)))-${name//[^A-Za-z0-9_.-]/_}.out"
    local t=$EPOCHREALTIME
    local kmark; kmark=$(klog_mark)
    echo
    echo "### $name"
    "$@" >"$out" 2>&1
    local st=$?
    local dead=0
    katod_check >>"$out" 2>&1 || dead=1
    sed 's/^/    /' "$out" | head -150
    if [[ $st -eq 0 && $dead -eq 0 ]]; then
        PASSES=$((PASSES + 1))
        echo "PASS $name ($(since "$t") s)"
        echo "PASS $name $(since "$t")" >>"$STEPLOG"
    else
        FAILS=$((FAILS + 1))
        FAILED+=("$name")
        [[ $dead -eq 1 ]] && echo "    (katod died during this step)"
        echo "FAIL $name (status $st, $(since "$t") s)"
        echo "FAIL $name $(since "$t")" >>"$STEPLOG"
        diagnose
        echo "--- katod log lines during this step (first 60 of $(($(klog_mark) - kmark)), no debug)"
        klog_since "$kmark" | grep -v ' debug: ' | head -60 | sed 's/^/    katod| /'
    fi
}

# run CMD...: echo the command, run it bounded by $TMO (default 120 s), return its status.
run() {
    echo "\$ $*"
    timeout "${TMO:-120}" "$@"
    local st=$?
    [[ $st -eq 0 ]] || echo "(exit status $st)"
    return $st
}

expect() { # expect FILE REGEX DESCRIPTION
    if grep -qE -- "$2" "$1"; then return 0; fi
    echo "expected: $3 (/$2/ in $(basename "$1"))"; return 1
}

refute() { # refute FILE REGEX DESCRIPTION
    if ! grep -qE -- "$2" "$1"; then return 0; fi
    echo "unexpected: $3:"; grep -E -- "$2" "$1" | head -5; return 1
}

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2 s until it succeeds.
wait_for() {
    local secs=$1 what=$2; shift 2
    local end=$(( ${EPOCHREALTIME%.*} + secs ))
    while true; do
        "$@" >/dev/null 2>&1 && return 0
        [[ ${EPOCHREALTIME%.*} -ge $end ]] && break
        sleep 0.2
    done
    echo "timed out after ${secs} s waiting for: $what"
    return 1
}

# ---- the kernel host's view (sysfs) ----------------------------------------------------------

# find_ctrl NQN: CTRL = the TCP controller connected to subsystem NQN (nvmeN), NSDEV = its first
# namespace's block device. Status 1 if there is no such controller.
CTRL=""
NSDEV=""
find_ctrl() {
    local nqn=$1 c b s
    CTRL=""; NSDEV=""
    for c in /sys/class/nvme/nvme*; do
        [[ -e "$c/subsysnqn" ]] || continue
        [[ "$(cat "$c/subsysnqn")" == "$nqn" && "$(cat "$c/transport")" == tcp ]] || continue
        CTRL=$(basename "$c")
    done
    [[ -n "$CTRL" ]] || return 1
    # With native multipath (Debian's default) the block device is the head nvmeXn1 in the
    # controller's nvme-subsystem; the per-path nvmeXcYn1 is hidden. Without multipath, the
    # namespace hangs off the controller itself.
    local dirs=(/sys/class/nvme/"$CTRL")
    for s in /sys/class/nvme-subsystem/*; do [[ -e "$s/$CTRL" ]] && dirs+=("$s"); done
    for s in "${dirs[@]}"; do
        for b in "$s"/nvme*n1; do
            [[ -e "$b" ]] || continue
            b=$(basename "$b")
            [[ $b == nvme*c*n* ]] && continue
            [[ -b /dev/$b ]] && { NSDEV=/dev/$b; return 0; }
        done
    done
    return 0
}

ctrl_state() { cat /sys/class/nvme/"$CTRL"/state 2>/dev/null; }
ctrl_attr() { cat /sys/class/nvme/"$CTRL"/"$1" 2>/dev/null; }
# I/O queues the host created: queue_count counts the admin queue too.
io_queues() { echo $(( $(ctrl_attr queue_count) - 1 )); }
ns_bytes() { echo $(( $(cat /sys/block/"${NSDEV#/dev/}"/size) * 512 )); }

# no_key_in_klog TOPIC KEY...: none of katod's log lines holds the secret part (the base64
# between "PREFIX:hh:" and the closing ':') of any KEY, DHHC-1 or NVMeTLSkey-1 alike; TOPIC is
# a word whose lines are counted for the record.
no_key_in_klog() {
    local topic=$1 k b n=0; shift
    for k in "$@"; do
        b=${k#*:??:}; b=${b%:}
        grep -qF "$b" "$KLOG" && { echo "katod's log holds a key"; n=$((n + 1)); }
    done
    echo "katod log: $(wc -l <"$KLOG") lines, $(grep -c "$topic" "$KLOG") about $topic, $n with a key"
    [[ $n -eq 0 ]]
}

# tlshd_start: ktls-utils' tlshd, which the host kernel asks to run each NVMe/TCP TLS handshake,
# looking for keys in the .nvme keyring (the guest boots no systemd, so it is started here);
# TLSHD_PID is its pid, for the scenario's EXIT trap; its log is $RES/tlshd.log.
TLSHD_PID=""
tlshd_start() {
    printf '[debug]\nloglevel=1\n[authenticate]\nkeyrings=.nvme\n' >/tmp/tlshd.conf
    /usr/sbin/tlshd -c /tmp/tlshd.conf -s >"$RES/tlshd.log" 2>&1 &
    TLSHD_PID=$!
    sleep 1
    kill -0 "$TLSHD_PID" || { echo "tlshd did not start"; cat "$RES/tlshd.log"; return 1; }
}

# blk_roundtrip [BLOCKS]: BLOCKS (default 4) random 64 KiB blocks written to the start of $NSDEV
# with O_DIRECT and read back the same.
blk_roundtrip() {
    local n=${1:-4}
    dd if=/dev/urandom of=/tmp/blk bs=64k count="$n" status=none
    dd if=/tmp/blk of="$NSDEV" bs=64k oflag=direct status=none || return 1
    dd if="$NSDEV" of=/tmp/blk.read bs=64k count="$n" iflag=direct status=none || return 1
    cmp /tmp/blk.read /tmp/blk || { echo "read back differs"; return 1; }
}

is_live() { # is_live NQN [need-namespace]
    find_ctrl "$1" && [[ "$(ctrl_state)" == live ]] || return 1
    [[ -z "${2:-}" ]] || [[ -n "$NSDEV" && -b "$NSDEV" ]]
}

wait_live() { # wait_live NQN [SECONDS]: live, with its namespace
    if wait_for "${2:-60}" "controller for $1 live with a namespace" is_live "$1" ns; then
        find_ctrl "$1"
        echo "controller $CTRL live (cntlid $(ctrl_attr cntlid)), namespace $NSDEV ($(ns_bytes) bytes)"
        return 0
    fi
    find_ctrl "$1"
    echo "controller ${CTRL:-none} state $(ctrl_state) namespace ${NSDEV:-none}"
    return 1
}

wait_gone() { # wait_gone NQN
    wait_for 30 "controller for $1 removed" eval "! find_ctrl $1"
}

# connect NQN [nvme-connect options...]: connect and wait until live.
connect() {
    local nqn=$1; shift
    run nvme connect -t tcp -a $ADDR -s $PORT -n "$nqn" "$@" || return 1
    wait_live "$nqn" || return 1
    grep -H . /sys/class/nvme/"$CTRL"/{address,state,cntlid,queue_count,sqsize,kato,hostnqn} 2>/dev/null
}

disconnect() { # disconnect NQN
    run nvme disconnect -n "$1" >"$RES/disconnect.txt" 2>&1; local st=$?
    cat "$RES/disconnect.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/disconnect.txt" "disconnected 1 controller" "one controller disconnected" || return 1
    wait_gone "$1"
}

# Does the host have any NVMe controller at all?
any_ctrl() { compgen -G '/sys/class/nvme/nvme*' >/dev/null; }

# Between steps, so that one failure does not cascade: no controllers, no firewall rules.
cleanup_host() {
    any_ctrl && timeout 60 nvme disconnect-all >/dev/null 2>&1
    nft list tables 2>/dev/null | grep -q 'inet kato' && nft delete table inet kato 2>/dev/null
    return 0
}

# fio_run NAME [fio options...]: fio (bounded by $TMO, default 900 s) into $RES/fio-NAME.txt;
# succeeds if fio does and reports err=0 for every job.
fio_run() {
    local name=$1; shift
    TMO=${TMO:-900} run fio --name="$name" --direct=1 --ioengine=libaio --verify_state_save=0 "$@" \
        >"$RES/fio-$name.txt" 2>&1; local st=$?
    grep -E 'err=|IOPS|verify|bad|error' "$RES/fio-$name.txt" | head -20
    [[ $st -eq 0 ]] || { tail -20 "$RES/fio-$name.txt"; return 1; }
    refute "$RES/fio-$name.txt" "err= *[1-9]" "a fio job error" || return 1
    expect "$RES/fio-$name.txt" "err= *0" "fio err=0"
}

# ---- the end ---------------------------------------------------------------------------------

finish() {
    cleanup_host
    [[ -n "$KPID" ]] && katod_stop >/dev/null 2>&1
    dmesg >"$RES/dmesg.txt"
    echo
    if [[ $FAILS -gt 0 ]]; then
        echo "=== $SCENARIO failed: the guest's dmesg (last 150 lines)"
        tail -150 "$RES/dmesg.txt" | sed 's/^/    dmesg| /'
        echo "=== katod's log (last 200 lines of $(klog_mark))"
        tail -200 "$KLOG" | sed 's/^/    katod| /'
    fi
    echo "=== $SCENARIO: $PASSES passed, $FAILS failed in $(since "$T0") s"
    local f
    for f in "${FAILED[@]}"; do echo "    FAILED: $f"; done
    [[ $FAILS -le 100 ]] || FAILS=100
    exit "$FAILS"
}

# skip_on HOSTS... -- REASON: this host cannot run the scenario (KATO_HOST is one of HOSTS): say why
# and exit 77, which ctest reports as skipped (never as passed).
skip_on() {
    local h hosts=()
    while [[ $# -gt 0 && $1 != -- ]]; do hosts+=("$1"); shift; done
    shift
    for h in "${hosts[@]}"; do
        if [[ ${KATO_HOST:-} == "$h" ]]; then
            echo "=== $SCENARIO: SKIPPED on host $KATO_HOST ($(uname -r)): $*"
            exit 77
        fi
    done
}

# The scenario's opening line; kernel messages stay off the console (dmesg shows them on failure).
begin() {
    printf 'kernel\t%s\nnvme_cli\t%s\n' "$(uname -r)" "$(nvme version | head -1 | sed 's/^nvme version //; s/ (git .*//')" >"$RES/host.tsv"
    echo "$SCENARIO: host ${KATO_HOST:-?}, $(uname -r), $(nvme version | head -1), $(fio --version), katod: $("$KATOD" --version 2>&1)"
    modprobe nvme-tcp
    dmesg -n 1 2>/dev/null
    dmesg -C
    trap 'cleanup_host; [[ -n "$KPID" ]] && kill -TERM "$KPID" 2>/dev/null' EXIT
}
