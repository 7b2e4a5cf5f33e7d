// WasmVm: a machine running in the current thread (Node scripts, tests,
// or a page that wants no worker). step() runs one slice synchronously;
// run() keeps slicing on the event loop until stop().
import { VmCore, normaliseConfig, STOP_NAMES } from '../worker/core.mjs';
import { Runner } from '../worker/runner.mjs';
import { VmConsole } from './automation.mjs';
import { NetBridge } from '../worker/net/bridge.mjs';

const enc = new TextEncoder();

export class WasmVmBase extends VmConsole {
    // makeModule() returns a ready module instance synchronously (the entry
    // point supplies it: Node loads synchronously, the browser after load()).
    constructor(kernel, options, makeModule) {
        super();
        this._options = { ...(options || {}), kernel };
        // options.netUrl: a NIC connected to that relay from the start.
        if (this._options.netUrl && !this._options.net) this._options.net = { mac: this._options.mac };
        this._cfg = normaliseConfig(this._options);
        this._makeModule = makeModule;
        this._stateListeners = new Set();
        this._statsListeners = new Set();
        this.state = 'stopped';
        this.exitCode = null;
        this.error = null;
        this._netListeners = new Set();
        this.netStatus = { state: 'closed', url: null };
        this._net = new NetBridge({
            onstatus: (s) => {
                this.netStatus = s;
                for (const cb of this._netListeners) cb(s);
            },
        });
        this._boot();
        if (this._options.netUrl) this._net.connect(this._options.netUrl);
    }

    _boot(reuse = null) {
        const mod = reuse || this._makeModule();
        this._core = new VmCore(mod, this._cfg);
        this._runner = new Runner(this._core, {
            output: (bytes) => this._deliver(bytes),
            stopped: (info) => this._setState(info.state, info),
            stats: (s) => {
                for (const cb of this._statsListeners) cb(s);
            },
        });
        this._net.attach(this._core, this._runner);
    }

    _setState(state, info = {}) {
        this.state = state;
        if (state === 'poweroff') this.exitCode = info.exitCode ?? 0;
        if (state === 'error') this.error = info.error || 'error';
        if (state === 'poweroff' || state === 'error') this._failWaiters(state === 'error' ? `machine error: ${this.error}` : `guest powered off (exit ${this.exitCode})`);
        for (const cb of this._stateListeners) cb(state, info);
    }

    onState(cb) {
        this._stateListeners.add(cb);
        return () => this._stateListeners.delete(cb);
    }

    onStats(cb) {
        this._statsListeners.add(cb);
        return () => this._statsListeners.delete(cb);
    }

    // One slice, now, in this thread. Returns {reason, executed, idleMs,
    // exitCode} with reason one of 'budget', 'idle', 'poweroff', 'reboot', 'error'.
    step(budget) {
        let r;
        try {
            r = this._runner.step(budget);
        } catch (e) {
            this._runner.halted = 'error';
            this._setState('error', { error: `the VM crashed: ${e.message || e}` });
            throw e;
        }
        return { ...r, reason: STOP_NAMES[r.reason] };
    }

    // Keeps running slices on the event loop until stop() or poweroff.
    run() {
        if (this._runner.halted) return;
        this._runner.start();
        this._setState('running');
    }

    stop() {
        this._runner.stop();
        if (!this._runner.halted) this._setState('stopped');
    }

    // Power-cycles: a fresh machine from the same inputs; runs if it was running.
    reset() {
        const wasRunning = this._runner.running;
        this._runner.stop();
        let mod = null;
        try {
            mod = this._core.destroy();
        } catch {
            mod = null;
        }
        this.exitCode = null;
        this.error = null;
        this._boot(this._runner.crashed ? null : mod);
        this._setState('stopped');
        if (wasRunning) this.run();
    }

    sendInput(data) {
        this._runner.input(typeof data === 'string' ? enc.encode(data) : data);
    }

    // Delivers one Ethernet frame (no FCS) to the guest's NIC (options.net);
    // false when the NIC's receive queue is full or the frame malformed.
    receiveFrame(frame) {
        const ok = this._core.pushFrame(frame);
        this._runner.wake();
        return ok;
    }

    // Connects the NIC (options.net or options.netUrl) to a relay: ws://,
    // wss:// (worker/net/). Reconnects with backoff; the guest's link
    // follows the relay. Resolves with the current status.
    async connect_network(url) {
        if (!this._cfg.net) throw new Error('this machine has no NIC: create it with {net: {}} or {netUrl}');
        this._net.connect(String(url));
        return this._net.status();
    }

    async disconnect_network() {
        this._net.disconnect();
        return this._net.status();
    }

    // Network link changes: cb({state, url, nic, reason?, counters...}).
    onNetStatus(cb) {
        this._netListeners.add(cb);
        return () => this._netListeners.delete(cb);
    }

    // Resolves when the machine powers off or fails: {state, exitCode, error}.
    whenHalted() {
        if (this._runner.halted) return Promise.resolve({ state: this.state, exitCode: this.exitCode, error: this.error });
        return new Promise((resolve) => {
            const off = this.onState((state) => {
                if (state === 'poweroff' || state === 'error') {
                    off();
                    resolve({ state, exitCode: this.exitCode, error: this.error });
                }
            });
        });
    }

    stats() {
        return this._runner.stats();
    }

    get instret() {
        return this._core.instret();
    }

    destroy() {
        this._net.disconnect(false);
        this._runner.stop();
        this._core.destroy();
        this._failWaiters('VM destroyed');
    }
}
