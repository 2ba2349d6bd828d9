#!/bin/bash
# Why this exists: data written through the Linux host must come back intact from every backend:
# fio with crc32c verification over the whole namespace (several jobs, queue depth 32, 4 KiB and
# 128 KiB blocks) on ram and file namespaces (512- and 4096-byte blocks), the null backend's read
# path (zeroes, whatever was written), the file backend's image holding exactly what the host
# wrote, and a file system that survives a remount.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

SIZE_MB=${SIZE_MB:-128}
JOBS=4
RAM=nqn.2026-11.io.kato:ram
NUL=nqn.2026-11.io.kato:null
FILE=nqn.2026-11.io.kato:file
IMG=/tmp/kato-data.img
rm -f "$IMG"; truncate -s "${SIZE_MB}M" "$IMG"
katod_config <<JSON
{
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$RAM", "$NUL", "$FILE" ] }
  ],
  "subsystems": [
    { "nqn": "$RAM", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "${SIZE_MB}M" } } ] },
    { "nqn": "$NUL", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "null", "size": "${SIZE_MB}M" } } ] },
    { "nqn": "$FILE", "attr": { "allow_any_host": "1" },
      "namespaces": [ { "nsid": 1, "device": { "path": "$IMG", "block_size": 4096 } } ] }
  ]
}
JSON

t_katod_up() { katod_start; }

t_connect() { # NQN
    connect "$1" || return 1
    [[ $(ns_bytes) -eq $((SIZE_MB << 20)) ]] || { echo "expected a ${SIZE_MB} MiB namespace"; return 1; }
}

# fio_whole NAME BS RW [fio options]: $JOBS jobs at queue depth 32, each on its own slice, together
# covering the whole namespace.
fio_whole() {
    local name=$1 bs=$2 rw=$3; shift 3
    local slice=$(( (SIZE_MB << 20) / JOBS ))
    fio_run "$name" --filename="$NSDEV" --rw="$rw" --bs="$bs" --numjobs=$JOBS --size=$slice \
        --offset_increment=$slice --iodepth=32 --group_reporting "$@"
}

t_verify() { # NAME BS: random writes over everything, each block verified by its crc32c
    fio_whole "$1" "$2" randwrite --verify=crc32c --do_verify=1 || return 1
    expect "$RES/fio-$1.txt" "WRITE: .*io=${SIZE_MB}(\.0)?MiB" "${SIZE_MB} MiB written" || return 1
    expect "$RES/fio-$1.txt" "READ: .*io=${SIZE_MB}(\.0)?MiB" "${SIZE_MB} MiB read back"
}

t_null() { # BS: writes succeed, and every read returns zeroes
    fio_whole "null-w-$1" "$1" randwrite || return 1
    fio_whole "null-r-$1" "$1" randread --verify=pattern --verify_pattern=0x00 || return 1
    expect "$RES/fio-null-r-$1.txt" "READ: .*io=${SIZE_MB}(\.0)?MiB" "${SIZE_MB} MiB read"
}

# What the host reads from the namespace is byte for byte the image file katod stores it in.
t_image() {
    local a b
    a=$(dd if="$NSDEV" bs=1M iflag=direct status=none | sha256sum | cut -d' ' -f1)
    sync
    b=$(sha256sum <"$IMG" | cut -d' ' -f1)
    echo "namespace $a"; echo "image     $b"
    [[ -n "$a" && "$a" == "$b" ]] || { echo "the image differs from what the host reads"; return 1; }
}

t_ext4() {
    modprobe ext4 2>/dev/null
    TMO=300 run mkfs.ext4 -q -F "$NSDEV" || return 1
    mkdir -p /mnt/kato
    run mount "$NSDEV" /mnt/kato || return 1
    run dd if=/dev/urandom of=/mnt/kato/blob bs=1M count=32 status=none || { umount /mnt/kato; return 1; }
    local a b
    a=$(sha256sum </mnt/kato/blob | cut -d' ' -f1)
    run umount /mnt/kato || return 1
    echo 3 >/proc/sys/vm/drop_caches
    run mount -o ro "$NSDEV" /mnt/kato || return 1
    b=$(sha256sum </mnt/kato/blob | cut -d' ' -f1)
    run umount /mnt/kato
    echo "written $a"; echo "read    $b"
    [[ "$a" == "$b" ]] || { echo "file content differs after remount"; return 1; }
    TMO=300 run fsck.ext4 -n -f "$NSDEV"
}

t_disconnect() { disconnect "$1"; }

begin
step katod-start t_katod_up

step ram-connect t_connect $RAM
if [[ -n "$NSDEV" ]]; then
    step ram-fio-4k-verify t_verify ram-4k 4k
    step ram-fio-128k-verify t_verify ram-128k 128k
    step ram-disconnect t_disconnect $RAM
fi
cleanup_host

step null-connect t_connect $NUL
if [[ -n "$NSDEV" ]]; then
    step null-fio-4k t_null 4k
    step null-fio-128k t_null 128k
    step null-disconnect t_disconnect $NUL
fi
cleanup_host

step file-connect t_connect $FILE
if [[ -n "$NSDEV" ]]; then
    step file-fio-4k-verify t_verify file-4k 4k
    step file-fio-128k-verify t_verify file-128k 128k
    step file-image-matches t_image
    step file-ext4 t_ext4
    step file-disconnect t_disconnect $FILE
fi
finish
