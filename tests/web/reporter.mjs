// node:test reporter printing the project's one-line-per-check format:
// PASS: name / FAIL: name (why) / SKIP: name (reason), at line start.
export default async function* reporter(source) {
    for await (const ev of source) {
        const d = ev.data || {};
        if (ev.type === 'test:pass' && d.details && d.details.type === 'suite') continue;
        if (ev.type === 'test:pass') {
            if (d.skip !== undefined && d.skip !== false) yield `SKIP: ${d.name} (${d.skip === true ? 'skipped' : d.skip})\n`;
            else if (d.todo !== undefined && d.todo !== false) yield `SKIP: ${d.name} (todo)\n`;
            else yield `PASS: ${d.name} (${Math.round(d.details?.duration_ms ?? 0)} ms)\n`;
        } else if (ev.type === 'test:fail') {
            if (d.details && d.details.type === 'suite') continue;
            const err = d.details?.error;
            const cause = err?.cause ?? err;
            const why = String(cause?.message ?? cause ?? 'failed').replace(/\s+/g, ' ').slice(0, 400);
            yield `FAIL: ${d.name} (${why})\n`;
        } else if (ev.type === 'test:diagnostic') {
            if (!/^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(d.message)) yield `# ${d.message}\n`;
        } else if (ev.type === 'test:stderr' || ev.type === 'test:stdout') {
            yield d.message ?? '';
        }
    }
}
