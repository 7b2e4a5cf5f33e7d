/*
 * Support for the bare-metal boot test kernels (see bm.h): console, checks,
 * syscon exit, default trap handlers, a minimal device-tree walk.
 */
#include "bm.h"

static int nfail;

/* sifive,test finisher: 0x5555 = pass (status 0), (code << 16) | 0x3333 =
 * fail with status code. */
#define SYSCON_PASS 0x5555u
#define SYSCON_FAIL 0x3333u

void putc_raw(char c)
{
    /* Bounded wait: a UART that never reports THRE must not hang the run
     * forever; the harness timeout would still catch it, later. */
    for (unsigned long i = 0; i < 10000000UL; i++)
        if (uart_reg(UART_LSR) & LSR_THRE)
            break;
    uart_set(UART_THR, (uint8_t)c);
}

void puts_raw(const char *s)
{
    while (*s)
        putc_raw(*s++);
}

static void put_unsigned(unsigned long v, unsigned base, int width, char pad)
{
    char buf[24];
    int n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n < width--)
        putc_raw(pad);
    while (n)
        putc_raw(buf[--n]);
}

/* Supports %s %c %d %u %x %lu %ld %lx %p %%, with an optional 0 flag and
 * width: enough for test reports. */
void bm_vprintf(const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            putc_raw(*fmt);
            continue;
        }
        fmt++;
        char pad = ' ';
        int width = 0, is_long = 0;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (*fmt++ - '0');
        if (*fmt == 'l') {
            is_long = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's': puts_raw(va_arg(ap, const char *)); break;
        case 'c': putc_raw((char)va_arg(ap, int)); break;
        case 'd': {
            long v = is_long ? va_arg(ap, long) : va_arg(ap, int);
            if (v < 0) {
                putc_raw('-');
                v = -v;
            }
            put_unsigned((unsigned long)v, 10, width, pad);
            break;
        }
        case 'u':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 10, width,
                         pad);
            break;
        case 'x':
            put_unsigned(is_long ? va_arg(ap, unsigned long) : va_arg(ap, unsigned), 16, width,
                         pad);
            break;
        case 'p':
            puts_raw("0x");
            put_unsigned((unsigned long)va_arg(ap, void *), 16, width, pad);
            break;
        case '%': putc_raw('%'); break;
        default: putc_raw('?'); break;
        }
    }
}

void bm_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bm_vprintf(fmt, ap);
    va_end(ap);
}

void ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    puts_raw("ok ");
    bm_vprintf(fmt, ap);
    putc_raw('\n');
    va_end(ap);
}

static void vnot_ok(const char *fmt, va_list ap)
{
    nfail++;
    puts_raw("not ok ");
    bm_vprintf(fmt, ap);
    putc_raw('\n');
}

void not_ok(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnot_ok(fmt, ap);
    va_end(ap);
}

int check(unsigned long cond, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (cond) {
        puts_raw("ok ");
        bm_vprintf(fmt, ap);
        putc_raw('\n');
    } else {
        vnot_ok(fmt, ap);
    }
    va_end(ap);
    return cond;
}

int failures(void)
{
    return nfail;
}

void syscon_exit(unsigned code)
{
    fence();
    if (code == 0)
        mmio_w32(SYSCON_BASE, SYSCON_PASS);
    else
        mmio_w32(SYSCON_BASE, (code << 16) | SYSCON_FAIL);
    /* The write should end the run; if it did not, say so and stop here. */
    puts_raw("not ok syscon did not power off\n");
    for (;;)
        wfi();
}

void finish(void)
{
    syscon_exit(nfail == 0 ? 0 : (nfail < 40 ? (unsigned)nfail : 40));
}

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnot_ok(fmt, ap);
    va_end(ap);
    syscon_exit(99);
}

__attribute__((weak)) void m_trap(struct trap_frame *f)
{
    (void)f;
    die("unexpected M trap mcause=%lx mepc=%lx mtval=%lx", csr_read(mcause), csr_read(mepc),
        csr_read(mtval));
}

__attribute__((weak)) void s_trap(struct trap_frame *f)
{
    (void)f;
    die("unexpected S trap scause=%lx sepc=%lx stval=%lx", csr_read(scause), csr_read(sepc),
        csr_read(stval));
}

__attribute__((weak)) void secondary_main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    for (;;)
        wfi();
}

/* Devicetree spec v0.4 §5: header fields are big-endian 32-bit words. */
static uint32_t be32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Walks the structure block, calling visit(name, depth, ctx) for each node
 * (Devicetree spec v0.4 §5.4). Returns -1 if the blob is not a DTB. */
static int fdt_walk(unsigned long dtb, void (*visit)(const char *name, int depth, void *ctx),
                    void *ctx)
{
    const uint8_t *fdt = (const uint8_t *)dtb;
    if (dtb == 0 || be32(fdt) != 0xd00dfeedu)
        return -1;
    const uint8_t *p = fdt + be32(fdt + 8);  /* off_dt_struct */
    const uint8_t *end = p + be32(fdt + 36); /* size_dt_struct */
    int depth = 0;
    while (p < end) {
        uint32_t tok = be32(p);
        p += 4;
        if (tok == 1) { /* FDT_BEGIN_NODE: name, NUL, pad to 4 */
            const char *name = (const char *)p;
            depth++;
            visit(name, depth, ctx);
            p += (strlen(name) + 4) & ~3UL;
        } else if (tok == 2) { /* FDT_END_NODE */
            depth--;
        } else if (tok == 3) { /* FDT_PROP: len, nameoff, value */
            uint32_t len = be32(p);
            p += 8 + ((len + 3) & ~3UL);
        } else if (tok != 4) { /* not FDT_NOP: FDT_END or garbage */
            break;
        }
    }
    return 0;
}

struct cpu_count {
    int in_cpus, count;
};

static void count_cpu(const char *name, int depth, void *ctx)
{
    struct cpu_count *c = ctx;
    /* /cpus is at depth 2 (the root is 1); its cpu@N children at 3. */
    if (depth == 2)
        c->in_cpus = memcmp(name, "cpus", 5) == 0;
    else if (depth == 3 && c->in_cpus && memcmp(name, "cpu@", 4) == 0)
        c->count++;
}

int fdt_count_cpus(unsigned long dtb)
{
    struct cpu_count c = {0, 0};
    return fdt_walk(dtb, count_cpu, &c) < 0 ? -1 : c.count;
}

static void find_virtio(const char *name, int depth, void *ctx)
{
    unsigned *mask = ctx;
    (void)depth;
    if (memcmp(name, "virtio_mmio@", 12) != 0)
        return;
    unsigned long addr = 0;
    for (const char *q = name + 12; *q; q++) {
        int d = *q >= '0' && *q <= '9' ? *q - '0' : *q >= 'a' && *q <= 'f' ? *q - 'a' + 10 : -1;
        if (d < 0)
            return;
        addr = addr * 16 + (unsigned long)d;
    }
    if (addr >= VIRTIO_BASE && addr < VIRTIO_BASE + VIRTIO_SLOTS * VIRTIO_STRIDE &&
        (addr - VIRTIO_BASE) % VIRTIO_STRIDE == 0)
        *mask |= 1u << ((addr - VIRTIO_BASE) / VIRTIO_STRIDE);
}

unsigned fdt_virtio_slots(unsigned long dtb)
{
    unsigned mask = 0;
    fdt_walk(dtb, find_virtio, &mask);
    return mask;
}

void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *p = d;
    const uint8_t *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *p = a, *q = b;
    for (; n; n--, p++, q++)
        if (*p != *q)
            return *p < *q ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}
