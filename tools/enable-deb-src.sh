#!/usr/bin/env bash
# Adds deb-src entries mirroring the deb entries of Debian's own sources file,
# so `apt-get source PKG` works (busybox for the images, device-tree-compiler
# for libfdt in the wasm build). Idempotent: does nothing when already done.
set -euo pipefail
src=/etc/apt/sources.list.d/debian.sources
dst=/etc/apt/sources.list.d/riscv-vm-src.sources
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
if [ -f "$dst" ] && apt-cache showsrc busybox 2>/dev/null | grep -q '^Package:'; then
  exit 0
fi
if [ ! -f "$src" ]; then
  echo "enable-deb-src: $src not found; add a deb-src line for your Debian mirror by hand" >&2
  exit 1
fi
# Copy each stanza with Types: deb rewritten to deb-src; keep URIs, Suites,
# Components and Signed-By as they are.
if [ ! -f "$dst" ]; then
tmp=$(mktemp)
sed -e 's/^Types:.*/Types: deb-src/' "$src" > "$tmp"
$SUDO install -m 0644 "$tmp" "$dst"
rm -f "$tmp"
fi
$SUDO apt-get update -qq
