#!/bin/bash
# test_blktests_control.sh - the blktests external-target script
# (daemon/katoctl/kato-nvme-target-control) against a katod this test
# starts: every `config --show-*` value (defaults, "file" as the blkdev
# type whatever backs the namespace, settings from the
# environment, the host identity generated once and kept, /etc/nvme's not
# touched), `setup` (subsystem, namespace with the given UUID, host allowed,
# linked to a port created on traddr:trsvcid, which then answers an ICReq;
# --hostkey/--ctrkey set on the host it adds, as `katoctl --json hosts`
# shows, and live (a host that does not authenticate is refused), or on a
# host katod had, which cleanup keeps but without them; a bad key or a
# controller key alone refused, leaving nothing; a namespace file per
# subsystem with KATO_BLKTESTS_DIR), `add-ports` (N ports on free TCP
# ports, linked, each answering; setup's keys accepted and ignored, others
# refused), `cleanup` (everything setup and add-ports made is gone, the host
# it added with keys too, what was there before stays), no key in the state
# directory, a log or a message, and usage errors.
# Needs KATOD_BIN (ctest sets it), KATO_SRC_DIR and KATO_BUILD_DIR.
set -u
: "${KATOD_BIN:?}" "${KATO_SRC_DIR:?}" "${KATO_BUILD_DIR:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kato-blk-XXXXXX")
PID=
fails=0
cleanup() {
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	if [ "$fails" -gt 0 ] || [ -n "${KATO_TEST_LOG:-}" ]; then
		echo "---- katod log"; cat "$T/katod.log" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}

SCRIPT=$KATO_SRC_DIR/daemon/katoctl/kato-nvme-target-control
export KATOCTL=$KATO_BUILD_DIR/katoctl
export KATOD_SOCKET=$T/katod.sock
export KATO_BLKTESTS_STATE_DIR=$T/state
P0=$(free_port)
P1=$(free_port)
while [ "$P1" = "$P0" ]; do P1=$(free_port); done
export KATO_BLKTESTS_TRSVCID=$P1
export KATO_BLKTESTS_SIZE=8M
KC() { "$KATOCTL" "$@"; }

cat >"$T/katod.json" <<EOF
{"ports": [{"portid": 1, "addr": {"traddr": "127.0.0.1", "trsvcid": "$P0"}, "subsystems": ["nqn.2026-11.io.kato:keep"]}],
 "subsystems": [{"nqn": "nqn.2026-11.io.kato:keep", "attr": {"allow_any_host": "1"},
   "namespaces": [{"nsid": 1, "device": {"backend": "ram", "size": "1M"}}]}],
 "katod": {"workers": 2}}
EOF
"$KATOD_BIN" -c "$T/katod.json" -s "$KATOD_SOCKET" 2>"$T/katod.log" &
PID=$!
for _ in $(seq 100); do KC version >/dev/null 2>&1 && break; sleep 0.05; done
KC version >/dev/null || { bad "katod did not start"; exit 1; }

# ---- config
check "config --show-trtype" tcp "$("$SCRIPT" config --show-trtype)"
# "file" for a RAM namespace too: "device" makes blktests attach a loop
# device it never detaches with an external target
check "config --show-blkdev-type" file "$("$SCRIPT" config --show-blkdev-type)"
check "config --show-blkdev-type with a file" file "$(KATO_BLKTESTS_PATH=/x "$SCRIPT" config --show-blkdev-type)"
check "config --show-traddr" 127.0.0.1 "$("$SCRIPT" config --show-traddr)"
check "config --show-trsvid" "$P1" "$("$SCRIPT" config --show-trsvid)"
check "config --show-host-traddr" 127.0.0.1 "$("$SCRIPT" config --show-host-traddr)"
check "config --show-subsysnqn" blktests-subsystem-1 "$("$SCRIPT" config --show-subsysnqn)"
check "config --show-subsys-uuid" 91fdba0d-f87b-4c25-b80f-db7be1418b9e "$("$SCRIPT" config --show-subsys-uuid)"
check "config --show-subsysnqn from the environment" nqn.x:y "$(KATO_BLKTESTS_SUBSYSNQN=nqn.x:y "$SCRIPT" config --show-subsysnqn)"
hostnqn=$("$SCRIPT" config --show-hostnqn)
hostid=$("$SCRIPT" config --show-hostid)
if [ -s /etc/nvme/hostnqn ]; then
	check "config --show-hostnqn is /etc/nvme/hostnqn" "$(tr -d ' \n' </etc/nvme/hostnqn)" "$hostnqn"
else
	check "config --show-hostnqn generated from the host id" "nqn.2014-08.org.nvmexpress:uuid:$hostid" "$hostnqn"
	check "the host NQN is kept" "$hostnqn" "$(cat "$T/state/hostnqn")"
fi
if [[ "$hostid" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]; then ok "hostid is a UUID"; else bad "hostid '$hostid'"; fi
check "config --show-hostid is stable" "$hostid" "$("$SCRIPT" config --show-hostid)"
"$SCRIPT" config --show-nothing >/dev/null 2>&1; check "config with an unknown option fails" 2 $?
"$SCRIPT" config >/dev/null 2>&1; check "config without an option fails" 2 $?

# ---- setup
NQN=$("$SCRIPT" config --show-subsysnqn)
UUID=0b7f7d2e-5c4a-4f27-9d0e-000000000042
HOST=nqn.2014-08.org.nvmexpress:uuid:0f01fb42-9f7f-4856-b0b3-51e60b8de349
icreq "$P1"; check "nothing listens on $P1 before setup" 1 $?
"$SCRIPT" setup --subsysnqn "$NQN" --subsys-uuid "$UUID" --hostnqn "$HOST"
check "setup exits 0" 0 $?
out=$(KC --json subsystems "$NQN")
check "setup: subsystem exists" "$NQN" "$(jq -r .[0].nqn <<<"$out")"
check "setup: no host but the one" false "$(jq -r .[0].allow_any_host <<<"$out")"
check "setup: host allowed" "$HOST" "$(jq -r '.[0].allowed_hosts | join(",")' <<<"$out")"
ns=$(KC --json namespaces -n "$NQN")
check "setup: namespace 1" 1 "$(jq -r '.[0].nsid' <<<"$ns")"
check "setup: namespace UUID is the subsystem UUID" "$UUID" "$(jq -r '.[0].uuid' <<<"$ns")"
check "setup: namespace size" 8388608 "$(jq -r '.[0].size' <<<"$ns")"
port=$(KC --json ports | jq -r ".[] | select(.trsvcid == \"$P1\") | .portid")
[ -n "$port" ] && ok "setup: port on $P1 is $port" || bad "setup: no port on $P1"
check "setup: port linked" "$NQN" "$(KC --json ports | jq -r ".[] | select(.portid == ${port:-0}) | .subsystems | join(\",\")")"
icreq "$P1"; check "setup: the port answers an ICReq" 0 $?

# setup again: the stale subsystem is replaced, not refused
"$SCRIPT" setup --subsysnqn "$NQN" --subsys-uuid "$UUID" --hostnqn "$HOST"
check "setup twice exits 0" 0 $?
check "setup twice: one subsystem" 1 "$(KC --json subsystems | jq "[.[] | select(.nqn == \"$NQN\")] | length")"

# ---- DH-HMAC-CHAP keys (blktests nvme/041-045: _nvmet_target_setup --hostkey --ctrlkey,
# which passes the controller key as --ctrkey)
genkey() { # genkey HH BYTES: a DHHC-1 secret (random key, its CRC-32, base64)
	python3 -c 'import base64, os, sys, zlib
k = os.urandom(int(sys.argv[2]))
print("DHHC-1:%s:%s:" % (sys.argv[1], base64.b64encode(k + zlib.crc32(k).to_bytes(4, "little")).decode()))' "$1" "$2"
}
HKEY=$(genkey 01 32) CKEY=$(genkey 00 32) OKEY=$(genkey 00 32)
hostfield() { KC --json hosts | jq -r ".[] | select(.nqn == \"$1\") | .$2"; }
ANQN=nqn.2026-11.io.kato:auth
AHOST=nqn.2014-08.org.nvmexpress:uuid:0f01fb42-9f7f-4856-b0b3-51e60b8de34a
"$SCRIPT" setup --subsysnqn "$ANQN" --subsys-uuid "$UUID" --hostnqn "$AHOST" --hostkey "$HKEY" --ctrkey "$CKEY"
check "setup --hostkey --ctrkey exits 0" 0 $?
check "setup: the host it added has the key (katoctl --json hosts)" set "$(hostfield "$AHOST" dhchap_key)"
check "setup: and the controller key" set "$(hostfield "$AHOST" dhchap_ctrl_key)"
check "setup: katod holds exactly those keys" "$HKEY $CKEY" \
	"$(KC call config.save | jq -r ".config.hosts[] | select(.nqn == \"$AHOST\") | \"\(.dhchap.key) \(.dhchap.ctrl_key)\"")"
"$KATO_BUILD_DIR/nvmf_identify" -a 127.0.0.1 -s "$P1" -n "$ANQN" -q "$AHOST" >/dev/null 2>&1
check "setup's keys are live: a host that does not authenticate is refused" 1 $?
out=$("$SCRIPT" add-ports --ports 1 --subsysnqn "$ANQN" --subsys-uuid "$UUID" --hostnqn "$AHOST" \
	--hostkey "$HKEY" --ctrkey "$CKEY")
check "add-ports with setup's keys exits 0" 0 $?
check "add-ports with setup's keys adds a port" 1 "$(wc -l <<<"$out")"
msg=$("$SCRIPT" add-ports --ports 1 --subsysnqn "$ANQN" --hostkey "$OKEY" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "differ from the keys setup set" <<<"$msg"; then
	ok "add-ports with another key refused"; else bad "add-ports with another key: $rc $msg"; fi
check "add-ports changes no key" set "$(hostfield "$AHOST" dhchap_key)"
leaked=
for k in "$HKEY" "$CKEY" "$OKEY"; do
	b=${k#DHHC-1:??:}; b=${b%:}
	grep -rqF -- "${b:0:16}" "$T/state" "$T/katod.log" - <<<"$msg" && leaked="$leaked ${k:0:12}"
done
check "no key in the state directory, katod's log or a message" "" "$leaked"
"$SCRIPT" cleanup --subsysnqn "$ANQN"
check "cleanup exits 0" 0 $?
check "cleanup: the host setup added with keys is gone" "" "$(hostfield "$AHOST" nqn)"
check "cleanup: no port left for it" 0 "$(KC --json ports | jq "[.[] | select(.subsystems | index(\"$ANQN\"))] | length")"
check "cleanup: no record of the subsystem kept" "" "$(ls "$T/state" | grep 'kato_auth$')"
# a host katod has already (setup added it for $NQN) gets the keys, and loses them at cleanup
"$SCRIPT" setup --subsysnqn "$ANQN" --subsys-uuid "$UUID" --hostnqn "$HOST" --hostkey "$HKEY"
check "setup --hostkey on an existing host exits 0" 0 $?
check "the existing host has the key" "set -" "$(hostfield "$HOST" dhchap_key) $(hostfield "$HOST" dhchap_ctrl_key)"
"$SCRIPT" cleanup --subsysnqn "$ANQN"
check "cleanup: the existing host stays" "$HOST" "$(hostfield "$HOST" nqn)"
check "cleanup: without the key setup gave it" - "$(hostfield "$HOST" dhchap_key)"
msg=$("$SCRIPT" setup --subsysnqn "$ANQN" --subsys-uuid "$UUID" --hostnqn "$AHOST" --ctrlkey "$CKEY" 2>&1)
check "setup --ctrlkey without --hostkey fails" 1 $?
BAD=${HKEY%????:}AAAA:
msg=$("$SCRIPT" setup --subsysnqn "$ANQN" --subsys-uuid "$UUID" --hostnqn "$AHOST" --hostkey "$BAD" 2>&1)
check "setup with a bad key fails" 1 $?
grep -qF -- "${BAD:10:16}" <<<"$msg" && bad "the bad key is in the message: $msg" || ok "the message holds no key"
KC subsystems "$ANQN" >/dev/null 2>&1; check "a failed setup leaves no subsystem" 1 $?
check "a failed setup leaves no host" "" "$(hostfield "$AHOST" nqn)"
"$SCRIPT" setup --subsysnqn "$NQN" >/dev/null 2>&1; check "setup without --hostnqn fails" 2 $?
"$SCRIPT" setup --subsysnqn nqn.2026-11.io.kato:bad --subsys-uuid nope --hostnqn "$HOST" >/dev/null 2>&1
check "setup with a bad UUID fails" 1 $?
KC subsystems nqn.2026-11.io.kato:bad >/dev/null 2>&1; check "a failed setup leaves no subsystem" 1 $?

# ---- add-ports
out=$("$SCRIPT" add-ports --ports 2)
check "add-ports exits 0" 0 $?
check "add-ports prints two ports" 2 "$(wc -l <<<"$out")"
while read -r pid addr svc; do
	check "add-ports: port $pid linked" "$NQN" "$(KC --json ports | jq -r ".[] | select(.portid == $pid) | .subsystems | join(\",\")")"
	check "add-ports: port $pid address" "127.0.0.1:$svc" "$addr:$(KC --json ports | jq -r ".[] | select(.portid == $pid) | .trsvcid")"
	icreq "$svc"; check "add-ports: port $pid answers" 0 $?
done <<<"$out"
"$SCRIPT" add-ports --ports x >/dev/null 2>&1; check "add-ports --ports x fails" 2 $?
"$SCRIPT" add-ports --ports 1 --subsysnqn nqn.2026-11.io.kato:none >/dev/null 2>&1
check "add-ports for an unknown subsystem fails" 1 $?
# what blktests passes (common/nvme, _add_nvmet_subsys_to_ports): setup's arguments again
out=$("$SCRIPT" add-ports --ports 1 --subsysnqn "$NQN" --subsys-uuid "$UUID" --hostnqn "$HOST")
check "add-ports with blktests' arguments exits 0" 0 $?
check "add-ports with blktests' arguments adds one port" 1 "$(wc -l <<<"$out")"
msg=$("$SCRIPT" add-ports --ports 1 --subsysnqn "$NQN" --hostkey "$HKEY" 2>&1)
rc=$?
if [ $rc -eq 1 ] && grep -q "differ from the keys setup set" <<<"$msg"; then
	ok "add-ports with a key setup did not set refused"; else bad "add-ports --hostkey: $rc $msg"; fi
msg=$("$SCRIPT" frobnicate 2>&1)
check "an unknown command exits 2" 2 $?
if grep -q '^usage:   add-ports --ports N' <<<"$msg" && ! grep -q 'setup creates' <<<"$msg"; then
	ok "usage lists the commands"; else bad "usage: $msg"; fi

# ---- KATO_BLKTESTS_DIR: one file per subsystem, made by setup, deleted by cleanup
NQN2=nqn.2026-11.io.kato:filens
KATO_BLKTESTS_DIR=$T/ns "$SCRIPT" setup --subsysnqn "$NQN2" --subsys-uuid "$UUID" --hostnqn "$HOST"
check "setup with KATO_BLKTESTS_DIR exits 0" 0 $?
F=$T/ns/nqn.2026-11.io.kato_filens.img
check "setup made the namespace file" 8388608 "$(stat -c %s "$F" 2>/dev/null)"
check "the namespace is that file" "$F" "$(KC --json namespaces -n "$NQN2" | jq -r '.[0].path')"
KATO_BLKTESTS_DIR=$T/ns "$SCRIPT" cleanup --subsysnqn "$NQN2"
check "cleanup with KATO_BLKTESTS_DIR exits 0" 0 $?
check "cleanup deleted the namespace file" no "$([ -e "$F" ] && echo yes || echo no)"

# ---- cleanup
"$SCRIPT" cleanup --subsysnqn "$NQN"
check "cleanup exits 0" 0 $?
KC subsystems "$NQN" >/dev/null 2>&1; check "cleanup: subsystem gone" 1 $?
check "cleanup: only the first port is left" 1 "$(KC --json ports | jq length)"
check "cleanup: the host it added is gone" 0 "$(KC --json hosts | jq length)"
icreq "$P1"; check "cleanup: $P1 closed" 1 $?
check "cleanup: the other subsystem stays" nqn.2026-11.io.kato:keep "$(KC --json subsystems nqn.2026-11.io.kato:keep | jq -r .[0].nqn)"
icreq "$P0"; check "cleanup: the first port still answers" 0 $?
"$SCRIPT" cleanup --subsysnqn "$NQN"; check "cleanup of nothing exits 0" 0 $?
"$SCRIPT" cleanup >/dev/null 2>&1; check "cleanup without --subsysnqn fails" 2 $?

# setup reuses a port katod already has at traddr:trsvcid
KATO_BLKTESTS_TRSVCID=$P0 "$SCRIPT" setup --subsysnqn "$NQN" --subsys-uuid "$UUID" --hostnqn "$HOST"
check "setup on an existing port exits 0" 0 $?
check "setup on an existing port: linked there" "nqn.2026-11.io.kato:keep,$NQN" \
	"$(KC --json ports | jq -r '.[] | select(.portid == 1) | .subsystems | join(",")')"
KATO_BLKTESTS_TRSVCID=$P0 "$SCRIPT" cleanup --subsysnqn "$NQN"
check "cleanup keeps a port it did not create" 1 "$(KC --json ports | jq length)"

"$SCRIPT" frobnicate >/dev/null 2>&1; check "an unknown command fails" 2 $?
kill -0 "$PID" 2>/dev/null && ok "katod still runs" || bad "katod died"
kill -TERM "$PID"
wait "$PID"
rc=$?
PID=
check "katod exits 0 on SIGTERM (sanitizers: no leak)" 0 "$rc"
[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
