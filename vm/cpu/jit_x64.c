/* The translator's x86-64 backend (System V ABI). See jit.h for the model.
 *
 * While translated code runs, six registers are fixed:
 *   rbx  the hart (guest x[] at offset 0, f[], pc, CSRs)
 *   rbp  the code buffer's base (entry tables hold offsets from it)
 *   r12  instructions left in the budget
 *   r13  virtual base of the page the code came from
 *   r14  that page's entry table
 *   r15  the load TLB of the current data context (stores at +STORE_TLB)
 * Guest registers live in the hart; a block loads and stores them around
 * each instruction. Everything else (rax, rcx, rdx, rsi, rdi, r8-r11) is
 * scratch and may be clobbered by a helper call.
 *
 * A block: a budget check, the instructions, a jump to the next block;
 * then its cold code (slow memory paths, exits). Jumps to the next block:
 * within the page, straight to the block when it already exists, else
 * through the page's entry table; to another page, through the shared
 * dyn stub (interrupt check, fetch TLB, the target page's table). */
#include "jit.h"

#include <stddef.h>
#include <string.h>

#include "ops.h"

#if defined(__x86_64__)

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 };
/* condition codes (Intel SDM vol. 2, Jcc) */
enum { CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_A = 7, CC_L = 0xc, CC_GE = 0xd };
/* /digit of the group-1 immediate ALU opcodes (0x81, 0x83) */
enum { G1_ADD = 0, G1_OR = 1, G1_AND = 4, G1_SUB = 5, G1_XOR = 6, G1_CMP = 7 };
/* /digit of the shift group (0xc1, 0xd3) */
enum { SH_SHL = 4, SH_SHR = 5, SH_SAR = 7 };

#define HOFF(field) ((int32_t)offsetof(rv_hart, field))
#define STORE_TLB ((int32_t)(offsetof(rv_hart, tlb_store) - offsetof(rv_hart, tlb_load)))
#define MSTATUS_FS_BITS 0x6000u

_Static_assert(offsetof(rv_hart, x) == 0, "x[] first: guest registers at [rbx + 8*r]");
_Static_assert(sizeof(rv_tlb_entry) == 16 && sizeof(rv_ftlb_entry) == 16, "16-byte TLB entries");
_Static_assert(RV_TLB_SIZE == 256, "the TLB index is one byte");
_Static_assert(sizeof(rv_insn) == 16, "instruction copies are 16 bytes");

typedef struct xb {
    uint8_t *p;
    size_t pos, cap;
    bool full;
} xb;

static void e1(xb *b, unsigned v)
{
    if (b->pos < b->cap)
        b->p[b->pos++] = (uint8_t)v;
    else
        b->full = true;
}

static void e4(xb *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        e1(b, (v >> (8 * i)) & 0xff);
}

static void e8(xb *b, uint64_t v)
{
    e4(b, (uint32_t)v);
    e4(b, (uint32_t)(v >> 32));
}

static bool fits8(int64_t v)
{
    return v >= -128 && v <= 127;
}

static bool fits32(int64_t v)
{
    return v >= INT32_MIN && v <= INT32_MAX;
}

static void rex(xb *b, int w, int reg, int index, int base)
{
    unsigned v = 0x40u | (unsigned)w << 3 | (unsigned)((reg >> 3) & 1) << 2 |
                 (unsigned)((index >> 3) & 1) << 1 | (unsigned)((base >> 3) & 1);
    if (v != 0x40)
        e1(b, v);
}

/* one-byte opcodes, or 0x0fXX */
static void opc(xb *b, unsigned op)
{
    if (op > 0xff)
        e1(b, op >> 8);
    e1(b, op & 0xff);
}

/* op reg, rm (both registers) */
static void rr(xb *b, int w, unsigned op, int reg, int rm)
{
    rex(b, w, reg, 0, rm);
    opc(b, op);
    e1(b, 0xc0u | (unsigned)(reg & 7) << 3 | (unsigned)(rm & 7));
}

/* ModRM (+SIB, +displacement) for [base + index*2^scale + disp]; index < 0: none */
static void modrm_mem(xb *b, int reg, int base, int index, int scale, int32_t disp)
{
    unsigned mod = (disp == 0 && (base & 7) != RBP) ? 0 : fits8(disp) ? 1 : 2;
    if (index < 0 && (base & 7) != RSP) {
        e1(b, mod << 6 | (unsigned)(reg & 7) << 3 | (unsigned)(base & 7));
    } else {
        e1(b, mod << 6 | (unsigned)(reg & 7) << 3 | 4);
        e1(b, (unsigned)scale << 6 | (unsigned)((index < 0 ? RSP : index) & 7) << 3 |
                  (unsigned)(base & 7));
    }
    if (mod == 1)
        e1(b, (uint8_t)disp);
    else if (mod == 2)
        e4(b, (uint32_t)disp);
}

/* op reg, [base + disp] */
static void rm(xb *b, int w, unsigned op, int reg, int base, int32_t disp)
{
    rex(b, w, reg, 0, base);
    opc(b, op);
    modrm_mem(b, reg, base, -1, 0, disp);
}

/* op reg, [base + index*2^scale + disp] */
static void rmi(xb *b, int w, unsigned op, int reg, int base, int index, int scale, int32_t disp)
{
    rex(b, w, reg, index, base);
    opc(b, op);
    modrm_mem(b, reg, base, index, scale, disp);
}

static void alu_ri(xb *b, int w, int ext, int reg, int32_t imm)
{
    if (fits8(imm)) {
        rr(b, w, 0x83, ext, reg);
        e1(b, (uint8_t)imm);
    } else {
        rr(b, w, 0x81, ext, reg);
        e4(b, (uint32_t)imm);
    }
}

static void alu_mi(xb *b, int w, int ext, int base, int32_t disp, int32_t imm)
{
    if (fits8(imm)) {
        rm(b, w, 0x83, ext, base, disp);
        e1(b, (uint8_t)imm);
    } else {
        rm(b, w, 0x81, ext, base, disp);
        e4(b, (uint32_t)imm);
    }
}

static void shift_ri(xb *b, int w, int ext, int reg, unsigned s)
{
    rr(b, w, 0xc1, ext, reg);
    e1(b, s);
}

static void mov_ri(xb *b, int reg, int64_t v)
{
    if (v >= 0 && v <= (int64_t)UINT32_MAX) {
        rex(b, 0, 0, 0, reg);
        e1(b, 0xb8u + (unsigned)(reg & 7));
        e4(b, (uint32_t)v);
    } else if (fits32(v)) {
        rr(b, 1, 0xc7, 0, reg);
        e4(b, (uint32_t)v);
    } else {
        rex(b, 1, 0, 0, reg);
        e1(b, 0xb8u + (unsigned)(reg & 7));
        e8(b, (uint64_t)v);
    }
}

static void mov_rr(xb *b, int dst, int src)
{
    rr(b, 1, 0x89, src, dst);
}

static void ldq(xb *b, int reg, int base, int32_t disp)
{
    rm(b, 1, 0x8b, reg, base, disp);
}

static void stq(xb *b, int base, int32_t disp, int reg)
{
    rm(b, 1, 0x89, reg, base, disp);
}

static void lea(xb *b, int reg, int base, int32_t disp)
{
    rm(b, 1, 0x8d, reg, base, disp);
}

static int32_t xoff(int r)
{
    return HOFF(x) + 8 * r;
}

static int32_t foff(int r)
{
    return HOFF(f) + 8 * r;
}

/* jumps: the rel32 field's position, patched later */
static size_t jmp_fwd(xb *b)
{
    e1(b, 0xe9);
    e4(b, 0);
    return b->pos - 4;
}

static size_t jcc_fwd(xb *b, int cc)
{
    e1(b, 0x0f);
    e1(b, 0x80u | (unsigned)cc);
    e4(b, 0);
    return b->pos - 4;
}

static void patch(xb *b, size_t at, size_t target)
{
    if (at + 4 > b->cap)
        return;
    int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
    memcpy(b->p + at, &rel, 4);
}

static void jmp_to(xb *b, size_t target)
{
    patch(b, jmp_fwd(b), target);
}

static void jcc_to(xb *b, int cc, size_t target)
{
    patch(b, jcc_fwd(b, cc), target);
}

static void call_abs(xb *b, const void *fn)
{
    uint64_t a;
    memcpy(&a, &fn, sizeof(a) < sizeof(fn) ? sizeof(a) : sizeof(fn));
    mov_ri(b, RAX, (int64_t)a);
    rr(b, 0, 0xff, 2, RAX); /* call rax */
}

static void align16(xb *b)
{
    while (b->pos & 15)
        e1(b, 0xcc);
}

/* ---- the fixed code ---- */

bool jit_backend_init(rv_jit *j)
{
    xb b = {j->base, 0, j->size, false};
    /* offset 0 means "no block": keep it out of reach */
    for (int i = 0; i < 16; i++)
        e1(&b, 0xcc);

    /* int enter(rv_hart *h, void *code, int64_t left, uint64_t page_va, uint32_t *tab) */
    j->enter_off = (uint32_t)b.pos;
    e1(&b, 0x55);                  /* push rbp */
    e1(&b, 0x53);                  /* push rbx */
    e1(&b, 0x41), e1(&b, 0x54);    /* push r12 */
    e1(&b, 0x41), e1(&b, 0x55);    /* push r13 */
    e1(&b, 0x41), e1(&b, 0x56);    /* push r14 */
    e1(&b, 0x41), e1(&b, 0x57);    /* push r15 */
    alu_ri(&b, 1, G1_SUB, RSP, 8); /* 16-byte aligned at helper calls */
    mov_rr(&b, RBX, RDI);
    mov_rr(&b, R12, RDX);
    mov_rr(&b, R13, RCX);
    mov_rr(&b, R14, R8);
    ldq(&b, R15, RBX, HOFF(jit_dtlb));
    mov_ri(&b, RBP, (int64_t)(uintptr_t)j->base);
    rr(&b, 0, 0xff, 4, RSI); /* jmp rsi */

    /* exit: eax = status */
    align16(&b);
    j->exit_off = (uint32_t)b.pos;
    stq(&b, RBX, HOFF(jit_left), R12);
    alu_ri(&b, 1, G1_ADD, RSP, 8);
    e1(&b, 0x41), e1(&b, 0x5f); /* pop r15 */
    e1(&b, 0x41), e1(&b, 0x5e); /* pop r14 */
    e1(&b, 0x41), e1(&b, 0x5d); /* pop r13 */
    e1(&b, 0x41), e1(&b, 0x5c); /* pop r12 */
    e1(&b, 0x5b);               /* pop rbx */
    e1(&b, 0x5d);               /* pop rbp */
    e1(&b, 0xc3);               /* ret */

    /* exit_pc: rax = the next pc */
    align16(&b);
    j->exit_pc_off = (uint32_t)b.pos;
    stq(&b, RBX, HOFF(pc), RAX);
    mov_ri(&b, RAX, JIT_EXIT_PC);
    jmp_to(&b, j->exit_off);

    /* interp: entry of slots the interpreter executes; rax = their pc */
    align16(&b);
    j->interp_off = (uint32_t)b.pos;
    stq(&b, RBX, HOFF(pc), RAX);
    mov_ri(&b, RAX, JIT_EXIT_INTERP);
    jmp_to(&b, j->exit_off);

    /* dyn: continue at the pc in rax, wherever it is */
    align16(&b);
    j->dyn_off = (uint32_t)b.pos;
    mov_rr(&b, RCX, RAX);
    rr(&b, 1, 0x31, R13, RCX); /* xor rcx, r13 */
    alu_ri(&b, 1, G1_CMP, RCX, (int32_t)RV_PAGE_SIZE - 1);
    size_t to_other = jcc_fwd(&b, CC_A);
    size_t same = b.pos;
    rr(&b, 0, 0x89, RAX, RCX); /* mov ecx, eax */
    alu_ri(&b, 0, G1_AND, RCX, (int32_t)RV_PAGE_SIZE - 2);
    rmi(&b, 0, 0x8b, RCX, R14, RCX, 1, 0); /* mov ecx, [r14 + rcx*2]: slot * 4 */
    rr(&b, 0, 0x85, RCX, RCX);
    jcc_to(&b, CC_E, j->exit_pc_off);
    rr(&b, 1, 0x01, RBP, RCX); /* add rcx, rbp */
    rr(&b, 0, 0xff, 4, RCX);   /* jmp rcx */
    patch(&b, to_other, b.pos);
    /* another page: where the interpreter would look at interrupts */
    ldq(&b, RCX, RBX, HOFF(mip_sw));
    rm(&b, 1, 0x0b, RCX, RBX, HOFF(mip_hw)); /* or rcx, [mip_hw] */
    rm(&b, 1, 0x85, RCX, RBX, HOFF(mie));    /* test [mie], rcx */
    jcc_to(&b, CC_NE, j->exit_pc_off);
    mov_rr(&b, RDX, RAX);
    shift_ri(&b, 1, SH_SHR, RDX, RV_PAGE_SHIFT);
    rr(&b, 0, 0x0fb6, RCX, RDX); /* movzx ecx, dl */
    shift_ri(&b, 0, SH_SHL, RCX, 4);
    rm(&b, 1, 0x03, RCX, RBX, HOFF(jit_ftlb)); /* rcx = &fetch TLB entry */
    rm(&b, 1, 0x3b, RDX, RCX, 0);              /* cmp rdx, [rcx].vpn */
    jcc_to(&b, CC_NE, j->exit_pc_off);
    ldq(&b, RCX, RCX, 8);                                    /* the decoded page */
    ldq(&b, RCX, RCX, (int32_t)offsetof(rv_dpage, jit_tab)); /* its table */
    rr(&b, 1, 0x85, RCX, RCX);
    jcc_to(&b, CC_E, j->exit_pc_off);
    mov_rr(&b, R14, RCX);
    mov_rr(&b, R13, RAX);
    alu_ri(&b, 1, G1_AND, R13, -(int32_t)RV_PAGE_SIZE);
    jmp_to(&b, same);

    align16(&b);
    j->used = b.pos;
    return !b.full;
}

int jit_backend_enter(rv_jit *j, rv_hart *h, uint32_t entry, int64_t left, uint64_t page_va,
                      uint32_t *tab)
{
    typedef int (*enter_fn)(rv_hart *, void *, int64_t, uint64_t, uint32_t *);
    enter_fn fn;
    void *p = j->base + j->enter_off;
    memcpy(&fn, &p, sizeof(fn));
    return fn(h, j->base + entry, left, page_va, tab);
}

/* ---- blocks ---- */

enum { COLD_BUDGET, COLD_LOAD, COLD_STORE, COLD_TRAP, COLD_INTERP };

typedef struct cold {
    int kind, k;
    size_t fix;    /* rel32 to point at the cold code */
    size_t resume; /* where the main path goes on (slow memory paths) */
} cold;

typedef struct blk {
    xb b;
    rv_jit *j;
    const jit_ins *ins;
    int n;
    const uint32_t *tab;
    size_t entry;
    cold cold[2 * JIT_MAX_INSNS + 1]; /* at most two per instruction, and the budget's */
    int ncold;
    uint64_t copy[JIT_MAX_INSNS]; /* host address of instruction copies */
} blk;

static void add_cold(blk *c, int kind, int k, size_t fix)
{
    c->cold[c->ncold++] = (cold){kind, k, fix, 0};
}

/* The instructions after k did not run: give them back to the budget. */
static void give_back(blk *c, int64_t cnt)
{
    if (cnt > 0)
        alu_ri(&c->b, 1, G1_ADD, R12, (int32_t)cnt);
}

static void exit_trap(blk *c, int k)
{
    give_back(c, c->n - k - 1);
    mov_ri(&c->b, RAX, JIT_EXIT_TRAP);
    jmp_to(&c->b, c->j->exit_off);
}

/* Instruction k completed; something needs the dispatcher. */
static void exit_after(blk *c, int k)
{
    give_back(c, c->n - k - 1);
    lea(&c->b, RAX, R13, c->ins[k].off + c->ins[k].i.len);
    jmp_to(&c->b, c->j->exit_pc_off);
}

/* To the target page offset t (any value: other pages go through dyn). */
static void chain(blk *c, int64_t t)
{
    xb *b = &c->b;
    if (t >= 0 && t < (int64_t)RV_PAGE_SIZE) {
        if (t == c->ins[0].off) {
            jmp_to(b, c->entry);
            return;
        }
        uint32_t e = c->tab[t >> 1];
        if (e && e != c->j->interp_off) {
            /* A block of the same page: it dies with this one. */
            jmp_to(b, e);
            return;
        }
        rm(b, 0, 0x8b, RCX, R14, (int32_t)(t >> 1) * 4);
        lea(b, RAX, R13, (int32_t)t);
        rr(b, 0, 0x85, RCX, RCX);
        jcc_to(b, CC_E, c->j->exit_pc_off);
        rr(b, 1, 0x01, RBP, RCX);
        rr(b, 0, 0xff, 4, RCX);
        return;
    }
    lea(b, RAX, R13, (int32_t)t);
    jmp_to(b, c->j->dyn_off);
}

/* rax = x[rs1] + imm */
static void addr(blk *c, const rv_insn *i)
{
    ldq(&c->b, RAX, RBX, xoff(i->rs1));
    if (i->imm)
        alu_ri(&c->b, 1, G1_ADD, RAX, i->imm);
}

/* The TLB probe for an access of len bytes at rax; on a hit rax becomes
 * the host address. Returns the miss jump's rel32 position. */
static size_t tlb_probe(blk *c, unsigned len, int32_t tlb)
{
    xb *b = &c->b;
    mov_rr(b, RCX, RAX);
    shift_ri(b, 1, SH_SHR, RCX, RV_PAGE_SHIFT);
    rr(b, 0, 0x0fb6, RDX, RCX); /* movzx edx, cl */
    shift_ri(b, 0, SH_SHL, RDX, 4);
    if (len > 1) {
        /* the last byte's page: an access that crosses misses */
        lea(b, RCX, RAX, (int32_t)len - 1);
        shift_ri(b, 1, SH_SHR, RCX, RV_PAGE_SHIFT);
    }
    rmi(b, 1, 0x3b, RCX, R15, RDX, 0, tlb); /* cmp rcx, [r15 + rdx + tlb].vpn */
    size_t miss = jcc_fwd(b, CC_NE);
    rmi(b, 1, 0x03, RAX, R15, RDX, 0, tlb + 8); /* add rax, addend */
    return miss;
}

static unsigned access_len(int op)
{
    switch (op) {
    case OP_LB:
    case OP_LBU:
    case OP_SB: return 1;
    case OP_LH:
    case OP_LHU:
    case OP_SH: return 2;
    case OP_LW:
    case OP_LWU:
    case OP_SW:
    case OP_FLW:
    case OP_FSW: return 4;
    default: return 8;
    }
}

static bool is_fp_mem(int op)
{
    return op == OP_FLW || op == OP_FLD || op == OP_FSW || op == OP_FSD;
}

static void fs_check(blk *c, int k)
{
    /* test dword [rbx + mstatus], FS: off -> the interpreter raises it */
    rm(&c->b, 0, 0xf7, 0, RBX, HOFF(mstatus));
    e4(&c->b, MSTATUS_FS_BITS);
    add_cold(c, COLD_INTERP, k, jcc_fwd(&c->b, CC_E));
}

static void emit_load(blk *c, int k)
{
    xb *b = &c->b;
    const rv_insn *i = &c->ins[k].i;
    unsigned len = access_len(i->op);
    if (is_fp_mem(i->op))
        fs_check(c, k);
    addr(c, i);
    size_t miss = tlb_probe(c, len, 0);
    switch (i->op) {
    case OP_LB: rm(b, 1, 0x0fbe, RAX, RAX, 0); break;
    case OP_LBU: rm(b, 0, 0x0fb6, RAX, RAX, 0); break;
    case OP_LH: rm(b, 1, 0x0fbf, RAX, RAX, 0); break;
    case OP_LHU: rm(b, 0, 0x0fb7, RAX, RAX, 0); break;
    case OP_LW: rm(b, 1, 0x63, RAX, RAX, 0); break;
    case OP_LWU:
    case OP_FLW: rm(b, 0, 0x8b, RAX, RAX, 0); break;
    default: ldq(b, RAX, RAX, 0); break;
    }
    if (i->op == OP_FLW) {
        mov_ri(b, RCX, (int64_t)0xffffffff00000000ull);
        rr(b, 1, 0x09, RCX, RAX); /* or rax, rcx: NaN-boxed */
    }
    if (is_fp_mem(i->op)) {
        stq(b, RBX, foff(i->rd), RAX);
        alu_mi(b, 0, G1_OR, RBX, HOFF(mstatus), (int32_t)MSTATUS_FS_BITS);
    } else if (i->rd != 32) {
        stq(b, RBX, xoff(i->rd), RAX);
    }
    add_cold(c, COLD_LOAD, k, miss);
    c->cold[c->ncold - 1].resume = b->pos;
}

static void emit_store(blk *c, int k)
{
    xb *b = &c->b;
    const rv_insn *i = &c->ins[k].i;
    unsigned len = access_len(i->op);
    bool fp = is_fp_mem(i->op);
    if (fp)
        fs_check(c, k);
    addr(c, i);
    size_t miss = tlb_probe(c, len, STORE_TLB);
    ldq(b, RCX, RBX, fp ? foff(i->rs2) : xoff(i->rs2));
    switch (len) {
    case 1: rm(b, 0, 0x88, RCX, RAX, 0); break; /* mov [rax], cl */
    case 2:
        e1(b, 0x66);
        rm(b, 0, 0x89, RCX, RAX, 0);
        break;
    case 4: rm(b, 0, 0x89, RCX, RAX, 0); break;
    default: rm(b, 1, 0x89, RCX, RAX, 0); break;
    }
    add_cold(c, COLD_STORE, k, miss);
    c->cold[c->ncold - 1].resume = b->pos;
}

/* x[rd] = x[rs1] op x[rs2]; op is the "reg, r/m" opcode; w = 0: 32-bit and
 * sign-extended */
static void alu_reg(blk *c, const rv_insn *i, unsigned op, int w)
{
    xb *b = &c->b;
    if (i->rd == 32)
        return;
    rm(b, w, 0x8b, RAX, RBX, xoff(i->rs1));
    rm(b, w, op, RAX, RBX, xoff(i->rs2));
    if (!w)
        rr(b, 1, 0x63, RAX, RAX); /* movsxd rax, eax */
    stq(b, RBX, xoff(i->rd), RAX);
}

static void alu_imm(blk *c, const rv_insn *i, int ext, int w)
{
    xb *b = &c->b;
    if (i->rd == 32)
        return;
    if (i->rs1 == 0 && ext == G1_ADD && w) {
        /* li */
        rm(b, 1, 0xc7, 0, RBX, xoff(i->rd));
        e4(b, (uint32_t)i->imm);
        return;
    }
    rm(b, w, 0x8b, RAX, RBX, xoff(i->rs1));
    if (i->imm || ext == G1_AND)
        alu_ri(b, w, ext, RAX, i->imm);
    if (!w)
        rr(b, 1, 0x63, RAX, RAX);
    stq(b, RBX, xoff(i->rd), RAX);
}

static void shift_reg(blk *c, const rv_insn *i, int ext, int w)
{
    xb *b = &c->b;
    if (i->rd == 32)
        return;
    rm(b, 0, 0x8b, RCX, RBX, xoff(i->rs2));
    rm(b, w, 0x8b, RAX, RBX, xoff(i->rs1));
    rr(b, w, 0xd3, ext, RAX);
    if (!w)
        rr(b, 1, 0x63, RAX, RAX);
    stq(b, RBX, xoff(i->rd), RAX);
}

static void shift_imm(blk *c, const rv_insn *i, int ext, int w)
{
    xb *b = &c->b;
    if (i->rd == 32)
        return;
    unsigned s = (unsigned)i->imm & (w ? 63u : 31u);
    rm(b, w, 0x8b, RAX, RBX, xoff(i->rs1));
    if (s)
        shift_ri(b, w, ext, RAX, s);
    if (!w)
        rr(b, 1, 0x63, RAX, RAX);
    stq(b, RBX, xoff(i->rd), RAX);
}

/* x[rd] = (x[rs1] cc operand) ? 1 : 0 */
static void set_cc(blk *c, const rv_insn *i, int cc, bool imm)
{
    xb *b = &c->b;
    if (i->rd == 32)
        return;
    rr(b, 0, 0x33, RCX, RCX); /* xor ecx, ecx (before the flags are set) */
    ldq(b, RAX, RBX, xoff(i->rs1));
    if (imm)
        alu_ri(b, 1, G1_CMP, RAX, i->imm);
    else
        rm(b, 1, 0x3b, RAX, RBX, xoff(i->rs2));
    rr(b, 0, 0x0f90u | (unsigned)cc, 0, RCX); /* setcc cl */
    stq(b, RBX, xoff(i->rd), RCX);
}

static void branch(blk *c, const rv_insn *i, int64_t off, int cc)
{
    xb *b = &c->b;
    ldq(b, RAX, RBX, xoff(i->rs1));
    rm(b, 1, 0x3b, RAX, RBX, xoff(i->rs2));
    size_t taken = jcc_fwd(b, cc);
    chain(c, off + i->len);
    patch(b, taken, b->pos);
    chain(c, off + i->imm);
}

static void helper_call(blk *c, int k, const void *fn, bool with_pc)
{
    xb *b = &c->b;
    mov_rr(b, RDI, RBX);
    mov_ri(b, RSI, (int64_t)c->copy[k]);
    if (with_pc)
        lea(b, RDX, R13, c->ins[k].off);
    call_abs(b, fn);
}

static bool needs_copy(int op)
{
    return (op >= OP_FMADD_S && op <= OP_FCVT_D_S && !is_fp_mem(op)) || op == OP_MULHSU ||
           (op >= OP_DIV && op <= OP_REMU) || (op >= OP_DIVW && op <= OP_REMUW) || op >= OP_ADD_UW;
}

static void emit_insn(blk *c, int k)
{
    xb *b = &c->b;
    const rv_insn *i = &c->ins[k].i;
    const int64_t off = c->ins[k].off;
    switch (i->op) {
    case OP_LUI:
        if (i->rd != 32) {
            rm(b, 1, 0xc7, 0, RBX, xoff(i->rd));
            e4(b, (uint32_t)i->imm);
        }
        break;
    case OP_AUIPC:
        if (i->rd != 32) {
            lea(b, RAX, R13, (int32_t)(off + i->imm));
            stq(b, RBX, xoff(i->rd), RAX);
        }
        break;
    case OP_JAL:
        if (i->rd != 32) {
            lea(b, RAX, R13, (int32_t)(off + i->len));
            stq(b, RBX, xoff(i->rd), RAX);
        }
        chain(c, off + i->imm);
        break;
    case OP_JALR:
        ldq(b, RAX, RBX, xoff(i->rs1));
        if (i->imm)
            alu_ri(b, 1, G1_ADD, RAX, i->imm);
        alu_ri(b, 1, G1_AND, RAX, -2);
        if (i->rd != 32) {
            lea(b, RCX, R13, (int32_t)(off + i->len));
            stq(b, RBX, xoff(i->rd), RCX);
        }
        jmp_to(b, c->j->dyn_off);
        break;
    case OP_BEQ: branch(c, i, off, CC_E); break;
    case OP_BNE: branch(c, i, off, CC_NE); break;
    case OP_BLT: branch(c, i, off, CC_L); break;
    case OP_BGE: branch(c, i, off, CC_GE); break;
    case OP_BLTU: branch(c, i, off, CC_B); break;
    case OP_BGEU: branch(c, i, off, CC_AE); break;

    case OP_LB:
    case OP_LH:
    case OP_LW:
    case OP_LD:
    case OP_LBU:
    case OP_LHU:
    case OP_LWU:
    case OP_FLW:
    case OP_FLD: emit_load(c, k); break;
    case OP_SB:
    case OP_SH:
    case OP_SW:
    case OP_SD:
    case OP_FSW:
    case OP_FSD: emit_store(c, k); break;

    case OP_ADDI: alu_imm(c, i, G1_ADD, 1); break;
    case OP_XORI: alu_imm(c, i, G1_XOR, 1); break;
    case OP_ORI: alu_imm(c, i, G1_OR, 1); break;
    case OP_ANDI: alu_imm(c, i, G1_AND, 1); break;
    case OP_ADDIW: alu_imm(c, i, G1_ADD, 0); break;
    case OP_SLTI: set_cc(c, i, CC_L, true); break;
    case OP_SLTIU: set_cc(c, i, CC_B, true); break;
    case OP_SLT: set_cc(c, i, CC_L, false); break;
    case OP_SLTU: set_cc(c, i, CC_B, false); break;
    case OP_SLLI: shift_imm(c, i, SH_SHL, 1); break;
    case OP_SRLI: shift_imm(c, i, SH_SHR, 1); break;
    case OP_SRAI: shift_imm(c, i, SH_SAR, 1); break;
    case OP_SLLIW: shift_imm(c, i, SH_SHL, 0); break;
    case OP_SRLIW: shift_imm(c, i, SH_SHR, 0); break;
    case OP_SRAIW: shift_imm(c, i, SH_SAR, 0); break;
    case OP_SLL: shift_reg(c, i, SH_SHL, 1); break;
    case OP_SRL: shift_reg(c, i, SH_SHR, 1); break;
    case OP_SRA: shift_reg(c, i, SH_SAR, 1); break;
    case OP_SLLW: shift_reg(c, i, SH_SHL, 0); break;
    case OP_SRLW: shift_reg(c, i, SH_SHR, 0); break;
    case OP_SRAW: shift_reg(c, i, SH_SAR, 0); break;
    case OP_ADD: alu_reg(c, i, 0x03, 1); break;
    case OP_SUB: alu_reg(c, i, 0x2b, 1); break;
    case OP_AND: alu_reg(c, i, 0x23, 1); break;
    case OP_OR: alu_reg(c, i, 0x0b, 1); break;
    case OP_XOR: alu_reg(c, i, 0x33, 1); break;
    case OP_ADDW: alu_reg(c, i, 0x03, 0); break;
    case OP_SUBW: alu_reg(c, i, 0x2b, 0); break;
    case OP_MUL: alu_reg(c, i, 0x0faf, 1); break;
    case OP_MULW: alu_reg(c, i, 0x0faf, 0); break;
    case OP_MULH:
    case OP_MULHU:
        if (i->rd != 32) {
            ldq(b, RAX, RBX, xoff(i->rs1));
            rm(b, 1, 0xf7, i->op == OP_MULH ? 5 : 4, RBX, xoff(i->rs2)); /* imul/mul */
            stq(b, RBX, xoff(i->rd), RDX);
        }
        break;
    case OP_FENCE:
    case OP_FENCE_I: break; /* decoded code follows every write already */

    default:
        if (i->op >= OP_FMADD_S && i->op <= OP_FCVT_D_S) {
            helper_call(c, k, (const void *)jit_helper_fp, true);
            rr(b, 0, 0x85, RAX, RAX);
            add_cold(c, COLD_TRAP, k, jcc_fwd(b, CC_NE));
        } else {
            /* division, MULHSU, Zba/Zbb/Zbs */
            helper_call(c, k, (const void *)jit_helper_alu, false);
        }
        break;
    }
}

static void emit_cold(blk *c, const cold *cd)
{
    xb *b = &c->b;
    const jit_ins *in = &c->ins[cd->k];
    patch(b, cd->fix, b->pos);
    switch (cd->kind) {
    case COLD_BUDGET:
        give_back(c, c->n);
        lea(b, RAX, R13, in->off);
        stq(b, RBX, HOFF(pc), RAX);
        mov_ri(b, RAX, JIT_EXIT_BUDGET);
        jmp_to(b, c->j->exit_off);
        return;
    case COLD_INTERP:
        give_back(c, c->n - cd->k);
        lea(b, RAX, R13, in->off);
        jmp_to(b, c->j->interp_off);
        return;
    case COLD_TRAP: exit_trap(c, cd->k); return;
    case COLD_LOAD:
    case COLD_STORE:
        /* rax still holds the guest address */
        mov_rr(b, RSI, RAX);
        mov_rr(b, RDI, RBX);
        if (cd->kind == COLD_LOAD) {
            mov_ri(b, RDX, (int64_t)((uint32_t)in->i.op | (uint32_t)in->i.rd << 16));
            lea(b, RCX, R13, in->off);
            call_abs(b, (const void *)jit_helper_load);
        } else {
            ldq(b, RDX, RBX, is_fp_mem(in->i.op) ? foff(in->i.rs2) : xoff(in->i.rs2));
            mov_ri(b, RCX, access_len(in->i.op));
            lea(b, R8, R13, in->off);
            call_abs(b, (const void *)jit_helper_store);
        }
        rr(b, 0, 0x85, RAX, RAX);
        jcc_to(b, CC_E, cd->resume);
        alu_ri(b, 0, G1_CMP, RAX, 2);
        size_t trap = jcc_fwd(b, CC_E);
        exit_after(c, cd->k);
        patch(b, trap, b->pos);
        exit_trap(c, cd->k);
        return;
    default: return;
    }
}

uint32_t jit_backend_block(rv_jit *j, const jit_ins *ins, int n, const uint32_t *tab)
{
    blk c;
    c.b = (xb){j->base, j->used, j->size, false};
    c.j = j;
    c.ins = ins;
    c.n = n;
    c.tab = tab;
    c.ncold = 0;

    /* Copies of the instructions helpers interpret, beside the code: the
     * decoded page's slots may be rewritten while the block still exists. */
    align16(&c.b);
    for (int k = 0; k < n; k++) {
        c.copy[k] = 0;
        if (!needs_copy(ins[k].i.op))
            continue;
        c.copy[k] = (uint64_t)(uintptr_t)(c.b.p + c.b.pos);
        const uint8_t *src = (const uint8_t *)&ins[k].i;
        for (size_t q = 0; q < sizeof(rv_insn); q++)
            e1(&c.b, src[q]);
    }

    align16(&c.b);
    c.entry = c.b.pos;
    alu_ri(&c.b, 1, G1_SUB, R12, n);
    add_cold(&c, COLD_BUDGET, 0, jcc_fwd(&c.b, CC_L));
    for (int k = 0; k < n; k++)
        emit_insn(&c, k);
    const jit_ins *last = &ins[n - 1];
    if (!jit_ends_block(last->i.op))
        chain(&c, (int64_t)last->off + last->i.len);
    for (int q = 0; q < c.ncold; q++)
        emit_cold(&c, &c.cold[q]);
    if (c.b.full)
        return 0;
    j->used = c.b.pos;
    return (uint32_t)c.entry;
}

#else /* no backend for this host: the interpreter runs everything */

bool jit_backend_init(rv_jit *j)
{
    (void)j;
    return false;
}

uint32_t jit_backend_block(rv_jit *j, const jit_ins *ins, int n, const uint32_t *tab)
{
    (void)j, (void)ins, (void)n, (void)tab;
    return 0;
}

int jit_backend_enter(rv_jit *j, rv_hart *h, uint32_t entry, int64_t left, uint64_t page_va,
                      uint32_t *tab)
{
    (void)j, (void)h, (void)entry, (void)left, (void)page_va, (void)tab;
    return JIT_NONE;
}

#endif
