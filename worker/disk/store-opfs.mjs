// OPFS for the browser's disks: a disk's overlay is one file in the
// origin-private file system, in the CLI's overlay file format
// (vm/disk/cowfile.c: header, chunk index, data slots; a commit writes its
// chunks to free slots, syncs, then writes the index), opened with a
// synchronous access handle. Those exist only in dedicated workers, so a
// disk in OPFS is opened by the VM's worker (or the disk manager's worker).
//
// The file's logic is C, in the same wasm module as the engine: it reads
// and writes the file through the Module.wvmHooks.file* hooks below, and
// cowdisk.mjs lets cow_serve answer the engine's loads and commits from it
// synchronously. What is JS here: finding, opening, locking and removing
// the file.
//
// One opener at a time: a sync access handle locks its file. A second tab
// cannot read a disk another tab holds (it gets a clear message); the
// overlay is never shared while written.

export const OPFS_DIR = 'riscv-vm-disks';
const WHY = ['no error', 'cannot read or write the overlay file', 'out of memory', 'not a riscv-vm overlay file (or another version)', 'made over another base image', 'its index is damaged', 'empty, and read-only here', 'bad parameters'];

// Where synchronous access handles can be had: a dedicated worker of a
// current browser (or a test's stand-in root, opts.opfs).
export function opfsAvailable(opts = {}) {
    if (opts.opfs) return true;
    const g = globalThis;
    return (
        typeof g.FileSystemSyncAccessHandle === 'function' &&
        typeof g.DedicatedWorkerGlobalScope === 'function' &&
        g instanceof g.DedicatedWorkerGlobalScope &&
        !!(g.navigator && g.navigator.storage && g.navigator.storage.getDirectory)
    );
}

// The directory disks live in (created on first use).
async function diskDir(opts, create) {
    const root = opts.opfs || (await globalThis.navigator.storage.getDirectory());
    try {
        return await root.getDirectoryHandle(OPFS_DIR, { create });
    } catch (e) {
        if (!create && e && e.name === 'NotFoundError') return null;
        throw e;
    }
}

// What a second opener of a disk whose changes are in OPFS is told.
export const opfsBusy = (name) => `disk '${name}' is open in another tab or window (its changes are in OPFS, which one tab at a time can open): close it there, or stop its machine, and try again`;

// A file name for a disk name ("linux/0" -> "linux%2F0.ovl").
const fileName = (name) => `${encodeURIComponent(name)}.ovl`;

// Files the hooks reach, by handle, per module instance.
function files(mod) {
    if (!mod.__opfsFiles) {
        const reg = { next: 1, map: new Map() };
        mod.__opfsFiles = reg;
        const hooks = mod.wvmHooks || (mod.wvmHooks = {});
        const get = (h) => reg.map.get(h);
        // Each hook returns 0 on failure and keeps the error for the store's
        // message (a full quota is the one a user can act on).
        const guard = (h, fn) => {
            const f = get(h);
            if (!f) return 0;
            try {
                return fn(f);
            } catch (e) {
                f.lastError = e;
                return 0;
            }
        };
        hooks.fileRead = (h, ptr, len, off) =>
            guard(h, (f) => {
                const view = mod.HEAPU8.subarray(ptr, ptr + len);
                const n = f.handle.read(view, { at: off });
                if (n < len) view.fill(0, n); // past the end reads zeros
                return 1;
            });
        hooks.fileWrite = (h, ptr, len, off) =>
            guard(h, (f) => {
                const n = f.handle.write(mod.HEAPU8.subarray(ptr, ptr + len), { at: off });
                if (n !== len) throw new Error(`short write (${n} of ${len} bytes)`);
                return 1;
            });
        hooks.fileSync = (h) =>
            guard(h, (f) => {
                f.handle.flush();
                return 1;
            });
        hooks.fileTruncate = (h, size) =>
            guard(h, (f) => {
                f.handle.truncate(size);
                return 1;
            });
        hooks.fileSize = (h) => {
            const f = get(h);
            if (!f) return -1;
            try {
                return f.handle.getSize();
            } catch (e) {
                f.lastError = e;
                return -1;
            }
        };
    }
    return mod.__opfsFiles;
}

export class OpfsStore {
    // opts: {name, size, baseSize, baseId, chunkSize, readonly, module, opfs?}
    static async open(opts) {
        const { name, module: mod } = opts;
        const dir = await diskDir(opts, !opts.readonly);
        if (!dir) throw new Error(`disk '${name}': its OPFS file is missing`);
        let fh;
        try {
            fh = await dir.getFileHandle(fileName(name), { create: !opts.readonly });
        } catch (e) {
            throw new Error(`disk '${name}': cannot open its OPFS file: ${(e && e.message) || e}`);
        }
        let handle;
        try {
            handle = await (opts.readonly ? fh.createSyncAccessHandle({ mode: 'read-only' }).catch(() => fh.createSyncAccessHandle()) : fh.createSyncAccessHandle());
        } catch (e) {
            if (e && e.name === 'NoModificationAllowedError') {
                throw new Error(opfsBusy(name));
            }
            throw new Error(`disk '${name}': cannot open its OPFS file: ${(e && e.message) || e}`);
        }
        const reg = files(mod);
        const h = reg.next++;
        const entry = { handle, lastError: null };
        reg.map.set(h, entry);
        const idBytes = new TextEncoder().encode(`${opts.baseId}\0`);
        const why = mod._malloc(4);
        const id = mod._malloc(idBytes.length);
        try {
            mod.HEAPU8.set(idBytes, id);
            const ptr = mod._cowfile_open(h, opts.size, opts.baseSize, id, opts.chunkSize, opts.readonly ? 1 : 0, why);
            if (!ptr) {
                const code = new Int32Array(mod.HEAPU8.buffer, why, 1)[0];
                const e = entry.lastError;
                // EFORMAT, EBASE, EDAMAGED: only a reset (dropping the
                // changes) makes it usable again; say so.
                const advice = code === 3 || code === 4 || code === 5 ? '; reset it in the disk manager to start again from its base image (its changes are lost)' : '';
                throw new Error(`disk '${name}': its overlay file in OPFS: ${WHY[code] || 'unusable'}${e ? ` (${e.message || e.name})` : ''}${advice}`);
            }
            return new OpfsStore(mod, name, h, entry, ptr, opts.chunkSize);
        } catch (e) {
            reg.map.delete(h);
            handle.close();
            throw e;
        } finally {
            mod._free(why);
            mod._free(id);
        }
    }

    constructor(mod, name, h, entry, ptr, chunkSize) {
        this.mod = mod;
        this.name = name;
        this.h = h;
        this.entry = entry;
        this.file = ptr; // the C store (cow_serve answers from it)
        this.chunkSize = chunkSize;
    }

    get kind() {
        return 'opfs';
    }

    storedCount() {
        return this.file ? this.mod._cowfile_stored(this.file) : 0;
    }

    usedBytes() {
        return this.storedCount() * this.chunkSize;
    }

    markInto(cowPtr) {
        this.mod._cowfile_mark(this.file, cowPtr);
    }

    // The error behind the last failed file operation (cleared on read).
    takeError() {
        const e = this.entry.lastError;
        this.entry.lastError = null;
        return e;
    }

    // The tab dies (tests): nothing more is written or flushed.
    abandon() {
        this._release(false);
    }

    async close() {
        this._release(true);
    }

    _release(flush) {
        if (!this.file) return;
        this.mod._cowfile_close(this.file);
        this.file = 0;
        files(this.mod).map.delete(this.h);
        try {
            if (flush) this.entry.handle.flush();
        } catch {
            /* a read-only handle */
        }
        try {
            this.entry.handle.close();
        } catch {
            /* gone already */
        }
    }

    // Could the disk's file hold chunks? (More than its header and index;
    // true when it cannot be looked at, e.g. another tab has it open.)
    static async holdsData(name, size, chunkSize, opts = {}) {
        const dir = await diskDir(opts, false).catch(() => undefined);
        if (dir === null) return false;
        if (!dir) return true;
        try {
            const fh = await dir.getFileHandle(fileName(name));
            const f = await fh.getFile();
            const chunks = Math.ceil(size / chunkSize);
            return f.size > 4096 + Math.ceil(chunks / 1024) * 4096;
        } catch (e) {
            return !(e && e.name === 'NotFoundError');
        }
    }

    // Back to the base: the file goes (a new one is made on the next open).
    static async reset(name, opts = {}) {
        const dir = await diskDir(opts, false);
        if (!dir) return;
        try {
            await dir.removeEntry(fileName(name));
        } catch (e) {
            if (e && e.name === 'NotFoundError') return;
            if (e && e.name === 'NoModificationAllowedError') throw new Error(`disk '${name}' is in use by a running machine: stop it (power off or close its tab) first`);
            throw e;
        }
    }

    static remove(name, opts = {}) {
        return OpfsStore.reset(name, opts);
    }
}
