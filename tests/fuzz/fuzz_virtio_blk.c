/* libFuzzer target for the virtio-mmio transport, virtio-blk and (flag bit 6)
 * virtio-net: the input
 * is a hostile guest. Layout:
 *   byte 0      flags: bit 0 backend completes later, bit 1 read-only disk,
 *               bits 2-3 queue size (8, 16, 256, or the raw value in byte 2),
 *               bit 4 negotiate EVENT_IDX, bit 5 skip the standard setup,
 *               bit 6 a virtio-net device instead (same transport, queues 0
 *               and 1 at +0x0/+0x4000 desc; frames come from the disk bytes),
 *               bit 7 negotiate MRG_RXBUF (net)
 *   byte 1      n: number of MMIO operations
 *   byte 2      raw queue size (when bits 2-3 are 3)
 *   6n bytes    operations {le16 op, le32 value}; op < 0x200 is a register
 *               write at that offset, above are: complete deferred requests,
 *               poll, snapshot round trip, device reset
 *   rest        guest RAM contents (64 KiB at 0x80000000; rings live at
 *               0x80000000 desc, 0x80001000 avail, 0x80002000 used)
 * The fake DMA and backend abort on any pointer outside RAM or any
 * out-of-range disk access the device should have refused; ASan/UBSan
 * catch the rest. Build with -DFUZZ_SEED_MAIN for a program that writes
 * seed inputs (one valid read, write, flush and an indirect request). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio.h"

#define RAM_BASE 0x80000000ull
#define RAM_SIZE 0x10000u
#define DISK_SIZE (32 * 512)
#define MAX_PENDING 256
#define HEADER 3

typedef struct world {
    uint8_t *ram;
    unsigned frames; /* net: frames handed to the device this run */
    uint8_t disk[DISK_SIZE];
    bool defer;
    rv_blk_req *pending[MAX_PENDING];
    int npending;
    int irq;
} world;

static uint8_t *w_map(void *ctx, uint64_t pa, uint64_t len)
{
    world *w = ctx;
    if (pa < RAM_BASE || len > RAM_SIZE || pa - RAM_BASE > RAM_SIZE - len)
        return NULL;
    return w->ram + (pa - RAM_BASE);
}

static void w_dirty(void *ctx, uint64_t pa, uint64_t len)
{
    (void)ctx;
    if (pa < RAM_BASE || len > RAM_SIZE || pa - RAM_BASE > RAM_SIZE - len)
        abort(); /* the device reported a write outside RAM */
}

static void w_irq(void *ctx, uint32_t num, int level)
{
    (void)num;
    ((world *)ctx)->irq = level;
}

static void do_io(world *w, rv_blk_req *req)
{
    uint64_t total = 0;
    for (int i = 0; i < req->iovcnt; i++) {
        uint8_t *b = req->iov[i].base;
        size_t l = req->iov[i].len;
        if (b < w->ram || b > w->ram + RAM_SIZE || l > (size_t)(w->ram + RAM_SIZE - b))
            abort(); /* an iovec outside guest RAM */
        total += l;
    }
    if (req->type != RV_BLK_FLUSH && (req->offset > DISK_SIZE || total > DISK_SIZE - req->offset))
        abort(); /* the device should have answered IOERR itself */
    uint64_t off = req->offset;
    for (int i = 0; i < req->iovcnt; i++) {
        if (req->type == RV_BLK_READ)
            memcpy(req->iov[i].base, w->disk + off, req->iov[i].len);
        else if (req->type == RV_BLK_WRITE)
            memcpy(w->disk + off, req->iov[i].base, req->iov[i].len);
        off += req->iov[i].len;
    }
    req->complete(req, (int)(off & 1)); /* OK or IOERR, both paths */
}

static void w_submit(void *opaque, rv_blk_req *req)
{
    world *w = opaque;
    if (w->defer && w->npending < MAX_PENDING)
        w->pending[w->npending++] = req;
    else
        do_io(w, req);
}

static void complete_all(world *w, bool reverse)
{
    while (w->npending) {
        rv_blk_req *r;
        if (reverse) {
            r = w->pending[--w->npending];
        } else {
            r = w->pending[0];
            memmove(w->pending, w->pending + 1, (size_t)(w->npending - 1) * sizeof(*w->pending));
            w->npending--;
        }
        do_io(w, r);
    }
}

static void wr(rv_device *d, uint64_t off, uint32_t v)
{
    d->write(d->opaque, off, 4, v);
}

/* Net backend: frames cut from the disk image, lengths from its bytes,
 * including hostile ones (runts, giants, a length above max). */
static size_t n_recv(void *opaque, uint8_t *buf, size_t max)
{
    world *w = opaque;
    if (w->frames >= 8)
        return 0;
    size_t len = (size_t)w->disk[w->frames] * 8 + w->disk[w->frames + 8];
    size_t copy = len < max ? len : max;
    memcpy(buf, w->disk + 64, copy < DISK_SIZE - 64 ? copy : DISK_SIZE - 64);
    w->frames++;
    return len;
}

static void n_send(void *opaque, const uint8_t *frame, size_t len)
{
    world *w = opaque;
    if (len < 14 || len > 1518)
        abort(); /* the device must drop these itself */
    w->disk[0] ^= frame[len - 1];
}

static bool n_link(void *opaque)
{
    world *w = opaque; /* disk[2]: link-down mask over the frames received */
    return !(w->disk[2] & (1u << (w->frames & 7)));
}

static void setup_queue(rv_device *d, int q, uint32_t num)
{
    uint32_t base = (uint32_t)RAM_BASE + (uint32_t)q * 0x4000;
    wr(d, 0x30, (uint32_t)q);
    wr(d, 0x38, num);
    wr(d, 0x80, base);
    wr(d, 0x90, base + 0x1000);
    wr(d, 0xa0, base + 0x2000);
    wr(d, 0x44, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static world w;
    if (size < HEADER)
        return 0;
    if (!w.ram)
        w.ram = malloc(RAM_SIZE);
    memset(w.ram, 0, RAM_SIZE);
    memset(w.disk, 0x5a, sizeof(w.disk));
    w.npending = 0;
    uint8_t flags = data[0];
    size_t nops = data[1];
    static const uint32_t sizes[3] = {8, 16, 256};
    uint32_t qnum = ((flags >> 2) & 3) == 3 ? data[2] : sizes[(flags >> 2) & 3];
    if (size < HEADER + 6 * nops)
        nops = (size - HEADER) / 6;
    const uint8_t *ops = data + HEADER;
    size_t ram_off = HEADER + 6 * nops, ram_len = size - ram_off;
    memcpy(w.ram, data + ram_off, ram_len < RAM_SIZE ? ram_len : RAM_SIZE);
    w.defer = flags & 1;

    w.frames = 0;
    bool net = flags & 0x40;
    if (net && ram_len > RAM_SIZE) /* net frames come from the bytes after RAM */
        memcpy(w.disk, data + ram_off + RAM_SIZE,
               ram_len - RAM_SIZE < DISK_SIZE ? ram_len - RAM_SIZE : DISK_SIZE);

    rv_dma dma = {.ctx = &w, .map = w_map, .dirty = w_dirty};
    rv_irq_line irq = {.set = w_irq, .ctx = &w};
    virtio_mmio *v;
    if (net) {
        rv_netdev nd = {.opaque = &w, .send = n_send, .recv = n_recv, .link_up = n_link};
        v = virtio_net_create(&dma, &nd, irq);
    } else {
        rv_blockdev bd = {
            .opaque = &w, .size = DISK_SIZE, .readonly = flags & 2, .submit = w_submit};
        v = virtio_blk_create(&dma, &bd, irq);
    }
    rv_device d = virtio_device(v, 0x10001000);

    if (!(flags & 0x20)) {
        wr(&d, 0x70, 3);
        wr(&d, 0x24, 0);
        wr(&d, 0x20,
           (1u << 28) | (1u << 9) | (1u << 5) | ((flags & 0x80) ? 1u << 15 : 0) |
               ((flags & 0x10) ? 1u << 29 : 0));
        wr(&d, 0x24, 1);
        wr(&d, 0x20, 1);
        wr(&d, 0x70, 11);
        setup_queue(&d, 0, qnum);
        if (net)
            setup_queue(&d, 1, qnum);
        wr(&d, 0x70, 15);
        wr(&d, 0x50, 0);
        if (net)
            wr(&d, 0x50, 1);
    }
    for (size_t i = 0; i < nops; i++) {
        const uint8_t *o = ops + 6 * i;
        uint16_t op = (uint16_t)(o[0] | (o[1] << 8));
        uint32_t val = (uint32_t)o[2] | ((uint32_t)o[3] << 8) | ((uint32_t)o[4] << 16) |
                       ((uint32_t)o[5] << 24);
        uint64_t x;
        switch (op) {
        case 0x200: complete_all(&w, false); break;
        case 0x201: complete_all(&w, true); break;
        case 0x202: d.poll(d.opaque); break;
        case 0x203: {
            rv_snap s, l;
            snap_init_save(&s);
            d.snapshot(d.opaque, &s);
            if (snap_init_load(&l, s.buf, s.len))
                d.snapshot(d.opaque, &l);
            snap_free(&s);
            break;
        }
        case 0x204: d.reset(d.opaque); break;
        case 0x205: /* scribble RAM between operations, as a running guest does */
            w.ram[val % RAM_SIZE] = (uint8_t)(val >> 24);
            break;
        default:
            if (op < 0x200) {
                d.write(d.opaque, op, 4, val);
                d.read(d.opaque, op, (val >> 30) ? 4 : 1, &x);
            }
            break;
        }
    }
    complete_all(&w, false); /* a backend must finish before destroy */
    d.destroy(d.opaque);
    return 0;
}

#ifdef FUZZ_SEED_MAIN
/* Seeds: valid requests in the standard layout, so the fuzzer starts from
 * rings that work and mutates them. */
static size_t seed(uint8_t *buf, int kind)
{
    size_t n = 0;
    buf[n++] = kind == 3 ? 0x11 : 0x00; /* kind 3: deferred + event idx */
    buf[n++] = 2;
    buf[n++] = 0;
    uint8_t opsb[12] = {0x00, 0x02, 0, 0, 0, 0, 0x50, 0x00, 0, 0, 0, 0}; /* complete; notify 0 */
    memcpy(buf + n, opsb, 12);
    n += 12;
    uint8_t *ram = buf + n;
    memset(ram, 0, 0x4000);
    /* desc table at 0, avail at 0x1000, used at 0x2000; buffers at 0x3000 */
    uint64_t hdr = RAM_BASE + 0x3000, dat = RAM_BASE + 0x3200, st = RAM_BASE + 0x3100;
    uint32_t type = kind == 1 ? 1 : kind == 2 ? 4 : 0;
    memcpy(ram + 0x3000, &type, 4);
    uint64_t sector = 2;
    memcpy(ram + 0x3008, &sector, 8);
    struct {
        uint64_t a;
        uint32_t l;
        uint16_t f, nx;
    } dd[3] = {{hdr, 16, 1, 1}, {dat, 512, (uint16_t)(kind == 1 ? 1 : 3), 2}, {st, 1, 2, 0}};
    if (kind == 2) {
        dd[0].nx = 2; /* flush: header then status */
    }
    if (kind == 4) { /* the same read through an indirect table at 0x3800 */
        memcpy(ram + 0x3800, dd, sizeof(dd));
        dd[0].a = RAM_BASE + 0x3800;
        dd[0].l = sizeof(dd);
        dd[0].f = 4;
        dd[0].nx = 0;
        memcpy(ram, dd, 16);
    } else {
        memcpy(ram, dd, sizeof(dd));
    }
    ram[0x1002] = 1; /* avail idx 1, ring[0] = 0 */
    if (kind >= 5) {
        /* Net (kind 6 with MRG_RXBUF): receive buffers of 1600 bytes on
         * queue 0, a 12+60 byte frame to send on queue 1, then frames of
         * 60 and 1514 bytes from the backend. */
        buf[0] = kind == 6 ? 0xc0 : 0x40;
        memset(ram, 0, RAM_SIZE);
        for (int i = 0; i < 2; i++) {
            uint64_t a = RAM_BASE + 0x5000 + 0x800ull * i;
            uint32_t l = 1600;
            uint16_t f = 2, nx = 0;
            memcpy(ram + 16 * i, &a, 8);
            memcpy(ram + 16 * i + 8, &l, 4);
            memcpy(ram + 16 * i + 12, &f, 2);
            memcpy(ram + 16 * i + 14, &nx, 2);
            ram[0x1004 + 2 * i] = (uint8_t)i;
        }
        ram[0x1002] = 2;
        uint64_t a = RAM_BASE + 0x6000;
        uint32_t l = 72;
        memcpy(ram + 0x4000, &a, 8);
        memcpy(ram + 0x4008, &l, 4);
        ram[0x5002] = 1;
        uint8_t *disk = ram + RAM_SIZE;
        memset(disk, 0, 64 + 1600);
        disk[0] = 60 / 8;
        disk[1] = 1514 / 8;
        disk[8] = 60 % 8;
        disk[9] = 1514 % 8;
        return n + RAM_SIZE + 64 + 1600;
    }
    return n + 0x4000;
}

int main(int argc, char **argv)
{
    static uint8_t buf[0x20000];
    const char *dir = argc > 1 ? argv[1] : ".";
    for (int k = 0; k < 7; k++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/seed%d", dir, k);
        FILE *f = fopen(path, "wb");
        if (!f)
            return 1;
        fwrite(buf, 1, seed(buf, k), f);
        fclose(f);
    }
    return 0;
}
#endif
