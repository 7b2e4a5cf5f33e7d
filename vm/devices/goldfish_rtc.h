/* google,goldfish-rtc at 0x00101000, irq 11, as QEMU virt. */
#ifndef RV_GOLDFISH_RTC_H
#define RV_GOLDFISH_RTC_H

#include <stdint.h>

#include "bus.h"

typedef struct goldfish_rtc goldfish_rtc;

/* realtime_ns: nanoseconds since 1970 (rv_host.realtime_ns). */
goldfish_rtc *goldfish_rtc_create(uint64_t (*realtime_ns)(void *ctx), void *ctx, rv_irq_line irq);
rv_device goldfish_rtc_device(goldfish_rtc *r, uint64_t base); /* size 0x1000 */
/* Nanoseconds until the armed alarm fires (0 = due now), UINT64_MAX when
 * none is armed: lets an idle host sleep just long enough. */
uint64_t goldfish_rtc_next_alarm_ns(goldfish_rtc *r);
int goldfish_rtc_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq);

#endif
