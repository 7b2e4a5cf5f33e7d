// The page: machine picker, controls, status line, uploads, and the
// terminal. The machine runs in a worker (mount.mjs); window.riscvVm is the
// handle automation (Playwright) drives.
import { attachTerminal, createTerminal, createWorkerVm, fetchBytes } from './mount.mjs';
import { mountDiskManager } from '../worker/disk/manager.mjs';

const $ = (id) => document.getElementById(id);
const MiB = 1024 * 1024;
const params = new URLSearchParams(location.search);
const diskStore = ['idb', 'opfs'].includes(params.get('store')) ? params.get('store') : undefined; // ?store=: where a new disk keeps its changes

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
    netUrl: $('net-url'),
    netButton: $('btn-net'),
    netStatus: $('net-status'),
};

const term = createTerminal($('terminal'));
let vm = null;
let machines = []; // {id, title, kernel, bios, initrd, disk, append, memoryMiB}
let state = 'off';
let lastStats = null;
let netStatus = { state: 'closed', url: null };
// One MAC per page load (locally administered, QEMU's 52:54:00 prefix), so
// tabs and native guests on one segment do not collide.
const pageMac = [0x52, 0x54, 0x00, ...crypto.getRandomValues(new Uint8Array(3))];

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
        if (m.persist) cfg.disks = [{ persist: m.persist }]; // copy-on-write overlay (worker/disk/)
        else if (f.disk) cfg.disks = [{ data: f.disk }];
        if (!cfg.kernel) throw new Error('no kernel: pick a kernel file (ELF or Image)');
        cfg.mac = pageMac;
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
        const art = (f) => (manifest.artefacts || []).find((a) => a.file === f) || {};
        // The default guest's disk persists in this browser (?persist=0: in
        // memory), in OPFS where the worker can use it, else IndexedDB
        // (?store=idb or ?store=opfs picks one for a new or reset disk).
        const persist = (b) =>
            b.disk && params.get('persist') !== '0'
                ? { name: `${b.name}/0`, url: new URL(url(b.disk), location.href).href, size: art(b.disk).size, id: art(b.disk).sha256, store: diskStore }
                : undefined;
        for (const b of manifest.boots) {
            machines.push({
                id: b.name,
                title: b.title || b.name,
                kernel: url(b.kernel),
                bios: url(b.bios),
                initrd: url(b.initrd),
                disk: persist(b) ? undefined : url(b.disk),
                persist: persist(b),
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

function showNet(s) {
    netStatus = s;
    const st = s.state;
    ui.netStatus.dataset.state = st;
    const text = {
        connecting: 'connecting…',
        up: 'link up',
        down: `relay lost, retry in ${((s.retryMs || 0) / 1000).toFixed(1)} s`,
        closed: '',
        error: s.reason || 'error',
    }[st];
    ui.netStatus.textContent = text ?? st;
    ui.netStatus.title = s.reason || '';
    ui.netButton.textContent = st === 'closed' || st === 'error' ? 'Connect' : 'Disconnect';
}

// Connects the NIC to a relay (ws://, wss://, or https://...#sha256=HASH for WebTransport). A machine running without a
// NIC is power-cycled to get one.
async function connectNetwork(url) {
    url = String(url || '').trim();
    if (!url) throw new Error('enter a relay URL, e.g. ws://127.0.0.1:8086/lan or https://127.0.0.1:4433/lan#sha256=HASH');
    ui.netUrl.value = url;
    const s = await vm.connect_network(url);
    if (s.state === 'error') throw new Error(s.reason || 'cannot connect');
    if (!s.nic && state === 'running') {
        term.term.reset();
        vm.reset();
    }
    return s;
}

function wireUi() {
    ui.netButton.addEventListener('click', () => {
        showError('');
        if (netStatus.state === 'closed' || netStatus.state === 'error') {
            connectNetwork(ui.netUrl.value).catch((e) => showError(String(e.message || e)));
        } else vm.disconnect_network();
    });
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
    const disks = mountDiskManager(document.body, {
        before: $('terminal'),
        onError: showError,
        // Boots the default guest's kernel with a stored disk as its root.
        onBoot: (name) => {
            const lin = machines.find((x) => x.persist);
            if (!lin) throw new Error('no Linux kernel to boot it with (make images)');
            return boot({ ...lin, persist: { name } });
        },
        store: diskStore,
        vmExport: (req) => vm.diskExport(req), // a disk the machine holds exports as its guest sees it
    });
    vm.onState(() => disks.refresh());
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
    vm.onNetStatus(showNet);
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
        connect_network: (url) => connectNetwork(url),
        disconnect_network: () => vm.disconnect_network(),
        get netStatus() {
            return netStatus;
        },
        timeline,
        disks,
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
    // ?net=ws://HOST:PORT/SEGMENT: connected before the first boot, so the
    // machine starts with its NIC on that relay.
    if (params.get('net')) {
        try {
            await connectNetwork(params.get('net'));
        } catch (e) {
            showError(String(e.message || e));
        }
    }
    if (m) await boot(m);
    else {
        term.term.write('No default guest found (run \x1b[1mmake images\x1b[0m), or boot your own kernel above.\r\n');
    }
    term.fit();
}

main();
