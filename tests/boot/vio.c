/*
 * virtio-mmio v2 block driver for the boot test kernels (see vio.h).
 * One device at a time: the queue memory below is static.
 */
#include "vio.h"

#define MAX_SEGS 4

/* §2.7.6 available ring, §2.7.8 used ring. */
struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[VQ_SIZE];
    uint16_t used_event;
};
struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};
struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[VQ_SIZE];
    uint16_t avail_event;
};

static struct virtq_desc desc[VQ_SIZE] __attribute__((aligned(16)));
static struct virtq_avail avail __attribute__((aligned(2)));
static struct virtq_used used __attribute__((aligned(4)));
static struct virtq_desc indirect[MAX_SEGS + 2] __attribute__((aligned(16)));
static struct blk_req req_hdr;
static volatile uint8_t req_status;

struct virtq_desc *vblk_desc(void)
{
    return desc;
}

struct blk_req *vblk_req_header(void)
{
    return &req_hdr;
}

volatile uint8_t *vblk_req_status(void)
{
    return &req_status;
}

int vblk_find(int from, unsigned mask)
{
    for (int s = from; s < VIRTIO_SLOTS; s++) {
        if (!((mask >> s) & 1))
            continue;
        unsigned long b = VIRTIO_BASE + VIRTIO_STRIDE * (unsigned long)s;
        if (mmio_r32(b + VIRTIO_MAGIC) == 0x74726976u && mmio_r32(b + VIRTIO_DEVICE_ID) == 2)
            return s;
    }
    return -1;
}

static uint64_t read_features(struct vblk *d)
{
    vio_w(d, VIRTIO_DEVICE_FEATURES_SEL, 0);
    uint64_t lo = vio_r(d, VIRTIO_DEVICE_FEATURES);
    vio_w(d, VIRTIO_DEVICE_FEATURES_SEL, 1);
    uint64_t hi = vio_r(d, VIRTIO_DEVICE_FEATURES);
    return hi << 32 | lo;
}

int vblk_init(struct vblk *d, int slot, const char **why)
{
    struct vblk keep = *d;
    memset(d, 0, sizeof(*d));
    d->want_event_idx = keep.want_event_idx;
    d->queue_num = keep.queue_num;
    d->desc_addr = keep.desc_addr;
    d->slot = slot;
    d->base = VIRTIO_BASE + VIRTIO_STRIDE * (unsigned long)slot;
    if (vio_r(d, VIRTIO_MAGIC) != 0x74726976u || vio_r(d, VIRTIO_VERSION) != 2 ||
        vio_r(d, VIRTIO_DEVICE_ID) != 2) {
        *why = "not a virtio-mmio v2 block device";
        return -1;
    }
    /* §3.1.1 driver initialization, steps 1-8. */
    vio_w(d, VIRTIO_STATUS, 0);
    if (vio_r(d, VIRTIO_STATUS) != 0) {
        *why = "status does not read 0 after reset";
        return -1;
    }
    vio_w(d, VIRTIO_STATUS, VS_ACKNOWLEDGE);
    vio_w(d, VIRTIO_STATUS, VS_ACKNOWLEDGE | VS_DRIVER);
    d->offered = read_features(d);
    if (!(d->offered & (1ULL << VIRTIO_F_VERSION_1))) {
        *why = "VIRTIO_F_VERSION_1 not offered";
        return -1;
    }
    uint64_t accept = (1ULL << VIRTIO_F_VERSION_1) | (1ULL << VIRTIO_BLK_F_FLUSH) |
                      (1ULL << VIRTIO_BLK_F_RO) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
                      (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_F_INDIRECT_DESC);
    if (d->want_event_idx)
        accept |= 1ULL << VIRTIO_F_EVENT_IDX;
    d->features = d->offered & accept;
    vio_w(d, VIRTIO_DRIVER_FEATURES_SEL, 0);
    vio_w(d, VIRTIO_DRIVER_FEATURES, (uint32_t)d->features);
    vio_w(d, VIRTIO_DRIVER_FEATURES_SEL, 1);
    vio_w(d, VIRTIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
    vio_w(d, VIRTIO_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK);
    if (!(vio_r(d, VIRTIO_STATUS) & VS_FEATURES_OK)) {
        *why = "device refused FEATURES_OK";
        return -1;
    }

    /* §4.2.3.2 virtqueue configuration. */
    vio_w(d, VIRTIO_QUEUE_SEL, 0);
    if (vio_r(d, VIRTIO_QUEUE_READY) != 0) {
        *why = "queue 0 ready before setup";
        return -1;
    }
    uint32_t max = vio_r(d, VIRTIO_QUEUE_NUM_MAX);
    if (max < VQ_SIZE) {
        *why = "QueueNumMax too small";
        return -1;
    }
    memset(desc, 0, sizeof(desc));
    memset(&avail, 0, sizeof(avail));
    memset(&used, 0, sizeof(used));
    vio_w(d, VIRTIO_QUEUE_NUM, d->queue_num ? d->queue_num : VQ_SIZE);
    uint64_t a = d->desc_addr ? d->desc_addr : (uint64_t)(unsigned long)desc;
    vio_w(d, VIRTIO_QUEUE_DESC_LOW, (uint32_t)a);
    vio_w(d, VIRTIO_QUEUE_DESC_HIGH, (uint32_t)(a >> 32));
    a = (uint64_t)(unsigned long)&avail;
    vio_w(d, VIRTIO_QUEUE_DRIVER_LOW, (uint32_t)a);
    vio_w(d, VIRTIO_QUEUE_DRIVER_HIGH, (uint32_t)(a >> 32));
    a = (uint64_t)(unsigned long)&used;
    vio_w(d, VIRTIO_QUEUE_DEVICE_LOW, (uint32_t)a);
    vio_w(d, VIRTIO_QUEUE_DEVICE_HIGH, (uint32_t)(a >> 32));
    vio_w(d, VIRTIO_QUEUE_READY, 1);
    if (vio_r(d, VIRTIO_QUEUE_READY) != 1) {
        *why = "QueueReady does not read back 1";
        return -1;
    }
    fence();
    vio_w(d, VIRTIO_STATUS, VS_ACKNOWLEDGE | VS_DRIVER | VS_FEATURES_OK | VS_DRIVER_OK);

    /* §5.2.4 config: capacity (le64) at offset 0, read under a stable
     * generation count (§4.2.2, ConfigGeneration). */
    uint32_t gen;
    do {
        gen = vio_r(d, VIRTIO_CONFIG_GENERATION);
        d->capacity = (uint64_t)vio_r(d, VIRTIO_CONFIG + 4) << 32 | vio_r(d, VIRTIO_CONFIG);
    } while (gen != vio_r(d, VIRTIO_CONFIG_GENERATION));
    d->last_used = 0;
    d->avail_idx = 0;
    return 0;
}

static void fill(struct virtq_desc *t, int i, void *p, uint32_t len, uint16_t flags, int last)
{
    t[i].addr = (uint64_t)(unsigned long)p;
    t[i].len = len;
    t[i].flags = flags | (last ? 0 : VIRTQ_DESC_F_NEXT);
    t[i].next = last ? 0 : (uint16_t)(i + 1);
}

void vblk_submit(struct vblk *d, uint32_t type, uint64_t sector, const struct vseg *segs, int nseg)
{
    if (nseg > MAX_SEGS)
        die("vblk_submit: too many segments");
    req_hdr.type = type;
    req_hdr.reserved = 0;
    req_hdr.sector = sector;
    req_status = 0xff;
    uint16_t dflag =
        type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ? VIRTQ_DESC_F_WRITE : 0;
    /* The chain (direct: descriptors 0..n+1; indirect: the same shape in
     * a separate table behind descriptor 0, §2.7.5.3). */
    struct virtq_desc *t = d->use_indirect ? indirect : desc;
    int n = 0;
    fill(t, n++, &req_hdr, sizeof(req_hdr), 0, 0);
    for (int i = 0; i < nseg; i++)
        fill(t, n++, segs[i].buf, segs[i].len, dflag, 0);
    fill(t, n++, (void *)&req_status, 1, VIRTQ_DESC_F_WRITE, 1);
    if (d->use_indirect) {
        desc[0].addr = (uint64_t)(unsigned long)indirect;
        desc[0].len = (uint32_t)(n * sizeof(struct virtq_desc));
        desc[0].flags = VIRTQ_DESC_F_INDIRECT;
        desc[0].next = 0;
    }
    vblk_post(d, 0);
}

void vblk_post(struct vblk *d, uint16_t head)
{
    avail.ring[d->avail_idx % VQ_SIZE] = head;
    fence();
    d->avail_idx++;
    avail.idx = d->avail_idx;
    fence();
    vio_w(d, VIRTIO_QUEUE_NOTIFY, 0);
}

int vblk_poll(struct vblk *d, unsigned long spins)
{
    for (unsigned long i = 0; i < spins; i++) {
        fence();
        if (*(volatile uint16_t *)&used.idx != d->last_used) {
            d->last_used++;
            return 1;
        }
    }
    return 0;
}

int vblk_wait(struct vblk *d, int irq)
{
    unsigned long spins = 0;
    /* With interrupts: MIE stays clear between the check and WFI so the
     * completion interrupt cannot slip in between and leave WFI asleep
     * (WFI still wakes on a pending enabled interrupt, privileged spec
     * §3.3.3); it is taken when MIE opens. */
    if (irq)
        csr_clear(mstatus, MSTATUS_MIE);
    for (;;) {
        fence();
        if (*(volatile uint16_t *)&used.idx != d->last_used)
            break;
        if (irq) {
            wfi();
            csr_set(mstatus, MSTATUS_MIE);
            csr_clear(mstatus, MSTATUS_MIE);
        } else if (++spins > 200000000UL) {
            return -1;
        }
    }
    if (irq)
        csr_set(mstatus, MSTATUS_MIE);
    fence();
    struct virtq_used_elem e = used.ring[d->last_used % VQ_SIZE];
    d->last_used++;
    if (e.id != 0)
        return -2;
    return req_status;
}

int vblk_rw(struct vblk *d, uint32_t type, uint64_t sector, const struct vseg *segs, int nseg,
            int irq)
{
    vblk_submit(d, type, sector, segs, nseg);
    return vblk_wait(d, irq);
}

void vblk_set_used_event(struct vblk *d, uint16_t v)
{
    (void)d;
    avail.used_event = v;
    fence();
}

void vblk_irq(struct vblk *d)
{
    uint32_t st = vio_r(d, VIRTIO_INTERRUPT_STATUS);
    vio_w(d, VIRTIO_INTERRUPT_ACK, st);
    if (st & 1)
        d->irqs++;
}
