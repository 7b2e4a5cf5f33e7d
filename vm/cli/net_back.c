/* Native network backends behind one rv_netdev (see netback.h): libslirp
 * user networking, Linux TAP, and the WebSocket client. Frames from the
 * network wait in a bounded receive queue until the guest's virtio-net pulls
 * them; frames from the guest go straight out (slirp, TAP) or into the
 * WebSocket's bounded send queue. Nothing here blocks. */
#define _GNU_SOURCE
#include "netback.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if.h>
#include <linux/if_tun.h>

#include "net_slirp.h"
#include "net_ws.h"
#include "net_wt.h"

#define FRAME_MIN 14
#define FRAME_MAX 1518 /* 1514 + an 802.1Q tag; no FCS */
#define RXQ_FRAMES 256
#define TAP_READS_PER_SERVICE 64

enum nb_kind { NB_USER, NB_TAP, NB_WS, NB_WT };

typedef struct rxframe {
    uint16_t len;
    uint8_t data[FRAME_MAX];
} rxframe;

struct netback {
    enum nb_kind kind;
    uint8_t mac[6];
    rxframe *rxq; /* ring of RXQ_FRAMES */
    int rxhead, rxcount;
    nslirp *slirp;
    int tapfd;
    nbws *ws;
    nbwt *wt; /* WebTransport (net_wt.c) */
    netback_stats st;
};

/* ---- receive queue ---- */

static bool rxq_room(void *opaque)
{
    netback *nb = opaque;
    return nb->rxcount < RXQ_FRAMES;
}

static void rxq_push(void *opaque, const uint8_t *f, size_t len)
{
    netback *nb = opaque;
    if (len < FRAME_MIN || len > FRAME_MAX) {
        nb->st.rx_bad++;
        return;
    }
    if (nb->rxcount == RXQ_FRAMES) {
        nb->st.rx_dropped++;
        return;
    }
    rxframe *r = &nb->rxq[(nb->rxhead + nb->rxcount) % RXQ_FRAMES];
    r->len = (uint16_t)len;
    memcpy(r->data, f, len);
    nb->rxcount++;
}

/* ---- rv_netdev ---- */

static void nd_send(void *opaque, const uint8_t *frame, size_t len)
{
    netback *nb = opaque;
    if (len < FRAME_MIN || len > FRAME_MAX) {
        nb->st.tx_dropped++;
        return;
    }
    switch (nb->kind) {
    case NB_USER: nslirp_input(nb->slirp, frame, len); break;
    case NB_TAP:
        /* A full TAP queue drops, as a busy wire would; the guest's TCP
         * retransmits. Never block inside machine_run. */
        if (write(nb->tapfd, frame, len) != (ssize_t)len) {
            nb->st.tx_dropped++;
            return;
        }
        break;
    case NB_WS:
        if (!nbws_send(nb->ws, frame, len)) {
            nb->st.tx_dropped++;
            return;
        }
        break;
    case NB_WT:
        if (!nbwt_send(nb->wt, frame, len)) {
            nb->st.tx_dropped++;
            return;
        }
        break;
    }
    nb->st.tx_frames++;
}

static size_t nd_recv(void *opaque, uint8_t *buf, size_t max)
{
    netback *nb = opaque;
    while (nb->rxcount) {
        rxframe *r = &nb->rxq[nb->rxhead];
        nb->rxhead = (nb->rxhead + 1) % RXQ_FRAMES;
        nb->rxcount--;
        if (nb->kind == NB_WS && nb->rxcount == RXQ_FRAMES / 2)
            nbws_room_available(nb->ws);
        if (r->len > max) {
            nb->st.rx_dropped++;
            continue;
        }
        memcpy(buf, r->data, r->len);
        nb->st.rx_frames++;
        return r->len;
    }
    if (nb->kind == NB_WS)
        nbws_room_available(nb->ws);
    return 0;
}

static bool nd_link_up(void *opaque)
{
    netback *nb = opaque;
    if (nb->kind == NB_WT)
        return nbwt_up(nb->wt);
    return nb->kind != NB_WS || nbws_up(nb->ws);
}

/* ---- backends ---- */

static int open_user(netback *nb, const char *spec, char *err, size_t errlen)
{
    nslirp_opts o = {.block_private = false, .ipv6 = true}; /* as QEMU's -nic user */
    nb->slirp = nslirp_new(&o, rxq_push, nb, err, errlen);
    if (!nb->slirp)
        return -1;
    /* "user[,hostfwd=RULE]..." */
    const char *p = spec + 4;
    while (*p == ',') {
        p++;
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        char opt[256];
        if (n >= sizeof(opt)) {
            snprintf(err, errlen, "--net user: option too long");
            return -1;
        }
        memcpy(opt, p, n);
        opt[n] = 0;
        if (strncmp(opt, "hostfwd=", 8) == 0) {
            if (nslirp_hostfwd(nb->slirp, opt + 8, err, errlen) < 0)
                return -1;
        } else {
            snprintf(err, errlen, "--net user: unknown option '%s' (only hostfwd=...)", opt);
            return -1;
        }
        p += n;
    }
    if (*p) {
        snprintf(err, errlen, "--net: bad spec '%s'", spec);
        return -1;
    }
    return 0;
}

static int open_tap(netback *nb, const char *ifname, char *err, size_t errlen)
{
    struct ifreq ifr;
    if (!*ifname || strlen(ifname) >= sizeof(ifr.ifr_name)) {
        snprintf(err, errlen, "--net-tap: bad interface name '%s'", ifname);
        return -1;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "--net-tap %s: /dev/net/tun: %s", ifname, strerror(errno));
        return -1;
    }
    memset(&ifr, 0, sizeof(ifr));
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI; /* raw Ethernet frames, no header */
    memcpy(ifr.ifr_name, ifname, strlen(ifname));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        snprintf(err, errlen, "--net-tap %s: TUNSETIFF: %s", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    nb->tapfd = fd;
    return 0;
}

netback *netback_open(const char *spec, const uint8_t mac[6], char *err, size_t errlen)
{
    netback *nb = calloc(1, sizeof(*nb));
    if (nb)
        nb->rxq = calloc(RXQ_FRAMES, sizeof(rxframe));
    if (!nb || !nb->rxq) {
        free(nb);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    memcpy(nb->mac, mac, 6);
    nb->tapfd = -1;
    int r;
    if (strcmp(spec, "user") == 0 || strncmp(spec, "user,", 5) == 0) {
        nb->kind = NB_USER;
        r = open_user(nb, spec, err, errlen);
    } else if (strncmp(spec, "tap:", 4) == 0) {
        nb->kind = NB_TAP;
        r = open_tap(nb, spec + 4, err, errlen);
    } else if (strncmp(spec, "ws://", 5) == 0 || strncmp(spec, "wss://", 6) == 0) {
        nb->kind = NB_WS;
        nb->ws = nbws_open(spec, rxq_push, rxq_room, nb, err, errlen);
        r = nb->ws ? 0 : -1;
    } else if (strncmp(spec, "https://", 8) == 0) {
        nb->kind = NB_WT;
        nb->wt = nbwt_open(spec, rxq_push, nb, err, errlen);
        r = nb->wt ? 0 : -1;
    } else {
        snprintf(err, errlen,
                 "unknown network backend '%s' (user, tap:IF, ws://, wss://, https://)", spec);
        r = -1;
    }
    if (r < 0) {
        netback_close(nb);
        return NULL;
    }
    return nb;
}

rv_netdev netback_netdev(netback *nb)
{
    rv_netdev nd;
    memset(&nd, 0, sizeof(nd));
    nd.opaque = nb;
    nd.send = nd_send;
    nd.recv = nd_recv;
    nd.link_up = nd_link_up;
    memcpy(nd.mac, nb->mac, 6);
    return nd;
}

int netback_pollfds(netback *nb, struct pollfd *fds, int max, int *timeout_ms)
{
    switch (nb->kind) {
    case NB_USER: return nslirp_pollfds(nb->slirp, fds, max, timeout_ms);
    case NB_TAP:
        if (max < 1 || nb->rxcount == RXQ_FRAMES)
            return 0; /* full: leave frames in the kernel's queue */
        fds[0] = (struct pollfd){.fd = nb->tapfd, .events = POLLIN};
        return 1;
    case NB_WS: return nbws_pollfds(nb->ws, fds, max, timeout_ms);
    case NB_WT: return nbwt_pollfds(nb->wt, fds, max, timeout_ms);
    }
    return 0;
}

void netback_service(netback *nb, const struct pollfd *fds, int nfds)
{
    switch (nb->kind) {
    case NB_USER: nslirp_service(nb->slirp, fds, nfds); break;
    case NB_TAP:
        if (nfds < 1 || !(fds[0].revents & POLLIN))
            break;
        for (int i = 0; i < TAP_READS_PER_SERVICE && nb->rxcount < RXQ_FRAMES; i++) {
            uint8_t buf[65536]; /* a TAP read returns one frame, maybe a GSO giant */
            ssize_t n = read(nb->tapfd, buf, sizeof(buf));
            if (n < 0)
                break;
            rxq_push(nb, buf, (size_t)n);
        }
        break;
    case NB_WS: nbws_service(nb->ws, fds, nfds); break;
    case NB_WT: nbwt_service(nb->wt, fds, nfds); break;
    }
}

void netback_close(netback *nb)
{
    if (!nb)
        return;
    nslirp_free(nb->slirp);
    nbws_close(nb->ws);
    nbwt_close(nb->wt);
    if (nb->tapfd >= 0)
        close(nb->tapfd);
    free(nb->rxq);
    free(nb);
}

void netback_get_stats(const netback *nb, netback_stats *st)
{
    *st = nb->st;
    if (nb->kind == NB_WS) {
        st->rx_bad += nbws_bad(nb->ws);
        st->reconnects = nbws_reconnects(nb->ws);
    }
    if (nb->kind == NB_WT) {
        st->rx_bad += nbwt_bad(nb->wt);
        st->reconnects = nbwt_reconnects(nb->wt);
    }
}
