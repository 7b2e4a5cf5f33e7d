// bench-disk: the page's persistent disk (a copy-on-write overlay over a
// lazily fetched base, kept in OPFS, the default, and in IndexedDB,
// ?store=idb) measured from inside the default guest in headless Chromium,
// once per store, each with a profile of its own:
//   - boot to the shell prompt with a cold base cache (new profile), a warm
//     one (same profile again), and, for reference, the whole image
//     downloaded into memory first (?persist=0);
//   - dd sequential write (fsync at the end) and read (after drop_caches),
//     1 MiB blocks;
//   - random 4 KiB reads and writes (each write fsync'd: every one is a
//     guest FLUSH, so a durable commit: a strict IndexedDB transaction, or
//     an OPFS flush), one dd per operation, with the cost of starting dd
//     measured on /dev/zero and subtracted.
// A table at the end puts the two stores side by side. Figures only, never
// a timed assertion. Writes build/bench/disk.json.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createStaticServer } from '../../web/serve.mjs';
import { CHROMIUM } from './browser.mjs';
import { BUILD, IMAGES, readManifest } from './guest.mjs';

const man = readManifest();
if (!man || !man.disk) {
    console.log('SKIP: bench-disk (no default guest with a disk: make images)');
    process.exit(0);
}
const WEB_ROOT = process.env.DISK_WEB_ROOT || join(BUILD, 'web');
const RANDIO = join(BUILD, 'bench', 'randio');
if (!existsSync(RANDIO)) {
    console.log(`SKIP: bench-disk (${RANDIO} is not built: make ${RANDIO})`);
    process.exit(0);
}
const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SEQ_MIB = Number(process.env.DISK_BENCH_MIB || 16);
const RAND_OPS = Number(process.env.DISK_BENCH_OPS || 200);

const http = { bytes: 0, requests: 0 };
const srv = createStaticServer({ root: WEB_ROOT, mounts: [{ prefix: '/images', dir: IMAGES }] });
srv.on('request', (req, res) => {
    if (!req.url.startsWith(`/images/${man.disk}`)) return;
    http.requests++;
    const write = res.write.bind(res);
    res.write = (chunk, ...a) => {
        http.bytes += chunk.length;
        return write(chunk, ...a);
    };
    const end = res.end.bind(res);
    res.end = (chunk, ...a) => {
        if (chunk && typeof chunk !== 'function') http.bytes += chunk.length;
        return end(chunk, ...a);
    };
});
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${srv.address().port}/`;
const STORES = (process.env.DISK_BENCH_STORES || 'opfs,idb').split(',');
const all = { image: man.disk, imageBytes: statSync(join(IMAGES, man.disk)).size, stores: {} };
let profile = '';
let results = null;
let storeQuery = '';

async function session(query = storeQuery) {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS });
    const page = ctx.pages()[0] || (await ctx.newPage());
    http.bytes = 0;
    http.requests = 0;
    const t0 = Date.now();
    await page.goto(url + query);
    await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 60000 });
    await page.evaluate(() => window.riscvVm.expect(/# $/m, { timeout: 300000 }));
    return { ctx, page, bootMs: Date.now() - t0, fetched: http.bytes, requests: http.requests };
}

async function sh(page, cmd, timeout = 600000) {
    const mark = `END${Math.random().toString(36).slice(2, 8)}`;
    const before = await page.evaluate(() => window.riscvVm.transcript.length);
    const t0 = Date.now();
    await page.evaluate((c) => window.riscvVm.type(c), `${cmd}; echo ${mark.slice(0, 3)}''${mark.slice(3)}\n`);
    await page.waitForFunction(([m, b]) => /END\w+\r?\n/.test(window.riscvVm.transcript.slice(b)) && window.riscvVm.transcript.slice(b).includes(m + '\r'), [mark, before], { timeout, polling: 50 });
    const ms = Date.now() - t0;
    const t = await page.evaluate((b) => window.riscvVm.transcript.slice(b), before);
    return { out: t.replace(/\r/g, ''), ms };
}

// BusyBox `time` prints "real 0m 1.23s".
function realSeconds(out) {
    const m = /real\s+(\d+)m\s*([\d.]+)s/.exec(out);
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

const MiB = 1048576;
const fmtMiBs = (bytes, s) => `${(bytes / MiB / s).toFixed(2)} MiB/s`;

async function benchStore() {
    // 1. Cold base cache.
    let s = await session();
    results.coldBootMs = s.bootMs;
    results.coldFetchedBytes = s.fetched;
    results.coldRequests = s.requests;
    console.log(`# boot to prompt, cold base cache: ${(s.bootMs / 1000).toFixed(2)} s (fetched ${(s.fetched / MiB).toFixed(1)} MiB of ${(all.imageBytes / MiB).toFixed(0)} MiB in ${s.requests} range requests)`);
    const p = s.page;
    const listed = (await p.evaluate(() => window.riscvVm.disks.list())).find((d) => d.name === `${man.name}/0`);
    if (!listed || listed.store !== results.store) throw new Error(`the disk is not in ${results.store} (${listed ? listed.store : 'not listed'})`);
    const dropOk = !/can't|No such/.test((await sh(p, 'echo 3 > /proc/sys/vm/drop_caches')).out);
    const drop = dropOk ? 'sync; echo 3 > /proc/sys/vm/drop_caches' : 'sync';
    const b64 = readFileSync(RANDIO).toString('base64').replace(/.{76}/g, '$&\n');
    await sh(p, `base64 -d > /root/randio << 'B64END'\n${b64}\nB64END\nchmod +x /root/randio`);
    // Sequential, timed by dd itself ("N bytes (..) copied, T seconds, ..").
    const ddSeconds = (out) => {
        const m = /copied, ([\d.]+) seconds/.exec(out);
        return m ? Number(m[1]) : realSeconds(out);
    };
    let r = await sh(p, `dd if=/dev/zero of=/root/seq bs=1M count=${SEQ_MIB} conv=fsync 2>&1`);
    let t = ddSeconds(r.out);
    results.seqWriteMiBs = SEQ_MIB / t;
    console.log(`# dd sequential write, ${SEQ_MIB} MiB, bs=1M, conv=fsync: ${fmtMiBs(SEQ_MIB * MiB, t)}`);
    await sh(p, drop);
    r = await sh(p, `dd if=/root/seq of=/dev/null bs=1M 2>&1`);
    t = ddSeconds(r.out);
    results.seqReadMiBs = SEQ_MIB / t;
    console.log(`# dd sequential read, ${SEQ_MIB} MiB, bs=1M${dropOk ? ' (guest caches dropped)' : ' (guest page cache NOT dropped: no drop_caches)'}: ${fmtMiBs(SEQ_MIB * MiB, t)}`);
    // Random 4 KiB with O_DIRECT (no guest page cache), by randio
    // (tests/bench/randio.c), typed into the guest as base64: one process
    // for all the operations, timed inside the guest.
    const randio = async (mode, pre = '') => {
        if (pre) await sh(p, pre);
        const m = /randio \w+ (\d+) ops (\d+) us (\d+) iops/.exec((await sh(p, `/root/randio /root/seq ${RAND_OPS} ${mode}`)).out);
        if (!m) throw new Error(`randio ${mode} printed no figure`);
        return Number(m[3]);
    };
    results.randReadIops = await randio('r', drop);
    results.randWriteSyncIops = await randio('w');
    results.randWriteIops = await randio('wb');
    console.log(`# random 4 KiB (O_DIRECT, ${RAND_OPS} ops): read ${results.randReadIops} IOPS, write + fdatasync each (a durable commit each) ${results.randWriteSyncIops} IOPS, write with one fdatasync at the end ${results.randWriteIops} IOPS`);
    await sh(p, 'rm -f /root/seq /root/randio; sync');
    // The storage layer alone, in the page (no guest, no virtio): what the
    // figures above cost in IndexedDB (OPFS disks open only in workers).
    if (results.store === 'idb') {
    const st = await p.evaluate(async (n) => {
        const { openDisk, remove } = window.riscvVm.disks;
        const MB = 1 << 20;
        const open = () => openDisk({ name: 'bench/0', size: 64 * MB });
        const rnd = () => Math.floor(Math.random() * 4096) * 4096; // within the first 16 MiB
        const buf = new Uint8Array(4096).fill(7);
        const big = new Uint8Array(MB).fill(3);
        const now = () => performance.now();
        let d = await open();
        let t = now();
        for (let i = 0; i < 16; i++) await d.write(i * MB, big);
        await d.flush();
        const seqWrite = 16 / ((now() - t) / 1000);
        t = now();
        for (let i = 0; i < n; i++) {
            await d.write(rnd(), buf);
            await d.flush();
        }
        const randWriteFlushMs = (now() - t) / n;
        t = now();
        for (let i = 0; i < n; i++) await d.write(rnd(), buf);
        await d.flush();
        const randWriteMs = (now() - t) / n;
        await d.close();
        d = await open(); // nothing in memory: every chunk from IndexedDB
        t = now();
        for (let i = 0; i < n; i++) await d.read(rnd(), 4096);
        const randReadColdMs = (now() - t) / n;
        await d.close();
        d = await open();
        t = now();
        for (let i = 0; i < 16; i++) await d.read(i * MB, MB);
        const seqRead = 16 / ((now() - t) / 1000);
        await d.close();
        await remove('bench/0');
        return { seqWrite, seqRead, randWriteFlushMs, randWriteMs, randReadColdMs };
    }, RAND_OPS);
    results.storeLayer = st;
    console.log(`# storage layer in the page: sequential 1 MiB writes + flush ${st.seqWrite.toFixed(1)} MiB/s, reads from IndexedDB ${st.seqRead.toFixed(1)} MiB/s`);
    console.log(`# storage layer in the page: random 4 KiB write+flush ${st.randWriteFlushMs.toFixed(2)} ms (${(1000 / st.randWriteFlushMs).toFixed(0)} IOPS), write (flush at the end) ${st.randWriteMs.toFixed(3)} ms (${(1000 / st.randWriteMs).toFixed(0)} IOPS), read of a chunk not in memory ${st.randReadColdMs.toFixed(2)} ms (${(1000 / st.randReadColdMs).toFixed(0)} IOPS)`);
    }
    await s.ctx.close();

    // 2. Warm base cache: the same profile again.
    s = await session();
    results.warmBootMs = s.bootMs;
    results.warmFetchedBytes = s.fetched;
    console.log(`# boot to prompt, warm base cache: ${(s.bootMs / 1000).toFixed(2)} s (fetched ${(s.fetched / MiB).toFixed(1)} MiB)`);
    await s.ctx.close();

    // 3. Reference: the whole image downloaded into memory, no persistence
    // (once: it has no store).
    if (results.store !== STORES[0]) return;
    s = await session('?persist=0');
    all.inMemoryBootMs = s.bootMs;
    console.log(`# boot to prompt, whole image in memory (?persist=0): ${(s.bootMs / 1000).toFixed(2)} s (fetched ${(s.fetched / MiB).toFixed(1)} MiB)`);
    {
        // The same dd on the in-memory disk: what the guest and virtio cost
        // without any storage behind them.
        const r = await sh(s.page, `dd if=/dev/zero of=/root/seq bs=1M count=${SEQ_MIB} conv=fsync 2>&1`);
        const m = /copied, ([\d.]+) seconds/.exec(r.out);
        if (m) {
            all.inMemorySeqWriteMiBs = SEQ_MIB / Number(m[1]);
            console.log(`# dd sequential write on the in-memory disk (reference): ${all.inMemorySeqWriteMiBs.toFixed(2)} MiB/s`);
        }
    }
    await s.ctx.close();
}

const fix = (v) => (typeof v === 'number' ? v.toFixed(1) : '');

// The stores side by side, and the native figures beside them.
function table() {
    const rows = [
        ['boot to prompt, cold base cache (s)', (r) => (r.coldBootMs ? (r.coldBootMs / 1000).toFixed(2) : '')],
        ['boot to prompt, warm base cache (s)', (r) => (r.warmBootMs ? (r.warmBootMs / 1000).toFixed(2) : '')],
        ['dd sequential write, conv=fsync (MiB/s)', (r) => fix(r.seqWriteMiBs)],
        ['dd sequential read, caches dropped (MiB/s)', (r) => fix(r.seqReadMiBs)],
        ['random 4 KiB read (IOPS)', (r) => r.randReadIops ?? ''],
        ['random 4 KiB write + fdatasync (IOPS)', (r) => r.randWriteSyncIops ?? ''],
        ['random 4 KiB write, one fdatasync (IOPS)', (r) => r.randWriteIops ?? ''],
    ];
    // The page's stores, then the same guest on the command line and on
    // QEMU (tests/bench/disk-native.sh), when those ran.
    const cols = Object.entries(all.stores).map(([k, r]) => [k === 'opfs' ? 'page OPFS' : 'page IndexedDB', r]);
    const names = { file: 'CLI file', overlay: 'CLI overlay', qemu: 'QEMU file' };
    for (const [k, r] of Object.entries(all.native || {})) cols.push([names[k] || k, r]);
    const head = ['', ...cols.map((c) => c[0])];
    const lines = [head, ...rows.map(([name, f]) => [name, ...cols.map((c) => f(c[1]))])];
    const w = head.map((_, i) => Math.max(...lines.map((l) => String(l[i]).length)));
    for (const l of lines) console.log(`# ${l.map((c, i) => (i ? String(c).padStart(w[i]) : String(c).padEnd(w[i]))).join('  ')}`);
    if (all.inMemoryBootMs) console.log(`# (reference: the whole image in memory, ?persist=0: boot ${(all.inMemoryBootMs / 1000).toFixed(2)} s${all.inMemorySeqWriteMiBs ? `, dd write ${all.inMemorySeqWriteMiBs.toFixed(1)} MiB/s` : ''})`);
}

try {
    for (const kind of STORES) {
        profile = mkdtempSync(join(tmpdir(), `riscv-vm-bench-profile-${kind}-`));
        storeQuery = kind === 'opfs' ? '' : `?store=${kind}`;
        results = { store: kind };
        all.stores[kind] = results;
        console.log(`# --- the overlay in ${kind === 'opfs' ? 'OPFS' : 'IndexedDB'}`);
        try {
            await benchStore();
        } finally {
            rmSync(profile, { recursive: true, force: true });
        }
    }
    const nativeFile = join(BUILD, 'bench', 'disk-native.json');
    if (existsSync(nativeFile)) all.native = JSON.parse(readFileSync(nativeFile, 'utf8'));
    table();
    mkdirSync(join(BUILD, 'bench'), { recursive: true });
    writeFileSync(join(BUILD, 'bench', 'disk.json'), `${JSON.stringify(all, null, 2)}\n`);
} catch (e) {
    console.log(`FAIL: bench-disk (${String(e.message || e).split('\n')[0]})`);
    process.exitCode = 1;
} finally {
    await new Promise((r) => srv.close(r));
}
