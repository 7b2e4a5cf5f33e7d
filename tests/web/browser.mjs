// Shared setup for the browser tests and the browser benchmark: the page's
// own static server on a free loopback port, and Debian's Chromium driven
// by playwright-core (never `playwright install`).
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createStaticServer } from '../../web/serve.mjs';
import { BUILD, IMAGES } from './guest.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const RESULTS = join(BUILD, 'test-results');

export async function startServer(...extraMounts) {
    const server = createStaticServer({
        root: join(BUILD, 'web'),
        mounts: [
            { prefix: '/images', dir: IMAGES },
            { prefix: '/test-files', dir: join(BUILD, 'tests/web') },
            ...extraMounts,
        ],
    });
    await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
    });
    return { server, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

export async function launch(extraArgs = []) {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found (apt-get install chromium)`);
    mkdirSync(RESULTS, { recursive: true });
    return chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
            '--no-sandbox',
            '--headless',
            '--disable-gpu',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
            '--no-first-run',
            ...extraArgs,
        ],
    });
}

// A new page that records console errors and page crashes for diagnostics.
export async function newPage(browser) {
    const page = await browser.newPage({ viewport: { width: 1100, height: 700 } });
    page.logs = [];
    page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') page.logs.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => page.logs.push(`pageerror: ${e.message}`));
    return page;
}
