#!/usr/bin/env node
// The page's static server (Node http, no framework).
//   node web/serve.mjs [--port 8080] [--host 127.0.0.1] [--root build/web]
//                      [--images build/images] [--mount /prefix=dir]...
// Every response carries COOP same-origin + COEP require-corp, so the page is
// cross-origin isolated (SharedArrayBuffer, Atomics.wait in the worker).
// Files under /images/ (and every other file) honour single-range Range
// requests, which lazily fetched disk bases rely on.
import { createReadStream, promises as fsp } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.mjs': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.json': 'application/json; charset=utf-8',
    '.wasm': 'application/wasm',
    '.map': 'application/json; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.png': 'image/png',
    '.ico': 'image/x-icon',
    '.txt': 'text/plain; charset=utf-8',
    '.d.ts': 'text/plain; charset=utf-8',
};

export function isolationHeaders() {
    return {
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
        // Lets pages on other origins embed these files (a docs site using
        // <riscv-vm>) while they too are cross-origin isolated.
        'Cross-Origin-Resource-Policy': 'cross-origin',
    };
}

// Parses a single "bytes=a-b" range; null = whole file; 'bad' = 416.
export function parseRange(header, size) {
    if (!header) return null;
    const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
    if (!m || (m[1] === '' && m[2] === '')) return 'bad';
    let start;
    let end;
    if (m[1] === '') {
        const n = Number(m[2]);
        if (n === 0) return 'bad';
        start = Math.max(0, size - n);
        end = size - 1;
    } else {
        start = Number(m[1]);
        end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
    }
    if (start >= size || start > end) return 'bad';
    return { start, end };
}

export function createStaticServer({ root, mounts = [], log = false }) {
    // Longest prefix first, so /images/ wins over /.
    const table = [...mounts, { prefix: '/', dir: root }]
        .map((m) => ({ prefix: m.prefix.endsWith('/') ? m.prefix : `${m.prefix}/`, dir: resolve(m.dir) }))
        .sort((a, b) => b.prefix.length - a.prefix.length);

    async function handle(req, res) {
        const headers = { ...isolationHeaders(), 'Cache-Control': 'no-cache' };
        if (req.method !== 'GET' && req.method !== 'HEAD') {
            res.writeHead(405, { ...headers, Allow: 'GET, HEAD' });
            res.end();
            return;
        }
        let path;
        try {
            path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
        } catch {
            res.writeHead(400, headers);
            res.end('bad request\n');
            return;
        }
        if (path.includes('\0')) {
            res.writeHead(400, headers);
            res.end('bad request\n');
            return;
        }
        const mount = table.find((m) => path === m.prefix.slice(0, -1) || path.startsWith(m.prefix));
        let rel = path.slice(mount.prefix.length - 1);
        if (rel === '' || rel.endsWith('/')) rel += 'index.html';
        const file = normalize(join(mount.dir, rel));
        if (file !== mount.dir && !file.startsWith(mount.dir + sep)) {
            res.writeHead(403, headers);
            res.end('forbidden\n');
            return;
        }
        let st;
        try {
            st = await fsp.stat(file);
            if (st.isDirectory()) throw new Error('dir');
        } catch {
            res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
            res.end(`not found: ${path}\n`);
            return;
        }
        const type = file.endsWith('.d.ts') ? MIME['.d.ts'] : MIME[extname(file).toLowerCase()] || 'application/octet-stream';
        Object.assign(headers, {
            'Content-Type': type,
            'Accept-Ranges': 'bytes',
            'Last-Modified': st.mtime.toUTCString(),
        });
        const range = parseRange(req.headers.range, st.size);
        if (range === 'bad') {
            res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` });
            res.end();
            return;
        }
        let status = 200;
        let start = 0;
        let end = st.size - 1;
        if (range) {
            status = 206;
            ({ start, end } = range);
            headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
        }
        headers['Content-Length'] = String(st.size === 0 ? 0 : end - start + 1);
        res.writeHead(status, headers);
        if (log) console.log(`${req.method} ${path} ${status}`);
        if (req.method === 'HEAD' || st.size === 0) {
            res.end();
            return;
        }
        const stream = createReadStream(file, { start, end });
        stream.on('error', () => res.destroy());
        stream.pipe(res);
    }

    return createServer((req, res) => {
        handle(req, res).catch(() => {
            if (!res.headersSent) res.writeHead(500);
            res.end();
        });
    });
}

function parseArgs(argv) {
    const here = fileURLToPath(new URL('.', import.meta.url));
    const o = { port: 8080, host: '127.0.0.1', root: join(here, '../build/web'), images: join(here, '../build/images'), mounts: [], log: false };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const v = () => argv[++i];
        if (a === '--port') o.port = Number(v());
        else if (a === '--host') o.host = v();
        else if (a === '--root') o.root = v();
        else if (a === '--images') o.images = v();
        else if (a === '--mount') {
            const [prefix, dir] = v().split('=');
            o.mounts.push({ prefix, dir });
        } else if (a === '--log') o.log = true;
        else {
            console.error(`serve.mjs: unknown argument ${a}`);
            process.exit(2);
        }
    }
    return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
    const o = parseArgs(process.argv.slice(2));
    const server = createStaticServer({ root: o.root, mounts: [{ prefix: '/images', dir: o.images }, ...o.mounts], log: o.log });
    server.on('error', (e) => {
        console.error(`serve.mjs: ${e.message}`);
        process.exit(1);
    });
    server.listen(o.port, o.host, () => {
        const port = server.address().port;
        console.log(`riscv-vm: serving ${resolve(o.root)} at http://localhost:${port}/ (Ctrl-C to stop)`);
    });
}
