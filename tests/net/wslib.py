"""Test-only helpers: a minimal RFC 6455 WebSocket client (standard library
only, so tests can also send what a real library refuses to: runts, text,
oversized messages) and builders for the few Ethernet/IP frames the netproxy
tests need."""

import base64
import hashlib
import os
import socket
import struct
import time

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3


class HandshakeError(Exception):
    pass


class Closed(Exception):
    pass


class WS:
    def __init__(self, host, port, path, rcvbuf=None, timeout=5.0, protocol=None, cafile=None,
                 server_name="localhost"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        s.settimeout(timeout)
        s.connect((host, port))
        if cafile:  # wss://, verifying the server against cafile
            import ssl
            ctx = ssl.create_default_context(cafile=cafile)
            s = ctx.wrap_socket(s, server_hostname=server_name)
        key = base64.b64encode(os.urandom(16))
        req = (
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
            "Sec-WebSocket-Version: 13\r\n" % (path, host, port, key.decode())
        )
        if protocol:
            req += "Sec-WebSocket-Protocol: %s\r\n" % protocol
        s.sendall((req + "\r\n").encode())
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf:
            if time.monotonic() > deadline:
                raise HandshakeError("timeout")
            try:
                d = s.recv(4096)
            except (ConnectionError, socket.timeout) as e:
                raise HandshakeError(str(e))
            if not d:
                raise HandshakeError("closed during handshake")
            buf += d
        head, self.buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        if " 101 " not in lines[0] + " ":
            s.close()
            raise HandshakeError(lines[0])
        want = base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()
        hdrs = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip()
                for l in lines[1:] if ":" in l}
        if hdrs.get("sec-websocket-accept") != want:
            s.close()
            raise HandshakeError("bad Sec-WebSocket-Accept")
        self.s = s
        self.answer_pings = True

    def send(self, payload, opcode=2):
        """One unfragmented message (opcode 2 binary, 1 text), masked as a
        client must (RFC 6455 section 5.3)."""
        n = len(payload)
        hdr = bytes([0x80 | opcode])
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        body = bytes(b ^ mask[i & 3] for i, b in enumerate(payload))
        self.s.sendall(hdr + mask + body)

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        op, ln = b[0] & 15, b[1] & 127
        off = 2
        if ln == 126:
            if len(b) < 4:
                return None
            ln = struct.unpack(">H", b[2:4])[0]
            off = 4
        elif ln == 127:
            if len(b) < 10:
                return None
            ln = struct.unpack(">Q", b[2:10])[0]
            off = 10
        if b[1] & 0x80:
            off += 4  # servers never mask; tolerate anyway
        if len(b) < off + ln:
            return None
        payload = b[off:off + ln]
        self.buf = b[off + ln:]
        return (b[0] & 0x80) != 0, op, payload

    def recv_msg(self, timeout=3.0):
        """Next data message as (opcode, payload); None on timeout."""
        deadline = time.monotonic() + timeout
        parts, first_op = [], None
        while True:
            f = self._parse()
            if f is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.s.settimeout(left)
                try:
                    d = self.s.recv(65536)
                except socket.timeout:
                    return None
                except (ConnectionError, OSError) as e:
                    if isinstance(e, socket.timeout):
                        return None
                    raise Closed()
                if not d:
                    raise Closed()
                self.buf += d
                continue
            fin, op, payload = f
            if op == 9:  # ping
                if self.answer_pings:
                    self.send(payload, opcode=10)
                continue
            if op == 10:
                continue
            if op == 8:
                raise Closed()
            if op != 0:
                first_op = op
            parts.append(payload)
            if fin:
                return first_op, b"".join(parts)

    def recv_eth(self, timeout=3.0):
        m = self.recv_msg(timeout)
        return None if m is None else m[1]

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


# ---- frames ----

def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


BCAST = b"\xff" * 6


def eth(dst, src, etype, payload):
    return dst + src + struct.pack(">H", etype) + payload


def csum(data):
    if len(data) & 1:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def ipv4(src, dst, proto, payload, ident=1):
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0,
                      socket.inet_aton(src), socket.inet_aton(dst))
    hdr = hdr[:10] + struct.pack(">H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload):
    ln = 8 + len(payload)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">BBH", 0, 17, ln)
    h = struct.pack(">HHHH", sport, dport, ln, 0)
    c = csum(pseudo + h + payload) or 0xFFFF
    return struct.pack(">HHHH", sport, dport, ln, c) + payload


def tcp_syn(src, dst, sport, dport, seq=1000):
    # 20-byte header + MSS option
    opts = struct.pack(">BBH", 2, 4, 1460)
    h = struct.pack(">HHIIBBHHH", sport, dport, seq, 0, (6 << 4), 0x02, 64240, 0, 0) + opts
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack(">BBH", 0, 6, len(h))
    c = csum(pseudo + h)
    return h[:16] + struct.pack(">H", c) + h[18:]


def arp(op, smac, sip, tmac, tip):
    return struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, smac, socket.inet_aton(sip),
                       tmac, socket.inet_aton(tip))


def dhcp(msgtype, chaddr, xid, req_ip=None, server=None):
    """BOOTREQUEST (RFC 2131) with option 53 and, for a REQUEST, 50/54."""
    bootp = struct.pack(">BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0x8000,
                        b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4, chaddr + b"\0" * 10,
                        b"\0" * 64, b"\0" * 128)
    opts = b"\x63\x82\x53\x63" + bytes([53, 1, msgtype])
    if req_ip:
        opts += bytes([50, 4]) + socket.inet_aton(req_ip)
    if server:
        opts += bytes([54, 4]) + socket.inet_aton(server)
    opts += b"\xff"
    return bootp + opts


def parse_ipv4(frame):
    """(src, dst, proto, l4 bytes) for an IPv4 frame, else None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack(">H", ip[2:4])[0]
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), ip[9], ip[ihl:tot])


def dhcp_reply(frame, xid):
    """(message type, yiaddr) if frame is a DHCP reply for xid."""
    p = parse_ipv4(frame)
    if not p or p[2] != 17:
        return None
    l4 = p[3]
    if len(l4) < 8 + 240 or struct.unpack(">H", l4[2:4])[0] != 68:
        return None
    b = l4[8:]
    if b[0] != 2 or struct.unpack(">I", b[4:8])[0] != xid:
        return None
    yiaddr = socket.inet_ntoa(b[16:20])
    opts = b[240:]
    i, mtype = 0, None
    while i < len(opts) and opts[i] != 255:
        if opts[i] == 0:
            i += 1
            continue
        if i + 1 >= len(opts):
            break
        if opts[i] == 53:
            mtype = opts[i + 2]
        i += 2 + opts[i + 1]
    return mtype, yiaddr
