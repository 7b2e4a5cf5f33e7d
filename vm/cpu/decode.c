/* Decoding: 32-bit encodings into rv_insn, and RVC parcels expanded into
 * their 32-bit twins in one place (rvc_expand). Unprivileged ISA 20191213:
 * chapter 24 (opcode map), chapter 16 (RVC), Zba/Zbb/Zbs 1.0.0. */
#include <string.h>

#include "hart.h"
#include "ops.h"

/* major opcodes */
enum {
    OPC_LOAD = 0x03,
    OPC_LOAD_FP = 0x07,
    OPC_MISC_MEM = 0x0f,
    OPC_OP_IMM = 0x13,
    OPC_AUIPC = 0x17,
    OPC_OP_IMM_32 = 0x1b,
    OPC_STORE = 0x23,
    OPC_STORE_FP = 0x27,
    OPC_AMO = 0x2f,
    OPC_OP = 0x33,
    OPC_LUI = 0x37,
    OPC_OP_32 = 0x3b,
    OPC_MADD = 0x43,
    OPC_MSUB = 0x47,
    OPC_NMSUB = 0x4b,
    OPC_NMADD = 0x4f,
    OPC_OP_FP = 0x53,
    OPC_BRANCH = 0x63,
    OPC_JALR = 0x67,
    OPC_JAL = 0x6f,
    OPC_SYSTEM = 0x73,
};

static int32_t imm_i(uint32_t r)
{
    return (int32_t)r >> 20;
}

static int32_t imm_s(uint32_t r)
{
    return (int32_t)((((int32_t)r >> 25) * 32) | ((r >> 7) & 0x1f));
}

static int32_t imm_b(uint32_t r)
{
    uint32_t v = ((r >> 31) << 12) | (((r >> 7) & 1) << 11) | (((r >> 25) & 0x3f) << 5) |
                 (((r >> 8) & 0xf) << 1);
    return (int32_t)(v << 19) >> 19;
}

static int32_t imm_u(uint32_t r)
{
    return (int32_t)(r & 0xfffff000u);
}

static int32_t imm_j(uint32_t r)
{
    uint32_t v = ((r >> 31) << 20) | (((r >> 12) & 0xff) << 12) | (((r >> 20) & 1) << 11) |
                 (((r >> 21) & 0x3ff) << 1);
    return (int32_t)(v << 11) >> 11;
}

static bool op_writes_freg(int op)
{
    switch (op) {
    case OP_FLW:
    case OP_FLD:
    case OP_FMADD_S:
    case OP_FMSUB_S:
    case OP_FNMSUB_S:
    case OP_FNMADD_S:
    case OP_FADD_S:
    case OP_FSUB_S:
    case OP_FMUL_S:
    case OP_FDIV_S:
    case OP_FSQRT_S:
    case OP_FSGNJ_S:
    case OP_FSGNJN_S:
    case OP_FSGNJX_S:
    case OP_FMIN_S:
    case OP_FMAX_S:
    case OP_FCVT_S_W:
    case OP_FCVT_S_WU:
    case OP_FCVT_S_L:
    case OP_FCVT_S_LU:
    case OP_FMV_W_X:
    case OP_FMADD_D:
    case OP_FMSUB_D:
    case OP_FNMSUB_D:
    case OP_FNMADD_D:
    case OP_FADD_D:
    case OP_FSUB_D:
    case OP_FMUL_D:
    case OP_FDIV_D:
    case OP_FSQRT_D:
    case OP_FSGNJ_D:
    case OP_FSGNJN_D:
    case OP_FSGNJX_D:
    case OP_FMIN_D:
    case OP_FMAX_D:
    case OP_FCVT_D_W:
    case OP_FCVT_D_WU:
    case OP_FCVT_D_L:
    case OP_FCVT_D_LU:
    case OP_FMV_D_X:
    case OP_FCVT_S_D:
    case OP_FCVT_D_S: return true;
    default: return false;
    }
}

static int decode_op(uint32_t r, uint32_t f3, uint32_t f7, uint32_t rs2)
{
    switch (f7) {
    case 0x00: {
        static const int ops[8] = {OP_ADD, OP_SLL, OP_SLT, OP_SLTU, OP_XOR, OP_SRL, OP_OR, OP_AND};
        return ops[f3];
    }
    case 0x20:
        switch (f3) {
        case 0: return OP_SUB;
        case 5: return OP_SRA;
        case 4: return OP_XNOR;
        case 6: return OP_ORN;
        case 7: return OP_ANDN;
        }
        break;
    case 0x01: {
        static const int ops[8] = {OP_MUL, OP_MULH, OP_MULHSU, OP_MULHU,
                                   OP_DIV, OP_DIVU, OP_REM,    OP_REMU};
        return ops[f3];
    }
    case 0x10:
        if (f3 == 2)
            return OP_SH1ADD;
        if (f3 == 4)
            return OP_SH2ADD;
        if (f3 == 6)
            return OP_SH3ADD;
        break;
    case 0x05:
        if (f3 == 4)
            return OP_MIN;
        if (f3 == 5)
            return OP_MINU;
        if (f3 == 6)
            return OP_MAX;
        if (f3 == 7)
            return OP_MAXU;
        break;
    case 0x30:
        if (f3 == 1)
            return OP_ROL;
        if (f3 == 5)
            return OP_ROR;
        break;
    case 0x24:
        if (f3 == 1)
            return OP_BCLR;
        if (f3 == 5)
            return OP_BEXT;
        break;
    case 0x14:
        if (f3 == 1)
            return OP_BSET;
        break;
    case 0x34:
        if (f3 == 1)
            return OP_BINV;
        break;
    }
    (void)r;
    (void)rs2;
    return OP_ILLEGAL;
}

static int decode_op32(uint32_t f3, uint32_t f7, uint32_t rs2)
{
    switch (f7) {
    case 0x00:
        if (f3 == 0)
            return OP_ADDW;
        if (f3 == 1)
            return OP_SLLW;
        if (f3 == 5)
            return OP_SRLW;
        break;
    case 0x20:
        if (f3 == 0)
            return OP_SUBW;
        if (f3 == 5)
            return OP_SRAW;
        break;
    case 0x01:
        switch (f3) {
        case 0: return OP_MULW;
        case 4: return OP_DIVW;
        case 5: return OP_DIVUW;
        case 6: return OP_REMW;
        case 7: return OP_REMUW;
        }
        break;
    case 0x04:
        if (f3 == 0)
            return OP_ADD_UW;
        if (f3 == 4 && rs2 == 0)
            return OP_ZEXT_H;
        break;
    case 0x10:
        if (f3 == 2)
            return OP_SH1ADD_UW;
        if (f3 == 4)
            return OP_SH2ADD_UW;
        if (f3 == 6)
            return OP_SH3ADD_UW;
        break;
    case 0x30:
        if (f3 == 1)
            return OP_ROLW;
        if (f3 == 5)
            return OP_RORW;
        break;
    }
    return OP_ILLEGAL;
}

static int decode_op_imm(uint32_t r, uint32_t f3, rv_insn *d)
{
    uint32_t f6 = r >> 26;
    uint32_t f12 = r >> 20;
    switch (f3) {
    case 0: return OP_ADDI;
    case 2: return OP_SLTI;
    case 3: return OP_SLTIU;
    case 4: return OP_XORI;
    case 6: return OP_ORI;
    case 7: return OP_ANDI;
    case 1:
        d->imm = (int32_t)((r >> 20) & 0x3f);
        if (f6 == 0x00)
            return OP_SLLI;
        if (f6 == 0x12)
            return OP_BCLRI;
        if (f6 == 0x0a)
            return OP_BSETI;
        if (f6 == 0x1a)
            return OP_BINVI;
        if (f12 == 0x600)
            return OP_CLZ;
        if (f12 == 0x601)
            return OP_CTZ;
        if (f12 == 0x602)
            return OP_CPOP;
        if (f12 == 0x604)
            return OP_SEXT_B;
        if (f12 == 0x605)
            return OP_SEXT_H;
        return OP_ILLEGAL;
    case 5:
        d->imm = (int32_t)((r >> 20) & 0x3f);
        if (f6 == 0x00)
            return OP_SRLI;
        if (f6 == 0x10)
            return OP_SRAI;
        if (f6 == 0x12)
            return OP_BEXTI;
        if (f6 == 0x18)
            return OP_RORI;
        if (f12 == 0x287)
            return OP_ORC_B;
        if (f12 == 0x6b8)
            return OP_REV8;
        return OP_ILLEGAL;
    }
    return OP_ILLEGAL;
}

static int decode_op_imm32(uint32_t r, uint32_t f3, rv_insn *d)
{
    uint32_t f7 = r >> 25;
    uint32_t f12 = r >> 20;
    switch (f3) {
    case 0: return OP_ADDIW;
    case 1:
        if (f7 == 0) {
            d->imm = (int32_t)((r >> 20) & 0x1f);
            return OP_SLLIW;
        }
        if ((r >> 26) == 0x02) {
            d->imm = (int32_t)((r >> 20) & 0x3f);
            return OP_SLLI_UW;
        }
        if (f12 == 0x600)
            return OP_CLZW;
        if (f12 == 0x601)
            return OP_CTZW;
        if (f12 == 0x602)
            return OP_CPOPW;
        return OP_ILLEGAL;
    case 5:
        d->imm = (int32_t)((r >> 20) & 0x1f);
        if (f7 == 0x00)
            return OP_SRLIW;
        if (f7 == 0x20)
            return OP_SRAIW;
        if (f7 == 0x30)
            return OP_RORIW;
        return OP_ILLEGAL;
    }
    return OP_ILLEGAL;
}

static int decode_amo(uint32_t f3, uint32_t f5, uint32_t rs2)
{
    static const int w[32] = {
        [0x00] = OP_AMOADD_W, [0x01] = OP_AMOSWAP_W, [0x02] = OP_LR_W,      [0x03] = OP_SC_W,
        [0x04] = OP_AMOXOR_W, [0x08] = OP_AMOOR_W,   [0x0c] = OP_AMOAND_W,  [0x10] = OP_AMOMIN_W,
        [0x14] = OP_AMOMAX_W, [0x18] = OP_AMOMINU_W, [0x1c] = OP_AMOMAXU_W,
    };
    static const int dw[32] = {
        [0x00] = OP_AMOADD_D, [0x01] = OP_AMOSWAP_D, [0x02] = OP_LR_D,      [0x03] = OP_SC_D,
        [0x04] = OP_AMOXOR_D, [0x08] = OP_AMOOR_D,   [0x0c] = OP_AMOAND_D,  [0x10] = OP_AMOMIN_D,
        [0x14] = OP_AMOMAX_D, [0x18] = OP_AMOMINU_D, [0x1c] = OP_AMOMAXU_D,
    };
    int op;
    if (f3 == 2)
        op = w[f5];
    else if (f3 == 3)
        op = dw[f5];
    else
        return OP_ILLEGAL;
    if (op == 0)
        return OP_ILLEGAL;
    if ((op == OP_LR_W || op == OP_LR_D) && rs2 != 0)
        return OP_ILLEGAL;
    return op;
}

/* rm validity: 5 and 6 are reserved; 7 (dynamic) is checked at run time. */
static bool rm_ok(uint32_t rm)
{
    return rm != 5 && rm != 6;
}

static int decode_op_fp(uint32_t r, uint32_t f3, uint32_t f7, uint32_t rs2)
{
    bool rm = rm_ok(f3);
    switch (f7) {
    case 0x00: return rm ? OP_FADD_S : OP_ILLEGAL;
    case 0x01: return rm ? OP_FADD_D : OP_ILLEGAL;
    case 0x04: return rm ? OP_FSUB_S : OP_ILLEGAL;
    case 0x05: return rm ? OP_FSUB_D : OP_ILLEGAL;
    case 0x08: return rm ? OP_FMUL_S : OP_ILLEGAL;
    case 0x09: return rm ? OP_FMUL_D : OP_ILLEGAL;
    case 0x0c: return rm ? OP_FDIV_S : OP_ILLEGAL;
    case 0x0d: return rm ? OP_FDIV_D : OP_ILLEGAL;
    case 0x2c: return rm && rs2 == 0 ? OP_FSQRT_S : OP_ILLEGAL;
    case 0x2d: return rm && rs2 == 0 ? OP_FSQRT_D : OP_ILLEGAL;
    case 0x10:
        if (f3 == 0)
            return OP_FSGNJ_S;
        if (f3 == 1)
            return OP_FSGNJN_S;
        if (f3 == 2)
            return OP_FSGNJX_S;
        break;
    case 0x11:
        if (f3 == 0)
            return OP_FSGNJ_D;
        if (f3 == 1)
            return OP_FSGNJN_D;
        if (f3 == 2)
            return OP_FSGNJX_D;
        break;
    case 0x14:
        if (f3 == 0)
            return OP_FMIN_S;
        if (f3 == 1)
            return OP_FMAX_S;
        break;
    case 0x15:
        if (f3 == 0)
            return OP_FMIN_D;
        if (f3 == 1)
            return OP_FMAX_D;
        break;
    case 0x20: return rm && rs2 == 1 ? OP_FCVT_S_D : OP_ILLEGAL;
    case 0x21: return rm && rs2 == 0 ? OP_FCVT_D_S : OP_ILLEGAL;
    case 0x50:
        if (f3 == 2)
            return OP_FEQ_S;
        if (f3 == 1)
            return OP_FLT_S;
        if (f3 == 0)
            return OP_FLE_S;
        break;
    case 0x51:
        if (f3 == 2)
            return OP_FEQ_D;
        if (f3 == 1)
            return OP_FLT_D;
        if (f3 == 0)
            return OP_FLE_D;
        break;
    case 0x60: {
        static const int ops[4] = {OP_FCVT_W_S, OP_FCVT_WU_S, OP_FCVT_L_S, OP_FCVT_LU_S};
        return rm && rs2 < 4 ? ops[rs2] : OP_ILLEGAL;
    }
    case 0x61: {
        static const int ops[4] = {OP_FCVT_W_D, OP_FCVT_WU_D, OP_FCVT_L_D, OP_FCVT_LU_D};
        return rm && rs2 < 4 ? ops[rs2] : OP_ILLEGAL;
    }
    case 0x68: {
        static const int ops[4] = {OP_FCVT_S_W, OP_FCVT_S_WU, OP_FCVT_S_L, OP_FCVT_S_LU};
        return rm && rs2 < 4 ? ops[rs2] : OP_ILLEGAL;
    }
    case 0x69: {
        static const int ops[4] = {OP_FCVT_D_W, OP_FCVT_D_WU, OP_FCVT_D_L, OP_FCVT_D_LU};
        return rm && rs2 < 4 ? ops[rs2] : OP_ILLEGAL;
    }
    case 0x70:
        if (rs2 == 0 && f3 == 0)
            return OP_FMV_X_W;
        if (rs2 == 0 && f3 == 1)
            return OP_FCLASS_S;
        break;
    case 0x71:
        if (rs2 == 0 && f3 == 0)
            return OP_FMV_X_D;
        if (rs2 == 0 && f3 == 1)
            return OP_FCLASS_D;
        break;
    case 0x78: return rs2 == 0 && f3 == 0 ? OP_FMV_W_X : OP_ILLEGAL;
    case 0x79: return rs2 == 0 && f3 == 0 ? OP_FMV_D_X : OP_ILLEGAL;
    }
    (void)r;
    return OP_ILLEGAL;
}

static int decode_system(uint32_t r, uint32_t f3, uint32_t rd, uint32_t rs1)
{
    switch (f3) {
    case 0:
        if (r == 0x00000073)
            return OP_ECALL;
        if (r == 0x00100073)
            return OP_EBREAK;
        if (r == 0x30200073)
            return OP_MRET;
        if (r == 0x10200073)
            return OP_SRET;
        if (r == 0x10500073)
            return OP_WFI;
        if ((r >> 25) == 0x09 && rd == 0)
            return OP_SFENCE_VMA;
        return OP_ILLEGAL;
    case 1: return OP_CSRRW;
    case 2: return OP_CSRRS;
    case 3: return OP_CSRRC;
    case 5: return OP_CSRRWI;
    case 6: return OP_CSRRSI;
    case 7: return OP_CSRRCI;
    }
    (void)rs1;
    return OP_ILLEGAL;
}

void decode_insn(rv_insn *d, uint32_t r)
{
    uint32_t opc = r & 0x7f, rd = (r >> 7) & 0x1f, f3 = (r >> 12) & 7, rs1 = (r >> 15) & 0x1f,
             rs2 = (r >> 20) & 0x1f, f7 = r >> 25;
    int op = OP_ILLEGAL;
    memset(d, 0, sizeof(*d));
    d->raw = r;
    d->len = 4;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = (uint8_t)rs2;
    d->rs3 = (uint8_t)(r >> 27);
    d->rm = (uint8_t)f3;
    d->imm = imm_i(r);

    if ((r & 3) != 3) {
        d->op = OP_ILLEGAL;
        return;
    }
    switch (opc) {
    case OPC_LUI:
        op = OP_LUI;
        d->imm = imm_u(r);
        break;
    case OPC_AUIPC:
        op = OP_AUIPC;
        d->imm = imm_u(r);
        break;
    case OPC_JAL:
        op = OP_JAL;
        d->imm = imm_j(r);
        break;
    case OPC_JALR: op = f3 == 0 ? OP_JALR : OP_ILLEGAL; break;
    case OPC_BRANCH: {
        static const int ops[8] = {OP_BEQ, OP_BNE, OP_ILLEGAL, OP_ILLEGAL,
                                   OP_BLT, OP_BGE, OP_BLTU,    OP_BGEU};
        op = ops[f3];
        d->imm = imm_b(r);
        break;
    }
    case OPC_LOAD: {
        static const int ops[8] = {OP_LB, OP_LH, OP_LW, OP_LD, OP_LBU, OP_LHU, OP_LWU, OP_ILLEGAL};
        op = ops[f3];
        break;
    }
    case OPC_STORE: {
        static const int ops[8] = {OP_SB,      OP_SH,      OP_SW,      OP_SD,
                                   OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL, OP_ILLEGAL};
        op = ops[f3];
        d->imm = imm_s(r);
        break;
    }
    case OPC_OP_IMM: op = decode_op_imm(r, f3, d); break;
    case OPC_OP_IMM_32: op = decode_op_imm32(r, f3, d); break;
    case OPC_OP: op = decode_op(r, f3, f7, rs2); break;
    case OPC_OP_32: op = decode_op32(f3, f7, rs2); break;
    case OPC_MISC_MEM:
        if (f3 == 0)
            op = OP_FENCE;
        else if (f3 == 1)
            op = OP_FENCE_I;
        break;
    case OPC_SYSTEM:
        op = decode_system(r, f3, rd, rs1);
        d->imm = (int32_t)(r >> 20); /* CSR number, unsigned */
        break;
    case OPC_AMO: op = decode_amo(f3, r >> 27, rs2); break;
    case OPC_LOAD_FP:
        if (f3 == 2)
            op = OP_FLW;
        else if (f3 == 3)
            op = OP_FLD;
        break;
    case OPC_STORE_FP:
        if (f3 == 2)
            op = OP_FSW;
        else if (f3 == 3)
            op = OP_FSD;
        d->imm = imm_s(r);
        break;
    case OPC_MADD:
    case OPC_MSUB:
    case OPC_NMSUB:
    case OPC_NMADD: {
        uint32_t fmt = (r >> 25) & 3;
        int base = opc == OPC_MADD ? 0 : opc == OPC_MSUB ? 1 : opc == OPC_NMSUB ? 2 : 3;
        if (!rm_ok(f3) || fmt > 1)
            op = OP_ILLEGAL;
        else if (fmt == 0)
            op = OP_FMADD_S + base;
        else
            op = OP_FMADD_D + base;
        break;
    }
    case OPC_OP_FP: op = decode_op_fp(r, f3, f7, rs2); break;
    default: op = OP_ILLEGAL; break;
    }
    d->op = (uint16_t)op;
    /* Writes to x0 go to the sink register x[32], so x[0] stays zero
     * without a check on every instruction. */
    if (d->rd == 0 && !op_writes_freg(op))
        d->rd = 32;
}

/* ---- RVC expansion (unprivileged ISA chapter 16) ---- */

static uint32_t bits(uint32_t v, int hi, int lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

static uint32_t enc_i(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, int32_t imm)
{
    return ((uint32_t)imm & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_s(uint32_t opc, uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (u & 0x1f) << 7 | opc;
}

static uint32_t enc_r(uint32_t opc, uint32_t rd, uint32_t f3, uint32_t rs1, uint32_t rs2,
                      uint32_t f7)
{
    return f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | opc;
}

static uint32_t enc_b(uint32_t f3, uint32_t rs1, uint32_t rs2, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 12) & 1) << 31 | ((u >> 5) & 0x3f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 |
           ((u >> 1) & 0xf) << 8 | ((u >> 11) & 1) << 7 | OPC_BRANCH;
}

static uint32_t enc_j(uint32_t rd, int32_t imm)
{
    uint32_t u = (uint32_t)imm;
    return ((u >> 20) & 1) << 31 | ((u >> 1) & 0x3ff) << 21 | ((u >> 11) & 1) << 20 |
           ((u >> 12) & 0xff) << 12 | rd << 7 | OPC_JAL;
}

static int32_t sext(uint32_t v, int bitsn)
{
    return (int32_t)(v << (32 - bitsn)) >> (32 - bitsn);
}

/* Returns the equivalent 32-bit instruction, or 0 for a reserved/illegal
 * parcel (0 is itself illegal). */
uint32_t rvc_expand(uint16_t cc)
{
    uint32_t c = cc;
    uint32_t f3 = bits(c, 15, 13);
    uint32_t rdp = bits(c, 4, 2) + 8, rs1p = bits(c, 9, 7) + 8;
    uint32_t rd = bits(c, 11, 7), rs2 = bits(c, 6, 2);
    switch (c & 3) {
    case 0:
        switch (f3) {
        case 0: { /* C.ADDI4SPN */
            uint32_t imm = bits(c, 12, 11) << 4 | bits(c, 10, 7) << 6 | bits(c, 6, 6) << 2 |
                           bits(c, 5, 5) << 3;
            if (imm == 0)
                return 0;
            return enc_i(OPC_OP_IMM, rdp, 0, 2, (int32_t)imm);
        }
        case 1: /* C.FLD */
            return enc_i(OPC_LOAD_FP, rdp, 3, rs1p,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6));
        case 2: /* C.LW */
            return enc_i(OPC_LOAD, rdp, 2, rs1p,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 6) << 2 | bits(c, 5, 5) << 6));
        case 3: /* C.LD */
            return enc_i(OPC_LOAD, rdp, 3, rs1p,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6));
        case 5: /* C.FSD */
            return enc_s(OPC_STORE_FP, 3, rs1p, rdp,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6));
        case 6: /* C.SW */
            return enc_s(OPC_STORE, 2, rs1p, rdp,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 6) << 2 | bits(c, 5, 5) << 6));
        case 7: /* C.SD */
            return enc_s(OPC_STORE, 3, rs1p, rdp,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 6, 5) << 6));
        }
        return 0;
    case 1: {
        int32_t imm6 = sext(bits(c, 12, 12) << 5 | bits(c, 6, 2), 6);
        switch (f3) {
        case 0: /* C.ADDI (C.NOP) */ return enc_i(OPC_OP_IMM, rd, 0, rd, imm6);
        case 1: /* C.ADDIW */
            if (rd == 0)
                return 0;
            return enc_i(OPC_OP_IMM_32, rd, 0, rd, imm6);
        case 2: /* C.LI */ return enc_i(OPC_OP_IMM, rd, 0, 0, imm6);
        case 3:
            if (rd == 2) { /* C.ADDI16SP */
                int32_t imm = sext(bits(c, 12, 12) << 9 | bits(c, 6, 6) << 4 | bits(c, 5, 5) << 6 |
                                       bits(c, 4, 3) << 7 | bits(c, 2, 2) << 5,
                                   10);
                if (imm == 0)
                    return 0;
                return enc_i(OPC_OP_IMM, 2, 0, 2, imm);
            } else { /* C.LUI */
                int32_t imm = sext(bits(c, 12, 12) << 17 | bits(c, 6, 2) << 12, 18);
                if (imm == 0)
                    return 0;
                return ((uint32_t)imm & 0xfffff000u) | rd << 7 | OPC_LUI;
            }
        case 4: {
            uint32_t shamt = bits(c, 12, 12) << 5 | bits(c, 6, 2);
            switch (bits(c, 11, 10)) {
            case 0: /* C.SRLI */ return enc_i(OPC_OP_IMM, rs1p, 5, rs1p, (int32_t)shamt);
            case 1: /* C.SRAI */ return enc_i(OPC_OP_IMM, rs1p, 5, rs1p, (int32_t)(shamt | 0x400));
            case 2: /* C.ANDI */ return enc_i(OPC_OP_IMM, rs1p, 7, rs1p, imm6);
            default: {
                uint32_t f2 = bits(c, 6, 5);
                if (bits(c, 12, 12) == 0) {
                    static const uint32_t f3s[4] = {0, 4, 6, 7};
                    return enc_r(OPC_OP, rs1p, f3s[f2], rs1p, rdp, f2 == 0 ? 0x20 : 0);
                }
                if (f2 == 0) /* C.SUBW */
                    return enc_r(OPC_OP_32, rs1p, 0, rs1p, rdp, 0x20);
                if (f2 == 1) /* C.ADDW */
                    return enc_r(OPC_OP_32, rs1p, 0, rs1p, rdp, 0);
                return 0;
            }
            }
        }
        case 5: { /* C.J */
            int32_t imm = sext(bits(c, 12, 12) << 11 | bits(c, 11, 11) << 4 | bits(c, 10, 9) << 8 |
                                   bits(c, 8, 8) << 10 | bits(c, 7, 7) << 6 | bits(c, 6, 6) << 7 |
                                   bits(c, 5, 3) << 1 | bits(c, 2, 2) << 5,
                               12);
            return enc_j(0, imm);
        }
        case 6:
        case 7: { /* C.BEQZ / C.BNEZ */
            int32_t imm = sext(bits(c, 12, 12) << 8 | bits(c, 11, 10) << 3 | bits(c, 6, 5) << 6 |
                                   bits(c, 4, 3) << 1 | bits(c, 2, 2) << 5,
                               9);
            return enc_b(f3 == 6 ? 0 : 1, rs1p, 0, imm);
        }
        }
        return 0;
    }
    case 2:
        switch (f3) {
        case 0: /* C.SLLI */
            return enc_i(OPC_OP_IMM, rd, 1, rd, (int32_t)(bits(c, 12, 12) << 5 | bits(c, 6, 2)));
        case 1: /* C.FLDSP */
            return enc_i(OPC_LOAD_FP, rd, 3, 2,
                         (int32_t)(bits(c, 12, 12) << 5 | bits(c, 6, 5) << 3 | bits(c, 4, 2) << 6));
        case 2: /* C.LWSP */
            if (rd == 0)
                return 0;
            return enc_i(OPC_LOAD, rd, 2, 2,
                         (int32_t)(bits(c, 12, 12) << 5 | bits(c, 6, 4) << 2 | bits(c, 3, 2) << 6));
        case 3: /* C.LDSP */
            if (rd == 0)
                return 0;
            return enc_i(OPC_LOAD, rd, 3, 2,
                         (int32_t)(bits(c, 12, 12) << 5 | bits(c, 6, 5) << 3 | bits(c, 4, 2) << 6));
        case 4:
            if (bits(c, 12, 12) == 0) {
                if (rs2 == 0) { /* C.JR */
                    if (rd == 0)
                        return 0;
                    return enc_i(OPC_JALR, 0, 0, rd, 0);
                }
                return enc_r(OPC_OP, rd, 0, 0, rs2, 0); /* C.MV */
            }
            if (rs2 == 0) {
                if (rd == 0)
                    return 0x00100073;               /* C.EBREAK */
                return enc_i(OPC_JALR, 1, 0, rd, 0); /* C.JALR */
            }
            return enc_r(OPC_OP, rd, 0, rd, rs2, 0); /* C.ADD */
        case 5:                                      /* C.FSDSP */
            return enc_s(OPC_STORE_FP, 3, 2, rs2,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 9, 7) << 6));
        case 6: /* C.SWSP */
            return enc_s(OPC_STORE, 2, 2, rs2, (int32_t)(bits(c, 12, 9) << 2 | bits(c, 8, 7) << 6));
        case 7: /* C.SDSP */
            return enc_s(OPC_STORE, 3, 2, rs2,
                         (int32_t)(bits(c, 12, 10) << 3 | bits(c, 9, 7) << 6));
        }
        return 0;
    }
    return 0;
}
