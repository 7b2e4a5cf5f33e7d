/* Unit tests of the virt board's simple devices and its device tree, driven
 * through their MMIO descriptors with fake backends and recording irq lines
 * (no hart). Prints one PASS:/FAIL: line per check group.
 *   usage: test_devices [qemu-virt.dtb]   (the QEMU tree enables the
 *          structural comparison; without it that group is skipped) */
#define _POSIX_C_SOURCE 200809L /* mkstemp, popen */
#include <libfdt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/clint.h"
#include "devices/goldfish_rtc.h"
#include "devices/plic.h"
#include "devices/syscon.h"
#include "devices/uart16550.h"
#include "fdt_board.h"

/* ---- check groups ---- */
static int failures;
static bool group_failed;
static char group_why[256];

static void check_at(bool ok, const char *expr, int line)
{
    if (!ok && !group_failed) {
        group_failed = true;
        snprintf(group_why, sizeof(group_why), "line %d: %s", line, expr);
    }
}
#define CHECK(c) check_at((c), #c, __LINE__)

static void begin(void)
{
    group_failed = false;
    group_why[0] = 0;
}

static void end(const char *name)
{
    if (group_failed) {
        printf("FAIL: %s (%s)\n", name, group_why);
        failures++;
    } else {
        printf("PASS: %s\n", name);
    }
}

/* ---- fakes ---- */
typedef struct irq_rec {
    int level[16];
    int sets;
} irq_rec;

static void irq_set(void *ctx, uint32_t num, int level)
{
    irq_rec *r = ctx;
    r->level[num] = level;
    r->sets++;
}

static rv_irq_line line(irq_rec *r, uint32_t num)
{
    return (rv_irq_line){.set = irq_set, .ctx = r, .num = num};
}

typedef struct console {
    char out[4096];
    size_t out_len;
    int writes;
    uint8_t in[256];
    size_t in_len, in_pos;
} console;

static void con_write(void *opaque, const uint8_t *buf, size_t len)
{
    console *c = opaque;
    for (size_t i = 0; i < len && c->out_len < sizeof(c->out) - 1; i++)
        c->out[c->out_len++] = (char)buf[i];
    c->writes++;
}

static size_t con_read(void *opaque, uint8_t *buf, size_t max)
{
    console *c = opaque;
    size_t n = c->in_len - c->in_pos;
    if (n > max)
        n = max;
    memcpy(buf, c->in + c->in_pos, n);
    c->in_pos += n;
    return n;
}

static void con_input(console *c, const char *s)
{
    size_t n = strlen(s);
    memcpy(c->in + c->in_len, s, n);
    c->in_len += n;
}

static uint64_t rd(const rv_device *d, uint64_t off, unsigned len)
{
    uint64_t v = 0xdeadbeef;
    if (!d->read(d->opaque, off, len, &v))
        return 0xfa17fa17fa17ull;
    return v;
}

static void wr(const rv_device *d, uint64_t off, unsigned len, uint64_t v)
{
    d->write(d->opaque, off, len, v);
}

/* ---- UART ---- */
static void test_uart(void)
{
    irq_rec irq = {0};
    console con = {0};
    rv_chardev cd = {.opaque = &con, .write = con_write, .read = con_read};
    uart16550 *u = uart16550_create(&cd, line(&irq, 10));
    rv_device d = uart16550_device(u, 0x10000000);

    begin();
    CHECK(rd(&d, 5, 1) == 0x60); /* THRE | TEMT */
    CHECK(rd(&d, 2, 1) == 0x01); /* no interrupt, FIFOs off */
    CHECK(rd(&d, 3, 1) == 0x03);
    CHECK(irq.level[10] == 0);
    CHECK(d.size == 0x100);
    end("uart.reset_state");

    begin();
    wr(&d, 0, 1, 'h');
    wr(&d, 0, 4, 0x100 | 'i'); /* wider access: low byte */
    CHECK(con.out_len == 0 || memcmp(con.out, "hi", 2) == 0);
    d.poll(d.opaque);
    CHECK(con.out_len == 2 && memcmp(con.out, "hi", 2) == 0);
    int writes = con.writes;
    for (int i = 0; i < 10; i++)
        wr(&d, 0, 1, 'x');
    d.poll(d.opaque);
    CHECK(con.writes == writes + 1); /* coalesced into one write per poll */
    CHECK(con.out_len == 12);
    end("uart.transmit");

    begin();
    wr(&d, 1, 1, 0x02); /* ETBEI with THR empty: THRI at once */
    CHECK(irq.level[10] == 1);
    CHECK(rd(&d, 2, 1) == 0x02);
    CHECK(irq.level[10] == 0); /* reading IIR cleared it */
    CHECK(rd(&d, 2, 1) == 0x01);
    wr(&d, 0, 1, 'y'); /* THR write: empties at once, THRI again */
    CHECK(irq.level[10] == 1);
    wr(&d, 1, 1, 0x00);
    CHECK(irq.level[10] == 0);
    wr(&d, 1, 1, 0x02);
    CHECK(irq.level[10] == 1);
    wr(&d, 1, 1, 0x00);
    end("uart.thr_empty_interrupt");

    begin();
    wr(&d, 2, 1, 0x07); /* FIFO on, clear both, trigger 1 */
    CHECK((rd(&d, 2, 1) & 0xc0) == 0xc0);
    wr(&d, 7, 1, 0x5a);
    CHECK(rd(&d, 7, 1) == 0x5a);
    wr(&d, 3, 1, 0x83); /* DLAB */
    wr(&d, 0, 1, 0x01);
    wr(&d, 1, 1, 0x00);
    CHECK(rd(&d, 0, 1) == 0x01 && rd(&d, 1, 1) == 0x00);
    wr(&d, 3, 1, 0x03);
    d.poll(d.opaque);
    size_t before = con.out_len;
    d.poll(d.opaque);
    CHECK(con.out_len == before); /* the DLL write was not output */
    CHECK(rd(&d, 0x40, 1) == 0);  /* beyond the registers: reads 0 */
    end("uart.fifo_scratch_dlab");

    begin();
    wr(&d, 2, 1, 0x87); /* trigger level 8 */
    wr(&d, 1, 1, 0x01); /* ERBFI */
    con_input(&con, "abcde");
    d.poll(d.opaque);
    CHECK(rd(&d, 5, 1) & 0x01);
    CHECK(irq.level[10] == 0); /* 5 < 8: no RDI yet */
    d.poll(d.opaque);          /* a quiet interval: character timeout */
    CHECK(irq.level[10] == 1);
    CHECK(rd(&d, 2, 1) == 0xcc);
    char got[8] = {0};
    for (int i = 0; i < 5; i++)
        got[i] = (char)rd(&d, 0, 1);
    CHECK(strcmp(got, "abcde") == 0);
    CHECK(irq.level[10] == 0);
    CHECK(!(rd(&d, 5, 1) & 0x01));
    con_input(&con, "0123456789");
    d.poll(d.opaque);
    CHECK(irq.level[10] == 1);
    CHECK(rd(&d, 2, 1) == 0xc4); /* received data available */
    for (int i = 0; i < 3; i++)
        rd(&d, 0, 1);
    CHECK(irq.level[10] == 0); /* 7 left, below the trigger */
    while (rd(&d, 5, 1) & 1)
        rd(&d, 0, 1);
    end("uart.rx_trigger_and_timeout");

    begin();
    con.in_len = con.in_pos = 0;
    for (int i = 0; i < 40; i++)
        con.in[con.in_len++] = (uint8_t)('A' + i);
    d.poll(d.opaque);
    CHECK(con.in_pos == 16); /* FIFO full: the rest stays with the host */
    d.poll(d.opaque);
    CHECK(con.in_pos == 16);
    int n = 0;
    bool order = true;
    while (rd(&d, 5, 1) & 1) {
        order &= rd(&d, 0, 1) == (uint64_t)('A' + n);
        n++;
    }
    /* Draining the FIFO pulls what the host still holds, in order, without
     * waiting for the next poll (a paste flows at the guest's speed). */
    CHECK(n == 40 && order);
    CHECK(con.in_pos == 40);
    con.in_len = con.in_pos = 0;
    for (int i = 0; i < 8; i++)
        con.in[con.in_len++] = (uint8_t)('a' + i);
    wr(&d, 2, 1, 0x00); /* FIFOs off: one byte of room */
    d.poll(d.opaque);
    CHECK(con.in_pos == 1);
    d.poll(d.opaque);
    CHECK(con.in_pos == 1);
    CHECK(rd(&d, 0, 1) == 'a');
    CHECK(con.in_pos == 2); /* the read made room for exactly one more */
    CHECK(rd(&d, 0, 1) == 'b');
    CHECK((rd(&d, 2, 1) & 0xc0) == 0);
    con.in_len = con.in_pos = 0;
    end("uart.flow_control");

    begin();
    wr(&d, 1, 1, 0x00);
    wr(&d, 2, 1, 0x07);
    rd(&d, 6, 1);
    wr(&d, 4, 1, 0x10); /* loopback */
    size_t out_before = con.out_len;
    wr(&d, 0, 1, 'L');
    d.poll(d.opaque);
    CHECK(con.out_len == out_before);
    CHECK(rd(&d, 5, 1) & 0x01);
    CHECK(rd(&d, 0, 1) == 'L');
    rd(&d, 6, 1);
    wr(&d, 4, 1, 0x12); /* RTS -> CTS */
    uint64_t msr = rd(&d, 6, 1);
    CHECK((msr & 0x10) && (msr & 0x01));
    CHECK((rd(&d, 6, 1) & 0x0f) == 0); /* deltas clear on read */
    wr(&d, 1, 1, 0x08);
    wr(&d, 4, 1, 0x10);
    CHECK(irq.level[10] == 1); /* modem status interrupt */
    rd(&d, 6, 1);
    CHECK(irq.level[10] == 0);
    wr(&d, 1, 1, 0x00);
    wr(&d, 4, 1, 0x00);
    end("uart.loopback_modem");

    begin();
    wr(&d, 7, 1, 0x33);
    wr(&d, 1, 1, 0x05);
    rv_snap s;
    snap_init_save(&s);
    d.snapshot(d.opaque, &s);
    CHECK(!s.error);
    wr(&d, 7, 1, 0x00);
    wr(&d, 1, 1, 0x00);
    rv_snap l;
    CHECK(snap_init_load(&l, s.buf, s.len));
    d.snapshot(d.opaque, &l);
    CHECK(!l.error);
    CHECK(rd(&d, 7, 1) == 0x33 && rd(&d, 1, 1) == 0x05);
    snap_free(&s);
    d.reset(d.opaque);
    CHECK(rd(&d, 7, 1) == 0 && rd(&d, 1, 1) == 0 && irq.level[10] == 0);
    end("uart.snapshot_reset");
    d.destroy(d.opaque);
}

/* ---- CLINT ---- */
static uint64_t fake_time;
static uint64_t fake_mtime(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void test_clint(void)
{
    irq_rec msip = {0}, mtip = {0};
    rv_irq_line ms[2] = {line(&msip, 0), line(&msip, 1)};
    rv_irq_line mt[2] = {line(&mtip, 0), line(&mtip, 1)};
    fake_time = 50;
    clint *c = clint_create(2, ms, mt, (rv_clock){fake_mtime, &fake_time});
    rv_device d = clint_device(c, 0x2000000);

    begin();
    CHECK(mtip.level[0] == 0 && mtip.level[1] == 0);
    CHECK(clint_next_deadline(c) == UINT64_MAX);
    wr(&d, 0x4000, 8, 100);
    wr(&d, 0x4008, 8, 200);
    CHECK(mtip.level[0] == 0);
    CHECK(clint_next_deadline(c) == 100);
    fake_time = 100;
    clint_update(c);
    CHECK(mtip.level[0] == 1 && mtip.level[1] == 0);
    CHECK(clint_next_deadline(c) == 200);
    wr(&d, 0x4000, 8, 1000); /* a new deadline drops MTIP */
    CHECK(mtip.level[0] == 0);
    CHECK(rd(&d, 0xbff8, 8) == 100);
    end("clint.mtip_follows_mtimecmp");

    begin();
    wr(&d, 0x400c, 4, 0xffffffff); /* RV32 style: high half first */
    wr(&d, 0x4008, 4, 0x00000150);
    wr(&d, 0x400c, 4, 0x00000000);
    CHECK(rd(&d, 0x4008, 8) == 0x150);
    CHECK(rd(&d, 0x4008, 4) == 0x150 && rd(&d, 0x400c, 4) == 0);
    fake_time = 0x150;
    clint_update(c);
    CHECK(mtip.level[1] == 1);
    CHECK(rd(&d, 0xbffc, 4) == 0 && rd(&d, 0xbff8, 4) == 0x150);
    end("clint.rv32_halves");

    begin();
    wr(&d, 0x4, 4, 0xff);
    CHECK(msip.level[1] == 1 && msip.level[0] == 0);
    CHECK(rd(&d, 0x4, 4) == 1);
    wr(&d, 0x4, 4, 0);
    CHECK(msip.level[1] == 0);
    CHECK(rd(&d, 0x8, 4) == 0); /* no hart 2 */
    end("clint.msip");

    begin();
    wr(&d, 0xbff8, 8, 5000);
    CHECK(rd(&d, 0xbff8, 8) == 5000);
    fake_time += 10;
    CHECK(rd(&d, 0xbff8, 8) == 5010);
    CHECK(clint_mtime(c) == 5010);
    CHECK(mtip.level[0] == 1); /* 5010 >= 1000 */
    end("clint.mtime_write");

    begin();
    uint64_t v;
    CHECK(!d.read(d.opaque, 0x4000, 1, &v));
    CHECK(!d.read(d.opaque, 0x4000, 2, &v));
    CHECK(!d.read(d.opaque, 0x4004, 8, &v));
    CHECK(!d.write(d.opaque, 0x0, 8, 1));
    CHECK(d.read(d.opaque, 0x8000, 4, &v) && v == 0);
    end("clint.access_widths");

    begin();
    rv_snap s;
    snap_init_save(&s);
    d.snapshot(d.opaque, &s);
    uint64_t saved_mtime = clint_mtime(c);
    d.reset(d.opaque);
    CHECK(mtip.level[0] == 0 && rd(&d, 0x4000, 8) == UINT64_MAX);
    fake_time += 12345; /* a restore on another host clock */
    rv_snap l;
    snap_init_load(&l, s.buf, s.len);
    d.snapshot(d.opaque, &l);
    CHECK(!l.error);
    CHECK(clint_mtime(c) == saved_mtime);
    CHECK(rd(&d, 0x4000, 8) == 1000 && mtip.level[0] == 1);
    snap_free(&s);
    end("clint.snapshot");
    d.destroy(d.opaque);
}

/* ---- PLIC ---- */
static void test_plic(void)
{
    irq_rec ctx = {0};
    rv_irq_line out[4] = {line(&ctx, 0), line(&ctx, 1), line(&ctx, 2), line(&ctx, 3)};
    plic *p = plic_create(95, 4, out);
    rv_device d = plic_device(p, 0xc000000);
    rv_irq_line s5 = plic_input(p, 5), s10 = plic_input(p, 10), s7 = plic_input(p, 7);
    const uint64_t en1 = 0x2000 + 0x80, thr1 = 0x201000, claim1 = 0x201004;

    begin();
    wr(&d, 4 * 5, 4, 1);
    wr(&d, 4 * 10, 4, 3);
    wr(&d, en1, 4, (1u << 5) | (1u << 10));
    rv_irq_set(&s5, 1);
    CHECK(ctx.level[1] == 1 && ctx.level[0] == 0); /* context 0 has nothing enabled */
    rv_irq_set(&s10, 1);
    CHECK(rd(&d, 0x1000, 4) == ((1u << 5) | (1u << 10)));
    CHECK(rd(&d, claim1, 4) == 10);
    CHECK(rd(&d, claim1, 4) == 5);
    CHECK(rd(&d, claim1, 4) == 0);
    CHECK(ctx.level[1] == 0);
    rv_irq_set(&s5, 0);
    rv_irq_set(&s10, 0);
    wr(&d, claim1, 4, 10);
    wr(&d, claim1, 4, 5);
    CHECK(ctx.level[1] == 0 && rd(&d, 0x1000, 4) == 0);
    end("plic.priority_claim_order");

    begin();
    wr(&d, thr1, 4, 3);
    rv_irq_set(&s10, 1);
    CHECK(ctx.level[1] == 0); /* priority 3 is not above threshold 3 */
    wr(&d, thr1, 4, 2);
    CHECK(ctx.level[1] == 1);
    CHECK(rd(&d, thr1, 4) == 2);
    CHECK(rd(&d, claim1, 4) == 10);
    rv_irq_set(&s10, 0);
    wr(&d, claim1, 4, 10);
    wr(&d, thr1, 4, 0);
    end("plic.threshold");

    begin();
    wr(&d, 4 * 5, 4, 2);
    wr(&d, 4 * 10, 4, 2);
    rv_irq_set(&s10, 1);
    rv_irq_set(&s5, 1);
    CHECK(rd(&d, claim1, 4) == 5); /* equal priority: lowest id */
    CHECK(rd(&d, claim1, 4) == 10);
    rv_irq_set(&s10, 0);
    rv_irq_set(&s5, 0);
    wr(&d, claim1, 4, 5);
    wr(&d, claim1, 4, 10);
    end("plic.tie_lowest_id");

    begin();
    wr(&d, 4 * 7, 4, 1);
    wr(&d, en1, 4, 1u << 7);
    rv_irq_set(&s7, 1);
    CHECK(rd(&d, claim1, 4) == 7);
    CHECK(ctx.level[1] == 0);
    CHECK((rd(&d, 0x1000, 4) & (1u << 7)) == 0); /* in service: not pending */
    rv_irq_set(&s7, 1);                          /* still asserted */
    CHECK(ctx.level[1] == 0 && rd(&d, claim1, 4) == 0);
    wr(&d, claim1, 4, 7); /* complete: re-pends */
    CHECK(ctx.level[1] == 1);
    CHECK(rd(&d, claim1, 4) == 7);
    rv_irq_set(&s7, 0);
    wr(&d, claim1, 4, 7);
    CHECK(ctx.level[1] == 0 && rd(&d, claim1, 4) == 0);
    rv_irq_set(&s7, 1);
    rv_irq_set(&s7, 0); /* dropped before a claim: QEMU forgets it */
    CHECK(ctx.level[1] == 0);
    end("plic.level_repend_after_complete");

    begin();
    wr(&d, 0x2000 + 0x80 * 2, 4, 1u << 7); /* context 2 = hart 1 M */
    wr(&d, en1, 4, 0);
    rv_irq_set(&s7, 1);
    CHECK(ctx.level[2] == 1 && ctx.level[1] == 0 && ctx.level[3] == 0);
    CHECK(rd(&d, 0x202004, 4) == 7);
    wr(&d, claim1, 4, 7); /* complete from a context without the enable: ignored */
    CHECK(ctx.level[2] == 0);
    wr(&d, 0x202004, 4, 7);
    CHECK(ctx.level[2] == 0); /* complete does not sample the line again (QEMU) */
    rv_irq_set(&s7, 1);       /* the device signals again: delivered */
    CHECK(ctx.level[2] == 1);
    rv_irq_set(&s7, 0);
    CHECK(ctx.level[2] == 0);
    end("plic.enable_per_context");

    begin();
    uint64_t v;
    CHECK(!d.read(d.opaque, 0x4, 1, &v));
    CHECK(!d.write(d.opaque, 0x4, 8, 1));
    CHECK(!d.read(d.opaque, 0x6, 4, &v));
    wr(&d, 4 * 3, 4, 0xffffffff);
    CHECK(rd(&d, 4 * 3, 4) == 7);
    wr(&d, 0x2000, 4, 0xffffffff);
    CHECK(rd(&d, 0x2000, 4) == 0xfffffffe); /* source 0 does not exist */
    wr(&d, 0x2008, 4, 0xffffffff);
    CHECK(rd(&d, 0x2008, 4) == 0xffffffff); /* sources 64..95 */
    wr(&d, 0x200c, 4, 0xffffffff);
    CHECK(rd(&d, 0x200c, 4) == 0); /* beyond 95 */
    CHECK(rd(&d, 0x3ff000, 4) == 0);
    end("plic.registers_and_widths");

    begin();
    rv_snap s;
    snap_init_save(&s);
    d.snapshot(d.opaque, &s);
    d.reset(d.opaque);
    CHECK(rd(&d, 4 * 3, 4) == 0);
    rv_snap l;
    snap_init_load(&l, s.buf, s.len);
    d.snapshot(d.opaque, &l);
    CHECK(!l.error && rd(&d, 4 * 3, 4) == 7 && rd(&d, 0x2008, 4) == 0xffffffff);
    snap_free(&s);
    end("plic.snapshot");
    d.destroy(d.opaque);
}

/* ---- syscon ---- */
typedef struct power_rec {
    int kind, code, calls;
} power_rec;

static void power_req(void *ctx, int kind, int code)
{
    power_rec *p = ctx;
    p->kind = kind;
    p->code = code;
    p->calls++;
}

static void test_syscon(void)
{
    power_rec pr = {-1, -1, 0};
    syscon *s = syscon_create((rv_power){power_req, &pr});
    rv_device d = syscon_device(s, 0x100000);
    begin();
    wr(&d, 0, 4, 0x1234);
    CHECK(pr.calls == 0);
    wr(&d, 0, 4, 0x5555);
    CHECK(pr.calls == 1 && pr.kind == RV_POWER_OFF && pr.code == 0);
    wr(&d, 0, 4, 0x3333 | (7u << 16));
    CHECK(pr.calls == 2 && pr.kind == RV_POWER_OFF && pr.code == 7);
    wr(&d, 0, 2, 0x7777);
    CHECK(pr.calls == 3 && pr.kind == RV_POWER_REBOOT);
    wr(&d, 8, 4, 0x5555);
    CHECK(pr.calls == 3);
    CHECK(!d.write(d.opaque, 0, 1, 0x55));
    CHECK(!d.write(d.opaque, 0, 8, 0x5555));
    CHECK(pr.calls == 3);
    CHECK(rd(&d, 0, 4) == 0);
    end("syscon.finisher");
    d.destroy(d.opaque);
}

/* ---- goldfish RTC ---- */
static uint64_t fake_ns;
static uint64_t fake_realtime(void *ctx)
{
    return *(uint64_t *)ctx;
}

static void test_rtc(void)
{
    irq_rec irq = {0};
    fake_ns = 0x0000000512345678ull;
    goldfish_rtc *r = goldfish_rtc_create(fake_realtime, &fake_ns, line(&irq, 11));
    rv_device d = goldfish_rtc_device(r, 0x101000);

    begin();
    CHECK(rd(&d, 0x00, 4) == 0x12345678);
    fake_ns = 0x00000006ffffffffull; /* the high half moves on */
    CHECK(rd(&d, 0x04, 4) == 5);     /* but the latched value stays */
    CHECK(rd(&d, 0x00, 4) == 0xffffffff && rd(&d, 0x04, 4) == 6);
    end("rtc.time_latch");

    begin();
    wr(&d, 0x04, 4, 0x10);
    wr(&d, 0x00, 4, 0x0);
    CHECK(rd(&d, 0x00, 4) == 0 && rd(&d, 0x04, 4) == 0x10);
    fake_ns += 1000;
    CHECK(rd(&d, 0x00, 4) == 1000);
    end("rtc.set_time");

    begin();
    wr(&d, 0x10, 4, 1);
    wr(&d, 0x0c, 4, 0x10);
    wr(&d, 0x08, 4, 5000);
    CHECK(rd(&d, 0x18, 4) == 1 && irq.level[11] == 0);
    CHECK(goldfish_rtc_next_alarm_ns(r) == 4000);
    d.poll(d.opaque);
    CHECK(irq.level[11] == 0);
    fake_ns += 4000;
    d.poll(d.opaque);
    CHECK(irq.level[11] == 1 && rd(&d, 0x18, 4) == 0);
    wr(&d, 0x1c, 4, 1);
    CHECK(irq.level[11] == 0);
    wr(&d, 0x08, 4, 10); /* already past: fires at once */
    CHECK(irq.level[11] == 1);
    wr(&d, 0x10, 4, 0);
    CHECK(irq.level[11] == 0);
    wr(&d, 0x10, 4, 1);
    wr(&d, 0x1c, 4, 1);
    wr(&d, 0x08, 4, 0xffffff00);
    wr(&d, 0x14, 4, 1); /* CLEAR_ALARM */
    CHECK(rd(&d, 0x18, 4) == 0 && goldfish_rtc_next_alarm_ns(r) == UINT64_MAX);
    uint64_t v;
    CHECK(!d.read(d.opaque, 0, 8, &v) && !d.write(d.opaque, 2, 4, 0));
    end("rtc.alarm");

    begin();
    wr(&d, 0x10, 4, 1);
    wr(&d, 0x0c, 4, 0x10);
    wr(&d, 0x08, 4, 0x7000);
    uint64_t t0 = rd(&d, 0x00, 4);
    rv_snap s;
    snap_init_save(&s);
    d.snapshot(d.opaque, &s);
    d.reset(d.opaque);
    CHECK(rd(&d, 0x18, 4) == 0 && rd(&d, 0x10, 4) == 0);
    rv_snap l;
    snap_init_load(&l, s.buf, s.len);
    d.snapshot(d.opaque, &l);
    CHECK(!l.error && rd(&d, 0x18, 4) == 1 && rd(&d, 0x10, 4) == 1);
    CHECK(rd(&d, 0x00, 4) == t0); /* the guest clock offset came back */
    snap_free(&s);
    end("rtc.snapshot");
    d.destroy(d.opaque);
}

/* ---- device tree ---- */
static const void *prop(const void *fdt, const char *path, const char *name, int *len)
{
    int node = fdt_path_offset(fdt, path);
    if (node < 0)
        return NULL;
    return fdt_getprop(fdt, node, name, len);
}

static uint32_t cell(const void *p, int i)
{
    return fdt32_to_cpu(((const fdt32_t *)p)[i]);
}

static bool prop_is_string(const void *fdt, const char *path, const char *name, const char *want)
{
    int len;
    const char *p = prop(fdt, path, name, &len);
    return p && len == (int)strlen(want) + 1 && memcmp(p, want, (size_t)len) == 0;
}

static uint32_t phandle_of(const void *fdt, const char *path)
{
    int node = fdt_path_offset(fdt, path);
    return node < 0 ? 0 : fdt_get_phandle(fdt, node);
}

static const char *ISA = "rv64imafdc_zicsr_zifencei_zihintpause_zba_zbb_zbs_sstc";

static int build_tree(uint8_t *buf, size_t len, int nharts, uint32_t mask, uint64_t ram)
{
    rv_board_desc d = {
        .ram_base = 0x80000000,
        .ram_size = ram,
        .nharts = nharts,
        .isa = ISA,
        .mmu_type = "riscv,sv48",
        .timebase = 10000000,
        .bootargs = "console=ttyS0 root=/dev/vda",
        .initrd_start = 0x88000000,
        .initrd_end = 0x88100000,
        .virtio_mask = mask,
    };
    char err[128];
    int n = fdt_board_build(&d, buf, len, err, sizeof(err));
    if (n < 0)
        fprintf(stderr, "fdt_board_build: %s\n", err);
    return n;
}

/* Every node and every property of ours must exist in QEMU's tree with the
 * same value, except values that legitimately differ. */
static bool differs_ok(const char *node, const char *name)
{
    static const char *const skip[] = {
        "phandle",  "interrupts-extended", "interrupt-parent", "regmap", "riscv,isa", "riscv,ndev",
        "bootargs", "linux,initrd-start",  "linux,initrd-end", NULL};
    (void)node;
    for (int i = 0; skip[i]; i++)
        if (strcmp(name, skip[i]) == 0)
            return true;
    return false;
}

static void compare_with_qemu(const void *ours, const void *qemu)
{
    begin();
    int depth = 0;
    char path[256];
    for (int node = fdt_next_node(ours, -1, &depth); node >= 0;
         node = fdt_next_node(ours, node, &depth)) {
        if (fdt_get_path(ours, node, path, sizeof(path)) != 0) {
            CHECK(!"path");
            continue;
        }
        if (strcmp(path, "/aliases") == 0)
            continue; /* QEMU 7.2 has none; newer QEMU adds serial0 */
        int qn = fdt_path_offset(qemu, path);
        if (qn < 0) {
            check_at(false, path, __LINE__);
            continue;
        }
        int off;
        fdt_for_each_property_offset(off, ours, node)
        {
            const char *name;
            int len, qlen;
            const void *v = fdt_getprop_by_offset(ours, off, &name, &len);
            const void *qv = fdt_getprop(qemu, qn, name, &qlen);
            if (!qv && differs_ok(path, name))
                continue; /* QEMU ran without -append/-initrd */
            if (!qv) {
                char what[320];
                snprintf(what, sizeof(what), "%s:%s missing in QEMU", path, name);
                check_at(false, what, __LINE__);
                continue;
            }
            if (!differs_ok(path, name) && (len != qlen || memcmp(v, qv, (size_t)len) != 0)) {
                char what[320];
                snprintf(what, sizeof(what), "%s:%s differs from QEMU", path, name);
                check_at(false, what, __LINE__);
            }
        }
    }
    /* And the other way round for the properties guests read. */
    CHECK(prop(qemu, "/soc/plic@c000000", "riscv,ndev", NULL) != NULL);
    end("fdt.matches_qemu_virt");
}

static void test_fdt(const char *qemu_dtb)
{
    static uint8_t buf[65536];
    begin();
    int n = build_tree(buf, sizeof(buf), 2, 0x5, 256ull << 20);
    CHECK(n > 0 && fdt_check_header(buf) == 0 && (int)fdt_totalsize(buf) == n);
    CHECK(prop_is_string(buf, "/", "compatible", "riscv-virtio"));
    int len;
    const void *p = prop(buf, "/memory@80000000", "reg", &len);
    CHECK(p && len == 16 && cell(p, 1) == 0x80000000 && cell(p, 3) == 0x10000000);
    p = prop(buf, "/cpus", "timebase-frequency", &len);
    CHECK(p && len == 4 && cell(p, 0) == 10000000);
    CHECK(prop_is_string(buf, "/cpus/cpu@1", "riscv,isa", ISA));
    CHECK(prop_is_string(buf, "/cpus/cpu@1", "mmu-type", "riscv,sv48"));
    CHECK(prop_is_string(buf, "/cpus/cpu@0", "status", "okay"));
    CHECK(prop_is_string(buf, "/cpus/cpu@0/interrupt-controller", "compatible", "riscv,cpu-intc"));
    end("fdt.build_cpus_memory");

    begin();
    uint32_t i0 = phandle_of(buf, "/cpus/cpu@0/interrupt-controller");
    uint32_t i1 = phandle_of(buf, "/cpus/cpu@1/interrupt-controller");
    uint32_t plic = phandle_of(buf, "/soc/plic@c000000");
    uint32_t test = phandle_of(buf, "/soc/test@100000");
    CHECK(i0 && i1 && plic && test && i0 != i1 && plic != test && plic != i0 && plic != i1);
    p = prop(buf, "/soc/clint@2000000", "interrupts-extended", &len);
    CHECK(p && len == 32 && cell(p, 0) == i0 && cell(p, 1) == 3 && cell(p, 2) == i0 &&
          cell(p, 3) == 7 && cell(p, 4) == i1 && cell(p, 5) == 3 && cell(p, 7) == 7);
    p = prop(buf, "/soc/plic@c000000", "interrupts-extended", &len);
    CHECK(p && len == 32 && cell(p, 0) == i0 && cell(p, 1) == 11 && cell(p, 2) == i0 &&
          cell(p, 3) == 9 && cell(p, 4) == i1 && cell(p, 5) == 11 && cell(p, 7) == 9);
    p = prop(buf, "/soc/plic@c000000", "riscv,ndev", &len);
    CHECK(p && cell(p, 0) == 95);
    p = prop(buf, "/soc/serial@10000000", "interrupt-parent", &len);
    CHECK(p && cell(p, 0) == plic);
    p = prop(buf, "/soc/serial@10000000", "interrupts", &len);
    CHECK(p && cell(p, 0) == 10);
    p = prop(buf, "/soc/serial@10000000", "clock-frequency", &len);
    CHECK(p && len == 4 && cell(p, 0) == 3686400);
    p = prop(buf, "/soc/rtc@101000", "interrupts", &len);
    CHECK(p && cell(p, 0) == 11);
    p = prop(buf, "/poweroff", "regmap", &len);
    CHECK(p && cell(p, 0) == test);
    p = prop(buf, "/poweroff", "value", &len);
    CHECK(p && cell(p, 0) == 0x5555);
    p = prop(buf, "/reboot", "value", &len);
    CHECK(p && cell(p, 0) == 0x7777);
    end("fdt.interrupts_phandles");

    begin();
    CHECK(fdt_path_offset(buf, "/soc/virtio_mmio@10001000") >= 0);
    CHECK(fdt_path_offset(buf, "/soc/virtio_mmio@10002000") < 0);
    CHECK(fdt_path_offset(buf, "/soc/virtio_mmio@10003000") >= 0);
    p = prop(buf, "/soc/virtio_mmio@10003000", "interrupts", &len);
    CHECK(p && cell(p, 0) == 3);
    p = prop(buf, "/soc/virtio_mmio@10003000", "reg", &len);
    CHECK(p && len == 16 && cell(p, 1) == 0x10003000 && cell(p, 3) == 0x1000);
    CHECK(fdt_path_offset(buf, "/soc/virtio_mmio@10001000") <
          fdt_path_offset(buf, "/soc/virtio_mmio@10003000")); /* slot 0 probes first */
    CHECK(prop_is_string(buf, "/chosen", "stdout-path", "/soc/serial@10000000"));
    CHECK(prop_is_string(buf, "/chosen", "bootargs", "console=ttyS0 root=/dev/vda"));
    CHECK(prop_is_string(buf, "/aliases", "serial0", "/soc/serial@10000000"));
    p = prop(buf, "/chosen", "linux,initrd-start", &len);
    CHECK(p && len == 8 && cell(p, 0) == 0 && cell(p, 1) == 0x88000000);
    p = prop(buf, "/chosen", "linux,initrd-end", &len);
    CHECK(p && len == 8 && cell(p, 1) == 0x88100000);
    end("fdt.virtio_chosen");

    begin();
    char err[128] = "";
    rv_board_desc bad = {.ram_base = 0x80000000,
                         .ram_size = 1 << 20,
                         .nharts = 1,
                         .isa = ISA,
                         .mmu_type = "riscv,sv39",
                         .timebase = 10000000};
    CHECK(fdt_board_build(&bad, buf, 300, err, sizeof(err)) == -1 && strstr(err, "small"));
    bad.nharts = 0;
    CHECK(fdt_board_build(&bad, buf, sizeof(buf), err, sizeof(err)) == -1);
    bad.nharts = 8;
    bad.virtio_mask = 0x100;
    CHECK(fdt_board_build(&bad, buf, sizeof(buf), err, sizeof(err)) == -1);
    bad.virtio_mask = 0xff;
    int n8 = fdt_board_build(&bad, buf, sizeof(buf), err, sizeof(err));
    CHECK(n8 > 0 && n8 < 16384);
    CHECK(fdt_path_offset(buf, "/cpus/cpu@7/interrupt-controller") >= 0);
    CHECK(fdt_path_offset(buf, "/chosen") >= 0 && !prop(buf, "/chosen", "bootargs", NULL) &&
          !prop(buf, "/chosen", "linux,initrd-start", NULL));
    end("fdt.limits");

    /* dtc must decompile it cleanly (it also re-checks the structure). */
    begin();
    n = build_tree(buf, sizeof(buf), 2, 0xff, 256ull << 20);
    char tmp[] = "/tmp/rvfdtXXXXXX";
    int fd = mkstemp(tmp);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (f) {
        fwrite(buf, 1, (size_t)n, f);
        fclose(f);
    }
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts %s 2>&1", tmp);
    FILE *pp = system("command -v dtc >/dev/null 2>&1") == 0 ? popen(cmd, "r") : NULL;
    if (!pp) {
        printf("SKIP: fdt.dtc_decompile (dtc not installed)\n");
    } else {
        char line[512];
        bool saw_virtio = false, saw_plic = false;
        int warnings = 0;
        while (fgets(line, sizeof(line), pp)) {
            saw_virtio |= strstr(line, "virtio_mmio@10008000 {") != NULL;
            saw_plic |= strstr(line, "plic@c000000 {") != NULL;
            /* QEMU's own tree draws the interrupt_provider warning too. */
            if (strstr(line, "Warning") && !strstr(line, "interrupt_provider")) {
                warnings++;
                fprintf(stderr, "dtc: %s", line);
            }
        }
        CHECK(pclose(pp) == 0);
        CHECK(saw_virtio && saw_plic);
        CHECK(warnings == 0);
        end("fdt.dtc_decompile");
    }

    if (qemu_dtb) {
        static uint8_t q[1 << 20];
        FILE *qf = fopen(qemu_dtb, "rb");
        size_t qn = qf ? fread(q, 1, sizeof(q), qf) : 0;
        if (qf)
            fclose(qf);
        if (qn == 0 || fdt_check_header(q) != 0)
            printf("SKIP: fdt.matches_qemu_virt (cannot read %s)\n", qemu_dtb);
        else
            compare_with_qemu(buf, q);
    } else {
        printf("SKIP: fdt.matches_qemu_virt (no QEMU dtb given)\n");
    }
    if (f)
        remove(tmp);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_uart();
    test_clint();
    test_plic();
    test_syscon();
    test_rtc();
    test_fdt(argc > 1 ? argv[1] : NULL);
    return failures ? 1 : 0;
}
