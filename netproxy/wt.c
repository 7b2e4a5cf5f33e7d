/* netproxy's WebTransport listener (see wt.h): one UDP socket, QUIC
 * connections demultiplexed by destination connection id, each accepted
 * session a switch port on the segment named by its :path. */
#define _GNU_SOURCE
#include "wt.h"

/* Without Debian's QUIC libraries netproxy still builds (wt.mk links this
 * file always) and --wt-listen says what is missing. */
#if defined(__has_include)
#if __has_include(<ngtcp2/ngtcp2_crypto_gnutls.h>) && __has_include(<nghttp3/nghttp3.h>)
#define WT_AVAILABLE 1
#endif
#endif

#ifdef WT_AVAILABLE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netdb.h>
#include <ngtcp2/ngtcp2.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "h3.h"

#define READS_PER_SERVICE 256

typedef struct wtsess wtsess;

struct wtsess {
    wt_server *w;
    wtconn *c;
    port port;
    bool joined;
    char peer[64], path[PATH_MAX_LEN];
    int64_t since_ms;
    wtsess *next;
};

struct wt_server {
    switchboard *sb;
    int fd;
    struct sockaddr_storage local;
    socklen_t llen;
    gnutls_certificate_credentials_t cred;
    wt_log_fn log;
    wtsess *sessions;
    int nsess, max_sess;
    uint64_t connects, rejects, bad_packets;
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void addr_str(const struct sockaddr *sa, char *out, size_t n)
{
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, n, "%s:%d", host, port);
}

/* ---- sessions as switch ports ---- */

static void port_send(port *p, const uint8_t *f, size_t len)
{
    wtsess *s = p->opaque;
    wtc_send_frame(s->c, f, len); /* only queues; a full queue drops and counts */
}

static bool on_accept(void *ctx, wtconn *c, const char *path)
{
    (void)c;
    wtsess *s = ctx;
    segment *g = seg_get(s->w->sb, path);
    s->port.send = port_send;
    s->port.opaque = s;
    if (!g || seg_add_port(g, &s->port) < 0) {
        if (g)
            seg_remove_port(s->w->sb, &s->port); /* frees an empty segment */
        return false;
    }
    s->joined = true;
    snprintf(s->path, sizeof(s->path), "%s", path);
    s->w->connects++;
    s->w->log("wt connect %s %s: segment ports=%d sessions=%d", path, s->peer, seg_nports(g),
              s->w->nsess);
    return true;
}

static void on_frame(void *ctx, wtconn *c, const uint8_t *f, size_t len)
{
    (void)c;
    wtsess *s = ctx;
    if (s->joined)
        seg_forward(s->port.seg, &s->port, f, len);
}

static const wtconn_ops server_ops = {.accept = on_accept, .opened = NULL, .frame = on_frame};

static void sess_free(wt_server *w, wtsess *s)
{
    for (wtsess **pp = &w->sessions; *pp; pp = &(*pp)->next)
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    w->nsess--;
    if (s->joined) {
        seg_remove_port(w->sb, &s->port);
        wtconn_stats st;
        wtc_get_stats(s->c, &st);
        w->log("wt disconnect %s %s: %.1fs rx=%llu+%llu tx=%llu+%llu bad=%llu txdrop=%llu (%s) "
               "sessions=%d",
               s->path, s->peer, (double)(now_ms() - s->since_ms) / 1000.0,
               (unsigned long long)st.rx_dgram, (unsigned long long)st.rx_stream,
               (unsigned long long)st.tx_dgram, (unsigned long long)st.tx_stream,
               (unsigned long long)st.rx_bad, (unsigned long long)st.tx_dropped,
               wtc_why(s->c)[0] ? wtc_why(s->c) : "closed", w->nsess);
    }
    wtc_free(s->c);
    free(s);
}

static void reap(wt_server *w)
{
    wtsess *s = w->sessions;
    while (s) {
        wtsess *next = s->next;
        if (wtc_is_dead(s->c))
            sess_free(w, s);
        s = next;
    }
}

/* ---- packets ---- */

static void new_conn(wt_server *w, const struct sockaddr *from, socklen_t flen, const uint8_t *pkt,
                     size_t n)
{
    ngtcp2_pkt_hd hd;
    if (ngtcp2_accept(&hd, pkt, n) != 0) {
        w->bad_packets++; /* not an Initial: stray, late or garbage */
        return;
    }
    if (w->nsess >= w->max_sess) {
        w->rejects++;
        return;
    }
    wtsess *s = calloc(1, sizeof(*s));
    if (!s)
        return;
    s->w = w;
    s->since_ms = now_ms();
    addr_str(from, s->peer, sizeof(s->peer));
    char err[160] = "";
    s->c = wtc_server_new(w->fd, (struct sockaddr *)&w->local, w->llen, from, flen, pkt, n, w->cred,
                          &server_ops, s, err, sizeof(err));
    if (!s->c) {
        w->bad_packets++;
        free(s);
        return;
    }
    s->next = w->sessions;
    w->sessions = s;
    w->nsess++;
}

static void on_packet(wt_server *w, const struct sockaddr *from, socklen_t flen, const uint8_t *pkt,
                      size_t n)
{
    ngtcp2_version_cid vc;
    /* (ngtcp2 asserts on an empty packet: check first) */
    if (n == 0 || ngtcp2_pkt_decode_version_cid(&vc, pkt, n, WT_SCID_LEN) != 0) {
        w->bad_packets++; /* garbage, or a version we do not speak */
        return;
    }
    for (wtsess *s = w->sessions; s; s = s->next)
        if (!wtc_is_dead(s->c) && wtc_owns_dcid(s->c, vc.dcid, vc.dcidlen)) {
            wtc_read(s->c, from, flen, pkt, n);
            return;
        }
    new_conn(w, from, flen, pkt, n);
}

int wt_server_pollfds(wt_server *w, struct pollfd *fds, int max, int *timeout_ms)
{
    for (wtsess *s = w->sessions; s; s = s->next) {
        wtc_flush(s->c);
        int t = wtc_timeout_ms(s->c);
        if (t >= 0 && (*timeout_ms < 0 || t < *timeout_ms))
            *timeout_ms = t;
    }
    reap(w);
    if (max < 1)
        return 0;
    fds[0] = (struct pollfd){.fd = w->fd, .events = POLLIN};
    return 1;
}

void wt_server_service(wt_server *w, const struct pollfd *fds, int nfds)
{
    if (nfds >= 1 && (fds[0].revents & POLLIN)) {
        uint8_t buf[65536];
        for (int i = 0; i < READS_PER_SERVICE; i++) {
            struct sockaddr_storage from;
            socklen_t flen = sizeof(from);
            ssize_t n = recvfrom(w->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
            if (n < 0)
                break;
            on_packet(w, (struct sockaddr *)&from, flen, buf, (size_t)n);
        }
    }
    for (wtsess *s = w->sessions; s; s = s->next)
        if (!wtc_is_dead(s->c) && wtc_timeout_ms(s->c) == 0)
            wtc_expire(s->c);
    for (wtsess *s = w->sessions; s; s = s->next)
        wtc_flush(s->c);
    reap(w);
}

/* ---- setup ---- */

wt_server *wt_server_new(switchboard *sb, const char *listen, const char *cert, const char *key,
                         int max_sessions, wt_log_fn log, char *err, size_t errlen)
{
    char host[256] = "";
    const char *colon = strrchr(listen, ':');
    if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
        snprintf(err, errlen, "--wt-listen wants HOST:PORT");
        return NULL;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = 0;
    if (host[0] == '[' && host[strlen(host) - 1] == ']') { /* [v6]:port */
        memmove(host, host + 1, strlen(host));
        host[strlen(host) - 1] = 0;
    }
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    bool any = !host[0] || strcmp(host, "*") == 0;
    int r = getaddrinfo(any ? NULL : host, colon + 1, &hints, &ai);
    if (r != 0) {
        snprintf(err, errlen, "--wt-listen %s: %s", listen, gai_strerror(r));
        return NULL;
    }
    wt_server *w = calloc(1, sizeof(*w));
    if (!w) {
        freeaddrinfo(ai);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->sb = sb;
    w->log = log;
    w->max_sess = max_sessions;
    w->fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (w->fd < 0 || bind(w->fd, ai->ai_addr, ai->ai_addrlen) < 0) {
        snprintf(err, errlen, "--wt-listen %s: %s", listen, strerror(errno));
        freeaddrinfo(ai);
        if (w->fd >= 0)
            close(w->fd);
        free(w);
        return NULL;
    }
    freeaddrinfo(ai);
    w->llen = sizeof(w->local);
    getsockname(w->fd, (struct sockaddr *)&w->local, &w->llen);
    int big = 4 << 20; /* room for bursts of small packets (FORCE: beyond rmem_max as root) */
    if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
        setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    setsockopt(w->fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    w->cred = wtc_server_cred(cert, key, err, errlen);
    if (!w->cred) {
        close(w->fd);
        free(w);
        return NULL;
    }
    return w;
}

int wt_server_port(const wt_server *w)
{
    const struct sockaddr *sa = (const struct sockaddr *)&w->local;
    if (sa->sa_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->sa_family == AF_INET6)
        return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return -1;
}

int wt_server_sessions(const wt_server *w)
{
    return w->nsess;
}

void wt_server_free(wt_server *w)
{
    if (!w)
        return;
    for (wtsess *s = w->sessions; s; s = s->next)
        if (!wtc_is_dead(s->c))
            wtc_close(s->c, H3_NO_ERROR, "netproxy shutting down");
    while (w->sessions)
        sess_free(w, w->sessions);
    w->log("wt totals: sessions=%llu rejected=%llu bad-packets=%llu",
           (unsigned long long)w->connects, (unsigned long long)w->rejects,
           (unsigned long long)w->bad_packets);
    gnutls_certificate_free_credentials(w->cred);
    close(w->fd);
    free(w);
}

/* ---- certificate for serverCertificateHashes ---- */

static int write_file(const char *path, const void *p, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    bool ok = write(fd, p, n) == (ssize_t)n;
    return close(fd) == 0 && ok ? 0 : -1;
}

int wt_cert_gen(const char *dir, int days, FILE *out, char *err, size_t errlen)
{
    if (days < 1 || days > 14) {
        snprintf(err, errlen, "certificate lifetime must be 1..14 days (Chromium's limit)");
        return -1;
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t pem = {NULL, 0}, der = {NULL, 0}, kpem = {NULL, 0};
    int rc = -1, r;
    const char *step = "key";
    uint8_t serial[16];
    time_t now = time(NULL);
    /* Back-dated a minute for clock skew; the whole span stays within
     * `days` (Chromium checks notAfter - notBefore <= 14 days). */
    time_t from = now - 60, until = from + (time_t)days * 86400;
    gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial));
    serial[0] &= 0x7f; /* a positive INTEGER */
    static const uint8_t v4[4] = {127, 0, 0, 1};
    static const uint8_t v6[16] = {[15] = 1};
    if ((r = gnutls_x509_privkey_init(&key)) < 0 ||
        (r = gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                          GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0)) < 0)
        goto out;
    step = "certificate";
    if ((r = gnutls_x509_crt_init(&crt)) < 0 || (r = gnutls_x509_crt_set_version(crt, 3)) < 0 ||
        (r = gnutls_x509_crt_set_serial(crt, serial, sizeof(serial))) < 0 ||
        (r = gnutls_x509_crt_set_activation_time(crt, from)) < 0 ||
        (r = gnutls_x509_crt_set_expiration_time(crt, until)) < 0 ||
        (r = gnutls_x509_crt_set_dn(crt, "CN=riscv-vm netproxy", NULL)) < 0 ||
        (r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                                  GNUTLS_FSAN_APPEND)) < 0 ||
        (r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v4, 4,
                                                  GNUTLS_FSAN_APPEND)) < 0 ||
        (r = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, v6, 16,
                                                  GNUTLS_FSAN_APPEND)) < 0 ||
        (r = gnutls_x509_crt_set_key(crt, key)) < 0 ||
        (r = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
        (r = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0 ||
        (r = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0 ||
        (r = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0)) < 0 ||
        (r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem)) < 0 ||
        (r = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der)) < 0 ||
        (r = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN,
                                               &kpem)) < 0)
        goto out;
    uint8_t h[32];
    step = "hash";
    if ((r = gnutls_hash_fast(GNUTLS_DIG_SHA256, der.data, der.size, h)) < 0)
        goto out;
    char hex[65], b64[64];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", h[i]);
    gnutls_datum_t hd = {h, 32}, bd = {NULL, 0};
    if ((r = gnutls_base64_encode2(&hd, &bd)) < 0)
        goto out;
    snprintf(b64, sizeof(b64), "%.*s", (int)bd.size, (char *)bd.data);
    gnutls_free(bd.data);

    char path[4096], hashline[80];
    snprintf(hashline, sizeof(hashline), "%s\n", hex);
    const char *names[3] = {"key.pem", "cert.pem", "cert.sha256"};
    const gnutls_datum_t *data[2] = {&kpem, &pem};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        const void *p = i < 2 ? (const void *)data[i]->data : (const void *)hashline;
        size_t n = i < 2 ? data[i]->size : strlen(hashline);
        if (write_file(path, p, n, i == 0 ? 0600 : 0644) < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            goto out_quiet;
        }
    }
    char until_s[32];
    struct tm tm;
    gmtime_r(&until, &tm);
    strftime(until_s, sizeof(until_s), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(out,
            "certificate: %s/cert.pem\n"
            "key: %s/key.pem\n"
            "ECDSA P-256, valid until %s\n"
            "sha256-hex: %s\n"
            "sha256-base64: %s\n",
            dir, dir, until_s, hex, b64);
    rc = 0;
    goto out_quiet;
out:
    snprintf(err, errlen, "%s: %s", step, gnutls_strerror(r));
out_quiet:
    gnutls_free(pem.data);
    gnutls_free(der.data);
    gnutls_free(kpem.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}

#else /* !WT_AVAILABLE */

#define WT_MISSING                                                                                 \
    "WebTransport needs libngtcp2-dev, libngtcp2-crypto-gnutls-dev, libnghttp3-dev and "           \
    "libgnutls28-dev (make deps)"

wt_server *wt_server_new(switchboard *sb, const char *listen, const char *cert, const char *key,
                         int max_sessions, wt_log_fn log, char *err, size_t errlen)
{
    (void)sb;
    (void)listen;
    (void)cert;
    (void)key;
    (void)max_sessions;
    (void)log;
    snprintf(err, errlen, "%s", WT_MISSING);
    return NULL;
}

int wt_server_port(const wt_server *w)
{
    (void)w;
    return -1;
}

int wt_server_sessions(const wt_server *w)
{
    (void)w;
    return 0;
}

int wt_server_pollfds(wt_server *w, struct pollfd *fds, int max, int *timeout_ms)
{
    (void)w;
    (void)fds;
    (void)max;
    (void)timeout_ms;
    return 0;
}

void wt_server_service(wt_server *w, const struct pollfd *fds, int nfds)
{
    (void)w;
    (void)fds;
    (void)nfds;
}

void wt_server_free(wt_server *w)
{
    (void)w;
}

int wt_cert_gen(const char *dir, int days, FILE *out, char *err, size_t errlen)
{
    (void)dir;
    (void)days;
    (void)out;
    snprintf(err, errlen, "%s", WT_MISSING);
    return -1;
}

#endif
