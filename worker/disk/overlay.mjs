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
import { OpfsStore, opfsAvailable } from './store-opfs.mjs';

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

// Which store a new disk gets: 'opfs' only where it works.
export function storeKinds() {
    return opfsAvailable() ? ['idb', 'opfs'] : ['idb'];
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
//        module?, locks?, fetch?, indexedDB?, IDBKeyRange?, db?, onNotice?(text),
//        cacheChunks?, _crashBeforeCommit?}
// With the Web Locks API a disk is open read-write in one tab at a time: a
// second opener gets it read-only, and disk.notice says why.
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
        if (!readonly) {
            lock = await lockDisk(name, opts);
            if (!lock.got) {
                readonly = true;
                say(`disk '${name}' is open in another tab or window: it is read-only here (changes made there are not seen until the next boot)`);
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
        // A new disk goes to OPFS where workers can use it, else IndexedDB.
        const want = opts.store || (meta && meta.store) || (opfsAvailable() ? 'opfs' : 'idb');
        if (want !== 'idb' && want !== 'opfs') throw new Error(`unknown disk store '${want}' (idb or opfs)`);
        if (want === 'opfs' && !opfsAvailable()) {
            if (!meta || (meta.store || 'idb') !== 'opfs') throw new Error('OPFS with synchronous access handles is not available here (a dedicated worker in a current browser): use store=idb');
        }
        // Is anything stored? (A disk with nothing written may take a new
        // base or a new store.)
        let used = idbKeys.length;
        if (meta && meta.store === 'opfs') used = meta.used > 0 ? 1 : 0; // kept after each OPFS commit
        if (meta && used === 0 && !readonly && opts.base && meta.baseId !== base.id) meta = null; // reset, or never written: take the new base
        let moved = false;
        if (meta && used === 0 && !readonly && opts.store && (meta.store || 'idb') !== opts.store) {
            meta = { ...meta, store: opts.store, updated: Date.now() }; // nothing stored yet: it may move
            moved = true;
        }
        const fresh = !meta || moved;
        if (meta) {
            if (meta.baseId !== base.id && opts.base && (opts.base.url || opts.base.id)) {
                throw new Error(`disk '${name}' was made over another base image (${meta.baseId}); reset it to the new base, or delete it, in the disk manager`);
            }
            if (opts.store && (meta.store || 'idb') !== opts.store) say(`disk '${name}' keeps its data in ${meta.store === 'opfs' ? 'OPFS' : 'IndexedDB'}; reset it to move it to ${opts.store === 'opfs' ? 'OPFS' : 'IndexedDB'}`);
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
        if (fresh) {
            if (!readonly) {
                // Listed by the disk manager from the first boot on.
                const w = db.transaction(['disks', 'chunks'], 'readwrite');
                w.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name)); // a new store: none left behind
                w.objectStore('disks').put(meta, name);
                try {
                    await tx2p(w);
                } catch (e) {
                    throw storageError(e, `disk '${name}'`);
                }
            }
        }
        const kind = meta.store || 'idb';
        let stored;
        if (kind === 'opfs') {
            if (fresh && !readonly) await OpfsStore.reset(name); // nothing left from an older disk of that name
            store = await OpfsStore.open({ name, size: meta.size, chunkSize: CHUNK, readonly });
            stored = [...store.stored];
        } else {
            store = new IdbStore(db, env, name, opts);
            stored = idbKeys.map((k) => k[1]);
        }
        const mod = opts.module || (await standaloneModule());
        const disk = new CowDisk(mod, {
            name,
            size: meta.size,
            baseSize: base.size,
            chunkSize: CHUNK,
            readonly,
            store: kind === 'opfs' ? new OpfsMeta(store, db, name) : store,
            base,
            meta,
            stored,
            onNotice: opts.onNotice,
            cacheChunks: opts.cacheChunks,
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

// The OPFS store commits the chunks; the meta record (size used) follows in
// IndexedDB, best effort: it only feeds the disk manager's list.
class OpfsMeta {
    constructor(store, db, name) {
        this.store = store;
        this.db = db;
        this.name = name;
    }

    get kind() {
        return 'opfs';
    }

    load(idxs) {
        return this.store.load(idxs);
    }

    commit(chunks, strict, meta) {
        return this.store.commit(chunks, strict).then(() => {
            try {
                const tx = this.db.transaction('disks', 'readwrite', { durability: 'relaxed' });
                tx.objectStore('disks').put({ ...meta, used: this.store.usedBytes() }, this.name);
                tx2p(tx).catch(() => {});
            } catch {
                /* the list shows an older figure */
            }
        });
    }

    close() {
        return this.store.close();
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
        if (meta && meta.store === 'opfs') await (alsoMeta ? OpfsStore.remove(name) : OpfsStore.reset(name));
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
        if (old && old.store === 'opfs') await OpfsStore.remove(name);
        const store = opts.store === 'opfs' ? 'opfs' : 'idb';
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
