/* A netproxy with only the WebTransport listener (netproxy/wt.c) and the
 * switch: what the tests drive until netproxy.c itself takes --wt-listen,
 * and a check that wt.c needs nothing else from netproxy.c.
 *   wtproxy --wt-listen HOST:PORT --wt-cert F --wt-key F [--nat SEG]
 *           [--allow-private] [--max-sessions N]
 *   wtproxy --wt-cert-gen DIR [--days N]
 * Prints "wt listening on udp port N" on stderr; SIGTERM ends it (exit 0). */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "switch.h"
#include "wt.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

static void logf_(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "wtproxy: ");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int main(int argc, char **argv)
{
    const char *listen = NULL, *cert = NULL, *key = NULL, *certdir = NULL, *nat = NULL;
    int days = 13, max = 64;
    bool allow_private = false;
    static const struct option lo[] = {
        {"wt-listen", required_argument, 0, 'l'},
        {"tls-cert", required_argument, 0, 'c'},
        {"tls-key", required_argument, 0, 'k'},
        {"wt-cert-gen", required_argument, 0, 'g'},
        {"wt-cert", required_argument, 0, 'c'},
        {"wt-key", required_argument, 0, 'k'},
        {"days", required_argument, 0, 'd'},
        {"nat", required_argument, 0, 'n'},
        {"allow-private", no_argument, 0, 'p'},
        {"max-sessions", required_argument, 0, 'm'},
        {0, 0, 0, 0},
    };
    int o;
    while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (o) {
        case 'l': listen = optarg; break;
        case 'c': cert = optarg; break;
        case 'k': key = optarg; break;
        case 'g': certdir = optarg; break;
        case 'd': days = atoi(optarg); break;
        case 'n': nat = optarg; break;
        case 'p': allow_private = true; break;
        case 'm': max = atoi(optarg); break;
        default: return 2;
        }
    }
    char err[256];
    if (certdir) {
        if (wt_cert_gen(certdir, days, stdout, err, sizeof(err)) < 0) {
            fprintf(stderr, "wtproxy: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (!listen || !cert || !key)
        return 2;
    switchboard sb = {0};
    if (nat) {
        segment *g = seg_get(&sb, nat);
        if (!g || seg_add_nat(g, !allow_private, err, sizeof(err)) < 0) {
            fprintf(stderr, "wtproxy: --nat: %s\n", g ? err : "out of memory");
            return 1;
        }
    }
    wt_server *w = wt_server_new(&sb, listen, cert, key, max, logf_, err, sizeof(err));
    if (!w) {
        fprintf(stderr, "wtproxy: %s\n", err);
        return 1;
    }
    logf_("wt listening on udp port %d", wt_server_port(w));
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    struct pollfd fds[256];
    while (!stop) {
        int timeout = 1000;
        int n = wt_server_pollfds(w, fds, 1, &timeout);
        int m = switch_pollfds(&sb, fds + n, 255 - n, &timeout);
        if (poll(fds, (nfds_t)(n + m), timeout) < 0 && errno != EINTR)
            break;
        switch_service(&sb, fds + n, m);
        wt_server_service(w, fds, n);
    }
    wt_server_free(w);
    switch_free(&sb);
    return 0;
}
