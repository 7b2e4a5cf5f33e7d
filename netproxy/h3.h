/* One WebTransport session over one QUIC connection, both roles: the thin
 * HTTP/3 layer that Debian's nghttp3 0.8 cannot provide (it cannot send the
 * H3_DATAGRAM and WebTransport SETTINGS), written over ngtcp2 0.12 (QUIC,
 * RFC 9000; DATAGRAM frames, RFC 9221) with GnuTLS for the handshake and
 * nghttp3's QPACK codec (static table only) for the header blocks.
 *
 * What goes over the wire (draft-ietf-webtrans-http3, the draft-02 and
 * draft-07 variants Chromium speaks):
 *   - a control stream with SETTINGS: ENABLE_CONNECT_PROTOCOL (0x08),
 *     H3_DATAGRAM (0x33, and draft-04's 0xffd277), ENABLE_WEBTRANSPORT
 *     (0x2b603742, draft-02) and WEBTRANSPORT_MAX_SESSIONS (0xc671706a,
 *     draft-07); no QPACK dynamic table, so no encoder/decoder streams
 *     (RFC 9204 §4.2 lets an endpoint skip them);
 *   - an extended CONNECT (RFC 9220): :method CONNECT, :protocol
 *     webtransport, :path /SEGMENT, answered with :status 200;
 *   - one Ethernet frame per HTTP Datagram (RFC 9297 §2.1: quarter stream
 *     id varint, then the frame) while it fits the path's datagram size;
 *   - larger frames on one WebTransport unidirectional stream per
 *     direction (type 0x54, session id, then each frame as a 2-byte
 *     big-endian length and the frame), kept open. A 1514-byte frame never
 *     fits a datagram on a 1500-byte path, so without it a guest's
 *     full-size TCP segments would all be lost (WEBTRANSPORT.md says why
 *     one stream and not one per frame).
 *
 * Single-threaded and non-blocking. The owner reads UDP datagrams and hands
 * them to wtc_read(), calls wtc_flush() before it sleeps and wtc_expire() on
 * the timer from wtc_timeout_ms(); a connection that reports -1 is finished
 * and the owner frees it. Frames given to wtc_send_frame() are queued
 * (bounded) and go out at the next flush; callbacks only ever queue. */
#ifndef NETPROXY_H3_H
#define NETPROXY_H3_H

#include <gnutls/gnutls.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WT_FRAME_MIN 14   /* Ethernet header alone */
#define WT_FRAME_MAX 1518 /* 1514 + an 802.1Q tag; no FCS */
#define WT_SCID_LEN 18    /* our connection ids; the server demuxes on them */

/* HTTP/3 error codes (RFC 9114 §8.1) used to close connections. */
#define H3_NO_ERROR 0x100
#define H3_INTERNAL_ERROR 0x102

typedef struct wtconn wtconn;

typedef struct wtconn_ops {
    /* Server: an extended CONNECT for path (query removed) arrived; true
     * accepts it (200), false answers 404. */
    bool (*accept)(void *ctx, wtconn *c, const char *path);
    /* The session is up (client: 200 received; server: 200 sent). */
    void (*opened)(void *ctx, wtconn *c);
    /* One received frame, WT_FRAME_MIN..WT_FRAME_MAX bytes. */
    void (*frame)(void *ctx, wtconn *c, const uint8_t *f, size_t len);
} wtconn_ops;

typedef struct wtconn_stats {
    uint64_t rx_dgram, rx_stream; /* frames received as datagram / on a stream */
    uint64_t tx_dgram, tx_stream; /* frames sent */
    uint64_t rx_bad;              /* malformed datagrams or frame streams, dropped */
    uint64_t tx_dropped;          /* queue full, congested or no stream credit */
} wtconn_stats;

/* Server side: pkt is a client Initial that matched no connection (the
 * caller checked it with ngtcp2_accept). fd is the shared UDP socket. */
wtconn *wtc_server_new(int fd, const struct sockaddr *local, socklen_t llen,
                       const struct sockaddr *remote, socklen_t rlen, const uint8_t *pkt,
                       size_t pktlen, gnutls_certificate_credentials_t cred, const wtconn_ops *ops,
                       void *ctx, char *err, size_t errlen);

/* Client side over a connected UDP socket. authority is "host:port" for the
 * CONNECT; sni is the TLS server name (NULL for an address literal).
 * cert_sha256 (32 bytes) pins the server certificate by the SHA-256 of its
 * DER encoding, the WebTransport serverCertificateHashes rule; NULL checks
 * it against the system's CAs and sni. */
wtconn *wtc_client_new(int fd, const struct sockaddr *local, socklen_t llen,
                       const struct sockaddr *remote, socklen_t rlen, const char *sni,
                       const char *authority, const char *path, const uint8_t *cert_sha256,
                       gnutls_certificate_credentials_t cred, const wtconn_ops *ops, void *ctx,
                       char *err, size_t errlen);

void wtc_free(wtconn *c);

/* One received UDP datagram from remote. 0, or -1: finished. */
int wtc_read(wtconn *c, const struct sockaddr *remote, socklen_t rlen, const uint8_t *pkt,
             size_t len);
/* Sends what is pending (bounded work per call). 0, or -1: finished. */
int wtc_flush(wtconn *c);
/* Milliseconds until wtc_expire() is due (0 = now, also when output is
 * left after a flush), -1 = no timer. */
int wtc_timeout_ms(wtconn *c);
/* Runs due timers (loss detection, idle timeout) and flushes. 0 or -1. */
int wtc_expire(wtconn *c);

/* Does the packet's destination connection id belong to this connection? */
bool wtc_owns_dcid(wtconn *c, const uint8_t *dcid, size_t dcidlen);
bool wtc_is_open(const wtconn *c);
bool wtc_is_dead(const wtconn *c);
/* Why it finished ("" while alive). */
const char *wtc_why(const wtconn *c);

/* Queues one frame; false = dropped (session not open, queue full). */
bool wtc_send_frame(wtconn *c, const uint8_t *f, size_t len);
/* Queues raw bytes as one QUIC DATAGRAM, no header added (tests of the
 * peer's checks). */
bool wtc_send_raw_datagram(wtconn *c, const uint8_t *p, size_t len);
/* Closes with CONNECTION_CLOSE carrying app_error; finished afterwards. */
void wtc_close(wtconn *c, uint64_t app_error, const char *reason);

void wtc_get_stats(const wtconn *c, wtconn_stats *st);
/* Largest frame that currently goes as a datagram (0 before the session). */
size_t wtc_dgram_max(wtconn *c);

/* TLS credentials from PEM files (server), or for a client (system CAs
 * loaded; pinned hashes bypass them). NULL with a message on error. */
gnutls_certificate_credentials_t wtc_server_cred(const char *cert, const char *key, char *err,
                                                 size_t errlen);
gnutls_certificate_credentials_t wtc_client_cred(char *err, size_t errlen);

#endif
