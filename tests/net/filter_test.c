/* The NAT uplink's "no private ranges" filter (vm/cli/net_slirp.c), decision
 * by decision: which guest packets may make slirp open a host socket. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "net_slirp.h"

static int failures;

static void out(void *ctx, const uint8_t *f, size_t len)
{
    (void)ctx;
    (void)f;
    (void)len;
}

/* Ethernet + IPv4 (no options) + 4 bytes of ports. */
static size_t mk(uint8_t *f, const char *dst, uint8_t proto, uint16_t dport)
{
    memset(f, 0, 64);
    f[12] = 0x08;
    f[13] = 0x00;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[9] = proto;
    inet_pton(AF_INET, "10.0.2.15", ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    ip[20] = 0x9c;
    ip[21] = 0x40;
    ip[22] = (uint8_t)(dport >> 8);
    ip[23] = (uint8_t)dport;
    return 64;
}

static void expect(nslirp *s, const char *dst, uint8_t proto, uint16_t port, int refuse)
{
    uint8_t f[64];
    size_t n = mk(f, dst, proto, port);
    int got = nslirp_filter(s, f, n);
    char name[96];
    snprintf(name, sizeof(name), "NAT filter %s %s %s:%u", refuse ? "refuses" : "passes",
             proto == 6 ? "tcp" : "udp", dst, port);
    if (got == refuse)
        printf("PASS: %s\n", name);
    else {
        printf("FAIL: %s (got %s)\n", name, got ? "refused" : "passed");
        failures++;
    }
}

int main(void)
{
    char err[128];
    nslirp_opts strict = {.block_private = true};
    nslirp *s = nslirp_new(&strict, out, NULL, err, sizeof(err));
    if (!s) {
        printf("FAIL: nslirp_new (%s)\n", err);
        return 1;
    }
    expect(s, "93.184.216.34", 6, 80, 0); /* a public address */
    expect(s, "1.1.1.1", 17, 53, 0);
    expect(s, "10.0.2.2", 17, 67, 0); /* DHCP server */
    expect(s, "10.0.2.2", 6, 22, 0);  /* to slirp, which refuses it itself */
    expect(s, "10.0.2.3", 17, 53, 0); /* DNS */
    expect(s, "10.0.2.3", 6, 53, 0);
    expect(s, "10.0.2.3", 6, 22, 1);         /* non-DNS via the resolver alias */
    expect(s, "255.255.255.255", 17, 67, 0); /* DHCPDISCOVER */
    expect(s, "127.0.0.1", 6, 22, 1);
    expect(s, "127.1.2.3", 17, 53, 1);
    expect(s, "10.0.2.99", 6, 80, 1); /* would be connect()ed on the host's LAN */
    expect(s, "10.1.2.3", 6, 80, 1);
    expect(s, "172.16.0.1", 6, 80, 1);
    expect(s, "172.31.255.255", 6, 80, 1);
    expect(s, "172.32.0.1", 6, 80, 0);
    expect(s, "192.168.1.1", 6, 80, 1);
    expect(s, "169.254.169.254", 6, 80, 1); /* cloud metadata */
    expect(s, "100.64.0.1", 6, 80, 1);
    expect(s, "224.0.0.251", 17, 5353, 1);
    expect(s, "0.0.0.0", 6, 80, 1);

    /* Non-IPv4 frames: ARP passes, IPv6 and runts do not. */
    uint8_t f[64] = {0};
    f[12] = 0x08;
    f[13] = 0x06;
    int ok = !nslirp_filter(s, f, 42);
    f[12] = 0x86;
    f[13] = 0xdd;
    ok = ok && nslirp_filter(s, f, 64) && nslirp_filter(s, f, 10);
    printf("%s: NAT filter passes ARP, refuses IPv6 and runts\n", ok ? "PASS" : "FAIL");
    failures += !ok;
    nslirp_free(s);

    nslirp_opts open = {.block_private = false};
    s = nslirp_new(&open, out, NULL, err, sizeof(err));
    expect(s, "127.0.0.1", 6, 22, 0);
    expect(s, "192.168.1.1", 6, 80, 0);
    ok = nslirp_hostfwd(s, "tcp::0-:80", err, sizeof(err)) == 0 &&
         nslirp_hostfwd(s, "bogus", err, sizeof(err)) < 0 &&
         nslirp_hostfwd(s, "tcp::99999-:80", err, sizeof(err)) < 0;
    printf("%s: hostfwd rules parse (and bad ones are refused)\n", ok ? "PASS" : "FAIL");
    failures += !ok;
    nslirp_free(s);
    return failures ? 1 : 0;
}
