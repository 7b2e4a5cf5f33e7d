/* The execution loop: decoded instructions from per-page caches, one
 * switch on the operation, memory through the per-context TLBs.
 *
 * Control leaves the inner loop only when the page changes, the budget is
 * spent, or something asked for attention (h->slice_end: a trap, a CSR
 * write, an MMIO access, a write into decoded code). Interrupts are taken
 * there, at block boundaries, never per instruction. The host is assumed
 * little-endian (x86-64, AArch64, WebAssembly). */
#include <string.h>

#include "fpu.h"
#include "hart.h"
#include "jit.h"
#include "ops.h"

#define SIGN32 0x80000000u
#define SIGN64 0x8000000000000000ull

static inline __attribute__((always_inline)) uint8_t *tlb_lookup(rv_tlb_entry *t, uint64_t va,
                                                                 unsigned len)
{
    uint64_t vpn = va >> RV_PAGE_SHIFT;
    rv_tlb_entry *e = &t[vpn & (RV_TLB_SIZE - 1)];
    if (e->vpn == vpn && (va & (RV_PAGE_SIZE - 1)) <= RV_PAGE_SIZE - len)
        return (uint8_t *)(uintptr_t)(va + e->addend);
    return NULL;
}

/* 0 = fast path, 1 = slow path succeeded, -1 = trapped. */
static inline __attribute__((always_inline)) int mem_load(rv_hart *h, uint64_t pc, uint64_t va,
                                                          unsigned len, uint64_t *v)
{
    uint8_t *hp = tlb_lookup(h->tlb_load[h->dctx], va, len);
    if (hp) {
        uint64_t t = 0;
        memcpy(&t, hp, len);
        *v = t;
        return 0;
    }
    h->pc = pc;
    return mem_load_slow(h, va, len, v) ? 1 : -1;
}

static inline __attribute__((always_inline)) int mem_store(rv_hart *h, uint64_t pc, uint64_t va,
                                                           unsigned len, uint64_t v)
{
    uint8_t *hp = tlb_lookup(h->tlb_store[h->dctx], va, len);
    if (hp) {
        memcpy(hp, &v, len);
        return 0;
    }
    h->pc = pc;
    return mem_store_slow(h, va, len, v) ? 1 : -1;
}

/* ---- 64x64 -> 128 multiplies, portable path kept beside __int128 ---- */

static uint64_t mulhu64(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    return (uint64_t)(((unsigned __int128)a * b) >> 64);
#else
    uint64_t al = a & 0xffffffff, ah = a >> 32, bl = b & 0xffffffff, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (lh & 0xffffffff) + (hl & 0xffffffff);
    return hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
#endif
}

static uint64_t mulh64(int64_t a, int64_t b)
{
    uint64_t r = mulhu64((uint64_t)a, (uint64_t)b);
    if (a < 0)
        r -= (uint64_t)b;
    if (b < 0)
        r -= (uint64_t)a;
    return r;
}

static uint64_t mulhsu64(int64_t a, uint64_t b)
{
    uint64_t r = mulhu64((uint64_t)a, b);
    if (a < 0)
        r -= b;
    return r;
}

/* ---- floating-point register helpers ---- */

static inline uint32_t fs_get(const rv_hart *h, int r)
{
    uint64_t v = h->f[r];
    return (v >> 32) == 0xffffffffu ? (uint32_t)v : RV_F32_CANON_NAN;
}

static inline void fs_set(rv_hart *h, int r, uint32_t v)
{
    h->f[r] = 0xffffffff00000000ull | v;
    h->mstatus |= MSTATUS_FS_DIRTY;
}

static inline void fd_set(rv_hart *h, int r, uint64_t v)
{
    h->f[r] = v;
    h->mstatus |= MSTATUS_FS_DIRTY;
}

static inline void fflags_touched(rv_hart *h)
{
    h->mstatus |= MSTATUS_FS_DIRTY;
}

static uint64_t orc_b(uint64_t v)
{
    uint64_t r = 0;
    for (int i = 0; i < 8; i++)
        if ((v >> (8 * i)) & 0xff)
            r |= 0xffull << (8 * i);
    return r;
}

static uint64_t rol64(uint64_t v, unsigned s)
{
    s &= 63;
    return s ? (v << s) | (v >> (64 - s)) : v;
}

static uint64_t ror64(uint64_t v, unsigned s)
{
    s &= 63;
    return s ? (v >> s) | (v << (64 - s)) : v;
}

static uint32_t rol32(uint32_t v, unsigned s)
{
    s &= 31;
    return s ? (v << s) | (v >> (32 - s)) : v;
}

static uint32_t ror32(uint32_t v, unsigned s)
{
    s &= 31;
    return s ? (v >> s) | (v << (32 - s)) : v;
}

static uint64_t amo_apply(int op, uint64_t old, uint64_t src, bool w)
{
    int64_t so = w ? (int64_t)(int32_t)old : (int64_t)old;
    int64_t ss = w ? (int64_t)(int32_t)src : (int64_t)src;
    uint64_t uo = w ? (uint32_t)old : old, us = w ? (uint32_t)src : src;
    switch (op) {
    case OP_AMOSWAP_W:
    case OP_AMOSWAP_D: return src;
    case OP_AMOADD_W:
    case OP_AMOADD_D: return old + src;
    case OP_AMOXOR_W:
    case OP_AMOXOR_D: return old ^ src;
    case OP_AMOAND_W:
    case OP_AMOAND_D: return old & src;
    case OP_AMOOR_W:
    case OP_AMOOR_D: return old | src;
    case OP_AMOMIN_W:
    case OP_AMOMIN_D: return so < ss ? old : src;
    case OP_AMOMAX_W:
    case OP_AMOMAX_D: return so > ss ? old : src;
    case OP_AMOMINU_W:
    case OP_AMOMINU_D: return uo < us ? old : src;
    default: return uo > us ? old : src; /* AMOMAXU */
    }
}

/* M-extension operations beyond MUL (the interpreter inlines them; the
 * translator calls them). */
static inline __attribute__((always_inline)) void exec_muldiv(uint64_t *x, const rv_insn *i)
{
    switch (i->op) {
    case OP_MULH: x[i->rd] = mulh64((int64_t)x[i->rs1], (int64_t)x[i->rs2]); return;
    case OP_MULHSU: x[i->rd] = mulhsu64((int64_t)x[i->rs1], x[i->rs2]); return;
    case OP_MULHU: x[i->rd] = mulhu64(x[i->rs1], x[i->rs2]); return;
    case OP_DIV: {
        int64_t a = (int64_t)x[i->rs1], b = (int64_t)x[i->rs2];
        x[i->rd] = b == 0                        ? UINT64_MAX
                   : (a == INT64_MIN && b == -1) ? (uint64_t)a
                                                 : (uint64_t)(a / b);
        return;
    }
    case OP_DIVU: {
        uint64_t a = x[i->rs1], b = x[i->rs2];
        x[i->rd] = b == 0 ? UINT64_MAX : a / b;
        return;
    }
    case OP_REM: {
        int64_t a = (int64_t)x[i->rs1], b = (int64_t)x[i->rs2];
        x[i->rd] = b == 0 ? (uint64_t)a : (a == INT64_MIN && b == -1) ? 0 : (uint64_t)(a % b);
        return;
    }
    case OP_REMU: {
        uint64_t a = x[i->rs1], b = x[i->rs2];
        x[i->rd] = b == 0 ? a : a % b;
        return;
    }
    case OP_MULW: x[i->rd] = (uint64_t)(int64_t)(int32_t)(x[i->rs1] * x[i->rs2]); return;
    case OP_DIVW: {
        int32_t a = (int32_t)x[i->rs1], b = (int32_t)x[i->rs2];
        int32_t r = b == 0 ? -1 : (a == INT32_MIN && b == -1) ? a : a / b;
        x[i->rd] = (uint64_t)(int64_t)r;
        return;
    }
    case OP_DIVUW: {
        uint32_t a = (uint32_t)x[i->rs1], b = (uint32_t)x[i->rs2];
        uint32_t r = b == 0 ? UINT32_MAX : a / b;
        x[i->rd] = (uint64_t)(int64_t)(int32_t)r;
        return;
    }
    case OP_REMW: {
        int32_t a = (int32_t)x[i->rs1], b = (int32_t)x[i->rs2];
        int32_t r = b == 0 ? a : (a == INT32_MIN && b == -1) ? 0 : a % b;
        x[i->rd] = (uint64_t)(int64_t)r;
        return;
    }
    case OP_REMUW: {
        uint32_t a = (uint32_t)x[i->rs1], b = (uint32_t)x[i->rs2];
        uint32_t r = b == 0 ? a : a % b;
        x[i->rd] = (uint64_t)(int64_t)(int32_t)r;
        return;
    }
    default: break;
    }
}

/* F and D arithmetic, conversions and moves; -1 = illegal instruction. */
static inline __attribute__((always_inline)) int exec_fp(rv_hart *h, const rv_insn *i)
{
    uint64_t *x = h->x;
    if (!(h->mstatus & MSTATUS_FS))
        return -1;
    int rm = i->rm == 7 ? (int)h->frm : i->rm;
    uint32_t *ff = &h->fflags;
    uint32_t fl0 = *ff;
    const uint64_t *f = h->f;
    int rd = i->rd;
    switch (i->op) {
    case OP_FMADD_S:
    case OP_FMSUB_S:
    case OP_FNMSUB_S:
    case OP_FNMADD_S: {
        if (rm > 4)
            return -1;
        uint32_t a = fs_get(h, i->rs1), b = fs_get(h, i->rs2), c = fs_get(h, i->rs3);
        if (i->op == OP_FMSUB_S || i->op == OP_FNMADD_S)
            c ^= SIGN32;
        if (i->op == OP_FNMSUB_S || i->op == OP_FNMADD_S)
            a ^= SIGN32;
        fs_set(h, rd, f32_fma(a, b, c, rm, ff));
        break;
    }
    case OP_FMADD_D:
    case OP_FMSUB_D:
    case OP_FNMSUB_D:
    case OP_FNMADD_D: {
        if (rm > 4)
            return -1;
        uint64_t a = f[i->rs1], b = f[i->rs2], c = f[i->rs3];
        if (i->op == OP_FMSUB_D || i->op == OP_FNMADD_D)
            c ^= SIGN64;
        if (i->op == OP_FNMSUB_D || i->op == OP_FNMADD_D)
            a ^= SIGN64;
        fd_set(h, rd, f64_fma(a, b, c, rm, ff));
        break;
    }
    case OP_FADD_S:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f32_add(fs_get(h, i->rs1), fs_get(h, i->rs2), rm, ff));
        break;
    case OP_FSUB_S:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f32_sub(fs_get(h, i->rs1), fs_get(h, i->rs2), rm, ff));
        break;
    case OP_FMUL_S:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f32_mul(fs_get(h, i->rs1), fs_get(h, i->rs2), rm, ff));
        break;
    case OP_FDIV_S:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f32_div(fs_get(h, i->rs1), fs_get(h, i->rs2), rm, ff));
        break;
    case OP_FSQRT_S:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f32_sqrt(fs_get(h, i->rs1), rm, ff));
        break;
    case OP_FADD_D:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f64_add(f[i->rs1], f[i->rs2], rm, ff));
        break;
    case OP_FSUB_D:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f64_sub(f[i->rs1], f[i->rs2], rm, ff));
        break;
    case OP_FMUL_D:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f64_mul(f[i->rs1], f[i->rs2], rm, ff));
        break;
    case OP_FDIV_D:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f64_div(f[i->rs1], f[i->rs2], rm, ff));
        break;
    case OP_FSQRT_D:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f64_sqrt(f[i->rs1], rm, ff));
        break;
    case OP_FSGNJ_S:
        fs_set(h, rd, (fs_get(h, i->rs1) & ~SIGN32) | (fs_get(h, i->rs2) & SIGN32));
        break;
    case OP_FSGNJN_S:
        fs_set(h, rd, (fs_get(h, i->rs1) & ~SIGN32) | (~fs_get(h, i->rs2) & SIGN32));
        break;
    case OP_FSGNJX_S: fs_set(h, rd, fs_get(h, i->rs1) ^ (fs_get(h, i->rs2) & SIGN32)); break;
    case OP_FSGNJ_D: fd_set(h, rd, (f[i->rs1] & ~SIGN64) | (f[i->rs2] & SIGN64)); break;
    case OP_FSGNJN_D: fd_set(h, rd, (f[i->rs1] & ~SIGN64) | (~f[i->rs2] & SIGN64)); break;
    case OP_FSGNJX_D: fd_set(h, rd, f[i->rs1] ^ (f[i->rs2] & SIGN64)); break;
    case OP_FMIN_S: fs_set(h, rd, f32_min(fs_get(h, i->rs1), fs_get(h, i->rs2), ff)); break;
    case OP_FMAX_S: fs_set(h, rd, f32_max(fs_get(h, i->rs1), fs_get(h, i->rs2), ff)); break;
    case OP_FMIN_D: fd_set(h, rd, f64_min(f[i->rs1], f[i->rs2], ff)); break;
    case OP_FMAX_D: fd_set(h, rd, f64_max(f[i->rs1], f[i->rs2], ff)); break;
    case OP_FCVT_W_S:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f32_to_i32(fs_get(h, i->rs1), rm, ff);
        break;
    case OP_FCVT_WU_S:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f32_to_u32(fs_get(h, i->rs1), rm, ff);
        break;
    case OP_FCVT_L_S:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f32_to_i64(fs_get(h, i->rs1), rm, ff);
        break;
    case OP_FCVT_LU_S:
        if (rm > 4)
            return -1;
        x[rd] = f32_to_u64(fs_get(h, i->rs1), rm, ff);
        break;
    case OP_FCVT_W_D:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f64_to_i32(f[i->rs1], rm, ff);
        break;
    case OP_FCVT_WU_D:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f64_to_u32(f[i->rs1], rm, ff);
        break;
    case OP_FCVT_L_D:
        if (rm > 4)
            return -1;
        x[rd] = (uint64_t)f64_to_i64(f[i->rs1], rm, ff);
        break;
    case OP_FCVT_LU_D:
        if (rm > 4)
            return -1;
        x[rd] = f64_to_u64(f[i->rs1], rm, ff);
        break;
    case OP_FMV_X_W: x[rd] = (uint64_t)(int64_t)(int32_t)(uint32_t)f[i->rs1]; break;
    case OP_FMV_X_D: x[rd] = f[i->rs1]; break;
    case OP_FEQ_S: x[rd] = f32_eq(fs_get(h, i->rs1), fs_get(h, i->rs2), ff); break;
    case OP_FLT_S: x[rd] = f32_lt(fs_get(h, i->rs1), fs_get(h, i->rs2), ff); break;
    case OP_FLE_S: x[rd] = f32_le(fs_get(h, i->rs1), fs_get(h, i->rs2), ff); break;
    case OP_FEQ_D: x[rd] = f64_eq(f[i->rs1], f[i->rs2], ff); break;
    case OP_FLT_D: x[rd] = f64_lt(f[i->rs1], f[i->rs2], ff); break;
    case OP_FLE_D: x[rd] = f64_le(f[i->rs1], f[i->rs2], ff); break;
    case OP_FCLASS_S: x[rd] = f32_classify(fs_get(h, i->rs1)); break;
    case OP_FCLASS_D: x[rd] = f64_classify(f[i->rs1]); break;
    case OP_FCVT_S_W:
        if (rm > 4)
            return -1;
        fs_set(h, rd, i32_to_f32((int32_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_S_WU:
        if (rm > 4)
            return -1;
        fs_set(h, rd, u32_to_f32((uint32_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_S_L:
        if (rm > 4)
            return -1;
        fs_set(h, rd, i64_to_f32((int64_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_S_LU:
        if (rm > 4)
            return -1;
        fs_set(h, rd, u64_to_f32(x[i->rs1], rm, ff));
        break;
    case OP_FCVT_D_W:
        if (rm > 4)
            return -1;
        fd_set(h, rd, i32_to_f64((int32_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_D_WU:
        if (rm > 4)
            return -1;
        fd_set(h, rd, u32_to_f64((uint32_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_D_L:
        if (rm > 4)
            return -1;
        fd_set(h, rd, i64_to_f64((int64_t)x[i->rs1], rm, ff));
        break;
    case OP_FCVT_D_LU:
        if (rm > 4)
            return -1;
        fd_set(h, rd, u64_to_f64(x[i->rs1], rm, ff));
        break;
    case OP_FMV_W_X: fs_set(h, rd, (uint32_t)x[i->rs1]); break;
    case OP_FMV_D_X: fd_set(h, rd, x[i->rs1]); break;
    case OP_FCVT_S_D:
        if (rm > 4)
            return -1;
        fs_set(h, rd, f64_to_f32(f[i->rs1], rm, ff));
        break;
    case OP_FCVT_D_S:
        if (rm > 4)
            return -1;
        fd_set(h, rd, f32_to_f64(fs_get(h, i->rs1), ff));
        break;
    default: return -1;
    }
    if (*ff != fl0)
        fflags_touched(h);
    return 0;
}

/* Zba, Zbb, Zbs; false = not one of them. */
static inline __attribute__((always_inline)) bool exec_bitmanip(uint64_t *x, const rv_insn *i)
{
    switch (i->op) {
    /* ---- Zba ---- */
    case OP_ADD_UW: x[i->rd] = x[i->rs2] + (uint32_t)x[i->rs1]; return true;
    case OP_SH1ADD: x[i->rd] = x[i->rs2] + (x[i->rs1] << 1); return true;
    case OP_SH2ADD: x[i->rd] = x[i->rs2] + (x[i->rs1] << 2); return true;
    case OP_SH3ADD: x[i->rd] = x[i->rs2] + (x[i->rs1] << 3); return true;
    case OP_SH1ADD_UW: x[i->rd] = x[i->rs2] + ((uint64_t)(uint32_t)x[i->rs1] << 1); return true;
    case OP_SH2ADD_UW: x[i->rd] = x[i->rs2] + ((uint64_t)(uint32_t)x[i->rs1] << 2); return true;
    case OP_SH3ADD_UW: x[i->rd] = x[i->rs2] + ((uint64_t)(uint32_t)x[i->rs1] << 3); return true;
    case OP_SLLI_UW: x[i->rd] = (uint64_t)(uint32_t)x[i->rs1] << (i->imm & 63); return true;
    /* ---- Zbb ---- */
    case OP_ANDN: x[i->rd] = x[i->rs1] & ~x[i->rs2]; return true;
    case OP_ORN: x[i->rd] = x[i->rs1] | ~x[i->rs2]; return true;
    case OP_XNOR: x[i->rd] = ~(x[i->rs1] ^ x[i->rs2]); return true;
    case OP_CLZ: x[i->rd] = x[i->rs1] ? (uint64_t)__builtin_clzll(x[i->rs1]) : 64; return true;
    case OP_CLZW:
        x[i->rd] = (uint32_t)x[i->rs1] ? (uint64_t)__builtin_clz((uint32_t)x[i->rs1]) : 32;
        return true;
    case OP_CTZ: x[i->rd] = x[i->rs1] ? (uint64_t)__builtin_ctzll(x[i->rs1]) : 64; return true;
    case OP_CTZW:
        x[i->rd] = (uint32_t)x[i->rs1] ? (uint64_t)__builtin_ctz((uint32_t)x[i->rs1]) : 32;
        return true;
    case OP_CPOP: x[i->rd] = (uint64_t)__builtin_popcountll(x[i->rs1]); return true;
    case OP_CPOPW: x[i->rd] = (uint64_t)__builtin_popcount((uint32_t)x[i->rs1]); return true;
    case OP_MAX:
        x[i->rd] = (int64_t)x[i->rs1] > (int64_t)x[i->rs2] ? x[i->rs1] : x[i->rs2];
        return true;
    case OP_MAXU: x[i->rd] = x[i->rs1] > x[i->rs2] ? x[i->rs1] : x[i->rs2]; return true;
    case OP_MIN:
        x[i->rd] = (int64_t)x[i->rs1] < (int64_t)x[i->rs2] ? x[i->rs1] : x[i->rs2];
        return true;
    case OP_MINU: x[i->rd] = x[i->rs1] < x[i->rs2] ? x[i->rs1] : x[i->rs2]; return true;
    case OP_SEXT_B: x[i->rd] = (uint64_t)(int64_t)(int8_t)x[i->rs1]; return true;
    case OP_SEXT_H: x[i->rd] = (uint64_t)(int64_t)(int16_t)x[i->rs1]; return true;
    case OP_ZEXT_H: x[i->rd] = (uint16_t)x[i->rs1]; return true;
    case OP_ROL: x[i->rd] = rol64(x[i->rs1], (unsigned)x[i->rs2]); return true;
    case OP_ROR: x[i->rd] = ror64(x[i->rs1], (unsigned)x[i->rs2]); return true;
    case OP_RORI: x[i->rd] = ror64(x[i->rs1], (unsigned)i->imm); return true;
    case OP_ROLW:
        x[i->rd] = (uint64_t)(int64_t)(int32_t)rol32((uint32_t)x[i->rs1], (unsigned)x[i->rs2]);
        return true;
    case OP_RORW:
        x[i->rd] = (uint64_t)(int64_t)(int32_t)ror32((uint32_t)x[i->rs1], (unsigned)x[i->rs2]);
        return true;
    case OP_RORIW:
        x[i->rd] = (uint64_t)(int64_t)(int32_t)ror32((uint32_t)x[i->rs1], (unsigned)i->imm);
        return true;
    case OP_ORC_B: x[i->rd] = orc_b(x[i->rs1]); return true;
    case OP_REV8: x[i->rd] = __builtin_bswap64(x[i->rs1]); return true;
    /* ---- Zbs ---- */
    case OP_BCLR: x[i->rd] = x[i->rs1] & ~(1ull << (x[i->rs2] & 63)); return true;
    case OP_BCLRI: x[i->rd] = x[i->rs1] & ~(1ull << (i->imm & 63)); return true;
    case OP_BEXT: x[i->rd] = (x[i->rs1] >> (x[i->rs2] & 63)) & 1; return true;
    case OP_BEXTI: x[i->rd] = (x[i->rs1] >> (i->imm & 63)) & 1; return true;
    case OP_BINV: x[i->rd] = x[i->rs1] ^ (1ull << (x[i->rs2] & 63)); return true;
    case OP_BINVI: x[i->rd] = x[i->rs1] ^ (1ull << (i->imm & 63)); return true;
    case OP_BSET: x[i->rd] = x[i->rs1] | (1ull << (x[i->rs2] & 63)); return true;
    case OP_BSETI: x[i->rd] = x[i->rs1] | (1ull << (i->imm & 63)); return true;
    default: return false;
    }
}
/* ---- what translated code calls (jit.h) ---- */

int jit_helper_load(rv_hart *h, uint64_t va, uint32_t op_rd, uint64_t pc)
{
    int op = (int)(op_rd & 0xffff);
    int rd = (int)(op_rd >> 16);
    unsigned len = (op == OP_LB || op == OP_LBU)   ? 1
                   : (op == OP_LH || op == OP_LHU) ? 2
                   : (op == OP_LD || op == OP_FLD) ? 8
                                                   : 4;
    uint64_t v;
    h->pc = pc;
    if (!mem_load_slow(h, va, len, &v))
        return 2;
    switch (op) {
    case OP_LB: v = (uint64_t)(int64_t)(int8_t)v; break;
    case OP_LH: v = (uint64_t)(int64_t)(int16_t)v; break;
    case OP_LW: v = (uint64_t)(int64_t)(int32_t)v; break;
    case OP_FLW: fs_set(h, rd, (uint32_t)v); return h->slice_end ? 1 : 0;
    case OP_FLD: fd_set(h, rd, v); return h->slice_end ? 1 : 0;
    default: break;
    }
    h->x[rd] = v;
    return h->slice_end ? 1 : 0;
}

int jit_helper_store(rv_hart *h, uint64_t va, uint64_t val, uint32_t len, uint64_t pc)
{
    h->pc = pc;
    if (!mem_store_slow(h, va, len, val))
        return 2;
    return h->slice_end ? 1 : 0;
}

int jit_helper_fp(rv_hart *h, const rv_insn *i, uint64_t pc)
{
    if (exec_fp(h, i) == 0)
        return 0;
    h->pc = pc;
    hart_trap(h, EXC_ILLEGAL, i->raw);
    return 2;
}

void jit_helper_alu(rv_hart *h, const rv_insn *i)
{
    if (i->op >= OP_ADD_UW)
        exec_bitmanip(h->x, i);
    else
        exec_muldiv(h->x, i);
}

/* instret as of the instruction in flight, for CSR reads. Out of line so
 * the compiler does not keep a second per-instruction counter for it. */
static __attribute__((noinline)) void sync_instret(rv_hart *h, uint64_t start, uint64_t n,
                                                   int64_t left, uint64_t faulted)
{
    h->instret = start + (uint64_t)((int64_t)n - left) - faulted;
}

uint64_t hart_run(rv_hart *h, uint64_t n)
{
    uint64_t *x = h->x;
    const uint64_t start = h->instret;
    int64_t left = (int64_t)n;
    rv_insn tmp;
    uint64_t faulted = 0;
    uint64_t lv = 0; /* loaded value and result of the load/store in flight */
    int lr = 0;
    /* with the translator: the next instruction is the interpreter's
     * (one the translator leaves out), or the rest of the budget is (fewer
     * left than a block holds) */
    bool interp_once = false, interp_rest = false;

    while (left > 0 && !h->bus->stop && !h->bus->tohost_hit) {
        h->slice_end = false;
        if ((h->mip_sw | h->mip_hw) & h->mie)
            hart_check_interrupts(h);
        if (h->wfi)
            break;
        uint64_t pc = h->pc;
        bool whole_page;
        rv_dpage *p = fetch_page(h, pc, &whole_page);
        if (!p) {
            /* fetch fault taken: pc is the handler */
            left--;
            faulted++;
            continue;
        }
        const uint64_t page_va = pc & ~(uint64_t)(RV_PAGE_SIZE - 1);
        rv_insn *base = p->insn;
        /* A PMP entry splits this page (privileged spec 3.7.1: every fetch
         * is checked): run one instruction, then fetch and check again. */
        int64_t floor = whole_page ? 0 : left - 1;
        if (h->bus->jit && whole_page && !interp_rest) {
            if (interp_once) {
                interp_once = false;
                floor = left - 1;
            } else {
                switch (jit_run(h, p, pc, &left)) {
                case JIT_EXIT_PC: continue;
                case JIT_EXIT_TRAP: faulted++; continue;
                case JIT_EXIT_INTERP: interp_once = true; continue;
                case JIT_EXIT_BUDGET: interp_rest = true; continue;
                default: break; /* nothing translated: interpret */
                }
            }
        }

        for (;;) {
            rv_insn *i = &base[(pc - page_va) >> 1];
        dispatch:
            switch (i->op) {
            case OP_DECODE: fetch_decode_slot(h, p, pc, i); goto dispatch;
            case OP_PAGE_END: goto leave; /* sequential flow ran off the page: refetch */
            case OP_CROSS:
                h->pc = pc;
                if (!fetch_decode_uncached(h, pc, &tmp))
                    goto trapped;
                i = &tmp;
                goto dispatch;
            case OP_ILLEGAL: goto illegal;

            /* ---- RV64I ---- */
            case OP_LUI: x[i->rd] = (uint64_t)(int64_t)i->imm; goto next;
            case OP_AUIPC: x[i->rd] = pc + (int64_t)i->imm; goto next;
            case OP_JAL: {
                uint64_t t = pc + (int64_t)i->imm;
                x[i->rd] = pc + i->len;
                pc = t;
                goto jumped;
            }
            case OP_JALR: {
                uint64_t t = (x[i->rs1] + (int64_t)i->imm) & ~1ull;
                x[i->rd] = pc + i->len;
                pc = t;
                goto jumped;
            }
            case OP_BEQ:
                if (x[i->rs1] == x[i->rs2])
                    goto branch;
                goto next;
            case OP_BNE:
                if (x[i->rs1] != x[i->rs2])
                    goto branch;
                goto next;
            case OP_BLT:
                if ((int64_t)x[i->rs1] < (int64_t)x[i->rs2])
                    goto branch;
                goto next;
            case OP_BGE:
                if ((int64_t)x[i->rs1] >= (int64_t)x[i->rs2])
                    goto branch;
                goto next;
            case OP_BLTU:
                if (x[i->rs1] < x[i->rs2])
                    goto branch;
                goto next;
            case OP_BGEU:
                if (x[i->rs1] >= x[i->rs2])
                    goto branch;
                goto next;

            /* One case per width, so each access is a fixed-size move
             * rather than a call to memcpy; all share load_done. */
            case OP_LB:
                lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 1, &lv);
                lv = (uint64_t)(int64_t)(int8_t)lv;
                goto load_done;
            case OP_LH:
                lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 2, &lv);
                lv = (uint64_t)(int64_t)(int16_t)lv;
                goto load_done;
            case OP_LW:
                lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 4, &lv);
                lv = (uint64_t)(int64_t)(int32_t)lv;
                goto load_done;
            case OP_LD: lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 8, &lv); goto load_done;
            case OP_LBU: lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 1, &lv); goto load_done;
            case OP_LHU: lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 2, &lv); goto load_done;
            case OP_LWU: lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 4, &lv); goto load_done;
            case OP_SB:
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 1, x[i->rs2]);
                goto store_done;
            case OP_SH:
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 2, x[i->rs2]);
                goto store_done;
            case OP_SW:
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 4, x[i->rs2]);
                goto store_done;
            case OP_SD:
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 8, x[i->rs2]);
                goto store_done;

            case OP_ADDI: x[i->rd] = x[i->rs1] + (int64_t)i->imm; goto next;
            case OP_SLTI: x[i->rd] = (int64_t)x[i->rs1] < (int64_t)i->imm; goto next;
            case OP_SLTIU: x[i->rd] = x[i->rs1] < (uint64_t)(int64_t)i->imm; goto next;
            case OP_XORI: x[i->rd] = x[i->rs1] ^ (uint64_t)(int64_t)i->imm; goto next;
            case OP_ORI: x[i->rd] = x[i->rs1] | (uint64_t)(int64_t)i->imm; goto next;
            case OP_ANDI: x[i->rd] = x[i->rs1] & (uint64_t)(int64_t)i->imm; goto next;
            case OP_SLLI: x[i->rd] = x[i->rs1] << (i->imm & 63); goto next;
            case OP_SRLI: x[i->rd] = x[i->rs1] >> (i->imm & 63); goto next;
            case OP_SRAI: x[i->rd] = (uint64_t)((int64_t)x[i->rs1] >> (i->imm & 63)); goto next;
            case OP_ADD: x[i->rd] = x[i->rs1] + x[i->rs2]; goto next;
            case OP_SUB: x[i->rd] = x[i->rs1] - x[i->rs2]; goto next;
            case OP_SLL: x[i->rd] = x[i->rs1] << (x[i->rs2] & 63); goto next;
            case OP_SLT: x[i->rd] = (int64_t)x[i->rs1] < (int64_t)x[i->rs2]; goto next;
            case OP_SLTU: x[i->rd] = x[i->rs1] < x[i->rs2]; goto next;
            case OP_XOR: x[i->rd] = x[i->rs1] ^ x[i->rs2]; goto next;
            case OP_SRL: x[i->rd] = x[i->rs1] >> (x[i->rs2] & 63); goto next;
            case OP_SRA: x[i->rd] = (uint64_t)((int64_t)x[i->rs1] >> (x[i->rs2] & 63)); goto next;
            case OP_OR: x[i->rd] = x[i->rs1] | x[i->rs2]; goto next;
            case OP_AND: x[i->rd] = x[i->rs1] & x[i->rs2]; goto next;
            case OP_ADDIW:
                x[i->rd] = (uint64_t)(int64_t)(int32_t)(x[i->rs1] + (int64_t)i->imm);
                goto next;
            case OP_SLLIW:
                x[i->rd] = (uint64_t)(int64_t)(int32_t)((uint32_t)x[i->rs1] << (i->imm & 31));
                goto next;
            case OP_SRLIW:
                x[i->rd] = (uint64_t)(int64_t)(int32_t)((uint32_t)x[i->rs1] >> (i->imm & 31));
                goto next;
            case OP_SRAIW:
                x[i->rd] = (uint64_t)(int64_t)((int32_t)x[i->rs1] >> (i->imm & 31));
                goto next;
            case OP_ADDW: x[i->rd] = (uint64_t)(int64_t)(int32_t)(x[i->rs1] + x[i->rs2]); goto next;
            case OP_SUBW: x[i->rd] = (uint64_t)(int64_t)(int32_t)(x[i->rs1] - x[i->rs2]); goto next;
            case OP_SLLW:
                x[i->rd] = (uint64_t)(int64_t)(int32_t)((uint32_t)x[i->rs1] << (x[i->rs2] & 31));
                goto next;
            case OP_SRLW:
                x[i->rd] = (uint64_t)(int64_t)(int32_t)((uint32_t)x[i->rs1] >> (x[i->rs2] & 31));
                goto next;
            case OP_SRAW:
                x[i->rd] = (uint64_t)(int64_t)((int32_t)x[i->rs1] >> (x[i->rs2] & 31));
                goto next;
            case OP_FENCE: goto next;
            case OP_FENCE_I:
                /* Decoded pages follow every physical write already, so
                 * there is nothing stale to drop. */
                goto next;
            case OP_ECALL:
                h->pc = pc;
                hart_trap(h, (uint64_t)(EXC_ECALL_U + h->priv), 0);
                goto trapped;
            case OP_EBREAK:
                h->pc = pc;
                hart_trap(h, EXC_BREAKPOINT, pc);
                goto trapped;

            /* ---- M ---- */
            case OP_MUL: x[i->rd] = x[i->rs1] * x[i->rs2]; goto next;
            case OP_MULH:
            case OP_MULHSU:
            case OP_MULHU:
            case OP_DIV:
            case OP_DIVU:
            case OP_REM:
            case OP_REMU:
            case OP_MULW:
            case OP_DIVW:
            case OP_DIVUW:
            case OP_REMW:
            case OP_REMUW: exec_muldiv(x, i); goto next;

            /* ---- A ---- */
            case OP_LR_W:
            case OP_LR_D: {
                unsigned len = i->op == OP_LR_W ? 4 : 8;
                uint64_t pa, v = 0;
                uint8_t *hp;
                h->pc = pc;
                if (!mem_amo_addr(h, x[i->rs1], len, ACC_LOAD, &pa, &hp))
                    goto trapped;
                if (hp)
                    memcpy(&v, hp, len);
                else if (!mem_mmio_read(h, pa, len, &v)) {
                    hart_trap(h, EXC_LOAD_ACCESS, x[i->rs1]);
                    goto trapped;
                }
                if (len == 4)
                    v = (uint64_t)(int64_t)(int32_t)v;
                h->resv_addr = pa;
                h->resv_val = v;
                x[i->rd] = v;
                goto next_slow;
            }
            case OP_SC_W:
            case OP_SC_D: {
                unsigned len = i->op == OP_SC_W ? 4 : 8;
                uint64_t pa, cur = 0;
                uint8_t *hp;
                h->pc = pc;
                if (!mem_amo_addr(h, x[i->rs1], len, ACC_STORE, &pa, &hp))
                    goto trapped;
                bool ok = false;
                if (hp && h->resv_addr == pa) {
                    /* The reservation holds while the reserved word still
                     * has the value LR saw; a store by any hart that
                     * changes it breaks the reservation. */
                    memcpy(&cur, hp, len);
                    if (len == 4)
                        cur = (uint64_t)(int64_t)(int32_t)cur;
                    if (cur == h->resv_val) {
                        uint64_t v = x[i->rs2];
                        memcpy(hp, &v, len);
                        ok = true;
                    }
                }
                h->resv_addr = UINT64_MAX;
                x[i->rd] = ok ? 0 : 1;
                goto next_slow;
            }
            case OP_AMOSWAP_W:
            case OP_AMOADD_W:
            case OP_AMOXOR_W:
            case OP_AMOAND_W:
            case OP_AMOOR_W:
            case OP_AMOMIN_W:
            case OP_AMOMAX_W:
            case OP_AMOMINU_W:
            case OP_AMOMAXU_W:
            case OP_AMOSWAP_D:
            case OP_AMOADD_D:
            case OP_AMOXOR_D:
            case OP_AMOAND_D:
            case OP_AMOOR_D:
            case OP_AMOMIN_D:
            case OP_AMOMAX_D:
            case OP_AMOMINU_D:
            case OP_AMOMAXU_D: {
                bool w = i->op <= OP_AMOMAXU_W;
                unsigned len = w ? 4 : 8;
                uint64_t pa, old = 0;
                uint8_t *hp;
                uint64_t src = x[i->rs2];
                h->pc = pc;
                if (!mem_amo_addr(h, x[i->rs1], len, ACC_STORE, &pa, &hp))
                    goto trapped;
                if (hp)
                    memcpy(&old, hp, len);
                else if (!mem_mmio_read(h, pa, len, &old)) {
                    hart_trap(h, EXC_STORE_ACCESS, x[i->rs1]);
                    goto trapped;
                }
                uint64_t nv = amo_apply(i->op, old, src, w);
                if (hp)
                    memcpy(hp, &nv, len);
                else if (!mem_mmio_write(h, pa, len, nv)) {
                    hart_trap(h, EXC_STORE_ACCESS, x[i->rs1]);
                    goto trapped;
                }
                x[i->rd] = w ? (uint64_t)(int64_t)(int32_t)old : old;
                goto next_slow;
            }

            /* ---- Zicsr ---- */
            case OP_CSRRW:
            case OP_CSRRS:
            case OP_CSRRC:
            case OP_CSRRWI:
            case OP_CSRRSI:
            case OP_CSRRCI: {
                uint32_t csr = (uint32_t)i->imm & 0xfff;
                bool imm = i->op >= OP_CSRRWI;
                int kind = (i->op - OP_CSRRW) % 3; /* 0 write, 1 set, 2 clear */
                uint64_t src = imm ? i->rs1 : x[i->rs1];
                bool write = kind == 0 || i->rs1 != 0;
                bool read = !(kind == 0 && i->rd == 32);
                if (!csr_ok(h, csr, write))
                    goto illegal;
                sync_instret(h, start, n, left, faulted);
                h->pc = pc;
                uint64_t old = 0;
                if (read)
                    csr_read(h, csr, &old);
                if (write) {
                    /* A read-modify-write of mip starts from the software
                     * bits: a SEIP raised by the PLIC must not be copied
                     * into the writable SEIP (privileged spec 3.1.9). */
                    uint64_t base = csr == CSR_MIP ? h->mip_sw : old;
                    uint64_t nv = kind == 0 ? src : kind == 1 ? (base | src) : (base & ~src);
                    if (!read)
                        nv = src;
                    csr_write(h, csr, nv);
                }
                x[i->rd] = old;
                goto next_slow;
            }

            /* ---- privileged ---- */
            case OP_MRET: {
                if (h->priv < PRV_M)
                    goto illegal;
                uint64_t s = h->mstatus;
                int npriv = (int)((s & MSTATUS_MPP) >> MSTATUS_MPP_SHIFT);
                s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
                s |= MSTATUS_MPIE;
                s &= ~MSTATUS_MPP;
                if (npriv != PRV_M)
                    s &= ~MSTATUS_MPRV;
                h->mstatus = s;
                h->priv = npriv;
                hart_update_ctx(h);
                pc = h->mepc;
                goto jumped_slow;
            }
            case OP_SRET: {
                if (h->priv < PRV_S || (h->priv == PRV_S && (h->mstatus & MSTATUS_TSR)))
                    goto illegal;
                uint64_t s = h->mstatus;
                int npriv = (s & MSTATUS_SPP) ? PRV_S : PRV_U;
                s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
                s |= MSTATUS_SPIE;
                s &= ~MSTATUS_SPP;
                s &= ~MSTATUS_MPRV;
                h->mstatus = s;
                h->priv = npriv;
                hart_update_ctx(h);
                pc = h->sepc;
                goto jumped_slow;
            }
            case OP_WFI:
                if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MSTATUS_TW)))
                    goto illegal;
                if (!hart_interrupt_pending(h))
                    h->wfi = true;
                pc += i->len;
                left--;
                goto leave;
            case OP_SFENCE_VMA:
                if (h->priv == PRV_U || (h->priv == PRV_S && (h->mstatus & MSTATUS_TVM)))
                    goto illegal;
                hart_flush_translated(h);
                pc += i->len;
                left--;
                goto leave;

            /* ---- F and D ---- */
            case OP_FLW:
                if (!(h->mstatus & MSTATUS_FS))
                    goto illegal;
                lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 4, &lv);
                if (lr >= 0)
                    fs_set(h, i->rd, (uint32_t)lv);
                goto store_done;
            case OP_FLD:
                if (!(h->mstatus & MSTATUS_FS))
                    goto illegal;
                lr = mem_load(h, pc, x[i->rs1] + (int64_t)i->imm, 8, &lv);
                if (lr >= 0)
                    fd_set(h, i->rd, lv);
                goto store_done;
            case OP_FSW:
                if (!(h->mstatus & MSTATUS_FS))
                    goto illegal;
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 4, h->f[i->rs2]);
                goto store_done;
            case OP_FSD:
                if (!(h->mstatus & MSTATUS_FS))
                    goto illegal;
                lr = mem_store(h, pc, x[i->rs1] + (int64_t)i->imm, 8, h->f[i->rs2]);
                goto store_done;
            default: break;
            }

            /* Remaining: FP arithmetic and the bit-manipulation extensions. */
            if (i->op >= OP_FMADD_S && i->op <= OP_FCVT_D_S) {
                if (exec_fp(h, i) < 0)
                    goto illegal;
                goto next;
            }
            if (exec_bitmanip(x, i))
                goto next;
            goto illegal;

        load_done:
            if (lr < 0)
                goto trapped;
            x[i->rd] = lv;
            if (lr)
                goto next_slow;
            goto next;
        store_done: /* also the end of FP loads, which wrote their register */
            if (lr < 0)
                goto trapped;
            if (lr)
                goto next_slow;
            goto next;
        next:
            pc += i->len;
            if (--left <= floor)
                goto leave;
            continue;
        next_slow:
            /* after a slow path: it may have raised slice_end */
            pc += i->len;
            left--;
            if (h->slice_end || left <= floor)
                goto leave;
            continue;
        branch : {
            uint64_t t = pc + (int64_t)i->imm;
            bool same = ((t ^ pc) >> RV_PAGE_SHIFT) == 0;
            pc = t;
            if (--left <= floor)
                goto leave;
            if (same)
                continue;
            goto leave;
        }
        jumped:
            left--;
            if (left <= floor || ((pc ^ page_va) >> RV_PAGE_SHIFT) != 0)
                goto leave;
            continue;
        jumped_slow:
            left--;
            goto leave;
        illegal:
            h->pc = pc;
            hart_trap(h, EXC_ILLEGAL, i->raw);
            goto trapped;
        }
    leave:
        h->pc = pc;
        continue;
    trapped:
        /* h->pc already points at the handler. The trapping instruction
         * did not retire but still counts against the budget, so a guest
         * stuck in a trap loop cannot hold the host. */
        left--;
        faulted++;
        continue;
    }
    uint64_t done = (uint64_t)((int64_t)n - left);
    h->instret = start + done - faulted;
    return done;
}
