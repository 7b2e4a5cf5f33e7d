// The Web Worker's logic: owns the machine and its backends, speaks the one
// message protocol (ARCHITECTURE.md, "Browser side"). The same code runs in
// a browser worker (worker.browser.mjs) and a Node worker_threads worker
// (worker.node.mjs); those adapters only supply `endpoint` and `loadCore`.
//
// Page -> worker
//   {type: 'start', config?}   config = {kernel, bios?, initrd?, disks?: [{data, readonly?}],
//                              memoryMiB?, harts?, append?, deterministic?, netEnabled?,
//                              mac?}: boot a new machine; without config, resume a
//                              stopped one
//   {type: 'stop'}             pause (the machine keeps its state)
//   {type: 'reset'}            rebuild the machine from its config and run it
//   {type: 'input', data}      console bytes (Uint8Array) or a string
//   {type: 'stats'}            ask for a 'stats' message now
//   {type: 'net-frame', data}  one received Ethernet frame (issue 7)
//   {type: 'net-connect', url} the worker connects the NIC to a relay itself
//                              (ws://, wss://; worker/net/): a machine started
//                              after this gets a NIC even without netEnabled
//   {type: 'net-disconnect'}   drop the relay; the guest's link goes down
//   {type: 'net-status'}       ask for a 'net-status' message now
//   {type: 'disk-export', id, op, name?, length?}
//                              read a persistent disk this machine holds, as
//                              the guest sees it: op 'open' (name), 'read'
//                              (length bytes from where the last read
//                              ended), 'close'
// Worker -> page
//   {type: 'ready'}                            the wasm module is loaded
//   {type: 'output', data: Uint8Array}         console bytes, one message per slice (transferred)
//   {type: 'state', state, exitCode?, error?}  'running' | 'stopped' | 'poweroff' | 'error'
//   {type: 'stats', instret, mips, uptimeMs, busyMs, state}
//   {type: 'error', message}                   a clear text; the worker stays usable
//   {type: 'net-send', data: Uint8Array}       a frame the guest sent (issue 7), only
//                                              while no relay is connected
//   {type: 'disk-export-reply', id, size? | notHere? | data? | error?}
//                                              the answer to a 'disk-export'
//   {type: 'net-status', state, url, nic, ...} relay link 'connecting' | 'up' | 'down' |
//                                              'closed' | 'error', with counters (link.mjs)
import { VmCore, normaliseConfig, toBytes } from './core.mjs';
import { Runner } from './runner.mjs';
import { hasPersistentDisks, openPersistentDisks } from './disk/attach.mjs';
import { NetBridge } from './net/bridge.mjs';

const enc = new TextEncoder();

export function serveWorker(endpoint, loadCore) {
    let corePromise = null; // resolves to a function making a new module instance
    let config = null;
    let core = null;
    let runner = null;
    let spare = null; // a module instance whose machine was freed, for reuse
    let diskSet = null; // persistent disks (worker/disk/) of the machine
    let disksClosed = Promise.resolve();
    let exporting = null; // {disk, offset}: a disk-export in progress

    const post = (msg, transfer) => endpoint.post(msg, transfer || []);
    const error = (message) => post({ type: 'error', message });
    const net = new NetBridge({ onstatus: (s) => post({ type: 'net-status', ...s }) });

    function getCore() {
        if (!corePromise) corePromise = loadCore();
        return corePromise;
    }

    function teardown() {
        if (runner) runner.stop();
        if (core) {
            try {
                spare = runner && runner.crashed ? null : core.destroy();
            } catch {
                spare = null; // the instance died in a trap; dropping it is enough
            }
        }
        net.detach();
        runner = null;
        core = null;
    }

    // Persistent disks commit what is dirty and give up their lock.
    function closeDisks() {
        if (diskSet) disksClosed = diskSet.close();
        diskSet = null;
        return disksClosed;
    }

    async function boot(cfg) {
        // Disks commit and unlock while their machine still exists (its
        // engines die with it), then the machine goes.
        if (runner) runner.stop();
        await closeDisks();
        teardown();
        const make = await getCore();
        const mod = spare || (await make());
        spare = null;
        try {
            if (hasPersistentDisks(cfg.disks)) {
                diskSet = await openPersistentDisks(cfg.disks, { onNotice: (text) => error(text), module: mod });
                cfg = { ...cfg, disks: diskSet.disks };
            }
            core = new VmCore(mod, {
                ...cfg,
                net: cfg.netEnabled || net.link
                    ? { mac: cfg.mac, send: (frame) => post({ type: 'net-send', data: frame }, [frame.buffer]) }
                    : null,
            });
        } catch (e) {
            core = null;
            await closeDisks();
            spare = mod; // VmCore freed its half-built machine
            throw e;
        }
        runner = new Runner(core, {
            output: (bytes) => post({ type: 'output', data: bytes }, [bytes.buffer]),
            stopped: (info) => {
                post({ type: 'state', ...info });
                closeDisks();
            },
            stats: (s) => post({ type: 'stats', ...s }),
        });
        net.attach(core, runner);
        runner.start();
        post({ type: 'state', state: 'running' });
    }

    // The disk manager's export of a disk this machine holds: read through
    // its engine, so it is what the guest sees, committed or not.
    async function diskExport(msg) {
        switch (msg.op) {
        case 'open': {
            const held = diskSet && diskSet.disks.find((d) => d.cow && d.cow.name === msg.name);
            if (!held) return { notHere: true };
            exporting = { disk: held.cow, offset: 0 };
            return { size: held.cow.size };
        }
        case 'read': {
            if (!exporting) throw new Error('no export is open');
            const { disk } = exporting;
            const n = Math.max(0, Math.min(Number(msg.length) || 0, disk.size - exporting.offset));
            const data = n ? await disk.read(exporting.offset, n) : new Uint8Array(0);
            exporting.offset += n;
            return { data, transfer: [data.buffer] };
        }
        case 'close':
            exporting = null;
            return {};
        default:
            throw new Error(`unknown disk-export op '${msg.op}'`);
        }
    }

    async function handle(msg) {
        switch (msg.type) {
        case 'disk-export':
            try {
                const { transfer, ...out } = await diskExport(msg);
                post({ type: 'disk-export-reply', id: msg.id, ...out }, transfer);
            } catch (e) {
                post({ type: 'disk-export-reply', id: msg.id, error: String((e && e.message) || e) });
            }
            break;
        case 'start':
            if (msg.config) {
                const cfg = normaliseConfig(msg.config);
                config = cfg;
                await boot(cfg);
            } else if (runner && !runner.halted) {
                runner.start();
                post({ type: 'state', state: 'running' });
            } else if (config) {
                await boot(config);
            } else {
                error('nothing to start: no machine configured');
            }
            break;
        case 'stop':
            if (runner) {
                runner.stop();
                runner.maybeStats(true);
                post({ type: 'state', state: runner.halted || 'stopped' });
            }
            break;
        case 'reset':
            if (!config) {
                error('nothing to reset: no machine configured');
                break;
            }
            await boot(config);
            break;
        case 'input':
            if (runner) runner.input(typeof msg.data === 'string' ? enc.encode(msg.data) : toBytes(msg.data));
            break;
        case 'stats':
            if (runner) runner.maybeStats(true);
            break;
        case 'net-frame':
            if (core) core.pushFrame(toBytes(msg.data));
            if (runner) runner.wake();
            break;
        case 'net-connect':
            try {
                net.connect(String(msg.url || ''));
            } catch (e) {
                post({ type: 'net-status', ...net.status(), state: 'error', url: msg.url, reason: e.message });
            }
            break;
        case 'net-disconnect':
            net.disconnect();
            break;
        case 'net-status':
            post({ type: 'net-status', ...net.status() });
            break;
        default:
            error(`unknown message type '${msg.type}'`);
        }
    }

    // Messages are handled one at a time, in order, even when one awaits.
    let chain = Promise.resolve();
    endpoint.onMessage((msg) => {
        chain = chain
            .then(() => handle(msg || {}))
            .catch((e) => {
                if (msg && (msg.type === 'start' || msg.type === 'reset')) post({ type: 'state', state: 'error', error: String(e.message || e) });
                error(String((e && e.message) || e));
            });
    });

    getCore().then(
        () => post({ type: 'ready' }),
        (e) => error(`cannot load the VM core: ${e.message || e}`),
    );
}
