// Disks that persist in the browser, end to end in headless Chromium with a
// persistent profile (playwright-core, Debian's chromium), once for each
// store of the overlay: OPFS (the default where the worker has synchronous
// access handles, as Chromium does) and IndexedDB (?store=idb):
//   1. the page boots the default guest over its base image (fetched lazily
//      with Range requests); the guest writes files in /root and syncs; the
//      browser closes;
//   2. a new browser on the same profile boots again and reads them back;
//      the disk manager exports the disk and its bytes hold what the guest
//      wrote (read with debugfs from the exported ext4 image);
//   3. a second tab of the same profile cannot write the disk (IndexedDB:
//      it gets it read-only; OPFS: a clear message); after power-off the
//      disk manager's worker exports it, and "Reset" brings the base back;
//   4. an image uploaded through the disk manager boots as the root disk.
// DISK_WEB_ROOT overrides the page's directory (default build/web).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { createStaticServer } from '../../web/serve.mjs';
import { CHROMIUM, RESULTS } from './browser.mjs';
import { BUILD, IMAGES, readManifest } from './guest.mjs';

const man = readManifest();
const WEB_ROOT = process.env.DISK_WEB_ROOT || join(BUILD, 'web');
const skip = !man || !man.disk ? 'no default guest with a disk (make images)' : !existsSync(CHROMIUM) ? `${CHROMIUM} not found` : !existsSync(join(WEB_ROOT, 'page.js')) ? 'the page is not built (make web)' : false;

const ARGS = ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const TOKEN = `t${process.pid}x${Date.now() % 100000}`;
const BLOB = 300000; // bytes of /root/blob: several chunks and ext4 blocks
// What `yes persist-$T | head -c N` writes in the guest.
const blobBytes = () => Buffer.from(`persist-${TOKEN}\n`.repeat(Math.ceil(BLOB / (TOKEN.length + 9)) + 1)).subarray(0, BLOB);

let srv = null;
let base = '';
let url = '';
let profile = '';
let store = '';
const http = { requests: 0, bytes: 0, ranges: 0 };
const profiles = [];

before(async () => {
    if (skip) return;
    srv = createStaticServer({ root: WEB_ROOT, mounts: [{ prefix: '/images', dir: IMAGES }] });
    srv.on('request', (req, res) => {
        if (!req.url.startsWith(`/images/${man.disk}`)) return;
        http.requests++;
        if (req.headers.range) http.ranges++;
        const write = res.write.bind(res);
        res.write = (chunk, ...a) => {
            http.bytes += chunk.length;
            return write(chunk, ...a);
        };
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${srv.address().port}/`;
});

after(async () => {
    if (srv) await new Promise((r) => srv.close(r));
    for (const p of profiles) rmSync(p, { recursive: true, force: true });
});

// Each store gets a fresh profile and the page with its ?store= choice.
function useStore(kind) {
    store = kind;
    profile = mkdtempSync(join(tmpdir(), `riscv-vm-profile-${kind}-`));
    profiles.push(profile);
    url = kind === 'opfs' ? base : `${base}?store=${kind}`;
    http.requests = http.bytes = http.ranges = 0;
}

async function openBrowser() {
    const ctx = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: ARGS, acceptDownloads: true, viewport: { width: 1100, height: 700 } });
    const page = ctx.pages()[0] || (await ctx.newPage());
    page.logs = [];
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') page.logs.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message}`));
    return { ctx, page };
}

const expect = (page, source, timeout = 240000) =>
    page.evaluate(([s, t]) => window.riscvVm.expect(new RegExp(s, 'm'), { timeout: t }).then((m) => m[0]), [source, timeout]);

// Runs a shell command in the guest; resolves with what it printed.
async function sh(page, cmd, timeout = 120000) {
    const mark = `END${Math.random().toString(36).slice(2, 8)}`;
    const before = await page.evaluate(() => window.riscvVm.transcript.length);
    await page.evaluate((c) => window.riscvVm.type(c), `${cmd}; echo ${mark.slice(0, 3)}''${mark.slice(3)}\n`);
    await page.waitForFunction(([m, b]) => window.riscvVm.transcript.slice(b).includes(`${m}\n`) || window.riscvVm.transcript.slice(b).includes(`${m}\r\n`), [mark, before], { timeout });
    const t = await page.evaluate((b) => window.riscvVm.transcript.slice(b), before);
    const body = t.slice(t.indexOf('\n') + 1); // drop the echoed command line
    return body.slice(0, body.lastIndexOf(mark)).replace(/\r/g, '');
}

async function bootDefault(page) {
    await page.goto(url);
    await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
    const m = await expect(page, '(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)');
    assert.match(m, /# $/, 'no shell prompt');
}

// Polls an async page function until it returns something truthy
// (page.waitForFunction would take the Promise an async function returns as
// truthy at once).
async function until(page, fn, arg, { timeout = 30000, what = 'condition' } = {}) {
    const end = Date.now() + timeout;
    for (;;) {
        if (await page.evaluate(fn, arg)) return;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

// Exports the default disk through the disk manager's button and checks
// the files the guest wrote in the downloaded image (debugfs).
async function exportAndCheck(page, size, when) {
    await page.evaluate(() => {
        document.getElementById('disks').open = true;
    });
    await page.evaluate(() => window.riscvVm.disks.refresh());
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120000 }), page.click(`tr[data-disk="${man.name}/0"] button[data-action="export"]`)]);
    const file = join(RESULTS, `disk-export-${store}-${when}.img`);
    await download.saveAs(file);
    await page.waitForFunction(() => document.getElementById('disk-progress').hidden, null, { timeout: 30000 });
    try {
        assert.equal(statSync(file).size, size, `the export (${when}) has the disk size`);
        const cat = (p) => execFileSync('debugfs', ['-R', `cat ${p}`, file], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 16 << 20 });
        assert.equal(cat('/root/persist.txt').toString(), `persist-${TOKEN}\n`);
        assert.ok(cat('/root/blob').equals(blobBytes()), `the disk exported (${when}) holds the bytes the guest wrote`);
    } finally {
        rmSync(file, { force: true });
    }
}

function explain(page, e) {
    return new Error(`${e.message}\npage log:\n${(page.logs || []).join('\n')}`);
}

for (const kind of ['opfs', 'idb']) {
describe(`disk-browser (${kind})`, () => {
    before(() => {
        if (!skip) useStore(kind);
    });

    test(`disk-browser (${kind}): a file written and synced in the guest survives closing the browser`, { skip, timeout: 600000 }, async () => {
        let { ctx, page } = await openBrowser();
        try {
            await bootDefault(page);
            const size = statSync(join(IMAGES, man.disk)).size;
            assert.ok(http.ranges > 0, 'the base image is read with Range requests');
            assert.ok(http.bytes < size, `lazy: ${http.bytes} of ${size} bytes fetched to boot`);
            console.log(`# boot fetched ${(http.bytes / 1048576).toFixed(1)} MiB of the ${(size / 1048576).toFixed(0)} MiB base in ${http.requests} requests`);
            const out = await sh(page, `T=${TOKEN}; echo persist-$T > /root/persist.txt; yes persist-$T | head -c ${BLOB} > /root/blob; sync; echo wrote-$T`);
            assert.match(out, new RegExp(`wrote-${TOKEN}`));
        } catch (e) {
            throw explain(page, e);
        } finally {
            await ctx.close();
        }
        ({ ctx, page } = await openBrowser());
        try {
            await bootDefault(page);
            assert.match(await sh(page, 'cat /root/persist.txt'), new RegExp(`^persist-${TOKEN}$`, 'm'));
            const want = createHash('md5').update(blobBytes()).digest('hex');
            assert.match(await sh(page, 'md5sum /root/blob'), new RegExp(`^${want} `, 'm'), 'the blob reads back intact');
            const disks = await page.evaluate(() => window.riscvVm.disks.list());
            const d = disks.find((x) => x.name === `${man.name}/0`);
            assert.ok(d, `the disk manager lists ${man.name}/0`);
            assert.ok(d.used > 0 && d.used < d.size, `sparse overlay (${d.used} of ${d.size} bytes)`);
            assert.equal(d.store, store, `the overlay is in ${store}`);
            // Export through the disk manager's button (a download), while
            // the machine runs: read through its worker.
            await exportAndCheck(page, d.size, 'running');
            await page.screenshot({ path: join(RESULTS, `disk-manager-${store}.png`) });
        } catch (e) {
            throw explain(page, e);
        } finally {
            await ctx.close();
        }
    });

    test(`disk-browser (${kind}): a second tab cannot write the disk; after power-off the disk worker exports it and reset brings the base back`, { skip, timeout: 600000 }, async () => {
        const { ctx, page } = await openBrowser();
        try {
            await bootDefault(page);
            assert.match(await sh(page, 'cat /root/persist.txt'), new RegExp(`persist-${TOKEN}`));
            // A second tab of the same profile: the lock is held by the first.
            const other = await ctx.newPage();
            await other.goto(url);
            // IndexedDB: the second tab boots with the disk read-only. OPFS:
            // the file is locked, so it is told to close the other tab.
            const want = store === 'idb' ? 'another tab or window: it is read-only here' : 'another tab or window \\(its changes are in OPFS';
            await other.waitForFunction((w) => !document.getElementById('error').hidden && new RegExp(w).test(document.getElementById('error').textContent), want, { timeout: 60000 });
            if (store === 'opfs') assert.doesNotMatch(await other.evaluate(() => document.getElementById('error').textContent), /read-only here/, 'no read-only notice for an OPFS disk');
            await other.close();
            // Reset refuses while the machine runs, then works after power-off.
            await page.evaluate(() => {
                document.getElementById('disks').open = true;
            });
            await page.evaluate(() => window.riscvVm.disks.refresh());
            await page.click(`tr[data-disk="${man.name}/0"] button[data-action="reset"]`);
            await page.waitForFunction(() => /in use/.test(document.getElementById('error').textContent), null, { timeout: 30000 });
            await page.evaluate(() => window.riscvVm.type('poweroff -f\n'));
            await page.waitForFunction(() => window.riscvVm.state === 'poweroff', null, { timeout: 60000 });
            await until(page, async (n) => !(await window.riscvVm.disks.inUse(n)), `${man.name}/0`, { what: 'the disk to be closed' });
            // The machine let go of it: the disk manager's own worker reads it.
            await exportAndCheck(page, (await page.evaluate(() => window.riscvVm.disks.list())).find((x) => x.name === `${man.name}/0`).size, 'stopped');
            await page.click(`tr[data-disk="${man.name}/0"] button[data-action="reset"]`);
            await until(page, async (n) => (await window.riscvVm.disks.list()).find((d) => d.name === n).used === 0, `${man.name}/0`, { what: 'the reset' });
            await page.click('#btn-start');
            await expect(page, '# $');
            assert.match(await sh(page, 'cat /root/persist.txt 2>&1'), /No such file/);
        } catch (e) {
            throw explain(page, e);
        } finally {
            await ctx.close();
        }
    });

    test(`disk-browser (${kind}): an image uploaded in the disk manager boots as the root disk`, { skip, timeout: 600000 }, async () => {
        const { ctx, page } = await openBrowser();
        try {
            await page.goto(`${url}${url.includes('?') ? '&' : '?'}machine=own`);
            await page.waitForFunction(() => window.riscvVm && window.riscvVm.disks, null, { timeout: 30000 });
            await page.evaluate(() => {
                document.getElementById('disks').open = true;
            });
            await page.setInputFiles('#disk-upload', join(IMAGES, man.disk));
            const name = `upload/${man.disk}`;
            await page.waitForSelector(`tr[data-disk="${name}"]`, { timeout: 120000 });
            await page.click(`tr[data-disk="${name}"] button[data-action="boot"]`);
            await expect(page, '# $');
            assert.match(await sh(page, `echo up-${TOKEN} > /root/up.txt; sync; cat /root/up.txt`), new RegExp(`up-${TOKEN}`));
            assert.doesNotMatch(await sh(page, 'ls /root'), /persist\.txt/, 'a disk of its own');
            const up = (await page.evaluate(() => window.riscvVm.disks.list())).find((x) => x.name === name);
            assert.equal(up.store, store, `the uploaded disk keeps its changes in ${store}`);
            assert.ok(up.used > 0, 'its overlay holds what the guest wrote');
        } catch (e) {
            throw explain(page, e);
        } finally {
            await ctx.close();
        }
    });
});
}
