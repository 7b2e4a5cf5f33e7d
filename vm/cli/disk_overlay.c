/* The CLI's store for the copy-on-write disk engine (vm/disk/cow.c): the
 * base is a read-only file, the overlay a host file in the core's overlay
 * file format (vm/disk/cowfile.c, the same format the browser keeps in
 * OPFS). The engine owns the overlay's logic (request order, merging
 * partial writes, what is dirty, when to commit, flush ordering) and
 * cowfile the file's layout and crash safety; this file opens and locks the
 * files and answers the engine's I/O at once, inside submit(). */
#define _GNU_SOURCE
#include "disk_overlay.h"

#include "disk/cow.h"
#include "disk/cowfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    OVL_CHUNK = 64 * 1024, /* as the browser's disks */
    FINGERPRINT_BYTES = 1024 * 1024,
};

struct disk_overlay {
    int base_fd, ov_fd;
    bool readonly;
    uint64_t size, base_size;
    rv_file_ops ops;
    rv_cowfile *file;
    rv_cow *cow;
};

static bool pread_all(int fd, uint8_t *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return false;
        if (n == 0) {
            memset(p, 0, len); /* past the end (sparse tail) reads zero */
            return true;
        }
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

static bool pwrite_all(int fd, const uint8_t *p, size_t len, uint64_t off)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return true;
}

/* The overlay file for vm/disk/cowfile.c. */
static bool f_read(void *opaque, uint64_t off, void *buf, size_t len)
{
    return pread_all(*(int *)opaque, buf, len, off);
}

static bool f_write(void *opaque, uint64_t off, const void *buf, size_t len)
{
    return pwrite_all(*(int *)opaque, buf, len, off);
}

static bool f_sync(void *opaque)
{
    return fdatasync(*(int *)opaque) == 0;
}

static bool f_truncate(void *opaque, uint64_t size)
{
    return ftruncate(*(int *)opaque, (off_t)size) == 0;
}

static bool f_size(void *opaque, uint64_t *size)
{
    struct stat st;
    if (fstat(*(int *)opaque, &st) != 0)
        return false;
    *size = (uint64_t)st.st_size;
    return true;
}

/* The base's first MiB: an overlay made over another image (a rebuilt
 * rootfs) must not be applied to this one. */
static bool fingerprint(int fd, uint64_t size, uint64_t *out)
{
    size_t n = size < FINGERPRINT_BYTES ? (size_t)size : FINGERPRINT_BYTES;
    uint8_t *b = malloc(n ? n : 1);
    if (!b || !pread_all(fd, b, n, 0)) {
        free(b);
        return false;
    }
    *out = rv_cowfile_fingerprint(b, n);
    free(b);
    return true;
}

static int load_base(disk_overlay *d, const rv_cow_io *io)
{
    uint64_t off = (uint64_t)io->chunk * OVL_CHUNK;
    if (off >= d->base_size) {
        memset(io->buf, 0, OVL_CHUNK);
        return 0;
    }
    return pread_all(d->base_fd, io->buf, OVL_CHUNK, off) ? 0 : 1; /* zeros past the end */
}

/* Answers everything the engine asked for; answers may ask for more. */
static void serve(disk_overlay *d)
{
    rv_cow_io io;
    while (rv_cow_next_io(d->cow, &io)) {
        int status = io.kind == RV_COW_IO_BASE ? load_base(d, &io) : rv_cowfile_serve(d->file, &io);
        rv_cow_io_done(d->cow, io.id, status);
    }
}

static void ovl_submit(void *opaque, rv_blk_req *req)
{
    disk_overlay *d = opaque;
    rv_cow_submit(d->cow, req);
    serve(d);
}

bool disk_overlay_is_spec(const char *spec)
{
    return spec && strstr(spec, ",overlay=") != NULL;
}

static void free_overlay(disk_overlay *d)
{
    if (!d)
        return;
    rv_cow_destroy(d->cow);
    rv_cowfile_close(d->file);
    if (d->base_fd >= 0)
        close(d->base_fd);
    if (d->ov_fd >= 0)
        close(d->ov_fd);
    free(d);
}

disk_overlay *disk_overlay_open(const char *base, const char *overlay, bool readonly, char *err,
                                size_t errlen)
{
    disk_overlay *d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    d->base_fd = d->ov_fd = -1;
    d->readonly = readonly;
    d->base_fd = open(base, O_RDONLY);
    struct stat st;
    if (d->base_fd < 0 || fstat(d->base_fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        snprintf(err, errlen, "disk %s: %s", base,
                 d->base_fd < 0 ? strerror(errno) : "not a non-empty regular file");
        goto fail;
    }
    /* Shared: other VMs may use the same base under their own overlays, but
     * nobody may open it read-write (disk_file takes LOCK_EX). */
    if (flock(d->base_fd, LOCK_SH | LOCK_NB) != 0) {
        snprintf(err, errlen, "disk %s: in use read-write by another VM (locked)", base);
        goto fail;
    }
    d->base_size = (uint64_t)st.st_size;
    d->size = (d->base_size + 511) / 512 * 512;
    uint64_t fp;
    if (!fingerprint(d->base_fd, d->base_size, &fp)) {
        snprintf(err, errlen, "disk %s: %s", base, strerror(errno));
        goto fail;
    }
    d->ov_fd = open(overlay, readonly ? O_RDONLY : O_RDWR | O_CREAT, 0644);
    if (d->ov_fd < 0 || fstat(d->ov_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "overlay %s: %s", overlay,
                 d->ov_fd < 0 ? strerror(errno) : "not a regular file");
        goto fail;
    }
    if (flock(d->ov_fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        snprintf(err, errlen, "overlay %s: in use by another VM (locked)", overlay);
        goto fail;
    }
    d->ops = (rv_file_ops){.read = f_read,
                           .write = f_write,
                           .sync = f_sync,
                           .truncate = f_truncate,
                           .size = f_size,
                           .opaque = &d->ov_fd};
    rv_cowfile_params p = {.size = d->size,
                           .base_size = d->base_size,
                           .base_fp = fp,
                           .chunk_size = OVL_CHUNK,
                           .readonly = readonly};
    int why;
    d->file = rv_cowfile_open(&d->ops, &p, &why);
    if (!d->file) {
        if (why == RV_COWFILE_EBASE)
            snprintf(err, errlen,
                     "overlay %s was made over another base image than %s; delete it to start "
                     "from this base",
                     overlay, base);
        else
            snprintf(err, errlen, "overlay %s: %s%s%s", overlay, rv_cowfile_strerror(why),
                     why == RV_COWFILE_EIO ? ": " : "",
                     why == RV_COWFILE_EIO ? strerror(errno) : "");
        goto fail;
    }
    rv_cow_config cfg = {
        .size = d->size, .base_size = d->base_size, .chunk_size = OVL_CHUNK, .readonly = readonly};
    char why_cow[128];
    d->cow = rv_cow_create(&cfg, why_cow, sizeof why_cow);
    if (!d->cow) {
        snprintf(err, errlen, "overlay %s: %s", overlay, why_cow);
        goto fail;
    }
    rv_cowfile_mark(d->file, d->cow);
    return d;
fail:
    free_overlay(d);
    return NULL;
}

disk_overlay *disk_overlay_open_spec(const char *spec, bool readonly, char *err, size_t errlen)
{
    const char *k = strstr(spec, ",overlay=");
    if (!k || k == spec || !k[9]) {
        snprintf(err, errlen, "disk '%s': expected IMG,overlay=FILE", spec);
        return NULL;
    }
    char base[4096];
    size_t n = (size_t)(k - spec);
    if (n >= sizeof base) {
        snprintf(err, errlen, "disk '%s': path too long", spec);
        return NULL;
    }
    memcpy(base, spec, n);
    base[n] = 0;
    return disk_overlay_open(base, k + 9, readonly, err, errlen);
}

rv_blockdev disk_overlay_blockdev(disk_overlay *d)
{
    rv_blockdev b = {.opaque = d, .size = d->size, .readonly = d->readonly, .submit = ovl_submit};
    return b;
}

void disk_overlay_close(disk_overlay *d)
{
    if (!d)
        return;
    rv_cow_commit(d->cow, true);
    serve(d);
    free_overlay(d);
}
