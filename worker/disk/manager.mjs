// The disk manager in the page: lists the disks stored in this browser
// (IndexedDB, shared with the worker: same origin) with their size and the
// space their overlay uses; uploads an image as a new disk, exports a disk
// (base + overlay merged) as a file, resets a disk to its base, deletes one.
// Each long operation shows a progress bar; errors (quota, a disk in use)
// go to onError as clear text.
//
// mountDiskManager(parent, {onError, onBoot, before}) adds a <details>
// panel to parent and returns {refresh, list, exportBytes, exportToFile,
// reset, remove, upload, inUse, openDisk} (openDisk: for benchmarks).
import { loadWebDiskCore } from './core-web.mjs';
import { CHUNK, deleteDisk, diskInUse, importImage, listDisks, openDisk, resetDisk, setDiskModuleLoader } from './overlay.mjs';

const DEFAULT_DISK_WORKER_URL = new URL('./disk-worker.js', import.meta.url);
const EXPORT_STEP = 1024 * 1024;

// The disk manager's worker (disk-worker.mjs), started on first use: it
// reads disks for exports, OPFS ones included (those need a worker).
// Returns call(req) speaking the export requests ({op: 'open' | 'read' |
// 'close'}, as the VM worker's 'disk-export').
function diskWorker(url) {
    let w = null;
    let next = 1;
    const pending = new Map();
    const fail = (message) => {
        for (const p of pending.values()) p.reject(new Error(message));
        pending.clear();
        w = null;
    };
    return function call(req) {
        if (!w) {
            w = new Worker(url, { type: 'module', name: 'riscv-vm-disks' });
            w.onmessage = (e) => {
                const p = pending.get(e.data.id);
                if (!p) return;
                pending.delete(e.data.id);
                if (e.data.error) p.reject(new Error(e.data.error));
                else p.resolve(e.data);
            };
            w.onerror = (e) => fail(`the disk worker failed: ${e.message || 'could not load it'}`);
        }
        const id = next++;
        return new Promise((resolve, reject) => {
            pending.set(id, { resolve, reject });
            w.postMessage({ ...req, id });
        });
    };
}

// The disk as the guest sees it, in pieces: from the first of `via` (the
// running machine's worker, then the disk worker) that has it.
async function* exportVia(via, name, onProgress) {
    let call = null;
    let size = 0;
    for (const c of via) {
        const r = await c({ op: 'open', name });
        if (r.notHere) continue;
        call = c;
        size = r.size;
        break;
    }
    if (!call) throw new Error(`disk '${name}' cannot be read here`);
    try {
        for (let done = 0; done < size; ) {
            const { data } = await call({ op: 'read', length: EXPORT_STEP });
            if (!data.length) throw new Error(`disk '${name}': the export ended early`);
            done += data.length;
            if (onProgress) onProgress(done, size);
            yield data;
        }
    } finally {
        await call({ op: 'close' }).catch(() => {});
    }
}

const MiB = 1024 * 1024;
const fmt = (n) => (n >= 10 * MiB ? `${(n / MiB).toFixed(0)} MiB` : n >= MiB ? `${(n / MiB).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

const CSS = `
.disks { border-bottom: 1px solid #2a3240; background: #161c24; padding: 0.3em 0.8em; }
.disks summary { cursor: pointer; color: var(--mute, #8a94a6); }
.disks table { border-collapse: collapse; margin: 0.4em 0; font-size: 0.9em; }
.disks td, .disks th { padding: 0.2em 0.7em 0.2em 0; text-align: left; }
.disks th { color: var(--mute, #8a94a6); font-weight: normal; }
.disks td.num { text-align: right; font-variant-numeric: tabular-nums; }
.disks .row { display: flex; align-items: center; gap: 0.6em; flex-wrap: wrap; }
.disks progress { width: 16em; }
`;

// store: where uploaded disks keep their changes ('idb' | 'opfs'; the
// page's ?store=), undefined = where the worker opening it prefers (OPFS
// when it can).
// vmExport: the running machine's worker's disk reader (client.diskExport),
// so a disk the machine holds exports as its guest sees it.
export function mountDiskManager(parent, { onError = () => {}, onBoot = null, before = null, store, diskWorkerUrl = DEFAULT_DISK_WORKER_URL, vmExport = null } = {}) {
    setDiskModuleLoader(loadWebDiskCore); // openDisk in the page (benchmarks): IndexedDB disks
    const via = [vmExport, diskWorker(diskWorkerUrl)].filter(Boolean);
    const exportDisk = (name, { onProgress } = {}) => exportVia(via, name, onProgress);
    const doc = parent.ownerDocument;
    if (!doc.getElementById('riscv-vm-disks-css')) {
        const st = doc.createElement('style');
        st.id = 'riscv-vm-disks-css';
        st.textContent = CSS;
        doc.head.append(st);
    }
    const root = doc.createElement('details');
    root.className = 'disks';
    root.id = 'disks';
    root.innerHTML = `<summary>Disks stored in this browser</summary>
<table><thead><tr><th>disk</th><th>size</th><th>stored</th><th>in</th><th>base</th><th></th></tr></thead><tbody id="disk-rows"></tbody></table>
<div class="row"><label>Upload an image as a new disk <input id="disk-upload" type="file"></label>
<span id="disk-progress" class="row" hidden><progress id="disk-progress-bar" max="1" value="0"></progress><span id="disk-progress-text"></span></span></div>`;
    parent.insertBefore(root, before);
    const rows = root.querySelector('#disk-rows');
    const bar = root.querySelector('#disk-progress-bar');
    const barBox = root.querySelector('#disk-progress');
    const barText = root.querySelector('#disk-progress-text');

    // progress(null) hides the bar.
    const progress = (what, done, total) => {
        if (what === null) {
            barBox.hidden = true;
            return;
        }
        barBox.hidden = false;
        bar.value = total ? done / total : 0;
        barText.textContent = `${what}: ${fmt(done)} / ${fmt(total)}`;
    };

    async function refresh() {
        let list;
        try {
            list = await listDisks();
        } catch (e) {
            onError(`disk manager: ${e.message || e}`);
            return [];
        }
        rows.textContent = '';
        for (const m of list.sort((a, b) => a.name.localeCompare(b.name))) {
            const tr = doc.createElement('tr');
            tr.dataset.disk = m.name;
            const base = m.baseUrl ? m.baseUrl.replace(/^.*\//, '') : 'uploaded';
            tr.innerHTML = `<td></td><td class="num">${fmt(m.size)}</td><td class="num">${fmt(m.used)}</td><td class="store"></td><td></td><td class="row"></td>`;
            tr.children[0].textContent = m.name;
            tr.children[3].textContent = m.store === 'opfs' ? 'OPFS' : m.store === 'idb' ? 'IndexedDB' : '-';
            tr.children[4].textContent = base;
            const act = tr.children[5];
            const button = (label, fn, title) => {
                const b = doc.createElement('button');
                b.type = 'button';
                b.textContent = label;
                b.title = title;
                b.dataset.action = label.toLowerCase();
                b.addEventListener('click', async () => {
                    try {
                        await fn();
                    } catch (e) {
                        onError(String(e.message || e));
                    }
                    refresh();
                });
                act.append(b);
            };
            if (onBoot) button('Boot', () => onBoot(m.name, m), 'boot the default Linux kernel with this disk as its root');
            button('Export', () => exportToFile(m.name), 'save the disk (base + your changes) as a file');
            button('Reset', () => reset(m.name), 'drop your changes: back to the base image');
            button('Delete', () => remove(m.name), 'forget this disk and its changes');
            rows.append(tr);
        }
        return list;
    }

    // The merged disk as a Blob (the browser may keep its parts on disk).
    async function exportBlob(name) {
        const parts = [];
        try {
            for await (const p of exportDisk(name, { onProgress: (d, t) => progress(`exporting ${name}`, d, t) })) parts.push(p);
        } finally {
            progress(null);
        }
        return new Blob(parts, { type: 'application/octet-stream' });
    }

    async function exportToFile(name) {
        const file = `${name.replace(/[^\w.-]+/g, '-')}.img`;
        if (globalThis.showSaveFilePicker) {
            // Streams to the file: nothing of the size of the disk in memory.
            let handle;
            try {
                handle = await globalThis.showSaveFilePicker({ suggestedName: file });
            } catch {
                handle = null; // cancelled, or not allowed here: fall back
            }
            if (handle) {
                const w = await handle.createWritable();
                try {
                    for await (const p of exportDisk(name, { onProgress: (d, t) => progress(`exporting ${name}`, d, t) })) await w.write(p);
                    await w.close();
                } catch (e) {
                    await w.abort();
                    throw e;
                } finally {
                    progress(null);
                }
                return;
            }
        }
        const blob = await exportBlob(name);
        const a = doc.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = file;
        doc.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 60000);
    }

    async function exportBytes(name) {
        return new Uint8Array(await (await exportBlob(name)).arrayBuffer());
    }

    async function reset(name) {
        await resetDisk(name);
    }

    async function remove(name) {
        await deleteDisk(name);
    }

    async function upload(file, name = `upload/${file.name}`) {
        try {
            await importImage(name, file, { store, onProgress: (d, t) => progress(`uploading ${file.name}`, d, t) });
        } finally {
            progress(null);
        }
        await refresh();
        return name;
    }

    root.querySelector('#disk-upload').addEventListener('change', async (e) => {
        const f = e.target.files[0];
        if (!f) return;
        try {
            await upload(f);
        } catch (err) {
            onError(String(err.message || err));
        }
        e.target.value = '';
    });
    root.addEventListener('toggle', () => root.open && refresh());
    refresh();
    return { element: root, refresh, list: listDisks, exportBytes, exportToFile, reset, remove, upload, inUse: diskInUse, chunkSize: CHUNK, openDisk };
}
