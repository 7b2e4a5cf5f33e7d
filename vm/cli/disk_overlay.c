/* The CLI's store for the copy-on-write disk engine (vm/disk/cow.c): the
 * base is a read-only file, the overlay a file of chunk slots. The engine
 * owns the overlay's logic (request order, merging partial writes, what is
 * dirty, when to commit, flush ordering); this file only loads chunks and
 * makes commits durable, at once, inside submit().
 *
 * Overlay file layout (little-endian):
 *
 *   0       header, 4 KiB: magic "RVVMOVL1", u32 version, u32 chunk size,
 *           u64 disk size, u64 base size, u64 base fingerprint,
 *           u64 chunk count, u64 index offset, u64 data offset
 *   4096    index: one u32 per chunk, 0 = the chunk is the base's,
 *           n = the chunk lives in data slot n-1
 *   data    slots of one chunk each
 *
 * A commit never writes a slot the on-disk index may name: every chunk of
 * it goes to a free slot, those are made durable (fdatasync), and only then
 * are the changed index pages written (and synced again for a strict,
 * flushing commit). So an index entry on disk only ever names a slot whose
 * data is durable, each chunk is its old or its new content after a crash,
 * and the file is never inconsistent. The slot a chunk's old content used
 * is reused only after the index no longer naming it is durable. Entries
 * are 4-byte aligned inside 512-byte sectors, so even a torn index page
 * write leaves each entry old or new. */
#define _GNU_SOURCE
#include "disk_overlay.h"

#include "disk/cow.h"

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
    uint32_t *index;     /* current index, entries = slot + 1 */
    uint8_t *page_dirty; /* index pages changed and not yet written */
    uint64_t npages;
    uint32_t next_slot;                       /* slots 0 .. next_slot-1 exist */
    uint32_t *free_slots, nfree, cap_free;    /* reusable now */
    uint32_t *later_slots, nlater, cap_later; /* reusable after the next sync */
    rv_cow *cow;
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

static bool push_slot(uint32_t **v, uint32_t *n, uint32_t *cap, uint32_t slot)
{
    if (*n == *cap) {
        uint32_t c = *cap ? 2 * *cap : 64;
        uint32_t *p = realloc(*v, c * sizeof *p);
        if (!p)
            return false;
        *v = p;
        *cap = c;
    }
    (*v)[(*n)++] = slot;
    return true;
}

static bool take_slot(disk_overlay *d, uint32_t *slot)
{
    if (d->nfree) {
        *slot = d->free_slots[--d->nfree];
        return true;
    }
    if (d->next_slot == UINT32_MAX - 1)
        return false;
    *slot = d->next_slot++;
    return true;
}

/* Everything written before is durable: slots freed before it are free. */
static bool sync_file(disk_overlay *d)
{
    if (fdatasync(d->ov_fd) != 0)
        return false;
    for (uint32_t i = 0; i < d->nlater; i++)
        if (!push_slot(&d->free_slots, &d->nfree, &d->cap_free, d->later_slots[i]))
            break; /* no memory: the slot is only lost until the next open */
    d->nlater = 0;
    return true;
}

static bool write_index(disk_overlay *d)
{
    uint8_t page[OVL_PAGE];
    for (uint64_t pg = 0; pg < d->npages; pg++) {
        if (!d->page_dirty[pg])
            continue;
        memset(page, 0, sizeof page);
        uint64_t first = pg * OVL_ENTRIES_PER_PAGE;
        for (uint64_t k = 0; k < OVL_ENTRIES_PER_PAGE && first + k < d->nchunks; k++)
            put_le(page + 4 * k, d->index[first + k], 4);
        if (!pwrite_all(d->ov_fd, page, OVL_PAGE, d->index_off + pg * OVL_PAGE))
            return false;
        d->page_dirty[pg] = 0;
    }
    return true;
}

static int commit(disk_overlay *d, const rv_cow_io *io)
{
    if (d->readonly)
        return 1;
    uint32_t *slots = malloc((io->n ? io->n : 1) * sizeof *slots);
    uint32_t *old = malloc((io->n ? io->n : 1) * sizeof *old);
    uint32_t got = 0;
    int status = 1;
    if (!slots || !old)
        goto out;
    /* 1. The data, in free slots, durable. */
    for (; got < io->n; got++) {
        if (!take_slot(d, &slots[got]))
            goto undo_slots;
        if (!pwrite_all(d->ov_fd, io->data[got], OVL_CHUNK,
                        d->data_off + (uint64_t)slots[got] * OVL_CHUNK)) {
            got++;
            goto undo_slots;
        }
    }
    if (io->n && !sync_file(d))
        goto undo_slots;
    /* 2. The index names them; the old slots are free once that is durable. */
    for (uint32_t k = 0; k < io->n; k++) {
        uint32_t c = io->chunks[k];
        old[k] = d->index[c];
        d->index[c] = slots[k] + 1;
        d->page_dirty[c / OVL_ENTRIES_PER_PAGE] = 1;
    }
    if (!write_index(d) || (io->strict && !sync_file(d))) {
        /* The pages on disk may hold old or new entries: keep both the old
         * and the new slots out of use, and rewrite the pages next time. */
        for (uint32_t k = 0; k < io->n; k++) {
            d->index[io->chunks[k]] = old[k];
            d->page_dirty[io->chunks[k] / OVL_ENTRIES_PER_PAGE] = 1;
        }
        goto out;
    }
    for (uint32_t k = 0; k < io->n; k++)
        if (old[k])
            push_slot(&d->later_slots, &d->nlater, &d->cap_later, old[k] - 1);
    status = 0;
    goto out;
undo_slots:
    for (uint32_t k = 0; k < got; k++)
        push_slot(&d->free_slots, &d->nfree, &d->cap_free, slots[k]);
out:
    free(slots);
    free(old);
    return status;
}

static int load(disk_overlay *d, const rv_cow_io *io)
{
    uint64_t off;
    int fd;
    if (io->kind == RV_COW_IO_LOAD) {
        uint32_t e = d->index[io->chunk];
        if (!e)
            return 1;
        fd = d->ov_fd;
        off = d->data_off + (uint64_t)(e - 1) * OVL_CHUNK;
    } else {
        fd = d->base_fd;
        off = (uint64_t)io->chunk * OVL_CHUNK;
        if (off >= d->base_size) {
            memset(io->buf, 0, OVL_CHUNK);
            return 0;
        }
    }
    return pread_all(fd, io->buf, OVL_CHUNK, off) ? 0 : 1; /* zeros past the end */
}

/* Answers everything the engine asked for; answers may ask for more. */
static void serve(disk_overlay *d)
{
    rv_cow_io io;
    while (rv_cow_next_io(d->cow, &io)) {
        int status = io.kind == RV_COW_IO_COMMIT ? commit(d, &io) : load(d, &io);
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
    if (d->base_fd >= 0)
        close(d->base_fd);
    if (d->ov_fd >= 0)
        close(d->ov_fd);
    rv_cow_destroy(d->cow);
    free(d->index);
    free(d->page_dirty);
    free(d->free_slots);
    free(d->later_slots);
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
        snprintf(err, errlen, "overlay %s: %s", overlay,
                 d->ov_fd < 0 ? strerror(errno) : "not a regular file");
        goto fail;
    }
    if (flock(d->ov_fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB) != 0) {
        snprintf(err, errlen, "overlay %s: in use by another VM (locked)", overlay);
        goto fail;
    }
    d->index = calloc(d->npages * OVL_ENTRIES_PER_PAGE, sizeof *d->index);
    d->page_dirty = calloc(d->npages ? d->npages : 1, 1);
    if (!d->index || !d->page_dirty) {
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
        if (memcmp(h, ovl_magic, 8) != 0 || get_le(h + 8, 4) != OVL_VERSION ||
            get_le(h + 12, 4) != OVL_CHUNK || get_le(h + 40, 8) != d->nchunks ||
            get_le(h + 48, 8) != d->index_off || get_le(h + 56, 8) != d->data_off) {
            snprintf(err, errlen, "overlay %s: not a riscv-vm overlay file (or another version)",
                     overlay);
            goto fail;
        }
        if (get_le(h + 16, 8) != d->size || get_le(h + 24, 8) != d->base_size ||
            get_le(h + 32, 8) != fp) {
            snprintf(err, errlen,
                     "overlay %s was made over another base image than %s; delete it to start from "
                     "this base",
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
                d->next_slot = e;
        }
        free(raw);
        /* Slots no entry names are free (left by a crash, or old content). */
        uint8_t *named = calloc(d->next_slot ? d->next_slot : 1, 1);
        bool bad = named == NULL;
        for (uint64_t c = 0; c < d->nchunks && !bad; c++) {
            uint32_t e = d->index[c];
            if (e && named[e - 1])
                bad = true; /* two chunks in one slot: not ours */
            else if (e)
                named[e - 1] = 1;
        }
        for (uint32_t s = 0; s < d->next_slot && !bad; s++)
            if (!named[s] && !push_slot(&d->free_slots, &d->nfree, &d->cap_free, s))
                bad = true;
        free(named);
        if (bad) {
            snprintf(err, errlen, "overlay %s: its index is damaged (or out of memory)", overlay);
            goto fail;
        }
    }
    rv_cow_config cfg = {
        .size = d->size, .base_size = d->base_size, .chunk_size = OVL_CHUNK, .readonly = readonly};
    char why[128];
    d->cow = rv_cow_create(&cfg, why, sizeof why);
    if (!d->cow) {
        snprintf(err, errlen, "overlay %s: %s", overlay, why);
        goto fail;
    }
    for (uint64_t c = 0; c < d->nchunks; c++)
        if (d->index[c])
            rv_cow_mark_stored(d->cow, (uint32_t)c);
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
