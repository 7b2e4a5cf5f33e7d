/*
 * An S-mode kernel behind OpenSBI (Debian's fw_jump, which jumps to
 * 0x80200000 with a0 = hartid, a1 = DTB). Uses the SBI as Linux does:
 * legacy console putchar, the base extension, TIME set_timer, IPI
 * send_ipi, RFENCE, HSM hart_get_status/hart_start/hart_stop, and ends
 * with SRST system_reset (shutdown), which OpenSBI turns into the syscon
 * write that powers off with status 0.
 * RISC-V SBI specification v1.0: §3 (binary encoding), §4 base, §5 legacy,
 * §6 TIME, §7 IPI, §8 RFENCE, §9 HSM, §10 SRST; v2.0 §12 DBCN.
 */
#include "bm.h"

#define EXT_LEGACY_PUTCHAR 0x01
#define EXT_BASE 0x10
#define EXT_TIME 0x54494d45
#define EXT_IPI 0x735049
#define EXT_RFENCE 0x52464e43
#define EXT_HSM 0x48534d
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434e

#define HSM_STARTED 0
#define HSM_STOPPED 1
#define TICKS 3
#define INTERVAL (TIMEBASE_HZ / 1000)
#define MAGIC 0x5eed1234UL

struct sbiret {
    long error;
    long value;
};

static struct sbiret sbi_call(unsigned long ext, unsigned long fid, unsigned long a0,
                              unsigned long a1, unsigned long a2)
{
    register unsigned long r0 __asm__("a0") = a0;
    register unsigned long r1 __asm__("a1") = a1;
    register unsigned long r2 __asm__("a2") = a2;
    register unsigned long r6 __asm__("a6") = fid;
    register unsigned long r7 __asm__("a7") = ext;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){(long)r0, (long)r1};
}

static void sbi_puts(const char *s)
{
    for (; *s; s++)
        sbi_call(EXT_LEGACY_PUTCHAR, 0, (unsigned char)*s, 0, 0);
}

static volatile unsigned timer_irqs, soft_irqs, early;
static volatile unsigned long started[8];
static volatile uint64_t deadline;

void s_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(scause);
    if (cause == (CAUSE_INT | IRQ_S_TIMER)) {
        if (rdtime() < deadline)
            early++;
        timer_irqs++;
        deadline = timer_irqs < TICKS ? rdtime() + INTERVAL : ~0ULL;
        /* set_timer also clears the pending timer interrupt (SBI §6.1). */
        sbi_call(EXT_TIME, 0, deadline, 0, 0);
    } else if (cause == (CAUSE_INT | IRQ_S_SOFT)) {
        soft_irqs++;
        csr_clear(sip, 1UL << IRQ_S_SOFT);
    } else {
        die("sbi unexpected S trap scause=%lx sepc=%lx stval=%lx", cause, csr_read(sepc),
            csr_read(stval));
    }
}

/* Harts started with HSM hart_start arrive here (crt0.S secondary_entry)
 * with a1 = the opaque value, record it and stop themselves again. */
void secondary_main(unsigned long hartid, unsigned long opaque)
{
    started[hartid] = opaque;
    fence();
    sbi_call(EXT_HSM, 1, 0, 0, 0); /* hart_stop: does not return */
    for (;;)
        wfi();
}

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

static long hart_status(unsigned long h)
{
    struct sbiret r = sbi_call(EXT_HSM, 2, h, 0, 0);
    return r.error ? -1 : r.value;
}

int main(unsigned long hartid, unsigned long dtb)
{
    sbi_puts("sbi test\nok sbi console putchar\n");
    ok("sbi kernel started on hart %lu", hartid);

    struct sbiret r = sbi_call(EXT_BASE, 0, 0, 0, 0);
    unsigned long major = ((unsigned long)r.value >> 24) & 0x7f, minor = r.value & 0xffffff;
    check(r.error == 0 && major >= 1, "sbi spec version %lu.%lu", major, minor);
    r = sbi_call(EXT_BASE, 1, 0, 0, 0);
    check(r.error == 0 && r.value == 1, "sbi implementation id %ld (1 = OpenSBI)", r.value);
    r = sbi_call(EXT_BASE, 2, 0, 0, 0);
    ok("sbi implementation version %lx", (unsigned long)r.value);
    static const struct {
        unsigned long id;
        const char *name;
    } exts[] = {{EXT_TIME, "TIME"},
                {EXT_IPI, "IPI"},
                {EXT_RFENCE, "RFENCE"},
                {EXT_HSM, "HSM"},
                {EXT_SRST, "SRST"}};
    for (unsigned i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
        r = sbi_call(EXT_BASE, 3, exts[i].id, 0, 0);
        check(r.error == 0 && r.value != 0, "sbi probe %s", exts[i].name);
    }
    r = sbi_call(EXT_BASE, 3, 0x12345678, 0, 0);
    check(r.error == 0 && r.value == 0, "sbi probe of an unknown extension says absent");
    r = sbi_call(EXT_BASE, 3, EXT_DBCN, 0, 0);
    if (r.error == 0 && r.value != 0) {
        static const char msg[] = "ok sbi dbcn write\n";
        r = sbi_call(EXT_DBCN, 0, sizeof(msg) - 1, (unsigned long)msg, 0);
        check(r.error == 0, "sbi dbcn console_write status");
    }

    /* TIME: set_timer -> supervisor timer interrupts. */
    csr_write(sie, (1UL << IRQ_S_TIMER) | (1UL << IRQ_S_SOFT));
    csr_set(sstatus, MSTATUS_SIE);
    deadline = rdtime() + INTERVAL;
    sbi_call(EXT_TIME, 0, deadline, 0, 0);
    s_wait(&timer_irqs, TICKS);
    check(timer_irqs == TICKS && early == 0, "sbi set_timer: %d supervisor timer interrupts",
          TICKS);

    /* IPI to self -> supervisor software interrupt. */
    r = sbi_call(EXT_IPI, 0, 1, hartid, 0);
    s_wait(&soft_irqs, 1);
    check(r.error == 0 && soft_irqs == 1, "sbi send_ipi to self");

    r = sbi_call(EXT_RFENCE, 0, 1, hartid, 0);
    check(r.error == 0, "sbi remote_fence_i");
    r = sbi_call(EXT_RFENCE, 1, 1, hartid, 0);
    check(r.error == 0, "sbi remote_sfence_vma");

    /* HSM: this hart runs; the others wait stopped until hart_start. */
    check(hart_status(hartid) == HSM_STARTED, "sbi hsm hart_get_status self started");
    int n = fdt_count_cpus(dtb);
    check(n >= 1, "sbi device tree lists %d harts", n);
    int started_ok = n > 1;
    for (int h = 0; h < n && h < 8; h++) {
        if ((unsigned long)h == hartid)
            continue;
        long st0 = hart_status(h);
        r = sbi_call(EXT_HSM, 0, h, (unsigned long)secondary_entry, MAGIC + h);
        int ran = SPIN_UNTIL(started[h] == MAGIC + h, 400000000UL);
        int stopped = SPIN_UNTIL(hart_status(h) == HSM_STOPPED, 400000000UL);
        if (!check(st0 == HSM_STOPPED && r.error == 0 && ran && stopped,
                   "sbi hsm hart %d: stopped, started, ran, stopped again (%ld %ld %d %d)", h, st0,
                   r.error, ran, stopped))
            started_ok = 0;
    }
    if (started_ok)
        ok("sbi hsm hart_start");

    if (failures())
        finish();
    ok("sbi done");
    r = sbi_call(EXT_SRST, 0, 0, 0, 0); /* shutdown, no reason */
    not_ok("sbi system_reset returned (error %ld)", r.error);
    finish();
}
