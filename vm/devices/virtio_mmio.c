/* virtio-mmio transport, version 2 (VirtIO 1.2 §4.2.2), and split
 * virtqueues (§2.7).
 *
 * Register map (offsets from base, window 0x1000):
 *   0x000 MagicValue 0x74726976 "virt"     R
 *   0x004 Version 2                         R
 *   0x008 DeviceID (1 net, 2 blk)           R
 *   0x00c VendorID 0x554d4551 (QEMU's)      R
 *   0x010 DeviceFeatures [DeviceFeaturesSel] R
 *   0x014 DeviceFeaturesSel                 W
 *   0x020 DriverFeatures [DriverFeaturesSel] W
 *   0x024 DriverFeaturesSel                 W
 *   0x030 QueueSel                          W
 *   0x034 QueueNumMax (0 for no such queue) R
 *   0x038 QueueNum                          W
 *   0x044 QueueReady                        RW
 *   0x050 QueueNotify                       W
 *   0x060 InterruptStatus                   R
 *   0x064 InterruptACK                      W
 *   0x070 Status                            RW
 *   0x080/0x084 QueueDescLow/High           W
 *   0x090/0x094 QueueDriverLow/High (avail) W
 *   0x0a0/0x0a4 QueueDeviceLow/High (used)  W
 *   0x0fc ConfigGeneration                  R
 *   0x100 device configuration space        R (writes ignored)
 * Registers below 0x100 take 4-byte accesses; any other width reads 0 and
 * is ignored, as QEMU does ("wrong size access to register"). The config
 * space takes any width. Nothing faults.
 *
 * Hostile drivers: every guest address goes through dma->map with its exact
 * length; a ring that does not map, an avail index that jumps by more than
 * the queue size, a descriptor index out of range, a chain longer than its
 * table (a loop), an indirect table inside another, or a bad queue size
 * marks the device DEVICE_NEEDS_RESET (§2.1.2) with a configuration-change
 * interrupt. Data buffers that do not map fail only their own request. */
#include "devices/virtio_mmio.h"

#include <libfdt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/dev_util.h"
#include "fdt_board.h"

#define VIRTIO_MAGIC 0x74726976u
#define VIRTIO_VENDOR 0x554d4551u

enum {
    REG_MAGIC = 0x000,
    REG_VERSION = 0x004,
    REG_DEVICE_ID = 0x008,
    REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010,
    REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020,
    REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030,
    REG_QUEUE_NUM_MAX = 0x034,
    REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044,
    REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060,
    REG_INTERRUPT_ACK = 0x064,
    REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080,
    REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090,
    REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0,
    REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_CONFIG_GENERATION = 0x0fc,
    REG_CONFIG = 0x100,
};

/* Split virtqueue layout (§2.7.5, §2.7.6, §2.7.8). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define DESC_SIZE 16

static uint64_t avail_size(uint32_t num)
{
    return 6 + 2ull * num; /* flags, idx, ring[num], used_event */
}

static uint64_t used_size(uint32_t num)
{
    return 6 + 8ull * num; /* flags, idx, ring[num] {id, len}, avail_event */
}

bool virtio_has_feature(const virtio_mmio *v, int bit)
{
    return (v->driver_features >> bit) & 1;
}

bool virtio_running(const virtio_mmio *v)
{
    return (v->status & VIRTIO_STATUS_DRIVER_OK) && !(v->status & VIRTIO_STATUS_NEEDS_RESET);
}

void virtio_update_irq(virtio_mmio *v)
{
    rv_irq_set(&v->irq, v->interrupt_status != 0);
}

void virtio_set_needs_reset(virtio_mmio *v)
{
    v->status |= VIRTIO_STATUS_NEEDS_RESET;
    /* §2.1.2: only a driver past DRIVER_OK hears of it by interrupt. */
    if (v->status & VIRTIO_STATUS_DRIVER_OK)
        v->interrupt_status |= VIRTIO_INT_CONFIG;
    virtio_update_irq(v);
}

void virtio_config_changed(virtio_mmio *v)
{
    v->config_generation++;
    if (v->status & VIRTIO_STATUS_DRIVER_OK) {
        v->interrupt_status |= VIRTIO_INT_CONFIG;
        virtio_update_irq(v);
    }
}

static void dirty(virtio_mmio *v, uint64_t pa, uint64_t len)
{
    if (v->dma.dirty && len)
        v->dma.dirty(v->dma.ctx, pa, len);
}

static uint8_t *map(virtio_mmio *v, uint64_t pa, uint64_t len)
{
    if (pa + len < pa)
        return NULL; /* wraps the address space */
    return v->dma.map(v->dma.ctx, pa, len);
}

/* ---- split virtqueue ------------------------------------------------ */

bool vq_has_avail(virtio_mmio *v, int qi)
{
    virtq *q = &v->vq[qi];
    if (!q->ready || (v->status & VIRTIO_STATUS_NEEDS_RESET))
        return false;
    uint8_t *avail = map(v, q->avail, avail_size(q->num));
    if (!avail) {
        virtio_set_needs_reset(v);
        return false;
    }
    return ld16(avail + 2) != q->last_avail;
}

/* Tells the driver, with event index, to notify once it has made the next
 * chain available (§2.7.10: avail_event). */
static void publish_avail_event(virtio_mmio *v, virtq *q)
{
    if (!virtio_has_feature(v, VIRTIO_F_EVENT_IDX))
        return;
    uint64_t off = 4 + 8ull * q->num;
    uint8_t *p = map(v, q->used + off, 2);
    if (p) {
        st16(p, q->last_avail);
        dirty(v, q->used + off, 2);
    }
}

static int broken(virtio_mmio *v)
{
    virtio_set_needs_reset(v);
    return -1;
}

int vq_pop(virtio_mmio *v, int qi, vq_chain *c)
{
    virtq *q = &v->vq[qi];
    if (!q->ready || (v->status & VIRTIO_STATUS_NEEDS_RESET))
        return 0;
    const uint8_t *avail = map(v, q->avail, avail_size(q->num));
    if (!avail)
        return broken(v);
    uint16_t aidx = ld16(avail + 2);
    uint16_t waiting = (uint16_t)(aidx - q->last_avail);
    if (waiting > q->num)
        return broken(v); /* the driver cannot have more than num chains out */
    if (waiting == 0) {
        publish_avail_event(v, q);
        return 0;
    }
    uint16_t head = ld16(avail + 4 + 2 * (q->last_avail % q->num));
    int got = vq_walk(v, qi, head, c);
    if (got == 1)
        q->last_avail++;
    return got;
}

int vq_walk(virtio_mmio *v, int qi, uint16_t head, vq_chain *c)
{
    virtq *q = &v->vq[qi];
    if (!q->ready || (v->status & VIRTIO_STATUS_NEEDS_RESET))
        return 0;
    const uint8_t *desc = map(v, q->desc, (uint64_t)q->num * DESC_SIZE);
    if (!desc || head >= q->num)
        return broken(v);
    c->head = head;
    c->bad = false;
    c->nseg = 0;
    c->rlen = c->wlen = 0;
    const uint8_t *table = desc;
    uint32_t tsize = q->num, idx = head, steps = 0;
    bool indirect = false;
    for (;;) {
        if (idx >= tsize || ++steps > tsize)
            return broken(v); /* index out of range, or a loop */
        const uint8_t *d = table + (size_t)idx * DESC_SIZE;
        uint64_t addr = ld64(d);
        uint32_t len = ld32(d + 8);
        uint16_t flags = ld16(d + 12), next = ld16(d + 14);
        if (flags & VIRTQ_DESC_F_INDIRECT) {
            /* §2.7.5.3.1: not inside an indirect table, not with NEXT. */
            if (indirect || (flags & VIRTQ_DESC_F_NEXT) || len == 0 || len % DESC_SIZE ||
                len / DESC_SIZE > VIRTQ_INDIRECT_MAX)
                return broken(v);
            table = map(v, addr, len);
            if (!table)
                return broken(v);
            tsize = len / DESC_SIZE;
            idx = 0;
            steps = 0;
            indirect = true;
            continue;
        }
        if (c->nseg == VIRTQ_MAX_SEGS)
            return broken(v);
        vq_seg *s = &c->seg[c->nseg++];
        s->pa = addr;
        s->len = len;
        s->write = flags & VIRTQ_DESC_F_WRITE;
        s->host = len ? map(v, addr, len) : NULL;
        if (len && !s->host)
            c->bad = true;
        if (s->write) {
            c->wlen += len;
        } else {
            if (c->wlen)
                c->bad = true; /* readable after writable (§2.7.4.2) */
            c->rlen += len;
        }
        if (!(flags & VIRTQ_DESC_F_NEXT))
            break;
        idx = next;
    }
    return 1;
}

void vq_unpop(virtio_mmio *v, int qi, uint16_t n)
{
    v->vq[qi].last_avail = (uint16_t)(v->vq[qi].last_avail - n);
}

void vq_push(virtio_mmio *v, int qi, uint16_t head, uint32_t len)
{
    virtq *q = &v->vq[qi];
    if (!q->ready || (v->status & VIRTIO_STATUS_NEEDS_RESET))
        return;
    uint8_t *used = map(v, q->used, used_size(q->num));
    if (!used) {
        virtio_set_needs_reset(v);
        return;
    }
    uint64_t slot = 4 + 8ull * (q->used_idx % q->num);
    st32(used + slot, head);
    st32(used + slot + 4, len);
    /* The element before the index that publishes it (§2.7.8.2). */
    q->used_idx++;
    st16(used + 2, q->used_idx);
    dirty(v, q->used + slot, 8);
    dirty(v, q->used + 2, 2);
}

/* §2.7.10: interrupt when the used index moved past used_event since the
 * last decision: (u16)(new - event - 1) < (u16)(new - old). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

void vq_notify_guest(virtio_mmio *v, int qi)
{
    virtq *q = &v->vq[qi];
    if (!q->ready || (v->status & VIRTIO_STATUS_NEEDS_RESET))
        return;
    const uint8_t *avail = map(v, q->avail, avail_size(q->num));
    if (!avail) {
        virtio_set_needs_reset(v);
        return;
    }
    if (virtio_has_feature(v, VIRTIO_F_EVENT_IDX)) {
        uint16_t old = q->signalled_used, now = q->used_idx;
        bool valid = q->signalled_valid;
        q->signalled_used = now;
        q->signalled_valid = true;
        uint16_t used_event = ld16(avail + 4 + 2 * q->num);
        if (valid && !need_event(used_event, now, old))
            return;
    } else if (ld16(avail) & VIRTQ_AVAIL_F_NO_INTERRUPT) {
        return;
    }
    v->interrupt_status |= VIRTIO_INT_USED;
    virtio_update_irq(v);
}

size_t vq_chain_read(const vq_chain *c, uint64_t off, void *dst, size_t n)
{
    uint8_t *out = dst;
    size_t done = 0;
    for (int i = 0; i < c->nseg && done < n; i++) {
        const vq_seg *s = &c->seg[i];
        if (s->write)
            break;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        if (!s->host)
            break;
        size_t k = s->len - off;
        if (k > n - done)
            k = n - done;
        memcpy(out + done, s->host + off, k);
        done += k;
        off = 0;
    }
    return done;
}

size_t vq_chain_write(virtio_mmio *v, const vq_chain *c, uint64_t off, const void *src, size_t n)
{
    const uint8_t *in = src;
    size_t done = 0;
    for (int i = 0; i < c->nseg && done < n; i++) {
        const vq_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        if (!s->host)
            break;
        size_t k = s->len - off;
        if (k > n - done)
            k = n - done;
        memcpy(s->host + off, in + done, k);
        dirty(v, s->pa + off, k);
        done += k;
        off = 0;
    }
    return done;
}

uint8_t *vq_chain_wbyte(const vq_chain *c, uint64_t off, uint64_t *pa)
{
    for (int i = 0; i < c->nseg; i++) {
        const vq_seg *s = &c->seg[i];
        if (!s->write)
            continue;
        if (off >= s->len) {
            off -= s->len;
            continue;
        }
        if (!s->host)
            return NULL;
        *pa = s->pa + off;
        return s->host + off;
    }
    return NULL;
}

/* ---- transport registers --------------------------------------------- */

static void transport_reset(virtio_mmio *v)
{
    v->driver_features = 0;
    v->dev_features_sel = v->drv_features_sel = v->queue_sel = 0;
    v->status = v->interrupt_status = 0;
    memset(v->vq, 0, sizeof(v->vq));
    v->generation++;
    if (v->ops->reset)
        v->ops->reset(v);
    virtio_update_irq(v);
}

static void mmio_reset(void *opaque)
{
    transport_reset(opaque);
}

static virtq *selected(virtio_mmio *v)
{
    return v->queue_sel < (uint32_t)v->ops->nqueues ? &v->vq[v->queue_sel] : NULL;
}

/* QueueReady = 1: the driver vouches for the queue; check what it gave. */
static void queue_enable(virtio_mmio *v, virtq *q)
{
    uint32_t n = q->num;
    bool ok = n >= 1 && n <= VIRTQ_NUM_MAX && (n & (n - 1)) == 0 &&   /* §2.7: power of 2 */
              !(q->desc & 15) && !(q->avail & 1) && !(q->used & 3) && /* §2.7 alignment */
              map(v, q->desc, (uint64_t)n * DESC_SIZE) && map(v, q->avail, avail_size(n)) &&
              map(v, q->used, used_size(n));
    if (!ok) {
        virtio_set_needs_reset(v);
        return;
    }
    q->ready = 1;
    q->last_avail = q->used_idx = 0;
    q->signalled_valid = false;
}

static void set_addr_half(uint64_t *reg, bool high, uint32_t val)
{
    if (high)
        *reg = (*reg & 0xffffffffull) | ((uint64_t)val << 32);
    else
        *reg = (*reg & ~0xffffffffull) | val;
}

static bool mmio_read(void *opaque, uint64_t off, unsigned len, uint64_t *val)
{
    virtio_mmio *v = opaque;
    *val = 0;
    if (off >= REG_CONFIG) {
        uint64_t co = off - REG_CONFIG;
        for (unsigned i = 0; i < len; i++)
            if (co + i < v->config_len)
                *val |= (uint64_t)v->config[co + i] << (8 * i);
        return true;
    }
    if (len != 4)
        return true;
    virtq *q = selected(v);
    switch (off) {
    case REG_MAGIC: *val = VIRTIO_MAGIC; break;
    case REG_VERSION: *val = 2; break;
    case REG_DEVICE_ID: *val = v->ops->device_id; break;
    case REG_VENDOR_ID: *val = VIRTIO_VENDOR; break;
    case REG_DEVICE_FEATURES:
        if (v->dev_features_sel < 2)
            *val = (uint32_t)(v->device_features >> (32 * v->dev_features_sel));
        break;
    case REG_QUEUE_NUM_MAX: *val = q ? VIRTQ_NUM_MAX : 0; break;
    case REG_QUEUE_READY: *val = q ? q->ready : 0; break;
    case REG_INTERRUPT_STATUS: *val = v->interrupt_status; break;
    case REG_STATUS: *val = v->status; break;
    case REG_CONFIG_GENERATION: *val = v->config_generation; break;
    default: break;
    }
    virtio_update_irq(v);
    return true;
}

static void write_status(virtio_mmio *v, uint32_t val)
{
    if (val == 0) {
        transport_reset(v); /* §4.2.2.1: writing 0 resets the device */
        return;
    }
    val &= 0xff & ~VIRTIO_STATUS_NEEDS_RESET; /* device-owned bit */
    if ((val & VIRTIO_STATUS_FEATURES_OK) && !(v->status & VIRTIO_STATUS_FEATURES_OK)) {
        /* §2.2.2: refuse features the device did not offer. VERSION_1 is not
         * required: xv6 never acknowledges it, and QEMU accepts that. */
        if (v->driver_features & ~v->device_features)
            val &= ~VIRTIO_STATUS_FEATURES_OK;
    }
    bool was_ok = v->status & VIRTIO_STATUS_DRIVER_OK;
    v->status = val | (v->status & VIRTIO_STATUS_NEEDS_RESET);
    if (!was_ok && (v->status & VIRTIO_STATUS_DRIVER_OK) && v->ops->poll)
        v->ops->poll(v); /* e.g. receive frames that waited for the driver */
}

static bool mmio_write(void *opaque, uint64_t off, unsigned len, uint64_t val64)
{
    virtio_mmio *v = opaque;
    if (off >= REG_CONFIG || len != 4)
        return true; /* config space is read-only; wrong widths ignored */
    uint32_t val = (uint32_t)val64;
    virtq *q = selected(v);
    /* Queue registers are frozen while the queue is live, so the checks
     * made when it became ready stay true. */
    virtq *qw = (q && !q->ready) ? q : NULL;
    switch (off) {
    case REG_DEVICE_FEATURES_SEL: v->dev_features_sel = val; break;
    case REG_DRIVER_FEATURES:
        if (v->drv_features_sel < 2 && !(v->status & VIRTIO_STATUS_FEATURES_OK))
            set_addr_half(&v->driver_features, v->drv_features_sel == 1, val);
        break;
    case REG_DRIVER_FEATURES_SEL: v->drv_features_sel = val; break;
    case REG_QUEUE_SEL: v->queue_sel = val; break;
    case REG_QUEUE_NUM:
        if (qw)
            qw->num = val;
        break;
    case REG_QUEUE_READY:
        if (q && (val & 1) && !q->ready)
            queue_enable(v, q);
        else if (q && !(val & 1))
            q->ready = 0;
        break;
    case REG_QUEUE_NOTIFY:
        if (val < (uint32_t)v->ops->nqueues && v->vq[val].ready &&
            !(v->status & VIRTIO_STATUS_NEEDS_RESET) && v->ops->notify)
            v->ops->notify(v, (int)val);
        break;
    case REG_INTERRUPT_ACK: v->interrupt_status &= ~val; break;
    case REG_STATUS: write_status(v, val); break;
    case REG_QUEUE_DESC_LOW:
    case REG_QUEUE_DESC_HIGH:
        if (qw)
            set_addr_half(&qw->desc, off == REG_QUEUE_DESC_HIGH, val);
        break;
    case REG_QUEUE_DRIVER_LOW:
    case REG_QUEUE_DRIVER_HIGH:
        if (qw)
            set_addr_half(&qw->avail, off == REG_QUEUE_DRIVER_HIGH, val);
        break;
    case REG_QUEUE_DEVICE_LOW:
    case REG_QUEUE_DEVICE_HIGH:
        if (qw)
            set_addr_half(&qw->used, off == REG_QUEUE_DEVICE_HIGH, val);
        break;
    default: break;
    }
    virtio_update_irq(v);
    return true;
}

static void mmio_poll(void *opaque)
{
    virtio_mmio *v = opaque;
    if (v->ops->poll)
        v->ops->poll(v);
}

static const char *qfield(char *buf, size_t len, int q, const char *field)
{
    snprintf(buf, len, "q%d.%s", q, field);
    return buf;
}

static void mmio_snapshot(void *opaque, rv_snap *s)
{
    virtio_mmio *v = opaque;
    char name[48];
    snap_section(s, v->section);
    snap_u64(s, "driver_features", &v->driver_features);
    snap_u32(s, "dev_features_sel", &v->dev_features_sel);
    snap_u32(s, "drv_features_sel", &v->drv_features_sel);
    snap_u32(s, "queue_sel", &v->queue_sel);
    snap_u32(s, "status", &v->status);
    snap_u32(s, "interrupt_status", &v->interrupt_status);
    snap_u32(s, "config_generation", &v->config_generation);
    for (int i = 0; i < v->ops->nqueues; i++) {
        virtq *q = &v->vq[i];
        uint32_t last_avail = q->last_avail, used_idx = q->used_idx;
        uint32_t signalled = q->signalled_used | (q->signalled_valid ? 0x10000u : 0);
        snap_u32(s, qfield(name, sizeof(name), i, "num"), &q->num);
        snap_u32(s, qfield(name, sizeof(name), i, "ready"), &q->ready);
        snap_u64(s, qfield(name, sizeof(name), i, "desc"), &q->desc);
        snap_u64(s, qfield(name, sizeof(name), i, "avail"), &q->avail);
        snap_u64(s, qfield(name, sizeof(name), i, "used"), &q->used);
        snap_u32(s, qfield(name, sizeof(name), i, "last_avail"), &last_avail);
        snap_u32(s, qfield(name, sizeof(name), i, "used_idx"), &used_idx);
        snap_u32(s, qfield(name, sizeof(name), i, "signalled"), &signalled);
        if (s->loading) {
            q->last_avail = (uint16_t)last_avail;
            q->used_idx = (uint16_t)used_idx;
            q->signalled_used = (uint16_t)signalled;
            q->signalled_valid = signalled >> 16;
            /* A snapshot is input too: keep the invariants queue_enable set. */
            uint32_t n = q->num;
            if (q->ready && (n < 1 || n > VIRTQ_NUM_MAX || (n & (n - 1))))
                q->ready = 0;
        }
    }
    if (s->loading)
        v->generation++; /* requests in flight now belong to the old state */
    if (v->ops->snapshot)
        v->ops->snapshot(v, s);
    if (s->loading)
        virtio_update_irq(v);
}

static void mmio_destroy(void *opaque)
{
    virtio_mmio *v = opaque;
    if (v->ops->destroy)
        v->ops->destroy(v);
    free(v);
}

virtio_mmio *virtio_mmio_new(const virtio_ops *ops, void *dev, const rv_dma *dma, rv_irq_line irq,
                             uint64_t features)
{
    if (!dma || !dma->map || ops->nqueues > VIRTIO_MAX_QUEUES)
        return NULL;
    virtio_mmio *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->ops = ops;
    v->dev = dev;
    v->dma = *dma;
    v->irq = irq;
    v->device_features = features | (1ull << VIRTIO_F_VERSION_1) |
                         (1ull << VIRTIO_F_INDIRECT_DESC) | (1ull << VIRTIO_F_EVENT_IDX);
    return v;
}

rv_device virtio_device(virtio_mmio *v, uint64_t base)
{
    snprintf(v->section, sizeof(v->section), "virtio@%llx", (unsigned long long)base);
    return (rv_device){
        .name = v->ops->name,
        .base = base,
        .size = 0x1000,
        .opaque = v,
        .read = mmio_read,
        .write = mmio_write,
        .reset = mmio_reset,
        .snapshot = mmio_snapshot,
        .poll = mmio_poll,
        .destroy = mmio_destroy,
    };
}

int virtio_mmio_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq)
{
    int node = fdt_board_add_mmio_node(fdt, soc, "virtio_mmio", base, 0x1000);
    if (node < 0)
        return node;
    int err = fdt_setprop_string(fdt, node, "compatible", "virtio,mmio");
    if (!err)
        err = fdt_board_add_irq(fdt, node, plic_phandle, irq);
    return err;
}
