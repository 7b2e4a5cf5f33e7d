/* libFuzzer target for the whole hart (vm/cpu/): random instruction bytes
 * run for a bounded count on a hart with 16 KiB of RAM, a 4 KiB ROM, a
 * device window, random privilege, mstatus, satp (page tables are whatever
 * the RAM holds), PMP, delegation and interrupt lines, and a decoded-page
 * pool smaller than the code, so pages are recycled while running.
 * Whatever the guest does, the host must not crash (ASan/UBSan) and the
 * architectural invariants hold: x0 = 0, pc even, a valid privilege, satp
 * in Bare/Sv39/Sv48, the hart never runs more than the budget.
 *
 * The run uses the dynamic translator (vm/cpu/jit.h) where the host has
 * one, unless header byte 23 bit 2 asks for the interpreter alone.
 *
 * Differential mode (header byte 23 bit 1): satp Bare, no device
 * interrupts, a constant clock; the program runs twice from the same
 * state, once normally (translated blocks, TLBs, decoded pages) and once
 * interpreted one instruction at a time with every TLB flushed and every
 * decoded page dropped before each step. The caches promise to follow every write
 * (ARCHITECTURE.md "The core loop"), so the final registers, CSRs and RAM
 * must be identical.
 *
 * Input: 32 header bytes (below), then the RAM image (the rest, repeated
 * to fill RAM; the ROM gets the first 4 KiB of it). */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/hart.h"
#include "cpu/jit.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE (16u * 1024)
#define ROM_BASE 0x1000ull
#define ROM_SIZE 0x1000u
#define DEV_BASE 0x10000000ull
#define HDR 32

typedef struct world {
    rv_bus bus;
    rv_hart hart;
    uint8_t ram[RAM_SIZE];
    uint8_t rom[ROM_SIZE];
    uint64_t time;
    uint64_t dev_reg;
    bool fixed_time;
} world;

static bool dev_read(void *ctx, uint64_t pa, unsigned len, uint64_t *val)
{
    world *w = ctx;
    if (pa < DEV_BASE || pa >= DEV_BASE + 0x1000 || (pa & (len - 1)))
        return false;
    *val = w->dev_reg & (len == 8 ? ~0ull : (1ull << (8 * len)) - 1);
    return true;
}

static bool dev_write(void *ctx, uint64_t pa, unsigned len, uint64_t val)
{
    world *w = ctx;
    if (pa < DEV_BASE || pa >= DEV_BASE + 0x1000 || (pa & (len - 1)))
        return false;
    w->dev_reg = val;
    return true;
}

static uint64_t dev_time(void *ctx)
{
    world *w = ctx;
    return w->fixed_time ? w->time : (w->time += 100);
}

static uint64_t le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void invariants(const rv_hart *h)
{
    if (h->x[0] != 0 || (h->pc & 1) || (h->priv != PRV_U && h->priv != PRV_S && h->priv != PRV_M))
        abort();
    uint64_t m = h->satp >> 60;
    if (m != 0 && m != 8 && m != 9)
        abort();
}

static world *w_get(void)
{
    static world *w;
    if (!w) {
        w = calloc(1, sizeof(*w));
        if (!w)
            abort();
    }
    return w;
}

static void *exec_alloc(void *opaque, size_t len)
{
    (void)opaque;
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void exec_free(void *opaque, void *p, size_t len)
{
    (void)opaque;
    munmap(p, len);
}

/* One translator for every input: a small buffer, so it fills and starts
 * over often. Blocks of an earlier input are unreachable once its bus is
 * freed (their entry tables go with its decoded pages). */
static rv_jit *jit_get(void)
{
    static rv_jit *j;
    static bool tried;
    if (!tried) {
        tried = true;
        const rv_jit_mem m = {NULL, exec_alloc, exec_free};
        j = jit_create(&m, 256u << 10);
    }
    return j;
}

/* Builds the machine from the input; diff = differential mode, jit = with
 * the translator. */
static void setup(world *w, const uint8_t *data, size_t size, bool diff, bool jit)
{
    const uint8_t *hd = data;
    const uint8_t *img = data + HDR;
    size_t n = size - HDR;
    for (size_t i = 0; i < RAM_SIZE; i++)
        w->ram[i] = img[i % n];
    memcpy(w->rom, w->ram, ROM_SIZE);
    w->time = 1000;
    w->fixed_time = diff;
    w->dev_reg = le(hd + 24, 8);

    rv_bus *b = &w->bus;
    memset(b, 0, sizeof(*b)); /* nothing (tohost, stop) left from the last input */
    if (!bus_init(b, w->ram, RAM_BASE, RAM_SIZE))
        abort();
    b->ndpages = 2 + hd[0] % 5; /* often fewer decoded pages than code pages */
    b->rom = w->rom;
    b->rom_base = ROM_BASE;
    b->rom_size = ROM_SIZE;
    b->ctx = w;
    b->mmio_read = dev_read;
    b->mmio_write = dev_write;
    b->mtime = dev_time;
    b->harts[0] = &w->hart;
    b->nharts = 1;
    b->jit = jit && !(hd[23] & 4) ? jit_get() : NULL;
    if ((hd[1] & 0x80) && !diff)
        b->tohost_pa = RAM_BASE + (hd[1] & 0x7f) * 8;
    rv_hart *h = &w->hart;
    hart_init(h, b, 0);
    if (b->tohost_pa)
        bus_watch_page(b, b->tohost_pa);

    /* Registers point into RAM, the ROM and the device window. */
    for (int i = 1; i < 32; i++) {
        uint64_t off = le(img + (i * 2) % n, 1) * 64;
        h->x[i] = i % 3 == 0   ? RAM_BASE + off % RAM_SIZE
                  : i % 3 == 1 ? DEV_BASE + off % 0x1000
                               : RAM_BASE + RAM_SIZE - 8 + i;
        h->f[i] = le(img + (i * 8) % n, 1) * 0x0101010101010101ull;
    }
    static const int privs[4] = {PRV_M, PRV_S, PRV_U, PRV_M};
    h->pc = (hd[2] & 1) ? ROM_BASE + (hd[2] & 0x7e) : RAM_BASE + (hd[2] & 0xfe) * 2;
    h->mtvec = RAM_BASE + le(hd + 3, 2) % RAM_SIZE;
    h->stvec = RAM_BASE + le(hd + 5, 2) % RAM_SIZE;
    csr_write(h, CSR_MEDELEG, le(hd + 7, 2));
    csr_write(h, CSR_MIDELEG, hd[9]);
    csr_write(h, CSR_MIE, hd[10] | (uint64_t)hd[10] << 8);
    uint64_t ms = h->mstatus;
    ms |= (uint64_t)(hd[11] & 3) << 13; /* FS */
    ms |= (hd[11] & 4) ? MSTATUS_SUM : 0;
    ms |= (hd[11] & 8) ? MSTATUS_MXR : 0;
    ms |= (hd[11] & 16) ? MSTATUS_MPRV : 0;
    ms |= (uint64_t)((hd[11] >> 5) & 3) << MSTATUS_MPP_SHIFT;
    ms |= (hd[11] & 0x80) ? MSTATUS_MIE | MSTATUS_SIE : 0;
    ms |= (hd[12] & 1) ? MSTATUS_TVM : 0;
    ms |= (hd[12] & 2) ? MSTATUS_TW : 0;
    ms |= (hd[12] & 4) ? MSTATUS_TSR : 0;
    csr_write(h, CSR_MSTATUS, ms);
    csr_write(h, CSR_MENVCFG, (hd[12] & 8) ? 1ull << 63 : 0);
    csr_write(h, CSR_MCOUNTEREN, hd[13]);
    csr_write(h, CSR_SCOUNTEREN, hd[14]);
    static const uint64_t modes[4] = {0, 8, 9, 10};
    csr_write(h, CSR_SATP, modes[hd[15] & 3] << 60 | ((RAM_BASE >> 12) + (hd[15] >> 2) % 4));
    /* PMP: two entries from the header (WARL applies). */
    csr_write(h, CSR_PMPADDR0, RAM_BASE >> 2 | le(hd + 16, 2));
    csr_write(h, CSR_PMPADDR0 + 1, (RAM_BASE + RAM_SIZE) >> 2 | le(hd + 18, 1));
    if (hd[19] & 1)
        csr_write(h, CSR_PMPCFG0, le(hd + 20, 2));
    h->frm = hd[22] & 7;
    h->priv = privs[(hd[23] >> 6) & 3];
    if (diff)
        h->satp = 0; /* a guest may not rely on stale TLB entries: none here */
    hart_update_ctx(h);
    hart_flush_tlb(h);
    invariants(h);
}

/* The architectural state two runs must agree on. */
typedef struct state {
    uint64_t x[32], f[32], pc, csr[16], instret, dev_reg;
    int priv;
    uint32_t fflags, frm;
    bool wfi;
    uint8_t ram[RAM_SIZE];
} state;

static void capture(const world *w, state *s)
{
    const rv_hart *h = &w->hart;
    memcpy(s->x, h->x, sizeof(s->x));
    memcpy(s->f, h->f, sizeof(s->f));
    s->pc = h->pc;
    const uint64_t csr[16] = {h->mstatus, h->mcause,  h->mepc,     h->mtval,
                              h->scause,  h->sepc,    h->stval,    h->satp,
                              h->mie,     h->mip_sw,  h->mscratch, h->sscratch,
                              h->medeleg, h->mideleg, h->stimecmp, h->resv_addr};
    memcpy(s->csr, csr, sizeof(csr));
    s->instret = h->instret;
    s->dev_reg = w->dev_reg;
    s->priv = h->priv;
    s->fflags = h->fflags;
    s->frm = h->frm;
    s->wfi = h->wfi;
    memcpy(s->ram, w->ram, RAM_SIZE);
}

static void report_diff(const state *a, const state *b)
{
    for (int i = 0; i < 32; i++)
        if (a->x[i] != b->x[i])
            fprintf(stderr, "x%d: %#llx vs %#llx\n", i, (unsigned long long)a->x[i],
                    (unsigned long long)b->x[i]);
    for (int i = 0; i < 32; i++)
        if (a->f[i] != b->f[i])
            fprintf(stderr, "f%d: %#llx vs %#llx\n", i, (unsigned long long)a->f[i],
                    (unsigned long long)b->f[i]);
    for (int i = 0; i < 16; i++)
        if (a->csr[i] != b->csr[i])
            fprintf(stderr, "csr[%d]: %#llx vs %#llx\n", i, (unsigned long long)a->csr[i],
                    (unsigned long long)b->csr[i]);
    fprintf(stderr, "pc %#llx vs %#llx, priv %d vs %d, instret %llu vs %llu, wfi %d vs %d\n",
            (unsigned long long)a->pc, (unsigned long long)b->pc, a->priv, b->priv,
            (unsigned long long)a->instret, (unsigned long long)b->instret, a->wfi, b->wfi);
    for (size_t i = 0; i < RAM_SIZE; i++)
        if (a->ram[i] != b->ram[i]) {
            fprintf(stderr, "first RAM difference at +%#zx\n", i);
            break;
        }
}

/* Instructions per input: fewer in differential mode, whose second run
 * flushes every cache before each step. */
#define STEPS 4000
#define DIFF_STEPS 800

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HDR + 4)
        return 0;
    world *w = w_get();
    const uint8_t *hd = data;
    bool diff = (hd[23] & 2) != 0;
    setup(w, data, size, diff, true);
    rv_bus *b = &w->bus;
    rv_hart *h = &w->hart;

    /* Run in slices, toggling interrupt lines between them. */
    const uint64_t slice = (diff ? DIFF_STEPS : STEPS) / 8;
    for (int s = 0; s < 8; s++) {
        uint64_t ran = hart_run(h, slice);
        if (ran > slice)
            abort();
        invariants(h);
        if (diff)
            continue;
        hart_set_irq(h, IRQ_MTI, (hd[22] >> 3) & (s & 1));
        hart_set_irq(h, IRQ_SEI, (hd[22] >> 4) & (s >> 1) & 1);
        hart_set_irq(h, IRQ_MEI, (hd[22] >> 5) & (s == 5));
        hart_update_sstc(h, w->time);
        if (h->wfi && !(hd[22] & 0x40))
            h->wfi = false; /* a device woke it */
        if (b->tohost_hit)
            break;
    }

    if (diff) {
        static state fast, slow;
        capture(w, &fast);
        bus_free(b);
        setup(w, data, size, true, false);
        for (int i = 0; i < DIFF_STEPS; i++) {
            /* No translation here: pc is physical. Dropping its page is
             * enough, as one step executes one instruction from it. */
            hart_flush_tlb(h);
            bus_invalidate_range(b, h->pc & ~(uint64_t)0xfff, 0x1000);
            hart_run(h, 1);
        }
        capture(w, &slow);
        if (memcmp(&fast, &slow, sizeof(fast)) != 0) {
            fprintf(stderr, "fuzz_exec: cached and uncached runs differ (cached first):\n");
            report_diff(&fast, &slow);
            abort();
        }
    } else if (hd[23] & 1) {
        /* A snapshot round trip must not disturb anything either. */
        rv_snap sn;
        snap_init_save(&sn);
        hart_snapshot(h, &sn);
        rv_snap ld;
        if (!sn.error && snap_init_load(&ld, sn.buf, sn.len)) {
            hart_snapshot(h, &ld);
            invariants(h);
            hart_run(h, 200);
            invariants(h);
        }
        snap_free(&sn);
    }
    bus_free(b);
    return 0;
}

#ifdef FUZZ_SEED_MAIN
/* Seed writer (built without libFuzzer): a self-modifying loop, in
 * differential mode and in normal mode, so mutations start from code that
 * stores over instructions it executes again. */
int main(int argc, char **argv)
{
    static const uint32_t prog[] = {
        0x00000417, /* auipc s0, 0 */
        0x00000493, /* li s1, 0 */
        0x064502b7, /* lui t0, 0x6450 */
        0x5132829b, /* addiw t0, t0, 0x513: t0 = addi a0, a0, 100 */
        0x00150513, /* 0x10: addi a0, a0, 1 (rewritten) */
        0x00049a63, /* bnez s1, 0x28 */
        0x00542823, /* sw t0, 0x10(s0) */
        0x00100493, /* li s1, 1 */
        0xff1ff06f, /* j 0x10 */
        0x00000013, /* nop */
        0x0000006f, /* j . */
    };
    /* Regressions found by this fuzzer (differential mode): U and M code
     * running on past a PMP entry smaller than a page. */
    static const uint8_t pmp_sub_page_m[] = {
        0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x80,
        0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0x00, 0xb7, 0x02, 0x45, 0x06, 0x9b,
        0x82, 0x54, 0x00, 0x93, 0x04, 0x10, 0x00, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09, 0x09,
        0x09, 0x09, 0x6f, 0xf0, 0xff, 0x13, 0x00, 0x00, 0x28, 0x5c, 0x04, 0x93, 0x00, 0x10,
        0x00, 0x6f, 0xf0, 0xff, 0x13, 0x00, 0x00, 0x00, 0x6f, 0x00, 0x00, 0x00};
    static const uint8_t pmp_sub_page_u[] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
        0x00, 0x00, 0x00, 0x00, 0x13, 0x05, 0x15, 0x00, 0x63, 0x9a, 0x04, 0x00, 0x23, 0x28,
        0x54, 0x00, 0x00, 0x00, 0x93, 0x04, 0x00, 0x00, 0xb7, 0x93, 0x04, 0x10, 0x00, 0x6f,
        0xf0, 0x1f, 0xff, 0x13, 0x00, 0x00, 0x00, 0x6f, 0x00, 0x00, 0x00};
    static const struct {
        const char *name;
        const uint8_t *p;
        size_t n;
    } regress[] = {{"regress-pmp-sub-page-m", pmp_sub_page_m, sizeof(pmp_sub_page_m)},
                   {"regress-pmp-sub-page-u", pmp_sub_page_u, sizeof(pmp_sub_page_u)}};
    if (argc < 2)
        return 2;
    for (size_t k = 0; k < sizeof(regress) / sizeof(regress[0]); k++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", argv[1], regress[k].name);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(regress[k].p, 1, regress[k].n, f) != regress[k].n)
            return 1;
        fclose(f);
    }
    for (int diff = 0; diff < 2; diff++) {
        uint8_t buf[HDR + sizeof(prog)] = {0};
        buf[23] = diff ? 2 : 0; /* M mode; bit 1: differential */
        buf[11] = 3;            /* FS dirty */
        memcpy(buf + HDR, prog, sizeof(prog));
        char path[512];
        snprintf(path, sizeof(path), "%s/seed-smc%s", argv[1], diff ? "-diff" : "");
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, sizeof(buf), f) != sizeof(buf))
            return 1;
        fclose(f);
    }
    return 0;
}
#endif
