/*
 * goldfish RTC: nanoseconds since 1970 in TIME_LOW/TIME_HIGH, where reading
 * TIME_LOW latches TIME_HIGH (Android goldfish RTC, as QEMU implements it).
 * The guest must start with the host's date: after 2025-01-01, and the
 * harness compares the year with the host's.
 */
#include "bm.h"

#define RTC_TIME_LOW 0x00
#define RTC_TIME_HIGH 0x04
#define NS_2025 1735689600000000000ULL /* 2025-01-01T00:00:00Z */
#define NS_2100 4102444800000000000ULL

static uint64_t rtc_ns(void)
{
    uint32_t lo = mmio_r32(RTC_BASE + RTC_TIME_LOW);
    uint32_t hi = mmio_r32(RTC_BASE + RTC_TIME_HIGH);
    return (uint64_t)hi << 32 | lo;
}

/* Gregorian year of a day count since 1970-01-01 (days-from-civil
 * inverted, era arithmetic on 400-year cycles). */
static unsigned long year_of(uint64_t days)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    uint64_t doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    uint64_t month = mp < 10 ? mp + 3 : mp - 9;
    return (unsigned long)(yoe + era * 400 + (month <= 2));
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    (void)dtb;
    puts_raw("rtc test\n");
    uint64_t t1 = rtc_ns();
    check(t1 > NS_2025, "rtc after 2025-01-01");
    check(t1 < NS_2100, "rtc before 2100-01-01");
    ok("rtc year %lu", year_of(t1 / 1000000000ULL / 86400));
    check(SPIN_UNTIL(rtc_ns() > t1, 400000000UL), "rtc advances");
    finish();
}
