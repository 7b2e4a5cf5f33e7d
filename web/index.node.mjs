// "virtual-machine" under Node: WasmVm in the current thread (loaded
// synchronously, no await needed) and machines in worker_threads.
import { Worker } from 'node:worker_threads';
import { loadNodeCore } from '../worker/node-core.mjs';
import { VmWorkerClient } from './client.mjs';
import { WasmVmBase } from './wasmvm.mjs';

export { VmWorkerClient } from './client.mjs';
export { TimeoutError } from './automation.mjs';

export class WasmVm extends WasmVmBase {
    constructor(kernel, options = {}) {
        super(kernel, options, loadNodeCore());
    }

    static async load() {
        loadNodeCore();
    }

    static async create(kernel, options) {
        return new WasmVm(kernel, options);
    }
}

// A machine in a worker thread. Resolves once the worker has loaded the core
// (and, when options.kernel is given, once the machine runs).
export async function createWorkerVm(options = {}) {
    const worker = new Worker(new URL('../worker/worker.node.mjs', import.meta.url));
    const client = new VmWorkerClient({
        post: (msg, transfer) => worker.postMessage(msg, transfer),
        onMessage: (fn) => worker.on('message', fn),
        terminate: () => worker.terminate(),
    });
    worker.on('error', (e) => client._onMessage({ type: 'error', message: `worker died: ${e.message}` }));
    await client.ready;
    if (options.kernel) await client.start(options);
    return client;
}

export function mountVm() {
    throw new Error('mountVm needs a browser (a DOM element and Web Workers)');
}
