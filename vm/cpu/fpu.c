/* IEEE 754-2008 binary32/binary64 arithmetic for the RISC-V F and D
 * extensions (unprivileged ISA, chapters "F" and "D"), in integer C. The
 * one use of host floating point is an optional shortcut for RNE
 * add/sub/mul/div on operands and results far from the range limits, where
 * the host's IEEE result is provably the same and inexactness is derived
 * exactly (see "RNE fast paths"); it assumes the host rounding mode is
 * round-to-nearest, which nothing in the VM changes.
 *
 * Internal convention, shared by every operation: a finite nonzero value is
 * (sign, e, sig) with value = sig * 2^(e - bias - 62), sig normalised so that
 * bit 62 is its leading one, e the biased exponent of the target format
 * (it may be <= 0 or >= emax before rounding). Bits below the format's
 * precision are round bits; bit 0 is a sticky ("jam") bit wherever a shift
 * dropped nonzero bits. round_pack() turns that into a rounded encoding.
 *
 * The format is passed as two compile-time constants (M = stored mantissa
 * bits, EB = exponent bits); the helpers are forced inline so every wrapper
 * compiles to straight-line code for its own format. */
#include "fpu.h"

#include <float.h>
#include <string.h>

/* Optional fast path for RNE add/sub/mul/div (see host_* below): host
 * binary arithmetic is IEEE round-to-nearest-even where FLT_EVAL_METHOD is 0
 * (SSE2, wasm), the host mode is never changed, and -ffast-math is not in
 * force. RV_FPU_NO_HOST_FP turns it off so the test can exercise the integer
 * path in RNE too. */
#if defined(FLT_EVAL_METHOD) && FLT_EVAL_METHOD == 0 && !defined(__FAST_MATH__) &&                 \
    !defined(RV_FPU_NO_HOST_FP)
#define FPU_HOST_FAST 1
#else
#define FPU_HOST_FAST 0
#endif

#if defined(__GNUC__)
#define FPU_INLINE static inline __attribute__((always_inline))
#else
#define FPU_INLINE static inline
#endif

/* Format parameters. */
#define F32P 23, 8
#define F64P 52, 11

#define BIAS(EB) ((1 << ((EB)-1)) - 1)
#define EMAX(EB) ((1 << (EB)) - 1)
#define SIGNBIT(M, EB) ((uint64_t)1 << ((M) + (EB)))
#define INFBITS(M, EB) ((uint64_t)EMAX(EB) << (M))
#define QUIETBIT(M) ((uint64_t)1 << ((M)-1))
#define CANON(M, EB) (INFBITS(M, EB) | QUIETBIT(M))
#define MANTMASK(M) (((uint64_t)1 << (M)) - 1)

typedef struct {
    uint64_t hi, lo;
} u128;

/* ---- integer helpers ---- */

FPU_INLINE int clz64(uint64_t x) /* x != 0 */
{
    return __builtin_clzll(x);
}

FPU_INLINE uint64_t shr_jam64(uint64_t x, uint32_t n)
{
    if (n == 0)
        return x;
    if (n < 64)
        return (x >> n) | ((x << (64 - n)) != 0);
    return x != 0;
}

/* 64x64 -> 128. The portable path is what non-int128 targets use, and
 * wasm32 too, where __int128 becomes a libcall (__multi3) that measured
 * slower than the four 32x32 products; the test builds a copy of this file
 * with RV_FPU_PORTABLE defined to exercise it. */
FPU_INLINE u128 mul64(uint64_t a, uint64_t b)
{
#if defined(__SIZEOF_INT128__) && !defined(RV_FPU_PORTABLE) && !defined(__wasm__)
    unsigned __int128 p = (unsigned __int128)a * b;
    return (u128){(uint64_t)(p >> 64), (uint64_t)p};
#else
    uint64_t a0 = (uint32_t)a, a1 = a >> 32, b0 = (uint32_t)b, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (uint32_t)p01 + (uint32_t)p10;
    return (u128){p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (uint32_t)p00};
#endif
}

FPU_INLINE u128 shl128(u128 x, uint32_t n) /* n < 128 */
{
    if (n == 0)
        return x;
    if (n < 64)
        return (u128){(x.hi << n) | (x.lo >> (64 - n)), x.lo << n};
    return (u128){x.lo << (n - 64), 0};
}

FPU_INLINE u128 shr_jam128(u128 x, uint32_t n)
{
    if (n == 0)
        return x;
    if (n < 64)
        return (u128){x.hi >> n, (x.lo >> n) | (x.hi << (64 - n)) | ((x.lo << (64 - n)) != 0)};
    if (n == 64)
        return (u128){0, x.hi | (x.lo != 0)};
    if (n < 128)
        return (u128){0, (x.hi >> (n - 64)) | (((x.hi << (128 - n)) | x.lo) != 0)};
    return (u128){0, (x.hi | x.lo) != 0};
}

FPU_INLINE u128 add128(u128 a, u128 b)
{
    uint64_t lo = a.lo + b.lo;
    return (u128){a.hi + b.hi + (lo < a.lo), lo};
}

FPU_INLINE u128 sub128(u128 a, u128 b)
{
    return (u128){a.hi - b.hi - (a.lo < b.lo), a.lo - b.lo};
}

FPU_INLINE bool lt128(u128 a, u128 b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

/* (u1:u0) / v for u1 < v: Knuth's algorithm D with 32-bit digits (TAOCP
 * 4.3.1), two hardware 64/64 divisions and at most two corrections each. */
static uint64_t udiv128(uint64_t u1, uint64_t u0, uint64_t v, uint64_t *rem)
{
    int s = clz64(v);
    v <<= s;
    if (s) {
        u1 = (u1 << s) | (u0 >> (64 - s));
        u0 <<= s;
    }
    uint64_t vn1 = v >> 32, vn0 = (uint32_t)v;
    uint64_t un1 = u0 >> 32, un0 = (uint32_t)u0;
    uint64_t q1 = u1 / vn1, rhat = u1 - q1 * vn1;
    while ((q1 >> 32) || q1 * vn0 > ((rhat << 32) | un1)) {
        q1--;
        rhat += vn1;
        if (rhat >> 32)
            break;
    }
    uint64_t un21 = ((u1 << 32) | un1) - q1 * v;
    uint64_t q0 = un21 / vn1;
    rhat = un21 - q0 * vn1;
    while ((q0 >> 32) || q0 * vn0 > ((rhat << 32) | un0)) {
        q0--;
        rhat += vn1;
        if (rhat >> 32)
            break;
    }
    *rem = (((un21 << 32) | un0) - q0 * v) >> s;
    return (q1 << 32) | q0;
}

/* ceil(sqrt((t + 1) * 2^54)) for t = 64..255: an upper bound for the root of
 * any x in [t * 2^54, (t + 1) * 2^54), at most 0.8% high. */
static const uint32_t isqrt_seed[192] = {
    0x407f80fe, 0x40fe07d9, 0x417b9a3c, 0x41f83d9b, 0x4273f737, 0x42eecc1f, 0x4368c137, 0x43e1db34,
    0x445a1ea3, 0x44d18fe9, 0x45483345, 0x45be0cd2, 0x46332088, 0x46a7723e, 0x471b05ad, 0x478dde6f,
    0x48000000, 0x48716dc4, 0x48e22b01, 0x49523ae5, 0x49c1a087, 0x4a305ee5, 0x4a9e78e9, 0x4b0bf166,
    0x4b78cb1a, 0x4be508b1, 0x4c50acc3, 0x4cbbb9d6, 0x4d26325f, 0x4d9018c2, 0x4df96f51, 0x4e623851,
    0x4eca75f6, 0x4f322a67, 0x4f9957bc, 0x50000000, 0x50662531, 0x50cbc93f, 0x5130ee10, 0x5195957d,
    0x51f9c153, 0x525d7356, 0x52c0ad3e, 0x532370ba, 0x5385bf6c, 0x53e79af0, 0x544904d6, 0x54a9fea8,
    0x550a89e4, 0x556aa801, 0x55ca5a6f, 0x5629a293, 0x568881ce, 0x56e6f976, 0x57450adc, 0x57a2b749,
    0x58000000, 0x585ce63d, 0x58b96b35, 0x59159016, 0x5971560a, 0x59ccbe35, 0x5a27c9b2, 0x5a82799a,
    0x5adccf00, 0x5b36caef, 0x5b906e70, 0x5be9ba86, 0x5c42b02e, 0x5c9b5061, 0x5cf39c14, 0x5d4b9437,
    0x5da339b5, 0x5dfa8d76, 0x5e51905c, 0x5ea84347, 0x5efea711, 0x5f54bc92, 0x5faa849c, 0x60000000,
    0x60552f8a, 0x60aa1402, 0x60feae2e, 0x6152fece, 0x61a706a2, 0x61fac665, 0x624e3ece, 0x62a17094,
    0x62f45c69, 0x634702fa, 0x639964f6, 0x63eb8306, 0x643d5dd0, 0x648ef5f9, 0x64e04c23, 0x653160ec,
    0x658234f2, 0x65d2c8ce, 0x66231d18, 0x66733267, 0x66c3094d, 0x6712a25b, 0x6761fe20, 0x67b11d29,
    0x68000000, 0x684ea72f, 0x689d133b, 0x68eb44a9, 0x69393bfc, 0x6986f9b4, 0x69d47e52, 0x6a21ca50,
    0x6a6ede2c, 0x6abbba5f, 0x6b085f60, 0x6b54cda6, 0x6ba105a5, 0x6bed07d1, 0x6c38d49b, 0x6c846c72,
    0x6ccfcfc6, 0x6d1aff02, 0x6d65fa92, 0x6db0c2e1, 0x6dfb5857, 0x6e45bb5b, 0x6e8fec52, 0x6ed9eba2,
    0x6f23b9ad, 0x6f6d56d6, 0x6fb6c37c, 0x70000000, 0x70490cc0, 0x7091ea18, 0x70da9865, 0x71231801,
    0x716b6945, 0x71b38c8b, 0x71fb8229, 0x72434a75, 0x728ae5c6, 0x72d2546e, 0x731996c1, 0x7360ad12,
    0x73a797b1, 0x73ee56ef, 0x7434eb1b, 0x747b5482, 0x74c19374, 0x7507a83b, 0x754d9324, 0x75935479,
    0x75d8ec84, 0x761e5b8e, 0x7663a1df, 0x76a8bfbf, 0x76edb574, 0x77328344, 0x77772973, 0x77bba846,
    0x78000000, 0x784430e5, 0x78883b35, 0x78cc1f32, 0x790fdd1c, 0x79537534, 0x7996e7b8, 0x79da34e7,
    0x7a1d5cfe, 0x7a60603b, 0x7aa33eda, 0x7ae5f916, 0x7b288f2b, 0x7b6b0154, 0x7bad4fc9, 0x7bef7ac6,
    0x7c318281, 0x7c736734, 0x7cb52916, 0x7cf6c85e, 0x7d384542, 0x7d799ff8, 0x7dbad8b5, 0x7dfbefaf,
    0x7e3ce519, 0x7e7db927, 0x7ebe6c0c, 0x7efefdfb, 0x7f3f6f27, 0x7f7fbfc0, 0x7fbfeff8, 0x80000000,
};

/* floor(sqrt(x)) for x in [2^60, 2^62). Integer Newton steps taken from an
 * upper bound never go below the floor of the root; two steps from the
 * seed leave a relative error under 2^-30, a unit or two, which the final
 * loop removes. */
static uint64_t isqrt64(uint64_t x)
{
    uint64_t r = isqrt_seed[(x >> 54) - 64];
    r = (r + x / r) >> 1;
    r = (r + x / r) >> 1;
    while (r * r > x)
        r--;
    return r;
}

/* ---- packing and rounding ---- */

FPU_INLINE bool is_nan(uint64_t a, const int M, const int EB)
{
    return (a & (SIGNBIT(M, EB) - 1)) > INFBITS(M, EB);
}

FPU_INLINE bool is_snan(uint64_t a, const int M, const int EB)
{
    return is_nan(a, M, EB) && !(a & QUIETBIT(M));
}

/* Nonzero finite encoding -> (e, sig with its leading one at bit M).
 * Subnormals come out normalised with e <= 0. */
FPU_INLINE uint64_t unpack(uint64_t a, int32_t *e, const int M, const int EB)
{
    int32_t ef = (int32_t)((a >> M) & EMAX(EB));
    uint64_t m = a & MANTMASK(M);
    if (ef) {
        *e = ef;
        return m | ((uint64_t)1 << M);
    }
    int s = clz64(m) - (63 - M);
    *e = 1 - s;
    return m << s;
}

/* Rounds (sign, e, sig) as described at the top of the file. Underflow:
 * RISC-V (like x86) detects tininess after rounding, and UF is only raised
 * when the result is also inexact (IEEE 754-2008 7.5, default handling). */
FPU_INLINE uint64_t round_pack(bool sign, int32_t e, uint64_t sig, int rm, uint32_t *flags,
                               const int M, const int EB)
{
    const int R = 62 - M;
    const uint64_t rmask = ((uint64_t)1 << R) - 1, half = (uint64_t)1 << (R - 1);
    const uint64_t sbit = sign ? SIGNBIT(M, EB) : 0;
    uint64_t inc;
    switch (rm) {
    case RV_RM_RTZ: inc = 0; break;
    case RV_RM_RDN: inc = sign ? rmask : 0; break;
    case RV_RM_RUP: inc = sign ? 0 : rmask; break;
    default: inc = half; break; /* RNE, RMM (and reserved values) */
    }
    if ((uint32_t)(e - 1) >= (uint32_t)(EMAX(EB) - 2)) {
        if (e <= 0) {
            /* Tiny if, rounded to full precision with an unbounded
             * exponent, the value stays below the smallest normal. */
            bool tiny = e < 0 || sig + inc < ((uint64_t)1 << 63);
            sig = shr_jam64(sig, e < -200 ? 201u : (uint32_t)(1 - e));
            e = 1;
            if (tiny && (sig & rmask))
                *flags |= RV_FF_UF;
        } else if (e > EMAX(EB) - 1 || sig + inc >= ((uint64_t)1 << 63)) {
            *flags |= RV_FF_OF | RV_FF_NX;
            /* Modes that round away from zero give infinity, the others
             * the largest finite number. */
            return sbit | (inc ? INFBITS(M, EB) : INFBITS(M, EB) - 1);
        }
    }
    uint64_t rb = sig & rmask;
    if (rb)
        *flags |= RV_FF_NX;
    sig = (sig + inc) >> R;
    if (rm == RV_RM_RNE && rb == half)
        sig &= ~(uint64_t)1;
    /* The leading one lands in the exponent field: a carry out of the
     * mantissa and a subnormal rounding up to the smallest normal both
     * come out right from this one addition. */
    return sbit | (((uint64_t)(e - 1) << M) + sig);
}

/* Result of an operation with a NaN input: NV on any signalling NaN. */
FPU_INLINE uint64_t nan_result(uint64_t a, uint64_t b, uint32_t *flags, const int M, const int EB)
{
    if (is_snan(a, M, EB) || is_snan(b, M, EB))
        *flags |= RV_FF_NV;
    return CANON(M, EB);
}

/* ---- add / sub ---- */

FPU_INLINE uint64_t add_g(uint64_t a, uint64_t b, int rm, uint32_t *flags, const int M,
                          const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1), mb = b & (SB - 1);
    if (ma >= INF || mb >= INF) {
        if (ma > INF || mb > INF)
            return nan_result(a, b, flags, M, EB);
        if (ma == INF && mb == INF && (a ^ b) & SB) {
            *flags |= RV_FF_NV;
            return CANON(M, EB);
        }
        return ma == INF ? a : b;
    }
    if (mb == 0) {
        if (ma == 0)
            return ((a ^ b) & SB) ? (rm == RV_RM_RDN ? SB : 0) : a;
        return a;
    }
    if (ma == 0)
        return b;
    if (ma < mb) { /* order by magnitude: encodings compare like values */
        uint64_t t = a;
        a = b;
        b = t;
    }
    bool sign = (a & SB) != 0, diff = ((a ^ b) & SB) != 0;
    int32_t ea, eb;
    uint64_t siga = unpack(a, &ea, M, EB) << (61 - M);
    uint64_t sigb = unpack(b, &eb, M, EB) << (61 - M);
    sigb = shr_jam64(sigb, (uint32_t)(ea - eb));
    if (!diff) {
        uint64_t s = siga + sigb;
        if (s >> 62)
            return round_pack(sign, ea + 1, s, rm, flags, M, EB);
        return round_pack(sign, ea, s << 1, rm, flags, M, EB);
    }
    uint64_t d = siga - sigb;
    if (d == 0)
        return rm == RV_RM_RDN ? SB : 0;
    int lz = clz64(d);
    return round_pack(sign, ea + 2 - lz, d << (lz - 1), rm, flags, M, EB);
}

/* ---- mul / div / fma special cases ---- */

/* Exponent field in [1, emax-1]: a normal number, the common case, for
 * which the special-case ladders below can be skipped. */
FPU_INLINE bool is_normal(uint64_t a, const int M, const int EB)
{
    return (uint32_t)((a >> M) & EMAX(EB)) - 1u < (uint32_t)EMAX(EB) - 1u;
}

/* Special operands of a*b (NaN, inf, zero). Returns true with *r set when
 * the product is decided without arithmetic. */
FPU_INLINE bool mul_special(uint64_t a, uint64_t b, uint64_t *r, uint32_t *flags, const int M,
                            const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1), mb = b & (SB - 1);
    uint64_t sign = (a ^ b) & SB;
    if (ma >= INF || mb >= INF) {
        if (ma > INF || mb > INF)
            *r = nan_result(a, b, flags, M, EB);
        else if (ma == 0 || mb == 0) {
            *flags |= RV_FF_NV;
            *r = CANON(M, EB);
        } else
            *r = sign | INF;
        return true;
    }
    if (ma == 0 || mb == 0) {
        *r = sign;
        return true;
    }
    return false;
}

FPU_INLINE bool div_special(uint64_t a, uint64_t b, uint64_t *r, uint32_t *flags, const int M,
                            const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1), mb = b & (SB - 1);
    uint64_t sign = (a ^ b) & SB;
    if (ma > INF || mb > INF) {
        *r = nan_result(a, b, flags, M, EB);
        return true;
    }
    if ((ma == INF && mb == INF) || (ma == 0 && mb == 0)) {
        *flags |= RV_FF_NV;
        *r = CANON(M, EB);
        return true;
    }
    if (ma == INF || mb == 0) {
        if (ma != INF)
            *flags |= RV_FF_DZ;
        *r = sign | INF;
        return true;
    }
    if (ma == 0 || mb == INF) {
        *r = sign;
        return true;
    }
    return false;
}

/* Specials of a*b+c. RISC-V requires NV for inf*0 even when c is a quiet
 * NaN (unprivileged ISA, F extension, fused multiply-add). */
FPU_INLINE bool fma_special(uint64_t a, uint64_t b, uint64_t c, int rm, uint64_t *r,
                            uint32_t *flags, const int M, const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1), mb = b & (SB - 1), mc = c & (SB - 1);
    uint64_t sp = (a ^ b) & SB;
    bool inf_zero = (ma == INF && mb == 0) || (ma == 0 && mb == INF);
    if (ma > INF || mb > INF || mc > INF) {
        if (inf_zero || is_snan(a, M, EB) || is_snan(b, M, EB) || is_snan(c, M, EB))
            *flags |= RV_FF_NV;
        *r = CANON(M, EB);
        return true;
    }
    if (inf_zero) {
        *flags |= RV_FF_NV;
        *r = CANON(M, EB);
        return true;
    }
    if (ma == INF || mb == INF) {
        if (mc == INF && (c & SB) != sp) {
            *flags |= RV_FF_NV;
            *r = CANON(M, EB);
        } else
            *r = sp | INF;
        return true;
    }
    if (mc == INF) {
        *r = c;
        return true;
    }
    if (ma == 0 || mb == 0) {
        if (mc == 0)
            *r = (sp == (c & SB)) ? c : (rm == RV_RM_RDN ? SB : 0);
        else
            *r = c;
        return true;
    }
    return false;
}

/* ---- sqrt special cases ---- */

FPU_INLINE bool sqrt_special(uint64_t a, uint64_t *r, uint32_t *flags, const int M, const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1);
    if (ma > INF) {
        *r = nan_result(a, a, flags, M, EB);
        return true;
    }
    if (ma == 0) { /* sqrt(-0) = -0 */
        *r = a;
        return true;
    }
    if (a & SB) {
        *flags |= RV_FF_NV;
        *r = CANON(M, EB);
        return true;
    }
    if (ma == INF) {
        *r = a;
        return true;
    }
    return false;
}

/* ---- comparisons, min/max, classify ---- */

FPU_INLINE uint64_t minmax_g(uint64_t a, uint64_t b, bool want_max, uint32_t *flags, const int M,
                             const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB);
    bool na = is_nan(a, M, EB), nb = is_nan(b, M, EB);
    if (na || nb) {
        if (is_snan(a, M, EB) || is_snan(b, M, EB))
            *flags |= RV_FF_NV;
        if (na && nb)
            return CANON(M, EB);
        return na ? b : a;
    }
    /* Total order on non-NaN encodings, -0 below +0 (ISA 2.2 semantics,
     * IEEE 754-2019 minimumNumber/maximumNumber). */
    bool sa = (a & SB) != 0, sb = (b & SB) != 0;
    bool a_less = sa != sb ? sa : (sa ? a > b : a < b);
    return (a_less != want_max) ? a : b;
}

FPU_INLINE bool eq_g(uint64_t a, uint64_t b, uint32_t *flags, const int M, const int EB)
{
    if (is_nan(a, M, EB) || is_nan(b, M, EB)) {
        if (is_snan(a, M, EB) || is_snan(b, M, EB))
            *flags |= RV_FF_NV;
        return false;
    }
    return a == b || ((a | b) & (SIGNBIT(M, EB) - 1)) == 0;
}

FPU_INLINE bool lt_g(uint64_t a, uint64_t b, bool or_equal, uint32_t *flags, const int M,
                     const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB);
    if (is_nan(a, M, EB) || is_nan(b, M, EB)) {
        *flags |= RV_FF_NV;
        return false;
    }
    bool sa = (a & SB) != 0, sb = (b & SB) != 0;
    bool both_zero = ((a | b) & (SB - 1)) == 0;
    if (a == b || both_zero)
        return or_equal;
    if (sa != sb)
        return sa;
    return sa ? a > b : a < b;
}

FPU_INLINE uint32_t classify_g(uint64_t a, const int M, const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    uint64_t ma = a & (SB - 1);
    bool neg = (a & SB) != 0;
    if (ma > INF)
        return (a & QUIETBIT(M)) ? 1u << 9 : 1u << 8;
    if (ma == INF)
        return neg ? 1u << 0 : 1u << 7;
    if (ma == 0)
        return neg ? 1u << 3 : 1u << 4;
    if (ma < ((uint64_t)1 << M))
        return neg ? 1u << 2 : 1u << 5;
    return neg ? 1u << 1 : 1u << 6;
}

/* ---- conversions ---- */

/* Float -> integer of `width` bits (32 or 64), signed or not. The result
 * is the integer's two's-complement bits; 32-bit results are sign-extended
 * as RV64 writes them. Out of range and NaN saturate with NV only (ISA table
 * "Domains of float-to-integer conversions"); NX only when in range. */
FPU_INLINE uint64_t to_int_g(uint64_t a, int rm, uint32_t *flags, bool is_signed, int width,
                             const int M, const int EB)
{
    const uint64_t SB = SIGNBIT(M, EB), INF = INFBITS(M, EB);
    const uint64_t umax = width == 64 ? ~(uint64_t)0 : 0xffffffffu;
    const uint64_t smax = ((uint64_t)1 << (width - 1)) - 1;
    uint64_t ma = a & (SB - 1);
    bool sign = (a & SB) != 0;
    uint64_t q;
    bool inexact = false;
    if (ma == 0)
        return 0;
    if (ma > INF) {
        sign = false;
        goto invalid;
    }
    if (ma == INF)
        goto invalid;
    int32_t e;
    uint64_t sig = unpack(a, &e, M, EB) << (62 - M);
    int32_t x = e - BIAS(EB); /* value = sig * 2^(x - 62) */
    if (x > 63)
        goto invalid;
    if (x == 63) {
        q = sig << 1;
    } else if (x == 62) {
        q = sig;
    } else {
        uint32_t s = (uint32_t)(62 - x);
        uint64_t r, half;
        if (s < 64) {
            q = sig >> s;
            r = sig & (((uint64_t)1 << s) - 1);
            half = (uint64_t)1 << (s - 1);
        } else { /* below 1/2: only the sticky matters */
            q = 0;
            r = 1;
            half = 2;
        }
        bool up;
        switch (rm) {
        case RV_RM_RTZ: up = false; break;
        case RV_RM_RDN: up = sign; break;
        case RV_RM_RUP: up = !sign; break;
        case RV_RM_RMM: up = r >= half; break;
        default: up = r > half || (r == half && (q & 1)); break;
        }
        inexact = r != 0;
        q += (up && r);
    }
    if (is_signed) {
        if (q > smax + sign)
            goto invalid;
        q = sign ? (uint64_t)0 - q : q;
    } else {
        if (sign && q)
            goto invalid;
        if (q > umax)
            goto invalid;
        if (width == 32)
            q = (uint64_t)(int64_t)(int32_t)(uint32_t)q;
    }
    if (inexact)
        *flags |= RV_FF_NX;
    return q;
invalid:
    *flags |= RV_FF_NV;
    if (is_signed)
        return sign ? (uint64_t)0 - smax - 1 : smax;
    if (sign)
        return 0;
    return ~(uint64_t)0; /* 2^64-1, or 2^32-1 sign-extended */
}

FPU_INLINE uint64_t from_int_g(bool sign, uint64_t mag, int rm, uint32_t *flags, const int M,
                               const int EB)
{
    if (mag == 0)
        return 0;
    int lz = clz64(mag);
    uint64_t sig = lz ? mag << (lz - 1) : (mag >> 1) | (mag & 1);
    return round_pack(sign, BIAS(EB) + 63 - lz, sig, rm, flags, M, EB);
}

/* ---- RNE fast paths on host arithmetic ----
 * Taken only when both operands are normal, well inside the exponent
 * range, and the rounded result is normal and at least 2^(emin+1) and
 * below 2^(emax): then no UF (tininess is decided on the rounded value),
 * no OF, no NaN, and the host's RNE result is the IEEE result. Inexactness
 * comes from an exact error term: TwoSum (Knuth, TAOCP 4.2.2) for sums,
 * which is exact for any two finite normal operands without overflow; for
 * products and quotients integer tests on the odd parts of the
 * significands. Anything else falls through to the integer code. */
#if FPU_HOST_FAST
static inline double host_d(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}
static inline uint64_t host_du(double d)
{
    uint64_t u;
    memcpy(&u, &d, 8);
    return u;
}
static inline float host_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static inline uint32_t host_fu(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}
/* exponent field within [1, emax - 2]: normal, below 2^(emax-bias-1) */
#define HOST_OK64(x) ((uint32_t)(((x) >> 52) & 0x7ff) - 1u < 0x7fdu)
#define HOST_OK32(x) ((uint32_t)(((x) >> 23) & 0xff) - 1u < 0xfdu)
/* Sums: operands at least 2^(emin+p), so every TwoSum intermediate is a
 * normal number and the error term survives even a flush-to-zero host. */
#define HOST_ADD64(x) ((uint32_t)(((x) >> 52) & 0x7ff) - 54u < 0x7fdu - 53u)
#define HOST_ADD32(x) ((uint32_t)(((x) >> 23) & 0xff) - 25u < 0xfdu - 24u)
/* result exponent field within [2, emax - 2] */
#define HOST_RES64(x) ((uint32_t)(((x) >> 52) & 0x7ff) - 2u < 0x7fcu)
#define HOST_RES32(x) ((uint32_t)(((x) >> 23) & 0xff) - 2u < 0xfcu)

static inline bool host_add64(uint64_t a, uint64_t b, uint64_t *r, uint32_t *flags)
{
    if (!HOST_ADD64(a) || !HOST_ADD64(b))
        return false;
    double x = host_d(a), y = host_d(b), s = x + y;
    *r = host_du(s);
    if (!HOST_RES64(*r))
        return false;
    double bb = s - x;
    if ((x - (s - bb)) + (y - bb) != 0)
        *flags |= RV_FF_NX;
    return true;
}

static inline bool host_add32(uint32_t a, uint32_t b, uint32_t *r, uint32_t *flags)
{
    if (!HOST_ADD32(a) || !HOST_ADD32(b))
        return false;
    float x = host_f(a), y = host_f(b), s = x + y;
    *r = host_fu(s);
    if (!HOST_RES32(*r))
        return false;
    float bb = s - x;
    if ((x - (s - bb)) + (y - bb) != 0)
        *flags |= RV_FF_NX;
    return true;
}

static inline bool host_mul64(uint64_t a, uint64_t b, uint64_t *r, uint32_t *flags)
{
    if (!HOST_OK64(a) || !HOST_OK64(b))
        return false;
    *r = host_du(host_d(a) * host_d(b));
    if (!HOST_RES64(*r))
        return false;
    uint64_t ma = (a & MANTMASK(52)) | ((uint64_t)1 << 52);
    uint64_t mb = (b & MANTMASK(52)) | ((uint64_t)1 << 52);
    ma >>= __builtin_ctzll(ma);
    mb >>= __builtin_ctzll(mb);
    int bits = 128 - clz64(ma) - clz64(mb); /* product has bits-1 or bits */
    if (bits > 54 || (bits == 54 && (ma * mb) >> 53))
        *flags |= RV_FF_NX;
    return true;
}

/* q = RNE(a/b) is exact iff odd(q) * odd(b) == odd(a): both sides share
 * an odd part only if they differ by a power of two, and q*b is within a
 * relative 2^-p of a. */
static inline bool quotient_inexact(uint64_t q, uint64_t b, uint64_t a, const int M)
{
    uint64_t mq = (q & MANTMASK(M)) | ((uint64_t)1 << M);
    uint64_t mb = (b & MANTMASK(M)) | ((uint64_t)1 << M);
    uint64_t ma = (a & MANTMASK(M)) | ((uint64_t)1 << M);
    mq >>= __builtin_ctzll(mq);
    mb >>= __builtin_ctzll(mb);
    ma >>= __builtin_ctzll(ma);
    if (128 - clz64(mq) - clz64(mb) > M + 2) /* product wider than a */
        return true;
    return mq * mb != ma;
}

static inline bool host_div64(uint64_t a, uint64_t b, uint64_t *r, uint32_t *flags)
{
    if (!HOST_OK64(a) || !HOST_OK64(b))
        return false;
    *r = host_du(host_d(a) / host_d(b));
    if (!HOST_RES64(*r))
        return false;
    if (quotient_inexact(*r, b, a, 52))
        *flags |= RV_FF_NX;
    return true;
}

static inline bool host_div32(uint32_t a, uint32_t b, uint32_t *r, uint32_t *flags)
{
    if (!HOST_OK32(a) || !HOST_OK32(b))
        return false;
    *r = host_fu(host_f(a) / host_f(b));
    if (!HOST_RES32(*r))
        return false;
    if (quotient_inexact(*r, b, a, 23))
        *flags |= RV_FF_NX;
    return true;
}

static inline bool host_mul32(uint32_t a, uint32_t b, uint32_t *r, uint32_t *flags)
{
    if (!HOST_OK32(a) || !HOST_OK32(b))
        return false;
    double p = (double)host_f(a) * (double)host_f(b); /* exact: 48 bits */
    float q = (float)p;
    *r = host_fu(q);
    if (!HOST_RES32(*r))
        return false;
    if ((double)q != p)
        *flags |= RV_FF_NX;
    return true;
}
#endif

/* ======================= binary32 ======================= */

uint32_t f32_add(uint32_t a, uint32_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint32_t fr;
    if (rm == RV_RM_RNE && host_add32(a, b, &fr, flags))
        return fr;
#endif
    return (uint32_t)add_g(a, b, rm, flags, F32P);
}

uint32_t f32_sub(uint32_t a, uint32_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint32_t fr;
    if (rm == RV_RM_RNE && host_add32(a, b ^ 0x80000000u, &fr, flags))
        return fr;
#endif
    return (uint32_t)add_g(a, b ^ 0x80000000u, rm, flags, F32P);
}

uint32_t f32_mul(uint32_t a, uint32_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint32_t fr;
    if (rm == RV_RM_RNE && host_mul32(a, b, &fr, flags))
        return fr;
#endif
    uint64_t r;
    if (!(is_normal(a, F32P) && is_normal(b, F32P)) && mul_special(a, b, &r, flags, F32P))
        return (uint32_t)r;
    int32_t ea, eb;
    uint64_t siga = unpack(a, &ea, F32P), sigb = unpack(b, &eb, F32P);
    uint64_t p = (siga * sigb) << 15; /* exact: [2^61, 2^63) */
    int32_t e = ea + eb - 127 + 1;
    if (!(p >> 62)) {
        p <<= 1;
        e--;
    }
    return (uint32_t)round_pack((a ^ b) >> 31, e, p, rm, flags, F32P);
}

uint32_t f32_div(uint32_t a, uint32_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint32_t fr;
    if (rm == RV_RM_RNE && host_div32(a, b, &fr, flags))
        return fr;
#endif
    uint64_t r;
    if (!(is_normal(a, F32P) && is_normal(b, F32P)) && div_special(a, b, &r, flags, F32P))
        return (uint32_t)r;
    int32_t ea, eb;
    uint64_t siga = unpack(a, &ea, F32P), sigb = unpack(b, &eb, F32P);
    /* Quotient in [2^38, 2^39): 15 bits beyond precision, then sticky. */
    int k = siga < sigb ? 39 : 38;
    uint64_t n = siga << k;
    uint64_t q = n / sigb;
    q |= (n - q * sigb) != 0;
    int32_t e = ea - eb + 127 - (k - 38);
    return (uint32_t)round_pack((a ^ b) >> 31, e, q << 24, rm, flags, F32P);
}

uint32_t f32_sqrt(uint32_t a, int rm, uint32_t *flags)
{
    uint64_t r;
    if (sqrt_special(a, &r, flags, F32P))
        return (uint32_t)r;
    int32_t e;
    uint64_t sig = unpack(a, &e, F32P);
    int32_t x = e - 127;
    uint32_t odd = (uint32_t)x & 1;
    uint64_t n = sig << (37 + odd); /* [2^60, 2^62), even power scaling */
    uint64_t root = isqrt64(n);     /* [2^30, 2^31) */
    root |= root * root != n;
    return (uint32_t)round_pack(false, 127 + (x - (int32_t)odd) / 2, root << 32, rm, flags, F32P);
}

uint32_t f32_fma(uint32_t a, uint32_t b, uint32_t c, int rm, uint32_t *flags)
{
    uint64_t r;
    if (!(is_normal(a, F32P) && is_normal(b, F32P) && is_normal(c, F32P)) &&
        fma_special(a, b, c, rm, &r, flags, F32P))
        return (uint32_t)r;
    bool sp = (a ^ b) >> 31, sc = c >> 31;
    int32_t ea, eb, ec;
    uint64_t siga = unpack(a, &ea, F32P), sigb = unpack(b, &eb, F32P);
    /* Exact product with its leading one at bit 61, value p*2^(e-bias-61). */
    uint64_t p = (siga * sigb) << 14;
    int32_t e = ea + eb - 127 + 1;
    if (!(p >> 61)) {
        p <<= 1;
        e--;
    }
    if ((c & 0x7fffffffu) == 0)
        return (uint32_t)round_pack(sp, e, p << 1, rm, flags, F32P);
    uint64_t sigc = unpack(c, &ec, F32P) << 38;
    /* A dropped-bits sticky only arises when one addend is far below the
     * other, so cancellation then removes at most one bit. */
    if (e >= ec) {
        sigc = shr_jam64(sigc, (uint32_t)(e - ec));
    } else {
        p = shr_jam64(p, (uint32_t)(ec - e));
        e = ec;
    }
    uint64_t s;
    bool sign;
    if (sp == sc) {
        s = p + sigc;
        sign = sp;
    } else if (p >= sigc) {
        s = p - sigc;
        sign = sp;
    } else {
        s = sigc - p;
        sign = sc;
    }
    if (s == 0)
        return rm == RV_RM_RDN ? 0x80000000u : 0;
    int lz = clz64(s);
    return (uint32_t)round_pack(sign, e - lz + 2, s << (lz - 1), rm, flags, F32P);
}

uint32_t f32_min(uint32_t a, uint32_t b, uint32_t *flags)
{
    return (uint32_t)minmax_g(a, b, false, flags, F32P);
}

uint32_t f32_max(uint32_t a, uint32_t b, uint32_t *flags)
{
    return (uint32_t)minmax_g(a, b, true, flags, F32P);
}

bool f32_eq(uint32_t a, uint32_t b, uint32_t *flags)
{
    return eq_g(a, b, flags, F32P);
}

bool f32_lt(uint32_t a, uint32_t b, uint32_t *flags)
{
    return lt_g(a, b, false, flags, F32P);
}

bool f32_le(uint32_t a, uint32_t b, uint32_t *flags)
{
    return lt_g(a, b, true, flags, F32P);
}

uint32_t f32_classify(uint32_t a)
{
    return classify_g(a, F32P);
}

int64_t f32_to_i32(uint32_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, true, 32, F32P);
}

int64_t f32_to_u32(uint32_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, false, 32, F32P);
}

int64_t f32_to_i64(uint32_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, true, 64, F32P);
}

uint64_t f32_to_u64(uint32_t a, int rm, uint32_t *flags)
{
    return to_int_g(a, rm, flags, false, 64, F32P);
}

uint32_t i32_to_f32(int32_t v, int rm, uint32_t *flags)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)(int64_t)v : (uint64_t)v;
    return (uint32_t)from_int_g(v < 0, mag, rm, flags, F32P);
}

uint32_t u32_to_f32(uint32_t v, int rm, uint32_t *flags)
{
    return (uint32_t)from_int_g(false, v, rm, flags, F32P);
}

uint32_t i64_to_f32(int64_t v, int rm, uint32_t *flags)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return (uint32_t)from_int_g(v < 0, mag, rm, flags, F32P);
}

uint32_t u64_to_f32(uint64_t v, int rm, uint32_t *flags)
{
    return (uint32_t)from_int_g(false, v, rm, flags, F32P);
}

/* ======================= binary64 ======================= */

uint64_t f64_add(uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint64_t fr;
    if (rm == RV_RM_RNE && host_add64(a, b, &fr, flags))
        return fr;
#endif
    return add_g(a, b, rm, flags, F64P);
}

uint64_t f64_sub(uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint64_t fr;
    if (rm == RV_RM_RNE && host_add64(a, b ^ ((uint64_t)1 << 63), &fr, flags))
        return fr;
#endif
    return add_g(a, b ^ ((uint64_t)1 << 63), rm, flags, F64P);
}

uint64_t f64_mul(uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint64_t fr;
    if (rm == RV_RM_RNE && host_mul64(a, b, &fr, flags))
        return fr;
#endif
    uint64_t r;
    if (!(is_normal(a, F64P) && is_normal(b, F64P)) && mul_special(a, b, &r, flags, F64P))
        return r;
    int32_t ea, eb;
    uint64_t siga = unpack(a, &ea, F64P), sigb = unpack(b, &eb, F64P);
    u128 p = mul64(siga << 10, sigb << 11); /* [2^125, 2^127) */
    int32_t e = ea + eb - 1023 + 1;
    uint64_t sig = p.hi;
    if (!(sig >> 62)) {
        sig = (sig << 1) | (p.lo >> 63);
        p.lo <<= 1;
        e--;
    }
    sig |= p.lo != 0;
    return round_pack((a ^ b) >> 63, e, sig, rm, flags, F64P);
}

uint64_t f64_div(uint64_t a, uint64_t b, int rm, uint32_t *flags)
{
#if FPU_HOST_FAST
    uint64_t fr;
    if (rm == RV_RM_RNE && host_div64(a, b, &fr, flags))
        return fr;
#endif
    uint64_t r;
    if (!(is_normal(a, F64P) && is_normal(b, F64P)) && div_special(a, b, &r, flags, F64P))
        return r;
    int32_t ea, eb;
    uint64_t siga = unpack(a, &ea, F64P), sigb = unpack(b, &eb, F64P);
    /* (siga << k) / sigb lands in [2^62, 2^63): 10 bits beyond precision
     * plus the remainder as sticky. */
    int k = siga < sigb ? 63 : 62;
    uint64_t rem;
    uint64_t q = udiv128(siga >> (64 - k), siga << k, sigb, &rem);
    q |= rem != 0;
    int32_t e = ea - eb + 1023 - (k - 62);
    return round_pack((a ^ b) >> 63, e, q, rm, flags, F64P);
}

uint64_t f64_sqrt(uint64_t a, int rm, uint32_t *flags)
{
    uint64_t r;
    if (sqrt_special(a, &r, flags, F64P))
        return r;
    int32_t e;
    uint64_t sig = unpack(a, &e, F64P);
    int32_t x = e - 1023;
    uint32_t odd = (uint32_t)x & 1;
    /* n = sig << (72 + odd) = hi * 2^64, in [2^124, 2^126); root in
     * [2^62, 2^63). With r1 = isqrt(hi) and rem1 = hi - r1^2 (at most
     * 2*r1), sqrt(n) = 2^32 * sqrt(r1^2 + rem1), and the first-order term
     * r1*2^32 + rem1*2^31/r1 overshoots by at most 2^32/(2*r1) <= 2 units
     * and truncates by under 1: within [-1, +2] of the floor, which the
     * exact loops below then reach. */
    uint64_t hi = sig << (8 + odd);
    uint64_t r1 = isqrt64(hi);
    uint64_t root = (r1 << 32) + ((hi - r1 * r1) << 31) / r1;
    const u128 n = {hi, 0};
    u128 sq = mul64(root, root);
    while (lt128(n, sq)) { /* (r-1)^2 = r^2 - 2r + 1 */
        sq = add128(sub128(sq, (u128){root >> 63, root << 1}), (u128){0, 1});
        root--;
    }
    for (;;) { /* (r+1)^2 = r^2 + 2r + 1 */
        u128 next = add128(add128(sq, (u128){root >> 63, root << 1}), (u128){0, 1});
        if (lt128(n, next))
            break;
        sq = next;
        root++;
    }
    root |= (sq.hi != hi || sq.lo != 0);
    return round_pack(false, 1023 + (x - (int32_t)odd) / 2, root, rm, flags, F64P);
}

uint64_t f64_fma(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *flags)
{
    uint64_t r;
    if (!(is_normal(a, F64P) && is_normal(b, F64P) && is_normal(c, F64P)) &&
        fma_special(a, b, c, rm, &r, flags, F64P))
        return r;
    bool sp = (a ^ b) >> 63, sc = c >> 63;
    int32_t ea, eb, ec;
    uint64_t siga = unpack(a, &ea, F64P), sigb = unpack(b, &eb, F64P);
    /* Exact 106-bit product, leading one moved to bit 126:
     * value = p * 2^(e - bias - 126). */
    u128 p = mul64(siga << 10, sigb << 11);
    int32_t e = ea + eb - 1023 + 1;
    if (!(p.hi >> 62)) {
        p = shl128(p, 1);
        e--;
    }
    if ((c << 1) == 0)
        return round_pack(sp, e, p.hi | (p.lo != 0), rm, flags, F64P);
    u128 cc = {unpack(c, &ec, F64P) << 10, 0};
    /* Sticky from alignment only when one addend is far below the other
     * (more than 20 bits for the product, 74 for c), so the cancellation
     * that follows removes at most one bit and the jam stays harmless. */
    if (e >= ec) {
        cc = shr_jam128(cc, (uint32_t)(e - ec));
    } else {
        p = shr_jam128(p, (uint32_t)(ec - e));
        e = ec;
    }
    u128 s;
    bool sign;
    if (sp == sc) {
        s = add128(p, cc);
        sign = sp;
    } else if (!lt128(p, cc)) {
        s = sub128(p, cc);
        sign = sp;
    } else {
        s = sub128(cc, p);
        sign = sc;
    }
    int lz;
    if (s.hi)
        lz = clz64(s.hi);
    else if (s.lo)
        lz = 64 + clz64(s.lo);
    else
        return rm == RV_RM_RDN ? ((uint64_t)1 << 63) : 0;
    s = lz == 0 ? shr_jam128(s, 1) : shl128(s, (uint32_t)(lz - 1));
    return round_pack(sign, e - lz + 1, s.hi | (s.lo != 0), rm, flags, F64P);
}

uint64_t f64_min(uint64_t a, uint64_t b, uint32_t *flags)
{
    return minmax_g(a, b, false, flags, F64P);
}

uint64_t f64_max(uint64_t a, uint64_t b, uint32_t *flags)
{
    return minmax_g(a, b, true, flags, F64P);
}

bool f64_eq(uint64_t a, uint64_t b, uint32_t *flags)
{
    return eq_g(a, b, flags, F64P);
}

bool f64_lt(uint64_t a, uint64_t b, uint32_t *flags)
{
    return lt_g(a, b, false, flags, F64P);
}

bool f64_le(uint64_t a, uint64_t b, uint32_t *flags)
{
    return lt_g(a, b, true, flags, F64P);
}

uint32_t f64_classify(uint64_t a)
{
    return classify_g(a, F64P);
}

int64_t f64_to_i32(uint64_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, true, 32, F64P);
}

int64_t f64_to_u32(uint64_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, false, 32, F64P);
}

int64_t f64_to_i64(uint64_t a, int rm, uint32_t *flags)
{
    return (int64_t)to_int_g(a, rm, flags, true, 64, F64P);
}

uint64_t f64_to_u64(uint64_t a, int rm, uint32_t *flags)
{
    return to_int_g(a, rm, flags, false, 64, F64P);
}

uint64_t i32_to_f64(int32_t v, int rm, uint32_t *flags)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)(int64_t)v : (uint64_t)v;
    return from_int_g(v < 0, mag, rm, flags, F64P);
}

uint64_t u32_to_f64(uint32_t v, int rm, uint32_t *flags)
{
    return from_int_g(false, v, rm, flags, F64P);
}

uint64_t i64_to_f64(int64_t v, int rm, uint32_t *flags)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    return from_int_g(v < 0, mag, rm, flags, F64P);
}

uint64_t u64_to_f64(uint64_t v, int rm, uint32_t *flags)
{
    return from_int_g(false, v, rm, flags, F64P);
}

/* f32 -> f64 is exact; only NaNs need care (sNaN -> NV, canonical NaN). */
uint64_t f32_to_f64(uint32_t a, uint32_t *flags)
{
    uint64_t sign = (uint64_t)(a >> 31) << 63;
    uint32_t ma = a & 0x7fffffffu;
    if (ma > 0x7f800000u) {
        nan_result(a, a, flags, F32P);
        return RV_F64_CANON_NAN;
    }
    if (ma == 0x7f800000u)
        return sign | ((uint64_t)0x7ff << 52);
    if (ma == 0)
        return sign;
    int32_t e;
    uint64_t sig = unpack(a, &e, F32P);
    return sign | ((uint64_t)(e - 127 + 1023) << 52) | ((sig << 29) & MANTMASK(52));
}

uint32_t f64_to_f32(uint64_t a, int rm, uint32_t *flags)
{
    uint32_t sign = (uint32_t)(a >> 63) << 31;
    uint64_t ma = a & (((uint64_t)1 << 63) - 1);
    if (ma > ((uint64_t)0x7ff << 52)) {
        nan_result(a, a, flags, F64P);
        return RV_F32_CANON_NAN;
    }
    if (ma == ((uint64_t)0x7ff << 52))
        return sign | 0x7f800000u;
    if (ma == 0)
        return sign;
    int32_t e;
    uint64_t sig = unpack(a, &e, F64P) << 10;
    return (uint32_t)round_pack(sign != 0, e - 1023 + 127, sig, rm, flags, F32P);
}
