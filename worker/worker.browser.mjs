// Browser entry of the worker (bundled by esbuild into build/web/worker.js).
import createRiscvVmCore from '../build/web/riscv-vm-core.mjs';
import { instantiateCore } from './core.mjs';
import { serveWorker } from './worker-main.mjs';

async function loadCore() {
    // Compiled once; every machine (and every reset) gets a fresh instance
    // of it, with its own memory.
    const url = new URL('./riscv-vm-core.wasm', import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const wasmModule = WebAssembly.compileStreaming
        ? await WebAssembly.compileStreaming(res)
        : await WebAssembly.compile(await res.arrayBuffer());
    return () => instantiateCore(createRiscvVmCore, { wasmModule });
}

serveWorker(
    {
        post: (msg, transfer) => self.postMessage(msg, transfer),
        onMessage: (fn) => {
            self.onmessage = (e) => fn(e.data);
        },
    },
    loadCore,
);
