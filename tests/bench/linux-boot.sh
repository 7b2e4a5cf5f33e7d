#!/usr/bin/env bash
# Boot figures for the default guest, riscv-vm beside QEMU (make bench-linux):
# time from start to the shell prompt, to the end of a small command script,
# and to the VM's exit after poweroff. Same firmware, kernel and a fresh copy
# of the same disk for both; QEMU runs -machine virt -smp 1 -m 256M. Each
# figure is the median of REPEAT runs. Figures only: nothing is asserted.
#
#   Environment: BUILD (build), RISCV_VM (build/riscv-vm), QEMU, REPEAT (3),
#   BOOT_TIMEOUT (120 s).
# Note: BusyBox init's poweroff pauses 2 s of guest time (one second after
# SIGTERM, one after SIGKILL), which both VMs pay.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
IMG=$BUILD/images
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
QEMU=${QEMU:-qemu-system-riscv64}
REPEAT=${REPEAT:-3}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
CMDLINE="console=ttyS0 root=/dev/vda rw earlycon=sbi"
DRIVE=tests/boot/linux-drive.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvbench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

for f in fw_jump.bin Image rootfs.ext4; do
    [ -f "$IMG/$f" ] || { echo "bench-linux: $IMG/$f missing (make images)"; exit 1; }
done

# The command script: a little of everything a shell session does (fork and
# exec, a shell loop, file writes that reach the disk).
cat >"$WORK/steps" <<EOF
prompt $BOOT_TIMEOUT
run uname uname -a
run ls ls -l /bin | wc -l
run loop i=0; while [ \$i -lt 20000 ]; do i=\$((i + 1)); done; echo \$i
run disk dd if=/dev/zero of=/root/bench.tmp bs=64k count=64 2>/dev/null && sync && rm /root/bench.tmp
run gzip dd if=/dev/zero bs=64k count=32 2>/dev/null | gzip -c | wc -c
mark script
send poweroff
exit 60
EOF

# run_one VM N: one boot; prints "prompt script exit" seconds, or "- - -".
run_one() {
    local vm=$1 n=$2 dir=$WORK/$1-$2
    cp "$IMG/rootfs.ext4" "$WORK/disk.ext4"
    local argv
    if [ "$vm" = qemu ]; then
        argv=("$QEMU" -machine virt -smp 1 -m 256M -nographic
            -global virtio-mmio.force-legacy=false
            -bios "$IMG/fw_jump.bin" -kernel "$IMG/Image" -append "$CMDLINE"
            -drive "file=$WORK/disk.ext4,format=raw,if=none,id=hd0"
            -device "virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.0")
    else
        argv=("$VMBIN" --smp 1 --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image"
            --append "$CMDLINE" --disk "$WORK/disk.ext4")
    fi
    if python3 "$DRIVE" --timeout 120 "$dir" "$WORK/steps" -- "${argv[@]}" >/dev/null 2>&1; then
        awk '{ t[$1] = $2 } END { printf "%s %s %s\n", t["prompt"], t["script"], t["exit"] }' "$dir/times"
    else
        echo "- - -"
        echo "bench-linux: $vm run $n failed: $(cat "$dir/error")" >&2
    fi
}

# median of the numbers on stdin ("-" when any run failed).
median() {
    sort -n | awk '{ v[NR] = $1; if ($1 == "-") bad = 1 }
        END { if (bad || NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
              else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A fig
for vm in riscv-vm qemu; do
    if [ "$vm" = riscv-vm ] && [ ! -x "$VMBIN" ]; then
        echo "bench-linux: $VMBIN missing; riscv-vm column left empty" >&2
        for k in prompt script exit; do fig[$vm.$k]=-; done
        continue
    fi
    if [ "$vm" = qemu ] && ! command -v "$QEMU" >/dev/null; then
        for k in prompt script exit; do fig[$vm.$k]=-; done
        continue
    fi
    : >"$WORK/$vm.runs"
    for n in $(seq "$REPEAT"); do run_one "$vm" "$n" >>"$WORK/$vm.runs"; done
    fig[$vm.prompt]=$(awk '{ print $1 }' "$WORK/$vm.runs" | median)
    fig[$vm.script]=$(awk '{ print $2 }' "$WORK/$vm.runs" | median)
    fig[$vm.exit]=$(awk '{ print $3 }' "$WORK/$vm.runs" | median)
done

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx\n", a / b }'
}
echo "Linux 6.1 + BusyBox boot (median of $REPEAT, seconds of wall time)"
printf '%-34s %10s %10s %10s\n' "" riscv-vm qemu ratio
for k in prompt script exit; do
    case $k in
    prompt) label="start to shell prompt" ;;
    script) label="start to end of command script" ;;
    exit) label="start to exit after poweroff" ;;
    esac
    printf '%-34s %10s %10s %10s\n' "$label" "${fig[riscv-vm.$k]}" "${fig[qemu.$k]}" \
        "$(ratio "${fig[riscv-vm.$k]}" "${fig[qemu.$k]}")"
done
