/* The copy-on-write disk engine (vm/disk/cow.c) against a fake store whose
 * I/O completes asynchronously, in a random order, and fails on demand.
 * Prints one PASS:/FAIL: line per check group and a summary line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "disk/cow.h"

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* ---- the fake store: base bytes, stored chunks, I/O held until released */

enum { CS = 4096, MAXCH = 64, HELD = 256 };

typedef struct store {
    rv_cow *c;
    uint64_t size, base_size;
    uint8_t *base;
    uint8_t chunk[MAXCH][CS];
    bool has[MAXCH];
    rv_cow_io held[HELD];
    int nheld;
    bool async;     /* hold I/O until release; else answer at once */
    bool random;    /* release held I/O in a random order */
    int fail_loads; /* the next N loads / base reads fail */
    int fail_commits;
    int base_reads, loads, commits, strict_commits, wakes;
    uint32_t max_batch;
} store;

static void answer(store *s, rv_cow_io *io)
{
    int status = 0;
    if (io->kind == RV_COW_IO_BASE || io->kind == RV_COW_IO_LOAD) {
        if (s->fail_loads > 0) {
            s->fail_loads--;
            status = 1;
        } else if (io->kind == RV_COW_IO_BASE) {
            s->base_reads++;
            uint64_t off = (uint64_t)io->chunk * CS;
            memset(io->buf, 0, CS);
            if (off < s->base_size) {
                uint64_t n = s->base_size - off < CS ? s->base_size - off : CS;
                memcpy(io->buf, s->base + off, n);
            }
        } else {
            s->loads++;
            CHECK(s->has[io->chunk]);
            memcpy(io->buf, s->chunk[io->chunk], CS);
        }
    } else if (io->kind == RV_COW_IO_COMMIT) {
        if (s->fail_commits > 0) {
            s->fail_commits--;
            status = 1; /* nothing of it is stored */
        } else {
            s->commits++;
            s->strict_commits += io->strict;
            if (io->n > s->max_batch)
                s->max_batch = io->n;
            for (uint32_t k = 0; k < io->n; k++) {
                memcpy(s->chunk[io->chunks[k]], io->data[k], CS);
                s->has[io->chunks[k]] = true;
            }
        }
    }
    rv_cow_io_done(s->c, io->id, status);
}

/* Takes what the engine queued; answers it now or holds it. */
static void drain(store *s)
{
    rv_cow_io io;
    while (rv_cow_next_io(s->c, &io)) {
        if (!s->async) {
            answer(s, &io);
            continue;
        }
        CHECK(s->nheld < HELD);
        if (s->nheld < HELD)
            s->held[s->nheld++] = io;
    }
}

/* Answers one held I/O (random or oldest); false when none. */
static bool release_one(store *s)
{
    if (!s->nheld)
        return false;
    int k = s->random ? (int)(rnd() % (uint64_t)s->nheld) : 0;
    /* Commits apply in the order they were handed out (IndexedDB runs
     * readwrite transactions in creation order; a file store one by one):
     * that is the engine's contract with its stores. */
    if (s->held[k].kind == RV_COW_IO_COMMIT)
        for (int j = 0; j < k; j++)
            if (s->held[j].kind == RV_COW_IO_COMMIT) {
                k = j;
                break;
            }
    rv_cow_io io = s->held[k];
    memmove(&s->held[k], &s->held[k + 1], (size_t)(s->nheld - k - 1) * sizeof io);
    s->nheld--;
    answer(s, &io);
    drain(s);
    return true;
}

static void settle(store *s)
{
    drain(s);
    while (release_one(s))
        ;
}

static void on_wake(void *opaque)
{
    ((store *)opaque)->wakes++;
}

static rv_cow *open_engine(store *s, uint32_t cache, uint32_t commit, uint32_t max_dirty, bool ro)
{
    rv_cow_config cfg = {.size = s->size,
                         .base_size = s->base_size,
                         .chunk_size = CS,
                         .readonly = ro,
                         .cache_chunks = cache,
                         .commit_chunks = commit,
                         .max_dirty = max_dirty,
                         .wake = on_wake,
                         .opaque = s};
    char err[128];
    s->c = rv_cow_create(&cfg, err, sizeof err);
    for (uint32_t k = 0; s->c && k < MAXCH; k++)
        if (s->has[k])
            rv_cow_mark_stored(s->c, k);
    return s->c;
}

static store *new_store(uint64_t size, uint64_t base_size)
{
    store *s = calloc(1, sizeof *s);
    s->size = size;
    s->base_size = base_size;
    s->base = malloc(base_size ? base_size : 1);
    for (uint64_t i = 0; i < base_size; i++)
        s->base[i] = (uint8_t)(i * 7 + (i >> 12) + 1);
    return s;
}

static void free_store(store *s)
{
    rv_cow_destroy(s->c);
    free(s->base);
    free(s);
}

/* ---- requests */

typedef struct req {
    rv_blk_req r;
    rv_iovec iov[4];
    int status; /* -1 until completed */
    int order;  /* completion order */
} req;

static int completions;

static void on_complete(rv_blk_req *r, int status)
{
    req *q = (req *)r;
    CHECK(q->status == -1); /* exactly once */
    q->status = status;
    q->order = ++completions;
}

static void submit(store *s, req *q, int type, uint64_t off, uint8_t *buf, size_t len)
{
    memset(q, 0, sizeof *q);
    q->status = -1;
    q->r.type = type;
    q->r.offset = off;
    q->r.iov = q->iov;
    q->r.complete = on_complete;
    /* Split into up to three iovecs, as a guest's descriptor chain may. */
    size_t a = len / 3, b = len / 3;
    uint8_t *p = buf;
    size_t parts[3] = {a, b, len - a - b};
    for (int i = 0; i < 3; i++) {
        if (!parts[i] && q->r.iovcnt)
            continue;
        q->iov[q->r.iovcnt++] = (rv_iovec){.base = p, .len = parts[i]};
        p += parts[i];
    }
    rv_cow_submit(s->c, &q->r);
    drain(s);
}

static int do_sync(store *s, int type, uint64_t off, uint8_t *buf, size_t len)
{
    req q;
    submit(s, &q, type, off, buf, len);
    settle(s);
    return q.status;
}

/* ---- checks */

static void t_sparse(void)
{
    begin();
    store *s = new_store(16 * CS, 10 * CS + 100);
    CHECK(open_engine(s, 0, 0, 0, false));
    uint8_t buf[3 * CS], want[3 * CS];
    /* A read spanning base chunks, the base's ragged end and zeros. */
    CHECK(do_sync(s, RV_BLK_READ, 9 * CS + 10, buf, 2 * CS) == RV_BLK_OK);
    memset(want, 0, sizeof want);
    memcpy(want, s->base + 9 * CS + 10, CS + 90);
    CHECK(memcmp(buf, want, 2 * CS) == 0);
    CHECK(s->base_reads == 2); /* chunk 11 is past the base: no I/O */
    /* One sector written in the middle of chunk 3: only chunk 3 is stored,
     * with the base around the write. */
    memset(buf, 0xab, 512);
    CHECK(do_sync(s, RV_BLK_WRITE, 3 * CS + 1024, buf, 512) == RV_BLK_OK);
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    int n = 0;
    for (int k = 0; k < MAXCH; k++)
        n += s->has[k];
    CHECK(n == 1 && s->has[3]);
    memcpy(want, s->base + 3 * CS, CS);
    memset(want + 1024, 0xab, 512);
    CHECK(memcmp(s->chunk[3], want, CS) == 0);
    CHECK(s->strict_commits == 1);
    /* A whole-chunk write needs no read of the old content. */
    int br = s->base_reads;
    memset(buf, 0x11, CS);
    CHECK(do_sync(s, RV_BLK_WRITE, 5 * CS, buf, CS) == RV_BLK_OK);
    CHECK(s->base_reads == br);
    /* Out of range, and an unknown type. */
    CHECK(do_sync(s, RV_BLK_READ, 16 * CS - 512, buf, 1024) == RV_BLK_IOERR);
    CHECK(do_sync(s, 7, 0, NULL, 0) == RV_BLK_UNSUPP);
    rv_cow_stats st;
    rv_cow_get_stats(s->c, &st);
    CHECK(st.ioerrs == 1);
    free_store(s);
    end("cow: sparse chunks, reads across the base's end, whole-chunk writes, bad requests");
}

static void t_config(void)
{
    begin();
    char err[128] = "";
    rv_cow_config cfg = {.size = 1000, .chunk_size = CS};
    CHECK(rv_cow_create(&cfg, err, sizeof err) == NULL && strstr(err, "512"));
    cfg.size = 4096;
    cfg.chunk_size = 5000;
    CHECK(rv_cow_create(&cfg, err, sizeof err) == NULL && strstr(err, "power of two"));
    cfg.chunk_size = CS;
    rv_cow *c = rv_cow_create(&cfg, err, sizeof err);
    CHECK(c && !rv_cow_mark_stored(c, 1) && rv_cow_mark_stored(c, 0));
    rv_cow_destroy(c);
    end("cow: bad configurations are refused with a reason");
}

/* Random requests against a flat model, I/O answered in a random order,
 * a tiny cache (eviction), small commits and a dirty limit. */
static void t_model(uint64_t seed, bool async)
{
    begin();
    rng = seed;
    enum { N = 24 };
    store *s = new_store(N * CS, 15 * CS + 777);
    s->async = async;
    s->random = true;
    CHECK(open_engine(s, 3, 3, 6, false));
    uint8_t *model = calloc(N, CS);
    memcpy(model, s->base, s->base_size);
    static uint8_t buf[6][3 * CS], expect[6][3 * CS];
    req q[6];
    size_t lens[6];
    int kinds[6];
    for (int round = 0; round < 400 && !check_group_failed; round++) {
        int nreq = 1 + (int)(rnd() % 6);
        for (int i = 0; i < nreq; i++) {
            uint64_t off = (rnd() % (N * CS / 512)) * 512;
            size_t len = 512 * (1 + rnd() % (3 * CS / 512));
            if (off + len > N * CS)
                len = N * CS - off;
            int t = rnd() % 10 == 0 ? RV_BLK_FLUSH : (int)(rnd() % 2);
            kinds[i] = t;
            lens[i] = len;
            if (t == RV_BLK_WRITE) {
                for (size_t b = 0; b < len; b++)
                    buf[i][b] = (uint8_t)rnd();
                memcpy(model + off, buf[i], len); /* requests run in order */
            } else if (t == RV_BLK_READ) {
                memcpy(expect[i], model + off, len); /* the model at its turn */
                memset(buf[i], 0xee, len);
            }
            submit(s, &q[i], t, off, buf[i], t == RV_BLK_FLUSH ? 0 : len);
        }
        settle(s);
        int last = 0;
        for (int i = 0; i < nreq; i++) {
            CHECK(q[i].status == RV_BLK_OK);
            CHECK(q[i].order > last); /* completion in submission order */
            last = q[i].order;
            if (kinds[i] == RV_BLK_READ)
                CHECK(memcmp(buf[i], expect[i], lens[i]) == 0);
        }
        if (rnd() % 8 == 0)
            rv_cow_commit(s->c, false);
        drain(s);
    }
    /* Read everything back; then flush and compare the store's view. */
    uint8_t *all = malloc(N * CS);
    CHECK(do_sync(s, RV_BLK_READ, 0, all, N * CS) == RV_BLK_OK);
    CHECK(memcmp(all, model, N * CS) == 0);
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    CHECK(rv_cow_idle(s->c));
    for (int k = 0; k < N; k++) {
        const uint8_t *want = model + (size_t)k * CS;
        if (s->has[k])
            CHECK(memcmp(s->chunk[k], want, CS) == 0);
        else if ((uint64_t)k * CS < s->base_size)
            CHECK(memcmp(s->base + (size_t)k * CS, want,
                         s->base_size - (uint64_t)k * CS < CS ? s->base_size - (uint64_t)k * CS
                                                              : CS) == 0);
    }
    rv_cow_stats st;
    rv_cow_get_stats(s->c, &st);
    CHECK(st.cached <= 3 && s->max_batch <= 6);
    free(all);
    free(model);
    free_store(s);
    char name[160];
    snprintf(name, sizeof name,
             "cow: 400 rounds of random reads/writes/flushes match a flat model (seed %llu, %s)",
             (unsigned long long)seed,
             async ? "I/O answered later, in random order" : "I/O at once");
    end(name);
}

/* Reads are checked separately: each read's data must equal the model at
 * its turn, even with writes queued behind it. */
static void t_read_order(void)
{
    begin();
    store *s = new_store(8 * CS, 8 * CS);
    s->async = true;
    CHECK(open_engine(s, 2, 2, 4, false));
    uint8_t w1[CS], r1[CS], w2[CS], r2[CS];
    memset(w1, 1, CS);
    memset(w2, 2, CS);
    req a, b, c, d;
    submit(s, &a, RV_BLK_WRITE, CS + 512, w1, 1024); /* partial: waits on the base */
    submit(s, &b, RV_BLK_READ, CS, r1, CS);
    submit(s, &c, RV_BLK_WRITE, CS, w2, CS);
    submit(s, &d, RV_BLK_READ, CS, r2, CS);
    CHECK(a.status == -1 && b.status == -1 && c.status == -1);
    settle(s);
    uint8_t want[CS];
    memcpy(want, s->base + CS, CS);
    memset(want + 512, 1, 1024);
    CHECK(memcmp(r1, want, CS) == 0);
    CHECK(memcmp(r2, w2, CS) == 0);
    CHECK(a.order < b.order && b.order < c.order && c.order < d.order);
    free_store(s);
    end("cow: a read sees exactly the writes before it, queued behind a base load");
}

static void t_flush_order(void)
{
    begin();
    store *s = new_store(8 * CS, 0);
    s->async = true; /* oldest first */
    CHECK(open_engine(s, 0, 0, 0, false));
    uint8_t buf[CS];
    memset(buf, 5, CS);
    req w, f;
    submit(s, &w, RV_BLK_WRITE, 0, buf, CS); /* past the base: no I/O */
    CHECK(w.status == RV_BLK_OK);
    rv_cow_commit(s->c, false); /* a background commit, held */
    drain(s);
    CHECK(s->nheld == 1 && !s->held[0].strict);
    memset(buf, 6, CS);
    req w2;
    submit(s, &w2, RV_BLK_WRITE, 2 * CS, buf, CS);
    submit(s, &f, RV_BLK_FLUSH, 0, NULL, 0);
    CHECK(s->nheld == 2 && s->held[1].strict && s->held[1].n == 1);
    /* The strict commit completing first is not enough. */
    rv_cow_io first = s->held[0];
    s->held[0] = s->held[1];
    s->nheld = 1;
    release_one(s);
    CHECK(f.status == -1);
    answer(s, &first);
    CHECK(f.status == RV_BLK_OK && s->has[0] && s->has[2]);
    /* A flush with nothing dirty still asks for a durable commit. */
    int sc = s->strict_commits;
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    CHECK(s->strict_commits == sc + 1);
    free_store(s);
    end("cow: a flush completes only after it and every earlier commit completed");
}

static void t_failures(void)
{
    begin();
    store *s = new_store(8 * CS, 8 * CS);
    CHECK(open_engine(s, 0, 0, 0, false));
    uint8_t buf[CS];
    /* A failed base read fails that read, and the next one retries. */
    s->fail_loads = 1;
    CHECK(do_sync(s, RV_BLK_READ, 0, buf, 512) == RV_BLK_IOERR);
    CHECK(do_sync(s, RV_BLK_READ, 0, buf, 512) == RV_BLK_OK);
    CHECK(memcmp(buf, s->base, 512) == 0);
    /* A failed commit fails the flush; nothing is stored; the chunk stays
     * dirty and the next flush stores it. */
    memset(buf, 9, CS);
    CHECK(do_sync(s, RV_BLK_WRITE, 2 * CS, buf, CS) == RV_BLK_OK);
    s->fail_commits = 1;
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_IOERR);
    CHECK(!s->has[2] && rv_cow_failing(s->c) && rv_cow_dirty(s->c) == 1);
    uint8_t back[CS];
    CHECK(do_sync(s, RV_BLK_READ, 2 * CS, back, CS) == RV_BLK_OK && memcmp(back, buf, CS) == 0);
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    CHECK(s->has[2] && memcmp(s->chunk[2], buf, CS) == 0 && !rv_cow_failing(s->c));
    /* A stored chunk whose load fails: I/O error, then a retry works. */
    rv_cow_destroy(s->c);
    CHECK(open_engine(s, 0, 0, 0, false));
    s->fail_loads = 1;
    CHECK(do_sync(s, RV_BLK_READ, 2 * CS, back, 512) == RV_BLK_IOERR);
    CHECK(do_sync(s, RV_BLK_READ, 2 * CS, back, CS) == RV_BLK_OK && memcmp(back, buf, CS) == 0);
    CHECK(s->loads == 1);
    /* A write covering stored chunk 2 whole and base chunk 3 in part, whose
     * base read fails: the write fails and chunk 2 still reads as stored. */
    uint8_t two[2 * CS];
    memset(two, 0x77, sizeof two);
    rv_cow_destroy(s->c);
    CHECK(open_engine(s, 0, 0, 0, false));
    s->fail_loads = 1;
    CHECK(do_sync(s, RV_BLK_WRITE, 2 * CS, two, CS + 512) == RV_BLK_IOERR);
    CHECK(do_sync(s, RV_BLK_READ, 2 * CS, back, CS) == RV_BLK_OK && memcmp(back, buf, CS) == 0);
    CHECK(rv_cow_dirty(s->c) == 0);
    free_store(s);
    end("cow: failed loads and commits reach the guest as I/O errors, and retries recover");
}

static void t_dirty_limit(void)
{
    begin();
    store *s = new_store(32 * CS, 0);
    CHECK(open_engine(s, 2, 2, 4, false));
    uint8_t buf[CS];
    memset(buf, 3, CS);
    /* Every commit fails: writes fill the dirty limit, then fail; the host
     * stays up and memory stays bounded. */
    s->fail_commits = 1000;
    int ok = 0, bad = 0;
    for (int k = 0; k < 32; k++) {
        int st = do_sync(s, RV_BLK_WRITE, (uint64_t)k * CS, buf, CS);
        ok += st == RV_BLK_OK;
        bad += st == RV_BLK_IOERR;
    }
    CHECK(ok >= 4 && ok <= 6 && bad == 32 - ok);
    CHECK(rv_cow_dirty(s->c) <= 6);
    /* The store recovers: a flush stores what was accepted. */
    s->fail_commits = 0;
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    CHECK(rv_cow_dirty(s->c) == 0);
    for (int k = 0; k < ok; k++)
        CHECK(s->has[k]);
    /* With a slow (held) store, writes past the limit wait, not fail. */
    s->async = true;
    req q[12];
    for (int k = 0; k < 12; k++)
        submit(s, &q[k], RV_BLK_WRITE, (uint64_t)(k + 8) * CS, buf, CS);
    CHECK(q[11].status == -1);
    settle(s);
    for (int k = 0; k < 12; k++)
        CHECK(q[k].status == RV_BLK_OK);
    free_store(s);
    end("cow: the dirty limit makes writes wait for commits, or fail while commits fail");
}

static void t_readonly(void)
{
    begin();
    store *s = new_store(4 * CS, 4 * CS);
    CHECK(open_engine(s, 0, 0, 0, true));
    uint8_t buf[CS];
    CHECK(do_sync(s, RV_BLK_WRITE, 0, buf, 512) == RV_BLK_IOERR);
    CHECK(do_sync(s, RV_BLK_FLUSH, 0, NULL, 0) == RV_BLK_OK);
    CHECK(do_sync(s, RV_BLK_READ, 0, buf, CS) == RV_BLK_OK && memcmp(buf, s->base, CS) == 0);
    CHECK(s->commits == 0);
    free_store(s);
    end("cow: a read-only disk refuses writes and commits nothing");
}

/* Crash at a random moment (the engine dropped with I/O in flight); the
 * store must hold, for every chunk, a whole version no older than the one
 * the last successful flush covered. */
static void t_crash(uint64_t seed)
{
    begin();
    rng = seed;
    enum { N = 12, V = 512 };
    store *s = new_store(N * CS, N * CS);
    s->async = true;
    s->random = true;
    CHECK(open_engine(s, 2, 2, 4, false));
    /* versions[k][0..nv[k]) = what chunk k held after each write (whole
     * chunks written, so each version is a fill byte). */
    static uint8_t ver[N][V];
    int nv[N], flushed[N];
    for (int k = 0; k < N; k++) {
        nv[k] = 0;
        flushed[k] = -1; /* -1: the base is still acceptable */
    }
    static req q[64];
    int pending_flush = -1;
    int snap[N];
    static uint8_t data[64][CS];
    int steps = 20 + (int)(rnd() % 200);
    for (int i = 0; i < steps && i < 64; i++) {
        if (rnd() % 6 == 0) {
            submit(s, &q[i], RV_BLK_FLUSH, 0, NULL, 0);
            pending_flush = i;
            for (int k = 0; k < N; k++)
                snap[k] = nv[k] - 1;
        } else {
            int k = (int)(rnd() % N);
            uint8_t fill = (uint8_t)(1 + rnd() % 250);
            memset(data[i], fill, CS);
            if (nv[k] < V)
                ver[k][nv[k]++] = fill;
            submit(s, &q[i], RV_BLK_WRITE, (uint64_t)k * CS, data[i], CS);
        }
        for (int r = (int)(rnd() % 3); r > 0; r--)
            release_one(s);
        if (pending_flush >= 0 && q[pending_flush].status == RV_BLK_OK) {
            for (int k = 0; k < N; k++)
                if (snap[k] > flushed[k])
                    flushed[k] = snap[k];
            pending_flush = -1;
        }
    }
    /* The crash: in-flight I/O never completes. */
    rv_cow_destroy(s->c);
    s->c = NULL;
    s->nheld = 0;
    for (int k = 0; k < N; k++) {
        if (!s->has[k]) {
            CHECK(flushed[k] < 0);
            continue;
        }
        bool whole = true;
        for (int b = 1; b < CS; b++)
            whole &= s->chunk[k][b] == s->chunk[k][0];
        CHECK(whole);
        int found = -1;
        for (int v = nv[k] - 1; v >= 0; v--)
            if (ver[k][v] == s->chunk[k][0]) {
                found = v;
                break;
            }
        CHECK(found >= 0 && found >= flushed[k]);
    }
    /* Reopened, the engine reads what the store holds. */
    s->async = false;
    CHECK(open_engine(s, 2, 2, 4, false));
    uint8_t buf[CS];
    for (int k = 0; k < N; k++) {
        CHECK(do_sync(s, RV_BLK_READ, (uint64_t)k * CS, buf, CS) == RV_BLK_OK);
        CHECK(memcmp(buf, s->has[k] ? s->chunk[k] : s->base + (size_t)k * CS, CS) == 0);
    }
    free_store(s);
    char name[128];
    snprintf(
        name, sizeof name,
        "cow: a crash keeps every chunk whole and at least as new as the last flush (seed %llu)",
        (unsigned long long)seed);
    end(name);
}

int main(void)
{
    t_config();
    t_sparse();
    t_read_order();
    t_flush_order();
    t_failures();
    t_dirty_limit();
    t_readonly();
    for (uint64_t seed = 1; seed <= 3; seed++)
        t_model(seed * 7919, seed != 1);
    for (uint64_t seed = 1; seed <= 20; seed++)
        t_crash(seed * 104729);
    return check_summary();
}
