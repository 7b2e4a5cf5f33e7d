/* Execution tests for vm/cpu/exec.c + csr.c: traps and their mcause/mepc/
 * mtval (privileged spec 1.12, 3.1.15-3.1.17), misaligned accesses,
 * access faults outside RAM and devices, and self-modifying code on the
 * same page (the decoded-page cache must follow every physical write).
 * Programs run in M mode, bare, from RAM_BASE; traps go to a parking loop
 * at RAM_BASE + 0x800. */
#define _POSIX_C_SOURCE 200809L /* fork, waitpid */
#include <sys/wait.h>
#include <unistd.h>

#include "cpu_harness.h"

#define RAM_SIZE (1u << 20)
#define TRAP (RAM_BASE + 0x800)

static cpu_env *world(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    poke32(e, TRAP, J_SELF);
    e->hart.mtvec = TRAP;
    return e;
}

static void expect_trap(cpu_env *e, const char *name, uint64_t cause, uint64_t epc, uint64_t tval)
{
    rv_hart *h = &e->hart;
    check(h->pc == TRAP && h->priv == PRV_M && h->mcause == cause && h->mepc == epc &&
              h->mtval == tval,
          name,
          "pc %#llx priv %d mcause %llu mepc %#llx mtval %#llx; want cause %llu epc %#llx tval "
          "%#llx",
          (unsigned long long)h->pc, h->priv, (unsigned long long)h->mcause,
          (unsigned long long)h->mepc, (unsigned long long)h->mtval, (unsigned long long)cause,
          (unsigned long long)epc, (unsigned long long)tval);
}

/* Runs words at RAM_BASE (after a few nops, so the trapping instruction is
 * not the first of a block) in privilege priv. */
static void run_prog(cpu_env *e, int priv, const uint32_t *w, size_t n, uint64_t steps)
{
    uint32_t nops[3] = {NOP, NOP, NOP};
    load_prog(e, RAM_BASE, nops, 3);
    load_prog(e, RAM_BASE + 12, w, n);
    e->hart.pc = RAM_BASE;
    set_priv(e, priv);
    hart_run(&e->hart, steps);
}

static void test_illegal(void)
{
    cpu_env *e = world();
    uint32_t bad = e_r(0x33, 10, 0, 11, 12, 0x02);
    uint32_t p1[] = {bad, J_SELF};
    run_prog(e, PRV_M, p1, 2, 20);
    expect_trap(e, "illegal.mtval_is_insn_bits", EXC_ILLEGAL, RAM_BASE + 12, bad);

    /* 16-bit parcel: mtval holds the parcel only, even with a nonzero
     * parcel after it. */
    poke16(e, RAM_BASE + 12, 0x507e); /* c.lwsp x0: reserved */
    poke16(e, RAM_BASE + 14, 0x0505); /* c.addi a0, 1 */
    e->hart.pc = RAM_BASE;
    hart_run(&e->hart, 20);
    expect_trap(e, "illegal.rvc_mtval_is_16bit_parcel", EXC_ILLEGAL, RAM_BASE + 12, 0x507e);

    poke16(e, RAM_BASE + 12, 0x0000);
    poke16(e, RAM_BASE + 14, 0xffff);
    e->hart.pc = RAM_BASE;
    hart_run(&e->hart, 20);
    expect_trap(e, "illegal.all_zero_parcel", EXC_ILLEGAL, RAM_BASE + 12, 0);

    /* A CSR that does not exist. */
    uint32_t csr = CSRRS(R_A0, 0x7c0, 0);
    uint32_t p2[] = {csr, J_SELF};
    run_prog(e, PRV_M, p2, 2, 20);
    expect_trap(e, "illegal.missing_csr", EXC_ILLEGAL, RAM_BASE + 12, csr);

    /* M-mode CSR from S mode; write to a read-only CSR. */
    uint32_t p3[] = {CSRRS(R_A0, CSR_MSTATUS, 0), J_SELF};
    run_prog(e, PRV_S, p3, 2, 20);
    expect_trap(e, "illegal.mcsr_from_s", EXC_ILLEGAL, RAM_BASE + 12, p3[0]);
    uint32_t p4[] = {CSRRW(0, CSR_MHARTID, R_A0), J_SELF};
    run_prog(e, PRV_M, p4, 2, 20);
    expect_trap(e, "illegal.write_readonly_csr", EXC_ILLEGAL, RAM_BASE + 12, p4[0]);

    /* Privileged instructions below their level. */
    uint32_t p5[] = {MRET, J_SELF};
    run_prog(e, PRV_S, p5, 2, 20);
    expect_trap(e, "illegal.mret_from_s", EXC_ILLEGAL, RAM_BASE + 12, MRET);
    uint32_t p6[] = {SRET, J_SELF};
    run_prog(e, PRV_U, p6, 2, 20);
    expect_trap(e, "illegal.sret_from_u", EXC_ILLEGAL, RAM_BASE + 12, SRET);
    uint32_t p7[] = {0x10500073, J_SELF};
    run_prog(e, PRV_U, p7, 2, 20);
    expect_trap(e, "illegal.wfi_from_u", EXC_ILLEGAL, RAM_BASE + 12, 0x10500073);
    uint32_t p8[] = {SFENCE_VMA(0, 0), J_SELF};
    run_prog(e, PRV_U, p8, 2, 20);
    expect_trap(e, "illegal.sfence_from_u", EXC_ILLEGAL, RAM_BASE + 12, p8[0]);

    /* FP with mstatus.FS = Off (the reset value). */
    e->hart.mstatus &= ~MSTATUS_FS;
    uint32_t fadd = e_r(0x53, 10, 0, 11, 12, 0x00);
    uint32_t p9[] = {fadd, J_SELF};
    run_prog(e, PRV_M, p9, 2, 20);
    expect_trap(e, "illegal.fp_with_fs_off", EXC_ILLEGAL, RAM_BASE + 12, fadd);
    uint32_t fld = e_i(0x07, 10, 3, 0, 0);
    uint32_t p10[] = {fld, J_SELF};
    run_prog(e, PRV_M, p10, 2, 20);
    expect_trap(e, "illegal.fld_with_fs_off", EXC_ILLEGAL, RAM_BASE + 12, fld);
    uint32_t frcsr = CSRRS(R_A0, CSR_FCSR, 0);
    uint32_t p11[] = {frcsr, J_SELF};
    run_prog(e, PRV_M, p11, 2, 20);
    expect_trap(e, "illegal.fcsr_with_fs_off", EXC_ILLEGAL, RAM_BASE + 12, frcsr);
    /* Dynamic rounding with an invalid frm (5): illegal at run time. */
    e->hart.mstatus |= MSTATUS_FS;
    e->hart.frm = 5;
    uint32_t fadd_dyn = e_r(0x53, 10, 7, 11, 12, 0x00);
    uint32_t p12[] = {fadd_dyn, J_SELF};
    run_prog(e, PRV_M, p12, 2, 20);
    expect_trap(e, "illegal.dynamic_rm_with_frm_5", EXC_ILLEGAL, RAM_BASE + 12, fadd_dyn);
    env_free(e);
}

static void test_ecall(void)
{
    cpu_env *e = world();
    static const int privs[3] = {PRV_U, PRV_S, PRV_M};
    static const char *names[3] = {"ecall.from_u", "ecall.from_s", "ecall.from_m"};
    static const uint64_t causes[3] = {EXC_ECALL_U, EXC_ECALL_S, EXC_ECALL_M};
    for (int k = 0; k < 3; k++) {
        uint32_t p[] = {ECALL, J_SELF};
        e->hart.mtval = 0x1234;
        run_prog(e, privs[k], p, 2, 20);
        expect_trap(e, names[k], causes[k], RAM_BASE + 12, 0);
        uint64_t mpp = (e->hart.mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT;
        char n[64];
        snprintf(n, sizeof(n), "%s.mpp", names[k]);
        check(mpp == (uint64_t)privs[k], n, "MPP %llu want %d", (unsigned long long)mpp, privs[k]);
    }
    /* Delegated: ecall from U to S. */
    e->hart.medeleg = 1u << EXC_ECALL_U;
    e->hart.stvec = RAM_BASE + 0x900;
    poke32(e, RAM_BASE + 0x900, J_SELF);
    uint32_t p[] = {ECALL, J_SELF};
    run_prog(e, PRV_U, p, 2, 20);
    check(e->hart.pc == RAM_BASE + 0x900 && e->hart.priv == PRV_S &&
              e->hart.scause == EXC_ECALL_U && e->hart.sepc == RAM_BASE + 12 &&
              !(e->hart.mstatus & MSTATUS_SPP),
          "ecall.from_u_delegated_to_s", "pc %#llx priv %d scause %llu",
          (unsigned long long)e->hart.pc, e->hart.priv, (unsigned long long)e->hart.scause);
    /* medeleg cannot delegate ECALL from M (bit 11 is read-only zero). */
    csr_write(&e->hart, CSR_MEDELEG, ~0ull);
    uint64_t v;
    csr_read(&e->hart, CSR_MEDELEG, &v);
    check(!(v & (1u << EXC_ECALL_M)), "ecall.m_not_delegable", "medeleg %#llx",
          (unsigned long long)v);
    /* mret to U, then ecall. */
    e->hart.medeleg = 0;
    uint32_t p2[] = {MRET};
    load_prog(e, RAM_BASE, p2, 1);
    uint32_t u[] = {ECALL, J_SELF};
    load_prog(e, RAM_BASE + 0x100, u, 2);
    e->hart.mepc = RAM_BASE + 0x100;
    e->hart.mstatus &= ~MSTATUS_MPP; /* MPP = U */
    e->hart.pc = RAM_BASE;
    set_priv(e, PRV_M);
    hart_run(&e->hart, 20);
    expect_trap(e, "ecall.after_mret_to_u", EXC_ECALL_U, RAM_BASE + 0x100, 0);

    uint32_t p3[] = {EBREAK, J_SELF};
    run_prog(e, PRV_M, p3, 2, 20);
    check(e->hart.pc == TRAP && e->hart.mcause == EXC_BREAKPOINT && e->hart.mepc == RAM_BASE + 12,
          "ebreak.cause_and_epc", "mcause %llu mepc %#llx", (unsigned long long)e->hart.mcause,
          (unsigned long long)e->hart.mepc);
    env_free(e);
}

static void test_misaligned(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    /* Misaligned loads and stores succeed, in a page and across pages. */
    poke64(e, RAM_BASE + 0x2000, 0x0706050403020100ull);
    poke64(e, RAM_BASE + 0x2008, 0x0f0e0d0c0b0a0908ull);
    poke64(e, RAM_BASE + 0x2ff8, 0x1716151413121110ull);
    poke64(e, RAM_BASE + 0x3000, 0x1f1e1d1c1b1a1918ull);
    uint32_t p[] = {
        LD(R_A0, R_S0, 3),  /* 0x0a09080706050403 */
        LW(R_A1, R_S0, 5),  /* sign-extended 0x08070605 */
        LH(R_A2, R_S0, 7),  /* 0x0807 */
        LD(R_A3, R_S1, -3), /* across 0x...3000: 0x1c1b1a1918171615 */
        SD(R_A0, R_S1, -5), /* store across the boundary */
        LD(R_A4, R_S1, -5), J_SELF,
    };
    h->x[R_S0] = RAM_BASE + 0x2000;
    h->x[R_S1] = RAM_BASE + 0x3000;
    run_prog(e, PRV_M, p, 7, 40);
    check(h->x[R_A0] == 0x0a09080706050403ull && h->x[R_A1] == 0x08070605ull &&
              h->x[R_A2] == 0x0807 && h->x[R_A3] == 0x1c1b1a1918171615ull &&
              h->x[R_A4] == h->x[R_A0] && h->pc == RAM_BASE + 12 + 24,
          "misaligned.loads_and_stores_succeed",
          "a0 %#llx a1 %#llx a2 %#llx a3 %#llx a4 %#llx pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->x[R_A1], (unsigned long long)h->x[R_A2],
          (unsigned long long)h->x[R_A3], (unsigned long long)h->x[R_A4],
          (unsigned long long)h->pc);
    check(peek32(e, RAM_BASE + 0x2ffb) == 0x06050403u, "misaligned.store_bytes_in_memory", "%#x",
          peek32(e, RAM_BASE + 0x2ffb));

    /* Misaligned AMOs: store/AMO address misaligned, mtval = address. */
    h->x[R_S0] = RAM_BASE + 0x2002;
    uint32_t p2[] = {AMOADD_W(R_A0, R_S0, R_A1), J_SELF};
    run_prog(e, PRV_M, p2, 2, 20);
    expect_trap(e, "misaligned.amoadd_w", EXC_STORE_MISALIGNED, RAM_BASE + 12, RAM_BASE + 0x2002);
    h->x[R_S0] = RAM_BASE + 0x2004;
    uint32_t p3[] = {AMOADD_D(R_A0, R_S0, R_A1), J_SELF};
    run_prog(e, PRV_M, p3, 2, 20);
    expect_trap(e, "misaligned.amoadd_d_4_aligned", EXC_STORE_MISALIGNED, RAM_BASE + 12,
                RAM_BASE + 0x2004);
    uint32_t p4[] = {SC_D(R_A0, R_S0, R_A1), J_SELF};
    run_prog(e, PRV_M, p4, 2, 20);
    expect_trap(e, "misaligned.sc_d", EXC_STORE_MISALIGNED, RAM_BASE + 12, RAM_BASE + 0x2004);
    /* LR is a load: load address misaligned. */
    uint32_t p5[] = {LR_D(R_A0, R_S0), J_SELF};
    run_prog(e, PRV_M, p5, 2, 20);
    expect_trap(e, "misaligned.lr_d", EXC_LOAD_MISALIGNED, RAM_BASE + 12, RAM_BASE + 0x2004);
    /* Memory untouched by the faulting AMO. */
    check(peek64(e, RAM_BASE + 0x2000) == 0x0706050403020100ull, "misaligned.amo_no_side_effect",
          "%#llx", (unsigned long long)peek64(e, RAM_BASE + 0x2000));
    env_free(e);
}

static void test_access_faults(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    const uint64_t holes[] = {0x20000000ull,         0x0ull,
                              RAM_BASE + RAM_SIZE,   0x100000000000ull,
                              0xfffffffffffff000ull, RAM_BASE - 8};
    for (size_t k = 0; k < sizeof(holes) / sizeof(holes[0]); k++) {
        char n[80];
        h->x[R_S0] = holes[k];
        uint32_t p[] = {LD(R_A0, R_S0, 0), J_SELF};
        run_prog(e, PRV_M, p, 2, 20);
        snprintf(n, sizeof(n), "access.load_hole_%zu", k);
        expect_trap(e, n, EXC_LOAD_ACCESS, RAM_BASE + 12, holes[k]);
        uint32_t q[] = {SD(R_A0, R_S0, 0), J_SELF};
        run_prog(e, PRV_M, q, 2, 20);
        snprintf(n, sizeof(n), "access.store_hole_%zu", k);
        expect_trap(e, n, EXC_STORE_ACCESS, RAM_BASE + 12, holes[k]);
        uint32_t r[] = {AMOADD_D(R_A0, R_S0, R_A1), J_SELF};
        run_prog(e, PRV_M, r, 2, 20);
        snprintf(n, sizeof(n), "access.amo_hole_%zu", k);
        expect_trap(e, n, EXC_STORE_ACCESS, RAM_BASE + 12, holes[k]);
        uint32_t j[] = {JALR(0, R_S0, 0), J_SELF};
        run_prog(e, PRV_M, j, 2, 20);
        snprintf(n, sizeof(n), "access.fetch_hole_%zu", k);
        expect_trap(e, n, EXC_INSN_ACCESS, holes[k], holes[k]);
    }
    /* A load straddling the end of RAM: part of it is in the void. */
    h->x[R_S0] = RAM_BASE + RAM_SIZE - 4;
    uint32_t p[] = {LD(R_A0, R_S0, 0), J_SELF};
    run_prog(e, PRV_M, p, 2, 20);
    check(h->pc == TRAP && h->mcause == EXC_LOAD_ACCESS, "access.load_straddling_ram_end",
          "pc %#llx mcause %llu", (unsigned long long)h->pc, (unsigned long long)h->mcause);
    /* A 32-bit instruction in the last two bytes of RAM. */
    poke16(e, RAM_BASE + RAM_SIZE - 2, (uint16_t)ADDI(R_A0, R_A0, 1));
    h->pc = RAM_BASE + RAM_SIZE - 2;
    set_priv(e, PRV_M);
    hart_run(h, 5);
    expect_trap(e, "access.fetch_straddling_ram_end", EXC_INSN_ACCESS, RAM_BASE + RAM_SIZE - 2,
                RAM_BASE + RAM_SIZE);

    /* The device window answers; the access is seen by the device. */
    e->nlog = 0;
    h->x[R_S0] = DEV_BASE + 8;
    h->x[R_A1] = 0x77;
    uint32_t d[] = {LW(R_A0, R_S0, 0), SB(R_A1, R_S0, 1), J_SELF};
    run_prog(e, PRV_M, d, 3, 20);
    check(h->x[R_A0] == 0x5a5a5a5aull && e->nlog == 2 && e->log[0].pa == DEV_BASE + 8 &&
              e->log[0].len == 4 && !e->log[0].write && e->log[1].write &&
              e->log[1].pa == DEV_BASE + 9 && e->log[1].val == 0x77 && h->pc == RAM_BASE + 20,
          "access.mmio_reaches_device", "a0 %#llx nlog %d pc %#llx", (unsigned long long)h->x[R_A0],
          e->nlog, (unsigned long long)h->pc);
    env_free(e);
}

/* Store a new instruction over one already executed, then execute it. */
static void test_smc_same_page(bool fence)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t prog[] = {
        ADDI(R_A0, R_A0, 1),   /* 0x00: replaced by addi a0, a0, 100 */
        BNE(R_S1, 0, 20),      /* 0x04 -> 0x18 on the second pass */
        SW(R_T0, R_S0, 0),     /* 0x08 */
        ADDI(R_S1, 0, 1),      /* 0x0c */
        fence ? FENCE_I : NOP, /* 0x10 */
        JAL(0, -0x14),         /* 0x14 */
        J_SELF,                /* 0x18 */
    };
    load_prog(e, RAM_BASE, prog, 7);
    h->x[R_S0] = RAM_BASE;
    h->x[R_T0] = ADDI(R_A0, R_A0, 100);
    h->pc = RAM_BASE;
    hart_run(h, 100);
    check(h->x[R_A0] == 101 && h->pc == RAM_BASE + 0x18,
          fence ? "smc.same_page_fence_i" : "smc.same_page_no_fence_i",
          "a0 %llu (want 101) pc %#llx", (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);

    /* The next instruction of the same block, rewritten by the store just
     * before it (with FENCE.I between, as the spec requires). */
    uint32_t prog2[] = {
        SW(R_T0, R_S0, 12),    /* 0x00: overwrite 0x0c */
        fence ? FENCE_I : NOP, /* 0x04 */
        NOP,                   /* 0x08 */
        ADDI(R_A0, 0, 1),      /* 0x0c: becomes addi a0, x0, 2 */
        J_SELF,                /* 0x10 */
    };
    load_prog(e, RAM_BASE, prog2, 5);
    h->x[R_T0] = ADDI(R_A0, 0, 2);
    h->x[R_A0] = 0;
    h->pc = RAM_BASE;
    hart_run(h, 100);
    check(h->x[R_A0] == 2 && h->pc == RAM_BASE + 0x10,
          fence ? "smc.next_insn_fence_i" : "smc.next_insn_no_fence_i", "a0 %llu (want 2)",
          (unsigned long long)h->x[R_A0]);

    env_free(e);
}

/* Host (DMA) writes into executed code are seen. */
static void test_dma_invalidate(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t p[] = {ADDI(R_A0, 0, 5), J_SELF};
    load_prog(e, RAM_BASE, p, 2);
    h->pc = RAM_BASE;
    hart_run(h, 10);
    uint64_t first = h->x[R_A0];
    uint32_t q = ADDI(R_A0, 0, 9);
    memcpy(ram_ptr(e, RAM_BASE), &q, 4);
    bus_invalidate_range(&e->bus, RAM_BASE, 4);
    h->pc = RAM_BASE;
    hart_run(h, 10);
    check(first == 5 && h->x[R_A0] == 9, "smc.dma_write_invalidates", "a0 %llu then %llu",
          (unsigned long long)first, (unsigned long long)h->x[R_A0]);
    env_free(e);
}

/* Data and code on one page: many stores to the page (the decoded page is
 * handed back to data after a while), then an instruction rewritten. */
static void test_data_on_code_page(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t prog[] = {
        ADDI(R_T1, 0, 200),    /* 0x00 */
        SD(R_T1, R_S0, 0x400), /* 0x04: data on the code page */
        ADDI(R_T1, R_T1, -1),  /* 0x08 */
        BNE(R_T1, 0, -8),      /* 0x0c */
        SW(R_T0, R_S0, 0x1c),  /* 0x10: rewrite 0x1c */
        FENCE_I,               /* 0x14 */
        NOP,                   /* 0x18 */
        ADDI(R_A0, 0, 1),      /* 0x1c -> addi a0, x0, 3 */
        BNE(R_S1, 0, 12),      /* 0x20 */
        ADDI(R_S1, 0, 1),      /* 0x24 */
        JAL(0, -0x28),         /* 0x28 -> 0x00: go round again */
        J_SELF,                /* 0x2c */
    };
    load_prog(e, RAM_BASE, prog, 12);
    h->x[R_S0] = RAM_BASE;
    h->x[R_T0] = ADDI(R_A0, 0, 3);
    h->pc = RAM_BASE;
    hart_run(h, 5000);
    check(h->x[R_A0] == 3 && h->pc == RAM_BASE + 0x2c && peek64(e, RAM_BASE + 0x400) == 1,
          "smc.data_on_code_page", "a0 %llu pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->pc);
    env_free(e);
}

/* A decoded-page pool of 2 and code on 3 pages: recycled pages must not
 * leave stale decodings behind. */
static void test_dpage_eviction(void)
{
    cpu_env *e = env_new(RAM_SIZE, 2);
    poke32(e, TRAP, J_SELF);
    e->hart.mtvec = TRAP;
    rv_hart *h = &e->hart;
    /* page 1: a0 += 1; call page 2; call page 3; loop 50 times */
    uint32_t p1[] = {
        ADDI(R_A0, R_A0, 1),  JALR(R_RA, R_S0, 0), JALR(R_RA, R_S1, 0),
        ADDI(R_T1, R_T1, -1), BNE(R_T1, 0, -16),   J_SELF,
    };
    uint32_t p2[] = {ADDI(R_A1, R_A1, 2), JALR(0, R_RA, 0)};
    uint32_t p3[] = {ADDI(R_A2, R_A2, 3), JALR(0, R_RA, 0)};
    load_prog(e, RAM_BASE + 0x1000, p1, 6);
    load_prog(e, RAM_BASE + 0x2000, p2, 2);
    load_prog(e, RAM_BASE + 0x3000, p3, 2);
    h->x[R_S0] = RAM_BASE + 0x2000;
    h->x[R_S1] = RAM_BASE + 0x3000;
    h->x[R_T1] = 50;
    h->pc = RAM_BASE + 0x1000;
    hart_run(h, 2000);
    check(h->x[R_A0] == 50 && h->x[R_A1] == 100 && h->x[R_A2] == 150 && h->pc == RAM_BASE + 0x1014,
          "dpage.eviction_pool_of_2", "a0 %llu a1 %llu a2 %llu pc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->x[R_A1],
          (unsigned long long)h->x[R_A2], (unsigned long long)h->pc);
    /* Rewrite page 3's code by a store from page 1 while page 3 may be
     * evicted: still seen. */
    poke32(e, RAM_BASE + 0x1000 + 12, SW(R_T0, R_S1, 0)); /* replaces addi t1 */
    h->x[R_T0] = ADDI(R_A2, R_A2, 7);
    h->x[R_A2] = 0;
    h->pc = RAM_BASE + 0x1000;
    hart_run(h, 8); /* a0 += 1, call p2 (2), call p3 (a2 = 3), the store */
    h->pc = RAM_BASE + 0x1008;
    hart_run(h, 2); /* call p3 again: a2 += 7 */
    check(h->x[R_A2] == 10, "dpage.store_after_eviction_seen", "a2 %llu (want 3 + 7)",
          (unsigned long long)h->x[R_A2]);
    env_free(e);
}

/* LR/SC (unprivileged ISA 8.2): SC succeeds after its LR; a write by
 * another agent (here: DMA) to the reserved bytes between LR and SC makes
 * it fail; SC without a reservation fails. */
static void test_lrsc(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    poke64(e, RAM_BASE + 0x3000, 7);
    uint32_t p[] = {
        LR_D(R_A0, R_S0),       /* 0x0c */
        SC_D(R_A1, R_S0, R_T0), /* 0x10: succeeds, a1 = 0 */
        LR_D(R_A2, R_S0),       /* 0x14 */
        SC_D(R_A3, R_S0, R_T1), /* 0x18: after a DMA write: fails */
        SC_D(R_A4, R_S0, R_T1), /* 0x1c: no reservation: fails */
        J_SELF,
    };
    h->x[R_S0] = RAM_BASE + 0x3000;
    h->x[R_T0] = 42;
    h->x[R_T1] = 43;
    run_prog(e, PRV_M, p, 6, 6); /* nops, LR, SC, LR */
    uint64_t dma = 99;
    memcpy(ram_ptr(e, RAM_BASE + 0x3000), &dma, 8);
    bus_invalidate_range(&e->bus, RAM_BASE + 0x3000, 8);
    hart_run(h, 20);
    check(h->x[R_A0] == 7 && h->x[R_A1] == 0 && h->x[R_A2] == 42 && h->x[R_A3] == 1 &&
              h->x[R_A4] == 1 && peek64(e, RAM_BASE + 0x3000) == 99 && h->pc == RAM_BASE + 0x20,
          "lrsc.dma_write_breaks_reservation", "a0 %llu a1 %llu a2 %llu a3 %llu a4 %llu mem %llu",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->x[R_A1],
          (unsigned long long)h->x[R_A2], (unsigned long long)h->x[R_A3],
          (unsigned long long)h->x[R_A4], (unsigned long long)peek64(e, RAM_BASE + 0x3000));
    env_free(e);
}

/* mstatus.TVM, TSR, TW trap S-mode satp/SFENCE.VMA, SRET and WFI
 * (privileged spec 3.1.6.5). */
static void test_trap_virtualization(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t rsatp = CSRRS(R_A0, CSR_SATP, 0);
    uint32_t p1[] = {rsatp, J_SELF};
    h->mstatus |= MSTATUS_TVM;
    run_prog(e, PRV_S, p1, 2, 20);
    expect_trap(e, "tvm.satp_from_s", EXC_ILLEGAL, RAM_BASE + 12, rsatp);
    uint32_t p2[] = {SFENCE_VMA(0, 0), J_SELF};
    run_prog(e, PRV_S, p2, 2, 20);
    expect_trap(e, "tvm.sfence_from_s", EXC_ILLEGAL, RAM_BASE + 12, p2[0]);
    h->mstatus &= ~MSTATUS_TVM;
    run_prog(e, PRV_S, p1, 2, 20);
    check(h->pc == RAM_BASE + 16 && h->priv == PRV_S, "tvm.off_satp_from_s_ok", "pc %#llx",
          (unsigned long long)h->pc);

    h->mstatus |= MSTATUS_TSR;
    uint32_t p3[] = {SRET, J_SELF};
    run_prog(e, PRV_S, p3, 2, 20);
    expect_trap(e, "tsr.sret_from_s", EXC_ILLEGAL, RAM_BASE + 12, SRET);
    h->mstatus &= ~MSTATUS_TSR;

    h->mstatus |= MSTATUS_TW;
    uint32_t p4[] = {0x10500073, J_SELF};
    run_prog(e, PRV_S, p4, 2, 20);
    expect_trap(e, "tw.wfi_from_s", EXC_ILLEGAL, RAM_BASE + 12, 0x10500073);
    h->mstatus &= ~MSTATUS_TW;
    run_prog(e, PRV_S, p4, 2, 20);
    check(h->priv == PRV_S && h->pc == RAM_BASE + 16 && h->mcause == EXC_ILLEGAL,
          "tw.off_wfi_from_s_ok", "pc %#llx priv %d", (unsigned long long)h->pc, h->priv);
    env_free(e);
}

/* The boot ROM: code runs from it, loads read it, stores fault. */
static void test_rom(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    static uint8_t rom[0x1000];
    uint32_t code[] = {LD(R_A0, R_S0, 0x100), SD(R_A0, R_S0, 0x108), J_SELF};
    memcpy(rom, code, sizeof(code));
    uint64_t magic = 0x0123456789abcdefull;
    memcpy(rom + 0x100, &magic, 8);
    e->bus.rom = rom;
    e->bus.rom_base = 0x1000;
    e->bus.rom_size = sizeof(rom);
    h->x[R_S0] = 0x1000;
    h->pc = 0x1000;
    set_priv(e, PRV_M);
    hart_run(h, 20);
    check(h->x[R_A0] == magic, "rom.fetch_and_load", "a0 %#llx", (unsigned long long)h->x[R_A0]);
    expect_trap(e, "rom.store_is_access_fault", EXC_STORE_ACCESS, 0x1004, 0x1108);
    uint64_t after;
    memcpy(&after, rom + 0x108, 8);
    check(after == 0, "rom.store_left_rom_alone", "rom+0x108 = %#llx", (unsigned long long)after);
    env_free(e);
}

/* CSR access rules (Zicsr; privileged 2.1): reading a read-only CSR is
 * legal when the instruction does not write (rs1 = x0 / uimm = 0); a trap
 * taken in M is never delegated; MRET restores MIE from MPIE and sets MPP
 * to U. */
static void test_csr_rules(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t p1[] = {CSRRS(R_A0, CSR_MHARTID, 0), e_i(0x73, R_A1, 6, 0, CSR_MISA),
                     CSRRS(R_A2, CSR_CYCLE, 0), J_SELF};
    h->mtval = 0;
    h->mcause = 0;
    run_prog(e, PRV_M, p1, 4, 20);
    check(h->pc == RAM_BASE + 24 && h->x[R_A0] == 0 && (h->x[R_A1] >> 62) == 2 &&
              (h->x[R_A1] & 0x112d) == 0x112d,
          "csr.readonly_read_with_x0_is_legal", "pc %#llx a0 %#llx misa %#llx",
          (unsigned long long)h->pc, (unsigned long long)h->x[R_A0],
          (unsigned long long)h->x[R_A1]);
    uint32_t wcycle = CSRRW(0, CSR_CYCLE, R_A0);
    uint32_t p2[] = {wcycle, J_SELF};
    run_prog(e, PRV_M, p2, 2, 20);
    expect_trap(e, "csr.write_cycle_illegal_even_rd_x0", EXC_ILLEGAL, RAM_BASE + 12, wcycle);
    uint32_t sset = e_i(0x73, R_A0, 6, 1, CSR_MHARTID); /* csrrsi a0, mhartid, 1 */
    uint32_t p3[] = {sset, J_SELF};
    run_prog(e, PRV_M, p3, 2, 20);
    expect_trap(e, "csr.csrrsi_nonzero_on_readonly", EXC_ILLEGAL, RAM_BASE + 12, sset);

    /* In M, medeleg does not apply. */
    h->medeleg = 0xb3ff;
    uint32_t bad = e_r(0x33, 10, 0, 11, 12, 0x02);
    uint32_t p4[] = {bad, J_SELF};
    run_prog(e, PRV_M, p4, 2, 20);
    expect_trap(e, "trap.m_mode_never_delegated", EXC_ILLEGAL, RAM_BASE + 12, bad);
    h->medeleg = 0;

    /* MRET: MIE <- MPIE, MPIE <- 1, MPP <- U, priv <- old MPP. */
    h->mstatus = (h->mstatus & ~(MSTATUS_MIE | MSTATUS_MPP)) | MSTATUS_MPIE |
                 ((uint64_t)PRV_S << MSTATUS_MPP_SHIFT);
    h->mepc = RAM_BASE + 0x100;
    poke32(e, RAM_BASE + 0x100, J_SELF);
    uint32_t p5[] = {MRET};
    run_prog(e, PRV_M, p5, 1, 10);
    check(h->priv == PRV_S && h->pc == RAM_BASE + 0x100 && (h->mstatus & MSTATUS_MIE) &&
              (h->mstatus & MSTATUS_MPIE) && !(h->mstatus & MSTATUS_MPP),
          "mret.restores_state", "priv %d pc %#llx mstatus %#llx", h->priv,
          (unsigned long long)h->pc, (unsigned long long)h->mstatus);
    env_free(e);
}

/* Interrupts (privileged spec 3.1.6.1, 3.1.7, 3.1.9): global enables per
 * privilege, the fixed priority MEI > MSI > MTI > SEI > SSI > STI,
 * delegation, vectored mtvec/stvec, WFI. */
static void test_interrupts(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    for (int i = 0; i < 64; i++)
        poke32(e, TRAP + 4 * i, J_SELF); /* vector table: all parking loops */
    uint32_t loop[] = {NOP, NOP, JAL(0, -8)};
    load_prog(e, RAM_BASE, loop, 3);

    /* M mode, MIE = 0: pending and enabled, but not taken. */
    h->mie = MIP_MTIP;
    hart_set_irq(h, IRQ_MTI, 1);
    h->pc = RAM_BASE;
    set_priv(e, PRV_M);
    hart_run(h, 20);
    check(h->pc < RAM_BASE + 12, "irq.m_mie_clear_not_taken", "pc %#llx",
          (unsigned long long)h->pc);
    /* MIE = 1, vectored: base + 4 * cause. */
    h->mtvec = TRAP | 1;
    h->mstatus |= MSTATUS_MIE;
    hart_run(h, 20);
    check(h->pc == TRAP + 4 * IRQ_MTI && h->mcause == (CAUSE_INTERRUPT | IRQ_MTI) &&
              h->mepc >= RAM_BASE && h->mepc < RAM_BASE + 12 && !(h->mstatus & MSTATUS_MIE) &&
              (h->mstatus & MSTATUS_MPIE),
          "irq.mti_vectored", "pc %#llx mcause %#llx mepc %#llx", (unsigned long long)h->pc,
          (unsigned long long)h->mcause, (unsigned long long)h->mepc);

    /* Priority: MEI over MSI over MTI. */
    h->mie = MIP_MTIP | MIP_MSIP | MIP_MEIP;
    hart_set_irq(h, IRQ_MSI, 1);
    hart_set_irq(h, IRQ_MEI, 1);
    h->mstatus |= MSTATUS_MIE;
    h->pc = RAM_BASE;
    hart_run(h, 5);
    check(h->mcause == (CAUSE_INTERRUPT | IRQ_MEI), "irq.priority_mei_first", "mcause %#llx",
          (unsigned long long)h->mcause);
    hart_set_irq(h, IRQ_MEI, 0);
    h->mstatus |= MSTATUS_MIE;
    h->pc = RAM_BASE;
    hart_run(h, 5);
    check(h->mcause == (CAUSE_INTERRUPT | IRQ_MSI), "irq.priority_msi_before_mti", "mcause %#llx",
          (unsigned long long)h->mcause);
    hart_set_irq(h, IRQ_MSI, 0);
    hart_set_irq(h, IRQ_MTI, 0);

    /* In S mode, M-level interrupts are taken whatever mstatus.MIE says. */
    h->mstatus &= ~MSTATUS_MIE;
    hart_set_irq(h, IRQ_MTI, 1);
    h->pc = RAM_BASE;
    set_priv(e, PRV_S);
    hart_run(h, 5);
    check(h->priv == PRV_M && h->mcause == (CAUSE_INTERRUPT | IRQ_MTI) &&
              ((h->mstatus & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT) == PRV_S,
          "irq.m_level_taken_from_s_with_mie_clear", "priv %d mcause %#llx", h->priv,
          (unsigned long long)h->mcause);
    hart_set_irq(h, IRQ_MTI, 0);

    /* Delegated supervisor software interrupt (mip.SSIP written by M,
     * as older xv6 does), taken in S from U, vectored stvec. */
    h->mideleg = MIP_SSIP | MIP_STIP | MIP_SEIP;
    h->mie = MIP_SSIP;
    h->stvec = (RAM_BASE + 0x900) | 1;
    for (int i = 0; i < 16; i++)
        poke32(e, RAM_BASE + 0x900 + 4 * i, J_SELF);
    csr_write(h, CSR_MIP, MIP_SSIP);
    h->pc = RAM_BASE;
    set_priv(e, PRV_U);
    hart_run(h, 5);
    check(h->priv == PRV_S && h->pc == RAM_BASE + 0x900 + 4 * IRQ_SSI &&
              h->scause == (CAUSE_INTERRUPT | IRQ_SSI) && !(h->mstatus & MSTATUS_SPP),
          "irq.ssi_delegated_from_u_vectored", "priv %d pc %#llx scause %#llx", h->priv,
          (unsigned long long)h->pc, (unsigned long long)h->scause);
    /* In S with SIE = 0, a delegated S interrupt waits. */
    h->mstatus &= ~MSTATUS_SIE;
    h->pc = RAM_BASE;
    set_priv(e, PRV_S);
    h->scause = 0;
    hart_run(h, 10);
    check(h->priv == PRV_S && h->pc < RAM_BASE + 12 && h->scause == 0, "irq.s_sie_clear_waits_in_s",
          "priv %d pc %#llx", h->priv, (unsigned long long)h->pc);
    /* ... and is never taken in M (delegated interrupts are masked there). */
    h->mstatus |= MSTATUS_SIE | MSTATUS_MIE;
    h->pc = RAM_BASE;
    set_priv(e, PRV_M);
    hart_run(h, 10);
    check(h->priv == PRV_M && h->pc < RAM_BASE + 12, "irq.delegated_not_taken_in_m",
          "priv %d pc %#llx", h->priv, (unsigned long long)h->pc);
    csr_write(h, CSR_MIP, 0);

    /* WFI: stops with nothing pending; an interrupt wakes it even with
     * MIE clear (then execution continues after the WFI). */
    uint32_t w[] = {0x10500073, ADDI(R_A0, 0, 7), J_SELF};
    load_prog(e, RAM_BASE, w, 3);
    h->mie = MIP_MEIP;
    h->mstatus &= ~MSTATUS_MIE;
    h->x[R_A0] = 0;
    h->pc = RAM_BASE;
    set_priv(e, PRV_M);
    uint64_t ran = hart_run(h, 100);
    check(h->wfi && ran <= 2 && h->pc == RAM_BASE + 4 && h->x[R_A0] == 0, "irq.wfi_stops",
          "wfi %d ran %llu pc %#llx", h->wfi, (unsigned long long)ran, (unsigned long long)h->pc);
    hart_set_irq(h, IRQ_MEI, 1);
    check(hart_interrupt_pending(h), "irq.wfi_wake_condition", "not pending");
    h->wfi = false; /* the machine's loop does this when hart_interrupt_pending() */
    hart_run(h, 10);
    check(h->x[R_A0] == 7 && h->pc == RAM_BASE + 8 && h->priv == PRV_M,
          "irq.wfi_resumes_after_wake_with_mie_clear", "a0 %llu pc %#llx",
          (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);
    env_free(e);
}

/* Runs fn in a child process, so a sanitizer abort or a crash becomes one
 * FAIL line instead of ending the whole test. */
static void check_in_child(const char *name, bool (*fn)(void))
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn() ? 0 : 1);
    int st = 0;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        check(false, name, "fork/waitpid failed");
        return;
    }
    if (WIFSIGNALED(st))
        check(false, name, "child killed by signal %d (sanitizer report on stderr)", WTERMSIG(st));
    else
        check(WIFEXITED(st) && WEXITSTATUS(st) == 0, name, "child exit %d (details on stderr)",
              WEXITSTATUS(st));
}

/* A ROM of two pages: each page must run its own code (the decoded-page
 * cache once gave every ROM page one shared slot). */
static bool rom_two_pages(void)
{
    cpu_env *e = world();
    static uint8_t rom[0x2000];
    uint32_t a[] = {ADDI(R_A0, 0, 1), JAL(0, 0x1000 - 4)}; /* 0x1000: -> 0x2000 */
    uint32_t b[] = {ADDI(R_A1, 0, 2), J_SELF};             /* 0x2000 */
    memcpy(rom, a, sizeof(a));
    memcpy(rom + 0x1000, b, sizeof(b));
    e->bus.rom = rom;
    e->bus.rom_base = 0x1000;
    e->bus.rom_size = sizeof(rom);
    e->hart.pc = 0x1000;
    hart_run(&e->hart, 10);
    bool ok = e->hart.x[R_A0] == 1 && e->hart.x[R_A1] == 2 && e->hart.pc == 0x2004;
    if (!ok)
        fprintf(stderr, "rom_two_pages: a0 %llu a1 %llu pc %#llx (want 1, 2, 0x2004)\n",
                (unsigned long long)e->hart.x[R_A0], (unsigned long long)e->hart.x[R_A1],
                (unsigned long long)e->hart.pc);
    env_free(e);
    return ok;
}

/* A ROM smaller than a page: running off its end is an instruction access
 * fault at the first address past it, never a host read past the buffer. */
static bool rom_partial_page(void)
{
    cpu_env *e = world();
    uint8_t *rom = calloc(1, 0x100);
    uint32_t nop = NOP;
    memcpy(rom + 0xfc, &nop, 4);
    e->bus.rom = rom;
    e->bus.rom_base = 0x1000;
    e->bus.rom_size = 0x100;
    e->hart.pc = 0x10fc;
    hart_run(&e->hart, 5);
    bool ok =
        e->hart.mcause == EXC_INSN_ACCESS && e->hart.mepc == 0x1100 && e->hart.mtval == 0x1100;
    if (!ok)
        fprintf(stderr, "rom_partial_page: mcause %llu mepc %#llx mtval %#llx\n",
                (unsigned long long)e->hart.mcause, (unsigned long long)e->hart.mepc,
                (unsigned long long)e->hart.mtval);
    env_free(e);
    free(rom);
    return ok;
}

int main(int argc, char **argv)
{
    (void)argc;
    harness_init(argv[0]);
    test_illegal();
    test_ecall();
    test_misaligned();
    test_access_faults();
    test_smc_same_page(true);
    test_smc_same_page(false);
    test_dma_invalidate();
    test_data_on_code_page();
    test_dpage_eviction();
    test_lrsc();
    test_trap_virtualization();
    test_rom();
    test_csr_rules();
    test_interrupts();
    check_in_child("bus.rom_second_page_runs_its_own_code", rom_two_pages);
    check_in_child("bus.rom_smaller_than_page_fetch_past_end", rom_partial_page);
    return finish();
}
