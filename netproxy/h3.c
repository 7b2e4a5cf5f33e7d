/* WebTransport over HTTP/3 on ngtcp2 (see h3.h for the wire format). */
#define _GNU_SOURCE
#include "h3.h"

#include <errno.h>
#include <gnutls/crypto.h>
#include <nghttp3/nghttp3.h>
#include <ngtcp2/ngtcp2.h>
#include <ngtcp2/ngtcp2_crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* HTTP/3 stream and frame types (RFC 9114 §6.2, §7.2) */
#define H3_STREAM_CONTROL 0x00
#define H3_STREAM_QPACK_ENC 0x02
#define H3_STREAM_QPACK_DEC 0x03
#define H3_FRAME_DATA 0x00
#define H3_FRAME_HEADERS 0x01
#define H3_FRAME_SETTINGS 0x04
#define H3_FRAME_GOAWAY 0x07

/* SETTINGS identifiers */
#define SET_QPACK_MAX_TABLE_CAPACITY 0x01
#define SET_ENABLE_CONNECT_PROTOCOL 0x08   /* RFC 9220 §3 */
#define SET_H3_DATAGRAM 0x33               /* RFC 9297 §2.1.1 */
#define SET_H3_DATAGRAM_DRAFT04 0xffd277   /* draft-ietf-masque-h3-datagram-04 */
#define SET_ENABLE_WEBTRANSPORT 0x2b603742 /* draft-ietf-webtrans-http3-02 */
#define SET_WT_MAX_SESSIONS_07 0xc671706a  /* draft-ietf-webtrans-http3-07 */
#define SET_WT_MAX_SESSIONS 0x14e9cd29     /* later drafts */

/* WebTransport stream signals (draft-ietf-webtrans-http3 §4.2, §4.3) */
#define WT_UNI_STREAM 0x54
#define WT_BIDI_STREAM 0x41

/* more HTTP/3 error codes (RFC 9114 §8.1) */
#define H3_GENERAL_PROTOCOL_ERROR 0x101
#define H3_STREAM_CREATION_ERROR 0x103
#define H3_CLOSED_CRITICAL_STREAM 0x104
#define H3_FRAME_UNEXPECTED 0x105
#define H3_EXCESSIVE_LOAD 0x107
#define H3_MISSING_SETTINGS 0x10a
#define H3_REQUEST_REJECTED 0x10b
#define H3_MESSAGE_ERROR 0x10e
#define WT_BUFFERED_STREAM_REJECTED 0x3994bd84

#define FRAME_PAYLOAD_CAP (16 * 1024) /* largest control/HEADERS frame we buffer */
#define TXQ_FRAMES 256
#define TXQ_BYTES (384 * 1024)
#define FSTREAM_BYTES (512 * 1024) /* queued, unacknowledged bytes on the frame stream */
#define MAX_UNI_CREDIT 4096        /* peer uni streams credited again per connection */
#define PACKETS_PER_FLUSH 64
#define PKT_BUF 1500
#define IDLE_TIMEOUT (30 * NGTCP2_SECONDS)

enum skind {
    SK_NEW_UNI,  /* peer uni stream, type not read yet */
    SK_CONTROL,  /* peer control stream */
    SK_DISCARD,  /* QPACK streams (we use no dynamic table), unknown types */
    SK_WT_UNI,   /* peer WebTransport uni stream: session id, then a frame */
    SK_REQUEST,  /* server: a client bidi stream before it proved a session */
    SK_SESSION,  /* the CONNECT stream (both roles) */
    SK_OUT_ONLY, /* our control stream or one of our frame streams */
};

/* Output waits in chunks until acknowledged: ngtcp2 reads stream data
 * from our memory until the peer acknowledges it. */
typedef struct ochunk {
    struct ochunk *next;
    size_t len;
    uint8_t data[];
} ochunk;

typedef struct h3stream {
    int64_t id;
    enum skind kind;
    bool wt_hdr_done; /* SK_WT_UNI: session id read */
    bool headers_done;
    uint8_t *in; /* unparsed input */
    size_t inlen, incap;
    ochunk *ohead, *otail; /* queued, not yet acknowledged */
    ochunk *osend;         /* first chunk with unsent bytes */
    size_t osend_off;      /* bytes of osend already sent */
    size_t oqueued;        /* bytes in the chunks */
    uint64_t oacked;       /* acknowledged bytes of ohead not freed yet */
    bool outfin, fin_sent, blocked;
    struct h3stream *next;
} h3stream;

typedef struct txframe {
    size_t len;
    bool raw; /* test hook: a datagram sent as is */
    uint8_t data[];
} txframe;

struct wtconn {
    ngtcp2_conn *conn;
    gnutls_session_t tls;
    ngtcp2_crypto_conn_ref ref;
    bool server, connected_socket;
    int fd;
    struct sockaddr_storage local, remote;
    socklen_t llen, rlen;
    ngtcp2_cid odcid; /* server: the client's first destination id */
    const wtconn_ops *ops;
    void *ctx;
    nghttp3_qpack_encoder *qenc;
    nghttp3_qpack_decoder *qdec;
    h3stream *streams;
    h3stream *peer_control;
    int64_t session_id; /* the CONNECT stream, -1 before */
    bool open, settings_sent, peer_settings, connect_sent;
    bool peer_wt, peer_dgram, peer_connect;
    h3stream *fstream; /* our stream for frames too large for a datagram */
    int uni_credited;  /* peer uni streams given back (uni_done) */
    /* client */
    char authority[300], path[512];
    uint8_t pin[32];
    bool have_pin;
    /* pending frames */
    txframe *txq[TXQ_FRAMES];
    int txhead, txcount;
    size_t txbytes;
    bool more;         /* output left after the last flush */
    bool cwnd_blocked; /* output waits for ACKs or the pacing timer */
    /* end */
    bool dead, app_close;
    uint64_t app_code;
    char why[160];
    wtconn_stats st;
};

/* ---- small helpers ---- */

static ngtcp2_tstamp now_ts(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (ngtcp2_tstamp)ts.tv_sec * NGTCP2_SECONDS + (ngtcp2_tstamp)ts.tv_nsec;
}

/* QUIC variable-length integers (RFC 9000 §16) */
static size_t vi_len(uint64_t v)
{
    return v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
}

static uint8_t *vi_put(uint8_t *p, uint64_t v)
{
    size_t n = vi_len(v);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    p[0] |= (uint8_t)((n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3) << 6);
    return p + n;
}

/* Bytes used, or 0 when p[0..n) holds no complete varint. */
static size_t vi_get(const uint8_t *p, size_t n, uint64_t *v)
{
    if (n == 0)
        return 0;
    size_t len = (size_t)1 << (p[0] >> 6);
    if (n < len)
        return 0;
    uint64_t x = p[0] & 0x3f;
    for (size_t i = 1; i < len; i++)
        x = (x << 8) | p[i];
    *v = x;
    return len;
}

static void set_why(wtconn *c, const char *why)
{
    if (!c->why[0])
        snprintf(c->why, sizeof(c->why), "%s", why);
}

/* A protocol error found inside a callback: remember the code; the
 * callback returns NGTCP2_ERR_CALLBACK_FAILURE and wtc_read closes. */
static int fail(wtconn *c, uint64_t code, const char *why)
{
    c->app_close = true;
    c->app_code = code;
    set_why(c, why);
    return NGTCP2_ERR_CALLBACK_FAILURE;
}

static void rand_bytes(uint8_t *p, size_t n)
{
    if (gnutls_rnd(GNUTLS_RND_RANDOM, p, n) != 0)
        abort(); /* no randomness: nothing safe to do */
}

/* ---- streams ---- */

static h3stream *stream_new(wtconn *c, int64_t id, enum skind kind)
{
    h3stream *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->id = id;
    s->kind = kind;
    s->next = c->streams;
    c->streams = s;
    ngtcp2_conn_set_stream_user_data(c->conn, id, s);
    return s;
}

static void stream_free(wtconn *c, h3stream *s)
{
    for (h3stream **pp = &c->streams; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    if (c->peer_control == s)
        c->peer_control = NULL;
    if (c->fstream == s)
        c->fstream = NULL;
    while (s->ohead) {
        ochunk *n = s->ohead->next;
        free(s->ohead);
        s->ohead = n;
    }
    free(s->in);
    free(s);
}

static int stream_append(h3stream *s, const uint8_t *p, size_t n, size_t cap)
{
    if (s->inlen + n > cap)
        return -1;
    if (s->inlen + n > s->incap) {
        size_t nc = s->incap ? s->incap * 2 : 256;
        while (nc < s->inlen + n)
            nc *= 2;
        uint8_t *b = realloc(s->in, nc);
        if (!b)
            return -1;
        s->in = b;
        s->incap = nc;
    }
    memcpy(s->in + s->inlen, p, n);
    s->inlen += n;
    return 0;
}

static void stream_consume(h3stream *s, size_t n)
{
    memmove(s->in, s->in + n, s->inlen - n);
    s->inlen -= n;
}

/* Queues output on s; it goes out at the next flush. */
static int stream_queue(h3stream *s, const uint8_t *p, size_t len)
{
    ochunk *k = malloc(sizeof(*k) + len);
    if (!k)
        return -1;
    k->next = NULL;
    k->len = len;
    memcpy(k->data, p, len);
    if (s->otail)
        s->otail->next = k;
    else
        s->ohead = k;
    s->otail = k;
    if (!s->osend) {
        s->osend = k;
        s->osend_off = 0;
    }
    s->oqueued += len;
    return 0;
}

static bool stream_pending(const h3stream *s)
{
    return !s->blocked && (s->osend || (s->outfin && !s->fin_sent));
}

/* ---- HTTP/3 output ---- */

static int open_control(wtconn *c)
{
    int64_t id;
    if (ngtcp2_conn_open_uni_stream(c->conn, &id, NULL) != 0)
        return -1;
    h3stream *s = stream_new(c, id, SK_OUT_ONLY);
    uint8_t b[64];
    if (!s)
        return -1;
    /* SETTINGS payload: pairs of varints. One session per connection. */
    uint8_t pl[48], *q = pl;
    if (c->server) {
        q = vi_put(q, SET_ENABLE_CONNECT_PROTOCOL);
        q = vi_put(q, 1);
    }
    q = vi_put(q, SET_H3_DATAGRAM);
    q = vi_put(q, 1);
    q = vi_put(q, SET_H3_DATAGRAM_DRAFT04);
    q = vi_put(q, 1);
    q = vi_put(q, SET_ENABLE_WEBTRANSPORT);
    q = vi_put(q, 1);
    q = vi_put(q, SET_WT_MAX_SESSIONS_07);
    q = vi_put(q, 1);
    uint8_t *p = b;
    p = vi_put(p, H3_STREAM_CONTROL);
    p = vi_put(p, H3_FRAME_SETTINGS);
    p = vi_put(p, (uint64_t)(q - pl));
    memcpy(p, pl, (size_t)(q - pl));
    p += q - pl;
    if (stream_queue(s, b, (size_t)(p - b)) < 0) /* a control stream never ends */
        return -1;
    c->settings_sent = true;
    return 0;
}

static void mknv(nghttp3_nv *nv, const char *name, const char *value)
{
    nv->name = (uint8_t *)(uintptr_t)name;
    nv->value = (uint8_t *)(uintptr_t)value;
    nv->namelen = strlen(name);
    nv->valuelen = strlen(value);
    nv->flags = NGHTTP3_NV_FLAG_NONE;
}

/* One HEADERS frame on s, QPACK-encoded with the static table only. */
static int send_headers(wtconn *c, h3stream *s, const nghttp3_nv *nva, size_t n, bool fin)
{
    nghttp3_buf pbuf, rbuf, ebuf;
    nghttp3_buf_init(&pbuf);
    nghttp3_buf_init(&rbuf);
    nghttp3_buf_init(&ebuf);
    int rc = -1;
    if (nghttp3_qpack_encoder_encode(c->qenc, &pbuf, &rbuf, &ebuf, s->id, nva, n) == 0 &&
        nghttp3_buf_len(&ebuf) == 0) {
        size_t pl = nghttp3_buf_len(&pbuf), rl = nghttp3_buf_len(&rbuf);
        size_t blen = pl + rl;
        uint8_t *b = malloc(1 + 8 + blen);
        if (b) {
            uint8_t *p = vi_put(b, H3_FRAME_HEADERS);
            p = vi_put(p, blen);
            memcpy(p, pbuf.pos, pl);
            memcpy(p + pl, rbuf.pos, rl);
            rc = stream_queue(s, b, (size_t)(p - b) + blen);
            s->outfin = fin;
            free(b);
        }
    }
    const nghttp3_mem *mem = nghttp3_mem_default();
    nghttp3_buf_free(&pbuf, mem);
    nghttp3_buf_free(&rbuf, mem);
    nghttp3_buf_free(&ebuf, mem);
    return rc;
}

static int send_connect(wtconn *c)
{
    int64_t id;
    if (ngtcp2_conn_open_bidi_stream(c->conn, &id, NULL) != 0)
        return -1;
    h3stream *s = stream_new(c, id, SK_SESSION);
    if (!s)
        return -1;
    nghttp3_nv nv[6];
    mknv(&nv[0], ":method", "CONNECT");
    mknv(&nv[1], ":protocol", "webtransport");
    mknv(&nv[2], ":scheme", "https");
    mknv(&nv[3], ":authority", c->authority);
    mknv(&nv[4], ":path", c->path);
    mknv(&nv[5], "sec-webtransport-http3-draft02", "1");
    if (send_headers(c, s, nv, 6, false) < 0)
        return -1;
    c->session_id = id;
    c->connect_sent = true;
    return 0;
}

/* ---- HTTP/3 input ---- */

typedef struct reqhdrs {
    char method[16], protocol[32], path[512], status[8];
    bool bad;
} reqhdrs;

static void hdr_copy(char *dst, size_t n, nghttp3_vec v, bool *bad)
{
    if (v.len >= n) {
        *bad = true;
        return;
    }
    memcpy(dst, v.base, v.len);
    dst[v.len] = 0;
}

static int decode_headers(wtconn *c, int64_t id, const uint8_t *p, size_t n, reqhdrs *h)
{
    const nghttp3_mem *mem = nghttp3_mem_default();
    nghttp3_qpack_stream_context *sctx;
    if (nghttp3_qpack_stream_context_new(&sctx, id, mem) != 0)
        return -1;
    int rc = -1;
    for (;;) {
        nghttp3_qpack_nv nv;
        uint8_t flags = 0;
        nghttp3_ssize r = nghttp3_qpack_decoder_read_request(c->qdec, sctx, &nv, &flags, p, n, 1);
        if (r < 0)
            break;
        p += r;
        n -= (size_t)r;
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_EMIT) {
            nghttp3_vec name = nghttp3_rcbuf_get_buf(nv.name);
            nghttp3_vec value = nghttp3_rcbuf_get_buf(nv.value);
#define IS(s) (name.len == strlen(s) && memcmp(name.base, s, name.len) == 0)
            if (IS(":method"))
                hdr_copy(h->method, sizeof(h->method), value, &h->bad);
            else if (IS(":protocol"))
                hdr_copy(h->protocol, sizeof(h->protocol), value, &h->bad);
            else if (IS(":path"))
                hdr_copy(h->path, sizeof(h->path), value, &h->bad);
            else if (IS(":status"))
                hdr_copy(h->status, sizeof(h->status), value, &h->bad);
#undef IS
            nghttp3_rcbuf_decref(nv.name);
            nghttp3_rcbuf_decref(nv.value);
        }
        if (flags & NGHTTP3_QPACK_DECODE_FLAG_FINAL) {
            rc = 0;
            break;
        }
        if ((flags & NGHTTP3_QPACK_DECODE_FLAG_BLOCKED) || (r == 0 && !flags))
            break; /* we allow no dynamic table: a blocked block is an error */
    }
    nghttp3_qpack_stream_context_del(sctx);
    return rc;
}

static void parse_settings(wtconn *c, const uint8_t *p, size_t n)
{
    while (n) {
        uint64_t id, v;
        size_t a = vi_get(p, n, &id);
        size_t b = a ? vi_get(p + a, n - a, &v) : 0;
        if (!a || !b)
            return;
        p += a + b;
        n -= a + b;
        switch (id) {
        case SET_ENABLE_CONNECT_PROTOCOL: c->peer_connect = v == 1; break;
        case SET_H3_DATAGRAM:
        case SET_H3_DATAGRAM_DRAFT04: c->peer_dgram |= v == 1; break;
        case SET_ENABLE_WEBTRANSPORT: c->peer_wt |= v == 1; break;
        case SET_WT_MAX_SESSIONS_07:
        case SET_WT_MAX_SESSIONS: c->peer_wt |= v > 0; break;
        default: break; /* unknown settings are ignored (RFC 9114 §7.2.4) */
        }
    }
}

/* Takes complete frames off s->in: *type, *payload (pointing into s->in),
 * *plen; returns the bytes to consume, 0 = incomplete, -1 = too large. */
static long next_frame(h3stream *s, uint64_t *type, const uint8_t **payload, size_t *plen)
{
    uint64_t len;
    size_t a = vi_get(s->in, s->inlen, type);
    size_t b = a ? vi_get(s->in + a, s->inlen - a, &len) : 0;
    if (!a || !b)
        return 0;
    if (len > FRAME_PAYLOAD_CAP)
        return -1;
    if (s->inlen - a - b < len)
        return 0;
    *payload = s->in + a + b;
    *plen = (size_t)len;
    return (long)(a + b + len);
}

static void session_opened(wtconn *c)
{
    c->open = true;
    if (c->ops->opened)
        c->ops->opened(c->ctx, c);
}

static int control_input(wtconn *c, h3stream *s)
{
    for (;;) {
        uint64_t type;
        const uint8_t *pl;
        size_t plen;
        long used = next_frame(s, &type, &pl, &plen);
        if (used < 0)
            return fail(c, H3_EXCESSIVE_LOAD, "control frame too large");
        if (used == 0)
            return 0;
        if (!c->peer_settings && type != H3_FRAME_SETTINGS)
            return fail(c, H3_MISSING_SETTINGS, "control stream does not start with SETTINGS");
        if (type == H3_FRAME_SETTINGS) {
            if (c->peer_settings)
                return fail(c, H3_FRAME_UNEXPECTED, "second SETTINGS");
            c->peer_settings = true;
            parse_settings(c, pl, plen);
            if (!c->server && !(c->peer_wt && c->peer_dgram && c->peer_connect))
                return fail(c, H3_NO_ERROR, "server does not offer WebTransport with datagrams");
        } else if (type == H3_FRAME_GOAWAY) {
            set_why(c, "server going away");
        }
        stream_consume(s, (size_t)used);
    }
}

static int request_input(wtconn *c, h3stream *s, bool fin)
{
    for (;;) {
        if (s->kind == SK_REQUEST && !s->headers_done && s->inlen) {
            uint64_t sig;
            if (vi_get(s->in, s->inlen, &sig) && sig == WT_BIDI_STREAM) {
                /* A WebTransport bidirectional stream: netproxy uses none. */
                ngtcp2_conn_shutdown_stream(c->conn, s->id, WT_BUFFERED_STREAM_REJECTED);
                s->kind = SK_DISCARD;
                s->inlen = 0;
                return 0;
            }
        }
        uint64_t type;
        const uint8_t *pl;
        size_t plen;
        long used = next_frame(s, &type, &pl, &plen);
        if (used < 0)
            return fail(c, H3_EXCESSIVE_LOAD, "request frame too large");
        if (used == 0)
            break;
        if (type == H3_FRAME_HEADERS && !s->headers_done) {
            s->headers_done = true;
            reqhdrs h;
            memset(&h, 0, sizeof(h));
            if (decode_headers(c, s->id, pl, plen, &h) < 0)
                return fail(c, 0x200 /* QPACK_DECOMPRESSION_FAILED */, "bad QPACK header block");
            if (c->server) {
                bool wt = !h.bad && strcmp(h.method, "CONNECT") == 0 &&
                          strcmp(h.protocol, "webtransport") == 0 && h.path[0] == '/';
                char *q = strchr(h.path, '?');
                if (q)
                    *q = 0;
                bool ok = wt && !c->open && c->ops->accept && c->ops->accept(c->ctx, c, h.path);
                nghttp3_nv nv[2];
                mknv(&nv[0], ":status", ok ? "200" : wt ? "404" : "400");
                /* draft-02 clients look for this answer */
                mknv(&nv[1], "sec-webtransport-http3-draft", "draft02");
                if (send_headers(c, s, nv, ok ? 2 : 1, !ok) < 0)
                    return fail(c, H3_INTERNAL_ERROR, "out of memory");
                if (ok) {
                    s->kind = SK_SESSION;
                    c->session_id = s->id;
                    session_opened(c);
                } else {
                    ngtcp2_conn_shutdown_stream_read(c->conn, s->id, H3_REQUEST_REJECTED);
                    s->kind = SK_DISCARD;
                    s->inlen = 0;
                    return 0;
                }
            } else {
                if (strcmp(h.status, "200") != 0) {
                    char why[80];
                    snprintf(why, sizeof(why), "server answered %s", h.status[0] ? h.status : "?");
                    return fail(c, H3_NO_ERROR, why);
                }
                session_opened(c);
            }
        } else if (!s->headers_done) {
            return fail(c, H3_FRAME_UNEXPECTED, "request without HEADERS");
        }
        /* after the headers: DATA with capsules, or unknown frames; the
         * only capsule that matters ends the session, and so does FIN */
        stream_consume(s, (size_t)used);
    }
    if (fin && s->kind == SK_SESSION) {
        set_why(c, "session closed by peer");
        c->app_close = true;
        c->app_code = H3_NO_ERROR;
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    return 0;
}

static void deliver(wtconn *c, const uint8_t *f, size_t len, bool dgram)
{
    if (len < WT_FRAME_MIN || len > WT_FRAME_MAX) {
        c->st.rx_bad++;
        return;
    }
    if (dgram)
        c->st.rx_dgram++;
    else
        c->st.rx_stream++;
    if (c->ops->frame)
        c->ops->frame(c->ctx, c, f, len);
}

static void reject_uni(wtconn *c, h3stream *s)
{
    c->st.rx_bad++; /* stop it, keep the session */
    ngtcp2_conn_shutdown_stream_read(c->conn, s->id, WT_BUFFERED_STREAM_REJECTED);
    s->kind = SK_DISCARD;
    s->inlen = 0;
}

/* A WebTransport uni stream: 0x54 (already read), the session id, then
 * frames, each a 2-byte big-endian length and the frame. Parsed as it
 * comes, holding at most one frame. */
static int wt_uni_input(wtconn *c, h3stream *s, const uint8_t *p, size_t n, bool fin)
{
    while (n && s->kind == SK_WT_UNI) {
        size_t want;
        if (!s->wt_hdr_done)
            want = s->inlen ? (size_t)1 << (s->in[0] >> 6) : 1;
        else
            want = s->inlen < 2 ? 2 : 2 + ((size_t)s->in[0] << 8 | s->in[1]);
        size_t take = want - s->inlen < n ? want - s->inlen : n;
        if (stream_append(s, p, take, 8 + 2 + WT_FRAME_MAX) < 0)
            return fail(c, H3_INTERNAL_ERROR, "out of memory");
        p += take;
        n -= take;
        if (s->inlen < want)
            break;
        if (!s->wt_hdr_done) {
            uint64_t sid = 0;
            vi_get(s->in, s->inlen, &sid);
            if (!c->open || (int64_t)sid != c->session_id) {
                reject_uni(c, s);
                return 0;
            }
            s->wt_hdr_done = true;
            s->inlen = 0;
        } else if (s->inlen == 2) {
            size_t flen = (size_t)s->in[0] << 8 | s->in[1];
            if (flen < WT_FRAME_MIN || flen > WT_FRAME_MAX) {
                reject_uni(c, s);
                return 0;
            }
        } else {
            deliver(c, s->in + 2, s->inlen - 2, false);
            s->inlen = 0;
        }
    }
    if (fin && s->kind == SK_WT_UNI && (s->inlen || !s->wt_hdr_done))
        c->st.rx_bad++; /* ended inside a frame */
    return 0;
}

static int stream_input(wtconn *c, h3stream *s, const uint8_t *data, size_t len, bool fin)
{
    switch (s->kind) {
    case SK_DISCARD:
    case SK_OUT_ONLY: return 0;
    case SK_NEW_UNI: {
        /* the stream type, a varint, may arrive a byte at a time; the rest
         * of the data belongs to the stream's own parser */
        size_t used = 0;
        while (used < len && (!s->inlen || s->inlen < (size_t)1 << (s->in[0] >> 6)))
            if (stream_append(s, data + used++, 1, 8) < 0)
                return fail(c, H3_INTERNAL_ERROR, "out of memory");
        uint64_t type;
        if (!s->inlen || !vi_get(s->in, s->inlen, &type))
            return 0;
        s->inlen = 0;
        if (type == H3_STREAM_CONTROL) {
            if (c->peer_control)
                return fail(c, H3_STREAM_CREATION_ERROR, "second control stream");
            s->kind = SK_CONTROL;
            c->peer_control = s;
        } else if (type == WT_UNI_STREAM) {
            s->kind = SK_WT_UNI;
        } else {
            s->kind = SK_DISCARD;
            if (type != H3_STREAM_QPACK_ENC && type != H3_STREAM_QPACK_DEC)
                ngtcp2_conn_shutdown_stream_read(c->conn, s->id, H3_STREAM_CREATION_ERROR);
            return 0;
        }
        return stream_input(c, s, data + used, len - used, fin);
    }
    case SK_CONTROL:
        if (len && stream_append(s, data, len, FRAME_PAYLOAD_CAP + 16) < 0)
            return fail(c, H3_EXCESSIVE_LOAD, "control stream buffer");
        if (fin)
            return fail(c, H3_CLOSED_CRITICAL_STREAM, "peer closed its control stream");
        return control_input(c, s);
    case SK_WT_UNI: return wt_uni_input(c, s, data, len, fin);
    case SK_REQUEST:
    case SK_SESSION:
        if (len && stream_append(s, data, len, FRAME_PAYLOAD_CAP + 16) < 0)
            return fail(c, H3_EXCESSIVE_LOAD, "request stream buffer");
        return request_input(c, s, fin);
    }
    return 0;
}

/* ---- ngtcp2 callbacks ---- */

static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref)
{
    return ((wtconn *)ref->user_data)->conn;
}

/* A peer uni stream ended (FIN or reset). ngtcp2 0.12 never closes peer
 * uni streams (its close test wants our side's FIN acknowledged, and a
 * receive-only stream has none), so stream_close would never come: give
 * the peer its stream credit back now and forget the stream. */
static void uni_done(wtconn *c, int64_t id, h3stream *s)
{
    /* ngtcp2 keeps each such stream until the connection ends: a peer that
     * churns through streams gets a bounded number (ours use one) */
    if (c->uni_credited < MAX_UNI_CREDIT) {
        c->uni_credited++;
        ngtcp2_conn_extend_max_streams_uni(c->conn, 1);
    }
    ngtcp2_conn_set_stream_user_data(c->conn, id, NULL);
    stream_free(c, s);
}

static int cb_recv_stream_data(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t offset,
                               const uint8_t *data, size_t datalen, void *ud, void *sud)
{
    (void)offset;
    wtconn *c = ud;
    h3stream *s = sud;
    if (!s) {
        enum skind k = !ngtcp2_is_bidi_stream(id) ? SK_NEW_UNI
                       : c->server                ? SK_REQUEST
                                   : SK_DISCARD; /* servers open no bidi streams here */
        s = stream_new(c, id, k);
        if (!s)
            return fail(c, H3_INTERNAL_ERROR, "out of memory");
    }
    /* Everything is consumed at once (or dropped): give the credit back. */
    ngtcp2_conn_extend_max_stream_offset(conn, id, datalen);
    ngtcp2_conn_extend_max_offset(conn, datalen);
    bool fin = flags & NGTCP2_STREAM_DATA_FLAG_FIN;
    int rv = stream_input(c, s, data, datalen, fin);
    if (rv == 0 && fin && !ngtcp2_is_bidi_stream(id))
        uni_done(c, id, s);
    return rv;
}

static int cb_stream_close(ngtcp2_conn *conn, uint32_t flags, int64_t id, uint64_t app_error_code,
                           void *ud, void *sud)
{
    (void)flags;
    (void)app_error_code;
    wtconn *c = ud;
    h3stream *s = sud;
    bool local = ngtcp2_conn_is_local_stream(conn, id);
    if (id == c->session_id && c->open) {
        c->app_close = true;
        c->app_code = H3_NO_ERROR;
        set_why(c, "session stream closed");
        if (s)
            stream_free(c, s);
        return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    bool credited = !s; /* a peer uni stream whose end we saw: see uni_done */
    if (s)
        stream_free(c, s);
    /* let the peer open another one */
    if (!local && ngtcp2_is_bidi_stream(id))
        ngtcp2_conn_extend_max_streams_bidi(conn, 1);
    else if (!local && !credited)
        ngtcp2_conn_extend_max_streams_uni(conn, 1);
    return 0;
}

static int cb_stream_reset(ngtcp2_conn *conn, int64_t id, uint64_t final_size, uint64_t app_error,
                           void *ud, void *sud)
{
    (void)conn;
    (void)id;
    (void)final_size;
    (void)app_error;
    wtconn *c = ud;
    h3stream *s = sud;
    if (s && s == c->peer_control)
        return fail(c, H3_CLOSED_CRITICAL_STREAM, "peer reset its control stream");
    /* a frame abandoned half-way has nothing to deliver */
    if (s && !ngtcp2_is_bidi_stream(id) && !ngtcp2_conn_is_local_stream(conn, id))
        uni_done(c, id, s);
    return 0;
}

static int cb_recv_datagram(ngtcp2_conn *conn, uint32_t flags, const uint8_t *data, size_t len,
                            void *ud)
{
    (void)conn;
    (void)flags;
    wtconn *c = ud;
    uint64_t qid;
    size_t a = vi_get(data, len, &qid);
    /* RFC 9297 §2.1: quarter stream id of the CONNECT stream, then payload */
    if (!a || !c->open || qid * 4 != (uint64_t)c->session_id) {
        c->st.rx_bad++;
        return 0;
    }
    deliver(c, data + a, len - a, true);
    return 0;
}

static int cb_handshake_completed(ngtcp2_conn *conn, void *ud)
{
    (void)conn;
    wtconn *c = ud;
    if (!c->server) {
        /* ALPN is mandatory (GNUTLS_ALPN_MANDATORY); double-check it is h3 */
        gnutls_datum_t p;
        if (gnutls_alpn_get_selected_protocol(c->tls, &p) != 0 || p.size != 2 ||
            memcmp(p.data, "h3", 2) != 0)
            return fail(c, H3_GENERAL_PROTOCOL_ERROR, "server did not choose ALPN h3");
    }
    if (open_control(c) < 0)
        return fail(c, H3_INTERNAL_ERROR, "cannot open the control stream");
    return 0;
}

static void cb_rand(uint8_t *dest, size_t len, const ngtcp2_rand_ctx *rctx)
{
    (void)rctx;
    rand_bytes(dest, len);
}

static int cb_new_cid(ngtcp2_conn *conn, ngtcp2_cid *cid, uint8_t *token, size_t cidlen, void *ud)
{
    (void)conn;
    (void)ud;
    rand_bytes(cid->data, cidlen);
    cid->datalen = cidlen;
    rand_bytes(token, NGTCP2_STATELESS_RESET_TOKENLEN);
    return 0;
}

static int cb_acked(ngtcp2_conn *conn, int64_t id, uint64_t offset, uint64_t datalen, void *ud,
                    void *sud)
{
    (void)conn;
    (void)id;
    (void)offset;
    (void)ud;
    h3stream *s = sud;
    if (!s)
        return 0;
    s->oacked += datalen; /* in order, never overlapping (ngtcp2.h) */
    while (s->ohead && s->ohead != s->osend && s->oacked >= s->ohead->len) {
        ochunk *k = s->ohead;
        s->oacked -= k->len;
        s->oqueued -= k->len;
        s->ohead = k->next;
        if (!s->ohead)
            s->otail = NULL;
        free(k);
    }
    return 0;
}

static int cb_extend_stream_data(ngtcp2_conn *conn, int64_t id, uint64_t max_data, void *ud,
                                 void *sud)
{
    (void)conn;
    (void)id;
    (void)max_data;
    (void)ud;
    h3stream *s = sud;
    if (s)
        s->blocked = false;
    return 0;
}

static void fill_callbacks(ngtcp2_callbacks *cb, bool server)
{
    memset(cb, 0, sizeof(*cb));
    if (server) {
        cb->recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    } else {
        cb->client_initial = ngtcp2_crypto_client_initial_cb;
        cb->recv_retry = ngtcp2_crypto_recv_retry_cb;
    }
    cb->recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb->encrypt = ngtcp2_crypto_encrypt_cb;
    cb->decrypt = ngtcp2_crypto_decrypt_cb;
    cb->hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb->update_key = ngtcp2_crypto_update_key_cb;
    cb->delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb->delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb->get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb->version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb->rand = cb_rand;
    cb->get_new_connection_id = cb_new_cid;
    cb->handshake_completed = cb_handshake_completed;
    cb->recv_stream_data = cb_recv_stream_data;
    cb->stream_close = cb_stream_close;
    cb->stream_reset = cb_stream_reset;
    cb->recv_datagram = cb_recv_datagram;
    cb->extend_max_stream_data = cb_extend_stream_data;
    cb->acked_stream_data_offset = cb_acked;
}

static void fill_params(ngtcp2_transport_params *p, bool server)
{
    ngtcp2_transport_params_default(p);
    p->initial_max_stream_data_bidi_local = 256 * 1024;
    p->initial_max_stream_data_bidi_remote = 256 * 1024;
    p->initial_max_stream_data_uni = 1024 * 1024; /* the frame stream carries bulk TCP */
    p->initial_max_data = 4 * 1024 * 1024;
    /* a client opens one CONNECT stream (a browser may try a few more);
     * uni: control + 2 QPACK streams + one per large frame in flight */
    p->initial_max_streams_bidi = server ? 8 : 0;
    p->initial_max_streams_uni = 256;
    p->max_idle_timeout = IDLE_TIMEOUT;
    p->max_datagram_frame_size = 65535; /* RFC 9221 §3: we take any size */
}

static void debug_log(void *ud, const char *fmt, ...)
{
    (void)ud;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void fill_settings(ngtcp2_settings *s)
{
    ngtcp2_settings_default(s);
    s->initial_ts = now_ts();
    s->handshake_timeout = 10 * NGTCP2_SECONDS; /* half-open connections go away */
    if (getenv("RV_WT_DEBUG"))
        s->log_printf = debug_log; /* ngtcp2's own trace, for interop work */
}

/* TLS 1.3 only, as QUIC requires (RFC 9001 §4.2). */
#define TLS_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:%DISABLE_TLS13_COMPAT_MODE"

static int tls_common(wtconn *c, gnutls_certificate_credentials_t cred, char *err, size_t errlen)
{
    const char *epos;
    gnutls_datum_t alpn = {(unsigned char *)(uintptr_t) "h3", 2};
    if (gnutls_priority_set_direct(c->tls, TLS_PRIORITY, &epos) != 0 ||
        gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, cred) != 0 ||
        gnutls_alpn_set_protocols(c->tls, &alpn, 1, GNUTLS_ALPN_MANDATORY) != 0) {
        snprintf(err, errlen, "TLS session setup failed");
        return -1;
    }
    c->ref.get_conn = get_conn;
    c->ref.user_data = c;
    gnutls_session_set_ptr(c->tls, &c->ref);
    ngtcp2_conn_set_tls_native_handle(c->conn, c->tls);
    return 0;
}

static wtconn *conn_alloc(int fd, const struct sockaddr *local, socklen_t llen,
                          const struct sockaddr *remote, socklen_t rlen, const wtconn_ops *ops,
                          void *ctx)
{
    wtconn *c = calloc(1, sizeof(*c));
    if (!c || llen > sizeof(c->local) || rlen > sizeof(c->remote)) {
        free(c);
        return NULL;
    }
    c->fd = fd;
    memcpy(&c->local, local, llen);
    memcpy(&c->remote, remote, rlen);
    c->llen = llen;
    c->rlen = rlen;
    c->ops = ops;
    c->ctx = ctx;
    c->session_id = -1;
    const nghttp3_mem *mem = nghttp3_mem_default();
    if (nghttp3_qpack_encoder_new(&c->qenc, 0, mem) != 0 ||
        nghttp3_qpack_decoder_new(&c->qdec, 0, 0, mem) != 0) {
        wtc_free(c);
        return NULL;
    }
    return c;
}

static void make_path(wtconn *c, ngtcp2_path *path)
{
    memset(path, 0, sizeof(*path));
    path->local.addr = (struct sockaddr *)&c->local;
    path->local.addrlen = c->llen;
    path->remote.addr = (struct sockaddr *)&c->remote;
    path->remote.addrlen = c->rlen;
}

wtconn *wtc_server_new(int fd, const struct sockaddr *local, socklen_t llen,
                       const struct sockaddr *remote, socklen_t rlen, const uint8_t *pkt,
                       size_t pktlen, gnutls_certificate_credentials_t cred, const wtconn_ops *ops,
                       void *ctx, char *err, size_t errlen)
{
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, pkt, pktlen) != 0) {
        snprintf(err, errlen, "not a client Initial");
        return NULL;
    }
    wtconn *c = conn_alloc(fd, local, llen, remote, rlen, ops, ctx);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->server = true;
    c->odcid = hd.dcid;
    ngtcp2_callbacks cb;
    ngtcp2_settings set;
    ngtcp2_transport_params params;
    fill_callbacks(&cb, true);
    fill_settings(&set);
    fill_params(&params, true);
    params.original_dcid = hd.dcid;
    ngtcp2_cid scid;
    scid.datalen = WT_SCID_LEN;
    rand_bytes(scid.data, scid.datalen);
    ngtcp2_path path;
    make_path(c, &path);
    if (ngtcp2_conn_server_new(&c->conn, &hd.scid, &scid, &path, hd.version, &cb, &set, &params,
                               NULL, c) != 0) {
        snprintf(err, errlen, "ngtcp2_conn_server_new failed");
        wtc_free(c);
        return NULL;
    }
    /* keep-alive from our side too: a browser guest may stay quiet longer
     * than the idle timeout */
    ngtcp2_conn_set_keep_alive_timeout(c->conn, 10 * NGTCP2_SECONDS);
    if (gnutls_init(&c->tls, GNUTLS_SERVER | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
        c->tls = NULL;
        snprintf(err, errlen, "gnutls_init failed");
        wtc_free(c);
        return NULL;
    }
    if (ngtcp2_crypto_gnutls_configure_server_session(c->tls) != 0 ||
        tls_common(c, cred, err, errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "TLS setup failed");
        wtc_free(c);
        return NULL;
    }
    /* the first packet itself */
    if (wtc_read(c, remote, rlen, pkt, pktlen) < 0) {
        snprintf(err, errlen, "%s", c->why[0] ? c->why : "bad first packet");
        wtc_free(c);
        return NULL;
    }
    return c;
}

/* Pins the certificate by hash (the serverCertificateHashes rule of the
 * WebTransport API), instead of a CA chain and host name. */
static int verify_pinned(gnutls_session_t s)
{
    ngtcp2_crypto_conn_ref *ref = gnutls_session_get_ptr(s);
    wtconn *c = ref->user_data;
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    uint8_t h[32];
    if (!certs || n == 0 || gnutls_hash_fast(GNUTLS_DIG_SHA256, certs[0].data, certs[0].size, h))
        return -1;
    if (memcmp(h, c->pin, 32) != 0) {
        set_why(c, "server certificate does not match the pinned sha256");
        return -1;
    }
    return 0;
}

wtconn *wtc_client_new(int fd, const struct sockaddr *local, socklen_t llen,
                       const struct sockaddr *remote, socklen_t rlen, const char *sni,
                       const char *authority, const char *path, const uint8_t *cert_sha256,
                       gnutls_certificate_credentials_t cred, const wtconn_ops *ops, void *ctx,
                       char *err, size_t errlen)
{
    wtconn *c = conn_alloc(fd, local, llen, remote, rlen, ops, ctx);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    c->connected_socket = true;
    snprintf(c->authority, sizeof(c->authority), "%s", authority);
    snprintf(c->path, sizeof(c->path), "%s", path);
    if (cert_sha256) {
        memcpy(c->pin, cert_sha256, 32);
        c->have_pin = true;
    }
    ngtcp2_callbacks cb;
    ngtcp2_settings set;
    ngtcp2_transport_params params;
    fill_callbacks(&cb, false);
    fill_settings(&set);
    fill_params(&params, false);
    ngtcp2_cid dcid, scid;
    dcid.datalen = 18;
    rand_bytes(dcid.data, dcid.datalen);
    scid.datalen = WT_SCID_LEN;
    rand_bytes(scid.data, scid.datalen);
    ngtcp2_path npath;
    make_path(c, &npath);
    if (ngtcp2_conn_client_new(&c->conn, &dcid, &scid, &npath, NGTCP2_PROTO_VER_V1, &cb, &set,
                               &params, NULL, c) != 0) {
        snprintf(err, errlen, "ngtcp2_conn_client_new failed");
        wtc_free(c);
        return NULL;
    }
    /* the server keeps sessions alive by our pings */
    ngtcp2_conn_set_keep_alive_timeout(c->conn, 5 * NGTCP2_SECONDS);
    if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NO_END_OF_EARLY_DATA) != 0) {
        c->tls = NULL;
        snprintf(err, errlen, "gnutls_init failed");
        wtc_free(c);
        return NULL;
    }
    err[0] = 0;
    if (ngtcp2_crypto_gnutls_configure_client_session(c->tls) != 0 ||
        tls_common(c, cred, err, errlen) < 0 ||
        (sni && gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, sni, strlen(sni)) != 0)) {
        if (!err[0])
            snprintf(err, errlen, "TLS setup failed");
        wtc_free(c);
        return NULL;
    }
    if (c->have_pin)
        gnutls_session_set_verify_function(c->tls, verify_pinned);
    else
        gnutls_session_set_verify_cert(c->tls, sni, 0);
    return c;
}

void wtc_free(wtconn *c)
{
    if (!c)
        return;
    while (c->streams)
        stream_free(c, c->streams);
    while (c->txcount) {
        free(c->txq[c->txhead]);
        c->txhead = (c->txhead + 1) % TXQ_FRAMES;
        c->txcount--;
    }
    if (c->conn)
        ngtcp2_conn_del(c->conn);
    if (c->tls)
        gnutls_deinit(c->tls);
    if (c->qenc)
        nghttp3_qpack_encoder_del(c->qenc);
    if (c->qdec)
        nghttp3_qpack_decoder_del(c->qdec);
    free(c);
}

/* ---- output ---- */

static void send_packet(wtconn *c, const ngtcp2_path *path, const uint8_t *p, size_t n)
{
    ssize_t r;
    do {
        if (c->connected_socket)
            r = send(c->fd, p, n, 0);
        else
            r = sendto(c->fd, p, n, 0, path->remote.addr, path->remote.addrlen);
    } while (r < 0 && errno == EINTR);
    /* EAGAIN: the packet is lost, and QUIC's recovery resends what matters */
    if (r < 0 && c->connected_socket && errno == ECONNREFUSED) {
        set_why(c, "connection refused");
        c->dead = true;
    }
}

/* Sends CONNECTION_CLOSE (once) and finishes. */
static void close_with(wtconn *c, const ngtcp2_connection_close_error *ccerr)
{
    if (c->dead)
        return;
    c->dead = true;
    if (ngtcp2_conn_is_in_closing_period(c->conn) || ngtcp2_conn_is_in_draining_period(c->conn))
        return;
    uint8_t buf[PKT_BUF];
    ngtcp2_path_storage ps;
    ngtcp2_path_storage_zero(&ps);
    ngtcp2_pkt_info pi;
    ngtcp2_ssize n = ngtcp2_conn_write_connection_close(c->conn, &ps.path, &pi, buf, sizeof(buf),
                                                        ccerr, now_ts());
    if (n > 0)
        send_packet(c, &ps.path, buf, (size_t)n);
}

void wtc_close(wtconn *c, uint64_t app_error, const char *reason)
{
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    ngtcp2_connection_close_error_set_application_error(&ccerr, app_error, (const uint8_t *)reason,
                                                        reason ? strlen(reason) : 0);
    set_why(c, reason ? reason : "closed");
    close_with(c, &ccerr);
}

static void close_after_error(wtconn *c, int rv)
{
    ngtcp2_connection_close_error ccerr;
    ngtcp2_connection_close_error_default(&ccerr);
    if (c->app_close)
        ngtcp2_connection_close_error_set_application_error(&ccerr, c->app_code, NULL, 0);
    else if (rv == NGTCP2_ERR_CRYPTO)
        ngtcp2_connection_close_error_set_transport_error_tls_alert(
            &ccerr, ngtcp2_conn_get_tls_alert(c->conn), NULL, 0);
    else
        ngtcp2_connection_close_error_set_transport_error_liberr(&ccerr, rv, NULL, 0);
    set_why(c, ngtcp2_strerror(rv));
    close_with(c, &ccerr);
}

size_t wtc_dgram_max(wtconn *c)
{
    if (!c->open)
        return 0;
    const ngtcp2_transport_params *rp = ngtcp2_conn_get_remote_transport_params(c->conn);
    if (!rp || rp->max_datagram_frame_size == 0)
        return 0;
    /* UDP payload minus a short header (1 + 20-byte id + 4-byte packet
     * number), the AEAD tag (16), the DATAGRAM frame type and length (1 + 2)
     * and the quarter stream id */
    size_t udp = ngtcp2_conn_get_path_max_tx_udp_payload_size(c->conn);
    size_t qlen = vi_len((uint64_t)c->session_id / 4);
    size_t room = udp > 44 + qlen ? udp - 44 - qlen : 0;
    size_t peer =
        rp->max_datagram_frame_size > 3 + qlen ? rp->max_datagram_frame_size - 3 - qlen : 0;
    return room < peer ? room : peer;
}

static txframe *txq_peek(wtconn *c)
{
    return c->txcount ? c->txq[c->txhead] : NULL;
}

static void txq_pop(wtconn *c)
{
    txframe *f = c->txq[c->txhead];
    c->txhead = (c->txhead + 1) % TXQ_FRAMES;
    c->txcount--;
    c->txbytes -= f->len;
    free(f);
}

static bool txq_push(wtconn *c, const uint8_t *p, size_t len, bool raw)
{
    if (c->dead || !c->open || c->txcount == TXQ_FRAMES || c->txbytes + len > TXQ_BYTES) {
        c->st.tx_dropped++;
        return false;
    }
    txframe *f = malloc(sizeof(*f) + len);
    if (!f) {
        c->st.tx_dropped++;
        return false;
    }
    f->len = len;
    f->raw = raw;
    memcpy(f->data, p, len);
    c->txq[(c->txhead + c->txcount) % TXQ_FRAMES] = f;
    c->txcount++;
    c->txbytes += len;
    return true;
}

bool wtc_send_frame(wtconn *c, const uint8_t *f, size_t len)
{
    if (len < WT_FRAME_MIN || len > WT_FRAME_MAX) {
        c->st.tx_dropped++;
        return false;
    }
    return txq_push(c, f, len, false);
}

bool wtc_send_raw_datagram(wtconn *c, const uint8_t *p, size_t len)
{
    return txq_push(c, p, len, true);
}

/* A frame too large for a datagram goes on our WebTransport uni stream:
 * opened once (0x54, session id), then each frame as a 2-byte big-endian
 * length and the frame. One stream keeps the large frames in order and
 * costs no stream per frame; small frames keep going as datagrams beside
 * it. false = dropped (no stream credit, or too much unacknowledged). */
static bool frame_to_stream(wtconn *c, const txframe *f)
{
    if (!c->fstream) {
        int64_t id;
        uint8_t hdr[16];
        if (ngtcp2_conn_open_uni_stream(c->conn, &id, NULL) != 0)
            return false;
        h3stream *s = stream_new(c, id, SK_OUT_ONLY);
        uint8_t *p = vi_put(hdr, WT_UNI_STREAM);
        p = vi_put(p, (uint64_t)c->session_id);
        if (!s || stream_queue(s, hdr, (size_t)(p - hdr)) < 0) {
            ngtcp2_conn_shutdown_stream(c->conn, id, H3_INTERNAL_ERROR);
            return false;
        }
        c->fstream = s;
    }
    h3stream *s = c->fstream;
    if (s->oqueued + 2 + f->len > FSTREAM_BYTES)
        return false;
    uint8_t rec[2 + WT_FRAME_MAX];
    rec[0] = (uint8_t)(f->len >> 8);
    rec[1] = (uint8_t)f->len;
    memcpy(rec + 2, f->data, f->len);
    if (stream_queue(s, rec, 2 + f->len) < 0)
        return false;
    c->st.tx_stream++;
    return true;
}

static h3stream *next_out_stream(wtconn *c)
{
    for (h3stream *s = c->streams; s; s = s->next)
        if (stream_pending(s))
            return s;
    return NULL;
}

int wtc_flush(wtconn *c)
{
    if (c->dead)
        return -1;
    if (!c->server && c->peer_settings && !c->connect_sent && send_connect(c) < 0) {
        wtc_close(c, H3_INTERNAL_ERROR, "cannot send CONNECT");
        return -1;
    }
    for (h3stream *s = c->streams; s; s = s->next)
        s->blocked = false; /* retried each flush; ngtcp2 says again if still so */
    ngtcp2_tstamp ts = now_ts();
    size_t dmax = wtc_dgram_max(c);
    uint8_t buf[PKT_BUF];
    int packets = 0;
    c->more = false;
    for (;;) {
        if (packets == PACKETS_PER_FLUSH) {
            c->more = true;
            break;
        }
        ngtcp2_path_storage ps;
        ngtcp2_path_storage_zero(&ps);
        ngtcp2_pkt_info pi;
        ngtcp2_ssize n;
        txframe *f = c->open ? txq_peek(c) : NULL;
        size_t qlen = f ? vi_len((uint64_t)c->session_id / 4) : 0;
        if (f && !f->raw && f->len > dmax) {
            if (!frame_to_stream(c, f))
                c->st.tx_dropped++;
            txq_pop(c);
            continue;
        }
        if (f && f->raw && f->len > dmax + qlen) {
            c->st.tx_dropped++;
            txq_pop(c);
            continue;
        }
        if (f) {
            uint8_t hdr[8];
            vi_put(hdr, (uint64_t)c->session_id / 4);
            ngtcp2_vec v[2] = {{hdr, qlen}, {f->data, f->len}};
            int accepted = 0;
            n = ngtcp2_conn_writev_datagram(c->conn, &ps.path, &pi, buf, sizeof(buf), &accepted,
                                            NGTCP2_WRITE_DATAGRAM_FLAG_NONE, 0, f->raw ? v + 1 : v,
                                            f->raw ? (f->len ? 1 : 0) : 2, ts);
            if (n == NGTCP2_ERR_INVALID_ARGUMENT || n == NGTCP2_ERR_INVALID_STATE) {
                c->st.tx_dropped++; /* too large for the peer, or it takes none */
                txq_pop(c);
                continue;
            }
            if (n >= 0 && accepted) {
                if (!f->raw)
                    c->st.tx_dgram++;
                txq_pop(c);
            }
        } else {
            h3stream *s = next_out_stream(c);
            ngtcp2_ssize taken = -1;
            if (s) {
                ngtcp2_vec v[8];
                size_t nv = 0;
                size_t off = s->osend_off;
                ochunk *k = s->osend;
                for (; k && nv < 8; k = k->next, off = 0)
                    v[nv++] = (ngtcp2_vec){k->data + off, k->len - off};
                bool all = !k; /* the vector reaches the end of the queue */
                uint32_t fl = s->outfin && all ? NGTCP2_WRITE_STREAM_FLAG_FIN : 0;
                n = ngtcp2_conn_writev_stream(c->conn, &ps.path, &pi, buf, sizeof(buf), &taken, fl,
                                              s->id, v, nv, ts);
                if (n == NGTCP2_ERR_STREAM_DATA_BLOCKED || n == NGTCP2_ERR_STREAM_SHUT_WR ||
                    n == NGTCP2_ERR_STREAM_NOT_FOUND) {
                    s->blocked = true;
                    if (n != NGTCP2_ERR_STREAM_DATA_BLOCKED && s == c->fstream)
                        c->fstream = NULL; /* the peer stopped it: the next frame opens another */
                    continue;
                }
                if (n >= 0 && taken >= 0) {
                    size_t t = (size_t)taken;
                    while (t && s->osend) {
                        size_t left = s->osend->len - s->osend_off;
                        size_t step = t < left ? t : left;
                        s->osend_off += step;
                        t -= step;
                        if (s->osend_off == s->osend->len) {
                            s->osend = s->osend->next;
                            s->osend_off = 0;
                        }
                    }
                    if (fl && !s->osend)
                        s->fin_sent = true;
                }
            } else {
                n = ngtcp2_conn_write_pkt(c->conn, &ps.path, &pi, buf, sizeof(buf), ts);
            }
        }
        if (n < 0) {
            close_after_error(c, (int)n);
            return -1;
        }
        if (n == 0) {
            /* congestion window or pacing: wait for ACKs or the timer;
             * the bounded queue drops what does not fit meanwhile */
            c->cwnd_blocked = c->txcount || next_out_stream(c);
            break;
        }
        send_packet(c, &ps.path, buf, (size_t)n);
        if (c->dead)
            return -1;
        packets++;
    }
    ngtcp2_conn_update_pkt_tx_time(c->conn, ts);
    return 0;
}

/* ---- input and timers ---- */

int wtc_read(wtconn *c, const struct sockaddr *remote, socklen_t rlen, const uint8_t *pkt,
             size_t len)
{
    if (c->dead)
        return -1;
    struct sockaddr_storage from;
    if (rlen > sizeof(from))
        return 0;
    memcpy(&from, remote, rlen);
    ngtcp2_path path;
    make_path(c, &path);
    path.remote.addr = (struct sockaddr *)&from;
    path.remote.addrlen = rlen;
    ngtcp2_pkt_info pi;
    memset(&pi, 0, sizeof(pi));
    c->cwnd_blocked = false; /* maybe ACKs */
    int rv = ngtcp2_conn_read_pkt(c->conn, &path, &pi, pkt, len, now_ts());
    if (rv == 0)
        return 0;
    if (rv == NGTCP2_ERR_DRAINING) {
        set_why(c, "closed by peer");
        c->dead = true; /* the peer closed: nothing more may be sent */
        return -1;
    }
    if (rv == NGTCP2_ERR_DROP_CONN || rv == NGTCP2_ERR_RETRY) {
        set_why(c, "dropped");
        c->dead = true;
        return -1;
    }
    if (c->have_pin && rv == NGTCP2_ERR_CRYPTO && !c->why[0])
        set_why(c, "TLS handshake failed");
    close_after_error(c, rv);
    return -1;
}

int wtc_timeout_ms(wtconn *c)
{
    if (c->dead)
        return 0;
    if (!c->cwnd_blocked && (c->more || (c->open && c->txcount) || next_out_stream(c)))
        return 0;
    ngtcp2_tstamp exp = ngtcp2_conn_get_expiry(c->conn);
    if (exp == UINT64_MAX)
        return -1;
    ngtcp2_tstamp now = now_ts();
    if (exp <= now)
        return 0;
    uint64_t ms = (exp - now + NGTCP2_MILLISECONDS - 1) / NGTCP2_MILLISECONDS;
    return ms > 60000 ? 60000 : (int)ms;
}

int wtc_expire(wtconn *c)
{
    if (c->dead)
        return -1;
    ngtcp2_tstamp now = now_ts();
    c->cwnd_blocked = false;
    if (ngtcp2_conn_get_expiry(c->conn) <= now) {
        int rv = ngtcp2_conn_handle_expiry(c->conn, now);
        if (rv == NGTCP2_ERR_IDLE_CLOSE) {
            set_why(c, "idle timeout");
            c->dead = true; /* the peer is gone: close silently (RFC 9000 §10.1) */
            return -1;
        }
        if (rv != 0) {
            close_after_error(c, rv);
            return -1;
        }
    }
    return wtc_flush(c);
}

/* ---- queries ---- */

bool wtc_owns_dcid(wtconn *c, const uint8_t *dcid, size_t dcidlen)
{
    if (c->server && c->odcid.datalen == dcidlen && memcmp(c->odcid.data, dcid, dcidlen) == 0)
        return true;
    ngtcp2_cid few[16], *ids = few;
    size_t n = ngtcp2_conn_get_num_scid(c->conn);
    if (n > 16 && !(ids = malloc(n * sizeof(*ids))))
        return false;
    n = n ? ngtcp2_conn_get_scid(c->conn, ids) : 0;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = ids[i].datalen == dcidlen && memcmp(ids[i].data, dcid, dcidlen) == 0;
    if (ids != few)
        free(ids);
    return found;
}

bool wtc_is_open(const wtconn *c)
{
    return c->open && !c->dead;
}

bool wtc_is_dead(const wtconn *c)
{
    return c->dead;
}

const char *wtc_why(const wtconn *c)
{
    return c->why;
}

void wtc_get_stats(const wtconn *c, wtconn_stats *st)
{
    *st = c->st;
}

/* ---- credentials ---- */

gnutls_certificate_credentials_t wtc_server_cred(const char *cert, const char *key, char *err,
                                                 size_t errlen)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int r = gnutls_certificate_set_x509_key_file(cred, cert, key, GNUTLS_X509_FMT_PEM);
    if (r < 0) {
        snprintf(err, errlen, "%s / %s: %s", cert, key, gnutls_strerror(r));
        gnutls_certificate_free_credentials(cred);
        return NULL;
    }
    return cred;
}

gnutls_certificate_credentials_t wtc_client_cred(char *err, size_t errlen)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) != 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    gnutls_certificate_set_x509_system_trust(cred); /* none found is fine with a pin */
    return cred;
}
