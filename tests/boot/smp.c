/*
 * Several harts: all enter at _start; the others park in WFI until hart 0
 * releases them with a CLINT msip IPI. Every hart then adds to shared
 * counters with amoadd.w, with an LR/SC loop, and under an amoswap lock;
 * the totals must be exact. Run with --smp 2 and --smp 4; the hart count
 * comes from the device tree.
 */
#include "bm.h"

#define ITERS 100000
#define LOCKED_ITERS 20000
#define SPIN_LIMIT 400000000UL

static volatile uint32_t arrived, released, done, hart_mask;
static volatile uint32_t amo_counter, lrsc_counter, lock, locked_counter;
static volatile uint32_t bad_wakeups, ipis_to_0;

/* Hart 0 takes the other harts' "finished" IPIs as machine software
 * interrupts. */
void m_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(mcause);
    if (cause != (CAUSE_INT | IRQ_M_SOFT) || csr_read(mhartid) != 0)
        die("smp unexpected trap mcause=%lx mepc=%lx hart %lu", cause, csr_read(mepc),
            csr_read(mhartid));
    mmio_w32(CLINT_MSIP(0), 0);
    ipis_to_0++;
}

static inline void amoadd(volatile uint32_t *p, uint32_t v)
{
    __asm__ volatile("amoadd.w zero, %1, (%0)" ::"r"(p), "r"(v) : "memory");
}

static inline void lrsc_inc(volatile uint32_t *p)
{
    uint32_t tmp, fail;
    __asm__ volatile("1: lr.w %0, (%2)\n"
                     "   addiw %0, %0, 1\n"
                     "   sc.w %1, %0, (%2)\n"
                     "   bnez %1, 1b\n"
                     : "=&r"(tmp), "=&r"(fail)
                     : "r"(p)
                     : "memory");
}

static inline void lock_acquire(volatile uint32_t *l)
{
    uint32_t old;
    do {
        __asm__ volatile("amoswap.w.aq %0, %2, (%1)" : "=r"(old) : "r"(l), "r"(1) : "memory");
    } while (old);
}

static inline void lock_release(volatile uint32_t *l)
{
    __asm__ volatile("amoswap.w.rl zero, zero, (%0)" ::"r"(l) : "memory");
}

static void work(unsigned long hartid)
{
    __asm__ volatile("amoor.w zero, %1, (%0)" ::"r"(&hart_mask), "r"(1u << hartid) : "memory");
    for (int i = 0; i < ITERS; i++)
        amoadd(&amo_counter, 1);
    for (int i = 0; i < ITERS; i++)
        lrsc_inc(&lrsc_counter);
    for (int i = 0; i < LOCKED_ITERS; i++) {
        lock_acquire(&lock);
        /* A plain read-modify-write: only the lock makes it safe. */
        locked_counter = locked_counter + 1;
        lock_release(&lock);
    }
}

void secondary_main(unsigned long hartid, unsigned long dtb)
{
    (void)dtb;
    csr_write(mie, 1UL << IRQ_M_SOFT);
    amoadd(&arrived, 1);
    /* MIE stays clear: WFI wakes on the pending msip without a trap. */
    for (;;) {
        wfi();
        if (csr_read(mip) & (1UL << IRQ_M_SOFT)) {
            if (released)
                break;
            amoadd(&bad_wakeups, 1);
        }
    }
    mmio_w32(CLINT_MSIP(hartid), 0);
    if (csr_read(mip) & (1UL << IRQ_M_SOFT))
        amoadd(&bad_wakeups, 1);
    work(hartid);
    amoadd(&done, 1);
    mmio_w32(CLINT_MSIP(0), 1); /* tell hart 0 */
    for (;;)
        wfi();
}

int main(unsigned long hartid, unsigned long dtb)
{
    puts_raw("smp test\n");
    int n = fdt_count_cpus(dtb);
    if (!check(n >= 1 && n <= 8, "smp device tree lists %d harts", n))
        finish();
    uint32_t others = (uint32_t)n - 1;
    check(SPIN_UNTIL(arrived == others, SPIN_LIMIT), "smp %u other harts parked", others);

    released = 1;
    fence();
    csr_write(mie, 1UL << IRQ_M_SOFT);
    csr_set(mstatus, MSTATUS_MIE);
    for (int h = 1; h < n; h++)
        mmio_w32(CLINT_MSIP(h), 1);
    work(hartid);
    check(SPIN_UNTIL(done == others, SPIN_LIMIT), "smp %u other harts finished", others);
    if (others)
        check(SPIN_UNTIL(ipis_to_0 > 0, SPIN_LIMIT),
              "smp hart 0 took a software interrupt from another hart");
    csr_clear(mstatus, MSTATUS_MIE);
    fence();

    uint32_t want = (uint32_t)n * ITERS;
    check(hart_mask == (1u << n) - 1, "smp every hart ran (mask %x)", hart_mask);
    check(bad_wakeups == 0, "smp msip cleared by each hart");
    check(amo_counter == want, "smp amoadd.w counter %u (want %u)", amo_counter, want);
    check(lrsc_counter == want, "smp lr/sc counter %u (want %u)", lrsc_counter, want);
    check(locked_counter == (uint32_t)n * LOCKED_ITERS, "smp amoswap lock counter %u (want %u)",
          locked_counter, (uint32_t)n * LOCKED_ITERS);
    ok("smp %d harts", n);
    finish();
}
