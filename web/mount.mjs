// Browser pieces of the embedding API: a machine in a Web Worker, a terminal
// bound to it (mountVm), and the <riscv-vm> custom element. Library code:
// it touches only the element it is given and the options it is passed.
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import xtermCss from '@xterm/xterm/css/xterm.css';
import { VmWorkerClient } from './client.mjs';

const DEFAULT_WORKER_URL = new URL('./worker.js', import.meta.url);

// A machine in a module Web Worker. Resolves once the worker loaded the
// wasm core (and, with options.kernel as bytes, once the machine runs).
export async function createWorkerVm(options = {}) {
    const url = options.workerUrl || DEFAULT_WORKER_URL;
    const worker = new Worker(url, { type: 'module', name: 'riscv-vm' });
    const client = new VmWorkerClient({
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        onMessage: (fn) => {
            worker.onmessage = (e) => fn(e.data);
        },
        terminate: () => worker.terminate(),
    });
    worker.onerror = (e) => {
        e.preventDefault();
        client._onMessage({ type: 'error', message: `the VM worker failed to load (${url}): ${e.message || 'script error'}` });
    };
    await client.ready;
    if (options.kernel) await client.start(options);
    return client;
}

// Fetches a URL as bytes, reporting progress(loaded, total) as it streams.
export async function fetchBytes(url, onProgress) {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`cannot download ${url}: HTTP ${res.status}`);
    const total = Number(res.headers.get('Content-Length')) || 0;
    if (!res.body || !res.body.getReader) {
        const b = new Uint8Array(await res.arrayBuffer());
        if (onProgress) onProgress(b.length, b.length);
        return b;
    }
    const reader = res.body.getReader();
    const parts = [];
    let loaded = 0;
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        loaded += value.length;
        if (onProgress) onProgress(loaded, total);
    }
    const out = new Uint8Array(loaded);
    let off = 0;
    for (const p of parts) {
        out.set(p, off);
        off += p.length;
    }
    return out;
}

// Turns an option (URL string, URL, Blob/File, ArrayBuffer, typed array) into bytes.
export async function resolveBytes(x, onProgress) {
    if (x == null || x === '') return null;
    if (typeof x === 'string' || x instanceof URL) return fetchBytes(String(x), onProgress);
    if (typeof Blob !== 'undefined' && x instanceof Blob) return new Uint8Array(await x.arrayBuffer());
    if (x instanceof ArrayBuffer) return new Uint8Array(x);
    if (ArrayBuffer.isView(x)) return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
    throw new TypeError('expected a URL, a Blob/File or bytes');
}

// Fetches every input of a machine config; progress(name, loaded, total).
export async function resolveConfig(options, progress) {
    const names = ['bios', 'kernel', 'initrd', 'disk'];
    const got = await Promise.all(names.map((n) => resolveBytes(options[n], progress && ((l, t) => progress(n, l, t)))));
    const [bios, kernel, initrd, disk] = got;
    const cfg = { kernel, bios, initrd, append: options.append || '', memoryMiB: Number(options.memoryMiB || options.memory || 256), harts: Number(options.harts || 1) };
    if (disk) cfg.disks = [{ data: disk, readonly: !!options.diskReadonly }];
    return cfg;
}

const styled = new WeakSet();
function ensureStyles(doc) {
    if (styled.has(doc)) return;
    styled.add(doc);
    const s = doc.createElement('style');
    s.dataset.riscvVm = 'xterm';
    s.textContent = xtermCss;
    doc.head.appendChild(s);
}

// An xterm.js terminal filling `container`, resized with it.
// Ctrl+Shift+C / Ctrl+Shift+V copy and paste (plain Ctrl+C goes to the guest).
export function createTerminal(container, options = {}) {
    const doc = container.ownerDocument;
    ensureStyles(doc);
    const term = new Terminal({
        cursorBlink: true,
        convertEol: false,
        scrollback: 5000,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
        fontSize: 14,
        theme: { background: '#101418' },
        ...options,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(container);
    const refit = () => {
        try {
            fit.fit();
        } catch {
            // not laid out yet
        }
    };
    refit();
    const view = doc.defaultView;
    let ro = null;
    if (view && view.ResizeObserver) {
        ro = new view.ResizeObserver(refit);
        ro.observe(container);
    }
    term.attachCustomKeyEventHandler((e) => {
        if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey) return true;
        const clip = view && view.navigator && view.navigator.clipboard;
        if (e.code === 'KeyC') {
            if (clip && term.hasSelection()) clip.writeText(term.getSelection()).catch(() => {});
            return false;
        }
        if (e.code === 'KeyV') {
            if (clip) clip.readText().then((t) => term.paste(t), () => {});
            return false;
        }
        return true;
    });
    return {
        term,
        fit: refit,
        dispose() {
            if (ro) ro.disconnect();
            term.dispose();
        },
    };
}

// Connects a terminal to a VM handle (worker client or WasmVm).
export function attachTerminal(t, vm) {
    const offOut = vm.onOutput((_text, bytes) => t.term.write(bytes));
    const sub = t.term.onData((data) => vm.sendInput(data));
    return () => {
        offOut();
        sub.dispose();
    };
}

function showError(t, msg) {
    t.term.write(`\r\n\x1b[1;31m[riscv-vm] ${msg.replace(/\n/g, '\r\n')}\x1b[0m\r\n`);
}

// Mounts a live machine in `element`: a terminal and a worker-backed VM.
// options: {kernel, bios?, initrd?, disk?, append?, memoryMiB?, harts?,
// net?: relay URL, autostart = true, workerUrl?, terminal?: xterm options}.
// Inputs are URLs, Blobs or bytes. Returns {vm, terminal, ready, start, stop,
// reset, connect_network, disconnect_network, destroy}.
export function mountVm(element, options = {}) {
    const doc = element.ownerDocument;
    const box = doc.createElement('div');
    box.className = 'riscv-vm-terminal';
    box.style.cssText = 'width:100%;height:100%;min-height:12em;';
    element.appendChild(box);
    const t = createTerminal(box, options.terminal);
    const handle = { terminal: t.term, vm: null, element, error: null };
    let detach = null;
    let vmPromise = null;
    const emit = (type, detail) => element.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
    const fail = (e) => {
        const msg = String((e && e.message) || e);
        handle.error = msg;
        showError(t, msg);
        emit('riscv-vm-error', { message: msg });
    };
    const getVm = () => {
        if (!vmPromise) {
            vmPromise = createWorkerVm({ workerUrl: options.workerUrl }).then((vm) => {
                handle.vm = vm;
                detach = attachTerminal(t, vm);
                vm.onError((msg) => fail(msg));
                vm.onState((state, msg) => {
                    emit('riscv-vm-state', { state, ...msg });
                    if (state === 'poweroff') t.term.write(`\r\n\x1b[2m[riscv-vm] powered off (exit ${msg.exitCode ?? 0})\x1b[0m\r\n`);
                });
                return vm;
            });
        }
        return vmPromise;
    };
    handle.start = async (opts = options) => {
        try {
            const vm = await getVm();
            const cfg = await resolveConfig(opts, opts.onProgress);
            // Before the boot, so the machine is built with a NIC.
            if (opts.net) await vm.connect_network(opts.net);
            await vm.start(cfg);
            return vm;
        } catch (e) {
            fail(e);
            throw e;
        }
    };
    handle.stop = () => handle.vm && handle.vm.stop();
    handle.resume = () => handle.vm && handle.vm.resume();
    handle.reset = () => handle.vm && handle.vm.reset();
    // A machine running without a NIC is power-cycled to get one.
    handle.connect_network = async (url) => {
        const vm = await getVm();
        const s = await vm.connect_network(url);
        if (!s.nic && vm.state === 'running') vm.reset();
        return s;
    };
    handle.disconnect_network = async () => (await getVm()).disconnect_network();
    handle.destroy = () => {
        if (detach) detach();
        if (handle.vm) handle.vm.terminate();
        t.dispose();
        box.remove();
    };
    handle.ready = options.kernel && options.autostart !== false ? handle.start().catch(() => null) : getVm().catch((e) => fail(e));
    return handle;
}

// <riscv-vm kernel="..." bios="..." initrd="..." disk="..." append="..."
//           memory="256" harts="1" net="ws://HOST:PORT/SEGMENT"></riscv-vm>
// The element's .vm is the machine handle (expect, type, transcript, ...).
export function defineRiscvVmElement(registry = globalThis.customElements, name = 'riscv-vm') {
    if (!registry || registry.get(name)) return;
    const HTMLElementBase = globalThis.HTMLElement;
    class RiscvVmElement extends HTMLElementBase {
        connectedCallback() {
            if (this._handle) return;
            if (!this.style.display) this.style.display = 'block';
            if (!this.style.height) this.style.height = this.getAttribute('height') || '24em';
            const a = (n) => this.getAttribute(n) || undefined;
            this._handle = mountVm(this, {
                kernel: a('kernel'),
                bios: a('bios'),
                initrd: a('initrd'),
                disk: a('disk'),
                append: a('append'),
                memoryMiB: a('memory'),
                harts: a('harts'),
                net: a('net'),
                autostart: this.getAttribute('autostart') !== 'false',
            });
            this.ready = this._handle.ready;
        }

        disconnectedCallback() {
            if (this._handle) this._handle.destroy();
            this._handle = null;
        }

        get vm() {
            return this._handle ? this._handle.vm : null;
        }

        get handle() {
            return this._handle;
        }
    }
    registry.define(name, RiscvVmElement);
}
