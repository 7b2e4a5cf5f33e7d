/* SiFive CLINT (core-local interruptor) at 0x02000000, as QEMU virt. */
#ifndef RV_CLINT_H
#define RV_CLINT_H

#include <stdint.h>

#include "bus.h"

/* The guest's time base: 10 MHz ticks (timebase-frequency). */
typedef struct rv_clock {
    uint64_t (*mtime)(void *ctx);
    void *ctx;
} rv_clock;

typedef struct clint clint;

/* msip and mtip are arrays of nharts lines (copied). */
clint *clint_create(int nharts, const rv_irq_line *msip, const rv_irq_line *mtip, rv_clock clock);
rv_device clint_device(clint *c, uint64_t base); /* size 0x10000; .destroy frees */
/* Re-evaluates MTIP (mtime >= mtimecmp) for every hart now; the machine
 * calls this at slice boundaries. */
void clint_update(clint *c);
/* Smallest mtimecmp (guest mtime ticks, after the mtime offset) over harts
 * whose MTIP is not raised yet; UINT64_MAX if none. */
uint64_t clint_next_deadline(clint *c);
/* The guest-visible mtime (clock + the offset written by the guest). */
uint64_t clint_mtime(clint *c);
/* Adds clint@<base> under /soc; intc_phandles[h] is hart h's cpu-intc. */
int clint_fdt(void *fdt, int soc, uint64_t base, int nharts, const uint32_t *intc_phandles);

#endif
