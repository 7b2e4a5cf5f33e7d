// WebTransport session adapter (issue 8): the same shape as websocket.mjs,
// for `https://HOST:PORT/PATH[#sha256=HASH]` (netproxy --wt-listen; see
// netproxy/WEBTRANSPORT.md for the wire format).
//
//   openWebTransport(url, {onopen(), onframe(Uint8Array), onclose(reason)})
//     -> {send(Uint8Array) -> bool, close(), buffered() -> bytes}
//
// - One Ethernet frame per datagram (RFC 9221 via HTTP Datagrams): lost
//   packets cost only their own frame, which is what a NIC expects.
// - A frame larger than `datagrams.maxDatagramSize` (Chromium offers about
//   1200 bytes, less than a 1514-byte frame) goes on ONE long-lived
//   unidirectional stream, as a 2-byte big-endian length then the frame.
//   One stream rather than one per frame: netproxy can keep only a bounded
//   number of a peer's streams per connection.
// - Incoming unidirectional streams carry the same records; incoming
//   datagrams are one frame each.
// - HASH pins the server certificate through serverCertificateHashes (no
//   CA needed, Chromium's rule: ECDSA, valid 14 days at most): 64 hex digits
//   (colons allowed) or base64 of the certificate's SHA-256.
// A session is one connection attempt; NetLink (link.mjs) owns reconnects.

// The SHA-256 from the URL fragment, as bytes; null without one. Throws for
// a fragment that is not a usable hash, so the page can show why.
export function certificateHash(fragment) {
    let f = String(fragment || '').replace(/^#/, '');
    if (!f) return null;
    try {
        f = decodeURIComponent(f);
    } catch {
        // keep it raw
    }
    const m = /^sha-?256=(.+)$/i.exec(f);
    if (!m) throw new Error(`expected #sha256=HASH in the WebTransport URL, got '#${f}'`);
    const v = m[1].trim();
    const hex = v.replace(/:/g, '');
    if (/^[0-9a-f]{64}$/i.test(hex)) {
        const out = new Uint8Array(32);
        for (let i = 0; i < 32; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
        return out;
    }
    let bin = null;
    try {
        // base64 or base64url
        bin = atob(v.replace(/-/g, '+').replace(/_/g, '/').replace(/\s/g, ''));
    } catch {
        bin = null;
    }
    if (bin === null || bin.length !== 32) throw new Error('the #sha256= hash must be 64 hex digits or base64 of 32 bytes');
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

// Splits a byte stream of [len_hi, len_lo, frame...] records into frames.
// Chunks arrive at arbitrary boundaries; only an incomplete record's bytes
// are kept between chunks.
export class RecordParser {
    constructor(onframe) {
        this.onframe = onframe;
        this.rest = null;
    }

    push(chunk) {
        let buf = chunk;
        if (this.rest) {
            buf = new Uint8Array(this.rest.length + chunk.length);
            buf.set(this.rest);
            buf.set(chunk, this.rest.length);
            this.rest = null;
        }
        let off = 0;
        while (buf.length - off >= 2) {
            const len = (buf[off] << 8) | buf[off + 1];
            if (buf.length - off - 2 < len) break;
            // slice: the frame owns its buffer (it may be transferred on)
            this.onframe(buf.slice(off + 2, off + 2 + len));
            off += 2 + len;
        }
        if (off < buf.length) this.rest = buf.slice(off);
    }
}

function record(frame) {
    const rec = new Uint8Array(2 + frame.length);
    rec[0] = frame.length >> 8;
    rec[1] = frame.length & 255;
    rec.set(frame, 2);
    return rec;
}

export async function openWebTransport(url, handlers) {
    const WT = globalThis.WebTransport;
    if (typeof WT !== 'function') throw new Error('this browser has no WebTransport (https:// network URLs need it)');
    const u = new URL(url);
    const hash = certificateHash(u.hash);
    u.hash = '';
    const options = hash ? { serverCertificateHashes: [{ algorithm: 'sha-256', value: hash }] } : {};
    const t = new WT(u.href, options);

    let closed = false;
    let ready = false;
    let pending = 0; // bytes handed to writers and not yet taken by them
    let dgWriter = null;
    let streamWriter = null; // the frame stream, once open
    let streamOpening = null; // records waiting while it opens
    const end = (reason) => {
        if (closed) return;
        closed = true;
        handlers.onclose(reason);
    };
    const why = (e, fallback) => (e && (e.message || String(e))) || fallback;

    const track = (p, n) => {
        pending += n;
        p.then(
            () => {
                pending -= n;
            },
            () => {
                pending -= n;
            },
        );
    };

    const openStream = () => {
        streamOpening = [];
        t.createUnidirectionalStream().then(
            (s) => {
                const w = s.getWriter();
                const queued = streamOpening;
                streamOpening = null;
                if (closed) return;
                streamWriter = w;
                // A stream the relay stops (STOP_SENDING) is replaced by a
                // new one at the next large frame.
                w.closed.catch(() => {
                    if (streamWriter === w) streamWriter = null;
                });
                for (const { rec, done } of queued) {
                    const p = w.write(rec);
                    p.then(done, done);
                }
            },
            (e) => {
                const queued = streamOpening || [];
                streamOpening = null;
                for (const { done } of queued) done();
                if (!closed) console.warn(`webtransport: no frame stream: ${why(e, 'refused')}`);
            },
        );
    };

    const readDatagrams = async () => {
        const r = t.datagrams.readable.getReader();
        for (;;) {
            const { value, done } = await r.read();
            if (done || closed) return;
            handlers.onframe(value);
        }
    };
    const readStream = async (stream) => {
        const parser = new RecordParser((f) => {
            if (!closed) handlers.onframe(f);
        });
        const r = stream.getReader();
        for (;;) {
            const { value, done } = await r.read();
            if (done || closed) return;
            parser.push(value);
        }
    };
    const readStreams = async () => {
        const r = t.incomingUnidirectionalStreams.getReader();
        for (;;) {
            const { value, done } = await r.read();
            if (done || closed) return;
            readStream(value).catch(() => {}); // a reset stream: its frames are lost
        }
    };

    t.ready.then(
        () => {
            if (closed) return;
            ready = true;
            const w = t.datagrams.writable || (t.datagrams.createWritable && t.datagrams.createWritable());
            dgWriter = w.getWriter();
            readDatagrams().catch(() => {});
            readStreams().catch(() => {});
            handlers.onopen();
        },
        (e) => end(why(e, 'connection failed')),
    );
    t.closed.then(
        (info) => end(info && info.reason ? `closed (${info.closeCode || 0} ${info.reason})` : 'closed'),
        (e) => end(why(e, 'connection lost')),
    );

    return {
        send(frame) {
            if (closed || !ready) return false;
            const max = t.datagrams.maxDatagramSize || 0;
            if (frame.length <= max) {
                track(dgWriter.write(frame), frame.length);
                return true;
            }
            const rec = record(frame);
            if (streamWriter) {
                track(streamWriter.write(rec), rec.length);
                return true;
            }
            if (!streamOpening) openStream();
            pending += rec.length;
            streamOpening.push({
                rec,
                done: () => {
                    pending -= rec.length;
                },
            });
            return true;
        },
        buffered() {
            return pending;
        },
        close() {
            closed = true;
            try {
                t.close();
            } catch {
                // already gone
            }
        },
    };
}
