/* The copy-on-write disk engine (see cow.h).
 *
 * State per chunk in memory: an entry holding its current content. An entry
 * is loading (its I/O is out), clean (equal to the store or the base; on
 * the LRU list, may be dropped), or dirty (newer than the store; kept until
 * a commit takes a copy). Entries that commits in flight copied are pinned:
 * if the commit fails they become dirty again, so they must still be here.
 *
 * Guest requests wait in a FIFO; only the head runs. It first makes sure
 * every chunk it needs is in memory (reads: all of its chunks; writes: the
 * ones it covers partly), queueing loads for the missing ones, then copies
 * and completes. */
#include "disk/cow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    NONE = UINT32_MAX,
    DEF_CACHE = 256,
    DEF_COMMIT = 128,
};

typedef struct cow_ent {
    uint32_t chunk;
    uint8_t *buf;
    bool loading, dirty, used;
    bool fresh;          /* made for a whole-chunk write that has not run yet */
    uint32_t pins;       /* commits in flight that copied it */
    uint32_t prev, next; /* LRU of clean entries (most recent at head) */
} cow_ent;

typedef struct cow_batch {
    uint32_t n;
    uint32_t *chunks;
    uint8_t **data;
    bool strict, watched; /* watched: the running flush waits for it */
} cow_batch;

/* An I/O the engine handed out (or will): ids index this table. */
typedef struct cow_rec {
    int kind;         /* RV_COW_IO_NONE = free */
    bool queued;      /* not yet taken by rv_cow_next_io */
    uint32_t ent;     /* BASE / LOAD */
    cow_batch *batch; /* COMMIT */
    uint32_t next_free;
    uint64_t seq; /* handed out in the order they were made */
} cow_rec;

/* A queued record, by id and the seq it had when queued. */
typedef struct cow_qent {
    uint32_t id;
    uint64_t seq;
} cow_qent;

struct rv_cow {
    rv_cow_config cfg;
    uint64_t nchunks, base_chunks;
    uint32_t shift;  /* log2 chunk size */
    uint32_t *where; /* chunk -> entry index, NONE when not in memory */
    uint8_t *stored; /* chunk -> in the store */
    uint32_t nstored;

    cow_ent *ents;
    uint32_t nents, cap_ents, free_ent;
    uint32_t lru_head, lru_tail, nclean, ndirty;

    cow_rec *recs;
    uint32_t nrecs, cap_recs, free_rec;
    uint32_t queued; /* recs waiting for rv_cow_next_io */
    uint64_t next_seq;
    /* Queued recs in the order they were made (a ring of ids; an id whose
     * rec is no longer queued with that seq is skipped). */
    cow_qent *fifo;
    uint32_t fifo_head, fifo_len, fifo_cap;
    uint32_t batches_inflight, inflight_chunks;
    uint32_t loads_inflight; /* BASE and LOAD I/O not yet answered */

    rv_blk_req **q; /* guest requests, a ring */
    uint32_t q_head, q_len, q_cap;
    bool pumping;
    bool head_failed; /* a load for the head request failed */

    /* The running flush (the head request is a FLUSH). */
    bool flushing;
    uint32_t flush_waits;
    bool flush_failed;

    bool failing; /* the last finished commit failed */
    rv_cow_stats st;
};

static void errf(char *err, size_t len, const char *msg)
{
    if (err && len)
        snprintf(err, len, "%s", msg);
}

rv_cow *rv_cow_create(const rv_cow_config *cfg, char *err, size_t errlen)
{
    uint32_t cs = cfg->chunk_size;
    if (cs < 4096 || cs > (16u << 20) || (cs & (cs - 1))) {
        errf(err, errlen, "chunk size must be a power of two from 4 KiB to 16 MiB");
        return NULL;
    }
    if (cfg->size == 0 || cfg->size % 512) {
        errf(err, errlen, "disk size must be a non-zero multiple of 512");
        return NULL;
    }
    uint64_t n = (cfg->size + cs - 1) / cs;
    if (n >= NONE) {
        errf(err, errlen, "disk too large for its chunk size");
        return NULL;
    }
    rv_cow *c = calloc(1, sizeof *c);
    if (!c) {
        errf(err, errlen, "out of memory");
        return NULL;
    }
    c->cfg = *cfg;
    if (!c->cfg.cache_chunks)
        c->cfg.cache_chunks = DEF_CACHE;
    if (!c->cfg.commit_chunks)
        c->cfg.commit_chunks = DEF_COMMIT;
    if (!c->cfg.max_dirty)
        c->cfg.max_dirty = 8 * c->cfg.commit_chunks;
    if (c->cfg.max_dirty < c->cfg.commit_chunks)
        c->cfg.max_dirty = c->cfg.commit_chunks;
    c->nchunks = n;
    c->base_chunks = (cfg->base_size + cs - 1) / cs;
    while ((1u << c->shift) < cs)
        c->shift++;
    c->where = malloc(n * sizeof *c->where);
    c->stored = calloc(n, 1);
    if (!c->where || !c->stored) {
        rv_cow_destroy(c);
        errf(err, errlen, "out of memory");
        return NULL;
    }
    for (uint64_t i = 0; i < n; i++)
        c->where[i] = NONE;
    c->free_ent = c->free_rec = NONE;
    c->lru_head = c->lru_tail = NONE;
    return c;
}

static void free_batch(cow_batch *b)
{
    if (!b)
        return;
    for (uint32_t i = 0; i < b->n; i++)
        free(b->data[i]);
    free(b->data);
    free(b->chunks);
    free(b);
}

void rv_cow_destroy(rv_cow *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nents; i++)
        free(c->ents[i].buf);
    for (uint32_t i = 0; i < c->nrecs; i++)
        if (c->recs[i].kind == RV_COW_IO_COMMIT)
            free_batch(c->recs[i].batch);
    free(c->ents);
    free(c->recs);
    free(c->fifo);
    free(c->q);
    free(c->where);
    free(c->stored);
    free(c);
}

uint64_t rv_cow_chunks(const rv_cow *c)
{
    return c->nchunks;
}

bool rv_cow_mark_stored(rv_cow *c, uint32_t chunk)
{
    if (chunk >= c->nchunks)
        return false;
    if (!c->stored[chunk])
        c->nstored++;
    c->stored[chunk] = 1;
    return true;
}

bool rv_cow_is_stored(const rv_cow *c, uint32_t chunk)
{
    return chunk < c->nchunks && c->stored[chunk];
}

/* ---- entries and the LRU of clean ones */

static void lru_unlink(rv_cow *c, uint32_t i)
{
    cow_ent *e = &c->ents[i];
    if (e->prev != NONE)
        c->ents[e->prev].next = e->next;
    else
        c->lru_head = e->next;
    if (e->next != NONE)
        c->ents[e->next].prev = e->prev;
    else
        c->lru_tail = e->prev;
    e->prev = e->next = NONE;
    c->nclean--;
}

static void lru_push(rv_cow *c, uint32_t i)
{
    cow_ent *e = &c->ents[i];
    e->prev = NONE;
    e->next = c->lru_head;
    if (c->lru_head != NONE)
        c->ents[c->lru_head].prev = i;
    c->lru_head = i;
    if (c->lru_tail == NONE)
        c->lru_tail = i;
    c->nclean++;
}

static bool is_clean(const cow_ent *e)
{
    return e->used && !e->loading && !e->dirty && !e->fresh && e->pins == 0;
}

static void ent_free(rv_cow *c, uint32_t i)
{
    cow_ent *e = &c->ents[i];
    c->where[e->chunk] = NONE;
    free(e->buf);
    e->buf = NULL;
    e->used = false;
    e->next = c->free_ent;
    c->free_ent = i;
}

/* A new entry for chunk (not in memory), not on the LRU. */
static uint32_t ent_new(rv_cow *c, uint32_t chunk)
{
    uint8_t *buf = malloc(c->cfg.chunk_size);
    if (!buf)
        return NONE;
    uint32_t i = c->free_ent;
    if (i != NONE) {
        c->free_ent = c->ents[i].next;
    } else {
        if (c->nents == c->cap_ents) {
            uint32_t cap = c->cap_ents ? 2 * c->cap_ents : 64;
            cow_ent *n = realloc(c->ents, cap * sizeof *n);
            if (!n) {
                free(buf);
                return NONE;
            }
            c->ents = n;
            c->cap_ents = cap;
        }
        i = c->nents++;
    }
    c->ents[i] = (cow_ent){.chunk = chunk, .buf = buf, .used = true, .prev = NONE, .next = NONE};
    c->where[chunk] = i;
    return i;
}

/* An entry stops being clean (dirty, loading or pinned from here on). */
static void ent_take(rv_cow *c, uint32_t i)
{
    if (is_clean(&c->ents[i]))
        lru_unlink(c, i);
}

/* An entry may have become clean. */
static void ent_settle(rv_cow *c, uint32_t i)
{
    cow_ent *e = &c->ents[i];
    if (is_clean(e) && e->prev == NONE && c->lru_head != i)
        lru_push(c, i);
}

/* The chunks the head request spans (none for a flush). */
static bool head_span(const rv_cow *c, uint64_t *first, uint64_t *last)
{
    if (!c->q_len)
        return false;
    const rv_blk_req *req = c->q[c->q_head];
    if (req->type == RV_BLK_FLUSH)
        return false;
    uint64_t len = 0;
    for (int i = 0; i < req->iovcnt; i++)
        len += req->iov[i].len;
    if (!len || req->offset > c->cfg.size || len > c->cfg.size - req->offset)
        return false;
    *first = req->offset >> c->shift;
    *last = (req->offset + len - 1) >> c->shift;
    return true;
}

/* Drops the least recently used clean chunks over the limit, never one
 * the head request has brought in and still waits beside. */
static void evict(rv_cow *c)
{
    uint64_t lo = 1, hi = 0;
    head_span(c, &lo, &hi);
    uint32_t i = c->lru_tail;
    while (c->nclean > c->cfg.cache_chunks && i != NONE) {
        uint32_t prev = c->ents[i].prev;
        uint64_t k = c->ents[i].chunk;
        if (k < lo || k > hi) {
            lru_unlink(c, i);
            ent_free(c, i);
        }
        i = prev;
    }
}

/* ---- I/O records */

static bool fifo_push(rv_cow *c, uint32_t id, uint64_t seq)
{
    if (c->fifo_len == c->fifo_cap) {
        uint32_t cap = c->fifo_cap ? 2 * c->fifo_cap : 32;
        cow_qent *n = malloc(cap * sizeof *n);
        if (!n)
            return false;
        for (uint32_t k = 0; k < c->fifo_len; k++)
            n[k] = c->fifo[(c->fifo_head + k) % c->fifo_cap];
        free(c->fifo);
        c->fifo = n;
        c->fifo_cap = cap;
        c->fifo_head = 0;
    }
    uint32_t at = (c->fifo_head + c->fifo_len) % c->fifo_cap;
    c->fifo[at].id = id;
    c->fifo[at].seq = seq;
    c->fifo_len++;
    return true;
}

static uint32_t rec_new(rv_cow *c, int kind)
{
    uint32_t i = c->free_rec;
    if (i != NONE) {
        c->free_rec = c->recs[i].next_free;
    } else {
        if (c->nrecs == c->cap_recs) {
            uint32_t cap = c->cap_recs ? 2 * c->cap_recs : 32;
            cow_rec *n = realloc(c->recs, cap * sizeof *n);
            if (!n)
                return NONE;
            c->recs = n;
            c->cap_recs = cap;
        }
        i = c->nrecs++;
    }
    c->recs[i] = (cow_rec){
        .kind = kind, .queued = true, .ent = NONE, .next_free = NONE, .seq = c->next_seq++};
    if (!fifo_push(c, i, c->recs[i].seq)) {
        c->recs[i].kind = RV_COW_IO_NONE;
        c->recs[i].queued = false;
        c->recs[i].next_free = c->free_rec;
        c->free_rec = i;
        return NONE;
    }
    c->queued++;
    return i;
}

static void rec_free(rv_cow *c, uint32_t i)
{
    if (c->recs[i].queued)
        c->queued--;
    c->recs[i].kind = RV_COW_IO_NONE;
    c->recs[i].queued = false;
    c->recs[i].batch = NULL;
    c->recs[i].next_free = c->free_rec;
    c->free_rec = i;
}

static void wake(rv_cow *c)
{
    if (c->cfg.wake && c->queued)
        c->cfg.wake(c->cfg.opaque);
}

bool rv_cow_next_io(rv_cow *c, rv_cow_io *io)
{
    memset(io, 0, sizeof *io);
    if (!c->queued)
        return false;
    /* The oldest first: commits must reach the store in order. */
    uint32_t best = NONE;
    while (c->fifo_len && best == NONE) {
        uint32_t id = c->fifo[c->fifo_head].id;
        uint64_t seq = c->fifo[c->fifo_head].seq;
        c->fifo_head = (c->fifo_head + 1) % c->fifo_cap;
        c->fifo_len--;
        const cow_rec *r = &c->recs[id];
        if (r->kind != RV_COW_IO_NONE && r->queued && r->seq == seq)
            best = id;
    }
    if (best == NONE)
        return false;
    cow_rec *r = &c->recs[best];
    r->queued = false;
    c->queued--;
    io->kind = r->kind;
    io->id = best;
    if (r->kind == RV_COW_IO_COMMIT) {
        io->n = r->batch->n;
        io->chunks = r->batch->chunks;
        io->data = r->batch->data;
        io->strict = r->batch->strict;
    } else {
        io->chunk = c->ents[r->ent].chunk;
        io->buf = c->ents[r->ent].buf;
    }
    return true;
}

/* ---- commits */

static bool start_commit(rv_cow *c, bool strict)
{
    if (c->cfg.readonly || (!c->ndirty && !strict))
        return true;
    cow_batch *b = calloc(1, sizeof *b);
    uint32_t n = c->ndirty;
    if (!b)
        return false;
    b->strict = strict;
    b->chunks = malloc((n ? n : 1) * sizeof *b->chunks);
    b->data = calloc(n ? n : 1, sizeof *b->data);
    if (!b->chunks || !b->data)
        goto oom;
    for (uint32_t i = 0, k = 0; i < c->nents && k < n; i++) {
        cow_ent *e = &c->ents[i];
        if (!e->used || !e->dirty)
            continue;
        uint8_t *copy = malloc(c->cfg.chunk_size);
        if (!copy)
            goto oom;
        memcpy(copy, e->buf, c->cfg.chunk_size);
        b->chunks[k] = e->chunk;
        b->data[k] = copy;
        b->n = ++k;
    }
    uint32_t r = rec_new(c, RV_COW_IO_COMMIT);
    if (r == NONE)
        goto oom;
    c->recs[r].batch = b;
    /* Only now that nothing can fail: the copies own the content. */
    for (uint32_t k = 0; k < b->n; k++) {
        cow_ent *e = &c->ents[c->where[b->chunks[k]]];
        e->dirty = false;
        e->pins++;
    }
    c->ndirty -= b->n;
    c->batches_inflight++;
    c->inflight_chunks += b->n;
    c->st.commits++;
    if (c->flushing) {
        b->watched = true;
        c->flush_waits++;
    }
    return true;
oom:
    free_batch(b);
    return false;
}

void rv_cow_commit(rv_cow *c, bool strict)
{
    start_commit(c, strict);
    wake(c);
}

/* ---- guest requests */

/* The running flush is over (done or failed): commits it watched and that
 * are still in flight must not count against the next one. */
static void end_flush(rv_cow *c)
{
    c->flushing = false;
    for (uint32_t i = 0; i < c->nrecs; i++)
        if (c->recs[i].kind == RV_COW_IO_COMMIT)
            c->recs[i].batch->watched = false;
}

static void complete(rv_cow *c, rv_blk_req *req, int status)
{
    if (status == RV_BLK_IOERR)
        c->st.ioerrs++;
    req->complete(req, status);
}

static uint64_t req_len(const rv_blk_req *req)
{
    uint64_t n = 0;
    for (int i = 0; i < req->iovcnt; i++)
        n += req->iov[i].len;
    return n;
}

/* A chunk that needs no I/O to know: past the base and never stored. */
static bool zero_chunk(const rv_cow *c, uint64_t k)
{
    return k >= c->base_chunks && !c->stored[k];
}

/* Brings chunk k in (or starts to). Returns 1 ready, 0 waiting, -1 failed. */
static int need_chunk(rv_cow *c, uint64_t k, bool contents)
{
    uint32_t i = c->where[k];
    if (i != NONE) {
        if (c->ents[i].loading)
            return 0;
        return 1;
    }
    if (!contents || zero_chunk(c, k)) {
        i = ent_new(c, (uint32_t)k);
        if (i == NONE)
            return -1;
        memset(c->ents[i].buf, 0, c->cfg.chunk_size);
        /* Zeros are its content when it is a zero chunk; for a whole-chunk
         * write they are not, so it may not be read (cached) until the
         * write has run. */
        c->ents[i].fresh = !zero_chunk(c, k);
        ent_settle(c, i);
        return 1;
    }
    i = ent_new(c, (uint32_t)k);
    if (i == NONE)
        return -1;
    uint32_t r = rec_new(c, c->stored[k] ? RV_COW_IO_LOAD : RV_COW_IO_BASE);
    if (r == NONE) {
        ent_free(c, i);
        return -1;
    }
    c->recs[r].ent = i;
    c->ents[i].loading = true;
    c->loads_inflight++;
    if (c->stored[k])
        c->st.loads++;
    else
        c->st.base_loads++;
    return 0;
}

/* Is the head request ready to run? 1 yes, 0 waiting, -1 fail it. */
static int prepare(rv_cow *c, rv_blk_req *req)
{
    if (c->head_failed)
        return -1;
    if (req->type == RV_BLK_FLUSH) {
        if (c->cfg.readonly)
            return 1;
        if (!c->flushing) {
            /* It waits for every commit in flight, and its own. */
            c->flushing = true;
            c->flush_failed = false;
            c->flush_waits = 0;
            for (uint32_t i = 0; i < c->nrecs; i++) {
                if (c->recs[i].kind == RV_COW_IO_COMMIT && !c->recs[i].batch->watched) {
                    c->recs[i].batch->watched = true;
                    c->flush_waits++;
                }
            }
            if (!start_commit(c, true)) {
                end_flush(c);
                return -1;
            }
        }
        return c->flush_waits ? 0 : 1;
    }
    uint64_t len = req_len(req);
    if (req->offset > c->cfg.size || len > c->cfg.size - req->offset)
        return -1;
    if (req->type == RV_BLK_WRITE && c->cfg.readonly)
        return -1;
    if (len == 0)
        return 1;
    uint64_t cs = c->cfg.chunk_size;
    uint64_t first = req->offset >> c->shift, last = (req->offset + len - 1) >> c->shift;
    bool write = req->type == RV_BLK_WRITE;
    if (write) {
        /* Room for the chunks it dirties? Dirty chunks and the copies
         * commits in flight hold both count: a slow store makes writes
         * wait, a failing one makes them fail. */
        uint32_t fresh = 0;
        for (uint64_t k = first; k <= last; k++) {
            uint32_t i = c->where[k];
            if (i == NONE || !c->ents[i].dirty)
                fresh++;
        }
        uint32_t held = c->ndirty + c->inflight_chunks;
        if (held && held + fresh > c->cfg.max_dirty) {
            if (c->batches_inflight)
                return 0; /* a commit will make room */
            if (c->failing)
                return -1; /* commits fail: the guest sees it */
            if (!start_commit(c, false))
                return -1;
            return 0;
        }
    }
    /* Loads it asked for are still out: nothing to look at before they are
     * all back (a large request would otherwise be scanned once per load). */
    if (c->loads_inflight)
        return 0;
    int ready = 1;
    for (uint64_t k = first; k <= last; k++) {
        uint64_t lo = k * cs, hi = lo + cs;
        bool whole = req->offset <= lo && req->offset + len >= hi;
        int r = need_chunk(c, k, !(write && whole));
        if (r < 0)
            return -1;
        if (r == 0)
            ready = 0;
    }
    return ready;
}

static void run_rw(rv_cow *c, rv_blk_req *req)
{
    bool write = req->type == RV_BLK_WRITE;
    uint64_t off = req->offset;
    uint32_t cs = c->cfg.chunk_size;
    for (int v = 0; v < req->iovcnt; v++) {
        uint8_t *p = req->iov[v].base;
        size_t left = req->iov[v].len;
        while (left) {
            uint64_t k = off >> c->shift;
            uint32_t within = (uint32_t)(off & (cs - 1));
            uint32_t n = cs - within;
            if (n > left)
                n = (uint32_t)left;
            uint32_t i = c->where[k];
            cow_ent *e = &c->ents[i];
            if (write) {
                memcpy(e->buf + within, p, n);
                if (!e->dirty) {
                    ent_take(c, i); /* off the LRU if it was on it */
                    e->dirty = true;
                    c->ndirty++;
                }
                e->fresh = false;
            } else {
                memcpy(p, e->buf + within, n);
                if (is_clean(e)) { /* most recently used */
                    lru_unlink(c, i);
                    lru_push(c, i);
                }
            }
            p += n;
            left -= n;
            off += n;
        }
    }
}

/* A failed write leaves no placeholder behind. */
static void drop_fresh(rv_cow *c)
{
    for (uint32_t i = 0; i < c->nents; i++)
        if (c->ents[i].used && c->ents[i].fresh)
            ent_free(c, i);
}

static void pump(rv_cow *c)
{
    if (c->pumping)
        return;
    c->pumping = true;
    while (c->q_len) {
        rv_blk_req *req = c->q[c->q_head];
        int r = prepare(c, req);
        if (r == 0)
            break;
        c->q_head = (c->q_head + 1) % c->q_cap;
        c->q_len--;
        int status = RV_BLK_OK;
        if (r < 0) {
            status = RV_BLK_IOERR;
            drop_fresh(c);
        } else if (req->type == RV_BLK_FLUSH) {
            c->st.flushes++;
            if (c->flush_failed)
                status = RV_BLK_IOERR;
        } else {
            run_rw(c, req);
            if (req->type == RV_BLK_WRITE)
                c->st.writes++;
            else
                c->st.reads++;
        }
        if (req->type == RV_BLK_FLUSH)
            end_flush(c);
        c->head_failed = false;
        if (c->ndirty >= c->cfg.commit_chunks)
            start_commit(c, false);
        evict(c);
        complete(c, req, status);
    }
    c->pumping = false;
    wake(c);
}

void rv_cow_submit(rv_cow *c, rv_blk_req *req)
{
    if (req->type != RV_BLK_READ && req->type != RV_BLK_WRITE && req->type != RV_BLK_FLUSH) {
        req->complete(req, RV_BLK_UNSUPP);
        return;
    }
    if (c->q_len == c->q_cap) {
        uint32_t cap = c->q_cap ? 2 * c->q_cap : 64;
        rv_blk_req **n = malloc(cap * sizeof *n);
        if (!n) {
            complete(c, req, RV_BLK_IOERR);
            return;
        }
        for (uint32_t i = 0; i < c->q_len; i++)
            n[i] = c->q[(c->q_head + i) % c->q_cap];
        free(c->q);
        c->q = n;
        c->q_cap = cap;
        c->q_head = 0;
    }
    c->q[(c->q_head + c->q_len) % c->q_cap] = req;
    c->q_len++;
    pump(c);
}

static void cow_blk_submit(void *opaque, rv_blk_req *req)
{
    rv_cow_submit(opaque, req);
}

rv_blockdev rv_cow_blockdev(rv_cow *c)
{
    rv_blockdev b = {
        .opaque = c, .size = c->cfg.size, .readonly = c->cfg.readonly, .submit = cow_blk_submit};
    return b;
}

void rv_cow_io_done(rv_cow *c, uint32_t id, int status)
{
    if (id >= c->nrecs || c->recs[id].kind == RV_COW_IO_NONE || c->recs[id].queued)
        return; /* unknown, or never handed out: ignore */
    cow_rec *r = &c->recs[id];
    if (r->kind == RV_COW_IO_COMMIT) {
        cow_batch *b = r->batch;
        for (uint32_t k = 0; k < b->n; k++) {
            uint32_t i = c->where[b->chunks[k]];
            cow_ent *e = &c->ents[i];
            e->pins--;
            if (status == 0) {
                if (!c->stored[e->chunk]) {
                    c->stored[e->chunk] = 1;
                    c->nstored++;
                }
            } else if (!e->dirty) {
                e->dirty = true; /* its content is newest: keep it for the next commit */
                c->ndirty++;
            }
            ent_settle(c, i);
        }
        if (status == 0)
            c->st.committed_chunks += b->n;
        else
            c->st.commit_failures++;
        c->failing = status != 0;
        if (b->watched && c->flushing) {
            c->flush_waits--;
            if (status != 0)
                c->flush_failed = true;
        }
        c->batches_inflight--;
        c->inflight_chunks -= b->n;
        free_batch(b);
        rec_free(c, id);
    } else {
        uint32_t i = r->ent;
        uint64_t k = c->ents[i].chunk, lo, hi;
        rec_free(c, id);
        c->loads_inflight--;
        if (status == 0) {
            c->ents[i].loading = false;
            ent_settle(c, i);
        } else {
            ent_free(c, i);
            /* Only the head request waits on loads; fail it if it wanted
             * this chunk (a later one that does will ask again). */
            if (head_span(c, &lo, &hi) && k >= lo && k <= hi)
                c->head_failed = true;
        }
    }
    pump(c);
    /* Pinned chunks a commit released may be over the cache's limit. While
     * a request waits for its loads, its chunks must stay anyway: evicting
     * then would walk them all for each load that completes. */
    if (!c->q_len)
        evict(c);
}

bool rv_cow_idle(const rv_cow *c)
{
    if (c->q_len || c->ndirty || c->batches_inflight)
        return false;
    for (uint32_t i = 0; i < c->nrecs; i++)
        if (c->recs[i].kind != RV_COW_IO_NONE)
            return false;
    return true;
}

uint32_t rv_cow_dirty(const rv_cow *c)
{
    return c->ndirty;
}

bool rv_cow_failing(const rv_cow *c)
{
    return c->failing;
}

void rv_cow_get_stats(const rv_cow *c, rv_cow_stats *s)
{
    *s = c->st;
    s->cached = c->nclean;
    s->dirty = c->ndirty;
    s->stored = c->nstored;
    s->inflight = c->batches_inflight;
    s->waiting = c->q_len;
}
