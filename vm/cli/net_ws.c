/* WebSocket client transport (see net_ws.h). */
#define _GNU_SOURCE
#include "net_ws.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RV_HAVE_LWS

#include <libwebsockets.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define FRAME_MIN 14
#define FRAME_MAX 1518
#define TXQ_FRAMES 256
#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define LOOP_CAP_MS 1000

typedef struct qframe {
    size_t len;
    uint8_t buf[]; /* LWS_PRE, then the frame */
} qframe;

struct nbws {
    uv_loop_t loop;
    struct lws_context *ctx;
    struct lws *wsi; /* current connection attempt or session; NULL = none */
    char url[512], host[256], path[512];
    int port;
    bool tls, up, paused, reported_down, closing;
    int64_t next_attempt_ms;
    int backoff_ms;
    nbws_deliver_fn deliver;
    nbws_room_fn room;
    void *ctx_opaque;
    uint8_t rx[FRAME_MAX];
    size_t rxlen;
    bool in_msg, oversize;
    qframe *q[TXQ_FRAMES];
    int qhead, qcount;
    uint64_t bad, connects;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note(const char *fmt, const char *a, const char *b)
{
    /* The console may be a raw-mode terminal: end lines with CR LF there. */
    fprintf(stderr, "riscv-vm: net: ");
    fprintf(stderr, fmt, a, b);
    fputs(isatty(STDERR_FILENO) ? "\r\n" : "\n", stderr);
}

static void txq_flush(nbws *w)
{
    while (w->qcount) {
        free(w->q[w->qhead]);
        w->qhead = (w->qhead + 1) % TXQ_FRAMES;
        w->qcount--;
    }
}

static void went_down(nbws *w, const char *why)
{
    bool was_up = w->up;
    w->up = false;
    w->wsi = NULL;
    w->paused = false;
    w->in_msg = false;
    txq_flush(w); /* stale frames are worthless after a reconnect */
    if (was_up)
        w->backoff_ms = BACKOFF_MIN_MS;
    w->next_attempt_ms = now_ms() + w->backoff_ms;
    if (!w->closing && (was_up || !w->reported_down)) {
        char msg[160];
        snprintf(msg, sizeof(msg), "link down (%s), reconnecting", why ? why : "closed");
        note("%s: %s", w->url, msg);
        w->reported_down = true;
    }
    w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static void connect_now(nbws *w)
{
    struct lws_client_connect_info cc;
    memset(&cc, 0, sizeof(cc));
    cc.context = w->ctx;
    cc.address = w->host;
    cc.port = w->port;
    cc.path = w->path;
    cc.host = w->host;
    cc.origin = w->host;
    cc.ssl_connection = w->tls ? LCCSCF_USE_SSL : 0;
    cc.protocol = NULL; /* no subprotocol: what netproxy and other relays expect */
    cc.local_protocol_name = "ethernet";
    cc.pwsi = &w->wsi;
    w->next_attempt_ms = INT64_MAX;
    /* A failure may already have been reported through the
     * CONNECTION_ERROR callback; schedule the retry once. */
    if (!lws_client_connect_via_info(&cc) && w->next_attempt_ms == INT64_MAX)
        went_down(w, "connect failed");
}

static void rx_complete(nbws *w, struct lws *wsi)
{
    w->in_msg = false;
    if (!lws_frame_is_binary(wsi) || w->oversize || w->rxlen < FRAME_MIN) {
        w->bad++; /* hostile or broken relay: drop, keep the session */
        return;
    }
    w->deliver(w->ctx_opaque, w->rx, w->rxlen);
    if (!w->paused && !w->room(w->ctx_opaque)) {
        w->paused = true;
        lws_rx_flow_control(wsi, 0);
    }
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
    nbws *w = lws_context_user(lws_get_context(wsi));
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        w->up = true;
        w->connects++;
        w->backoff_ms = BACKOFF_MIN_MS;
        w->reported_down = false;
        note("%s%s", w->url, ": connected, link up");
        if (w->qcount)
            lws_callback_on_writable(wsi);
        return 0;

    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (wsi == w->wsi || !w->wsi)
            went_down(w, in ? (const char *)in : "connection error");
        return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
        if (wsi == w->wsi || !w->wsi)
            went_down(w, "closed by peer");
        return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!w->in_msg) {
            w->in_msg = true;
            w->rxlen = 0;
            w->oversize = false;
        }
        if (!w->oversize) {
            if (w->rxlen + len > FRAME_MAX)
                w->oversize = true;
            else {
                memcpy(w->rx + w->rxlen, in, len);
                w->rxlen += len;
            }
        }
        if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
            rx_complete(w, wsi);
        return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        while (w->qcount && !lws_send_pipe_choked(wsi)) {
            qframe *q = w->q[w->qhead];
            w->qhead = (w->qhead + 1) % TXQ_FRAMES;
            w->qcount--;
            int n = lws_write(wsi, q->buf + LWS_PRE, q->len, LWS_WRITE_BINARY);
            free(q);
            if (n < 0)
                return -1;
        }
        if (w->qcount)
            lws_callback_on_writable(wsi);
        return 0;

    default: break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols ws_protocols[] = {
    {"ethernet", cb_ws, 0, 2048, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* ws://host[:port][/path] or wss://...; IPv6 literals in brackets. */
static int parse_url(nbws *w, const char *url, char *err, size_t errlen)
{
    const char *p;
    if (strncmp(url, "ws://", 5) == 0) {
        w->tls = false;
        w->port = 80;
        p = url + 5;
    } else if (strncmp(url, "wss://", 6) == 0) {
        w->tls = true;
        w->port = 443;
        p = url + 6;
    } else {
        snprintf(err, errlen, "%s: the URL must start with ws:// or wss://", url);
        return -1;
    }
    const char *slash = strchr(p, '/');
    size_t hl = slash ? (size_t)(slash - p) : strlen(p);
    const char *hend = p + hl, *colon = NULL;
    if (*p == '[') {
        const char *rb = memchr(p, ']', hl);
        if (!rb) {
            snprintf(err, errlen, "%s: bad IPv6 address", url);
            return -1;
        }
        if (rb + 1 < hend && rb[1] == ':')
            colon = rb + 1;
        hend = rb + 1;
        p++;
        hl = (size_t)(rb - p);
    } else {
        colon = memchr(p, ':', hl);
        if (colon)
            hl = (size_t)(colon - p);
    }
    if (hl == 0 || hl >= sizeof(w->host)) {
        snprintf(err, errlen, "%s: bad host", url);
        return -1;
    }
    memcpy(w->host, p, hl);
    w->host[hl] = 0;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (end == colon + 1 || v < 1 || v > 65535 || (*end && *end != '/')) {
            snprintf(err, errlen, "%s: bad port", url);
            return -1;
        }
        w->port = (int)v;
    }
    (void)hend;
    snprintf(w->path, sizeof(w->path), "%s", slash ? slash : "/");
    snprintf(w->url, sizeof(w->url), "%s", url);
    return 0;
}

nbws *nbws_open(const char *url, nbws_deliver_fn deliver, nbws_room_fn room, void *ctx, char *err,
                size_t errlen)
{
    nbws *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (parse_url(w, url, err, errlen) < 0) {
        free(w);
        return NULL;
    }
    w->deliver = deliver;
    w->room = room;
    w->ctx_opaque = ctx;
    w->backoff_ms = BACKOFF_MIN_MS;
    if (uv_loop_init(&w->loop) != 0) {
        snprintf(err, errlen, "uv_loop_init failed");
        free(w);
        return NULL;
    }
    lws_set_log_level(0, NULL); /* reasons reach us through the callbacks */

    static const lws_retry_bo_t idle = {
        .secs_since_valid_ping = 20,   /* ping a quiet relay ... */
        .secs_since_valid_hangup = 45, /* ... and give up on a dead one */
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    void *loops[1] = {&w->loop};
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = ws_protocols;
    info.user = w;
    info.foreign_loops = loops;
    info.options = LWS_SERVER_OPTION_LIBUV;
    info.retry_and_idle_policy = &idle;
    info.pcontext = &w->ctx; /* lws clears it once the context is freed */
    if (w->tls)
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    w->ctx = lws_create_context(&info);
    if (!w->ctx) {
        snprintf(err, errlen,
                 "libwebsockets context failed (is libwebsockets-evlib-uv installed?)");
        uv_loop_close(&w->loop);
        free(w);
        return NULL;
    }
    connect_now(w);
    return w;
}

void nbws_close(nbws *w)
{
    if (!w)
        return;
    w->closing = true;
    /* With a foreign loop, destruction advances as the loop closes lws's
     * handles, and a further lws_context_destroy() finishes it; lws clears
     * w->ctx (info.pcontext) once the context is freed. Bounded. */
    for (int i = 0; i < 400 && (w->ctx || uv_loop_alive(&w->loop)); i++) {
        if (w->ctx && (i % 10) == 0)
            lws_context_destroy(w->ctx);
        uv_run(&w->loop, UV_RUN_NOWAIT);
        if (w->ctx || uv_loop_alive(&w->loop)) {
            struct timespec ms = {0, 2000000};
            nanosleep(&ms, NULL);
        }
    }
    uv_loop_close(&w->loop);
    txq_flush(w);
    free(w);
}

bool nbws_up(const nbws *w)
{
    return w->up;
}

bool nbws_send(nbws *w, const uint8_t *frame, size_t len)
{
    if (!w->up || !w->wsi || w->qcount == TXQ_FRAMES || len > FRAME_MAX)
        return false;
    qframe *q = malloc(sizeof(*q) + LWS_PRE + len);
    if (!q)
        return false;
    q->len = len;
    memcpy(q->buf + LWS_PRE, frame, len);
    w->q[(w->qhead + w->qcount) % TXQ_FRAMES] = q;
    w->qcount++;
    lws_callback_on_writable(w->wsi);
    return true;
}

void nbws_room_available(nbws *w)
{
    if (w->paused && w->wsi && w->up) {
        w->paused = false;
        lws_rx_flow_control(w->wsi, 1);
    }
}

int nbws_pollfds(nbws *w, struct pollfd *fds, int max, int *timeout_ms)
{
    int t = uv_backend_timeout(&w->loop);
    if (t < 0 || t > LOOP_CAP_MS)
        t = LOOP_CAP_MS;
    if (!w->wsi && w->next_attempt_ms != INT64_MAX) {
        int64_t d = w->next_attempt_ms - now_ms();
        if (d < t)
            t = d < 0 ? 0 : (int)d;
    }
    if (*timeout_ms < 0 || t < *timeout_ms)
        *timeout_ms = t;
    if (max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = uv_backend_fd(&w->loop), .events = POLLIN};
    return 1;
}

void nbws_service(nbws *w, const struct pollfd *fds, int nfds)
{
    (void)fds;
    (void)nfds; /* uv polls its own epoll set without blocking */
    uv_run(&w->loop, UV_RUN_NOWAIT);
    if (!w->wsi && now_ms() >= w->next_attempt_ms)
        connect_now(w);
}

uint64_t nbws_bad(const nbws *w)
{
    return w->bad;
}

uint64_t nbws_reconnects(const nbws *w)
{
    return w->connects > 1 ? w->connects - 1 : 0;
}

#else /* !RV_HAVE_LWS */

struct nbws {
    int unused;
};

nbws *nbws_open(const char *url, nbws_deliver_fn deliver, nbws_room_fn room, void *ctx, char *err,
                size_t errlen)
{
    (void)url;
    (void)deliver;
    (void)room;
    (void)ctx;
    snprintf(err, errlen,
             "WebSocket networking needs libwebsockets-dev and libuv1-dev, absent at build time");
    return NULL;
}

void nbws_close(nbws *w)
{
    (void)w;
}

bool nbws_up(const nbws *w)
{
    (void)w;
    return false;
}

bool nbws_send(nbws *w, const uint8_t *frame, size_t len)
{
    (void)w;
    (void)frame;
    (void)len;
    return false;
}

void nbws_room_available(nbws *w)
{
    (void)w;
}

int nbws_pollfds(nbws *w, struct pollfd *fds, int max, int *timeout_ms)
{
    (void)w;
    (void)fds;
    (void)max;
    (void)timeout_ms;
    return 0;
}

void nbws_service(nbws *w, const struct pollfd *fds, int nfds)
{
    (void)w;
    (void)fds;
    (void)nfds;
}

uint64_t nbws_bad(const nbws *w)
{
    (void)w;
    return 0;
}

uint64_t nbws_reconnects(const nbws *w)
{
    (void)w;
    return 0;
}

#endif
