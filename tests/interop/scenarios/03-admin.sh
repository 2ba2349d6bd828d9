#!/bin/bash
# Why this exists: the admin commands a Linux administrator runs through nvme-cli must answer with
# what katod was configured with: Identify (controller, namespace, descriptors), the SMART, error
# and commands-supported-and-effects logs, Get and Set Features on the keep alive timer, and a
# controller reset after which I/O still works.
. "${KATO_SRC:-$(cd "$(dirname "$0")/../../.." && pwd)}/tests/interop/lib.sh"

NQN=nqn.2026-11.io.kato:admin
NGUID=00112233445566778899aabbccddeeff
UUID=3f9c1e2a-7b4d-4c8e-9a1f-2d3e4c5b6a70
katod_config <<JSON
{
  "ports": [
    { "portid": 1, "addr": { "trtype": "tcp", "adrfam": "ipv4", "traddr": "$ADDR", "trsvcid": "$PORT" },
      "subsystems": [ "$NQN" ] }
  ],
  "subsystems": [
    { "nqn": "$NQN", "attr": { "allow_any_host": "1", "model": "kato interop", "serial": "KATOINTEROP3" },
      "namespaces": [ { "nsid": 1, "device": { "backend": "ram", "size": "64M", "block_size": 4096,
                                               "nguid": "$NGUID", "uuid": "$UUID" } } ] }
  ]
}
JSON

t_katod_up() { katod_start; }
t_connect() { connect $NQN; }

t_list() {
    run nvme list >"$RES/list.txt"; local st=$?
    cat "$RES/list.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/list.txt" "^$NSDEV .* KATOINTEROP3 +kato interop " "a row for $NSDEV with the configured serial and model"
}

t_id_ctrl() {
    run nvme id-ctrl "/dev/$CTRL" >"$RES/id-ctrl.txt"; local st=$?
    cat "$RES/id-ctrl.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/id-ctrl.txt" "^subnqn[[:space:]]+: *$NQN\$" "subnqn $NQN" || return 1
    expect "$RES/id-ctrl.txt" "^sn[[:space:]]+: *KATOINTEROP3 *\$" "the configured serial" || return 1
    expect "$RES/id-ctrl.txt" "^mn[[:space:]]+: *kato interop *\$" "the configured model" || return 1
    expect "$RES/id-ctrl.txt" "^cntrltype[[:space:]]+: *(0x)?1\$" "cntrltype 1 (I/O controller)" || return 1
    expect "$RES/id-ctrl.txt" "^cntlid[[:space:]]+: *$(printf '0x%x' "$(ctrl_attr cntlid)")\$" "the cntlid sysfs shows" || return 1
    expect "$RES/id-ctrl.txt" "^nn[[:space:]]+: *(0x)?[1-9]" "nn >= 1" || return 1
    expect "$RES/id-ctrl.txt" "^kas[[:space:]]+: *(0x)?[1-9]" "a keep-alive granularity (kas)"
}

t_id_ns() {
    run nvme id-ns "$NSDEV" >"$RES/id-ns.txt"; local st=$?
    cat "$RES/id-ns.txt"
    [[ $st -eq 0 ]] || return 1
    local nsze lbads
    nsze=$(sed -n 's/^nsze[[:space:]]*:[[:space:]]*//p' "$RES/id-ns.txt")
    lbads=$(sed -n 's/^lbaf .*lbads:\([0-9]*\).*(in use).*/\1/p' "$RES/id-ns.txt")
    [[ -n "$nsze" && -n "$lbads" ]] || { echo "cannot parse nsze/lbads"; return 1; }
    echo "nsze $nsze << lbads $lbads = $(( nsze << lbads )) bytes"
    [[ $lbads -eq 12 ]] || { echo "expected 4096-byte blocks (lbads 12)"; return 1; }
    [[ $(( nsze << lbads )) -eq $((64 << 20)) ]] || { echo "expected a 64 MiB namespace"; return 1; }
    expect "$RES/id-ns.txt" "^nguid[[:space:]]+: *$NGUID\$" "the configured NGUID"
}

t_ns_descs() {
    run nvme ns-descs "$NSDEV" >"$RES/ns-descs.txt"; local st=$?
    cat "$RES/ns-descs.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/ns-descs.txt" "^nguid[[:space:]]+: *$NGUID\$" "the NGUID descriptor" || return 1
    expect "$RES/ns-descs.txt" "^uuid[[:space:]]+: *$UUID\$" "the UUID descriptor"
}

t_smart_log() {
    # Some traffic first, so the data-unit counters have something to count.
    dd if=/dev/zero of="$NSDEV" bs=1M count=4 oflag=direct status=none || return 1
    run nvme smart-log "/dev/$CTRL" >"$RES/smart-log.txt"; local st=$?
    cat "$RES/smart-log.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/smart-log.txt" "^critical_warning[[:space:]]+: *0\$" "critical_warning 0" || return 1
    expect "$RES/smart-log.txt" "^host_write_commands[[:space:]]+: *[1-9]" "host write commands counted"
}

t_error_log() {
    run nvme error-log "/dev/$CTRL" -e 4 >"$RES/error-log.txt"; local st=$?
    cat "$RES/error-log.txt"
    [[ $st -eq 0 ]] || return 1
    expect "$RES/error-log.txt" "Entry\[ *3\]" "four error log entries printed"
}

t_effects_log() {
    # Without --csi, nvme-cli 2.3 reads CAP by mmapping the PCI BAR to pick the command sets; on a
    # fabrics controller that fails and it prints nothing with status 0. --csi=0 (NVM) asks directly.
    run nvme effects-log "/dev/$CTRL" --csi=0 >"$RES/effects-log.txt"; local st=$?
    cat "$RES/effects-log.txt"
    [[ $st -eq 0 ]] || return 1
    # nvme-cli lists only commands marked supported (CSUPP).
    expect "$RES/effects-log.txt" "^ACS *6[[:space:]]+\[" "Identify (admin 06h) supported" || return 1
    expect "$RES/effects-log.txt" "^ACS *24[[:space:]]+\[" "Keep Alive (admin 18h) supported" || return 1
    expect "$RES/effects-log.txt" "^IOCS *1[[:space:]]+\[" "Write (I/O 01h) supported" || return 1
    expect "$RES/effects-log.txt" "^IOCS *2[[:space:]]+\[" "Read (I/O 02h) supported"
}

kato_ms() { # the Keep Alive Timer feature's current value, in ms
    run nvme get-feature "/dev/$CTRL" -f 0x0f >"$RES/get-feature-0f.txt" || return 1
    cat "$RES/get-feature-0f.txt"
    local v; v=$(sed -n 's/.*Current value: *\(0x[0-9a-fA-F]*\).*/\1/p' "$RES/get-feature-0f.txt")
    [[ -n "$v" ]] || { echo "no value"; return 1; }
    KATO_MS=$((v))
    echo "KATO $KATO_MS ms"
}

t_get_feature_kato() {
    # The Linux host connects I/O controllers with KATO 5 s (NVME_DEFAULT_KATO).
    kato_ms || return 1
    [[ $KATO_MS -eq 5000 ]] || { echo "expected 5000 ms"; return 1; }
}

# Set Features KATO takes effect (Get Features returns the new value) without disturbing the
# controller; set it back so that it matches the host's own 5 s keep-alive schedule again.
t_set_feature_kato() {
    local k; k=$(klog_mark)
    run nvme set-feature "/dev/$CTRL" -f 0x0f --value=15000 || return 1
    kato_ms || return 1
    [[ $KATO_MS -eq 15000 ]] || { echo "expected 15000 ms after Set Features"; return 1; }
    run nvme set-feature "/dev/$CTRL" -f 0x0f --value=5000 || return 1
    kato_ms || return 1
    [[ $KATO_MS -eq 5000 ]] || { echo "expected 5000 ms after setting it back"; return 1; }
    [[ "$(ctrl_state)" == live ]] || { echo "controller state $(ctrl_state)"; return 1; }
    klog_since "$k" >"$RES/set-feature.klog"
    refute "$RES/set-feature.klog" "keep-alive timeout" "a keep-alive expiry"
}

t_reset() {
    local k; k=$(klog_mark)
    dd if=/dev/urandom of=/tmp/pattern bs=1M count=2 status=none
    dd if=/tmp/pattern of="$NSDEV" bs=1M oflag=direct status=none || return 1
    run nvme reset "/dev/$CTRL" || return 1
    wait_live $NQN || return 1
    # A fabrics reset is a new association: katod saw a new admin Connect.
    wait_for 10 "a new controller in katod's log" eval "klog_since $k | grep -q 'I/O controller for $NQN'" || return 1
    klog_since "$k" | grep -v ' debug: '
    dd if="$NSDEV" of=/tmp/pattern.read bs=1M count=2 iflag=direct status=none || return 1
    cmp /tmp/pattern /tmp/pattern.read || { echo "data differs after the reset"; return 1; }
    echo "data written before the reset reads back the same"
    kato_ms || return 1
    [[ $KATO_MS -eq 5000 ]] || { echo "expected KATO 5000 ms after the reset"; return 1; }
}

t_disconnect() { disconnect $NQN; }

begin
step katod-start t_katod_up
step connect t_connect
if [[ -n "$CTRL" && -n "$NSDEV" ]]; then
    step nvme-list t_list
    step id-ctrl t_id_ctrl
    step id-ns t_id_ns
    step ns-descs t_ns_descs
    step smart-log t_smart_log
    step error-log t_error_log
    step effects-log t_effects_log
    step get-feature-kato t_get_feature_kato
    step set-feature-kato t_set_feature_kato
    step reset t_reset
    step disconnect t_disconnect
fi
finish
