// The page: machine picker, controls, status line, uploads, and the
// terminal. The machine runs in a worker (mount.mjs); window.riscvVm is the
// handle automation (Playwright) drives.
import { attachTerminal, createTerminal, createWorkerVm, fetchBytes } from './mount.mjs';

const $ = (id) => document.getElementById(id);
const MiB = 1024 * 1024;
const params = new URLSearchParams(location.search);

const ui = {
    machine: $('machine'),
    start: $('btn-start'),
    stop: $('btn-stop'),
    reset: $('btn-reset'),
    power: $('power'),
    status: $('status'),
    own: $('own'),
    bootOwn: $('btn-boot-own'),
    progress: $('progress'),
    progressBar: $('progress-bar'),
    progressText: $('progress-text'),
    error: $('error'),
    drop: $('drop'),
    files: { kernel: $('file-kernel'), bios: $('file-bios'), initrd: $('file-initrd'), disk: $('file-disk') },
    append: $('own-append'),
    mem: $('own-mem'),
};

const term = createTerminal($('terminal'));
let vm = null;
let machines = []; // {id, title, kernel, bios, initrd, disk, append, memoryMiB}
let state = 'off';
let lastStats = null;

function showError(msg) {
    ui.error.textContent = msg;
    ui.error.hidden = !msg;
}

function setPower(s) {
    state = s;
    ui.power.dataset.state = s;
    ui.power.textContent = { running: 'running', stopped: 'paused', poweroff: 'powered off', error: 'error', off: 'off', loading: 'loading' }[s] || s;
    ui.stop.disabled = s !== 'running';
    ui.reset.disabled = s === 'off' || s === 'loading';
    ui.start.disabled = s === 'running' || s === 'loading';
    updateStatus();
}

function fmtTime(ms) {
    const s = Math.floor(ms / 1000);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function updateStatus() {
    if (!lastStats || state === 'off' || state === 'loading') {
        ui.status.textContent = '';
        return;
    }
    const mips = state === 'running' ? lastStats.mips : 0;
    ui.status.textContent = `${mips.toFixed(1)} MIPS · up ${fmtTime(lastStats.uptimeMs)} · ${(lastStats.instret / 1e9).toFixed(2)} G instructions`;
}

function progress(loaded, total, what) {
    if (loaded === null) {
        ui.progress.hidden = true;
        return;
    }
    ui.progress.hidden = false;
    const pct = total ? Math.min(100, (100 * loaded) / total) : 0;
    ui.progressBar.style.width = `${total ? pct : 100}%`;
    ui.progressText.textContent = `downloading ${what}: ${(loaded / MiB).toFixed(1)}${total ? ` / ${(total / MiB).toFixed(1)}` : ''} MiB`;
}

// Downloads a machine's files (URLs) with one progress bar over all of them.
async function download(m) {
    const names = ['bios', 'kernel', 'initrd', 'disk'].filter((n) => m[n]);
    const loaded = {};
    const totals = {};
    const report = () => {
        const l = Object.values(loaded).reduce((a, b) => a + b, 0);
        const t = Object.values(totals).reduce((a, b) => a + b, 0);
        progress(l, t, names.join(', '));
    };
    try {
        const got = await Promise.all(
            names.map((n) => {
                const v = m[n];
                if (typeof v !== 'string') return v; // already bytes (upload)
                return fetchBytes(v, (l, t) => {
                    loaded[n] = l;
                    totals[n] = t;
                    report();
                });
            }),
        );
        const out = {};
        names.forEach((n, i) => {
            out[n] = got[i];
        });
        return out;
    } finally {
        progress(null);
    }
}

async function boot(m) {
    showError('');
    setPower('loading');
    try {
        const f = await download(m);
        const cfg = { kernel: f.kernel, bios: f.bios, initrd: f.initrd, append: m.append || '', memoryMiB: Number(m.memoryMiB || 256), harts: Number(m.harts || 1) };
        if (f.disk) cfg.disks = [{ data: f.disk }];
        if (!cfg.kernel) throw new Error('no kernel: pick a kernel file (ELF or Image)');
        term.term.reset();
        await vm.start(cfg);
    } catch (e) {
        setPower(vm && vm.state === 'running' ? 'running' : 'error');
        showError(String(e.message || e));
    }
}

async function loadManifest() {
    try {
        const res = await fetch('images/manifest.json');
        if (!res.ok) return null;
        return await res.json();
    } catch {
        return null;
    }
}

function machineFromParams() {
    if (!params.get('kernel')) return null;
    return {
        id: 'url',
        title: 'From the URL',
        kernel: params.get('kernel'),
        bios: params.get('bios') || undefined,
        initrd: params.get('initrd') || undefined,
        disk: params.get('disk') || undefined,
        append: params.get('append') || '',
        memoryMiB: params.get('mem') || params.get('memory') || 256,
        harts: params.get('harts') || 1,
    };
}

function fillPicker(manifest) {
    machines = [];
    const fromUrl = machineFromParams();
    if (fromUrl) machines.push(fromUrl);
    if (manifest && Array.isArray(manifest.boots)) {
        const url = (f) => (f ? `images/${f}` : undefined);
        for (const b of manifest.boots) {
            machines.push({
                id: b.name,
                title: b.title || b.name,
                kernel: url(b.kernel),
                bios: url(b.bios),
                initrd: url(b.initrd),
                disk: url(b.disk),
                append: params.get('append') ?? b.append ?? '',
                memoryMiB: params.get('mem') || b.memoryMiB || 256,
                default: b.name === manifest.default || b.default,
            });
        }
    }
    ui.machine.textContent = '';
    for (const m of machines) ui.machine.append(new Option(m.title, m.id));
    ui.machine.append(new Option('Your own…', 'own'));
    const want = fromUrl ? 'url' : params.get('machine') || (machines.find((m) => m.default) || machines[0] || { id: 'own' }).id;
    ui.machine.value = machines.some((m) => m.id === want) || want === 'own' ? want : 'own';
}

function selected() {
    return machines.find((m) => m.id === ui.machine.value) || null;
}

function ownMachine() {
    const pick = (n) => ui.files[n].files[0] || null;
    const kernel = pick('kernel');
    if (!kernel) throw new Error('pick a kernel file first (ELF or Image)');
    const asBytes = async (f) => (f ? new Uint8Array(await f.arrayBuffer()) : undefined);
    return (async () => ({
        id: 'own',
        kernel: await asBytes(kernel),
        bios: await asBytes(pick('bios')),
        initrd: await asBytes(pick('initrd')),
        disk: await asBytes(pick('disk')),
        append: ui.append.value,
        memoryMiB: ui.mem.value || 256,
    }))();
}

async function bootOwn() {
    try {
        await boot(await ownMachine());
    } catch (e) {
        showError(String(e.message || e));
    }
}

// Guesses what a dropped file is: ELF = kernel; else by name.
async function classify(file, taken) {
    const head = new Uint8Array(await file.slice(0, 4).arrayBuffer());
    const n = file.name.toLowerCase();
    if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) return 'kernel';
    if (/fw_|opensbi|bios|firmware|u-boot/.test(n)) return 'bios';
    if (/initrd|initramfs|cpio/.test(n)) return 'initrd';
    if (/\.(ext[234]|img|raw|disk)$|rootfs|disk/.test(n)) return 'disk';
    if (/image|vmlinu|kernel|\.bin$/.test(n) && !taken.kernel) return 'kernel';
    return taken.kernel ? 'disk' : 'kernel';
}

async function onDrop(files) {
    const taken = {};
    for (const f of files) {
        const kind = await classify(f, taken);
        taken[kind] = true;
        const dt = new DataTransfer();
        dt.items.add(f);
        ui.files[kind].files = dt.files;
    }
    ui.machine.value = 'own';
    ui.own.hidden = false;
    if (taken.kernel) await bootOwn();
}

function wireUi() {
    ui.machine.addEventListener('change', () => {
        const own = ui.machine.value === 'own';
        ui.own.hidden = !own;
        if (!own) boot(selected());
    });
    ui.bootOwn.addEventListener('click', bootOwn);
    ui.start.addEventListener('click', () => {
        if (state === 'stopped') vm.resume();
        else if (state === 'poweroff') {
            term.term.reset();
            vm.reset(); // the worker keeps the machine's inputs: no new download
        } else if (ui.machine.value === 'own') bootOwn();
        else if (selected()) boot(selected());
    });
    ui.stop.addEventListener('click', () => vm.stop());
    ui.reset.addEventListener('click', () => {
        showError('');
        term.term.reset();
        vm.reset();
    });
    let depth = 0;
    window.addEventListener('dragenter', (e) => {
        e.preventDefault();
        depth++;
        ui.drop.hidden = false;
    });
    window.addEventListener('dragleave', () => {
        depth = Math.max(0, depth - 1);
        if (!depth) ui.drop.hidden = true;
    });
    window.addEventListener('dragover', (e) => e.preventDefault());
    window.addEventListener('drop', (e) => {
        e.preventDefault();
        depth = 0;
        ui.drop.hidden = true;
        if (e.dataTransfer && e.dataTransfer.files.length) onDrop([...e.dataTransfer.files]);
    });
}

async function main() {
    setPower('loading');
    wireUi();
    try {
        vm = await createWorkerVm();
    } catch (e) {
        setPower('error');
        showError(String(e.message || e));
        return;
    }
    attachTerminal(term, vm);
    const timeline = []; // state changes, for benchmarks: {state, t, instret}
    vm.onState((s, msg) => {
        timeline.push({ state: s, t: performance.now(), instret: msg.instret, uptimeMs: msg.uptimeMs });
        setPower(s);
        if (s === 'error' && msg.error) showError(msg.error);
        if (s === 'poweroff') term.term.write(`\r\n\x1b[2m[powered off, exit code ${msg.exitCode ?? 0}]\x1b[0m\r\n`);
    });
    vm.onStats((s) => {
        lastStats = s;
        updateStatus();
    });
    vm.onError((msg) => showError(msg));
    window.riscvVm = {
        get vm() {
            return vm;
        },
        terminal: term.term,
        get state() {
            return state;
        },
        get transcript() {
            return vm.transcript;
        },
        get stats() {
            return lastStats;
        },
        expect: (re, opts) => vm.expect(re, opts),
        type: (text) => vm.type(text),
        sendInput: (text) => vm.sendInput(text),
        boot: (m) => boot(m),
        timeline,
        // The terminal's visible text, as rendered.
        screenText() {
            const b = term.term.buffer.active;
            const lines = [];
            for (let i = 0; i < b.length; i++) lines.push(b.getLine(i).translateToString(true));
            return lines.join('\n');
        },
    };
    setPower('off');
    const manifest = await loadManifest();
    fillPicker(manifest);
    ui.own.hidden = ui.machine.value !== 'own';
    const m = selected();
    if (m) await boot(m);
    else {
        term.term.write('No default guest found (run \x1b[1mmake images\x1b[0m), or boot your own kernel above.\r\n');
    }
    term.fit();
}

main();
