// Headless Chromium against netproxy's WebTransport listener (issue 8):
// the browser's own WebTransport (serverCertificateHashes, no CA) opens two
// sessions on one segment; a broadcast datagram from one reaches the other,
// a full-size frame crosses on a unidirectional stream (the fallback for
// frames larger than a datagram) and a unicast datagram reaches the learned
// MAC. Native peers are covered by wt_test.c.
//
//   node tests/net/wt/browser_wt.mjs PROXY [ARGS...]
// PROXY takes --wt-cert-gen DIR and --wt-listen/--wt-cert/--wt-key
// (netproxy or the tests' wtproxy). Prints PASS/FAIL/SKIP lines.
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const [proxy, ...proxyArgs] = process.argv.slice(2);
let failures = 0;
const pass = (n) => console.log(`PASS: ${n}`);
const fail = (n, why) => {
    console.log(`FAIL: ${n} (${why})`);
    failures++;
};
const skip = (n, why) => console.log(`SKIP: ${n} (${why})`);

async function main() {
    let chromium;
    try {
        ({ chromium } = await import('playwright-core'));
    } catch {
        skip('wt browser', 'playwright-core missing (npm ci)');
        return;
    }
    if (!existsSync(CHROMIUM)) {
        skip('wt browser', `${CHROMIUM} missing (apt-get install chromium)`);
        return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'wtbrowser.'));
    const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
    try {
        const gen = spawnSync(proxy, [...proxyArgs, '--wt-cert-gen', dir], { encoding: 'utf8' });
        const m = /sha256-base64: (\S+)/.exec(gen.stdout || '');
        if (!m) {
            fail('wt browser: certificate', `no hash from --wt-cert-gen: ${gen.stderr}`);
            return;
        }
        const hash = m[1];

        const port = await new Promise((resolve) => {
            const s = dgram.createSocket('udp4');
            s.bind(0, '127.0.0.1', () => {
                const p = s.address().port;
                s.close(() => resolve(p));
            });
        });
        const px = spawn(proxy, [...proxyArgs, '--wt-listen', `127.0.0.1:${port}`,
            '--wt-cert', join(dir, 'cert.pem'), '--wt-key', join(dir, 'key.pem')],
        { stdio: ['ignore', 'ignore', 'pipe'] });
        let log = '';
        px.stderr.on('data', (d) => { log += d; });
        cleanups.push(() => px.kill('SIGTERM'));
        await new Promise((r) => setTimeout(r, 500));

        // a page on a loopback origin: a secure context, as WebTransport needs
        const server = http.createServer((q, r) => {
            r.writeHead(200, { 'content-type': 'text/html' });
            r.end('<!doctype html><title>wt</title>');
        });
        await new Promise((r) => server.listen(0, '127.0.0.1', r));
        cleanups.push(() => server.close());

        const browser = await chromium.launch({
            executablePath: CHROMIUM,
            headless: true,
            args: ['--no-sandbox', '--headless', '--disable-gpu', '--no-first-run'],
        });
        cleanups.push(() => browser.close());
        const page = await browser.newPage();
        await page.goto(`http://127.0.0.1:${server.address().port}/`);
        const res = await page.evaluate(async ({ port, hash }) => {
            const out = { steps: [] };
            const value = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
            const open = async () => {
                const t = new WebTransport(`https://127.0.0.1:${port}/seg`, {
                    serverCertificateHashes: [{ algorithm: 'sha-256', value }],
                });
                await t.ready;
                return t;
            };
            const timeout = (ms, what) => new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms));
            const frame = (dst, src, tag, len) => {
                const f = new Uint8Array(len);
                f.set(dst, 0);
                f.set(src, 6);
                f[12] = 0x88; f[13] = 0xb5;
                f[14] = tag >> 8; f[15] = tag & 255;
                for (let i = 16; i < len; i++) f[i] = (i * 7 + tag) & 255;
                return f;
            };
            const macA = [0x52, 0x54, 0, 0x66, 0, 1], macB = [0x52, 0x54, 0, 0x66, 0, 2];
            try {
                const a = await Promise.race([open(), timeout(10000, 'session A')]);
                const b = await Promise.race([open(), timeout(10000, 'session B')]);
                out.steps.push('open');
                out.maxDatagram = a.datagrams.maxDatagramSize;
                // B waits for A's broadcast datagram
                const bRead = b.datagrams.readable.getReader();
                const aw = a.datagrams.writable.getWriter();
                const got = (async () => {
                    for (;;) {
                        const { value: d } = await bRead.read();
                        if (d && d.length === 60 && d[14] === 0x11) return d;
                    }
                })();
                // resend a few times: datagrams may be lost even on loopback
                let dg = null;
                for (let i = 0; i < 20 && !dg; i++) {
                    await aw.write(frame([255, 255, 255, 255, 255, 255], macA, 0x1100, 60));
                    dg = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 250))]);
                }
                out.dgram = !!dg;
                // B sends two 1514-byte frames to A on a uni stream (A's MAC
                // is learned): each a 2-byte big-endian length, then the frame
                const incoming = a.incomingUnidirectionalStreams.getReader();
                const s = await b.createUnidirectionalStream();
                const w = s.getWriter();
                for (const tag of [0x2200, 0x2201]) {
                    const f = frame(macA, macB, tag, 1514);
                    const rec = new Uint8Array(2 + f.length);
                    rec[0] = f.length >> 8;
                    rec[1] = f.length & 255;
                    rec.set(f, 2);
                    await w.write(rec);
                }
                const r = await Promise.race([incoming.read(), timeout(5000, 'uni stream')]);
                const rd = r.value.getReader();
                // the relay's stream stays open: parse records until two frames
                let buf = new Uint8Array(0);
                const frames = [];
                while (frames.length < 2) {
                    const { value: chunk, done } = await Promise.race([rd.read(), timeout(5000, 'records')]);
                    if (done) break;
                    const nb = new Uint8Array(buf.length + chunk.length);
                    nb.set(buf);
                    nb.set(chunk, buf.length);
                    buf = nb;
                    while (buf.length >= 2 && buf.length >= 2 + ((buf[0] << 8) | buf[1])) {
                        const len = (buf[0] << 8) | buf[1];
                        frames.push(buf.slice(2, 2 + len));
                        buf = buf.slice(2 + len);
                    }
                }
                await w.close();
                out.streamLen = frames.length ? frames[0].length : 0;
                out.streamTag = frames.length === 2 ? (frames[1][14] << 8) | frames[1][15] : -1;
                // a small datagram from B to A too
                const aRead = a.datagrams.readable.getReader();
                const bw = b.datagrams.writable.getWriter();
                const got2 = (async () => {
                    for (;;) {
                        const { value: d } = await aRead.read();
                        if (d && d[14] === 0x33) return d;
                    }
                })();
                let dg2 = null;
                for (let i = 0; i < 20 && !dg2; i++) {
                    await bw.write(frame(macA, macB, 0x3300, 200));
                    dg2 = await Promise.race([got2, new Promise((r) => setTimeout(() => r(null), 250))]);
                }
                out.dgram2 = !!dg2;
                a.close();
                b.close();
                await Promise.race([a.closed.catch(() => {}), timeout(3000, 'close')]);
            } catch (e) {
                out.error = String(e && e.message ? e.message : e);
            }
            return out;
        }, { port, hash });

        if (res.error && !res.steps.includes('open')) {
            fail('wt browser: Chromium opens WebTransport sessions with serverCertificateHashes', res.error);
            console.log(log.split('\n').slice(-8).map((l) => `    ! ${l}`).join('\n'));
            return;
        }
        pass('wt browser: Chromium opens WebTransport sessions with serverCertificateHashes');
        res.dgram ? pass('wt browser: a broadcast datagram reaches the other session')
            : fail('wt browser: a broadcast datagram reaches the other session', res.error || 'not received');
        res.streamLen === 1514 && res.streamTag === 0x2201
            ? pass('wt browser: 1514-byte frames cross on unidirectional streams both ways (length-prefixed)')
            : fail('wt browser: 1514-byte frames cross on unidirectional streams both ways (length-prefixed)',
                res.error || `got ${res.streamLen} bytes tag ${res.streamTag}`);
        res.dgram2 ? pass('wt browser: a unicast datagram reaches the learned MAC')
            : fail('wt browser: a unicast datagram reaches the learned MAC', res.error || 'not received');
        console.log(`# Chromium maxDatagramSize ${res.maxDatagram}`);
        await new Promise((r) => setTimeout(r, 300));
        const alive = px.exitCode === null;
        for (const l of log.split('\n').filter((x) => / wt (dis)?connect /.test(x))) console.log(`# ${l}`);
        alive ? pass('wt browser: relay still up after the browser sessions closed')
            : fail('wt browser: relay still up after the browser sessions closed', `exit ${px.exitCode}`);
        // SIGTERM: a clean exit (with a sanitizer build: no leak, no overflow)
        const code = await new Promise((resolve) => {
            if (px.exitCode !== null) return resolve(px.exitCode);
            const t = setTimeout(() => { px.kill('SIGKILL'); resolve('killed'); }, 10000);
            px.once('exit', (c, sig) => { clearTimeout(t); resolve(c ?? sig); });
            px.kill('SIGTERM');
        });
        code === 0 ? pass('wt browser: relay exits 0 on SIGTERM afterwards')
            : fail('wt browser: relay exits 0 on SIGTERM afterwards', `exit ${code}: ${log.split('\n').slice(-4).join(' | ')}`);
    } finally {
        for (const c of cleanups.reverse()) {
            try { await c(); } catch { /* best effort */ }
        }
    }
}

await main();
process.exit(failures ? 1 : 0);
