// IndexedDB for the browser's disks: the database, the base image (HTTP
// Range reads cached in IndexedDB) and the IndexedDB overlay store. The
// overlay's logic is not here: it is the core's copy-on-write engine
// (vm/disk/cow.c) in wasm, driven by cowdisk.mjs; a store only loads chunks
// and commits batches of them, each batch all or nothing.
//
// IndexedDB layout (database 'riscv-vm-disks'):
//   disks   key = disk name ("<machine>/<slot>")  -> meta record
//           {name, size, chunkSize, baseId, baseUrl, baseSize, used, store,
//            created, updated}; store = 'idb' | 'opfs' (where its chunks are)
//   chunks  key = [disk name, chunk index]         -> Uint8Array(chunkSize)
//           the IndexedDB store's overlay chunks: only chunks written
//   bases   key = [base id, chunk index]           -> Uint8Array(chunkSize)
//           the base-image cache (also where an uploaded image lives)

export const DB_NAME = 'riscv-vm-disks';
export const CHUNK = 64 * 1024;
const DB_VERSION = 1;
const READAHEAD = 8; // base chunks fetched per Range request on a miss
const BASE_MEM_CHUNKS = 128; // base chunks kept in memory (read-ahead; the engine caches the rest)
export const BLK = Object.freeze({ READ: 0, WRITE: 1, FLUSH: 2, OK: 0, IOERR: 1, UNSUPP: 2 });

export const req2p = (r) =>
    new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
    });

export const tx2p = (tx) =>
    new Promise((resolve, reject) => {
        tx.oncomplete = () => resolve();
        // An error in a request aborts the transaction: onabort reports it.
        tx.onabort = () => reject(tx.error || new DOMException('transaction aborted', 'AbortError'));
    });

// A clear text for storage errors: the quota is the one users can act on.
export function storageError(e, what) {
    const name = e && e.name;
    if (name === 'QuotaExceededError') {
        return new Error(`${what}: the browser's storage quota is full. Nothing already stored was lost; ` + 'free space (delete or reset a disk in the disk manager) and flush again.');
    }
    return new Error(`${what}: ${(e && e.message) || name || e}`);
}

export function idbEnv(opts) {
    const indexedDB = (opts && opts.indexedDB) || globalThis.indexedDB;
    const IDBKeyRange = (opts && opts.IDBKeyRange) || globalThis.IDBKeyRange;
    if (!indexedDB || !IDBKeyRange) throw new Error('IndexedDB is not available here');
    return { indexedDB, IDBKeyRange };
}

export function openDb(opts = {}) {
    const { indexedDB } = idbEnv(opts);
    const r = indexedDB.open(opts.dbName || DB_NAME, DB_VERSION);
    r.onupgradeneeded = () => {
        const db = r.result;
        if (!db.objectStoreNames.contains('disks')) db.createObjectStore('disks');
        if (!db.objectStoreNames.contains('chunks')) db.createObjectStore('chunks');
        if (!db.objectStoreNames.contains('bases')) db.createObjectStore('bases');
    };
    return req2p(r);
}

export const chunkRange = (KR, key) => KR.bound([key, 0], [key, Infinity]);

// A bounded map that forgets the least recently used entries.
export class Lru {
    constructor(max) {
        this.max = max;
        this.m = new Map();
    }
    get(k) {
        const v = this.m.get(k);
        if (v !== undefined) {
            this.m.delete(k);
            this.m.set(k, v);
        }
        return v;
    }
    set(k, v, keep = () => false) {
        this.m.delete(k);
        this.m.set(k, v);
        if (this.m.size <= this.max) return;
        for (const key of this.m.keys()) {
            if (this.m.size <= this.max) break;
            if (!keep(key)) this.m.delete(key);
        }
    }
    has(k) {
        return this.m.has(k);
    }
    delete(k) {
        this.m.delete(k);
    }
    clear() {
        this.m.clear();
    }
}

// The base image: a URL read with Range requests (or nothing: all zeros, or
// an uploaded image that lives in the 'bases' store). Chunks read are cached
// in memory and in IndexedDB under the base's id.
export class Base {
    constructor(db, env, { id, url, size, fetch: fetchFn, chunkSize }) {
        this.db = db;
        this.env = env;
        this.id = id;
        this.url = url || null;
        this.size = size || 0;
        this.fetch = fetchFn || (globalThis.fetch && globalThis.fetch.bind(globalThis));
        this.chunkSize = chunkSize;
        this.mem = new Lru(BASE_MEM_CHUNKS);
        this.stats = { httpRequests: 0, httpBytes: 0, cacheHits: 0 };
    }

    chunkCount() {
        return Math.ceil(this.size / this.chunkSize);
    }

    // Returns the chunks idxs (read-only views: copy before changing them).
    async chunks(idxs) {
        const out = new Map();
        const need = [];
        for (const i of idxs) {
            if (i >= this.chunkCount()) out.set(i, null); // past the base: zeros
            else {
                const c = this.mem.get(i);
                if (c) out.set(i, c);
                else need.push(i);
            }
        }
        if (!need.length) return out;
        // The IndexedDB cache, in one read-only transaction.
        const tx = this.db.transaction('bases', 'readonly');
        const st = tx.objectStore('bases');
        const got = await Promise.all(need.map((i) => req2p(st.get([this.id, i]))));
        const miss = [];
        need.forEach((i, k) => {
            if (got[k]) {
                const c = toU8(got[k]);
                this.mem.set(i, c);
                out.set(i, c);
                this.stats.cacheHits++;
            } else miss.push(i);
        });
        if (miss.length) await this._fetchRuns(miss, out);
        return out;
    }

    async _fetchRuns(miss, out) {
        if (!this.url) throw new Error(`base image '${this.id}' is missing chunk ${miss[0]} and has no URL to fetch it from`);
        miss.sort((a, b) => a - b);
        const n = this.chunkCount();
        const fetched = [];
        let k = 0;
        while (k < miss.length) {
            // One Range request per run of consecutive chunks, extended
            // forward by read-ahead over chunks not yet in memory.
            const first = miss[k];
            let last = first;
            while (k + 1 < miss.length && miss[k + 1] === last + 1) last = miss[++k];
            k++;
            while (last + 1 < n && last - first + 1 < READAHEAD && !this.mem.has(last + 1)) last++;
            const start = first * this.chunkSize;
            const end = Math.min(this.size, (last + 1) * this.chunkSize) - 1;
            const bytes = await this._range(start, end);
            for (let i = first; i <= last; i++) {
                const c = new Uint8Array(this.chunkSize);
                const off = (i - first) * this.chunkSize;
                c.set(bytes.subarray(off, Math.min(bytes.length, off + this.chunkSize)));
                this.mem.set(i, c);
                out.set(i, c);
                fetched.push([i, c]);
            }
        }
        this._cache(fetched);
    }

    async _range(start, end) {
        this.stats.httpRequests++;
        const res = await this.fetch(this.url, { headers: { Range: `bytes=${start}-${end}` } });
        if (!res.ok) throw new Error(`${this.url}: HTTP ${res.status}`);
        let bytes = new Uint8Array(await res.arrayBuffer());
        if (res.status !== 206) bytes = bytes.subarray(start, end + 1); // a server without Range support
        if (bytes.length !== end - start + 1) throw new Error(`${this.url}: short read at ${start} (${bytes.length} of ${end - start + 1} bytes)`);
        this.stats.httpBytes += bytes.length;
        return bytes;
    }

    // Best effort: a cache that cannot be written (quota) costs only speed.
    _cache(list) {
        if (!list.length) return;
        try {
            const tx = this.db.transaction('bases', 'readwrite', { durability: 'relaxed' });
            const st = tx.objectStore('bases');
            for (const [i, c] of list) st.put(c, [this.id, i]);
            tx2p(tx).catch(() => {});
        } catch {
            /* ignore */
        }
    }
}

export function toU8(v) {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}


// One disk's overlay chunks in IndexedDB. A commit puts every chunk of the
// batch and the meta record in ONE readwrite transaction: after a crash each
// chunk is its old or its new content, never torn. Readwrite transactions
// over the same stores run in creation order, so commits land in the order
// the engine handed them out. Nothing else is awaited while one is open.
export class IdbStore {
    constructor(db, env, name, opts = {}) {
        this.db = db;
        this.env = env;
        this.name = name;
        this.opts = opts; // _crashBeforeCommit: tests, the tab dies mid-commit
    }

    get kind() {
        return 'idb';
    }

    async storedChunks() {
        const tx = this.db.transaction('chunks', 'readonly');
        const keys = await req2p(tx.objectStore('chunks').getAllKeys(chunkRange(this.env.IDBKeyRange, this.name)));
        return keys.map((k) => k[1]);
    }

    // Map idx -> Uint8Array, every idx stored. Started after any commit in
    // flight, so it sees that commit.
    async load(idxs) {
        const tx = this.db.transaction('chunks', 'readonly');
        const st = tx.objectStore('chunks');
        const got = await Promise.all(idxs.map((i) => req2p(st.get([this.name, i]))));
        const out = new Map();
        idxs.forEach((i, k) => {
            if (!got[k]) throw new Error(`disk '${this.name}': chunk ${i} is missing from storage`);
            out.set(i, toU8(got[k]));
        });
        return out;
    }

    // chunks: [[idx, Uint8Array]], copied before this returns (put() clones).
    commit(chunks, strict, meta) {
        let tx = null;
        try {
            tx = this.db.transaction(['chunks', 'disks'], 'readwrite', { durability: strict ? 'strict' : 'relaxed' });
            const st = tx.objectStore('chunks');
            for (const [i, c] of chunks) st.put(c, [this.name, i]);
            if (meta) tx.objectStore('disks').put(meta, this.name);
            if (this.opts._crashBeforeCommit) tx.abort();
            return tx2p(tx);
        } catch (e) {
            // A put that throws (quota, clone error) must not let the puts
            // before it commit on their own: abort the whole transaction.
            try {
                if (tx) tx.abort();
            } catch {
                /* already finished */
            }
            return Promise.reject(e);
        }
    }

    async close() {}
}
