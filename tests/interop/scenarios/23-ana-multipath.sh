#!/bin/bash
# Why this exists: multipath failover is how hosts survive a path that goes away, and ANA states
# are how a target steers it. The Linux host's native NVMe multipath (nvme_core multipath=Y, one
# block device over every controller of a subsystem, the path chosen by ANA state) is the judge:
# one namespace through two katod ports, optimized on one and non-optimized on the other, fio
# verifying data on the multipath device while katod moves port 1's group through "change" to
# inaccessible (one katoctl command) and back. The host must keep every I/O (fio's verify passes),
# see each path's state as katod sets it, and switch paths; the time the host took to see each
# change goes to the record. The kernel target in the same guest, set up the same way through
# configfs, is the reference.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:mpath
PORT2=4421
KPORT1=4430                   # the kernel target's two ports
KPORT2=4431
KATOD_PORTS=("$PORT" "$PORT2")
KATOCTL=${KATOCTL:-${KATO_BUILD:-/kato/build}/katoctl}
SOCK=/run/katod-interop.sock
NVMET=/sys/kernel/config/nvmet
NVMET_UUID=6b61746f-616e-4161-8d70-617468303031

katod_config <<JSON
{
  "katod": { "control_socket": "$SOCK" },
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "ana_groups": [ { "grpid": 1, "ana": { "state": "optimized" } } ],
      "subsystems": [ "$NQN" ] },
    { "portid": 2, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT2" },
      "ana_groups": [ { "grpid": 1, "ana": { "state": "non-optimized" } } ],
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "ana_grpid": 1, "device": { "backend": "ram", "size": "256M" } } ] }
  ]
}
JSON

kctl() { run "$KATOCTL" -s "$SOCK" "$@"; }

# The host's view: PATHS[i] = "nvmeX" (controller) for the paths of subsystem NQN, HEAD = the
# multipath block device.
PATHS=()
HEAD=""
find_paths() {
    local c s
    PATHS=()
    HEAD=""
    for c in /sys/class/nvme/nvme*; do
        [[ -e "$c/subsysnqn" && "$(cat "$c/subsysnqn")" == "$NQN" ]] || continue
        PATHS+=("$(basename "$c")")
    done
    for s in /sys/class/nvme-subsystem/*; do
        [[ "$(cat "$s/subsysnqn" 2>/dev/null)" == "$NQN" ]] || continue
        for c in "$s"/nvme*n1; do [[ -b /dev/$(basename "$c") ]] && HEAD=/dev/$(basename "$c"); done
    done
    [[ ${#PATHS[@]} -eq 2 && -n $HEAD ]]
}

# path_state PORT: the host's ANA state of the path through that port ("" if none).
path_state() {
    local c n
    for c in "${PATHS[@]}"; do
        grep -q "trsvcid=$1," /sys/class/nvme/"$c"/address 2>/dev/null || continue
        for n in /sys/class/nvme/"$c"/nvme*c*n1; do cat "$n/ana_state" 2>/dev/null && return; done
    done
}

# connect_both PORT_A PORT_B: one multipath device over a controller through each port.
connect_both() {
    run nvme connect -t tcp -a $ADDR -s "$1" -n "$NQN" || return 1
    run nvme connect -t tcp -a $ADDR -s "$2" -n "$NQN" || return 1
    wait_for 30 "two paths and a multipath device" find_paths || return 1
    echo "multipath device $HEAD over ${PATHS[*]}; iopolicy $(cat /sys/class/nvme-subsystem/*/iopolicy 2>/dev/null | head -1)"
    grep -H . /sys/class/nvme/"${PATHS[0]}"/nvme*c*n1/ana_state /sys/class/nvme/"${PATHS[1]}"/nvme*c*n1/ana_state
}

# wait_state PORT STATE TAG: until the host shows STATE on the path through PORT; the seconds it
# took since $T_SET go to the record as TAG.
wait_state() {
    local port=$1 want=$2 tag=$3
    wait_for 30 "the host sees $want on the path through port $port" eval "[[ \$(path_state $port) == $want ]]" ||
        return 1
    local secs
    secs=$(awk -v a="$T_SET" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
    echo "host: path through port $port is $want after $secs s"
    printf '%s\t%s\n' "$tag" "$secs" >>"$RES/measure.tsv"
}

# failover SETCMD_INACCESSIBLE SETCMD_BACK TAGPREFIX PORT_A PORT_B: fio verifying on the multipath
# device for 25 s; at 5 s port A's group goes inaccessible (through change where the target does
# that in one step), at 15 s back; fio must finish with err=0.
T_SET=0
failover() {
    local to_inacc=$1 back=$2 tag=$3 pa=$4 pb=$5 fpid st=0
    TMO=120 fio_run "$tag" --filename="$HEAD" --rw=randwrite --bs=4k --size=64M --iodepth=16 \
        --verify=crc32c --verify_backlog=256 --runtime=25 --time_based --ioengine=libaio --direct=1 &
    fpid=$!
    sleep 5
    T_SET=$EPOCHREALTIME
    eval "$to_inacc" || st=1
    wait_state "$pa" inaccessible "$tag-to-inaccessible-s" || st=1
    echo "host: path through port $pb is $(path_state "$pb")"
    sleep 5
    T_SET=$EPOCHREALTIME
    eval "$back" || st=1
    wait_state "$pa" optimized "$tag-back-to-optimized-s" || st=1
    wait "$fpid" || st=1
    return $st
}

t_katod_up() { katod_start && kctl ana; }

t_katod_connect() { connect_both "$PORT" "$PORT2"; }

t_katod_failover() {
    local k
    k=$(klog_mark)
    failover "kctl ana set 1 1 --state inaccessible --transition-ms 2000" \
        "kctl ana set 1 1 --state optimized" katod "$PORT" "$PORT2" || return 1
    klog_since "$k" | grep -E "ANA group|change for" | head -6
    # katod answered writes through both ports (its counters per controller): the host moved its
    # I/O to port 2 while port 1 was inaccessible
    kctl counters --controllers -n "$NQN" >"$RES/counters.txt" || return 1
    cat "$RES/counters.txt"
    [[ $(awk '$1 ~ /^[0-9]+$/ && $4 + 0 > 0' "$RES/counters.txt" | wc -l) -eq 2 ]] ||
        { echo "not both controllers served writes"; return 1; }
}

t_katod_down() { cleanup_host; wait_for 30 "no controller left" eval "! any_ctrl"; }

# ---- the reference: the kernel target, two ports, the same states -----------------------------

t_nvmet_up() {
    run modprobe nvmet && run modprobe nvmet-tcp || return 1
    [[ -d $NVMET ]] || mount -t configfs configfs /sys/kernel/config
    truncate -s 256M /tmp/nvmet-mpath.img
    local s=$NVMET/subsystems/$NQN p i
    mkdir "$s" && echo 1 >"$s/attr_allow_any_host" || return 1
    # buffered: the file is on tmpfs, which has no O_DIRECT before 6.6 (the 6.1 guest)
    mkdir "$s/namespaces/1" && echo /tmp/nvmet-mpath.img >"$s/namespaces/1/device_path" &&
        echo 1 >"$s/namespaces/1/buffered_io" &&
        echo "$NVMET_UUID" >"$s/namespaces/1/device_uuid" && echo 1 >"$s/namespaces/1/enable" || return 1
    for i in 1 2; do
        p=$NVMET/ports/$((i + 10))
        mkdir "$p" || return 1
        echo tcp >"$p/addr_trtype"; echo ipv4 >"$p/addr_adrfam"; echo "$ADDR" >"$p/addr_traddr"
        [[ $i -eq 1 ]] && echo "$KPORT1" >"$p/addr_trsvcid" || echo "$KPORT2" >"$p/addr_trsvcid"
        ln -s "$s" "$p/subsystems/$NQN" || return 1
    done
    echo optimized >"$NVMET/ports/11/ana_groups/1/ana_state"
    echo non-optimized >"$NVMET/ports/12/ana_groups/1/ana_state"
    wait_for 10 "the kernel target listening" eval "ss -Hltn 'sport = :$KPORT2' | grep -q ." || return 1
    grep -H . "$NVMET"/ports/1[12]/ana_groups/1/ana_state
}

t_nvmet_down() {
    local s=$NVMET/subsystems/$NQN i
    for i in 11 12; do rm -f "$NVMET/ports/$i/subsystems/$NQN"; rmdir "$NVMET/ports/$i" 2>/dev/null; done
    [[ -d "$s/namespaces/1" ]] && { echo 0 >"$s/namespaces/1/enable"; rmdir "$s/namespaces/1"; }
    rmdir "$s" 2>/dev/null
    rm -f /tmp/nvmet-mpath.img
    [[ ! -e "$s" ]]
}

t_nvmet_connect() { connect_both "$KPORT1" "$KPORT2"; }

# nvmet has no timed transition: change, then 2 s later inaccessible, by hand
t_nvmet_failover() {
    local a=$NVMET/ports/11/ana_groups/1/ana_state
    failover "echo change >$a; sleep 2; echo inaccessible >$a" "echo optimized >$a" nvmet "$KPORT1" "$KPORT2"
}

begin
trap 't_nvmet_down >/dev/null 2>&1; cleanup_host; [[ -n "$KPID" ]] && kill -TERM "$KPID" 2>/dev/null' EXIT
[[ $(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null) == Y ]] ||
    echo "note: nvme_core multipath is $(cat /sys/module/nvme_core/parameters/multipath 2>/dev/null)"
step katod-start t_katod_up
step katod-two-paths t_katod_connect
step katod-failover-under-fio t_katod_failover
step katod-disconnect t_katod_down
step reference-nvmet-up t_nvmet_up
step reference-nvmet-two-paths t_nvmet_connect
step reference-nvmet-failover-under-fio t_nvmet_failover
cleanup_host
step reference-nvmet-down t_nvmet_down
finish
