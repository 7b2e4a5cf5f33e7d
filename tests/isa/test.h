/*
 * tests/isa/test.h: the frame every tests/isa/*.S file runs in.
 *
 * Each file is one bare-metal ELF entered at 0x80000000 in M mode. It runs
 * numbered checks; gp (TESTNUM) holds the number of the check in progress.
 * End of run, on both hosts the tests must agree on:
 *   - riscv-vm test mode (the riscv-tests convention): the ELF exports
 *     `tohost`; writing 1 there passes, (N << 1) | 1 fails check N.
 *   - QEMU virt has no HTIF, so the same code then writes the sifive,test
 *     syscon at 0x100000: 0x5555 (QEMU exits 0) or (code << 16) | 0x3333
 *     (QEMU exits with `code`, kept in 1..255 so it never reads as a pass).
 * Before failing, the frame prints "FAIL test N" (and, for an unexpected
 * trap, mcause/mepc/mtval) on the 16550 UART at 0x10000000.
 *
 * Traps: the M-mode handler fails the run unless a check armed it by
 * storing a resume address in trap_resume (TRAP_ARM). An armed trap is
 * recorded (mcause, mtval, mepc, mstatus) and execution resumes in M mode
 * at the resume address, with mstatus.MIE = 0. An S-mode handler (install with SET_STVEC_HANDLER)
 * records scause/stval/sepc/sstatus and then does ECALL, which lands in the
 * M handler and resumes there, so checks can look at both levels.
 *
 * Registers: the handlers preserve everything but the registers of the
 * interrupted code are not restored on an armed trap except t0..t2, gp, sp.
 * Checks use a0..a7, t0..t6, s0..s11 freely; gp and sp are reserved.
 */
#ifndef TESTS_ISA_TEST_H
#define TESTS_ISA_TEST_H

#define TESTNUM gp

#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_FS    (3 << 13)
#define MSTATUS_FS_INITIAL (1 << 13)
#define MSTATUS_FS_CLEAN   (2 << 13)
#define MSTATUS_FS_DIRTY   (3 << 13)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)
#define MSTATUS_SD    (1 << 63)

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* mcause values (privileged spec 1.12 §3.1.15, table 3.6) */
#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS 1
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_MISALIGNED_LOAD 4
#define CAUSE_LOAD_ACCESS 5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS 7
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define CAUSE_MACHINE_ECALL 11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
#define CAUSE_INTR (1 << 63)

#define SYSCON_BASE 0x100000
#define UART_BASE 0x10000000

/* offsets in trap_state */
#define TS_RESUME 0
#define TS_CAUSE 8
#define TS_TVAL 16
#define TS_EPC 24
#define TS_COUNT 32
#define TS_STATUS 40
#define TS_SAVE1 48
#define TS_SAVE2 56
#define TS_SCAUSE 64
#define TS_STVAL 72
#define TS_SEPC 80
#define TS_SCOUNT 88
#define TS_SSTATUS 96
#define TS_SSAVE0 104
#define TS_SSAVE1 112
#define TS_SSAVE2 120

/* ---- frame ------------------------------------------------------------ */

#define RVTEST_BEGIN                                                        \
    .section .text.init, "ax", @progbits;                                   \
    .globl _start;                                                          \
_start:                                                                     \
    la t0, trap_vector;                                                     \
    csrw mtvec, t0;                                                         \
    la sp, stack_top;                                                       \
    csrw medeleg, zero;                                                     \
    csrw mideleg, zero;                                                     \
    csrw mie, zero;                                                         \
    csrw satp, zero;                                                        \
    li t0, -1;                                                              \
    csrw pmpaddr0, t0;                                                      \
    li t0, 0x1f;                                                            \
    csrw pmpcfg0, t0;                                                       \
    li t0, MSTATUS_FS_INITIAL;                                              \
    csrs mstatus, t0;                                                       \
    csrwi fcsr, 0;                                                          \
    li TESTNUM, 0;                                                          \
    j test_body;                                                            \
    .text;                                                                  \
test_body:

#define RVTEST_END                                                          \
    j pass;                                                                 \
    RVTEST_RUNTIME

/* ---- checks ----------------------------------------------------------- */

/* li then compare: fail check n unless reg == correct */
#define CHECK(reg, correct)                                                 \
    li t6, correct;                                                         \
    bne reg, t6, fail

#define TEST_CASE(n, reg, correct, code...)                                 \
    li TESTNUM, n;                                                          \
    code;                                                                   \
    li t6, correct;                                                         \
    bne reg, t6, fail

#define TEST_RR(n, inst, result, v1, v2)                                    \
    TEST_CASE(n, a4, result, li a1, v1; li a2, v2; inst a4, a1, a2)

#define TEST_IMM(n, inst, result, v1, imm)                                  \
    TEST_CASE(n, a4, result, li a1, v1; inst a4, a1, imm)

#define TEST_R(n, inst, result, v1)                                         \
    TEST_CASE(n, a4, result, li a1, v1; inst a4, a1)

/* rd == rs1 and rd == rs2 forms: the result must not depend on aliasing */
#define TEST_RR_SRC1_EQ_DEST(n, inst, result, v1, v2)                       \
    TEST_CASE(n, a1, result, li a1, v1; li a2, v2; inst a1, a1, a2)
#define TEST_RR_SRC2_EQ_DEST(n, inst, result, v1, v2)                       \
    TEST_CASE(n, a2, result, li a1, v1; li a2, v2; inst a2, a1, a2)
#define TEST_RR_ZERODEST(n, inst, v1, v2)                                   \
    TEST_CASE(n, x0, 0, li a1, v1; li a2, v2; inst x0, a1, a2)

/* Arm the M handler: a trap resumes at `label` (M mode). */
#define TRAP_ARM(label)                                                     \
    la t0, label;                                                           \
    la t1, trap_state;                                                      \
    sd t0, TS_RESUME(t1)

#define TRAP_DISARM                                                         \
    la t1, trap_state;                                                      \
    sd zero, TS_RESUME(t1)

/* Loads a recorded trap field into reg. */
#define TRAP_FIELD(reg, off)                                                \
    la reg, trap_state;                                                     \
    ld reg, off(reg)

/* Run `code`, which must trap with `cause`; the trap resumes after it. */
#define TEST_TRAP(n, cause, code...)                                        \
    li TESTNUM, n;                                                          \
    TRAP_ARM(9999f);                                                        \
    code;                                                                   \
    j fail;                                                                 \
9999:                                                                       \
    TRAP_FIELD(t0, TS_CAUSE);                                               \
    li t6, cause;                                                           \
    bne t0, t6, fail

/* Same, and mtval must equal tval. */
#define TEST_TRAP_TVAL(n, cause, tval, code...)                             \
    TEST_TRAP(n, cause, code);                                              \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    li t6, tval;                                                            \
    bne t0, t6, fail

/* Checks after TEST_TRAP: mtval / mepc equal a register or a label. */
#define CHECK_TVAL_REG(reg)                                                 \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    bne t0, reg, fail
#define CHECK_EPC_LABEL(label)                                              \
    TRAP_FIELD(t0, TS_EPC);                                                 \
    la t6, label;                                                           \
    bne t0, t6, fail
#define CHECK_TVAL_LABEL(label, add)                                        \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    la t6, label;                                                           \
    addi t6, t6, add;                                                       \
    bne t0, t6, fail

/* mtval holds the bits of the 32-bit (or 16-bit) instruction at label */
#define CHECK_TVAL_INSN32(label)                                            \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    la t6, label;                                                           \
    lwu t6, 0(t6);                                                          \
    bne t0, t6, fail
#define CHECK_TVAL_INSN16(label)                                            \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    la t6, label;                                                           \
    lhu t6, 0(t6);                                                          \
    bne t0, t6, fail

/* Leave M mode: continue at the next instruction in privilege `prv`. */
#define ENTER_MODE(prv)                                                     \
    li t0, MSTATUS_MPP;                                                     \
    csrc mstatus, t0;                                                       \
    li t0, (prv) << 11;                                                     \
    csrs mstatus, t0;                                                       \
    la t0, 9998f;                                                           \
    csrw mepc, t0;                                                          \
    mret;                                                                   \
9998:

/*
 * Run `code` in privilege prv, then ECALL back to M. The check passes when
 * the first trap is `cause` (use the ECALL cause of prv for "no trap").
 */
#define TEST_IN_MODE(n, prv, cause, code...)                                \
    TEST_TRAP(n, cause, ENTER_MODE(prv); code; ecall)

/* Install the recording S-mode handler (traps delegated through medeleg). */
#define SET_STVEC_HANDLER                                                   \
    la t0, strap_vector;                                                    \
    csrw stvec, t0

/* ---- FP helpers -------------------------------------------------------- */

/* Bits of a single as the 64-bit integer fmv.x.w produces (sign-extended) */
#define SX32(v) ((((v) & 0xffffffff) ^ 0x80000000) - 0x80000000)

/* fd = op(fs1, fs2) in double; checks bits and fflags. */
#define TEST_FP_D(n, inst, flags, result, v1, v2, v3, rest...)              \
    li TESTNUM, n;                                                          \
    li t0, v1; fmv.d.x f1, t0;                                              \
    li t0, v2; fmv.d.x f2, t0;                                              \
    li t0, v3; fmv.d.x f3, t0;                                              \
    fsflags x0;                                                             \
    inst f4, rest;                                                          \
    fmv.x.d a0, f4;                                                         \
    frflags a1;                                                             \
    li t6, result; bne a0, t6, fail;                                        \
    li t6, flags; bne a1, t6, fail

#define TEST_FP_S(n, inst, flags, result, v1, v2, v3, rest...)              \
    li TESTNUM, n;                                                          \
    li t0, v1; fmv.w.x f1, t0;                                              \
    li t0, v2; fmv.w.x f2, t0;                                              \
    li t0, v3; fmv.w.x f3, t0;                                              \
    fsflags x0;                                                             \
    inst f4, rest;                                                          \
    fmv.x.w a0, f4;                                                         \
    frflags a1;                                                             \
    fmv.x.d a2, f4;                                                         \
    li t6, SX32(result); bne a0, t6, fail;                                  \
    li t6, flags; bne a1, t6, fail;                                         \
    srai a2, a2, 32; li t6, -1; bne a2, t6, fail

#define TEST_FP_D2(n, inst, flags, result, v1, v2)                          \
    TEST_FP_D(n, inst, flags, result, v1, v2, 0, f1, f2)
#define TEST_FP_D2_RM(n, inst, rm, flags, result, v1, v2)                   \
    TEST_FP_D(n, inst, flags, result, v1, v2, 0, f1, f2, rm)
#define TEST_FP_D1(n, inst, flags, result, v1)                              \
    TEST_FP_D(n, inst, flags, result, v1, 0, 0, f1)
#define TEST_FP_D1_RM(n, inst, rm, flags, result, v1)                       \
    TEST_FP_D(n, inst, flags, result, v1, 0, 0, f1, rm)
#define TEST_FP_D3(n, inst, flags, result, v1, v2, v3)                      \
    TEST_FP_D(n, inst, flags, result, v1, v2, v3, f1, f2, f3)
#define TEST_FP_D3_RM(n, inst, rm, flags, result, v1, v2, v3)               \
    TEST_FP_D(n, inst, flags, result, v1, v2, v3, f1, f2, f3, rm)
#define TEST_FP_S2(n, inst, flags, result, v1, v2)                          \
    TEST_FP_S(n, inst, flags, result, v1, v2, 0, f1, f2)
#define TEST_FP_S2_RM(n, inst, rm, flags, result, v1, v2)                   \
    TEST_FP_S(n, inst, flags, result, v1, v2, 0, f1, f2, rm)
#define TEST_FP_S1(n, inst, flags, result, v1)                              \
    TEST_FP_S(n, inst, flags, result, v1, 0, 0, f1)
#define TEST_FP_S1_RM(n, inst, rm, flags, result, v1)                       \
    TEST_FP_S(n, inst, flags, result, v1, 0, 0, f1, rm)
#define TEST_FP_S3(n, inst, flags, result, v1, v2, v3)                      \
    TEST_FP_S(n, inst, flags, result, v1, v2, v3, f1, f2, f3)
#define TEST_FP_S3_RM(n, inst, rm, flags, result, v1, v2, v3)               \
    TEST_FP_S(n, inst, flags, result, v1, v2, v3, f1, f2, f3, rm)

/* FP sources, integer destination (compare, class, fcvt to int, fmv.x) */
#define TEST_FP_INT_D(n, inst, flags, result, v1, v2, rest...)              \
    li TESTNUM, n;                                                          \
    li t0, v1; fmv.d.x f1, t0;                                              \
    li t0, v2; fmv.d.x f2, t0;                                              \
    fsflags x0;                                                             \
    inst a0, rest;                                                          \
    frflags a1;                                                             \
    li t6, result; bne a0, t6, fail;                                        \
    li t6, flags; bne a1, t6, fail
#define TEST_FP_INT_S(n, inst, flags, result, v1, v2, rest...)              \
    li TESTNUM, n;                                                          \
    li t0, v1; fmv.w.x f1, t0;                                              \
    li t0, v2; fmv.w.x f2, t0;                                              \
    fsflags x0;                                                             \
    inst a0, rest;                                                          \
    frflags a1;                                                             \
    li t6, result; bne a0, t6, fail;                                        \
    li t6, flags; bne a1, t6, fail

/* integer source, FP destination (fcvt from int) */
#define TEST_INT_FP_D(n, inst, flags, result, v1, rest...)                  \
    li TESTNUM, n;                                                          \
    li a1, v1;                                                              \
    fsflags x0;                                                             \
    inst f4, a1 rest;                                                       \
    fmv.x.d a0, f4;                                                         \
    frflags a2;                                                             \
    li t6, result; bne a0, t6, fail;                                        \
    li t6, flags; bne a2, t6, fail
#define TEST_INT_FP_S(n, inst, flags, result, v1, rest...)                  \
    li TESTNUM, n;                                                          \
    li a1, v1;                                                              \
    fsflags x0;                                                             \
    inst f4, a1 rest;                                                       \
    fmv.x.w a0, f4;                                                         \
    frflags a2;                                                             \
    li t6, SX32(result); bne a0, t6, fail;                                  \
    li t6, flags; bne a2, t6, fail

#define FFLAG_NX 1
#define FFLAG_UF 2
#define FFLAG_OF 4
#define FFLAG_DZ 8
#define FFLAG_NV 16

/* ---- runtime: pass, fail, handlers, data ------------------------------- */

#define RVTEST_RUNTIME                                                      \
    .text;                                                                  \
    .align 2;                                                               \
pass:                                                                       \
    fence;                                                                  \
    li t0, 1;                                                               \
    la t1, tohost;                                                          \
    sd t0, 0(t1);                                                           \
    li t1, SYSCON_BASE;                                                     \
    li t0, 0x5555;                                                          \
    sw t0, 0(t1);                                                           \
1:  j 1b;                                                                   \
                                                                            \
fail:                                                                       \
    fence;                                                                  \
    bnez TESTNUM, 1f;                                                       \
    li TESTNUM, 4095;                                                       \
1:  la a0, msg_fail;                                                        \
    jal uart_puts;                                                          \
    mv a0, TESTNUM;                                                         \
    jal uart_putdec;                                                        \
    la a0, msg_last;                                                        \
    jal uart_puts;                                                          \
    TRAP_FIELD(a0, TS_CAUSE);                                               \
    jal uart_puthex;                                                        \
    la a0, msg_epc;                                                         \
    jal uart_puts;                                                          \
    TRAP_FIELD(a0, TS_EPC);                                                 \
    jal uart_puthex;                                                        \
    la a0, msg_tval;                                                        \
    jal uart_puts;                                                          \
    TRAP_FIELD(a0, TS_TVAL);                                                \
    jal uart_puthex;                                                        \
    li a0, ')';                                                             \
    jal uart_putc;                                                          \
    li a0, '\n';                                                            \
    jal uart_putc;                                                          \
fail_exit:                                                                  \
    slli t0, TESTNUM, 1;                                                    \
    ori t0, t0, 1;                                                          \
    la t1, tohost;                                                          \
    sd t0, 0(t1);                                                           \
    mv t0, TESTNUM;                                                         \
    li t2, 255;                                                             \
    bleu t0, t2, 2f;                                                        \
    mv t0, t2;                                                              \
2:  slli t0, t0, 16;                                                        \
    li t2, 0x3333;                                                          \
    or t0, t0, t2;                                                          \
    li t1, SYSCON_BASE;                                                     \
    sw t0, 0(t1);                                                           \
1:  j 1b;                                                                   \
                                                                            \
    /* a0 = NUL-terminated string; clobbers a0, a5-a7 */                    \
uart_puts:                                                                  \
    mv a5, ra;                                                              \
    mv a6, a0;                                                              \
1:  lbu a0, 0(a6);                                                          \
    beqz a0, 2f;                                                            \
    jal uart_putc;                                                          \
    addi a6, a6, 1;                                                         \
    j 1b;                                                                   \
2:  mv ra, a5;                                                              \
    ret;                                                                    \
                                                                            \
    /* a0 = byte; bounded wait for THR empty (LSR bit 5); clobbers a7 */   \
uart_putc:                                                                  \
    li a7, 100000;                                                          \
1:  addi a7, a7, -1;                                                        \
    beqz a7, 2f;                                                            \
    addi sp, sp, -8;                                                        \
    sd a1, 0(sp);                                                           \
    li a1, UART_BASE;                                                       \
    lbu a1, 5(a1);                                                          \
    andi a1, a1, 0x20;                                                      \
    bnez a1, 3f;                                                            \
    ld a1, 0(sp);                                                           \
    addi sp, sp, 8;                                                         \
    j 1b;                                                                   \
3:  ld a1, 0(sp);                                                           \
    addi sp, sp, 8;                                                         \
2:  li a7, UART_BASE;                                                       \
    sb a0, 0(a7);                                                           \
    ret;                                                                    \
                                                                            \
    /* a0 = unsigned value, printed in decimal; clobbers a0-a7, s11 */      \
uart_putdec:                                                                \
    mv s11, ra;                                                             \
    addi sp, sp, -32;                                                       \
    mv a1, sp;                                                              \
    li a2, 10;                                                              \
1:  remu a3, a0, a2;                                                        \
    addi a3, a3, '0';                                                       \
    sb a3, 0(a1);                                                           \
    addi a1, a1, 1;                                                         \
    divu a0, a0, a2;                                                        \
    bnez a0, 1b;                                                            \
2:  addi a1, a1, -1;                                                        \
    lbu a0, 0(a1);                                                          \
    mv a4, a1;                                                              \
    jal uart_putc;                                                          \
    mv a1, a4;                                                              \
    bne a1, sp, 2b;                                                         \
    addi sp, sp, 32;                                                        \
    mv ra, s11;                                                             \
    ret;                                                                    \
                                                                            \
    /* a0 = value, printed as 0x + 16 hex digits; clobbers a0-a7, s11 */    \
uart_puthex:                                                                \
    mv s11, ra;                                                             \
    mv a2, a0;                                                              \
    li a0, '0';                                                             \
    jal uart_putc;                                                          \
    li a0, 'x';                                                             \
    jal uart_putc;                                                          \
    li a3, 60;                                                              \
1:  srl a0, a2, a3;                                                         \
    andi a0, a0, 15;                                                        \
    addi a0, a0, '0';                                                       \
    li a4, '9';                                                             \
    bleu a0, a4, 2f;                                                        \
    addi a0, a0, 'a' - '0' - 10;                                            \
2:  jal uart_putc;                                                          \
    addi a3, a3, -4;                                                        \
    bgez a3, 1b;                                                            \
    mv ra, s11;                                                             \
    ret;                                                                    \
                                                                            \
    .align 6;                                                               \
    .globl trap_vector;                                                     \
trap_vector:                                                                \
    csrw mscratch, t0;                                                      \
    la t0, trap_state;                                                      \
    sd t1, TS_SAVE1(t0);                                                    \
    sd t2, TS_SAVE2(t0);                                                    \
    ld t1, TS_RESUME(t0);                                                   \
    beqz t1, trap_unexpected;                                               \
    sd zero, TS_RESUME(t0);                                                 \
    csrr t2, mcause;                                                        \
    sd t2, TS_CAUSE(t0);                                                    \
    csrr t2, mtval;                                                         \
    sd t2, TS_TVAL(t0);                                                     \
    csrr t2, mepc;                                                          \
    sd t2, TS_EPC(t0);                                                      \
    csrr t2, mstatus;                                                       \
    sd t2, TS_STATUS(t0);                                                   \
    ld t2, TS_COUNT(t0);                                                    \
    addi t2, t2, 1;                                                         \
    sd t2, TS_COUNT(t0);                                                    \
    csrw mepc, t1;                                                          \
    li t2, MSTATUS_MPP;                                                     \
    csrs mstatus, t2;                                                       \
    /* resume with MIE off, so a pending interrupt cannot fire again */   \
    li t2, MSTATUS_MPIE;                                                    \
    csrc mstatus, t2;                                                       \
    ld t1, TS_SAVE1(t0);                                                    \
    ld t2, TS_SAVE2(t0);                                                    \
    csrr t0, mscratch;                                                      \
    mret;                                                                   \
                                                                            \
trap_unexpected:                                                            \
    li t0, MSTATUS_MPRV;                                                    \
    csrc mstatus, t0;                                                       \
    la sp, stack_top;                                                       \
    bnez TESTNUM, 1f;                                                       \
    li TESTNUM, 4095;                                                       \
1:  la a0, msg_fail;                                                        \
    jal uart_puts;                                                          \
    mv a0, TESTNUM;                                                         \
    jal uart_putdec;                                                        \
    la a0, msg_cause;                                                       \
    jal uart_puts;                                                          \
    csrr a0, mcause;                                                        \
    jal uart_puthex;                                                        \
    la a0, msg_epc;                                                         \
    jal uart_puts;                                                          \
    csrr a0, mepc;                                                          \
    jal uart_puthex;                                                        \
    la a0, msg_tval;                                                        \
    jal uart_puts;                                                          \
    csrr a0, mtval;                                                         \
    jal uart_puthex;                                                        \
    li a0, ')';                                                             \
    jal uart_putc;                                                          \
    li a0, '\n';                                                            \
    jal uart_putc;                                                          \
    j fail_exit;                                                            \
                                                                            \
    /* S-mode recorder: note the trap, then ECALL into the M handler. */    \
    .align 6;                                                               \
    .globl strap_vector;                                                    \
strap_vector:                                                               \
    csrw sscratch, t0;                                                      \
    la t0, trap_state;                                                      \
    sd t1, TS_SSAVE1(t0);                                                   \
    sd t2, TS_SSAVE2(t0);                                                   \
    csrr t2, scause;                                                        \
    sd t2, TS_SCAUSE(t0);                                                   \
    csrr t2, stval;                                                         \
    sd t2, TS_STVAL(t0);                                                    \
    csrr t2, sepc;                                                          \
    sd t2, TS_SEPC(t0);                                                     \
    csrr t2, sstatus;                                                       \
    sd t2, TS_SSTATUS(t0);                                                  \
    ld t2, TS_SCOUNT(t0);                                                   \
    addi t2, t2, 1;                                                         \
    sd t2, TS_SCOUNT(t0);                                                   \
    ld t1, TS_SSAVE1(t0);                                                   \
    ld t2, TS_SSAVE2(t0);                                                   \
    csrr t0, sscratch;                                                      \
    ecall;                                                                  \
                                                                            \
    .section .rodata;                                                       \
msg_fail: .asciz "FAIL test ";                                              \
msg_cause: .asciz " (unexpected trap: mcause=";                             \
msg_last: .asciz " (last recorded trap: mcause=";                             \
msg_epc: .asciz " mepc=";                                                   \
msg_tval: .asciz " mtval=";                                                 \
                                                                            \
    .section .tohost, "aw", @progbits;                                      \
    .align 6;                                                               \
    .globl tohost;                                                          \
tohost: .dword 0;                                                           \
    .align 6;                                                               \
    .globl fromhost;                                                        \
fromhost: .dword 0;                                                         \
                                                                            \
    .data;                                                                  \
    .align 6;                                                               \
    .globl trap_state;                                                      \
trap_state: .fill 16, 8, 0;                                                 \
    .bss;                                                                   \
    .align 12;                                                              \
stack_bottom: .skip 8192;                                                   \
stack_top:                                                                  \
    .text

#endif
