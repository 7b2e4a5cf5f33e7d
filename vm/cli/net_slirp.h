/* A libslirp instance driven from a caller-owned poll() loop: the user-mode
 * NAT behind the CLI's `--net user` and behind netproxy's `--nat` segments.
 * Single-threaded: every call, and every output callback, happens on the
 * thread that owns the poll loop.
 *
 * Built only when RV_HAVE_SLIRP is defined; otherwise nslirp_new() fails with
 * a message saying libslirp was not available at build time. */
#ifndef RV_NET_SLIRP_H
#define RV_NET_SLIRP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct nslirp nslirp;

typedef struct nslirp_opts {
    /* Refuse what a public relay must not reach: the host's loopback (no
     * 10.0.2.2 -> 127.0.0.1 alias), private, link-local, CGNAT, multicast
     * and reserved IPv4 ranges, the host's own interface addresses, any
     * 10.0.2.x other than the gateway and DNS, and non-DNS traffic to the DNS
     * address. IPv6 is then off entirely. See nslirp_filter() in net_slirp.c. */
    bool block_private;
    bool ipv6; /* fec0::/64 like QEMU; ignored when block_private */
} nslirp_opts;

/* Called with each frame slirp sends towards the guest network. */
typedef void (*nslirp_output_fn)(void *ctx, const uint8_t *frame, size_t len);

nslirp *nslirp_new(const nslirp_opts *opts, nslirp_output_fn out, void *ctx, char *err,
                   size_t errlen);
void nslirp_free(nslirp *s);

/* "tcp::8080-:80", "udp:127.0.0.1:5353-10.0.2.15:53" (QEMU's hostfwd syntax,
 * without the "hostfwd=" prefix). Returns 0, or -1 with err filled. */
int nslirp_hostfwd(nslirp *s, const char *rule, char *err, size_t errlen);

/* A frame from the guest network. Frames the filter refuses are counted. */
void nslirp_input(nslirp *s, const uint8_t *frame, size_t len);

/* Before poll(): writes up to max entries into fds, returns how many, lowers
 * *timeout_ms (-1 = infinite) to slirp's next timer. After poll(): pass the
 * same entries back to nslirp_service (revents filled). */
int nslirp_pollfds(nslirp *s, struct pollfd *fds, int max, int *timeout_ms);
void nslirp_service(nslirp *s, const struct pollfd *fds, int nfds);

uint64_t nslirp_filtered(const nslirp *s); /* frames the filter dropped */

/* The pure filter decision, exposed for unit tests: true = refuse. */
bool nslirp_filter(const nslirp *s, const uint8_t *frame, size_t len);

#endif
