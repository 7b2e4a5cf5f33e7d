// The VM core for disk engines that run in the page (the disk manager's
// export; benchmarks): one instance of the same wasm module the worker
// runs, which holds the copy-on-write engine (vm/disk/cow.c).
import createRiscvVmCore from '../../build/web/riscv-vm-core.mjs';
import { instantiateCore } from '../core.mjs';

export async function loadWebDiskCore() {
    const url = new URL('./riscv-vm-core.wasm', import.meta.url);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const wasmModule = WebAssembly.compileStreaming ? await WebAssembly.compileStreaming(res) : await WebAssembly.compile(await res.arrayBuffer());
    return instantiateCore(createRiscvVmCore, { wasmModule });
}
