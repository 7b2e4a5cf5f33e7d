/* 16550A UART, as QEMU virt's serial@10000000 (irq 10, reg-shift 0,
 * reg-io-width 1). */
#ifndef RV_UART16550_H
#define RV_UART16550_H

#include <stdint.h>

#include "bus.h"
#include "host.h"

typedef struct uart16550 uart16550;

/* The console struct is copied; its opaque must outlive the UART. */
uart16550 *uart16550_create(const rv_chardev *console, rv_irq_line irq);
/* The MMIO descriptor (size 0x100); .destroy flushes and frees. */
rv_device uart16550_device(uart16550 *u, uint64_t base);
/* Hands buffered guest output to console->write now (poll() also does). */
void uart16550_flush(uart16550 *u);
/* Adds serial@<base> under the /soc node. Returns 0 or a libfdt error. */
int uart16550_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq);

#endif
