/* The copy-on-write disk engine (vm/disk/cow.c) for JavaScript: the
 * browser's disks (worker/disk/cowdisk.mjs) run the same engine as the CLI,
 * with JS answering its I/O from IndexedDB, OPFS and HTTP.
 *
 * An engine serves a machine's virtio-blk (vm_add_disk_cow in wasm_api.c,
 * which then owns it) or stands alone (the disk manager's export, tests),
 * reading and writing through cow_request. JS hears of queued I/O through
 * Module.wvmHooks.cowWake(handle) and of finished standalone requests
 * through Module.wvmHooks.cowDone(handle, id, status).
 *
 * A disk whose overlay lives in OPFS keeps it in the CLI's overlay file
 * format (vm/disk/cowfile.c): the file is a synchronous access handle in JS
 * (worker/disk/store-opfs.mjs), reached through Module.wvmHooks.fileRead,
 * fileWrite, fileSync, fileTruncate and fileSize, and cow_serve answers the
 * engine's loads and commits from it at once. */
#include <emscripten.h>
#include <stdlib.h>
#include <string.h>

#include "disk/cow.h"
#include "disk/cowfile.h"

#define API EMSCRIPTEN_KEEPALIVE

EM_JS(void, js_cow_wake, (int handle), {
    var h = Module['wvmHooks'];
    if (h && h.cowWake)
        h.cowWake(handle);
});

EM_JS(void, js_cow_done, (int handle, int id, int status), {
    var h = Module['wvmHooks'];
    if (h && h.cowDone)
        h.cowDone(handle, id, status);
});

static void wake(void *opaque)
{
    js_cow_wake((int)(intptr_t)opaque);
}

/* NULL on a bad configuration (JS checks sizes first, so that is a bug or
 * no memory). */
API rv_cow *cow_open(double size, double base_size, int chunk_size, int readonly, int handle,
                     int cache_chunks)
{
    rv_cow_config cfg = {.size = (uint64_t)size,
                         .base_size = (uint64_t)base_size,
                         .chunk_size = (uint32_t)chunk_size,
                         .readonly = readonly != 0,
                         .cache_chunks = (uint32_t)cache_chunks,
                         .wake = wake,
                         .opaque = (void *)(intptr_t)handle};
    return rv_cow_create(&cfg, NULL, 0);
}

API void cow_close(rv_cow *c)
{
    rv_cow_destroy(c);
}

API int cow_mark_stored(rv_cow *c, int chunk)
{
    return chunk >= 0 && rv_cow_mark_stored(c, (uint32_t)chunk);
}

/* Fills out[0..7] = kind, id, chunk, buf, n, chunks, data, strict (wasm32:
 * pointers are 32-bit); returns 0 when nothing is queued. */
API int cow_next_io(rv_cow *c, int32_t *out)
{
    rv_cow_io io;
    if (!rv_cow_next_io(c, &io))
        return 0;
    out[0] = io.kind;
    out[1] = (int32_t)io.id;
    out[2] = (int32_t)io.chunk;
    out[3] = (int32_t)(intptr_t)io.buf;
    out[4] = (int32_t)io.n;
    out[5] = (int32_t)(intptr_t)io.chunks;
    out[6] = (int32_t)(intptr_t)io.data;
    out[7] = io.strict;
    return 1;
}

API void cow_io_done(rv_cow *c, int id, int status)
{
    rv_cow_io_done(c, (uint32_t)id, status);
}

API void cow_commit(rv_cow *c, int strict)
{
    rv_cow_commit(c, strict != 0);
}

API int cow_idle(rv_cow *c)
{
    return rv_cow_idle(c);
}

API int cow_dirty(rv_cow *c)
{
    return (int)rv_cow_dirty(c);
}

API int cow_failing(rv_cow *c)
{
    return rv_cow_failing(c);
}

/* out[0..12] = reads, writes, flushes, ioerrs, base_loads, loads, commits,
 * commit_failures, committed_chunks, cached, dirty, stored, inflight, waiting */
API void cow_stats(rv_cow *c, double *out)
{
    rv_cow_stats s;
    rv_cow_get_stats(c, &s);
    double v[] = {(double)s.reads,    (double)s.writes,          (double)s.flushes,
                  (double)s.ioerrs,   (double)s.base_loads,      (double)s.loads,
                  (double)s.commits,  (double)s.commit_failures, (double)s.committed_chunks,
                  (double)s.cached,   (double)s.dirty,           (double)s.stored,
                  (double)s.inflight, (double)s.waiting};
    memcpy(out, v, sizeof v);
}

typedef struct js_req {
    rv_blk_req r;
    rv_iovec v;
    int handle, id;
} js_req;

static void js_req_complete(rv_blk_req *r, int status)
{
    js_req *q = (js_req *)r;
    int handle = q->handle, id = q->id;
    free(q);
    js_cow_done(handle, id, status);
}

/* A read, write or flush from JS; buf stays JS's until cowDone (which may
 * come before this returns). Returns 0 when out of memory. */
API int cow_request(rv_cow *c, int handle, int id, int type, double offset, uint8_t *buf,
                    double len)
{
    js_req *q = calloc(1, sizeof *q);
    if (!q)
        return 0;
    q->handle = handle;
    q->id = id;
    q->v = (rv_iovec){.base = buf, .len = (size_t)len};
    q->r = (rv_blk_req){.type = type,
                        .offset = (uint64_t)offset,
                        .iov = &q->v,
                        .iovcnt = type == RV_BLK_FLUSH ? 0 : 1,
                        .complete = js_req_complete};
    rv_cow_submit(c, &q->r);
    return 1;
}

/* ---- the overlay file store over a JS file (OPFS) */

EM_JS(int, js_file_read, (int handle, uint8_t *buf, double len, double off), {
    var h = Module['wvmHooks'];
    return h && h.fileRead ? h.fileRead(handle, buf, len, off) : 0;
});

EM_JS(int, js_file_write, (int handle, const uint8_t *buf, double len, double off), {
    var h = Module['wvmHooks'];
    return h && h.fileWrite ? h.fileWrite(handle, buf, len, off) : 0;
});

EM_JS(int, js_file_sync, (int handle), {
    var h = Module['wvmHooks'];
    return h && h.fileSync ? h.fileSync(handle) : 0;
});

EM_JS(int, js_file_truncate, (int handle, double size), {
    var h = Module['wvmHooks'];
    return h && h.fileTruncate ? h.fileTruncate(handle, size) : 0;
});

EM_JS(double, js_file_size, (int handle), {
    var h = Module['wvmHooks'];
    return h && h.fileSize ? h.fileSize(handle) : -1;
});

typedef struct js_file {
    int handle;
    rv_file_ops ops;
    rv_cowfile *f;
} js_file;

static bool jf_read(void *o, uint64_t off, void *buf, size_t len)
{
    return js_file_read(((js_file *)o)->handle, buf, (double)len, (double)off) != 0;
}

static bool jf_write(void *o, uint64_t off, const void *buf, size_t len)
{
    return js_file_write(((js_file *)o)->handle, buf, (double)len, (double)off) != 0;
}

static bool jf_sync(void *o)
{
    return js_file_sync(((js_file *)o)->handle) != 0;
}

static bool jf_truncate(void *o, uint64_t size)
{
    return js_file_truncate(((js_file *)o)->handle, (double)size) != 0;
}

static bool jf_size(void *o, uint64_t *size)
{
    double n = js_file_size(((js_file *)o)->handle);
    if (n < 0)
        return false;
    *size = (uint64_t)n;
    return true;
}

/* Opens (creating when empty) the overlay in JS file `handle`; base_id
 * names the base image (its fingerprint guards against another base).
 * NULL with *why (enum rv_cowfile_err) on failure. */
API js_file *cowfile_open(int handle, double size, double base_size, const char *base_id,
                          int chunk_size, int readonly, int *why)
{
    js_file *j = calloc(1, sizeof *j);
    if (!j) {
        *why = RV_COWFILE_ENOMEM;
        return NULL;
    }
    j->handle = handle;
    j->ops = (rv_file_ops){.read = jf_read,
                           .write = jf_write,
                           .sync = jf_sync,
                           .truncate = jf_truncate,
                           .size = jf_size,
                           .opaque = j};
    rv_cowfile_params p = {.size = (uint64_t)size,
                           .base_size = (uint64_t)base_size,
                           .base_fp = rv_cowfile_fingerprint(base_id, strlen(base_id)),
                           .chunk_size = (uint32_t)chunk_size,
                           .readonly = readonly != 0};
    j->f = rv_cowfile_open(&j->ops, &p, why);
    if (!j->f) {
        free(j);
        return NULL;
    }
    return j;
}

API void cowfile_close(js_file *j)
{
    if (!j)
        return;
    rv_cowfile_close(j->f);
    free(j);
}

/* Chunks the file holds. */
API double cowfile_stored(js_file *j)
{
    return (double)rv_cowfile_stored(j->f);
}

API void cowfile_mark(js_file *j, rv_cow *c)
{
    rv_cowfile_mark(j->f, c);
}

/* Takes the engine's queued I/O, answering loads and commits from the file
 * at once, until one for the base turns up: that one goes to JS in out[]
 * as cow_next_io does (returns 1); 0 when nothing is left. *committed
 * counts commits answered, *failed those that failed. */
API int cow_serve(rv_cow *c, js_file *j, int32_t *out, int32_t *counts)
{
    rv_cow_io io;
    while (rv_cow_next_io(c, &io)) {
        if (io.kind == RV_COW_IO_BASE) {
            out[0] = io.kind;
            out[1] = (int32_t)io.id;
            out[2] = (int32_t)io.chunk;
            out[3] = (int32_t)(intptr_t)io.buf;
            out[4] = out[5] = out[6] = out[7] = 0;
            return 1;
        }
        int status = rv_cowfile_serve(j->f, &io);
        if (io.kind == RV_COW_IO_COMMIT) {
            counts[0]++;
            counts[1] += status != 0;
        }
        rv_cow_io_done(c, io.id, status);
    }
    return 0;
}
