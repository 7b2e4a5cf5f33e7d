/* Entry for the bare-metal CPU benchmark: hart 0 runs main(), the others
 * park. FP on (mstatus.FS = Initial). */
    .section .text.init, "ax"
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, 1f
    la sp, stack_top
    li t0, (1 << 13)
    csrs mstatus, t0
    call main
1:  wfi
    j 1b

    .bss
    .align 4
    .space 65536
stack_top:
