/* MMU tests for vm/cpu/mmu.c: Sv39 and Sv48 walks over page tables built in
 * guest RAM (privileged spec 1.12, 4.3.2 "Virtual Address Translation
 * Process", 4.4 Sv39, 4.5 Sv48), called directly through mmu_translate(),
 * then small S-mode programs for what only execution shows: mtval on page
 * faults, a fetch straddling into an unmapped page, SFENCE.VMA dropping
 * stale TLB entries, and code modified through a second virtual mapping. */
#include "cpu_harness.h"

#define PTE_V (1ull << 0)
#define PTE_R (1ull << 1)
#define PTE_W (1ull << 2)
#define PTE_X (1ull << 3)
#define PTE_U (1ull << 4)
#define PTE_G (1ull << 5)
#define PTE_A (1ull << 6)
#define PTE_D (1ull << 7)
#define RWX (PTE_R | PTE_W | PTE_X)
#define LEAF_ALL (PTE_V | RWX | PTE_A | PTE_D)

#define RAM_SIZE (4u << 20)
#define PT_BASE (RAM_BASE + 0x100000)
#define DATA (RAM_BASE + 0x200000)
#define SATP_SV39 8ull
#define SATP_SV48 9ull

typedef struct pt {
    cpu_env *e;
    uint64_t next, root;
    int levels;
} pt;

static uint64_t pt_alloc(pt *p)
{
    uint64_t a = p->next;
    p->next += 4096;
    memset(ram_ptr(p->e, a), 0, 4096);
    return a;
}

static void pt_init(pt *p, cpu_env *e, int levels)
{
    p->e = e;
    p->next = PT_BASE;
    p->levels = levels;
    p->root = pt_alloc(p);
    uint64_t mode = levels == 4 ? SATP_SV48 : SATP_SV39;
    e->hart.satp = mode << 60 | (p->root >> 12);
    hart_flush_tlb(&e->hart);
}

/* Maps va to pa with a leaf at level lvl (0 = 4 KiB, 1 = 2 MiB, 2 = 1 GiB,
 * 3 = 512 GiB); returns the physical address of the leaf PTE. */
static uint64_t pt_map(pt *p, uint64_t va, uint64_t pa, int lvl, uint64_t flags)
{
    uint64_t table = p->root;
    for (int l = p->levels - 1; l > lvl; l--) {
        uint64_t pte_pa = table + ((va >> (12 + 9 * l)) & 511) * 8;
        uint64_t pte = peek64(p->e, pte_pa);
        if (!(pte & PTE_V)) {
            uint64_t nt = pt_alloc(p);
            pte = (nt >> 12) << 10 | PTE_V;
            poke64(p->e, pte_pa, pte);
        }
        table = ((pte >> 10) & ((1ull << 44) - 1)) << 12;
    }
    uint64_t pte_pa = table + ((va >> (12 + 9 * lvl)) & 511) * 8;
    poke64(p->e, pte_pa, (pa >> 12) << 10 | flags);
    hart_flush_tlb(&p->e->hart);
    return pte_pa;
}

static int tr(cpu_env *e, uint64_t va, int access, int priv, uint64_t *pa)
{
    *pa = 0xdeadbeefull;
    return mmu_translate(&e->hart, va, access, priv, pa);
}

static const char *acc_name[3] = {"fetch", "load", "store"};
static const int page_fault[3] = {EXC_INSN_PAGE, EXC_LOAD_PAGE, EXC_STORE_PAGE};
static const int access_fault[3] = {EXC_INSN_ACCESS, EXC_LOAD_ACCESS, EXC_STORE_ACCESS};

/* Checks a successful translation. */
static void expect_pa(cpu_env *e, const char *name, uint64_t va, int access, int priv,
                      uint64_t want)
{
    uint64_t pa;
    int r = tr(e, va, access, priv, &pa);
    check(r == 0 && pa == want, name, "%s va %#llx: rc %d pa %#llx, want pa %#llx",
          acc_name[access], (unsigned long long)va, r, (unsigned long long)pa,
          (unsigned long long)want);
}

/* Checks a fault with the given cause. */
static void expect_fault(cpu_env *e, const char *name, uint64_t va, int access, int priv, int cause)
{
    uint64_t pa;
    int r = tr(e, va, access, priv, &pa);
    check(r == cause + 1, name, "%s va %#llx: rc %d (cause %d), want cause %d", acc_name[access],
          (unsigned long long)va, r, r - 1, cause);
}

/* ---- walks ---- */

static void test_sv39_sizes(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt p;
    pt_init(&p, e, 3);
    pt_map(&p, 0x1000, DATA + 0x5000, 0, LEAF_ALL);
    pt_map(&p, 0x200000, RAM_BASE + 0x200000, 1, LEAF_ALL);
    pt_map(&p, 0x40000000, RAM_BASE, 2, LEAF_ALL);
    pt_map(&p, 0xffffffffc0000000ull, RAM_BASE, 2, LEAF_ALL); /* top 1 GiB, high half */
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "sv39.4k.%s", acc_name[a]);
        expect_pa(e, n, 0x1abc, a, PRV_S, DATA + 0x5abc);
        snprintf(n, sizeof(n), "sv39.2m.%s", acc_name[a]);
        expect_pa(e, n, 0x3fedcb, a, PRV_S, RAM_BASE + 0x3fedcb);
        snprintf(n, sizeof(n), "sv39.1g.%s", acc_name[a]);
        expect_pa(e, n, 0x40000000 + 0x123456, a, PRV_S, RAM_BASE + 0x123456);
    }
    expect_pa(e, "sv39.1g.high_half", 0xffffffffc0000010ull, ACC_LOAD, PRV_S, RAM_BASE + 0x10);
    expect_fault(e, "sv39.unmapped_4k", 0x2000, ACC_LOAD, PRV_S, EXC_LOAD_PAGE);
    expect_fault(e, "sv39.unmapped_root_entry", 0x80000000ull, ACC_STORE, PRV_S, EXC_STORE_PAGE);
    expect_pa(e, "sv39.m_mode_is_bare", 0x1abc, ACC_LOAD, PRV_M, 0x1abc);

    /* Misaligned superpages (4.3.2 step 6). */
    pt_map(&p, 0x600000, RAM_BASE + 0x201000, 1, LEAF_ALL);
    pt_map(&p, 0x80000000ull, RAM_BASE + 0x200000, 2, LEAF_ALL);
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "sv39.misaligned_2m.%s", acc_name[a]);
        expect_fault(e, n, 0x600000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "sv39.misaligned_1g.%s", acc_name[a]);
        expect_fault(e, n, 0x80000000ull, a, PRV_S, page_fault[a]);
    }

    /* Non-canonical addresses: bits 63..39 must equal bit 38. */
    const uint64_t noncanon[] = {0x0000004000000000ull, 0x8000000000001000ull,
                                 0xffffff8000001000ull ^ (1ull << 63), 0x0001000000001000ull};
    for (size_t k = 0; k < sizeof(noncanon) / sizeof(noncanon[0]); k++)
        for (int a = 0; a < 3; a++) {
            char n[80];
            snprintf(n, sizeof(n), "sv39.noncanonical_%zu.%s", k, acc_name[a]);
            expect_fault(e, n, noncanon[k], a, PRV_S, page_fault[a]);
        }
    /* The address with only bit 38 of the high half: canonical, unmapped. */
    expect_fault(e, "sv39.canonical_unmapped", 0xffffffc000000000ull, ACC_LOAD, PRV_S,
                 EXC_LOAD_PAGE);
    env_free(e);
}

static void test_sv48_sizes(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt p;
    pt_init(&p, e, 4);
    pt_map(&p, 0x1000, DATA + 0x5000, 0, LEAF_ALL);
    pt_map(&p, 0x200000, RAM_BASE + 0x200000, 1, LEAF_ALL);
    pt_map(&p, 0x40000000, RAM_BASE, 2, LEAF_ALL);
    /* 512 GiB page at va 512 GiB -> pa 0: RAM_BASE lies inside it. */
    pt_map(&p, 0x8000000000ull, 0, 3, LEAF_ALL);
    /* Above Sv39's reach: a va with bit 46 set is canonical in Sv48. */
    pt_map(&p, 0x400000001000ull, DATA + 0x7000, 0, LEAF_ALL);
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "sv48.4k.%s", acc_name[a]);
        expect_pa(e, n, 0x1ff8, a, PRV_S, DATA + 0x5ff8);
        snprintf(n, sizeof(n), "sv48.2m.%s", acc_name[a]);
        expect_pa(e, n, 0x200008, a, PRV_S, RAM_BASE + 0x200008);
        snprintf(n, sizeof(n), "sv48.1g.%s", acc_name[a]);
        expect_pa(e, n, 0x7fffffff, a, PRV_S, RAM_BASE + 0x3fffffff);
        snprintf(n, sizeof(n), "sv48.512g.%s", acc_name[a]);
        expect_pa(e, n, 0x8000000000ull + RAM_BASE + 0x10, a, PRV_S, RAM_BASE + 0x10);
    }
    expect_pa(e, "sv48.bit46_canonical", 0x400000001234ull, ACC_LOAD, PRV_S, DATA + 0x7234);
    pt_map(&p, 0x10000000000ull, RAM_BASE + 0x200000, 3, LEAF_ALL);
    expect_fault(e, "sv48.misaligned_512g", 0x10000000000ull, ACC_LOAD, PRV_S, EXC_LOAD_PAGE);
    expect_fault(e, "sv48.noncanonical_bit47", 0x0000800000000000ull, ACC_LOAD, PRV_S,
                 EXC_LOAD_PAGE);
    expect_fault(e, "sv48.noncanonical_high", 0xfff0800000000000ull, ACC_STORE, PRV_S,
                 EXC_STORE_PAGE);
    expect_fault(e, "sv48.canonical_high_unmapped", 0xffff800000000000ull, ACC_FETCH, PRV_S,
                 EXC_INSN_PAGE);
    env_free(e);
}

static void test_ad_bits(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt p;
    pt_init(&p, e, 3);
    uint64_t base = PTE_V | RWX;
    uint64_t l = pt_map(&p, 0x1000, DATA, 0, base);
    uint64_t s = pt_map(&p, 0x2000, DATA + 0x1000, 0, base);
    uint64_t f = pt_map(&p, 0x3000, DATA + 0x2000, 0, base);
    uint64_t g = pt_map(&p, 0x200000, RAM_BASE + 0x200000, 1, base); /* 2 MiB */
    uint64_t pa;
    int r = tr(e, 0x1000, ACC_LOAD, PRV_S, &pa);
    uint64_t v = peek64(e, l);
    check(r == 0 && (v & PTE_A) && !(v & PTE_D), "ad.load_sets_a_only", "rc %d pte %#llx", r,
          (unsigned long long)v);
    r = tr(e, 0x2000, ACC_STORE, PRV_S, &pa);
    v = peek64(e, s);
    check(r == 0 && (v & PTE_A) && (v & PTE_D), "ad.store_sets_a_and_d", "rc %d pte %#llx", r,
          (unsigned long long)v);
    r = tr(e, 0x3000, ACC_FETCH, PRV_S, &pa);
    v = peek64(e, f);
    check(r == 0 && (v & PTE_A) && !(v & PTE_D), "ad.fetch_sets_a_only", "rc %d pte %#llx", r,
          (unsigned long long)v);
    r = tr(e, 0x234567, ACC_STORE, PRV_S, &pa);
    v = peek64(e, g);
    check(r == 0 && (v & PTE_A) && (v & PTE_D) && pa == RAM_BASE + 0x234567,
          "ad.superpage_store_sets_a_and_d", "rc %d pte %#llx", r, (unsigned long long)v);
    /* A fault must not set A (4.3.2: A/D are updated only for an access
     * that is allowed). */
    uint64_t ro = pt_map(&p, 0x4000, DATA + 0x3000, 0, PTE_V | PTE_R);
    r = tr(e, 0x4000, ACC_STORE, PRV_S, &pa);
    v = peek64(e, ro);
    check(r == EXC_STORE_PAGE + 1 && !(v & (PTE_A | PTE_D)), "ad.fault_leaves_pte_alone",
          "rc %d pte %#llx", r, (unsigned long long)v);
    /* The non-leaf PTEs are not touched. */
    uint64_t root0 = peek64(e, p.root);
    check(!(root0 & (PTE_A | PTE_D)), "ad.nonleaf_untouched", "root[0] = %#llx",
          (unsigned long long)root0);
    env_free(e);
}

static void test_permissions(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt p;
    pt_init(&p, e, 3);
    rv_hart *h = &e->hart;
    pt_map(&p, 0x1000, DATA, 0, LEAF_ALL);                               /* S page RWX */
    pt_map(&p, 0x2000, DATA + 0x1000, 0, LEAF_ALL | PTE_U);              /* U page RWX */
    pt_map(&p, 0x3000, DATA + 0x2000, 0, PTE_V | PTE_X | PTE_A);         /* S execute-only */
    pt_map(&p, 0x4000, DATA + 0x3000, 0, PTE_V | PTE_R | PTE_A);         /* S read-only */
    pt_map(&p, 0x5000, DATA + 0x4000, 0, PTE_V | PTE_W | PTE_A | PTE_D); /* W without R */
    pt_map(&p, 0x6000, DATA + 0x5000, 0, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D); /* WX, no R */
    pt_map(&p, 0x7000, DATA + 0x6000, 0, LEAF_ALL & ~PTE_V);                     /* not valid */
    pt_map(&p, 0x8000, DATA + 0x7000, 0, PTE_V | PTE_X | PTE_A | PTE_U); /* U execute-only */
    pt_map(&p, 0x9000, DATA + 0x8000, 0, LEAF_ALL | (1ull << 60));       /* reserved bit */
    pt_map(&p, 0xa000, DATA + 0x9000, 0, LEAF_ALL | (1ull << 61));       /* PBMT (no Svpbmt) */
    pt_map(&p, 0xb000, DATA + 0xa000, 0, LEAF_ALL | (1ull << 63));       /* N (no Svnapot) */
    pt_map(&p, 0xc000, DATA + 0xb000, 0, LEAF_ALL | (1ull << 54));       /* lowest reserved */
    /* The last level holding a pointer (no leaf by level 0) is a fault. */
    pt_map(&p, 0xd000, DATA + 0xc000, 0, PTE_V);

    h->mstatus &= ~(MSTATUS_SUM | MSTATUS_MXR);
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "perm.s_on_s_page.%s", acc_name[a]);
        expect_pa(e, n, 0x1000, a, PRV_S, DATA);
        snprintf(n, sizeof(n), "perm.u_on_s_page.%s", acc_name[a]);
        expect_fault(e, n, 0x1000, a, PRV_U, page_fault[a]);
        snprintf(n, sizeof(n), "perm.u_on_u_page.%s", acc_name[a]);
        expect_pa(e, n, 0x2000, a, PRV_U, DATA + 0x1000);
        snprintf(n, sizeof(n), "perm.s_on_u_page_nosum.%s", acc_name[a]);
        expect_fault(e, n, 0x2000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.w_without_r.%s", acc_name[a]);
        expect_fault(e, n, 0x5000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.wx_without_r.%s", acc_name[a]);
        expect_fault(e, n, 0x6000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.invalid_pte.%s", acc_name[a]);
        expect_fault(e, n, 0x7000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.reserved_bit60.%s", acc_name[a]);
        expect_fault(e, n, 0x9000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.pbmt_without_svpbmt.%s", acc_name[a]);
        expect_fault(e, n, 0xa000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.n_without_svnapot.%s", acc_name[a]);
        expect_fault(e, n, 0xb000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.reserved_bit54.%s", acc_name[a]);
        expect_fault(e, n, 0xc000, a, PRV_S, page_fault[a]);
        snprintf(n, sizeof(n), "perm.pointer_at_level0.%s", acc_name[a]);
        expect_fault(e, n, 0xd000, a, PRV_S, page_fault[a]);
    }
    expect_pa(e, "perm.xonly.fetch", 0x3000, ACC_FETCH, PRV_S, DATA + 0x2000);
    expect_fault(e, "perm.xonly.load_nomxr", 0x3000, ACC_LOAD, PRV_S, EXC_LOAD_PAGE);
    expect_fault(e, "perm.xonly.store", 0x3000, ACC_STORE, PRV_S, EXC_STORE_PAGE);
    expect_pa(e, "perm.ronly.load", 0x4000, ACC_LOAD, PRV_S, DATA + 0x3000);
    expect_fault(e, "perm.ronly.store", 0x4000, ACC_STORE, PRV_S, EXC_STORE_PAGE);
    expect_fault(e, "perm.ronly.fetch", 0x4000, ACC_FETCH, PRV_S, EXC_INSN_PAGE);

    /* SUM: S may load/store U pages, never fetch from them (4.3.1). */
    h->mstatus |= MSTATUS_SUM;
    expect_pa(e, "perm.sum.load", 0x2008, ACC_LOAD, PRV_S, DATA + 0x1008);
    expect_pa(e, "perm.sum.store", 0x2008, ACC_STORE, PRV_S, DATA + 0x1008);
    expect_fault(e, "perm.sum.fetch_still_faults", 0x2008, ACC_FETCH, PRV_S, EXC_INSN_PAGE);
    expect_fault(e, "perm.sum.u_still_denied_s_page", 0x1000, ACC_LOAD, PRV_U, EXC_LOAD_PAGE);
    h->mstatus &= ~MSTATUS_SUM;

    /* MXR: loads from execute-only pages succeed. */
    h->mstatus |= MSTATUS_MXR;
    expect_pa(e, "perm.mxr.load_xonly", 0x3010, ACC_LOAD, PRV_S, DATA + 0x2010);
    expect_fault(e, "perm.mxr.store_xonly", 0x3010, ACC_STORE, PRV_S, EXC_STORE_PAGE);
    expect_pa(e, "perm.mxr.u_load_u_xonly", 0x8010, ACC_LOAD, PRV_U, DATA + 0x7010);
    h->mstatus &= ~MSTATUS_MXR;
    expect_fault(e, "perm.nomxr.u_load_u_xonly", 0x8010, ACC_LOAD, PRV_U, EXC_LOAD_PAGE);

    /* MPRV: M-mode data accesses translate with MPP's privilege. */
    h->mstatus =
        (h->mstatus & ~MSTATUS_MPP) | MSTATUS_MPRV | ((uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    set_priv(e, PRV_M);
    check(mmu_data_priv(h) == PRV_S, "perm.mprv_data_priv_is_mpp", "got %d", mmu_data_priv(h));
    h->mstatus &= ~MSTATUS_MPRV;
    check(mmu_data_priv(h) == PRV_M, "perm.no_mprv_data_priv_is_m", "got %d", mmu_data_priv(h));
    env_free(e);
}

/* Page-table pointers into the void: access fault, not page fault (4.3.2
 * step 2: "If accessing pte violates a PMA or PMP check, raise an access
 * exception"). */
static void test_walk_access_faults(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt p;
    pt_init(&p, e, 3);
    rv_hart *h = &e->hart;
    uint64_t good = h->satp;
    /* Root outside RAM (nothing mapped at 0x2000_0000). */
    h->satp = SATP_SV39 << 60 | (0x20000000ull >> 12);
    hart_flush_tlb(h);
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "walk.root_outside_ram.%s", acc_name[a]);
        expect_fault(e, n, 0x1000, a, PRV_S, access_fault[a]);
    }
    /* Root in the device window: still not memory a walk may read. */
    h->satp = SATP_SV39 << 60 | (DEV_BASE >> 12);
    expect_fault(e, "walk.root_in_mmio", 0x1000, ACC_LOAD, PRV_S, EXC_LOAD_ACCESS);
    /* Root just past the end of RAM. */
    h->satp = SATP_SV39 << 60 | ((RAM_BASE + RAM_SIZE) >> 12);
    expect_fault(e, "walk.root_past_ram_end", 0x1000, ACC_STORE, PRV_S, EXC_STORE_ACCESS);
    /* A huge PPN: must not wrap into RAM. */
    h->satp = SATP_SV39 << 60 | (((1ull << 44) - 1) & ~0xfffull);
    expect_fault(e, "walk.root_huge_ppn", 0x1000, ACC_LOAD, PRV_S, EXC_LOAD_ACCESS);
    h->satp = good;
    /* A non-leaf PTE pointing outside RAM, at the second level. */
    uint64_t l1 = p.root + ((0x40000000ull >> 30) & 511) * 8;
    poke64(e, l1, (0x30000000ull >> 12) << 10 | PTE_V);
    hart_flush_tlb(h);
    for (int a = 0; a < 3; a++) {
        char n[80];
        snprintf(n, sizeof(n), "walk.nonleaf_outside_ram.%s", acc_name[a]);
        expect_fault(e, n, 0x40001000ull, a, PRV_S, access_fault[a]);
    }
    /* A leaf pointing outside RAM translates; the access itself faults later. */
    pt_map(&p, 0x5000, 0x30000000ull, 0, LEAF_ALL);
    expect_pa(e, "walk.leaf_outside_ram_translates", 0x5010, ACC_LOAD, PRV_S, 0x30000010ull);
    env_free(e);
}

static void test_satp_warl(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    rv_hart *h = &e->hart;
    uint64_t v;
    uint64_t sv39 = SATP_SV39 << 60 | (PT_BASE >> 12);
    csr_write(h, CSR_SATP, sv39);
    csr_read(h, CSR_SATP, &v);
    check(v == sv39, "satp.sv39_accepted", "read %#llx", (unsigned long long)v);
    csr_write(h, CSR_SATP, 10ull << 60 | 0x1234); /* Sv57: not supported */
    csr_read(h, CSR_SATP, &v);
    check(v == sv39, "satp.sv57_write_leaves_satp_unchanged", "read %#llx", (unsigned long long)v);
    csr_write(h, CSR_SATP, 11ull << 60 | 0x1234); /* Sv64 */
    csr_read(h, CSR_SATP, &v);
    check(v == sv39, "satp.sv64_write_leaves_satp_unchanged", "read %#llx", (unsigned long long)v);
    csr_write(h, CSR_SATP, 1ull << 60 | 0x1234); /* reserved */
    csr_read(h, CSR_SATP, &v);
    check(v == sv39, "satp.mode1_write_leaves_satp_unchanged", "read %#llx", (unsigned long long)v);
    uint64_t sv48 = SATP_SV48 << 60 | 0x5ull << 44 | (PT_BASE >> 12);
    csr_write(h, CSR_SATP, sv48);
    csr_read(h, CSR_SATP, &v);
    check(v == sv48, "satp.sv48_accepted_with_asid", "read %#llx", (unsigned long long)v);
    csr_write(h, CSR_SATP, 0);
    csr_read(h, CSR_SATP, &v);
    check(v == 0, "satp.bare_accepted", "read %#llx", (unsigned long long)v);

    /* The Linux probe, as a program: csrw satp, t0 (Sv57); csrr a0, satp. */
    uint32_t prog[] = {CSRRW(0, CSR_SATP, R_T0), CSRRS(R_A0, CSR_SATP, 0), J_SELF};
    load_prog(e, RAM_BASE, prog, 3);
    h->x[R_T0] = 10ull << 60 | (PT_BASE >> 12);
    h->pc = RAM_BASE;
    hart_run(h, 10);
    check(h->x[R_A0] == 0 && h->pc == RAM_BASE + 8, "satp.sv57_probe_program_reads_back_0",
          "a0 %#llx pc %#llx", (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);
    env_free(e);
}

/* ---- programs under translation ---- */

/* An S-mode world: RAM identity-mapped by a 1 GiB leaf at va 0x8000_0000
 * (code, page tables and data reachable at their physical addresses),
 * traps to M at RAM_BASE + 0x800 (a parking loop). */
static cpu_env *s_world(pt *p, int levels)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    pt_init(p, e, levels);
    pt_map(p, RAM_BASE, RAM_BASE, 2, LEAF_ALL);
    poke32(e, RAM_BASE + 0x800, J_SELF);
    e->hart.mtvec = RAM_BASE + 0x800;
    set_priv(e, PRV_S);
    return e;
}

static void report_trap(cpu_env *e, const char *name, uint64_t cause, uint64_t epc, uint64_t tval)
{
    rv_hart *h = &e->hart;
    check(h->pc == RAM_BASE + 0x800 && h->mcause == cause && h->mepc == epc && h->mtval == tval,
          name, "pc %#llx mcause %llu mepc %#llx mtval %#llx; want cause %llu epc %#llx tval %#llx",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mepc,
          (unsigned long long)h->mtval, (unsigned long long)cause, (unsigned long long)epc,
          (unsigned long long)tval);
}

static void test_fault_mtval(void)
{
    pt p;
    cpu_env *e = s_world(&p, 3);
    rv_hart *h = &e->hart;
    pt_map(&p, 0x4000, DATA, 0, PTE_V | PTE_R | PTE_A); /* read-only */
    uint32_t prog[] = {LD(R_A0, R_S0, 0x10), J_SELF};
    load_prog(e, RAM_BASE, prog, 2);
    h->x[R_S0] = 0x5000; /* unmapped */
    h->pc = RAM_BASE;
    hart_run(h, 10);
    report_trap(e, "trap.load_page_fault_mtval", EXC_LOAD_PAGE, RAM_BASE, 0x5010);

    set_priv(e, PRV_S);
    uint32_t prog2[] = {SD(R_A0, R_S0, 8), J_SELF};
    load_prog(e, RAM_BASE, prog2, 2);
    h->x[R_S0] = 0x4000; /* read-only */
    h->pc = RAM_BASE;
    hart_run(h, 10);
    report_trap(e, "trap.store_page_fault_mtval", EXC_STORE_PAGE, RAM_BASE, 0x4008);

    /* A misaligned load straddling into an unmapped page: the fault names
     * an address in the unmapped page. */
    set_priv(e, PRV_S);
    pt_map(&p, 0x6000, DATA + 0x1000, 0, LEAF_ALL);
    uint32_t prog3[] = {LD(R_A0, R_S0, 0), J_SELF};
    load_prog(e, RAM_BASE, prog3, 2);
    h->x[R_S0] = 0x6ffc; /* 0x7000 unmapped */
    h->pc = RAM_BASE;
    hart_run(h, 10);
    check(h->mcause == EXC_LOAD_PAGE && h->mtval >= 0x6ffc && h->mtval <= 0x7000 &&
              h->mepc == RAM_BASE,
          "trap.misaligned_load_into_unmapped_page", "mcause %llu mtval %#llx",
          (unsigned long long)h->mcause, (unsigned long long)h->mtval);

    /* Fetch from a page without X. */
    set_priv(e, PRV_S);
    pt_map(&p, 0x8000, DATA + 0x2000, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D);
    h->pc = 0x8000;
    hart_run(h, 10);
    report_trap(e, "trap.fetch_nx_page_fault", EXC_INSN_PAGE, 0x8000, 0x8000);

    /* Delegated to S: scause/stval, M state untouched. */
    set_priv(e, PRV_S);
    h->medeleg = 1u << EXC_LOAD_PAGE;
    h->stvec = RAM_BASE + 0x900;
    poke32(e, RAM_BASE + 0x900, J_SELF);
    h->mcause = 0;
    load_prog(e, RAM_BASE, prog, 2);
    h->x[R_S0] = 0x5000;
    h->pc = RAM_BASE;
    hart_run(h, 10);
    check(h->pc == RAM_BASE + 0x900 && h->priv == PRV_S && h->scause == EXC_LOAD_PAGE &&
              h->stval == 0x5010 && h->sepc == RAM_BASE && h->mcause == 0,
          "trap.delegated_load_page_fault", "pc %#llx priv %d scause %llu stval %#llx",
          (unsigned long long)h->pc, h->priv, (unsigned long long)h->scause,
          (unsigned long long)h->stval);
    env_free(e);
}

/* A 32-bit instruction whose second half lies on the next page. */
static void test_straddle(void)
{
    pt p;
    cpu_env *e = s_world(&p, 3);
    rv_hart *h = &e->hart;
    /* va 0x10000 -> DATA + 0x3000, va 0x11000 -> DATA + 0x8000 (not
     * contiguous), va 0x12000 unmapped. */
    pt_map(&p, 0x10000, DATA + 0x3000, 0, LEAF_ALL);
    pt_map(&p, 0x11000, DATA + 0x8000, 0, LEAF_ALL);
    uint32_t add = ADDI(R_A0, R_A0, 0x123);
    /* c.nop parcels fill up to the straddling word at 0x10ffe. */
    for (uint64_t off = 0; off < 0xffe; off += 2)
        poke16(e, DATA + 0x3000 + off, 0x0001);
    poke16(e, DATA + 0x3ffe, (uint16_t)add);
    poke16(e, DATA + 0x8000, (uint16_t)(add >> 16));
    poke32(e, DATA + 0x8002, J_SELF);
    h->x[R_A0] = 0;
    h->pc = 0x10000;
    hart_run(h, 5000);
    check(h->pc == 0x11002 && h->x[R_A0] == 0x123, "straddle.mapped_pages_execute",
          "pc %#llx a0 %#llx", (unsigned long long)h->pc, (unsigned long long)h->x[R_A0]);
    /* Change the second page's half behind the hart's back (a DMA write):
     * the straddling instruction must be re-read. */
    poke16(e, DATA + 0x8000, (uint16_t)(ADDI(R_A0, R_A0, 0x7f0) >> 16));
    h->x[R_A0] = 0;
    h->pc = 0x10ffe;
    hart_run(h, 10);
    /* low half of addi a0, a0, 0x123 + high half of addi a0, a0, 0x7f0 */
    check(h->pc == 0x11002 && h->x[R_A0] == 0x7f0, "straddle.second_half_rewritten", "a0 %#llx",
          (unsigned long long)h->x[R_A0]);

    /* Second page unmapped: instruction page fault, mtval = the second
     * page's address, mepc = the instruction's address. */
    set_priv(e, PRV_S);
    pt_map(&p, 0x20000, DATA + 0x9000, 0, LEAF_ALL);
    poke16(e, DATA + 0x9ffe, (uint16_t)add);
    h->pc = 0x20ffe;
    hart_run(h, 10);
    report_trap(e, "straddle.into_unmapped_page", EXC_INSN_PAGE, 0x20ffe, 0x21000);

    /* Second page mapped without X. */
    set_priv(e, PRV_S);
    pt_map(&p, 0x21000, DATA + 0xa000, 0, PTE_V | PTE_R | PTE_A);
    h->pc = 0x20ffe;
    hart_run(h, 10);
    report_trap(e, "straddle.into_nx_page", EXC_INSN_PAGE, 0x20ffe, 0x21000);

    /* A compressed instruction in the last parcel does not need the next
     * page at all. */
    set_priv(e, PRV_S);
    poke16(e, DATA + 0x9ffe, 0x0505); /* c.addi a0, 1 */
    pt_map(&p, 0x21000, DATA + 0xa000, 0, LEAF_ALL & ~PTE_V);
    h->x[R_A0] = 0;
    h->pc = 0x20ffe;
    hart_run(h, 1);
    check(h->x[R_A0] == 1 && h->pc == 0x21000, "straddle.rvc_last_parcel_no_fetch_of_next",
          "a0 %llu pc %#llx", (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);
    env_free(e);
}

/* SFENCE.VMA: a PTE changed by a store is seen after SFENCE.VMA. */
static void test_sfence(bool by_address)
{
    pt p;
    cpu_env *e = s_world(&p, 3);
    rv_hart *h = &e->hart;
    uint64_t pte = pt_map(&p, 0x1000, DATA, 0, LEAF_ALL);
    poke64(e, DATA, 111);
    poke64(e, DATA + 0x1000, 222);
    uint32_t prog[] = {
        LD(R_A0, R_S0, 0), SD(R_T0, R_S1, 0),
        LD(R_A1, R_S0, 0), by_address ? SFENCE_VMA(R_S0, 0) : SFENCE_VMA(0, 0),
        LD(R_A2, R_S0, 0), J_SELF,
    };
    load_prog(e, RAM_BASE, prog, 6);
    h->x[R_S0] = 0x1000;
    h->x[R_S1] = pte; /* identity-mapped */
    h->x[R_T0] = ((DATA + 0x1000) >> 12) << 10 | LEAF_ALL;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    const char *n =
        by_address ? "sfence.by_address_drops_stale_entry" : "sfence.all_drops_stale_entry";
    check(h->x[R_A0] == 111 && h->x[R_A2] == 222 && h->pc == RAM_BASE + 20, n,
          "a0 %llu (want 111) a2 %llu (want 222) pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->x[R_A2], (unsigned long long)h->pc);

    /* The same for a code page: remap va 0x3000 from one code page to
     * another and jump there again. */
    set_priv(e, PRV_S);
    uint64_t cpte = pt_map(&p, 0x3000, DATA + 0x4000, 0, LEAF_ALL);
    uint32_t c1[] = {ADDI(R_A0, 0, 1), JALR(0, R_RA, 0)};
    uint32_t c2[] = {ADDI(R_A0, 0, 2), JALR(0, R_RA, 0)};
    load_prog(e, DATA + 0x4000, c1, 2);
    load_prog(e, DATA + 0x5000, c2, 2);
    uint32_t prog2[] = {
        JALR(R_RA, R_S0, 0), /* a0 = 1 */
        ADD(R_A1, R_A0, 0),
        SD(R_T0, R_S1, 0), /* remap */
        by_address ? SFENCE_VMA(R_S0, 0) : SFENCE_VMA(0, 0),
        JALR(R_RA, R_S0, 0), /* a0 = 2 */
        J_SELF,
    };
    load_prog(e, RAM_BASE, prog2, 6);
    h->x[R_S0] = 0x3000;
    h->x[R_S1] = cpte;
    h->x[R_T0] = ((DATA + 0x5000) >> 12) << 10 | LEAF_ALL;
    h->pc = RAM_BASE;
    hart_run(h, 30);
    n = by_address ? "sfence.by_address_remaps_code" : "sfence.all_remaps_code";
    check(h->x[R_A1] == 1 && h->x[R_A0] == 2 && h->pc == RAM_BASE + 20, n,
          "a1 %llu (want 1) a0 %llu (want 2) pc %#llx", (unsigned long long)h->x[R_A1],
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);

    /* satp write to a new root switches translations at once. */
    set_priv(e, PRV_S);
    pt q = p;
    q.root = pt_alloc(&q);
    pt_map(&q, RAM_BASE, RAM_BASE, 2, LEAF_ALL);
    pt_map(&q, 0x1000, DATA + 0x6000, 0, LEAF_ALL);
    poke64(e, DATA + 0x6000, 333);
    uint64_t new_satp = SATP_SV39 << 60 | (q.root >> 12);
    hart_flush_tlb(h);
    uint32_t prog3[] = {LD(R_A0, R_S0, 0), CSRRW(0, CSR_SATP, R_T0), LD(R_A1, R_S0, 0), J_SELF};
    load_prog(e, RAM_BASE, prog3, 4);
    h->x[R_S0] = 0x1000;
    h->x[R_T0] = new_satp;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    n = by_address ? "satp.write_switches_tables_b" : "satp.write_switches_tables";
    check(h->x[R_A0] == 222 && h->x[R_A1] == 333 && h->pc == RAM_BASE + 12, n,
          "a0 %llu (want 222) a1 %llu (want 333) pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->x[R_A1], (unsigned long long)h->pc);
    env_free(e);
}

/* Self-modifying code through a second virtual mapping of the same
 * physical page (what a kernel does when it writes a program's text via
 * its linear map). */
static void test_smc_alias(bool fence)
{
    pt p;
    cpu_env *e = s_world(&p, 3);
    rv_hart *h = &e->hart;
    uint64_t code = DATA + 0x10000;
    pt_map(&p, 0x10000, code, 0, PTE_V | PTE_R | PTE_X | PTE_A);         /* text */
    pt_map(&p, 0x20000, code, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D); /* alias */
    uint32_t prog[] = {
        ADDI(R_A0, R_A0, 1),   /* 0x00: rewritten to addi a0, a0, 100 */
        BNE(R_S1, 0, 20),      /* 0x04: second pass -> 0x18 */
        SW(R_T0, R_S0, 0),     /* 0x08: store through the alias */
        ADDI(R_S1, 0, 1),      /* 0x0c */
        fence ? FENCE_I : NOP, /* 0x10 */
        JAL(0, -0x14),         /* 0x14: back to 0x00 */
        J_SELF,                /* 0x18 */
    };
    load_prog(e, code, prog, 7);
    h->x[R_S0] = 0x20000;
    h->x[R_T0] = ADDI(R_A0, R_A0, 100);
    h->pc = 0x10000;
    hart_run(h, 50);
    check(h->x[R_A0] == 101 && h->pc == 0x10018,
          fence ? "smc.alias_mapping_fence_i" : "smc.alias_mapping_no_fence_i",
          "a0 %llu (want 101) pc %#llx", (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);
    env_free(e);
}

/* Translation contexts: a TLB entry filled under SUM, MXR or MPRV must not
 * survive the bit being cleared (4.3.1; 3.1.6.3). */
static void test_context_switches(void)
{
    pt p;
    cpu_env *e = s_world(&p, 3);
    rv_hart *h = &e->hart;
    pt_map(&p, 0x1000, DATA, 0, LEAF_ALL);                       /* S page */
    pt_map(&p, 0x2000, DATA + 0x1000, 0, LEAF_ALL | PTE_U);      /* U page */
    pt_map(&p, 0x3000, DATA + 0x2000, 0, PTE_V | PTE_X | PTE_A); /* S execute-only */
    poke64(e, DATA + 0x1000, 0x5555);
    poke64(e, DATA + 0x2000, 0x6666);

    /* SUM cleared after a load and a store filled the TLB. */
    uint32_t p1[] = {
        LD(R_A0, R_S0, 0),                  /* 0x00: U page under SUM */
        SD(R_A0, R_S0, 8),                  /* 0x04 */
        e_i(0x73, 0, 3, R_T0, CSR_SSTATUS), /* 0x08: csrrc x0, sstatus, t0 */
        LD(R_A1, R_S0, 0),                  /* 0x0c: must fault */
        J_SELF,
    };
    load_prog(e, RAM_BASE, p1, 5);
    h->mstatus |= MSTATUS_SUM;
    hart_update_ctx(h);
    h->x[R_S0] = 0x2000;
    h->x[R_T0] = MSTATUS_SUM;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->x[R_A0] == 0x5555 && h->pc == RAM_BASE + 0x800 && h->mcause == EXC_LOAD_PAGE &&
              h->mepc == RAM_BASE + 0x0c && h->mtval == 0x2000,
          "ctx.sum_cleared_after_tlb_fill.load", "a0 %#llx pc %#llx mcause %llu mepc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mcause,
          (unsigned long long)h->mepc);
    set_priv(e, PRV_S);
    h->mstatus |= MSTATUS_SUM;
    hart_update_ctx(h);
    p1[3] = SD(R_A0, R_S0, 8);
    load_prog(e, RAM_BASE, p1, 5);
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->pc == RAM_BASE + 0x800 && h->mcause == EXC_STORE_PAGE && h->mepc == RAM_BASE + 0x0c,
          "ctx.sum_cleared_after_tlb_fill.store", "pc %#llx mcause %llu mepc %#llx",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mepc);

    /* MXR cleared after a load from an execute-only page. */
    set_priv(e, PRV_S);
    h->mstatus |= MSTATUS_MXR;
    uint32_t p2[] = {
        LD(R_A0, R_S0, 0),
        e_i(0x73, 0, 3, R_T0, CSR_SSTATUS),
        LD(R_A1, R_S0, 0),
        J_SELF,
    };
    load_prog(e, RAM_BASE, p2, 4);
    h->x[R_S0] = 0x3000;
    h->x[R_T0] = MSTATUS_MXR;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->x[R_A0] == 0x6666 && h->pc == RAM_BASE + 0x800 && h->mcause == EXC_LOAD_PAGE &&
              h->mepc == RAM_BASE + 8,
          "ctx.mxr_cleared_after_tlb_fill", "a0 %#llx pc %#llx mcause %llu",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mcause);

    /* MPRV: M-mode loads translate as MPP; after clearing MPRV they are
     * physical again; MPP = U cannot read an S page. */
    set_priv(e, PRV_M);
    h->mstatus = (h->mstatus & ~(MSTATUS_MPP | MSTATUS_MXR)) | MSTATUS_MPRV |
                 ((uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    hart_update_ctx(h);
    uint32_t p3[] = {
        LD(R_A0, R_S0, 0),                  /* va 0x1000 -> DATA */
        e_i(0x73, 0, 3, R_T0, CSR_MSTATUS), /* clear MPRV */
        LD(R_A1, R_S1, 0),                  /* physical DATA */
        LD(R_A2, R_S0, 0),                  /* physical 0x1000: nothing there */
        J_SELF,
    };
    load_prog(e, RAM_BASE, p3, 5);
    poke64(e, DATA, 0x7777);
    h->x[R_S0] = 0x1000;
    h->x[R_S1] = DATA;
    h->x[R_T0] = MSTATUS_MPRV;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->x[R_A0] == 0x7777 && h->x[R_A1] == 0x7777 && h->pc == RAM_BASE + 0x800 &&
              h->mcause == EXC_LOAD_ACCESS && h->mepc == RAM_BASE + 12 && h->mtval == 0x1000,
          "ctx.mprv_translates_then_physical", "a0 %#llx a1 %#llx pc %#llx mcause %llu",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->x[R_A1], (unsigned long long)h->pc,
          (unsigned long long)h->mcause);
    set_priv(e, PRV_M);
    h->mstatus = (h->mstatus & ~MSTATUS_MPP) | MSTATUS_MPRV; /* MPP = U */
    hart_update_ctx(h);
    uint32_t p4[] = {LD(R_A0, R_S0, 0), J_SELF};
    load_prog(e, RAM_BASE, p4, 2);
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->pc == RAM_BASE + 0x800 && h->mcause == EXC_LOAD_PAGE && h->mtval == 0x1000,
          "ctx.mprv_mpp_u_cannot_read_s_page", "pc %#llx mcause %llu", (unsigned long long)h->pc,
          (unsigned long long)h->mcause);
    /* Fetches ignore MPRV: the M-mode code kept running from its physical
     * address above. */

    /* A misaligned store across into a read-only page: faults, and the
     * first page is left unwritten. */
    set_priv(e, PRV_S);
    h->mstatus &= ~MSTATUS_MPRV;
    pt_map(&p, 0x5000, DATA + 0x4000, 0, LEAF_ALL);
    pt_map(&p, 0x6000, DATA + 0x5000, 0, PTE_V | PTE_R | PTE_A);
    poke64(e, DATA + 0x4ff8, 0x1111111111111111ull);
    uint32_t p5[] = {SD(R_A0, R_S0, 0), J_SELF};
    load_prog(e, RAM_BASE, p5, 2);
    h->x[R_S0] = 0x5ffc;
    h->x[R_A0] = 0x2222222222222222ull;
    h->pc = RAM_BASE;
    hart_run(h, 20);
    check(h->pc == RAM_BASE + 0x800 && h->mcause == EXC_STORE_PAGE && h->mtval >= 0x5ffc &&
              h->mtval <= 0x6000 && peek64(e, DATA + 0x4ff8) == 0x1111111111111111ull,
          "ctx.store_across_into_readonly_page_writes_nothing",
          "pc %#llx mcause %llu mtval %#llx mem %#llx", (unsigned long long)h->pc,
          (unsigned long long)h->mcause, (unsigned long long)h->mtval,
          (unsigned long long)peek64(e, DATA + 0x4ff8));
    env_free(e);
}

int main(int argc, char **argv)
{
    (void)argc;
    harness_init(argv[0]);
    test_sv39_sizes();
    test_sv48_sizes();
    test_ad_bits();
    test_permissions();
    test_walk_access_faults();
    test_satp_warl();
    test_fault_mtval();
    test_straddle();
    test_sfence(false);
    test_sfence(true);
    test_smc_alias(true);
    test_smc_alias(false);
    test_context_switches();
    return finish();
}
