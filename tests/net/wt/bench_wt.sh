#!/usr/bin/env bash
# WebTransport figures beside WebSocket (issue 8), never assertions:
#   - guest -> host TCP throughput (BusyBox dd | nc into a sink on the host's
#     loopback) through a netproxy --nat --allow-private segment, the guest
#     on --net https://... and on --net-ws ws://...;
#   - ping round trip between two guests on one segment, both transports;
#   - the same with 1% packet loss on loopback (tc netem in a network
#     namespace this script creates) where the kernel and privileges allow.
# Environment: BUILD, IMG, RISCV_VM, NETPROXY, MB (MiB sent, 8), PINGS (20).
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
IMG=${IMG:-$BUILD/images}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
NETPROXY=${NETPROXY:-$BUILD/netproxy}
MB=${MB:-8}
PINGS=${PINGS:-20}
DRIVE=tests/boot/linux-drive.py
CMDLINE="console=ttyS0 earlycon=sbi"

if [ "${1:-}" != --inner ]; then
    for f in fw_jump.bin Image initramfs.cpio.gz; do
        [ -f "$IMG/$f" ] || { echo "bench-wt: $IMG/$f missing (make images); skipped"; exit 0; }
    done
    [ -x "$VMBIN" ] || { echo "bench-wt: $VMBIN missing (make); skipped"; exit 0; }
    [ -x "$NETPROXY" ] || { echo "bench-wt: $NETPROXY missing (make netproxy); skipped"; exit 0; }
    LOSS=0 bash "$0" --inner
    if unshare -n true 2>/dev/null &&
        unshare -n sh -c 'ip link set lo up && tc qdisc add dev lo root netem loss 1%' 2>/dev/null; then
        unshare -n bash -c 'ip link set lo up && tc qdisc add dev lo root netem loss 1% && LOSS=1 bash "$0" --inner' "$0"
    else
        echo "bench-wt: 1% loss runs skipped (no tc netem in this kernel, or no privilege for a network namespace)"
    fi
    exit 0
fi

LOSS=${LOSS:-0}
tag=$([ "$LOSS" = 1 ] && echo ", 1% loss" || echo "")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvwtbench.XXXXXX")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$WORK"' EXIT
free_port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, int(sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }

"$NETPROXY" --wt-cert-gen "$WORK/cert" >"$WORK/cert.txt"
HASH=$(sed -n 's/^sha256-hex: //p' "$WORK/cert.txt")
WS_PORT=$(free_port 1)
WT_PORT=$(free_port 2)
"$NETPROXY" --listen "127.0.0.1:$WS_PORT" --wt-listen "127.0.0.1:$WT_PORT" \
    --wt-cert "$WORK/cert/cert.pem" --wt-key "$WORK/cert/key.pem" \
    --nat /lan /pwt /pws --allow-private 2>"$WORK/netproxy.log" &
pids+=($!)
sleep 0.5
# each measurement on a segment of its own, so two guests lease .15 and .16
WT="https://127.0.0.1:$WT_PORT/lan#sha256=$HASH"
WS="ws://127.0.0.1:$WS_PORT/lan"
WTP="https://127.0.0.1:$WT_PORT/pwt#sha256=$HASH"
WSP="ws://127.0.0.1:$WS_PORT/pws"

# TCP sink: bytes and seconds from first byte to EOF, one line per connection.
sink() {
    python3 - "$1" "$WORK/sink.$1" <<'EOF' &
import socket, sys, time
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1])))
ls.listen(4)
ls.settimeout(900)
c, _ = ls.accept()
n, t0 = 0, None
while True:
    d = c.recv(1 << 16)
    if not d:
        break
    t0 = t0 or time.monotonic()
    n += len(d)
with open(sys.argv[2], "w") as f:
    f.write("%d %.3f\n" % (n, time.monotonic() - t0 if t0 else 0))
EOF
    pids+=($!)
}

vm() { # vm RUN STEPS riscv-vm-options...
    local run=$1 steps=$2
    shift 2
    mkdir -p "$WORK/$run"
    timeout 900 python3 "$DRIVE" --timeout 600 "$WORK/$run" "$steps" -- \
        "$VMBIN" --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image" \
        --initrd "$IMG/initramfs.cpio.gz" --append "$CMDLINE" "$@" >/dev/null 2>&1
}
LEASE='sh -c '\''for i in $(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\." && break; sleep 1; done'\'''

throughput() { # throughput NAME NET-OPTIONS...
    local name=$1 port
    shift
    port=$(free_port 1)
    sink "$port"
    cat >"$WORK/steps-$name" <<EOF
prompt 120
run lease $LEASE
run send sh -c 'dd if=/dev/zero bs=65536 count=$((MB * 16)) 2>/dev/null | nc 10.0.2.2 $port'
send poweroff
exit 60
EOF
    vm "$name" "$WORK/steps-$name" "$@"
    sleep 0.5
    if [ -s "$WORK/sink.$port" ]; then
        awk -v n="$name$tag" '{ printf "bench-wt: %-40s %6.2f MB/s (%d bytes in %.2f s)\n", n, ($2 > 0 ? $1 / $2 / 1e6 : 0), $1, $2 }' "$WORK/sink.$port"
    else
        echo "bench-wt: $name$tag: no transfer ($(cat "$WORK/$name/error" 2>/dev/null))"
    fi
}

pingpair() { # pingpair NAME NET-OPTIONS-A -- NET-OPTIONS-B
    local name=$1
    shift
    local a=() b=()
    while [ "$1" != -- ]; do a+=("$1"); shift; done
    shift
    b=("$@")
    local peer='$(ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\.15/" && echo 10.0.2.16 || echo 10.0.2.15)'
    cat >"$WORK/steps-$name-a" <<EOF
prompt 120
run lease $LEASE
run ping sh -c 'p=$peer; for i in \$(seq 60); do ping -c 1 -W 1 \$p >/dev/null && break; done; ping -c $PINGS -i 0.2 \$p | tail -2'
send poweroff
exit 60
EOF
    cat >"$WORK/steps-$name-b" <<EOF
prompt 120
run lease $LEASE
run hold sleep $((PINGS / 5 + 25))
send poweroff
exit 60
EOF
    vm "$name-a" "$WORK/steps-$name-a" "${a[@]}" --mac 52:54:00:00:0c:01 &
    local pa=$!
    vm "$name-b" "$WORK/steps-$name-b" "${b[@]}" --mac 52:54:00:00:0c:02 &
    local pb=$!
    wait $pa $pb
    local rtt loss
    rtt=$(grep -o 'min/avg/max = [0-9./]*' "$WORK/$name-a/ping.out" 2>/dev/null | cut -d' ' -f3)
    loss=$(grep -o '[0-9]*% packet loss' "$WORK/$name-a/ping.out" 2>/dev/null)
    echo "bench-wt: ping $name$tag: min/avg/max ${rtt:-?} ms, ${loss:-no reply}"
}

throughput "guest->host TCP over WebTransport" --net "$WT"
throughput "guest->host TCP over WebSocket" --net-ws "$WS"
pingpair "guest<->guest WebTransport" --net "$WTP" -- --net "$WTP"
pingpair "guest<->guest WebSocket" --net-ws "$WSP" -- --net-ws "$WSP"
