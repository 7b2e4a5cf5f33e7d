// One machine inside one instance of the Emscripten module (worker/wasm_api.c).
// Environment-neutral: the browser worker, the Node worker and the in-thread
// WasmVm all drive it. Each VmCore owns its own module instance, so its own
// wasm memory: machines never share an address space and one that traps
// takes nothing else down.

export const STOP = Object.freeze({ BUDGET: 0, IDLE: 1, POWEROFF: 2, REBOOT: 3, ERROR: 4 });
export const STOP_NAMES = ['budget', 'idle', 'poweroff', 'reboot', 'error'];
export const BLK = Object.freeze({ READ: 0, WRITE: 1, FLUSH: 2, OK: 0, IOERR: 1, UNSUPP: 2 });

const MiB = 1024 * 1024;
const enc = new TextEncoder();
const dec = new TextDecoder();

// Accepts ArrayBuffer, any typed array / DataView, or null.
export function toBytes(x) {
    if (x == null) return null;
    if (x instanceof Uint8Array) return x;
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    if (typeof x === 'string') return enc.encode(x);
    throw new TypeError('expected bytes (ArrayBuffer or Uint8Array)');
}

// Instantiates the module. factory is the Emscripten MODULARIZE factory;
// source is either {wasmModule: WebAssembly.Module} (compiled once, shared)
// or {wasmBinary}. The node build is synchronous (WASM_ASYNC_COMPILATION=0),
// so there the module object is usable as soon as factory() returns.
export function instantiateCore(factory, source, sync = false) {
    const hooks = {};
    const arg = { wvmHooks: hooks, print() {}, printErr() {} };
    if (source.wasmModule) {
        arg.instantiateWasm = (imports, done) => {
            if (sync) {
                const inst = new WebAssembly.Instance(source.wasmModule, imports);
                done(inst, source.wasmModule);
                return inst.exports;
            }
            WebAssembly.instantiate(source.wasmModule, imports).then((inst) => done(inst, source.wasmModule));
            return {};
        };
    } else {
        arg.wasmBinary = source.wasmBinary;
    }
    const p = factory(arg);
    if (sync) {
        if (!arg._vm_alloc) throw new Error('wasm module did not instantiate synchronously');
        // The factory's promise would otherwise keep a reference alive; we
        // do not need it.
        return arg;
    }
    return p;
}

// Validates and normalises machine options.
export function normaliseConfig(opts) {
    const o = opts || {};
    const cfg = {
        kernel: toBytes(o.kernel),
        bios: toBytes(o.bios),
        initrd: toBytes(o.initrd),
        disks: (o.disks || (o.disk ? [o.disk] : [])).map((d) => {
            if (d && (d instanceof ArrayBuffer || ArrayBuffer.isView(d))) return { data: toBytes(d), readonly: false };
            return { ...d, data: d.data ? toBytes(d.data) : null };
        }),
        memoryMiB: o.memoryMiB ?? o.memory ?? 256,
        harts: o.harts ?? 1,
        append: o.append ?? o.bootargs ?? o.cmdline ?? '',
        deterministic: !!o.deterministic,
        net: o.net || null,
        netEnabled: !!o.netEnabled, // worker: frames travel as messages
        mac: o.mac,
    };
    if (!cfg.kernel || cfg.kernel.length === 0) throw new Error('no kernel given');
    if (!(cfg.memoryMiB >= 16 && cfg.memoryMiB <= 1024)) throw new Error(`guest RAM must be 16..1024 MiB (got ${cfg.memoryMiB})`);
    if (!(cfg.harts >= 1 && cfg.harts <= 8)) throw new Error(`harts must be 1..8 (got ${cfg.harts})`);
    return cfg;
}

export class VmCore {
    // mod: an instantiated module (instantiateCore). cfg: normaliseConfig().
    constructor(mod, cfg) {
        this.mod = mod;
        this.cfg = cfg;
        this.w = 0;
        this.jsDisks = [];
        this.cowDisks = [];
        this.onNetSend = cfg.net && cfg.net.send ? cfg.net.send : null;
        this.onBlkSubmit = null;
        mod.wvmHooks.blkSubmit = (h, id, type, off, iov, n) => this._blkSubmit(h, id, type, off, iov, n);
        mod.wvmHooks.netSend = (h, ptr, len) => {
            if (this.onNetSend) this.onNetSend(this.heap().slice(ptr, ptr + len));
        };
        try {
            this._build(cfg);
        } catch (e) {
            this.destroy();
            throw e;
        }
    }

    heap() {
        return this.mod.HEAPU8; // re-read every time: memory growth replaces it
    }

    _err(what) {
        const p = this.mod._vm_error(this.w);
        const h = this.heap();
        let end = p;
        while (h[end]) end++;
        const msg = dec.decode(h.slice(p, end));
        return new Error(msg ? `${what}: ${msg}` : what);
    }

    _copyIn(bytes) {
        const p = this.mod._malloc(Math.max(1, bytes.length));
        if (!p) throw new Error(`out of memory copying ${(bytes.length / MiB).toFixed(1)} MiB into the VM`);
        this.heap().set(bytes, p);
        return p;
    }

    _cstring(s) {
        const b = enc.encode(s);
        const p = this.mod._malloc(b.length + 1);
        if (!p) throw new Error('out of memory');
        const h = this.heap();
        h.set(b, p);
        h[p + b.length] = 0;
        return p;
    }

    _build(cfg) {
        const m = this.mod;
        this.w = m._vm_alloc();
        if (!this.w) throw new Error('out of memory');
        const args = this._cstring(cfg.append || '');
        const ok = m._vm_create(this.w, cfg.memoryMiB * MiB, cfg.harts, cfg.deterministic ? 1 : 0, args);
        m._free(args);
        if (!ok) throw this._err(`cannot create a machine with ${cfg.memoryMiB} MiB of RAM`);
        // Firmware first: it decides where a raw kernel image goes.
        if (cfg.bios && !m._vm_load(this.w, 1, this._copyIn(cfg.bios), cfg.bios.length)) throw this._err('bad firmware');
        if (!m._vm_load(this.w, 0, this._copyIn(cfg.kernel), cfg.kernel.length)) throw this._err('bad kernel');
        if (cfg.initrd && !m._vm_load(this.w, 2, this._copyIn(cfg.initrd), cfg.initrd.length)) throw this._err('bad initrd');
        for (const d of cfg.disks) {
            if (d.cow) {
                // A copy-on-write disk (worker/disk/cowdisk.mjs) whose engine
                // lives in this module: the machine takes it over.
                if (d.cow.mod !== m || !d.cow.ptr) throw new Error(`disk '${d.cow.name}' was opened for another VM core`);
                const idx = m._vm_add_disk_cow(this.w, d.cow.ptr);
                if (idx < 0) throw this._err('cannot attach disk');
                d.cow.attach(() => {
                    // Completions outside vm_run: raise the device's interrupt.
                    if (this.w) m._vm_poll(this.w);
                    if (this.onWake) this.onWake();
                });
                this.cowDisks.push(d.cow);
                continue;
            }
            if (d.handler) {
                // A JS-backed disk: handler.submit({type, offset, iov}) returns a
                // status at once or a Promise of one (see vm_blk_complete).
                const idx = m._vm_add_disk_js(this.w, d.size, d.readonly ? 1 : 0, this.jsDisks.length);
                if (idx < 0) throw this._err('cannot attach disk');
                this.jsDisks.push(d.handler);
                continue;
            }
            const size = Math.ceil(d.data.length / 512) * 512;
            const idx = m._vm_add_disk_mem(this.w, size, d.readonly ? 1 : 0);
            if (idx < 0) throw this._err('cannot attach disk');
            this.heap().set(d.data, m._vm_disk_data(this.w, idx));
        }
        if (cfg.net) {
            const mac = this._copyIn(Uint8Array.from(cfg.net.mac || [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]));
            const slot = m._vm_add_net(this.w, mac, 0);
            m._free(mac);
            if (slot < 0) throw this._err('cannot attach NIC');
        }
        if (!m._vm_boot(this.w)) throw this._err('boot failed');
    }

    // Runs one slice; returns {reason, executed, idleMs, exitCode, error}.
    run(budget) {
        const m = this.mod;
        const reason = m._vm_run(this.w, budget);
        const r = { reason, executed: m._vm_last_executed(this.w), idleMs: -1, exitCode: 0, error: null };
        if (reason === STOP.IDLE) r.idleMs = m._vm_last_idle_ms(this.w);
        else if (reason === STOP.POWEROFF) r.exitCode = m._vm_last_exit_code(this.w);
        else if (reason === STOP.ERROR) r.error = this._err('machine stopped').message;
        return r;
    }

    // Guest output since the last call, as a fresh (transferable) array.
    takeOutput() {
        const m = this.mod;
        const n = m._vm_out_len(this.w);
        if (!n) return null;
        const p = m._vm_out_ptr(this.w);
        const out = this.heap().slice(p, p + n);
        m._vm_out_clear(this.w);
        return out;
    }

    inputRoom() {
        return this.mod._vm_input_room(this.w);
    }

    inputPending() {
        return this.mod._vm_input_pending(this.w);
    }

    // Queues console input; returns how many bytes were taken.
    pushInput(bytes) {
        const n = Math.min(bytes.length, this.inputRoom());
        if (n <= 0) return 0;
        const p = this._copyIn(bytes.subarray(0, n));
        const took = this.mod._vm_input_push(this.w, p, n);
        this.mod._free(p);
        return took;
    }

    // Queues one received Ethernet frame; false when dropped.
    pushFrame(frame) {
        const p = this._copyIn(frame);
        const ok = this.mod._vm_net_push(this.w, p, frame.length);
        this.mod._free(p);
        return !!ok;
    }

    instret() {
        return this.mod._vm_instret(this.w);
    }

    testMode() {
        return !!this.mod._vm_test_mode(this.w);
    }

    _blkSubmit(handle, id, type, offset, iovPtr, iovcnt) {
        const handler = this.jsDisks[handle];
        if (!handler) return BLK.IOERR;
        const words = new Uint32Array(this.heap().buffer, iovPtr, iovcnt * 2);
        const iov = [];
        for (let i = 0; i < iovcnt; i++) iov.push({ ptr: words[2 * i], len: words[2 * i + 1] });
        // The views are handed out lazily: memory growth can replace the
        // buffer between submit and an asynchronous completion.
        const req = { type, offset, iov, heap: () => this.heap() };
        let r;
        try {
            r = handler.submit(req);
        } catch {
            return BLK.IOERR;
        }
        if (typeof r === 'number') return r;
        Promise.resolve(r).then(
            (status) => this.completeBlk(id, status ?? BLK.OK),
            () => this.completeBlk(id, BLK.IOERR),
        );
        return -1;
    }

    // Completes an asynchronous disk request. Must not run inside run();
    // JS never re-enters wasm from a promise callback, so that holds.
    completeBlk(id, status) {
        if (this.w) this.mod._vm_blk_complete(this.w, id, status);
        if (this.onWake) this.onWake();
    }

    // Frees the machine and returns the module instance, which can host the
    // next machine (its allocator reuses the memory; a fresh instance per
    // reset would leave the old wasm memory to the garbage collector).
    destroy() {
        const mod = this.mod;
        // vm_free frees the engines of copy-on-write disks with the machine.
        for (const d of this.cowDisks) d.detach();
        this.cowDisks = [];
        if (this.w && mod) mod._vm_free(this.w);
        this.w = 0;
        this.mod = null;
        return mod;
    }
}
