// A browser disk = the core's copy-on-write engine (vm/disk/cow.c, compiled
// into the wasm module; worker/cow_api.c) + a store for its overlay chunks
// (IndexedDB: store-idb.mjs, or OPFS: store-opfs.mjs, whose file logic is
// the core's too, vm/disk/cowfile.c) + a base image (Base in
// store-idb.mjs: HTTP Range reads cached in IndexedDB).
//
// The engine owns the overlay's logic, the same as the CLI's
// (`--disk IMG,overlay=FILE`): the order of requests, merging partial
// writes, what is dirty, when to commit, that a FLUSH completes only after
// it and every earlier commit completed. This file only answers the I/O the
// engine queues:
//   BASE   chunk of the base image        -> base.chunks([...])
//   LOAD   chunk the store holds          -> store.load([...])
//   COMMIT batch of dirty chunk copies    -> store.commit(batch, strict, meta)
// Loads queued together are fetched together (one Range request per run of
// chunks, one IndexedDB transaction). Commits reach the store in the order
// the engine hands them out. An OPFS store answers LOAD and COMMIT inside
// the module, synchronously (cow_serve); only BASE reads come out here.
//
// An engine either serves a machine's virtio-blk (attach(): the machine
// owns it in C and frees it with itself) or stands alone for the disk
// manager and tests, which use read/write/flush here.
import { BLK, storageError } from './store-idb.mjs';

const IO = { NONE: 0, BASE: 1, LOAD: 2, COMMIT: 3 };
const COMMIT_DELAY_MS = 250; // background commit of dirty chunks
const CACHE_CHUNKS = 256; // clean chunks the engine keeps (16 MiB)

// Handles name engines in the hooks the C side calls (Module.wvmHooks).
function registry(mod) {
    if (!mod.__cowDisks) {
        mod.__cowDisks = { next: 1, disks: new Map() };
        const hooks = mod.wvmHooks || (mod.wvmHooks = {});
        hooks.cowWake = (h) => {
            const d = mod.__cowDisks.disks.get(h);
            if (d) d._wake();
        };
        hooks.cowDone = (h, id, status) => {
            const d = mod.__cowDisks.disks.get(h);
            if (d) d._reqDone(id, status);
        };
    }
    return mod.__cowDisks;
}

export class CowDisk {
    // o: {name, size, baseSize, chunkSize, readonly, store, base, meta,
    //     stored? (chunks an IndexedDB store holds), onNotice?, onUsed?,
    //     cacheChunks?}
    constructor(mod, o) {
        this.mod = mod;
        this.name = o.name;
        this.size = o.size;
        this.chunkSize = o.chunkSize;
        this.readonly = !!o.readonly;
        this.store = o.store;
        this.base = o.base;
        this.meta = o.meta;
        this.onNotice = o.onNotice || null;
        this.onUsed = o.onUsed || null; // a file store's space used changed
        this.onComplete = null; // a machine's: poll devices, wake the runner
        this.attached = false;
        this.closed = false;
        this.failed = null; // the last storage error, until a commit succeeds
        this.stored = new Set(o.stored || []);
        this.stats = { commits: [] };
        this.inflight = new Set(); // store operations not yet answered
        this.reqs = new Map(); // standalone requests (read/write/flush)
        this.nextReq = 1;
        this.scheduled = false;
        const reg = registry(mod);
        this.handle = reg.next++;
        this.ptr = mod._cow_open(o.size, o.baseSize || 0, o.chunkSize, this.readonly ? 1 : 0, this.handle, o.cacheChunks || CACHE_CHUNKS);
        if (!this.ptr) throw new Error(`disk '${this.name}': out of memory for its engine`);
        this.ioBuf = mod._malloc(40); // 8 words of I/O + 2 counters (cow_serve)
        this.statBuf = mod._malloc(14 * 8);
        reg.disks.set(this.handle, this);
        for (const i of this.stored) mod._cow_mark_stored(this.ptr, i);
        if (this.store.file) this.store.markInto(this.ptr);
        this.used = this.store.file ? this.store.usedBytes() : this.stored.size * this.chunkSize;
        this.timer = this.readonly
            ? null
            : setInterval(() => {
                  if (this._call(() => this.mod._cow_dirty(this.ptr))) this._call(() => this.mod._cow_commit(this.ptr, 0));
              }, COMMIT_DELAY_MS);
        if (this.timer && this.timer.unref) this.timer.unref();
    }

    heap() {
        return this.mod.HEAPU8; // re-read: memory growth replaces it
    }

    // Calls into the module; a module that trapped (the machine crashed)
    // leaves the disk dead, with what was committed safe in the store.
    _call(fn) {
        if (!this.ptr) return undefined;
        try {
            return fn();
        } catch (e) {
            this._dead(e);
            return undefined;
        }
    }

    _dead(e) {
        this.ptr = 0;
        this._notice(`disk '${this.name}': the VM core failed (${(e && e.message) || e}); writes since the last commit are lost`);
    }

    _notice(text) {
        if (this.onNotice) this.onNotice(text);
    }

    // The machine took it (vm_add_disk_cow): completions must poll its
    // devices; the machine frees the engine.
    attach(onComplete) {
        this.attached = true;
        this.onComplete = onComplete;
    }

    // The machine is being freed, engine and all.
    detach() {
        this.ptr = 0;
        this.onComplete = null;
    }

    _wake() {
        if (this.scheduled) return;
        this.scheduled = true;
        // Never inside vm_run: the drain runs after the current task.
        queueMicrotask(() => {
            this.scheduled = false;
            this._drain();
        });
    }

    // Takes every queued I/O and starts answering it. Returns the commits it
    // started (for commitNow).
    _drain() {
        const commits = [];
        if (!this.ptr) return commits;
        const bases = [];
        const loads = [];
        const file = this.store.file;
        const counts = this.ioBuf + 32;
        if (file) this.heap().fill(0, counts, counts + 8);
        for (;;) {
            const more = this._call(() => (file ? this.mod._cow_serve(this.ptr, file, this.ioBuf, counts) : this.mod._cow_next_io(this.ptr, this.ioBuf)));
            if (!more) break;
            const w = new Int32Array(this.heap().buffer, this.ioBuf, 8);
            const [kind, id, chunk, buf, n, chunksPtr, dataPtr, strict] = w;
            if (kind === IO.BASE) bases.push({ id, chunk, buf });
            else if (kind === IO.LOAD) loads.push({ id, chunk, buf });
            else if (kind === IO.COMMIT) commits.push(this._commit(id, n, chunksPtr >>> 0, dataPtr >>> 0, !!strict));
        }
        if (file && this.ptr) {
            // Loads and commits answered inside the module may have
            // completed guest requests: the machine must see them.
            this._fileCommitted(...new Int32Array(this.heap().buffer, counts, 2));
            if (this.onComplete) this.onComplete();
        }
        if (bases.length) this._fill(bases, (idxs) => this.base.chunks(idxs), 'base image');
        if (loads.length) this._fill(loads, (idxs) => this.store.load(idxs), 'stored chunk');
        return commits;
    }

    _track(p) {
        this.inflight.add(p);
        const done = () => this.inflight.delete(p);
        p.then(done, done);
        return p;
    }

    _fill(list, get, what) {
        const p = Promise.resolve()
            .then(() => get(list.map((x) => x.chunk)))
            .then(
                (got) => {
                    for (const x of list) {
                        const c = got.get(x.chunk);
                        const h = this.heap();
                        if (c) h.set(c.length > this.chunkSize ? c.subarray(0, this.chunkSize) : c, x.buf);
                        if (!c || c.length < this.chunkSize) h.fill(0, x.buf + (c ? c.length : 0), x.buf + this.chunkSize);
                        this._ioDone(x.id, 0);
                    }
                },
                (e) => {
                    this._notice(`disk '${this.name}': cannot read a ${what}: ${(e && e.message) || e}`);
                    for (const x of list) this._ioDone(x.id, 1);
                },
            );
        this._track(p);
    }

    _commit(id, n, chunksPtr, dataPtr, strict) {
        const h = this.heap();
        const idx = new Uint32Array(h.buffer, chunksPtr, n);
        const ptrs = new Uint32Array(h.buffer, dataPtr, n);
        const batch = [];
        const added = [];
        for (let k = 0; k < n; k++) {
            // A copy: storing a view of the wasm heap would clone (and
            // store) the whole heap behind it.
            batch.push([idx[k], h.slice(ptrs[k], ptrs[k] + this.chunkSize)]);
            if (!this.stored.has(idx[k])) added.push(idx[k]);
        }
        const record = { strict, chunks: n, state: 'pending' };
        this.stats.commits.push(record);
        const meta = { ...this.meta, used: (this.stored.size + added.length) * this.chunkSize, updated: Date.now() };
        let p;
        try {
            p = Promise.resolve(this.store.commit(batch, strict, meta));
        } catch (e) {
            p = Promise.reject(e);
        }
        p = p.then(
            () => {
                record.state = 'committed';
                this.meta = meta;
                for (const i of added) this.stored.add(i);
                this.failed = null;
                this._ioDone(id, 0);
            },
            (e) => {
                record.state = 'failed';
                this.failed = storageError(e, `disk '${this.name}'`);
                this._notice(this.failed.message);
                this._ioDone(id, 1); // the engine keeps the chunks dirty
            },
        );
        return this._track(p);
    }

    // Commits a file store answered inside cow_serve.
    _fileCommitted(commits, failed) {
        if (!commits) return;
        if (failed) {
            const e = this.store.takeError() || new Error('the overlay file could not be written');
            this.failed = storageError(e, `disk '${this.name}'`);
            this._notice(this.failed.message);
        } else {
            this.failed = null;
        }
        const used = this.store.usedBytes();
        if (used !== this.used) {
            this.used = used;
            if (this.onUsed) this.onUsed(used);
        }
    }

    _ioDone(id, status) {
        if (!this.ptr) return;
        this._call(() => this.mod._cow_io_done(this.ptr, id, status));
        if (this.onComplete) this.onComplete();
    }

    // ---- standalone requests (the disk manager, tests)

    _request(type, offset, bytes, len) {
        if (this.closed || !this.ptr) return Promise.reject(new Error(`disk '${this.name}' is closed`));
        const mod = this.mod;
        const buf = len ? mod._malloc(len) : 0;
        if (len && !buf) return Promise.reject(new Error('out of memory'));
        if (bytes) this.heap().set(bytes, buf);
        const id = this.nextReq++;
        const p = new Promise((resolve) => this.reqs.set(id, { resolve, buf, len }));
        const ok = this._call(() => mod._cow_request(this.ptr, this.handle, id, type, offset, buf, len));
        if (!ok) this._reqDone(id, BLK.IOERR);
        return p;
    }

    _reqDone(id, status) {
        const r = this.reqs.get(id);
        if (!r) return;
        this.reqs.delete(id);
        const out = status === BLK.OK && r.len ? this.heap().slice(r.buf, r.buf + r.len) : null;
        if (r.buf) this.mod._free(r.buf);
        r.resolve({ status, out });
    }

    _check(offset, len) {
        if (!(offset >= 0) || !(len >= 0) || offset + len > this.size) throw new RangeError(`disk '${this.name}': access past the end (${offset}+${len} > ${this.size})`);
    }

    _fail(what) {
        return this.failed || new Error(`disk '${this.name}': I/O error on ${what}`);
    }

    async read(offset, len) {
        this._check(offset, len);
        if (!len) return new Uint8Array(0);
        const r = await this._request(BLK.READ, offset, null, len);
        if (r.status !== BLK.OK) throw this._fail(`read at ${offset}`);
        return r.out;
    }

    async write(offset, bytes) {
        if (this.readonly) throw new Error(`disk '${this.name}' is read-only`);
        this._check(offset, bytes.length);
        if (!bytes.length) return;
        const r = await this._request(BLK.WRITE, offset, bytes, bytes.length);
        if (r.status !== BLK.OK) throw this._fail(`write at ${offset}`);
    }

    // Resolves once every earlier write is durable; rejects with a clear
    // message when a commit failed.
    async flush() {
        const r = await this._request(BLK.FLUSH, 0, null, 0);
        if (r.status !== BLK.OK) throw this._fail('flush');
    }

    // A background commit now (tests, closing): resolves when the commits
    // it started completed.
    commitNow(strict = false) {
        this._call(() => this.mod._cow_commit(this.ptr, strict ? 1 : 0));
        return Promise.all(this._drain());
    }

    engineStats() {
        if (!this.ptr) return null;
        this._call(() => this.mod._cow_stats(this.ptr, this.statBuf));
        const v = new Float64Array(this.heap().buffer, this.statBuf, 14);
        const k = ['reads', 'writes', 'flushes', 'ioerrs', 'baseLoads', 'loads', 'commits', 'commitFailures', 'committedChunks', 'cached', 'dirty', 'stored', 'inflight', 'waiting'];
        return Object.fromEntries(k.map((n, i) => [n, v[i]]));
    }

    // Commits what is dirty and waits for every store operation; the engine
    // is freed unless a machine owns it. The disk is unusable afterwards.
    async close() {
        if (this.closed) return;
        this.closed = true;
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        // A durable commit of what is dirty; loads in flight may still let
        // queued writes run, and those are committed in turn. Nothing can
        // change once no store operation is in flight.
        for (let round = 0; this.ptr && round < 100; round++) {
            const dirty = this._call(() => this.mod._cow_dirty(this.ptr));
            if (!this.readonly && (round === 0 || (dirty && !this._call(() => this.mod._cow_failing(this.ptr))))) this._call(() => this.mod._cow_commit(this.ptr, 1));
            this._drain();
            if (!this.inflight.size) break;
            await Promise.allSettled([...this.inflight]);
        }
        this._release();
    }

    // The tab dies: nothing more reaches the store (tests).
    crash() {
        this.closed = true;
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        this._release();
    }

    _release() {
        const reg = registry(this.mod);
        reg.disks.delete(this.handle);
        if (this.ptr && !this.attached) {
            this.mod._cow_close(this.ptr);
        }
        if (this.ioBuf) this.mod._free(this.ioBuf);
        if (this.statBuf) this.mod._free(this.statBuf);
        this.ioBuf = this.statBuf = 0;
        this.ptr = 0;
        for (const id of [...this.reqs.keys()]) this._reqDone(id, BLK.IOERR);
    }
}
