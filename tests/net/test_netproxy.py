#!/usr/bin/env python3
"""netproxy without a guest: the switch, the limits, and the NAT uplink,
driven by hand-built frames over loopback. Prints PASS:/FAIL:/SKIP: lines;
exits 1 if anything failed. Every wait is bounded."""

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from wslib import (BCAST, WS, Closed, HandshakeError, arp, dhcp, dhcp_reply, eth,  # noqa: E402
                   ipv4, mac, parse_ipv4, tcp_syn, udp)

NETPROXY = os.environ.get("NETPROXY", "build/netproxy")
# The memory check wants a build without ASan (its quarantine keeps freed
# memory on purpose).
NETPROXY_RSS = os.environ.get("NETPROXY_RSS", NETPROXY)
failures = 0


def check(name, ok, why=""):
    global failures
    if ok:
        print("PASS: %s" % name, flush=True)
    else:
        failures += 1
        print("FAIL: %s (%s)" % (name, why), flush=True)


class Proxy:
    def __init__(self, *args, binary=None):
        self.p = subprocess.Popen([binary or NETPROXY, "--listen", "127.0.0.1:0"] + list(args),
                                  stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.cv = threading.Condition()
        threading.Thread(target=self._reader, daemon=True).start()
        m = self.wait_line(r"listening on wss?://[^:]+:(\d+)", 10)
        if not m:
            self.kill()
            raise RuntimeError("netproxy did not start: %s" % self.lines)
        self.port = int(m.group(1))

    def _reader(self):
        for line in self.p.stderr:
            with self.cv:
                self.lines.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_line(self, pattern, timeout=5.0, start=0):
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                for l in self.lines[start:]:
                    m = rx.search(l)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def ws(self, path, **kw):
        return WS("127.0.0.1", self.port, path, **kw)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        """SIGTERM; returns the exit code (None if it had to be killed)."""
        if self.p.poll() is not None:
            return self.p.returncode
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


MA, MB, MC, MD, ME = (mac("02:00:00:00:00:%02x" % i) for i in (1, 2, 3, 4, 5))


def frame(dst, src, tag, size=64):
    """An Ethernet frame of `size` bytes whose payload starts with tag."""
    body = tag + b"." * max(0, size - 14 - len(tag))
    return eth(dst, src, 0x88B5, body)  # IEEE local experimental ethertype


def tag_of(f):
    return None if f is None else f[14:14 + 8]


def test_switch(px):
    a, b, c = px.ws("/seg1"), px.ws("/seg1"), px.ws("/seg1")
    d, e = px.ws("/seg2"), px.ws("/seg2", protocol="binary")

    a.send(frame(BCAST, MA, b"bcast-a1"))
    got_b, got_c = tag_of(b.recv_eth()), tag_of(c.recv_eth())
    check("broadcast reaches every other port", got_b == b"bcast-a1" and got_c == b"bcast-a1",
          "b=%r c=%r" % (got_b, got_c))
    check("sender does not get its own broadcast", a.recv_eth(0.3) is None, "echoed")

    # B answers A by unicast: A learned, so only A gets it. C then sees B's
    # later broadcast first, which proves the unicast never reached C
    # (per-port FIFO, one thread).
    b.send(frame(MA, MB, b"uni-b2a."))
    got = tag_of(a.recv_eth())
    check("unicast to a learned MAC arrives", got == b"uni-b2a.", "a got %r" % got)
    a.send(frame(MB, MA, b"uni-a2b."))
    got = tag_of(b.recv_eth())
    check("unicast back after learning", got == b"uni-a2b.", "b got %r" % got)
    b.send(frame(BCAST, MB, b"marker1."))
    got = tag_of(c.recv_eth())
    check("learned unicast is not flooded to a third port", got == b"marker1.",
          "c got %r first" % got)
    a.recv_eth()

    # Unknown unicast floods.
    a.send(frame(MD, MA, b"unknown."))
    got_b, got_c = tag_of(b.recv_eth()), tag_of(c.recv_eth())
    check("unknown unicast floods", got_b == b"unknown." and got_c == b"unknown.",
          "b=%r c=%r" % (got_b, got_c))

    # Segments are separate: /seg2 traffic (processed, since E received it)
    # must never appear on /seg1 before a later /seg1 marker.
    d.send(frame(BCAST, MD, b"seg2-bc."))
    got_e = tag_of(e.recv_eth())
    b.send(frame(BCAST, MB, b"marker2."))
    got_a = tag_of(a.recv_eth())
    check("different paths are isolated", got_e == b"seg2-bc." and got_a == b"marker2.",
          "e=%r a=%r" % (got_e, got_a))
    c.recv_eth()

    # Sizes: 14 and 1518 pass; runt, 1519, 64 KiB and text are dropped.
    a.send(frame(BCAST, MA, b"", 14))
    got = b.recv_eth()
    check("14-byte frame forwarded", got is not None and len(got) == 14, "got %r" % got)
    a.send(frame(BCAST, MA, b"max-size", 1518))
    got = b.recv_eth()
    check("1518-byte frame forwarded", got is not None and len(got) == 1518,
          "len %s" % (None if got is None else len(got)))
    c.recv_eth(), c.recv_eth()
    a.send(b"\xff" * 10)
    a.send(frame(BCAST, MA, b"toolarge", 1519))
    a.send(frame(BCAST, MA, b"huge....", 65536))
    a.send(b"\xff" * 6 + MA + b"\x88\xb5text-frame", opcode=1)
    a.send(os.urandom(3))
    a.send(b"")
    a.send(frame(BCAST, MA, b"marker3."))
    got = tag_of(b.recv_eth())
    check("runt, oversized, 64 KiB, text and empty messages are dropped", got == b"marker3.",
          "b got %r first" % got)
    c.recv_eth()
    check("netproxy up after bad frames", px.alive(), "exited")
    n0 = len(px.lines)
    a.close()
    m = px.wait_line(r"disconnect /seg1 .*runt=(\d+) oversize=(\d+) text=(\d+)", 5, n0)
    check("bad frames counted in the disconnect line",
          m is not None and m.groups() == ("3", "2", "1"),
          "got %s" % (m.group(0) if m else px.lines[n0:]))
    for w in (b, c, d, e):
        w.close()


def test_slow_reader(px):
    a, b = px.ws("/slow"), px.ws("/slow")
    s = px.ws("/slow", rcvbuf=4096)  # joins, then never reads
    a.send(frame(BCAST, MA, b"learn-a."))
    b.recv_eth()
    b.send(frame(MA, MB, b"learn-b."))
    a.recv_eth()
    # Broadcasts A -> {B, S}, lock-step with B: S's queue must fill and drop
    # while B keeps receiving every frame.
    n, ok = 4000, 0
    for i in range(n):
        a.send(frame(BCAST, MA, struct.pack(">Q", i), 1500))
        got = b.recv_eth(5)
        if got is None or got[14:22] != struct.pack(">Q", i):
            break
        ok += 1
    check("a client that stops reading does not stall the others", ok == n,
          "B got %d of %d in order" % (ok, n))
    n0 = len(px.lines)
    s.close()
    m = px.wait_line(r"disconnect /slow .*txdrop=(\d+)", 5, n0)
    check("the slow client's send queue is bounded (frames dropped)",
          m is not None and int(m.group(1)) > 0, "got %s" % (m.group(0) if m else None))
    a.close()
    b.close()


def test_limits():
    px = Proxy("--max-clients", "2", "--ping-interval", "1")
    try:
        a, b = px.ws("/x"), px.ws("/x")
        refused = False
        try:
            px.ws("/y").close()
        except (HandshakeError, Closed, ConnectionError):
            refused = True
        check("--max-clients refuses the client beyond the limit", refused, "accepted")
        n0 = len(px.lines)
        a.close()
        px.wait_line(r"disconnect /x", 5, n0)
        try:
            c = px.ws("/y")
            c.close()
            ok = True
        except (HandshakeError, Closed, ConnectionError) as ex:
            ok = False
            why = str(ex)
        check("a slot frees when a client leaves", ok, "" if ok else why)
        # b answers pings while it reads; a dead peer does not answer.
        dead = px.ws("/z") if False else None
        b.close()
        px.wait_line(r"clients=0", 5, n0)
        dead = px.ws("/z")
        dead.answer_pings = False
        t0 = time.monotonic()
        closed = False
        while time.monotonic() - t0 < 15:
            try:
                dead.recv_msg(1)
            except Closed:
                closed = True
                break
        check("ping/pong: a peer that never answers is dropped", closed, "still open after 15 s")
        live = px.ws("/z")
        t0, alive = time.monotonic(), True
        while time.monotonic() - t0 < 4:
            try:
                live.recv_msg(0.5)
            except Closed:
                alive = False
                break
        check("ping/pong: a peer that answers stays connected", alive, "dropped")
        live.close()
        rc = px.stop()
        check("SIGTERM exits cleanly", rc == 0 and px.wait_line("shutting down \\(SIGTERM\\)", 2),
              "exit code %r" % rc)
    finally:
        px.kill()


def test_many_clients(px):
    """Connect/leave churn: it stays up and the good clients keep working."""
    a, b = px.ws("/churn"), px.ws("/churn")
    socks = []
    for i in range(100):
        try:
            socks.append(px.ws("/churn%d" % (i % 7)))
        except (HandshakeError, ConnectionError, Closed):
            pass
    for w in socks:
        w.close()
    try:
        px.ws("/" + "x" * 300).close()
        long_ok = False
    except (HandshakeError, Closed, ConnectionError):
        long_ok = True
    check("a path longer than 255 bytes is refused", long_ok, "accepted")
    garbage = socket.create_connection(("127.0.0.1", px.port))
    garbage.sendall(os.urandom(2048))
    garbage.close()
    a.send(frame(BCAST, MA, b"afterchr"))
    got = tag_of(b.recv_eth())
    check("100 clients come and go, garbage on the port, others still switch",
          len(socks) == 100 and got == b"afterchr", "%d joined, b got %r" % (len(socks), got))
    a.close()
    b.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_memory():
    """Rounds of 200 clients at once, each sending a frame and some garbage,
    then all leaving: memory after the last round matches the first (no
    growth per round, i.e. nothing leaks per client)."""
    px = Proxy("--nat", "/natseg", binary=NETPROXY_RSS)
    try:
        memory_rounds(px)
    finally:
        px.stop()
        px.kill()


def memory_rounds(px):
    rss, ok_rounds = [], 0
    for rnd in range(5):
        n0 = len(px.lines)
        ws = []
        for i in range(200):
            try:
                ws.append(px.ws("/mem%d" % (i % 10)))
            except (HandshakeError, ConnectionError, Closed):
                break
        for i, w in enumerate(ws):
            try:
                w.send(frame(BCAST, mac("02:00:00:01:%02x:%02x" % (i >> 8, i & 255)), b"memtest.", 200))
                w.send(b"x", opcode=1)
            except OSError:
                pass
        for w in ws:
            w.close()
        if len(ws) == 200 and px.wait_line(r"clients=0$", 10, n0):
            ok_rounds += 1
        time.sleep(0.3)
        rss.append(rss_kib(px.p.pid))
    check("200 clients at once, 5 rounds: all connect and all leave", ok_rounds == 5,
          "%d good rounds" % ok_rounds)
    check("memory returns to its level after each round (RSS round 5 - round 1 < 1 MiB)",
          rss[-1] - rss[0] < 1024, "RSS KiB per round: %s" % rss)


def test_tls():
    import shutil
    import tempfile
    if not shutil.which("openssl"):
        print("SKIP: netproxy over TLS (openssl missing)")
        return
    d = tempfile.mkdtemp()
    crt, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
                        "-days", "2", "-subj", "/CN=localhost"], capture_output=True)
    if r.returncode != 0:
        print("SKIP: netproxy over TLS (openssl could not make a certificate)")
        return
    px = Proxy("--tls-cert", crt, "--tls-key", key)
    try:
        a = px.ws("/tls", cafile=crt)
        b = px.ws("/tls", cafile=crt)
        a.send(frame(BCAST, MA, b"over-tls"))
        got = tag_of(b.recv_eth())
        check("wss://: two clients switch frames over TLS (certificate verified)",
              got == b"over-tls", "got %r" % got)
        a.close()
        b.close()
    finally:
        px.stop()
        px.kill()
        shutil.rmtree(d, ignore_errors=True)


# ---- NAT ----

GW, DNS, GUEST = "10.0.2.2", "10.0.2.3", "10.0.2.15"


class NatGuest:
    """Just enough of a host on a --nat segment: DHCP, ARP answers, SYNs."""

    def __init__(self, px, path, m):
        self.ws, self.mac = px.ws(path), m
        self.gwmac = None

    def pump(self, want, timeout=5.0):
        """Receives until want(frame) returns non-None, answering ARP."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            f = self.ws.recv_eth(max(0.05, deadline - time.monotonic()))
            if f is None:
                continue
            if f[12:14] == b"\x08\x06" and len(f) >= 42 and struct.unpack(">H", f[20:22])[0] == 1 \
                    and socket.inet_ntoa(f[38:42]) == GUEST:
                self.ws.send(eth(f[6:12], self.mac, 0x0806,
                                 arp(2, self.mac, GUEST, f[6:12], socket.inet_ntoa(f[28:32]))))
                continue
            r = want(f)
            if r is not None:
                return r
        return None

    def dhcp(self):
        xid = 0x1234ABCD
        disc = ipv4("0.0.0.0", "255.255.255.255", 17,
                    udp("0.0.0.0", "255.255.255.255", 68, 67, dhcp(1, self.mac, xid)))
        self.ws.send(eth(BCAST, self.mac, 0x0800, disc))
        offer = self.pump(lambda f: (dhcp_reply(f, xid), f[6:12])
                          if dhcp_reply(f, xid) and dhcp_reply(f, xid)[0] == 2 else None)
        if not offer:
            return None
        (_, yiaddr), self.gwmac = offer
        req = ipv4("0.0.0.0", "255.255.255.255", 17,
                   udp("0.0.0.0", "255.255.255.255", 68, 67,
                       dhcp(3, self.mac, xid, req_ip=yiaddr, server=GW)))
        self.ws.send(eth(BCAST, self.mac, 0x0800, req))
        ack = self.pump(lambda f: dhcp_reply(f, xid) if dhcp_reply(f, xid) and
                        dhcp_reply(f, xid)[0] == 5 else None)
        # Tell slirp where 10.0.2.15 lives (and learn the gateway's MAC).
        self.ws.send(eth(BCAST, self.mac, 0x0806, arp(1, self.mac, GUEST, b"\0" * 6, GW)))
        self.pump(lambda f: True if f[12:14] == b"\x08\x06" else None, 2)
        return yiaddr, ack

    def syn(self, dst, dport, sport):
        """Sends a SYN; returns 'synack', 'rst', 'unreachN' (ICMP destination
        unreachable, code N) or None (nothing in 2 s)."""
        self.ws.send(eth(self.gwmac, self.mac, 0x0800,
                         ipv4(GUEST, dst, 6, tcp_syn(GUEST, dst, sport, dport), ident=sport)))

        def want(f):
            p = parse_ipv4(f)
            if p and p[2] == 1 and len(p[3]) >= 8 + 20 + 4 and p[3][0] == 3:
                q = p[3][8:]  # the quoted IP header and TCP ports
                qs = struct.unpack(">H", q[(q[0] & 15) * 4:][:2])[0]
                return "unreach%d" % p[3][1] if qs == sport else None
            if not p or p[2] != 6 or len(p[3]) < 20:
                return None
            sp, dp = struct.unpack(">HH", p[3][:4])
            if dp != sport:
                return None
            flags = p[3][13]
            return "rst" if flags & 0x04 else "synack" if flags & 0x12 == 0x12 else None
        return self.pump(want, 2.0)


def listener():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    ls.settimeout(0.2)
    return ls


def accepted(ls):
    try:
        c, _ = ls.accept()
        c.close()
        return True
    except socket.timeout:
        return False


def test_nat():
    ls = listener()
    lport = ls.getsockname()[1]
    px = Proxy("--nat", "/nat")
    try:
        g = NatGuest(px, "/nat", ME)
        r = g.dhcp()
        check("NAT uplink: DHCPDISCOVER gets an OFFER of 10.0.2.15",
              r is not None and r[0] == "10.0.2.15", "got %r" % (r,))
        check("NAT uplink: DHCPREQUEST gets an ACK", r is not None and r[1] is not None,
              "no ACK")
        if r is None:
            return
        res = g.syn("127.0.0.1", lport, 40001)
        check("default: SYN to 127.0.0.1 is refused at once (ICMP admin-prohibited)",
              res == "unreach13" and not accepted(ls), "got %r" % res)
        res = g.syn(GW, lport, 40002)
        check("default: SYN to 10.0.2.2 (host loopback alias) is refused",
              res != "synack" and not accepted(ls), "got %r" % res)
        res = g.syn("192.168.1.1", 80, 40003)
        check("default: SYN to a private range is refused", res == "unreach13", "got %r" % res)
        res = g.syn(DNS, lport, 40004)
        check("default: non-DNS port on 10.0.2.3 is refused",
              res != "synack" and not accepted(ls), "got %r" % res)
        check("netproxy counted the refused frames", px.alive(), "exited")
        px.stop()
        m = px.wait_line(r"segment /nat: .*nat-refused=(\d+)", 2)
        check("refused frames are counted", m is not None and int(m.group(1)) >= 3,
              "got %s" % (m.group(0) if m else None))
    finally:
        px.kill()

    px = Proxy("--nat", "nat", "--allow-private")
    try:
        g = NatGuest(px, "/nat", ME)
        r = g.dhcp()
        if r is None:
            check("--allow-private: DHCP", False, "no lease")
            return
        res = g.syn(GW, lport, 40010)
        check("--allow-private: SYN to 10.0.2.2 reaches the host's loopback server",
              res == "synack" and accepted(ls), "got %r" % res)
        res = g.syn("127.0.0.1", lport, 40011)
        check("--allow-private: SYN to 127.0.0.1 gets a SYN-ACK",
              res == "synack" and accepted(ls), "got %r" % res)
        # A second guest on the same NAT segment gets the next lease.
        g2 = NatGuest(px, "/nat", MD)
        r2 = g2.dhcp()
        check("a second guest on the NAT segment gets 10.0.2.16",
              r2 is not None and r2[0] == "10.0.2.16", "got %r" % (r2,))
    finally:
        px.stop()
        px.kill()
        ls.close()


def main():
    if not os.access(NETPROXY, os.X_OK):
        print("FAIL: netproxy built (%s missing)" % NETPROXY)
        return 1
    px = Proxy("--nat", "/natseg")
    try:
        test_switch(px)
        test_slow_reader(px)
        test_many_clients(px)
        check("netproxy still running after the switch tests", px.alive(), "exited")
    finally:
        rc = px.stop()
        check("SIGTERM with clients and a NAT segment exits 0", rc == 0, "rc=%r" % rc)
    test_memory()
    test_limits()
    test_tls()
    test_nat()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
