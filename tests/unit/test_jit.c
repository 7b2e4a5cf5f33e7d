/* The translator (vm/cpu/jit.h) against the promises the interpreter
 * keeps: the budget and instret exact at any count, a trap in the middle
 * of a block retiring exactly the instructions before it, one physical
 * page run at two virtual addresses, the code buffer filling up and
 * starting over, FP with FS off in the middle of a block. Runs twice from
 * cpu.mk, interpreting and with CPU_TEST_JIT=1; every check must hold for
 * both (the translator-only counters are checked in the second run). */
#include "cpu_harness.h"

#define RAM_SIZE (1u << 20)
#define TRAP (RAM_BASE + 0x800)
#define FLD(rd, rs1, imm) e_i(0x07, rd, 3, rs1, imm)

static cpu_env *world(void)
{
    cpu_env *e = env_new(RAM_SIZE, 0);
    poke32(e, TRAP, J_SELF);
    e->hart.mtvec = TRAP;
    return e;
}

/* Nine increments and a jump back: after n instructions from the start,
 * a0 = n - n/10 and pc = 4 * (n % 10), whatever n the budget has. */
static void test_budget(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t p[10];
    for (int k = 0; k < 9; k++)
        p[k] = ADDI(R_A0, R_A0, 1);
    p[9] = JAL(0, -36);
    load_prog(e, RAM_BASE, p, 10);
    bool ok = true;
    char why[160] = "";
    for (uint64_t n = 1; n <= 45 && ok; n++) {
        h->pc = RAM_BASE;
        h->x[R_A0] = 0;
        h->instret = 0;
        uint64_t ran = hart_run(h, n);
        if (ran != n || h->instret != n || h->x[R_A0] != n - n / 10 ||
            h->pc != RAM_BASE + 4 * (n % 10)) {
            ok = false;
            snprintf(why, sizeof(why), "n %llu: ran %llu instret %llu a0 %llu pc %#llx",
                     (unsigned long long)n, (unsigned long long)ran, (unsigned long long)h->instret,
                     (unsigned long long)h->x[R_A0], (unsigned long long)h->pc);
        }
    }
    check(ok, "jit.budget_exact_1_to_45", "%s", why);

    /* Budgets in slices add up to the same state as one run. */
    h->pc = RAM_BASE;
    h->x[R_A0] = 0;
    h->instret = 0;
    uint64_t total = 0;
    for (int s = 0; s < 100; s++)
        total += hart_run(h, 7 + (uint64_t)(s % 13));
    check(h->instret == total && h->x[R_A0] == total - total / 10 &&
              h->pc == RAM_BASE + 4 * (total % 10),
          "jit.budget_slices", "total %llu instret %llu a0 %llu pc %#llx",
          (unsigned long long)total, (unsigned long long)h->instret, (unsigned long long)h->x[R_A0],
          (unsigned long long)h->pc);
    env_free(e);
}

/* addi, addi, a load from nowhere, addi: the load's access fault has
 * mepc at the load, and only the two addis before it retire. */
static void test_trap_mid_block(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    uint32_t p[] = {ADDI(R_A0, R_A0, 1), ADDI(R_A0, R_A0, 1), LD(R_A1, R_S0, 8),
                    ADDI(R_A0, R_A0, 1), J_SELF};
    load_prog(e, RAM_BASE, p, 5);
    h->x[R_S0] = 0x40000000; /* neither RAM nor a device */
    h->pc = RAM_BASE;
    uint64_t ran = hart_run(h, 3);
    check(h->pc == TRAP && h->mcause == EXC_LOAD_ACCESS && h->mepc == RAM_BASE + 8 &&
              h->mtval == 0x40000008 && h->x[R_A0] == 2 && h->instret == 2 && ran == 3,
          "jit.trap_mid_block_retires_the_instructions_before",
          "pc %#llx mcause %llu mepc %#llx a0 %llu instret %llu ran %llu",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mepc,
          (unsigned long long)h->x[R_A0], (unsigned long long)h->instret, (unsigned long long)ran);

    /* A load into x0 still performs the access (and faults). */
    uint32_t q[] = {ADDI(R_A0, 0, 5), LD(0, R_S0, 0), ADDI(R_A0, 0, 6), J_SELF};
    load_prog(e, RAM_BASE, q, 4);
    h->pc = RAM_BASE;
    h->mcause = 0;
    hart_run(h, 10);
    check(h->pc == TRAP && h->mcause == EXC_LOAD_ACCESS && h->mepc == RAM_BASE + 4 &&
              h->x[R_A0] == 5 && h->x[0] == 0,
          "jit.load_to_x0_faults", "pc %#llx mcause %llu mepc %#llx a0 %llu",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mepc,
          (unsigned long long)h->x[R_A0]);

    /* FS off: the FP load in the middle of the block is illegal. */
    uint32_t r[] = {ADDI(R_A0, 0, 7), FLD(1, R_S1, 0), ADDI(R_A0, 0, 8), J_SELF};
    load_prog(e, RAM_BASE, r, 4);
    h->x[R_S1] = RAM_BASE + 0x4000;
    h->mstatus &= ~MSTATUS_FS;
    h->pc = RAM_BASE;
    h->instret = 0;
    hart_run(h, 10);
    check(h->pc == TRAP && h->mcause == EXC_ILLEGAL && h->mepc == RAM_BASE + 4 &&
              h->mtval == FLD(1, R_S1, 0) && h->x[R_A0] == 7,
          "jit.fp_with_fs_off_mid_block_is_illegal", "pc %#llx mcause %llu mepc %#llx a0 %llu",
          (unsigned long long)h->pc, (unsigned long long)h->mcause, (unsigned long long)h->mepc,
          (unsigned long long)h->x[R_A0]);
    env_free(e);
}

/* One physical code page mapped at two virtual addresses (Sv39 gigapages
 * at 0 and at 1 GiB, both onto RAM_BASE): pc-relative results follow the
 * virtual address the code runs at. */
static void test_two_virtual_addresses(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    const uint64_t root = RAM_BASE + 0x10000;
    const uint64_t leaf = (RAM_BASE >> 12) << 10 | 0xcf; /* V R W X A D */
    poke64(e, root + 0 * 8, leaf);
    poke64(e, root + 1 * 8, leaf);
    uint32_t p[] = {
        AUIPC(R_A0, 0),      /* 0x1000: a0 = this pc */
        JAL(R_RA, 8),        /* 0x1004: ra = 0x1008, to 0x100c */
        NOP,                 /* 0x1008 */
        ADDI(R_A1, R_RA, 0), /* 0x100c */
        J_SELF,              /* 0x1010 */
    };
    load_prog(e, RAM_BASE + 0x1000, p, 5);
    h->satp = 8ull << 60 | root >> 12;
    set_priv(e, PRV_S);
    hart_flush_tlb(h);
    bool ok = true;
    char why[200] = "";
    static const uint64_t vas[] = {0x1000, 0x40001000, 0x1000, 0x40001000};
    for (int k = 0; k < 4; k++) {
        h->pc = vas[k];
        h->x[R_A0] = h->x[R_A1] = 0;
        hart_run(h, 20);
        if (h->x[R_A0] != vas[k] || h->x[R_A1] != vas[k] + 8 || h->pc != vas[k] + 0x10) {
            ok = false;
            snprintf(why, sizeof(why), "at %#llx: a0 %#llx a1 %#llx pc %#llx",
                     (unsigned long long)vas[k], (unsigned long long)h->x[R_A0],
                     (unsigned long long)h->x[R_A1], (unsigned long long)h->pc);
        }
    }
    check(ok, "jit.one_page_two_virtual_addresses", "%s", why);
    env_free(e);
}

/* More translated code than the buffer holds: 6000 two-instruction blocks
 * over 12 pages, run twice; the buffer starts over and nothing is lost. */
static void test_buffer_full(void)
{
    size_t saved = g_jit_size;
    g_jit_size = 192u << 10; /* the smallest buffer jit_create takes */
    cpu_env *e = world();
    g_jit_size = saved;
    rv_hart *h = &e->hart;
    const uint64_t code = RAM_BASE + 0x10000;
    const int blocks = 6000;
    for (int k = 0; k < blocks; k++) {
        poke32(e, code + 8 * (uint64_t)k, ADDI(R_A0, R_A0, 1));
        poke32(e, code + 8 * (uint64_t)k + 4, JAL(0, 4));
    }
    uint32_t tail[] = {ADDI(R_T1, R_T1, -1), BEQ(R_T1, 0, 8), JALR(0, R_S0, 0), J_SELF};
    load_prog(e, code + 8 * (uint64_t)blocks, tail, 4);
    h->x[R_S0] = code;
    h->x[R_T1] = 2;
    h->pc = code;
    hart_run(h, 5 * (uint64_t)blocks); /* 2 x 12000 and the tail, then j . */
    check(h->x[R_A0] == 2u * (unsigned)blocks && h->pc == code + 8 * (uint64_t)blocks + 12,
          "jit.code_buffer_full_starts_over", "a0 %llu pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->pc);
    if (e->bus.jit) {
        rv_jit_stats st;
        jit_stats(e->bus.jit, &st);
        check(st.flushes > 0 && st.blocks >= (uint64_t)blocks, "jit.code_buffer_resets_counted",
              "flushes %llu blocks %llu", (unsigned long long)st.flushes,
              (unsigned long long)st.blocks);
    }
    env_free(e);
}

/* A store that rewrites an instruction of a block that already ran, from
 * a block of another page; then a DMA write. Each time the new code runs. */
static void test_cross_page_rewrite(void)
{
    cpu_env *e = world();
    rv_hart *h = &e->hart;
    const uint64_t a = RAM_BASE + 0x2000, b = RAM_BASE + 0x3000;
    uint32_t pa_[] = {ADDI(R_A0, R_A0, 1), ADDI(R_A1, R_A1, 1), JALR(0, R_RA, 0)};
    load_prog(e, a, pa_, 3);
    uint32_t pb[] = {
        JALR(R_RA, R_S0, 0), /* run page a */
        SW(R_T0, R_S0, 4),   /* rewrite its second instruction */
        JALR(R_RA, R_S0, 0), /* run it again */
        J_SELF,
    };
    load_prog(e, b, pb, 4);
    h->x[R_S0] = a;
    h->x[R_T0] = ADDI(R_A1, R_A1, 10);
    h->pc = b;
    hart_run(h, 100);
    check(h->x[R_A0] == 2 && h->x[R_A1] == 11 && h->pc == b + 12, "jit.store_from_other_page_seen",
          "a0 %llu a1 %llu (want 2, 11) pc %#llx", (unsigned long long)h->x[R_A0],
          (unsigned long long)h->x[R_A1], (unsigned long long)h->pc);
    poke32(e, a + 4, ADDI(R_A1, R_A1, 100));
    h->pc = b + 8;
    hart_run(h, 100);
    check(h->x[R_A1] == 111, "jit.dma_rewrite_seen", "a1 %llu (want 111)",
          (unsigned long long)h->x[R_A1]);
    env_free(e);
}

int main(int argc, char **argv)
{
    (void)argc;
    harness_init(argv[0]);
    test_budget();
    test_trap_mid_block();
    test_two_virtual_addresses();
    test_buffer_full();
    test_cross_page_rewrite();
    return finish();
}
