// The browser's disks (worker/disk/: the core's copy-on-write engine from
// the Node build of the wasm module, driven by cowdisk.mjs) under Node, on
// fake-indexeddb (an in-memory IndexedDB that follows the spec's
// transaction rules), with a base image served by a fake fetch that honours
// Range requests and counts them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { BLK, CHUNK, deleteDisk, exportDisk, importImage, listDisks, openDb, openDisk, resetDisk, setDiskModuleLoader } from '../../worker/disk/overlay.mjs';
import { coreFiles, loadNodeCore } from '../../worker/node-core.mjs';

let fake = null;
try {
    fake = await import('fake-indexeddb');
} catch {
    fake = null;
}
const skip = !fake ? 'fake-indexeddb is not installed (npm ci)' : !existsSync(coreFiles().wasm) ? 'the wasm core is not built (make wasm)' : false;
// The disk engine is the core's (vm/disk/cow.c) in the Node build of the module.
if (!skip) setDiskModuleLoader(() => loadNodeCore()());

// A fresh, empty IndexedDB per test.
function env() {
    return { indexedDB: new fake.IDBFactory(), IDBKeyRange: fake.IDBKeyRange };
}

// Deterministic pseudo-random bytes.
function bytes(n, seed) {
    const b = new Uint8Array(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        b[i] = x & 0xff;
    }
    return b;
}

function fakeBase(image) {
    const stats = { requests: 0, ranges: [] };
    const fetch = async (url, init) => {
        stats.requests++;
        const m = /^bytes=(\d+)-(\d+)$/.exec(init?.headers?.Range || '');
        if (!m) return { ok: true, status: 200, arrayBuffer: async () => image.slice().buffer };
        const a = Number(m[1]);
        const b = Math.min(Number(m[2]), image.length - 1);
        stats.ranges.push([a, b]);
        return { ok: true, status: 206, arrayBuffer: async () => image.slice(a, b + 1).buffer };
    };
    return { fetch, stats, base: { url: 'http://base.test/rootfs.ext4', size: image.length, id: 'base-sha' } };
}

const MiB = 1024 * 1024;

// A minimal Web Locks stand-in with ifAvailable semantics.
function fakeLocks() {
    const held = new Set();
    return {
        async request(name, o, cb) {
            if (held.has(name)) return cb(null);
            held.add(name);
            try {
                return await cb({ name });
            } finally {
                held.delete(name);
            }
        },
        async query() {
            return { held: [...held].map((name) => ({ name })) };
        },
    };
}

async function chunkKeys(e, name) {
    const db = await openDb(e);
    const tx = db.transaction('chunks', 'readonly');
    const keys = await new Promise((res, rej) => {
        const r = tx.objectStore('chunks').getAllKeys(e.IDBKeyRange.bound([name, 0], [name, Infinity]));
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
    });
    db.close();
    return keys.map((k) => k[1]);
}

test('disk: reads of an untouched disk come from the base, fetched lazily with Range requests', { skip }, async () => {
    const e = env();
    const image = bytes(2 * MiB, 1);
    const b = fakeBase(image);
    const d = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch });
    assert.equal(d.size, image.length);
    assert.equal(b.stats.requests, 0, 'nothing fetched at open');
    const got = await d.read(CHUNK * 3 + 100, 5000);
    assert.deepEqual(got, image.subarray(CHUNK * 3 + 100, CHUNK * 3 + 5100));
    assert.equal(b.stats.requests, 1);
    assert.ok(b.stats.ranges[0][1] - b.stats.ranges[0][0] + 1 < image.length, 'a range, not the whole image');
    await d.read(CHUNK * 3, 10); // in memory now
    assert.equal(b.stats.requests, 1);
    await d.close();
    // A second open reads the cached base chunks from IndexedDB, not HTTP.
    const d2 = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch });
    assert.deepEqual(await d2.read(CHUNK * 3 + 7, 100), image.subarray(CHUNK * 3 + 7, CHUNK * 3 + 107));
    assert.equal(b.stats.requests, 1, 'warm base cache');
    await d2.close();
});

test('disk: sparse writes store only the chunks written', { skip }, async () => {
    const e = env();
    const image = bytes(4 * MiB, 2);
    const b = fakeBase(image);
    const d = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch });
    await d.write(CHUNK * 5 + 10, bytes(512, 3));
    await d.write(CHUNK * 40, bytes(CHUNK, 4)); // a whole chunk: no base read needed
    await d.flush();
    assert.deepEqual((await chunkKeys(e, 'm/0')).sort((a, c) => a - c), [5, 40]);
    // Each record is one chunk, not a view of a larger buffer (a view of the
    // wasm heap would store the whole heap).
    const db = await openDb(e);
    const rec = await new Promise((res, rej) => {
        const r = db.transaction('chunks').objectStore('chunks').get(['m/0', 40]);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
    });
    db.close();
    assert.equal(rec.byteLength, CHUNK);
    assert.equal(rec.buffer.byteLength, CHUNK, `a stored chunk holds ${rec.buffer.byteLength} bytes`);
    assert.deepEqual(new Uint8Array(rec.buffer), bytes(CHUNK, 4));
    const [meta] = await listDisks(e);
    assert.equal(meta.used, 2 * CHUNK);
    assert.equal(meta.size, image.length);
    await d.close();
});

test('disk: reads spanning chunks, overlay and base, match a flat model', { skip }, async () => {
    const e = env();
    const image = bytes(MiB + 3 * 512, 5); // not a multiple of the chunk size
    const b = fakeBase(image);
    const model = image.slice();
    const d = await openDisk({ ...e, name: 'm/1', base: b.base, fetch: b.fetch });
    let seed = 77;
    const rnd = (n) => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
    };
    for (let k = 0; k < 60; k++) {
        const off = rnd(model.length - 1);
        const len = 1 + rnd(Math.min(3 * CHUNK, model.length - off));
        if (rnd(2)) {
            const data = bytes(len, k + 100);
            await d.write(off, data);
            model.set(data, off);
        } else {
            assert.deepEqual(await d.read(off, len), model.subarray(off, off + len), `read ${off}+${len}`);
        }
        if (rnd(8) === 0) await d.flush();
    }
    assert.deepEqual(await d.read(0, model.length), model, 'whole disk');
    await d.flush();
    await d.close();
    // After reopening (memory caches gone), the same bytes.
    const d2 = await openDisk({ ...e, name: 'm/1', base: b.base, fetch: b.fetch });
    assert.deepEqual(await d2.read(0, model.length), model, 'whole disk after reopen');
    await d2.close();
    // Export: base + overlay merged, in pieces.
    const parts = [];
    for await (const p of exportDisk('m/1', { ...e, fetch: b.fetch, step: 300000 })) parts.push(p);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(model));
});

test('disk: a flush completes only after a strict commit of every earlier write', { skip }, async () => {
    const e = env();
    const image = bytes(MiB, 6);
    const b = fakeBase(image);
    const d = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch });
    await d.write(100, bytes(1000, 7));
    const relaxed = d.commitNow(false); // a background commit in flight
    await d.write(CHUNK * 2, bytes(10, 8));
    const states = [];
    const f = d.flush().then(() => states.push(d.stats.commits.map((c) => c.state)));
    await f;
    await relaxed;
    const kinds = d.stats.commits.map((c) => (c.strict ? 'strict' : 'relaxed'));
    assert.equal(kinds[0], 'relaxed');
    assert.equal(kinds.at(-1), 'strict', 'the flush ends with a strict commit');
    assert.ok(states[0].every((s) => s === 'committed'), `every commit done when the flush resolved (${states[0]})`);
    // What the flush promised is in IndexedDB: a second connection sees it.
    const other = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch, readonly: true });
    assert.deepEqual(await other.read(100, 1000), bytes(1000, 7));
    assert.deepEqual(await other.read(CHUNK * 2, 10), bytes(10, 8));
    await other.close();
    await d.close();
});

test('disk: requests past the end fail, and a read-only disk refuses writes', { skip }, async () => {
    const e = env();
    const image = bytes(MiB, 9);
    const b = fakeBase(image);
    const d = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch });
    await d.write(512, bytes(1024, 10));
    await d.flush();
    const want = image.slice(0, 2048);
    want.set(bytes(1024, 10), 512);
    assert.deepEqual(await d.read(0, 2048), want);
    await assert.rejects(d.read(MiB - 512, 1024), /past the end/);
    await d.close();
    const ro = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch, readonly: true });
    await assert.rejects(ro.write(0, new Uint8Array(512)), /read-only/);
    assert.deepEqual(await ro.read(0, 2048), want);
    await ro.close();
});

test('disk: a crash between transactions leaves each chunk old or new, never torn', { skip }, async () => {
    const e = env();
    const image = bytes(MiB, 11);
    const b = fakeBase(image);
    const open = (extra = {}) => openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch, ...extra });
    const d = await open();
    const A = bytes(3 * CHUNK, 12); // spans chunks 1..4
    await d.write(CHUNK + 100, A);
    await d.flush();
    const afterA = await d.read(0, image.length);
    // A second write over the same chunks, committed in a transaction that
    // the crash interrupts: nothing of it may be stored.
    await d.write(CHUNK + 50, bytes(3 * CHUNK, 13));
    d.store.opts._crashBeforeCommit = true;
    await assert.rejects(d.flush());
    d.crash();
    const d2 = await open();
    assert.deepEqual(await d2.read(0, image.length), afterA, 'the interrupted transaction left nothing');
    // Crash after one commit and before the next: the first is whole, the
    // unflushed second write is simply not there.
    const B = bytes(2 * CHUNK, 14);
    await d2.write(5 * CHUNK + 1, B);
    await d2.commitNow(false);
    const afterB = await d2.read(0, image.length);
    await d2.write(7 * CHUNK + 3, bytes(CHUNK, 15)); // never committed: the tab dies
    d2.crash();
    const d3 = await open();
    const now = await d3.read(0, image.length);
    assert.deepEqual(now, afterB);
    // Per chunk, the state is one the guest could have seen.
    for (let i = 0; i < image.length / CHUNK; i++) {
        const c = now.subarray(i * CHUNK, (i + 1) * CHUNK);
        assert.ok(Buffer.from(c).equals(Buffer.from(afterB.subarray(i * CHUNK, (i + 1) * CHUNK))), `chunk ${i}`);
    }
    await d3.close();
});

test('disk: a quota error fails the flush clearly, loses nothing stored, and a retry stores everything', { skip }, async () => {
    const e = env();
    const image = bytes(MiB, 16);
    const b = fakeBase(image);
    const db = await openDb(e);
    let full = false;
    // A database whose chunk store refuses puts while "full", as a browser
    // does when the origin is over its quota.
    const quotaDb = {
        close: () => db.close(),
        transaction(stores, mode, o) {
            const tx = db.transaction(stores, mode, o);
            const os = tx.objectStore.bind(tx);
            tx.objectStore = (n) => {
                const st = os(n);
                if (n === 'chunks' && mode === 'readwrite') {
                    const put = st.put.bind(st);
                    let count = 0;
                    st.put = (v, k) => {
                        if (full && ++count > 1) throw new DOMException('over quota', 'QuotaExceededError');
                        return put(v, k);
                    };
                }
                return st;
            };
            return tx;
        },
    };
    const notices = [];
    const d = await openDisk({ ...e, db: quotaDb, name: 'm/0', base: b.base, fetch: b.fetch, onNotice: (t) => notices.push(t) });
    await d.write(0, bytes(100, 17));
    await d.flush();
    const stored = await d.read(0, image.length);
    full = true;
    await d.write(10, bytes(3 * CHUNK, 18));
    const want = await d.read(0, image.length);
    await assert.rejects(d.flush(), /quota/);
    assert.ok(notices.some((t) => /quota is full/.test(t)), 'a clear notice');
    const peek = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch, readonly: true });
    assert.deepEqual(await peek.read(0, image.length), stored, 'what was stored is intact');
    await peek.close();
    assert.deepEqual(await d.read(0, image.length), want, 'the guest still sees its writes');
    full = false;
    await d.flush();
    const after = await openDisk({ ...e, name: 'm/0', base: b.base, fetch: b.fetch, readonly: true });
    assert.deepEqual(await after.read(0, image.length), want, 'the retry stored them');
    await after.close();
    await d.close();
    db.close();
});

test('disk: several disks per machine, reset to base, delete, import', { skip }, async () => {
    const e = env();
    const image = bytes(MiB, 19);
    const b = fakeBase(image);
    const d0 = await openDisk({ ...e, name: 'linux/0', base: b.base, fetch: b.fetch });
    const d1 = await openDisk({ ...e, name: 'linux/1', size: 2 * MiB }); // blank
    await d0.write(0, bytes(10, 20));
    await d1.write(MiB, bytes(10, 21));
    await d0.flush();
    await d1.flush();
    assert.deepEqual(await d1.read(0, 4), new Uint8Array(4), 'blank disk reads zeros');
    await d0.close();
    await d1.close();
    const names = (await listDisks(e)).map((m) => `${m.name}:${m.used}`).sort();
    assert.deepEqual(names, [`linux/0:${CHUNK}`, `linux/1:${CHUNK}`]);
    await resetDisk('linux/0', e);
    const r = await openDisk({ ...e, name: 'linux/0', base: b.base, fetch: b.fetch });
    assert.deepEqual(await r.read(0, 100), image.subarray(0, 100), 'reset: base content again');
    await r.close();
    await deleteDisk('linux/1', e);
    assert.deepEqual((await listDisks(e)).map((m) => m.name), ['linux/0']);
    // An uploaded image becomes a local base (no URL needed to read it).
    const up = bytes(300 * 1024 + 5, 22);
    const progress = [];
    await importImage('own/0', up, { ...e, onProgress: (l, t) => progress.push([l, t]) });
    assert.deepEqual(progress.at(-1), [up.length, up.length]);
    const u = await openDisk({ ...e, name: 'own/0', fetch: () => assert.fail('no fetch for an upload') });
    assert.equal(u.size, Math.ceil(up.length / 512) * 512);
    assert.deepEqual((await u.read(0, u.size)).subarray(0, up.length), up);
    await u.close();
});

test('disk: a second opener gets the disk read-only with a clear notice (Web Locks)', { skip }, async () => {
    const e = env();
    const locks = fakeLocks();
    const a = await openDisk({ ...e, name: 'm/0', size: MiB, locks });
    const notes = [];
    const bDisk = await openDisk({ ...e, name: 'm/0', size: MiB, locks, onNotice: (t) => notes.push(t) });
    assert.equal(a.readonly, false);
    assert.equal(bDisk.readonly, true);
    assert.match(notes[0], /open in another tab/);
    await assert.rejects(bDisk.write(0, new Uint8Array(1)), /read-only/);
    await assert.rejects(resetDisk('m/0', { ...e, locks }), /in use/);
    await a.close();
    await bDisk.close();
    await resetDisk('m/0', { ...e, locks });
    const c = await openDisk({ ...e, name: 'm/0', size: MiB, locks });
    assert.equal(c.readonly, false, 'the lock is released on close');
    await c.close();
});

test('disk: a disk over another base is refused until reset, then takes the new base', { skip }, async () => {
    const e = env();
    const a = fakeBase(bytes(MiB, 30));
    const b2 = fakeBase(bytes(MiB, 31));
    b2.base.id = 'new-sha';
    const d = await openDisk({ ...e, name: 'm/0', base: a.base, fetch: a.fetch });
    await d.write(0, bytes(10, 32));
    await d.flush();
    await d.close();
    await assert.rejects(openDisk({ ...e, name: 'm/0', base: b2.base, fetch: b2.fetch }), /another base image.*reset/);
    await resetDisk('m/0', e);
    const n = await openDisk({ ...e, name: 'm/0', base: b2.base, fetch: b2.fetch });
    assert.deepEqual(await n.read(0, 64), bytes(MiB, 31).subarray(0, 64));
    await n.close();
    assert.equal((await listDisks(e))[0].baseId, 'new-sha');
});

// ---- OPFS: the overlay in one file in the CLI's format (vm/disk/cowfile.c),
// on an in-memory OPFS stand-in (tests/web/fake-opfs.mjs) whose files keep
// only what a flush made durable when the power goes.
const { FakeOpfs } = await import('./fake-opfs.mjs');

test('disk (OPFS): random I/O matches a flat model; sparse; survives reopening; the list shows the space used', { skip }, async () => {
    const e = env();
    const opfs = new FakeOpfs();
    const image = bytes(2 * MiB + 1536, 30);
    const b = fakeBase(image);
    const model = image.slice();
    const open = (extra = {}) => openDisk({ ...e, opfs, name: 'o/0', base: b.base, fetch: b.fetch, ...extra });
    const d = await open();
    assert.equal(d.storeKind, 'opfs', 'a new disk goes to OPFS where it is available');
    let seed = 5;
    const rnd = (n) => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
    };
    for (let k = 0; k < 80; k++) {
        const off = rnd(model.length - 1);
        const len = 1 + rnd(Math.min(3 * CHUNK, model.length - off));
        if (rnd(2)) {
            const data = bytes(len, k + 300);
            await d.write(off, data);
            model.set(data, off);
        } else {
            assert.deepEqual(await d.read(off, len), model.subarray(off, off + len), `read ${off}+${len}`);
        }
        if (rnd(6) === 0) await d.flush();
    }
    await d.flush();
    const st = d.engineStats();
    await d.close();
    const file = opfs.file('o/0');
    assert.ok(file, 'one file in OPFS');
    assert.equal(new TextDecoder().decode(file.durable.subarray(0, 8)), 'RVVMOVL1', "the CLI's overlay format");
    const slots = (file.size - 8192) / CHUNK;
    assert.ok(slots >= st.stored && slots < image.length / CHUNK, `sparse: ${slots} slots for ${st.stored} chunks written of ${Math.ceil(image.length / CHUNK)}`);
    const [meta] = await listDisks(e);
    assert.equal(meta.store, 'opfs');
    assert.equal(meta.used, st.stored * CHUNK, 'the disk manager sees the space used');
    const d2 = await open();
    assert.deepEqual(await d2.read(0, model.length), model, 'the whole disk after reopening');
    await d2.close();
});

test('disk (OPFS): power lost after a flush keeps what was flushed; each chunk old or new; refused base; a second opener is told why', { skip }, async () => {
    const e = env();
    const opfs = new FakeOpfs();
    const image = bytes(MiB, 31);
    const b = fakeBase(image);
    const locks = fakeLocks();
    const open = (extra = {}) => openDisk({ ...e, opfs, locks, name: 'o/1', base: b.base, fetch: b.fetch, ...extra });
    const d = await open();
    await d.write(CHUNK + 100, bytes(3 * CHUNK, 32));
    await d.flush();
    const flushed = await d.read(0, image.length);
    // More writes, one background commit, more writes: then the power goes.
    await d.write(2 * CHUNK, bytes(2 * CHUNK, 33));
    await d.commitNow(false);
    const committed = await d.read(0, image.length);
    await d.write(9 * CHUNK + 7, bytes(100, 34));
    // A second opener while the first has the disk: a clear message, and
    // no read-only notice (it cannot read the file beside its writer).
    const notes = [];
    await assert.rejects(open({ onNotice: (t) => notes.push(t) }), /open in another tab or window \(its changes are in OPFS/);
    assert.deepEqual(notes, []);
    await assert.rejects(open({ readonly: true }), /open in another tab/, 'a reader (an export) too');
    d.crash();
    opfs.powerLoss();
    const d2 = await open();
    const now = await d2.read(0, image.length);
    for (let i = 0; i < image.length / CHUNK; i++) {
        const c = Buffer.from(now.subarray(i * CHUNK, (i + 1) * CHUNK));
        const ok = [flushed, committed].some((v) => c.equals(Buffer.from(v.subarray(i * CHUNK, (i + 1) * CHUNK))));
        assert.ok(ok, `chunk ${i} is a state the guest saw at a flush or a commit`);
    }
    assert.deepEqual(now.subarray(CHUNK + 100, CHUNK + 100 + CHUNK - 100), flushed.subarray(CHUNK + 100, 2 * CHUNK), 'flushed data that nothing overwrote is there');
    await d2.close();
    // The same disk over another base is refused.
    const other = fakeBase(bytes(MiB, 35));
    await assert.rejects(openDisk({ ...e, opfs, name: 'o/1', base: { ...other.base, id: 'other-sha' }, fetch: other.fetch }), /another base image/);
    // A damaged file (here: its index names one slot twice; then garbage)
    // is refused with what to do, and a reset makes the disk usable again.
    const f = opfs.file('o/1');
    const index = new DataView(f.live.buffer, 4096, 4 * (image.length / CHUNK));
    const entries = Array.from({ length: image.length / CHUNK }, (_, i) => index.getUint32(4 * i, true));
    index.setUint32(4 * entries.indexOf(0), entries.find((x) => x), true);
    await assert.rejects(open(), /overlay file in OPFS: its index is damaged; reset it in the disk manager/);
    f.live.set(new TextEncoder().encode('garbage!'), 0);
    await assert.rejects(open(), /overlay file in OPFS: not a riscv-vm overlay file.*reset it/);
    await resetDisk('o/1', { ...e, opfs, locks });
    const r = await open();
    assert.deepEqual(await r.read(0, image.length), image, 'reset: the base again');
    await r.close();
});

test('disk (OPFS): a full quota fails the flush clearly, keeps the data, a retry stores it; reset, delete and export', { skip }, async () => {
    const e = env();
    const opfs = new FakeOpfs();
    const image = bytes(MiB, 36);
    const b = fakeBase(image);
    const notices = [];
    const d = await openDisk({ ...e, opfs, name: 'o/2', base: b.base, fetch: b.fetch, onNotice: (t) => notices.push(t) });
    await d.write(0, bytes(100, 37));
    await d.flush();
    opfs.quota = opfs.used(); // nothing more fits
    await d.write(5 * CHUNK, bytes(2 * CHUNK, 38));
    const want = await d.read(0, image.length);
    await assert.rejects(d.flush(), /quota is full/);
    assert.ok(notices.some((t) => /quota is full/.test(t)), 'a clear notice');
    assert.deepEqual(await d.read(0, image.length), want, 'the guest still sees its writes');
    opfs.quota = Infinity;
    await d.flush();
    await d.close();
    const parts = [];
    for await (const p of exportDisk('o/2', { ...e, opfs, fetch: b.fetch, step: 200000 })) parts.push(p);
    assert.deepEqual(Buffer.concat(parts), Buffer.from(want), 'export = base + overlay');
    await resetDisk('o/2', { ...e, opfs });
    assert.equal(opfs.file('o/2'), undefined, 'reset removes the file');
    const r = await openDisk({ ...e, opfs, name: 'o/2', base: b.base, fetch: b.fetch });
    assert.deepEqual(await r.read(0, image.length), image, 'back to the base');
    await assert.rejects(resetDisk('o/2', { ...e, opfs }), /in use/, 'a disk held open cannot be reset');
    await r.close();
    await deleteDisk('o/2', { ...e, opfs });
    assert.equal(opfs.file('o/2'), undefined);
    assert.deepEqual(await listDisks(e), []);
});

test('disk: the store is chosen per disk: ?store=idb keeps a new disk in IndexedDB; an empty disk moves; an uploaded image goes where its opener prefers', { skip }, async () => {
    const e = env();
    const opfs = new FakeOpfs();
    const image = bytes(MiB, 40);
    const b = fakeBase(image);
    const d = await openDisk({ ...e, opfs, name: 's/0', base: b.base, fetch: b.fetch, store: 'idb' });
    assert.equal(d.storeKind, 'idb');
    await d.close(); // nothing written: it may move
    const m = await openDisk({ ...e, opfs, name: 's/0', base: b.base, fetch: b.fetch, store: 'opfs' });
    assert.equal(m.storeKind, 'opfs');
    await m.write(0, bytes(10, 41));
    await m.flush();
    await m.close();
    const notices = [];
    const k = await openDisk({ ...e, opfs, name: 's/0', base: b.base, fetch: b.fetch, store: 'idb', onNotice: (t) => notices.push(t) });
    assert.equal(k.storeKind, 'opfs', 'a disk holding data stays where it is');
    assert.ok(notices.some((t) => /keeps its changes in OPFS/.test(t)));
    await k.close();
    await importImage('up/0', bytes(200000, 42), e);
    const u = await openDisk({ ...e, opfs, name: 'up/0' });
    assert.equal(u.storeKind, 'opfs');
    await u.close();
    await assert.rejects(openDisk({ ...e, name: 's/0' }), /only a dedicated worker can open/, 'no OPFS here: a clear error');
});
