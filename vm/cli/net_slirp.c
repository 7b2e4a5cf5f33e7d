/* libslirp driven from a caller-owned poll() loop (see net_slirp.h).
 *
 * libslirp 4.7 has no per-connection hook to veto the host sockets it opens
 * for the guest, so the "no private ranges" policy is enforced on the way
 * in: nslirp_input() parses each guest frame and refuses IPv4 packets whose
 * destination the host must not be asked to reach, before slirp_input() can
 * open a socket for them. Slirp's own alias of the host loopback (10.0.2.2)
 * is closed with SlirpConfig.disable_host_loopback, which makes slirp refuse
 * (TCP RST) instead of connecting to 127.0.0.1. */
#define _GNU_SOURCE
#include "net_slirp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RV_HAVE_SLIRP

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <libslirp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <time.h>

#define VNET 0x0a000200u  /* 10.0.2.0/24, QEMU's user network */
#define VHOST 0x0a000202u /* gateway, DHCP server, host-loopback alias */
#define VDNS 0x0a000203u
#define VDHCP 0x0a00020fu /* first DHCP lease: 10.0.2.15 */
#define MAX_LOCAL_ADDRS 64

typedef struct nslirp_timer {
    struct nslirp_timer *next;
    SlirpTimerId id; /* timer_new_opaque style */
    SlirpTimerCb cb; /* timer_new style (older callers); NULL otherwise */
    void *cb_opaque;
    int64_t expire_ms; /* -1 = disarmed */
} nslirp_timer;

struct nslirp {
    Slirp *slirp;
    nslirp_output_fn out;
    void *ctx;
    nslirp_opts opts;
    nslirp_timer *timers;
    struct pollfd *pfd; /* slirp's fds for the current poll round */
    int npfd, cappfd;
    int ncopied; /* how many of pfd the caller actually polls */
    bool filled; /* slirp_pollfds_fill ran and awaits its _poll */
    uint64_t filtered;
    uint32_t local[MAX_LOCAL_ADDRS]; /* host's own IPv4 addresses */
    int nlocal;
};

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    nslirp *s = opaque;
    s->out(s->ctx, buf, len);
    return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    (void)msg;
    (void)opaque; /* guest misbehaviour is the guest's business */
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return mono_ns();
}

static nslirp_timer *timer_alloc(nslirp *s)
{
    nslirp_timer *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->expire_ms = -1;
    t->next = s->timers;
    s->timers = t;
    return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    nslirp_timer *t = timer_alloc(opaque);
    if (t) {
        t->cb = cb;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque, void *opaque)
{
    nslirp_timer *t = timer_alloc(opaque);
    if (t) {
        t->id = id;
        t->cb_opaque = cb_opaque;
    }
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    nslirp *s = opaque;
    for (nslirp_timer **p = &s->timers; *p; p = &(*p)->next) {
        if (*p == timer) {
            *p = ((nslirp_timer *)timer)->next;
            free(timer);
            return;
        }
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((nslirp_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
    (void)fd;
    (void)opaque; /* fds are collected afresh each round by pollfds_fill */
}

static void cb_notify(void *opaque)
{
    (void)opaque; /* single thread: the next loop round picks it up */
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_register_poll_fd,
    .notify = cb_notify,
    .timer_new_opaque = cb_timer_new_opaque,
};

static void collect_local_addrs(nslirp *s)
{
    struct ifaddrs *ifa = NULL;
    if (getifaddrs(&ifa) != 0)
        return;
    for (struct ifaddrs *i = ifa; i && s->nlocal < MAX_LOCAL_ADDRS; i = i->ifa_next) {
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)i->ifa_addr;
            s->local[s->nlocal++] = ntohl(sin->sin_addr.s_addr);
        }
    }
    freeifaddrs(ifa);
}

nslirp *nslirp_new(const nslirp_opts *opts, nslirp_output_fn out, void *ctx, char *err,
                   size_t errlen)
{
    nslirp *s = calloc(1, sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->out = out;
    s->ctx = ctx;
    s->opts = *opts;
    if (s->opts.block_private) {
        s->opts.ipv6 = false;
        collect_local_addrs(s);
    }

    SlirpConfig cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.version = 4; /* timer_new_opaque and disable_dhcp exist from 4 on */
    cfg.restricted = 0;
    cfg.in_enabled = true;
    cfg.vnetwork.s_addr = htonl(VNET);
    cfg.vnetmask.s_addr = htonl(0xffffff00u);
    cfg.vhost.s_addr = htonl(VHOST);
    cfg.vdhcp_start.s_addr = htonl(VDHCP);
    cfg.vnameserver.s_addr = htonl(VDNS);
    cfg.in6_enabled = s->opts.ipv6;
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    cfg.vprefix_len = 64;
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);
    cfg.vhostname = "riscv-vm";
    cfg.disable_host_loopback = s->opts.block_private;
    cfg.enable_emu = false;

    s->slirp = slirp_new(&cfg, &callbacks, s);
    if (!s->slirp) {
        snprintf(err, errlen, "slirp_new failed");
        free(s);
        return NULL;
    }
    return s;
}

void nslirp_free(nslirp *s)
{
    if (!s)
        return;
    slirp_cleanup(s->slirp); /* frees its timers through cb_timer_free */
    while (s->timers) {
        nslirp_timer *t = s->timers;
        s->timers = t->next;
        free(t);
    }
    free(s->pfd);
    free(s);
}

/* [addr]:port, addr optional. */
static int parse_hostport(const char *p, size_t n, struct in_addr *addr, int *port)
{
    const char *colon = memchr(p, ':', n);
    if (!colon)
        return -1;
    char a[64], q[16];
    size_t alen = (size_t)(colon - p), plen = n - alen - 1;
    if (alen >= sizeof(a) || plen == 0 || plen >= sizeof(q))
        return -1;
    memcpy(a, p, alen);
    a[alen] = 0;
    memcpy(q, colon + 1, plen);
    q[plen] = 0;
    if (alen && inet_pton(AF_INET, a, addr) != 1)
        return -1;
    char *end;
    long v = strtol(q, &end, 10);
    if (*end || v < 0 || v > 65535)
        return -1;
    *port = (int)v;
    return 0;
}

int nslirp_hostfwd(nslirp *s, const char *rule, char *err, size_t errlen)
{
    int udp;
    const char *p;
    if (strncmp(rule, "tcp:", 4) == 0) {
        udp = 0;
        p = rule + 4;
    } else if (strncmp(rule, "udp:", 4) == 0) {
        udp = 1;
        p = rule + 4;
    } else {
        udp = 0;
        p = rule;
        if (*p == ':')
            p++; /* QEMU accepts a bare ":hostport-:guestport" as tcp */
    }
    const char *dash = strchr(p, '-');
    struct in_addr haddr = {.s_addr = htonl(INADDR_ANY)};
    struct in_addr gaddr = {.s_addr = htonl(VDHCP)};
    int hport, gport;
    if (!dash || parse_hostport(p, (size_t)(dash - p), &haddr, &hport) ||
        parse_hostport(dash + 1, strlen(dash + 1), &gaddr, &gport) || gport == 0) {
        snprintf(err, errlen, "bad hostfwd '%s' (want tcp:[HOSTADDR]:PORT-[GUESTADDR]:PORT)", rule);
        return -1;
    }
    if (slirp_add_hostfwd(s->slirp, udp, haddr, hport, gaddr, gport) < 0) {
        snprintf(err, errlen, "hostfwd '%s': cannot listen on host port %d", rule, hport);
        return -1;
    }
    return 0;
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Address ranges a public relay must not open sockets to (RFC 6890 special
 * purpose registry, plus multicast and the reserved block). */
static bool v4_special(uint32_t a)
{
    static const struct {
        uint32_t net, mask;
    } ranges[] = {
        {0x00000000u, 0xff000000u}, /* 0/8 "this network" */
        {0x0a000000u, 0xff000000u}, /* 10/8 private */
        {0x64400000u, 0xffc00000u}, /* 100.64/10 CGNAT */
        {0x7f000000u, 0xff000000u}, /* 127/8 loopback */
        {0xa9fe0000u, 0xffff0000u}, /* 169.254/16 link-local, cloud metadata */
        {0xac100000u, 0xfff00000u}, /* 172.16/12 private */
        {0xc0000000u, 0xffffff00u}, /* 192.0.0/24 protocol assignments */
        {0xc0a80000u, 0xffff0000u}, /* 192.168/16 private */
        {0xc6120000u, 0xfffe0000u}, /* 198.18/15 benchmarking */
        {0xe0000000u, 0xf0000000u}, /* 224/4 multicast */
        {0xf0000000u, 0xf0000000u}, /* 240/4 reserved, broadcast */
    };
    for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
        if ((a & ranges[i].mask) == ranges[i].net)
            return true;
    return false;
}

bool nslirp_filter(const nslirp *s, const uint8_t *f, size_t len)
{
    if (!s->opts.block_private)
        return false;
    if (len < 14)
        return true;
    uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
    if (type == 0x0806)
        return false; /* ARP: slirp answers for its own addresses only */
    if (type != 0x0800)
        return true; /* IPv6 is off; VLAN tags and the rest mean nothing here */
    const uint8_t *ip = f + 14;
    if (len < 14 + 20 || (ip[0] >> 4) != 4)
        return true;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if (ihl < 20 || len < 14 + ihl)
        return true;
    uint32_t dst = rd32(ip + 16);
    uint8_t proto = ip[9];
    bool first_frag = ((ip[6] & 0x1f) | ip[7]) == 0;

    if (dst == 0xffffffffu)
        return false; /* DHCP discovery; slirp never forwards it to the host */
    if ((dst & 0xffffff00u) == VNET) {
        if (dst == VHOST)
            return false; /* slirp's services; loopback alias disabled in cfg */
        if (dst == VDNS) {
            /* slirp relays anything sent to 10.0.2.3 to the host's resolver
             * address, whatever the port: allow only DNS itself, so a
             * resolver on 127.0.0.53 is not a door to the host's loopback. */
            if ((proto != 6 && proto != 17) || !first_frag || len < 14 + ihl + 4)
                return true;
            uint16_t dport = (uint16_t)(ip[ihl + 2] << 8 | ip[ihl + 3]);
            return dport != 53;
        }
        /* Slirp would connect() other 10.0.2.x literally on the host's own
         * network. */
        return true;
    }
    if (v4_special(dst))
        return true;
    for (int i = 0; i < s->nlocal; i++)
        if (s->local[i] == dst)
            return true;
    return false;
}

static uint16_t ip_csum(const uint8_t *p, size_t n)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* Tells the guest at once that a refused TCP/UDP/ping went nowhere: ICMP
 * destination unreachable, code 13 "communication administratively
 * prohibited" (RFC 792, RFC 1812 §5.2.7.1), from the gateway, quoting the
 * IP header and 8 bytes as RFC 792 asks. Without it the guest's connect()
 * would hang until its timeout. Never in reply to an ICMP error, a
 * fragment tail or a frame that was not sent to slirp's MAC. */
static void refuse_icmp(nslirp *s, const uint8_t *f, size_t len)
{
    /* slirp's MACs are 52:55 + the IPv4 address it answers ARP for */
    if (len < 14 + 20 || f[0] != 0x52 || f[1] != 0x55 || f[12] != 0x08 || f[13] != 0x00)
        return;
    const uint8_t *ip = f + 14;
    size_t ihl = (size_t)(ip[0] & 15) * 4;
    if ((ip[0] >> 4) != 4 || ihl < 20 || len < 14 + ihl + 8 || ((ip[6] & 0x1f) | ip[7]))
        return;
    uint8_t proto = ip[9];
    if (!(proto == 6 || proto == 17 || (proto == 1 && ip[ihl] == 8)))
        return;
    if ((rd32(ip + 12) & 0xffffff00u) != VNET)
        return; /* only guests on the virtual network get answers */
    size_t quote = ihl + 8;
    uint8_t r[14 + 20 + 8 + 60 + 8];
    memset(r, 0, sizeof(r));
    memcpy(r, f + 6, 6);
    memcpy(r + 6, f, 6);
    r[12] = 0x08;
    uint8_t *rip = r + 14, *icmp = rip + 20;
    size_t tot = 20 + 8 + quote;
    rip[0] = 0x45;
    rip[2] = (uint8_t)(tot >> 8);
    rip[3] = (uint8_t)tot;
    rip[8] = 64;
    rip[9] = 1;
    uint32_t src = VHOST;
    for (int i = 0; i < 4; i++)
        rip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
    memcpy(rip + 16, ip + 12, 4);
    uint16_t c = ip_csum(rip, 20);
    rip[10] = (uint8_t)(c >> 8);
    rip[11] = (uint8_t)c;
    icmp[0] = 3;  /* destination unreachable */
    icmp[1] = 13; /* administratively prohibited */
    memcpy(icmp + 8, ip, quote);
    c = ip_csum(icmp, 8 + quote);
    icmp[2] = (uint8_t)(c >> 8);
    icmp[3] = (uint8_t)c;
    s->out(s->ctx, r, 14 + tot);
}

void nslirp_input(nslirp *s, const uint8_t *frame, size_t len)
{
    if (len < 14 || len > 65535) {
        s->filtered++;
        return;
    }
    if (nslirp_filter(s, frame, len)) {
        s->filtered++;
        refuse_icmp(s, frame, len);
        return;
    }
    slirp_input(s->slirp, frame, (int)len);
}

uint64_t nslirp_filtered(const nslirp *s)
{
    return s->filtered;
}

static int to_poll(int ev)
{
    int r = 0;
    if (ev & SLIRP_POLL_IN)
        r |= POLLIN;
    if (ev & SLIRP_POLL_OUT)
        r |= POLLOUT;
    if (ev & SLIRP_POLL_PRI)
        r |= POLLPRI;
    return r;
}

static int from_poll(int rev)
{
    int r = 0;
    if (rev & POLLIN)
        r |= SLIRP_POLL_IN;
    if (rev & POLLOUT)
        r |= SLIRP_POLL_OUT;
    if (rev & POLLPRI)
        r |= SLIRP_POLL_PRI;
    if (rev & (POLLERR | POLLNVAL))
        r |= SLIRP_POLL_ERR;
    if (rev & POLLHUP)
        r |= SLIRP_POLL_HUP;
    return r;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
    nslirp *s = opaque;
    if (s->npfd == s->cappfd) {
        int cap = s->cappfd ? s->cappfd * 2 : 16;
        struct pollfd *n = realloc(s->pfd, (size_t)cap * sizeof(*n));
        if (!n)
            return -1; /* slirp treats -1 as "not polled" */
        s->pfd = n;
        s->cappfd = cap;
    }
    s->pfd[s->npfd] = (struct pollfd){.fd = fd, .events = (short)to_poll(events)};
    return s->npfd++;
}

static int cb_get_revents(int idx, void *opaque)
{
    nslirp *s = opaque;
    if (idx < 0 || idx >= s->ncopied)
        return 0;
    return from_poll(s->pfd[idx].revents);
}

int nslirp_pollfds(nslirp *s, struct pollfd *fds, int max, int *timeout_ms)
{
    if (s->filled) /* a fill with no service in between: close the round */
        nslirp_service(s, NULL, 0);
    uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
    s->npfd = 0;
    slirp_pollfds_fill(s->slirp, &t, cb_add_poll, s);
    s->filled = true;
    int64_t now_ms = mono_ns() / 1000000;
    for (nslirp_timer *tm = s->timers; tm; tm = tm->next) {
        if (tm->expire_ms < 0)
            continue;
        int64_t d = tm->expire_ms - now_ms;
        if (d < 0)
            d = 0;
        if ((uint64_t)d < t)
            t = (uint32_t)d;
    }
    if (t != UINT32_MAX && (*timeout_ms < 0 || (int64_t)t < *timeout_ms))
        *timeout_ms = (int)t;
    s->ncopied = s->npfd < max ? s->npfd : max;
    for (int i = 0; i < s->ncopied; i++)
        fds[i] = s->pfd[i];
    /* More sockets than the caller has room for: the rest are polled
     * without waiting in nslirp_service, so wake up often enough. */
    if (s->ncopied < s->npfd && (*timeout_ms < 0 || *timeout_ms > 10))
        *timeout_ms = 10;
    return s->ncopied;
}

void nslirp_service(nslirp *s, const struct pollfd *fds, int nfds)
{
    if (s->filled) {
        for (int i = 0; i < s->ncopied; i++)
            s->pfd[i].revents = (fds && i < nfds) ? fds[i].revents : 0;
        if (s->ncopied < s->npfd &&
            poll(s->pfd + s->ncopied, (nfds_t)(s->npfd - s->ncopied), 0) < 0)
            for (int i = s->ncopied; i < s->npfd; i++)
                s->pfd[i].revents = 0;
        s->ncopied = s->npfd;
        s->filled = false;
        slirp_pollfds_poll(s->slirp, 0, cb_get_revents, s);
    }
    /* Fire expired timers. A callback may free or re-arm timers, so restart
     * the walk after each one. */
    int64_t now_ms = mono_ns() / 1000000;
    for (int guard = 0; guard < 64; guard++) {
        nslirp_timer *tm = s->timers;
        while (tm && (tm->expire_ms < 0 || tm->expire_ms > now_ms))
            tm = tm->next;
        if (!tm)
            break;
        tm->expire_ms = -1;
        if (tm->cb)
            tm->cb(tm->cb_opaque);
        else
            slirp_handle_timer(s->slirp, tm->id, tm->cb_opaque);
    }
}

#else /* !RV_HAVE_SLIRP */

struct nslirp {
    int unused;
};

nslirp *nslirp_new(const nslirp_opts *opts, nslirp_output_fn out, void *ctx, char *err,
                   size_t errlen)
{
    (void)opts;
    (void)out;
    (void)ctx;
    snprintf(err, errlen, "user networking needs libslirp (libslirp-dev), absent at build time");
    return NULL;
}

void nslirp_free(nslirp *s)
{
    (void)s;
}

int nslirp_hostfwd(nslirp *s, const char *rule, char *err, size_t errlen)
{
    (void)s;
    (void)rule;
    snprintf(err, errlen, "no libslirp");
    return -1;
}

void nslirp_input(nslirp *s, const uint8_t *frame, size_t len)
{
    (void)s;
    (void)frame;
    (void)len;
}

int nslirp_pollfds(nslirp *s, struct pollfd *fds, int max, int *timeout_ms)
{
    (void)s;
    (void)fds;
    (void)max;
    (void)timeout_ms;
    return 0;
}

void nslirp_service(nslirp *s, const struct pollfd *fds, int nfds)
{
    (void)s;
    (void)fds;
    (void)nfds;
}

uint64_t nslirp_filtered(const nslirp *s)
{
    (void)s;
    return 0;
}

bool nslirp_filter(const nslirp *s, const uint8_t *frame, size_t len)
{
    (void)s;
    (void)frame;
    (void)len;
    return true;
}

#endif
