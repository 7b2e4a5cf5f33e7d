/* PMP tests for vm/cpu/mmu.c pmp_check() and the pmpcfg/pmpaddr CSRs in
 * csr.c (privileged spec 1.12, 3.7 "Physical Memory Protection"): address
 * matching (OFF, TOR, NA4, NAPOT), priority, partial matches, locking, and
 * the effect on execution (access faults, TLB entries dropped when PMP
 * changes, page-table walks checked as S-mode loads). Entries are written
 * through csr_write(), as a guest would. */
#include "cpu_harness.h"

#define RAM_SIZE (1u << 20)
#define TRAP (RAM_BASE + 0x800)

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_TOR 0x08
#define PMP_NA4 0x10
#define PMP_NAPOT 0x18
#define PMP_L 0x80

static void set_cfg(rv_hart *h, int i, uint8_t cfg)
{
    uint32_t csr = CSR_PMPCFG0 + (i / 8) * 2;
    uint64_t v;
    csr_read(h, csr, &v);
    v &= ~(0xffull << (8 * (i % 8)));
    v |= (uint64_t)cfg << (8 * (i % 8));
    csr_write(h, csr, v);
}

static uint8_t get_cfg(rv_hart *h, int i)
{
    uint64_t v;
    csr_read(h, CSR_PMPCFG0 + (i / 8) * 2, &v);
    return (uint8_t)(v >> (8 * (i % 8)));
}

static void set_addr(rv_hart *h, int i, uint64_t a)
{
    csr_write(h, CSR_PMPADDR0 + i, a);
}

static uint64_t get_addr(rv_hart *h, int i)
{
    uint64_t v;
    csr_read(h, CSR_PMPADDR0 + i, &v);
    return v;
}

static uint64_t napot(uint64_t base, uint64_t size)
{
    return (base >> 2) | ((size / 8) - 1);
}

static const char *acc_name[3] = {"fetch", "load", "store"};
static const char *priv_name[4] = {"u", "s", "?", "m"};

static void expect(rv_hart *h, const char *name, uint64_t pa, uint64_t len, int access, int priv,
                   bool want)
{
    bool got = pmp_check(h, pa, len, access, priv);
    char n[160];
    snprintf(n, sizeof(n), "%s.%s.%s", name, priv_name[priv], acc_name[access]);
    check(got == want, n, "pa %#llx len %llu: %s, want %s", (unsigned long long)pa,
          (unsigned long long)len, got ? "allowed" : "denied", want ? "allowed" : "denied");
}

static void test_matching(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    rv_hart *h = &e->hart;
    env_pmp_off(e);

    /* All entries off: M is never denied; S and U always are (3.7.1:
     * entries are implemented, none matches). */
    expect(h, "pmp.all_off", RAM_BASE, 8, ACC_STORE, PRV_M, true);
    expect(h, "pmp.all_off.s_denied", RAM_BASE, 8, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.all_off.u_denied", RAM_BASE, 8, ACC_STORE, PRV_U, false);

    /* TOR, entry 0: [0, top). */
    set_addr(h, 0, (RAM_BASE + 0x1000) >> 2);
    set_cfg(h, 0, PMP_TOR | PMP_R);
    expect(h, "pmp.tor0.inside", RAM_BASE + 0xff8, 8, ACC_LOAD, PRV_S, true);
    expect(h, "pmp.tor0.low_end", 0, 4, ACC_LOAD, PRV_U, true);
    expect(h, "pmp.tor0.no_w", RAM_BASE, 8, ACC_STORE, PRV_S, false);
    expect(h, "pmp.tor0.no_x", RAM_BASE, 4, ACC_FETCH, PRV_U, false);
    expect(h, "pmp.tor0.top_excluded", RAM_BASE + 0x1000, 4, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.tor0.straddle_top", RAM_BASE + 0xffc, 8, ACC_LOAD, PRV_S, false);
    /* No match: S/U denied, M allowed. */
    expect(h, "pmp.nomatch", RAM_BASE + 0x2000, 4, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.nomatch", RAM_BASE + 0x2000, 4, ACC_FETCH, PRV_U, false);
    expect(h, "pmp.nomatch", RAM_BASE + 0x2000, 4, ACC_STORE, PRV_M, true);
    /* Unlocked entries do not bind M. */
    expect(h, "pmp.tor0.unlocked_m_store", RAM_BASE, 8, ACC_STORE, PRV_M, true);

    /* TOR, entry 1: [pmpaddr0, pmpaddr1). */
    set_addr(h, 1, (RAM_BASE + 0x3000) >> 2);
    set_cfg(h, 1, PMP_TOR | PMP_R | PMP_W | PMP_X);
    expect(h, "pmp.tor1.bottom", RAM_BASE + 0x1000, 4, ACC_STORE, PRV_S, true);
    expect(h, "pmp.tor1.inside", RAM_BASE + 0x2ff8, 8, ACC_FETCH, PRV_U, true);
    expect(h, "pmp.tor1.top_excluded", RAM_BASE + 0x3000, 1, ACC_LOAD, PRV_S, false);
    /* Spanning entries 0 and 1: matches entry 0 partially -> fails even
     * though the bytes are all allowed for loads by one entry or the other
     * (3.7.1: "if any byte ... matches but not all, the access fails"). */
    expect(h, "pmp.partial.across_entries", RAM_BASE + 0xffc, 8, ACC_LOAD, PRV_S, false);
    /* TOR with top <= bottom matches nothing. */
    set_addr(h, 2, (RAM_BASE + 0x2000) >> 2);
    set_cfg(h, 2, PMP_TOR | PMP_R | PMP_W | PMP_X);
    set_cfg(h, 1, 0);
    expect(h, "pmp.tor.inverted_matches_nothing", RAM_BASE + 0x2800, 4, ACC_LOAD, PRV_S, false);
    set_cfg(h, 2, 0);
    set_cfg(h, 0, 0);

    /* NA4. */
    set_addr(h, 3, (RAM_BASE + 0x100) >> 2);
    set_cfg(h, 3, PMP_NA4 | PMP_R | PMP_W);
    expect(h, "pmp.na4.word", RAM_BASE + 0x100, 4, ACC_STORE, PRV_S, true);
    expect(h, "pmp.na4.byte3", RAM_BASE + 0x103, 1, ACC_LOAD, PRV_U, true);
    expect(h, "pmp.na4.next_word", RAM_BASE + 0x104, 4, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.na4.dword_partial", RAM_BASE + 0x100, 8, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.na4.below", RAM_BASE + 0xfc, 4, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.na4.no_x", RAM_BASE + 0x100, 4, ACC_FETCH, PRV_S, false);
    set_cfg(h, 3, 0);

    /* NAPOT: 8 bytes, 4 KiB, 1 MiB, everything. */
    set_addr(h, 4, napot(RAM_BASE + 0x208, 8));
    set_cfg(h, 4, PMP_NAPOT | PMP_R);
    expect(h, "pmp.napot8.inside", RAM_BASE + 0x208, 8, ACC_LOAD, PRV_S, true);
    expect(h, "pmp.napot8.before", RAM_BASE + 0x200, 8, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.napot8.after", RAM_BASE + 0x210, 1, ACC_LOAD, PRV_S, false);
    set_addr(h, 4, napot(RAM_BASE + 0x4000, 0x1000));
    expect(h, "pmp.napot4k.first", RAM_BASE + 0x4000, 1, ACC_LOAD, PRV_S, true);
    expect(h, "pmp.napot4k.last", RAM_BASE + 0x4ff8, 8, ACC_LOAD, PRV_U, true);
    expect(h, "pmp.napot4k.past", RAM_BASE + 0x5000, 1, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.napot4k.before", RAM_BASE + 0x3fff, 1, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.napot4k.straddle_end", RAM_BASE + 0x4ffc, 8, ACC_LOAD, PRV_S, false);
    set_addr(h, 4, napot(RAM_BASE, 0x100000));
    expect(h, "pmp.napot1m.last", RAM_BASE + 0xffffc, 4, ACC_LOAD, PRV_S, true);
    expect(h, "pmp.napot1m.past", RAM_BASE + 0x100000, 4, ACC_LOAD, PRV_S, false);
    set_addr(h, 4, (1ull << 54) - 1); /* all ones: the whole address space */
    set_cfg(h, 4, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    expect(h, "pmp.napot_all.zero", 0, 8, ACC_FETCH, PRV_U, true);
    /* top of the 56-bit physical address space */
    expect(h, "pmp.napot_all.top", 0x00fffffffffffff8ull, 8, ACC_STORE, PRV_S, true);
    expect(h, "pmp.napot_all.ram", RAM_BASE + 0x1234, 2, ACC_LOAD, PRV_S, true);

    /* Priority: the lowest-numbered matching entry decides. */
    set_addr(h, 1, napot(RAM_BASE + 0x4000, 0x1000));
    set_cfg(h, 1, PMP_NAPOT); /* no permissions, above entry 4's all-RWX */
    expect(h, "pmp.priority.lower_entry_denies", RAM_BASE + 0x4010, 4, ACC_LOAD, PRV_S, false);
    expect(h, "pmp.priority.outside_lower_entry", RAM_BASE + 0x5010, 4, ACC_LOAD, PRV_S, true);
    expect(h, "pmp.priority.m_ignores_unlocked", RAM_BASE + 0x4010, 4, ACC_LOAD, PRV_M, true);
    /* Partial match of the higher-priority entry fails although entry 4
     * covers every byte. */
    expect(h, "pmp.priority.partial_fails", RAM_BASE + 0x3ffc, 8, ACC_LOAD, PRV_S, false);
    set_cfg(h, 0, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    set_addr(h, 0, napot(RAM_BASE + 0x4000, 0x2000));
    expect(h, "pmp.priority.entry0_over_entry1", RAM_BASE + 0x4010, 4, ACC_STORE, PRV_S, true);
    env_free(e);
}

static void test_locking(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    env_pmp_off(e);
    rv_hart *h = &e->hart;
    set_addr(h, 0, napot(RAM_BASE, 0x1000));
    set_cfg(h, 0, PMP_NAPOT | PMP_R | PMP_L);
    expect(h, "pmp.locked.m_load", RAM_BASE + 8, 8, ACC_LOAD, PRV_M, true);
    expect(h, "pmp.locked.m_store", RAM_BASE + 8, 8, ACC_STORE, PRV_M, false);
    expect(h, "pmp.locked.m_fetch", RAM_BASE + 8, 4, ACC_FETCH, PRV_M, false);
    expect(h, "pmp.locked.outside_m", RAM_BASE + 0x1000, 8, ACC_STORE, PRV_M, true);
    /* Writes to a locked entry are ignored, cfg and addr. */
    set_cfg(h, 0, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    check(get_cfg(h, 0) == (PMP_NAPOT | PMP_R | PMP_L), "pmp.locked.cfg_write_ignored",
          "cfg0 = %#x", get_cfg(h, 0));
    uint64_t a0 = get_addr(h, 0);
    set_addr(h, 0, 0x1234);
    check(get_addr(h, 0) == a0, "pmp.locked.addr_write_ignored", "pmpaddr0 = %#llx",
          (unsigned long long)get_addr(h, 0));
    /* The neighbour in the same pmpcfg0 register stays writable. */
    set_cfg(h, 1, PMP_NA4 | PMP_R);
    check(get_cfg(h, 1) == (PMP_NA4 | PMP_R) && get_cfg(h, 0) == (PMP_NAPOT | PMP_R | PMP_L),
          "pmp.locked.neighbour_writable", "cfg1 = %#x cfg0 = %#x", get_cfg(h, 1), get_cfg(h, 0));

    /* A locked TOR entry locks the pmpaddr below it (3.7.1.2). */
    set_addr(h, 2, (RAM_BASE + 0x2000) >> 2);
    set_addr(h, 3, (RAM_BASE + 0x3000) >> 2);
    set_cfg(h, 3, PMP_TOR | PMP_R | PMP_L);
    set_addr(h, 2, (RAM_BASE + 0x1000) >> 2);
    check(get_addr(h, 2) == (RAM_BASE + 0x2000) >> 2, "pmp.locked_tor.addr_below_locked",
          "pmpaddr2 = %#llx", (unsigned long long)get_addr(h, 2));
    check(get_cfg(h, 2) == 0, "pmp.locked_tor.cfg_below_still_writable_state", "cfg2 = %#x",
          get_cfg(h, 2));
    set_cfg(h, 2, PMP_NA4 | PMP_R);
    check(get_cfg(h, 2) == (PMP_NA4 | PMP_R), "pmp.locked_tor.cfg_below_writable", "cfg2 = %#x",
          get_cfg(h, 2));
    expect(h, "pmp.locked_tor.m_store", RAM_BASE + 0x2800, 8, ACC_STORE, PRV_M, false);
    /* A locked NAPOT entry does not lock the address below. */
    set_addr(h, 5, 0x111);
    set_addr(h, 6, napot(RAM_BASE + 0x8000, 0x1000));
    set_cfg(h, 6, PMP_NAPOT | PMP_L);
    set_addr(h, 5, 0x222);
    check(get_addr(h, 5) == 0x222, "pmp.locked_napot.addr_below_writable", "pmpaddr5 = %#llx",
          (unsigned long long)get_addr(h, 5));

    /* WARL details: R=0 W=1 is reserved and must not stick; pmpaddr holds
     * 54 bits (OpenSBI sizes PMP by writing all ones); odd pmpcfg CSRs do
     * not exist on RV64. */
    set_cfg(h, 7, PMP_NAPOT | PMP_W);
    check((get_cfg(h, 7) & (PMP_R | PMP_W)) != PMP_W, "pmp.warl.w_without_r_not_kept", "cfg7 = %#x",
          get_cfg(h, 7));
    set_addr(h, 8, ~0ull);
    check(get_addr(h, 8) == (1ull << 54) - 1, "pmp.warl.pmpaddr_54_bits", "pmpaddr8 = %#llx",
          (unsigned long long)get_addr(h, 8));
    check(!csr_ok(h, CSR_PMPCFG0 + 1, false) && !csr_ok(h, CSR_PMPCFG0 + 3, true),
          "pmp.csr.odd_pmpcfg_illegal_on_rv64", "pmpcfg1/3 accessible");
    check(csr_ok(h, CSR_PMPCFG0 + 2, true) && csr_ok(h, CSR_PMPADDR0 + 15, true),
          "pmp.csr.pmpcfg2_pmpaddr15_exist", "missing");
    set_priv(e, PRV_S);
    check(!csr_ok(h, CSR_PMPADDR0, false), "pmp.csr.not_from_s", "pmpaddr0 readable from S");
    env_free(e);
}

/* Execution: PMP faults carry the address; a PMP change takes effect
 * even for pages already in the TLB; walks are checked too. */
static void test_exec(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    env_pmp_off(e);
    rv_hart *h = &e->hart;
    poke32(e, TRAP, J_SELF);
    h->mtvec = TRAP;
    /* Entry 0: NA4 over RAM+0x4200, no permission. Entry 1: RAM+0x4000
     * 4 KiB read-only. Entry 2: the first 16 KiB of RAM RWX (code). */
    set_addr(h, 0, (RAM_BASE + 0x4200) >> 2);
    set_cfg(h, 0, PMP_NA4);
    set_addr(h, 1, napot(RAM_BASE + 0x4000, 0x1000));
    set_cfg(h, 1, PMP_NAPOT | PMP_R);
    set_addr(h, 2, napot(RAM_BASE, 0x4000));
    set_cfg(h, 2, PMP_NAPOT | PMP_R | PMP_W | PMP_X);
    poke64(e, RAM_BASE + 0x4100, 0x1111);
    poke64(e, RAM_BASE + 0x4200, 0x2222);
    uint32_t p[] = {
        LD(R_A0, R_S0, 0x100), /* allowed: fills the TLB for the page? */
        LD(R_A1, R_S0, 0x200), /* denied by the NA4 entry on the same page */
        J_SELF,
    };
    load_prog(e, RAM_BASE, p, 3);
    h->x[R_S0] = RAM_BASE + 0x4000;
    h->pc = RAM_BASE;
    set_priv(e, PRV_S);
    hart_run(h, 10);
    check(h->x[R_A0] == 0x1111 && h->pc == TRAP && h->mcause == EXC_LOAD_ACCESS &&
              h->mtval == RAM_BASE + 0x4200 && h->mepc == RAM_BASE + 4,
          "pmp.exec.na4_hole_in_allowed_page", "a0 %#llx pc %#llx mcause %llu mtval %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mcause,
          (unsigned long long)h->mtval);

    /* Store to the read-only entry. */
    uint32_t q[] = {SD(R_A0, R_S0, 0x108), J_SELF};
    load_prog(e, RAM_BASE, q, 2);
    h->pc = RAM_BASE;
    set_priv(e, PRV_U);
    hart_run(h, 10);
    check(h->pc == TRAP && h->mcause == EXC_STORE_ACCESS && h->mtval == RAM_BASE + 0x4108,
          "pmp.exec.store_to_readonly", "pc %#llx mcause %llu mtval %#llx",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mtval);

    /* Fetch outside every entry from U. */
    h->pc = RAM_BASE + 0x8000;
    set_priv(e, PRV_U);
    hart_run(h, 10);
    check(h->pc == TRAP && h->mcause == EXC_INSN_ACCESS && h->mtval == RAM_BASE + 0x8000,
          "pmp.exec.fetch_no_match_from_u", "pc %#llx mcause %llu mtval %#llx",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mtval);

    /* A load that hit the TLB, then PMP revokes the page: must fault. */
    uint32_t r[] = {LD(R_A0, R_S0, 0x100), J_SELF};
    load_prog(e, RAM_BASE, r, 2);
    h->pc = RAM_BASE;
    set_priv(e, PRV_S);
    hart_run(h, 3);
    bool first_ok = h->x[R_A0] == 0x1111 && h->pc == RAM_BASE + 4;
    csr_write(h, CSR_PMPCFG0,
              (uint64_t)(PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 16 | (uint64_t)PMP_NAPOT << 8 |
                  PMP_NA4);
    h->pc = RAM_BASE;
    h->x[R_A0] = 0;
    hart_run(h, 3);
    check(first_ok && h->pc == TRAP && h->mcause == EXC_LOAD_ACCESS,
          "pmp.exec.revoked_after_tlb_fill", "first %d pc %#llx mcause %llu", first_ok,
          (unsigned long long)h->pc, (unsigned long long)h->mcause);

    /* Sv39 walk reading a page table PMP denies to S: access fault. */
    set_cfg(h, 1, PMP_NAPOT | PMP_R);
    uint64_t root = RAM_BASE + 0x4000; /* read-only for S: fine for the walk */
    memset(ram_ptr(e, root), 0, 4096);
    /* 1 GiB identity leaf for RAM. */
    poke64(e, root + 2 * 8, (RAM_BASE >> 12) << 10 | 0xcf);
    h->satp = 8ull << 60 | (root >> 12);
    hart_flush_tlb(h);
    uint64_t pa;
    int rc = mmu_translate(h, RAM_BASE + 0x10, ACC_LOAD, PRV_S, &pa);
    check(rc == 0 && pa == RAM_BASE + 0x10, "pmp.walk.readable_table", "rc %d", rc);
    set_cfg(h, 1, PMP_NAPOT); /* now the table is not readable by S */
    rc = mmu_translate(h, RAM_BASE + 0x10, ACC_LOAD, PRV_S, &pa);
    check(rc == EXC_LOAD_ACCESS + 1, "pmp.walk.denied_table_is_access_fault", "rc %d (cause %d)",
          rc, rc - 1);
    rc = mmu_translate(h, RAM_BASE + 0x10, ACC_FETCH, PRV_S, &pa);
    check(rc == EXC_INSN_ACCESS + 1, "pmp.walk.denied_table_fetch", "rc %d", rc);
    /* The table readable but not writable by S, and a leaf without A: the
     * A update is a store PMP denies -> access fault of the original
     * access type (4.3.2 step 7), and the PTE is left alone. */
    set_cfg(h, 1, PMP_NAPOT | PMP_R);
    poke64(e, root + 2 * 8, (RAM_BASE >> 12) << 10 | 0x0f); /* V R W X, no A/D */
    hart_flush_tlb(h);
    rc = mmu_translate(h, RAM_BASE + 0x10, ACC_LOAD, PRV_S, &pa);
    check(rc == EXC_LOAD_ACCESS + 1 && peek64(e, root + 2 * 8) == ((RAM_BASE >> 12) << 10 | 0x0f),
          "pmp.walk.ad_update_denied_is_access_fault", "rc %d pte %#llx", rc,
          (unsigned long long)peek64(e, root + 2 * 8));
    rc = mmu_translate(h, RAM_BASE + 0x10, ACC_STORE, PRV_S, &pa);
    check(rc == EXC_STORE_ACCESS + 1, "pmp.walk.ad_update_denied_store", "rc %d", rc);
    env_free(e);
}

/* PMP regions smaller than a page bind instruction fetch at every
 * instruction, not once per page: sequential flow (and a branch within the
 * page) from an allowed instruction into a denied one must fault there
 * (3.7.1: every fetch is checked). Found by the differential mode of
 * tests/fuzz/fuzz_exec.c. */
static void test_fetch_sub_page(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    env_pmp_off(e);
    rv_hart *h = &e->hart;
    poke32(e, TRAP, J_SELF);
    h->mtvec = TRAP;
    uint32_t prog[] = {ADDI(R_A0, R_A0, 1), ADDI(R_A0, R_A0, 1), ADDI(R_A0, R_A0, 1), J_SELF};
    uint64_t code = RAM_BASE + 0x2000;
    load_prog(e, code, prog, 4);

    /* U mode: only the first instruction is in an executable NA4 entry. */
    set_addr(h, 0, code >> 2);
    set_cfg(h, 0, PMP_NA4 | PMP_R | PMP_X);
    h->x[R_A0] = 0;
    h->pc = code;
    set_priv(e, PRV_U);
    hart_run(h, 10);
    check(h->x[R_A0] == 1 && h->pc == TRAP && h->mcause == EXC_INSN_ACCESS && h->mepc == code + 4 &&
              h->mtval == code + 4,
          "pmp.exec.fetch_sub_page_u_sequential", "a0 %llu pc %#llx mcause %llu mepc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mcause,
          (unsigned long long)h->mepc);

    /* The same with the block already warm: run the allowed instruction
     * alone first, then again as part of a longer run. */
    h->x[R_A0] = 0;
    h->pc = code;
    set_priv(e, PRV_U);
    hart_run(h, 1);
    h->pc = code;
    set_priv(e, PRV_U);
    hart_run(h, 10);
    check(h->x[R_A0] == 2 && h->pc == TRAP && h->mepc == code + 4,
          "pmp.exec.fetch_sub_page_u_warm_block", "a0 %llu pc %#llx mepc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mepc);

    /* M mode: a locked NA4 entry without X over the second instruction;
     * the first one matches nothing (M allowed). */
    set_cfg(h, 0, 0);
    set_addr(h, 1, (code + 4) >> 2);
    set_cfg(h, 1, PMP_NA4 | PMP_R | PMP_L);
    h->x[R_A0] = 0;
    h->pc = code;
    set_priv(e, PRV_M);
    hart_run(h, 10);
    check(h->x[R_A0] == 1 && h->pc == TRAP && h->mcause == EXC_INSN_ACCESS && h->mepc == code + 4,
          "pmp.exec.fetch_sub_page_m_locked", "a0 %llu pc %#llx mcause %llu mepc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc, (unsigned long long)h->mcause,
          (unsigned long long)h->mepc);
    env_free(e);
}

int main(int argc, char **argv)
{
    (void)argc;
    harness_init(argv[0]);
    test_matching();
    test_locking();
    test_exec();
    test_fetch_sub_page();
    return finish();
}
