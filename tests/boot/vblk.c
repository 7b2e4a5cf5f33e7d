/*
 * virtio-blk over virtio-mmio v2, on every block device attached: negotiate,
 * one split queue, read the pattern the harness wrote, write another with
 * two data descriptors, flush, read it back through an indirect table,
 * get-id, event-index notification suppression, and the errors: a read
 * past the end, and (on a read-only disk) a write, fail with
 * VIRTIO_BLK_S_IOERR. The harness then checks the disk files on the host.
 *
 * The harness's images: 4096 sectors, byte i of sector s = pattern_in(s, i).
 * This kernel writes pattern_out() to sectors 16..23 of writable disks.
 * Lines name the disk by its slot: "vblk0", "vblk1", ...
 */
#include "vio.h"

#define WSECT 16
#define WCOUNT 8

static struct vblk dev;
static uint8_t buf[64 * 512] __attribute__((aligned(16)));
static uint8_t wbuf[WCOUNT * 512] __attribute__((aligned(16)));
static volatile unsigned other_irqs;

static uint8_t pattern_in(uint64_t s, unsigned i)
{
    return (uint8_t)((s * 13 + i) ^ 0xa5);
}

static uint8_t pattern_out(uint64_t s, unsigned i)
{
    return (uint8_t)((s * 7 + i * 3) ^ 0x3c);
}

/* Returns the first sector in [first, first+count) whose bytes differ from
 * what the disk should hold, or -1. */
static long verify(const uint8_t *b, uint64_t first, unsigned count, int written)
{
    for (unsigned k = 0; k < count; k++) {
        uint64_t s = first + k;
        int out = written && s >= WSECT && s < WSECT + WCOUNT;
        for (unsigned i = 0; i < 512; i++)
            if (b[k * 512 + i] != (out ? pattern_out(s, i) : pattern_in(s, i)))
                return (long)s;
    }
    return -1;
}

void m_trap(struct trap_frame *f)
{
    (void)f;
    unsigned long cause = csr_read(mcause);
    if (cause != (CAUSE_INT | IRQ_M_EXT))
        die("vblk unexpected trap mcause=%lx mepc=%lx mtval=%lx", cause, csr_read(mepc),
            csr_read(mtval));
    uint32_t src = mmio_r32(PLIC_CLAIM(PLIC_CTX_M(0)));
    if (src == (uint32_t)VIRTIO_IRQ(dev.slot))
        vblk_irq(&dev);
    else
        other_irqs++;
    if (src)
        mmio_w32(PLIC_CLAIM(PLIC_CTX_M(0)), src);
}

static int isr_used(void)
{
    return vio_r(&dev, VIRTIO_INTERRUPT_STATUS) & 1;
}

static void ack(void)
{
    vio_w(&dev, VIRTIO_INTERRUPT_ACK, vio_r(&dev, VIRTIO_INTERRUPT_STATUS));
}

/* §2.7.10: with EVENT_IDX the device must notify when the used index moves
 * past used_event, and should not otherwise. */
static void event_idx(int slot)
{
    if (!((dev.offered >> VIRTIO_F_EVENT_IDX) & 1)) {
        not_ok("vblk%d VIRTIO_F_EVENT_IDX not offered", slot);
        return;
    }
    const char *why = "";
    dev.want_event_idx = 1;
    if (vblk_init(&dev, slot, &why) != 0 || !((dev.features >> VIRTIO_F_EVENT_IDX) & 1)) {
        not_ok("vblk%d init with EVENT_IDX: %s", slot, why);
        return;
    }
    struct vseg seg = {buf, 512};
    vblk_set_used_event(&dev, 0); /* notify when used idx goes 0 -> 1 */
    int st1 = vblk_rw(&dev, VIRTIO_BLK_T_IN, 0, &seg, 1, 0);
    int n1 = isr_used();
    ack();
    vblk_set_used_event(&dev, 2); /* skip idx 2, notify at 3 */
    int st2 = vblk_rw(&dev, VIRTIO_BLK_T_IN, 1, &seg, 1, 0);
    int n2 = isr_used();
    int st3 = vblk_rw(&dev, VIRTIO_BLK_T_IN, 2, &seg, 1, 0);
    int n3 = isr_used();
    ack();
    check(st1 == 0 && st2 == 0 && st3 == 0 && n1 && n3,
          "vblk%d event index: notifies when used_event is passed (%d %d)", slot, n1, n3);
    check(!n2, "vblk%d event index: no notification before used_event", slot);
}

static void test_disk(int slot)
{
    const char *why = "";
    dev.want_event_idx = 0;
    if (vblk_init(&dev, slot, &why) != 0) {
        not_ok("vblk%d init: %s", slot, why);
        return;
    }
    ok("vblk%d init", slot);
    check(vio_r(&dev, VIRTIO_VENDOR_ID) == 0x554d4551u, "vblk%d vendor id QEMU's (xv6 checks it)",
          slot);
    check((dev.offered >> VIRTIO_BLK_F_FLUSH) & 1, "vblk%d offers VIRTIO_BLK_F_FLUSH", slot);
    int ro = (dev.offered >> VIRTIO_BLK_F_RO) & 1;
    ok("vblk%d capacity %lu sectors", slot, (unsigned long)dev.capacity);
    ok("vblk%d %s", slot, ro ? "read-only" : "read-write");

    /* Completion by interrupt: PLIC source 1 + slot to hart 0's M context. */
    unsigned irq = VIRTIO_IRQ(slot);
    mmio_w32(PLIC_PRIORITY(irq), 1);
    mmio_w32(PLIC_ENABLE(PLIC_CTX_M(0), 0), 1u << irq);
    mmio_w32(PLIC_THRESHOLD(PLIC_CTX_M(0)), 0);
    csr_set(mie, 1UL << IRQ_M_EXT);
    csr_set(mstatus, MSTATUS_MIE);

    struct vseg seg = {buf, 16 * 512};
    memset(buf, 0, sizeof(buf));
    int st = vblk_rw(&dev, VIRTIO_BLK_T_IN, 0, &seg, 1, 1);
    long bad = verify(buf, 0, 16, 0);
    check(st == VIRTIO_BLK_S_OK && bad < 0,
          "vblk%d read sectors 0-15 by interrupt (status %d, bad %ld)", slot, st, bad);
    check(dev.irqs >= 1 && other_irqs == 0, "vblk%d used-buffer interrupt through PLIC source %u",
          slot, irq);
    check(!isr_used(), "vblk%d InterruptStatus cleared by ACK", slot);

    /* The rest is polled, with the source masked at the PLIC. */
    csr_clear(mstatus, MSTATUS_MIE);
    mmio_w32(PLIC_ENABLE(PLIC_CTX_M(0), 0), 0);

    for (unsigned k = 0; k < WCOUNT; k++)
        for (unsigned i = 0; i < 512; i++)
            wbuf[k * 512 + i] = pattern_out(WSECT + k, i);
    struct vseg wsegs[2] = {{wbuf, WCOUNT / 2 * 512}, {wbuf + WCOUNT / 2 * 512, WCOUNT / 2 * 512}};
    st = vblk_rw(&dev, VIRTIO_BLK_T_OUT, WSECT, wsegs, 2, 0);
    if (ro) {
        check(st == VIRTIO_BLK_S_IOERR, "vblk%d write to a read-only disk fails with IOERR (%d)",
              slot, st);
    } else {
        check(st == VIRTIO_BLK_S_OK, "vblk%d write sectors 16-23 in two descriptors (status %d)",
              slot, st);
        st = vblk_rw(&dev, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 0);
        check(st == VIRTIO_BLK_S_OK, "vblk%d flush (status %d)", slot, st);
    }

    /* Read back through an indirect descriptor table when offered. */
    dev.use_indirect = (dev.features >> VIRTIO_F_INDIRECT_DESC) & 1;
    check(dev.use_indirect, "vblk%d offers VIRTIO_F_INDIRECT_DESC", slot);
    struct vseg rsegs[4];
    for (int k = 0; k < 4; k++) {
        rsegs[k].buf = buf + k * 16 * 512;
        rsegs[k].len = 16 * 512;
    }
    memset(buf, 0, sizeof(buf));
    st = vblk_rw(&dev, VIRTIO_BLK_T_IN, 0, rsegs, 4, 0);
    bad = verify(buf, 0, 64, !ro);
    check(st == VIRTIO_BLK_S_OK && bad < 0,
          "vblk%d read back sectors 0-63 in four %sdescriptors (status %d, bad %ld)", slot,
          dev.use_indirect ? "indirect " : "", st, bad);
    dev.use_indirect = 0;

    /* Get-id: up to 20 bytes of serial (§5.2.6). */
    memset(buf, 0xee, 20);
    seg.len = 20;
    st = vblk_rw(&dev, VIRTIO_BLK_T_GET_ID, 0, &seg, 1, 0);
    check(st == VIRTIO_BLK_S_OK, "vblk%d get-id (status %d)", slot, st);

    /* Errors: a read that starts at the end of the disk. */
    seg.len = 512;
    st = vblk_rw(&dev, VIRTIO_BLK_T_IN, dev.capacity, &seg, 1, 0);
    check(st == VIRTIO_BLK_S_IOERR, "vblk%d read past capacity fails with IOERR (%d)", slot, st);

    /* The last sector reads fine: the queue still works after an error. */
    st = vblk_rw(&dev, VIRTIO_BLK_T_IN, dev.capacity - 1, &seg, 1, 0);
    bad = verify(buf, dev.capacity - 1, 1, 0);
    check(st == VIRTIO_BLK_S_OK && bad < 0, "vblk%d read last sector (status %d)", slot, st);
    check(!(vio_r(&dev, VIRTIO_STATUS) & (VS_NEEDS_RESET | VS_FAILED)),
          "vblk%d device status healthy", slot);
    ack();

    event_idx(slot);

    /* Reset: status reads 0, the queue is no longer ready. */
    vio_w(&dev, VIRTIO_STATUS, 0);
    vio_w(&dev, VIRTIO_QUEUE_SEL, 0);
    check(vio_r(&dev, VIRTIO_STATUS) == 0 && vio_r(&dev, VIRTIO_QUEUE_READY) == 0,
          "vblk%d reset clears status and QueueReady", slot);
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    puts_raw("vblk test\n");
    unsigned mask = fdt_virtio_slots(dtb);
    int n = 0;
    for (int slot = vblk_find(0, mask); slot >= 0; slot = vblk_find(slot + 1, mask)) {
        test_disk(slot);
        n++;
    }
    check(n > 0, "vblk found %d virtio-blk devices", n);
    finish();
}
