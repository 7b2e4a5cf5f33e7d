// The page and the embedding in headless Chromium (playwright-core).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, newPage, RESULTS, startServer } from './browser.mjs';
import { HELLO_ELF, readManifest } from './guest.mjs';

let srv;
let browser;
before(async () => {
    srv = await startServer();
    browser = await launch();
});
after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.close();
});

const helloUrl = '/test-files/hello.elf';

// Waits until the page's VM printed text matching re (a RegExp source).
async function pageExpect(page, source, flags = '', timeout = 30000) {
    return page.evaluate(
        ([s, f, t]) => window.riscvVm.expect(new RegExp(s, f), { timeout: t }).then((m) => m[0]),
        [source, flags, timeout],
    );
}

async function openPage(query = '') {
    const page = await newPage(browser);
    await page.goto(`${srv.url}/${query}`);
    await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
    return page;
}

function explain(page, e) {
    return new Error(`${e.message}\npage log:\n${page.logs.join('\n')}`);
}

test('page: served cross-origin isolated with the right MIME types', async () => {
    const page = await newPage(browser);
    try {
        const res = await page.goto(`${srv.url}/?kernel=${helloUrl}`);
        assert.equal(res.headers()['cross-origin-opener-policy'], 'same-origin');
        assert.equal(res.headers()['cross-origin-embedder-policy'], 'require-corp');
        assert.equal(await page.evaluate(() => self.crossOriginIsolated), true);
        const wasm = await page.request.get(`${srv.url}/riscv-vm-core.wasm`);
        assert.equal(wasm.headers()['content-type'], 'application/wasm');
        const js = await page.request.get(`${srv.url}/worker.js`);
        assert.match(js.headers()['content-type'], /^text\/javascript/);
        const part = await page.request.get(`${srv.url}/riscv-vm-core.wasm`, { headers: { Range: 'bytes=0-3' } });
        assert.equal(part.status(), 206);
        assert.deepEqual([...(await part.body())], [0, 0x61, 0x73, 0x6d]);
    } finally {
        await page.close();
    }
});

test('page: a kernel from the URL (?kernel=) boots; stop, start, reset work', { timeout: 120000 }, async () => {
    const page = await openPage(`?kernel=${helloUrl}&mem=64`);
    try {
        await pageExpect(page, 'type a line: ');
        assert.equal(await page.textContent('#power'), 'running');
        await page.click('#btn-stop');
        await page.waitForFunction(() => window.riscvVm.state === 'stopped');
        assert.equal(await page.textContent('#power'), 'paused');
        await page.evaluate(() => window.riscvVm.type('abc'));
        await page.waitForTimeout(300);
        assert.doesNotMatch(await page.evaluate(() => window.riscvVm.transcript), /abc/, 'a stopped machine must not echo');
        await page.click('#btn-start');
        await pageExpect(page, 'abc');
        await page.click('#btn-reset');
        await pageExpect(page, 'Hello from bare-metal RISC-V');
        await pageExpect(page, 'type a line: ');
        await page.evaluate(() => window.riscvVm.type('again\r'));
        await pageExpect(page, 'got 5 chars: again');
        await page.waitForFunction(() => window.riscvVm.state === 'poweroff');
        assert.equal(await page.textContent('#power'), 'powered off');
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

test('page: uploading the bare-metal kernel through the file input boots it', { timeout: 120000 }, async () => {
    const page = await openPage('?machine=own');
    try {
        await page.selectOption('#machine', 'own');
        assert.equal(await page.isVisible('#file-kernel'), true);
        await page.setInputFiles('#file-kernel', HELLO_ELF);
        await page.fill('#own-mem', '64');
        await page.click('#btn-boot-own');
        await pageExpect(page, 'Hello from bare-metal RISC-V');
        await pageExpect(page, 'type a line: ');
        // Through the real terminal: keystrokes into xterm.js.
        await page.click('#terminal');
        await page.keyboard.type('typed');
        await page.keyboard.press('Enter');
        await pageExpect(page, 'got 5 chars: typed');
        await page.waitForFunction(() => window.riscvVm.screenText().includes('got 5 chars: typed'));
        await page.screenshot({ path: join(RESULTS, 'page-upload.png') });
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

test('page: dropping a kernel file on the page boots it', { timeout: 60000 }, async () => {
    const page = await openPage('?machine=own');
    try {
        const dt = await page.evaluateHandle(async (url) => {
            const bytes = await (await fetch(url)).arrayBuffer();
            const t = new DataTransfer();
            t.items.add(new File([bytes], 'hello.elf'));
            return t;
        }, helloUrl);
        await page.dispatchEvent('#terminal', 'dragenter', { dataTransfer: dt });
        assert.equal(await page.isVisible('#drop'), true, 'no drop overlay');
        await page.dispatchEvent('#terminal', 'drop', { dataTransfer: dt });
        await pageExpect(page, 'type a line: ');
        assert.equal(await page.isVisible('#drop'), false);
        assert.equal(await page.inputValue('#machine'), 'own');
        assert.equal(await page.evaluate(() => document.getElementById('file-kernel').files[0].name), 'hello.elf');
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

test('page: a bad kernel file gives a visible error', { timeout: 60000 }, async () => {
    const page = await openPage('?machine=own');
    try {
        await page.selectOption('#machine', 'own');
        // A truncated ELF: the header promises segments the file lacks.
        const truncated = readFileSync(HELLO_ELF).subarray(0, 200);
        await page.setInputFiles('#file-kernel', { name: 'broken.elf', mimeType: 'application/octet-stream', buffer: truncated });
        await page.click('#btn-boot-own');
        await page.waitForSelector('#error:not([hidden])', { timeout: 30000 });
        const text = await page.textContent('#error');
        assert.match(text, /kernel/i);
        assert.equal(await page.isVisible('#error'), true);
        // The worker survived: a good kernel boots afterwards.
        await page.setInputFiles('#file-kernel', HELLO_ELF);
        await page.click('#btn-boot-own');
        await pageExpect(page, 'type a line: ');
        assert.equal(await page.isVisible('#error'), false);
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

test('embed: two <riscv-vm> elements on one page run independently', { timeout: 120000 }, async () => {
    const page = await newPage(browser);
    try {
        await page.goto(`${srv.url}/embed.html?kernel=${helloUrl}&memory=64&count=2`);
        await page.waitForFunction(() => {
            const a = document.getElementById('vm0');
            const b = document.getElementById('vm1');
            return a && a.vm && b && b.vm;
        }, null, { timeout: 30000 });
        await page.evaluate(() => Promise.all([0, 1].map((i) => document.getElementById(`vm${i}`).vm.expect('type a line: ', { timeout: 30000 }))));
        await page.evaluate(() => document.getElementById('vm0').vm.type('one\r'));
        await page.evaluate(() => document.getElementById('vm0').vm.expect('got 3 chars: one', { timeout: 30000 }));
        const t1 = await page.evaluate(() => document.getElementById('vm1').vm.transcript);
        assert.doesNotMatch(t1, /got/);
        await page.evaluate(() => document.getElementById('vm1').vm.type('two\r'));
        await page.evaluate(() => document.getElementById('vm1').vm.expect('got 3 chars: two', { timeout: 30000 }));
        // The output is on screen, in each element's own terminal.
        // (xterm.js renders on the next animation frame, hence the wait.)
        await page.waitForFunction(() => {
            const s = [...document.querySelectorAll('riscv-vm .xterm-rows')].map((e) => e.textContent);
            return s.length === 2 && s[0].includes('got 3 chars: one') && s[1].includes('got 3 chars: two');
        }, null, { timeout: 10000 });
        const screens = await page.$$eval('riscv-vm .xterm-rows', (els) => els.map((e) => e.textContent));
        assert.doesNotMatch(screens[0], /two/);
        assert.doesNotMatch(screens[1], /one/);
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

test('library: WasmVm runs in the page thread (step, run, expect, type)', { timeout: 60000 }, async () => {
    const page = await newPage(browser);
    try {
        await page.goto(`${srv.url}/embed.html?count=0`);
        const got = await page.evaluate(async (url) => {
            const { WasmVm } = await import('/riscv-vm.js');
            const kernel = new Uint8Array(await (await fetch(url)).arrayBuffer());
            await WasmVm.load();
            const vm = new WasmVm(kernel, { memoryMiB: 64 });
            const first = vm.step(500);
            vm.run();
            await vm.expect('type a line: ', { timeout: 20000 });
            await vm.type('main thread\r');
            await vm.expect('got 11 chars: main thread', { timeout: 20000 });
            const end = await vm.whenHalted();
            vm.destroy();
            return { first: first.reason, end: end.state, code: end.exitCode };
        }, helloUrl);
        assert.ok(['budget', 'idle'].includes(got.first));
        assert.equal(got.end, 'poweroff');
        assert.equal(got.code, 0);
    } catch (e) {
        throw explain(page, e);
    } finally {
        await page.close();
    }
});

const man = readManifest();
test('page: the default Linux guest boots to "# " and uname -m prints riscv64', { timeout: 300000, skip: man ? false : 'no build/images/manifest.json (make images)' }, async () => {
    const page = await openPage('');
    try {
        const t0 = Date.now();
        const m = await pageExpect(page, '(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)', 'm', 240000);
        assert.match(m, /# $/, 'boot failed (see build/test-results/page-failed.txt)');
        const secs = (Date.now() - t0) / 1000;
        console.log(`# Linux prompt in the page after ${secs.toFixed(2)} s (download + boot)`);
        await page.click('#terminal');
        await page.keyboard.type('uname -m\n');
        // The command's own output line, not the kernel banner's "riscv64-linux-gnu-gcc".
        const u = await pageExpect(page, 'uname -m\\r?\\n([^\\r\\n]*)\\r?\\n', '', 30000);
        assert.match(u, /\nriscv64\r?\n$/);
        await page.waitForFunction(() => /uname -m\s*\nriscv64\s*\n/.test(window.riscvVm.screenText()), null, { timeout: 10000 });
        await page.waitForTimeout(700); // let the status line show MIPS
        await page.screenshot({ path: join(RESULTS, 'page.png') });
    } catch (e) {
        await page.screenshot({ path: join(RESULTS, 'page-failed.png') }).catch(() => {});
        writeFileSync(join(RESULTS, 'page-failed.txt'), await page.evaluate(() => window.riscvVm && window.riscvVm.transcript).catch(() => ''));
        throw explain(page, e);
    } finally {
        await page.close();
    }
});
