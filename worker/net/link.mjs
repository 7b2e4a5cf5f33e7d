// NetLink: one network URL kept connected. It opens a session through the
// transport for the URL's scheme, checks frames both ways (Ethernet frames
// are 14..1518 bytes, VLAN tag included, no FCS; anything else is dropped
// and counted), and when the session ends it reports the link down and
// reconnects with backoff (0.25 s doubling to 8 s, as the native --net-ws).
//
//   const link = new NetLink(url, {onframe(frame), onstatus(status)});
//   link.send(frame) -> bool; link.close(); link.status()
// status: {state: 'connecting' | 'up' | 'down' | 'closed' | 'error', url,
//          reason?, retryMs?, connects, rxFrames, txFrames, rxBad, txBad,
//          txDropped}
import { transportFor } from './transports.mjs';

export const FRAME_MIN = 14;
export const FRAME_MAX = 1518;
const BACKOFF_MIN_MS = 250;
const BACKOFF_MAX_MS = 8000;
// Frames waiting in the transport's own send buffer: beyond this the relay
// (or the path to it) is slower than the guest, so frames are dropped here
// instead of piling up in memory; the guest's TCP backs off.
const TX_BUFFER_MAX = 1 << 20;

export class NetLink {
    constructor(url, { onframe, onstatus, backoffMinMs = BACKOFF_MIN_MS, backoffMaxMs = BACKOFF_MAX_MS } = {}) {
        this.url = url;
        this.onframe = onframe || (() => {});
        this.onstatus = onstatus || (() => {});
        this.backoffMinMs = backoffMinMs;
        this.backoffMaxMs = backoffMaxMs;
        this.open = transportFor(url); // throws for a bad URL or scheme
        this.state = 'closed';
        this.session = null;
        this.timer = null;
        this.delay = backoffMinMs;
        this.reason = '';
        this.retryMs = 0;
        this.counters = { connects: 0, rxFrames: 0, txFrames: 0, rxBad: 0, txBad: 0, txDropped: 0 };
        this.closed = false;
        this.state = 'connecting';
        // After the constructor returns, so the owner holds the link when
        // the first status arrives.
        queueMicrotask(() => this._connect());
    }

    status() {
        const s = { state: this.state, url: this.url, ...this.counters };
        if (this.reason) s.reason = this.reason;
        if (this.state === 'down') s.retryMs = this.retryMs;
        return s;
    }

    _set(state, reason = '') {
        this.state = state;
        this.reason = reason;
        this.onstatus(this.status());
    }

    async _connect() {
        this.timer = null;
        if (this.closed) return;
        this._set('connecting');
        let session = null;
        const handlers = {
            onopen: () => {
                if (this.closed || this.session !== session) return;
                this.delay = this.backoffMinMs;
                this.counters.connects++;
                this._set('up');
            },
            onframe: (frame) => {
                if (this.closed || this.session !== session) return;
                if (!frame || frame.length < FRAME_MIN || frame.length > FRAME_MAX) {
                    this.counters.rxBad++;
                    return;
                }
                this.counters.rxFrames++;
                this.onframe(frame);
            },
            onclose: (reason) => {
                if (this.closed || (session && this.session !== session)) return;
                this.session = null;
                this._retry(reason);
            },
        };
        try {
            session = await this.open(this.url, handlers);
        } catch (e) {
            if (!this.closed) this._retry(String((e && e.message) || e));
            return;
        }
        if (this.closed) {
            session.close();
            return;
        }
        // onclose may have fired before open() resolved (refused at once).
        if (this.timer === null && this.state === 'connecting') this.session = session;
        else session.close();
    }

    _retry(reason) {
        if (this.timer !== null) return;
        this.retryMs = this.delay;
        this.delay = Math.min(this.backoffMaxMs, this.delay * 2);
        this._set('down', reason);
        this.timer = setTimeout(() => this._connect(), this.retryMs);
    }

    // One frame from the guest; false when it was dropped.
    send(frame) {
        if (frame.length < FRAME_MIN || frame.length > FRAME_MAX) {
            this.counters.txBad++;
            return false;
        }
        const s = this.session;
        if (this.state !== 'up' || !s || s.buffered() > TX_BUFFER_MAX || !s.send(frame)) {
            this.counters.txDropped++;
            return false;
        }
        this.counters.txFrames++;
        return true;
    }

    close() {
        if (this.closed) return;
        this.closed = true;
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
        if (this.session) this.session.close();
        this.session = null;
        this._set('closed');
    }
}
