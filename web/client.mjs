// VmWorkerClient: the page's (or a Node script's) handle on a machine that
// runs in a worker. Same console API as WasmVm (onOutput, sendInput,
// expect, type, transcript), plus the worker lifecycle.
import { VmConsole } from './automation.mjs';

// endpoint: {post(msg, transfer), onMessage(fn), terminate()}.
export class VmWorkerClient extends VmConsole {
    constructor(endpoint) {
        super();
        this._ep = endpoint;
        this.state = 'loading';
        this.exitCode = null;
        this.error = null;
        this.lastStats = null;
        this._stateListeners = new Set();
        this._statsListeners = new Set();
        this._errorListeners = new Set();
        this._netListeners = new Set();
        this.netStatus = { state: 'closed', url: null };
        this._diskCalls = new Map(); // disk-export requests by id
        this._diskNext = 1;
        this.ready = new Promise((resolve, reject) => {
            this._readyResolve = resolve;
            this._readyReject = reject;
        });
        endpoint.onMessage((msg) => this._onMessage(msg));
    }

    _onMessage(msg) {
        switch (msg.type) {
        case 'ready':
            this.state = 'ready';
            this._readyResolve();
            break;
        case 'output':
            this._deliver(msg.data);
            break;
        case 'state':
            this.state = msg.state;
            if (msg.state === 'running') {
                this.exitCode = null;
                this.error = null;
            }
            if (msg.state === 'poweroff') this.exitCode = msg.exitCode ?? 0;
            if (msg.state === 'error') this.error = msg.error || 'error';
            if (msg.state === 'poweroff' || msg.state === 'error') {
                this._failWaiters(msg.state === 'error' ? `machine error: ${this.error}` : `guest powered off (exit ${this.exitCode})`);
            }
            for (const cb of this._stateListeners) cb(msg.state, msg);
            break;
        case 'stats':
            this.lastStats = msg;
            for (const cb of this._statsListeners) cb(msg);
            break;
        case 'error':
            this.error = msg.message;
            if (this._errorListeners.size === 0) console.error(`riscv-vm: ${msg.message}`);
            for (const cb of this._errorListeners) cb(msg.message);
            if (this.state === 'loading') this._readyReject(new Error(msg.message));
            break;
        case 'disk-export-reply': {
            const p = this._diskCalls.get(msg.id);
            if (p) {
                this._diskCalls.delete(msg.id);
                if (msg.error) p.reject(new Error(msg.error));
                else p.resolve(msg);
            }
            break;
        }
        case 'net-send':
            if (this.onNetSend) this.onNetSend(msg.data);
            break;
        case 'net-status': {
            const { type: _t, ...s } = msg;
            this.netStatus = s;
            for (const cb of this._netListeners) cb(s);
            break;
        }
        }
    }

    onState(cb) {
        this._stateListeners.add(cb);
        return () => this._stateListeners.delete(cb);
    }

    onStats(cb) {
        this._statsListeners.add(cb);
        return () => this._statsListeners.delete(cb);
    }

    // Network link changes: cb({state, url, nic, reason?, counters...}).
    onNetStatus(cb) {
        this._netListeners.add(cb);
        return () => this._netListeners.delete(cb);
    }

    // The worker connects the guest's NIC to a relay (ws://, wss://): one
    // Ethernet frame per message, reconnecting with backoff. A machine
    // started after this has a NIC; one already running without a NIC gets
    // it at its next reset (netStatus.nic tells). Resolves with the first
    // status the worker reports.
    connect_network(url) {
        return this._netRequest({ type: 'net-connect', url: String(url) });
    }

    disconnect_network() {
        return this._netRequest({ type: 'net-disconnect' });
    }

    // The link's status with its current counters.
    requestNetStatus() {
        return this._netRequest({ type: 'net-status' });
    }

    _netRequest(msg) {
        return new Promise((resolve) => {
            const off = this.onNetStatus((s) => {
                off();
                resolve(s);
            });
            this._ep.post(msg, []);
        });
    }

    onError(cb) {
        this._errorListeners.add(cb);
        return () => this._errorListeners.delete(cb);
    }

    // Boots a new machine: config = {kernel, bios?, initrd?, disks?, memoryMiB?,
    // harts?, append?}. Byte buffers are copied (the caller keeps them) unless
    // transfer is true. Resolves once the machine runs; rejects with the
    // worker's error text (bad kernel, out of memory).
    async start(config, { transfer = false } = {}) {
        await this.ready;
        if (!config) {
            this._ep.post({ type: 'start' }, []);
            return;
        }
        const list = [];
        if (transfer) {
            for (const k of ['kernel', 'bios', 'initrd']) {
                const b = config[k];
                if (b && b.buffer) list.push(b.buffer);
                else if (b instanceof ArrayBuffer) list.push(b);
            }
        }
        this.exitCode = null;
        this.error = null;
        await new Promise((resolve, reject) => {
            const offState = this.onState((state, msg) => {
                if (state === 'running') {
                    cleanup();
                    resolve();
                } else if (state === 'error') {
                    cleanup();
                    reject(new Error(msg.error || 'cannot start'));
                }
            });
            const cleanup = () => offState();
            this._ep.post({ type: 'start', config }, list);
        });
    }

    stop() {
        this._ep.post({ type: 'stop' }, []);
    }

    resume() {
        this._ep.post({ type: 'start' }, []);
    }

    reset() {
        this._ep.post({ type: 'reset' }, []);
    }

    // Reads a disk the machine holds, as its guest sees it (the disk
    // manager's export): req = {op: 'open', name} -> {size} or {notHere},
    // {op: 'read', length} -> {data}, {op: 'close'}.
    diskExport(req) {
        const id = this._diskNext++;
        return new Promise((resolve, reject) => {
            this._diskCalls.set(id, { resolve, reject });
            this._ep.post({ ...req, type: 'disk-export', id }, []);
        });
    }

    sendInput(data) {
        this._ep.post({ type: 'input', data }, []);
    }

    // Delivers one Ethernet frame to the guest's NIC (config.netEnabled);
    // frames the guest sends arrive at onNetSend(frame).
    receiveFrame(frame) {
        this._ep.post({ type: 'net-frame', data: frame }, []);
    }

    requestStats() {
        this._ep.post({ type: 'stats' }, []);
    }

    whenHalted() {
        if (this.state === 'poweroff' || this.state === 'error') {
            return Promise.resolve({ state: this.state, exitCode: this.exitCode, error: this.error });
        }
        return new Promise((resolve) => {
            const off = this.onState((state) => {
                if (state === 'poweroff' || state === 'error') {
                    off();
                    resolve({ state, exitCode: this.exitCode, error: this.error });
                }
            });
        });
    }

    terminate() {
        this._failWaiters('VM terminated');
        this._ep.terminate();
        this.state = 'terminated';
    }
}
