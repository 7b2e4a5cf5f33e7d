/* Unit tests of virtio-mmio, virtio-blk and virtio-net: a small driver in
 * this file builds real split rings in a malloc'd "RAM" (so ASan sees any
 * access outside it), fake block and net backends record what the device
 * asks of them. Prints one PASS:/FAIL: line per check group. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"

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

/* ---- fake RAM ---- */
#define RAM_BASE 0x80000000ull
#define RAM_SIZE (1u << 20)

typedef struct ram {
    uint8_t *mem;
    int dirty_calls;
    uint64_t dirty_lo, dirty_hi; /* hull of dirtied ranges */
} ram;

static uint8_t *ram_map(void *ctx, uint64_t pa, uint64_t len)
{
    ram *r = ctx;
    if (pa < RAM_BASE || len > RAM_SIZE || pa - RAM_BASE > RAM_SIZE - len)
        return NULL;
    return r->mem + (pa - RAM_BASE);
}

static void ram_dirty(void *ctx, uint64_t pa, uint64_t len)
{
    ram *r = ctx;
    if (!r->dirty_calls || pa < r->dirty_lo)
        r->dirty_lo = pa;
    if (!r->dirty_calls || pa + len > r->dirty_hi)
        r->dirty_hi = pa + len;
    r->dirty_calls++;
}

static ram R;
static rv_dma DMA = {.ctx = &R, .map = ram_map, .dirty = ram_dirty};

static uint8_t *P(uint64_t pa)
{
    return R.mem + (pa - RAM_BASE);
}

static void put16(uint64_t pa, uint16_t v)
{
    P(pa)[0] = (uint8_t)v;
    P(pa)[1] = (uint8_t)(v >> 8);
}

static void put32(uint64_t pa, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        P(pa)[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint64_t pa, uint64_t v)
{
    put32(pa, (uint32_t)v);
    put32(pa + 4, (uint32_t)(v >> 32));
}

static uint16_t get16(uint64_t pa)
{
    return (uint16_t)(P(pa)[0] | (P(pa)[1] << 8));
}

static uint32_t get32(uint64_t pa)
{
    return (uint32_t)get16(pa) | ((uint32_t)get16(pa + 2) << 16);
}

/* ---- irq ---- */
typedef struct irq_rec {
    int level;
} irq_rec;

static void irq_set(void *ctx, uint32_t num, int level)
{
    (void)num;
    ((irq_rec *)ctx)->level = level;
}

/* ---- a tiny driver ---- */
enum {
    R_MAGIC = 0x000,
    R_VERSION = 0x004,
    R_DEVID = 0x008,
    R_VENDOR = 0x00c,
    R_DFEAT = 0x010,
    R_DFEATSEL = 0x014,
    R_GFEAT = 0x020,
    R_GFEATSEL = 0x024,
    R_QSEL = 0x030,
    R_QMAX = 0x034,
    R_QNUM = 0x038,
    R_QREADY = 0x044,
    R_NOTIFY = 0x050,
    R_ISR = 0x060,
    R_ACK = 0x064,
    R_STATUS = 0x070,
    R_QDESC = 0x080,
    R_QAVAIL = 0x090,
    R_QUSED = 0x0a0,
    R_CFGGEN = 0x0fc,
    R_CONFIG = 0x100,
};
#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)
#define D_NEXT 1
#define D_WRITE 2
#define D_INDIRECT 4
#define S_NEEDS_RESET 0x40

typedef struct vq_drv {
    uint64_t desc, avail, used;
    uint16_t num, avail_idx, next_desc, used_seen;
} vq_drv;

typedef struct drv {
    rv_device d;
    irq_rec irq;
    vq_drv q[2];
} drv;

typedef struct seg {
    uint64_t pa;
    uint32_t len;
    uint16_t flags;
} seg;

static uint32_t rd(drv *v, uint64_t off)
{
    uint64_t x = 0;
    v->d.read(v->d.opaque, off, 4, &x);
    return (uint32_t)x;
}

static void wr(drv *v, uint64_t off, uint32_t val)
{
    v->d.write(v->d.opaque, off, 4, val);
}

static uint64_t dev_features(drv *v)
{
    wr(v, R_DFEATSEL, 1);
    uint64_t hi = rd(v, R_DFEAT);
    wr(v, R_DFEATSEL, 0);
    return (hi << 32) | rd(v, R_DFEAT);
}

/* Queue q's rings at RAM_BASE + q * 0x10000. Returns QueueReady. */
static bool setup_queue(drv *v, int q, uint16_t num)
{
    vq_drv *vq = &v->q[q];
    memset(vq, 0, sizeof(*vq));
    vq->num = num;
    vq->desc = RAM_BASE + (uint64_t)q * 0x10000;
    vq->avail = vq->desc + 0x4000;
    vq->used = vq->desc + 0x8000;
    memset(P(vq->desc), 0, 0x10000);
    wr(v, R_QSEL, (uint32_t)q);
    wr(v, R_QNUM, num);
    wr(v, R_QDESC, (uint32_t)vq->desc);
    wr(v, R_QDESC + 4, (uint32_t)(vq->desc >> 32));
    wr(v, R_QAVAIL, (uint32_t)vq->avail);
    wr(v, R_QAVAIL + 4, 0);
    wr(v, R_QUSED, (uint32_t)vq->used);
    wr(v, R_QUSED + 4, 0);
    wr(v, R_QREADY, 1);
    return rd(v, R_QREADY) == 1;
}

/* The driver initialisation sequence of §3.1.1. */
static bool drv_init(drv *v, uint64_t want, int nq, uint16_t num)
{
    wr(v, R_STATUS, 0);
    wr(v, R_STATUS, 1);
    wr(v, R_STATUS, 1 | 2);
    uint64_t f = dev_features(v) & want;
    wr(v, R_GFEATSEL, 0);
    wr(v, R_GFEAT, (uint32_t)f);
    wr(v, R_GFEATSEL, 1);
    wr(v, R_GFEAT, (uint32_t)(f >> 32));
    wr(v, R_STATUS, 1 | 2 | 8);
    if (!(rd(v, R_STATUS) & 8))
        return false;
    for (int q = 0; q < nq; q++)
        if (!setup_queue(v, q, num))
            return false;
    wr(v, R_STATUS, 1 | 2 | 8 | 4);
    return true;
}

static uint16_t add_chain(drv *v, int q, const seg *s, int n)
{
    vq_drv *vq = &v->q[q];
    uint16_t head = vq->next_desc;
    for (int i = 0; i < n; i++) {
        uint16_t idx = (uint16_t)((head + i) % vq->num);
        uint64_t d = vq->desc + 16ull * idx;
        put64(d, s[i].pa);
        put32(d + 8, s[i].len);
        put16(d + 12, (uint16_t)(s[i].flags | (i + 1 < n ? D_NEXT : 0)));
        put16(d + 14, (uint16_t)((idx + 1) % vq->num));
    }
    vq->next_desc = (uint16_t)((head + n) % vq->num);
    put16(vq->avail + 4 + 2ull * (vq->avail_idx % vq->num), head);
    vq->avail_idx++;
    put16(vq->avail + 2, vq->avail_idx);
    return head;
}

static void notify(drv *v, int q)
{
    wr(v, R_NOTIFY, (uint32_t)q);
}

static uint16_t used_idx(drv *v, int q)
{
    return get16(v->q[q].used + 2);
}

/* The i-th used element (absolute index). */
static void used_elem(drv *v, int q, uint16_t i, uint32_t *id, uint32_t *len)
{
    uint64_t e = v->q[q].used + 4 + 8ull * (i % v->q[q].num);
    *id = get32(e);
    *len = get32(e + 4);
}

/* ---- fake block backend ---- */
#define DISK_SIZE (64 * 512)

typedef struct fblk {
    uint8_t disk[DISK_SIZE];
    bool defer;
    rv_blk_req *pending[64];
    int npending, submits, flushes;
    bool out_of_range; /* the device submitted something it should have refused */
} fblk;

static void fblk_do(fblk *b, rv_blk_req *req)
{
    uint64_t off = req->offset, total = 0;
    for (int i = 0; i < req->iovcnt; i++)
        total += req->iov[i].len;
    if (req->type != RV_BLK_FLUSH && (off > DISK_SIZE || total > DISK_SIZE - off)) {
        b->out_of_range = true;
        req->complete(req, RV_BLK_IOERR);
        return;
    }
    for (int i = 0; i < req->iovcnt; i++) {
        if (req->type == RV_BLK_READ)
            memcpy(req->iov[i].base, b->disk + off, req->iov[i].len);
        else if (req->type == RV_BLK_WRITE)
            memcpy(b->disk + off, req->iov[i].base, req->iov[i].len);
        off += req->iov[i].len;
    }
    if (req->type == RV_BLK_FLUSH)
        b->flushes++;
    req->complete(req, RV_BLK_OK);
}

static void fblk_submit(void *opaque, rv_blk_req *req)
{
    fblk *b = opaque;
    b->submits++;
    if (b->defer && b->npending < 64)
        b->pending[b->npending++] = req;
    else
        fblk_do(b, req);
}

static fblk FB;

static void blk_new(drv *v, bool readonly)
{
    memset(v, 0, sizeof(*v));
    rv_blockdev bd = {
        .opaque = &FB, .size = DISK_SIZE, .readonly = readonly, .submit = fblk_submit};
    virtio_mmio *m =
        virtio_blk_create(&DMA, &bd, (rv_irq_line){.set = irq_set, .ctx = &v->irq, .num = 1});
    v->d = virtio_device(m, 0x10001000);
}

/* Buffers for requests: header, data, status at fixed places. */
#define HDR 0x80050000ull
#define DATA 0x80051000ull
#define STATUS 0x80058000ull
#define TABLE 0x80060000ull

static void blk_hdr(uint64_t pa, uint32_t type, uint64_t sector)
{
    put32(pa, type);
    put32(pa + 4, 0);
    put64(pa + 8, sector);
}

/* One request: header, one data buffer (len 0 = none), status. */
static uint16_t blk_req(drv *v, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
                        bool device_writes)
{
    blk_hdr(HDR, type, sector);
    P(STATUS)[0] = 0xee;
    seg s[3] = {{HDR, 16, 0}, {data, len, device_writes ? D_WRITE : 0}, {STATUS, 1, D_WRITE}};
    if (len == 0) {
        s[1] = s[2];
        return add_chain(v, 0, s, 2);
    }
    return add_chain(v, 0, s, 3);
}

static void test_blk(void)
{
    drv v;
    memset(&FB, 0, sizeof(FB));
    for (int i = 0; i < DISK_SIZE; i++)
        FB.disk[i] = (uint8_t)(i * 7 + i / 512);
    blk_new(&v, false);

    begin();
    CHECK(rd(&v, R_MAGIC) == 0x74726976 && rd(&v, R_VERSION) == 2 && rd(&v, R_DEVID) == 2 &&
          rd(&v, R_VENDOR) == 0x554d4551);
    uint64_t f = dev_features(&v);
    CHECK((f & F_VERSION_1) && (f & F_INDIRECT) && (f & F_EVENT_IDX));
    CHECK((f & (1u << 9)) && (f & (1u << 6)) && (f & (1u << 2)) && !(f & (1u << 5)));
    CHECK(rd(&v, R_QMAX) == 256);
    wr(&v, R_QSEL, 1);
    CHECK(rd(&v, R_QMAX) == 0); /* one queue only */
    CHECK(rd(&v, R_CONFIG) == DISK_SIZE / 512 && rd(&v, R_CONFIG + 4) == 0);
    CHECK(rd(&v, R_CONFIG + 20) == 512 && rd(&v, R_CONFIG + 12) == 254);
    uint64_t x = 0;
    v.d.read(v.d.opaque, R_CONFIG, 1, &x);
    CHECK(x == DISK_SIZE / 512);
    v.d.read(v.d.opaque, R_MAGIC, 2, &x);
    CHECK(x == 0); /* wrong width on a register reads 0 */
    end("virtio_blk.identity_config");

    begin();
    /* xv6 acknowledges no high feature bits; that must still be accepted. */
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 3);
    wr(&v, R_GFEAT, (uint32_t)dev_features(&v) & ~(1u << 28) & ~(1u << 29));
    wr(&v, R_STATUS, 3 | 8);
    CHECK(rd(&v, R_STATUS) & 8);
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 3);
    wr(&v, R_GFEATSEL, 1);
    wr(&v, R_GFEAT, 0x80000000u); /* a feature the device does not offer */
    wr(&v, R_STATUS, 3 | 8);
    CHECK(!(rd(&v, R_STATUS) & 8));
    end("virtio_blk.feature_negotiation");

    begin();
    CHECK(drv_init(&v, ~0ull & ~F_EVENT_IDX, 1, 8));
    for (int i = 0; i < 1024; i++)
        P(DATA)[i] = (uint8_t)(0xa0 ^ i);
    uint16_t h = blk_req(&v, 1, 3, DATA, 1024, false); /* OUT sectors 3,4 */
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 1);
    uint32_t id, len;
    used_elem(&v, 0, 0, &id, &len);
    CHECK(id == h && P(STATUS)[0] == 0);
    CHECK(memcmp(FB.disk + 3 * 512, P(DATA), 1024) == 0);
    CHECK(v.irq.level == 1 && (rd(&v, R_ISR) & 1));
    wr(&v, R_ACK, 1);
    CHECK(v.irq.level == 0 && rd(&v, R_ISR) == 0);
    memset(P(DATA), 0, 2048);
    R.dirty_calls = 0;
    h = blk_req(&v, 0, 2, DATA, 2048, true); /* IN sectors 2..5 */
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 2);
    used_elem(&v, 0, 1, &id, &len);
    CHECK(id == h && len == 2049 && P(STATUS)[0] == 0);
    CHECK(memcmp(P(DATA), FB.disk + 2 * 512, 2048) == 0);
    CHECK(R.dirty_calls > 0 && R.dirty_lo <= DATA && R.dirty_hi >= DATA + 2048);
    CHECK(v.irq.level == 1);
    wr(&v, R_ACK, 1);
    end("virtio_blk.read_write");

    begin();
    blk_req(&v, 4, 0, 0, 0, false);
    notify(&v, 0);
    CHECK(FB.flushes == 1 && P(STATUS)[0] == 0);
    memset(P(DATA), 0, 64);
    blk_req(&v, 8, 0, DATA, 20, true);
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 0 && memcmp(P(DATA), "riscv-vm", 8) == 0);
    used_elem(&v, 0, (uint16_t)(used_idx(&v, 0) - 1), &id, &len);
    CHECK(len == 21);
    blk_req(&v, 11, 0, DATA, 512, true); /* DISCARD: not offered */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 2);
    end("virtio_blk.flush_get_id_unsupported");

    begin();
    int submits = FB.submits;
    blk_req(&v, 0, DISK_SIZE / 512 - 1, DATA, 1024, true); /* runs off the end */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    blk_req(&v, 0, ~0ull / 256, DATA, 512, true); /* sector * 512 overflows */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    blk_req(&v, 1, 0, DATA, 100, false); /* not a multiple of 512 */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    blk_req(&v, 0, 0, RAM_BASE + RAM_SIZE - 256, 512, true); /* data runs out of RAM */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    blk_req(&v, 0, 0, DATA, 0xffffffffu, true); /* absurd length */
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    {
        /* readable data after the writable status: out of order */
        blk_hdr(HDR, 1, 0);
        seg s[3] = {{HDR, 16, 0}, {STATUS, 1, D_WRITE}, {DATA, 512, 0}};
        P(STATUS)[0] = 0xee;
        add_chain(&v, 0, s, 3);
        notify(&v, 0);
        CHECK(P(STATUS)[0] == 1);
    }
    CHECK(FB.submits == submits && !FB.out_of_range);
    CHECK(!(rd(&v, R_STATUS) & S_NEEDS_RESET));
    end("virtio_blk.request_errors");

    begin();
    {
        /* Header split 8+8, data in two pieces, through an indirect table. */
        blk_hdr(HDR, 0, 1);
        uint64_t t = TABLE;
        seg parts[5] = {{HDR, 8, 0},
                        {HDR + 8, 8, 0},
                        {DATA, 300, D_WRITE},
                        {DATA + 1000, 212, D_WRITE},
                        {STATUS, 1, D_WRITE}};
        for (int i = 0; i < 5; i++) {
            put64(t + 16 * i, parts[i].pa);
            put32(t + 16 * i + 8, parts[i].len);
            put16(t + 16 * i + 12, (uint16_t)(parts[i].flags | (i < 4 ? D_NEXT : 0)));
            put16(t + 16 * i + 14, (uint16_t)(i + 1));
        }
        P(STATUS)[0] = 0xee;
        memset(P(DATA), 0, 2048);
        seg ind = {TABLE, 5 * 16, D_INDIRECT};
        add_chain(&v, 0, &ind, 1);
        notify(&v, 0);
        CHECK(P(STATUS)[0] == 0);
        CHECK(memcmp(P(DATA), FB.disk + 512, 300) == 0);
        CHECK(memcmp(P(DATA + 1000), FB.disk + 512 + 300, 212) == 0);
        used_elem(&v, 0, (uint16_t)(used_idx(&v, 0) - 1), &id, &len);
        CHECK(len == 513);
    }
    end("virtio_blk.indirect_split_header");

    begin();
    CHECK(drv_init(&v, ~0ull, 1, 16)); /* with EVENT_IDX */
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(v.irq.level == 1);                     /* first completion always signals */
    CHECK(get16(v.q[0].used + 4 + 8 * 16) == 1); /* avail_event = next avail index */
    wr(&v, R_ACK, 1);
    put16(v.q[0].avail + 4 + 2 * 16, 2); /* used_event: interrupt when used idx passes 2 */
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 2 && v.irq.level == 0);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 3 && v.irq.level == 1);
    CHECK(get16(v.q[0].used + 4 + 8 * 16) == 3);
    wr(&v, R_ACK, 1);
    /* Without EVENT_IDX, VIRTQ_AVAIL_F_NO_INTERRUPT suppresses. */
    CHECK(drv_init(&v, ~0ull & ~F_EVENT_IDX, 1, 16));
    put16(v.q[0].avail, 1);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 1 && v.irq.level == 0);
    put16(v.q[0].avail, 0);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(v.irq.level == 1);
    wr(&v, R_ACK, 1);
    end("virtio_blk.event_idx_and_suppression");

    begin();
    FB.defer = true;
    FB.npending = 0;
    CHECK(drv_init(&v, ~0ull, 1, 16));
    uint64_t d2 = DATA + 4096;
    uint16_t h1 = blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    blk_hdr(HDR + 64, 0, 5); /* a second request with its own header/status */
    P(STATUS + 1)[0] = 0xee;
    seg s2[3] = {{HDR + 64, 16, 0}, {d2, 512, D_WRITE}, {STATUS + 1, 1, D_WRITE}};
    uint16_t h2 = add_chain(&v, 0, s2, 3);
    notify(&v, 0);
    CHECK(FB.npending == 2 && used_idx(&v, 0) == 0 && v.irq.level == 0);
    CHECK(!virtio_idle(v.d.opaque));
    fblk_do(&FB, FB.pending[1]); /* out of order */
    CHECK(used_idx(&v, 0) == 1 && v.irq.level == 1);
    used_elem(&v, 0, 0, &id, &len);
    CHECK(id == h2 && P(STATUS + 1)[0] == 0 && P(STATUS)[0] == 0xee);
    CHECK(memcmp(P(d2), FB.disk + 5 * 512, 512) == 0);
    fblk_do(&FB, FB.pending[0]);
    used_elem(&v, 0, 1, &id, &len);
    CHECK(used_idx(&v, 0) == 2 && id == h1 && P(STATUS)[0] == 0);
    /* A reset with a request in flight: its completion is dropped. */
    FB.npending = 0;
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(FB.npending == 1);
    CHECK(drv_init(&v, ~0ull, 1, 16)); /* reset and fresh rings */
    P(STATUS)[0] = 0xee;
    fblk_do(&FB, FB.pending[0]);
    CHECK(used_idx(&v, 0) == 0 && P(STATUS)[0] == 0xee);
    CHECK(virtio_idle(v.d.opaque));
    FB.npending = 0;
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(FB.npending == 1 && !virtio_idle(v.d.opaque));
    FB.defer = false;
    fblk_do(&FB, FB.pending[0]);
    CHECK(used_idx(&v, 0) == 1 && virtio_idle(v.d.opaque));
    end("virtio_blk.deferred_completion_and_reset");

    begin();
    CHECK(drv_init(&v, ~0ull, 1, 16));
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    rv_snap s;
    snap_init_save(&s);
    v.d.snapshot(v.d.opaque, &s);
    CHECK(!s.error);
    v.d.reset(v.d.opaque);
    CHECK(rd(&v, R_STATUS) == 0);
    rv_snap l;
    snap_init_load(&l, s.buf, s.len);
    v.d.snapshot(v.d.opaque, &l);
    CHECK(!l.error && rd(&v, R_STATUS) == 15);
    wr(&v, R_QSEL, 0);
    CHECK(rd(&v, R_QREADY) == 1);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 2 && P(STATUS)[0] == 0);
    snap_free(&s);
    end("virtio_blk.snapshot");
    v.d.destroy(v.d.opaque);

    begin();
    {
        /* Two disks in one snapshot keep their own state. */
        drv a, b;
        blk_new(&a, false);
        blk_new(&b, false);
        b.d = virtio_device(b.d.opaque, 0x10002000);
        CHECK(drv_init(&a, ~0ull, 1, 8));
        wr(&b, R_STATUS, 1);
        rv_snap s2;
        snap_init_save(&s2);
        a.d.snapshot(a.d.opaque, &s2);
        b.d.snapshot(b.d.opaque, &s2);
        a.d.reset(a.d.opaque);
        rv_snap l2;
        snap_init_load(&l2, s2.buf, s2.len);
        a.d.snapshot(a.d.opaque, &l2);
        b.d.snapshot(b.d.opaque, &l2);
        CHECK(!l2.error && rd(&a, R_STATUS) == 15 && rd(&b, R_STATUS) == 1);
        snap_free(&s2);
        a.d.destroy(a.d.opaque);
        b.d.destroy(b.d.opaque);
    }
    end("virtio_blk.snapshot_two_devices");

    begin();
    {
        /* A snapshot taken with a request in flight: the restored device
         * submits the chain again and the driver gets its completion. */
        drv a, b;
        blk_new(&a, false);
        CHECK(drv_init(&a, ~0ull, 1, 16));
        FB.defer = true;
        FB.npending = 0;
        memset(P(DATA), 0, 512);
        uint16_t head = blk_req(&a, 0, 6, DATA, 512, true);
        notify(&a, 0);
        CHECK(FB.npending == 1 && used_idx(&a, 0) == 0);
        rv_snap s3;
        snap_init_save(&s3);
        a.d.snapshot(a.d.opaque, &s3);
        a.d.destroy(a.d.opaque); /* the old machine is gone ... */
        FB.npending = 0;         /* ... and so is its backend's queue */
        FB.defer = false;
        blk_new(&b, false);
        b.q[0] = a.q[0];
        rv_snap l3;
        snap_init_load(&l3, s3.buf, s3.len);
        b.d.snapshot(b.d.opaque, &l3);
        CHECK(!l3.error && rd(&b, R_STATUS) == 15);
        CHECK(!virtio_idle(b.d.opaque) && used_idx(&b, 0) == 0);
        b.d.poll(b.d.opaque);
        uint32_t id3, len3;
        used_elem(&b, 0, 0, &id3, &len3);
        CHECK(used_idx(&b, 0) == 1 && id3 == head && len3 == 513 && P(STATUS)[0] == 0);
        CHECK(memcmp(P(DATA), FB.disk + 6 * 512, 512) == 0);
        CHECK(virtio_idle(b.d.opaque) && b.irq.level == 1);
        b.d.poll(b.d.opaque); /* only once */
        CHECK(used_idx(&b, 0) == 1);
        snap_free(&s3);
        b.d.destroy(b.d.opaque);
    }
    end("virtio_blk.snapshot_with_request_in_flight");

    begin();
    blk_new(&v, true);
    CHECK(dev_features(&v) & (1u << 5));
    CHECK(drv_init(&v, ~0ull, 1, 8));
    blk_req(&v, 1, 0, DATA, 512, false);
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 1);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(P(STATUS)[0] == 0);
    end("virtio_blk.read_only");
    v.d.destroy(v.d.opaque);
}

/* Each hostile case on a fresh, initialised device: the device must flag
 * NEEDS_RESET (with a config interrupt) and touch nothing outside RAM. */
static bool broken_after(drv *v)
{
    return (rd(v, R_STATUS) & S_NEEDS_RESET) && (rd(v, R_ISR) & 2) && v->irq.level;
}

static void put_desc(drv *v, uint64_t table, uint16_t i, uint64_t pa, uint32_t len, uint16_t flags,
                     uint16_t next)
{
    (void)v;
    uint64_t d = table + 16ull * i;
    put64(d, pa);
    put32(d + 8, len);
    put16(d + 12, flags);
    put16(d + 14, next);
}

static void push_head(drv *v, uint16_t head)
{
    vq_drv *q = &v->q[0];
    put16(q->avail + 4 + 2ull * (q->avail_idx % q->num), head);
    q->avail_idx++;
    put16(q->avail + 2, q->avail_idx);
}

static void test_blk_hostile(void)
{
    drv v;
    int submits = FB.submits;

    begin();
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    blk_hdr(HDR, 0, 0);
    put_desc(&v, v.q[0].desc, 0, HDR, 16, D_NEXT, 1);
    put_desc(&v, v.q[0].desc, 1, DATA, 512, D_NEXT | D_WRITE, 0); /* back to 0: a loop */
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v) && used_idx(&v, 0) == 0);
    notify(&v, 0); /* ignored while broken */
    CHECK(used_idx(&v, 0) == 0);
    CHECK(drv_init(&v, ~0ull, 1, 8)); /* a reset brings it back */
    CHECK(!(rd(&v, R_STATUS) & S_NEEDS_RESET) && v.irq.level == 0);
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 1 && P(STATUS)[0] == 0);
    v.d.destroy(v.d.opaque);
    end("virtio_blk.hostile_loop_then_reset");

    begin();
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    put_desc(&v, v.q[0].desc, 0, HDR, 16, D_NEXT, 9); /* next beyond the table */
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    push_head(&v, 8); /* head beyond the table */
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    blk_req(&v, 0, 0, DATA, 512, true); /* a valid first chain ... */
    put16(v.q[0].avail + 2, 9);         /* ... but 9 chains in a ring of 8 */
    notify(&v, 0);
    CHECK(broken_after(&v) && used_idx(&v, 0) == 0);
    v.d.destroy(v.d.opaque);
    end("virtio_blk.hostile_indices");

    begin();
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    put_desc(&v, TABLE, 0, HDR, 16, D_NEXT, 1);
    put_desc(&v, TABLE, 1, TABLE + 64, 32, D_INDIRECT, 0); /* indirect in indirect */
    put_desc(&v, v.q[0].desc, 0, TABLE, 32, D_INDIRECT, 0);
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    put_desc(&v, v.q[0].desc, 0, TABLE, 24, D_INDIRECT, 0); /* not a multiple of 16 */
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    put_desc(&v, v.q[0].desc, 0, RAM_BASE + RAM_SIZE - 16, 32, D_INDIRECT, 0); /* off RAM */
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    for (uint16_t i = 0; i < 4; i++) /* a loop inside an indirect table */
        put_desc(&v, TABLE, i, HDR, 16, D_NEXT, (uint16_t)((i + 1) % 4));
    put_desc(&v, v.q[0].desc, 0, TABLE, 64, D_INDIRECT, 0);
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    put_desc(&v, v.q[0].desc, 0, TABLE, 16 * 4096, D_INDIRECT, 0); /* absurd table */
    push_head(&v, 0);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    end("virtio_blk.hostile_indirect");

    begin();
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    blk_hdr(HDR, 0, 0);
    seg s[2] = {{HDR, 16, 0}, {RAM_BASE + RAM_SIZE, 1, D_WRITE}}; /* status off RAM */
    add_chain(&v, 0, s, 2);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    seg s1[1] = {{HDR, 16, 0}}; /* no status byte at all */
    add_chain(&v, 0, s1, 1);
    notify(&v, 0);
    CHECK(broken_after(&v));
    v.d.destroy(v.d.opaque);
    end("virtio_blk.hostile_status");

    begin();
    blk_new(&v, false);
    drv_init(&v, ~0ull, 1, 8);
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 3);
    wr(&v, R_STATUS, 11);
    CHECK(!setup_queue(&v, 0, 3) && (rd(&v, R_STATUS) & S_NEEDS_RESET)); /* not a power of 2 */
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 11);
    CHECK(!setup_queue(&v, 0, 512) && (rd(&v, R_STATUS) & S_NEEDS_RESET)); /* > max */
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 11);
    CHECK(!setup_queue(&v, 0, 0));
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 11);
    wr(&v, R_QSEL, 0);
    wr(&v, R_QNUM, 256);
    wr(&v, R_QDESC, (uint32_t)(RAM_BASE + RAM_SIZE - 2048)); /* table runs past RAM */
    wr(&v, R_QAVAIL, (uint32_t)RAM_BASE);
    wr(&v, R_QUSED, (uint32_t)(RAM_BASE + 0x8000));
    wr(&v, R_QREADY, 1);
    CHECK(rd(&v, R_QREADY) == 0 && (rd(&v, R_STATUS) & S_NEEDS_RESET));
    wr(&v, R_STATUS, 0);
    wr(&v, R_STATUS, 11);
    wr(&v, R_QNUM, 8);
    wr(&v, R_QDESC, (uint32_t)(RAM_BASE + 8)); /* §2.7: 16-byte aligned table */
    wr(&v, R_QREADY, 1);
    CHECK(rd(&v, R_QREADY) == 0 && (rd(&v, R_STATUS) & S_NEEDS_RESET));
    wr(&v, R_STATUS, 0);
    CHECK(drv_init(&v, ~0ull, 1, 8));
    wr(&v, R_QSEL, 0);
    wr(&v, R_QNUM, 256); /* frozen while the queue is ready */
    blk_req(&v, 0, 0, DATA, 512, true);
    notify(&v, 0);
    CHECK(used_idx(&v, 0) == 1 && P(STATUS)[0] == 0);
    wr(&v, R_QSEL, 7);
    wr(&v, R_QREADY, 1); /* no such queue */
    wr(&v, R_NOTIFY, 5);
    wr(&v, R_NOTIFY, 0xffffffffu);
    CHECK(!(rd(&v, R_STATUS) & S_NEEDS_RESET));
    v.d.destroy(v.d.opaque);
    end("virtio_blk.hostile_queue_setup");
    begin();
    CHECK(FB.submits == submits + 2 && !FB.out_of_range); /* the two valid requests */
    end("virtio_blk.hostile_never_reached_backend");
}

/* ---- fake net backend ---- */
typedef struct fnet {
    uint8_t sent[8][2048];
    size_t sent_len[8];
    int nsent;
    uint8_t rxq[8][2048];
    size_t rxq_len[8];
    int rx_head, rx_tail;
    bool link;
} fnet;

static void fnet_send(void *opaque, const uint8_t *frame, size_t len)
{
    fnet *n = opaque;
    if (n->nsent < 8 && len <= 2048) {
        memcpy(n->sent[n->nsent], frame, len);
        n->sent_len[n->nsent] = len;
    }
    n->nsent++;
}

/* Returns the frame's true length even when longer than max (a hostile
 * backend); copies at most max. */
static size_t fnet_recv(void *opaque, uint8_t *buf, size_t max)
{
    fnet *n = opaque;
    if (n->rx_head == n->rx_tail)
        return 0;
    int i = n->rx_head++ % 8;
    size_t len = n->rxq_len[i];
    memcpy(buf, n->rxq[i], len < max ? len : max);
    return len;
}

static bool fnet_link(void *opaque)
{
    return ((fnet *)opaque)->link;
}

static void fnet_queue(fnet *n, size_t len, uint8_t seed)
{
    int i = n->rx_tail++ % 8;
    for (size_t k = 0; k < len && k < 2048; k++)
        n->rxq[i][k] = (uint8_t)(seed + k);
    n->rxq_len[i] = len;
}

static fnet FN;

static void net_new(drv *v)
{
    memset(v, 0, sizeof(*v));
    rv_netdev nd = {.opaque = &FN,
                    .send = fnet_send,
                    .recv = fnet_recv,
                    .link_up = fnet_link,
                    .mac = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}};
    virtio_mmio *m =
        virtio_net_create(&DMA, &nd, (rv_irq_line){.set = irq_set, .ctx = &v->irq, .num = 2});
    v->d = virtio_device(m, 0x10002000);
}

#define F_MRG (1ull << 15)
#define RXBUF 0x80070000ull
#define TXBUF 0x80090000ull

static void post_rx(drv *v, uint64_t pa, uint32_t len)
{
    seg s = {pa, len, D_WRITE};
    add_chain(v, 0, &s, 1);
}

static bool frame_ok(const uint8_t *p, size_t len, uint8_t seed)
{
    for (size_t k = 0; k < len; k++)
        if (p[k] != (uint8_t)(seed + k))
            return false;
    return true;
}

static void test_net(void)
{
    drv v;
    memset(&FN, 0, sizeof(FN));
    FN.link = true;
    net_new(&v);

    begin();
    CHECK(rd(&v, R_DEVID) == 1);
    uint64_t f = dev_features(&v);
    CHECK((f & (1u << 5)) && (f & (1u << 16)) && (f & F_MRG) && (f & F_VERSION_1));
    CHECK(!(f & 1)); /* no checksum offload */
    CHECK(rd(&v, R_CONFIG) == 0x12005452 && (rd(&v, R_CONFIG + 4) & 0xffff) == 0x5634);
    CHECK((rd(&v, R_CONFIG + 4) >> 16) == 1); /* link up */
    end("virtio_net.identity_config");

    begin();
    CHECK(drv_init(&v, ~0ull & ~F_MRG, 2, 16));
    memset(P(TXBUF), 0, 12);
    for (int k = 0; k < 60; k++)
        P(TXBUF + 12)[k] = (uint8_t)(0x40 + k);
    seg s[2] = {{TXBUF, 12, 0}, {TXBUF + 12, 60, 0}};
    add_chain(&v, 1, s, 2);
    notify(&v, 1);
    CHECK(FN.nsent == 1 && FN.sent_len[0] == 60 && frame_ok(FN.sent[0], 60, 0x40));
    CHECK(used_idx(&v, 1) == 1 && v.irq.level == 1);
    wr(&v, R_ACK, 1);
    seg one = {TXBUF, 12 + 1514, 0}; /* header and frame in one buffer */
    add_chain(&v, 1, &one, 1);
    notify(&v, 1);
    CHECK(FN.nsent == 2 && FN.sent_len[1] == 1514);
    end("virtio_net.transmit");

    begin();
    seg small = {TXBUF, 12 + 10, 0};
    add_chain(&v, 1, &small, 1);
    seg big = {TXBUF, 12 + 2000, 0};
    add_chain(&v, 1, &big, 1);
    seg hdr_only = {TXBUF, 8, 0};
    add_chain(&v, 1, &hdr_only, 1);
    seg off_ram = {RAM_BASE + RAM_SIZE - 30, 100, 0};
    add_chain(&v, 1, &off_ram, 1);
    notify(&v, 1);
    virtio_net_stats st = virtio_net_get_stats(v.d.opaque);
    CHECK(FN.nsent == 2 && st.tx_dropped == 4 && st.tx_frames == 2);
    CHECK(used_idx(&v, 1) == 6); /* every chain still comes back */
    CHECK(!(rd(&v, R_STATUS) & S_NEEDS_RESET));
    end("virtio_net.transmit_drops");

    begin();
    post_rx(&v, RXBUF, 1526);
    post_rx(&v, RXBUF + 0x1000, 1526);
    fnet_queue(&FN, 100, 1);
    fnet_queue(&FN, 1514, 2);
    fnet_queue(&FN, 60, 3); /* no buffer left for this one yet */
    wr(&v, R_ACK, 3);
    v.d.poll(v.d.opaque);
    uint32_t id, len;
    CHECK(used_idx(&v, 0) == 2);
    used_elem(&v, 0, 0, &id, &len);
    CHECK(len == 112 && get16(RXBUF + 10) == 1 && frame_ok(P(RXBUF + 12), 100, 1));
    used_elem(&v, 0, 1, &id, &len);
    CHECK(len == 1526 && frame_ok(P(RXBUF + 0x1000 + 12), 1514, 2));
    CHECK(v.irq.level == 1);
    CHECK(FN.rx_head == 2); /* the third stays with the host */
    post_rx(&v, RXBUF, 1526);
    notify(&v, 0); /* posting buffers also receives */
    CHECK(used_idx(&v, 0) == 3 && frame_ok(P(RXBUF + 12), 60, 3));
    end("virtio_net.receive");

    begin();
    fnet_queue(&FN, 10, 4);   /* runt */
    fnet_queue(&FN, 1600, 5); /* too long */
    fnet_queue(&FN, 200, 6);  /* fine, but the buffer below is too small */
    post_rx(&v, RXBUF, 100);
    v.d.poll(v.d.opaque);
    st = virtio_net_get_stats(v.d.opaque);
    CHECK(st.rx_dropped == 3 && st.rx_frames == 3);
    used_elem(&v, 0, 3, &id, &len);
    CHECK(used_idx(&v, 0) == 4 && len == 0);
    end("virtio_net.receive_drops");

    begin();
    CHECK(drv_init(&v, ~0ull, 2, 16)); /* with MRG_RXBUF and EVENT_IDX */
    for (int i = 0; i < 4; i++)
        post_rx(&v, RXBUF + 0x1000ull * i, 600);
    fnet_queue(&FN, 1500, 7);
    v.d.poll(v.d.opaque);
    CHECK(used_idx(&v, 0) == 3);
    uint32_t l0, l1, l2;
    used_elem(&v, 0, 0, &id, &l0);
    used_elem(&v, 0, 1, &id, &l1);
    used_elem(&v, 0, 2, &id, &l2);
    CHECK(l0 == 600 && l1 == 600 && l2 == 312);
    CHECK(get16(RXBUF + 10) == 3); /* num_buffers */
    uint8_t frame[1600];
    memcpy(frame, P(RXBUF + 12), 588);
    memcpy(frame + 588, P(RXBUF + 0x1000), 600);
    memcpy(frame + 1188, P(RXBUF + 0x2000), 312);
    CHECK(frame_ok(frame, 1500, 7));
    /* One 600-byte buffer left: a 1500-byte frame waits for more. */
    fnet_queue(&FN, 1500, 8);
    v.d.poll(v.d.opaque);
    CHECK(used_idx(&v, 0) == 3);
    v.d.poll(v.d.opaque);
    CHECK(used_idx(&v, 0) == 3);
    post_rx(&v, RXBUF + 0x4000, 600);
    post_rx(&v, RXBUF + 0x5000, 600);
    v.d.poll(v.d.opaque);
    CHECK(used_idx(&v, 0) == 6 && get16(RXBUF + 0x3000 + 10) == 3);
    memcpy(frame, P(RXBUF + 0x3000 + 12), 588);
    memcpy(frame + 588, P(RXBUF + 0x4000), 600);
    memcpy(frame + 1188, P(RXBUF + 0x5000), 312);
    CHECK(frame_ok(frame, 1500, 8));
    end("virtio_net.receive_mergeable");

    begin();
    wr(&v, R_ACK, 3);
    uint32_t gen = rd(&v, R_CFGGEN);
    FN.link = false;
    v.d.poll(v.d.opaque);
    CHECK((rd(&v, R_CONFIG + 4) >> 16) == 0 && rd(&v, R_CFGGEN) != gen);
    CHECK((rd(&v, R_ISR) & 2) && v.irq.level == 1);
    wr(&v, R_ACK, 2);
    CHECK(v.irq.level == 0);
    FN.link = true;
    v.d.poll(v.d.opaque);
    CHECK((rd(&v, R_CONFIG + 4) >> 16) == 1 && (rd(&v, R_ISR) & 2));
    end("virtio_net.link_status");

    begin();
    /* A receive buffer outside RAM: the device gives up, nothing written. */
    CHECK(drv_init(&v, ~0ull, 2, 16));
    post_rx(&v, RAM_BASE + RAM_SIZE - 8, 1526);
    fnet_queue(&FN, 100, 9);
    v.d.poll(v.d.opaque);
    CHECK(rd(&v, R_STATUS) & S_NEEDS_RESET);
    end("virtio_net.hostile_rx_buffer");
    v.d.destroy(v.d.opaque);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    R.mem = malloc(RAM_SIZE);
    if (!R.mem)
        return 2;
    memset(R.mem, 0, RAM_SIZE);
    test_blk();
    test_blk_hostile();
    test_net();
    free(R.mem);
    return failures ? 1 : 0;
}
