// An in-memory stand-in for the origin-private file system, enough for
// worker/disk/store-opfs.mjs in Node: directories, files, synchronous
// access handles (one open handle locks a file, as in browsers), getFile()
// for sizes, removeEntry, and a storage quota. Durability is modelled:
// writes land in the file at once but survive powerLoss() only after the
// handle's flush(); close() does not flush (so tests prove the store
// flushes what it promised).

const err = (name, message) => Object.assign(new Error(message), { name });

class FakeFile {
    constructor(root) {
        this.root = root;
        this.live = new Uint8Array(0);
        this.durable = new Uint8Array(0);
        this.handle = null; // the open sync access handle
    }

    get size() {
        return this.live.length;
    }

    resize(n) {
        if (n === this.live.length) return;
        const grow = n - this.live.length;
        if (grow > 0 && this.root.used() + grow > this.root.quota) throw err('QuotaExceededError', 'the quota is exceeded');
        const next = new Uint8Array(n);
        next.set(this.live.subarray(0, Math.min(n, this.live.length)));
        this.live = next;
    }
}

class SyncHandle {
    constructor(file, readonly) {
        this.file = file;
        this.readonly = readonly;
        this.closed = false;
        this.flushes = 0;
    }

    check() {
        if (this.closed) throw err('InvalidStateError', 'the handle is closed');
    }

    read(view, { at = 0 } = {}) {
        this.check();
        const f = this.file.live;
        const n = Math.max(0, Math.min(view.length, f.length - at));
        view.set(f.subarray(at, at + n));
        return n;
    }

    write(view, { at = 0 } = {}) {
        this.check();
        if (this.readonly) throw err('NoModificationAllowedError', 'read-only handle');
        if (at + view.length > this.file.live.length) this.file.resize(at + view.length);
        this.file.live.set(view, at);
        return view.length;
    }

    truncate(n) {
        this.check();
        this.file.resize(n);
    }

    getSize() {
        this.check();
        return this.file.live.length;
    }

    flush() {
        this.check();
        this.file.durable = this.file.live.slice();
        this.flushes++;
    }

    close() {
        this.closed = true;
        if (this.file.handle === this) this.file.handle = null;
    }
}

class FileHandle {
    constructor(file) {
        this.file = file;
        this.kind = 'file';
    }

    async createSyncAccessHandle(opts = {}) {
        if (this.file.handle) throw err('NoModificationAllowedError', 'Access Handles cannot be created if there is another open Access Handle');
        const h = new SyncHandle(this.file, opts.mode === 'read-only');
        this.file.handle = h;
        return h;
    }

    async getFile() {
        if (this.file.handle && !this.file.handle.readonly) throw err('NoModificationAllowedError', 'the file is locked');
        return { size: this.file.live.length };
    }
}

class DirHandle {
    constructor(root) {
        this.root = root || this;
        this.entries = new Map();
        this.kind = 'directory';
    }

    async getDirectoryHandle(name, { create = false } = {}) {
        let d = this.entries.get(name);
        if (!d) {
            if (!create) throw err('NotFoundError', `no directory '${name}'`);
            d = new DirHandle(this.root);
            this.entries.set(name, d);
        }
        if (!(d instanceof DirHandle)) throw err('TypeMismatchError', `'${name}' is a file`);
        return d;
    }

    async getFileHandle(name, { create = false } = {}) {
        let f = this.entries.get(name);
        if (!f) {
            if (!create) throw err('NotFoundError', `no file '${name}'`);
            f = new FakeFile(this.root);
            this.entries.set(name, f);
        }
        if (!(f instanceof FakeFile)) throw err('TypeMismatchError', `'${name}' is a directory`);
        return new FileHandle(f);
    }

    async removeEntry(name) {
        const f = this.entries.get(name);
        if (!f) throw err('NotFoundError', `no entry '${name}'`);
        if (f instanceof FakeFile && f.handle) throw err('NoModificationAllowedError', 'the file is open');
        this.entries.delete(name);
    }

    *files() {
        for (const e of this.entries.values()) {
            if (e instanceof FakeFile) yield e;
            else yield* e.files();
        }
    }
}

export class FakeOpfs extends DirHandle {
    constructor({ quota = Infinity } = {}) {
        super(null);
        this.quota = quota;
    }

    used() {
        let n = 0;
        for (const f of this.files()) n += f.live.length;
        return n;
    }

    // The file a disk keeps its overlay in (for checks).
    file(name) {
        const d = this.entries.get('riscv-vm-disks');
        return d ? d.entries.get(`${encodeURIComponent(name)}.ovl`) : undefined;
    }

    // The machine loses power: every file is what its last flush left, and
    // open handles are gone.
    powerLoss() {
        for (const f of this.files()) {
            if (f.handle) f.handle.closed = true;
            f.handle = null;
            f.live = f.durable.slice();
        }
    }
}
