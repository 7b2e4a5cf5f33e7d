/* sifive,test at 0x00100000: the virt board's poweroff/reboot register. */
#ifndef RV_SYSCON_H
#define RV_SYSCON_H

#include <stdint.h>

#include "bus.h"

typedef struct rv_power {
    void (*request)(void *ctx, int kind /* 0 poweroff, 1 reboot */, int exit_code);
    void *ctx;
} rv_power;

enum { RV_POWER_OFF = 0, RV_POWER_REBOOT = 1 };

typedef struct syscon syscon;

syscon *syscon_create(rv_power power);
rv_device syscon_device(syscon *s, uint64_t base); /* size 0x1000; .destroy frees */
/* Adds test@<base> under /soc (with phandle) and the syscon-poweroff and
 * syscon-reboot nodes under root. */
int syscon_fdt(void *fdt, int root, int soc, uint64_t base, uint32_t phandle);

#endif
