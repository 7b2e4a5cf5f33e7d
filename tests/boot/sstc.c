/*
 * Supervisor timers, both ways guests do it:
 *  1. Sstc (newer xv6, Linux with "sstc" in riscv,isa): M mode sets
 *     menvcfg.STCE and mcounteren.TM and drops to S mode, which programs
 *     stimecmp (CSR 0x14d) and takes supervisor timer interrupts.
 *  2. The older scheme (older xv6, OpenSBI without Sstc): the machine timer
 *     interrupt lands in M mode, whose handler raises mip.SSIP (xv6) or
 *     mip.STIP (OpenSBI) for S mode; S clears SSIP itself and asks M (ecall)
 *     to clear STIP.
 * Privileged spec §3.1.9 (mip/mie), §3.2.1, Sstc extension §"stimecmp".
 */
#include "bm.h"

#define TICKS 3
#define INTERVAL (TIMEBASE_HZ / 1000)

/* ecalls from S to this kernel's M-mode handler (a7). */
#define EC_STCE_OFF 1   /* clear menvcfg.STCE */
#define EC_ARM 2        /* arm the machine timer */
#define EC_CLEAR_STIP 3 /* clear mip.STIP, re-arm unless done */

static volatile int phase; /* 2: M timer raises SSIP, 3: raises STIP */
static volatile unsigned s_ticks, early, ssi_count, sti_count, m2_ticks, illegal_seen;
static volatile int expect_illegal;

static void arm_mtimer(void)
{
    mmio_w64(CLINT_MTIMECMP(0), mtime() + INTERVAL);
}

void m_trap(struct trap_frame *f)
{
    unsigned long cause = csr_read(mcause);
    if (cause == (CAUSE_INT | IRQ_M_TIMER)) {
        mmio_w64(CLINT_MTIMECMP(0), ~0ULL);
        if (phase == 2) {
            csr_set(mip, 1UL << IRQ_S_SOFT);
            if (++m2_ticks < TICKS)
                arm_mtimer();
        } else if (phase == 3) {
            csr_set(mip, 1UL << IRQ_S_TIMER);
        }
    } else if (cause == EXC_ECALL_S) {
        switch (f->a7) {
        case EC_STCE_OFF: csr_clear(CSR_MENVCFG, MENVCFG_STCE); break;
        case EC_ARM: arm_mtimer(); break;
        case EC_CLEAR_STIP:
            csr_clear(mip, 1UL << IRQ_S_TIMER);
            if (sti_count < TICKS)
                arm_mtimer();
            break;
        default: die("sstc bad ecall %lx", f->a7);
        }
        csr_write(mepc, csr_read(mepc) + 4);
    } else if (cause == 2 && expect_illegal) {
        /* Illegal instruction from S touching stimecmp with STCE = 0. */
        illegal_seen++;
        expect_illegal = 0;
        csr_write(mepc, csr_read(mepc) + 4);
    } else {
        die("sstc unexpected M trap mcause=%lx mepc=%lx mtval=%lx", cause, csr_read(mepc),
            csr_read(mtval));
    }
}

void s_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(scause);
    if (cause == (CAUSE_INT | IRQ_S_TIMER) && phase == 1) {
        if (rdtime() < csr_read(CSR_STIMECMP))
            early++;
        s_ticks++;
        csr_write(CSR_STIMECMP, s_ticks < TICKS ? rdtime() + INTERVAL : ~0UL);
    } else if (cause == (CAUSE_INT | IRQ_S_SOFT) && phase == 2) {
        ssi_count++;
        csr_clear(sip, 1UL << IRQ_S_SOFT);
    } else if (cause == (CAUSE_INT | IRQ_S_TIMER) && phase == 3) {
        sti_count++;
        register unsigned long a7 __asm__("a7") = EC_CLEAR_STIP;
        __asm__ volatile("ecall" ::"r"(a7) : "memory");
    } else {
        die("sstc unexpected S trap scause=%lx sepc=%lx stval=%lx phase %d", cause, csr_read(sepc),
            csr_read(stval), phase);
    }
}

static void ecall_m(unsigned long what)
{
    register unsigned long a7 __asm__("a7") = what;
    __asm__ volatile("ecall" ::"r"(a7) : "memory");
}

/* Waits in S mode for *count to reach n: SIE closed between test and WFI,
 * which still wakes on a pending enabled interrupt. */
static void s_wait(volatile unsigned *count, unsigned n)
{
    csr_clear(sstatus, MSTATUS_SIE);
    while (*count < n) {
        wfi();
        csr_set(sstatus, MSTATUS_SIE);
        csr_clear(sstatus, MSTATUS_SIE);
    }
    csr_set(sstatus, MSTATUS_SIE);
}

static void s_main(void)
{
    csr_write(stvec, (unsigned long)trap_vector_s);
    ok("sstc in S mode");

    /* The time CSR is readable from S because mcounteren.TM is set. */
    uint64_t t0 = rdtime();
    check(SPIN_UNTIL(rdtime() != t0, 100000000UL),
          "sstc time CSR readable and advancing in S mode");

    /* sip.STIP follows time >= stimecmp even while disabled. */
    csr_write(CSR_STIMECMP, 0);
    int set = SPIN_UNTIL(csr_read(sip) & (1UL << IRQ_S_TIMER), 1000000UL);
    csr_write(CSR_STIMECMP, ~0UL);
    int clr = SPIN_UNTIL(!(csr_read(sip) & (1UL << IRQ_S_TIMER)), 1000000UL);
    check(set && clr, "sstc sip.STIP follows stimecmp");

    phase = 1;
    csr_write(sie, (1UL << IRQ_S_TIMER) | (1UL << IRQ_S_SOFT));
    csr_set(sstatus, MSTATUS_SIE);
    csr_write(CSR_STIMECMP, rdtime() + INTERVAL);
    s_wait(&s_ticks, TICKS);
    check(s_ticks == TICKS && early == 0,
          "sstc %d supervisor timer interrupts from stimecmp, none early", TICKS);

    /* Without STCE, stimecmp is not accessible from S (illegal instruction). */
    ecall_m(EC_STCE_OFF);
    expect_illegal = 1;
    unsigned long v;
    __asm__ volatile("csrr %0, 0x14d" : "=r"(v)::"memory");
    (void)v;
    check(illegal_seen == 1, "sstc stimecmp traps from S when menvcfg.STCE = 0");
    expect_illegal = 0;

    /* Old xv6: the M timer handler raises SSIP. */
    phase = 2;
    ecall_m(EC_ARM);
    s_wait(&ssi_count, TICKS);
    check(ssi_count == TICKS, "sstc %d supervisor software interrupts raised by M (mip.SSIP)",
          TICKS);

    /* OpenSBI without Sstc: the M timer handler raises STIP. */
    phase = 3;
    ecall_m(EC_ARM);
    s_wait(&sti_count, TICKS);
    csr_clear(sstatus, MSTATUS_SIE);
    check(sti_count == TICKS && !(csr_read(sip) & (1UL << IRQ_S_TIMER)),
          "sstc %d supervisor timer interrupts raised by M (mip.STIP)", TICKS);
    ok("sstc done");
    /* The syscon is reachable from S mode through the PMP entry M set up. */
    finish();
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    puts_raw("sstc test\n");
    mmio_w64(CLINT_MTIMECMP(0), ~0ULL);

    /* One PMP entry covering everything (NAPOT, RWX): without it S mode
     * can touch nothing (privileged spec §3.7.1). */
    csr_write(pmpaddr0, ~0UL >> 10);
    csr_write(pmpcfg0, 0x1f);

    csr_set(CSR_MENVCFG, MENVCFG_STCE);
    if (!check(!!(csr_read(CSR_MENVCFG) & MENVCFG_STCE), "sstc menvcfg.STCE sticks"))
        finish();
    csr_set(mcounteren, 2); /* TM */
    csr_write(mideleg, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER));
    csr_write(medeleg, 0);
    csr_write(mie, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER) | (1UL << IRQ_M_TIMER));
    csr_clear(mstatus, MSTATUS_MPP_MASK | MSTATUS_MIE);
    csr_set(mstatus, MSTATUS_MPP_S);
    csr_write(mepc, (unsigned long)s_main);
    __asm__ volatile("mret");
    return 0;
}
