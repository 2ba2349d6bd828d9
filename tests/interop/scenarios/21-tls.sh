#!/bin/bash
# Why this exists: the Linux host's NVMe/TCP TLS (the kernel's handshake upcall to tlshd from
# ktls-utils, keys in the .nvme keyring as nvme-cli puts them there) is the judge of katod's
# in-process TLS 1.3 server: a PSK made by `nvme gen-tls-key`, inserted with identity version 1
# (the host sends NVMe1R01 <hostnqn> <subnqn> <digest>), data through the encrypted queues, the
# discovery log saying the port requires TLS, and a plain connect, a wrong key and a host katod
# has no key for all refused with nothing left behind; no key ever in katod's log.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

# Debian 12's 6.1 kernel has no NVMe/TCP TLS (CONFIG_NVME_TCP_TLS came in 6.7) and no tlshd.
skip_on 6.1 -- "the host kernel has no NVMe/TCP TLS (CONFIG_NVME_TCP_TLS is 6.7 and later)"

NQN=nqn.2026-11.io.kato:tls
HOST=nqn.2014-08.org.nvmexpress:uuid:5d0b1c7e-3a2f-4e8b-9c61-7f2a9e4d8b30
HOSTID=5d0b1c7e-3a2f-4e8b-9c61-7f2a9e4d8b30
# a second host: katod has a key for it, the host holds another one
HOST2=nqn.2014-08.org.nvmexpress:uuid:6e1c2d8f-4b3a-4f9c-8d72-8a3b0f5e9c41
HOSTID2=6e1c2d8f-4b3a-4f9c-8d72-8a3b0f5e9c41
# a third host katod has no key for
HOST3=nqn.2014-08.org.nvmexpress:uuid:7f2d3e9a-5c4b-4a0d-9e83-9b4c1a6f0d52
HOSTID3=7f2d3e9a-5c4b-4a0d-9e83-9b4c1a6f0d52
DISC=nqn.2014-08.org.nvmexpress.discovery

KEY=$(nvme gen-tls-key --hmac=1)
KEY2=$(nvme gen-tls-key --hmac=2)
OTHER=$(nvme gen-tls-key --hmac=2)
for k in "$KEY" "$KEY2" "$OTHER"; do
    [[ $k == NVMeTLSkey-1:0[12]:*: ]] || { echo "nvme gen-tls-key gave '$k'"; exit 2; }
done

katod_config <<JSON
{
  "hosts": [ { "nqn": "$HOST", "tls": { "key": "$KEY" } },
             { "nqn": "$HOST2", "tls": { "key": "$KEY2" } },
             { "nqn": "$HOST3" } ],
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT",
                             "treq": "required", "tsas": "tls1.3" },
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "0" }, "allowed_hosts": [ "$HOST", "$HOST2", "$HOST3" ],
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "64M" } } ] }
  ]
}
JSON

# The host side: the keys in the kernel's .nvme keyring (identity version 1), and tlshd, which
# the kernel asks to run the handshake (the guest boots no systemd, so it is started here).
t_host_keys() {
    run nvme check-tls-key --hostnqn="$HOST" --subsysnqn="$NQN" --identity=1 --insert --keydata="$KEY" || return 1
    run nvme check-tls-key --hostnqn="$HOST" --subsysnqn="$DISC" --identity=1 --insert --keydata="$KEY" || return 1
    run nvme check-tls-key --hostnqn="$HOST2" --subsysnqn="$NQN" --identity=1 --insert --keydata="$OTHER" || return 1
    tlshd_start
}

t_katod_up() { katod_start; }

t_discover() {
    run nvme discover -t tcp -a $ADDR -s $PORT --hostnqn="$HOST" --hostid="$HOSTID" --tls >"$RES/discover.txt" 2>&1 ||
        { cat "$RES/discover.txt"; return 1; }
    cat "$RES/discover.txt"
    expect "$RES/discover.txt" "treq: +required" "the port requires a secure channel" &&
        expect "$RES/discover.txt" "sectype: +tls13" "the port's security type is TLS 1.3"
}

# Every queue of the controller ran a TLS 1.3 handshake with the host's identity-1 PSK.
t_connect() {
    local k n want
    k=$(klog_mark)
    connect "$NQN" --hostnqn="$HOST" --hostid="$HOSTID" --tls || return 1
    want=$(( $(io_queues) + 1 ))
    n=$(klog_since "$k" | grep -c "TLS 1.3 .*PSK identity NVMe1R01 host $HOST subsystem $NQN")
    klog_since "$k" | grep "TLS 1.3" | head -1
    echo "katod: $n TLS handshakes for this host (the controller has $want queues)"
    [[ $n -eq $want ]] || return 1
    blk_roundtrip 16 || return 1
    disconnect "$NQN"
}

# refused HOW [nvme connect options]: the connect fails, katod says why (a regular expression
# over its log), and no controller is left on either side.
refused() {
    local how=$1 k st; shift
    k=$(klog_mark)
    run nvme connect -t tcp -a $ADDR -s $PORT -n "$NQN" "$@" >"$RES/refused.txt" 2>&1; st=$?
    cat "$RES/refused.txt"
    [[ $st -ne 0 ]] || { echo "nvme connect succeeded"; return 1; }
    wait_for 15 "katod logged the refusal" eval "klog_since $k | grep -qE '$how'" || return 1
    klog_since "$k" | grep -E "$how" | head -2
    sleep 1
    if any_ctrl; then echo "a controller is left on the host"; ls /sys/class/nvme; return 1; fi
}

# no TLS at all: the port requires it, so katod closes a connection that starts with an ICReq
t_plain() { refused "TLS handshake failed" --hostnqn="$HOST" --hostid="$HOSTID"; }
t_wrong_key() { refused "TLS handshake failed" --hostnqn="$HOST2" --hostid="$HOSTID2" --tls; }
t_no_key() {
    # the host has no key for HOST3 either: it gives up without a handshake, so katod sees
    # nothing; a key only the host holds (HOST2's) is the wrong-key case above
    local st
    run nvme connect -t tcp -a $ADDR -s $PORT -n "$NQN" --hostnqn="$HOST3" --hostid="$HOSTID3" --tls \
        >"$RES/nokey.txt" 2>&1; st=$?
    cat "$RES/nokey.txt"
    [[ $st -ne 0 ]] && ! any_ctrl
}

t_no_secret_logged() { no_key_in_klog TLS "$KEY" "$KEY2" "$OTHER"; }

begin
trap 'cleanup_host; [[ -n "$KPID" ]] && kill -TERM "$KPID" 2>/dev/null; [[ -n "$TLSHD_PID" ]] && kill "$TLSHD_PID" 2>/dev/null' EXIT
step host-keys-and-tlshd t_host_keys
step katod-start t_katod_up
step discover-tls t_discover
cleanup_host
step connect-tls-io t_connect
cleanup_host
step refused-plain-connect t_plain
cleanup_host
step refused-wrong-key t_wrong_key
cleanup_host
step refused-no-key t_no_key
cleanup_host
step no-secret-in-katod-log t_no_secret_logged
finish
