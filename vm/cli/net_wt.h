/* WebTransport client transport for netback (net_back.c), issue 8:
 * `https://HOST:PORT/PATH[#sha256=HASH]`, one Ethernet frame per HTTP/3
 * datagram (larger frames on a unidirectional stream, see netproxy/h3.h),
 * over ngtcp2 + GnuTLS on a UDP socket the caller polls. HASH (64 hex
 * digits, colons allowed, or base64) pins the server certificate as the
 * browser's serverCertificateHashes does; without it the system CAs and
 * the host name decide. Losing the session reports link down and
 * reconnects with backoff. Without RV_HAVE_WT, nbwt_open() fails with a
 * message. */
#ifndef RV_NET_WT_H
#define RV_NET_WT_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nbwt nbwt;

/* deliver() gets each well-formed frame (14..1518 bytes). */
typedef void (*nbwt_deliver_fn)(void *ctx, const uint8_t *frame, size_t len);

nbwt *nbwt_open(const char *url, nbwt_deliver_fn deliver, void *ctx, char *err, size_t errlen);
void nbwt_close(nbwt *w);
bool nbwt_up(const nbwt *w);
/* Queues a frame; false = dropped (link down or queue full). */
bool nbwt_send(nbwt *w, const uint8_t *frame, size_t len);
int nbwt_pollfds(nbwt *w, struct pollfd *fds, int max, int *timeout_ms);
void nbwt_service(nbwt *w, const struct pollfd *fds, int nfds);
uint64_t nbwt_bad(const nbwt *w);
uint64_t nbwt_reconnects(const nbwt *w);
/* Test hook: queues raw bytes as one QUIC datagram (no session header). */
bool nbwt_send_raw_datagram(nbwt *w, const uint8_t *p, size_t len);

#endif
