// The console side every VM handle shares (in-thread WasmVm, worker client):
// output listeners, the transcript, and expect/type for scripted sessions.

const TRANSCRIPT_MAX = 4 * 1024 * 1024; // characters kept; older text is dropped

export class TimeoutError extends Error {
    constructor(message) {
        super(message);
        this.name = 'TimeoutError';
    }
}

export class VmConsole {
    constructor() {
        this._decoder = new TextDecoder('utf-8');
        this._text = '';
        this._dropped = 0; // characters dropped from the front of _text
        this._cursor = 0; // absolute position where the next expect() starts
        this._outputListeners = new Set();
        this._waiters = new Set();
    }

    // cb(text, bytes) for every chunk of guest output; returns an unsubscribe.
    onOutput(cb) {
        this._outputListeners.add(cb);
        return () => this._outputListeners.delete(cb);
    }

    // Everything the guest printed (the last 4 MiB of it), as text.
    get transcript() {
        return this._text;
    }

    // Called by subclasses with raw guest bytes.
    _deliver(bytes) {
        const text = this._decoder.decode(bytes, { stream: true });
        this._text += text;
        if (this._text.length > TRANSCRIPT_MAX) {
            const cut = this._text.length - TRANSCRIPT_MAX / 2;
            this._text = this._text.slice(cut);
            this._dropped += cut;
        }
        for (const cb of this._outputListeners) {
            try {
                cb(text, bytes);
            } catch (e) {
                console.error(e);
            }
        }
        for (const w of this._waiters) w.check();
    }

    // Fails pending expects at once (machine stopped, powered off, error).
    _failWaiters(reason) {
        for (const w of this._waiters) w.fail(reason);
    }

    // Resolves with the match of `pattern` (RegExp or string) in the output
    // after the previous expect's match (or after `from`, an absolute
    // transcript offset). Rejects after timeout ms (default 30 s).
    expect(pattern, { timeout = 30000, from } = {}) {
        const re = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern;
        const start = from ?? this._cursor;
        return new Promise((resolve, reject) => {
            let timer = null;
            const w = {
                check: () => {
                    const off = Math.max(0, start - this._dropped);
                    const m = re.exec(this._text.slice(off));
                    if (!m) return;
                    m.index += off + this._dropped;
                    this._cursor = m.index + m[0].length;
                    done();
                    resolve(m);
                },
                fail: (why) => {
                    done();
                    reject(new Error(`expect(${re}): ${why}; output ends with: ${JSON.stringify(this._text.slice(-200))}`));
                },
            };
            const done = () => {
                this._waiters.delete(w);
                if (timer) clearTimeout(timer);
            };
            this._waiters.add(w);
            timer = setTimeout(() => {
                done();
                reject(new TimeoutError(`expect(${re}) timed out after ${timeout} ms; output ends with: ${JSON.stringify(this._text.slice(-200))}`));
            }, timeout);
            w.check();
        });
    }

    // Sends text as keyboard input. The VM keeps what the guest cannot take
    // yet, so a long text is never cut; resolves once it was handed over.
    async type(text) {
        this.sendInput(text);
        await new Promise((r) => setTimeout(r, 0));
    }
}
