#!/usr/bin/env python3
"""Writes build/images/manifest.json: what `make images` produced.

The page and the CLI read it to name, fetch and cache the guest images:
each artefact with its file name, size and sha256, plus the boot
configurations (which files to pass as bios/kernel/disk/initrd, and the
kernel command line).

usage: manifest.py OUTDIR NAME=FILE...   (FILE relative to OUTDIR)
"""
import hashlib
import json
import os
import subprocess
import sys

DESCRIPTIONS = {
    "opensbi-fw_jump": ("firmware", "OpenSBI fw_jump (jumps to 0x80200000)", "opensbi"),
    "opensbi-fw_dynamic": ("firmware", "OpenSBI fw_dynamic (next stage from the a2 structure)", "opensbi"),
    "linux": ("kernel", "Linux 6.1 Image, riscv64, virt board", "linux-source-6.1"),
    "rootfs": ("disk", "ext4 root file system: BusyBox, /root persists", "busybox"),
    "initramfs": ("initrd", "the same root file system as a gzip cpio (RAM only)", "busybox"),
    "xv6-kernel": ("kernel", "xv6-riscv kernel (ELF, M-mode entry), from XV6_DIR", None),
    "xv6-fs": ("disk", "xv6-riscv file system image, from XV6_DIR", None),
}

CMDLINE_DISK = "console=ttyS0 root=/dev/vda rw earlycon=sbi"
CMDLINE_INITRAMFS = "console=ttyS0 earlycon=sbi"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def dpkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                              text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def main():
    outdir = sys.argv[1]
    versions = {"opensbi": dpkg_version("opensbi"), "linux-source-6.1": dpkg_version("linux-source-6.1")}
    bbver = os.path.join(outdir, "busybox.version")
    if os.path.exists(bbver):
        with open(bbver) as f:
            versions["busybox"] = f.read().strip()
    artefacts = []
    files = {}
    for arg in sys.argv[2:]:
        name, file = arg.split("=", 1)
        kind, desc, pkg = DESCRIPTIONS[name]
        path = os.path.join(outdir, file)
        entry = {"name": name, "file": file, "kind": kind, "size": os.path.getsize(path),
                 "sha256": sha256(path), "description": desc}
        if pkg:
            entry["source"] = {"debian-package": pkg, "version": versions.get(pkg)}
        artefacts.append(entry)
        files[name] = file
    boots = [{
        "name": "linux",
        "title": "Linux 6.1 + BusyBox (ext4 disk)",
        "default": True,
        "bios": files["opensbi-fw_jump"],
        "kernel": files["linux"],
        "disk": files["rootfs"],
        "append": CMDLINE_DISK,
    }, {
        "name": "linux-initramfs",
        "title": "Linux 6.1 + BusyBox (initramfs, no disk)",
        "bios": files["opensbi-fw_jump"],
        "kernel": files["linux"],
        "initrd": files["initramfs"],
        "append": CMDLINE_INITRAMFS,
    }]
    if "xv6-kernel" in files and "xv6-fs" in files:
        boots.append({"name": "xv6", "title": "xv6-riscv", "kernel": files["xv6-kernel"],
                      "disk": files["xv6-fs"]})
    manifest = {"version": 1, "default": "linux", "cmdline": CMDLINE_DISK, "artefacts": artefacts,
                "boots": boots}
    tmp = os.path.join(outdir, "manifest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(outdir, "manifest.json"))


if __name__ == "__main__":
    main()
