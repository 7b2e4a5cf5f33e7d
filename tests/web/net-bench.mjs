// bench-web-net (issue 7): guest -> host TCP throughput (BusyBox dd | nc into
// a sink on the host's loopback) through netproxy on a --nat --allow-private
// segment, from the page in headless Chromium (the worker's WebSocket) and
// from the native CLI (--net-ws) on the same relay. Figures, never
// assertions. Environment: MB (MiB sent, default 16).
import { existsSync } from 'node:fs';
import { launch, newPage, startServer } from './browser.mjs';
import { createWorkerVm } from 'virtual-machine';
import { readGuestFiles, readManifest } from './guest.mjs';
import { NETPROXY, NativeVm, PROMPT_OR_DEATH, RISCV_VM, guest, startNetproxy, startSink } from './netlib.mjs';

const MB = Number(process.env.MB || 16);
const say = (s) => console.log(`bench-web-net: ${s}`);
const send = (port) => `dd if=/dev/zero bs=65536 count=${MB * 16} 2>/dev/null | nc 10.0.2.2 ${port}; echo "se""nt=$?"\n`;
const fmt = (name, r) => `${name.padEnd(38)} ${(r.bytes / r.seconds / 1e6).toFixed(1).padStart(6)} MB/s (${r.bytes} bytes in ${r.seconds.toFixed(2)} s)`;

async function pageRun(proxy, sink) {
    const srv = await startServer();
    const browser = await launch();
    try {
        const page = await newPage(browser);
        await page.goto(`${srv.url}/?machine=linux-initramfs&net=${encodeURIComponent(proxy.url('/lan'))}`);
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
        return { r, st };
    } finally {
        await browser.close();
        await srv.close();
    }
}

// The same worker code under Node (worker_threads, the `ws` package): tells
// the browser's share of the cost apart from the wasm core's.
async function nodeWorkerRun(man, proxy, sink) {
    const vm = await createWorkerVm();
    try {
        await vm.connect_network(proxy.url('/lan'));
        await vm.start({ ...readGuestFiles(man), mac: [0x52, 0x54, 0x00, 0xbb, 0x00, 0x04] });
        const m = await vm.expect(PROMPT_OR_DEATH, { timeout: 240000 });
        if (!m[1]) throw new Error('Node worker guest did not boot');
        await vm.type(guest.lease);
        await vm.expect(guest.leaseRe, { timeout: 90000 });
        const got = sink.next(600000);
        await vm.type(send(sink.port));
        return await got;
    } finally {
        vm.terminate();
    }
}

async function nativeRun(man, proxy, sink) {
    const vm = new NativeVm(man, ['--net-ws', proxy.url('/lan'), '--mac', '52:54:00:bb:00:03']);
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
    say(`guest -> host TCP, ${MB} MiB (dd | nc) through netproxy --nat --allow-private, one run each`);
    const proxy = await startNetproxy(['--nat', '/lan', '--allow-private']);
    const sink = await startSink();
    try {
        try {
            const { r, st } = await pageRun(proxy, sink);
            say(fmt('page (Chromium worker, ws://)', r));
            say(`  page link counters: rx ${st.rxFrames} tx ${st.txFrames} txDropped ${st.txDropped} rxQueueDrops ${st.rxQueueDrops}`);
        } catch (e) {
            say(`page: no figure (${e.message.split('\n')[0]})`);
        }
        try {
            say(fmt('Node worker (worker_threads, ws://)', await nodeWorkerRun(man, proxy, sink)));
        } catch (e) {
            say(`Node worker: no figure (${e.message.split('\n')[0]})`);
        }
        if (existsSync(RISCV_VM)) {
            try {
                say(fmt('native CLI (--net-ws ws://)', await nativeRun(man, proxy, sink)));
            } catch (e) {
                say(`native: no figure (${e.message.split('\n')[0]})`);
            }
        } else say(`${RISCV_VM} missing: no native figure`);
    } finally {
        await sink.close();
        await proxy.stop();
    }
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
