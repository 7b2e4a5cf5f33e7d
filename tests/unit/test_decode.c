/* Decoder tests for vm/cpu/decode.c: decode_insn() and rvc_expand().
 *
 *  - decode table: tests/unit/decode_table.txt, assembled by the cross
 *    assembler into one word per line, each decoded and compared with the
 *    expected operation and fields; every operation in ops.h is covered.
 *  - RVC table: tests/unit/rvc_table.txt assembled with and without RVC;
 *    rvc_expand(parcel) must equal the assembler's 32-bit word.
 *  - every 16-bit parcel: rvc_expand() gives 0 exactly for the encodings
 *    the spec reserves (unprivileged ISA 16.8 table), and every expansion
 *    decodes to a legal operation.
 *  - reserved 32-bit encodings (funct fields, rm 5/6, LR with rs2 != 0...)
 *    decode to OP_ILLEGAL.
 *  - random words: field invariants.
 *
 *  - random words: the GNU disassembler as an independent oracle.
 *
 * usage: test_decode [TABLE.txt TABLE.bin RVC.txt RVC16.bin RVC32.bin
 *                     [WORDS.txt MNEMONICS.txt]]
 *        test_decode --gen OUT.S OUT.txt N     (random words for objdump)
 * (without the files, the table checks print SKIP). */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include "cpu_harness.h"

/* clang-format off */
#define N(x) [OP_##x] = #x,
static const char *const op_names[OP_COUNT] = {
    N(LUI) N(AUIPC) N(JAL) N(JALR) N(BEQ) N(BNE) N(BLT) N(BGE)
    N(BLTU) N(BGEU) N(LB) N(LH) N(LW) N(LD) N(LBU) N(LHU)
    N(LWU) N(SB) N(SH) N(SW) N(SD) N(ADDI) N(SLTI) N(SLTIU)
    N(XORI) N(ORI) N(ANDI) N(SLLI) N(SRLI) N(SRAI) N(ADD) N(SUB)
    N(SLL) N(SLT) N(SLTU) N(XOR) N(SRL) N(SRA) N(OR) N(AND)
    N(ADDIW) N(SLLIW) N(SRLIW) N(SRAIW) N(ADDW) N(SUBW) N(SLLW) N(SRLW)
    N(SRAW) N(FENCE) N(FENCE_I) N(ECALL) N(EBREAK) N(MUL) N(MULH) N(MULHSU)
    N(MULHU) N(DIV) N(DIVU) N(REM) N(REMU) N(MULW) N(DIVW) N(DIVUW)
    N(REMW) N(REMUW) N(LR_W) N(SC_W) N(AMOSWAP_W) N(AMOADD_W) N(AMOXOR_W) N(AMOAND_W)
    N(AMOOR_W) N(AMOMIN_W) N(AMOMAX_W) N(AMOMINU_W) N(AMOMAXU_W) N(LR_D) N(SC_D) N(AMOSWAP_D)
    N(AMOADD_D) N(AMOXOR_D) N(AMOAND_D) N(AMOOR_D) N(AMOMIN_D) N(AMOMAX_D) N(AMOMINU_D) N(AMOMAXU_D)
    N(CSRRW) N(CSRRS) N(CSRRC) N(CSRRWI) N(CSRRSI) N(CSRRCI) N(MRET) N(SRET)
    N(WFI) N(SFENCE_VMA) N(FLW) N(FSW) N(FMADD_S) N(FMSUB_S) N(FNMSUB_S) N(FNMADD_S)
    N(FADD_S) N(FSUB_S) N(FMUL_S) N(FDIV_S) N(FSQRT_S) N(FSGNJ_S) N(FSGNJN_S) N(FSGNJX_S)
    N(FMIN_S) N(FMAX_S) N(FCVT_W_S) N(FCVT_WU_S) N(FCVT_L_S) N(FCVT_LU_S) N(FMV_X_W) N(FEQ_S)
    N(FLT_S) N(FLE_S) N(FCLASS_S) N(FCVT_S_W) N(FCVT_S_WU) N(FCVT_S_L) N(FCVT_S_LU) N(FMV_W_X)
    N(FLD) N(FSD) N(FMADD_D) N(FMSUB_D) N(FNMSUB_D) N(FNMADD_D) N(FADD_D) N(FSUB_D)
    N(FMUL_D) N(FDIV_D) N(FSQRT_D) N(FSGNJ_D) N(FSGNJN_D) N(FSGNJX_D) N(FMIN_D) N(FMAX_D)
    N(FCVT_W_D) N(FCVT_WU_D) N(FCVT_L_D) N(FCVT_LU_D) N(FMV_X_D) N(FEQ_D) N(FLT_D) N(FLE_D)
    N(FCLASS_D) N(FCVT_D_W) N(FCVT_D_WU) N(FCVT_D_L) N(FCVT_D_LU) N(FMV_D_X) N(FCVT_S_D) N(FCVT_D_S)
    N(ADD_UW) N(SH1ADD) N(SH2ADD) N(SH3ADD) N(SH1ADD_UW) N(SH2ADD_UW) N(SH3ADD_UW) N(SLLI_UW)
    N(ANDN) N(ORN) N(XNOR) N(CLZ) N(CLZW) N(CTZ) N(CTZW) N(CPOP)
    N(CPOPW) N(MAX) N(MAXU) N(MIN) N(MINU) N(SEXT_B) N(SEXT_H) N(ZEXT_H)
    N(ROL) N(ROLW) N(ROR) N(RORI) N(RORIW) N(RORW) N(ORC_B) N(REV8)
    N(BCLR) N(BCLRI) N(BEXT) N(BEXTI) N(BINV) N(BINVI) N(BSET) N(BSETI)
};
#undef N
/* clang-format on */

static const char *op_name(int op)
{
    if (op == OP_ILLEGAL)
        return "ILLEGAL";
    if (op >= 0 && op < OP_COUNT && op_names[op])
        return op_names[op];
    return "?";
}

static int op_by_name(const char *s)
{
    for (int i = 0; i < OP_COUNT; i++)
        if (op_names[i] && strcmp(op_names[i], s) == 0)
            return i;
    return -1;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            uint8_t *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

/* The assembly lines of a table file (comments and blanks dropped), in
 * the order the build assembled them. */
typedef struct line {
    char text[160];
    char expect[160];
} line;

static int read_table(const char *path, line *out, int max)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char buf[512];
    int n = 0;
    while (fgets(buf, sizeof(buf), f) && n < max) {
        char *s = trim(buf);
        if (!*s || *s == '#')
            continue;
        char *hash = strchr(s, '#');
        if (hash)
            *hash = 0;
        char *bar = strchr(s, '|');
        out[n].expect[0] = 0;
        if (bar) {
            *bar = 0;
            snprintf(out[n].expect, sizeof(out[n].expect), "%s", trim(bar + 1));
        }
        snprintf(out[n].text, sizeof(out[n].text), "%s", trim(s));
        n++;
    }
    fclose(f);
    return n;
}

#define MAX_LINES 512

/* ---- the assembled decode table ---- */
static void test_table(const char *txt, const char *bin)
{
    static line lines[MAX_LINES];
    int n = read_table(txt, lines, MAX_LINES);
    size_t blen = 0;
    uint8_t *words = read_file(bin, &blen);
    if (n <= 0 || !words) {
        check(false, "decode.table.load", "cannot read %s or %s", txt, bin);
        free(words);
        return;
    }
    check(blen == (size_t)n * 4, "decode.table.size", "%d lines but %zu bytes assembled", n, blen);
    if (blen != (size_t)n * 4) {
        free(words);
        return;
    }
    bool covered[OP_COUNT] = {false};
    int bad = 0;
    for (int k = 0; k < n; k++) {
        uint32_t w;
        memcpy(&w, words + 4 * k, 4);
        rv_insn d;
        decode_insn(&d, w);
        char exp[160];
        snprintf(exp, sizeof(exp), "%s", lines[k].expect);
        char *save = NULL;
        char *tok = strtok_r(exp, " \t", &save);
        int want_op = tok ? op_by_name(tok) : -1;
        char name[220];
        snprintf(name, sizeof(name), "decode.table.%s", lines[k].text);
        for (char *p = name; *p; p++)
            if (*p == ' ')
                *p = '_';
        if (want_op < 0) {
            check(false, name, "bad expectation '%s'", lines[k].expect);
            bad++;
            continue;
        }
        covered[want_op] = true;
        char why[300] = "";
        size_t wl = 0;
        if (d.op != want_op)
            wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "op %s, want %s; ", op_name(d.op),
                                   op_name(want_op));
        if (d.len != 4 || d.raw != w)
            wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "len %u raw %08x; ", d.len, d.raw);
        while ((tok = strtok_r(NULL, " \t", &save)) != NULL) {
            char *eq = strchr(tok, '=');
            if (!eq) {
                wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "bad field '%s'; ", tok);
                continue;
            }
            *eq = 0;
            long long want = strtoll(eq + 1, NULL, 0);
            long long got;
            if (!strcmp(tok, "rd"))
                got = d.rd;
            else if (!strcmp(tok, "rs1"))
                got = d.rs1;
            else if (!strcmp(tok, "rs2"))
                got = d.rs2;
            else if (!strcmp(tok, "rs3"))
                got = d.rs3;
            else if (!strcmp(tok, "rm"))
                got = d.rm;
            else if (!strcmp(tok, "imm"))
                got = d.imm;
            else {
                wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "unknown field %s; ", tok);
                continue;
            }
            if (got != want && wl < sizeof(why))
                wl += (size_t)snprintf(why + wl, sizeof(why) - wl, "%s=%lld want %lld; ", tok, got,
                                       want);
        }
        if (wl >= sizeof(why))
            wl = sizeof(why) - 1;
        if (wl) {
            check(false, name, "word %08x: %s", w, why);
            bad++;
        }
    }
    check(bad == 0, "decode.table.all", "%d of %d lines wrong (see above)", bad, n);
    int missing = 0;
    char miss[400] = "";
    size_t ml = 0;
    for (int op = OP_ILLEGAL + 1; op < OP_COUNT; op++) {
        if (!op_names[op] || !covered[op]) {
            missing++;
            if (ml < sizeof(miss) - 40)
                ml += (size_t)snprintf(miss + ml, sizeof(miss) - ml, "%s(%d) ",
                                       op_names[op] ? op_names[op] : "unnamed", op);
        }
    }
    check(missing == 0, "decode.table.covers_every_op", "%d ops not in the table: %s", missing,
          miss);
    free(words);
}

/* ---- the assembled RVC table ---- */
static void test_rvc_table(const char *txt, const char *bin16, const char *bin32)
{
    static line lines[MAX_LINES];
    int n = read_table(txt, lines, MAX_LINES);
    size_t l16 = 0, l32 = 0;
    uint8_t *c16 = read_file(bin16, &l16), *c32 = read_file(bin32, &l32);
    if (n <= 0 || !c16 || !c32) {
        check(false, "rvc.table.load", "cannot read %s / %s / %s", txt, bin16, bin32);
        free(c16);
        free(c32);
        return;
    }
    check(l16 == (size_t)n * 4 && l32 == (size_t)n * 4, "rvc.table.size",
          "%d lines, %zu and %zu bytes", n, l16, l32);
    int bad = 0;
    for (int k = 0; k < n && (size_t)k * 4 + 4 <= l16 && (size_t)k * 4 + 4 <= l32; k++) {
        uint16_t c, pad;
        uint32_t w;
        memcpy(&c, c16 + 4 * k, 2);
        memcpy(&pad, c16 + 4 * k + 2, 2);
        memcpy(&w, c32 + 4 * k, 4);
        char name[220];
        snprintf(name, sizeof(name), "rvc.table.%s", lines[k].text);
        for (char *p = name; *p; p++)
            if (*p == ' ')
                *p = '_';
        if ((c & 3) == 3 || pad != 0) {
            check(false, name, "assembler did not compress this line (%04x %04x)", c, pad);
            bad++;
            continue;
        }
        uint32_t x = rvc_expand(c);
        if (x != w) {
            rv_insn a, b;
            decode_insn(&a, x);
            decode_insn(&b, w);
            check(false, name, "parcel %04x expands to %08x (%s), assembler says %08x (%s)", c, x,
                  op_name(a.op), w, op_name(b.op));
            bad++;
        }
    }
    check(bad == 0, "rvc.table.all", "%d of %d lines wrong", bad, n);
    free(c16);
    free(c32);
}

/* The reserved RVC encodings of RV64C (unprivileged ISA 20191213, 16.8,
 * tables 16.5-16.7), written from the spec independently of the expander. */
static bool rvc_reserved(uint16_t c)
{
    unsigned q = c & 3, f3 = c >> 13, rd = (c >> 7) & 31, rs2 = (c >> 2) & 31, b12 = (c >> 12) & 1;
    switch (q) {
    case 0:
        if (f3 == 4)
            return true; /* reserved */
        if (f3 == 0)
            return ((c >> 5) & 0xff) == 0; /* C.ADDI4SPN nzuimm = 0 (incl. all-zero) */
        return false;
    case 1:
        if (f3 == 1)
            return rd == 0; /* C.ADDIW rd = 0 */
        if (f3 == 3)
            return b12 == 0 && rs2 == 0; /* C.ADDI16SP / C.LUI with imm 0 */
        if (f3 == 4 && ((c >> 10) & 3) == 3 && b12 && ((c >> 5) & 3) >= 2)
            return true; /* reserved CA slots after C.SUBW/C.ADDW */
        return false;
    case 2:
        if (f3 == 2 || f3 == 3)
            return rd == 0; /* C.LWSP / C.LDSP rd = 0 */
        if (f3 == 4 && !b12 && rs2 == 0 && rd == 0)
            return true; /* C.JR rs1 = 0 */
        return false;
    }
    return false;
}

static void test_rvc_exhaustive(void)
{
    int mismatch = 0, undecodable = 0, count = 0;
    uint16_t first_mis = 0, first_und = 0;
    for (uint32_t c = 0; c < 0x10000; c++) {
        if ((c & 3) == 3)
            continue;
        count++;
        uint32_t x = rvc_expand((uint16_t)c);
        bool res = rvc_reserved((uint16_t)c);
        if ((x == 0) != res) {
            if (!mismatch++)
                first_mis = (uint16_t)c;
            continue;
        }
        if (x) {
            rv_insn d;
            decode_insn(&d, x);
            if ((x & 3) != 3 || d.op == OP_ILLEGAL || d.op >= OP_COUNT) {
                if (!undecodable++)
                    first_und = (uint16_t)c;
            }
        }
    }
    check(mismatch == 0, "rvc.all_parcels.reserved_iff_zero",
          "%d of %d parcels disagree with the spec's reserved set, first %04x -> %08x", mismatch,
          count, first_mis, rvc_expand(first_mis));
    check(undecodable == 0, "rvc.all_parcels.expansions_decode",
          "%d expansions decode as illegal, first %04x -> %08x", undecodable, first_und,
          rvc_expand(first_und));
    check(rvc_expand(0x0003) == 0 && rvc_expand(0xffff) == 0, "rvc.quadrant3_not_rvc",
          "32-bit parcels given to rvc_expand must return 0");
}

/* ---- reserved 32-bit encodings ---- */
typedef struct ill {
    const char *name;
    uint32_t w;
} ill;

static void test_illegal32(void)
{
    const ill cases[] = {
        {"all_zero", 0x00000000},
        {"all_ones", 0xffffffff},
        {"custom0_opcode", 0x0000000b},
        {"opv_opcode", 0x00000057},
        {"opcode_0x77", 0x00000077},
        {"48bit_prefix", 0x0000001f},
        {"16bit_parcel_given_to_decode_insn", 0x00000001},
        {"branch_f3_2", e_b(2, 10, 11, 8)},
        {"branch_f3_3", e_b(3, 10, 11, 8)},
        {"jalr_f3_1", e_i(0x67, 1, 1, 10, 0)},
        {"load_f3_7", e_i(0x03, 10, 7, 11, 0)},
        {"store_f3_4", e_s(0x23, 4, 11, 10, 0)},
        {"store_f3_7", e_s(0x23, 7, 11, 10, 0)},
        {"op_f7_0x02", e_r(0x33, 10, 0, 11, 12, 0x02)},
        {"op_f7_0x20_f3_1", e_r(0x33, 10, 1, 11, 12, 0x20)},
        {"op_f7_0x40", e_r(0x33, 10, 0, 11, 12, 0x40)},
        {"op32_mul_f3_1", e_r(0x3b, 10, 1, 11, 12, 0x01)},
        {"op32_f7_0x20_f3_1", e_r(0x3b, 10, 1, 11, 12, 0x20)},
        {"op32_f7_0x20_f3_4", e_r(0x3b, 10, 4, 11, 12, 0x20)},
        {"zext_h_rv32_encoding", e_r(0x33, 10, 4, 11, 0, 0x04)},
        {"pack_op32_rs2_nonzero", e_r(0x3b, 10, 4, 11, 12, 0x04)},
        {"slli_f6_0x01", e_i(0x13, 10, 1, 11, 0x040)},
        {"srai_f6_0x11", e_i(0x13, 10, 5, 11, 0x440)},
        {"srli_f6_0x20", e_i(0x13, 10, 5, 11, 0x800)},
        {"slliw_shamt5", e_i(0x1b, 10, 1, 11, 0x020)},
        {"srliw_shamt5", e_i(0x1b, 10, 5, 11, 0x020)},
        {"sraiw_shamt5", e_i(0x1b, 10, 5, 11, 0x420)},
        {"op_imm32_f3_2", e_i(0x1b, 10, 2, 11, 0)},
        {"op_imm32_f3_7", e_i(0x1b, 10, 7, 11, 0)},
        {"clz_rs2_3", e_i(0x13, 10, 1, 11, 0x603)},
        {"rev8_rv32_encoding", e_i(0x13, 10, 5, 11, 0x698)},
        {"clzw_rs2_3", e_i(0x1b, 10, 1, 11, 0x603)},
        {"sext_b_on_op_imm32", e_i(0x1b, 10, 1, 11, 0x604)},
        {"misc_mem_f3_2", e_i(0x0f, 0, 2, 10, 0)},
        {"misc_mem_f3_7", e_i(0x0f, 0, 7, 10, 0)},
        {"lr_w_rs2_1", e_r(0x2f, 10, 2, 11, 1, 0x02 << 2)},
        {"lr_d_rs2_5", e_r(0x2f, 10, 3, 11, 5, 0x02 << 2)},
        {"lr_d_aqrl_rs2_31", e_r(0x2f, 10, 3, 11, 31, (0x02 << 2) | 3)},
        {"amo_f5_0x05", e_r(0x2f, 10, 2, 11, 12, 0x05 << 2)},
        {"amo_f5_0x1d", e_r(0x2f, 10, 3, 11, 12, 0x1d << 2)},
        {"amo_f5_0x1f", e_r(0x2f, 10, 3, 11, 12, 0x1f << 2)},
        {"amo_width_byte", e_r(0x2f, 10, 0, 11, 12, 0)},
        {"amo_width_f3_4", e_r(0x2f, 10, 4, 11, 12, 0)},
        {"load_fp_f3_1_flh", e_i(0x07, 10, 1, 11, 0)},
        {"load_fp_f3_4_flq", e_i(0x07, 10, 4, 11, 0)},
        {"store_fp_f3_4_fsq", e_s(0x27, 4, 11, 10, 0)},
        {"fadd_s_rm5", e_r(0x53, 10, 5, 11, 12, 0x00)},
        {"fadd_d_rm6", e_r(0x53, 10, 6, 11, 12, 0x01)},
        {"fmul_s_rm5", e_r(0x53, 10, 5, 11, 12, 0x08)},
        {"fdiv_d_rm6", e_r(0x53, 10, 6, 11, 12, 0x0d)},
        {"fsqrt_d_rm5", e_r(0x53, 10, 5, 11, 0, 0x2d)},
        {"fmadd_s_rm5", e_r(0x43, 10, 5, 11, 12, (13 << 2) | 0)},
        {"fmsub_d_rm6", e_r(0x47, 10, 6, 11, 12, (13 << 2) | 1)},
        {"fnmsub_s_rm6", e_r(0x4b, 10, 6, 11, 12, (13 << 2) | 0)},
        {"fnmadd_d_rm5", e_r(0x4f, 10, 5, 11, 12, (13 << 2) | 1)},
        {"fmadd_fmt_h", e_r(0x43, 10, 0, 11, 12, (13 << 2) | 2)},
        {"fnmadd_fmt_q", e_r(0x4f, 10, 0, 11, 12, (13 << 2) | 3)},
        {"fcvt_w_s_rm5", e_r(0x53, 10, 5, 11, 0, 0x60)},
        {"fcvt_s_w_rm6", e_r(0x53, 10, 6, 11, 0, 0x68)},
        {"fcvt_s_d_rm5", e_r(0x53, 10, 5, 11, 1, 0x20)},
        {"fsqrt_s_rs2_1", e_r(0x53, 10, 0, 11, 1, 0x2c)},
        {"fsgnj_s_f3_3", e_r(0x53, 10, 3, 11, 12, 0x10)},
        {"fsgnj_d_f3_7", e_r(0x53, 10, 7, 11, 12, 0x11)},
        {"fmin_d_f3_2", e_r(0x53, 10, 2, 11, 12, 0x15)},
        {"feq_s_f3_3", e_r(0x53, 10, 3, 11, 12, 0x50)},
        {"fcvt_w_s_rs2_4", e_r(0x53, 10, 0, 11, 4, 0x60)},
        {"fcvt_d_l_rs2_5", e_r(0x53, 10, 0, 11, 5, 0x69)},
        {"fcvt_s_s", e_r(0x53, 10, 0, 11, 0, 0x20)},
        {"fcvt_d_s_rs2_1", e_r(0x53, 10, 0, 11, 1, 0x21)},
        {"fmv_x_w_f3_2", e_r(0x53, 10, 2, 11, 0, 0x70)},
        {"fmv_x_w_rs2_1", e_r(0x53, 10, 0, 11, 1, 0x70)},
        {"fclass_d_rs2_1", e_r(0x53, 10, 1, 11, 1, 0x71)},
        {"fmv_w_x_f3_1", e_r(0x53, 10, 1, 11, 0, 0x78)},
        {"fmv_d_x_rs2_1", e_r(0x53, 10, 0, 11, 1, 0x79)},
        {"fadd_h", e_r(0x53, 10, 0, 11, 12, 0x02)},
        {"fadd_q", e_r(0x53, 10, 0, 11, 12, 0x03)},
        {"ecall_rs1_nonzero", 0x00000073 | (1u << 15)},
        {"ecall_rd_nonzero", 0x00000073 | (1u << 7)},
        {"ebreak_imm2_uret", 0x00200073},
        {"mret_rd_nonzero", MRET | (1u << 7)},
        {"sret_rs1_nonzero", SRET | (1u << 15)},
        {"wfi_rd_nonzero", 0x10500073 | (1u << 7)},
        {"sfence_vma_rd_nonzero", e_r(0x73, 1, 0, 10, 11, 0x09)},
        {"hfence_gvma", e_r(0x73, 0, 0, 10, 11, 0x31)},
        {"sinval_vma", e_r(0x73, 0, 0, 10, 11, 0x0b)},
        {"system_f3_4_hlv", e_i(0x73, 10, 4, 11, 0x600)},
    };
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        rv_insn d;
        decode_insn(&d, cases[k].w);
        char name[120];
        snprintf(name, sizeof(name), "decode.illegal.%s", cases[k].name);
        check(d.op == OP_ILLEGAL && d.raw == cases[k].w, name, "word %08x decodes as %s",
              cases[k].w, op_name(d.op));
    }

    const ill rvc[] = {
        {"all_zero", 0x0000},         {"c_addi4spn_imm0", 0x0004}, {"c_addi4spn_imm0_rd7", 0x001c},
        {"q0_f3_4", 0x8000},          {"q0_f3_4_bits", 0x9ffc},    {"c_lui_imm0", 0x6501},
        {"c_lui_x0_imm0", 0x6001},    {"c_addi16sp_imm0", 0x6101}, {"c_lwsp_rd0", 0x4002},
        {"c_lwsp_rd0_imm", 0x507e},   {"c_ldsp_rd0", 0x6002},      {"c_jr_rs1_0", 0x8002},
        {"c_addiw_rd0", 0x2001},      {"c_addiw_rd0_imm", 0x307d}, {"ca_reserved_f2_2", 0x9c41},
        {"ca_reserved_f2_3", 0x9c61},
    };
    for (size_t k = 0; k < sizeof(rvc) / sizeof(rvc[0]); k++) {
        char name[120];
        snprintf(name, sizeof(name), "rvc.illegal.%s", rvc[k].name);
        uint32_t x = rvc_expand((uint16_t)rvc[k].w);
        check(x == 0, name, "parcel %04x expands to %08x", rvc[k].w, x);
    }
}

/* ---- invariants on random words ---- */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd32(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_random_invariants(void)
{
    int bad = 0;
    uint32_t first = 0;
    const char *why = "";
    for (int k = 0; k < 2000000; k++) {
        uint32_t w = rnd32() | (k & 1 ? 3 : 0);
        rv_insn d, d2;
        decode_insn(&d, w);
        decode_insn(&d2, w);
        const char *err = NULL;
        if (d.op >= OP_COUNT || d.op == OP_DECODE || d.op == OP_PAGE_END || d.op == OP_CROSS)
            err = "op out of range";
        else if (d.op != OP_ILLEGAL && !op_names[d.op])
            err = "op without a name";
        else if (d.len != 4 || d.raw != w)
            err = "len/raw";
        else if (d.rd > 32 || d.rs1 > 31 || d.rs2 > 31 || d.rs3 > 31 || d.rm > 7)
            err = "register field out of range";
        else if (d.rd == 32 && ((w >> 7) & 31) != 0)
            err = "sink register for a nonzero rd";
        else if (memcmp(&d, &d2, sizeof(d)) != 0)
            err = "not deterministic";
        else if ((w & 3) != 3 && d.op != OP_ILLEGAL)
            err = "16-bit parcel decoded as a 32-bit instruction";
        if (err && !bad++) {
            first = w;
            why = err;
        }
    }
    check(bad == 0, "decode.random_invariants",
          "%d of 2000000 words break an invariant, first %08x: %s", bad, first, why);
}

/* ---- differential check against the GNU disassembler ----
 * The build assembles random words with .insn (-march=rv64gc + Zba/Zbb/Zbs,
 * so objdump decodes exactly this hart's ISA) and disassembles them; each
 * word must decode to the operation objdump names, or to OP_ILLEGAL where
 * objdump prints .4byte. Known, spec-backed differences are allowed:
 *  - rm 5/6 on an FP operation: objdump prints it ("unknown"), the spec
 *    reserves it (illegal here);
 *  - MISC-MEM with nonzero reserved fields: objdump refuses them, the spec
 *    says FENCE/FENCE.I ignore those fields;
 *  - the exact conversions fcvt.d.w/wu/s with rm != 0: objdump refuses
 *    them, the spec gives them a normal rm field. */
static void gen_words(const char *s_path, const char *txt_path, int n)
{
    FILE *fs = fopen(s_path, "w"), *ft = fopen(txt_path, "w");
    if (!fs || !ft) {
        perror("gen");
        exit(2);
    }
    static const uint8_t majors[] = {0x03, 0x07, 0x0f, 0x13, 0x17, 0x1b, 0x23,
                                     0x27, 0x2f, 0x33, 0x37, 0x3b, 0x43, 0x47,
                                     0x4b, 0x4f, 0x53, 0x63, 0x67, 0x6f, 0x73};
    fprintf(fs, ".option norvc\n.text\n");
    for (int k = 0; k < n;) {
        uint32_t w = rnd32() | 3;
        if (k & 1) /* half the words on a used major opcode, with a small funct7 */
            w = (w & ~0x7fu) | majors[rnd32() % sizeof(majors)];
        if (k % 4 == 1)
            w &= 0x7fffffffu >> (rnd32() % 8);
        if ((w & 0x1f) == 0x1f)
            continue; /* 48-bit and longer: not a 32-bit .insn */
        fprintf(fs, ".insn 0x%08x\n", w);
        fprintf(ft, "%08x\n", w);
        k++;
    }
    fclose(fs);
    fclose(ft);
}

static void test_objdump(const char *words, const char *mnems)
{
    FILE *fw = fopen(words, "r"), *fm = fopen(mnems, "r");
    if (!fw || !fm) {
        check(false, "decode.objdump_agrees", "cannot read %s / %s", words, mnems);
        if (fw)
            fclose(fw);
        if (fm)
            fclose(fm);
        return;
    }
    char wl[64], ml[64];
    int n = 0, bad = 0, allowed = 0;
    char first[400] = "";
    size_t fl = 0;
    while (fgets(wl, sizeof(wl), fw) && fgets(ml, sizeof(ml), fm)) {
        uint32_t w = (uint32_t)strtoul(wl, NULL, 16);
        char *m = trim(ml);
        char name[64];
        snprintf(name, sizeof(name), "%s", m);
        char *p;
        if ((p = strstr(name, ".aqrl")) || (p = strstr(name, ".aq")) || (p = strstr(name, ".rl")))
            *p = 0;
        for (p = name; *p; p++)
            *p = *p == '.' ? '_' : (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        int want = strcmp(m, ".4byte") == 0 ? OP_ILLEGAL : op_by_name(name);
        rv_insn d;
        decode_insn(&d, w);
        n++;
        if (d.op == want)
            continue;
        uint32_t opc = w & 0x7f, rm = (w >> 12) & 7;
        if ((d.op == OP_ILLEGAL && m[0] == 'f' && (rm == 5 || rm == 6)) ||
            (opc == 0x0f && (d.op == OP_FENCE || d.op == OP_FENCE_I) && want == OP_ILLEGAL) ||
            ((d.op == OP_FCVT_D_W || d.op == OP_FCVT_D_WU || d.op == OP_FCVT_D_S) &&
             want == OP_ILLEGAL && rm != 0)) {
            allowed++;
            continue;
        }
        if (bad++ < 4 && fl < sizeof(first) - 80)
            fl += (size_t)snprintf(first + fl, sizeof(first) - fl, "%08x: objdump %s, decode %s; ",
                                   w, m, op_name(d.op));
    }
    fclose(fw);
    fclose(fm);
    check(n > 1000 && bad == 0, "decode.objdump_agrees",
          "%d of %d words differ (%d allowed differences): %s", bad, n, allowed, first);
}

int main(int argc, char **argv)
{
    harness_init(argv[0]);
    if (argc == 5 && strcmp(argv[1], "--gen") == 0) {
        gen_words(argv[2], argv[3], atoi(argv[4]));
        return 0;
    }
    test_illegal32();
    test_rvc_exhaustive();
    test_random_invariants();
    if (argc >= 6) {
        test_table(argv[1], argv[2]);
        test_rvc_table(argv[3], argv[4], argv[5]);
        if (argc >= 8)
            test_objdump(argv[6], argv[7]);
        else
            printf("SKIP: %sdecode.objdump_agrees (no disassembly given)\n", g_label);
    } else {
        printf("SKIP: %sdecode.table (no assembled table given)\n", g_label);
        printf("SKIP: %srvc.table (no assembled table given)\n", g_label);
    }
    return finish();
}
