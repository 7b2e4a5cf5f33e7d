// Helpers for the browser-side network tests (issue 7): a netproxy on a free
// loopback port, an HTTP server with a token file on loopback, a TCP sink,
// and the guest commands the tests type. Everything stays on 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { BUILD } from './guest.mjs';

export const NETPROXY = process.env.NETPROXY || join(BUILD, 'netproxy');
export const RISCV_VM = process.env.RISCV_VM || join(BUILD, 'riscv-vm');

// Starts build/netproxy; resolves {port, url(path), log(), stop()} once it
// logs its listening line. port 0 lets netproxy pick (read from the log).
export function startNetproxy(args = [], port = 0) {
    if (!existsSync(NETPROXY)) return Promise.reject(new Error(`${NETPROXY} missing (make netproxy)`));
    return new Promise((resolve, reject) => {
        const p = spawn(NETPROXY, ['--listen', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
        let log = '';
        let done = false;
        const timer = setTimeout(() => finish(new Error(`netproxy did not start: ${log}`)), 10000);
        const finish = (err, value) => {
            if (done) return;
            done = true;
            clearTimeout(timer);
            if (err) {
                p.kill('SIGKILL');
                reject(err);
            } else resolve(value);
        };
        const exited = new Promise((r) => p.on('exit', r));
        p.stderr.on('data', (d) => {
            log += d;
            const m = /listening on ws:\/\/[^\s]*:(\d+)/.exec(log);
            if (m) {
                const got = Number(m[1]);
                finish(null, {
                    port: got,
                    url: (path = '/lan') => `ws://127.0.0.1:${got}${path}`,
                    log: () => log,
                    async stop() {
                        if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
                        const t = setTimeout(() => p.kill('SIGKILL'), 5000);
                        await exited;
                        clearTimeout(t);
                    },
                });
            }
        });
        p.on('error', (e) => finish(e));
        p.on('exit', (code) => finish(new Error(`netproxy exited (${code}): ${log}`)));
    });
}

// An HTTP server on 127.0.0.1 serving `files` ({'/token': 'text'}).
export function startHttpServer(files) {
    const server = http.createServer((req, res) => {
        const body = files[req.url];
        if (body === undefined) {
            res.writeHead(404);
            res.end('not found\n');
            return;
        }
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
    });
    return new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () => resolve({ port: server.address().port, close: () => new Promise((r) => server.close(r)) }));
    });
}

// A TCP sink on 127.0.0.1: each connection's byte count and seconds from the
// first byte to EOF, in `results`.
export function startSink() {
    const results = [];
    const waiters = [];
    const server = net.createServer((c) => {
        let n = 0;
        let t0 = 0;
        c.on('data', (d) => {
            if (!t0) t0 = performance.now();
            n += d.length;
        });
        c.on('end', () => {
            const r = { bytes: n, seconds: t0 ? (performance.now() - t0) / 1000 : 0 };
            results.push(r);
            for (const w of waiters.splice(0)) w(r);
        });
        c.on('error', () => {});
    });
    return new Promise((resolve) => {
        server.listen(0, '127.0.0.1', () =>
            resolve({
                port: server.address().port,
                results,
                next: (ms) =>
                    new Promise((res, rej) => {
                        const t = setTimeout(() => rej(new Error('no transfer reached the sink')), ms);
                        waiters.push((r) => {
                            clearTimeout(t);
                            res(r);
                        });
                    }),
                close: () => new Promise((r) => server.close(r)),
            }),
        );
    });
}

export function freePort() {
    return new Promise((resolve) => {
        const s = net.createServer();
        s.listen(0, '127.0.0.1', () => {
            const { port } = s.address();
            s.close(() => resolve(port));
        });
    });
}

// Guest shell snippets. Markers are split in the typed text ("le""ase=") so
// the terminal's echo of the command never matches the expected output.
export const guest = {
    // Waits up to 60 s for a DHCP lease on eth0; prints lease=ADDR.
    lease: 'for i in $(seq 60); do ip -4 -o addr show dev eth0 | grep -q "inet 10\\.0\\.2\\." && break; sleep 1; done; ' +
        'echo "le""ase=$(ip -4 -o addr show dev eth0 | sed -n "s/.*inet \\([0-9.]*\\).*/\\1/p")."\n',
    leaseRe: /^lease=([0-9.]*)\.\r?$/m,
    // Fetches a URL; prints the body between markers.
    fetch: (url) => `echo "fe""tch-begin"; wget -q -T 10 -O - ${url}; echo "fe""tch-end=$?"\n`,
    fetchRe: /^fetch-begin\r?\n([\s\S]*?)fetch-end=(\d+)\r?$/m,
    carrier: 'echo "car""rier=$(cat /sys/class/net/eth0/carrier 2>/dev/null || echo x)."\n',
    carrierRe: /^carrier=(\w)\.\r?$/m,
};

// Boot regex shared with the other web tests: the prompt, or a dead boot.
export const PROMPT_OR_DEATH = /(# $)|(sbi_trap_error|Kernel panic|Unable to mount root)/m;

// The native CLI with the default Linux guest on its serial console
// (pipes), with expect/type like the web handles. args: extra riscv-vm
// options (--net-ws URL --mac ...).
export class NativeVm {
    constructor(man, args = []) {
        const img = (f) => join(BUILD, 'images', f);
        const argv = ['--mem', String(man.memoryMiB || 256), '--bios', img(man.bios), '--kernel', img(man.kernel)];
        if (man.initrd) argv.push('--initrd', img(man.initrd));
        argv.push('--append', man.append || 'console=ttyS0', ...args);
        this.text = '';
        this.cursor = 0;
        this.waiters = new Set();
        this.proc = spawn(RISCV_VM, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
        this.stderr = '';
        this.exited = new Promise((r) => this.proc.on('exit', r));
        this.proc.stdout.on('data', (d) => {
            this.text += d.toString('latin1');
            for (const w of this.waiters) w();
        });
        this.proc.stderr.on('data', (d) => {
            this.stderr += d;
        });
        this.proc.stdin.on('error', () => {});
    }

    expect(re, timeout = 30000) {
        return new Promise((resolve, reject) => {
            const check = () => {
                const m = re.exec(this.text.slice(this.cursor));
                if (!m) return;
                this.cursor += m.index + m[0].length;
                done();
                resolve(m);
            };
            const timer = setTimeout(() => {
                done();
                reject(new Error(`native guest: ${re} not seen in ${timeout} ms; output ends with ${JSON.stringify(this.text.slice(-300))}; stderr ${JSON.stringify(this.stderr.slice(-300))}`));
            }, timeout);
            const done = () => {
                clearTimeout(timer);
                this.waiters.delete(check);
            };
            this.waiters.add(check);
            check();
        });
    }

    type(text) {
        this.proc.stdin.write(text);
    }

    async stop() {
        if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGTERM');
        const t = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
        await this.exited;
        clearTimeout(t);
    }
}
