/* A hart on a hand-built bus, without the board: RAM at 0x8000_0000, one
 * "device" window at 0x1000_0000 whose accesses are recorded, and nothing
 * anywhere else (so an access there is an access fault). Shared by the
 * tests/unit/test_{decode,mmu,pmp,exec}.c programs; header-only so each test
 * is one translation unit. Also instruction encoders (unprivileged ISA
 * chapter 24 formats) for the small programs the tests run: a program is
 * poked into RAM, registers are set directly, hart_run() executes it and
 * the test reads the state back (a parking loop "j ." ends each one). */
#ifndef CPU_HARNESS_H
#define CPU_HARNESS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/hart.h"
#include "cpu/jit.h"
#include "cpu/ops.h"

#define RAM_BASE 0x80000000ull
#define DEV_BASE 0x10000000ull
#define DEV_SIZE 0x1000ull

typedef struct mmio_rec {
    uint64_t pa, val;
    unsigned len;
    bool write;
} mmio_rec;

typedef struct cpu_env {
    rv_bus bus;
    rv_hart hart;
    uint8_t *ram;
    uint64_t ram_size;
    uint64_t mtime;
    mmio_rec log[64];
    int nlog;
} cpu_env;

static int g_pass, g_fail;
static const char *g_label = ""; /* "san." for the sanitizer build */
/* CPU_TEST_JIT=1: every machine gets the translator (vm/cpu/jit.h), so
 * the same checks run on translated code; labels get "jit.". */
static bool g_jit;
static size_t g_jit_size = 4u << 20;

/* Call first in main: the sanitizer build lives under .../san/ and labels
 * its lines, so the two runs of one check have different names. */
static inline void harness_init(const char *argv0)
{
    bool san = strstr(argv0, "/san/") != NULL;
    const char *j = getenv("CPU_TEST_JIT");
    g_jit = j && *j == '1';
    g_label = san ? (g_jit ? "san.jit." : "san.") : (g_jit ? "jit." : "");
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void *harness_exec_alloc(void *opaque, size_t len)
{
    (void)opaque;
    void *p =
        mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static inline void harness_exec_free(void *opaque, void *p, size_t len)
{
    (void)opaque;
    munmap(p, len);
}

/* One check, one line: PASS: name / FAIL: name (why). */
static inline void check(bool ok, const char *name, const char *fmt, ...)
{
    if (ok) {
        printf("PASS: %s%s\n", g_label, name);
        g_pass++;
        return;
    }
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    printf("FAIL: %s%s (%s)\n", g_label, name, why);
    g_fail++;
}

static inline bool env_mmio_read(void *ctx, uint64_t pa, unsigned len, uint64_t *val)
{
    cpu_env *e = ctx;
    if (pa < DEV_BASE || pa - DEV_BASE >= DEV_SIZE)
        return false;
    if (e->nlog < 64)
        e->log[e->nlog++] = (mmio_rec){pa, 0, len, false};
    *val = 0x5a5a5a5a5a5a5a5aull & (len == 8 ? ~0ull : ((1ull << (8 * len)) - 1));
    return true;
}

static inline bool env_mmio_write(void *ctx, uint64_t pa, unsigned len, uint64_t val)
{
    cpu_env *e = ctx;
    if (pa < DEV_BASE || pa - DEV_BASE >= DEV_SIZE)
        return false;
    if (e->nlog < 64)
        e->log[e->nlog++] = (mmio_rec){pa, val, len, true};
    return true;
}

static inline uint64_t env_mtime(void *ctx)
{
    return ((cpu_env *)ctx)->mtime;
}

/* A fresh machine: RAM zeroed, hart in M mode at RAM_BASE, mtvec at
 * RAM_BASE + 0x800 unless the test moves it. ndpages limits the decoded-page
 * pool (0 = the library default). */
static inline cpu_env *env_new(uint64_t ram_size, uint32_t ndpages)
{
    cpu_env *e = calloc(1, sizeof(*e));
    if (!e)
        abort();
    e->ram = calloc(1, ram_size);
    if (!e->ram)
        abort();
    e->ram_size = ram_size;
    if (!bus_init(&e->bus, e->ram, RAM_BASE, ram_size))
        abort();
    if (ndpages)
        e->bus.ndpages = ndpages;
    e->bus.ctx = e;
    e->bus.mmio_read = env_mmio_read;
    e->bus.mmio_write = env_mmio_write;
    e->bus.mtime = env_mtime;
    e->bus.harts[0] = &e->hart;
    e->bus.nharts = 1;
    hart_init(&e->hart, &e->bus, 0);
    e->hart.pc = RAM_BASE;
    e->hart.mtvec = RAM_BASE + 0x800;
    /* As firmware does: PMP entry 15 opens all memory to S and U (with
     * every entry OFF, S/U accesses fail, privileged spec 3.7.1). Tests of
     * PMP itself clear it with env_pmp_off(). */
    csr_write(&e->hart, CSR_PMPADDR0 + 15, ~0ull);
    csr_write(&e->hart, CSR_PMPCFG0 + 2, 0x1full << 56);
    if (g_jit) {
        rv_jit_mem m = {NULL, harness_exec_alloc, harness_exec_free};
        e->bus.jit = jit_create(&m, g_jit_size);
        if (!e->bus.jit) {
            fprintf(stderr, "CPU_TEST_JIT=1 but no translator on this host\n");
            abort();
        }
    }
    return e;
}

static inline void env_pmp_off(cpu_env *e)
{
    csr_write(&e->hart, CSR_PMPCFG0 + 2, 0);
    csr_write(&e->hart, CSR_PMPADDR0 + 15, 0);
}

static inline void env_free(cpu_env *e)
{
    jit_destroy(e->bus.jit);
    bus_free(&e->bus);
    free(e->ram);
    free(e);
}

/* Guest-physical RAM access from the host side (host writes go through
 * bus_invalidate_range, as a DMA would). */
static inline uint8_t *ram_ptr(cpu_env *e, uint64_t pa)
{
    if (pa < RAM_BASE || pa - RAM_BASE >= e->ram_size)
        abort();
    return e->ram + (pa - RAM_BASE);
}

static inline void poke32(cpu_env *e, uint64_t pa, uint32_t v)
{
    memcpy(ram_ptr(e, pa), &v, 4);
    bus_invalidate_range(&e->bus, pa, 4);
}

static inline void poke16(cpu_env *e, uint64_t pa, uint16_t v)
{
    memcpy(ram_ptr(e, pa), &v, 2);
    bus_invalidate_range(&e->bus, pa, 2);
}

static inline void poke64(cpu_env *e, uint64_t pa, uint64_t v)
{
    memcpy(ram_ptr(e, pa), &v, 8);
    bus_invalidate_range(&e->bus, pa, 8);
}

static inline uint64_t peek64(cpu_env *e, uint64_t pa)
{
    uint64_t v;
    memcpy(&v, ram_ptr(e, pa), 8);
    return v;
}

static inline uint32_t peek32(cpu_env *e, uint64_t pa)
{
    uint32_t v;
    memcpy(&v, ram_ptr(e, pa), 4);
    return v;
}

/* Writes a program of 32-bit words at pa. */
static inline void load_prog(cpu_env *e, uint64_t pa, const uint32_t *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        poke32(e, pa + 4 * i, w[i]);
}

static inline void set_priv(cpu_env *e, int priv)
{
    e->hart.priv = priv;
    hart_update_ctx(&e->hart);
}

/* ---- encoders (unprivileged ISA chapter 24) ---- */
enum {
    R_ZERO = 0,
    R_RA = 1,
    R_SP = 2,
    R_T0 = 5,
    R_T1 = 6,
    R_T2 = 7,
    R_S0 = 8,
    R_S1 = 9,
    R_A0 = 10,
    R_A1 = 11,
    R_A2 = 12,
    R_A3 = 13,
    R_A4 = 14,
    R_A5 = 15,
};

static inline uint32_t e_i(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static inline uint32_t e_s(uint32_t opc, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | opc;
}

static inline uint32_t e_r(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
                           uint32_t f7)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static inline uint32_t e_u(uint32_t opc, uint32_t rd, uint32_t imm20)
{
    return imm20 << 12 | rd << 7 | opc;
}

static inline uint32_t e_jal(uint32_t rd, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | rd << 7 | 0x6f;
}

static inline uint32_t e_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | 0x63;
}

#define ADDI(rd, rs1, imm) e_i(0x13, rd, 0, rs1, imm)
#define LB(rd, rs1, imm) e_i(0x03, rd, 0, rs1, imm)
#define LH(rd, rs1, imm) e_i(0x03, rd, 1, rs1, imm)
#define LW(rd, rs1, imm) e_i(0x03, rd, 2, rs1, imm)
#define LD(rd, rs1, imm) e_i(0x03, rd, 3, rs1, imm)
#define SB(rs2, rs1, imm) e_s(0x23, 0, rs1, rs2, imm)
#define SW(rs2, rs1, imm) e_s(0x23, 2, rs1, rs2, imm)
#define SD(rs2, rs1, imm) e_s(0x23, 3, rs1, rs2, imm)
#define LUI(rd, imm20) e_u(0x37, rd, imm20)
#define AUIPC(rd, imm20) e_u(0x17, rd, imm20)
#define JAL(rd, imm) e_jal(rd, imm)
#define JALR(rd, rs1, imm) e_i(0x67, rd, 0, rs1, imm)
#define BEQ(a, b, imm) e_b(0, a, b, imm)
#define BNE(a, b, imm) e_b(1, a, b, imm)
#define ADD(rd, a, b) e_r(0x33, rd, 0, a, b, 0)
#define SLLI(rd, rs1, sh) e_i(0x13, rd, 1, rs1, sh)
#define AMOADD_W(rd, rs1, rs2) e_r(0x2f, rd, 2, rs1, rs2, 0x00 << 2)
#define AMOADD_D(rd, rs1, rs2) e_r(0x2f, rd, 3, rs1, rs2, 0x00 << 2)
#define LR_D(rd, rs1) e_r(0x2f, rd, 3, rs1, 0, 0x02 << 2)
#define SC_D(rd, rs1, rs2) e_r(0x2f, rd, 3, rs1, rs2, 0x03 << 2)
#define CSRRW(rd, csr, rs1) e_i(0x73, rd, 1, rs1, (int32_t)(csr))
#define CSRRS(rd, csr, rs1) e_i(0x73, rd, 2, rs1, (int32_t)(csr))
#define ECALL 0x00000073u
#define EBREAK 0x00100073u
#define MRET 0x30200073u
#define SRET 0x10200073u
#define FENCE_I 0x0000100fu
#define SFENCE_VMA(rs1, rs2) e_r(0x73, 0, 0, rs1, rs2, 0x09)
#define J_SELF JAL(0, 0) /* "j ." : a parking loop */
#define NOP ADDI(0, 0, 0)

static inline int finish(void)
{
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}

#endif
