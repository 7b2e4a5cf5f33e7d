/*
 * Never ends on its own: prints one line, then spins. The harness runs it
 * with --max-insns, which must stop the VM (exit status 3).
 */
#include "bm.h"

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    ok("spin started");
    for (volatile unsigned long i = 0;; i++)
        ;
}
