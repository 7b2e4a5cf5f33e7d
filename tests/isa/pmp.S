/* Physical memory protection and access faults (privileged 1.12 §3.6,
 * §3.7): NAPOT, TOR and NA4 regions limiting S and U, lowest-numbered
 * match wins, M unaffected unless the entry is locked, locked entries
 * ignore writes; loads, stores and fetches where nothing is mapped raise
 * access faults with mtval = the address, never wrap into RAM. */
#include "test.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_TOR (1 << 3)
#define PMP_NA4 (2 << 3)
#define PMP_NAPOT (3 << 3)
#define PMP_L 0x80

/* pmpaddr for a NAPOT region of one 4 KiB page at label */
#define NAPOT_PAGE(reg, label)                                              \
    la reg, label;                                                          \
    srli reg, reg, 2;                                                       \
    ori reg, reg, 0x1ff

#define CHECK_TVAL(va)                                                      \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    li t6, va;                                                              \
    bne t0, t6, fail

RVTEST_BEGIN
    .option norvc
    /* nothing mapped: access faults, mtval = address */
    TEST_TRAP(1, CAUSE_LOAD_ACCESS, li s1, 0x0; ld a0, 0(s1))
    CHECK_TVAL(0x0)
    TEST_TRAP(2, CAUSE_STORE_ACCESS, li s1, 0x8; sd a0, 0(s1))
    CHECK_TVAL(0x8)
    TEST_TRAP(3, CAUSE_FETCH_ACCESS, li s1, 0x10; jr s1)
    CHECK_TVAL(0x10)
    /* above the physical address width: no wrap-around into RAM */
    TEST_TRAP(4, CAUSE_LOAD_ACCESS, li s1, 0x0100000080000000; ld a0, 0(s1))
    CHECK_TVAL(0x0100000080000000)
    TEST_TRAP(5, CAUSE_LOAD_ACCESS, li s1, 0x8000000080000000; lw a0, 0(s1))
    CHECK_TVAL(0x8000000080000000)
    TEST_TRAP(6, CAUSE_STORE_ACCESS, li s1, 0xffffffff80000000; sb a0, 0(s1))
    CHECK_TVAL(0xffffffff80000000)
    TEST_TRAP(7, CAUSE_FETCH_ACCESS, li s1, 0x1000080000000; jr s1)
    CHECK_TVAL(0x1000080000000)
    /* past the end of RAM (at most 2 GiB here) is not RAM. (QEMU puts
     * its 64-bit PCIe window at 16 GiB, so stay below that.) */
    TEST_TRAP(8, CAUSE_LOAD_ACCESS, li s1, 0x100000000; ld a0, 0(s1))
    CHECK_TVAL(0x100000000)

#ifndef ON_QEMU
    /* 0x40000000 is QEMU virt's PCIe window (reads there do not fault on
     * QEMU); riscv-vm has no PCIe, so nothing is mapped there */
    TEST_TRAP(30, CAUSE_LOAD_ACCESS, li s1, 0x40000000; ld a0, 0(s1))
    CHECK_TVAL(0x40000000)
    TEST_TRAP(31, CAUSE_STORE_ACCESS, li s1, 0x30000000; sw a0, 0(s1))
    CHECK_TVAL(0x30000000)
    /* a misaligned load that faults: mtval is an address within the
     * access (privileged §3.1.16), here its first byte. QEMU 7.2 reports
     * the aligned word below it (0x100000018), outside the access. */
    TEST_TRAP(32, CAUSE_LOAD_ACCESS, li s1, 0x10000001a; lw a0, 0(s1))
    CHECK_TVAL(0x10000001a)
#endif
    TEST_TRAP(33, CAUSE_STORE_ACCESS, li s1, 0x10000001a; sw a0, 0(s1))
    CHECK_TVAL(0x10000001a)

    /* PMP: catch-all RWX moved to entry 15, test entries below it */
    li t0, -1
    csrw pmpaddr15, t0
    li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
    csrw pmpcfg2, t0
    csrw pmpcfg0, zero
    /* pmpaddr registers are writable (WARL) */
    TEST_CASE(9, a0, 0x123450, li a1, 0x123450; csrw pmpaddr1, a1; csrr a0, pmpaddr1)

    /* entry 0: NAPOT page pg_ro, read-only */
    NAPOT_PAGE(a1, pg_ro)
    csrw pmpaddr0, a1
    li t0, PMP_NAPOT | PMP_R
    csrw pmpcfg0, t0
    TEST_IN_MODE(10, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_ro; ld a0, 0x10(s1))
    CHECK(a0, 0x5a5a)
    TEST_IN_MODE(11, PRV_S, CAUSE_STORE_ACCESS, la s1, pg_ro; sd a0, 0x18(s1))
    CHECK_TVAL_LABEL(pg_ro, 0x18)
    TEST_IN_MODE(12, PRV_U, CAUSE_STORE_ACCESS, la s1, pg_ro + 0xffc; sw a0, 0(s1))
    CHECK_TVAL_LABEL(pg_ro + 0xffc, 0)
    /* M is not bound by an unlocked entry */
    TEST_CASE(13, a0, 0x77, la s1, pg_ro; li a1, 0x77; sd a1, 0x20(s1); ld a0, 0x20(s1))
    /* the page after the region is untouched */
    TEST_IN_MODE(14, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_tor; sd a0, 0(s1))

    /* entries 2-3: TOR [pg_tor, pg_tor + 4 KiB) with no permission */
    la a1, pg_tor
    srli a1, a1, 2
    csrw pmpaddr2, a1
    la a1, pg_tor + 4096
    srli a1, a1, 2
    csrw pmpaddr3, a1
    li t0, (PMP_NAPOT | PMP_R) | (PMP_TOR << 24)
    csrw pmpcfg0, t0
    TEST_IN_MODE(15, PRV_S, CAUSE_LOAD_ACCESS, la s1, pg_tor + 8; ld a0, 0(s1))
    CHECK_TVAL_LABEL(pg_tor, 8)
    TEST_IN_MODE(16, PRV_U, CAUSE_LOAD_ACCESS, la s1, pg_tor + 4088; ld a0, 0(s1))
    CHECK_TVAL_LABEL(pg_tor + 4088, 0)
    /* just below and at the top of the range: outside */
    TEST_IN_MODE(17, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_tor + 4096; ld a0, 0(s1); la s1, pg_ro + 4088; ld a0, 0(s1))

    /* entry 4: NA4 over one word with R|W but not X; fetch from it */
    la a1, pg_na4 + 8
    srli a1, a1, 2
    csrw pmpaddr4, a1
    li t0, (PMP_NAPOT | PMP_R) | (PMP_TOR << 24) | ((PMP_NA4 | PMP_R | PMP_W) << 32)
    csrw pmpcfg0, t0
    TEST_IN_MODE(18, PRV_S, CAUSE_FETCH_ACCESS, la s1, pg_na4 + 8; jalr s1)
    CHECK_TVAL_LABEL(pg_na4, 8)
    /* the neighbouring words are code the catch-all lets S run */
    TEST_IN_MODE(19, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_na4; li a0, 0; jalr s1)
    CHECK(a0, 3)
    TEST_IN_MODE(20, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_na4 + 8; lw a0, 0(s1))

    /* lowest entry wins: entry 5 (RWX) over the same page as entry 0
     * does not matter, entry 0 (R) matches first */
    NAPOT_PAGE(a1, pg_ro)
    csrw pmpaddr5, a1
    li t0, (PMP_NAPOT | PMP_R) | (PMP_TOR << 24) | ((PMP_NA4 | PMP_R | PMP_W) << 32) | ((PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 40)
    csrw pmpcfg0, t0
    TEST_IN_MODE(21, PRV_S, CAUSE_STORE_ACCESS, la s1, pg_ro; sd a0, 0(s1))

    /* no entry matches an S access: fails once entries are active */
    li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X)
    csrw pmpcfg0, t0
    li a1, (0x80000000 >> 2) | 0x7ffff   /* NAPOT: 4 MiB at 0x80000000 */
    csrw pmpaddr0, a1
    csrw pmpcfg2, zero
    TEST_IN_MODE(22, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg_ro; ld a0, 0(s1))
    /* RAM at +64 MiB, outside every entry */
    li s2, 0x84000000
    TEST_IN_MODE(23, PRV_S, CAUSE_LOAD_ACCESS, mv s1, s2; ld a0, 0(s1))
    CHECK_TVAL(0x84000000)
    TEST_CASE(123, a0, 0x99, li a1, 0x99; sd a1, 0(s2); ld a0, 0(s2))
    /* ...but M still has access where no entry matches (M default) */
    li t0, -1
    csrw pmpaddr15, t0
    li t0, (PMP_NAPOT | PMP_R | PMP_W | PMP_X) << 56
    csrw pmpcfg2, t0

    /* locked entry: applies to M too, and ignores later writes */
    NAPOT_PAGE(a1, pg_lock)
    csrw pmpaddr0, a1
    li t0, PMP_L | PMP_NAPOT | PMP_R
    csrw pmpcfg0, t0
    TEST_CASE(24, a0, 0x6b6b, la s1, pg_lock; ld a0, 0(s1))
    TEST_TRAP(25, CAUSE_STORE_ACCESS, la s1, pg_lock; sd a0, 8(s1))
    CHECK_TVAL_LABEL(pg_lock, 8)
    li TESTNUM, 26
    li t0, PMP_NAPOT | PMP_R | PMP_W | PMP_X
    csrw pmpcfg0, t0
    csrr a0, pmpcfg0
    andi a0, a0, 0xff
    CHECK(a0, PMP_L | PMP_NAPOT | PMP_R)
    li TESTNUM, 27
    li t0, -1
    csrw pmpaddr0, t0
    csrr a0, pmpaddr0
    bne a0, a1, fail
    TEST_TRAP(28, CAUSE_STORE_ACCESS, la s1, pg_lock; sd a0, 16(s1))
    /* M fetch from a locked region without X */
    TEST_TRAP(29, CAUSE_FETCH_ACCESS, la s1, pg_lock; jr s1)
    CHECK_TVAL_LABEL(pg_lock, 0)
RVTEST_END

    .data
    .balign 4096
pg_ro:
    .dword 0, 0, 0x5a5a
    .balign 4096
pg_tor:
    .skip 4096
    .text
    .balign 4096
pg_na4:
    addi a0, a0, 3
    ret
    .word 0x00000013            /* nop: the NA4 word */
    ret
    .balign 4096
    .data
    .balign 4096
pg_lock:
    .dword 0x6b6b
    .balign 4096
