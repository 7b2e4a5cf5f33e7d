#!/usr/bin/env python3
"""Writes a gzip-compressed newc cpio archive (an initramfs) of a directory.

Every entry is owned by root and stamped with one fixed time, and a
/dev/console character node is added: the kernel opens it for init's stdio
before anything can mount devtmpfs, and a non-root build could not mknod it.
Format: the "new ASCII" cpio header described in the kernel's
Documentation/driver-api/early-userspace/buffer-format.rst.

usage: mkcpio.py DIR OUT.cpio.gz [MTIME]
"""
import gzip
import os
import stat
import sys


def header(ino, mode, nlink, mtime, size, rdev_major, rdev_minor, name):
    fields = (ino, mode, 0, 0, nlink, mtime, size, 0, 0, rdev_major, rdev_minor, len(name) + 1, 0)
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * (-n % 4)


def entries(root):
    yield ".", os.lstat(root)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            yield os.path.relpath(path, root), os.lstat(path)


def main():
    root, out = sys.argv[1], sys.argv[2]
    mtime = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    chunks = []
    ino = 1
    names = set()

    def add(name, mode, nlink, data=b"", rdev=(0, 0)):
        nonlocal ino
        raw = name.encode()
        chunks.append(header(ino, mode, nlink, mtime, len(data), rdev[0], rdev[1], raw))
        chunks.append(raw + b"\0" + pad4(110 + len(raw) + 1))
        chunks.append(data + pad4(len(data)))
        ino += 1
        names.add(name)

    for rel, st in entries(root):
        perm = stat.S_IMODE(st.st_mode)
        path = os.path.join(root, rel)
        if stat.S_ISDIR(st.st_mode):
            add(rel, stat.S_IFDIR | perm, 2)
        elif stat.S_ISLNK(st.st_mode):
            add(rel, stat.S_IFLNK | 0o777, 1, os.readlink(path).encode())
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb") as f:
                add(rel, stat.S_IFREG | perm, 1, f.read())
        else:
            sys.exit("mkcpio: unsupported file type: " + path)
    if "dev" not in names:
        add("dev", stat.S_IFDIR | 0o755, 2)
    if "dev/console" not in names:
        add("dev/console", stat.S_IFCHR | 0o600, 1, rdev=(5, 1))
    add("TRAILER!!!", 0, 1)
    tmp = "%s.%d.tmp" % (out, os.getpid())
    with open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=mtime, filename="") as gz:
            gz.write(b"".join(chunks))
    os.replace(tmp, out)


if __name__ == "__main__":
    main()
