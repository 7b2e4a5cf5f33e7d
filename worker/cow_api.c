/* The copy-on-write disk engine (vm/disk/cow.c) for JavaScript: the
 * browser's disks (worker/disk/cowdisk.mjs) run the same engine as the CLI,
 * with JS answering its I/O from IndexedDB, OPFS and HTTP.
 *
 * An engine serves a machine's virtio-blk (vm_add_disk_cow in wasm_api.c,
 * which then owns it) or stands alone (the disk manager's export, tests),
 * reading and writing through cow_request. JS hears of queued I/O through
 * Module.wvmHooks.cowWake(handle) and of finished standalone requests
 * through Module.wvmHooks.cowDone(handle, id, status). */
#include <emscripten.h>
#include <stdlib.h>
#include <string.h>

#include "disk/cow.h"

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
