/* WebTransport client transport (see net_wt.h). */
#define _GNU_SOURCE
#include "net_wt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef RV_HAVE_WT

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../netproxy/h3.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000
#define READS_PER_SERVICE 64

struct nbwt {
    char url[512], host[256], authority[300], path[512], portstr[8];
    uint8_t pin[32];
    bool have_pin, sni;
    gnutls_certificate_credentials_t cred;
    int fd;
    wtconn *c;
    bool up, reported_down;
    int64_t next_attempt_ms;
    int backoff_ms;
    nbwt_deliver_fn deliver;
    void *ctx;
    uint64_t bad, connects;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note(const nbwt *w, const char *msg)
{
    /* The console may be a raw-mode terminal: end lines with CR LF there. */
    fprintf(stderr, "riscv-vm: net: %s: %s%s", w->url, msg, isatty(STDERR_FILENO) ? "\r\n" : "\n");
}

static void on_opened(void *ctx, wtconn *c)
{
    (void)c;
    nbwt *w = ctx;
    w->up = true;
    w->backoff_ms = BACKOFF_MIN_MS;
    if (w->connects++ > 0 || w->reported_down)
        note(w, "link up");
    w->reported_down = false;
}

static void on_frame(void *ctx, wtconn *c, const uint8_t *f, size_t len)
{
    (void)c;
    nbwt *w = ctx;
    w->deliver(w->ctx, f, len);
}

static const wtconn_ops client_ops = {.accept = NULL, .opened = on_opened, .frame = on_frame};

static void drop_conn(nbwt *w)
{
    if (w->c) {
        wtconn_stats st;
        wtc_get_stats(w->c, &st);
        w->bad += st.rx_bad;
        wtc_free(w->c);
        w->c = NULL;
    }
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
}

static void went_down(nbwt *w, const char *reason)
{
    char why[160]; /* reason may live in the connection freed below */
    snprintf(why, sizeof(why), "%s", reason && *reason ? reason : "closed");
    bool was_up = w->up;
    w->up = false;
    drop_conn(w);
    if (was_up)
        w->backoff_ms = BACKOFF_MIN_MS;
    w->next_attempt_ms = now_ms() + w->backoff_ms;
    if (was_up || !w->reported_down) {
        char msg[200];
        snprintf(msg, sizeof(msg), "link down (%s), reconnecting", why);
        note(w, msg);
        w->reported_down = true;
    }
    w->backoff_ms = w->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : w->backoff_ms * 2;
}

static void connect_now(nbwt *w)
{
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICSERV;
    int r = getaddrinfo(w->host, w->portstr, &hints, &ai);
    if (r != 0) {
        went_down(w, gai_strerror(r));
        return;
    }
    w->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->fd < 0 || connect(w->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        freeaddrinfo(ai);
        went_down(w, strerror(errno));
        return;
    }
    int big = 1 << 20; /* a burst of datagrams while the VM runs a slice */
    setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    struct sockaddr_storage local;
    socklen_t llen = sizeof(local);
    getsockname(w->fd, (struct sockaddr *)&local, &llen);
    char err[160] = "";
    w->c = wtc_client_new(w->fd, (struct sockaddr *)&local, llen, ai->ai_addr, ai->ai_addrlen,
                          w->sni ? w->host : NULL, w->authority, w->path,
                          w->have_pin ? w->pin : NULL, w->cred, &client_ops, w, err, sizeof(err));
    freeaddrinfo(ai);
    if (!w->c) {
        went_down(w, err);
        return;
    }
    w->next_attempt_ms = INT64_MAX;
    if (wtc_flush(w->c) < 0)
        went_down(w, wtc_why(w->c));
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* 64 hex digits (colons allowed, as browsers print fingerprints) or the
 * base64 of the 32 bytes. */
static int parse_hash(const char *s, uint8_t out[32])
{
    char hex[65];
    size_t n = 0;
    for (const char *p = s; *p && n < 65; p++)
        if (*p != ':')
            hex[n++] = *p;
    if (n == 64) {
        bool ok = true;
        for (int i = 0; i < 32 && ok; i++) {
            int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
            ok = hi >= 0 && lo >= 0;
            out[i] = (uint8_t)(hi << 4 | lo);
        }
        if (ok)
            return 0;
    }
    gnutls_datum_t in = {(unsigned char *)(uintptr_t)s, (unsigned)strlen(s)}, raw = {NULL, 0};
    if (gnutls_base64_decode2(&in, &raw) < 0)
        return -1;
    int rc = raw.size == 32 ? 0 : -1;
    if (rc == 0)
        memcpy(out, raw.data, 32);
    gnutls_free(raw.data);
    return rc;
}

/* https://HOST[:PORT][/PATH][#sha256=HASH]; HOST may be [v6]. */
static int parse_url(nbwt *w, const char *url, char *err, size_t errlen)
{
    if (strncmp(url, "https://", 8) != 0) {
        snprintf(err, errlen, "--net-wt: '%s' is not an https:// URL", url);
        return -1;
    }
    const char *h = url + 8;
    const char *frag = strchr(h, '#');
    const char *end = frag ? frag : h + strlen(h);
    const char *slash = memchr(h, '/', (size_t)(end - h));
    const char *hostend = slash ? slash : end;
    const char *port = NULL;
    size_t hl;
    if (*h == '[') {
        const char *rb = memchr(h, ']', (size_t)(hostend - h));
        if (!rb)
            goto bad;
        hl = (size_t)(rb - h - 1);
        if (hl >= sizeof(w->host))
            goto bad;
        memcpy(w->host, h + 1, hl);
        if (rb + 1 < hostend && rb[1] == ':')
            port = rb + 2;
    } else {
        const char *colon = memchr(h, ':', (size_t)(hostend - h));
        hl = (size_t)((colon ? colon : hostend) - h);
        if (hl >= sizeof(w->host))
            goto bad;
        memcpy(w->host, h, hl);
        if (colon)
            port = colon + 1;
    }
    w->host[hl] = 0;
    if (!w->host[0])
        goto bad;
    long pn = 443;
    if (port) {
        char *pe;
        pn = strtol(port, &pe, 10);
        if (pe != hostend || pn < 1 || pn > 65535)
            goto bad;
    }
    snprintf(w->portstr, sizeof(w->portstr), "%ld", pn);
    size_t pl = slash ? (size_t)(end - slash) : 1;
    if (pl >= sizeof(w->path))
        goto bad;
    if (slash)
        memcpy(w->path, slash, pl);
    else
        w->path[0] = '/';
    w->path[pl] = 0;
    snprintf(w->authority, sizeof(w->authority), "%.*s", (int)(hostend - h), h);
    /* an address literal is no name to check or to send as SNI */
    unsigned char tmp[16];
    w->sni = inet_pton(AF_INET, w->host, tmp) != 1 && inet_pton(AF_INET6, w->host, tmp) != 1;
    if (frag) {
        if (strncmp(frag, "#sha256=", 8) != 0 || parse_hash(frag + 8, w->pin) < 0) {
            snprintf(err, errlen,
                     "--net-wt: the fragment must be #sha256=HASH (64 hex digits or base64)");
            return -1;
        }
        w->have_pin = true;
    }
    return 0;
bad:
    snprintf(err, errlen, "--net-wt: bad URL '%s' (https://HOST:PORT/PATH[#sha256=HASH])", url);
    return -1;
}

nbwt *nbwt_open(const char *url, nbwt_deliver_fn deliver, void *ctx, char *err, size_t errlen)
{
    nbwt *w = calloc(1, sizeof(*w));
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->fd = -1;
    snprintf(w->url, sizeof(w->url), "%s", url);
    char *hash = strchr(w->url, '#');
    if (hash)
        *hash = 0; /* keep the pin out of log lines */
    if (parse_url(w, url, err, errlen) < 0) {
        free(w);
        return NULL;
    }
    if (!w->have_pin && !w->sni) {
        snprintf(err, errlen, "--net-wt: an address needs #sha256=HASH (no name to verify)");
        free(w);
        return NULL;
    }
    w->cred = wtc_client_cred(err, errlen);
    if (!w->cred) {
        free(w);
        return NULL;
    }
    w->deliver = deliver;
    w->ctx = ctx;
    w->backoff_ms = BACKOFF_MIN_MS;
    connect_now(w);
    return w;
}

void nbwt_close(nbwt *w)
{
    if (!w)
        return;
    if (w->c && !wtc_is_dead(w->c))
        wtc_close(w->c, H3_NO_ERROR, "bye");
    drop_conn(w);
    gnutls_certificate_free_credentials(w->cred);
    free(w);
}

bool nbwt_up(const nbwt *w)
{
    return w->up;
}

bool nbwt_send(nbwt *w, const uint8_t *frame, size_t len)
{
    return w->up && w->c && wtc_send_frame(w->c, frame, len);
}

bool nbwt_send_raw_datagram(nbwt *w, const uint8_t *p, size_t len)
{
    return w->up && w->c && wtc_send_raw_datagram(w->c, p, len);
}

int nbwt_pollfds(nbwt *w, struct pollfd *fds, int max, int *timeout_ms)
{
    int t;
    if (w->c) {
        if (wtc_flush(w->c) < 0) {
            went_down(w, wtc_why(w->c));
            return nbwt_pollfds(w, fds, max, timeout_ms);
        }
        t = wtc_timeout_ms(w->c);
    } else {
        int64_t d = w->next_attempt_ms - now_ms();
        t = d < 0 ? 0 : d > 60000 ? 60000 : (int)d;
    }
    if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
        *timeout_ms = t;
    if (!w->c || max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = w->fd, .events = POLLIN};
    return 1;
}

void nbwt_service(nbwt *w, const struct pollfd *fds, int nfds)
{
    if (!w->c) {
        if (now_ms() >= w->next_attempt_ms)
            connect_now(w);
        return;
    }
    if (nfds >= 1 && fds[0].fd == w->fd && (fds[0].revents & (POLLIN | POLLERR))) {
        uint8_t buf[65536];
        struct sockaddr_storage from;
        for (int i = 0; i < READS_PER_SERVICE; i++) {
            socklen_t flen = sizeof(from);
            ssize_t n = recvfrom(w->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
            if (n < 0) {
                if (errno == ECONNREFUSED) { /* ICMP port unreachable: nobody there */
                    went_down(w, "connection refused");
                    return;
                }
                break;
            }
            if (wtc_read(w->c, (struct sockaddr *)&from, flen, buf, (size_t)n) < 0)
                break;
        }
    }
    if (!wtc_is_dead(w->c) && wtc_timeout_ms(w->c) == 0)
        wtc_expire(w->c);
    if (!wtc_is_dead(w->c))
        wtc_flush(w->c);
    if (wtc_is_dead(w->c))
        went_down(w, wtc_why(w->c));
}

uint64_t nbwt_bad(const nbwt *w)
{
    uint64_t b = w->bad;
    if (w->c) {
        wtconn_stats st;
        wtc_get_stats(w->c, &st);
        b += st.rx_bad;
    }
    return b;
}

uint64_t nbwt_reconnects(const nbwt *w)
{
    return w->connects > 1 ? w->connects - 1 : 0;
}

#else /* !RV_HAVE_WT */

nbwt *nbwt_open(const char *url, nbwt_deliver_fn deliver, void *ctx, char *err, size_t errlen)
{
    (void)url;
    (void)deliver;
    (void)ctx;
    snprintf(err, errlen,
             "--net-wt: built without WebTransport (needs libngtcp2-dev, "
             "libngtcp2-crypto-gnutls-dev, libnghttp3-dev, libgnutls28-dev: make deps)");
    return NULL;
}

void nbwt_close(nbwt *w)
{
    (void)w;
}

bool nbwt_up(const nbwt *w)
{
    (void)w;
    return false;
}

bool nbwt_send(nbwt *w, const uint8_t *frame, size_t len)
{
    (void)w;
    (void)frame;
    (void)len;
    return false;
}

bool nbwt_send_raw_datagram(nbwt *w, const uint8_t *p, size_t len)
{
    (void)w;
    (void)p;
    (void)len;
    return false;
}

int nbwt_pollfds(nbwt *w, struct pollfd *fds, int max, int *timeout_ms)
{
    (void)w;
    (void)fds;
    (void)max;
    (void)timeout_ms;
    return 0;
}

void nbwt_service(nbwt *w, const struct pollfd *fds, int nfds)
{
    (void)w;
    (void)fds;
    (void)nfds;
}

uint64_t nbwt_bad(const nbwt *w)
{
    (void)w;
    return 0;
}

uint64_t nbwt_reconnects(const nbwt *w)
{
    (void)w;
    return 0;
}

#endif
