#!/usr/bin/env bash
# Builds the guest's root file system from BusyBox and images/rootfs/:
#   OUTDIR/rootfs.ext4         64 MiB sparse ext4 (mke2fs -d: no root, no loop)
#   OUTDIR/initramfs.cpio.gz   the same tree as an initramfs
#   usage: mkrootfs.sh OUTDIR  (expects OUTDIR/busybox and OUTDIR/busybox.links)
source "$(dirname "$0")/lib.sh"
out=${1:?usage: mkrootfs.sh OUTDIR}
out=$(cd "$out" && pwd)
size=${ROOTFS_SIZE:-64M}
# Fixed ids and times (SOURCE_DATE_EPOCH, lib.sh) so rebuilding the same
# recipe gives the same metadata.
epoch=$SOURCE_DATE_EPOCH
uuid=5b1f6c3e-7a2d-4c1e-9f00-72697363766d

# A private tree and temporary names: two builds in one clone (make images
# beside make test) must not trample each other.
tree=$(mktemp -d "$out/rootfs.tree.XXXXXX")
trap 'rm -rf "$tree" "$out/rootfs.ext4.$$.tmp"' EXIT
chmod 755 "$tree"
for d in bin sbin usr/bin usr/sbin proc sys dev run tmp root mnt home var/log etc; do
    mkdir -p "$tree/$d"
done
cp -a "$IMAGES_DIR/rootfs/." "$tree/"
install -m 755 "$out/busybox" "$tree/bin/busybox"
# Applet links, relative so the tree also works when mounted elsewhere.
while read -r applet; do
    case $applet in /bin/busybox | /linuxrc | "") continue ;; esac
    dir=$(dirname "$applet")
    up=$(echo "${dir#/}" | sed 's#[^/][^/]*#..#g')
    mkdir -p "$tree$dir"
    ln -sfn "$up/bin/busybox" "$tree$applet"
done <"$out/busybox.links"
# The initramfs variant starts /init; on a disk the kernel starts /sbin/init.
ln -sfn bin/busybox "$tree/init"
ln -sfn ../run/resolv.conf "$tree/etc/resolv.conf"
ln -sfn ../run "$tree/var/run"
chmod 700 "$tree/root"
chmod 1777 "$tree/tmp"
chmod 600 "$tree/etc/shadow"
[ -x "$tree/sbin/init" ] || die "busybox has no init applet"
find "$tree" -exec touch -h -d "@$epoch" {} +

# ext4: sparse file, populated from the tree, owned by root.
img=$out/rootfs.ext4
tmpimg=$out/rootfs.ext4.$$.tmp
truncate -s "$size" "$tmpimg"
E2FSPROGS_FAKE_TIME=$epoch mke2fs -q -F -t ext4 -b 4096 -L rootfs -U "$uuid" \
    -E root_owner=0:0,hash_seed=$uuid -d "$tree" "$tmpimg"
if [ "$(id -u)" -ne 0 ]; then
    # mke2fs -d copies the builder's uid/gid: give every inode to root.
    (cd "$tree" && find . -mindepth 1 | sed 's#^\.##') |
        sed 's#.*#sif "&" uid 0\nsif "&" gid 0#' | debugfs -w -f - "$tmpimg" >/dev/null 2>&1
fi
e2fsck -fn "$tmpimg" >/dev/null 2>&1 || { e2fsck -fn "$tmpimg" >&2; die "fresh rootfs.ext4 does not pass e2fsck"; }
mv -f "$tmpimg" "$img"

python3 "$IMAGES_DIR/mkcpio.py" "$tree" "$out/initramfs.cpio.gz" "$epoch"
log "rootfs.ext4 ($size, $(du -k "$img" | cut -f1) KiB used on the host), initramfs.cpio.gz ($(du -k "$out/initramfs.cpio.gz" | cut -f1) KiB)"
