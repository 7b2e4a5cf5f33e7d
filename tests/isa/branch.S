/* Jumps and branches (unprivileged ISA 20191213 §2.5): link values, JALR's
 * cleared bit 0, rd == rs1, backward loops, far targets, and targets that
 * are 2-byte but not 4-byte aligned, which on a hart with C must not trap
 * (misaligned-fetch exceptions are impossible when IALIGN = 16). The branch
 * conditions themselves are in the generated gen_branch test. */
#include "test.h"

RVTEST_BEGIN
    /* JAL links pc + 4 */
    li TESTNUM, 1
    .option push
    .option norvc
1:  jal a0, 2f
    j fail
2:  la a1, 1b
    addi a1, a1, 4
    bne a0, a1, fail
    .option pop

    /* JALR: target = (rs1 + imm) & ~1, link pc + 4 */
    li TESTNUM, 2
    .option push
    .option norvc
    la a1, 3f
    addi a1, a1, 1
1:  jalr a0, 0(a1)
    j fail
3:  la a2, 1b
    addi a2, a2, 4
    bne a0, a2, fail
    .option pop

    /* JALR with rd == rs1: the target uses the old value */
    li TESTNUM, 3
    .option push
    .option norvc
    la a0, 3f
1:  jalr a0, 0(a0)
    j fail
3:  la a2, 1b
    addi a2, a2, 4
    bne a0, a2, fail
    .option pop

    /* JALR negative offset */
    li TESTNUM, 4
    la a1, 5f
    addi a1, a1, 16
    jalr x0, -16(a1)
    j fail
5:
    /* JAL x0 / JALR x0 leave x0 zero */
    li TESTNUM, 5
    jal x0, 1f
    j fail
1:  bnez x0, fail

    /* backward branch loop: sum 1..100 */
    li TESTNUM, 6
    li a0, 0
    li a1, 100
1:  add a0, a0, a1
    addi a1, a1, -1
    bnez a1, 1b
    CHECK(a0, 5050)

    /* far jump over 1 MiB - 4 range is too big for a test; 64 KiB jump */
    li TESTNUM, 7
    jal a0, far_target
    j fail
far_back:

    /* 2-byte aligned targets (C present): JAL, JALR and branch */
    li TESTNUM, 8
    .option push
    .option rvc
    .balign 4
    jal x0, 1f
    c.nop
1:  c.nop                       /* 2 mod 4 */
    la a0, 1b
    andi a0, a0, 3
    CHECK(a0, 2)
    .option pop

    li TESTNUM, 9
    .option push
    .option rvc
    la a1, 2f
    jalr a0, 0(a1)
    j fail
    .balign 4
    c.nop
2:  c.nop
    la a2, 2b
    andi a2, a2, 3
    CHECK(a2, 2)
    .option pop

    li TESTNUM, 10
    .option push
    .option rvc
    li a1, 1
    .balign 4
    bnez a1, 3f
    c.nop
    c.j fail
3:  c.nop
    .option pop

    /* JAL links pc + 4 even right before a compressed instruction */
    li TESTNUM, 11
    .option push
    .option rvc
    .balign 4
1:  jal a0, 2f
    c.nop
2:  la a1, 1b
    addi a1, a1, 4
    bne a0, a1, fail
    .option pop

    /* branch not taken to a misaligned-looking target is harmless */
    li TESTNUM, 12
    li a1, 1
    beqz a1, fail

    /* C.JAL does not exist on RV64 (that encoding is C.ADDIW); C.JALR
     * links pc + 2 */
    li TESTNUM, 13
    .option push
    .option rvc
    la t0, 4f
1:  c.jalr t0
    j fail
4:  la a1, 1b
    addi a1, a1, 2
    bne ra, a1, fail
    .option pop
    j pass

    .skip 65536
far_target:
    la a1, far_back
    addi a1, a1, -4
    bne a0, a1, fail
    j far_back
RVTEST_END
