/*
 * tests/diff/runtime.h: start-up, dump and exit code around the random
 * blocks written by gen.py. Runs in M mode from 0x80000000 on QEMU virt
 * (-bios none) and on riscv-vm (--kernel), with no tohost symbol: the run
 * ends by writing 0x5555 to the sifive,test syscon at 0x100000.
 * Output, one line per block, on the 16550 UART at 0x10000000:
 *   "<k>:" then 99 hex doublewords: x1, x4..x31, f0..f31, fcsr, mscratch,
 *   the block's trap count and trap hash, scratch[0..31].
 * Traps: blocks contain instructions that must trap (ECALL, illegal
 * encodings and CSR accesses, access faults). The handler folds mcause,
 * mtval and mepc into the hash, skips the instruction and returns. A fetch
 * fault cannot be skipped: it prints "TRAP <mcause> <mepc> <mtval>" and
 * ends the run. gp = save_area throughout (blocks never write gp).
 */
#define SAVE_T0 528
#define SAVE_T1 536
#define TRAP_COUNT 544
#define TRAP_HASH 552
#define UART_BASE 0x10000000
#define SYSCON_BASE 0x100000

    .section .text.init, "ax", @progbits
    .globl _start
_start:
    la t0, trap_handler
    csrw mtvec, t0
    li t0, (1 << 13)            /* mstatus.FS = Initial */
    csrs mstatus, t0
    j program

    .text
finish:
    li t0, SYSCON_BASE
    li t1, 0x5555
    sw t1, 0(t0)
1:  j 1b

    /* a0 = byte. LSR bit 5 = THR empty; bounded wait. Clobbers t5, t6 */
putc:
    li t5, 1000000
1:  li t6, UART_BASE
    lbu t6, 5(t6)
    andi t6, t6, 0x20
    bnez t6, 2f
    addi t5, t5, -1
    bnez t5, 1b
2:  li t6, UART_BASE
    sb a0, 0(t6)
    ret

    /* a2 = value: 16 hex digits. Clobbers a0, a3, a4, t3, t5, t6 */
puthex:
    mv t3, ra
    li a3, 60
1:  srl a0, a2, a3
    andi a0, a0, 15
    addi a0, a0, '0'
    li a4, '9'
    bleu a0, a4, 2f
    addi a0, a0, 'a' - '0' - 10
2:  jal putc
    addi a3, a3, -4
    bgez a3, 1b
    mv ra, t3
    ret

    /* a0 = decimal number < 10^7 */
putdec:
    mv t4, ra
    li a3, 1000000
    li a4, 0                    /* printed a digit yet */
1:  divu a2, a0, a3
    remu a0, a0, a3
    bnez a2, 2f
    bnez a4, 2f
    li a5, 1
    bne a3, a5, 3f
2:  mv a5, a0
    addi a0, a2, '0'
    jal putc
    mv a0, a5
    li a4, 1
3:  li a5, 10
    divu a3, a3, a5
    bnez a3, 1b
    mv ra, t4
    ret

    /* a0 = block number, a1 = scratch area; prints the saved state */
dump_print:
    mv s11, ra
    mv s10, a1
    jal putdec
    li a0, ':'
    jal putc
    la s9, save_area
    li s8, 1
1:  li t0, 2                    /* skip sp and gp */
    beq s8, t0, 2f
    li t0, 3
    beq s8, t0, 2f
    li a0, ' '
    jal putc
    slli t0, s8, 3
    add t0, t0, s9
    ld a2, 0(t0)
    jal puthex
2:  addi s8, s8, 1
    li t0, 66                   /* 32 x + 32 f + fcsr + mscratch */
    bltu s8, t0, 1b
    li a0, ' '
    jal putc
    ld a2, TRAP_COUNT(s9)
    jal puthex
    li a0, ' '
    jal putc
    ld a2, TRAP_HASH(s9)
    jal puthex
    li s8, 0
3:  li a0, ' '
    jal putc
    slli t0, s8, 3
    add t0, t0, s10
    ld a2, 0(t0)
    jal puthex
    addi s8, s8, 1
    li t0, 32
    bltu s8, t0, 3b
    li a0, '\n'
    jal putc
    mv ra, s11
    ret

    .balign 4
trap_handler:
    sd t0, SAVE_T0(gp)
    sd t1, SAVE_T1(gp)
    csrr t0, mcause
    li t1, 1                    /* fetch access fault: cannot skip */
    beq t0, t1, fatal_trap
    beqz t0, fatal_trap         /* misaligned fetch */
    li t1, 12                   /* fetch page fault */
    beq t0, t1, fatal_trap
    ld t1, TRAP_COUNT(gp)
    addi t1, t1, 1
    sd t1, TRAP_COUNT(gp)
    ld t1, TRAP_HASH(gp)
    rori t1, t1, 57
    xor t1, t1, t0              /* mcause */
    rori t1, t1, 57
    csrr t0, mtval
    xor t1, t1, t0
    rori t1, t1, 57
    csrr t0, mepc
    xor t1, t1, t0
    sd t1, TRAP_HASH(gp)
    lhu t1, 0(t0)               /* skip 2 or 4 bytes */
    andi t1, t1, 3
    addi t0, t0, 2
    xori t1, t1, 3
    bnez t1, 1f
    addi t0, t0, 2
1:  csrw mepc, t0
    ld t0, SAVE_T0(gp)
    ld t1, SAVE_T1(gp)
    mret

fatal_trap:
    la a1, trap_msg
1:  lbu a0, 0(a1)
    beqz a0, 2f
    jal putc
    addi a1, a1, 1
    j 1b
2:  csrr a2, mcause
    jal puthex
    li a0, ' '
    jal putc
    csrr a2, mepc
    jal puthex
    li a0, ' '
    jal putc
    csrr a2, mtval
    jal puthex
    li a0, '\n'
    jal putc
    j finish

    .section .rodata
trap_msg: .asciz "TRAP "

    .bss
    .balign 8
save_area: .skip 70 * 8
