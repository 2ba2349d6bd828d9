#!/bin/bash
# test_configfs.sh - kato-configfs, nvmet's configfs tree over FUSE, against
# a katod this test starts: the tree mounted in a temporary directory is
# written as blktests' common/nvme writes /sys/kernel/config/nvmet
# (mkdir of a subsystem, a file-backed namespace configured then enabled,
# a host, port 0 on 127.0.0.1 and a free TCP port; links from the port to
# the subsystem and from allowed_hosts to the host). Then: katoctl's
# *.list output shows exactly that; the port listens only once linked; a
# real connection as the allowed host (tests/host's nvmf_identify) sees the
# namespace's size and UUID, another host is refused; attributes read
# back, links resolve, katoctl's own changes show in the tree; nvmet's
# errors (EACCES on a linked port's address, EBUSY on an enabled
# namespace's device_path, ENOTEMPTY, ENOENT, EINVAL, EEXIST, EOPNOTSUPP
# for what katod lacks); a host's DH-HMAC-CHAP key, controller key, hash
# and DH group written through the tree (katoctl shows them set, the key is
# live: a host that does not authenticate is refused; reads show the key
# as written, bad values are EINVAL, empty writes clear, no key reaches a
# log); enable 0/1 keeps the namespace's UUID; the blktests teardown order
# leaves katod as it was.
# Skips (77) unless root with /dev/fuse. Unmounts and stops all it starts.
# Needs KATOD_BIN (ctest sets it), KATO_SRC_DIR and KATO_BUILD_DIR.
set -u
export LC_ALL=C
: "${KATOD_BIN:?}" "${KATO_SRC_DIR:?}" "${KATO_BUILD_DIR:?}"
[ "$(id -u)" -eq 0 ] || { echo "skip: kato-configfs mounts FUSE: needs root"; exit 77; }
[ -c /dev/fuse ] || { echo "skip: no /dev/fuse"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/kato-cfs-XXXXXX")
PID= FSPID=
fails=0
MNT=$T/mnt
cleanup() {
	if mountpoint -q "$MNT" 2>/dev/null; then
		fusermount3 -u "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null
	fi
	[ -n "$FSPID" ] && { kill "$FSPID" 2>/dev/null; wait "$FSPID" 2>/dev/null; }
	[ -n "$PID" ] && { kill "$PID" 2>/dev/null; wait "$PID" 2>/dev/null; }
	if [ "$fails" -gt 0 ] || [ -n "${KATO_TEST_LOG:-}" ]; then
		echo "---- katod log"; cat "$T/katod.log" 2>/dev/null
		echo "---- kato-configfs log"; cat "$T/fs.log" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
check() { # check DESCRIPTION EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: expected '$2', got '$3'"; fi
}
FS=$KATO_BUILD_DIR/kato-configfs
[ -x "$FS" ] || { bad "$FS not built (libfuse3-dev missing?)"; exit 1; }
ldd "$FS" | grep -q libfuse && bad "kato-configfs loads libfuse3 dynamically" || ok "libfuse3 linked statically"
SOCK=$T/katod.sock
KC() { "$KATO_BUILD_DIR/katoctl" -s "$SOCK" "$@"; }
IDENT=$KATO_BUILD_DIR/nvmf_identify

# what a configfs operation answers: OK or the errno's name (EACCES, ...),
# from the message of the tool that made the call (LC_ALL=C)
op() { # op write PATH VALUE | create PATH | read PATH | mkdir PATH | rmdir PATH | symlink TARGET PATH | unlink PATH
	local msg
	case $1 in
	write) msg=$( (printf %s "$3" >"$2") 2>&1) ;;
	create) msg=$( (set -C; : >"$2") 2>&1) ;;
	read) msg=$(cat "$2" 2>&1 >/dev/null) ;;
	mkdir) msg=$(mkdir "$2" 2>&1) ;;
	rmdir) msg=$(rmdir "$2" 2>&1) ;;
	symlink) msg=$(ln -sn "$2" "$3" 2>&1) ;;
	unlink) msg=$(rm "$2" 2>&1) ;;
	esac
	case $msg in
	"") echo OK ;;
	*"Permission denied"*) echo EACCES ;;
	*"Device or resource busy"*) echo EBUSY ;;
	*"No such file or directory"*) echo ENOENT ;;
	*"Invalid argument"*) echo EINVAL ;;
	*"Directory not empty"*) echo ENOTEMPTY ;;
	*"File exists"*) echo EEXIST ;;
	*"Operation not permitted"*) echo EPERM ;;
	*"Operation not supported"*) echo EOPNOTSUPP ;;
	*) echo "$msg" ;;
	esac
}
expect() { # expect DESCRIPTION ERRNO OP ARGS...
	local d=$1 want=$2; shift 2
	check "$d" "$want" "$(op "$@")"
}

cat >"$T/katod.json" <<EOF
{"subsystems": [{"nqn": "nqn.2026-11.io.kato:keep", "attr": {"allow_any_host": "1"},
   "namespaces": [{"nsid": 1, "device": {"backend": "ram", "size": "1M"}}]}],
 "katod": {"workers": 2}}
EOF
"$KATOD_BIN" -c "$T/katod.json" -s "$SOCK" 2>"$T/katod.log" &
PID=$!
for _ in $(seq 100); do KC version >/dev/null 2>&1 && break; sleep 0.05; done
KC version >/dev/null || { bad "katod did not start"; exit 1; }
mkdir "$MNT"
"$FS" -f -s "$SOCK" "$MNT" 2>"$T/fs.log" &
FSPID=$!
for _ in $(seq 100); do [ -d "$MNT/nvmet/subsystems" ] && break; sleep 0.05; done
[ -d "$MNT/nvmet/subsystems" ] && ok "mounted" || { bad "kato-configfs did not mount"; exit 1; }
N=$MNT/nvmet

# ---- what katod has shows in the tree
check "top level" "discovery_nqn hosts ports subsystems" "$(ls "$N" | xargs)"
check "katod's subsystem listed" nqn.2026-11.io.kato:keep "$(ls "$N/subsystems")"
check "its namespace" 1 "$(ls "$N/subsystems/nqn.2026-11.io.kato:keep/namespaces")"
check "its allow_any_host" 1 "$(cat "$N/subsystems/nqn.2026-11.io.kato:keep/attr_allow_any_host")"
check "a RAM namespace has no device_path" "" "$(cat "$N/subsystems/nqn.2026-11.io.kato:keep/namespaces/1/device_path")"
check "discovery_nqn" nqn.2014-08.org.nvmexpress.discovery "$(cat "$N/discovery_nqn")"

# ---- build a target as blktests does
NQN=blktests-subsystem-1
HOST=nqn.2014-08.org.nvmexpress:uuid:0f01fb42-9f7f-4856-b0b3-51e60b8de349
OTHER=nqn.2014-08.org.nvmexpress:uuid:00000000-1111-2222-3333-444444444444
UUID=91fdba0d-f87b-4c25-b80f-db7be1418b9e
NGUID=00112233-4455-6677-8899-aabbccddeeff
S=$N/subsystems/$NQN
NS=$S/namespaces/1
P=$N/ports/0
truncate -s 8M "$T/img"
TRSVCID=$(free_port)

mkdir "$S" && ok "mkdir subsystem" || bad "mkdir subsystem"
check "new subsystem: allow_any_host 0 (nvmet's default)" 0 "$(cat "$S/attr_allow_any_host")"
echo -n 0 >"$S/attr_allow_any_host"
echo -n KATOCFS01 >"$S/attr_serial"
echo 4 >"$S/attr_qid_max"
check "subsystem directories" "allowed_hosts namespaces" "$(ls -d "$S"/*/ | xargs -n1 basename | xargs)"
check "attr_serial read back" KATOCFS01 "$(cat "$S/attr_serial")"
check "attr_qid_max read back" 4 "$(cat "$S/attr_qid_max")"
mkdir "$NS" && ok "mkdir namespace" || bad "mkdir namespace"
check "a new namespace is not enabled" 0 "$(cat "$NS/enable")"
[[ "$(cat "$NS/device_uuid")" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$ ]] &&
	ok "a new namespace has a random UUID" || bad "device_uuid '$(cat "$NS/device_uuid")'"
check "katod has no namespace before enable" 0 "$(KC --json namespaces -n "$NQN" | jq length)"
echo -n "$T/img" >"$NS/device_path"
printf %s "$UUID" >"$NS/device_uuid"
echo "$NGUID" >"$NS/device_nguid"
check "device_path before enable" "$T/img" "$(cat "$NS/device_path")"
check "device_uuid before enable" "$UUID" "$(cat "$NS/device_uuid")"
echo -n 1 >"$NS/enable"
check "enable reads 1" 1 "$(cat "$NS/enable")"
mkdir "$N/hosts/$HOST" && ok "mkdir host" || bad "mkdir host"
check "host attributes" "dhchap_ctrl_key dhchap_dhgroup dhchap_hash dhchap_key" "$(ls "$N/hosts/$HOST" | xargs)"
ln -s "$N/hosts/$HOST" "$S/allowed_hosts/$HOST" && ok "allowed_hosts link" || bad "allowed_hosts link"
mkdir "$P" && ok "mkdir port 0" || bad "mkdir port 0"
check "an unset port's addr_trtype is empty" "" "$(cat "$P/addr_trtype")"
echo -n tcp >"$P/addr_trtype"
echo -n 127.0.0.1 >"$P/addr_traddr"
echo -n ipv4 >"$P/addr_adrfam"
echo -n "$TRSVCID" >"$P/addr_trsvcid"
check "port 0 not in katod before a link" 0 "$(KC --json ports | jq length)"
icreq "$TRSVCID"; check "nothing listens before the link" 1 $?
echo -n 127.0.0.2 >"$P/addr_traddr"; echo -n 127.0.0.1 >"$P/addr_traddr"
ln -s "$S" "$P/subsystems/$NQN" && ok "port link" || bad "port link"
icreq "$TRSVCID"; check "the port answers once linked" 0 $?

# ---- katod serves exactly that
sub=$(KC --json subsystems "$NQN")
check "katod: subsystem" "$NQN" "$(jq -r .[0].nqn <<<"$sub")"
check "katod: allow_any_host" false "$(jq -r .[0].allow_any_host <<<"$sub")"
check "katod: allowed hosts" "$HOST" "$(jq -r '.[0].allowed_hosts | join(",")' <<<"$sub")"
check "katod: serial" KATOCFS01 "$(jq -r .[0].serial <<<"$sub")"
check "katod: ports of the subsystem" 0 "$(jq -r '.[0].ports | join(",")' <<<"$sub")"
ns=$(KC --json namespaces -n "$NQN")
check "katod: one namespace" 1 "$(jq length <<<"$ns")"
check "katod: nsid" 1 "$(jq -r .[0].nsid <<<"$ns")"
check "katod: file backend" file "$(jq -r .[0].backend <<<"$ns")"
check "katod: path" "$T/img" "$(jq -r .[0].path <<<"$ns")"
check "katod: size" 8388608 "$(jq -r .[0].size <<<"$ns")"
check "katod: uuid" "$UUID" "$(jq -r .[0].uuid <<<"$ns")"
check "katod: nguid" "${NGUID//-/}" "$(jq -r .[0].nguid <<<"$ns")"
ports=$(KC --json ports)
check "katod: one port" 1 "$(jq length <<<"$ports")"
check "katod: port 0" "0 tcp ipv4 127.0.0.1 $TRSVCID $NQN" \
	"$(jq -r '.[0] | "\(.portid) \(.trtype) \(.adrfam) \(.traddr) \(.trsvcid) \(.subsystems | join(","))"' <<<"$ports")"
check "katod: hosts" "$HOST" "$(KC --json hosts | jq -r '[.[].nqn] | join(",")')"
check "katod: the other subsystem stays" "nqn.2026-11.io.kato:keep $NQN" "$(KC --json subsystems | jq -r '[.[] | select(.discovery | not) | .nqn] | join(" ")')"

# ---- a real connection
out=$("$IDENT" -a 127.0.0.1 -s "$TRSVCID" -n "$NQN" -q "$HOST" -N 1 2>&1)
check "connect as the allowed host" 0 $?
check "Identify: subsystem" "subnqn=$NQN" "$(grep '^subnqn=' <<<"$out")"
check "Identify: namespace size" "nsze=16384" "$(grep '^nsze=' <<<"$out")"
check "Identify: namespace UUID" "uuid=$UUID" "$(grep '^uuid=' <<<"$out")"
check "Identify: namespace NGUID" "nguid=$NGUID" "$(grep '^nguid=' <<<"$out")"
"$IDENT" -a 127.0.0.1 -s "$TRSVCID" -n "$NQN" -q "$OTHER" >/dev/null 2>&1
check "another host is refused" 1 $?

# ---- reading back
check "addr_trtype" tcp "$(cat "$P/addr_trtype")"
check "addr_traddr" 127.0.0.1 "$(cat "$P/addr_traddr")"
check "addr_trsvcid" "$TRSVCID" "$(cat "$P/addr_trsvcid")"
check "addr_adrfam" ipv4 "$(cat "$P/addr_adrfam")"
check "addr_treq" "not specified" "$(cat "$P/addr_treq")"
check "addr_tsas" none "$(cat "$P/addr_tsas")"
check "ana_groups/1/ana_state" optimized "$(cat "$P/ana_groups/1/ana_state")"
check "device_nguid" "$NGUID" "$(cat "$NS/device_nguid")"
check "ana_grpid" 1 "$(cat "$NS/ana_grpid")"
check "port link target" "../../../subsystems/$NQN" "$(readlink "$P/subsystems/$NQN")"
check "allowed host link target" "../../../hosts/$HOST" "$(readlink "$S/allowed_hosts/$HOST")"
[ -e "$P/subsystems/$NQN" ] && ok "the port link resolves (blktests _get_nvmet_ports)" || bad "port link dangles"
[ -f "$S/attr_qid_max" ] && ok "attr_qid_max exists (blktests nvme/048)" || bad "no attr_qid_max"
check "dhchap_hash" "hmac(sha256)" "$(cat "$N/hosts/$HOST/dhchap_hash")"
check "ports listed" 0 "$(ls "$N/ports")"
check "port's subsystems listed" "$NQN" "$(ls "$P/subsystems")"

# ---- katoctl's changes show in the tree
KC subsystems set "$NQN" --model "kato via katoctl" >/dev/null
check "a model set with katoctl" "kato via katoctl" "$(cat "$S/attr_model")"
KC hosts add "$OTHER" >/dev/null
check "a host added with katoctl" "$(printf '%s\n' "$HOST" "$OTHER" | sort | xargs)" "$(ls "$N/hosts" | sort | xargs)"
rmdir "$N/hosts/$OTHER" && ok "and removed through the tree" || bad "rmdir of katoctl's host"

# ---- errors, as nvmet answers them
expect "addr_traddr of a linked port: EACCES" EACCES write "$P/addr_traddr" 10.0.0.1
expect "addr_trsvcid of a linked port: EACCES" EACCES write "$P/addr_trsvcid" 4421
expect "device_path of an enabled namespace: EBUSY" EBUSY write "$NS/device_path" /tmp/x
expect "device_uuid of an enabled namespace: EBUSY" EBUSY write "$NS/device_uuid" "$UUID"
expect "rmdir of a subsystem with a namespace: ENOTEMPTY" ENOTEMPTY rmdir "$S"
expect "rmdir of a linked port: ENOTEMPTY" ENOTEMPTY rmdir "$P"
expect "rmdir of an allowed host: EBUSY" EBUSY rmdir "$N/hosts/$HOST"
expect "an unknown attribute: ENOENT" ENOENT read "$S/attr_nonsense"
expect "an unknown subsystem: ENOENT" ENOENT read "$N/subsystems/nqn.none/attr_serial"
expect "an unknown port: ENOENT" ENOENT read "$N/ports/7/addr_traddr"
expect "a file in the tree: EACCES" EACCES create "$S/newfile"
expect "enable=maybe: EINVAL" EINVAL write "$NS/enable" maybe
expect "ana_grpid 0: EINVAL" EINVAL write "$NS/ana_grpid" 0
expect "attr_qid_max 0: EINVAL" EINVAL write "$S/attr_qid_max" 0
expect "attr_cntlid_min x: EINVAL" EINVAL write "$S/attr_cntlid_min" x
expect "attr_allow_any_host=1 with an allowed host: EINVAL" EINVAL write "$S/attr_allow_any_host" 1
expect "mkdir namespace abc: EINVAL" EINVAL mkdir "$S/namespaces/abc"
expect "mkdir namespace 0: EINVAL" EINVAL mkdir "$S/namespaces/0"
expect "mkdir port x: EINVAL" EINVAL mkdir "$N/ports/x"
expect "mkdir of the discovery subsystem: EINVAL" EINVAL mkdir "$N/subsystems/nqn.2014-08.org.nvmexpress.discovery"
expect "mkdir of an existing subsystem: EEXIST" EEXIST mkdir "$S"
expect "mkdir of an existing namespace: EEXIST" EEXIST mkdir "$NS"
expect "mkdir inside a namespace: EPERM" EPERM mkdir "$NS/x"
expect "rmdir of a default group: EPERM" EPERM rmdir "$S/namespaces"
expect "a link to no subsystem: ENOENT" ENOENT symlink "$N/subsystems/nqn.none" "$P/subsystems/nqn.none"
expect "a link twice: EEXIST" EEXIST symlink "$S" "$P/subsystems/$NQN"
expect "a link named other than its target: EINVAL" EINVAL symlink "$N/subsystems/nqn.2026-11.io.kato:keep" "$P/subsystems/other"
expect "a host link into a port: EINVAL" EINVAL symlink "$N/hosts/$HOST" "$P/subsystems/$HOST"
expect "a link outside the link directories: EPERM" EPERM symlink "$S" "$N/subsystems/link"
expect "unlink of an attribute: EPERM" EPERM unlink "$S/attr_serial"
expect "dhchap_hash, the value it has: OK" OK write "$N/hosts/$HOST/dhchap_hash" "hmac(sha256)"
# ANA, as blktests' _setup_nvmet_port_ana drives nvmet: a state written is katod's (ana.set), a new
# group starts inaccessible, group 1 cannot go
expect "ana_state inaccessible: OK" OK write "$P/ana_groups/1/ana_state" inaccessible
check "ana_state reads back inaccessible" inaccessible "$(cat "$P/ana_groups/1/ana_state")"
expect "ana_state optimized: OK" OK write "$P/ana_groups/1/ana_state" optimized
expect "ana_state bogus: EINVAL" EINVAL write "$P/ana_groups/1/ana_state" bogus
expect "mkdir ana group 2: OK" OK mkdir "$P/ana_groups/2"
check "a new group is inaccessible" inaccessible "$(cat "$P/ana_groups/2/ana_state")"
expect "ana group 2 non-optimized: OK" OK write "$P/ana_groups/2/ana_state" non-optimized
check "ana_groups lists 1 and 2" "1 2" "$(ls "$P/ana_groups" | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect "rmdir ana group 2: OK" OK rmdir "$P/ana_groups/2"
expect "rmdir ana group 1: EPERM" EPERM rmdir "$P/ana_groups/1"
expect "param_mdts: EACCES on a linked port" EACCES write "$P/param_mdts" 5
check "katod still serves the namespace after the refusals" "$T/img" "$(KC --json namespaces -n "$NQN" | jq -r .[0].path)"

# ---- DH-HMAC-CHAP keys, as blktests' _set_nvmet_hostkey/_ctrlkey/_hash/_dhgroup
# write them (echo -n) and as a shell does (echo: a trailing newline)
H=$N/hosts/$HOST
genkey() { # genkey HH BYTES: a DHHC-1 secret (random key, its CRC-32, base64)
	python3 -c 'import base64, os, sys, zlib
k = os.urandom(int(sys.argv[2]))
print("DHHC-1:%s:%s:" % (sys.argv[1], base64.b64encode(k + zlib.crc32(k).to_bytes(4, "little")).decode()))' "$1" "$2"
}
KEY1=$(genkey 00 32) KEY2=$(genkey 01 32) KEY3=$(genkey 03 64) CKEY=$(genkey 02 48)
hostfield() { KC --json hosts | jq -r ".[] | select(.nqn == \"$HOST\") | .$1"; }
reads() { cat "$1"; echo .; } # what a read shows, its last newline included
check "no key: dhchap_key reads an empty line (nvmet)" "$(printf '\n.')" "$(reads "$H/dhchap_key")"
check "no key: dhchap_ctrl_key reads an empty line" "$(printf '\n.')" "$(reads "$H/dhchap_ctrl_key")"
check "dhchap_dhgroup reads null" null "$(cat "$H/dhchap_dhgroup")"
check "the key files are root's only" "600 600 644 644" \
	"$(stat -c %a "$H/dhchap_key" "$H/dhchap_ctrl_key" "$H/dhchap_hash" "$H/dhchap_dhgroup" | xargs)"
echo "$KEY1" >"$H/dhchap_key" && ok "dhchap_key written with echo" || bad "echo > dhchap_key"
check "katoctl: the key is set" set "$(hostfield dhchap_key)"
check "dhchap_key reads the key as written, newline stripped" "$(printf '%s\n.' "$KEY1")" "$(reads "$H/dhchap_key")"
"$IDENT" -a 127.0.0.1 -s "$TRSVCID" -n "$NQN" -q "$HOST" >/dev/null 2>&1
check "a key set through the tree is live: a host that does not authenticate is refused" 1 $?
expect "dhchap_key with echo -n (blktests' _set_attr): OK" OK write "$H/dhchap_key" "$KEY2"
check "dhchap_key reads the new key" "$KEY2" "$(cat "$H/dhchap_key")"
printf '%s  \n' "$KEY3" >"$H/dhchap_key"
check "trailing blanks trimmed, as nvmet's strim" "$(printf '%s\n.' "$KEY3")" "$(reads "$H/dhchap_key")"
expect "dhchap_ctrl_key: OK" OK write "$H/dhchap_ctrl_key" "$CKEY"
check "katoctl: the controller key is set" set "$(hostfield dhchap_ctrl_key)"
check "dhchap_ctrl_key reads it" "$CKEY" "$(cat "$H/dhchap_ctrl_key")"
expect "dhchap_hash hmac(sha384): OK" OK write "$H/dhchap_hash" "hmac(sha384)"
check "katoctl: hash" "hmac(sha384)" "$(hostfield dhchap_hash)"
check "dhchap_hash reads it" "hmac(sha384)" "$(cat "$H/dhchap_hash")"
echo ffdhe2048 >"$H/dhchap_dhgroup"
check "katoctl: DH group" ffdhe2048 "$(hostfield dhchap_dhgroup)"
check "dhchap_dhgroup reads it" ffdhe2048 "$(cat "$H/dhchap_dhgroup")"
BAD_CRC=${KEY1%????:}AAAA:
for v in nonsense "DHHC-1:04:${KEY1#DHHC-1:00:}" "DHHC-1:00:not base64!:" "$BAD_CRC" " $KEY1"; do
	expect "dhchap_key '${v:0:12}...': EINVAL" EINVAL write "$H/dhchap_key" "$v"
done
expect "dhchap_ctrl_key bad: EINVAL" EINVAL write "$H/dhchap_ctrl_key" "$BAD_CRC"
check "refused keys change nothing" "$KEY3 $CKEY" "$(cat "$H/dhchap_key") $(cat "$H/dhchap_ctrl_key")"
expect "dhchap_hash sha1: EINVAL" EINVAL write "$H/dhchap_hash" "hmac(sha1)"
expect "dhchap_dhgroup ffdhe1024: EINVAL" EINVAL write "$H/dhchap_dhgroup" ffdhe1024
check "refused values change nothing" "hmac(sha384) ffdhe2048" "$(hostfield dhchap_hash) $(hostfield dhchap_dhgroup)"
expect "clearing dhchap_key under a controller key: EINVAL (katod keeps none alone)" EINVAL write "$H/dhchap_key" $'\n'
echo >"$H/dhchap_ctrl_key" && ok "dhchap_ctrl_key cleared with echo" || bad "echo > dhchap_ctrl_key"
check "katoctl: no controller key" - "$(hostfield dhchap_ctrl_key)"
check "dhchap_ctrl_key reads an empty line" "$(printf '\n.')" "$(reads "$H/dhchap_ctrl_key")"
echo >"$H/dhchap_key" && ok "dhchap_key cleared" || bad "echo > dhchap_key"
check "katoctl: no key" - "$(hostfield dhchap_key)"
expect "dhchap_ctrl_key without a host key: EINVAL" EINVAL write "$H/dhchap_ctrl_key" "$CKEY"
echo -n "hmac(sha256)" >"$H/dhchap_hash"; echo -n null >"$H/dhchap_dhgroup"
"$IDENT" -a 127.0.0.1 -s "$TRSVCID" -n "$NQN" -q "$HOST" >/dev/null 2>&1
check "no key again: the host connects without authenticating" 0 $?
grep -q "dhchap_key: not a DH-HMAC-CHAP secret" "$T/fs.log" && ok "a refused key is logged with its reason" ||
	bad "no reason logged for a refused key"
leaked=
for k in "$KEY1" "$KEY2" "$KEY3" "$CKEY" "$BAD_CRC"; do
	b=${k#DHHC-1:??:}; b=${b%:}
	grep -qF -- "${b:0:16}" "$T/fs.log" "$T/katod.log" && leaked="$leaked ${k:0:12}"
done
check "no key in kato-configfs's or katod's log" "" "$leaked"

# ---- disable and enable again (blktests nvme/051, nvme/058)
echo 0 >"$NS/enable"
check "enable=0: katod has no namespace" 0 "$(KC --json namespaces -n "$NQN" | jq length)"
check "enable=0: the directory stays" 1 "$(ls "$S/namespaces")"
check "enable=0: device_path kept" "$T/img" "$(cat "$NS/device_path")"
check "enable=0: device_uuid kept" "$UUID" "$(cat "$NS/device_uuid")"
expect "enable=0 twice: OK" OK write "$NS/enable" 0
expect "device_uuid bad: EINVAL" EINVAL write "$NS/device_uuid" not-a-uuid
UUID2=5d1f1d0c-43cf-4e63-9d67-3a5d6f4c1b20
expect "device_uuid while disabled: OK" OK write "$NS/device_uuid" "$UUID2"
echo 1 >"$NS/enable"
check "enable=1: katod serves it with the new UUID" "$UUID2" "$(KC --json namespaces -n "$NQN" | jq -r .[0].uuid)"
for _ in 1 2 3; do echo 0 >"$NS/enable"; echo 1 >"$NS/enable"; done
check "enable 0/1 three times: served" "1 $UUID2" "$(KC --json namespaces -n "$NQN" | jq -r '.[0] | "\(.nsid) \(.uuid)"')"
mkdir "$S/namespaces/2"
expect "enable without device_path: EINVAL" EINVAL write "$S/namespaces/2/enable" 1
echo -n "$T/nonexistent" >"$S/namespaces/2/device_path"
expect "enable of a path katod cannot open: EINVAL" EINVAL write "$S/namespaces/2/enable" 1
rmdir "$S/namespaces/2" && ok "rmdir of a namespace never enabled" || bad "rmdir namespaces/2"

# ---- a second port, not linked: held, not served
mkdir "$N/ports/1"
check "port 1 listed" "0 1" "$(ls "$N/ports" | sort -n | xargs)"
check "port 1 not in katod" 1 "$(KC --json ports | jq length)"
expect "link to a port without an address: EINVAL" EINVAL symlink "$S" "$N/ports/1/subsystems/$NQN"
expect "addr_trtype rdma: EINVAL (katod serves tcp)" EINVAL write "$N/ports/1/addr_trtype" rdma
expect "addr_adrfam ib: EINVAL" EINVAL write "$N/ports/1/addr_adrfam" ib
expect "addr_treq required without TLS, held: OK" OK write "$N/ports/1/addr_treq" required
expect "addr_tsas before addr_trtype tcp: EINVAL" EINVAL write "$N/ports/1/addr_tsas" tls1.3
echo -n tcp >"$N/ports/1/addr_trtype"
echo -n ipv4 >"$N/ports/1/addr_adrfam"
expect "addr_tsas tls2: EINVAL" EINVAL write "$N/ports/1/addr_tsas" tls2
expect "addr_tsas tls1.3: OK" OK write "$N/ports/1/addr_tsas" tls1.3
check "addr_tsas reads back" tls1.3 "$(cat "$N/ports/1/addr_tsas")"
echo -n 127.0.0.1 >"$N/ports/1/addr_traddr"
echo -n "$(free_port)" >"$N/ports/1/addr_trsvcid"
ln -s "$S" "$N/ports/1/subsystems/$NQN" && ok "a TLS port enabled through the tree" || bad "link of the TLS port"
check "katod serves it with TLS 1.3" "tls1.3 required" "$(KC --json ports | jq -r '.[] | select(.portid == 1) | "\(.tsas) \(.treq)"')"
rm "$N/ports/1/subsystems/$NQN" && ok "and disabled" || bad "unlink of the TLS port"
echo -n none >"$N/ports/1/addr_tsas"
expect "treq required without TLS: EINVAL at the link" EINVAL symlink "$S" "$N/ports/1/subsystems/$NQN"
expect "addr_trsvcid on an unlinked port: OK" OK write "$N/ports/1/addr_trsvcid" 4420
rmdir "$N/ports/1" && ok "rmdir of an unlinked port" || bad "rmdir ports/1"

# ---- teardown, in blktests' order (_nvmet_target_cleanup)
rm "$P/subsystems/$NQN" && ok "unlink the port" || bad "unlink the port"
icreq "$TRSVCID"; check "the port stops listening at its last unlink" 1 $?
check "the port's directory stays" 0 "$(ls "$N/ports")"
check "its address is kept" "$TRSVCID" "$(cat "$P/addr_trsvcid")"
expect "and is writable again" OK write "$P/addr_traddr" 127.0.0.1
rmdir "$P" && ok "rmdir port" || bad "rmdir port"
echo -n 0 >"$NS/enable"
rmdir "$NS" && ok "rmdir namespace" || bad "rmdir namespace"
rm -f "$S"/allowed_hosts/*
rmdir "$S" && ok "rmdir subsystem" || bad "rmdir subsystem"
rmdir "$N/hosts/$HOST" && ok "rmdir host" || bad "rmdir host"
check "katod: no port left" 0 "$(KC --json ports | jq length)"
check "katod: no host left" 0 "$(KC --json hosts | jq length)"
check "katod: only its own subsystem left" nqn.2026-11.io.kato:keep "$(KC --json subsystems | jq -r '[.[] | select(.discovery | not) | .nqn] | join(" ")')"
check "the tree is as it began" "nqn.2026-11.io.kato:keep" "$(ls "$N/subsystems" "$N/ports" "$N/hosts" | grep -v '^/' | grep . | xargs)"

# ---- unmount and stop
fusermount3 -u "$MNT" && ok "unmounted" || bad "fusermount3 -u"
wait "$FSPID"
check "kato-configfs exits 0 when unmounted" 0 $?
FSPID=
kill -TERM "$PID"
wait "$PID"
check "katod exits 0 on SIGTERM (sanitizers: no leak)" 0 $?
PID=
[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails > 0))
