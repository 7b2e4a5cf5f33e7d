/* netproxy's Ethernet segments: one learning switch per URL path, with an
 * optional libslirp NAT uplink as one more port. Transport-neutral: a
 * WebSocket client (netproxy.c) or any other session type (WebTransport,
 * issue 8) is a port with a send function. Single-threaded. */
#ifndef NETPROXY_SWITCH_H
#define NETPROXY_SWITCH_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_MIN 14   /* Ethernet header alone */
#define FRAME_MAX 1518 /* 1514 + an 802.1Q tag; FCS is never carried */
#define PATH_MAX_LEN 256

typedef struct segment segment;
typedef struct port port;

/* A switch port. send() must not block and must not call back into the
 * switch (queue the frame; drop it when the queue is full). */
struct port {
    segment *seg;
    void (*send)(port *p, const uint8_t *frame, size_t len);
    void *opaque;
};

typedef struct switchboard {
    segment *segs;
} switchboard;

/* The segment for path (created on first use), or NULL (out of memory). */
segment *seg_get(switchboard *sb, const char *path);
const char *seg_path(const segment *g);
int seg_nports(const segment *g);

/* Gives segment g a NAT uplink; block_private as in net_slirp.h. */
int seg_add_nat(segment *g, bool block_private, char *err, size_t errlen);

int seg_add_port(segment *g, port *p);
/* Removes the port and its learned MACs; frees the segment when it was the
 * last port and there is no uplink. */
void seg_remove_port(switchboard *sb, port *p);

/* A frame that entered on port from: learn, then forward or flood. The
 * caller has checked FRAME_MIN <= len <= FRAME_MAX. */
void seg_forward(segment *g, port *from, const uint8_t *frame, size_t len);

/* The uplinks' sockets, for the caller's poll(): fill before, service after
 * (same entries), like nslirp_pollfds/nslirp_service. */
int switch_pollfds(switchboard *sb, struct pollfd *fds, int max, int *timeout_ms);
void switch_service(switchboard *sb, const struct pollfd *fds, int nfds);
int switch_max_pollfds(const switchboard *sb);

void switch_log_stats(switchboard *sb, void (*log_fn)(const char *fmt, ...));
void switch_free(switchboard *sb);

#endif
