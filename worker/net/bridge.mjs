// NetBridge: joins a machine's NIC (a VmCore and the Runner slicing it) to a
// NetLink. The worker keeps one bridge for its life: the link survives
// resets, and each new machine is attached to it. WasmVm (in-thread) uses it
// the same way.
//   - Frames toward the guest wait in a bounded queue here (RX_QUEUE_MAX),
//     fed into the NIC's own queue in wasm memory as it empties, before and
//     after every slice; beyond the bound they are dropped and counted.
//   - The guest sees the link (virtio-net STATUS.LINK_UP) up only while the
//     relay session is up. Without any network URL the link stays up, so a
//     host that moves frames itself (net-frame / net-send messages) works.
import { NetLink } from './link.mjs';

export const RX_QUEUE_MAX = 512;

export class NetBridge {
    // onstatus(status): link status plus {rxQueued, rxQueueDrops, nic}.
    constructor({ onstatus } = {}) {
        this.onstatus = onstatus || (() => {});
        this.link = null;
        this.core = null;
        this.runner = null;
        this.rxq = [];
        this.rxQueueDrops = 0;
        this.wakeQueued = false;
    }

    get hasNic() {
        return !!(this.core && this.core.cfg && this.core.cfg.net);
    }

    status() {
        const s = this.link ? this.link.status() : { state: 'closed', url: null };
        return { ...s, nic: this.hasNic, rxQueued: this.rxq.length, rxQueueDrops: this.rxQueueDrops };
    }

    // A new machine: route its frames through the bridge. Returns nothing;
    // safe to call for machines without a NIC (then it only forgets the old).
    attach(core, runner) {
        this.core = core;
        this.runner = runner;
        this.rxq = [];
        if (!this.hasNic) return;
        const upstream = core.onNetSend; // the host's own frame sink, if any
        core.onNetSend = (frame) => {
            if (this.link) this.link.send(frame);
            else if (upstream) upstream(frame);
        };
        // Feed queued frames around every slice (the NIC takes them only as
        // the guest posts receive buffers).
        const run = core.run.bind(core);
        core.run = (budget) => {
            this._feed();
            const r = run(budget);
            if (this.rxq.length && this._feed()) this._wakeSoon();
            return r;
        };
        this._applyLink();
        if (this.link) this.onstatus(this.status());
    }

    detach(core) {
        if (core && core !== this.core) return;
        this.core = null;
        this.runner = null;
        this.rxq = [];
    }

    connect(url) {
        this.disconnect(false);
        this.link = new NetLink(url, {
            onframe: (frame) => this._receive(frame),
            onstatus: () => {
                this._applyLink();
                this.onstatus(this.status());
            },
        });
    }

    disconnect(report = true) {
        const link = this.link;
        this.link = null;
        if (link) {
            link.onstatus = () => {};
            link.close();
        }
        this.rxq = [];
        // Unplugged: a machine that had a relay sees its link go down.
        if (link) this._setLink(false);
        if (report) this.onstatus({ ...this.status(), state: 'closed', url: link ? link.url : null });
    }

    _applyLink() {
        if (!this.link) return;
        this._setLink(this.link.state === 'up');
    }

    _setLink(up) {
        const c = this.core;
        if (c && this.hasNic && c.mod && c.mod._vm_net_set_link) {
            c.mod._vm_net_set_link(c.w, up ? 1 : 0);
            if (this.runner) this.runner.wake();
        }
    }

    _receive(frame) {
        if (!this.hasNic) return;
        if (this.rxq.length >= RX_QUEUE_MAX) {
            this.rxQueueDrops++;
            return;
        }
        this.rxq.push(frame);
        if (this._feed() && this.runner) this.runner.wake();
    }

    // Moves queued frames into the NIC while it has room; true if any moved.
    _feed() {
        const c = this.core;
        if (!c || !this.rxq.length) return false;
        let moved = false;
        const room = c.mod._vm_net_room ? () => c.mod._vm_net_room(c.w) : () => 1;
        while (this.rxq.length && room() > 0) {
            c.pushFrame(this.rxq.shift());
            moved = true;
        }
        return moved;
    }

    // After a slice, the runner decides to sleep; a microtask lands after
    // that decision and cuts the sleep short.
    _wakeSoon() {
        if (this.wakeQueued) return;
        this.wakeQueued = true;
        queueMicrotask(() => {
            this.wakeQueued = false;
            if (this.runner) this.runner.wake();
        });
    }
}
