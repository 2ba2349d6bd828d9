#!/bin/bash
# Why this exists: a port bound to a wildcard address (0.0.0.0) must be listed in the discovery log
# with an address the Linux host can connect to - the local address of the connection it asked
# over, as the kernel target does - and nvme connect-all must then reach the subsystem there.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

OPEN=nqn.2026-11.io.kato:wildcard
katod_config <<JSON
{
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "0.0.0.0", "trsvcid": "$PORT" },
      "subsystems": [ "$OPEN" ] }
  ],
  "subsystems": [
    { "nqn": "$OPEN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "16M" } } ] }
  ]
}
JSON

t_katod_up() {
    katod_start || return 1
    ss -ltn | grep -E ":$PORT "
}

# discover_at ADDR: every entry names ADDR (never 0.0.0.0), the subsystem is listed.
discover_at() {
    run nvme discover -t tcp -a "$1" -s $PORT >"$RES/discover-$1.txt" 2>&1 || { cat "$RES/discover-$1.txt"; return 1; }
    cat "$RES/discover-$1.txt"
    local n; n=$(grep -c '^traddr:' "$RES/discover-$1.txt")
    [[ $n -eq 2 ]] || { echo "expected 2 entries, found $n"; return 1; }
    refute "$RES/discover-$1.txt" "^traddr: *0\\.0\\.0\\.0" "a wildcard address in the log" || return 1
    [[ $(grep -c "^traddr: *$1 *\$" "$RES/discover-$1.txt") -eq 2 ]] || { echo "entries do not name $1"; return 1; }
    expect "$RES/discover-$1.txt" "^subnqn: *$OPEN" "the subsystem listed"
}

# connect-all follows the log: the controller's address is the one the log gave.
t_connect_all() {
    run nvme connect-all -t tcp -a 127.0.0.2 -s $PORT || return 1
    wait_live $OPEN || return 1
    grep -H . /sys/class/nvme/"$CTRL"/address
    grep -q 'traddr=127\.0\.0\.2,' /sys/class/nvme/"$CTRL"/address || { echo "not connected at 127.0.0.2"; return 1; }
    disconnect $OPEN
}

begin
step katod-start t_katod_up
step discover-via-127.0.0.1 discover_at 127.0.0.1
step discover-via-127.0.0.2 discover_at 127.0.0.2
cleanup_host
step connect-all-at-listed-address t_connect_all
finish
