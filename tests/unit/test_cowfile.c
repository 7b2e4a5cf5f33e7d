/* The overlay file store (vm/disk/cowfile.c) under the copy-on-write engine,
 * on a fake file that can lose power: writes since the last sync survive a
 * crash in any subset, each 512-byte sector of them whole or not at all.
 * Checks that after a crash at any file operation every chunk is a version
 * the guest wrote since its last completed flush (never torn, never another
 * chunk's data), that flushed data is there, that slots are reused, and
 * that bad files are refused with the right reason. Prints one PASS:/FAIL:
 * line per check group and a summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "disk/cow.h"
#include "disk/cowfile.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- a file that can lose power */

enum { SECTOR = 512, MAXW = 100000 };

typedef struct pending {
    uint64_t off;
    size_t len;
    uint8_t *data;
} pending;

typedef struct ffile {
    uint8_t *durable, *live; /* what survives power loss; what reads see */
    uint64_t dsize, lsize, cap;
    pending *w; /* writes since the last sync, in order */
    int nw;
    long ops, crash_at; /* file operations so far; crash at this one (0: never) */
    bool dead;          /* power is gone: every operation fails */
    int fail_writes;    /* the next N writes fail (EIO) */
    int fail_syncs;
} ffile;

static void grow(ffile *f, uint64_t need)
{
    if (need <= f->cap)
        return;
    uint64_t cap = f->cap ? f->cap : 65536;
    while (cap < need)
        cap *= 2;
    f->durable = realloc(f->durable, cap);
    f->live = realloc(f->live, cap);
    memset(f->durable + f->cap, 0, cap - f->cap);
    memset(f->live + f->cap, 0, cap - f->cap);
    f->cap = cap;
}

static bool tick(ffile *f)
{
    if (f->dead)
        return false;
    if (f->crash_at && ++f->ops >= f->crash_at) {
        f->dead = true;
        return false;
    }
    return true;
}

static bool ff_read(void *o, uint64_t off, void *buf, size_t len)
{
    ffile *f = o;
    if (!tick(f))
        return false;
    memset(buf, 0, len);
    if (off < f->lsize) {
        uint64_t n = f->lsize - off < len ? f->lsize - off : len;
        memcpy(buf, f->live + off, n);
    }
    return true;
}

static bool ff_write(void *o, uint64_t off, const void *buf, size_t len)
{
    ffile *f = o;
    if (!tick(f))
        return false;
    if (f->fail_writes > 0) {
        f->fail_writes--;
        return false;
    }
    grow(f, off + len);
    memcpy(f->live + off, buf, len);
    if (off + len > f->lsize)
        f->lsize = off + len;
    if (f->nw < MAXW) {
        f->w[f->nw].off = off;
        f->w[f->nw].len = len;
        f->w[f->nw].data = malloc(len);
        memcpy(f->w[f->nw].data, buf, len);
        f->nw++;
    }
    return true;
}

static void drop_pending(ffile *f)
{
    for (int i = 0; i < f->nw; i++)
        free(f->w[i].data);
    f->nw = 0;
}

static bool ff_sync(void *o)
{
    ffile *f = o;
    if (!tick(f))
        return false;
    if (f->fail_syncs > 0) {
        f->fail_syncs--;
        return false;
    }
    memcpy(f->durable, f->live, f->lsize);
    f->dsize = f->lsize;
    drop_pending(f);
    return true;
}

static bool ff_truncate(void *o, uint64_t size)
{
    ffile *f = o;
    if (!tick(f))
        return false;
    grow(f, size);
    if (size < f->lsize)
        memset(f->live + size, 0, f->lsize - size);
    f->lsize = size;
    /* Metadata: durable at once (simpler than the truth, and the store
     * syncs after creating the file anyway). */
    f->dsize = size;
    return true;
}

static bool ff_size(void *o, uint64_t *size)
{
    ffile *f = o;
    if (!tick(f))
        return false;
    *size = f->lsize;
    return true;
}

/* Power comes back: the durable bytes plus, for each write since the last
 * sync, each of its sectors or not (at random). */
static void power_cycle(ffile *f)
{
    for (int i = 0; i < f->nw; i++) {
        pending *p = &f->w[i];
        for (size_t s = 0; s < p->len; s += SECTOR) {
            if (rnd() % 2)
                continue;
            size_t n = p->len - s < SECTOR ? p->len - s : SECTOR;
            grow(f, p->off + s + n);
            memcpy(f->durable + p->off + s, p->data + s, n);
            if (p->off + s + n > f->dsize)
                f->dsize = p->off + s + n;
        }
    }
    drop_pending(f);
    memcpy(f->live, f->durable, f->dsize);
    if (f->lsize > f->dsize)
        memset(f->live + f->dsize, 0, f->lsize - f->dsize);
    f->lsize = f->dsize;
    f->dead = false;
    f->crash_at = 0;
    f->ops = 0;
}

static ffile *ff_new(void)
{
    ffile *f = calloc(1, sizeof *f);
    f->w = calloc(MAXW, sizeof *f->w);
    return f;
}

static void ff_free(ffile *f)
{
    drop_pending(f);
    free(f->w);
    free(f->durable);
    free(f->live);
    free(f);
}

static rv_file_ops ff_ops(ffile *f)
{
    return (rv_file_ops){.read = ff_read,
                         .write = ff_write,
                         .sync = ff_sync,
                         .truncate = ff_truncate,
                         .size = ff_size,
                         .opaque = f};
}

/* ---- a disk: engine + file store + base, answered at once (as the CLI) */

enum { CS = 4096, NCH = 2100, SIZE = NCH * CS, BASE_SIZE = 1500 * CS + 1000 };

typedef struct disk {
    rv_file_ops ops;
    rv_cowfile *file;
    rv_cow *cow;
    const uint8_t *base;
} disk;

static void serve(disk *d)
{
    rv_cow_io io;
    while (rv_cow_next_io(d->cow, &io)) {
        int st = 0;
        if (io.kind == RV_COW_IO_BASE) {
            uint64_t off = (uint64_t)io.chunk * CS;
            memset(io.buf, 0, CS);
            if (off < BASE_SIZE)
                memcpy(io.buf, d->base + off, BASE_SIZE - off < CS ? BASE_SIZE - off : CS);
        } else {
            st = rv_cowfile_serve(d->file, &io);
        }
        rv_cow_io_done(d->cow, io.id, st);
    }
}

static int last_status;
static void done(rv_blk_req *r, int status)
{
    (void)r;
    last_status = status;
}

static int io(disk *d, int type, uint64_t off, uint8_t *p, size_t len)
{
    rv_iovec v = {p, len};
    rv_blk_req r = {.type = type,
                    .offset = off,
                    .iov = &v,
                    .iovcnt = type == RV_BLK_FLUSH ? 0 : 1,
                    .complete = done};
    last_status = -1;
    rv_cow_submit(d->cow, &r);
    serve(d);
    return last_status;
}

static rv_cowfile_params params(bool ro)
{
    return (rv_cowfile_params){
        .size = SIZE, .base_size = BASE_SIZE, .base_fp = 0x1234, .chunk_size = CS, .readonly = ro};
}

static bool disk_open(disk *d, ffile *f, const uint8_t *base, bool ro, int *why)
{
    memset(d, 0, sizeof *d);
    d->ops = ff_ops(f);
    d->base = base;
    rv_cowfile_params p = params(ro);
    d->file = rv_cowfile_open(&d->ops, &p, why);
    if (!d->file)
        return false;
    rv_cow_config cfg = {.size = SIZE,
                         .base_size = BASE_SIZE,
                         .chunk_size = CS,
                         .readonly = ro,
                         .commit_chunks = 8,
                         .max_dirty = 64};
    d->cow = rv_cow_create(&cfg, NULL, 0);
    rv_cowfile_mark(d->file, d->cow);
    return true;
}

static void disk_close(disk *d)
{
    rv_cow_destroy(d->cow);
    rv_cowfile_close(d->file);
    d->cow = NULL;
    d->file = NULL;
}

static uint8_t *make_base(void)
{
    uint8_t *b = malloc(BASE_SIZE);
    for (uint64_t i = 0; i < BASE_SIZE; i++)
        b[i] = (uint8_t)(i * 13 + (i >> 12) + 5);
    return b;
}

/* ---- the model: which contents each chunk may have after a crash */

enum { MAXV = 64 };
typedef struct chunk_model {
    uint64_t v[MAXV]; /* fingerprints of allowed contents */
    int n;
    bool overflow;
} chunk_model;

/* A chunk's fingerprint, a word at a time (fast enough for thousands of
 * runs under ASan). */
static uint64_t fp(const uint8_t *p)
{
    uint64_t h = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < CS; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdull;
        h ^= h >> 29;
    }
    return h;
}

static void allow(chunk_model *m, uint64_t h)
{
    for (int i = 0; i < m->n; i++)
        if (m->v[i] == h)
            return;
    if (m->n < MAXV)
        m->v[m->n++] = h;
    else
        m->overflow = true;
}

static void t_basic(void)
{
    begin();
    uint8_t *base = make_base();
    ffile *f = ff_new();
    disk d;
    int why = -1;
    CHECK(disk_open(&d, f, base, false, &why));
    CHECK(why == RV_COWFILE_OK);
    CHECK(f->lsize == 4096 + 3 * 4096); /* header + 3 index pages (1024 entries each) */
    uint8_t *buf = malloc(SIZE), *model = calloc(1, SIZE);
    memcpy(model, base, BASE_SIZE);
    for (int i = 0; i < 300; i++) {
        uint64_t off = rnd() % (SIZE - 1);
        size_t len = 1 + rnd() % (3 * CS);
        if (off + len > SIZE)
            len = SIZE - off;
        if (rnd() % 2) {
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rnd();
            CHECK(io(&d, RV_BLK_WRITE, off, buf, len) == RV_BLK_OK);
            memcpy(model + off, buf, len);
        } else {
            CHECK(io(&d, RV_BLK_READ, off, buf, len) == RV_BLK_OK);
            CHECK(memcmp(buf, model + off, len) == 0);
        }
        if (i % 50 == 49)
            CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    }
    CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    uint64_t stored = rv_cowfile_stored(d.file);
    disk_close(&d);
    CHECK(disk_open(&d, f, base, false, &why));
    CHECK(rv_cowfile_stored(d.file) == stored);
    CHECK(io(&d, RV_BLK_READ, 0, buf, SIZE) == RV_BLK_OK);
    CHECK(memcmp(buf, model, SIZE) == 0);
    /* Read-only: reads the same, refuses writes. */
    disk_close(&d);
    CHECK(disk_open(&d, f, base, true, &why));
    CHECK(io(&d, RV_BLK_READ, 0, buf, SIZE) == RV_BLK_OK);
    CHECK(memcmp(buf, model, SIZE) == 0);
    CHECK(io(&d, RV_BLK_WRITE, 0, buf, 512) == RV_BLK_IOERR);
    disk_close(&d);
    free(buf);
    free(model);
    ff_free(f);
    free(base);
    end("cowfile: random reads/writes match a flat model, and read back after reopening");
}

static void t_sparse_reuse(void)
{
    begin();
    uint8_t *base = make_base();
    ffile *f = ff_new();
    disk d;
    int why;
    CHECK(disk_open(&d, f, base, false, &why));
    uint64_t empty = f->lsize;
    uint8_t buf[CS];
    for (int i = 0; i < 200; i++) {
        memset(buf, i, sizeof buf);
        CHECK(io(&d, RV_BLK_WRITE, 7 * CS, buf, CS) == RV_BLK_OK);
        CHECK(io(&d, RV_BLK_WRITE, 1900 * CS + 100, buf, 100) == RV_BLK_OK);
        CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    }
    /* Two chunks rewritten 200 times: slots are reused, the file stays at
     * a handful of slots. */
    CHECK(rv_cowfile_stored(d.file) == 2);
    CHECK(f->lsize <= empty + 6 * CS);
    disk_close(&d);
    ff_free(f);
    free(base);
    end("cowfile: sparse (2 chunks stored), 200 flushed rewrites reuse a few slots");
}

/* A run of writes, flushes and background commits with power lost at file
 * operation `crash_at`; then every chunk must hold an allowed version. */
static void crash_run(uint64_t seed, long crash_at, int *checked)
{
    rng = seed;
    uint8_t *base = make_base();
    ffile *f = ff_new();
    disk d;
    int why;
    CHECK(disk_open(&d, f, base, false, &why));
    chunk_model *m = calloc(NCH, sizeof *m);
    uint8_t *cur = calloc(1, SIZE); /* what the guest last wrote */
    memcpy(cur, base, BASE_SIZE);
    for (int k = 0; k < NCH; k++)
        allow(&m[k], fp(cur + (uint64_t)k * CS));
    f->crash_at = crash_at;
    uint8_t *buf = malloc(4 * CS);
    uint8_t *touched = calloc(NCH, 1); /* written since the last flush */
    for (int i = 0; i < 400 && !f->dead; i++) {
        uint64_t r = rnd() % 10;
        if (r < 7) {
            /* Hot chunks near both ends of the index, and some in between. */
            uint64_t first =
                rnd() % 4 == 0 ? rnd() % NCH : (rnd() % 2 ? rnd() % 20 : NCH - 1 - rnd() % 20);
            uint64_t off = first * CS + (rnd() % 2 ? 0 : rnd() % CS);
            size_t len = 1 + rnd() % (2 * CS);
            if (off + len > SIZE)
                len = SIZE - off;
            for (size_t k = 0; k < len; k++)
                buf[k] = (uint8_t)rnd();
            if (io(&d, RV_BLK_WRITE, off, buf, len) != RV_BLK_OK)
                break;
            memcpy(cur + off, buf, len);
            for (uint64_t k = off / CS; k <= (off + len - 1) / CS; k++) {
                allow(&m[k], fp(cur + k * CS));
                touched[k] = 1;
            }
        } else if (r < 9) {
            if (io(&d, RV_BLK_FLUSH, 0, NULL, 0) != RV_BLK_OK)
                break;
            /* Durable now: only the current content is allowed. */
            for (int k = 0; k < NCH; k++) {
                if (!touched[k])
                    continue;
                touched[k] = 0;
                m[k].n = 0;
                m[k].overflow = false;
                allow(&m[k], fp(cur + (uint64_t)k * CS));
            }
        } else {
            rv_cow_commit(d.cow, false);
            serve(&d);
        }
    }
    disk_close(&d);
    power_cycle(f);
    bool ok = disk_open(&d, f, base, false, &why);
    CHECK(ok);
    if (ok) {
        uint8_t *all = malloc(SIZE);
        CHECK(io(&d, RV_BLK_READ, 0, all, SIZE) == RV_BLK_OK);
        for (int k = 0; k < NCH; k++) {
            uint64_t h = fp(all + (uint64_t)k * CS);
            bool found = m[k].overflow;
            for (int j = 0; j < m[k].n && !found; j++)
                found = m[k].v[j] == h;
            CHECK(found);
        }
        /* And it keeps working after the crash. */
        memset(buf, 0x5a, CS);
        CHECK(io(&d, RV_BLK_WRITE, 3 * CS, buf, CS) == RV_BLK_OK);
        CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
        disk_close(&d);
        CHECK(disk_open(&d, f, base, true, &why));
        CHECK(io(&d, RV_BLK_READ, 3 * CS, all, CS) == RV_BLK_OK);
        CHECK(memcmp(all, buf, CS) == 0);
        disk_close(&d);
        free(all);
        (*checked)++;
    }
    free(touched);
    free(buf);
    free(cur);
    free(m);
    ff_free(f);
    free(base);
}

static void t_crash(void)
{
    begin();
    /* How many file operations a run makes, then crash at spread points. */
    int checked = 0;
    for (uint64_t seed = 1; seed <= 4; seed++) {
        rng = seed * 7717;
        for (long at = 2; at < 3000; at += 1 + (long)(rnd() % 97))
            crash_run(seed * 7717 + (uint64_t)at, at, &checked);
    }
    char name[160];
    snprintf(name, sizeof name,
             "cowfile: power lost at %d points (torn sectors): every chunk a version since its "
             "last flush, flushed data kept, usable after",
             checked);
    end(name);
}

static void t_failures(void)
{
    begin();
    uint8_t *base = make_base();
    ffile *f = ff_new();
    disk d;
    int why;
    CHECK(disk_open(&d, f, base, false, &why));
    uint8_t buf[CS], back[CS];
    memset(buf, 0x11, sizeof buf);
    CHECK(io(&d, RV_BLK_WRITE, 10 * CS, buf, CS) == RV_BLK_OK);
    f->fail_writes = 1;
    CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_IOERR); /* a data write failed */
    f->fail_syncs = 1;
    CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_IOERR); /* the data sync failed */
    CHECK(io(&d, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);    /* the retry stores it */
    disk_close(&d);
    CHECK(disk_open(&d, f, base, true, &why));
    CHECK(io(&d, RV_BLK_READ, 10 * CS, back, CS) == RV_BLK_OK);
    CHECK(memcmp(back, buf, CS) == 0);
    CHECK(rv_cowfile_stored(d.file) == 1);
    disk_close(&d);
    ff_free(f);
    free(base);
    end("cowfile: failed writes and syncs fail the flush, keep the data dirty, a retry stores it");
}

static void t_refused(void)
{
    begin();
    uint8_t *base = make_base();
    int why = -1;
    rv_cowfile_params p = params(false);

    /* Read-only and empty: nothing to open. */
    ffile *f = ff_new();
    rv_file_ops ops = ff_ops(f);
    rv_cowfile_params ro = params(true);
    CHECK(!rv_cowfile_open(&ops, &ro, &why) && why == RV_COWFILE_EEMPTY);

    /* Made here, then opened over another base. */
    rv_cowfile *c = rv_cowfile_open(&ops, &p, &why);
    CHECK(c && why == RV_COWFILE_OK);
    rv_cowfile_close(c);
    rv_cowfile_params other = p;
    other.base_fp = 0x9999;
    CHECK(!rv_cowfile_open(&ops, &other, &why) && why == RV_COWFILE_EBASE);
    other = p;
    other.size = SIZE - 512; /* same chunk count, another size */
    CHECK(!rv_cowfile_open(&ops, &other, &why) && why == RV_COWFILE_EBASE);
    other = p;
    other.chunk_size = 2 * CS;
    CHECK(!rv_cowfile_open(&ops, &other, &why) && why == RV_COWFILE_EFORMAT);

    /* Not an overlay. */
    memcpy(f->live, "garbage!", 8);
    CHECK(!rv_cowfile_open(&ops, &p, &why) && why == RV_COWFILE_EFORMAT);
    memcpy(f->live, "RVVMOVL1", 8);

    /* Two chunks naming one slot: damaged. */
    f->live[4096] = 1;
    f->live[4100] = 1;
    CHECK(!rv_cowfile_open(&ops, &p, &why) && why == RV_COWFILE_EDAMAGED);
    f->live[4100] = 0;
    c = rv_cowfile_open(&ops, &p, &why);
    CHECK(c && rv_cowfile_has(c, 0) && !rv_cowfile_has(c, 1) && rv_cowfile_stored(c) == 1);
    rv_cowfile_close(c);

    /* An I/O error while opening. */
    f->dead = true;
    CHECK(!rv_cowfile_open(&ops, &p, &why) && why == RV_COWFILE_EIO);
    f->dead = false;

    /* A header left all zero by a crash while creating: made again. */
    memset(f->live, 0, 4096);
    c = rv_cowfile_open(&ops, &p, &why);
    CHECK(c && why == RV_COWFILE_OK);
    rv_cowfile_close(c);

    /* Bad parameters. */
    rv_cowfile_params bad = p;
    bad.chunk_size = 3000;
    CHECK(!rv_cowfile_open(&ops, &bad, &why) && why == RV_COWFILE_EPARAM);
    bad = p;
    bad.size = 1000;
    CHECK(!rv_cowfile_open(&ops, &bad, &why) && why == RV_COWFILE_EPARAM);
    CHECK(strcmp(rv_cowfile_strerror(RV_COWFILE_EBASE), "made over another base image") == 0);
    ff_free(f);
    free(base);
    end("cowfile: refuses empty read-only, another base, another geometry, garbage, a damaged "
        "index, I/O errors; remakes a zero header");
}

int main(void)
{
    t_basic();
    t_sparse_reuse();
    t_failures();
    t_refused();
    t_crash();
    return check_summary();
}
