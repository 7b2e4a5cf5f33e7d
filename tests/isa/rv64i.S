/* RV64I odds and ends the generated tables do not cover: LUI/AUIPC,
 * x0 as source and destination, long dependency chains, NOP/hints,
 * FENCE/FENCE.I, and the W forms' sign extension of bit 31
 * (unprivileged ISA 20191213 §2.4, §5.2-5.4). */
#include "test.h"

RVTEST_BEGIN
    /* LUI: imm << 12, sign-extended from bit 31 on RV64 */
    TEST_CASE(1, a0, 0x0000000000000000, lui a0, 0)
    TEST_CASE(2, a0, 0x0000000000001000, lui a0, 1)
    TEST_CASE(3, a0, 0x000000007ffff000, lui a0, 0x7ffff)
    TEST_CASE(4, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(5, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(6, x0, 0, lui x0, 0x12345)
    TEST_CASE(7, a0, 0xffffffff80000000, lui a0, 0x80000; addi a0, a0, -2048; addi a0, a0, 0; xori a0, a0, 0; addi a0, a0, 2047; addi a0, a0, 1; addi a0, a0, 2047; addi a0, a0, 1; addi a0, a0, -2048)

    /* AUIPC: pc + (imm << 12), pc of the AUIPC itself */
    li TESTNUM, 8
1:  auipc a0, 0
    la a1, 1b
    bne a0, a1, fail
    li TESTNUM, 9
1:  auipc a0, 1
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, 0x1000)
    li TESTNUM, 10
1:  auipc a0, 0xfffff
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, -0x1000)
    li TESTNUM, 11
1:  auipc a0, 0x80000
    la a1, 1b
    sub a0, a0, a1
    CHECK(a0, 0xffffffff80000000)

    /* x0 reads zero after writes */
    TEST_CASE(12, a0, 0, li x0, 5; add a0, x0, x0)
    TEST_CASE(13, a0, 7, addi x0, x0, 5; addi a0, x0, 7)
    TEST_CASE(14, a0, 0, li a1, -1; and x0, a1, a1; or a0, x0, x0)
    TEST_CASE(15, a0, 0, li a1, 0x55; sd a1, 0(sp); ld x0, 0(sp); mv a0, x0)

    /* dependency chain through one register */
    TEST_CASE(16, a0, 0x0000000000000040, li a0, 1; add a0, a0, a0; add a0, a0, a0; add a0, a0, a0; add a0, a0, a0; add a0, a0, a0; add a0, a0, a0)
    TEST_CASE(17, a0, 0xffffffffffffffff, li a0, 0; addi a0, a0, -1; addw a0, a0, x0)

    /* W forms read only the low 32 bits and sign-extend bit 31 */
    TEST_CASE(18, a0, 0xffffffff80000000, li a1, 0x000000017fffffff; addiw a0, a1, 1)
    TEST_CASE(19, a0, 0x0000000000000000, li a1, 0xffffffff00000000; addiw a0, a1, 0)
    TEST_CASE(20, a0, 0xffffffffffffffff, li a1, 0x00000000ffffffff; sext.w a0, a1)
    TEST_CASE(21, a0, 0x000000007fffffff, li a1, 0xffffffff7fffffff; addw a0, a1, x0)
    TEST_CASE(22, a0, 0xffffffff80000000, li a1, 1; slliw a0, a1, 31)
    TEST_CASE(23, a0, 0x0000000000000001, li a1, 0xffffffff80000000; srliw a0, a1, 31)
    TEST_CASE(24, a0, 0xffffffffffffffff, li a1, 0x0000000080000000; sraiw a0, a1, 31)

    /* NOP, hints (rd = x0), FENCE, FENCE.I and PAUSE do nothing visible */
    TEST_CASE(25, a0, 3, li a0, 3; nop; fence; fence rw, rw; fence.i; fence.tso; pause; slti x0, a0, 1; sltiu x0, a0, 1)

    /* SLTI/SLTIU immediates are sign-extended, SLTIU -1 compares to ~0 */
    TEST_CASE(26, a0, 1, li a1, 0xfffffffffffffffe; sltiu a0, a1, -1)
    TEST_CASE(27, a0, 1, li a1, 0; seqz a0, a1)
    TEST_CASE(28, a0, 0, li a1, 5; seqz a0, a1)
    TEST_CASE(29, a0, 1, li a1, 5; snez a0, a1)
    TEST_CASE(30, a0, 1, li a1, -5; sltz a0, a1)
    TEST_CASE(31, a0, 1, li a1, 5; sgtz a0, a1)
    TEST_CASE(32, a0, 0xfffffffffffffffb, li a1, 5; neg a0, a1)
    TEST_CASE(33, a0, 0xfffffffffffffffa, li a1, 5; not a0, a1)
    TEST_CASE(34, a0, 0xfffffffffffffffb, li a1, 5; negw a0, a1)
    /* register x31 and x1 are ordinary registers */
    TEST_CASE(35, a0, 0x1234, li x31, 0x1234; mv a0, x31)
    TEST_CASE(36, a0, 0x99, li x1, 0x99; mv a0, x1)

    /* self-modifying code: after a store and FENCE.I the new instruction
     * runs (Zifencei; a decode cache must notice) */
    li TESTNUM, 37
    la s1, smc_buf
    li a1, 0x00100513            /* addi a0, x0, 1 */
    sw a1, 0(s1)
    li a1, 0x00008067            /* ret */
    sw a1, 4(s1)
    fence.i
    li a0, 0
    jalr s1
    CHECK(a0, 1)
    li TESTNUM, 38
    li a1, 0x00200513            /* addi a0, x0, 2 */
    sw a1, 0(s1)
    fence.i
    jalr s1
    CHECK(a0, 2)
    /* a loop that rewrites its own next instruction each time */
    li TESTNUM, 39
    li s2, 0
    li s3, 5
1:  slli a1, s2, 20
    li t0, 0x00000513            /* addi a0, x0, s2 */
    or a1, a1, t0
    sw a1, 0(s1)
    fence.i
    jalr s1
    bne a0, s2, fail
    addi s2, s2, 1
    bne s2, s3, 1b

    /* Without FENCE.I the ISA lets a hart run stale code, but riscv-vm's
     * decode cache must notice stores to code pages (issue #3), as QEMU
     * does: a store to code already run is seen by the next fetch. */
    li TESTNUM, 40
    li a1, 0x00700513            /* addi a0, x0, 7 */
    sw a1, 0(s1)
    jalr s1
    CHECK(a0, 7)
    /* the same for the very next instruction. QEMU (no precise SMC on
     * RISC-V) runs the stale one, which the ISA allows without FENCE.I;
     * riscv-vm promises more, so only it is held to this. */
#ifndef ON_QEMU
    li TESTNUM, 41
    .option push
    .option norvc
    la s2, 2f
    li a1, 0x00900513            /* addi a0, x0, 9 */
    li a0, 0
    sw a1, 0(s2)
2:  addi a0, x0, 8
    .option pop
    CHECK(a0, 9)
#endif
RVTEST_END
    .data
    .balign 64
smc_buf: .skip 64
