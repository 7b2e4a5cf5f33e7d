/* virtio-mmio version 2 transport (VirtIO 1.2 §4.2.2) with split virtqueues
 * (§2.7), and the block (§5.2) and network (§5.1) devices behind it. */
#ifndef RV_VIRTIO_H
#define RV_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include "bus.h"
#include "host.h"

typedef struct virtio_mmio virtio_mmio;

/* The dma and backend structs are copied; their opaque pointers must outlive
 * the device. A block backend must not complete requests after the device
 * is destroyed. */
virtio_mmio *virtio_blk_create(const rv_dma *dma, const rv_blockdev *bd, rv_irq_line irq);
virtio_mmio *virtio_net_create(const rv_dma *dma, const rv_netdev *nd, rv_irq_line irq);
rv_device virtio_device(virtio_mmio *v, uint64_t base); /* size 0x1000; .destroy frees */

/* True when no block request is waiting for its backend (or, after a
 * snapshot restore, for its resubmission at the next poll). A snapshot taken
 * while requests are in flight records their chains and the restored device
 * submits them again, so saving need not wait; this is for hosts that want
 * a quiet disk anyway (e.g. before closing a backend). */
bool virtio_idle(const virtio_mmio *v);

typedef struct virtio_net_stats {
    uint64_t tx_frames, rx_frames;
    uint64_t tx_dropped, rx_dropped; /* bad sizes, no buffer room, bad chains */
} virtio_net_stats;
/* Counters of a net device (zeros for another device type). */
virtio_net_stats virtio_net_get_stats(const virtio_mmio *v);

/* Adds virtio_mmio@<base> under /soc. */
int virtio_mmio_fdt(void *fdt, int soc, uint64_t base, uint32_t plic_phandle, int irq);

#endif
