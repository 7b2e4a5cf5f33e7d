#!/usr/bin/env bash
# Guests over WebTransport (issue 8), on the default Linux guest:
#   1. two guests with --net https://... on one netproxy segment
#      (--nat --allow-private): leases, ping each other, fetch a file from
#      the other's httpd, 1 MiB over TCP (full-size frames: the stream
#      fallback, far beyond the initial stream credit), and
#      fetch from the host's loopback HTTP server through the NAT uplink;
#   2. a WebTransport guest and a WebSocket guest on one segment ping each
#      other (the two transports share one switch).
# Prints PASS:/FAIL:/SKIP: lines; SKIPs when build/riscv-vm or the images
# are missing. Loopback only. Environment: BUILD (build), RISCV_VM, NETPROXY,
# IMG (default $BUILD/images), BOOT_TIMEOUT (120), KEEP=1.
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
IMG=${IMG:-$BUILD/images}
VMBIN=${RISCV_VM:-$BUILD/riscv-vm}
NETPROXY=${NETPROXY:-$BUILD/netproxy}
BOOT_TIMEOUT=${BOOT_TIMEOUT:-120}
DRIVE=tests/boot/linux-drive.py
CMDLINE="console=ttyS0 earlycon=sbi"
nfail=0

pass() { echo "PASS: $1"; }
skip() { echo "SKIP: $1 ($2)"; }
fail() {
    echo "FAIL: $1 ($2)"
    nfail=$((nfail + 1))
    local run=${3:-}
    if [ -n "$run" ] && [ -s "$WORK/$run/transcript" ]; then
        tail -n 8 "$WORK/$run/transcript" | tr -d '\r' | cut -c1-160 | sed 's/^/    | /'
    fi
    if [ -n "$run" ] && [ -s "$WORK/$run/stderr" ]; then
        tail -n 4 "$WORK/$run/stderr" | cut -c1-160 | sed 's/^/    ! /'
    fi
}

missing=
for f in fw_jump.bin Image initramfs.cpio.gz; do
    [ -f "$IMG/$f" ] || missing+=" $f"
done
if [ ! -x "$VMBIN" ]; then
    skip wt/guest "$VMBIN missing (make)"
    exit 0
fi
if [ -n "$missing" ]; then
    skip wt/guest "missing in $IMG:$missing (make images)"
    exit 0
fi
if [ ! -x "$NETPROXY" ] || ! "$NETPROXY" --help | grep -q -- --wt-listen; then
    skip wt/guest "$NETPROXY missing or without --wt-listen (make netproxy)"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvwt.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "${KEEP:-}" = 1 ]; then echo "guest_wt.sh: work folder $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, int(sys.argv[1])); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' "$1"; }
out() { cat "$WORK/$1/$2.out" 2>/dev/null; }
why() { local e; e=$(cat "$WORK/$1/error" 2>/dev/null); echo "${e:-no error recorded}"; }

vm() { # vm RUN STEPS riscv-vm-options...
    local run=$1 steps=$2
    shift 2
    mkdir -p "$WORK/$run"
    timeout $((BOOT_TIMEOUT + 240)) python3 "$DRIVE" --timeout 90 "$WORK/$run" "$steps" -- \
        "$VMBIN" --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image" \
        --initrd "$IMG/initramfs.cpio.gz" --append "$CMDLINE" "$@"
}

# the relay: WebSocket and WebTransport on segments /lan and /mix, each with
# a NAT uplink (its own DHCP: two guests each get .15 and .16)
"$NETPROXY" --wt-cert-gen "$WORK/cert" >"$WORK/cert.txt" || { fail "wt guest: certificate" "--wt-cert-gen failed"; exit 1; }
HASH=$(sed -n 's/^sha256-hex: //p' "$WORK/cert.txt")
WS_PORT=$(free_port 1)   # SOCK_STREAM
WT_PORT=$(free_port 2)   # SOCK_DGRAM
"$NETPROXY" --listen "127.0.0.1:$WS_PORT" --wt-listen "127.0.0.1:$WT_PORT" \
    --wt-cert "$WORK/cert/cert.pem" --wt-key "$WORK/cert/key.pem" \
    --nat /lan /mix --allow-private 2>"$WORK/netproxy.log" &
pids+=($!)
for i in $(seq 50); do
    grep -q "listening on ws" "$WORK/netproxy.log" && break
    sleep 0.1
done
WT_URL="https://127.0.0.1:$WT_PORT/lan#sha256=$HASH"
WT_MIX="https://127.0.0.1:$WT_PORT/mix#sha256=$HASH"

# An HTTP server on the host's loopback with a token file.
mkdir -p "$WORK/www"
HOST_TOKEN=host-token-$$-$RANDOM
echo "$HOST_TOKEN" >"$WORK/www/token"
HTTP_PORT=$(free_port 1)
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$HTTP_PORT" \
    >"$WORK/http.log" 2>&1 &
pids+=($!)

LEASE='sh -c '\''for i in $(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\." && break; sleep 1; done; ip -4 -o addr show dev eth0'\'''
PEER='$(ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\.15/" && echo 10.0.2.16 || echo 10.0.2.15)'

steps() { # steps NAME: a guest that serves a 1 MiB file, pings and fetches the peer's
    cat >"$WORK/steps-$1" <<EOF
prompt $BOOT_TIMEOUT
run lease $LEASE
run serve sh -c 'mkdir -p /tmp/www && echo guest-$1-token > /tmp/www/token && head -c 1048576 /dev/zero > /tmp/www/big && httpd -p 8000 -h /tmp/www'
run ping sh -c 'p=$PEER; for i in \$(seq 90); do ping -c 1 -W 1 \$p >/dev/null && { echo reached \$p; exit 0; }; done; exit 1'
run peerget sh -c 'p=$PEER; for i in \$(seq 30); do wget -q -O - http://\$p:8000/token && exit 0; sleep 1; done; exit 1'
run bigget sh -c 'p=$PEER; for i in \$(seq 10); do wget -q -O /tmp/big2 http://\$p:8000/big && break; sleep 1; done; wc -c < /tmp/big2'
run hostget wget -q -O - http://10.0.2.2:$HTTP_PORT/token
run hold sleep 10
send poweroff
exit 60
EOF
}

# --- 1. two guests over WebTransport ------------------------------------------
steps a
steps b
vm ga "$WORK/steps-a" --net "$WT_URL" --mac 52:54:00:00:0b:01 &
pa=$!
vm gb "$WORK/steps-b" --net "$WT_URL" --mac 52:54:00:00:0b:02 &
pb=$!
wait $pa
wait $pb
la=$(out ga lease | grep -o '10\.0\.2\.1[56]')
lb=$(out gb lease | grep -o '10\.0\.2\.1[56]')
if [ -n "$la" ] && [ -n "$lb" ] && [ "$la" != "$lb" ]; then
    pass "wt guests: two guests over WebTransport get distinct DHCP leases"
else
    fail "wt guests: two guests over WebTransport get distinct DHCP leases" "'$la' / '$lb'; $(why ga); $(why gb)" ga
fi
if out ga ping | grep -q reached && out gb ping | grep -q reached; then
    pass "wt guests: two guests over WebTransport ping each other"
else
    fail "wt guests: two guests over WebTransport ping each other" "a: '$(out ga ping)' b: '$(out gb ping)'" gb
fi
if out ga peerget | grep -qx guest-b-token && out gb peerget | grep -qx guest-a-token; then
    pass "wt guests: each fetches a file from the other's httpd"
else
    fail "wt guests: each fetches a file from the other's httpd" "a '$(out ga peerget)', b '$(out gb peerget)'" ga
fi
if [ "$(out ga bigget | tr -d ' ')" = 1048576 ] && [ "$(out gb bigget | tr -d ' ')" = 1048576 ]; then
    pass "wt guests: 1 MiB over TCP between guests (full-size frames on the stream)"
else
    fail "wt guests: 1 MiB over TCP between guests (full-size frames on the stream)" "a '$(out ga bigget)', b '$(out gb bigget)'" ga
fi
if out ga hostget | grep -qx "$HOST_TOKEN" && out gb hostget | grep -qx "$HOST_TOKEN"; then
    pass "wt guests: fetch from the host's loopback through the segment's NAT uplink"
else
    fail "wt guests: fetch from the host's loopback through the segment's NAT uplink" "a '$(out ga hostget)', b '$(out gb hostget)'" ga
fi

# --- 2. a WebTransport guest and a WebSocket guest on one segment ---------------
steps c
steps d
vm gc "$WORK/steps-c" --net "$WT_MIX" --mac 52:54:00:00:0b:03 &
pc=$!
vm gd "$WORK/steps-d" --net-ws "ws://127.0.0.1:$WS_PORT/mix" --mac 52:54:00:00:0b:04 &
pd=$!
wait $pc
wait $pd
if out gc ping | grep -q reached && out gd ping | grep -q reached &&
    out gc peerget | grep -qx guest-d-token && out gd peerget | grep -qx guest-c-token; then
    pass "wt guests: a WebTransport guest and a WebSocket guest share a segment (ping, fetch)"
else
    fail "wt guests: a WebTransport guest and a WebSocket guest share a segment (ping, fetch)" "wt '$(out gc ping)' '$(out gc peerget)', ws '$(out gd ping)' '$(out gd peerget)'" gc
fi
grep -E "wt (connect|disconnect)" "$WORK/netproxy.log" | sed 's/^/# /' | head -8
[ "$nfail" -eq 0 ]
