// Browser-side networking (issue 7) under Node: the worker's transport
// (worker/net/) against a small WebSocket server, then the default Linux
// guest in the Node worker build connected to netproxy on a --nat
// --allow-private segment: DHCP lease, a fetch from a loopback HTTP server,
// the link going down with the relay and coming back up.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { WasmVm, createWorkerVm } from 'virtual-machine';
import { readGuestFiles, readManifest } from './guest.mjs';
import { NETPROXY, PROMPT_OR_DEATH, guest, startHttpServer, startNetproxy } from './netlib.mjs';
import { NetLink } from '../../worker/net/link.mjs';
import { transportFor } from '../../worker/net/transports.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (fn()) return;
        await sleep(20);
    }
    assert.fail(`timed out waiting for ${what}`);
}

test('net: transports are chosen by scheme; unknown schemes and bad URLs are refused', () => {
    assert.equal(typeof transportFor('ws://127.0.0.1:1/x'), 'function');
    assert.equal(transportFor('ws://a/x'), transportFor('wss://a/x'));
    assert.throws(() => transportFor('ftp://a/x'), /no network transport for 'ftp:\/\/'/);
    assert.throws(() => transportFor('not a url'), /not a network URL/);
    // Node has no WebTransport: an https:// URL is refused at once.
    assert.equal(typeof globalThis.WebTransport, 'undefined');
    assert.throws(() => transportFor('https://127.0.0.1:4433/lan#sha256=00'), /no WebTransport/);
});

test('net: NetLink moves frames both ways, drops bad ones, reconnects with backoff', { timeout: 30000 }, async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.on('listening', r));
    const port = wss.address().port;
    const got = [];
    const conns = [];
    wss.on('connection', (ws) => {
        conns.push(ws);
        ws.on('message', (d, isBinary) => got.push({ d: new Uint8Array(d), isBinary }));
    });
    const frames = [];
    const states = [];
    const link = new NetLink(`ws://127.0.0.1:${port}/seg`, {
        onframe: (f) => frames.push(f),
        onstatus: (s) => states.push(s.state),
        backoffMinMs: 50,
        backoffMaxMs: 200,
    });
    try {
        await until('link up', () => link.state === 'up', 5000);
        assert.equal(link.send(new Uint8Array(60).fill(7)), true);
        assert.equal(link.send(new Uint8Array(10)), false, 'a runt must not be sent');
        assert.equal(link.send(new Uint8Array(1519)), false, 'an oversized frame must not be sent');
        await until('frame at the server', () => got.length === 1, 5000);
        assert.equal(got[0].d.length, 60);
        assert.ok(got[0].isBinary, 'frames travel as binary messages');
        const ws = conns[0];
        ws.send(new Uint8Array(13)); // runt
        ws.send(new Uint8Array(1519)); // oversized
        ws.send('text is not a frame');
        ws.send(new Uint8Array(1518).fill(1)); // largest legal (VLAN tag)
        ws.send(new Uint8Array(14).fill(2)); // smallest legal
        await until('two good frames', () => frames.length === 2, 5000);
        assert.deepEqual(frames.map((f) => f.length), [1518, 14]);
        assert.equal(link.status().rxBad, 3);
        assert.equal(link.status().txBad, 2);
        // The relay drops the connection: down, then up again by itself.
        ws.terminate();
        await until('link down', () => link.state === 'down', 5000);
        assert.equal(link.send(new Uint8Array(60)), false, 'frames are dropped while the link is down');
        await until('link up again', () => link.state === 'up' && conns.length === 2, 5000);
        assert.equal(link.status().connects, 2);
        // The relay is gone for good: retries back off (50, 100, 200, 200 ms).
        for (const c of conns) c.terminate();
        await new Promise((r) => wss.close(r));
        await until('several retries', () => states.filter((s) => s === 'down').length >= 4, 10000);
        assert.equal(link.status().retryMs, 200, 'backoff is capped');
    } finally {
        link.close();
        wss.close();
    }
    assert.equal(link.state, 'closed');
});

const man = readManifest();
const linuxSkip = !man ? 'no build/images/manifest.json (make images)' : !existsSync(NETPROXY) ? `${NETPROXY} missing (make netproxy)` : false;

test('worker: Linux guest through netproxy (ws://): DHCP lease, fetch from loopback, link down and up with the relay', { timeout: 420000, skip: linuxSkip }, async () => {
    const token = `net-token-${process.pid}-${Date.now()}`;
    const web = await startHttpServer({ '/token': `${token}\n` });
    let proxy = await startNetproxy(['--nat', '/lan', '--allow-private']);
    const vm = await createWorkerVm();
    const statuses = [];
    vm.onNetStatus((s) => statuses.push(s));
    try {
        const first = await vm.connect_network(proxy.url('/lan'));
        assert.ok(['connecting', 'up'].includes(first.state), `first status ${JSON.stringify(first)}`);
        const g = readGuestFiles(man);
        await vm.start({ ...g, mac: [0x52, 0x54, 0x00, 0xaa, 0x00, 0x01] });
        const t0 = Date.now();
        const m = await vm.expect(PROMPT_OR_DEATH, { timeout: 300000 });
        assert.ok(m[1], `boot failed: ${JSON.stringify(vm.transcript.slice(-600))}`);
        console.log(`# Linux prompt after ${((Date.now() - t0) / 1000).toFixed(1)} s (Node worker, NIC on netproxy)`);
        assert.equal(vm.netStatus.state, 'up', `link state ${JSON.stringify(vm.netStatus)}`);
        assert.equal(vm.netStatus.nic, true);

        await vm.type(guest.lease);
        const l = await vm.expect(guest.leaseRe, { timeout: 90000 });
        assert.equal(l[1], '10.0.2.15', 'DHCP lease from the segment uplink');
        await vm.type(guest.fetch(`http://10.0.2.2:${web.port}/token`));
        const f = await vm.expect(guest.fetchRe, { timeout: 60000 });
        assert.equal(f[2], '0', `wget failed: ${JSON.stringify(f[1])}`);
        assert.equal(f[1].trim(), token);

        // The relay disappears: the worker reports it and the guest's link drops.
        await proxy.stop();
        await until('net-status down', () => vm.netStatus.state === 'down', 10000);
        await vm.type(guest.carrier);
        assert.equal((await vm.expect(guest.carrierRe, { timeout: 30000 }))[1], '0', 'guest carrier while the relay is gone');

        // The relay comes back on the same port: reconnect, link up, traffic flows.
        proxy = await startNetproxy(['--nat', '/lan', '--allow-private'], proxy.port);
        await until('net-status up again', () => vm.netStatus.state === 'up', 20000);
        await vm.type(guest.carrier);
        assert.equal((await vm.expect(guest.carrierRe, { timeout: 30000 }))[1], '1', 'guest carrier after the reconnect');
        await vm.type(guest.fetch(`http://10.0.2.2:${web.port}/token`));
        const f2 = await vm.expect(guest.fetchRe, { timeout: 60000 });
        assert.equal(f2[1].trim(), token, 'fetch after the reconnect');
        assert.ok(statuses.some((s) => s.state === 'down') && statuses.filter((s) => s.state === 'up').length >= 2, 'status messages tell down and up');

        const closed = await vm.disconnect_network();
        assert.equal(closed.state, 'closed');
        await vm.type(guest.carrier);
        assert.equal((await vm.expect(guest.carrierRe, { timeout: 30000 }))[1], '0', 'guest carrier after disconnect_network()');
    } finally {
        vm.terminate();
        await proxy.stop();
        await web.close();
    }
});

test('wasm: in-thread WasmVm with {netUrl}: DHCP lease and a fetch through netproxy', { timeout: 300000, skip: linuxSkip }, async () => {
    const token = `wasm-net-token-${process.pid}-${Date.now()}`;
    const web = await startHttpServer({ '/token': `${token}\n` });
    const proxy = await startNetproxy(['--nat', '/lan', '--allow-private']);
    const g = readGuestFiles(man);
    const vm = new WasmVm(g.kernel, { ...g, netUrl: proxy.url('/lan'), mac: [0x52, 0x54, 0x00, 0xaa, 0x00, 0x02] });
    try {
        vm.run();
        const m = await vm.expect(PROMPT_OR_DEATH, { timeout: 300000 });
        assert.ok(m[1], `boot failed: ${JSON.stringify(vm.transcript.slice(-600))}`);
        assert.equal(vm.netStatus.state, 'up');
        await vm.type(guest.lease);
        assert.equal((await vm.expect(guest.leaseRe, { timeout: 90000 }))[1], '10.0.2.15');
        await vm.type(guest.fetch(`http://10.0.2.2:${web.port}/token`));
        const f = await vm.expect(guest.fetchRe, { timeout: 60000 });
        assert.equal(f[1].trim(), token);
        const bare = new WasmVm(g.kernel, { ...g, memoryMiB: 32 });
        try {
            await assert.rejects(bare.connect_network(proxy.url('/lan')), /no NIC/, 'a machine without a NIC refuses');
        } finally {
            bare.destroy();
        }
    } finally {
        vm.destroy();
        await proxy.stop();
        await web.close();
    }
});
