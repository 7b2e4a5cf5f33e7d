#!/usr/bin/env bash
# The CLI's copy-on-write disks (vm/cli/disk_overlay.c), checked through the
# rv_blockdev interface the virtio-blk device uses: random reads and writes
# against a flat model, the base never modified, reopen after flush, a
# process killed mid-run (overlay consistent, flushed data there, each chunk
# old or new), another base refused, locking. Then, when the CLI accepts
# `--disk IMG,overlay=FILE`, the default Linux guest writes a file, syncs,
# powers off, and a second boot over the same overlay reads it back.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/tests/overlay
mkdir -p "$OUT"
CC=${CC:-cc}
fails=0
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1 ($2)"; fails=$((fails + 1)); }

cat >"$OUT/harness.c" <<'EOF'
/* Drives disk_overlay through rv_blockdev, as the virtio-blk device does. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk_overlay.h"

static int last_status;
static void done(rv_blk_req *r, int status) { (void)r; last_status = status; }

static int io(rv_blockdev *b, int type, uint64_t off, uint8_t *p, size_t len)
{
    rv_iovec v[2] = {{p, len / 2}, {p + len / 2, len - len / 2}}; /* two buffers, as a guest may */
    rv_blk_req r = {.type = type, .offset = off, .iov = v, .iovcnt = 2, .complete = done};
    last_status = -1;
    b->submit(b->opaque, &r);
    return last_status;
}

static uint64_t seed = 88172645463325252ull;
static uint64_t rnd(void) { seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17; return seed; }

/* mode: model BASE OVL MODEL N  -> N random ops vs the model file (updated
 *       in place), flush and close
 *       crash BASE OVL MODEL FLUSHED   -> writes, flushes (model saved to
 *       FLUSHED), more writes saved to MODEL, then SIGKILL itself
 *       check BASE OVL FILE  -> the whole disk equals FILE
 *       chunks BASE OVL A B  -> every 64 KiB chunk equals A's or B's
 *       open BASE OVL        -> opens (prints the error otherwise) */
int main(int argc, char **argv)
{
    char err[512] = "";
    if (argc < 4) return 2;
    disk_overlay *d = disk_overlay_open(argv[2], argv[3], false, err, sizeof err);
    if (!d) { printf("%s\n", err); return 3; }
    rv_blockdev b = disk_overlay_blockdev(d);
    size_t size = (size_t)b.size;
    if (!strcmp(argv[1], "open")) { disk_overlay_close(d); return 0; }
    if (!strcmp(argv[1], "rewrite")) { /* one chunk rewritten and flushed 50 times */
        static uint8_t c[65536];
        for (int k = 0; k < 50; k++) {
            memset(c, k + 1, sizeof c);
            if (io(&b, RV_BLK_WRITE, 65536, c, sizeof c) || io(&b, RV_BLK_FLUSH, 0, c, 0)) return 6;
        }
        if (io(&b, RV_BLK_READ, 65536, c, sizeof c) || c[0] != 50 || c[65535] != 50) return 7;
        disk_overlay_close(d);
        return 0;
    }
    uint8_t *disk = malloc(size), *m = malloc(size), *x = malloc(size);
    if (io(&b, RV_BLK_READ, 0, disk, size)) return 4;
    if (!strcmp(argv[1], "dump")) {
        FILE *f = fopen(argv[4], "wb");
        if (!f || fwrite(disk, 1, size, f) != size) return 5;
        fclose(f);
        disk_overlay_close(d);
        return 0;
    }
    if (!strcmp(argv[1], "check") || !strcmp(argv[1], "chunks")) {
        FILE *f = fopen(argv[4], "rb");
        if (!f || fread(m, 1, size, f) != size) return 5;
        fclose(f);
        if (!strcmp(argv[1], "check")) return memcmp(disk, m, size) ? 1 : 0;
        f = fopen(argv[5], "rb");
        if (!f || fread(x, 1, size, f) != size) return 5;
        fclose(f);
        for (size_t c = 0; c < size; c += 65536) {
            size_t n = size - c < 65536 ? size - c : 65536;
            if (memcmp(disk + c, m + c, n) && memcmp(disk + c, x + c, n)) { printf("chunk %zu torn\n", c / 65536); return 1; }
        }
        return 0;
    }
    FILE *f = fopen(argv[4], "rb");
    if (!f || fread(m, 1, size, f) != size) return 5;
    fclose(f);
    if (memcmp(disk, m, size)) { printf("disk differs from the model at open\n"); return 1; }
    int n = !strcmp(argv[1], "model") ? atoi(argv[5]) : 40;
    uint8_t *buf = malloc(3 * 65536 + 4096);
    for (int k = 0; k < n; k++) {
        if (!strcmp(argv[1], "crash") && k == n / 2) {
            if (io(&b, RV_BLK_FLUSH, 0, buf, 0)) return 6;
            f = fopen(argv[5], "wb"); fwrite(m, 1, size, f); fclose(f);
        }
        uint64_t secs = size / 512;
        uint64_t s = rnd() % secs, cnt = 1 + rnd() % (3 * 128 + 8);
        if (s + cnt > secs) cnt = secs - s;
        size_t off = s * 512, len = cnt * 512;
        if (rnd() % 2) {
            for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rnd();
            if (io(&b, RV_BLK_WRITE, off, buf, len)) return 7;
            memcpy(m + off, buf, len);
        } else {
            if (io(&b, RV_BLK_READ, off, buf, len)) return 8;
            if (memcmp(buf, m + off, len)) { printf("read %zu+%zu differs\n", off, len); return 1; }
        }
        if (rnd() % 10 == 0 && io(&b, RV_BLK_FLUSH, 0, buf, 0)) return 6;
    }
    if (io(&b, RV_BLK_WRITE, size - 512, buf, 1024) != RV_BLK_IOERR) { printf("write past the end accepted\n"); return 1; }
    f = fopen(argv[4], "wb"); fwrite(m, 1, size, f); fclose(f);
    if (!strcmp(argv[1], "crash")) raise(SIGKILL); /* no flush, no close */
    disk_overlay_close(d);
    return 0;
}
EOF

H=$OUT/overlay-harness
if ! $CC -std=c11 -Wall -Wextra -Werror -O1 -g -fsanitize=address,undefined -Ivm -Ivm/cli \
    "$OUT/harness.c" vm/cli/disk_overlay.c vm/disk/cow.c vm/disk/cowfile.c -o "$H" 2>"$OUT/cc.log"; then
    fail "overlay: harness builds" "$(head -c 300 "$OUT/cc.log")"
    echo "overlay: $fails failed"
    exit 1
fi

B=$OUT/base.img
O=$OUT/ovl
M=$OUT/model
head -c $((3 * 1024 * 1024 + 7 * 512)) /dev/urandom >"$B" # not a multiple of the chunk size
cp "$B" "$M"
rm -f "$O"
sum0=$(sha256sum <"$B")
# The harness keeps its buffers to the end; leaks of the overlay itself are
# checked by the open/close runs (mode "open") below, with leak detection on.
export ASAN_OPTIONS=detect_leaks=0

if "$H" model "$B" "$O" "$M" 400 >"$OUT/run.log" 2>&1; then
    pass "overlay: 400 random reads/writes match a flat model"
else
    fail "overlay: 400 random reads/writes match a flat model" "$(head -c 300 "$OUT/run.log")"
fi
if "$H" check "$B" "$O" "$M" >"$OUT/run.log" 2>&1; then
    pass "overlay: after close and reopen the disk reads back the same"
else
    fail "overlay: after close and reopen the disk reads back the same" "$(head -c 300 "$OUT/run.log")"
fi
if [ "$(sha256sum <"$B")" = "$sum0" ]; then pass "overlay: the base image is never modified"; else fail "overlay: the base image is never modified" "base changed"; fi
# Sparse: a few writes on a 64 MiB disk store a few chunks.
B2=$OUT/big.img
rm -f "$B2" "$OUT/big.ovl"
head -c $((1024 * 1024)) /dev/urandom >"$B2"
truncate -s 64M "$B2"
cp "$B2" "$OUT/big.model"
if "$H" model "$B2" "$OUT/big.ovl" "$OUT/big.model" 6 >"$OUT/run.log" 2>&1; then
    oblocks=$(($(stat -c %b "$OUT/big.ovl") * $(stat -c %B "$OUT/big.ovl")))
    if [ "$oblocks" -le $((2 * 1024 * 1024)) ]; then
        pass "overlay: sparse ($oblocks bytes stored for 6 operations on a 64 MiB disk)"
    else
        fail "overlay: sparse" "$oblocks bytes stored for 6 operations"
    fi
else
    fail "overlay: sparse" "$(head -c 300 "$OUT/run.log")"
fi

# Rewriting one chunk reuses slots: the file does not grow with every flush.
rm -f "$OUT/rw.ovl"
if "$H" rewrite "$B" "$OUT/rw.ovl" >"$OUT/run.log" 2>&1; then
    sz=$(stat -c %s "$OUT/rw.ovl")
    if [ "$sz" -le $((8192 + 3 * 65536)) ]; then
        pass "overlay: 50 flushed rewrites of one chunk reuse slots ($sz bytes)"
    else
        fail "overlay: 50 flushed rewrites of one chunk reuse slots" "$sz bytes"
    fi
else
    fail "overlay: 50 flushed rewrites of one chunk reuse slots" "$(head -c 300 "$OUT/run.log")"
fi

# A process killed after a flush and more writes: reopening works, and each
# chunk holds its state at the flush or after the later writes.
cp "$M" "$OUT/flushed"
( "$H" crash "$B" "$O" "$M" "$OUT/flushed" >"$OUT/run.log" 2>&1; exit $? ) 2>/dev/null
rc=$?
if [ $rc -ne 137 ]; then
    fail "overlay: after a kill, every chunk is its flushed or its later state" "the run did not die by SIGKILL (rc=$rc: $(head -c 200 "$OUT/run.log"))"
elif "$H" chunks "$B" "$O" "$OUT/flushed" "$M" >"$OUT/run.log" 2>&1; then
    pass "overlay: after a kill, every chunk is its flushed or its later state"
else
    fail "overlay: after a kill, every chunk is its flushed or its later state" "$(head -c 300 "$OUT/run.log") rc=$rc"
fi
# The structure survived: more random work on top of whatever is there.
if "$H" dump "$B" "$O" "$OUT/m2" >"$OUT/run.log" 2>&1 &&
    "$H" model "$B" "$O" "$OUT/m2" 100 >>"$OUT/run.log" 2>&1 &&
    "$H" check "$B" "$O" "$OUT/m2" >>"$OUT/run.log" 2>&1; then
    pass "overlay: usable after the kill"
else
    fail "overlay: usable after the kill" "$(head -c 300 "$OUT/run.log")"
fi

# Another base: refused with a clear message, the overlay untouched.
head -c $((3 * 1024 * 1024 + 7 * 512)) /dev/urandom >"$OUT/other.img"
if ASAN_OPTIONS=detect_leaks=1 "$H" open "$B" "$O" >"$OUT/run.log" 2>&1; then
    pass "overlay: open and close free everything (LeakSanitizer)"
else
    fail "overlay: open and close free everything (LeakSanitizer)" "$(head -c 300 "$OUT/run.log")"
fi
if out=$(ASAN_OPTIONS=detect_leaks=1 "$H" open "$OUT/other.img" "$O" 2>&1); then
    fail "overlay: an overlay over another base is refused" "opened"
elif echo "$out" | grep -q "another base image"; then
    pass "overlay: an overlay over another base is refused"
else
    fail "overlay: an overlay over another base is refused" "$out"
fi
# Garbage is not taken for an overlay.
head -c 8192 /dev/urandom >"$OUT/junk"
if out=$("$H" open "$B" "$OUT/junk" 2>&1); then fail "overlay: a file that is not an overlay is refused" "opened"; else pass "overlay: a file that is not an overlay is refused"; fi
# Two VMs on one overlay: the second is refused.
if command -v flock >/dev/null; then
    if out=$(flock -x "$O" "$H" open "$B" "$O" 2>&1); then
        fail "overlay: a locked overlay is refused" "opened"
    elif echo "$out" | grep -q "in use"; then
        pass "overlay: a locked overlay is refused"
    else
        fail "overlay: a locked overlay is refused" "$out"
    fi
fi

# The CLI with the default Linux guest (when the CLI has the option).
VM=${VM:-$BUILD/riscv-vm}
IMG=$BUILD/images
if [ ! -x "$VM" ] || ! "$VM" --help 2>&1 | grep -q "overlay="; then
    echo "SKIP: overlay: Linux guest keeps a file across boots (the CLI has no --disk IMG,overlay=FILE yet)"
elif [ ! -f "$IMG/rootfs.ext4" ] || [ ! -f "$IMG/Image" ] || ! command -v python3 >/dev/null; then
    echo "SKIP: overlay: Linux guest keeps a file across boots (no default images: make images)"
else
    cp "$IMG/rootfs.ext4" "$OUT/rootfs.ext4"
    rm -f "$OUT/guest.ovl"
    rsum=$(sha256sum <"$OUT/rootfs.ext4")
    python3 - "$VM" "$IMG" "$OUT" >"$OUT/guest.log" 2>&1 <<'PY'
import os, subprocess, sys, time, select
vm, img, out = sys.argv[1:4]
def boot(cmds):
    p = subprocess.Popen([vm, "--bios", f"{img}/fw_jump.bin", "--kernel", f"{img}/Image",
                          "--append", "console=ttyS0 root=/dev/vda rw",
                          "--disk", f"{out}/rootfs.ext4,overlay={out}/guest.ovl"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = b""
    def expect(pat, t=120):
        nonlocal buf
        end = time.time() + t
        while pat.encode() not in buf:
            if time.time() > end or p.poll() is not None:
                raise SystemExit(f"timeout waiting for {pat!r}: {buf[-400:]!r}")
            r, _, _ = select.select([p.stdout], [], [], 0.5)
            if r:
                buf += os.read(p.stdout.fileno(), 4096)
        i = buf.index(pat.encode()) + len(pat)
        got, buf = buf[:i], buf[i:]
        return got.decode(errors="replace")
    expect("# ")
    outs = []
    for c in cmds:
        p.stdin.write((c + "\n").encode()); p.stdin.flush()
        outs.append(expect("# "))
    p.stdin.write(b"poweroff -f\n"); p.stdin.flush()
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
    return outs
boot(["echo overlay-proof-4711 > /root/overlay.txt", "sync"])
outs = boot(["cat /root/overlay.txt"])
print("SECOND:", outs[0])
sys.exit(0 if "overlay-proof-4711" in outs[0].split("cat /root/overlay.txt", 1)[-1] else 1)
PY
    rc=$?
    if [ $rc -eq 0 ]; then pass "overlay: Linux guest keeps a file across boots"; else fail "overlay: Linux guest keeps a file across boots" "$(tail -c 300 "$OUT/guest.log" | tr '\n\r' '  ')"; fi
    if [ "$(sha256sum <"$OUT/rootfs.ext4")" = "$rsum" ]; then pass "overlay: the guest's base image is untouched"; else fail "overlay: the guest's base image is untouched" "changed"; fi
fi

[ $fails -eq 0 ]
