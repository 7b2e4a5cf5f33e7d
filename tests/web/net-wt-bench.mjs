// bench-web-wt (issue 8): guest -> host TCP throughput (BusyBox dd | nc into
// a sink on the host's loopback) through one netproxy (--nat /lan
// --allow-private, WebSocket and WebTransport listeners), from the page in
// headless Chromium over WebTransport beside WebSocket, and from the native
// CLI over --net-wt. Loopback, no loss. Figures, never assertions.
// Environment: MB (MiB sent, default 16).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, newPage, startServer } from './browser.mjs';
import { readManifest } from './guest.mjs';
import { NETPROXY, NativeVm, PROMPT_OR_DEATH, RISCV_VM, guest, startNetproxy, startSink } from './netlib.mjs';

const MB = Number(process.env.MB || 16);
const say = (s) => console.log(`bench-web-wt: ${s}`);
const send = (port) => `dd if=/dev/zero bs=65536 count=${MB * 16} 2>/dev/null | nc 10.0.2.2 ${port}; echo "se""nt=$?"\n`;
const fmt = (name, r) => `${name.padEnd(40)} ${(r.bytes / r.seconds / 1e6).toFixed(1).padStart(6)} MB/s (${r.bytes} bytes in ${r.seconds.toFixed(2)} s)`;

async function pageRun(url, sink) {
    const srv = await startServer();
    const browser = await launch();
    try {
        const page = await newPage(browser);
        await page.goto(`${srv.url}/?machine=linux-initramfs&persist=0&net=${encodeURIComponent(url)}`);
        await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
        const ev = (re, t) => page.evaluate(([s, f, tt]) => window.riscvVm.expect(new RegExp(s, f), { timeout: tt }).then((m) => [...m]), [re.source, re.flags, t]);
        const m = await ev(PROMPT_OR_DEATH, 240000);
        if (!m[1]) throw new Error('page guest did not boot');
        await page.evaluate((t) => window.riscvVm.type(t), guest.lease);
        await ev(guest.leaseRe, 90000);
        const got = sink.next(600000);
        await page.evaluate((t) => window.riscvVm.type(t), send(sink.port));
        const r = await got;
        const st = await page.evaluate(() => window.riscvVm.vm.requestNetStatus());
        // a clean session end (netproxy logs its counters), not an idle timeout
        await page.evaluate(() => window.riscvVm.vm.disconnect_network()).catch(() => {});
        return { r, st };
    } finally {
        await browser.close();
        await srv.close();
    }
}

async function nativeRun(man, url, sink) {
    const vm = new NativeVm(man, ['--net-wt', url, '--mac', '52:54:00:cc:00:03']);
    try {
        const m = await vm.expect(PROMPT_OR_DEATH, 240000);
        if (!m[1]) throw new Error('native guest did not boot');
        vm.type(guest.lease);
        await vm.expect(guest.leaseRe, 90000);
        const got = sink.next(600000);
        vm.type(send(sink.port));
        return await got;
    } finally {
        await vm.stop();
    }
}

async function main() {
    const man = readManifest('linux-initramfs');
    if (!man) return say('no build/images/manifest.json (make images); skipped');
    if (!existsSync(NETPROXY)) return say(`${NETPROXY} missing (make netproxy); skipped`);
    const dir = mkdtempSync(join(tmpdir(), 'netwtbench.'));
    const gen = spawnSync(NETPROXY, ['--wt-cert-gen', dir], { encoding: 'utf8' });
    const h = /sha256-hex: ([0-9a-f]{64})/.exec(gen.stdout || '');
    if (!h) {
        rmSync(dir, { recursive: true, force: true });
        return say(`no certificate from --wt-cert-gen (${(gen.stderr || '').trim()}); skipped`);
    }
    say(`guest -> host TCP, ${MB} MiB (dd | nc) through netproxy --nat --allow-private, one run each`);
    const proxy = await startNetproxy(['--wt-listen', '127.0.0.1:0', '--wt-cert', join(dir, 'cert.pem'), '--wt-key', join(dir, 'key.pem'), '--nat', '/lan', '--allow-private']);
    const sink = await startSink();
    try {
        const p = /listening on https:\/\/\S+ \(WebTransport, UDP port (\d+)\)/.exec(proxy.log());
        if (!p) throw new Error(`no WebTransport port in netproxy's log: ${proxy.log()}`);
        const wtUrl = `https://127.0.0.1:${p[1]}/lan#sha256=${h[1]}`;
        for (const [name, url] of [['page (Chromium worker, https:// WT)', wtUrl], ['page (Chromium worker, ws://)', proxy.url('/lan')]]) {
            try {
                const { r, st } = await pageRun(url, sink);
                say(fmt(name, r));
                say(`  link counters: rx ${st.rxFrames} tx ${st.txFrames} txDropped ${st.txDropped} rxQueueDrops ${st.rxQueueDrops}`);
            } catch (e) {
                say(`${name}: no figure (${e.message.split('\n')[0]})`);
            }
        }
        if (existsSync(RISCV_VM)) {
            try {
                say(fmt('native CLI (--net-wt https://)', await nativeRun(man, wtUrl, sink)));
            } catch (e) {
                say(`native: no figure (${e.message.split('\n')[0]})`);
            }
        } else say(`${RISCV_VM} missing: no native figure`);
        for (const l of proxy.log().split('\n').filter((x) => / wt (dis)?connect /.test(x))) say(`  ${l.replace(/^\S+ netproxy: /, '')}`);
    } finally {
        await sink.close();
        await proxy.stop();
        rmSync(dir, { recursive: true, force: true });
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
