# lib.sh - what the shell integration tests (tests/integration/test_*.sh)
# share: the ok/bad/skip report lines (bad counts in $fails), a free
# loopback TCP port, and an NVMe/TCP ICReq probe. Source it after setting
# fails=0.

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }
skip() { echo "skip: $*"; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

icreq() { # icreq PORT: 0 when an NVMe/TCP ICReq gets an ICResp
	python3 - "$1" <<'PY'
import socket, struct, sys
try:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
    s.sendall(struct.pack("<BBBBIHBBI", 0, 0, 128, 0, 128, 0, 0, 0, 0).ljust(128, b"\0"))
    r = b""
    while len(r) < 128:
        d = s.recv(128 - len(r))
        if not d: break
        r += d
except OSError:
    sys.exit(1)
sys.exit(0 if len(r) == 128 and r[0] == 1 and r[2] == 128 else 1)
PY
}
