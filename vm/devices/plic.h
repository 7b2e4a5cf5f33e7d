/* SiFive PLIC as QEMU virt wires it: 0x0c000000, two contexts per hart
 * (M = 2h, S = 2h+1), sources 1..ndev. */
#ifndef RV_PLIC_H
#define RV_PLIC_H

#include <stdint.h>

#include "bus.h"

typedef struct plic plic;

/* nsources is the highest source id (riscv,ndev; the virt board uses 95):
 * sources 1..nsources exist, source 0 is reserved. context_out[c] (copied)
 * drives MEIP or SEIP of a hart. At most 1023 sources and 15872 contexts. */
plic *plic_create(int nsources, int ncontexts, const rv_irq_line *context_out);
/* The level-triggered line a device drives; source 1..nsources. */
rv_irq_line plic_input(plic *p, int source);
rv_device plic_device(plic *p, uint64_t base); /* size 0x600000; .destroy frees */
/* Adds plic@<base> under /soc; M then S external interrupt per hart. */
int plic_fdt(void *fdt, int soc, uint64_t base, int ndev, int nharts, const uint32_t *intc_phandles,
             uint32_t phandle);

#endif
