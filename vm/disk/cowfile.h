/* The copy-on-write engine's file store: a disk's overlay as one file of
 * chunk slots and an index. The CLI keeps it in a host file
 * (`--disk IMG,overlay=FILE`, vm/cli/disk_overlay.c); the browser keeps the
 * same format in an OPFS file through a synchronous access handle
 * (worker/cow_api.c, worker/disk/store-opfs.mjs). The file itself is reached
 * only through rv_file_ops, so this code does no I/O of its own.
 *
 * Layout (little-endian):
 *
 *   0       header, 4 KiB: magic "RVVMOVL1", u32 version, u32 chunk size,
 *           u64 disk size, u64 base size, u64 base fingerprint,
 *           u64 chunk count, u64 index offset, u64 data offset
 *   4096    index: one u32 per chunk, 0 = the chunk is the base's,
 *           n = the chunk lives in data slot n-1
 *   data    slots of one chunk each
 *
 * A commit never writes a slot the on-disk index may name: every chunk of
 * it goes to a free slot, those are made durable (sync), and only then are
 * the changed index pages written (and synced again for a strict, flushing
 * commit). So an index entry on disk only ever names a slot whose data is
 * durable, each chunk is its old or its new content after a crash, and the
 * file is never inconsistent. The slot a chunk's old content used is reused
 * only after the index no longer naming it is durable. Entries are 4-byte
 * aligned inside 512-byte sectors, so even a torn index page write leaves
 * each entry old or new. */
#ifndef RV_DISK_COWFILE_H
#define RV_DISK_COWFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/cow.h"

/* The file, as the host has it open. Each returns false on an error. */
typedef struct rv_file_ops {
    bool (*read)(void *opaque, uint64_t off, void *buf, size_t len); /* zeros past the end */
    bool (*write)(void *opaque, uint64_t off, const void *buf, size_t len);
    bool (*sync)(void *opaque); /* everything written so far is durable */
    bool (*truncate)(void *opaque, uint64_t size);
    bool (*size)(void *opaque, uint64_t *size);
    void *opaque;
} rv_file_ops;

typedef struct rv_cowfile_params {
    uint64_t size;      /* bytes the guest sees */
    uint64_t base_size; /* bytes of the base image */
    uint64_t base_fp;   /* the base's fingerprint (rv_cowfile_fingerprint) */
    uint32_t chunk_size;
    bool readonly;
} rv_cowfile_params;

enum rv_cowfile_err {
    RV_COWFILE_OK,
    RV_COWFILE_EIO,      /* the file could not be read or written */
    RV_COWFILE_ENOMEM,   /* no memory */
    RV_COWFILE_EFORMAT,  /* not an overlay file, or another version/geometry */
    RV_COWFILE_EBASE,    /* made over another base image */
    RV_COWFILE_EDAMAGED, /* its index is inconsistent */
    RV_COWFILE_EEMPTY,   /* empty, and read-only here (nothing to create) */
    RV_COWFILE_EPARAM,   /* bad parameters */
};

typedef struct rv_cowfile rv_cowfile;

/* FNV-1a: what the header keeps to recognise its base (the CLI hashes the
 * base's first MiB, the browser its base's id). */
uint64_t rv_cowfile_fingerprint(const void *data, size_t len);

/* Opens the overlay in ops (an empty file, or one whose header is all zero
 * after a crash while creating it, is created unless read-only). NULL with
 * *why set on failure; ops must outlive the store. */
rv_cowfile *rv_cowfile_open(const rv_file_ops *ops, const rv_cowfile_params *p, int *why);
void rv_cowfile_close(rv_cowfile *f); /* the file stays the host's to close */

/* Tells the engine which chunks the file holds (before any request). */
void rv_cowfile_mark(const rv_cowfile *f, rv_cow *c);
bool rv_cowfile_has(const rv_cowfile *f, uint32_t chunk);
uint64_t rv_cowfile_stored(const rv_cowfile *f); /* chunks the index names */

/* Answers the engine's LOAD or COMMIT: the status for rv_cow_io_done. */
int rv_cowfile_serve(rv_cowfile *f, const rv_cow_io *io);

/* A short text for an error code. */
const char *rv_cowfile_strerror(int why);

#endif
