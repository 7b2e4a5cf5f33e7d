// Disks that persist in the browser: a read-only base image (fetched over
// HTTP with Range requests, one run of chunks at a time, on first read, and
// cached in IndexedDB) under a writable, sparse, copy-on-write overlay of
// 64 KiB chunks kept in IndexedDB or in OPFS.
//
// The overlay's logic is the core's engine (vm/disk/cow.c, in the wasm
// module), the one the CLI's `--disk IMG,overlay=FILE` runs too;
// cowdisk.mjs answers its I/O. This module opens disks (Web Locks, the meta
// record, which store, which base) and holds the disk manager's operations.
//
// A disk is named "<machine>/<slot>" ("linux/0"). Its meta record lives in
// IndexedDB ('disks') whatever the store; `store` says where its chunks are:
//   'idb'   IndexedDB 'chunks' (store-idb.mjs): every browser;
//   'opfs'  a file in the origin-private file system (store-opfs.mjs): only
//           where workers get synchronous access handles.
import { CowDisk } from './cowdisk.mjs';
import { BLK, Base, CHUNK, DB_NAME, IdbStore, chunkRange, idbEnv, openDb, req2p, storageError, tx2p } from './store-idb.mjs';
import { OpfsStore, opfsAvailable, opfsBusy } from './store-opfs.mjs';

export { BLK, CHUNK, DB_NAME, openDb, storageError };

// Where a standalone engine comes from when the caller gives no module
// (the disk manager's export, tests): a function returning (a Promise of)
// an instantiated core module. One instance serves every standalone disk.
let moduleLoader = null;
let standalone = null;
export function setDiskModuleLoader(fn) {
    moduleLoader = fn;
    standalone = null;
}
async function standaloneModule() {
    if (!moduleLoader) throw new Error('no VM core to run the disk engine (setDiskModuleLoader)');
    if (!standalone) standalone = Promise.resolve(moduleLoader());
    return standalone;
}

async function lockDisk(name, opts) {
    const locks = opts.locks !== undefined ? opts.locks : globalThis.navigator && globalThis.navigator.locks;
    if (!locks) return { got: true, release: () => {} }; // Node, or no Web Locks: one opener assumed
    let release = () => {};
    const got = await new Promise((resolve) => {
        locks
            .request(`riscv-vm-disk:${name}`, { mode: 'exclusive', ifAvailable: true }, (lock) => {
                if (!lock) {
                    resolve(false);
                    return undefined;
                }
                resolve(true);
                return new Promise((r) => {
                    release = r;
                });
            })
            .catch(() => resolve(false));
    });
    return { got, release: () => release() };
}

// Opens (creating on first use) the disk `name`.
// opts: {name, size?, base: {id?, url?, size}, readonly?, store?: 'idb'|'opfs',
//        module?, locks?, fetch?, indexedDB?, IDBKeyRange?, db?, opfs?,
//        onNotice?(text), cacheChunks?, _crashBeforeCommit?}
// With the Web Locks API a disk is open read-write in one tab at a time: a
// second opener gets an IndexedDB disk read-only (disk.notice says why) and
// an OPFS disk not at all (a clear error: its file is locked).
export async function openDisk(opts) {
    const name = opts.name;
    if (!name) throw new Error('a disk needs a name');
    const env = idbEnv(opts);
    const db = opts.db || (await openDb(opts));
    const ownsDb = !opts.db;
    let lock = { got: true, release: () => {} };
    let store = null;
    let readonly = !!opts.readonly;
    let notice = null;
    const say = (t) => {
        notice = t;
        if (opts.onNotice) opts.onNotice(t);
    };
    try {
        let lockedOut = false; // another tab has it read-write
        if (!readonly) {
            lock = await lockDisk(name, opts);
            if (!lock.got) {
                readonly = true;
                lockedOut = true;
            }
        }
        const b = opts.base || {};
        const base = new Base(db, env, {
            id: b.id || (b.url ? `${b.url}#${b.size}` : `empty#${b.size || 0}`),
            url: b.url,
            size: b.size || 0,
            fetch: opts.fetch,
            chunkSize: CHUNK,
        });
        const tx = db.transaction(['disks', 'chunks'], 'readonly');
        const metaP = req2p(tx.objectStore('disks').get(name));
        const idbKeysP = req2p(tx.objectStore('chunks').getAllKeys(chunkRange(env.IDBKeyRange, name)));
        let [meta, idbKeys] = await Promise.all([metaP, idbKeysP]);
        // A new disk goes to OPFS where this context can use it, else IndexedDB.
        const canOpfs = opfsAvailable(opts);
        const want = opts.store || (meta && meta.store) || (canOpfs ? 'opfs' : 'idb');
        if (want !== 'idb' && want !== 'opfs') throw new Error(`unknown disk store '${want}' (idb or opfs)`);
        if (want === 'opfs' && !canOpfs) {
            throw new Error(
                meta && meta.store === 'opfs'
                    ? `disk '${name}' keeps its changes in OPFS, which only a dedicated worker can open`
                    : 'OPFS with synchronous access handles is not available here (it needs a dedicated worker in a current browser): use the IndexedDB store (?store=idb)',
            );
        }
        // Does the overlay hold anything? (One that holds nothing may take a
        // new base or move to another store.)
        const kindNow = (meta && meta.store) || 'idb';
        const holds = kindNow === 'opfs' ? await OpfsStore.holdsData(name, meta.size, CHUNK, opts) : idbKeys.length > 0;
        if (meta && !holds && !readonly && opts.base && meta.baseId !== base.id) meta = null; // reset, or never written: take the new base
        // Nothing stored yet: it may move to the store asked for (or, when
        // it has none yet, an uploaded image, to this context's default).
        let moved = false;
        if (meta && !holds && !readonly && (meta.store || 'none') !== want && (opts.store || !meta.store)) {
            meta = { ...meta, store: want, updated: Date.now() };
            moved = true;
        }
        const fresh = !meta || moved;
        if (meta) {
            if (meta.baseId !== base.id && opts.base && (opts.base.url || opts.base.id)) {
                throw new Error(`disk '${name}' was made over another base image (${meta.baseId}); reset it to the new base, or delete it, in the disk manager`);
            }
            if (opts.store && kindNow !== opts.store && !moved) say(`disk '${name}' keeps its changes in ${kindNow === 'opfs' ? 'OPFS' : 'IndexedDB'}; reset it to move it to ${opts.store === 'opfs' ? 'OPFS' : 'IndexedDB'}`);
            if (!opts.base) {
                base.id = meta.baseId; // opened by name only: the meta says where the base is
                base.url = meta.baseUrl;
                base.size = meta.baseSize;
            }
            if (meta.chunkSize !== CHUNK) throw new Error(`disk '${name}' uses ${meta.chunkSize}-byte chunks`);
        }
        if (!meta) {
            const size = opts.size || b.size;
            if (!(size > 0) || size % 512) throw new Error(`disk '${name}': size must be a non-zero multiple of 512 (got ${size})`);
            meta = { name, size, chunkSize: CHUNK, baseId: base.id, baseUrl: base.url, baseSize: base.size, used: 0, store: want, created: Date.now(), updated: Date.now() };
        }
        const kind = meta.store || 'idb';
        if (lockedOut) {
            // IndexedDB can be read beside its writer; an OPFS file is locked
            // by the writer's access handle (and a reader beside a writer that
            // reuses slots could read another chunk's data).
            if (kind === 'opfs') throw new Error(opfsBusy(name));
            say(`disk '${name}' is open in another tab or window: it is read-only here (changes made there are not seen until the next boot)`);
        }
        if (fresh && !readonly) {
            // Nothing left from an older disk of that name, in either store;
            // listed by the disk manager from the first boot on.
            if (kind === 'opfs' || kindNow === 'opfs') await OpfsStore.reset(name, opts);
            const w = db.transaction(['disks', 'chunks'], 'readwrite');
            w.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name));
            w.objectStore('disks').put(meta, name);
            try {
                await tx2p(w);
            } catch (e) {
                throw storageError(e, `disk '${name}'`);
            }
        }
        const mod = opts.module || (await standaloneModule());
        let stored = [];
        if (kind === 'opfs') {
            store = await OpfsStore.open({ name, size: meta.size, baseSize: base.size, baseId: base.id, chunkSize: CHUNK, readonly, module: mod, opfs: opts.opfs });
        } else {
            store = new IdbStore(db, env, name, opts);
            stored = fresh ? [] : idbKeys.map((k) => k[1]);
        }
        const disk = new CowDisk(mod, {
            name,
            size: meta.size,
            baseSize: base.size,
            chunkSize: CHUNK,
            readonly,
            store,
            base,
            meta,
            stored,
            onNotice: opts.onNotice,
            cacheChunks: opts.cacheChunks,
            // OPFS: the meta's figure of space used follows the file, best
            // effort (it only feeds the disk manager's list).
            onUsed: kind === 'opfs' ? (used) => putMeta(db, name, { ...meta, used, updated: Date.now() }) : null,
        });
        disk.notice = notice;
        disk.storeKind = kind;
        const close = disk.close.bind(disk);
        let closing = null;
        disk.close = () => {
            if (!closing) {
                closing = close().finally(async () => {
                    await store.close();
                    lock.release();
                    if (ownsDb) db.close();
                });
            }
            return closing;
        };
        const crash = disk.crash.bind(disk);
        disk.crash = () => {
            crash();
            if (store.abandon) store.abandon();
            lock.release();
        };
        return disk;
    } catch (e) {
        if (store) await store.close();
        lock.release();
        if (ownsDb) db.close();
        throw e;
    }
}

function putMeta(db, name, meta) {
    try {
        const tx = db.transaction('disks', 'readwrite', { durability: 'relaxed' });
        tx.objectStore('disks').put(meta, name);
        tx2p(tx).catch(() => {});
    } catch {
        /* the list shows an older figure */
    }
}

// ---- the disk manager's operations (the page and tests use these)

export async function listDisks(opts = {}) {
    const db = opts.db || (await openDb(opts));
    try {
        const tx = db.transaction('disks', 'readonly');
        return await req2p(tx.objectStore('disks').getAll());
    } finally {
        if (!opts.db) db.close();
    }
}

// Is the disk open read-write somewhere (Web Locks)? null = cannot tell.
export async function diskInUse(name, locks = globalThis.navigator && globalThis.navigator.locks) {
    if (!locks) return null;
    const q = await locks.query();
    return (q.held || []).some((l) => l.name === `riscv-vm-disk:${name}`);
}

async function dropChunks(name, opts, alsoMeta) {
    const env = idbEnv(opts);
    if (await diskInUse(name, opts.locks)) throw new Error(`disk '${name}' is in use by a running machine: stop it (power off or close its tab) first`);
    const db = opts.db || (await openDb(opts));
    try {
        const meta = await req2p(db.transaction('disks', 'readonly').objectStore('disks').get(name));
        if (meta && meta.store === 'opfs') await (alsoMeta ? OpfsStore.remove(name, opts) : OpfsStore.reset(name, opts));
        const tx = db.transaction(['disks', 'chunks'], 'readwrite', { durability: 'strict' });
        tx.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name));
        const ds = tx.objectStore('disks');
        if (alsoMeta) ds.delete(name);
        else if (meta) ds.put({ ...meta, used: 0, updated: Date.now() }, name);
        await tx2p(tx);
    } finally {
        if (!opts.db) db.close();
    }
}

// Back to the base image: the overlay's chunks are dropped.
export const resetDisk = (name, opts = {}) => dropChunks(name, opts, false);
export const deleteDisk = (name, opts = {}) => dropChunks(name, opts, true);

// The disk as the guest sees it after its last commit (base + overlay,
// read through the engine), yielded in pieces of `step` bytes for
// streaming to a file.
export async function* exportDisk(name, opts = {}) {
    const disk = await openDisk({ ...opts, name, base: opts.base, readonly: true, store: undefined });
    try {
        const step = opts.step || 1024 * 1024;
        for (let off = 0; off < disk.size; off += step) {
            const n = Math.min(step, disk.size - off);
            yield await disk.read(off, n);
            if (opts.onProgress) opts.onProgress(off + n, disk.size);
        }
    } finally {
        await disk.close();
    }
}

// Stores an image as a local base (no URL) and creates disk `name` over it,
// with an empty overlay in opts.store ('idb' default). source: a Blob/File
// (read in pieces) or a Uint8Array.
export async function importImage(name, source, opts = {}) {
    const env = idbEnv(opts);
    const size = source.size ?? source.length;
    if (!(size > 0)) throw new Error('the image is empty');
    const diskSize = Math.ceil(size / 512) * 512;
    const cs = CHUNK;
    const id = `upload:${name}:${Date.now()}`;
    const db = opts.db || (await openDb(opts));
    try {
        const old = await req2p(db.transaction('disks', 'readonly').objectStore('disks').get(name));
        if (old && (await diskInUse(name, opts.locks))) throw new Error(`disk '${name}' is in use by a running machine`);
        const batch = 64; // chunks per transaction (4 MiB)
        for (let i = 0; i * cs < size; i += batch) {
            const from = i * cs;
            const to = Math.min(size, (i + batch) * cs);
            let piece = source.slice(from, to);
            if (typeof piece.arrayBuffer === 'function' && !(piece instanceof Uint8Array)) piece = new Uint8Array(await piece.arrayBuffer());
            // Everything this transaction needs is in hand before it opens.
            const tx = db.transaction('bases', 'readwrite', { durability: 'relaxed' });
            const st = tx.objectStore('bases');
            for (let k = 0; k * cs < piece.length; k++) {
                const c = new Uint8Array(cs);
                c.set(piece.subarray(k * cs, (k + 1) * cs));
                st.put(c, [id, i + k]);
            }
            try {
                await tx2p(tx);
            } catch (e) {
                throw storageError(e, `uploading '${name}'`);
            }
            if (opts.onProgress) opts.onProgress(to, size);
        }
        if (old && old.store === 'opfs') await OpfsStore.remove(name, opts);
        // Where its changes go is the opener's choice (the worker knows
        // whether OPFS works there) unless the caller names a store.
        const store = opts.store === 'opfs' || opts.store === 'idb' ? opts.store : null;
        const meta = { name, size: diskSize, chunkSize: cs, baseId: id, baseUrl: null, baseSize: size, used: 0, store, created: Date.now(), updated: Date.now() };
        const tx = db.transaction(['disks', 'chunks'], 'readwrite', { durability: 'strict' });
        tx.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name));
        tx.objectStore('disks').put(meta, name);
        await tx2p(tx);
        return meta;
    } finally {
        if (!opts.db) db.close();
    }
}
