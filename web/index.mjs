// "virtual-machine" in the browser:
//   import { WasmVm, mountVm, createWorkerVm } from "virtual-machine";
// WasmVm runs a machine in the current thread (await WasmVm.load() once
// first, or use WasmVm.create()); createWorkerVm and mountVm run it in a Web
// Worker. Importing this module also defines the <riscv-vm> element.
import createRiscvVmCore from '../build/web/riscv-vm-core.mjs';
import { instantiateCore } from '../worker/core.mjs';
import { defineRiscvVmElement } from './mount.mjs';
import { WasmVmBase } from './wasmvm.mjs';

export { VmWorkerClient } from './client.mjs';
export { TimeoutError } from './automation.mjs';
export { createWorkerVm, mountVm, defineRiscvVmElement, createTerminal, attachTerminal, fetchBytes } from './mount.mjs';

const DEFAULT_WASM_URL = new URL('./riscv-vm-core.wasm', import.meta.url);
let compiled = null; // Promise<WebAssembly.Module>

export class WasmVm extends WasmVmBase {
    // Needs WasmVm.load() to have finished (module compiled).
    constructor(kernel, options = {}) {
        if (!WasmVm._module) throw new Error('call "await WasmVm.load()" before "new WasmVm(...)" in a browser (or use WasmVm.create)');
        const wasmModule = WasmVm._module;
        super(kernel, options, () => instantiateCore(createRiscvVmCore, { wasmModule }, true));
    }

    static load(wasmUrl = DEFAULT_WASM_URL) {
        if (!compiled) {
            compiled = (async () => {
                const res = await fetch(wasmUrl);
                if (!res.ok) throw new Error(`${wasmUrl}: HTTP ${res.status}`);
                WasmVm._module = await WebAssembly.compileStreaming(res);
            })();
        }
        return compiled;
    }

    static async create(kernel, options) {
        await WasmVm.load();
        return new WasmVm(kernel, options);
    }
}
WasmVm._module = null;

defineRiscvVmElement();
