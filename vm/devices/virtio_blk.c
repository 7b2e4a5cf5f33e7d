/* virtio-blk (VirtIO 1.2 §5.2) over the virtio-mmio transport.
 *
 * One request queue. A request is a 16-byte header {le32 type, le32
 * reserved, le64 sector}, then data, then one status byte the device writes
 * last (§5.2.6). The chain is treated as a byte stream (§2.6.4: no framing
 * assumptions): the header is the first 16 readable bytes, OUT data the rest
 * of the readable bytes, IN data all writable bytes but the last, and the
 * status the last writable byte.
 *
 * Requests go to the rv_blockdev backend with iovecs pointing straight into
 * guest RAM. The backend may complete inside submit() or later; a reset
 * (or snapshot load) bumps the transport's generation, and completions of
 * older requests are then dropped instead of touching the new rings. A
 * snapshot records the heads of the requests in flight, and the restored
 * device submits those chains again at its first poll.
 *
 * Configuration space (§5.2.4): capacity (le64, 512-byte sectors) at 0,
 * seg_max at 12, blk_size at 20; the rest reads 0. */
#include <stdlib.h>
#include <string.h>

#include "devices/dev_util.h"
#include "devices/virtio_mmio.h"

/* Feature bits (§5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

/* Request types and status (§5.2.6). */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define SECTOR 512
#define BLK_ID_BYTES 20
#define BLK_SEG_MAX (VIRTQ_NUM_MAX - 2) /* header and status take two */
#define BLK_CONFIG_LEN 60

typedef struct blk_inflight blk_inflight;
struct blk_inflight {
    rv_blk_req req; /* first: complete() gets this pointer back */
    virtio_mmio *v;
    blk_inflight *prev, *next;
    uint32_t generation;
    uint16_t head;
    uint32_t used_len;
    uint8_t *status; /* host byte in guest RAM */
    uint64_t status_pa;
    uint64_t *iov_pa;
    rv_iovec iov[];
};

typedef struct vblk {
    rv_blockdev bd;
    uint64_t sectors;
    blk_inflight *inflight; /* requests the backend still holds */
    unsigned ninflight;
    /* Chains that were in flight when the loaded snapshot was saved: the
     * driver still waits for them, so the next poll submits them again
     * (reads and writes are idempotent; the guest does not touch a chain
     * the device owns). */
    uint16_t restored[VIRTQ_NUM_MAX];
    uint32_t nrestored;
} vblk;

static void unlink_inflight(vblk *b, blk_inflight *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        b->inflight = r->next;
    if (r->next)
        r->next->prev = r->prev;
    b->ninflight--;
}

/* Writes the status byte (last, §5.2.6), returns the chain to the driver. */
static void blk_complete(rv_blk_req *req, int status)
{
    blk_inflight *r = (blk_inflight *)req;
    virtio_mmio *v = r->v;
    vblk *b = v->dev;
    unlink_inflight(b, r);
    if (r->generation == v->generation) {
        if (status != RV_BLK_OK && status != RV_BLK_UNSUPP)
            status = RV_BLK_IOERR;
        if (status == RV_BLK_OK && req->type == RV_BLK_READ && v->dma.dirty)
            for (int i = 0; i < req->iovcnt; i++)
                v->dma.dirty(v->dma.ctx, r->iov_pa[i], req->iov[i].len);
        *r->status = (uint8_t)status;
        if (v->dma.dirty)
            v->dma.dirty(v->dma.ctx, r->status_pa, 1);
        vq_push(v, 0, r->head, r->used_len);
        vq_notify_guest(v, 0);
    }
    free(r->iov_pa);
    free(r);
}

/* Collects the [off, off+len) part of the readable (write=false) or
 * writable stream as iovecs. Returns the count. */
static int chain_iov(const vq_chain *c, bool write, uint64_t off, uint64_t len, rv_iovec *iov,
                     uint64_t *pa)
{
    int n = 0;
    for (int i = 0; i < c->nseg && len; i++) {
        const vq_seg *s = &c->seg[i];
        if (s->write != write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        uint64_t k = s->len - off;
        if (k > len)
            k = len;
        iov[n].base = s->host + off;
        iov[n].len = (size_t)k;
        pa[n] = s->pa + off;
        n++;
        len -= k;
        off = 0;
    }
    return n;
}

static bool in_range(const vblk *b, uint64_t sector, uint64_t bytes)
{
    return sector <= b->sectors && bytes / SECTOR <= b->sectors - sector;
}

static void handle_request(virtio_mmio *v, vq_chain *c)
{
    vblk *b = v->dev;
    /* The status byte: without a place for it the driver cannot be told. */
    uint64_t status_pa = 0;
    uint8_t *status = c->wlen ? vq_chain_wbyte(c, c->wlen - 1, &status_pa) : NULL;
    if (!status) {
        virtio_set_needs_reset(v);
        return;
    }
    blk_inflight *r = calloc(1, sizeof(*r) + (size_t)c->nseg * sizeof(rv_iovec));
    uint64_t *pa = calloc((size_t)c->nseg + 1, sizeof(uint64_t));
    if (!r || !pa) {
        free(r);
        free(pa);
        *status = VIRTIO_BLK_S_IOERR;
        vq_push(v, 0, c->head, 1);
        return;
    }
    r->v = v;
    r->generation = v->generation;
    r->head = c->head;
    r->used_len = 1;
    r->status = status;
    r->status_pa = status_pa;
    r->iov_pa = pa;
    r->req.iov = r->iov;
    r->req.complete = blk_complete;
    r->req.dev = v;
    r->next = b->inflight;
    if (b->inflight)
        b->inflight->prev = r;
    b->inflight = r;
    b->ninflight++;

    uint8_t hdr[16];
    if (c->bad || vq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr)) {
        blk_complete(&r->req, RV_BLK_IOERR);
        return;
    }
    uint32_t type = ld32(hdr);
    uint64_t sector = ld64(hdr + 8);
    uint64_t dlen;
    switch (type) {
    case VIRTIO_BLK_T_IN:
        dlen = c->wlen - 1;
        r->req.type = RV_BLK_READ;
        r->used_len = (uint32_t)(dlen + 1 > UINT32_MAX ? UINT32_MAX : dlen + 1);
        if (dlen % SECTOR || !in_range(b, sector, dlen)) {
            blk_complete(&r->req, RV_BLK_IOERR);
            return;
        }
        r->req.iovcnt = chain_iov(c, true, 0, dlen, r->iov, pa);
        break;
    case VIRTIO_BLK_T_OUT:
        dlen = c->rlen - sizeof(hdr);
        r->req.type = RV_BLK_WRITE;
        if (b->bd.readonly || dlen % SECTOR || !in_range(b, sector, dlen)) {
            blk_complete(&r->req, RV_BLK_IOERR);
            return;
        }
        r->req.iovcnt = chain_iov(c, false, sizeof(hdr), dlen, r->iov, pa);
        break;
    case VIRTIO_BLK_T_FLUSH:
        r->req.type = RV_BLK_FLUSH;
        r->req.iovcnt = 0;
        sector = 0;
        break;
    case VIRTIO_BLK_T_GET_ID: {
        /* A serial of up to 20 bytes, NUL-padded (§5.2.6.1). */
        static const char id[BLK_ID_BYTES] = "riscv-vm-virtio-blk";
        size_t n = c->wlen - 1 < BLK_ID_BYTES ? (size_t)(c->wlen - 1) : BLK_ID_BYTES;
        n = vq_chain_write(v, c, 0, id, n);
        r->used_len = (uint32_t)n + 1;
        blk_complete(&r->req, RV_BLK_OK);
        return;
    }
    default: blk_complete(&r->req, RV_BLK_UNSUPP); return;
    }
    r->req.offset = sector * SECTOR;
    if (r->req.type != RV_BLK_FLUSH && r->req.iovcnt == 0) {
        blk_complete(&r->req, RV_BLK_OK); /* zero-length transfer */
        return;
    }
    /* From here the backend owns r; it may already be freed on return. */
    b->bd.submit(b->bd.opaque, &r->req);
}

static void blk_notify(virtio_mmio *v, int q)
{
    (void)q;
    while (vq_pop(v, 0, &v->chain) == 1)
        handle_request(v, &v->chain);
}

static void blk_reset(virtio_mmio *v)
{
    /* In-flight requests stay with the backend; the generation drops them. */
    ((vblk *)v->dev)->nrestored = 0;
}

static void blk_poll(virtio_mmio *v)
{
    vblk *b = v->dev;
    uint32_t n = b->nrestored;
    b->nrestored = 0;
    for (uint32_t i = 0; i < n; i++)
        if (vq_walk(v, 0, b->restored[i], &v->chain) == 1)
            handle_request(v, &v->chain);
}

static void blk_snapshot(virtio_mmio *v, rv_snap *s)
{
    vblk *b = v->dev;
    uint8_t heads[2 * VIRTQ_NUM_MAX];
    uint32_t n = 0;
    if (!s->loading) {
        for (uint32_t i = 0; i < b->nrestored; i++)
            st16(heads + 2 * n++, b->restored[i]);
        for (blk_inflight *r = b->inflight; r && n < VIRTQ_NUM_MAX; r = r->next)
            if (r->generation == v->generation)
                st16(heads + 2 * n++, r->head);
    }
    snap_u32(s, "inflight_count", &n);
    if (n > VIRTQ_NUM_MAX) {
        s->error = true; /* a count we never write */
        return;
    }
    snap_bytes(s, "inflight_heads", heads, 2 * n);
    if (s->loading) {
        for (uint32_t i = 0; i < n; i++)
            b->restored[i] = ld16(heads + 2 * i);
        b->nrestored = n;
    }
}

static void blk_destroy(virtio_mmio *v)
{
    vblk *b = v->dev;
    for (blk_inflight *r = b->inflight, *next; r; r = next) {
        next = r->next;
        free(r->iov_pa);
        free(r);
    }
    free(b);
}

static const virtio_ops blk_ops = {
    .name = "virtio_blk",
    .device_id = 2,
    .nqueues = 1,
    .notify = blk_notify,
    .reset = blk_reset,
    .poll = blk_poll,
    .snapshot = blk_snapshot,
    .destroy = blk_destroy,
};

bool virtio_idle(const virtio_mmio *v)
{
    if (v->ops != &blk_ops)
        return true;
    const vblk *b = v->dev;
    return b->ninflight == 0 && b->nrestored == 0;
}

virtio_mmio *virtio_blk_create(const rv_dma *dma, const rv_blockdev *bd, rv_irq_line irq)
{
    if (!bd || !bd->submit)
        return NULL;
    vblk *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->bd = *bd;
    b->sectors = bd->size / SECTOR;
    uint64_t features = (1ull << VIRTIO_BLK_F_SEG_MAX) | (1ull << VIRTIO_BLK_F_BLK_SIZE) |
                        (1ull << VIRTIO_BLK_F_FLUSH);
    if (bd->readonly)
        features |= 1ull << VIRTIO_BLK_F_RO;
    virtio_mmio *v = virtio_mmio_new(&blk_ops, b, dma, irq, features);
    if (!v) {
        free(b);
        return NULL;
    }
    v->config_len = BLK_CONFIG_LEN;
    st64(v->config + 0, b->sectors);
    st32(v->config + 12, BLK_SEG_MAX);
    st32(v->config + 20, SECTOR);
    return v;
}
