// Network transports, chosen by the URL's scheme (v86-style adapters): each
// is `open(url, {onopen(), onframe(bytes | null), onclose(reason)})` that
// resolves to a session `{send(frame) -> bool, buffered() -> bytes, close()}`.
// One session is one connection; reconnecting is NetLink's job (link.mjs),
// so every transport gets the same backoff, counters and link reporting.
import { openWebTransport } from './webtransport.mjs';
import { openWebSocket } from './websocket.mjs';

const transports = new Map([
    ['ws:', openWebSocket],
    ['wss:', openWebSocket],
    // WebTransport (issue 8): frames as datagrams, `#sha256=HEX` in the URL
    // for serverCertificateHashes (webtransport.mjs).
    ['https:', openWebTransport],
]);

export function registerTransport(scheme, open) {
    transports.set(scheme.endsWith(':') ? scheme : `${scheme}:`, open);
}

// The opener for a URL, or throws a message the page can show.
export function transportFor(url) {
    let u;
    try {
        u = new URL(url);
    } catch {
        throw new Error(`not a network URL: '${url}' (expected ws://HOST:PORT/PATH)`);
    }
    const open = transports.get(u.protocol);
    if (!open) {
        const known = [...transports.keys()].map((s) => `${s}//`).join(', ');
        throw new Error(`no network transport for '${u.protocol}//' (this build has ${known})`);
    }
    // Refused at once, not retried forever by the link's reconnect loop.
    if (open === openWebTransport && typeof globalThis.WebTransport !== 'function') {
        throw new Error('this environment has no WebTransport (https:// network URLs need it; Node has none): use a ws:// URL');
    }
    return open;
}
