// Disks that persist in the browser: a read-only base image (fetched over
// HTTP with Range requests, one run of chunks at a time, on first read, and
// cached) under a writable, sparse, copy-on-write overlay kept in IndexedDB.
//
// IndexedDB layout (database 'riscv-vm-disks'):
//   disks   key = disk name ("<machine>/<slot>")  -> meta record
//           {name, size, chunkSize, baseId, baseUrl, baseSize, used, created, updated}
//   chunks  key = [disk name, chunk index]         -> Uint8Array(chunkSize)
//           only chunks the guest wrote are stored; their keys are the index
//   bases   key = [base id, chunk index]           -> Uint8Array(chunkSize)
//           the base-image cache (also where an uploaded image lives)
//
// Durability rules (issue 6):
//   - a commit puts every chunk dirtied since the last commit and the meta
//     record in ONE readwrite transaction: after a crash each chunk is either
//     its old or its new content, never half of a write;
//   - nothing else is awaited while a transaction is open (it would commit
//     under us, GUEST-NOTES.md "Browser");
//   - a guest FLUSH starts a commit with durability 'strict' and completes
//     only when it and every earlier commit have completed (IndexedDB runs
//     readwrite transactions over the same stores in creation order);
//   - a failed commit (QuotaExceededError) aborts whole: what was stored
//     stays; the chunks stay dirty in memory, are retried by the next commit,
//     and the flush reports an I/O error with a clear message.
//
// Requests from the guest are handled one at a time, in order, so a read
// always sees every earlier write.

export const DB_NAME = 'riscv-vm-disks';
export const CHUNK = 64 * 1024;
const DB_VERSION = 1;
const READAHEAD = 8; // base chunks fetched per Range request on a miss
const COMMIT_DELAY_MS = 250; // background commit of dirty chunks
const COMMIT_BYTES = 8 * 1024 * 1024; // ... or sooner when this much is dirty
const MEM_CHUNKS = 512; // clean chunks kept in memory (32 MiB)
export const BLK = Object.freeze({ READ: 0, WRITE: 1, FLUSH: 2, OK: 0, IOERR: 1, UNSUPP: 2 });

const req2p = (r) =>
    new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
    });

const tx2p = (tx) =>
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

function idbEnv(opts) {
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

const chunkRange = (KR, key) => KR.bound([key, 0], [key, Infinity]);

// A bounded map that forgets the least recently used entries.
class Lru {
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
class Base {
    constructor(db, env, { id, url, size, fetch: fetchFn, chunkSize }) {
        this.db = db;
        this.env = env;
        this.id = id;
        this.url = url || null;
        this.size = size || 0;
        this.fetch = fetchFn || (globalThis.fetch && globalThis.fetch.bind(globalThis));
        this.chunkSize = chunkSize;
        this.mem = new Lru(MEM_CHUNKS);
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

function toU8(v) {
    if (v instanceof Uint8Array) return v;
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

// Opens (creating on first use) the disk `name` = "<machine>/<slot>".
// opts: {name, size?, base: {id?, url?, size}, readonly?, locks?, fetch?,
//        indexedDB?, IDBKeyRange?, db?, onNotice?(text)}
// With the Web Locks API, a disk is open read-write in one tab at a time: a
// second opener gets it read-only, and disk.notice says why.
export async function openDisk(opts) {
    const env = idbEnv(opts);
    const db = opts.db || (await openDb(opts));
    const d = new OverlayDisk(db, env, opts);
    try {
        await d._open();
    } catch (e) {
        d._releaseLock();
        if (!opts.db) db.close();
        throw e;
    }
    d.ownsDb = !opts.db;
    return d;
}

export class OverlayDisk {
    constructor(db, env, opts) {
        this.db = db;
        this.env = env;
        this.opts = opts;
        this.name = opts.name;
        if (!this.name) throw new Error('a disk needs a name');
        this.chunkSize = opts.chunkSize || CHUNK;
        const b = opts.base || {};
        this.base = new Base(db, env, {
            id: b.id || (b.url ? `${b.url}#${b.size}` : `empty#${b.size || 0}`),
            url: b.url,
            size: b.size || 0,
            fetch: opts.fetch,
            chunkSize: this.chunkSize,
        });
        this.size = opts.size || b.size;
        this.readonly = !!opts.readonly;
        this.notice = null;
        this.committed = new Set(); // chunk indexes stored in IndexedDB (or in a commit in flight)
        this.mem = new Lru(MEM_CHUNKS); // overlay chunks in memory: clean, and all dirty ones
        this.dirty = new Set();
        this.inflight = new Set();
        // Chunks of commits in flight stay in memory: if the commit fails
        // they become dirty again and must still be there.
        this.pinned = new Map(); // idx -> commits in flight holding it
        this.keep = (i) => this.dirty.has(i) || this.pinned.has(i);
        this.queue = Promise.resolve();
        this.timer = null;
        this.closed = false;
        this.failed = null; // the last commit error, until a commit succeeds
        this.stats = { commits: [], reads: 0, writes: 0, flushes: 0 };
        this.onNotice = opts.onNotice || null;
        this._unlock = null;
    }

    async _open() {
        if (!this.readonly) await this._lock();
        const tx = this.db.transaction(['disks', 'chunks'], 'readonly');
        const metaP = req2p(tx.objectStore('disks').get(this.name));
        const keysP = req2p(tx.objectStore('chunks').getAllKeys(chunkRange(this.env.IDBKeyRange, this.name)));
        let [meta, keys] = await Promise.all([metaP, keysP]);
        if (meta && keys.length === 0 && !this.readonly && this.opts.base && meta.baseId !== this.base.id) {
            meta = null; // nothing written over the old base (or reset): take the new one
        }
        if (meta) {
            if (meta.baseId !== this.base.id && this.opts.base && (this.opts.base.url || this.opts.base.id)) {
                throw new Error(`disk '${this.name}' was made over another base image (${meta.baseId}); ` + 'reset it to the new base, or delete it, in the disk manager');
            }
            if (!this.opts.base) {
                // Opened by name only: the stored meta says where the base is.
                this.base.id = meta.baseId;
                this.base.url = meta.baseUrl;
                this.base.size = meta.baseSize;
            }
            this.size = meta.size;
            this.meta = meta;
        } else {
            if (!(this.size > 0) || this.size % 512) throw new Error(`disk '${this.name}': size must be a non-zero multiple of 512 (got ${this.size})`);
            this.meta = {
                name: this.name,
                size: this.size,
                chunkSize: this.chunkSize,
                baseId: this.base.id,
                baseUrl: this.base.url,
                baseSize: this.base.size,
                used: 0,
                created: Date.now(),
                updated: Date.now(),
            };
        }
        if (this.meta.chunkSize !== this.chunkSize) throw new Error(`disk '${this.name}' uses ${this.meta.chunkSize}-byte chunks`);
        for (const k of keys) this.committed.add(k[1]);
        if (!meta && !this.readonly) {
            // Listed by the disk manager from the first boot on (and a reset
            // disk takes a new base here).
            const w = this.db.transaction('disks', 'readwrite');
            w.objectStore('disks').put(this.meta, this.name);
            try {
                await tx2p(w);
            } catch (e) {
                throw storageError(e, `disk '${this.name}'`);
            }
        }
    }

    async _lock() {
        const locks = this.opts.locks !== undefined ? this.opts.locks : globalThis.navigator && globalThis.navigator.locks;
        if (!locks) return; // Node, or a browser without Web Locks: one opener assumed
        const got = await new Promise((resolve) => {
            locks
                .request(`riscv-vm-disk:${this.name}`, { mode: 'exclusive', ifAvailable: true }, (lock) => {
                    if (!lock) {
                        resolve(false);
                        return undefined;
                    }
                    resolve(true);
                    return new Promise((release) => {
                        this._unlock = release;
                    });
                })
                .catch(() => resolve(false));
        });
        if (!got) {
            this.readonly = true;
            this.notice = `disk '${this.name}' is open in another tab or window: it is read-only here (changes made there are not seen until the next boot)`;
            if (this.onNotice) this.onNotice(this.notice);
        }
    }

    _releaseLock() {
        if (this._unlock) this._unlock();
        this._unlock = null;
    }

    // ---- the guest's view

    _serial(fn) {
        const p = this.queue.then(fn);
        this.queue = p.catch(() => {});
        return p;
    }

    // Loads the current content of chunks idxs (overlay, else base, else
    // zeros). Returns Map idx -> Uint8Array (null = zeros); overlay chunks
    // returned are the disk's own, base chunks are shared read-only views.
    async _load(idxs) {
        const out = new Map();
        const fromDb = [];
        const fromBase = [];
        for (const i of idxs) {
            const c = this.mem.get(i);
            if (c) out.set(i, c);
            else if (this.committed.has(i)) fromDb.push(i);
            else fromBase.push(i);
        }
        if (fromDb.length) {
            // Started after any commit in flight, so it sees that commit.
            const tx = this.db.transaction('chunks', 'readonly');
            const st = tx.objectStore('chunks');
            const got = await Promise.all(fromDb.map((i) => req2p(st.get([this.name, i]))));
            fromDb.forEach((i, k) => {
                if (!got[k]) throw new Error(`disk '${this.name}': chunk ${i} is missing from storage`);
                const c = toU8(got[k]);
                if (!this.mem.has(i)) this.mem.set(i, c, this.keep);
                out.set(i, this.mem.get(i) || c);
            });
        }
        if (fromBase.length) {
            const got = await this.base.chunks(fromBase);
            for (const [i, c] of got) out.set(i, c);
        }
        return out;
    }

    _span(offset, len) {
        const cs = this.chunkSize;
        const first = Math.floor(offset / cs);
        const last = Math.floor((offset + len - 1) / cs);
        const idxs = [];
        for (let i = first; i <= last; i++) idxs.push(i);
        return idxs;
    }

    _check(offset, len) {
        if (!(offset >= 0) || !(len >= 0) || offset + len > this.size) throw new RangeError(`disk '${this.name}': access past the end (${offset}+${len} > ${this.size})`);
    }

    read(offset, len) {
        return this._serial(() => this._read(offset, len));
    }

    async _read(offset, len) {
        this._check(offset, len);
        this.stats.reads++;
        const out = new Uint8Array(len);
        if (!len) return out;
        const idxs = this._span(offset, len);
        const got = await this._load(idxs);
        const cs = this.chunkSize;
        for (const i of idxs) {
            const c = got.get(i); // (got may hold read-ahead chunks too)
            if (!c) continue;
            const from = Math.max(offset, i * cs);
            const to = Math.min(offset + len, (i + 1) * cs);
            out.set(c.subarray(from - i * cs, to - i * cs), from - offset);
        }
        return out;
    }

    write(offset, bytes) {
        return this._serial(() => this._write(offset, bytes));
    }

    async _write(offset, bytes) {
        if (this.readonly) throw new Error(`disk '${this.name}' is read-only`);
        this._check(offset, bytes.length);
        this.stats.writes++;
        if (!bytes.length) return;
        const cs = this.chunkSize;
        const idxs = this._span(offset, bytes.length);
        // Whole chunks need no old content; partial ones are read first.
        const partial = idxs.filter((i) => offset > i * cs || offset + bytes.length < (i + 1) * cs);
        const old = partial.length ? await this._load(partial) : new Map();
        // From here to the end nothing is awaited: the write lands in memory
        // at once, whole, so one commit takes all of it or none of it.
        for (const i of idxs) {
            let c = this.mem.get(i);
            if (!c) {
                c = new Uint8Array(cs);
                const o = old.get(i);
                if (o) c.set(o);
            }
            const from = Math.max(offset, i * cs);
            const to = Math.min(offset + bytes.length, (i + 1) * cs);
            c.set(bytes.subarray(from - offset, to - offset), from - i * cs);
            this.dirty.add(i);
            this.mem.set(i, c, this.keep);
        }
        this._scheduleCommit();
    }

    _scheduleCommit() {
        if (this.dirty.size * this.chunkSize >= COMMIT_BYTES) {
            this._commit('relaxed').catch(() => {});
            return;
        }
        if (this.timer === null && !this.closed) {
            this.timer = setTimeout(() => {
                this.timer = null;
                if (this.dirty.size) this._commit('relaxed').catch(() => {});
            }, COMMIT_DELAY_MS);
        }
    }

    // One transaction: every dirty chunk and the meta record. Synchronous up
    // to the point the transaction is queued; returns its completion.
    _commit(durability) {
        if (this.timer !== null) {
            clearTimeout(this.timer);
            this.timer = null;
        }
        const idxs = [...this.dirty];
        this.dirty.clear();
        const added = idxs.filter((i) => !this.committed.has(i));
        const record = { name: this.name, durability, chunks: idxs.length, state: 'pending' };
        for (const i of idxs) this.pinned.set(i, (this.pinned.get(i) || 0) + 1);
        const unpin = () => {
            for (const i of idxs) {
                const n = this.pinned.get(i) - 1;
                if (n > 0) this.pinned.set(i, n);
                else this.pinned.delete(i);
            }
        };
        this.stats.commits.push(record);
        let p;
        let tx = null;
        try {
            tx = this.db.transaction(['chunks', 'disks'], 'readwrite', { durability });
            const st = tx.objectStore('chunks');
            // put() clones the value now: later guest writes to the same
            // chunk in memory do not leak into this transaction.
            for (const i of idxs) st.put(this.mem.get(i), [this.name, i]);
            const meta = { ...this.meta, used: (this.committed.size + added.length) * this.chunkSize, updated: Date.now() };
            tx.objectStore('disks').put(meta, this.name);
            this.meta = meta;
            for (const i of added) this.committed.add(i);
            if (this.opts._crashBeforeCommit) {
                // Tests: the tab dies with this transaction open.
                tx.abort();
                this.closed = true;
            }
            p = tx2p(tx);
        } catch (e) {
            // A put that throws (quota, clone error) must not let the puts
            // before it commit on their own: abort the whole transaction.
            try {
                if (tx) tx.abort();
            } catch {
                /* already finished */
            }
            p = Promise.reject(e);
        }
        p = p.then(
            () => {
                unpin();
                record.state = 'committed';
                this.failed = null;
            },
            (e) => {
                unpin();
                record.state = 'failed';
                // Nothing of this commit is stored; keep it for the next one.
                for (const i of added) this.committed.delete(i);
                for (const i of idxs) this.dirty.add(i);
                this.failed = storageError(e, `disk '${this.name}'`);
                if (this.onNotice) this.onNotice(this.failed.message);
                throw this.failed;
            },
        );
        this.inflight.add(p);
        const done = () => this.inflight.delete(p);
        p.then(done, done);
        return p;
    }

    // Resolves once every write before it is durable; rejects (with a clear
    // message) when a commit failed.
    flush() {
        return this._serial(() => this._flush());
    }

    async _flush() {
        this.stats.flushes++;
        if (this.readonly) return;
        // Earlier commits may be 'relaxed': a strict one after them (same
        // stores, so it completes after them) makes them durable too.
        const all = [...this.inflight];
        all.push(this._commit('strict'));
        const res = await Promise.allSettled(all);
        const bad = res.find((r) => r.status === 'rejected');
        if (bad) throw bad.reason;
    }

    // The VmCore disk handler (worker/core.mjs): returns a status or a
    // Promise of one. Write data is copied out of guest RAM at once.
    submit(req) {
        if (this.closed) return BLK.IOERR;
        const len = req.iov.reduce((a, v) => a + v.len, 0);
        if (req.type === BLK.READ) {
            return this.read(req.offset, len).then(
                (bytes) => {
                    const h = req.heap();
                    let o = 0;
                    for (const v of req.iov) {
                        h.set(bytes.subarray(o, o + v.len), v.ptr);
                        o += v.len;
                    }
                    return BLK.OK;
                },
                (e) => this._ioerr(e),
            );
        }
        if (req.type === BLK.WRITE) {
            if (this.readonly) return BLK.IOERR;
            const data = new Uint8Array(len);
            const h = req.heap();
            let o = 0;
            for (const v of req.iov) {
                data.set(h.subarray(v.ptr, v.ptr + v.len), o);
                o += v.len;
            }
            return this.write(req.offset, data).then(
                () => BLK.OK,
                (e) => this._ioerr(e),
            );
        }
        if (req.type === BLK.FLUSH) {
            return this.flush().then(
                () => BLK.OK,
                (e) => this._ioerr(e),
            );
        }
        return BLK.UNSUPP;
    }

    _ioerr(e) {
        if (this.onNotice) this.onNotice(String((e && e.message) || e));
        return BLK.IOERR;
    }

    // Commits what is dirty (as a closed tab would not) and releases the
    // lock. The disk is unusable afterwards.
    async close() {
        if (this.closed) return;
        try {
            await this._serial(async () => {
                if (!this.readonly && this.dirty.size) this._commit('strict').catch(() => {});
                await Promise.allSettled([...this.inflight]);
            });
        } finally {
            this.closed = true;
            if (this.timer !== null) clearTimeout(this.timer);
            this.timer = null;
            this._releaseLock();
            if (this.ownsDb) this.db.close();
        }
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
        const tx = db.transaction(['disks', 'chunks'], 'readwrite', { durability: 'strict' });
        tx.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name));
        const ds = tx.objectStore('disks');
        if (alsoMeta) ds.delete(name);
        else {
            const r = ds.get(name);
            r.onsuccess = () => {
                if (r.result) ds.put({ ...r.result, used: 0, updated: Date.now() }, name);
            };
        }
        await tx2p(tx);
    } finally {
        if (!opts.db) db.close();
    }
}

// Back to the base image: the overlay's chunks are dropped in one transaction.
export const resetDisk = (name, opts = {}) => dropChunks(name, opts, false);
export const deleteDisk = (name, opts = {}) => dropChunks(name, opts, true);

// The disk as the guest sees it after its last commit (base + overlay),
// yielded in pieces of `step` bytes for streaming to a file.
export async function* exportDisk(name, opts = {}) {
    const disk = await openDisk({ ...opts, name, base: opts.base, readonly: true });
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
// with an empty overlay. bytes: a Blob/File (read in pieces) or Uint8Array.
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
        const meta = { name, size: diskSize, chunkSize: cs, baseId: id, baseUrl: null, baseSize: size, used: 0, created: Date.now(), updated: Date.now() };
        const tx = db.transaction(['disks', 'chunks'], 'readwrite', { durability: 'strict' });
        tx.objectStore('chunks').delete(chunkRange(env.IDBKeyRange, name));
        tx.objectStore('disks').put(meta, name);
        await tx2p(tx);
        return meta;
    } finally {
        if (!opts.db) db.close();
    }
}
