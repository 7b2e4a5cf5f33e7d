/* Privileged architecture 1.12 (ch. 3-4): ECALL causes from each mode,
 * trap entry and MRET/SRET state changes, medeleg/mideleg delegation,
 * interrupt priority, vectored mtvec, WFI, TVM/TW/TSR, the sstatus view
 * of mstatus, satp WARL, Sstc and the CLINT timer as seen in mip. */
#include "test.h"

#define MIP_SSIP (1 << 1)
#define MIP_MSIP (1 << 3)
#define MIP_STIP (1 << 5)
#define MIP_MTIP (1 << 7)
#define CLINT_MTIMECMP 0x2004000
#define SATP_MODE_SV39 (8 << 60)
#define SATP_MODE_SV48 (9 << 60)
#define SATP_MODE_SV57 (10 << 60)
#define SATP_MODE_SV64 (11 << 60)
#define CSR_MENVCFG 0x30a
#define CSR_SENVCFG 0x10a
#define CSR_STIMECMP 0x14d
#define MENVCFG_STCE (1 << 63)

/* field of the mstatus recorded at the last M trap */
#define TRAP_STATUS_FIELD(reg, mask) \
    TRAP_FIELD(reg, TS_STATUS); li t6, mask; and reg, reg, t6

RVTEST_BEGIN
    .option norvc
    /* ECALL cause per mode; mepc = the ECALL */
    TEST_TRAP(1, CAUSE_MACHINE_ECALL, 1: ecall)
    CHECK_EPC_LABEL(1b)
    TEST_IN_MODE(2, PRV_S, CAUSE_SUPERVISOR_ECALL, nop)
    TEST_IN_MODE(3, PRV_U, CAUSE_USER_ECALL, nop)
    TEST_TRAP(4, CAUSE_BREAKPOINT, 1: ebreak)
    CHECK_EPC_LABEL(1b)
    TEST_TRAP_TVAL(5, CAUSE_ILLEGAL_INSTRUCTION, 0, .word 0)

    /* trap entry: MPIE = old MIE, MIE = 0, MPP = old mode */
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    TEST_TRAP(6, CAUSE_MACHINE_ECALL, ecall)
    TRAP_STATUS_FIELD(a0, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP)
    CHECK(a0, MSTATUS_MPIE | MSTATUS_MPP)
    /* MRET: MIE = MPIE, MPIE = 1, MPP = U (least privileged mode) */
    li TESTNUM, 7
    li t0, MSTATUS_MPIE | MSTATUS_MPP
    csrs mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a0, mstatus
    li t6, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP
    and a0, a0, t6
    CHECK(a0, MSTATUS_MIE | MSTATUS_MPIE)
    li t0, MSTATUS_MIE
    csrc mstatus, t0
    TEST_TRAP(107, CAUSE_MACHINE_ECALL, ecall)
    li TESTNUM, 108
    li t0, MSTATUS_MPIE
    csrc mstatus, t0
    li t0, MSTATUS_MPP
    csrs mstatus, t0
    la t0, 1f
    csrw mepc, t0
    mret
1:  csrr a0, mstatus
    andi a0, a0, MSTATUS_MIE | MSTATUS_MPIE
    CHECK(a0, MSTATUS_MPIE)
    TEST_IN_MODE(8, PRV_U, CAUSE_USER_ECALL, nop)
    TRAP_STATUS_FIELD(a0, MSTATUS_MPP)
    CHECK(a0, 0)
    TEST_IN_MODE(9, PRV_S, CAUSE_SUPERVISOR_ECALL, nop)
    TRAP_STATUS_FIELD(a0, MSTATUS_MPP)
    CHECK(a0, PRV_S << 11)

    /* MRET to a lower mode clears MPRV (privileged 1.12 §3.1.6.3); QEMU
     * 7.2 leaves it set */
#ifndef ON_QEMU
    li TESTNUM, 10
    li t0, MSTATUS_MPRV
    csrs mstatus, t0
    TEST_IN_MODE(10, PRV_S, CAUSE_SUPERVISOR_ECALL, nop)
    TRAP_STATUS_FIELD(a0, MSTATUS_MPRV)
    CHECK(a0, 0)
#endif

    /* SRET from M: mode = SPP, SIE = SPIE, SPIE = 1, SPP = U */
    li TESTNUM, 11
    TRAP_ARM(2f)
    li t0, MSTATUS_SPP | MSTATUS_SPIE
    csrs mstatus, t0
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    la t0, 1f
    csrw sepc, t0
    sret
1:  ecall                            /* must be in S */
    j fail
2:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_SUPERVISOR_ECALL)
    TRAP_STATUS_FIELD(a0, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE)
    CHECK(a0, MSTATUS_SPIE | MSTATUS_SIE)
    li TESTNUM, 12
    TRAP_ARM(2f)
    li t0, MSTATUS_SPP
    csrc mstatus, t0
    la t0, 1f
    csrw sepc, t0
    sret
1:  ecall                            /* must be in U */
    j fail
2:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_USER_ECALL)
    li t0, MSTATUS_SIE
    csrc mstatus, t0

    /* mepc/sepc bit 0 always reads 0 (IALIGN = 16, privileged §3.1.14);
     * QEMU 7.2 keeps the bit and masks it only on xRET */
#ifndef ON_QEMU
    TEST_CASE(13, a0, 0x80000000, li a1, 0x80000001; csrw mepc, a1; csrr a0, mepc)
    TEST_CASE(14, a0, 0x80000002, li a1, 0x80000003; csrw sepc, a1; csrr a0, sepc)
#endif

    /* medeleg: U ECALL and illegal instruction handled in S */
    SET_STVEC_HANDLER
    li t0, (1 << CAUSE_USER_ECALL) | (1 << CAUSE_ILLEGAL_INSTRUCTION)
    csrw medeleg, t0
    TEST_IN_MODE(15, PRV_U, CAUSE_SUPERVISOR_ECALL, 1: nop; 2: ecall)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_USER_ECALL)
    TRAP_FIELD(a0, TS_SEPC)
    la t6, 2b
    bne a0, t6, fail
    TRAP_FIELD(a0, TS_SSTATUS)
    andi a0, a0, MSTATUS_SPP
    CHECK(a0, 0)
    TEST_IN_MODE(16, PRV_U, CAUSE_SUPERVISOR_ECALL, 1: csrr a0, mstatus)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_ILLEGAL_INSTRUCTION)
    TRAP_FIELD(a0, TS_STVAL)
    la t6, 1b
    lwu t6, 0(t6)
    bne a0, t6, fail
    /* an S-mode illegal instruction delegated to S: SPP = 1 */
    TEST_IN_MODE(17, PRV_S, CAUSE_SUPERVISOR_ECALL, .word 0)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_ILLEGAL_INSTRUCTION)
    TRAP_FIELD(a0, TS_SSTATUS)
    andi a0, a0, MSTATUS_SPP
    CHECK(a0, MSTATUS_SPP)
    /* traps taken in M are never delegated */
    TEST_TRAP(18, CAUSE_ILLEGAL_INSTRUCTION, .word 0)
    /* even with every medeleg bit written, an ECALL in M stays in M */
    li t0, -1
    csrw medeleg, t0
    TEST_TRAP(19, CAUSE_MACHINE_ECALL, ecall)
    csrw medeleg, zero

    /* interrupts: SSIP pending and enabled, taken in M when not delegated,
     * only with mstatus.MIE */
    li TESTNUM, 20
    li t0, MIP_SSIP
    csrw mie, t0
    csrs mip, t0
    csrr a0, mip
    andi a0, a0, MIP_SSIP
    beqz a0, fail
    TRAP_ARM(1f)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    j fail
1:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_INTR | 1)
    /* MIE was cleared on resume; the interrupt stays pending */
    li TESTNUM, 21
    csrr a0, mstatus
    andi a0, a0, MSTATUS_MIE
    bnez a0, fail

    /* WFI with an interrupt pending and enabled in mie returns at once,
     * even with MIE = 0 */
    TEST_CASE(22, a0, 5, wfi; li a0, 5)

    /* priority: SSIP (1) before STIP (5) */
    li TESTNUM, 23
    li t0, MIP_SSIP | MIP_STIP
    csrw mie, t0
    csrs mip, t0
    TRAP_ARM(1f)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    j fail
1:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_INTR | 1)
    /* STIP alone */
    li TESTNUM, 24
    li t0, MIP_SSIP
    csrc mip, t0
    TRAP_ARM(1f)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    j fail
1:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_INTR | 5)
    li t0, MIP_STIP
    csrc mip, t0

    /* vectored mtvec: interrupt n goes to base + 4n, exceptions to base */
    li TESTNUM, 25
    la t0, vec_table
    ori t0, t0, 1
    csrw mtvec, t0
    la t0, vec_hits
    sd zero, 0(t0)
    li t0, MIP_SSIP
    csrw mie, t0
    csrs mip, t0
    TRAP_ARM(1f)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    j fail
1:  la t0, vec_hits
    ld a0, 0(t0)
    CHECK(a0, 0x10)                     /* entry 1 */
    li t0, MIP_SSIP
    csrc mip, t0
    TEST_TRAP(26, CAUSE_MACHINE_ECALL, ecall)
    la t0, vec_hits
    ld a0, 0(t0)
    CHECK(a0, 0x11)                     /* then entry 0 */
    la t0, trap_vector
    csrw mtvec, t0
    csrw mie, zero

    /* mideleg: SSIP delegated is taken in S (scause = interrupt 1) */
    li TESTNUM, 27
    li t0, MIP_SSIP
    csrw mideleg, t0
    csrw mie, t0
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    TEST_IN_MODE(27, PRV_S, CAUSE_SUPERVISOR_ECALL, csrsi sip, MIP_SSIP; nop; nop)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_INTR | 1)
    /* delegated interrupts are not taken in M even with MIE set */
    li TESTNUM, 28
    csrr a0, mip
    andi a0, a0, MIP_SSIP
    beqz a0, fail
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    nop
    nop
    csrc mstatus, t0
    /* in U, a delegated interrupt is taken regardless of SIE */
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    la t0, trap_state
    sd zero, TS_SCAUSE(t0)
    TEST_IN_MODE(29, PRV_U, CAUSE_SUPERVISOR_ECALL, nop; nop)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_INTR | 1)
    /* in S with SIE = 0 it waits */
    TEST_IN_MODE(30, PRV_S, CAUSE_SUPERVISOR_ECALL, nop; nop)
    li t0, MIP_SSIP
    csrc mip, t0
    csrw mideleg, zero
    csrw mie, zero

    /* sip/sie are views of mip/mie restricted by mideleg */
    li TESTNUM, 31
    li t0, MIP_SSIP
    csrw mideleg, t0
    li t0, MIP_SSIP | MIP_MSIP
    csrw mie, t0
    csrr a0, sie
    CHECK(a0, MIP_SSIP)
    csrw mideleg, zero
    csrw mie, zero

    /* TW: WFI in S traps; WFI in U always traps (S implemented) */
    li t0, MSTATUS_TW
    csrs mstatus, t0
    TEST_IN_MODE(32, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: wfi)
    CHECK_TVAL_INSN32(1b)
    li t0, MSTATUS_TW
    csrc mstatus, t0
    TEST_IN_MODE(33, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, 1: wfi)
    CHECK_TVAL_INSN32(1b)
    /* TVM: satp and SFENCE.VMA trap in S */
    li t0, MSTATUS_TVM
    csrs mstatus, t0
    TEST_IN_MODE(34, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: csrr a0, satp)
    CHECK_TVAL_INSN32(1b)
    TEST_IN_MODE(35, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: sfence.vma)
    CHECK_TVAL_INSN32(1b)
    li t0, MSTATUS_TVM
    csrc mstatus, t0
    TEST_IN_MODE(36, PRV_S, CAUSE_SUPERVISOR_ECALL, csrr a0, satp; sfence.vma)
    /* TSR: SRET traps in S */
    li t0, MSTATUS_TSR
    csrs mstatus, t0
    TEST_IN_MODE(37, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: sret)
    CHECK_TVAL_INSN32(1b)
    li t0, MSTATUS_TSR
    csrc mstatus, t0
    /* MRET in S, SRET and SFENCE.VMA in U: illegal */
    TEST_IN_MODE(38, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, 1: mret)
    CHECK_TVAL_INSN32(1b)
    TEST_IN_MODE(39, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, sret)
    TEST_IN_MODE(40, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, sfence.vma)
    TEST_IN_MODE(41, PRV_U, CAUSE_ILLEGAL_INSTRUCTION, mret)

    /* sstatus shows only the S fields; writing it cannot touch M fields */
    li TESTNUM, 42
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    csrr s0, mstatus
    /* all ones but VS and UXL: QEMU 7.2 keeps VS without V (allowed) and
     * accepts UXL = 3 (not a legal value) */
    li t0, 0xfffffffefffff9ff
    csrw sstatus, t0
    csrr a0, sstatus
    CHECK(a0, 0x80000002000c6122)   /* SD UXL=2 MXR SUM FS SPP SPIE SIE */
#ifndef ON_QEMU
    /* riscv-vm: UXL is read-only 2 and VS (no V) read-only zero */
    li TESTNUM, 142
    li t0, -1
    csrw sstatus, t0
    csrr a0, sstatus
    CHECK(a0, 0x80000002000c6122)
#endif
    li TESTNUM, 43
    csrr a0, mstatus
    andi a0, a0, MSTATUS_MIE | MSTATUS_MPIE
    andi a1, s0, MSTATUS_MIE | MSTATUS_MPIE
    bne a0, a1, fail
    csrw sstatus, zero
    li TESTNUM, 44
    csrr a0, mstatus
    li t0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | MSTATUS_SUM | MSTATUS_MXR
    and a0, a0, t0
    bnez a0, fail
    li t0, MSTATUS_FS_INITIAL
    csrs mstatus, t0
    /* UXL and SXL read 2 (64-bit) */
    li TESTNUM, 45
    csrr a0, mstatus
    srli a0, a0, 32
    andi a0, a0, 0xf
    CHECK(a0, 0xa)

    /* satp is WARL: an unsupported mode leaves it unchanged */
    li TESTNUM, 46
    csrw satp, zero
    li a1, SATP_MODE_SV64 | 0x1234
    csrw satp, a1
    csrr a0, satp
    CHECK(a0, 0)
    li TESTNUM, 47
    li a1, (3 << 60) | 0x1234
    csrw satp, a1
    csrr a0, satp
    CHECK(a0, 0)
#ifndef ON_QEMU
    /* QEMU 7.2 implements Sv57 and accepts mode 10; riscv-vm does not */
    li TESTNUM, 48
    li a1, SATP_MODE_SV57 | 0x1234
    csrw satp, a1
    csrr a0, satp
    CHECK(a0, 0)
#endif
    li TESTNUM, 49
    la a1, zero_label
    srli a1, a1, 12
    li t0, SATP_MODE_SV39
    or a1, a1, t0
    csrw satp, a1
    csrr a0, satp
    li t0, 0xf0000fffffffffff       /* MODE and PPN; ASID may be WARL */
    and a0, a0, t0
    bne a0, a1, fail
    li TESTNUM, 50
    li a2, SATP_MODE_SV64
    csrw satp, a2
    csrr a0, satp
    and a0, a0, t0
    bne a0, a1, fail
    li TESTNUM, 51
    la a1, zero_label
    srli a1, a1, 12
    li t0, SATP_MODE_SV48
    or a1, a1, t0
    csrw satp, a1
    csrr a0, satp
    li t0, 0xf0000fffffffffff
    and a0, a0, t0
    bne a0, a1, fail
    csrw satp, zero

    /* menvcfg/senvcfg exist; Sstc: with STCE, stimecmp drives STIP */
    TEST_CASE(52, a0, 0, csrw CSR_SENVCFG, zero; csrr a0, CSR_SENVCFG)
    li TESTNUM, 53
    li t0, MENVCFG_STCE
    csrs CSR_MENVCFG, t0
    csrr a0, CSR_MENVCFG
    bgez a0, fail
    csrw CSR_STIMECMP, zero
    csrr a0, mip
    andi a0, a0, MIP_STIP
    beqz a0, fail
    li TESTNUM, 54
    li t0, -1
    csrw CSR_STIMECMP, t0
    csrr a0, mip
    andi a0, a0, MIP_STIP
    bnez a0, fail
    /* with STCE, STIP is not writable through mip */
    li TESTNUM, 55
    li t0, MIP_STIP
    csrs mip, t0
    csrr a0, mip
    andi a0, a0, MIP_STIP
    bnez a0, fail
    /* stimecmp from S needs mcounteren.TM and menvcfg.STCE */
    csrw mcounteren, zero
    TEST_IN_MODE(56, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, csrr a0, CSR_STIMECMP)
    li t0, 2
    csrw mcounteren, t0
    TEST_IN_MODE(57, PRV_S, CAUSE_SUPERVISOR_ECALL, csrr a0, CSR_STIMECMP)
    li t0, MENVCFG_STCE
    csrc CSR_MENVCFG, t0
    TEST_IN_MODE(58, PRV_S, CAUSE_ILLEGAL_INSTRUCTION, csrr a0, CSR_STIMECMP)
    csrw mcounteren, zero

    /* Sstc end to end: delegated STIP from stimecmp taken in S through a
     * vectored stvec (interrupt 5 -> base + 20) */
    li t0, MENVCFG_STCE
    csrs CSR_MENVCFG, t0
    li t0, 2
    csrw mcounteren, t0
    li t0, MIP_STIP
    csrw mideleg, t0
    csrw mie, t0
    li t0, -1
    csrw CSR_STIMECMP, t0
    la t0, svec_table
    ori t0, t0, 1
    csrw stvec, t0
    la t0, vec_hits
    sd zero, 0(t0)
    la t0, trap_state
    sd zero, TS_SCAUSE(t0)
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    TEST_IN_MODE(63, PRV_S, CAUSE_SUPERVISOR_ECALL, csrw CSR_STIMECMP, zero; 1: j 1b)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_INTR | 5)
    la t0, vec_hits
    ld a0, 0(t0)
    CHECK(a0, 0x100)
    li t0, -1
    csrw CSR_STIMECMP, t0
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    csrw mideleg, zero
    csrw mie, zero
    li t0, MENVCFG_STCE
    csrc CSR_MENVCFG, t0
    csrw mcounteren, zero

    /* CLINT mtimecmp drives MTIP */
    li TESTNUM, 59
    li a1, CLINT_MTIMECMP
    sd zero, 0(a1)
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    beqz a0, fail
    li TESTNUM, 60
    li t0, -1
    sd t0, 0(a1)
    csrr a0, mip
    andi a0, a0, MIP_MTIP
    bnez a0, fail
    /* MTIP and MSIP are read-only in mip */
    li TESTNUM, 61
    li t0, MIP_MTIP | MIP_MSIP
    csrs mip, t0
    csrr a0, mip
    and a0, a0, t0
    bnez a0, fail
    /* machine timer interrupt taken */
    li TESTNUM, 62
    li t0, MIP_MTIP
    csrw mie, t0
    sd zero, 0(a1)
    TRAP_ARM(1f)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
2:  j 2b
1:  TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_INTR | 7)
    li t0, -1
    sd t0, 0(a1)
    csrw mie, zero
RVTEST_END

    .text
    .balign 256
vec_table:
    j vec_exc
    j vec_ssi
    .rept 14
    j fail
    .endr
vec_exc:
    csrw mscratch, t0
    la t0, vec_hits
    sd t1, 8(t0)
    ld t1, 0(t0)
    ori t1, t1, 0x01
    sd t1, 0(t0)
    ld t1, 8(t0)
    csrr t0, mscratch
    j trap_vector
vec_ssi:
    csrw mscratch, t0
    la t0, vec_hits
    sd t1, 8(t0)
    ld t1, 0(t0)
    ori t1, t1, 0x10
    sd t1, 0(t0)
    ld t1, 8(t0)
    csrr t0, mscratch
    j trap_vector

    .balign 256
svec_table:
    .rept 5
    j fail
    .endr
    j svec_sti                  /* interrupt 5 */
    .rept 10
    j fail
    .endr
svec_sti:
    csrw sscratch, t0
    la t0, vec_hits
    sd t1, 8(t0)
    li t1, 0x100
    sd t1, 0(t0)
    ld t1, 8(t0)
    li t0, -1                   /* quiet the timer before recording */
    csrw CSR_STIMECMP, t0
    csrr t0, sscratch
    j strap_vector

    .data
    .balign 16
vec_hits: .dword 0, 0
    .balign 4096
zero_label: .dword 0
