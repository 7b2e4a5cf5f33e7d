/* randio: random 4 KiB I/O inside a Linux guest, for bench-disk. A static
 * riscv64 Linux program with no C library (raw system calls), small enough
 * to type into a guest's console as base64.
 *
 *   randio FILE OPS MODE     MODE: r  = reads
 *                                  w  = writes, each followed by fdatasync
 *                                  wb = writes, one fdatasync at the end
 *
 * FILE is opened with O_DIRECT, so every operation reaches the disk (no
 * guest page cache); offsets are random 4 KiB blocks within its size. Prints
 * "randio MODE OPS ops USECS us IOPS iops". */
#include <stddef.h>
#include <stdint.h>

enum {
    SYS_openat = 56,
    SYS_close = 57,
    SYS_lseek = 62,
    SYS_write = 64,
    SYS_pread64 = 67,
    SYS_pwrite64 = 68,
    SYS_fdatasync = 83,
    SYS_exit = 93,
    SYS_clock_gettime = 113,
    AT_FDCWD = -100,
    O_RDWR = 2,
    O_DIRECT = 040000,
    SEEK_END = 2,
    CLOCK_MONOTONIC = 1,
    BLOCK = 4096,
};

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static long sys4(long n, long a, long b, long c, long d)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a3), "r"(a7) : "memory");
    return a0;
}

static size_t len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void put(const char *s)
{
    sys3(SYS_write, 1, (long)s, (long)len(s));
}

static void put_num(uint64_t v)
{
    char b[24];
    int i = 23;
    b[i] = 0;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b + i);
}

static uint64_t parse(const char *s)
{
    uint64_t v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (uint64_t)(*s++ - '0');
    return v;
}

static int eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

static uint64_t now_us(void)
{
    struct {
        long sec, nsec;
    } ts;
    sys3(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&ts, 0);
    return (uint64_t)ts.sec * 1000000u + (uint64_t)ts.nsec / 1000u;
}

static void fail(const char *what)
{
    put("randio: ");
    put(what);
    put("\n");
    sys3(SYS_exit, 1, 0, 0);
}

static void run(int argc, char **argv)
{
    if (argc != 4)
        fail("usage: randio FILE OPS r|w|wb");
    const char *mode = argv[3];
    int reads = eq(mode, "r"), sync_each = eq(mode, "w"), sync_end = eq(mode, "wb");
    if (!reads && !sync_each && !sync_end)
        fail("MODE is r, w or wb");
    _Alignas(BLOCK) uint8_t buf[BLOCK]; /* O_DIRECT: block-aligned */
    uint64_t ops = parse(argv[2]);
    long fd = sys4(SYS_openat, AT_FDCWD, (long)argv[1], O_RDWR | O_DIRECT, 0);
    if (fd < 0)
        fail("cannot open FILE with O_DIRECT");
    long size = sys3(SYS_lseek, fd, 0, SEEK_END);
    uint64_t blocks = size > 0 ? (uint64_t)size / BLOCK : 0;
    if (!blocks || !ops)
        fail("FILE is empty, or OPS is 0");
    for (int i = 0; i < BLOCK; i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    uint64_t x = 0x9e3779b97f4a7c15u ^ (now_us() | 1);
    uint64_t t0 = now_us();
    for (uint64_t i = 0; i < ops; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        long off = (long)((x % blocks) * BLOCK);
        long n = reads ? sys4(SYS_pread64, fd, (long)buf, BLOCK, off)
                       : sys4(SYS_pwrite64, fd, (long)buf, BLOCK, off);
        if (n != BLOCK)
            fail(reads ? "read failed" : "write failed");
        if (sync_each && sys3(SYS_fdatasync, fd, 0, 0) != 0)
            fail("fdatasync failed");
    }
    if (sync_end && sys3(SYS_fdatasync, fd, 0, 0) != 0)
        fail("fdatasync failed");
    uint64_t us = now_us() - t0;
    sys3(SYS_close, fd, 0, 0);
    put("randio ");
    put(mode);
    put(" ");
    put_num(ops);
    put(" ops ");
    put_num(us);
    put(" us ");
    put_num(us ? ops * 1000000u / us : 0);
    put(" iops\n");
}

/* The kernel enters here with sp at argc, then argv[]. */
__attribute__((used)) static void start_c(long *sp)
{
    run((int)sp[0], (char **)(sp + 1));
    sys3(SYS_exit, 0, 0, 0);
}

__asm__(".globl _start\n"
        "_start:\n"
        "  mv a0, sp\n"
        "  andi sp, sp, -16\n"
        "  call start_c\n");
