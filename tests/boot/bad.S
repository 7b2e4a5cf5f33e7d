/*
 * A valid RV64 ELF the CLI must still refuse (exit status 2): boot.mk links
 * it below RAM (0x70000000), above RAM (0x90000000 with --mem 128M), or at
 * the start of RAM with HUGE_BSS, a 256 MiB segment larger than --mem 128M.
 * It would power off with code 7 if it ever ran.
 */
    .text
    .globl _start
_start:
    li t0, 0x100000
    li t1, (7 << 16) | 0x3333
    sw t1, 0(t0)
1:  j 1b

#ifdef HUGE_BSS
    .bss
    .space 256 * 1024 * 1024
#endif
