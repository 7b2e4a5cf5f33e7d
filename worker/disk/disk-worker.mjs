// The disk manager's worker (bundled as build/web/disk-worker.js): reads a
// disk through the core's engine for an export. It is a dedicated worker
// because a disk whose overlay is in OPFS can only be opened where
// synchronous access handles exist; IndexedDB disks are read here too, so
// the page never loads the wasm core itself.
//
// The same requests as the VM worker's 'disk-export' (worker-main.mjs):
// Page -> worker                       Worker -> page
//   {id, op: 'open', name}               {id, size}
//   {id, op: 'read', length}             {id, data} (transferred; empty at the end)
//   {id, op: 'close'}                    {id}
//                                        {id, error}
// One export at a time per worker; pieces are pulled, so a slow writer in
// the page holds back the reads.
import { loadWebDiskCore } from './core-web.mjs';
import { openDisk, setDiskModuleLoader } from './overlay.mjs';

setDiskModuleLoader(loadWebDiskCore);

let disk = null;
let offset = 0;

async function handle(msg) {
    switch (msg.op) {
    case 'open':
        if (disk) await disk.close();
        disk = null;
        disk = await openDisk({ name: msg.name, readonly: true });
        offset = 0;
        return { size: disk.size };
    case 'read': {
        if (!disk) throw new Error('no disk is open');
        const n = Math.max(0, Math.min(msg.length, disk.size - offset));
        const data = n ? await disk.read(offset, n) : new Uint8Array(0);
        offset += n;
        return { data, transfer: [data.buffer] };
    }
    case 'close':
        if (disk) await disk.close();
        disk = null;
        return {};
    default:
        throw new Error(`unknown request '${msg.op}'`);
    }
}

let chain = Promise.resolve();
self.onmessage = (e) => {
    const msg = e.data || {};
    chain = chain.then(async () => {
        try {
            const { transfer, ...out } = await handle(msg);
            self.postMessage({ id: msg.id, ...out }, transfer || []);
        } catch (err) {
            self.postMessage({ id: msg.id, error: String((err && err.message) || err) });
        }
    });
};
