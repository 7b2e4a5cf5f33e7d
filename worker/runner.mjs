// Runs a VmCore in time slices on an event loop (a worker's, Node's or a
// page's). Between slices it returns to the loop so input, storage and
// network messages get handled:
//   - a slice is sized to take about sliceMs, adapting the instruction
//     budget to the speed measured on the previous slices;
//   - after a full slice it yields with a MessageChannel message (Node:
//     setImmediate), never setTimeout(0), which browsers clamp to 4 ms;
//   - when every hart waits (WFI) it sleeps until the next timer deadline,
//     or until input arrives: an idle guest costs close to no CPU.
import { STOP } from './core.mjs';

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

function makeYield() {
    if (typeof setImmediate === 'function') return (fn) => setImmediate(fn);
    const ch = new MessageChannel();
    const queue = [];
    ch.port1.onmessage = () => {
        const fn = queue.shift();
        if (fn) fn();
    };
    return (fn) => {
        queue.push(fn);
        ch.port2.postMessage(0);
    };
}

export class Runner {
    // events: {output(bytes), stopped(info), stats(s)}; all optional.
    constructor(core, events = {}, opts = {}) {
        this.core = core;
        this.events = events;
        this.sliceMs = opts.sliceMs ?? 8;
        this.budget = opts.initialBudget ?? 200000;
        this.minBudget = 10000;
        this.maxBudget = 200000000;
        this.running = false;
        this.halted = null; // 'poweroff' | 'error' once the machine ended
        this.pendingInput = []; // bytes the input ring had no room for
        this.timer = null;
        this.scheduled = false;
        this.yieldFn = makeYield();
        this.startedAt = now();
        this.busyMs = 0;
        this.statsAt = now();
        this.statsInstret = 0;
        this.mips = 0;
        this.lastReason = null;
        this.crashed = false;
        core.onWake = () => this.wake();
    }

    // Runs exactly one slice now, synchronously; returns its result.
    step(budget = this.budget) {
        if (this.halted) return { reason: this.halted === 'poweroff' ? STOP.POWEROFF : STOP.ERROR, executed: 0 };
        this.feedInput();
        const t0 = now();
        const r = this.core.run(budget);
        const dt = now() - t0;
        this.busyMs += dt;
        this.lastReason = r.reason;
        // Adapt: aim for sliceMs per full slice. Only full slices tell the
        // speed; idle stops end early by design.
        if (r.reason === STOP.BUDGET && dt > 0.2) {
            const target = (budget * this.sliceMs) / dt;
            this.budget = Math.round(Math.min(this.maxBudget, Math.max(this.minBudget, 0.5 * this.budget + 0.5 * target)));
        }
        const out = this.core.takeOutput();
        if (out && this.events.output) this.events.output(out);
        if (r.reason === STOP.POWEROFF) {
            this.halted = 'poweroff';
            this.running = false;
            if (this.events.stopped) this.events.stopped({ state: 'poweroff', exitCode: r.exitCode, instret: this.core.instret(), uptimeMs: now() - this.startedAt });
        } else if (r.reason === STOP.ERROR) {
            this.halted = 'error';
            this.running = false;
            if (this.events.stopped) this.events.stopped({ state: 'error', error: r.error });
        }
        this.maybeStats();
        return r;
    }

    maybeStats(force = false) {
        const t = now();
        if (!force && t - this.statsAt < 500) return;
        const instret = this.core.instret();
        const dt = t - this.statsAt;
        if (dt > 0) this.mips = (instret - this.statsInstret) / dt / 1000;
        this.statsAt = t;
        this.statsInstret = instret;
        if (this.events.stats) this.events.stats(this.stats());
    }

    stats() {
        return {
            instret: this.core.instret(),
            mips: this.mips,
            uptimeMs: now() - this.startedAt,
            busyMs: this.busyMs,
            budget: this.budget,
            state: this.halted || (this.running ? 'running' : 'stopped'),
        };
    }

    start() {
        if (this.running || this.halted) return;
        this.running = true;
        this.schedule(0);
    }

    stop() {
        this.running = false;
        if (this.timer !== null) clearTimeout(this.timer);
        this.timer = null;
    }

    // Console input: whatever the C ring cannot take now waits here, in
    // order, and is fed at the start of each slice.
    input(bytes) {
        if (!bytes || !bytes.length) return;
        this.pendingInput.push(bytes);
        this.feedInput();
        this.wake();
    }

    feedInput() {
        while (this.pendingInput.length) {
            const b = this.pendingInput[0];
            const n = this.core.pushInput(b);
            if (n === b.length) this.pendingInput.shift();
            else {
                if (n > 0) this.pendingInput[0] = b.subarray(n);
                break;
            }
        }
    }

    // Something happened that the guest may be waiting for.
    wake() {
        if (!this.running) return;
        if (this.timer !== null) {
            clearTimeout(this.timer);
            this.timer = null;
            this.schedule(0);
        }
    }

    schedule(delayMs) {
        if (!this.running) return;
        if (delayMs <= 0) {
            if (this.scheduled) return;
            this.scheduled = true;
            this.yieldFn(() => {
                this.scheduled = false;
                this.loop();
            });
        } else {
            if (this.timer !== null) clearTimeout(this.timer);
            this.timer = setTimeout(() => {
                this.timer = null;
                this.loop();
            }, delayMs);
        }
    }

    loop() {
        if (!this.running) return;
        let r;
        try {
            r = this.step();
        } catch (e) {
            // A wasm trap (out of bounds, unreachable) or an abort: report
            // it; the worker stays alive and can start another machine.
            this.halted = 'error';
            this.crashed = true; // the module instance is unusable now
            this.running = false;
            if (this.events.stopped) this.events.stopped({ state: 'error', error: `the VM crashed: ${e && e.message ? e.message : e}` });
            return;
        }
        if (!this.running) return;
        if (r.reason === STOP.IDLE) {
            // Sleep to the next timer event; with input pending the UART may
            // take more, so come back soon. Cap the sleep so stats flow.
            let ms = r.idleMs < 0 ? 250 : r.idleMs;
            if (this.pendingInput.length) ms = Math.min(ms, 1);
            ms = Math.min(ms, 250);
            if (ms < 0.5) this.schedule(0);
            else this.schedule(ms);
        } else {
            this.schedule(0);
        }
    }
}
