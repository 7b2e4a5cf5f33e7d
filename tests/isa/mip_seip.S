/* mip.SEIP driven by the PLIC (privileged 1.12 §3.1.9): reads of mip see
 * the OR of the software bit and the PLIC's signal, but a CSRRS/CSRRC
 * read-modify-write of mip starts from the software bit only, so setting
 * SSIP while the PLIC asserts SEIP must not latch SEIP for good (OpenSBI's
 * IPI path does `csrs mip, SSIP`; a latched SEIP hangs SMP Linux). The
 * source is the 16550's THR-empty interrupt on the S context of hart 0. */
#include "test.h"

#define UART 0x10000000
#define PLIC 0x0c000000
#define MIP_SSIP (1 << 1)
#define MIP_SEIP (1 << 9)

RVTEST_BEGIN
    .option norvc
    /* PLIC: source 10 priority 1, enabled on context 1 (hart 0 S), threshold 0 */
    li t0, PLIC
    li t1, 1
    sw t1, 40(t0)
    li t2, PLIC + 0x2080
    li t1, (1 << 10)
    sw t1, 0(t2)
    li t2, PLIC + 0x201000
    sw zero, 0(t2)
    /* UART: enable THR-empty interrupt: the line rises at once */
    li t0, UART
    li t1, 2
    sb t1, 1(t0)
    li TESTNUM, 1
    csrr a0, mip
    andi a0, a0, MIP_SEIP
    CHECK(a0, MIP_SEIP)
    /* read-modify-write while the PLIC asserts SEIP */
    li TESTNUM, 2
    li t1, MIP_SSIP
    csrs mip, t1
    csrc mip, t1
    /* drop the UART's line: SEIP must fall with it */
    li t0, UART
    sb zero, 1(t0)
#ifndef ON_QEMU
    /* QEMU 7.2 latches SEIP here (the bug this test guards against) */
    li TESTNUM, 3
    csrr a0, mip
    andi a0, a0, MIP_SEIP
    CHECK(a0, 0)
    /* software SEIP still works on its own */
    li TESTNUM, 4
    li t1, MIP_SEIP
    csrs mip, t1
    csrr a0, mip
    andi a0, a0, MIP_SEIP
    CHECK(a0, MIP_SEIP)
    csrc mip, t1
    csrr a0, mip
    andi a0, a0, MIP_SEIP
    CHECK(a0, 0)
#endif
RVTEST_END
