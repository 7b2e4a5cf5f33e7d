// The worker's side of persistent disks: turns the config's
//   {persist: {name, url?, size?, id?, store?}, readonly?}
// entries into VmCore copy-on-write disks ({cow}: the core's engine in the
// machine's own module, its I/O answered by cowdisk.mjs), and closes them
// again. Entries without `persist` pass through.
//
// A disk is named by the machine and its slot ("linux/0"); `url` is its base
// image (read lazily with Range requests), `id` a stable identity of that
// base (the manifest's sha256), `size` its length. An uploaded disk has no
// url: its base lives in IndexedDB and the name alone finds it.
import { openDisk } from './overlay.mjs';

export function hasPersistentDisks(disks) {
    return (disks || []).some((d) => d && d.persist);
}

// Returns {disks, close()}. onNotice(text) hears what the user should know
// (opened read-only because another tab has it, quota full).
// module: the instantiated core the machine will run in (the engines live
// in its memory). store: 'idb' | 'opfs' for disks created now.
export async function openPersistentDisks(disks, { onNotice, module, store } = {}) {
    const opened = [];
    const out = [];
    try {
        for (const d of disks || []) {
            if (!d || !d.persist) {
                out.push(d);
                continue;
            }
            const p = d.persist;
            const base = p.url ? { url: String(new URL(p.url, globalThis.location ? globalThis.location.href : undefined)), size: p.size, id: p.id } : undefined;
            const disk = await openDisk({ name: p.name, base, size: p.size, readonly: !!d.readonly, onNotice, module, store: p.store || store });
            opened.push(disk);
            out.push({ cow: disk, size: disk.size, readonly: disk.readonly });
        }
    } catch (e) {
        await Promise.allSettled(opened.map((x) => x.close()));
        throw e;
    }
    let closing = null;
    return {
        disks: out,
        opened,
        close() {
            if (!closing) closing = Promise.allSettled(opened.map((x) => x.close()));
            return closing;
        },
    };
}
