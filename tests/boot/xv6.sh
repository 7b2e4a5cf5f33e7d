#!/usr/bin/env bash
# xv6-riscv on riscv-vm: boots to the shell prompt and passes `usertests -q`,
# with one hart and with three. xv6 is never part of this repository: point
# XV6_DIR at a tree built elsewhere (make kernel/kernel fs.img), else the
# check is skipped.
#
#   XV6_DIR=/path/to/xv6-riscv tests/boot/xv6.sh
#   VM=qemu ...      run the same checks on qemu-system-riscv64
#   XV6_SMP="1 3"    hart counts; XV6_TIMEOUT=1200 seconds for usertests
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
VM=${VM:-riscv-vm}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
QEMU=${QEMU:-qemu-system-riscv64}
SMPS=${XV6_SMP:-1 3}
TIMEOUT=${XV6_TIMEOUT:-1200}
BOOT_TIMEOUT=${XV6_BOOT_TIMEOUT:-120}

if [ -z "${XV6_DIR:-}" ]; then
    echo "SKIP: xv6 (XV6_DIR unset)"
    exit 0
fi
KERNEL=$XV6_DIR/kernel/kernel
FS=$XV6_DIR/fs.img
nfail=0
fail() { echo "FAIL: $1 ($2)"; nfail=$((nfail + 1)); }

if [ ! -f "$KERNEL" ] || [ ! -f "$FS" ]; then
    fail xv6 "$XV6_DIR has no kernel/kernel and fs.img: build it with make kernel/kernel fs.img"
    exit 1
fi
if [ "$VM" != qemu ] && [ ! -x "$VMBIN" ]; then
    for n in $SMPS; do fail "xv6/usertests-smp$n" "$VMBIN missing"; done
    exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvxv6.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD/boot"

for n in $SMPS; do
    name=xv6/usertests-smp$n
    # usertests writes to the file system: always a fresh copy.
    cp "$FS" "$WORK/fs.img"
    if [ "$VM" = qemu ]; then
        cmd=("$QEMU" -machine virt -bios none -kernel "$KERNEL" -m 128M -smp "$n" -nographic
            -global virtio-mmio.force-legacy=false
            -drive "file=$WORK/fs.img,if=none,format=raw,id=x0"
            -device "virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0")
    else
        cmd=("$VMBIN" --kernel "$KERNEL" --disk "$WORK/fs.img" --mem 128M --smp "$n")
    fi
    log=$BUILD/boot/xv6-smp$n-$VM.log
    res=$(python3 tests/bench/xv6_console.py --log "$log" --boot-timeout "$BOOT_TIMEOUT" \
        --test-timeout "$TIMEOUT" -- "${cmd[@]}")
    rc=$?
    case $res in
    *result=timeout-boot* | *result=exited*) fail "xv6/boot-smp$n" "$res; see $log" ;;
    *) echo "PASS: xv6/boot-smp$n" ;;
    esac
    if [ $rc -eq 0 ]; then
        echo "PASS: $name ($res)"
    else
        # The failing test's lines, indented so they do not read as results.
        fail "$name" "$res; see $log"
        tr -d '\r' <"$log" | grep -E 'FAILED|failed|panic' | head -5 | sed 's/^/    | /'
    fi
done
[ "$nfail" -eq 0 ]
