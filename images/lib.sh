# shellcheck shell=bash disable=SC2034  # sourced; the callers use the variables
# Shared helpers for the image recipes (sourced, not run).
# The slow outputs (kernel Image, BusyBox binary) live in a cache outside the
# clone, keyed by a hash of everything that shapes them, so a fresh clone or
# a `make clean` does not pay for them again.

set -euo pipefail

IMAGES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${RISCV_VM_CACHE:-$HOME/.cache/riscv-vm}
JOBS=${JOBS:-$(nproc)}
CROSS=riscv64-linux-gnu-
# One fixed time for build stamps, file times and the file system, so the
# same recipe gives the same bytes (and the browser's cache stays valid).
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}

log() { echo "images: $*" >&2; }
die() { echo "images: error: $*" >&2; exit 1; }

# recipe_key FILE... -- EXTRA...: short sha256 over the files' contents and
# extra strings (build steps, package versions, compiler version).
recipe_key() {
    local files=() extra=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do files+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    extra=("$@")
    {
        for f in "${files[@]}"; do
            printf 'file %s\n' "$(basename "$f")"
            cat "$f"
        done
        printf 'extra %s\n' "${extra[@]}"
    } | sha256sum | cut -c1-16
}

pkg_version() {
    dpkg-query -W -f='${Version}' "$1" 2>/dev/null || die "package $1 is not installed (run tools/install-deps.sh)"
}

cross_gcc_version() {
    "${CROSS}gcc" --version | head -1
}

# with_lock DIR CMD...: serialise builds of one cache entry (two clones, or
# two make runs, may ask for it at once).
with_lock() {
    local dir=$1; shift
    mkdir -p "$dir"
    (
        flock 9
        "$@"
    ) 9>"$dir/.lock"
}

# install_from_cache SRC DST: copy a cached artefact into the build tree
# (through a private temporary name: two makes may install at once).
install_from_cache() {
    mkdir -p "$(dirname "$2")"
    cp -f "$1" "$2.$$.tmp"
    mv -f "$2.$$.tmp" "$2"
}

# prune_cache KIND ENTRY: marks ENTRY as used and removes KIND entries (other
# recipes' builds) nobody used for 30 days.
prune_cache() {
    touch "$2"
    find "$CACHE_ROOT" -mindepth 1 -maxdepth 1 -type d -name "$1-*" ! -path "$2" -mtime +30 \
        -exec rm -rf {} + 2>/dev/null || true
}
