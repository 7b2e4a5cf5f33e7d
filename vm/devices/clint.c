/* SiFive CLINT (SiFive FU540-C000 manual §9; QEMU hw/intc/riscv_aclint.c
 * in its CLINT layout).
 *
 * Register map (offsets from base, window 0x10000):
 *   0x0000 + 4h  msip[h]      bit 0 drives hart h's MSIP; other bits read 0
 *   0x4000 + 8h  mtimecmp[h]  MTIP(h) = mtime >= mtimecmp[h] (unsigned)
 *   0xbff8       mtime        10 MHz; a write sets an offset to the clock
 * Access widths, as QEMU: msip takes 4-byte accesses only; mtimecmp and
 * mtime take 4 (a half, how RV32 guests do it) or 8 bytes, naturally
 * aligned. Any other width or misalignment is an access fault (false).
 * Offsets with no register read 0 and ignore writes (QEMU logs and does the
 * same). */
#include "devices/clint.h"

#include <libfdt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "fdt_board.h"

#define CLINT_MSIP 0x0000
#define CLINT_MTIMECMP 0x4000
#define CLINT_MTIME 0xbff8
#define CLINT_SIZE 0x10000

struct clint {
    int nharts;
    /* Guest state. */
    uint64_t mtime_offset; /* mtime = clock + offset (mod 2^64) */
    uint32_t *msip;
    uint64_t *mtimecmp;
    /* Wiring; mtip_level caches what each MTIP line was last set to. */
    rv_irq_line *msip_line, *mtip_line;
    bool *mtip_level;
    rv_clock clock;
};

uint64_t clint_mtime(clint *c)
{
    return c->clock.mtime(c->clock.ctx) + c->mtime_offset;
}

void clint_update(clint *c)
{
    uint64_t now = clint_mtime(c);
    for (int h = 0; h < c->nharts; h++) {
        bool level = now >= c->mtimecmp[h];
        c->mtip_level[h] = level;
        rv_irq_set(&c->mtip_line[h], level);
    }
}

uint64_t clint_next_deadline(clint *c)
{
    uint64_t best = UINT64_MAX;
    for (int h = 0; h < c->nharts; h++)
        if (!c->mtip_level[h] && c->mtimecmp[h] < best)
            best = c->mtimecmp[h];
    return best;
}

static void update_irq(clint *c)
{
    for (int h = 0; h < c->nharts; h++)
        rv_irq_set(&c->msip_line[h], c->msip[h] & 1);
    clint_update(c);
}

static void clint_reset(void *opaque)
{
    clint *c = opaque;
    c->mtime_offset = 0;
    for (int h = 0; h < c->nharts; h++) {
        c->msip[h] = 0;
        /* Not reset by the spec; all ones keeps MTIP low until the guest
         * programs a deadline. */
        c->mtimecmp[h] = UINT64_MAX;
    }
    update_irq(c);
}

/* Merges a 4-byte write into one half of a 64-bit register. */
static uint64_t merge(uint64_t old, uint64_t off, unsigned len, uint64_t val)
{
    if (len == 8)
        return val;
    if (off & 4)
        return (old & 0xffffffffull) | ((val & 0xffffffffull) << 32);
    return (old & ~0xffffffffull) | (val & 0xffffffffull);
}

static uint64_t extract(uint64_t reg, uint64_t off, unsigned len)
{
    if (len == 8)
        return reg;
    return (off & 4) ? reg >> 32 : reg & 0xffffffffull;
}

static bool clint_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    clint *c = opaque;
    *val = 0;
    if ((len != 4 && len != 8) || (off & (len - 1)))
        return false;
    if (off < CLINT_MTIMECMP) {
        if (len != 4)
            return false;
        uint64_t h = off / 4;
        if (h < (uint64_t)c->nharts)
            *val = c->msip[h];
    } else if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
        *val = extract(clint_mtime(c), off, len);
    } else if (off < CLINT_MTIME) {
        uint64_t h = (off - CLINT_MTIMECMP) / 8;
        if (h < (uint64_t)c->nharts)
            *val = extract(c->mtimecmp[h], off, len);
    }
    update_irq(c);
    return true;
}

static bool clint_write(void *opaque, uint64_t off, unsigned len, uint64_t val)
{
    clint *c = opaque;
    if ((len != 4 && len != 8) || (off & (len - 1)))
        return false;
    if (off < CLINT_MTIMECMP) {
        if (len != 4)
            return false;
        uint64_t h = off / 4;
        if (h < (uint64_t)c->nharts)
            c->msip[h] = val & 1;
    } else if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
        uint64_t now = clint_mtime(c);
        uint64_t want = merge(now, off, len, val);
        c->mtime_offset += want - now;
    } else if (off < CLINT_MTIME) {
        uint64_t h = (off - CLINT_MTIMECMP) / 8;
        if (h < (uint64_t)c->nharts)
            c->mtimecmp[h] = merge(c->mtimecmp[h], off, len, val);
    }
    update_irq(c);
    return true;
}

static void clint_snapshot(void *opaque, rv_snap *s)
{
    clint *c = opaque;
    char name[32];
    snap_section(s, "clint");
    /* mtime itself is saved, so a restore on another host clock resumes the
     * guest's time where it stopped. */
    uint64_t mtime = clint_mtime(c);
    snap_u64(s, "mtime", &mtime);
    if (s->loading)
        c->mtime_offset = mtime - c->clock.mtime(c->clock.ctx);
    for (int h = 0; h < c->nharts; h++) {
        snprintf(name, sizeof(name), "msip%d", h);
        snap_u32(s, name, &c->msip[h]);
        snprintf(name, sizeof(name), "mtimecmp%d", h);
        snap_u64(s, name, &c->mtimecmp[h]);
    }
    if (s->loading) {
        for (int h = 0; h < c->nharts; h++)
            c->msip[h] &= 1;
        update_irq(c);
    }
}

static void clint_destroy(void *opaque)
{
    clint *c = opaque;
    free(c->msip);
    free(c->mtimecmp);
    free(c->msip_line);
    free(c->mtip_line);
    free(c->mtip_level);
    free(c);
}

clint *clint_create(int nharts, const rv_irq_line *msip, const rv_irq_line *mtip, rv_clock clock)
{
    if (nharts < 1 || nharts > 4095 || !clock.mtime)
        return NULL;
    clint *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    size_t n = (size_t)nharts;
    c->nharts = nharts;
    c->clock = clock;
    c->msip = calloc(n, sizeof(*c->msip));
    c->mtimecmp = calloc(n, sizeof(*c->mtimecmp));
    c->msip_line = calloc(n, sizeof(*c->msip_line));
    c->mtip_line = calloc(n, sizeof(*c->mtip_line));
    c->mtip_level = calloc(n, sizeof(*c->mtip_level));
    if (!c->msip || !c->mtimecmp || !c->msip_line || !c->mtip_line || !c->mtip_level) {
        clint_destroy(c);
        return NULL;
    }
    for (size_t h = 0; h < n; h++) {
        if (msip)
            c->msip_line[h] = msip[h];
        if (mtip)
            c->mtip_line[h] = mtip[h];
    }
    clint_reset(c);
    return c;
}

rv_device clint_device(clint *c, uint64_t base)
{
    return (rv_device){
        .name = "clint",
        .base = base,
        .size = CLINT_SIZE,
        .opaque = c,
        .read = clint_read,
        .write = clint_write,
        .reset = clint_reset,
        .snapshot = clint_snapshot,
        .poll = NULL,
        .destroy = clint_destroy,
    };
}

int clint_fdt(void *fdt, int soc, uint64_t base, int nharts, const uint32_t *intc_phandles)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "clint", base, CLINT_SIZE);
    if (node < 0)
        return node;
    static const char compat[] = "sifive,clint0\0riscv,clint0";
    int err = fdt_setprop(fdt, node, "compatible", compat, sizeof(compat));
    /* Per hart: <intc 3> machine software, <intc 7> machine timer. */
    for (int h = 0; !err && h < nharts; h++) {
        fdt32_t cells[4] = {cpu_to_fdt32(intc_phandles[h]), cpu_to_fdt32(3),
                            cpu_to_fdt32(intc_phandles[h]), cpu_to_fdt32(7)};
        err = fdt_appendprop(fdt, node, "interrupts-extended", cells, sizeof(cells));
    }
    return err;
}
