/* Virtual memory (privileged 1.12 §4.3-4.4): Sv39 and Sv48 walks over page
 * tables built here; R/W/X/U permissions, SUM, MXR, MPRV; A/D updates by
 * the hart; invalid and reserved PTEs; misaligned superpages; non-canonical
 * addresses; SFENCE.VMA after a PTE change; page faults with mtval = the
 * faulting virtual address, and for a fetch that straddles into an
 * unmapped page, the address of that second page. */
#include "test.h"

#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define LEAF (PTE_V | PTE_A | PTE_D)

#define VBASE 0xc0000000
#define VPAGE(i) (VBASE + (i) * 4096)
#define SATP_SV39 (8 << 60)
#define SATP_SV48 (9 << 60)

/* table[index] = PTE pointing at label's page */
#define SETPTE(table, index, label, flags)                                  \
    la t0, label;                                                           \
    srli t0, t0, 12;                                                        \
    slli t0, t0, 10;                                                        \
    ori t0, t0, flags;                                                      \
    la t1, table;                                                           \
    sd t0, (index) * 8(t1)

/* table[index] = leaf for the physical page number ppn */
#define SETPTE_PPN(table, index, ppn, flags)                                \
    li t0, ((ppn) << 10) | (flags);                                         \
    la t1, table;                                                           \
    sd t0, (index) * 8(t1)

#define LOAD_PTE(reg, table, index)                                         \
    la reg, table;                                                          \
    ld reg, (index) * 8(reg)

/* satp = mode | root page */
#define SET_SATP(mode, root)                                                \
    la t0, root;                                                            \
    srli t0, t0, 12;                                                        \
    li t1, mode;                                                            \
    or t0, t0, t1;                                                          \
    csrw satp, t0;                                                          \
    sfence.vma

/* the U-mode copy of a ucode routine: its address in the U code page */
#define UVA(reg, sym)                                                       \
    la reg, sym;                                                            \
    la t0, ucode_page;                                                      \
    sub reg, reg, t0;                                                       \
    li t0, VPAGE(5);                                                        \
    add reg, reg, t0

/* enter privilege prv at the address in reg */
#define ENTER_AT(prv, reg)                                                  \
    li t0, MSTATUS_MPP;                                                     \
    csrc mstatus, t0;                                                       \
    li t0, (prv) << 11;                                                     \
    csrs mstatus, t0;                                                       \
    csrw mepc, reg;                                                         \
    mret

#define TEST_U(n, cause, sym)                                               \
    li TESTNUM, n;                                                          \
    TRAP_ARM(9997f);                                                        \
    UVA(s2, sym);                                                           \
    ENTER_AT(PRV_U, s2);                                                    \
9997:                                                                       \
    TRAP_FIELD(t0, TS_CAUSE);                                               \
    li t6, cause;                                                           \
    bne t0, t6, fail

#define CHECK_TVAL(va)                                                      \
    TRAP_FIELD(t0, TS_TVAL);                                                \
    li t6, va;                                                              \
    bne t0, t6, fail

RVTEST_BEGIN
    .option norvc
    /* fill data pages with recognisable values (physical addresses) */
    la a0, pg0
    li a1, 0x1000
    sd a1, 0(a0)
    la a0, pg1
    li a1, 0x1001
    sd a1, 0(a0)
    la a0, pg2
    li a1, 0x1002
    sd a1, 0(a0)
    la a0, pg4
    li a1, 0x1004
    sd a1, 0(a0)
    la a0, pg10
    li a1, 0x100a
    sd a1, 0(a0)
    la a0, pg11
    li a1, 0x100b
    sd a1, 0(a0)

    /* Sv39: root[0] devices and root[2] RAM as identity gigapages (S
     * only), root[3] -> l1 -> l0 for the test pages at 0xc0000000 */
    SETPTE_PPN(l2_root, 0, 0, LEAF | PTE_R | PTE_W)
    SETPTE_PPN(l2_root, 2, 0x80000, LEAF | PTE_R | PTE_W | PTE_X)
    SETPTE(l2_root, 3, l1_table, PTE_V)
    SETPTE(l1_table, 0, l0_table, PTE_V)
    /* l1[1]: a 2 MiB leaf whose PPN is not 2 MiB aligned */
    SETPTE_PPN(l1_table, 1, 0x80001, LEAF | PTE_R | PTE_W)
    SETPTE(l0_table, 0, pg0, LEAF | PTE_R | PTE_W | PTE_U)   /* U data */
    SETPTE(l0_table, 1, pg1, LEAF | PTE_R)                   /* S read-only */
    SETPTE(l0_table, 2, pg2, LEAF | PTE_X)                   /* execute-only */
    /* l0[3] stays invalid */
    SETPTE(l0_table, 4, pg4, PTE_V | PTE_R | PTE_W)          /* A = D = 0 */
    SETPTE(l0_table, 5, ucode_page, LEAF | PTE_R | PTE_X | PTE_U)
    SETPTE(l0_table, 6, pg1, PTE_V | PTE_W | PTE_A | PTE_D)  /* W without R */
    SETPTE(l0_table, 8, straddle_page, LEAF | PTE_R | PTE_X) /* l0[9] invalid */
    SETPTE(l0_table, 10, pg10, LEAF | PTE_R | PTE_W)
    SETPTE(l0_table, 12, pg1, LEAF | PTE_R | PTE_W | PTE_U)  /* U view of pg1 */
    SET_SATP(SATP_SV39, l2_root)

    /* S reads through the table */
    TEST_IN_MODE(1, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(1); ld a0, 0(s1))
    CHECK(a0, 0x1001)
    TEST_IN_MODE(2, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(10); ld a0, 0(s1))
    CHECK(a0, 0x100a)
    /* store to a read-only page: store page fault, mtval = address */
    TEST_IN_MODE(3, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, VPAGE(1) + 8; sd a0, 0(s1))
    CHECK_TVAL(VPAGE(1) + 8)
    /* S touching a U page: fault without SUM, fine with SUM */
    TEST_IN_MODE(4, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(0) + 0x123; lb a0, 0(s1))
    CHECK_TVAL(VPAGE(0) + 0x123)
    TEST_IN_MODE(5, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, VPAGE(0) + 16; sd a0, 0(s1))
    CHECK_TVAL(VPAGE(0) + 16)
    li t0, MSTATUS_SUM
    csrs mstatus, t0
    TEST_IN_MODE(6, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(0); ld a0, 0(s1))
    CHECK(a0, 0x1000)
    /* ...but S never executes from a U page, SUM or not */
    UVA(s2, u_ecall)
    TEST_IN_MODE(7, PRV_S, CAUSE_FETCH_PAGE_FAULT, jr s2)
    CHECK_TVAL_REG(s2)
    li t0, MSTATUS_SUM
    csrc mstatus, t0
    /* execute-only page: loads fault unless MXR */
    TEST_IN_MODE(8, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(2) + 8; ld a0, 0(s1))
    CHECK_TVAL(VPAGE(2) + 8)
    li t0, MSTATUS_MXR
    csrs mstatus, t0
    TEST_IN_MODE(9, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(2); ld a0, 0(s1))
    CHECK(a0, 0x1002)
    li t0, MSTATUS_MXR
    csrc mstatus, t0
    /* invalid PTE: load and store page faults; fetch page fault */
    TEST_IN_MODE(10, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(3) + 4; lw a0, 0(s1))
    CHECK_TVAL(VPAGE(3) + 4)
    TEST_IN_MODE(11, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, VPAGE(3) + 6; sh a0, 0(s1))
    CHECK_TVAL(VPAGE(3) + 6)
    TEST_IN_MODE(12, PRV_S, CAUSE_FETCH_PAGE_FAULT, li s1, VPAGE(3) + 0x40; jr s1)
    CHECK_TVAL(VPAGE(3) + 0x40)
    /* fetch from a page without X */
    TEST_IN_MODE(13, PRV_S, CAUSE_FETCH_PAGE_FAULT, li s1, VPAGE(1); jr s1)
    CHECK_TVAL(VPAGE(1))
    /* W without R is reserved: page fault for loads and stores */
    TEST_IN_MODE(14, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(6); ld a0, 0(s1))
    CHECK_TVAL(VPAGE(6))
    TEST_IN_MODE(15, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, VPAGE(6); sd a0, 0(s1))
    CHECK_TVAL(VPAGE(6))

    /* A and D: a load sets A, a store sets D */
    TEST_IN_MODE(16, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(4); ld a0, 0(s1))
    CHECK(a0, 0x1004)
    li TESTNUM, 17
    LOAD_PTE(a0, l0_table, 4)
    andi a0, a0, PTE_A | PTE_D
    CHECK(a0, PTE_A)
    TEST_IN_MODE(18, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(4); li a1, 0x2004; sd a1, 8(s1))
    li TESTNUM, 19
    LOAD_PTE(a0, l0_table, 4)
    andi a0, a0, PTE_A | PTE_D
    CHECK(a0, PTE_A | PTE_D)
    TEST_CASE(20, a0, 0x2004, la a1, pg4; ld a0, 8(a1))

    /* misaligned megapage: page fault */
    TEST_IN_MODE(21, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, 0xc0200010; ld a0, 0(s1))
    CHECK_TVAL(0xc0200010)
    /* Sv39 addresses must be sign-extended from bit 38 */
    TEST_IN_MODE(22, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, 0x0000008000000000; ld a0, 0(s1))
    CHECK_TVAL(0x0000008000000000)
    TEST_IN_MODE(23, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, 0xffff000080000000; sd a0, 0(s1))
    CHECK_TVAL(0xffff000080000000)

    /* a 4-byte instruction at the last 2 bytes of a mapped page whose
     * next page is unmapped: fetch page fault, mtval = the next page */
    TEST_IN_MODE(24, PRV_S, CAUSE_FETCH_PAGE_FAULT, li s1, VPAGE(8) + 4094; jr s1)
    CHECK_TVAL(VPAGE(9))
    /* mepc is the instruction's own address */
    TRAP_FIELD(t0, TS_EPC)
    li t6, VPAGE(8) + 4094
    bne t0, t6, fail
    /* the first instructions of that page run fine */
    TEST_IN_MODE(25, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(8); li a0, 0; jalr s1)
    CHECK(a0, 7)

    /* U mode: its own pages work, S pages fault */
    li s1, VPAGE(0)
    TEST_U(26, CAUSE_USER_ECALL, u_load)
    CHECK(a0, 0x1000)
    li s1, VPAGE(1) + 0x18
    TEST_U(27, CAUSE_LOAD_PAGE_FAULT, u_load)
    CHECK_TVAL(VPAGE(1) + 0x18)
    li s1, VPAGE(10)
    TEST_U(28, CAUSE_STORE_PAGE_FAULT, u_store)
    CHECK_TVAL(VPAGE(10))
    li s1, VPAGE(8)
    TEST_U(29, CAUSE_FETCH_PAGE_FAULT, u_jump)
    CHECK_TVAL(VPAGE(8))
    /* U store to a U page: goes to pg1 through l0[12] */
    li s1, VPAGE(12) + 0x20
    li a2, 0x3001
    TEST_U(30, CAUSE_USER_ECALL, u_store)
    TEST_CASE(31, a0, 0x3001, la a1, pg1; ld a0, 0x20(a1))

    /* SFENCE.VMA after remapping a page makes the new mapping visible */
    TEST_IN_MODE(32, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(10); ld a0, 0(s1))
    CHECK(a0, 0x100a)
    SETPTE(l0_table, 10, pg11, LEAF | PTE_R | PTE_W)
    TEST_IN_MODE(33, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(10); sfence.vma s1, zero; ld a0, 0(s1))
    CHECK(a0, 0x100b)
    SETPTE(l0_table, 10, pg10, LEAF | PTE_R | PTE_W)
    TEST_IN_MODE(34, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(10); sfence.vma; ld a0, 0(s1))
    CHECK(a0, 0x100a)
    /* an unmapped page becomes mapped */
    SETPTE(l0_table, 3, pg11, LEAF | PTE_R)
    TEST_IN_MODE(35, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(3); sfence.vma; ld a0, 0(s1))
    CHECK(a0, 0x100b)
    la t1, l0_table
    sd zero, 3 * 8(t1)
    TEST_IN_MODE(36, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(3); sfence.vma; ld a0, 0(s1))

    /* MPRV: M-mode loads and stores translated with MPP's privilege */
    li TESTNUM, 37
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, (PRV_S << 11) | MSTATUS_MPRV
    csrs mstatus, t0
    li s1, VPAGE(1)
    ld a0, 0(s1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK(a0, 0x1001)
    li TESTNUM, 38
    TRAP_ARM(1f)
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, MSTATUS_MPRV         /* MPP = U */
    csrs mstatus, t0
    li s1, VPAGE(1)
    ld a0, 0(s1)
    j fail
1:  li t0, MSTATUS_MPRV
    csrc mstatus, t0
    TRAP_FIELD(a0, TS_CAUSE)
    CHECK(a0, CAUSE_LOAD_PAGE_FAULT)
    CHECK_TVAL(VPAGE(1))
    /* MPRV with MPP = M: no translation */
    li TESTNUM, 39
    li t0, MSTATUS_MPP | MSTATUS_MPRV
    csrs mstatus, t0
    la s1, pg1
    ld a0, 0(s1)
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    CHECK(a0, 0x1001)

    /* Sv48: root[0] -> the Sv39 root as a level-2 table, root[1] a 512 GiB
     * leaf at physical 0, root[2] a misaligned 512 GiB leaf */
    SETPTE(l3_root, 0, l2_root, PTE_V)
    SETPTE_PPN(l3_root, 1, 0, LEAF | PTE_R | PTE_W)
    SETPTE_PPN(l3_root, 2, 0x80000, LEAF | PTE_R | PTE_W)
    SET_SATP(SATP_SV48, l3_root)
    TEST_IN_MODE(40, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(1); ld a0, 0(s1))
    CHECK(a0, 0x1001)
    li TESTNUM, 41
    la s1, pg10
    li t0, 0x8000000000
    add s1, s1, t0
    TEST_IN_MODE(41, PRV_S, CAUSE_SUPERVISOR_ECALL, ld a0, 0(s1))
    CHECK(a0, 0x100a)
    TEST_IN_MODE(42, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, 0x10000001000; ld a0, 0(s1))
    CHECK_TVAL(0x10000001000)
    /* an address that Sv39 rejects is canonical in Sv48 */
    TEST_IN_MODE(43, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, 0x0000800000000000; ld a0, 0(s1))
    CHECK_TVAL(0x0000800000000000)
    TEST_IN_MODE(44, PRV_S, CAUSE_STORE_PAGE_FAULT, li s1, 0xffff7fff00000000; sd a0, 0(s1))
    CHECK_TVAL(0xffff7fff00000000)
    /* U-mode through Sv48 */
    li s1, VPAGE(0)
    TEST_U(45, CAUSE_USER_ECALL, u_load)
    CHECK(a0, 0x1000)

    /* a page fault delegated to S: scause/stval/sepc */
    SET_STVEC_HANDLER
    li t0, (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT)
    csrw medeleg, t0
    TEST_IN_MODE(47, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(3) + 0x28; 1: ld a0, 0(s1))
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_LOAD_PAGE_FAULT)
    TRAP_FIELD(a0, TS_STVAL)
    CHECK(a0, VPAGE(3) + 0x28)
    TRAP_FIELD(a0, TS_SEPC)
    la t6, 1b
    bne a0, t6, fail
    li s1, VPAGE(1) + 0x30
    TEST_U(48, CAUSE_SUPERVISOR_ECALL, u_store)
    TRAP_FIELD(a0, TS_SCAUSE)
    CHECK(a0, CAUSE_STORE_PAGE_FAULT)
    TRAP_FIELD(a0, TS_STVAL)
    CHECK(a0, VPAGE(1) + 0x30)
    csrw medeleg, zero

    /* code seen through the page tables: a write through a second
     * (data) mapping of the same physical page, then FENCE.I, is seen by
     * the next fetch through the first one */
    SETPTE(l0_table, 13, code_a, LEAF | PTE_R | PTE_X)
    SETPTE(l0_table, 14, code_a, LEAF | PTE_R | PTE_W)
    sfence.vma
    TEST_IN_MODE(49, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(13); li a0, 0; jalr s1)
    CHECK(a0, 1)
    TEST_IN_MODE(50, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(14); li a1, 0x00300513; sw a1, 0(s1); fence.i; li s1, VPAGE(13); li a0, 0; jalr s1)
    CHECK(a0, 3)
    /* a PTE change + SFENCE.VMA retargets a code page */
    SETPTE(l0_table, 13, code_b, LEAF | PTE_R | PTE_X)
    TEST_IN_MODE(51, PRV_S, CAUSE_SUPERVISOR_ECALL, sfence.vma; li s1, VPAGE(13); li a0, 0; jalr s1)
    CHECK(a0, 2)
    /* a satp change: a second Sv39 tree maps VPAGE(13) to code_a */
    SETPTE_PPN(l2_root_b, 0, 0, LEAF | PTE_R | PTE_W)
    SETPTE_PPN(l2_root_b, 2, 0x80000, LEAF | PTE_R | PTE_W | PTE_X)
    SETPTE(l2_root_b, 3, l1_table_b, PTE_V)
    SETPTE(l1_table_b, 0, l0_table_b, PTE_V)
    SETPTE(l0_table_b, 13, code_a, LEAF | PTE_R | PTE_X)
    SET_SATP(SATP_SV39, l2_root_b)
    TEST_IN_MODE(52, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(13); li a0, 0; jalr s1)
    CHECK(a0, 3)
    SET_SATP(SATP_SV39, l2_root)
    TEST_IN_MODE(53, PRV_S, CAUSE_SUPERVISOR_ECALL, li s1, VPAGE(13); li a0, 0; jalr s1)
    CHECK(a0, 2)

    /* a pointer PTE at the last level is a page fault */
    SETPTE(l0_table, 15, pg1, PTE_V)
    TEST_IN_MODE(54, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(15) + 8; sfence.vma; ld a0, 0(s1))
    CHECK_TVAL(VPAGE(15) + 8)
    /* a leaf with reserved bits 63:54 set (no Svpbmt/Svnapot) */
    la t0, pg1
    srli t0, t0, 12
    slli t0, t0, 10
    ori t0, t0, LEAF | PTE_R
    li t1, 1 << 60
    or t0, t0, t1
    la t1, l0_table
    sd t0, 16 * 8(t1)
    TEST_IN_MODE(55, PRV_S, CAUSE_LOAD_PAGE_FAULT, li s1, VPAGE(16); sfence.vma; ld a0, 0(s1))
    CHECK_TVAL(VPAGE(16))
    /* a page-table pointer into nothing: the walk's own access faults, so
     * the access gets an access fault (privileged §4.3.2 step 2); QEMU 7.2
     * raises a page fault instead */
    SETPTE_PPN(l1_table, 2, 0, PTE_V)       /* next level at physical 0 */
#ifndef ON_QEMU
    TEST_IN_MODE(56, PRV_S, CAUSE_LOAD_ACCESS, li s1, 0xc0400010; sfence.vma; ld a0, 0(s1))
    CHECK_TVAL(0xc0400010)
    TEST_IN_MODE(57, PRV_S, CAUSE_STORE_ACCESS, li s1, 0xc0400018; sd a0, 0(s1))
    CHECK_TVAL(0xc0400018)
    TEST_IN_MODE(58, PRV_S, CAUSE_FETCH_ACCESS, li s1, 0xc0400020; jr s1)
    CHECK_TVAL(0xc0400020)
#endif

    /* bare again: the virtual addresses mean nothing; M ignores satp */
    csrw satp, zero
    sfence.vma
    TEST_IN_MODE(46, PRV_S, CAUSE_SUPERVISOR_ECALL, la s1, pg1; ld a0, 0x20(s1))
    CHECK(a0, 0x3001)
RVTEST_END

    /* the U code page (mapped at VPAGE(5)) */
    .text
    .balign 4096
ucode_page:
u_load:
    ld a0, 0(s1)
    ecall
u_store:
    sd a2, 0(s1)
    ecall
u_jump:
    jr s1
u_ecall:
    ecall
    .balign 4096

    .data
    .balign 4096
straddle_page:
    addi a0, a0, 7
    ret
    .skip 4096 - 8 - 2
    .word 0x00150513            /* addi a0, a0, 1: its upper half lies in
                                   the (unmapped) next virtual page */
    .balign 4096

    .balign 4096
code_a:
    addi a0, x0, 1
    ret
    .balign 4096
code_b:
    addi a0, x0, 2
    ret
    .balign 4096

    .bss
    .balign 4096
l2_root_b: .skip 4096
l1_table_b: .skip 4096
l0_table_b: .skip 4096
l3_root: .skip 4096
l2_root: .skip 4096
l1_table: .skip 4096
l0_table: .skip 4096
pg0: .skip 4096
pg1: .skip 4096
pg2: .skip 4096
pg4: .skip 4096
pg10: .skip 4096
pg11: .skip 4096
