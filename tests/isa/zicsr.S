/* Zicsr and Zicntr (unprivileged ISA 20191213 ch. 9-10; privileged 1.12
 * §2.1, §3.1.1, §3.1.11): read/modify/write semantics of the six CSR
 * instructions, which accesses count as writes, illegal-instruction traps
 * (with mtval = the instruction bits) for read-only and absent CSRs and
 * for privilege, counters and their enables, misa, mhartid, fcsr masks. */
#include "test.h"

#define MISA_EXPECTED 0x800000000014112d /* RV64 + A C D F I M S U */

RVTEST_BEGIN
    .option norvc
    /* CSRRW: old value to rd, rs1 to the CSR */
    li TESTNUM, 1
    li a0, 0x1234
    csrw mscratch, a0
    li a1, 0x5678
    csrrw a2, mscratch, a1
    CHECK(a2, 0x1234)
    csrr a3, mscratch
    CHECK(a3, 0x5678)
    /* CSRRS sets bits, CSRRC clears them */
    TEST_CASE(2, a2, 0x5678, li a1, 0x0f; csrrs a2, mscratch, a1)
    TEST_CASE(3, a3, 0x567f, csrr a3, mscratch)
    TEST_CASE(4, a2, 0x567f, li a1, 0x5600; csrrc a2, mscratch, a1)
    TEST_CASE(5, a3, 0x007f, csrr a3, mscratch)
    /* immediate forms: 5-bit zero-extended uimm */
    TEST_CASE(6, a2, 0x007f, csrrwi a2, mscratch, 31)
    TEST_CASE(7, a3, 31, csrr a3, mscratch)
    TEST_CASE(8, a2, 31, csrrci a2, mscratch, 0x11)
    TEST_CASE(9, a3, 0x0e, csrr a3, mscratch)
    TEST_CASE(10, a2, 0x0e, csrrsi a2, mscratch, 0x10)
    TEST_CASE(11, a3, 0x1e, csrr a3, mscratch)
    /* full 64-bit register */
    TEST_CASE(12, a3, 0xfedcba9876543210, li a1, 0xfedcba9876543210; csrw mscratch, a1; csrr a3, mscratch)
    /* rd == rs1: the CSR gets the old register value */
    TEST_CASE(13, a1, 0xfedcba9876543210, li a1, 0x99; csrrw a1, mscratch, a1)
    TEST_CASE(14, a3, 0x99, csrr a3, mscratch)
    /* rd = x0 still writes */
    TEST_CASE(15, a3, 0x42, li a1, 0x42; csrrw x0, mscratch, a1; csrr a3, mscratch)

    /* read-only CSRs: reading (CSRRS/CSRRC with rs1 = x0, or uimm = 0) is
     * fine; any form that writes traps, even with rd = x0 */
    TEST_CASE(16, a0, 0, csrrs a0, mhartid, x0)
    TEST_CASE(17, a0, 0, csrrc a0, mhartid, x0)
    TEST_CASE(18, a0, 0, csrrsi a0, mhartid, 0)
    TEST_CASE(19, a0, 0, csrrci a0, mhartid, 0)
    TEST_TRAP(20, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrw a0, mhartid, x0)
    CHECK_TVAL_INSN32(1b)
    CHECK_EPC_LABEL(1b)
    li a1, 1
    TEST_TRAP(21, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrs a0, mvendorid, a1)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(22, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrwi x0, cycle, 0)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(23, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrsi a0, instret, 1)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(24, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrci a0, time, 4)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(25, CAUSE_ILLEGAL_INSTRUCTION, 1: csrw marchid, a1)
    CHECK_TVAL_INSN32(1b)
    /* the destination is not written when the instruction traps */
    li TESTNUM, 26
    li a0, 0x777
    TRAP_ARM(2f)
    csrrw a0, mimpid, a1
    j fail
2:  CHECK(a0, 0x777)

    /* CSRs that do not exist: illegal instruction, mtval = bits */
    TEST_TRAP(27, CAUSE_ILLEGAL_INSTRUCTION, 1: csrr a0, 0x123)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(28, CAUSE_ILLEGAL_INSTRUCTION, 1: csrw 0x7c0, a1)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(29, CAUSE_ILLEGAL_INSTRUCTION, 1: csrr a0, 0xfff)
    CHECK_TVAL_INSN32(1b)
    TEST_TRAP(30, CAUSE_ILLEGAL_INSTRUCTION, 1: csrrs a0, 0x5ff, x0)
    CHECK_TVAL_INSN32(1b)

    /* counters: readable in M, instret and cycle advance, time does not
     * go backwards */
    li TESTNUM, 31
    rdinstret a0
    nop
    nop
    rdinstret a1
    bleu a1, a0, fail
    li TESTNUM, 32
    rdcycle a0
    li a2, 100
1:  addi a2, a2, -1
    bnez a2, 1b
    rdcycle a1
    bleu a1, a0, fail
    li TESTNUM, 33
    rdtime a0
    rdtime a1
    bltu a1, a0, fail
    li TESTNUM, 34
    csrr a0, mcycle
    csrr a1, minstret
    /* hpm counters exist and read zero */
    TEST_CASE(35, a0, 0, csrr a0, mhpmcounter3)
    /* all of hpmcounter3..31 exist (privileged §3.1.10); QEMU 7.2 only
     * has the first 16 (pmu-num) and traps on the rest */
#ifndef ON_QEMU
    TEST_CASE(36, a0, 0, csrr a0, hpmcounter31)
    TEST_CASE(136, a0, 0, csrr a0, mhpmcounter31)
#else
    TEST_CASE(36, a0, 0, csrr a0, hpmcounter4)
#endif
    TEST_CASE(37, a0, 0, csrr a0, mhpmevent3)

    /* misa: RV64 IMAFDC with S and U; mhartid 0 */
    TEST_CASE(38, a0, MISA_EXPECTED, csrr a0, misa)
    TEST_CASE(39, a0, 0, csrr a0, mhartid)

    /* fcsr = frm << 5 | fflags; writes are masked */
    TEST_CASE(40, a0, 0xff, li a1, -1; csrw fcsr, a1; csrr a0, fcsr)
    TEST_CASE(41, a0, 0x1f, csrr a0, fflags)
    TEST_CASE(42, a0, 7, csrr a0, frm)
    TEST_CASE(43, a0, 0xe0, csrwi fflags, 0; csrr a0, fcsr)
    TEST_CASE(44, a0, 0x0a, csrwi frm, 0; csrwi fflags, 0x0a; csrr a0, fcsr)
    TEST_CASE(45, a0, 0x0a, fsflagsi a0, 0x15)
    TEST_CASE(46, a0, 0x15, frflags a0)
    TEST_CASE(47, a0, 0, fsrmi a0, 3)
    TEST_CASE(48, a0, 0x75, csrr a0, fcsr)
    TEST_CASE(49, a0, 0x3, li a1, 0x1c; fsrm a0, a1)
    TEST_CASE(50, a0, 0x4, frrm a0)
    TEST_CASE(51, a0, 0x1f, li a1, 0x3f; csrw fflags, a1; csrr a0, fflags)
    csrwi fcsr, 0

    /* counter enables: mcounteren gates S and U, scounteren gates U */
    csrw mcounteren, zero
    csrw scounteren, zero
    TEST_IN_MODE(52, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: rdcycle a0)
    CHECK_TVAL_INSN32(1b)
    TEST_IN_MODE(53, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, rdtime a0)
    TEST_IN_MODE(54, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, rdinstret a0)
    TEST_IN_MODE(55, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, rdcycle a0)
    li a1, 7
    csrw mcounteren, a1
    TEST_IN_MODE(56, PRV_S, CAUSE_SUPERVISOR_ECALL, rdcycle a0; rdtime a0; rdinstret a0)
    TEST_IN_MODE(57, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, rdcycle a0)
    TEST_IN_MODE(58, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, rdtime a0)
    li a1, 2
    csrw scounteren, a1
    TEST_IN_MODE(59, PRV_U, CAUSE_USER_ECALL, rdtime a0)
    TEST_IN_MODE(60, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, rdinstret a0)
    li a1, 7
    csrw scounteren, a1
    TEST_IN_MODE(61, PRV_U, CAUSE_USER_ECALL, rdcycle a0; rdtime a0; rdinstret a0)
    /* mcounteren bit clear wins over scounteren for U */
    li a1, 5
    csrw mcounteren, a1
    TEST_IN_MODE(62, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, rdtime a0)
    TEST_IN_MODE(63, PRV_U, CAUSE_USER_ECALL, rdcycle a0)

    /* privilege of CSR numbers (bits 9:8): S and U cannot touch M CSRs,
     * U cannot touch S CSRs */
    TEST_IN_MODE(64, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: csrr a0, mscratch)
    CHECK_TVAL_INSN32(1b)
    TEST_IN_MODE(65, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, 1: csrr a0, sscratch)
    CHECK_TVAL_INSN32(1b)
    TEST_IN_MODE(66, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, csrr a0, mstatus)
    TEST_IN_MODE(67, PRV_S, CAUSE_SUPERVISOR_ECALL, csrw sscratch, a1; csrr a0, sstatus)
    TEST_IN_MODE(68, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, csrr a0, mhartid)
    /* U may use the FP CSRs when FS != Off */
    TEST_IN_MODE(69, PRV_U, CAUSE_USER_ECALL, csrw fcsr, a1; frflags a0)
    csrwi fcsr, 0
RVTEST_END
