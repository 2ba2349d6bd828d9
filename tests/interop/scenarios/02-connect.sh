#!/bin/bash
# Why this exists: connecting and disconnecting must work every time, not just once: in a loop,
# with header and data digests (checked on the wire), with the number of I/O queues the host asks
# for, and a host that is not allowed in must get a clean refusal that leaves nothing behind.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:connect
CLOSED=nqn.2026-11.io.kato:closed
GOOD=nqn.2026-11.io.kato:host-good
BAD=nqn.2026-11.io.kato:host-bad
LOOPS=${LOOPS:-10}
katod_config <<JSON
{
  "hosts": [ { "nqn": "$GOOD" } ],
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN", "$CLOSED" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "64M" } } ] },
    { "nqn": "$CLOSED", "attr": { "allow_any_host": "0" }, "allowed_hosts": [ "$GOOD" ],
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "16M" } } ] }
  ]
}
JSON

t_katod_up() { katod_start; }

# Connect, read and write a little, disconnect, $LOOPS times; katod must create and free one
# controller per round, with a new controller ID each time.
t_loop() {
    local k; k=$(klog_mark)
    local i ids=()
    for i in $(seq 1 "$LOOPS"); do
        echo "--- round $i"
        connect $NQN || return 1
        ids+=("$(ctrl_attr cntlid)")
        blk_roundtrip || return 1
        disconnect $NQN || return 1
    done
    echo "controller IDs: ${ids[*]}"
    [[ $(printf '%s\n' "${ids[@]}" | sort -u | wc -l) -eq $LOOPS ]] || { echo "controller IDs repeat"; return 1; }
    # The last controller is freed asynchronously after its queues close; give it a moment.
    wait_for 10 "katod freed $LOOPS controllers" eval "[[ \$(klog_since $k | grep -c 'controller freed') -ge $LOOPS ]]"
    local made freed
    made=$(klog_since "$k" | grep -c "I/O controller for $NQN")
    freed=$(klog_since "$k" | grep -c 'controller freed')
    echo "katod: $made controllers created, $freed freed"
    [[ $made -eq $LOOPS && $freed -eq $LOOPS ]]
}

# Count ICReq/ICResp PDUs on port $PORT whose DGST byte (offset 11: bit 0 header, bit 1 data) is 3,
# with nftables matching the start of the TCP payload: an independent view of what was negotiated.
nft_digest_setup() {
    nft delete table inet kato 2>/dev/null
    nft -f - <<NFT
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
    connect $NQN -g -G || return 1
    local req resp
    req=$(nft_count icreq-dgst); resp=$(nft_count icresp-dgst)
    echo "ICReq with HDGST+DDGST: $req, ICResp with HDGST+DDGST: $resp (expected one per queue)"
    nft delete table inet kato
    [[ "$req" == "$(( $(io_queues) + 1 ))" && "$resp" == "$req" ]] || { echo "digests not negotiated on every queue"; return 1; }
    fio_run dg-4k --filename="$NSDEV" --rw=randwrite --bs=4k --size=16M --verify=crc32c --iodepth=16 || return 1
    fio_run dg-128k --filename="$NSDEV" --rw=randwrite --bs=128k --size=64M --verify=crc32c --iodepth=8 || return 1
    if dmesg | grep -iE 'digest (error|mismatch)'; then echo "the host saw digest errors"; return 1; fi
    disconnect $NQN
}

t_nr_io_queues() { # count (with 2 guest CPUs, 2 is also the default; 1 shows the option is obeyed)
    connect $NQN --nr-io-queues "$1" || return 1
    local n; n=$(io_queues)
    [[ $n -eq $1 ]] || { echo "expected $1 I/O queues, the host has $n"; return 1; }
    # Read and write on every queue (one job per CPU).
    fio_run "q$1" --filename="$NSDEV" --rw=randwrite --bs=4k --size=16M --numjobs=2 \
        --offset_increment=16M --verify=crc32c --iodepth=8 --group_reporting || return 1
    disconnect $NQN
}

# refused HOSTNQN-OPTION... : nvme connect fails, the kernel says why, katod logs the refusal,
# no controller is left on either side, and katod still serves.
t_refused() {
    local m; m=$(dmesg_mark)
    local k; k=$(klog_mark)
    if run nvme connect -t tcp -a $ADDR -s $PORT -n "$@" >"$RES/refused.txt" 2>&1; then
        cat "$RES/refused.txt"; echo "the connect succeeded"; return 1
    fi
    cat "$RES/refused.txt"
    dmesg_since "$m" | tee "$RES/refused.dmesg"
    klog_since "$k" | grep -v ' debug: ' | tee "$RES/refused.klog"
    expect "$RES/refused.dmesg" "Connect .*(not allowed|[Ii]nvalid)|Connect command failed" \
        "the kernel reporting the refused Connect" || return 1
    expect "$RES/refused.klog" "connect refused" "katod logging the refusal" || return 1
    refute "$RES/refused.klog" "I/O controller for" "a controller created for a refused host" || return 1
    ! any_ctrl || { echo "the host kept a controller"; ls /sys/class/nvme; return 1; }
    # katod is unharmed: the allowed host gets in.
    connect $CLOSED --hostnqn $GOOD || return 1
    disconnect $CLOSED
}

begin
step katod-start t_katod_up
step connect-disconnect-x$LOOPS t_loop
cleanup_host
step connect-digests t_digests
cleanup_host
step connect-nr-io-queues-1 t_nr_io_queues 1
cleanup_host
step connect-nr-io-queues-2 t_nr_io_queues 2
cleanup_host
step refused-host-default-nqn t_refused $CLOSED
cleanup_host
step refused-host-named t_refused $CLOSED --hostnqn $BAD
cleanup_host
step refused-unknown-subsystem t_refused nqn.2026-11.io.kato:no-such-subsystem --hostnqn $GOOD
finish
