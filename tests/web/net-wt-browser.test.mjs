// The page's network over WebTransport (issue 8) in headless Chromium: the
// worker opens `https://127.0.0.1:PORT/seg#sha256=HASH` to netproxy's
// --wt-listen itself (worker/net/webtransport.mjs), pinning a certificate
// from --wt-cert-gen through serverCertificateHashes (no CA).
//   1. the adapter's pure parts in Node: the URL's hash, the stream records;
//   2. the page's default guest (?net=https://...) and a native CLI guest
//      (--net-wt) on one plain segment: static addresses, each pings the
//      other, then 1400-byte pings (frames over Chromium's maxDatagramSize:
//      the length-prefixed unidirectional stream, both ways).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { certificateHash, RecordParser } from '../../worker/net/webtransport.mjs';
import { transportFor } from '../../worker/net/transports.mjs';
import { launch, newPage, RESULTS, startServer } from './browser.mjs';
import { readManifest } from './guest.mjs';
import { NETPROXY, NativeVm, PROMPT_OR_DEATH, RISCV_VM, guest, startNetproxy } from './netlib.mjs';

const initramfs = readManifest('linux-initramfs');
const hasWt = existsSync(NETPROXY) && /--wt-listen/.test(spawnSync(NETPROXY, ['--help'], { encoding: 'utf8' }).stdout || '');
const skip = !readManifest()
    ? 'no build/images/manifest.json (make images)'
    : !initramfs
      ? 'no initramfs guest in the manifest'
      : !hasWt
        ? `${NETPROXY} missing or without --wt-listen (make netproxy)`
        : !existsSync(RISCV_VM)
          ? `${RISCV_VM} missing (make)`
          : false;

test('webtransport adapter: https:// is WebTransport; #sha256= takes hex (colons allowed) or base64', async () => {
    const { openWebTransport } = await import('../../worker/net/webtransport.mjs');
    // Where WebTransport exists (a stand-in here), https:// picks it; Node
    // itself has none, and is told so at once.
    assert.throws(() => transportFor('https://127.0.0.1:4433/lan#sha256=00'), /no WebTransport/);
    globalThis.WebTransport = function WebTransport() {};
    try {
        assert.equal(transportFor('https://127.0.0.1:4433/lan#sha256=00'), openWebTransport);
    } finally {
        delete globalThis.WebTransport;
    }
    const bytes = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 5) & 255);
    const hex = Buffer.from(bytes).toString('hex');
    assert.deepEqual(certificateHash(`#sha256=${hex}`), bytes);
    assert.deepEqual(certificateHash(`sha256=${hex.toUpperCase().match(/../g).join(':')}`), bytes);
    assert.deepEqual(certificateHash(`#sha256=${Buffer.from(bytes).toString('base64')}`), bytes);
    assert.deepEqual(certificateHash(`#sha256=${encodeURIComponent(Buffer.from(bytes).toString('base64url'))}`), bytes);
    assert.equal(certificateHash(''), null);
    assert.throws(() => certificateHash('#sha256=abcd'), /64 hex digits or base64/);
    assert.throws(() => certificateHash('#md5=00'), /expected #sha256=HASH/);
});

test('webtransport adapter: stream records split at any chunk boundary', () => {
    const frames = [60, 1514, 14, 1201, 1518].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + k) & 255));
    const wire = Buffer.concat(frames.map((f) => Buffer.concat([Buffer.from([f.length >> 8, f.length & 255]), f])));
    for (const step of [1, 2, 3, 7, 100, 1515, wire.length]) {
        const got = [];
        const p = new RecordParser((f) => got.push(f));
        for (let o = 0; o < wire.length; o += step) p.push(new Uint8Array(wire.subarray(o, o + step)));
        assert.equal(got.length, frames.length, `chunks of ${step}`);
        got.forEach((f, i) => assert.deepEqual(f, frames[i], `frame ${i}, chunks of ${step}`));
        assert.equal(p.rest, null, 'nothing left over');
    }
});

let srv;
let browser;
let certDir;
before(async () => {
    if (skip) return;
    srv = await startServer();
    browser = await launch();
    certDir = mkdtempSync(join(tmpdir(), 'netwt.'));
});
after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.close();
    if (certDir) rmSync(certDir, { recursive: true, force: true });
});

async function pageExpect(page, re, timeout = 30000) {
    return page.evaluate(([s, f, t]) => window.riscvVm.expect(new RegExp(s, f), { timeout: t }).then((m) => [...m]), [re.source, re.flags, timeout]);
}
const pageType = (page, text) => page.evaluate((t) => window.riscvVm.type(t), text);

// netproxy with WebSocket and WebTransport listeners on free ports and a
// fresh pinned certificate; adds wtUrl(path).
async function startWtProxy(args = []) {
    const gen = spawnSync(NETPROXY, ['--wt-cert-gen', certDir], { encoding: 'utf8' });
    const m = /sha256-hex: ([0-9a-f]{64})/.exec(gen.stdout || '');
    if (!m) throw new Error(`no hash from --wt-cert-gen: ${gen.stdout} ${gen.stderr}`);
    const proxy = await startNetproxy(['--wt-listen', '127.0.0.1:0', '--wt-cert', join(certDir, 'cert.pem'), '--wt-key', join(certDir, 'key.pem'), ...args]);
    const p = /listening on https:\/\/\S+ \(WebTransport, UDP port (\d+)\)/.exec(proxy.log());
    if (!p) {
        await proxy.stop();
        throw new Error(`no WebTransport port in netproxy's log: ${proxy.log()}`);
    }
    proxy.wtPort = Number(p[1]);
    proxy.wtUrl = (path = '/seg') => `https://127.0.0.1:${proxy.wtPort}${path}#sha256=${m[1]}`;
    return proxy;
}

test('page (?net=https://...#sha256=) + native CLI (--net-wt) on one plain netproxy segment over WebTransport: static addresses, they ping each other, full-size frames too', { timeout: 480000, skip }, async () => {
    const proxy = await startWtProxy([]);
    const url = proxy.wtUrl('/seg');
    const native = new NativeVm(initramfs, ['--net-wt', url, '--mac', '52:54:00:cc:00:02']);
    const page = await newPage(browser);
    try {
        await page.goto(`${srv.url}/?machine=linux-initramfs&persist=0&net=${encodeURIComponent(url)}`);
        await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
        const pm = await pageExpect(page, PROMPT_OR_DEATH, 240000);
        assert.ok(pm[1], 'page guest boot failed');
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'up' && window.riscvVm.netStatus.nic, null, { timeout: 60000 });
        assert.equal(await page.inputValue('#net-url'), url, 'the field shows the URL from ?net=');
        assert.match(proxy.log(), /wt connect \/seg/, 'netproxy saw a WebTransport session on /seg');
        const nm = await native.expect(PROMPT_OR_DEATH, 240000);
        assert.ok(nm[1], 'native guest boot failed');

        const up = (ip) => `ip addr add ${ip}/24 dev eth0; ip link set eth0 up; echo "ad""dr=$?"\n`;
        await pageType(page, up('10.0.4.1'));
        await pageExpect(page, /^addr=0\r?$/m, 30000);
        native.type(up('10.0.4.2'));
        await native.expect(/^addr=0\r?$/m, 30000);

        const ping = (ip, extra = '') => `ping -c 3 -W 5 ${extra}${ip} >/dev/null; echo "pi""ng=$?"\n`;
        await pageType(page, ping('10.0.4.2'));
        const a = await pageExpect(page, /^ping=(\d+)\r?$/m, 60000);
        assert.equal(a[1], '0', 'the page guest pings the native guest');
        native.type(ping('10.0.4.1'));
        const b = await native.expect(/^ping=(\d+)\r?$/m, 60000);
        assert.equal(b[1], '0', 'the native guest pings the page guest');
        // 1442-byte frames: larger than any datagram, so both directions
        // take the length-prefixed stream.
        await pageType(page, ping('10.0.4.2', '-s 1400 '));
        const c = await pageExpect(page, /^ping=(\d+)\r?$/m, 60000);
        assert.equal(c[1], '0', 'the page guest pings the native guest with 1400-byte payloads (stream frames)');

        const st = await page.evaluate(() => window.riscvVm.vm.requestNetStatus());
        console.log(`# page link (WebTransport): rx ${st.rxFrames} tx ${st.txFrames} frames, rxBad ${st.rxBad}, txDropped ${st.txDropped}, queue drops ${st.rxQueueDrops}`);
        assert.ok(st.rxFrames > 0 && st.txFrames > 0, 'the worker counted frames both ways');
        assert.equal(st.rxBad, 0, 'no malformed frames reached the worker');
        // Round trip figure (not an assertion).
        native.type('ping -c 5 -i 0.2 10.0.4.1 | tail -1\n');
        const rtt = await native.expect(/round-trip min\/avg\/max = ([0-9./]+) ms/, 30000);
        console.log(`# ping native -> page over WebTransport: min/avg/max ${rtt[1]} ms`);

        // Disconnecting closes the page's session at once (the native one
        // stays): netproxy's counters show both carriers used both ways.
        await page.evaluate(() => window.riscvVm.vm.disconnect_network());
        const t0 = Date.now();
        let d = null;
        while (!(d = /wt disconnect \/seg \S+: \S+ rx=(\d+)\+(\d+) tx=(\d+)\+(\d+) bad=(\d+)/.exec(proxy.log())) && Date.now() - t0 < 40000) {
            await new Promise((r) => setTimeout(r, 200));
        }
        assert.ok(d, "netproxy logged the page's session end");
        console.log(`# ${d[0]} (${Date.now() - t0} ms after disconnect)`);
        const [rxDgram, rxStream, txDgram, txStream, bad] = d.slice(1).map(Number);
        assert.ok(rxDgram > 0 && txDgram > 0, 'small frames crossed as datagrams both ways');
        assert.ok(rxStream >= 3 && txStream >= 3, 'the 1442-byte frames crossed on the page\'s stream and to it');
        assert.equal(bad, 0, 'no malformed datagrams or records from the page');
    } catch (e) {
        await page.screenshot({ path: join(RESULTS, 'page-net-wt-failed.png') }).catch(() => {});
        writeFileSync(join(RESULTS, 'page-net-wt-failed.txt'), await page.evaluate(() => window.riscvVm && window.riscvVm.transcript).catch(() => ''));
        throw new Error(`${e.message}\npage log:\n${page.logs.join('\n')}\nnetproxy log:\n${proxy.log().split('\n').slice(-12).join('\n')}`);
    } finally {
        await page.close();
        await native.stop();
        await proxy.stop();
    }
});

test('page over WebTransport: losing the relay shows as link down (page and guest carrier), and it reconnects when the relay is back', { timeout: 300000, skip }, async () => {
    let proxy = await startWtProxy([]);
    const url = proxy.wtUrl('/seg');
    const wtPort = proxy.wtPort;
    const page = await newPage(browser);
    const netState = () => page.evaluate(() => window.riscvVm.netStatus);
    try {
        await page.goto(`${srv.url}/?machine=linux-initramfs&persist=0&net=${encodeURIComponent(url)}`);
        await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
        const pm = await pageExpect(page, PROMPT_OR_DEATH, 240000);
        assert.ok(pm[1], 'page guest boot failed');
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'up', null, { timeout: 60000 });
        await pageType(page, guest.carrier);
        assert.equal((await pageExpect(page, guest.carrierRe, 30000))[1], '1', 'carrier up with the session');

        await proxy.stop();
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'down', null, { timeout: 60000 });
        const down = await netState();
        console.log(`# relay gone: link ${down.state} (${down.reason}), retry in ${down.retryMs} ms`);
        await pageType(page, guest.carrier);
        assert.equal((await pageExpect(page, guest.carrierRe, 30000))[1], '0', 'carrier down without the session');

        // The same UDP port and certificate: the pinned URL works again.
        proxy = await startNetproxy(['--wt-listen', `127.0.0.1:${wtPort}`, '--wt-cert', join(certDir, 'cert.pem'), '--wt-key', join(certDir, 'key.pem')]);
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'up', null, { timeout: 60000 });
        const up = await netState();
        assert.ok(up.connects >= 2, `reconnected (connects ${up.connects})`);
        await pageType(page, guest.carrier);
        assert.equal((await pageExpect(page, guest.carrierRe, 30000))[1], '1', 'carrier up again');
        assert.match(proxy.log(), /wt connect \/seg/, 'the new relay saw the session');
    } catch (e) {
        throw new Error(`${e.message}\npage log:\n${page.logs.join('\n')}\nnetproxy log:\n${proxy.log().split('\n').slice(-8).join('\n')}`);
    } finally {
        await page.close();
        await proxy.stop();
    }
});
