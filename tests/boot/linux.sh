#!/usr/bin/env bash
# Boots the default guest (make images: OpenSBI fw_jump + Linux 6.1 +
# BusyBox) on build/riscv-vm, or on qemu-system-riscv64 with VM=qemu (which
# shows the images and these checks are right), and talks to its shell
# through tests/boot/linux-drive.py. Prints one PASS:/FAIL:/SKIP: line per
# check; exits 1 if any check failed. Disks are copies: build/images stays
# pristine.
#
#   tests/boot/linux.sh            VM=qemu tests/boot/linux.sh
#   Environment: BUILD (build), RISCV_VM (build/riscv-vm), BOOT_TIMEOUT
#   (seconds to the first prompt, 120), STEP_TIMEOUT (seconds per command,
#   60), KEEP=1 keeps the work folder (transcripts) and prints its path.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
IMG=$BUILD/images
VM=${VM:-riscv-vm}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
QEMU=${QEMU:-qemu-system-riscv64}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
STEP_TIMEOUT=${STEP_TIMEOUT:-60}
CMDLINE="console=ttyS0 root=/dev/vda rw earlycon=sbi"
CMDLINE_INITRAMFS="console=ttyS0 earlycon=sbi"
DRIVE=tests/boot/linux-drive.py
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvlinux.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "linux.sh: work folder $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi
nfail=0

pass() { echo "PASS: $1"; }
skip() { echo "SKIP: $1 ($2)"; }
# fail NAME WHY [RUN]: the run's last console lines follow, indented so they
# can never be read as result lines.
fail() {
    echo "FAIL: $1 ($2)"
    nfail=$((nfail + 1))
    local run=${3:-}
    if [ -n "$run" ] && [ -s "$WORK/$run/transcript" ]; then
        tail -n 12 "$WORK/$run/transcript" | tr -d '\r' | cut -c1-160 | sed 's/^/    | /'
    fi
    if [ -n "$run" ] && [ -s "$WORK/$run/stderr" ]; then
        tail -n 4 "$WORK/$run/stderr" | cut -c1-160 | sed 's/^/    ! /'
    fi
    return 0
}

# vm_argv OPTIONS...: the command line that boots the guest with riscv-vm's
# options (--disk F, --initrd F, --smp N, --deterministic, --net user), for
# riscv-vm or translated for QEMU. Result in ARGV.
vm_argv() {
    local append=$CMDLINE disk='' initrd='' smp=1 det='' net=''
    while [ $# -gt 0 ]; do
        case $1 in
        --net) net=$2; shift ;;
        --disk) disk=$2; shift ;;
        --initrd) initrd=$2; append=$CMDLINE_INITRAMFS; shift ;;
        --smp) smp=$2; shift ;;
        --deterministic) det=1 ;;
        *) echo "vm_argv: unknown option $1" >&2; return 1 ;;
        esac
        shift
    done
    # shellcheck disable=SC2054  # QEMU options take commas
    if [ "$VM" = qemu ]; then
        ARGV=("$QEMU" -machine virt -m 256M -smp "$smp" -nographic
            -global virtio-mmio.force-legacy=false
            -bios "$IMG/fw_jump.bin" -kernel "$IMG/Image" -append "$append")
        [ -n "$disk" ] && ARGV+=(-drive "file=$disk,format=raw,if=none,id=hd0"
            -device "virtio-blk-device,drive=hd0,bus=virtio-mmio-bus.0")
        [ -n "$initrd" ] && ARGV+=(-initrd "$initrd")
        [ -n "$det" ] && ARGV+=(-icount shift=0,sleep=off)
        [ "$net" = user ] && ARGV+=(-netdev user,id=n0
            -device "virtio-net-device,netdev=n0,bus=virtio-mmio-bus.1")
    else
        ARGV=("$VMBIN" --mem 256M --smp "$smp" --bios "$IMG/fw_jump.bin"
            --kernel "$IMG/Image" --append "$append")
        [ -n "$disk" ] && ARGV+=(--disk "$disk")
        [ -n "$initrd" ] && ARGV+=(--initrd "$initrd")
        [ -n "$det" ] && ARGV+=(--deterministic)
        [ -n "$net" ] && ARGV+=(--net "$net")
    fi
    return 0
}

# boot RUN STEPS OPTIONS...: boots with OPTIONS, follows STEPS (a file, see
# linux-drive.py); the results land in $WORK/RUN/. Status 0 when every step
# finished.
boot() {
    local run=$1 steps=$2
    shift 2
    vm_argv "$@" || return 1
    python3 "$DRIVE" --timeout "$STEP_TIMEOUT" "$WORK/$run" "$steps" -- "${ARGV[@]}"
}
# out RUN NAME: a command's saved output.
out() { cat "$WORK/$1/$2.out" 2>/dev/null; }
rc() { cat "$WORK/$1/rc" 2>/dev/null; }
why() { local e; e=$(cat "$WORK/$1/error" 2>/dev/null); echo "${e:-no error recorded}"; }
reached_prompt() { grep -q '^prompt ' "$WORK/$1/times" 2>/dev/null; }

# --- what the run needs ------------------------------------------------------
missing=
for f in fw_jump.bin Image rootfs.ext4 initramfs.cpio.gz; do
    [ -f "$IMG/$f" ] || missing+=" $f"
done
if [ -n "$missing" ]; then
    fail linux/images "missing in $IMG:$missing (make images)"
    exit 1
fi
if [ "$VM" = qemu ]; then
    command -v "$QEMU" >/dev/null || { fail linux/qemu "$QEMU not installed"; exit 1; }
elif [ ! -x "$VMBIN" ]; then
    fail linux/riscv-vm "$VMBIN missing (make)"
    exit 1
fi
echo "linux.sh: booting on $VM"

# --- first boot: the basics, then write a file and power off -------------------
disk=$WORK/disk.ext4
cp "$IMG/rootfs.ext4" "$disk"
token=persist-$$-$RANDOM
year_before=$(date -u +%Y)
cat >"$WORK/steps1" <<EOF
prompt $BOOT_TIMEOUT
run uname uname -m
run cpuinfo cat /proc/cpuinfo
run df df /
run rootdev mountpoint -d /; cat /sys/block/vda/dev
run year date -u +%Y
run hostname hostname
run write echo $token >/root/persist.txt && sync && cat /root/persist.txt
send poweroff
exit 60
EOF
boot first "$WORK/steps1" --disk "$disk"
year_after=$(date -u +%Y)

if reached_prompt first; then
    pass linux/boot-to-prompt
    echo "    prompt after $(sed -n 's/^prompt //p' "$WORK/first/times") s"
else
    fail linux/boot-to-prompt "$(why first)" first
    # Nothing else can work; say so once per check instead of timing out again.
    for c in uname-m cpuinfo-isa df-root date-rtc hostname write-file poweroff-status \
        fsck-after-poweroff persist-second-boot smp-2 initramfs dhcp deterministic \
        kernel-log-clean; do
        fail "linux/$c" "first boot did not reach the prompt"
    done
    exit 1
fi

[ "$(out first uname)" = riscv64 ] && pass linux/uname-m ||
    fail linux/uname-m "uname -m said '$(out first uname | head -1)'" first

isa=$(out first cpuinfo | sed -n 's/^isa[[:space:]]*:[[:space:]]*//p' | head -1)
if [[ $isa == rv64imafdc* ]]; then
    pass linux/cpuinfo-isa
    echo "    isa: $isa"
else
    fail linux/cpuinfo-isa "isa '${isa:-none}', want rv64imafdc..." first
fi

# BusyBox df names the kernel's root device /dev/root; the device numbers
# show it is vda.
dfline=$(out first df | awk 'NR > 1 && $NF == "/"')
mapfile -t rootdev < <(out first rootdev)
if [ -n "$dfline" ] && [ "${#rootdev[@]}" -eq 2 ] && [ "${rootdev[0]}" = "${rootdev[1]}" ]; then
    pass linux/df-root
    echo "    $dfline (device ${rootdev[0]} = /dev/vda)"
else
    fail linux/df-root "df line '${dfline:-none}', root device '${rootdev[0]:-}' vs vda '${rootdev[1]:-}'" first
fi

gyear=$(out first year)
[ "$gyear" = "$year_before" ] || [ "$gyear" = "$year_after" ] && pass linux/date-rtc ||
    fail linux/date-rtc "guest year '$gyear', host $year_before" first

[ "$(out first hostname)" = riscv-vm ] && pass linux/hostname ||
    fail linux/hostname "hostname '$(out first hostname)'" first

[ "$(out first write)" = "$token" ] && pass linux/write-file ||
    fail linux/write-file "read back '$(out first write | head -1)'" first

[ "$(rc first)" = 0 ] && pass linux/poweroff-status ||
    fail linux/poweroff-status "exit status $(rc first): $(why first)" first

if e2fsck -fn "$disk" >"$WORK/fsck.log" 2>&1; then
    pass linux/fsck-after-poweroff
else
    fail linux/fsck-after-poweroff "e2fsck -fn found problems"
    tail -n 6 "$WORK/fsck.log" | sed 's/^/    | /'
fi

# --- second boot on the same disk: the file is still there ---------------------
cat >"$WORK/steps2" <<EOF
prompt $BOOT_TIMEOUT
run read cat /root/persist.txt
send poweroff
exit 60
EOF
boot second "$WORK/steps2" --disk "$disk"
if [ "$(out second read)" = "$token" ] && [ "$(rc second)" = 0 ]; then
    pass linux/persist-second-boot
else
    fail linux/persist-second-boot "read '$(out second read | head -1)', exit status $(rc second): $(why second)" second
fi

# --- two harts -----------------------------------------------------------------
cp "$IMG/rootfs.ext4" "$WORK/smp.ext4"
cat >"$WORK/steps-smp" <<EOF
prompt $BOOT_TIMEOUT
run nproc grep -c ^processor /proc/cpuinfo
run online cat /sys/devices/system/cpu/online
send poweroff
exit 60
EOF
boot smp "$WORK/steps-smp" --disk "$WORK/smp.ext4" --smp 2
if [ "$(out smp nproc)" = 2 ] && [ "$(out smp online)" = 0-1 ] && [ "$(rc smp)" = 0 ]; then
    pass linux/smp-2
else
    fail linux/smp-2 "processors '$(out smp nproc)', online '$(out smp online)', exit status $(rc smp): $(why smp)" smp
fi

# --- the initramfs variant (no disk) ---------------------------------------------
cat >"$WORK/steps-initramfs" <<EOF
prompt $BOOT_TIMEOUT
run root awk '\$2 == "/" { print \$3 }' /proc/mounts
send poweroff
exit 60
EOF
boot initramfs "$WORK/steps-initramfs" --initrd "$IMG/initramfs.cpio.gz"
if [ "$(out initramfs root)" = rootfs ] && [ "$(rc initramfs)" = 0 ]; then
    pass linux/initramfs
else
    fail linux/initramfs "root fs '$(out initramfs root | head -1)', exit status $(rc initramfs): $(why initramfs)" initramfs
fi

# --- user-mode network: the init script's DHCP client configures eth0 ----------
# (10.0.2.0/24 with gateway 10.0.2.2 and DNS 10.0.2.3, libslirp's and QEMU's
# defaults).
cat >"$WORK/steps-net" <<EOF
prompt $BOOT_TIMEOUT
run addr ip -4 -o addr show dev eth0
run route ip route show default
run dns cat /etc/resolv.conf
send poweroff
exit 60
EOF
if [ "$VM" != qemu ] && ! "$VMBIN" --help 2>&1 | grep -q -- '--net user'; then
    skip linux/dhcp "riscv-vm has no --net user"
else
    cp "$IMG/rootfs.ext4" "$WORK/net.ext4"
    boot net "$WORK/steps-net" --disk "$WORK/net.ext4" --net user
    if [ "$VM" != qemu ] && [ "$(rc net)" = 2 ] && ! reached_prompt net; then
        # Exit status 2 is the CLI refusing its arguments: built without
        # libslirp.
        skip linux/dhcp "riscv-vm refused --net user: $(head -1 "$WORK/net/stderr")"
    elif out net addr | grep -q 'inet 10\.0\.2\.15/24' && out net route | grep -q 'via 10\.0\.2\.2' &&
        out net dns | grep -q '^nameserver 10\.0\.2\.3' && [ "$(rc net)" = 0 ]; then
        pass linux/dhcp
    else
        fail linux/dhcp "addr '$(out net addr | head -1)', route '$(out net route | head -1)', exit status $(rc net): $(why net)" net
    fi
fi

# --- deterministic mode: the same input twice, the same transcript ---------------
# The whole input is piped at once (no pacing: pacing depends on the host's
# timing). Leading blank lines absorb what the UART may drop while Linux
# opens the port (it clears the FIFOs).
if [ "$VM" = qemu ]; then
    skip linux/deterministic "QEMU's console transcript is not deterministic (RTC is host time)"
else
    {
        printf '\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n'
        printf 'uname -a\ncat /proc/cpuinfo\ndate\nls -l /root\ncat /proc/uptime\n'
        printf 'poweroff\n'
    } >"$WORK/det-input"
    ok=1
    for i in 1 2; do
        cp "$IMG/rootfs.ext4" "$WORK/det$i.ext4"
        echo "feed $WORK/det-input $((BOOT_TIMEOUT + 60))" >"$WORK/steps-det"
        boot det$i "$WORK/steps-det" --disk "$WORK/det$i.ext4" --deterministic || ok=0
    done
    if [ "$ok" = 1 ] && cmp -s "$WORK/det1/transcript" "$WORK/det2/transcript" && [ "$(rc det1)" = 0 ]; then
        pass linux/deterministic
        echo "    $(wc -c <"$WORK/det1/transcript") bytes, identical"
    elif [ "$(rc det1)" != 0 ] && ! grep -q 'uname -a' "$WORK/det1/transcript" 2>/dev/null; then
        skip linux/deterministic "the CLI did not deliver piped input to the guest in --deterministic mode: $(why det1)"
    elif [ "$ok" = 1 ]; then
        fail linux/deterministic "transcripts differ: $(cmp "$WORK/det1/transcript" "$WORK/det2/transcript" 2>&1 | head -1)"
    else
        fail linux/deterministic "run 1: $(why det1); run 2: $(why det2)" det1
    fi
fi

# --- no kernel complaints in any run ---------------------------------------------
# A hart bug can leave the shell working while the kernel reports it.
bad=$(cat "$WORK"/*/transcript 2>/dev/null | tr -d '\r' |
    grep -E 'Oops|Kernel panic|BUG:|WARNING:|Unable to handle|rcu: INFO|stalls on CPUs|segfault|unhandled signal|illegal instruction' |
    sort | uniq -c | sort -rn | head -5)
if [ -z "$bad" ]; then
    pass linux/kernel-log-clean
else
    fail linux/kernel-log-clean "the kernel complained"
    echo "$bad" | cut -c1-160 | sed 's/^/    | /'
fi

[ "$nfail" -eq 0 ]
