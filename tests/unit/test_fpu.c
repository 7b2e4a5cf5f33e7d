/* Tests for vm/cpu/fpu.c.
 *
 * Oracle: the host's x86-64 SSE arithmetic, driven through <fenv.h> for the
 * rounding mode and MXCSR for the flags (host FP state is touched here
 * only; the FPU's integer paths never use host floating point, and its
 * optional RNE shortcut is also checked under FTZ/DAZ). Where RISC-V and
 * x86 differ the host answer is mapped: any NaN result must be the
 * canonical NaN, fma(inf, 0, qNaN) must raise NV, out-of-range
 * conversions use the RISC-V saturation table computed from rint(). RMM,
 * which the host lacks, is checked by hand vectors and by "RMM equals RNE
 * except on an exact tie" with the exact error term from TwoSum/fma.
 * Everything is seeded and deterministic.
 *
 * usage: test_fpu [ops-per-family-per-mode [label]]   |   test_fpu --bench */
#define _POSIX_C_SOURCE 200809L /* clock_gettime for the bench */
#include <fenv.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cpu/fpu.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define HAVE_MXCSR 1
#endif

static const char *g_label = "";
static int g_fail;

/* ---------------- host helpers ---------------- */

static double u2d(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static uint64_t d2u(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static float u2f(uint64_t u)
{
    uint32_t v = (uint32_t)u;
    float f;
    memcpy(&f, &v, 4);
    return f;
}
static uint64_t f2u(float f)
{
    uint32_t v;
    memcpy(&v, &f, 4);
    return v;
}

static const int host_mode[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
static const char *rm_name[5] = {"RNE", "RTZ", "RDN", "RUP", "RMM"};

static void host_clear(void)
{
#ifdef HAVE_MXCSR
    _mm_setcsr(_mm_getcsr() & ~0x3fu);
#else
    feclearexcept(FE_ALL_EXCEPT);
#endif
}

static uint32_t host_flags(void)
{
    uint32_t f = 0;
#ifdef HAVE_MXCSR
    unsigned m = _mm_getcsr();
    if (m & 0x01)
        f |= RV_FF_NV;
    if (m & 0x04)
        f |= RV_FF_DZ;
    if (m & 0x08)
        f |= RV_FF_OF;
    if (m & 0x10)
        f |= RV_FF_UF;
    if (m & 0x20)
        f |= RV_FF_NX;
#else
    int e = fetestexcept(FE_ALL_EXCEPT);
    if (e & FE_INVALID)
        f |= RV_FF_NV;
    if (e & FE_DIVBYZERO)
        f |= RV_FF_DZ;
    if (e & FE_OVERFLOW)
        f |= RV_FF_OF;
    if (e & FE_UNDERFLOW)
        f |= RV_FF_UF;
    if (e & FE_INEXACT)
        f |= RV_FF_NX;
#endif
    return f;
}

/* ---------------- formats and generators ---------------- */

typedef struct {
    int m, eb; /* mantissa bits, exponent bits */
    int width; /* 32 or 64 */
    const char *name;
} fmt_t;

static const fmt_t F32 = {23, 8, 32, "f32"};
static const fmt_t F64 = {52, 11, 64, "f64"};

static uint64_t sbit(const fmt_t *f)
{
    return (uint64_t)1 << (f->m + f->eb);
}
static uint64_t emaxv(const fmt_t *f)
{
    return ((uint64_t)1 << f->eb) - 1;
}
static int64_t biasv(const fmt_t *f)
{
    return ((int64_t)1 << (f->eb - 1)) - 1;
}
static uint64_t mmask(const fmt_t *f)
{
    return ((uint64_t)1 << f->m) - 1;
}
static bool isnan_b(const fmt_t *f, uint64_t a)
{
    return (a & (sbit(f) - 1)) > (emaxv(f) << f->m);
}
static bool issnan_b(const fmt_t *f, uint64_t a)
{
    return isnan_b(f, a) && !(a & ((uint64_t)1 << (f->m - 1)));
}
static uint64_t canon(const fmt_t *f)
{
    return f->width == 32 ? RV_F32_CANON_NAN : RV_F64_CANON_NAN;
}

typedef struct {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t pack(const fmt_t *f, uint64_t sign, int64_t e, uint64_t mant)
{
    if (e < 0)
        e = 0;
    if (e > (int64_t)emaxv(f) - 1)
        e = (int64_t)emaxv(f) - 1;
    return (sign ? sbit(f) : 0) | ((uint64_t)e << f->m) | (mant & mmask(f));
}

/* Mantissas that make exact results, ties and carries likely. */
static uint64_t gen_mant(rng_t *r, const fmt_t *f)
{
    uint64_t x = rnd(r);
    switch (rnd(r) % 8) {
    case 0: return 0;
    case 1: return mmask(f) & ~(rnd(r) & rnd(r) & rnd(r)); /* mostly ones */
    case 2: return (uint64_t)1 << (rnd(r) % f->m);
    case 3: return x & rnd(r) & rnd(r) & mmask(f);                    /* sparse */
    case 4: return (x & mmask(f)) >> (rnd(r) % f->m) << (rnd(r) % 4); /* top bits */
    case 5: return mmask(f) - (rnd(r) % 4);
    case 6: return (x & mmask(f)) & ~(((uint64_t)1 << (f->m / 2)) - 1);
    default: return x & mmask(f);
    }
}

static uint64_t gen_special(rng_t *r, const fmt_t *f)
{
    uint64_t s = (rnd(r) & 1) ? sbit(f) : 0, inf = emaxv(f) << f->m, q = (uint64_t)1 << (f->m - 1);
    switch (rnd(r) % 13) {
    case 0: return s;                                       /* zero */
    case 1: return s | inf;                                 /* inf */
    case 2: return inf | q;                                 /* canonical qNaN */
    case 3: return s | inf | q | (rnd(r) & (q - 1));        /* qNaN with payload */
    case 4: return s | inf | (1 + (rnd(r) % (q - 1)));      /* sNaN */
    case 5: return s | (inf - 1);                           /* max normal */
    case 6: return s | ((uint64_t)1 << f->m);               /* min normal */
    case 7: return s | mmask(f);                            /* max subnormal */
    case 8: return s | 1;                                   /* min subnormal */
    case 9: return s | ((uint64_t)biasv(f) << f->m);        /* 1.0 */
    case 10: return s | ((uint64_t)(biasv(f) + 1) << f->m); /* 2.0 */
    case 11: return s | ((uint64_t)(biasv(f) - 1) << f->m); /* 0.5 */
    default: return s | ((uint64_t)biasv(f) << f->m) | ((uint64_t)1 << (f->m - 1)); /* 1.5 */
    }
}

static uint64_t gen_fp(rng_t *r, const fmt_t *f)
{
    uint64_t s = rnd(r) & 1;
    int64_t bias = biasv(f), em = (int64_t)emaxv(f);
    switch (rnd(r) % 12) {
    case 0: return rnd(r) & (2 * sbit(f) - 1);
    case 1:
    case 2: return gen_special(r, f);
    case 3: return pack(f, s, (int64_t)(rnd(r) % 3), gen_mant(r, f));          /* subnormal edge */
    case 4: return pack(f, s, em - 1 - (int64_t)(rnd(r) % 3), gen_mant(r, f)); /* overflow edge */
    case 5: return pack(f, s, bias - 8 + (int64_t)(rnd(r) % 17), gen_mant(r, f));
    case 6: return pack(f, s, bias - 80 + (int64_t)(rnd(r) % 161), rnd(r));
    default: return pack(f, s, 1 + (int64_t)(rnd(r) % (uint64_t)(em - 1)), gen_mant(r, f));
    }
}

static int64_t expo(const fmt_t *f, uint64_t a)
{
    return (int64_t)((a >> f->m) & emaxv(f));
}

/* A second operand related to the first: neighbours, cancellation,
 * alignment around the precision, products/quotients near the range
 * limits. kind: 0 add, 1 mul, 2 div. */
static uint64_t gen_second(rng_t *r, const fmt_t *f, uint64_t a, int kind)
{
    uint64_t s = rnd(r) & 1;
    int64_t ea = expo(f, a), bias = biasv(f), em = (int64_t)emaxv(f);
    int64_t tgt;
    switch (rnd(r) % 8) {
    case 0: return (a + (rnd(r) % 5) - 2) ^ ((rnd(r) & 1) ? sbit(f) : 0);
    case 1:
        return pack(f, s, ea + (int64_t)(rnd(r) % 9) - 4 + ((rnd(r) & 1) ? f->m : -f->m),
                    gen_mant(r, f));
    case 2:
    case 3:
        switch (rnd(r) % 3) {
        case 0: tgt = em - 1; break;
        case 1: tgt = 1; break;
        default: tgt = 1 - f->m; break;
        }
        tgt += (int64_t)(rnd(r) % 5) - 2;
        if (kind == 1)
            return pack(f, s, tgt - ea + bias, gen_mant(r, f));
        if (kind == 2)
            return pack(f, s, ea - tgt + bias, gen_mant(r, f));
        return gen_fp(r, f);
    default: return gen_fp(r, f);
    }
}

/* ---------------- random differential families ---------------- */

typedef uint64_t (*host_fn)(uint64_t a, uint64_t b, uint64_t c);
typedef uint64_t (*my_fn)(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl);

#define HOST2(name, T, U2, TOU, expr)                                                              \
    static uint64_t name(uint64_t ua, uint64_t ub, uint64_t uc)                                    \
    {                                                                                              \
        (void)uc;                                                                                  \
        volatile T a = U2(ua), b = U2(ub);                                                         \
        (void)b;                                                                                   \
        volatile T r = expr;                                                                       \
        return TOU(r);                                                                             \
    }
#define HOST3(name, T, U2, TOU, expr)                                                              \
    static uint64_t name(uint64_t ua, uint64_t ub, uint64_t uc)                                    \
    {                                                                                              \
        volatile T a = U2(ua), b = U2(ub), c = U2(uc);                                             \
        volatile T r = expr;                                                                       \
        return TOU(r);                                                                             \
    }

HOST2(h_f32_add, float, u2f, f2u, a + b)
HOST2(h_f32_sub, float, u2f, f2u, a - b)
HOST2(h_f32_mul, float, u2f, f2u, a *b)
HOST2(h_f32_div, float, u2f, f2u, a / b)
HOST2(h_f32_sqrt, float, u2f, f2u, sqrtf(a))
HOST3(h_f32_fma, float, u2f, f2u, fmaf(a, b, c))
HOST2(h_f64_add, double, u2d, d2u, a + b)
HOST2(h_f64_sub, double, u2d, d2u, a - b)
HOST2(h_f64_mul, double, u2d, d2u, a *b)
HOST2(h_f64_div, double, u2d, d2u, a / b)
HOST2(h_f64_sqrt, double, u2d, d2u, sqrt(a))
HOST3(h_f64_fma, double, u2d, d2u, fma(a, b, c))

static uint64_t h_f32_to_f64(uint64_t ua, uint64_t ub, uint64_t uc)
{
    (void)ub, (void)uc;
    volatile float a = u2f(ua);
    volatile double r = a;
    return d2u(r);
}
static uint64_t h_f64_to_f32(uint64_t ua, uint64_t ub, uint64_t uc)
{
    (void)ub, (void)uc;
    volatile double a = u2d(ua);
    volatile float r = (float)a;
    return f2u(r);
}

#define MINE2(name, fn, T)                                                                         \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl)                 \
    {                                                                                              \
        (void)c;                                                                                   \
        return fn((T)a, (T)b, rm, fl);                                                             \
    }
#define MINE1(name, fn, T)                                                                         \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl)                 \
    {                                                                                              \
        (void)b, (void)c;                                                                          \
        return fn((T)a, rm, fl);                                                                   \
    }
#define MINE3(name, fn, T)                                                                         \
    static uint64_t name(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl)                 \
    {                                                                                              \
        return fn((T)a, (T)b, (T)c, rm, fl);                                                       \
    }

MINE2(m_f32_add, f32_add, uint32_t)
MINE2(m_f32_sub, f32_sub, uint32_t)
MINE2(m_f32_mul, f32_mul, uint32_t)
MINE2(m_f32_div, f32_div, uint32_t)
MINE1(m_f32_sqrt, f32_sqrt, uint32_t)
MINE3(m_f32_fma, f32_fma, uint32_t)
MINE2(m_f64_add, f64_add, uint64_t)
MINE2(m_f64_sub, f64_sub, uint64_t)
MINE2(m_f64_mul, f64_mul, uint64_t)
MINE2(m_f64_div, f64_div, uint64_t)
MINE1(m_f64_sqrt, f64_sqrt, uint64_t)
MINE3(m_f64_fma, f64_fma, uint64_t)

static uint64_t m_f32_to_f64(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl)
{
    (void)b, (void)c, (void)rm;
    return f32_to_f64((uint32_t)a, fl);
}
static uint64_t m_f64_to_f32(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *fl)
{
    (void)b, (void)c;
    return f64_to_f32(a, rm, fl);
}

typedef struct {
    const char *name;
    const fmt_t *in, *out;
    int arity;
    int kind; /* generator for the second operand: 0 add, 1 mul, 2 div */
    host_fn host;
    my_fn mine;
} family_t;

static void report_mismatch(int *shown, const char *name, int rm, uint64_t a, uint64_t b,
                            uint64_t c, uint64_t got, uint32_t gf, uint64_t want, uint32_t wf)
{
    if ((*shown)++ >= 5)
        return;
    printf("  mismatch %s %s a=%#llx b=%#llx c=%#llx: got %#llx flags %#x, want %#llx flags "
           "%#x\n",
           name, rm_name[rm], (unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
           (unsigned long long)got, gf, (unsigned long long)want, wf);
}

static void check(bool ok, const char *fmt_name, const char *detail)
{
    if (ok)
        printf("PASS: %s%s%s\n", fmt_name, detail, g_label);
    else {
        printf("FAIL: %s%s%s (mismatches above)\n", fmt_name, detail, g_label);
        g_fail = 1;
    }
}

static uint64_t gen_fma_c(rng_t *r, const family_t *fam, uint64_t a, uint64_t b)
{
    const fmt_t *f = fam->in;
    if (rnd(r) % 3 == 0) {
        /* c close to -a*b: massive cancellation. */
        int save = fegetround();
        fesetround(FE_TONEAREST);
        uint64_t p = f->width == 32 ? f2u(u2f(a) * u2f(b)) : d2u(u2d(a) * u2d(b));
        fesetround(save);
        return (p ^ sbit(f)) + (rnd(r) % 5) - 2;
    }
    return gen_second(r, f, a, 0);
}

static void run_family(const family_t *fam, long n, uint64_t seed)
{
    int shown = 0;
    long bad = 0, seen[7] = {0};
    const fmt_t *f = fam->in, *fo = fam->out;
    for (int rm = 0; rm < 4; rm++) {
        rng_t r = {seed ^ (uint64_t)rm * 0x1234567};
        fesetround(host_mode[rm]);
        for (long i = 0; i < n; i++) {
            uint64_t a = gen_fp(&r, f), b = 0, c = 0;
            if (fam->arity >= 2)
                b = gen_second(&r, f, a, fam->kind);
            if (fam->arity == 3)
                c = gen_fma_c(&r, fam, a, b);
            if (fam->arity == 1 && f == fo && (rnd(&r) & 1))
                a &= ~sbit(f); /* sqrt: mostly non-negative */
            host_clear();
            uint64_t want = fam->host(a, b, c);
            uint32_t wf = host_flags();
            uint32_t gf = 0;
            uint64_t got = fam->mine(a, b, c, rm, &gf);
            if (isnan_b(fo, want)) {
                want = canon(fo);
                /* RISC-V: inf*0 is invalid even when c is a quiet NaN. */
                if (fam->arity == 3) {
                    uint64_t ma = a & (sbit(f) - 1), mb = b & (sbit(f) - 1), inf = emaxv(f) << f->m;
                    if ((ma == inf && mb == 0) || (ma == 0 && mb == inf))
                        wf |= RV_FF_NV;
                }
            }
            if (got != want || gf != wf) {
                bad++;
                report_mismatch(&shown, fam->name, rm, a, b, c, got, gf, want, wf);
            }
            for (int k = 0; k < 5; k++)
                seen[k] += (wf >> k) & 1;
            uint64_t mw = want & (sbit(fo) - 1);
            seen[5] += mw != 0 && mw < ((uint64_t)1 << fo->m); /* subnormal result */
            seen[6] += isnan_b(fo, want);
        }
    }
    fesetround(FE_TONEAREST);
    /* What the generators reached, so a regression that stops them reaching
     * the edges is visible; every family must at least see inexact. */
    printf("  coverage %s: NX %ld UF %ld OF %ld DZ %ld NV %ld subnormal %ld NaN %ld\n", fam->name,
           seen[0], seen[1], seen[2], seen[3], seen[4], seen[5], seen[6]);
    char d[128];
    snprintf(d, sizeof d, " random %ld ops x 4 rounding modes", n);
    check(bad == 0 && (seen[0] > 0 || fam->in->width < fam->out->width), fam->name, d);
}

/* ---------------- RMM: equal to RNE except on exact ties ---------------- */

/* Given the RNE result p (host, normal range) and the exact error e =
 * exact - p (representable), returns what RMM must give. */
static double rmm_from_rne(double p, double e)
{
    if (e == 0)
        return p;
    double nb = nextafter(p, e > 0 ? INFINITY : -INFINITY);
    if (nb - p != 2 * e)
        return p; /* not a tie */
    return fabs(nb) > fabs(p) ? nb : p;
}
static float rmm_from_rne_f(float p, double e)
{
    if (e == 0)
        return p;
    float nb = nextafterf(p, e > 0 ? INFINITY : -INFINITY);
    if ((double)nb - (double)p != 2 * e)
        return p;
    return fabsf(nb) > fabsf(p) ? nb : p;
}

static bool normal_range_d(double x)
{
    return isfinite(x) && fabs(x) > 0x1p-960 && fabs(x) < 0x1p1000;
}
static bool normal_range_f(double x)
{
    return isfinite(x) && fabs(x) > 0x1p-110 && fabs(x) < 0x1p120;
}

static void run_rmm(long n, uint64_t seed)
{
    /* ops: 0 add, 1 sub, 2 mul, 3 div, 4 sqrt for f32 and f64; 5 fma for
     * f32, whose exact value a*b+c double holds when TwoSum's error is 0 */
    static const char *names[6] = {"add", "sub", "mul", "div", "sqrt", "fma"};
    fesetround(FE_TONEAREST);
    for (int w = 0; w < 2; w++) {
        const fmt_t *f = w ? &F64 : &F32;
        for (int op = 0; op < (w ? 5 : 6); op++) {
            rng_t r = {seed + (uint64_t)(w * 10 + op)};
            long bad = 0, checked = 0, ties = 0;
            int shown = 0;
            for (long i = 0; i < n; i++) {
                uint64_t a = gen_fp(&r, f);
                uint64_t b = gen_second(&r, f, a, op == 2 || op == 5 ? 1 : op == 3 ? 2 : 0);
                uint64_t c = 0;
                if (op == 4)
                    a &= ~sbit(f);
                if (op == 5)
                    c = (rnd(&r) & 1) ? (f2u(u2f(a) * u2f(b)) ^ sbit(f)) + (rnd(&r) % 5) - 2
                                      : gen_second(&r, f, a, 0);
                if (!w) {
                    volatile double x = u2f(a), y = op == 1 ? -(double)u2f(b) : u2f(b);
                    double ex; /* exact result in double, when it is exact */
                    float p;
                    switch (op) {
                    case 0:
                    case 1: {
                        volatile double s = x + y, bb = s - x;
                        double err = (x - (s - bb)) + (y - bb);
                        if (err != 0)
                            continue; /* not exact in double */
                        ex = s;
                        p = u2f(a) + (op ? -u2f(b) : u2f(b));
                        break;
                    }
                    case 2:
                        ex = x * y;
                        p = u2f(a) * u2f(b);
                        break;
                    case 3:
                        p = u2f(a) / u2f(b);
                        ex = p; /* no ties in normal range */
                        break;
                    case 4:
                        p = sqrtf(u2f(a));
                        ex = p; /* sqrt never ties */
                        break;
                    default: {
                        volatile double pr = x * y, z = u2f(c), s = pr + z, bb = s - pr;
                        if ((pr - (s - bb)) + (z - bb) != 0)
                            continue; /* a*b+c not exact in double */
                        ex = s;
                        p = fmaf(u2f(a), u2f(b), u2f(c));
                        break;
                    }
                    }
                    if (!normal_range_f(ex) || !normal_range_f(p))
                        continue;
                    float want = rmm_from_rne_f(p, ex - (double)p);
                    ties += f2u(want) != f2u(p);
                    uint32_t gf = 0, wf = (ex != (double)p) ? RV_FF_NX : 0;
                    if (op == 3 || op == 4) {
                        host_clear();
                        volatile float t = op == 3 ? u2f(a) / u2f(b) : sqrtf(u2f(a));
                        (void)t;
                        wf = host_flags();
                    }
                    uint64_t got =
                        op == 0   ? f32_add((uint32_t)a, (uint32_t)b, RV_RM_RMM, &gf)
                        : op == 1 ? f32_sub((uint32_t)a, (uint32_t)b, RV_RM_RMM, &gf)
                        : op == 2 ? f32_mul((uint32_t)a, (uint32_t)b, RV_RM_RMM, &gf)
                        : op == 3 ? f32_div((uint32_t)a, (uint32_t)b, RV_RM_RMM, &gf)
                        : op == 4 ? f32_sqrt((uint32_t)a, RV_RM_RMM, &gf)
                                  : f32_fma((uint32_t)a, (uint32_t)b, (uint32_t)c, RV_RM_RMM, &gf);
                    checked++;
                    if (got != f2u(want) || gf != wf) {
                        bad++;
                        report_mismatch(&shown, names[op], 4, a, b, c, got, gf, f2u(want), wf);
                    }
                } else {
                    volatile double x = u2d(a), y = op == 1 ? -u2d(b) : u2d(b);
                    volatile double p;
                    double e = 0;
                    host_clear();
                    switch (op) {
                    case 0:
                    case 1: {
                        volatile double s = x + y, bb = s - x;
                        p = s;
                        e = (x - (s - bb)) + (y - bb);
                        break;
                    }
                    case 2:
                        p = x * y;
                        e = fma(x, y, -p);
                        break;
                    case 3: p = x / y; break;
                    default: p = sqrt(x); break;
                    }
                    uint32_t wf = host_flags();
                    if (!normal_range_d(p))
                        continue;
                    double want = rmm_from_rne(p, e);
                    ties += d2u(want) != d2u(p);
                    uint32_t gf = 0;
                    uint64_t got = op == 0   ? f64_add(a, b, RV_RM_RMM, &gf)
                                   : op == 1 ? f64_sub(a, b, RV_RM_RMM, &gf)
                                   : op == 2 ? f64_mul(a, b, RV_RM_RMM, &gf)
                                   : op == 3 ? f64_div(a, b, RV_RM_RMM, &gf)
                                             : f64_sqrt(a, RV_RM_RMM, &gf);
                    checked++;
                    if (got != d2u(want) || gf != wf) {
                        bad++;
                        report_mismatch(&shown, names[op], 4, a, b, 0, got, gf, d2u(want), wf);
                    }
                }
            }
            char d[160];
            snprintf(d, sizeof d, "_%s RMM vs RNE-except-ties %ld ops (%ld ties)", names[op],
                     checked, ties);
            /* add/sub/mul must have met ties; div and sqrt have none in the
             * normal range. */
            check(bad == 0 && checked > n / 20 && ((op >= 3 && op <= 4) || ties > 0), f->name, d);
        }
    }
}

/* The FPU must not depend on the host's flush-to-zero / denormals-are-zero
 * modes (an embedder built with -ffast-math sets them): results and flags
 * with MXCSR.FTZ|DAZ set must equal those without. RNE, where the host
 * fast path runs. */
static void run_ftz_independence(long n, uint64_t seed)
{
#ifdef HAVE_MXCSR
    static const my_fn fns[12] = {m_f32_add,  m_f32_sub, m_f32_mul,  m_f32_div,
                                  m_f32_sqrt, m_f32_fma, m_f64_add,  m_f64_sub,
                                  m_f64_mul,  m_f64_div, m_f64_sqrt, m_f64_fma};
    rng_t r = {seed};
    long bad = 0;
    int shown = 0;
    unsigned csr = _mm_getcsr();
    for (long i = 0; i < n; i++) {
        int k = (int)(rnd(&r) % 12);
        const fmt_t *f = k < 6 ? &F32 : &F64;
        uint64_t a = gen_fp(&r, f), b = gen_second(&r, f, a, (int)(rnd(&r) % 3)),
                 c = gen_second(&r, f, a, 0);
        uint32_t f1 = 0, f2 = 0;
        uint64_t r1 = fns[k](a, b, c, RV_RM_RNE, &f1);
        _mm_setcsr(csr | 0x8040u); /* FTZ | DAZ */
        uint64_t r2 = fns[k](a, b, c, RV_RM_RNE, &f2);
        _mm_setcsr(csr);
        if (r1 != r2 || f1 != f2) {
            bad++;
            report_mismatch(&shown, "ftz/daz", 0, a, b, c, r2, f2, r1, f1);
        }
    }
    char d[96];
    snprintf(d, sizeof d, " results unchanged by host FTZ/DAZ, %ld ops", n);
    check(bad == 0, "fpu", d);
#else
    (void)n, (void)seed;
    printf("SKIP: fpu results unchanged by host FTZ/DAZ (not an x86 host)\n");
#endif
}

/* ---------------- compare / min / max ---------------- */

/* f64 -> f32 in RMM: the source is the exact value, so ties are visible. */
static void run_rmm_narrow(long n, uint64_t seed)
{
    rng_t r = {seed};
    long bad = 0, ties = 0, checked = 0;
    int shown = 0;
    fesetround(FE_TONEAREST);
    for (long i = 0; i < n; i++) {
        uint64_t a = gen_fp(&r, &F64);
        if (rnd(&r) & 1) /* make a tie or near-tie: clear the low 28 bits, set bit 28 */
            a = (a & ~((1ull << 29) - 1)) | (1ull << 28) | (rnd(&r) % 3 == 0 ? 1 : 0);
        double x = u2d(a);
        if (!isfinite(x))
            continue;
        volatile double vx = x;
        host_clear();
        volatile float vp = (float)vx;
        uint32_t wf = host_flags();
        float p = vp;
        if (!normal_range_f(p) || !normal_range_f(x))
            continue;
        float want = rmm_from_rne_f(p, x - (double)p);
        ties += f2u(want) != f2u(p);
        uint32_t gf = 0;
        uint32_t got = f64_to_f32(a, RV_RM_RMM, &gf);
        checked++;
        if (got != f2u(want) || gf != wf) {
            bad++;
            report_mismatch(&shown, "f64_to_f32", 4, a, 0, 0, got, gf, f2u(want), wf);
        }
    }
    char d[128];
    snprintf(d, sizeof d, " RMM vs RNE-except-ties %ld ops (%ld ties)", checked, ties);
    check(bad == 0 && ties > 0, "f64_to_f32", d);
}

static void run_compare(long n, uint64_t seed)
{
    for (int w = 0; w < 2; w++) {
        const fmt_t *f = w ? &F64 : &F32;
        rng_t r = {seed + (uint64_t)w};
        long bad = 0;
        int shown = 0;
        for (long i = 0; i < n; i++) {
            uint64_t a = gen_fp(&r, f), b = (rnd(&r) % 4 == 0) ? a : gen_second(&r, f, a, 0);
            if (rnd(&r) % 8 == 0)
                b = a ^ sbit(f);
            bool anynan = isnan_b(f, a) || isnan_b(f, b);
            bool anysnan = issnan_b(f, a) || issnan_b(f, b);
            bool heq, hlt, hle, aless;
            if (w) {
                volatile double x = u2d(a), y = u2d(b);
                heq = x == y;
                hlt = x < y;
                hle = x <= y;
                aless = hlt || (heq && signbit(x) && !signbit(y));
            } else {
                volatile float x = u2f(a), y = u2f(b);
                heq = x == y;
                hlt = x < y;
                hle = x <= y;
                aless = hlt || (heq && signbit(x) && !signbit(y));
            }
            uint32_t f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0;
            bool geq = w ? f64_eq(a, b, &f1) : f32_eq((uint32_t)a, (uint32_t)b, &f1);
            bool glt = w ? f64_lt(a, b, &f2) : f32_lt((uint32_t)a, (uint32_t)b, &f2);
            bool gle = w ? f64_le(a, b, &f3) : f32_le((uint32_t)a, (uint32_t)b, &f3);
            uint64_t gmin = w ? f64_min(a, b, &f4) : f32_min((uint32_t)a, (uint32_t)b, &f4);
            uint64_t gmax = w ? f64_max(a, b, &f5) : f32_max((uint32_t)a, (uint32_t)b, &f5);
            uint64_t wmin, wmax;
            if (isnan_b(f, a) && isnan_b(f, b))
                wmin = wmax = canon(f);
            else if (isnan_b(f, a))
                wmin = wmax = b;
            else if (isnan_b(f, b))
                wmin = wmax = a;
            else {
                wmin = aless ? a : b;
                wmax = aless ? b : a;
                if (a == b)
                    wmin = wmax = a;
            }
            uint32_t snf = anysnan ? RV_FF_NV : 0, nf = anynan ? RV_FF_NV : 0;
            bool ok = geq == heq && glt == hlt && gle == hle && f1 == snf && f2 == nf && f3 == nf &&
                      gmin == wmin && gmax == wmax && f4 == snf && f5 == snf;
            if (!ok) {
                bad++;
                if (shown++ < 5)
                    printf("  mismatch %s compare a=%#llx b=%#llx: eq %d/%d lt %d/%d le %d/%d "
                           "min %#llx/%#llx max %#llx/%#llx flags %x %x %x %x %x\n",
                           f->name, (unsigned long long)a, (unsigned long long)b, geq, heq, glt,
                           hlt, gle, hle, (unsigned long long)gmin, (unsigned long long)wmin,
                           (unsigned long long)gmax, (unsigned long long)wmax, f1, f2, f3, f4, f5);
            }
        }
        char d[128];
        snprintf(d, sizeof d, "_eq/lt/le/min/max random %ld pairs", n);
        check(bad == 0, f->name, d);
    }
}

/* ---------------- conversions ---------------- */

/* Float -> int oracle: round the exact value with rint (or round for RMM)
 * in the host's mode, then apply the RISC-V domain table. */
static uint64_t ref_to_int(double x, int rm, bool sgn, int width, uint32_t *fl)
{
    if (isnan(x)) {
        *fl |= RV_FF_NV;
        return sgn ? (width == 32 ? 0x7fffffffull : 0x7fffffffffffffffull) : ~0ull;
    }
    double r = rm == RV_RM_RMM ? round(x) : rint(x);
    double lo = sgn ? (width == 32 ? -0x1p31 : -0x1p63) : 0;
    double hi = sgn ? (width == 32 ? 0x1p31 : 0x1p63) : (width == 32 ? 0x1p32 : 0x1p64);
    if (r < lo || r >= hi) {
        *fl |= RV_FF_NV;
        if (r < lo)
            return sgn ? (width == 32 ? (uint64_t)(int64_t)INT32_MIN : (uint64_t)INT64_MIN) : 0;
        return sgn ? (width == 32 ? 0x7fffffffull : 0x7fffffffffffffffull) : ~0ull;
    }
    if (r != x)
        *fl |= RV_FF_NX;
    uint64_t v;
    if (sgn)
        v = (uint64_t)(int64_t)r;
    else
        v = (uint64_t)r;
    if (width == 32)
        v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

static uint64_t gen_conv_src(rng_t *r, const fmt_t *f)
{
    static const double pts[] = {0x1p31, 0x1p32, 0x1p63, 0x1p64, 1, 0.5, 0x1p30, 0x1p52, 0x1p23};
    if (rnd(r) % 3)
        return gen_fp(r, f);
    double base = pts[rnd(r) % (sizeof pts / sizeof pts[0])];
    if (rnd(r) & 1)
        base = -base;
    uint64_t u = f->width == 32 ? f2u((float)base) : d2u(base);
    int64_t d = (int64_t)(rnd(r) % 9) - 4;
    u = (uint64_t)((int64_t)u + d);
    if (rnd(r) % 4 == 0) /* x.5 and friends near the point */
        return f->width == 32 ? f2u(u2f(u) + 0.5f) : d2u(u2d(u) + 0.5);
    if (rnd(r) % 4 == 0) /* small values with fractions */
        return f->width == 32 ? f2u((float)((int64_t)(rnd(r) % 16) - 8) / 4)
                              : d2u((double)((int64_t)(rnd(r) % 16) - 8) / 4);
    return u;
}

static void run_to_int(long n, uint64_t seed)
{
    static const char *names[4] = {"to_i32", "to_u32", "to_i64", "to_u64"};
    for (int w = 0; w < 2; w++) {
        const fmt_t *f = w ? &F64 : &F32;
        for (int k = 0; k < 4; k++) {
            long bad = 0;
            int shown = 0;
            bool sgn = !(k & 1);
            int width = k < 2 ? 32 : 64;
            for (int rm = 0; rm < 5; rm++) {
                rng_t r = {seed + (uint64_t)(w * 100 + k * 10 + rm)};
                fesetround(host_mode[rm == 4 ? 0 : rm]);
                for (long i = 0; i < n; i++) {
                    uint64_t a = gen_conv_src(&r, f);
                    double x = w ? u2d(a) : (double)u2f(a);
                    uint32_t wf = 0, gf = 0;
                    uint64_t want = ref_to_int(x, rm, sgn, width, &wf), got;
                    if (w)
                        got = k == 0   ? (uint64_t)f64_to_i32(a, rm, &gf)
                              : k == 1 ? (uint64_t)f64_to_u32(a, rm, &gf)
                              : k == 2 ? (uint64_t)f64_to_i64(a, rm, &gf)
                                       : f64_to_u64(a, rm, &gf);
                    else
                        got = k == 0   ? (uint64_t)f32_to_i32((uint32_t)a, rm, &gf)
                              : k == 1 ? (uint64_t)f32_to_u32((uint32_t)a, rm, &gf)
                              : k == 2 ? (uint64_t)f32_to_i64((uint32_t)a, rm, &gf)
                                       : f32_to_u64((uint32_t)a, rm, &gf);
                    if (got != want || gf != wf) {
                        bad++;
                        report_mismatch(&shown, names[k], rm, a, 0, 0, got, gf, want, wf);
                    }
                }
            }
            fesetround(FE_TONEAREST);
            char d[128];
            snprintf(d, sizeof d, "_%s random %ld ops x 5 rounding modes", names[k], n);
            check(bad == 0, f->name, d);
        }
    }
}

static uint64_t gen_int(rng_t *r)
{
    uint64_t x = rnd(r);
    switch (rnd(r) % 6) {
    case 0: return x;
    case 1: return x >> (rnd(r) % 64);
    case 2: return ((uint64_t)1 << (rnd(r) % 64)) + (rnd(r) % 7) - 3;
    case 3: return ~(x >> (rnd(r) % 64));
    case 4: return (x >> (rnd(r) % 64)) & ~(((uint64_t)1 << (rnd(r) % 40)) - 1);
    default: return (uint64_t)((int64_t)(rnd(r) % 2001) - 1000);
    }
}

/* For RMM: exact integer v vs its RNE rounding p; tie if |v - p| is half
 * the gap to the neighbour on v's side. long double (64-bit mantissa on
 * x86) holds every 64-bit integer exactly. */
static long double ld_rmm(long double v, long double p, long double nb)
{
    if (v == p)
        return p;
    if (nb - p != 2 * (v - p))
        return p;
    return fabsl(nb) > fabsl(p) ? nb : p;
}

static void run_from_int(long n, uint64_t seed)
{
    static const char *names[8] = {"i32_to_f32", "u32_to_f32", "i64_to_f32", "u64_to_f32",
                                   "i32_to_f64", "u32_to_f64", "i64_to_f64", "u64_to_f64"};
    for (int k = 0; k < 8; k++) {
        long bad = 0;
        int shown = 0;
        for (int rm = 0; rm < 5; rm++) {
            rng_t r = {seed + (uint64_t)(k * 10 + rm)};
            fesetround(host_mode[rm == 4 ? 0 : rm]);
            for (long i = 0; i < n; i++) {
                uint64_t v = gen_int(&r);
                uint64_t want, got;
                uint32_t wf, gf = 0;
                long double exact;
                host_clear();
                switch (k) {
                case 0: {
                    volatile int32_t x = (int32_t)v;
                    volatile float y = (float)x;
                    want = f2u(y);
                    exact = x;
                    got = i32_to_f32((int32_t)v, rm, &gf);
                    break;
                }
                case 1: {
                    volatile uint32_t x = (uint32_t)v;
                    volatile float y = (float)x;
                    want = f2u(y);
                    exact = x;
                    got = u32_to_f32((uint32_t)v, rm, &gf);
                    break;
                }
                case 2: {
                    volatile int64_t x = (int64_t)v;
                    volatile float y = (float)x;
                    want = f2u(y);
                    exact = (long double)x;
                    got = i64_to_f32((int64_t)v, rm, &gf);
                    break;
                }
                case 3: {
                    volatile uint64_t x = v;
                    volatile float y = (float)x;
                    want = f2u(y);
                    exact = (long double)x;
                    got = u64_to_f32(v, rm, &gf);
                    break;
                }
                case 4: {
                    volatile int32_t x = (int32_t)v;
                    volatile double y = x;
                    want = d2u(y);
                    exact = x;
                    got = i32_to_f64((int32_t)v, rm, &gf);
                    break;
                }
                case 5: {
                    volatile uint32_t x = (uint32_t)v;
                    volatile double y = x;
                    want = d2u(y);
                    exact = x;
                    got = u32_to_f64((uint32_t)v, rm, &gf);
                    break;
                }
                case 6: {
                    volatile int64_t x = (int64_t)v;
                    volatile double y = (double)x;
                    want = d2u(y);
                    exact = (long double)x;
                    got = i64_to_f64((int64_t)v, rm, &gf);
                    break;
                }
                default: {
                    volatile uint64_t x = v;
                    volatile double y = (double)x;
                    want = d2u(y);
                    exact = (long double)x;
                    got = u64_to_f64(v, rm, &gf);
                    break;
                }
                }
                wf = host_flags();
                if (rm == 4) {
                    if (k < 4) {
                        float p = u2f(want);
                        float nb = nextafterf(p, exact > p ? INFINITY : -INFINITY);
                        want = f2u((float)ld_rmm(exact, p, nb));
                    } else {
                        double p = u2d(want);
                        double nb = nextafter(p, exact > p ? INFINITY : -INFINITY);
                        want = d2u((double)ld_rmm(exact, p, nb));
                    }
                }
                if (got != want || gf != wf) {
                    bad++;
                    report_mismatch(&shown, names[k], rm, v, 0, 0, got, gf, want, wf);
                }
            }
        }
        fesetround(FE_TONEAREST);
        char d[128];
        snprintf(d, sizeof d, " random %ld ops x 5 rounding modes", n);
        check(bad == 0, names[k], d);
    }
}

/* ---------------- hand-written vectors ---------------- */

enum {
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_DIV,
    OP_SQRT,
    OP_FMA,
    OP_MIN,
    OP_MAX,
    OP_EQ,
    OP_LT,
    OP_LE,
    OP_CLASS,
    OP_TOI32,
    OP_TOU32,
    OP_TOI64,
    OP_TOU64,
    OP_FROMI32,
    OP_FROMU32,
    OP_FROMI64,
    OP_FROMU64,
    OP_CVT /* f32->f64 when W=32, f64->f32 when W=64 */
};

typedef struct {
    const char *group;
    int w; /* 32 or 64: operand format */
    int op;
    uint64_t a, b, c;
    int rm;
    uint64_t want;
    uint32_t wflags;
} vec_t;

#define NV RV_FF_NV
#define DZ RV_FF_DZ
#define OF RV_FF_OF
#define UF RV_FF_UF
#define NX RV_FF_NX
#define RNE RV_RM_RNE
#define RTZ RV_RM_RTZ
#define RDN RV_RM_RDN
#define RUP RV_RM_RUP
#define RMM RV_RM_RMM

/* f64 constants */
#define D1 0x3ff0000000000000ull
#define DM1 0xbff0000000000000ull
#define D2 0x4000000000000000ull
#define DHALF 0x3fe0000000000000ull
#define DINF 0x7ff0000000000000ull
#define DNINF 0xfff0000000000000ull
#define DMAX 0x7fefffffffffffffull
#define DMINN 0x0010000000000000ull
#define DMINS 0x0000000000000001ull
#define DQNAN 0x7ff8000000000000ull
#define DQNANP 0x7ff8000000012345ull
#define DSNAN 0x7ff0000000000001ull
#define DNZ 0x8000000000000000ull
#define CN64 RV_F64_CANON_NAN
/* f32 constants */
#define S1 0x3f800000u
#define SM1 0xbf800000u
#define S2 0x40000000u
#define SINF 0x7f800000u
#define SNINF 0xff800000u
#define SMAX 0x7f7fffffu
#define SMINN 0x00800000u
#define SMINS 0x00000001u
#define SQNAN 0x7fc00000u
#define SQNANP 0x7fc12345u
#define SSNAN 0x7f800001u
#define SNZ 0x80000000u
#define CN32 RV_F32_CANON_NAN
#define SE32(x) ((uint64_t)(int64_t)(int32_t)(uint32_t)(x))

static const vec_t vectors[] = {
    /* tininess after rounding: min_normal*(1+2^-52) * (1-2^-52) is
     * 2^-1022*(1-2^-104): rounds to 2^-1022 at full precision, so no UF. */
    {"tininess", 64, OP_MUL, 0x0010000000000001ull, 0x3feffffffffffffeull, 0, RNE, DMINN, NX},
    {"tininess", 64, OP_MUL, 0x0010000000000001ull, 0x3feffffffffffffeull, 0, RTZ,
     0x000fffffffffffffull, UF | NX},
    {"tininess", 32, OP_MUL, 0x00800001u, 0x3f7ffffeu, 0, RNE, SMINN, NX},
    {"tininess", 32, OP_MUL, 0x00800001u, 0x3f7ffffeu, 0, RTZ, 0x007fffffu, UF | NX},
    /* underflow to zero / to min subnormal; exact subnormals raise nothing */
    {"underflow", 64, OP_MUL, DMINS, DHALF, 0, RNE, 0, UF | NX},
    {"underflow", 64, OP_MUL, DMINS, DHALF, 0, RUP, DMINS, UF | NX},
    {"underflow", 64, OP_MUL, DMINS, DHALF, 0, RMM, DMINS, UF | NX},
    {"underflow", 64, OP_MUL, DMINS | DNZ, DHALF, 0, RDN, DMINS | DNZ, UF | NX},
    {"underflow", 64, OP_MUL, DMINS, 0x3fe8000000000000ull, 0, RNE, DMINS, UF | NX},
    {"underflow", 64, OP_MUL, 0x0000000000000002ull, DHALF, 0, RNE, DMINS, 0},
    {"underflow", 64, OP_ADD, DMINS, 0x000fffffffffffffull, 0, RNE, DMINN, 0},
    {"underflow", 32, OP_MUL, SMINS, 0x3f000000u, 0, RNE, 0, UF | NX},
    {"underflow", 32, OP_MUL, SMINS, 0x3f000000u, 0, RMM, SMINS, UF | NX},
    {"underflow", 32, OP_DIV, SMINN, S2, 0, RNE, 0x00400000u, 0},
    {"underflow", 32, OP_SUB, 0x00800001u, SMINN, 0, RNE, SMINS, 0},
    /* overflow in each mode */
    {"overflow", 64, OP_MUL, DMAX, D2, 0, RNE, DINF, OF | NX},
    {"overflow", 64, OP_MUL, DMAX, D2, 0, RTZ, DMAX, OF | NX},
    {"overflow", 64, OP_MUL, DMAX, D2, 0, RDN, DMAX, OF | NX},
    {"overflow", 64, OP_MUL, DMAX, D2, 0, RUP, DINF, OF | NX},
    {"overflow", 64, OP_MUL, DMAX, D2, 0, RMM, DINF, OF | NX},
    {"overflow", 64, OP_MUL, DMAX | DNZ, D2, 0, RDN, DNINF, OF | NX},
    {"overflow", 64, OP_MUL, DMAX | DNZ, D2, 0, RUP, DMAX | DNZ, OF | NX},
    {"overflow", 64, OP_ADD, DMAX, 0x7c90000000000000ull, 0, RMM, DINF, OF | NX},
    {"overflow", 64, OP_ADD, DMAX, 0x7c90000000000000ull, 0, RNE, DINF, OF | NX},
    {"overflow", 64, OP_ADD, DMAX, 0x7c90000000000000ull, 0, RTZ, DMAX, NX},
    {"overflow", 64, OP_ADD, DMAX, 0x7c8fffffffffffffull, 0, RMM, DMAX, NX},
    {"overflow", 32, OP_MUL, SMAX, S2, 0, RNE, SINF, OF | NX},
    {"overflow", 32, OP_MUL, SMAX, S2, 0, RTZ, SMAX, OF | NX},
    {"overflow", 32, OP_MUL, SMAX | SNZ, S2, 0, RUP, SMAX | SNZ, OF | NX},
    {"overflow", 32, OP_DIV, SMAX, 0x3f000000u, 0, RDN, SMAX, OF | NX},
    /* RMM ties */
    {"rmm", 64, OP_ADD, D1, 0x3ca0000000000000ull, 0, RMM, 0x3ff0000000000001ull, NX},
    {"rmm", 64, OP_ADD, D1, 0x3ca0000000000000ull, 0, RNE, D1, NX},
    {"rmm", 64, OP_ADD, DM1, 0xbca0000000000000ull, 0, RMM, 0xbff0000000000001ull, NX},
    {"rmm", 64, OP_FMA, 0x3ca0000000000000ull, D1, D1, RMM, 0x3ff0000000000001ull, NX},
    {"rmm", 64, OP_FMA, 0x3ca0000000000000ull, D1, D1, RNE, D1, NX},
    {"rmm", 32, OP_ADD, S1, 0x33800000u, 0, RMM, 0x3f800001u, NX},
    {"rmm", 32, OP_ADD, S1, 0x33800000u, 0, RNE, S1, NX},
    {"rmm", 32, OP_ADD, SM1, 0xb3800000u, 0, RMM, 0xbf800001u, NX},
    {"rmm", 32, OP_ADD, 0x3f800001u, 0x33800000u, 0, RMM, 0x3f800002u, NX},
    {"rmm", 32, OP_ADD, 0x3f800001u, 0x33800000u, 0, RNE, 0x3f800002u, NX},
    {"rmm", 32, OP_ADD, 0x3f800002u, 0x33800000u, 0, RMM, 0x3f800003u, NX},
    {"rmm", 32, OP_ADD, 0x3f800002u, 0x33800000u, 0, RNE, 0x3f800002u, NX},
    {"rmm", 32, OP_FMA, 0x33800000u, S1, S1, RMM, 0x3f800001u, NX},
    {"rmm", 32, OP_FROMI32, 16777217, 0, 0, RMM, 0x4b800001u, NX},
    {"rmm", 32, OP_FROMI32, 16777217, 0, 0, RNE, 0x4b800000u, NX},
    {"rmm", 32, OP_FROMI32, (uint32_t)-16777217, 0, 0, RMM, 0xcb800001u, NX},
    {"rmm", 64, OP_CVT, 0x3ff0000010000000ull, 0, 0, RMM, 0x3f800001u, NX},
    {"rmm", 64, OP_CVT, 0x3ff0000010000000ull, 0, 0, RNE, S1, NX},
    {"rmm", 64, OP_TOI32, 0x4004000000000000ull, 0, 0, RMM, 3, NX},
    {"rmm", 64, OP_TOI32, 0xc004000000000000ull, 0, 0, RMM, SE32(-3), NX},
    {"rmm", 64, OP_TOI32, 0x4004000000000000ull, 0, 0, RNE, 2, NX},
    {"rmm", 64, OP_SQRT, 0x4000000000000000ull, 0, 0, RMM, 0x3ff6a09e667f3bcdull, NX},
    /* NaN results are canonical; sNaN raises NV */
    {"nan", 64, OP_ADD, DQNANP, D1, 0, RNE, CN64, 0},
    {"nan", 64, OP_ADD, D1, DSNAN, 0, RNE, CN64, NV},
    {"nan", 64, OP_ADD, DINF, DNINF, 0, RNE, CN64, NV},
    {"nan", 64, OP_SUB, DINF, DINF, 0, RNE, CN64, NV},
    {"nan", 64, OP_MUL, DINF, 0, 0, RNE, CN64, NV},
    {"nan", 64, OP_MUL, DQNANP | DNZ, 0, 0, RNE, CN64, 0},
    {"nan", 64, OP_DIV, 0, DNZ, 0, RNE, CN64, NV},
    {"nan", 64, OP_DIV, DINF, DNINF, 0, RNE, CN64, NV},
    {"nan", 64, OP_SQRT, DM1, 0, 0, RNE, CN64, NV},
    {"nan", 64, OP_SQRT, DNINF, 0, 0, RNE, CN64, NV},
    {"nan", 64, OP_SQRT, DSNAN, 0, 0, RNE, CN64, NV},
    {"nan", 64, OP_SQRT, DQNANP, 0, 0, RNE, CN64, 0},
    {"nan", 64, OP_FMA, 0, DINF, DQNAN, RNE, CN64, NV},
    {"nan", 64, OP_FMA, DINF, 0, DQNANP, RNE, CN64, NV},
    {"nan", 64, OP_FMA, DQNANP, D1, D1, RNE, CN64, 0},
    {"nan", 64, OP_FMA, D1, D1, DSNAN, RNE, CN64, NV},
    {"nan", 64, OP_FMA, DINF, D1, DNINF, RNE, CN64, NV},
    {"nan", 64, OP_FMA, DINF, 0, D1, RNE, CN64, NV},
    {"nan", 64, OP_CVT, DQNANP, 0, 0, RNE, CN32, 0},
    {"nan", 64, OP_CVT, DSNAN, 0, 0, RNE, CN32, NV},
    {"nan", 32, OP_CVT, SSNAN, 0, 0, RNE, CN64, NV},
    {"nan", 32, OP_CVT, SQNANP | SNZ, 0, 0, RNE, CN64, 0},
    {"nan", 32, OP_ADD, SQNANP, S1, 0, RNE, CN32, 0},
    {"nan", 32, OP_MUL, SSNAN, S1, 0, RNE, CN32, NV},
    {"nan", 32, OP_DIV, SINF, SINF, 0, RNE, CN32, NV},
    {"nan", 32, OP_SQRT, 0xc0800000u, 0, 0, RNE, CN32, NV},
    {"nan", 32, OP_FMA, 0, SINF, SQNAN, RNE, CN32, NV},
    {"nan", 32, OP_FMA, SINF, S1, SNINF, RNE, CN32, NV},
    /* infinities and zeros: signs and DZ */
    {"special", 64, OP_DIV, D1, 0, 0, RNE, DINF, DZ},
    {"special", 64, OP_DIV, DM1, 0, 0, RNE, DNINF, DZ},
    {"special", 64, OP_DIV, D1, DNZ, 0, RNE, DNINF, DZ},
    {"special", 64, OP_DIV, DINF, 0, 0, RNE, DINF, 0},
    {"special", 64, OP_DIV, D1, DINF, 0, RNE, 0, 0},
    {"special", 64, OP_DIV, DM1, DINF, 0, RNE, DNZ, 0},
    {"special", 32, OP_DIV, S1, 0, 0, RNE, SINF, DZ},
    {"special", 64, OP_SQRT, DNZ, 0, 0, RNE, DNZ, 0},
    {"special", 64, OP_SQRT, DINF, 0, 0, RNE, DINF, 0},
    {"special", 64, OP_SQRT, 0x4010000000000000ull, 0, 0, RNE, D2, 0},
    {"special", 64, OP_SQRT, D2, 0, 0, RNE, 0x3ff6a09e667f3bcdull, NX},
    {"special", 64, OP_SQRT, D2, 0, 0, RUP, 0x3ff6a09e667f3bcdull, NX},
    {"special", 64, OP_SQRT, D2, 0, 0, RTZ, 0x3ff6a09e667f3bccull, NX},
    {"special", 32, OP_SQRT, SNZ, 0, 0, RNE, SNZ, 0},
    {"special", 32, OP_SQRT, 0x40800000u, 0, 0, RNE, S2, 0},
    {"special", 64, OP_SQRT, DMINS, 0, 0, RNE, 0x1e60000000000000ull, 0},
    {"zero-sign", 64, OP_ADD, D1, DM1, 0, RNE, 0, 0},
    {"zero-sign", 64, OP_ADD, D1, DM1, 0, RDN, DNZ, 0},
    {"zero-sign", 64, OP_ADD, D1, DM1, 0, RUP, 0, 0},
    {"zero-sign", 64, OP_ADD, 0, DNZ, 0, RNE, 0, 0},
    {"zero-sign", 64, OP_ADD, 0, DNZ, 0, RDN, DNZ, 0},
    {"zero-sign", 64, OP_ADD, DNZ, DNZ, 0, RNE, DNZ, 0},
    {"zero-sign", 64, OP_SUB, 0, 0, 0, RNE, 0, 0},
    {"zero-sign", 64, OP_SUB, 0, 0, 0, RDN, DNZ, 0},
    {"zero-sign", 64, OP_MUL, DNZ, D1, 0, RNE, DNZ, 0},
    {"zero-sign", 64, OP_FMA, D1, D1, DM1, RNE, 0, 0},
    {"zero-sign", 64, OP_FMA, D1, D1, DM1, RDN, DNZ, 0},
    {"zero-sign", 64, OP_FMA, 0, DM1, DNZ, RNE, DNZ, 0},
    {"zero-sign", 64, OP_FMA, 0, D1, DNZ, RNE, 0, 0},
    {"zero-sign", 64, OP_FMA, 0, D1, DNZ, RDN, DNZ, 0},
    {"zero-sign", 32, OP_FMA, S1, S1, SM1, RDN, SNZ, 0},
    {"zero-sign", 32, OP_ADD, SNZ, 0, 0, RDN, SNZ, 0},
    {"zero-sign", 32, OP_ADD, S1, SM1, 0, RDN, SNZ, 0},
    /* fma: one rounding, tiny products */
    {"fma", 64, OP_FMA, 0x3ff0000000000001ull, 0x3ff0000000000001ull, DM1, RNE,
     0x3cc0000000000000ull, NX},
    {"fma", 64, OP_FMA, 0x3ff0000000000001ull, 0x3ff0000000000001ull, DM1, RUP,
     0x3cc0000000000001ull, NX},
    {"fma", 64, OP_FMA, DMINS, DMINS, D1, RNE, D1, NX},
    {"fma", 64, OP_FMA, DMINS, DMINS, D1, RUP, 0x3ff0000000000001ull, NX},
    {"fma", 64, OP_FMA, DMINS, DMINS, DM1, RUP, 0xbfefffffffffffffull, NX},
    {"fma", 64, OP_FMA, DMINS, DMINS, 0, RNE, 0, UF | NX},
    {"fma", 64, OP_FMA, DMINS, DMINS, 0, RUP, DMINS, UF | NX},
    {"fma", 64, OP_FMA, DMAX, D2, DNINF, RNE, DNINF, 0},
    {"fma", 64, OP_FMA, DMAX, D2, DMAX | DNZ, RNE, DMAX, 0},
    {"fma", 32, OP_FMA, 0x3f800001u, 0x3f800001u, SM1, RNE, 0x34800000u, NX},
    {"fma", 32, OP_FMA, 0x3f800001u, 0x3f800001u, SM1, RUP, 0x34800001u, NX},
    {"fma", 32, OP_FMA, SMINS, SMINS, S1, RUP, 0x3f800001u, NX},
    /* f64 -> f32 narrowing */
    {"narrow", 64, OP_CVT, 0x47efffffe0000000ull, 0, 0, RNE, SMAX, 0},
    {"narrow", 64, OP_CVT, 0x47efffffefffffffull, 0, 0, RNE, SMAX, NX},
    {"narrow", 64, OP_CVT, 0x47effffff0000000ull, 0, 0, RNE, SINF, OF | NX},
    {"narrow", 64, OP_CVT, 0x47effffff0000000ull, 0, 0, RTZ, SMAX, NX},
    {"narrow", 64, OP_CVT, 0x47f0000000000000ull, 0, 0, RTZ, SMAX, OF | NX},
    {"narrow", 64, OP_CVT, 0x3690000000000000ull, 0, 0, RNE, 0, UF | NX},
    {"narrow", 64, OP_CVT, 0x3690000000000001ull, 0, 0, RNE, SMINS, UF | NX},
    {"narrow", 64, OP_CVT, 0x3690000000000000ull, 0, 0, RMM, SMINS, UF | NX},
    {"narrow", 64, OP_CVT, 0x36a0000000000000ull, 0, 0, RNE, SMINS, 0},
    {"narrow", 64, OP_CVT, 0x36a8000000000000ull, 0, 0, RNE, 0x2u, UF | NX},
    {"narrow", 64, OP_CVT, 0x36a8000000000000ull, 0, 0, RTZ, SMINS, UF | NX},
    {"narrow", 64, OP_CVT, 0x380fffffc0000000ull, 0, 0, RNE, 0x007fffffu, 0},
    {"narrow", 64, OP_CVT, 0x380fffffe0000000ull, 0, 0, RNE, SMINN, UF | NX},
    {"narrow", 64, OP_CVT, 0x380ffffff0000000ull, 0, 0, RNE, SMINN, NX},
    {"narrow", 64, OP_CVT, 0x380ffffff0000000ull, 0, 0, RTZ, 0x007fffffu, UF | NX},
    {"narrow", 64, OP_CVT, 0x380ffffff8000000ull, 0, 0, RNE, SMINN, NX},
    {"narrow", 64, OP_CVT, DMINS, 0, 0, RUP, SMINS, UF | NX},
    {"narrow", 64, OP_CVT, DMINS | DNZ, 0, 0, RNE, SNZ, UF | NX},
    {"narrow", 64, OP_CVT, DINF, 0, 0, RNE, SINF, 0},
    {"narrow", 64, OP_CVT, DNZ, 0, 0, RNE, SNZ, 0},
    {"widen", 32, OP_CVT, SMINS, 0, 0, RNE, 0x36a0000000000000ull, 0},
    {"widen", 32, OP_CVT, SMAX, 0, 0, RNE, 0x47efffffe0000000ull, 0},
    {"widen", 32, OP_CVT, SNINF, 0, 0, RNE, DNINF, 0},
    {"widen", 32, OP_CVT, SNZ, 0, 0, RNE, DNZ, 0},
    /* fmin/fmax: -0 < +0, NaN operands */
    {"minmax", 64, OP_MIN, DNZ, 0, 0, 0, DNZ, 0},
    {"minmax", 64, OP_MIN, 0, DNZ, 0, 0, DNZ, 0},
    {"minmax", 64, OP_MAX, DNZ, 0, 0, 0, 0, 0},
    {"minmax", 64, OP_MAX, 0, DNZ, 0, 0, 0, 0},
    {"minmax", 64, OP_MIN, DQNANP, D1, 0, 0, D1, 0},
    {"minmax", 64, OP_MAX, D1, DQNAN, 0, 0, D1, 0},
    {"minmax", 64, OP_MIN, DSNAN, D1, 0, 0, D1, NV},
    {"minmax", 64, OP_MAX, DNINF, DSNAN, 0, 0, DNINF, NV},
    {"minmax", 64, OP_MIN, DQNANP, DQNAN, 0, 0, CN64, 0},
    {"minmax", 64, OP_MAX, DSNAN, DQNAN, 0, 0, CN64, NV},
    {"minmax", 64, OP_MIN, DNINF, DINF, 0, 0, DNINF, 0},
    {"minmax", 64, OP_MAX, DM1, D2, 0, 0, D2, 0},
    {"minmax", 64, OP_MIN, DM1, 0xc000000000000000ull, 0, 0, 0xc000000000000000ull, 0},
    {"minmax", 32, OP_MIN, SNZ, 0, 0, 0, SNZ, 0},
    {"minmax", 32, OP_MAX, SNZ, 0, 0, 0, 0, 0},
    {"minmax", 32, OP_MIN, SQNANP, SM1, 0, 0, SM1, 0},
    {"minmax", 32, OP_MAX, SSNAN, SM1, 0, 0, SM1, NV},
    {"minmax", 32, OP_MAX, SSNAN, SSNAN, 0, 0, CN32, NV},
    /* comparisons: feq quiet, flt/fle signalling */
    {"compare", 64, OP_EQ, DQNAN, D1, 0, 0, 0, 0},
    {"compare", 64, OP_EQ, DSNAN, D1, 0, 0, 0, NV},
    {"compare", 64, OP_EQ, DQNAN, DQNAN, 0, 0, 0, 0},
    {"compare", 64, OP_EQ, 0, DNZ, 0, 0, 1, 0},
    {"compare", 64, OP_LT, DQNAN, D1, 0, 0, 0, NV},
    {"compare", 64, OP_LE, D1, DQNAN, 0, 0, 0, NV},
    {"compare", 64, OP_LT, DNZ, 0, 0, 0, 0, 0},
    {"compare", 64, OP_LE, DNZ, 0, 0, 0, 1, 0},
    {"compare", 64, OP_LT, DM1, D1, 0, 0, 1, 0},
    {"compare", 64, OP_LT, DNINF, DMINS | DNZ, 0, 0, 1, 0},
    {"compare", 32, OP_EQ, SSNAN, SSNAN, 0, 0, 0, NV},
    {"compare", 32, OP_EQ, SQNAN, S1, 0, 0, 0, 0},
    {"compare", 32, OP_LT, SQNAN, S1, 0, 0, 0, NV},
    {"compare", 32, OP_LE, SNZ, 0, 0, 0, 1, 0},
    {"compare", 32, OP_LT, SM1, SNZ, 0, 0, 1, 0},
    /* fclass: the ten classes in both formats */
    {"fclass", 64, OP_CLASS, DNINF, 0, 0, 0, 1 << 0, 0},
    {"fclass", 64, OP_CLASS, DM1, 0, 0, 0, 1 << 1, 0},
    {"fclass", 64, OP_CLASS, DMINS | DNZ, 0, 0, 0, 1 << 2, 0},
    {"fclass", 64, OP_CLASS, DNZ, 0, 0, 0, 1 << 3, 0},
    {"fclass", 64, OP_CLASS, 0, 0, 0, 0, 1 << 4, 0},
    {"fclass", 64, OP_CLASS, 0x000fffffffffffffull, 0, 0, 0, 1 << 5, 0},
    {"fclass", 64, OP_CLASS, DMINN, 0, 0, 0, 1 << 6, 0},
    {"fclass", 64, OP_CLASS, DINF, 0, 0, 0, 1 << 7, 0},
    {"fclass", 64, OP_CLASS, DSNAN, 0, 0, 0, 1 << 8, 0},
    {"fclass", 64, OP_CLASS, DQNANP | DNZ, 0, 0, 0, 1 << 9, 0},
    {"fclass", 32, OP_CLASS, SNINF, 0, 0, 0, 1 << 0, 0},
    {"fclass", 32, OP_CLASS, SMAX | SNZ, 0, 0, 0, 1 << 1, 0},
    {"fclass", 32, OP_CLASS, 0x807fffffu, 0, 0, 0, 1 << 2, 0},
    {"fclass", 32, OP_CLASS, SNZ, 0, 0, 0, 1 << 3, 0},
    {"fclass", 32, OP_CLASS, 0, 0, 0, 0, 1 << 4, 0},
    {"fclass", 32, OP_CLASS, SMINS, 0, 0, 0, 1 << 5, 0},
    {"fclass", 32, OP_CLASS, S1, 0, 0, 0, 1 << 6, 0},
    {"fclass", 32, OP_CLASS, SINF, 0, 0, 0, 1 << 7, 0},
    {"fclass", 32, OP_CLASS, 0x7fbfffffu, 0, 0, 0, 1 << 8, 0},
    {"fclass", 32, OP_CLASS, SQNAN, 0, 0, 0, 1 << 9, 0},
    /* fcvt to integer: every bound of the ISA's domain table */
    {"fcvt", 64, OP_TOI32, 0x41dfffffffc00000ull, 0, 0, RNE, 0x7fffffff, 0},
    {"fcvt", 64, OP_TOI32, 0x41dfffffffe00000ull, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, 0x41dfffffffe00000ull, 0, 0, RTZ, 0x7fffffff, NX},
    {"fcvt", 64, OP_TOI32, 0x41e0000000000000ull, 0, 0, RTZ, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, 0xc1e0000000000000ull, 0, 0, RNE, SE32(0x80000000u), 0},
    {"fcvt", 64, OP_TOI32, 0xc1e0000000100000ull, 0, 0, RTZ, SE32(0x80000000u), NX},
    {"fcvt", 64, OP_TOI32, 0xc1e0000000100000ull, 0, 0, RNE, SE32(0x80000000u), NX},
    {"fcvt", 64, OP_TOI32, 0xc1e0000000100000ull, 0, 0, RDN, SE32(0x80000000u), NV},
    {"fcvt", 64, OP_TOI32, 0xc1e0000000200000ull, 0, 0, RTZ, SE32(0x80000000u), NV},
    {"fcvt", 64, OP_TOI32, DQNAN, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, DQNAN | DNZ, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, DSNAN, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, DINF, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 64, OP_TOI32, DNINF, 0, 0, RNE, SE32(0x80000000u), NV},
    {"fcvt", 64, OP_TOI32, DNZ, 0, 0, RNE, 0, 0},
    {"fcvt", 64, OP_TOI32, 0x3fe8000000000000ull, 0, 0, RTZ, 0, NX},
    {"fcvt", 64, OP_TOI32, 0xbfe8000000000000ull, 0, 0, RDN, SE32(-1), NX},
    {"fcvt", 64, OP_TOU32, 0xbfd3333333333333ull, 0, 0, RTZ, 0, NX},
    {"fcvt", 64, OP_TOU32, 0xbfe0000000000000ull, 0, 0, RNE, 0, NX},
    {"fcvt", 64, OP_TOU32, 0xbfe0000000000000ull, 0, 0, RMM, 0, NV},
    {"fcvt", 64, OP_TOU32, 0xbfe6666666666666ull, 0, 0, RNE, 0, NV},
    {"fcvt", 64, OP_TOU32, 0xbfe6666666666666ull, 0, 0, RUP, 0, NX},
    {"fcvt", 64, OP_TOU32, DM1, 0, 0, RTZ, 0, NV},
    {"fcvt", 64, OP_TOU32, 0x41efffffffe00000ull, 0, 0, RNE, SE32(0xffffffffu), 0},
    {"fcvt", 64, OP_TOU32, 0x41efffffffe00000ull, 0, 0, RNE, 0xffffffffffffffffull, 0},
    {"fcvt", 64, OP_TOU32, 0x41efffffffefffffull, 0, 0, RTZ, 0xffffffffffffffffull, NX},
    {"fcvt", 64, OP_TOU32, 0x41efffffffe80000ull, 0, 0, RNE, 0xffffffffffffffffull, NX},
    {"fcvt", 64, OP_TOU32, 0x41effffffff00000ull, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU32, 0x41effffffff00000ull, 0, 0, RDN, 0xffffffffffffffffull, NX},
    {"fcvt", 64, OP_TOU32, 0x41f0000000000000ull, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU32, 0x41e0000000000000ull, 0, 0, RNE, SE32(0x80000000u), 0},
    {"fcvt", 64, OP_TOU32, DQNAN, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU32, DINF, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU32, DNINF, 0, 0, RNE, 0, NV},
    {"fcvt", 64, OP_TOI64, 0x43e0000000000000ull, 0, 0, RNE, 0x7fffffffffffffffull, NV},
    {"fcvt", 64, OP_TOI64, 0x43dfffffffffffffull, 0, 0, RNE, 0x7ffffffffffffc00ull, 0},
    {"fcvt", 64, OP_TOI64, 0xc3e0000000000000ull, 0, 0, RNE, 0x8000000000000000ull, 0},
    {"fcvt", 64, OP_TOI64, 0xc3e0000000000001ull, 0, 0, RNE, 0x8000000000000000ull, NV},
    {"fcvt", 64, OP_TOI64, DQNAN, 0, 0, RNE, 0x7fffffffffffffffull, NV},
    {"fcvt", 64, OP_TOI64, DNINF, 0, 0, RNE, 0x8000000000000000ull, NV},
    {"fcvt", 64, OP_TOU64, 0x43f0000000000000ull, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU64, 0x43efffffffffffffull, 0, 0, RNE, 0xfffffffffffff800ull, 0},
    {"fcvt", 64, OP_TOU64, DNZ, 0, 0, RNE, 0, 0},
    {"fcvt", 64, OP_TOU64, DM1, 0, 0, RNE, 0, NV},
    {"fcvt", 64, OP_TOU64, DQNAN | DNZ, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 64, OP_TOU64, DINF, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 32, OP_TOI32, 0x4effffffu, 0, 0, RNE, 0x7fffff80, 0},
    {"fcvt", 32, OP_TOI32, 0x4f000000u, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 32, OP_TOI32, 0xcf000000u, 0, 0, RNE, SE32(0x80000000u), 0},
    {"fcvt", 32, OP_TOI32, 0xcf000001u, 0, 0, RNE, SE32(0x80000000u), NV},
    {"fcvt", 32, OP_TOI32, SQNAN, 0, 0, RNE, 0x7fffffff, NV},
    {"fcvt", 32, OP_TOU32, 0x4f7fffffu, 0, 0, RNE, SE32(0xffffff00u), 0},
    {"fcvt", 32, OP_TOU32, 0x4f800000u, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 32, OP_TOU32, 0xbf000000u, 0, 0, RNE, 0, NX},
    {"fcvt", 32, OP_TOU32, SQNAN, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 32, OP_TOI64, 0x5f000000u, 0, 0, RNE, 0x7fffffffffffffffull, NV},
    {"fcvt", 32, OP_TOI64, 0xdf000000u, 0, 0, RNE, 0x8000000000000000ull, 0},
    {"fcvt", 32, OP_TOU64, 0x5f7fffffu, 0, 0, RNE, 0xffffff0000000000ull, 0},
    {"fcvt", 32, OP_TOU64, 0x5f800000u, 0, 0, RNE, 0xffffffffffffffffull, NV},
    {"fcvt", 32, OP_TOU64, SNINF, 0, 0, RNE, 0, NV},
    /* integer -> float */
    {"fcvt-int", 32, OP_FROMI64, 0x8000000000000000ull, 0, 0, RNE, 0xdf000000u, 0},
    {"fcvt-int", 32, OP_FROMU64, 0xffffffffffffffffull, 0, 0, RNE, 0x5f800000u, NX},
    {"fcvt-int", 32, OP_FROMU64, 0xffffffffffffffffull, 0, 0, RTZ, 0x5f7fffffu, NX},
    {"fcvt-int", 32, OP_FROMU32, 0xffffffffu, 0, 0, RNE, 0x4f800000u, NX},
    {"fcvt-int", 32, OP_FROMI32, 0x80000000u, 0, 0, RNE, 0xcf000000u, 0},
    {"fcvt-int", 32, OP_FROMI32, 0, 0, 0, RDN, 0, 0},
    {"fcvt-int", 64, OP_FROMU64, 0xffffffffffffffffull, 0, 0, RNE, 0x43f0000000000000ull, NX},
    {"fcvt-int", 64, OP_FROMU64, 0xffffffffffffffffull, 0, 0, RTZ, 0x43efffffffffffffull, NX},
    {"fcvt-int", 64, OP_FROMI64, 0x8000000000000000ull, 0, 0, RNE, 0xc3e0000000000000ull, 0},
    {"fcvt-int", 64, OP_FROMI64, 0x8000000000000001ull, 0, 0, RDN, 0xc3e0000000000000ull, NX},
    {"fcvt-int", 64, OP_FROMI64, 0x8000000000000001ull, 0, 0, RUP, 0xc3dfffffffffffffull, NX},
    {"fcvt-int", 64, OP_FROMI32, 0x80000000u, 0, 0, RNE, 0xc1e0000000000000ull, 0},
    {"fcvt-int", 64, OP_FROMU32, 0xffffffffu, 0, 0, RNE, 0x41efffffffe00000ull, 0},
    {"fcvt-int", 64, OP_FROMI64, 0x0020000000000001ull, 0, 0, RMM, 0x4340000000000001ull, NX},
    {"fcvt-int", 64, OP_FROMI64, 0x0020000000000001ull, 0, 0, RNE, 0x4340000000000000ull, NX},
};

static uint64_t run_vector(const vec_t *v, uint32_t *fl)
{
    uint64_t a = v->a, b = v->b, c = v->c;
    int rm = v->rm;
    if (v->w == 32) {
        uint32_t x = (uint32_t)a, y = (uint32_t)b, z = (uint32_t)c;
        switch (v->op) {
        case OP_ADD: return f32_add(x, y, rm, fl);
        case OP_SUB: return f32_sub(x, y, rm, fl);
        case OP_MUL: return f32_mul(x, y, rm, fl);
        case OP_DIV: return f32_div(x, y, rm, fl);
        case OP_SQRT: return f32_sqrt(x, rm, fl);
        case OP_FMA: return f32_fma(x, y, z, rm, fl);
        case OP_MIN: return f32_min(x, y, fl);
        case OP_MAX: return f32_max(x, y, fl);
        case OP_EQ: return f32_eq(x, y, fl);
        case OP_LT: return f32_lt(x, y, fl);
        case OP_LE: return f32_le(x, y, fl);
        case OP_CLASS: return f32_classify(x);
        case OP_TOI32: return (uint64_t)f32_to_i32(x, rm, fl);
        case OP_TOU32: return (uint64_t)f32_to_u32(x, rm, fl);
        case OP_TOI64: return (uint64_t)f32_to_i64(x, rm, fl);
        case OP_TOU64: return f32_to_u64(x, rm, fl);
        case OP_FROMI32: return i32_to_f32((int32_t)x, rm, fl);
        case OP_FROMU32: return u32_to_f32(x, rm, fl);
        case OP_FROMI64: return i64_to_f32((int64_t)a, rm, fl);
        case OP_FROMU64: return u64_to_f32(a, rm, fl);
        case OP_CVT: return f32_to_f64(x, fl);
        }
    } else {
        switch (v->op) {
        case OP_ADD: return f64_add(a, b, rm, fl);
        case OP_SUB: return f64_sub(a, b, rm, fl);
        case OP_MUL: return f64_mul(a, b, rm, fl);
        case OP_DIV: return f64_div(a, b, rm, fl);
        case OP_SQRT: return f64_sqrt(a, rm, fl);
        case OP_FMA: return f64_fma(a, b, c, rm, fl);
        case OP_MIN: return f64_min(a, b, fl);
        case OP_MAX: return f64_max(a, b, fl);
        case OP_EQ: return f64_eq(a, b, fl);
        case OP_LT: return f64_lt(a, b, fl);
        case OP_LE: return f64_le(a, b, fl);
        case OP_CLASS: return f64_classify(a);
        case OP_TOI32: return (uint64_t)f64_to_i32(a, rm, fl);
        case OP_TOU32: return (uint64_t)f64_to_u32(a, rm, fl);
        case OP_TOI64: return (uint64_t)f64_to_i64(a, rm, fl);
        case OP_TOU64: return f64_to_u64(a, rm, fl);
        case OP_FROMI32: return i32_to_f64((int32_t)(uint32_t)a, rm, fl);
        case OP_FROMU32: return u32_to_f64((uint32_t)a, rm, fl);
        case OP_FROMI64: return i64_to_f64((int64_t)a, rm, fl);
        case OP_FROMU64: return u64_to_f64(a, rm, fl);
        case OP_CVT: return f64_to_f32(a, rm, fl);
        }
    }
    return 0;
}

static void run_vectors(void)
{
    static const char *groups[] = {"tininess", "underflow", "overflow", "rmm",    "nan",
                                   "special",  "zero-sign", "fma",      "narrow", "widen",
                                   "minmax",   "compare",   "fclass",   "fcvt",   "fcvt-int"};
    size_t nv = sizeof vectors / sizeof vectors[0];
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        int count = 0, bad = 0;
        for (size_t i = 0; i < nv; i++) {
            const vec_t *v = &vectors[i];
            if (strcmp(v->group, groups[g]) != 0)
                continue;
            count++;
            uint32_t fl = 0;
            uint64_t got = run_vector(v, &fl);
            if (got != v->want || fl != v->wflags) {
                bad++;
                printf("  mismatch vector #%zu (%s, op %d, f%d, %s) a=%#llx b=%#llx c=%#llx: "
                       "got %#llx flags %#x, want %#llx flags %#x\n",
                       i, v->group, v->op, v->w, rm_name[v->rm], (unsigned long long)v->a,
                       (unsigned long long)v->b, (unsigned long long)v->c, (unsigned long long)got,
                       fl, (unsigned long long)v->want, v->wflags);
            }
        }
        char d[96];
        snprintf(d, sizeof d, " hand vectors: %d", count);
        check(bad == 0 && count > 0, groups[g], d);
    }
}

/* The oracle's own assumptions, checked on the host with known vectors:
 * tininess after rounding, and fma() honouring the rounding mode. */
static void check_host_assumptions(void)
{
    fesetround(FE_TONEAREST);
    host_clear();
    uint64_t r = h_f64_mul(0x0010000000000001ull, 0x3feffffffffffffeull, 0);
    uint32_t fl = host_flags();
    check(r == DMINN && fl == NX, "host", " detects tininess after rounding");
    fesetround(FE_UPWARD);
    host_clear();
    r = h_f64_fma(0x3ff0000000000001ull, 0x3ff0000000000001ull, DM1);
    fl = host_flags();
    fesetround(FE_TONEAREST);
    bool ok = r == 0x3cc0000000000001ull && fl == NX;
    fesetround(FE_DOWNWARD);
    host_clear();
    r = h_f32_fma(SMINS, SMINS, SM1);
    fl = host_flags();
    fesetround(FE_TONEAREST);
    ok = ok && r == SM1 && fl == NX;
    check(ok, "host", " fma()/fmaf() honour the rounding mode");
}

/* ---------------- bench ---------------- */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void bench(void)
{
    enum { N = 4096, REPS = 2000 };
    static uint64_t x[N], y[N], z[N];
    rng_t r = {42};
    for (int i = 0; i < 3 * N; i++) {
        /* normal operands in a moderate range, as benchmarks produce */
        uint64_t sign = rnd(&r) & 1;
        int64_t e = 1023 - 20 + (int64_t)(rnd(&r) % 41);
        uint64_t v = pack(&F64, sign, e, rnd(&r));
        if (i < N)
            x[i] = v;
        else if (i < 2 * N)
            y[i - N] = v;
        else
            z[i - 2 * N] = v;
    }
    static const char *names[5] = {"add", "mul", "fma", "div", "sqrt"};
    for (int op = 0; op < 5; op++) {
        uint64_t acc = 0;
        uint32_t fl = 0;
        double best = 1e9;
        for (int run = 0; run < 3; run++) { /* best of three: the machine is shared */
            double t0 = now();
            for (int k = 0; k < REPS / 3; k++)
                for (int i = 0; i < N; i++) {
                    switch (op) {
                    case 0: acc += f64_add(x[i], y[i], RV_RM_RNE, &fl); break;
                    case 1: acc += f64_mul(x[i], y[i], RV_RM_RNE, &fl); break;
                    case 2: acc += f64_fma(x[i], y[i], z[i], RV_RM_RNE, &fl); break;
                    case 3: acc += f64_div(x[i], y[i], RV_RM_RNE, &fl); break;
                    default: acc += f64_sqrt(x[i] & ~(1ull << 63), RV_RM_RNE, &fl); break;
                    }
                }
            double dt = now() - t0;
            if (dt < best)
                best = dt;
        }
        printf("bench: f64_%s %.1f Mops/s (checksum %llx)\n", names[op],
               (double)N * (REPS / 3) / best / 1e6, (unsigned long long)(acc ^ fl));
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bench") == 0) {
        bench();
        return 0;
    }
    long n = argc > 1 ? atol(argv[1]) : 250000;
    static char label[64];
    if (argc > 2) {
        snprintf(label, sizeof label, " [%s]", argv[2]);
        g_label = label;
    }
    uint64_t seed = 0x5eed0f9u;

    check_host_assumptions();
    run_vectors();

    static const family_t fams[] = {
        {"f32_add", &F32, &F32, 2, 0, h_f32_add, m_f32_add},
        {"f32_sub", &F32, &F32, 2, 0, h_f32_sub, m_f32_sub},
        {"f32_mul", &F32, &F32, 2, 1, h_f32_mul, m_f32_mul},
        {"f32_div", &F32, &F32, 2, 2, h_f32_div, m_f32_div},
        {"f32_sqrt", &F32, &F32, 1, 0, h_f32_sqrt, m_f32_sqrt},
        {"f32_fma", &F32, &F32, 3, 1, h_f32_fma, m_f32_fma},
        {"f64_add", &F64, &F64, 2, 0, h_f64_add, m_f64_add},
        {"f64_sub", &F64, &F64, 2, 0, h_f64_sub, m_f64_sub},
        {"f64_mul", &F64, &F64, 2, 1, h_f64_mul, m_f64_mul},
        {"f64_div", &F64, &F64, 2, 2, h_f64_div, m_f64_div},
        {"f64_sqrt", &F64, &F64, 1, 0, h_f64_sqrt, m_f64_sqrt},
        {"f64_fma", &F64, &F64, 3, 1, h_f64_fma, m_f64_fma},
        {"f32_to_f64", &F32, &F64, 1, 0, h_f32_to_f64, m_f32_to_f64},
        {"f64_to_f32", &F64, &F32, 1, 0, h_f64_to_f32, m_f64_to_f32},
    };
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++)
        run_family(&fams[i], n, seed + i * 1000);
    run_rmm(n, seed + 7);
    run_rmm_narrow(n, seed + 9);
    run_ftz_independence(n, seed + 10);
    run_compare(n, seed + 11);
    run_to_int(n / 2, seed + 13);
    run_from_int(n / 2, seed + 17);
    return g_fail ? 1 : 0;
}
