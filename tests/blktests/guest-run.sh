#!/bin/bash
# Why this exists: blktests' nvme group is the kernel community's own judge of NVMe targets. Run
# inside an interop guest (tests/interop/guest run, started by tests/blktests/run), this script
# runs that group twice in the same guest, kernel and nvme-cli: through katod (blktests'
# NVME_TARGET_CONTROL hook, daemon/katoctl/kato-nvme-target-control) and against the Linux kernel
# target (nvmet-tcp, configfs), and puts both outcomes of every test side by side, so that a test
# katod fails can be told apart from a test this host fails anyway.
#
# Inside the guest: blktests (tests/blktests/upstream, read-only at /kato/src) is copied to /tmp
# with its src/ helpers, which the host built into the build tree (/kato/build/blktests/src).
# Each test runs as its own `./check nvme/NNN` under `timeout`, so that one hung test costs
# BT_TEST_TIMEOUT and not the rest of the run, and so that katod's health is checked after every
# test (a katod that died or stopped answering is named, its log kept, and it is restarted for
# the tests after). blktests' own results (OUTPUT) stay in guest memory while a test runs (its
# image files must not sit on 9p; an ext4 over tmpfs, see main) and are copied to the results
# directory after it.
#
# Results ($KATO_RESULTS, /kato/results in the guest):
#   summary.txt   the table: every test and condition, katod beside the kernel target, totals,
#                 the gate's verdict and why
#   summary.tsv   the same, one line per test and condition, every reason in full
#   summary.json  the same for programs (jq)
#   katod/ nvmet/ per target: check-nvme-NNN.txt (blktests' output), rows.tsv, results/
#                 (blktests' OUTPUT: .full, .out.bad, .dmesg), time.txt; katod/katod.log
#   dmesg.txt
# Exit status: 0 when the gate passes, 1 when it fails (tests/blktests/README.md has the rule),
# 2 when the run could not be set up.
#
# Settings: arguments NAME=VALUE (the guest passes a script's arguments, not its environment);
# any other argument goes to katod.
#   BT_TARGETS       "katod nvmet" (the order they run in; either alone for a quick look)
#   BT_TESTS         tests to run, e.g. "nvme/010 nvme/012" (default: every test of the group)
#   BT_TEST_TIMEOUT  seconds one ./check may take before it is killed (default 600)
#   BT_BUDGET        seconds one target's whole run may take; tests not started by then are
#                    recorded as such (default 7200)
#   BT_IMG_SIZE      NVME_IMG_SIZE and katod's namespace size (default 512M: the guest's /tmp is
#                    a tmpfs in 2-3 GiB of memory; nvme/012 wants 350M at least)
#   KATOD_LOG_LEVEL  katod's log level (default info)
set -u
shopt -s nullglob

RES=${KATO_RESULTS:-/kato/results}
SRC=${KATO_SRC:-/kato/src}
BUILD=${KATO_BUILD:-/kato/build}
KATOD=${KATOD:-/kato/run/katod}

BT_TARGETS="katod nvmet"
BT_TESTS=""
BT_TEST_TIMEOUT=600
BT_BUDGET=7200
BT_IMG_SIZE=512M
KATOD_LOG_LEVEL=info
KATOD_EXTRA=()
for a in "$@"; do
    case $a in
        BT_TARGETS=* | BT_TESTS=* | BT_TEST_TIMEOUT=* | BT_BUDGET=* | BT_IMG_SIZE=* | KATOD_LOG_LEVEL=*)
            printf -v "${a%%=*}" '%s' "${a#*=}" ;;
        *) KATOD_EXTRA+=("$a") ;;
    esac
done

W=/tmp/kato-blktests           # work directory on the guest's tmpfs
SHIM=$W/shim                   # systemctl for blktests (tests/blktests/systemctl)
BT=$W/blktests                 # the writable copy of blktests
CONTROL=$SRC/daemon/katoctl/kato-nvme-target-control
KNOWN_GAPS=$SRC/tests/blktests/known-gaps
SUBSYSNQN=blktests-subsystem-1 # blktests' def_subsysnqn, which the control script also uses
# What the control script needs (its header): katoctl from the build tree, katod's socket, a
# state directory of its own, the namespace size.
export KATOCTL=$BUILD/katoctl KATOD_SOCKET=$W/katod.sock KATO_BLKTESTS_STATE_DIR=$W/control-state
export KATO_BLKTESTS_SIZE=$BT_IMG_SIZE
# katod's namespaces are files on the ext4 of blktests' OUTPUT (see main), one per subsystem, not
# RAM: nvme/051 disables and enables the namespace through configfs (kato-configfs), and a RAM
# namespace cannot come back from being disabled.
export KATO_BLKTESTS_DIR=$W/out/katod-ns
# kato-configfs (daemon/configfs) serves nvmet's configfs layout over FUSE from katod's state; it
# is mounted over the real configfs at /sys/kernel/config while katod runs (see configfs_mount).
KATO_CONFIGFS=$BUILD/kato-configfs
CFS_ROOT=/sys/kernel/config
KPID=""
OUTLOOP=""                     # the loop device under blktests' OUTPUT (see main)
UDEVD_STARTED=0
KATOD_EVENTS=0                 # times katod died or stopped answering
T0=$EPOCHREALTIME

say() { printf 'blktests: %s\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }'; }

# ---- katod ------------------------------------------------------------------------------------

katod_start() {
    # No default target and no ports: the control script creates blktests' subsystem, port and
    # host for each test (its header: "setup creates subsystem N ... links N to the port").
    echo '{}' >"$W/katod.json"
    rm -rf "$KATO_BLKTESTS_STATE_DIR"
    echo "=== katod start: $KATOD -c $W/katod.json -s $KATOD_SOCKET -l $KATOD_LOG_LEVEL ${KATOD_EXTRA[*]}" \
        >>"$RES/katod/katod.log"
    "$KATOD" -c "$W/katod.json" -s "$KATOD_SOCKET" -l "$KATOD_LOG_LEVEL" "${KATOD_EXTRA[@]}" \
        >>"$RES/katod/katod.log" 2>&1 &
    KPID=$!
    for _ in $(seq 1 300); do
        timeout 10 "$KATOCTL" version >/dev/null 2>&1 && return 0
        kill -0 "$KPID" 2>/dev/null || break
        sleep 0.1
    done
    say "katod did not answer on $KATOD_SOCKET within 30 s"; tail -20 "$RES/katod/katod.log"
    return 1
}

# configfs_mount: kato-configfs over the kernel's configfs at /sys/kernel/config, talking to
# katod's control socket. The tests that write nvmet's tree themselves (048's attr_qid_max, 051's
# namespaces/1/enable, 030's whole set-up) then reach katod; blktests' own check that configfs is
# mounted (findmnt -t configfs /sys/kernel/config) still finds the real one underneath. The
# kernel target's run unmounts it first (configfs_umount): nvmet must see its own tree.
configfs_mount() {
    findmnt -n -t fuse.kato-configfs "$CFS_ROOT" >/dev/null && return 0
    [[ -x $KATO_CONFIGFS ]] || { say "no $KATO_CONFIGFS: tests that write nvmet's configfs cannot reach katod"; return 1; }
    modprobe fuse 2>/dev/null
    "$KATO_CONFIGFS" -s "$KATOD_SOCKET" --log "$RES/katod/kato-configfs.log" "$CFS_ROOT" ||
        { say "kato-configfs did not mount on $CFS_ROOT"; return 1; }
}

configfs_umount() {
    findmnt -n -t fuse.kato-configfs "$CFS_ROOT" >/dev/null || return 0
    umount "$CFS_ROOT" || umount -l "$CFS_ROOT"
}

# katod_stop: SIGTERM, 20 s, then SIGKILL; status 0 if katod exited with 0.
katod_stop() {
    [[ -n "$KPID" ]] || return 0
    kill -TERM "$KPID" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$KPID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$KPID" 2>/dev/null; then
        say "katod still running 20 s after SIGTERM: SIGKILL"; kill -KILL "$KPID"
    fi
    local st=0; wait "$KPID" 2>/dev/null || st=$?
    KPID=""
    echo "=== katod exit status $st" >>"$RES/katod/katod.log"
    return "$st"
}

# katod_health TEST: after a test, is katod alive and answering? If not, say so in the test's
# rows (the gate fails on it), keep the evidence, and start a new katod for the next test.
katod_health() {
    local t=$1 what=""
    if ! kill -0 "$KPID" 2>/dev/null; then
        local st=0; wait "$KPID" 2>/dev/null || st=$?
        if [[ $st -gt 128 ]]; then what="katod died from signal $((st - 128)) ($(kill -l $((st - 128)) 2>/dev/null))"
        else what="katod exited with status $st"; fi
        KPID=""
    elif ! timeout 20 "$KATOCTL" version >/dev/null 2>&1; then
        what="katod stopped answering its control socket (20 s)"
        kill -ABRT "$KPID" 2>/dev/null; sleep 2; kill -KILL "$KPID" 2>/dev/null
        wait "$KPID" 2>/dev/null; KPID=""
    fi
    [[ -z "$what" ]] && return 0
    KATOD_EVENTS=$((KATOD_EVENTS + 1))
    say "!!! $what during $t"
    { echo "=== $what during $t"; dmesg | grep -iE 'segfault|traps:|general protection' | tail -5; } \
        >>"$RES/katod/katod.log"
    # The test's rows carry the event (its verdict from blktests is kept beside it).
    printf '%s\t%s\tfailed\t\t%s\n' "$t" "-" "$what" >>"$ROWS"
    timeout 60 nvme disconnect-all >/dev/null 2>&1
    katod_start || say "katod restart failed"
}

# ---- the kernel target ------------------------------------------------------------------------

# nvmet_reset: after a test was killed, take down whatever it left in nvmet's configfs (ports'
# links first, then ports, namespaces, subsystems, hosts) and its loop devices, as blktests'
# own _cleanup_nvmet would. During katod's run the tree is kato-configfs, so this empties katod.
nvmet_reset() {
    local c=/sys/kernel/config/nvmet p s n
    [[ -d $c ]] || return 0
    for p in "$c"/ports/*; do rm -f "$p"/subsystems/* 2>/dev/null; rmdir "$p" 2>/dev/null; done
    for s in "$c"/subsystems/*; do
        for n in "$s"/namespaces/*; do echo 0 >"$n/enable" 2>/dev/null; rmdir "$n" 2>/dev/null; done
        rm -f "$s"/allowed_hosts/* 2>/dev/null
        rmdir "$s" 2>/dev/null
    done
    for p in "$c"/hosts/*; do rmdir "$p" 2>/dev/null; done
    losetup -l -n -O NAME,BACK-FILE 2>/dev/null | awk -v w="$W/out/" 'index($2, w) == 1 { print $1 }' |
        while read -r n; do losetup -d "$n"; done
}

# ---- one target's run -------------------------------------------------------------------------

# parse_check OUTFILE TEST [KILLED_AFTER_S]: blktests' verdict lines of one ./check run as rows
# "TEST<TAB>COND<TAB>STATUS<TAB>RUNTIME<TAB>DETAIL". A verdict line is
#   nvme/NNN (tr=tcp bd=device) (description)                   [passed|failed|not run]
# followed by indented lines: for "not run" blktests' reasons, for "failed" the key/value lines
# ("    runtime  ...  3.2s", skipped here) and then what failed (a diff, an exit status, dmesg).
# A group-level refusal ("nvme/*** [not run]") is given to TEST.
parse_check() {
    gawk -v test="$2" -v out="$OUTDIR" -v killed="${3:-}" '
        function flush(   detail, f, line, k, v, rt) {
            if (name == "") return
            detail = ""
            for (i = 1; i <= nd && i <= 12; i++) detail = detail (detail == "" ? "" : " | ") d[i]
            if (nd > 12) detail = detail " | ..."
            gsub(/\t/, " ", detail)
            rt = ""
            if (cond != "") {
                f = cond; gsub(/[ =]/, "_", f)
                f = out "/nodev_" f "/" name
            } else f = out "/nodev/" name
            while ((getline line < f) > 0) {
                split(line, kv, "\t")
                if (kv[1] == "runtime") { rt = kv[2]; sub(/s$/, "", rt) }
                if (kv[1] == "reason" && status == "failed") detail = "[" kv[2] "] " detail
            }
            close(f)
            printf "%s\t%s\t%s\t%s\t%s\n", name, cond, status, rt, detail
            name = ""; nd = 0
        }
        /^nvme\/([0-9]+|\*\*\*) / && /\[(passed|failed|not run)\]$/ {
            flush()
            pending = ""
            name = $1; if (name == "nvme/***") name = test
            cond = ""
            if (match($0, /^nvme\/[^ ]+ \(([a-z]+=[^ ()]+( [a-z]+=[^ ()]+)*)\)/, m)) cond = m[1]
            match($0, /\[(passed|failed|not run)\]$/, s); status = s[1]
            nd = 0
            next
        }
        # the line blktests prints as a test starts: it must be followed by its verdict
        /^nvme\// {
            flush()
            pending = $1; pcond = ""
            if (match($0, /^nvme\/[^ ]+ \(([a-z]+=[^ ()]+( [a-z]+=[^ ()]+)*)\)/, m)) pcond = m[1]
            last = ""
            next
        }
        !/^    / && !/column: command not found/ && NF { last = $0 }
        name != "" && /^    / {
            line = $0; sub(/^    /, "", line)
            if (line ~ /^[^ ]+ +\.\.\. / || line ~ /^[^ ]+ +[^ ]* +\.\.\. /) next
            # of a diff, what changed: the lines only one side has
            if (status == "failed" && line ~ /^(---|\+\+\+|@@) |^ |^\(Run .diff/) next
            d[++nd] = line
            next
        }
        END {
            flush()
            # started and never judged: check itself died (seen: a segfault of its subshell)
            if (pending != "") {
                gsub(/\t/, " ", last)
                if (killed) printf "%s\t%s\tfailed\t%s\tkato: killed after %s s (BT_TEST_TIMEOUT) before blktests gave its verdict\n", pending, pcond, killed, killed
                else printf "%s\t%s\tfailed\t\tkato: blktests started this and gave no verdict; its last line: %s\n", pending, pcond, last
            }
        }
    ' "$1"
}

# run_check TEST CONFIG LOG HANGFILE: one ./check in a process group of its own, bounded by
# BT_TEST_TIMEOUT. At the bound, what every process is doing (ps with wchan, the kernel stacks of
# blocked tasks, sysrq-w into dmesg) goes to HANGFILE before the whole group (fio, nvme connect,
# modprobe) is killed; status 124 then, else check's own.
run_check() {
    local t=$1 cfg=$2 log=$3 hang=$4 cpid end st=0
    # systemctl: the stand-in for the TLS tests' tlshd service (tests/blktests/systemctl)
    (cd "$BT" && PATH="$SHIM:$PATH" exec setsid ./check -c "$cfg" -o "$OUTDIR" "$t") >"$log" 2>&1 &
    cpid=$!
    end=$(( ${EPOCHREALTIME%.*} + BT_TEST_TIMEOUT ))
    while kill -0 "$cpid" 2>/dev/null; do
        if [[ ${EPOCHREALTIME%.*} -ge $end ]]; then
            {
                echo "=== $t still running after $BT_TEST_TIMEOUT s; the last lines of its output:"
                tail -5 "$log"
                echo "=== ps"
                ps -eo pid,ppid,pgid,stat,wchan:32,etime,args
                echo "=== kernel stacks of blocked (D) tasks and of the test's processes"
                local p
                for p in $(ps -eo pid=,stat=,pgid= | awk -v g="$cpid" '$2 ~ /D/ || $3 == g { print $1 }'); do
                    echo "--- $p $(tr '\0' ' ' </proc/"$p"/cmdline 2>/dev/null | head -c 200)"
                    cat /proc/"$p"/stack 2>/dev/null
                done
            } >"$hang" 2>&1
            echo w 2>/dev/null >/proc/sysrq-trigger
            say "!!! $t exceeded $BT_TEST_TIMEOUT s: killing it (what it was doing: $(basename "$hang"))"
            kill -TERM -- -"$cpid" 2>/dev/null
            for _ in $(seq 1 30); do kill -0 "$cpid" 2>/dev/null || break; sleep 1; done
            kill -KILL -- -"$cpid" 2>/dev/null
            wait "$cpid" 2>/dev/null
            return 124
        fi
        sleep 1
    done
    wait "$cpid" || st=$?
    return "$st"
}

# needs_configfs TESTFILE: the test runs through kato-configfs rather than the control script:
# blktests keeps it for the kernel target (_require_kernel_nvme_target refuses any
# NVME_TARGET_CONTROL: 030), or its set-up says what blktests gives the control script no way to
# say (_nvmet_target_setup passes only the NQNs, the UUID and keys to it): a port set up for TLS
# (--tls/--force-tls: 062, 063; configfs gets addr_tsas/addr_treq), or no namespace (--blkdev
# none: 052, 058, which make their own namespaces, 1 included, where the script always makes 1).
needs_configfs() {
    grep -q '_require_kernel_nvme_target' "$1" || grep -qE '_nvmet_target_setup .*--(force-)?tls' "$1" ||
        grep -qE '_nvmet_target_setup .*--blkdev none' "$1"
}

run_target() {
    local target=$1 cfg t st t1 rows_before n left
    local tdir="$RES/$target"
    mkdir -p "$tdir"
    ROWS="$tdir/rows.tsv"; : >"$ROWS"
    OUTDIR="$W/out/$target"
    rm -rf "$OUTDIR"; mkdir -p "$OUTDIR"
    cfg="$W/config-$target"
    # NVMET_TRTYPES is blktests' current name for nvme_trtype (common/nvme accepts either).
    {
        echo "NVMET_TRTYPES=tcp"
        echo "NVME_IMG_SIZE=$BT_IMG_SIZE"
        [[ $target == katod ]] && echo "NVME_TARGET_CONTROL=$CONTROL"
    } >"$cfg"
    cp "$cfg" "$tdir/config"
    # A test blktests keeps for the kernel target (its requires() calls _require_kernel_nvme_target,
    # which refuses any NVME_TARGET_CONTROL: 030) runs through katod as if katod were that target:
    # no control script, blktests writing nvmet's configfs, which is kato-configfs.
    local cfg_cfs="$W/config-$target-configfs"
    grep -v '^NVME_TARGET_CONTROL=' "$cfg" >"$cfg_cfs"
    if [[ $target == katod ]]; then
        : >"$tdir/katod.log"
        katod_start || { say "katod did not start"; return 1; }
        configfs_mount || return 1
    else
        configfs_umount
    fi
    say "=== $target: ${#TESTS[@]} tests, each bounded by ${BT_TEST_TIMEOUT} s, the run by ${BT_BUDGET} s"
    local t0=$EPOCHREALTIME
    for t in "${TESTS[@]}"; do
        if [[ $(elapsed "$t0") -ge $BT_BUDGET ]]; then
            printf '%s\t\tnot run\t\tkato: not started, the run used up its %s s budget\n' "$t" "$BT_BUDGET" >>"$ROWS"
            continue
        fi
        local log="$tdir/check-${t//\//-}.txt"
        [[ $target == katod ]] && echo "=== blktests $t" >>"$tdir/katod.log"
        t1=$EPOCHREALTIME
        local tcfg=$cfg
        if [[ $target == katod ]] && needs_configfs "$BT/tests/$t"; then
            tcfg=$cfg_cfs
            echo "=== $t through kato-configfs (no NVME_TARGET_CONTROL)" >>"$tdir/katod.log"
        fi
        run_check "$t" "$tcfg" "$log" "$tdir/hang-${t//\//-}.txt"
        st=$?
        rows_before=$(wc -l <"$ROWS")
        local killed=""
        [[ $st -eq 124 ]] && killed=$BT_TEST_TIMEOUT
        parse_check "$log" "$t" "$killed" >>"$ROWS"
        n=$(( $(wc -l <"$ROWS") - rows_before ))
        if [[ $st -eq 124 ]]; then
            # killed between two conditions or after the last verdict (seen: in module unloading)
            grep -q 'before blktests gave its verdict' <(tail -n +"$((rows_before + 1))" "$ROWS") ||
                printf '%s\t\tfailed\t%s\tkato: killed after %s s (BT_TEST_TIMEOUT) after its last verdict\n' \
                    "$t" "$(elapsed "$t1")" "$BT_TEST_TIMEOUT" >>"$ROWS"
            timeout 60 nvme disconnect-all >/dev/null 2>&1
            # katod: the control script's cleanup, then whatever is left in the tree (a test run
            # through kato-configfs made it there); the kernel target: its configfs
            [[ $target == katod ]] && timeout 30 "$CONTROL" cleanup --subsysnqn "$SUBSYSNQN" >/dev/null 2>&1
            nvmet_reset
        elif [[ $n -eq 0 ]]; then
            if grep -q '^test_device()' "$BT/tests/$t"; then
                # blktests prints nothing for a test_device() test when no TEST_DEVS are set.
                printf '%s\t\tnot run\t\tkato: a test_device() test; blktests runs it only on the devices in TEST_DEVS, and none are given\n' \
                    "$t" >>"$ROWS"
            else
                printf '%s\t\tfailed\t\tkato: no verdict from blktests (exit status %s): %s\n' "$t" "$st" \
                    "$(tail -3 "$log" | tr '\t\n' '  ')" >>"$ROWS"
            fi
        fi
        [[ $target == katod ]] && katod_health "$t"
        # blktests' files for this test, out of the tmpfs (image files and tmpdirs stay behind).
        mkdir -p "$tdir/results"
        (cd "$OUTDIR" && find . -path "*/${t}*" -type f -size -20M -exec cp --parents -t "$tdir/results" {} +)
        rm -rf "$OUTDIR"/tmpdir.*
        left=$(tail -n +"$((rows_before + 1))" "$ROWS" | cut -f3 | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2 ($3 ? " " $3 : ""); s = ", " }')
        say "[$target] $t: ${left:-?} ($(elapsed "$t1") s, $(elapsed "$t0") s so far)"
    done
    echo "$(elapsed "$t0")" >"$tdir/time.txt"
    say "=== $target: done in $(cat "$tdir/time.txt") s"
    if [[ $target == katod ]]; then
        timeout 60 nvme disconnect-all >/dev/null 2>&1
        configfs_umount
        katod_stop || say "katod did not exit cleanly (see katod/katod.log)"
    fi
    return 0
}

# ---- the summary ------------------------------------------------------------------------------

# summarize: join the two targets' rows on (test, condition) into summary.tsv/.json/.txt and
# decide the gate. Rows that carry a katod event ("-" as the condition) are attached to the test.
summarize() {
    local k="$RES/katod/rows.tsv" n="$RES/nvmet/rows.tsv"
    [[ -f $k ]] || : >"$k"
    [[ -f $n ]] || : >"$n"
    gawk -F'\t' -v gaps="$KNOWN_GAPS" -v tsv="$RES/summary.tsv" -v txt="$RES/summary.txt" \
         -v tests="${TESTS[*]}" -v group="${GROUP[*]}" -v ktime="$(cat "$RES/katod/time.txt" 2>/dev/null)" \
         -v ntime="$(cat "$RES/nvmet/time.txt" 2>/dev/null)" -v host="$(cat "$RES/host.txt")" '
        function key(t, c) { return t SUBSEP c }
        function short(s, n) { return length(s) > n ? substr(s, 1, n - 3) "..." : s }
        BEGIN {
            nt = split(tests, T, " ")
            na = split(group, A, " ")
            for (i = 1; i <= na; i++) ingroup[A[i]] = 1
            bad = 0
            while ((getline line < gaps) > 0) {
                if (line ~ /^[ \t]*(#|$)/) continue
                g = line; sub(/[ \t].*/, "", g)
                r = line; sub(/^[^ \t]+[ \t]*/, "", r)
                if (r == "") { why[++bad] = "known-gaps: " g " has no reason"; continue }
                if (!(g in ingroup)) { why[++bad] = "known-gaps: " g " is no test of the nvme group"; continue }
                gap[g] = r
            }
            close(gaps)
        }
        FILENAME == ARGV[1] {          # katod
            if ($2 == "-") { kev[$1] = (kev[$1] ? kev[$1] "; " : "") $5; next }
            K[key($1, $2)] = $3; KR[key($1, $2)] = $5; KT[key($1, $2)] = $4
            if (!(key($1, $2) in seen)) { seen[key($1, $2)] = 1; order[++no] = key($1, $2) }
            next
        }
        {                              # nvmet
            N[key($1, $2)] = $3; NR_[key($1, $2)] = $5; NT[key($1, $2)] = $4
            if ($3 == "passed") npass_test[$1] = 1
            if ($3 == "failed") nfail_test[$1] = 1
            if (!(key($1, $2) in seen)) { seen[key($1, $2)] = 1; order[++no] = key($1, $2) }
        }
        END {
            # rows in test order, conditions in the order blktests ran them
            for (i = 1; i <= no; i++) { split(order[i], p, SUBSEP); byt[p[1]] = byt[p[1]] SUBSEP i }
            m = 0
            for (j = 1; j <= nt; j++) {
                c = split(byt[T[j]], ix, SUBSEP)
                for (x = 2; x <= c; x++) row[++m] = order[ix[x]]
            }
            for (i = 1; i <= m; i++) {
                split(row[i], p, SUBSEP); t = p[1]; c = p[2]
                ks = (row[i] in K) ? K[row[i]] : ""
                ns = (row[i] in N) ? N[row[i]] : ""
                # the kernel target outcome this row is judged against: its row with the same
                # condition, else (a katod row blktests never finished) the test as a whole
                if (ns != "") base = ns
                else base = npass_test[t] ? "passed" : (nfail_test[t] ? "failed" : "not run")
                v = ""
                if (ks == "") v = "-"
                else if (t in gap) {
                    if (ks == "passed") { v = "STALE GAP"; why[++bad] = t " (" c ") is listed in known-gaps but passed through katod: remove it from the list" }
                    else v = "known gap"
                } else if (ks == "failed" && base != "failed") {
                    v = "REGRESSION"; why[++bad] = t " (" c ") failed through katod; the kernel target " (base == "passed" ? "passed it" : "did not run it")
                } else if (ks == "not run" && base == "passed") {
                    v = "UNEXPLAINED"; why[++bad] = t " (" c ") did not run through katod but passed on the kernel target, and is not in known-gaps"
                } else if (ks == "failed") v = "both fail"
                else v = "ok"
                if (t in kev) { v = v " +EVENT"; why[++bad] = t ": " kev[t] }
                V[i] = v
                if (ks != "") kc[ks]++
                if (ns != "") nc[ns]++
                printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t, c, ks, KT[row[i]], KR[row[i]] (t in kev ? " [" kev[t] "]" : ""),
                    ns, NT[row[i]], NR_[row[i]], v, (t in gap) ? gap[t] : "" > tsv
            }
            if (nc["passed"] + 0 == 0) why[++bad] = "the kernel target passed no test: its run is broken, so there is nothing to compare katod with"
            for (i = 1; i <= nt; i++) if (!(T[i] in byt)) why[++bad] = T[i] ": no result at all"

            fmt = "%-9s %-17s %-8s %-46s %-8s %-46s %s\n"
            printf "blktests nvme group on host %s: katod (NVME_TARGET_CONTROL, kato-configfs at /sys/kernel/config) beside the kernel target (nvmet-tcp)\n\n", host > txt
            printf fmt, "test", "condition", "katod", "katod: reason", "kernel", "kernel: reason", "verdict" > txt
            for (i = 1; i <= m; i++) {
                split(row[i], p, SUBSEP); t = p[1]; c = p[2]
                kr = (K[row[i]] == "passed") ? "" : KR[row[i]]
                nr = (N[row[i]] == "passed") ? "" : NR_[row[i]]
                printf fmt, t, c, (row[i] in K) ? K[row[i]] : "-", short(kr, 46), (row[i] in N) ? N[row[i]] : "-", short(nr, 46), V[i] > txt
            }
            printf "\ntotals    katod: %d passed, %d failed, %d not run (%s s)    kernel target: %d passed, %d failed, %d not run (%s s)\n",
                kc["passed"], kc["failed"], kc["not run"], ktime, nc["passed"], nc["failed"], nc["not run"], ntime > txt
            if (bad) {
                printf "gate: FAIL\n" > txt
                for (i = 1; i <= bad; i++) printf "  - %s\n", why[i] > txt
            } else printf "gate: PASS (every katod failure is shared by the kernel target or listed in known-gaps with its reason)\n" > txt
            printf "(full reasons: summary.tsv, summary.json; blktests output: katod/ and nvmet/)\n" > txt
            exit bad ? 1 : 0
        }
    ' "$k" "$n"
    local gate=$?
    # the header line of summary.tsv, then JSON from it
    sed -i '1i test\tcondition\tkatod\tkatod_runtime_s\tkatod_reason\tkernel\tkernel_runtime_s\tkernel_reason\tverdict\tknown_gap' "$RES/summary.tsv"
    jq -R -s --argjson gate "$([[ $gate -eq 0 ]] && echo true || echo false)" \
       --arg host "$(cut -d' ' -f1 "$RES/host.txt")" --arg kernel "$(cut -d' ' -f2 "$RES/host.txt" | tr -d '()')" '
        split("\n") | map(select(length > 0) | split("\t")) | .[0] as $h | .[1:]
        | map([$h, .] | transpose | map({(.[0]): (.[1] // "")}) | add)
        | {host: $host, kernel: $kernel, gate_passed: $gate, rows: .,
           totals: {katod: (map(select(.katod != "")) | group_by(.katod) | map({(.[0].katod): length}) | add),
                    kernel: (map(select(.kernel != "")) | group_by(.kernel) | map({(.[0].kernel): length}) | add)}}
    ' "$RES/summary.tsv" >"$RES/summary.json" || say "summary.json not written"
    cat "$RES/summary.txt"
    return $gate
}

# ---- main -------------------------------------------------------------------------------------

# `guest-run.sh --summary DIR` (on the host too): judge an earlier run's rows again, e.g. after
# known-gaps changed, without running anything.
if [[ ${1:-} == --summary ]]; then
    [[ -d ${2:-} ]] || { say "usage: $0 --summary RESULTS_DIR"; exit 2; }
    RES=$(realpath "$2")
    here=$(cd "$(dirname "$0")" && pwd)
    KNOWN_GAPS=$here/known-gaps
    GROUP=()
    for f in "$here"/upstream/tests/nvme/[0-9][0-9][0-9]; do GROUP+=("nvme/${f##*/}"); done
    read -r -a TESTS < <(cut -f1 "$RES/katod/rows.tsv" "$RES/nvmet/rows.tsv" 2>/dev/null | sort -u | tr '\n' ' ')
    summarize
    exit
fi

cleanup() {
    PATH="$SHIM:$PATH" systemctl stop tlshd 2>/dev/null # a TLS test killed before its own stop
    configfs_umount
    [[ -n "$KPID" ]] && { timeout 60 nvme disconnect-all >/dev/null 2>&1; katod_stop; }
    nvmet_reset
    [[ $UDEVD_STARTED -eq 1 ]] && timeout 10 udevadm control --exit 2>/dev/null
    # lazily if something still holds it (the guest powers off next; the tmpfs goes with it)
    if [[ -n $OUTLOOP ]]; then umount "$W/out" 2>/dev/null || umount -l "$W/out"; losetup -d "$OUTLOOP" 2>/dev/null; fi
    rm -rf "$W"
}
trap cleanup EXIT

say "host ${KATO_HOST:-?}, kernel $(uname -r), $(nvme version | head -1), katod $("$KATOD" --version 2>&1)"
dmesg -n 1 2>/dev/null
mkdir -p "$W/out" "$RES" "$SHIM"
install -m 0755 "$SRC/tests/blktests/systemctl" "$SHIM/systemctl"
# blktests' OUTPUT holds the kernel target's file-backed namespaces (bd=file), which nvmet opens
# with O_DIRECT; tmpfs has no O_DIRECT before 6.6, so on 6.1 every bd=file test failed ("echo 1 >
# enable: Invalid argument"). OUTPUT is an ext4 on a loop device over a sparse file on the tmpfs
# instead, mounted with discard so that a deleted image gives its memory back.
modprobe loop 2>/dev/null
truncate -s 4G "$W/out.img" && mkfs.ext4 -q -F -E nodiscard "$W/out.img" &&
    OUTLOOP=$(losetup -f --show "$W/out.img") && mount -o discard "$OUTLOOP" "$W/out" ||
    { say "cannot make the ext4 for blktests' OUTPUT"; exit 2; }
rm -rf "$RES/katod" "$RES/nvmet" "$RES"/summary.*
echo "${KATO_HOST:-?} ($(uname -r))" >"$RES/host.txt"
[[ -d $SRC/tests/blktests/upstream ]] || { say "no blktests at $SRC/tests/blktests/upstream"; exit 2; }
cp -a "$SRC/tests/blktests/upstream" "$BT"
if [[ -d $BUILD/blktests/src ]]; then
    cp -a "$BUILD/blktests/src/." "$BT/src/"
else
    say "warning: no helpers in $BUILD/blktests/src (cmake --build BUILD --target blktests_helpers); tests that need them will not run"
fi
# blktests refuses to run (both targets: "configfs is not mounted") unless configfs is mounted;
# it is a module in the guests' kernels (6.1 and 6.12), so the guest's own boot-time mount can
# come too early.
modprobe configfs 2>/dev/null
mountpoint -q /sys/kernel/config || mount -t configfs configfs /sys/kernel/config ||
    say "warning: cannot mount configfs"
# blktests waits for udev (udevadm settle) and expects device nodes and events as on a normal
# system; the guest boots without udev.
if ! pgrep -x systemd-udevd >/dev/null; then
    for u in /usr/lib/systemd/systemd-udevd /lib/systemd/systemd-udevd; do
        [[ -x $u ]] || continue
        "$u" --daemon && UDEVD_STARTED=1
        break
    done
    timeout 120 udevadm settle
fi
GROUP=()
for f in "$BT"/tests/nvme/[0-9][0-9][0-9]; do GROUP+=("nvme/${f##*/}"); done
if [[ -n $BT_TESTS ]]; then read -r -a TESTS <<<"$BT_TESTS"; else TESTS=("${GROUP[@]}"); fi
dmesg -C
for target in $BT_TARGETS; do
    case $target in
        katod | nvmet) run_target "$target" || { say "$target: the run could not start"; exit 2; } ;;
        *) say "unknown target $target (katod, nvmet)"; exit 2 ;;
    esac
done
dmesg >"$RES/dmesg.txt"
summarize
gate=$?
say "katod run $(cat "$RES/katod/time.txt" 2>/dev/null || echo -) s, kernel target run $(cat "$RES/nvmet/time.txt" 2>/dev/null || echo -) s, all $(elapsed "$T0") s"
exit $gate
