#!/usr/bin/env bash
# Builds the guest kernel (arch/riscv/boot/Image) from Debian's
# linux-source-6.1 with the fragment images/linux.config, or takes it from
# the cache when this exact recipe was built before.
#   usage: build-kernel.sh OUTDIR      (writes OUTDIR/Image, OUTDIR/linux.config)
source "$(dirname "$0")/lib.sh"
out=${1:?usage: build-kernel.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || die "$tarball missing (package linux-source-6.1; run tools/install-deps.sh)"
srcver=$(pkg_version linux-source-6.1)
fragment=$IMAGES_DIR/linux.config

# check_config CONFIG: every line of the fragment must have stuck; a symbol
# that Kconfig silently dropped (missing dependency, renamed) fails loudly.
check_config() {
    local cfg=$1 bad=0 line sym
    while IFS= read -r line; do
        case $line in
        CONFIG_*=*)
            grep -qxF -- "$line" "$cfg" || { echo "images: kernel config lost: $line (have: $(grep -E "^(# )?${line%%=*}[= ]" "$cfg" || echo absent))" >&2; bad=1; } ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            if grep -qE "^$sym=" "$cfg"; then echo "images: kernel config: $sym should be off: $(grep -E "^$sym=" "$cfg")" >&2; bad=1; fi ;;
        esac
    done <"$fragment"
    return $bad
}

build() {
    [ -f "$entry/Image" ] && return 0
    # Unpacked next to the objects and removed with them: unpacking takes
    # seconds, keeping 1.4 GB of source in the cache is not worth it.
    local src=$entry/src
    log "unpacking $tarball"
    rm -rf "$src"
    mkdir -p "$src"
    tar -xJf "$tarball" -C "$src" --strip-components=1
    local obj=$entry/obj
    rm -rf "$obj"; mkdir -p "$obj"
    # Fixed build stamps (uname -v) so the Image does not depend on when or
    # where it was built.
    local kmake=(make -C "$src" O="$obj" ARCH=riscv CROSS_COMPILE="$CROSS" -j"$JOBS"
        KBUILD_BUILD_TIMESTAMP="$(date -u -d "@$SOURCE_DATE_EPOCH")"
        KBUILD_BUILD_USER=riscv-vm KBUILD_BUILD_HOST=riscv-vm)
    log "configuring Linux $srcver (allnoconfig + $(basename "$fragment"))"
    "${kmake[@]}" -s KCONFIG_ALLCONFIG="$fragment" allnoconfig
    check_config "$obj/.config" || die "kernel fragment did not stick (see above)"
    log "building Linux Image with -j$JOBS (a few minutes)"
    local t0=$SECONDS
    "${kmake[@]}" -s Image
    log "kernel built in $((SECONDS - t0)) s"
    cp "$obj/.config" "$entry/linux.config"
    cp "$obj/arch/riscv/boot/Image" "$entry/Image.tmp"
    mv "$entry/Image.tmp" "$entry/Image"
    rm -rf "$obj" "$src"
}

# The cache key covers what shapes the output: the fragment, the build steps
# themselves (as bash prints the functions, so comments and the plumbing
# around them do not count), the Debian source version, the cross compiler
# and the build time stamp.
key=$(recipe_key "$fragment" -- "$(declare -f build check_config)" "linux-source-6.1=$srcver" \
    "$(cross_gcc_version)" "epoch=$SOURCE_DATE_EPOCH")
entry=$CACHE_ROOT/linux-$key
with_lock "$entry" build
prune_cache linux "$entry"
install_from_cache "$entry/linux.config" "$out/linux.config"
install_from_cache "$entry/Image" "$out/Image"
log "Image: $entry/Image"
