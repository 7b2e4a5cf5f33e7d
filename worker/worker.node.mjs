// Node entry of the worker: the same worker logic under worker_threads.
import { parentPort } from 'node:worker_threads';
import { loadNodeCore } from './node-core.mjs';
import { serveWorker } from './worker-main.mjs';

serveWorker(
    {
        post: (msg, transfer) => parentPort.postMessage(msg, transfer),
        onMessage: (fn) => parentPort.on('message', fn),
    },
    async () => loadNodeCore(),
);
