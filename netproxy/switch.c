/* Learning switches, one per segment, and their NAT uplinks (see switch.h).
 * Forwarding follows IEEE 802.1D: learn the source address on the ingress
 * port, send a known unicast destination to its port only, flood group and
 * unknown destinations to every other port; entries age out. */
#define _GNU_SOURCE
#include "switch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_slirp.h"

#define MAC_TABLE 512           /* per segment; a MAC flood recycles the oldest */
#define MAC_AGE_MS (300 * 1000) /* 802.1D default ageing time */
#define SLIRP_POLL_MAX 1024     /* uplink sockets polled per round */

typedef struct mac_entry {
    uint8_t mac[6];
    port *port;
    int64_t seen_ms;
} mac_entry;

struct segment {
    segment *next;
    char path[PATH_MAX_LEN];
    port **ports;
    int nports, cap;
    mac_entry macs[MAC_TABLE];
    int nmacs;
    nslirp *slirp; /* NAT uplink, or NULL */
    port uplink;
    int npoll; /* uplink fds placed in this round's poll array */
    uint64_t frames, flooded;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

segment *seg_get(switchboard *sb, const char *path)
{
    for (segment *g = sb->segs; g; g = g->next)
        if (strcmp(g->path, path) == 0)
            return g;
    segment *g = calloc(1, sizeof(*g));
    if (!g)
        return NULL;
    snprintf(g->path, sizeof(g->path), "%s", path);
    g->next = sb->segs;
    sb->segs = g;
    return g;
}

const char *seg_path(const segment *g)
{
    return g->path;
}

int seg_nports(const segment *g)
{
    return g->nports;
}

int seg_add_port(segment *g, port *p)
{
    if (g->nports == g->cap) {
        int cap = g->cap ? g->cap * 2 : 8;
        port **n = realloc(g->ports, (size_t)cap * sizeof(*n));
        if (!n)
            return -1;
        g->ports = n;
        g->cap = cap;
    }
    g->ports[g->nports++] = p;
    p->seg = g;
    return 0;
}

static void seg_free(segment *g)
{
    nslirp_free(g->slirp);
    free(g->ports);
    free(g);
}

void seg_remove_port(switchboard *sb, port *p)
{
    segment *g = p->seg;
    if (!g)
        return;
    for (int i = 0; i < g->nports; i++) {
        if (g->ports[i] == p) {
            g->ports[i] = g->ports[--g->nports];
            break;
        }
    }
    for (int i = 0; i < g->nmacs;) {
        if (g->macs[i].port == p)
            g->macs[i] = g->macs[--g->nmacs];
        else
            i++;
    }
    p->seg = NULL;
    if (g->nports > 0 || g->slirp)
        return; /* segments with an uplink stay for good */
    for (segment **pp = &sb->segs; *pp; pp = &(*pp)->next) {
        if (*pp == g) {
            *pp = g->next;
            seg_free(g);
            return;
        }
    }
}

static mac_entry *mac_lookup(segment *g, const uint8_t *mac, int64_t now)
{
    for (int i = 0; i < g->nmacs; i++)
        if (memcmp(g->macs[i].mac, mac, 6) == 0)
            return now - g->macs[i].seen_ms > MAC_AGE_MS ? NULL : &g->macs[i];
    return NULL;
}

static void mac_learn(segment *g, const uint8_t *mac, port *p, int64_t now)
{
    if (mac[0] & 1)
        return; /* a group address is never a source */
    int oldest = 0;
    for (int i = 0; i < g->nmacs; i++) {
        if (memcmp(g->macs[i].mac, mac, 6) == 0) {
            g->macs[i].port = p; /* a station may move between ports */
            g->macs[i].seen_ms = now;
            return;
        }
        if (g->macs[i].seen_ms < g->macs[oldest].seen_ms)
            oldest = i;
    }
    int slot = g->nmacs < MAC_TABLE ? g->nmacs++ : oldest;
    memcpy(g->macs[slot].mac, mac, 6);
    g->macs[slot].port = p;
    g->macs[slot].seen_ms = now;
}

void seg_forward(segment *g, port *from, const uint8_t *f, size_t len)
{
    int64_t now = now_ms();
    g->frames++;
    mac_learn(g, f + 6, from, now);
    if (!(f[0] & 1)) {
        mac_entry *e = mac_lookup(g, f, now);
        if (e) {
            if (e->port != from)
                e->port->send(e->port, f, len);
            return;
        }
    }
    g->flooded++;
    for (int i = 0; i < g->nports; i++)
        if (g->ports[i] != from)
            g->ports[i]->send(g->ports[i], f, len);
}

/* ---- NAT uplink ---- */

static void uplink_send(port *p, const uint8_t *f, size_t len)
{
    /* libslirp takes any frame as addressed to itself: hand it only what
     * slirp's own addresses would accept (its MACs are 52:55 followed by the
     * IPv4 address answered for: 52:55:0a:00:02:02 gateway, :03 DNS), not
     * unicast flooded towards other guests. */
    if (!(f[0] & 1) && (f[0] != 0x52 || f[1] != 0x55))
        return;
    nslirp_input(p->seg->slirp, f, len); /* the filter runs in there */
}

static void uplink_out(void *ctx, const uint8_t *frame, size_t len)
{
    segment *g = ctx;
    if (len >= FRAME_MIN && len <= FRAME_MAX)
        seg_forward(g, &g->uplink, frame, len);
}

int seg_add_nat(segment *g, bool block_private, char *err, size_t errlen)
{
    if (g->slirp)
        return 0;
    nslirp_opts o = {.block_private = block_private, .ipv6 = false};
    g->slirp = nslirp_new(&o, uplink_out, g, err, errlen);
    if (!g->slirp)
        return -1;
    g->uplink.send = uplink_send;
    g->uplink.opaque = g;
    if (seg_add_port(g, &g->uplink) < 0) {
        nslirp_free(g->slirp);
        g->slirp = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

int switch_max_pollfds(const switchboard *sb)
{
    int n = 0;
    for (const segment *g = sb->segs; g; g = g->next)
        if (g->slirp)
            n += SLIRP_POLL_MAX;
    return n;
}

int switch_pollfds(switchboard *sb, struct pollfd *fds, int max, int *timeout_ms)
{
    int n = 0;
    for (segment *g = sb->segs; g; g = g->next) {
        if (!g->slirp)
            continue;
        int room = max - n < SLIRP_POLL_MAX ? max - n : SLIRP_POLL_MAX;
        g->npoll = nslirp_pollfds(g->slirp, fds + n, room, timeout_ms);
        n += g->npoll;
    }
    return n;
}

void switch_service(switchboard *sb, const struct pollfd *fds, int nfds)
{
    int k = 0;
    for (segment *g = sb->segs; g; g = g->next) {
        if (!g->slirp)
            continue;
        int cnt = k + g->npoll <= nfds ? g->npoll : 0;
        nslirp_service(g->slirp, cnt ? fds + k : NULL, cnt);
        k += cnt;
    }
}

void switch_log_stats(switchboard *sb, void (*log_fn)(const char *fmt, ...))
{
    for (segment *g = sb->segs; g; g = g->next)
        if (g->slirp)
            log_fn("segment %s: frames=%llu flooded=%llu nat-refused=%llu", g->path,
                   (unsigned long long)g->frames, (unsigned long long)g->flooded,
                   (unsigned long long)nslirp_filtered(g->slirp));
}

void switch_free(switchboard *sb)
{
    while (sb->segs) {
        segment *g = sb->segs;
        sb->segs = g->next;
        seg_free(g);
    }
}
