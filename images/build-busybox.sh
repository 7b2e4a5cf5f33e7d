#!/usr/bin/env bash
# Builds a static riscv64 BusyBox from Debian's busybox source package with
# the fragment images/busybox.config, or takes it from the cache.
#   usage: build-busybox.sh OUTDIR      (writes OUTDIR/busybox, .config, .links)
source "$(dirname "$0")/lib.sh"
out=${1:?usage: build-busybox.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
fragment=$IMAGES_DIR/busybox.config

bash "$IMAGES_DIR/deb-src.sh"
# The newest source version apt knows (what `apt-get source` will fetch).
srcver=
for v in $(apt-cache showsrc --only-source busybox | sed -n 's/^Version: //p'); do
    if [ -z "$srcver" ] || dpkg --compare-versions "$v" gt "$srcver"; then srcver=$v; fi
done
[ -n "$srcver" ] || die "no busybox source package known to apt"

check_config() {
    local cfg=$1 bad=0 line sym
    while IFS= read -r line; do
        case $line in
        CONFIG_*=*)
            grep -qxF -- "$line" "$cfg" || { echo "images: busybox config lost: $line" >&2; bad=1; } ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            if grep -qE "^$sym=" "$cfg"; then echo "images: busybox config: $sym should be off" >&2; bad=1; fi ;;
        esac
    done <"$fragment"
    return $bad
}

build() {
    [ -f "$entry/busybox" ] && return 0
    local srcroot=$CACHE_ROOT/src/busybox_${srcver#*:}
    if [ ! -f "$srcroot/.extracted" ]; then
        log "fetching Debian source busybox $srcver"
        rm -rf "$srcroot"; mkdir -p "$srcroot"
        # apt-get source unpacks (patches applied) into busybox-<upstream>/.
        (cd "$srcroot" && apt-get source -qq "busybox=$srcver" >/dev/null 2>"$srcroot/apt.log") ||
            { cat "$srcroot/apt.log" >&2; die "apt-get source busybox failed"; }
        touch "$srcroot/.extracted"
    fi
    local src
    src=$(find "$srcroot" -mindepth 1 -maxdepth 1 -type d -name 'busybox-*' | head -1)
    [ -n "$src" ] || die "no unpacked busybox tree in $srcroot"
    local obj=$entry/obj
    rm -rf "$obj"; mkdir -p "$obj"
    local bmake=(make -C "$src" O="$obj" CROSS_COMPILE="$CROSS" -j"$JOBS")
    "${bmake[@]}" -s defconfig >/dev/null
    # Replace each fragment symbol's line, then let Kconfig settle the rest.
    local line sym
    while IFS= read -r line; do
        case $line in
        CONFIG_*=*) sym=${line%%=*} ;;
        "# CONFIG_"*" is not set") sym=${line#\# }; sym=${sym%% *} ;;
        *) continue ;;
        esac
        sed -i -e "/^$sym=/d" -e "/^# $sym is not set/d" "$obj/.config"
        echo "$line" >>"$obj/.config"
    done <"$fragment"
    { yes "" || true; } | "${bmake[@]}" -s oldconfig >/dev/null
    check_config "$obj/.config" || die "busybox fragment did not stick (see above)"
    log "building BusyBox $srcver with -j$JOBS"
    local t0=$SECONDS
    "${bmake[@]}" -s busybox >"$obj/build.log" 2>&1 || { tail -40 "$obj/build.log" >&2; die "busybox build failed"; }
    log "busybox built in $((SECONDS - t0)) s"
    if "${CROSS}readelf" -l "$obj/busybox" | grep -q INTERP; then die "busybox is not static"; fi
    # The applet list, so the root file system can be populated without
    # running the riscv64 binary on the build host.
    "${bmake[@]}" -s busybox.links >/dev/null
    cp "$obj/busybox.links" "$entry/busybox.links"
    cp "$obj/.config" "$entry/busybox.config"
    cp "$obj/busybox" "$entry/busybox.tmp"
    mv "$entry/busybox.tmp" "$entry/busybox"
    rm -rf "$obj"
}

# The cache key covers what shapes the output: the fragment, the build steps
# themselves (as bash prints the functions, so comments and the plumbing
# around them do not count), the Debian source version, the cross compiler
# and the build time stamp.
key=$(recipe_key "$fragment" -- "$(declare -f build check_config)" "busybox-src=$srcver" \
    "$(cross_gcc_version)" "epoch=$SOURCE_DATE_EPOCH")
entry=$CACHE_ROOT/busybox-$key
with_lock "$entry" build
prune_cache busybox "$entry"
install_from_cache "$entry/busybox.config" "$out/busybox.config"
install_from_cache "$entry/busybox.links" "$out/busybox.links"
install_from_cache "$entry/busybox" "$out/busybox"
echo "$srcver" >"$out/busybox.version"
chmod +x "$out/busybox"
log "busybox: $entry/busybox"
