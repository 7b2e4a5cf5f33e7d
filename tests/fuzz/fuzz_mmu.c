/* libFuzzer target for the Sv39/Sv48 walker (mmu_translate in
 * vm/cpu/mmu.c), checked against a reference walk written here from the
 * privileged spec 1.12, 4.3.2 (with 4.4/4.5 for Sv39/Sv48). Random page
 * tables in a 64 KiB RAM, random satp/mstatus/privilege, random
 * translations. Abort on: a result (cause or physical address) different
 * from the reference, a RAM change different from the reference's A/D
 * update, a satp mode other than Bare/Sv39/Sv48 after a write, or any
 * sanitizer report.
 *
 * Implementation choices the reference mirrors (the spec leaves them
 * open or later specs fix them): A and D are updated by the walk; PTE
 * bits 63:54 set (no Svnapot/Svpbmt) fault; non-leaf PTEs with A, D or U
 * set fault. PMP is open to all here (tests/unit/test_pmp.c covers it).
 *
 * Input:
 *   u8  satp mode selector, u8 root page, u16 ASID, u8 mstatus flags
 *   u8  n, then n PTE writes {u8 page, u16 index, u8 kind, u64 value}
 *   then translations {u8 sel, u8 form, 8 bytes} until the input ends. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/hart.h"

#define RAM_BASE 0x80000000ull
#define RAM_PAGES 16
#define RAM_SIZE (RAM_PAGES * 4096u)

typedef struct reader {
    const uint8_t *p;
    size_t n;
} reader;

static uint64_t rd(reader *r, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) {
        uint64_t b = 0;
        if (r->n) {
            b = *r->p++;
            r->n--;
        }
        v |= b << (8 * i);
    }
    return v;
}

static bool no_mmio_read(void *ctx, uint64_t pa, unsigned len, uint64_t *val)
{
    (void)ctx, (void)pa, (void)len;
    *val = 0;
    return false;
}

static bool no_mmio_write(void *ctx, uint64_t pa, unsigned len, uint64_t val)
{
    (void)ctx, (void)pa, (void)len, (void)val;
    return false;
}

static uint64_t zero_time(void *ctx)
{
    (void)ctx;
    return 0;
}

/* ---- the reference walk ---- */
enum { V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128 };

static int page_fault(int access)
{
    return access == ACC_FETCH  ? EXC_INSN_PAGE
           : access == ACC_LOAD ? EXC_LOAD_PAGE
                                : EXC_STORE_PAGE;
}

static int access_fault(int access)
{
    return access == ACC_FETCH  ? EXC_INSN_ACCESS
           : access == ACC_LOAD ? EXC_LOAD_ACCESS
                                : EXC_STORE_ACCESS;
}

/* Returns 0 or cause + 1, like mmu_translate; updates ram (A/D). */
static int ref_walk(uint8_t *ram, uint64_t satp, uint64_t mstatus, uint64_t va, int access,
                    int priv, uint64_t *pa)
{
    uint64_t mode = satp >> 60;
    if (priv == PRV_M || mode == 0) {
        *pa = va;
        return 0;
    }
    int levels = mode == 9 ? 4 : 3;
    int top = 12 + 9 * levels - 1; /* highest translated bit */
    uint64_t hi = va >> top;
    if (hi != 0 && hi != (UINT64_MAX >> top))
        return page_fault(access) + 1;
    uint64_t a = (satp & ((1ull << 44) - 1)) * 4096;
    for (int i = levels - 1; i >= 0; i--) {
        uint64_t pte_addr = a + ((va >> (12 + 9 * i)) & 511) * 8;
        if (pte_addr < RAM_BASE || pte_addr + 8 > RAM_BASE + RAM_SIZE)
            return access_fault(access) + 1;
        uint64_t pte;
        memcpy(&pte, ram + (pte_addr - RAM_BASE), 8);
        if (!(pte & V) || (!(pte & R) && (pte & W)))
            return page_fault(access) + 1;
        if (pte >> 54)
            return page_fault(access) + 1;
        uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
        if (!(pte & (R | X))) {
            if (pte & (A | D | U))
                return page_fault(access) + 1;
            a = ppn * 4096;
            continue;
        }
        if (priv == PRV_U && !(pte & U))
            return page_fault(access) + 1;
        if (priv == PRV_S && (pte & U) && (access == ACC_FETCH || !(mstatus & MSTATUS_SUM)))
            return page_fault(access) + 1;
        bool ok = access == ACC_FETCH  ? (pte & X) != 0
                  : access == ACC_LOAD ? (pte & R) || ((mstatus & MSTATUS_MXR) && (pte & X))
                                       : (pte & W) != 0;
        if (!ok)
            return page_fault(access) + 1;
        if (i > 0 && (ppn & ((1ull << (9 * i)) - 1)))
            return page_fault(access) + 1;
        if (!(pte & A) || (access == ACC_STORE && !(pte & D))) {
            pte |= A | (access == ACC_STORE ? D : 0);
            memcpy(ram + (pte_addr - RAM_BASE), &pte, 8);
        }
        uint64_t mask = (1ull << (12 + 9 * i)) - 1;
        *pa = ((ppn * 4096) & ~mask) | (va & mask);
        return 0;
    }
    return page_fault(access) + 1;
}

typedef struct world {
    rv_bus bus;
    rv_hart hart;
    uint8_t ram[RAM_SIZE];
    uint8_t ref[RAM_SIZE];
} world;

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    world *w = w_get();
    reader r = {data, size};
    memset(w->ram, 0, sizeof(w->ram));
    memset(&w->bus, 0, sizeof(w->bus));
    if (!bus_init(&w->bus, w->ram, RAM_BASE, RAM_SIZE))
        abort();
    w->bus.mmio_read = no_mmio_read;
    w->bus.mmio_write = no_mmio_write;
    w->bus.mtime = zero_time;
    w->bus.harts[0] = &w->hart;
    w->bus.nharts = 1;
    hart_init(&w->hart, &w->bus, 0);
    rv_hart *h = &w->hart;
    /* PMP entry 15 open to all, as firmware leaves it: with every entry
     * OFF, S/U accesses (page walks included) fail (3.7.1). */
    csr_write(h, CSR_PMPADDR0 + 15, ~0ull);
    csr_write(h, CSR_PMPCFG0 + 2, 0x1full << 56);

    uint64_t sel = rd(&r, 1), root = rd(&r, 1) % (RAM_PAGES + 2), asid = rd(&r, 2),
             flags = rd(&r, 1);
    static const uint64_t modes[8] = {0, 8, 9, 8, 9, 10, 1, 15};
    uint64_t mode = modes[sel & 7];
    uint64_t root_ppn = (RAM_BASE >> 12) + root; /* root may be just past RAM */
    if (sel & 0x80)
        root_ppn = rd(&r, 6);                              /* anywhere */
    csr_write(h, CSR_SATP, 8ull << 60 | (RAM_BASE >> 12)); /* known value */
    csr_write(h, CSR_SATP, mode << 60 | asid << 44 | root_ppn);
    uint64_t m = h->satp >> 60;
    if (m != 0 && m != 8 && m != 9)
        abort(); /* WARL: only supported modes stick */
    if ((mode == 0 || mode == 8 || mode == 9) && h->satp >> 60 != mode)
        abort();
    uint64_t ms = h->mstatus & ~(MSTATUS_SUM | MSTATUS_MXR);
    if (flags & 1)
        ms |= MSTATUS_SUM;
    if (flags & 2)
        ms |= MSTATUS_MXR;
    csr_write(h, CSR_MSTATUS, ms);

    unsigned nw = (unsigned)rd(&r, 1);
    for (unsigned k = 0; k < nw && r.n; k++) {
        unsigned page = (unsigned)rd(&r, 1) % RAM_PAGES;
        unsigned idx = (unsigned)rd(&r, 2) % 512;
        unsigned kind = (unsigned)rd(&r, 1);
        uint64_t v = rd(&r, 8);
        uint64_t pte;
        switch (kind & 3) {
        case 0: /* pointer or leaf into a RAM page */
            pte = ((RAM_BASE >> 12) + (v >> 56) % RAM_PAGES) << 10 | (v & 0x3ff);
            break;
        case 1: /* superpage-aligned leaf at RAM_BASE (1 GiB aligned) */
            pte = (RAM_BASE >> 12) << 10 | (v & 0x3ff);
            break;
        case 2: /* anything, reserved bits cleared */ pte = v & ((1ull << 54) - 1); break;
        default: pte = v; break;
        }
        memcpy(w->ram + page * 4096 + idx * 8, &pte, 8);
    }
    memcpy(w->ref, w->ram, RAM_SIZE);

    while (r.n) {
        unsigned s = (unsigned)rd(&r, 1), form = (unsigned)rd(&r, 1);
        int access = (int)(s % 3);
        static const int privs[3] = {PRV_U, PRV_S, PRV_M};
        int priv = privs[(s / 3) % 3];
        uint64_t va;
        if (form & 1) {
            va = rd(&r, 8);
        } else {
            uint64_t b = rd(&r, 8);
            /* vpn[3..0] from the bytes, a small offset, sign-extended for
             * the mode (form bit 1 breaks the extension on purpose). */
            va = (b & 0x1ff) << 39 | ((b >> 9) & 0x1ff) << 30 | ((b >> 18) & 0x1ff) << 21 |
                 ((b >> 27) & 0x1ff) << 12 | ((b >> 36) & 0xfff);
            int bits = (h->satp >> 60) == 9 ? 48 : 39;
            va &= (1ull << bits) - 1;
            if (va >> (bits - 1))
                va |= ~((1ull << bits) - 1);
            if (form & 2)
                va ^= 1ull << 62;
        }
        uint64_t pa = 0, rpa = 0;
        int got = mmu_translate(h, va, access, priv, &pa);
        int want = ref_walk(w->ref, h->satp, h->mstatus, va, access, priv, &rpa);
        if (got != want || (got == 0 && pa != rpa) || memcmp(w->ram, w->ref, RAM_SIZE) != 0) {
            fprintf(stderr,
                    "fuzz_mmu: satp %#llx mstatus %#llx va %#llx access %d priv %d: got %d pa "
                    "%#llx, reference %d pa %#llx, ram %s\n",
                    (unsigned long long)h->satp, (unsigned long long)h->mstatus,
                    (unsigned long long)va, access, priv, got, (unsigned long long)pa, want,
                    (unsigned long long)rpa, memcmp(w->ram, w->ref, RAM_SIZE) ? "differs" : "same");
            abort();
        }
        if (got == 0 && priv != PRV_M && (h->satp >> 60) && (pa & 0xfff) != (va & 0xfff))
            abort();
    }
    bus_free(&w->bus);
    return 0;
}
