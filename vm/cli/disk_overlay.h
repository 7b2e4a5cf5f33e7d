/* Copy-on-write disks for the CLI: `--disk base.img,overlay=FILE`.
 *
 * The guest sees base.img, which is never written; what it writes goes to
 * FILE in 64 KiB chunks, sparse (only chunks written are stored). The
 * overlay's logic is the core's copy-on-write engine (vm/disk/cow.c), the
 * same one the browser's disks run in wasm; this is its file store: a FLUSH
 * completes only once every earlier write is durable, and a crash never
 * leaves the overlay's structure inconsistent. */
#ifndef RV_CLI_DISK_OVERLAY_H
#define RV_CLI_DISK_OVERLAY_H

#include <stdbool.h>
#include <stddef.h>

#include "host.h"

typedef struct disk_overlay disk_overlay;

/* Is spec of the form "IMG,overlay=FILE"? */
bool disk_overlay_is_spec(const char *spec);

/* Opens base (read-only, shared lock) under overlay (created when missing or
 * empty; exclusive lock unless readonly). Returns NULL with a message in err
 * when a file is missing, the overlay was made over another base, or it is
 * in use by another VM. */
disk_overlay *disk_overlay_open(const char *base, const char *overlay, bool readonly, char *err,
                                size_t errlen);

/* The same from "IMG,overlay=FILE". */
disk_overlay *disk_overlay_open_spec(const char *spec, bool readonly, char *err, size_t errlen);

rv_blockdev disk_overlay_blockdev(disk_overlay *d);

/* Makes every write durable (as a guest flush) and closes. */
void disk_overlay_close(disk_overlay *d);

#endif
