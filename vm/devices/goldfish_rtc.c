/* Goldfish RTC (Android emulator "goldfish" virtual platform spec; QEMU
 * hw/rtc/goldfish_rtc.c; Linux drivers/rtc/rtc-goldfish.c).
 *
 * Register map (32-bit registers):
 *   0x00 TIME_LOW         R: low 32 bits of ns since 1970, latches TIME_HIGH
 *                         W: sets the clock to TIME_HIGH(latched):value
 *   0x04 TIME_HIGH        R: the latched high half; W: stages the high half
 *   0x08 ALARM_LOW        R: alarm low; W: arms the alarm at ALARM_HIGH:value
 *   0x0c ALARM_HIGH       R/W: alarm high half
 *   0x10 IRQ_ENABLED      R/W: bit 0
 *   0x14 CLEAR_ALARM      W: disarms the alarm
 *   0x18 ALARM_STATUS     R: 1 while an alarm is armed
 *   0x1c CLEAR_INTERRUPT  W: drops the interrupt
 * 4-byte aligned accesses only (QEMU's ops are exactly 4 bytes): anything
 * else faults. Unknown offsets read 0 and ignore writes.
 * The interrupt is level: (alarm fired and not cleared) && IRQ_ENABLED.
 * Alarms are checked in poll() and when armed, so one already due fires at
 * once. */
#include "devices/goldfish_rtc.h"

#include <libfdt.h>
#include <stdbool.h>
#include <stdlib.h>

#include "fdt_board.h"

enum {
    RTC_TIME_LOW = 0x00,
    RTC_TIME_HIGH = 0x04,
    RTC_ALARM_LOW = 0x08,
    RTC_ALARM_HIGH = 0x0c,
    RTC_IRQ_ENABLED = 0x10,
    RTC_CLEAR_ALARM = 0x14,
    RTC_ALARM_STATUS = 0x18,
    RTC_CLEAR_INTERRUPT = 0x1c,
};

struct goldfish_rtc {
    /* Guest state. */
    uint64_t offset; /* guest time = host realtime + offset (mod 2^64) */
    uint64_t alarm_next;
    uint32_t time_high; /* latched by TIME_LOW reads, staged by TIME_HIGH writes */
    uint32_t alarm_high;
    bool alarm_running, irq_pending, irq_enabled;
    /* Host side. */
    uint64_t (*realtime_ns)(void *ctx);
    void *ctx;
    rv_irq_line irq;
};

static uint64_t now(goldfish_rtc *r)
{
    return r->realtime_ns(r->ctx) + r->offset;
}

static void update_irq(goldfish_rtc *r)
{
    rv_irq_set(&r->irq, r->irq_pending && r->irq_enabled);
}

static void check_alarm(goldfish_rtc *r)
{
    if (r->alarm_running && now(r) >= r->alarm_next) {
        r->alarm_running = false;
        r->irq_pending = true;
    }
}

uint64_t goldfish_rtc_next_alarm_ns(goldfish_rtc *r)
{
    if (!r->alarm_running)
        return UINT64_MAX;
    uint64_t t = now(r);
    return t >= r->alarm_next ? 0 : r->alarm_next - t;
}

static void rtc_reset(void *opaque)
{
    goldfish_rtc *r = opaque;
    /* The clock keeps running across a reset, like a battery-backed RTC. */
    r->alarm_next = 0;
    r->time_high = r->alarm_high = 0;
    r->alarm_running = r->irq_pending = r->irq_enabled = false;
    update_irq(r);
}

static bool rtc_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    goldfish_rtc *r = opaque;
    *val = 0;
    if (len != 4 || (off & 3))
        return false;
    switch (off) {
    case RTC_TIME_LOW: {
        uint64_t t = now(r);
        r->time_high = (uint32_t)(t >> 32);
        *val = (uint32_t)t;
        break;
    }
    case RTC_TIME_HIGH: *val = r->time_high; break;
    case RTC_ALARM_LOW: *val = (uint32_t)r->alarm_next; break;
    case RTC_ALARM_HIGH: *val = r->alarm_high; break;
    case RTC_IRQ_ENABLED: *val = r->irq_enabled; break;
    case RTC_ALARM_STATUS: *val = r->alarm_running; break;
    default: break;
    }
    update_irq(r);
    return true;
}

static bool rtc_write(void *opaque, uint64_t off, unsigned len, uint64_t val)
{
    goldfish_rtc *r = opaque;
    uint32_t v = (uint32_t)val;
    if (len != 4 || (off & 3))
        return false;
    switch (off) {
    case RTC_TIME_LOW: {
        uint64_t want = ((uint64_t)r->time_high << 32) | v;
        r->offset += want - now(r);
        break;
    }
    case RTC_TIME_HIGH: r->time_high = v; break;
    case RTC_ALARM_LOW:
        r->alarm_next = ((uint64_t)r->alarm_high << 32) | v;
        r->alarm_running = true;
        check_alarm(r);
        break;
    case RTC_ALARM_HIGH: r->alarm_high = v; break;
    case RTC_IRQ_ENABLED: r->irq_enabled = v & 1; break;
    case RTC_CLEAR_ALARM: r->alarm_running = false; break;
    case RTC_CLEAR_INTERRUPT: r->irq_pending = false; break;
    default: break;
    }
    update_irq(r);
    return true;
}

static void rtc_poll(void *opaque)
{
    goldfish_rtc *r = opaque;
    check_alarm(r);
    update_irq(r);
}

static void rtc_snapshot(void *opaque, rv_snap *s)
{
    goldfish_rtc *r = opaque;
    snap_section(s, "goldfish_rtc");
    snap_u64(s, "offset", &r->offset);
    snap_u64(s, "alarm_next", &r->alarm_next);
    snap_u32(s, "time_high", &r->time_high);
    snap_u32(s, "alarm_high", &r->alarm_high);
    snap_bool(s, "alarm_running", &r->alarm_running);
    snap_bool(s, "irq_pending", &r->irq_pending);
    snap_bool(s, "irq_enabled", &r->irq_enabled);
    if (s->loading)
        update_irq(r);
}

static void rtc_destroy(void *opaque)
{
    free(opaque);
}

goldfish_rtc *goldfish_rtc_create(uint64_t (*realtime_ns)(void *ctx), void *ctx, rv_irq_line irq)
{
    if (!realtime_ns)
        return NULL;
    goldfish_rtc *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->realtime_ns = realtime_ns;
    r->ctx = ctx;
    r->irq = irq;
    rtc_reset(r);
    return r;
}

rv_device goldfish_rtc_device(goldfish_rtc *r, uint64_t base)
{
    return (rv_device){
        .name = "goldfish_rtc",
        .base = base,
        .size = 0x1000,
        .opaque = r,
        .read = rtc_read,
        .write = rtc_write,
        .reset = rtc_reset,
        .snapshot = rtc_snapshot,
        .poll = rtc_poll,
        .destroy = rtc_destroy,
    };
}

int goldfish_rtc_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "rtc", base, 0x1000);
    if (node < 0)
        return node;
    int err = fdt_setprop_string(fdt, node, "compatible", "google,goldfish-rtc");
    if (!err)
        err = fdt_board_add_irq(fdt, node, plic_phandle, irq);
    return err;
}
