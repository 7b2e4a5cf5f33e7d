/* The device side of the board: MMIO descriptors, interrupt lines, DMA.
 * Devices include this and vm/host.h, never the hart or another device. */
#ifndef RV_BUS_H
#define RV_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

/* An interrupt line: a device drives it with rv_irq_set() from its single
 * update_irq(); whoever wired it (PLIC input, hart mip bit) receives it. */
typedef struct rv_irq_line {
    void (*set)(void *ctx, uint32_t num, int level);
    void *ctx;
    uint32_t num;
} rv_irq_line;

static inline void rv_irq_set(const rv_irq_line *l, int level)
{
    if (l->set)
        l->set(l->ctx, l->num, level);
}

/* Guest-physical memory as seen by a DMA-capable device. */
typedef struct rv_dma {
    void *ctx;
    /* Host pointer for guest-physical [pa, pa+len) when the whole range lies
     * in RAM, else NULL (the device then reports an error to the guest). */
    uint8_t *(*map)(void *ctx, uint64_t pa, uint64_t len);
    /* Tell the hart that [pa, pa+len) was written behind its back, so
     * decoded instructions there are dropped. Call after every DMA write. */
    void (*dirty)(void *ctx, uint64_t pa, uint64_t len);
} rv_dma;

/* One memory-mapped device. off is relative to base; len is 1, 2, 4 or 8.
 * read/write return false for an access the device rejects: the hart then
 * raises an access fault. snapshot() visits the device's guest state, both
 * for saving and for loading (see snapshot.h). poll() is called at slice
 * boundaries for work that does not come from an MMIO access (console
 * input, received frames, deferred completions). */
typedef struct rv_device {
    const char *name;
    uint64_t base, size;
    void *opaque;
    bool (*read)(void *opaque, uint64_t off, unsigned len, uint64_t *val);
    bool (*write)(void *opaque, uint64_t off, unsigned len, uint64_t val);
    void (*reset)(void *opaque);
    void (*snapshot)(void *opaque, rv_snap *s);
    void (*poll)(void *opaque);
    void (*destroy)(void *opaque);
} rv_device;

#endif
