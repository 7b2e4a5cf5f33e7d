/* The copy-on-write disk engine: a read-only base image under a sparse,
 * writable overlay kept in fixed-size chunks. This is the one place the
 * overlay's logic lives, for the CLI (`--disk IMG,overlay=FILE`,
 * vm/cli/disk_overlay.c) and for the browser (worker/disk/, IndexedDB or
 * OPFS), so both keep the same promises:
 *
 *   - guest requests run one at a time, in order: a read sees every earlier
 *     write; a write lands in memory whole (partial chunks merged with their
 *     old content first);
 *   - dirty chunks go to the store in commits, all of a commit or none of it
 *     (the store's job); a background commit starts when enough is dirty or
 *     when the host asks (a timer);
 *   - a guest FLUSH starts a durable ("strict") commit and completes only
 *     when it and every commit before it have completed; a failed commit
 *     makes the flush fail (the guest sees an I/O error) and leaves its
 *     chunks dirty for the next one;
 *   - memory is bounded: clean chunks are cached up to a limit; when dirty
 *     chunks reach their limit, writes wait for the commits in flight, or
 *     fail with an I/O error when commits are failing.
 *
 * The engine does no I/O and has no clock. It asks its host for chunks and
 * commits through a queue the host drains (rv_cow_next_io) and answers
 * (rv_cow_io_done), at once (a file) or later (IndexedDB, HTTP), loads in
 * any order, commits in the order they were handed out. The wake
 * callback says new I/O is queued. Single-threaded: every call happens on
 * the thread that runs the machine, and rv_cow_io_done never from inside
 * machine_run. */
#ifndef RV_DISK_COW_H
#define RV_DISK_COW_H

#include <stdbool.h>
#include <stdint.h>

#include "host.h"

typedef struct rv_cow rv_cow;

enum rv_cow_io_kind {
    RV_COW_IO_NONE,
    RV_COW_IO_BASE,   /* fill buf with base chunk `chunk` (zeros past the base's end) */
    RV_COW_IO_LOAD,   /* fill buf with stored overlay chunk `chunk` */
    RV_COW_IO_COMMIT, /* store chunks[0..n) with data[0..n), all or none */
};

typedef struct rv_cow_io {
    int kind;    /* enum rv_cow_io_kind */
    uint32_t id; /* give back to rv_cow_io_done */
    uint32_t chunk;
    uint8_t *buf; /* chunk_size bytes, valid until done */
    uint32_t n;
    const uint32_t *chunks;
    uint8_t *const *data; /* copies, valid until done */
    bool strict;          /* durable before done (a guest flush) */
} rv_cow_io;

typedef struct rv_cow_config {
    uint64_t size;       /* bytes the guest sees, a non-zero multiple of 512 */
    uint64_t base_size;  /* chunks wholly past it are zeros without asking */
    uint32_t chunk_size; /* a power of two, 4 KiB .. 16 MiB */
    bool readonly;
    uint32_t cache_chunks;      /* clean chunks kept in memory (0: 256) */
    uint32_t commit_chunks;     /* dirty chunks that start a commit (0: 128) */
    uint32_t max_dirty;         /* dirty chunks at most (0: 8 x commit_chunks) */
    void (*wake)(void *opaque); /* I/O was queued; NULL: the host polls */
    void *opaque;
} rv_cow_config;

typedef struct rv_cow_stats {
    uint64_t reads, writes, flushes, ioerrs;
    uint64_t base_loads, loads, commits, commit_failures, committed_chunks;
    uint32_t cached, dirty, stored, inflight;
    uint32_t waiting; /* guest requests queued (the head may wait for I/O) */
} rv_cow_stats;

/* NULL on a bad configuration or no memory; err (may be NULL) says why. */
rv_cow *rv_cow_create(const rv_cow_config *cfg, char *err, size_t errlen);
/* Outstanding requests are dropped (not completed). */
void rv_cow_destroy(rv_cow *c);

uint64_t rv_cow_chunks(const rv_cow *c);
/* Before any request: chunk is in the store (its reads go there). */
bool rv_cow_mark_stored(rv_cow *c, uint32_t chunk);
bool rv_cow_is_stored(const rv_cow *c, uint32_t chunk);

/* The guest's side: a block device for machine_attach_disk. */
rv_blockdev rv_cow_blockdev(rv_cow *c);
/* The same entry point, for hosts that read or write without a guest. */
void rv_cow_submit(rv_cow *c, rv_blk_req *req);

/* The store's side. */
bool rv_cow_next_io(rv_cow *c, rv_cow_io *io);
/* status 0 = done; anything else = failed (the request, or the commit) */
void rv_cow_io_done(rv_cow *c, uint32_t id, int status);

/* Starts a commit of every dirty chunk now (the host's timer, or closing);
 * strict = durable. Nothing dirty and not strict: nothing happens. */
void rv_cow_commit(rv_cow *c, bool strict);
/* No request queued, no I/O outstanding or queued, nothing dirty. */
bool rv_cow_idle(const rv_cow *c);
uint32_t rv_cow_dirty(const rv_cow *c);
/* Did the last finished commit fail? (Cleared by one that succeeds.) */
bool rv_cow_failing(const rv_cow *c);
void rv_cow_get_stats(const rv_cow *c, rv_cow_stats *s);

#endif
