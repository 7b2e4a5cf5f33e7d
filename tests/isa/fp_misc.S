/* F and D semantics beyond arithmetic (unprivileged ISA 20191213 §11.2,
 * §11.6-11.8, §12.2; privileged 1.12 §3.1.6.6): NaN boxing of singles in
 * 64-bit registers, moves and sign injection that keep NaN payloads,
 * loads/stores of raw bits, reserved rounding modes, and mstatus.FS:
 * Off makes every FP instruction and FP CSR illegal (mtval = the bits),
 * writes make it Dirty and set SD. Arithmetic, fcvt, fmin/fmax, compares
 * and fclass tables are in the generated gen_fp_* tests. */
#include "test.h"

#define BOX(x) (0xffffffff00000000 | (x))
#define FADD_D_RM(rm) .word (0x01 << 25) | (2 << 20) | (1 << 15) | ((rm) << 12) | (4 << 7) | 0x53

RVTEST_BEGIN
    .option norvc
    /* fmv.w.x boxes: upper 32 bits all ones */
    TEST_CASE(1, a0, BOX(0x3f800000), li a1, 0x123456783f800000; fmv.w.x f1, a1; fmv.x.d a0, f1)
    /* flw boxes, fsw stores the low word, payloads kept */
    li TESTNUM, 2
    la a2, fbuf
    li a1, 0x7f800001              /* signalling NaN */
    sw a1, 0(a2)
    flw f1, 0(a2)
    fmv.x.d a0, f1
    CHECK(a0, BOX(0x7f800001))
    fsw f1, 4(a2)
    lwu a0, 4(a2)
    CHECK(a0, 0x7f800001)
    /* an unboxed single reads as the canonical NaN in arithmetic (no
     * invalid flag: the canonical NaN is quiet) */
    li TESTNUM, 3
    li a1, 0x000000003f800000
    fmv.d.x f1, a1
    li a1, BOX(0x3f800000)
    fmv.d.x f2, a1
    fsflags x0
    fadd.s f3, f1, f2
    fmv.x.d a0, f3
    CHECK(a0, BOX(0x7fc00000))
    frflags a0
    CHECK(a0, 0)
    /* a box with one bit missing is not a box */
    li TESTNUM, 4
    li a1, 0xfffffffe3f800000
    fmv.d.x f1, a1
    fmul.s f3, f2, f1
    fmv.x.d a0, f3
    CHECK(a0, BOX(0x7fc00000))
    /* fsgnj.s takes the canonical NaN for an unboxed input */
    TEST_CASE(5, a0, BOX(0x7fc00000), li a1, 0x3f800000; fmv.d.x f1, a1; fsgnj.s f3, f1, f2; fmv.x.d a0, f3)
    TEST_CASE(6, a0, BOX(0x3f800000), fsgnj.s f3, f2, f1; fmv.x.d a0, f3)
    TEST_CASE(7, a0, BOX(0xbf800000), fsgnjn.s f3, f2, f1; fmv.x.d a0, f3)
    TEST_CASE(8, a0, BOX(0x3f800000), fsgnjx.s f3, f2, f1; fmv.x.d a0, f3)
    /* fclass.s / feq.s / fcvt.d.s on an unboxed value */
    TEST_CASE(9, a0, 0x200, fclass.s a0, f1)
    TEST_CASE(10, a0, 0, fsflags x0; feq.s a0, f1, f1; frflags a1; or a0, a0, a1)
    TEST_CASE(11, a0, 0x7ff8000000000000, fcvt.d.s f3, f1; fmv.x.d a0, f3)
    /* fmv.x.w takes the low word raw, sign-extended, boxed or not */
    TEST_CASE(12, a0, 0x000000003f800000, fmv.x.w a0, f1)
    TEST_CASE(13, a0, 0xffffffff80000001, li a1, 0x1234567880000001; fmv.d.x f1, a1; fmv.x.w a0, f1)
    /* fsw of an unboxed register stores its low word */
    TEST_CASE(14, a0, 0x80000001, la a2, fbuf; fsw f1, 8(a2); lwu a0, 8(a2))
    /* D moves and loads keep every bit, sNaN included */
    TEST_CASE(15, a0, 0x7ff0000000000001, li a1, 0x7ff0000000000001; fmv.d.x f1, a1; fmv.x.d a0, f1)
    TEST_CASE(16, a0, 0x7ff0000000000001, la a2, fbuf; fsd f1, 16(a2); fld f5, 16(a2); fmv.x.d a0, f5)
    /* sign injection on NaNs keeps the payload, raises nothing */
    TEST_CASE(17, a0, 0xfff0000000000001, fsflags x0; fneg.d f3, f1; fmv.x.d a0, f3)
    TEST_CASE(18, a0, 0, frflags a0)
    TEST_CASE(19, a0, 0x7ff0000000000001, fabs.d f3, f3; fmv.x.d a0, f3)
    TEST_CASE(20, a0, 0xbff0000000000000, li a1, 0x3ff0000000000000; fmv.d.x f1, a1; li a1, 0x8000000000000000; fmv.d.x f2, a1; fsgnj.d f3, f1, f2; fmv.x.d a0, f3)
    TEST_CASE(21, a0, 0x3ff0000000000000, fsgnjn.d f3, f1, f2; fmv.x.d a0, f3)
    TEST_CASE(22, a0, 0xbff0000000000000, fsgnjx.d f3, f2, f1; fsgnjx.d f3, f1, f3; fmv.x.d a0, f3)
    TEST_CASE(23, a0, 0xbff0000000000000, fsgnjx.d f3, f1, f2; fmv.x.d a0, f3)
    TEST_CASE(24, a0, BOX(0xffc00001), li a1, BOX(0x7fc00001); fmv.d.x f1, a1; fneg.s f3, f1; fmv.x.d a0, f3)
    /* single results are always boxed: fcvt.s.d, fmin.s */
    TEST_CASE(25, a0, BOX(0x3f800000), li a1, 0x3ff0000000000000; fmv.d.x f1, a1; fcvt.s.d f3, f1; fmv.x.d a0, f3)
    TEST_CASE(26, a0, BOX(0x7fc00000), li a1, 0x7fc00000; fmv.d.x f1, a1; fmin.s f3, f1, f1; fmv.x.d a0, f3)

    /* reserved rounding modes: static rm 5 and 6 are illegal, and so is
     * dyn when frm holds 5, 6 or 7 */
    TEST_TRAP(27, CAUSE_ILLEGAL_INSTRUCTION, 1: FADD_D_RM(5))
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(28, CAUSE_ILLEGAL_INSTRUCTION, FADD_D_RM(6))
    li a1, 5
    csrw frm, a1
    TEST_TRAP(29, CAUSE_ILLEGAL_INSTRUCTION, 1: fadd.d f4, f1, f2)
    CHECK_TVAL_INSN32(1b)
    li a1, 7
    csrw frm, a1
    TEST_TRAP(30, CAUSE_ILLEGAL_INSTRUCTION, fmul.s f4, f1, f2)
    /* ...but a static rm still works with a bad frm */
    TEST_CASE(31, a0, 0x4000000000000000, li a1, 0x3ff0000000000000; fmv.d.x f1, a1; fadd.d f3, f1, f1, rne; fmv.x.d a0, f3)
    /* instructions without a rounding mode do not care about frm */
    TEST_CASE(32, a0, 1, feq.d a0, f1, f1)
    csrwi frm, 0

    /* FS = Off: every FP instruction is illegal, mtval = the bits */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    TEST_TRAP(33, CAUSE_ILLEGAL_INSTRUCTION, 1: fadd.d f4, f1, f2)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(34, CAUSE_ILLEGAL_INSTRUCTION, 1: fld f4, 0(sp))
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(35, CAUSE_ILLEGAL_INSTRUCTION, 1: fsw f4, 0(sp))
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(36, CAUSE_ILLEGAL_INSTRUCTION, 1: fmv.x.d a0, f1)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(37, CAUSE_ILLEGAL_INSTRUCTION, 1: fmv.w.x f1, a0)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(38, CAUSE_ILLEGAL_INSTRUCTION, 1: frflags a0)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(39, CAUSE_ILLEGAL_INSTRUCTION, 1: csrw fcsr, a0)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(40, CAUSE_ILLEGAL_INSTRUCTION, 1: fmadd.d f4, f1, f2, f3)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(41, CAUSE_ILLEGAL_INSTRUCTION, 1: fcvt.d.l f4, a0)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(42, CAUSE_ILLEGAL_INSTRUCTION, 1: fclass.d a0, f1)
    CHECK_TVAL_INSN32(1b)
    .option push
    .option rvc
    TEST_TRAP(43, CAUSE_ILLEGAL_INSTRUCTION, 1: c.fldsp f8, 0(sp))
    CHECK_TVAL_INSN16(1b)
    TEST_TRAP(44, CAUSE_ILLEGAL_INSTRUCTION, 1: c.fsd f8, 0(a0))
    CHECK_TVAL_INSN16(1b)
    .option pop
    /* Off, then an FP instruction that traps leaves FS Off */
    li TESTNUM, 45
    csrr a0, mstatus
    li a1, MSTATUS_FS
    and a0, a0, a1
    bnez a0, fail

    /* Initial -> Dirty after an FP register write; SD follows */
    li TESTNUM, 46
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    csrr a0, mstatus
    bltz a0, fail                   /* SD clear while not Dirty */
    fmv.d.x f1, zero
    csrr a0, mstatus
    li a1, MSTATUS_FS
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    bgez a0, fail                   /* SD = bit 63 */
    /* Clean -> Dirty after a write to fflags, frm, fcsr, or an FP load */
    li TESTNUM, 47
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, MSTATUS_FS_CLEAN
    csrs mstatus, t0
    csrr a0, mstatus
    bltz a0, fail
    fsflags x0
    csrr a0, mstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    li TESTNUM, 48
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, MSTATUS_FS_CLEAN
    csrs mstatus, t0
    csrwi frm, 0
    csrr a0, mstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    li TESTNUM, 49
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, MSTATUS_FS_CLEAN
    csrs mstatus, t0
    la a3, fbuf
    fld f6, 0(a3)
    csrr a0, mstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    li TESTNUM, 50
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, MSTATUS_FS_CLEAN
    csrs mstatus, t0
    fadd.d f6, f6, f6
    csrr a0, mstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    /* sstatus shows FS and SD too */
    li TESTNUM, 51
    csrr a0, sstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)
    bgez a0, fail
    /* FS can be switched off through sstatus */
    li TESTNUM, 52
    csrc sstatus, a1
    csrr a0, mstatus
    and a2, a0, a1
    bnez a2, fail
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    /* FS = Off traps in U and S as well */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    TEST_IN_MODE(53, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, fadd.s f1, f1, f1)
    TEST_IN_MODE(54, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, csrr a0, frm)
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    TEST_IN_MODE(55, PRV_U, CAUSE_USER_ECALL, fadd.s f1, f1, f1)
    li TESTNUM, 56
    csrr a0, mstatus
    and a2, a0, a1
    CHECK(a2, MSTATUS_FS_DIRTY)

    /* fflags accumulate: each instruction ORs its flags in */
    li TESTNUM, 57
    fsflags x0
    li a1, 0x3ff0000000000000    /* 1.0 */
    fmv.d.x f1, a1
    fmv.d.x f2, zero
    fdiv.d f3, f1, f2            /* DZ */
    li a1, 0x3fb999999999999a    /* 0.1 */
    fmv.d.x f4, a1
    fadd.d f3, f4, f1            /* NX */
    frflags a0
    CHECK(a0, FFLAG_DZ | FFLAG_NX)
    li TESTNUM, 58
    fdiv.d f3, f2, f2            /* NV */
    li a1, 0x7fefffffffffffff
    fmv.d.x f5, a1
    fmul.d f3, f5, f5            /* OF | NX */
    li a1, 0x0010000000000000
    fmv.d.x f6, a1
    fmul.d f3, f6, f4            /* UF | NX */
    frflags a0
    CHECK(a0, 0x1f)
    /* fcsr shows them too, frm untouched */
    li TESTNUM, 59
    fsrmi 2
    csrr a0, fcsr
    CHECK(a0, 0x5f)
    fsrmi 0
    fsflags x0
RVTEST_END
    .data
    .balign 16
fbuf: .skip 64
