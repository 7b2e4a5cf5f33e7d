/* Copy-on-write overlay over a read-only base image (see disk_overlay.h).
 *
 * Overlay file layout (little-endian):
 *
 *   0       header, 4 KiB: magic "RVVMOVL1", u32 version, u32 chunk size,
 *           u64 disk size, u64 base size, u64 base fingerprint,
 *           u64 chunk count, u64 index offset, u64 data offset
 *   4096    index: one u32 per chunk, 0 = the chunk is the base's,
 *           n = the chunk lives in data slot n-1
 *   data    slots of one chunk each, allocated in the order chunks are
 *           first written
 *
 * Crash safety. A chunk written for the first time gets a new slot past
 * every slot the on-disk index names, and its whole content (the base's,
 * merged with the write) is written there; its index entry changes in
 * memory only. A flush first makes those slots durable (fdatasync), then
 * writes the changed index pages and syncs again. So an index entry on disk
 * only ever goes from 0 to a slot whose data is already durable, and a
 * crash at any point leaves a consistent overlay: chunks first written since
 * the last flush are simply absent (their slots are reused), and rewrites of
 * chunks that already had a slot behave as writes to a raw disk image that
 * were never flushed. Entries are 4-byte aligned inside 512-byte sectors, so
 * even a torn index page write leaves each entry old or new. */
#define _GNU_SOURCE
#include "disk_overlay.h"

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
    OVL_VERSION = 1,
    OVL_CHUNK = 64 * 1024, /* as the browser's disks */
    OVL_HEADER = 4096,
    OVL_PAGE = 4096,
    OVL_ENTRIES_PER_PAGE = OVL_PAGE / 4,
    FINGERPRINT_BYTES = 1024 * 1024,
};
static const char ovl_magic[8] = {'R', 'V', 'V', 'M', 'O', 'V', 'L', '1'};

struct disk_overlay {
    int base_fd, ov_fd;
    bool readonly;
    uint64_t size, base_size, nchunks;
    uint64_t index_off, data_off;
    uint32_t *index;      /* current (in memory) index, entries = slot + 1 */
    uint8_t *page_dirty;  /* index pages changed since the last flush */
    uint64_t npages;
    uint32_t next_slot;   /* slots in use: 0 .. next_slot-1 */
    bool slots_pending;   /* new slots written since the last flush */
    uint8_t *buf;         /* one chunk */
    char path[512];
};

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

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

/* FNV-1a over the first MiB of the base: an overlay made over another image
 * (a rebuilt rootfs) must not be applied to this one. */
static bool fingerprint(int fd, uint64_t size, uint64_t *out)
{
    size_t n = size < FINGERPRINT_BYTES ? (size_t)size : FINGERPRINT_BYTES;
    uint8_t *b = malloc(n ? n : 1);
    if (!b || !pread_all(fd, b, n, 0)) {
        free(b);
        return false;
    }
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    free(b);
    *out = h;
    return true;
}

/* Reads the current content of part of chunk c into dst. */
static bool chunk_read(disk_overlay *d, uint64_t c, uint32_t within, uint8_t *dst, uint32_t len)
{
    uint32_t e = d->index[c];
    if (e)
        return pread_all(d->ov_fd, dst, len, d->data_off + (uint64_t)(e - 1) * OVL_CHUNK + within);
    uint64_t off = c * OVL_CHUNK + within;
    if (off >= d->base_size) {
        memset(dst, 0, len);
        return true;
    }
    return pread_all(d->base_fd, dst, len, off); /* zero past the base's end */
}

static bool chunk_write(disk_overlay *d, uint64_t c, uint32_t within, const uint8_t *src, uint32_t len)
{
    uint32_t e = d->index[c];
    if (e)
        return pwrite_all(d->ov_fd, src, len, d->data_off + (uint64_t)(e - 1) * OVL_CHUNK + within);
    /* First write to this chunk: a fresh slot holding the whole chunk. */
    if (d->next_slot == UINT32_MAX)
        return false;
    if (within != 0 || len != OVL_CHUNK) {
        if (!chunk_read(d, c, 0, d->buf, OVL_CHUNK))
            return false;
    }
    memcpy(d->buf + within, src, len);
    uint32_t slot = d->next_slot;
    if (!pwrite_all(d->ov_fd, d->buf, OVL_CHUNK, d->data_off + (uint64_t)slot * OVL_CHUNK))
        return false;
    d->next_slot++;
    d->index[c] = slot + 1;
    d->page_dirty[c / OVL_ENTRIES_PER_PAGE] = 1;
    d->slots_pending = true;
    return true;
}

static int do_rw(disk_overlay *d, bool write, const rv_iovec *iov, int iovcnt, uint64_t off)
{
    for (int i = 0; i < iovcnt; i++) {
        uint8_t *p = iov[i].base;
        size_t left = iov[i].len;
        while (left > 0) {
            uint64_t c = off / OVL_CHUNK;
            uint32_t within = (uint32_t)(off % OVL_CHUNK);
            uint32_t n = OVL_CHUNK - within;
            if (n > left)
                n = (uint32_t)left;
            bool ok = write ? chunk_write(d, c, within, p, n) : chunk_read(d, c, within, p, n);
            if (!ok)
                return RV_BLK_IOERR;
            p += n;
            left -= n;
            off += n;
        }
    }
    return RV_BLK_OK;
}

static int do_flush(disk_overlay *d)
{
    if (d->readonly)
        return RV_BLK_OK;
    if (fdatasync(d->ov_fd) != 0) /* new slots (and in-place rewrites) first */
        return RV_BLK_IOERR;
    if (!d->slots_pending)
        return RV_BLK_OK;
    uint8_t page[OVL_PAGE];
    for (uint64_t pg = 0; pg < d->npages; pg++) {
        if (!d->page_dirty[pg])
            continue;
        memset(page, 0, sizeof page);
        uint64_t first = pg * OVL_ENTRIES_PER_PAGE;
        for (uint64_t k = 0; k < OVL_ENTRIES_PER_PAGE && first + k < d->nchunks; k++)
            put_le(page + 4 * k, d->index[first + k], 4);
        if (!pwrite_all(d->ov_fd, page, OVL_PAGE, d->index_off + pg * OVL_PAGE))
            return RV_BLK_IOERR;
    }
    if (fdatasync(d->ov_fd) != 0)
        return RV_BLK_IOERR;
    memset(d->page_dirty, 0, d->npages);
    d->slots_pending = false;
    return RV_BLK_OK;
}

static void ovl_submit(void *opaque, rv_blk_req *req)
{
    disk_overlay *d = opaque;
    int status;
    uint64_t total = 0;
    for (int i = 0; i < req->iovcnt; i++)
        total += req->iov[i].len;
    switch (req->type) {
    case RV_BLK_READ:
    case RV_BLK_WRITE:
        if (req->offset > d->size || total > d->size - req->offset)
            status = RV_BLK_IOERR;
        else if (req->type == RV_BLK_WRITE && d->readonly)
            status = RV_BLK_IOERR;
        else
            status = do_rw(d, req->type == RV_BLK_WRITE, req->iov, req->iovcnt, req->offset);
        break;
    case RV_BLK_FLUSH: status = do_flush(d); break;
    default: status = RV_BLK_UNSUPP;
    }
    req->complete(req, status);
}

bool disk_overlay_is_spec(const char *spec)
{
    return spec && strstr(spec, ",overlay=") != NULL;
}

static void free_overlay(disk_overlay *d)
{
    if (!d)
        return;
    if (d->base_fd >= 0)
        close(d->base_fd);
    if (d->ov_fd >= 0)
        close(d->ov_fd);
    free(d->index);
    free(d->page_dirty);
    free(d->buf);
    free(d);
}

/* Writes a fresh header and an all-zero index (a hole) to an empty file. */
static bool create_overlay(disk_overlay *d, uint64_t fp)
{
    if (ftruncate(d->ov_fd, (off_t)d->data_off) != 0)
        return false;
    uint8_t h[OVL_HEADER] = {0};
    memcpy(h, ovl_magic, 8);
    put_le(h + 8, OVL_VERSION, 4);
    put_le(h + 12, OVL_CHUNK, 4);
    put_le(h + 16, d->size, 8);
    put_le(h + 24, d->base_size, 8);
    put_le(h + 32, fp, 8);
    put_le(h + 40, d->nchunks, 8);
    put_le(h + 48, d->index_off, 8);
    put_le(h + 56, d->data_off, 8);
    return pwrite_all(d->ov_fd, h, sizeof h, 0) && fsync(d->ov_fd) == 0;
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
    snprintf(d->path, sizeof d->path, "%s", overlay);
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
    d->nchunks = (d->size + OVL_CHUNK - 1) / OVL_CHUNK;
    if (d->nchunks > UINT32_MAX) {
        snprintf(err, errlen, "disk %s: too large for an overlay", base);
        goto fail;
    }
    d->npages = (d->nchunks + OVL_ENTRIES_PER_PAGE - 1) / OVL_ENTRIES_PER_PAGE;
    d->index_off = OVL_HEADER;
    d->data_off = OVL_HEADER + d->npages * OVL_PAGE;
    uint64_t fp;
    if (!fingerprint(d->base_fd, d->base_size, &fp)) {
        snprintf(err, errlen, "disk %s: %s", base, strerror(errno));
        goto fail;
    }
    d->ov_fd = open(overlay, readonly ? O_RDONLY : O_RDWR | O_CREAT, 0644);
    if (d->ov_fd < 0 || fstat(d->ov_fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "overlay %s: %s", overlay, d->ov_fd < 0 ? strerror(errno) : "not a regular file");
        goto fail;
    }
    if (flock(d->ov_fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        snprintf(err, errlen, "overlay %s: in use by another VM (locked)", overlay);
        goto fail;
    }
    d->index = calloc(d->npages * OVL_ENTRIES_PER_PAGE, sizeof *d->index);
    d->page_dirty = calloc(d->npages ? d->npages : 1, 1);
    d->buf = malloc(OVL_CHUNK);
    if (!d->index || !d->page_dirty || !d->buf) {
        snprintf(err, errlen, "overlay %s: out of memory", overlay);
        goto fail;
    }
    uint8_t h[OVL_HEADER];
    bool fresh = st.st_size == 0;
    if (!fresh) {
        if (!pread_all(d->ov_fd, h, sizeof h, 0)) {
            snprintf(err, errlen, "overlay %s: %s", overlay, strerror(errno));
            goto fail;
        }
        /* A crash while creating it leaves an all-zero header: start over. */
        bool zero = true;
        for (size_t i = 0; i < sizeof h && zero; i++)
            zero = h[i] == 0;
        fresh = zero;
    }
    if (fresh) {
        if (readonly) {
            snprintf(err, errlen, "overlay %s: empty, and read-only here", overlay);
            goto fail;
        }
        if (!create_overlay(d, fp)) {
            snprintf(err, errlen, "overlay %s: cannot create: %s", overlay, strerror(errno));
            goto fail;
        }
    } else {
        if (memcmp(h, ovl_magic, 8) != 0 || get_le(h + 8, 4) != OVL_VERSION || get_le(h + 12, 4) != OVL_CHUNK ||
            get_le(h + 40, 8) != d->nchunks || get_le(h + 48, 8) != d->index_off ||
            get_le(h + 56, 8) != d->data_off) {
            snprintf(err, errlen, "overlay %s: not a riscv-vm overlay file (or another version)", overlay);
            goto fail;
        }
        if (get_le(h + 16, 8) != d->size || get_le(h + 24, 8) != d->base_size || get_le(h + 32, 8) != fp) {
            snprintf(err, errlen,
                     "overlay %s was made over another base image than %s; delete it to start from this base",
                     overlay, base);
            goto fail;
        }
        size_t ibytes = (size_t)d->npages * OVL_PAGE;
        uint8_t *raw = malloc(ibytes);
        if (!raw || !pread_all(d->ov_fd, raw, ibytes, d->index_off)) {
            free(raw);
            snprintf(err, errlen, "overlay %s: cannot read its index", overlay);
            goto fail;
        }
        for (uint64_t c = 0; c < d->nchunks; c++) {
            uint32_t e = (uint32_t)get_le(raw + 4 * c, 4);
            d->index[c] = e;
            if (e > d->next_slot)
                d->next_slot = e; /* slots past the highest named one are free */
        }
        free(raw);
    }
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
    do_flush(d);
    free_overlay(d);
}
