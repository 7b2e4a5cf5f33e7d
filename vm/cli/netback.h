/* Native network backends for the CLI: whole Ethernet frames between the
 * guest's virtio-net (through rv_netdev) and the outside.
 *
 * Single-threaded: the CLI runs machine_run in slices, then poll() with the
 * fds from netback_pollfds(), then netback_service() with the same entries.
 * rv_netdev.send is called from inside machine_run and never blocks;
 * rv_netdev.recv pulls from a bounded queue that netback_service fills. */
#ifndef RV_NETBACK_H
#define RV_NETBACK_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "host.h"

typedef struct netback netback;

/* spec forms:
 *   "user" or "user,hostfwd=tcp::8080-:80[,hostfwd=...]"  libslirp, like QEMU -nic user
 *                                                         (10.0.2.15/24, gw 10.0.2.2, DNS 10.0.2.3)
 *   "tap:IFNAME"                                          Linux TAP (the interface must exist or
 *                                                         the process may create it)
 *   "ws://host:port/path" or "wss://..."                  WebSocket client, one frame per binary
 *                                                         message; reconnects with backoff
 *   "https://host:port/path[#sha256=HASH]"                WebTransport client (net_wt.h), a frame
 *                                                         per HTTP/3 datagram; reconnects
 * Returns NULL with a message in err when the spec is bad or the backend
 * cannot start (or was not built in). */
netback *netback_open(const char *spec, const uint8_t mac[6], char *err, size_t errlen);

/* send/recv/link_up wired to this backend; mac is the one given to open. */
rv_netdev netback_netdev(netback *nb);

/* Before poll(): writes up to max fds, returns how many, and may lower
 * *timeout_ms (-1 = infinite). */
int netback_pollfds(netback *nb, struct pollfd *fds, int max, int *timeout_ms);

/* After poll(): the entries netback_pollfds wrote, revents filled (or none,
 * nfds = 0, to just run timers). Does the I/O, timers and reconnects. */
void netback_service(netback *nb, const struct pollfd *fds, int nfds);

void netback_close(netback *nb);

/* Counters, for --stats and tests. */
typedef struct netback_stats {
    uint64_t tx_frames;  /* guest -> network */
    uint64_t rx_frames;  /* network -> guest */
    uint64_t rx_bad;     /* malformed frames from the network, dropped */
    uint64_t rx_dropped; /* receive queue full, dropped */
    uint64_t tx_dropped; /* link down or send queue full, dropped */
    uint64_t reconnects; /* WebSocket: connections established after the first */
} netback_stats;
void netback_get_stats(const netback *nb, netback_stats *st);

#endif
