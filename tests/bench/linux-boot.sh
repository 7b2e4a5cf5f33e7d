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
cd "$(dirname "$0")/../.." || exit 1
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
mark uname
run ls ls -l /bin | wc -l
mark ls
run loop i=0; while [ \$i -lt 20000 ]; do i=\$((i + 1)); done; echo \$i
mark loop
run disk dd if=/dev/zero of=/root/bench.tmp bs=64k count=64 2>/dev/null && sync && rm /root/bench.tmp
mark disk
run gzip dd if=/dev/zero bs=64k count=32 2>/dev/null | gzip -c | wc -c
mark gzip
mark script
send poweroff
exit 60
EOF

STEPS=(uname ls loop disk gzip)

# run_one VM N: one boot; prints "prompt script exit STEP..." seconds (each
# step's own duration), or dashes when the run failed.
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
        awk -v steps="${STEPS[*]}" '{ t[$1] = $2 }
            END { printf "%s %s %s", t["prompt"], t["script"], t["exit"]
                  n = split(steps, s, " "); prev = t["prompt"]
                  for (i = 1; i <= n; i++) { printf " %.3f", t[s[i]] - prev; prev = t[s[i]] }
                  printf "\n" }' "$dir/times"
    else
        echo "- - - - - - - -"
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
        for k in prompt script exit "${STEPS[@]}"; do fig[$vm.$k]=-; done
        continue
    fi
    if [ "$vm" = qemu ] && ! command -v "$QEMU" >/dev/null; then
        for k in prompt script exit "${STEPS[@]}"; do fig[$vm.$k]=-; done
        continue
    fi
    : >"$WORK/$vm.runs"
    for n in $(seq "$REPEAT"); do run_one "$vm" "$n" >>"$WORK/$vm.runs"; done
    fig[$vm.prompt]=$(awk '{ print $1 }' "$WORK/$vm.runs" | median)
    fig[$vm.script]=$(awk '{ print $2 }' "$WORK/$vm.runs" | median)
    fig[$vm.exit]=$(awk '{ print $3 }' "$WORK/$vm.runs" | median)
    for i in "${!STEPS[@]}"; do
        fig[$vm.${STEPS[$i]}]=$(awk -v c=$((i + 4)) '{ print $c }' "$WORK/$vm.runs" | median)
    done
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
echo "each command of the script (its own time):"
for k in "${STEPS[@]}"; do
    case $k in
    uname) label="  uname -a (fork, exec)" ;;
    ls) label="  ls -l /bin | wc -l" ;;
    loop) label="  ash loop, 20000 rounds" ;;
    disk) label="  write 4 MiB, sync, rm" ;;
    gzip) label="  gzip 2 MiB of zeros" ;;
    esac
    printf '%-34s %10s %10s %10s\n' "$label" "${fig[riscv-vm.$k]}" "${fig[qemu.$k]}" \
        "$(ratio "${fig[riscv-vm.$k]}" "${fig[qemu.$k]}")"
done
