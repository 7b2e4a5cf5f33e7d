/*
 * A small virtio-mmio (version 2) block driver for the boot test kernels:
 * one split virtqueue, polled or interrupt-driven completion, optional
 * indirect descriptors. VirtIO 1.2 §2.7 (split virtqueues), §4.2.2 (MMIO
 * registers), §5.2 (block device).
 */
#ifndef VIO_H
#define VIO_H

#include "bm.h"

/* MMIO register offsets, VirtIO 1.2 §4.2.2 table. */
#define VIRTIO_MAGIC 0x000
#define VIRTIO_VERSION 0x004
#define VIRTIO_DEVICE_ID 0x008
#define VIRTIO_VENDOR_ID 0x00c
#define VIRTIO_DEVICE_FEATURES 0x010
#define VIRTIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_DRIVER_FEATURES 0x020
#define VIRTIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_QUEUE_SEL 0x030
#define VIRTIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_QUEUE_NUM 0x038
#define VIRTIO_QUEUE_READY 0x044
#define VIRTIO_QUEUE_NOTIFY 0x050
#define VIRTIO_INTERRUPT_STATUS 0x060
#define VIRTIO_INTERRUPT_ACK 0x064
#define VIRTIO_STATUS 0x070
#define VIRTIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_CONFIG 0x100

/* Device status bits, §2.1. */
#define VS_ACKNOWLEDGE 1
#define VS_DRIVER 2
#define VS_DRIVER_OK 4
#define VS_FEATURES_OK 8
#define VS_NEEDS_RESET 64
#define VS_FAILED 128

/* Feature bits: §5.2.3 (block), §6 (reserved). */
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

/* Request types and status values, §5.2.6. */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define VQ_SIZE 8

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4

/* §2.7.5 descriptor table entry. */
struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

/* §5.2.6: header the device reads, then data, then one status byte. */
struct blk_req {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

struct vblk {
    unsigned long base;
    int slot;
    uint64_t features; /* negotiated */
    uint64_t offered;
    uint64_t capacity; /* 512-byte sectors */
    uint16_t last_used;
    uint16_t avail_idx;
    int use_indirect;
    int want_event_idx;     /* set before vblk_init() to negotiate EVENT_IDX */
    uint32_t queue_num;     /* set before vblk_init(): QueueNum, 0 = VQ_SIZE */
    uint64_t desc_addr;     /* set before vblk_init(): QueueDesc, 0 = ours */
    volatile unsigned irqs; /* completions seen by vblk_irq() */
};

/* One data buffer of a request. */
struct vseg {
    void *buf;
    uint32_t len;
};

/* Finds the first virtio-blk at or after slot `from` among the slots in
 * `mask` (from fdt_virtio_slots()); -1 if none. */
int vblk_find(int from, unsigned mask);
/* Resets, negotiates, sets up queue 0, sets DRIVER_OK. Returns 0 or a short
 * reason in *why. */
int vblk_init(struct vblk *d, int slot, const char **why);
/* Submits one request (type, sector, segments) and waits for it: by polling
 * the used ring, or when `irq` is set by WFI until vblk_irq() saw it.
 * Returns the status byte the device wrote, or -1 if it never completed. */
int vblk_rw(struct vblk *d, uint32_t type, uint64_t sector, const struct vseg *segs, int nseg,
            int irq);
/* Submits one request without waiting; vblk_wait() collects it. */
void vblk_submit(struct vblk *d, uint32_t type, uint64_t sector, const struct vseg *segs, int nseg);
int vblk_wait(struct vblk *d, int irq);
/* With VIRTIO_F_EVENT_IDX: the used index after which the device should
 * notify next (avail ring's used_event, §2.7.10). */
void vblk_set_used_event(struct vblk *d, uint16_t v);
/* Raw access for malformed requests (vblkbad.c): the descriptor table,
 * the request header and status byte the normal path uses, posting a head
 * index, and polling the used ring (1 = an entry arrived). */
struct virtq_desc *vblk_desc(void);
struct blk_req *vblk_req_header(void);
volatile uint8_t *vblk_req_status(void);
void vblk_post(struct vblk *d, uint16_t head);
int vblk_poll(struct vblk *d, unsigned long spins);
/* Interrupt handler body: acknowledges InterruptStatus, counts used-buffer
 * notifications. */
void vblk_irq(struct vblk *d);

static inline uint32_t vio_r(const struct vblk *d, unsigned off)
{
    return mmio_r32(d->base + off);
}
static inline void vio_w(const struct vblk *d, unsigned off, uint32_t v)
{
    mmio_w32(d->base + off, v);
}

#endif
