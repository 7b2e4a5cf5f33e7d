/* netproxy: a WebSocket relay that joins virtual machines into Ethernet
 * segments.
 *
 * Every WebSocket client that connects to the same path joins one segment,
 * a learning switch; one binary message carries one raw Ethernet frame (no
 * header, no FCS), the framing existing browser-VM relays use. A segment
 * named with --nat gets one more switch port: a libslirp NAT uplink
 * (10.0.2.0/24, gateway 10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15).
 *
 * One thread, one poll() loop. Debian's libwebsockets is built without
 * LWS_WITH_EXTERNAL_POLL, so it runs on a libuv loop of ours (a "foreign
 * loop"), and that loop is embedded in the poll(): uv_backend_fd() is an
 * epoll fd readable whenever one of lws's sockets is, uv_backend_timeout()
 * is lws's next timer. After poll(), uv_run(UV_RUN_NOWAIT) runs lws and
 * nslirp_service() drives slirp (whose sockets are in the same poll()). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <libwebsockets.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "switch.h"
#include "wt.h"

#define QUEUE_FRAMES 128
#define QUEUE_BYTES (192 * 1024)
#define LOOP_CAP_MS 1000 /* wake up at least this often */

typedef struct client client;

typedef struct qframe {
    size_t len;
    uint8_t buf[]; /* LWS_PRE bytes of room, then the frame */
} qframe;

struct client {
    struct lws *wsi;
    port port;
    char peer[64];
    int64_t since_ms;
    /* message being received */
    uint8_t rx[FRAME_MAX];
    size_t rxlen;
    bool in_msg, oversize;
    /* bounded send queue (ring) */
    qframe *q[QUEUE_FRAMES];
    int qhead, qcount;
    size_t qbytes;
    /* counters */
    uint64_t rx_frames, tx_frames, runts, oversized, texts, tx_dropped;
};

typedef struct server {
    struct lws_context *ctx;
    switchboard sb;
    uv_loop_t loop; /* libwebsockets runs on it as a foreign loop */
    int nclients, max_clients;
    uint64_t total_connects, total_rejects, total_bad;
} server;

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(const char *fmt, ...)
{
    char ts[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s netproxy: ", ts);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ---- WebSocket clients as switch ports ---- */

static void client_enqueue(client *c, const uint8_t *f, size_t len)
{
    if (c->qcount == QUEUE_FRAMES || c->qbytes + len > QUEUE_BYTES) {
        c->tx_dropped++; /* a slow reader loses frames; it never stalls the segment */
        return;
    }
    qframe *q = malloc(sizeof(*q) + LWS_PRE + len);
    if (!q) {
        c->tx_dropped++;
        return;
    }
    q->len = len;
    memcpy(q->buf + LWS_PRE, f, len);
    c->q[(c->qhead + c->qcount) % QUEUE_FRAMES] = q;
    c->qcount++;
    c->qbytes += len;
    lws_callback_on_writable(c->wsi);
}

static void client_port_send(port *p, const uint8_t *f, size_t len)
{
    client_enqueue(p->opaque, f, len);
}

/* ---- the WebSocket protocol ---- */

typedef struct pss {
    client *c;
} pss;

static void client_free(client *c)
{
    while (c->qcount) {
        free(c->q[c->qhead]);
        c->qhead = (c->qhead + 1) % QUEUE_FRAMES;
        c->qcount--;
    }
    free(c);
}

static void get_path(struct lws *wsi, char *path, size_t n)
{
    path[0] = 0;
    if (lws_hdr_copy(wsi, path, (int)n, WSI_TOKEN_GET_URI) <= 0)
        snprintf(path, n, "/");
    char *q = strchr(path, '?');
    if (q)
        *q = 0;
}

static void rx_complete(server *s, client *c, struct lws *wsi)
{
    c->in_msg = false;
    if (!lws_frame_is_binary(wsi)) {
        c->texts++;
        s->total_bad++;
        return;
    }
    if (c->oversize) {
        c->oversized++;
        s->total_bad++;
        return;
    }
    if (c->rxlen < FRAME_MIN) {
        c->runts++;
        s->total_bad++;
        return;
    }
    c->rx_frames++;
    seg_forward(c->port.seg, &c->port, c->rx, c->rxlen);
}

static int cb_ether(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    server *s = lws_context_user(lws_get_context(wsi));
    pss *ps = user;

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (s->nclients >= s->max_clients) {
            char peer[64] = "?";
            lws_get_peer_simple(wsi, peer, sizeof(peer));
            s->total_rejects++;
            logf_("reject %s: client limit %d reached", peer, s->max_clients);
            return -1;
        }
        if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) >= PATH_MAX_LEN) {
            s->total_rejects++;
            return -1; /* no segment name that long */
        }
        return 0;

    case LWS_CALLBACK_ESTABLISHED: {
        char path[PATH_MAX_LEN];
        get_path(wsi, path, sizeof(path));
        client *c = calloc(1, sizeof(*c));
        segment *g = c ? seg_get(&s->sb, path) : NULL;
        if (c) {
            c->port.send = client_port_send;
            c->port.opaque = c;
        }
        if (!g || seg_add_port(g, &c->port) < 0) {
            if (g) {
                c->port.seg = g;
                seg_remove_port(&s->sb, &c->port); /* frees the segment if empty */
            }
            free(c);
            return -1;
        }
        c->wsi = wsi;
        c->since_ms = now_ms();
        snprintf(c->peer, sizeof(c->peer), "?");
        lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
        ps->c = c;
        s->nclients++;
        s->total_connects++;
        logf_("connect %s %s: segment ports=%d clients=%d", seg_path(g), c->peer, seg_nports(g),
              s->nclients);
        return 0;
    }

    case LWS_CALLBACK_RECEIVE: {
        client *c = ps ? ps->c : NULL;
        if (!c)
            return -1;
        if (!c->in_msg) {
            c->in_msg = true;
            c->rxlen = 0;
            c->oversize = false;
        }
        if (!c->oversize) {
            if (c->rxlen + len > FRAME_MAX)
                c->oversize = true; /* keep reading the message, then drop it */
            else {
                memcpy(c->rx + c->rxlen, in, len);
                c->rxlen += len;
            }
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            rx_complete(s, c, wsi);
        return 0;
    }

    case LWS_CALLBACK_SERVER_WRITEABLE: {
        client *c = ps ? ps->c : NULL;
        if (!c)
            return 0;
        /* Write while the socket takes it; lws buffers a partial write
         * itself and holds back the next WRITEABLE until it is flushed. */
        while (c->qcount && !lws_send_pipe_choked(wsi)) {
            qframe *q = c->q[c->qhead];
            c->qhead = (c->qhead + 1) % QUEUE_FRAMES;
            c->qcount--;
            c->qbytes -= q->len;
            int n = lws_write(wsi, q->buf + LWS_PRE, q->len, LWS_WRITE_BINARY);
            free(q);
            if (n < 0)
                return -1;
            c->tx_frames++;
        }
        if (c->qcount)
            lws_callback_on_writable(wsi);
        return 0;
    }

    case LWS_CALLBACK_CLOSED: {
        client *c = ps ? ps->c : NULL;
        if (!c)
            return 0;
        ps->c = NULL;
        char path[PATH_MAX_LEN];
        snprintf(path, sizeof(path), "%s", seg_path(c->port.seg));
        seg_remove_port(&s->sb, &c->port);
        s->nclients--;
        logf_("disconnect %s %s: %.1fs rx=%llu tx=%llu runt=%llu oversize=%llu text=%llu "
              "txdrop=%llu clients=%d",
              path, c->peer, (double)(now_ms() - c->since_ms) / 1000.0,
              (unsigned long long)c->rx_frames, (unsigned long long)c->tx_frames,
              (unsigned long long)c->runts, (unsigned long long)c->oversized,
              (unsigned long long)c->texts, (unsigned long long)c->tx_dropped, s->nclients);
        client_free(c);
        return 0;
    }

    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* protocols[0] also serves clients that ask for no subprotocol; "binary" is
 * what some browser-VM front ends request. */
static const struct lws_protocols protocols[] = {
    {"ethernet", cb_ether, sizeof(pss), 2048, 0, NULL, 0},
    {"binary", cb_ether, sizeof(pss), 2048, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ---- main ---- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: netproxy [options]\n"
            "WebSocket relay joining VMs into Ethernet segments: every client on the same\n"
            "URL path is on one learning switch; one binary message = one Ethernet frame.\n"
            "\n"
            "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8086;\n"
            "                       HOST '*' or empty = all interfaces; PORT 0 = any)\n"
            "  --nat SEGMENT        give segment (URL path, e.g. /lan) a NAT uplink\n"
            "                       through libslirp: 10.0.2.0/24, gateway 10.0.2.2,\n"
            "                       DNS 10.0.2.3, DHCP from 10.0.2.15 (repeatable;\n"
            "                       several names may follow one --nat)\n"
            "  --allow-private      let the uplink reach this host's loopback (also via\n"
            "                       10.0.2.2), private, link-local and other special\n"
            "                       ranges; refused by default\n"
            "  --tls-cert FILE      serve wss:// with this certificate (PEM) ...\n"
            "  --tls-key FILE       ... and key\n"
            "  --max-clients N      refuse clients beyond N (default 256)\n"
            "  --ping-interval S    ping idle clients after S seconds, drop them after\n"
            "                       2*S without an answer (default 30)\n"
            "  --wt-listen HOST:PORT  also serve WebTransport (HTTP/3, UDP): a session to\n"
            "                       https://HOST:PORT/SEGMENT joins the same segment as\n"
            "                       ws://.../SEGMENT (netproxy/WEBTRANSPORT.md)\n"
            "  --wt-cert FILE       WebTransport certificate (default --tls-cert) ...\n"
            "  --wt-key FILE        ... and key (default --tls-key)\n"
            "  --wt-cert-gen DIR    write DIR/cert.pem and DIR/key.pem, a 13-day ECDSA\n"
            "                       P-256 self-signed certificate, print its SHA-256 for\n"
            "                       a browser's serverCertificateHashes, and exit\n"
            "  --verbose            libwebsockets warnings too\n"
            "  --help               this text\n"
            "\n"
            "Frames shorter than 14 or longer than 1518 bytes and text messages are\n"
            "dropped and counted; each client's send queue is bounded (%d frames,\n"
            "%d KiB): a slow client loses frames instead of stalling its segment.\n"
            "Logs one line per connect/disconnect on stderr; SIGTERM/SIGINT exit cleanly.\n",
            QUEUE_FRAMES, QUEUE_BYTES / 1024);
}

static void norm_path(const char *in, char *out, size_t n)
{
    snprintf(out, n, "%s%s", in[0] == '/' ? "" : "/", in);
}

int main(int argc, char **argv)
{
    const char *listen = "127.0.0.1:8086", *cert = NULL, *key = NULL;
    const char *wt_listen = NULL, *wt_cert = NULL, *wt_key = NULL, *wt_certgen = NULL;
    int max_clients = 256, ping = 30, verbose = 0;
    bool allow_private = false;
    const char *nats[64];
    int nnat = 0;

    enum { O_LISTEN = 256, O_NAT, O_PRIV, O_CERT, O_KEY, O_MAX, O_PING, O_VERB, O_HELP };
    enum { O_WT_LISTEN = 300, O_WT_CERT, O_WT_KEY, O_WT_GEN }; /* WebTransport (wt.h) */
    static const struct option longopts[] = {
        {"listen", required_argument, 0, O_LISTEN},
        {"nat", required_argument, 0, O_NAT},
        {"allow-private", no_argument, 0, O_PRIV},
        {"tls-cert", required_argument, 0, O_CERT},
        {"tls-key", required_argument, 0, O_KEY},
        {"max-clients", required_argument, 0, O_MAX},
        {"ping-interval", required_argument, 0, O_PING},
        {"verbose", no_argument, 0, O_VERB},
        {"help", no_argument, 0, O_HELP},
        {"wt-listen", required_argument, 0, O_WT_LISTEN},
        {"wt-cert", required_argument, 0, O_WT_CERT},
        {"wt-key", required_argument, 0, O_WT_KEY},
        {"wt-cert-gen", required_argument, 0, O_WT_GEN},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (o) {
        case O_LISTEN: listen = optarg; break;
        case O_NAT:
            if (nnat < 64)
                nats[nnat++] = optarg;
            /* "--nat a b c": take following bare words as more segments */
            while (optind < argc && argv[optind][0] != '-' && nnat < 64)
                nats[nnat++] = argv[optind++];
            break;
        case O_PRIV: allow_private = true; break;
        case O_CERT: cert = optarg; break;
        case O_KEY: key = optarg; break;
        case O_MAX: max_clients = atoi(optarg); break;
        case O_PING: ping = atoi(optarg); break;
        case O_VERB: verbose = 1; break;
        case 'h':
        case O_HELP: usage(stdout); return 0;
        case O_WT_LISTEN: wt_listen = optarg; break;
        case O_WT_CERT: wt_cert = optarg; break;
        case O_WT_KEY: wt_key = optarg; break;
        case O_WT_GEN: wt_certgen = optarg; break;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc || max_clients < 1 || ping < 1 || ping > 30000 || (!cert != !key)) {
        usage(stderr);
        return 2;
    }
    if (wt_certgen) {
        char err[256];
        if (wt_cert_gen(wt_certgen, 13, stdout, err, sizeof(err)) < 0) {
            fprintf(stderr, "netproxy: --wt-cert-gen: %s\n", err);
            return 1;
        }
        return 0;
    }
    wt_cert = wt_cert ? wt_cert : cert;
    wt_key = wt_key ? wt_key : key;
    if (wt_listen && (!wt_cert || !wt_key)) {
        fprintf(stderr,
                "netproxy: --wt-listen needs --wt-cert/--wt-key (or --tls-cert/--tls-key)\n");
        return 2;
    }

    char host[256] = "";
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        fprintf(stderr, "netproxy: --listen wants HOST:PORT\n");
        return 2;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    bool v6 = host[0] == '[';
    if (v6) { /* [::1]:8086 */
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']') {
            fprintf(stderr, "netproxy: --listen wants HOST:PORT or [ADDR6]:PORT\n");
            return 2;
        }
        memmove(host, host + 1, hl - 2);
        host[hl - 2] = 0;
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || port < 0 || port > 65535) {
        fprintf(stderr, "netproxy: bad port in --listen\n");
        return 2;
    }

    server s;
    memset(&s, 0, sizeof(s));
    s.max_clients = max_clients;

    for (int i = 0; i < nnat; i++) {
        char path[PATH_MAX_LEN], err[256];
        norm_path(nats[i], path, sizeof(path));
        segment *g = seg_get(&s.sb, path);
        if (!g || seg_add_nat(g, !allow_private, err, sizeof(err)) < 0) {
            fprintf(stderr, "netproxy: --nat %s: %s\n", path, g ? err : "out of memory");
            return 1;
        }
        logf_("segment %s: NAT uplink 10.0.2.0/24%s", path,
              allow_private ? " (private ranges open)" : " (private ranges refused)");
    }

    wt_server *wt = NULL;
    if (wt_listen) {
        char err[256];
        wt = wt_server_new(&s.sb, wt_listen, wt_cert, wt_key, max_clients, logf_, err, sizeof(err));
        if (!wt) {
            fprintf(stderr, "netproxy: --wt-listen: %s\n", err);
            return 1;
        }
        logf_("listening on https://%s (WebTransport, UDP port %d)", wt_listen, wt_server_port(wt));
    }

    lws_set_log_level(verbose ? LLL_ERR | LLL_WARN : LLL_ERR, NULL);

    static lws_retry_bo_t retry;
    retry.secs_since_valid_ping = (uint16_t)ping;
    retry.secs_since_valid_hangup = (uint16_t)(2 * ping);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = (int)port;
    info.iface = (host[0] && strcmp(host, "*") != 0) ? host : NULL;
    info.protocols = protocols;
    info.user = &s;
    info.retry_and_idle_policy = &retry;
    info.pcontext = &s.ctx; /* lws clears it once the context is freed */
    /* An IPv4 host listens on that address only; '*' on both families. */
    info.options = info.iface && !v6 ? LWS_SERVER_OPTION_DISABLE_IPV6 : 0;
    if (uv_loop_init(&s.loop) != 0) {
        fprintf(stderr, "netproxy: uv_loop_init failed\n");
        return 1;
    }
    void *foreign_loops[1] = {&s.loop};
    info.options |= LWS_SERVER_OPTION_LIBUV;
    info.foreign_loops = foreign_loops;
    if (cert) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cert;
        info.ssl_private_key_filepath = key;
    }
    s.ctx = lws_create_context(&info);
    if (!s.ctx) {
        wt_server_free(wt);
        fprintf(stderr, "netproxy: cannot listen on %s\n", listen);
        return 1;
    }
    struct lws_vhost *vh = lws_get_vhost_by_name(s.ctx, "default");
    int real_port = vh ? lws_get_vhost_listen_port(vh) : (int)port;
    logf_("listening on %s://%s:%d max-clients=%d nat=%d%s", cert ? "wss" : "ws",
          info.iface ? info.iface : "*", real_port, max_clients, nnat,
          allow_private ? " allow-private" : "");

    /* Signals arrive only inside ppoll(), so a SIGTERM between the check and
     * the wait cannot be lost. */
    sigset_t block, waitmask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigprocmask(SIG_BLOCK, &block, &waitmask);
    sigdelset(&waitmask, SIGTERM);
    sigdelset(&waitmask, SIGINT);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct pollfd *pfds = NULL;
    int cap = 0;
    uv_run(&s.loop, UV_RUN_NOWAIT); /* let lws start its listener */
    while (!stop_signal) {
        int need = 2 + switch_max_pollfds(&s.sb); /* + lws's loop and the WebTransport socket */
        if (need > cap) {
            struct pollfd *n = realloc(pfds, (size_t)need * sizeof(*n));
            if (!n) {
                logf_("out of memory");
                break;
            }
            pfds = n;
            cap = need;
        }
        int timeout = uv_backend_timeout(&s.loop);
        if (timeout < 0 || timeout > LOOP_CAP_MS)
            timeout = LOOP_CAP_MS;
        pfds[0] = (struct pollfd){.fd = uv_backend_fd(&s.loop), .events = POLLIN};
        int n = 1 + switch_pollfds(&s.sb, pfds + 1, cap - 1, &timeout);
        int wt_at = n;
        if (wt)
            n += wt_server_pollfds(wt, pfds + n, cap - n, &timeout);
        struct timespec ts = {timeout / 1000, (long)(timeout % 1000) * 1000000};
        int r = ppoll(pfds, (nfds_t)n, &ts, &waitmask);
        if (r < 0 && errno != EINTR) {
            logf_("poll: %s", strerror(errno));
            break;
        }
        if (r < 0) /* interrupted: no revents are meaningful */
            for (int i = 0; i < n; i++)
                pfds[i].revents = 0;
        switch_service(&s.sb, pfds + 1, wt_at - 1);
        if (wt)
            wt_server_service(wt, pfds + wt_at, n - wt_at);
        uv_run(&s.loop, UV_RUN_NOWAIT);
    }

    int sig = stop_signal;
    logf_("shutting down (%s): clients=%d connects=%llu rejected=%llu bad-frames=%llu",
          sig == SIGTERM  ? "SIGTERM"
          : sig == SIGINT ? "SIGINT"
                          : "error",
          s.nclients, (unsigned long long)s.total_connects, (unsigned long long)s.total_rejects,
          (unsigned long long)s.total_bad);
    /* Closes every client (CLOSED frees each); with a foreign loop the
     * handles finish closing while the loop runs, so run it dry (bounded). */
    for (int i = 0; i < 1000 && (s.ctx || uv_loop_alive(&s.loop)); i++) {
        if (s.ctx && (i % 10) == 0)
            lws_context_destroy(s.ctx);
        uv_run(&s.loop, UV_RUN_NOWAIT);
        if (s.ctx || uv_loop_alive(&s.loop)) {
            struct timespec ms2 = {0, 2000000};
            nanosleep(&ms2, NULL);
        }
    }
    uv_loop_close(&s.loop);
    wt_server_free(wt); /* CONNECTION_CLOSE to every session */
    switch_log_stats(&s.sb, logf_);
    switch_free(&s.sb);
    free(pfds);
    return sig ? 0 : 1;
}
