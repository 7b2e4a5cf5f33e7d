/* IEEE 754-2008 binary32/binary64 arithmetic as the RISC-V F and D chapters
 * define it, computed in integer arithmetic: no host floating-point
 * environment is used or assumed (WebAssembly has none).
 *
 * Values are raw bit patterns. rm is the RISC-V encoding (0 RNE, 1 RTZ,
 * 2 RDN, 3 RUP, 4 RMM; the caller resolves DYN). *flags accumulates the
 * RISC-V fflags bits (it is OR-ed into, never cleared). Every NaN result is
 * the canonical NaN. */
#ifndef RV_FPU_H
#define RV_FPU_H

#include <stdbool.h>
#include <stdint.h>

enum { RV_RM_RNE = 0, RV_RM_RTZ = 1, RV_RM_RDN = 2, RV_RM_RUP = 3, RV_RM_RMM = 4 };
enum { RV_FF_NX = 1, RV_FF_UF = 2, RV_FF_OF = 4, RV_FF_DZ = 8, RV_FF_NV = 16 };

#define RV_F32_CANON_NAN 0x7fc00000u
#define RV_F64_CANON_NAN 0x7ff8000000000000ull

uint32_t f32_add(uint32_t a, uint32_t b, int rm, uint32_t *flags);
uint32_t f32_sub(uint32_t a, uint32_t b, int rm, uint32_t *flags);
uint32_t f32_mul(uint32_t a, uint32_t b, int rm, uint32_t *flags);
uint32_t f32_div(uint32_t a, uint32_t b, int rm, uint32_t *flags);
uint32_t f32_sqrt(uint32_t a, int rm, uint32_t *flags);
/* a*b + c with a single rounding. fmsub/fnmsub/fnmadd are built by the
 * caller by flipping sign bits of a and/or c. */
uint32_t f32_fma(uint32_t a, uint32_t b, uint32_t c, int rm, uint32_t *flags);
/* fmin/fmax: -0 < +0; one NaN operand gives the other; sNaN sets NV. */
uint32_t f32_min(uint32_t a, uint32_t b, uint32_t *flags);
uint32_t f32_max(uint32_t a, uint32_t b, uint32_t *flags);
/* feq is quiet (NV only for sNaN); flt/fle signal NV on any NaN. */
bool f32_eq(uint32_t a, uint32_t b, uint32_t *flags);
bool f32_lt(uint32_t a, uint32_t b, uint32_t *flags);
bool f32_le(uint32_t a, uint32_t b, uint32_t *flags);
uint32_t f32_classify(uint32_t a); /* the fclass bit mask */
/* Conversions to integers saturate on overflow and NaN as the spec's table
 * says (NaN -> max positive) and set NV; results are the integer value,
 * 32-bit ones returned sign-extended in int64_t / uint64_t form. */
int64_t f32_to_i32(uint32_t a, int rm, uint32_t *flags);
int64_t f32_to_u32(uint32_t a, int rm, uint32_t *flags); /* sign-extended */
int64_t f32_to_i64(uint32_t a, int rm, uint32_t *flags);
uint64_t f32_to_u64(uint32_t a, int rm, uint32_t *flags);
uint32_t i32_to_f32(int32_t v, int rm, uint32_t *flags);
uint32_t u32_to_f32(uint32_t v, int rm, uint32_t *flags);
uint32_t i64_to_f32(int64_t v, int rm, uint32_t *flags);
uint32_t u64_to_f32(uint64_t v, int rm, uint32_t *flags);

uint64_t f64_add(uint64_t a, uint64_t b, int rm, uint32_t *flags);
uint64_t f64_sub(uint64_t a, uint64_t b, int rm, uint32_t *flags);
uint64_t f64_mul(uint64_t a, uint64_t b, int rm, uint32_t *flags);
uint64_t f64_div(uint64_t a, uint64_t b, int rm, uint32_t *flags);
uint64_t f64_sqrt(uint64_t a, int rm, uint32_t *flags);
uint64_t f64_fma(uint64_t a, uint64_t b, uint64_t c, int rm, uint32_t *flags);
uint64_t f64_min(uint64_t a, uint64_t b, uint32_t *flags);
uint64_t f64_max(uint64_t a, uint64_t b, uint32_t *flags);
bool f64_eq(uint64_t a, uint64_t b, uint32_t *flags);
bool f64_lt(uint64_t a, uint64_t b, uint32_t *flags);
bool f64_le(uint64_t a, uint64_t b, uint32_t *flags);
uint32_t f64_classify(uint64_t a);
int64_t f64_to_i32(uint64_t a, int rm, uint32_t *flags);
int64_t f64_to_u32(uint64_t a, int rm, uint32_t *flags);
int64_t f64_to_i64(uint64_t a, int rm, uint32_t *flags);
uint64_t f64_to_u64(uint64_t a, int rm, uint32_t *flags);
uint64_t i32_to_f64(int32_t v, int rm, uint32_t *flags);
uint64_t u32_to_f64(uint32_t v, int rm, uint32_t *flags);
uint64_t i64_to_f64(int64_t v, int rm, uint32_t *flags);
uint64_t u64_to_f64(uint64_t v, int rm, uint32_t *flags);

uint64_t f32_to_f64(uint32_t a, uint32_t *flags);
uint32_t f64_to_f32(uint64_t a, int rm, uint32_t *flags);

#endif
