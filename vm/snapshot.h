/* Snapshots: one visitor serves save and load, so a field added to a device
 * is saved and restored by the same line. The format is named fields:
 *   "RVSN" u32 version, then records { u16 name_len, name, u32 len, data },
 * little-endian. Loading looks fields up by name, so a newer build can read
 * an older snapshot (missing fields keep their reset values). */
#ifndef RV_SNAPSHOT_H
#define RV_SNAPSHOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RV_SNAP_VERSION 1

typedef struct rv_snap {
    bool loading;
    bool error;         /* out of memory, truncated or malformed input */
    char prefix[64];    /* section name, prepended to field names */
    uint8_t *buf;       /* save: grows; load: the input */
    size_t len, cap;
} rv_snap;

void snap_init_save(rv_snap *s);
/* Parses the header; returns false (and sets error) on a bad magic/version. */
bool snap_init_load(rv_snap *s, const uint8_t *data, size_t len);
void snap_free(rv_snap *s); /* frees the save buffer */

void snap_section(rv_snap *s, const char *name);
void snap_bytes(rv_snap *s, const char *name, void *p, size_t len);
void snap_u64(rv_snap *s, const char *name, uint64_t *v);
void snap_u32(rv_snap *s, const char *name, uint32_t *v);
void snap_u8(rv_snap *s, const char *name, uint8_t *v);
void snap_bool(rv_snap *s, const char *name, bool *v);

#endif
