// Loads the Node build of the core (build/web/node/) synchronously: Node may
// compile and instantiate wasm off the event loop's critical path, and a
// synchronous load lets `new WasmVm(...)` work without an await.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instantiateCore } from './core.mjs';

const dir = new URL('../build/web/node/', import.meta.url);
let cached = null;

export function coreFiles() {
    return { glue: fileURLToPath(new URL('riscv-vm-core.cjs', dir)), wasm: fileURLToPath(new URL('riscv-vm-core.wasm', dir)) };
}

// Returns a function that makes a fresh, ready module instance.
export function loadNodeCore() {
    if (!cached) {
        const { glue, wasm } = coreFiles();
        let factory;
        let wasmModule;
        try {
            factory = createRequire(import.meta.url)(glue);
            wasmModule = new WebAssembly.Module(readFileSync(wasm));
        } catch (e) {
            throw new Error(`cannot load the VM core (${glue}); run 'make wasm' first: ${e.message}`);
        }
        cached = () => instantiateCore(factory, { wasmModule }, true);
    }
    return cached;
}
