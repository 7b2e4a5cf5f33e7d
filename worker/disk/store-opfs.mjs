// OPFS store for the browser's disks: not built yet. opfsAvailable() says
// no, so every disk keeps its overlay in IndexedDB (store-idb.mjs).
export const OPFS_DIR = 'riscv-vm-disks';
export function opfsAvailable() {
    return false;
}
export class OpfsStore {
    static async open() {
        throw new Error('the OPFS disk store is not available in this build');
    }
    static async reset() {}
    static async remove() {}
}
