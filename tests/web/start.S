/* Entry in M-mode: hart 0 runs main(); the other harts park in WFI. */
    .section .text.start
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, stack_top
    call main
park:
    wfi
    j park
