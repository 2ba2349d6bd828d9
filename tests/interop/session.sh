#!/bin/bash
# Why this exists: one session of the Linux kernel initiator (nvme-cli + nvme-tcp) against katod,
# run inside the QEMU guest (tests/interop/guest run tests/interop/session.sh [katod args...]).
# Each step prints PASS or FAIL with its output; a failure also prints the tail of dmesg and of
# katod's debug log. If katod dies, that is a failure of its own, and it is restarted so later
# steps still tell us something. Exit status: number of failed steps (capped at 100), 0 if none.
set -u

KATOD=${KATOD:-/kato/run/katod}
RES=${KATO_RESULTS:-/tmp/kato-results}
NQN=nqn.2026-11.io.kato:default
ADDR=127.0.0.1
PORT=4420
DPORT=8009
KATOD_ARGS=("$@")
[[ ${#KATOD_ARGS[@]} -gt 0 ]] || KATOD_ARGS=()
mkdir -p "$RES"
KLOG="$RES/katod.log"
STEPLOG="$RES/steps"
: >"$STEPLOG"
KPID=""
KSTART=0
PASSES=0
FAILS=0
FAILED=()
T0=$(date +%s.%N)

since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

katod_start() {
    KSTART=$((KSTART + 1))
    echo "=== katod start #$KSTART: $KATOD -l debug ${KATOD_ARGS[*]}" >>"$KLOG"
    "$KATOD" -l debug "${KATOD_ARGS[@]}" >>"$KLOG" 2>&1 &
    KPID=$!
    # Listening on both ports is the readiness signal (no config here means the default target).
    for _ in $(seq 1 300); do
        if ss -Hltn "sport = :$PORT" | grep -q . && ss -Hltn "sport = :$DPORT" | grep -q .; then
            return 0
        fi
        kill -0 "$KPID" 2>/dev/null || break
        sleep 0.1
    done
    return 1
}

# If katod died, describe how (exit status or signal) and restart it. Returns 1 if it had died.
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

diagnose() {
    echo "--- dmesg | tail -50"
    dmesg | tail -50 | sed 's/^/    dmesg| /'
    echo "--- katod log tail -50 ($KLOG)"
    tail -50 "$KLOG" | sed 's/^/    katod| /'
}

# step NAME CHECK-FUNCTION: runs the function with output captured; its status decides PASS/FAIL.
step() {
    local name=$1; shift
    local out
    out="$RES/step-$(printf '%02d' $((PASSES + FAILS + 1)))-${name//[^A-Za-z0-9_.-]/_}.out"
    local t; t=$(date +%s.%N)
    local kmark; kmark=$(wc -l <"$KLOG")
    echo
    echo "### $name"
    "$@" >"$out" 2>&1
    local st=$?
    local dead=0
    katod_check >>"$out" 2>&1 || dead=1
    sed 's/^/    /' "$out" | head -200
    if [[ $st -eq 0 && $dead -eq 0 ]]; then
        PASSES=$((PASSES + 1))
        echo "PASS $name ($(since "$t")s)"
        echo "PASS $name" >>"$STEPLOG"
    else
        FAILS=$((FAILS + 1))
        FAILED+=("$name")
        [[ $dead -eq 1 ]] && echo "    (katod died during this step)"
        echo "FAIL $name (status $st, $(since "$t")s)"
        echo "FAIL $name" >>"$STEPLOG"
        diagnose
        echo "--- katod log lines during this step (first 40 of $(($(wc -l <"$KLOG") - kmark)))"
        tail -n +"$((kmark + 1))" "$KLOG" | grep -viE 'debug' | head -40 | sed 's/^/    katod| /'
    fi
}

# run CMD...: echo the command, run it bounded, return its status.
run() {
    echo "\$ $*"
    timeout "${TMO:-120}" "$@"
    local st=$?
    [[ $st -eq 0 ]] || echo "(exit status $st)"
    return $st
}

expect() { # expect FILE REGEX DESCRIPTION
    if grep -qE -- "$2" "$1"; then return 0; fi
    echo "expected: $3 (/$2/)"; return 1
}

# The controller connected to $NQN over TCP, and its namespace block device, from sysfs.
CTRL=""
NSDEV=""
find_ctrl() {
    local c
    CTRL=""; NSDEV=""
    for c in /sys/class/nvme/nvme*; do
        [[ -e "$c/subsysnqn" ]] || continue
        [[ "$(cat "$c/subsysnqn")" == "$NQN" && "$(cat "$c/transport")" == tcp ]] || continue
        CTRL=$(basename "$c")
    done
    [[ -n "$CTRL" ]] || return 1
    local b
    # With native multipath the block device is the head (nvmeXnY); the per-path nvmeXcZnY is hidden.
    for b in /sys/block/nvme*n1; do
        [[ -e "$b" && "$(basename "$b")" != nvme*c*n1 ]] && NSDEV=/dev/$(basename "$b")
    done
    return 0
}

wait_live() { # wait until the controller is live and its namespace exists (TCG is slow)
    for _ in $(seq 1 600); do
        if find_ctrl && [[ "$(cat /sys/class/nvme/"$CTRL"/state 2>/dev/null)" == live && -n "$NSDEV" && -b "$NSDEV" ]]; then
            echo "controller $CTRL live, namespace $NSDEV ($(( $(cat /sys/block/"${NSDEV#/dev/}"/size) * 512 )) bytes)"
            return 0
        fi
        sleep 0.1
    done
    echo "no live controller for $NQN with a namespace after 60s (ctrl=${CTRL:-none} ns=${NSDEV:-none} state=$(cat /sys/class/nvme/"$CTRL"/state 2>/dev/null))"
    return 1
}

wait_gone() {
    for _ in $(seq 1 300); do
        find_ctrl || return 0
        sleep 0.1
    done
    echo "controller $CTRL still present"; return 1
}

# ---- checks -------------------------------------------------------------------------------

t_katod_up() {
    katod_start || { echo "katod not listening on $PORT and $DPORT within 30s"; return 1; }
    ss -ltnp | grep -E ":($PORT|$DPORT) "
}

t_discover() { # port
    run nvme discover -t tcp -a $ADDR -s "$1" >"$RES/discover-$1.txt"; local st=$?
    cat "$RES/discover-$1.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/discover-$1.txt" "subnqn:[[:space:]]+$NQN" "a log entry for $NQN" || return 1
    expect "$RES/discover-$1.txt" "trsvcid:[[:space:]]+$PORT" "the entry names port $PORT" || return 1
    expect "$RES/discover-$1.txt" "trtype:[[:space:]]+tcp" "trtype tcp"
}

t_connect() { # extra nvme-connect options...
    run nvme connect -t tcp -a $ADDR -s $PORT -n $NQN "$@" || return 1
    wait_live || return 1
    echo "I/O queues: $(io_queues)"
    grep -H . /sys/class/nvme/"$CTRL"/{address,state,queue_count,sqsize,kato,cntrltype,hostnqn} 2>/dev/null
}

t_disconnect() {
    run nvme disconnect -n $NQN | tee "$RES/disconnect.txt"; local st=${PIPESTATUS[0]}
    [[ $st -eq 0 ]] || return 1
    expect "$RES/disconnect.txt" "disconnected 1 controller" "one controller disconnected" || return 1
    wait_gone
}

# I/O queues the host created: queue_count counts the admin queue too.
io_queues() { echo $(( $(cat /sys/class/nvme/"$CTRL"/queue_count) - 1 )); }

t_nr_io_queues() { # count; with 2 guest CPUs, 2 is also the default, 1 shows the option works
    t_connect --nr-io-queues "$1" || return 1
    local n; n=$(io_queues)
    [[ $n -eq $1 ]] || { echo "expected $1 I/O queues, the host has $n"; return 1; }
    # Read and write on both queues (one job per CPU).
    TMO=600 run fio --name="q$1" --filename="$NSDEV" --rw=randwrite --bs=4k --size=16M --numjobs=2 \
        --offset_increment=16M --verify=crc32c --direct=1 --iodepth=8 --ioengine=libaio \
        --verify_state_save=0 --group_reporting >"$RES/fio-q$1.txt"; local st=$?
    grep -E 'err=|IOPS' "$RES/fio-q$1.txt"
    return $st
}

t_list() {
    run nvme list | tee "$RES/list.txt"; local st=${PIPESTATUS[0]}
    [[ $st -eq 0 ]] || return 1
    expect "$RES/list.txt" "^$NSDEV " "a row for $NSDEV"
}

t_id_ctrl() {
    run nvme id-ctrl "/dev/$CTRL" >"$RES/id-ctrl.txt"; local st=$?
    cat "$RES/id-ctrl.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/id-ctrl.txt" "^subnqn[[:space:]]+:[[:space:]]*$NQN\$" "subnqn $NQN" || return 1
    expect "$RES/id-ctrl.txt" "^cntrltype[[:space:]]+:[[:space:]]*(0x)?1\$" "cntrltype 1 (I/O controller)" || return 1
    expect "$RES/id-ctrl.txt" "^nn[[:space:]]+:[[:space:]]*(0x)?[1-9]" "nn >= 1"
}

t_id_ns() {
    run nvme id-ns "$NSDEV" >"$RES/id-ns.txt"; local st=$?
    cat "$RES/id-ns.txt"
    [[ $st -eq 0 ]] || return 1
    local nsze lbads
    nsze=$(sed -n 's/^nsze[[:space:]]*:[[:space:]]*//p' "$RES/id-ns.txt")
    lbads=$(sed -n 's/^lbaf .*lbads:\([0-9]*\).*(in use).*/\1/p' "$RES/id-ns.txt")
    [[ -n "$nsze" && -n "$lbads" ]] || { echo "cannot parse nsze/lbads"; return 1; }
    local bytes=$(( nsze << lbads ))
    echo "nsze $nsze << lbads $lbads = $bytes bytes"
    [[ $bytes -eq $((1 << 30)) ]] || { echo "expected a 1 GiB namespace"; return 1; }
}

t_ns_descs() {
    run nvme ns-descs "$NSDEV" >"$RES/ns-descs.txt"; local st=$?
    cat "$RES/ns-descs.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/ns-descs.txt" "^(eui64|nguid|uuid|csi)[[:space:]]+:" "at least one namespace identifier"
}

t_smart_log() {
    run nvme smart-log "/dev/$CTRL" >"$RES/smart-log.txt"; local st=$?
    cat "$RES/smart-log.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/smart-log.txt" "^critical_warning[[:space:]]+:[[:space:]]*0" "critical_warning 0"
}

t_error_log() {
    run nvme error-log "/dev/$CTRL" -e 4 >"$RES/error-log.txt"; local st=$?
    cat "$RES/error-log.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/error-log.txt" "Entry\[ *0\]" "error log entries printed"
}

t_effects_log() {
    # Without --csi, nvme-cli 2.3 reads CAP by mmapping the PCI BAR to pick the command sets; on a
    # fabrics controller that fails and it prints nothing with status 0. --csi=0 (NVM) asks directly.
    run nvme effects-log "/dev/$CTRL" --csi=0 >"$RES/effects-log.txt"; local st=$?
    cat "$RES/effects-log.txt"
    [[ $st -eq 0 ]] || return 1
    # nvme-cli lists only commands marked supported (CSUPP): Identify (admin 06h) and Read (I/O 02h)
    # must be there.
    expect "$RES/effects-log.txt" "^ACS *6[[:space:]]+\[" "Identify (admin 06h) supported" || return 1
    expect "$RES/effects-log.txt" "^IOCS *2[[:space:]]+\[" "Read (I/O 02h) supported"
}

t_get_feature_kato() {
    run nvme get-feature "/dev/$CTRL" -f 0x0f >"$RES/get-feature-0f.txt"; local st=$?
    cat "$RES/get-feature-0f.txt"
    [[ $st -eq 0 ]] || return 1
    # The Linux host connects I/O controllers with KATO 5 s (NVME_DEFAULT_KATO), so 5000 ms.
    local v; v=$(sed -n 's/.*Current value: *\(0x[0-9a-fA-F]*\).*/\1/p' "$RES/get-feature-0f.txt")
    echo "KATO ${v:-?} = $(( ${v:-0} )) ms"
    [[ -n "$v" && $((v)) -eq 5000 ]] || { echo "expected 5000 ms"; return 1; }
}

t_fio() { # bs size
    TMO=900 run fio --name="v$1" --filename="$NSDEV" --rw=randwrite --bs="$1" --size="$2" \
        --verify=crc32c --direct=1 --iodepth=16 --ioengine=libaio --verify_state_save=0 \
        >"$RES/fio-$1.txt"; local st=$?
    grep -E 'err=|IOPS|verify|error' "$RES/fio-$1.txt"
    [[ $st -eq 0 ]] || { tail -20 "$RES/fio-$1.txt"; return 1; }
    expect "$RES/fio-$1.txt" "err= *0" "fio err=0"
}

t_ext4() {
    modprobe ext4 2>/dev/null
    TMO=300 run mkfs.ext4 -q -F "$NSDEV" || return 1
    mkdir -p /mnt/kato
    run mount "$NSDEV" /mnt/kato || return 1
    run dd if=/dev/urandom of=/mnt/kato/blob bs=1M count=32 status=none || { umount /mnt/kato; return 1; }
    local a b
    a=$(sha256sum </mnt/kato/blob | cut -d' ' -f1)
    run umount /mnt/kato || return 1
    echo 3 >/proc/sys/vm/drop_caches
    run mount -o ro "$NSDEV" /mnt/kato || return 1
    b=$(sha256sum </mnt/kato/blob | cut -d' ' -f1)
    ls -l /mnt/kato
    run umount /mnt/kato
    echo "written $a"; echo "read    $b"
    [[ "$a" == "$b" ]] || { echo "file content differs after remount"; return 1; }
    TMO=300 run fsck.ext4 -n -f "$NSDEV"
}

t_reset() {
    run nvme reset "/dev/$CTRL" || return 1
    sleep 1
    wait_live || return 1
    # I/O still works after the reset: read back the start of the disk twice, bypassing the cache.
    local a b
    a=$(dd if="$NSDEV" bs=64k count=16 iflag=direct status=none | sha256sum)
    b=$(dd if="$NSDEV" bs=64k count=16 iflag=direct status=none | sha256sum)
    echo "read after reset: $a"
    [[ "$a" == "$b" ]]
}

# Count ICReq/ICResp PDUs on port $PORT whose DGST byte (offset 11, bit 0 header, bit 1 data) is 3,
# with nftables matching the start of the TCP payload: an independent view of what was negotiated.
nft_digest_setup() {
    nft delete table inet kato 2>/dev/null
    nft -f - <<NFT || return 1
table inet kato {
    chain out {
        type filter hook output priority 0;
        tcp dport $PORT @ih,0,8 0x00 @ih,88,8 0x03 counter comment "icreq-dgst"
        tcp sport $PORT @ih,0,8 0x01 @ih,88,8 0x03 counter comment "icresp-dgst"
    }
}
NFT
}
nft_count() { nft list chain inet kato out | sed -n "s/.*counter packets \([0-9]*\) .*comment \"$1\".*/\1/p"; }

t_digests() {
    nft_digest_setup || { echo "nft set-up failed"; return 1; }
    t_connect -g -G || return 1
    local req resp
    req=$(nft_count icreq-dgst); resp=$(nft_count icresp-dgst)
    echo "ICReq with HDGST+DDGST: $req, ICResp with HDGST+DDGST: $resp (expected one per queue)"
    nft delete table inet kato
    [[ "$req" == "$(( $(io_queues) + 1 ))" && "$resp" == "$req" ]] || { echo "digests not negotiated on every queue"; return 1; }
    TMO=600 run fio --name=dg --filename="$NSDEV" --rw=randwrite --bs=4k --size=8M --verify=crc32c \
        --direct=1 --iodepth=16 --ioengine=libaio --verify_state_save=0 --output-format=terse --terse-version=3 \
        >"$RES/fio-digest-4k.txt" || { tail -5 "$RES/fio-digest-4k.txt"; return 1; }
    TMO=600 run fio --name=dg --filename="$NSDEV" --rw=randwrite --bs=128k --size=16M --verify=crc32c \
        --direct=1 --iodepth=8 --ioengine=libaio --verify_state_save=0 --output-format=terse --terse-version=3 \
        >"$RES/fio-digest-128k.txt" || { tail -5 "$RES/fio-digest-128k.txt"; return 1; }
    if dmesg | grep -iE 'digest (error|mismatch)'; then echo "the host saw digest errors"; return 1; fi
    echo "fio with header and data digests: verified"
}

t_katod_stop() {
    [[ -n "$KPID" ]] || { echo "katod not running"; return 1; }
    kill -TERM "$KPID"
    for _ in $(seq 1 100); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$KPID" 2>/dev/null; then echo "katod still running 10 s after SIGTERM"; kill -9 "$KPID"; fi
    local st=0; wait "$KPID" || st=$?
    KPID=""
    echo "katod exit status $st"
    [[ $st -eq 0 ]]
}

cleanup_ctrl() { # between groups, so one failure does not cascade
    find_ctrl && { timeout 60 nvme disconnect -n $NQN >/dev/null 2>&1; wait_gone >/dev/null; }
    return 0
}

# ---- the session ---------------------------------------------------------------------------

echo "session: $(uname -r), $(nvme version), $(fio --version), katod: $("$KATOD" --version 2>&1)"
modprobe nvme-tcp
dmesg -n 1 2>/dev/null   # keep kernel messages off the console; dmesg shows them on failure
dmesg -C

step katod-start t_katod_up
step discover-4420 t_discover $PORT
step discover-8009 t_discover $DPORT

step connect t_connect
if [[ -n "$CTRL" ]]; then
    step nvme-list t_list
    step id-ctrl t_id_ctrl
    step id-ns t_id_ns
    step ns-descs t_ns_descs
    step smart-log t_smart_log
    step error-log t_error_log
    step effects-log t_effects_log
    step get-feature-kato t_get_feature_kato
    if [[ -n "$NSDEV" ]]; then
        step fio-4k-verify t_fio 4k 64M
        step fio-128k-verify t_fio 128k 64M
        step ext4 t_ext4
    fi
    step reset t_reset
    step disconnect t_disconnect
fi
cleanup_ctrl
step connect-digests t_digests
cleanup_ctrl
step connect-nr-io-queues-2 t_nr_io_queues 2
cleanup_ctrl
step connect-nr-io-queues-1 t_nr_io_queues 1
cleanup_ctrl
step katod-stop t_katod_stop

dmesg >"$RES/dmesg.txt"
echo
echo "=== session: $PASSES passed, $FAILS failed in $(since "$T0")s"
for f in "${FAILED[@]}"; do echo "    FAILED: $f"; done
[[ $FAILS -le 100 ]] || FAILS=100
exit $FAILS
