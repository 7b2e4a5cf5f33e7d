/*
 * Support for the bare-metal boot test kernels: CSR access, MMIO, the QEMU
 * virt memory map, console output, exit through the syscon, traps.
 *
 * Each kernel reports "ok <what>" for every check that held and
 * "not ok <what>: <detail>" for one that did not, then powers off with
 * status 0 (all held) or a non-zero failure code. The harness
 * (run-baremetal.sh) turns the transcript and the exit status into
 * PASS:/FAIL: lines.
 */
#ifndef BM_H
#define BM_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* QEMU virt memory map (see shared/ARCHITECTURE.md). */
#define SYSCON_BASE 0x00100000UL
#define RTC_BASE 0x00101000UL
#define CLINT_BASE 0x02000000UL
#define PLIC_BASE 0x0c000000UL
#define UART_BASE 0x10000000UL
#define VIRTIO_BASE 0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define VIRTIO_SLOTS 8
#define UART_IRQ 10
#define RTC_IRQ 11
#define VIRTIO_IRQ(slot) (1 + (slot))
#define TIMEBASE_HZ 10000000UL

/* CLINT (SiFive): msip per hart, mtimecmp per hart, one mtime. */
#define CLINT_MSIP(h) (CLINT_BASE + 4UL * (h))
#define CLINT_MTIMECMP(h) (CLINT_BASE + 0x4000UL + 8UL * (h))
#define CLINT_MTIME (CLINT_BASE + 0xbff8UL)

/* PLIC (SiFive): context 2h = hart h M mode, 2h+1 = hart h S mode. */
#define PLIC_PRIORITY(src) (PLIC_BASE + 4UL * (src))
#define PLIC_PENDING(src) (PLIC_BASE + 0x1000UL + 4UL * ((src) / 32))
#define PLIC_ENABLE(ctx, src) (PLIC_BASE + 0x2000UL + 0x80UL * (ctx) + 4UL * ((src) / 32))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000UL + 0x1000UL * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)
#define PLIC_CTX_M(h) (2 * (h))
#define PLIC_CTX_S(h) (2 * (h) + 1)

/* 16550A registers (byte offsets, DLAB = 0 unless noted). */
#define UART_RBR 0 /* read: receive buffer; write: THR */
#define UART_THR 0
#define UART_DLL 0 /* DLAB = 1 */
#define UART_IER 1
#define UART_DLM 1 /* DLAB = 1 */
#define UART_IIR 2 /* read */
#define UART_FCR 2 /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7
#define IER_ERBFI 0x01
#define IER_ETBEI 0x02
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

/* Causes (privileged spec §3.1.15, table 3.6). */
#define CAUSE_INT (1UL << 63)
#define IRQ_S_SOFT 1
#define IRQ_M_SOFT 3
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define IRQ_M_EXT 11
#define EXC_ECALL_U 8
#define EXC_ECALL_S 9
#define EXC_ECALL_M 11

#define MSTATUS_SIE (1UL << 1)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_SPIE (1UL << 5)
#define MSTATUS_MPIE (1UL << 7)
#define MSTATUS_SPP (1UL << 8)
#define MSTATUS_MPP_MASK (3UL << 11)
#define MSTATUS_MPP_S (1UL << 11)

#define CSR_STIMECMP 0x14d
#define CSR_MENVCFG 0x30a
#define MENVCFG_STCE (1UL << 63)

#define STR_(x) #x
#define STR(x) STR_(x)
#define csr_read(csr)                                                                              \
    ({                                                                                             \
        unsigned long v_;                                                                          \
        __asm__ volatile("csrr %0, " STR(csr) : "=r"(v_));                                         \
        v_;                                                                                        \
    })
#define csr_write(csr, val) __asm__ volatile("csrw " STR(csr) ", %0" ::"rK"(val) : "memory")
#define csr_set(csr, val) __asm__ volatile("csrs " STR(csr) ", %0" ::"rK"(val) : "memory")
#define csr_clear(csr, val) __asm__ volatile("csrc " STR(csr) ", %0" ::"rK"(val) : "memory")

static inline uint8_t mmio_r8(unsigned long a)
{
    return *(volatile uint8_t *)a;
}
static inline void mmio_w8(unsigned long a, uint8_t v)
{
    *(volatile uint8_t *)a = v;
}
static inline uint32_t mmio_r32(unsigned long a)
{
    return *(volatile uint32_t *)a;
}
static inline void mmio_w32(unsigned long a, uint32_t v)
{
    *(volatile uint32_t *)a = v;
}
static inline uint64_t mmio_r64(unsigned long a)
{
    return *(volatile uint64_t *)a;
}
static inline void mmio_w64(unsigned long a, uint64_t v)
{
    *(volatile uint64_t *)a = v;
}
static inline uint8_t uart_reg(int r)
{
    return mmio_r8(UART_BASE + r);
}
static inline void uart_set(int r, uint8_t v)
{
    mmio_w8(UART_BASE + r, v);
}
static inline void fence(void)
{
    __asm__ volatile("fence rw, rw" ::: "memory");
}
static inline void wfi(void)
{
    __asm__ volatile("wfi" ::: "memory");
}

/* Registers saved by the trap vectors in crt0.S, in this order. */
struct trap_frame {
    unsigned long ra, sp, gp, tp, t0, t1, t2, s0, s1, a0, a1, a2, a3, a4, a5, a6, a7, s2, s3, s4,
        s5, s6, s7, s8, s9, s10, s11, t3, t4, t5, t6;
};

/* Trap entry points in crt0.S; they call m_trap()/s_trap() (weak defaults
 * report the trap and fail). */
void trap_vector_m(void);
void trap_vector_s(void);
/* S-mode kernels: where SBI HSM hart_start sends the other harts. */
void secondary_entry(void);
void m_trap(struct trap_frame *f);
void s_trap(struct trap_frame *f);

/* Entry for hart 0 (from crt0.S) and for the others (weak default: park). */
int main(unsigned long hartid, unsigned long dtb);
void secondary_main(unsigned long hartid, unsigned long dtb);

/* Console through the 16550 by polling LSR.THRE. Safe from any hart as long
 * as callers do not interleave lines. */
void putc_raw(char c);
void puts_raw(const char *s);
void bm_printf(const char *fmt, ...);
void bm_vprintf(const char *fmt, va_list ap);

/* Checks: ok()/not_ok() print the line; check() picks one. not_ok() counts
 * failures so finish() can set the exit code. */
void ok(const char *fmt, ...);
void not_ok(const char *fmt, ...);
int check(unsigned long cond, const char *fmt, ...);
int failures(void);
/* Powers off: status 0 when every check held, otherwise code 1 (or the
 * number of failures, capped). Never returns. */
__attribute__((noreturn)) void finish(void);
/* Powers off through the sifive,test syscon with the given status. */
__attribute__((noreturn)) void syscon_exit(unsigned code);
/* Reports a fatal condition and exits with code 99. */
__attribute__((noreturn)) void die(const char *fmt, ...);

/* Device tree: number of /cpus/cpu@N nodes, or -1 if the blob is invalid. */
int fdt_count_cpus(unsigned long dtb);
/* Device tree: bit n set for each virtio_mmio@ node at slot n. Only those
 * slots are probed (a board may leave unused slots unmapped). */
unsigned fdt_virtio_slots(unsigned long dtb);

/* Time from the CLINT (M mode) or the time CSR. */
static inline uint64_t mtime(void)
{
    return mmio_r64(CLINT_MTIME);
}
static inline uint64_t rdtime(void)
{
    uint64_t t;
    __asm__ volatile("rdtime %0" : "=r"(t));
    return t;
}

/* Spins until cond() is true or n polls pass; returns the last cond(). A
 * poll budget, not a timer, so a VM with a stopped clock still ends. */
#define SPIN_UNTIL(cond, n)                                                                        \
    ({                                                                                             \
        unsigned long i_ = 0;                                                                      \
        while (!(cond) && i_ < (n))                                                                \
            i_++;                                                                                  \
        (cond);                                                                                    \
    })

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
