/* SiFive Platform-Level Interrupt Controller (RISC-V PLIC specification
 * 1.0.0; QEMU hw/intc/sifive_plic.c for the virt board's choices).
 *
 * Register map (offsets from base, window 0x600000):
 *   0x000000 + 4s            priority of source s (3 bits as QEMU virt; 0 = never)
 *   0x001000 + 4w            pending bits, sources 32w..32w+31 (read-only)
 *   0x002000 + 0x80c + 4w    enable bits of context c
 *   0x200000 + 0x1000c       priority threshold of context c
 *   0x200004 + 0x1000c       claim (read) / complete (write) of context c
 * Only naturally aligned 4-byte accesses are valid (QEMU's ops accept
 * exactly 4 bytes): other widths fault. Unimplemented offsets read 0 and
 * ignore writes.
 *
 * Gateways follow QEMU's sifive_plic, which is what guests for the virt
 * board are tested against: each time a device signals its line, the
 * source's pending bit takes the line's level; claim clears it and puts the
 * source in service; complete ends service but does not sample the line
 * again. A device that signals while its source is in service leaves it
 * pending, and the request is delivered after complete. The difference from
 * a strict level gateway matters to xv6, whose UART handler never reads IIR
 * and so leaves the 16550's THR-empty interrupt asserted: a strict gateway
 * would re-deliver it forever. Devices therefore signal on events (see
 * uart16550.c), and a source stays quiet between them. */
#include "devices/plic.h"

#include <libfdt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdt_board.h"

#define PLIC_PRIORITY 0x000000
#define PLIC_PENDING 0x001000
#define PLIC_ENABLE 0x002000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_CONTEXT 0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_SIZE 0x600000
#define PLIC_PRIO_MASK 7u /* VIRT_IRQCHIP_NUM_PRIO_BITS = 3 */

struct plic {
    int nsources, ncontexts, nwords; /* nwords: 32-bit words of source bits */
    /* Guest state. */
    uint32_t *priority;  /* [nsources + 1] */
    uint32_t *pending;   /* [nwords] */
    uint32_t *claimed;   /* [nwords] in service */
    uint32_t *level;     /* [nwords] input line levels */
    uint32_t *enable;    /* [ncontexts * nwords] */
    uint32_t *threshold; /* [ncontexts] */
    /* Wiring. */
    rv_irq_line *out;
};

static bool bit(const uint32_t *v, int i)
{
    return (v[i >> 5] >> (i & 31)) & 1;
}

static void set_bit(uint32_t *v, int i, bool on)
{
    if (on)
        v[i >> 5] |= 1u << (i & 31);
    else
        v[i >> 5] &= ~(1u << (i & 31));
}

/* The source a claim by context c would return (0 = none). */
static int best_source(const plic *p, int c)
{
    const uint32_t *en = p->enable + (size_t)c * p->nwords;
    uint32_t best_prio = p->threshold[c];
    int best = 0;
    for (int w = 0; w < p->nwords; w++) {
        uint32_t m = p->pending[w] & en[w] & ~p->claimed[w];
        while (m) {
            int s = w * 32 + __builtin_ctz(m);
            m &= m - 1;
            if (p->priority[s] > best_prio) { /* strict: ties keep the lower id */
                best_prio = p->priority[s];
                best = s;
            }
        }
    }
    return best;
}

static void update_irq(plic *p)
{
    for (int c = 0; c < p->ncontexts; c++)
        rv_irq_set(&p->out[c], best_source(p, c) != 0);
}

static void plic_set_irq(void *ctx, uint32_t num, int level)
{
    plic *p = ctx;
    int s = (int)num;
    if (s < 1 || s > p->nsources)
        return;
    bool l = level != 0;
    if (bit(p->level, s) == l && bit(p->pending, s) == l)
        return;
    set_bit(p->level, s, l);
    set_bit(p->pending, s, l);
    update_irq(p);
}

rv_irq_line plic_input(plic *p, int source)
{
    return (rv_irq_line){.set = plic_set_irq, .ctx = p, .num = (uint32_t)source};
}

static void plic_reset(void *opaque)
{
    plic *p = opaque;
    for (int s = 0; s <= p->nsources; s++)
        p->priority[s] = 0;
    for (int w = 0; w < p->nwords; w++) {
        p->claimed[w] = 0;
        p->pending[w] = p->level[w]; /* lines keep their level across reset */
    }
    for (size_t i = 0; i < (size_t)p->ncontexts * p->nwords; i++)
        p->enable[i] = 0;
    for (int c = 0; c < p->ncontexts; c++)
        p->threshold[c] = 0;
    update_irq(p);
}

static uint32_t claim(plic *p, int c)
{
    int s = best_source(p, c);
    if (s) {
        set_bit(p->pending, s, false);
        set_bit(p->claimed, s, true);
    }
    return (uint32_t)s;
}

static void complete(plic *p, int c, uint32_t id)
{
    int s = (int)id;
    /* Spec §8: a completion for a source not enabled for the context, or not
     * in service, is ignored. */
    if (s < 1 || s > p->nsources || !bit(p->enable + (size_t)c * p->nwords, s) ||
        !bit(p->claimed, s))
        return;
    /* A request that arrived while in service (pending set) becomes
     * visible now; the line itself is not sampled again. */
    set_bit(p->claimed, s, false);
}

static bool plic_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    plic *p = opaque;
    *val = 0;
    if (len != 4 || (off & 3))
        return false;
    if (off < PLIC_PENDING) {
        uint64_t s = off / 4;
        if (s <= (uint64_t)p->nsources)
            *val = p->priority[s];
    } else if (off < PLIC_ENABLE) {
        uint64_t w = (off - PLIC_PENDING) / 4;
        if (w < (uint64_t)p->nwords)
            *val = p->pending[w];
    } else if (off < PLIC_CONTEXT) {
        uint64_t c = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        uint64_t w = (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4;
        if (c < (uint64_t)p->ncontexts && w < (uint64_t)p->nwords)
            *val = p->enable[c * p->nwords + w];
    } else {
        uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
        uint64_t r = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
        if (c < (uint64_t)p->ncontexts) {
            if (r == 0)
                *val = p->threshold[c];
            else if (r == 4)
                *val = claim(p, (int)c);
        }
    }
    update_irq(p);
    return true;
}

static bool plic_write(void *opaque, uint64_t off, unsigned len, uint64_t val)
{
    plic *p = opaque;
    uint32_t v = (uint32_t)val;
    if (len != 4 || (off & 3))
        return false;
    if (off < PLIC_PENDING) {
        uint64_t s = off / 4;
        if (s >= 1 && s <= (uint64_t)p->nsources)
            p->priority[s] = v & PLIC_PRIO_MASK;
    } else if (off < PLIC_ENABLE) {
        /* pending is read-only */
    } else if (off < PLIC_CONTEXT) {
        uint64_t c = (off - PLIC_ENABLE) / PLIC_ENABLE_STRIDE;
        uint64_t w = (off - PLIC_ENABLE) % PLIC_ENABLE_STRIDE / 4;
        if (c < (uint64_t)p->ncontexts && w < (uint64_t)p->nwords) {
            if (w == 0)
                v &= ~1u; /* source 0 does not exist */
            if (w == (uint64_t)p->nwords - 1 && (p->nsources + 1) % 32)
                v &= (1u << ((p->nsources + 1) % 32)) - 1;
            p->enable[c * p->nwords + w] = v;
        }
    } else {
        uint64_t c = (off - PLIC_CONTEXT) / PLIC_CONTEXT_STRIDE;
        uint64_t r = (off - PLIC_CONTEXT) % PLIC_CONTEXT_STRIDE;
        if (c < (uint64_t)p->ncontexts) {
            if (r == 0)
                p->threshold[c] = v & PLIC_PRIO_MASK;
            else if (r == 4)
                complete(p, (int)c, v);
        }
    }
    update_irq(p);
    return true;
}

static void plic_snapshot(void *opaque, rv_snap *s)
{
    plic *p = opaque;
    size_t wb = (size_t)p->nwords * 4;
    snap_section(s, "plic");
    snap_bytes(s, "priority", p->priority, (size_t)(p->nsources + 1) * 4);
    snap_bytes(s, "pending", p->pending, wb);
    snap_bytes(s, "claimed", p->claimed, wb);
    snap_bytes(s, "level", p->level, wb);
    snap_bytes(s, "enable", p->enable, wb * (size_t)p->ncontexts);
    snap_bytes(s, "threshold", p->threshold, (size_t)p->ncontexts * 4);
    if (s->loading) {
        /* Arrays are saved as host-endian u32 images; every host we build
         * for (x86-64, arm64, wasm32) is little-endian. */
        for (int i = 0; i <= p->nsources; i++)
            p->priority[i] &= PLIC_PRIO_MASK;
        for (int c = 0; c < p->ncontexts; c++)
            p->threshold[c] &= PLIC_PRIO_MASK;
        update_irq(p);
    }
}

static void plic_destroy(void *opaque)
{
    plic *p = opaque;
    free(p->priority);
    free(p->pending);
    free(p->claimed);
    free(p->level);
    free(p->enable);
    free(p->threshold);
    free(p->out);
    free(p);
}

plic *plic_create(int nsources, int ncontexts, const rv_irq_line *context_out)
{
    if (nsources < 1 || nsources > 1023 || ncontexts < 1 || ncontexts > 15872)
        return NULL;
    plic *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    p->nsources = nsources;
    p->ncontexts = ncontexts;
    p->nwords = (nsources + 1 + 31) / 32;
    size_t nw = (size_t)p->nwords;
    p->priority = calloc((size_t)nsources + 1, 4);
    p->pending = calloc(nw, 4);
    p->claimed = calloc(nw, 4);
    p->level = calloc(nw, 4);
    p->enable = calloc(nw * (size_t)ncontexts, 4);
    p->threshold = calloc((size_t)ncontexts, 4);
    p->out = calloc((size_t)ncontexts, sizeof(*p->out));
    if (!p->priority || !p->pending || !p->claimed || !p->level || !p->enable || !p->threshold ||
        !p->out) {
        plic_destroy(p);
        return NULL;
    }
    for (int c = 0; c < ncontexts && context_out; c++)
        p->out[c] = context_out[c];
    plic_reset(p);
    return p;
}

rv_device plic_device(plic *p, uint64_t base)
{
    return (rv_device){
        .name = "plic",
        .base = base,
        .size = PLIC_SIZE,
        .opaque = p,
        .read = plic_read,
        .write = plic_write,
        .reset = plic_reset,
        .snapshot = plic_snapshot,
        .poll = NULL,
        .destroy = plic_destroy,
    };
}

int plic_fdt(void *fdt, int soc, uint64_t base, int ndev, int nharts, const uint32_t *intc_phandles,
             uint32_t phandle)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "plic", base, PLIC_SIZE);
    if (node < 0)
        return node;
    static const char compat[] = "sifive,plic-1.0.0\0riscv,plic0";
    int err = fdt_setprop_u32(fdt, node, "#address-cells", 0);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "#interrupt-cells", 1);
    if (!err)
        err = fdt_setprop(fdt, node, "compatible", compat, sizeof(compat));
    if (!err)
        err = fdt_setprop_empty(fdt, node, "interrupt-controller");
    /* Context order = M external (11), S external (9) per hart: xv6 and
     * Linux derive context numbers 2h / 2h+1 from it. */
    for (int h = 0; !err && h < nharts; h++) {
        fdt32_t cells[4] = {cpu_to_fdt32(intc_phandles[h]), cpu_to_fdt32(11),
                            cpu_to_fdt32(intc_phandles[h]), cpu_to_fdt32(9)};
        err = fdt_appendprop(fdt, node, "interrupts-extended", cells, sizeof(cells));
    }
    if (!err)
        err = fdt_setprop_u32(fdt, node, "riscv,ndev", (uint32_t)ndev);
    if (!err)
        err = fdt_setprop_u32(fdt, node, "phandle", phandle);
    return err;
}
