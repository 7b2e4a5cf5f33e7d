#!/usr/bin/env bash
# xv6-riscv figures, riscv-vm beside QEMU on the same kernel and disk: wall
# time from start to the shell prompt, and for `usertests -q`. One hart,
# 128 MiB, as `qemu-system-riscv64 -machine virt -bios none -smp 1 -m 128M`.
# A figure, never an assertion. Needs XV6_DIR (a built xv6-riscv tree).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
QEMU=${QEMU:-qemu-system-riscv64}
if [ -z "${XV6_DIR:-}" ]; then
    echo "SKIP: bench-xv6 (XV6_DIR unset)"
    exit 0
fi
KERNEL=$XV6_DIR/kernel/kernel
FS=$XV6_DIR/fs.img
if [ ! -f "$KERNEL" ] || [ ! -f "$FS" ]; then
    echo "bench-xv6: $XV6_DIR is not a built xv6-riscv tree" >&2
    exit 1
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvxv6b.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$BUILD/bench"

run() { # NAME CMD...: prints "boot=.. tests=.. result=.."
    local name=$1
    shift
    cp "$FS" "$WORK/fs.img"
    python3 tests/bench/xv6_console.py --log "$BUILD/bench/xv6-$name.log" -- "$@"
}
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$2"; }

printf '%-22s %14s %14s  %s\n' "xv6 (1 hart, 128M)" "boot-to-\$ (s)" "usertests (s)" result
if [ -x "$VMBIN" ]; then
    r=$(run riscv-vm "$VMBIN" --kernel "$KERNEL" --disk "$WORK/fs.img" --mem 128M --smp 1)
else
    r="boot=- tests=- result=$VMBIN-missing"
fi
printf '%-22s %14s %14s  %s\n' riscv-vm "$(field boot "$r")" "$(field tests "$r")" "$(field result "$r")"
r=$(run qemu "$QEMU" -machine virt -bios none -smp 1 -m 128M -nographic -kernel "$KERNEL" \
    -global virtio-mmio.force-legacy=false -drive "file=$WORK/fs.img,if=none,format=raw,id=x0" \
    -device virtio-blk-device,drive=x0,bus=virtio-mmio-bus.0)
printf '%-22s %14s %14s  %s\n' qemu-system-riscv64 "$(field boot "$r")" "$(field tests "$r")" "$(field result "$r")"
