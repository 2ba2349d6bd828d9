#!/bin/bash
# Why this exists: the Linux host must find katod's subsystems through discovery the way it finds
# the kernel target's: through the well-known discovery NQN and a unique one, on the I/O port and on
# a discovery-only port, persistently (nvme discover -p, with keep-alive), and a host that is not
# allowed into a subsystem must not see it listed.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

WKD=nqn.2014-08.org.nvmexpress.discovery
UDN=nqn.2026-11.io.kato:discovery-interop
OPEN=nqn.2026-11.io.kato:open
CLOSED=nqn.2026-11.io.kato:closed
GOOD=nqn.2026-11.io.kato:host-good
BAD=nqn.2026-11.io.kato:host-bad
KATOD_PORTS=("$PORT" "$DPORT")
katod_config <<JSON
{
  "katod": { "discovery_nqn": "$UDN" },
  "hosts": [ { "nqn": "$GOOD" } ],
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$OPEN", "$CLOSED" ] },
    { "portid": 2, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$DPORT" },
      "subsystems": [] }
  ],
  "subsystems": [
    { "nqn": "$OPEN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "16M" } } ] },
    { "nqn": "$CLOSED", "attr": { "allow_any_host": "0" }, "allowed_hosts": [ "$GOOD" ],
      "namespaces": [ { "nsid": 1, "device": { "backend": "null", "size": "16M" } } ] }
  ]
}
JSON

# The discovery log as "subtype|subnqn|trsvcid" lines, from nvme discover's normal output.
disc_entries() {
    awk '/^=====Discovery Log Entry/ { if (n) print st "|" nqn "|" svc; n = 1; st = nqn = svc = "" }
         /^subtype:/ { sub(/^subtype: */, ""); st = $0 }
         /^subnqn:/ { nqn = $2 }
         /^trsvcid:/ { svc = $2 }
         END { if (n) print st "|" nqn "|" svc }' "$1"
}

# discover NAME [nvme discover options...]: the log into $RES/discover-NAME.txt, entries into .entries
discover() {
    local name=$1; shift
    run nvme discover -t tcp -a $ADDR "$@" >"$RES/discover-$name.txt" 2>&1; local st=$?
    cat "$RES/discover-$name.txt"
    disc_entries "$RES/discover-$name.txt" >"$RES/discover-$name.entries"
    echo "--- entries (subtype|subnqn|trsvcid):"; cat "$RES/discover-$name.entries"
    return $st
}

has_entry() { # has_entry NAME SUBTYPE NQN [PORT]: exactly one such entry, naming PORT (default $PORT)
    local p=${4:-$PORT} n
    n=$(grep -cxF "$2|$3|$p" "$RES/discover-$1.entries")
    [[ $n -eq 1 ]] || { echo "expected one '$2' entry for $3 on port $p, found $n"; return 1; }
}
no_entry() { # no_entry NAME NQN
    ! grep -qF "|$2|" "$RES/discover-$1.entries" || { echo "$2 must not be listed"; return 1; }
}
entry_count() { # entry_count NAME N
    local n; n=$(wc -l <"$RES/discover-$1.entries")
    [[ $n -eq $2 ]] || { echo "expected $2 entries, found $n"; return 1; }
}

t_katod_up() {
    katod_start || return 1
    ss -ltn | grep -E ":($PORT|$DPORT) "
}

# The well-known NQN (nvme-cli's default), any host: the open subsystem (on the I/O port) and the
# discovery subsystem itself (under its unique NQN, on the port asked), not the closed one.
t_well_known() { # port
    local m; m=$(dmesg_mark)
    discover "wkd-$1" -s "$1" || return 1
    has_entry "wkd-$1" "nvme subsystem" $OPEN || return 1
    has_entry "wkd-$1" "current discovery subsystem" $UDN "$1" || return 1
    no_entry "wkd-$1" $CLOSED || return 1
    entry_count "wkd-$1" 2 || return 1
    dmesg_since "$m" | grep -F 'new ctrl' | tee "$RES/wkd-$1.dmesg"
    expect "$RES/wkd-$1.dmesg" "NQN \"$WKD\", addr $ADDR:$1" "the host connected to the well-known NQN"
}

t_unique() {
    local m; m=$(dmesg_mark)
    local k; k=$(klog_mark)
    discover unique -s $PORT -n $UDN || return 1
    has_entry unique "nvme subsystem" $OPEN || return 1
    has_entry unique "current discovery subsystem" $UDN || return 1
    no_entry unique $CLOSED || return 1
    dmesg_since "$m" | grep -F 'new ctrl' | tee "$RES/unique.dmesg"
    expect "$RES/unique.dmesg" "NQN \"$UDN\"" "the host connected to $UDN" || return 1
    klog_since "$k" | grep -F 'discovery controller for' | tee "$RES/unique.klog"
    expect "$RES/unique.klog" "discovery controller for $UDN" "katod's discovery controller for $UDN"
}

t_unknown_nqn() { # a discovery NQN katod does not serve: a clean refusal, no controller left
    local m; m=$(dmesg_mark)
    if run nvme discover -t tcp -a $ADDR -s $PORT -n nqn.2026-11.io.kato:no-such-discovery; then
        echo "discover with an unknown discovery NQN succeeded"; return 1
    fi
    dmesg_since "$m"
    ! any_ctrl || { echo "a controller was left behind"; ls /sys/class/nvme; return 1; }
}

t_allowed_host() {
    discover good -s $PORT --hostnqn $GOOD || return 1
    has_entry good "nvme subsystem" $OPEN || return 1
    has_entry good "nvme subsystem" $CLOSED || return 1
    has_entry good "current discovery subsystem" $UDN || return 1
    entry_count good 3
}

t_refused_host() {
    discover bad -s $DPORT --hostnqn $BAD || return 1
    has_entry bad "nvme subsystem" $OPEN || return 1
    no_entry bad $CLOSED || return 1
    # And it cannot connect to it either (the listing is not the only gate).
    if run nvme connect -t tcp -a $ADDR -s $PORT -n $CLOSED --hostnqn $BAD; then
        echo "host $BAD connected to $CLOSED"; return 1
    fi
    return 0
}

# nvme discover -p: the discovery controller stays connected with KATO 5 s and keep-alives keep it
# alive well past KATO; the persistent controller answers another discover through -d.
t_persistent() {
    local k; k=$(klog_mark)
    local m; m=$(dmesg_mark)
    discover persistent -s $PORT -p -k 5 || return 1
    has_entry persistent "nvme subsystem" $OPEN || return 1
    wait_for 30 "a live discovery controller" is_live $UDN || return 1
    grep -H . /sys/class/nvme/"$CTRL"/{cntrltype,subsysnqn,kato,state,cntlid}
    [[ "$(ctrl_attr cntrltype)" == discovery ]] || { echo "cntrltype is not discovery"; return 1; }
    [[ "$(ctrl_attr kato)" == 5 ]] || { echo "host KATO is not 5"; return 1; }
    klog_since "$k" | grep -F 'discovery controller for' | tail -1 | tee "$RES/persistent.klog"
    expect "$RES/persistent.klog" "KATO 5000 ms" "katod's discovery controller with KATO 5000 ms" || return 1
    local cntlid; cntlid=$(ctrl_attr cntlid)
    echo "waiting 12 s (more than 2 x KATO)"
    sleep 12
    find_ctrl $UDN || { echo "the persistent discovery controller is gone"; return 1; }
    [[ "$(ctrl_state)" == live && "$(ctrl_attr cntlid)" == "$cntlid" ]] ||
        { echo "state $(ctrl_state), cntlid $(ctrl_attr cntlid) (was $cntlid)"; return 1; }
    klog_since "$k" >"$RES/persistent.klog"
    refute "$RES/persistent.klog" "keep-alive timeout" "katod expired the persistent discovery controller" || return 1
    dmesg_since "$m" >"$RES/persistent.dmesg"
    refute "$RES/persistent.dmesg" "keep alive|error recovery|reconnect" "host-side keep-alive trouble" || return 1
    discover persistent-dev -d "$CTRL" || return 1
    has_entry persistent-dev "nvme subsystem" $OPEN || return 1
    run nvme disconnect -d "$CTRL" || return 1
    wait_gone $UDN
}

begin
step katod-start t_katod_up
step discover-well-known-io-port t_well_known $PORT
step discover-well-known-discovery-port t_well_known $DPORT
step discover-unique-nqn t_unique
step discover-unknown-nqn-refused t_unknown_nqn
cleanup_host
step discover-allowed-host t_allowed_host
step discover-refused-host t_refused_host
cleanup_host
step discover-persistent-kato t_persistent
finish
