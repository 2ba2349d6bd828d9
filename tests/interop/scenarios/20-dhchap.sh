#!/bin/bash
# Why this exists: the Linux host's DH-HMAC-CHAP code (drivers/nvme/host/auth.c) is the judge of
# katod's in-band authentication: keys made by the host's own `nvme gen-dhchap-key`, every hash,
# the NULL and FFDHE groups, the controller authenticated by the host (bidirectional), a wrong key
# refused on either side with nothing left behind, a host that offers no key refused, and
# re-authentication with a key changed live on both sides while the controller stays up.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

# Debian's 6.1 kernel is built without CONFIG_NVME_HOST_AUTH: nvme connect has no dhchap options
# to give the kernel ("nvme-fabrics does not support dhchap_secret").
skip_on 6.1 -- "the host kernel has no DH-HMAC-CHAP (CONFIG_NVME_HOST_AUTH is off in Debian 12)"

NQN=nqn.2026-11.io.kato:dhchap
HOST=nqn.2014-08.org.nvmexpress:uuid:8c5e5a2e-7d1b-4f0e-9a55-3b4f3a0d2c11
HOSTID=8c5e5a2e-7d1b-4f0e-9a55-3b4f3a0d2c11
KATOCTL=${KATOCTL:-${KATO_BUILD:-/kato/build}/katoctl}
SOCK=/run/katod-interop.sock

# Keys as users make them: the host's key transformed with SHA-256 for its NQN, a second host key
# (SHA-384) for the live change, the controller's key for the subsystem NQN, and one nobody holds.
KEY=$(nvme gen-dhchap-key --hmac=1 --nqn="$HOST")
KEY2=$(nvme gen-dhchap-key --hmac=2 --nqn="$HOST")
CKEY=$(nvme gen-dhchap-key --hmac=3 --nqn="$NQN")
WRONG=$(nvme gen-dhchap-key --hmac=0)
for k in "$KEY" "$KEY2" "$CKEY" "$WRONG"; do
    [[ $k == DHHC-1:0[0-3]:*: ]] || { echo "nvme gen-dhchap-key gave '$k'"; exit 2; }
done

katod_config <<JSON
{
  "katod": { "control_socket": "$SOCK" },
  "hosts": [ { "nqn": "$HOST",
               "attr": { "dhchap_key": "$KEY", "dhchap_hash": "hmac(sha256)", "dhchap_dhgroup": "null" } } ],
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "0" }, "allowed_hosts": [ "$HOST" ],
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "64M" } } ] }
  ]
}
JSON

kctl() { run "$KATOCTL" -s "$SOCK" "$@"; }

t_katod_up() {
    katod_start || return 1
    # no key text in katod's own listing of its hosts
    kctl hosts >"$RES/hosts.txt" || return 1
    cat "$RES/hosts.txt"
    ! grep -q 'DHHC-1' "$RES/hosts.txt" || { echo "katoctl hosts shows a key"; return 1; }
}

# authenticated_all MARK WHAT: katod logged WHAT (e.g. "authenticated (sha256, null)") for the
# admin queue and each I/O queue of the host's controller since log mark MARK.
authenticated_all() {
    local k=$1 what=$2 n want
    want=$(( $(io_queues) + 1 ))
    n=$(klog_since "$k" | grep -F "$HOST" | grep -cF "$what")
    echo "katod: '$what' on $n queues (the controller has $want)"
    [[ $n -eq $want ]]
}

# t_one HASH GROUP: katod set live to HASH and GROUP, the host connects with its key, every queue
# authenticates with them, data moves, disconnect.
t_one() {
    local hash=$1 group=$2 k
    kctl hosts set "$HOST" --dhchap-hash "hmac($hash)" --dhchap-dhgroup "$group" || return 1
    k=$(klog_mark)
    connect "$NQN" --hostnqn="$HOST" --hostid="$HOSTID" --dhchap-secret="$KEY" || return 1
    authenticated_all "$k" "authenticated ($hash, $group)" || return 1
    blk_roundtrip 4 || return 1
    disconnect "$NQN"
}

# The host checks the controller too: katod answers R2 computed with the controller key.
t_bidirectional() {
    local k
    kctl hosts set "$HOST" --dhchap-ctrl-key "$CKEY" --dhchap-hash "hmac(sha512)" --dhchap-dhgroup ffdhe2048 || return 1
    k=$(klog_mark)
    connect "$NQN" --hostnqn="$HOST" --hostid="$HOSTID" --dhchap-secret="$KEY" --dhchap-ctrl-secret="$CKEY" || return 1
    authenticated_all "$k" "authenticated (sha512, ffdhe2048, bidirectional)" || return 1
    blk_roundtrip 4 || return 1
    disconnect "$NQN"
}

# refused HOW [nvme connect options]: the connect fails, katod says why (HOW: a regular
# expression over its log; empty: katod has nothing to say), and no controller is left on either
# side.
refused() {
    local how=$1 k d st; shift
    k=$(klog_mark); d=$(dmesg_mark)
    run nvme connect -t tcp -a $ADDR -s $PORT -n "$NQN" --hostnqn="$HOST" --hostid="$HOSTID" "$@" \
        >"$RES/refused.txt" 2>&1; st=$?
    cat "$RES/refused.txt"
    [[ $st -ne 0 ]] || { echo "nvme connect succeeded"; return 1; }
    dmesg_since "$d" | grep -E 'nvme|auth' | tail -5
    if [[ -n $how ]]; then
        wait_for 10 "katod logged the refusal" eval "klog_since $k | grep -qE '$how'" || return 1
        klog_since "$k" | grep -E "$how" | head -2
    fi
    sleep 1
    if any_ctrl; then echo "a controller is left on the host"; ls /sys/class/nvme; return 1; fi
    wait_for 10 "katod holds no controller" eval "! $KATOCTL -s $SOCK controllers | grep -qF '$HOST'"
}

t_wrong_host_key() { refused 'authentication failed: ' --dhchap-secret="$WRONG"; }
# The host finds katod's R2 wrong (it holds another controller key) and says so with Failure2.
t_wrong_ctrl_key() { refused "authentication failed: .*Failure2" --dhchap-secret="$KEY" --dhchap-ctrl-secret="$WRONG"; }
# No key at all: the Connect response says authentication is required (ATR) and the host, which
# has nothing to authenticate with, gives up; katod refuses any other command on that queue.
t_no_key() { refused ""; }

# Re-authentication: the key changes on katod (live), then on the host (sysfs dhchap_secret, which
# makes the host re-authenticate its admin queue at once); the controller stays up, data moves.
t_reauth() {
    local k cntlid
    kctl hosts set "$HOST" --dhchap-ctrl-key "" --dhchap-hash "hmac(sha256)" --dhchap-dhgroup ffdhe3072 || return 1
    connect "$NQN" --hostnqn="$HOST" --hostid="$HOSTID" --dhchap-secret="$KEY" || return 1
    cntlid=$(ctrl_attr cntlid)
    k=$(klog_mark)
    kctl hosts set "$HOST" --dhchap-key "$KEY2" || return 1
    echo "$KEY2" >/sys/class/nvme/"$CTRL"/dhchap_secret || return 1
    wait_for 30 "katod re-authenticated the host" eval "klog_since $k | grep -F '$HOST' | grep -q 're-authenticated'" || return 1
    klog_since "$k" | grep -F "$HOST" | grep -E 'authenticat' | head -3
    if klog_since "$k" | grep -F "$HOST" | grep -q 'authentication failed'; then echo "a failure was logged"; return 1; fi
    [[ $(ctrl_attr cntlid) == "$cntlid" && $(ctrl_state) == live ]] ||
        { echo "the controller did not stay up: cntlid $(ctrl_attr cntlid), state $(ctrl_state)"; return 1; }
    blk_roundtrip 4 || return 1
    disconnect "$NQN"
}

# katod logged every event above; none of its lines may hold a key (its base64 part).
t_no_secret_logged() { no_key_in_klog authenticat "$KEY" "$KEY2" "$CKEY" "$WRONG"; }

begin
step katod-start t_katod_up
step auth-sha256-null t_one sha256 null
cleanup_host
step auth-sha384-ffdhe2048 t_one sha384 ffdhe2048
cleanup_host
step auth-sha512-ffdhe4096 t_one sha512 ffdhe4096
cleanup_host
step auth-bidirectional t_bidirectional
cleanup_host
step refused-wrong-host-key t_wrong_host_key
cleanup_host
step refused-wrong-ctrl-key t_wrong_ctrl_key
cleanup_host
step refused-no-key t_no_key
cleanup_host
step reauth-live-key-change t_reauth
step no-secret-in-katod-log t_no_secret_logged
finish
