/* Builds the virt board's flattened device tree with libfdt's read-write
 * API (only its public interface: the web build compiles libfdt from
 * source). The shape follows QEMU 7.2's virt machine and the Devicetree
 * Specification v0.4 (§3 base nodes, §2.3 standard properties); each device
 * file writes its own node and this file puts the board together.
 *
 * fdt_add_subnode() inserts a node before its existing siblings, so nodes
 * are added in reverse of the order they should appear in. */
#include "fdt_board.h"

#include <inttypes.h>
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>

#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart16550.h"
#include "devices/virtio.h"

#define MAX_HARTS 64

int fdt_board_add_mmio_node(void *fdt, int parent, const char *name, uint64_t base, uint64_t size)
{
    char full[64];
    snprintf(full, sizeof(full), "%s@%" PRIx64, name, base);
    int node = fdt_add_subnode(fdt, parent, full);
    if (node < 0)
        return node;
    fdt64_t reg[2] = {cpu_to_fdt64(base), cpu_to_fdt64(size)};
    int err = fdt_setprop(fdt, node, "reg", reg, sizeof(reg));
    return err ? err : node;
}

int fdt_board_add_irq(void *fdt, int node, uint32_t plic_phandle, int irq)
{
    int err = fdt_setprop_u32(fdt, node, "interrupt-parent", plic_phandle);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "interrupts", (uint32_t)irq);
    return err;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* One cpu@N node with its interrupt controller (riscv/cpus.yaml). */
static int add_cpu(void *fdt, int cpus, const rv_board_desc *d, int h, uint32_t intc_phandle)
{
    char name[32];
    snprintf(name, sizeof(name), "cpu@%d", h);
    int cpu = fdt_add_subnode(fdt, cpus, name);
    if (cpu < 0)
        return cpu;
    int err = fdt_setprop_string(fdt, cpu, "device_type", "cpu");
    if (!err)
        err = fdt_setprop_u32(fdt, cpu, "reg", (uint32_t)h);
    if (!err)
        err = fdt_setprop_string(fdt, cpu, "status", "okay");
    if (!err)
        err = fdt_setprop_string(fdt, cpu, "compatible", "riscv");
    if (!err)
        err = fdt_setprop_string(fdt, cpu, "riscv,isa", d->isa);
    if (!err)
        err = fdt_setprop_string(fdt, cpu, "mmu-type", d->mmu_type);
    if (err)
        return err;
    int intc = fdt_add_subnode(fdt, cpu, "interrupt-controller");
    if (intc < 0)
        return intc;
    err = fdt_setprop_u32(fdt, intc, "#interrupt-cells", 1);
    if (!err)
        err = fdt_setprop_empty(fdt, intc, "interrupt-controller");
    if (!err)
        err = fdt_setprop_string(fdt, intc, "compatible", "riscv,cpu-intc");
    if (!err)
        err = fdt_setprop_u32(fdt, intc, "phandle", intc_phandle);
    return err;
}

static int soc_offset(const void *fdt)
{
    return fdt_path_offset(fdt, "/soc");
}

static int build(const rv_board_desc *d, void *fdt, size_t buflen)
{
    /* Phandles: 1..n the harts' cpu-intc, then the PLIC and the syscon. */
    uint32_t intc[MAX_HARTS];
    for (int h = 0; h < d->nharts; h++)
        intc[h] = 1 + (uint32_t)h;
    uint32_t plic_ph = (uint32_t)d->nharts + 1, syscon_ph = plic_ph + 1;

    int err = fdt_create_empty_tree(fdt, (int)buflen);
    if (err)
        return err;
    int root = 0;
    err = fdt_setprop_u32(fdt, root, "#address-cells", 2);
    if (!err)
        err = fdt_setprop_u32(fdt, root, "#size-cells", 2);
    if (!err)
        err = fdt_setprop_string(fdt, root, "compatible", "riscv-virtio");
    if (!err)
        err = fdt_setprop_string(fdt, root, "model", "riscv-virtio,qemu");
    if (err)
        return err;

    /* /soc: a simple-bus with 1:1 ranges holding every MMIO device. */
    int soc = fdt_add_subnode(fdt, root, "soc");
    if (soc < 0)
        return soc;
    err = fdt_setprop_u32(fdt, soc, "#address-cells", 2);
    if (!err)
        err = fdt_setprop_u32(fdt, soc, "#size-cells", 2);
    if (!err)
        err = fdt_setprop_string(fdt, soc, "compatible", "simple-bus");
    if (!err)
        err = fdt_setprop_empty(fdt, soc, "ranges");
    if (!err)
        err = clint_fdt(fdt, soc, RV_BOARD_CLINT_BASE, d->nharts, intc);
    if (!err)
        err = plic_fdt(fdt, soc, RV_BOARD_PLIC_BASE, RV_BOARD_PLIC_NDEV, d->nharts, intc, plic_ph);
    /* Slot 0 ends up first, so the first disk attached is probed first. */
    for (int n = RV_BOARD_VIRTIO_SLOTS - 1; !err && n >= 0; n--)
        if (d->virtio_mask & (1u << n))
            err = virtio_mmio_fdt(fdt, soc,
                                  RV_BOARD_VIRTIO_BASE + (uint64_t)n * RV_BOARD_VIRTIO_STRIDE,
                                  plic_ph, RV_BOARD_VIRTIO_IRQ0 + n);
    if (err)
        return err;

    /* /memory, /cpus. */
    char name[64];
    snprintf(name, sizeof(name), "memory@%" PRIx64, d->ram_base);
    int cpus = fdt_add_subnode(fdt, root, "cpus");
    if (cpus < 0)
        return cpus;
    err = fdt_setprop_u32(fdt, cpus, "#address-cells", 1);
    if (!err)
        err = fdt_setprop_u32(fdt, cpus, "#size-cells", 0);
    if (!err)
        err = fdt_setprop_u32(fdt, cpus, "timebase-frequency", d->timebase);
    for (int h = d->nharts - 1; !err && h >= 0; h--)
        err = add_cpu(fdt, cpus, d, h, intc[h]);
    if (err)
        return err;
    int mem = fdt_add_subnode(fdt, root, name);
    if (mem < 0)
        return mem;
    fdt64_t reg[2] = {cpu_to_fdt64(d->ram_base), cpu_to_fdt64(d->ram_size)};
    err = fdt_setprop_string(fdt, mem, "device_type", "memory");
    if (!err)
        err = fdt_setprop(fdt, mem, "reg", reg, sizeof(reg));
    if (err)
        return err;

    /* The soc devices after /cpus were added: these also add the root's
     * poweroff/reboot nodes, which should precede /memory.
     * Node offsets move whenever a node is inserted before them, so /soc
     * is looked up again before each use. */
    err = syscon_fdt(fdt, root, soc_offset(fdt), RV_BOARD_SYSCON_BASE, syscon_ph);
    if (!err)
        err = uart16550_fdt(fdt, soc_offset(fdt), RV_BOARD_UART_BASE, plic_ph, RV_BOARD_UART_IRQ);
    if (!err)
        err = goldfish_rtc_fdt(fdt, soc_offset(fdt), RV_BOARD_RTC_BASE, plic_ph, RV_BOARD_RTC_IRQ);
    if (err)
        return err;

    /* /aliases and /chosen (Devicetree spec §3.3, §3.6). */
    char uart_path[64];
    snprintf(uart_path, sizeof(uart_path), "/soc/serial@%" PRIx64, (uint64_t)RV_BOARD_UART_BASE);
    int aliases = fdt_add_subnode(fdt, root, "aliases");
    if (aliases < 0)
        return aliases;
    err = fdt_setprop_string(fdt, aliases, "serial0", uart_path);
    if (err)
        return err;
    int chosen = fdt_add_subnode(fdt, root, "chosen");
    if (chosen < 0)
        return chosen;
    err = fdt_setprop_string(fdt, chosen, "stdout-path", uart_path);
    if (!err && d->bootargs)
        err = fdt_setprop_string(fdt, chosen, "bootargs", d->bootargs);
    if (!err && d->initrd_end > d->initrd_start) {
        err = fdt_setprop_u64(fdt, chosen, "linux,initrd-start", d->initrd_start);
        if (!err)
            err = fdt_setprop_u64(fdt, chosen, "linux,initrd-end", d->initrd_end);
    }
    if (!err)
        err = fdt_pack(fdt);
    return err;
}

int fdt_board_build(const rv_board_desc *d, void *buf, size_t buflen, char *err, size_t errlen)
{
    if (!d || !buf)
        return fail(err, errlen, "fdt: no board description or buffer");
    if (d->nharts < 1 || d->nharts > MAX_HARTS)
        return fail(err, errlen, "fdt: %d harts (1..%d supported)", d->nharts, MAX_HARTS);
    if (!d->isa || !d->mmu_type || !d->ram_size)
        return fail(err, errlen, "fdt: isa, mmu-type and RAM size are required");
    if (d->virtio_mask >> RV_BOARD_VIRTIO_SLOTS)
        return fail(err, errlen, "fdt: virtio slot mask 0x%x (slots 0..%d)", d->virtio_mask,
                    RV_BOARD_VIRTIO_SLOTS - 1);
    if (d->initrd_end < d->initrd_start)
        return fail(err, errlen, "fdt: initrd ends before it starts");
    if (buflen < 256 || buflen > INT32_MAX)
        return fail(err, errlen, "fdt: buffer of %zu bytes", buflen);
    int r = build(d, buf, buflen);
    if (r)
        return fail(err, errlen, "fdt: %s%s", fdt_strerror(r),
                    r == -FDT_ERR_NOSPACE ? " (buffer too small)" : "");
    return (int)fdt_totalsize(buf);
}
