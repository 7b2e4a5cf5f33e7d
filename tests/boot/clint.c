/*
 * CLINT: mtime advances and agrees with the time CSR, mtimecmp drives
 * mip.MTIP and machine timer interrupts, msip drives machine software
 * interrupts (privileged spec §3.2.1 mtime/mtimecmp, SiFive CLINT layout).
 */
#include "bm.h"

#define TICKS 5
#define INTERVAL (TIMEBASE_HZ / 1000) /* 1 ms */

static volatile unsigned ticks, soft_irqs, bad_causes, early_ticks;
static volatile uint64_t last_cmp;

void m_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(mcause);
    if (cause == (CAUSE_INT | IRQ_M_TIMER)) {
        uint64_t now = mtime(), cmp = mmio_r64(CLINT_MTIMECMP(0));
        /* The interrupt is only due once mtime >= mtimecmp. */
        if (now < cmp)
            early_ticks++;
        ticks++;
        if (ticks < TICKS) {
            last_cmp = now + INTERVAL;
            mmio_w64(CLINT_MTIMECMP(0), last_cmp);
        } else {
            mmio_w64(CLINT_MTIMECMP(0), ~0ULL);
        }
    } else if (cause == (CAUSE_INT | IRQ_M_SOFT)) {
        soft_irqs++;
        mmio_w32(CLINT_MSIP(0), 0);
    } else {
        bad_causes++;
        die("clint unexpected trap mcause=%lx mepc=%lx", cause, csr_read(mepc));
    }
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    puts_raw("clint test\n");
    mmio_w64(CLINT_MTIMECMP(0), ~0ULL);

    uint64_t t0 = mtime();
    int moved = SPIN_UNTIL(mtime() != t0, 100000000UL);
    check(moved && mtime() > t0, "clint mtime advances");

    uint64_t a = mtime(), b = rdtime(), c = mtime();
    check(a <= b && b <= c, "clint time CSR between two mtime reads (%lx %lx %lx)", a, b, c);

    /* mtimecmp is readable and writable in 32-bit halves too. */
    mmio_w32(CLINT_MTIMECMP(0), 0x89abcdefu);
    mmio_w32(CLINT_MTIMECMP(0) + 4, 0x01234567u);
    check(mmio_r64(CLINT_MTIMECMP(0)) == 0x0123456789abcdefULL &&
              mmio_r32(CLINT_MTIMECMP(0) + 4) == 0x01234567u,
          "clint mtimecmp 32-bit halves");

    /* mip.MTIP follows mtime >= mtimecmp whether or not it is enabled. */
    mmio_w64(CLINT_MTIMECMP(0), 0);
    int pending = SPIN_UNTIL(csr_read(mip) & (1UL << IRQ_M_TIMER), 1000000UL);
    mmio_w64(CLINT_MTIMECMP(0), ~0ULL);
    int cleared = SPIN_UNTIL(!(csr_read(mip) & (1UL << IRQ_M_TIMER)), 1000000UL);
    check(pending && cleared, "clint mip.MTIP set by mtimecmp <= mtime, cleared by mtimecmp = max");

    /* Machine timer interrupts, re-armed from the handler. */
    csr_write(mie, 1UL << IRQ_M_TIMER);
    csr_set(mstatus, MSTATUS_MIE);
    uint64_t start = mtime();
    mmio_w64(CLINT_MTIMECMP(0), start + INTERVAL);
    while (ticks < TICKS)
        wfi();
    uint64_t end = mtime();
    csr_clear(mstatus, MSTATUS_MIE);
    check(ticks == TICKS && early_ticks == 0, "clint %d machine timer interrupts, none early",
          TICKS);
    check(end - start >= (uint64_t)TICKS * INTERVAL, "clint mtime advanced across the ticks");

    /* Software interrupt to self through msip. */
    mmio_w32(CLINT_MSIP(0), 0xffffffffu);
    uint32_t msip = mmio_r32(CLINT_MSIP(0));
    int sip = (csr_read(mip) >> IRQ_M_SOFT) & 1;
    check(msip == 1 && sip, "clint msip reads 1, mip.MSIP set (msip=%x)", msip);
    csr_write(mie, 1UL << IRQ_M_SOFT);
    csr_set(mstatus, MSTATUS_MIE);
    SPIN_UNTIL(soft_irqs > 0, 1000000UL);
    csr_clear(mstatus, MSTATUS_MIE);
    check(soft_irqs == 1 && mmio_r32(CLINT_MSIP(0)) == 0 && !(csr_read(mip) & (1UL << IRQ_M_SOFT)),
          "clint machine software interrupt taken and cleared");
    csr_write(mie, 0);
    finish();
}
