/*
 * syscon (sifive,test): a failure write with code 42 must end the run with
 * exit status 42 (the harness checks the status, and that nothing runs
 * after the write).
 */
#include "bm.h"

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    ok("syscon about to exit with 42");
    /* syscon_exit() prints "not ok" if the write did not stop the hart. */
    syscon_exit(42);
}
