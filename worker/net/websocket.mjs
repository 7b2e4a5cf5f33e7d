// WebSocket session adapter (issue 7): one raw Ethernet frame per binary
// message, both ways, no header: the framing existing browser-VM relays use,
// so netproxy and those relays interoperate.
//
// A session is one connection attempt; NetLink (link.mjs) owns reconnects.
//   openWebSocket(url, {onopen(), onframe(Uint8Array), onclose(reason)})
//     -> {send(Uint8Array) -> bool, close(), buffered() -> bytes}

// Browsers and Node 22 have a global WebSocket; Node 20 (the test machines)
// takes the `ws` package, loaded by a computed name so the browser bundle
// (esbuild) leaves it out.
let impl = null;
async function webSocketClass() {
    if (impl) return impl;
    if (typeof globalThis.WebSocket === 'function') impl = globalThis.WebSocket;
    else {
        const name = 'ws';
        const mod = await import(/* @vite-ignore */ name);
        impl = mod.WebSocket || mod.default;
    }
    return impl;
}

export async function openWebSocket(url, handlers) {
    const WS = await webSocketClass();
    const ws = new WS(url);
    ws.binaryType = 'arraybuffer';
    let closed = false;
    const end = (reason) => {
        if (closed) return;
        closed = true;
        handlers.onclose(reason);
    };
    ws.onopen = () => handlers.onopen();
    ws.onmessage = (e) => {
        // Text messages are not frames (counted as bad by the caller).
        handlers.onframe(typeof e.data === 'string' ? null : new Uint8Array(e.data));
    };
    ws.onerror = (e) => end((e && e.message) || 'connection error');
    ws.onclose = (e) => end(e && e.code ? `closed (${e.code}${e.reason ? ` ${e.reason}` : ''})` : 'closed');
    return {
        send(frame) {
            if (closed || ws.readyState !== 1) return false;
            ws.send(frame);
            return true;
        },
        buffered() {
            return ws.bufferedAmount || 0;
        },
        close() {
            closed = true;
            try {
                ws.close();
            } catch {
                // already gone
            }
        },
    };
}
