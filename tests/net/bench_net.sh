#!/usr/bin/env bash
# Network figures (issue 7), never assertions: guest-to-host TCP throughput
# (BusyBox dd | nc into a sink on the host's loopback) over riscv-vm's
# --net user, over netproxy (--net-ws to a --nat --allow-private segment),
# and over QEMU's -nic user on the same guest; and the ping round trip
# between two riscv-vm guests on one netproxy segment.
# Environment: BUILD, IMG, RISCV_VM, NETPROXY, QEMU, MB (MiB sent, 16).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
IMG=${IMG:-$BUILD/images}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
NETPROXY=${NETPROXY:-$BUILD/netproxy}
QEMU=${QEMU:-qemu-system-riscv64}
MB=${MB:-16}
DRIVE=tests/boot/linux-drive.py
CMDLINE="console=ttyS0 earlycon=sbi"
for f in fw_jump.bin Image initramfs.cpio.gz; do
    [ -f "$IMG/$f" ] || { echo "bench-net: $IMG/$f missing (make images); skipped"; exit 0; }
done
[ -x "$VMBIN" ] || { echo "bench-net: $VMBIN missing (make); skipped"; exit 0; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvnetbench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A TCP sink on loopback: for each connection, bytes and seconds from the
# first byte to EOF, one line in $WORK/sink.<port>.
sink() {
    python3 - "$1" "$WORK/sink.$1" <<'EOF' &
import socket, sys, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(4)
ls.settimeout(600)
while True:
    c, _ = ls.accept()
    n, t0 = 0, None
    while True:
        d = c.recv(1 << 16)
        if not d:
            break
        if t0 is None:
            t0 = time.monotonic()
        n += len(d)
    dt = time.monotonic() - t0 if t0 else 0
    c.close()
    with open(sys.argv[2], "a") as f:
        f.write("%d %.3f\n" % (n, dt))
EOF
    pids+=($!)
}

# throughput NAME VM-COMMAND...: boots, sends MB MiB to the sink, prints MB/s.
throughput() {
    local name=$1
    shift
    local port
    port=$(free_port)
    sink "$port"
    cat >"$WORK/steps-$name" <<EOF
prompt 120
run lease sh -c 'for i in \$(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\\.0\\.2\\." && break; sleep 1; done'
run send sh -c 'dd if=/dev/zero bs=65536 count=$((MB * 16)) 2>/dev/null | nc 10.0.2.2 $port'
send poweroff
exit 60
EOF
    mkdir -p "$WORK/$name"
    timeout 600 python3 "$DRIVE" --timeout 300 "$WORK/$name" "$WORK/steps-$name" -- "$@" >/dev/null 2>&1
    sleep 0.5
    local line
    line=$(tail -1 "$WORK/sink.$port" 2>/dev/null)
    if [ -n "$line" ]; then
        awk -v name="$name" '{ printf "bench-net: %-34s %6.1f MB/s (%d bytes in %.2f s)\n", name, ($2 > 0 ? $1 / $2 / 1e6 : 0), $1, $2 }' <<<"$line"
    else
        echo "bench-net: $name: no transfer ($(cat "$WORK/$name/error" 2>/dev/null))"
    fi
}

RV=("$VMBIN" --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image"
    --initrd "$IMG/initramfs.cpio.gz" --append "$CMDLINE")
echo "bench-net: guest -> host TCP, $MB MiB (dd | nc), one run each"
throughput "riscv-vm --net user" "${RV[@]}" --net user

WS_PORT=$(free_port)
"$NETPROXY" --listen "127.0.0.1:$WS_PORT" --nat /lan --allow-private 2>"$WORK/netproxy.log" &
pids+=($!)
sleep 0.5
throughput "riscv-vm --net-ws (netproxy --nat)" "${RV[@]}" --net-ws "ws://127.0.0.1:$WS_PORT/lan"

if command -v "$QEMU" >/dev/null; then
    throughput "qemu -nic user" "$QEMU" -machine virt -m 256M -nographic \
        -global virtio-mmio.force-legacy=false -bios "$IMG/fw_jump.bin" -kernel "$IMG/Image" \
        -initrd "$IMG/initramfs.cpio.gz" -append "$CMDLINE" \
        -netdev user,id=n0 -device virtio-net-device,netdev=n0
fi

# Ping between two guests on one segment.
for g in a b; do
    cat >"$WORK/steps-p$g" <<EOF
prompt 120
run lease sh -c 'for i in \$(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\\.0\\.2\\." && break; sleep 1; done'
run wait sh -c 'p=\$(ip -4 -o addr show dev eth0 | grep -q "inet 10\\.0\\.2\\.15/" && echo 10.0.2.16 || echo 10.0.2.15); for i in \$(seq 90); do ping -c 1 -W 1 \$p >/dev/null && exit 0; done; exit 1'
run ping sh -c 'p=\$(ip -4 -o addr show dev eth0 | grep -q "inet 10\\.0\\.2\\.15/" && echo 10.0.2.16 || echo 10.0.2.15); ping -c 20 -i 0.2 \$p | tail -1'
run hold sleep 6
send poweroff
exit 60
EOF
    mkdir -p "$WORK/p$g"
done
WS2=$(free_port)
"$NETPROXY" --listen "127.0.0.1:$WS2" 2>"$WORK/netproxy2.log" &
pids+=($!)
sleep 0.5
# No uplink on this segment: static addresses instead of DHCP.
for g in a b; do
    n=$([ $g = a ] && echo 15 || echo 16)
    sed -i "s|^run lease .*|run lease ifconfig eth0 10.0.2.$n netmask 255.255.255.0 up|" "$WORK/steps-p$g"
done
timeout 600 python3 "$DRIVE" --timeout 300 "$WORK/pa" "$WORK/steps-pa" -- "${RV[@]}" \
    --net-ws "ws://127.0.0.1:$WS2/ping" --mac 52:54:00:00:0b:01 >/dev/null 2>&1 &
p1=$!
timeout 600 python3 "$DRIVE" --timeout 300 "$WORK/pb" "$WORK/steps-pb" -- "${RV[@]}" \
    --net-ws "ws://127.0.0.1:$WS2/ping" --mac 52:54:00:00:0b:02 >/dev/null 2>&1 &
p2=$!
wait $p1 $p2
for g in a b; do
    echo "bench-net: ping between two riscv-vm guests on netproxy ($g): $(tr -d '\r' <"$WORK/p$g/ping.out" 2>/dev/null | tail -1)"
done
