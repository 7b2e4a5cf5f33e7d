// The Node build of the wasm core, through the package's own entry point
// ("virtual-machine"): in-thread WasmVm and the worker_threads worker.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { WasmVm, createWorkerVm } from 'virtual-machine';
import { BUILD, HELLO_ELF, readGuestFiles, readManifest } from './guest.mjs';
import { join } from 'node:path';

const hello = () => new Uint8Array(readFileSync(HELLO_ELF));
const small = { memoryMiB: 64 };

test('wasm: bare-metal kernel prints, echoes a line, powers off (exit 0)', { timeout: 60000 }, async () => {
    const vm = new WasmVm(hello(), small);
    try {
        vm.run();
        await vm.expect(/Hello from bare-metal RISC-V/, { timeout: 20000 });
        await vm.expect('type a line: ', { timeout: 20000 });
        await vm.type('hello wasm\r');
        await vm.expect(/got 10 chars: hello wasm/, { timeout: 20000 });
        const end = await vm.whenHalted();
        assert.equal(end.state, 'poweroff');
        assert.equal(end.exitCode, 0);
        assert.ok(vm.instret > 1000, `instret ${vm.instret}`);
    } finally {
        vm.destroy();
    }
});

test('wasm: poweroff carries the guest exit code', { timeout: 60000 }, async () => {
    const vm = new WasmVm(hello(), small);
    try {
        vm.run();
        await vm.expect('type a line: ', { timeout: 20000 });
        vm.sendInput('fail\r');
        const end = await vm.whenHalted();
        assert.equal(end.state, 'poweroff');
        assert.equal(end.exitCode, 3);
    } finally {
        vm.destroy();
    }
});

test('wasm: step() runs one slice synchronously', { timeout: 60000 }, () => {
    const vm = new WasmVm(hello(), small);
    try {
        const before = vm.instret;
        const r = vm.step(1000);
        assert.ok(['budget', 'idle'].includes(r.reason), `reason ${r.reason}`);
        // A slice may end a few instructions past its budget (block boundary).
        assert.ok(r.executed > 0 && r.executed <= 2000, `executed ${r.executed}`);
        assert.ok(vm.instret > before);
        // No event loop turn in between: the banner appears from step() alone.
        for (let i = 0; i < 10000 && !vm.transcript.includes('type a line: '); i++) vm.step(100000);
        assert.match(vm.transcript, /Hello from bare-metal RISC-V\r?\ntype a line: /);
    } finally {
        vm.destroy();
    }
});

test('wasm: a 100000-byte paste loses nothing (console flow control)', { timeout: 120000 }, async () => {
    const vm = new WasmVm(hello(), small);
    try {
        vm.run();
        await vm.expect('type a line: ', { timeout: 20000 });
        vm.sendInput('x'.repeat(100000) + '\r');
        await vm.expect(/got 100000 chars: x{127}\r?\n/, { timeout: 100000 });
        assert.equal((await vm.whenHalted()).exitCode, 0);
    } finally {
        vm.destroy();
    }
});

test('wasm: two machines in one process run independently', { timeout: 60000 }, async () => {
    const a = new WasmVm(hello(), small);
    const b = new WasmVm(hello(), small);
    try {
        a.run();
        b.run();
        await Promise.all([a.expect('type a line: ', { timeout: 20000 }), b.expect('type a line: ', { timeout: 20000 })]);
        a.sendInput('first\r');
        b.sendInput('fail\r');
        await a.expect(/got 5 chars: first/, { timeout: 20000 });
        const [ea, eb] = await Promise.all([a.whenHalted(), b.whenHalted()]);
        assert.equal(ea.exitCode, 0);
        assert.equal(eb.exitCode, 3);
        assert.doesNotMatch(a.transcript, /fail/);
        assert.doesNotMatch(b.transcript, /first/);
    } finally {
        a.destroy();
        b.destroy();
    }
});

test('wasm: a bad kernel is a clear error, not a crash', () => {
    assert.throws(() => new WasmVm(new Uint8Array([1, 2, 3, 4]), small), (e) => e instanceof Error && /kernel/i.test(e.message));
    assert.throws(() => new WasmVm(hello(), { memoryMiB: 4096 }), /RAM/);
});

test('worker: bare-metal kernel in worker_threads; reset; bad input is an error message', { timeout: 90000 }, async () => {
    const vm = await createWorkerVm();
    try {
        await assert.rejects(vm.start({ kernel: new Uint8Array(64), ...small }), /kernel/i);
        await vm.start({ kernel: hello(), ...small });
        await vm.expect('type a line: ', { timeout: 20000 });
        vm.reset();
        await vm.expect(/Hello from bare-metal RISC-V/, { timeout: 20000 });
        await vm.expect('type a line: ', { timeout: 20000 });
        await vm.type('from worker\r');
        await vm.expect(/got 11 chars: from worker/, { timeout: 20000 });
        const end = await vm.whenHalted();
        assert.equal(end.state, 'poweroff');
        assert.equal(end.exitCode, 0);
    } finally {
        vm.terminate();
    }
});

// tests/boot/vblk.c (the boot tests' virtio-blk kernel) against the two
// wasm disk backends: an image in wasm memory, and a JS-backed disk whose
// requests complete later, from a timer (the shape issue 6's IndexedDB
// backend has).
const VBLK_ELF = join(BUILD, 'boot/vblk.elf');
const vblkSkip = existsSync(VBLK_ELF) ? false : `no ${VBLK_ELF} (make ${VBLK_ELF})`;
const SECTORS = 4096;
const patternDisk = () => {
    const d = new Uint8Array(SECTORS * 512);
    for (let s = 0; s < SECTORS; s++) for (let i = 0; i < 512; i++) d[s * 512 + i] = ((13 * s + i) ^ 0xa5) & 0xff;
    return d;
};
const VBLK_LINES = ['ok vblk0 capacity 4096 sectors', 'ok vblk0 read-write', 'ok vblk0 write sectors 16-23 in two descriptors (status 0)',
    'ok vblk0 flush (status 0)', 'ok vblk0 read back sectors 0-63 in four indirect descriptors (status 0, bad -1)',
    'ok vblk0 read past capacity fails with IOERR (1)', 'ok vblk found 1 virtio-blk devices'];
const writtenOk = (d) => {
    for (let s = 16; s < 24; s++) for (let i = 0; i < 512; i++) if (d[s * 512 + i] !== (((s * 7 + i * 3) ^ 0x3c) & 0xff)) return false;
    return d[0] === 0xa5 && d[24 * 512] === (((13 * 24) ^ 0xa5) & 0xff);
};

async function runVblk(disk) {
    const vm = new WasmVm(new Uint8Array(readFileSync(VBLK_ELF)), { memoryMiB: 64, disks: [disk] });
    try {
        vm.run();
        const end = await Promise.race([vm.whenHalted(), new Promise((r) => setTimeout(() => r({ state: 'timeout' }), 30000))]);
        for (const l of VBLK_LINES) assert.ok(vm.transcript.includes(l), `missing "${l}" in:\n${vm.transcript}`);
        assert.equal(end.state, 'poweroff', vm.transcript);
        assert.equal(end.exitCode, 0, vm.transcript);
    } finally {
        vm.destroy();
    }
}

test('wasm: virtio-blk on a disk image in wasm memory (boot/vblk.elf)', { timeout: 60000, skip: vblkSkip }, async () => {
    await runVblk({ data: patternDisk() });
});

test('wasm: virtio-blk on a JS-backed disk completing asynchronously (boot/vblk.elf)', { timeout: 60000, skip: vblkSkip }, async () => {
    const disk = patternDisk();
    let requests = 0;
    let flushes = 0;
    const handler = {
        submit(req) {
            requests++;
            if (req.type === 2) {
                flushes++;
                return new Promise((r) => setTimeout(() => r(0), 2));
            }
            const len = req.iov.reduce((a, v) => a + v.len, 0);
            if (req.offset + len > disk.length) return 1;
            return new Promise((resolve) =>
                setTimeout(() => {
                    const heap = req.heap();
                    let off = req.offset;
                    for (const v of req.iov) {
                        if (req.type === 0) heap.set(disk.subarray(off, off + v.len), v.ptr);
                        else disk.set(heap.subarray(v.ptr, v.ptr + v.len), off);
                        off += v.len;
                    }
                    resolve(0);
                }, 1),
            );
        },
    };
    await runVblk({ size: disk.length, handler });
    assert.ok(requests > 5, `only ${requests} requests reached the JS backend`);
    assert.ok(flushes >= 1, 'no flush reached the JS backend');
    assert.ok(writtenOk(disk), 'sectors 16-23 do not hold what the guest wrote');
});

const man = readManifest();
const linuxSkip = !man ? 'no build/images/manifest.json (make images)' : !existsSync(HELLO_ELF) ? 'no test kernel' : false;

test('wasm: default Linux guest boots to "# " and runs uname -m', { timeout: 300000, skip: linuxSkip }, async () => {
    const g = readGuestFiles(man);
    const vm = new WasmVm(g.kernel, g);
    try {
        const t0 = Date.now();
        vm.run();
        // Either the prompt or a sign the boot is dead (so a broken core fails
        // in seconds, not at the timeout).
        const m = await vm.expect(/(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)/m, { timeout: 240000 });
        assert.ok(m[1], `boot failed: ${JSON.stringify(vm.transcript.slice(-600))}`);
        console.log(`# Linux prompt after ${((Date.now() - t0) / 1000).toFixed(2)} s (Node wasm, in-thread)`);
        await vm.type('uname -m\n');
        // The command's own output line, not the kernel banner's "riscv64-linux-gnu-gcc".
        const u = await vm.expect(/uname -m\r?\n([^\r\n]*)\r?\n/, { timeout: 30000 });
        assert.equal(u[1], 'riscv64');
        await vm.expect(/# $/m, { timeout: 30000 });
    } finally {
        vm.destroy();
    }
});

test('serve: isolation headers, MIME types, Range requests, no escape from the root', { timeout: 30000 }, async () => {
    const { createStaticServer, parseRange } = await import('../../web/serve.mjs');
    assert.deepEqual(parseRange('bytes=0-3', 10), { start: 0, end: 3 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-4', 10), { start: 6, end: 9 });
    assert.deepEqual(parseRange('bytes=8-100', 10), { start: 8, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'bad');
    assert.equal(parseRange('bytes=4-2', 10), 'bad');
    assert.equal(parseRange('items=0-1', 10), 'bad');
    assert.equal(parseRange(undefined, 10), null);
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const root = mkdtempSync(join(tmpdir(), 'serve-root-'));
    const imgs = mkdtempSync(join(tmpdir(), 'serve-img-'));
    writeFileSync(join(root, 'index.html'), '<p>hi</p>');
    writeFileSync(join(root, 'a.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
    writeFileSync(join(imgs, 'disk.img'), Buffer.from('0123456789'));
    const server = createStaticServer({ root, mounts: [{ prefix: '/images', dir: imgs }] });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}`;
    try {
        let r = await fetch(`${base}/`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('cross-origin-opener-policy'), 'same-origin');
        assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
        assert.match(r.headers.get('content-type'), /^text\/html/);
        r = await fetch(`${base}/a.wasm`);
        assert.equal(r.headers.get('content-type'), 'application/wasm');
        r = await fetch(`${base}/images/disk.img`, { headers: { Range: 'bytes=2-5' } });
        assert.equal(r.status, 206);
        assert.equal(r.headers.get('content-range'), 'bytes 2-5/10');
        assert.equal(await r.text(), '2345');
        r = await fetch(`${base}/images/disk.img`, { headers: { Range: 'bytes=20-' } });
        assert.equal(r.status, 416);
        r = await fetch(`${base}/images/%2e%2e%2findex.html`);
        assert.ok(r.status === 403 || r.status === 404, `escaped the mount: ${r.status}`);
        r = await fetch(`${base}/nope.js`);
        assert.equal(r.status, 404);
        assert.equal(r.headers.get('cross-origin-embedder-policy'), 'require-corp');
    } finally {
        await new Promise((r) => server.close(r));
    }
});

test('wasm: Linux on a JS-backed asynchronous disk: a synced file reaches the backend', { timeout: 300000, skip: linuxSkip || (man && !man.disk ? 'the default guest has no disk' : false) }, async () => {
    const g = readGuestFiles(man);
    const disk = g.disks[0].data;
    const stats = { reads: 0, writes: 0, flushes: 0 };
    const handler = {
        submit(req) {
            const len = req.iov.reduce((a, v) => a + v.len, 0);
            if (req.type === 2) stats.flushes++;
            else if (req.offset + len > disk.length) return 1;
            return new Promise((resolve) =>
                setImmediate(() => {
                    const heap = req.heap();
                    let off = req.offset;
                    for (const v of req.iov) {
                        if (req.type === 0) heap.set(disk.subarray(off, off + v.len), v.ptr);
                        else if (req.type === 1) disk.set(heap.subarray(v.ptr, v.ptr + v.len), off);
                        off += v.len;
                    }
                    if (req.type === 0) stats.reads++;
                    if (req.type === 1) stats.writes++;
                    resolve(0);
                }),
            );
        },
    };
    const vm = new WasmVm(g.kernel, { ...g, disks: [{ size: disk.length, handler }] });
    try {
        vm.run();
        const m = await vm.expect(/(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)/m, { timeout: 240000 });
        assert.ok(m[1], `boot failed: ${JSON.stringify(vm.transcript.slice(-600))}`);
        const marker = `js-disk-${process.pid}-ok`;
        await vm.type(`echo ${marker} > /root/probe.txt; sync; echo synced\n`);
        await vm.expect(/^synced\r?$/m, { timeout: 60000 });
        assert.ok(stats.reads > 10 && stats.writes > 0 && stats.flushes > 0, JSON.stringify(stats));
        assert.ok(Buffer.from(disk.buffer, disk.byteOffset, disk.length).includes(`${marker}\n`), 'the file is not on the JS disk after sync');
    } finally {
        vm.destroy();
    }
});

for (const where of ['wasm', 'worker']) {
test(`${where}: Linux virtio-net through the JS bridge answers an ARP request`, { timeout: 300000, skip: linuxSkip }, async () => {
    const g = readGuestFiles(man);
    const sent = [];
    const mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    let vm;
    if (where === 'wasm') {
        vm = new WasmVm(g.kernel, { ...g, net: { mac, send: (f) => sent.push(f) } });
        vm.run();
    } else {
        vm = await createWorkerVm();
        vm.onNetSend = (f) => sent.push(f);
        await vm.start({ ...g, netEnabled: true, mac });
    }
    try {
        const m = await vm.expect(/(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)/m, { timeout: 240000 });
        assert.ok(m[1], `boot failed: ${JSON.stringify(vm.transcript.slice(-600))}`);
        await vm.type('ip addr add 10.0.2.15/24 dev eth0 && ip link set eth0 up && echo net-up\n');
        await vm.expect(/^net-up\r?$/m, { timeout: 30000 });
        // who-has 10.0.2.15 tell 10.0.2.2, from 52:55:0a:00:02:02
        const peer = [0x52, 0x55, 0x0a, 0x00, 0x02, 0x02];
        const arp = new Uint8Array(60);
        arp.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...peer, 0x08, 0x06], 0);
        arp.set([0, 1, 0x08, 0, 6, 4, 0, 1, ...peer, 10, 0, 2, 2, 0, 0, 0, 0, 0, 0, 10, 0, 2, 15], 14);
        const isReply = (f) => f.length >= 42 && f[12] === 0x08 && f[13] === 0x06 && f[21] === 2 &&
            f.subarray(28, 32).join('.') === '10.0.2.15' && f.subarray(0, 6).join() === peer.join();
        for (let i = 0; i < 50 && !sent.some(isReply); i++) {
            if (i % 10 === 0) assert.notEqual(vm.receiveFrame(arp), false, 'frame refused');
            await new Promise((r) => setTimeout(r, 100));
        }
        const reply = sent.find(isReply);
        assert.ok(reply, `no ARP reply among ${sent.length} frames the guest sent`);
        assert.deepEqual([...reply.subarray(22, 28)], [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], 'reply names the NIC MAC');
        if (where === 'wasm') assert.equal(vm.receiveFrame(new Uint8Array(10)), false, 'a runt frame must be refused');
    } finally {
        if (where === 'wasm') vm.destroy();
        else vm.terminate();
    }
});
}
