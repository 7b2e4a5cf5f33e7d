#!/usr/bin/env bash
# Disk figures for the default guest on the command line, beside QEMU (part
# of make bench-disk): the same dd and randio runs the page's benchmark
# makes (tests/web/disk-bench.mjs), inside the guest, on
#   riscv-vm  --disk FILE                 (a raw image file)
#   riscv-vm  --disk BASE,overlay=FILE    (the copy-on-write overlay)
#   QEMU      -drive file=FILE,format=raw (virtio-blk-device, cache=writeback)
# Writes BUILD/bench/disk-native.json, which disk-bench.mjs puts beside the
# browser's stores. Figures only: nothing is asserted.
#   Environment: BUILD (build), RISCV_VM (build/riscv-vm), QEMU,
#   DISK_BENCH_MIB (16), DISK_BENCH_OPS (200).
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
IMG=$BUILD/images
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
QEMU=${QEMU:-qemu-system-riscv64}
MIB=${DISK_BENCH_MIB:-16}
OPS=${DISK_BENCH_OPS:-200}
RANDIO=$BUILD/bench/randio
CMDLINE="console=ttyS0 root=/dev/vda rw earlycon=sbi"
DRIVE=tests/boot/linux-drive.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvdisk.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

for f in "$IMG/fw_jump.bin" "$IMG/Image" "$IMG/rootfs.ext4" "$RANDIO" "$VMBIN"; do
    [ -f "$f" ] || { echo "bench-disk: $f missing (make images; make $RANDIO)"; exit 1; }
done

# The steps: put randio into the guest (base64 through the console), then
# the measurements; caches dropped before each read test.
{
    echo "prompt 120"
    echo "send base64 -d > /root/randio << 'B64END'"
    base64 -w 76 "$RANDIO" | sed 's/^/send /'
    echo "send B64END"
    echo "run chmod chmod +x /root/randio && /root/randio 2>&1 | head -1"
    echo "run seqw dd if=/dev/zero of=/root/seq bs=1M count=$MIB conv=fsync 2>&1"
    echo "run drop1 sync; echo 3 > /proc/sys/vm/drop_caches"
    echo "run seqr dd if=/root/seq of=/dev/null bs=1M 2>&1"
    echo "run rr /root/randio /root/seq $OPS r"
    echo "run rw /root/randio /root/seq $OPS w"
    echo "run rwb /root/randio /root/seq $OPS wb"
    echo "run clean rm -f /root/seq /root/randio; sync"
    echo "send poweroff"
    echo "exit 60"
} >"$WORK/steps"

# MiB/s from dd's "N bytes (...) copied, T seconds, ..." line.
dd_mibs() {
    awk -v mib="$MIB" 'match($0, /copied, [0-9.]+ seconds/) {
        split(substr($0, RSTART, RLENGTH), w, " "); if (w[2] > 0) printf "%.1f", mib / w[2]; found = 1 }
        END { if (!found) printf "null" }' "$1"
}
iops() {
    awk '/^randio / { print $(NF-1); found = 1 } END { if (!found) print "null" }' "$1"
}

json="{"
sep=""
for vm in file overlay qemu; do
    dir=$WORK/$vm
    rm -f "$WORK/disk.img" "$WORK/ovl.img"
    cp "$IMG/rootfs.ext4" "$WORK/disk.img"
    case $vm in
    file) argv=("$VMBIN" --smp 1 --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image"
        --append "$CMDLINE" --disk "$WORK/disk.img") ;;
    overlay) argv=("$VMBIN" --smp 1 --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image"
        --append "$CMDLINE" --disk "$WORK/disk.img,overlay=$WORK/ovl.img") ;;
    qemu) argv=("$QEMU" -machine virt -smp 1 -m 256M -nographic
        -global virtio-mmio.force-legacy=false
        -bios "$IMG/fw_jump.bin" -kernel "$IMG/Image" -append "$CMDLINE"
        -drive "file=$WORK/disk.img,format=raw,if=none,id=hd0"
        -device "virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.0") ;;
    esac
    if [ "$vm" = qemu ] && ! command -v "$QEMU" >/dev/null; then
        echo "# disk ($vm): SKIP ($QEMU not found)"
        continue
    fi
    if ! python3 "$DRIVE" --timeout 300 "$dir" "$WORK/steps" -- "${argv[@]}" >/dev/null 2>&1; then
        echo "# disk ($vm): the run failed: $(cat "$dir/error" 2>/dev/null)"
        continue
    fi
    sw=$(dd_mibs "$dir/seqw.out")
    sr=$(dd_mibs "$dir/seqr.out")
    rr=$(iops "$dir/rr.out")
    rw=$(iops "$dir/rw.out")
    rwb=$(iops "$dir/rwb.out")
    echo "# disk ($vm): dd write ${sw} MiB/s, dd read ${sr} MiB/s; random 4 KiB: read ${rr} IOPS, write+fdatasync ${rw} IOPS, write (one fdatasync) ${rwb} IOPS"
    json+="$sep\"$vm\": {\"seqWriteMiBs\": $sw, \"seqReadMiBs\": $sr, \"randReadIops\": $rr, \"randWriteSyncIops\": $rw, \"randWriteIops\": $rwb}"
    sep=", "
done
json+="}"
mkdir -p "$BUILD/bench"
echo "$json" >"$BUILD/bench/disk-native.json"
