#!/usr/bin/env bash
# Runs the bare-metal boot test kernels (build/boot/*.elf, `make boot-kernels`)
# on build/riscv-vm, or on qemu-system-riscv64 with VM=qemu (which shows the
# kernels themselves are right), and checks the CLI's answers to bad input.
# Prints one PASS:/FAIL:/SKIP: line per check; exits 1 if any check failed.
#
#   tests/boot/run-baremetal.sh [PATTERN...]   only checks whose name contains one
#   VM=qemu tests/boot/run-baremetal.sh
#   Environment: BUILD (build), RISCV_VM (build/riscv-vm), RISCV_VM_SAN
#   (build/san/riscv-vm, used when present), VM_FLAGS (extra riscv-vm flags,
#   e.g. --deterministic), TIMEOUT (seconds per run, 60), FW_JUMP, QEMU.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
OUT=$BUILD/boot
VM=${VM:-riscv-vm}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
SANBIN=${RISCV_VM_SAN:-$BUILD/san/riscv-vm}
VM_FLAGS=${VM_FLAGS:-}
TIMEOUT=${TIMEOUT:-60}
FW_JUMP=${FW_JUMP:-/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin}
QEMU=${QEMU:-qemu-system-riscv64}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvbm.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FILTER=("$@")
nfail=0
RC=0
BIN=$VMBIN

pass() { echo "PASS: $1"; }
# fail NAME WHY [STDOUT-FILE [STDERR-FILE]]: the guest's last lines follow,
# indented so they can never be read as result lines.
fail() {
    echo "FAIL: $1 ($2)"
    nfail=$((nfail + 1))
    if [ -n "${3:-}" ] && [ -s "$3" ]; then tail -n 12 "$3" | cut -c1-160 | sed 's/^/    | /'; fi
    if [ -n "${4:-}" ] && [ -s "$4" ]; then tail -n 5 "$4" | cut -c1-160 | sed 's/^/    ! /'; fi
    return 0
}
skip() { echo "SKIP: $1 ($2)"; }
wanted() {
    [ ${#FILTER[@]} -eq 0 ] && return 0
    local f
    for f in "${FILTER[@]}"; do [[ $1 == *"$f"* ]] && return 0; done
    return 1
}

# run_vm OUT ERR STDIN riscv-vm-args...: runs $BIN (or QEMU, translating the
# arguments) under a timeout; the exit status lands in RC.
run_vm() {
    local out=$1 err=$2 in=$3
    shift 3
    if [ "$VM" = qemu ]; then
        local args=(-machine virt -nographic -global virtio-mmio.force-legacy=false)
        local bios=none ndisk=0 ro
        while [ $# -gt 0 ]; do
            case $1 in
            --kernel) args+=(-kernel "$2") ;;
            --bios) bios=$2 ;;
            --smp) args+=(-smp "$2") ;;
            --mem) args+=(-m "$2") ;;
            --disk | --disk-ro)
                ro=
                [ "$1" = --disk-ro ] && ro=,readonly=on
                # bus= puts disk n in virtio-mmio slot n, as riscv-vm does
                # (QEMU would otherwise fill the highest slot first).
                args+=(-drive "file=$2,format=raw,if=none,id=d$ndisk$ro"
                    -device "virtio-blk-device,drive=d$ndisk,bus=virtio-mmio-bus.$ndisk")
                ndisk=$((ndisk + 1)) ;;
            *) echo "run_vm: no QEMU translation for $1" >"$err"; RC=125; return ;;
            esac
            shift 2
        done
        timeout -k 5 "$TIMEOUT" "$QEMU" "${args[@]}" -bios "$bios" <"$in" >"$out" 2>"$err"
        RC=$?
    else
        # shellcheck disable=SC2086 # VM_FLAGS is a list of words
        timeout -k 5 "$TIMEOUT" "$BIN" $VM_FLAGS "$@" <"$in" >"$out" 2>"$err"
        RC=$?
    fi
}

# The first line of a sanitizer report, shortened.
san_summary() {
    grep -m1 -oE '(ERROR: [A-Za-z]+Sanitizer: [a-z -]+|runtime error: .{0,60})' "$1" ||
        echo "sanitizer report"
}

# verdict OUT ERR WANT_RC LINE...: prints why the run is wrong (nothing if it
# is right): timeout, a "not ok" line, a sanitizer report, no line starting
# with each LINE, or the wrong exit status.
verdict() {
    local out=$1 err=$2 want_rc=$3 line
    shift 3
    if [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; then echo "timed out after ${TIMEOUT}s"; return; fi
    if [ "$RC" -gt 128 ]; then echo "crashed: $(kill -l $((RC - 128)) 2>/dev/null || echo signal)"; return; fi
    if grep -q '^not ok' "$out"; then grep -m1 '^not ok' "$out" | cut -c1-120; return; fi
    if grep -qE 'Sanitizer|runtime error:' "$err"; then san_summary "$err"; return; fi
    for line in "$@"; do
        LINE=$line awk 'index($0, ENVIRON["LINE"]) == 1 { found = 1 } END { exit !found }' "$out" ||
            { echo "no line '$line...', exit status $RC"; return; }
    done
    [ "$RC" -eq "$want_rc" ] || echo "exit status $RC, want $want_rc"
}

# kernel_check NAME WANT_RC STDIN LINE... -- riscv-vm-args...
# Sets LAST_OUT to the transcript.
kernel_check() {
    local name=$1 want_rc=$2 in=$3 lines=() a elf=
    shift 3
    while [ $# -gt 0 ] && [ "$1" != -- ]; do lines+=("$1"); shift; done
    shift
    LAST_OUT=
    for a in "$@"; do case $a in *.elf) elf=$a ;; esac; done
    if [ -n "$elf" ] && [ ! -f "$elf" ]; then fail "$name" "$elf missing: make boot-kernels"; return; fi
    local base=$WORK/${name//\//_}
    run_vm "$base.out" "$base.err" "$in" "$@"
    local why
    why=$(verdict "$base.out" "$base.err" "$want_rc" "${lines[@]}")
    if [ -z "$why" ]; then pass "$name"; else fail "$name" "$why" "$base.out" "$base.err"; fi
    LAST_OUT=$base.out
}

# Disk images: 4096 sectors, byte i of sector s = ((13 s + i) ^ 0xa5) & 0xff
# (vblk.c's pattern_in); the kernel writes pattern_out to sectors 16..23.
make_disk() {
    python3 - "$1" <<'EOF'
import sys
with open(sys.argv[1], "wb") as f:
    for s in range(4096):
        f.write(bytes(((13 * s + i) ^ 0xa5) & 0xff for i in range(512)))
EOF
}
check_disk_written() {
    python3 - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
if len(data) != 4096 * 512:
    sys.exit("size %d" % len(data))
for s in range(4096):
    if 16 <= s < 24:
        want = bytes(((7 * s + 3 * i) ^ 0x3c) & 0xff for i in range(512))
    else:
        want = bytes(((13 * s + i) ^ 0xa5) & 0xff for i in range(512))
    if data[s * 512:(s + 1) * 512] != want:
        sys.exit("sector %d differs" % s)
EOF
}

NULL_IN=/dev/null
ALL_CHECKS=(uart uart-transcript uartloop syscon clint smp-2 smp-4 smp-8 sstc plic rtc
    vblk-rw vblk-rw-file vblk-ro vblk-ro-file vblk-two vblk-two-file0 vblk-two-file1
    vblkbad vblkbad-refused vblkbad-file
    sbi-1 sbi-2 sbi-fw_dynamic-bin sbi-fw_jump-elf deterministic max-insns cli-bad-input)

if [ "$VM" != qemu ] && [ ! -x "$VMBIN" ]; then
    # The VM is a required part of the project: its absence is a failure.
    for n in "${ALL_CHECKS[@]}"; do
        wanted "boot/$n" && fail "boot/$n" "$VMBIN missing: make $BUILD/riscv-vm"
    done
    exit 1
fi
if [ "$VM" = qemu ] && ! command -v "$QEMU" >/dev/null; then
    for n in "${ALL_CHECKS[@]}"; do wanted "boot/$n" && fail "boot/$n" "$QEMU missing"; done
    exit 1
fi

# --- uart: interrupt-driven echo; transcript compared byte for byte -------
if wanted boot/uart; then
    {
        printf '@%.0s' $(seq 64) # more than a FIFO: FCR clears what came early
        printf 'Hello, riscv-vm!\nthe quick brown fox jumps over the lazy dog 0123456789\n'
        for i in $(seq 1 12); do printf 'line %02d: pack my box with five dozen liquor jugs\n' "$i"; done
        printf '~'
    } >"$WORK/uart.in"
    kernel_check boot/uart 0 "$WORK/uart.in" "ok uart IER reads back" "ok uart RX interrupts taken" \
        -- --kernel "$OUT/uart.elf"
    if [ -n "$LAST_OUT" ]; then
        if cmp -s "$LAST_OUT" tests/boot/uart.expected; then
            pass boot/uart-transcript
        else
            fail boot/uart-transcript "output differs from tests/boot/uart.expected"
            diff tests/boot/uart.expected "$LAST_OUT" | head -10 | cut -c1-160 | sed 's/^/    | /'
        fi
    fi
fi

# --- uart loopback: bytes sent in loopback never reach the console ---------
if wanted boot/uartloop; then
    kernel_check boot/uartloop 0 $NULL_IN "ok uartloop done" -- --kernel "$OUT/uartloop.elf"
    if [ -n "$LAST_OUT" ] && grep -q 'Zq#loopback#qZ' "$LAST_OUT"; then
        fail boot/uartloop-silent "loopback bytes appeared on the console" "$LAST_OUT"
    fi
fi

# --- syscon: a failure code becomes the exit status ------------------------
wanted boot/syscon && kernel_check boot/syscon 42 $NULL_IN "ok syscon about to exit with 42" \
    -- --kernel "$OUT/syscon.elf"

# --- CLINT, Sstc and old-style timers, PLIC, RTC ----------------------------
wanted boot/clint && kernel_check boot/clint 0 $NULL_IN \
    "ok clint machine software interrupt taken and cleared" -- --kernel "$OUT/clint.elf"
wanted boot/sstc && kernel_check boot/sstc 0 $NULL_IN "ok sstc done" -- --kernel "$OUT/sstc.elf"
if wanted boot/plic; then
    make_disk "$WORK/plic.img"
    kernel_check boot/plic 0 $NULL_IN "ok plic priority order virtio over uart" \
        -- --kernel "$OUT/plic.elf" --disk "$WORK/plic.img"
fi
if wanted boot/rtc; then
    year=$(date -u +%Y)
    kernel_check boot/rtc 0 $NULL_IN "ok rtc after 2025-01-01" -- --kernel "$OUT/rtc.elf"
    if [ -n "$LAST_OUT" ] && ! grep -qE "^ok rtc year ($year|$((year - 1))|$((year + 1)))$" "$LAST_OUT"; then
        fail boot/rtc-year "guest year is not the host's $year" "$LAST_OUT"
    fi
fi

# --- several harts -----------------------------------------------------------
for n in 2 4 8; do
    wanted boot/smp-$n && kernel_check boot/smp-$n 0 $NULL_IN "ok smp $n harts" \
        -- --kernel "$OUT/smp.elf" --smp $n
done

# --- virtio-blk: read/write/flush against a file, then a read-only disk -------
# file_check NAME KIND IMG [ORIG]: the disk file after the run.
file_check() {
    local why
    if [ "$2" = rw ]; then
        why=$(check_disk_written "$3" 2>&1) || { fail "$1" "disk file after the run: $why"; return; }
    else
        cmp -s "$3" "$4" || { fail "$1" "read-only disk file changed"; return; }
    fi
    pass "$1"
}
if wanted boot/vblk-rw; then
    make_disk "$WORK/rw.img"
    kernel_check boot/vblk-rw 0 $NULL_IN "ok vblk0 capacity 4096 sectors" "ok vblk0 read-write" \
        "ok vblk0 flush (status 0)" "ok vblk0 read back sectors 0-63" "ok vblk found 1 " \
        -- --kernel "$OUT/vblk.elf" --disk "$WORK/rw.img"
    [ -n "$LAST_OUT" ] && file_check boot/vblk-rw-file rw "$WORK/rw.img"
fi
if wanted boot/vblk-ro; then
    make_disk "$WORK/ro.img"
    cp "$WORK/ro.img" "$WORK/ro.orig"
    kernel_check boot/vblk-ro 0 $NULL_IN "ok vblk0 read-only" \
        "ok vblk0 write to a read-only disk fails with IOERR (1)" "ok vblk found 1 " \
        -- --kernel "$OUT/vblk.elf" --disk-ro "$WORK/ro.img"
    [ -n "$LAST_OUT" ] && file_check boot/vblk-ro-file ro "$WORK/ro.img" "$WORK/ro.orig"
fi
if wanted boot/vblk-two; then
    # Two disks: slots 0 and 1, PLIC sources 1 and 2.
    make_disk "$WORK/a.img"
    make_disk "$WORK/b.img"
    cp "$WORK/b.img" "$WORK/b.orig"
    kernel_check boot/vblk-two 0 $NULL_IN "ok vblk0 read-write" "ok vblk0 flush (status 0)" \
        "ok vblk1 read-only" "ok vblk1 used-buffer interrupt through PLIC source 2" \
        "ok vblk found 2 " -- --kernel "$OUT/vblk.elf" --disk "$WORK/a.img" --disk-ro "$WORK/b.img"
    if [ -n "$LAST_OUT" ]; then
        file_check boot/vblk-two-file0 rw "$WORK/a.img"
        file_check boot/vblk-two-file1 ro "$WORK/b.img" "$WORK/b.orig"
    fi
fi

if wanted boot/vblkbad; then
    # Malformed requests: the VM survives, the device recovers, the file is
    # untouched (all requests are reads); on riscv-vm none may report OK.
    make_disk "$WORK/bad.img"
    cp "$WORK/bad.img" "$WORK/bad.orig"
    kernel_check boot/vblkbad 0 $NULL_IN "ok vblkbad done" \
        -- --kernel "$OUT/vblkbad.elf" --disk "$WORK/bad.img"
    if [ -n "$LAST_OUT" ]; then
        if [ "$VM" = qemu ]; then
            skip boot/vblkbad-refused "QEMU completes DMA to unmapped addresses with OK"
        elif grep -q '^vblkbad outcome .*: OK' "$LAST_OUT"; then
            fail boot/vblkbad-refused "$(grep -m1 '^vblkbad outcome .*: OK' "$LAST_OUT" | cut -c17-)"
        else
            pass boot/vblkbad-refused
        fi
        file_check boot/vblkbad-file ro "$WORK/bad.img" "$WORK/bad.orig"
    fi
fi

# --- OpenSBI (Debian's fw_jump) + an S-mode kernel at 0x80200000 --------------
for n in 1 2; do
    wanted boot/sbi-$n || continue
    if [ ! -f "$FW_JUMP" ]; then fail boot/sbi-$n "$FW_JUMP missing (Debian package opensbi)"; continue; fi
    hsm=()
    [ "$n" -gt 1 ] && hsm=("ok sbi hsm hart_start")
    kernel_check boot/sbi-$n 0 $NULL_IN "ok sbi console putchar" "${hsm[@]}" "ok sbi done" \
        -- --bios "$FW_JUMP" --kernel "$OUT/sbi.elf" --smp $n
done

# The other firmware forms the boot flow accepts: fw_dynamic (reads the
# reset ROM's fw_dynamic info) and fw_jump as an ELF.
FWDIR=$(dirname "$FW_JUMP")
for fw in fw_dynamic.bin:2 fw_jump.elf:1; do
    f=${fw%%:*} n=${fw##*:}
    name=boot/sbi-${f//./-}
    wanted "$name" || continue
    if [ ! -f "$FWDIR/$f" ]; then fail "$name" "$FWDIR/$f missing (Debian package opensbi)"; continue; fi
    hsm=()
    [ "$n" -gt 1 ] && hsm=("ok sbi hsm hart_start")
    kernel_check "$name" 0 $NULL_IN "ok sbi console putchar" "${hsm[@]}" "ok sbi done" \
        -- --bios "$FWDIR/$f" --kernel "$OUT/sbi.elf" --smp "$n"
done

# --- --deterministic: the same inputs give the same transcript -------------
if [ "$VM" != qemu ] && wanted boot/deterministic; then
    # clint.elf prints mtime and time CSR values: with time derived from the
    # instruction count, two runs must agree byte for byte.
    d1=$WORK/det1.out d2=$WORK/det2.out
    RCS=
    for f in "$d1" "$d2"; do
        VM_FLAGS="$VM_FLAGS --deterministic" run_vm "$f" "$f.err" /dev/null --kernel "$OUT/clint.elf"
        RCS="$RCS $RC"
    done
    if [ "$RCS" != " 0 0" ]; then
        fail boot/deterministic "exit statuses$RCS" "$d1" "$d1.err"
    elif ! cmp -s "$d1" "$d2"; then
        fail boot/deterministic "two --deterministic runs of clint.elf differ" "$d2"
    else
        pass boot/deterministic
    fi
fi

# --- --max-insns stops a guest that never powers off (exit status 3) --------
if [ "$VM" != qemu ] && wanted boot/max-insns; then
    kernel_check boot/max-insns 3 $NULL_IN "ok spin started" \
        -- --kernel "$OUT/spin.elf" --max-insns 20000000
fi

# --- the CLI refuses bad input: exit status 2, one line on stderr, no crash ----
# bad_input BIN NAME ARGS...: stdout of the VM is not examined.
bad_input() {
    local bin=$1 name=$2
    shift 2
    local base=$WORK/bad-$name
    BIN=$bin run_vm "$base.out" "$base.err" /dev/null "$@"
    BIN=$VMBIN
    local lines
    lines=$(grep -c . "$base.err")
    if grep -qE 'Sanitizer|runtime error:' "$base.err"; then
        echo "$name: $(san_summary "$base.err")"
    elif [ "$RC" -ne 2 ]; then
        echo "$name: exit status $RC, want 2"
    elif [ "$lines" -ne 1 ]; then
        echo "$name: $lines lines on stderr, want 1"
    fi
}
cli_checks() {
    local bin=$1 w=$WORK/cli vm=$OUT/clint.elf r
    mkdir -p "$w"
    head -c 1000 /dev/zero >"$w/trunc.img" # not a multiple of 512
    : >"$w/empty.elf"
    { printf '\177ELF\002\001\001'; head -c 200 /dev/urandom; } >"$w/garbage.elf"
    # Each case: a name, then the riscv-vm arguments.
    local cases=(
        "missing-kernel --kernel $w/does-not-exist.elf"
        "empty-kernel --kernel $w/empty.elf"
        "corrupt-elf --kernel $w/garbage.elf"
        "x86-elf --kernel /bin/true"
        "elf-below-ram --kernel $OUT/bad-below-ram.elf"
        "elf-above-ram --kernel $OUT/bad-above-ram.elf --mem 128M"
        "elf-larger-than-ram --kernel $OUT/bad-huge.elf --mem 128M"
        "truncated-disk --kernel $vm --disk $w/trunc.img"
        "missing-disk --kernel $vm --disk $w/no-such.img"
        "unknown-flag --kernel $vm --frobnicate"
        "bad-mem --kernel $vm --mem lots"
        "smp-0 --kernel $vm --smp 0"
        "smp-9 --kernel $vm --smp 9"
        "missing-bios --bios $w/no-fw.bin --kernel $vm"
        "no-arguments"
    )
    local c status=0
    for c in "${cases[@]}"; do
        # shellcheck disable=SC2086 # the case is a list of words
        r=$(bad_input "$bin" $c)
        if [ -n "$r" ]; then echo "$r"; status=1; fi
    done
    return $status
}
if wanted boot/cli-bad-input; then
    if [ "$VM" = qemu ]; then
        skip boot/cli-bad-input "riscv-vm CLI only"
    else
        if probs=$(cli_checks "$VMBIN"); then
            pass boot/cli-bad-input
        else
            fail boot/cli-bad-input "$(echo "$probs" | head -3 | paste -sd';' -)"
        fi
        if [ -x "$SANBIN" ]; then
            if probs=$(cli_checks "$SANBIN"); then
                pass boot/cli-bad-input-san
            else
                fail boot/cli-bad-input-san "$(echo "$probs" | head -3 | paste -sd';' -)"
            fi
        fi
    fi
fi

# --- the sanitizer build runs a few kernels cleanly ----------------------------
if [ "$VM" != qemu ] && [ -x "$SANBIN" ] && wanted boot/san; then
    make_disk "$WORK/san.img"
    BIN=$SANBIN
    kernel_check boot/san-vblk 0 $NULL_IN "ok vblk0 flush (status 0)" \
        -- --kernel "$OUT/vblk.elf" --disk "$WORK/san.img"
    kernel_check boot/san-smp-2 0 $NULL_IN "ok smp 2 harts" -- --kernel "$OUT/smp.elf" --smp 2
    kernel_check boot/san-vblkbad 0 $NULL_IN "ok vblkbad done" \
        -- --kernel "$OUT/vblkbad.elf" --disk "$WORK/san.img"
    BIN=$VMBIN
fi

[ "$nfail" -eq 0 ]
