/* netproxy's WebTransport side (issue 8): an HTTP/3 listener on UDP whose
 * sessions join the same segments (switch.h) as WebSocket clients, by URL
 * path; and the short-lived certificate a browser pins by hash. */
#ifndef NETPROXY_WT_H
#define NETPROXY_WT_H

#include <poll.h>
#include <stdio.h>

#include "switch.h"

typedef struct wt_server wt_server;
typedef void (*wt_log_fn)(const char *fmt, ...);

/* Listens on UDP HOST:PORT ("*" or empty host = all interfaces, port 0 =
 * any) with the PEM certificate and key. max_sessions bounds the QUIC
 * connections (one session each). NULL with a message on error. */
wt_server *wt_server_new(switchboard *sb, const char *listen, const char *cert, const char *key,
                         int max_sessions, wt_log_fn log, char *err, size_t errlen);
int wt_server_port(const wt_server *w);
int wt_server_sessions(const wt_server *w);

/* The caller's poll() loop, as switch_pollfds/switch_service: before poll,
 * wt_server_pollfds sends what is pending and fills one fd (returns the
 * count) and may lower *timeout_ms; after poll, wt_server_service gets the
 * same entries (nfds = 0 just runs timers). */
int wt_server_pollfds(wt_server *w, struct pollfd *fds, int max, int *timeout_ms);
void wt_server_service(wt_server *w, const struct pollfd *fds, int nfds);

/* Ends every session (CONNECTION_CLOSE), logs totals, frees. */
void wt_server_free(wt_server *w);

/* Writes DIR/cert.pem, DIR/key.pem (0600) and DIR/cert.sha256: a
 * self-signed ECDSA P-256 certificate for localhost/127.0.0.1/::1 valid for
 * `days` (1..14; Chromium's serverCertificateHashes accepts at most 14), and
 * prints its SHA-256 (hex and base64) to out. 0, or -1 with a message. */
int wt_cert_gen(const char *dir, int days, FILE *out, char *err, size_t errlen);

#endif
