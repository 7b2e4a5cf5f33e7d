/*
 * A hostile virtio-blk driver: descriptors outside RAM or straddling its
 * start, absurd lengths, a descriptor loop, a head index past the queue,
 * a descriptor table outside RAM, a queue size that is not a power of two.
 * The VM must survive each (no crash, no read or write outside guest RAM:
 * the sanitizer build runs this too), and the device must work again after
 * a reset. Whether such a request may complete with VIRTIO_BLK_S_OK is the
 * harness's call (see report()).
 * A device may answer with an error status, set DEVICE_NEEDS_RESET, or
 * ignore the request (VirtIO 1.2 §2.1.2, §2.7.5.2).
 */
#include "vio.h"

#define POLL 20000000UL
#define FAR_ADDR 0x400000000000ULL /* far above any RAM */
#define BELOW_RAM 0x7fffff00ULL    /* 256 bytes below RAM, 256 into it */

static struct vblk dev;
static int slot;
static uint8_t buf[4096] __attribute__((aligned(16)));

/* Reset and set up again; then a plain read of sector 0 must work. */
static int recovers(void)
{
    const char *why = "";
    dev.queue_num = 0;
    dev.desc_addr = 0;
    if (vblk_init(&dev, slot, &why) != 0)
        return 0;
    struct vseg seg = {buf, 512};
    return vblk_rw(&dev, VIRTIO_BLK_T_IN, 0, &seg, 1, 0) == VIRTIO_BLK_S_OK;
}

/* What the device made of the posted request: "error status", "needs
 * reset", "ignored", or "OK" (the wrong answer). */
static const char *outcome(void)
{
    int done = vblk_poll(&dev, POLL);
    if (vio_r(&dev, VIRTIO_STATUS) & VS_NEEDS_RESET)
        return "needs reset";
    if (!done)
        return "ignored";
    return *vblk_req_status() == VIRTIO_BLK_S_OK ? "OK" : "error status";
}

/* Three descriptors: header, data (addr, len), status; `loop` points the
 * data descriptor back at the header. */
static void post_read(uint64_t addr, uint32_t len, int loop, uint16_t head)
{
    struct virtq_desc *t = vblk_desc();
    struct blk_req *h = vblk_req_header();
    h->type = VIRTIO_BLK_T_IN;
    h->reserved = 0;
    h->sector = 0;
    *vblk_req_status() = 0xff;
    t[0] = (struct virtq_desc){(uint64_t)(unsigned long)h, sizeof(*h), VIRTQ_DESC_F_NEXT, 1};
    t[1] = (struct virtq_desc){addr, len, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
                               (uint16_t)(loop ? 0 : 2)};
    t[2] =
        (struct virtq_desc){(uint64_t)(unsigned long)vblk_req_status(), 1, VIRTQ_DESC_F_WRITE, 0};
    vblk_post(&dev, head);
}

/* Survival and recovery are checked here; the outcome is printed on its
 * own line for the harness, which refuses "OK" on riscv-vm (issue 4: such
 * requests must fail or mark the device broken). QEMU completes DMA to
 * unmapped addresses with OK, discarding the data, so the kernel itself
 * cannot insist. */
static void report(const char *what, const char *how)
{
    bm_printf("vblkbad outcome %s: %s\n", what, how);
    check(recovers(), "vblkbad %s: VM survives, device recovers after reset", what);
}

int main(unsigned long hartid, unsigned long dtb)
{
    (void)hartid;
    puts_raw("vblkbad test\n");
    slot = vblk_find(0, fdt_virtio_slots(dtb));
    if (!check(slot >= 0, "vblkbad found a virtio-blk device"))
        finish();
    if (!check(recovers(), "vblkbad device works before the abuse"))
        finish();

    post_read(FAR_ADDR, 512, 0, 0);
    report("data buffer far outside RAM", outcome());

    post_read(BELOW_RAM, 512, 0, 0);
    report("data buffer straddling the start of RAM", outcome());

    post_read((uint64_t)(unsigned long)buf, 0xfffffe00u, 0, 0);
    report("data length 4 GiB - 512", outcome());

    post_read((uint64_t)(unsigned long)buf, 512, 1, 0);
    report("descriptor chain loop", outcome());

    post_read((uint64_t)(unsigned long)buf, 512, 0, 200);
    report("head index past the queue size", outcome());

    /* Rings the device cannot reach, or shaped against the spec. */
    const char *why = "";
    dev.desc_addr = FAR_ADDR;
    int up = vblk_init(&dev, slot, &why) == 0;
    if (up)
        post_read((uint64_t)(unsigned long)buf, 512, 0, 0);
    report("descriptor table outside RAM", up ? outcome() : "refused at setup");

    dev.queue_num = 3;
    up = vblk_init(&dev, slot, &why) == 0;
    const char *how = "refused at setup";
    if (up) {
        post_read((uint64_t)(unsigned long)buf, 512, 0, 0);
        how = outcome();
        /* With QueueNum 3 the request itself is well-formed: a device that
         * accepts the size may complete it. Only survival counts here. */
        if (how[0] == 'O')
            how = "accepted";
    }
    report("queue size 3 (not a power of two)", how);

    ok("vblkbad done");
    finish();
}
