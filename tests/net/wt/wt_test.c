/* WebTransport (issue 8) without guests: the native client (vm/cli/net_wt.c)
 * against a relay built from netproxy/wt.c, over loopback.
 *
 *   wt_test PROXY [--netproxy] [ARGS...]
 * PROXY is started as `PROXY ARGS... --wt-listen 127.0.0.1:PORT --wt-cert F
 * --wt-key F` and must take `PROXY --wt-cert-gen DIR` (netproxy, or the
 * tests' wtproxy). Checks: the certificate, one session, two clients on a
 * segment (broadcast, unicast, a full-size frame over the stream fallback,
 * a burst), a wrong pin, hostile datagrams and packets, abrupt client ends,
 * relay restart (link down, reconnect). With --netproxy (PROXY is netproxy,
 * which also takes --listen): a WebSocket and a WebTransport client of the
 * CLI's netback (vm/cli/netback.h) share a segment. Every wait is bounded. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net_wt.h"
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

/* ---- a client and what it received ---- */

#define MAXRX 512
typedef struct client {
    nbwt *w;
    uint8_t mac[6];
    int nrx;
    size_t rxlen[MAXRX];
    uint8_t *rx[MAXRX];
} client;

static void deliver(void *ctx, const uint8_t *f, size_t len)
{
    client *c = ctx;
    if (c->nrx == MAXRX)
        return;
    c->rx[c->nrx] = malloc(len);
    memcpy(c->rx[c->nrx], f, len);
    c->rxlen[c->nrx++] = len;
}

static void rx_clear(client *c)
{
    for (int i = 0; i < c->nrx; i++)
        free(c->rx[i]);
    c->nrx = 0;
}

static void round_(client **cs, int n, int max_wait_ms)
{
    struct pollfd fds[16];
    int first[8], cnt[8], nfds = 0, timeout = max_wait_ms;
    for (int i = 0; i < n; i++) {
        first[i] = nfds;
        cnt[i] = cs[i]->w ? nbwt_pollfds(cs[i]->w, fds + nfds, 2, &timeout) : 0;
        nfds += cnt[i];
    }
    if (timeout < 0 || timeout > max_wait_ms)
        timeout = max_wait_ms;
    poll(fds, (nfds_t)nfds, timeout);
    for (int i = 0; i < n; i++)
        if (cs[i]->w)
            nbwt_service(cs[i]->w, fds + first[i], cnt[i]);
}

static bool until(client **cs, int n, int ms, bool (*pred)(client **, void *), void *arg)
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end) {
        if (pred(cs, arg))
            return true;
        round_(cs, n, 50);
    }
    return pred(cs, arg);
}

static bool all_up(client **cs, void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        if (!nbwt_up(cs[i]->w))
            return false;
    return true;
}

static bool all_down(client **cs, void *arg)
{
    int n = *(int *)arg;
    for (int i = 0; i < n; i++)
        if (nbwt_up(cs[i]->w))
            return false;
    return true;
}

typedef struct want {
    int who;      /* index of the receiver in cs */
    uint32_t tag; /* payload tag to find */
    size_t len;   /* 0: any */
    int count;    /* how many distinct frames with tag..tag+count-1 */
} want;

static bool frame_tag(const uint8_t *f, size_t len, uint32_t *tag)
{
    if (len < 18 || f[12] != 0x88 || f[13] != 0xb5) /* local experimental ethertype */
        return false;
    *tag = (uint32_t)f[14] << 24 | (uint32_t)f[15] << 16 | (uint32_t)f[16] << 8 | f[17];
    return true;
}

static int count_tags(const client *c, uint32_t tag, int count, size_t len)
{
    int n = 0;
    for (int i = 0; i < c->nrx; i++) {
        uint32_t t;
        if (frame_tag(c->rx[i], c->rxlen[i], &t) && t >= tag && t < tag + (uint32_t)count &&
            (!len || c->rxlen[i] == len))
            n++;
    }
    return n;
}

static bool got(client **cs, void *arg)
{
    want *w = arg;
    return count_tags(cs[w->who], w->tag, w->count, w->len) >= w->count;
}

static size_t mkframe(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint32_t tag,
                      size_t len)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x88;
    f[13] = 0xb5;
    f[14] = (uint8_t)(tag >> 24);
    f[15] = (uint8_t)(tag >> 16);
    f[16] = (uint8_t)(tag >> 8);
    f[17] = (uint8_t)tag;
    for (size_t i = 18; i < len; i++)
        f[i] = (uint8_t)(i * 7 + tag);
    return len;
}

static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static bool send_tag(client *c, const uint8_t dst[6], uint32_t tag, size_t len)
{
    uint8_t f[1518];
    mkframe(f, dst, c->mac, tag, len);
    return nbwt_send(c->w, f, len);
}

/* ---- the relay process ---- */

static char *proxy_bin;
static char **proxy_args;
static int proxy_nargs;
static char certdir[] = "/tmp/wt_test.XXXXXX";
static char hashhex[65];

static int free_udp_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

static bool is_netproxy;

/* ws_port > 0: netproxy's WebSocket listener there (else any free port) */
static pid_t start_proxy_ws(int port, int ws_port)
{
    char listen[64], cert[300], key[300];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
    snprintf(cert, sizeof(cert), "%s/cert.pem", certdir);
    snprintf(key, sizeof(key), "%s/key.pem", certdir);
    pid_t p = fork();
    if (p == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive a crashed test */
        char *argv[32];
        int n = 0;
        argv[n++] = proxy_bin;
        for (int i = 0; i < proxy_nargs && n < 24; i++)
            argv[n++] = proxy_args[i];
        char wsl[64];
        snprintf(wsl, sizeof(wsl), "127.0.0.1:%d", ws_port);
        if (is_netproxy) {
            argv[n++] = "--listen";
            argv[n++] = wsl;
        }
        argv[n++] = "--wt-listen";
        argv[n++] = listen;
        argv[n++] = "--wt-cert";
        argv[n++] = cert;
        argv[n++] = "--wt-key";
        argv[n++] = key;
        argv[n] = NULL;
        execv(proxy_bin, argv);
        _exit(127);
    }
    struct timespec ts = {0, 300 * 1000000};
    nanosleep(&ts, NULL); /* UDP: no connect to wait on; the client retries anyway */
    return p;
}

static pid_t start_proxy(int port)
{
    return start_proxy_ws(port, 0);
}

static int stop_proxy(pid_t p)
{
    kill(p, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100; i++) {
        if (waitpid(p, &st, WNOHANG) == p)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        struct timespec ts = {0, 50 * 1000000};
        nanosleep(&ts, NULL);
    }
    kill(p, SIGKILL);
    waitpid(p, &st, 0);
    return -1;
}

static bool proxy_alive(pid_t p)
{
    int st;
    return waitpid(p, &st, WNOHANG) == 0;
}

/* ---- tests ---- */

static void test_cert(void)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "%s --wt-cert-gen %s", proxy_bin, certdir);
    FILE *f = popen(cmd, "r");
    char line[256];
    hashhex[0] = 0;
    while (f && fgets(line, sizeof(line), f))
        sscanf(line, "sha256-hex: %64s", hashhex);
    int st = f ? pclose(f) : -1;
    check("wt cert-gen runs and prints sha256-hex", st == 0 && strlen(hashhex) == 64,
          "no sha256-hex line or non-zero exit");

    char path[300];
    snprintf(path, sizeof(path), "%s/cert.pem", certdir);
    gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0};
    gnutls_x509_crt_t crt = NULL;
    bool loaded = gnutls_load_file(path, &pem) == 0 && gnutls_x509_crt_init(&crt) == 0 &&
                  gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) == 0 &&
                  gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0;
    check("wt cert-gen writes a PEM certificate", loaded, "cannot load cert.pem");
    if (!loaded)
        return;
    uint8_t h[32];
    char hex[65];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    check("wt cert-gen hash is the SHA-256 of the DER certificate", strcmp(hex, hashhex) == 0,
          "printed hash differs");
    time_t a = gnutls_x509_crt_get_activation_time(crt),
           e = gnutls_x509_crt_get_expiration_time(crt);
    check("wt cert validity <= 14 days and current",
          e > a && e - a <= 14 * 86400 && a <= time(NULL) && e > time(NULL), "bad validity");
    unsigned bits = 0;
    int alg = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    gnutls_ecc_curve_t curve = 0;
    gnutls_x509_crt_get_pk_ecc_raw(crt, &curve, NULL, NULL);
    check("wt cert is ECDSA P-256", alg == GNUTLS_PK_ECDSA && curve == GNUTLS_ECC_CURVE_SECP256R1,
          "wrong key type");
    struct stat sb;
    snprintf(path, sizeof(path), "%s/key.pem", certdir);
    check("wt key file is private (0600)", stat(path, &sb) == 0 && (sb.st_mode & 077) == 0,
          "key readable by others");
    gnutls_free(pem.data);
    gnutls_free(der.data);
    gnutls_x509_crt_deinit(crt);
}

static void mkclient(client *c, int port, const char *path, const char *hash, int id)
{
    char url[256], err[256];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d%s#sha256=%s", port, path, hash);
    memset(c, 0, sizeof(*c));
    uint8_t mac[6] = {0x52, 0x54, 0x00, 0x77, 0x00, (uint8_t)id};
    memcpy(c->mac, mac, 6);
    c->w = nbwt_open(url, deliver, c, err, sizeof(err));
    if (!c->w)
        fprintf(stderr, "wt_test: %s\n", err);
}

static void freeclient(client *c)
{
    nbwt_close(c->w);
    c->w = NULL;
    rx_clear(c);
}

/* A child that connects, waits until up and exits without a word. */
static void abrupt_child(int port)
{
    pid_t p = fork();
    if (p == 0) {
        client c;
        mkclient(&c, port, "/seg", hashhex, 9);
        client *cs[1] = {&c};
        int one = 1;
        if (c.w)
            until(cs, 1, 5000, all_up, &one);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
}

static void test_sessions(void)
{
    int port = free_udp_port();
    pid_t px = start_proxy(port);
    client A, B, C;
    mkclient(&A, port, "/seg", hashhex, 1);
    mkclient(&B, port, "/seg", hashhex, 2);
    client *cs[3] = {&A, &B, &C};
    int two = 2;
    check("wt clients open (URL parsed)", A.w && B.w, "nbwt_open failed");
    if (!A.w || !B.w) {
        stop_proxy(px);
        return;
    }
    check("wt two sessions up (pinned cert, CONNECT /seg)", until(cs, 2, 10000, all_up, &two),
          "no session within 10 s");

    /* broadcast from A reaches B */
    send_tag(&A, BCAST, 0x1000, 60);
    want w1 = {1, 0x1000, 60, 1};
    check("wt broadcast A -> B", until(cs, 2, 3000, got, &w1), "B did not get it");
    /* B answers A by unicast (the switch learned A's MAC) */
    send_tag(&B, A.mac, 0x2000, 100);
    want w2 = {0, 0x2000, 100, 1};
    check("wt unicast B -> A", until(cs, 2, 3000, got, &w2), "A did not get it");
    /* a full-size frame: larger than any datagram, goes on a stream */
    send_tag(&A, B.mac, 0x3000, 1514);
    send_tag(&A, B.mac, 0x3001, 1518);
    want w3 = {1, 0x3000, 0, 2};
    bool big = until(cs, 2, 3000, got, &w3);
    bool intact = false;
    for (int i = 0; i < B.nrx; i++) {
        uint32_t t;
        uint8_t ref[1518];
        if (frame_tag(B.rx[i], B.rxlen[i], &t) && t == 0x3001 && B.rxlen[i] == 1518)
            intact = memcmp(B.rx[i], ref, mkframe(ref, B.mac, A.mac, 0x3001, 1518)) == 0;
    }
    check("wt 1514/1518-byte frames arrive intact (stream fallback)", big && intact,
          "missing or corrupted");
    /* a burst of 200 frames of mixed sizes, queued at once: the 67 large
     * ones ride the (reliable) stream and must all arrive; datagrams may
     * legitimately be lost, so allow a few on a busy machine */
    for (int i = 0; i < 200; i++)
        send_tag(&A, B.mac, 0x4000 + (uint32_t)i, i % 3 == 0 ? 1480 : 64 + (size_t)i);
    want w4 = {1, 0x4000, 0, 200};
    until(cs, 2, 5000, got, &w4);
    int nbig = 0, nall = count_tags(&B, 0x4000, 200, 0);
    for (int i = 0; i < 200; i += 3)
        nbig += count_tags(&B, 0x4000 + (uint32_t)i, 1, 1480);
    char why[80];
    snprintf(why, sizeof(why), "%d of 200 arrived, %d of 67 large", nall, nbig);
    check("wt burst of 200 frames: all 67 large, >= 190 in all", nbig == 67 && nall >= 190, why);

    /* 1000 full-size frames each way in rounds of 100: more than the
     * peer's initial stream credit (256), so credit must come back; the
     * first stream chunk carries many frames at once */
    int bulk_a = 0, bulk_b = 0;
    for (int r = 0; r < 10; r++) {
        uint32_t base = 0x10000 + (uint32_t)r * 100;
        for (int i = 0; i < 100; i++) {
            send_tag(&A, B.mac, base + (uint32_t)i, 1514);
            send_tag(&B, A.mac, base + (uint32_t)i, 1514);
        }
        want wa = {0, base, 1514, 100}, wb = {1, base, 1514, 100};
        until(cs, 2, 5000, got, &wb);
        until(cs, 2, 5000, got, &wa);
        bulk_a += count_tags(&A, base, 100, 1514);
        bulk_b += count_tags(&B, base, 100, 1514);
        rx_clear(&A);
        rx_clear(&B);
    }
    snprintf(why, sizeof(why), "A got %d, B got %d of 1000", bulk_a, bulk_b);
    check("wt 1000 full-size frames each way (stream credit returns)",
          bulk_a == 1000 && bulk_b == 1000, why);

    /* a wrong pin never comes up */
    char bad[65];
    memcpy(bad, hashhex, 65);
    bad[0] = bad[0] == '0' ? '1' : '0';
    mkclient(&C, port, "/seg", bad, 3);
    int one = 1;
    client *cc[1] = {&C};
    check("wt wrong certificate hash is refused", C.w && !until(cc, 1, 2000, all_up, &one),
          "session came up");
    freeclient(&C);

    /* hostile datagrams from a real session: empty, header only, wrong
     * session, runt, oversized; then garbage UDP packets */
    mkclient(&C, port, "/seg", hashhex, 3);
    client *all[3] = {&A, &B, &C};
    int three = 3;
    bool cup = until(all, 3, 10000, all_up, &three);
    uint8_t junk[1100];
    memset(junk, 0xab, sizeof(junk));
    junk[0] = 0x05; /* quarter stream id 5: no such session */
    uint8_t hdr_only[1] = {0x00};
    uint8_t runt[11] = {0x00};
    uint8_t trunc[1] = {0x40}; /* a two-byte varint cut short */
    if (cup) {
        nbwt_send_raw_datagram(C.w, junk, 0);
        nbwt_send_raw_datagram(C.w, hdr_only, sizeof(hdr_only));
        nbwt_send_raw_datagram(C.w, junk, sizeof(junk));
        nbwt_send_raw_datagram(C.w, runt, sizeof(runt));
        nbwt_send_raw_datagram(C.w, trunc, sizeof(trunc));
    }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    uint8_t g[1400];
    for (int i = 0; i < 50; i++) {
        for (size_t j = 0; j < sizeof(g); j++)
            g[j] = (uint8_t)(rand() & 0xff);
        if (i % 5 == 0)
            g[0] = 0xc0; /* long header, version from the junk */
        if (i % 5 == 1)
            memcpy(g, "\xc0\x00\x00\x00\x01", 5); /* looks like a v1 Initial */
        sendto(fd, g,
               (size_t)(i % 7 == 0   ? 0
                        : i % 3 == 0 ? 5
                                     : 1200 + i),
               0, (struct sockaddr *)&to, sizeof(to));
    }
    close(fd);
    for (int i = 0; i < 10; i++)
        round_(all, 3, 50);
    abrupt_child(port); /* a client that vanishes without closing */
    nbwt_close(C.w);    /* one that closes properly */
    C.w = NULL;
    send_tag(&A, B.mac, 0x5000, 80);
    want w5 = {1, 0x5000, 80, 1};
    check("wt relay survives malformed datagrams, garbage and abrupt ends",
          cup && until(cs, 2, 3000, got, &w5) && proxy_alive(px) && nbwt_up(A.w),
          cup ? "session lost or relay died" : "third session did not come up");

    /* relay restart: link down, then up again by itself */
    int rc = stop_proxy(px);
    check("wt relay exits 0 on SIGTERM", rc == 0, "non-zero exit or crash (sanitizer report?)");
    check("wt link goes down when the relay goes", until(cs, 2, 5000, all_down, &two),
          "still up after 5 s");
    px = start_proxy(port);
    check("wt clients reconnect after a relay restart", until(cs, 2, 15000, all_up, &two),
          "not up within 15 s");
    send_tag(&B, BCAST, 0x6000, 60);
    want w6 = {0, 0x6000, 60, 1};
    check("wt frames flow after the reconnect", until(cs, 2, 3000, got, &w6), "nothing");
    check("wt reconnect counted", nbwt_reconnects(A.w) >= 1, "reconnects == 0");
    freeclient(&A);
    freeclient(&B);
    rc = stop_proxy(px);
    check("wt relay exits 0 after clients left", rc == 0, "non-zero exit");
}

/* ---- WebSocket and WebTransport clients of netback on one segment ---- */

typedef struct nbpeer {
    netback *nb;
    rv_netdev nd;
    int nrx, big, tagged;
} nbpeer;

static void nb_round(nbpeer *p, int n)
{
    struct pollfd fds[32];
    int first[4], cnt[4], nfds = 0, timeout = 50;
    for (int i = 0; i < n; i++) {
        first[i] = nfds;
        cnt[i] = netback_pollfds(p[i].nb, fds + nfds, 8, &timeout);
        nfds += cnt[i];
    }
    if (timeout < 0 || timeout > 50)
        timeout = 50;
    poll(fds, (nfds_t)nfds, timeout);
    for (int i = 0; i < n; i++) {
        netback_service(p[i].nb, fds + first[i], cnt[i]);
        uint8_t f[2048];
        size_t len;
        while ((len = p[i].nd.recv(p[i].nd.opaque, f, sizeof(f))) > 0) {
            uint32_t t;
            p[i].nrx++;
            if (frame_tag(f, len, &t) && t == 0x7000)
                p[i].tagged++;
            if (frame_tag(f, len, &t) && t == 0x7001 && len == 1514)
                p[i].big++;
        }
    }
}

static bool nb_until(nbpeer *p, int n, int ms, bool (*pred)(nbpeer *))
{
    int64_t end = now_ms() + ms;
    while (now_ms() < end && !pred(p))
        nb_round(p, n);
    return pred(p);
}

static bool nb_both_up(nbpeer *p)
{
    return p[0].nd.link_up(p[0].nd.opaque) && p[1].nd.link_up(p[1].nd.opaque);
}

static bool nb_ws_tagged(nbpeer *p)
{
    return p[0].tagged > 0;
}

static bool nb_wt_big(nbpeer *p)
{
    return p[1].big > 0;
}

static void test_mixed(void)
{
    int port = free_udp_port();
    int wsport = free_udp_port(); /* a free number; TCP and UDP spaces differ but both were free */
    pid_t px = start_proxy_ws(port, wsport);
    char ws[128], wt[256], err[256];
    snprintf(ws, sizeof(ws), "ws://127.0.0.1:%d/mix", wsport);
    snprintf(wt, sizeof(wt), "https://127.0.0.1:%d/mix#sha256=%s", port, hashhex);
    static const uint8_t mws[6] = {0x52, 0x54, 0x00, 0x88, 0x00, 0x01};
    static const uint8_t mwt[6] = {0x52, 0x54, 0x00, 0x88, 0x00, 0x02};
    nbpeer p[2];
    memset(p, 0, sizeof(p));
    p[0].nb = netback_open(ws, mws, err, sizeof(err));
    p[1].nb = p[0].nb ? netback_open(wt, mwt, err, sizeof(err)) : NULL;
    check("wt netback opens ws:// and https:// specs", p[0].nb && p[1].nb, err);
    if (p[0].nb && p[1].nb) {
        p[0].nd = netback_netdev(p[0].nb);
        p[1].nd = netback_netdev(p[1].nb);
        bool up = nb_until(p, 2, 10000, nb_both_up);
        check("wt netback: WebSocket and WebTransport links up on one segment", up,
              "not up in 10 s");
        uint8_t f[1514];
        bool ok = false;
        for (int i = 0; i < 10 && up && !ok; i++) { /* the WS side may join a moment later */
            p[1].nd.send(p[1].nd.opaque, f, mkframe(f, BCAST, mwt, 0x7000, 60));
            ok = nb_until(p, 2, 300, nb_ws_tagged);
        }
        check("wt netback: a WebTransport broadcast reaches the WebSocket client", ok, "not seen");
        p[0].nd.send(p[0].nd.opaque, f, mkframe(f, mwt, mws, 0x7001, 1514));
        check("wt netback: a 1514-byte WebSocket frame reaches the WebTransport client",
              ok && nb_until(p, 2, 3000, nb_wt_big), "not seen");
        netback_stats st;
        netback_get_stats(p[1].nb, &st);
        check("wt netback: stats count WebTransport frames", st.tx_frames >= 1 && st.rx_frames >= 1,
              "zero counters");
    }
    netback_close(p[0].nb);
    netback_close(p[1].nb);
    check("wt netproxy with both listeners exits 0", stop_proxy(px) == 0, "bad exit");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: wt_test PROXY [ARGS...]\n");
        return 2;
    }
    proxy_bin = argv[1];
    proxy_args = argv + 2;
    proxy_nargs = argc - 2;
    if (proxy_nargs > 0 && strcmp(proxy_args[0], "--netproxy") == 0) {
        is_netproxy = true;
        proxy_args++;
        proxy_nargs--;
    }
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(certdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_cert();
    if (strlen(hashhex) == 64)
        test_sessions();
    if (strlen(hashhex) == 64 && is_netproxy)
        test_mixed();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", certdir);
    if (system(cmd) != 0)
        fprintf(stderr, "wt_test: could not remove %s\n", certdir);
    return failures ? 1 : 0;
}
