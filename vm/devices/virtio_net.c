/* virtio-net (VirtIO 1.2 §5.1) over the virtio-mmio transport.
 *
 * Queue 0 receives, queue 1 transmits; no control queue, no offloads. Every
 * packet starts with the 12-byte struct virtio_net_hdr (§5.1.6: with
 * VERSION_1 num_buffers is always present): flags, gso_type, hdr_len,
 * gso_size, csum_start, csum_offset, num_buffers. We send and expect all
 * zeros (no checksum or GSO offload offered) except num_buffers.
 *
 * Receive happens in poll() (and when the driver posts buffers): while the
 * driver has buffers, one frame from nd->recv() is written across one chain,
 * or with MRG_RXBUF across as many as needed (§5.1.6.4). A frame that does
 * not fit the buffers posted so far waits for the next poll. Frames outside
 * 14..1518 bytes (Ethernet with an optional VLAN tag, no FCS) are dropped in
 * both directions and counted.
 *
 * Configuration space (§5.1.4): mac[6] at 0, le16 status at 6 (bit 0 link
 * up), le16 max_virtqueue_pairs = 1 at 8. A link change bumps the config
 * generation and raises the config interrupt. */
#include <stdlib.h>
#include <string.h>

#include "devices/dev_util.h"
#include "devices/virtio_mmio.h"

/* Feature bits (§5.1.3). */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

#define NET_HDR 12
#define FRAME_MIN 14
#define FRAME_MAX 1518 /* 1514 + an 802.1Q tag */
#define RXQ 0
#define TXQ 1
#define RX_FRAMES_PER_POLL 256 /* bounds the work one poll does */

typedef struct vnet {
    rv_netdev nd;
    bool link;
    /* A received frame waiting for buffers, header in front. */
    uint8_t rx[NET_HDR + FRAME_MAX];
    size_t rx_len; /* frame bytes in rx, 0 = none */
    uint8_t tx[FRAME_MAX];
    virtio_net_stats st;
    /* Chains taken for the frame being received. */
    uint16_t heads[VIRTQ_NUM_MAX];
    uint32_t lens[VIRTQ_NUM_MAX];
} vnet;

static bool backend_link(const vnet *n)
{
    return n->nd.link_up ? n->nd.link_up(n->nd.opaque) : true;
}

static void set_link_config(virtio_mmio *v, bool up)
{
    st16(v->config + 6, up ? VIRTIO_NET_S_LINK_UP : 0);
}

static void net_tx(virtio_mmio *v)
{
    vnet *n = v->dev;
    vq_chain *c = &v->chain;
    bool any = false;
    while (vq_pop(v, TXQ, c) == 1) {
        uint64_t flen = c->rlen >= NET_HDR ? c->rlen - NET_HDR : 0;
        if (c->bad || c->rlen < NET_HDR || flen < FRAME_MIN || flen > FRAME_MAX ||
            vq_chain_read(c, NET_HDR, n->tx, (size_t)flen) != flen) {
            n->st.tx_dropped++;
        } else {
            n->st.tx_frames++;
            if (n->nd.send && n->link)
                n->nd.send(n->nd.opaque, n->tx, (size_t)flen);
        }
        vq_push(v, TXQ, c->head, 0);
        any = true;
    }
    if (any)
        vq_notify_guest(v, TXQ);
}

/* Places the frame in n->rx into receive buffers. Returns false when the
 * buffers posted so far are not enough (the frame stays for later). */
static bool rx_place(virtio_mmio *v, vnet *n, bool *any)
{
    vq_chain *c = &v->chain;
    bool mrg = virtio_has_feature(v, VIRTIO_NET_F_MRG_RXBUF);
    size_t total = NET_HDR + n->rx_len, off = 0;
    uint8_t *nb_host[2] = {NULL, NULL}; /* num_buffers, wherever it landed */
    uint64_t nb_pa[2] = {0, 0};
    uint16_t taken = 0;
    memset(n->rx, 0, NET_HDR);
    while (off < total) {
        int got = taken == VIRTQ_NUM_MAX ? 0 : vq_pop(v, RXQ, c);
        if (got < 0)
            return true; /* broken ring: the device needs a reset anyway */
        if (got == 0) {
            vq_unpop(v, RXQ, taken); /* not enough room yet: try again later */
            return false;
        }
        if (c->bad) {
            /* A receive buffer outside RAM: the driver is broken. */
            virtio_set_needs_reset(v);
            return true;
        }
        size_t k = vq_chain_write(v, c, 0, n->rx + off, total - off);
        for (int i = 0; i < 2; i++)
            if (off <= 10u + i && 10u + i < off + k)
                nb_host[i] = vq_chain_wbyte(c, 10 + i - off, &nb_pa[i]);
        n->heads[taken] = c->head;
        n->lens[taken] = (uint32_t)k;
        taken++;
        off += k;
        if (!mrg)
            break;
    }
    if (off < total) {
        /* One buffer too small without MRG_RXBUF: give it back empty. */
        n->st.rx_dropped++;
        vq_push(v, RXQ, n->heads[0], 0);
        *any = true;
        return true;
    }
    for (int i = 0; i < 2; i++) {
        if (nb_host[i]) {
            *nb_host[i] = (uint8_t)(taken >> (8 * i));
            if (v->dma.dirty)
                v->dma.dirty(v->dma.ctx, nb_pa[i], 1);
        }
    }
    for (uint16_t i = 0; i < taken; i++)
        vq_push(v, RXQ, n->heads[i], n->lens[i]);
    n->st.rx_frames++;
    *any = true;
    return true;
}

static void net_rx(virtio_mmio *v)
{
    vnet *n = v->dev;
    bool any = false;
    if (!virtio_running(v) || !v->vq[RXQ].ready)
        return;
    for (int budget = 0; budget < RX_FRAMES_PER_POLL; budget++) {
        if (!vq_has_avail(v, RXQ))
            break;
        if (!n->rx_len) {
            if (!n->nd.recv)
                break;
            size_t len = n->nd.recv(n->nd.opaque, n->rx + NET_HDR, FRAME_MAX);
            if (len == 0)
                break;
            if (len < FRAME_MIN || len > FRAME_MAX || !n->link) {
                n->st.rx_dropped++;
                continue;
            }
            n->rx_len = len;
        }
        if (!rx_place(v, n, &any))
            break;
        n->rx_len = 0;
    }
    if (any)
        vq_notify_guest(v, RXQ);
}

static void net_notify(virtio_mmio *v, int q)
{
    if (q == TXQ)
        net_tx(v);
    else
        net_rx(v);
}

static void net_poll(virtio_mmio *v)
{
    vnet *n = v->dev;
    bool up = backend_link(n);
    if (up != n->link) {
        n->link = up;
        set_link_config(v, up);
        virtio_config_changed(v);
    }
    net_rx(v);
}

static void net_reset(virtio_mmio *v)
{
    vnet *n = v->dev;
    n->rx_len = 0;
}

static void net_destroy(virtio_mmio *v)
{
    free(v->dev);
}

static const virtio_ops net_ops = {
    .name = "virtio_net",
    .device_id = 1,
    .nqueues = 2,
    .notify = net_notify,
    .reset = net_reset,
    .poll = net_poll,
    .snapshot = NULL,
    .destroy = net_destroy,
};

virtio_net_stats virtio_net_get_stats(const virtio_mmio *v)
{
    virtio_net_stats none = {0, 0, 0, 0};
    return v->ops == &net_ops ? ((const vnet *)v->dev)->st : none;
}

virtio_mmio *virtio_net_create(const rv_dma *dma, const rv_netdev *nd, rv_irq_line irq)
{
    if (!nd)
        return NULL;
    vnet *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->nd = *nd;
    n->link = backend_link(n);
    uint64_t features = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS) |
                        (1ull << VIRTIO_NET_F_MRG_RXBUF);
    virtio_mmio *v = virtio_mmio_new(&net_ops, n, dma, irq, features);
    if (!v) {
        free(n);
        return NULL;
    }
    v->config_len = 10;
    memcpy(v->config, nd->mac, 6);
    set_link_config(v, n->link);
    st16(v->config + 8, 1);
    return v;
}
