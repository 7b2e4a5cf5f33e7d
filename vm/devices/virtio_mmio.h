/* Internal to the virtio device files: the virtio-mmio transport state and
 * the split-virtqueue helpers that virtio_blk.c and virtio_net.c build on.
 * Hosts use virtio.h. */
#ifndef RV_VIRTIO_MMIO_H
#define RV_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio.h"

#define VIRTQ_NUM_MAX 256       /* QueueNumMax for blk and net */
#define VIRTQ_INDIRECT_MAX 1024 /* entries in one indirect table */
#define VIRTQ_MAX_SEGS (VIRTQ_NUM_MAX + VIRTQ_INDIRECT_MAX)
#define VIRTIO_MAX_QUEUES 2
#define VIRTIO_CONFIG_MAX 64

/* Feature bits (VirtIO 1.2 §6 reserved bits). */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Device status bits (§2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED 0x80

/* InterruptStatus bits (§4.2.2). */
#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2

/* One split virtqueue's registers and the device's position in it. */
typedef struct virtq {
    uint32_t num;   /* QueueNum */
    uint32_t ready; /* QueueReady */
    uint64_t desc, avail, used;
    uint16_t last_avail;     /* next avail ring entry to consume */
    uint16_t used_idx;       /* the used idx the device last published */
    uint16_t signalled_used; /* used idx at the last interrupt decision */
    bool signalled_valid;
} virtq;

/* A descriptor chain resolved to host memory. The readable segments come
 * first, then the writable ones (§2.7.4.2); host is NULL for a segment that
 * could not be mapped (then bad is set) or has length 0. */
typedef struct vq_seg {
    uint64_t pa;
    uint8_t *host;
    uint32_t len;
    bool write;
} vq_seg;

typedef struct vq_chain {
    uint16_t head;
    bool bad; /* a buffer outside RAM, or a readable buffer after a writable one */
    int nseg;
    uint64_t rlen, wlen; /* total readable / writable bytes */
    vq_seg seg[VIRTQ_MAX_SEGS];
} vq_chain;

typedef struct virtio_ops {
    const char *name;
    uint32_t device_id;
    int nqueues;
    void (*notify)(virtio_mmio *v, int q); /* QueueNotify on a ready queue */
    void (*reset)(virtio_mmio *v);         /* after the transport reset */
    void (*poll)(virtio_mmio *v);
    void (*snapshot)(virtio_mmio *v, rv_snap *s);
    void (*destroy)(virtio_mmio *v); /* frees dev, not v */
} virtio_ops;

struct virtio_mmio {
    const virtio_ops *ops;
    void *dev;
    rv_dma dma;
    rv_irq_line irq;
    uint64_t device_features;
    /* Guest state (snapshotted by the transport). */
    uint64_t driver_features;
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint32_t status, interrupt_status, config_generation;
    virtq vq[VIRTIO_MAX_QUEUES];
    /* Device configuration space (§4.2.2 offset 0x100), little-endian,
     * maintained by the device; read-only to the driver. */
    uint8_t config[VIRTIO_CONFIG_MAX];
    uint32_t config_len;
    /* Snapshot section, unique per slot ("virtio@10001000"): two disks must
     * not share field names. */
    char section[40];
    /* Bumped by every reset: completions of older requests are dropped. */
    uint32_t generation;
    vq_chain chain; /* scratch for vq_pop */
};

virtio_mmio *virtio_mmio_new(const virtio_ops *ops, void *dev, const rv_dma *dma, rv_irq_line irq,
                             uint64_t features);
bool virtio_has_feature(const virtio_mmio *v, int bit); /* negotiated */
/* Marks the device broken (DEVICE_NEEDS_RESET, §2.1.2) and tells the driver
 * with a configuration change interrupt. */
void virtio_set_needs_reset(virtio_mmio *v);
void virtio_config_changed(virtio_mmio *v);
void virtio_update_irq(virtio_mmio *v);
bool virtio_running(const virtio_mmio *v); /* DRIVER_OK and not broken */

/* True when the driver has made a chain available on queue q. */
bool vq_has_avail(virtio_mmio *v, int q);
/* Takes the next available chain: 1 = got one, 0 = none, -1 = the ring is
 * malformed (the device is now NEEDS_RESET). Walks are bounded by the queue
 * size and each indirect table by its own length. */
int vq_pop(virtio_mmio *v, int q, vq_chain *c);
/* Resolves the chain starting at descriptor head without touching the avail
 * ring (a request resubmitted after a snapshot restore). Same results. */
int vq_walk(virtio_mmio *v, int q, uint16_t head, vq_chain *c);
/* Gives back the last n chains taken (nothing was written to used yet). */
void vq_unpop(virtio_mmio *v, int q, uint16_t n);
/* Puts chain head on the used ring with len bytes written. */
void vq_push(virtio_mmio *v, int q, uint16_t head, uint32_t len);
/* Raises the used-buffer interrupt unless the driver suppressed it
 * (§2.7.7 flags, §2.7.10 used_event). Call once after a batch of pushes. */
void vq_notify_guest(virtio_mmio *v, int q);

/* Copy out of the chain's readable bytes / into its writable bytes, starting
 * at off within that stream. Return the bytes copied; unmapped segments end
 * the copy. Writes are reported through dma->dirty. */
size_t vq_chain_read(const vq_chain *c, uint64_t off, void *dst, size_t n);
size_t vq_chain_write(virtio_mmio *v, const vq_chain *c, uint64_t off, const void *src, size_t n);
/* The host byte at offset off of the writable stream (NULL if unmapped or
 * beyond), and its guest-physical address. */
uint8_t *vq_chain_wbyte(const vq_chain *c, uint64_t off, uint64_t *pa);

#endif
