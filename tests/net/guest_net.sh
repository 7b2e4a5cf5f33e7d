#!/usr/bin/env bash
# Guest network tests (issue 7) on the default Linux guest (make images):
#   1. --net user: DHCP lease, a fetch from an HTTP server on the host's
#      loopback (through 10.0.2.2), and a hostfwd port reaching a BusyBox nc
#      listener in the guest.
#   2. Two guests with --net-ws on one netproxy segment (--nat --allow-private):
#      each gets a lease, pings the other, fetches a file from the other's
#      httpd, and fetches from the host's loopback HTTP server via the uplink.
# Prints PASS:/FAIL:/SKIP: lines; SKIPs when build/riscv-vm or the images are
# missing. Traffic stays on loopback. Environment: BUILD (build), RISCV_VM,
# NETPROXY, IMG (default $BUILD/images), BOOT_TIMEOUT (120), KEEP=1.
set -u
cd "$(dirname "$0")/../.."
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
        tail -n 10 "$WORK/$run/transcript" | tr -d '\r' | cut -c1-160 | sed 's/^/    | /'
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
    skip net/guest "$VMBIN missing (make)"
    exit 0
fi
if [ -n "$missing" ]; then
    skip net/guest "missing in $IMG:$missing (make images)"
    exit 0
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rvnet.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait 2>/dev/null
    if [ "${KEEP:-}" = 1 ]; then echo "guest_net.sh: work folder $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
out() { cat "$WORK/$1/$2.out" 2>/dev/null; }
why() { local e; e=$(cat "$WORK/$1/error" 2>/dev/null); echo "${e:-no error recorded}"; }

# An HTTP server on the host's loopback with a token file.
mkdir -p "$WORK/www"
HOST_TOKEN=host-token-$$-$RANDOM
echo "$HOST_TOKEN" >"$WORK/www/token"
HTTP_PORT=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$WORK/www" "$HTTP_PORT" \
    >"$WORK/http.log" 2>&1 &
pids+=($!)

vm() { # vm RUN STEPS riscv-vm-options...
    local run=$1 steps=$2
    shift 2
    mkdir -p "$WORK/$run"
    timeout $((BOOT_TIMEOUT + 240)) python3 "$DRIVE" --timeout 90 "$WORK/$run" "$steps" -- \
        "$VMBIN" --mem 256M --bios "$IMG/fw_jump.bin" --kernel "$IMG/Image" \
        --initrd "$IMG/initramfs.cpio.gz" --append "$CMDLINE" "$@"
}

if ! "$VMBIN" --help 2>&1 | grep -q -- '--net user'; then
    skip net/guest "riscv-vm has no --net"
    exit 0
fi

# Waits (in the guest) for a lease; prints the address line.
LEASE='sh -c '\''for i in $(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\." && break; sleep 1; done; ip -4 -o addr show dev eth0'\'''
# The other guest's address on a two-guest segment (10.0.2.15 <-> .16).
PEER='$(ip -4 -o addr show dev eth0 | grep -q "inet 10\.0\.2\.15/" && echo 10.0.2.16 || echo 10.0.2.15)'

# --- 1. --net user ------------------------------------------------------------
FWD_PORT=$(free_port)
NC_TOKEN=nc-token-$$-$RANDOM
cat >"$WORK/steps-user" <<EOF
prompt $BOOT_TIMEOUT
run lease $LEASE
run fetch wget -q -O - http://10.0.2.2:$HTTP_PORT/token
run listen sh -c 'nc -l -p 8080 >/tmp/got 2>&1 &'
run got sh -c 'for i in \$(seq 60); do [ -s /tmp/got ] && break; sleep 1; done; cat /tmp/got'
send poweroff
exit 60
EOF
# The host side of hostfwd: keep trying until the guest's nc listens.
python3 - "$FWD_PORT" "$NC_TOKEN" >"$WORK/fwd.log" 2>&1 <<'EOF' &
import socket, sys, time
port, token = int(sys.argv[1]), sys.argv[2]
end = time.time() + 200
while time.time() < end:
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall((token + "\n").encode())
        time.sleep(1)  # slirp connects the host side before the guest accepts: check it landed
        s.close()
        time.sleep(2)
    except OSError:
        time.sleep(0.5)
EOF
pids+=($!)
vm user "$WORK/steps-user" --net "user,hostfwd=tcp:127.0.0.1:$FWD_PORT-:8080"
if out user lease | grep -q 'inet 10\.0\.2\.15/24'; then
    pass "net user: the guest gets a DHCP lease (10.0.2.15)"
else
    fail "net user: the guest gets a DHCP lease (10.0.2.15)" "lease '$(out user lease | head -1)': $(why user)" user
fi
if out user fetch | grep -qx "$HOST_TOKEN"; then
    pass "net user: the guest fetches from the host's loopback HTTP server (10.0.2.2)"
else
    fail "net user: the guest fetches from the host's loopback HTTP server (10.0.2.2)" "got '$(out user fetch | head -1)'" user
fi
if out user got | grep -q "$NC_TOKEN"; then
    pass "net user: a hostfwd port reaches a BusyBox nc listener in the guest"
else
    fail "net user: a hostfwd port reaches a BusyBox nc listener in the guest" "got '$(out user got | head -1)'" user
fi

# --- 2. two guests on a netproxy segment ---------------------------------------
if [ ! -x "$NETPROXY" ]; then
    fail "net netproxy: two guests" "$NETPROXY missing (make netproxy)"
    exit 1
fi
WS_PORT=$(free_port)
"$NETPROXY" --listen "127.0.0.1:$WS_PORT" --nat /lan --allow-private 2>"$WORK/netproxy.log" &
pids+=($!)
for i in $(seq 50); do
    grep -q listening "$WORK/netproxy.log" && break
    sleep 0.1
done
for g in a b; do
    cat >"$WORK/steps-$g" <<EOF
prompt $BOOT_TIMEOUT
run lease $LEASE
run serve sh -c 'mkdir -p /tmp/www && echo guest-$g-token > /tmp/www/token && httpd -p 8000 -h /tmp/www'
run ping sh -c 'p=$PEER; for i in \$(seq 90); do ping -c 1 -W 1 \$p >/dev/null && { echo reached \$p; exit 0; }; done; exit 1'
run peerget sh -c 'p=$PEER; for i in \$(seq 30); do wget -q -O - http://\$p:8000/token && exit 0; sleep 1; done; exit 1'
run hostget wget -q -O - http://10.0.2.2:$HTTP_PORT/token
run hold sleep 10
send poweroff
exit 60
EOF
done
vm ga "$WORK/steps-a" --net-ws "ws://127.0.0.1:$WS_PORT/lan" --mac 52:54:00:00:0a:01 &
pa=$!
vm gb "$WORK/steps-b" --net-ws "ws://127.0.0.1:$WS_PORT/lan" --mac 52:54:00:00:0a:02 &
pb=$!
wait $pa
wait $pb
leases="$(out ga lease | grep -o 'inet 10\.0\.2\.[0-9]*') / $(out gb lease | grep -o 'inet 10\.0\.2\.[0-9]*')"
if out ga lease | grep -q 'inet 10\.0\.2\.1[56]/' && out gb lease | grep -q 'inet 10\.0\.2\.1[56]/' &&
    [ "$(out ga lease | grep -o '10\.0\.2\.1[56]')" != "$(out gb lease | grep -o '10\.0\.2\.1[56]')" ]; then
    pass "netproxy: two guests on a --nat segment get distinct leases"
else
    fail "netproxy: two guests on a --nat segment get distinct leases" "$leases; $(why ga); $(why gb)" ga
fi
if out ga ping | grep -q reached && out gb ping | grep -q reached; then
    pass "netproxy: the two guests ping each other"
else
    fail "netproxy: the two guests ping each other" "a: '$(out ga ping)' b: '$(out gb ping)'" gb
fi
if out ga peerget | grep -qx guest-b-token && out gb peerget | grep -qx guest-a-token; then
    pass "netproxy: each guest fetches a file from the other's httpd"
else
    fail "netproxy: each guest fetches a file from the other's httpd" "a got '$(out ga peerget)', b got '$(out gb peerget)'" ga
fi
if out ga hostget | grep -qx "$HOST_TOKEN" && out gb hostget | grep -qx "$HOST_TOKEN"; then
    pass "netproxy: guests on a --nat --allow-private segment fetch from the host's loopback"
else
    fail "netproxy: guests on a --nat --allow-private segment fetch from the host's loopback" "a '$(out ga hostget)', b '$(out gb hostget)'" ga
fi
# --- 3. the default uplink refuses the relay host's own loopback ----------------
WS2_PORT=$(free_port)
"$NETPROXY" --listen "127.0.0.1:$WS2_PORT" --nat /pub 2>"$WORK/netproxy2.log" &
pids+=($!)
for i in $(seq 50); do
    grep -q listening "$WORK/netproxy2.log" && break
    sleep 0.1
done
cat >"$WORK/steps-pub" <<EOF
prompt $BOOT_TIMEOUT
run lease $LEASE
run hostget sh -c 'wget -q -T 5 -O - http://10.0.2.2:$HTTP_PORT/token; echo "wget status \$?"'
send poweroff
exit 60
EOF
vm pub "$WORK/steps-pub" --net-ws "ws://127.0.0.1:$WS2_PORT/pub"
if out pub lease | grep -q 'inet 10\.0\.2\.15/' && out pub hostget | grep -q 'wget status [1-9]' &&
    ! out pub hostget | grep -q "$HOST_TOKEN"; then
    pass "netproxy: without --allow-private the uplink refuses the host's loopback"
else
    fail "netproxy: without --allow-private the uplink refuses the host's loopback" "lease '$(out pub lease | head -1)', wget '$(out pub hostget | tr '\n' ' ')'" pub
fi
[ "$nfail" -eq 0 ]
