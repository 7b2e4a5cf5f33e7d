/* RV64C (unprivileged ISA 20191213 ch. 16): every instruction, written
 * with explicit c.* mnemonics, the FP loads/stores included, and reserved
 * encodings that must raise illegal instruction with mtval = the 16-bit
 * parcel (all-zero parcel: mtval = 0). */
#include "test.h"

#define TEST_C(n, reg, correct, code...) TEST_CASE(n, reg, correct, code)

RVTEST_BEGIN
    .option push
    .option rvc
    /* c.li, c.lui (sign-extended 6-bit and 18-bit immediates) */
    TEST_C(1, a0, 31, c.li a0, 31)
    TEST_C(2, a0, -32, c.li a0, -32)
    TEST_C(3, a0, 0x1f000, c.lui a0, 0x1f)
    TEST_C(4, a0, 0xfffffffffffe0000, c.lui a0, 0xfffe0)
    TEST_C(5, a0, 0xfffffffffffff000, c.lui a0, 0xfffff)
    /* c.addi, c.addiw (sign-extends the 32-bit sum), c.addi16sp */
    TEST_C(6, a0, 0x105, li a0, 0x100; c.addi a0, 5)
    TEST_C(7, a0, 0xe0, li a0, 0x100; c.addi a0, -32)
    TEST_C(8, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_C(9, a0, 0xffffffffffffffff, li a0, 0x00000001ffffffff; c.addiw a0, 0)
    li TESTNUM, 10
    mv s2, sp
    c.addi16sp sp, 496
    sub a0, sp, s2
    mv sp, s2
    CHECK(a0, 496)
    li TESTNUM, 11
    c.addi16sp sp, -512
    sub a0, sp, s2
    mv sp, s2
    CHECK(a0, -512)
    /* c.addi4spn: rd' = sp + nzuimm */
    li TESTNUM, 12
    c.addi4spn a0, sp, 1020
    sub a0, a0, sp
    CHECK(a0, 1020)
    TEST_C(13, a1, 4, c.addi4spn a1, sp, 4; sub a1, a1, sp)
    /* c.slli, c.srli, c.srai (6-bit shamt on RV64), c.andi */
    TEST_C(14, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
    TEST_C(15, a0, 0x100000000, li a0, 1; c.slli a0, 32)
    TEST_C(16, a0, 1, li a0, 0x8000000000000000; c.srli a0, 63)
    TEST_C(17, a0, 0xffffffffffffffff, li a0, 0x8000000000000000; c.srai a0, 63)
    TEST_C(18, a0, 0xffffffffc0000000, li a0, 0x8000000000000000; c.srai a0, 33)
    TEST_C(19, a0, 0x0000000040000000, li a0, 0x8000000000000000; c.srli a0, 33)
    TEST_C(20, a0, 0x10, li a0, 0x1234; c.andi a0, 0x10)
    TEST_C(21, a0, 0x1220, li a0, 0x1234; c.andi a0, -32)
    /* c.mv, c.add, c.sub, c.xor, c.or, c.and, c.subw, c.addw */
    TEST_C(22, a0, 0x1234567890, li a1, 0x1234567890; c.mv a0, a1)
    TEST_C(23, s0, 0x30, li s0, 0x10; li t5, 0x20; c.add s0, t5)
    TEST_C(24, a0, 0xfffffffffffffff0, li a0, 0x10; li a1, 0x20; c.sub a0, a1)
    TEST_C(25, a0, 0x0ff0, li a0, 0x0f0f; li a1, 0x00ff; c.xor a0, a1)
    TEST_C(26, a0, 0x0fff, li a0, 0x0f0f; li a1, 0x00ff; c.or a0, a1)
    TEST_C(27, a0, 0x000f, li a0, 0x0f0f; li a1, 0x00ff; c.and a0, a1)
    TEST_C(28, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, -1; c.subw a0, a1)
    TEST_C(29, a0, 0x000000007fffffff, li a0, 0x80000000; li a1, -1; c.addw a0, a1)
    TEST_C(30, a0, 0x0000000000000000, li a0, 0x1ffffffff; li a1, 1; c.addw a0, a1)

    /* loads/stores through a base register: c.lw (sign-extends), c.ld,
     * c.sw, c.sd, c.fld, c.fsd */
    li TESTNUM, 31
    la a0, cbuf
    li a1, 0x80000001fedcba98
    c.sd a1, 8(a0)
    c.ld a2, 8(a0)
    bne a1, a2, fail
    c.lw a3, 8(a0)
    CHECK(a3, 0xfffffffffedcba98)
    c.lw a3, 12(a0)
    CHECK(a3, 0xffffffff80000001)
    li TESTNUM, 32
    li a1, 0x11223344
    c.sw a1, 124(a0)
    lwu a3, 124(a0)
    CHECK(a3, 0x11223344)
    li TESTNUM, 33
    li a1, 0x400921fb54442d18
    sd a1, 248(a0)
    c.fld fa0, 248(a0)
    c.fsd fa0, 16(a0)
    ld a2, 16(a0)
    bne a1, a2, fail
    fmv.x.d a3, fa0
    bne a1, a3, fail

    /* sp-relative: c.lwsp, c.ldsp, c.swsp, c.sdsp, c.fldsp, c.fsdsp */
    li TESTNUM, 34
    addi sp, sp, -512
    li a1, 0xa1b2c3d4e5f60718
    c.sdsp a1, 504(sp)
    c.ldsp a2, 504(sp)
    bne a1, a2, fail
    c.sdsp a1, 248(sp)
    c.lwsp a3, 248(sp)
    CHECK(a3, 0xffffffffe5f60718)
    c.lwsp a3, 252(sp)
    CHECK(a3, 0xffffffffa1b2c3d4)
    c.swsp a1, 252(sp)
    lwu a3, 252(sp)
    CHECK(a3, 0xe5f60718)
    li TESTNUM, 35
    c.fldsp fa1, 504(sp)
    c.fsdsp fa1, 0(sp)
    ld a2, 0(sp)
    bne a1, a2, fail
    addi sp, sp, 512

    /* control transfer: c.j, c.jr, c.jalr (links pc + 2), c.beqz,
     * c.bnez */
    li TESTNUM, 36
    c.j 1f
    j fail
1:  li TESTNUM, 37
    la a1, 2f
    c.jr a1
    j fail
2:  li TESTNUM, 38
    la a1, 3f
4:  c.jalr a1
    j fail
3:  la a2, 4b
    addi a2, a2, 2
    bne ra, a2, fail
    li TESTNUM, 39
    li a0, 0
    c.beqz a0, 5f
    j fail
5:  c.bnez a0, fail
    li a0, -1
    c.beqz a0, fail
    c.bnez a0, 6f
    j fail
6:
    /* c.nop and c.ebreak */
    TEST_C(40, a0, 9, li a0, 9; c.nop)
    TEST_TRAP(41, CAUSE_BREAKPOINT, 1: c.ebreak)
    CHECK_EPC_LABEL(1b)

    /* illegal: the all-zero parcel, mtval = 0 */
    TEST_TRAP_TVAL(42, CAUSE_ILLEGAL_INSTRUCTION, 0, 1: .hword 0)
    CHECK_EPC_LABEL(1b)
    /* reserved encodings: c.addi4spn with nzuimm = 0, c.lui with imm = 0,
     * c.addi16sp with imm = 0, c.jr x0, c.addiw x0, c.lwsp x0, c.ldsp x0 */
    TEST_TRAP_TVAL(43, CAUSE_ILLEGAL_INSTRUCTION, 0x0004, .hword 0x0004)
    TEST_TRAP_TVAL(44, CAUSE_ILLEGAL_INSTRUCTION, 0x6501, .hword 0x6501)
    TEST_TRAP_TVAL(45, CAUSE_ILLEGAL_INSTRUCTION, 0x6101, .hword 0x6101)
    TEST_TRAP_TVAL(46, CAUSE_ILLEGAL_INSTRUCTION, 0x8002, .hword 0x8002)
    TEST_TRAP_TVAL(47, CAUSE_ILLEGAL_INSTRUCTION, 0x2001, .hword 0x2001)
    TEST_TRAP_TVAL(48, CAUSE_ILLEGAL_INSTRUCTION, 0x4002, .hword 0x4002)
    TEST_TRAP_TVAL(49, CAUSE_ILLEGAL_INSTRUCTION, 0x6002, .hword 0x6002)
    /* a 16-bit illegal parcel followed by garbage: mtval has 16 bits */
    TEST_TRAP_TVAL(50, CAUSE_ILLEGAL_INSTRUCTION, 0x0000, .hword 0x0000; .hword 0xffff)

    /* compressed code that mixes with 32-bit instructions at 2-byte
     * offsets: a 32-bit instruction at pc % 4 == 2 */
    li TESTNUM, 51
    .balign 4
    c.nop
    .option push
    .option norvc
    addi a0, x0, 0x123
    .option pop
    CHECK(a0, 0x123)

    /* a 32-bit instruction whose halves lie in two physical pages: the
     * fetch must join them (and a decode cache must key both pages) */
    li s3, 0
5:  li TESTNUM, 52
    li a0, 0
    j 1f
    .balign 4096
    .skip 4096 - 6, 0           /* never executed */
1:  c.addi a0, 1                /* at 4096 - 6 */
    c.addi a0, 2                /* at 4096 - 4 */
    .option push
    .option norvc
    addi a0, a0, 0x40           /* at 4096 - 2: straddles */
    .option pop
    c.addi a0, 4
    CHECK(a0, 0x47)
    /* run it again: a cached decode must give the same */
    addi s3, s3, 1
    li t0, 2
    bne s3, t0, 5b
    .option pop
RVTEST_END
    .data
    .balign 8
cbuf: .skip 256
