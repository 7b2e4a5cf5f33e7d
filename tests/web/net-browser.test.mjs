// The page's network (issue 7) in headless Chromium: the worker opens the
// WebSocket to netproxy itself.
//   1. ?net=ws://.../lan on a --nat --allow-private segment: the default
//      guest gets a DHCP lease and fetches from an HTTP server on loopback.
//   2. The network field (connect after boot: the page power-cycles the
//      machine to give it a NIC) on a plain segment shared with a native
//      CLI guest (--net-ws): static addresses, each pings the other.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { launch, newPage, RESULTS, startServer } from './browser.mjs';
import { readManifest } from './guest.mjs';
import { NETPROXY, NativeVm, PROMPT_OR_DEATH, RISCV_VM, guest, startHttpServer, startNetproxy } from './netlib.mjs';

const man = readManifest();
const initramfs = readManifest('linux-initramfs');
const skip = !man ? 'no build/images/manifest.json (make images)' : !existsSync(NETPROXY) ? `${NETPROXY} missing (make netproxy)` : false;

let srv;
let browser;
before(async () => {
    if (skip) return;
    srv = await startServer();
    browser = await launch();
});
after(async () => {
    if (browser) await browser.close();
    if (srv) await srv.close();
});

async function pageExpect(page, re, timeout = 30000) {
    return page.evaluate(([s, f, t]) => window.riscvVm.expect(new RegExp(s, f), { timeout: t }).then((m) => [...m]), [re.source, re.flags, timeout]);
}
const pageType = (page, text) => page.evaluate((t) => window.riscvVm.type(t), text);

async function openPage(query) {
    const page = await newPage(browser);
    await page.goto(`${srv.url}/${query}`);
    await page.waitForFunction(() => window.riscvVm && window.riscvVm.vm, null, { timeout: 30000 });
    return page;
}

async function keepEvidence(page, name, e) {
    await page.screenshot({ path: join(RESULTS, `${name}-failed.png`) }).catch(() => {});
    writeFileSync(join(RESULTS, `${name}-failed.txt`), await page.evaluate(() => window.riscvVm && window.riscvVm.transcript).catch(() => ''));
    return new Error(`${e.message}\npage log:\n${page.logs.join('\n')}`);
}

test('page: ?net= connects the default guest to netproxy: DHCP lease and a fetch from a loopback HTTP server', { timeout: 360000, skip }, async () => {
    const token = `page-net-token-${process.pid}-${Date.now()}`;
    const web = await startHttpServer({ '/token': `${token}\n` });
    const proxy = await startNetproxy(['--nat', '/lan', '--allow-private']);
    const page = await openPage(`?persist=0&net=${encodeURIComponent(proxy.url('/lan'))}`);
    try {
        const m = await pageExpect(page, PROMPT_OR_DEATH, 240000);
        assert.ok(m[1], 'boot failed (see build/test-results/page-net-failed.txt)');
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'up', null, { timeout: 30000 });
        assert.equal(await page.inputValue('#net-url'), proxy.url('/lan'), 'the field shows the URL from ?net=');
        assert.equal(await page.textContent('#net-status'), 'link up');
        await pageType(page, guest.lease);
        const l = await pageExpect(page, guest.leaseRe, 90000);
        assert.equal(l[1], '10.0.2.15', 'DHCP lease from the segment uplink');
        await pageType(page, guest.fetch(`http://10.0.2.2:${web.port}/token`));
        const f = await pageExpect(page, guest.fetchRe, 60000);
        assert.equal(f[2], '0', `wget failed: ${JSON.stringify(f[1])}`);
        assert.equal(f[1].trim(), token);
        const st = await page.evaluate(() => window.riscvVm.vm.requestNetStatus());
        console.log(`# page link: rx ${st.rxFrames} tx ${st.txFrames} frames, rxBad ${st.rxBad}, queue drops ${st.rxQueueDrops}`);
        assert.ok(st.rxFrames > 0 && st.txFrames > 0, 'the worker counted frames both ways');
        assert.match(proxy.log(), /connect \/lan/, 'netproxy saw the page connect');
    } catch (e) {
        throw await keepEvidence(page, 'page-net', e);
    } finally {
        await page.close();
        await proxy.stop();
        await web.close();
    }
});

test('page + native CLI on one plain netproxy segment: static addresses, they ping each other', { timeout: 420000, skip: skip || (!initramfs ? 'no initramfs guest in the manifest' : !existsSync(RISCV_VM) ? `${RISCV_VM} missing (make)` : false) }, async () => {
    const proxy = await startNetproxy([]);
    const url = proxy.url('/seg');
    const native = new NativeVm(initramfs, ['--net-ws', url, '--mac', '52:54:00:bb:00:02']);
    const page = await openPage('?machine=linux-initramfs');
    try {
        const pm = await pageExpect(page, PROMPT_OR_DEATH, 240000);
        assert.ok(pm[1], 'page guest boot failed');
        // Connect through the page's field after the boot: no NIC yet, so
        // the page power-cycles the machine with one.
        await page.fill('#net-url', url);
        await page.click('#btn-net');
        await page.waitForFunction(() => window.riscvVm.netStatus.state === 'up' && window.riscvVm.netStatus.nic, null, { timeout: 60000 });
        const pm2 = await pageExpect(page, PROMPT_OR_DEATH, 240000);
        assert.ok(pm2[1], 'page guest reboot with a NIC failed');
        const nm = await native.expect(PROMPT_OR_DEATH, 240000);
        assert.ok(nm[1], 'native guest boot failed');

        const up = (ip) => `ip addr add ${ip}/24 dev eth0; ip link set eth0 up; echo "ad""dr=$?"\n`;
        await pageType(page, up('10.0.3.1'));
        await pageExpect(page, /^addr=0\r?$/m, 30000);
        native.type(up('10.0.3.2'));
        await native.expect(/^addr=0\r?$/m, 30000);

        const ping = (ip) => `ping -c 3 -W 5 ${ip} >/dev/null; echo "pi""ng=$?"\n`;
        await pageType(page, ping('10.0.3.2'));
        const a = await pageExpect(page, /^ping=(\d+)\r?$/m, 60000);
        assert.equal(a[1], '0', 'the page guest pings the native guest');
        native.type(ping('10.0.3.1'));
        const b = await native.expect(/^ping=(\d+)\r?$/m, 60000);
        assert.equal(b[1], '0', 'the native guest pings the page guest');
        // Round trip figure (not an assertion).
        native.type('ping -c 5 -i 0.2 10.0.3.1 | tail -1\n');
        const rtt = await native.expect(/round-trip min\/avg\/max = ([0-9./]+) ms/, 30000);
        console.log(`# ping native -> page over netproxy: min/avg/max ${rtt[1]} ms`);
    } catch (e) {
        throw await keepEvidence(page, 'page-net-ping', e);
    } finally {
        await page.close();
        await native.stop();
        await proxy.stop();
    }
});

test('embed: <riscv-vm net="ws://..."> boots with its NIC on the relay and gets a lease', { timeout: 300000, skip: skip || (!initramfs ? 'no initramfs guest in the manifest' : false) }, async () => {
    const proxy = await startNetproxy(['--nat', '/lan', '--allow-private']);
    const page = await newPage(browser);
    try {
        await page.goto(`${srv.url}/embed.html?count=0`);
        await page.evaluate(
            ([g, net]) => {
                const el = document.createElement('riscv-vm');
                el.id = 'netvm';
                el.setAttribute('bios', `/images/${g.bios}`);
                el.setAttribute('kernel', `/images/${g.kernel}`);
                el.setAttribute('initrd', `/images/${g.initrd}`);
                el.setAttribute('append', g.append);
                el.setAttribute('net', net);
                document.body.appendChild(el);
            },
            [initramfs, proxy.url('/lan')],
        );
        await page.waitForFunction(() => document.getElementById('netvm').vm, null, { timeout: 30000 });
        const ev = (re, t) => page.evaluate(([s, f, tt]) => document.getElementById('netvm').vm.expect(new RegExp(s, f), { timeout: tt }).then((m) => [...m]), [re.source, re.flags, t]);
        const m = await ev(PROMPT_OR_DEATH, 240000);
        assert.ok(m[1], 'boot failed');
        assert.equal(await page.evaluate(() => document.getElementById('netvm').vm.netStatus.state), 'up');
        await page.evaluate((t) => document.getElementById('netvm').vm.type(t), guest.lease);
        const l = await ev(guest.leaseRe, 90000);
        assert.equal(l[1], '10.0.2.15');
    } catch (e) {
        throw new Error(`${e.message}\npage log:\n${page.logs.join('\n')}`);
    } finally {
        await page.close();
        await proxy.stop();
    }
});
