/* Physical memory, PMP, Sv39/Sv48 translation, TLB fills and the slow
 * paths of loads, stores and fetches. Privileged spec 1.12 sections 3.7
 * (PMP) and 4.3-4.5 (Sv39, Sv48). */
#include <stdlib.h>
#include <string.h>

#include "hart.h"
#include "jit.h"
#include "ops.h"

#define PTE_V (1u << 0)
#define PTE_R (1u << 1)
#define PTE_W (1u << 2)
#define PTE_X (1u << 3)
#define PTE_U (1u << 4)
#define PTE_A (1u << 6)
#define PTE_D (1u << 7)

/* ROM pages with their own decoded page (the virt boot ROM has one). */
#define ROM_PAGES_MAX 16
/* Decoded pages kept at most (each 32 KiB); older ones are recycled. */
#define DPAGE_POOL 4096
/* Stores into decoded slots of one page before the page is given back to
 * data (see bus_store_hits_code). */
#define DPAGE_WRITE_LIMIT 64

/* ---- the bus ---- */

bool bus_init(rv_bus *b, uint8_t *ram, uint64_t ram_base, uint64_t ram_size)
{
    uint64_t pages = ram_size >> RV_PAGE_SHIFT;
    /* The TLBs and decoded pages map whole pages of host memory. */
    if ((ram_base | ram_size) & (RV_PAGE_SIZE - 1))
        return false;
    b->ram = ram;
    b->ram_base = ram_base;
    b->ram_size = ram_size;
    b->page_code = calloc(pages + ROM_PAGES_MAX, sizeof(uint32_t));
    b->page_watch = calloc(pages + ROM_PAGES_MAX, 1);
    b->ndpages = DPAGE_POOL;
    b->dpages = NULL; /* allocated lazily in chunks by dpage_alloc */
    b->dpage_used = 0;
    b->dpage_next = 0;
    return b->page_code && b->page_watch;
}

void bus_free(rv_bus *b)
{
    for (uint32_t i = 0; b->dpages && i < b->ndpages; i++)
        free(b->dpages[i].jit_tab);
    free(b->page_code);
    free(b->page_watch);
    free(b->dpages);
    b->page_code = NULL;
    b->page_watch = NULL;
    b->dpages = NULL;
}

static bool in_ram(const rv_bus *b, uint64_t pa, uint64_t len)
{
    return pa >= b->ram_base && pa - b->ram_base < b->ram_size &&
           len <= b->ram_size - (pa - b->ram_base);
}

static bool in_rom(const rv_bus *b, uint64_t pa, uint64_t len)
{
    return b->rom && pa >= b->rom_base && pa - b->rom_base < b->rom_size &&
           len <= b->rom_size - (pa - b->rom_base);
}

/* Index of the page in page_code/page_watch: RAM pages, then the ROM. */
static int64_t code_index(const rv_bus *b, uint64_t pa)
{
    if (in_ram(b, pa, 1))
        return (int64_t)((pa - b->ram_base) >> RV_PAGE_SHIFT);
    if (in_rom(b, pa, 1)) {
        /* One index per ROM page: sharing one would hand page 2's fetches
         * the decoded instructions of page 1. */
        uint64_t rp = (pa - (b->rom_base & ~(uint64_t)(RV_PAGE_SIZE - 1))) >> RV_PAGE_SHIFT;
        if (rp < ROM_PAGES_MAX)
            return (int64_t)((b->ram_size >> RV_PAGE_SHIFT) + rp);
    }
    return -1;
}

static void flush_all_fetch(rv_bus *b)
{
    for (int i = 0; i < b->nharts; i++) {
        rv_hart *h = b->harts[i];
        for (int c = 0; c < TCTX_N; c++)
            for (int j = 0; j < RV_TLB_SIZE; j++) {
                h->tlb_fetch[c][j].vpn = UINT64_MAX;
                h->tlb_fetch[c][j].page = NULL;
            }
        h->slice_end = true;
    }
}

static void flush_all_store(rv_bus *b)
{
    for (int i = 0; i < b->nharts; i++)
        memset(b->harts[i]->tlb_store, 0xff, sizeof(b->harts[i]->tlb_store));
}

void bus_flush_all_tlbs(rv_bus *b)
{
    for (int i = 0; i < b->nharts; i++)
        hart_flush_tlb(b->harts[i]);
}

static void dpage_clear(rv_dpage *p)
{
    memset(p->insn, 0, sizeof(p->insn));
    p->insn[RV_PAGE_SLOTS].op = OP_PAGE_END;
    p->insn[RV_PAGE_SLOTS + 1].op = OP_PAGE_END;
    p->writes = 0;
    jit_page_clear(p);
}

static void dpage_release(rv_bus *b, uint32_t idx)
{
    rv_dpage *p = &b->dpages[idx];
    int64_t ci = code_index(b, p->pa);
    if (ci >= 0)
        b->page_code[ci] = 0;
    p->pa = UINT64_MAX;
    jit_page_clear(p);
    flush_all_fetch(b);
}

/* The decoded page for physical page pa, created on first use. */
static rv_dpage *dpage_get(rv_bus *b, uint64_t pa)
{
    int64_t ci = code_index(b, pa);
    if (ci < 0)
        return NULL;
    if (b->page_code[ci])
        return &b->dpages[b->page_code[ci] - 1];
    if (!b->dpages) {
        b->dpages = malloc((size_t)b->ndpages * sizeof(rv_dpage));
        if (!b->dpages)
            return NULL;
        for (uint32_t i = 0; i < b->ndpages; i++) {
            b->dpages[i].pa = UINT64_MAX;
            b->dpages[i].jit_tab = NULL;
        }
    }
    uint32_t idx;
    if (b->dpage_used < b->ndpages) {
        idx = b->dpage_used++;
    } else {
        /* Pool full: recycle round-robin. */
        idx = b->dpage_next;
        b->dpage_next = (b->dpage_next + 1) % b->ndpages;
        dpage_release(b, idx);
    }
    rv_dpage *p = &b->dpages[idx];
    dpage_clear(p);
    p->pa = pa & ~(uint64_t)(RV_PAGE_SIZE - 1);
    b->page_code[ci] = idx + 1;
    /* Stores to this page must now see the decoded code: no harts may keep
     * a direct store mapping to it. */
    flush_all_store(b);
    return p;
}

/* A store (from a hart or DMA) touched [pa, pa+len) of a page with decoded
 * code. Drop the slots that overlap it; a page that keeps being written is
 * handed back to data so its stores return to the fast path. Returns true
 * when decoded code was affected. */
static bool code_written(rv_bus *b, uint64_t pa, uint64_t len)
{
    int64_t ci = code_index(b, pa);
    if (ci < 0 || !b->page_code[ci])
        return false;
    uint32_t idx = b->page_code[ci] - 1;
    rv_dpage *p = &b->dpages[idx];
    uint64_t off = pa & (RV_PAGE_SIZE - 1);
    uint64_t end = off + len;
    if (end > RV_PAGE_SIZE)
        end = RV_PAGE_SIZE;
    /* A 32-bit instruction starting 2 bytes before off overlaps too. */
    uint64_t first = off >= 2 ? (off - 2) / 2 : 0;
    for (uint64_t s = first; s * 2 < end; s++)
        p->insn[s].op = OP_DECODE;
    jit_page_written(p, first * 2, end - first * 2);
    if (++p->writes > DPAGE_WRITE_LIMIT)
        dpage_release(b, idx);
    return true;
}

void bus_invalidate_range(rv_bus *b, uint64_t pa, uint64_t len)
{
    while (len > 0) {
        uint64_t chunk = RV_PAGE_SIZE - (pa & (RV_PAGE_SIZE - 1));
        if (chunk > len)
            chunk = len;
        int64_t ci = code_index(b, pa);
        if (ci >= 0 && b->page_code[ci])
            dpage_release(b, b->page_code[ci] - 1);
        pa += chunk;
        len -= chunk;
    }
}

void bus_watch_page(rv_bus *b, uint64_t pa)
{
    int64_t ci = code_index(b, pa);
    if (ci >= 0)
        b->page_watch[ci] = 1;
    flush_all_store(b);
}

/* ---- PMP (privileged spec 3.7) ---- */

/* Range [lo, hi) of entry i, or false when the entry is off. */
static bool pmp_range(const rv_hart *h, int i, uint64_t *lo, uint64_t *hi)
{
    uint8_t cfg = h->pmpcfg[i];
    uint64_t a = h->pmpaddr[i];
    switch ((cfg >> 3) & 3) {
    case 0: return false;
    case 1: /* TOR */
        *lo = i == 0 ? 0 : h->pmpaddr[i - 1] << 2;
        *hi = a << 2;
        return *lo < *hi;
    case 2: /* NA4 */
        *lo = a << 2;
        *hi = *lo + 4;
        return true;
    default: { /* NAPOT */
        uint64_t ones = (uint64_t)__builtin_ctzll(~a);
        if (ones >= 54) {
            *lo = 0;
            *hi = UINT64_MAX;
            return true;
        }
        uint64_t size = 1ull << (ones + 3);
        *lo = (a << 2) & ~(size - 1);
        *hi = *lo + size;
        return true;
    }
    }
}

/* Permission of [pa, pa+len) for the access; *uniform_page (if given) says
 * whether the answer holds for the whole 4 KiB page around pa. */
static bool pmp_check_page(const rv_hart *h, uint64_t pa, uint64_t len, int access, int priv,
                           bool *uniform_page)
{
    uint64_t pg_lo = pa & ~(uint64_t)(RV_PAGE_SIZE - 1), pg_hi = pg_lo + RV_PAGE_SIZE;
    if (uniform_page)
        *uniform_page = true;
    /* 16 entries are implemented, so an S/U access that matches none fails
     * even when every entry is OFF (3.7.1); M succeeds. */
    if (!h->pmp_active)
        return priv == PRV_M;
    for (int i = 0; i < 16; i++) {
        uint64_t lo, hi;
        if (!pmp_range(h, i, &lo, &hi))
            continue;
        bool touches_page = lo < pg_hi && hi > pg_lo;
        if (touches_page && uniform_page && !(lo <= pg_lo && hi >= pg_hi))
            *uniform_page = false;
        bool any = pa < hi && pa + len > lo;
        if (!any)
            continue;
        if (!(pa >= lo && pa + len <= hi))
            return false; /* partial match fails (3.7.1.3) */
        uint8_t cfg = h->pmpcfg[i];
        if (priv == PRV_M && !(cfg & 0x80))
            return true;
        uint8_t need = access == ACC_FETCH ? 4 : access == ACC_LOAD ? 1 : 2;
        return (cfg & need) != 0;
    }
    /* No entry matched: M succeeds, S/U fail when any entry is active. */
    return priv == PRV_M;
}

bool pmp_check(const rv_hart *h, uint64_t pa, uint64_t len, int access, int priv)
{
    return pmp_check_page(h, pa, len, access, priv, NULL);
}

/* ---- translation ---- */

int mmu_data_priv(const rv_hart *h)
{
    if (h->priv == PRV_M && (h->mstatus & MSTATUS_MPRV))
        return (int)((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
    return h->priv;
}

static int fault_cause(int access)
{
    return access == ACC_FETCH  ? EXC_INSN_PAGE
           : access == ACC_LOAD ? EXC_LOAD_PAGE
                                : EXC_STORE_PAGE;
}

static int access_cause(int access)
{
    return access == ACC_FETCH  ? EXC_INSN_ACCESS
           : access == ACC_LOAD ? EXC_LOAD_ACCESS
                                : EXC_STORE_ACCESS;
}

int mmu_translate(rv_hart *h, uint64_t va, int access, int priv, uint64_t *pa)
{
    uint64_t mode = h->satp >> 60;
    if (priv == PRV_M || mode == 0) {
        *pa = va;
        return 0;
    }
    int levels = mode == 9 ? 4 : 3;
    int vabits = 12 + 9 * levels;
    /* Canonical: bits 63..vabits-1 all equal. */
    int64_t sx = (int64_t)(va << (64 - vabits)) >> (64 - vabits);
    if ((uint64_t)sx != va)
        return fault_cause(access) + 1;
    uint64_t base = (h->satp & ((1ull << 44) - 1)) << 12;
    for (int lvl = levels - 1; lvl >= 0; lvl--) {
        uint64_t idx = (va >> (12 + 9 * lvl)) & 511;
        uint64_t pte_pa = base + idx * 8;
        /* Implicit page-table reads are checked by PMP as S-mode loads. */
        if (!in_ram(h->bus, pte_pa, 8) || !pmp_check(h, pte_pa, 8, ACC_LOAD, PRV_S))
            return access_cause(access) + 1;
        uint8_t *pp = h->bus->ram + (pte_pa - h->bus->ram_base);
        uint64_t pte;
        memcpy(&pte, pp, 8);
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)))
            return fault_cause(access) + 1;
        if (pte >> 54) /* reserved bits, Svpbmt/Svnapot not implemented */
            return fault_cause(access) + 1;
        if (!(pte & (PTE_R | PTE_X))) {
            if (pte & (PTE_A | PTE_D | PTE_U))
                return fault_cause(access) + 1;
            base = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
            continue;
        }
        /* leaf */
        bool u = (pte & PTE_U) != 0;
        if (priv == PRV_U && !u)
            return fault_cause(access) + 1;
        if (priv == PRV_S && u && (access == ACC_FETCH || !(h->mstatus & MSTATUS_SUM)))
            return fault_cause(access) + 1;
        bool ok;
        if (access == ACC_FETCH)
            ok = pte & PTE_X;
        else if (access == ACC_LOAD)
            ok = (pte & PTE_R) || ((h->mstatus & MSTATUS_MXR) && (pte & PTE_X));
        else
            ok = pte & PTE_W;
        if (!ok)
            return fault_cause(access) + 1;
        uint64_t ppn = (pte >> 10) & ((1ull << 44) - 1);
        if (lvl > 0 && (ppn & ((1ull << (9 * lvl)) - 1)))
            return fault_cause(access) + 1; /* misaligned superpage */
        uint64_t npte = pte | PTE_A | (access == ACC_STORE ? PTE_D : 0);
        if (npte != pte) {
            if (!pmp_check(h, pte_pa, 8, ACC_STORE, PRV_S))
                return access_cause(access) + 1;
            memcpy(pp, &npte, 8);
            code_written(h->bus, pte_pa, 8);
        }
        uint64_t off_mask = (1ull << (12 + 9 * lvl)) - 1;
        *pa = ((ppn << 12) & ~off_mask) | (va & off_mask);
        return 0;
    }
    return fault_cause(access) + 1;
}

/* Translates and checks PMP for an access of len bytes inside one page;
 * on failure raises the trap and returns false. */
static bool translate_checked(rv_hart *h, uint64_t va, unsigned len, int access, int priv,
                              uint64_t *pa, bool *uniform)
{
    int r = mmu_translate(h, va, access, priv, pa);
    if (r) {
        hart_trap(h, (uint64_t)(r - 1), va);
        return false;
    }
    if (!pmp_check_page(h, *pa, len, access, priv, uniform)) {
        hart_trap(h, (uint64_t)access_cause(access), va);
        return false;
    }
    return true;
}

static void tlb_fill(rv_hart *h, int access, uint64_t va, uint64_t pa)
{
    rv_bus *b = h->bus;
    uint8_t *host;
    if (in_ram(b, pa, 1))
        host = b->ram + (pa - b->ram_base);
    else if (access != ACC_STORE && in_rom(b, pa, 1) &&
             in_rom(b, pa & ~(uint64_t)(RV_PAGE_SIZE - 1), RV_PAGE_SIZE))
        host = (uint8_t *)b->rom + (pa - b->rom_base);
    else
        return;
    uint64_t vpn = va >> RV_PAGE_SHIFT;
    uint64_t pg = va & ~(uint64_t)(RV_PAGE_SIZE - 1);
    uint8_t *hpage = host - (va & (RV_PAGE_SIZE - 1));
    rv_tlb_entry *e;
    if (access == ACC_LOAD) {
        e = &h->tlb_load[h->dctx][vpn & (RV_TLB_SIZE - 1)];
    } else {
        int64_t ci = code_index(b, pa);
        if (ci < 0 || b->page_code[ci] || b->page_watch[ci])
            return;
        e = &h->tlb_store[h->dctx][vpn & (RV_TLB_SIZE - 1)];
    }
    e->vpn = vpn;
    e->addend = (uint64_t)(uintptr_t)hpage - pg;
}

static bool phys_read(rv_hart *h, uint64_t pa, unsigned len, uint64_t *val)
{
    rv_bus *b = h->bus;
    if (in_ram(b, pa, len)) {
        uint64_t v = 0;
        memcpy(&v, b->ram + (pa - b->ram_base), len);
        *val = v;
        return true;
    }
    if (in_rom(b, pa, len)) {
        uint64_t v = 0;
        memcpy(&v, b->rom + (pa - b->rom_base), len);
        *val = v;
        return true;
    }
    h->slice_end = true;
    return b->mmio_read(b->ctx, pa, len, val);
}

static bool phys_write(rv_hart *h, uint64_t pa, unsigned len, uint64_t val)
{
    rv_bus *b = h->bus;
    if (in_ram(b, pa, len)) {
        int64_t ci = code_index(b, pa);
        memcpy(b->ram + (pa - b->ram_base), &val, len);
        if (b->page_code[ci]) {
            code_written(b, pa, len);
            h->slice_end = true;
        }
        if (b->page_watch[ci] && pa == b->tohost_pa) {
            b->tohost_hit = true;
            h->slice_end = true;
        }
        return true;
    }
    h->slice_end = true;
    return b->mmio_write(b->ctx, pa, len, val);
}

static uint64_t va_page_len(uint64_t va, unsigned len)
{
    uint64_t room = RV_PAGE_SIZE - (va & (RV_PAGE_SIZE - 1));
    return room < len ? room : len;
}

bool mem_load_slow(rv_hart *h, uint64_t va, unsigned len, uint64_t *val)
{
    int priv = mmu_data_priv(h);
    uint64_t first = va_page_len(va, len);
    if (first < len) {
        /* Misaligned access across a page boundary: two halves, each
         * translated; the result is assembled little-endian. */
        uint64_t lo, hi;
        if (!mem_load_slow(h, va, (unsigned)first, &lo))
            return false;
        if (!mem_load_slow(h, va + first, len - (unsigned)first, &hi))
            return false;
        *val = lo | (hi << (8 * first));
        return true;
    }
    uint64_t pa;
    bool uniform;
    if (!translate_checked(h, va, len, ACC_LOAD, priv, &pa, &uniform))
        return false;
    bool ram = in_ram(h->bus, pa, len) || in_rom(h->bus, pa, len);
    if (!ram && (pa & (len - 1))) {
        /* Devices take naturally aligned accesses only. */
        hart_trap(h, EXC_LOAD_ACCESS, va);
        return false;
    }
    if (!phys_read(h, pa, len, val)) {
        hart_trap(h, EXC_LOAD_ACCESS, va);
        return false;
    }
    if (ram && uniform)
        tlb_fill(h, ACC_LOAD, va, pa);
    return true;
}

bool mem_store_slow(rv_hart *h, uint64_t va, unsigned len, uint64_t val)
{
    int priv = mmu_data_priv(h);
    uint64_t first = va_page_len(va, len);
    if (first < len) {
        /* Check both pages before writing either, so a fault on the
         * second leaves memory untouched. */
        uint64_t pa1, pa2;
        if (!translate_checked(h, va, (unsigned)first, ACC_STORE, priv, &pa1, NULL) ||
            !translate_checked(h, va + first, len - (unsigned)first, ACC_STORE, priv, &pa2, NULL))
            return false;
        for (unsigned i = 0; i < len; i++) {
            uint64_t pa = i < first ? pa1 + i : pa2 + (i - first);
            if (!phys_write(h, pa, 1, (val >> (8 * i)) & 0xff)) {
                hart_trap(h, EXC_STORE_ACCESS, va + i);
                return false;
            }
        }
        return true;
    }
    uint64_t pa;
    bool uniform;
    if (!translate_checked(h, va, len, ACC_STORE, priv, &pa, &uniform))
        return false;
    bool ram = in_ram(h->bus, pa, len);
    if (!ram && (pa & (len - 1))) {
        hart_trap(h, EXC_STORE_ACCESS, va);
        return false;
    }
    if (!phys_write(h, pa, len, val)) {
        hart_trap(h, EXC_STORE_ACCESS, va);
        return false;
    }
    if (ram && uniform)
        tlb_fill(h, ACC_STORE, va, pa);
    return true;
}

bool mem_mmio_read(rv_hart *h, uint64_t pa, unsigned len, uint64_t *val)
{
    return phys_read(h, pa, len, val);
}

bool mem_mmio_write(rv_hart *h, uint64_t pa, unsigned len, uint64_t val)
{
    return phys_write(h, pa, len, val);
}

/* Address of an LR (access = ACC_LOAD) or SC/AMO (ACC_STORE): aligned,
 * translated, PMP-checked. AMOs need read and write permission; a failure
 * of either is a store/AMO fault. */
bool mem_amo_addr(rv_hart *h, uint64_t va, unsigned len, int access, uint64_t *pa, uint8_t **host)
{
    if (va & (len - 1)) {
        hart_trap(h, access == ACC_LOAD ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED, va);
        return false;
    }
    int priv = mmu_data_priv(h);
    int r = mmu_translate(h, va, access, priv, pa);
    if (r) {
        hart_trap(h, (uint64_t)(r - 1), va);
        return false;
    }
    if (!pmp_check(h, *pa, len, ACC_LOAD, priv) ||
        (access == ACC_STORE && !pmp_check(h, *pa, len, ACC_STORE, priv))) {
        hart_trap(h, access == ACC_LOAD ? EXC_LOAD_ACCESS : EXC_STORE_ACCESS, va);
        return false;
    }
    if (in_ram(h->bus, *pa, len)) {
        *host = h->bus->ram + (*pa - h->bus->ram_base);
        if (access == ACC_STORE && code_written(h->bus, *pa, len))
            h->slice_end = true;
        if (access == ACC_STORE && *pa == h->bus->tohost_pa) {
            h->bus->tohost_hit = true;
            h->slice_end = true;
        }
    } else {
        *host = NULL;
        h->slice_end = true;
    }
    return true;
}

/* ---- fetch ---- */

/* The decoded page holding va for the current fetch context, via the fetch
 * TLB; NULL after raising a fetch fault. */
rv_dpage *fetch_page(rv_hart *h, uint64_t va, bool *whole_page)
{
    uint64_t vpn = va >> RV_PAGE_SHIFT;
    rv_ftlb_entry *e = &h->tlb_fetch[h->fctx][vpn & (RV_TLB_SIZE - 1)];
    *whole_page = true; /* the fetch TLB holds uniform pages only */
    if (e->vpn == vpn)
        return e->page;
    uint64_t pa;
    bool uniform;
    if (!translate_checked(h, va, 2, ACC_FETCH, h->priv, &pa, &uniform))
        return NULL;
    rv_dpage *p = NULL;
    if (in_ram(h->bus, pa, 2) || in_rom(h->bus, pa, 2))
        p = dpage_get(h->bus, pa);
    if (!p) {
        hart_trap(h, EXC_INSN_ACCESS, va);
        return NULL;
    }
    if (uniform) {
        e->vpn = vpn;
        e->page = p;
    }
    *whole_page = uniform;
    return p;
}

/* Reads 16 bits of instruction memory at va (translated); false after a
 * fetch fault reported at va. */
static bool fetch16(rv_hart *h, uint64_t va, uint16_t *out)
{
    uint64_t pa;
    if (!translate_checked(h, va, 2, ACC_FETCH, h->priv, &pa, NULL))
        return false;
    rv_bus *b = h->bus;
    if (in_ram(b, pa, 2))
        memcpy(out, b->ram + (pa - b->ram_base), 2);
    else if (in_rom(b, pa, 2))
        memcpy(out, b->rom + (pa - b->rom_base), 2);
    else {
        hart_trap(h, EXC_INSN_ACCESS, va);
        return false;
    }
    return true;
}

/* Decodes the instruction at va (any alignment to 2) without caching. */
bool fetch_decode_uncached(rv_hart *h, uint64_t va, rv_insn *d)
{
    uint16_t lo, hi;
    if (!fetch16(h, va, &lo))
        return false;
    if ((lo & 3) != 3) {
        uint32_t x = rvc_expand(lo);
        decode_insn(d, x ? x : 0);
        d->len = 2;
        d->raw = lo;
        if (!x)
            d->op = OP_ILLEGAL;
        return true;
    }
    if (!fetch16(h, va + 2, &hi))
        return false;
    decode_insn(d, (uint32_t)lo | (uint32_t)hi << 16);
    return true;
}

/* Decodes the slot for va in page p (host bytes of the same physical page). */
void fetch_decode_slot(rv_hart *h, rv_dpage *p, uint64_t va, rv_insn *d)
{
    rv_bus *b = h->bus;
    uint64_t off = va & (RV_PAGE_SIZE - 1);
    bool ram = in_ram(b, p->pa, 1);
    const uint8_t *host = ram ? b->ram + (p->pa - b->ram_base) : b->rom + (p->pa - b->rom_base);
    uint64_t pa = p->pa + off;
    if (!(ram ? in_ram(b, pa, 2) : in_rom(b, pa, 2))) {
        /* Past the end of a ROM smaller than a page: the uncached path
         * reads nothing and raises the access fault. */
        memset(d, 0, sizeof(*d));
        d->op = OP_CROSS;
        d->len = 4;
        return;
    }
    uint16_t lo;
    memcpy(&lo, host + off, 2);
    if ((lo & 3) != 3) {
        uint32_t x = rvc_expand(lo);
        decode_insn(d, x);
        d->len = 2;
        d->raw = lo;
        if (!x)
            d->op = OP_ILLEGAL;
        return;
    }
    if (off == RV_PAGE_SIZE - 2 || !(ram ? in_ram(b, pa, 4) : in_rom(b, pa, 4))) {
        /* The second half lives on the next page: never cached. */
        memset(d, 0, sizeof(*d));
        d->op = OP_CROSS;
        d->len = 4;
        return;
    }
    uint16_t hi;
    memcpy(&hi, host + off + 2, 2);
    decode_insn(d, (uint32_t)lo | (uint32_t)hi << 16);
}
