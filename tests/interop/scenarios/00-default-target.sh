#!/bin/bash
# Why this exists: `katod` with no configuration is what `scripts/dev run` starts and what the
# README promises: a 1 GiB RAM namespace in nqn.2026-11.io.kato:default on 127.0.0.1:4420, with
# discovery there and on 8009, and the exact commands katod prints must work for the Linux host.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:default
KATOD_PORTS=("$PORT" "$DPORT")

t_katod_up() {
    katod_start || return 1
    ss -ltn | grep -E ":($PORT|$DPORT) "
}

# The "discover:" and "connect:" lines katod prints, run as printed.
t_printed_commands() {
    local d c
    d=$(sed -n "s/^katod: discover: //p" "$KLOG" | grep -- "-s $PORT\$" | head -1)
    c=$(sed -n "s/^katod: connect: *//p" "$KLOG" | head -1)
    [[ -n "$d" && -n "$c" ]] || { echo "katod printed no discover/connect lines"; return 1; }
    run $d >"$RES/discover.txt" || { cat "$RES/discover.txt"; return 1; }
    cat "$RES/discover.txt"
    expect "$RES/discover.txt" "subnqn:[[:space:]]+$NQN" "a log entry for $NQN" || return 1
    run $c || return 1
    wait_live $NQN || return 1
    [[ $(ns_bytes) -eq $((1 << 30)) ]] || { echo "expected a 1 GiB namespace"; return 1; }
}

t_discover_8009() {
    run nvme discover -t tcp -a $ADDR -s $DPORT >"$RES/discover-8009.txt" || return 1
    cat "$RES/discover-8009.txt"
    expect "$RES/discover-8009.txt" "subnqn:[[:space:]]+$NQN" "a log entry for $NQN" || return 1
    expect "$RES/discover-8009.txt" "trsvcid:[[:space:]]+$PORT" "the entry names port $PORT"
}

t_io() {
    fio_run default-4k --filename="$NSDEV" --rw=randwrite --bs=4k --size=32M --iodepth=16 --verify=crc32c
}

t_disconnect() { disconnect $NQN; }
t_stop() { katod_stop; }

begin
step katod-start t_katod_up
step printed-discover-and-connect t_printed_commands
step discover-port-8009 t_discover_8009
[[ -n "$NSDEV" ]] && step fio-4k-verify t_io
step disconnect t_disconnect
step katod-sigterm t_stop
finish
