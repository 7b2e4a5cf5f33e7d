/* The CLI's native network backends (vm/cli/netback.h) without a guest:
 * this program plays the guest's virtio-net, calling send/recv/link_up, and
 * runs the CLI's poll loop itself.
 *
 *   netback_test NETPROXY   user networking (DHCP, hostfwd), the WebSocket
 *                           client against netproxy (switching, relay restart
 *                           -> link down/up) and against a hostile relay
 *   netback_test wss NETPROXY  wss:// (NB_TLS_CERT/NB_TLS_KEY: a certificate
 *                           for localhost that SSL_CERT_FILE makes trusted)
 *   netback_test tap        TAP, run inside a fresh network namespace */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "netback.h"

static int failures;

static void check(const char *name, bool ok, const char *why)
{
    if (ok)
        printf("PASS: %s\n", name);
    else {
        printf("FAIL: %s (%s)\n", name, why);
        failures++;
    }
    fflush(stdout);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* An extra fd the test wants polled alongside, and a step run each round. */
typedef struct extra {
    int fd;
    short events;
    void (*step)(struct extra *e, short revents);
    void *ctx;
} extra;

/* One round of the CLI's loop for each backend: pollfds, poll, service. */
static void round_(netback **nbs, int n, extra *ex, int max_wait_ms)
{
    struct pollfd fds[64];
    int first[8], cnt[8], nfds = 0;
    int timeout = max_wait_ms;
    for (int i = 0; i < n; i++) {
        first[i] = nfds;
        cnt[i] = netback_pollfds(nbs[i], fds + nfds, 30 / n, &timeout);
        nfds += cnt[i];
    }
    int exi = nfds;
    if (ex && ex->fd >= 0)
        fds[nfds++] = (struct pollfd){.fd = ex->fd, .events = ex->events};
    if (timeout < 0 || timeout > max_wait_ms)
        timeout = max_wait_ms;
    poll(fds, (nfds_t)nfds, timeout);
    for (int i = 0; i < n; i++)
        netback_service(nbs[i], fds + first[i], cnt[i]);
    if (ex && ex->step)
        ex->step(ex, exi < nfds ? fds[exi].revents : 0);
}

/* Runs rounds until pred() or the deadline. */
static bool until(netback **nbs, int n, extra *ex, int ms, bool (*pred)(void *), void *arg)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        if (pred && pred(arg))
            return true;
        round_(nbs, n, ex, 20);
    }
    return pred ? pred(arg) : true;
}

/* ---- frames ---- */

static uint16_t csum(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static size_t dhcp_discover(uint8_t *f, const uint8_t mac[6], uint32_t xid)
{
    memset(f, 0, 600);
    memset(f, 0xff, 6);
    memcpy(f + 6, mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *udp = ip + 20, *bp = udp + 8;
    bp[0] = 1, bp[1] = 1, bp[2] = 6;
    bp[4] = (uint8_t)(xid >> 24), bp[5] = (uint8_t)(xid >> 16), bp[6] = (uint8_t)(xid >> 8);
    bp[7] = (uint8_t)xid;
    bp[10] = 0x80; /* broadcast reply */
    memcpy(bp + 28, mac, 6);
    uint8_t *o = bp + 236;
    const uint8_t opts[] = {0x63, 0x82, 0x53, 0x63, 53, 1, 1, 255};
    memcpy(o, opts, sizeof(opts));
    size_t blen = 236 + sizeof(opts) + 16;
    size_t ulen = 8 + blen;
    udp[0] = 0, udp[1] = 68, udp[2] = 0, udp[3] = 67;
    udp[4] = (uint8_t)(ulen >> 8), udp[5] = (uint8_t)ulen; /* checksum 0 = none (UDP/IPv4) */
    size_t tot = 20 + ulen;
    ip[0] = 0x45, ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot, ip[8] = 64, ip[9] = 17;
    memset(ip + 16, 0xff, 4);
    uint16_t c = csum(ip, 20, 0);
    ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
    return 14 + tot;
}

typedef struct rxstate {
    netback *nb;
    rv_netdev nd;
    uint8_t buf[2048];
    size_t len;
    uint32_t xid;
    int offers;
    uint8_t yiaddr[4];
    int syns;
    int tag_seen; /* test frames with the 0x88b5 ethertype */
    int arps;
} rxstate;

/* Drains the receive queue like virtio-net would, noting what arrived. */
static void drain(rxstate *r)
{
    size_t n;
    while ((n = r->nd.recv(r->nd.opaque, r->buf, sizeof(r->buf))) > 0) {
        const uint8_t *f = r->buf;
        r->len = n;
        if (n >= 14 && f[12] == 0x88 && f[13] == 0xb5)
            r->tag_seen++;
        if (n >= 42 && f[12] == 0x08 && f[13] == 0x06 && f[21] == 2)
            r->arps++;
        if (n < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0x00)
            continue;
        const uint8_t *ip = f + 14, *l4 = ip + (ip[0] & 15) * 4;
        if (ip[9] == 17 && l4[3] == 68 && n >= (size_t)(l4 - f) + 8 + 240) {
            const uint8_t *bp = l4 + 8;
            uint32_t xid = (uint32_t)bp[4] << 24 | (uint32_t)bp[5] << 16 | bp[6] << 8 | bp[7];
            if (bp[0] == 2 && xid == r->xid) {
                r->offers++;
                memcpy(r->yiaddr, bp + 16, 4);
            }
        }
        if (ip[9] == 6 && (l4[13] & 0x12) == 0x02)
            r->syns++; /* a SYN towards the guest: a hostfwd connection */
    }
}

static bool got_offer(void *a)
{
    drain(a);
    return ((rxstate *)a)->offers > 0;
}

static bool got_syn(void *a)
{
    drain(a);
    return ((rxstate *)a)->syns > 0;
}

static const uint8_t MAC_A[6] = {0x52, 0x54, 0x00, 0xaa, 0x00, 0x01};
static const uint8_t MAC_B[6] = {0x52, 0x54, 0x00, 0xaa, 0x00, 0x02};

static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    bind(s, (struct sockaddr *)&a, sizeof(a));
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

static void test_user(void)
{
    char err[256];
    int hport = free_port();
    char spec[128];
    snprintf(spec, sizeof(spec), "user,hostfwd=tcp:127.0.0.1:%d-:8080", hport);
    netback *nb = netback_open(spec, MAC_A, err, sizeof(err));
    check("--net user opens (with a hostfwd)", nb != NULL, err);
    if (!nb)
        return;
    rxstate r = {.nb = nb, .nd = netback_netdev(nb), .xid = 0x5eed1234};
    check("user: link is up", r.nd.link_up(r.nd.opaque), "down");
    uint8_t f[600];
    size_t n = dhcp_discover(f, MAC_A, r.xid);
    r.nd.send(r.nd.opaque, f, n);
    bool ok = until(&nb, 1, NULL, 3000, got_offer, &r);
    char why[64];
    snprintf(why, sizeof(why), "offers=%d yiaddr=%u.%u.%u.%u", r.offers, r.yiaddr[0], r.yiaddr[1],
             r.yiaddr[2], r.yiaddr[3]);
    check("user: DHCPDISCOVER gets an offer of 10.0.2.15",
          ok && memcmp(r.yiaddr, (uint8_t[]){10, 0, 2, 15}, 4) == 0, why);

    /* A host connection to the forwarded port becomes a SYN to the guest. */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)hport),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    connect(c, (struct sockaddr *)&a, sizeof(a));
    ok = until(&nb, 1, NULL, 3000, got_syn, &r);
    check("user: hostfwd turns a host connection into a SYN to the guest", ok, "no SYN");
    close(c);
    netback_close(nb);

    nb = netback_open("user,hostfwd=nonsense", MAC_A, err, sizeof(err));
    check("user: a bad hostfwd is refused with a message", !nb && strstr(err, "hostfwd"), err);
    netback_close(nb);
    nb = netback_open("carrier-pigeon", MAC_A, err, sizeof(err));
    check("an unknown backend is refused with a message", !nb && err[0], "accepted");
}

/* ---- WebSocket against netproxy ---- */

static pid_t start_netproxy_tls(const char *bin, int port, const char *crt, const char *key)
{
    char listen[64];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    pid_t p = fork();
    if (p == 0) {
        int dn = open("/dev/null", O_WRONLY);
        dup2(dn, 2);
        if (crt)
            execl(bin, bin, "--listen", listen, "--tls-cert", crt, "--tls-key", key, (char *)NULL);
        else
            execl(bin, bin, "--listen", listen, (char *)NULL);
        _exit(127);
    }
    /* wait until it accepts */
    for (int i = 0; i < 100; i++) {
        int s = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int r = connect(s, (struct sockaddr *)&a, sizeof(a));
        close(s);
        if (r == 0)
            break;
        usleep(50000);
    }
    return p;
}

static pid_t start_netproxy(const char *bin, int port)
{
    return start_netproxy_tls(bin, port, NULL, NULL);
}

static void stop_netproxy(pid_t p)
{
    kill(p, SIGTERM);
    waitpid(p, NULL, 0);
}

typedef struct pair {
    netback *nb[2];
    rxstate r[2];
} pair;

static bool both_up(void *a)
{
    pair *p = a;
    return p->r[0].nd.link_up(p->r[0].nd.opaque) && p->r[1].nd.link_up(p->r[1].nd.opaque);
}

static bool both_down(void *a)
{
    pair *p = a;
    return !p->r[0].nd.link_up(p->r[0].nd.opaque) && !p->r[1].nd.link_up(p->r[1].nd.opaque);
}

static bool b_got_tag(void *a)
{
    pair *p = a;
    drain(&p->r[1]);
    return p->r[1].tag_seen > 0;
}

static void send_tag(rxstate *r, const uint8_t src[6])
{
    uint8_t f[60] = {0};
    memset(f, 0xff, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88, f[13] = 0xb5;
    r->nd.send(r->nd.opaque, f, sizeof(f));
}

static void test_ws(const char *netproxy)
{
    char err[256], url[128];
    int port = free_port();
    pid_t np = start_netproxy(netproxy, port);
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/lan", port);
    pair p;
    memset(&p, 0, sizeof(p));
    p.nb[0] = netback_open(url, MAC_A, err, sizeof(err));
    p.nb[1] = p.nb[0] ? netback_open(url, MAC_B, err, sizeof(err)) : NULL;
    check("--net-ws opens", p.nb[0] && p.nb[1], err);
    if (!p.nb[1]) {
        stop_netproxy(np);
        return;
    }
    for (int i = 0; i < 2; i++)
        p.r[i] = (rxstate){.nb = p.nb[i], .nd = netback_netdev(p.nb[i])};
    check("ws: both links come up", until(p.nb, 2, NULL, 5000, both_up, &p), "down");
    send_tag(&p.r[0], MAC_A);
    check("ws: a broadcast from one backend reaches the other through netproxy",
          until(p.nb, 2, NULL, 3000, b_got_tag, &p), "nothing");

    stop_netproxy(np);
    check("ws: relay gone -> both links go down", until(p.nb, 2, NULL, 5000, both_down, &p),
          "still up");
    send_tag(&p.r[0], MAC_A); /* dropped and counted while down */
    np = start_netproxy(netproxy, port);
    check("ws: relay back -> links come up again (reconnect with backoff)",
          until(p.nb, 2, NULL, 15000, both_up, &p), "still down");
    p.r[1].tag_seen = 0;
    send_tag(&p.r[0], MAC_A);
    check("ws: traffic flows after the reconnect", until(p.nb, 2, NULL, 3000, b_got_tag, &p),
          "nothing");
    netback_stats st;
    netback_get_stats(p.nb[0], &st);
    check("ws: reconnect and link-down drop are counted", st.reconnects == 1 && st.tx_dropped >= 1,
          "counters wrong");
    netback_close(p.nb[0]);
    netback_close(p.nb[1]);
    stop_netproxy(np);
}

/* wss:// against netproxy with a certificate the client trusts through
 * OpenSSL's SSL_CERT_FILE (set by the caller, with NB_TLS_CERT/NB_TLS_KEY). */
static void test_wss(const char *netproxy)
{
    const char *crt = getenv("NB_TLS_CERT"), *key = getenv("NB_TLS_KEY");
    if (!crt || !key) {
        printf("SKIP: wss:// client (no test certificate)\n");
        return;
    }
    char err[256], url[128];
    int port = free_port();
    pid_t np = start_netproxy_tls(netproxy, port, crt, key);
    snprintf(url, sizeof(url), "wss://localhost:%d/tls", port);
    pair p;
    memset(&p, 0, sizeof(p));
    p.nb[0] = netback_open(url, MAC_A, err, sizeof(err));
    p.nb[1] = p.nb[0] ? netback_open(url, MAC_B, err, sizeof(err)) : NULL;
    if (!p.nb[1]) {
        check("wss: opens", false, err);
        netback_close(p.nb[0]);
        stop_netproxy(np);
        return;
    }
    for (int i = 0; i < 2; i++)
        p.r[i] = (rxstate){.nb = p.nb[i], .nd = netback_netdev(p.nb[i])};
    bool up = until(p.nb, 2, NULL, 5000, both_up, &p);
    send_tag(&p.r[0], MAC_A);
    check("wss: two backends switch a frame through netproxy over TLS",
          up && until(p.nb, 2, NULL, 3000, b_got_tag, &p), up ? "nothing" : "links down");
    netback_close(p.nb[0]);
    netback_close(p.nb[1]);
    stop_netproxy(np);
}

/* ---- WebSocket against a hostile relay ---- */

typedef struct hostile {
    int lfd, cfd;
    int state; /* 0 accept, 1 read request, 2 done */
    char req[4096];
    size_t reqlen;
} hostile;

static void ws_frame(int fd, int opcode, const uint8_t *p, size_t n)
{
    uint8_t h[10];
    size_t hl;
    h[0] = (uint8_t)(0x80 | opcode);
    if (n < 126) {
        h[1] = (uint8_t)n;
        hl = 2;
    } else {
        h[1] = 126, h[2] = (uint8_t)(n >> 8), h[3] = (uint8_t)n;
        hl = 4;
    }
    if (write(fd, h, hl) < 0 || write(fd, p, n) < 0)
        perror("write");
}

static void hostile_step(extra *e, short revents)
{
    hostile *h = e->ctx;
    if (!(revents & POLLIN))
        return;
    if (h->state == 0) {
        h->cfd = accept(h->lfd, NULL, NULL);
        e->fd = h->cfd;
        h->state = 1;
        return;
    }
    if (h->state != 1)
        return;
    ssize_t n = read(h->cfd, h->req + h->reqlen, sizeof(h->req) - 1 - h->reqlen);
    if (n <= 0)
        return;
    h->reqlen += (size_t)n;
    h->req[h->reqlen] = 0;
    if (!strstr(h->req, "\r\n\r\n"))
        return;
    /* RFC 6455 §4.2.2: accept = base64(SHA-1(key + GUID)) */
    const char *k = strcasestr(h->req, "Sec-WebSocket-Key:");
    char key[128] = "", cat[256], acc[64];
    if (k)
        sscanf(k + 18, " %100s", key);
    snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char sha[20];
    lws_SHA1((const unsigned char *)cat, strlen(cat), sha);
    lws_b64_encode_string((const char *)sha, 20, acc, sizeof(acc));
    char resp[256];
    int rl = snprintf(resp, sizeof(resp),
                      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                      "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
                      acc);
    if (write(h->cfd, resp, (size_t)rl) < 0)
        perror("write");
    uint8_t f[2000];
    memset(f, 0xff, sizeof(f));
    f[12] = 0x88, f[13] = 0xb5;
    ws_frame(h->cfd, 2, f, 10);   /* runt */
    ws_frame(h->cfd, 1, f, 60);   /* text */
    ws_frame(h->cfd, 2, f, 1600); /* oversized */
    ws_frame(h->cfd, 2, f, 0);    /* empty */
    ws_frame(h->cfd, 2, f, 60);   /* the one good frame */
    h->state = 2;
    e->events = 0;
}

static bool one_tag(void *a)
{
    rxstate *r = a;
    drain(r);
    return r->tag_seen > 0;
}

static void test_ws_hostile(void)
{
    hostile h = {.cfd = -1};
    h.lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    bind(h.lfd, (struct sockaddr *)&a, sizeof(a));
    listen(h.lfd, 4);
    getsockname(h.lfd, (struct sockaddr *)&a, &l);
    char url[64], err[256];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", ntohs(a.sin_port));
    netback *nb = netback_open(url, MAC_A, err, sizeof(err));
    if (!nb) {
        check("ws: hostile relay", false, err);
        return;
    }
    rxstate r = {.nb = nb, .nd = netback_netdev(nb)};
    extra ex = {.fd = h.lfd, .events = POLLIN, .step = hostile_step, .ctx = &h};
    bool ok = until(&nb, 1, &ex, 5000, one_tag, &r);
    until(&nb, 1, &ex, 200, NULL, NULL);
    drain(&r);
    netback_stats st;
    netback_get_stats(nb, &st);
    char why[128];
    snprintf(why, sizeof(why), "good=%d bad=%llu", r.tag_seen, (unsigned long long)st.rx_bad);
    check("ws: runt, text, oversized and empty frames from the relay are dropped and counted",
          ok && r.tag_seen == 1 && st.rx_bad == 4, why);
    netback_close(nb);
    if (h.cfd >= 0)
        close(h.cfd);
    close(h.lfd);
}

/* ---- TAP (in a network namespace made by the caller) ---- */

static bool got_arp(void *a)
{
    drain(a);
    return ((rxstate *)a)->arps > 0;
}

static int test_tap(void)
{
    char err[256];
    netback *nb = netback_open("tap:rvtap0", MAC_A, err, sizeof(err));
    if (!nb) {
        printf("SKIP: --net-tap (%s)\n", err);
        return 0;
    }
    check("--net-tap opens rvtap0", true, "");
    if (system("ip link set rvtap0 up && ip addr add 192.168.77.1/24 dev rvtap0") != 0) {
        printf("SKIP: --net-tap ARP (cannot configure rvtap0)\n");
        netback_close(nb);
        return 0;
    }
    rxstate r = {.nb = nb, .nd = netback_netdev(nb)};
    /* ARP who-has 192.168.77.1 tell 192.168.77.2: the host kernel answers. */
    uint8_t f[42] = {0};
    memset(f, 0xff, 6);
    memcpy(f + 6, MAC_A, 6);
    const uint8_t arp[] = {0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1};
    memcpy(f + 12, arp, sizeof(arp));
    memcpy(f + 22, MAC_A, 6);
    const uint8_t ips[] = {192, 168, 77, 2, 0, 0, 0, 0, 0, 0, 192, 168, 77, 1};
    memcpy(f + 28, ips, sizeof(ips));
    bool ok = false;
    for (int i = 0; i < 5 && !ok; i++) {
        r.nd.send(r.nd.opaque, f, sizeof(f));
        ok = until(&nb, 1, NULL, 1000, got_arp, &r);
    }
    check("--net-tap: an ARP request from the guest gets the host's reply", ok, "no reply");
    netback_close(nb);
    return 0;
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 1 && strcmp(argv[1], "tap") == 0) {
        test_tap();
        return failures ? 1 : 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: netback_test NETPROXY | wss NETPROXY | tap\n");
        return 2;
    }
    if (strcmp(argv[1], "wss") == 0 && argc > 2) {
        test_wss(argv[2]);
        return failures ? 1 : 0;
    }
    test_user();
    test_ws(argv[1]);
    test_ws_hostile();
    return failures ? 1 : 0;
}
