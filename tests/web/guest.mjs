// Finds the test inputs: the bare-metal kernel built by web.mk and the
// default Linux guest described by build/images/manifest.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BUILD = join(ROOT, 'build');
export const HELLO_ELF = join(BUILD, 'tests/web/hello.elf');
export const IMAGES = join(BUILD, 'images');

// Reads the manifest (images/manifest.py writes it: {default, boots: [{name,
// title, bios, kernel, disk, initrd, append}], artefacts}) and returns the
// named boot (default: the manifest's default), or null when no default
// guest was built. Paths are relative to build/images.
export function readManifest(name) {
    const p = join(IMAGES, 'manifest.json');
    if (!existsSync(p)) return null;
    const m = JSON.parse(readFileSync(p, 'utf8'));
    const boots = m.boots || [];
    const want = name || m.default;
    const b = boots.find((x) => x.name === want) || boots.find((x) => x.default) || boots[0];
    if (!b || !b.kernel) return null;
    return {
        name: b.name,
        kernel: b.kernel,
        bios: b.bios,
        initrd: b.initrd,
        disk: b.disk,
        append: b.append ?? m.cmdline ?? '',
        memoryMiB: b.memoryMiB || 256,
    };
}
export function readGuestFiles(man) {
    const rd = (f) => (f ? new Uint8Array(readFileSync(join(IMAGES, f))) : null);
    return {
        kernel: rd(man.kernel),
        bios: rd(man.bios),
        initrd: rd(man.initrd),
        disks: man.disk ? [{ data: rd(man.disk) }] : [],
        append: man.append,
        memoryMiB: man.memoryMiB || 256,
    };
}
