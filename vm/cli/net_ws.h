/* WebSocket client transport for netback (net_back.c): one Ethernet frame
 * per binary message, reconnecting with backoff. Built with libwebsockets on
 * a libuv loop of its own that is embedded in the caller's poll() (Debian's
 * libwebsockets has no external-poll support; uv_backend_fd is the way in).
 * Without RV_HAVE_LWS, nbws_open() fails with a message. */
#ifndef RV_NET_WS_H
#define RV_NET_WS_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nbws nbws;

/* deliver() gets each well-formed frame (14..1518 bytes, binary). */
typedef void (*nbws_deliver_fn)(void *ctx, const uint8_t *frame, size_t len);
/* room() says whether the receiver can take more frames now; when it says
 * no, reading from the socket pauses (TCP flow control to the relay). */
typedef bool (*nbws_room_fn)(void *ctx);

nbws *nbws_open(const char *url, nbws_deliver_fn deliver, nbws_room_fn room, void *ctx, char *err,
                size_t errlen);
void nbws_close(nbws *w);
bool nbws_up(const nbws *w);
/* Queues a frame for sending; false = dropped (link down or queue full). */
bool nbws_send(nbws *w, const uint8_t *frame, size_t len);
/* The receiver has room again: resume reading if paused. */
void nbws_room_available(nbws *w);
int nbws_pollfds(nbws *w, struct pollfd *fds, int max, int *timeout_ms);
void nbws_service(nbws *w, const struct pollfd *fds, int nfds);
uint64_t nbws_bad(const nbws *w);
uint64_t nbws_reconnects(const nbws *w);

#endif
