/* The virt board's device tree, generated at boot from what is attached.
 * Mirrors QEMU's virt machine (hw/riscv/virt.c) so Linux, OpenSBI and xv6
 * find the devices where they expect them. */
#ifndef RV_FDT_BOARD_H
#define RV_FDT_BOARD_H

#include <stddef.h>
#include <stdint.h>

typedef struct rv_board_desc {
    uint64_t ram_base, ram_size;
    int nharts;
    const char *isa;                   /* e.g. "rv64imafdc_zicsr_zifencei_..._sstc" */
    const char *mmu_type;              /* "riscv,sv48" */
    uint32_t timebase;                 /* 10000000 */
    const char *bootargs;              /* may be NULL */
    uint64_t initrd_start, initrd_end; /* 0,0 = none */
    uint32_t virtio_mask; /* bit n: slot n (0x10001000 + n*0x1000, irq 1+n) populated */
} rv_board_desc;

/* The fixed part of the memory map these nodes describe. */
#define RV_BOARD_SYSCON_BASE 0x00100000ull
#define RV_BOARD_RTC_BASE 0x00101000ull
#define RV_BOARD_CLINT_BASE 0x02000000ull
#define RV_BOARD_PLIC_BASE 0x0c000000ull
#define RV_BOARD_UART_BASE 0x10000000ull
#define RV_BOARD_VIRTIO_BASE 0x10001000ull
#define RV_BOARD_VIRTIO_STRIDE 0x1000ull
#define RV_BOARD_UART_IRQ 10
#define RV_BOARD_RTC_IRQ 11
#define RV_BOARD_VIRTIO_IRQ0 1
#define RV_BOARD_VIRTIO_SLOTS 8
#define RV_BOARD_PLIC_NDEV 95

/* Writes the tree into buf; returns its size, or -1 with a message in err.
 * 64 KiB is plenty for 8 harts. */
int fdt_board_build(const rv_board_desc *d, void *buf, size_t buflen, char *err, size_t errlen);

/* Helpers for the device files' own node writers. */
/* Adds "name@<base in hex>" under parent with reg = <base size> in two
 * address and two size cells (the virt /soc bus). Returns the node offset or
 * a negative libfdt error. */
int fdt_board_add_mmio_node(void *fdt, int parent, const char *name, uint64_t base, uint64_t size);
/* interrupt-parent = <plic>, interrupts = <irq>. Returns 0 or a libfdt error. */
int fdt_board_add_irq(void *fdt, int node, uint32_t plic_phandle, int irq);

#endif
