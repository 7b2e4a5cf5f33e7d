#!/usr/bin/env bash
# Puts libfdt's sources where the wasm build compiles them from.
#   get-libfdt.sh CACHE_DIR OUT_DIR
# Debian's libfdt-dev has headers and a native library only, so the source
# comes from a Debian source package, unpacked once into CACHE_DIR (outside
# the clone):
#   1. device-tree-compiler's source package (`apt-get source`; needs deb-src
#      entries, see images/deb-src.sh);
#   2. failing that (a mirror without that source), the copy of libfdt that
#      Linux carries for its host dtc, from Debian's linux-source-6.1
#      (/usr/src/linux-source-*.tar.xz, which the default images need anyway).
# OUT_DIR gets the headers and src/*.c.
set -euo pipefail
cache=${1:?cache dir}
out=${2:?out dir}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$cache"
find_tree() {
  ls -d "$cache"/device-tree-compiler-*/libfdt "$cache"/linux-libfdt/libfdt 2>/dev/null | head -1 || true
}
tree=$(find_tree)
if [ -z "$tree" ] && command -v dpkg-source >/dev/null; then
  bash "$root/images/deb-src.sh" || true
  (cd "$cache" && apt-get source -qq device-tree-compiler >/dev/null 2>&1) ||
    echo "get-libfdt: 'apt-get source device-tree-compiler' failed; trying linux-source" >&2
  tree=$(find_tree)
fi
if [ -z "$tree" ]; then
  tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$tarball" ]; then
    echo "get-libfdt: extracting scripts/dtc/libfdt from $tarball (once)" >&2
    tmp=$(mktemp -d "$cache/linux-libfdt.XXXXXX")
    tar -xJf "$tarball" -C "$tmp" --wildcards '*/scripts/dtc/libfdt/*'
    mkdir -p "$tmp/out"
    mv "$tmp"/linux-source-*/scripts/dtc/libfdt "$tmp/out/libfdt"
    rm -rf "$cache/linux-libfdt"
    mv "$tmp/out" "$cache/linux-libfdt"
    rm -rf "$tmp"
    tree=$(find_tree)
  fi
fi
if [ -z "$tree" ]; then
  echo "get-libfdt: no libfdt source: install dpkg-dev and enable deb-src (images/deb-src.sh)" >&2
  echo "  for 'apt-get source device-tree-compiler', or install linux-source-6.1" >&2
  exit 1
fi
mkdir -p "$out/src"
cp "$tree"/*.h "$out/"
cp "$tree"/*.c "$tree"/*.h "$out/src/"
echo "get-libfdt: libfdt from $tree"
