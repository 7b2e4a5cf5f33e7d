/*
 * Entry and trap vectors for the bare-metal boot test kernels.
 *
 * M-mode kernels (default): every hart enters at _start with a0 = hartid,
 * a1 = DTB (QEMU virt reset ROM convention); the hart id is read again from
 * mhartid. Built with -DSMODE for kernels started by OpenSBI in S mode,
 * where a0 = hartid is the only source of the id.
 *
 * Hart 0 clears .bss and calls main(); the others wait for that and call
 * secondary_main(). Each hart gets its own 16 KiB stack.
 */
#define STACK_SHIFT 14
#define MAX_HARTS 8

    .section .text.init, "ax"
    .globl _start
_start:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
#ifndef SMODE
    csrr a0, mhartid
#endif
    li t0, MAX_HARTS
    bgeu a0, t0, park
    /* sp = stacks + (hartid + 1) << STACK_SHIFT */
    addi t0, a0, 1
    slli t0, t0, STACK_SHIFT
    la sp, stacks
    add sp, sp, t0
#ifndef SMODE
    /* FS = Initial so compiler-generated FP code cannot trap. */
    li t0, (1 << 13)
    csrs mstatus, t0
    la t0, trap_vector_m
    csrw mtvec, t0
#else
    li t0, (1 << 13)
    csrs sstatus, t0
    la t0, trap_vector_s
    csrw stvec, t0
#endif
#ifndef SMODE
    bnez a0, secondary
#endif

    /* Hart 0 (in S mode: the hart OpenSBI booted, whatever its id): clear .bss, then release the others through bss_ready, which
     * lives in .data so clearing .bss cannot race with it. */
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  fence rw, rw
    la t0, bss_ready
    li t1, 1
    sw t1, 0(t0)
    fence rw, rw
    call main
    /* main() returning means it forgot to power off. */
    li a0, 98
    call syscon_exit
    j park

#ifdef SMODE
    /* Harts started later through SBI HSM hart_start(hartid, secondary_entry,
     * opaque) arrive here with a0 = hartid, a1 = opaque. */
    .globl secondary_entry
secondary_entry:
    .option push
    .option norelax
    la gp, __global_pointer$
    .option pop
    li t0, MAX_HARTS
    bgeu a0, t0, park
    addi t0, a0, 1
    slli t0, t0, STACK_SHIFT
    la sp, stacks
    add sp, sp, t0
    li t0, (1 << 13)
    csrs sstatus, t0
    la t0, trap_vector_s
    csrw stvec, t0
#endif
secondary:
    la t0, bss_ready
3:  lw t1, 0(t0)
    beqz t1, 3b
    fence rw, rw
    call secondary_main
park:
    wfi
    j park

/* Trap vectors: save every integer register in a struct trap_frame on the
 * current stack, call the C handler with a pointer to it, restore, return.
 * The handler may change the frame (ecall results) and xepc. */
.macro SAVE_REGS
    addi sp, sp, -256
    sd ra, 0(sp)
    sd gp, 16(sp)
    sd tp, 24(sp)
    sd t0, 32(sp)
    sd t1, 40(sp)
    sd t2, 48(sp)
    sd s0, 56(sp)
    sd s1, 64(sp)
    sd a0, 72(sp)
    sd a1, 80(sp)
    sd a2, 88(sp)
    sd a3, 96(sp)
    sd a4, 104(sp)
    sd a5, 112(sp)
    sd a6, 120(sp)
    sd a7, 128(sp)
    sd s2, 136(sp)
    sd s3, 144(sp)
    sd s4, 152(sp)
    sd s5, 160(sp)
    sd s6, 168(sp)
    sd s7, 176(sp)
    sd s8, 184(sp)
    sd s9, 192(sp)
    sd s10, 200(sp)
    sd s11, 208(sp)
    sd t3, 216(sp)
    sd t4, 224(sp)
    sd t5, 232(sp)
    sd t6, 240(sp)
    addi t0, sp, 256
    sd t0, 8(sp)
    mv a0, sp
.endm

.macro RESTORE_REGS
    ld ra, 0(sp)
    ld gp, 16(sp)
    ld tp, 24(sp)
    ld t0, 32(sp)
    ld t1, 40(sp)
    ld t2, 48(sp)
    ld s0, 56(sp)
    ld s1, 64(sp)
    ld a0, 72(sp)
    ld a1, 80(sp)
    ld a2, 88(sp)
    ld a3, 96(sp)
    ld a4, 104(sp)
    ld a5, 112(sp)
    ld a6, 120(sp)
    ld a7, 128(sp)
    ld s2, 136(sp)
    ld s3, 144(sp)
    ld s4, 152(sp)
    ld s5, 160(sp)
    ld s6, 168(sp)
    ld s7, 176(sp)
    ld s8, 184(sp)
    ld s9, 192(sp)
    ld s10, 200(sp)
    ld s11, 208(sp)
    ld t3, 216(sp)
    ld t4, 224(sp)
    ld t5, 232(sp)
    ld t6, 240(sp)
    addi sp, sp, 256
.endm

    .text
    .balign 4
    .globl trap_vector_m
trap_vector_m:
    SAVE_REGS
    call m_trap
    RESTORE_REGS
    mret

    .balign 4
    .globl trap_vector_s
trap_vector_s:
    SAVE_REGS
    call s_trap
    RESTORE_REGS
    sret

    .data
    .balign 8
    .globl bss_ready
bss_ready:
    .word 0

    .bss
    .balign 16
stacks:
    .space MAX_HARTS << STACK_SHIFT
